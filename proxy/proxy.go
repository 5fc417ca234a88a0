// Package proxy is the J-Quants login proxy as a core without I/O, in the
// style of h11: an edge hands Prepare a request it has read (method, target,
// headers, a body of at most MaxBodyBytes+1 bytes), and gets either a
// final Answer or a Call to make upstream, each written into storage the
// edge owns (so an edge that reuses it allocates nothing for a login); it
// makes the call (asking its login limiter first when Call.LimitKey is
// set), hands the outcome to Finish, and sends the Answer. Every decision,
// every answer body and every log line is made here, once, for the native
// server (Handler, net/http), the Cloudflare Worker (main.go and
// worker/entry.mjs) and the tests.
//
// # Answers
//
// Every answer carries Cache-Control: no-store, X-Content-Type-Options:
// nosniff and Vary: Origin; every answer with a body is
// "application/json; charset=utf-8": {"refreshToken":"…"} or {"idToken":"…"}
// on success, {"message":"…","code":"…"} otherwise. Preflights and plain
// OPTIONS are 204 without a body. Codes:
//
//	status code                    when
//	200    -                       J-Quants issued a token
//	400    invalid_input           the body or query is not what the endpoint takes (see below)
//	400    invalid_credentials     J-Quants answered 400 (its message passed through)
//	403    forbidden               J-Quants answered 403 (its message passed through)
//	403    origin_not_allowed      Origin header not allowed (POST, preflight, any method)
//	404    not_found               any target but the endpoints [?query], once resolved as workerd resolves it
//	405    method_not_allowed      not POST or OPTIONS (Allow: OPTIONS, POST)
//	413    body_too_large          body over 4 KiB
//	415    unsupported_media_type  a body whose Content-Type is not JSON, text/plain or none, or has a charset other than UTF-8
//	429    rate_limited            the login limiter refused, or J-Quants answered 429 (with Retry-After)
//	499    canceled                the caller went away first (only seen in the log)
//	500    upstream_error          J-Quants answered 500 (its message passed through)
//	500    internal                a panic while serving
//	500    misconfigured           the Config is invalid (every request)
//	502    endpoint_gone           J-Quants answered 404: V1 was retired on 2026-06-01
//	502    upstream_error          J-Quants' answer is not the contract (other status, 101 included, 200 without token, cut off, over 64 KiB, an encoding not asked for)
//	502    upstream_unreachable    no answer at all (connection refused, reset, DNS …)
//	504    timeout                 no answer within UpstreamTimeout
//
// POST /v1/token/auth_user takes {"mailaddress","password"}. POST
// /v1/token/auth_refresh takes J-Quants' own shape (?refreshtoken=…, no
// body) or {"refreshtoken":"…"}, which keeps the token out of URLs and logs.
// A missing Content-Type and text/plain count as JSON, as J-Quants' own
// documentation sample and a browser's plain fetch send them; the Origin
// check still guards browsers.
//
// Checks run in this order and nothing goes upstream unless all pass:
// config, path (404), Origin (403), preflight (204), method (405),
// Content-Type (415), size (413), body (400), limiter (429).
package proxy

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// The proxy's own codes; it also uses auth.CodeInvalidInput,
// CodeInvalidCredentials, CodeForbidden, CodeRateLimited, CodeUpstreamError,
// CodeEndpointGone, CodeTimeout and CodeCanceled.
const (
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeNotFound             = "not_found"
	CodeOriginNotAllowed     = "origin_not_allowed"
	CodeInternal             = "internal"
	CodeMisconfigured        = "misconfigured"
	CodeUpstreamUnreachable  = "upstream_unreachable"
)

// StatusClientClosedRequest is logged when the caller went away before the
// answer (nginx's 499); nobody receives it.
const StatusClientClosedRequest = 499

// Allow is the Allow header of a 405 and of a plain OPTIONS answer.
const Allow = "OPTIONS, POST"

