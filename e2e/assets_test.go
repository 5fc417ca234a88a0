//go:build !js

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAssetsServedAlike: web/ as Workers assets serve it (wrangler dev) and
// as internal/webassets serves it (`go run .`, here on otherOrigin): the
// same Content-Type and Cache-Control, brotli when asked for, 304 for a
// request carrying the ETag, /index.html redirected to /, 405 for a POST,
// and the precompressed copies no files of the site.
func TestAssetsServedAlike(t *testing.T) {
	servePageWeb(t)
	noRedirect := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	do := func(method, url string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noRedirect.Do(req)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	types := map[string]string{
		"/":                  "text/html; charset=utf-8",
		"/app.mjs":           "text/javascript; charset=utf-8",
		"/jquants-auth.mjs":  "text/javascript; charset=utf-8",
		"/wasm_exec.js":      "text/javascript; charset=utf-8",
		"/style.css":         "text/css; charset=utf-8",
		"/jquants-auth.wasm": "application/wasm",
	}
	for name, base := range map[string]string{"wrangler dev": worker.URL, "webassets": otherOrigin} {
		for path, ctype := range types {
			where := name + " " + path
			r := do(http.MethodGet, base+path, "Accept-Encoding", "br")
			require.Equal(t, http.StatusOK, r.StatusCode, where)
			assert.Equal(t, ctype, r.Header.Get("Content-Type"), where)
			assert.Equal(t, "br", r.Header.Get("Content-Encoding"), where)
			assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"), where)
			etag := r.Header.Get("ETag")
			require.NotEmpty(t, etag, where)
			r = do(http.MethodGet, base+path, "Accept-Encoding", "br", "If-None-Match", etag)
			assert.Equal(t, http.StatusNotModified, r.StatusCode, where+" with its ETag")
		}
		r := do(http.MethodGet, base+"/index.html")
		assert.Equal(t, http.StatusTemporaryRedirect, r.StatusCode, name)
		assert.Equal(t, "/", r.Header.Get("Location"), name)
		r = do(http.MethodPost, base+"/app.mjs")
		assert.Equal(t, http.StatusMethodNotAllowed, r.StatusCode, name)
		for _, path := range []string{"/jquants-auth.wasm.br", "/jquants-auth.wasm.gz", "/app.mjs.br", "/.assetsignore", "/_headers"} {
			r := do(http.MethodGet, base+path)
			assert.Equal(t, http.StatusNotFound, r.StatusCode, name+" "+path)
			assert.False(t, strings.HasPrefix(r.Header.Get("Content-Type"), "application/wasm"), name+" "+path)
		}
	}
}
