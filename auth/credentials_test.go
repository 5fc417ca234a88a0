package auth_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
)

// secretPassword is distinctive enough that finding it anywhere is a leak.
const secretPassword = "Sup3r-Secret-Passw0rd!"

// The exact InputError messages, one per check.
const (
	msgMailRequired   = "mailaddress is required"
	msgMailTooLong    = "mailaddress is longer than 254 bytes"
	msgMailNotUTF8    = "mailaddress is not valid UTF-8"
	msgMailSpace      = "mailaddress must not contain white space or control characters"
	msgMailOneAt      = "mailaddress must contain exactly one @"
	msgMailNoLocal    = "mailaddress needs a name before the @"
	msgMailNoDomain   = "mailaddress needs a domain after the @"
	msgPassRequired   = "password is required"
	msgPassTooLong    = "password is longer than 1024 bytes"
	msgPassNotUTF8    = "password is not valid UTF-8"
	validMail         = "user@example.com"
	validPassword     = "pw"
	maxMailLocalBytes = auth.MaxMailAddressBytes - len("@example.com")
)

func TestNewCredentials(t *testing.T) {
	longMail := strings.Repeat("a", maxMailLocalBytes) + "@example.com" // exactly 254 bytes
	require.Len(t, longMail, auth.MaxMailAddressBytes)

	tests := []struct {
		name     string
		mail     string
		password string
		wantMail string // the trimmed address, when valid
		wantErr  string // the exact InputError message; "" for valid
	}{
		{name: "plain", mail: validMail, password: validPassword, wantMail: validMail},
		{name: "mail trimmed", mail: " \t\r\n" + validMail + " \n", password: validPassword, wantMail: validMail},
		{name: "mail trimmed of unicode space", mail: "\u00a0\u3000" + validMail + "\u2003", password: validPassword, wantMail: validMail},
		{name: "mail with plus and dots", mail: "first.last+tag@sub.example.co.jp", password: validPassword, wantMail: "first.last+tag@sub.example.co.jp"},
		{name: "mail non-ASCII", mail: "ユーザー@例え.jp", password: validPassword, wantMail: "ユーザー@例え.jp"},
		{name: "mail at limit", mail: longMail, password: validPassword, wantMail: longMail},
		{name: "mail at limit after trimming", mail: "  " + longMail + "  ", password: validPassword, wantMail: longMail},
		{name: "mail empty", mail: "", password: validPassword, wantErr: msgMailRequired},
		{name: "mail only white space", mail: " \t\n ", password: validPassword, wantErr: msgMailRequired},
		{name: "mail over limit", mail: "a" + longMail, password: validPassword, wantErr: msgMailTooLong},
		{name: "mail over limit is checked before UTF-8", mail: strings.Repeat("\xff", 255), password: validPassword, wantErr: msgMailTooLong},
		{name: "mail invalid UTF-8", mail: "us\xffer@example.com", password: validPassword, wantErr: msgMailNotUTF8},
		{name: "mail inner space", mail: "us er@example.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail inner tab", mail: "user@exa\tmple.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail inner ideographic space", mail: "user\u3000@example.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail NUL", mail: "user\x00@example.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail DEL", mail: "user\x7f@example.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail C1 control", mail: "user\u0080@example.com", password: validPassword, wantErr: msgMailSpace},
		{name: "mail no @", mail: "user.example.com", password: validPassword, wantErr: msgMailOneAt},
		{name: "mail two @", mail: "user@host@example.com", password: validPassword, wantErr: msgMailOneAt},
		{name: "mail @@", mail: "user@@example.com", password: validPassword, wantErr: msgMailOneAt},
		{name: "mail no local part", mail: "@example.com", password: validPassword, wantErr: msgMailNoLocal},
		{name: "mail only @", mail: "@", password: validPassword, wantErr: msgMailNoLocal},
		{name: "mail no domain", mail: "user@", password: validPassword, wantErr: msgMailNoDomain},
		{name: "mail checked before password", mail: "", password: "", wantErr: msgMailRequired},
		{name: "password kept exactly", mail: validMail, password: "  spaced\tpassword \n", wantMail: validMail},
		{name: "password only white space", mail: validMail, password: " ", wantMail: validMail},
		{name: "password non-ASCII", mail: validMail, password: "パスワード🔑", wantMail: validMail},
		{name: "password with JSON specials", mail: validMail, password: `"\<>&` + "\x01", wantMail: validMail},
		{name: "password at limit", mail: validMail, password: strings.Repeat("p", auth.MaxPasswordBytes), wantMail: validMail},
		{name: "password empty", mail: validMail, password: "", wantErr: msgPassRequired},
		{name: "password over limit", mail: validMail, password: strings.Repeat("p", auth.MaxPasswordBytes+1), wantErr: msgPassTooLong},
		{name: "password over limit by a multi-byte rune", mail: validMail, password: strings.Repeat("p", auth.MaxPasswordBytes-1) + "é", wantErr: msgPassTooLong},
		{name: "password invalid UTF-8", mail: validMail, password: "pass\xc3word", wantErr: msgPassNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := auth.NewCredentials(tt.mail, tt.password)
			assert.Equal(t, tt.password, c.Password(), "the password is kept exactly")
			assert.Equal(t, strings.TrimSpace(tt.mail), c.MailAddress)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantMail, c.MailAddress)
				assert.NoError(t, c.Validate())
				return
			}
			require.Error(t, err)
			assert.EqualError(t, err, tt.wantErr)
			var ie *auth.InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tt.wantErr, ie.Field+" "+ie.Reason)
			if strings.HasPrefix(tt.wantErr, auth.FieldMailAddress) {
				assert.Equal(t, auth.FieldMailAddress, ie.Field)
			} else {
				assert.Equal(t, auth.FieldPassword, ie.Field)
			}
			assert.ErrorIs(t, err, auth.ErrInvalidInput)
			assert.Equal(t, auth.CodeInvalidInput, auth.Code(err))
			assert.Equal(t, err.Error(), c.Validate().Error(), "Validate agrees")
		})
	}
}

