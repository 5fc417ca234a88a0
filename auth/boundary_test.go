package auth_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// The cases here sit exactly on a limit, where moving a comparison by one
// (< for <=, > for >=) or an operator changes the answer: make mutate showed
// them unpinned by the other tests.

func TestParseRetryAfterAtItsLimits(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	imf := func(d time.Duration) string { return now.Add(d).Format("Mon, 02 Jan 2006 15:04:05 GMT") }
	tests := []struct {
		name  string
		value string
		at    time.Time
		want  time.Duration
	}{
		// delay-seconds: '0' and '9' are digits, '/' and ':' around them are not.
		{"9", "9", now, 9 * time.Second},
		{"90", "90", now, 90 * time.Second},
		{"09", "09", now, 9 * time.Second},
		{"slash after a digit", "1/", now, 0},
		{"slash before a digit", "/1", now, 0},
		{"colon after a digit", "1:", now, 0},
		{"colon before a digit", ":1", now, 0},
		// HTTP dates: a second ahead is the shortest wait, a day the longest.
		{"date one second on", imf(time.Second), now, time.Second},
		{"date a day on", imf(24 * time.Hour), now, 24 * time.Hour},
		{"date a day and a second on", imf(24*time.Hour + time.Second), now, 0},
		{"date a second ago", imf(-time.Second), now, 0},
		{"date half a second on rounds to a second", imf(time.Second), now.Add(500 * time.Millisecond), time.Second},
		{"date 0.4 s on rounds to now", imf(0), now.Add(-400 * time.Millisecond), 0},
		{"date a day and 0.4 s on rounds to a day", imf(24 * time.Hour), now.Add(-400 * time.Millisecond), 24 * time.Hour},
		{"date a day and 0.5 s on rounds past a day", imf(24 * time.Hour), now.Add(-500 * time.Millisecond), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, auth.ParseRetryAfter(tt.value, tt.at))
		})
	}
}

func TestBackoffAtItsLimits(t *testing.T) {
	const ns = time.Nanosecond
	tests := []struct {
		name       string
		base, maxB time.Duration
		n          int
		want       time.Duration
	}{
		{"1 ns base and cap", ns, ns, 0, ns},
		{"1 ns base and cap, retried", ns, ns, 3, ns},
		{"1 ns base doubles", ns, 8 * ns, 2, 4 * ns},
		{"zero base", 0, time.Second, math.MaxInt, 0},
		{"zero cap", time.Second, 0, math.MaxInt, 0},
		// Doubling reaches the cap exactly, then stays there.
		{"half the cap, once", time.Second, 2 * time.Second, 1, 2 * time.Second},
		{"half the cap, twice", time.Second, 2 * time.Second, 2, 2 * time.Second},
		{"base at the cap", 2 * time.Second, 2 * time.Second, 0, 2 * time.Second},
		{"base at the cap, retried", 2 * time.Second, 2 * time.Second, 1, 2 * time.Second},
		// An odd cap: half of it rounds down, so doubling stays below it.
		{"odd cap, once", ns, 3 * ns, 1, 2 * ns},
		{"odd cap, twice", ns, 3 * ns, 2, 3 * ns},
		{"odd cap 5, base 2", 2 * ns, 5 * ns, 1, 4 * ns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, auth.Backoff(tt.base, tt.maxB, tt.n))
		})
	}
}

func TestJitterAtItsLimits(t *testing.T) {
	// [d/2, d] in whole nanoseconds: 1 ns can only be 0; 2 ns is 1 or 2.
	seen := map[time.Duration]bool{}
	for range 200 {
		assert.Zero(t, auth.Jitter(1))
		assert.Zero(t, auth.Jitter(0))
		assert.Zero(t, auth.Jitter(math.MinInt64))
		j := auth.Jitter(2)
		require.True(t, j == 1 || j == 2, "Jitter(2) = %v", j)
		seen[j] = true
	}
	assert.Len(t, seen, 2, "both ends of [1, 2] are drawn")
}

// A body's buffer is sized from both values, so one much longer than the
// other must not make the size negative.
func TestRequestBodyLopsided(t *testing.T) {
	long := strings.Repeat("p", auth.MaxPasswordBytes)
	c, err := auth.NewCredentials("a@b.jp", long)
	require.NoError(t, err)
	assert.Equal(t, `{"mailaddress":"a@b.jp","password":"`+long+`"}`, string(c.RequestBody()))

	mail := strings.Repeat("m", auth.MaxMailAddressBytes-len("@b.jp")) + "@b.jp"
	c, err = auth.NewCredentials(mail, "p")
	require.NoError(t, err)
	assert.Equal(t, `{"mailaddress":"`+mail+`","password":"p"}`, string(c.RequestBody()))
}

// A query value's decoded text may not hold C1 controls, U+0080 to U+009F:
// each end is out, the characters beside them in.
func TestCheckQueryControlEdges(t *testing.T) {
	for _, q := range []string{"v=%C2%80", "v=%C2%9F", "v=%7F", "v=%1F"} {
		assert.EqualError(t, auth.CheckQuery(q), "query values must not hold control characters (parameter 1)", q)
	}
	for _, q := range []string{"v=%C2%A0", "v=%7E", "v=%20", "v=+", "v=a+b"} {
		assert.NoError(t, auth.CheckQuery(q), q)
	}
}

// A Plan past the last known one reads as Free's rate and a plan(n) name,
// from the first unknown value on.
func TestPlanPastTheLast(t *testing.T) {
	last := auth.PlanPremium
	assert.Equal(t, "premium", last.String())
	assert.Equal(t, 500, last.PerMinute())
	assert.Equal(t, "plan(4)", (last + 1).String())
	assert.Equal(t, auth.PlanFree.PerMinute(), (last + 1).PerMinute())
}
