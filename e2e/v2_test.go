//go:build !js

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// The V2 API through both edges, one table: the Worker under wrangler dev
// and `go run .`, each against the same fake.

type edge struct{ name, url string }

func edges() []edge { return []edge{{"worker", worker.URL}, {"native", native.URL}} }

// rawClient sees answers as sent: no gzip undone on its behalf.
var rawClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}

// v2get sends GET base+target with header; a gzip body is undone here (so
// a test sees the bytes), and the answer is noted for the secrets scan.
func v2get(t *testing.T, base, target string, header map[string]string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+target, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := rawClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	body := raw
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		require.NoError(t, err)
		body, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	return makeReply(resp.StatusCode, resp.Header, string(body)), raw
}

func keyHeader(key string, more ...string) map[string]string {
	h := map[string]string{auth.HeaderAPIKey: key}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// assertProxyHeaders: what the proxy adds to every answer, CORS for origin.
func assertProxyHeaders(t *testing.T, r reply, origin string) {
	t.Helper()
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	assert.Contains(t, strings.Join(r.Header.Values("Vary"), ", "), "Origin")
	assert.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"))
}

func TestV2Preflight(t *testing.T) {
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			n := upstream.Count()
			pre := func(origin string) reply {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, e.url+"/v2/equities/master?code=86970", nil)
				require.NoError(t, err)
				req.Header.Set("Origin", origin)
				req.Header.Set("Access-Control-Request-Method", "GET")
				req.Header.Set("Access-Control-Request-Headers", "x-api-key")
				resp, err := client.Do(req)
				require.NoError(t, err)
				return newReply(t, resp)
			}
			r := pre(otherOrigin)
			assert.Equal(t, 204, r.Status)
			assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "x-api-key", r.Header.Get("Access-Control-Allow-Headers"))
			assert.Equal(t, "GET", r.Header.Get("Access-Control-Allow-Methods"))
			r = pre(strangerOrigin)
			assert.Equal(t, 403, r.Status)
			assert.Equal(t, "origin_not_allowed", r.code())
			assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
			assert.Equal(t, n, upstream.Count(), "a preflight never goes upstream")
		})
	}
}

func TestV2KeyCheckAndKeyErrors(t *testing.T) {
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			key := upstream.NewKey(auth.PlanFree)
			r, _ := v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(key, "Origin", otherOrigin))
			require.Equal(t, 200, r.Status, r.Body)
			assertProxyHeaders(t, r, otherOrigin)
			var page struct{ Data []auth.Listing }
			require.NoError(t, json.Unmarshal([]byte(r.Body), &page))
			require.Len(t, page.Data, 1)
			assert.Equal(t, "86970", page.Data[0].Code)
			assert.Equal(t, "日本取引所グループ", page.Data[0].CoName)

			// No key: J-Quants' own 403, from the proxy, nothing sent.
			n := upstream.Count()
			r, _ = v2get(t, e.url, "/v2/equities/master?code=86970", map[string]string{"Origin": otherOrigin})
			assert.Equal(t, 403, r.Status)
			assert.Equal(t, auth.MessageKeyRequired, r.message())
			assert.Equal(t, "key_required", r.code())
			assertProxyHeaders(t, r, otherOrigin)
			assert.Equal(t, n, upstream.Count())

			// A wrong key: J-Quants' 403, its body unchanged.
			wrong := authtest.KeyPrefix + "0badc0de0badc0de" + e.name
			r, _ = v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(wrong, "Origin", otherOrigin))
			assert.Equal(t, 403, r.Status)
			direct, _ := v2get(t, upstream.URL, "/v2/equities/master?code=86970", keyHeader(wrong))
			assert.Equal(t, direct.Body, r.Body)
			assert.Equal(t, auth.MessageKeyInvalid, r.message())
			assertProxyHeaders(t, r, otherOrigin)

			// Not on the plan: J-Quants' 403 as it came.
			r, _ = v2get(t, e.url, "/v2/fins/details?code=86970", keyHeader(key))
			assert.Equal(t, 403, r.Status)
			assert.True(t, strings.HasPrefix(r.message(), auth.MessageNotOnPlan), r.Body)
		})
	}
}

// A Free key's sixth call in a minute: J-Quants' 429 through the proxy.
func TestV2FreeRateLimitPassesThrough(t *testing.T) {
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			key := upstream.NewKey(auth.PlanFree)
			for i := range 5 {
				r, _ := v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(key))
				require.Equal(t, 200, r.Status, "call %d: %s", i+1, r.Body)
			}
			r, _ := v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(key, "Origin", otherOrigin))
			assert.Equal(t, 429, r.Status, r.Body)
			assertProxyHeaders(t, r, otherOrigin)
			assert.Empty(t, r.Header.Get("Retry-After"), "J-Quants sends none, and the proxy makes none up")
		})
	}
}

