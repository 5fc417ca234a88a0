//go:build !js

package e2e

// The login page (index.html + app.mjs) and the browser module
// (jquants-auth.mjs + its .wasm), as `make web` builds them from web/ into
// build/web/, in real headless Chromium, against the shared `wrangler dev` Worker and fake J-Quants server. The
// helpers are in chrome_test.go.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertPageLoggedIn checks the page after a successful login: a token the fake
// issued, the expiry shown, no error, the password cleared, the button
// back, and nothing kept (storage, cookies, URL).
func assertPageLoggedIn(t *testing.T, s pageState, href string) {
	t.Helper()
	require.NotEmpty(t, s.Token, "no token; error %q", s.Error)
	assert.True(t, upstream.Handler().Issued(s.Token), "token %q was not issued by the fake", s.Token)
	assert.True(t, s.ResultVisible, "result section hidden")
	assert.True(t, s.ExpiresVisible, "expiry hidden")
	assert.Contains(t, s.Expires, "valid for 7 days", "expiry text (languages %q, lang %q)", s.Languages, s.Lang)
	assert.Regexp(t, `^Expires .*\d{4}.*\(valid for 7 days\)\.$`, s.Expires)
	assert.Equal(t, "en", s.Lang)
	assert.True(t, s.ErrorHidden, "error box shown: %q", s.Error)
	assert.False(t, s.ErrorVisible)
	assert.Empty(t, s.Error)
	assert.Empty(t, s.Alerts, "visible alerts")
	assert.Empty(t, s.Password, "password field not cleared")
	assert.Equal(t, "password", s.PasswordType)
	assert.False(t, s.SubmitDisabled, "button still disabled")
	assert.Equal(t, "Get refresh token", s.SubmitLabel)
	// The next step is the main button now, not the one just done.
	assert.False(t, s.SubmitPrimary, `"Get refresh token" is still the primary button`)
	assert.True(t, s.GetIDPrimary && s.GetIDVisible, "Get ID token is not the primary button")
	assert.Zero(t, s.LocalStorage, "localStorage entries")
	assert.Zero(t, s.SessionStorage, "sessionStorage entries")
	assert.Empty(t, s.Cookie, "document.cookie")
	assert.Equal(t, href, s.Href, "location.href changed")
	assert.NotContains(t, s.Href, pageDemo.password)
	assert.NotContains(t, s.Href, s.Token)
}

// assertPageCSP checks that the page at url was served with the CSP of
// web/_headers, so that "no violations" means something.
func assertPageCSP(t *testing.T, b *pageBrowser, url string) {
	t.Helper()
	h, ok := b.documentHeader(url)
	require.True(t, ok, "no response recorded for %s", url)
	var csp string
	for k, v := range h {
		if strings.EqualFold(k, "Content-Security-Policy") {
			csp = fmt.Sprint(v)
		}
	}
	assert.Contains(t, csp, "script-src 'self' 'wasm-unsafe-eval'", "CSP of %s", url)
	assert.Contains(t, csp, "default-src 'none'", "CSP of %s", url)
	assert.Contains(t, csp, "connect-src 'self' https: http://localhost:* http://127.0.0.1:*;", "CSP of %s", url)
	assert.Contains(t, csp, "require-trusted-types-for 'script'", "CSP of %s", url)
}

// TestPageSameOriginLogin: the form on the Worker's own origin gets a
// token, with no console errors and no CSP violations.
func TestPageSameOriginLogin(t *testing.T) {
	b := newPageBrowser(t)
	href := worker.URL + "/"
	b.open(t, href)
	before := b.state(t)
	assert.Empty(t, before.API, "proxy URL field")
	assert.Equal(t, worker.URL, before.APIPlaceholder, "the default proxy is the page's origin")
	assert.False(t, before.AdvancedOpen, "the Advanced disclosure starts closed")
	assert.False(t, before.NoticeVisible, "proxy notice shown: %q", before.Notice)
	assert.Equal(t, []string{"en"}, before.LangPressed, "language buttons")
	require.NotEmpty(t, before.Languages)
	assert.Equal(t, "en-US", before.Languages[0], "navigator.languages")

	n := upstream.Count()
	s := b.submitForm(t, pageDemo.mail, pageDemo.password)
	assertPageLoggedIn(t, s, href)
	assert.Equal(t, pageDemo.mail, s.Mail, "mail address kept for the next attempt")
	assert.Equal(t, 1, upstream.Count()-n, "requests to the fake")

	// The token is focused and selected, ready to copy.
	var focused string
	b.eval(t, `document.activeElement.id`, &focused)
	assert.Equal(t, "token", focused)

	assertPageCSP(t, b, href)
	for _, m := range b.log() {
		if m.isError() {
			t.Errorf("page logged an error: %s", m)
		}
	}
}

