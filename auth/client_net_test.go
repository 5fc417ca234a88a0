//go:build !js

// Client against the fake J-Quants server over loopback: these need a
// listening socket, which GOOS=js does not have.

package auth_test

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// netErrors collects every error the client returned over the network, for
// TestNetErrorsNeverLeak (which runs after the other tests of this file: go
// test runs tests in source order).
var netErrors struct {
	sync.Mutex
	errs   []error
	tokens []string
}

// fakeEnv is a fake server with an account whose password is secretPassword,
// and a client for it with fast retries.
type fakeEnv struct {
	srv    *authtest.Server
	client *auth.Client
	creds  auth.Credentials
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	creds := demoCreds(t)
	srv.AddAccount(creds.MailAddress, creds.Password)
	c := authhttp.NewClient(srv.URL)
	c.BaseBackoff, c.MaxBackoff, c.MaxRetryAfter = time.Millisecond, 2*time.Millisecond, 2*time.Millisecond
	return &fakeEnv{srv: srv, client: c, creds: creds}
}

// login runs AuthUser and records its error and token for the leak scan.
func (env *fakeEnv) login(t *testing.T, ctx context.Context) (auth.RefreshToken, error) {
	t.Helper()
	tok, err := env.client.AuthUser(ctx, env.creds)
	netErrors.Lock()
	defer netErrors.Unlock()
	if err != nil {
		netErrors.errs = append(netErrors.errs, err)
	}
	if tok.Value != "" {
		netErrors.tokens = append(netErrors.tokens, tok.Value)
	}
	assertNoLeak(t, err, tok.Value)
	return tok, err
}

func TestNetSuccess(t *testing.T) {
	env := newFakeEnv(t)
	before := time.Now()
	tok, err := env.login(t, t.Context())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.Value, authtest.TokenPrefix))
	assert.True(t, env.srv.Issued(tok.Value))
	assert.False(t, tok.IssuedAt.Before(before))
	assert.Equal(t, auth.TokenLifetime, tok.ExpiresAt.Sub(tok.IssuedAt))
	assert.Equal(t, 1, env.srv.Count())

	// What went over the wire: a sized JSON POST with exactly the two fields.
	reqs := env.srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	body, err := env.creds.RequestBody()
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, auth.Path, r.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(body)), r.ContentLength)
	assert.Empty(t, r.TransferEncoding)
	assert.Equal(t, []string{"mailaddress", "password"}, r.Fields)
	assert.Equal(t, env.creds.MailAddress, r.MailAddress)

	// Two logins, two different tokens.
	tok2, err := env.login(t, t.Context())
	require.NoError(t, err)
	assert.NotEqual(t, tok.Value, tok2.Value)
}

func TestNetDemoAccount(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	creds, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	require.NoError(t, err)
	tok, err := authhttp.NewClient(srv.URL).AuthUser(t.Context(), creds)
	require.NoError(t, err)
	assert.True(t, srv.Issued(tok.Value))
}

