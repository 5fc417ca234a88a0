package proxy

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// answer builds an Answer, and its log line, into the edge's out: it lives
// on its caller's stack and writes into the room out's Header, Body and Log
// already have, so that an edge that reuses one Answer allocates nothing for
// its answers, and a request that becomes a Call writes nothing.
type answer struct {
	out        *Answer
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

// answerTo starts the answer to r into out, resolving its target for the log.
func answerTo(out *Answer, r *Request) answer {
	path, _ := resolveTarget(r.Target)
	origin, _ := r.origin()
	return newAnswer(out, r, path, origin)
}

// newAnswer starts the answer to r into out, r's target resolving to path,
// with the headers every answer carries.
func newAnswer(out *Answer, r *Request, path, origin string) answer {
	a := answer{out: out, method: r.Method, path: path, origin: origin, start: r.Start, now: r.Start}
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

// allowMethod lets want through (false); a plain OPTIONS gets 204 and any
// other method 405, each with Allow: allow (true: answered).
func (a *answer) allowMethod(m, want, allow, refusal string) (answered bool) {
	switch m {
	case want:
		return false
	case "OPTIONS":
		a.set("Allow", allow)
		a.done(204)
		return true
	}
	a.set("Allow", allow)
	a.fail(405, CodeMethodNotAllowed, refusal, "")
	return true
}

// done answers status without a body.
func (a *answer) done(status int) { a.write(status, "", false) }

// json answers status with the JSON body the caller put in a.body().
func (a *answer) json(status int, code string) {
	a.set("Content-Type", "application/json; charset=utf-8")
	a.write(status, code, true)
}

// body is out's Body, emptied, for a JSON body to be appended to.
func (a *answer) body() []byte { return a.out.Body[:0] }

// write makes out the answer: status, the headers set, the body when
// hasBody (else none), and the log line.
func (a *answer) write(status int, code string, hasBody bool) {
	o := a.out
	o.Status, o.Stream = status, false
	o.Header = append(o.Header[:0], a.room[:a.n]...)
	if !hasBody {
		o.Body = o.Body[:0]
	}
	o.Log = a.appendLog(o.Log[:0], status, code)
}

// fail answers {"message": msg, "code": code}; detail goes to the log only.
func (a *answer) fail(status int, code, msg, detail string) {
	if detail != "" {
		a.detail = detail
	}
	a.out.Body = flatjson.AppendObject(a.body(), "message", msg, "code", code)
	a.json(status, code)
}

// appendLog appends "proxy: method=… path=… status=… duration=… origin=…
// code=… detail=…" to b; values a caller controls are quoted and cut.
func (a *answer) appendLog(b []byte, status int, code string) []byte {
	b = append(b, "proxy: method="...)
	if m := a.method; m != "" && len(m) <= 16 && capitals(m) {
		b = append(b, m...)
	} else {
		b = appendQuoted(b, cut(m, 32))
	}
	b = append(b, " path="...)
	b = appendQuoted(b, cut(a.path, 200))
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " duration="...)
	b = appendDuration(b, a.now.Sub(a.start))
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
	return b
}

// appendDuration appends d rounded to the microsecond, as Duration.String
// writes it, without the string that allocates: the usual durations (up to
// 1 s) are written here, others by Duration.String.
func appendDuration(b []byte, d time.Duration) []byte {
	d = d.Round(time.Microsecond)
	us := int64(d / time.Microsecond)
	switch {
	case us <= 0 || us >= 1e6: // 0 too: "0s", a constant
		return append(b, d.String()...)
	case us < 1000:
		return append(strconv.AppendInt(b, us, 10), "µs"...)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	if frac := us % 1000; frac != 0 {
		digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		n := len(digits)
		for digits[n-1] == '0' {
			n--
		}
		b = append(b, digits[:n]...)
	}
	return append(b, "ms"...)
}

// capitals reports whether s is all capital ASCII letters.
func capitals(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
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
