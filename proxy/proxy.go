// Package proxy is the HTTP handler of the J-Quants login proxy: it takes
// POST /v1/token/auth_user with {"mailaddress","password"}, checks it, and
// forwards exactly those two fields to J-Quants through an auth.Transport,
// answering JSON with J-Quants' status, or a gateway error of its own.
//
// It is plain net/http so that it runs natively (main_other.go, httptest)
// and inside the Cloudflare Worker (main.go, syumai/workers) alike; it
// imports neither syscall/js nor the Workers SDK.
//
// # Answers
//
// Every answer carries Cache-Control: no-store, X-Content-Type-Options:
// nosniff and Vary: Origin; every answer with a body is
// "application/json; charset=utf-8": {"refreshToken":"…"} on success,
// {"message":"…","code":"…"} otherwise. Preflights and plain OPTIONS are 204
// without a body. Codes:
//
//	status code                    when
//	200    -                       J-Quants issued a token
//	400    invalid_input           body is not {"mailaddress":string,"password":string} passing auth.NewCredentials
//	400    invalid_credentials     J-Quants answered 400 (its message passed through)
//	403    forbidden               J-Quants answered 403 (its message passed through)
//	403    origin_not_allowed      Origin header not allowed (POST, preflight, any method)
//	404    not_found               any target but /v1/token/auth_user[?query]
//	405    method_not_allowed      not POST or OPTIONS (Allow: OPTIONS, POST)
//	413    body_too_large          body over 4 KiB
//	415    unsupported_media_type  Content-Type not application/json (charset utf-8 allowed)
//	429    rate_limited            Limiter refused, or J-Quants answered 429 (with Retry-After)
//	499    canceled                the caller went away first (only seen in the log)
//	500    upstream_error          J-Quants answered 500 (its message passed through)
//	500    internal                a panic while serving
//	500    misconfigured           the Config is invalid (every request)
//	502    endpoint_gone           J-Quants answered 404: V1 was retired on 2026-06-01
//	502    upstream_error          J-Quants' answer is not the contract (other status, 200 without token, cut off, over 64 KiB)
//	502    upstream_unreachable    no answer at all (connection refused, reset, DNS …)
//	504    timeout                 no answer within UpstreamTimeout
//
// Checks run in this order and nothing goes upstream unless all pass:
// config, path (404), Origin (403), preflight (204), method (405),
// Content-Type (415), size (413), body (400), Limiter (429).
package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/rs/cors"
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

// Handler is the proxy. Create it with New or NewFromEnv; it is safe for
// concurrent use.
type Handler struct {
	c        compiled
	err      error  // non-nil: misconfigured, every request answers 500
	errMsg   string // err on one line
	upstream auth.Transport
	cors     *cors.Cors
	logMu    sync.Mutex
}

// New checks cfg and returns the handler. It never returns nil: when cfg is
// invalid (or upstream is nil) it returns the error, naming every bad field,
// together with a Handler that answers every request 500 {"code":"misconfigured"}
// so that a Worker keeps answering JSON instead of crashing.
func New(cfg Config, upstream auth.Transport) (*Handler, error) {
	c, err := compile(cfg)
	if upstream == nil {
		err = errors.Join(err, errors.New("no upstream auth.Transport"))
	}
	if c.log == nil {
		c.log = os.Stderr
	}
	h := &Handler{c: c, upstream: upstream}
	if err != nil {
		h.err = err
		h.errMsg = strings.ReplaceAll(err.Error(), "\n", "; ")
		return h, err
	}
	// AllowOriginVaryRequestFunc replaces AllowedOrigins, whose empty value
	// would mean "any origin" to rs/cors; our list is exact and may be empty.
	h.cors = cors.New(cors.Options{
		AllowOriginVaryRequestFunc: func(r *http.Request, origin string) (bool, []string) {
			return h.originAllowed(r, origin), nil
		},
		AllowedMethods: []string{http.MethodPost},
		AllowedHeaders: []string{"Content-Type"},
		// A page can read Retry-After on a 429 only when it is exposed.
		ExposedHeaders:       []string{"Retry-After"},
		MaxAge:               PreflightMaxAge,
		OptionsSuccessStatus: http.StatusNoContent,
	})
	return h, nil
}

