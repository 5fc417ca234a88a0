package proxy_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// These drive the sans-I/O core directly, as the Worker does: no net/http,
// no transport. An edge hands Prepare what it read, makes the Call, and
// hands Finish what became of it.

const (
	coreBase     = "https://api.example"
	coreRefresh  = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.secret-refresh+token/part=="
	coreIDToken  = "eyJraWQiOiJzZWNyZXQtaWQtdG9rZW4ifQ.secret-id-token"
	coreUpstream = coreBase + "/v1/token/auth_refresh?refreshtoken="
)

var coreStart = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func newCore(t *testing.T, cfg proxy.Config) *proxy.Core {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = coreBase
	}
	c, err := proxy.NewCore(cfg)
	require.NoError(t, err)
	return c
}

// coreRequest is a request as an edge reads it; header pairs are name, value.
func coreRequest(method, target, body string, header ...string) *proxy.Request {
	r := &proxy.Request{Method: method, Target: target, Scheme: "https", Host: "proxy.example", RemoteAddr: "198.51.100.7:5555", Start: coreStart}
	if body != "" {
		r.Body = []byte(body)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header = append(r.Header, [2]string{header[i], header[i+1]})
	}
	return r
}

// headerMap is an Answer's headers, each of which must appear once.
func headerMap(t *testing.T, a proxy.Answer) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, f := range a.Header {
		_, dup := m[f[0]]
		require.False(t, dup, "header %s twice", f[0])
		m[f[0]] = f[1]
	}
	return m
}

func answerBody(t *testing.T, a proxy.Answer) map[string]string {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal(a.Body, &m), "%s", a.Body)
	return m
}

// The upstream headers of a V1 call, with and without a body.
var (
	postJSON   = [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "identity"}, {"Content-Type", "application/json"}}
	postNoBody = [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "identity"}}
)

// TestCorePrepare: the Call for each shape, with everything Finish needs.
func TestCorePrepare(t *testing.T) {
	core := newCore(t, proxy.Config{UpstreamTimeout: 3 * time.Second, AllowedOrigins: []string{"https://app.example"}})
	creds, err := auth.NewCredentials("user@example.com", "pw")
	require.NoError(t, err)
	tests := []struct {
		name string
		req  *proxy.Request
		want proxy.Call
	}{
		{"auth_user", coreRequest("POST", auth.Path, string(creds.RequestBody()), "content-type", "application/json"),
			proxy.Call{Method: "POST", URL: coreBase + auth.Path, Header: postJSON, Body: creds.RequestBody(), Limiter: proxy.LimiterLogin, Timeout: 3 * time.Second, LimitKey: "198.51.100.7",
				State: proxy.State{Endpoint: auth.AuthUser, Start: coreStart}}},
		{"auth_user from an allowed origin", coreRequest("POST", auth.Path, string(creds.RequestBody()), "origin", "https://app.example", "cf-connecting-ip", " 203.0.113.9 "),
			proxy.Call{Method: "POST", URL: coreBase + auth.Path, Header: postJSON, Body: creds.RequestBody(), Limiter: proxy.LimiterLogin, Timeout: 3 * time.Second, LimitKey: "203.0.113.9",
				State: proxy.State{Endpoint: auth.AuthUser, Origin: "https://app.example", Start: coreStart}}},
		{"auth_refresh query", coreRequest("POST", auth.RefreshPath+"?refreshtoken="+url.QueryEscape(coreRefresh), ""),
			proxy.Call{Method: "POST", URL: coreUpstream + url.QueryEscape(coreRefresh), Header: postNoBody, Limiter: proxy.LimiterLogin, Timeout: 3 * time.Second, LimitKey: "198.51.100.7",
				State: proxy.State{Endpoint: auth.AuthRefresh, Start: coreStart}}},
		{"auth_refresh body", coreRequest("POST", auth.RefreshPath, `{"refreshtoken":"`+coreRefresh+`"}`, "content-type", "text/plain"),
			proxy.Call{Method: "POST", URL: coreUpstream + url.QueryEscape(coreRefresh), Header: postNoBody, Limiter: proxy.LimiterLogin, Timeout: 3 * time.Second, LimitKey: "198.51.100.7",
				State: proxy.State{Endpoint: auth.AuthRefresh, Start: coreStart}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, call := proxy.PrepareNew(core, tt.req)
			require.NotNil(t, call, "%s", a.Body)
			assert.Zero(t, a)
			assert.Equal(t, tt.want, *call)
		})
	}

	t.Run("no limiter key when limiting is off", func(t *testing.T) {
		core := newCore(t, proxy.Config{DisableRateLimit: true})
		_, call := proxy.PrepareNew(core, coreRequest("POST", auth.RefreshPath+"?refreshtoken=x", ""))
		require.NotNil(t, call)
		assert.Empty(t, call.LimitKey)
		assert.Equal(t, proxy.DefaultUpstreamTimeout, call.Timeout)
	})
	t.Run("URL and timeout", func(t *testing.T) {
		assert.Equal(t, coreBase+auth.Path, core.URL())
		assert.Equal(t, 3*time.Second, core.UpstreamTimeout())
		assert.NoError(t, core.Err())
	})
}