// Core makes the proxy's decisions. Create it with NewCore; it holds only
// the compiled Config, so it is safe for concurrent use.
type Core struct {
	c      compiled
	err    error  // non-nil: misconfigured, every request answers 500
	errMsg string // err on one line
}

// NewCore checks cfg and returns the core. It never returns nil: when cfg is
// invalid it returns the error, naming every bad field, together with a Core
// that answers every request 500 {"code":"misconfigured"}, so that a Worker
// keeps answering JSON instead of crashing.
func NewCore(cfg Config) (*Core, error) {
	c, err := compile(cfg)
	p := &Core{c: c}
	p.setErr(err)
	return p, err
}

// CoreFromEnv is ConfigFromEnv(getenv), then NewCore; the Worker's one-liner.
func CoreFromEnv(getenv func(name string) string) (*Core, error) {
	cfg, envErr := ConfigFromEnv(getenv)
	p, err := NewCore(cfg)
	err = errors.Join(envErr, err)
	p.setErr(err)
	return p, err
}

func (p *Core) setErr(err error) {
	p.err = err
	if err != nil {
		p.errMsg = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
}

// Err is the configuration error the core answers 500 for, or nil.
func (p *Core) Err() error { return p.err }

// URL is the upstream auth_user endpoint.
func (p *Core) URL() string { return p.c.authUserURL }

// UpstreamTimeout is the compiled upstream timeout.
func (p *Core) UpstreamTimeout() time.Duration { return p.c.timeout }

// BodyReadTimeout is the compiled Config.BodyReadTimeout.
func (p *Core) BodyReadTimeout() time.Duration { return p.c.bodyRead }

// Request is what Prepare needs of an incoming request.
type Request struct {
	Method string
	// Target is the request target as received natively (raw: dot
	// segments, fragment and absolute form included), or the path and query
	// of the URL workerd hands the Worker; resolveTarget makes them alike.
	Target string
	// Scheme ("http" or "https") and Host ("host[:port]") are the proxy's
	// own origin, to allow pages served from it.
	Scheme, Host string
	// Header holds each header once, names in lower case, repeated values
	// joined with ", " as fetch's Headers does. A header whose value is
	// empty counts as absent (Get, Has): workerd drops it before the Worker
	// runs, so the native edge must not see more.
	Header Header
	// Body is at most MaxBodyBytes+1 bytes: read no more. TooLarge says the
	// edge did not read it because Content-Length was over MaxBodyBytes;
	// ReadErr says reading failed (the text goes to the log only).
	Body     []byte
	TooLarge bool
	ReadErr  string
	// RemoteAddr is the peer's address, the limiter key when there is no
	// CF-Connecting-IP.
	RemoteAddr string
	// Start is when the request arrived, for the log's duration.
	Start time.Time
}

// Header is a request's headers as name, value pairs.
type Header [][2]string

// Get is the value of the header named name (in lower case), or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if f[0] == name {
			return f[1]
		}
	}
	return ""
}

// Has reports whether the header named name (in lower case) is present
// with a value that is not empty.
func (h Header) Has(name string) bool { return h.Get(name) != "" }

// Answer is a complete answer for the edge to send, and its log line.
// Prepare, Finish and Internal write one over, reusing its slices' room.
type Answer struct {
	Status int
	Header [][2]string // canonical names, each once
	Body   []byte      // empty for none
	// Stream says the body is the upstream answer's, to be sent as it comes
	// without reading it whole or changing a byte (V2; see StreamLog).
	Stream bool
	Log    []byte // one line without a newline; never a secret
}

// The limiters a Call names: the edge's login limiter (LOGIN_LIMITER in the
// Worker) or its V2 limiter (API_LIMITER).
const (
	LimiterLogin = "login"
	LimiterAPI   = "api"
)

