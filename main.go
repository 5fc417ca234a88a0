//go:build js && wasm

// The Cloudflare Worker build: the proxy handler served by syumai/workers.
// syumai's packages are imported here only: they panic at init outside
// workerd. main_other.go is the native build of the same handler.
package main

import (
	"os"
	"syscall/js"

	"github.com/jquants-auth/jquants-auth/internal/jsfetch"
	"github.com/jquants-auth/jquants-auth/internal/workerglue"
	"github.com/jquants-auth/jquants-auth/proxy"
	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
)

func main() {
	var limiter proxy.Limiter
	if b := cloudflare.GetBinding("LOGIN_LIMITER"); b.Type() == js.TypeObject {
		limiter = workerglue.RateLimiter{Binding: b}
	}
	// A bad configuration is answered per request (500, code misconfigured)
	// and logged here once; the Worker does not crash. The per-request log
	// lines go to console.log as os.Stdout's would, minus syscall's fs.write
	// round trip (about 50 µs of Go CPU per request in Node; bench/).
	h, err := proxy.NewFromEnv(cloudflare.Getenv, jsfetch.New(), limiter, &workerglue.Console{})
	if err != nil {
		os.Stdout.WriteString("jquants-auth: configuration error: " + err.Error() + "\n")
	}
	// worker/entry.mjs keeps one Go instance for every request of an isolate
	// and says so: then answers skip syumai's stream adapters, which leak a
	// little per request, and the entry hands requests to
	// binding.serveRequest (workerglue.Serve), which crosses into JS far less
	// often than syumai's handleRequest (kept for an older entry). syumai's
	// own entry starts an instance per request and ends it when the answer's
	// stream closes (Done).
	if jsContext := js.Global().Get("context"); jsContext.Get("singleInstance").Truthy() {
		workers.ServeNonBlock(workerglue.LowLeak(h))
		workerglue.Serve(jsContext.Get("binding"), h)
		workers.Ready()
		select {}
	}
	workers.ServeNonBlock(h)
	workers.Ready()
	<-workers.Done()
}
