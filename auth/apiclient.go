package auth

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"
)

// Getter does a V2 GET: url with the key in x-api-key and Accept:
// application/json, nothing else of ours. It reads the whole body (gzip
// undone) with ReadPageBody and returns the answer; an error means no
// usable answer. See package authhttp for a net/http Getter.
type Getter interface {
	Get(ctx context.Context, url string, key APIKey) (Answer, error)
}

// DefaultRequestTimeout bounds one V2 request of an APIClient.
const DefaultRequestTimeout = 30 * time.Second

// APIClient calls the V2 API with one key: the key check and paged GETs,
// paced for its Plan and sharing that pace among all its calls, so it is
// safe for concurrent use. The zero value of each field but Transport and
// Key means its default.
type APIClient struct {
	// Transport does the round trips. Required.
	Transport Getter
	// Key is the API key. Required.
	Key APIKey
	// BaseURL is the API's scheme and host, or a proxy's. Default
	// DefaultBaseURL; V2Prefix is added.
	BaseURL string
	// Plan sets the pace: at most Plan.PerMinute() requests in any
	// PaceWindow. Default PlanFree (5 a minute).
	Plan Plan
	// Timeout bounds each request. Default DefaultRequestTimeout.
	Timeout time.Duration
	// Retry: see Retry; 429s wait at least RateLimitWait whatever it says.
	Retry Retry
	// Now and Sleep are the clock and the wait. Defaults time.Now and a
	// timer that ends early with ctx's error.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	pacer *Pacer
}

// Page is one page of a V2 answer: its raw JSON ({"data":[…], …}; for a
// 210, no bytes), the Number'th of the fetch, from 1.
type Page struct {
	Body   []byte
	Number int
}

// CheckKey fetches GET /v2/equities/master?code=86970 and returns JPX
// Group's listing when the key works, or the *Error that says why not
// (ErrKeyInvalid, ErrKeyRequired, ErrRateLimited, …).
func (c *APIClient) CheckKey(ctx context.Context) (Listing, error) {
	for page, err := range c.pages(ctx, KeyCheckPath, KeyCheckQuery) {
		if err != nil {
			return Listing{}, err
		}
		return DecodeKeyCheck(page, c.now())
	}
	return Listing{}, errors.New("auth: the key check got no answer")
}

// Pages fetches path (as J-Quants documents it: "/equities/bars/daily")
// with rawQuery (see CheckQuery and Query), following pagination_key, and
// yields each page in order; after an error it stops. Break out of the loop
// to stop early.
func (c *APIClient) Pages(ctx context.Context, path, rawQuery string) iter.Seq2[Page, error] {
	return func(yield func(Page, error) bool) {
		n := 0
		for a, err := range c.pages(ctx, path, rawQuery) {
			if err != nil {
				yield(Page{}, err)
				return
			}
			n++
			if !yield(Page{Body: a.Body, Number: n}, nil) {
				return
			}
		}
	}
}

// pages drives a Fetch, yielding the answer of each page.
func (c *APIClient) pages(ctx context.Context, path, rawQuery string) iter.Seq2[Answer, error] {
	return func(yield func(Answer, error) bool) {
		if c.Transport == nil {
			yield(Answer{}, errors.New("auth: APIClient.Transport is nil"))
			return
		}
		c.mu.Lock()
		if c.pacer == nil {
			c.pacer = NewPacer(c.Plan.PerMinute())
		}
		f, err := NewFetch(c.BaseURL, c.Key, path, rawQuery, c.pacer, c.Retry)
		c.mu.Unlock()
		if err != nil {
			yield(Answer{}, err)
			return
		}
		for {
			c.mu.Lock()
			req, wait, ok := f.Next(c.now())
			c.mu.Unlock()
			switch {
			case !ok:
				return
			case wait > 0:
				if err := c.sleep(ctx, wait); err != nil {
					yield(Answer{}, err)
					return
				}
				continue
			}
			a, netErr := c.get(ctx, req)
			if netErr != nil && ctx.Err() != nil {
				yield(Answer{}, contextError(ctx, netErr))
				return
			}
			c.mu.Lock()
			step := f.Receive(ReadPage(a), netErr, c.now())
			c.mu.Unlock()
			if step.Page && !yield(a, nil) {
				return
			}
			if step.Done {
				if step.Err != nil {
					yield(Answer{}, step.Err)
				}
				return
			}
		}
	}
}

func (c *APIClient) get(ctx context.Context, req V2Request) (Answer, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.Transport.Get(ctx, req.URL, req.Key)
}

func (c *APIClient) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *APIClient) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return contextError(ctx, nil)
	case <-t.C:
		return nil
	}
}
