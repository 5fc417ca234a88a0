package auth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Seed corpora are in testdata/fuzz/<FuzzName>/. Run a target with
// `go test -run='^$' -fuzz='^FuzzDecodeAnswer$' -fuzztime=60s ./auth`, or
// all of them with `make fuzz`.

// wantKind is the sentinel a status maps to, written out independently.
func wantKind(status int) error {
	switch status {
	case 200:
		return auth.ErrUnexpectedAnswer
	case 400:
		return auth.ErrInvalidCredentials
	case 403:
		return auth.ErrForbidden
	case 404:
		return auth.ErrEndpointGone
	case 429:
		return auth.ErrRateLimited
	case 500:
		return auth.ErrUpstreamFailure
	}
	return auth.ErrUnexpectedStatus
}

// wantErrorText is e.Error() as documented, built from e's fields.
func wantErrorText(e *auth.Error) string {
	s := "auth: " + strconv.Itoa(e.StatusCode) + " " + wantKind(e.StatusCode).Error()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += " (retry after " + e.RetryAfter.String() + ")"
	}
	return s
}

func goneMessage(ep auth.Endpoint) string {
	return "J-Quants retired its V1 API, " + ep.Path() + " included, on 2026-06-01"
}

func tokenField(ep auth.Endpoint) string {
	if ep == auth.AuthRefresh {
		return "idToken"
	}
	return "refreshToken"
}

// oracleObject reads body with encoding/json as the contract's decoder
// must: exactly one JSON object, valid UTF-8 (encoding/json would replace
// bad bytes), no key twice at the top level (encoding/json would keep the
// last). ok is false for anything else.
func oracleObject(body []byte) (members map[string]json.RawMessage, ok bool) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	members = map[string]json.RawMessage{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		k := key.(string)
		if _, dup := members[k]; dup {
			return nil, false
		}
		members[k] = v
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return members, true
}

