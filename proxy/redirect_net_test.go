//go:build !js

package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// An upstream redirect is answered, never followed: following it would
// carry the caller's x-api-key to wherever it points. (make mutate found
// this untested: following redirects changed no proxy test.)
func TestV2RedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"data":[]}`)
	}))
	defer target.Close()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/v2/equities/master?code=86970", http.StatusFound)
	}))
	defer upstream.Close()

	for name, tr := range map[string]authhttp.Transport{"default client": {}, "caller's client": {Client: &http.Client{}}} {
		t.Run(name, func(t *testing.T) {
			h, err := proxy.New(proxy.Config{BaseURL: upstream.URL, Log: io.Discard}, tr)
			require.NoError(t, err)
			req := httptest.NewRequest("GET", "/v2/equities/master?code=86970", nil)
			req.Header.Set("x-api-key", "secret-api-key-0123456789")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusBadGateway, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), `"code":"upstream_error"`, "an answer, and not the one we want")
			assert.Zero(t, elsewhere.Load(), "the redirect was followed")
		})
	}
}
