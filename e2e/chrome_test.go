//go:build !js

package e2e

// Helpers for the page tests (page_test.go): a static server for the built page on the
// two extra listeners, headless Chromium driven by chromedp, and a record of
// what the page logged.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/webassets"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
)

// chromeNames are the browser commands looked up in PATH, in this order,
// when CHROME_PATH is not set.
var chromeNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// findChrome returns the browser to drive: $CHROME_PATH, else the first of
// chromeNames in PATH. `make test` installs one first (scripts/ensure-chromium.sh).
func findChrome() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("CHROME_PATH=%s: %w", p, err)
		}
		return p, nil
	}
	for _, name := range chromeNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium: none of %s in PATH and CHROME_PATH unset; run `bash scripts/ensure-chromium.sh` (as root it installs chromium)",
		strings.Join(chromeNames, ", "))
}

// pageTimeout bounds each page test, browser start included.
const pageTimeout = 2 * time.Minute

// ---- build/web/ on otherListener and strangerListener -------------------

var (
	pageStaticOnce sync.Once
	pageStaticErr  error
)

// servePageWeb starts (once per process) an HTTP server for the page as
// `make web` builds it into build/web/ (the wrangler dev of TestMain ran
// the build), on otherListener and strangerListener, with the headers
// web/_headers gives on Cloudflare (the CSP above all), so the page runs
// there exactly as under `wrangler dev`, only from another origin.
func servePageWeb(t *testing.T) {
	t.Helper()
	pageStaticOnce.Do(func() {
		root, err := wranglerdev.RepoRoot()
		if err != nil {
			pageStaticErr = err
			return
		}
		dir := filepath.Join(root, "build", "web")
		rules, err := webassets.ReadHeaders(filepath.Join(dir, "_headers"))
		if err != nil {
			pageStaticErr = err
			return
		}
		if len(rules) == 0 {
			pageStaticErr = fmt.Errorf("%s/_headers: no rules", dir)
			return
		}
		h, err := webassets.New(dir, nil)
		if err != nil {
			pageStaticErr = err
			return
		}
		for _, site := range []struct {
			ln   net.Listener
			site *pageSite
		}{{otherListener, otherSite}, {strangerListener, strangerSite}} {
			srv := &http.Server{Handler: site.site.wrap(h, rules), ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(site.ln) // ends with the test process, which owns the listeners
		}
	})
	if pageStaticErr != nil {
		t.Fatalf("serving build/web/: %v", pageStaticErr)
	}
}

// builtModule is the path of the browser module in build/web/, which
// `make web` names after its content: jquants-auth.<16 hex>.wasm.
func builtModule(t *testing.T) string {
	t.Helper()
	root, err := wranglerdev.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	found, _ := filepath.Glob(filepath.Join(root, "build", "web", "jquants-auth.*.wasm"))
	if len(found) != 1 {
		t.Fatalf("build/web/ holds %d modules, want 1: %q", len(found), found)
	}
	return "/" + filepath.Base(found[0])
}

// pageSite is one static server for the page: it records the requests it gets,
// and serves a test's own config.json in place of web/config.json, as a
// deployer's static host would.
type pageSite struct {
	mu       sync.Mutex
	requests []string // "METHOD /path"
	config   *pageConfig
}

// pageConfig is the answer for /config.json: a status and a JSON body.
type pageConfig struct {
	status int
	body   string
}

var otherSite, strangerSite = &pageSite{}, &pageSite{}

func (s *pageSite) wrap(h http.Handler, rules []webassets.Rule) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.Path)
		cfg := s.config
		s.mu.Unlock()
		if cfg == nil || r.URL.Path != "/config.json" {
			h.ServeHTTP(w, r)
			return
		}
		webassets.Apply(rules, r.URL.Path, w.Header())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(cfg.status)
		io.WriteString(w, cfg.body)
	})
}

// setConfig makes the site answer /config.json with status and body until
// the test ends.
func (s *pageSite) setConfig(t *testing.T, status int, body string) {
	t.Helper()
	s.mu.Lock()
	s.config = &pageConfig{status, body}
	s.mu.Unlock()
	t.Cleanup(func() {
		s.mu.Lock()
		s.config = nil
		s.mu.Unlock()
	})
}

// requestCount and requestsSince let a test look at the requests it caused.
func (s *pageSite) requestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *pageSite) requestsSince(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests[n:]...)
}

// ---- Chromium -----------------------------------------------------------

