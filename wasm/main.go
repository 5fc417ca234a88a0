//go:build js && wasm

// Command wasm is the browser module: package auth compiled to WebAssembly,
// its requests sent with the browser's fetch (package jsfetch). This file is
// the whole JS↔Go boundary. main registers one global,
//
//	globalThis.__jquantsAuth = { authUser(mailaddress, password, options?) }
//
// and blocks forever; web/jquants-auth.mjs loads the module and wraps it.
//
// authUser returns a Promise. It resolves to
//
//	{ refreshToken: string, issuedAt: string, expiresAt: string }
//
// (ISO 8601 UTC with milliseconds; expiresAt is issuedAt plus 7 days) and
// rejects with an Error whose name is "JQuantsAuthError", with
//
//	status      the HTTP status of the answer, 0 when there was none
//	code        auth.Code: invalid_input, invalid_credentials, forbidden,
//	            rate_limited, upstream_error, endpoint_gone, timeout, network,
//	            canceled (or a code the proxy sent); "internal" for a Go panic
//	message     plain words, never the password or the token
//	retryAfter  seconds, when the answer said (Retry-After)
//
// options: baseURL (the proxy, e.g. "https://proxy.example"; default the
// J-Quants API itself, which a browser's CORS check refuses), timeoutMs (for
// the whole call, retries included; default 10000) and signal (an
// AbortSignal; aborting rejects with code "canceled"). Bad arguments reject
// with code "invalid_input" before anything is sent.
package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/jsfetch"
)

// globalName is the one global the module sets.
const globalName = "__jquantsAuth"

func main() {
	register()
	select {}
}

// register sets globalThis.__jquantsAuth. The functions live as long as the
// program, so they are never released.
func register() {
	api := object()
	api.Set("authUser", js.FuncOf(authUser))
	js.Global().Set(globalName, api)
}

// authUser is globalThis.__jquantsAuth.authUser. It runs inside a JS
// callback, so it checks its arguments and hands the round trip to a
// goroutine: waiting here for fetch would deadlock.
func authUser(_ js.Value, args []js.Value) any {
	mail, password, opts := arg(args, 0), arg(args, 1), arg(args, 2)
	if mail.Type() != js.TypeString || password.Type() != js.TypeString {
		return reject(&auth.InputError{Field: "mailaddress and password", Reason: "must be strings"})
	}
	creds, err := auth.NewCredentials(mail.String(), password.String())
	if err != nil {
		return reject(err)
	}
	client := &auth.Client{Transport: jsfetch.New()}
	signal, err := readOptions(opts, client)
	if err != nil {
		return reject(err)
	}
	if !signal.IsUndefined() && signal.Get("aborted").Truthy() {
		return reject(context.Canceled)
	}
	return promise(func() (js.Value, error) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if !signal.IsUndefined() {
			onAbort := js.FuncOf(func(js.Value, []js.Value) any {
				cancel()
				return nil
			})
			signal.Call("addEventListener", "abort", onAbort)
			defer func() {
				signal.Call("removeEventListener", "abort", onAbort)
				onAbort.Release()
			}()
		}
		tok, err := client.AuthUser(ctx, creds)
		if err != nil {
			return js.Undefined(), err
		}
		res := object()
		res.Set("refreshToken", tok.Value)
		res.Set("issuedAt", isoTime(tok.IssuedAt))
		res.Set("expiresAt", isoTime(tok.ExpiresAt))
		return res, nil
	})
}