// Call is the upstream request an edge makes for Prepare, then hands back to
// Finish (which reads only State). URL, Header and Body hold secrets: send
// them, never log them.
type Call struct {
	Method string // "POST" (V1) or "GET" (V2)
	URL    string
	// Header is every header to send, and only these (x-api-key, Accept,
	// Accept-Encoding, Content-Type), each once.
	Header [][2]string
	Body   []byte // JSON, or empty for no body
	// Timeout bounds the wait for the answer's headers (a V1 answer's body
	// too; a V2 body streams).
	Timeout time.Duration
	// LimitKey, when not "", is the client key the edge's Limiter is asked
	// about before the call; a refusal is Upstream{Limited: true}.
	LimitKey string
	Limiter  string // LimiterLogin or LimiterAPI
	// State is what Finish needs of the request, as a short string an edge
	// that keeps no Go value between calls can hand back (see ParseState).
	State State
}

// Upstream is what became of a Call.
type Upstream struct {
	Limited bool           // the limiter refused: nothing was sent
	Answer  UpstreamAnswer // the answer, when Fault is NoFault (or Cut/TooLarge, with its status)
	Fault   Fault
	// Detail is for the log: why there was no answer, or that the limiter
	// failed, as Detail* categories joined by DetailSep. Finish logs any
	// other text as DetailOther: an error's own text can quote what the
	// upstream sent (net/http's "malformed HTTP status code \"…\"" quotes
	// an echoed request line, refresh token included) or Call.URL.
	Detail string
}

// UpstreamAnswer is J-Quants' answer to a Call.
type UpstreamAnswer struct {
	StatusCode int
	// Header is as fetch's Headers gives it to the Worker: names in lower
	// case, each once, repeated values joined with ", " (HeaderOf makes
	// net/http's so), so that both edges read the same text: two
	// Retry-After headers, 7 and 100, are "7, 100", unusable.
	Header Header
	Body   []byte // at most auth.MaxAnswerBytes (a V2 body streams past)
}

// HeaderOf is a net/http header as UpstreamAnswer.Header has it.
func HeaderOf(h map[string][]string) Header {
	out := make(Header, 0, len(h))
	for name, values := range h {
		name = strings.ToLower(name)
		if i := slices.IndexFunc(out, func(f [2]string) bool { return f[0] == name }); i >= 0 {
			out[i][1] = strings.Join(append([]string{out[i][1]}, values...), ", ")
			continue
		}
		out = append(out, [2]string{name, strings.Join(values, ", ")})
	}
	return out
}

// The categories of Upstream.Detail, the same for both edges. workerd's
// fetch tells less than net/http: it says "Network connection lost." for a
// refused, reset or closed connection and a malformed answer alike
// (DetailLost), and "internal error" for a failed DNS lookup or TLS
// handshake (DetailRuntime).
const (
	DetailRefused   = "connection refused"
	DetailReset     = "connection reset"
	DetailClosed    = "connection closed before the answer"
	DetailLost      = "connection lost"
	DetailDNS       = "DNS lookup failed"
	DetailTLS       = "TLS failed"
	DetailTimeout   = "timed out"
	DetailMalformed = "malformed answer"
	DetailCut       = "answer cut off"
	DetailTooLarge  = "answer too large"
	DetailRuntime   = "runtime error"
	DetailLimiter   = "limiter error"
	DetailOther     = "other error"
	// DetailSep joins categories (a limiter error, then why the call failed).
	DetailSep = "; "
)

var details = map[string]bool{
	DetailRefused: true, DetailReset: true, DetailClosed: true, DetailLost: true, DetailDNS: true, DetailTLS: true,
	DetailTimeout: true, DetailMalformed: true, DetailCut: true, DetailTooLarge: true, DetailRuntime: true,
	DetailLimiter: true, DetailOther: true,
}

// knownDetail keeps the categories of d and makes anything else DetailOther.
func knownDetail(d string) string {
	if d == "" || details[d] {
		return d
	}
	parts := strings.Split(d, DetailSep)
	for i, p := range parts {
		if !details[p] {
			parts[i] = DetailOther
		}
	}
	return strings.Join(parts, DetailSep)
}

