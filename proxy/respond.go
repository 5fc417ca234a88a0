package proxy

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// recorder remembers the status and code of an answer for the log line.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	code   string // the answer's code, if any
	detail string // for the log only: what went wrong (never a body)
}

func (w *recorder) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// json writes a JSON answer with the headers every answer carries.
func (w *recorder) json(status int, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	if _, ok := hd["Vary"]; !ok {
		hd.Set("Vary", "Origin")
	}
	w.WriteHeader(status)
	w.Write(body)
}

// fail writes {"message": msg, "code": code}.
func (w *recorder) fail(status int, code, msg string) {
	w.code = code
	b := make([]byte, 0, len(msg)+len(code)+32)
	b = append(b, `{"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, code)
	w.json(status, append(b, '}'))
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, as encoding/json would
// (invalid UTF-8 becomes U+FFFD), without reflection.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func itoa(n int) string { return strconv.Itoa(n) }

// logRequest writes one line: method, target (no query), status, duration,
// origin, code and detail. Values a caller controls are quoted and cut.
func (h *Handler) logRequest(r *http.Request, w *recorder, d time.Duration) {
	status := w.status
	if !w.wrote {
		status = http.StatusOK
	}
	target := r.RequestURI
	if target == "" && r.URL != nil {
		target = r.URL.Path
	}
	target, _, _ = strings.Cut(target, "?")
	b := make([]byte, 0, 192)
	b = append(b, "proxy: method="...)
	b = appendToken(b, r.Method)
	b = append(b, " path="...)
	b = strconv.AppendQuote(b, cut(target, 200))
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " duration="...)
	b = append(b, d.Round(time.Microsecond).String()...)
	if o := r.Header.Get("Origin"); o != "" {
		b = append(b, " origin="...)
		b = strconv.AppendQuote(b, cut(o, 200))
	}
	if w.code != "" {
		b = append(b, " code="...)
		b = append(b, w.code...)
	}
	if w.detail != "" {
		b = append(b, " detail="...)
		b = strconv.AppendQuote(b, cut(w.detail, 300))
	}
	h.write(append(b, '\n'))
}

// logLine writes "proxy: msg detail=<quoted detail>" as one line; msg is ours.
func (h *Handler) logLine(msg, detail string) {
	b := append([]byte("proxy: "), msg...)
	b = append(b, " detail="...)
	b = strconv.AppendQuote(b, cut(detail, 300))
	h.write(append(b, '\n'))
}

func (h *Handler) write(b []byte) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	h.c.log.Write(b)
}

// appendToken appends s raw when it is a short upper-case word (a method
// name), quoted otherwise.
func appendToken(b []byte, s string) []byte {
	if len(s) > 0 && len(s) <= 16 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, cut(s, 32))
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
