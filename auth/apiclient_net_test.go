//go:build !js

// The V2 APIClient against the fake J-Quants server over loopback, and
// through the native proxy, on one settable clock: the fake counts its
// per-key limits on it and the client's Sleep moves it, so pacing is shown
// without waiting.

package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// clock is a settable time shared by the fake and the client.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

// v2Setup is the fake on a clock (a weekday afternoon in Japan) and a client
// for key at base ("" for the fake itself).
func v2Setup(t *testing.T, key string, plan auth.Plan) (*authtest.Server, *auth.APIClient, *clock) {
	t.Helper()
	fake := authtest.NewServer()
	t.Cleanup(fake.Close)
	clk := &clock{t: time.Date(2026, 12, 3, 5, 0, 0, 0, time.UTC)}
	fake.SetClock(clk.Now)
	c, err := authhttp.NewAPIClient(fake.URL, key, plan)
	require.NoError(t, err)
	c.Now, c.Sleep = clk.Now, clk.Sleep
	return fake, c, clk
}

func TestAPIClientCheckKey(t *testing.T) {
	_, c, _ := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	l, err := c.CheckKey(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "86970", l.Code)
	assert.Equal(t, "日本取引所グループ", l.CoName)
	assert.NotEmpty(t, l.MktNm)

	_, c, _ = v2Setup(t, authtest.KeyPrefix+"0000000000000000", auth.PlanFree)
	_, err = c.CheckKey(context.Background())
	assert.ErrorIs(t, err, auth.ErrKeyInvalid)
	assert.Equal(t, "key_invalid", auth.Code(err))
	assert.NotContains(t, err.Error(), authtest.KeyPrefix+"0000")
}

func TestNewAPIClientFromEnv(t *testing.T) {
	t.Setenv(authhttp.EnvAPIKey, " "+authtest.DemoKey+" ")
	c, err := authhttp.NewAPIClient("", "", auth.PlanLight)
	require.NoError(t, err)
	assert.Equal(t, authtest.DemoKey, c.Key.Value())
	assert.Equal(t, auth.PlanLight, c.Plan)
	t.Setenv(authhttp.EnvAPIKey, "")
	_, err = authhttp.NewAPIClient("", "", auth.PlanFree)
	assert.EqualError(t, err, "api key is required")
}

// rowsOf decodes a page's data.
func rowsOf(t *testing.T, p auth.Page) []map[string]any {
	t.Helper()
	var body struct {
		Data []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(p.Body, &body))
	return body.Data
}

// A Free fetch of 7 pages (after a key check): every page once, in order,
// never more than 5 requests in a minute, the waits made by the client.
func TestAPIClientPagesPacedForFree(t *testing.T) {
	fake, c, clk := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	_, err := c.CheckKey(context.Background())
	require.NoError(t, err)
	// One page of everything, then the same in pages of 10 rows.
	_, to := authtest.PlanWindow(auth.PlanFree, clk.Now())
	q := auth.Query("code", "86970", "from", to.AddDate(0, 0, -90).Format(time.DateOnly), "to", to.Format(time.DateOnly))
	fake.SetPageRows(0)
	clk.t = clk.t.Add(time.Hour)
	var whole []map[string]any
	for p, err := range c.Pages(context.Background(), "/equities/bars/daily", q) {
		require.NoError(t, err)
		whole = append(whole, rowsOf(t, p)...)
	}
	require.Greater(t, len(whole), 60)
	fake.SetPageRows(10)
	clk.t = clk.t.Add(time.Hour)
	start := clk.Now()
	fake.Reset()
	var paged []map[string]any
	pages := 0
	for p, err := range c.Pages(context.Background(), "/equities/bars/daily", q) {
		require.NoError(t, err)
		pages++
		assert.Equal(t, pages, p.Number)
		paged = append(paged, rowsOf(t, p)...)
	}
	t.Logf("%d rows in %d pages, waits %v", len(whole), pages, clk.sleeps)
	assert.Equal(t, whole, paged, "the pages joined are the whole")
	assert.Equal(t, (len(whole)+9)/10, pages)
	// Sent at the fake: never a sixth in any minute, and no 429.
	var at []time.Time
	for _, r := range fake.Requests() {
		at = append(at, r.Time)
	}
	require.Len(t, at, pages)
	for i := 5; i < len(at); i++ {
		assert.GreaterOrEqual(t, at[i].Sub(at[i-5]), time.Minute, "request %d", i+1)
	}
	assert.GreaterOrEqual(t, clk.Now().Sub(start), time.Duration((pages-1)/5)*auth.PaceWindow)
}

