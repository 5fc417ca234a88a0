//go:build !js

package webassets

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRuleMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/*", "/", true},
		{"/*", "/app.mjs", true},
		{"/", "/", true},
		{"/", "/app.mjs", false},
		{"/app.mjs", "/app.mjs", true},
		{"/app.mjs", "/app.mjs.br", false},
		{"/dir/*", "/dir/", true},
		{"/dir/*", "/dir", false},
		{"/jquants-auth.*.wasm", "/jquants-auth.0123abcd.wasm", true},
		{"/jquants-auth.*.wasm", "/jquants-auth..wasm", true},
		{"/jquants-auth.*.wasm", "/jquants-auth.wasm", false}, // prefix and suffix would overlap
		{"/jquants-auth.*.wasm", "/jquants-auth.0123abcd.wasm.br", false},
		{"/jquants-auth.*.wasm", "/x/jquants-auth.0123abcd.wasm", false},
		{"/*.wasm", "/a/b.wasm", true}, // a splat crosses "/", as Cloudflare's does
	} {
		assert.Equal(t, tc.want, Rule{Pattern: tc.pattern}.Matches(tc.path), "%s on %s", tc.pattern, tc.path)
	}
}

// TestReadHeadersApply: rules apply in file order; "! Name" removes what an
// earlier rule set, so the later value replaces it instead of joining it.
func TestReadHeadersApply(t *testing.T) {
	name := filepath.Join(t.TempDir(), "_headers")
	require.NoError(t, os.WriteFile(name, []byte(`# comment
/*
  Cache-Control: no-cache
  X-Every: 1

/app.*.wasm
  ! cache-control
  Cache-Control: max-age=60
  X-Every: 2

/app.mjs
  Cache-Control: private
`), 0o600))
	rules, err := ReadHeaders(name)
	require.NoError(t, err)
	require.Len(t, rules, 3)
	assert.Equal(t, []string{"Cache-Control"}, rules[1].Unset)

	for _, tc := range []struct {
		path         string
		cache, every []string
	}{
		{"/", []string{"no-cache"}, []string{"1"}},
		{"/app.0a1b.wasm", []string{"max-age=60"}, []string{"1", "2"}},
		{"/app.mjs", []string{"no-cache", "private"}, []string{"1"}},
	} {
		h := http.Header{"Cache-Control": {"public, max-age=0, must-revalidate"}}
		Apply(rules, tc.path, h)
		assert.Equal(t, tc.cache, h.Values("Cache-Control"), tc.path)
		assert.Equal(t, tc.every, h.Values("X-Every"), tc.path)
	}

	for bad, line := range map[string]string{
		"  Orphan: header\n":            "1",
		"# a comment\n/*\n  no colon\n": "3",
		"/*/*.js\n  X: 1\n":             "1",
		"  ! Orphan\n":                  "1",
	} {
		require.NoError(t, os.WriteFile(name, []byte(bad), 0o600))
		_, err := ReadHeaders(name)
		assert.ErrorContains(t, err, name+":"+line+": ", "%q", bad)
	}
}

// site writes files (name → content) into a new directory, each copy
// (NAME.br, NAME.gz) a second newer than its file unless stale, and serves
// it with New, paths without a file going to a fallback that answers 418.
func site(t *testing.T, files map[string]string, stale ...string) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	then := time.Now().Add(-time.Hour)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		mod := then
		if strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz") {
			mod = then.Add(time.Second)
			if slices.Contains(stale, name) {
				mod = then.Add(-time.Second)
			}
		}
		require.NoError(t, os.Chtimes(p, mod, mod))
	}
	h, err := New(dir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return dir, srv.URL
}