func TestNetAnswers(t *testing.T) {
	tests := []struct {
		name      string
		fault     authtest.Fault
		password  string // when not the account's
		wantKind  error
		wantErr   string
		wantCalls int
		wantRetry time.Duration
	}{
		{
			name: "wrong password", password: "not-the-password", wantKind: auth.ErrInvalidCredentials,
			wantErr: "auth: 400 mail address or password is incorrect: 'mailaddress' or 'password' is incorrect.", wantCalls: 1,
		},
		{
			name: "403", fault: authtest.Fault{Status: 403, Message: authtest.MessageForbidden}, wantKind: auth.ErrForbidden,
			wantErr: "auth: 403 forbidden: Missing Authentication Token", wantCalls: 1,
		},
		{
			name: "404", fault: authtest.Fault{Status: 404, Message: "Not Found"}, wantKind: auth.ErrEndpointGone,
			wantErr: "auth: 404 endpoint does not exist upstream: J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01", wantCalls: 1,
		},
		{
			name: "429", fault: authtest.Fault{Status: 429, Message: "Too Many Requests", Header: http.Header{"Retry-After": {"30"}}},
			wantKind: auth.ErrRateLimited, wantErr: "auth: 429 rate limited: Too Many Requests (retry after 30s)", wantCalls: 1, wantRetry: 30 * time.Second,
		},
		{
			name: "500", fault: authtest.Fault{Status: 500, Message: authtest.MessageUnexpected}, wantKind: auth.ErrUpstreamFailure,
			wantErr: "auth: 500 upstream failure: Unexpected error. Please try again later.", wantCalls: 3,
		},
		{
			name: "502 HTML", fault: authtest.Fault{Status: 502, Body: "<html><h1>502 Bad Gateway</h1></html>"}, wantKind: auth.ErrUnexpectedStatus,
			wantErr: "auth: 502 unexpected status", wantCalls: 3,
		},
		{
			name: "503", fault: authtest.Fault{Status: 503, Message: "Service Unavailable"}, wantKind: auth.ErrUnexpectedStatus,
			wantErr: "auth: 503 unexpected status: Service Unavailable", wantCalls: 3,
		},
		{
			name: "504", fault: authtest.Fault{Status: 504}, wantKind: auth.ErrUnexpectedStatus,
			wantErr: "auth: 504 unexpected status", wantCalls: 3,
		},
		{
			name: "200 HTML", fault: authtest.Fault{Body: "<!DOCTYPE html><html>maintenance</html>"}, wantKind: auth.ErrUnexpectedAnswer,
			wantErr: "auth: 200 unexpected answer: the answer is not a JSON object", wantCalls: 1,
		},
		{
			name: "200 number token", fault: authtest.Fault{Body: `{"refreshToken":42,"password":"` + secretPassword + `"}`, ContentType: "application/json"},
			wantKind: auth.ErrUnexpectedAnswer, wantErr: "auth: 200 unexpected answer: the answer has no refreshToken", wantCalls: 1,
		},
		{
			name: "200 null", fault: authtest.Fault{Body: `null`, ContentType: "application/json"}, wantKind: auth.ErrUnexpectedAnswer,
			wantErr: "auth: 200 unexpected answer: the answer is not a JSON object", wantCalls: 1,
		},
		{
			name: "over 64 KiB", fault: authtest.Fault{Body: `{"refreshToken":"x"}` + strings.Repeat(" ", auth.MaxAnswerBytes)},
			wantKind: auth.ErrUnexpectedAnswer, wantErr: "auth: 200 unexpected answer: answer body is larger than 64 KiB", wantCalls: 1,
		},
		{
			name: "redirect not followed", fault: authtest.Fault{Status: 307, Body: " ", Header: http.Header{"Location": {"http://127.0.0.1:1/steal"}}},
			wantKind: auth.ErrUnexpectedStatus, wantErr: "auth: 307 unexpected status", wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.srv.SetFault(tt.fault)
			if tt.password != "" {
				env.creds.Password = tt.password
			}
			tok, err := env.login(t, t.Context())
			assert.Zero(t, tok)
			e := assertKind(t, err, tt.wantKind)
			assert.EqualError(t, err, tt.wantErr)
			assert.Equal(t, tt.wantRetry, e.RetryAfter)
			assert.Equal(t, tt.wantCalls, env.srv.Count())
		})
	}
}

func TestNetAnswerAtTheLimit(t *testing.T) {
	env := newFakeEnv(t)
	body := `{"refreshToken":"exactly-64-KiB"}`
	body += strings.Repeat(" ", auth.MaxAnswerBytes-len(body))
	require.Len(t, body, 65536)
	env.srv.SetFault(authtest.Fault{Body: body, ContentType: "application/json"})
	tok, err := env.login(t, t.Context())
	require.NoError(t, err)
	assert.Equal(t, "exactly-64-KiB", tok.Value)
}

func TestNetNetworkFailuresRetried(t *testing.T) {
	tests := []struct {
		name  string
		fault authtest.Fault
	}{
		{"dropped connection", authtest.Fault{Drop: true}},
		{"truncated answer", authtest.Fault{Truncate: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.srv.SetFault(tt.fault)
			_, err := env.login(t, t.Context())
			var ne *auth.NetworkError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, auth.CodeNetwork, auth.Code(err))
			assert.Equal(t, 3, env.srv.Count(), "one try and two retries")
		})
	}
}

func TestNetRetryCounts(t *testing.T) {
	tests := []struct {
		name       string
		fault      authtest.Fault
		maxRetries int
		wantCalls  int
		wantToken  bool
	}{
		{name: "500 once, then a token", fault: authtest.Fault{Status: 500, Times: 1}, wantCalls: 2, wantToken: true},
		{name: "drop twice, then a token", fault: authtest.Fault{Drop: true, Times: 2}, wantCalls: 3, wantToken: true},
		{name: "503 three times", fault: authtest.Fault{Status: 503, Times: 3}, wantCalls: 3},
		{name: "MaxRetries negative", fault: authtest.Fault{Status: 500}, maxRetries: -1, wantCalls: 1},
		{name: "MaxRetries negative, dropped", fault: authtest.Fault{Drop: true}, maxRetries: -1, wantCalls: 1},
		{name: "MaxRetries 4", fault: authtest.Fault{Status: 502}, maxRetries: 4, wantCalls: 5},
		{name: "400 never retried", fault: authtest.Fault{Status: 400, Message: authtest.MessageIncorrect}, maxRetries: 5, wantCalls: 1},
		{name: "403 never retried", fault: authtest.Fault{Status: 403}, maxRetries: 5, wantCalls: 1},
		{name: "404 never retried", fault: authtest.Fault{Status: 404}, maxRetries: 5, wantCalls: 1},
		{name: "429 never retried", fault: authtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}}, maxRetries: 5, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.client.MaxRetries = tt.maxRetries
			env.srv.SetFault(tt.fault)
			tok, err := env.login(t, t.Context())
			assert.Equal(t, tt.wantCalls, env.srv.Count())
			if tt.wantToken {
				require.NoError(t, err)
				assert.True(t, env.srv.Issued(tok.Value))
			} else {
				assert.Error(t, err)
			}
		})
	}
}