// TestPageCSPViolationsAreSeen checks the check: a script the CSP blocks
// (an inline one) shows up in the page log the other tests examine.
func TestPageCSPViolationsAreSeen(t *testing.T) {
	b := newPageBrowser(t)
	b.open(t, worker.URL+"/")
	require.Empty(t, b.takeLog())
	var ran bool
	// Trusted Types (the CSP's require-trusted-types-for) make the text
	// assignment itself throw; either way the violation must be reported.
	b.run(t,
		chromedp.Evaluate(`{
  const s = document.createElement("script");
  try {
    s.textContent = "globalThis.__e2eInlineRan = true";
  } catch {}
  document.head.append(s);
}`, nil),
		chromedp.Poll(`globalThis.__e2eCSPViolations > 0`, nil, chromedp.WithPollingInterval(25*time.Millisecond)),
		chromedp.Evaluate(`globalThis.__e2eInlineRan === true`, &ran),
	)
	assert.False(t, ran, "an inline script ran despite the CSP")
	var csp []string
	for _, m := range b.takeLog() { // taken: the cleanup's check finds none
		t.Logf("page log: %s", m)
		if m.isCSP() {
			csp = append(csp, m.String())
		}
	}
	assert.NotEmpty(t, csp, "the blocked inline script was not reported")
}

// TestPageWrongPassword: a wrong password shows an alert and no token.
func TestPageWrongPassword(t *testing.T) {
	b := newPageBrowser(t)
	href := worker.URL + "/"
	b.open(t, href)
	n := upstream.Count()
	s := b.submitForm(t, pageDemo.mail, "wrong-"+pageDemo.password)
	assert.Equal(t, 1, upstream.Count()-n, "requests to the fake (4xx is not retried)")
	assert.Empty(t, s.Token)
	assert.False(t, s.ResultVisible)
	assert.True(t, s.ErrorVisible)
	require.Len(t, s.Alerts, 1, "visible [role=alert]")
	assert.Equal(t, "The mail address or the password is incorrect.", s.Alerts[0])
	assert.Empty(t, s.Password, "password field not cleared")
	assert.False(t, s.SubmitDisabled)
	assert.Equal(t, href, s.Href)
	var focused string
	b.eval(t, `document.activeElement.id`, &focused)
	assert.Equal(t, "error", focused, "the alert takes the focus")

	// Then the right password: the alert goes, the token comes.
	b.run(t, chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID))
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	assertPageLoggedIn(t, b.waitOutcome(t), href)
}

// pageJSCall is what pageCallJS reports of one authUser call.
type pageJSCall struct {
	IsPromise bool           `json:"isPromise"`
	Resolved  bool           `json:"resolved"`
	Keys      []string       `json:"keys"`
	Value     map[string]any `json:"value"`
	Err       *struct {
		IsError    bool   `json:"isError"`
		Name       string `json:"name"`
		Code       string `json:"code"`
		Status     int    `json:"status"`
		Message    string `json:"message"`
		RetryAfter *int   `json:"retryAfter"`
		Type       string `json:"type"`
	} `json:"err"`
}

// pageCallJS imports /jquants-auth.mjs in the page and calls authUser.
func pageCallJS(t *testing.T, b *pageBrowser, mail, password string, options map[string]any) pageJSCall {
	t.Helper()
	args, err := json.Marshal([]any{mail, password, options})
	require.NoError(t, err)
	expr := `(async () => {
  const { load } = await import("/jquants-auth.mjs");
  const jq = await load();
  const p = jq.authUser(...` + string(args) + `);
  const isPromise = p instanceof Promise;
  try {
    const v = await p;
    return { isPromise, resolved: true, keys: Object.keys(v).sort(), value: v };
  } catch (e) {
    return { isPromise, resolved: false, err: { isError: e instanceof Error, name: e?.name, code: e?.code,
      status: e?.status, message: e?.message, retryAfter: e?.retryAfter, type: typeof e } };
  }
})()`
	var c pageJSCall
	waitWorkerAnswers(t)
	b.eval(t, expr, &c)
	require.True(t, c.IsPromise, "authUser did not return a Promise")
	return c
}

var pageISOMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestBrowserModuleAPI: jquants-auth.mjs resolves and rejects as
// jquants-auth.d.mts says.
func TestBrowserModuleAPI(t *testing.T) {
	b := newPageBrowser(t)
	b.open(t, worker.URL+"/")

	t.Run("load once", func(t *testing.T) {
		var r struct {
			SamePromise bool     `json:"samePromise"`
			SameObject  bool     `json:"sameObject"`
			Frozen      bool     `json:"frozen"`
			Keys        []string `json:"keys"`
			WasmFetches int      `json:"wasmFetches"`
			Global      bool     `json:"global"`
			GoDefined   bool     `json:"goDefined"`
		}
		b.eval(t, `(async () => {
  const m = await import("/jquants-auth.mjs");
  const p1 = m.load(), p2 = m.load({ wasmURL: "/nonexistent.wasm" });
  const a = await p1, b = await p2, c = await m.load();
  const wasmFetches = performance.getEntriesByType("resource")
    .filter((e) => new URL(e.name).pathname.endsWith(".wasm")).length;
  return { samePromise: p1 === p2, sameObject: a === b && b === c, frozen: Object.isFrozen(a),
    keys: Object.keys(a).sort(), wasmFetches, global: "__jquantsAuth" in globalThis,
    goDefined: typeof globalThis.Go === "function" };
})()`, &r)
		assert.True(t, r.SamePromise, "load() twice: different promises")
		assert.True(t, r.SameObject, "load() twice: different objects")
		assert.True(t, r.Frozen, "the API object is not frozen")
		assert.Equal(t, []string{"authRefresh", "authUser", "checkKey", "get", "pages"}, r.Keys)
		assert.Equal(t, 1, r.WasmFetches, "the module fetched more than once (the page's own load() included)")
		assert.False(t, r.Global, "globalThis.__jquantsAuth left behind")
		assert.True(t, r.GoDefined, "wasm_exec.js not loaded")
	})

	t.Run("token", func(t *testing.T) {
		n := upstream.Count()
		start := time.Now()
		c := pageCallJS(t, b, pageDemo.mail, pageDemo.password, map[string]any{"baseURL": worker.URL})
		end := time.Now()
		require.True(t, c.Resolved, "rejected: %+v", c.Err)
		assert.Equal(t, 1, upstream.Count()-n)
		assert.Equal(t, []string{"expiresAt", "issuedAt", "refreshToken"}, c.Keys)
		tok, _ := c.Value["refreshToken"].(string)
		assert.True(t, upstream.Handler().Issued(tok), "token %q was not issued by the fake", tok)
		issuedS, _ := c.Value["issuedAt"].(string)
		expiresS, _ := c.Value["expiresAt"].(string)
		require.Regexp(t, pageISOMillis, issuedS)
		require.Regexp(t, pageISOMillis, expiresS)
		issued, err := time.Parse(time.RFC3339Nano, issuedS)
		require.NoError(t, err)
		expires, err := time.Parse(time.RFC3339Nano, expiresS)
		require.NoError(t, err)
		assert.Equal(t, 7*24*time.Hour, expires.Sub(issued), "expiresAt - issuedAt")
		// The browser and the test share a clock; allow for ms truncation.
		assert.WithinRange(t, issued, start.Add(-time.Second), end.Add(time.Second), "issuedAt")
	})

	t.Run("token with the default baseURL", func(t *testing.T) {
		c := pageCallJS(t, b, pageDemo.mail, pageDemo.password, nil)
		require.True(t, c.Resolved, "rejected: %+v", c.Err)
		tok, _ := c.Value["refreshToken"].(string)
		assert.True(t, upstream.Handler().Issued(tok))
	})

	t.Run("baseURL as a URL, trailing slash", func(t *testing.T) {
		var r pageJSCall
		waitWorkerAnswers(t)
		b.eval(t, fmt.Sprintf(`(async () => {
  const { load } = await import("/jquants-auth.mjs");
  const jq = await load();
  try {
    return { isPromise: true, resolved: true, value: await jq.authUser(%q, %q, { baseURL: new URL(%q) }) };
  } catch (e) {
    return { isPromise: true, resolved: false, err: { isError: e instanceof Error, name: e.name, code: e.code, status: e.status, message: e.message } };
  }
})()`, pageDemo.mail, pageDemo.password, worker.URL+"/"), &r)
		require.True(t, r.Resolved, "rejected: %+v", r.Err)
		tok, _ := r.Value["refreshToken"].(string)
		assert.True(t, upstream.Handler().Issued(tok))
	})

	t.Run("authRefresh through the proxy: the token in a body", func(t *testing.T) {
		var r struct {
			RefreshToken string `json:"refreshToken"`
			IDToken      string `json:"idToken"`
			Err          string `json:"err"`
		}
		waitWorkerAnswers(t)
		from := len(b.requests())
		b.eval(t, fmt.Sprintf(`(async () => {
  const { load } = await import("/jquants-auth.mjs");
  const jq = await load();
  try {
    const { refreshToken } = await jq.authUser(%q, %q, { baseURL: %q });
    const { idToken } = await jq.authRefresh(refreshToken, { baseURL: %q });
    return { refreshToken, idToken };
  } catch (e) {
    return { err: e.code + ": " + e.message };
  }
})()`, pageDemo.mail, pageDemo.password, worker.URL, worker.URL), &r)
		require.Empty(t, r.Err)
		mail, ok := upstream.IDTokenIssuedTo(r.IDToken)
		assert.True(t, ok, "ID token %q was not issued by the fake", r.IDToken)
		assert.Equal(t, pageDemo.mail, mail)
		assertRefreshInBody(t, b, from, worker.URL, r.RefreshToken)
	})

	t.Run("wrong password", func(t *testing.T) {
		n := upstream.Count()
		c := pageCallJS(t, b, pageDemo.mail, "wrong-"+pageDemo.password, map[string]any{"baseURL": worker.URL})
		require.False(t, c.Resolved, "resolved: %v", c.Value)
		require.NotNil(t, c.Err)
		assert.True(t, c.Err.IsError, "rejected with a %s, not an Error", c.Err.Type)
		assert.Equal(t, "JQuantsAuthError", c.Err.Name)
		assert.Equal(t, 400, c.Err.Status)
		assert.Equal(t, "invalid_credentials", c.Err.Code)
		assert.NotEmpty(t, c.Err.Message)
		assert.NotContains(t, c.Err.Message, pageDemo.password)
		assert.Equal(t, 1, upstream.Count()-n, "a 400 is not retried")
	})

	t.Run("invalid input", func(t *testing.T) {
		n := upstream.Count()
		c := pageCallJS(t, b, "not-an-address", "x", map[string]any{"baseURL": worker.URL})
		require.False(t, c.Resolved, "resolved: %v", c.Value)
		require.NotNil(t, c.Err)
		assert.True(t, c.Err.IsError)
		assert.Equal(t, "JQuantsAuthError", c.Err.Name)
		assert.Equal(t, 0, c.Err.Status)
		assert.Equal(t, "invalid_input", c.Err.Code)
		assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
	})

	t.Run("bad baseURL", func(t *testing.T) {
		n := upstream.Count()
		c := pageCallJS(t, b, pageDemo.mail, pageDemo.password, map[string]any{"baseURL": worker.URL + "/?x=1"})
		require.False(t, c.Resolved, "resolved: %v", c.Value)
		assert.Equal(t, "invalid_input", c.Err.Code)
		assert.Equal(t, 0, c.Err.Status)
		assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
	})

	t.Run("unreachable", func(t *testing.T) {
		// A loopback port that was just free: connection refused. (Port 9
		// would do too, but Chromium refuses it as an unsafe port before
		// connecting; this one tests a real refusal.)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "http://" + ln.Addr().String()
		require.NoError(t, ln.Close())
		for _, base := range []string{closed, "http://127.0.0.1:9"} {
			c := pageCallJS(t, b, pageDemo.mail, pageDemo.password, map[string]any{"baseURL": base})
			require.False(t, c.Resolved, "%s: resolved: %v", base, c.Value)
			assert.True(t, c.Err.IsError, base)
			assert.Equal(t, "JQuantsAuthError", c.Err.Name, base)
			assert.Equal(t, 0, c.Err.Status, base)
			assert.Equal(t, "network", c.Err.Code, "%s: %s", base, c.Err.Message)
			assert.NotContains(t, c.Err.Message, pageDemo.password)
		}
	})
}

// TestPageOtherOrigin: the page served from another allowed origin gets a
// token through the Worker's CORS, once a person typed the Worker's address
// into the Advanced field; the notice names that host before anything is
// sent.
func TestPageOtherOrigin(t *testing.T) {
	servePageWeb(t)
	b := newPageBrowser(t)
	href := otherOrigin + "/"
	b.open(t, href)
	assertPageCSP(t, b, href)
	before := b.state(t)
	assert.Empty(t, before.API)
	assert.Equal(t, otherOrigin, before.APIPlaceholder, "default proxy: this site (web/config.json names none)")
	assert.False(t, before.NoticeVisible, "notice before anything was typed: %q", before.Notice)

	b.typeProxy(t, worker.URL)
	typed := b.state(t)
	assert.Equal(t, worker.URL, typed.API)
	assert.True(t, typed.NoticeVisible, "no notice for a typed proxy")
	assert.Equal(t, "Your mail address and password will be sent to "+worker.URL+
		", the proxy you entered. Send them only to a proxy you trust.", typed.Notice)

	n, served := upstream.Count(), otherSite.requestCount()
	s := b.submitForm(t, pageDemo.mail, pageDemo.password)
	assertPageLoggedIn(t, s, href)
	assert.Equal(t, 1, upstream.Count()-n)
	assert.Equal(t, worker.URL, s.API)
	assert.True(t, s.NoticeVisible, "the notice stays while the field names the proxy")
	assert.Empty(t, otherSite.requestsSince(served), "requests to the page's own origin during the login")
}

// TestPageTypedProxyNeedsTheNotice: a proxy put in the field just before a
// press, with no chance to show the notice (by a script or an extension, in
// the same task as the press), is not used: the press shows the notice and
// sends nothing; the next press logs in.
func TestPageTypedProxyNeedsTheNotice(t *testing.T) {
	servePageWeb(t)
	b := newPageBrowser(t)
	href := otherOrigin + "/"
	b.open(t, href)
	b.run(t,
		chromedp.SendKeys("#mailaddress", pageDemo.mail, chromedp.ByID),
		chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID),
	)
	waitWorkerAnswers(t)
	n := upstream.Count()
	var first struct {
		NoticeBefore bool   `json:"noticeBefore"`
		Password     string `json:"password"`
		Busy         bool   `json:"busy"`
	}
	b.eval(t, fmt.Sprintf(`(() => {
  const $ = (id) => document.getElementById(id);
  $("api").value = %q;
  const noticeBefore = !$("api-notice").hidden;
  $("login").requestSubmit($("submit"));
  // The page clears the password as it sends it.
  return { noticeBefore, password: $("password").value, busy: $("submit").disabled };
})()`, worker.URL), &first)
	require.False(t, first.NoticeBefore, "the notice was up before the press: the check proves nothing")
	assert.Equal(t, pageDemo.password, first.Password, "the first press sent the password")
	assert.False(t, first.Busy, "the first press started a login")
	s := b.state(t)
	assert.True(t, s.NoticeVisible, "the first press did not show the notice")
	assert.Contains(t, s.Notice, "will be sent to "+worker.URL+",")
	assert.Empty(t, s.Alerts)
	assert.Equal(t, 0, upstream.Count()-n, "requests to the fake after the first press")

	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	assertPageLoggedIn(t, b.waitOutcome(t), href)
	assert.Equal(t, 1, upstream.Count()-n)
}

// TestPageStrangerOrigin: from an origin the Worker does not allow, the page
// says the proxy could not be reached; nothing reaches J-Quants.
func TestPageStrangerOrigin(t *testing.T) {
	servePageWeb(t)
	b := newPageBrowser(t)
	href := strangerOrigin + "/"
	b.open(t, href)
	assertPageCSP(t, b, href)
	b.typeProxy(t, worker.URL)
	n := upstream.Count()
	s := b.submitForm(t, pageDemo.mail, pageDemo.password)
	assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
	assert.Empty(t, s.Token)
	assert.False(t, s.ResultVisible)
	require.Len(t, s.Alerts, 1, "visible [role=alert]")
	assert.Contains(t, s.Alerts[0], "The proxy could not be reached ("+worker.URL+")")
	assert.Contains(t, s.Alerts[0], "CORS")
	assert.Empty(t, s.Password)
	assert.False(t, s.SubmitDisabled)
	assert.Equal(t, href, s.Href)
}

// pageLayoutJS lists what is wrong with the layout at the viewport width %d:
// elements past the right edge, and Japanese text whose last line holds two
// characters or fewer (a lone 「ん。」 under a sentence).
const pageLayoutJS = `(() => {
  const width = %d;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .map((el) => el.tagName + (el.id ? "#" + el.id : ""));
  // Characters by block, in order: the text of a .nowrap span counts with
  // its parent's.
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode()); ) {
    let el = n.parentElement;
    if (el.matches("span.nowrap")) el = el.parentElement;
    if (!el.checkVisibility()) continue;
    if (!blocks.has(el)) blocks.set(el, []);
    for (let i = 0; i < n.data.length; i++) blocks.get(el).push([n, i]);
  }
  const orphans = [];
  for (const chars of blocks.values()) {
    if (!chars.some(([n, i]) => /[\u3040-\u30ff\u4e00-\u9fff]/.test(n.data[i]))) continue;
    const lines = [];
    let top;
    for (const [n, i] of chars) {
      if (/\s/.test(n.data[i])) continue;
      const r = document.createRange();
      r.setStart(n, i);
      r.setEnd(n, i + 1);
      const rect = r.getClientRects()[0];
      if (!rect) continue;
      if (top === undefined || rect.top > top + rect.height / 2) {
        lines.push("");
        top = rect.top;
      }
      lines[lines.length - 1] += n.data[i];
    }
    const last = lines.at(-1);
    if (lines.length > 1 && [...last].length <= 2) orphans.push(lines.join(" / "));
  }
  return { wide, orphans };
})()`

type pageLayout struct {
	Wide    []string `json:"wide"`
	Orphans []string `json:"orphans"`
}

// assertPageLayout checks the page at width: no horizontal scrolling, no
// element past the right edge, no Japanese line of two characters or fewer.
func assertPageLayout(t *testing.T, b *pageBrowser, width int) {
	t.Helper()
	s := b.state(t)
	assert.Equal(t, width, s.InnerWidth, "viewport")
	assert.LessOrEqual(t, s.ScrollWidth, width, "horizontal scroll (scrollWidth)")
	var l pageLayout
	b.eval(t, fmt.Sprintf(pageLayoutJS, width), &l)
	assert.Empty(t, l.Wide, "elements past the right edge")
	assert.Empty(t, l.Orphans, "Japanese text ending in a line of two characters or fewer")
}

// pageScreenshot saves the full page as name under testdata-out/screenshots
// and the test's artifact directory.
func pageScreenshot(t *testing.T, b *pageBrowser, width int, name string) {
	t.Helper()
	root, err := wranglerdev.RepoRoot()
	require.NoError(t, err)
	out := filepath.Join(root, "testdata-out", "screenshots")
	require.NoError(t, os.MkdirAll(out, 0o755))
	var buf []byte
	b.run(t, chromedp.FullScreenshot(&buf, 100))
	img, err := png.Decode(bytes.NewReader(buf))
	require.NoError(t, err, "not a PNG")
	assert.Equal(t, width, img.Bounds().Dx(), "screenshot width")
	assert.Greater(t, img.Bounds().Dy(), 300, "screenshot height")
	for _, dir := range []string{t.ArtifactDir(), out} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, buf, 0o644))
		t.Logf("screenshot %dx%d: %s", img.Bounds().Dx(), img.Bounds().Dy(), p)
	}
}

