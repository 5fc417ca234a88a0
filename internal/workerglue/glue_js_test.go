//go:build js && wasm

package workerglue

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsFunc compiles a JS function from source (Node runs these tests).
func jsFunc(params, body string) js.Value {
	return js.Global().Get("Function").New(params, body)
}

// streamOf returns a ReadableStream of s in chunks of n bytes and an object
// whose "cancelled" property turns true when the stream is cancelled.
func streamOf(s string, n int) (js.Value, js.Value) {
	state := js.Global().Get("Object").New()
	state.Set("cancelled", false)
	stream := jsFunc("s, n, state", `
		const bytes = new TextEncoder().encode(s);
		let at = 0;
		return new ReadableStream({
			pull(c) {
				if (at >= bytes.length) { c.close(); return; }
				c.enqueue(bytes.slice(at, at + n)); at += n;
			},
			cancel() { state.cancelled = true; },
		});`).Invoke(s, n, state)
	return stream, state
}

func TestBodyReaderReadsEveryChunk(t *testing.T) {
	stream, state := streamOf(`{"mailaddress":"a@b.c","password":"p"}`, 5)
	r := NewBodyReader(t.Context(), stream)
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, `{"mailaddress":"a@b.c","password":"p"}`, string(b))
	require.NoError(t, r.Close())
	assert.False(t, state.Get("cancelled").Bool(), "a stream read to the end is not cancelled")
}

func TestBodyReaderNoBody(t *testing.T) {
	for _, v := range []js.Value{js.Null(), js.Undefined()} {
		b, err := io.ReadAll(NewBodyReader(t.Context(), v))
		require.NoError(t, err)
		assert.Empty(t, b)
	}
}

func TestBodyReaderCloseCancelsTheRest(t *testing.T) {
	stream, state := streamOf(strings.Repeat("x", 1<<20), 1024)
	r := NewBodyReader(t.Context(), stream)
	_, err := io.ReadFull(r, make([]byte, 10))
	require.NoError(t, err)
	require.NoError(t, r.Close())
	assert.True(t, state.Get("cancelled").Bool())
	n, err := r.Read(make([]byte, 10))
	assert.Zero(t, n)
	assert.Equal(t, io.EOF, err)
}

func TestBodyReaderCloseUnread(t *testing.T) {
	stream, state := streamOf("abc", 1)
	require.NoError(t, NewBodyReader(t.Context(), stream).Close())
	assert.True(t, state.Get("cancelled").Bool())
}

func TestBodyReaderStreamError(t *testing.T) {
	stream := jsFunc("", `return new ReadableStream({ pull(c) { c.error(new TypeError("boom")); } });`).Invoke()
	_, err := io.ReadAll(NewBodyReader(t.Context(), stream))
	assert.EqualError(t, err, "workerglue: promise rejected: TypeError: boom")
}

func TestAwaitContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	never := js.Global().Get("Promise").New(js.FuncOf(func(js.Value, []js.Value) any { return nil }))
	_, err := Await(ctx, never)
	assert.ErrorIs(t, err, context.Canceled)
}

// rawWriter is syumai's ResponseWriter as far as Buffered cares.
type rawWriter struct {
	http.ResponseWriter
	raw js.Value
}

func (w *rawWriter) WriteRawJSBody(body js.Value) { w.raw = body }

func bytesOf(v js.Value) string {
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return string(b)
}

func TestLowLeakHandsTheAnswerOverWhole(t *testing.T) {
	h := LowLeak(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"got":`)
		w.Write(b)
		w.(http.Flusher).Flush()
		io.WriteString(w, `}`)
	}))
	stream, _ := streamOf(`"ok"`, 2)
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Body = rawBody{io.NopCloser(strings.NewReader("not this")), stream}
	rec := httptest.NewRecorder()
	w := &rawWriter{ResponseWriter: rec}
	h.ServeHTTP(w, req)
	assert.Equal(t, http.StatusTeapot, rec.Code)
	assert.Empty(t, rec.Body.String(), "the body goes as one Uint8Array, not through Write")
	require.Equal(t, "Uint8Array", w.raw.Get("constructor").Get("name").String())
	assert.Equal(t, `{"got":"ok"}`, bytesOf(w.raw))
}

type rawBody struct {
	io.ReadCloser
	stream js.Value
}

func (b rawBody) GetRawJSBody() js.Value { return b.stream }

func TestLowLeakPlainWriterAndNilBody(t *testing.T) {
	h := LowLeak(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body) // syumai leaves Body nil for GET: must not panic
		require.NoError(t, err)
		io.WriteString(w, "len="+string(rune('0'+len(b))))
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Body = nil
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, "len=0", rec.Body.String())
}

func TestRateLimiter(t *testing.T) {
	// A binding that allows two calls per key, like wrangler.toml's [[ratelimits]].
	binding := jsFunc("", `
		const seen = new Map();
		return { limit: async ({ key }) => {
			const n = (seen.get(key) || 0) + 1; seen.set(key, n);
			return { success: n <= 2 };
		} };`).Invoke()
	l := RateLimiter{Binding: binding}
	var got []bool
	for _, key := range []string{"1.1.1.1", "1.1.1.1", "1.1.1.1", "2.2.2.2"} {
		ok, err := l.Allow(t.Context(), key)
		require.NoError(t, err)
		got = append(got, ok)
	}
	assert.Equal(t, []bool{true, true, false, true}, got)

	failing := RateLimiter{Binding: jsFunc("", `return { limit: async () => { throw new Error("binding down"); } };`).Invoke()}
	ok, err := failing.Allow(t.Context(), "k")
	assert.False(t, ok)
	assert.EqualError(t, err, "workerglue: promise rejected: Error: binding down")
}
