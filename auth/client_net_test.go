//go:build !js

// The Client against the fake J-Quants server over loopback: these need a
// listening socket, which GOOS=js does not have.

package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
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

// netErrors collects every error the client returned over the network and
// every token it got, for TestNetErrorsNeverLeak.
var netErrors struct {
	sync.Mutex
	errs   []error
	tokens []string
}

func collect(t *testing.T, tok auth.Token, err error, secrets ...string) {
	t.Helper()
	netErrors.Lock()
	defer netErrors.Unlock()
	if err != nil {
		netErrors.errs = append(netErrors.errs, err)
	}
	if tok.Value != "" {
		netErrors.tokens = append(netErrors.tokens, tok.Value)
	}
	netErrors.tokens = append(netErrors.tokens, secrets...)
	assertNoLeak(t, err, append(secrets, tok.Value)...)
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
	srv.AddAccount(creds.MailAddress, creds.Password())
	c := authhttp.NewClient(srv.URL)
	c.BaseBackoff, c.MaxBackoff, c.MaxRetryAfter = time.Millisecond, 2*time.Millisecond, 2*time.Millisecond
	return &fakeEnv{srv: srv, client: c, creds: creds}
}

// login runs AuthUser and records its error and token for the leak scan.
func (env *fakeEnv) login(t *testing.T, ctx context.Context) (auth.RefreshToken, error) {
	t.Helper()
	tok, err := env.client.AuthUser(ctx, env.creds)
	collect(t, tok, err)
	return tok, err
}

// refresh runs AuthRefresh and records its error and tokens for the leak scan.
func (env *fakeEnv) refresh(t *testing.T, ctx context.Context, refreshToken string) (auth.IDToken, error) {
	t.Helper()
	tok, err := env.client.AuthRefresh(ctx, refreshToken)
	collect(t, tok, err, refreshToken)
	return tok, err
}

// loginFor returns a refresh token the fake issued for env's account.
func (env *fakeEnv) loginFor(t *testing.T) string {
	t.Helper()
	tok, err := env.login(t, t.Context())
	require.NoError(t, err)
	return tok.Value
}

func withPassword(c auth.Credentials, password string) auth.Credentials {
	c, _ = auth.NewCredentials(c.MailAddress, password)
	return c
}

func TestNetAuthUser(t *testing.T) {
	env := newFakeEnv(t)
	before := time.Now()
	tok, err := env.login(t, t.Context())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(tok.Value, authtest.TokenPrefix))
	mail, ok := env.srv.IssuedTo(tok.Value)
	assert.True(t, ok)
	assert.Equal(t, env.creds.MailAddress, mail)
	assert.False(t, tok.IssuedAt.Before(before))
	assert.Equal(t, auth.TokenLifetime, tok.ExpiresAt.Sub(tok.IssuedAt))
	assert.Equal(t, 1, env.srv.Count())

	// What went over the wire: a sized JSON POST with exactly the two fields.
	reqs := env.srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, auth.Path, r.Path)
	assert.Empty(t, r.Query)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, int64(len(env.creds.RequestBody())), r.ContentLength)
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
	c := authhttp.NewClient(srv.URL)
	tok, err := c.AuthUser(t.Context(), creds)
	require.NoError(t, err)
	mail, ok := srv.IssuedTo(tok.Value)
	assert.True(t, ok)
	assert.Equal(t, authtest.DemoMailAddress, mail)
	id, err := c.AuthRefresh(t.Context(), tok.Value)
	require.NoError(t, err)
	mail, ok = srv.IDTokenIssuedTo(id.Value)
	assert.True(t, ok)
	assert.Equal(t, authtest.DemoMailAddress, mail)
}

