package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// The core's parsing of a request, each part against the standard library
// as the oracle: bodyFields against encoding/json, queryParam against
// net/url, parseMediaType against mime. Each target then runs the whole
// core (Prepare) on the input and checks that it answers as the part says.
// Seed corpora are in testdata/fuzz/<FuzzName>/; `make fuzz` runs them all.

// fuzzBase is the upstream of the fuzzed core.
const fuzzBase = "https://api.example"

func fuzzCore(t testing.TB) *Core {
	c, err := NewCore(Config{BaseURL: fuzzBase, Log: io.Discard})
	require.NoError(t, err)
	return c
}

// post is a POST to target with header and body, as an edge reads it.
func post(target string, header Header, body []byte) *Request {
	return &Request{Method: "POST", Target: target, Scheme: "https", Host: "proxy.example", Header: header, Body: body, RemoteAddr: "192.0.2.1:1234", Start: time.Unix(1_700_000_000, 0)}
}

var jsonHeader = Header{{"content-type", "application/json"}}

// answerMessage decodes a refusal's {"message","code"}.
func answerMessage(t *testing.T, a Answer) (msg, code string) {
	t.Helper()
	var m map[string]string
	require.NoError(t, json.Unmarshal(a.Body, &m), "%s", a.Body)
	return m["message"], m["code"]
}

// bodyMessage is every message bodyFields returns: fixed text, a field name
// or a byte offset, never anything of the body's values.
var bodyMessage = regexp.MustCompile(`^(` +
	`the body is not valid UTF-8` +
	`|the body is not valid JSON \(near byte \d+\)` +
	`|the body must be a JSON object with string fields (mailaddress and password|refreshtoken)` +
	`|the field (mailaddress|password|refreshtoken) (appears twice|must be a string|is missing)` +
	`|a field appears twice in the body` +
	`|the body has data after the JSON object` +
	`)$`)

// inputErrorMessage is every message of an *auth.InputError: field and reason.
var inputErrorMessage = regexp.MustCompile(`^(mailaddress|password|refreshtoken) (` +
	`is required|is longer than \d+ bytes|is not valid UTF-8` +
	`|must not contain white space or control characters|must contain exactly one @` +
	`|needs a name before the @|needs a domain after the @` +
	`|must be visible ASCII characters only` +
	`)$`)

