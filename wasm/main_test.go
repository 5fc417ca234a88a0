//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/jsfetch/fetchtest"
)

const (
	base     = "https://proxy.example"
	mail     = "demo@example.com"
	password = "s3cret-pässword"
	token    = "tok-abcdef-123456"
)

func TestMain(m *testing.M) {
	register()
	m.Run()
}

// callAuthUser calls globalThis.__jquantsAuth.authUser and waits for its promise.
func callAuthUser(t *testing.T, args ...any) (js.Value, bool) {
	t.Helper()
	p := js.Global().Get(globalName).Call("authUser", args...)
	if !p.InstanceOf(js.Global().Get("Promise")) {
		t.Fatalf("authUser returned %v, not a Promise", p)
	}
	return fetchtest.Await(t, p, 10*time.Second)
}

func options(kv ...any) js.Value {
	o := js.Global().Get("Object").New()
	for i := 0; i < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}

// wantError checks a rejection's shape and that it leaks nothing.
func wantError(t *testing.T, v js.Value, ok bool, code string, status int) {
	t.Helper()
	if ok {
		t.Fatalf("resolved with %v, want a rejection with code %q", js.Global().Get("JSON").Call("stringify", v), code)
	}
	if !v.InstanceOf(js.Global().Get("Error")) {
		t.Fatalf("rejected with %v, not an Error", v)
	}
	if got := v.Get("code").String(); got != code {
		t.Errorf("code = %q, want %q (message %q)", got, code, v.Get("message"))
	}
	if got := v.Get("status"); got.Type() != js.TypeNumber || got.Int() != status {
		t.Errorf("status = %v, want %d", got, status)
	}
	if v.Get("name").String() != "JQuantsAuthError" {
		t.Errorf("name = %v", v.Get("name"))
	}
	msg := v.Get("message").String()
	if msg == "" || strings.Contains(msg, password) || strings.Contains(msg, token) {
		t.Errorf("message %q is empty or leaks a secret", msg)
	}
}

func TestAuthUserResolves(t *testing.T) {
	fake := fetchtest.Install(t, `return new Response('{"refreshToken":"`+token+`"}', {status: 200, headers: {"Content-Type": "application/json"}})`)
	before := time.Now().Add(-time.Second)
	v, ok := callAuthUser(t, "  "+mail+" ", password, options("baseURL", base+"/"))
	if !ok {
		t.Fatalf("rejected: %v (code %v)", v.Get("message"), v.Get("code"))
	}
	if got := js.Global().Get("Object").Call("keys", v).Call("join", ",").String(); got != "refreshToken,issuedAt,expiresAt" {
		t.Errorf("result keys %s", got)
	}
	if v.Get("refreshToken").String() != token {
		t.Errorf("refreshToken = %v", v.Get("refreshToken"))
	}
	issued, err1 := time.Parse(time.RFC3339Nano, v.Get("issuedAt").String())
	expires, err2 := time.Parse(time.RFC3339Nano, v.Get("expiresAt").String())
	if err1 != nil || err2 != nil || !strings.HasSuffix(v.Get("issuedAt").String(), "Z") {
		t.Fatalf("issuedAt %v, expiresAt %v: %v %v", v.Get("issuedAt"), v.Get("expiresAt"), err1, err2)
	}
	if issued.Before(before) || issued.After(time.Now().Add(time.Second)) || expires.Sub(issued) != 7*24*time.Hour {
		t.Errorf("issuedAt %v, expiresAt %v", issued, expires)
	}
	calls := fake.Calls()
	if len(calls) != 1 {
		t.Fatalf("%d fetch calls", len(calls))
	}
	if calls[0].URL != base+"/v1/token/auth_user" {
		t.Errorf("URL %q", calls[0].URL)
	}
	want := `{"mailaddress":"` + mail + `","password":"` + password + `"}`
	if calls[0].Body != want || calls[0].BodyType != "Uint8Array" {
		t.Errorf("body %s %q, want %q", calls[0].BodyType, calls[0].Body, want)
	}
}

