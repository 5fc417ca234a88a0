package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

func TestPacer(t *testing.T) {
	p := auth.NewPacer(5)
	assert.Equal(t, 5, p.PerMinute())
	t0 := now
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Second)
		require.Zero(t, p.Wait(at), "request %d", i+1)
		p.Sent(at)
	}
	// The sixth waits until the first leaves the window, to the nanosecond.
	at := t0.Add(10 * time.Second)
	assert.Equal(t, auth.PaceWindow-10*time.Second, p.Wait(at))
	assert.Equal(t, time.Nanosecond, p.Wait(t0.Add(auth.PaceWindow-time.Nanosecond)))
	assert.Zero(t, p.Wait(t0.Add(auth.PaceWindow)))
	p.Sent(t0.Add(auth.PaceWindow))
	// Now the second send is the oldest in the ring.
	assert.Equal(t, time.Second, p.Wait(t0.Add(auth.PaceWindow)))

	assert.Equal(t, 1, auth.NewPacer(0).PerMinute())
	assert.Equal(t, 1, auth.NewPacer(-3).PerMinute())
}

// In any PaceWindow no more than PerMinute sends, however the caller asks.
func TestPacerNeverOverRate(t *testing.T) {
	for _, rate := range []int{1, 5, 60} {
		p := auth.NewPacer(rate)
		clock := now
		var sent []time.Time
		for len(sent) < 4*rate {
			if w := p.Wait(clock); w > 0 {
				clock = clock.Add(w)
				continue
			}
			p.Sent(clock)
			sent = append(sent, clock)
			clock = clock.Add(137 * time.Millisecond)
		}
		for i := rate; i < len(sent); i++ {
			assert.GreaterOrEqual(t, sent[i].Sub(sent[i-rate]), auth.PaceWindow, "rate %d, send %d", rate, i)
		}
	}
}

func TestPacerHold(t *testing.T) {
	p := auth.NewPacer(500)
	p.Hold(now.Add(time.Minute))
	assert.Equal(t, time.Minute, p.Wait(now))
	p.Hold(now.Add(time.Second)) // an earlier hold does not shorten it
	assert.Equal(t, time.Minute, p.Wait(now))
	assert.Zero(t, p.Wait(now.Add(time.Minute)))
}

func mustKey(t *testing.T) auth.APIKey {
	t.Helper()
	k, err := auth.NewAPIKey(secretKey)
	require.NoError(t, err)
	return k
}

func TestNewFetch(t *testing.T) {
	k := mustKey(t)
	_, err := auth.NewFetch("", k, "/equities/bars/daily", "code=86970&pagination_key=x", nil, auth.Retry{})
	assert.EqualError(t, err, "query must not set pagination_key: the fetch follows it")
	_, err = auth.NewFetch("", k, "/nope", "", nil, auth.Retry{})
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
	f, err := auth.NewFetch("http://proxy.test", k, "/equities/bars/daily", "code=86970", nil, auth.Retry{})
	require.NoError(t, err)
	req, wait, ok := f.Next(now)
	assert.True(t, ok)
	assert.Zero(t, wait)
	assert.Equal(t, "http://proxy.test/v2/equities/bars/daily?code=86970", req.URL)
	assert.Equal(t, secretKey, req.Key.Value())
}

func TestFetchFollowsPages(t *testing.T) {
	f, err := auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=86970", auth.NewPacer(500), auth.Retry{})
	require.NoError(t, err)
	var urls []string
	for i, key := range []string{"k/1", "k2", ""} {
		req, wait, ok := f.Next(now)
		require.True(t, ok)
		require.Zero(t, wait)
		urls = append(urls, req.URL)
		step := f.Receive(auth.PageAnswer{Status: 200, PaginationKey: key}, nil, now)
		assert.True(t, step.Page)
		assert.Equal(t, i == 2, step.Done)
		assert.NoError(t, step.Err)
	}
	assert.Equal(t, []string{
		"https://api.jquants.com/v2/equities/bars/daily?code=86970",
		"https://api.jquants.com/v2/equities/bars/daily?code=86970&pagination_key=k%2F1",
		"https://api.jquants.com/v2/equities/bars/daily?code=86970&pagination_key=k2",
	}, urls)
	assert.Equal(t, 3, f.Pages())
	_, _, ok := f.Next(now)
	assert.False(t, ok)

	// Without a query, the key is the query.
	f, _ = auth.NewFetch("", mustKey(t), "/markets/calendar", "", nil, auth.Retry{})
	f.Next(now)
	f.Receive(auth.PageAnswer{Status: 200, PaginationKey: "p"}, nil, now)
	req, _, _ := f.Next(now)
	assert.Equal(t, "https://api.jquants.com/v2/markets/calendar?pagination_key=p", req.URL)
}

