//go:build !js

package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

func TestPostToFakeServer(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	require.NoError(t, err)
	body, err := creds.RequestBody()
	require.NoError(t, err)

	// The zero Transport uses http.DefaultClient.
	ans, err := authhttp.Transport{}.Post(t.Context(), srv.URL+auth.Path, body)
	require.NoError(t, err)
	assert.Equal(t, 200, ans.StatusCode)
	assert.Equal(t, "application/json", ans.Header.Get("Content-Type"))
	tok, err := auth.DecodeAnswer(ans, t0())
	require.NoError(t, err)
	assert.True(t, srv.Issued(tok.Value))

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
	assert.Equal(t, int64(len(body)), reqs[0].ContentLength, "sized, not chunked")
	assert.Empty(t, reqs[0].TransferEncoding)
	assert.Equal(t, []string{"mailaddress", "password"}, reqs[0].Fields)
	assert.Equal(t, authtest.DemoMailAddress, reqs[0].MailAddress)
}

func TestNetRedirectNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"refreshToken":"stolen"}`))
	}))
	defer attacker.Close()
	srv := authtest.NewServer()
	defer srv.Close()
	srv.SetFault(authtest.Fault{Status: http.StatusPermanentRedirect, Body: "moved", Header: http.Header{"Location": {attacker.URL + "/collect"}}})

	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	require.NoError(t, err)
	_, err = authhttp.NewClient(srv.URL).AuthUser(t.Context(), creds)
	var e *auth.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusPermanentRedirect, e.StatusCode)
	assert.ErrorIs(t, err, auth.ErrUnexpectedStatus)
	assert.Zero(t, stolen.Load(), "the password went nowhere else")
	assert.Equal(t, 1, srv.Count())
}
