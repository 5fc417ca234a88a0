//go:build !js

package main

// The page's cold first answer in Chromium: a fresh browser and profile per
// sample, the page's first screen filled in as it loads and submitted the
// moment its button allows, timed from navigation to the answer on screen,
// through `wrangler dev` and through `go run .` (the native server), without
// and with throttling.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// firstScreen is what the bench fills in, presses and waits for: the
// page's first screen. It is the one place that knows the page's ids.
var firstScreen = screen{
	Name:    "API key check (the Free demo key)",
	Fields:  [][2]string{{"#api-key", authtest.DemoKey}},
	Submit:  "#check-key",
	Answer:  "#key-ok",
	Error:   "#key-error",
	Request: "/v2/",
}

// screen: Fields are [selector, value] pairs; Submit is the button, pressed
// once it is enabled; Answer the element whose becoming visible is the
// answer on screen; Error the one whose becoming visible is a failure;
// Request the path prefix of the call Submit makes.
type screen struct {
	Name          string
	Fields        [][2]string
	Submit        string
	Answer, Error string
	Request       string
}

// throttle is a CDP emulation profile; the zero value is none.
type throttle struct {
	name      string
	latencyMs float64
	kbitps    float64 // each way
	cpu       float64 // slow-down factor
}

var throttles = []throttle{
	{name: "unthrottled"},
	{name: "9 Mbit/s, 40 ms, CPU 4×", latencyMs: 40, kbitps: 9000, cpu: 4},
}

// coldSample is one navigation's figures, in ms from navigation start
// (performance.timeOrigin), read from the page itself.
type coldSample struct {
	Submitted   float64 // the button pressed
	Answer      float64 // the first frame after the answer became visible
	Error       string  // a failure's text, or ""
	HTMLEnd     float64 // the document fully received
	DOMReady    float64 // DOMContentLoaded: the page's modules have run
	ConfigStart float64 // config.json's request: the button waits for its answer
	ConfigEnd   float64
	WasmStart   float64 // the .wasm's request (Resource Timing)
	WasmEnd     float64
	WasmFetches int     // Resource Timing entries for the .wasm: 1 when the preload is used
	WasmWire    float64 // bytes on the wire (transferSize)
	CallStart   float64 // the first screen's request: the module was ready then
	CallEnd     float64
	// Go's start-up in the page, afterwards, from the same bytes made new
	// (a custom section added), so that no code compiled before is reused:
	Compile     float64 // WebAssembly.compile, all bytes there
	Instantiate float64 // WebAssembly.instantiate
	GoMain      float64 // go.run until Go's main first blocks: runtime and package init, main
}

// coldScript runs in every document before the page's own scripts: it
// fills the screen's fields once the document is parsed, presses Submit
// when it is enabled, and notes when the answer (or an error) shows.
const coldScript = `(() => {
  const S = %s;
  const r = (globalThis.__coldBench = { done: false, request: S.Request });
  const $ = (sel) => document.querySelector(sel);
  const shown = (el) => !!el && !el.hidden && el.checkVisibility();
  document.addEventListener("DOMContentLoaded", () => {
    for (const [sel, value] of S.Fields) $(sel).value = value;
    const button = $(S.Submit);
    const press = () => {
      if (r.submitted === undefined && !button.disabled) {
        r.submitted = performance.now();
        button.click();
      }
    };
    new MutationObserver(press).observe(button, { attributes: true });
    press();
    // Looked up each time: the answer may be an element added later. Only
    // visibility changes are watched, so the watch does not slow the page.
    const watch = new MutationObserver(() => {
      if (shown($(S.Answer))) {
        watch.disconnect();
        requestAnimationFrame(() => {
          r.answer = performance.now();
          r.done = true;
        });
      } else if (shown($(S.Error))) {
        watch.disconnect();
        r.error = $(S.Error).textContent.trim() || "error shown";
        r.done = true;
      }
    });
    watch.observe(document.body, { subtree: true, childList: true, attributeFilter: ["hidden", "class", "style"] });
  });
})();`

