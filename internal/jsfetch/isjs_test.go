//go:build js && wasm

package jsfetch

const isJS = true