// A 429 (the key used elsewhere too) is waited out for a minute, never
// retried at once, and the fetch then goes on.
func TestAPIClientWaitsOutA429(t *testing.T) {
	fake, c, clk := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	other, err := authhttp.NewAPIClient(fake.URL, authtest.DemoKey, auth.PlanFree)
	require.NoError(t, err)
	other.Now = clk.Now
	for range 5 { // another program used up the minute
		_, err := other.CheckKey(context.Background())
		require.NoError(t, err)
	}
	l, err := c.CheckKey(context.Background())
	require.NoError(t, err, "after the wait")
	assert.Equal(t, "86970", l.Code)
	assert.Equal(t, []time.Duration{time.Minute}, clk.sleeps, "one wait of a minute, no retry at once")
	reqs := fake.Requests()
	require.Len(t, reqs, 7)
	assert.Equal(t, time.Minute, reqs[6].Time.Sub(reqs[5].Time))
}

func TestAPIClientErrors(t *testing.T) {
	_, c, clk := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	ctx := context.Background()
	collectPages := func(path, q string) error {
		for _, err := range c.Pages(ctx, path, q) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := collectPages("/fins/details", "code=86970")
	assert.ErrorIs(t, err, auth.ErrNotOnPlan)
	err = collectPages("/equities/bars/daily", "code=86970&date="+clk.Now().Format(time.DateOnly))
	var e *auth.Error
	require.True(t, errors.As(err, &e))
	assert.ErrorIs(t, err, auth.ErrOutsidePlanDates)
	from, to := authtest.PlanWindow(auth.PlanFree, clk.Now())
	assert.Equal(t, from.Format(time.DateOnly), e.From)
	assert.Equal(t, to.Format(time.DateOnly), e.To)
	err = collectPages("/equities/bars/daily", "")
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
	err = collectPages("/equities/nothing", "")
	assert.EqualError(t, err, "path is not a documented V2 endpoint")

	// A paid plan's open window.
	_, c, clk = v2Setup(t, authtest.DemoKeyLight, auth.PlanLight)
	err = collectPages("/equities/bars/daily", "code=86970&date=1990-01-04")
	require.True(t, errors.As(err, &e), "%v", err)
	assert.ErrorIs(t, err, auth.ErrOutsidePlanDates)
	assert.Empty(t, e.To)

	// Stopping: a canceled context ends the fetch with its error.
	_, c, _ = v2Setup(t, authtest.DemoKey, auth.PlanFree)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range c.Pages(cctx, "/markets/calendar", "") {
		assert.ErrorIs(t, err, context.Canceled)
	}
	// Breaking out of the loop after the first page sends nothing more.
	fake, c, _ := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	fake.SetPageRows(5)
	for range c.Pages(ctx, "/markets/calendar", "") {
		break
	}
	assert.Equal(t, 1, fake.Count())
	var nilTransport auth.APIClient
	for _, err := range nilTransport.Pages(ctx, "/markets/calendar", "") {
		assert.EqualError(t, err, "auth: APIClient.Transport is nil")
	}
}

// 210 is an empty page, the last.
func TestAPIClientPartial(t *testing.T) {
	_, c, _ := v2Setup(t, authtest.DemoKeyStandard, auth.PlanStandard)
	n := 0
	for p, err := range c.Pages(context.Background(), "/equities/bars/daily/am", "code=86970") {
		require.NoError(t, err)
		n++
		_ = p
	}
	assert.Equal(t, 1, n)
}

// Through the native proxy (base URL = the proxy), the same answers.
func TestAPIClientThroughProxy(t *testing.T) {
	fake, _, clk := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: &strings.Builder{}}, authhttp.Transport{})
	require.NoError(t, err)
	px := httptest.NewServer(h)
	t.Cleanup(px.Close)
	c, err := authhttp.NewAPIClient(px.URL, authtest.DemoKey, auth.PlanFree)
	require.NoError(t, err)
	c.Now, c.Sleep = clk.Now, clk.Sleep
	l, err := c.CheckKey(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "日本取引所グループ", l.CoName)
	fake.SetPageRows(7)
	_, to := authtest.PlanWindow(auth.PlanFree, clk.Now())
	q := auth.Query("code", "86970", "from", to.AddDate(0, 0, -20).Format(time.DateOnly), "to", to.Format(time.DateOnly))
	pages, rows := 0, 0
	for p, err := range c.Pages(context.Background(), "/equities/bars/daily", q) {
		require.NoError(t, err)
		pages++
		rows += len(rowsOf(t, p))
	}
	assert.GreaterOrEqual(t, pages, 2)
	assert.Equal(t, (rows+6)/7, pages)
	bad, err := authhttp.NewAPIClient(px.URL, authtest.KeyPrefix+"ffffffffffffffff", auth.PlanFree)
	require.NoError(t, err)
	_, err = bad.CheckKey(context.Background())
	assert.ErrorIs(t, err, auth.ErrKeyInvalid)
}
