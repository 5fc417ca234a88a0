package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// t0 is a fixed "now" for decoding.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// kinds are the seven sentinels of which every *Error matches exactly one.
var kinds = []error{
	auth.ErrInvalidCredentials, auth.ErrForbidden, auth.ErrUpstreamFailure, auth.ErrRateLimited,
	auth.ErrEndpointGone, auth.ErrUnexpectedStatus, auth.ErrUnexpectedAnswer,
}

// assertKind checks err is an *Error matching want and none of the other kinds.
func assertKind(t *testing.T, err error, want error) *auth.Error {
	t.Helper()
	var e *auth.Error
	require.ErrorAs(t, err, &e)
	for _, k := range kinds {
		assert.Equal(t, k == want, errors.Is(err, k), "errors.Is(%v, %v)", err, k)
	}
	assert.Equal(t, want, e.Kind())
	return e
}

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeAnswerToken(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"plain", `{"refreshToken":"abc.def.ghi"}`, "abc.def.ghi"},
		{"white space around", " \n\t{ \"refreshToken\" : \"tok\" }\r\n ", "tok"},
		{"extra fields", `{"other":1,"refreshToken":"tok","nested":{"refreshToken":5}}`, "tok"},
		{"escapes decoded", `{"refreshToken":"\u0041b\/c"}`, "Ab/c"},
		{"last duplicate wins", `{"refreshToken":"one","refreshToken":"two"}`, "two"},
		{"non-ASCII", `{"refreshToken":"トークン"}`, "トークン"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := auth.DecodeAnswer(auth.Answer{StatusCode: 200, Body: []byte(tt.body)}, t0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tok.Value)
			assert.Equal(t, t0, tok.IssuedAt)
			assert.Equal(t, t0.Add(7*24*time.Hour), tok.ExpiresAt)
			assert.Equal(t, 7*24*time.Hour, auth.TokenLifetime)
			assert.False(t, tok.Expired(t0))
			assert.False(t, tok.Expired(t0.Add(auth.TokenLifetime-time.Nanosecond)))
			assert.True(t, tok.Expired(t0.Add(auth.TokenLifetime)))
			assert.True(t, tok.Expired(t0.Add(30*24*time.Hour)))
		})
	}
}

func TestDecodeAnswer200WithoutToken(t *testing.T) {
	const (
		notObject = "the answer is not a JSON object"
		noToken   = "the answer has no refreshToken"
	)
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"empty body", ``, notObject},
		{"white space", " \n ", notObject},
		{"null", `null`, notObject},
		{"array", `[]`, notObject},
		{"array of token", `["tok"]`, notObject},
		{"string", `"tok"`, notObject},
		{"number", `42`, notObject},
		{"true", `true`, notObject},
		{"not JSON", `refreshToken=tok`, notObject},
		{"HTML", "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", notObject},
		{"truncated object", `{"refreshToken":"tok`, notObject},
		{"trailing garbage", `{"refreshToken":"tok"} x`, notObject},
		{"two objects", `{"refreshToken":"a"}{"refreshToken":"b"}`, notObject},
		{"empty object", `{}`, noToken},
		{"other fields", `{"idToken":"tok","message":"ok"}`, noToken},
		{"null token", `{"refreshToken":null}`, noToken},
		{"empty token", `{"refreshToken":""}`, noToken},
		{"number token", `{"refreshToken":123}`, noToken},
		{"boolean token", `{"refreshToken":true}`, noToken},
		{"array token", `{"refreshToken":["tok"]}`, noToken},
		{"object token", `{"refreshToken":{"value":"tok"}}`, noToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := auth.DecodeAnswer(auth.Answer{StatusCode: 200, Body: []byte(tt.body)}, t0)
			assert.Zero(t, tok)
			e := assertKind(t, err, auth.ErrUnexpectedAnswer)
			assert.Equal(t, 200, e.StatusCode)
			assert.Equal(t, tt.msg, e.Message)
			assert.Empty(t, e.Code)
			assert.Zero(t, e.RetryAfter)
			assert.EqualError(t, err, "auth: 200 unexpected answer: "+tt.msg)
			assert.Equal(t, auth.CodeUpstreamError, auth.Code(err))
		})
	}
}

func TestDecodeAnswerErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  auth.Header
		body    []byte
		kind    error
		message string
		code    string
		retry   time.Duration
		errText string
		apiCode string
	}{
		{
			name: "400 documented", status: 400,
			body: jsonBody(map[string]string{"message": "'mailaddress' or 'password' is incorrect."}),
			kind: auth.ErrInvalidCredentials, message: "'mailaddress' or 'password' is incorrect.",
			errText: "auth: 400 mail address or password is incorrect: 'mailaddress' or 'password' is incorrect.",
			apiCode: auth.CodeInvalidCredentials,
		},
		{
			name: "400 without body", status: 400,
			kind:    auth.ErrInvalidCredentials,
			errText: "auth: 400 mail address or password is incorrect",
			apiCode: auth.CodeInvalidCredentials,
		},
		{
			name: "403", status: 403,
			body: jsonBody(map[string]string{"message": "Missing Authentication Token"}),
			kind: auth.ErrForbidden, message: "Missing Authentication Token",
			errText: "auth: 403 forbidden: Missing Authentication Token",
			apiCode: auth.CodeForbidden,
		},
		{
			name: "403 HTML", status: 403, body: []byte("<html>Forbidden</html>"),
			kind: auth.ErrForbidden, errText: "auth: 403 forbidden", apiCode: auth.CodeForbidden,
		},
		{
			name: "500 documented", status: 500,
			body: jsonBody(map[string]string{"message": "Unexpected error. Please try again later."}),
			kind: auth.ErrUpstreamFailure, message: "Unexpected error. Please try again later.",
			errText: "auth: 500 upstream failure: Unexpected error. Please try again later.",
			apiCode: auth.CodeUpstreamError,
		},
		{
			name: "500 message not a string", status: 500, body: []byte(`{"message":42}`),
			kind: auth.ErrUpstreamFailure, errText: "auth: 500 upstream failure", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "500 null body", status: 500, body: []byte(`null`),
			kind: auth.ErrUpstreamFailure, errText: "auth: 500 upstream failure", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "429 with seconds", status: 429, header: auth.Header{"Retry-After": {"30"}},
			body: []byte(`{"message":"Too Many Requests"}`),
			kind: auth.ErrRateLimited, message: "Too Many Requests", retry: 30 * time.Second,
			errText: "auth: 429 rate limited: Too Many Requests (retry after 30s)",
			apiCode: auth.CodeRateLimited,
		},
		{
			name: "429 with HTTP date", status: 429,
			header: auth.Header{"retry-after": {t0.Add(2 * time.Minute).Format("Mon, 02 Jan 2006 15:04:05 GMT")}},
			kind:   auth.ErrRateLimited, retry: 2 * time.Minute,
			errText: "auth: 429 rate limited (retry after 2m0s)",
			apiCode: auth.CodeRateLimited,
		},
		{
			name: "429 with garbage Retry-After", status: 429, header: auth.Header{"Retry-After": {"soon"}},
			kind: auth.ErrRateLimited, errText: "auth: 429 rate limited", apiCode: auth.CodeRateLimited,
		},
		{
			name: "429 with negative Retry-After", status: 429, header: auth.Header{"Retry-After": {"-5"}},
			kind: auth.ErrRateLimited, errText: "auth: 429 rate limited", apiCode: auth.CodeRateLimited,
		},
		{
			name: "429 without Retry-After", status: 429,
			kind: auth.ErrRateLimited, errText: "auth: 429 rate limited", apiCode: auth.CodeRateLimited,
		},
		{
			name: "404 replaces upstream's message", status: 404, body: []byte(`{"message":"Not Found"}`),
			kind:    auth.ErrEndpointGone,
			message: "J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01",
			errText: "auth: 404 endpoint does not exist upstream: J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01",
			apiCode: auth.CodeEndpointGone,
		},
		{
			name: "502", status: 502, body: []byte("<html>Bad Gateway</html>"),
			kind: auth.ErrUnexpectedStatus, errText: "auth: 502 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "503 with Retry-After", status: 503, header: auth.Header{"Retry-After": {"7"}},
			body: []byte(`{"message":"Service Unavailable"}`),
			kind: auth.ErrUnexpectedStatus, message: "Service Unavailable", retry: 7 * time.Second,
			errText: "auth: 503 unexpected status: Service Unavailable (retry after 7s)",
			apiCode: auth.CodeUpstreamError,
		},
		{
			name: "401", status: 401,
			kind: auth.ErrUnexpectedStatus, errText: "auth: 401 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "201", status: 201, body: []byte(`{"refreshToken":"tok"}`),
			kind: auth.ErrUnexpectedStatus, errText: "auth: 201 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "308 redirect", status: 308, header: auth.Header{"Location": {"https://elsewhere.example/"}},
			kind: auth.ErrUnexpectedStatus, errText: "auth: 308 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "proxy code kept", status: 429, body: []byte(`{"message":"slow down","code":"rate_limited"}`),
			kind: auth.ErrRateLimited, message: "slow down", code: "rate_limited",
			errText: "auth: 429 rate limited: slow down", apiCode: "rate_limited",
		},
		{
			name: "proxy code wins over the status", status: 502, body: []byte(`{"message":"timed out","code":"timeout"}`),
			kind: auth.ErrUnexpectedStatus, message: "timed out", code: "timeout",
			errText: "auth: 502 unexpected status: timed out", apiCode: auth.CodeTimeout,
		},
		{
			name: "code of 32 letters kept", status: 400, body: []byte(`{"code":"` + strings.Repeat("a", 32) + `"}`),
			kind: auth.ErrInvalidCredentials, code: strings.Repeat("a", 32),
			errText: "auth: 400 mail address or password is incorrect", apiCode: strings.Repeat("a", 32),
		},
		{
			name: "code of 33 letters dropped", status: 400, body: []byte(`{"code":"` + strings.Repeat("a", 33) + `"}`),
			kind:    auth.ErrInvalidCredentials,
			errText: "auth: 400 mail address or password is incorrect", apiCode: auth.CodeInvalidCredentials,
		},
		{
			name: "code not snake_case dropped", status: 403, body: []byte(`{"message":"m","code":"Bad-Code"}`),
			kind: auth.ErrForbidden, message: "m",
			errText: "auth: 403 forbidden: m", apiCode: auth.CodeForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := auth.DecodeAnswer(auth.Answer{StatusCode: tt.status, Header: tt.header, Body: tt.body}, t0)
			assert.Zero(t, tok)
			e := assertKind(t, err, tt.kind)
			assert.Equal(t, tt.status, e.StatusCode)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.retry, e.RetryAfter)
			assert.EqualError(t, err, tt.errText)
			assert.Equal(t, tt.apiCode, auth.Code(err))
			assert.Equal(t, tt.apiCode, auth.Code(fmt.Errorf("wrapped: %w", err)))
		})
	}
}