// dailyTarget is a query for about three months of daily bars a Standard key may ask for.
func dailyTarget() string {
	to := time.Now().AddDate(0, 0, -7)
	return "/v2/equities/bars/daily?" + auth.Query("code", "86970", "from", to.AddDate(0, -3, 0).Format(time.DateOnly), "to", to.Format(time.DateOnly))
}

type dailyPage struct {
	Data          []map[string]any `json:"data"`
	PaginationKey string           `json:"pagination_key"`
}

// A three-page fetch through each edge gives the rows of one page, in order;
// 210 is passed as it came.
func TestV2Pages(t *testing.T) {
	key := upstream.NewKey(auth.PlanStandard)
	whole, _ := v2get(t, upstream.URL, dailyTarget(), keyHeader(key))
	require.Equal(t, 200, whole.Status, whole.Body)
	var all dailyPage
	require.NoError(t, json.Unmarshal([]byte(whole.Body), &all))
	require.Greater(t, len(all.Data), 30)
	upstream.SetPageRows((len(all.Data) + 2) / 3)
	t.Cleanup(func() { upstream.SetPageRows(0) })
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			var rows []map[string]any
			keys := map[string]bool{}
			target := dailyTarget()
			for pages := 1; ; pages++ {
				require.LessOrEqual(t, pages, 3)
				r, _ := v2get(t, e.url, target, keyHeader(key, "Accept-Encoding", "gzip"))
				require.Equal(t, 200, r.Status, r.Body)
				var p dailyPage
				require.NoError(t, json.Unmarshal([]byte(r.Body), &p))
				rows = append(rows, p.Data...)
				if p.PaginationKey == "" {
					assert.Equal(t, 3, pages)
					break
				}
				assert.False(t, keys[p.PaginationKey], "pagination_key repeated")
				keys[p.PaginationKey] = true
				target = dailyTarget() + "&" + auth.Query(auth.FieldPaginationKey, p.PaginationKey)
			}
			assert.Equal(t, all.Data, rows)

			r, _ := v2get(t, e.url, "/v2/equities/bars/daily/am?code=99999", keyHeader(key))
			assert.Equal(t, auth.StatusPartial, r.Status, r.Body)
			direct, _ := v2get(t, upstream.URL, "/v2/equities/bars/daily/am?code=99999", keyHeader(key))
			assert.Equal(t, direct.Body, r.Body)
		})
	}
}

// What the proxy refuses never reaches J-Quants.
func TestV2Refusals(t *testing.T) {
	key := upstream.NewKey(auth.PlanStandard)
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			n := upstream.Count()
			for _, c := range []struct {
				name, method, target string
				status               int
				code                 string
			}{
				{"undocumented path", "GET", "/v2/equities/everything", 404, "not_found"},
				{"trailing slash", "GET", "/v2/equities/master/", 404, "not_found"},
				{"POST", "POST", "/v2/equities/master?code=86970", 405, "method_not_allowed"},
				{"DELETE", "DELETE", "/v2/equities/master", 405, "method_not_allowed"},
				{"control character", "GET", "/v2/equities/master?code=%0A", 400, "invalid_input"},
				{"NUL", "GET", "/v2/equities/master?code=%00", 400, "invalid_input"},
				{"query over 2 KiB", "GET", "/v2/equities/master?code=" + strings.Repeat("9", 2050), 400, "invalid_input"},
				{"not name=value", "GET", "/v2/equities/master?code", 400, "invalid_input"},
			} {
				req, err := http.NewRequestWithContext(t.Context(), c.method, e.url+c.target, nil)
				require.NoError(t, err)
				req.Header.Set(auth.HeaderAPIKey, key)
				resp, err := client.Do(req)
				require.NoError(t, err)
				r := newReply(t, resp)
				assert.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Body)
				assert.Equal(t, c.code, r.code(), c.name)
				assert.Equal(t, "no-store", r.Header.Get("Cache-Control"), c.name)
				if c.status == 405 {
					assert.Equal(t, "GET, OPTIONS", r.Header.Get("Allow"))
				}
			}
			assert.Equal(t, n, upstream.Count(), "requests to the fake")
		})
	}
}

// Only x-api-key, Accept and Accept-Encoding of ours go upstream; what the
// runtime adds on its own (Host, User-Agent, workerd's CF-Worker naming the
// Worker) carries nothing of the caller's.
func TestV2ForwardsOnlyTheKey(t *testing.T) {
	key := upstream.NewKey(auth.PlanStandard)
	callers := map[string]string{
		"Cookie": "session=e2e-v2-cookie", "Authorization": "Bearer e2e-v2-auth", "Origin": otherOrigin,
		"X-Forwarded-For": "198.51.100.40", "CF-Connecting-IP": "198.51.100.41", "Referer": otherOrigin + "/v2-referer",
		"X-Private": "e2e-v2-private", "Accept-Encoding": "gzip",
	}
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			r, _ := v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(key, slices.Collect(func(yield func(string) bool) {
				for k, v := range callers {
					if !yield(k) || !yield(v) {
						return
					}
				}
			})...))
			require.Equal(t, 200, r.Status, r.Body)
			got := lastRequest(t)
			assert.Equal(t, "/v2/equities/master", got.Path)
			assert.Equal(t, "code=86970", got.Query)
			assert.True(t, got.KeySent)
			assert.Equal(t, "standard", got.KeyPlan)
			assert.Equal(t, "application/json", got.Header.Get("Accept"))
			assert.Equal(t, "gzip", got.Header.Get("Accept-Encoding"))
			runtimeOwn := map[string]bool{"Host": true, "User-Agent": true, "Cf-Worker": true, "Connection": true, "X-Api-Key": true, "Accept": true, "Accept-Encoding": true}
			for name, vs := range got.Header {
				assert.True(t, runtimeOwn[name], "header %s went upstream", name)
				for _, v := range vs {
					for cn, cv := range callers {
						if cn != "Accept-Encoding" {
							assert.NotContains(t, v, cv, "the caller's %s in %s", cn, name)
						}
					}
				}
			}
			t.Logf("%s: upstream got headers %v", e.name, slices.Sorted(maps.Keys(got.Header)))
		})
	}
}

