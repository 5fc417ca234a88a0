//go:build js && wasm

package workerglue

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer is what Serve hands to respond, or the reason it rejects with.
type answer struct {
	status   int
	text     string
	header   http.Header
	body     js.Value
	rejected string
}

// serveOnce calls binding.serveRequest as worker/entry.mjs does and waits for
// respond or reject.
func serveOnce(t *testing.T, h http.Handler, method, url, headers string, body js.Value) answer {
	t.Helper()
	binding := js.Global().Get("Object").New()
	Serve(binding, h)
	ch := make(chan answer, 1)
	respond := js.FuncOf(func(_ js.Value, args []js.Value) any {
		parts := strings.Split(args[1].String(), "\n")
		a := answer{status: args[0].Int(), text: parts[0], header: http.Header{}, body: args[2]}
		for i := 1; i+1 < len(parts); i += 2 {
			a.header[parts[i]] = append(a.header[parts[i]], parts[i+1])
		}
		ch <- a
		return nil
	})
	defer respond.Release()
	reject := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- answer{rejected: args[0].Get("message").String()}
		return nil
	})
	defer reject.Release()
	binding.Call("serveRequest", method, url, headers, body, respond, reject)
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("serveRequest never answered")
		return answer{}
	}
}

func TestServeBuildsTheRequestAsSyumaiDoes(t *testing.T) {
	var got *http.Request
	var gotBody string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		gotBody = string(b)
		w.Header()["X-Multi"] = []string{"1", "2"}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"got":`)
		w.(http.Flusher).Flush()
		w.Write(b)
		io.WriteString(w, `}`)
	})
	stream, _ := streamOf(`"hello"`, 3)
	headers := "content-type\napplication/json\ncontent-length\n7\nhost\nproxy.example\n" +
		"cf-connecting-ip\n203.0.113.9\naccept\ntext/plain, application/json\n"
	a := serveOnce(t, h, "POST", "https://proxy.example/v1/token/auth_user?x=1", headers, stream)
	require.Empty(t, a.rejected)

	assert.Equal(t, "POST", got.Method)
	assert.Equal(t, "https://proxy.example/v1/token/auth_user?x=1", got.URL.String())
	assert.Equal(t, "/v1/token/auth_user", got.URL.Path)
	assert.Empty(t, got.RequestURI)
	assert.Equal(t, "proxy.example", got.Host)
	assert.Equal(t, "203.0.113.9", got.RemoteAddr)
	assert.Equal(t, int64(7), got.ContentLength)
	assert.Equal(t, []string{"application/json"}, got.Header["Content-Type"])
	assert.Equal(t, []string{"text/plain", " application/json"}, got.Header["Accept"], "values split at commas, as syumai's ToHeader does")
	assert.Equal(t, `"hello"`, gotBody)
	assert.NotNil(t, got.Context())

	assert.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, "Created", a.text)
	assert.Equal(t, []string{"1", "2"}, a.header["X-Multi"])
	assert.Equal(t, []string{"application/json"}, a.header["Content-Type"])
	require.Equal(t, "Uint8Array", a.body.Get("constructor").Get("name").String())
	assert.Equal(t, `{"got":"hello"}`, bytesOf(a.body))
}

func TestServeNoBody(t *testing.T) {
	var got *http.Request
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.Empty(t, b)
	})
	a := serveOnce(t, h, "GET", "http://127.0.0.1:8787/", "", js.Null())
	require.Empty(t, a.rejected)
	assert.Equal(t, http.NoBody, got.Body)
	assert.Zero(t, got.ContentLength)
	assert.Equal(t, http.StatusOK, a.status, "no WriteHeader: 200")
	assert.Equal(t, "OK", a.text)
	assert.Equal(t, 0, a.body.Get("byteLength").Int(), "an empty body, not null")
}

func TestServeBodyOfUnknownLength(t *testing.T) {
	var length int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		length = r.ContentLength
		r.Body.Close()
	})
	stream, state := streamOf(strings.Repeat("x", 1<<16), 1024)
	a := serveOnce(t, h, "POST", "http://127.0.0.1:8787/", "transfer-encoding\nchunked\n", stream)
	require.Empty(t, a.rejected)
	assert.Equal(t, int64(-1), length)
	assert.True(t, state.Get("cancelled").Bool(), "closing the body unread cancels the stream")
}

func TestServeNullBodyStatuses(t *testing.T) {
	for _, status := range []int{http.StatusNoContent, http.StatusResetContent, http.StatusNotModified} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "OPTIONS, POST")
			w.WriteHeader(status)
		})
		a := serveOnce(t, h, "OPTIONS", "http://127.0.0.1:8787/", "", js.Null())
		assert.Equal(t, status, a.status)
		assert.True(t, a.body.IsNull(), "status %d has a null body", status)
		assert.Equal(t, []string{"OPTIONS, POST"}, a.header["Allow"])
	}
}

func TestServeLastWriteHeaderWinsAndBadHeadersAreLeftOut(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Good", "yes")
		w.Header()["X-Bad"] = []string{"a\nb", "ok"}
		w.Header()["X-Bad\r"] = []string{"v"}
		w.WriteHeader(http.StatusBadGateway)
		w.WriteHeader(http.StatusTeapot)
	})
	a := serveOnce(t, h, "GET", "http://127.0.0.1:8787/", "", js.Null())
	assert.Equal(t, http.StatusTeapot, a.status)
	assert.Equal(t, []string{"yes"}, a.header["X-Good"])
	assert.Equal(t, []string{"ok"}, a.header["X-Bad"])
	keys := make([]string, 0, len(a.header))
	for k := range a.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	assert.Equal(t, []string{"X-Bad", "X-Good"}, keys)
}

func TestServeRejects(t *testing.T) {
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("handler called") })
	a := serveOnce(t, h, "GET", "http://[::1", "", js.Null())
	assert.Contains(t, a.rejected, "missing ']' in host")
	a = serveOnce(t, h, "GET", "http://127.0.0.1/", "content-type\n", js.Null())
	assert.Equal(t, "workerglue: malformed header list", a.rejected)
}

func TestConsoleLogsUpToTheLastNewline(t *testing.T) {
	var logged []string
	capture := js.FuncOf(func(_ js.Value, args []js.Value) any {
		logged = append(logged, args[0].String())
		return nil
	})
	defer capture.Release()
	saved := console
	console = js.Global().Get("Object").New()
	console.Set("log", capture)
	defer func() { console = saved }()

	var c Console
	for _, s := range []string{"proxy: one\n", "two\nthr", "ee", "\n", "no newline"} {
		n, err := c.Write([]byte(s))
		require.NoError(t, err)
		assert.Equal(t, len(s), n)
	}
	assert.Equal(t, []string{"proxy: one", "two", "three"}, logged)
}
