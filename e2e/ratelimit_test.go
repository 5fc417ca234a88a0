//go:build !js

package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loginLimit and loginPeriod are wrangler.toml's [[ratelimits]] LOGIN_LIMITER.
const (
	loginLimit  = 10
	loginPeriod = 60 * time.Second
)

// TestLoginRateLimit runs a second `wrangler dev` with LOGIN_RATE_LIMIT
// unset (wrangler.toml's "on"): ten logins from one CF-Connecting-IP are
// answered normally, the eleventh is 429 without reaching the fake, and
// another address is still served. The local Rate Limiting simulation counts
// in windows aligned to the wall clock, so a run that straddles a window
// boundary proves nothing about the eleventh: it is repeated (at most three
// times) with a fresh address.
func TestLoginRateLimit(t *testing.T) {
	limited, err := wranglerdev.Start(t.Context(), wranglerdev.Options{Vars: map[string]string{
		"JQUANTS_API_BASE_URL": upstream.URL,
		"ALLOWED_ORIGINS":      otherOrigin,
		"UPSTREAM_TIMEOUT":     upstreamTimeout.String(),
	}})
	require.NoError(t, err)
	t.Cleanup(func() {
		noteLog("rate-limited worker", limited.Log())
		assert.NoError(t, limited.Close())
	})
	mail, password := "limited@example.com", pwMarker+"-limited-Rk4"
	upstream.AddAccount(mail, password)

	window := func(tm time.Time) int64 { return tm.Unix() / int64(loginPeriod/time.Second) }
	for attempt := range 3 {
		ip := fmt.Sprintf("203.0.113.%d", 10+attempt)
		hdr := map[string]string{"CF-Connecting-IP": ip}
		start := time.Now()
		// Requests refused before the limiter do not count.
		for range 3 {
			r := call(t, limited.URL, http.MethodPost, auth.Path, `{"mailaddress":"`+mail+`"}`, hdr)
			assert.Equal(t, http.StatusBadRequest, r.Status)
			assert.Equal(t, auth.CodeInvalidInput, r.code())
		}
		n := upstream.Count()
		for i := range loginLimit {
			if i%2 == 0 {
				assertLoggedIn(t, login(t, limited.URL, mail, password, hdr), mail)
			} else {
				r := login(t, limited.URL, mail, password+"-wrong", hdr)
				assert.Equal(t, http.StatusBadRequest, r.Status, "body %s", r.Body)
				assert.Equal(t, authtest.MessageIncorrect, r.message())
			}
		}
		require.Equal(t, loginLimit, upstream.Count()-n, "requests to the fake for %d logins", loginLimit)
		r := login(t, limited.URL, mail, password, hdr)
		if w0, w1 := window(start), window(time.Now()); w0 != w1 {
			t.Logf("attempt %d from %s straddled a rate-limit window boundary (answer %d): again", attempt, ip, r.Status)
			continue
		}
		assert.Equal(t, http.StatusTooManyRequests, r.Status, "body %s", r.Body)
		assertJSONAnswer(t, r)
		assert.Equal(t, auth.CodeRateLimited, r.code())
		assert.Equal(t, "too many login attempts from this address: try again in 60 seconds", r.message())
		assert.Equal(t, "60", r.Header.Get("Retry-After"))
		assert.Equal(t, loginLimit, upstream.Count()-n, "the refused login reached the fake")

		other := login(t, limited.URL, mail, password, map[string]string{"CF-Connecting-IP": "198.51.100.77"})
		assertLoggedIn(t, other, mail)
		t.Logf("rate limit: %d logins from %s answered normally, the next 429 (Retry-After %s) without an upstream request; another address served",
			loginLimit, ip, r.Header.Get("Retry-After"))
		noteSummary(fmt.Sprintf("rate limit %d logins then %d", loginLimit, r.Status))
		return
	}
	t.Fatal("every attempt straddled a rate-limit window boundary")
}

// TestLoginRateLimitOff: the shared Worker runs with LOGIN_RATE_LIMIT=off,
// so thirty logins from one address all go through.
func TestLoginRateLimitOff(t *testing.T) {
	const logins = 30
	hdr := map[string]string{"CF-Connecting-IP": "203.0.113.99"}
	n := upstream.Count()
	ok := 0
	for range logins {
		if assertLoggedIn(t, login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, hdr), authtest.DemoMailAddress) {
			ok++
		}
	}
	assert.Equal(t, logins, upstream.Count()-n, "requests to the fake")
	t.Logf("rate limit off: %d/%d logins from one address served", ok, logins)
	noteSummary(fmt.Sprintf("rate limit off %d/%d", ok, logins))
}
