package proxy

import (
	"slices"
	"strconv"
	"strings"
)

// preflight answers a CORS preflight (OPTIONS with
// Access-Control-Request-Method) that passed the Origin check, as rs/cors
// does: 204, with the CORS headers only when the method and the requested
// headers are the endpoint's: POST with at most Content-Type (V1), GET with
// at most x-api-key and Accept (V2). The Origin is already allowed or
// absent; without one there is nothing to allow.
func (a *answer) preflight(r *Request, hasOrigin, v2 bool) {
	a.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	method := strings.ToUpper(strings.TrimSpace(r.Header.Get("access-control-request-method")))
	want, allowed := "POST", []string{"content-type"}
	if v2 {
		want, allowed = "GET", []string{"x-api-key", "accept"}
	}
	headers, ok := requestedHeaders(r.Header.Get("access-control-request-headers"), allowed)
	if hasOrigin && method == want && ok {
		a.set("Access-Control-Allow-Origin", a.origin)
		a.set("Access-Control-Allow-Methods", want)
		if headers != "" {
			a.set("Access-Control-Allow-Headers", headers)
		}
		a.set("Access-Control-Max-Age", strconv.Itoa(PreflightMaxAge))
	}
	a.done(204)
}

// requestedHeaders normalises Access-Control-Request-Headers (lower case,
// joined by ",") and reports whether every name is in allowed.
func requestedHeaders(v string, allowed []string) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return "", true
	}
	var names []string
	for name := range strings.SplitSeq(v, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if !slices.Contains(allowed, name) {
			return "", false
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return strings.Join(names, ","), true
}

// cors allows origin, when there is one, to read the answer (and its
// Retry-After), and returns what Finish must allow too ("" for none).
func (a *answer) cors(origin string, hasOrigin bool) string {
	if !hasOrigin {
		return ""
	}
	a.set("Access-Control-Allow-Origin", origin)
	a.set("Access-Control-Expose-Headers", "Retry-After")
	return origin
}
