//go:build js && wasm

// The Cloudflare Worker build: the proxy core (package proxy) behind
// worker/entry.mjs, which does every bit of I/O. main_other.go is the native
// build.
//
// The boundary is two synchronous functions that main puts on the binding
// object of syumai/workers' runtime context (its wasm_exec.js shows Go the
// object the entry passes to go.run as globalThis.context). They take their
// input from the Uint8Array binding.in, write their output to binding.out
// and return its length:
//
//	prepare(headLen, bodyLen, tooLarge) → n
//	    in: method "\n" url "\n" readErr "\n", name "\n" value "\n" per request header; the body
//	finish(headLen, bodyLen) → n
//	    in: state "\n" outcome "\n" status "\n" detail "\n", the answer's headers so; its body
//	    outcome: "" (an answer), limited, timeout, canceled, unreachable, cut or too_large
//	out: an answer: status " " n [" stream"] "\n" log "\n", n times name "\n" value "\n", then the body
//	     (" stream": the body is the upstream answer's, passed as it comes);
//	     or a call: "call\n" method "\n" timeoutMs "\n" limiter "\n" limitKey "\n" state "\n" url "\n"
//	     n "\n", n times name "\n" value "\n" (the headers to send), then its body
//	grow(n): makes binding.in at least n bytes long
//
// bodyLen is -1 for no body, and an empty body out is none. No field but a
// body holds a newline: header values come from HTTP headers, the core's log
// is one line, and the entry flattens readErr and detail. Only numbers cross
// because crossing is dear: each call costs some 25 µs of Go's event
// handling, and each JS string or object passed either way ~10 µs more (a
// finalizer and calls into JS). Go keeps nothing of a request between the
// two calls (the state is proxy.State.String), so it never waits across an
// await: a goroutine blocked across one was resumed by whichever request's
// event woke the runtime, and did its I/O in that request's context, which
// workerd refuses (issue 9).
//
// Only syumai's runtime context and its `workers ready` import are used, not
// its Go packages. Its per-request adapter comes with an entry that starts a
// Go instance for every request: measured through wrangler dev, 2.44× the
// latency and 0.23× the throughput of one instance per isolate, and 13 ms
// median of CPU to start each one. And cloudflare.Getenv, which reads the
// same context.env as main does, links net/http, fmt and reflect: app.wasm
// would be 1,456,756 bytes gzip -9 instead of 810,061 (+632 KiB), over the
// Worker's 1 MiB upload budget.
package main

import (
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// ready tells the entry that the binding is set up (syumai's ABI).
//
//go:wasmimport workers ready
func ready()

func main() {
	runtimeContext := js.Global().Get("context")
	env := runtimeContext.Get("env")
	core, err := proxy.CoreFromEnv(func(name string) string {
		if v := env.Get(name); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	})
	if err != nil {
		// Every request answers 500 misconfigured; say why once.
		js.Global().Get("console").Call("log", "jquants-auth: configuration error: "+strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	install(runtimeContext.Get("binding"), core)
	ready()
	select {} // the instance serves until the isolate goes
}

// install puts prepare, finish, grow, in and out on binding.
func install(binding js.Value, core *proxy.Core) {
	b := &buffers{binding: binding}
	b.in, b.inLen = b.resize("in", b.in, 0, 16<<10)
	b.out, b.outLen = b.resize("out", b.out, 0, 16<<10)
	b.export("prepare", func(args []js.Value) []byte { return prepare(core, b, args) })
	b.export("finish", func(args []js.Value) []byte { return finish(core, b, args) })
	binding.Set("grow", js.FuncOf(func(_ js.Value, args []js.Value) any {
		b.in, b.inLen = b.resize("in", b.in, b.inLen, args[0].Int())
		return nil
	}))
}

// buffers are binding.in and binding.out, and their lengths.
type buffers struct {
	binding, in, out js.Value
	inLen, outLen    int
}

var uint8Array = js.Global().Get("Uint8Array")

// resize returns v and its length have, or a new binding[name] at least n
// bytes long if have is less.
func (b *buffers) resize(name string, v js.Value, have, n int) (js.Value, int) {
	if have >= n {
		return v, have
	}
	n = max(n, 2*have)
	v = uint8Array.New(n)
	b.binding.Set(name, v)
	return v, n
}

// read returns the head and the body (nil for bodyLen -1) from binding.in.
func (b *buffers) read(headLen, bodyLen int) (string, []byte) {
	p := make([]byte, headLen+max(bodyLen, 0))
	js.CopyBytesToGo(p, b.in)
	if bodyLen < 0 {
		return string(p), nil
	}
	return string(p[:headLen]), p[headLen:]
}

// export sets binding[name] to f, which answers with out bytes: they go
// to binding.out, and JS gets their number.
func (b *buffers) export(name string, f func(args []js.Value) []byte) {
	b.binding.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
		out := f(args)
		b.out, b.outLen = b.resize("out", b.out, b.outLen, len(out))
		return js.CopyBytesToJS(b.out, out)
	}))
}

