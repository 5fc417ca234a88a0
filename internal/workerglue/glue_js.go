//go:build js && wasm

package workerglue

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall/js"

	"github.com/jquants-auth/jquants-auth/internal/jsfetch"
)

// Await waits for the promise p to be fulfilled; a rejection is an error.
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	v, ok, err := jsfetch.Settle(ctx, p)
	switch {
	case err != nil:
		return js.Undefined(), err
	case !ok:
		return js.Undefined(), errors.New("workerglue: promise rejected: " + describe(v))
	}
	return v, nil
}

var (
	uint8Array = js.Global().Get("Uint8Array")
	object     = js.Global().Get("Object")
)

func describe(v js.Value) string {
	if v.Type() == js.TypeObject {
		if m := v.Get("message"); m.Type() == js.TypeString {
			return v.Get("name").String() + ": " + m.String()
		}
	}
	return v.Type().String()
}

// RawBody is what syumai's request body offers: the JS ReadableStream.
type RawBody interface{ GetRawJSBody() js.Value }

// BodyReader reads a JS ReadableStream chunk by chunk, releasing every
// callback; Close cancels the stream, so a caller that stops early (the
// proxy's 4 KiB limit) does not make the runtime read the rest.
type BodyReader struct {
	ctx    context.Context
	reader js.Value // ReadableStreamDefaultReader, or undefined until the first Read
	stream js.Value
	buf    []byte
	done   bool
}

// NewBodyReader returns a reader of stream (a ReadableStream, or null for no body).
func NewBodyReader(ctx context.Context, stream js.Value) *BodyReader {
	return &BodyReader{ctx: ctx, stream: stream, done: stream.IsNull() || stream.IsUndefined()}
}

func (r *BodyReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if r.reader.IsUndefined() {
			r.reader = r.stream.Call("getReader")
		}
		res, err := Await(r.ctx, r.reader.Call("read"))
		if err != nil {
			r.done = true
			return 0, err
		}
		if res.Get("done").Bool() {
			r.done = true
			return 0, io.EOF
		}
		chunk := res.Get("value")
		r.buf = make([]byte, chunk.Get("byteLength").Int())
		js.CopyBytesToGo(r.buf, chunk)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close cancels the stream if it was not read to the end.
func (r *BodyReader) Close() error {
	r.buf = nil
	if !r.done {
		r.done = true
		target := r.reader
		if target.IsUndefined() {
			target = r.stream
		}
		if p := target.Call("cancel"); p.Type() == js.TypeObject {
			Await(r.ctx, p) // settles at once; waiting releases its callbacks
		}
	}
	return nil
}

// Buffered collects a handler's answer so it can be handed to JS as one
// Uint8Array (syumai's WriteRawJSBody) instead of through an io.Pipe and a
// ReadableStream whose callbacks are never released.
type Buffered struct {
	http.ResponseWriter
	body []byte
}

func (w *Buffered) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}

// Flush is a no-op: the answer goes out whole when the handler returns.
func (w *Buffered) Flush() {}

// RawBodyWriter is what syumai's ResponseWriter offers.
type RawBodyWriter interface{ WriteRawJSBody(body js.Value) }

// Finish hands the collected body to the underlying writer.
func (w *Buffered) Finish() {
	raw, ok := w.ResponseWriter.(RawBodyWriter)
	if !ok {
		w.ResponseWriter.Write(w.body)
		return
	}
	arr := uint8Array.New(len(w.body))
	js.CopyBytesToJS(arr, w.body)
	raw.WriteRawJSBody(arr)
}

// LowLeak wraps h for syumai's per-request adapters: the request body is read
// by a BodyReader and the answer written through Buffered.
func LowLeak(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rb, ok := r.Body.(RawBody); ok {
			r.Body = NewBodyReader(r.Context(), rb.GetRawJSBody())
		} else if r.Body == nil {
			r.Body = http.NoBody // syumai leaves it nil for GET
		}
		b := &Buffered{ResponseWriter: w}
		defer b.Finish()
		h.ServeHTTP(b, r)
	})
}

// RateLimiter is a proxy.Limiter over a Workers Rate Limiting binding
// (wrangler.toml [[ratelimits]]): binding.limit({key}) → {success}.
type RateLimiter struct{ Binding js.Value }

// Allow asks the binding whether key may make one more request.
func (l RateLimiter) Allow(ctx context.Context, key string) (bool, error) {
	opts := object.New()
	opts.Set("key", key)
	res, err := Await(ctx, l.Binding.Call("limit", opts))
	if err != nil {
		return false, err
	}
	return res.Get("success").Bool(), nil
}
