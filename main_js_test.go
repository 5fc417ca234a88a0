//go:build js && wasm

package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/proxy"
)

// These run under Node (GOOS=js GOARCH=wasm go test -exec go_js_wasm_exec):
// the exported functions called as worker/entry.mjs calls them, with the
// bytes put in and taken from Go's buffers; worker/entry.test.mjs calls
// them through the wasm boundary itself, and the e2e tests through workerd.
// Here are the encoding, the panics and the buffer growth workerd does not
// make.

// useCore makes the exports serve a core with these settings (main does it
// from the Worker's vars, but a test binary does not run main).
func useCore(t *testing.T) {
	env := map[string]string{"JQUANTS_API_BASE_URL": "http://127.0.0.1:9", "UPSTREAM_TIMEOUT": "3s", "BODY_READ_TIMEOUT": "1500ms"}
	c, err := proxy.CoreFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	core = c
}

// testNow is the clock call hands the exports, as the entry hands them Date.now().
var testNow = 1_777_000_000_123.0

// call does what the entry's callGo does: head and body into the input
// buffer at input's address, the call, and the bytes it wrote at output's.
func call(name, head string, body []byte, tooLarge bool) string {
	bodyLen := -1
	if body != nil {
		bodyLen = len(body)
	}
	n := len(head) + max(bodyLen, 0)
	if p := input(int32(n)); p != address(in) || len(in) < n {
		panic("input's address is not the input buffer's")
	}
	copy(in[copy(in[:n], head):], body)
	var m int32
	if name == "prepare" {
		m = prepare(int32(len(head)), int32(bodyLen), tooLarge, testNow)
	} else {
		m = finish(int32(len(head)), int32(bodyLen), testNow)
	}
	if output() != address(out) || int(m) != len(out) {
		panic("output's address and length are not the output buffer's")
	}
	if slices.ContainsFunc(in[:n], func(b byte) bool { return b != 0 }) {
		panic("the input buffer still holds what the call read")
	}
	if slices.ContainsFunc(header[:cap(header)], func(f [2]string) bool { return f != [2]string{} }) ||
		slices.ContainsFunc(callBuf.Body[:cap(callBuf.Body)], func(b byte) bool { return b != 0 }) ||
		slices.ContainsFunc(answerBuf.Body[:cap(answerBuf.Body)], func(b byte) bool { return b != 0 }) {
		panic("the reused header, call or answer storage still holds what the call read")
	}
	return string(out)
}

// answer is an answer as the entry decodes it.
type answer struct {
	status  int
	log     string
	headers map[string]string
	body    string
}

func decodeAnswer(t *testing.T, out string) answer {
	t.Helper()
	first, rest, _ := strings.Cut(out, "\n")
	first = strings.TrimSuffix(first, " stream")
	status, n, _ := strings.Cut(first, " ")
	a := answer{headers: map[string]string{}}
	var err error
	a.status, err = strconv.Atoi(status)
	require.NoError(t, err, "out %q", out)
	a.log, rest, _ = strings.Cut(rest, "\n")
	count, err := strconv.Atoi(n)
	require.NoError(t, err, "out %q", out)
	for range count {
		var k, v string
		k, rest, _ = strings.Cut(rest, "\n")
		v, rest, _ = strings.Cut(rest, "\n")
		a.headers[k] = v
	}
	a.body = rest
	return a
}

const loginHead = "POST\nhttp://127.0.0.1:8787/v1/token/auth_user\n\n" +
	"content-type\napplication/json\norigin\nhttp://localhost:8787\ncf-connecting-ip\n203.0.113.5\n"