// oracleBody is what bodyFields must say of body, by encoding/json: the
// field values, or the message of the first problem in flatjson's order
// (UTF-8, syntax, trailing data, not an object, duplicate key, then each
// field in turn). offsetFree is true when the message has no byte offset.
func oracleBody(body []byte, names ...string) (values []string, msg string) {
	if !utf8.Valid(body) {
		return nil, "the body is not valid UTF-8"
	}
	if !json.Valid(body) {
		dec := json.NewDecoder(bytes.NewReader(body))
		var first json.RawMessage
		if dec.Decode(&first) == nil && first[0] == '{' {
			return nil, "the body has data after the JSON object"
		}
		return nil, "SYNTAX"
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if trimmed[0] != '{' {
		return nil, "the body must be a JSON object with string fields " + strings.Join(names, " and ")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.Token() // {
	members := map[string]json.RawMessage{}
	for dec.More() {
		k, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			panic(err) // json.Valid said it is valid
		}
		key := k.(string)
		if _, dup := members[key]; dup {
			for _, n := range names {
				if n == key {
					return nil, "the field " + n + " appears twice"
				}
			}
			return nil, "a field appears twice in the body"
		}
		members[key] = v
	}
	for _, n := range names {
		raw, ok := members[n]
		if !ok {
			return nil, "the field " + n + " is missing"
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, "the field " + n + " must be a string"
		}
		values = append(values, s)
	}
	return values, ""
}

var bodySeeds = []string{
	`{"mailaddress":"demo@example.com","password":"pw-123456"}`,
	`{"password":"pw","mailaddress":" demo@example.com\t"}`,
	`{"mailaddress":"a@b","password":"p","extra":{"x":[1,{"y":null}]},"n":1e400}`,
	`{"mailaddress":"a@b","password":"p","password":"q"}`,
	`{"mailaddress":"a@b","x":1,"x":2,"password":"p"}`,
	`{"mailaddress":42,"password":"p"}`,
	`{"mailaddress":"a@b","password":null}`,
	`{"mailaddress":"a@b"}`,
	`{"mailaddress":"a@b","password":"p"} x`,
	`{"mailaddress":"a@b","password":"p"}{}`,
	`{"mailaddress":"a@b","password":"\ud800\u0000\"\\"}`,
	"{\"mailaddress\":\"a@b\",\"password\":\"\xff\"}",
	`{"refreshtoken":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`,
	`{"refreshtoken":"a b"}`, `{"refreshtoken":""}`, `{"refresh\u0074oken":"x","refreshtoken":"y"}`,
	`null`, `[]`, `"s"`, ``, `{`, `{"mailaddress":`, `{"a":[[[[[[]]]]]]}`, `12 x`,
}

// FuzzBody: bodyFields reads exactly what encoding/json reads, and refuses
// in fixed words what flatjson refuses; the core then answers 400 with that
// message or the credentials' or token's, or sends upstream exactly the
// request auth builds from the values.
func FuzzBody(f *testing.F) {
	for _, s := range bodySeeds {
		f.Add([]byte(s))
	}
	core := fuzzCore(f)
	// One Answer and one Call for every input, as the Worker keeps them:
	// each must come out as a new pair does.
	var reusedA Answer
	var reusedCall Call
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, names := range [][]string{{auth.FieldMailAddress, auth.FieldPassword}, {auth.FieldRefreshToken}} {
			values, msg := bodyFields(body, names...)
			wantValues, wantMsg := oracleBody(body, names...)
			if wantMsg == "SYNTAX" {
				require.Regexp(t, `^the body is not valid JSON \(near byte \d+\)$`, msg)
				off, _ := strconv.Atoi(msg[strings.LastIndexByte(msg, ' ')+1 : len(msg)-1])
				require.LessOrEqual(t, off, len(body))
			} else {
				require.Equal(t, wantMsg, msg, "%q", body)
			}
			if msg == "" {
				require.Equal(t, wantValues, values[:len(names)])
			}
			if msg != "" {
				require.Regexp(t, bodyMessage, msg)
			}

			// The core, with this body.
			target := auth.Path
			if len(names) == 1 {
				target = auth.RefreshPath
			}
			a, call := PrepareNew(core, post(target, jsonHeader, body))
			if core.Prepare(post(target, jsonHeader, body), &reusedA, &reusedCall) {
				require.NotNil(t, call)
				require.Equal(t, call.URL, reusedCall.URL)
				require.Equal(t, string(call.Body), string(reusedCall.Body))
				require.Equal(t, call.Header, reusedCall.Header)
				require.Equal(t, call.State, reusedCall.State)
			} else {
				require.Nil(t, call)
				require.Equal(t, a.Status, reusedA.Status)
				require.Equal(t, a.Header, reusedA.Header)
				require.Equal(t, string(a.Body), string(reusedA.Body))
				require.Equal(t, string(a.Log), string(reusedA.Log))
			}
			if len(body) > MaxBodyBytes {
				require.Nil(t, call)
				require.Equal(t, 413, a.Status)
				continue
			}
			var want auth.Request
			if len(names) == 1 && len(body) == 0 {
				msg = refreshMissing
			}
			if msg == "" {
				if len(names) == 2 {
					creds, err := auth.NewCredentials(values[0], values[1])
					if err != nil {
						msg = err.Error()
					} else {
						want = auth.AuthUserRequest(fuzzBase, creds)
					}
				} else if err := auth.CheckRefreshToken(values[0]); err != nil {
					msg = err.Error()
				} else {
					want = auth.AuthRefreshRequest(fuzzBase, values[0])
				}
				if msg != "" {
					require.Regexp(t, inputErrorMessage, msg)
				}
			}
			if msg != "" {
				require.Nil(t, call, "a refused body went upstream")
				require.Equal(t, 400, a.Status)
				m, code := answerMessage(t, a)
				require.Equal(t, msg, m)
				require.Equal(t, auth.CodeInvalidInput, code)
				continue
			}
			require.NotNil(t, call, "%s", a.Body)
			require.Equal(t, want.URL, call.URL)
			require.Equal(t, want.Body, call.Body)
			if len(names) == 2 {
				var sent map[string]string
				require.NoError(t, json.Unmarshal(call.Body, &sent))
				require.Equal(t, map[string]string{auth.FieldMailAddress: strings.TrimSpace(values[0]), auth.FieldPassword: values[1]}, sent)
			} else {
				require.Nil(t, call.Body)
			}
		}
	})
}

