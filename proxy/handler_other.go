//go:build !js

package proxy

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Handler is the native edge: a thin net/http adapter that reads the request,
// asks the Core, makes the Call through an auth.Transport (asking
// Config.Limiter first) and writes the Answer and its log line. Create it
// with New or NewFromEnv; it is safe for concurrent use. The Worker is the
// other edge (main.go, worker/entry.mjs) and links no net/http.
type Handler struct {
	core     *Core
	upstream auth.Transport
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
	return &Handler{core: core, upstream: upstream, log: log}
}

// Err is the configuration error the handler answers 500 for, or nil.
func (h *Handler) Err() error { return h.core.Err() }

// URL is the upstream auth_user endpoint.
func (h *Handler) URL() string { return h.core.URL() }

// UpstreamTimeout is the compiled upstream timeout.
func (h *Handler) UpstreamTimeout() time.Duration { return h.core.UpstreamTimeout() }

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
			a := Internal(req, p, time.Now())
			if !wrote {
				h.write(w, a)
			}
			h.logLine(a.Log)
			if p == http.ErrAbortHandler {
				panic(p)
			}
		}
	}()
	a := h.serve(r, req)
	wrote = true
	h.write(w, a)
	h.logLine(a.Log)
}

func (h *Handler) serve(r *http.Request, req *Request) Answer {
	a, call := h.core.Prepare(req)
	if call == nil {
		return a
	}
	if call.LimitKey != "" && h.core.c.limiter != nil {
		ok, err := h.core.c.limiter.Allow(r.Context(), call.LimitKey)
		switch {
		case err != nil:
			up := h.forward(r.Context(), call)
			up.Detail = strings.TrimSpace(err.Error() + " " + up.Detail)
			return h.core.Finish(call, up, time.Now())
		case !ok:
			return h.core.Finish(call, Upstream{Limited: true}, time.Now())
		}
	}
	return h.core.Finish(call, h.forward(r.Context(), call), time.Now())
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
		ans, err := h.upstream.Post(ctx, call.URL, call.Body)
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

// outcome classifies a transport's result. The detail never holds the URL:
// a *url.Error would put the refresh token of an auth_refresh in the log.
func outcome(parent, ctx context.Context, ans auth.Answer, err error) Upstream {
	if err == nil {
		return Upstream{Answer: ans}
	}
	var ue *url.Error
	detail := err
	if errors.As(err, &ue) {
		detail = ue.Err
	}
	up := Upstream{Answer: ans, Detail: detail.Error()}
	switch {
	case parent.Err() != nil:
		up.Fault = Canceled
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		// The second test serves transports that time out on their own.
		up.Fault = Timeout
	case errors.Is(err, auth.ErrAnswerTooLarge):
		up.Fault = TooLarge
	case ans.StatusCode != 0:
		up.Fault = Cut
	default:
		up.Fault = Unreachable
	}
	return up
}

// readRequest takes what the core needs from r, reading at most
// MaxBodyBytes+1 bytes of the body, and none when Content-Length is over.
func readRequest(r *http.Request) *Request {
	req := &Request{Method: r.Method, Target: r.RequestURI, Scheme: "http", Host: r.Host, RemoteAddr: r.RemoteAddr, Start: time.Now()}
	if r.URL != nil {
		if req.Target == "" {
			req.Target = r.URL.RequestURI() // a Request built by hand
		}
		if r.URL.Scheme != "" {
			req.Scheme = r.URL.Scheme
		}
		if req.Host == "" {
			req.Host = r.URL.Host
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
