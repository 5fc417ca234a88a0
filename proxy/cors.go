package proxy

import (
	"strconv"
	"strings"
)

// preflight answers a CORS preflight (OPTIONS with
// Access-Control-Request-Method) that passed the Origin check, as rs/cors
// does: 204, with the CORS headers only when the method is POST and the
// requested headers are at most Content-Type. The Origin is already allowed
// or absent; without one there is nothing to allow.
func (a *answer) preflight(r *Request, hasOrigin bool) Answer {
	a.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	method := strings.ToUpper(strings.TrimSpace(r.Header.Get("access-control-request-method")))
	headers, ok := requestedHeaders(r.Header.Get("access-control-request-headers"))
	if hasOrigin && method == "POST" && ok {
		a.set("Access-Control-Allow-Origin", a.origin)
		a.set("Access-Control-Allow-Methods", "POST")
		if headers != "" {
			a.set("Access-Control-Allow-Headers", headers)
		}
		a.set("Access-Control-Max-Age", strconv.Itoa(PreflightMaxAge))
	}
	return a.done(204, nil)
}

// requestedHeaders normalises Access-Control-Request-Headers and reports
// whether every name is one the proxy allows (content-type).
func requestedHeaders(v string) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return "", true
	}
	for name := range strings.SplitSeq(v, ",") {
		if !strings.EqualFold(strings.TrimSpace(name), "content-type") {
			return "", false
		}
	}
	return "content-type", true
}
