package flatjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// oracleMembers reads b, which encoding/json says is a valid object, with a
// json.Decoder token walk. dup reports whether a top-level key repeats, and
// dupKey is the first key seen a second time.
func oracleMembers(t *testing.T, b []byte) (ms []flatjson.Member, dupKey string, dup bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("oracle: first token %v, %v", tok, err)
	}
	ms = []flatjson.Member{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("oracle: key: %v", err)
		}
		key := tok.(string)
		if seen[key] && !dup {
			dup, dupKey = true, key
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("oracle: value: %v", err)
		}
		// The raw value is the input's own bytes, so its span ends where
		// the decoder stands.
		end := int(dec.InputOffset())
		m := flatjson.Member{Key: key, Start: end - len(raw), End: end}
		switch raw[0] {
		case '{':
			m.Kind = flatjson.Object
		case '[':
			m.Kind = flatjson.Array
		case 't', 'f':
			m.Kind = flatjson.Bool
		case 'n':
			m.Kind = flatjson.Null
		case '"':
			m.Kind = flatjson.String
			if err := json.Unmarshal(raw, &m.Str); err != nil {
				t.Fatalf("oracle: string: %v", err)
			}
		default:
			m.Kind = flatjson.Number
		}
		ms = append(ms, m)
	}
	return ms, dupKey, dup
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// firstNonSpace is the offset of the first byte that is not JSON white space.
func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// checkOracle checks ParseObject(b) against encoding/json and returns its
// result for further checks. It is the heart of both the table test and
// FuzzParseObject.
// checkInto checks that ParseObjectInto gives what ParseObject gave, after
// the members already in dst.
func checkInto(t *testing.T, b []byte, ms []flatjson.Member, err error) {
	t.Helper()
	before := flatjson.Member{Key: "before", Kind: flatjson.Null}
	into, intoErr := flatjson.ParseObjectInto([]flatjson.Member{before}, b)
	if !reflect.DeepEqual(intoErr, err) {
		t.Fatalf("ParseObjectInto: error %v, ParseObject's %v", intoErr, err)
	}
	if err == nil && (len(into) == 0 || into[0] != before || !slices.Equal(into[1:], ms)) {
		t.Fatalf("ParseObjectInto: %+v, ParseObject's %+v after %+v", into, ms, before)
	}
}

func checkOracle(t *testing.T, b []byte) ([]flatjson.Member, *flatjson.Error) {
	t.Helper()
	ms, err := flatjson.ParseObject(b)
	checkInto(t, b, ms, err)
	var e *flatjson.Error
	if err != nil {
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not a *flatjson.Error", err, err)
		}
		if ms != nil {
			t.Errorf("members %v returned with error %v", ms, err)
		}
		if e.Offset < 0 || e.Offset > len(b) {
			t.Fatalf("offset %d outside [0, %d]", e.Offset, len(b))
		}
	}
	if !utf8.Valid(b) {
		if e == nil || e.Problem != flatjson.BadUTF8 {
			t.Fatalf("invalid UTF-8 %q: got %v, want BadUTF8", b, err)
		}
		if r, n := utf8.DecodeRune(b[e.Offset:]); !utf8.Valid(b[:e.Offset]) || r != utf8.RuneError || n != 1 {
			t.Fatalf("BadUTF8 offset %d is not the first invalid byte of %q", e.Offset, b)
		}
		return ms, e
	}
	if !json.Valid(b) {
		if e == nil {
			t.Fatalf("encoding/json rejects %q, ParseObject accepts it: %v", b, ms)
		}
		switch e.Problem {
		case flatjson.BadSyntax:
		case flatjson.Trailing:
			// The object before Offset must be fine, and something else follow.
			if obj := b[:e.Offset]; e.Offset >= len(b) || !json.Valid(obj) || obj[firstNonSpace(obj)] != '{' || isSpace(b[e.Offset]) {
				t.Fatalf("Trailing at %d in %q, but the part before is not a whole object", e.Offset, b)
			}
		default:
			t.Fatalf("encoding/json rejects %q: got %v, want BadSyntax or Trailing", b, err)
		}
		return ms, e
	}
	if start := firstNonSpace(b); b[start] != '{' {
		if e == nil || e.Problem != flatjson.NotObject || e.Offset != start {
			t.Fatalf("%q is not an object: got %v, want NotObject at %d", b, err, start)
		}
		return ms, e
	}
	want, dupKey, dup := oracleMembers(t, b)
	if dup {
		if e == nil || e.Problem != flatjson.Duplicate || e.Key != dupKey {
			t.Fatalf("%q repeats %q: got %v, want Duplicate", b, dupKey, err)
		}
		return ms, e
	}
	if err != nil {
		t.Fatalf("encoding/json accepts %q, ParseObject: %v", b, err)
	}
	if len(ms) != len(want) {
		t.Fatalf("%q: got %d members %+v, want %d %+v", b, len(ms), ms, len(want), want)
	}
	for i := range want {
		if ms[i] != want[i] {
			t.Fatalf("%q: member %d is %+v, want %+v", b, i, ms[i], want[i])
		}
	}
	return ms, nil
}