// fetch makes one request to base as a test must see it: no transparent
// gzip and no redirects followed; header is name, value pairs.
func fetch(t *testing.T, base, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Transport{DisableCompression: true, DisableKeepAlives: true}).RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestServe: the ways Workers assets answer, one request each.
func TestServe(t *testing.T) {
	_, base := site(t, map[string]string{
		"_headers":        "/*\n  X-All: 1\n/app.*.wasm\n  ! Cache-Control\n  Cache-Control: immutable\n",
		".assetsignore":   "# copies\n*.br\n*.gz\n/secret.txt\n",
		"index.html":      "<p>page",
		"index.html.br":   "BR(page)",
		"index.html.gz":   "GZ(page)",
		"app.0a1b.wasm":   "\x00asm",
		"app.mjs":         "export {}",
		"app.mjs.br":      "BR(app, stale)",
		"app.mjs.gz":      "GZ(app)",
		"types.d.mts":     "export {};",
		"data.bin":        "\x01\x02",
		"photo.png":       "\x89PNG",
		"secret.txt":      "hidden by .assetsignore",
		"docs/index.html": "<p>docs",
		"_redirects":      "hidden: starts with _",
		".env":            "hidden: starts with .",
	}, "app.mjs.br")

	for _, tc := range []struct {
		name, method, path, acceptEncoding string
		status                             int
		body, encoding, ctype, cache, vary string
	}{
		{"page, brotli first", "GET", "/", "gzip, deflate, br", 200, "BR(page)", "br", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"page, gzip", "GET", "/", "gzip", 200, "GZ(page)", "gzip", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"page, br refused", "GET", "/", "br;q=0, gzip;q=0.5", 200, "GZ(page)", "gzip", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"page, anything", "GET", "/", "*", 200, "BR(page)", "br", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"page, a q-value that is no number counts as 1", "GET", "/", "br;q=high", 200, "BR(page)", "br", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"page, identity", "GET", "/", "", 200, "<p>page", "", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"a stale copy is not sent", "GET", "/app.mjs", "br", 200, "export {}", "", "text/javascript; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"the other copy is", "GET", "/app.mjs", "gzip, br", 200, "GZ(app)", "gzip", "text/javascript; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"no copy: no Vary", "GET", "/app.0a1b.wasm", "br", 200, "\x00asm", "", "application/wasm", "immutable", ""},
		{"HEAD: headers alone", "HEAD", "/", "br", 200, "", "br", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", "Accept-Encoding"},
		{"types as text", "GET", "/types.d.mts", "", 200, "export {};", "", "text/plain; charset=utf-8", "public, max-age=0, must-revalidate", ""},
		{"a type Go knows", "GET", "/photo.png", "", 200, "\x89PNG", "", "image/png", "public, max-age=0, must-revalidate", ""},
		{"a type no one knows", "GET", "/data.bin", "", 200, "\x01\x02", "", "application/octet-stream", "public, max-age=0, must-revalidate", ""},
		{"a folder's page", "GET", "/docs/", "", 200, "<p>docs", "", "text/html; charset=utf-8", "public, max-age=0, must-revalidate", ""},
		{"copies are no files", "GET", "/index.html.br", "", 418, "", "", "", "", ""},
		{"ignored by path", "GET", "/secret.txt", "", 418, "", "", "", "", ""},
		{"_ files are hidden", "GET", "/_headers", "", 418, "", "", "", "", ""},
		{"_ files are hidden (2)", "GET", "/_redirects", "", 418, "", "", "", "", ""},
		{". files are hidden", "GET", "/.env", "", 418, "", "", "", "", ""},
		{"no file", "GET", "/missing.js", "", 418, "", "", "", "", ""},
		{"no file in a folder", "GET", "/docs/missing", "", 418, "", "", "", "", ""},
		{"other methods", "POST", "/app.mjs", "", 405, "", "", "", "", ""},
		{"other methods (2)", "DELETE", "/", "", 405, "", "", "", "", ""},
	} {
		resp, body := fetch(t, base, tc.method, tc.path, "Accept-Encoding", tc.acceptEncoding)
		assert.Equal(t, tc.status, resp.StatusCode, tc.name)
		if tc.status == 418 {
			continue
		}
		assert.Equal(t, "1", resp.Header.Get("X-All"), tc.name)
		if tc.status != 200 {
			continue
		}
		assert.Equal(t, tc.body, body, tc.name)
		assert.Equal(t, tc.encoding, resp.Header.Get("Content-Encoding"), tc.name)
		assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"), tc.name)
		assert.Equal(t, tc.cache, resp.Header.Get("Cache-Control"), tc.name)
		assert.Equal(t, tc.vary, resp.Header.Get("Vary"), tc.name)
		assert.Empty(t, resp.Header.Get("Last-Modified"), tc.name)
	}
}

// TestServeRedirects: one URL per page, the query kept, as Workers assets'
// auto-trailing-slash does.
func TestServeRedirects(t *testing.T) {
	_, base := site(t, map[string]string{"_headers": "/*\n  X-All: 1\n", "index.html": "<p>", "docs/index.html": "<p>"})
	for path, want := range map[string]string{
		"/index.html":         "/",
		"/index.html?lang=ja": "/?lang=ja",
		"/docs/index.html":    "/docs/",
		"/docs":               "/docs/",
		"/docs?x=1":           "/docs/?x=1",
	} {
		resp, _ := fetch(t, base, http.MethodGet, path)
		assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode, path)
		assert.Equal(t, want, resp.Header.Get("Location"), path)
		assert.Equal(t, "1", resp.Header.Get("X-All"), path)
	}
}

