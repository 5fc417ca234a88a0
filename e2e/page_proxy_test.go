//go:build !js

package e2e

// Where the page sends a password: its own origin, the deployer's
// config.json proxy, or a proxy typed by the person (page_test.go), and
// never a proxy named by a link.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// strangerProxy is a loopback server that would gladly take a password: it
// records every request (preflights included), allows every origin, and
// answers a POST with a token of its own. The page must never call it.
type strangerProxy struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

const strangerToken = "stranger-refresh-token"

func newStrangerProxy(t *testing.T) *strangerProxy {
	s := &strangerProxy{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<10))
		if strings.Contains(string(body), pageDemo.password) {
			body = []byte("(a body with the demo password)") // never logged
		}
		s.mu.Lock()
		s.requests = append(s.requests, fmt.Sprintf("%s %s Origin=%q body=%d bytes",
			r.Method, r.URL.RequestURI(), r.Header.Get("Origin"), len(body)))
		s.mu.Unlock()
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"refreshToken": strangerToken})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *strangerProxy) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// TestPageLinkCannotChooseProxy: links that name the stranger as the proxy,
// in each way a page might read one, send it nothing; the login goes to the
// page's own origin and succeeds.
func TestPageLinkCannotChooseProxy(t *testing.T) {
	stranger := newStrangerProxy(t)
	// The stranger would work if the page called it: check that first, from
	// a page on the Worker's origin, so that "nothing received" means the
	// page chose not to call it.
	b := newPageBrowser(t)
	b.open(t, worker.URL+"/")
	var probe string
	b.eval(t, fmt.Sprintf(`fetch(%q + "/v1/token/auth_user", { method: "POST", body: "{}",
  headers: { "Content-Type": "application/json" } }).then((r) => r.json()).then((j) => j.refreshToken)`, stranger.URL), &probe)
	require.Equal(t, strangerToken, probe, "the CSP or CORS stops the stranger: the test would prove nothing")
	require.Len(t, stranger.got(), 2, "the probe's preflight and POST: %q", stranger.got())
	probed := len(stranger.got())

	q := url.QueryEscape(stranger.URL)
	for _, suffix := range []string{"?api=" + q, "?proxy=" + q, "?baseURL=" + q, "#api=" + q,
		"?api=" + q + "&lang=en#api=" + q} {
		t.Run(suffix, func(t *testing.T) {
			href := worker.URL + "/" + suffix
			b.open(t, href)
			before := b.state(t)
			assert.Empty(t, before.API, "the link filled the Proxy URL field")
			assert.Equal(t, worker.URL, before.APIPlaceholder, "default proxy")
			assert.False(t, before.NoticeVisible, "notice: %q", before.Notice)
			n := upstream.Count()
			s := b.submitForm(t, pageDemo.mail, pageDemo.password)
			assertPageLoggedIn(t, s, href)
			assert.NotEqual(t, strangerToken, s.Token)
			assert.Equal(t, 1, upstream.Count()-n, "requests to the fake")
		})
	}
	assert.Empty(t, stranger.got()[probed:], "requests the stranger got from the page")
}

// TestPageConfigProxy: the deployer's config.json beside the page picks the
// proxy; a link cannot override it; a typed proxy equal to it needs no
// notice; no file means this site; a broken file stops the page from
// sending anything.
func TestPageConfigProxy(t *testing.T) {
	servePageWeb(t)
	stranger := newStrangerProxy(t)
	b := newPageBrowser(t)

	t.Run("names the Worker", func(t *testing.T) {
		otherSite.setConfig(t, http.StatusOK, fmt.Sprintf(`{"proxy": %q}`, worker.URL+"/"))
		href := otherOrigin + "/?api=" + url.QueryEscape(stranger.URL)
		b.open(t, href)
		before := b.state(t)
		assert.Empty(t, before.API)
		assert.Equal(t, worker.URL, before.APIPlaceholder, "default proxy from config.json")
		assert.False(t, before.NoticeVisible, "notice for the deployer's proxy: %q", before.Notice)
		var hint string
		b.eval(t, `document.getElementById("api-hint").textContent`, &hint)
		assert.Contains(t, hint, "Leave it empty to use "+worker.URL+".")

		n, served := upstream.Count(), otherSite.requestCount()
		s := b.submitForm(t, pageDemo.mail, pageDemo.password)
		assertPageLoggedIn(t, s, href)
		assert.Equal(t, 1, upstream.Count()-n, "requests to the fake")
		assert.Empty(t, otherSite.requestsSince(served), "requests to the page's own origin during the login")

		// Typing the configured proxy itself is no reason for a notice.
		b.typeProxy(t, worker.URL)
		assert.False(t, b.state(t).NoticeVisible, "notice for the deployer's proxy typed in")
	})

	t.Run("absent", func(t *testing.T) {
		otherSite.setConfig(t, http.StatusNotFound, `{"error":"not found"}`)
		b.open(t, otherOrigin+"/")
		s := b.state(t)
		assert.Equal(t, otherOrigin, s.APIPlaceholder, "default proxy without config.json")
		assert.False(t, s.SubmitDisabled)
		assert.Empty(t, s.Alerts, "no config.json is not an error")
		// Chromium itself logs the 404; the page adds nothing.
		for _, m := range b.takeLog() {
			t.Logf("page log: %s", m)
			if m.isError() {
				assert.Contains(t, m.Text, "/config.json", "page log: %s", m)
			}
		}
	})

	t.Run("broken", func(t *testing.T) {
		for _, body := range []string{`{"proxy": "http://proxy.example"}`, `{"proxy": "https://user:pw@proxy.example"}`,
			`{"proxy": 42}`, `{"proxy": "https://proxy.example/?to=x"}`, `not JSON`} {
			otherSite.setConfig(t, http.StatusOK, body)
			b.openUntilReady(t, otherOrigin+"/")
			s := b.state(t)
			assert.Equal(t, []string{"This site's proxy setting (config.json) is not valid, so the page cannot send anything. Tell the site's owner."},
				s.Alerts, "config.json %s", body)
			assert.True(t, s.SubmitDisabled, "button enabled with config.json %s", body)
			assert.True(t, b.keyState(t).CheckDisabled, "Check key enabled with config.json %s", body)
		}
	})
	assert.Empty(t, stranger.got(), "requests the stranger got")
}

// openUntilReady loads the page and waits until its script has read config.json and
// either enabled the button or shown why not.
func (b *pageBrowser) openUntilReady(t *testing.T, url string) {
	t.Helper()
	b.run(t,
		chromedp.Navigate(url),
		chromedp.Poll(`!document.getElementById("submit").disabled || !document.getElementById("error").hidden`, nil,
			chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)),
	)
}
