package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

const secretKey = "k3y-Very-Secret-0123456789abcdef"

func TestNewAPIKey(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: secretKey, want: secretKey},
		{in: " \t" + secretKey + "\n", want: secretKey},
		{in: "!", want: "!"},
		{in: "~", want: "~"},
		{in: strings.Repeat("k", 256), want: strings.Repeat("k", 256)},
		{in: strings.Repeat("k", 257), err: "api key is longer than 256 bytes"},
		{in: "", err: "api key is required"},
		{in: "   ", err: "api key is required"},
		{in: "a b", err: "api key must be visible ASCII characters only"},
		{in: "a\x7fb", err: "api key must be visible ASCII characters only"},
		{in: "a\x1fb", err: "api key must be visible ASCII characters only"},
		{in: "キー", err: "api key must be visible ASCII characters only"},
	}
	for _, tc := range tests {
		k, err := auth.NewAPIKey(tc.in)
		if tc.err != "" {
			require.EqualError(t, err, tc.err, "%q", tc.in)
			assert.ErrorIs(t, err, auth.ErrInvalidInput)
			assert.True(t, k.IsZero())
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, k.Value())
		assert.False(t, k.IsZero())
	}
	assert.Equal(t, "", auth.APIKey{}.Value())
}

func TestAPIKeyFormattingHidesKey(t *testing.T) {
	k, err := auth.NewAPIKey(secretKey)
	require.NoError(t, err)
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%t", "%T"}
	r := formats(t, k, verbs)
	assertHidden(t, r, secretKey)
	assert.Contains(t, r["%v"], "[REDACTED]")
	assert.Contains(t, r["json"], "[REDACTED]")
	assert.Contains(t, r["slog json"], "[REDACTED]")
	// Nested in a request, too.
	req, err := auth.NewKeyCheck("", k)
	require.NoError(t, err)
	assertHidden(t, formats(t, req, verbs), secretKey)
}

func TestCheckQuery(t *testing.T) {
	ok := []string{
		"", "code=86970", "code=86970&from=2025-01-06&to=2025-03-31", "date=20250106",
		"pagination_key=abc%3D%3D", "name=%E6%97%A5%E6%9C%AC", "q=a+b", "empty=", "x=a=b",
		"a" + strings.Repeat("b", auth.MaxQueryBytes-3) + "=c", // exactly the limit
	}
	for _, q := range ok {
		assert.NoError(t, auth.CheckQuery(q), "%q", q)
	}
	bad := map[string]string{
		"code":                                "query must be name=value pairs joined by & (parameter 1)",
		"=1":                                  "query must be name=value pairs joined by & (parameter 1)",
		"code=1&":                             "query must be name=value pairs joined by & (parameter 2)",
		"code=1&&date=2":                      "query must be name=value pairs joined by & (parameter 2)",
		"co-de=1":                             "query parameter names are letters, digits and _ (parameter 1)",
		"code=1&da%74e=2":                     "query parameter names are letters, digits and _ (parameter 2)",
		"code=a b":                            "query values must be visible ASCII, percent-encoded where needed (parameter 1)",
		"code=a\x00":                          "query values must be visible ASCII, percent-encoded where needed (parameter 1)",
		"code=a\x7f":                          "query values must be visible ASCII, percent-encoded where needed (parameter 1)",
		"code=a#b":                            "query values must be visible ASCII, percent-encoded where needed (parameter 1)",
		"code=日本":                             "query values must be visible ASCII, percent-encoded where needed (parameter 1)",
		"code=%0A":                            "query values must not hold control characters (parameter 1)",
		"code=%7F":                            "query values must not hold control characters (parameter 1)",
		"code=%C2%85":                         "query values must not hold control characters (parameter 1)",
		"code=%ff":                            "query values must decode to UTF-8 text (parameter 1)",
		"code=%":                              "query a value has a malformed percent escape (parameter 1)",
		"code=%4":                             "query a value has a malformed percent escape (parameter 1)",
		"code=%4g":                            "query a value has a malformed percent escape (parameter 1)",
		"code=%g4":                            "query a value has a malformed percent escape (parameter 1)",
		strings.Repeat("a", 2049):             "query is longer than 2048 bytes",
		"code=1&" + strings.Repeat("a", 2042): "query is longer than 2048 bytes",
	}
	for q, want := range bad {
		err := auth.CheckQuery(q)
		require.Error(t, err, "%q", q)
		assert.Equal(t, want, err.Error(), "%q", q)
		assert.ErrorIs(t, err, auth.ErrInvalidInput)
	}
	// Each hex digit's edges.
	for _, q := range []string{"v=%09", "v=%0a", "v=%0A", "v=%0f", "v=%1F", "v=%7f"} {
		assert.EqualError(t, auth.CheckQuery(q), "query values must not hold control characters (parameter 1)", q)
	}
	for _, q := range []string{"v=%20", "v=%2F", "v=%2f", "v=%30", "v=%39", "v=%41", "v=%61", "v=%7E", "v=%C2%A0", "v=%7e", "v=%40", "v=%60"} {
		assert.NoError(t, auth.CheckQuery(q), q)
	}
	for _, q := range []string{"v=%/0", "v=%:0", "v=%@0", "v=%G0", "v=%`0", "v=%g0", "v=%0/", "v=%0:"} {
		assert.EqualError(t, auth.CheckQuery(q), "query a value has a malformed percent escape (parameter 1)", q)
	}
	for _, name := range []string{"a", "z", "A", "Z", "0", "9", "_"} {
		assert.NoError(t, auth.CheckQuery(name+"=1"), name)
	}
	for _, name := range []string{"`", "{", "@", "[", "/", ":", "-", "."} {
		assert.Error(t, auth.CheckQuery(name+"=1"), name)
	}
}

