package auth

import (
	"context"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/internal/errtree"
)

// Fetch is a paged V2 GET as a state machine with no I/O and no clock, in
// the style of Exchange: the caller asks Next what to send and how long to
// wait first, sends it, and feeds what came back to Receive. It follows
// pagination_key to the last page, keeps to its Pacer, waits at least
// RateLimitWait after a 429 (never retrying at once) and retries a 5xx or a
// network failure at most Retry.MaxRetries times with backoff. The same
// decisions drive the Go client (APIClient) and the browser module.
type Fetch struct {
	Retry Retry

	base, path, query string
	key               APIKey
	pacers            []*Pacer
	next              string    // the pagination_key of the page to fetch; "" for the first
	notBefore         time.Time // a retry's wait
	attempt           int       // failed tries of this page
	pages             int
	done              bool
}

// FetchStep is what became of an answer.
type FetchStep struct {
	// Page: the answer is a page; hand its data on (a 210 is an empty one).
	Page bool
	// Done: nothing more to fetch; Err says why when it is not nil.
	Done bool
	// Err is the failure; when !Done, the one that earned a retry.
	Err error
	// Wait is how long Next will hold the retry back (already counted there).
	Wait time.Duration
}

// NewFetch checks the request (see NewV2Request; the query must not hold a
// pagination_key, which the Fetch sets) and returns the fetch, paced by
// plan, a Pacer the caller shares among all its requests with this key (nil:
// a new one at PlanFree's rate). An endpoint with a cap below plan's rate
// (/fins/summary, /fins/details) is paced to that cap as well.
func NewFetch(baseURL string, key APIKey, path, rawQuery string, plan *Pacer, r Retry) (*Fetch, error) {
	if _, err := NewV2Request(baseURL, key, path, rawQuery); err != nil {
		return nil, err
	}
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if name, _, _ := strings.Cut(pair, "="); name == FieldPaginationKey {
			return nil, &InputError{Field: FieldQuery, Reason: "must not set " + FieldPaginationKey + ": the fetch follows it"}
		}
	}
	if plan == nil {
		plan = NewPacer(PlanFree.PerMinute())
	}
	f := &Fetch{Retry: r, base: baseURL, path: path, query: rawQuery, key: key, pacers: []*Pacer{plan}}
	if ep, _ := LookupV2(path); ep.PerMinute > 0 { // a cap above the plan's never binds
		f.pacers = append(f.pacers, NewPacer(ep.PerMinute))
	}
	return f, nil
}

// Pages is how many pages were received so far.
func (f *Fetch) Pages() int { return f.pages }

// Next says what to do at now: send req (wait 0; the send is counted on
// the pacers), or wait that long and ask again. ok is false once the fetch
// is done.
func (f *Fetch) Next(now time.Time) (req V2Request, wait time.Duration, ok bool) {
	if f.done {
		return V2Request{}, 0, false
	}
	wait = max(f.notBefore.Sub(now), 0)
	for _, p := range f.pacers {
		wait = max(wait, p.Wait(now))
	}
	if wait > 0 {
		return V2Request{}, wait, true
	}
	for _, p := range f.pacers {
		p.Sent(now)
	}
	return V2Request{URL: V2URL(f.base, f.path, withPaginationKey(f.query, f.next)), Key: f.key}, 0, true
}

// Receive takes what became of the request Next gave: an answer summed up
// (see ReadPage), or the transport's error (no answer).
func (f *Fetch) Receive(pa PageAnswer, netErr error, now time.Time) FetchStep {
	var err error
	if netErr != nil {
		if errtree.Is(netErr, context.Canceled) || errtree.Is(netErr, context.DeadlineExceeded) {
			return f.end(FetchStep{Err: netErr})
		}
		err = &NetworkError{Err: netErr}
	} else if err = pa.Err(now); err == nil {
		f.pages++
		f.attempt = 0
		step := FetchStep{Page: true}
		switch {
		case pa.Status == StatusPartial || pa.PaginationKey == "":
			return f.end(step)
		case pa.PaginationKey == f.next:
			step.Err = &Error{StatusCode: pa.Status, kind: ErrUnexpectedAnswer, Message: "the page names itself as the next one"}
			return f.end(step)
		}
		f.next = pa.PaginationKey
		return step
	}
	f.attempt++
	maxRetries := f.Retry.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	e, isErr := errtree.As[*Error](err)
	var wait time.Duration
	switch {
	case f.attempt > maxRetries:
		return f.end(FetchStep{Err: err})
	case isErr && e.Is(ErrRateLimited):
		// Every request with this key waits, not just this fetch's.
		wait = e.RetryAfter
		for _, p := range f.pacers {
			p.Hold(now.Add(wait))
		}
	case isErr && e.Is(ErrUpstreamFailure) && e.RetryAfter > 0:
		wait = min(e.RetryAfter, pick(f.Retry.MaxRetryAfter, DefaultMaxRetryAfter))
	case !isErr || e.Is(ErrUpstreamFailure):
		wait = jitter(backoff(pick(f.Retry.BaseBackoff, DefaultBaseBackoff), pick(f.Retry.MaxBackoff, DefaultMaxBackoff), f.attempt-1))
	default:
		return f.end(FetchStep{Err: err})
	}
	f.notBefore = now.Add(wait)
	return FetchStep{Err: err, Wait: wait}
}

func (f *Fetch) end(s FetchStep) FetchStep {
	f.done = true
	s.Done = true
	return s
}
