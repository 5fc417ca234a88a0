package auth_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// The Client does I/O, so its tests run against the fake server over
// loopback (client_net_test.go, natively); the decisions it makes are the
// Exchange's (exchange_test.go, everywhere). These are the few checks that
// need no network.

func demoCreds(t *testing.T) auth.Credentials {
	t.Helper()
	c, err := auth.NewCredentials("user@example.com", secretPassword)
	require.NoError(t, err)
	return c
}

// assertNoLeak fails if err's text shows the password or any of secrets.
func assertNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append([]string{secretPassword}, secrets...) {
		if s == "" {
			continue
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%v|%+v|%#v|%q|%s", err, err, err, err, err)} {
			assert.NotContains(t, text, s, "error leaks a secret")
		}
	}
}

func TestClientDefaults(t *testing.T) {
	assert.Equal(t, 10*time.Second, auth.DefaultTimeout)
	assert.Equal(t, 2, auth.DefaultMaxRetries)
	assert.Equal(t, 200*time.Millisecond, auth.DefaultBaseBackoff)
	assert.Equal(t, 2*time.Second, auth.DefaultMaxBackoff)
	assert.Equal(t, 5*time.Second, auth.DefaultMaxRetryAfter)
}

// TestClientChecksBeforeSending: input is checked before the Transport is
// even looked at, so a nil Transport shows that nothing was sent.
func TestClientChecksBeforeSending(t *testing.T) {
	c := &auth.Client{}
	bad := demoCreds(t)
	bad.MailAddress = " a@b"
	tests := []struct {
		name    string
		call    func() (auth.Token, error)
		wantErr string
	}{
		{"bad mail", func() (auth.Token, error) { return c.AuthUser(t.Context(), bad) }, msgMailSpace},
		{"zero credentials", func() (auth.Token, error) { return c.AuthUser(t.Context(), auth.Credentials{}) }, msgMailRequired},
		{"empty refresh token", func() (auth.Token, error) { return c.AuthRefresh(t.Context(), "") }, "refreshtoken is required"},
		{"refresh token with a space", func() (auth.Token, error) { return c.AuthRefresh(t.Context(), "secret token") }, "refreshtoken must be visible ASCII characters only"},
		{"refresh token too long", func() (auth.Token, error) {
			return c.AuthRefresh(t.Context(), strings.Repeat("s", auth.MaxRefreshTokenBytes+1))
		}, "refreshtoken is longer than 3072 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.call()
			assert.Zero(t, tok)
			assert.EqualError(t, err, tt.wantErr)
			assert.ErrorIs(t, err, auth.ErrInvalidInput)
			assert.Equal(t, auth.CodeInvalidInput, auth.Code(err))
		})
	}
}

func TestClientWithoutTransport(t *testing.T) {
	c := &auth.Client{}
	for name, call := range map[string]func() (auth.Token, error){
		"AuthUser":    func() (auth.Token, error) { return c.AuthUser(t.Context(), demoCreds(t)) },
		"AuthRefresh": func() (auth.Token, error) { return c.AuthRefresh(t.Context(), "tok") },
		"Run":         func() (auth.Token, error) { return c.Run(t.Context(), &auth.Exchange{}) },
	} {
		tok, err := call()
		assert.Zero(t, tok, name)
		assert.EqualError(t, err, "auth: Client.Transport is nil", name)
		assert.NotErrorIs(t, err, auth.ErrInvalidInput, name)
	}
}

func TestNetworkError(t *testing.T) {
	inner := errors.New("dial tcp: connection refused")
	err := &auth.NetworkError{Err: inner}
	assert.Equal(t, "auth: no answer from upstream: dial tcp: connection refused", err.Error())
	assert.Same(t, inner, errors.Unwrap(err))
	assert.ErrorIs(t, fmt.Errorf("x: %w", err), inner)
	assert.Equal(t, auth.CodeNetwork, auth.Code(err))
}

func TestErrorByHand(t *testing.T) {
	tests := []struct {
		name string
		err  *auth.Error
		want string
	}{
		{"zero", &auth.Error{}, "auth: 0 unexpected status"},
		{"status", &auth.Error{StatusCode: 418}, "auth: 418 unexpected status"},
		{"message", &auth.Error{StatusCode: 418, Message: "teapot"}, "auth: 418 unexpected status: teapot"},
		{"retry", &auth.Error{StatusCode: 503, RetryAfter: 1500 * time.Millisecond}, "auth: 503 unexpected status (retry after 1.5s)"},
		{"all", &auth.Error{StatusCode: 503, Message: "busy", Code: "upstream_error", RetryAfter: time.Minute}, "auth: 503 unexpected status: busy (retry after 1m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assertKind(t, tt.err, auth.ErrUnexpectedStatus)
		})
	}
}
