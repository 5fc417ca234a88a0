// Package authtest is a fake J-Quants server in the style of
// net/http/httptest, for tests and the offline demo.
//
// It speaks the API V2 (see v2.go): GET /v2/<documented path> with an
// x-api-key header. It knows API keys per plan (DemoKey on Free, and one
// per other plan; AddKey and NewKey add more) and answers as J-Quants does:
// 403 with J-Quants' messages for a missing, unknown or deleted key, an
// endpoint above the key's plan and an undocumented path or method; 400 for
// missing parameters and for a date outside the plan's window (computed from
// the fake's clock); 429 over the key's rate per minute, with no
// Retry-After; 210 for morning-session bars when there are none yet;
// deterministic, plausible rows in pages joined by a pagination_key that
// changes every page and that split, as J-Quants' do, at about PageBytes
// (SetPageRows makes them smaller); gzip when the request accepts it.
//
// It also speaks the two retired V1 login steps: POST /v1/token/auth_user (a
// mail address and password in a JSON body → a refresh token, valid one
// week) and POST /v1/token/auth_refresh?refreshtoken=… (a refresh token in
// the query, no body → an ID token, valid 24 hours).
//
// On every path it records the requests it gets without their secrets (no
// password, token or API key), runs on a clock tests can set, and lets tests
// inject faults, on every path or on one.
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
	// (auth.Path, RefreshPath or a V2 path with its prefix, such as
	// "/v2/equities/master"). Requests on other paths are answered as if
	// there were no fault and do not count towards Times. Empty means every
	// path. A faulty answer is not the contract's: it needs no key and is
	// not counted against a key's rate.
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
	// Delay holds the answer back; it ends early if the client goes away
	// (see Server.Gone).
	Delay time.Duration
	// Drop closes the connection without an answer (a reset).
	Drop bool
	// StallBody sends the contract's own status, headers and the first half
	// of its body, then holds the rest until the client goes away or the
	// server closes: an upstream whose body stalls.
	StallBody bool
	// Truncate sends a Content-Length longer than the JSON sent, then closes.
	// The JSON starts like the path's own answer: {"idToken":… on
	// RefreshPath, {"refreshToken":… elsewhere.
	Truncate bool
	// Times applies the fault to the next Times matching requests only; 0
	// means until cleared.
	Times int
}

// Request is what the server records of a request, on any path. It never
// holds a password (only the JSON body's keys and mail address are kept), a
// token nor an API key: the values of the x-api-key header and of the
// refreshtoken and x-api-key query parameters are replaced by Redacted, and
// so is anything shaped like a token or key of this fake (TokenPrefix,
// IDTokenPrefix or KeyPrefix and hex digits) and any key it knows, wherever
// it appears. A client that puts a secret where it does not belong therefore
// shows as Redacted there. A pagination_key is no secret and is kept.
type Request struct {
	Method           string
	Path             string
	Query            string // the raw query, refreshtoken values Redacted
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Fields           []string  // the JSON body's keys, sorted (auth_refresh ignores its body but records it too)
	MailAddress      string    // the JSON body's mailaddress
	RefreshTokenSent bool      // the query has a non-empty refreshtoken
	KeySent          bool      // the x-api-key header is not empty
	KeyPlan          string    // the plan (auth.Plan.String) of the key sent, if the fake knows it
	Time             time.Time // when it came, on the fake's clock
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

// AddAccount, AddKey, NewKey, RemoveKey, SetPageRows, SetFault, ClearFault,
// SetClock, Count, Requests, Reset, Issued, IssuedTo and IDTokenIssuedTo
// delegate to the Handler.
func (s *Server) AddAccount(mail, password string)             { s.h.AddAccount(mail, password) }
func (s *Server) AddKey(key string, plan auth.Plan)            { s.h.AddKey(key, plan) }
func (s *Server) NewKey(plan auth.Plan) string                 { return s.h.NewKey(plan) }
func (s *Server) RemoveKey(key string)                         { s.h.RemoveKey(key) }
func (s *Server) SetPageRows(n int)                            { s.h.SetPageRows(n) }
func (s *Server) SetFault(f Fault)                             { s.h.SetFault(f) }
func (s *Server) ClearFault()                                  { s.h.SetFault(Fault{}) }
func (s *Server) SetClock(now func() time.Time)                { s.h.SetClock(now) }
func (s *Server) Count() int                                   { return s.h.Count() }
func (s *Server) Gone() int                                    { return s.h.Gone() }
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
	gone     int // requests whose client went away while a Delay held them
	now      func() time.Time
	tokens   map[string]issue // refresh token → the account it was issued to, and when
	idTokens map[string]issue // ID token → the account of the refresh token it came from

	keys       map[string]auth.Plan   // V2 API key → its plan
	everKeys   map[string]bool        // every key added, removed or not: what records must not hold
	hits       map[string][]time.Time // rate-limit key (see admit) → when its recent requests came
	pageRows   int                    // most rows a V2 page holds; 0: only PageBytes bounds it
	pageSecret []byte                 // signs pagination keys, so only this handler's are valid
}

