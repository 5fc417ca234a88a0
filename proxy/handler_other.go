//go:build !js

package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
)

// Handler is the native edge: a thin net/http adapter that reads the request,
// asks the Core, makes the Call through an auth.Transport (asking
// Config.Limiter first) and writes the Answer and its log line. Create it
// with New or NewFromEnv; it is safe for concurrent use. The Worker is the
// other edge (main.go, worker/entry.mjs) and links no net/http.
type Handler struct {
	core     *Core
	upstream auth.Transport
	client   *http.Client // V2 GETs, which stream
	log      io.Writer
	logMu    sync.Mutex
}

// New checks cfg and returns the handler. Like NewCore it never returns nil:
// an invalid cfg (or a nil upstream) yields the error and a Handler that
// answers every request 500 {"code":"misconfigured"}.
func New(cfg Config, upstream auth.Transport) (*Handler, error) {
	core, err := NewCore(cfg)
	if upstream == nil {
		err = errors.Join(err, errors.New("no upstream auth.Transport"))
		core.setErr(err)
	}
	return newHandler(core, upstream, cfg.Log), err
}

// NewFromEnv is ConfigFromEnv(getenv) with limiter and log added, then New.
func NewFromEnv(getenv func(name string) string, upstream auth.Transport, limiter Limiter, log io.Writer) (*Handler, error) {
	cfg, envErr := ConfigFromEnv(getenv)
	cfg.Limiter, cfg.Log = limiter, log
	h, err := New(cfg, upstream)
	if envErr != nil {
		err = errors.Join(envErr, err)
		h.core.setErr(err)
	}
	return h, err
}

func newHandler(core *Core, upstream auth.Transport, log io.Writer) *Handler {
	if log == nil {
		log = os.Stderr
	}
	// One client for both: an authhttp.Transport's, with its settings;
	// otherwise one that follows no redirect (it would carry x-api-key
	// along) and reuses no connection (a late extra answer on a kept-alive
	// one would reach the next caller), which an authhttp.Transport without
	// a client of its own gets too, instead of http.DefaultClient's pool.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment}}
	if t, ok := upstream.(authhttp.Transport); ok {
		if t.Client != nil {
			client = t.Client
		} else {
			upstream = authhttp.Transport{Client: client}
		}
	}
	if client.CheckRedirect == nil {
		c := *client
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		client = &c
	}
	return &Handler{core: core, upstream: upstream, client: client, log: log}
}

// Err is the configuration error the handler answers 500 for, or nil.
func (h *Handler) Err() error { return h.core.Err() }

// URL is the upstream auth_user endpoint.
func (h *Handler) URL() string { return h.core.URL() }

// UpstreamTimeout is the compiled upstream timeout.
func (h *Handler) UpstreamTimeout() time.Duration { return h.core.UpstreamTimeout() }

// BodyReadTimeout is the compiled Config.BodyReadTimeout, for the server's
// ReadTimeout.
func (h *Handler) BodyReadTimeout() time.Duration { return h.core.BodyReadTimeout() }

// ServeHTTP answers one request; see the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := readRequest(r)
	// Close the body when done, as net/http's server does; closing also
	// cancels what was left unread.
	if r.Body != nil {
		defer r.Body.Close()
	}
	wrote := false
	defer func() {
		if p := recover(); p != nil {
			var a Answer
			Internal(&a, req, p, time.Now())
			if !wrote {
				h.write(w, a)
			}
			h.logLine(string(a.Log))
			if p == http.ErrAbortHandler {
				panic(p)
			}
		}
	}()
	a, body := h.serve(r, req)
	wrote = true
	h.write(w, a)
	if body == nil {
		h.logLine(string(a.Log))
		return
	}
	defer body.Close()
	// Each piece goes out as it comes: the head at once, and no page waits
	// in a buffer for the next piece of a slow upstream.
	rc := http.NewResponseController(w)
	rc.Flush()
	n, err := io.Copy(flushWriter{w, rc}, body)
	h.logLine(StreamLog(a, n, err != nil))
	if err != nil {
		// Headers are out: only a broken connection tells the caller the
		// body is not whole.
		panic(http.ErrAbortHandler)
	}
}

