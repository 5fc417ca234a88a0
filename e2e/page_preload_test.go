//go:build !js

package e2e

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPagePreloads: index.html starts every download the page needs while
// it is parsed, and each file is fetched once: the .wasm's preload is the
// one jquants-auth.mjs's fetch takes (same mode and credentials), and the
// modules' preloads are the ones the imports take. On a repeat visit the
// module comes from the browser's cache without a request. Through wrangler
// dev and through internal/webassets (`go run .`'s), which also counts what
// it got.
func TestPagePreloads(t *testing.T) {
	servePageWeb(t)
	module := builtModule(t)
	for name, origin := range map[string]string{"wrangler dev": worker.URL, "webassets": otherOrigin} {
		t.Run(name, func(t *testing.T) {
			b := newPageBrowser(t)
			var mu sync.Mutex
			requested := map[string]int{} // path → requests the browser sent (CDP)
			chromedp.ListenTarget(b.ctx, func(ev any) {
				if e, ok := ev.(*network.EventRequestWillBeSent); ok {
					if u, err := url.Parse(e.Request.URL); err == nil && u.Host == strings.TrimPrefix(origin, "http://") {
						mu.Lock()
						requested[u.Path]++
						mu.Unlock()
					}
				}
			})
			served := otherSite.requestCount()
			b.open(t, origin+"/")
			var r struct {
				Loaded       bool               `json:"loaded"`
				Initiator    map[string]string  `json:"initiator"`
				Entries      map[string]int     `json:"entries"`
				Start        map[string]float64 `json:"start"`
				ParserDoneAt float64            `json:"parserDoneAt"`
			}
			// The page's own load() has started at once; this waits for it.
			b.eval(t, `(async () => {
  const m = await import("/jquants-auth.mjs");
  const loaded = typeof (await m.load()).authUser === "function";
  const initiator = {}, entries = {}, start = {};
  for (const e of performance.getEntriesByType("resource")) {
    const p = new URL(e.name).pathname;
    entries[p] = (entries[p] ?? 0) + 1;
    initiator[p] = e.initiatorType;
    start[p] = e.startTime;
  }
  return { loaded, initiator, entries, start, parserDoneAt: performance.getEntriesByType("navigation")[0].domInteractive };
})()`, &r)
			require.True(t, r.Loaded, "the module did not load")

			for _, p := range []string{module, "/wasm_exec.js", "/jquants-auth.mjs", "/app.mjs", "/style.css"} {
				mu.Lock()
				n := requested[p]
				mu.Unlock()
				assert.Equal(t, 1, n, "requests for %s", p)
				assert.Equal(t, 1, r.Entries[p], "Resource Timing entries for %s", p)
				// Asked for by the document's <link>s, before the parser
				// was done: before any module ran.
				assert.Less(t, r.Start[p], r.ParserDoneAt, "%s was not asked for while the page was parsed", p)
			}
			assert.Equal(t, "link", r.Initiator[module], "the .wasm was not fetched by its preload")
			if origin == otherOrigin {
				var wasm int
				for _, req := range otherSite.requestsSince(served) {
					if req == "GET "+module {
						wasm++
					}
				}
				assert.Equal(t, 1, wasm, "GET %s the server received", module)
			}
			for _, m := range b.log() {
				assert.NotContains(t, strings.ToLower(m.Text), "preload", "the browser said: %s", m)
			}

			// A repeat visit: the module, whose URL changes with its
			// content, comes from the browser's cache unasked; the page
			// and the files whose URL stays are asked again (a 304 each).
			served = otherSite.requestCount()
			b.openKeyPage(t, origin+"/")
			var again struct {
				Loaded   bool               `json:"loaded"`
				Transfer map[string]float64 `json:"transfer"`
			}
			b.eval(t, `(async () => {
  const m = await import("/jquants-auth.mjs");
  const loaded = typeof (await m.load()).authUser === "function";
  const transfer = {};
  for (const e of [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]) {
    transfer[new URL(e.name).pathname] = e.transferSize;
  }
  return { loaded, transfer };
})()`, &again)
			require.True(t, again.Loaded, "the module did not load again")
			require.Contains(t, again.Transfer, module)
			assert.Zero(t, again.Transfer[module], "bytes moved for the module on a repeat visit")
			for _, p := range []string{"/", "/app.mjs", "/jquants-auth.mjs", "/wasm_exec.js"} {
				assert.Positive(t, again.Transfer[p], "%s was not asked for again", p)
			}
			if origin == otherOrigin {
				got := otherSite.requestsSince(served)
				assert.NotContains(t, got, "GET "+module)
				assert.Contains(t, got, "GET /")
			}
		})
	}
}