// pageBrowser is one headless Chromium with one tab, and what the tab logged.
type pageBrowser struct {
	ctx context.Context // the tab; Run actions with it

	mu        sync.Mutex
	messages  []pageLogEntry
	documents map[string]network.Headers // main-frame document URL → response headers
	sent      []pageRequest              // every request the tab sent, in order
}

// pageRequest is one request as Chromium sent it.
type pageRequest struct {
	Method, URL string
	HasBody     bool
}

// pageLogEntry is something the page logged: a console call, an uncaught
// exception, or a browser log entry (CSP violations, failed loads).
type pageLogEntry struct {
	Source string // "console", "exception", "log:<source>" or "csp"
	Level  string
	Text   string
}

func (m pageLogEntry) String() string { return m.Source + "/" + m.Level + ": " + m.Text }

func (m pageLogEntry) isCSP() bool {
	return m.Source == "csp" || strings.Contains(m.Text, "Content Security Policy") ||
		strings.Contains(m.Text, "Content-Security-Policy")
}

func (m pageLogEntry) isError() bool {
	return m.Level == "error" || m.Source == "exception" || m.Source == "csp"
}

// pageCSPProbe runs in every document before the page's scripts: it turns each
// securitypolicyviolation event into a console message the test sees, in
// case Chromium's own report of the violation is not in the log.
const pageCSPProbe = `document.addEventListener("securitypolicyviolation", (e) => {
  globalThis.__e2eCSPViolations = (globalThis.__e2eCSPViolations ?? 0) + 1;
  console.error("Content Security Policy violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});`

// newPageBrowser starts Chromium in English (--lang, Accept-Language) with a
// fresh profile and opens a blank tab. Every test gets its own browser, so
// no state (cache, storage, cookies) carries from one to the next. On
// cleanup, a Content Security Policy violation anywhere fails the test.
func newPageBrowser(t *testing.T, opts ...chromedp.ExecAllocatorOption) *pageBrowser {
	t.Helper()
	chromePath, err := findChrome()
	if err != nil {
		t.Fatal(err)
	}
	// A fresh profile; not t.TempDir(), whose removal fails when a Chromium
	// helper process is still writing to it: see removeChromeProfile.
	profile, err := os.MkdirTemp("", "e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	all := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromePath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US"),
		chromedp.Env("LANG=en_US.UTF-8", "LANGUAGE=en_US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	all = append(all, opts...)
	// Not t.Context(): it ends before cleanups run, and the browser should
	// be closed in order, before its profile directory is removed.
	timeout, cancelTimeout := context.WithTimeout(context.Background(), pageTimeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(timeout, all...)
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	b := &pageBrowser{ctx: ctx, documents: map[string]network.Headers{}}
	noteReloads(t)
	t.Cleanup(func() {
		// Browser.close, then wait for the browser process to end.
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("closing Chromium: %v", err)
		}
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
		removeChromeProfile(t, profile)
		for _, m := range b.log() {
			if m.isCSP() {
				t.Errorf("Content Security Policy violation: %s", m)
			}
		}
		if t.Failed() {
			for _, m := range b.log() {
				t.Logf("page log: %s", m)
			}
		}
	})
	chromedp.ListenTarget(ctx, b.listen)
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(pageCSPProbe).Do(ctx)
		return err
	})); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// removeChromeProfile removes Chromium's profile directory. Chromium's helper
// processes may outlive the browser process by a moment and write to it, so
// a failed removal is tried again for a while before it is only logged.
func removeChromeProfile(t *testing.T, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := os.RemoveAll(dir)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("removing the Chromium profile: %v", err)
			return
		}
		<-tick.C
	}
}

func (b *pageBrowser) listen(ev any) {
	var m pageLogEntry
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, chromeRemoteText(a))
		}
		m = pageLogEntry{Source: "console", Level: ev.Type.String(), Text: strings.Join(parts, " ")}
		if strings.HasPrefix(m.Text, "Content Security Policy violation:") {
			m.Source = "csp"
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + chromeRemoteText(d.Exception)
		}
		m = pageLogEntry{Source: "exception", Level: "error", Text: text}
	case *log.EventEntryAdded:
		e := ev.Entry
		m = pageLogEntry{Source: "log:" + e.Source.String(), Level: e.Level.String(), Text: e.Text + " " + e.URL}
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		b.sent = append(b.sent, pageRequest{ev.Request.Method, ev.Request.URL, ev.Request.HasPostData})
		b.mu.Unlock()
		return
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			b.mu.Lock()
			b.documents[ev.Response.URL] = ev.Response.Headers
			b.mu.Unlock()
		}
		return
	default:
		return
	}
	b.mu.Lock()
	b.messages = append(b.messages, m)
	b.mu.Unlock()
}

