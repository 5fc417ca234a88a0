package jsfetch

import (
	"strings"
	"unicode/utf8"
)

// Error is a fetch that ended without an HTTP answer: its promise was
// rejected or it threw. In a browser a TypeError means the network failed or
// CORS refused the answer (browsers do not tell them apart); an AbortError or
// TimeoutError means the context ended. The text never holds a URL or a body.
type Error struct {
	Name    string // the JS error's name, e.g. "TypeError"; never empty
	Message string // the JS error's message, cleaned: see NewError
	err     error  // what Unwrap returns, e.g. context.DeadlineExceeded
}

// maxMessageBytes bounds Error.Message.
const maxMessageBytes = 160

// NewError returns an *Error with the given JS name and message. The message
// is dropped if it could hold a URL, a query or a mail address (it contains
// "://", "?", "@" or "/"), and otherwise cut to 160 bytes with its control
// characters removed; an empty name becomes "Error". wrapped is what Unwrap
// returns (nil for none).
func NewError(name, message string, wrapped error) *Error {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, "\x00\r\n") {
		name = "Error"
	}
	return &Error{Name: name, Message: safeMessage(message), err: wrapped}
}

func (e *Error) Error() string {
	s := "jsfetch: fetch failed: " + e.Name
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns the error this one stands for, such as
// context.DeadlineExceeded for a TimeoutError, or nil.
func (e *Error) Unwrap() error { return e.err }

func safeMessage(s string) string {
	if strings.ContainsAny(s, "?@/") {
		return ""
	}
	// Drop ASCII control characters; UTF-8 sequences have no bytes below 0x80.
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= ' ' && c != 0x7f {
			b = append(b, c)
		}
	}
	s = strings.TrimSpace(string(b))
	if len(s) > maxMessageBytes {
		n := maxMessageBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	return s
}
