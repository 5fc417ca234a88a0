package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryLimiterWindows(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewMemoryLimiter(2, time.Minute)
	l.now = func() time.Time { return now }
	allow := func(key string) bool {
		ok, err := l.Allow(context.Background(), key)
		require.NoError(t, err)
		return ok
	}
	assert.True(t, allow("a"))
	assert.True(t, allow("a"))
	assert.False(t, allow("a"), "third call in the window")
	assert.True(t, allow("b"), "keys are independent")

	now = now.Add(59 * time.Second)
	assert.False(t, allow("a"), "window not over")
	now = now.Add(time.Second)
	assert.True(t, allow("a"), "new window")
	assert.True(t, allow("a"))
	assert.False(t, allow("a"))

	// b's window ended: the next sweep (one period after the last) drops it.
	now = now.Add(time.Minute)
	assert.True(t, allow("c"))
	l.mu.Lock()
	assert.Len(t, l.windows, 1, "ended windows are swept")
	l.mu.Unlock()
}

func TestMemoryLimiterDefaults(t *testing.T) {
	l := NewMemoryLimiter(0, -time.Second)
	assert.Equal(t, 1, l.limit)
	assert.Equal(t, DefaultLoginPeriod, l.period)
}

func TestMemoryLimiterConcurrent(t *testing.T) {
	l := NewMemoryLimiter(10, time.Hour)
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if ok, _ := l.Allow(context.Background(), "k"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 10, allowed)
}

var jsonStrings = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
	"<script>&amp;</script>", "日本語のメッセージ", "\u2028\u2029", "bad \xff utf8 \xc3",
	"emoji 🎌", strings.Repeat("x", 600),
}

// TestAppendJSONString: the output is byte for byte what encoding/json writes.
func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStrings {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), "%q", s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendJSONString(nil, s)))
	})
}

func TestSeconds(t *testing.T) {
	assert.Equal(t, "1", seconds(0))
	assert.Equal(t, "1", seconds(time.Millisecond))
	assert.Equal(t, "60", seconds(time.Minute))
	assert.Equal(t, "61", seconds(time.Minute+time.Millisecond))
}

func TestDescribePanic(t *testing.T) {
	assert.Equal(t, "a value that is neither error nor string", describePanic(42))
}

func TestLogLineQuotesCallerValues(t *testing.T) {
	var b strings.Builder
	h, err := New(Config{Log: &b}, nopTransport{})
	require.NoError(t, err)
	w := &recorder{status: 404, wrote: true, code: CodeNotFound}
	r := &http.Request{Method: "get\nX", RequestURI: "/x\n?password=secret", URL: &url.URL{Path: "/x\n"}, Header: http.Header{}}
	r.Header.Set("Origin", "http://a\nforged line")
	h.logRequest(r, w, time.Millisecond)
	line := b.String()
	assert.Equal(t, 1, strings.Count(line, "\n"), line)
	assert.NotContains(t, line, "secret", "the query is not logged")
	assert.Contains(t, line, `method="get\nX"`)
	assert.Contains(t, line, `origin="http://a\nforged line"`)
	assert.Equal(t, strings.Repeat("x", 5)+"…", cut("xxxxxxx", 5))
}

type nopTransport struct{}

func (nopTransport) Post(context.Context, string, []byte) (auth.Answer, error) {
	return auth.Answer{}, nil
}
