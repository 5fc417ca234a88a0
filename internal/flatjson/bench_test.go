package flatjson_test

import (
	"testing"

	"github.com/jquants-auth/jquants-auth/internal/flatjson"
)

// loginBody is the shape of a typical POST body: two short strings.
var loginBody = []byte(`{"mailaddress":"someone@example.com","password":"correct horse battery staple"}`)

func BenchmarkParseObject(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(loginBody)))
	for b.Loop() {
		ms, err := flatjson.ParseObject(loginBody)
		if err != nil || len(ms) != 2 {
			b.Fatal(ms, err)
		}
	}
}

func BenchmarkAppendString(b *testing.B) {
	const s = `Invalid "mailaddress" or <password>: check both & try again — 再試行`
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = flatjson.AppendString(buf[:0], s)
	}
}
