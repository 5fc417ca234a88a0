//go:build !js

package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

const (
	demoMail     = authtest.DemoMailAddress
	demoPassword = authtest.DemoPassword
	// secretPassword is sent in bodies the proxy rejects; it must never be echoed or logged.
	secretPassword = "s3cret-P4ssw0rd-never-echo"
	allowedOrigin  = "http://localhost:8787"
	evilOrigin     = "https://evil.example"

	varyOrigin    = "Origin"
	varyPreflight = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
)

var demoBody = `{"mailaddress":"` + demoMail + `","password":"` + demoPassword + `"}`

// syncBuffer is a log writer shared by handlers running concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// body is a decoded answer.
type body struct {
	RefreshToken string `json:"refreshToken"`
	IDToken      string `json:"idToken"`
	Message      string `json:"message"`
	Code         string `json:"code"`
}

// decode checks the headers every answer carries and decodes its JSON body
// (strictly: only the known fields, nothing after the object).
func decode(t *testing.T, rr *httptest.ResponseRecorder) body {
	t.Helper()
	h := rr.Header()
	assert.Equal(t, []string{"no-store"}, h.Values("Cache-Control"), "Cache-Control")
	assert.Equal(t, []string{"nosniff"}, h.Values("X-Content-Type-Options"))
	require.Len(t, h.Values("Vary"), 1, "Vary on every answer, once")
	assert.Contains(t, []string{varyOrigin, varyPreflight}, h.Get("Vary"))
	var b body
	if rr.Code == http.StatusNoContent {
		assert.Empty(t, rr.Body.String(), "204 body")
		assert.Empty(t, h.Values("Content-Type"))
		return b
	}
	assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
	dec := json.NewDecoder(bytes.NewReader(rr.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b), "body %q", rr.Body.String())
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "data after the JSON answer")
	if rr.Code == http.StatusOK {
		assert.NotEqual(t, b.RefreshToken == "", b.IDToken == "", "one token")
		assert.Empty(t, b.Message+b.Code)
	} else {
		assert.Empty(t, b.RefreshToken+b.IDToken)
		assert.NotEmpty(t, b.Message)
		assert.NotEmpty(t, b.Code)
	}
	return b
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by caller") }

// transportFunc adapts a function to auth.Transport, for the faults the fake
// cannot produce: a transport that panics or ignores its context.
type transportFunc func(ctx context.Context, url string, body []byte) (auth.Answer, error)

func (f transportFunc) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	return f(ctx, url, body)
}

// login gets a refresh token for the demo account from fake.
func login(t *testing.T, fake *authtest.Server) string {
	t.Helper()
	creds, err := auth.NewCredentials(demoMail, demoPassword)
	require.NoError(t, err)
	tok, err := authhttp.NewClient(fake.URL).AuthUser(t.Context(), creds)
	require.NoError(t, err)
	return tok.Value
}

// exhausted is a MemoryLimiter that has used up its one login for each of keys.
func exhausted(keys ...string) *proxy.MemoryLimiter {
	l := proxy.NewMemoryLimiter(1, time.Hour)
	for _, k := range keys {
		l.Allow(context.Background(), k)
	}
	return l
}

// httptestKey is the limiter key of httptest.NewRequest's RemoteAddr.
const httptestKey = "192.0.2.1"

type handlerCase struct {
	name      string
	cfg       func(*proxy.Config)
	transport auth.Transport // default: authhttp to the fake
	noUp      bool           // no transport at all
	method    string         // default POST
	target    string         // default auth.Path
	ct        string         // Content-Type; default application/json, "-" for none
	header    http.Header    // more request headers
	body      string         // default demoBody for POST to auth.Path
	noBody    bool
	setup     func(*http.Request)

	status   int
	code     string
	msg      string            // substring of the message
	hdr      map[string]string // exact answer header values
	noHdr    []string          // answer headers that must be absent
	upstream int               // requests the fake must get
	check    func(t *testing.T, rr *httptest.ResponseRecorder, b body)
}

