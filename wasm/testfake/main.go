//go:build !js

// Command testfake serves the fake J-Quants (package authtest) on a clock
// its caller sets, for the browser module's V2 tests under Node
// (wasm/jquants-auth-v2.test.mjs): the test's own clock drives both the
// module (options.now and options.sleep) and the fake's per-key limits and
// plan windows, so a minute of pacing takes no time. cmd/fakejquants is the
// demo's fake, on the real clock; this one adds, under /_test/:
//
//	POST /_test/clock?ms=<epoch ms>   sets the clock
//	POST /_test/page-rows?n=<rows>    pages of at most n rows (0: ~5 MB pages)
//	POST /_test/key?plan=<plan>       a new key on plan, as the body
//	POST /_test/fault                 a Fault as JSON ({"path", "status", "message", "body",
//	                                  "delayMs", "times"}); an empty object clears it
//	GET  /_test/requests              what the fake recorded, as JSON: [{"path", "query",
//	                                  "keySent", "keyPlan", "ms"}] (never a key)
//	POST /_test/reset                 forgets requests and rate counts, clears the fault
//
// It prints "fake J-Quants listening on http://…" and serves until killed.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testfake:", err)
		os.Exit(1)
	}
	fmt.Printf("fake J-Quants listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: newServer(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "testfake:", srv.Serve(ln))
	os.Exit(1)
}

// server is the fake with its clock and the /_test/ controls.
type server struct {
	fake *authtest.Handler

	mu    sync.Mutex
	clock time.Time
}

func newServer() http.Handler {
	s := &server{fake: authtest.NewHandler(), clock: time.Now()}
	s.fake.SetClock(s.now)
	mux := http.NewServeMux()
	mux.Handle("/", s.fake)
	mux.HandleFunc("POST /_test/clock", s.setClock)
	mux.HandleFunc("POST /_test/page-rows", s.setPageRows)
	mux.HandleFunc("POST /_test/key", s.newKey)
	mux.HandleFunc("POST /_test/fault", s.setFault)
	mux.HandleFunc("GET /_test/requests", s.requests)
	mux.HandleFunc("POST /_test/reset", func(w http.ResponseWriter, r *http.Request) { s.fake.Reset() })
	return mux
}

func (s *server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

func (s *server) setClock(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.ParseInt(r.URL.Query().Get("ms"), 10, 64)
	if err != nil {
		http.Error(w, "ms: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.clock = time.UnixMilli(ms)
	s.mu.Unlock()
}

func (s *server) setPageRows(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil {
		http.Error(w, "n: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.fake.SetPageRows(n)
}

func (s *server) newKey(w http.ResponseWriter, r *http.Request) {
	plan, ok := auth.ParsePlan(r.URL.Query().Get("plan"))
	if !ok {
		http.Error(w, "plan: free, light, standard or premium", http.StatusBadRequest)
		return
	}
	io.WriteString(w, s.fake.NewKey(plan))
}

func (s *server) setFault(w http.ResponseWriter, r *http.Request) {
	var f struct {
		Path    string `json:"path"`
		Status  int    `json:"status"`
		Message string `json:"message"`
		Body    string `json:"body"`
		DelayMs int    `json:"delayMs"`
		Times   int    `json:"times"`
	}
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.fake.SetFault(authtest.Fault{
		Path: f.Path, Status: f.Status, Message: f.Message, Body: f.Body, ContentType: "application/json",
		Delay: time.Duration(f.DelayMs) * time.Millisecond, Times: f.Times,
	})
}

func (s *server) requests(w http.ResponseWriter, r *http.Request) {
	type record struct {
		Path    string `json:"path"`
		Query   string `json:"query"`
		KeySent bool   `json:"keySent"`
		KeyPlan string `json:"keyPlan"`
		Ms      int64  `json:"ms"`
	}
	out := []record{}
	for _, q := range s.fake.Requests() {
		out = append(out, record{q.Path, q.Query, q.KeySent, q.KeyPlan, q.Time.UnixMilli()})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