// NewFromEnv is ConfigFromEnv(getenv) with limiter and log added, then New:
// the one-liner for both mains. Like New it never returns nil.
func NewFromEnv(getenv func(name string) string, upstream auth.Transport, limiter Limiter, log io.Writer) (*Handler, error) {
	cfg, envErr := ConfigFromEnv(getenv)
	cfg.Limiter, cfg.Log = limiter, log
	h, err := New(cfg, upstream)
	if envErr != nil {
		err = errors.Join(envErr, err)
		h.err = err
		h.errMsg = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return h, err
}

// Err is the configuration error the handler answers 500 for, or nil.
func (h *Handler) Err() error { return h.err }

// URL is the upstream endpoint the handler posts to.
func (h *Handler) URL() string { return h.c.url }

// UpstreamTimeout is the compiled upstream timeout.
func (h *Handler) UpstreamTimeout() time.Duration { return h.c.timeout }

// ServeHTTP answers one request; see the package documentation.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recorder{ResponseWriter: w}
	// Close the body when done, as net/http's server does. In the Worker
	// nothing else does, and closing cancels what the handler left unread:
	// without it a refused upload (413 on its Content-Length, say) is still
	// read to the end before the answer leaves (wrangler dev drains every
	// unused body).
	if r.Body != nil {
		defer r.Body.Close()
	}
	defer func() {
		if p := recover(); p != nil {
			rw.detail = "panic: " + describePanic(p)
			if !rw.wrote {
				rw.fail(http.StatusInternalServerError, CodeInternal, "internal error in the proxy")
			}
			h.logRequest(r, rw, time.Since(start))
			if p == http.ErrAbortHandler {
				panic(p)
			}
			return
		}
		h.logRequest(r, rw, time.Since(start))
	}()
	h.serve(rw, w, r)
}

func (h *Handler) serve(w *recorder, raw http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if h.err != nil {
		w.detail = h.errMsg
		w.fail(http.StatusInternalServerError, CodeMisconfigured, "the proxy is misconfigured: "+h.errMsg)
		return
	}
	if !isEndpoint(r) {
		w.fail(http.StatusNotFound, CodeNotFound, "not found: the proxy serves only POST "+auth.Path)
		return
	}
	if o := r.Header["Origin"]; len(o) > 1 || len(o) == 1 && !h.originAllowed(r, o[0]) {
		w.fail(http.StatusForbidden, CodeOriginNotAllowed, "this origin may not use the proxy: add it to "+EnvAllowedOrigins)
		return
	}
	// Preflight: rs/cors writes the 204, with CORS headers when the
	// requested method and headers are allowed.
	h.cors.HandlerFunc(w, r)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		return
	}
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		hd.Set("Allow", Allow)
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		hd.Set("Allow", Allow)
		w.fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed: use POST")
		return
	}

	if ct := r.Header["Content-Type"]; len(ct) != 1 || !isJSONType(ct[0]) {
		w.fail(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be sent as Content-Type: application/json")
		return
	}
	if r.ContentLength > MaxBodyBytes {
		w.fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than 4 KiB")
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(raw, r.Body, MaxBodyBytes))
		if err != nil {
			if errors.As(err, new(*http.MaxBytesError)) {
				w.fail(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than 4 KiB")
			} else {
				w.detail = err.Error()
				w.fail(http.StatusBadRequest, auth.CodeInvalidInput, "the body could not be read")
			}
			return
		}
	}
	mail, password, msg := parseBody(body)
	if msg != "" {
		w.fail(http.StatusBadRequest, auth.CodeInvalidInput, msg)
		return
	}
	creds, err := auth.NewCredentials(mail, password)
	if err != nil {
		// An *auth.InputError names the field and the reason, never the value.
		w.fail(http.StatusBadRequest, auth.CodeInvalidInput, err.Error())
		return
	}

	if h.c.limiter != nil {
		ok, err := h.c.limiter.Allow(r.Context(), clientKey(r))
		switch {
		case err != nil:
			h.logLine("limiter failed, letting the login through", err.Error())
		case !ok:
			hd.Set("Retry-After", h.c.retryAfter)
			w.fail(http.StatusTooManyRequests, auth.CodeRateLimited, "too many login attempts from this address: try again in "+h.c.retryAfter+" seconds")
			return
		}
	}
	h.forward(w, r, creds)
}