func TestQuery(t *testing.T) {
	assert.Equal(t, "code=86970&from=2025-01-06", auth.Query("code", "86970", "from", "2025-01-06"))
	assert.Equal(t, "q=a+b%26c%3D", auth.Query("q", "a b&c="))
	assert.Equal(t, "", auth.Query())
	assert.NoError(t, auth.CheckQuery(auth.Query("q", "日本 &=#\x7e")))
	assert.Panics(t, func() { auth.Query("odd") })
}

func TestNewV2Request(t *testing.T) {
	k, _ := auth.NewAPIKey(secretKey)
	r, err := auth.NewV2Request("http://127.0.0.1:1/", k, "/equities/bars/daily", "code=86970")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1/v2/equities/bars/daily?code=86970", r.URL)
	assert.Equal(t, secretKey, r.Key.Value())
	r, err = auth.NewV2Request("", k, "/markets/calendar", "")
	require.NoError(t, err)
	assert.Equal(t, "https://api.jquants.com/v2/markets/calendar", r.URL)

	for path, want := range map[string]string{
		"/equities/bars/daily/": "path is not a documented V2 endpoint",
		"/v2/equities/master":   "path is not a documented V2 endpoint",
		"/equities/Master":      "path is not a documented V2 endpoint",
		"":                      "path is not a documented V2 endpoint",
	} {
		_, err := auth.NewV2Request("", k, path, "")
		assert.EqualError(t, err, want, path)
	}
	_, err = auth.NewV2Request("", auth.APIKey{}, "/equities/master", "")
	assert.EqualError(t, err, "api key is required")
	_, err = auth.NewV2Request("", k, "/equities/master", "code=\x01")
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
}

func TestEndpointTable(t *testing.T) {
	eps := auth.V2Endpoints()
	require.Len(t, eps, 22)
	seen := map[string]bool{}
	for _, e := range eps {
		assert.False(t, seen[e.Path], "twice: %s", e.Path)
		seen[e.Path] = true
		got, ok := auth.LookupV2(e.Path)
		assert.True(t, ok)
		assert.Equal(t, e, got)
	}
	free := 0
	for _, e := range eps {
		if e.MinPlan == auth.PlanFree {
			free++
		}
	}
	assert.Equal(t, 5, free, "Free: master, daily bars, earnings calendar, fins/summary, markets/calendar")
	fs, _ := auth.LookupV2("/fins/summary")
	assert.Equal(t, 5, fs.PerMinuteOn(auth.PlanFree))
	assert.Equal(t, 60, fs.PerMinuteOn(auth.PlanLight))
	assert.Equal(t, 60, fs.PerMinuteOn(auth.PlanPremium))
	m, _ := auth.LookupV2("/equities/master")
	assert.Equal(t, 500, m.PerMinuteOn(auth.PlanPremium))
	eps[0].Path = "/changed"
	_, ok := auth.LookupV2("/changed")
	assert.False(t, ok, "V2Endpoints returns a copy")
}

func TestPlans(t *testing.T) {
	for name, want := range map[string]int{"free": 5, "Light": 60, "STANDARD": 120, "premium": 500} {
		p, ok := auth.ParsePlan(name)
		require.True(t, ok, name)
		assert.Equal(t, want, p.PerMinute())
		assert.Equal(t, strings.ToLower(name), p.String())
	}
	_, ok := auth.ParsePlan("gold")
	assert.False(t, ok)
	assert.Equal(t, "plan(9)", auth.Plan(9).String())
	assert.Equal(t, 5, auth.Plan(9).PerMinute())
	assert.Equal(t, auth.PlanFree, auth.Plan(0))
}

var now = time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)

