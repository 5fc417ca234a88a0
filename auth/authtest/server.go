// Package authtest is a fake J-Quants auth server in the style of
// net/http/httptest. It speaks the two V1 login steps: POST
// /v1/token/auth_user (a mail address and password in a JSON body → a refresh
// token, valid one week) and POST /v1/token/auth_refresh?refreshtoken=… (a
// refresh token in the query, no body → an ID token, valid 24 hours). It
// answers with the contract's JSON bodies and messages, records the requests
// it gets without their secrets, runs on a clock tests can set, and lets
// tests inject faults, on every path or on one. J-Quants retired its V1 API
// on 2026-06-01, so this fake is also what the offline demo logs in to.
package authtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// The demo account every Server starts with.
const (
	DemoMailAddress = "demo@example.com"
	DemoPassword    = "jquants-demo-password"
)

// Messages as the contract documents them.
const (
	MessageIncorrect  = "'mailaddress' or 'password' is incorrect."
	MessageUnexpected = "Unexpected error. Please try again later."
	MessageForbidden  = "Missing Authentication Token"
	// MessageRefreshIncorrect answers auth_refresh with a missing, unknown or
	// expired refresh token, in the style of MessageIncorrect.
	MessageRefreshIncorrect = "'refreshtoken' is incorrect."
)

// RefreshPath is the second login step; auth.Path is the first.
const RefreshPath = "/v1/token/auth_refresh"

// TokenPrefix starts every refresh token the fake issues, so tests can spot one.
const TokenPrefix = "fake-refresh-token-"

// IDTokenPrefix starts every ID token the fake issues.
const IDTokenPrefix = "fake-id-token-"

// Redacted stands in for a secret in a recorded Request.
const Redacted = "[REDACTED]"

// refreshParam is the query parameter auth_refresh takes the refresh token in.
const refreshParam = "refreshtoken"

// Fault makes the server misbehave. The zero Fault means "behave".
type Fault struct {
	// Path, when set, limits the fault to requests whose URL path equals it
	// (auth.Path or RefreshPath, say). Requests on other paths are answered
	// as if there were no fault and do not count towards Times. Empty means
	// every path.
	Path string
	// Status and Message answer with {"message": Message} and this status.
	Status  int
	Message string
	// Header is added to the answer (for example Retry-After), whatever
	// else the fault does; alone, it decorates the contract's own answers.
	Header http.Header
	// Body, when set, is sent raw instead of a JSON answer (with Status, or 200).
	Body string
	// ContentType for Body; default "text/html; charset=utf-8".
	ContentType string
	// Delay holds the answer back; it ends early if the client goes away.
	Delay time.Duration
	// Drop closes the connection without an answer (a reset).
	Drop bool
	// Truncate sends a Content-Length longer than the JSON sent, then closes.
	// The JSON starts like the path's own answer: {"idToken":… on
	// RefreshPath, {"refreshToken":… elsewhere.
	Truncate bool
	// Times applies the fault to the next Times matching requests only; 0
	// means until cleared.
	Times int
}

// Request is what the server records of a request, on any path. It never
// holds a password (only the JSON body's keys and mail address are kept) nor
// a token: the refreshtoken query value is replaced by Redacted, and so is
// anything shaped like a token of this fake (TokenPrefix or IDTokenPrefix and
// hex digits) wherever it appears. A client that puts a token where it does
// not belong therefore shows as Redacted there.
type Request struct {
	Method           string
	Path             string
	Query            string // the raw query, refreshtoken values Redacted
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Fields           []string // the JSON body's keys, sorted (auth_refresh ignores its body but records it too)
	MailAddress      string   // the JSON body's mailaddress
	RefreshTokenSent bool     // the query has a non-empty refreshtoken
}

// Server is a running fake. Create it with NewServer; Close it when done.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:12345, without a trailing slash

	ts *httptest.Server
	h  *Handler
}

// NewServer starts a fake on a loopback port with the demo account.
func NewServer() *Server {
	h := NewHandler()
	ts := httptest.NewServer(h)
	return &Server{URL: ts.URL, ts: ts, h: h}
}

