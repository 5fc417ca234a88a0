package flatjson_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

func str(k, v string) flatjson.Member { return flatjson.Member{Key: k, Kind: flatjson.String, Str: v} }
func kind(k string, kd flatjson.Kind) flatjson.Member {
	return flatjson.Member{Key: k, Kind: kd}
}

// nest is `{"a":` + depth-1 '[' + matching ']' + `}`: depth containers in all.
func nest(depth int) string {
	return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

// mixed is depth containers: a top-level object, then alternately '[' and
// {"k": in its member a, each closed in turn; the one at depth wrongAt (if
// any) with the other closer.
func mixed(depth int, wrongAt int) string {
	var open, closers []string
	for d := 1; d < depth; d++ {
		if d%2 == 1 {
			open, closers = append(open, "["), append(closers, "]")
		} else {
			open, closers = append(open, `{"k":`), append(closers, "}")
		}
	}
	var b strings.Builder
	b.WriteString(`{"a":` + strings.Join(open, "") + "0")
	for i := len(closers) - 1; i >= 0; i-- {
		c := closers[i]
		if i+2 == wrongAt { // the container at depth wrongAt gets the other closer
			c = map[string]string{"]": "}", "}": "]"}[c]
		}
		b.WriteString(c)
	}
	b.WriteString("}")
	return b.String()
}

// manyKeys is an object with n distinct keys k0, k1, … and then extra.
func manyKeys(n int, extra string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		b.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i) + ",")
	}
	return b.String() + extra + "}"
}

