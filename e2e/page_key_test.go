//go:build !js

package e2e

// The page's first screen, the API key (V2), and its first real call, a
// stock's daily closes as a chart, in real Chromium against the shared
// `wrangler dev` Worker and fake J-Quants; each state checked by axe-core
// for serious and critical accessibility violations.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyTexts are the sentences the page must show, by language.
var keyTexts = map[string]struct {
	title, check, invalid, works, chartName, waiting, stopped string
	rateLimited                                               *regexp.Regexp
	countdown                                                 *regexp.Regexp
}{
	"en": {
		title:       "J-Quants API key",
		check:       "Check key",
		invalid:     "J-Quants did not accept this API key: it is wrong, or it was deleted or re-issued on the dashboard.",
		works:       "The key works: it fetched JPX's own listing, Japan Exchange Group,Inc. (86970), Prime Market.",
		chartName:   "Daily closes of Japan Exchange Group,Inc. (86970)",
		waiting:     `^Waiting (\d+) s: the Free plan allows 5 requests a minute\.$`,
		stopped:     "Stopped: nothing more will be fetched.",
		rateLimited: regexp.MustCompile(`^Too many requests with this key: wait 60 seconds\. The button counts down and works again at zero\.$`),
		countdown:   regexp.MustCompile(`^Try again in (59|60) s$`),
	},
	"ja": {
		title:       "J-Quants API キー",
		check:       "キーを確認",
		invalid:     "J-Quants がこの API キーを受け付けませんでした。誤っているか、ダッシュボードで削除または再発行されています。",
		works:       "キーは有効です。JPX の銘柄情報を取得しました: 日本取引所グループ（86970）、プライム市場。",
		chartName:   "日本取引所グループ（86970）の日々の終値",
		waiting:     `^(\d+) 秒待っています（Free プランは 1 分間に 5 リクエストまで）。$`,
		stopped:     "中止しました。これ以上は取得しません。",
		rateLimited: regexp.MustCompile(`^このキーのリクエストが多すぎます。60 秒お待ちください。`),
		countdown:   regexp.MustCompile(`^(59|60) 秒後に再試行できます$`),
	},
}

// keyPageState is what the API-key part of the page shows.
type keyPageState struct {
	Heading          string     `json:"heading"`
	KeyVisible       bool       `json:"keyVisible"`
	KeyType          string     `json:"keyType"`
	KeyAutocomplete  string     `json:"keyAutocomplete"`
	KeyName          string     `json:"keyName"`
	KeyValue         string     `json:"keyValue"`
	IssuerLink       string     `json:"issuerLink"`
	IssuerTarget     string     `json:"issuerTarget"`
	V1Open           bool       `json:"v1Open"`
	V1Summary        string     `json:"v1Summary"`
	CheckLabel       string     `json:"checkLabel"`
	CheckDisabled    bool       `json:"checkDisabled"`
	CheckPrimary     bool       `json:"checkPrimary"`
	KeyOK            string     `json:"keyOk"`
	KeyOKVisible     bool       `json:"keyOkVisible"`
	Alerts           []string   `json:"alerts"`
	ChartStepVisible bool       `json:"chartStepVisible"`
	Code             string     `json:"code"`
	Range            string     `json:"range"`
	GetChartPrimary  bool       `json:"getChartPrimary"`
	GetChartDisabled bool       `json:"getChartDisabled"`
	StopVisible      bool       `json:"stopVisible"`
	Progress         string     `json:"progress"`
	ChartVisible     bool       `json:"chartVisible"`
	SVGRole          string     `json:"svgRole"`
	SVGName          string     `json:"svgName"`
	SVGDesc          string     `json:"svgDesc"`
	Points           int        `json:"points"`
	TableRows        [][]string `json:"tableRows"`
	TableVisible     bool       `json:"tableVisible"`
	Focused          string     `json:"focused"`
	Storage          int        `json:"storage"` // localStorage, sessionStorage and IndexedDB entries
	Cookie           string     `json:"cookie"`
	Href             string     `json:"href"`
	Lang             string     `json:"lang"`
}

