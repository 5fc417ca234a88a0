//go:build !js || !wasm

// The native build: the proxy core (package proxy) behind its net/http edge,
// and the page once `make web` has built it into build/web/, on the same
// paths as `wrangler dev`: /v1/* and /v2/* go to the proxy, anything else to
// the page as Workers assets serve it (internal/webassets: its _headers,
// ETag and 304, the brotli or gzip copy `make web` made), falling through to
// the proxy when no file matches.
// The js/wasm build (main.go) runs the same core inside the Cloudflare Worker.
//
// Environment: the Worker's variables JQUANTS_API_BASE_URL, ALLOWED_ORIGINS,
// UPSTREAM_TIMEOUT, LOGIN_RATE_LIMIT, API_RATE_LIMIT and BODY_READ_TIMEOUT
// (see package proxy), plus
// PORT (default 8787) and HOST (default 127.0.0.1) to listen on, and WEB_DIR
// (default build/web) for the page.
//
//	JQUANTS_API_BASE_URL=http://127.0.0.1:18788 PORT=8787 go run .
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/internal/webassets"
	"github.com/jquants-auth/jquants-auth/proxy"
)

func main() {
	// net/http's transport logs through the log package, quoting what the
	// upstream sent ("Unsolicited response received on idle HTTP channel
	// starting with …", which can hold a token): nothing of it reaches
	// stderr. The proxy's own lines do not use the log package.
	log.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "jquants-auth:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, saying on stderr where it listens, what it
// forwards where, and whether it serves the page.
func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	srv, h, addr, err := newServer(getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// h.URL() is auth_user's URL; the base is what both calls go to.
	fmt.Fprintf(stderr, "jquants-auth: proxy listening on http://%s, forwarding %s/* (API keys), %s and %s to %s\n",
		ln.Addr(), auth.V2Prefix, auth.Path, auth.RefreshPath, strings.TrimSuffix(h.URL(), auth.Path))
	if _, ok := srv.Handler.(*nativeHandler); ok {
		missing := filepath.Join(webDir(getenv), wasmFiles) + " is not built (run `make web`)"
		if dir := getenv("WEB_DIR"); dir != "" {
			missing = filepath.Join(dir, wasmFiles) + " is missing (WEB_DIR=" + dir + "; `make web` builds into " + builtWebDir + ")"
		}
		fmt.Fprintln(stderr, "jquants-auth: no page: "+missing+", so only /v1/* and /v2/* are served")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// newServer builds the server from the environment; a bad value is an error
// here (natively we stop; the Worker answers 500 misconfigured instead).
func newServer(getenv func(string) string) (*http.Server, *proxy.Handler, string, error) {
	cfg, err := proxy.ConfigFromEnv(getenv)
	if err != nil {
		return nil, nil, "", err
	}
	cfg.Log = os.Stderr
	if !cfg.DisableRateLimit {
		cfg.Limiter = proxy.NewMemoryLimiter(proxy.DefaultLoginLimit, proxy.DefaultLoginPeriod)
	}
	if !cfg.DisableAPIRateLimit {
		cfg.APILimiter = proxy.NewMemoryLimiter(proxy.DefaultAPILimit, proxy.DefaultLoginPeriod)
	}
	// One try, no redirects: a 3xx from upstream is not the contract (502).
	// No connection is reused: a late extra answer on a kept-alive
	// connection could otherwise reach the next caller.
	client := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	h, err := proxy.New(cfg, authhttp.Transport{Client: client})
	if err != nil {
		return nil, nil, "", err
	}
	port := getenv("PORT")
	if port == "" {
		port = "8787"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, nil, "", errors.New("PORT=" + strconv.Quote(port) + ": want a port number")
	}
	host := getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	var handler http.Handler = &nativeHandler{proxy: h}
	if page, err := pageHandler(webDir(getenv), handler); err != nil {
		return nil, nil, "", err
	} else if page != nil {
		handler = page
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       h.BodyReadTimeout(),
		WriteTimeout:      h.UpstreamTimeout() + 30*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		// The server's own complaints (a bad TLS handshake, a broken
		// connection) can quote a caller's bytes; the proxy logs each
		// request itself.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	return srv, h, net.JoinHostPort(host, port), nil
}

// nativeHandler drops CF-Connecting-IP, which only Cloudflare may set: here
// any caller could send it to dodge the rate limit, so the limiter keys by
// the connection's address instead.
type nativeHandler struct{ proxy *proxy.Handler }

func (n *nativeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Header.Del("CF-Connecting-IP")
	n.proxy.ServeHTTP(w, r)
}

// wasmFiles matches the browser module that `make web` builds, named after
// its content; its presence in the page's folder means the page is there.
const wasmFiles = "jquants-auth.*.wasm"

// builtWebDir is where `make web` builds the page.
const builtWebDir = "build/web"

// webDir is the page's folder: WEB_DIR, default build/web.
func webDir(getenv func(string) string) string {
	if dir := getenv("WEB_DIR"); dir != "" {
		return dir
	}
	return builtWebDir
}

// pageHandler serves dir in front of the proxy once the browser module is
// built there; nil when it is not.
func pageHandler(dir string, proxyHandler http.Handler) (http.Handler, error) {
	if found, _ := filepath.Glob(filepath.Join(dir, wasmFiles)); len(found) == 0 {
		return nil, nil
	}
	page, err := webassets.New(dir, proxyHandler)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/v2/") {
			proxyHandler.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}), nil
}
