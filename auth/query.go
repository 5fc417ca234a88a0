package auth

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldQuery names a V2 query in an *InputError.
const FieldQuery = "query"

// CheckQuery reports whether raw (a query without its "?") can go to J-Quants
// as it is: at most MaxQueryBytes, "name=value" pairs joined by "&", names of
// letters, digits and "_", values of visible ASCII other than "#" and "&"
// whose percent escapes are well formed and decode to UTF-8 text without
// control characters. The error names the first bad parameter by position,
// never quoting its value.
func CheckQuery(raw string) error {
	bad := func(reason string) error { return &InputError{Field: FieldQuery, Reason: reason} }
	if len(raw) > MaxQueryBytes {
		return bad("is longer than " + strconv.Itoa(MaxQueryBytes) + " bytes")
	}
	if raw == "" {
		return nil
	}
	n := 0
	for pair := range strings.SplitSeq(raw, "&") {
		n++
		at := " (parameter " + strconv.Itoa(n) + ")"
		name, value, ok := strings.Cut(pair, "=")
		switch {
		case !ok || name == "":
			return bad("must be name=value pairs joined by &" + at)
		case !isName(name):
			return bad("parameter names are letters, digits and _" + at)
		}
		if reason := checkValue(value); reason != "" {
			return bad(reason + at)
		}
	}
	return nil
}

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		default:
			return false
		}
	}
	return true
}

// checkValue says what is wrong with a raw query value, or "".
func checkValue(v string) string {
	decoded := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c <= ' ' || c > '~' || c == '#':
			return "values must be visible ASCII, percent-encoded where needed"
		case c == '%':
			hi, lo := unhex(v, i+1), unhex(v, i+2)
			if hi < 0 || lo < 0 {
				return "a value has a malformed percent escape"
			}
			c = byte(hi<<4 | lo)
			i += 2
		}
		decoded = append(decoded, c)
	}
	if !utf8.Valid(decoded) {
		return "values must decode to UTF-8 text"
	}
	for _, r := range string(decoded) {
		if r < ' ' || r == 0x7f || 0x80 <= r && r < 0xa0 {
			return "values must not hold control characters"
		}
	}
	return ""
}

// unhex is the value of the hex digit s[i], or -1.
func unhex(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch c := s[i]; {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Query encodes name, value pairs as a query (without "?"), escaping each
// value: Query("code", "86970", "from", "2025-01-06") is
// "code=86970&from=2025-01-06". It panics on an odd number of arguments.
func Query(kv ...string) string {
	if len(kv)%2 != 0 {
		panic("auth.Query: odd number of arguments")
	}
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(queryEscape(kv[i]))
		b.WriteByte('=')
		b.WriteString(queryEscape(kv[i+1]))
	}
	return b.String()
}

// V2Request is one GET of the V2 contract: the URL, and the key that goes in
// its x-api-key header. Send Accept: application/json; Accept-Encoding: gzip
// is welcome.
type V2Request struct {
	URL string
	Key APIKey
}

// NewV2Request checks path (as documented, without V2Prefix: see LookupV2)
// and rawQuery (see CheckQuery) and returns the request under baseURL ("" for
// DefaultBaseURL; one setting for V1 and V2: V2Prefix is added here).
func NewV2Request(baseURL string, key APIKey, path, rawQuery string) (V2Request, error) {
	if key.IsZero() {
		return V2Request{}, &InputError{Field: FieldAPIKey, Reason: "is required"}
	}
	if _, ok := LookupV2(path); !ok {
		return V2Request{}, &InputError{Field: "path", Reason: "is not a documented V2 endpoint"}
	}
	if err := CheckQuery(rawQuery); err != nil {
		return V2Request{}, err
	}
	return V2Request{URL: V2URL(baseURL, path, rawQuery), Key: key}, nil
}

// V2URL joins baseURL, V2Prefix, path and rawQuery; it checks nothing.
func V2URL(baseURL, path, rawQuery string) string {
	u := endpointURL(baseURL, V2Prefix+path)
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

// withPaginationKey is rawQuery asking for the page that key names.
func withPaginationKey(rawQuery, key string) string {
	if key == "" {
		return rawQuery
	}
	if rawQuery != "" {
		rawQuery += "&"
	}
	return rawQuery + FieldPaginationKey + "=" + queryEscape(key)
}