func chromeRemoteText(o *runtime.RemoteObject) string {
	switch {
	case o == nil:
		return ""
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	default:
		return o.Type.String()
	}
}

// log returns a copy of what the page logged so far.
func (b *pageBrowser) log() []pageLogEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]pageLogEntry(nil), b.messages...)
}

// takeLog returns what the page logged so far and forgets it.
func (b *pageBrowser) takeLog() []pageLogEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.messages
	b.messages = nil
	return m
}

// requests returns what the tab sent so far.
func (b *pageBrowser) requests() []pageRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]pageRequest(nil), b.sent...)
}

// documentHeader returns the response headers of the document at url.
func (b *pageBrowser) documentHeader(url string) (network.Headers, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.documents[url]
	return h, ok
}

// run runs actions in the tab, failing the test on error.
func (b *pageBrowser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		t.Fatalf("chromedp: %v", err)
	}
}

// eval evaluates a JS expression, awaiting it if it is a promise, and
// decodes its JSON value into res.
func (b *pageBrowser) eval(t *testing.T, expr string, res any) {
	t.Helper()
	b.run(t, chromedp.Evaluate(expr, res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// ---- wrangler dev reloads -----------------------------------------------

// waitWorkerAnswers returns once the Worker answers a request (an OPTIONS
// without Origin, which reaches neither J-Quants nor the fake). `wrangler dev`
// rebuilds and reloads the Worker when a file under its watch_dir changes (as
// when someone edits auth/ or proxy/ while the tests run): a rebuild takes
// tens of seconds on a small machine, and requests wait for it. A login that
// started then would end in the page's 10 s timeout, so the page tests call
// this first, letting any rebuild in progress finish.
func waitWorkerAnswers(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, worker.URL+"/v1/token/auth_user", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the Worker does not answer: %v", err)
	}
	resp.Body.Close()
}

// noteReloads logs, when the test failed, any rebuild of the Worker that
// `wrangler dev` did while it ran: the likely cause of a timeout.
func noteReloads(t *testing.T) {
	start := len(worker.Log())
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		log := worker.Log()
		if start > len(log) {
			return
		}
		for _, line := range strings.Split(log[start:], "\n") {
			if strings.Contains(line, "changed, restarting build") || strings.Contains(line, "Reloading local server") {
				t.Logf("wrangler dev rebuilt the Worker during this test: %s", line)
			}
		}
	})
}

// ---- the page -----------------------------------------------------------

// openKeyPage loads the page at url and waits until its script has enabled
// the first screen's button, "Check key" (the module is loading then, or
// loaded).
func (b *pageBrowser) openKeyPage(t *testing.T, url string) {
	t.Helper()
	waitWorkerAnswers(t)
	b.run(t,
		chromedp.Navigate(url),
		chromedp.WaitEnabled("#check-key", chromedp.ByID),
	)
}

// open loads the page at url and opens the retired V1 login, one click
// below the first screen, as a person would: it waits until the login's
// button is enabled and visible.
func (b *pageBrowser) open(t *testing.T, url string) {
	t.Helper()
	b.openKeyPage(t, url)
	b.run(t,
		chromedp.Click("#v1 > summary", chromedp.ByQuery),
		chromedp.WaitVisible("#submit", chromedp.ByID),
		chromedp.WaitEnabled("#submit", chromedp.ByID),
	)
}

// submitForm fills the form as a user would (key events) and clicks the
// button, then waits until the login has ended: a token, or an alert.
func (b *pageBrowser) submitForm(t *testing.T, mail, password string) pageState {
	t.Helper()
	b.run(t,
		chromedp.SendKeys("#mailaddress", mail, chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID),
	)
	waitWorkerAnswers(t)
	b.run(t, chromedp.Click("#submit", chromedp.ByID))
	return b.waitOutcome(t)
}

