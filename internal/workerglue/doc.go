// Package workerglue holds the Worker build's JavaScript glue that is not
// syumai/workers' own: reading a request body and writing an answer without
// the per-request leaks of syumai's stream adapters (which matter once one Go
// instance serves every request), Serve, the single-instance entry's cheaper
// way into the handler (the request and answer cross between JS and Go as a
// few strings instead of dozens of JS values), Console, a log writer over
// console.log, and a proxy.Limiter over the Workers Rate Limiting binding. It imports syscall/js, never syumai (whose packages panic
// at init outside workerd), so its tests run under Node.
//
// Outside js/wasm the package is empty.
package workerglue
