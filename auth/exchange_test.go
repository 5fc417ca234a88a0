package auth_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// These tests drive the Exchange state machine directly: it does no I/O, so
// they need no transport and run under GOOS=js too. client_net_test.go runs
// the Client, which drives it, against the fake server.

// outcome is what came of one send: an answer or a transport's error.
type outcome struct {
	ans auth.Answer
	err error
}

func ans(status int, body string, header ...string) outcome {
	h := auth.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h[header[i]] = append(h[header[i]], header[i+1])
	}
	return outcome{ans: auth.Answer{StatusCode: status, Header: h, Body: []byte(body)}}
}

func fails(err error) outcome { return outcome{err: err} }

// tooLarge is a transport's outcome for a body over MaxAnswerBytes.
func tooLarge(status int) outcome {
	return outcome{ans: auth.Answer{StatusCode: status}, err: fmt.Errorf("read body: %w", auth.ErrAnswerTooLarge)}
}

// expect is what one Receive must decide.
type expect struct {
	retry bool          // a Step with Wait, not Done
	token string        // Done with this token
	kind  error         // the *Error's kind (Done, or the failure that earned the retry)
	stat  int           // its status
	is    error         // errors.Is(step.Err, is) besides
	net   bool          // the failure is a *NetworkError
	code  string        // auth.Code(step.Err)
	wait  time.Duration // exact Wait (Retry-After); 0: a jittered backoff, checked by bounds
}

var errReset = errors.New("connection reset by peer")

func retried(kind error, status int) expect { return expect{retry: true, kind: kind, stat: status} }
func ended(kind error, status int) expect   { return expect{kind: kind, stat: status} }

var (
	netRetry = expect{retry: true, net: true, is: errReset, code: auth.CodeNetwork}
	netEnd   = expect{net: true, is: errReset, code: auth.CodeNetwork}
)

// backoffBounds is the range the wait before retry n (0 for the first) must
// fall in: [d/2, d] with d = min(maxB, base·2ⁿ), computed in floating point.
func backoffBounds(base, maxB time.Duration, n int) (lo, hi time.Duration) {
	d := math.Min(float64(maxB), float64(base)*math.Pow(2, float64(n)))
	if d >= math.MaxInt64 { // float64(MaxInt64) rounds up, out of range
		return math.MaxInt64 / 2, math.MaxInt64
	}
	return time.Duration(d) / 2, time.Duration(d)
}