func TestEndpointGoneMessage(t *testing.T) {
	_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 404}, t0)
	require.ErrorIs(t, err, auth.ErrEndpointGone)
	for _, s := range []string{"J-Quants", "retired", "V1", "2026-06-01"} {
		assert.Contains(t, err.Error(), s)
	}
}

func TestDecodeAnswerMessageBounded(t *testing.T) {
	const n = auth.MaxMessageBytes
	require.Equal(t, 512, n)
	tests := []struct {
		name    string
		message string
		want    string
	}{
		{"short", "short", "short"},
		{"exactly the limit", strings.Repeat("a", n), strings.Repeat("a", n)},
		{"one over", strings.Repeat("a", n+1), strings.Repeat("a", n)},
		{"far over", strings.Repeat("b", 10*n), strings.Repeat("b", n)},
		{"3-byte rune across the limit by 1", strings.Repeat("a", n-2) + "あ", strings.Repeat("a", n-2)},
		{"3-byte rune across the limit by 2", strings.Repeat("a", n-1) + "あ", strings.Repeat("a", n-1)},
		{"3-byte rune ending at the limit", strings.Repeat("a", n-3) + "あい", strings.Repeat("a", n-3) + "あ"},
		{"4-byte runes", strings.Repeat("🔑", 200), strings.Repeat("🔑", n/4)},
		{"2-byte runes odd offset", "x" + strings.Repeat("é", 300), "x" + strings.Repeat("é", (n-1)/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 500, Body: jsonBody(map[string]string{"message": tt.message})}, t0)
			e := assertKind(t, err, auth.ErrUpstreamFailure)
			assert.Equal(t, tt.want, e.Message)
			assert.LessOrEqual(t, len(e.Message), n)
			assert.True(t, utf8.ValidString(e.Message))
		})
	}
}

