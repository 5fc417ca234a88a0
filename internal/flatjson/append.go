package flatjson

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// shortEscapes holds the letter of each two-byte escape encoding/json uses;
// '\\' is the last byte that has one.
var shortEscapes = [...]byte{'"': '"', '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't'}

// AppendString appends s as a JSON string, byte for byte what
// encoding/json.Marshal(s) produces: HTML-safe (< > & escaped), U+2028 and
// U+2029 escaped for JavaScript, and each invalid UTF-8 byte as \ufffd.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is still to be copied as it is
	for i := 0; i < len(s); {
		if plainASCII[s[i]] {
			i++
			continue
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if plain(r, n) {
			i += n
			continue
		}
		b = append(b, s[start:i]...)
		if r <= '\\' && shortEscapes[r] != 0 {
			b = append(b, '\\', shortEscapes[r])
		} else { // an invalid byte decodes as U+FFFD, so it comes out as \ufffd
			b = append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		}
		i += n
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainASCII marks the bytes below utf8.RuneSelf that plain lets through.
var plainASCII = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = plain(rune(c), 1)
	}
	return t
}()

// plain reports whether the rune r, n bytes of input, is written unescaped.
func plain(r rune, n int) bool {
	switch r {
	case '"', '\\', '<', '>', '&', '\u2028', '\u2029':
		return false
	case utf8.RuneError:
		return n > 1 // a real U+FFFD, not an invalid byte
	}
	return r >= 0x20
}

// AppendObject appends a flat object of string members, given as key, value
// pairs: AppendObject(b, "message", m, "code", c) gives
// {"message":"…","code":"…"}. An odd number of strings is a programming
// error, so it panics.
func AppendObject(b []byte, kv ...string) []byte {
	if len(kv)%2 != 0 {
		panic("flatjson: AppendObject needs key, value pairs")
	}
	b = append(b, '{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(AppendString(b, kv[i]), ':')
		b = AppendString(b, kv[i+1])
	}
	return append(b, '}')
}

// Lookup returns the member named key, if any.
func Lookup(ms []Member, key string) (Member, bool) {
	for _, m := range ms {
		if m.Key == key {
			return m, true
		}
	}
	return Member{}, false
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence;
// n <= 0 gives "". It backs up at most UTFMax-1 bytes, so stray
// continuation bytes cannot make it drop more.
func Truncate(s string, n int) string {
	if n = max(n, 0); len(s) <= n {
		return s
	}
	i := n // back up to the start of the sequence s[n] is in
	for range utf8.UTFMax {
		if i == 0 || utf8.RuneStart(s[i]) {
			break
		}
		i--
	}
	if !utf8.FullRuneInString(s[i:n]) {
		n = i
	}
	return s[:n]
}
