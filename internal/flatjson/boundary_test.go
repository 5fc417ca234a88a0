package flatjson_test

import (
	"testing"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// The cases here sit exactly on a limit, where moving a comparison by one
// (< for <=, > for >=) or an operator changes the answer: make mutate showed
// them unpinned by the other tests.

// exact is s as bytes whose capacity is their length, so that reading past
// the end panics instead of finding spare capacity.
func exact(s string) []byte {
	b := []byte(s)
	return b[:len(b):len(b)]
}

func TestNamesPastTheLast(t *testing.T) {
	if got := flatjson.Array.String(); got != "array" {
		t.Errorf("Array.String() = %q", got)
	}
	if got := (flatjson.Array + 1).String(); got != "invalid" {
		t.Errorf("Kind(Array+1).String() = %q, want invalid", got)
	}
	if got := (&flatjson.Error{Problem: flatjson.NotArray}).Error(); got != "flatjson: not a JSON array at byte 0" {
		t.Errorf("NotArray: %q", got)
	}
	if got := (&flatjson.Error{Problem: flatjson.NotArray + 1}).Error(); got != "flatjson: refused at byte 0" {
		t.Errorf("Problem(NotArray+1): %q, want refused", got)
	}
}

// Input that ends inside a value: a literal, a \u escape, a surrogate pair.
// The offset is the end of the input, where more was needed.
func TestParseEndsInsideAValue(t *testing.T) {
	tests := []struct {
		in  string
		off int
	}{
		{`{"a":t`, 5},
		{`{"a":tru`, 5},
		{`{"a":fals`, 5},
		{`{"a":nul`, 5},
		{`{"a":true`, 9},
		{`{"a":"\u0041`, 12},
		{`{"a":"\u004`, 6},
		{`{"k":"\ud83d\ude00`, 18},
		{`{"k":"\ud83d\ude0`, 12},
		{`{"k":"\n`, 8},
	}
	for _, tc := range tests {
		_, err := flatjson.ParseObject(exact(tc.in))
		e, ok := err.(*flatjson.Error)
		if !ok || e.Problem != flatjson.BadSyntax || e.Offset != tc.off {
			t.Errorf("ParseObject(%q) = %v, want not valid JSON at byte %d", tc.in, err, tc.off)
		}
	}
	// The same escapes, complete, right before the closing quote.
	ms, err := flatjson.ParseObject(exact(`{"a":"\u0041","k":"\ud83d\ude00","t":true}`))
	if err != nil || len(ms) != 3 || ms[0].Str != "A" || ms[1].Str != "\U0001F600" || ms[2].Kind != flatjson.Bool {
		t.Errorf("got %+v, %v", ms, err)
	}
}

// In a string, bytes below 0x20 are refused and 0x20 itself is not.
func TestParseStringControlEdge(t *testing.T) {
	ms, err := flatjson.ParseObject(exact(`{" ":" ~"}`))
	if err != nil || len(ms) != 1 || ms[0].Key != " " || ms[0].Str != " ~" {
		t.Errorf("got %+v, %v", ms, err)
	}
	_, err = flatjson.ParseObject(exact("{\"a\":\"\x1f\"}"))
	if e, ok := err.(*flatjson.Error); !ok || e.Problem != flatjson.BadSyntax || e.Offset != 6 {
		t.Errorf("raw 0x1f: %v", err)
	}
}
