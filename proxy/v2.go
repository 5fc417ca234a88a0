package proxy

import (
	"strconv"
	"strings"

	"github.com/jquants-auth/jquants-auth/auth"
)

// AllowV2 is the Allow header of a V2 path's 405 and plain OPTIONS answer.
const AllowV2 = "GET, OPTIONS"

// passedUpstreamHeaders are the answer headers of J-Quants that reach the
// caller of a V2 GET; the body passes as it came (neither edge's runtime
// undoes an encoding: the call names the one it takes), so its encoding and
// length come along.
var passedUpstreamHeaders = [...][2]string{
	{"Content-Type", "content-type"}, {"Content-Encoding", "content-encoding"},
	{"Content-Length", "content-length"}, {"Retry-After", "retry-after"},
}

// prepareV2 decides on GET /v2/<documented path>?<query>, after the path,
// Origin and preflight checks: method (405), key (403 as J-Quants, or 400),
// query (400), then the call, asking the API limiter first.
func (p *Core) prepareV2(r *Request, a *answer, call *Call, ep auth.V2Endpoint, query, origin string, hasOrigin bool) bool {
	if a.allowMethod(r.Method, "GET", AllowV2, "method not allowed: the V2 API takes GET") {
		return false
	}
	allowOrigin := a.cors(origin, hasOrigin)
	key, hasKey := r.Header.Get(auth.HeaderAPIKey), r.Header.Has(auth.HeaderAPIKey)
	if key = strings.TrimSpace(key); !hasKey || key == "" {
		// J-Quants' own answer, without asking it.
		a.fail(403, auth.CodeKeyRequired, auth.MessageKeyRequired, "")
		return false
	}
	if err := auth.CheckAPIKey(key); err != nil {
		a.fail(400, auth.CodeInvalidInput, "the x-api-key header "+strings.TrimPrefix(err.Error(), auth.FieldAPIKey+" "), "")
		return false
	}
	if err := auth.CheckQuery(query); err != nil {
		a.fail(400, auth.CodeInvalidInput, "the "+err.Error(), "")
		return false
	}
	gzip := acceptsGzip(r.Header.Get("accept-encoding"))
	encoding := "identity"
	if gzip {
		encoding = "gzip"
	}
	*call = Call{
		Method:  "GET",
		URL:     auth.V2URL(p.c.base, ep.Path, query),
		Header:  [][2]string{{auth.HeaderAPIKey, key}, {"Accept", "application/json"}, {"Accept-Encoding", encoding}}, // new: a reused Call may hold the shared login headers
		Body:    call.Body[:0],
		Timeout: p.c.v2Timeout,
		Limiter: LimiterAPI,
		State:   State{V2Path: ep.Path, Gzip: gzip, Origin: allowOrigin, Start: r.Start},
	}
	if p.c.apiLimit {
		call.LimitKey = r.clientKey()
	}
	return true
}

// acceptsGzip reports whether an Accept-Encoding value takes gzip (with a
// q-value above 0), so that J-Quants' gzip can pass through undone.
func acceptsGzip(v string) bool {
	for part := range strings.SplitSeq(v, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if c := strings.TrimSpace(coding); !strings.EqualFold(c, "gzip") && !strings.EqualFold(c, "x-gzip") {
			continue
		}
		q, hasQ := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q=")
		return !hasQ || strings.Trim(q, "0.") != ""
	}
	return false
}

// finishV2 passes J-Quants' answer through: its status, Content-Type,
// Content-Encoding, Content-Length, Retry-After, and its body as it streams
// (Answer.Stream), with the proxy's own headers added. An answer in an
// encoding the call did not ask for is refused: the caller could not read it.
func (p *Core) finishV2(a *answer, st State, up Upstream) {
	a.set("Vary", "Origin, Accept-Encoding")
	const upstreamName = "the J-Quants API"
	switch up.Fault {
	case Timeout:
		a.fail(504, auth.CodeTimeout, "no answer from "+upstreamName+" within "+p.c.v2Timeout.String(), up.Detail)
		return
	case Canceled:
		a.fail(StatusClientClosedRequest, auth.CodeCanceled, "the request was canceled", up.Detail)
		return
	case Unreachable, Cut, TooLarge: // before the headers, all the same: no answer
		a.fail(502, CodeUpstreamUnreachable, "could not reach "+upstreamName+", or it closed the connection without answering", up.Detail)
		return
	}
	if up.Limited {
		a.set("Retry-After", p.c.retryAfter)
		a.fail(429, auth.CodeRateLimited, "too many requests from this address: try again in "+p.c.retryAfter+" seconds", up.Detail)
		return
	}
	if up.Detail != "" {
		a.detail = "limiter failed, the request went through: " + up.Detail
	}
	status := up.Answer.StatusCode
	if !passesThrough(status) {
		a.fail(502, auth.CodeUpstreamError, upstreamName+" answered with unexpected status "+strconv.Itoa(status), "")
		return
	}
	if encoded(up.Answer.Header, st.Gzip) {
		a.fail(502, auth.CodeUpstreamError, upstreamName+" answered in a Content-Encoding the proxy did not ask for", "upstream status "+strconv.Itoa(status))
		return
	}
	for _, name := range passedUpstreamHeaders {
		if v := up.Answer.Header.Get(name[1]); v != "" {
			a.set(name[0], v)
		}
	}
	a.done(status)
	a.out.Stream = true
}

// passesThrough: the statuses J-Quants documents, and any 5xx.
func passesThrough(status int) bool {
	switch status {
	case 200, auth.StatusPartial, 400, 403, 404, 429:
		return true
	}
	return 500 <= status && status <= 599
}

// StreamLog is a streamed answer's log line once its body is done: n bytes
// were sent, and cut says the body did not reach its end.
func StreamLog(a Answer, n int64, cut bool) string {
	s := string(a.Log) + " bytes=" + strconv.FormatInt(n, 10)
	if cut {
		s += ` body="cut off"`
	}
	return s
}