// TestCoreFinish: what becomes of a Call, for each fault and answer, on
// each endpoint, with the exact headers.
func TestCoreFinish(t *testing.T) {
	core := newCore(t, proxy.Config{AllowedOrigins: []string{"https://app.example"}, UpstreamTimeout: 2 * time.Second, LimiterRetryAfter: 30 * time.Second})
	answer := func(status int, body string, header ...string) proxy.UpstreamAnswer {
		var h proxy.Header
		for i := 0; i+1 < len(header); i += 2 {
			h = append(h, [2]string{strings.ToLower(header[i]), header[i+1]})
		}
		return proxy.UpstreamAnswer{StatusCode: status, Header: h, Body: []byte(body)}
	}
	tests := []struct {
		name       string
		endpoint   auth.Endpoint
		up         proxy.Upstream
		status     int
		code       string
		msg        string
		token      string // for a 200
		retryAfter string
		logDetail  string
	}{
		{name: "timeout", up: proxy.Upstream{Fault: proxy.Timeout, Detail: proxy.DetailTimeout}, status: 504, code: auth.CodeTimeout,
			msg: "no answer from the J-Quants API within 2s", logDetail: `detail="timed out"`},
		{name: "canceled", up: proxy.Upstream{Fault: proxy.Canceled}, status: 499, code: auth.CodeCanceled, msg: "the request was canceled"},
		{name: "unreachable", up: proxy.Upstream{Fault: proxy.Unreachable, Detail: proxy.DetailRefused}, status: 502, code: proxy.CodeUpstreamUnreachable,
			msg: "could not reach the J-Quants API, or it closed the connection without answering", logDetail: `detail="connection refused"`},
		// An edge's error text never reaches the log: it can quote what the
		// upstream sent (here an echoed request line with a refresh token).
		{name: "unreachable, an error's own text", up: proxy.Upstream{Fault: proxy.Unreachable, Detail: `net/http: malformed HTTP status code "/v1/token/auth_refresh?refreshtoken=` + coreRefresh + `"`},
			status: 502, code: proxy.CodeUpstreamUnreachable, logDetail: `detail="other error"`},
		{name: "unreachable after a limiter error", up: proxy.Upstream{Fault: proxy.Unreachable, Detail: proxy.DetailLimiter + proxy.DetailSep + proxy.DetailLost},
			status: 502, code: proxy.CodeUpstreamUnreachable, logDetail: `detail="limiter error; connection lost"`},
		{name: "encoded answer", up: proxy.Upstream{Answer: answer(200, `{"refreshToken":"tok"}`, "Content-Encoding", "br")}, status: 502,
			code: auth.CodeUpstreamError, msg: "the J-Quants API answered in a Content-Encoding the proxy did not ask for"},
		{name: "identity encoding", up: proxy.Upstream{Answer: answer(200, `{"refreshToken":"tok"}`, "Content-Encoding", "identity")}, status: 200, token: "tok"},
		{name: "two Retry-After: unusable together, as fetch joins them", up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 429, Header: proxy.Header{{"retry-after", "7, 100"}}}},
			status: 429, code: auth.CodeRateLimited, retryAfter: "30"},
		{name: "101", up: proxy.Upstream{Answer: answer(101, ``)}, status: 502, code: auth.CodeUpstreamError, msg: "the J-Quants API answered with unexpected status 101"},
		{name: "cut", up: proxy.Upstream{Fault: proxy.Cut, Answer: proxy.UpstreamAnswer{StatusCode: 200}, Detail: "unexpected EOF"}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API's answer (status 200) was cut off or could not be read"},
		{name: "cut 500", endpoint: auth.AuthRefresh, up: proxy.Upstream{Fault: proxy.Cut, Answer: proxy.UpstreamAnswer{StatusCode: 500}}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API's answer (status 500) was cut off or could not be read"},
		{name: "too large", up: proxy.Upstream{Fault: proxy.TooLarge, Answer: proxy.UpstreamAnswer{StatusCode: 200}}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API answered with a body larger than 64 KiB"},
		{name: "limited", up: proxy.Upstream{Limited: true}, status: 429, code: auth.CodeRateLimited,
			msg: "too many login attempts from this address: try again in 30 seconds", retryAfter: "30"},
		{name: "limited refresh", endpoint: auth.AuthRefresh, up: proxy.Upstream{Limited: true}, status: 429, code: auth.CodeRateLimited, retryAfter: "30"},
		{name: "limiter failed, answer used", up: proxy.Upstream{Answer: answer(200, `{"refreshToken":"tok"}`), Detail: proxy.DetailLimiter}, status: 200, token: "tok",
			logDetail: `detail="limiter failed, the login went through: limiter error"`},
		{name: "refresh token", up: proxy.Upstream{Answer: answer(200, `{"refreshToken":"tok"}`)}, status: 200, token: "tok"},
		{name: "ID token", endpoint: auth.AuthRefresh, up: proxy.Upstream{Answer: answer(200, `{"idToken":"`+coreIDToken+`"}`)}, status: 200, token: coreIDToken},
		{name: "ID token wanted, refresh token got", endpoint: auth.AuthRefresh, up: proxy.Upstream{Answer: answer(200, `{"refreshToken":"x"}`)}, status: 502,
			code: auth.CodeUpstreamError, msg: "the J-Quants API answered 200 without a usable ID token: the answer has no idToken"},
		{name: "400", up: proxy.Upstream{Answer: answer(400, `{"message":"'mailaddress' or 'password' is incorrect."}`)}, status: 400,
			code: auth.CodeInvalidCredentials, msg: "'mailaddress' or 'password' is incorrect.", logDetail: `detail="upstream status 400"`},
		{name: "400 refresh, no message", endpoint: auth.AuthRefresh, up: proxy.Upstream{Answer: answer(400, ``)}, status: 400,
			code: auth.CodeInvalidCredentials, msg: "the J-Quants API rejected the refresh token: it is incorrect or expired"},
		{name: "403", up: proxy.Upstream{Answer: answer(403, `{"message":"Missing Authentication Token"}`)}, status: 403, code: auth.CodeForbidden, msg: "Missing Authentication Token"},
		{name: "429 upstream", up: proxy.Upstream{Answer: answer(429, ``, "Retry-After", "12")}, status: 429, code: auth.CodeRateLimited,
			msg: "the J-Quants API is rate limiting logins: try again in 12 seconds", retryAfter: "12"},
		{name: "500", up: proxy.Upstream{Answer: answer(500, `{"message":"boom"}`)}, status: 500, code: auth.CodeUpstreamError, msg: "boom"},
		{name: "404", endpoint: auth.AuthRefresh, up: proxy.Upstream{Answer: answer(404, `{"message":"Not Found"}`)}, status: 502, code: auth.CodeEndpointGone,
			msg: "J-Quants retired its V1 API, /v1/token/auth_refresh included, on 2026-06-01 (it answered 404)"},
		{name: "503 with Retry-After", up: proxy.Upstream{Answer: answer(503, ``, "Retry-After", "4")}, status: 502, code: auth.CodeUpstreamError,
			msg: "the J-Quants API answered with unexpected status 503", retryAfter: "4"},
	}
	for _, tt := range tests {
		for _, origin := range []string{"", "https://app.example"} {
			t.Run(tt.name+" origin="+origin, func(t *testing.T) {
				target := auth.Path
				body := `{"mailaddress":"user@example.com","password":"pw"}`
				if tt.endpoint == auth.AuthRefresh {
					target, body = auth.RefreshPath+"?refreshtoken="+url.QueryEscape(coreRefresh), ""
				}
				var hdr []string
				if origin != "" {
					hdr = []string{"origin", origin}
				}
				_, call := proxy.PrepareNew(core, coreRequest("POST", target, body, hdr...))
				require.NotNil(t, call)
				a := proxy.FinishNew(core, call, tt.up, coreStart.Add(250*time.Millisecond))
				require.Equal(t, tt.status, a.Status, "%s", a.Body)

				want := map[string]string{
					"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Vary": "Origin",
					"Content-Type": "application/json; charset=utf-8",
				}
				if origin != "" {
					want["Access-Control-Allow-Origin"] = origin
					want["Access-Control-Expose-Headers"] = "Retry-After"
				}
				if tt.retryAfter != "" {
					want["Retry-After"] = tt.retryAfter
				}
				assert.Equal(t, want, headerMap(t, a))

				m := answerBody(t, a)
				if tt.status == 200 {
					field := "refreshToken"
					if tt.endpoint == auth.AuthRefresh {
						field = "idToken"
					}
					assert.Equal(t, map[string]string{field: tt.token}, m)
				} else {
					assert.Equal(t, tt.code, m["code"])
					if tt.msg != "" {
						assert.Equal(t, tt.msg, m["message"])
					}
					assert.Len(t, m, 2)
				}

				// The log line: method, the path alone, status, duration,
				// origin, code, detail; never a token or the upstream URL.
				path := tt.endpoint.Path()
				assert.True(t, strings.HasPrefix(string(a.Log), `proxy: method=POST path="`+path+`" status=`+strconv.Itoa(tt.status)+` duration=250ms`), string(a.Log))
				if origin != "" {
					assert.Contains(t, string(a.Log), ` origin="`+origin+`"`)
				}
				if tt.code != "" {
					assert.Contains(t, string(a.Log), " code="+tt.code)
				}
				assert.Contains(t, string(a.Log), tt.logDetail)
				assert.NotContains(t, string(a.Log), "\n")
				for _, secret := range []string{coreRefresh, url.QueryEscape(coreRefresh), "secret", coreUpstream, "refreshtoken", "pw"} {
					assert.NotContains(t, string(a.Log), secret)
				}
			})
		}
	}
}

// TestCoreRefusals: answers Prepare gives without a Call, by a core alone.
func TestCoreRefusals(t *testing.T) {
	core := newCore(t, proxy.Config{})
	tests := []struct {
		name   string
		req    *proxy.Request
		status int
		code   string
		hdr    map[string]string
	}{
		{"404 keeps the query out of the log", coreRequest("POST", "/v1/token/auth_refresh/?refreshtoken="+coreRefresh, ""), 404, proxy.CodeNotFound, nil},
		{"405 CONNECT", coreRequest("CONNECT", auth.Path, ""), 405, proxy.CodeMethodNotAllowed, map[string]string{"Allow": proxy.Allow}},
		{"405 TRACE with a token", coreRequest("TRACE", auth.RefreshPath+"?refreshtoken="+coreRefresh, ""), 405, proxy.CodeMethodNotAllowed, map[string]string{"Allow": proxy.Allow}},
		{"400 token with a space", coreRequest("POST", auth.RefreshPath+"?refreshtoken=secret+token", ""), 400, auth.CodeInvalidInput, nil},
		{"400 both shapes", coreRequest("POST", auth.RefreshPath+"?refreshtoken="+coreRefresh, `{"refreshtoken":"secret"}`), 400, auth.CodeInvalidInput, nil},
		{"400 body with a bad token", coreRequest("POST", auth.RefreshPath, `{"refreshtoken":"secret token"}`), 400, auth.CodeInvalidInput, nil},
		{"413 too large", &proxy.Request{Method: "POST", Target: auth.RefreshPath + "?refreshtoken=" + coreRefresh, TooLarge: true, Start: coreStart}, 413, proxy.CodeBodyTooLarge, nil},
		{"413 body over the limit", coreRequest("POST", auth.Path, strings.Repeat(" ", proxy.MaxBodyBytes+1)), 413, proxy.CodeBodyTooLarge, nil},
		{"400 read error", &proxy.Request{Method: "POST", Target: auth.Path, ReadErr: "connection reset", Start: coreStart}, 400, auth.CodeInvalidInput, nil},
		{"415", coreRequest("POST", auth.RefreshPath, "refreshtoken=secret", "content-type", "application/x-www-form-urlencoded"), 415, proxy.CodeUnsupportedMediaType, nil},
		{"415 by Content-Length alone", &proxy.Request{Method: "POST", Target: auth.Path, TooLarge: true, Header: proxy.Header{{"content-type", "text/xml"}}, Start: coreStart}, 415, proxy.CodeUnsupportedMediaType, nil},
		{"403", coreRequest("POST", auth.RefreshPath+"?refreshtoken="+coreRefresh, "", "origin", "https://evil.example"), 403, proxy.CodeOriginNotAllowed, nil},
		{"204 OPTIONS", coreRequest("OPTIONS", auth.RefreshPath+"?refreshtoken="+coreRefresh, ""), 204, "", map[string]string{"Allow": proxy.Allow}},
		{"204 preflight", coreRequest("OPTIONS", auth.RefreshPath, "", "origin", "http://localhost:8787", "access-control-request-method", "POST"), 204, "",
			map[string]string{"Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers", "Access-Control-Max-Age": "600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, call := proxy.PrepareNew(core, tt.req)
			require.Nil(t, call)
			require.Equal(t, tt.status, a.Status, "%s", a.Body)
			h := headerMap(t, a)
			for k, v := range tt.hdr {
				assert.Equal(t, v, h[k], k)
			}
			if tt.status == 204 {
				assert.Nil(t, a.Body)
			} else {
				assert.Equal(t, tt.code, answerBody(t, a)["code"])
				assert.Contains(t, string(a.Log), " code="+tt.code)
			}
			assert.Contains(t, string(a.Log), " status="+strconv.Itoa(tt.status)+" ")
			for _, secret := range []string{coreRefresh, "secret", "refreshtoken", "?"} {
				assert.NotContains(t, string(a.Log), secret)
				assert.NotContains(t, string(a.Body), coreRefresh)
			}
		})
	}
	_, call := proxy.PrepareNew(core, &proxy.Request{Method: "POST", Target: auth.Path, ReadErr: "connection reset", Start: coreStart})
	assert.Nil(t, call)
}

func TestStateRoundTrip(t *testing.T) {
	for _, s := range []proxy.State{
		{Endpoint: auth.AuthUser, Start: time.UnixMilli(1_777_000_000_123)},
		{Endpoint: auth.AuthRefresh, Origin: "https://app.example:8443", Start: time.UnixMilli(0)},
		{Endpoint: auth.AuthRefresh, Origin: "http://localhost:8787", Start: time.UnixMilli(-5)},
		{Endpoint: auth.AuthUser, Origin: "odd origin with spaces", Start: time.UnixMilli(42)},
	} {
		got, ok := proxy.ParseState(string(s.Append(nil)))
		require.True(t, ok, string(s.Append(nil)))
		assert.Equal(t, s.Endpoint, got.Endpoint)
		assert.Equal(t, s.Origin, got.Origin)
		assert.True(t, s.Start.Equal(got.Start), "%v != %v", s.Start, got.Start)
	}
	assert.Equal(t, "x1 1777000000123 https://a.example", string(proxy.State{Endpoint: auth.AuthRefresh, Origin: "https://a.example", Start: time.UnixMilli(1_777_000_000_123)}.Append([]byte("x"))))

	// Milliseconds are kept, finer is dropped: the log's duration needs no more.
	s := proxy.State{Start: time.Unix(1, 999_999)}
	got, ok := proxy.ParseState(string(s.Append(nil)))
	require.True(t, ok)
	assert.True(t, got.Start.Equal(time.UnixMilli(1000)))

	for _, bad := range []string{"", "0", "0 1", "2 0 x", "-1 0 x", "x 0 ", "0 x ", "0 1.5 ", " 0 1 ", "0  1 "} {
		_, ok := proxy.ParseState(bad)
		assert.False(t, ok, "%q", bad)
	}
	_, ok = proxy.ParseState("0 1 ")
	assert.True(t, ok, "no origin")
}

// TestStateThroughFinish: an edge that keeps no Go value between the two
// calls carries State as a string and rebuilds the Call; Finish answers
// the same.
func TestStateThroughFinish(t *testing.T) {
	core := newCore(t, proxy.Config{})
	_, call := proxy.PrepareNew(core, coreRequest("POST", auth.RefreshPath+"?refreshtoken=tok", "", "origin", "http://localhost:8787"))
	require.NotNil(t, call)
	st, ok := proxy.ParseState(string(call.State.Append(nil)))
	require.True(t, ok)
	up := proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Body: []byte(`{"idToken":"id"}`)}}
	want := proxy.FinishNew(core, call, up, coreStart.Add(time.Second))
	got := proxy.FinishNew(core, &proxy.Call{State: st}, up, coreStart.Add(time.Second))
	assert.Equal(t, want, got)
	assert.Equal(t, `{"idToken":"id"}`, string(got.Body))
}