// TestNetAuthRefresh: the second step, refresh token → ID token, and what
// went over the wire: a POST with the token in the query, no body and no
// Content-Type.
func TestNetAuthRefresh(t *testing.T) {
	env := newFakeEnv(t)
	other := "other@example.com"
	env.srv.AddAccount(other, "other-password")
	refresh := env.loginFor(t)
	otherTok, err := env.client.AuthUser(t.Context(), withPassword(auth.Credentials{MailAddress: other}, "other-password"))
	require.NoError(t, err)

	before := time.Now()
	id, err := env.refresh(t, t.Context(), refresh)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(id.Value, authtest.IDTokenPrefix), id.Value)
	mail, ok := env.srv.IDTokenIssuedTo(id.Value)
	assert.True(t, ok)
	assert.Equal(t, env.creds.MailAddress, mail, "the ID token is for the refresh token's account")
	assert.False(t, id.IssuedAt.Before(before))
	assert.Equal(t, 24*time.Hour, id.ExpiresAt.Sub(id.IssuedAt))
	assert.Equal(t, auth.IDTokenLifetime, id.ExpiresAt.Sub(id.IssuedAt))
	assert.False(t, env.srv.Issued(id.Value), "an ID token is not a refresh token")

	reqs := env.srv.Requests()
	r := reqs[len(reqs)-1]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, auth.RefreshPath, r.Path)
	assert.Equal(t, "refreshtoken="+authtest.Redacted, r.Query)
	assert.True(t, r.RefreshTokenSent)
	assert.Zero(t, r.ContentLength)
	assert.Equal(t, []string{"0"}, r.Header.Values("Content-Length"), "Content-Length: 0")
	assert.Empty(t, r.Header.Values("Content-Type"), "no body, no Content-Type")
	assert.Empty(t, r.TransferEncoding)
	assert.Empty(t, r.Fields)

	// The same refresh token again: another ID token, same account. The
	// other account's refresh token: that account.
	id2, err := env.refresh(t, t.Context(), refresh)
	require.NoError(t, err)
	assert.NotEqual(t, id.Value, id2.Value)
	id3, err := env.refresh(t, t.Context(), otherTok.Value)
	require.NoError(t, err)
	mail, _ = env.srv.IDTokenIssuedTo(id3.Value)
	assert.Equal(t, other, mail)
}

