package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/proxy"
)

const coreKey = "secret-api-key-0123456789"

// TestCoreV2Prepare: what the core makes of each V2 request, from the
// proxy's own answers to the exact Call.
func TestCoreV2Prepare(t *testing.T) {
	const own = "https://proxy.example"
	const allowed = "http://localhost:8787"
	tests := []struct {
		name   string
		req    *proxy.Request
		status int               // 0: a call
		code   string            // the answer's code
		msg    string            // the answer's message
		header map[string]string // expected answer headers (a subset)
		call   *proxy.Call
	}{
		{name: "key check", req: coreRequest("GET", "/v2/equities/master?code=86970", "", "x-api-key", coreKey),
			call: &proxy.Call{Method: "GET", URL: coreBase + "/v2/equities/master?code=86970",
				Header:  [][2]string{{"x-api-key", coreKey}, {"Accept", "application/json"}, {"Accept-Encoding", "identity"}},
				Timeout: proxy.DefaultV2Timeout, Limiter: proxy.LimiterAPI, LimitKey: "198.51.100.7",
				State: proxy.State{V2Path: "/equities/master", Start: coreStart}}},
		{name: "gzip, from an allowed origin, key trimmed", req: coreRequest("GET", "/v2/equities/bars/daily?code=86970&from=2025-01-06", "",
			"x-api-key", "  "+coreKey+" ", "accept-encoding", "br, gzip;q=0.5", "origin", allowed, "cookie", "c=1", "authorization", "Bearer x", "cf-connecting-ip", "203.0.113.9"),
			call: &proxy.Call{Method: "GET", URL: coreBase + "/v2/equities/bars/daily?code=86970&from=2025-01-06",
				Header:  [][2]string{{"x-api-key", coreKey}, {"Accept", "application/json"}, {"Accept-Encoding", "gzip"}},
				Timeout: proxy.DefaultV2Timeout, Limiter: proxy.LimiterAPI, LimitKey: "203.0.113.9",
				State: proxy.State{V2Path: "/equities/bars/daily", Gzip: true, Origin: allowed, Start: coreStart}}},
		{name: "no query", req: coreRequest("GET", "/v2/markets/calendar", "", "x-api-key", coreKey, "accept-encoding", "gzip;q=0"),
			call: &proxy.Call{Method: "GET", URL: coreBase + "/v2/markets/calendar",
				Header:  [][2]string{{"x-api-key", coreKey}, {"Accept", "application/json"}, {"Accept-Encoding", "identity"}},
				Timeout: proxy.DefaultV2Timeout, Limiter: proxy.LimiterAPI, LimitKey: "198.51.100.7",
				State: proxy.State{V2Path: "/markets/calendar", Start: coreStart}}},
		{name: "no key", req: coreRequest("GET", "/v2/equities/master?code=86970", ""),
			status: 403, code: "key_required", msg: auth.MessageKeyRequired},
		{name: "blank key", req: coreRequest("GET", "/v2/equities/master", "", "x-api-key", "  ", "origin", allowed),
			status: 403, code: "key_required", msg: auth.MessageKeyRequired, header: map[string]string{"Access-Control-Allow-Origin": allowed}},
		{name: "key too long", req: coreRequest("GET", "/v2/equities/master", "", "x-api-key", strings.Repeat("k", 257)),
			status: 400, code: "invalid_input", msg: "the x-api-key header is longer than 256 bytes"},
		{name: "key not ASCII", req: coreRequest("GET", "/v2/equities/master", "", "x-api-key", "キー"),
			status: 400, code: "invalid_input", msg: "the x-api-key header must be visible ASCII characters only"},
		{name: "undocumented", req: coreRequest("GET", "/v2/equities/everything", "", "x-api-key", coreKey),
			status: 404, code: "not_found"},
		{name: "trailing slash", req: coreRequest("GET", "/v2/equities/master/", "", "x-api-key", coreKey), status: 404, code: "not_found"},
		{name: "bare v2", req: coreRequest("GET", "/v2/", "", "x-api-key", coreKey), status: 404, code: "not_found"},
		{name: "escaped", req: coreRequest("GET", "/v2/equities/%6Daster", "", "x-api-key", coreKey), status: 404, code: "not_found"},
		{name: "POST", req: coreRequest("POST", "/v2/equities/master", "{}", "x-api-key", coreKey),
			status: 405, code: "method_not_allowed", msg: "method not allowed: the V2 API takes GET", header: map[string]string{"Allow": "GET, OPTIONS"}},
		{name: "HEAD", req: coreRequest("HEAD", "/v2/equities/master", "", "x-api-key", coreKey), status: 405, code: "method_not_allowed"},
		{name: "plain OPTIONS", req: coreRequest("OPTIONS", "/v2/equities/master", ""), status: 204, header: map[string]string{"Allow": "GET, OPTIONS"}},
		{name: "control character", req: coreRequest("GET", "/v2/equities/master?code=%0A", "", "x-api-key", coreKey),
			status: 400, code: "invalid_input", msg: "the query values must not hold control characters (parameter 1)"},
		{name: "query too long", req: coreRequest("GET", "/v2/equities/master?code="+strings.Repeat("1", 2044), "", "x-api-key", coreKey),
			status: 400, code: "invalid_input", msg: "the query is longer than 2048 bytes"},
		{name: "stranger", req: coreRequest("GET", "/v2/equities/master", "", "x-api-key", coreKey, "origin", "https://evil.example"),
			status: 403, code: "origin_not_allowed"},
		{name: "own origin", req: coreRequest("GET", "/v2/equities/master", "", "x-api-key", coreKey, "origin", own),
			call: &proxy.Call{Method: "GET", URL: coreBase + "/v2/equities/master",
				Header:  [][2]string{{"x-api-key", coreKey}, {"Accept", "application/json"}, {"Accept-Encoding", "identity"}},
				Timeout: proxy.DefaultV2Timeout, Limiter: proxy.LimiterAPI, LimitKey: "198.51.100.7",
				State: proxy.State{V2Path: "/equities/master", Origin: own, Start: coreStart}}},
	}
	core := newCore(t, proxy.Config{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, call := proxy.PrepareNew(core, tc.req)
			if tc.call != nil {
				require.NotNil(t, call, "answered %d %s", a.Status, a.Body)
				assert.Equal(t, *tc.call, *call)
				assert.NotContains(t, string(call.State.Append(nil)), coreKey)
				return
			}
			require.Nil(t, call)
			assert.Equal(t, tc.status, a.Status)
			h := headerMap(t, a)
			assert.Equal(t, "no-store", h["Cache-Control"])
			for k, v := range tc.header {
				assert.Equal(t, v, h[k], k)
			}
			if tc.code != "" {
				b := answerBody(t, a)
				assert.Equal(t, tc.code, b["code"])
				if tc.msg != "" {
					assert.Equal(t, tc.msg, b["message"])
				}
			}
			assert.NotContains(t, string(a.Log), coreKey)
			assert.NotContains(t, string(a.Body), coreKey)
		})
	}
}

