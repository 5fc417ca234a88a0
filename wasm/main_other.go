//go:build !js || !wasm

// Command wasm is the browser module; it only builds for GOOS=js GOARCH=wasm
// (make web). See main.go.
package main

import "os"

func main() {
	os.Stderr.WriteString("jquants-auth/wasm: build with GOOS=js GOARCH=wasm (make web)\n")
	os.Exit(2)
}