// serve answers req; body, when not nil, is a V2 answer's body to stream.
func (h *Handler) serve(r *http.Request, req *Request) (Answer, io.ReadCloser) {
	var a Answer
	call := new(Call)
	if !h.core.Prepare(req, &a, call) {
		return a, nil
	}
	forward := func() (Upstream, io.ReadCloser) {
		if call.Method == "GET" {
			return h.stream(r.Context(), call)
		}
		return h.forward(r.Context(), call), nil
	}
	limiter := h.core.c.limiter
	if call.Limiter == LimiterAPI {
		limiter = h.core.c.apiLimiter
	}
	var up Upstream
	var body io.ReadCloser
	if call.LimitKey != "" && limiter != nil {
		ok, err := limiter.Allow(r.Context(), call.LimitKey)
		switch {
		case err != nil:
			// The limiter's own text stays out of the log too: one category.
			up, body = forward()
			up.Detail = strings.TrimSuffix(DetailLimiter+DetailSep+up.Detail, DetailSep)
		case !ok:
			up = Upstream{Limited: true}
		default:
			up, body = forward()
		}
	} else {
		up, body = forward()
	}
	h.core.Finish(&a, call, up, time.Now())
	if body != nil && !a.Stream {
		body.Close()
		body = nil
	}
	return a, body
}

// stream makes a V2 call: the answer's head within call.Timeout, then its
// body as it comes, for the caller to copy and close.
func (h *Handler) stream(parent context.Context, call *Call) (Upstream, io.ReadCloser) {
	ctx, cancel := context.WithCancel(parent)
	timer := time.AfterFunc(call.Timeout, cancel)
	req, err := http.NewRequestWithContext(ctx, call.Method, call.URL, nil)
	if err != nil {
		timer.Stop()
		cancel()
		return Upstream{Fault: Unreachable, Detail: DetailOther}, nil
	}
	for _, f := range call.Header {
		req.Header[http.CanonicalHeaderKey(f[0])] = []string{f[1]}
	}
	resp, err := h.client.Do(req)
	if !timer.Stop() {
		// The head came too late, or not at all in time.
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return Upstream{Fault: Timeout}, nil
	}
	if err != nil {
		// Classified before cancel, which would make any failure a timeout.
		up := outcome(parent, ctx, auth.Answer{}, err)
		cancel()
		return up, nil
	}
	return Upstream{Answer: UpstreamAnswer{StatusCode: resp.StatusCode, Header: HeaderOf(resp.Header)}},
		cancelOnClose{resp.Body, cancel}
}

// flushWriter flushes after every write.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// cancelOnClose ends a streamed call's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

type result struct {
	ans      auth.Answer
	err      error
	panicked bool
	panicVal any
}

// forward makes the call. A timer races the transport, so the 504 comes on
// time even from a transport that ignores its context.
func (h *Handler) forward(parent context.Context, call *Call) Upstream {
	ctx, cancel := context.WithTimeout(parent, call.Timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panicked: true, panicVal: p}
			}
		}()
		ans, err := h.upstream.Post(ctx, call.URL, call.Body) // a new Call's: nil for none
		done <- result{ans: ans, err: err}
	}()
	timer := time.NewTimer(call.Timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		if res.panicked {
			panic(res.panicVal)
		}
		return outcome(parent, ctx, res.ans, res.err)
	case <-timer.C:
		return Upstream{Fault: Timeout}
	case <-parent.Done():
		return Upstream{Fault: Canceled}
	}
}