// NewHandler returns a handler with the demo account and demo keys, on the
// real clock.
func NewHandler() *Handler {
	h := &Handler{
		accounts: map[string]string{}, now: time.Now, tokens: map[string]issue{}, idTokens: map[string]issue{},
		keys: map[string]auth.Plan{}, everKeys: map[string]bool{}, hits: map[string][]time.Time{}, pageSecret: randomBytes(32),
	}
	h.AddAccount(DemoMailAddress, DemoPassword)
	for _, p := range []auth.Plan{auth.PlanFree, auth.PlanLight, auth.PlanStandard, auth.PlanPremium} {
		h.AddKey(DemoKeyFor(p), p)
	}
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
// refresh token has expired (auth.TokenLifetime after it was issued), and
// the V2 clock: the plans' date windows, the per-minute limits and which
// rows exist. nil restores time.Now. Reset keeps the clock.
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

// Gone is how many requests' clients went away (closed the connection)
// while a Fault's Delay held their answer: a proxy that cancels the call.
func (h *Handler) Gone() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gone
}

// Requests returns a copy of what was recorded, oldest first.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// Reset forgets recorded requests, issued tokens (refresh and ID) and the
// requests counted against the rate limits, and clears the fault. Accounts,
// keys, the page size and the clock stay.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests, h.fault, h.gone = nil, Fault{}, 0
	h.tokens, h.idTokens = map[string]issue{}, map[string]issue{}
	h.hits = map[string][]time.Time{}
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
	apiKey := r.Header.Get(auth.HeaderAPIKey)
	rec := Request{
		Method: r.Method, Path: r.URL.Path, Query: redactQuery(r.URL.RawQuery), Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
		RefreshTokenSent: refreshToken != "", KeySent: apiKey != "",
	}
	for k := range creds {
		rec.Fields = append(rec.Fields, k)
	}
	sort.Strings(rec.Fields)
	mail, _ := creds[auth.FieldMailAddress].(string)
	password, _ := creds[auth.FieldPassword].(string)
	rec.MailAddress = mail

	h.mu.Lock()
	if plan, ok := h.keys[apiKey]; ok && apiKey != "" {
		rec.KeyPlan = plan.String()
	}
	rec.Time = h.now()
	h.scrubRequest(&rec)
	h.requests = append(h.requests, rec)
	var fault Fault
	if h.fault.Path == "" || h.fault.Path == r.URL.Path {
		fault = h.fault
		if h.fault.Times != 0 {
			if h.fault.Times--; h.fault.Times == 0 {
				h.fault = Fault{}
			}
		}
	}
	h.mu.Unlock()

	if fault.Delay != 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			h.mu.Lock()
			h.gone++
			h.mu.Unlock()
			return
		}
	}
	for k, v := range fault.Header {
		w.Header()[k] = v
	}
	contract := func(w http.ResponseWriter) {
		h.serveContract(w, r, refreshToken, mail, password, readErr == nil && jsonErr == nil)
	}
	switch {
	case fault.StallBody:
		stallBody(w, r, contract)
	case fault.Drop:
		drop(w)
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
	case fault.Body != "":
		ct := fault.ContentType
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(cmpOr(fault.Status, http.StatusOK))
		io.WriteString(w, fault.Body)
	case fault.Status != 0:
		writeJSON(w, fault.Status, map[string]string{"message": fault.Message})
	default:
		contract(w)
	}
}

