//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, outW, &stderr)
		outW.Close()
	}()

	// The first line says where it listens.
	lines := bufio.NewScanner(outR)
	require.True(t, lines.Scan())
	url, ok := strings.CutPrefix(lines.Text(), "fake J-Quants listening on ")
	require.True(t, ok, lines.Text())
	require.True(t, lines.Scan())
	assert.Equal(t, "serving POST /v1/token/auth_user and POST /v1/token/auth_refresh?refreshtoken=…", lines.Text())
	require.True(t, lines.Scan())
	assert.Equal(t, "serving GET /v2/… (API V2) with the header x-api-key", lines.Text())
	require.True(t, lines.Scan())
	assert.Equal(t, "demo account: "+authtest.DemoMailAddress+" / "+authtest.DemoPassword, lines.Text())
	for _, want := range []string{
		"demo API key, free plan: " + authtest.DemoKey,
		"demo API key, light plan: " + authtest.DemoKeyLight,
		"demo API key, standard plan: " + authtest.DemoKeyStandard,
		"demo API key, premium plan: " + authtest.DemoKeyPremium,
	} {
		require.True(t, lines.Scan())
		assert.Equal(t, want, lines.Text())
	}
	go io.Copy(io.Discard, outR)

	client := authhttp.NewClient(url)
	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	require.NoError(t, err)
	tok, err := client.AuthUser(t.Context(), creds)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.Value, authtest.TokenPrefix))

	creds, err = auth.NewCredentials(authtest.DemoMailAddress, "wrong-password")
	require.NoError(t, err)
	_, err = client.AuthUser(t.Context(), creds)
	assert.ErrorIs(t, err, auth.ErrInvalidCredentials)

	// The second step: the refresh token buys an ID token; an unknown one does not.
	refresh := func(token string) (int, map[string]string) {
		t.Helper()
		resp, err := http.Post(url+authtest.RefreshPath+"?"+neturl.Values{"refreshtoken": {token}}.Encode(), "", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		var answer map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
		return resp.StatusCode, answer
	}
	status, answer := refresh(tok.Value)
	require.Equal(t, 200, status, answer)
	idToken := answer["idToken"]
	assert.True(t, strings.HasPrefix(idToken, authtest.IDTokenPrefix))
	unknown := authtest.TokenPrefix + "0123456789abcdef"
	status, answer = refresh(unknown)
	assert.Equal(t, 400, status)
	assert.Equal(t, authtest.MessageRefreshIncorrect, answer["message"])

	// V2: the demo key's key check, and answers without a key or with one
	// where it does not belong.
	v2 := func(target, key string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+target, nil)
		require.NoError(t, err)
		if key != "" {
			req.Header.Set(auth.HeaderAPIKey, key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var answer map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
		return resp.StatusCode, answer
	}
	status, page := v2(auth.V2Prefix+auth.KeyCheckPath+"?"+auth.KeyCheckQuery, authtest.DemoKey)
	require.Equal(t, 200, status, page)
	assert.Len(t, page["data"], 1)
	status, page = v2(auth.V2Prefix+auth.KeyCheckPath, "")
	assert.Equal(t, 403, status)
	assert.Equal(t, auth.MessageKeyRequired, page["message"])
	status, _ = v2(auth.V2Prefix+"/"+authtest.DemoKeyPremium+"?x-api-key="+authtest.DemoKeyStandard, authtest.DemoKeyLight)
	assert.Equal(t, 403, status)

	cancel()
	require.NoError(t, <-done, "a cancelled run shuts down cleanly")
	log := stderr.String()
	assert.Contains(t, log, "fakejquants: GET /v2/equities/master 200 ")
	assert.Contains(t, log, "fakejquants: GET /v2/equities/master 403 ")
	assert.Contains(t, log, "fakejquants: GET (other path) 403 ")
	assert.Contains(t, log, "fakejquants: POST /v1/token/auth_user 400 ")
	for _, key := range []string{authtest.DemoKey, authtest.DemoKeyLight, authtest.DemoKeyStandard, authtest.DemoKeyPremium, authtest.KeyPrefix} {
		assert.NotContains(t, log, key, "the log never shows a key")
	}
	assert.Equal(t, 2, strings.Count(log, "fakejquants: POST /v1/token/auth_user "), log)
	assert.NotContains(t, log, authtest.DemoPassword, "the log never shows a password")
	assert.NotContains(t, log, "wrong-password")
	assert.Equal(t, 2, strings.Count(log, "fakejquants: POST /v1/token/auth_refresh "), log)
	assert.NotContains(t, log, tok.Value)
	assert.NotContains(t, log, idToken)
	assert.NotContains(t, log, unknown)
	assert.NotContains(t, log, "refreshtoken", "the log never shows the query")
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		is   error
		text string
	}{
		{"help", []string{"-h"}, flag.ErrHelp, ""},
		{"unknown flag", []string{"-port", "1"}, nil, "flag provided but not defined: -port"},
		{"extra argument", []string{"serve"}, nil, `unexpected arguments: ["serve"]`},
		{"bad address", []string{"-addr", "not an address"}, nil, "listen tcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), tt.args, &stdout, &stderr)
			require.Error(t, err)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
				assert.Contains(t, stderr.String(), "-addr")
			} else {
				assert.Contains(t, err.Error(), tt.text)
			}
			assert.Empty(t, stdout.String())
		})
	}
}

// TestDemoBannerKey keeps scripts/demo.sh's banner in step with the fake:
// the key it prints is the fake's Free demo key.
func TestDemoBannerKey(t *testing.T) {
	script, err := os.ReadFile("../../scripts/demo.sh")
	require.NoError(t, err)
	assert.Contains(t, string(script), "\n  API key      "+authtest.DemoKey+" (Free plan)\n")
}
