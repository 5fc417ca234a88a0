//go:build !js

package e2e

// The second step of the login flow on the page: after the refresh token,
// "Get ID token" exchanges it through the same proxy (auth_refresh).

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idTokenState is what the ID-token part of the page shows.
type idTokenState struct {
	ButtonVisible bool   `json:"buttonVisible"`
	ButtonLabel   string `json:"buttonLabel"`
	IDToken       string `json:"idToken"`
	Visible       bool   `json:"visible"`
	Expires       string `json:"expires"`
	Focused       string `json:"focused"`
	Error         string `json:"error"`
	LocalStorage  int    `json:"localStorage"`
	Href          string `json:"href"`
}

const idTokenStateJS = `(() => {
  const $ = (id) => document.getElementById(id);
  const visible = (el) => !!el && el.checkVisibility({ visibilityProperty: true });
  return {
    buttonVisible: visible($("get-id")),
    buttonLabel: $("get-id-label").textContent,
    idToken: $("id-token").value,
    visible: visible($("id-result")),
    expires: $("id-expires").textContent,
    focused: document.activeElement.id,
    error: $("error").hidden ? "" : $("error").textContent,
    localStorage: localStorage.length + sessionStorage.length,
    href: location.href,
  };
})()`

func (b *pageBrowser) idTokenState(t *testing.T) idTokenState {
	t.Helper()
	var s idTokenState
	b.eval(t, idTokenStateJS, &s)
	return s
}

// TestPageIDToken: log in, press "Get ID token", and the page shows an ID
// token the fake issued for this account's refresh token, with its Copy
// button and a 24-hour expiry; in Japanese the button reads IDトークンを取得.
// At 360 px nothing overflows; the screenshots are page-{en,ja}-360-idtoken.png.
func TestPageIDToken(t *testing.T) {
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			b := newPageBrowser(t)
			b.run(t, chromedp.EmulateViewport(360, 800, chromedp.EmulateScale(1)))
			href := worker.URL + "/?lang=" + lang
			b.open(t, href)
			s := b.submitForm(t, pageDemo.mail, pageDemo.password)
			require.NotEmpty(t, s.Token, "no refresh token; error %q", s.Error)

			b.run(t, chromedp.WaitVisible("#get-id", chromedp.ByID))
			before := b.idTokenState(t)
			want := map[string]string{"en": "Get ID token", "ja": "IDトークンを取得"}[lang]
			assert.Equal(t, want, before.ButtonLabel)
			assert.False(t, before.Visible, "ID token shown before the button was pressed")

			n := upstream.Count()
			waitWorkerAnswers(t)
			b.run(t,
				chromedp.Click("#get-id", chromedp.ByID),
				chromedp.Poll(`document.getElementById("id-token").value !== "" || !document.getElementById("error").hidden`, nil,
					chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)),
			)
			after := b.idTokenState(t)
			require.Empty(t, after.Error)
			require.NotEmpty(t, after.IDToken)
			mail, ok := upstream.IDTokenIssuedTo(after.IDToken)
			assert.True(t, ok, "ID token %q was not issued by the fake", after.IDToken)
			assert.Equal(t, pageDemo.mail, mail)
			assert.Equal(t, 1, upstream.Count()-n, "one auth_refresh upstream")
			assert.True(t, after.Visible)
			assert.Equal(t, "id-token", after.Focused, "the ID token is focused, ready to copy")
			if lang == "en" {
				assert.Contains(t, after.Expires, "24 hours")
			} else {
				assert.Contains(t, after.Expires, "24 時間")
			}
			assert.Zero(t, after.LocalStorage, "storage entries")
			assert.Equal(t, href, after.Href, "the URL changed")
			assert.NotContains(t, after.Href, s.Token)
			// The refresh token is still there and distinct.
			assert.NotEqual(t, s.Token, after.IDToken)
			assert.Equal(t, s.Token, b.state(t).Token)
			assertRefreshInBody(t, b, 0, worker.URL, s.Token)
			assertPageLayout(t, b, 360)
			assertAxe(t, b, "V1 ID token")
			pageScreenshot(t, b, 360, "page-"+lang+"-360-idtoken.png")
			for _, m := range b.log() {
				if m.isError() || m.isCSP() {
					t.Errorf("page logged: %s", m)
				}
			}
		})
	}
}

// assertRefreshInBody: of the requests the tab sent from the from'th on,
// exactly one went to auth_refresh, as a POST to proxy's path with a body
// and no query, and none named the refresh token in its URL. The query form
// is J-Quants' own; through a proxy it would put the token in logs that are
// not ours (TestQueryFormInWranglersLog).
func assertRefreshInBody(t *testing.T, b *pageBrowser, from int, proxy, refreshToken string) {
	t.Helper()
	var refreshes []pageRequest
	for _, r := range b.requests()[from:] {
		assert.NotContains(t, r.URL, refreshToken, "a URL the tab requested holds the refresh token")
		if strings.Contains(r.URL, auth.RefreshPath) {
			refreshes = append(refreshes, r)
		}
	}
	if assert.Len(t, refreshes, 1, "requests to auth_refresh") {
		assert.Equal(t, pageRequest{Method: "POST", URL: proxy + auth.RefreshPath, HasBody: true}, refreshes[0])
	}
}
