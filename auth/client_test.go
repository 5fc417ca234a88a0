package auth_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// These tests drive auth.Client through a scripted Transport, without a
// network, so that they run under GOOS=js too. client_net_test.go runs the
// same client against the fake server over loopback.

// step is one scripted round trip.
type step struct {
	ans auth.Answer
	err error
}

// script is a Transport that plays steps in order, repeating the last one.
type script struct {
	mu     sync.Mutex
	steps  []step
	calls  int
	urls   []string
	bodies []string
}

func (s *script) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urls = append(s.urls, url)
	s.bodies = append(s.bodies, string(body))
	st := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	return st.ans, st.err
}

func (s *script) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// transportFunc adapts a function to auth.Transport.
type transportFunc func(ctx context.Context, url string, body []byte) (auth.Answer, error)

func (f transportFunc) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	return f(ctx, url, body)
}

func answer(status int, body string, header ...string) step {
	h := auth.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = append(h[header[i]], header[i+1])
	}
	return step{ans: auth.Answer{StatusCode: status, Header: h, Body: []byte(body)}}
}

func tokenAnswer(tok string) step { return answer(200, `{"refreshToken":"`+tok+`"}`) }

// fastClient retries with waits of a millisecond or less.
func fastClient(tr auth.Transport) *auth.Client {
	return &auth.Client{
		Transport:     tr,
		BaseURL:       "http://jquants.test",
		BaseBackoff:   time.Microsecond,
		MaxBackoff:    time.Millisecond,
		MaxRetryAfter: time.Millisecond,
		Now:           func() time.Time { return t0 },
	}
}

func demoCreds(t *testing.T) auth.Credentials {
	t.Helper()
	c, err := auth.NewCredentials("user@example.com", secretPassword)
	require.NoError(t, err)
	return c
}

// assertNoLeak fails if err's text shows the password or a token.
func assertNoLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append([]string{secretPassword}, secrets...) {
		if s == "" {
			continue
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%v|%+v|%#v|%q", err, err, err, err)} {
			assert.NotContains(t, text, s, "error leaks a secret")
		}
	}
}

func TestClientURL(t *testing.T) {
	tests := []struct{ base, want string }{
		{"", "https://api.jquants.com/v1/token/auth_user"},
		{"http://127.0.0.1:8788", "http://127.0.0.1:8788/v1/token/auth_user"},
		{"http://127.0.0.1:8788/", "http://127.0.0.1:8788/v1/token/auth_user"},
		{"https://proxy.example//", "https://proxy.example/v1/token/auth_user"},
	}
	for _, tt := range tests {
		c := &auth.Client{BaseURL: tt.base}
		assert.Equal(t, tt.want, c.URL(), tt.base)
	}
	assert.Equal(t, "https://api.jquants.com", auth.DefaultBaseURL)
	assert.Equal(t, "/v1/token/auth_user", auth.Path)
}

func TestClientDefaults(t *testing.T) {
	assert.Equal(t, 10*time.Second, auth.DefaultTimeout)
	assert.Equal(t, 2, auth.DefaultMaxRetries)
	assert.Equal(t, 200*time.Millisecond, auth.DefaultBaseBackoff)
	assert.Equal(t, 2*time.Second, auth.DefaultMaxBackoff)
	assert.Equal(t, 5*time.Second, auth.DefaultMaxRetryAfter)
}

func TestClientAuthUserSuccess(t *testing.T) {
	tr := &script{steps: []step{tokenAnswer("tok-1")}}
	c := fastClient(tr)
	creds := demoCreds(t)
	tok, err := c.AuthUser(t.Context(), creds)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok.Value)
	assert.Equal(t, t0, tok.IssuedAt)
	assert.Equal(t, t0.Add(auth.TokenLifetime), tok.ExpiresAt)
	assert.Equal(t, 1, tr.Calls())
	assert.Equal(t, []string{"http://jquants.test/v1/token/auth_user"}, tr.urls)
	want, err := creds.RequestBody()
	require.NoError(t, err)
	assert.Equal(t, []string{string(want)}, tr.bodies)
}