func TestDecodeAnswerMessageInvalidUTF8(t *testing.T) {
	// encoding/json turns invalid UTF-8 into U+FFFD, so the message stays valid.
	_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 400, Body: []byte("{\"message\":\"bad \xff byte\"}")}, t0)
	e := assertKind(t, err, auth.ErrInvalidCredentials)
	assert.Equal(t, "bad \uFFFD byte", e.Message)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	imf := func(d time.Duration) string { return now.Add(d).Format("Mon, 02 Jan 2006 15:04:05 GMT") }
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"absent", "", 0},
		{"blank", "   ", 0},
		{"zero", "0", 0},
		{"one second", "1", time.Second},
		{"padded", " 30 ", 30 * time.Second},
		{"leading zeros", "007", 7 * time.Second},
		{"a day", "86400", 24 * time.Hour},
		{"over a day", "86401", 0},
		{"overflowing", "99999999999999999999", 0},
		{"negative", "-5", 0},
		{"plus sign", "+5", 0},
		{"fraction", "1.5", 0},
		{"unit", "5s", 0},
		{"garbage", "soon", 0},
		{"IMF-fixdate", imf(90 * time.Second), 90 * time.Second},
		{"IMF-fixdate in an hour", imf(time.Hour), time.Hour},
		{"IMF-fixdate a day on", imf(24 * time.Hour), 24 * time.Hour},
		{"IMF-fixdate over a day on", imf(25 * time.Hour), 0},
		{"IMF-fixdate now", imf(0), 0},
		{"IMF-fixdate past", imf(-time.Minute), 0},
		{"RFC 850", now.Add(45 * time.Second).Format("Monday, 02-Jan-06 15:04:05 GMT"), 45 * time.Second},
		{"asctime", now.Add(10 * time.Minute).Format("Mon Jan _2 15:04:05 2006"), 10 * time.Minute},
		{"not GMT", now.Add(time.Hour).Format("Mon, 02 Jan 2006 15:04:05") + " PST", 0},
		{"numeric zone", now.Add(time.Hour).Format(time.RFC1123Z), 0},
		{"ISO 8601", now.Add(time.Hour).Format(time.RFC3339), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, auth.ParseRetryAfter(tt.value, now))
		})
	}

	t.Run("rounded to the second", func(t *testing.T) {
		at := now.Add(400 * time.Millisecond)
		assert.Equal(t, 60*time.Second, auth.ParseRetryAfter(imf(time.Minute), now.Add(-400*time.Millisecond)))
		assert.Equal(t, 60*time.Second, auth.ParseRetryAfter(imf(time.Minute), at))
	})
}