// coldResultJS collects the sample once the answer is on screen; then it
// starts another Go instance, for the start-up figures.
const coldResultJS = `(async () => {
  const r = globalThis.__coldBench;
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const wasm = res.filter((e) => new URL(e.name).pathname.endsWith(".wasm"));
  const call = res.find((e) => new URL(e.name).pathname.startsWith(r.request));
  const config = res.find((e) => new URL(e.name).pathname.endsWith("/config.json"));
  const out = {
    Submitted: r.submitted ?? 0, Answer: r.answer ?? 0, Error: r.error ?? "",
    HTMLEnd: nav.responseEnd, DOMReady: nav.domContentLoadedEventStart, WasmFetches: wasm.length,
    ConfigStart: config?.startTime ?? 0, ConfigEnd: config?.responseEnd ?? 0,
    WasmStart: wasm[0]?.startTime ?? 0, WasmEnd: wasm[0]?.responseEnd ?? 0, WasmWire: wasm[0]?.transferSize ?? 0,
    CallStart: call?.startTime ?? 0, CallEnd: call?.responseEnd ?? 0,
  };
  if (wasm.length > 0 && typeof globalThis.Go === "function") {
    // V8 shares compiled code between modules of the same bytes: a custom
    // section (id 0, name "b", 8 random bytes) makes them another module.
    const bytes = new Uint8Array(await (await fetch(wasm[0].name, { credentials: "same-origin" })).arrayBuffer());
    const fresh = new Uint8Array(bytes.length + 12);
    fresh.set(bytes);
    fresh.set([0, 10, 1, 98], bytes.length);
    crypto.getRandomValues(fresh.subarray(bytes.length + 4));
    const go = new globalThis.Go();
    const t0 = performance.now();
    const mod = await WebAssembly.compile(fresh);
    const t1 = performance.now();
    const instance = await WebAssembly.instantiate(mod, go.importObject);
    const t2 = performance.now();
    go.run(instance).catch(() => {});
    out.Compile = t1 - t0;
    out.Instantiate = t2 - t1;
    out.GoMain = performance.now() - t2;
  }
  return out;
})()`

// coldAnswer opens url in a new Chromium with a fresh profile, under th,
// and returns the sample.
func coldAnswer(ctx context.Context, chrome, url string, th throttle) (coldSample, error) {
	var s coldSample
	profile, err := os.MkdirTemp("", "bench-chromium-")
	if err != nil {
		return s, err
	}
	defer os.RemoveAll(profile)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	screenJSON, err := json.Marshal(firstScreen)
	if err != nil {
		return s, err
	}
	actions := []chromedp.Action{network.Enable()}
	if th.cpu > 0 {
		bytesPerSec := th.kbitps * 1000 / 8
		actions = append(actions,
			emulation.SetCPUThrottlingRate(th.cpu),
			network.EmulateNetworkConditions(false, th.latencyMs, bytesPerSec, bytesPerSec),
		)
	}
	actions = append(actions,
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(fmt.Sprintf(coldScript, screenJSON)).Do(ctx)
			return err
		}),
		chromedp.Navigate(url),
		chromedp.Poll(`globalThis.__coldBench?.done === true`, nil,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second)),
		chromedp.Evaluate(coldResultJS, &s, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err := chromedp.Run(tab, actions...); err != nil {
		return s, fmt.Errorf("Chromium on %s (%s): %w", url, th.name, err)
	}
	chromedp.Cancel(tab) // Browser.close, before the profile goes
	if s.Error != "" {
		return s, fmt.Errorf("%s (%s): the page showed an error: %s", url, th.name, s.Error)
	}
	if s.Answer == 0 {
		return s, fmt.Errorf("%s (%s): no answer", url, th.name)
	}
	return s, nil
}