func page(body string) auth.Answer {
	return auth.Answer{StatusCode: 200, Body: []byte(body)}
}

func TestReadPage(t *testing.T) {
	tests := []struct {
		name string
		a    auth.Answer
		want auth.PageAnswer
	}{
		{"last page", page(`{"data":[{"Code":"86970"}]}`), auth.PageAnswer{Status: 200}},
		{"more", page(`{"data":[],"pagination_key":"k2"}`), auth.PageAnswer{Status: 200, PaginationKey: "k2"}},
		{"key after data", page(`{"pagination_key":"k1","data":[{"pagination_key":"inner"}]}`), auth.PageAnswer{Status: 200, PaginationKey: "k1"}},
		{"only inside data", page(`{"data":[{"pagination_key":"inner"}],"x":{"pagination_key":"deep"}}`), auth.PageAnswer{Status: 200}},
		{"escaped key", page(`{"data":[],"pagination_key":"a\u002fb"}`), auth.PageAnswer{Status: 200, PaginationKey: "a/b"}},
		{"no data", page(`{"pagination_key":"k"}`), auth.PageAnswer{Status: 200, Malformed: true}},
		{"data not array", page(`{"data":{}}`), auth.PageAnswer{Status: 200, Malformed: true}},
		{"key not string", page(`{"data":[],"pagination_key":1}`), auth.PageAnswer{Status: 200, Malformed: true}},
		{"html", page(`<html>`), auth.PageAnswer{Status: 200, Malformed: true}},
		{"partial", auth.Answer{StatusCode: 210}, auth.PageAnswer{Status: 210}},
		{"error", auth.Answer{StatusCode: 403, Body: []byte(`{"message":"` + auth.MessageKeyInvalid + `"}`)}, auth.PageAnswer{Status: 403, Message: auth.MessageKeyInvalid}},
		{"429", auth.Answer{StatusCode: 429, Header: auth.Header{"Retry-After": {"120"}}}, auth.PageAnswer{Status: 429, RetryAfter: "120"}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, auth.ReadPage(tc.a), tc.name)
	}
}

