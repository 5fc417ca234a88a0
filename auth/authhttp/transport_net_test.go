//go:build !js

package authhttp_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// TestPostToFakeServer: both shapes against the fake J-Quants: auth_user's
// JSON body, then auth_refresh's nil body, sent as no body, no
// Content-Type and Content-Length: 0.
func TestPostToFakeServer(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	require.NoError(t, err)
	body := creds.RequestBody()

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

	req := auth.AuthRefreshRequest(srv.URL, tok.Value)
	require.Nil(t, req.Body)
	ans, err = authhttp.Transport{}.Post(t.Context(), req.URL, req.Body)
	require.NoError(t, err)
	require.Equal(t, 200, ans.StatusCode, "%s", ans.Body)
	id, err := auth.AuthRefresh.Decode(ans, t0())
	require.NoError(t, err)
	mail, ok := srv.IDTokenIssuedTo(id.Value)
	assert.True(t, ok)
	assert.Equal(t, authtest.DemoMailAddress, mail)

	reqs = srv.Requests()
	require.Len(t, reqs, 2)
	r := reqs[1]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, auth.RefreshPath, r.Path)
	assert.True(t, r.RefreshTokenSent)
	assert.Equal(t, "refreshtoken="+authtest.Redacted, r.Query)
	assert.Zero(t, r.ContentLength)
	assert.Equal(t, []string{"0"}, r.Header.Values("Content-Length"))
	assert.Empty(t, r.Header.Values("Content-Type"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Empty(t, r.TransferEncoding)
	assert.Empty(t, r.Fields)
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

// TestNetErrorsHoldNoURL: a failed round trip's error does not quote the
// URL, which for auth_refresh holds the refresh token.
func TestNetErrorsHoldNoURL(t *testing.T) {
	srv := authtest.NewServer()
	base := srv.URL
	srv.Close()
	const secret = "fake-refresh-token-0123456789abcdef"
	_, err := authhttp.Transport{}.Post(t.Context(), auth.AuthRefreshRequest(base, secret).URL, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, err.Error(), "refreshtoken")
	assert.True(t, strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "connect"), err.Error())
}

// TestPostSwitchingProtocols: a 101 is the answer at once, status alone:
// its "body" is the rest of the connection, which this upstream holds open
// until the test ends. Post asked for no encoding.
func TestPostSwitchingProtocols(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	held := make(chan struct{})
	defer close(held)
	asked := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		asked <- req.Header.Get("Accept-Encoding")
		io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\n\r\n")
		<-held
	}()
	ans, err := authhttp.Transport{}.Post(t.Context(), "http://"+ln.Addr().String()+auth.Path, []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, 101, ans.StatusCode)
	assert.Empty(t, ans.Body)
	assert.Equal(t, "identity", <-asked)
}
