package auth

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// Contract constants (J-Quants API V1).
const (
	DefaultBaseURL = "https://api.jquants.com"
	// Path is auth_user: mail address and password in, refresh token out.
	Path = "/v1/token/auth_user"
	// RefreshPath is auth_refresh: refresh token in (query), ID token out.
	RefreshPath = "/v1/token/auth_refresh"
	// TokenLifetime is how long a refresh token is valid: one week.
	TokenLifetime = 7 * 24 * time.Hour
	// IDTokenLifetime is how long an ID token is valid: 24 hours.
	IDTokenLifetime = 24 * time.Hour
	// MaxAnswerBytes bounds how much of an answer body is read.
	MaxAnswerBytes = 64 << 10
	// MaxMessageBytes bounds an upstream message kept in an *Error.
	MaxMessageBytes = 512
)

// Endpoint is one of the contract's two calls.
type Endpoint uint8

const (
	AuthUser    Endpoint = iota // POST Path: refresh token
	AuthRefresh                 // POST RefreshPath: ID token
)

// Path is e's URL path.
func (e Endpoint) Path() string {
	if e == AuthRefresh {
		return RefreshPath
	}
	return Path
}

// tokenField is the member of a 200 answer that holds the token.
func (e Endpoint) tokenField() string {
	if e == AuthRefresh {
		return "idToken"
	}
	return "refreshToken"
}

// Lifetime is how long e's token is valid.
func (e Endpoint) Lifetime() time.Duration {
	if e == AuthRefresh {
		return IDTokenLifetime
	}
	return TokenLifetime
}

// Request is one POST of the contract, for any transport: Body is JSON
// (Content-Type: application/json), or nil for none (auth_refresh).
type Request struct {
	URL  string
	Body []byte
}

// AuthUserRequest is the auth_user request for creds at baseURL ("" for
// DefaultBaseURL; a trailing slash is ignored). It does not validate creds.
func AuthUserRequest(baseURL string, creds Credentials) Request {
	return Request{URL: endpointURL(baseURL, Path), Body: creds.RequestBody()}
}

// AuthRefreshRequest is the auth_refresh request: the token goes in the
// query, percent-encoded, with no body, because that is the contract.
func AuthRefreshRequest(baseURL, refreshToken string) Request {
	return Request{URL: endpointURL(baseURL, RefreshPath) + "?" + FieldRefreshToken + "=" + queryEscape(refreshToken)}
}

func endpointURL(base, path string) string {
	if base == "" {
		base = DefaultBaseURL
	}
	return strings.TrimRight(base, "/") + path
}

// queryEscape is url.QueryEscape without net/url (which links fmt).
func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}

// Token is what a successful call yields: a refresh token from auth_user, an
// ID token from auth_refresh. String hides the value, so logging a Token
// with %v, %s, %q or %x does not leak it.
type Token struct {
	Value     string
	IssuedAt  time.Time
	ExpiresAt time.Time // IssuedAt + the endpoint's lifetime
}

// RefreshToken is auth_user's token, valid TokenLifetime.
type RefreshToken = Token

// IDToken is auth_refresh's token, valid IDTokenLifetime.
type IDToken = Token

// String shows the times, not the token.
func (t Token) String() string {
	return "Token{Value:" + redacted + " IssuedAt:" + t.IssuedAt.Format(time.RFC3339) +
		" ExpiresAt:" + t.ExpiresAt.Format(time.RFC3339) + "}"
}

// GoString keeps %#v from printing the token.
func (t Token) GoString() string { return "auth." + t.String() }

