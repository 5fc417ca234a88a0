package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/errtree"
)

// Sentinels for errors.Is. Every *Error matches exactly one of the first
// seven, or (V2) of the five after them or ErrInvalidInput.
var (
	ErrInvalidCredentials = errors.New("credentials are incorrect")        // 400: mail address and password, or refresh token
	ErrForbidden          = errors.New("forbidden")                        // 403
	ErrUpstreamFailure    = errors.New("upstream failure")                 // 500
	ErrRateLimited        = errors.New("rate limited")                     // 429
	ErrEndpointGone       = errors.New("endpoint does not exist upstream") // 404
	ErrUnexpectedStatus   = errors.New("unexpected status")                // any other status
	ErrUnexpectedAnswer   = errors.New("unexpected answer")                // 200 without a usable token (V2: not a page)

	ErrKeyRequired      = errors.New("api key required")                   // V2 403: no key sent
	ErrKeyInvalid       = errors.New("api key invalid or expired")         // V2 403: wrong, deleted or re-issued key
	ErrNotOnPlan        = errors.New("not available on your plan")         // V2 403: the plan lacks the endpoint
	ErrNoSuchEndpoint   = errors.New("no such endpoint")                   // V2 403: wrong path or method
	ErrOutsidePlanDates = errors.New("outside the dates your plan covers") // V2 400: with From and To

	ErrInvalidInput   = errors.New("invalid input")                     // every *InputError
	ErrAnswerTooLarge = errors.New("answer body is larger than 64 KiB") // from ReadBody
	ErrPageTooLarge   = errors.New("page is larger than 16 MiB")        // from ReadPageBody
)

// Error is an answer other than a token. Match it with errors.As, or its
// kind with errors.Is and the sentinels above.
type Error struct {
	StatusCode int           // the upstream HTTP status
	Message    string        // upstream's message, at most MaxMessageBytes; may be empty
	Code       string        // a stable code, when an edge that talks to our proxy set it
	RetryAfter time.Duration // from Retry-After (429, 503), when upstream said; V2 429: at least RateLimitWait
	// From and To are the plan's date window ("2024-03-21") when the kind
	// is ErrOutsidePlanDates; To is "" when it has no end.
	From, To string
	kind     error
}

func (e *Error) Error() string {
	s := "auth: " + strconv.Itoa(e.StatusCode) + " " + e.Kind().Error()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

// Kind is the sentinel e matches; ErrUnexpectedStatus for an Error built by hand.
func (e *Error) Kind() error {
	if e.kind == nil {
		return ErrUnexpectedStatus
	}
	return e.kind
}

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool { return target == e.Kind() }

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

	CodeKeyRequired      = "key_required"
	CodeKeyInvalid       = "key_invalid"
	CodeNotOnPlan        = "not_on_plan"
	CodeNoSuchEndpoint   = "no_such_endpoint"
	CodeOutsidePlanDates = "outside_plan_dates"
)

// Code maps an error from this package to its stable code ("" for nil). An
// *Error whose Code an edge set keeps it.
func Code(err error) string {
	e, isErr := errtree.As[*Error](err)
	switch {
	case err == nil:
		return ""
	case isErr && e.Code != "":
		return e.Code
	case errtree.Is(err, ErrInvalidInput):
		return CodeInvalidInput
	case errtree.Is(err, ErrInvalidCredentials):
		return CodeInvalidCredentials
	case errtree.Is(err, ErrForbidden):
		return CodeForbidden
	case errtree.Is(err, ErrRateLimited):
		return CodeRateLimited
	case errtree.Is(err, ErrEndpointGone):
		return CodeEndpointGone
	case errtree.Is(err, ErrKeyRequired):
		return CodeKeyRequired
	case errtree.Is(err, ErrKeyInvalid):
		return CodeKeyInvalid
	case errtree.Is(err, ErrNotOnPlan):
		return CodeNotOnPlan
	case errtree.Is(err, ErrNoSuchEndpoint):
		return CodeNoSuchEndpoint
	case errtree.Is(err, ErrOutsidePlanDates):
		return CodeOutsidePlanDates
	case errtree.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errtree.Is(err, context.Canceled):
		return CodeCanceled
	case isErr:
		return CodeUpstreamError
	default:
		return CodeNetwork
	}
}
