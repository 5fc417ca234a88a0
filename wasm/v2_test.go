//go:build js && wasm

package main

import (
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

const apiKey = "fake-api-key-0123456789abcdef"

// clockAt returns a new epoch-ms time an hour after the last one it gave:
// the pacers live as long as the module, so each test starts clear of the
// sends of the tests before it.
var lastClock = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

func clockAt() float64 {
	lastClock = lastClock.Add(time.Hour)
	return float64(lastClock.UnixMilli())
}

// begin starts a fetch and returns its handle.
func beginFetch(t *testing.T, kind, path string, query any, plan any) int {
	t.Helper()
	v := do("fetchBegin", kind, " "+apiKey+"\n", base, path, query, plan)
	if keys(v) != "handle" {
		t.Fatalf("fetchBegin = %s", stringify(v))
	}
	return v.Get("handle").Int()
}

// next asks for the request to send at now, failing unless there is one.
func next(t *testing.T, h int, now float64) string {
	t.Helper()
	v := do("fetchNext", h, now)
	if keys(v) != "url,apiKey" {
		t.Fatalf("fetchNext = %s, want { url, apiKey }", stringify(v))
	}
	if got := v.Get("apiKey").String(); got != apiKey {
		t.Errorf("apiKey %q, want the key trimmed", got)
	}
	return v.Get("url").String()
}

// page is a 200 page summed up as jquants-auth.mjs does; key "" for none.
func page(h int, key string, now float64) js.Value {
	var pk any = js.Null()
	if key != "" {
		pk = key
	}
	return do("fetchReceive", h, 200, js.Null(), pk, js.Null(), js.Null(), false, "", now, js.Null())
}

// errorAnswer is an error answer with message (and code, "" for none).
func errorAnswer(h, status int, retryAfter any, message, code string, now float64) js.Value {
	var c any = js.Null()
	if code != "" {
		c = code
	}
	return do("fetchReceive", h, status, retryAfter, js.Null(), message, c, false, "", now, js.Null())
}

func wantStep(t *testing.T, v js.Value, pageWant, done bool) {
	t.Helper()
	if v.Get("page").Bool() != pageWant || v.Get("done").Bool() != done {
		t.Fatalf("fetchReceive = %s, want page %v, done %v", stringify(v), pageWant, done)
	}
}

func TestFetchFollowsPaginationKey(t *testing.T) {
	now := clockAt()
	h := beginFetch(t, "get", "/equities/bars/daily", obj{"code", "86970", "from", "2026-06-01", "n", "3"}, "light")
	if got, want := next(t, h, now), base+"/v2/equities/bars/daily?code=86970&from=2026-06-01&n=3"; got != want {
		t.Errorf("first url %q, want %q", got, want)
	}
	wantStep(t, page(h, "k/1+", now), true, false)
	if got, want := next(t, h, now), base+"/v2/equities/bars/daily?code=86970&from=2026-06-01&n=3&pagination_key=k%2F1%2B"; got != want {
		t.Errorf("second url %q, want %q", got, want)
	}
	wantStep(t, page(h, "", now), true, true)
	if v := do("fetchNext", h, now); keys(v) != "done" {
		t.Errorf("after the last page, fetchNext = %s", stringify(v))
	}
}

// Free: five requests in a minute, then a wait until the first of them is
// a PaceWindow old; the pace is the plan's, shared by every fetch on it.
func TestFetchPacesFree(t *testing.T) {
	now := clockAt()
	for i := range 5 {
		h := beginFetch(t, "check", "", nil, js.Undefined())
		next(t, h, now+float64(i*1000))
		do("fetchEnd", h)
	}
	h := beginFetch(t, "get", "/markets/calendar", nil, "FREE")
	v := do("fetchNext", h, now+5000)
	if keys(v) != "waitMs" || v.Get("waitMs").Int() != int(auth.PaceWindow.Milliseconds())-5000 {
		t.Fatalf("sixth request: fetchNext = %s, want a wait of %d ms", stringify(v), auth.PaceWindow.Milliseconds()-5000)
	}
	next(t, h, now+float64(auth.PaceWindow.Milliseconds()))
	// Another plan has a pace of its own.
	next(t, beginFetch(t, "check", "", nil, "standard"), now+5000)
}

// A 429 is waited out for at least a minute, never retried at once; the
// plan's pace holds every fetch until then.
func TestFetch429Waits(t *testing.T) {
	now := clockAt()
	h := beginFetch(t, "get", "/equities/master", nil, "premium")
	next(t, h, now)
	v := errorAnswer(h, 429, js.Null(), "Too Many Requests", "", now)
	wantStep(t, v, false, false)
	if ms := v.Get("waitMs").Int(); ms != 60000 {
		t.Errorf("waitMs %d, want 60000", ms)
	}
	e := v.Get("error")
	if e.Get("code").String() != "rate_limited" || e.Get("retryAfter").Int() != 60 {
		t.Errorf("error %s", stringify(e))
	}
	if w := do("fetchNext", h, now+1000).Get("waitMs").Int(); w != 59000 {
		t.Errorf("retry waits %d ms, want 59000", w)
	}
	another := beginFetch(t, "check", "", nil, "premium")
	if w := do("fetchNext", another, now+1000).Get("waitMs").Int(); w != 59000 {
		t.Errorf("another fetch on the plan waits %d ms, want 59000", w)
	}
	// A key check does not wait a 429 out: it is the answer.
	next(t, another, now+60000)
	v = errorAnswer(another, 429, "120", "", "", now+60000)
	wantStep(t, v, false, true)
	if e := v.Get("error"); e.Get("retryAfter").Int() != 120 || e.Get("message").String() != "Too many requests; wait a minute and try again." {
		t.Errorf("check's 429: %s", stringify(e))
	}
}

func TestFetchErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		message string
		code    string // the body's code member
		want    string
		wantMsg string
	}{
		{"no key", 403, "The api key is required.", "", "key_required", "The api key is required."},
		{"no key, from the proxy", 403, "The api key is required.", "key_required", "key_required", "The api key is required."},
		{"wrong key", 403, "The incoming api key is invalid or expired.", "", "key_invalid", "The incoming api key is invalid or expired."},
		{"plan", 403, "This API is not available on your subscription. If you want more data, please check other plans:https://jpx-jquants.com/#dataset", "", "not_on_plan", "This API is not available on your subscription. If you want more data, please check other plans:https://jpx-jquants.com/#dataset."},
		{"path", 403, "The requested endpoint does not exist. Please check the URL.", "", "no_such_endpoint", "The requested endpoint does not exist. Please check the URL."},
		{"another 403", 403, "Forbidden", "", "forbidden", "Forbidden."},
		{"no message", 403, "", "", "forbidden", "The server refused the request."},
		{"parameters", 400, "This API requires at least 1 parameter as follows; date, code", "", "invalid_input", "This API requires at least 1 parameter as follows; date, code."},
		{"the proxy's own", 502, "could not reach the J-Quants API", "upstream_unreachable", "upstream_unreachable", "Could not reach the J-Quants API."},
		{"a code that is no code", 404, "Not Found", "<b>", "upstream_error", "Not Found."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := clockAt()
			h := beginFetch(t, "get", "/equities/bars/daily", obj{"code", "86970"}, "premium")
			next(t, h, now)
			v := errorAnswer(h, tc.status, js.Null(), tc.message, tc.code, now)
			if !v.Get("done").Bool() {
				// A 5xx earns retries; the last one is the answer.
				for i := 0; i < auth.DefaultMaxRetries; i++ {
					now += float64(v.Get("waitMs").Int())
					next(t, h, now)
					v = errorAnswer(h, tc.status, js.Null(), tc.message, tc.code, now)
				}
			}
			wantStep(t, v, false, true)
			e := v.Get("error")
			if e.Get("code").String() != tc.want || e.Get("status").Int() != tc.status || e.Get("message").String() != tc.wantMsg {
				t.Errorf("error %s, want code %q, message %q", stringify(e), tc.want, tc.wantMsg)
			}
			if strings.Contains(stringify(e), apiKey) {
				t.Error("the key is in the error")
			}
		})
	}
}

