// Command fakejquants runs the fake J-Quants server (package authtest) on an
// address, for the offline demo. It speaks the API V2, GET /v2/<documented
// path> with an x-api-key header, and knows one demo key per plan (the
// Free one is the demo's); and the retired V1 login, POST
// /v1/token/auth_user (a refresh token for a mail address and password) and
// POST /v1/token/auth_refresh?refreshtoken=… (an ID token for a refresh
// token), with one demo account. It logs one line per request: its method,
// its path if it is one J-Quants documents (else "(other path)", since a
// client may put a secret in it), the status and the time taken; never a
// query, a header, a password, a token or a key.
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
	"strings"
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
// listening address, the endpoints, the demo account and the demo keys go
// to stdout, one line per request to stderr.
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
	fmt.Fprintf(stdout, "serving GET %s/… (API V2) with the header %s\n", auth.V2Prefix, auth.HeaderAPIKey)
	fmt.Fprintf(stdout, "demo account: %s / %s\n", authtest.DemoMailAddress, authtest.DemoPassword)
	for _, p := range []auth.Plan{auth.PlanFree, auth.PlanLight, auth.PlanStandard, auth.PlanPremium} {
		fmt.Fprintf(stdout, "demo API key, %s plan: %s\n", p, authtest.DemoKeyFor(p))
	}
	h := authtest.NewHandler()
	var logMu sync.Mutex // handlers run concurrently; keep lines whole
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(stderr, "fakejquants: %s %s %d %v\n", r.Method, loggedPath(r.URL.Path), sw.status, time.Since(start).Round(time.Microsecond))
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

// loggedPath is path if J-Quants documents it, else "(other path)": a
// client may put a key or token in a path, and the log must not show it.
func loggedPath(path string) string {
	if path == auth.Path || path == authtest.RefreshPath {
		return path
	}
	if rest, ok := strings.CutPrefix(path, auth.V2Prefix); ok {
		if _, documented := auth.LookupV2(rest); documented {
			return path
		}
	}
	return "(other path)"
}

// statusWriter notes the status a handler answers with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (the fake's
// faults flush and hijack it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