// Fault is why a Call has no usable answer.
type Fault uint8

const (
	NoFault     Fault = iota
	Timeout           // no answer within Call.Timeout
	Canceled          // the caller went away
	Unreachable       // no answer at all
	Cut               // the answer's body could not be read to its end
	TooLarge          // the answer's body is over auth.MaxAnswerBytes
)

// Prepare decides what to do with r: answer it now (false: out is the
// answer), or make call (true) and hand its outcome to Finish. It writes
// over out and call, reusing the room of their slices: an edge that keeps
// one of each for its requests allocates nothing for a login.
func (p *Core) Prepare(r *Request, out *Answer, call *Call) (isCall bool) {
	path, query := resolveTarget(r.Target)
	origin, hasOrigin := r.origin()
	a := newAnswer(out, r, path, origin)
	if p.err != nil {
		a.fail(500, CodeMisconfigured, "the proxy is misconfigured: "+p.errMsg, p.errMsg)
		return false
	}
	ep, ok := endpointAt(path)
	v2, isV2 := v2EndpointAt(path)
	if !ok && !isV2 {
		a.fail(404, CodeNotFound, "not found: the proxy serves POST "+auth.Path+", POST "+auth.RefreshPath+" and GET "+auth.V2Prefix+"/<documented path>", "")
		return false
	}
	if hasOrigin && !p.originAllowed(r, origin) {
		a.fail(403, CodeOriginNotAllowed, "this origin may not use the proxy: add it to "+EnvAllowedOrigins, "")
		return false
	}
	if r.Method == "OPTIONS" && r.Header.Has("access-control-request-method") {
		a.preflight(r, hasOrigin, isV2)
		return false
	}
	if isV2 {
		return p.prepareV2(r, &a, call, v2, query, origin, hasOrigin)
	}
	if a.allowMethod(r.Method, "POST", Allow, "method not allowed: use POST") {
		return false
	}
	allowOrigin := a.cors(origin, hasOrigin)
	// A Content-Type describes a body; with none (J-Quants' auth_refresh
	// shape, as curl -d '' sends it) there is nothing to refuse.
	hasBody := len(r.Body) > 0 || r.TooLarge
	if hasBody && !jsonContentType(r.Header.Get("content-type"), r.Header.Has("content-type")) {
		a.fail(415, CodeUnsupportedMediaType, "the body must be JSON: send Content-Type: application/json", "")
		return false
	}
	if r.TooLarge || len(r.Body) > MaxBodyBytes {
		a.fail(413, CodeBodyTooLarge, "the body is larger than 4 KiB", "")
		return false
	}
	if r.ReadErr != "" {
		a.fail(400, auth.CodeInvalidInput, "the body could not be read", r.ReadErr)
		return false
	}
	*call = Call{Method: "POST", Body: call.Body[:0], Timeout: p.c.timeout, Limiter: LimiterLogin,
		State: State{Endpoint: ep, Origin: allowOrigin, Start: r.Start}}
	var msg string
	if ep == auth.AuthUser {
		msg = p.authUser(call, r.Body)
	} else {
		msg = p.authRefresh(call, query, r.Body)
	}
	if msg != "" {
		a.fail(400, auth.CodeInvalidInput, msg, "")
		return false
	}
	call.Header = loginHeader[:2:2]
	if len(call.Body) > 0 {
		call.Header = loginHeader
	}
	if p.c.limit {
		call.LimitKey = r.clientKey()
	}
	return true
}

// loginHeader is a login call's headers, without Content-Type when it has no
// body. No encoding: an answer in one (say br) is refused alike on both
// edges, rather than undone by one runtime and not the other. Shared: the
// edges only read it.
var loginHeader = [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "identity"}, {"Content-Type", "application/json"}}