// outcome classifies a transport's result. The detail is a category, never
// the error's text: a *url.Error quotes the URL (an auth_refresh's holds the
// refresh token), and net/http's parse errors quote what the upstream sent.
func outcome(parent, ctx context.Context, ans auth.Answer, err error) Upstream {
	up := Upstream{Answer: UpstreamAnswer{StatusCode: ans.StatusCode, Header: HeaderOf(ans.Header), Body: ans.Body}}
	if err == nil {
		return up
	}
	switch {
	case parent.Err() != nil:
		up.Fault = Canceled
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		// The second test serves transports that time out on their own.
		up.Fault, up.Detail = Timeout, DetailTimeout
	case errors.Is(err, auth.ErrAnswerTooLarge):
		up.Fault, up.Detail = TooLarge, DetailTooLarge
	case ans.StatusCode != 0:
		up.Fault, up.Detail = Cut, DetailCut
	default:
		up.Fault, up.Detail = Unreachable, category(err)
	}
	return up
}

// category names why a call got no answer, from the error's type; only the
// last test looks at its text, and only to pick the category.
func category(err error) string {
	var dnsErr *net.DNSError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	var certErr *tls.CertificateVerificationError
	var protoErr textproto.ProtocolError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return DetailRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return DetailReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return DetailClosed
	case errors.As(err, &dnsErr):
		return DetailDNS
	case errors.As(err, &recordErr), errors.As(err, &alert), errors.As(err, &certErr):
		return DetailTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		return DetailTimeout
	case errors.As(err, &protoErr), malformedText(err.Error()):
		return DetailMalformed
	}
	return DetailOther
}

// malformedText spots net/http's errors about an answer it could not parse
// ("malformed HTTP status code", "bad Content-Length", "invalid header
// field", "unsupported transfer encoding", "multiple Content-Length
// headers"), whose types are not exported.
func malformedText(s string) bool {
	for _, w := range [...]string{"malformed", "bad Content-Length", "invalid", "unsupported", "multiple Content-Length", "too long"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// readRequest takes what the core needs from r, reading at most
// MaxBodyBytes+1 bytes of the body, and none when Content-Length is over.
func readRequest(r *http.Request) *Request {
	req := &Request{Method: r.Method, Target: r.RequestURI, Scheme: "http", Host: r.Host, RemoteAddr: r.RemoteAddr, Start: time.Now()}
	if r.URL != nil {
		if req.Target == "" && r.URL.Scheme != "" {
			// A Request built by hand with an absolute URL: its scheme is the
			// proxy's own, as workerd's req.url has it.
			req.Scheme = r.URL.Scheme
		}
		if req.Target == "" {
			req.Target = r.URL.RequestURI() // a Request built by hand
		}
		if req.Host == "" {
			req.Host = r.URL.Host
		}
		if r.URL.IsAbs() && !strings.HasPrefix(req.Target, "/") {
			// An absolute-form target: net/http made its authority r.Host
			// and dropped the Host header. That authority must not make the
			// caller's origin "own"; the address it came in on does, as the
			// Host header does in the Worker (wrangler dev sets it so).
			req.Host = ""
			if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
				req.Host = a.String()
			}
		}
	}
	if r.TLS != nil {
		req.Scheme = "https"
	}
	req.Header = make(Header, 0, len(r.Header))
	for name, values := range r.Header {
		// Joined as fetch's Headers joins them, so both edges see the same text.
		req.Header = append(req.Header, [2]string{strings.ToLower(name), strings.Join(values, ", ")})
	}
	switch {
	case r.ContentLength > MaxBodyBytes:
		req.TooLarge = true
	case r.Body != nil && r.Body != http.NoBody:
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		req.Body = b
		if err != nil {
			req.ReadErr = err.Error()
		}
	}
	return req
}

func (h *Handler) write(w http.ResponseWriter, a Answer) {
	hd := w.Header()
	for _, f := range a.Header {
		hd.Set(f[0], f[1])
	}
	w.WriteHeader(a.Status)
	w.Write(a.Body)
}

func (h *Handler) logLine(line string) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	io.WriteString(h.log, line+"\n")
}
