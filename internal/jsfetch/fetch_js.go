//go:build js && wasm

package jsfetch

import (
	"context"
	"strconv"
	"sync"
	"syscall/js"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Transport is an auth.Transport over the JS fetch API.
type Transport struct {
	// Fetcher is the object whose fetch method does the request: globalThis
	// when zero (undefined), or for example a Worker service binding.
	Fetcher js.Value
}

var _ auth.Transport = Transport{}

// New returns a Transport over globalThis.fetch.
func New() Transport { return Transport{} }

// Post sends body to url and returns the answer, its body at most
// auth.MaxAnswerBytes (over that: the status and headers with
// auth.ErrAnswerTooLarge). A fetch without an HTTP answer is an *Error, or
// ctx.Err() when ctx ended. Call it from a goroutine of its own, not from
// inside a js.FuncOf callback.
func (t Transport) Post(ctx context.Context, url string, body []byte) (ans auth.Answer, err error) {
	if err := ctx.Err(); err != nil {
		return ans, err
	}
	var timeout time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		if timeout = time.Until(deadline); timeout <= 0 {
			return ans, NewError("TimeoutError", "the deadline passed before the request", context.DeadlineExceeded)
		}
	}
	c := &call{ctx: ctx}
	defer c.release()
	// A JS exception or a syscall/js misuse (no fetch, a chunk that is not a
	// Uint8Array) panics; make it an error, not the end of the Go program.
	defer func() {
		if r := recover(); r != nil {
			ans, err = auth.Answer{}, panicError(r)
		}
	}()
	c.start(timeout)
	var p js.Value
	if t.Fetcher.IsUndefined() {
		// Not js.Global().Call("fetch"): in the Worker js.Global() is syumai's
		// Proxy of globalThis, and fetch called on it throws "Illegal invocation".
		p = js.Global().Get("fetch").Invoke(url, c.init(body))
	} else {
		p = t.Fetcher.Call("fetch", url, c.init(body))
	}
	resp, err := c.await(p)
	if err != nil {
		return ans, err
	}
	if resp.Get("type").String() == "opaqueredirect" {
		return ans, NewError("TypeError", "the server answered with a redirect, which is not followed", nil)
	}
	ans.StatusCode = resp.Get("status").Int()
	ans.Header = readHeader(resp.Get("headers"))
	if n, err := strconv.ParseInt(ans.Header.Get("Content-Length"), 10, 64); err == nil && n > auth.MaxAnswerBytes {
		c.abort()
		if stream := resp.Get("body"); stream.Type() == js.TypeObject {
			cancel(stream)
		}
		return ans, auth.ErrAnswerTooLarge
	}
	ans.Body, err = c.readBody(resp)
	return ans, err
}

// maxTimerMillis is the longest delay JS timers take (2³¹−1 ms, about 24
// days); Node's AbortSignal.timeout throws beyond 2³²−1.
const maxTimerMillis = 1<<31 - 1

// call is one Post: its abort controller and the JS functions to release.
type call struct {
	ctx    context.Context
	ctrl   js.Value // AbortController, or undefined in a runtime without one
	signal js.Value // what fetch gets: ctrl.signal, maybe with a timeout
	undo   []func()
}

// start makes the abort signal: the controller's, joined to an
// AbortSignal.timeout when the context has a deadline.
func (c *call) start(timeout time.Duration) {
	global := js.Global()
	if ac := global.Get("AbortController"); ac.Type() == js.TypeFunction {
		c.ctrl = ac.New()
		c.signal = c.ctrl.Get("signal")
	}
	as := global.Get("AbortSignal")
	if timeout <= 0 || as.Type() != js.TypeFunction || as.Get("timeout").Type() != js.TypeFunction {
		return
	}
	ms := (timeout + time.Millisecond - 1) / time.Millisecond
	if ms > maxTimerMillis {
		return // too far off for a JS timer; Go's own timer will do
	}
	ts := as.Call("timeout", float64(ms))
	switch {
	case c.ctrl.IsUndefined():
		c.signal = ts
	case as.Get("any").Type() == js.TypeFunction:
		c.signal = as.Call("any", []any{c.signal, ts})
	default:
		onTimeout := js.FuncOf(func(js.Value, []js.Value) any {
			c.ctrl.Call("abort", ts.Get("reason"))
			return nil
		})
		ts.Call("addEventListener", "abort", onTimeout)
		c.undo = append(c.undo, func() {
			ts.Call("removeEventListener", "abort", onTimeout)
			onTimeout.Release()
		})
	}
}