func TestReadBody(t *testing.T) {
	require.Equal(t, 64<<10, auth.MaxAnswerBytes)
	tests := []struct {
		name    string
		size    int
		wantErr error
	}{
		{"empty", 0, nil},
		{"small", 10, nil},
		{"one under the limit", 65535, nil},
		{"exactly the limit", 65536, nil},
		{"one over the limit", 65537, auth.ErrAnswerTooLarge},
		{"far over the limit", 1 << 20, auth.ErrAnswerTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := bytes.Repeat([]byte("x"), tt.size)
			b, err := auth.ReadBody(bytes.NewReader(src))
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, b)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, src, b)
		})
	}

	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := auth.ReadBody(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)))
		assert.ErrorIs(t, err, boom)
	})
	t.Run("one byte at a time", func(t *testing.T) {
		b, err := auth.ReadBody(iotest.OneByteReader(strings.NewReader(`{"refreshToken":"t"}`)))
		require.NoError(t, err)
		assert.Equal(t, `{"refreshToken":"t"}`, string(b))
	})
	assert.Equal(t, "answer body is larger than 64 KiB", auth.ErrAnswerTooLarge.Error())
}

func TestHeaderGet(t *testing.T) {
	h := auth.Header{
		"Retry-After":  {"1", "2"},
		"x-lower":      {"lower"},
		"Empty":        {},
		"Content-Type": {"application/json"},
	}
	tests := []struct{ key, want string }{
		{"Retry-After", "1"},
		{"retry-after", "1"},
		{"RETRY-AFTER", "1"},
		{"X-Lower", "lower"},
		{"x-lower", "lower"},
		{"Empty", ""},
		{"Missing", ""},
		{"content-type", "application/json"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, h.Get(tt.key), tt.key)
	}
	assert.Equal(t, "", auth.Header(nil).Get("Retry-After"))
}

func TestErrorByHand(t *testing.T) {
	tests := []struct {
		name string
		err  *auth.Error
		want string
	}{
		{"zero", &auth.Error{}, "auth: 0 unexpected status"},
		{"status", &auth.Error{StatusCode: 418}, "auth: 418 unexpected status"},
		{"message", &auth.Error{StatusCode: 418, Message: "teapot"}, "auth: 418 unexpected status: teapot"},
		{"retry", &auth.Error{StatusCode: 503, RetryAfter: 1500 * time.Millisecond}, "auth: 503 unexpected status (retry after 1.5s)"},
		{"all", &auth.Error{StatusCode: 503, Message: "busy", Code: "upstream_error", RetryAfter: time.Minute}, "auth: 503 unexpected status: busy (retry after 1m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assertKind(t, tt.err, auth.ErrUnexpectedStatus)
		})
	}
}

func TestSentinelTexts(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{auth.ErrInvalidCredentials, "mail address or password is incorrect"},
		{auth.ErrForbidden, "forbidden"},
		{auth.ErrUpstreamFailure, "upstream failure"},
		{auth.ErrRateLimited, "rate limited"},
		{auth.ErrEndpointGone, "endpoint does not exist upstream"},
		{auth.ErrUnexpectedStatus, "unexpected status"},
		{auth.ErrUnexpectedAnswer, "unexpected answer"},
		{auth.ErrInvalidInput, "invalid input"},
		{auth.ErrAnswerTooLarge, "answer body is larger than 64 KiB"},
	}
	for _, tt := range tests {
		assert.EqualError(t, tt.err, tt.want)
	}
}

