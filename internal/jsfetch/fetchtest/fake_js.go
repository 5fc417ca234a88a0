//go:build js && wasm

package fetchtest

import (
	"syscall/js"
	"testing"
	"time"
)

// Fake is an installed fake fetch.
type Fake struct {
	calls js.Value // JS array of call records
}

// Call is what the fake recorded of one fetch call.
type Call struct {
	URL      string
	Method   string
	Header   map[string]string // from init.headers, keys as given
	BodyType string            // the body's constructor name, e.g. "Uint8Array"
	Body     string            // the body decoded as UTF-8
	Init     js.Value          // fetch's second argument
	This     js.Value          // fetch's this
}

// recorder builds the fake from a handler: function (url, init, call) whose
// result (a Response, a promise of one, or a throw) is what fetch gives.
const recorder = `
const calls = [];
const fake = async function (url, init) {
	init = init || {};
	const body = init.body;
	const call = {
		url: String(url),
		method: init.method || "GET",
		headers: Object.assign({}, init.headers),
		bodyType: body == null ? "none" : body.constructor.name,
		body: body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body),
		init,
		self: this,
	};
	calls.push(call);
	return handler.call(this, url, init, call);
};
return [fake, calls];
`

// Install makes globalThis.fetch a fake until the test ends. script is the
// body of function (url, init, call), for example
//
//	return new Response('{"refreshToken":"t"}', {status: 200})
//
// It is the body of an async function: it may await, and a throw becomes a
// rejection.
func Install(t testing.TB, script string) *Fake {
	t.Helper()
	fake, calls := New(script)
	global := js.Global()
	old := global.Get("fetch")
	global.Set("fetch", fake)
	t.Cleanup(func() { global.Set("fetch", old) })
	return &Fake{calls: calls}
}

// New returns a fake fetch function made from script (see Install) and the
// JS array its calls are recorded in, without installing it.
func New(script string) (fake, calls js.Value) {
	handler := AsyncFunc("url, init, call", script)
	pair := Func("handler", recorder).Invoke(handler)
	return pair.Index(0), pair.Index(1)
}

// Wrap returns the fake for a fetch function made by New.
func Wrap(calls js.Value) *Fake { return &Fake{calls: calls} }

// Func returns new Function(params, body).
func Func(params, body string) js.Value {
	return js.Global().Get("Function").New(params, body)
}

// AsyncFunc returns an async function with params and body, so that the
// body may use await.
func AsyncFunc(params, body string) js.Value {
	ctor := js.Global().Call("eval", "(async function () {}).constructor")
	return ctor.New(params, body)
}

// Count is how many times fetch was called.
func (f *Fake) Count() int { return f.calls.Length() }

// Record returns the JS record of call i, on which the fake's script may
// have set fields of its own (call.x = …).
func (f *Fake) Record(i int) js.Value { return f.calls.Index(i) }

// Calls returns the recorded calls.
func (f *Fake) Calls() []Call {
	out := make([]Call, f.calls.Length())
	for i := range out {
		c := f.calls.Index(i)
		h := map[string]string{}
		keys := js.Global().Get("Object").Call("keys", c.Get("headers"))
		for j := 0; j < keys.Length(); j++ {
			k := keys.Index(j).String()
			h[k] = c.Get("headers").Get(k).String()
		}
		out[i] = Call{
			URL:      c.Get("url").String(),
			Method:   c.Get("method").String(),
			Header:   h,
			BodyType: c.Get("bodyType").String(),
			Body:     c.Get("body").String(),
			Init:     c.Get("init"),
			This:     c.Get("self"),
		}
	}
	return out
}

// Await waits at most timeout for p to settle. It returns the value or the
// reason, and whether p was fulfilled; it fails the test on timeout.
func Await(t testing.TB, p js.Value, timeout time.Duration) (js.Value, bool) {
	t.Helper()
	type result struct {
		v  js.Value
		ok bool
	}
	ch := make(chan result, 1)
	var onValue, onReason js.Func
	onValue = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{args[0], true}
		return nil
	})
	onReason = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{args[0], false}
		return nil
	})
	js.Global().Get("Promise").Call("resolve", p).Call("then", onValue, onReason)
	select {
	case r := <-ch:
		onValue.Release()
		onReason.Release()
		return r.v, r.ok
	case <-time.After(timeout):
		t.Fatalf("the promise did not settle in %v", timeout)
		return js.Undefined(), false
	}
}

// NodeServer starts a Node HTTP server on 127.0.0.1 for the test's life and
// returns its base URL and the JS array of requests it saw ({method, url,
// headers, body}). handler is the body of function (req, res, body), called
// once the request body has been read. It needs Node's require (which
// go_js_wasm_exec provides); without it the test is skipped.
func NodeServer(t testing.TB, handler string) (baseURL string, seen js.Value) {
	t.Helper()
	if js.Global().Get("require").Type() != js.TypeFunction {
		t.Skip("no Node require")
	}
	start := Func("handler", `
		const http = require("http");
		const seen = [];
		const server = http.createServer((req, res) => {
			const chunks = [];
			req.on("data", (d) => chunks.push(d));
			req.on("end", () => {
				const body = Buffer.concat(chunks).toString("utf8");
				seen.push({method: req.method, url: req.url, headers: req.headers, body});
				handler(req, res, body);
			});
		});
		return new Promise((resolve) => server.listen(0, "127.0.0.1",
			() => resolve({server, seen, url: "http://127.0.0.1:" + server.address().port})));`)
	v, ok := Await(t, start.Invoke(Func("req, res, body", handler)), 5*time.Second)
	if !ok {
		t.Fatalf("NodeServer: %v", v)
	}
	server := v.Get("server")
	t.Cleanup(func() {
		server.Call("closeAllConnections")
		server.Call("close")
	})
	return v.Get("url").String(), v.Get("seen")
}
