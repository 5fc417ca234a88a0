//go:build !js

// Package wranglerdev starts `wrangler dev` (real workerd) for tests and
// benchmarks, finds the address it serves on, keeps its log, and stops its
// whole process group. It needs `npm ci` to have run in the repository.
package wranglerdev

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options says what to run. Zero fields take the defaults stated.
type Options struct {
	// Dir is the repository root (holding node_modules). Default: found by
	// walking up from the working directory to go.mod.
	Dir string
	// Config is the wrangler.toml to use, relative to Dir. Default "wrangler.toml".
	Config string
	// Vars are passed as --var KEY:VALUE, overriding wrangler.toml's [vars].
	Vars map[string]string
	// Env adds environment variables for wrangler.
	Env []string
	// ReadyTimeout bounds the wait for "Ready on". Default 180 s: a cold
	// build on a loaded 2-core machine has taken over 20 s.
	ReadyTimeout time.Duration
	// Echo copies wrangler's output to this writer as it arrives. Default none.
	Echo io.Writer
}

// Dev is a running `wrangler dev`.
type Dev struct {
	URL string // e.g. http://127.0.0.1:41234
	// LogDir holds wrangler's own log files (WRANGLER_LOG_PATH), which it
	// would otherwise leave in ~/.config/.wrangler/logs. It is removed,
	// with the local state, once wrangler has exited.
	LogDir string

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  bytes.Buffer
}

var readyLine = regexp.MustCompile(`Ready on (http://127\.0\.0\.1:\d+)`)

// Start runs `npx wrangler dev` on a free loopback port and returns once the
// Worker answers. Close it when done.
func Start(ctx context.Context, o Options) (*Dev, error) {
	if o.Dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		o.Dir = root
	}
	if o.Config == "" {
		o.Config = "wrangler.toml"
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 180 * time.Second
	}
	npx := filepath.Join(o.Dir, "node_modules", ".bin", "wrangler")
	if _, err := os.Stat(npx); err != nil {
		return nil, fmt.Errorf("wranglerdev: %s missing: run `npm ci` first", npx)
	}
	tmp, err := os.MkdirTemp("", "wranglerdev-")
	if err != nil {
		return nil, err
	}
	stateDir, logDir := filepath.Join(tmp, "state"), filepath.Join(tmp, "logs")
	args := []string{"wrangler", "dev", "--config", o.Config, "--ip", "127.0.0.1", "--port", "0",
		"--inspector-port", "0", "--persist-to", stateDir, "--show-interactive-dev-session=false",
		"--log-level", "log"}
	for k, v := range o.Vars {
		args = append(args, "--var", k+":"+v)
	}
	cmd := exec.Command("npx", args...)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), OfflineEnv...)
	cmd.Env = append(cmd.Env, "WRANGLER_LOG_PATH="+logDir)
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("wranglerdev: %w", err)
	}
	d := &Dev{LogDir: logDir, cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		pw.Close()
		os.RemoveAll(tmp)
	}()
	found := make(chan string, 1)
	go func() {
		defer close(d.done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.log.WriteString(line + "\n")
			d.mu.Unlock()
			if o.Echo != nil {
				fmt.Fprintln(o.Echo, line)
			}
			if m := readyLine.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	wait, cancel := context.WithTimeout(ctx, o.ReadyTimeout)
	defer cancel()
	select {
	case d.URL = <-found:
	case <-d.done:
		return nil, fmt.Errorf("wranglerdev: wrangler exited before it was ready:\n%s", d.Log())
	case <-wait.Done():
		d.Close()
		return nil, fmt.Errorf("wranglerdev: not ready within %v:\n%s", o.ReadyTimeout, d.Log())
	}
	// "Ready on" comes a moment before the first answer: poll until one arrives.
	for {
		req, _ := http.NewRequestWithContext(wait, http.MethodOptions, d.URL+"/v1/token/auth_user", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return d, nil
		}
		select {
		case <-wait.Done():
			d.Close()
			return nil, fmt.Errorf("wranglerdev: no answer within %v: %v\n%s", o.ReadyTimeout, err, d.Log())
		case <-d.done:
			return nil, fmt.Errorf("wranglerdev: wrangler exited:\n%s", d.Log())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// OfflineEnv keeps wrangler from reaching the internet (metrics, update
// checks, the Request.cf lookup).
var OfflineEnv = []string{
	"WRANGLER_SEND_METRICS=false", "WRANGLER_SEND_ERROR_REPORTS=false",
	"CLOUDFLARE_CF_FETCH_ENABLED=false", "WRANGLER_HIDE_BANNER=true",
	"DO_NOT_TRACK=1", "NO_COLOR=1", "CI=1",
}

// Log returns everything wrangler and the Worker printed so far.
func (d *Dev) Log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// Pid is the process group leader's pid (for reading workerd's memory, say).
func (d *Dev) Pid() int { return d.cmd.Process.Pid }

// Close stops wrangler and workerd: SIGTERM to the group, SIGKILL after 10 s.
func (d *Dev) Close() error {
	pgid := d.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
	}
	// workerd may outlive the pipe's writer: make sure the group is gone.
	for i := 0; i < 100 && syscall.Kill(-pgid, 0) == nil; i++ {
		if i == 50 {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if syscall.Kill(-pgid, 0) == nil {
		return errors.New("wranglerdev: process group still alive")
	}
	return nil
}

// RepoRoot walks up from the working directory to the directory with go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("wranglerdev: no go.mod above the working directory")
		}
		dir = parent
	}
}

// WorkerdRSS sums the resident memory (bytes) of the workerd processes in
// d's process group, read from /proc.
func (d *Dev) WorkerdRSS() (int64, error) {
	pgid := d.cmd.Process.Pid
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total int64
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(workerd") {
			continue
		}
		var state string
		var ppid, pgrp int
		if _, err := fmt.Sscan(s[i+1:], &state, &ppid, &pgrp); err != nil || pgrp != pgid {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var n int64
				fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(kb), " kB"), &n)
				total += n * 1024
			}
		}
	}
	if total == 0 {
		return 0, errors.New("wranglerdev: no workerd process found")
	}
	return total, nil
}