func TestRefreshTokenFormattingHidesToken(t *testing.T) {
	const secretToken = "eyJSecret.Refresh.Token-Value"
	tok := auth.RefreshToken{Value: secretToken, IssuedAt: t0, ExpiresAt: t0.Add(auth.TokenLifetime)}
	const want = "RefreshToken{Value:[REDACTED] IssuedAt:2026-01-02T03:04:05Z ExpiresAt:2026-01-09T03:04:05Z}"
	assert.Equal(t, want, tok.String())
	assert.Equal(t, "auth."+want, tok.GoString())
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%d"} {
		assert.Equal(t, want, fmt.Sprintf(verb, tok), verb)
	}
	assert.Equal(t, "auth."+want, fmt.Sprintf("%#v", tok))
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.Equal(t, `"`+want+`"`, string(b))

	for name, v := range map[string]any{"value": tok, "pointer": &tok} {
		t.Run(name, func(t *testing.T) {
			assertHidden(t, formats(t, v), secretToken)
		})
	}
	// Value is still there for whoever needs to send it.
	assert.Equal(t, secretToken, tok.Value)
}

func TestCode(t *testing.T) {
	decoded := func(status int, body string) error {
		_, err := auth.DecodeAnswer(auth.Answer{StatusCode: status, Body: []byte(body)}, t0)
		return err
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"input", &auth.InputError{Field: auth.FieldPassword, Reason: "is required"}, auth.CodeInvalidInput},
		{"input wrapped", fmt.Errorf("x: %w", &auth.InputError{}), auth.CodeInvalidInput},
		{"400", decoded(400, ""), auth.CodeInvalidCredentials},
		{"403", decoded(403, ""), auth.CodeForbidden},
		{"429", decoded(429, ""), auth.CodeRateLimited},
		{"404", decoded(404, ""), auth.CodeEndpointGone},
		{"500", decoded(500, ""), auth.CodeUpstreamError},
		{"502", decoded(502, ""), auth.CodeUpstreamError},
		{"200 without token", decoded(200, "{}"), auth.CodeUpstreamError},
		{"hand-built Error", &auth.Error{StatusCode: 500}, auth.CodeUpstreamError},
		{"proxy code", decoded(500, `{"code":"canceled"}`), auth.CodeCanceled},
		{"sentinel alone", auth.ErrRateLimited, auth.CodeRateLimited},
		{"network", &auth.NetworkError{Err: errors.New("connection refused")}, auth.CodeNetwork},
		{"plain error", errors.New("something"), auth.CodeNetwork},
		{"deadline", fmt.Errorf("auth: no answer in time: %w", context.DeadlineExceeded), auth.CodeTimeout},
		{"canceled", fmt.Errorf("auth: %w", context.Canceled), auth.CodeCanceled},
		{"network timeout", &auth.NetworkError{Err: context.DeadlineExceeded}, auth.CodeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, auth.Code(tt.err))
		})
	}
	codes := []string{
		auth.CodeInvalidInput, auth.CodeInvalidCredentials, auth.CodeForbidden, auth.CodeRateLimited,
		auth.CodeUpstreamError, auth.CodeEndpointGone, auth.CodeTimeout, auth.CodeNetwork, auth.CodeCanceled,
	}
	assert.Equal(t, []string{
		"invalid_input", "invalid_credentials", "forbidden", "rate_limited",
		"upstream_error", "endpoint_gone", "timeout", "network", "canceled",
	}, codes)
}

// Regression: the message and code were decoded together, so a malformed
// code (or a duplicate key of another type) threw away upstream's message.
func TestDecodeAnswerFieldsDecodedSeparately(t *testing.T) {
	tests := []struct {
		name, body, message, code string
	}{
		{"code not a string", `{"message":"busy","code":7}`, "busy", ""},
		{"message not a string", `{"message":["busy"],"code":"upstream_error"}`, "", "upstream_error"},
		{"last duplicate wins", `{"message":1,"message":"second"}`, "second", ""},
		{"null message", `{"message":null}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 500, Body: []byte(tt.body)}, t0)
			e := assertKind(t, err, auth.ErrUpstreamFailure)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, tt.code, e.Code)
		})
	}
}