// findChrome is the e2e tests' lookup: $CHROME_PATH, else the first of
// these in PATH.
func findChrome() (string, error) {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium: run `bash scripts/ensure-chromium.sh` or set CHROME_PATH")
}

// native is the native server (`go run .`), built and started here.
type native struct {
	URL  string
	cmd  *exec.Cmd
	dir  string        // its binary's folder
	done chan struct{} // closed when it has exited
}

var listening = regexp.MustCompile(`proxy listening on (http://\S+),`)

// startNative builds the repository's main package and runs it on a free
// loopback port, serving the page built into build/web/, its upstream the
// fake at fakeURL.
func startNative(ctx context.Context, fakeURL string) (*native, error) {
	if _, err := os.Stat(filepath.Join("build", "web", "index.html")); err != nil {
		return nil, fmt.Errorf("no page to serve (run `make web`): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-native-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "jquants-auth")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("go build .: %w\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "HOST=127.0.0.1", "WEB_DIR=build/web", "LOGIN_RATE_LIMIT=off", "API_RATE_LIMIT=off",
		"JQUANTS_API_BASE_URL="+fakeURL)
	stderr, w := io.Pipe()
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	n := &native{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		w.Close()
		close(n.done)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr) // a line too long for the scanner: read on, or the server blocks
	}()
	select {
	case n.URL = <-found:
		return n, nil
	case <-time.After(30 * time.Second):
		n.Close()
		return nil, errors.New("go run .: not listening within 30 s")
	}
}

// Close stops the server and removes its binary.
func (n *native) Close() {
	n.cmd.Process.Kill()
	<-n.done
	os.RemoveAll(n.dir)
}

// coldRun is every sample of one server under one throttle.
type coldRun struct {
	server  string
	th      throttle
	samples []coldSample
}