func TestFetchOutsidePlanDates(t *testing.T) {
	for msg, to := range map[string]any{
		"Your subscription covers the following dates: 2024-09-13 ~ 2026-09-13. If you want more data, please check other plans:https://jpx-jquants.com/#dataset": "2026-09-13",
		"Your subscription covers the following dates: 2024-09-13 ~ . If you want more data":                                                                      nil,
	} {
		now := clockAt()
		h := beginFetch(t, "get", "/equities/bars/daily", obj{"code", "86970", "from", "2020-01-01"}, nil)
		next(t, h, now)
		v := errorAnswer(h, 400, js.Null(), msg, "", now)
		wantStep(t, v, false, true)
		e := v.Get("error")
		if e.Get("code").String() != "outside_plan_dates" || e.Get("from").String() != "2024-09-13" || !e.Get("to").Equal(js.ValueOf(to)) {
			t.Errorf("%q: error %s, want from 2024-09-13, to %v", msg, stringify(e), to)
		}
	}
}

// 210: an empty page, the last. A malformed 200 is an error, not a page.
func TestFetchPartialAndMalformed(t *testing.T) {
	now := clockAt()
	h := beginFetch(t, "get", "/equities/bars/daily/am", nil, "standard")
	next(t, h, now)
	wantStep(t, do("fetchReceive", h, 210, js.Null(), js.Null(), js.Null(), js.Null(), true, "", now, js.Null()), true, true)

	h = beginFetch(t, "get", "/equities/master", nil, "standard")
	next(t, h, now)
	v := do("fetchReceive", h, 200, js.Null(), js.Null(), js.Null(), js.Null(), true, "", now, js.Null())
	wantStep(t, v, false, true)
	wantError(t, js.Global().Get("Object").Call("fromEntries", js.ValueOf([]any{[]any{"error", v.Get("error")}})), "upstream_error", 200)
}

