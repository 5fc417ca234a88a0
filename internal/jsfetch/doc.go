// Package jsfetch is an auth.Transport over the JavaScript fetch API, for Go
// compiled to WebAssembly (GOOS=js GOARCH=wasm): the browser module and the
// Cloudflare Worker. It links neither net/http nor fmt, which keeps the
// browser download small.
//
// The request is a POST with a sized body (a Uint8Array, so it carries a
// Content-Length and is never chunked), Content-Type and Accept
// application/json, and, where the runtime takes them, credentials "omit",
// cache "no-store", referrerPolicy "no-referrer" and redirect "error".
// Runtimes that reject one of those options (workerd rejects redirect
// "error", and credentials or cache without the matching compatibility flag)
// are probed once with new Request and the option is left out; redirect then
// falls back to "manual", where a 3xx comes back as an ordinary answer (an
// unexpected status for package auth) and an opaque redirect as an *Error.
// Redirects are never followed: a 307 or 308 would resend the password to
// wherever it points.
//
// The context is honoured with an AbortController: Post aborts the fetch when
// ctx is done and, when ctx has a deadline, also gives fetch an
// AbortSignal.timeout for the time left, so that the fetch ends on time even
// in a runtime that does not wake Go's timers (the Worker).
//
// Post awaits promises with channels, so it must run on a goroutine of its
// own, never directly inside a js.FuncOf callback (that would deadlock).
//
// Outside js/wasm the package only has the Error type and a Transport whose
// Post fails, so that code naming it still builds natively.
package jsfetch
