//go:build js && wasm

package main

import (
	"encoding/binary"
	"math"
	"strings"
	"syscall/js"
	"testing"
	"time"
	"unsafe"
)

const (
	base     = "https://proxy.example"
	mail     = "demo@example.com"
	password = "s3cret-pässword"
	token    = "tok-abcdef-123456"
)

// other stands for a JS value of another type (an array, a function).
type other struct{}

// obj stands for a JS object: its names and values, one after the other.
type obj []any

// do calls the function name with args as jquants-auth.mjs does: the
// call's bytes into the buffer, call, and its result, JSON text, out of the
// buffer and through JSON.parse. Go's nil and js.Null() stand for null.
func do(name string, args ...any) js.Value {
	in := encodeValue(nil, name)
	for _, a := range args {
		in = encodeValue(in, a)
	}
	buffer(int32(len(in)))
	copy(buf, in)
	m := call(int32(len(in)))
	return js.Global().Get("JSON").Call("parse", string(buf[:m]))
}

// encodeValue appends v as jquants-auth.mjs encodes a value.
func encodeValue(b []byte, v any) []byte { return encodeNested(b, v, false) }

// encodeNested is encodeValue; in an object (nested), an object is another
// value.
func encodeNested(b []byte, v any, nested bool) []byte {
	var tag byte
	var p []byte
	switch v := v.(type) {
	case nil:
		tag = tagNone
	case js.Value:
		if !v.IsNull() && !v.IsUndefined() {
			panic("only null and undefined as js.Value")
		}
		tag = tagNone
	case string:
		tag, p = tagString, []byte(v)
	case int:
		tag, p = tagNumber, binary.LittleEndian.AppendUint64(nil, math.Float64bits(float64(v)))
	case float64:
		tag, p = tagNumber, binary.LittleEndian.AppendUint64(nil, math.Float64bits(v))
	case bool:
		tag, p = tagBool, []byte{0}
		if v {
			p[0] = 1
		}
	case []byte:
		tag, p = tagBytes, v
	case obj:
		if nested {
			tag = tagOther
			break
		}
		tag = tagObject
		for _, e := range v {
			p = encodeNested(p, e, true)
		}
	case other:
		tag = tagOther
	default:
		panic("no encoding for a test value")
	}
	b = append(b, tag)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

func bytes(s string) []byte { return []byte(s) }

func stringify(v js.Value) string { return js.Global().Get("JSON").Call("stringify", v).String() }

func keys(v js.Value) string {
	return js.Global().Get("Object").Call("keys", v).Call("join", ",").String()
}

// wantError checks that v is { error } with code and status, and a message
// that is one sentence without secrets; it returns the error.
func wantError(t *testing.T, v js.Value, code string, status int) js.Value {
	t.Helper()
	e := v.Get("error")
	if keys(v) != "error" || e.Type() != js.TypeObject {
		t.Fatalf("got %s, want { error } with code %q", stringify(v), code)
	}
	if got := e.Get("code").String(); got != code {
		t.Errorf("code = %q, want %q (%s)", got, code, stringify(e))
	}
	if got := e.Get("status"); got.Type() != js.TypeNumber || got.Int() != status {
		t.Errorf("status = %v, want %d", got, status)
	}
	msg := e.Get("message").String()
	if !isSentence(msg) || strings.Contains(msg, password) || strings.Contains(msg, token) || strings.Contains(msg, "auth: ") {
		t.Errorf("message %q is not one sentence, or leaks a secret", msg)
	}
	return e
}

// isSentence: a capital or a quote first, a full stop last, and no status
// number or "kind: detail" prefix in front.
func isSentence(s string) bool {
	if s == "" || !(s[0] >= 'A' && s[0] <= 'Z' || s[0] == '\'' || s[0] == '"') {
		return false
	}
	return strings.HasSuffix(s, ".") && strings.Count(s, ". ") == 0
}

func TestBeginAuthUser(t *testing.T) {
	for _, tc := range []struct{ base any }{{base}, {base + "/"}, {base + "//"}} {
		v := do("begin", "auth_user", tc.base, "  "+mail+" ", password)
		if keys(v) != "url,body" {
			t.Fatalf("begin = %s", stringify(v))
		}
		if got := v.Get("url").String(); got != base+"/v1/token/auth_user" {
			t.Errorf("base %v: url %q", tc.base, got)
		}
		want := `{"mailaddress":"` + mail + `","password":"` + password + `"}`
		if got := v.Get("body").String(); got != want {
			t.Errorf("body %q, want %q", got, want)
		}
	}
}

func TestBeginDefaultsToTheJQuantsAPI(t *testing.T) {
	for _, b := range []any{js.Undefined(), js.Null(), ""} {
		if got := do("begin", "auth_user", b, mail, password).Get("url").String(); got != "https://api.jquants.com/v1/token/auth_user" {
			t.Errorf("baseURL %v: url %q", b, got)
		}
	}
}

func TestBeginAuthRefreshPutsTheTokenInTheBody(t *testing.T) {
	// Visible ASCII that JSON must escape still round-trips.
	for _, tok := range []string{token, `a"b\c</d>`} {
		v := do("begin", "auth_refresh", base+"/prefix/", tok)
		url := v.Get("url").String()
		if url != base+"/prefix/v1/token/auth_refresh" {
			t.Errorf("url %q: want no query", url)
		}
		body := js.Global().Get("JSON").Call("parse", v.Get("body"))
		if keys(body) != "refreshtoken" || body.Get("refreshtoken").String() != tok {
			t.Errorf("body %s, want {\"refreshtoken\": %q}", v.Get("body"), tok)
		}
	}
}

func TestBeginRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
		want string // in the message
	}{
		{"no arguments", []any{"auth_user"}, "must be strings"},
		{"empty mail", []any{"auth_user", base, "", password}, "The mail address is required."},
		{"no @", []any{"auth_user", base, "demo.example.com", password}, "exactly one @"},
		{"empty password", []any{"auth_user", base, mail, ""}, "The password is required."},
		{"password not a string", []any{"auth_user", base, mail, 12345}, "must be strings"},
		{"long password", []any{"auth_user", base, mail, strings.Repeat("p", 1025)}, "1024 bytes"},
		{"empty refresh token", []any{"auth_refresh", base, ""}, "The refresh token is required."},
		{"refresh token with a space", []any{"auth_refresh", base, "tok en"}, "visible ASCII"},
		{"refresh token not a string", []any{"auth_refresh", base, 1}, "must be a string"},
		{"baseURL not http", []any{"auth_user", "ftp://proxy.example", mail, password}, "baseURL"},
		{"baseURL with a query", []any{"auth_refresh", base + "/?x=1", token}, "baseURL"},
		{"baseURL with user info", []any{"auth_user", "https://u:p@proxy.example", mail, password}, "baseURL"},
		{"baseURL without host", []any{"auth_user", "https:///x", mail, password}, "baseURL"},
		{"baseURL a number", []any{"auth_user", 1, mail, password}, "baseURL must be a string"},
		{"baseURL an object", []any{"auth_user", other{}, mail, password}, "baseURL must be a string"},
		{"mail address an object", []any{"auth_user", base, other{}, password}, "must be strings"},
		{"refresh token bytes", []any{"auth_refresh", base, []byte(token)}, "must be a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, do("begin", tc.args...), "invalid_input", 0)
			if msg := e.Get("message").String(); !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want it to contain %q", msg, tc.want)
			}
		})
	}
}