// authUser checks an auth_user body and makes call's URL and body; msg says
// what is wrong, never quoting it.
func (p *Core) authUser(call *Call, body []byte) (msg string) {
	fields, msg := bodyFields(body, auth.FieldMailAddress, auth.FieldPassword)
	if msg != "" {
		return msg
	}
	var err error
	if call.Body, err = auth.AppendAuthUserBody(call.Body, fields[0], fields[1]); err != nil {
		// An *auth.InputError names the field and the reason, never the value.
		return err.Error()
	}
	call.URL = p.c.authUserURL
	return ""
}

// authRefresh takes the token from the query (J-Quants' shape) or the body,
// and makes call's URL (which holds it).
func (p *Core) authRefresh(call *Call, query string, body []byte) (msg string) {
	token, inQuery, msg := queryParam(query, auth.FieldRefreshToken)
	switch {
	case msg != "":
		return msg
	case inQuery && len(body) > 0:
		return "send the refresh token in the query or in the body, not both"
	case !inQuery && len(body) == 0:
		return "the refresh token is missing: send ?" + auth.FieldRefreshToken + "=… or the body {\"" + auth.FieldRefreshToken + "\":\"…\"}"
	case !inQuery:
		fields, msg := bodyFields(body, auth.FieldRefreshToken)
		if msg != "" {
			return msg
		}
		token = fields[0]
	}
	if err := auth.CheckRefreshToken(token); err != nil {
		return err.Error()
	}
	call.URL = auth.AuthRefreshRequest(p.c.base, token).URL
	return ""
}

// Finish writes the answer into out (reusing its room, as Prepare) from
// what became of call.
func (p *Core) Finish(out *Answer, call *Call, up Upstream, now time.Time) {
	st := call.State
	up.Detail = knownDetail(up.Detail)
	a := &answer{out: out, method: "POST", path: st.Endpoint.Path(), origin: st.Origin, start: st.Start, now: now}
	if st.V2Path != "" {
		a.method, a.path = "GET", auth.V2Prefix+st.V2Path
	}
	a.set("Cache-Control", "no-store")
	a.set("X-Content-Type-Options", "nosniff")
	a.set("Vary", "Origin")
	a.cors(st.Origin, st.Origin != "")
	if st.V2Path != "" {
		p.finishV2(a, st, up)
		return
	}
	const upstreamName = "the J-Quants API"
	switch up.Fault {
	case Timeout:
		a.fail(504, auth.CodeTimeout, "no answer from "+upstreamName+" within "+p.c.timeout.String(), up.Detail)
		return
	case Canceled:
		a.fail(StatusClientClosedRequest, auth.CodeCanceled, "the request was canceled", up.Detail)
		return
	case TooLarge:
		a.fail(502, auth.CodeUpstreamError, upstreamName+" answered with a body larger than 64 KiB", up.Detail)
		return
	case Cut:
		a.fail(502, auth.CodeUpstreamError, upstreamName+"'s answer (status "+strconv.Itoa(up.Answer.StatusCode)+") was cut off or could not be read", up.Detail)
		return
	case Unreachable:
		a.fail(502, CodeUpstreamUnreachable, "could not reach "+upstreamName+", or it closed the connection without answering", up.Detail)
		return
	}
	if up.Limited {
		a.set("Retry-After", p.c.retryAfter)
		a.fail(429, auth.CodeRateLimited, "too many login attempts from this address: try again in "+p.c.retryAfter+" seconds", up.Detail)
		return
	}
	if up.Detail != "" {
		a.detail = "limiter failed, the login went through: " + up.Detail
	}
	if encoded(up.Answer.Header, false) {
		a.fail(502, auth.CodeUpstreamError, upstreamName+" answered in a Content-Encoding the proxy did not ask for", "upstream status "+strconv.Itoa(up.Answer.StatusCode))
		return
	}
	ans := auth.Answer{StatusCode: up.Answer.StatusCode, Body: up.Answer.Body}
	if ra := up.Answer.Header.Get("retry-after"); ra != "" {
		ans.Header = auth.Header{"Retry-After": {ra}} // the one header Decode reads
	}
	tok, err := st.Endpoint.DecodeView(ans, now)
	if err == nil {
		field := "refreshToken"
		if st.Endpoint == auth.AuthRefresh {
			field = "idToken"
		}
		out.Body = flatjson.AppendObject(a.body(), field, tok.Value)
		a.json(200, "")
		return
	}
	e := err.(*auth.Error) // Decode returns only *auth.Error, unwrapped
	pass := func(status int, code, fallback string) {
		msg := e.Message
		if msg == "" {
			msg = fallback
		}
		a.fail(status, code, msg, "upstream status "+strconv.Itoa(e.StatusCode))
		return
	}
	switch e.Kind() {
	case auth.ErrInvalidCredentials:
		if st.Endpoint == auth.AuthRefresh {
			pass(400, auth.CodeInvalidCredentials, upstreamName+" rejected the refresh token: it is incorrect or expired")
			return
		}
		pass(400, auth.CodeInvalidCredentials, upstreamName+" rejected the mail address or password")
		return
	case auth.ErrForbidden:
		pass(403, auth.CodeForbidden, upstreamName+" refused the request")
		return
	case auth.ErrUpstreamFailure:
		pass(500, auth.CodeUpstreamError, upstreamName+" failed; try again later")
		return
	case auth.ErrRateLimited:
		ra := p.c.retryAfter
		if e.RetryAfter > 0 {
			ra = seconds(e.RetryAfter)
		}
		a.set("Retry-After", ra)
		pass(429, auth.CodeRateLimited, upstreamName+" is rate limiting logins: try again in "+ra+" seconds")
		return
	case auth.ErrEndpointGone:
		a.fail(502, auth.CodeEndpointGone, e.Message+" (it answered 404)", "upstream status 404")
		return
	case auth.ErrUnexpectedAnswer:
		a.fail(502, auth.CodeUpstreamError, upstreamName+" answered 200 without a usable "+tokenName(st.Endpoint)+": "+e.Message, "")
		return
	}
	if e.RetryAfter > 0 {
		a.set("Retry-After", seconds(e.RetryAfter))
	}
	a.fail(502, auth.CodeUpstreamError, upstreamName+" answered with unexpected status "+strconv.Itoa(e.StatusCode), "")
	return
}