func TestCoreV2Preflight(t *testing.T) {
	const allowed = "http://localhost:8787"
	core := newCore(t, proxy.Config{})
	for _, tc := range []struct {
		method, headers string
		allow           string // "" for no CORS headers
	}{
		{"GET", "x-api-key", "x-api-key"},
		{"get", "X-API-Key, Accept", "x-api-key,accept"},
		{"GET", "x-api-key,x-api-key", "x-api-key"},
		{"GET", "", ""},
		{"GET", "x-api-key, content-type", ""},
		{"POST", "x-api-key", ""},
	} {
		a, call := proxy.PrepareNew(core, coreRequest("OPTIONS", "/v2/equities/master", "", "origin", allowed,
			"access-control-request-method", tc.method, "access-control-request-headers", tc.headers))
		require.Nil(t, call)
		assert.Equal(t, 204, a.Status)
		h := headerMap(t, a)
		okMethod := strings.EqualFold(tc.method, "GET") && !strings.Contains(tc.headers, "content-type")
		if okMethod {
			assert.Equal(t, allowed, h["Access-Control-Allow-Origin"], "%+v", tc)
			assert.Equal(t, "GET", h["Access-Control-Allow-Methods"])
			assert.Equal(t, tc.allow, h["Access-Control-Allow-Headers"], "%+v", tc)
		} else {
			assert.NotContains(t, h, "Access-Control-Allow-Origin", "%+v", tc)
		}
	}
	// A stranger's preflight: 403, no CORS.
	a, _ := proxy.PrepareNew(core, coreRequest("OPTIONS", "/v2/equities/master", "", "origin", "https://evil.example",
		"access-control-request-method", "GET", "access-control-request-headers", "x-api-key"))
	assert.Equal(t, 403, a.Status)
	assert.NotContains(t, headerMap(t, a), "Access-Control-Allow-Origin")
	// V1's preflight does not allow x-api-key, nor V2's content-type.
	a, _ = proxy.PrepareNew(core, coreRequest("OPTIONS", auth.Path, "", "origin", allowed,
		"access-control-request-method", "POST", "access-control-request-headers", "x-api-key"))
	assert.NotContains(t, headerMap(t, a), "Access-Control-Allow-Origin")
}