type result struct {
	ans      auth.Answer
	err      error
	panicked bool
	panicVal any
}

// forward makes the one upstream try. A timer races the transport, so the
// 504 comes on time even from a transport that ignores its context. A
// transport that enforces the timeout itself should return an error matching
// context.DeadlineExceeded, which also answers 504.
func (h *Handler) forward(w *recorder, r *http.Request, creds auth.Credentials) {
	body, err := creds.RequestBody()
	if err != nil {
		panic(err) // cannot happen: two strings
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.c.timeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panicked: true, panicVal: p}
			}
		}()
		ans, err := h.upstream.Post(ctx, h.c.url, body)
		done <- result{ans: ans, err: err}
	}()
	timer := time.NewTimer(h.c.timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		if res.panicked {
			panic(res.panicVal)
		}
		h.answer(ctx, w, r, res)
	case <-timer.C:
		h.timedOut(w)
	case <-r.Context().Done():
		w.fail(StatusClientClosedRequest, auth.CodeCanceled, "the request was canceled")
	}
}

func (h *Handler) timedOut(w *recorder) {
	w.fail(http.StatusGatewayTimeout, auth.CodeTimeout, "no answer from the J-Quants API within "+h.c.timeout.String())
}

const upstreamName = "the J-Quants API"

func (h *Handler) answer(ctx context.Context, w *recorder, r *http.Request, res result) {
	if res.err != nil {
		w.detail = res.err.Error()
		switch {
		case r.Context().Err() != nil:
			w.fail(StatusClientClosedRequest, auth.CodeCanceled, "the request was canceled")
		case ctx.Err() != nil || errors.Is(res.err, context.DeadlineExceeded):
			// The second test serves transports that time out on their own
			// (fetch with AbortSignal.timeout), possibly before our timer.
			h.timedOut(w)
		case errors.Is(res.err, auth.ErrAnswerTooLarge):
			w.fail(http.StatusBadGateway, auth.CodeUpstreamError, upstreamName+" answered with a body larger than 64 KiB")
		case res.ans.StatusCode != 0:
			w.fail(http.StatusBadGateway, auth.CodeUpstreamError, upstreamName+"'s answer (status "+itoa(res.ans.StatusCode)+") was cut off or could not be read")
		default:
			w.fail(http.StatusBadGateway, CodeUpstreamUnreachable, "could not reach "+upstreamName+", or it closed the connection without answering")
		}
		return
	}
	tok, err := auth.DecodeAnswer(res.ans, time.Now())
	if err == nil {
		b := appendJSONString(append(make([]byte, 0, 32+len(tok.Value)), `{"refreshToken":`...), tok.Value)
		w.json(http.StatusOK, append(b, '}'))
		return
	}
	var e *auth.Error
	if !errors.As(err, &e) {
		panic(err) // DecodeAnswer returns only *auth.Error
	}
	pass := func(status int, code, fallback string) {
		msg := e.Message
		if msg == "" {
			msg = fallback
		}
		w.fail(status, code, msg)
	}
	w.detail = "upstream status " + itoa(e.StatusCode)
	switch e.Kind() {
	case auth.ErrInvalidCredentials:
		pass(http.StatusBadRequest, auth.CodeInvalidCredentials, upstreamName+" rejected the mail address or password")
	case auth.ErrForbidden:
		pass(http.StatusForbidden, auth.CodeForbidden, upstreamName+" refused the request")
	case auth.ErrUpstreamFailure:
		pass(http.StatusInternalServerError, auth.CodeUpstreamError, upstreamName+" failed; try again later")
	case auth.ErrRateLimited:
		ra := h.c.retryAfter
		if e.RetryAfter > 0 {
			ra = seconds(e.RetryAfter)
		}
		w.Header().Set("Retry-After", ra)
		pass(http.StatusTooManyRequests, auth.CodeRateLimited, upstreamName+" is rate limiting logins: try again in "+ra+" seconds")
	case auth.ErrEndpointGone:
		w.fail(http.StatusBadGateway, auth.CodeEndpointGone, e.Message+" (it answered 404)")
	case auth.ErrUnexpectedAnswer:
		w.fail(http.StatusBadGateway, auth.CodeUpstreamError, upstreamName+" answered 200 without a usable refresh token: "+e.Message)
	default:
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", seconds(e.RetryAfter))
		}
		w.fail(http.StatusBadGateway, auth.CodeUpstreamError, upstreamName+" answered with unexpected status "+itoa(e.StatusCode))
	}
}