// oracleQuery is what queryParam must say of the refreshtoken parameter,
// by net/url: url.ParseQuery when it takes the whole query (semicolons,
// which it refuses as separators, escaped first), else pair by pair with
// url.QueryUnescape, skipping a pair whose name does not decode.
func oracleQuery(query string) (value string, found bool, msg string) {
	if q, err := url.ParseQuery(strings.ReplaceAll(query, ";", "%3B")); err == nil {
		switch vs := q[auth.FieldRefreshToken]; len(vs) {
		case 0:
			return "", false, ""
		case 1:
			return vs[0], true, ""
		}
		return "", false, "the query parameter refreshtoken appears twice"
	}
	n := 0
	for _, pair := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err != nil || key != auth.FieldRefreshToken {
			continue
		}
		if n++; n == 2 {
			return "", false, "the query parameter refreshtoken appears twice"
		}
		var err error
		if value, err = url.QueryUnescape(v); err != nil {
			return "", false, "the query parameter refreshtoken is not correctly percent-encoded"
		}
	}
	return value, n == 1, ""
}

// FuzzQuery: queryParam reads the refreshtoken parameter as net/url does;
// the core then refuses in fixed words, or sends upstream the token alone,
// re-encoded, with no body. Its log never shows the query.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"refreshtoken=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "refreshtoken=a%2Bb%2Fc%3D%3D", "refreshtoken=a+b",
		"x=1&refreshtoken=t&y=2", "refreshtoken=a&refreshtoken=b", "refreshtoken=%zz", "refresh%74oken=t", "refreshtoken",
		"refreshtoken=", "%zz=1&refreshtoken=t", "refreshtoken=a;b", "&&refreshtoken=t&&", "REFRESHTOKEN=t", "",
	} {
		f.Add(s)
	}
	core := fuzzCore(f)
	f.Fuzz(func(t *testing.T, query string) {
		value, found, msg := queryParam(query, auth.FieldRefreshToken)
		wantValue, wantFound, wantMsg := oracleQuery(query)
		require.Equal(t, wantMsg, msg, "%q", query)
		require.Equal(t, wantFound, found, "%q", query)
		if msg == "" {
			require.Equal(t, wantValue, value, "%q", query)
		}

		// The core, with this query and no body.
		a, call := PrepareNew(core, post(auth.RefreshPath+"?"+query, nil, nil))
		if call != nil {
			require.Empty(t, msg)
			require.True(t, found)
			require.NoError(t, auth.CheckRefreshToken(value))
			require.Nil(t, call.Body, "J-Quants' shape: no body upstream")
			require.Equal(t, auth.AuthRefreshRequest(fuzzBase, value).URL, call.URL)
			u, err := url.Parse(call.URL)
			require.NoError(t, err)
			require.Equal(t, url.Values{auth.FieldRefreshToken: {value}}, u.Query(), "the token alone goes upstream")
			return
		}
		require.Equal(t, 400, a.Status, "%s", a.Body)
		m, code := answerMessage(t, a)
		require.Equal(t, auth.CodeInvalidInput, code)
		switch {
		case msg != "":
			require.Equal(t, msg, m)
		case !found:
			require.Equal(t, refreshMissing, m)
		default:
			require.Equal(t, auth.CheckRefreshToken(value).Error(), m)
		}
		require.NotContains(t, string(a.Log), "?", "the log shows the path, never the query")
	})
}

// topLevelComma reports whether v has a comma outside a quoted-string.
func topLevelComma(v string) bool {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ',':
			return true
		}
	}
	return false
}

