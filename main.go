//go:build js && wasm

// The Cloudflare Worker build: the proxy core (package proxy) behind
// worker/entry.mjs, which does every bit of I/O. main_other.go is the native
// build.
//
// The entry starts one Go instance per isolate with Go's own wasm_exec.js,
// the Worker's string vars as go.env. main reads them once
// (proxy.CoreFromEnv) and blocks, which keeps the runtime alive: a returned
// main exits it, and an export called after that runs on a dead runtime.
// go.run returns once main blocks, so the instance is ready then (go.exited
// tells a failed start). The boundary is these //go:wasmexport functions:
// only numbers cross as arguments and results, the bytes go through two
// buffers in Go's memory that the entry views as
// new Uint8Array(exports.mem.buffer, ptr, n), afresh after every call
// (memory grows, and growing detaches the old views):
//
//	input(n) → ptr: the input buffer, grown to at least n bytes
//	prepare(headLen, bodyLen, tooLarge, now) → n
//	    in: method "\n" url "\n" readErr "\n", name "\n" value "\n" per request header; the body
//	finish(headLen, bodyLen, now) → n
//	    in: state "\n" outcome "\n" status "\n" detail "\n", the answer's headers so; its body
//	    outcome: "" (an answer), limited, timeout, canceled, unreachable, cut or too_large
//	output() → ptr: where prepare or finish wrote its n bytes out (input's
//	    bytes are cleared when the call returns; the entry clears these once read):
//	    an answer: status " " n [" stream"] "\n" log "\n", n times name "\n" value "\n", then the body
//	    (" stream": the body is the upstream answer's, which the entry passes as it comes);
//	    or a call: "call\n" method "\n" timeoutMs "\n" limiter "\n" limitKey "\n" state "\n" url "\n"
//	    n "\n", n times name "\n" value "\n" (the headers to send), then its body
//	bodyReadTimeout() → ms: how long the entry waits for a request's body (BODY_READ_TIMEOUT)
//
// now is the entry's Date.now() (ms since the epoch): Go reads no clock, as
// each reading is two calls out to JS. bodyLen is -1 for no body, and an
// empty body out is none; a V2 answer's
// body never enters Go. No field but a body holds a newline: header values
// come from HTTP headers, the core's log is one line, and the entry
// flattens readErr and detail. An export costs about 0.1 µs to call, where
// a js.FuncOf function cost 14 µs of Go's event loop, and each JS value
// passed ~10 µs more; no syscall/js call is on the request path.
//
// Go keeps nothing of a request between the two calls (the state is
// proxy.State.Append) and never blocks in an export, so it never waits
// across an await: a goroutine blocked across one was resumed by whichever
// request's event woke the runtime, and did its I/O in that request's
// context, which workerd refuses (issue 9). Nor does it arm a timer: the
// runtime only sets one when it goes idle with a timer pending, and it goes
// idle once, in main.
package main

import (
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/proxy"
)

var (
	core    *proxy.Core
	in, out []byte // the buffers the entry writes and reads
	// Reused by each call, and cleared after it: Go keeps nothing of a
	// request, and with their room grown a login allocates nothing.
	header    proxy.Header
	answerBuf proxy.Answer
	callBuf   proxy.Call
)