// readOptions sets client's BaseURL and Timeout from options and returns its
// signal (undefined for none).
func readOptions(opts js.Value, client *auth.Client) (signal js.Value, err error) {
	bad := func(field, reason string) (js.Value, error) {
		return js.Undefined(), &auth.InputError{Field: field, Reason: reason}
	}
	switch opts.Type() {
	case js.TypeUndefined, js.TypeNull:
		return js.Undefined(), nil
	case js.TypeObject:
	default:
		return bad("options", "must be an object")
	}
	switch v := opts.Get("baseURL"); v.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeString:
		if !isBaseURL(v.String()) {
			return bad("baseURL", "must be an http or https URL without query, fragment or user name")
		}
		client.BaseURL = v.String()
	default:
		return bad("baseURL", "must be a string")
	}
	switch v := opts.Get("timeoutMs"); v.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeNumber:
		ms := v.Float()
		if !(ms >= 1 && ms <= 10*60*1000) { // also false for NaN
			return bad("timeoutMs", "must be a number of milliseconds from 1 to 600000")
		}
		client.Timeout = time.Duration(ms * float64(time.Millisecond))
	default:
		return bad("timeoutMs", "must be a number")
	}
	switch v := opts.Get("signal"); v.Type() {
	case js.TypeUndefined, js.TypeNull:
	case js.TypeObject:
		if v.Get("addEventListener").Type() != js.TypeFunction {
			return bad("signal", "must be an AbortSignal")
		}
		signal = v
	default:
		return bad("signal", "must be an AbortSignal")
	}
	return signal, nil
}

// isBaseURL accepts http(s)://host[:port][/path] with no query, fragment,
// user info, white space or backslash.
func isBaseURL(s string) bool {
	var rest string
	switch {
	case len(s) > 8 && strings.EqualFold(s[:8], "https://"):
		rest = s[8:]
	case len(s) > 7 && strings.EqualFold(s[:7], "http://"):
		rest = s[7:]
	default:
		return false
	}
	return len(s) <= 2048 && rest[0] != '/' && !strings.ContainsAny(s, "?#@\\ \t\r\n")
}

// promise returns a Promise settled by work, which runs on a goroutine of its
// own. A panic in work rejects with code "internal" instead of ending the
// program.
func promise(work func() (js.Value, error)) js.Value {
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, rejectFn := args[0], args[1]
		go func() {
			v, err := safely(work)
			if err != nil {
				rejectFn.Invoke(errorValue(err))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	defer executor.Release() // the executor runs inside new Promise
	return js.Global().Get("Promise").New(executor)
}

func safely(work func() (js.Value, error)) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = js.Undefined(), errInternal
		}
	}()
	return work()
}

// errInternal is a Go panic: a bug, not a failed login.
var errInternal = errors.New("internal error in the jquants-auth module")

// reject returns a Promise rejected with err.
func reject(err error) js.Value {
	return js.Global().Get("Promise").Call("reject", errorValue(err))
}

// errorValue is err as the JS Error the contract describes.
func errorValue(err error) js.Value {
	code := auth.Code(err)
	if err == errInternal {
		code = "internal"
	}
	e := js.Global().Get("Error").New(message(err))
	e.Set("name", "JQuantsAuthError")
	e.Set("code", code)
	status := 0
	var ae *auth.Error
	if errors.As(err, &ae) {
		status = ae.StatusCode
		if ae.RetryAfter > 0 {
			e.Set("retryAfter", int((ae.RetryAfter+time.Second-1)/time.Second))
		}
	}
	e.Set("status", status)
	return e
}

// message is err's text in plain words, without package prefixes. No error
// of package auth or jsfetch holds the password or the token.
func message(err error) string {
	if !errors.As(err, new(*auth.Error)) {
		switch auth.Code(err) {
		case auth.CodeCanceled:
			return "the login was canceled"
		case auth.CodeTimeout:
			return "no answer in time"
		}
	}
	// Cut every "auth: " (strings.ReplaceAll would add 5 KB to the module).
	s := err.Error()
	for {
		i := strings.Index(s, "auth: ")
		if i < 0 {
			return s
		}
		s = s[:i] + s[i+len("auth: "):]
	}
}

// isoTime is t as Date.prototype.toISOString writes it.
func isoTime(t time.Time) string {
	return js.Global().Get("Date").New(float64(t.UnixMilli())).Call("toISOString").String()
}

func object() js.Value { return js.Global().Get("Object").New() }

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}
