//go:build !js

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAssetsServedAlike: build/web/ as Workers assets serve it (wrangler
// dev) and as internal/webassets serves it (`go run .`, here on
// otherOrigin): the same Content-Type and Cache-Control (a year for the
// module, whose name is its content's hash; asking each time for the
// rest), brotli when asked for, 304 for a request carrying the ETag,
// /index.html redirected to /, 405 for a POST, and the precompressed copies
// no files of the site.
func TestAssetsServedAlike(t *testing.T) {
	servePageWeb(t)
	module := builtModule(t)
	noRedirect := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	do := func(method, url string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		return resp, body
	}
	types := map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/app.mjs":          "text/javascript; charset=utf-8",
		"/jquants-auth.mjs": "text/javascript; charset=utf-8",
		"/wasm_exec.js":     "text/javascript; charset=utf-8",
		"/style.css":        "text/css; charset=utf-8",
		module:              "application/wasm",
	}
	for name, base := range map[string]string{"wrangler dev": worker.URL, "webassets": otherOrigin} {
		for path, ctype := range types {
			where := name + " " + path
			r, _ := do(http.MethodGet, base+path, "Accept-Encoding", "br")
			require.Equal(t, http.StatusOK, r.StatusCode, where)
			assert.Equal(t, ctype, r.Header.Get("Content-Type"), where)
			assert.Equal(t, "br", r.Header.Get("Content-Encoding"), where)
			cache := "no-cache"
			if path == module {
				cache = "public, max-age=31536000, immutable"
			}
			assert.Equal(t, cache, r.Header.Get("Cache-Control"), where)
			etag := r.Header.Get("ETag")
			require.NotEmpty(t, etag, where)
			r, _ = do(http.MethodGet, base+path, "Accept-Encoding", "br", "If-None-Match", etag)
			assert.Equal(t, http.StatusNotModified, r.StatusCode, where+" with its ETag")
		}
		// The module's name is the hash of what is served under it, and
		// the page and jquants-auth.mjs name it.
		_, wasm := do(http.MethodGet, base+module)
		sum := sha256.Sum256(wasm)
		assert.Equal(t, "/jquants-auth."+hex.EncodeToString(sum[:8])+".wasm", module, name)
		for _, path := range []string{"/", "/jquants-auth.mjs"} {
			_, body := do(http.MethodGet, base+path)
			assert.Equal(t, 1, strings.Count(string(body), strings.TrimPrefix(module, "/")), name+" "+path)
		}
		r, _ := do(http.MethodGet, base+"/index.html")
		assert.Equal(t, http.StatusTemporaryRedirect, r.StatusCode, name)
		assert.Equal(t, "/", r.Header.Get("Location"), name)
		r, _ = do(http.MethodPost, base+"/app.mjs")
		assert.Equal(t, http.StatusMethodNotAllowed, r.StatusCode, name)
		for _, path := range []string{module + ".br", module + ".gz", "/jquants-auth.wasm", "/app.mjs.br", "/.assetsignore", "/_headers"} {
			r, _ := do(http.MethodGet, base+path)
			assert.Equal(t, http.StatusNotFound, r.StatusCode, name+" "+path)
			assert.False(t, strings.HasPrefix(r.Header.Get("Content-Type"), "application/wasm"), name+" "+path)
		}
	}
}