// encoded reports whether an answer's body is in a Content-Encoding other
// than identity, or gzip when gzipOK: the calls ask for no other (and
// neither edge's runtime undoes one: see Call.Header).
func encoded(h Header, gzipOK bool) bool {
	ce := strings.TrimSpace(h.Get("content-encoding"))
	return ce != "" && !strings.EqualFold(ce, "identity") && !(gzipOK && strings.EqualFold(ce, "gzip"))
}

func tokenName(e auth.Endpoint) string {
	if e == auth.AuthRefresh {
		return "ID token"
	}
	return "refresh token"
}

// Internal writes into out the answer to a request whose serving panicked:
// a 500 JSON (code internal) with p's value in the log only.
func Internal(out *Answer, r *Request, p any, now time.Time) {
	a := answerTo(out, r)
	a.now = now
	detail := "panic: a value that is neither error nor string"
	switch v := p.(type) {
	case error:
		detail = "panic: " + v.Error()
	case string:
		detail = "panic: " + v
	}
	a.fail(500, CodeInternal, "internal error in the proxy", detail)
}

// State is what Finish needs of a prepared request.
type State struct {
	Endpoint auth.Endpoint // V1
	V2Path   string        // V2: the documented path (no V2Prefix); "" for V1
	Gzip     bool          // V2: the call asked for gzip, to pass on undone
	Origin   string        // Access-Control-Allow-Origin to send, or ""
	Start    time.Time
}