// TestNetAuthRefreshRejected: every way auth_refresh fails, each error
// scanned for the refresh token.
func TestNetAuthRefreshRejected(t *testing.T) {
	tests := []struct {
		name      string
		token     func(t *testing.T, env *fakeEnv) string
		fault     authtest.Fault
		wantKind  error
		wantCode  string
		wantErr   string
		wantCalls int
	}{
		{
			name: "unknown token", token: func(*testing.T, *fakeEnv) string { return authtest.TokenPrefix + strings.Repeat("0", 48) },
			wantKind: auth.ErrInvalidCredentials, wantCode: auth.CodeInvalidCredentials,
			wantErr: "auth: 400 credentials are incorrect: " + authtest.MessageRefreshIncorrect, wantCalls: 1,
		},
		{
			name: "ID token instead", token: func(t *testing.T, env *fakeEnv) string {
				id, err := env.client.AuthRefresh(context.Background(), env.loginFor(t))
				require.NoError(t, err)
				return id.Value
			},
			wantKind: auth.ErrInvalidCredentials, wantCode: auth.CodeInvalidCredentials,
			wantErr: "auth: 400 credentials are incorrect: " + authtest.MessageRefreshIncorrect, wantCalls: 1,
		},
		{
			name: "expired: a week after it was issued", token: func(t *testing.T, env *fakeEnv) string {
				issued := time.Now()
				env.srv.SetClock(func() time.Time { return issued })
				tok := env.loginFor(t)
				env.srv.SetClock(func() time.Time { return issued.Add(auth.TokenLifetime) })
				return tok
			},
			wantKind: auth.ErrInvalidCredentials, wantCode: auth.CodeInvalidCredentials,
			wantErr: "auth: 400 credentials are incorrect: " + authtest.MessageRefreshIncorrect, wantCalls: 1,
		},
		{
			name: "forgotten by the server", token: func(t *testing.T, env *fakeEnv) string {
				tok := env.loginFor(t)
				env.srv.Reset()
				return tok
			},
			wantKind: auth.ErrInvalidCredentials, wantCode: auth.CodeInvalidCredentials,
			wantErr: "auth: 400 credentials are incorrect: " + authtest.MessageRefreshIncorrect, wantCalls: 1,
		},
		{
			name: "403", fault: authtest.Fault{Path: auth.RefreshPath, Status: 403, Message: authtest.MessageForbidden},
			wantKind: auth.ErrForbidden, wantCode: auth.CodeForbidden, wantErr: "auth: 403 forbidden: Missing Authentication Token", wantCalls: 1,
		},
		{
			name: "404", fault: authtest.Fault{Path: auth.RefreshPath, Status: 404, Message: "Not Found"},
			wantKind: auth.ErrEndpointGone, wantCode: auth.CodeEndpointGone,
			wantErr: "auth: 404 endpoint does not exist upstream: J-Quants retired its V1 API, /v1/token/auth_refresh included, on 2026-06-01", wantCalls: 1,
		},
		{
			name: "500, retried", fault: authtest.Fault{Path: auth.RefreshPath, Status: 500, Message: authtest.MessageUnexpected},
			wantKind: auth.ErrUpstreamFailure, wantCode: auth.CodeUpstreamError,
			wantErr: "auth: 500 upstream failure: Unexpected error. Please try again later.", wantCalls: 3,
		},
		{
			name: "200 without an ID token", fault: authtest.Fault{Path: auth.RefreshPath, Body: `{"refreshToken":"x"}`, ContentType: "application/json"},
			wantKind: auth.ErrUnexpectedAnswer, wantCode: auth.CodeUpstreamError,
			wantErr: "auth: 200 unexpected answer: the answer has no idToken", wantCalls: 1,
		},
		{
			name: "truncated, retried", fault: authtest.Fault{Path: auth.RefreshPath, Truncate: true},
			wantCode: auth.CodeNetwork, wantCalls: 3,
		},
		{
			name: "dropped, retried", fault: authtest.Fault{Path: auth.RefreshPath, Drop: true},
			wantCode: auth.CodeNetwork, wantCalls: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			var tok string
			if tt.token != nil {
				tok = tt.token(t, env)
			} else {
				tok = env.loginFor(t)
			}
			env.srv.SetFault(tt.fault)
			before := env.srv.Count()
			id, err := env.refresh(t, t.Context(), tok)
			assert.Zero(t, id)
			require.Error(t, err)
			if tt.wantKind != nil {
				assertKind(t, err, tt.wantKind)
				assert.EqualError(t, err, tt.wantErr)
			} else {
				var ne *auth.NetworkError
				assert.ErrorAs(t, err, &ne)
			}
			assert.Equal(t, tt.wantCode, auth.Code(err))
			assert.Equal(t, tt.wantCalls, env.srv.Count()-before)
			assert.NotContains(t, err.Error(), tok)
		})
	}
}

// TestNetAuthRefreshChecksInput: a token that cannot be one is refused
// before anything is sent.
func TestNetAuthRefreshChecksInput(t *testing.T) {
	env := newFakeEnv(t)
	for name, tok := range map[string]string{
		"empty":          "",
		"over the limit": authtest.TokenPrefix + strings.Repeat("a", auth.MaxRefreshTokenBytes),
		"space":          authtest.TokenPrefix + "abc def",
		"newline":        authtest.TokenPrefix + "abc\r\nX-Injected: 1",
		"non-ASCII":      authtest.TokenPrefix + "ü",
		"invalid UTF-8":  authtest.TokenPrefix + "\xff",
	} {
		t.Run(name, func(t *testing.T) {
			id, err := env.refresh(t, t.Context(), tok)
			assert.Zero(t, id)
			assert.ErrorIs(t, err, auth.ErrInvalidInput)
			assert.Equal(t, auth.CodeInvalidInput, auth.Code(err))
			if tok != "" {
				assert.NotContains(t, err.Error(), tok)
			}
			assert.Zero(t, env.srv.Count(), "nothing was sent")
		})
	}
}

