package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// FuzzAPIKey: a key is taken exactly when it is, once trimmed, 1 to 256
// bytes of visible ASCII; no rendering shows it; an error never quotes it.
func FuzzAPIKey(f *testing.F) {
	for _, s := range []string{secretKey, " k ", "", "a b", "\x7f", strings.Repeat("k", 257), "キー"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := auth.NewAPIKey(s)
		trimmed := strings.TrimSpace(s)
		visible := trimmed != "" && len(trimmed) <= auth.MaxAPIKeyBytes
		for i := 0; i < len(trimmed); i++ {
			visible = visible && '!' <= trimmed[i] && trimmed[i] <= '~'
		}
		if !visible {
			require.Error(t, err, "%q", s)
			if len(trimmed) >= 4 {
				require.NotContains(t, err.Error(), trimmed)
			}
			return
		}
		require.NoError(t, err, "%q", s)
		require.Equal(t, trimmed, k.Value())
		if len(trimmed) >= 4 && !strings.Contains("[REDACTED]auth.APIKey{}", trimmed) {
			for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%+v %#v %q %x %s", k, k, k, k, k)} {
				require.NotContains(t, out, trimmed)
			}
			b, _ := json.Marshal(struct{ K auth.APIKey }{k})
			require.NotContains(t, string(b), trimmed)
		}
	})
}

// FuzzCheckQuery: whatever CheckQuery takes, url.ParseQuery takes too and
// reads as the same pairs, with no control character, within the limit.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"code=86970", "a=1&b=%E6%97%A5", "x=%0A", "x", "a=b=c", "q=a+b", "=1", "a=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if auth.CheckQuery(q) != nil {
			return
		}
		require.LessOrEqual(t, len(q), auth.MaxQueryBytes)
		if q == "" {
			return
		}
		vals, err := url.ParseQuery(q)
		require.NoError(t, err, "CheckQuery took %q", q)
		pairs := strings.Split(q, "&")
		n := 0
		for name, vs := range vals {
			require.NotEmpty(t, name)
			for _, v := range vs {
				n++
				require.True(t, utf8.ValidString(v), "%q", q)
				for _, r := range v {
					require.False(t, r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0), "%q holds a control character", q)
				}
			}
		}
		require.Equal(t, len(pairs), n, "%q", q)
		require.False(t, strings.ContainsAny(q, "# \t\r\n"), "%q", q)
	})
}

// FuzzReadPage: the pagination_key ReadPage finds is exactly encoding/json's
// top-level "pagination_key" member, whatever sits inside "data".
func FuzzReadPage(f *testing.F) {
	for _, s := range []string{
		`{"data":[],"pagination_key":"k"}`,
		`{"data":[{"pagination_key":"inner"}]}`,
		`{"pagination_key":"a\"b","data":[{"x":{"pagination_key":"deep"}}]}`,
		`{"data":{}}`, `[]`, `{"data":[],"pagination_key":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pa := auth.ReadPage(auth.Answer{StatusCode: 200, Body: b})
		var top map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&top); err != nil || dec.More() || !utf8.Valid(b) || top == nil {
			require.True(t, pa.Malformed || !json.Valid(b), "%q", b)
			return
		}
		data, hasData := top["data"]
		if !hasData || len(data) == 0 || data[0] != '[' {
			require.True(t, pa.Malformed, "%q", b)
			return
		}
		raw, hasKey := top["pagination_key"]
		var key string
		if hasKey && json.Unmarshal(raw, &key) != nil {
			require.True(t, pa.Malformed, "%q", b)
			return
		}
		if pa.Malformed {
			// Only flatjson's stricter rules (a repeated key) may refuse more.
			return
		}
		require.Equal(t, key, pa.PaginationKey, "%q", b)
	})
}
