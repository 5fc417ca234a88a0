package proxy

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// answer builds an Answer and its log line. It lives on its caller's stack:
// only the Answer it gives allocates, and a request that becomes a Call
// allocates nothing for it.
type answer struct {
	room       [answerRoom][2]string // the headers set so far: room[:n]
	n          int
	method     string
	path       string // the target without its query: a query may hold a token
	origin     string // the request's Origin header, for the log
	detail     string
	start, now time.Time
}

// answerRoom is at least the number of header names set calls use (13),
// since set replaces a header already set.
const answerRoom = 16

// answerTo starts the answer to r, resolving its target for the log.
func answerTo(r *Request) answer {
	path, _ := resolveTarget(r.Target)
	origin, _ := r.origin()
	return newAnswer(r, path, origin)
}

// newAnswer starts the answer to r, whose target resolves to path, with the
// headers every answer carries.
func newAnswer(r *Request, path, origin string) answer {
	a := answer{method: r.Method, path: path, origin: origin, start: r.Start, now: r.Start}
	a.set("Cache-Control", "no-store")
	a.set("X-Content-Type-Options", "nosniff")
	a.set("Vary", "Origin")
	return a
}

// set sets the header name (canonical case) to v, replacing an earlier value.
// Not inlined: inlined at its 28 call sites, it made the Worker's app.wasm
// 9 KB (gzip) larger, for no CPU time measurable in Node.
//
//go:noinline
func (a *answer) set(name, v string) {
	for i := range a.room[:a.n] {
		if a.room[i][0] == name {
			a.room[i][1] = v
			return
		}
	}
	a.room[a.n] = [2]string{name, v} // past answerRoom: a programming error
	a.n++
}

// header is a copy of the headers set, for an Answer.
func (a *answer) header() [][2]string { return slices.Clone(a.room[:a.n]) }

// allowMethod lets want through (done false); a plain OPTIONS gets 204 and any
// other method 405, each with Allow: allow.
func (a *answer) allowMethod(m, want, allow, refusal string) (ans Answer, done bool) {
	switch m {
	case want:
		return Answer{}, false
	case "OPTIONS":
		a.set("Allow", allow)
		return a.done(204, nil), true
	}
	a.set("Allow", allow)
	return a.fail(405, CodeMethodNotAllowed, refusal, ""), true
}

func (a *answer) done(status int, body []byte) Answer {
	return Answer{Status: status, Header: a.header(), Body: body, Log: a.logLine(status, "")}
}

func (a *answer) json(status int, code string, body []byte) Answer {
	a.set("Content-Type", "application/json; charset=utf-8")
	return Answer{Status: status, Header: a.header(), Body: body, Log: a.logLine(status, code)}
}

// fail answers {"message": msg, "code": code}; detail goes to the log only.
func (a *answer) fail(status int, code, msg, detail string) Answer {
	if detail != "" {
		a.detail = detail
	}
	b := make([]byte, 0, len(code)+len(msg)+32)
	return a.json(status, code, flatjson.AppendObject(b, "message", msg, "code", code))
}

// logLine is "proxy: method=… path=… status=… duration=… origin=… code=…
// detail=…"; values a caller controls are quoted and cut.
func (a *answer) logLine(status int, code string) string {
	b := make([]byte, 0, 160)
	b = append(b, "proxy: method="...)
	if m := a.method; m != "" && len(m) <= 16 && strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		b = append(b, m...)
	} else {
		b = appendQuoted(b, cut(m, 32))
	}
	b = append(b, " path="...)
	b = appendQuoted(b, cut(a.path, 200))
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " duration="...)
	b = append(b, a.now.Sub(a.start).Round(time.Microsecond).String()...)
	if a.origin != "" {
		b = append(b, " origin="...)
		b = appendQuoted(b, cut(a.origin, 200))
	}
	if code != "" {
		b = append(b, " code="...)
		b = append(b, code...)
	}
	if a.detail != "" {
		b = append(b, " detail="...)
		b = appendQuoted(b, cut(a.detail, 300))
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) // as strings.Builder does: b is not written again
}

// appendQuoted is strconv.AppendQuote, with a short way for the usual
// text that needs no escape.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !plainInLog[s[i]] {
			return strconv.AppendQuote(b, s)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// plainInLog marks the ASCII bytes strconv.Quote leaves as they are.
var plainInLog = func() (plain [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		s := string(rune(c))
		plain[c] = strconv.Quote(s) == `"`+s+`"`
	}
	return plain
}()

// cut shortens s to n bytes (whole characters) with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return flatjson.Truncate(s, n) + "…"
}
