//go:build !js || !wasm

package jsfetch

import (
	"context"
	"errors"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Transport is an auth.Transport over the JS fetch API. Outside js/wasm there
// is no fetch: Post always fails with an error matching errors.ErrUnsupported.
type Transport struct{}

var _ auth.Transport = Transport{}

// New returns a Transport over globalThis.fetch.
func New() Transport { return Transport{} }

// Post fails: there is no JS fetch outside js/wasm.
func (Transport) Post(context.Context, string, []byte) (auth.Answer, error) {
	return auth.Answer{}, NewError("Error", "no JavaScript fetch outside GOOS=js", errors.ErrUnsupported)
}