// TestNetRefreshTokenEncoding: a token with the characters a query gives
// meaning to arrives exactly, percent-encoded as url.QueryEscape does it.
// The fake is mounted behind a recorder of the raw query, since the fake
// itself records the token redacted.
func TestNetRefreshTokenEncoding(t *testing.T) {
	var mu sync.Mutex
	var raw []string
	fake := authtest.NewHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		raw = append(raw, r.URL.RawQuery)
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := authhttp.NewClient(srv.URL)
	for _, tok := range []string{"a+b/c=d==", "x&refreshtoken=y", "100%", "#frag?q", "eyJ0eXAi.eyJzdWIi.c2ln-_~."} {
		_, err := c.AuthRefresh(t.Context(), tok)
		assert.ErrorIs(t, err, auth.ErrInvalidCredentials, "the fake did not issue %q", tok)
		assert.NotContains(t, err.Error(), tok)
		mu.Lock()
		got := raw[len(raw)-1]
		mu.Unlock()
		assert.Equal(t, "refreshtoken="+url.QueryEscape(tok), got)
		q, err := url.ParseQuery(got)
		require.NoError(t, err)
		assert.Equal(t, []string{tok}, q["refreshtoken"], "the server reads the token back")
		assert.Len(t, q, 1)
	}
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
			wantErr: "auth: 400 credentials are incorrect: 'mailaddress' or 'password' is incorrect.", wantCalls: 1,
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
			name: "over 64 KiB on a 503, retried", fault: authtest.Fault{Status: 503, Body: strings.Repeat("x", auth.MaxAnswerBytes+1)},
			wantKind: auth.ErrUnexpectedAnswer, wantErr: "auth: 503 unexpected answer: answer body is larger than 64 KiB", wantCalls: 3,
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
				env.creds = withPassword(env.creds, tt.password)
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

// TestNetRetries: how many tries each failure of the fake earns.
func TestNetRetries(t *testing.T) {
	tests := []struct {
		name       string
		fault      authtest.Fault
		maxRetries int
		refresh    bool // auth_refresh rather than auth_user
		wantCalls  int
		wantToken  bool
		wantCode   string
	}{
		{name: "500 once, then a token", fault: authtest.Fault{Status: 500, Times: 1}, wantCalls: 2, wantToken: true},
		{name: "drop twice, then a token", fault: authtest.Fault{Drop: true, Times: 2}, wantCalls: 3, wantToken: true},
		{name: "truncated twice, then a token", fault: authtest.Fault{Truncate: true, Times: 2}, wantCalls: 3, wantToken: true},
		{name: "dropped every time", fault: authtest.Fault{Drop: true}, wantCalls: 3, wantCode: auth.CodeNetwork},
		{name: "truncated every time", fault: authtest.Fault{Truncate: true}, wantCalls: 3, wantCode: auth.CodeNetwork},
		{name: "503 three times", fault: authtest.Fault{Status: 503, Times: 3}, wantCalls: 3, wantCode: auth.CodeUpstreamError},
		{name: "MaxRetries negative", fault: authtest.Fault{Status: 500}, maxRetries: -1, wantCalls: 1, wantCode: auth.CodeUpstreamError},
		{name: "MaxRetries negative, dropped", fault: authtest.Fault{Drop: true}, maxRetries: -1, wantCalls: 1, wantCode: auth.CodeNetwork},
		{name: "MaxRetries 4", fault: authtest.Fault{Status: 502}, maxRetries: 4, wantCalls: 5, wantCode: auth.CodeUpstreamError},
		{name: "400 never retried", fault: authtest.Fault{Status: 400, Message: authtest.MessageIncorrect}, maxRetries: 5, wantCalls: 1, wantCode: auth.CodeInvalidCredentials},
		{name: "403 never retried", fault: authtest.Fault{Status: 403}, maxRetries: 5, wantCalls: 1, wantCode: auth.CodeForbidden},
		{name: "404 never retried", fault: authtest.Fault{Status: 404}, maxRetries: 5, wantCalls: 1, wantCode: auth.CodeEndpointGone},
		{name: "429 never retried", fault: authtest.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}}, maxRetries: 5, wantCalls: 1, wantCode: auth.CodeRateLimited},
		{name: "refresh: 504 once, then a token", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 504, Times: 1}, wantCalls: 2, wantToken: true},
		{name: "refresh: 502 every time", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 502}, wantCalls: 3, wantCode: auth.CodeUpstreamError},
		{name: "refresh: 429 never retried", refresh: true, fault: authtest.Fault{Path: auth.RefreshPath, Status: 429}, maxRetries: 5, wantCalls: 1, wantCode: auth.CodeRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.client.MaxRetries = tt.maxRetries
			var refresh string
			if tt.refresh {
				refresh = env.loginFor(t)
			}
			env.srv.SetFault(tt.fault)
			before := env.srv.Count()
			var tok auth.Token
			var err error
			if tt.refresh {
				tok, err = env.refresh(t, t.Context(), refresh)
			} else {
				tok, err = env.login(t, t.Context())
			}
			assert.Equal(t, tt.wantCalls, env.srv.Count()-before)
			if tt.wantToken {
				require.NoError(t, err)
				if tt.refresh {
					_, ok := env.srv.IDTokenIssuedTo(tok.Value)
					assert.True(t, ok)
				} else {
					assert.True(t, env.srv.Issued(tok.Value))
				}
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantCode, auth.Code(err))
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
		assert.EqualError(t, err, "auth: no answer in time")
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
	assert.EqualError(t, err, "auth: no answer in time")
	assert.Equal(t, auth.CodeTimeout, auth.Code(err))
	assert.LessOrEqual(t, env.srv.Count(), 1, "a timeout is not retried")
}

