// Package fetchtest fakes the JS global fetch for tests that run under Node
// (GOOS=js GOARCH=wasm go test -exec go_js_wasm_exec): Install replaces
// globalThis.fetch with a JS function that records each call and answers
// from a snippet of JS, and Await waits for a promise from a test goroutine.
// It only has code for js/wasm.
package fetchtest