// isEndpoint accepts exactly auth.Path, with an optional query. Natively
// RequestURI is the raw request target, so an absolute-form target
// (http://evil/v1/token/auth_user) or an escaped one (%2F) is refused; in the
// Worker RequestURI is empty and URL is absolute, the Worker's own.
func isEndpoint(r *http.Request) bool {
	if r.URL == nil || r.URL.Path != auth.Path || r.URL.RawPath != "" {
		return false
	}
	if r.RequestURI == "" {
		return true
	}
	target, _, _ := strings.Cut(r.RequestURI, "?")
	return target == auth.Path
}

// originAllowed: a configured origin, or the proxy's own scheme://host.
func (h *Handler) originAllowed(r *http.Request, origin string) bool {
	if h.c.origins[origin] {
		return true
	}
	scheme, host, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	return scheme == requestScheme(r) && host != "" && strings.EqualFold(host, requestHost(r))
}

func requestScheme(r *http.Request) string {
	switch {
	case r.URL != nil && r.URL.Scheme != "":
		return r.URL.Scheme // workerd: the URL is absolute
	case r.TLS != nil:
		return "https"
	}
	return "http"
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// clientKey is the Limiter key: CF-Connecting-IP (set by Cloudflare; the
// native server deletes it from callers), else the host of RemoteAddr.
func clientKey(r *http.Request) string {
	if ip := strings.TrimSpace(r.Header.Get("CF-Connecting-IP")); ip != "" {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// isJSONType accepts application/json with no charset other than utf-8.
func isJSONType(v string) bool {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// parseBody walks the JSON tokens of body and returns the two fields, or a
// message saying what is wrong. The message never quotes the body.
func parseBody(body []byte) (mail, password, msg string) {
	const shape = "the body must be a JSON object with string fields " + auth.FieldMailAddress + " and " + auth.FieldPassword
	if !utf8.Valid(body) {
		return "", "", "the body is not valid UTF-8"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	notJSON := func() (string, string, string) {
		return "", "", "the body is not valid JSON (near byte " + itoa(int(dec.InputOffset())) + ")"
	}
	tok, err := dec.Token()
	if err != nil {
		return notJSON()
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", "", shape
	}
	var seen []string
	var haveMail, havePassword bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notJSON()
		}
		key, _ := tok.(string) // object keys are always strings
		for _, k := range seen {
			if k == key {
				if key == auth.FieldMailAddress || key == auth.FieldPassword {
					return "", "", "the field " + key + " appears twice"
				}
				return "", "", "a field appears twice in the body"
			}
		}
		seen = append(seen, key)
		switch key {
		case auth.FieldMailAddress, auth.FieldPassword:
			tok, err := dec.Token()
			if err != nil {
				return notJSON()
			}
			s, ok := tok.(string)
			if !ok {
				return "", "", "the field " + key + " must be a string"
			}
			if key == auth.FieldMailAddress {
				mail, haveMail = s, true
			} else {
				password, havePassword = s, true
			}
		default:
			if !skipValue(dec) {
				return notJSON()
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return notJSON()
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", "the body has data after the JSON object"
	}
	switch {
	case !haveMail:
		return "", "", "the field " + auth.FieldMailAddress + " is missing"
	case !havePassword:
		return "", "", "the field " + auth.FieldPassword + " is missing"
	}
	return mail, password, ""
}

// skipValue consumes one JSON value of any shape.
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return true
		}
	}
}

func describePanic(p any) string {
	switch v := p.(type) {
	case error:
		return v.Error()
	case string:
		return v
	}
	return "a value that is neither error nor string"
}