// prepare reads a request and returns the answer, or the call to make.
func prepare(core *proxy.Core, b *buffers, args []js.Value) (out []byte) {
	r := &proxy.Request{Start: time.Now()}
	defer func() {
		// A panic answers this request; the instance goes on serving.
		if p := recover(); p != nil {
			out = appendAnswer(nil, proxy.Internal(r, p, time.Now()))
		}
	}()
	head, body := b.read(args[0].Int(), args[1].Int())
	r.Method, head = line(head)
	url, head := line(head)
	r.ReadErr, head = line(head)
	r.Scheme, r.Host, r.Target = splitURL(url)
	r.Header = parseHeader(head)
	if h := r.Header.Get("host"); h != "" {
		// The Host header, not the URL, as net/http's r.Host: an
		// absolute-form target must not make its own authority "own".
		r.Host = h
	}
	r.Body = body
	r.TooLarge = args[2].Truthy()
	a, call := core.Prepare(r)
	if call == nil {
		return appendAnswer(nil, a)
	}
	out = make([]byte, 0, 128+len(call.LimitKey)+len(call.URL)+len(call.Body))
	out = append(append(append(out, "call\n"...), call.Method...), '\n')
	out = strconv.AppendInt(out, call.Timeout.Milliseconds(), 10)
	out = append(append(append(out, '\n'), call.Limiter...), '\n')
	out = append(append(out, call.LimitKey...), '\n')
	out = append(append(out, call.State.String()...), '\n')
	out = append(append(out, call.URL...), '\n')
	out = appendHeader(out, call.Header)
	return append(out, call.Body...)
}

// outcomes are finish's names for what became of a call.
var outcomes = map[string]proxy.Upstream{
	"": {}, "limited": {Limited: true}, "timeout": {Fault: proxy.Timeout}, "canceled": {Fault: proxy.Canceled},
	"unreachable": {Fault: proxy.Unreachable}, "cut": {Fault: proxy.Cut}, "too_large": {Fault: proxy.TooLarge},
}

// finish turns what became of a call into the answer.
func finish(core *proxy.Core, b *buffers, args []js.Value) (out []byte) {
	var st proxy.State
	defer func() {
		if p := recover(); p != nil {
			r := &proxy.Request{Method: "POST", Target: st.Endpoint.Path(), Start: st.Start}
			if st.V2Path != "" {
				r.Method, r.Target = "GET", "/v2"+st.V2Path
			}
			out = appendAnswer(nil, proxy.Internal(r, p, time.Now()))
		}
	}()
	head, body := b.read(args[0].Int(), args[1].Int())
	state, head := line(head)
	outcome, head := line(head)
	status, head := line(head)
	detail, head := line(head)
	st, ok := proxy.ParseState(state)
	if !ok {
		panic("finish: the state is not proxy.State.String's")
	}
	up, ok := outcomes[outcome]
	if !ok {
		panic("finish: unknown outcome")
	}
	up.Detail = detail
	up.Answer.StatusCode, _ = strconv.Atoi(status)
	up.Answer.Body = body
	for _, f := range parseHeader(head) {
		if up.Answer.Header == nil {
			up.Answer.Header = auth.Header{}
		}
		up.Answer.Header[f[0]] = append(up.Answer.Header[f[0]], f[1])
	}
	return appendAnswer(nil, core.Finish(&proxy.Call{State: st}, up, time.Now()))
}

// line splits s at its first newline.
func line(s string) (first, rest string) {
	first, rest, _ = strings.Cut(s, "\n")
	return first, rest
}

// splitURL splits an absolute URL into its scheme, authority and the rest
// (the request target), without net/url.
func splitURL(u string) (scheme, host, target string) {
	scheme, rest, _ := strings.Cut(u, "://")
	i := strings.IndexAny(rest, "/?")
	if i < 0 {
		return scheme, rest, "/"
	}
	return scheme, rest[:i], rest[i:]
}

// parseHeader reads "name\nvalue\n" pairs; fetch's Headers gives names in
// lower case and repeated values joined, as proxy.Header wants them.
func parseHeader(s string) proxy.Header {
	h := make(proxy.Header, 0, strings.Count(s, "\n")/2)
	for {
		name, rest, ok1 := strings.Cut(s, "\n")
		value, rest, ok2 := strings.Cut(rest, "\n")
		if !ok1 || !ok2 {
			return h
		}
		h = append(h, [2]string{name, value})
		s = rest
	}
}

// appendAnswer appends a in prepare's and finish's out form to b.
func appendAnswer(b []byte, a proxy.Answer) []byte {
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(a.Header)), 10)
	if a.Stream {
		b = append(b, " stream"...)
	}
	b = append(append(append(b, '\n'), a.Log...), '\n')
	return append(appendPairs(b, a.Header), a.Body...)
}

// appendHeader appends n "\n", then the n pairs.
func appendHeader(b []byte, h [][2]string) []byte {
	return appendPairs(append(strconv.AppendInt(b, int64(len(h)), 10), '\n'), h)
}

// appendPairs appends name "\n" value "\n" for each header.
func appendPairs(b []byte, h [][2]string) []byte {
	for _, f := range h {
		b = append(append(append(append(b, f[0]...), '\n'), f[1]...), '\n')
	}
	return b
}
