//go:build !js

package authtest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// These tests run the V2 fake behind a real server (httptest), through a
// client that sends only what each test sets: no Accept-Encoding of its own
// and no transparent gunzip.

// v2Now is a Monday, 13:00 in Japan: the morning session's bars are out.
var v2Now = time.Date(2026, 6, 15, 4, 0, 0, 0, time.UTC)

// freeWindow is the Free plan's message on v2Now, written out once by hand:
// 12 weeks before 2026-06-15 is 2026-03-23.
const freeWindow = "Your subscription covers the following dates: 2024-03-23 ~ 2026-03-23. If you want more data, please check other plans:https://jpx-jquants.com/#dataset"

type v2Answer struct {
	status int
	header http.Header
	body   []byte
}

// v2Fake is a fake on v2Now's clock and a raw client for it.
type v2Fake struct {
	*authtest.Server
	clk    *clock
	t      *testing.T
	client *http.Client
}

func newV2Fake(t *testing.T) *v2Fake {
	t.Helper()
	srv := authtest.NewServer()
	t.Cleanup(srv.Close)
	clk := &clock{t: v2Now}
	srv.SetClock(clk.Now)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &v2Fake{Server: srv, clk: clk, t: t, client: &http.Client{Transport: tr}}
}

// get sends GET target with key (if any) and header's name, value pairs.
func (f *v2Fake) get(key, target string, header ...string) v2Answer {
	f.t.Helper()
	return f.do(http.MethodGet, key, target, header...)
}

func (f *v2Fake) do(method, key, target string, header ...string) v2Answer {
	t := f.t
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.URL+target, nil)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set(auth.HeaderAPIKey, key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return v2Answer{resp.StatusCode, resp.Header, b}
}

// page is a V2 page decoded.
type page struct {
	Data          []map[string]any `json:"data"`
	PaginationKey string           `json:"pagination_key"`
}

func decodePage(t *testing.T, a v2Answer) page {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var p page
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	require.NotNil(t, p.Data, "data is [] when empty, never absent")
	return p
}

func TestV2Messages(t *testing.T) {
	// J-Quants' documented text is where each message starts.
	assert.Equal(t, "This API is not available on your subscription. If you want more data, please check other plans:https://jpx-jquants.com/#dataset", authtest.MessageNotOnPlan)
	assert.True(t, strings.HasPrefix(authtest.MessageNoSuchEndpoint, auth.MessageNoSuchEndpoint+" "))
	assert.Equal(t, freeWindow, authtest.SubscriptionMessage(auth.PlanFree, v2Now))
	assert.Equal(t, "Your subscription covers the following dates: 2021-06-15 ~ . If you want more data, please check other plans:https://jpx-jquants.com/#dataset", authtest.SubscriptionMessage(auth.PlanLight, v2Now))
	// The day turns in Japan: 2026-06-14 15:00 UTC is already the 15th there.
	assert.Equal(t, freeWindow, authtest.SubscriptionMessage(auth.PlanFree, time.Date(2026, 6, 14, 15, 0, 0, 0, time.UTC)))
	for p, years := range map[auth.Plan]int{auth.PlanLight: 5, auth.PlanStandard: 10, auth.PlanPremium: 20} {
		from, to := authtest.PlanWindow(p, v2Now)
		assert.Equal(t, time.Date(2026-years, 6, 15, 0, 0, 0, 0, time.UTC), from, p)
		assert.True(t, to.IsZero(), "no upper bound on %v", p)
	}
	// Keys look like keys, and each plan has one.
	for _, p := range []auth.Plan{auth.PlanFree, auth.PlanLight, auth.PlanStandard, auth.PlanPremium} {
		assert.Regexp(t, "^"+authtest.KeyPrefix+"[0-9a-f]{40}$", authtest.DemoKeyFor(p))
	}
	assert.Equal(t, authtest.DemoKey, authtest.DemoKeyFor(auth.PlanFree))
	assert.Empty(t, authtest.DemoKeyFor(auth.Plan(9)))
}