// TestExchange is the retry state machine's table: each row feeds
// outcomes in order and says what each Receive decides.
func TestExchange(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	httpDate := func(d time.Duration) string { return now.Add(d).Format("Mon, 02 Jan 2006 15:04:05 GMT") }
	ms := time.Millisecond
	tests := []struct {
		name     string
		endpoint auth.Endpoint
		retry    auth.Retry
		outcomes []outcome
		want     []expect
	}{
		{name: "token at once", outcomes: []outcome{ans(200, `{"refreshToken":"tok"}`)}, want: []expect{{token: "tok"}}},
		{name: "ID token at once", endpoint: auth.AuthRefresh, outcomes: []outcome{ans(200, `{"idToken":"id"}`)}, want: []expect{{token: "id"}}},
		{name: "refresh answer read as auth_user's", endpoint: auth.AuthUser, outcomes: []outcome{ans(200, `{"idToken":"id"}`)},
			want: []expect{ended(auth.ErrUnexpectedAnswer, 200)}},

		// 500, 502, 503, 504 and network errors: up to MaxRetries more tries (default 2).
		{name: "500 three times", outcomes: []outcome{ans(500, `{"message":"Unexpected error. Please try again later."}`)},
			want: []expect{retried(auth.ErrUpstreamFailure, 500), retried(auth.ErrUpstreamFailure, 500), ended(auth.ErrUpstreamFailure, 500)}},
		{name: "502 three times", outcomes: []outcome{ans(502, "<html>")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 502), retried(auth.ErrUnexpectedStatus, 502), ended(auth.ErrUnexpectedStatus, 502)}},
		{name: "503 three times", outcomes: []outcome{ans(503, "")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 503), retried(auth.ErrUnexpectedStatus, 503), ended(auth.ErrUnexpectedStatus, 503)}},
		{name: "504 three times", outcomes: []outcome{ans(504, "")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 504), retried(auth.ErrUnexpectedStatus, 504), ended(auth.ErrUnexpectedStatus, 504)}},
		{name: "504 on auth_refresh", endpoint: auth.AuthRefresh, outcomes: []outcome{ans(504, "")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 504), retried(auth.ErrUnexpectedStatus, 504), ended(auth.ErrUnexpectedStatus, 504)}},
		{name: "network error three times", outcomes: []outcome{fails(errReset)}, want: []expect{netRetry, netRetry, netEnd}},
		{name: "500 then a token", outcomes: []outcome{ans(500, ""), ans(200, `{"refreshToken":"late"}`)},
			want: []expect{retried(auth.ErrUpstreamFailure, 500), {token: "late"}}},
		{name: "network error, 503, token", outcomes: []outcome{fails(errReset), ans(503, ""), ans(200, `{"refreshToken":"late"}`)},
			want: []expect{netRetry, retried(auth.ErrUnexpectedStatus, 503), {token: "late"}}},
		{name: "500 then 400", outcomes: []outcome{ans(500, ""), ans(400, "")},
			want: []expect{retried(auth.ErrUpstreamFailure, 500), ended(auth.ErrInvalidCredentials, 400)}},
		{name: "MaxRetries negative means none", retry: auth.Retry{MaxRetries: -1}, outcomes: []outcome{ans(500, "")},
			want: []expect{ended(auth.ErrUpstreamFailure, 500)}},
		{name: "MaxRetries negative, network", retry: auth.Retry{MaxRetries: -1}, outcomes: []outcome{fails(errReset)}, want: []expect{netEnd}},
		{name: "MaxRetries 1", retry: auth.Retry{MaxRetries: 1}, outcomes: []outcome{ans(503, "")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 503), ended(auth.ErrUnexpectedStatus, 503)}},
		{name: "MaxRetries 5", retry: auth.Retry{MaxRetries: 5}, outcomes: []outcome{fails(errReset)},
			want: []expect{netRetry, netRetry, netRetry, netRetry, netRetry, netEnd}},

		// 4xx and the rest: never retried.
		{name: "400", outcomes: []outcome{ans(400, `{"message":"'mailaddress' or 'password' is incorrect."}`)}, want: []expect{ended(auth.ErrInvalidCredentials, 400)}},
		{name: "400 on auth_refresh", endpoint: auth.AuthRefresh, outcomes: []outcome{ans(400, "")}, want: []expect{ended(auth.ErrInvalidCredentials, 400)}},
		{name: "401", outcomes: []outcome{ans(401, "")}, want: []expect{ended(auth.ErrUnexpectedStatus, 401)}},
		{name: "403", outcomes: []outcome{ans(403, "")}, want: []expect{ended(auth.ErrForbidden, 403)}},
		{name: "404", outcomes: []outcome{ans(404, "")}, want: []expect{ended(auth.ErrEndpointGone, 404)}},
		{name: "408", outcomes: []outcome{ans(408, "")}, want: []expect{ended(auth.ErrUnexpectedStatus, 408)}},
		{name: "429 with Retry-After", retry: auth.Retry{MaxRetries: 5}, outcomes: []outcome{ans(429, "", "Retry-After", "1")},
			want: []expect{ended(auth.ErrRateLimited, 429)}},
		{name: "501", outcomes: []outcome{ans(501, "")}, want: []expect{ended(auth.ErrUnexpectedStatus, 501)}},
		{name: "505", outcomes: []outcome{ans(505, "")}, want: []expect{ended(auth.ErrUnexpectedStatus, 505)}},
		{name: "307", outcomes: []outcome{ans(307, "", "Location", "http://elsewhere.test/")}, want: []expect{ended(auth.ErrUnexpectedStatus, 307)}},
		{name: "200 without a token", outcomes: []outcome{ans(200, "<html>")}, want: []expect{ended(auth.ErrUnexpectedAnswer, 200)}},

		// A transport's own end of the context ends the call at once.
		{name: "transport deadline", retry: auth.Retry{MaxRetries: 5}, outcomes: []outcome{fails(fmt.Errorf("fetch: TimeoutError: %w", context.DeadlineExceeded))},
			want: []expect{{net: true, is: context.DeadlineExceeded, code: auth.CodeTimeout}}},
		{name: "transport canceled", retry: auth.Retry{MaxRetries: 5}, outcomes: []outcome{fails(context.Canceled)},
			want: []expect{{net: true, is: context.Canceled, code: auth.CodeCanceled}}},
		{name: "deadline after a retry", outcomes: []outcome{ans(502, ""), fails(context.DeadlineExceeded)},
			want: []expect{retried(auth.ErrUnexpectedStatus, 502), {net: true, is: context.DeadlineExceeded, code: auth.CodeTimeout}}},

		// An answer over MaxAnswerBytes is an unexpected answer with its
		// status, retried when the status is.
		{name: "too large 200", outcomes: []outcome{tooLarge(200)}, want: []expect{ended(auth.ErrUnexpectedAnswer, 200)}},
		{name: "too large 400", outcomes: []outcome{tooLarge(400)}, want: []expect{ended(auth.ErrUnexpectedAnswer, 400)}},
		{name: "too large 500", outcomes: []outcome{tooLarge(500)},
			want: []expect{retried(auth.ErrUnexpectedAnswer, 500), retried(auth.ErrUnexpectedAnswer, 500), ended(auth.ErrUnexpectedAnswer, 500)}},
		{name: "too large 503 then a token", outcomes: []outcome{tooLarge(503), ans(200, `{"refreshToken":"t"}`)},
			want: []expect{retried(auth.ErrUnexpectedAnswer, 503), {token: "t"}}},

		// Retry-After sets the wait, capped by MaxRetryAfter (default 5 s).
		{name: "503 Retry-After 3", outcomes: []outcome{ans(503, "", "Retry-After", "3"), ans(200, `{"refreshToken":"t"}`)},
			want: []expect{{retry: true, kind: auth.ErrUnexpectedStatus, stat: 503, wait: 3 * time.Second}, {token: "t"}}},
		{name: "503 Retry-After a day, capped", outcomes: []outcome{ans(503, "", "Retry-After", "86400")},
			want: []expect{
				{retry: true, kind: auth.ErrUnexpectedStatus, stat: 503, wait: auth.DefaultMaxRetryAfter},
				{retry: true, kind: auth.ErrUnexpectedStatus, stat: 503, wait: auth.DefaultMaxRetryAfter},
				ended(auth.ErrUnexpectedStatus, 503),
			}},
		{name: "Retry-After capped by MaxRetryAfter", retry: auth.Retry{MaxRetryAfter: 1500 * ms}, outcomes: []outcome{ans(500, "", "Retry-After", "30")},
			want: []expect{{retry: true, kind: auth.ErrUpstreamFailure, stat: 500, wait: 1500 * ms}, {retry: true, kind: auth.ErrUpstreamFailure, stat: 500, wait: 1500 * ms}, ended(auth.ErrUpstreamFailure, 500)}},
		{name: "Retry-After under MaxRetryAfter", retry: auth.Retry{MaxRetryAfter: time.Hour}, outcomes: []outcome{ans(504, "", "Retry-After", "600")},
			want: []expect{{retry: true, kind: auth.ErrUnexpectedStatus, stat: 504, wait: 10 * time.Minute}}},
		{name: "Retry-After as an HTTP date", outcomes: []outcome{ans(502, "", "Retry-After", httpDate(4*time.Second))},
			want: []expect{{retry: true, kind: auth.ErrUnexpectedStatus, stat: 502, wait: 4 * time.Second}}},
		{name: "Retry-After 0 falls back to the backoff", outcomes: []outcome{ans(503, "", "Retry-After", "0")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 503)}},
		{name: "Retry-After garbage falls back to the backoff", outcomes: []outcome{ans(503, "", "Retry-After", "soon")},
			want: []expect{retried(auth.ErrUnexpectedStatus, 503)}},
		{name: "Retry-After does not make a 4xx retried", outcomes: []outcome{ans(403, "", "Retry-After", "1")}, want: []expect{ended(auth.ErrForbidden, 403)}},

		// The backoff: [d/2, d], d doubling from BaseBackoff up to MaxBackoff.
		{name: "custom backoff", retry: auth.Retry{MaxRetries: 5, BaseBackoff: time.Second, MaxBackoff: 4 * time.Second},
			outcomes: []outcome{ans(503, "")},
			want: []expect{
				retried(auth.ErrUnexpectedStatus, 503), retried(auth.ErrUnexpectedStatus, 503), retried(auth.ErrUnexpectedStatus, 503),
				retried(auth.ErrUnexpectedStatus, 503), retried(auth.ErrUnexpectedStatus, 503), ended(auth.ErrUnexpectedStatus, 503),
			}},
		{name: "backoff of a nanosecond", retry: auth.Retry{BaseBackoff: 1, MaxBackoff: 1}, outcomes: []outcome{fails(errReset)},
			want: []expect{netRetry, netRetry, netEnd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := auth.Request{URL: "http://jquants.test" + tt.endpoint.Path()}
			x := &auth.Exchange{Endpoint: tt.endpoint, Request: req, Retry: tt.retry}
			for i, w := range tt.want {
				o := tt.outcomes[min(i, len(tt.outcomes)-1)]
				// An edge that keeps no Go value rebuilds the exchange from
				// its endpoint, retry policy and attempt count.
				rebuilt := auth.Exchange{Endpoint: x.Endpoint, Retry: x.Retry, Attempt: x.Attempt}

				step := x.Receive(o.ans, o.err, now)
				require.Equal(t, i+1, x.Attempt, "Attempt counts the outcomes")
				assert.Equal(t, req, x.Request, "Receive leaves the request alone")
				checkStep(t, tt.endpoint, tt.retry, i, now, step, w)

				again := rebuilt.Receive(o.ans, o.err, now)
				require.Equal(t, x.Attempt, rebuilt.Attempt)
				checkStep(t, tt.endpoint, tt.retry, i, now, again, w)
				assert.Equal(t, step.Done, again.Done, "the rebuilt exchange decides the same")
				assert.Equal(t, step.Token, again.Token)
				if step.Err != nil || again.Err != nil {
					require.Error(t, step.Err)
					require.Error(t, again.Err)
					assert.Equal(t, step.Err.Error(), again.Err.Error())
				}
				if w.wait > 0 {
					assert.Equal(t, step.Wait, again.Wait)
				}
				if step.Done {
					require.Len(t, tt.want, i+1, "the exchange ended early")
				}
			}
		})
	}
}

