//go:build !js

package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth/authhttp"
)

// TestCategory: the native edge's errors map to the core's categories,
// never to their own text.
func TestCategory(t *testing.T) {
	op := func(err error) error {
		return &url.Error{Op: "Post", URL: "http://x/v1/token/auth_refresh?refreshtoken=secret", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{op(os.NewSyscallError("connect", syscall.ECONNREFUSED)), DetailRefused},
		{op(os.NewSyscallError("read", syscall.ECONNRESET)), DetailReset},
		{fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF), DetailClosed},
		{io.EOF, DetailClosed},
		{op(&net.DNSError{Err: "no such host", Name: "api.jquants.com"}), DetailDNS},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, DetailTLS},
		{errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP status code "/v1/token/auth_refresh?refreshtoken=secret"`), DetailMalformed},
		{errors.New(`net/http: HTTP/1.x transport connection broken: bad Content-Length "{\"password\":\"secret\"}"`), DetailMalformed},
		{errors.New("something else"), DetailOther},
	} {
		assert.Equal(t, c.want, category(c.err), "%v", c.err)
	}
}

// TestV2Refused: a V2 call to a port nobody listens on is 502
// upstream_unreachable, "connection refused", not a timeout.
func TestV2Refused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	ln.Close()
	var log strings.Builder
	h, err := New(Config{BaseURL: base, Log: &log}, authhttp.Transport{})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodGet, "/v2/equities/master?code=86970", nil)
	r.Header.Set("x-api-key", "k-0123456789")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, 502, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), CodeUpstreamUnreachable)
	assert.Contains(t, log.String(), `detail="connection refused"`)
}

// TestNoConnectionReused: with an authhttp.Transport of no client of its
// own, as with main's, every login gets a connection of its own, so an
// extra answer an upstream sends late on one reaches nobody.
func TestNoConnectionReused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"refreshToken":"tok"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h, err := New(Config{BaseURL: srv.URL, Log: io.Discard}, authhttp.Transport{})
	require.NoError(t, err)
	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/v1/token/auth_user", strings.NewReader(`{"mailaddress":"a@example.com","password":"pw"}`))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, 200, w.Code, w.Body.String())
	}
	assert.Equal(t, int32(3), conns.Load())
}