// Expired reports whether the token is past its expiry at now.
func (t Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// Header is a transport-neutral view of answer headers. It has the shape of
// net/http's Header (convert with auth.Header(resp.Header)) without importing it.
type Header map[string][]string

// Get returns the first value of the header named key, whatever its case.
func (h Header) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Answer is an HTTP answer as a Transport returns it.
type Answer struct {
	StatusCode int
	Header     Header
	Body       []byte // at most MaxAnswerBytes; see ReadBody
}

// ReadBody reads at most MaxAnswerBytes of r. A longer body is an error, so a
// misbehaving upstream cannot make us buffer without bound.
func ReadBody(r io.Reader) ([]byte, error) { return readAtMost(r, MaxAnswerBytes, ErrAnswerTooLarge) }

// ReadPageBody reads at most MaxPageBytes of r (a V2 page). A longer body
// is ErrPageTooLarge.
func ReadPageBody(r io.Reader) ([]byte, error) { return readAtMost(r, MaxPageBytes, ErrPageTooLarge) }

func readAtMost(r io.Reader, limit int, tooLarge error) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// DecodeAnswer is AuthUser.Decode: auth_user's answer as a refresh token.
func DecodeAnswer(a Answer, now time.Time) (RefreshToken, error) { return AuthUser.Decode(a, now) }

// Decode turns an answer of e into a token issued at now, or an error.
//
//   - 200 with a non-empty string token (refreshToken, idToken): the token.
//   - 200 otherwise: an *Error matching ErrUnexpectedAnswer.
//   - 400, 403, 500: an *Error with upstream's message, matching
//     ErrInvalidCredentials, ErrForbidden or ErrUpstreamFailure.
//   - 429: an *Error matching ErrRateLimited, with RetryAfter when given.
//   - anything else: an *Error naming the status (404: ErrEndpointGone).
func (e Endpoint) Decode(a Answer, now time.Time) (Token, error) {
	tok, err := e.DecodeView(a, now)
	// The one string kept: a copy, not a view of the body.
	tok.Value = strings.Clone(tok.Value)
	return tok, err
}

// DecodeView is Decode with the token a view of a.Body's bytes, not a copy:
// for a caller done with it before a.Body changes (the proxy, which writes
// it into its answer at once).
func (e Endpoint) DecodeView(a Answer, now time.Time) (Token, error) {
	if a.StatusCode == 200 {
		var room [4]flatjson.Member
		members, err := flatjson.ParseObjectInto(room[:0], a.Body)
		if err != nil {
			return Token{}, &Error{StatusCode: 200, kind: ErrUnexpectedAnswer, Message: "the answer is not a JSON object"}
		}
		tok, _ := flatjson.Lookup(members, e.tokenField())
		if tok.Kind != flatjson.String || tok.Str == "" {
			return Token{}, &Error{StatusCode: 200, kind: ErrUnexpectedAnswer, Message: "the answer has no " + e.tokenField()}
		}
		return Token{Value: tok.Str, IssuedAt: now, ExpiresAt: now.Add(e.Lifetime())}, nil
	}
	err := &Error{StatusCode: a.StatusCode, RetryAfter: ParseRetryAfter(a.Header.Get("Retry-After"), now)}
	err.Message = ErrorMessage(a.Body)
	switch a.StatusCode {
	case 400:
		err.kind = ErrInvalidCredentials
	case 403:
		err.kind = ErrForbidden
	case 500:
		err.kind = ErrUpstreamFailure
	case 429:
		err.kind = ErrRateLimited
	case 404:
		err.kind = ErrEndpointGone
		err.Message = "J-Quants retired its V1 API, " + e.Path() + " included, on 2026-06-01"
	default:
		err.kind = ErrUnexpectedStatus
	}
	return Token{}, err
}

// ErrorMessage is the string member "message" of an error body, at most
// MaxMessageBytes, or "" when there is none.
func ErrorMessage(body []byte) string {
	var room [4]flatjson.Member
	members, err := flatjson.ParseObjectInto(room[:0], body)
	if err != nil {
		return ""
	}
	m, _ := flatjson.Lookup(members, "message")
	return strings.Clone(flatjson.Truncate(m.Str, MaxMessageBytes)) // not a view of the body
}

// maxRetryAfter is the longest Retry-After taken at its word; a longer one is
// treated as unusable.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value, in seconds or as an HTTP date
// (the three forms RFC 9110 §5.6.7 says a recipient must accept: see
// parseHTTPDate), relative to now. It returns 0 when the value is absent or unusable: not
// delay-seconds (digits only) nor an HTTP date, in the past, or more than a
// day away.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, ok := parseHTTPDate(v); ok {
		d := t.Sub(now).Round(time.Second)
		if d > maxRetryAfter {
			return 0
		}
		return max(d, 0) // a date now or past: no wait
	}
	return 0
}

// isDigits reports whether s is one or more ASCII digits, the delay-seconds
// form (no sign, no fraction).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
