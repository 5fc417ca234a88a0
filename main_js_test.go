//go:build js && wasm

package main

import (
	"strconv"
	"strings"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/proxy"
)

// These run under Node (GOOS=js GOARCH=wasm go test -exec go_js_wasm_exec):
// the functions worker/entry.mjs calls, called as it calls them. The e2e
// tests drive them through workerd; here are the panics and the buffer
// growth workerd does not make.

// binding installs the functions for a core with these settings.
func binding(t *testing.T) js.Value {
	env := map[string]string{"JQUANTS_API_BASE_URL": "http://127.0.0.1:9", "UPSTREAM_TIMEOUT": "3s"}
	core, err := proxy.CoreFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	b := js.Global().Get("Object").New()
	install(b, core)
	return b
}

// call does what the entry's callGo does: head and body into binding.in,
// the call, and what it wrote to binding.out back.
func call(b js.Value, name, head string, body []byte, args ...any) string {
	bodyLen := -1
	if body != nil {
		bodyLen = len(body)
	}
	in := append([]byte(head), body...)
	if b.Get("in").Length() < len(in) {
		b.Call("grow", len(in))
	}
	js.CopyBytesToJS(b.Get("in"), in)
	n := b.Call(name, append([]any{len(head), bodyLen}, args...)...).Int()
	out := make([]byte, n)
	js.CopyBytesToGo(out, b.Get("out"))
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
	b := binding(t)
	body := `{"mailaddress":"a@example.com","password":"pw-Secret-1"}`
	c := decodeCall(t, call(b, "prepare", loginHead, []byte(body), false))
	assert.Equal(t, "POST", c.method)
	assert.Equal(t, "3000", c.timeoutMs)
	assert.Equal(t, "login", c.limiter)
	assert.Equal(t, "203.0.113.5", c.limitKey)
	assert.Equal(t, "http://127.0.0.1:9/v1/token/auth_user", c.url)
	assert.Equal(t, [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "identity"}, {"Content-Type", "application/json"}}, c.headers)
	assert.JSONEq(t, body, c.body)
	state := c.state

	a := decodeAnswer(t, call(b, "finish", state+"\n\n200\n\ncontent-type\napplication/json\n", []byte(`{"refreshToken":"tok-1"}`)))
	assert.Equal(t, 200, a.status)
	assert.JSONEq(t, `{"refreshToken":"tok-1"}`, a.body)
	assert.Equal(t, "http://localhost:8787", a.headers["Access-Control-Allow-Origin"])
	assert.Equal(t, "no-store", a.headers["Cache-Control"])

	a = decodeAnswer(t, call(b, "finish", state+"\ntimeout\n0\ntimed out\n", nil))
	assert.Equal(t, 504, a.status)
	assert.Contains(t, a.log, "code=timeout")
	assert.Contains(t, a.log, `detail="timed out"`)

	// Only the core's categories reach the log, whatever the entry sends.
	a = decodeAnswer(t, call(b, "finish", state+"\nunreachable\n0\nNetwork connection lost.\n", nil))
	assert.Equal(t, 502, a.status)
	assert.Contains(t, a.log, `detail="other error"`)

	a = decodeAnswer(t, call(b, "finish", state+"\n\n429\n\nretry-after\n7\n", []byte(`{"message":"slow down"}`)))
	assert.Equal(t, 429, a.status)
	assert.Equal(t, "7", a.headers["Retry-After"], "the answer's headers reach the core")

	a = decodeAnswer(t, call(b, "finish", state+"\nlimited\n0\n\n", nil))
	assert.Equal(t, 429, a.status)
	assert.Equal(t, "60", a.headers["Retry-After"])
}

// A V2 GET: the call carries the key only in its headers, and the answer
// streams.
func TestPrepareAndFinishV2(t *testing.T) {
	b := binding(t)
	const key = "secret-key-for-the-worker"
	c := decodeCall(t, call(b, "prepare", "GET\nhttp://127.0.0.1:8787/v2/equities/master?code=86970\n\nx-api-key\n"+key+"\naccept-encoding\ngzip, br\n", nil, false))
	assert.Equal(t, "GET", c.method)
	assert.Equal(t, "api", c.limiter)
	assert.Equal(t, "http://127.0.0.1:9/v2/equities/master?code=86970", c.url)
	assert.Equal(t, [][2]string{{"x-api-key", key}, {"Accept", "application/json"}, {"Accept-Encoding", "gzip"}}, c.headers)
	assert.Empty(t, c.body)
	assert.NotContains(t, c.state, key)

	out := call(b, "finish", c.state+"\n\n200\n\ncontent-type\napplication/json\ncontent-encoding\ngzip\n", nil)
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
	b := binding(t)
	a := decodeAnswer(t, call(b, "prepare", "OPTIONS\nhttp://127.0.0.1:8787/v1/token/auth_user?x=1\n\n", nil, false))
	assert.Equal(t, 204, a.status)
	assert.Empty(t, a.body, "no body")
	assert.Equal(t, proxy.Allow, a.headers["Allow"])

	a = decodeAnswer(t, call(b, "prepare", "POST\nhttp://127.0.0.1:8787/v1/token/auth_user\n\ncontent-length\n9000\n", nil, true))
	assert.Equal(t, 413, a.status)

	a = decodeAnswer(t, call(b, "prepare", "POST\nhttp://127.0.0.1:8787/v1/token/auth_user\nNetwork connection lost.\n", []byte(`{"mail`), false))
	assert.Equal(t, 400, a.status)
	assert.Contains(t, a.log, `detail="Network connection lost."`)
}

// Input and output longer than the buffers make them grow.
func TestBuffersGrow(t *testing.T) {
	b := binding(t)
	before := b.Get("in").Length()
	big := loginHead + "x-big\n" + strings.Repeat("b", 3*before) + "\n"
	out := call(b, "prepare", big, []byte(`{"mailaddress":"a@example.com","password":"pw-Secret-1"}`), false)
	assert.True(t, strings.HasPrefix(out, "call\n"), "out %.100q", out)
	assert.GreaterOrEqual(t, b.Get("in").Length(), len(big))

	bb := &buffers{binding: b, out: b.Get("out"), outLen: b.Get("out").Length()}
	v, n := bb.resize("out", bb.out, bb.outLen, 5*bb.outLen)
	assert.Equal(t, 5*bb.outLen, n)
	assert.Equal(t, n, v.Length())
	assert.True(t, b.Get("out").Equal(v), "binding.out replaced")
}

// A panic in either function answers that request 500 internal, and the
// functions go on working.
func TestPanicsAnswer500(t *testing.T) {
	b := binding(t)
	n := b.Call("prepare", 0).Int() // too few arguments
	out := make([]byte, n)
	js.CopyBytesToGo(out, b.Get("out"))
	a := decodeAnswer(t, string(out))
	assert.Equal(t, 500, a.status)
	assert.JSONEq(t, `{"message":"internal error in the proxy","code":"internal"}`, a.body)
	assert.Contains(t, a.log, `detail="panic: runtime error: index out of range`)

	a = decodeAnswer(t, call(b, "finish", "not a state\n\n200\n\n", nil))
	assert.Equal(t, 500, a.status)
	assert.Contains(t, a.log, "code=internal")
	a = decodeAnswer(t, call(b, "finish", "0 1 \nmelted\n200\n\n", nil))
	assert.Equal(t, 500, a.status)
	assert.Contains(t, a.log, "unknown outcome")

	a = decodeAnswer(t, call(b, "prepare", "GET\nhttp://h/v1/token/auth_user\n\n", nil, false))
	assert.Equal(t, 405, a.status)
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
