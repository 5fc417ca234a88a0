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

// TestDemoCtrlC runs scripts/demo.sh (what `make demo` runs) on free ports,
// waits until its page and a login through it answer, then presses Ctrl-C
// the way a terminal does: SIGINT to the whole process group. Nothing may be
// left: no process in the group, no listener on either port, no temporary
// folder (the demo builds the fake under TMPDIR, here a folder of the test's
// own).
func TestDemoCtrlC(t *testing.T) {
	root, err := wranglerdev.RepoRoot()
	require.NoError(t, err)
	port, fakePort := freePort(t), freePort(t)
	tmp := t.TempDir()
	cmd := exec.Command("bash", "scripts/demo.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PORT="+port, "FAKE_PORT="+fakePort, "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
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
	running := true
	ready := eventually(4*time.Minute, func() bool {
		select {
		case err := <-exited:
			running = false
			t.Logf("demo ended early: %v", err)
			return true
		default:
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
	require.True(t, ready, "the demo's page %s did not answer", page)
	// A login through the demo's own Worker and fake.
	r := login(t, "http://127.0.0.1:"+port, authtest.DemoMailAddress, authtest.DemoPassword, nil)
	require.Equal(t, http.StatusOK, r.Status, "login through the demo: %s", r.Body)
	assert.True(t, strings.HasPrefix(r.token(), authtest.TokenPrefix), "token %q", r.token())

	// The folder the demo must remove is where the test looks.
	bins, err := filepath.Glob(filepath.Join(tmp, "*", "fakejquants"))
	require.NoError(t, err)
	require.Len(t, bins, 1, "the fake's binary in the demo's temporary folder")

	require.NoError(t, syscall.Kill(-pgid, syscall.SIGINT))
	select {
	case err := <-exited:
		t.Logf("demo after Ctrl-C: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the demo did not end within a minute of Ctrl-C")
	}
	gone := eventually(30*time.Second, func() bool {
		return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
	})
	assert.True(t, gone, "processes of the demo's group still run after Ctrl-C")
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
}
