package proxy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestResolveTarget: what workerd's URL parser makes of each target (as
// measured through wrangler dev: the Worker's req.url), so that the native
// edge answers the same bytes the same way; and resolving twice changes
// nothing, so the Worker's already parsed URL goes through unchanged.
func TestResolveTarget(t *testing.T) {
	for _, c := range []struct{ target, path, query string }{
		{"/v1/token/auth_user", "/v1/token/auth_user", ""},
		{"/v1/token/../token/auth_user", "/v1/token/auth_user", ""},
		{"/v1/./token/auth_user", "/v1/token/auth_user", ""},
		{"/v1/token/%2e%2E/token/auth_user", "/v1/token/auth_user", ""},
		{"/v1/token/.%2e/token/%2E/auth_user", "/v1/token/auth_user", ""},
		{`/v1\token\auth_user`, "/v1/token/auth_user", ""},
		{"/../../v1/token/auth_user", "/v1/token/auth_user", ""},
		{"/v1/token/auth_user/..", "/v1/token/", ""},
		{"/v1/token/auth_user/.", "/v1/token/auth_user/", ""},
		{"/v1/token/auth_refresh?a#&refreshtoken=T", "/v1/token/auth_refresh", "a"},
		{"/v1/token/auth_user#x?y", "/v1/token/auth_user", ""},
		{"http://evil.example/v1/token/auth_user?q=1", "/v1/token/auth_user", "q=1"},
		{"http://evil.example", "/", ""},
		{"http:///v1/token/auth_user", "/token/auth_user", ""},
		{`http://\evil.example\v1/token/auth_user`, "/v1/token/auth_user", ""},
		{"http:///", "/", ""},
		{"http://evil.example/v1/token/../../etc/passwd", "/etc/passwd", ""},
		{"/v2/equities/master?code=86970&x=../y", "/v2/equities/master", "code=86970&x=../y"},
		{"/v1/token%2Fauth_user", "/v1/token%2Fauth_user", ""},
		{"/v1/token/auth%5Fuser", "/v1/token/auth%5Fuser", ""},
		{"//v1/token/auth_user", "//v1/token/auth_user", ""},
		{"/v1/token/...", "/v1/token/...", ""},
		{"/v1/token/%2e%2e%2e", "/v1/token/%2e%2e%2e", ""},
		{"*", "*", ""},
		{"/", "/", ""},
		{"", "", ""},
	} {
		path, query := resolveTarget(c.target)
		assert.Equal(t, c.path, path, "%q", c.target)
		assert.Equal(t, c.query, query, "%q", c.target)
		target := path
		if query != "" {
			target += "?" + query
		}
		again, againQuery := resolveTarget(target)
		assert.Equal(t, path, again, "%q resolved twice", c.target)
		assert.Equal(t, query, againQuery, "%q resolved twice", c.target)
	}
}

// TestClientKeyNeverEmpty: with limiting on, a request without
// CF-Connecting-IP or a peer address (a service binding's) still has a key.
func TestClientKeyNeverEmpty(t *testing.T) {
	for _, c := range []struct {
		header     Header
		remoteAddr string
		want       string
	}{
		{Header{{"cf-connecting-ip", " 203.0.113.9 "}}, "198.51.100.7:1234", "203.0.113.9"},
		{nil, "198.51.100.7:1234", "198.51.100.7"},
		{nil, "[2001:db8::1]:443", "2001:db8::1"},
		{Header{{"cf-connecting-ip", ""}}, "", SharedClientKey},
		{Header{{"cf-connecting-ip", "  "}}, "", SharedClientKey},
		{nil, "", SharedClientKey},
		{nil, ":1234", SharedClientKey},
	} {
		r := &Request{Header: c.header, RemoteAddr: c.remoteAddr}
		assert.Equal(t, c.want, r.clientKey(), "%v %q", c.header, c.remoteAddr)
	}
}

// TestKnownDetail: only the categories reach the log.
func TestKnownDetail(t *testing.T) {
	assert.Equal(t, "", knownDetail(""))
	assert.Equal(t, DetailLost, knownDetail(DetailLost))
	assert.Equal(t, DetailLimiter+DetailSep+DetailTimeout, knownDetail(DetailLimiter+DetailSep+DetailTimeout))
	assert.Equal(t, DetailOther, knownDetail(`malformed HTTP status code "/v1/token/auth_refresh?refreshtoken=secret"`))
	assert.Equal(t, DetailLimiter+DetailSep+DetailOther, knownDetail(DetailLimiter+DetailSep+"Network connection lost."))
}

// FuzzResolveTarget: resolving is idempotent (the Worker's already parsed
// URL goes through unchanged), and a path resolves to a path.
func FuzzResolveTarget(f *testing.F) {
	for _, s := range []string{"/v1/token/auth_user", "/v1/./x/../token/auth_user?q#f", `/v1\token\auth_user`, "http://h/v1/%2e%2E/x", "http:///v1/x", `http://\h\x`, "*", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		path, query := resolveTarget(target)
		again := path
		if query != "" {
			again += "?" + query
		}
		if p, q := resolveTarget(again); p != path || q != query {
			t.Fatalf("%q → %q ? %q → %q ? %q", target, path, query, p, q)
		}
		if strings.HasPrefix(target, "/") && !strings.HasPrefix(path, "/") {
			t.Fatalf("%q → %q: not a path", target, path)
		}
	})
}
