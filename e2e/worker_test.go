//go:build !js

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, worker.URL+"/v1/token/auth_user", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "body %q", raw)
	return resp, m
}

func TestWorkerLogsIn(t *testing.T) {
	resp, m := post(t, `{"mailaddress":"`+authtest.DemoMailAddress+`","password":"`+authtest.DemoPassword+`"}`, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	tok, _ := m["refreshToken"].(string)
	assert.True(t, upstream.Handler().Issued(tok), "token %q not issued by the fake", tok)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}
