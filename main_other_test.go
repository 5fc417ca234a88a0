//go:build !js || !wasm

package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewServer(t *testing.T) {
	_, h, addr, err := newServer(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8787", addr)
	assert.Equal(t, "https://api.jquants.com/v1/token/auth_user", h.URL())

	_, _, addr, err = newServer(env(map[string]string{"PORT": "9999", "HOST": "::1"}))
	require.NoError(t, err)
	assert.Equal(t, "[::1]:9999", addr)

	_, _, _, err = newServer(env(map[string]string{"PORT": "http"}))
	require.ErrorContains(t, err, `PORT="http"`)
	_, _, _, err = newServer(env(map[string]string{proxy.EnvUpstreamTimeout: "10"}))
	require.ErrorContains(t, err, proxy.EnvUpstreamTimeout)
	_, _, _, err = newServer(env(map[string]string{proxy.EnvBaseURL: "http://api.jquants.com"}))
	require.ErrorContains(t, err, "https")
}

// TestNativeRateLimit: the native server limits by connection address and
// ignores a CF-Connecting-IP sent by the caller.
func TestNativeRateLimit(t *testing.T) {
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	srv, _, _, err := newServer(env(map[string]string{proxy.EnvBaseURL: fake.URL}))
	require.NoError(t, err)
	post := func(i int) int {
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(
			`{"mailaddress":"`+authtest.DemoMailAddress+`","password":"`+authtest.DemoPassword+`"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("CF-Connecting-IP", "203.0.113."+string(rune('0'+i%10)))
		rr := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rr, r)
		return rr.Code
	}
	for i := range proxy.DefaultLoginLimit {
		require.Equal(t, http.StatusOK, post(i), "login %d", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, post(proxy.DefaultLoginLimit))
	assert.Equal(t, proxy.DefaultLoginLimit, fake.Count())

	srv, _, _, err = newServer(env(map[string]string{proxy.EnvBaseURL: fake.URL, proxy.EnvLoginRateLimit: "off"}))
	require.NoError(t, err)
	for i := range proxy.DefaultLoginLimit + 1 {
		require.Equal(t, http.StatusOK, post(i), "login %d with limiting off", i)
	}
}

func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, run(ctx, env(map[string]string{"PORT": "0"})))
	require.Error(t, run(ctx, env(map[string]string{"PORT": "x"})))
}
