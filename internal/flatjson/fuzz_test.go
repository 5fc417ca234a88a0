package flatjson_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// FuzzParseObject compares ParseObject with encoding/json (see checkOracle).
// More seeds live in testdata/fuzz/FuzzParseObject.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		``, `{}`, ` {"a":"b"} `, `{"mailaddress":"a@example.com","password":"p"}`,
		`{"s":"x","n":-1.5e+10,"t":true,"f":false,"z":null,"o":{"a":[1,{"b":[]}]},"a":[]}`,
		`{"k":"\ud83d\ude00\ud800\u0041\udc00"}`, `{"a":1,"\u0061":2}`, `{} {}`, `{"a":01}`,
		`[1,2]`, `"x"`, `null`, "{\"a\":\"\xff\"}", "{\"a\":\"\n\"}", `{"a":{"b":[tru]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkOracle(t, b)
	})
}

// FuzzAppendString checks AppendString against json.Marshal, and that what
// AppendObject writes reads back as encoding/json reads it.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>\u2028\u2029", "\x00\x1f\x7f\"\\/", "a\xffb\xe2\x82", "é😀\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := flatjson.AppendString(nil, s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal gives %s", s, got, want)
		}

		// s is written both as a value and as a key.
		obj := flatjson.AppendObject(nil, "k", s, s, "v")
		var oracle map[string]string
		if err := json.Unmarshal(obj, &oracle); err != nil {
			t.Fatalf("json.Unmarshal(%s): %v", obj, err)
		}
		ms, err := flatjson.ParseObject(obj)
		if s == "k" {
			if err == nil {
				t.Fatalf("ParseObject(%s) accepted a duplicate", obj)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseObject(%s): %v", obj, err)
		}
		if len(ms) != 2 || ms[0].Key != "k" || ms[0].Kind != flatjson.String || ms[0].Str != oracle["k"] ||
			oracle[ms[1].Key] != "v" || ms[1].Kind != flatjson.String || ms[1].Str != "v" {
			t.Fatalf("ParseObject(%s) = %+v, encoding/json gives %q", obj, ms, oracle)
		}
		if utf8.ValidString(s) && (ms[0].Str != s || ms[1].Key != s) {
			t.Fatalf("%q did not round-trip: %+v", s, ms)
		}
	})
}