const keyPageStateJS = `(async () => {
  const $ = (id) => document.getElementById(id);
  const visible = (el) => !!el && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  const svg = document.querySelector("#chart-plot svg");
  const names = (ids) => (ids ?? "").split(" ").map((id) => $(id)?.textContent ?? "");
  const link = document.querySelector("#api-key-hint a");
  return {
    heading: document.querySelector("h1").textContent,
    keyVisible: visible($("api-key")),
    keyType: $("api-key").type,
    keyAutocomplete: $("api-key").autocomplete,
    keyName: $("api-key").name,
    keyValue: $("api-key").value,
    issuerLink: link?.href ?? "",
    issuerTarget: link?.target ?? "",
    v1Open: $("v1").open,
    v1Summary: document.querySelector("#v1 > summary").textContent,
    checkLabel: $("check-key-label").textContent,
    checkDisabled: $("check-key").disabled,
    checkPrimary: $("check-key").classList.contains("primary"),
    keyOk: $("key-ok").textContent,
    keyOkVisible: visible($("key-ok")),
    alerts: [...document.querySelectorAll("[role=alert]")].filter(visible).map((el) => el.textContent.trim()),
    chartStepVisible: visible($("chart-step")),
    code: $("code").value,
    range: $("range").textContent,
    getChartPrimary: $("get-chart").classList.contains("primary"),
    getChartDisabled: $("get-chart").disabled,
    stopVisible: visible($("stop")),
    progress: $("progress").textContent,
    chartVisible: visible($("chart")),
    svgRole: svg?.getAttribute("role") ?? "",
    svgName: names(svg?.getAttribute("aria-labelledby"))[0] ?? "",
    svgDesc: names(svg?.getAttribute("aria-labelledby"))[1] ?? "",
    points: (svg?.querySelector("polyline")?.getAttribute("points") ?? "").split(" ").filter(Boolean).length,
    tableRows: [...document.querySelectorAll("#chart-table tbody tr")].map((tr) => [...tr.cells].map((c) => c.textContent)),
    tableVisible: visible($("chart-table")),
    focused: document.activeElement?.id ?? "",
    storage: localStorage.length + sessionStorage.length + (await indexedDB.databases()).length,
    cookie: document.cookie,
    href: location.href,
    lang: document.documentElement.lang,
  };
})()`

func (b *pageBrowser) keyState(t *testing.T) keyPageState {
	t.Helper()
	var s keyPageState
	b.eval(t, keyPageStateJS, &s)
	return s
}