func TestInternal(t *testing.T) {
	tests := []struct {
		value  any
		detail string
	}{
		{errors.New("nil map"), `detail="panic: nil map"`},
		{"index out of range", `detail="panic: index out of range"`},
		{42, `detail="panic: a value that is neither error nor string"`},
	}
	for _, tt := range tests {
		r := coreRequest("POST", auth.RefreshPath+"?refreshtoken="+coreRefresh, "", "origin", "http://localhost:8787")
		a := proxy.InternalNew(r, tt.value, coreStart.Add(time.Millisecond))
		assert.Equal(t, 500, a.Status)
		assert.Equal(t, map[string]string{"message": "internal error in the proxy", "code": proxy.CodeInternal}, answerBody(t, a))
		assert.Equal(t, map[string]string{
			"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Vary": "Origin", "Content-Type": "application/json; charset=utf-8",
		}, headerMap(t, a))
		assert.Equal(t, `proxy: method=POST path="/v1/token/auth_refresh" status=500 duration=1ms origin="http://localhost:8787" code=internal `+tt.detail, string(a.Log))
	}
}

// TestCoreMisconfigured: a bad configuration answers every request 500,
// with the reasons on one line.
func TestCoreMisconfigured(t *testing.T) {
	core, err := proxy.CoreFromEnv(func(name string) string {
		return map[string]string{proxy.EnvBaseURL: "http://api.jquants.com", proxy.EnvUpstreamTimeout: "soon"}[name]
	})
	require.Error(t, err)
	require.NotNil(t, core)
	assert.Equal(t, err, core.Err())
	for _, r := range []*proxy.Request{
		coreRequest("POST", auth.Path, `{}`),
		coreRequest("GET", "/anything", ""),
		coreRequest("OPTIONS", auth.RefreshPath, "", "origin", "https://evil.example", "access-control-request-method", "POST"),
	} {
		a, call := proxy.PrepareNew(core, r)
		require.Nil(t, call)
		assert.Equal(t, 500, a.Status)
		m := answerBody(t, a)
		assert.Equal(t, proxy.CodeMisconfigured, m["code"])
		assert.Contains(t, m["message"], "UPSTREAM_TIMEOUT")
		assert.Contains(t, m["message"], "https")
		assert.NotContains(t, m["message"], "\n")
	}

	core, err = proxy.CoreFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, auth.DefaultBaseURL+auth.Path, core.URL())
}

