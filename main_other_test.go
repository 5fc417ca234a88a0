//go:build !js || !wasm

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// env is a getenv over m. WEB_DIR defaults to an empty directory, so that
// the page `make web` builds into build/web/ does not change what these
// tests see.
func env(t *testing.T, m map[string]string) func(string) string {
	t.Helper()
	if _, ok := m["WEB_DIR"]; !ok {
		if m == nil {
			m = map[string]string{}
		}
		m["WEB_DIR"] = t.TempDir()
	}
	return func(k string) string { return m[k] }
}

func TestNewServer(t *testing.T) {
	srv, h, addr, err := newServer(env(t, nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8787", addr)
	assert.Equal(t, "https://api.jquants.com/v1/token/auth_user", h.URL())
	assert.IsType(t, &nativeHandler{}, srv.Handler, "no page without a built one")
	assert.Greater(t, srv.WriteTimeout, h.UpstreamTimeout(), "a slow upstream still gets its answer written")

	_, _, addr, err = newServer(env(t, map[string]string{"PORT": "9999", "HOST": "::1"}))
	require.NoError(t, err)
	assert.Equal(t, "[::1]:9999", addr)

	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "http"}, `PORT="http"`},
		{map[string]string{"PORT": "65536"}, `PORT="65536"`},
		{map[string]string{"PORT": "-1"}, `PORT="-1"`},
		{map[string]string{proxy.EnvUpstreamTimeout: "10"}, proxy.EnvUpstreamTimeout},
		{map[string]string{proxy.EnvBaseURL: "http://api.jquants.com"}, "https"},
		{map[string]string{proxy.EnvAllowedOrigins: "*"}, "wildcard"},
	} {
		_, _, _, err = newServer(env(t, tc.env))
		require.ErrorContains(t, err, tc.want)
	}
}

// post sends a request through the server's handler, as the native server
// would hand it, and decodes the JSON answer.
func post(t *testing.T, h http.Handler, target, body string, header ...string) (int, map[string]string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if body == "" {
		r.Body = http.NoBody
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, r)
	var m map[string]string
	require.NoError(t, json.Unmarshal(rr.Body.Bytes(), &m), rr.Body.String())
	return rr.Code, m
}

var demoBody = `{"mailaddress":"` + authtest.DemoMailAddress + `","password":"` + authtest.DemoPassword + `"}`

// TestNativeRateLimit: the native server limits by connection address and
// ignores a CF-Connecting-IP sent by the caller; auth_refresh counts too.
func TestNativeRateLimit(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	srv, _, _, err := newServer(env(t, map[string]string{proxy.EnvBaseURL: fake.URL}))
	require.NoError(t, err)
	var refresh string
	for i := range proxy.DefaultLoginLimit {
		code, m := post(t, srv.Handler, auth.Path, demoBody, "CF-Connecting-IP", "203.0.113."+string(rune('0'+i%10)))
		require.Equal(t, http.StatusOK, code, "login %d: %v", i, m)
		refresh = m["refreshToken"]
	}
	code, m := post(t, srv.Handler, auth.Path, demoBody)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.Equal(t, auth.CodeRateLimited, m["code"])
	code, _ = post(t, srv.Handler, auth.RefreshPath+"?refreshtoken="+refresh, "")
	assert.Equal(t, http.StatusTooManyRequests, code, "auth_refresh shares the limit")
	assert.Equal(t, proxy.DefaultLoginLimit, fake.Count())
	for _, r := range fake.Requests() {
		assert.Empty(t, r.Header.Values("Cf-Connecting-Ip"))
	}

	srv, _, _, err = newServer(env(t, map[string]string{proxy.EnvBaseURL: fake.URL, proxy.EnvLoginRateLimit: "off"}))
	require.NoError(t, err)
	for i := range proxy.DefaultLoginLimit + 1 {
		code, m := post(t, srv.Handler, auth.Path, demoBody)
		require.Equal(t, http.StatusOK, code, "login %d with limiting off: %v", i, m)
	}
	code, m = post(t, srv.Handler, auth.RefreshPath+"?refreshtoken="+refresh, "")
	require.Equal(t, http.StatusOK, code, "%v", m)
	mail, ok := fake.IDTokenIssuedTo(m["idToken"])
	assert.True(t, ok)
	assert.Equal(t, authtest.DemoMailAddress, mail)
}

