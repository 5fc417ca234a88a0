//go:build js && wasm

package workerglue

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"
)

// Serve sets binding.serveRequest, the single-instance entry's
// (worker/entry.mjs) way into h:
//
//	serveRequest(method, url, headers, body, respond, reject)
//
// headers is the request's header list as one string, "name\nvalue\n" per
// entry; body is the ReadableStream or null. Serve answers by calling
// respond(status, head, body) once: head is the status text, then
// "\nname\nvalue" per header value; body a Uint8Array, or null for 101,
// 204, 205 and 304. A request that cannot be turned into an *http.Request
// calls reject(Error).
//
// It builds the same *http.Request as syumai's jshttp.ToRequest followed by
// LowLeak (header values split at commas, ContentLength -1 for a body
// without a usable Content-Length, Host and RemoteAddr from the Host and
// CF-Connecting-IP headers, the body read by a BodyReader) and answers as
// syumai's ResponseWriter with LowLeak's buffered body does, but crosses
// between Go and JavaScript a handful of times per request instead of a few
// dozen: every js.Value holding a JS object or string costs an allocation, a
// finalizer and a later call back into JS.
func Serve(binding js.Value, h http.Handler) {
	binding.Set("serveRequest", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 6 {
			panic("workerglue: serveRequest wants 6 arguments, got " + strconv.Itoa(len(args)))
		}
		method, rawURL, headers := args[0].String(), args[1].String(), args[2].String()
		go serveOne(h, method, rawURL, headers, args[3], args[4], args[5])
		return nil
	}))
}

var errorClass = js.Global().Get("Error")

func serveOne(h http.Handler, method, rawURL, headers string, body, respond, reject js.Value) {
	r, err := newRequest(context.Background(), method, rawURL, headers, body)
	if err != nil {
		reject.Invoke(errorClass.New(err.Error()))
		return
	}
	w := &writer{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(w, r)
	w.finish(respond)
}

// newRequest is jshttp.ToRequest over the flattened request, with LowLeak's body.
func newRequest(ctx context.Context, method, rawURL, headers string, body js.Value) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	header, err := parseHeader(headers)
	if err != nil {
		return nil, err
	}
	hasBody := !body.IsNull() && !body.IsUndefined()
	contentLength, clErr := strconv.ParseInt(header.Get("Content-Length"), 10, 64)
	if clErr != nil && hasBody {
		contentLength = -1
	}
	r := &http.Request{
		Method:           method,
		URL:              u,
		Proto:            "HTTP/1.1",
		ProtoMajor:       1,
		ProtoMinor:       1,
		Header:           header,
		Body:             http.NoBody,
		ContentLength:    contentLength,
		TransferEncoding: strings.Split(header.Get("Transfer-Encoding"), ","),
		Host:             header.Get("Host"),
		RemoteAddr:       header.Get("Cf-Connecting-Ip"),
	}
	if hasBody {
		r.Body = NewBodyReader(ctx, body)
	}
	return r.WithContext(ctx), nil
}

// parseHeader reads "name\nvalue\n" pairs; like syumai's ToHeader it splits
// every value at commas.
func parseHeader(s string) (http.Header, error) {
	h := make(http.Header, strings.Count(s, "\n")/2)
	for s != "" {
		name, rest, ok1 := strings.Cut(s, "\n")
		value, rest, ok2 := strings.Cut(rest, "\n")
		if !ok1 || !ok2 {
			return nil, errors.New("workerglue: malformed header list")
		}
		for v := range strings.SplitSeq(value, ",") {
			h.Add(name, v)
		}
		s = rest
	}
	return h, nil
}

// writer is syumai's jshttp.ResponseWriter with LowLeak's Buffered body.
type writer struct {
	header http.Header
	status int
	body   []byte
}

func (w *writer) Header() http.Header { return w.header }

// WriteHeader records the status; like syumai's, the last call wins.
func (w *writer) WriteHeader(status int) { w.status = status }

func (w *writer) Write(b []byte) (int, error) {
	w.body = append(w.body, b...)
	return len(b), nil
}

// Flush is a no-op: the answer goes out whole when the handler returns.
func (w *writer) Flush() {}

// finish hands the answer to respond. Header names or values holding CR,
// LF or NUL, which JS Headers would refuse, are left out.
func (w *writer) finish(respond js.Value) {
	var b strings.Builder
	b.WriteString(http.StatusText(w.status))
	for k, vs := range w.header {
		if invalidHeaderText(k) {
			continue
		}
		for _, v := range vs {
			if invalidHeaderText(v) {
				continue
			}
			b.WriteByte('\n')
			b.WriteString(k)
			b.WriteByte('\n')
			b.WriteString(v)
		}
	}
	body := js.Null()
	switch w.status {
	case http.StatusSwitchingProtocols, http.StatusNoContent, http.StatusResetContent, http.StatusNotModified:
	default:
		body = uint8Array.New(len(w.body))
		js.CopyBytesToJS(body, w.body)
	}
	respond.Invoke(w.status, b.String(), body)
}

func invalidHeaderText(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }
