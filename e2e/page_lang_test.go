//go:build !js

package e2e

// The page's language switch and the messages people read: the 429
// countdown and the retired V1 endpoint.

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var pageTexts = map[string]struct {
	title, submit, mail, wrong string
	expires                    string // a regular expression
}{
	"en": {
		title: "J-Quants API key", submit: "Get refresh token", mail: "Mail address",
		wrong:   "The mail address or the password is incorrect.",
		expires: `^Expires .*\d{4}.*\(valid for 7 days\)\.$`,
	},
	"ja": {
		title: "J-Quants API キー", submit: "リフレッシュトークンを取得", mail: "メールアドレス",
		wrong:   "メールアドレスまたはパスワードが正しくありません。",
		expires: `^有効期限: 2\d{3}年\d{1,2}月\d{1,2}日.*（7 日間有効）$`,
	},
}

// assertPageLanguage checks that the page is wholly in lang: document and
// heading titles, a label, the button, the pressed switch and the alert.
func assertPageLanguage(t *testing.T, b *pageBrowser, lang string, alert string) pageState {
	t.Helper()
	want := pageTexts[lang]
	s := b.state(t)
	assert.Equal(t, lang, s.Lang, "<html lang>")
	assert.Equal(t, want.title, s.Title, "document title")
	assert.Equal(t, want.title, s.Heading, "h1")
	assert.Equal(t, want.submit, s.SubmitLabel)
	assert.Equal(t, []string{lang}, s.LangPressed, "pressed language button")
	var label string
	b.eval(t, `document.querySelector("label[for=mailaddress]").textContent`, &label)
	assert.Equal(t, want.mail, label)
	if alert != "" {
		assert.Equal(t, []string{alert}, s.Alerts)
	}
	assert.Zero(t, s.LocalStorage+s.SessionStorage, "storage entries")
	assert.Empty(t, s.Cookie)
	return s
}

// TestPageLanguageSwitch: the 日本語 and English buttons switch everything
// shown, the error and the expiry date included, both ways, without storing
// anything or changing the URL; ?lang=ja picks Japanese for a link.
func TestPageLanguageSwitch(t *testing.T) {
	b := newPageBrowser(t) // an English browser
	href := worker.URL + "/"
	b.open(t, href)
	var buttons []string
	b.eval(t, `[...document.querySelectorAll("button[data-lang]")].map((b) => b.textContent)`, &buttons)
	assert.Equal(t, []string{"日本語", "English"}, buttons, "language buttons")
	assertPageLanguage(t, b, "en", "")

	s := b.submitForm(t, pageDemo.mail, "wrong-"+pageDemo.password)
	require.Equal(t, []string{pageTexts["en"].wrong}, s.Alerts)
	b.chooseLanguage(t, "ja")
	assertPageLanguage(t, b, "ja", pageTexts["ja"].wrong)
	b.chooseLanguage(t, "en")
	s = assertPageLanguage(t, b, "en", pageTexts["en"].wrong)
	assert.Equal(t, href, s.Href)

	// The expiry follows too: ja-JP dates in Japanese.
	b.run(t, chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID))
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	s = b.waitOutcome(t)
	assertPageLoggedIn(t, s, href)
	token := s.Token
	b.chooseLanguage(t, "ja")
	s = assertPageLanguage(t, b, "ja", "")
	assert.Regexp(t, pageTexts["ja"].expires, s.Expires)
	assert.Equal(t, token, s.Token, "the token survives the switch")
	b.chooseLanguage(t, "en")
	s = assertPageLanguage(t, b, "en", "")
	assert.Regexp(t, pageTexts["en"].expires, s.Expires)
	assert.Equal(t, href, s.Href)

	// A link picks Japanese in an English browser; the switch still works.
	href = worker.URL + "/?lang=ja"
	b.open(t, href)
	assertPageLanguage(t, b, "ja", "")
	b.chooseLanguage(t, "en")
	s = assertPageLanguage(t, b, "en", "")
	assert.Equal(t, href, s.Href, "the switch changed the URL")
}

// TestPageEndpointGone: when the proxy says the V1 endpoint is gone, the
// page says plainly that J-Quants retired it on 2026-06-01 and that API keys
// replace it, in both languages.
func TestPageEndpointGone(t *testing.T) {
	t.Cleanup(upstream.ClearFault)
	b := newPageBrowser(t)
	b.open(t, worker.URL+"/")
	// The proxy answers 502, which the module tries again: every try 404s.
	upstream.SetFault(authtest.Fault{Status: http.StatusNotFound, Message: "Not Found"})
	s := b.submitForm(t, pageDemo.mail, pageDemo.password)
	assert.Empty(t, s.Token)
	assert.Equal(t, []string{"J-Quants retired this login API (V1) on 2026-06-01, so logging in with a mail address and password " +
		"no longer works. Use an API key from the J-Quants dashboard instead."}, s.Alerts)
	b.chooseLanguage(t, "ja")
	assert.Equal(t, []string{"J-Quants はこのログイン API（V1）を 2026年6月1日に廃止したため、メールアドレスとパスワードでは" +
		"ログインできません。代わりに J-Quants のダッシュボードで発行する API キーを使ってください。"}, b.state(t).Alerts)
}

// TestPageRateLimitCountdown: a 429 with Retry-After: 2 disables the button,
// which counts the real wait down (2 s, 1 s) and comes back at zero, not
// before; then a login goes through.
func TestPageRateLimitCountdown(t *testing.T) {
	t.Cleanup(upstream.ClearFault)
	b := newPageBrowser(t)
	href := worker.URL + "/"
	b.open(t, href)
	// Record every change of the button, with the page's clock.
	b.eval(t, `(() => {
  const submit = document.getElementById("submit");
  const seen = (globalThis.__e2eButton = []);
  const note = () => {
    const last = seen.at(-1);
    const now = { label: document.getElementById("submit-label").textContent, disabled: submit.disabled };
    if (!last || last.label !== now.label || last.disabled !== now.disabled) seen.push({ ...now, at: performance.now() });
  };
  new MutationObserver(note).observe(submit, { subtree: true, childList: true, characterData: true, attributes: true });
})()`, nil)
	upstream.SetFault(authtest.Fault{Status: http.StatusTooManyRequests, Message: "Rate exceeded.",
		Header: http.Header{"Retry-After": {"2"}}, Times: 1})
	b.run(t,
		chromedp.SendKeys("#mailaddress", pageDemo.mail, chromedp.ByID),
		chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID),
	)
	waitWorkerAnswers(t)
	b.run(t,
		chromedp.Click("#submit", chromedp.ByID),
		chromedp.Poll(`!document.getElementById("error").hidden`, nil,
			chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)),
	)
	s := b.state(t)
	assert.Equal(t, []string{"Too many attempts: wait 2 seconds. The button counts down and works again at zero."}, s.Alerts)
	assert.True(t, s.SubmitDisabled, "the button is enabled during the wait")

	b.run(t, chromedp.Poll(`!document.getElementById("submit").disabled`, nil,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	var seen []struct {
		Label    string  `json:"label"`
		Disabled bool    `json:"disabled"`
		At       float64 `json:"at"`
	}
	b.eval(t, `globalThis.__e2eButton`, &seen)
	var labels []string
	var waitFrom, enabledAt float64
	for _, e := range seen {
		labels = append(labels, e.Label)
		if e.Label == "Try again in 2 s" && waitFrom == 0 {
			waitFrom = e.At
		}
		if !e.Disabled {
			enabledAt = e.At
		}
	}
	assert.Equal(t, []string{"Logging in…", "Try again in 2 s", "Try again in 1 s", "Get refresh token"}, labels)
	require.NotZero(t, waitFrom, "no countdown from 2")
	wait := time.Duration((enabledAt - waitFrom) * float64(time.Millisecond))
	assert.GreaterOrEqual(t, wait, 1900*time.Millisecond, "the button came back before the wait was over")
	assert.Less(t, wait, 3500*time.Millisecond, "the button came back late")
	t.Logf("button disabled %v for Retry-After: 2", wait.Round(time.Millisecond))
	s = b.state(t)
	assert.Equal(t, "Get refresh token", s.SubmitLabel)
	var status string
	b.eval(t, `document.getElementById("status").textContent`, &status)
	assert.Equal(t, "You can try again now.", status)

	n := upstream.Count()
	b.run(t, chromedp.SendKeys("#password", pageDemo.password, chromedp.ByID))
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	assertPageLoggedIn(t, b.waitOutcome(t), href)
	assert.Equal(t, 1, upstream.Count()-n)
}