func TestCoreV2Finish(t *testing.T) {
	core := newCore(t, proxy.Config{UpstreamTimeout: 5 * time.Second, LimiterRetryAfter: 60 * time.Second})
	gz := proxy.State{V2Path: "/equities/bars/daily", Gzip: true, Origin: "http://localhost:8787", Start: coreStart}
	plain := proxy.State{V2Path: "/equities/bars/daily", Start: coreStart}
	upHeader := proxy.Header{{"content-type", "application/json"}, {"content-encoding", "gzip"}, {"content-length", "1234"},
		{"set-cookie", "s=1"}, {"server", "x"}}
	tests := []struct {
		name   string
		st     proxy.State
		up     proxy.Upstream
		status int
		stream bool
		code   string
		header map[string]string
		absent []string
	}{
		{name: "200 gzip passes", st: gz, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: upHeader}}, status: 200, stream: true,
			header: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": "1234",
				"Access-Control-Allow-Origin": "http://localhost:8787", "Vary": "Origin, Accept-Encoding", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
			absent: []string{"Set-Cookie", "Server"}},
		{name: "200 identity", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: proxy.Header{{"content-type", "application/json"}, {"content-length", "1234"}}}},
			status: 200, stream: true, header: map[string]string{"Content-Type": "application/json", "Content-Length": "1234"}, absent: []string{"Content-Encoding", "Access-Control-Allow-Origin"}},
		// The call asked for identity: neither edge's runtime undoes gzip,
		// so the caller could not read it.
		{name: "gzip not asked for", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: upHeader}}, status: 502, code: "upstream_error"},
		{name: "br with gzip asked for", st: gz, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: proxy.Header{{"content-encoding", "br"}}}}, status: 502, code: "upstream_error"},
		{name: "two Retry-After joined as fetch joins them", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 429, Header: proxy.Header{{"retry-after", "7, 100"}}}},
			status: 429, stream: true, header: map[string]string{"Retry-After": "7, 100"}},
		{name: "210", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 210}}, status: 210, stream: true},
		{name: "400", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 400}}, status: 400, stream: true},
		{name: "403", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 403}}, status: 403, stream: true},
		{name: "429 passes, no Retry-After made up", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 429}}, status: 429, stream: true, absent: []string{"Retry-After"}},
		{name: "429 Retry-After passes", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 429, Header: proxy.Header{{"retry-after", "90"}}}}, status: 429, stream: true, header: map[string]string{"Retry-After": "90"}},
		{name: "500", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 500}}, status: 500, stream: true},
		{name: "503", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 503}}, status: 503, stream: true},
		{name: "302", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 302, Header: proxy.Header{{"location", "https://evil.example"}}}}, status: 502, code: "upstream_error", absent: []string{"Location"}},
		{name: "101", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 101}}, status: 502, code: "upstream_error"},
		{name: "201", st: plain, up: proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 201}}, status: 502, code: "upstream_error"},
		{name: "timeout", st: gz, up: proxy.Upstream{Fault: proxy.Timeout}, status: 504, code: "timeout", header: map[string]string{"Access-Control-Allow-Origin": "http://localhost:8787"}},
		{name: "unreachable", st: plain, up: proxy.Upstream{Fault: proxy.Unreachable}, status: 502, code: "upstream_unreachable"},
		{name: "canceled", st: plain, up: proxy.Upstream{Fault: proxy.Canceled}, status: 499, code: "canceled"},
		{name: "limited", st: plain, up: proxy.Upstream{Limited: true}, status: 429, code: "rate_limited", header: map[string]string{"Retry-After": "60"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := proxy.FinishNew(core, &proxy.Call{State: tc.st}, tc.up, coreStart.Add(25*time.Millisecond))
			assert.Equal(t, tc.status, a.Status)
			assert.Equal(t, tc.stream, a.Stream)
			h := headerMap(t, a)
			for k, v := range tc.header {
				assert.Equal(t, v, h[k], k)
			}
			for _, k := range tc.absent {
				assert.NotContains(t, h, k)
			}
			if tc.stream {
				assert.Nil(t, a.Body)
			}
			if tc.code != "" {
				assert.Equal(t, tc.code, answerBody(t, a)["code"])
				assert.Equal(t, "application/json; charset=utf-8", h["Content-Type"])
			}
			assert.Contains(t, string(a.Log), `proxy: method=GET path="/v2/equities/bars/daily" status=`)
			assert.Contains(t, string(a.Log), "duration=25ms")
		})
	}
	// The limiter failing lets the call through and says so in the log.
	a := proxy.FinishNew(core, &proxy.Call{State: plain}, proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200}, Detail: proxy.DetailLimiter}, coreStart)
	assert.Contains(t, string(a.Log), `detail="limiter failed, the request went through: limiter error"`)
	assert.Equal(t, `x bytes=12`, proxy.StreamLog(proxy.Answer{Log: []byte("x")}, 12, false))
	assert.Equal(t, `x bytes=5 body="cut off"`, proxy.StreamLog(proxy.Answer{Log: []byte("x")}, 5, true))
}

