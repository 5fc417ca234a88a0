//go:build js && wasm

// Command wasm is the deciding half of the browser module: package auth
// compiled to WebAssembly, with no I/O. web/jquants-auth.mjs sends the
// requests with fetch, waits, and asks Go what each outcome means. This file
// and v2.go are the whole JS↔Go boundary. main sets one global, which
// jquants-auth.mjs takes off globalThis at once,
//
//	globalThis.__jquantsAuth = { begin, decide,
//	  fetchBegin, fetchNext, fetchReceive, fetchEnd }
//
// and blocks, so that the functions stay callable. All are synchronous.
// begin and decide are the retired V1 login (below): Go keeps nothing
// between their calls (the caller passes the attempt number back). The V2
// functions (API keys, paged GETs) are in v2.go.
//
//	begin("auth_user", baseURL, mailaddress, password)
//	begin("auth_refresh", baseURL, refreshToken)
//	  → { url: string, body: string }   POST body as JSON text
//	  | { error: ErrorObject }           code "invalid_input"; nothing to send
//
// baseURL is undefined, null or "" for the J-Quants API, else
// http(s)://host[:port][/path]. auth_user's body is {"mailaddress","password"};
// auth_refresh's is {"refreshtoken"}, the proxy's shape, which keeps the
// token out of URLs; to J-Quants itself (no baseURL) the token goes in the
// query and body is "", as its contract says.
//
//	decide(kind, attempt, status, retryAfter, body, fault)
//	  → { token: string, issuedAt: number, expiresAt: number }   epoch ms
//	  | { waitMs: number }               wait, then send the same request again
//	  | { error: ErrorObject }
//
// attempt counts the outcomes decided before this one (0 first); status is
// the HTTP status (0 for none); retryAfter the Retry-After header or null;
// body a Uint8Array of at most 64 KiB, or null; fault "" for an answer, else
// "network" (fetch failed), "timeout" (the call's time ran out), "canceled"
// (the caller aborted) or "too_large" (the body is over 64 KiB; status set).
//
//	ErrorObject = { message, status, code, retryAfter? }
//
// message is one sentence: the server's own message when it sent one, else
// the code's description; never a password or a token. status is 0 when
// there was no HTTP answer. code is auth.Code, or the proxy's {"code"};
// "internal" if Go panicked. retryAfter is in whole seconds, when said.
package main

import (
	"context"
	"errors"
	"strings"
	"syscall/js"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// globalName is the one global the module sets.
const globalName = "__jquantsAuth"

var (
	jsObject     = js.Global().Get("Object")
	jsUint8Array = js.Global().Get("Uint8Array")
)

func main() {
	register()
	select {}
}

// register sets globalThis.__jquantsAuth. The functions live as long as the
// program, so they are never released.
func register() {
	api := jsObject.New()
	api.Set("begin", export(begin))
	api.Set("decide", export(decide))
	api.Set("fetchBegin", export(fetchBegin))
	api.Set("fetchNext", export(fetchNext))
	api.Set("fetchReceive", export(fetchReceive))
	api.Set("fetchEnd", export(fetchEnd))
	js.Global().Set(globalName, api)
}

// export makes f callable from JS. A panic (a bug, or arguments our own JS
// never passes) answers with code "internal" instead of ending the program.
func export(f func(args []js.Value) js.Value) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (v any) {
		defer func() {
			if recover() != nil {
				v = errorObject(0, "internal", "The jquants-auth module failed; this is a bug.", 0)
			}
		}()
		return f(args)
	})
}

// begin and decide are the two exported functions; see the package comment.
func begin(args []js.Value) js.Value {
	ep := endpoint(arg(args, 0))
	var req auth.Request
	var refreshToken string
	switch ep {
	case auth.AuthUser:
		mail, password := arg(args, 2), arg(args, 3)
		if mail.Type() != js.TypeString || password.Type() != js.TypeString {
			return inputError("The mail address and the password must be strings.")
		}
		creds, err := auth.NewCredentials(mail.String(), password.String())
		if err != nil {
			return inputError(inputMessage(err))
		}
		req.Body = creds.RequestBody()
	case auth.AuthRefresh:
		tok := arg(args, 2)
		if tok.Type() != js.TypeString {
			return inputError("The refresh token must be a string.")
		}
		if err := auth.CheckRefreshToken(tok.String()); err != nil {
			return inputError(inputMessage(err))
		}
		refreshToken = tok.String()
	}
	var msg string
	if req.URL, msg = baseURL(arg(args, 1)); msg != "" {
		return inputError(msg)
	}
	switch {
	case ep == auth.AuthUser:
		req.URL = strings.TrimRight(req.URL, "/") + ep.Path()
	case req.URL == auth.DefaultBaseURL:
		// J-Quants itself takes the token only in the query.
		req = auth.AuthRefreshRequest(req.URL, refreshToken)
	default:
		req.URL = strings.TrimRight(req.URL, "/") + ep.Path()
		req.Body = flatjson.AppendObject(nil, auth.FieldRefreshToken, refreshToken)
	}
	o := jsObject.New()
	o.Set("url", req.URL)
	o.Set("body", string(req.Body))
	return o
}

