//go:build !js

// Command bench is `make bench`: sizes of what is shipped, the Go Worker's
// latency and throughput under `wrangler dev` (real workerd) against the
// plain-JavaScript yardstick Worker (bench/jsworker), syumai's
// per-request-instance entry and the fake J-Quants server alone, the
// handlers' CPU time per request in Node (bench/cpu.mjs) and the Go module's
// start-up cost (bench/startup.mjs). It prints one table, checks the budgets
// and exits 1 if one fails (2 if it could not measure). It is a benchmark,
// not a test: minutes long and noisy, so every latency and throughput figure
// is the best of several rounds, the Workers taking turns.
//
// Run from anywhere in the repository after `make web` and `npm ci`:
//
//	go run ./bench/cmd/bench [-rounds 3] [-n1 300] [-n16 3000] [-syumai=false]
//
// A change can be tried in a scratch copy of the repository (with
// node_modules linked in) against this one in a single run: -go-b <copy>.
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
)

// Budgets.
const (
	budgetWebGzip     = 1_000_000 // bytes, gzip -9 of the browser module
	budgetUploadGzip  = 1843.2    // KiB (1.8 MiB), wrangler's "gzip:" upload size
	budgetP50Ratio    = 1.25      // p50 latency at c=1, Go/JS, at most
	budgetThroughputR = 0.7       // requests per second at c=16, Go/JS, at least
)

// The Origin the load client sends: allowed by both Workers' default
// ALLOWED_ORIGINS, so every request takes the CORS path a page's would.
const benchOrigin = "http://localhost:8787"

var (
	rounds      = flag.Int("rounds", 3, "rounds per target; each figure is the best round")
	n1          = flag.Int("n1", 300, "requests per round at concurrency 1 (latency)")
	n16         = flag.Int("n16", 3000, "requests per round at concurrency 16 (throughput)")
	warmup      = flag.Int("warmup", 200, "warm-up requests per target per round (first round: 3x)")
	startupN    = flag.Int("startup", 50, "Go instances started in Node for the start-up figures (0: skip)")
	cpuRounds   = flag.Int("cpu-rounds", 7, "rounds of the handler CPU figures in Node (0: skip)")
	withSyumai  = flag.Bool("syumai", true, "also measure syumai's per-request-instance entry (WORKER_ENTRY=syumai)")
	syumaiScale = flag.Int("syumai-div", 3, "request counts for the syumai entry are n1/div and n16/div")
	verbose     = flag.Bool("v", false, "echo wrangler output")
	withSizes   = flag.Bool("sizes", true, "measure (and check) the sizes; false skips them, for quicker experiments")
	jsConfig    = flag.String("js-config", "bench/jsworker/wrangler.toml", "wrangler.toml of the yardstick Worker")
	goB         = flag.String("go-b", "", "also measure the Workers of these repository copies (comma-separated), as \"Go Worker B\", \"C\"…: A/B of a change within one run")
	logDir      = flag.String("logs", "", "write each wrangler dev's log into this directory")
	goDir       = flag.String("go-dir", "", "repository copy whose Worker is measured as the Go Worker (default: this one); for trying a change in a scratch copy")
)

func main() {
	flag.Parse()
	os.Exit(run())
}