// oracleString is member name of an oracleObject as a string, if it is one.
func oracleString(members map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := members[name]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// checkDecode checks ep.Decode's result against its contract, with
// encoding/json's reading of the body as the oracle.
func checkDecode(t *testing.T, ep auth.Endpoint, a auth.Answer, now time.Time, tok auth.Token, err error) {
	t.Helper()
	members, isObject := oracleObject(a.Body)
	if a.StatusCode == 200 {
		want, ok := oracleString(members, tokenField(ep))
		if isObject && ok && want != "" {
			require.NoError(t, err, "encoding/json reads token %q", want)
			require.Equal(t, auth.Token{Value: want, IssuedAt: now, ExpiresAt: now.Add(ep.Lifetime())}, tok)
			require.Equal(t, "Token{Value:[REDACTED] IssuedAt:"+now.Format(time.RFC3339)+" ExpiresAt:"+tok.ExpiresAt.Format(time.RFC3339)+"}", tok.String())
			return
		}
	}
	require.Zero(t, tok)
	require.Error(t, err, "status %d", a.StatusCode)
	var e *auth.Error
	require.True(t, errors.As(err, &e), "every answer error is an *Error: %T", err)
	require.Equal(t, a.StatusCode, e.StatusCode)
	require.Equal(t, wantKind(a.StatusCode), e.Kind())
	matched := 0
	for _, k := range kinds {
		if errors.Is(err, k) {
			matched++
		}
	}
	require.Equal(t, 1, matched, "an *Error matches exactly one kind")
	require.Empty(t, e.Code, "Decode never sets Code")
	require.LessOrEqual(t, len(e.Message), auth.MaxMessageBytes)
	require.True(t, utf8.ValidString(e.Message))
	if a.StatusCode == 200 {
		require.Zero(t, e.RetryAfter, "a 200 has no Retry-After to honour")
	} else {
		require.Equal(t, auth.ParseRetryAfter(a.Header.Get("Retry-After"), now), e.RetryAfter)
	}
	require.GreaterOrEqual(t, e.RetryAfter, time.Duration(0))
	require.LessOrEqual(t, e.RetryAfter, 24*time.Hour)
	require.NotEmpty(t, auth.Code(err))
	require.Equal(t, wantErrorText(e), err.Error())

	// Only upstream's "message" may reach the text; nothing else of the body.
	switch a.StatusCode {
	case 200:
		if isObject {
			require.Equal(t, "the answer has no "+tokenField(ep), e.Message)
		} else {
			require.Equal(t, "the answer is not a JSON object", e.Message)
		}
	case 404:
		require.Equal(t, goneMessage(ep), e.Message)
	default:
		msg, ok := oracleString(members, "message")
		if !isObject || !ok {
			require.Empty(t, e.Message)
			return
		}
		require.True(t, strings.HasPrefix(msg, e.Message), "the message is upstream's, cut")
		require.Equal(t, auth.ErrorMessage(a.Body), e.Message)
		if len(msg) <= auth.MaxMessageBytes {
			require.Equal(t, msg, e.Message)
		} else {
			require.Greater(t, len(e.Message), auth.MaxMessageBytes-utf8.UTFMax)
		}
	}
}

// FuzzDecodeAnswer decodes each answer as both endpoints' and checks the
// token or error against encoding/json's reading of the body.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, "", []byte(`{"refreshToken":"tok"}`), secretPassword)
	f.Add(200, "", []byte(`{"idToken":"id.tok","refreshToken":""}`), secretPassword)
	f.Add(200, "", []byte(`{"idToken":"a","idToken":"b"}`), "x")
	f.Add(400, "", []byte(`{"message":"'mailaddress' or 'password' is incorrect."}`), "pw")
	f.Add(400, "", []byte(`{"message":"'refreshtoken' is incorrect."}`), "pw")
	f.Add(429, "30", []byte(`{"message":"slow","code":"rate_limited"}`), "hunter2hunter2")
	f.Add(500, "Fri, 01 May 2026 09:00:45 GMT", []byte(`{"message":"Unexpected error. Please try again later."}`), "x")
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte, password string) {
		a := auth.Answer{StatusCode: status, Header: auth.Header{"Retry-After": {retryAfter}}, Body: body}
		for _, ep := range []auth.Endpoint{auth.AuthUser, auth.AuthRefresh} {
			tok, err := ep.Decode(a, now)
			checkDecode(t, ep, a, now, tok, err)
		}
		tok, err := auth.DecodeAnswer(a, now)
		same, serr := auth.AuthUser.Decode(a, now)
		require.Equal(t, same, tok, "DecodeAnswer is AuthUser.Decode")
		require.Equal(t, serr == nil, err == nil)

		// A body carrying a password (say, echoed by a broken upstream) in any
		// field but "message" never shows it: the text is fixed by status.
		leaky, jerr := json.Marshal(map[string]any{
			"password": password, "mailaddress": password, "detail": password, "error": map[string]string{"message": password},
		})
		require.NoError(t, jerr)
		a.Body = leaky
		for _, ep := range []auth.Endpoint{auth.AuthUser, auth.AuthRefresh} {
			tok, err := ep.Decode(a, now)
			checkDecode(t, ep, a, now, tok, err)
			require.Error(t, err)
			var e *auth.Error
			require.True(t, errors.As(err, &e))
			switch status {
			case 200:
				require.Equal(t, "the answer has no "+tokenField(ep), e.Message)
			case 404:
				require.Equal(t, goneMessage(ep), e.Message)
			default:
				require.Empty(t, e.Message)
			}
			if len(password) >= 8 && !strings.Contains(wantErrorText(e), password) {
				require.NotContains(t, err.Error(), password)
			}
		}
	})
}

// inputMessages are the only texts a credentials check may produce.
var inputMessages = []string{
	msgMailRequired, msgMailTooLong, msgMailNotUTF8, msgMailSpace, msgMailOneAt, msgMailNoLocal, msgMailNoDomain,
	msgPassRequired, msgPassTooLong, msgPassNotUTF8,
}

