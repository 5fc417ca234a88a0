package auth

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/errtree"
)

// Transport posts a request and returns the answer: body as JSON with a
// Content-Length, or no body and no Content-Type when body is nil.
// Implementations read the answer with ReadBody and return ErrAnswerTooLarge
// (wrapped is fine), with the status and headers filled in, when it is over
// the limit. The auth package stays free of net/http so that it can be linked
// into a small browser module; see package authhttp for a net/http Transport.
type Transport interface {
	Post(ctx context.Context, url string, body []byte) (Answer, error)
}

// DefaultTimeout bounds a whole call, retries included.
const DefaultTimeout = 10 * time.Second

// Client drives Exchanges over a Transport. The zero value of every field
// but Transport means its default.
type Client struct {
	// Transport does the round trip. Required.
	Transport Transport
	// BaseURL is the scheme and host of the API, or of a proxy. Default
	// DefaultBaseURL ("https://api.jquants.com"); a trailing slash is ignored.
	BaseURL string
	// Timeout bounds a whole call, retries included. Default 10 s; negative
	// means no bound beyond the caller's context.
	Timeout time.Duration
	// MaxRetries, BaseBackoff, MaxBackoff and MaxRetryAfter: see Retry.
	MaxRetries              int
	BaseBackoff, MaxBackoff time.Duration
	MaxRetryAfter           time.Duration
	// Now is the clock used for IssuedAt. Default time.Now.
	Now func() time.Time
}

func (c *Client) retry() Retry {
	return Retry{MaxRetries: c.MaxRetries, BaseBackoff: c.BaseBackoff, MaxBackoff: c.MaxBackoff, MaxRetryAfter: c.MaxRetryAfter}
}

// AuthUser logs in with creds and returns the refresh token. Errors are
// *InputError (bad credentials shape, nothing sent), *Error (an answer other
// than a token), or a network error; after the timeout or a cancelled
// context the error matches context.DeadlineExceeded or context.Canceled.
func (c *Client) AuthUser(ctx context.Context, creds Credentials) (RefreshToken, error) {
	x, err := NewAuthUser(c.BaseURL, creds, c.retry())
	if err != nil {
		return Token{}, err
	}
	return c.Run(ctx, x)
}

// AuthRefresh exchanges a refresh token for an ID token (valid 24 hours),
// with the errors of AuthUser. The token is never part of an error.
func (c *Client) AuthRefresh(ctx context.Context, refreshToken string) (IDToken, error) {
	x, err := NewAuthRefresh(c.BaseURL, refreshToken, c.retry())
	if err != nil {
		return Token{}, err
	}
	return c.Run(ctx, x)
}

// Run drives x to its end over c.Transport, waiting between tries as told.
func (c *Client) Run(ctx context.Context, x *Exchange) (Token, error) {
	if c.Transport == nil {
		return Token{}, errors.New("auth: Client.Transport is nil")
	}
	if c.Timeout >= 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultTimeout))
		defer cancel()
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	for {
		ans, err := c.Transport.Post(ctx, x.Request.URL, x.Request.Body)
		if err != nil && ctx.Err() != nil {
			return Token{}, contextError(ctx, err)
		}
		step := x.Receive(ans, err, now())
		if step.Done {
			return step.Token, step.Err
		}
		timer := time.NewTimer(step.Wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Token{}, contextError(ctx, step.Err)
		case <-timer.C:
		}
	}
}

// contextError reports the context's end; it wraps ctx.Err() so that
// errors.Is finds DeadlineExceeded or Canceled.
func contextError(ctx context.Context, last error) error {
	if errtree.Is(ctx.Err(), context.DeadlineExceeded) {
		return &wrapped{"auth: no answer in time", context.DeadlineExceeded}
	}
	msg := "auth: " + ctx.Err().Error()
	if last != nil {
		msg += " (last failure: " + last.Error() + ")"
	}
	return &wrapped{msg, ctx.Err()}
}

// wrapped is an error with its own text around another, like fmt.Errorf's
// %w without fmt.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
