package auth_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
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

// endpoints are the contract's two calls, with the member of a 200 answer
// that holds each one's token and how long that token lives.
var endpoints = []struct {
	ep       auth.Endpoint
	name     string
	field    string
	lifetime time.Duration
	path     string
}{
	{auth.AuthUser, "auth_user", "refreshToken", 7 * 24 * time.Hour, "/v1/token/auth_user"},
	{auth.AuthRefresh, "auth_refresh", "idToken", 24 * time.Hour, "/v1/token/auth_refresh"},
}

func TestEndpoint(t *testing.T) {
	for _, e := range endpoints {
		assert.Equal(t, e.path, e.ep.Path(), e.name)
		assert.Equal(t, e.lifetime, e.ep.Lifetime(), e.name)
	}
	assert.Equal(t, auth.Path, auth.AuthUser.Path())
	assert.Equal(t, auth.RefreshPath, auth.AuthRefresh.Path())
	assert.Equal(t, auth.TokenLifetime, auth.AuthUser.Lifetime())
	assert.Equal(t, auth.IDTokenLifetime, auth.AuthRefresh.Lifetime())
	assert.Equal(t, "https://api.jquants.com", auth.DefaultBaseURL)
}

func TestDecodeToken(t *testing.T) {
	tests := []struct {
		name string
		body string // FIELD stands for the endpoint's token member
		want string
	}{
		{"plain", `{"FIELD":"abc.def.ghi"}`, "abc.def.ghi"},
		{"white space around", " \n\t{ \"FIELD\" : \"tok\" }\r\n ", "tok"},
		{"extra fields", `{"other":1,"FIELD":"tok","nested":{"FIELD":5}}`, "tok"},
		{"escapes decoded", `{"FIELD":"\u0041b\/c"}`, "Ab/c"},
		{"escaped key", `{"\u0046IELD":"tok"}`, "tok"},
		{"non-ASCII", `{"FIELD":"トークン"}`, "トークン"},
		{"the other endpoint's member too", `{"refreshToken":"tok","idToken":"tok"}`, "tok"},
	}
	for _, e := range endpoints {
		for _, tt := range tests {
			t.Run(e.name+"/"+tt.name, func(t *testing.T) {
				body := strings.ReplaceAll(tt.body, "FIELD", e.field)
				body = strings.ReplaceAll(body, `\u0046IELD`, `\u00`+strconv.FormatInt(int64(e.field[0]), 16)+e.field[1:])
				tok, err := e.ep.Decode(auth.Answer{StatusCode: 200, Body: []byte(body)}, t0)
				require.NoError(t, err)
				assert.Equal(t, tt.want, tok.Value)
				assert.Equal(t, t0, tok.IssuedAt)
				assert.Equal(t, t0.Add(e.lifetime), tok.ExpiresAt)
				assert.False(t, tok.Expired(t0))
				assert.False(t, tok.Expired(t0.Add(e.lifetime-time.Nanosecond)))
				assert.True(t, tok.Expired(t0.Add(e.lifetime)))
				assert.True(t, tok.Expired(t0.Add(30*24*time.Hour)))
				if e.ep == auth.AuthUser {
					same, err := auth.DecodeAnswer(auth.Answer{StatusCode: 200, Body: []byte(body)}, t0)
					require.NoError(t, err)
					assert.Equal(t, tok, same, "DecodeAnswer is AuthUser.Decode")
				}
			})
		}
	}
}