func FuzzCredentials(f *testing.F) {
	f.Add("user@example.com", "pw")
	f.Add("  user@example.com\n", `p"a\s<s>&`)
	f.Add("a@b@c", "")
	f.Add("ユーザー@例え.jp", "パスワード\u2028")
	f.Fuzz(func(t *testing.T, mail, password string) {
		c, err := auth.NewCredentials(mail, password)
		require.Equal(t, strings.TrimSpace(mail), c.MailAddress)
		require.Equal(t, password, c.Password(), "the password is kept as typed")
		verr := c.Validate()
		require.Equal(t, err == nil, verr == nil, "NewCredentials and Validate agree")
		// The proxy's way gives the same verdict and the same body.
		body, berr := auth.AppendAuthUserBody([]byte("x"), mail, password)
		require.Equal(t, fmt.Sprint(err), fmt.Sprint(berr))
		if err == nil {
			require.Equal(t, "x"+string(c.RequestBody()), string(body))
		} else {
			require.Equal(t, "x", string(body), "nothing appended for invalid input")
		}

		// Formatting shows exactly String or GoString, so never the password.
		require.Equal(t, "{MailAddress:"+c.MailAddress+" Password:[REDACTED]}", c.String())
		require.Equal(t, "auth.Credentials{MailAddress:"+strconv.Quote(c.MailAddress)+", Password:\"[REDACTED]\"}", c.GoString())
		// Every rendering hides the password. The fuzzed password is wrapped
		// in a marker, so that what we look for cannot turn up by chance
		// (in "level=INFO", say).
		if marked := "Zq9!" + password + "!9qZ"; !strings.Contains(mail, "Zq9") {
			mc, _ := auth.NewCredentials(mail, marked)
			assertHidden(t, formats(t, mc, credentialVerbs), marked)
		}
		j, jerr := json.Marshal(c)
		require.NoError(t, jerr)
		var shown map[string]any
		require.NoError(t, json.Unmarshal(j, &shown))
		require.Len(t, shown, 1, "encoding/json sees the mail address alone")

		if err != nil {
			var ie *auth.InputError
			require.True(t, errors.As(err, &ie))
			require.ErrorIs(t, err, auth.ErrInvalidInput)
			require.Contains(t, inputMessages, err.Error(), "a fixed message, never the value")
			require.Equal(t, err.Error(), verr.Error())
			return
		}

		// Valid: the documented rules hold.
		m := c.MailAddress
		require.Equal(t, 1, strings.Count(m, "@"))
		local, domain, _ := strings.Cut(m, "@")
		require.NotEmpty(t, local)
		require.NotEmpty(t, domain)
		require.LessOrEqual(t, len(m), auth.MaxMailAddressBytes)
		require.True(t, utf8.ValidString(m))
		require.Equal(t, m, strings.Join(strings.Fields(m), ""), "no white space")
		require.NotEmpty(t, password)
		require.LessOrEqual(t, len(password), auth.MaxPasswordBytes)
		require.True(t, utf8.ValidString(password))

		// The body round-trips to exactly the two fields.
		body = c.RequestBody()
		require.True(t, strings.HasPrefix(string(body), `{"mailaddress":`))
		var fields map[string]any
		require.NoError(t, json.Unmarshal(body, &fields))
		require.Equal(t, map[string]any{"mailaddress": m, "password": password}, fields)
		require.Equal(t, body, auth.AuthUserRequest("", c).Body)

		// NewCredentials is idempotent on its own output.
		again, aerr := auth.NewCredentials(c.MailAddress, c.Password())
		require.NoError(t, aerr)
		require.Equal(t, c.MailAddress, again.MailAddress)
		require.Equal(t, c.Password(), again.Password())
	})
}

// FuzzRefreshRequest: CheckRefreshToken accepts exactly 1 to
// MaxRefreshTokenBytes bytes of visible ASCII, and the auth_refresh URL
// carries an accepted token as url.QueryEscape writes it, which
// url.ParseQuery reads back as that one token.
func FuzzRefreshRequest(f *testing.F) {
	for _, s := range []string{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "a+b/c=", "a b", "", "%zz&x=1#f", "é", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		err := auth.CheckRefreshToken(tok)
		visible := tok != "" && len(tok) <= auth.MaxRefreshTokenBytes
		for i := 0; i < len(tok); i++ {
			visible = visible && '!' <= tok[i] && tok[i] <= '~'
		}
		require.Equal(t, visible, err == nil, "%q: %v", tok, err)
		x, xerr := auth.NewAuthRefresh("https://api.example", tok, auth.Retry{})
		require.Equal(t, err == nil, xerr == nil)
		if err != nil {
			require.ErrorIs(t, err, auth.ErrInvalidInput)
			require.Nil(t, x)
			if len(tok) >= 4 {
				require.NotContains(t, err.Error(), tok)
			}
		} else {
			require.Equal(t, auth.AuthRefreshRequest("https://api.example", tok), x.Request)
		}

		// The URL is built the same way whether or not the token is valid.
		r := auth.AuthRefreshRequest("https://api.example", tok)
		require.Nil(t, r.Body)
		require.Equal(t, "https://api.example/v1/token/auth_refresh?refreshtoken="+url.QueryEscape(tok), r.URL)
		u, perr := url.Parse(r.URL)
		require.NoError(t, perr)
		require.Equal(t, auth.RefreshPath, u.Path)
		q, perr := url.ParseQuery(u.RawQuery)
		require.NoError(t, perr)
		require.Equal(t, url.Values{"refreshtoken": {tok}}, q)
	})
}