func run() int {
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := wranglerdev.RepoRoot()
	if err != nil {
		return fatal(err)
	}
	if err := os.Chdir(root); err != nil {
		return fatal(err)
	}
	t := &table{}

	// ---- sizes --------------------------------------------------------
	if *withSizes {
		if code := sizes(ctx, t); code != 0 {
			return code
		}
	}

	// ---- start-up in Node -------------------------------------------------
	var st startupResult
	if *startupN > 0 {
		progress(fmt.Sprintf("start-up: %d Go instances in Node", *startupN))
		if st, err = startup(ctx); err != nil {
			return fatal(err)
		}
	}

	var cpu cpuResult
	if *cpuRounds > 0 {
		progress(fmt.Sprintf("CPU per request in Node: %d rounds", *cpuRounds))
		if cpu, err = cpuPerRequest(ctx); err != nil {
			return fatal(err)
		}
	}

	// ---- wrangler dev: Go, JS (and syumai's entry) against the fake -----
	fake := authtest.NewServer()
	defer fake.Close()
	vars := map[string]string{"JQUANTS_API_BASE_URL": fake.URL, "LOGIN_RATE_LIMIT": "off"}
	devs := []devSpec{
		{name: "Go Worker", opts: wranglerdev.Options{Dir: *goDir, Vars: vars}},
		{name: "JS Worker", opts: wranglerdev.Options{Config: *jsConfig, Vars: vars}},
	}
	if *goB != "" {
		for i, dir := range strings.Split(*goB, ",") {
			devs = append(devs, devSpec{name: "Go Worker " + string(rune('B'+i)), opts: wranglerdev.Options{Dir: dir, Vars: vars}})
		}
	}
	if *withSyumai {
		cfg, cleanup, err := syumaiBuild(ctx, root)
		if err != nil {
			return fatal(err)
		}
		defer cleanup()
		devs = append(devs, devSpec{name: "syumai entry", opts: wranglerdev.Options{Config: cfg, Vars: vars}, div: *syumaiScale})
	}
	progress("starting " + strconv.Itoa(len(devs)) + " wrangler dev")
	if err := startDevs(ctx, devs); err != nil {
		return fatal(err)
	}
	defer func() {
		for _, d := range devs {
			if d.dev != nil {
				d.dev.Close()
			}
		}
	}()
	targets := make([]*target, 0, len(devs)+1)
	for i := range devs {
		targets = append(targets, newTarget(devs[i].name, devs[i].dev.URL+auth.Path, devs[i].div))
	}
	direct := newTarget("fake direct", fake.URL+auth.Path, 1)
	targets = append(targets, direct)

	// The Go and JS Workers (and any -go-b copies) take their latency
	// samples in turn, request by request, so that both see the same moment
	// of a shared, noisy machine; syumai's entry and the fake alone follow.
	// Throughput is measured one target after another, the order of the Go
	// and JS Workers alternating from round to round.
	paired := len(targets) - 1
	if *withSyumai {
		paired--
	}
	pairedTargets := targets[:paired]
	for r := 1; r <= *rounds; r++ {
		order := slices.Clone(targets)
		if r%2 == 0 {
			order[0], order[1] = order[1], order[0]
		}
		w := *warmup
		if r == 1 {
			w *= 3
		}
		progress(fmt.Sprintf("round %d/%d", r, *rounds))
		for _, tg := range order {
			if err := tg.warm(ctx, w); err != nil {
				return fatal(fmt.Errorf("%s: warm-up: %w", tg.name, err))
			}
		}
		if err := latencyInTurns(ctx, pairedTargets, r); err != nil {
			return fatal(err)
		}
		for _, tg := range targets[paired:] {
			if err := latencyInTurns(ctx, []*target{tg}, r); err != nil {
				return fatal(err)
			}
		}
		for _, tg := range order {
			if err := tg.throughput(ctx); err != nil {
				return fatal(fmt.Errorf("%s: c=16: %w", tg.name, err))
			}
		}
		for _, tg := range targets {
			tg.endRound()
		}
	}
	goT, jsT := targets[0], targets[1]
	if *logDir != "" {
		for _, d := range devs {
			name := strings.ReplaceAll(d.name, " ", "-") + ".log"
			if err := os.WriteFile(filepath.Join(*logDir, name), []byte(d.dev.Log()), 0o644); err != nil {
				return fatal(err)
			}
		}
	}

	t.section(fmt.Sprintf("Through wrangler dev → fake J-Quants, demo logins (best of %d rounds; per round %d req at c=1, the Go and JS Workers taking turns request by request, and %d req at c=16, one Worker after the other)", *rounds, *n1, *n16))
	for _, tg := range targets {
		t.row("p50 latency c=1, "+tg.label(), ms(tg.best.p50), "", "")
	}
	p50r := ratio(goT.best.p50, jsT.best.p50)
	t.check("p50 latency c=1, Go/JS", fmt.Sprintf("%.2f", p50r), fmt.Sprintf("≤ %.2f", budgetP50Ratio), p50r <= budgetP50Ratio)
	for _, tg := range targets {
		t.row("p99 latency c=1, "+tg.label(), ms(tg.best.p99), "", "")
	}
	t.row("p99 latency c=1, Go/JS", fmt.Sprintf("%.2f", ratio(goT.best.p99, jsT.best.p99)), "", "")
	for _, tg := range targets {
		t.row("throughput c=16, "+tg.label(), fmt.Sprintf("%.0f req/s", tg.best.rps), "", "")
	}
	rpsR := goT.best.rps / jsT.best.rps
	t.check("throughput c=16, Go/JS", fmt.Sprintf("%.2f", rpsR), fmt.Sprintf("≥ %.2f", budgetThroughputR), rpsR >= budgetThroughputR)
	if s := find(targets, "syumai entry"); s != nil {
		t.row("syumai entry vs single-instance entry: p50 / c=16 req/s", fmt.Sprintf("%.2fx / %.2fx", ratio(s.best.p50, goT.best.p50), s.best.rps/goT.best.rps), "", "")
	}
	for _, d := range devs {
		if rss, err := d.dev.WorkerdRSS(); err == nil {
			t.row("workerd RSS at start → after the rounds, "+d.name, fmt.Sprintf("%.0f → %.0f MiB", float64(d.rss0)/(1<<20), float64(rss)/(1<<20)), "", "")
		}
	}
	t.row("Go instances started in the Go Worker's wrangler dev", strconv.Itoa(len(instanceStarted.FindAllStringIndex(devs[0].dev.Log(), -1))), "", "1 per isolate")

	if *cpuRounds > 0 {
		cpuRows(t, cpu)
	}
	if *startupN > 0 {
		startupRows(t, st)
	}

	header := fmt.Sprintf("jquants-auth benchmark  %s\nmachine: %d CPUs (%s), %s, %s, wrangler %s, %s, load client: Go net/http keep-alive; bench took %s",
		time.Now().UTC().Format("2006-01-02 15:04:05 UTC"), runtime.NumCPU(), cpuModel(), runtime.Version(), nodeVersion(st, cpu),
		wranglerVersion(ctx), workerdVersion(ctx), time.Since(start).Round(time.Second))
	t.print(os.Stdout, header)
	if t.failed > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d budget(s) FAIL\n", t.failed)
		return 1
	}
	return 0
}