// A page of about 5 MB arrives byte for byte, gzip or not; workerd's memory
// stays put over 20 of them; a stalled body holds up no other request.
func TestV2BigPages(t *testing.T) {
	key := upstream.NewKey(auth.PlanStandard)
	// A year ending two days ago: no bar of it changes while the test runs.
	target := authtest.BigPageTarget(time.Now().AddDate(0, 0, -2))
	_, plain := v2get(t, upstream.URL, target, keyHeader(key))
	_, zipped := v2get(t, upstream.URL, target, keyHeader(key, "Accept-Encoding", "gzip"))
	require.Greater(t, len(plain), 4_500_000)
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			_, got := v2get(t, e.url, target, keyHeader(key, "Accept-Encoding", "identity"))
			assert.True(t, bytes.Equal(plain, got), "plain page: %d bytes, want %d", len(got), len(plain))
			_, got = v2get(t, e.url, target, keyHeader(key, "Accept-Encoding", "gzip"))
			assert.True(t, bytes.Equal(zipped, got), "gzip page: %d bytes, want %d", len(got), len(zipped))
		})
	}
	before, err := worker.WorkerdRSS()
	require.NoError(t, err)
	for range 20 {
		_, got := v2get(t, worker.URL, target, keyHeader(key, "Accept-Encoding", "identity"))
		require.Equal(t, len(plain), len(got))
	}
	after, err := worker.WorkerdRSS()
	require.NoError(t, err)
	grew := float64(after-before) / (1 << 20)
	t.Logf("workerd RSS %.1f MiB before 20 pages of %d bytes, %.1f MiB after (+%.1f MiB)", float64(before)/(1<<20), len(plain), float64(after)/(1<<20), grew)
	noteSummary(fmt.Sprintf("V2 5 MB pages: byte-identical on both edges, workerd RSS +%.1f MiB over 20", grew))
	assert.Less(t, grew, 20.0, "MiB")
}

func TestV2StalledBody(t *testing.T) {
	key := upstream.NewKey(auth.PlanStandard)
	upstream.SetFault(authtest.Fault{Path: "/v2/equities/bars/daily", StallBody: true})
	t.Cleanup(upstream.ClearFault)
	for _, e := range edges() {
		t.Run(e.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.url+dailyTarget(), nil)
			require.NoError(t, err)
			req.Header.Set(auth.HeaderAPIKey, key)
			stalled, err := rawClient.Do(req)
			require.NoError(t, err)
			defer stalled.Body.Close()
			assert.Equal(t, 200, stalled.StatusCode)
			for range 3 {
				r, _ := v2get(t, e.url, "/v2/equities/master?code=86970", keyHeader(key))
				assert.Equal(t, 200, r.Status, "beside a stalled body")
			}
		})
	}
}

// The official Python client's V2 request (requests.Session with its
// headers; jquants-api-client's ClientV2._get), byte for byte over TCP:
// the same status and body through each edge as from the fake.
func TestV2PythonClientReplayed(t *testing.T) {
	key := upstream.NewKey(auth.PlanFree)
	request := func(host string) string {
		return "GET /v2/equities/master?code=86970 HTTP/1.1\r\n" +
			"Host: " + host + "\r\n" +
			"User-Agent: jqapi-python-v2/2.0.0 p/3.12.3\r\n" +
			"Accept-Encoding: gzip, deflate\r\n" +
			"Accept: */*\r\n" +
			"Connection: keep-alive\r\n" +
			"x-api-key: " + key + "\r\n\r\n"
	}
	replay := func(base string) (int, string) {
		host := strings.TrimPrefix(base, "http://")
		r, _ := rawExchange(t, base, request(host), nil, nil)
		return r.Status, r.Body
	}
	wantStatus, wantBody := replay(upstream.URL)
	require.Equal(t, 200, wantStatus)
	for _, e := range edges() {
		status, body := replay(e.url)
		assert.Equal(t, wantStatus, status, e.name)
		assert.Equal(t, wantBody, body, e.name)
	}
}