// FuzzContentType: on a single value (no comma), parseMediaType agrees
// with mime.ParseMediaType wherever both accept, and accepts nothing mime
// refuses but a repeated parameter other than charset. By design it is
// stricter: it refuses a top-level comma (several values, joined), two
// charsets, a media type without a subtype, and what RFC 9110 forbids but
// mime tolerates (see stricterThanMime). The core answers a body 415
// exactly when jsonContentType refuses, and no body never.
func FuzzContentType(f *testing.F) {
	for _, s := range []string{
		"application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8", `application/json; charset="utf-8"`,
		"text/plain;charset=UTF-8", "application/json; charset=iso-8859-1", "application/json, text/plain", `application/json; x="a,b"`,
		"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json;", "application/json; =",
		"application/json; charset=utf-8; charset=utf-8", `application/json; charset="utf\-8"`, "application/json; charset*=utf-8''utf-8",
		"application/json; a=1; a=2", "text", "", " \tapplication/json \t", "application/js{on}",
	} {
		f.Add(s)
	}
	core := fuzzCore(f)
	body := []byte(`{"mailaddress":"demo@example.com","password":"pw"}`)
	f.Fuzz(func(t *testing.T, v string) {
		mt, charset, ok := parseMediaType(v)
		if ok {
			require.Equal(t, strings.ToLower(mt), mt)
			require.False(t, topLevelComma(v), "a top-level comma means several values: %q", v)
		}
		if !strings.Contains(v, ",") {
			mmt, params, err := mime.ParseMediaType(v)
			switch {
			case err == nil && strings.Contains(mmt, "/"):
				// Both read one value: the same type and charset, or ours
				// refuses for one of the documented reasons.
				if ok {
					require.Equal(t, mmt, mt, "%q", v)
					// Two intended differences in the charset: a quoted-pair
					// is unescaped as RFC 9110 says (mime keeps "\-" as it
					// is), and RFC 2231's charset*= is not a charset here
					// (HTTP defines no such parameter for Content-Type).
					if !strings.Contains(v, `\`) && !strings.Contains(v, "*") {
						require.Equal(t, params["charset"], charset, "%q", v)
					}
				} else {
					require.True(t, stricterThanMime(v), "mime accepts %q as %q %v; parseMediaType refuses", v, mmt, params)
				}
			case ok:
				// mime refuses: only for a repeated parameter ours ignores.
				require.Contains(t, err.Error(), "duplicate parameter", "parseMediaType accepts %q, mime: %v", v, err)
			}
		}

		want := ok && (mt == "application/json" || mt == "text/plain") && (charset == "" || strings.EqualFold(charset, "utf-8"))
		require.Equal(t, want, jsonContentType(v, true))
		require.True(t, jsonContentType(v, false), "no Content-Type is JSON")
		// Without a body there is nothing for a Content-Type to describe.
		_, call := PrepareNew(core, post(auth.RefreshPath+"?refreshtoken=tok", Header{{"content-type", v}}, nil))
		require.NotNil(t, call, "J-Quants' shape with Content-Type %q", v)

		a, call := PrepareNew(core, post(auth.Path, Header{{"content-type", v}}, body))
		if want || v == "" { // an empty header is none, as workerd drops it
			require.NotNil(t, call, "%q: %s", v, a.Body)
			return
		}
		require.Nil(t, call)
		require.Equal(t, 415, a.Status, "%q", v)
		_, code := answerMessage(t, a)
		require.Equal(t, CodeUnsupportedMediaType, code)
	})
}

// stricterThanMime reports whether v holds something RFC 9110 forbids in a
// Content-Type that mime.ParseMediaType lets through, so that
// parseMediaType refusing it is intended.
func stricterThanMime(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '{' || c == '}':
			return true // delimiters in RFC 9110, token characters to mime
		case c < ' ' && c != '\t', c == 0x7f, c >= 0x80:
			return true // control and non-ASCII bytes, some of which mime takes as white space or lets through quoted
		case c == '\\':
			return true // mime keeps a backslash before a non-special literally
		case c == '*':
			return true // RFC 2231 parameters, which mime decodes
		}
	}
	lower := strings.ToLower(v)
	return strings.Count(lower, "charset") > 1 || // two charsets
		regexp.MustCompile(`[ \t]=|=[ \t]`).MatchString(v) // RFC 9110 has no white space around "="
}

// refreshMissing is the answer to an auth_refresh with neither query nor body.
const refreshMissing = `the refresh token is missing: send ?refreshtoken=… or the body {"refreshtoken":"…"}`

// appendDuration writes what Duration.String writes for the duration
// rounded to the microsecond, the log's form.
func FuzzAppendDuration(f *testing.F) {
	for _, d := range []int64{0, 1, 499, 500, 999_499, 999_500, 1_000_000, 1_500_000, 250_500_000, 999_999_499, 999_999_500, 1e9, -1, -1e6, 1 << 62} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, ns int64) {
		d := time.Duration(ns)
		got := string(appendDuration([]byte("x"), d))
		if want := "x" + d.Round(time.Microsecond).String(); got != want {
			t.Fatalf("%d ns: %q, want %q", ns, got, want)
		}
	})
}