func TestClientDefaultClock(t *testing.T) {
	c := &auth.Client{Transport: &script{steps: []step{tokenAnswer("tok")}}}
	before := time.Now()
	tok, err := c.AuthUser(t.Context(), demoCreds(t))
	require.NoError(t, err)
	assert.False(t, tok.IssuedAt.Before(before))
	assert.Equal(t, auth.TokenLifetime, tok.ExpiresAt.Sub(tok.IssuedAt))
}

func TestClientRefusesBeforeSending(t *testing.T) {
	tr := &script{steps: []step{tokenAnswer("tok")}}
	tests := []struct {
		name    string
		client  *auth.Client
		creds   auth.Credentials
		wantErr string
		input   bool
	}{
		{"bad mail", fastClient(tr), auth.Credentials{MailAddress: "nobody", Password: "pw"}, msgMailOneAt, true},
		{"untrimmed mail", fastClient(tr), auth.Credentials{MailAddress: " a@b", Password: "pw"}, msgMailSpace, true},
		{"no password", fastClient(tr), auth.Credentials{MailAddress: "a@b"}, msgPassRequired, true},
		{"no transport", &auth.Client{}, auth.Credentials{MailAddress: "a@b", Password: "pw"}, "auth: Client.Transport is nil", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.client.AuthUser(t.Context(), tt.creds)
			assert.Zero(t, tok)
			assert.EqualError(t, err, tt.wantErr)
			assert.Equal(t, tt.input, errors.Is(err, auth.ErrInvalidInput))
		})
	}
	assert.Zero(t, tr.Calls(), "nothing is sent")
}