func TestFetchFaults(t *testing.T) {
	for _, tc := range []struct {
		fault, code, message string
		status               int
	}{
		{"timeout", "timeout", "No answer came in time.", 0},
		{"canceled", "canceled", "The call was canceled.", 0},
		{"too_large", "upstream_error", "Page is larger than 16 MiB.", 200},
	} {
		now := clockAt()
		h := beginFetch(t, "get", "/equities/master", nil, "standard")
		next(t, h, now)
		v := do("fetchReceive", h, tc.status, js.Null(), js.Null(), js.Null(), js.Null(), false, tc.fault, now, js.Null())
		wantStep(t, v, false, true)
		if e := v.Get("error"); e.Get("code").String() != tc.code || e.Get("message").String() != tc.message || e.Get("status").Int() != tc.status {
			t.Errorf("%s: error %s", tc.fault, stringify(e))
		}
	}
	// A failed request is tried again, after a backoff.
	now := clockAt()
	h := beginFetch(t, "get", "/equities/master", nil, "standard")
	next(t, h, now)
	v := do("fetchReceive", h, 0, js.Null(), js.Null(), js.Null(), js.Null(), false, "network", now, js.Null())
	wantStep(t, v, false, false)
	if ms := v.Get("waitMs").Int(); ms < 100 || ms > 200 || v.Get("error").Get("code").String() != "network" {
		t.Errorf("network failure: %s, want a retry after 100–200 ms", stringify(v))
	}
}