// TestHandler is the proxy's own checks, CORS and both endpoints, each case
// through the native edge (net/http) to the fake J-Quants over authhttp,
// with the fake's request count checked.
func TestHandler(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount("padded@example.com", "pw-padded")
	logs := &syncBuffer{}
	refresh := login(t, fake)
	refreshQuery := auth.RefreshPath + "?refreshtoken=" + refresh
	refreshBody := `{"refreshtoken":"` + refresh + `"}`
	tooLongToken := strings.Repeat("t", auth.MaxRefreshTokenBytes+1)

	deny := exhausted(httptestKey)
	fresh := proxy.NewMemoryLimiter(1, time.Hour)
	failing := proxy.LimiterFunc(func(context.Context, string) (bool, error) { return false, errors.New("binding unavailable") })

	big := `{"mailaddress":"` + demoMail + `","password":"` + demoPassword + `","pad":"`
	exactly4K := big + strings.Repeat("x", proxy.MaxBodyBytes-len(big)-2) + `"}`
	require.Len(t, exactly4K, proxy.MaxBodyBytes)
	over4K := big + strings.Repeat("x", proxy.MaxBodyBytes-len(big)-1) + `"}`
	require.Len(t, over4K, proxy.MaxBodyBytes+1)

	withSecret := func(format string) string { return strings.ReplaceAll(format, "SECRET", secretPassword) }
	allowedHdr := map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Vary": varyOrigin, "Access-Control-Expose-Headers": "Retry-After"}
	preflightOnly := []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Allow-Credentials"}
	noCORS := append([]string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers"}, preflightOnly...)
	allow := map[string]string{"Allow": proxy.Allow, "Vary": varyOrigin}
	preflight := func(origin, method, headers string) http.Header {
		h := http.Header{"Access-Control-Request-Method": {method}}
		if origin != "" {
			h.Set("Origin", origin)
		}
		if headers != "" {
			h.Set("Access-Control-Request-Headers", headers)
		}
		return h
	}
	preflightOK := map[string]string{
		"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Methods": "POST",
		"Access-Control-Allow-Headers": "content-type", "Access-Control-Max-Age": "600", "Vary": varyPreflight,
	}
	preflightNo := []string{"Access-Control-Allow-Credentials", "Access-Control-Expose-Headers", "Content-Type", "Allow"}
	workerd := func(rawURL, host string) func(*http.Request) {
		return func(r *http.Request) {
			r.RequestURI = "" // as syumai/workers builds it
			r.URL, _ = url.Parse(rawURL)
			r.Host = host
		}
	}
	idFor := func(mail string) func(*testing.T, *httptest.ResponseRecorder, body) {
		return func(t *testing.T, _ *httptest.ResponseRecorder, b body) {
			got, ok := fake.IDTokenIssuedTo(b.IDToken)
			assert.True(t, ok, "the fake issued the ID token")
			assert.Equal(t, mail, got)
		}
	}

	cases := []handlerCase{
		// auth_user.
		{name: "ok", status: 200, upstream: 1, noHdr: append(noCORS, "Allow", "Retry-After"), hdr: map[string]string{"Vary": varyOrigin}},
		{name: "ok charset param", ct: "application/json; charset=utf-8", status: 200, upstream: 1},
		{name: "ok query ignored", target: auth.Path + "?x=1&password=no", status: 200, upstream: 1},
		{name: "ok extra fields dropped", body: `{"extra":{"a":[1,2,{"b":null}]},"mailaddress":"` + demoMail + `","n":1e999,"password":"` + demoPassword + `","t":true}`, status: 200, upstream: 1},
		{name: "ok exactly 4 KiB", body: exactly4K, status: 200, upstream: 1},
		{name: "ok trailing white space", body: demoBody + " \n\t", status: 200, upstream: 1},
		{name: "ok mail trimmed", body: `{"mailaddress":"  padded@example.com ","password":"pw-padded"}`, status: 200, upstream: 1,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, b body) {
				reqs := fake.Requests()
				assert.Equal(t, "padded@example.com", reqs[len(reqs)-1].MailAddress)
				mail, _ := fake.IssuedTo(b.RefreshToken)
				assert.Equal(t, "padded@example.com", mail)
			}},
		{name: "ok escaped key", body: `{"mail\u0061ddress":"` + demoMail + `","password":"` + demoPassword + `"}`, status: 200, upstream: 1},
		{name: "ok chunked body without length", setup: func(r *http.Request) { r.ContentLength = -1 }, status: 200, upstream: 1},
		{name: "wrong password goes upstream", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET"}`),
			status: 400, code: auth.CodeInvalidCredentials, msg: authtest.MessageIncorrect, upstream: 1},

		// auth_refresh: J-Quants' shape (query, no body), or a JSON body.
		{name: "refresh query shape", target: refreshQuery, ct: "-", noBody: true, status: 200, upstream: 1, check: idFor(demoMail),
			noHdr: append(noCORS, "Allow", "Retry-After")},
		{name: "refresh query shape with JSON content type", target: refreshQuery, noBody: true, status: 200, upstream: 1, check: idFor(demoMail)},
		{name: "refresh query among others", target: auth.RefreshPath + "?a=1&refreshtoken=" + refresh + "&b=%zz", ct: "-", noBody: true, status: 200, upstream: 1},
		{name: "refresh query escaped name and value", target: auth.RefreshPath + "?refresh%74oken=%66" + strings.Replace(refresh[1:], "-", "%2d", 1), ct: "-", noBody: true, status: 200, upstream: 1},
		{name: "refresh JSON body", target: auth.RefreshPath, body: refreshBody, status: 200, upstream: 1, check: idFor(demoMail)},
		{name: "refresh JSON body as text/plain", target: auth.RefreshPath, ct: "text/plain;charset=UTF-8", body: refreshBody, status: 200, upstream: 1},
		{name: "refresh JSON body without content type", target: auth.RefreshPath, ct: "-", body: refreshBody, status: 200, upstream: 1},
		{name: "refresh allowed origin", target: refreshQuery, ct: "-", noBody: true, header: http.Header{"Origin": {allowedOrigin}}, status: 200, upstream: 1, hdr: allowedHdr},
		{name: "refresh unknown token goes upstream", target: auth.RefreshPath + "?refreshtoken=" + authtest.TokenPrefix + "00", ct: "-", noBody: true,
			status: 400, code: auth.CodeInvalidCredentials, msg: authtest.MessageRefreshIncorrect, upstream: 1},
		{name: "refresh both shapes", target: refreshQuery, body: refreshBody, status: 400, code: auth.CodeInvalidInput, msg: "in the query or in the body, not both"},
		{name: "refresh query and an empty JSON object", target: refreshQuery, body: `{}`, status: 400, code: auth.CodeInvalidInput, msg: "not both"},
		{name: "refresh missing", target: auth.RefreshPath, ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "the refresh token is missing"},
		{name: "refresh other parameter only", target: auth.RefreshPath + "?refresh_token=" + refresh, ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput},
		{name: "refresh body without the field", target: auth.RefreshPath, body: `{"refreshToken":"` + refresh + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "the field refreshtoken is missing"},
		{name: "refresh body field not a string", target: auth.RefreshPath, body: `{"refreshtoken":42}`, status: 400, code: auth.CodeInvalidInput, msg: "refreshtoken must be a string"},
		{name: "refresh body field twice", target: auth.RefreshPath, body: `{"refreshtoken":"a","refreshtoken":"` + refresh + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "the field refreshtoken appears twice"},
		{name: "refresh empty value", target: auth.RefreshPath + "?refreshtoken=", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "refreshtoken is required"},
		{name: "refresh over-long in the query", target: auth.RefreshPath + "?refreshtoken=" + tooLongToken, ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "refreshtoken is longer than 3072 bytes"},
		{name: "refresh over-long in the body", target: auth.RefreshPath, body: `{"refreshtoken":"` + tooLongToken + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "refreshtoken is longer than 3072 bytes"},
		{name: "refresh token with a plus (a space)", target: auth.RefreshPath + "?refreshtoken=abc+def", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "refreshtoken must be visible ASCII characters only"},
		{name: "refresh token with %20", target: auth.RefreshPath + "?refreshtoken=abc%20def", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "visible ASCII"},
		{name: "refresh token with a space in the body", target: auth.RefreshPath, body: `{"refreshtoken":"abc def"}`, status: 400, code: auth.CodeInvalidInput, msg: "visible ASCII"},
		{name: "refresh token with a newline", target: auth.RefreshPath + "?refreshtoken=abc%0D%0AX-Injected:%201", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "visible ASCII"},
		{name: "refresh repeated parameter", target: refreshQuery + "&refreshtoken=" + refresh, ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "the query parameter refreshtoken appears twice"},
		{name: "refresh repeated parameter, escaped", target: refreshQuery + "&refresh%74oken=x", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "appears twice"},
		{name: "refresh bad percent-encoding", target: auth.RefreshPath + "?refreshtoken=" + refresh + "%zz", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "the query parameter refreshtoken is not correctly percent-encoded"},
		{name: "refresh truncated percent-encoding", target: auth.RefreshPath + "?refreshtoken=" + refresh + "%4", ct: "-", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "not correctly percent-encoded"},
		{name: "refresh body over 4 KiB", target: auth.RefreshPath, body: `{"refreshtoken":"` + strings.Repeat("t", proxy.MaxBodyBytes) + `"}`, status: 413, code: proxy.CodeBodyTooLarge},
		// A Content-Type describes a body: without one it is not refused.
		// curl -d '' and Apps Script's UrlFetchApp send J-Quants' shape so.
		{name: "refresh query shape, form content type, no body", target: refreshQuery, ct: "application/x-www-form-urlencoded", noBody: true, status: 200, upstream: 1},
		{name: "refresh form body", target: refreshQuery, ct: "application/x-www-form-urlencoded", body: "x=1", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "refresh form body only", target: auth.RefreshPath, ct: "application/x-www-form-urlencoded", body: "refreshtoken=" + refresh, status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "refresh GET", method: "GET", target: refreshQuery, status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow},
		{name: "refresh trailing slash", target: auth.RefreshPath + "/?refreshtoken=" + refresh, ct: "-", noBody: true, status: 404, code: proxy.CodeNotFound},
		{name: "refresh limited too", cfg: func(c *proxy.Config) { c.Limiter = deny }, target: refreshQuery, ct: "-", noBody: true,
			status: 429, code: auth.CodeRateLimited, hdr: map[string]string{"Retry-After": "60"}},

		// Paths.
		{name: "root", target: "/", status: 404, code: proxy.CodeNotFound, msg: "not found: the proxy serves POST /v1/token/auth_user, POST /v1/token/auth_refresh and GET /v2/<documented path>"},
		{name: "trailing slash", target: auth.Path + "/", status: 404, code: proxy.CodeNotFound},
		{name: "dot dot after", target: auth.Path + "/..", status: 404, code: proxy.CodeNotFound},
		// Dot segments, %2e, backslashes, fragments and the absolute form
		// resolve as workerd's URL parser resolves them (resolveTarget).
		{name: "dot dot inside", target: "/v1/token/x/../auth_user", body: demoBody, status: 200, upstream: 1},
		{name: "dot segment", target: "/v1/token/./auth_user", body: demoBody, status: 200, upstream: 1},
		{name: "escaped dot dot", target: "/v1/token/%2E%2e/token/auth_user", body: demoBody, status: 200, upstream: 1},
		{name: "dot dot out of the endpoint", target: "/v1/token/auth_user/..", status: 404, code: proxy.CodeNotFound},
		{name: "refresh token after a fragment", target: auth.RefreshPath + "?a#&refreshtoken=" + refresh, ct: "-", noBody: true,
			status: 400, code: auth.CodeInvalidInput, msg: "the refresh token is missing"},
		{name: "escaped slash", target: "/v1/token%2Fauth_user", status: 404, code: proxy.CodeNotFound},
		{name: "escaped letter", target: "/v1/token/auth%5Fuser", status: 404, code: proxy.CodeNotFound},
		{name: "escaped letter in auth_refresh", target: "/v1/token/auth%5Frefresh?refreshtoken=" + refresh, status: 404, code: proxy.CodeNotFound},
		{name: "double slash", target: "//v1/token/auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "upper case", target: "/V1/TOKEN/AUTH_USER", status: 404, code: proxy.CodeNotFound},
		{name: "absolute form", target: "http://evil/v1/token/auth_user", body: demoBody, status: 200, upstream: 1},
		{name: "absolute form, its authority not own", target: "http://evil/v1/token/auth_user", body: demoBody, header: http.Header{"Origin": {"http://evil"}},
			status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "absolute form elsewhere", target: "http://example.com/v1/token/../../etc/passwd", status: 404, code: proxy.CodeNotFound},
		{name: "absolute form, empty authority (host v1)", target: "http:///v1/token/auth_user", body: demoBody, status: 404, code: proxy.CodeNotFound},
		{name: "GET elsewhere is 404", method: "GET", target: "/favicon.ico", status: 404, code: proxy.CodeNotFound},
		{name: "workerd absolute URL", setup: workerd("https://worker.example/v1/token/auth_user", "worker.example"), status: 200, upstream: 1},
		{name: "workerd auth_refresh with query", ct: "-", noBody: true, setup: workerd("https://worker.example"+refreshQuery, "worker.example"), status: 200, upstream: 1},
		{name: "workerd other path", setup: workerd("https://worker.example/v1/token/auth_user/", "worker.example"), status: 404, code: proxy.CodeNotFound},

		// Methods.
		{name: "GET", method: "GET", status: 405, code: proxy.CodeMethodNotAllowed, msg: "method not allowed: use POST", hdr: allow},
		{name: "HEAD", method: "HEAD", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow},
		{name: "PUT", method: "PUT", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow},
		{name: "DELETE", method: "DELETE", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow},
		{name: "CONNECT", method: "CONNECT", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow, noHdr: noCORS},
		{name: "TRACE", method: "TRACE", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow, noHdr: noCORS},
		{name: "lower-case post", method: "post", status: 405, code: proxy.CodeMethodNotAllowed, hdr: allow},
		{name: "PATCH allowed origin", method: "PATCH", header: http.Header{"Origin": {allowedOrigin}}, status: 405, code: proxy.CodeMethodNotAllowed,
			hdr: allow, noHdr: noCORS},
		{name: "plain OPTIONS", method: "OPTIONS", noBody: true, status: 204, hdr: allow, noHdr: noCORS},
		{name: "plain OPTIONS on auth_refresh", method: "OPTIONS", target: auth.RefreshPath, noBody: true, status: 204, hdr: allow, noHdr: noCORS},

		// Content-Type: JSON, text/plain or none (J-Quants' own sample sends
		// none), UTF-8 or no charset; one value.
		{name: "no content type", ct: "-", status: 200, upstream: 1},
		{name: "text/plain", ct: "text/plain", status: 200, upstream: 1},
		{name: "text/plain UTF-8", ct: "text/plain;charset=UTF-8", status: 200, upstream: 1},
		{name: "charset upper case", ct: "Application/JSON;Charset=UTF-8", status: 200, upstream: 1},
		{name: "charset quoted", ct: `application/json; charset="utf-8"`, status: 200, upstream: 1},
		{name: "quoted comma in a parameter", ct: `application/json; x="a,b"`, status: 200, upstream: 1},
		{name: "trailing semicolon", ct: "application/json;", status: 200, upstream: 1},
		{name: "two values joined", ct: "application/json, text/plain", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "two content type headers", header: http.Header{"Content-Type": {"text/plain"}}, status: 415, code: proxy.CodeUnsupportedMediaType},
		// An empty header is none, as workerd drops it before the Worker runs.
		{name: "empty content type", ct: "-", header: http.Header{"Content-Type": {""}}, status: 200, upstream: 1},
		{name: "form", ct: "application/x-www-form-urlencoded", status: 415, code: proxy.CodeUnsupportedMediaType,
			msg: "the body must be JSON: send Content-Type: application/json"},
		{name: "multipart", ct: "multipart/form-data; boundary=xyz", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "xml", ct: "application/xml", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "text/xml", ct: "text/xml", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "text/html", ct: "text/html", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "jsonx", ct: "application/jsonx", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "problem+json", ct: "application/problem+json", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "latin1 charset", ct: "application/json; charset=iso-8859-1", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "latin1 on text/plain", ct: "text/plain; charset=latin1", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "two charsets", ct: "application/json; charset=utf-8; charset=latin1", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "malformed media type", ct: "application/json; =", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "type without subtype", ct: "application", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "415 before 413", ct: "application/xml", body: over4K, status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "415 before 413 by Content-Length", ct: "application/xml", setup: func(r *http.Request) { r.ContentLength = 1 << 30 }, status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "form content type, no body", ct: "application/x-www-form-urlencoded", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},

		// Size.
		{name: "over 4 KiB", body: over4K, status: 413, code: proxy.CodeBodyTooLarge, msg: "the body is larger than 4 KiB"},
		{name: "1 MiB", body: strings.Repeat("x", 1<<20), status: 413, code: proxy.CodeBodyTooLarge},
		{name: "over 4 KiB without length", body: over4K, setup: func(r *http.Request) { r.ContentLength = -1 }, status: 413, code: proxy.CodeBodyTooLarge},
		{name: "length header alone decides", body: demoBody, setup: func(r *http.Request) { r.ContentLength = 1 << 30 }, status: 413, code: proxy.CodeBodyTooLarge},

		// Body shape.
		{name: "empty body", body: "", noBody: true, status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},
		{name: "body read error", setup: func(r *http.Request) { r.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"mail`), errReader{})) },
			status: 400, code: auth.CodeInvalidInput, msg: "could not be read"},
		{name: "nil body", noBody: true, setup: func(r *http.Request) { r.Body = nil }, status: 400, code: auth.CodeInvalidInput},
		{name: "null", body: "null", status: 400, code: auth.CodeInvalidInput, msg: "JSON object"},
		{name: "array", body: `[` + demoBody + `]`, status: 400, code: auth.CodeInvalidInput, msg: "JSON object"},
		{name: "string", body: `"x"`, status: 400, code: auth.CodeInvalidInput, msg: "JSON object"},
		{name: "number", body: `12`, status: 400, code: auth.CodeInvalidInput, msg: "JSON object"},
		{name: "empty object", body: `{}`, status: 400, code: auth.CodeInvalidInput, msg: "mailaddress is missing"},
		{name: "missing password", body: `{"mailaddress":"` + demoMail + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "password is missing"},
		{name: "missing mail", body: withSecret(`{"password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress is missing"},
		{name: "mail number", body: withSecret(`{"mailaddress":12,"password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress must be a string"},
		{name: "password null", body: `{"mailaddress":"` + demoMail + `","password":null}`, status: 400, code: auth.CodeInvalidInput, msg: "password must be a string"},
		{name: "password object", body: withSecret(`{"mailaddress":"` + demoMail + `","password":{"p":"SECRET"}}`), status: 400, code: auth.CodeInvalidInput, msg: "password must be a string"},
		{name: "mail array", body: withSecret(`{"mailaddress":["` + demoMail + `"],"password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress must be a string"},
		{name: "password bool", body: `{"mailaddress":"` + demoMail + `","password":true}`, status: 400, code: auth.CodeInvalidInput, msg: "password must be a string"},
		{name: "key case differs", body: withSecret(`{"MailAddress":"` + demoMail + `","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress is missing"},
		{name: "duplicate password", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET","password":"` + demoPassword + `"}`), status: 400, code: auth.CodeInvalidInput, msg: "password appears twice"},
		{name: "duplicate mail by escape", body: withSecret(`{"mailaddress":"a@b.c","mail\u0061ddress":"` + demoMail + `","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress appears twice"},
		{name: "duplicate extra key", body: withSecret(`{"x":1,"mailaddress":"` + demoMail + `","x":2,"password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "a field appears twice"},
		{name: "trailing garbage", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET"} x`), status: 400, code: auth.CodeInvalidInput},
		{name: "second object", body: demoBody + demoBody, status: 400, code: auth.CodeInvalidInput, msg: "data after the JSON object"},
		{name: "trailing comma", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET",}`), status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},
		{name: "unclosed", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET"`), status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},
		{name: "unquoted password", body: withSecret(`{"mailaddress":"` + demoMail + `","password":SECRET}`), status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},
		{name: "bad extra value", body: withSecret(`{"x":[1,}],"mailaddress":"` + demoMail + `","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "not valid JSON"},
		{name: "invalid UTF-8 in password", body: `{"mailaddress":"` + demoMail + `","password":"ab` + "\xff\xfe" + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "UTF-8"},
		{name: "invalid UTF-8 in extra field", body: `{"x":"` + "\xc3" + `","mailaddress":"` + demoMail + `","password":"` + demoPassword + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "UTF-8"},
		{name: "mail too long", body: withSecret(`{"mailaddress":"` + strings.Repeat("a", 250) + `@b.cd","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress is longer than 254 bytes"},
		{name: "password too long", body: `{"mailaddress":"` + demoMail + `","password":"` + strings.Repeat("p", auth.MaxPasswordBytes+1) + `"}`, status: 400, code: auth.CodeInvalidInput, msg: "password is longer than 1024 bytes"},
		{name: "mail without at", body: withSecret(`{"mailaddress":"demo.example.com","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "exactly one @"},
		{name: "mail blank", body: withSecret(`{"mailaddress":"   ","password":"SECRET"}`), status: 400, code: auth.CodeInvalidInput, msg: "mailaddress is required"},
		{name: "password empty", body: `{"mailaddress":"` + demoMail + `","password":""}`, status: 400, code: auth.CodeInvalidInput, msg: "password is required"},

		// CORS: one decision, exact headers.
		{name: "preflight allowed", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", "content-type"), status: 204,
			hdr: preflightOK, noHdr: preflightNo},
		{name: "preflight allowed on auth_refresh", method: "OPTIONS", target: auth.RefreshPath, noBody: true, header: preflight(allowedOrigin, "POST", "Content-Type"), status: 204,
			hdr: preflightOK, noHdr: preflightNo},
		{name: "preflight without requested headers", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", ""), status: 204,
			hdr:   map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Methods": "POST", "Access-Control-Max-Age": "600", "Vary": varyPreflight},
			noHdr: append([]string{"Access-Control-Allow-Headers"}, preflightNo...)},
		{name: "preflight content-type twice", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", "content-type, Content-Type"), status: 204, hdr: preflightOK},
		{name: "preflight 127.0.0.1", method: "OPTIONS", noBody: true, header: preflight("http://127.0.0.1:8787", "POST", "content-type"), status: 204,
			hdr: map[string]string{"Access-Control-Allow-Origin": "http://127.0.0.1:8787", "Vary": varyPreflight}},
		{name: "preflight not allowed", method: "OPTIONS", noBody: true, header: preflight(evilOrigin, "POST", "content-type"), status: 403,
			code: proxy.CodeOriginNotAllowed, msg: "ALLOWED_ORIGINS", hdr: map[string]string{"Vary": varyOrigin}, noHdr: noCORS},
		{name: "preflight PUT", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "PUT", ""), status: 204, hdr: map[string]string{"Vary": varyPreflight}, noHdr: noCORS},
		{name: "preflight GET", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "GET", "content-type"), status: 204, noHdr: noCORS},
		{name: "preflight authorization header", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", "authorization,content-type"), status: 204, noHdr: noCORS},
		{name: "preflight without Origin", method: "OPTIONS", noBody: true, header: preflight("", "POST", "content-type"), status: 204,
			hdr: map[string]string{"Vary": varyPreflight}, noHdr: append(noCORS, "Allow")},
		{name: "preflight unknown path", method: "OPTIONS", target: "/x", noBody: true, header: preflight(allowedOrigin, "POST", ""), status: 404,
			code: proxy.CodeNotFound, hdr: map[string]string{"Vary": varyOrigin}, noHdr: noCORS},
		{name: "POST allowed origin", header: http.Header{"Origin": {allowedOrigin}}, status: 200, upstream: 1, hdr: allowedHdr, noHdr: preflightOnly},
		{name: "POST allowed origin, refused body", header: http.Header{"Origin": {allowedOrigin}}, body: `{}`, status: 400, code: auth.CodeInvalidInput, hdr: allowedHdr, noHdr: preflightOnly},
		{name: "POST allowed origin, 415", header: http.Header{"Origin": {allowedOrigin}}, ct: "application/xml", status: 415, code: proxy.CodeUnsupportedMediaType, hdr: allowedHdr},
		{name: "POST allowed origin, 413", header: http.Header{"Origin": {allowedOrigin}}, body: over4K, status: 413, code: proxy.CodeBodyTooLarge, hdr: allowedHdr},
		{name: "POST allowed origin, 429", cfg: func(c *proxy.Config) { c.Limiter = deny }, header: http.Header{"Origin": {allowedOrigin}},
			status: 429, code: auth.CodeRateLimited, hdr: map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Expose-Headers": "Retry-After", "Retry-After": "60", "Vary": varyOrigin}},
		{name: "POST not allowed origin", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, hdr: map[string]string{"Vary": varyOrigin}, noHdr: noCORS},
		{name: "POST origin null", header: http.Header{"Origin": {"null"}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST origin empty", header: http.Header{"Origin": {""}}, status: 200, upstream: 1, noHdr: noCORS},
		{name: "POST origin prefix of allowed", header: http.Header{"Origin": {"http://localhost:878"}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST origin with path", header: http.Header{"Origin": {allowedOrigin + "/"}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST origin upper case", header: http.Header{"Origin": {"HTTP://LOCALHOST:8787"}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST two origins", header: http.Header{"Origin": {allowedOrigin, evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "GET not allowed origin", method: "GET", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "bad body not allowed origin", body: "nope", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "refresh not allowed origin", target: refreshQuery, ct: "-", noBody: true, header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "same origin http", header: http.Header{"Origin": {"http://example.com"}}, status: 200, upstream: 1,
			hdr: map[string]string{"Access-Control-Allow-Origin": "http://example.com", "Access-Control-Expose-Headers": "Retry-After"}},
		{name: "same origin https via TLS", header: http.Header{"Origin": {"https://example.com"}},
			setup: func(r *http.Request) { r.TLS = &tls.ConnectionState{} }, status: 200, upstream: 1},
		{name: "same host other scheme", header: http.Header{"Origin": {"http://example.com"}},
			setup: func(r *http.Request) { r.TLS = &tls.ConnectionState{} }, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "same host other port", header: http.Header{"Origin": {"http://example.com:8080"}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "workerd same origin", header: http.Header{"Origin": {"https://worker.example"}},
			setup: workerd("https://worker.example/v1/token/auth_user", "worker.example"), status: 200, upstream: 1,
			hdr: map[string]string{"Access-Control-Allow-Origin": "https://worker.example"}},
		{name: "workerd same origin empty Host", header: http.Header{"Origin": {"https://worker.example"}},
			setup: workerd("https://worker.example/v1/token/auth_user", ""), status: 200, upstream: 1},
		{name: "workerd http origin to https worker", header: http.Header{"Origin": {"http://worker.example"}},
			setup: workerd("https://worker.example/v1/token/auth_user", "worker.example"), status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "empty list refuses default origin", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{} },
			header: http.Header{"Origin": {allowedOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "empty list allows no origin", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{} }, status: 200, upstream: 1, noHdr: noCORS},
		{name: "empty list allows same origin", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{} },
			header: http.Header{"Origin": {"http://example.com"}}, status: 200, upstream: 1},
		{name: "empty list preflight", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{} }, method: "OPTIONS", noBody: true,
			header: preflight(allowedOrigin, "POST", "content-type"), status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "configured origin normalised", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{" HTTPS://App.Example:443/ "} },
			header: http.Header{"Origin": {"https://app.example"}}, status: 200, upstream: 1,
			hdr: map[string]string{"Access-Control-Allow-Origin": "https://app.example"}},
		{name: "custom list drops default", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{"https://app.example"} },
			header: http.Header{"Origin": {allowedOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed},

		// Rate limiting, with MemoryLimiters whose one login per key is used up.
		{name: "limiter refuses", cfg: func(c *proxy.Config) { c.Limiter = deny }, status: 429, code: auth.CodeRateLimited,
			msg: "too many login attempts from this address: try again in 60 seconds", hdr: map[string]string{"Retry-After": "60"}, noHdr: noCORS},
		{name: "limiter refuses custom period", cfg: func(c *proxy.Config) { c.Limiter = deny; c.LimiterRetryAfter = 1500 * time.Millisecond },
			status: 429, code: auth.CodeRateLimited, hdr: map[string]string{"Retry-After": "2"}},
		{name: "limiter off", cfg: func(c *proxy.Config) { c.Limiter = deny; c.DisableRateLimit = true }, status: 200, upstream: 1},
		{name: "limiter not asked for a bad body", cfg: func(c *proxy.Config) { c.Limiter = fresh }, body: "{}",
			status: 400, code: auth.CodeInvalidInput, check: func(t *testing.T, _ *httptest.ResponseRecorder, _ body) {
				ok, _ := fresh.Allow(context.Background(), httptestKey)
				assert.True(t, ok, "the refused login did not count")
			}},
		{name: "limiter not asked for a bad origin", cfg: func(c *proxy.Config) { c.Limiter = deny },
			header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "limiter error fails open", cfg: func(c *proxy.Config) { c.Limiter = failing }, status: 200, upstream: 1},
		{name: "limiter key from CF-Connecting-IP", cfg: func(c *proxy.Config) { c.Limiter = exhausted("203.0.113.7") },
			header: http.Header{"Cf-Connecting-Ip": {" 203.0.113.7 "}}, status: 429, code: auth.CodeRateLimited},
		{name: "limiter CF-Connecting-IP over RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = deny },
			header: http.Header{"Cf-Connecting-Ip": {"203.0.113.8"}}, status: 200, upstream: 1},
		{name: "limiter key from IPv6 RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = exhausted("2001:db8::1") },
			setup: func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:4321" }, status: 429, code: auth.CodeRateLimited},
		{name: "limiter key from bare RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = exhausted("198.51.100.2") },
			setup: func(r *http.Request) { r.RemoteAddr = "198.51.100.2" }, status: 429, code: auth.CodeRateLimited},
		{name: "limiter key from bare IPv6 RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = exhausted("2001:db8::2") },
			setup: func(r *http.Request) { r.RemoteAddr = "2001:db8::2" }, status: 429, code: auth.CodeRateLimited},

		// Failures of the proxy itself.
		{name: "limiter panics", cfg: func(c *proxy.Config) {
			c.Limiter = proxy.LimiterFunc(func(context.Context, string) (bool, error) { panic("limiter bug") })
		}, status: 500, code: proxy.CodeInternal, msg: "internal error in the proxy"},
		{name: "transport panics", transport: transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
			panic(errors.New("transport bug"))
		}), status: 500, code: proxy.CodeInternal},
		{name: "misconfigured", cfg: func(c *proxy.Config) { c.BaseURL = "ftp://files.example" }, status: 500,
			code: proxy.CodeMisconfigured, msg: "BaseURL (JQUANTS_API_BASE_URL)"},
		{name: "misconfigured any path", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{"*"} }, method: "GET", target: "/x",
			status: 500, code: proxy.CodeMisconfigured, msg: "wildcard"},
		{name: "nil transport", noUp: true, status: 500, code: proxy.CodeMisconfigured, msg: "no upstream auth.Transport"},
	}

	var tokens []string
	requests := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := proxy.Config{BaseURL: fake.URL, Log: logs}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var tr auth.Transport = authhttp.Transport{}
			if tc.transport != nil {
				tr = tc.transport
			}
			if tc.noUp {
				tr = nil
			}
			h, err := proxy.New(cfg, tr)
			require.NotNil(t, h)
			if tc.code == proxy.CodeMisconfigured {
				require.Error(t, err)
				assert.Equal(t, err, h.Err())
			} else {
				require.NoError(t, err)
			}

			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			target := tc.target
			if target == "" {
				target = auth.Path
			}
			reqBody := tc.body
			if reqBody == "" && !tc.noBody && method == http.MethodPost && strings.HasPrefix(target, auth.Path) {
				reqBody = demoBody
			}
			r := httptest.NewRequest(method, target, strings.NewReader(reqBody))
			if reqBody == "" && tc.setup == nil {
				r.Body = http.NoBody // as the server hands a request without one
			}
			switch tc.ct {
			case "":
				r.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				r.Header.Set("Content-Type", tc.ct)
			}
			// Headers the proxy must never forward.
			r.Header.Set("Cookie", "session=abc")
			r.Header.Set("Authorization", "Bearer caller-token")
			r.Header.Set("X-Forwarded-For", "192.0.2.99")
			for k, v := range tc.header {
				r.Header[k] = append(r.Header[k], v...)
			}
			if tc.setup != nil {
				tc.setup(r)
			}

			before := fake.Count()
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			requests++

			require.Equal(t, tc.status, rr.Code, "body %s", rr.Body.String())
			b := decode(t, rr)
			assert.Equal(t, tc.code, b.Code)
			if tc.msg != "" {
				assert.Contains(t, b.Message, tc.msg)
			}
			for k, v := range tc.hdr {
				assert.Equal(t, []string{v}, rr.Header().Values(k), "header %s", k)
			}
			for _, k := range tc.noHdr {
				assert.Empty(t, rr.Header().Values(k), "header %s", k)
			}
			if tc.status == 405 || tc.status == 204 && tc.header == nil {
				assert.Equal(t, proxy.Allow, rr.Header().Get("Allow"))
			} else {
				assert.Empty(t, rr.Header().Values("Allow"))
			}
			if tc.status != 429 {
				assert.Empty(t, rr.Header().Values("Retry-After"))
			}
			for _, secret := range []string{secretPassword, demoPassword, refresh} {
				assert.NotContains(t, rr.Body.String(), secret)
			}
			assert.Equal(t, tc.upstream, fake.Count()-before, "requests upstream")
			if tc.status == 200 {
				if strings.Contains(r.URL.Path, "auth_refresh") {
					assert.True(t, strings.HasPrefix(b.IDToken, authtest.IDTokenPrefix), b.IDToken)
					_, ok := fake.IDTokenIssuedTo(b.IDToken)
					assert.True(t, ok)
					tokens = append(tokens, b.IDToken)
				} else {
					assert.True(t, strings.HasPrefix(b.RefreshToken, authtest.TokenPrefix))
					assert.True(t, fake.Issued(b.RefreshToken))
					tokens = append(tokens, b.RefreshToken)
				}
			}
			if tc.upstream == 1 {
				checkUpstreamRequest(t, fake.Requests()[fake.Count()-1])
			}
			if tc.check != nil {
				tc.check(t, rr, b)
			}
		})
	}

	// The log: one line per request, never a password or a token.
	log := logs.String()
	assert.Equal(t, requests, strings.Count(log, "\n"), "one line per request")
	assert.Equal(t, requests, strings.Count(log, " status="))
	assert.Contains(t, log, `proxy: method=POST path="/v1/token/auth_user" status=200 duration=`)
	assert.Contains(t, log, `proxy: method=POST path="/v1/token/auth_refresh" status=200 duration=`)
	assert.Contains(t, log, `origin="https://evil.example" code=origin_not_allowed`)
	assert.Contains(t, log, `path="/etc/passwd" status=404`, "the log shows the path as resolved")
	assert.Contains(t, log, `status=200 duration=`)
	assert.Contains(t, log, `detail="limiter failed, the login went through: limiter error"`)
	assert.NotContains(t, log, "binding unavailable", "the limiter's own text")
	assert.Contains(t, log, `code=internal detail="panic: limiter bug"`)
	assert.Contains(t, log, `code=internal detail="panic: transport bug"`)
	assert.Contains(t, log, `code=misconfigured detail=`)
	assert.Contains(t, log, `method=CONNECT path="/v1/token/auth_user" status=405`)
	assert.Contains(t, log, `method="post"`, "a method not all capitals is quoted")
	assert.NotContains(t, log, "refreshtoken", "no query is logged")
	for _, secret := range append([]string{secretPassword, demoPassword, "pw-padded", refresh, "caller-token", "session=abc"}, tokens...) {
		assert.NotContains(t, log, secret)
	}
	require.NotEmpty(t, tokens)
}

// checkUpstreamRequest: what the fake got. auth_user: exactly the two
// fields and a Content-Length; auth_refresh: the token in the query alone,
// no body, no Content-Type. Never one of the caller's headers.
func checkUpstreamRequest(t *testing.T, req authtest.Request) {
	t.Helper()
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Empty(t, req.TransferEncoding)
	switch req.Path {
	case auth.Path:
		assert.Empty(t, req.Query)
		assert.Equal(t, []string{auth.FieldMailAddress, auth.FieldPassword}, req.Fields)
		assert.Positive(t, req.ContentLength)
		assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	case auth.RefreshPath:
		assert.Equal(t, "refreshtoken="+authtest.Redacted, req.Query)
		assert.True(t, req.RefreshTokenSent)
		assert.Empty(t, req.Fields)
		assert.Zero(t, req.ContentLength)
		assert.Equal(t, []string{"0"}, req.Header.Values("Content-Length"))
		assert.Empty(t, req.Header.Values("Content-Type"))
	default:
		t.Errorf("upstream path %q", req.Path)
	}
	for _, k := range []string{"Cookie", "Authorization", "Origin", "X-Forwarded-For", "Cf-Connecting-Ip", "Referer"} {
		assert.Empty(t, req.Header.Values(k), "header %s reached upstream", k)
	}
}

// TestUpstream drives the handler against the fake's statuses and faults,
// on both endpoints.
func TestUpstream(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL + "/", UpstreamTimeout: 200 * time.Millisecond, Log: logs}, authhttp.Transport{})
	require.NoError(t, err)
	assert.Equal(t, fake.URL+auth.Path, h.URL())

	cases := []struct {
		name       string
		refresh    bool // auth_refresh (query shape) rather than auth_user
		fault      authtest.Fault
		status     int
		code       string
		msg        string // exact message
		msgPart    string // or a substring
		retryAfter string
	}{
		{name: "400", fault: authtest.Fault{Status: 400, Message: authtest.MessageIncorrect}, status: 400, code: auth.CodeInvalidCredentials, msg: authtest.MessageIncorrect},
		{name: "400 without message", fault: authtest.Fault{Status: 400}, status: 400, code: auth.CodeInvalidCredentials, msg: "the J-Quants API rejected the mail address or password"},
		{name: "403", fault: authtest.Fault{Status: 403, Message: authtest.MessageForbidden}, status: 403, code: auth.CodeForbidden, msg: authtest.MessageForbidden},
		{name: "403 without message", fault: authtest.Fault{Status: 403}, status: 403, code: auth.CodeForbidden, msg: "the J-Quants API refused the request"},
		{name: "500", fault: authtest.Fault{Status: 500, Message: authtest.MessageUnexpected}, status: 500, code: auth.CodeUpstreamError, msg: authtest.MessageUnexpected},
		{name: "500 without message", fault: authtest.Fault{Status: 500}, status: 500, code: auth.CodeUpstreamError, msg: "the J-Quants API failed; try again later"},
		{name: "429 with Retry-After", fault: authtest.Fault{Status: 429, Message: "Too Many Requests", Header: http.Header{"Retry-After": {"7"}}},
			status: 429, code: auth.CodeRateLimited, msg: "Too Many Requests", retryAfter: "7"},
		{name: "429 without Retry-After", fault: authtest.Fault{Status: 429}, status: 429, code: auth.CodeRateLimited,
			msg: "the J-Quants API is rate limiting logins: try again in 60 seconds", retryAfter: "60"},
		{name: "404 endpoint gone", fault: authtest.Fault{Status: 404, Message: "Not Found"}, status: 502, code: auth.CodeEndpointGone,
			msg: "J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01 (it answered 404)"},
		{name: "503", fault: authtest.Fault{Status: 503, Message: "Service Unavailable", Header: http.Header{"Retry-After": {"3"}}},
			status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API answered with unexpected status 503", retryAfter: "3"},
		{name: "418", fault: authtest.Fault{Status: 418}, status: 502, code: auth.CodeUpstreamError, msgPart: "unexpected status 418"},
		{name: "HTML with 200", fault: authtest.Fault{Body: "<html><body>maintenance</body></html>"}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API answered 200 without a usable refresh token: the answer is not a JSON object"},
		{name: "JSON without token", fault: authtest.Fault{Body: `{"message":"ok"}`, ContentType: "application/json"}, status: 502, code: auth.CodeUpstreamError,
			msgPart: "the answer has no refreshToken"},
		{name: "HTML with 404", fault: authtest.Fault{Status: 404, Body: "<h1>Not Found</h1>"}, status: 502, code: auth.CodeEndpointGone, msgPart: "retired"},
		{name: "answer over 64 KiB", fault: authtest.Fault{Body: strings.Repeat("x", auth.MaxAnswerBytes+1)}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API answered with a body larger than 64 KiB"},
		{name: "truncated JSON", fault: authtest.Fault{Truncate: true}, status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API's answer (status 200) was cut off or could not be read"},
		{name: "dropped connection", fault: authtest.Fault{Drop: true}, status: 502, code: proxy.CodeUpstreamUnreachable,
			msg: "could not reach the J-Quants API, or it closed the connection without answering"},
		{name: "slower than the timeout", fault: authtest.Fault{Delay: 30 * time.Second}, status: 504, code: auth.CodeTimeout, msg: "no answer from the J-Quants API within 200ms"},

		{name: "refresh 400", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 400, Message: authtest.MessageRefreshIncorrect},
			status: 400, code: auth.CodeInvalidCredentials, msg: authtest.MessageRefreshIncorrect},
		{name: "refresh 400 without message", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 400},
			status: 400, code: auth.CodeInvalidCredentials, msg: "the J-Quants API rejected the refresh token: it is incorrect or expired"},
		{name: "refresh 404", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 404},
			status: 502, code: auth.CodeEndpointGone, msg: "J-Quants retired its V1 API, /v1/token/auth_refresh included, on 2026-06-01 (it answered 404)"},
		{name: "refresh 429", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 429, Header: http.Header{"Retry-After": {"9"}}},
			status: 429, code: auth.CodeRateLimited, msg: "the J-Quants API is rate limiting logins: try again in 9 seconds", retryAfter: "9"},
		{name: "refresh 200 without ID token", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Body: `{"refreshToken":"x"}`, ContentType: "application/json"},
			status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API answered 200 without a usable ID token: the answer has no idToken"},
		{name: "refresh truncated", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Truncate: true},
			status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API's answer (status 200) was cut off or could not be read"},
		{name: "refresh dropped", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Drop: true}, status: 502, code: proxy.CodeUpstreamUnreachable},
		{name: "refresh slower than the timeout", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Delay: 30 * time.Second}, status: 504, code: auth.CodeTimeout},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Reset()
			target, reqBody := auth.Path, demoBody
			if tc.refresh {
				target, reqBody = auth.RefreshPath+"?refreshtoken="+login(t, fake), ""
			}
			fake.SetFault(tc.fault)
			before := fake.Count()
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(reqBody))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Origin", allowedOrigin)
			r.Header.Set("Cookie", "session=abc")
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)

			require.Equal(t, tc.status, rr.Code, "body %s", rr.Body.String())
			b := decode(t, rr)
			assert.Equal(t, tc.code, b.Code)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, b.Message)
			}
			assert.Contains(t, b.Message, tc.msgPart)
			assert.Equal(t, tc.retryAfter, rr.Header().Get("Retry-After"))
			assert.Equal(t, allowedOrigin, rr.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "Retry-After", rr.Header().Get("Access-Control-Expose-Headers"))
			require.Equal(t, 1, fake.Count()-before, "exactly one try upstream")
			checkUpstreamRequest(t, fake.Requests()[before])
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		gone := authtest.NewServer()
		gone.Close()
		h, err := proxy.New(proxy.Config{BaseURL: gone.URL, Log: logs}, authhttp.Transport{})
		require.NoError(t, err)
		for _, target := range []string{auth.Path, auth.RefreshPath + "?refreshtoken=" + authtest.TokenPrefix + "feed"} {
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(demoBody))
			if target != auth.Path {
				r.Body = http.NoBody
			}
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			require.Equal(t, http.StatusBadGateway, rr.Code)
			b := decode(t, rr)
			assert.Equal(t, proxy.CodeUpstreamUnreachable, b.Code)
			assert.NotContains(t, b.Message, "127.0.0.1", "the message does not leak the upstream address")
		}
	})

	// A transport's own timeout (net/http's Client.Timeout here, fetch's
	// AbortSignal elsewhere) is a 504 too, before UpstreamTimeout.
	t.Run("transport's own timeout", func(t *testing.T) {
		fake.Reset()
		fake.SetFault(authtest.Fault{Delay: time.Hour})
		h, err := proxy.New(proxy.Config{BaseURL: fake.URL, UpstreamTimeout: proxy.MaxUpstreamTimeout, Log: logs},
			authhttp.Transport{Client: &http.Client{Timeout: 50 * time.Millisecond}})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		require.Equal(t, http.StatusGatewayTimeout, rr.Code)
		assert.Equal(t, auth.CodeTimeout, decode(t, rr).Code)
	})

	log := logs.String()
	assert.Contains(t, log, "detail=")
	assert.Contains(t, log, `code=timeout`)
	assert.NotContains(t, log, demoPassword)
	assert.NotContains(t, log, "session=abc")
	assert.NotContains(t, log, authtest.TokenPrefix, "no refresh token, from the query or a *url.Error")
	assert.NotContains(t, log, "refreshtoken")
}

// blockingTransport ignores its context until the test ends: a fault the
// fake cannot produce, since authhttp honours its context.
func blockingTransport(t *testing.T) (auth.Transport, *counter) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	calls := &counter{}
	return transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
		calls.add()
		<-release
		return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"late"}`)}, nil
	}), calls
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestHangingTransport: the timer answers 504 although the transport never
// returns and ignores its context.
func TestHangingTransport(t *testing.T) {
	tr, calls := blockingTransport(t)
	h, err := proxy.New(proxy.Config{UpstreamTimeout: 50 * time.Millisecond, Log: io.Discard}, tr)
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	require.Equal(t, http.StatusGatewayTimeout, rr.Code)
	assert.Equal(t, auth.CodeTimeout, decode(t, rr).Code)
	assert.Equal(t, 1, calls.get())
}

// TestCallerGone: a caller that went away gets 499 (logged), not a wait.
func TestCallerGone(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	fake.SetFault(authtest.Fault{Delay: time.Hour})
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, UpstreamTimeout: proxy.MaxUpstreamTimeout, Log: logs}, authhttp.Transport{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, auth.Path, strings.NewReader(demoBody))
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	require.Equal(t, proxy.StatusClientClosedRequest, rr.Code)
	assert.Equal(t, auth.CodeCanceled, decode(t, rr).Code)
	assert.Contains(t, logs.String(), "status=499")
	assert.Contains(t, logs.String(), "code=canceled")
}

// TestConcurrentAccounts: 32 logins at once each get their own token, and
// 32 refreshes each their own account's ID token.
func TestConcurrentAccounts(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: logs, Limiter: proxy.NewMemoryLimiter(2, time.Hour)}, authhttp.Transport{})
	require.NoError(t, err)

	const n = 32
	mails := make([]string, n)
	passwords := make([]string, n)
	for i := range n {
		mails[i] = "user" + strconv.Itoa(i) + "@example.com"
		passwords[i] = "password-" + strconv.Itoa(i) + "-xyz"
		fake.AddAccount(mails[i], passwords[i])
	}
	serve := func(i int, target string, b []byte) (int, body) {
		r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(b))
		r.RemoteAddr = "192.0.2." + strconv.Itoa(i) + ":1234" // two per address pass the limiter
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		var got body
		_ = json.Unmarshal(rr.Body.Bytes(), &got)
		return rr.Code, got
	}
	tokens := make([]string, n)
	ids := make([]string, n)
	codes := make([]int, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]string{"mailaddress": mails[i], "password": passwords[i]})
			var got body
			codes[i], got = serve(i, auth.Path, b)
			tokens[i] = got.RefreshToken
			codes[n+i], got = serve(i, auth.RefreshPath, []byte(`{"refreshtoken":"`+tokens[i]+`"}`))
			ids[i] = got.IDToken
		})
	}
	wg.Wait()

	seen := map[string]bool{}
	for i := range n {
		require.Equal(t, http.StatusOK, codes[i], "login %d", i)
		require.Equal(t, http.StatusOK, codes[n+i], "refresh %d", i)
		mail, ok := fake.IssuedTo(tokens[i])
		assert.True(t, ok, "token %d not issued by the fake", i)
		assert.Equal(t, mails[i], mail)
		mail, ok = fake.IDTokenIssuedTo(ids[i])
		assert.True(t, ok, "ID token %d not issued by the fake", i)
		assert.Equal(t, mails[i], mail, "ID token %d is for its own account", i)
		assert.False(t, seen[tokens[i]], "token %d shared", i)
		seen[tokens[i]] = true
	}
	byMail := map[string]int{}
	for _, req := range fake.Requests() {
		if req.Path == auth.Path {
			byMail[req.MailAddress]++
		}
	}
	keys := make([]string, 0, len(byMail))
	for k, c := range byMail {
		keys = append(keys, k)
		assert.Equal(t, 1, c, k)
	}
	sort.Strings(keys)
	assert.Equal(t, sortedCopy(mails), keys)
	log := logs.String()
	assert.Equal(t, 2*n, strings.Count(log, "\n"))
	for i := range n {
		assert.NotContains(t, log, passwords[i])
		assert.NotContains(t, log, tokens[i])
		assert.NotContains(t, log, ids[i])
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// TestRateLimitWithMemoryLimiter: the second login from one address within
// the period is refused without reaching upstream.
func TestRateLimitWithMemoryLimiter(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: io.Discard, Limiter: proxy.NewMemoryLimiter(1, 0)}, authhttp.Transport{})
	require.NoError(t, err)
	post := func(ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
		r.Header.Set("CF-Connecting-IP", ip)
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		return rr
	}
	assert.Equal(t, 200, post("203.0.113.1").Code)
	rr := post("203.0.113.1")
	assert.Equal(t, 429, rr.Code)
	assert.Equal(t, "60", rr.Header().Get("Retry-After"))
	assert.Equal(t, auth.CodeRateLimited, decode(t, rr).Code)
	assert.Equal(t, 200, post("203.0.113.2").Code)
	assert.Equal(t, 2, fake.Count())
}

// TestAbortHandler: http.ErrAbortHandler keeps its meaning (abort the
// connection) after the handler has logged the request.
func TestAbortHandler(t *testing.T) {
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{Log: logs}, transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
		panic(http.ErrAbortHandler)
	}))
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { h.ServeHTTP(httptest.NewRecorder(), r) })
	assert.Contains(t, logs.String(), "code=internal")
}

// closeTracker is a request body that records Close.
type closeTracker struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (c *closeTracker) Close() error { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }

// TestBodyClosed: the handler closes the request body whatever its answer,
// so that a refused upload is canceled instead of read to the end.
func TestBodyClosed(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: io.Discard}, authhttp.Transport{})
	require.NoError(t, err)
	for _, c := range []struct {
		name, method, path, ctype string
		length                    int64
		status                    int
	}{
		{"413 by Content-Length", http.MethodPost, auth.Path, "application/json", 1 << 20, 413},
		{"415", http.MethodPost, auth.Path, "application/xml", -1, 415},
		{"405", http.MethodPut, auth.Path, "application/json", -1, 405},
		{"404", http.MethodPost, "/other", "application/json", -1, 404},
		{"400", http.MethodPost, auth.RefreshPath, "application/json", -1, 400},
		{"200", http.MethodPost, auth.Path, "application/json", -1, 200},
	} {
		b := &closeTracker{Reader: strings.NewReader(demoBody)}
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Body = b
		req.ContentLength = c.length
		req.Header.Set("Content-Type", c.ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, c.status, rec.Code, c.name)
		b.mu.Lock()
		require.True(t, b.closed, "%s: body not closed", c.name)
		b.mu.Unlock()
	}
}

func TestNewFromEnv(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	t.Run("ok", func(t *testing.T) {
		h, err := proxy.NewFromEnv(envOf(map[string]string{proxy.EnvUpstreamTimeout: "3s", proxy.EnvBaseURL: fake.URL}),
			authhttp.Transport{}, exhausted(httptestKey), io.Discard)
		require.NoError(t, err)
		assert.Equal(t, 3*time.Second, h.UpstreamTimeout())
		assert.Equal(t, fake.URL+auth.Path, h.URL())
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody)))
		assert.Equal(t, http.StatusTooManyRequests, rr.Code, "the limiter is used")
	})
	t.Run("rate limit off", func(t *testing.T) {
		before := fake.Count()
		h, err := proxy.NewFromEnv(envOf(map[string]string{proxy.EnvLoginRateLimit: "off", proxy.EnvBaseURL: fake.URL}),
			authhttp.Transport{}, exhausted(httptestKey), io.Discard)
		require.NoError(t, err)
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody)))
		assert.Equal(t, http.StatusOK, rr.Code)
		assert.Equal(t, 1, fake.Count()-before)
	})
	t.Run("default base URL and log", func(t *testing.T) {
		h, err := proxy.NewFromEnv(envOf(nil), authhttp.Transport{}, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, auth.DefaultBaseURL+auth.Path, h.URL())
		assert.Equal(t, proxy.DefaultUpstreamTimeout, h.UpstreamTimeout())
	})
	t.Run("bad env and bad values together", func(t *testing.T) {
		logs := &syncBuffer{}
		h, err := proxy.NewFromEnv(envOf(map[string]string{
			proxy.EnvUpstreamTimeout: "10",
			proxy.EnvAllowedOrigins:  "*",
		}), authhttp.Transport{}, nil, logs)
		require.Error(t, err)
		require.NotNil(t, h)
		assert.Equal(t, err, h.Err())
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodOptions, "/anything", nil))
		require.Equal(t, http.StatusInternalServerError, rr.Code)
		b := decode(t, rr)
		assert.Equal(t, proxy.CodeMisconfigured, b.Code)
		assert.Contains(t, b.Message, "UPSTREAM_TIMEOUT")
		assert.Contains(t, b.Message, "wildcard")
		assert.Contains(t, logs.String(), "code=misconfigured")
	})
	t.Run("nil transport", func(t *testing.T) {
		h, err := proxy.NewFromEnv(envOf(nil), nil, nil, io.Discard)
		require.ErrorContains(t, err, "no upstream auth.Transport")
		require.NotNil(t, h)
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody)))
		assert.Equal(t, http.StatusInternalServerError, rr.Code)
	})
}
