// Package authtest is a fake J-Quants auth server in the style of
// net/http/httptest. It speaks the POST /v1/token/auth_user contract (JSON
// bodies, the documented messages), counts the requests it gets, and lets
// tests inject faults. J-Quants retired this V1 endpoint on 2026-06-01, so
// this fake is also what the offline demo logs in to.
package authtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
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
)

// TokenPrefix starts every refresh token the fake issues, so tests can spot one.
const TokenPrefix = "fake-refresh-token-"

// Fault makes the server misbehave. The zero Fault means "behave".
type Fault struct {
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
	Truncate bool
	// Times applies the fault to the next Times requests only; 0 means until cleared.
	Times int
}

// Request is what the server records of a request: never a password.
type Request struct {
	Method           string
	Path             string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Fields           []string // the JSON body's keys, sorted
	MailAddress      string
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

// AddAccount, SetFault, ClearFault, Count, Requests, Reset and Issued delegate to the Handler.
func (s *Server) AddAccount(mail, password string) { s.h.AddAccount(mail, password) }
func (s *Server) SetFault(f Fault)                 { s.h.SetFault(f) }
func (s *Server) ClearFault()                      { s.h.SetFault(Fault{}) }
func (s *Server) Count() int                       { return s.h.Count() }
func (s *Server) Requests() []Request              { return s.h.Requests() }
func (s *Server) Reset()                           { s.h.Reset() }
func (s *Server) Issued(token string) bool         { return s.h.Issued(token) }

// Handler serves the fake contract; use it directly to mount the fake in
// your own server (see cmd/fakejquants).
type Handler struct {
	mu       sync.Mutex
	accounts map[string]string
	fault    Fault
	requests []Request
	tokens   map[string]string // token → the mail address it was issued to
}

// NewHandler returns a handler with the demo account.
func NewHandler() *Handler {
	h := &Handler{accounts: map[string]string{}, tokens: map[string]string{}}
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

// Reset forgets recorded requests and issued tokens and clears the fault.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests, h.fault, h.tokens = nil, Fault{}, map[string]string{}
}

// Issued reports whether token was issued by this handler.
func (h *Handler) Issued(token string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.tokens[token]
	return ok
}

// IssuedTo returns the mail address token was issued to, if this handler issued it.
func (h *Handler) IssuedTo(token string) (mail string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	mail, ok = h.tokens[token]
	return mail, ok
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var creds map[string]any
	jsonErr := json.Unmarshal(body, &creds)
	rec := Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(),
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
	}
	for k := range creds {
		rec.Fields = append(rec.Fields, k)
	}
	sort.Strings(rec.Fields)
	mail, _ := creds[auth.FieldMailAddress].(string)
	password, _ := creds[auth.FieldPassword].(string)
	rec.MailAddress = mail

	h.mu.Lock()
	h.requests = append(h.requests, rec)
	fault := h.fault
	if h.fault.Times > 0 {
		if h.fault.Times--; h.fault.Times == 0 {
			h.fault = Fault{}
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
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"refreshToken":"trunc`)
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
	case r.URL.Path != auth.Path:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	case r.Method != http.MethodPost:
		writeJSON(w, http.StatusForbidden, map[string]string{"message": MessageForbidden})
	case readErr != nil || jsonErr != nil || mail == "" || password == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
	case !known || want != password:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": MessageIncorrect})
	default:
		tok := newToken()
		h.mu.Lock()
		h.tokens[tok] = mail
		h.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"refreshToken": tok})
	}
}

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

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("authtest: crypto/rand: %v", err))
	}
	return TokenPrefix + hex.EncodeToString(b[:])
}