// An edge that keeps one Answer and one Call for all its requests (the
// Worker) gets what fresh ones give, whatever came before: a login after a
// V2 call, a bodiless 204 after a JSON error, a refresh after a login.
func TestReusedAnswerAndCall(t *testing.T) {
	core := newCore(t, proxy.Config{AllowedOrigins: []string{"http://localhost:8787"}})
	const origin = "http://localhost:8787"
	login := `{"mailaddress":"a@example.com","password":"pw-Secret-1"}`
	requests := []*proxy.Request{
		coreRequest("GET", "/v2/equities/master?code=7203", "", "x-api-key", coreKey, "origin", origin),
		coreRequest("POST", auth.Path, login, "content-type", "application/json", "origin", origin),
		coreRequest("POST", auth.Path, `{"mailaddress":"a@example.com"}`, "content-type", "application/json"),
		coreRequest("OPTIONS", auth.Path, "", "origin", origin, "access-control-request-method", "POST"),
		coreRequest("POST", auth.RefreshPath+"?refreshtoken=tok", ""),
		coreRequest("GET", "/nowhere", ""),
		coreRequest("POST", auth.Path, login),
	}
	ups := []proxy.Upstream{
		{Answer: proxy.UpstreamAnswer{StatusCode: 200, Body: []byte(`{"refreshToken":"tok-1"}`)}},
		{Answer: proxy.UpstreamAnswer{StatusCode: 400, Body: []byte(`{"message":"wrong"}`)}},
		{Fault: proxy.Timeout},
		{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: proxy.Header{{"content-type", "application/json"}}}},
	}
	var a proxy.Answer
	var call proxy.Call
	for i, r := range requests {
		wantA, wantCall := proxy.PrepareNew(core, r)
		isCall := core.Prepare(r, &a, &call)
		require.Equal(t, wantCall != nil, isCall, "request %d", i)
		if !isCall {
			assertSameAnswer(t, wantA, a, "request %d", i)
			continue
		}
		want, got := *wantCall, call
		want.Body, got.Body = nil, nil // an empty body is none, whether nil or not
		require.Equal(t, want, got, "request %d", i)
		require.Equal(t, string(wantCall.Body), string(call.Body), "request %d", i)
		for j, up := range ups {
			core.Finish(&a, &call, up, coreStart.Add(time.Millisecond))
			assertSameAnswer(t, proxy.FinishNew(core, wantCall, up, coreStart.Add(time.Millisecond)), a, "request %d, upstream %d", i, j)
		}
	}
}

