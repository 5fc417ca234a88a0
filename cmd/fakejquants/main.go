// Command fakejquants runs the fake J-Quants auth server (package authtest)
// on an address, for the offline demo. It speaks POST /v1/token/auth_user and
// knows one demo account; it logs one line per request, never a password.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8788", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("fake J-Quants listening on http://%s\n", ln.Addr())
	fmt.Printf("demo account: %s / %s\n", authtest.DemoMailAddress, authtest.DemoPassword)
	h := authtest.NewHandler()
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		fmt.Fprintf(os.Stderr, "fakejquants: %s %s %v\n", r.Method, r.URL.Path, time.Since(start).Round(time.Microsecond))
	})
	srv := &http.Server{Handler: logged, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