// decide's arguments: kind, attempt, status, retryAfter, body, fault.
func answer(kind string, attempt, status int, retryAfter any, body string) js.Value {
	return do("decide", kind, attempt, status, retryAfter, bytes(body), "")
}

func TestDecideToken(t *testing.T) {
	for kind, tc := range map[string]struct {
		field    string
		lifetime time.Duration
	}{"auth_user": {"refreshToken", 7 * 24 * time.Hour}, "auth_refresh": {"idToken", 24 * time.Hour}} {
		before := time.Now().UnixMilli()
		v := answer(kind, 0, 200, js.Null(), `{"`+tc.field+`":"`+token+`"}`)
		after := time.Now().UnixMilli()
		if keys(v) != "token,issuedAt,expiresAt" || v.Get("token").String() != token {
			t.Fatalf("%s: decide = %s", kind, stringify(v))
		}
		issued, expires := int64(v.Get("issuedAt").Float()), int64(v.Get("expiresAt").Float())
		if issued < before || issued > after || expires-issued != tc.lifetime.Milliseconds() {
			t.Errorf("%s: issuedAt %d (called at %d–%d), expiresAt %d", kind, issued, before, after, expires)
		}
	}
}

func TestDecideErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		kind       string
		attempt    int
		status     int
		retryAfter any
		body       string
		code       string
		message    string // exactly
		seconds    int    // retryAfter; 0 for none
	}{
		{"400, upstream's message as it is", "auth_user", 0, 400, js.Null(), `{"message":"'mailaddress' or 'password' is incorrect."}`,
			"invalid_credentials", "'mailaddress' or 'password' is incorrect.", 0},
		{"400 without a message", "auth_user", 0, 400, js.Null(), `{}`,
			"invalid_credentials", "The mail address or password is incorrect.", 0},
		{"400 from auth_refresh without a message", "auth_refresh", 0, 400, js.Null(), `<html>`,
			"invalid_credentials", "The refresh token is incorrect or has expired.", 0},
		{"403", "auth_user", 0, 403, js.Null(), `{"message":"Missing Authentication Token"}`,
			"forbidden", "Missing Authentication Token.", 0},
		{"404", "auth_refresh", 0, 404, js.Null(), `{"message":"Not Found"}`,
			"endpoint_gone", "J-Quants retired its V1 API, /v1/token/auth_refresh included, on 2026-06-01.", 0},
		{"404 from the proxy keeps its own message", "auth_user", 0, 404, js.Null(), `{"message":"not found: the proxy serves only POST …","code":"not_found"}`,
			"not_found", "Not found: the proxy serves only POST ….", 0},
		{"429 from the proxy", "auth_user", 0, 429, "42", `{"message":"too many login attempts from this address: try again in 42 seconds","code":"rate_limited"}`,
			"rate_limited", "Too many login attempts from this address: try again in 42 seconds.", 42},
		{"502 from the proxy, last try", "auth_user", 2, 502, js.Null(), `{"message":"could not reach J-Quants","code":"upstream_unreachable"}`,
			"upstream_unreachable", "Could not reach J-Quants.", 0},
		{"a code that is not one is ignored", "auth_user", 0, 403, js.Null(), `{"message":"no","code":"<b>X</b>"}`,
			"forbidden", "No.", 0},
		{"503 with Retry-After, last try", "auth_user", 2, 503, "7", `{}`,
			"upstream_error", "The server did not answer as expected; try again later.", 7},
		{"418", "auth_user", 0, 418, js.Null(), `{"message":"I'm a teapot"}`, "upstream_error", "I'm a teapot.", 0},
		{"200 without a token", "auth_user", 0, 200, js.Null(), `{"idToken":"x"}`,
			"upstream_error", "The answer has no refreshToken.", 0},
		{"200 not JSON", "auth_refresh", 0, 200, js.Null(), `<html>`,
			"upstream_error", "The answer is not a JSON object.", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, answer(tc.kind, tc.attempt, tc.status, tc.retryAfter, tc.body), tc.code, tc.status)
			if got := e.Get("message").String(); got != tc.message {
				t.Errorf("message %q, want %q", got, tc.message)
			}
			ra := e.Get("retryAfter")
			if tc.seconds == 0 && !ra.IsUndefined() || tc.seconds != 0 && (ra.Type() != js.TypeNumber || ra.Int() != tc.seconds) {
				t.Errorf("retryAfter = %v, want %d", ra, tc.seconds)
			}
		})
	}
}