// sizes adds the size rows: the browser module and the Worker upload.
func sizes(ctx context.Context, t *table) int {
	progress("sizes: browser module and Worker upload (wrangler deploy --dry-run)")
	web, err := os.ReadFile("web/jquants-auth.wasm")
	if err != nil {
		return fatal(fmt.Errorf("%w (run `make web` first)", err))
	}
	gz, err := compressedSize(web, "gzip", "-9", "-c")
	if err != nil {
		return fatal(err)
	}
	br, brErr := compressedSize(web, "brotli", "-q", "11", "-c")
	t.section("Sizes")
	t.row("browser module web/jquants-auth.wasm, raw", bytesStr(len(web)), "", "")
	t.check("browser module, gzip -9", bytesStr(gz), "≤ "+bytesStr(budgetWebGzip), gz <= budgetWebGzip)
	if brErr != nil {
		t.row("browser module, brotli -q 11", "n/a ("+brErr.Error()+")", "", "")
	} else {
		t.row("browser module, brotli -q 11", bytesStr(br), "", "")
	}
	total, upGzip, err := dryRun(ctx)
	if err != nil {
		return fatal(err)
	}
	t.row("Worker upload (wrangler deploy --dry-run), total", fmt.Sprintf("%.2f KiB", total), "", "")
	t.check("Worker upload, gzip", fmt.Sprintf("%.2f KiB", upGzip), fmt.Sprintf("≤ %.1f KiB", budgetUploadGzip), upGzip <= budgetUploadGzip)
	return 0
}

func fatal(err error) int {
	fmt.Fprintln(os.Stderr, "bench:", err)
	return 2
}

func progress(s string) {
	fmt.Fprintf(os.Stderr, "bench: %s  [%s]\n", s, time.Now().Format("15:04:05"))
}

// ---- sizes ---------------------------------------------------------------

func compressedSize(data []byte, tool string, args ...string) (int, error) {
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(data)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w", tool, err)
	}
	return out.Len(), nil
}

// worker/entry.mjs logs each Go instance it starts.
var instanceStarted = regexp.MustCompile(`go instance #\d+ started`)

var uploadLine = regexp.MustCompile(`Total Upload: ([\d.]+) KiB / gzip: ([\d.]+) KiB`)

// dryRun runs `wrangler deploy --dry-run` (which builds via worker/build.sh)
// and returns the sizes it reports.
func dryRun(ctx context.Context) (total, gzip float64, err error) {
	dir, err := os.MkdirTemp("", "bench-dry-run-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "npx", "wrangler", "deploy", "--dry-run", "--outdir", dir)
	cmd.Env = append(os.Environ(), wranglerdev.OfflineEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrangler deploy --dry-run: %w\n%s", err, out)
	}
	m := uploadLine.FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("wrangler deploy --dry-run: no \"Total Upload\" line in:\n%s", out)
	}
	total, _ = strconv.ParseFloat(string(m[1]), 64)
	gzip, _ = strconv.ParseFloat(string(m[2]), 64)
	return total, gzip, nil
}