func TestValidateDoesNotTrim(t *testing.T) {
	valid, err := auth.NewCredentials(validMail, validPassword)
	require.NoError(t, err)
	withMail := func(m string) auth.Credentials { c := valid; c.MailAddress = m; return c }
	tests := []struct {
		name    string
		creds   auth.Credentials
		wantErr string
	}{
		{"leading space", withMail(" " + validMail), msgMailSpace},
		{"trailing newline", withMail(validMail + "\n"), msgMailSpace},
		{"zero value", auth.Credentials{}, msgMailRequired},
		{"no password: the zero value's is empty", auth.Credentials{MailAddress: validMail}, msgPassRequired},
		{"valid", valid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.creds.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
	assert.Empty(t, auth.Credentials{}.Password(), "the zero value has no password")
	assert.Equal(t, `{"mailaddress":"","password":""}`, string(auth.Credentials{}.RequestBody()))
}

func TestInputError(t *testing.T) {
	err := &auth.InputError{Field: auth.FieldPassword, Reason: "is required"}
	assert.Equal(t, "password is required", err.Error())
	assert.ErrorIs(t, err, auth.ErrInvalidInput)
	assert.NotErrorIs(t, err, auth.ErrInvalidCredentials)
	wrapped := fmt.Errorf("login: %w", err)
	assert.ErrorIs(t, wrapped, auth.ErrInvalidInput)
	assert.Equal(t, auth.CodeInvalidInput, auth.Code(wrapped))
	assert.Equal(t, "mailaddress", auth.FieldMailAddress)
	assert.Equal(t, "password", auth.FieldPassword)
	assert.Equal(t, "refreshtoken", auth.FieldRefreshToken)
}

func TestRequestBody(t *testing.T) {
	tests := []struct {
		name     string
		mail     string
		password string
		want     string
	}{
		{"plain", "user@example.com", "pw", `{"mailaddress":"user@example.com","password":"pw"}`},
		{"quote and backslash", "user@example.com", `p"w\d`, `{"mailaddress":"user@example.com","password":"p\"w\\d"}`},
		{"HTML characters are escaped", "o'neil+x@example.com", "<&>", `{"mailaddress":"o'neil+x@example.com","password":"\u003c\u0026\u003e"}`},
		{"control characters", "user@example.com", "a\tb\nc\rd\x01\x1f", `{"mailaddress":"user@example.com","password":"a\tb\nc\rd\u0001\u001f"}`},
		{"non-ASCII kept as UTF-8", "ユーザー@例え.jp", "パスワード", `{"mailaddress":"ユーザー@例え.jp","password":"パスワード"}`},
		{"line separators escaped", "user@example.com", "a\u2028b\u2029c", `{"mailaddress":"user@example.com","password":"a\u2028b\u2029c"}`},
		{"white space kept", "user@example.com", "  pw  ", `{"mailaddress":"user@example.com","password":"  pw  "}`},
		{"slash not escaped", "user@example.com", "a/b", `{"mailaddress":"user@example.com","password":"a/b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := auth.NewCredentials(tt.mail, tt.password)
			require.NoError(t, err)
			body := c.RequestBody()
			assert.Equal(t, tt.want, string(body))

			// The body is JSON with exactly the two fields, holding the values.
			var fields map[string]any
			require.NoError(t, json.Unmarshal(body, &fields))
			assert.Equal(t, map[string]any{"mailaddress": tt.mail, "password": tt.password}, fields)
		})
	}
}

// credentialVerbs is every verb, flag and width a careless caller might use.
// A Credentials value hides its password under all of them: String and
// GoString cover the string verbs and %#v, and every other verb prints the
// fields raw, where the password is a nested pointer, which fmt prints as an
// address.
var credentialVerbs = []string{
	"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%t",
	"%T", "%b", "%o", "%O", "%c", "%U", "%e", "%g", "%20v", "%-20s", "%.3s", "% x", "%#x", "%+q", "%#q", "%!", "%z",
}

// formats renders v with each verb, nested in containers, through
// encoding/json and through slog's text and JSON handlers.
func formats(t *testing.T, v any, verbs []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range verbs {
		out[verb] = fmt.Sprintf(verb, v)
		out["slice "+verb] = fmt.Sprintf(verb, []any{v})
		out["struct "+verb] = fmt.Sprintf(verb, struct{ V any }{v})
		out["map "+verb] = fmt.Sprintf(verb, map[string]any{"v": v})
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	out["Errorf"] = fmt.Errorf("login as %v: %w", v, errors.New("boom")).Error()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	out["json"] = string(b)
	b, err = json.Marshal(map[string]any{"v": v})
	require.NoError(t, err)
	out["json nested"] = string(b)
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("login", slog.Any("creds", v), "also", v, slog.Group("g", "v", v))
		out[name] = buf.String()
	}
	return out
}

// assertHidden fails if any rendering holds secret, raw or hex-encoded.
func assertHidden(t *testing.T, renderings map[string]string, secret string) {
	t.Helper()
	for how, s := range renderings {
		for _, form := range []string{secret, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))} {
			assert.NotContains(t, s, form, "%s leaks: %s", how, s)
		}
	}
}

func TestCredentialsFormattingHidesPassword(t *testing.T) {
	c, err := auth.NewCredentials("user@example.com", secretPassword)
	require.NoError(t, err)

	assert.Equal(t, "{MailAddress:user@example.com Password:[REDACTED]}", c.String())
	assert.Equal(t, `auth.Credentials{MailAddress:"user@example.com", Password:"[REDACTED]"}`, c.GoString())
	for _, verb := range []string{"%v", "%+v", "%s"} {
		assert.Equal(t, c.String(), fmt.Sprintf(verb, c), verb)
		assert.Equal(t, c.String(), fmt.Sprintf(verb, &c), verb)
	}
	assert.Equal(t, strconv.Quote(c.String()), fmt.Sprintf("%q", c))
	assert.Equal(t, hex.EncodeToString([]byte(c.String())), fmt.Sprintf("%x", c))
	assert.Equal(t, c.GoString(), fmt.Sprintf("%#v", c))

	// Without MarshalJSON, encoding/json sees the exported field only.
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, `{"MailAddress":"user@example.com"}`, string(b))

	// A struct that holds Credentials in an unexported field is printed by
	// reflection, without String: the password is still only an address.
	type session struct {
		user  string
		creds auth.Credentials
	}
	s := session{"u", c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		assert.NotContains(t, fmt.Sprintf(verb, s), secretPassword, verb)
		assert.NotContains(t, fmt.Sprintf(verb, &s), secretPassword, verb)
	}

	for name, v := range map[string]any{"value": c, "pointer": &c} {
		t.Run(name, func(t *testing.T) {
			r := formats(t, v, credentialVerbs)
			assertHidden(t, r, secretPassword)
			assert.Contains(t, r["slog text"], "[REDACTED]")
			assert.Contains(t, r["slog json"], `"creds":{"MailAddress":"user@example.com"}`)
			assert.Contains(t, r["%v"], "user@example.com", "the mail address is shown")
			assert.Contains(t, r["%d"], "user@example.com", "%d prints the fields")
		})
	}

	// The request body is the one place the password goes.
	assert.Contains(t, string(c.RequestBody()), secretPassword)
	assert.Equal(t, secretPassword, c.Password())
}

func TestInputErrorsNeverHoldThePassword(t *testing.T) {
	for _, pw := range []string{strings.Repeat(secretPassword, 60), secretPassword + "\xff"} {
		_, err := auth.NewCredentials("user@example.com", pw)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secretPassword)
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), secretPassword)
	}
	// Nor the mail address: the message names the field, not the value.
	_, err := auth.NewCredentials("secret.user@@example.com", "pw")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret.user")
	assert.False(t, errors.Is(err, auth.ErrInvalidCredentials))
}

func TestCheckRefreshToken(t *testing.T) {
	const (
		msgRequired = "refreshtoken is required"
		msgTooLong  = "refreshtoken is longer than 3072 bytes"
		msgASCII    = "refreshtoken must be visible ASCII characters only"
	)
	require.Equal(t, 3072, auth.MaxRefreshTokenBytes)
	atLimit := strings.Repeat("t", auth.MaxRefreshTokenBytes)
	tests := []struct {
		name    string
		token   string
		wantErr string
	}{
		{"JWT shape", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", ""},
		{"one character", "x", ""},
		{"base64 specials", "ab+/cd==", ""},
		{"every visible ASCII character", visibleASCII(), ""},
		{"at the limit", atLimit, ""},
		{"empty", "", msgRequired},
		{"over the limit", atLimit + "t", msgTooLong},
		{"far over the limit, length checked first", strings.Repeat("\xff", 4096), msgTooLong},
		{"inner space", "abc def", msgASCII},
		{"leading space", " abc", msgASCII},
		{"trailing newline", "abc\n", msgASCII},
		{"tab", "a\tb", msgASCII},
		{"NUL", "a\x00b", msgASCII},
		{"DEL", "a\x7fb", msgASCII},
		{"non-ASCII", "トークン", msgASCII},
		{"Latin-1 byte", "caf\xe9", msgASCII},
		{"invalid UTF-8", "ab\xff", msgASCII},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckRefreshToken(tt.token)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
			var ie *auth.InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, auth.FieldRefreshToken, ie.Field)
			assert.ErrorIs(t, err, auth.ErrInvalidInput)
			assert.Equal(t, auth.CodeInvalidInput, auth.Code(err))
			if len(tt.token) > 2 {
				assert.NotContains(t, err.Error(), tt.token, "the token is not quoted")
			}
		})
	}
}

// visibleASCII is '!' through '~'.
func visibleASCII() string {
	b := make([]byte, 0, '~'-'!'+1)
	for c := byte('!'); c <= '~'; c++ {
		b = append(b, c)
	}
	return string(b)
}