func TestFetchPartialAndRepeatedKey(t *testing.T) {
	f, _ := auth.NewFetch("", mustKey(t), "/equities/bars/daily/am", "", auth.NewPacer(500), auth.Retry{})
	f.Next(now)
	step := f.Receive(auth.PageAnswer{Status: 210}, nil, now)
	assert.Equal(t, auth.FetchStep{Page: true, Done: true}, step)

	f, _ = auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), auth.Retry{})
	f.Next(now)
	f.Receive(auth.PageAnswer{Status: 200, PaginationKey: "same"}, nil, now)
	f.Next(now)
	step = f.Receive(auth.PageAnswer{Status: 200, PaginationKey: "same"}, nil, now)
	assert.True(t, step.Page && step.Done)
	assert.ErrorIs(t, step.Err, auth.ErrUnexpectedAnswer)
}

// A Free fetch of 12 pages never sends more than 5 in a PaceWindow, and the
// waits Next asks for are exactly what that takes.
func TestFetchPacedForFree(t *testing.T) {
	f, _ := auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(auth.PlanFree.PerMinute()), auth.Retry{})
	clock := now
	var sent []time.Time
	for {
		_, wait, ok := f.Next(clock)
		if !ok {
			break
		}
		if wait > 0 {
			clock = clock.Add(wait)
			continue
		}
		sent = append(sent, clock)
		key := ""
		if len(sent) < 12 {
			key = fmt.Sprint("k", len(sent))
		}
		f.Receive(auth.PageAnswer{Status: 200, PaginationKey: key}, nil, clock)
		clock = clock.Add(300 * time.Millisecond)
	}
	require.Len(t, sent, 12)
	for i := 5; i < len(sent); i++ {
		assert.GreaterOrEqual(t, sent[i].Sub(sent[i-5]), auth.PaceWindow)
	}
	assert.Equal(t, now.Add(2*auth.PaceWindow), sent[10], "the 11th goes two windows after the 1st")
}

func TestFetchCappedEndpoint(t *testing.T) {
	shared := auth.NewPacer(auth.PlanPremium.PerMinute())
	f, _ := auth.NewFetch("", mustKey(t), "/fins/summary", "code=1", shared, auth.Retry{})
	for i := range 60 {
		_, wait, ok := f.Next(now)
		require.True(t, ok)
		require.Zero(t, wait, "request %d", i+1)
		f.Receive(auth.PageAnswer{Status: 200, PaginationKey: fmt.Sprint("k", i)}, nil, now)
	}
	_, wait, _ := f.Next(now)
	assert.Equal(t, auth.PaceWindow, wait, "the 61st /fins/summary request in a minute waits")
	// The shared plan pacer counted them too.
	for range 440 {
		shared.Sent(now)
	}
	assert.Equal(t, auth.PaceWindow, shared.Wait(now))
}

func TestFetchRateLimited(t *testing.T) {
	shared := auth.NewPacer(500)
	f, _ := auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", shared, auth.Retry{})
	f.Next(now)
	step := f.Receive(auth.PageAnswer{Status: 429}, nil, now)
	assert.False(t, step.Done)
	assert.ErrorIs(t, step.Err, auth.ErrRateLimited)
	assert.Equal(t, time.Minute, step.Wait)
	// Never at once: not a nanosecond before the minute.
	_, wait, ok := f.Next(now.Add(time.Minute - time.Nanosecond))
	assert.True(t, ok)
	assert.Equal(t, time.Nanosecond, wait)
	assert.Equal(t, time.Nanosecond, shared.Wait(now.Add(time.Minute-time.Nanosecond)), "the hold covers every request with the key")
	req, wait, _ := f.Next(now.Add(time.Minute))
	assert.Zero(t, wait)
	assert.Contains(t, req.URL, "code=1")

	// A Retry-After longer than a minute is kept to.
	f, _ = auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), auth.Retry{})
	f.Next(now)
	step = f.Receive(auth.PageAnswer{Status: 429, RetryAfter: "150"}, nil, now)
	assert.Equal(t, 150*time.Second, step.Wait)

	// The third 429 in a row ends it (two retries by default).
	f, _ = auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), auth.Retry{})
	clock := now
	var last auth.FetchStep
	tries := 0
	for {
		_, wait, ok := f.Next(clock)
		if !ok {
			break
		}
		if wait > 0 {
			clock = clock.Add(wait)
			continue
		}
		tries++
		last = f.Receive(auth.PageAnswer{Status: 429}, nil, clock)
	}
	assert.Equal(t, 3, tries)
	assert.True(t, last.Done)
	assert.ErrorIs(t, last.Err, auth.ErrRateLimited)
	assert.Equal(t, now.Add(2*time.Minute), clock)
}