// serveContract answers as J-Quants would: V2 under auth.V2Prefix, the two
// V1 login steps, 404 elsewhere. parsed says the body was read and is JSON.
func (h *Handler) serveContract(w http.ResponseWriter, r *http.Request, refreshToken, mail, password string, parsed bool) {
	switch {
	case isV2(r.URL.Path):
		h.serveV2(w, r)
	case r.URL.Path == RefreshPath:
		h.serveRefresh(w, r.Method, refreshToken)
	case r.URL.Path != auth.Path:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	case r.Method != http.MethodPost:
		writeJSON(w, http.StatusForbidden, map[string]string{"message": MessageForbidden})
	case !parsed || mail == "" || password == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
	default:
		h.mu.Lock()
		want, known := h.accounts[mail]
		var tok string
		if known && want == password {
			tok = newToken(TokenPrefix)
			h.tokens[tok] = issue{mail: mail, at: h.now()}
		}
		h.mu.Unlock()
		if tok == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"refreshToken": tok})
	}
}

// stallBody sends what serve answers up to half its body, then waits for
// the client to go away or the server to close the connection.
func stallBody(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter)) {
	full := httptest.NewRecorder()
	serve(full)
	for k, v := range full.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(full.Code)
	b := full.Body.Bytes()
	w.Write(b[:len(b)/2])
	http.NewResponseController(w).Flush()
	<-r.Context().Done()
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

// redactQuery returns raw with the value of every refreshtoken or x-api-key
// parameter (its name percent-decoded and matched without regard to case)
// replaced by Redacted; so too the value of a parameter whose name or value
// does not decode, or whose value decodes to something token-shaped.
// Everything else stays as sent (scrubRequest then catches secrets sent
// undecoded).
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
		secretName := strings.EqualFold(name, refreshParam) || strings.EqualFold(name, auth.HeaderAPIKey)
		if errK != nil || errV != nil || secretName || scrubTokens(value) != value {
			parts[i] = k + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// scrubRequest replaces the x-api-key header's value by Redacted, and
// token-shaped text and every key h was given in every string of rec
// (header values; header names are left as they are). h.mu is held.
func (h *Handler) scrubRequest(rec *Request) {
	scrub := func(s string) string {
		for key := range h.everKeys {
			s = strings.ReplaceAll(s, key, Redacted)
		}
		return scrubTokens(s)
	}
	rec.Path = scrub(rec.Path)
	rec.Query = scrub(rec.Query)
	rec.MailAddress = scrub(rec.MailAddress)
	for i, f := range rec.Fields {
		rec.Fields[i] = scrub(f)
	}
	for name, vs := range rec.Header {
		for i, v := range vs {
			if strings.EqualFold(name, auth.HeaderAPIKey) {
				vs[i] = Redacted
			} else {
				vs[i] = scrub(v)
			}
		}
	}
}

// scrubTokens replaces each TokenPrefix, IDTokenPrefix or KeyPrefix in s,
// and the hex digits after it, by Redacted.
func scrubTokens(s string) string {
	for _, prefix := range []string{TokenPrefix, IDTokenPrefix, KeyPrefix} {
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
	return prefix + hex.EncodeToString(randomBytes(24))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("authtest: crypto/rand: %v", err))
	}
	return b
}
