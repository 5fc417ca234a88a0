//go:build !js

package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// stubTransport answers every login with a fixed token, so the benchmarks
// measure the handler alone.
var stubTransport = transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
	return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"bench-token-0123456789abcdef"}`)}, nil
})

func benchHandler(b *testing.B, cfg proxy.Config) *proxy.Handler {
	b.Helper()
	cfg.Log = io.Discard
	h, err := proxy.New(cfg, stubTransport)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func benchServe(b *testing.B, h http.Handler, method, target, body string, header http.Header, want int) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		for k, v := range header {
			r.Header[k] = v
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		if rr.Code != want {
			b.Fatalf("status %d, want %d: %s", rr.Code, want, rr.Body)
		}
	}
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}, "Origin": {allowedOrigin}}

// BenchmarkLogin: a login that succeeds, CORS and all.
func BenchmarkLogin(b *testing.B) {
	benchServe(b, benchHandler(b, proxy.Config{}), http.MethodPost, auth.Path, demoBody, jsonHeader, http.StatusOK)
}

// BenchmarkLoginLimited: the same through a MemoryLimiter that allows it.
func BenchmarkLoginLimited(b *testing.B) {
	h := benchHandler(b, proxy.Config{Limiter: proxy.NewMemoryLimiter(1<<30, 0)})
	benchServe(b, h, http.MethodPost, auth.Path, demoBody, jsonHeader, http.StatusOK)
}

// BenchmarkLoginParallel: concurrent logins.
func BenchmarkLoginParallel(b *testing.B) {
	h := benchHandler(b, proxy.Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
			r.Header.Set("Content-Type", "application/json")
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, r)
			if rr.Code != http.StatusOK {
				b.Fatalf("status %d", rr.Code)
			}
		}
	})
}

// BenchmarkInvalidBody: rejected before upstream (duplicate key).
func BenchmarkInvalidBody(b *testing.B) {
	body := `{"mailaddress":"a@b.c","mailaddress":"d@e.f","password":"p"}`
	benchServe(b, benchHandler(b, proxy.Config{}), http.MethodPost, auth.Path, body, jsonHeader, http.StatusBadRequest)
}

// BenchmarkPreflight: an allowed CORS preflight.
func BenchmarkPreflight(b *testing.B) {
	header := http.Header{"Origin": {allowedOrigin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"content-type"}}
	benchServe(b, benchHandler(b, proxy.Config{}), http.MethodOptions, auth.Path, "", header, http.StatusNoContent)
}

// BenchmarkNotFound: the cheapest refusal.
func BenchmarkNotFound(b *testing.B) {
	benchServe(b, benchHandler(b, proxy.Config{}), http.MethodGet, "/favicon.ico", "", nil, http.StatusNotFound)
}

// BenchmarkRefresh: auth_refresh in J-Quants' shape (the token in the query).
func BenchmarkRefresh(b *testing.B) {
	tr := transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
		return auth.Answer{StatusCode: 200, Body: []byte(`{"idToken":"bench-id-token-0123456789abcdef"}`)}, nil
	})
	h, err := proxy.New(proxy.Config{Log: io.Discard}, tr)
	if err != nil {
		b.Fatal(err)
	}
	benchServe(b, h, http.MethodPost, auth.RefreshPath+"?refreshtoken=bench-refresh-token-0123456789abcdef", "", http.Header{"Origin": {allowedOrigin}}, http.StatusOK)
}

// BenchmarkCore: Prepare and Finish alone, as the Worker runs them.
func BenchmarkCore(b *testing.B) {
	core, err := proxy.NewCore(proxy.Config{})
	if err != nil {
		b.Fatal(err)
	}
	up := proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Body: []byte(`{"refreshToken":"bench-token-0123456789abcdef"}`)}}
	b.ReportAllocs()
	for b.Loop() {
		r := &proxy.Request{Method: "POST", Target: auth.Path, Header: proxy.Header{{"content-type", "application/json"}, {"origin", allowedOrigin}},
			Body: []byte(demoBody), RemoteAddr: "192.0.2.1:1234"}
		_, call := proxy.PrepareNew(core, r)
		if call == nil {
			b.Fatal("no call")
		}
		if a := proxy.FinishNew(core, call, up, r.Start); a.Status != 200 {
			b.Fatalf("status %d", a.Status)
		}
	}
}

// BenchmarkCoreLogin: a login through Prepare and Finish as the Worker
// drives them (main.go): one Answer and one Call for every login, the state
// carried as text between the two. It allocates nothing.
func BenchmarkCoreLogin(b *testing.B) {
	core, err := proxy.NewCore(proxy.Config{})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(demoBody)
	up := proxy.Upstream{Answer: proxy.UpstreamAnswer{StatusCode: 200, Header: proxy.Header{{"content-type", "application/json"}},
		Body: []byte(`{"refreshToken":"bench-token-0123456789abcdef"}`)}}
	header := proxy.Header{{"content-type", "application/json"}, {"origin", allowedOrigin}}
	start := time.Unix(1_777_000_000, 0)
	var a proxy.Answer
	var call proxy.Call
	var state []byte
	b.ReportAllocs()
	for b.Loop() {
		r := proxy.Request{Method: "POST", Scheme: "http", Host: "localhost:8787", Target: auth.Path, Header: header, Body: body, Start: start}
		if !core.Prepare(&r, &a, &call) {
			b.Fatalf("no call: %s", a.Body)
		}
		state = call.State.Append(state[:0])
		st, ok := proxy.ParseState(unsafe.String(unsafe.SliceData(state), len(state)))
		if !ok {
			b.Fatal("state")
		}
		call = proxy.Call{Body: call.Body[:0], State: st}
		if core.Finish(&a, &call, up, start); a.Status != http.StatusOK {
			b.Fatalf("status %d: %s", a.Status, a.Body)
		}
	}
}