func TestFetchRetries(t *testing.T) {
	r := auth.Retry{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	f, _ := auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), r)
	f.Next(now)
	step := f.Receive(auth.PageAnswer{Status: 500}, nil, now)
	assert.False(t, step.Done)
	assert.ErrorIs(t, step.Err, auth.ErrUpstreamFailure)
	assert.True(t, 50*time.Millisecond <= step.Wait && step.Wait <= 100*time.Millisecond, "%v", step.Wait)
	_, wait, _ := f.Next(now)
	assert.Equal(t, step.Wait, wait)
	f.Next(now.Add(wait))
	step = f.Receive(auth.PageAnswer{}, errors.New("connection reset"), now.Add(wait))
	assert.False(t, step.Done)
	var ne *auth.NetworkError
	assert.ErrorAs(t, step.Err, &ne)
	assert.True(t, 100*time.Millisecond <= step.Wait && step.Wait <= 200*time.Millisecond, "%v", step.Wait)
	f.Next(now.Add(time.Hour))
	step = f.Receive(auth.PageAnswer{Status: 502}, nil, now.Add(time.Hour))
	assert.True(t, step.Done, "a third failure ends it")
	assert.ErrorIs(t, step.Err, auth.ErrUpstreamFailure)

	// A 503's Retry-After is taken, up to MaxRetryAfter.
	f, _ = auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), auth.Retry{MaxRetryAfter: 3 * time.Second})
	f.Next(now)
	assert.Equal(t, 2*time.Second, f.Receive(auth.PageAnswer{Status: 503, RetryAfter: "2"}, nil, now).Wait)
	f.Next(now.Add(time.Hour))
	assert.Equal(t, 3*time.Second, f.Receive(auth.PageAnswer{Status: 503, RetryAfter: "30"}, nil, now.Add(time.Hour)).Wait)

	// Success resets the count: a page, then two failures, then a page.
	f, _ = auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", auth.NewPacer(500), auth.Retry{MaxRetries: 1})
	clock := now
	outcomes := []auth.PageAnswer{{Status: 500}, {Status: 200, PaginationKey: "a"}, {Status: 500}, {Status: 200}}
	var steps []auth.FetchStep
	for len(outcomes) > 0 {
		_, wait, ok := f.Next(clock)
		require.True(t, ok)
		if wait > 0 {
			clock = clock.Add(wait)
			continue
		}
		steps = append(steps, f.Receive(outcomes[0], nil, clock))
		outcomes = outcomes[1:]
	}
	assert.True(t, steps[3].Done)
	assert.NoError(t, steps[3].Err)
	assert.Equal(t, 2, f.Pages())
}

func TestFetchEndsWithoutRetry(t *testing.T) {
	for _, tc := range []struct {
		pa   auth.PageAnswer
		err  error
		kind error
	}{
		{pa: auth.PageAnswer{Status: 403, Message: auth.MessageKeyInvalid}, kind: auth.ErrKeyInvalid},
		{pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-09-13 ~ 2026-09-11"}, kind: auth.ErrOutsidePlanDates},
		{pa: auth.PageAnswer{Status: 200, Malformed: true}, kind: auth.ErrUnexpectedAnswer},
		{pa: auth.PageAnswer{Status: 404}, kind: auth.ErrUnexpectedStatus},
		{err: context.Canceled, kind: context.Canceled},
		{err: fmt.Errorf("get: %w", context.DeadlineExceeded), kind: context.DeadlineExceeded},
	} {
		f, _ := auth.NewFetch("", mustKey(t), "/equities/bars/daily", "code=1", nil, auth.Retry{})
		f.Next(now)
		step := f.Receive(tc.pa, tc.err, now)
		assert.True(t, step.Done)
		assert.False(t, step.Page)
		assert.ErrorIs(t, step.Err, tc.kind)
		_, _, ok := f.Next(now)
		assert.False(t, ok)
	}
}
