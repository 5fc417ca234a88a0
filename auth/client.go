package auth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Transport posts a JSON body to a URL and returns the answer. Implementations
// read the body with ReadBody and return ErrAnswerTooLarge (wrapped is fine),
// with the status and headers filled in, when it is over the limit. The auth
// package stays free of net/http so that it can be linked into a small browser
// module; see package authhttp for a net/http Transport.
type Transport interface {
	Post(ctx context.Context, url string, body []byte) (Answer, error)
}

// Client defaults.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultMaxRetries    = 2
	DefaultBaseBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff    = 2 * time.Second
	DefaultMaxRetryAfter = 5 * time.Second
)

// Client gets refresh tokens. The zero value of every field but Transport
// means its default.
type Client struct {
	// Transport does the round trip. Required.
	Transport Transport
	// BaseURL is the scheme and host of the API. Default DefaultBaseURL
	// ("https://api.jquants.com"); a trailing slash is ignored.
	BaseURL string
	// Timeout bounds a whole AuthUser call, retries included. Default 10 s;
	// negative means no bound beyond the caller's context.
	Timeout time.Duration
	// MaxRetries is how many more tries follow a 500, 502, 503 or 504 answer
	// or a network error. 4xx answers are never retried. Default 2; negative
	// means none.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the wait before retry n: a random
	// duration in [d/2, d] where d = min(MaxBackoff, BaseBackoff·2ⁿ).
	// Defaults 200 ms and 2 s.
	BaseBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps how long a Retry-After header may make a retry wait.
	// Default 5 s.
	MaxRetryAfter time.Duration
	// Now is the clock used for IssuedAt. Default time.Now.
	Now func() time.Time
}

// URL is the endpoint the client posts to.
func (c *Client) URL() string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	return strings.TrimRight(base, "/") + Path
}

// AuthUser logs in with creds and returns the refresh token. Errors are
// *InputError (bad credentials shape, nothing sent), *Error (an answer other
// than a token), or a network error; after the timeout or a cancelled
// context the error matches context.DeadlineExceeded or context.Canceled.
func (c *Client) AuthUser(ctx context.Context, creds Credentials) (RefreshToken, error) {
	if err := creds.Validate(); err != nil {
		return RefreshToken{}, err
	}
	if c.Transport == nil {
		return RefreshToken{}, errors.New("auth: Client.Transport is nil")
	}
	body, err := creds.RequestBody()
	if err != nil {
		return RefreshToken{}, err
	}
	if t := pick(c.Timeout, DefaultTimeout); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	url := c.URL()
	for attempt := 0; ; attempt++ {
		tok, err := c.Do(ctx, url, body)
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return RefreshToken{}, contextError(ctx, err)
		}
		wait, retry := c.retryAfter(err, attempt)
		if !retry {
			return RefreshToken{}, err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return RefreshToken{}, contextError(ctx, err)
		case <-timer.C:
		}
	}
}

// Do makes one round trip with a request body built by RequestBody and decodes
// the answer.
func (c *Client) Do(ctx context.Context, url string, body []byte) (RefreshToken, error) {
	ans, err := c.Transport.Post(ctx, url, body)
	if err != nil {
		if errors.Is(err, ErrAnswerTooLarge) {
			return RefreshToken{}, &Error{StatusCode: ans.StatusCode, kind: ErrUnexpectedAnswer, Message: ErrAnswerTooLarge.Error()}
		}
		return RefreshToken{}, &NetworkError{Err: err}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return DecodeAnswer(ans, now())
}

// retryAfter says whether err after attempt (0-based) earns another try, and
// how long to wait first.
func (c *Client) retryAfter(err error, attempt int) (time.Duration, bool) {
	maxRetries := c.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	if attempt >= maxRetries {
		return 0, false
	}
	var e *Error
	if errors.As(err, &e) {
		switch e.StatusCode {
		case 500, 502, 503, 504:
		default:
			return 0, false
		}
		if e.RetryAfter > 0 {
			return min(e.RetryAfter, pick(c.MaxRetryAfter, DefaultMaxRetryAfter)), true
		}
	} else if !errors.As(err, new(*NetworkError)) || errors.Is(err, context.DeadlineExceeded) {
		// A transport's own timeout (fetch's AbortSignal.timeout can fire
		// before Go's timer) ends the call like the context's would.
		return 0, false
	}
	return jitter(backoff(pick(c.BaseBackoff, DefaultBaseBackoff), pick(c.MaxBackoff, DefaultMaxBackoff), attempt)), true
}

// backoff is min(maxB, base·2ⁿ), computed without overflow (base<<n wraps
// negative for n ≥ 36 with the defaults) and never negative.
func backoff(base, maxB time.Duration, n int) time.Duration {
	if base <= 0 || maxB <= 0 {
		return 0
	}
	d := base
	for ; n > 0 && d < maxB; n-- {
		if d > maxB/2 {
			return maxB
		}
		d *= 2
	}
	return min(d, maxB)
}

// jitter returns a random duration in [d/2, d]; 0 for d ≤ 0.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

func pick(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// contextError reports the context's end, keeping the last failure for context.
func contextError(ctx context.Context, last error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("auth: no answer in time: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("auth: %w (last failure: %v)", ctx.Err(), last)
}

// NetworkError is a failed round trip: no HTTP answer at all.
type NetworkError struct{ Err error }

func (e *NetworkError) Error() string { return "auth: no answer from upstream: " + e.Err.Error() }
func (e *NetworkError) Unwrap() error { return e.Err }

// Stable error codes, shared by the proxy's JSON answers and the JS module.
const (
	CodeInvalidInput       = "invalid_input"
	CodeInvalidCredentials = "invalid_credentials"
	CodeForbidden          = "forbidden"
	CodeRateLimited        = "rate_limited"
	CodeUpstreamError      = "upstream_error"
	CodeEndpointGone       = "endpoint_gone"
	CodeTimeout            = "timeout"
	CodeNetwork            = "network"
	CodeCanceled           = "canceled"
)

// Code maps an error from this package to its stable code ("" for nil). An
// *Error that came through our proxy keeps the code the proxy gave.
func Code(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e) && e.Code != "":
		return e.Code
	case errors.Is(err, ErrInvalidInput):
		return CodeInvalidInput
	case errors.Is(err, ErrInvalidCredentials):
		return CodeInvalidCredentials
	case errors.Is(err, ErrForbidden):
		return CodeForbidden
	case errors.Is(err, ErrRateLimited):
		return CodeRateLimited
	case errors.Is(err, ErrEndpointGone):
		return CodeEndpointGone
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case e != nil:
		return CodeUpstreamError
	default:
		return CodeNetwork
	}
}