// Close shuts the server down, ending delayed answers.
func (s *Server) Close() {
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Handler returns the fake's handler.
func (s *Server) Handler() *Handler { return s.h }

// AddAccount, SetFault, ClearFault, SetClock, Count, Requests, Reset, Issued,
// IssuedTo and IDTokenIssuedTo delegate to the Handler.
func (s *Server) AddAccount(mail, password string)             { s.h.AddAccount(mail, password) }
func (s *Server) SetFault(f Fault)                             { s.h.SetFault(f) }
func (s *Server) ClearFault()                                  { s.h.SetFault(Fault{}) }
func (s *Server) SetClock(now func() time.Time)                { s.h.SetClock(now) }
func (s *Server) Count() int                                   { return s.h.Count() }
func (s *Server) Requests() []Request                          { return s.h.Requests() }
func (s *Server) Reset()                                       { s.h.Reset() }
func (s *Server) Issued(token string) bool                     { return s.h.Issued(token) }
func (s *Server) IssuedTo(token string) (mail string, ok bool) { return s.h.IssuedTo(token) }
func (s *Server) IDTokenIssuedTo(idToken string) (mail string, ok bool) {
	return s.h.IDTokenIssuedTo(idToken)
}

// issue is what the handler keeps of a token it issued.
type issue struct {
	mail string
	at   time.Time
}

// Handler serves the fake contract; use it directly to mount the fake in
// your own server (see cmd/fakejquants).
type Handler struct {
	mu       sync.Mutex
	accounts map[string]string
	fault    Fault
	requests []Request
	now      func() time.Time
	tokens   map[string]issue // refresh token → the account it was issued to, and when
	idTokens map[string]issue // ID token → the account of the refresh token it came from
}

// NewHandler returns a handler with the demo account, on the real clock.
func NewHandler() *Handler {
	h := &Handler{accounts: map[string]string{}, now: time.Now, tokens: map[string]issue{}, idTokens: map[string]issue{}}
	h.AddAccount(DemoMailAddress, DemoPassword)
	return h
}

// AddAccount adds or replaces an account.
func (h *Handler) AddAccount(mail, password string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.accounts[mail] = password
}

// SetFault sets the fault for the following requests; Fault{} clears it.
func (h *Handler) SetFault(f Fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fault = f
}

// SetClock sets the clock that stamps issued tokens and decides whether a
// refresh token has expired (auth.TokenLifetime after it was issued); nil
// restores time.Now. Reset keeps the clock.
func (h *Handler) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = now
}

// Count is how many requests the server has received, on any path.
func (h *Handler) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.requests)
}

// Requests returns a copy of what was recorded, oldest first.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// Reset forgets recorded requests and issued tokens (refresh and ID) and
// clears the fault. Accounts and the clock stay.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests, h.fault = nil, Fault{}
	h.tokens, h.idTokens = map[string]issue{}, map[string]issue{}
}

// Issued reports whether this handler issued refresh token token, expired or not.
func (h *Handler) Issued(token string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.tokens[token]
	return ok
}

// IssuedTo returns the mail address refresh token token was issued to, if
// this handler issued it (expired or not).
func (h *Handler) IssuedTo(token string) (mail string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	is, ok := h.tokens[token]
	return is.mail, ok
}

