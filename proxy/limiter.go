package proxy

import (
	"context"
	"sync"
	"time"
)

// Limiter decides whether a login from key (the client address) may go
// upstream. An error means "could not decide": the proxy logs it and lets the
// login through (fail open). The Worker implements it over the Workers Rate
// Limiting binding; MemoryLimiter serves the native server and tests.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, err error)
}

// LimiterFunc adapts a function to Limiter.
type LimiterFunc func(ctx context.Context, key string) (bool, error)

// Allow calls f.
func (f LimiterFunc) Allow(ctx context.Context, key string) (bool, error) { return f(ctx, key) }

// MemoryLimiter is an in-memory fixed-window limiter: at most limit calls
// per key in each window of period, the window starting at a key's first
// call. It is safe for concurrent use; windows that ended are swept once per
// period. It is per process, so it suits one native server, not a fleet.
type MemoryLimiter struct {
	limit  int
	period time.Duration
	now    func() time.Time

	mu        sync.Mutex
	windows   map[string]*window
	lastSweep time.Time
}

type window struct {
	start time.Time
	n     int
}

// NewMemoryLimiter allows limit calls per key per period. A limit below 1
// counts as 1 and a period of 0 or less as DefaultLoginPeriod.
func NewMemoryLimiter(limit int, period time.Duration) *MemoryLimiter {
	if period <= 0 {
		period = DefaultLoginPeriod
	}
	return &MemoryLimiter{limit: max(limit, 1), period: period, now: time.Now, windows: map[string]*window{}}
}

// Allow counts a call for key and reports whether it is within the limit. It
// never returns an error.
func (l *MemoryLimiter) Allow(_ context.Context, key string) (bool, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.period {
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.period {
				delete(l.windows, k)
			}
		}
		l.lastSweep = now
	}
	w := l.windows[key]
	if w == nil || now.Sub(w.start) >= l.period {
		l.windows[key] = &window{start: now, n: 1}
		return true, nil
	}
	if w.n >= l.limit {
		return false, nil
	}
	w.n++
	return true, nil
}
