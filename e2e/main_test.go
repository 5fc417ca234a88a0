//go:build !js

// Package e2e runs the real parts together: the fake J-Quants server (a real
// HTTP server on loopback), the Worker under `wrangler dev` (real workerd) and,
// for the page, real Chromium. One `wrangler dev` serves the whole package:
// starting one builds the Worker into build/, so tests share it.
package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
)

// Shared by every test in the package; set up in TestMain.
var (
	upstream *authtest.Server
	worker   *wranglerdev.Dev
	// native is `go run .` with the Worker's settings, for the tables that
	// hold both edges to one answer.
	native *nativeEdge
	// otherOrigin is an allowed origin other than the Worker's own; its
	// listener serves build/web/ for the cross-origin page tests.
	otherOrigin   string
	otherListener net.Listener
	// strangerOrigin is not allowed.
	strangerOrigin   string
	strangerListener net.Listener
)

// upstreamTimeout is the Worker's UPSTREAM_TIMEOUT in these tests.
const upstreamTimeout = 2 * time.Second

// bodyReadTimeout is the Worker's BODY_READ_TIMEOUT in these tests (30 s by
// default): short, so that a stalled upload is answered soon.
const bodyReadTimeout = 3 * time.Second

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	upstream = authtest.NewServer()
	defer upstream.Close()
	var err error
	if otherListener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if strangerListener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	otherOrigin = "http://" + otherListener.Addr().String()
	strangerOrigin = "http://" + strangerListener.Addr().String()
	worker, err = wranglerdev.Start(context.Background(), wranglerdev.Options{Vars: map[string]string{
		"JQUANTS_API_BASE_URL": upstream.URL,
		"ALLOWED_ORIGINS":      otherOrigin,
		"UPSTREAM_TIMEOUT":     upstreamTimeout.String(),
		"BODY_READ_TIMEOUT":    bodyReadTimeout.String(),
		"LOGIN_RATE_LIMIT":     "off",
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer worker.Close()
	native, err = startNative(context.Background(),
		"JQUANTS_API_BASE_URL="+upstream.URL, "ALLOWED_ORIGINS="+otherOrigin,
		"UPSTREAM_TIMEOUT="+upstreamTimeout.String(), "LOGIN_RATE_LIMIT=off")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer native.Close()
	code := m.Run()
	closeQuirks()
	// No password, no API key, and no token outside its own answer, in any
	// answer or log.
	if scanSecrets(os.Stdout, map[string]string{"shared worker": worker.Log(), "native": native.Log()}) > 0 && code == 0 {
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- wrangler dev log ---\n%s\n", tail(worker.Log(), 80))
		fmt.Fprintf(os.Stderr, "--- go run . log ---\n%s\n", tail(native.Log(), 40))
	}
	return code
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// client has no cookie jar and a bound on every call.
var client = &http.Client{Timeout: 30 * time.Second}