func TestPrepareAndFinish(t *testing.T) {
	useCore(t)
	body := `{"mailaddress":"a@example.com","password":"pw-Secret-1"}`
	c := decodeCall(t, call("prepare", loginHead, []byte(body), false))
	assert.Equal(t, "POST", c.method)
	assert.Equal(t, "3000", c.timeoutMs)
	assert.Equal(t, "login", c.limiter)
	assert.Equal(t, "203.0.113.5", c.limitKey)
	assert.Equal(t, "http://127.0.0.1:9/v1/token/auth_user", c.url)
	assert.Equal(t, [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "identity"}, {"Content-Type", "application/json"}}, c.headers)
	assert.JSONEq(t, body, c.body)
	state := c.state
	assert.Equal(t, "0 1777000000123 http://localhost:8787", state, "the entry's clock starts the request")

	testNow += 250.5
	defer func() { testNow -= 250.5 }()
	a := decodeAnswer(t, call("finish", state+"\n\n200\n\ncontent-type\napplication/json\n", []byte(`{"refreshToken":"tok-1"}`), false))
	assert.Equal(t, 200, a.status)
	assert.Contains(t, a.log, " duration=250.5ms ", "the entry's clock ends it")
	assert.JSONEq(t, `{"refreshToken":"tok-1"}`, a.body)
	assert.Equal(t, "http://localhost:8787", a.headers["Access-Control-Allow-Origin"])
	assert.Equal(t, "no-store", a.headers["Cache-Control"])

	a = decodeAnswer(t, call("finish", state+"\ntimeout\n0\ntimed out\n", nil, false))
	assert.Equal(t, 504, a.status)
	assert.Contains(t, a.log, "code=timeout")
	assert.Contains(t, a.log, `detail="timed out"`)

	// Only the core's categories reach the log, whatever the entry sends.
	a = decodeAnswer(t, call("finish", state+"\nunreachable\n0\nNetwork connection lost.\n", nil, false))
	assert.Equal(t, 502, a.status)
	assert.Contains(t, a.log, `detail="other error"`)

	a = decodeAnswer(t, call("finish", state+"\n\n429\n\nretry-after\n7\n", []byte(`{"message":"slow down"}`), false))
	assert.Equal(t, 429, a.status)
	assert.Equal(t, "7", a.headers["Retry-After"], "the answer's headers reach the core")

	a = decodeAnswer(t, call("finish", state+"\nlimited\n0\n\n", nil, false))
	assert.Equal(t, 429, a.status)
	assert.Equal(t, "60", a.headers["Retry-After"])
}

// A V2 GET: the call carries the key only in its headers, and the answer
// streams.
func TestPrepareAndFinishV2(t *testing.T) {
	useCore(t)
	const key = "secret-key-for-the-worker"
	c := decodeCall(t, call("prepare", "GET\nhttp://127.0.0.1:8787/v2/equities/master?code=86970\n\nx-api-key\n"+key+"\naccept-encoding\ngzip, br\n", nil, false))
	assert.Equal(t, "GET", c.method)
	assert.Equal(t, "api", c.limiter)
	assert.Equal(t, "http://127.0.0.1:9/v2/equities/master?code=86970", c.url)
	assert.Equal(t, [][2]string{{"x-api-key", key}, {"Accept", "application/json"}, {"Accept-Encoding", "gzip"}}, c.headers)
	assert.Empty(t, c.body)
	assert.NotContains(t, c.state, key)

	out := call("finish", c.state+"\n\n200\n\ncontent-type\napplication/json\ncontent-encoding\ngzip\n", nil, false)
	first, _, _ := strings.Cut(out, "\n")
	assert.Equal(t, "200 5 stream", first)
	a := decodeAnswer(t, out)
	assert.Equal(t, "gzip", a.headers["Content-Encoding"])
	assert.Empty(t, a.body)
	assert.NotContains(t, out, key)
}

// aCall is a call as the entry decodes it.
type aCall struct {
	method, timeoutMs, limiter, limitKey, state, url, body string
	headers                                                [][2]string
}

func decodeCall(t *testing.T, out string) aCall {
	t.Helper()
	lines := strings.SplitN(out, "\n", 9)
	require.Len(t, lines, 9, "out %q", out)
	require.Equal(t, "call", lines[0])
	c := aCall{method: lines[1], timeoutMs: lines[2], limiter: lines[3], limitKey: lines[4], state: lines[5], url: lines[6]}
	n, err := strconv.Atoi(lines[7])
	require.NoError(t, err)
	rest := lines[8]
	for range n {
		var k, v string
		k, rest, _ = strings.Cut(rest, "\n")
		v, rest, _ = strings.Cut(rest, "\n")
		c.headers = append(c.headers, [2]string{k, v})
	}
	c.body = rest
	return c
}

func TestPrepareAnswers(t *testing.T) {
	useCore(t)
	a := decodeAnswer(t, call("prepare", "OPTIONS\nhttp://127.0.0.1:8787/v1/token/auth_user?x=1\n\n", nil, false))
	assert.Equal(t, 204, a.status)
	assert.Empty(t, a.body, "no body")
	assert.Equal(t, proxy.Allow, a.headers["Allow"])

	a = decodeAnswer(t, call("prepare", "POST\nhttp://127.0.0.1:8787/v1/token/auth_user\n\ncontent-length\n9000\n", nil, true))
	assert.Equal(t, 413, a.status)

	a = decodeAnswer(t, call("prepare", "POST\nhttp://127.0.0.1:8787/v1/token/auth_user\nNetwork connection lost.\n", []byte(`{"mail`), false))
	assert.Equal(t, 400, a.status)
	assert.Contains(t, a.log, `detail="Network connection lost."`)
}

