// Command fakejquants runs the fake J-Quants auth server (package authtest)
// on an address, for the offline demo. It speaks POST /v1/token/auth_user
// (a refresh token for a mail address and password) and POST
// /v1/token/auth_refresh?refreshtoken=… (an ID token for a refresh token), and
// knows one demo account. It logs one line per request, its method and path:
// never a password, never a token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakejquants:", err)
		os.Exit(1)
	}
}

// run parses args, serves the fake until ctx ends, then shuts down. The
// listening address, the endpoints and the demo account go to stdout, one
// line per request to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fakejquants", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8788", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fake J-Quants listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "serving POST %s and POST %s?refreshtoken=…\n", auth.Path, authtest.RefreshPath)
	fmt.Fprintf(stdout, "demo account: %s / %s\n", authtest.DemoMailAddress, authtest.DemoPassword)
	h := authtest.NewHandler()
	var logMu sync.Mutex // handlers run concurrently; keep lines whole
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(stderr, "fakejquants: %s %s %v\n", r.Method, r.URL.Path, time.Since(start).Round(time.Microsecond))
	})
	srv := &http.Server{Handler: logged, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