// TestNativePage: with a built page (WEB_DIR), it is served under its
// _headers, /v1/* and paths without a file go to the proxy.
func TestNativePage(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"_headers":                           "/*\n  X-Test-Rule: on\n/\n  Cache-Control: no-store\n",
		"index.html":                         "<!doctype html><title>login</title>",
		"jquants-auth.0123456789abcdef.wasm": "\x00asm",
		".secret":                            "hidden",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	srv, _, _, err := newServer(env(t, map[string]string{proxy.EnvBaseURL: fake.URL, "WEB_DIR": dir}))
	require.NoError(t, err)
	_, bare := srv.Handler.(*nativeHandler)
	assert.False(t, bare, "the page is in front")

	get := func(target string) *httptest.ResponseRecorder {
		rr := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, target, nil))
		return rr
	}
	rr := get("/")
	assert.Equal(t, http.StatusOK, rr.Code)
	assert.Contains(t, rr.Body.String(), "<title>login</title>")
	assert.Equal(t, "on", rr.Header().Get("X-Test-Rule"))
	assert.Equal(t, "no-store", rr.Header().Get("Cache-Control"))
	rr = get("/jquants-auth.0123456789abcdef.wasm")
	assert.Equal(t, http.StatusOK, rr.Code)
	assert.Equal(t, "application/wasm", rr.Header().Get("Content-Type"))

	// No file: the proxy answers, in JSON.
	for _, target := range []string{"/_headers", "/.secret", "/missing.js"} {
		rr = get(target)
		assert.Equal(t, http.StatusNotFound, rr.Code, target)
		assert.Contains(t, rr.Body.String(), `"code":"not_found"`, target)
	}
	// /v1/* is the proxy's, whatever the page's folder holds.
	rr = get(auth.Path)
	assert.Equal(t, http.StatusMethodNotAllowed, rr.Code)
	assert.Equal(t, proxy.Allow, rr.Header().Get("Allow"))
	code, m := post(t, srv.Handler, auth.Path, demoBody)
	require.Equal(t, http.StatusOK, code, "%v", m)
	assert.True(t, fake.Issued(m["refreshToken"]))
	code, m = post(t, srv.Handler, auth.RefreshPath+"?refreshtoken="+m["refreshToken"], "")
	require.Equal(t, http.StatusOK, code, "%v", m)
	_, ok := fake.IDTokenIssuedTo(m["idToken"])
	assert.True(t, ok)

	// A _headers that cannot be parsed stops the server from starting.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "_headers"), []byte("  Orphan: header\n"), 0o600))
	_, _, _, err = newServer(env(t, map[string]string{"WEB_DIR": dir}))
	require.ErrorContains(t, err, "_headers")
}

// TestNativeAssets: `go run .` with the repository's web/_headers and
// web/.assetsignore and the copies scripts/precompress writes, as `make web`
// leaves them, on a real listener: what `curl -H 'Accept-Encoding: br'`
// sees. The module, named after its content, is kept a year; the page is
// asked for each time; the copies are no files of the site. (How each
// answer is chosen is internal/webassets' own test.)
func TestNativeAssets(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"_headers", ".assetsignore"} {
		b, err := os.ReadFile(filepath.Join("web", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	// A page and a "module" large and repetitive enough to compress, as
	// the real ones do.
	wasm := bytes.Repeat([]byte("\x00asm\x01\x00\x00\x00 a WebAssembly module, or as compressible "), 2000)
	page := []byte("<!doctype html><title>login</title>" + strings.Repeat("<p>the page</p>", 100))
	const module = "/jquants-auth.0123456789abcdef.wasm"
	require.NoError(t, os.WriteFile(filepath.Join(dir, module), wasm, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), page, 0o600))
	out, err := exec.Command("go", "run", "./scripts/precompress", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	br, err := os.ReadFile(filepath.Join(dir, module+".br"))
	require.NoError(t, err)
	require.Less(t, len(br), len(wasm)/10)

	srv, _, _, err := newServer(env(t, map[string]string{"WEB_DIR": dir}))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()
	// No transparent gzip: the test sees the answers as sent.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	get := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, body
	}

	resp, body := get(module, "Accept-Encoding", "br")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "br", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
	assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"))
	assert.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get("Cache-Control"), "its name changes with its content")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.Equal(t, br, body)
	etag := resp.Header.Get("ETag")
	require.Regexp(t, `^W/"[0-9a-f]{32}"$`, etag, "weak: the hash is of the file, not of the brotli bytes")
	resp, body = get(module, "Accept-Encoding", "br", "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get("Cache-Control"))

	resp, _ = get("/", "Accept-Encoding", "gzip, deflate, br, zstd")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "br", resp.Header.Get("Content-Encoding"))
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"), "its URL stays when it changes")

	for _, p := range []string{module + ".br", module + ".gz", "/.assetsignore"} {
		resp, body = get(p)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, p)
		assert.Contains(t, string(body), `"code":"not_found"`, p)
	}
}

func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, run(ctx, env(t, map[string]string{"PORT": "0"}), io.Discard))
	require.Error(t, run(ctx, env(t, map[string]string{"PORT": "x"}), io.Discard))

	// A port in use is an error, not a hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	require.Error(t, run(context.Background(), env(t, map[string]string{"PORT": port}), io.Discard))
}

// TestRunSays: the first lines name both calls forwarded and the upstream
// base, and, with WEB_DIR elsewhere and no page there, the file missing in
// that folder (not build/web/'s). A module not named after its content is
// no built page.
func TestRunSays(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	elsewhere := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "jquants-auth.wasm"), []byte("\x00asm"), 0o600))
	var out strings.Builder
	require.NoError(t, run(ctx, env(t, map[string]string{
		"PORT": "0", proxy.EnvBaseURL: "http://127.0.0.1:18788/", "WEB_DIR": elsewhere,
	}), &out))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 2, out.String())
	assert.Regexp(t, `^jquants-auth: proxy listening on http://127\.0\.0\.1:\d+, `+
		`forwarding /v2/\* \(API keys\), /v1/token/auth_user and /v1/token/auth_refresh to http://127\.0\.0\.1:18788$`, lines[0])
	assert.Equal(t, "jquants-auth: no page: "+filepath.Join(elsewhere, "jquants-auth.*.wasm")+
		" is missing (WEB_DIR="+elsewhere+"; `make web` builds into build/web), so only /v1/* and /v2/* are served", lines[1])

	// With the page there, no such line.
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "jquants-auth.2d3f4a5b6c7d8e9f.wasm"), []byte("\x00asm"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "_headers"), nil, 0o600))
	out.Reset()
	require.NoError(t, run(ctx, env(t, map[string]string{"PORT": "0", "WEB_DIR": elsewhere}), &out))
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), out.String())
	assert.Contains(t, out.String(), "to https://api.jquants.com\n")
}