func checkStep(t *testing.T, ep auth.Endpoint, r auth.Retry, i int, now time.Time, step auth.Step, w expect) {
	t.Helper()
	assert.Equal(t, !w.retry, step.Done, "step %d: Done", i)
	if w.token != "" {
		require.NoError(t, step.Err, "step %d", i)
		assert.Equal(t, auth.Token{Value: w.token, IssuedAt: now, ExpiresAt: now.Add(ep.Lifetime())}, step.Token)
		assert.Zero(t, step.Wait)
		return
	}
	assert.Zero(t, step.Token, "step %d", i)
	require.Error(t, step.Err, "step %d", i)
	if w.kind != nil {
		e := assertKind(t, step.Err, w.kind)
		assert.Equal(t, w.stat, e.StatusCode, "step %d: status", i)
		if errors.Is(w.kind, auth.ErrUnexpectedAnswer) && w.stat != 200 || strings.Contains(e.Message, "64 KiB") {
			assert.Equal(t, "answer body is larger than 64 KiB", e.Message)
			assert.Equal(t, "auth: "+strconv.Itoa(w.stat)+" unexpected answer: answer body is larger than 64 KiB", step.Err.Error())
		}
	}
	if w.net {
		var ne *auth.NetworkError
		require.ErrorAs(t, step.Err, &ne, "step %d", i)
		assert.True(t, strings.HasPrefix(step.Err.Error(), "auth: no answer from upstream: "), step.Err.Error())
	}
	if w.is != nil {
		assert.ErrorIs(t, step.Err, w.is, "step %d", i)
	}
	if w.code != "" {
		assert.Equal(t, w.code, auth.Code(step.Err), "step %d", i)
	}
	switch {
	case !w.retry:
		assert.Zero(t, step.Wait, "step %d: no wait when done", i)
	case w.wait > 0:
		assert.Equal(t, w.wait, step.Wait, "step %d: the wait Retry-After set", i)
	default:
		base, maxB := r.BaseBackoff, r.MaxBackoff
		if base == 0 {
			base = 200 * time.Millisecond
		}
		if maxB == 0 {
			maxB = 2 * time.Second
		}
		lo, hi := backoffBounds(base, maxB, i)
		assert.GreaterOrEqual(t, step.Wait, lo, "step %d: backoff", i)
		assert.LessOrEqual(t, step.Wait, hi, "step %d: backoff", i)
	}
}