func TestStateV2RoundTrip(t *testing.T) {
	for _, st := range []proxy.State{
		{V2Path: "/equities/master", Start: time.UnixMilli(1733475600123)},
		{V2Path: "/fins/summary", Gzip: true, Origin: "http://a b", Start: time.UnixMilli(0)},
		{Endpoint: auth.AuthRefresh, Origin: "https://x", Start: time.UnixMilli(5)},
	} {
		got, ok := proxy.ParseState(string(st.Append(nil)))
		require.True(t, ok, string(st.Append(nil)))
		assert.Equal(t, st.V2Path, got.V2Path)
		assert.Equal(t, st.Gzip, got.Gzip)
		assert.Equal(t, st.Origin, got.Origin)
		assert.Equal(t, st.Endpoint, got.Endpoint)
		assert.True(t, st.Start.Equal(got.Start))
	}
	for _, s := range []string{"v2:/nope 1 ", "v3:/equities/master 1 ", "v2gz:/equities/master x ", "7 1 ", "v2:/equities/master"} {
		_, ok := proxy.ParseState(s)
		assert.False(t, ok, s)
	}
}

// The API limiter is on by default and keyed like the login limiter; off
// by configuration.
func TestCoreV2Limiter(t *testing.T) {
	cfg, err := proxy.ConfigFromEnv(func(name string) string {
		return map[string]string{proxy.EnvAPIRateLimit: "off"}[name]
	})
	require.NoError(t, err)
	_, call := proxy.PrepareNew(newCore(t, cfg), coreRequest("GET", "/v2/equities/master", "", "x-api-key", coreKey))
	require.NotNil(t, call)
	assert.Empty(t, call.LimitKey)
	_, err = proxy.ConfigFromEnv(func(name string) string {
		return map[string]string{proxy.EnvAPIRateLimit: "maybe"}[name]
	})
	assert.EqualError(t, err, `API_RATE_LIMIT="maybe": want "on" or "off"`)
	// UPSTREAM_TIMEOUT sets both timeouts.
	_, call = proxy.PrepareNew(newCore(t, proxy.Config{UpstreamTimeout: 2 * time.Second}), coreRequest("GET", "/v2/equities/master", "", "x-api-key", coreKey))
	assert.Equal(t, 2*time.Second, call.Timeout)
}
