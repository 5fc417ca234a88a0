//go:build !js

package e2e

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is an io.Writer that can be read while a process writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, ln.Close())
	return port
}

// eventually polls cond every 100 ms until it holds or d has passed.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// demoCommand is `make demo` in the repository, in a process group of its
// own (so that a test can press Ctrl-C the way a terminal does), with env
// added and its output in out. The make that runs `go test` (make test)
// passes its MAKEFLAGS down; they are dropped so that this make is a plain one.
func demoCommand(t *testing.T, out *lockedBuffer, env ...string) *exec.Cmd {
	t.Helper()
	root, err := wranglerdev.RepoRoot()
	require.NoError(t, err)
	cmd := exec.Command("make", "--no-print-directory", "demo")
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAKEFLAGS=") && !strings.HasPrefix(kv, "MAKELEVEL=") && !strings.HasPrefix(kv, "MFLAGS=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd
}

// runDemoToEnd runs a demo that must stop by itself, and returns how it ended.
func runDemoToEnd(t *testing.T, env ...string) (string, error) {
	t.Helper()
	var out lockedBuffer
	cmd := demoCommand(t, &out, env...)
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return out.String(), err
	case <-time.After(2 * time.Minute):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("the demo did not stop by itself:\n%s", tail(out.String(), 40))
		return "", nil
	}
}

// TestDemoCtrlC runs `make demo` on free ports with LOGIN_RATE_LIMIT=off,
// waits until its page answers and its banner shows, after wrangler's
// "Ready on" line; logs in through it more often than the limit would allow;
// then presses Ctrl-C the way a terminal does: SIGINT to the whole process
// group. make reports no error, and nothing may be left: no process in the
// group, no listener on either port, no temporary folder (the demo builds
// the fake under TMPDIR, here a folder of the test's own). wrangler's own
// log goes to WRANGLER_LOG_PATH, also the test's.
func TestDemoCtrlC(t *testing.T) {
	port, fakePort := freePort(t), freePort(t)
	tmp, logs := t.TempDir(), t.TempDir()
	var out lockedBuffer
	cmd := demoCommand(t, &out, "PORT="+port, "FAKE_PORT="+fakePort, "TMPDIR="+tmp,
		"LOGIN_RATE_LIMIT=off", "WRANGLER_LOG_PATH="+logs)
	require.NoError(t, cmd.Start())
	pgid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Whatever happened, leave no demo running for the next test.
		if syscall.Kill(-pgid, 0) == nil {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", tail(out.String(), 60))
		}
	})

	page := "http://127.0.0.1:" + port + "/"
	banner := "  Open         " + page + "\n"
	running := true
	ready := eventually(4*time.Minute, func() bool {
		select {
		case err := <-exited:
			running = false
			t.Logf("demo ended early: %v", err)
			return true
		default:
		}
		if !strings.Contains(out.String(), banner) {
			return false
		}
		resp, err := client.Get(page)
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "J-Quants")
	})
	require.True(t, running, "the demo ended before its page answered")
	require.True(t, ready, "the demo's page %s did not answer, or its banner did not show", page)
	shown := out.String()
	readyAt := strings.Index(shown, "Ready on http://127.0.0.1:"+port)
	require.GreaterOrEqual(t, readyAt, 0, "wrangler's Ready line")
	assert.Less(t, readyAt, strings.Index(shown, banner), "the banner comes after wrangler's Ready line")
	assert.Contains(t, shown, "  Login limit  off (LOGIN_RATE_LIMIT=off)\n")

	// The limit is 10 a minute, counted in windows of the wall clock: with it
	// on, 21 logins within a minute would meet a 429 at least once.
	const logins = 21
	for i := range logins {
		r := login(t, "http://127.0.0.1:"+port, authtest.DemoMailAddress, authtest.DemoPassword, nil)
		require.Equal(t, http.StatusOK, r.Status, "login %d through the demo: %s", i+1, r.Body)
		assert.True(t, strings.HasPrefix(r.token(), authtest.TokenPrefix), "token %q", r.token())
	}

	// The folder the demo must remove is where the test looks.
	bins, err := filepath.Glob(filepath.Join(tmp, "*", "fakejquants"))
	require.NoError(t, err)
	require.Len(t, bins, 1, "the fake's binary in the demo's temporary folder")

	require.NoError(t, syscall.Kill(-pgid, syscall.SIGINT))
	select {
	case err := <-exited:
		t.Logf("make demo after Ctrl-C: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the demo did not end within a minute of Ctrl-C")
	}
	gone := eventually(30*time.Second, func() bool {
		return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
	})
	assert.True(t, gone, "processes of the demo's group still run after Ctrl-C")
	assert.Contains(t, out.String(), "demo: stopped")
	assert.NotContains(t, out.String(), "make: ***", "make reported an error after Ctrl-C")
	for _, p := range []string{port, fakePort} {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, time.Second); err == nil {
			c.Close()
			t.Errorf("port %s still answers after Ctrl-C", p)
		}
	}
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.Empty(t, left, "files left in the demo's TMPDIR")
	files, err := filepath.Glob(filepath.Join(logs, "wrangler-*.log"))
	require.NoError(t, err)
	assert.Len(t, files, 1, "wrangler's log file in WRANGLER_LOG_PATH")
}

// TestDemoPortTaken: with PORT or FAKE_PORT taken by another program, `make
// demo` stops before building anything, naming the port and the variable.
func TestDemoPortTaken(t *testing.T) {
	for _, name := range []string{"PORT", "FAKE_PORT"} {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			_, taken, err := net.SplitHostPort(ln.Addr().String())
			require.NoError(t, err)
			ports := map[string]string{"PORT": freePort(t), "FAKE_PORT": freePort(t)}
			ports[name] = taken
			tmp := t.TempDir()
			out, err := runDemoToEnd(t, "PORT="+ports["PORT"], "FAKE_PORT="+ports["FAKE_PORT"], "TMPDIR="+tmp)
			require.Error(t, err, "make demo with %s taken:\n%s", name, out)
			assert.Contains(t, out, "demo: port "+taken+" on 127.0.0.1 is in use: stop what listens there, or choose another port with "+name+" (make demo "+name+"=...)")
			assert.NotContains(t, out, "Ready on")
			entries, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, entries, "the demo built something in TMPDIR")
		})
	}
}

// TestDemoFakeCannotStart: a socket bound to FAKE_PORT that does not listen
// passes the port check (nothing answers there) but keeps the fake from
// binding. The demo stops there, naming FAKE_PORT, before wrangler starts,
// and removes what it built.
func TestDemoFakeCannotStart(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fd)
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	bound := strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	tmp := t.TempDir()
	out, err := runDemoToEnd(t, "PORT="+freePort(t), "FAKE_PORT="+bound, "TMPDIR="+tmp)
	require.Error(t, err, "make demo with the fake unable to bind:\n%s", out)
	assert.Contains(t, out, "demo: the fake J-Quants server did not start on 127.0.0.1:"+bound+": choose another port with FAKE_PORT")
	assert.NotContains(t, out, "Ready on")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "files left in the demo's TMPDIR")
}