// assertSameAnswer compares answers as an edge reads them: an empty body is
// none, whether nil or not.
func assertSameAnswer(t *testing.T, want, got proxy.Answer, msgAndArgs ...any) {
	t.Helper()
	assert.Equal(t, want.Status, got.Status, msgAndArgs...)
	assert.Equal(t, want.Header, got.Header, msgAndArgs...)
	assert.Equal(t, string(want.Body), string(got.Body), msgAndArgs...)
	assert.Equal(t, want.Stream, got.Stream, msgAndArgs...)
	assert.Equal(t, string(want.Log), string(got.Log), msgAndArgs...)
}

// HeaderOf gives net/http's header as fetch's Headers gives the Worker its
// answer's: lower-case names, each once, values joined.
func TestHeaderOf(t *testing.T) {
	h := proxy.HeaderOf(map[string][]string{"Retry-After": {"7", "100"}, "Content-Type": {"application/json"}, "X-Empty": {}})
	assert.ElementsMatch(t, proxy.Header{{"retry-after", "7, 100"}, {"content-type", "application/json"}, {"x-empty", ""}}, h)
	h = proxy.HeaderOf(map[string][]string{"Content-Type": {"a"}, "content-type": {"b"}})
	require.Len(t, h, 1, "one name, whatever its case")
	assert.Contains(t, []string{"a, b", "b, a"}, h.Get("content-type"))
	assert.Empty(t, proxy.HeaderOf(nil))
}