// waitKeyOutcome waits until the key check has ended: the key works, or an
// alert, with the button back.
func (b *pageBrowser) waitKeyOutcome(t *testing.T) keyPageState {
	t.Helper()
	b.run(t, chromedp.Poll(`(!document.getElementById("key-ok").hidden || !document.getElementById("key-error").hidden)
		&& document.getElementById("key-form").getAttribute("aria-busy") === "false"`, nil,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	return b.keyState(t)
}

// pasteKey puts text in the API key field as a paste does, replacing what
// is there, and presses "Check key".
func (b *pageBrowser) pasteKey(t *testing.T, text string) keyPageState {
	t.Helper()
	arg, err := json.Marshal(text)
	require.NoError(t, err)
	b.run(t, chromedp.Evaluate(`(() => {
  const el = document.getElementById("api-key");
  el.focus();
  el.select();
  const data = new DataTransfer();
  data.setData("text/plain", `+string(arg)+`);
  if (el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }))) {
    el.setRangeText(data.getData("text/plain"), el.selectionStart, el.selectionEnd, "end"); // as the browser would
  }
})()`, nil))
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#check-key", chromedp.ByID))
	return b.waitKeyOutcome(t)
}

// typeKey types key into the empty API key field and presses "Check key".
func (b *pageBrowser) typeKey(t *testing.T, key string) keyPageState {
	t.Helper()
	b.run(t,
		chromedp.Evaluate(`document.getElementById("api-key").value = ""`, nil),
		chromedp.SendKeys("#api-key", key, chromedp.ByID),
	)
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#check-key", chromedp.ByID))
	return b.waitKeyOutcome(t)
}

// freeCloses is what the fake has of JPX Group's daily closes over the span
// the page asks a Free key for: the last 3 months of Free's window. It asks
// with the Premium demo key, whose rate is not the test's to spend.
func freeCloses(t *testing.T) (from, to string, rows [][]string) {
	t.Helper()
	_, end := authtest.PlanWindow(auth.PlanFree, time.Now())
	from, to = end.AddDate(0, -3, 0).Format(time.DateOnly), end.Format(time.DateOnly)
	req, err := http.NewRequest(http.MethodGet, upstream.URL+auth.V2Prefix+"/equities/bars/daily?"+auth.Query("code", "86970", "from", from, "to", to), nil)
	require.NoError(t, err)
	req.Header.Set(auth.HeaderAPIKey, authtest.DemoKeyPremium)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var page struct {
		Data []struct {
			Date string
			C    float64
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	for _, r := range page.Data {
		rows = append(rows, []string{r.Date, fmt.Sprint(r.C)})
	}
	return from, to, rows
}

// useUpMinute spends key's rate for this minute on the fake, as another
// program with the same key would.
func useUpMinute(t *testing.T, key string, plan auth.Plan) {
	t.Helper()
	_, end := authtest.PlanWindow(plan, time.Now())
	for range plan.PerMinute() {
		req, err := http.NewRequest(http.MethodGet, upstream.URL+auth.V2Prefix+"/markets/calendar?date="+end.Format(time.DateOnly), nil)
		require.NoError(t, err)
		req.Header.Set(auth.HeaderAPIKey, key)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
}

// assertKeyNowhere checks that key is in no URL the tab requested, no line
// the page logged, and no storage: localStorage, sessionStorage, IndexedDB
// and the browser's cookies are empty; nor in the query of a V2 request the
// fake got from the since'th on.
func assertKeyNowhere(t *testing.T, b *pageBrowser, key string, since int) {
	t.Helper()
	for _, r := range b.requests() {
		assert.NotContains(t, r.URL, key, "a URL the tab requested holds the API key")
	}
	for _, m := range b.log() {
		assert.NotContains(t, m.Text, key, "the page logged the API key")
	}
	s := b.keyState(t)
	assert.Zero(t, s.Storage, "localStorage, sessionStorage and IndexedDB entries")
	assert.Empty(t, s.Cookie)
	assert.NotContains(t, s.Href, key)
	var cookies []*storageCookie
	b.run(t, chromedp.ActionFunc(func(ctx context.Context) error {
		all, err := storage.GetCookies().Do(ctx)
		for _, c := range all {
			cookies = append(cookies, &storageCookie{c.Name, c.Domain})
		}
		return err
	}))
	assert.Empty(t, cookies, "the browser's cookies")
	for _, r := range upstream.Requests()[since:] {
		if strings.HasPrefix(r.Path, auth.V2Prefix) {
			assert.NotContains(t, r.Query, authtest.Redacted, "a key in the query of %s", r.Path)
		}
	}
}

type storageCookie struct{ Name, Domain string }

// ---- axe-core -------------------------------------------------------------

var axeSource struct {
	once sync.Once
	js   string
	err  error
}

// axeViolation is one rule axe found broken, with up to 5 of its nodes.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// assertAxe runs axe-core (node_modules/axe-core, a devDependency) on the
// page as it is and fails on any serious or critical violation. The script
// goes in through DevTools' Runtime.evaluate, which the page's CSP does not
// govern, so the page runs with its own CSP unchanged.
func assertAxe(t *testing.T, b *pageBrowser, state string) {
	t.Helper()
	axeSource.once.Do(func() {
		root, err := wranglerdev.RepoRoot()
		if err != nil {
			axeSource.err = err
			return
		}
		src, err := os.ReadFile(filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
		axeSource.js, axeSource.err = string(src), err
	})
	require.NoError(t, axeSource.err, "axe-core (npm ci installs it)")
	var loaded bool
	b.eval(t, `typeof globalThis.axe?.run === "function"`, &loaded)
	if !loaded {
		b.run(t, chromedp.Evaluate(axeSource.js, nil))
	}
	var violations []axeViolation
	b.eval(t, `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({
  id: v.id, impact: v.impact ?? "", help: v.help,
  nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
})))`, &violations)
	serious := 0
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			serious++
			t.Errorf("axe, %s: %s violation %s (%s) at %s", state, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		} else {
			t.Logf("axe, %s: %s violation %s (%s) at %s", state, v.Impact, v.ID, v.Help, strings.Join(v.Nodes, ", "))
		}
	}
	t.Logf("axe, %s: %d violations, %d serious or critical", state, len(violations), serious)
}

// ---- the tests -------------------------------------------------------------

// TestPageAPIKey: in English and Japanese, at 360 and 1280 px, the first
// screen is the API-key form; a wrong key gets the invalid-key sentence; a
// pasted demo key (white space around it) works and shows JPX Group's row;
// then "Show daily closes" draws JPX Group's closes over the last 3 months
// Free covers, with its accessible name and its table; the retired V1 form
// is one click below. The key is in no URL, storage or console line. Each
// state passes axe and is saved as a screenshot.
func TestPageAPIKey(t *testing.T) {
	from, to, closes := freeCloses(t)
	require.Greater(t, len(closes), 50, "the fake's closes")
	b := newPageBrowser(t)
	first := true
	for _, lang := range []string{"en", "ja"} {
		for _, width := range []int{360, 1280} {
			t.Run(fmt.Sprintf("%s-%d", lang, width), func(t *testing.T) {
				want := keyTexts[lang]
				// The fake's demo key once; fresh Free keys after it, each
				// with a minute of its own on the fake.
				key := upstream.NewKey(auth.PlanFree)
				if first {
					key, first = authtest.DemoKey, false
				}
				since := upstream.Count()
				b.run(t, chromedp.EmulateViewport(int64(width), 800, chromedp.EmulateScale(1)))
				href := worker.URL + "/?lang=" + lang
				b.openKeyPage(t, href)
				name := func(s string) string { return fmt.Sprintf("page-%s-%d-%s.png", lang, width, s) }

				s := b.keyState(t)
				assert.Equal(t, want.title, s.Heading)
				assert.Equal(t, lang, s.Lang)
				assert.True(t, s.KeyVisible, "the API key field is not on the first screen")
				assert.Equal(t, "password", s.KeyType)
				assert.Equal(t, "off", s.KeyAutocomplete)
				assert.Empty(t, s.KeyName, "a name would let a form submission carry the key")
				assert.Equal(t, "https://jpx-jquants.com/", s.IssuerLink, "the link to where keys are issued")
				assert.Equal(t, "_blank", s.IssuerTarget)
				assert.Equal(t, want.check, s.CheckLabel)
				assert.True(t, s.CheckPrimary)
				assert.False(t, s.V1Open, "the V1 form is open on the first screen")
				assert.Contains(t, s.V1Summary, "2026")
				assert.False(t, s.ChartStepVisible, "the chart before the key worked")
				assertPageLayout(t, b, width)
				assertAxe(t, b, "first screen")
				pageScreenshot(t, b, width, name("key"))

				wrong := authtest.KeyPrefix + "0badc0de0badc0de0badc0de"
				s = b.typeKey(t, wrong)
				assert.Equal(t, []string{want.invalid}, s.Alerts)
				assert.False(t, s.KeyOKVisible)
				assert.False(t, s.ChartStepVisible)
				assert.Equal(t, "key-error", s.Focused, "the alert takes the focus")
				assertPageLayout(t, b, width)
				assertAxe(t, b, "invalid key")
				pageScreenshot(t, b, width, name("key-invalid"))

				n := upstream.Count()
				s = b.pasteKey(t, "  "+key+"\n")
				assert.Equal(t, key, s.KeyValue, "the pasted key, trimmed")
				require.Empty(t, s.Alerts)
				assert.Equal(t, want.works, s.KeyOK)
				assert.True(t, s.KeyOKVisible)
				assert.Equal(t, "key-ok", s.Focused)
				assert.Equal(t, 1, upstream.Count()-n, "requests to the fake for the check")
				// The next step is the primary button now.
				assert.False(t, s.CheckPrimary, `"Check key" is still the primary button`)
				assert.True(t, s.ChartStepVisible)
				assert.True(t, s.GetChartPrimary)
				assert.Equal(t, "86970", s.Code)
				assert.Contains(t, s.Range, from)
				assert.Contains(t, s.Range, to)
				assertAxe(t, b, "key works")

				n = upstream.Count()
				waitWorkerAnswers(t)
				b.run(t,
					chromedp.Click("#get-chart", chromedp.ByID),
					chromedp.Poll(`(!document.getElementById("chart").hidden || !document.getElementById("chart-error").hidden)
						&& !document.getElementById("get-chart").disabled`, nil,
						chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)),
				)
				s = b.keyState(t)
				require.Empty(t, s.Alerts)
				assert.Equal(t, 1, upstream.Count()-n, "one request for the closes: JPX's row came with the check")
				assert.True(t, s.ChartVisible)
				assert.Equal(t, "img", s.SVGRole)
				assert.Equal(t, want.chartName, s.SVGName, "the chart's accessible name")
				assert.Contains(t, s.SVGDesc, closes[0][0], "the chart's description names its first day")
				assert.Equal(t, len(closes), s.Points, "points on the line")
				assert.False(t, s.TableVisible, "the table shows before its disclosure is opened")
				require.Len(t, s.TableRows, len(closes))
				assert.Equal(t, closes[0][0], s.TableRows[0][0])
				assert.Equal(t, closes[len(closes)-1][0], s.TableRows[len(closes)-1][0])
				assert.Equal(t, strings.ReplaceAll(s.TableRows[0][1], ",", ""), closes[0][1], "the first close")
				assert.Regexp(t, `^\d+ `, s.Progress)
				assert.False(t, s.StopVisible)
				assertPageLayout(t, b, width)
				assertAxe(t, b, "chart")
				pageScreenshot(t, b, width, name("chart"))
				b.run(t, chromedp.Click("#chart-data > summary", chromedp.ByQuery))
				assert.True(t, b.keyState(t).TableVisible, "the table behind the disclosure")
				assertPageLayout(t, b, width)
				assertAxe(t, b, "chart and table")

				// The retired login, one click away.
				b.run(t,
					chromedp.Click("#v1 > summary", chromedp.ByQuery),
					chromedp.WaitVisible("#mailaddress", chromedp.ByID),
				)
				assertAxe(t, b, "V1 form open")
				assertKeyNowhere(t, b, key, since)
				assert.Equal(t, href, b.keyState(t).Href, "the URL changed")
				for _, m := range b.log() {
					// Chromium itself logs the wrong key's 403; the page adds nothing.
					wrongKeys403 := m.Source == "log:network" && strings.Contains(m.Text, "403 (Forbidden)") &&
						strings.Contains(m.Text, auth.V2Prefix+auth.KeyCheckPath+"?"+auth.KeyCheckQuery)
					if m.isError() && !wrongKeys403 {
						t.Errorf("page logged an error: %s", m)
					}
				}
			})
		}
	}
}

// TestPageStopPacedFetch: on Free, a check and four pages use the minute's
// five requests; the page then shows the pacing wait counting down, with a
// Stop button. Stop ends the fetch: nothing more is sent, the page says it
// stopped, and the chart button is back.
func TestPageStopPacedFetch(t *testing.T) {
	upstream.SetPageRows(10) // ~64 rows: 7 pages
	t.Cleanup(func() { upstream.SetPageRows(0) })
	b := newPageBrowser(t)
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			want := keyTexts[lang]
			key := upstream.NewKey(auth.PlanFree)
			since := upstream.Count()
			b.run(t, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(1)))
			b.openKeyPage(t, worker.URL+"/?lang="+lang)
			require.Equal(t, want.works, b.typeKey(t, key).KeyOK)

			n := upstream.Count()
			waitWorkerAnswers(t)
			waiting := regexp.MustCompile(want.waiting)
			b.run(t,
				chromedp.Click("#get-chart", chromedp.ByID),
				chromedp.Poll(fmt.Sprintf(`new RegExp(%q).test(document.getElementById("progress").textContent)`, want.waiting), nil,
					chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)),
			)
			s := b.keyState(t)
			assert.Equal(t, 4, upstream.Count()-n, "pages before the wait: the check and 4 pages are Free's 5 a minute")
			assert.True(t, s.StopVisible, "no Stop button while waiting")
			assert.True(t, s.GetChartDisabled)
			assert.False(t, s.ChartVisible)
			m := waiting.FindStringSubmatch(s.Progress)
			require.Len(t, m, 2, s.Progress)
			// The countdown moves: a lower number within a few seconds.
			b.run(t, chromedp.Poll(fmt.Sprintf(`(() => {
  const m = new RegExp(%q).exec(document.getElementById("progress").textContent);
  return !!m && Number(m[1]) < %s;
})()`, want.waiting, m[1]), nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
			assertPageLayout(t, b, 360)
			assertAxe(t, b, "waiting")
			pageScreenshot(t, b, 360, "page-"+lang+"-360-waiting.png")

			b.run(t,
				chromedp.Click("#stop", chromedp.ByID),
				chromedp.Poll(`!document.getElementById("get-chart").disabled`, nil,
					chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)),
			)
			s = b.keyState(t)
			assert.Equal(t, want.stopped, s.Progress)
			assert.False(t, s.StopVisible)
			assert.False(t, s.ChartVisible)
			assert.Empty(t, s.Alerts, "stopping is not an error")
			assert.Equal(t, "get-chart", s.Focused)
			assert.Equal(t, 4, upstream.Count()-n, "requests after Stop")
			assertAxe(t, b, "stopped")
			assertKeyNowhere(t, b, key, since)
		})
	}
}

// TestPageKeyRateLimited: a key whose minute is used up (by another program)
// gets J-Quants' 429 at the check: the page says to wait 60 seconds and the
// button counts the minute down, disabled.
func TestPageKeyRateLimited(t *testing.T) {
	b := newPageBrowser(t)
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			want := keyTexts[lang]
			key := upstream.NewKey(auth.PlanFree)
			useUpMinute(t, key, auth.PlanFree)
			since := upstream.Count()
			b.run(t, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(1)))
			b.openKeyPage(t, worker.URL+"/?lang="+lang)
			n := upstream.Count()
			s := b.typeKey(t, key)
			assert.Equal(t, 1, upstream.Count()-n, "the 429 is not retried at once")
			require.Len(t, s.Alerts, 1)
			assert.Regexp(t, want.rateLimited, s.Alerts[0])
			assert.Regexp(t, want.countdown, s.CheckLabel)
			assert.True(t, s.CheckDisabled, "the button works during the wait")
			assertPageLayout(t, b, 360)
			assertAxe(t, b, "rate limited")
			pageScreenshot(t, b, 360, "page-"+lang+"-360-key-429.png")
			assertKeyNowhere(t, b, key, since)
		})
	}
}
