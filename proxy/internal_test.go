package proxy

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestSeconds(t *testing.T) {
	assert.Equal(t, "1", seconds(0))
	assert.Equal(t, "1", seconds(time.Millisecond))
	assert.Equal(t, "60", seconds(time.Minute))
	assert.Equal(t, "61", seconds(time.Minute+time.Millisecond))
}

// TestLogLineQuotesCallerValues: what a caller controls is quoted and cut,
// so that it cannot forge a line; the query is never logged.
func TestLogLineQuotesCallerValues(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	r := &Request{
		Method: "get\nX", Target: "/x\n?password=secret", Start: start,
		Header: Header{{"origin", "http://a\nforged line"}},
	}
	a := answerTo(new(Answer), r)
	a.now = start.Add(1500 * time.Microsecond)
	line := failLog(&a, "")
	assert.Equal(t, `proxy: method="get\nX" path="/x\n" status=404 duration=1.5ms origin="http://a\nforged line" code=not_found`, line)
	assert.NotContains(t, line, "\n")
	assert.NotContains(t, line, "secret", "the query is not logged")

	long := &Request{Method: strings.Repeat("M", 40), Target: "/" + strings.Repeat("p", 300), Start: start, Header: Header{{"origin", strings.Repeat("o", 300)}}}
	a = answerTo(new(Answer), long)
	line = failLog(&a, strings.Repeat("d", 400))
	assert.Contains(t, line, `method="`+strings.Repeat("M", 32)+`…"`)
	assert.Contains(t, line, `path="/`+strings.Repeat("p", 199)+`…"`)
	assert.Contains(t, line, `origin="`+strings.Repeat("o", 200)+`…"`)
	assert.Contains(t, line, `detail="`+strings.Repeat("d", 300)+`…"`)
	options := answerTo(new(Answer), &Request{Method: "OPTIONS", Target: "/"})
	options.done(204)
	assert.Contains(t, string(options.out.Log), "method=OPTIONS path=")

	// Quoted as strconv.Quote does, whatever byte comes first.
	for _, v := range []string{`""`, `\`, "\x80", "é", "\x7f", "\t~ !"} {
		a = answerTo(new(Answer), &Request{Method: "GET", Target: "/", Start: start, Header: Header{{"origin", v}}})
		line = failLog(&a, v)
		assert.Contains(t, line, " origin="+strconv.Quote(v)+" ", "%q", v)
		assert.True(t, strings.HasSuffix(line, " detail="+strconv.Quote(v)), "%q: %s", v, line)
	}

	assert.Equal(t, strings.Repeat("x", 5)+"…", cut("xxxxxxx", 5))
	assert.Equal(t, "xxxxx", cut("xxxxx", 5))
	assert.Equal(t, "あ…", cut("あい", 4), "whole characters")
}

// failLog is the log line of a 404 answer with detail.
func failLog(a *answer, detail string) string {
	a.fail(404, CodeNotFound, "not found", detail)
	return string(a.out.Log)
}