// TestExchangeBackoffSpread: over many draws the jitter covers its range,
// so a wait stuck at one end (no jitter) fails.
func TestExchangeBackoffSpread(t *testing.T) {
	r := auth.Retry{MaxRetries: 1, BaseBackoff: time.Second, MaxBackoff: time.Second}
	var lo, hi int
	for range 2000 {
		x := auth.Exchange{Retry: r}
		step := x.Receive(auth.Answer{StatusCode: 503}, nil, t0)
		require.False(t, step.Done)
		require.GreaterOrEqual(t, step.Wait, 500*time.Millisecond)
		require.LessOrEqual(t, step.Wait, time.Second)
		switch {
		case step.Wait < 625*time.Millisecond:
			lo++
		case step.Wait > 875*time.Millisecond:
			hi++
		}
	}
	// Each quarter has an expected 500 draws; under 300 is beyond chance.
	assert.Greater(t, lo, 300, "draws in the lowest quarter")
	assert.Greater(t, hi, 300, "draws in the highest quarter")
}

// Regression: the backoff was BaseBackoff<<attempt, which overflows to a
// negative duration after some 36 doublings (or starts negative with a
// negative BaseBackoff) and made rand.N panic.
func TestExchangeBackoffNeverPanics(t *testing.T) {
	tests := []struct {
		name       string
		base, maxB time.Duration
		retries    int
		maxWait    time.Duration
	}{
		{"many retries", time.Nanosecond, time.Microsecond, 70, time.Microsecond},
		{"huge MaxBackoff", time.Nanosecond, time.Duration(math.MaxInt64), 3, 4 * time.Nanosecond},
		{"huge base", time.Duration(math.MaxInt64 / 2), time.Duration(math.MaxInt64), 5, time.Duration(math.MaxInt64)},
		{"negative base", -time.Second, time.Second, 3, 0},
		{"negative max", time.Second, -time.Second, 3, 0},
		{"max below base", time.Second, time.Millisecond, 3, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := auth.Exchange{Retry: auth.Retry{MaxRetries: tt.retries, BaseBackoff: tt.base, MaxBackoff: tt.maxB}}
			for i := range tt.retries {
				var step auth.Step
				require.NotPanics(t, func() { step = x.Receive(auth.Answer{}, errReset, t0) })
				require.False(t, step.Done, "retry %d", i)
				require.GreaterOrEqual(t, step.Wait, time.Duration(0))
				require.LessOrEqual(t, step.Wait, tt.maxWait)
			}
			require.True(t, x.Receive(auth.Answer{}, errReset, t0).Done)
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
		{200 * ms, 2000 * ms, 100, 2000 * ms},
		{200 * ms, 2000 * ms, 1000, 2000 * ms},
		{time.Nanosecond, time.Duration(math.MaxInt64), 62, 1 << 62},
		{time.Nanosecond, time.Duration(math.MaxInt64), 63, time.Duration(math.MaxInt64)},
		{time.Nanosecond, time.Duration(math.MaxInt64), 200, time.Duration(math.MaxInt64)},
		{200 * ms, 2000 * ms, math.MaxInt, 2000 * ms},
		{ms, time.Duration(math.MaxInt64), 62, time.Duration(math.MaxInt64)},
		{time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), 1, time.Duration(math.MaxInt64)},
		{3 * ms, 2 * ms, 0, 2 * ms},
		{0, ms, 3, 0},
		{-ms, ms, 3, 0},
		{ms, 0, 3, 0},
		{ms, -ms, 3, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.base, tt.maxB, tt.n), func(t *testing.T) {
			got := auth.Backoff(tt.base, tt.maxB, tt.n)
			assert.Equal(t, tt.want, got)
			if tt.base > 0 && tt.maxB > 0 && tt.n < 64 {
				_, hi := backoffBounds(tt.base, tt.maxB, tt.n)
				assert.InDelta(t, float64(hi), float64(got), float64(hi)*1e-9, "min(max, base·2ⁿ)")
			}
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

func TestNewExchange(t *testing.T) {
	creds, err := auth.NewCredentials("user@example.com", secretPassword)
	require.NoError(t, err)
	r := auth.Retry{MaxRetries: 4, BaseBackoff: time.Second}

	x, err := auth.NewAuthUser("http://jquants.test/", creds, r)
	require.NoError(t, err)
	assert.Equal(t, auth.Exchange{Endpoint: auth.AuthUser, Request: auth.AuthUserRequest("http://jquants.test", creds), Retry: r}, *x)
	assert.Equal(t, "http://jquants.test/v1/token/auth_user", x.Request.URL)

	x, err = auth.NewAuthRefresh("", "a+b/c=", r)
	require.NoError(t, err)
	assert.Equal(t, auth.Exchange{Endpoint: auth.AuthRefresh, Request: auth.Request{URL: "https://api.jquants.com/v1/token/auth_refresh?refreshtoken=a%2Bb%2Fc%3D"}, Retry: r}, *x)

	bad := creds
	bad.MailAddress = "nobody"
	for name, f := range map[string]func() (*auth.Exchange, error){
		"bad credentials":  func() (*auth.Exchange, error) { return auth.NewAuthUser("", bad, r) },
		"zero credentials": func() (*auth.Exchange, error) { return auth.NewAuthUser("", auth.Credentials{}, r) },
		"empty token":      func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "", r) },
		"token with space": func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "secret token", r) },
		"token over limit": func() (*auth.Exchange, error) {
			return auth.NewAuthRefresh("", strings.Repeat("s", auth.MaxRefreshTokenBytes+1), r)
		},
		"token not ASCII":   func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "sécret", r) },
		"token with a tab":  func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "secret\ttoken", r) },
		"token with a NUL":  func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "secret\x00", r) },
		"token with a DEL":  func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "secret\x7f", r) },
		"token with a CRLF": func() (*auth.Exchange, error) { return auth.NewAuthRefresh("", "secret\r\nX: y", r) },
	} {
		x, err := f()
		assert.Nil(t, x, name)
		assert.ErrorIs(t, err, auth.ErrInvalidInput, name)
		assert.NotContains(t, err.Error(), "secret", name)
		assert.NotContains(t, err.Error(), secretPassword, name)
	}
}
