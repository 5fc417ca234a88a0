//go:build js && wasm

package workerglue

import (
	"bytes"
	"sync"
	"syscall/js"
)

// Console is an io.Writer that prints through console.log, as os.Stdout
// does under wasm_exec.js (text up to the last newline in one call, the rest
// kept for the next write), but with one call into JS per write instead of
// syscall's fs.write round trip (a callback, a Uint8Array copy and a wait on
// a channel). Safe for concurrent use.
type Console struct {
	mu  sync.Mutex
	buf []byte
}

var console = js.Global().Get("console")

func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, p...)
	if nl := bytes.LastIndexByte(c.buf, '\n'); nl >= 0 {
		line := string(c.buf[:nl])
		c.buf = append(c.buf[:0], c.buf[nl+1:]...)
		console.Call("log", line)
	}
	return len(p), nil
}
