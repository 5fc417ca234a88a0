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
	Message      string `json:"message"`
	Code         string `json:"code"`
}

// decode checks the headers every answer carries and decodes its JSON body
// (strictly: only the known fields, nothing after the object).
func decode(t *testing.T, rr *httptest.ResponseRecorder) body {
	t.Helper()
	h := rr.Header()
	assert.Equal(t, "no-store", h.Get("Cache-Control"), "Cache-Control")
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Contains(t, strings.Join(h.Values("Vary"), ", "), "Origin", "Vary")
	var b body
	if rr.Code == http.StatusNoContent {
		assert.Empty(t, rr.Body.String(), "204 body")
		return b
	}
	assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
	assert.Equal(t, itoa(rr.Body.Len()), h.Get("Content-Length"))
	dec := json.NewDecoder(bytes.NewReader(rr.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b), "body %q", rr.Body.String())
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "data after the JSON answer")
	if rr.Code == http.StatusOK {
		assert.NotEmpty(t, b.RefreshToken)
		assert.Empty(t, b.Message+b.Code)
	} else {
		assert.Empty(t, b.RefreshToken)
		assert.NotEmpty(t, b.Message)
		assert.NotEmpty(t, b.Code)
	}
	return b
}

func itoa(n int) string { return strconv.Itoa(n) }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by caller") }

// transportFunc adapts a function to auth.Transport.
type transportFunc func(ctx context.Context, url string, body []byte) (auth.Answer, error)

func (f transportFunc) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	return f(ctx, url, body)
}

type handlerCase struct {
	name      string
	cfg       func(*proxy.Config)
	transport auth.Transport // default: authhttp to the fake
	method    string         // default POST
	target    string         // default auth.Path
	ct        string         // Content-Type; default application/json, "-" for none
	header    http.Header    // more request headers
	body      string         // default demoBody for POST
	noBody    bool
	setup     func(*http.Request)

	status    int
	code      string
	msg       string            // substring of the message
	hdr       map[string]string // exact answer header values
	noHdr     []string          // answer headers that must be absent
	upstream  int               // requests the fake must get
	check     func(t *testing.T, rr *httptest.ResponseRecorder, b body)
	wantNewOK bool
}