// Input and output longer than the buffers make them grow; the input
// buffer keeps what it has, and a body is read as it was written.
func TestBuffersGrow(t *testing.T) {
	useCore(t)
	p0 := input(0)
	before := len(in)
	assert.Equal(t, p0, input(int32(before)), "enough room: the same buffer")
	big := loginHead + "x-big\n" + strings.Repeat("b", 3*before) + "\n"
	out := call("prepare", big, []byte(`{"mailaddress":"a@example.com","password":"pw-Secret-1"}`), false)
	assert.True(t, strings.HasPrefix(out, "call\n"), "out %.100q", out)
	assert.GreaterOrEqual(t, len(in), len(big))
	assert.NotEqual(t, p0, input(0), "a new, larger buffer")

	// An answer longer than any before: it repeats the caller's own,
	// 40 KiB long origin.
	long := "http://" + strings.Repeat("a", 40<<10) + ".example"
	a := decodeAnswer(t, call("prepare", "POST\n"+long+"/v1/token/auth_user\n\norigin\n"+long+"\ncontent-type\napplication/json\n", []byte("{}"), false))
	assert.Equal(t, 400, a.status)
	assert.True(t, a.headers["Access-Control-Allow-Origin"] == long, "its own origin, 40 KiB long, in Access-Control-Allow-Origin")
}

// A panic in either function answers that request 500 internal, and the
// functions go on working.
func TestPanicsAnswer500(t *testing.T) {
	useCore(t)
	input(16)
	a := decodeAnswer(t, call("prepare", "", nil, false))
	assert.Equal(t, 404, a.status, "an empty head: no method, no path")
	m := prepare(10, 1<<20, false, testNow) // lengths past the buffer
	a = decodeAnswer(t, string(out[:m]))
	assert.Equal(t, 500, a.status)
	m = prepare(1<<20, -1, false, testNow) // a head past the buffer
	a = decodeAnswer(t, string(out[:m]))
	assert.Equal(t, 500, a.status)
	assert.JSONEq(t, `{"message":"internal error in the proxy","code":"internal"}`, a.body)
	assert.Contains(t, a.log, `detail="panic: runtime error: slice bounds out of range`)

	a = decodeAnswer(t, call("finish", "not a state\n\n200\n\n", nil, false))
	assert.Equal(t, 500, a.status)
	assert.Contains(t, a.log, "code=internal")
	a = decodeAnswer(t, call("finish", "0 1 \nmelted\n200\n\n", nil, false))
	assert.Equal(t, 500, a.status)
	assert.Contains(t, a.log, "unknown outcome")

	a = decodeAnswer(t, call("prepare", "GET\nhttp://h/v1/token/auth_user\n\n", nil, false))
	assert.Equal(t, 405, a.status)
}

// The entry waits BODY_READ_TIMEOUT for a body, 30 s unless set.
func TestBodyReadTimeout(t *testing.T) {
	useCore(t)
	assert.Equal(t, int32(1500), bodyReadTimeout())
	c, err := proxy.CoreFromEnv(func(string) string { return "" })
	require.NoError(t, err)
	core = c
	assert.Equal(t, int32(proxy.DefaultBodyReadTimeout/time.Millisecond), bodyReadTimeout())
}

func TestSplitURL(t *testing.T) {
	for in, want := range map[string][3]string{
		"http://127.0.0.1:8787/v1/token/auth_user?refreshtoken=x": {"http", "127.0.0.1:8787", "/v1/token/auth_user?refreshtoken=x"},
		"https://example.com":    {"https", "example.com", "/"},
		"https://example.com?q":  {"https", "example.com", "?q"},
		"http://[::1]:8787/a/b/": {"http", "[::1]:8787", "/a/b/"},
	} {
		s, h, tg := splitURL(in)
		assert.Equal(t, want, [3]string{s, h, tg}, in)
	}
}

// A login's two calls allocate nothing once the buffers have grown: each
// allocation ran the runtime's allocator (and, in time, its collector),
// code that a request's own JavaScript pushes out of the CPU's caches
// between calls (docs/performance.md, issue 17).
func TestLoginAllocatesNothing(t *testing.T) {
	useCore(t)
	body := []byte(`{"mailaddress":"a@example.com","password":"pw-Secret-1"}`)
	state := decodeCall(t, call("prepare", loginHead, body, false)).state
	finishHead := state + "\n\n200\n\ncontent-type\napplication/json\ncontent-length\n24\n"
	token := []byte(`{"refreshToken":"tok-1"}`)
	prep := testing.AllocsPerRun(100, func() { login(loginHead, body, "prepare") })
	fin := testing.AllocsPerRun(100, func() { login(finishHead, token, "finish") })
	assert.Zero(t, prep, "allocations per prepare")
	assert.Zero(t, fin, "allocations per finish")
}

// login is call without its checks, which allocate.
func login(head string, body []byte, name string) {
	n := len(head) + len(body)
	input(int32(n))
	copy(in[copy(in[:n], head):], body)
	if name == "prepare" {
		prepare(int32(len(head)), int32(len(body)), false, testNow)
	} else {
		finish(int32(len(head)), int32(len(body)), testNow)
	}
}
