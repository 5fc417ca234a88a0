//go:build !js

package webassets

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRuleMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/*", "/", true},
		{"/*", "/app.mjs", true},
		{"/", "/", true},
		{"/", "/app.mjs", false},
		{"/app.mjs", "/app.mjs", true},
		{"/app.mjs", "/app.mjs.br", false},
		{"/dir/*", "/dir/", true},
		{"/dir/*", "/dir", false},
		{"/jquants-auth.*.wasm", "/jquants-auth.0123abcd.wasm", true},
		{"/jquants-auth.*.wasm", "/jquants-auth..wasm", true},
		{"/jquants-auth.*.wasm", "/jquants-auth.wasm", false}, // prefix and suffix would overlap
		{"/jquants-auth.*.wasm", "/jquants-auth.0123abcd.wasm.br", false},
		{"/jquants-auth.*.wasm", "/x/jquants-auth.0123abcd.wasm", false},
		{"/*.wasm", "/a/b.wasm", true}, // a splat crosses "/", as Cloudflare's does
	} {
		assert.Equal(t, tc.want, Rule{Pattern: tc.pattern}.Matches(tc.path), "%s on %s", tc.pattern, tc.path)
	}
}

// TestReadHeadersApply: rules apply in file order; "! Name" removes what an
// earlier rule set, so the later value replaces it instead of joining it.
func TestReadHeadersApply(t *testing.T) {
	name := filepath.Join(t.TempDir(), "_headers")
	require.NoError(t, os.WriteFile(name, []byte(`# comment
/*
  Cache-Control: no-cache
  X-Every: 1

/app.*.wasm
  ! cache-control
  Cache-Control: max-age=60
  X-Every: 2

/app.mjs
  Cache-Control: private
`), 0o600))
	rules, err := ReadHeaders(name)
	require.NoError(t, err)
	require.Len(t, rules, 3)
	assert.Equal(t, []string{"Cache-Control"}, rules[1].Unset)

	for _, tc := range []struct {
		path         string
		cache, every []string
	}{
		{"/", []string{"no-cache"}, []string{"1"}},
		{"/app.0a1b.wasm", []string{"max-age=60"}, []string{"1", "2"}},
		{"/app.mjs", []string{"no-cache", "private"}, []string{"1"}},
	} {
		h := http.Header{"Cache-Control": {"public, max-age=0, must-revalidate"}}
		Apply(rules, tc.path, h)
		assert.Equal(t, tc.cache, h.Values("Cache-Control"), tc.path)
		assert.Equal(t, tc.every, h.Values("X-Every"), tc.path)
	}

	for _, bad := range []string{"  Orphan: header\n", "/*\n  no colon\n", "/*/*.js\n  X: 1\n", "  ! Orphan\n"} {
		require.NoError(t, os.WriteFile(name, []byte(bad), 0o600))
		_, err := ReadHeaders(name)
		assert.ErrorContains(t, err, name+":", "%q", bad)
	}
}
