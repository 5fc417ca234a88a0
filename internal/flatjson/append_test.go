package flatjson_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain ascii ~", `"plain ascii ~"`},
		{`"\`, `"\"\\"`},
		{"/", `"/"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"<a href='x'>&amp;</a>", `"\u003ca href='x'\u003e\u0026amp;\u003c/a\u003e"`},
		{"\u2028\u2029\u2027\u202a", `"\u2028\u2029` + "\u2027\u202a" + `"`},
		{"é€😀 日本", `"é€😀 日本"`},
		{"\ufffd", "\"\ufffd\""},
		{"a\xffb", `"a\ufffdb"`},
		{"\xc3", `"\ufffd"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"\xc0\x80", `"\ufffd\ufffd"`},
	}
	for _, tc := range tests {
		got := string(flatjson.AppendString(nil, tc.in))
		if got != tc.want {
			t.Errorf("AppendString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if j, _ := json.Marshal(tc.in); string(j) != got {
			t.Errorf("AppendString(%q) = %s, json.Marshal gives %s", tc.in, got, j)
		}
	}
	if got := string(flatjson.AppendString([]byte("x:"), "y")); got != `x:"y"` {
		t.Errorf("AppendString does not append: %s", got)
	}
}

func TestAppendObject(t *testing.T) {
	tests := []struct {
		kv   []string
		want string
	}{
		{nil, `{}`},
		{[]string{"message", "m", "code", "c"}, `{"message":"m","code":"c"}`},
		{[]string{"", ""}, `{"":""}`},
		{[]string{"<k>", "a\"b\n\xff"}, `{"\u003ck\u003e":"a\"b\n\ufffd"}`},
	}
	for _, tc := range tests {
		got := string(flatjson.AppendObject([]byte("->"), tc.kv...))
		if got != "->"+tc.want {
			t.Errorf("AppendObject(%q) = %s, want ->%s", tc.kv, got, tc.want)
		}
		if !json.Valid([]byte(tc.want)) {
			t.Errorf("%s is not valid JSON", tc.want)
		}
	}
}

func TestAppendObjectPanicsOnOddArguments(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic")
		}
	}()
	flatjson.AppendObject(nil, "key")
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abc", -1, ""},
		{"abc", 0, ""},
		{"abc", 2, "ab"},
		{"abc", 3, "abc"},
		{"abc", 99, "abc"},
		{"aé", 1, "a"},
		{"aé", 2, "a"}, // é is 2 bytes
		{"aé", 3, "aé"},
		{"a€b", 1, "a"},
		{"a€b", 2, "a"},
		{"a€b", 3, "a"},
		{"a€b", 4, "a€"},
		{"😀x", 1, ""},
		{"😀x", 3, ""},
		{"😀x", 4, "😀"},
		{"ab😀", 5, "ab"},
		{"\ufffd\ufffd", 4, "\ufffd"},
		// Invalid bytes: never backing up more than UTFMax-1 bytes.
		{"\x80\x80\x80\x80\x80", 3, "\x80\x80\x80"},
		{"\xff\xff\xff", 2, "\xff\xff"},
		{"a\xe2\x82", 2, "a"},
		{"ab\xe2\x82z", 3, "ab"},
		{"\xf0\x9f\x98\x80\x80\x80", 5, "\xf0\x9f\x98\x80\x80"},
	}
	for _, tc := range tests {
		if got := flatjson.Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestTruncateEveryCut checks, for valid UTF-8, every cut against the
// obvious rune-by-rune definition.
func TestTruncateEveryCut(t *testing.T) {
	for _, s := range []string{"", "ascii", "aé€😀b", "日本語のテキスト", strings.Repeat("😀é", 5), "\u2028x\U0010FFFF"} {
		for n := -1; n <= len(s)+1; n++ {
			want := ""
			for i, r := range s {
				if i+utf8.RuneLen(r) > n {
					break
				}
				want = s[:i+utf8.RuneLen(r)]
			}
			got := flatjson.Truncate(s, n)
			if got != want || !utf8.ValidString(got) {
				t.Errorf("Truncate(%q, %d) = %q, want %q", s, n, got, want)
			}
		}
	}
}