func (c *call) release() {
	for _, f := range c.undo {
		f()
	}
	c.undo = nil
}

// abort aborts the fetch and its body, if it can.
func (c *call) abort() {
	if !c.ctrl.IsUndefined() {
		c.ctrl.Call("abort")
	}
}

// init is fetch's second argument.
func (c *call) init(body []byte) js.Value {
	global := js.Global()
	init := global.Get("Object").New()
	init.Set("method", "POST")
	headers := global.Get("Object").New()
	headers.Set("Content-Type", "application/json")
	headers.Set("Accept", "application/json")
	init.Set("headers", headers)
	b := global.Get("Uint8Array").New(len(body))
	js.CopyBytesToJS(b, body)
	init.Set("body", b)
	for _, o := range requestOptions() {
		init.Set(o.key, o.value)
	}
	if !c.signal.IsUndefined() {
		init.Set("signal", c.signal)
	}
	return init
}

// settled is a promise's outcome.
// Settle waits for p (any value; Promise.resolve adopts it) to settle or for
// ctx to end. ok reports fulfilment; v is the value or the rejection reason.
// The callbacks are released once p settles, even after Settle has given up
// on it, so nothing is kept per call. Call it from a goroutine, never inside
// a js.FuncOf callback.
func Settle(ctx context.Context, p js.Value) (v js.Value, ok bool, err error) {
	type settled struct {
		value js.Value
		ok    bool
	}
	ch := make(chan settled, 1)
	var onValue, onReason js.Func
	settle := func(ok bool, args []js.Value) any {
		onValue.Release()
		onReason.Release()
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v, ok}
		return nil
	}
	onValue = js.FuncOf(func(_ js.Value, args []js.Value) any { return settle(true, args) })
	onReason = js.FuncOf(func(_ js.Value, args []js.Value) any { return settle(false, args) })
	js.Global().Get("Promise").Call("resolve", p).Call("then", onValue, onReason)
	select {
	case s := <-ch:
		return s.value, s.ok, nil
	case <-ctx.Done():
		return js.Undefined(), false, ctx.Err()
	}
}

// await waits for p to settle or for the context to end, in which case it
// aborts the fetch.
func (c *call) await(p js.Value) (js.Value, error) {
	v, ok, err := Settle(c.ctx, p)
	switch {
	case err != nil:
		c.abort()
		return js.Undefined(), err
	case !ok:
		return js.Undefined(), c.rejected(v)
	}
	return v, nil
}

// rejected turns a rejection reason into an error.
func (c *call) rejected(reason js.Value) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	name, message := describe(reason)
	var wrapped error
	if name == "TimeoutError" {
		// AbortSignal.timeout fired, maybe before Go's timer did.
		wrapped = context.DeadlineExceeded
	}
	return NewError(name, message, wrapped)
}

// describe returns a JS error's name and message.
func describe(v js.Value) (name, message string) {
	switch v.Type() {
	case js.TypeObject, js.TypeFunction:
		if n := v.Get("name"); n.Type() == js.TypeString {
			name = n.String()
		}
		if m := v.Get("message"); m.Type() == js.TypeString {
			message = m.String()
		}
	case js.TypeString:
		message = v.String()
	}
	return name, message
}

// panicError turns a recovered panic into an *Error.
func panicError(r any) error {
	switch r := r.(type) {
	case js.Error:
		name, message := describe(r.Value)
		return NewError(name, message, nil)
	case error:
		return NewError("Error", r.Error(), nil)
	case string:
		return NewError("Error", r, nil)
	}
	return NewError("Error", "", nil)
}

