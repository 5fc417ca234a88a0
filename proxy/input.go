package proxy

import (
	"strconv"
	"strings"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// jsonContentType accepts a body sent as JSON: application/json, text/plain
// (a browser's fetch with a string body) or no Content-Type at all (Python's
// requests.post(url, data=json.dumps(…)), as in J-Quants' documentation),
// each with no charset other than UTF-8. Forms, multipart, XML and the rest
// are plainly something else.
func jsonContentType(v string, present bool) bool {
	if !present || v == "application/json" { // the usual value, without parsing it
		return true
	}
	mt, charset, ok := parseMediaType(v)
	return ok && (mt == "application/json" || mt == "text/plain") &&
		(charset == "" || strings.EqualFold(charset, "utf-8"))
}

// parseMediaType parses one Content-Type value (RFC 9110 §8.3.1): type/subtype
// in lower case and its charset parameter. A comma outside a quoted string
// means several values (fetch joins repeated headers with ", "): not ok. The
// native server joins them the same way, so both edges parse the same text.
func parseMediaType(v string) (mediaType, charset string, ok bool) {
	s := strings.TrimLeft(v, " \t")
	i := tokenEnd(s)
	if i == 0 || i == len(s) || s[i] != '/' {
		return "", "", false
	}
	j := i + 1 + tokenEnd(s[i+1:])
	if j == i+1 {
		return "", "", false
	}
	mediaType, s = strings.ToLower(s[:j]), s[j:]
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return mediaType, charset, true
		}
		if s[0] != ';' {
			return "", "", false
		}
		s = strings.TrimLeft(s[1:], " \t")
		if s == "" {
			return mediaType, charset, true // a trailing ";" is tolerated, as by mime
		}
		n := tokenEnd(s)
		if n == 0 || n == len(s) || s[n] != '=' {
			return "", "", false
		}
		name := s[:n]
		s = s[n+1:]
		var value string
		if s != "" && s[0] == '"' {
			var rest string
			if value, rest, ok = quotedString(s); !ok {
				return "", "", false
			}
			s = rest
		} else {
			m := tokenEnd(s)
			if m == 0 {
				return "", "", false
			}
			value, s = s[:m], s[m:]
		}
		if strings.EqualFold(name, "charset") {
			if charset != "" {
				return "", "", false // two charsets: ambiguous
			}
			charset = value
		}
	}
}

// tokenEnd is the length of the RFC 9110 token at the start of s.
func tokenEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return i
		}
	}
	return len(s)
}

// quotedString reads the quoted-string at the start of s (which begins with
// a quote) and returns its value and what follows.
func quotedString(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '\t' || (c >= ' ' && c != 0x7f):
			b.WriteByte(c)
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// bodyFields parses body as a JSON object whose named members (one or
// two) must all be strings, and returns their values in order, or a message
// saying what is wrong. The message never quotes the body. The values are
// views of body where they have no escape (flatjson.ParseObjectInto): a
// request's strings are used up before its body goes.
func bodyFields(body []byte, names ...string) (values [2]string, msg string) {
	var room [4]flatjson.Member // a login body's members fit: no allocation
	members, err := flatjson.ParseObjectInto(room[:0], body)
	if err != nil {
		e := err.(*flatjson.Error)
		switch e.Problem {
		case flatjson.BadUTF8:
			return values, "the body is not valid UTF-8"
		case flatjson.Trailing:
			return values, "the body has data after the JSON object"
		case flatjson.NotObject:
			return values, "the body must be a JSON object with string fields " + strings.Join(names, " and ")
		case flatjson.Duplicate:
			for _, n := range names {
				if e.Key == n {
					return values, "the field " + n + " appears twice"
				}
			}
			return values, "a field appears twice in the body"
		}
		return values, "the body is not valid JSON (near byte " + strconv.Itoa(e.Offset) + ")"
	}
	for i, n := range names {
		m, ok := flatjson.Lookup(members, n)
		switch {
		case !ok:
			return values, "the field " + n + " is missing"
		case m.Kind != flatjson.String:
			return values, "the field " + n + " must be a string"
		}
		values[i] = m.Str
	}
	return values, ""
}

// queryParam finds name in a raw query and decodes its value as
// url.ParseQuery would. Other parameters are ignored; a repeated or
// malformed one is refused, never quoted.
func queryParam(query, name string) (value string, found bool, msg string) {
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(pair, "=")
		key, ok := unescapeQuery(k)
		if !ok || key != name {
			continue
		}
		if found {
			return "", false, "the query parameter " + name + " appears twice"
		}
		if value, ok = unescapeQuery(v); !ok {
			return "", false, "the query parameter " + name + " is not correctly percent-encoded"
		}
		found = true
	}
	return value, found, ""
}

// unescapeQuery decodes %XX and '+' as url.QueryUnescape does.
func unescapeQuery(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", false
			}
			b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			b = append(b, s[i])
		}
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
