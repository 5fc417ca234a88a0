package flatjson_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// checkElements checks Elements(b) against encoding/json: the same verdict,
// and each element's text decoding to the oracle's element.
func checkElements(t *testing.T, b []byte) [][]byte {
	t.Helper()
	got, err := flatjson.Elements(b)
	var want []json.RawMessage
	oracleErr := json.Unmarshal(b, &want)
	// encoding/json tolerates invalid UTF-8 and a non-array into a slice is an
	// error there too; flatjson is stricter only about invalid UTF-8.
	if oracleErr != nil || !utf8.Valid(b) {
		if err == nil {
			t.Fatalf("Elements(%q) = %q, want an error (encoding/json: %v)", b, got, oracleErr)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("encoding/json accepts %q, Elements: %v", b, err)
	}
	if len(got) != len(want) {
		t.Fatalf("Elements(%q): %d elements, want %d", b, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("Elements(%q)[%d] = %q, want %q", b, i, got[i], want[i])
		}
	}
	return got
}

func TestElements(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		problem flatjson.Problem // 0: accepted
	}{
		{`[]`, 0, 0},
		{` [ ] `, 0, 0},
		{`[1]`, 1, 0},
		{`[{"a":[1,{"b":"]"}]}, "x", null, true, -1.5e3, []]`, 6, 0},
		{`[{"Code":"86970","CoName":"日本取引所グループ"}]`, 1, 0},
		{`{"a":1}`, 0, flatjson.NotArray},
		{`"s"`, 0, flatjson.NotArray},
		{`[1,]`, 0, flatjson.BadSyntax},
		{`[1 2]`, 0, flatjson.BadSyntax},
		{`[`, 0, flatjson.BadSyntax},
		{``, 0, flatjson.BadSyntax},
		{`[1]x`, 0, flatjson.Trailing},
		{`[1] [2]`, 0, flatjson.Trailing},
		{"[\"\xff\"]", 0, flatjson.BadUTF8},
	}
	for _, tc := range tests {
		got, err := flatjson.Elements([]byte(tc.in))
		if tc.problem == 0 {
			if err != nil || len(got) != tc.n {
				t.Errorf("Elements(%q) = %d elements, %v; want %d", tc.in, len(got), err, tc.n)
			}
			checkElements(t, []byte(tc.in))
			continue
		}
		e, ok := err.(*flatjson.Error)
		if !ok || e.Problem != tc.problem {
			t.Errorf("Elements(%q) error = %v, want problem %d", tc.in, err, tc.problem)
		}
	}
	if _, err := flatjson.Elements([]byte(`{"a":1}`)); err == nil || err.Error() != "flatjson: not a JSON array at byte 0" {
		t.Errorf("NotArray text: %v", err)
	}
}

// The spans ParseObject gives a nested member parse on their own.
func TestMemberSpanElements(t *testing.T) {
	b := []byte(`{"data":[{"Code":"86970"},{"Code":"1301"}],"pagination_key":"k2"}`)
	ms, err := flatjson.ParseObject(b)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := flatjson.Lookup(ms, "data")
	rows := checkElements(t, b[data.Start:data.End])
	if len(rows) != 2 {
		t.Fatalf("rows = %q", rows)
	}
	row, err := flatjson.ParseObject(rows[1])
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := flatjson.Lookup(row, "Code"); c.Str != "1301" {
		t.Fatalf("second row's Code = %+v", c)
	}
}

func FuzzElements(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a",{"b":[null]}]`, `[1,]`, `{}`, `[[[]]]`, "[\"\\ud800\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkElements(t, b) })
}