func TestPageAnswerErr(t *testing.T) {
	tests := []struct {
		name  string
		pa    auth.PageAnswer
		kind  error // nil: a page
		code  string
		retry time.Duration
		from  string
		to    string
	}{
		{name: "200", pa: auth.PageAnswer{Status: 200, PaginationKey: "k"}},
		{name: "210", pa: auth.PageAnswer{Status: 210}},
		{name: "200 malformed", pa: auth.PageAnswer{Status: 200, Malformed: true}, kind: auth.ErrUnexpectedAnswer, code: auth.CodeUpstreamError},
		{name: "no key", pa: auth.PageAnswer{Status: 403, Message: "The api key is required."}, kind: auth.ErrKeyRequired, code: "key_required"},
		{name: "bad key", pa: auth.PageAnswer{Status: 403, Message: "The incoming api key is invalid or expired."}, kind: auth.ErrKeyInvalid, code: "key_invalid"},
		{name: "plan", pa: auth.PageAnswer{Status: 403, Message: "This API is not available on your subscription. Please upgrade."}, kind: auth.ErrNotOnPlan, code: "not_on_plan"},
		{name: "endpoint", pa: auth.PageAnswer{Status: 403, Message: "The requested endpoint does not exist. Check the path."}, kind: auth.ErrNoSuchEndpoint, code: "no_such_endpoint"},
		{name: "403 other", pa: auth.PageAnswer{Status: 403, Message: "Forbidden"}, kind: auth.ErrForbidden, code: "forbidden"},
		{name: "403 empty", pa: auth.PageAnswer{Status: 403}, kind: auth.ErrForbidden, code: "forbidden"},
		{name: "params", pa: auth.PageAnswer{Status: 400, Message: auth.MessageMissingParams}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "window", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-03-21 ~ 2026-03-21 . If you want more data, please check other plans."},
			kind: auth.ErrOutsidePlanDates, code: "outside_plan_dates", from: "2024-03-21", to: "2026-03-21"},
		{name: "window tight", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-03-21~2026-03-21"},
			kind: auth.ErrOutsidePlanDates, code: "outside_plan_dates", from: "2024-03-21", to: "2026-03-21"},
		{name: "window open", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2021-06-15 ~ . If you want more data, please check other plans."},
			kind: auth.ErrOutsidePlanDates, code: "outside_plan_dates", from: "2021-06-15"},
		{name: "window open, nothing after", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2021-06-15 ~"},
			kind: auth.ErrOutsidePlanDates, code: "outside_plan_dates", from: "2021-06-15"},
		{name: "window bad from", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2021-6-15 ~ 2026-03-21"}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "window garbled", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: soon ~ later"}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "window no tilde", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-03-21"}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "window short", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-03-21 ~ 2026-03"}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "window bad to", pa: auth.PageAnswer{Status: 400, Message: "Your subscription covers the following dates: 2024-03-21 ~ 2026/03/21"}, kind: auth.ErrInvalidInput, code: "invalid_input"},
		{name: "429", pa: auth.PageAnswer{Status: 429}, kind: auth.ErrRateLimited, code: "rate_limited", retry: time.Minute},
		{name: "429 short Retry-After", pa: auth.PageAnswer{Status: 429, RetryAfter: "5"}, kind: auth.ErrRateLimited, code: "rate_limited", retry: time.Minute},
		{name: "429 long Retry-After", pa: auth.PageAnswer{Status: 429, RetryAfter: "300"}, kind: auth.ErrRateLimited, code: "rate_limited", retry: 5 * time.Minute},
		{name: "500", pa: auth.PageAnswer{Status: 500}, kind: auth.ErrUpstreamFailure, code: "upstream_error"},
		{name: "503 Retry-After", pa: auth.PageAnswer{Status: 503, RetryAfter: "2"}, kind: auth.ErrUpstreamFailure, code: "upstream_error", retry: 2 * time.Second},
		{name: "599", pa: auth.PageAnswer{Status: 599}, kind: auth.ErrUpstreamFailure, code: "upstream_error"},
		{name: "600", pa: auth.PageAnswer{Status: 600}, kind: auth.ErrUnexpectedStatus, code: "upstream_error"},
		{name: "499", pa: auth.PageAnswer{Status: 499}, kind: auth.ErrUnexpectedStatus, code: "upstream_error"},
		{name: "404", pa: auth.PageAnswer{Status: 404}, kind: auth.ErrUnexpectedStatus, code: "upstream_error"},
		{name: "201", pa: auth.PageAnswer{Status: 201}, kind: auth.ErrUnexpectedStatus, code: "upstream_error"},
	}
	for _, tc := range tests {
		err := tc.pa.Err(now)
		if tc.kind == nil {
			assert.NoError(t, err, tc.name)
			continue
		}
		var e *auth.Error
		require.True(t, errors.As(err, &e), tc.name)
		assert.ErrorIs(t, err, tc.kind, tc.name)
		assert.Equal(t, tc.code, auth.Code(err), tc.name)
		assert.Equal(t, tc.retry, e.RetryAfter, tc.name)
		assert.Equal(t, tc.from, e.From, tc.name)
		assert.Equal(t, tc.to, e.To, tc.name)
		assert.Equal(t, tc.pa.Status, e.StatusCode, tc.name)
	}
	long := auth.PageAnswer{Status: 403, Message: strings.Repeat("m", 2000)}.Err(now).(*auth.Error)
	assert.Len(t, long.Message, auth.MaxMessageBytes)
}

func TestDecodeKeyCheck(t *testing.T) {
	row := `{"Date":"2026-12-04","Code":"86970","CoName":"日本取引所グループ","CoNameEn":"Japan Exchange Group,Inc.","S17":"16","S17Nm":"金融（除く銀行）","S33":"7200","S33Nm":"その他金融業","ScaleCat":"TOPIX Large70","Mkt":"0111","MktNm":"プライム","Mrgn":"1","MrgnNm":"信用"}`
	l, err := auth.DecodeKeyCheck(page(`{"data":[`+row+`]}`), now)
	require.NoError(t, err)
	assert.Equal(t, auth.Listing{Date: "2026-12-04", Code: "86970", CoName: "日本取引所グループ", CoNameEn: "Japan Exchange Group,Inc.",
		S17: "16", S17Nm: "金融（除く銀行）", S33: "7200", S33Nm: "その他金融業", ScaleCat: "TOPIX Large70",
		Mkt: "0111", MktNm: "プライム", Mrgn: "1", MrgnNm: "信用"}, l)

	for name, a := range map[string]auth.Answer{
		"empty data": page(`{"data":[]}`),
		"210":        {StatusCode: 210},
		"not object": page(`{"data":[1]}`),
		"no code":    page(`{"data":[{"CoName":"x"}]}`),
		"malformed":  page(`{"data":{}}`),
	} {
		_, err := auth.DecodeKeyCheck(a, now)
		assert.ErrorIs(t, err, auth.ErrUnexpectedAnswer, name)
	}
	_, err = auth.DecodeKeyCheck(auth.Answer{StatusCode: 403, Body: []byte(`{"message":"The incoming api key is invalid or expired."}`)}, now)
	assert.ErrorIs(t, err, auth.ErrKeyInvalid)
	assert.Equal(t, "auth: 403 api key invalid or expired: The incoming api key is invalid or expired.", err.Error())
}