func TestParseObject(t *testing.T) {
	const ok flatjson.Problem = 0
	tests := []struct {
		name    string
		in      string
		problem flatjson.Problem
		off     int    // checked when problem != ok
		key     string // checked for Duplicate
		want    []flatjson.Member
	}{
		// Valid objects.
		{name: "empty object", in: `{}`, want: []flatjson.Member{}},
		{name: "white space around and inside", in: " \t\r\n{ \t\r\n} \t\r\n", want: []flatjson.Member{}},
		{name: "login body", in: `{"mailaddress":"a@example.com","password":"p"}`,
			want: []flatjson.Member{str("mailaddress", "a@example.com"), str("password", "p")}},
		{name: "every kind", in: `{"s":"x","n":-1.5e+10,"t":true,"f":false,"z":null,"o":{"a":[1,{"b":[]}]},"a":[],"e":{}}`,
			want: []flatjson.Member{str("s", "x"), kind("n", flatjson.Number), kind("t", flatjson.Bool), kind("f", flatjson.Bool),
				kind("z", flatjson.Null), kind("o", flatjson.Object), kind("a", flatjson.Array), kind("e", flatjson.Object)}},
		{name: "white space everywhere", in: "{ \"a\" :\n[ 1 , { \"b\" : null } ] ,\t\"c\"\r:\"d\" }",
			want: []flatjson.Member{kind("a", flatjson.Array), str("c", "d")}},
		{name: "numbers", in: `{"a":0,"b":-0,"c":1E5,"d":0.0e-0,"e":123.456e+78,"f":-9}`,
			want: []flatjson.Member{kind("a", 3), kind("b", 3), kind("c", 3), kind("d", 3), kind("e", 3), kind("f", 3)}},
		{name: "nested strings with escapes are skipped", in: `{"o":{"\"":["\u00e9\\",  "\ud800"]}}`,
			want: []flatjson.Member{kind("o", flatjson.Object)}},
		{name: "nested duplicates are fine", in: `{"o":{"a":1,"a":2}}`, want: []flatjson.Member{kind("o", flatjson.Object)}},
		{name: "empty key and value", in: `{"":""}`, want: []flatjson.Member{str("", "")}},
		{name: "all escapes", in: `{"k":"\"\\\/\b\f\n\r\t\u00e9\u20AC\u0000"}`,
			want: []flatjson.Member{str("k", "\"\\/\b\f\n\r\t\u00e9\u20ac\x00")}},
		{name: "escaped key", in: `{"\u0061\tb":1}`, want: []flatjson.Member{kind("a\tb", flatjson.Number)}},
		{name: "raw UTF-8 and DEL", in: "{\"名前\":\"値\x7f\U0001F600\"}", want: []flatjson.Member{str("名前", "値\x7f\U0001F600")}},
		{name: "surrogate pair", in: `{"k":"\ud83d\ude00"}`, want: []flatjson.Member{str("k", "\U0001F600")}},
		{name: "lone high surrogate", in: `{"k":"\ud800"}`, want: []flatjson.Member{str("k", "\uFFFD")}},
		{name: "high surrogate then letter", in: `{"k":"\ud800\u0041"}`, want: []flatjson.Member{str("k", "\uFFFDA")}},
		{name: "high surrogate then raw", in: `{"k":"\ud800x"}`, want: []flatjson.Member{str("k", "\uFFFDx")}},
		{name: "high surrogate then other escape", in: `{"k":"\ud800\n"}`, want: []flatjson.Member{str("k", "\uFFFD\n")}},
		{name: "lone low surrogate", in: `{"k":"\udc00x"}`, want: []flatjson.Member{str("k", "\uFFFDx")}},
		{name: "two highs then low", in: `{"k":"\ud800\ud800\udc00"}`, want: []flatjson.Member{str("k", "\uFFFD\U00010000")}},
		{name: "low then high", in: `{"k":"\udc00\ud800"}`, want: []flatjson.Member{str("k", "\uFFFD\uFFFD")}},
		{name: "escaped replacement char", in: `{"k":"\ufffd\uFFFF"}`, want: []flatjson.Member{str("k", "\uFFFD\uFFFF")}},
		{name: "depth 10000 is allowed", in: nest(10000), want: []flatjson.Member{kind("a", flatjson.Array)}},
		{name: "arrays and objects 200 deep", in: mixed(200, 0), want: []flatjson.Member{kind("a", flatjson.Array)}},
		{name: "an object where an array was", in: `{"a":[[1]],"b":[{"c":{"d":1}}]}`, want: []flatjson.Member{kind("a", flatjson.Array), kind("b", flatjson.Array)}},
		{name: "many keys", in: manyKeys(40, `"x":"y"`)},

		// Invalid UTF-8: wins over every other problem.
		{name: "bad UTF-8 in value", in: "{\"a\":\"\xff\"}", problem: flatjson.BadUTF8, off: 6},
		{name: "bad UTF-8 in key", in: "{\"\xc3\":1}", problem: flatjson.BadUTF8, off: 2},
		{name: "bad UTF-8 after object", in: "{\"a\":1}\xff", problem: flatjson.BadUTF8, off: 7},
		{name: "bad UTF-8 first", in: "\xff{}", problem: flatjson.BadUTF8, off: 0},
		{name: "bad UTF-8 after syntax error", in: "x\xff", problem: flatjson.BadUTF8, off: 1},
		{name: "overlong NUL", in: "{\"a\":\"\xc0\x80\"}", problem: flatjson.BadUTF8, off: 6},
		{name: "UTF-8 encoded surrogate", in: "{\"a\":\"\xed\xa0\x80\"}", problem: flatjson.BadUTF8, off: 6},
		{name: "truncated sequence", in: "{\"a\":\"\xe2\x82\"}", problem: flatjson.BadUTF8, off: 6},
		{name: "bad UTF-8 in nested string", in: "{\"a\":[\"x\",\"\xfe\"]}", problem: flatjson.BadUTF8, off: 11},

		// Syntax.
		{name: "empty input", in: ``, problem: flatjson.BadSyntax, off: 0},
		{name: "only white space", in: "  \n", problem: flatjson.BadSyntax, off: 3},
		{name: "unterminated object", in: `{`, problem: flatjson.BadSyntax, off: 1},
		{name: "key without colon", in: `{"a"`, problem: flatjson.BadSyntax, off: 4},
		{name: "missing value", in: `{"a":`, problem: flatjson.BadSyntax, off: 5},
		{name: "missing value before brace", in: `{"a":}`, problem: flatjson.BadSyntax, off: 5},
		{name: "missing close", in: `{"a":1`, problem: flatjson.BadSyntax, off: 6},
		{name: "trailing comma", in: `{"a":1,}`, problem: flatjson.BadSyntax, off: 7},
		{name: "leading comma", in: `{,"a":1}`, problem: flatjson.BadSyntax, off: 1},
		{name: "missing colon", in: `{"a" 1}`, problem: flatjson.BadSyntax, off: 5},
		{name: "missing comma", in: `{"a":1 "b":2}`, problem: flatjson.BadSyntax, off: 7},
		{name: "bare key", in: `{a:1}`, problem: flatjson.BadSyntax, off: 1},
		{name: "single quotes", in: `{'a':1}`, problem: flatjson.BadSyntax, off: 1},
		{name: "unterminated string", in: `{"a":"x}`, problem: flatjson.BadSyntax, off: 8},
		{name: "unterminated key", in: `{"a`, problem: flatjson.BadSyntax, off: 3},
		{name: "backslash at end", in: `{"a":"\`, problem: flatjson.BadSyntax, off: 6},
		{name: "unknown escape", in: `{"a":"\x"}`, problem: flatjson.BadSyntax, off: 6},
		{name: "escaped single quote", in: `{"a":"\'"}`, problem: flatjson.BadSyntax, off: 6},
		{name: "short \\u", in: `{"a":"\u12"}`, problem: flatjson.BadSyntax, off: 6},
		{name: "bad hex", in: `{"a":"\u12G4"}`, problem: flatjson.BadSyntax, off: 6},
		{name: "bad escape in key", in: `{"\q":1}`, problem: flatjson.BadSyntax, off: 2},
		{name: "raw newline in string", in: "{\"a\":\"x\ny\"}", problem: flatjson.BadSyntax, off: 7},
		{name: "raw NUL in string", in: "{\"a\":\"\x00\"}", problem: flatjson.BadSyntax, off: 6},
		{name: "raw tab in key", in: "{\"\t\":1}", problem: flatjson.BadSyntax, off: 2},
		{name: "raw control in nested string", in: "{\"a\":[\"\x1f\"]}", problem: flatjson.BadSyntax, off: 7},
		{name: "number 01", in: `{"a":01}`, problem: flatjson.BadSyntax, off: 6},
		{name: "number -01", in: `{"a":-01}`, problem: flatjson.BadSyntax, off: 7},
		{name: "number 1.", in: `{"a":1.}`, problem: flatjson.BadSyntax, off: 7},
		{name: "number .5", in: `{"a":.5}`, problem: flatjson.BadSyntax, off: 5},
		{name: "number -", in: `{"a":-}`, problem: flatjson.BadSyntax, off: 6},
		{name: "number 1e", in: `{"a":1e}`, problem: flatjson.BadSyntax, off: 7},
		{name: "number 1e+", in: `{"a":1e+}`, problem: flatjson.BadSyntax, off: 8},
		{name: "number 1.e5", in: `{"a":1.e5}`, problem: flatjson.BadSyntax, off: 7},
		{name: "number +1", in: `{"a":+1}`, problem: flatjson.BadSyntax, off: 5},
		{name: "number 0x1", in: `{"a":0x1}`, problem: flatjson.BadSyntax, off: 6},
		{name: "NaN", in: `{"a":NaN}`, problem: flatjson.BadSyntax, off: 5},
		{name: "nested bad number", in: `{"a":[1,-]}`, problem: flatjson.BadSyntax, off: 9},
		{name: "literal tru", in: `{"a":tru}`, problem: flatjson.BadSyntax, off: 5},
		{name: "literal nul", in: `{"a":nul}`, problem: flatjson.BadSyntax, off: 5},
		{name: "literal fals", in: `{"a":[fals]}`, problem: flatjson.BadSyntax, off: 6},
		{name: "literal True", in: `{"a":True}`, problem: flatjson.BadSyntax, off: 5},
		{name: "literal nulll", in: `{"a":nulll}`, problem: flatjson.BadSyntax, off: 9},
		{name: "nested trailing comma", in: `{"a":[1,]}`, problem: flatjson.BadSyntax, off: 8},
		{name: "nested object trailing comma", in: `{"a":{"b":1,}}`, problem: flatjson.BadSyntax, off: 12},
		{name: "nested missing colon", in: `{"a":{"b"}}`, problem: flatjson.BadSyntax, off: 9},
		{name: "nested bad key", in: `{"a":{1:2}}`, problem: flatjson.BadSyntax, off: 6},
		{name: "mismatched brackets", in: `{"a":[}`, problem: flatjson.BadSyntax, off: 6},
		{name: "mismatched brackets 2", in: `{"a":{]}`, problem: flatjson.BadSyntax, off: 6},
		{name: "unterminated nested", in: `{"a":[[1]`, problem: flatjson.BadSyntax, off: 9},
		{name: "unterminated nested after comma", in: `{"a":[1,`, problem: flatjson.BadSyntax, off: 8},
		{name: "depth 10001", in: nest(10001), problem: flatjson.BadSyntax, off: 5 + 9999},
		// The first 64 containers are kept one way, those past them another.
		{name: "wrong closer at depth 3", in: mixed(200, 3), problem: flatjson.BadSyntax, off: len(mixed(200, 0)) - 3},
		{name: "wrong closer at depth 64", in: mixed(200, 64), problem: flatjson.BadSyntax, off: len(mixed(200, 0)) - 64},
		{name: "wrong closer at depth 65", in: mixed(200, 65), problem: flatjson.BadSyntax, off: len(mixed(200, 0)) - 65},
		{name: "wrong closer at depth 66", in: mixed(200, 66), problem: flatjson.BadSyntax, off: len(mixed(200, 0)) - 66},
		{name: "wrong closer at depth 199", in: mixed(200, 199), problem: flatjson.BadSyntax, off: len(mixed(200, 0)) - 199},
		{name: "100000 [ in a member", in: `{"a":` + strings.Repeat("[", 100000), problem: flatjson.BadSyntax, off: 5 + 9999},
		{name: "100000 nested objects", in: strings.Repeat(`{"a":`, 100000), problem: flatjson.BadSyntax, off: 5 * 10000},
		{name: "100000 [", in: strings.Repeat("[", 100000), problem: flatjson.BadSyntax, off: 10000},
		{name: "BadSyntax wins over Duplicate", in: `{"a":1,"a":2,`, problem: flatjson.BadSyntax, off: 13},

		// Trailing data.
		{name: "two objects", in: `{} {}`, problem: flatjson.Trailing, off: 3},
		{name: "letter after", in: `{"a":1}x`, problem: flatjson.Trailing, off: 7},
		{name: "extra brace", in: `{}}`, problem: flatjson.Trailing, off: 2},
		{name: "comma after", in: "{}\n,", problem: flatjson.Trailing, off: 3},
		{name: "NUL after", in: "{}\x00", problem: flatjson.Trailing, off: 2},
		{name: "Trailing wins over Duplicate", in: `{"a":1,"a":2} x`, problem: flatjson.Trailing, off: 14},

		// Duplicates.
		{name: "duplicate", in: `{"a":1,"a":2}`, problem: flatjson.Duplicate, off: 7, key: "a"},
		{name: "duplicate via escape", in: `{"a":1,"\u0061":2}`, problem: flatjson.Duplicate, off: 7, key: "a"},
		{name: "duplicate empty key", in: `{"":1, "":2}`, problem: flatjson.Duplicate, off: 7, key: ""},
		{name: "first duplicate reported", in: `{"b":1,"a":1,"a":2,"b":2}`, problem: flatjson.Duplicate, off: 13, key: "a"},
		{name: "duplicate among many", in: manyKeys(40, `"k33":0`), problem: flatjson.Duplicate, off: len(manyKeys(40, "")) - 1, key: "k33"},
		{name: "duplicate at 16th key", in: manyKeys(16, `"k15":0`), problem: flatjson.Duplicate, off: len(manyKeys(16, "")) - 1, key: "k15"},

		// Not objects.
		{name: "null", in: `null`, problem: flatjson.NotObject, off: 0},
		{name: "array", in: ` [1,{"a":[]}] `, problem: flatjson.NotObject, off: 1},
		{name: "empty array", in: `[]`, problem: flatjson.NotObject, off: 0},
		{name: "string", in: `"x"`, problem: flatjson.NotObject, off: 0},
		{name: "number", in: "\n-1.5", problem: flatjson.NotObject, off: 1},
		{name: "true", in: `true`, problem: flatjson.NotObject, off: 0},
		{name: "false", in: `false`, problem: flatjson.NotObject, off: 0},
		{name: "bad non-object", in: `nul`, problem: flatjson.BadSyntax, off: 0},
		{name: "unterminated array", in: `[`, problem: flatjson.BadSyntax, off: 1},
		{name: "array then junk", in: `[] x`, problem: flatjson.BadSyntax, off: 3},
		{name: "lone bracket", in: `]`, problem: flatjson.BadSyntax, off: 0},
		{name: "byte order mark", in: "\ufeff{}", problem: flatjson.BadSyntax, off: 0},
		{name: "number 01 top level", in: `01`, problem: flatjson.BadSyntax, off: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, e := checkOracle(t, []byte(tc.in))
			if tc.problem == ok {
				if e != nil {
					t.Fatalf("got %v, want success", e)
				}
				if tc.want != nil && !equalMembers(ms, tc.want) {
					t.Fatalf("got %+v, want %+v", ms, tc.want)
				}
				return
			}
			if e == nil {
				t.Fatalf("got %+v, want %v", ms, tc.problem)
			}
			if e.Problem != tc.problem || e.Offset != tc.off || e.Key != tc.key {
				t.Fatalf("got %+v, want {Problem:%v Offset:%d Key:%q}", *e, tc.problem, tc.off, tc.key)
			}
		})
	}
}

func equalMembers(a, b []flatjson.Member) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		// The table states no spans; checkOracle checks them against encoding/json.
		x, y := a[i], b[i]
		x.Start, x.End, y.Start, y.End = 0, 0, 0, 0
		if x != y {
			return false
		}
	}
	return true
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    flatjson.Error
		want string
	}{
		{flatjson.Error{Problem: flatjson.BadUTF8, Offset: 3}, "flatjson: invalid UTF-8 at byte 3"},
		{flatjson.Error{Problem: flatjson.BadSyntax, Offset: 7}, "flatjson: not valid JSON at byte 7"},
		{flatjson.Error{Problem: flatjson.Trailing, Offset: 2}, "flatjson: data after the value at byte 2"},
		{flatjson.Error{Problem: flatjson.Duplicate, Offset: 9, Key: "secret"}, "flatjson: duplicate key at byte 9"},
		{flatjson.Error{Problem: flatjson.NotObject}, "flatjson: not a JSON object at byte 0"},
		{flatjson.Error{Problem: 0, Offset: 1}, "flatjson: refused at byte 1"},
		{flatjson.Error{Problem: 200, Offset: 1}, "flatjson: refused at byte 1"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.e, got, tc.want)
		}
	}
	// The input never shows up in the message, not even a repeated key.
	_, err := flatjson.ParseObject([]byte(`{"hunter2":1,"hunter2":2}`))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v", err)
	}
}

func TestKindString(t *testing.T) {
	want := map[flatjson.Kind]string{
		0: "invalid", flatjson.Null: "null", flatjson.Bool: "boolean", flatjson.Number: "number",
		flatjson.String: "string", flatjson.Object: "object", flatjson.Array: "array", 99: "invalid",
	}
	for k, w := range want {
		if got := k.String(); got != w {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, w)
		}
	}
}

func TestLookup(t *testing.T) {
	ms, err := flatjson.ParseObject([]byte(`{"message":"m","code":"c","n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := flatjson.Lookup(ms, "code"); !ok || m.Key != "code" || m.Str != "c" || m.Start != 22 || m.End != 25 {
		t.Errorf("Lookup code = %+v, %v", m, ok)
	}
	if m, ok := flatjson.Lookup(ms, "n"); !ok || m.Kind != flatjson.Number || m.Str != "" {
		t.Errorf("Lookup n = %+v, %v", m, ok)
	}
	if m, ok := flatjson.Lookup(ms, "missing"); ok || m != (flatjson.Member{}) {
		t.Errorf("Lookup missing = %+v, %v", m, ok)
	}
	if _, ok := flatjson.Lookup(nil, ""); ok {
		t.Error("Lookup in nil found something")
	}
}

// ParseObjectInto's strings are views of the input where it has no escape,
// and a short object costs no allocation beyond dst's room.
func TestParseObjectIntoViews(t *testing.T) {
	b := []byte(`{"plain":"abc","escaped":"a\"c"}`)
	var room [4]flatjson.Member
	ms, err := flatjson.ParseObjectInto(room[:0], b)
	if err != nil || len(ms) != 2 || ms[0].Str != "abc" || ms[1].Str != `a"c` {
		t.Fatalf("got %+v, %v", ms, err)
	}
	if &ms[0] != &room[0] {
		t.Error("the members are not in dst")
	}
	copy(b, `{"PLAIN":"xyz","ESCAPED":"x\"z"}`)
	if ms[0].Key != "PLAIN" || ms[0].Str != "xyz" {
		t.Errorf("plain key and value %q %q: want views of the input", ms[0].Key, ms[0].Str)
	}
	if ms[1].Str != `a"c` {
		t.Errorf("escaped value %q: want its own bytes", ms[1].Str)
	}

	login := []byte(`{"mailaddress":"someone@example.com","password":"correct horse battery staple"}`)
	if n := testing.AllocsPerRun(100, func() {
		if ms, err := flatjson.ParseObjectInto(room[:0], login); err != nil || len(ms) != 2 {
			t.Fatal(ms, err)
		}
	}); n != 0 {
		t.Errorf("%v allocations for a login body, want 0", n)
	}
}