func TestClientRetries(t *testing.T) {
	netErr := errors.New("connection reset by peer")
	tests := []struct {
		name       string
		steps      []step
		maxRetries int
		wantCalls  int
		wantToken  string
		wantKind   error // for an *Error
		wantStatus int
		wantNet    bool
	}{
		{name: "500", steps: []step{answer(500, `{"message":"Unexpected error. Please try again later."}`)}, wantCalls: 3, wantKind: auth.ErrUpstreamFailure, wantStatus: 500},
		{name: "502", steps: []step{answer(502, "")}, wantCalls: 3, wantKind: auth.ErrUnexpectedStatus, wantStatus: 502},
		{name: "503", steps: []step{answer(503, "")}, wantCalls: 3, wantKind: auth.ErrUnexpectedStatus, wantStatus: 503},
		{name: "504", steps: []step{answer(504, "")}, wantCalls: 3, wantKind: auth.ErrUnexpectedStatus, wantStatus: 504},
		{name: "network error", steps: []step{{err: netErr}}, wantCalls: 3, wantNet: true},
		{name: "400 not retried", steps: []step{answer(400, "")}, wantCalls: 1, wantKind: auth.ErrInvalidCredentials, wantStatus: 400},
		{name: "403 not retried", steps: []step{answer(403, "")}, wantCalls: 1, wantKind: auth.ErrForbidden, wantStatus: 403},
		{name: "404 not retried", steps: []step{answer(404, "")}, wantCalls: 1, wantKind: auth.ErrEndpointGone, wantStatus: 404},
		{name: "429 not retried", steps: []step{answer(429, "", "Retry-After", "1")}, wantCalls: 1, wantKind: auth.ErrRateLimited, wantStatus: 429},
		{name: "501 not retried", steps: []step{answer(501, "")}, wantCalls: 1, wantKind: auth.ErrUnexpectedStatus, wantStatus: 501},
		{name: "200 without token not retried", steps: []step{answer(200, "<html>")}, wantCalls: 1, wantKind: auth.ErrUnexpectedAnswer, wantStatus: 200},
		{name: "500 then token", steps: []step{answer(500, ""), tokenAnswer("late")}, wantCalls: 2, wantToken: "late"},
		{name: "network error, 503, token", steps: []step{{err: netErr}, answer(503, ""), tokenAnswer("late")}, wantCalls: 3, wantToken: "late"},
		{name: "500 then 400", steps: []step{answer(500, ""), answer(400, "")}, wantCalls: 2, wantKind: auth.ErrInvalidCredentials, wantStatus: 400},
		{name: "negative MaxRetries means none", steps: []step{answer(500, "")}, maxRetries: -1, wantCalls: 1, wantKind: auth.ErrUpstreamFailure, wantStatus: 500},
		{name: "MaxRetries 1", steps: []step{answer(500, "")}, maxRetries: 1, wantCalls: 2, wantKind: auth.ErrUpstreamFailure, wantStatus: 500},
		{name: "MaxRetries 5", steps: []step{{err: netErr}}, maxRetries: 5, wantCalls: 6, wantNet: true},
		{name: "too large 200 not retried", steps: []step{{ans: auth.Answer{StatusCode: 200}, err: fmt.Errorf("read: %w", auth.ErrAnswerTooLarge)}}, wantCalls: 1, wantKind: auth.ErrUnexpectedAnswer, wantStatus: 200},
		{name: "too large 500 retried", steps: []step{{ans: auth.Answer{StatusCode: 500}, err: auth.ErrAnswerTooLarge}}, wantCalls: 3, wantKind: auth.ErrUnexpectedAnswer, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &script{steps: tt.steps}
			c := fastClient(tr)
			c.MaxRetries = tt.maxRetries
			tok, err := c.AuthUser(t.Context(), demoCreds(t))
			assert.Equal(t, tt.wantCalls, tr.Calls())
			assertNoLeak(t, err)
			if tt.wantToken != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantToken, tok.Value)
				return
			}
			assert.Zero(t, tok)
			if tt.wantNet {
				var ne *auth.NetworkError
				require.ErrorAs(t, err, &ne)
				assert.ErrorIs(t, err, netErr)
				assert.EqualError(t, err, "auth: no answer from upstream: connection reset by peer")
				assert.Equal(t, auth.CodeNetwork, auth.Code(err))
				return
			}
			e := assertKind(t, err, tt.wantKind)
			assert.Equal(t, tt.wantStatus, e.StatusCode)
		})
	}
}

// A transport's own timeout (fetch's AbortSignal.timeout may fire before
// Go's timer) ends the call: it is not retried, and its code is timeout.
func TestClientTransportTimeoutNotRetried(t *testing.T) {
	tr := &script{steps: []step{{err: fmt.Errorf("fetch: TimeoutError: %w", context.DeadlineExceeded)}}}
	_, err := fastClient(tr).AuthUser(t.Context(), demoCreds(t))
	assert.Equal(t, 1, tr.Calls())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, auth.CodeTimeout, auth.Code(err))
}

func TestClientTooLargeMessage(t *testing.T) {
	c := fastClient(&script{steps: []step{{ans: auth.Answer{StatusCode: 200}, err: auth.ErrAnswerTooLarge}}})
	_, err := c.AuthUser(t.Context(), demoCreds(t))
	assert.EqualError(t, err, "auth: 200 unexpected answer: answer body is larger than 64 KiB")
}