func TestAuthUserRejectsBadInputWithoutFetching(t *testing.T) {
	fake := fetchtest.Install(t, `return new Response('{"refreshToken":"x"}')`)
	for _, tc := range []struct {
		name string
		args []any
	}{
		{"no arguments", nil},
		{"empty mail", []any{"", password, options("baseURL", base)}},
		{"no @", []any{"demo.example.com", password, options("baseURL", base)}},
		{"empty password", []any{mail, "", options("baseURL", base)}},
		{"password not a string", []any{mail, 12345, options("baseURL", base)}},
		{"long password", []any{mail, strings.Repeat("p", 1025), options("baseURL", base)}},
		{"options not an object", []any{mail, password, "https://proxy.example"}},
		{"baseURL not http", []any{mail, password, options("baseURL", "ftp://proxy.example")}},
		{"baseURL with a query", []any{mail, password, options("baseURL", base+"/?x=1")}},
		{"baseURL with user info", []any{mail, password, options("baseURL", "https://u:p@proxy.example")}},
		{"baseURL without host", []any{mail, password, options("baseURL", "https:///x")}},
		{"baseURL a number", []any{mail, password, options("baseURL", 1)}},
		{"timeoutMs zero", []any{mail, password, options("baseURL", base, "timeoutMs", 0)}},
		{"timeoutMs NaN", []any{mail, password, options("baseURL", base, "timeoutMs", js.Global().Get("NaN"))}},
		{"timeoutMs a string", []any{mail, password, options("baseURL", base, "timeoutMs", "100")}},
		{"signal not a signal", []any{mail, password, options("baseURL", base, "signal", "x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := callAuthUser(t, tc.args...)
			wantError(t, v, ok, "invalid_input", 0)
		})
	}
	if fake.Count() != 0 {
		t.Errorf("fetch was called %d times for bad input", fake.Count())
	}
}

func TestAuthUserRejectsAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		code         string
		status       int
		calls        int
		retryAfter   int
		message      string
	}{
		{"400", `return new Response(JSON.stringify({message: "'mailaddress' or 'password' is incorrect."}), {status: 400})`,
			"invalid_credentials", 400, 1, 0, "'mailaddress' or 'password' is incorrect."},
		{"403", `return new Response('{"message":"Missing Authentication Token"}', {status: 403})`,
			"forbidden", 403, 1, 0, "Missing Authentication Token"},
		{"404", `return new Response('{"message":"Not Found"}', {status: 404})`, "endpoint_gone", 404, 1, 0, "retired"},
		{"429 from the proxy", `return new Response('{"message":"too many logins","code":"rate_limited"}', {status: 429, headers: {"Retry-After": "42"}})`,
			"rate_limited", 429, 1, 42, "too many logins"},
		{"500, retried", `return new Response('{"message":"Unexpected error. Please try again later."}', {status: 500})`,
			"upstream_error", 500, 3, 0, "Unexpected error"},
		{"502 from the proxy", `return new Response('{"message":"upstream unreachable","code":"upstream_error"}', {status: 502})`,
			"upstream_error", 502, 3, 0, "upstream unreachable"},
		{"200 without a token", `return new Response('{"refreshToken":""}', {status: 200})`, "upstream_error", 200, 1, 0, "no refreshToken"},
		{"network, retried", `throw new TypeError("Failed to fetch")`, "network", 0, 3, 0, "Failed to fetch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fetchtest.Install(t, tc.script)
			v, ok := callAuthUser(t, mail, password, options("baseURL", base))
			wantError(t, v, ok, tc.code, tc.status)
			if fake.Count() != tc.calls {
				t.Errorf("%d fetch calls, want %d", fake.Count(), tc.calls)
			}
			if ra := v.Get("retryAfter"); tc.retryAfter == 0 && !ra.IsUndefined() || tc.retryAfter != 0 && (ra.Type() != js.TypeNumber || ra.Int() != tc.retryAfter) {
				t.Errorf("retryAfter = %v, want %d", ra, tc.retryAfter)
			}
			if msg := v.Get("message").String(); !strings.Contains(msg, tc.message) || strings.Contains(msg, "auth: ") {
				t.Errorf("message %q, want it to contain %q", msg, tc.message)
			}
		})
	}
}

func TestAuthUserTimeout(t *testing.T) {
	fake := fetchtest.Install(t, `return new Promise((resolve, reject) => {
		init.signal.addEventListener("abort", () => reject(init.signal.reason));
	})`)
	start := time.Now()
	v, ok := callAuthUser(t, mail, password, options("baseURL", base, "timeoutMs", 80))
	wantError(t, v, ok, "timeout", 0)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v for an 80 ms timeout", d)
	}
	if !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Error("the fetch was not aborted")
	}
}

func TestAuthUserSignal(t *testing.T) {
	fake := fetchtest.Install(t, `return new Promise((resolve, reject) => {
		init.signal.addEventListener("abort", () => reject(init.signal.reason));
	})`)
	ctrl := js.Global().Get("AbortController").New()
	time.AfterFunc(30*time.Millisecond, func() { ctrl.Call("abort") })
	v, ok := callAuthUser(t, mail, password, options("baseURL", base, "signal", ctrl.Get("signal")))
	wantError(t, v, ok, "canceled", 0)
	if fake.Count() != 1 || !fake.Calls()[0].Init.Get("signal").Get("aborted").Bool() {
		t.Errorf("%d calls; the fetch should have been made and aborted", fake.Count())
	}

	// An already aborted signal: nothing is sent.
	v, ok = callAuthUser(t, mail, password, options("baseURL", base, "signal", ctrl.Get("signal")))
	wantError(t, v, ok, "canceled", 0)
	if fake.Count() != 1 {
		t.Errorf("fetch was called for an aborted signal")
	}
}

func TestAuthUserDefaultsToTheJQuantsAPI(t *testing.T) {
	fake := fetchtest.Install(t, `return new Response('{"refreshToken":"x"}')`)
	if v, ok := callAuthUser(t, mail, password); !ok {
		t.Fatalf("rejected: %v", v.Get("message"))
	}
	if got := fake.Calls()[0].URL; got != "https://api.jquants.com/v1/token/auth_user" {
		t.Errorf("URL %q", got)
	}
}

func TestIsBaseURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://proxy.example":          true,
		"HTTP://127.0.0.1:8787/":         true,
		"https://proxy.example/prefix":   true,
		"https://":                       false,
		"https:///path":                  false,
		"proxy.example":                  false,
		"javascript:alert(1)":            false,
		"https://proxy.example/#x":       false,
		"https://a@proxy.example":        false,
		"https://proxy.example/a b":      false,
		"https://proxy.example\\@evil.x": false,
	} {
		if got := isBaseURL(s); got != want {
			t.Errorf("isBaseURL(%q) = %v, want %v", s, got, want)
		}
	}
}