// median of f over the samples.
func (c *coldRun) median(f func(coldSample) float64) float64 {
	v := make([]float64, len(c.samples))
	for i, s := range c.samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// coldAnswers takes n samples per server and throttle, the servers taking
// turns (their order flipping every turn) on a shared, noisy machine. The
// fake forgets the requests it counted before each sample: every sample is
// a visitor's first minute, where the Free demo key's 5 requests a minute
// would otherwise run out after 5 samples.
func coldAnswers(ctx context.Context, fake *authtest.Server, servers [][2]string, n int) ([]*coldRun, error) {
	chrome, err := findChrome()
	if err != nil {
		return nil, err
	}
	var runs []*coldRun
	for _, th := range throttles {
		byServer := make([]*coldRun, len(servers))
		for i, s := range servers {
			byServer[i] = &coldRun{server: s[0], th: th}
		}
		for i := range n {
			order := slices.Clone(byServer)
			if i%2 == 1 {
				slices.Reverse(order)
			}
			for _, run := range order {
				url := ""
				for _, s := range servers {
					if s[0] == run.server {
						url = s[1] + "/"
					}
				}
				fake.Reset()
				s, err := coldAnswer(ctx, chrome, url, th)
				if err != nil {
					return nil, err
				}
				fmt.Fprintf(os.Stderr, "bench:   cold answer %-12s %-26s %6.0f ms  (DOM ready %4.0f, config %4.0f→%4.0f, .wasm %4.0f→%4.0f ms, %s, submit %4.0f, request sent %4.0f ms)\n",
					run.server, th.name, s.Answer, s.DOMReady, s.ConfigStart, s.ConfigEnd, s.WasmStart, s.WasmEnd, bytesStr(int(s.WasmWire)), s.Submitted, s.CallStart)
				run.samples = append(run.samples, s)
			}
		}
		runs = append(runs, byServer...)
	}
	return runs, nil
}

// pageSection adds the cold-answer figures to the table.
func pageSection(t *table, runs []*coldRun, n int) {
	t.section(fmt.Sprintf("Cold first answer in Chromium, %s: a fresh browser and profile each time, the form filled as the page loads and submitted when its button enables; navigation → answer on screen (median of %d)", firstScreen.Name, n))
	budget := map[string]float64{throttles[0].name: budgetColdMs, throttles[1].name: budgetColdThrottledMs}
	answer := func(s coldSample) float64 { return s.Answer }
	for _, th := range throttles {
		var w, g *coldRun
		var all coldRun
		for _, r := range runs {
			if r.th.name != th.name {
				continue
			}
			m := r.median(answer)
			t.check(fmt.Sprintf("cold answer, %s, %s", r.server, th.name), ms(m), fmt.Sprintf("≤ %.0f ms", budget[th.name]), m <= budget[th.name])
			switch r.server {
			case "wrangler dev":
				w = r
			case "go run .":
				g = r
			}
			all.samples = append(all.samples, r.samples...)
		}
		if w != nil && g != nil {
			rt := g.median(answer) / w.median(answer)
			t.check(fmt.Sprintf("cold answer, go run . / wrangler dev, %s", th.name), fmt.Sprintf("%.2f", rt), fmt.Sprintf("≤ %.2f", budgetColdRatio), rt <= budgetColdRatio)
		}
		for _, r := range runs {
			if r.th.name != th.name {
				continue
			}
			at := func(f func(coldSample) float64) string { return fmt.Sprintf("%.0f", r.median(f)) }
			t.row(fmt.Sprintf("  %s: page received / .wasm start → end / submitted / request sent → answered", r.server),
				at(func(s coldSample) float64 { return s.HTMLEnd })+" / "+
					at(func(s coldSample) float64 { return s.WasmStart })+" → "+at(func(s coldSample) float64 { return s.WasmEnd })+" / "+
					at(func(s coldSample) float64 { return s.Submitted })+" / "+
					at(func(s coldSample) float64 { return s.CallStart })+" → "+at(func(s coldSample) float64 { return s.CallEnd })+" ms", "", "")
			t.check(fmt.Sprintf("  %s: .wasm bytes on the wire; its fetches", r.server),
				fmt.Sprintf("%s; %.0f", bytesStr(int(r.median(func(s coldSample) float64 { return s.WasmWire }))), r.median(func(s coldSample) float64 { return float64(s.WasmFetches) })),
				"1 fetch", slices.IndexFunc(r.samples, func(s coldSample) bool { return s.WasmFetches != 1 }) < 0)
		}
		t.row("  Go start-up in the page, code not yet compiled: compile / instantiate / main until ready",
			fmt.Sprintf("%.1f / %.1f / %.1f ms", all.median(func(s coldSample) float64 { return s.Compile }),
				all.median(func(s coldSample) float64 { return s.Instantiate }), all.median(func(s coldSample) float64 { return s.GoMain })), "", "")
	}
}

// measurePage starts the native server beside the Go Worker's wrangler dev
// at workerURL, both against fake, and adds the cold-answer section to t.
func measurePage(ctx context.Context, t *table, workerURL string, fake *authtest.Server) error {
	progress("starting go run . (the native server) for the page")
	nat, err := startNative(ctx, fake.URL)
	if err != nil {
		return err
	}
	defer nat.Close()
	progress(fmt.Sprintf("cold first answer in Chromium: %d samples per server and throttle", *coldN))
	runs, err := coldAnswers(ctx, fake, [][2]string{{"wrangler dev", workerURL}, {"go run .", nat.URL}}, *coldN)
	if err != nil {
		return err
	}
	pageSection(t, runs, *coldN)
	return nil
}

func chromeVersion(ctx context.Context) string {
	chrome, err := findChrome()
	if err != nil {
		return "no Chromium"
	}
	out, err := exec.CommandContext(ctx, chrome, "--version").Output()
	if err != nil {
		return "Chromium ?"
	}
	return strings.TrimSpace(string(out))
}