func main() {
	var err error
	core, err = proxy.CoreFromEnv(func(name string) string {
		v, _ := syscall.Getenv(name)
		return v
	})
	if err != nil {
		// Every request answers 500 misconfigured; say why once (stderr
		// is console.log in wasm_exec.js).
		println("jquants-auth: configuration error: " + strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	select {} // the instance serves until the isolate goes
}

// address is where b's array starts in linear memory (nil's is 0).
func address(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

//go:wasmexport input
func input(n int32) uint32 {
	if len(in) < int(n) {
		in = make([]byte, max(int(n), 2*len(in), 16<<10))
	}
	return address(in)
}

//go:wasmexport output
func output() uint32 { return address(out) }

//go:wasmexport bodyReadTimeout
func bodyReadTimeout() int32 { return int32(core.BodyReadTimeout().Milliseconds()) }

// read returns the head and the body (nil for bodyLen -1) from the input
// buffer. Both are the buffer's own bytes, not copies: good until the
// export returns and clears them (see done), which nothing of a request
// outlives. (A copy per call made Go's heap, and so its collector, busier.)
func read(headLen, bodyLen int32) (string, []byte) {
	h := in[:headLen] // bounds checked, as unsafe.String is not
	head := unsafe.String(unsafe.SliceData(h), len(h))
	if bodyLen < 0 {
		return head, nil
	}
	return head, in[headLen : headLen+bodyLen]
}

// done clears what a call read: a password, a key or a token stays in the
// input buffer no longer than the call (the entry clears the output once
// read, which holds them too).
func done(headLen, bodyLen int32) {
	clear(in[:min(max(int(headLen)+max(int(bodyLen), 0), 0), len(in))])
	clear(header)       // its strings: the x-api-key value among them
	clear(callBuf.Body) // a password
	callBuf = proxy.Call{Body: callBuf.Body[:0]}
	clear(answerBuf.Body) // a token
}

// prepare reads a request and writes the answer, or the call to make.
//
//go:wasmexport prepare
func prepare(headLen, bodyLen int32, tooLarge bool, now float64) (n int32) {
	defer done(headLen, bodyLen)
	r := &proxy.Request{Start: at(now)}
	defer func() {
		// A panic answers this request; the instance goes on serving.
		if p := recover(); p != nil {
			proxy.Internal(&answerBuf, r, p, r.Start)
			out = appendAnswer(out[:0], &answerBuf)
			n = int32(len(out))
		}
	}()
	head, body := read(headLen, bodyLen)
	r.Method, head = line(head)
	url, head := line(head)
	r.ReadErr, head = line(head)
	r.Scheme, r.Host, r.Target = splitURL(url)
	r.Header = parseHeader(header[:0], head)
	header = r.Header
	if h := r.Header.Get("host"); h != "" {
		// The Host header, not the URL, as net/http's r.Host: an
		// absolute-form target must not make its own authority "own".
		r.Host = h
	}
	r.Body = body
	r.TooLarge = tooLarge
	if !core.Prepare(r, &answerBuf, &callBuf) {
		out = appendAnswer(out[:0], &answerBuf)
		return int32(len(out))
	}
	out = append(append(append(out[:0], "call\n"...), callBuf.Method...), '\n')
	out = strconv.AppendInt(out, callBuf.Timeout.Milliseconds(), 10)
	out = append(append(append(out, '\n'), callBuf.Limiter...), '\n')
	out = append(append(out, callBuf.LimitKey...), '\n')
	out = append(callBuf.State.Append(out), '\n')
	out = append(append(out, callBuf.URL...), '\n')
	out = appendHeader(out, callBuf.Header)
	out = append(out, callBuf.Body...)
	return int32(len(out))
}

// outcome reads finish's name for what became of a call.
func outcome(name string) (proxy.Upstream, bool) {
	switch name {
	case "":
		return proxy.Upstream{}, true
	case "limited":
		return proxy.Upstream{Limited: true}, true
	case "timeout":
		return proxy.Upstream{Fault: proxy.Timeout}, true
	case "canceled":
		return proxy.Upstream{Fault: proxy.Canceled}, true
	case "unreachable":
		return proxy.Upstream{Fault: proxy.Unreachable}, true
	case "cut":
		return proxy.Upstream{Fault: proxy.Cut}, true
	case "too_large":
		return proxy.Upstream{Fault: proxy.TooLarge}, true
	}
	return proxy.Upstream{}, false
}

// finish turns what became of a call into the answer.
//
//go:wasmexport finish
func finish(headLen, bodyLen int32, now float64) (n int32) {
	defer done(headLen, bodyLen)
	st := &callBuf.State
	defer func() {
		if p := recover(); p != nil {
			r := &proxy.Request{Method: "POST", Target: st.Endpoint.Path(), Start: st.Start}
			if st.V2Path != "" {
				r.Method, r.Target = "GET", auth.V2Prefix+st.V2Path
			}
			proxy.Internal(&answerBuf, r, p, at(now))
			out = appendAnswer(out[:0], &answerBuf)
			n = int32(len(out))
		}
	}()
	head, body := read(headLen, bodyLen)
	state, head := line(head)
	name, head := line(head)
	status, head := line(head)
	detail, head := line(head)
	var ok bool
	if *st, ok = proxy.ParseState(state); !ok {
		panic("finish: the state is not proxy.State.Append's")
	}
	up, ok := outcome(name)
	if !ok {
		panic("finish: unknown outcome")
	}
	up.Detail = detail
	up.Answer.StatusCode, _ = strconv.Atoi(status)
	up.Answer.Body = body
	// As fetch's Headers gives them: as UpstreamAnswer.Header wants them.
	header = parseHeader(header[:0], head)
	up.Answer.Header = header
	core.Finish(&answerBuf, &callBuf, up, at(now))
	out = appendAnswer(out[:0], &answerBuf)
	return int32(len(out))
}

// at is the time of a JS timestamp (ms since the epoch).
func at(ms float64) time.Time { return time.Unix(0, int64(ms*1e6)) }

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

// parseHeader appends the "name\nvalue\n" pairs of s to h; fetch's Headers
// gives names in lower case and repeated values joined, as proxy.Header
// wants them.
func parseHeader(h proxy.Header, s string) proxy.Header {
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
func appendAnswer(b []byte, a *proxy.Answer) []byte {
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