// ---- start-up --------------------------------------------------------------

type spread struct{ Median, Best, Worst float64 }

type startupResult struct {
	Node          string
	N             int
	CompileMs     float64
	InstantiateMs spread
	RunMs         spread
	TotalMs       spread
	MemBytes      struct{ Median, Best, Worst int64 }
}

func startup(ctx context.Context) (startupResult, error) {
	var r startupResult
	out, err := runNode(ctx, "bench/startup.mjs", "build/app.wasm", "build/wasm_exec.js", strconv.Itoa(*startupN))
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(out, &r)
}

func startupRows(t *table, st startupResult) {
	t.section(fmt.Sprintf("Go Worker start-up in Node %s (%d instances of build/app.wasm; with worker/entry.mjs paid once per isolate, not per request)", st.Node, st.N))
	t.row("compile (new WebAssembly.Module), once", ms(st.CompileMs), "", "")
	t.row("instantiate + go.run until ready(): median / best", ms(st.TotalMs.Median)+" / "+ms(st.TotalMs.Best), "", "")
	t.row("  of which WebAssembly.Instance: median / best", ms(st.InstantiateMs.Median)+" / "+ms(st.InstantiateMs.Best), "", "")
	t.row("  of which Go init + main until ready(): median / best", ms(st.RunMs.Median)+" / "+ms(st.RunMs.Best), "", "")
	t.row("linear memory per instance after ready()", fmt.Sprintf("%.2f MiB", float64(st.MemBytes.Median)/(1<<20)), "", "")
}

// ---- CPU per request --------------------------------------------------------

type cpuStat struct{ Median, Best float64 }

type cpuResult struct {
	Node   string
	Rounds int
	N      int
	Go, JS struct{ C1, C16 cpuStat }
}

func cpuPerRequest(ctx context.Context) (cpuResult, error) {
	var r cpuResult
	out, err := runNode(ctx, "bench/cpu.mjs", "build/app.wasm", "build/wasm_exec.js", "bench/jsworker/worker.mjs", strconv.Itoa(*cpuRounds), "1000")
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(out, &r)
}

func cpuRows(t *table, c cpuResult) {
	t.section(fmt.Sprintf("Handler CPU per request in Node %s, upstream fetch stubbed (median / best of %d rounds of %d logins; the Workers' own work, which wrangler dev's routing hides)", c.Node, c.Rounds, c.N))
	us := func(s cpuStat) string { return fmt.Sprintf("%.0f / %.0f µs", s.Median, s.Best) }
	t.row("CPU per request c=1, Go Worker", us(c.Go.C1), "", "")
	t.row("CPU per request c=1, JS Worker", us(c.JS.C1), "", "")
	t.row("CPU per request c=1, Go/JS (medians)", fmt.Sprintf("%.1f", c.Go.C1.Median/c.JS.C1.Median), "", "")
	t.row("CPU per request c=16, Go Worker", us(c.Go.C16), "", "")
	t.row("CPU per request c=16, JS Worker", us(c.JS.C16), "", "")
	t.row("CPU per request c=16, Go/JS (medians)", fmt.Sprintf("%.1f", c.Go.C16.Median/c.JS.C16.Median), "", "")
}