// TestHandler is the proxy's own checks and CORS, each case against the
// fake J-Quants through authhttp, with the fake's request count checked.
func TestHandler(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount("padded@example.com", "pw-padded")
	logs := &syncBuffer{}

	var limiterKeys []string
	var limiterMu sync.Mutex
	recordKey := proxy.LimiterFunc(func(_ context.Context, key string) (bool, error) {
		limiterMu.Lock()
		defer limiterMu.Unlock()
		limiterKeys = append(limiterKeys, key)
		return true, nil
	})
	lastKey := func() string {
		limiterMu.Lock()
		defer limiterMu.Unlock()
		if len(limiterKeys) == 0 {
			return ""
		}
		return limiterKeys[len(limiterKeys)-1]
	}
	deny := proxy.LimiterFunc(func(context.Context, string) (bool, error) { return false, nil })

	big := `{"mailaddress":"` + demoMail + `","password":"` + demoPassword + `","pad":"`
	exactly4K := big + strings.Repeat("x", proxy.MaxBodyBytes-len(big)-2) + `"}`
	require.Len(t, exactly4K, proxy.MaxBodyBytes)
	over4K := big + strings.Repeat("x", proxy.MaxBodyBytes-len(big)-1) + `"}`
	require.Len(t, over4K, proxy.MaxBodyBytes+1)

	withSecret := func(format string) string { return strings.ReplaceAll(format, "SECRET", secretPassword) }
	allowedHdr := map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Vary": "Origin", "Access-Control-Expose-Headers": "Retry-After"}
	noCORS := []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"}
	preflight := func(origin, method, headers string) http.Header {
		h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
		if headers != "" {
			h.Set("Access-Control-Request-Headers", headers)
		}
		return h
	}
	workerd := func(rawURL, host string) func(*http.Request) {
		return func(r *http.Request) {
			r.RequestURI = "" // as syumai/workers builds it
			r.URL, _ = url.Parse(rawURL)
			r.Host = host
		}
	}

	cases := []handlerCase{
		// Success.
		{name: "ok", status: 200, upstream: 1, noHdr: append(noCORS, "Allow", "Retry-After")},
		{name: "ok charset param", ct: "application/json; charset=utf-8", status: 200, upstream: 1},
		{name: "ok charset upper case", ct: "Application/JSON;Charset=UTF-8", status: 200, upstream: 1},
		{name: "ok query ignored", target: auth.Path + "?x=1", status: 200, upstream: 1},
		{name: "ok extra fields dropped", body: `{"extra":{"a":[1,2,{"b":null}]},"mailaddress":"` + demoMail + `","n":1e999,"password":"` + demoPassword + `","t":true}`, status: 200, upstream: 1},
		{name: "ok exactly 4 KiB", body: exactly4K, status: 200, upstream: 1},
		{name: "ok trailing white space", body: demoBody + " \n\t", status: 200, upstream: 1},
		{name: "ok mail trimmed", body: `{"mailaddress":"  padded@example.com ","password":"pw-padded"}`, status: 200, upstream: 1,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ body) {
				reqs := fake.Requests()
				assert.Equal(t, "padded@example.com", reqs[len(reqs)-1].MailAddress)
			}},
		{name: "ok escaped key", body: `{"mail\u0061ddress":"` + demoMail + `","password":"` + demoPassword + `"}`, status: 200, upstream: 1},
		{name: "ok chunked body without length", setup: func(r *http.Request) { r.ContentLength = -1 }, status: 200, upstream: 1},
		{name: "wrong password goes upstream", body: withSecret(`{"mailaddress":"` + demoMail + `","password":"SECRET"}`),
			status: 400, code: auth.CodeInvalidCredentials, msg: authtest.MessageIncorrect, upstream: 1},

		// Paths.
		{name: "root", target: "/", status: 404, code: proxy.CodeNotFound, msg: "POST /v1/token/auth_user"},
		{name: "trailing slash", target: auth.Path + "/", status: 404, code: proxy.CodeNotFound},
		{name: "dot dot after", target: auth.Path + "/..", status: 404, code: proxy.CodeNotFound},
		{name: "dot dot inside", target: "/v1/token/x/../auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "dot segment", target: "/v1/token/./auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "escaped slash", target: "/v1/token%2Fauth_user", status: 404, code: proxy.CodeNotFound},
		{name: "escaped letter", target: "/v1/token/auth%5Fuser", status: 404, code: proxy.CodeNotFound},
		{name: "double slash", target: "//v1/token/auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "upper case", target: "/V1/TOKEN/AUTH_USER", status: 404, code: proxy.CodeNotFound},
		{name: "absolute form", target: "http://evil/v1/token/auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "absolute form same host", target: "http://example.com/v1/token/auth_user", status: 404, code: proxy.CodeNotFound},
		{name: "GET elsewhere is 404", method: "GET", target: "/favicon.ico", status: 404, code: proxy.CodeNotFound},
		{name: "workerd absolute URL", setup: workerd("https://worker.example/v1/token/auth_user", "worker.example"), status: 200, upstream: 1},
		{name: "workerd other path", setup: workerd("https://worker.example/v1/token/auth_user/", "worker.example"), status: 404, code: proxy.CodeNotFound},

		// Methods.
		{name: "GET", method: "GET", status: 405, code: proxy.CodeMethodNotAllowed, hdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "HEAD", method: "HEAD", status: 405, code: proxy.CodeMethodNotAllowed, hdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "PUT", method: "PUT", status: 405, code: proxy.CodeMethodNotAllowed, hdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "DELETE", method: "DELETE", status: 405, code: proxy.CodeMethodNotAllowed, hdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "PATCH allowed origin", method: "PATCH", header: http.Header{"Origin": {allowedOrigin}}, status: 405, code: proxy.CodeMethodNotAllowed,
			hdr: map[string]string{"Allow": "OPTIONS, POST", "Vary": "Origin"}, noHdr: noCORS},
		{name: "plain OPTIONS", method: "OPTIONS", noBody: true, status: 204, hdr: map[string]string{"Allow": "OPTIONS, POST"}, noHdr: noCORS},

		// Content-Type.
		{name: "no content type", ct: "-", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "text/plain", ct: "text/plain", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "form", ct: "application/x-www-form-urlencoded", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "jsonx", ct: "application/jsonx", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "problem+json", ct: "application/problem+json", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "latin1 charset", ct: "application/json; charset=iso-8859-1", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "malformed media type", ct: "application/json; =", status: 415, code: proxy.CodeUnsupportedMediaType},
		{name: "two content types", header: http.Header{"Content-Type": {"text/plain"}}, status: 415, code: proxy.CodeUnsupportedMediaType},

		// Size.
		{name: "over 4 KiB", body: over4K, status: 413, code: proxy.CodeBodyTooLarge},
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

		// CORS.
		{name: "preflight allowed", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", "content-type"), status: 204,
			hdr: map[string]string{"Access-Control-Allow-Origin": allowedOrigin, "Access-Control-Allow-Methods": "POST",
				"Access-Control-Allow-Headers": "content-type", "Access-Control-Max-Age": "600"},
			noHdr: []string{"Access-Control-Allow-Credentials", "Content-Type", "Allow"}},
		{name: "preflight 127.0.0.1", method: "OPTIONS", noBody: true, header: preflight("http://127.0.0.1:8787", "POST", "content-type"), status: 204,
			hdr: map[string]string{"Access-Control-Allow-Origin": "http://127.0.0.1:8787"}},
		{name: "preflight not allowed", method: "OPTIONS", noBody: true, header: preflight(evilOrigin, "POST", "content-type"), status: 403,
			code: proxy.CodeOriginNotAllowed, msg: "ALLOWED_ORIGINS", noHdr: noCORS},
		{name: "preflight PUT", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "PUT", ""), status: 204, noHdr: noCORS},
		{name: "preflight authorization header", method: "OPTIONS", noBody: true, header: preflight(allowedOrigin, "POST", "authorization,content-type"), status: 204, noHdr: noCORS},
		{name: "preflight unknown path", method: "OPTIONS", target: "/x", noBody: true, header: preflight(allowedOrigin, "POST", ""), status: 404, code: proxy.CodeNotFound, noHdr: noCORS},
		{name: "POST allowed origin", header: http.Header{"Origin": {allowedOrigin}}, status: 200, upstream: 1, hdr: allowedHdr},
		{name: "POST not allowed origin", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST origin null", header: http.Header{"Origin": {"null"}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "POST origin prefix of allowed", header: http.Header{"Origin": {"http://localhost:878"}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "POST origin with path", header: http.Header{"Origin": {allowedOrigin + "/"}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "POST two origins", header: http.Header{"Origin": {allowedOrigin, evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed, noHdr: noCORS},
		{name: "GET not allowed origin", method: "GET", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "bad body not allowed origin", body: "nope", header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "same origin http", header: http.Header{"Origin": {"http://example.com"}}, status: 200, upstream: 1,
			hdr: map[string]string{"Access-Control-Allow-Origin": "http://example.com"}},
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

		// Rate limiting.
		{name: "limiter refuses", cfg: func(c *proxy.Config) { c.Limiter = deny }, status: 429, code: auth.CodeRateLimited,
			msg: "try again in 60 seconds", hdr: map[string]string{"Retry-After": "60"}},
		{name: "limiter refuses custom period", cfg: func(c *proxy.Config) { c.Limiter = deny; c.LimiterRetryAfter = 1500 * time.Millisecond },
			status: 429, code: auth.CodeRateLimited, hdr: map[string]string{"Retry-After": "2"}},
		{name: "limiter off", cfg: func(c *proxy.Config) { c.Limiter = deny; c.DisableRateLimit = true }, status: 200, upstream: 1},
		{name: "limiter not asked for a bad body", cfg: func(c *proxy.Config) { c.Limiter = deny }, body: "{}", status: 400, code: auth.CodeInvalidInput},
		{name: "limiter not asked for a bad origin", cfg: func(c *proxy.Config) { c.Limiter = deny },
			header: http.Header{"Origin": {evilOrigin}}, status: 403, code: proxy.CodeOriginNotAllowed},
		{name: "limiter error fails open", cfg: func(c *proxy.Config) {
			c.Limiter = proxy.LimiterFunc(func(context.Context, string) (bool, error) { return false, errors.New("binding unavailable") })
		}, status: 200, upstream: 1},
		{name: "limiter key from CF-Connecting-IP", cfg: func(c *proxy.Config) { c.Limiter = recordKey },
			header: http.Header{"Cf-Connecting-Ip": {"203.0.113.7"}}, status: 200, upstream: 1,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ body) { assert.Equal(t, "203.0.113.7", lastKey()) }},
		{name: "limiter key from RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = recordKey },
			setup: func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:4321" }, status: 200, upstream: 1,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ body) { assert.Equal(t, "2001:db8::1", lastKey()) }},
		{name: "limiter key from bare RemoteAddr", cfg: func(c *proxy.Config) { c.Limiter = recordKey },
			setup: func(r *http.Request) { r.RemoteAddr = "198.51.100.2" }, status: 200, upstream: 1,
			check: func(t *testing.T, _ *httptest.ResponseRecorder, _ body) { assert.Equal(t, "198.51.100.2", lastKey()) }},

		// Failures of the proxy itself.
		{name: "limiter panics", cfg: func(c *proxy.Config) {
			c.Limiter = proxy.LimiterFunc(func(context.Context, string) (bool, error) { panic("limiter bug") })
		}, status: 500, code: proxy.CodeInternal},
		{name: "transport panics", transport: transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
			panic(errors.New("transport bug"))
		}), status: 500, code: proxy.CodeInternal},
		{name: "misconfigured", cfg: func(c *proxy.Config) { c.BaseURL = "ftp://files.example" }, status: 500,
			code: proxy.CodeMisconfigured, msg: "BaseURL (JQUANTS_API_BASE_URL)"},
		{name: "misconfigured any path", cfg: func(c *proxy.Config) { c.AllowedOrigins = []string{"*"} }, method: "GET", target: "/x",
			status: 500, code: proxy.CodeMisconfigured, msg: "wildcard"},
		{name: "nil transport", transport: transportFunc(nil), cfg: func(*proxy.Config) {}, status: 500, code: proxy.CodeMisconfigured},
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
			if f, ok := tc.transport.(transportFunc); ok && f == nil {
				tr = nil
			} else if tc.transport != nil {
				tr = tc.transport
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
			if reqBody == "" && !tc.noBody && method == http.MethodPost {
				reqBody = demoBody
			}
			r := httptest.NewRequest(method, target, strings.NewReader(reqBody))
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
			if tc.status == 405 || tc.status == 204 && tc.method == "OPTIONS" && tc.header == nil {
				assert.Equal(t, proxy.Allow, rr.Header().Get("Allow"))
			}
			assert.NotContains(t, rr.Body.String(), secretPassword)
			assert.NotContains(t, rr.Body.String(), demoPassword)
			assert.Equal(t, tc.upstream, fake.Count()-before, "requests upstream")
			if tc.status == 200 {
				assert.True(t, strings.HasPrefix(b.RefreshToken, authtest.TokenPrefix))
				assert.True(t, fake.Handler().Issued(b.RefreshToken))
				tokens = append(tokens, b.RefreshToken)
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
	assert.Equal(t, requests, strings.Count(log, " status="), "one line per request")
	assert.Contains(t, log, `proxy: method=POST path="/v1/token/auth_user" status=200 duration=`)
	assert.Contains(t, log, `origin="https://evil.example" code=origin_not_allowed`)
	assert.Contains(t, log, `path="http://evil/v1/token/auth_user" status=404`)
	assert.Contains(t, log, `limiter failed, letting the login through detail="binding unavailable"`)
	assert.Contains(t, log, `code=internal detail="panic: limiter bug"`)
	assert.Contains(t, log, `code=internal detail="panic: transport bug"`)
	assert.Contains(t, log, `code=misconfigured detail=`)
	for _, secret := range append([]string{secretPassword, demoPassword, "pw-padded", "caller-token", "session=abc"}, tokens...) {
		assert.NotContains(t, log, secret)
	}
	require.NotEmpty(t, tokens)
}

// checkUpstreamRequest: exactly the two fields, a Content-Length, none of the caller's headers.
func checkUpstreamRequest(t *testing.T, req authtest.Request) {
	t.Helper()
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, auth.Path, req.Path)
	assert.Equal(t, []string{auth.FieldMailAddress, auth.FieldPassword}, req.Fields)
	assert.Positive(t, req.ContentLength)
	assert.Empty(t, req.TransferEncoding)
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	for _, k := range []string{"Cookie", "Authorization", "Origin", "X-Forwarded-For", "Cf-Connecting-Ip", "Referer"} {
		assert.Empty(t, req.Header.Values(k), "header %s reached upstream", k)
	}
}

// TestUpstream drives the handler against the fake's statuses and faults.
func TestUpstream(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL + "/", UpstreamTimeout: 200 * time.Millisecond, Log: logs}, authhttp.Transport{})
	require.NoError(t, err)
	assert.Equal(t, fake.URL+auth.Path, h.URL())

	cases := []struct {
		name       string
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
		{name: "500 without message", fault: authtest.Fault{Status: 500}, status: 500, code: auth.CodeUpstreamError, msgPart: "failed"},
		{name: "429 with Retry-After", fault: authtest.Fault{Status: 429, Message: "Too Many Requests", Header: http.Header{"Retry-After": {"7"}}},
			status: 429, code: auth.CodeRateLimited, msg: "Too Many Requests", retryAfter: "7"},
		{name: "429 without Retry-After", fault: authtest.Fault{Status: 429}, status: 429, code: auth.CodeRateLimited,
			msg: "the J-Quants API is rate limiting logins: try again in 60 seconds", retryAfter: "60"},
		{name: "404 endpoint gone", fault: authtest.Fault{Status: 404, Message: "Not Found"}, status: 502, code: auth.CodeEndpointGone, msgPart: "2026-06-01"},
		{name: "503", fault: authtest.Fault{Status: 503, Message: "Service Unavailable", Header: http.Header{"Retry-After": {"3"}}},
			status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API answered with unexpected status 503", retryAfter: "3"},
		{name: "418", fault: authtest.Fault{Status: 418}, status: 502, code: auth.CodeUpstreamError, msgPart: "unexpected status 418"},
		{name: "HTML with 200", fault: authtest.Fault{Body: "<html><body>maintenance</body></html>"}, status: 502, code: auth.CodeUpstreamError,
			msgPart: "the J-Quants API answered 200 without a usable refresh token: the answer is not"},
		{name: "JSON without token", fault: authtest.Fault{Body: `{"message":"ok"}`, ContentType: "application/json"}, status: 502, code: auth.CodeUpstreamError,
			msgPart: "the answer has no refreshToken"},
		{name: "HTML with 404", fault: authtest.Fault{Status: 404, Body: "<h1>Not Found</h1>"}, status: 502, code: auth.CodeEndpointGone, msgPart: "retired"},
		{name: "answer over 64 KiB", fault: authtest.Fault{Body: strings.Repeat("x", auth.MaxAnswerBytes+1)}, status: 502, code: auth.CodeUpstreamError, msgPart: "larger than 64 KiB"},
		{name: "truncated JSON", fault: authtest.Fault{Truncate: true}, status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API's answer (status 200) was cut off or could not be read"},
		{name: "dropped connection", fault: authtest.Fault{Drop: true}, status: 502, code: proxy.CodeUpstreamUnreachable, msgPart: "could not reach"},
		{name: "slower than the timeout", fault: authtest.Fault{Delay: 30 * time.Second}, status: 504, code: auth.CodeTimeout, msg: "no answer from the J-Quants API within 200ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake.Reset()
			fake.SetFault(tc.fault)
			r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
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
			require.Equal(t, 1, fake.Count(), "exactly one try upstream")
			checkUpstreamRequest(t, fake.Requests()[0])
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		gone := authtest.NewServer()
		gone.Close()
		h, err := proxy.New(proxy.Config{BaseURL: gone.URL, Log: logs}, authhttp.Transport{})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
		r.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		require.Equal(t, http.StatusBadGateway, rr.Code)
		b := decode(t, rr)
		assert.Equal(t, proxy.CodeUpstreamUnreachable, b.Code)
		assert.NotContains(t, b.Message, "127.0.0.1", "the message does not leak the upstream address")
	})

	log := logs.String()
	assert.Contains(t, log, "detail=")
	assert.NotContains(t, log, demoPassword)
	assert.NotContains(t, log, "session=abc")
}

// blockingTransport ignores its context until released.
func blockingTransport(t *testing.T) (auth.Transport, *int32Counter) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	calls := &int32Counter{}
	return transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
		calls.add()
		<-release
		return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"late"}`)}, nil
	}), calls
}

type int32Counter struct {
	mu sync.Mutex
	n  int
}

func (c *int32Counter) add() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *int32Counter) get() int {
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
	r.Header.Set("Content-Type", "application/json")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	require.Equal(t, http.StatusGatewayTimeout, rr.Code)
	assert.Equal(t, auth.CodeTimeout, decode(t, rr).Code)
	assert.Equal(t, 1, calls.get())
}

// TestCallerGone: a caller that went away gets 499 (logged), not a wait.
func TestCallerGone(t *testing.T) {
	tr, _ := blockingTransport(t)
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{UpstreamTimeout: proxy.MaxUpstreamTimeout, Log: logs}, tr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, auth.Path, strings.NewReader(demoBody))
	r.Header.Set("Content-Type", "application/json")
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	require.Equal(t, proxy.StatusClientClosedRequest, rr.Code)
	assert.Equal(t, auth.CodeCanceled, decode(t, rr).Code)
	assert.Contains(t, logs.String(), "status=499")
}

// TestTransportErrors covers errors a transport returns rather than answers.
func TestTransportErrors(t *testing.T) {
	cases := []struct {
		name   string
		post   func(ctx context.Context) (auth.Answer, error)
		status int
		code   string
	}{
		{"deadline error", func(ctx context.Context) (auth.Answer, error) {
			<-ctx.Done() // a transport that honours its context
			return auth.Answer{}, ctx.Err()
		}, http.StatusGatewayTimeout, auth.CodeTimeout},
		{"own deadline error", func(context.Context) (auth.Answer, error) {
			return auth.Answer{}, errors.Join(errors.New("fetch aborted"), context.DeadlineExceeded)
		}, http.StatusGatewayTimeout, auth.CodeTimeout},
		{"too large", func(context.Context) (auth.Answer, error) {
			return auth.Answer{StatusCode: 200}, errors.Join(errors.New("read"), auth.ErrAnswerTooLarge)
		}, http.StatusBadGateway, auth.CodeUpstreamError},
		{"network", func(context.Context) (auth.Answer, error) {
			return auth.Answer{}, errors.New("dial tcp: connection refused")
		}, http.StatusBadGateway, proxy.CodeUpstreamUnreachable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			timeout := 10 * time.Second
			if tc.code == auth.CodeTimeout {
				timeout = 20 * time.Millisecond
			}
			h, err := proxy.New(proxy.Config{UpstreamTimeout: timeout, Log: io.Discard},
				transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) { return tc.post(ctx) }))
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
			r.Header.Set("Content-Type", "application/json")
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			require.Equal(t, tc.status, rr.Code)
			assert.Equal(t, tc.code, decode(t, rr).Code)
		})
	}
}

// TestConcurrentAccounts: 32 logins at once each get their own token.
func TestConcurrentAccounts(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	logs := &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: logs, Limiter: proxy.NewMemoryLimiter(1, 0)}, authhttp.Transport{})
	require.NoError(t, err)

	const n = 32
	mails := make([]string, n)
	passwords := make([]string, n)
	for i := range n {
		mails[i] = "user" + itoa(i) + "@example.com"
		passwords[i] = "password-" + itoa(i) + "-xyz"
		fake.AddAccount(mails[i], passwords[i])
	}
	tokens := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]string{"mailaddress": mails[i], "password": passwords[i]})
			r := httptest.NewRequest(http.MethodPost, auth.Path, bytes.NewReader(b))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = "192.0.2." + itoa(i) + ":1234" // one login per address passes the limiter
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			codes[i] = rr.Code
			var got body
			_ = json.Unmarshal(rr.Body.Bytes(), &got)
			tokens[i] = got.RefreshToken
		})
	}
	wg.Wait()

	seen := map[string]bool{}
	for i := range n {
		require.Equal(t, http.StatusOK, codes[i], "login %d", i)
		assert.True(t, fake.Handler().Issued(tokens[i]), "token %d not issued by the fake", i)
		assert.False(t, seen[tokens[i]], "token %d shared", i)
		seen[tokens[i]] = true
	}
	byMail := map[string]int{}
	for _, req := range fake.Requests() {
		byMail[req.MailAddress]++
	}
	for i := range n {
		assert.Equal(t, 1, byMail[mails[i]], mails[i])
	}
	keys := make([]string, 0, len(byMail))
	for k := range byMail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Len(t, keys, n)
	log := logs.String()
	assert.Equal(t, n, strings.Count(log, "\n"))
	for i := range n {
		assert.NotContains(t, log, passwords[i])
		assert.NotContains(t, log, tokens[i])
	}
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
		r.Header.Set("Content-Type", "application/json")
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
	r.Header.Set("Content-Type", "application/json")
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { h.ServeHTTP(httptest.NewRecorder(), r) })
	assert.Contains(t, logs.String(), "code=internal")
}