// IDTokenIssuedTo returns the mail address of the account whose refresh
// token idToken was issued for, if this handler issued idToken.
func (h *Handler) IDTokenIssuedTo(idToken string) (mail string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	is, ok := h.idTokens[idToken]
	return is.mail, ok
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var creds map[string]any
	jsonErr := json.Unmarshal(body, &creds)
	query := r.URL.Query()
	refreshToken := query.Get(refreshParam)
	rec := Request{
		Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery), Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		RefreshTokenSent: refreshToken != "",
	}
	for k := range creds {
		rec.Fields = append(rec.Fields, k)
	}
	sort.Strings(rec.Fields)
	mail, _ := creds[auth.FieldMailAddress].(string)
	password, _ := creds[auth.FieldPassword].(string)
	rec.MailAddress = mail
	scrubRequest(&rec)

	h.mu.Lock()
	h.requests = append(h.requests, rec)
	var fault Fault
	if h.fault.Path == "" || h.fault.Path == r.URL.Path {
		fault = h.fault
		if h.fault.Times > 0 {
			if h.fault.Times--; h.fault.Times == 0 {
				h.fault = Fault{}
			}
		}
	}
	want, known := h.accounts[mail]
	h.mu.Unlock()

	if fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	for k, v := range fault.Header {
		w.Header()[k] = v
	}
	switch {
	case fault.Drop:
		drop(w)
		return
	case fault.Truncate:
		key := "refreshToken"
		if r.URL.Path == RefreshPath {
			key = "idToken"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"`+key+`":"trunc`)
		http.NewResponseController(w).Flush()
		drop(w)
		return
	case fault.Body != "":
		ct := fault.ContentType
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(cmpOr(fault.Status, http.StatusOK))
		io.WriteString(w, fault.Body)
		return
	case fault.Status != 0:
		writeJSON(w, fault.Status, map[string]string{"message": fault.Message})
		return
	}

	// The contract proper.
	switch {
	case r.URL.Path == RefreshPath:
		h.serveRefresh(w, r.Method, refreshToken)
	case r.URL.Path != auth.Path:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	case r.Method != http.MethodPost:
		writeJSON(w, http.StatusForbidden, map[string]string{"message": MessageForbidden})
	case readErr != nil || jsonErr != nil || mail == "" || password == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
	case !known || want != password:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
	default:
		tok := newToken(TokenPrefix)
		h.mu.Lock()
		h.tokens[tok] = issue{mail: mail, at: h.now()}
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"refreshToken": tok})
	}
}

// serveRefresh answers POST /v1/token/auth_refresh?refreshtoken=…: an ID
// token for a refresh token this handler issued that has not expired. The
// body, if any, plays no part.
func (h *Handler) serveRefresh(w http.ResponseWriter, method, refreshToken string) {
	if method != http.MethodPost {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": MessageForbidden})
		return
	}
	h.mu.Lock()
	now := h.now()
	is, ok := h.tokens[refreshToken]
	valid := ok && now.Before(is.at.Add(auth.TokenLifetime))
	var id string
	if valid {
		id = newToken(IDTokenPrefix)
		h.idTokens[id] = issue{mail: is.mail, at: now}
	}
	h.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageRefreshIncorrect})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"idToken": id})
}

// redactQuery returns raw with the value of every refreshtoken parameter
// (its name percent-decoded and matched without regard to case) replaced by
// Redacted; so too the value of a parameter whose name or value does not
// decode, or whose value decodes to something token-shaped. Everything else
// stays as sent (scrubRequest then catches tokens sent undecoded).
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		if v == "" {
			continue
		}
		name, errK := url.QueryUnescape(k)
		value, errV := url.QueryUnescape(v)
		if errK != nil || errV != nil || strings.EqualFold(name, refreshParam) || scrubTokens(value) != value {
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// scrubRequest replaces token-shaped text in every string of rec (header
// values; header names are left as they are).
func scrubRequest(rec *Request) {
	rec.Path = scrubTokens(rec.Path)
	rec.Query = scrubTokens(rec.Query)
	rec.MailAddress = scrubTokens(rec.MailAddress)
	for i, f := range rec.Fields {
		rec.Fields[i] = scrubTokens(f)
	}
	for _, vs := range rec.Header {
		for i, v := range vs {
			vs[i] = scrubTokens(v)
		}
	}
}

// scrubTokens replaces each TokenPrefix or IDTokenPrefix in s, and the hex
// digits after it, by Redacted.
func scrubTokens(s string) string {
	for _, prefix := range []string{TokenPrefix, IDTokenPrefix} {
		for {
			i := strings.Index(s, prefix)
			if i < 0 {
				break
			}
			j := i + len(prefix)
			for j < len(s) && isHex(s[j]) {
				j++
			}
			s = s[:i] + Redacted + s[j:]
		}
	}
	return s
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// drop closes the connection with a TCP reset where possible.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// newToken returns prefix and 48 random hex digits.
func newToken(prefix string) string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("authtest: crypto/rand: %v", err))
	}
	return prefix + hex.EncodeToString(b[:])
}