// runNode runs a bench script with Node 22 (node_modules/.bin/node) and
// returns its last line of output (the scripts print one JSON object).
func runNode(ctx context.Context, args ...string) ([]byte, error) {
	node := filepath.Join("node_modules", ".bin", "node")
	if _, err := os.Stat(node); err != nil {
		node = "node"
	}
	cmd := exec.CommandContext(ctx, node, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s%s", args[0], err, out, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return []byte(lines[len(lines)-1]), nil
}

func nodeVersion(st startupResult, c cpuResult) string {
	return "node " + cmp.Or(st.Node, c.Node, "?") + " (CPU, start-up)"
}

// ---- wrangler dev ----------------------------------------------------------

type devSpec struct {
	name string
	opts wranglerdev.Options
	div  int // request counts divided by this (0: 1)
	dev  *wranglerdev.Dev
	rss0 int64 // workerd RSS once started
}

func startDevs(ctx context.Context, devs []devSpec) error {
	var wg sync.WaitGroup
	errs := make([]error, len(devs))
	for i := range devs {
		if *verbose {
			devs[i].opts.Echo = os.Stderr
		}
		wg.Go(func() {
			devs[i].dev, errs[i] = wranglerdev.Start(ctx, devs[i].opts)
		})
	}
	wg.Wait()
	for i := range devs {
		if devs[i].dev != nil {
			devs[i].rss0, _ = devs[i].dev.WorkerdRSS()
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, d := range devs {
			if d.dev != nil {
				d.dev.Close()
			}
		}
		return err
	}
	return nil
}

// syumaiBuild builds the Worker with syumai's per-request-instance entry into
// a temporary directory and writes a wrangler.toml for it there (no [build]:
// build/, which the Go Worker's wrangler dev serves, is left alone).
func syumaiBuild(ctx context.Context, root string) (config string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "bench-syumai-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	cmd := exec.CommandContext(ctx, "bash", "worker/build.sh")
	cmd.Env = append(os.Environ(), "WORKER_ENTRY=syumai", "WORKER_OUT_DIR="+filepath.Join(dir, "build"))
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("WORKER_ENTRY=syumai worker/build.sh: %w\n%s", err, out)
	}
	toml, err := os.ReadFile("wrangler.toml")
	if err != nil {
		cleanup()
		return "", nil, err
	}
	// The project's wrangler.toml with main, [build] and the assets
	// directory pointed elsewhere.
	var b strings.Builder
	skip := false
	for line := range strings.Lines(string(toml)) {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "["):
			skip = trimmed == "[build]"
		case skip:
			continue
		case strings.HasPrefix(trimmed, "name ="):
			line = "name = \"jquants-auth-syumai-entry\"\n"
		case strings.HasPrefix(trimmed, "main ="):
			line = "main = \"./build/worker.mjs\"\n"
		case strings.HasPrefix(trimmed, "directory ="):
			line = "directory = " + strconv.Quote(filepath.Join(root, "web")) + "\n"
		}
		if !skip {
			b.WriteString(line)
		}
	}
	config = filepath.Join(dir, "wrangler.toml")
	if err := os.WriteFile(config, []byte(b.String()), 0o644); err != nil {
		cleanup()
		return "", nil, err
	}
	return config, cleanup, nil
}

// ---- load ------------------------------------------------------------------

var loginBody = []byte(`{"mailaddress":"` + authtest.DemoMailAddress + `","password":"` + authtest.DemoPassword + `"}`)

type result struct {
	p50, p99 time.Duration
	rps      float64
}

type target struct {
	name   string
	url    string
	div    int
	client *http.Client
	best   result
	n      int // rounds done

	lat []time.Duration // this round's latencies at c=1
	rps float64         // this round's throughput at c=16
}

