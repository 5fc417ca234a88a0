//go:build js && wasm

// Command wasm is the deciding half of the browser module: package auth
// compiled to WebAssembly, with no I/O. web/jquants-auth.mjs sends the
// requests with fetch, waits, and asks Go what each outcome means. This
// file and v2.go are the whole JS↔Go boundary, and it is generic: bytes in,
// bytes out, through one buffer in Go's memory, behind two //go:wasmexport
// functions.
// main blocks, which keeps the runtime alive: a returned main would end it,
// and an export called after that runs on a dead runtime.
//
//	buffer(n) → ptr   the buffer, grown to at least n bytes
//	call(n) → m       runs the call whose n bytes JS wrote at ptr, and
//	                  writes its result there: m bytes of JSON text
//
// JS views the buffer as new Uint8Array(exports.mem.buffer, ptr, n), afresh
// for each use: memory grows, and growing detaches the old views. A call is
// values one after the other, its function's name first, then its
// arguments: each a tag byte, a 4-byte little-endian length and that many
// bytes. Tag 0 is undefined or null (no bytes), 1 a string (UTF-8), 2 a
// number (float64, little-endian), 3 a Uint8Array, 4 any other value (no
// bytes), 5 a boolean (one byte, 1 for true), 6 an object that is not an
// array (its own entries' names and values, one after the other, encoded
// as values, an object among them as tag 4). An export costs about 0.1 µs
// to call where a js.FuncOf function cost 14 µs, and Go makes no call into
// JS. To add a function: a case in invoke here, and a name jquants-auth.mjs
// calls. begin and decide, below, are the retired V1 login: Go keeps
// nothing between their calls (the caller passes the attempt number back).
// The V2 functions (fetchBegin, fetchNext, fetchReceive, fetchEnd: API
// keys, paged GETs) are in v2.go.
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
// "internal" if Go panicked (a bug, or a call our own JS never makes).
// retryAfter is in whole seconds, when said.
package main

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/errtree"
	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

func main() {
	select {} // the exports serve until the page goes
}

// buf is the one buffer: each call's bytes in, then its result out.
var buf []byte

//go:wasmexport buffer
func buffer(n int32) uint32 {
	if cap(buf) < int(n) {
		buf = make([]byte, max(int(n), 2*cap(buf), 4<<10))
	}
	buf = buf[:cap(buf)]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
}

//go:wasmexport call
func call(n int32) int32 {
	out := invoke(n)
	// The call may have held a password or a key: it stays no longer than
	// the call (the result, which JS clears once read, may hold a key too).
	clear(buf[:min(max(int(n), 0), len(buf))])
	buffer(int32(len(out)))
	return int32(copy(buf, out))
}

// invoke runs the call in the buffer's first n bytes (see the package
// comment) and returns its result. A panic (a bug, or a call our own JS
// never makes) answers with code "internal" instead of ending the program.
func invoke(n int32) (out []byte) {
	defer func() {
		if recover() != nil {
			out = errorObject(0, "internal", "The jquants-auth module failed; this is a bug.", 0)
		}
	}()
	args := decodeValues(buf[:n])
	name, args := args[0].str(), args[1:]
	switch name {
	case "begin":
		return begin(args)
	case "decide":
		return decide(args)
	case "fetchBegin":
		return fetchBegin(args)
	case "fetchNext":
		return fetchNext(args)
	case "fetchReceive":
		return fetchReceive(args)
	case "fetchEnd":
		return fetchEnd(args)
	}
	panic("unknown function " + name)
}

// The tags of a call's values.
const (
	tagNone = iota
	tagString
	tagNumber
	tagBytes
	tagOther
	tagBool
	tagObject
)

// value is one value of a call. Its bytes are copied out of the buffer,
// which the result overwrites.
type value struct {
	tag   byte
	bytes []byte
}

func decodeValues(in []byte) []value {
	var vs []value
	for len(in) > 0 {
		n := littleEndian(in[1:5])
		vs = append(vs, value{tag: in[0], bytes: append([]byte(nil), in[5:5+n]...)})
		in = in[5+n:]
	}
	return vs
}

// littleEndian reads a little-endian number. encoding/binary would link
// reflect, cmp and slices for it: +1,004 B gzip -9.
func littleEndian(b []byte) uint64 {
	var n uint64
	for i := len(b) - 1; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n
}

// arg is args[i], or undefined past the end (a missing argument).
func arg(args []value, i int) value {
	if i < len(args) {
		return args[i]
	}
	return value{tag: tagNone}
}

// str is a string value's text; any other value is our own JS's bug.
func (v value) str() string {
	if v.tag != tagString {
		panic("not a string")
	}
	return string(v.bytes)
}

// num is a number value; any other value is our own JS's bug.
func (v value) num() float64 {
	if v.tag != tagNumber || len(v.bytes) != 8 {
		panic("not a number")
	}
	return math.Float64frombits(littleEndian(v.bytes))
}