func TestDecode200WithoutToken(t *testing.T) {
	const notObject = "the answer is not a JSON object"
	tests := []struct {
		name string
		body string // FIELD stands for the endpoint's token member
		msg  string // "" for "the answer has no FIELD"
	}{
		{"empty body", ``, notObject},
		{"white space", " \n ", notObject},
		{"null", `null`, notObject},
		{"array", `[]`, notObject},
		{"array of token", `["tok"]`, notObject},
		{"string", `"tok"`, notObject},
		{"number", `42`, notObject},
		{"true", `true`, notObject},
		{"not JSON", `FIELD=tok`, notObject},
		{"HTML", "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>", notObject},
		{"truncated object", `{"FIELD":"tok`, notObject},
		{"trailing garbage", `{"FIELD":"tok"} x`, notObject},
		{"two objects", `{"FIELD":"a"}{"FIELD":"b"}`, notObject},
		// flatjson refuses what encoding/json tolerates: a duplicate key
		// (which would be last-wins there) and invalid UTF-8.
		{"duplicate token", `{"FIELD":"one","FIELD":"two"}`, notObject},
		{"duplicate other key", `{"a":1,"FIELD":"tok","a":2}`, notObject},
		{"invalid UTF-8 elsewhere", "{\"FIELD\":\"tok\",\"x\":\"\xff\"}", notObject},
		{"empty object", `{}`, ""},
		{"other fields", `{"message":"ok","code":"x"}`, ""},
		{"null token", `{"FIELD":null}`, ""},
		{"empty token", `{"FIELD":""}`, ""},
		{"number token", `{"FIELD":123}`, ""},
		{"boolean token", `{"FIELD":true}`, ""},
		{"array token", `{"FIELD":["tok"]}`, ""},
		{"object token", `{"FIELD":{"value":"tok"}}`, ""},
		{"case differs", `{"REFRESHTOKEN":"tok","IDTOKEN":"tok"}`, ""},
		{"only nested", `{"data":{"FIELD":"tok"}}`, ""},
	}
	for _, e := range endpoints {
		other := "idToken"
		if e.ep == auth.AuthRefresh {
			other = "refreshToken"
		}
		for _, tt := range append(tests, struct{ name, body, msg string }{"only the other endpoint's token", `{"` + other + `":"tok"}`, ""}) {
			t.Run(e.name+"/"+tt.name, func(t *testing.T) {
				body := strings.ReplaceAll(tt.body, "FIELD", e.field)
				msg := tt.msg
				if msg == "" {
					msg = "the answer has no " + e.field
				}
				tok, err := e.ep.Decode(auth.Answer{StatusCode: 200, Body: []byte(body)}, t0)
				assert.Zero(t, tok)
				e := assertKind(t, err, auth.ErrUnexpectedAnswer)
				assert.Equal(t, 200, e.StatusCode)
				assert.Equal(t, msg, e.Message)
				assert.Empty(t, e.Code)
				assert.Zero(t, e.RetryAfter)
				assert.EqualError(t, err, "auth: 200 unexpected answer: "+msg)
				assert.Equal(t, auth.CodeUpstreamError, auth.Code(err))
			})
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  auth.Header
		body    []byte
		kind    error
		message string // "GONE" for the endpoint's retirement message
		retry   time.Duration
		errText string // "GONE" likewise
		apiCode string
	}{
		{
			name: "400 documented", status: 400,
			body: jsonBody(map[string]string{"message": "'mailaddress' or 'password' is incorrect."}),
			kind: auth.ErrInvalidCredentials, message: "'mailaddress' or 'password' is incorrect.",
			errText: "auth: 400 credentials are incorrect: 'mailaddress' or 'password' is incorrect.",
			apiCode: auth.CodeInvalidCredentials,
		},
		{
			name: "400 without body", status: 400,
			kind:    auth.ErrInvalidCredentials,
			errText: "auth: 400 credentials are incorrect",
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
			kind: auth.ErrEndpointGone, message: "GONE",
			errText: "auth: 404 endpoint does not exist upstream: GONE", apiCode: auth.CodeEndpointGone,
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
			name: "201 with a token", status: 201, body: []byte(`{"refreshToken":"tok","idToken":"tok"}`),
			kind: auth.ErrUnexpectedStatus, errText: "auth: 201 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "308 redirect", status: 308, header: auth.Header{"Location": {"https://elsewhere.example/"}},
			kind: auth.ErrUnexpectedStatus, errText: "auth: 308 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "0", status: 0,
			kind: auth.ErrUnexpectedStatus, errText: "auth: 0 unexpected status", apiCode: auth.CodeUpstreamError,
		},
		// The proxy's {"code"} is read by the browser module, not here: the
		// kind comes from the status alone.
		{
			name: "proxy code not read", status: 502, body: []byte(`{"message":"timed out","code":"timeout"}`),
			kind: auth.ErrUnexpectedStatus, message: "timed out",
			errText: "auth: 502 unexpected status: timed out", apiCode: auth.CodeUpstreamError,
		},
		{
			name: "proxy code alone", status: 400, body: []byte(`{"code":"invalid_input"}`),
			kind: auth.ErrInvalidCredentials, errText: "auth: 400 credentials are incorrect", apiCode: auth.CodeInvalidCredentials,
		},
	}
	for _, ep := range endpoints {
		gone := "J-Quants retired its V1 API, " + ep.path + " included, on 2026-06-01"
		for _, tt := range tests {
			t.Run(ep.name+"/"+tt.name, func(t *testing.T) {
				tok, err := ep.ep.Decode(auth.Answer{StatusCode: tt.status, Header: tt.header, Body: tt.body}, t0)
				assert.Zero(t, tok)
				e := assertKind(t, err, tt.kind)
				assert.Equal(t, tt.status, e.StatusCode)
				assert.Equal(t, strings.ReplaceAll(tt.message, "GONE", gone), e.Message)
				assert.Empty(t, e.Code, "Decode never sets Code")
				assert.Equal(t, tt.retry, e.RetryAfter)
				assert.EqualError(t, err, strings.ReplaceAll(tt.errText, "GONE", gone))
				assert.Equal(t, tt.apiCode, auth.Code(err))
				assert.Equal(t, tt.apiCode, auth.Code(fmt.Errorf("wrapped: %w", err)))
			})
		}
	}
}

func TestEndpointGoneMessage(t *testing.T) {
	for _, e := range endpoints {
		_, err := e.ep.Decode(auth.Answer{StatusCode: 404}, t0)
		require.ErrorIs(t, err, auth.ErrEndpointGone)
		for _, s := range []string{"J-Quants", "retired", "V1", "2026-06-01", e.path} {
			assert.Contains(t, err.Error(), s)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	const n = auth.MaxMessageBytes
	require.Equal(t, 512, n)
	tests := []struct {
		name string
		body string
		want string
	}{
		{"documented", `{"message":"'mailaddress' or 'password' is incorrect."}`, "'mailaddress' or 'password' is incorrect."},
		{"escapes decoded", `{"message":"a\"b\\c\u3042\n"}`, "a\"b\\c\u3042\n"},
		{"other members ignored", `{"code":"x","message":"m","detail":{"message":"no"}}`, "m"},
		{"code not read", `{"code":"rate_limited"}`, ""},
		{"not a string", `{"message":["busy"]}`, ""},
		{"null", `{"message":null}`, ""},
		{"nested only", `{"error":{"message":"deep"}}`, ""},
		{"duplicate refused", `{"message":1,"message":"second"}`, ""},
		{"not an object", `"message"`, ""},
		{"empty", ``, ""},
		{"HTML", `<html>message</html>`, ""},
		// flatjson refuses invalid UTF-8 anywhere, so a message never holds it.
		{"invalid UTF-8", "{\"message\":\"bad \xff byte\"}", ""},
		{"exactly the limit", `{"message":"` + strings.Repeat("a", n) + `"}`, strings.Repeat("a", n)},
		{"one over", `{"message":"` + strings.Repeat("a", n+1) + `"}`, strings.Repeat("a", n)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, auth.ErrorMessage([]byte(tt.body)))
		})
	}
}

func TestDecodeMessageBounded(t *testing.T) {
	const n = auth.MaxMessageBytes
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

// TestRequests: the exact request of each endpoint. The refresh token goes
// in the query, percent-encoded as url.QueryEscape does it, with no body.
func TestRequests(t *testing.T) {
	creds, err := auth.NewCredentials("user@example.com", secretPassword)
	require.NoError(t, err)
	bases := []struct{ base, want string }{
		{"", "https://api.jquants.com"},
		{"http://127.0.0.1:8788", "http://127.0.0.1:8788"},
		{"http://127.0.0.1:8788/", "http://127.0.0.1:8788"},
		{"https://proxy.example//", "https://proxy.example"},
	}
	for _, b := range bases {
		r := auth.AuthUserRequest(b.base, creds)
		assert.Equal(t, b.want+"/v1/token/auth_user", r.URL, b.base)
		assert.Equal(t, creds.RequestBody(), r.Body)
		r = auth.AuthRefreshRequest(b.base, "tok")
		assert.Equal(t, b.want+"/v1/token/auth_refresh?refreshtoken=tok", r.URL, b.base)
		assert.Nil(t, r.Body, "auth_refresh has no body")
	}

	for _, tok := range []string{
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~",
		"a+b/c=d==", "100%25", "a&refreshtoken=b", "x#frag", "?", "space here", "é", visibleASCII(),
	} {
		r := auth.AuthRefreshRequest("https://api.example", tok)
		want := "https://api.example/v1/token/auth_refresh?refreshtoken=" + url.QueryEscape(tok)
		assert.Equal(t, want, r.URL, "%q", tok)
		u, err := url.Parse(r.URL)
		require.NoError(t, err)
		q, err := url.ParseQuery(u.RawQuery)
		require.NoError(t, err)
		assert.Equal(t, url.Values{"refreshtoken": {tok}}, q, "the query reads back as the token alone")
		assert.Empty(t, u.Fragment)
	}
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

func TestSentinelTexts(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{auth.ErrInvalidCredentials, "credentials are incorrect"},
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

// tokenVerbs are the verbs under which a Token hides its Value: String
// serves the string verbs and GoString %#v.
//
// A Token is not as strict as Credentials (the Value is meant to be sent,
// so it is an exported string): a verb that does not format as a string,
// %d for one, makes fmt print the fields, Value included, and
// encoding/json (so slog's JSON handler) writes Value too. The last asserts
// below pin that, so that whoever changes it sees this comment.
var tokenVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%20v", "%-20s", "%.3s"}

func TestTokenFormattingHidesValue(t *testing.T) {
	const secretToken = "eyJSecret.Refresh.Token-Value"
	tok := auth.Token{Value: secretToken, IssuedAt: t0, ExpiresAt: t0.Add(auth.TokenLifetime)}
	const want = "Token{Value:[REDACTED] IssuedAt:2026-01-02T03:04:05Z ExpiresAt:2026-01-09T03:04:05Z}"
	assert.Equal(t, want, tok.String())
	assert.Equal(t, "auth."+want, tok.GoString())
	for _, verb := range []string{"%v", "%+v", "%s"} {
		assert.Equal(t, want, fmt.Sprintf(verb, tok), verb)
		assert.Equal(t, want, fmt.Sprintf(verb, &tok), verb)
	}
	assert.Equal(t, strconv.Quote(want), fmt.Sprintf("%q", tok))
	assert.Equal(t, hex.EncodeToString([]byte(want)), fmt.Sprintf("%x", tok))
	assert.Equal(t, "auth."+want, fmt.Sprintf("%#v", tok))

	var idTok auth.IDToken = tok // the aliases are the same type
	var refresh auth.RefreshToken = idTok
	assert.Equal(t, want, fmt.Sprint(refresh))

	for name, v := range map[string]any{"value": tok, "pointer": &tok} {
		t.Run(name, func(t *testing.T) {
			r := map[string]string{}
			for _, verb := range tokenVerbs {
				r[verb] = fmt.Sprintf(verb, v)
				r["slice "+verb] = fmt.Sprintf(verb, []any{v})
				r["struct "+verb] = fmt.Sprintf(verb, struct{ T any }{v})
			}
			r["Sprint"] = fmt.Sprint(v)
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("issued", "token", v)
			r["slog text"] = buf.String()
			assertHidden(t, r, secretToken)
		})
	}

	// The documented limits (see tokenVerbs).
	fieldVerb := "%d" // in a variable: vet rightly flags %d on a Token
	assert.Contains(t, fmt.Sprintf(fieldVerb, tok), secretToken, "%d prints the fields")
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	assert.Contains(t, string(b), secretToken, "encoding/json writes Value")
	// Value is there for whoever needs to send it.
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
		{"refresh token input", auth.CheckRefreshToken(""), auth.CodeInvalidInput},
		{"400", decoded(400, ""), auth.CodeInvalidCredentials},
		{"403", decoded(403, ""), auth.CodeForbidden},
		{"429", decoded(429, ""), auth.CodeRateLimited},
		{"404", decoded(404, ""), auth.CodeEndpointGone},
		{"500", decoded(500, ""), auth.CodeUpstreamError},
		{"502", decoded(502, ""), auth.CodeUpstreamError},
		{"200 without token", decoded(200, "{}"), auth.CodeUpstreamError},
		{"hand-built Error", &auth.Error{StatusCode: 500}, auth.CodeUpstreamError},
		{"a proxy code in the body is not read", decoded(500, `{"code":"canceled"}`), auth.CodeUpstreamError},
		{"Code set by an edge is kept", &auth.Error{StatusCode: 502, Code: auth.CodeTimeout}, auth.CodeTimeout},
		{"Code set by an edge, wrapped", fmt.Errorf("w: %w", &auth.Error{StatusCode: 400, Code: "origin_not_allowed"}), "origin_not_allowed"},
		{"sentinel alone", auth.ErrRateLimited, auth.CodeRateLimited},
		{"network", &auth.NetworkError{Err: errors.New("connection refused")}, auth.CodeNetwork},
		{"plain error", errors.New("something"), auth.CodeNetwork},
		{"deadline", fmt.Errorf("auth: no answer in time: %w", context.DeadlineExceeded), auth.CodeTimeout},
		{"canceled", fmt.Errorf("auth: %w", context.Canceled), auth.CodeCanceled},
		{"network timeout", &auth.NetworkError{Err: context.DeadlineExceeded}, auth.CodeTimeout},
		{"network canceled", &auth.NetworkError{Err: context.Canceled}, auth.CodeCanceled},
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

// Regression: the message was decoded together with other members, so a
// malformed one of those threw away upstream's message. Only "message" is
// read now; a body flatjson refuses (a duplicate key) has none.
func TestDecodeMessageAlone(t *testing.T) {
	tests := []struct {
		name, body, message string
	}{
		{"code not a string", `{"message":"busy","code":7}`, "busy"},
		{"code an object", `{"code":{"a":[1]},"message":"busy"}`, "busy"},
		{"message not a string", `{"message":["busy"],"code":"upstream_error"}`, ""},
		{"duplicate message refused", `{"message":1,"message":"second"}`, ""},
		{"null message", `{"message":null}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.DecodeAnswer(auth.Answer{StatusCode: 500, Body: []byte(tt.body)}, t0)
			e := assertKind(t, err, auth.ErrUpstreamFailure)
			assert.Equal(t, tt.message, e.Message)
			assert.Empty(t, e.Code)
		})
	}
}