func decide(args []js.Value) js.Value {
	ep := endpoint(arg(args, 0))
	x := auth.Exchange{Endpoint: ep, Attempt: arg(args, 1).Int()}
	a := auth.Answer{StatusCode: arg(args, 2).Int()}
	if v := arg(args, 3); v.Type() == js.TypeString {
		a.Header = auth.Header{"Retry-After": {v.String()}}
	}
	if v := arg(args, 4); v.InstanceOf(jsUint8Array) {
		a.Body = make([]byte, v.Length())
		js.CopyBytesToGo(a.Body, v)
	}
	var fault error
	switch f := arg(args, 5); {
	case f.Type() != js.TypeString || f.String() == "":
	case f.String() == "timeout":
		fault = context.DeadlineExceeded
	case f.String() == "canceled":
		fault = context.Canceled
	case f.String() == "too_large":
		fault = auth.ErrAnswerTooLarge
	default:
		fault = errNoAnswer
	}
	step := x.Receive(a, fault, time.Now())
	switch {
	case !step.Done:
		o := jsObject.New()
		o.Set("waitMs", step.Wait.Milliseconds())
		return o
	case step.Err != nil:
		return answerError(ep, step.Err, a.Body)
	}
	o := jsObject.New()
	o.Set("token", step.Token.Value)
	o.Set("issuedAt", step.Token.IssuedAt.UnixMilli())
	o.Set("expiresAt", step.Token.ExpiresAt.UnixMilli())
	return o
}

// baseURL reads a baseURL argument: auth.DefaultBaseURL for undefined, null
// or "", else an http(s) URL (see isBaseURL); msg says what is wrong.
func baseURL(v js.Value) (url, msg string) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return auth.DefaultBaseURL, ""
	case js.TypeString:
		switch url = v.String(); {
		case url == "":
			return auth.DefaultBaseURL, ""
		case !isBaseURL(url):
			return "", "The baseURL must be an http or https URL without query, fragment or user name."
		}
		return url, ""
	}
	return "", "The baseURL must be a string."
}

// errNoAnswer stands for fetch's own error, whose text says nothing useful
// ("Failed to fetch", "fetch failed") and is not passed on.
var errNoAnswer = errors.New("no answer")

// endpoint reads begin's and decide's kind; anything else is our own JS's
// bug, which export turns into code "internal".
func endpoint(kind js.Value) auth.Endpoint {
	switch kind.String() {
	case "auth_user":
		return auth.AuthUser
	case "auth_refresh":
		return auth.AuthRefresh
	}
	panic("unknown kind")
}

// answerError is the ErrorObject for err, a failed outcome. When the answer
// came from our proxy, its {"code"} and message are the more precise ones
// (e.g. upstream_unreachable for a 502, or not_found for a 404 that auth
// would take for J-Quants' retired endpoint), so they win.
func answerError(ep auth.Endpoint, err error, body []byte) js.Value {
	var e *auth.Error
	if !errors.As(err, &e) {
		code := auth.Code(err)
		return errorObject(0, code, describe(ep, code), 0)
	}
	msg := e.Message
	if e.StatusCode != 200 {
		if e.Code = proxyCode(body); e.Code != "" {
			if m := auth.ErrorMessage(body); m != "" {
				msg = m
			}
		}
	}
	code := auth.Code(err)
	if msg == "" {
		msg = describe(ep, code)
	}
	return errorObject(e.StatusCode, code, sentence(msg), e.RetryAfter)
}

// proxyCode is the "code" member of an error body when it looks like one of
// the proxy's codes (lower-case letters and underscores), else "".
func proxyCode(body []byte) string {
	members, err := flatjson.ParseObject(body)
	if err != nil {
		return ""
	}
	m, _ := flatjson.Lookup(members, "code")
	if m.Kind != flatjson.String || !isProxyCode(m.Str) {
		return ""
	}
	return m.Str
}

// isProxyCode reports whether s looks like one of the proxy's codes:
// lower-case letters and underscores, at most 40.
func isProxyCode(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// describe is the sentence for a code when the server sent no message.
func describe(ep auth.Endpoint, code string) string {
	switch code {
	case auth.CodeInvalidCredentials:
		if ep == auth.AuthRefresh {
			return "The refresh token is incorrect or has expired."
		}
		return "The mail address or password is incorrect."
	case auth.CodeForbidden:
		return "The server refused the request."
	case auth.CodeRateLimited:
		return "Too many attempts; try again later."
	case auth.CodeEndpointGone:
		return "J-Quants retired its V1 API on 2026-06-01."
	case auth.CodeTimeout:
		return "No answer came in time."
	case auth.CodeNetwork:
		return "The server could not be reached."
	case auth.CodeCanceled:
		return "The call was canceled."
	}
	return "The server did not answer as expected; try again later."
}

// inputMessage is an *auth.InputError in words: "The mail address is
// required." Its Field is the contract's spelling, not the reader's.
func inputMessage(err error) string {
	var e *auth.InputError
	if !errors.As(err, &e) {
		return sentence(err.Error())
	}
	field := e.Field
	switch field {
	case auth.FieldMailAddress:
		field = "mail address"
	case auth.FieldRefreshToken:
		field = "refresh token"
	case auth.FieldAPIKey:
		field = "API key"
	}
	return "The " + field + " " + e.Reason + "."
}

// sentence starts s with a capital and ends it with a full stop, so that
// messages from auth and the proxy ("the body is larger than 4 KiB") read
// as one sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if c := s[0]; 'a' <= c && c <= 'z' {
		s = string(c-'a'+'A') + s[1:]
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return s
	}
	return s + "."
}

func inputError(msg string) js.Value {
	return errorObject(0, auth.CodeInvalidInput, msg, 0)
}

// errorObject is { error: { message, status, code, retryAfter? } }.
func errorObject(status int, code, msg string, retryAfter time.Duration) js.Value {
	e := jsObject.New()
	e.Set("message", msg)
	e.Set("status", status)
	e.Set("code", code)
	if retryAfter > 0 {
		e.Set("retryAfter", int64((retryAfter+time.Second-1)/time.Second))
	}
	o := jsObject.New()
	o.Set("error", e)
	return o
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

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}