func TestClientRetryAfter(t *testing.T) {
	t.Run("capped by MaxRetryAfter", func(t *testing.T) {
		// A day's Retry-After, capped to a millisecond: all three tries happen.
		tr := &script{steps: []step{answer(503, "", "Retry-After", "86400")}}
		c := fastClient(tr)
		c.BaseBackoff, c.MaxBackoff = time.Hour, time.Hour // not used when Retry-After is given
		_, err := c.AuthUser(t.Context(), demoCreds(t))
		e := assertKind(t, err, auth.ErrUnexpectedStatus)
		assert.Equal(t, 24*time.Hour, e.RetryAfter)
		assert.Equal(t, 3, tr.Calls())
	})
	t.Run("honoured over the backoff", func(t *testing.T) {
		// Retry-After of an hour, allowed: the deadline comes first.
		tr := &script{steps: []step{answer(503, "", "Retry-After", "3600")}}
		c := fastClient(tr)
		c.MaxRetryAfter = time.Hour
		c.Timeout = 20 * time.Millisecond
		_, err := c.AuthUser(t.Context(), demoCreds(t))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualError(t, err, "auth: no answer in time: context deadline exceeded")
		assert.Equal(t, auth.CodeTimeout, auth.Code(err))
		assert.Equal(t, 1, tr.Calls())
	})
	t.Run("500 with Retry-After", func(t *testing.T) {
		tr := &script{steps: []step{answer(500, "", "Retry-After", "1"), tokenAnswer("tok")}}
		c := fastClient(tr)
		tok, err := c.AuthUser(t.Context(), demoCreds(t))
		require.NoError(t, err)
		assert.Equal(t, "tok", tok.Value)
		assert.Equal(t, 2, tr.Calls())
	})
}

func TestClientContext(t *testing.T) {
	t.Run("cancelled while the transport waits", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		started := make(chan struct{})
		var calls int
		tr := transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) {
			calls++
			close(started)
			<-ctx.Done()
			return auth.Answer{}, ctx.Err()
		})
		go func() {
			<-started
			cancel()
		}()
		c := fastClient(tr)
		c.Timeout = -1 // no bound but the caller's context
		_, err := c.AuthUser(ctx, demoCreds(t))
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualError(t, err, "auth: context canceled (last failure: auth: no answer from upstream: context canceled)")
		assert.Equal(t, auth.CodeCanceled, auth.Code(err))
		assert.Equal(t, 1, calls)
	})
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		tr := transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) {
			return auth.Answer{}, ctx.Err()
		})
		_, err := fastClient(tr).AuthUser(ctx, demoCreds(t))
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("cancelled during the wait before a retry", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		answered := make(chan struct{}, 1)
		tr := transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
			answered <- struct{}{}
			return auth.Answer{StatusCode: 503, Header: auth.Header{"Retry-After": {"3600"}}}, nil
		})
		go func() {
			<-answered
			cancel()
		}()
		c := fastClient(tr)
		c.MaxRetryAfter = time.Hour
		c.Timeout = -1
		_, err := c.AuthUser(ctx, demoCreds(t))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "auth: context canceled (last failure: auth: 503 unexpected status")
		assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	})
	t.Run("timeout while the transport waits", func(t *testing.T) {
		tr := transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) {
			<-ctx.Done()
			return auth.Answer{}, ctx.Err()
		})
		c := fastClient(tr)
		c.Timeout = time.Millisecond
		_, err := c.AuthUser(t.Context(), demoCreds(t))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.EqualError(t, err, "auth: no answer in time: context deadline exceeded")
	})
	t.Run("default timeout applies", func(t *testing.T) {
		var deadline time.Time
		var ok bool
		tr := transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) {
			deadline, ok = ctx.Deadline()
			return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"t"}`)}, nil
		})
		before := time.Now()
		_, err := (&auth.Client{Transport: tr}).AuthUser(t.Context(), demoCreds(t))
		require.NoError(t, err)
		require.True(t, ok)
		assert.False(t, deadline.Before(before.Add(auth.DefaultTimeout)))
	})
	t.Run("negative timeout means none", func(t *testing.T) {
		var ok bool
		tr := transportFunc(func(ctx context.Context, _ string, _ []byte) (auth.Answer, error) {
			_, ok = ctx.Deadline()
			return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"t"}`)}, nil
		})
		_, err := (&auth.Client{Transport: tr, Timeout: -1}).AuthUser(context.Background(), demoCreds(t))
		require.NoError(t, err)
		assert.False(t, ok)
	})
}