// int is a number value, truncated, as js.Value.Int did.
func (v value) int() int { return int(v.num()) }

// isTrue reports whether v is the boolean true.
func (v value) isTrue() bool {
	return v.tag == tagBool && len(v.bytes) == 1 && v.bytes[0] == 1
}

// entries are an object value's names and values, one after the other.
func (v value) entries() []value {
	if v.tag != tagObject {
		panic("not an object")
	}
	return decodeValues(v.bytes)
}

// begin and decide are the functions; see the package comment.
func begin(args []value) []byte {
	ep := endpoint(arg(args, 0))
	var req auth.Request
	var refreshToken string
	switch ep {
	case auth.AuthUser:
		mail, password := arg(args, 2), arg(args, 3)
		if mail.tag != tagString || password.tag != tagString {
			return inputError("The mail address and the password must be strings.")
		}
		creds, err := auth.NewCredentials(mail.str(), password.str())
		if err != nil {
			return inputError(inputMessage(err))
		}
		req.Body = creds.RequestBody()
	case auth.AuthRefresh:
		tok := arg(args, 2)
		if tok.tag != tagString {
			return inputError("The refresh token must be a string.")
		}
		refreshToken = tok.str()
		if err := auth.CheckRefreshToken(refreshToken); err != nil {
			return inputError(inputMessage(err))
		}
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
	return flatjson.AppendObject(nil, "url", req.URL, "body", string(req.Body))
}

func decide(args []value) []byte {
	ep := endpoint(arg(args, 0))
	x := auth.Exchange{Endpoint: ep, Attempt: arg(args, 1).int()}
	a := auth.Answer{StatusCode: arg(args, 2).int()}
	if v := arg(args, 3); v.tag == tagString {
		a.Header = auth.Header{"Retry-After": {v.str()}}
	}
	if v := arg(args, 4); v.tag == tagBytes {
		a.Body = v.bytes
	}
	var fault error
	switch f := arg(args, 5); {
	case f.tag != tagString || len(f.bytes) == 0:
	case f.str() == "timeout":
		fault = context.DeadlineExceeded
	case f.str() == "canceled":
		fault = context.Canceled
	case f.str() == "too_large":
		fault = auth.ErrAnswerTooLarge
	default:
		fault = errNoAnswer
	}
	step := x.Receive(a, fault, time.Now())
	switch {
	case !step.Done:
		return (&object{}).num("waitMs", step.Wait.Milliseconds()).end()
	case step.Err != nil:
		return answerError(ep, step.Err, a.Body)
	}
	return (&object{}).str("token", step.Token.Value).
		num("issuedAt", step.Token.IssuedAt.UnixMilli()).
		num("expiresAt", step.Token.ExpiresAt.UnixMilli()).end()
}

// baseURL reads a baseURL argument: auth.DefaultBaseURL for undefined, null
// or "", else an http(s) URL (see isBaseURL); msg says what is wrong.
func baseURL(v value) (url, msg string) {
	switch v.tag {
	case tagNone:
		return auth.DefaultBaseURL, ""
	case tagString:
		switch url = v.str(); {
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
// bug, which invoke turns into code "internal".
func endpoint(kind value) auth.Endpoint {
	switch kind.str() {
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
func answerError(ep auth.Endpoint, err error, body []byte) []byte {
	e, ok := errtree.As[*auth.Error](err)
	if !ok {
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
	e, ok := errtree.As[*auth.InputError](err)
	if !ok {
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

func inputError(msg string) []byte {
	return errorObject(0, auth.CodeInvalidInput, msg, 0)
}

// errorObject is { error: ErrorObject }.
func errorObject(status int, code, msg string, retryAfter time.Duration) []byte {
	return (&object{}).raw("error", errorMembers(status, code, msg, retryAfter).end()).end()
}

// errorMembers is an ErrorObject, { message, status, code, retryAfter? },
// open for more members.
func errorMembers(status int, code, msg string, retryAfter time.Duration) *object {
	e := (&object{}).str("message", msg).num("status", int64(status)).str("code", code)
	if retryAfter > 0 {
		e.num("retryAfter", int64((retryAfter+time.Second-1)/time.Second))
	}
	return e
}

// object writes a JSON object, member by member: flatjson's strings,
// numbers, booleans and null.
type object struct{ b []byte }

func (o *object) key(k string) {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = append(flatjson.AppendString(o.b, k), ':')
}

func (o *object) str(k, v string) *object {
	o.key(k)
	o.b = flatjson.AppendString(o.b, v)
	return o
}

func (o *object) num(k string, v int64) *object {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

func (o *object) bool(k string, v bool) *object {
	if v {
		return o.raw(k, []byte("true"))
	}
	return o.raw(k, []byte("false"))
}

// raw adds a member whose value is JSON already.
func (o *object) raw(k string, v []byte) *object {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

func (o *object) end() []byte {
	if len(o.b) == 0 {
		return []byte("{}")
	}
	return append(o.b, '}')
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