func TestNetRetryAfter(t *testing.T) {
	t.Run("seconds, capped", func(t *testing.T) {
		env := newFakeEnv(t)
		// The backoff alone would take hours: the retries happen only because
		// Retry-After (1 s) is honoured and capped to MaxRetryAfter (5 ms).
		env.client.BaseBackoff, env.client.MaxBackoff = time.Hour, time.Hour
		env.client.MaxRetryAfter = 5 * time.Millisecond
		env.srv.SetFault(authtest.Fault{Status: 503, Header: http.Header{"Retry-After": {"1"}}})
		start := time.Now()
		_, err := env.login(t, t.Context())
		e := assertKind(t, err, auth.ErrUnexpectedStatus)
		assert.Equal(t, time.Second, e.RetryAfter)
		assert.Equal(t, 3, env.srv.Count())
		assert.GreaterOrEqual(t, time.Since(start), 2*env.client.MaxRetryAfter, "two capped waits")
	})
	t.Run("HTTP date, capped", func(t *testing.T) {
		env := newFakeEnv(t)
		env.client.BaseBackoff, env.client.MaxBackoff = time.Hour, time.Hour
		when := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		env.srv.SetFault(authtest.Fault{Status: 500, Header: http.Header{"Retry-After": {when}}, Times: 2})
		tok, err := env.login(t, t.Context())
		require.NoError(t, err)
		assert.True(t, env.srv.Issued(tok.Value))
		assert.Equal(t, 3, env.srv.Count())
	})
	t.Run("longer than the timeout", func(t *testing.T) {
		env := newFakeEnv(t)
		env.client.MaxRetryAfter = time.Hour
		env.client.Timeout = 200 * time.Millisecond
		env.srv.SetFault(authtest.Fault{Status: 503, Header: http.Header{"Retry-After": {"3600"}}})
		_, err := env.login(t, t.Context())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, auth.CodeTimeout, auth.Code(err))
		// One try (none if the machine is so slow that the deadline passes
		// first), not three: the backoff did not cut the wait short.
		assert.LessOrEqual(t, env.srv.Count(), 1)
	})
}

func TestNetTimeout(t *testing.T) {
	env := newFakeEnv(t)
	env.client.Timeout = 50 * time.Millisecond
	env.srv.SetFault(authtest.Fault{Delay: time.Hour})
	_, err := env.login(t, t.Context())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualError(t, err, "auth: no answer in time: context deadline exceeded")
	assert.Equal(t, auth.CodeTimeout, auth.Code(err))
	assert.LessOrEqual(t, env.srv.Count(), 1, "a timeout is not retried")
}

func TestNetCancel(t *testing.T) {
	env := newFakeEnv(t)
	env.client.Timeout = -1 // only the caller's context bounds the call
	env.srv.SetFault(authtest.Fault{Delay: time.Hour})

	// Cancel once the request is on the wire, while the fake holds it.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(cancel) },
	})
	_, err := env.login(t, ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, strings.HasPrefix(err.Error(), "auth: context canceled (last failure: auth: no answer from upstream: "), err.Error())
	assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	assert.LessOrEqual(t, env.srv.Count(), 1, "a cancelled call is not retried")
}

func TestNetInvalidInputSendsNothing(t *testing.T) {
	env := newFakeEnv(t)
	env.creds.Password = ""
	_, err := env.login(t, t.Context())
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
	assert.Zero(t, env.srv.Count())
}

func TestNetUnreachable(t *testing.T) {
	srv := authtest.NewServer()
	url := srv.URL
	srv.Close()
	env := newFakeEnv(t)
	env.client.BaseURL = url
	_, err := env.login(t, t.Context())
	var ne *auth.NetworkError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, auth.CodeNetwork, auth.Code(err))
}

// TestNetErrorsNeverLeak scans every error the tests above got from the
// client for the password and for every token issued. Keep it last.
func TestNetErrorsNeverLeak(t *testing.T) {
	netErrors.Lock()
	defer netErrors.Unlock()
	if len(netErrors.errs) == 0 {
		t.Skip("no errors collected: run with the other TestNet tests")
	}
	t.Logf("scanned %d errors for the password and %d tokens", len(netErrors.errs), len(netErrors.tokens))
	for _, err := range netErrors.errs {
		assertNoLeak(t, err, netErrors.tokens...)
	}
}