// Append appends s to b as "endpoint start-in-ms origin", the endpoint
// being V1's number, or V2's path after "v2:" ("v2gz:" when Gzip), for
// ParseState.
func (s State) Append(b []byte) []byte {
	switch {
	case s.V2Path != "" && s.Gzip:
		b = append(append(b, "v2gz:"...), s.V2Path...)
	case s.V2Path != "":
		b = append(append(b, "v2:"...), s.V2Path...)
	default:
		b = strconv.AppendInt(b, int64(s.Endpoint), 10)
	}
	b = strconv.AppendInt(append(b, ' '), s.Start.UnixMilli(), 10)
	return append(append(b, ' '), s.Origin...)
}

// ParseState decodes what State.Append wrote.
func ParseState(s string) (State, bool) {
	ep, rest, ok1 := strings.Cut(s, " ")
	ms, origin, ok2 := strings.Cut(rest, " ")
	t, err := strconv.Atoi(ms) // an int has 64 bits on both edges
	if !ok1 || !ok2 || err != nil {
		return State{}, false
	}
	st := State{Origin: origin, Start: time.UnixMilli(int64(t))}
	if kind, path, isV2 := strings.Cut(ep, ":"); isV2 {
		_, ok := auth.LookupV2(path)
		st.V2Path, st.Gzip = path, kind == "v2gz"
		return st, ok && (kind == "v2" || kind == "v2gz")
	}
	e, err := strconv.Atoi(ep)
	if err != nil || (e != int(auth.AuthUser) && e != int(auth.AuthRefresh)) {
		return State{}, false
	}
	st.Endpoint = auth.Endpoint(e)
	return st, true
}

// endpointAt accepts exactly the two paths, once resolveTarget has made the
// path what workerd makes of it: no escapes, no trailing slash.
func endpointAt(path string) (auth.Endpoint, bool) {
	switch path {
	case auth.Path:
		return auth.AuthUser, true
	case auth.RefreshPath:
		return auth.AuthRefresh, true
	}
	return 0, false
}

// v2EndpointAt accepts V2Prefix and a documented path, exactly as endpointAt.
func v2EndpointAt(path string) (auth.V2Endpoint, bool) {
	rest, ok := strings.CutPrefix(path, auth.V2Prefix)
	if !ok {
		return auth.V2Endpoint{}, false
	}
	return auth.LookupV2(rest)
}

// origin is the Origin header, if any (an empty one is none).
func (r *Request) origin() (string, bool) {
	origin := r.Header.Get("origin")
	return origin, origin != ""
}

// originAllowed: a configured origin, or the proxy's own scheme://host.
func (p *Core) originAllowed(r *Request, origin string) bool {
	if slices.Contains(p.c.origins, origin) {
		return true
	}
	scheme, host, ok := strings.Cut(origin, "://")
	return ok && host != "" && scheme == r.Scheme && strings.EqualFold(host, r.Host)
}

// SharedClientKey is the limiter key of every request that comes with
// neither CF-Connecting-IP nor a peer address (a service binding's call to
// the Worker, say): they share one budget rather than go unlimited.
const SharedClientKey = "shared:no-client-address"

// clientKey is the limiter key: CF-Connecting-IP (set by Cloudflare; the
// native server drops it from callers), else the host of RemoteAddr, else
// SharedClientKey; never "", which would skip the limiter.
func (r *Request) clientKey() string {
	if ip := strings.TrimSpace(r.Header.Get("cf-connecting-ip")); ip != "" {
		return ip
	}
	if key := hostOf(r.RemoteAddr); key != "" {
		return key
	}
	return SharedClientKey
}

// hostOf is the host of a "host:port" or "[ipv6]:port" address.
func hostOf(addr string) string {
	if rest, ok := strings.CutPrefix(addr, "["); ok { // [ipv6]:port
		if host, _, ok := strings.Cut(rest, "]"); ok {
			return host
		}
	}
	if strings.Count(addr, ":") == 1 { // ipv4:port or host:port
		host, _, _ := strings.Cut(addr, ":")
		return host
	}
	return addr
}
