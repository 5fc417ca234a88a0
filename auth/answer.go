package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Contract constants (J-Quants API V1, POST /v1/token/auth_user).
const (
	DefaultBaseURL = "https://api.jquants.com"
	Path           = "/v1/token/auth_user"
	// TokenLifetime is how long a refresh token is valid: one week, as the contract states.
	TokenLifetime = 7 * 24 * time.Hour
	// MaxAnswerBytes bounds how much of an answer body is read.
	MaxAnswerBytes = 64 << 10
	// MaxMessageBytes bounds an upstream message kept in an *Error.
	MaxMessageBytes = 512
)

// RequestBody is the exact JSON body the endpoint takes:
// {"mailaddress":"…","password":"…"}.
func (c Credentials) RequestBody() ([]byte, error) {
	return json.Marshal(struct {
		MailAddress string `json:"mailaddress"`
		Password    string `json:"password"`
	}{c.MailAddress, c.Password})
}

// RefreshToken is what a successful login yields.
// String hides the token so that logging a RefreshToken does not leak it.
type RefreshToken struct {
	Value     string
	IssuedAt  time.Time
	ExpiresAt time.Time // IssuedAt + TokenLifetime
}

// String shows the times, not the token.
func (t RefreshToken) String() string {
	return "RefreshToken{Value:" + redacted + " IssuedAt:" + t.IssuedAt.Format(time.RFC3339) +
		" ExpiresAt:" + t.ExpiresAt.Format(time.RFC3339) + "}"
}

// GoString keeps %#v from printing the token.
func (t RefreshToken) GoString() string { return "auth." + t.String() }

// Format makes every verb go through String (%#v through GoString), so %x or
// %q cannot print the token.
func (t RefreshToken) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, t.GoString())
		return
	}
	fmt.Fprint(f, t.String())
}

// MarshalJSON hides the token from json.Marshal and slog; send Value explicitly.
func (t RefreshToken) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// Expired reports whether the token is past its expiry at now.
func (t RefreshToken) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

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
func ReadBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxAnswerBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxAnswerBytes {
		return nil, ErrAnswerTooLarge
	}
	return b, nil
}

// DecodeAnswer turns an answer into a refresh token issued at now, or an error.
//
//   - 200 with a non-empty string refreshToken: the token.
//   - 200 otherwise: an *Error matching ErrUnexpectedAnswer.
//   - 400, 403, 500: an *Error with upstream's message, matching
//     ErrInvalidCredentials, ErrForbidden or ErrUpstreamFailure.
//   - 429: an *Error matching ErrRateLimited, with RetryAfter when given.
//   - anything else: an *Error naming the status (404: ErrEndpointGone).
func DecodeAnswer(a Answer, now time.Time) (RefreshToken, error) {
	if a.StatusCode == 200 {
		// The token is decoded in a second step so that a JSON object whose
		// refreshToken is a number, say, is reported as having no token rather
		// than as not being JSON.
		var ok struct {
			RefreshToken json.RawMessage `json:"refreshToken"`
		}
		if !isJSONObject(a.Body) || json.Unmarshal(a.Body, &ok) != nil {
			return RefreshToken{}, &Error{StatusCode: 200, kind: ErrUnexpectedAnswer, Message: "the answer is not a JSON object"}
		}
		tok := jsonString(ok.RefreshToken)
		if tok == "" {
			return RefreshToken{}, &Error{StatusCode: 200, kind: ErrUnexpectedAnswer, Message: "the answer has no refreshToken"}
		}
		return RefreshToken{Value: tok, IssuedAt: now, ExpiresAt: now.Add(TokenLifetime)}, nil
	}
	e := &Error{StatusCode: a.StatusCode, RetryAfter: ParseRetryAfter(a.Header.Get("Retry-After"), now)}
	e.Message, e.Code = errorBody(a.Body)
	switch a.StatusCode {
	case 400:
		e.kind = ErrInvalidCredentials
	case 403:
		e.kind = ErrForbidden
	case 500:
		e.kind = ErrUpstreamFailure
	case 429:
		e.kind = ErrRateLimited
	case 404:
		e.kind = ErrEndpointGone
		e.Message = endpointGoneMessage
	default:
		e.kind = ErrUnexpectedStatus
	}
	return RefreshToken{}, e
}

// endpointGoneMessage explains a 404: the path is fixed by the contract, so a
// 404 means the upstream no longer has it.
const endpointGoneMessage = "J-Quants retired its V1 API, " + Path + " included, on 2026-06-01"

// isJSONObject is a cheap pre-check: json.Unmarshal into a struct accepts
// "null", which must not count as an answer.
func isJSONObject(b []byte) bool {
	s := strings.TrimSpace(string(b))
	return strings.HasPrefix(s, "{")
}

// errorBody extracts {"message": "...", "code": "..."} from an error body,
// the message bounded to MaxMessageBytes. J-Quants sends only a message; our
// proxy adds a code. Missing or malformed fields yield "", each on its own: a
// code that is not a string does not cost the message.
func errorBody(body []byte) (message, code string) {
	var m struct {
		Message json.RawMessage `json:"message"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	message, code = jsonString(m.Message), jsonString(m.Code)
	if !isCode(code) {
		code = ""
	}
	return truncate(message, MaxMessageBytes), code
}

// jsonString is the string raw holds, or "" if it holds something else.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// isCode accepts short snake_case words, the shape of our stable codes.
func isCode(s string) bool {
	if len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// maxRetryAfter is the longest Retry-After taken at its word; a longer one is
// treated as unusable.
const maxRetryAfter = 24 * time.Hour

// httpDateLayouts are the three HTTP-date forms RFC 9110 §5.6.7 says a
// recipient must accept, as net/http.ParseTime has them: IMF-fixdate, then
// the obsolete RFC 850 and asctime forms. All are in GMT.
var httpDateLayouts = [...]string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

// ParseRetryAfter reads a Retry-After value, in seconds or as an HTTP date,
// relative to now. It returns 0 when the value is absent or unusable: not
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
	for _, layout := range httpDateLayouts {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if d := t.Sub(now).Round(time.Second); d > 0 && d <= maxRetryAfter {
			return d
		}
		return 0
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

// Sentinels for errors.Is. Every *Error matches exactly one of the first seven.
var (
	ErrInvalidCredentials = errors.New("mail address or password is incorrect") // 400
	ErrForbidden          = errors.New("forbidden")                             // 403
	ErrUpstreamFailure    = errors.New("upstream failure")                      // 500
	ErrRateLimited        = errors.New("rate limited")                          // 429
	ErrEndpointGone       = errors.New("endpoint does not exist upstream")      // 404
	ErrUnexpectedStatus   = errors.New("unexpected status")                     // any other status
	ErrUnexpectedAnswer   = errors.New("unexpected answer")                     // 200 without a usable token

	ErrInvalidInput   = errors.New("invalid input")                     // every *InputError
	ErrAnswerTooLarge = errors.New("answer body is larger than 64 KiB") // from ReadBody
)

// Error is an answer other than a refresh token. Match it with errors.As, or
// its kind with errors.Is and the sentinels above.
type Error struct {
	StatusCode int           // the upstream HTTP status
	Message    string        // upstream's message, at most MaxMessageBytes; may be empty
	Code       string        // a stable code, when the answer came through our proxy
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