// TestNetTransportTimeout: the transport's own timeout (here net/http's
// Client.Timeout; in the browser fetch's AbortSignal.timeout) ends the call
// without a retry, although the Client's own timeout is far off.
func TestNetTransportTimeout(t *testing.T) {
	env := newFakeEnv(t)
	env.client.Transport = authhttp.Transport{Client: &http.Client{Timeout: 50 * time.Millisecond}}
	env.client.MaxRetries = 5
	env.srv.SetFault(authtest.Fault{Delay: time.Hour})
	refresh := authtest.TokenPrefix + "0123"
	_, err := env.refresh(t, t.Context(), refresh)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var ne *auth.NetworkError
	assert.ErrorAs(t, err, &ne)
	assert.Equal(t, auth.CodeTimeout, auth.Code(err))
	assert.LessOrEqual(t, env.srv.Count(), 1, "not retried")
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
	refresh := authtest.TokenPrefix + "cafe"
	_, err := env.refresh(t, ctx, refresh)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "auth: context canceled (last failure: context canceled)", err.Error())
	assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	// The fake may not have recorded the request yet: at most one.
	assert.LessOrEqual(t, env.srv.Count(), 1, "a cancelled call is not retried")
}

// TestNetCancelDuringWait: cancelled while waiting to retry (the clock the
// Client reads once the answer is in cancels), the call ends at once with
// the failure that earned the retry.
func TestNetCancelDuringWait(t *testing.T) {
	env := newFakeEnv(t)
	env.client.MaxRetryAfter, env.client.Timeout = time.Hour, -1
	env.srv.SetFault(authtest.Fault{Status: 503, Message: "busy", Header: http.Header{"Retry-After": {"3600"}}})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	env.client.Now = func() time.Time { cancel(); return time.Now() }
	start := time.Now()
	_, err := env.login(t, ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "auth: context canceled (last failure: auth: 503 unexpected status: busy (retry after 1h0m0s))", err.Error())
	assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	assert.Equal(t, 1, env.srv.Count())
	assert.Less(t, time.Since(start), time.Minute, "the hour's wait was cut short")
}

func TestNetAlreadyCancelled(t *testing.T) {
	env := newFakeEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := env.login(t, ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	assert.Zero(t, env.srv.Count())
}

// deadlineTransport is authhttp's Transport, noting the deadline of each
// context it is given.
type deadlineTransport struct {
	authhttp.Transport
	mu        sync.Mutex
	deadlines []time.Time
	has       []bool
}

func (d *deadlineTransport) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	dl, ok := ctx.Deadline()
	d.mu.Lock()
	d.deadlines, d.has = append(d.deadlines, dl), append(d.has, ok)
	d.mu.Unlock()
	return d.Transport.Post(ctx, url, body)
}