// TestServeETag: a strong ETag of the content (weak on a copy, which the
// strong one still matches), 304 for it, and a new one once the file
// changes, whose stale copies are then not sent.
func TestServeETag(t *testing.T) {
	dir, base := site(t, map[string]string{"_headers": "", "index.html": "<p>one", "index.html.br": "BR(one)"})
	get := func(header ...string) *http.Response {
		t.Helper()
		resp, _ := fetch(t, base, http.MethodGet, "/", header...)
		return resp
	}
	sum := sha256.Sum256([]byte("<p>one"))
	strong := `"` + hex.EncodeToString(sum[:16]) + `"`
	assert.Equal(t, strong, get().Header.Get("ETag"))
	assert.Equal(t, "W/"+strong, get("Accept-Encoding", "br").Header.Get("ETag"))
	for _, tag := range []string{strong, "W/" + strong} {
		assert.Equal(t, http.StatusNotModified, get("If-None-Match", tag).StatusCode, tag)
		assert.Equal(t, http.StatusNotModified, get("Accept-Encoding", "br", "If-None-Match", tag).StatusCode, tag)
	}
	assert.Equal(t, http.StatusOK, get("If-None-Match", `"0123"`).StatusCode)

	// Edited since the build: the same size, a later time.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>two"), 0o600))
	require.NoError(t, os.Chtimes(filepath.Join(dir, "index.html"), later, later))
	resp := get("Accept-Encoding", "br", "If-None-Match", strong)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "the stale copy is not sent")
	sum = sha256.Sum256([]byte("<p>two"))
	assert.Equal(t, `"`+hex.EncodeToString(sum[:16])+`"`, resp.Header.Get("ETag"))

	// Rewritten with its time kept (as an archive's extraction does), at
	// another size: a new ETag still.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>three"), 0o600))
	require.NoError(t, os.Chtimes(filepath.Join(dir, "index.html"), later, later))
	sum = sha256.Sum256([]byte("<p>three"))
	assert.Equal(t, `"`+hex.EncodeToString(sum[:16])+`"`, get().Header.Get("ETag"))
}

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		headers, ignore, want string
	}{
		{"  Orphan: header\n", "", "_headers:1: cannot parse"},
		{"", "# copies\n!keep.txt\n", ".assetsignore:2: unsupported pattern \"!keep.txt\""},
		{"", "dir/file\n", ".assetsignore:1: unsupported pattern"},
		{"", "*.br\n\n[\n", ".assetsignore:3: unsupported pattern \"[\""},
	} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "_headers"), []byte(tc.headers), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".assetsignore"), []byte(tc.ignore), 0o600))
		_, err := New(dir, nil)
		assert.ErrorContains(t, err, filepath.Join(dir, tc.want))
	}
	// No _headers at all is an error too: the page's CSP lives there.
	_, err := New(t.TempDir(), nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
