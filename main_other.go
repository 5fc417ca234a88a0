//go:build !js || !wasm

// The native build: the proxy core (package proxy) behind its net/http edge,
// and the page in web/ when it has been built (`make web`), on the same paths
// as `wrangler dev`: /v1/* goes to the proxy, anything else to web/ as
// Workers assets serve it (internal/webassets: web/_headers, ETag and 304,
// the brotli or gzip copy `make web` made), falling through to the proxy
// when no file matches.
// The js/wasm build (main.go) runs the same core inside the Cloudflare Worker.
//
// Environment: the Worker's variables JQUANTS_API_BASE_URL, ALLOWED_ORIGINS,
// UPSTREAM_TIMEOUT and LOGIN_RATE_LIMIT (see package proxy), plus
// PORT (default 8787) and HOST (default 127.0.0.1) to listen on, and WEB_DIR
// (default web) for the page.
//
//	JQUANTS_API_BASE_URL=http://127.0.0.1:18788 PORT=8787 go run .
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/internal/webassets"
	"github.com/jquants-auth/jquants-auth/proxy"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "jquants-auth:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, getenv func(string) string) error {
	srv, h, addr, err := newServer(getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "jquants-auth: proxy listening on http://%s, forwarding to %s\n", ln.Addr(), h.URL())
	if _, ok := srv.Handler.(*nativeHandler); ok {
		fmt.Fprintln(os.Stderr, "jquants-auth: no page: web/jquants-auth.wasm is not built (run `make web`), so only /v1/* is served")
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
	// One try, no redirects: a 3xx from upstream is not the contract (502).
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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
	if page, err := pageHandler(getenv("WEB_DIR"), handler); err != nil {
		return nil, nil, "", err
	} else if page != nil {
		handler = page
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      h.UpstreamTimeout() + 30*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
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

// pageHandler serves dir (default "web") in front of the proxy once the
// browser module is built there; nil when it is not.
func pageHandler(dir string, proxyHandler http.Handler) (http.Handler, error) {
	if dir == "" {
		dir = "web"
	}
	if _, err := os.Stat(filepath.Join(dir, "jquants-auth.wasm")); err != nil {
		return nil, nil
	}
	page, err := webassets.New(dir, proxyHandler)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			proxyHandler.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}), nil
}
