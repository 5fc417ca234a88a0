//go:build !js

package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
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