func TestV2Contract(t *testing.T) {
	free, light, standard, premium := authtest.DemoKey, authtest.DemoKeyLight, authtest.DemoKeyStandard, authtest.DemoKeyPremium
	tests := []struct {
		name   string
		method string // GET unless set
		key    string
		target string
		clock  time.Duration // added to v2Now
		status int
		body   string // exact; "" for a 200 page checked by rows
		rows   int    // rows of a 200 page
	}{
		// The key.
		{name: "no key", target: "/v2/equities/master?code=86970", status: 403, body: message(auth.MessageKeyRequired)},
		{name: "unknown key", key: authtest.KeyPrefix + strings.Repeat("0", 40), target: "/v2/equities/master?code=86970", status: 403, body: message(auth.MessageKeyInvalid)},
		{name: "a demo key cut short", key: free[:len(free)-1], target: "/v2/equities/master?code=86970", status: 403, body: message(auth.MessageKeyInvalid)},
		{name: "the key check", key: free, target: auth.V2Prefix + auth.KeyCheckPath + "?" + auth.KeyCheckQuery, status: 200, rows: 1},

		// The path and method, refused whatever the key.
		{name: "undocumented path", key: free, target: "/v2/equities/masters", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "undocumented path, no key", target: "/v2/listed/info", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "V2 root", key: free, target: "/v2/", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "V2 prefix alone", key: free, target: "/v2", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "trailing slash", key: free, target: "/v2/equities/master/", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "escaped slash", key: free, target: "/v2/equities%2Fmaster", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "escaped letter", key: free, target: "/v2/equities/%6Daster", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "upper case", key: free, target: "/v2/Equities/Master", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "POST", method: http.MethodPost, key: free, target: "/v2/equities/master", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "OPTIONS, a browser's preflight", method: http.MethodOptions, target: "/v2/equities/master", status: 403, body: message(authtest.MessageNoSuchEndpoint)},
		{name: "DELETE", method: http.MethodDelete, key: free, target: "/v2/equities/master", status: 403, body: message(authtest.MessageNoSuchEndpoint)},

		// The plan.
		{name: "Free: Standard's endpoint", key: free, target: "/v2/fins/details?code=86970", status: 403, body: message(authtest.MessageNotOnPlan)},
		{name: "Free: Light's endpoint", key: free, target: "/v2/indices/bars/daily/topix", status: 403, body: message(authtest.MessageNotOnPlan)},
		{name: "Light: its own endpoint", key: light, target: "/v2/indices/bars/daily/topix", status: 200, rows: 0},
		{name: "Light: Standard's endpoint", key: light, target: "/v2/equities/bars/daily/am", status: 403, body: message(authtest.MessageNotOnPlan)},
		{name: "Free: fins/summary, no data of the fake's", key: free, target: "/v2/fins/summary?code=86970", status: 200, rows: 0},
		{name: "Premium: bulk/list", key: premium, target: "/v2/bulk/list", status: 200, rows: 0},

		// Parameters.
		{name: "daily bars without code or date", key: free, target: "/v2/equities/bars/daily", status: 400, body: message(auth.MessageMissingParams)},
		{name: "daily bars with from and to only", key: free, target: "/v2/equities/bars/daily?from=2026-03-02&to=2026-03-06", status: 400, body: message(auth.MessageMissingParams)},
		{name: "daily bars with an empty code", key: free, target: "/v2/equities/bars/daily?code=", status: 400, body: message(auth.MessageMissingParams)},
		{name: "minute bars without code or date", key: standard, target: "/v2/equities/bars/minute", status: 400, body: message(auth.MessageMissingParams)},
		{name: "not a date", key: free, target: "/v2/equities/bars/daily?code=86970&date=2026-3-2", status: 400, body: message(authtest.MessageInvalidDate)},
		{name: "no such day", key: free, target: "/v2/equities/bars/daily?code=86970&date=20260230", status: 400, body: message(authtest.MessageInvalidDate)},
		{name: "a time is no date", key: free, target: "/v2/equities/bars/daily?code=86970&from=2026-03-02T00:00", status: 400, body: message(authtest.MessageInvalidDate)},

		// The plan's window, on the fake's clock.
		{name: "Free: the window's last day", key: free, target: "/v2/equities/bars/daily?code=86970&date=2026-03-23", status: 200, rows: 1},
		{name: "Free: a day after the window", key: free, target: "/v2/equities/bars/daily?code=86970&date=2026-03-24", status: 400, body: message(freeWindow)},
		{name: "Free: the window's first day", key: free, target: "/v2/equities/bars/daily?code=86970&date=20240325", status: 200, rows: 1},
		{name: "Free: a day before the window", key: free, target: "/v2/equities/bars/daily?code=86970&date=20240322", status: 400, body: message(freeWindow)},
		{name: "Free: from inside, to after", key: free, target: "/v2/equities/bars/daily?code=86970&from=2026-03-02&to=2026-06-12", status: 400, body: message(freeWindow)},
		{name: "Free: master on a day after the window", key: free, target: "/v2/equities/master?date=2026-06-12", status: 400, body: message(freeWindow)},
		{name: "Free: calendar to today", key: free, target: "/v2/markets/calendar?to=2026-06-15", status: 400, body: message(freeWindow)},
		{name: "Free: a week on, the window moved", key: free, target: "/v2/equities/bars/daily?code=86970&date=2026-03-24", clock: 7 * 24 * time.Hour, status: 200, rows: 1},
		{name: "Light: a day to come", key: light, target: "/v2/equities/bars/daily?code=86970&date=2026-06-16", status: 200, rows: 0},
		{name: "Light: today", key: light, target: "/v2/equities/bars/daily?code=86970&date=2026-06-15", status: 200, rows: 1},
		{name: "Light: six years back", key: light, target: "/v2/equities/bars/daily?code=86970&from=2020-06-15&to=2020-06-19", status: 400, body: message(authtest.SubscriptionMessage(auth.PlanLight, v2Now))},
		{name: "Standard: nine years back", key: standard, target: "/v2/equities/bars/daily?code=86970&from=2017-06-12&to=2017-06-16", status: 200, rows: 5},
		{name: "Premium: nineteen years back", key: premium, target: "/v2/equities/bars/daily?code=86970&from=2007-06-11&to=2007-06-15", status: 200, rows: 5},
		{name: "Premium: twenty-one years back", key: premium, target: "/v2/equities/bars/daily?code=86970&date=2005-06-15", status: 400, body: message(authtest.SubscriptionMessage(auth.PlanPremium, v2Now))},

		// Data.
		{name: "master, one issue by 5-digit code", key: free, target: "/v2/equities/master?code=86970", status: 200, rows: 1},
		{name: "master, by 4-digit code", key: free, target: "/v2/equities/master?code=8697", status: 200, rows: 1},
		{name: "master, an unlisted code", key: free, target: "/v2/equities/master?code=12340", status: 200, rows: 0},
		{name: "master, every issue", key: free, target: "/v2/equities/master", status: 200, rows: 6},
		{name: "daily bars, a week", key: free, target: "/v2/equities/bars/daily?code=86970&from=2026-03-16&to=2026-03-22", status: 200, rows: 5},
		{name: "daily bars, a Saturday", key: free, target: "/v2/equities/bars/daily?code=86970&date=2026-03-21", status: 200, rows: 0},
		{name: "daily bars, every issue on a day", key: free, target: "/v2/equities/bars/daily?date=2026-03-19", status: 200, rows: 6},
		{name: "daily bars, from after to", key: free, target: "/v2/equities/bars/daily?code=86970&from=2026-03-20&to=2026-03-16", status: 200, rows: 0},
		{name: "daily bars, a paid plan's future", key: standard, target: "/v2/equities/bars/daily?code=86970&from=2026-06-15&to=2026-07-15", status: 200, rows: 1},
		{name: "minute bars, a day", key: standard, target: "/v2/equities/bars/minute?code=86970&date=2026-06-12", status: 200, rows: 332},
		{name: "calendar, one day", key: free, target: "/v2/markets/calendar?date=2026-03-21", status: 200, rows: 1},
		{name: "calendar, a week", key: free, target: "/v2/markets/calendar?from=2026-03-16&to=2026-03-22", status: 200, rows: 7},
		{name: "calendar, a paid plan's year to come", key: light, target: "/v2/markets/calendar?from=2026-06-15&to=2027-06-14", status: 200, rows: 365},

		// 210: the morning session's bars come out at noon and go at 06:00.
		{name: "morning bars at 13:00", key: standard, target: "/v2/equities/bars/daily/am", status: 200, rows: 6},
		{name: "morning bars of one issue", key: standard, target: "/v2/equities/bars/daily/am?code=72030", status: 200, rows: 1},
		{name: "morning bars of an unlisted issue", key: standard, target: "/v2/equities/bars/daily/am?code=12340", status: auth.StatusPartial, body: `{"data":[]}`},
		{name: "morning bars at 10:00", key: standard, target: "/v2/equities/bars/daily/am", clock: -3 * time.Hour, status: auth.StatusPartial, body: `{"data":[]}`},
		{name: "morning bars at 05:59 the next day", key: standard, target: "/v2/equities/bars/daily/am", clock: 17*time.Hour - time.Minute, status: 200, rows: 6},
		{name: "morning bars at 06:00 the next day", key: standard, target: "/v2/equities/bars/daily/am", clock: 17 * time.Hour, status: auth.StatusPartial, body: `{"data":[]}`},
		{name: "morning bars on a Sunday afternoon", key: standard, target: "/v2/equities/bars/daily/am", clock: -24 * time.Hour, status: auth.StatusPartial, body: `{"data":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newV2Fake(t)
			srv.clk.Add(tt.clock)
			a := srv.do(cmpOr(tt.method, http.MethodGet), tt.key, tt.target)
			assert.Equal(t, tt.status, a.status)
			assert.Equal(t, "application/json", a.header.Get("Content-Type"))
			assert.Equal(t, fmt.Sprint(len(a.body)), a.header.Get("Content-Length"))
			assert.Empty(t, a.header.Get("Content-Encoding"), "no gzip unless asked")
			assert.Empty(t, a.header.Get("Retry-After"))
			assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"), "J-Quants sends no CORS headers")
			if tt.body != "" {
				assert.Equal(t, tt.body, string(a.body))
			} else {
				p := decodePage(t, a)
				assert.Len(t, p.Data, tt.rows)
				assert.Empty(t, p.PaginationKey, "one page")
			}
			require.Equal(t, 1, srv.Count())
			assert.Equal(t, cmpOr(tt.method, http.MethodGet), srv.Requests()[0].Method)
		})
	}
}

func TestV2MasterRow(t *testing.T) {
	get := newV2Fake(t).get
	for _, key := range []string{authtest.DemoKey, authtest.DemoKeyPremium} {
		p := decodePage(t, get(key, "/v2/equities/master?code=86970"))
		require.Len(t, p.Data, 1)
		row := p.Data[0]
		var fields []string
		for k, v := range row {
			fields = append(fields, k)
			assert.IsType(t, "", v, k)
		}
		sort.Strings(fields)
		assert.Equal(t, []string{"CoName", "CoNameEn", "Code", "Date", "Mkt", "MktNm", "Mrgn", "MrgnNm", "S17", "S17Nm", "S33", "S33Nm", "ScaleCat"}, fields)
		assert.Equal(t, "86970", row["Code"])
		assert.Equal(t, "日本取引所グループ", row["CoName"])
		assert.Equal(t, "Japan Exchange Group,Inc.", row["CoNameEn"])
		assert.Equal(t, "プライム", row["MktNm"])
		assert.Equal(t, "0111", row["Mkt"])
	}
	// The listing's date: the last business day the plan has data for.
	p := decodePage(t, get(authtest.DemoKey, "/v2/equities/master?code=86970"))
	assert.Equal(t, "2026-03-23", p.Data[0]["Date"], "Free: the window's end")
	p = decodePage(t, get(authtest.DemoKeyLight, "/v2/equities/master?code=86970"))
	assert.Equal(t, "2026-06-15", p.Data[0]["Date"], "Light: today")
	p = decodePage(t, get(authtest.DemoKeyLight, "/v2/equities/master?code=86970&date=20260613"))
	assert.Equal(t, "2026-06-13", p.Data[0]["Date"], "the day asked for")
	// A week on, the window ends on a Saturday: the listing is Friday's.
	srv := newV2Fake(t)
	srv.clk.Add(5 * 24 * time.Hour)
	p = decodePage(t, srv.get(authtest.DemoKey, "/v2/equities/master?code=86970"))
	assert.Equal(t, "2026-03-27", p.Data[0]["Date"])
	// Master rows as JSON keep V2's field order.
	a := get(authtest.DemoKey, "/v2/equities/master?code=86970")
	assert.True(t, bytes.HasPrefix(a.body, []byte(`{"data":[{"Date":"2026-03-23","Code":"86970","CoName":"日本取引所グループ","CoNameEn":"Japan Exchange Group,Inc.","S17":`)), "%s", a.body)
}

func TestV2DailyBars(t *testing.T) {
	get := newV2Fake(t).get
	p := decodePage(t, get(authtest.DemoKeyStandard, "/v2/equities/bars/daily?code=7203&from=2026-01-01&to=2026-06-15"))
	require.NotEmpty(t, p.Data)
	fields := []string{"Date", "Code", "O", "H", "L", "C", "UL", "LL", "Vo", "Va", "AdjFactor", "AdjO", "AdjH", "AdjL", "AdjC", "AdjVo"}
	last := ""
	for _, row := range p.Data {
		assert.Len(t, row, len(fields))
		for _, f := range fields {
			assert.Contains(t, row, f)
		}
		day, err := time.Parse(time.DateOnly, row["Date"].(string))
		require.NoError(t, err)
		assert.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, day.Weekday(), "business days only")
		assert.False(t, day.Month() == time.January && day.Day() <= 3, "no trading on 1-3 January")
		assert.Greater(t, row["Date"], last, "in order, once each")
		last = row["Date"].(string)
		assert.Equal(t, "72030", row["Code"])
		o, h, l, c := row["O"].(float64), row["H"].(float64), row["L"].(float64), row["C"].(float64)
		assert.GreaterOrEqual(t, h, max(o, c), row)
		assert.LessOrEqual(t, l, min(o, c), row)
		assert.Greater(t, l, 0.0)
		assert.Greater(t, row["Vo"].(float64), 0.0)
		assert.InDelta(t, row["Vo"].(float64)*(o+h+l+c)/4, row["Va"].(float64), 1)
		assert.Equal(t, 1.0, row["AdjFactor"])
		assert.Equal(t, c, row["AdjC"])
	}
	assert.Equal(t, "2026-01-05", p.Data[0]["Date"])
	assert.Equal(t, "2026-06-15", last)
	assert.Len(t, p.Data, 116, "business days from 2026-01-05 to 2026-06-15")

	// The same query on another fake, any time later, gives the same bytes;
	// another issue, other prices.
	other := newV2Fake(t).get
	target := "/v2/equities/bars/daily?code=86970&from=2026-03-02&to=2026-03-06"
	assert.Equal(t, string(get(authtest.DemoKey, target).body), string(other(authtest.DemoKey, target).body))
	assert.NotEqual(t,
		decodePage(t, get(authtest.DemoKey, target)).Data[0]["C"],
		decodePage(t, get(authtest.DemoKey, strings.Replace(target, "86970", "72030", 1))).Data[0]["C"])
}

func TestV2Gzip(t *testing.T) {
	get := newV2Fake(t).get // Premium: 500 requests a minute
	gunzip := func(b []byte) string {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return string(out)
	}
	for _, target := range []string{
		"/v2/equities/bars/daily?code=86970&from=2026-03-02&to=2026-03-20",
		"/v2/equities/bars/daily", // a 400
	} {
		plain := get(authtest.DemoKeyPremium, target)
		for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "identity, gzip"} {
			z := get(authtest.DemoKeyPremium, target, "Accept-Encoding", ae)
			assert.Equal(t, plain.status, z.status, ae)
			assert.Equal(t, "gzip", z.header.Get("Content-Encoding"), ae)
			assert.Equal(t, fmt.Sprint(len(z.body)), z.header.Get("Content-Length"), ae)
			assert.Equal(t, string(plain.body), gunzip(z.body), ae)
		}
		for _, ae := range []string{"", "identity", "gzip;q=0", "br", "deflate", "x-gzip"} {
			a := get(authtest.DemoKeyPremium, target, "Accept-Encoding", ae)
			assert.Empty(t, a.header.Get("Content-Encoding"), ae)
			assert.Equal(t, string(plain.body), string(a.body), ae)
		}
	}
	big := get(authtest.DemoKeyPremium, "/v2/equities/bars/daily?code=86970", "Accept-Encoding", "gzip")
	assert.Less(t, len(big.body)*3, len(gunzip(big.body)), "compressed a good deal: %d bytes", len(big.body))
}

// fetchAll follows pagination keys from target and returns every row and
// the keys seen.
func fetchAll(t *testing.T, get func(key, target string, header ...string) v2Answer, key, target string) (rows []map[string]any, keys []string) {
	t.Helper()
	next := target
	for range 1000 {
		p := decodePage(t, get(key, next))
		rows = append(rows, p.Data...)
		if p.PaginationKey == "" {
			return rows, keys
		}
		keys = append(keys, p.PaginationKey)
		next = target + "&" + url.Values{auth.FieldPaginationKey: {p.PaginationKey}}.Encode()
	}
	t.Fatal("more than 1000 pages")
	return nil, nil
}

func TestV2Paging(t *testing.T) {
	srv := newV2Fake(t)
	get := srv.get
	target := "/v2/equities/bars/daily?code=86970&from=2026-05-18&to=2026-06-12" // 20 business days
	whole, keys := fetchAll(t, get, authtest.DemoKeyLight, target)
	require.Len(t, whole, 20)
	assert.Empty(t, keys, "one page by default")

	srv.SetPageRows(7)
	paged, keys := fetchAll(t, get, authtest.DemoKeyLight, target)
	assert.Equal(t, whole, paged, "the pages hold every row once, in order")
	require.Len(t, keys, 2, "three pages: 7, 7 and 6 rows")
	assert.NotEqual(t, keys[0], keys[1], "the key changes every page")
	for _, k := range keys {
		assert.Regexp(t, `^[A-Za-z0-9_-]{22}$`, k)
	}

	// A key stays valid: asking again gives the same page (a retry after a 500).
	second := target + "&pagination_key=" + keys[0]
	assert.Equal(t, get(authtest.DemoKeyLight, second).body, get(authtest.DemoKeyLight, second).body)
	// The parameters' order does not matter; the key is the query's own.
	reordered := "/v2/equities/bars/daily?to=2026-06-12&pagination_key=" + keys[0] + "&from=2026-05-18&code=86970"
	assert.Equal(t, get(authtest.DemoKeyLight, second).body, get(authtest.DemoKeyLight, reordered).body)

	srv.SetPageRows(0)
	rest := decodePage(t, get(authtest.DemoKeyLight, second))
	assert.Equal(t, whole[7:], rest.Data, "a page size change keeps the key's place")

	srv.SetPageRows(7)
	_, otherServerKeys := func() ([]map[string]any, []string) {
		other := newV2Fake(t)
		other.SetPageRows(7)
		return fetchAll(t, other.get, authtest.DemoKeyLight, target)
	}()
	require.NotEmpty(t, otherServerKeys)
	assert.NotEqual(t, keys[0], otherServerKeys[0], "each fake signs its own keys")
	tampered := []byte(keys[0])
	tampered[3] ^= 1
	for name, bad := range map[string]string{
		"another fake's key":     target + "&pagination_key=" + otherServerKeys[0],
		"a key altered":          target + "&pagination_key=" + string(tampered),
		"another query's key":    "/v2/equities/bars/daily?code=72030&from=2026-05-18&to=2026-06-12&pagination_key=" + keys[0],
		"another endpoint's key": "/v2/markets/calendar?from=2026-05-18&to=2026-06-12&pagination_key=" + keys[0],
		"not base64":             target + "&pagination_key=" + url.QueryEscape("!!!!"),
		"a key too long":         target + "&pagination_key=" + keys[0] + "AAAA",
	} {
		a := get(authtest.DemoKeyLight, bad)
		assert.Equal(t, 400, a.status, name)
		assert.Equal(t, message(authtest.MessagePaginationKeyInvalid), string(a.body), name)
	}
	// An empty pagination_key asks for the first page.
	first := decodePage(t, get(authtest.DemoKeyLight, target+"&pagination_key="))
	assert.Equal(t, whole[:7], first.Data)
	assert.Equal(t, keys[0], first.PaginationKey)

	// The recorded query keeps the pagination key: it is no secret.
	reqs := srv.Requests()
	assert.Contains(t, reqs[len(reqs)-2].Query, "pagination_key=")
}

func TestV2BigPage(t *testing.T) {
	get := newV2Fake(t).get
	target := authtest.BigPageTarget(v2Now)
	assert.Equal(t, "/v2/equities/bars/minute?code=86970&from=2025-06-15&to=2026-06-15", target)
	a := get(authtest.DemoKeyStandard, target)
	require.Equal(t, 200, a.status)
	assert.LessOrEqual(t, len(a.body), authtest.PageBytes)
	assert.Greater(t, len(a.body), authtest.PageBytes-1000, "the page is cut at about PageBytes: %d bytes", len(a.body))
	first := decodePage(t, a)
	assert.NotEmpty(t, first.PaginationKey)
	assert.Equal(t, "2025-06-16", first.Data[0]["Date"], "a year back from a Monday starts on the next Monday")
	assert.Equal(t, "09:00", first.Data[0]["Time"])

	second := decodePage(t, get(authtest.DemoKeyStandard, target+"&pagination_key="+first.PaginationKey))
	assert.Empty(t, second.PaginationKey, "two pages")
	days := map[string]bool{}
	for _, row := range append(first.Data, second.Data...) {
		days[row["Date"].(string)] = true
	}
	assert.Equal(t, 332*len(days), len(first.Data)+len(second.Data), "332 minutes a day, every one once")
	assert.Equal(t, 52*5+1-3, len(days), "weekdays from 2025-06-16 to 2026-06-15 but 31 December, 1 and 2 January")

	// Gzip carries the same bytes, and asking again gives them again.
	z := get(authtest.DemoKeyStandard, target, "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(z.body))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(a.body, unzipped))
	t.Logf("big page: %d bytes, %d gzipped, %d rows", len(a.body), len(z.body), len(first.Data))

	// Free may not ask for it.
	assert.Equal(t, 403, get(authtest.DemoKey, target).status)
}

func TestV2RateLimit(t *testing.T) {
	for _, p := range []auth.Plan{auth.PlanFree, auth.PlanLight, auth.PlanStandard, auth.PlanPremium} {
		t.Run(p.String(), func(t *testing.T) {
			srv := newV2Fake(t)
			clk, get := srv.clk, srv.get
			key, other := srv.NewKey(p), srv.NewKey(p)
			for i := range p.PerMinute() {
				require.Equal(t, 200, get(key, "/v2/equities/master?code=86970").status, "request %d", i+1)
			}
			for range 2 { // refused requests do not count, nor end the wait
				a := get(key, "/v2/equities/master?code=86970")
				assert.Equal(t, 429, a.status)
				assert.Equal(t, message(authtest.MessageTooManyRequests), string(a.body))
				assert.Empty(t, a.header.Values("Retry-After"), "J-Quants sends no Retry-After")
			}
			assert.Equal(t, 200, get(other, "/v2/equities/master?code=86970").status, "another key has its own limit")
			clk.Add(time.Minute - time.Nanosecond)
			assert.Equal(t, 429, get(key, "/v2/equities/master?code=86970").status, "a minute is not over")
			clk.Add(time.Nanosecond)
			assert.Equal(t, 200, get(key, "/v2/equities/master?code=86970").status, "a minute on")
		})
	}
	t.Run("every request with a known key counts", func(t *testing.T) {
		srv := newV2Fake(t)
		get := srv.get
		key := srv.NewKey(auth.PlanFree)
		assert.Equal(t, 403, get(key, "/v2/fins/details").status)        // not on the plan
		assert.Equal(t, 400, get(key, "/v2/equities/bars/daily").status) // missing parameters
		assert.Equal(t, 403, get(key, "/v2/nope").status)                // undocumented: not counted
		assert.Equal(t, 403, get(key+"x", "/v2/equities/master").status) // unknown key: not counted
		for range 3 {
			assert.Equal(t, 200, get(key, "/v2/equities/master").status)
		}
		assert.Equal(t, 429, get(key, "/v2/equities/master").status)
		assert.Equal(t, 429, get(key, "/v2/fins/details").status, "the limit comes before the plan")
	})
	t.Run("fins/summary and fins/details take 60 a minute on any plan", func(t *testing.T) {
		srv := newV2Fake(t)
		clk, get := srv.clk, srv.get
		key := srv.NewKey(auth.PlanPremium)
		for i := range 60 {
			require.Equal(t, 200, get(key, "/v2/fins/summary?code=86970").status, "request %d", i+1)
		}
		assert.Equal(t, 429, get(key, "/v2/fins/summary?code=86970").status)
		assert.Equal(t, 200, get(key, "/v2/fins/details?code=86970").status, "each has its own 60")
		assert.Equal(t, 200, get(key, "/v2/equities/master").status, "the plan's 500 go on")
		clk.Add(time.Minute)
		assert.Equal(t, 200, get(key, "/v2/fins/summary?code=86970").status)
	})
	t.Run("Reset forgets the counts", func(t *testing.T) {
		srv := newV2Fake(t)
		get := srv.get
		for range 5 {
			get(authtest.DemoKey, "/v2/equities/master")
		}
		require.Equal(t, 429, get(authtest.DemoKey, "/v2/equities/master").status)
		srv.Reset()
		assert.Equal(t, 200, get(authtest.DemoKey, "/v2/equities/master").status)
	})
}

func TestV2Keys(t *testing.T) {
	srv := newV2Fake(t)
	get := srv.get
	custom := "My-Own-Key_0123456789"
	srv.AddKey(custom, auth.PlanLight)
	assert.Equal(t, 200, get(custom, "/v2/indices/bars/daily/topix").status)
	srv.AddKey(custom, auth.PlanFree) // replaced: the plan changed
	assert.Equal(t, 403, get(custom, "/v2/indices/bars/daily/topix").status)
	srv.RemoveKey(custom) // deleted or re-issued on the dashboard
	a := get(custom, "/v2/equities/master")
	assert.Equal(t, 403, a.status)
	assert.Equal(t, message(auth.MessageKeyInvalid), string(a.body))

	made := srv.NewKey(auth.PlanStandard)
	assert.Regexp(t, "^"+authtest.KeyPrefix+"[0-9a-f]{48}$", made)
	assert.NotEqual(t, made, srv.NewKey(auth.PlanStandard))
	assert.Equal(t, 200, get(made, "/v2/equities/bars/minute?code=86970&date=2026-06-12").status)

	for _, bad := range []string{"", "short", "has space in it", "tab\tin-the-key", "ünïcode-key-here", strings.Repeat("k", 257)} {
		assert.Panics(t, func() { srv.AddKey(bad, auth.PlanFree) }, "%q", bad)
	}
	assert.NotPanics(t, func() { srv.AddKey(strings.Repeat("k", 256), auth.PlanFree) })
}

func TestV2RequestsHoldNoKey(t *testing.T) {
	srv := newV2Fake(t)
	get := srv.get
	custom := "Custom-Key-Without-The-Prefix"
	srv.AddKey(custom, auth.PlanStandard)
	made := srv.NewKey(auth.PlanLight)
	unknown := authtest.KeyPrefix + "0123abcd"
	foreign := "A-Key-The-Fake-Does-Not-Know"
	secrets := []string{authtest.DemoKey, authtest.DemoKeyStandard, custom, made, unknown, foreign}

	get(authtest.DemoKey, "/v2/equities/master?code=86970", "Accept", "application/json", "Accept-Encoding", "gzip")
	get(custom, "/v2/equities/master?code=86970")
	get(made, "/v2/equities/master?code=86970")
	get(unknown, "/v2/equities/master?code=86970")
	get(foreign, "/v2/equities/master?code=86970")
	// Keys where they do not belong.
	get("", "/v2/equities/master?x-api-key="+foreign+"&code=86970")
	get("", "/v2/equities/master?X-API-KEY="+url.QueryEscape(foreign))
	get("", "/v2/equities/master?apikey="+authtest.DemoKeyStandard)
	get("", "/v2/equities/master?k="+url.QueryEscape(custom))
	get(authtest.DemoKey, "/v2/equities/master", "Authorization", "Bearer "+made, "X-Other", custom)
	get("", "/v2/"+authtest.DemoKey)
	get("", "/v2/"+custom+"/master")

	reqs := srv.Requests()
	require.Len(t, reqs, 12)
	for _, s := range strs(reflect.ValueOf(reqs)) {
		for _, sec := range secrets {
			assert.NotContains(t, s, sec, "a recorded string holds a key")
		}
		assert.NotContains(t, s, authtest.KeyPrefix)
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		printed := fmt.Sprintf(format, reqs)
		for _, sec := range secrets {
			assert.NotContains(t, printed, sec)
		}
	}

	// What is kept instead.
	assert.Equal(t, []string{authtest.Redacted}, reqs[0].Header.Values(auth.HeaderAPIKey))
	assert.Equal(t, "gzip", reqs[0].Header.Get("Accept-Encoding"))
	assert.Equal(t, "application/json", reqs[0].Header.Get("Accept"))
	assert.Equal(t, "code=86970", reqs[0].Query)
	assert.Equal(t, "/v2/equities/master", reqs[0].Path)
	for i, want := range []struct {
		sent bool
		plan string
	}{{true, "free"}, {true, "standard"}, {true, "light"}, {true, ""}, {true, ""}, {false, ""}} {
		assert.Equal(t, want.sent, reqs[i].KeySent, "request %d", i)
		assert.Equal(t, want.plan, reqs[i].KeyPlan, "request %d", i)
	}
	assert.Equal(t, "x-api-key=[REDACTED]&code=86970", reqs[5].Query)
	assert.Equal(t, "X-API-KEY=[REDACTED]", reqs[6].Query)
	assert.Equal(t, "apikey=[REDACTED]", reqs[7].Query)
	assert.Equal(t, "k=[REDACTED]", reqs[8].Query)
	assert.Equal(t, "Bearer [REDACTED]", reqs[9].Header.Get("Authorization"))
	assert.Equal(t, "[REDACTED]", reqs[9].Header.Get("X-Other"))
	assert.Equal(t, "/v2/[REDACTED]", reqs[10].Path)
	assert.Equal(t, "/v2/[REDACTED]/master", reqs[11].Path)

	// A removed key is still a secret: it stays out of what is recorded after.
	srv.RemoveKey(made)
	srv.RemoveKey(custom)
	get(made, "/v2/equities/master?k="+made)
	get(custom, "/v2/equities/master?k="+custom)
	for _, r := range srv.Requests()[12:] {
		assert.Equal(t, "k=[REDACTED]", r.Query)
		assert.Equal(t, []string{authtest.Redacted}, r.Header.Values(auth.HeaderAPIKey))
		assert.True(t, r.KeySent)
		assert.Empty(t, r.KeyPlan, "a key the fake no longer knows")
	}
}

func TestV2Faults(t *testing.T) {
	srv := newV2Fake(t)
	get := srv.get
	srv.SetFault(authtest.Fault{Path: "/v2/equities/bars/daily", Status: 500, Message: "Internal Server Error", Times: 1})
	assert.Equal(t, 200, get(authtest.DemoKey, "/v2/equities/master").status, "another path is answered")
	a := get(authtest.DemoKey, "/v2/equities/bars/daily?code=86970")
	assert.Equal(t, 500, a.status)
	assert.Equal(t, message("Internal Server Error"), string(a.body))
	assert.Equal(t, 200, get(authtest.DemoKey, "/v2/equities/bars/daily?code=86970").status, "the fault is spent")

	// A fault answers before the contract: no key needed, and the rate not counted.
	srv.SetFault(authtest.Fault{Path: "/v2/equities/master", Status: 500})
	assert.Equal(t, 500, get("", "/v2/equities/master").status)
	srv.ClearFault()
	for range 3 { // 5 a minute: two were counted above
		assert.Equal(t, 200, get(authtest.DemoKey, "/v2/equities/master").status)
	}
	assert.Equal(t, 429, get(authtest.DemoKey, "/v2/equities/master").status)
}

func TestV2StallBody(t *testing.T) {
	srv := newV2Fake(t)
	get := srv.get
	target := "/v2/equities/bars/daily?code=86970&from=2026-03-02&to=2026-03-20"
	whole := get(authtest.DemoKey, target)
	require.Equal(t, 200, whole.status)
	srv.SetFault(authtest.Fault{Path: "/v2/equities/bars/daily", StallBody: true})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+target, nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, authtest.DemoKey)
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err, "the status and headers come")
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, fmt.Sprint(len(whole.body)), resp.Header.Get("Content-Length"), "the whole body's length is promised")
	half := make([]byte, len(whole.body)/2)
	_, err = io.ReadFull(resp.Body, half)
	require.NoError(t, err, "half the body comes")
	assert.Equal(t, whole.body[:len(half)], half)

	rest := make(chan error, 1)
	go func() {
		_, err := resp.Body.Read(make([]byte, 1))
		rest <- err
	}()
	// Meanwhile the fake answers other requests, stalled or not.
	assert.Equal(t, 200, get(authtest.DemoKey, "/v2/equities/master").status)
	select {
	case err := <-rest:
		t.Fatalf("the stalled body went on: %v", err)
	default:
	}
	cancel() // the client goes away
	assert.Error(t, <-rest)

	// Closing the server ends a stalled answer too: once its headers are
	// here, the handler is stalled; Close returns, and the read fails.
	req, err = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+target, nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, authtest.DemoKey)
	resp, err = (&http.Client{Transport: tr}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	srv.Close()
	_, err = io.ReadAll(resp.Body)
	assert.Error(t, err)
}

func TestV2Calendar(t *testing.T) {
	p := decodePage(t, newV2Fake(t).get(authtest.DemoKeyLight, "/v2/markets/calendar?from=2025-12-29&to=2026-01-05"))
	var got []string
	for _, row := range p.Data {
		got = append(got, row["Date"].(string)[5:]+" "+row["HolDiv"].(string))
	}
	assert.Equal(t, []string{"12-29 1", "12-30 1", "12-31 0", "01-01 0", "01-02 0", "01-03 0", "01-04 0", "01-05 1"}, got)
}