// waitOutcome waits until the page shows a token or an error, and the
// button is enabled again; then it returns what the page shows.
func (b *pageBrowser) waitOutcome(t *testing.T) pageState {
	t.Helper()
	b.run(t, chromedp.Poll(`(document.getElementById("token").value !== "" || !document.getElementById("error").hidden)
		&& !document.getElementById("submit").disabled`, nil,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	return b.state(t)
}

// pageState is what the login page shows, and what it keeps.
type pageState struct {
	Token          string   `json:"token"`
	ResultVisible  bool     `json:"resultVisible"`
	Expires        string   `json:"expires"`
	ExpiresVisible bool     `json:"expiresVisible"`
	ErrorHidden    bool     `json:"errorHidden"`
	ErrorVisible   bool     `json:"errorVisible"`
	Error          string   `json:"error"`
	Alerts         []string `json:"alerts"` // the text of each visible [role=alert]
	Mail           string   `json:"mail"`
	Password       string   `json:"password"`
	PasswordType   string   `json:"passwordType"`
	SubmitDisabled bool     `json:"submitDisabled"`
	SubmitLabel    string   `json:"submitLabel"`
	SubmitPrimary  bool     `json:"submitPrimary"` // styled as the page's main button
	GetIDPrimary   bool     `json:"getIdPrimary"`
	GetIDVisible   bool     `json:"getIdVisible"`
	API            string   `json:"api"`
	APIPlaceholder string   `json:"apiPlaceholder"`
	AdvancedOpen   bool     `json:"advancedOpen"`
	Notice         string   `json:"notice"`
	NoticeVisible  bool     `json:"noticeVisible"`
	Title          string   `json:"title"`
	Heading        string   `json:"heading"`
	LangPressed    []string `json:"langPressed"` // the data-lang of each pressed language button
	LocalStorage   int      `json:"localStorage"`
	SessionStorage int      `json:"sessionStorage"`
	Cookie         string   `json:"cookie"`
	Href           string   `json:"href"`
	Lang           string   `json:"lang"`
	Languages      []string `json:"languages"`
	ScrollWidth    int      `json:"scrollWidth"`
	InnerWidth     int      `json:"innerWidth"`
}

const pageStateJS = `(() => {
  const $ = (id) => document.getElementById(id);
  const visible = (el) => !!el && el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  return {
    token: $("token").value,
    resultVisible: visible($("result")),
    expires: $("expires").textContent,
    expiresVisible: visible($("expires")),
    errorHidden: $("error").hidden,
    errorVisible: visible($("error")),
    error: $("error").textContent,
    alerts: [...document.querySelectorAll("[role=alert]")].filter(visible).map((el) => el.textContent.trim()),
    mail: $("mailaddress").value,
    password: $("password").value,
    passwordType: $("password").type,
    submitDisabled: $("submit").disabled,
    submitLabel: $("submit-label").textContent,
    submitPrimary: $("submit").classList.contains("primary"),
    getIdPrimary: $("get-id").classList.contains("primary"),
    getIdVisible: visible($("get-id")),
    api: $("api").value,
    apiPlaceholder: $("api").placeholder,
    advancedOpen: $("advanced").open,
    notice: $("api-notice").textContent,
    noticeVisible: visible($("api-notice")),
    title: document.title,
    heading: document.querySelector("h1").textContent,
    langPressed: [...document.querySelectorAll("button[data-lang][aria-pressed=true]")].map((b) => b.dataset.lang),
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    cookie: document.cookie,
    href: location.href,
    lang: document.documentElement.lang,
    languages: [...navigator.languages],
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
  };
})()`

func (b *pageBrowser) state(t *testing.T) pageState {
	t.Helper()
	var s pageState
	b.eval(t, pageStateJS, &s)
	return s
}

// demo is the fake's demo account.
var pageDemo = struct{ mail, password string }{authtest.DemoMailAddress, authtest.DemoPassword}

// typeProxy opens the Advanced disclosure, if closed, and types url into the
// Proxy URL field with key events, as a person would.
func (b *pageBrowser) typeProxy(t *testing.T, url string) {
	t.Helper()
	if !b.state(t).AdvancedOpen {
		b.run(t, chromedp.Click("#advanced > summary", chromedp.ByQuery))
	}
	b.run(t,
		chromedp.WaitVisible("#api", chromedp.ByID),
		chromedp.SendKeys("#api", url, chromedp.ByID),
	)
}

// clearProxy empties the Proxy URL field: its text selected, then Backspace.
func (b *pageBrowser) clearProxy(t *testing.T) {
	t.Helper()
	b.run(t,
		chromedp.Focus("#api", chromedp.ByID),
		chromedp.Evaluate(`document.getElementById("api").select()`, nil),
		chromedp.KeyEvent(kb.Backspace),
	)
}

// chooseLanguage presses the language button for lang ("ja" or "en") and
// waits until the page is in that language.
func (b *pageBrowser) chooseLanguage(t *testing.T, lang string) {
	t.Helper()
	b.run(t,
		chromedp.Click(`button[data-lang="`+lang+`"]`, chromedp.ByQuery),
		chromedp.Poll(`document.documentElement.lang === "`+lang+`"`, nil,
			chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)),
	)
}