// Go decides the waits: Retry-After when given (capped at 5 s), else a
// jittered backoff; and when to stop.
func TestDecideWaits(t *testing.T) {
	wait := func(t *testing.T, v js.Value) int {
		t.Helper()
		if keys(v) != "waitMs" {
			t.Fatalf("decide = %s, want { waitMs }", stringify(v))
		}
		return v.Get("waitMs").Int()
	}
	if ms := wait(t, answer("auth_user", 0, 503, "1", `{}`)); ms != 1000 {
		t.Errorf("503 with Retry-After: 1 → wait %d ms, want 1000", ms)
	}
	if ms := wait(t, answer("auth_refresh", 1, 503, "30", `{}`)); ms != 5000 {
		t.Errorf("503 with Retry-After: 30 → wait %d ms, want the 5000 cap", ms)
	}
	for i := 0; i < 20; i++ {
		if ms := wait(t, answer("auth_user", 0, 500, js.Null(), `{}`)); ms < 100 || ms > 200 {
			t.Fatalf("first retry waits %d ms, want 100–200", ms)
		}
		if ms := wait(t, answer("auth_user", 1, 504, js.Null(), `{}`)); ms < 200 || ms > 400 {
			t.Fatalf("second retry waits %d ms, want 200–400", ms)
		}
		if ms := wait(t, do("decide", "auth_user", 1, 0, js.Null(), js.Null(), "network")); ms < 200 || ms > 400 {
			t.Fatalf("a network failure's retry waits %d ms, want 200–400", ms)
		}
	}
	wantError(t, answer("auth_user", 2, 500, js.Null(), `{}`), "upstream_error", 500)
	wantError(t, do("decide", "auth_user", 2, 0, js.Null(), js.Null(), "network"), "network", 0)
	wantError(t, answer("auth_user", 0, 429, "1", `{}`), "rate_limited", 429) // 4xx: never retried
}

func TestDecideFaults(t *testing.T) {
	for _, tc := range []struct {
		fault, code, message string
		status               int
	}{
		{"timeout", "timeout", "No answer came in time.", 0},
		{"canceled", "canceled", "The call was canceled.", 0},
		{"too_large", "upstream_error", "Answer body is larger than 64 KiB.", 200},
	} {
		// Even on the first attempt: none of these is retried.
		v := do("decide", "auth_user", 0, tc.status, js.Null(), js.Null(), tc.fault)
		if got := wantError(t, v, tc.code, tc.status).Get("message").String(); got != tc.message {
			t.Errorf("%s: message %q, want %q", tc.fault, got, tc.message)
		}
	}
}

