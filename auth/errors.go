package auth

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Sentinels for errors.Is. Every *Error matches exactly one of the first seven.
var (
	ErrInvalidCredentials = errors.New("credentials are incorrect")        // 400: mail address and password, or refresh token
	ErrForbidden          = errors.New("forbidden")                        // 403
	ErrUpstreamFailure    = errors.New("upstream failure")                 // 500
	ErrRateLimited        = errors.New("rate limited")                     // 429
	ErrEndpointGone       = errors.New("endpoint does not exist upstream") // 404
	ErrUnexpectedStatus   = errors.New("unexpected status")                // any other status
	ErrUnexpectedAnswer   = errors.New("unexpected answer")                // 200 without a usable token

	ErrInvalidInput   = errors.New("invalid input")                     // every *InputError
	ErrAnswerTooLarge = errors.New("answer body is larger than 64 KiB") // from ReadBody
)

// Error is an answer other than a token. Match it with errors.As, or its
// kind with errors.Is and the sentinels above.
type Error struct {
	StatusCode int           // the upstream HTTP status
	Message    string        // upstream's message, at most MaxMessageBytes; may be empty
	Code       string        // a stable code, when an edge that talks to our proxy set it
	RetryAfter time.Duration // from Retry-After (429, 503), when upstream said
	kind       error
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
)

// Code maps an error from this package to its stable code ("" for nil). An
// *Error whose Code an edge set keeps it.
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