// The key check: its one page ends it, if its first row is a listing.
func TestFetchKeyCheck(t *testing.T) {
	now := clockAt()
	h := beginFetch(t, "check", "ignored", "ignored", nil)
	if got, want := next(t, h, now), base+"/v2/equities/master?code=86970"; got != want {
		t.Errorf("url %q, want %q", got, want)
	}
	row := obj{"CoName", "日本取引所グループ", "Code", "86970"}
	wantStep(t, do("fetchReceive", h, 200, js.Null(), "more", js.Null(), js.Null(), false, "", now, row), true, true)

	// No row, or a first row without a Code string, is no listing.
	for _, row := range []any{js.Null(), obj{}, obj{"Code", 86970}, obj{"Code", ""}, obj{"Row", obj{"Code", "86970"}}, other{}, "86970"} {
		now := clockAt() // clear of Free's pace
		h = beginFetch(t, "check", "", nil, nil)
		next(t, h, now)
		v := do("fetchReceive", h, 200, js.Null(), js.Null(), js.Null(), js.Null(), false, "", now, row)
		wantStep(t, v, false, true)
		if e := v.Get("error"); e.Get("code").String() != "upstream_error" || e.Get("message").String() != "The key check's page has no listing." {
			t.Errorf("first row %v: %s", row, stringify(e))
		}
	}
}

func TestFetchBeginRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
		want string // in the message
	}{
		{"no key", []any{"get", "", base, "/equities/master"}, "The API key is required."},
		{"key not a string", []any{"check", 42, base}, "must be a string"},
		{"key with a space", []any{"check", "abc def", base}, "visible ASCII"},
		{"bad baseURL", []any{"check", apiKey, "ftp://x"}, "baseURL"},
		{"undocumented path", []any{"get", apiKey, base, "/equities/secret"}, "documented"},
		{"path not a string", []any{"get", apiKey, base, 1}, "path must be a string"},
		{"query an array", []any{"get", apiKey, base, "/equities/master", other{}}, "plain object"},
		{"query a string", []any{"get", apiKey, base, "/equities/master", "code=1"}, "plain object"},
		{"query value an object", []any{"get", apiKey, base, "/equities/master", obj{"code", obj{}}}, "strings or numbers"},
		{"query name", []any{"get", apiKey, base, "/equities/master", obj{"co de", "1"}}, "parameter names"},
		{"pagination_key", []any{"get", apiKey, base, "/equities/master", obj{"pagination_key", "x"}}, "pagination_key"},
		{"plan", []any{"get", apiKey, base, "/equities/master", nil, "gold"}, "The plan must be"},
		{"plan not a string", []any{"get", apiKey, base, "/equities/master", nil, 1}, "The plan must be a string."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, do("fetchBegin", tc.args...), "invalid_input", 0)
			if msg := e.Get("message").String(); !strings.Contains(msg, tc.want) || strings.Contains(msg, apiKey) {
				t.Errorf("message %q, want it to contain %q (and no key)", msg, tc.want)
			}
		})
	}
	wantError(t, do("fetchBegin", "post", apiKey, base), "internal", 0)
	wantError(t, do("fetchReceive", 1<<30, 200), "internal", 0)
}

// fetchEnd forgets the fetch, and a late one cannot end another fetch.
func TestFetchEnd(t *testing.T) {
	now := clockAt()
	held := len(fetches)
	a := beginFetch(t, "get", "/equities/master", nil, "premium")
	do("fetchEnd", a)
	if v := do("fetchNext", a, now); keys(v) != "done" {
		t.Errorf("fetchNext after fetchEnd = %s", stringify(v))
	}
	b := beginFetch(t, "get", "/equities/master", nil, "premium")
	if b == a {
		t.Fatalf("handle %d reused", a)
	}
	do("fetchEnd", a)
	next(t, b, now)
	if n := len(fetches) - held; n != 1 {
		t.Errorf("%d more fetches held, want 1", n)
	}
	do("fetchEnd", b)
}
