package proxy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases here sit exactly on a limit, where moving a comparison by one
// (< for <=, > for >=) or an operator changes the answer: make mutate showed
// them unpinned by the other tests.

// A host name is letters, digits, '.', '-' and '_': each end of each range
// is in, the byte just past it is out.
func TestHostCharacterEdges(t *testing.T) {
	for _, c := range "azAZ09.-_" {
		host := "h" + string(c) + "h"
		assert.True(t, validHost(host), "%q", host)
		core, err := NewCore(Config{BaseURL: "https://" + host, AllowedOrigins: []string{"https://" + host}})
		require.NoError(t, err, "%q", host)
		assert.Equal(t, "https://"+host+"/v1/token/auth_user", core.URL())
	}
	for _, c := range "`{@[/:!~\x7f" {
		host := "h" + string(c) + "h"
		assert.False(t, validHost(host), "%q", host)
	}
	assert.True(t, validHost("API.Example"), "upper case")
	assert.True(t, validHost("0"), "a digit alone")
}

func TestBaseURLWithAnEmptyHost(t *testing.T) {
	for _, u := range []string{"https://", "https:///", "https:///x", "https://?x", "https://#x"} {
		_, err := NewCore(Config{BaseURL: u})
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "has no host", u)
	}
}

// Default ports are dropped per scheme: :80 for http, :443 for https only.
func TestOriginDefaultPorts(t *testing.T) {
	tests := map[string]string{
		"http://a.example:80":    "http://a.example",
		"https://a.example:443":  "https://a.example",
		"https://a.example:80":   "https://a.example:80",
		"http://a.example:443":   "http://a.example:443",
		"http://a.example:8080":  "http://a.example:8080",
		"https://a.example:4430": "https://a.example:4430",
	}
	for in, want := range tests {
		got, err := normalizeOrigin(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

// A method of up to 16 capital letters is logged as it is; a longer one is
// quoted.
func TestLogLineMethodLength(t *testing.T) {
	log := func(method string) string {
		a := answerTo(new(Answer), &Request{Method: method, Target: "/"})
		a.done(204)
		return string(a.out.Log)
	}
	sixteen := strings.Repeat("M", 16)
	assert.Contains(t, log(sixteen), "method="+sixteen+" ")
	assert.Contains(t, log(sixteen+"M"), `method="`+sixteen+`M" `)
	assert.Contains(t, log("A"), "method=A ")
	assert.Contains(t, log("Z"), "method=Z ")
	assert.Contains(t, log("@"), `method="@" `, "the byte before A")
	assert.Contains(t, log("GE["), `method="GE[" `, "the byte after Z")
	assert.Contains(t, log("get"), `method="get" `)
	assert.Contains(t, log(""), `method="" `)
}

// tokenEnd: RFC 9110 token characters are the visible ASCII but the
// delimiters; space (0x20) and DEL (0x7f) end a token, '!' (0x21) and '~'
// (0x7e) do not, and the first delimiter '"' ends it like the last '}'.
func TestTokenEdges(t *testing.T) {
	tests := map[string]int{
		"":                      0,
		"a":                     1,
		"a b":                   1,
		"a\x1f":                 1,
		"a\x7f":                 1,
		"a\x80":                 1,
		"a!~":                   3,
		`a"`:                    1,
		"a}":                    1,
		"a/b":                   1,
		"a=b":                   1,
		"a;b":                   1,
		"!#$%&'*+-.^_`|~09AZaz": len("!#$%&'*+-.^_`|~09AZaz"),
	}
	for in, want := range tests {
		assert.Equal(t, want, tokenEnd(in), "%q", in)
	}
}

func TestParseMediaType(t *testing.T) {
	tests := []struct {
		in, mediaType, charset string
		ok                     bool
	}{
		{"application/json", "application/json", "", true},
		{" Text/Plain ; charset=UTF-8", "text/plain", "UTF-8", true},
		{"application/json;", "application/json", "", true},
		{`application/json; charset="utf-8"`, "application/json", "utf-8", true},
		{`application/json; charset="u\tf\"8"`, "application/json", `utf"8`, true},
		{"application/json; charset=\"u\tf\"", "application/json", "u\tf", true},
		{`application/json; charset="\u"`, "application/json", "u", true},
		{"application/json; x=1; charset=utf-8", "application/json", "utf-8", true},
		{"application/", "", "", false},
		{"application/;x=1", "", "", false},
		{"/json", "", "", false},
		{"application", "", "", false},
		{"application/json x", "", "", false},
		{"application/json; charset", "", "", false},
		{"application/json; charset=", "", "", false},
		{"application/json; =utf-8", "", "", false},
		{"application/json; charset=utf-8; charset=utf-8", "", "", false},
		{"application/json; a\x7f=1", "", "", false},
		{`application/json; a"=1`, "", "", false},
		{"application/json\x7f", "", "", false},
		{`application/json; charset="utf-8`, "", "", false},
		{`application/json; charset="utf-8\`, "", "", false},
		{`application/json; charset="a` + "\x7f" + `"`, "", "", false},
		{`application/json; charset="a` + "\x00" + `"`, "", "", false},
		{"application/json, text/plain", "", "", false},
	}
	for _, tt := range tests {
		mt, cs, ok := parseMediaType(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.mediaType, mt, "%q", tt.in)
		assert.Equal(t, tt.charset, cs, "%q", tt.in)
	}
}

// quotedString's value and rest, at the ends of the input.
func TestQuotedString(t *testing.T) {
	tests := []struct {
		in, value, rest string
		ok              bool
	}{
		{`""`, "", "", true},
		{`"a"b`, "a", "b", true},
		{`"a\"b"`, `a"b`, "", true},
		{`"\\"`, `\`, "", true},
		{"\"\t~ \x80\"", "\t~ \x80", "", true},
		{`"`, "", "", false},
		{`"a`, "", "", false},
		{`"a\`, "", "", false},
		{`"a\"`, "", "", false},
		{"\"\x1f\"", "", "", false},
		{"\"\x7f\"", "", "", false},
	}
	for _, tt := range tests {
		value, rest, ok := quotedString(tt.in)
		assert.Equal(t, tt.ok, ok, "%q", tt.in)
		assert.Equal(t, tt.value, value, "%q", tt.in)
		assert.Equal(t, tt.rest, rest, "%q", tt.in)
	}
}

func TestUnescapeQuery(t *testing.T) {
	tests := map[string]string{
		"":        "",
		"abc":     "abc",
		"+":       " ",
		"+a":      " a",
		"a+":      "a ",
		"%41":     "A",
		"%41b":    "Ab",
		"a%2B":    "a+",
		"%09%7e":  "\t~",
		"%fF%Aa":  "\xff\xaa",
		"%2b+%2B": "+ +",
	}
	for in, want := range tests {
		got, ok := unescapeQuery(in)
		assert.True(t, ok, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{"%", "%4", "a%4", "%4g", "%g4", "%:0", "%0:", "%/0", "%@0", "%G0", "%`0", "%0G"} {
		_, ok := unescapeQuery(in)
		assert.False(t, ok, "%q", in)
	}
}

// A window ends exactly one period after it opened; the sweep runs exactly
// one period after the last, and drops the windows that ended by then.
func TestMemoryLimiterPeriodEdges(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	now := t0
	l := NewMemoryLimiter(1, time.Minute)
	l.now = func() time.Time { return now }
	allow := func(key string) bool {
		ok, err := l.Allow(context.Background(), key)
		require.NoError(t, err)
		return ok
	}
	windows := func() []string {
		l.mu.Lock()
		defer l.mu.Unlock()
		var keys []string
		for k := range l.windows {
			keys = append(keys, k)
		}
		return keys
	}

	require.True(t, allow("x")) // the first call sweeps: lastSweep = t0
	now = t0.Add(30 * time.Second)
	require.True(t, allow("a"))
	now = t0.Add(time.Minute - time.Nanosecond)
	require.False(t, allow("x"), "x's window is still open")
	assert.ElementsMatch(t, []string{"x", "a"}, windows(), "no sweep before a period")

	now = t0.Add(time.Minute) // a period after the last sweep, and after x's window opened
	require.True(t, allow("y"))
	assert.ElementsMatch(t, []string{"a", "y"}, windows(), "the sweep dropped x's window, which ended now")

	// Half a period after that sweep, a's window (opened at t0+30s) ends:
	// no sweep runs, and a gets a new window.
	now = t0.Add(90*time.Second - time.Nanosecond)
	assert.False(t, allow("a"), "a's window is still open")
	now = t0.Add(90 * time.Second)
	assert.True(t, allow("a"), "a's window ended exactly now")
	assert.False(t, allow("a"))
	assert.ElementsMatch(t, []string{"a", "y"}, windows())
}

// The documented defaults: 10 s for a login's answer, 30 s for the head of
// a V2 answer.
func TestDefaultTimeouts(t *testing.T) {
	core, err := NewCore(Config{})
	require.NoError(t, err)
	assert.Equal(t, 10*time.Second, core.c.timeout)
	assert.Equal(t, 30*time.Second, core.c.v2Timeout)
	core, err = NewCore(Config{UpstreamTimeout: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, time.Minute, core.c.timeout)
	assert.Equal(t, time.Minute, core.c.v2Timeout)
}

// V2 statuses passed through: those J-Quants documents and every 5xx, 500
// and 599 included; nothing else.
func TestPassesThroughEdges(t *testing.T) {
	for _, status := range []int{200, 210, 400, 403, 404, 429, 500, 503, 599} {
		assert.True(t, passesThrough(status), "%d", status)
	}
	for _, status := range []int{0, 199, 201, 209, 211, 302, 401, 405, 428, 430, 499, 600} {
		assert.False(t, passesThrough(status), "%d", status)
	}
}

// BodyReadTimeout: 30 s by default, 5 min accepted, a nanosecond more or a
// negative one refused; UpstreamTimeout has the same bounds.
func TestTimeoutBounds(t *testing.T) {
	core, err := NewCore(Config{})
	require.NoError(t, err)
	assert.Equal(t, 30*time.Second, core.c.bodyRead)
	core, err = NewCore(Config{BodyReadTimeout: MaxUpstreamTimeout, UpstreamTimeout: MaxUpstreamTimeout})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, core.c.bodyRead)
	assert.Equal(t, 5*time.Minute, core.c.timeout)
	for _, bad := range []time.Duration{MaxUpstreamTimeout + 1, -1} {
		_, err = NewCore(Config{BodyReadTimeout: bad})
		assert.ErrorContains(t, err, "BodyReadTimeout", bad)
		_, err = NewCore(Config{UpstreamTimeout: bad})
		assert.ErrorContains(t, err, "UpstreamTimeout", bad)
	}
}

// An empty segment before a ".." is the one it removes, as a URL parser
// resolves it.
func TestResolvePathEmptySegment(t *testing.T) {
	for in, want := range map[string]string{
		"/x//../y":  "/x/y",
		"//../y":    "/y",
		"/x/.//y":   "/x//y",
		"/x//./../": "/x/",
	} {
		path, _ := resolveTarget(in)
		assert.Equal(t, want, path, in)
	}
}

// The limiter key of an [IPv6]:port address is the address alone.
func TestClientKeyIPv6(t *testing.T) {
	tests := map[string]string{
		"[2001:db8::1]:443":  "2001:db8::1",
		"[::1]":              "::1",
		"[]:80":              SharedClientKey,
		"[2001:db8::1":       "[2001:db8::1",
		"198.51.100.7:5555":  "198.51.100.7",
		"2001:db8::1":        "2001:db8::1",
		"host.example:8080":  "host.example",
		"unix-socket-peer":   "unix-socket-peer",
		"[::ffff:1.2.3.4]:9": "::ffff:1.2.3.4",
	}
	for addr, want := range tests {
		assert.Equal(t, want, (&Request{RemoteAddr: addr}).clientKey(), addr)
	}
}