// A bug in what our JS passes answers with code internal, and the program
// goes on serving.
func TestPanicIsInternalError(t *testing.T) {
	wantError(t, do("begin", "auth_nothing", base, mail, password), "internal", 0)
	wantError(t, do("decide", "auth_user", "not a number", 200), "internal", 0)
	if v := do("begin", "auth_user", base, mail, password); keys(v) != "url,body" {
		t.Errorf("after a panic, begin = %s", stringify(v))
	}
}

// The buffer: its address is its array's, it grows to what is asked, and a
// result longer than the call's bytes grows it too.
func TestBuffer(t *testing.T) {
	p := buffer(100 << 10)
	if len(buf) < 100<<10 || p != uint32(uintptr(unsafe.Pointer(&buf[0]))) {
		t.Fatalf("buffer(100 KiB) = %#x, buf %d bytes at %p", p, len(buf), &buf[0])
	}
	if buffer(10) != p {
		t.Error("a smaller request moved the buffer")
	}
	// A body of 64 KiB, the most JS passes, grows the buffer past it.
	big := strings.Repeat("x", 64<<10)
	wantError(t, do("decide", "auth_user", 0, 200, nil, bytes(big), ""), "upstream_error", 200)
	if len(buf) < 64<<10 {
		t.Errorf("after a 64 KiB body the buffer is %d bytes", len(buf))
	}

	buf = make([]byte, 64)
	in := encodeValue(encodeValue(encodeValue(encodeValue(nil, "begin"), "auth_refresh"), nil), token)
	copy(buf, in)
	m := call(int32(len(in)))
	want := `{"url":"https://api.jquants.com/v1/token/auth_refresh?refreshtoken=` + token + `","body":""}`
	if string(buf[:m]) != want {
		t.Errorf("result %q, want %q", buf[:m], want)
	}
}

// Bytes our own JS never writes (cut short, an unknown function, no name,
// a length outside the buffer) answer with code internal, and the next
// call works.
func TestMalformedCallIsInternalError(t *testing.T) {
	for _, in := range [][]byte{
		{tagString, 200, 0, 0, 0, 'b'},
		{tagString, 5},
		encodeValue(nil, "nothing"),
		encodeValue(nil, 1),
		{},
	} {
		buffer(int32(len(in)))
		copy(buf, in)
		v := js.Global().Get("JSON").Call("parse", string(buf[:call(int32(len(in)))]))
		wantError(t, v, "internal", 0)
	}
	for _, n := range []int32{-1, int32(len(buf)) + 1} {
		v := js.Global().Get("JSON").Call("parse", string(buf[:call(n)]))
		wantError(t, v, "internal", 0)
	}
	if v := do("begin", "auth_user", base, mail, password); keys(v) != "url,body" {
		t.Errorf("after malformed calls, begin = %s", stringify(v))
	}
}

// Numbers cross as float64 and are truncated, as js.Value.Int did.
func TestNumbersAreTruncated(t *testing.T) {
	in := encodeValue(encodeValue(nil, "decide"), "auth_user")
	for _, f := range []float64{1.9, 200} {
		in = append(in, tagNumber, 8, 0, 0, 0)
		in = binary.LittleEndian.AppendUint64(in, math.Float64bits(f))
	}
	in = encodeValue(encodeValue(encodeValue(in, nil), bytes(`{"refreshToken":"`+token+`"}`)), "")
	buffer(int32(len(in)))
	copy(buf, in)
	v := js.Global().Get("JSON").Call("parse", string(buf[:call(int32(len(in)))]))
	if v.Get("token").String() != token {
		t.Errorf("attempt 1.9, status 200: %s", stringify(v))
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

// A call's bytes, a key among them, are gone from the buffer once it
// returns; only its result is there.
func TestCallClearsItsInput(t *testing.T) {
	const key = "key-Cleared-After-The-Call"
	in := encodeValue(nil, "fetchBegin")
	for _, a := range []any{"check", key, "", "", nil, "free"} {
		in = encodeValue(in, a)
	}
	buffer(int32(len(in)))
	copy(buf, in)
	m := call(int32(len(in)))
	if !strings.Contains(string(buf[:m]), "handle") {
		t.Fatalf("result %q", buf[:m])
	}
	if strings.Contains(string(buf[:cap(buf)]), key) {
		t.Fatalf("the key is still in the buffer after the call")
	}
	do("fetchEnd", js.Global().Get("JSON").Call("parse", string(buf[:m])).Get("handle").Int())
}
