//go:build !js

package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
)

// nativeEdge is `go run .`: the proxy and the page over net/http, built and
// run as a person runs it, with the shared Worker's settings, so that one
// table of requests can be sent to both edges.
type nativeEdge struct {
	URL string
	cmd *exec.Cmd
	log *lockedBuffer
	dir string
}

var listening = regexp.MustCompile(`proxy listening on (http://127\.0\.0\.1:\d+)`)

// startNative builds the repository's main package and runs it on a free
// port with env (NAME=value) added, until it says where it listens.
func startNative(ctx context.Context, env ...string) (*nativeEdge, error) {
	root, err := wranglerdev.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "jquants-native-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "jquants-auth")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, errors.New("go build: " + err.Error() + ": " + string(out))
	}
	n := &nativeEdge{log: &lockedBuffer{}, dir: dir}
	n.cmd = exec.Command(bin)
	n.cmd.Dir = root
	n.cmd.Env = append(append(os.Environ(), "PORT=0", "HOST=127.0.0.1"), env...)
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := n.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			n.log.Write(append(sc.Bytes(), '\n'))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case n.URL = <-found:
		return n, nil
	case <-time.After(60 * time.Second):
		n.Close()
		return nil, errors.New("go run .: no \"listening\" line in 60 s: " + n.log.String())
	}
}

// Log is what the native edge wrote to stderr so far.
func (n *nativeEdge) Log() string { return n.log.String() }

// Close stops it as Ctrl-C would.
func (n *nativeEdge) Close() {
	n.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		n.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(n.dir)
}