// Regression: the backoff was BaseBackoff<<attempt, which overflows to a
// negative duration after some 36 doublings (or starts negative with a
// negative BaseBackoff) and made rand.N panic.
func TestClientBackoffNeverPanics(t *testing.T) {
	tests := []struct {
		name        string
		base, maxB  time.Duration
		maxRetries  int
		wantRetries int
	}{
		{"many retries", time.Nanosecond, time.Microsecond, 70, 70},
		{"huge MaxBackoff", time.Nanosecond, time.Duration(math.MaxInt64), 3, 3},
		{"negative BaseBackoff", -time.Millisecond, time.Millisecond, 2, 2},
		{"negative MaxBackoff", time.Millisecond, -time.Millisecond, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &script{steps: []step{answer(502, "")}}
			c := fastClient(tr)
			c.BaseBackoff, c.MaxBackoff, c.MaxRetries = tt.base, tt.maxB, tt.maxRetries
			require.NotPanics(t, func() { _, _ = c.AuthUser(t.Context(), demoCreds(t)) })
			assert.Equal(t, tt.wantRetries+1, tr.Calls())
		})
	}
}

func TestBackoff(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		base, maxB time.Duration
		n          int
		want       time.Duration
	}{
		{200 * ms, 2000 * ms, 0, 200 * ms},
		{200 * ms, 2000 * ms, 1, 400 * ms},
		{200 * ms, 2000 * ms, 2, 800 * ms},
		{200 * ms, 2000 * ms, 3, 1600 * ms},
		{200 * ms, 2000 * ms, 4, 2000 * ms},
		{200 * ms, 2000 * ms, 36, 2000 * ms},
		{200 * ms, 2000 * ms, 1000, 2000 * ms},
		{time.Nanosecond, time.Duration(math.MaxInt64), 62, 1 << 62},
		{time.Nanosecond, time.Duration(math.MaxInt64), 63, time.Duration(math.MaxInt64)},
		{time.Nanosecond, time.Duration(math.MaxInt64), 200, time.Duration(math.MaxInt64)},
		{3 * ms, 2 * ms, 0, 2 * ms},
		{0, 2 * ms, 3, 0},
		{-ms, 2 * ms, 3, 0},
		{ms, -ms, 3, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.base, tt.maxB, tt.n), func(t *testing.T) {
			assert.Equal(t, tt.want, auth.Backoff(tt.base, tt.maxB, tt.n))
		})
	}
}

func TestJitter(t *testing.T) {
	assert.Zero(t, auth.Jitter(0))
	assert.Zero(t, auth.Jitter(-time.Second))
	for _, d := range []time.Duration{1, 2, 3, time.Millisecond, time.Second, time.Duration(math.MaxInt64)} {
		for range 100 {
			j := auth.Jitter(d)
			assert.GreaterOrEqual(t, j, d/2)
			assert.LessOrEqual(t, j, d)
		}
	}
}

func TestClientDo(t *testing.T) {
	tr := &script{steps: []step{tokenAnswer("direct")}}
	c := fastClient(tr)
	tok, err := c.Do(t.Context(), "http://x.test/path", []byte(`{}`))
	require.NoError(t, err)
	assert.Equal(t, "direct", tok.Value)
	assert.Equal(t, []string{"http://x.test/path"}, tr.urls)
	assert.Equal(t, []string{"{}"}, tr.bodies)
}

func TestNetworkError(t *testing.T) {
	inner := errors.New("dial tcp: connection refused")
	err := &auth.NetworkError{Err: inner}
	assert.Equal(t, "auth: no answer from upstream: dial tcp: connection refused", err.Error())
	assert.Same(t, inner, errors.Unwrap(err))
	assert.ErrorIs(t, fmt.Errorf("x: %w", err), inner)
	assert.False(t, strings.Contains(err.Error(), secretPassword))
}