// readBody reads the answer body, at most auth.MaxAnswerBytes of it, from its
// stream, or with arrayBuffer in a runtime without streams.
func (c *call) readBody(resp js.Value) ([]byte, error) {
	stream := resp.Get("body")
	if stream.IsNull() {
		return nil, nil // no body (204, 304, HEAD)
	}
	if stream.IsUndefined() || stream.Get("getReader").Type() != js.TypeFunction {
		ab, err := c.await(resp.Call("arrayBuffer"))
		if err != nil {
			return nil, err
		}
		if ab.Get("byteLength").Int() > auth.MaxAnswerBytes {
			return nil, auth.ErrAnswerTooLarge
		}
		b := make([]byte, ab.Get("byteLength").Int())
		js.CopyBytesToGo(b, js.Global().Get("Uint8Array").New(ab))
		return b, nil
	}
	reader := stream.Call("getReader")
	var b []byte
	for {
		r, err := c.await(reader.Call("read"))
		if err != nil {
			return nil, err
		}
		if r.Get("done").Truthy() {
			return b, nil
		}
		chunk := r.Get("value")
		n := chunk.Get("byteLength").Int()
		if len(b)+n > auth.MaxAnswerBytes {
			c.abort()
			cancel(reader)
			return nil, auth.ErrAnswerTooLarge
		}
		b = append(b, make([]byte, n)...)
		js.CopyBytesToGo(b[len(b)-n:], chunk)
	}
}

// cancel cancels a body stream or its reader, ignoring the outcome.
func cancel(v js.Value) {
	if v.Get("cancel").Type() != js.TypeFunction {
		return
	}
	p := v.Call("cancel")
	if p.Type() == js.TypeObject && p.Get("then").Type() == js.TypeFunction {
		p.Call("then", js.Undefined(), ignore())
	}
}

var (
	ignoreOnce sync.Once
	ignoreFunc js.Func
)

// ignore is a JS function that does nothing, made once and never released,
// for rejections nobody waits for (Node ends on an unhandled one).
func ignore() js.Func {
	ignoreOnce.Do(func() {
		ignoreFunc = js.FuncOf(func(js.Value, []js.Value) any { return nil })
	})
	return ignoreFunc
}

// readHeader copies the headers fetch lets us see: in a browser, for a
// cross-origin answer, the CORS-safelisted ones plus those named by
// Access-Control-Expose-Headers (Retry-After must be exposed by the proxy).
func readHeader(h js.Value) auth.Header {
	out := auth.Header{}
	if h.Type() != js.TypeObject {
		return out
	}
	entries := js.Global().Get("Array").Call("from", h)
	for i, n := 0, entries.Length(); i < n; i++ {
		e := entries.Index(i)
		k := canonicalKey(e.Index(0).String())
		out[k] = append(out[k], e.Index(1).String())
	}
	return out
}

// canonicalKey is "retry-after" → "Retry-After", as net/http spells keys.
func canonicalKey(s string) string {
	b := []byte(s)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}

// option is one RequestInit member beyond method, headers, body and signal.
type option struct{ key, value string }

var (
	optionsOnce sync.Once
	options     []option
)

// wanted are the options we send where the runtime takes them.
var wanted = []option{
	{"credentials", "omit"},
	{"cache", "no-store"},
	{"redirect", "error"},
	{"referrerPolicy", "no-referrer"},
}

// requestOptions probes, once, which of the wanted options new Request takes.
// A runtime that refuses redirect "error" (workerd) gets "manual".
func requestOptions() []option {
	optionsOnce.Do(func() {
		options = nil
		for _, o := range wanted {
			switch {
			case accepts(o):
				options = append(options, o)
			case o.key == "redirect":
				options = append(options, option{"redirect", "manual"})
			}
		}
	})
	return options
}

// accepts reports whether new Request takes o without throwing. Constructing
// a Request sends nothing.
func accepts(o option) (ok bool) {
	request := js.Global().Get("Request")
	if request.Type() != js.TypeFunction {
		return true // no Request to ask: send the standard options
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	init := js.Global().Get("Object").New()
	init.Set(o.key, o.value)
	request.New("https://probe.invalid/", init)
	return true
}