// TestPageScreenshots: the page in English and Japanese at phone and desktop
// widths, twice each: with an error, the Advanced field open and a typed
// proxy's notice; then after a login. Each is checked for overflow and
// Japanese line breaks, and saved as a PNG.
func TestPageScreenshots(t *testing.T) {
	b := newPageBrowser(t)
	texts := map[string]struct{ wrong, submit string }{
		"en": {"The mail address or the password is incorrect.", "Get refresh token"},
		"ja": {"メールアドレスまたはパスワードが正しくありません。", "リフレッシュトークンを取得"},
	}
	for _, lang := range []string{"en", "ja"} {
		for _, width := range []int{360, 1280} {
			t.Run(fmt.Sprintf("%s-%d", lang, width), func(t *testing.T) {
				b.run(t, chromedp.EmulateViewport(int64(width), 800, chromedp.EmulateScale(1)))
				href := worker.URL + "/?lang=" + lang
				b.open(t, href)

				s := b.submitForm(t, pageDemo.mail, "wrong-"+pageDemo.password)
				assert.Equal(t, []string{texts[lang].wrong}, s.Alerts)
				b.typeProxy(t, "https://proxy.example")
				s = b.state(t)
				assert.Equal(t, lang, s.Lang)
				assert.True(t, s.NoticeVisible, "notice for a typed proxy")
				assert.Contains(t, s.Notice, "https://proxy.example")
				assertPageLayout(t, b, width)
				pageScreenshot(t, b, width, fmt.Sprintf("page-%s-%d-form.png", lang, width))

				b.clearProxy(t)
				require.False(t, b.state(t).NoticeVisible, "notice after the field was emptied")
				b.run(t, chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID))
				waitWorkerAnswers(t)
				b.run(t, chromedp.Click("#submit", chromedp.ByID))
				s = b.waitOutcome(t)
				require.NotEmpty(t, s.Token, "no token; error %q", s.Error)
				assert.True(t, upstream.Handler().Issued(s.Token))
				assert.True(t, s.ExpiresVisible)
				assert.Empty(t, s.Alerts)
				assert.Equal(t, texts[lang].submit, s.SubmitLabel)
				assert.Equal(t, href, s.Href)
				assertPageLayout(t, b, width)
				pageScreenshot(t, b, width, fmt.Sprintf("page-%s-%d-token.png", lang, width))
			})
		}
	}
}

// TestPageJapanese: a browser that prefers Japanese gets the page in
// Japanese, the expiry included.
func TestPageJapanese(t *testing.T) {
	b := newPageBrowser(t,
		chromedp.Flag("lang", "ja"),
		chromedp.Flag("accept-lang", "ja,en-US;q=0.8"),
		chromedp.Env("LANG=ja_JP.UTF-8", "LANGUAGE=ja"),
	)
	href := worker.URL + "/"
	b.open(t, href)
	var title string
	b.run(t, chromedp.Title(&title))
	assert.Equal(t, "J-Quants API キー", title)

	s := b.submitForm(t, pageDemo.mail, "wrong-"+pageDemo.password)
	require.NotEmpty(t, s.Languages)
	assert.Equal(t, "ja", s.Languages[0], "navigator.languages")
	assert.Equal(t, "ja", s.Lang)
	assert.Equal(t, []string{"メールアドレスまたはパスワードが正しくありません。"}, s.Alerts)

	b.run(t, chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID))
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	s = b.waitOutcome(t)
	require.NotEmpty(t, s.Token, "no token; error %q", s.Error)
	assert.True(t, upstream.Handler().Issued(s.Token))
	assert.True(t, s.ExpiresVisible)
	assert.Regexp(t, `^有効期限: .*2\d{3}.*（7 日間有効）$`, s.Expires)
	assert.Equal(t, "リフレッシュトークンを取得", s.SubmitLabel)
	assert.Empty(t, s.Alerts)
}

// TestPageKeyboard: the form works from the keyboard alone: type, Tab,
// type, Enter.
func TestPageKeyboard(t *testing.T) {
	b := newPageBrowser(t)
	href := worker.URL + "/"
	b.open(t, href)
	var active string
	b.run(t,
		chromedp.Focus("#mailaddress", chromedp.ByID),
		chromedp.KeyEvent(pageDemo.mail),
		chromedp.KeyEvent(kb.Tab),
		chromedp.Evaluate(`document.activeElement.id`, &active),
	)
	require.Equal(t, "password", active, "Tab from the mail address")
	b.run(t, chromedp.KeyEvent(pageDemo.password))
	waitWorkerAnswers(t)
	n := upstream.Count()
	b.run(t, chromedp.KeyEvent(kb.Enter))
	s := b.waitOutcome(t)
	assertPageLoggedIn(t, s, href)
	assert.Equal(t, pageDemo.mail, s.Mail)
	assert.Equal(t, 1, upstream.Count()-n)
}
