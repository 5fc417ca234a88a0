package auth

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/errtree"
)

// Retry defaults.
const (
	DefaultMaxRetries    = 2
	DefaultBaseBackoff   = 200 * time.Millisecond
	DefaultMaxBackoff    = 2 * time.Second
	DefaultMaxRetryAfter = 5 * time.Second
)

// Retry says how an Exchange retries. The zero value of each field means its
// default.
type Retry struct {
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
}

// Exchange is one call of the contract with its retries, as a state machine
// with no I/O and no clock: the caller sends Request, feeds what came back
// to Receive with the current time, and does what the Step says. The same
// decisions thus drive net/http natively and fetch in the browser.
type Exchange struct {
	Endpoint Endpoint
	Request  Request
	Retry    Retry
	// Attempt counts the outcomes received so far. An edge that keeps no Go
	// value between calls rebuilds the Exchange with it.
	Attempt int
}

// Step is what the caller does next: Done with a Token or an Err, or wait
// Wait and send the Request again.
type Step struct {
	Done  bool
	Token Token
	Err   error // when !Done, the failure that earned the retry
	Wait  time.Duration
}

// NewAuthUser is the auth_user exchange for creds, or an *InputError.
func NewAuthUser(baseURL string, creds Credentials, r Retry) (*Exchange, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	return &Exchange{Endpoint: AuthUser, Request: AuthUserRequest(baseURL, creds), Retry: r}, nil
}

// NewAuthRefresh is the auth_refresh exchange for refreshToken, or an *InputError.
func NewAuthRefresh(baseURL, refreshToken string, r Retry) (*Exchange, error) {
	if err := CheckRefreshToken(refreshToken); err != nil {
		return nil, err
	}
	return &Exchange{Endpoint: AuthRefresh, Request: AuthRefreshRequest(baseURL, refreshToken), Retry: r}, nil
}

// Receive takes the outcome of sending Request: an answer, or the transport's
// error (no answer, or one over MaxAnswerBytes with its status in a).
func (x *Exchange) Receive(a Answer, err error, now time.Time) Step {
	x.Attempt++
	switch {
	case errtree.Is(err, ErrAnswerTooLarge):
		err = &Error{StatusCode: a.StatusCode, kind: ErrUnexpectedAnswer, Message: ErrAnswerTooLarge.Error()}
	case err != nil:
		err = &NetworkError{Err: err}
	default:
		var tok Token
		if tok, err = x.Endpoint.Decode(a, now); err == nil {
			return Step{Done: true, Token: tok}
		}
	}
	if wait, ok := x.retryAfter(err); ok {
		return Step{Err: err, Wait: wait}
	}
	return Step{Done: true, Err: err}
}

// retryAfter says whether err earns another try, and how long to wait first.
func (x *Exchange) retryAfter(err error) (time.Duration, bool) {
	r := x.Retry
	maxRetries := r.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	if x.Attempt > maxRetries {
		return 0, false
	}
	if e, ok := errtree.As[*Error](err); ok {
		switch e.StatusCode {
		case 500, 502, 503, 504:
		default:
			return 0, false
		}
		if e.RetryAfter > 0 {
			return min(e.RetryAfter, pick(r.MaxRetryAfter, DefaultMaxRetryAfter)), true
		}
	} else if errtree.Is(err, context.DeadlineExceeded) || errtree.Is(err, context.Canceled) {
		// A transport's own timeout or an abort ends the call, as the
		// caller's context would.
		return 0, false
	}
	return jitter(backoff(pick(r.BaseBackoff, DefaultBaseBackoff), pick(r.MaxBackoff, DefaultMaxBackoff), x.Attempt-1)), true
}

// backoff is min(maxB, base·2ⁿ), computed without overflow (base<<n wraps
// negative for n ≥ 36 with the defaults) and never negative. Below 1 ns, a
// base or cap means no wait.
func backoff(base, maxB time.Duration, n int) time.Duration {
	if base < 1 || maxB < 1 {
		return 0
	}
	d := min(base, maxB)
	for ; n > 0; n-- {
		if d > maxB/2 { // doubling would pass the cap
			return maxB
		}
		d *= 2
	}
	return d
}

// jitter returns a random duration in [d/2, d]; 0 for d ≤ 0.
func jitter(d time.Duration) time.Duration {
	d = max(d, 0)
	return d/2 + rand.N(d/2+1)
}

func pick(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}