func newTarget(name, url string, div int) *target {
	if div < 1 {
		div = 1
	}
	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &target{name: name, url: url, div: div, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (tg *target) label() string {
	if tg.div > 1 {
		return fmt.Sprintf("%s (1/%d of the requests)", tg.name, tg.div)
	}
	return tg.name
}

// login makes one valid demo login and checks that it got a token.
func (tg *target) login(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tg.url, bytes.NewReader(loginBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", benchOrigin)
	resp, err := tg.client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"refreshToken":"`+authtest.TokenPrefix)) {
		return fmt.Errorf("status %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// parallel makes n logins from c goroutines, returning the wall time.
func (tg *target) parallel(ctx context.Context, n, c int) (time.Duration, error) {
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				if err := tg.login(ctx); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return 0, *p
	}
	return time.Since(start), nil
}

func (tg *target) warm(ctx context.Context, n int) error {
	_, err := tg.parallel(ctx, n/tg.div, 16)
	return err
}

// latencyInTurns makes n1 logins at concurrency 1 on each target, the
// targets taking turns request by request (the order flipping every turn).
func latencyInTurns(ctx context.Context, targets []*target, round int) error {
	for _, tg := range targets {
		tg.lat = make([]time.Duration, 0, *n1/tg.div)
	}
	for i := range *n1 {
		turn := targets
		if (i+round)%2 == 1 {
			turn = slices.Clone(targets)
			slices.Reverse(turn)
		}
		for _, tg := range turn {
			if i >= *n1/tg.div {
				continue
			}
			t0 := time.Now()
			if err := tg.login(ctx); err != nil {
				return fmt.Errorf("%s: c=1: %w", tg.name, err)
			}
			tg.lat = append(tg.lat, time.Since(t0))
		}
	}
	return nil
}

func (tg *target) throughput(ctx context.Context) error {
	n := *n16 / tg.div
	wall, err := tg.parallel(ctx, n, 16)
	if err != nil {
		return err
	}
	tg.rps = float64(n) / wall.Seconds()
	return nil
}

// endRound keeps the best of this round's figures.
func (tg *target) endRound() {
	slices.Sort(tg.lat)
	r := result{p50: quantile(tg.lat, 0.50), p99: quantile(tg.lat, 0.99), rps: tg.rps}
	fmt.Fprintf(os.Stderr, "bench:   %-13s p50 %s  p99 %s  c=16 %.0f req/s\n", tg.name, ms(r.p50), ms(r.p99), r.rps)
	if tg.n == 0 {
		tg.best = r
	} else {
		tg.best.p50 = min(tg.best.p50, r.p50)
		tg.best.p99 = min(tg.best.p99, r.p99)
		tg.best.rps = max(tg.best.rps, r.rps)
	}
	tg.n++
}

func find(targets []*target, name string) *target {
	for _, t := range targets {
		if t.name == name {
			return t
		}
	}
	return nil
}

// quantile of sorted samples (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ---- machine ---------------------------------------------------------------

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func wranglerVersion(ctx context.Context) string {
	// Through npx, which puts node_modules/.bin (Node 22) first on PATH.
	cmd := exec.CommandContext(ctx, "npx", "wrangler", "--version")
	cmd.Env = append(os.Environ(), wranglerdev.OfflineEnv...)
	out, err := cmd.Output()
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return "?"
	}
	return f[len(f)-1]
}

func workerdVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, filepath.Join("node_modules", ".bin", "workerd"), "--version").Output()
	if err != nil {
		return "workerd ?"
	}
	return strings.TrimSpace(string(out))
}

// ---- table -----------------------------------------------------------------

type tableRow struct {
	section                       string
	measure, value, budget, check string
}

type table struct {
	rows   []tableRow
	failed int
}

func (t *table) section(s string) { t.rows = append(t.rows, tableRow{section: s}) }

func (t *table) row(measure, value, budget, check string) {
	t.rows = append(t.rows, tableRow{measure: measure, value: value, budget: budget, check: check})
}

func (t *table) check(measure, value, budget string, ok bool) {
	mark := "PASS"
	if !ok {
		mark = "FAIL"
		t.failed++
	}
	t.row(measure, value, budget, mark)
}

func (t *table) print(w io.Writer, header string) {
	fmt.Fprintln(w, header)
	head := tableRow{measure: "measure", value: "value", budget: "budget", check: "check"}
	var wm, wv, wb, wc int
	for _, r := range append([]tableRow{head}, t.rows...) {
		if r.section == "" {
			wm = max(wm, utf8.RuneCountInString(r.measure))
			wv = max(wv, utf8.RuneCountInString(r.value))
			wb = max(wb, utf8.RuneCountInString(r.budget))
			wc = max(wc, utf8.RuneCountInString(r.check))
		}
	}
	pad := func(s string, n int) string { return s + strings.Repeat(" ", n-utf8.RuneCountInString(s)) }
	line := func(r tableRow) {
		fmt.Fprintln(w, strings.TrimRight("| "+pad(r.measure, wm)+" | "+pad(r.value, wv)+" | "+pad(r.budget, wb)+" | "+pad(r.check, wc)+" |", " "))
	}
	line(head)
	fmt.Fprintln(w, "|"+strings.Repeat("-", wm+2)+"|"+strings.Repeat("-", wv+2)+"|"+strings.Repeat("-", wb+2)+"|"+strings.Repeat("-", wc+2)+"|")
	for _, r := range t.rows {
		if r.section != "" {
			fmt.Fprintln(w, "| **"+r.section+"** | | | |")
			continue
		}
		line(r)
	}
	if t.failed > 0 {
		fmt.Fprintf(w, "budgets: %d FAIL\n", t.failed)
	} else {
		fmt.Fprintln(w, "budgets: all PASS")
	}
}

func bytesStr(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + " B"
}

func ms[T time.Duration | float64](v T) string {
	switch v := any(v).(type) {
	case time.Duration:
		return fmt.Sprintf("%.2f ms", float64(v)/float64(time.Millisecond))
	case float64:
		return fmt.Sprintf("%.2f ms", v)
	}
	return ""
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