func TestNetTimeoutDefaults(t *testing.T) {
	t.Run("default timeout", func(t *testing.T) {
		env := newFakeEnv(t)
		tr := &deadlineTransport{}
		env.client.Transport = tr
		before := time.Now()
		_, err := env.login(t, t.Context())
		require.NoError(t, err)
		require.Equal(t, []bool{true}, tr.has)
		assert.False(t, tr.deadlines[0].Before(before.Add(auth.DefaultTimeout)))
		assert.False(t, tr.deadlines[0].After(time.Now().Add(auth.DefaultTimeout)))
	})
	t.Run("negative timeout means none", func(t *testing.T) {
		env := newFakeEnv(t)
		tr := &deadlineTransport{}
		env.client.Transport, env.client.Timeout = tr, -1
		_, err := env.login(t, context.Background())
		require.NoError(t, err)
		assert.Equal(t, []bool{false}, tr.has)
	})
	t.Run("one deadline for every try", func(t *testing.T) {
		env := newFakeEnv(t)
		tr := &deadlineTransport{}
		env.client.Transport = tr
		env.srv.SetFault(authtest.Fault{Status: 502, Times: 2})
		_, err := env.login(t, t.Context())
		require.NoError(t, err)
		require.Len(t, tr.deadlines, 3)
		assert.Equal(t, tr.deadlines[0], tr.deadlines[2], "the timeout bounds the whole call")
	})
}

func TestNetDefaultClock(t *testing.T) {
	env := newFakeEnv(t)
	env.client.Now = nil
	before := time.Now()
	tok, err := env.login(t, t.Context())
	require.NoError(t, err)
	assert.False(t, tok.IssuedAt.Before(before))
	assert.False(t, tok.IssuedAt.After(time.Now()))

	fixed := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	env.client.Now = func() time.Time { return fixed }
	id, err := env.refresh(t, t.Context(), tok.Value)
	require.NoError(t, err)
	assert.Equal(t, fixed, id.IssuedAt)
	assert.Equal(t, fixed.Add(24*time.Hour), id.ExpiresAt)
}

func TestNetInvalidInputSendsNothing(t *testing.T) {
	env := newFakeEnv(t)
	env.creds = withPassword(env.creds, "")
	_, err := env.login(t, t.Context())
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
	assert.Zero(t, env.srv.Count())
}

func TestNetUnreachable(t *testing.T) {
	srv := authtest.NewServer()
	base := srv.URL
	srv.Close()
	env := newFakeEnv(t)
	env.client.BaseURL = base
	for name, call := range map[string]func() (auth.Token, error){
		"auth_user":    func() (auth.Token, error) { return env.login(t, t.Context()) },
		"auth_refresh": func() (auth.Token, error) { return env.refresh(t, t.Context(), authtest.TokenPrefix+"beef") },
	} {
		_, err := call()
		var ne *auth.NetworkError
		require.ErrorAs(t, err, &ne, name)
		assert.Equal(t, auth.CodeNetwork, auth.Code(err), name)
		assert.NotContains(t, err.Error(), "refreshtoken", name)
		assert.NotContains(t, err.Error(), auth.RefreshPath, "%s: the URL is not in the error", name)
	}
}

// TestNetErrorsNeverLeak scans every error the tests above got from the
// client for the password and for every token sent or issued. go test runs
// the tests of a file in order, so this one comes last; run alone, it makes
// failures of its own to scan.
func TestNetErrorsNeverLeak(t *testing.T) {
	netErrors.Lock()
	empty := len(netErrors.errs) == 0
	netErrors.Unlock()
	if empty {
		env := newFakeEnv(t)
		tok := env.loginFor(t)
		for _, f := range []authtest.Fault{{Drop: true}, {Truncate: true}, {Status: 400}, {Delay: time.Hour}} {
			env.srv.SetFault(f)
			env.client.Timeout = 100 * time.Millisecond
			env.login(t, t.Context())
			env.refresh(t, t.Context(), tok)
		}
	}
	netErrors.Lock()
	defer netErrors.Unlock()
	require.NotEmpty(t, netErrors.errs)
	require.NotEmpty(t, netErrors.tokens)
	t.Logf("scanned %d errors for the password and %d tokens", len(netErrors.errs), len(netErrors.tokens))
	for _, err := range netErrors.errs {
		assertNoLeak(t, err, netErrors.tokens...)
	}
}
