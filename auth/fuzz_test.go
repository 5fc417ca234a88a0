package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
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

const endpointGone = "J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01"

func isSnakeCode(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_") == ""
}

// checkAnswer checks DecodeAnswer's result against its contract.
func checkAnswer(t *testing.T, a auth.Answer, now time.Time, tok auth.RefreshToken, err error) {
	t.Helper()
	if err == nil {
		require.Equal(t, 200, a.StatusCode, "only a 200 yields a token")
		require.NotEmpty(t, tok.Value, "a nil error implies a token")
		require.Equal(t, now, tok.IssuedAt)
		require.Equal(t, now.Add(auth.TokenLifetime), tok.ExpiresAt)
		want := "RefreshToken{Value:[REDACTED] IssuedAt:" + now.Format(time.RFC3339) + " ExpiresAt:" + tok.ExpiresAt.Format(time.RFC3339) + "}"
		require.Equal(t, want, fmt.Sprintf("%v", tok), "the token is hidden")
		return
	}
	require.Zero(t, tok)
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
	require.LessOrEqual(t, len(e.Message), auth.MaxMessageBytes)
	require.True(t, utf8.ValidString(e.Message))
	require.Equal(t, auth.ParseRetryAfter(a.Header.Get("Retry-After"), now), e.RetryAfter)
	require.GreaterOrEqual(t, e.RetryAfter, time.Duration(0))
	require.LessOrEqual(t, e.RetryAfter, 24*time.Hour)
	require.True(t, e.Code == "" || isSnakeCode(e.Code), "code %q", e.Code)
	require.NotEmpty(t, auth.Code(err))
	require.Equal(t, wantErrorText(e), err.Error())

	// Only upstream's "message" may reach the text; nothing else of the body.
	switch a.StatusCode {
	case 200:
		require.Contains(t, []string{"the answer is not a JSON object", "the answer has no refreshToken"}, e.Message)
	case 404:
		require.Equal(t, endpointGone, e.Message)
	default:
		var m struct {
			Message json.RawMessage `json:"message"`
		}
		var msg string
		if json.Unmarshal(a.Body, &m) != nil || len(m.Message) == 0 || json.Unmarshal(m.Message, &msg) != nil {
			require.Empty(t, e.Message)
		} else {
			require.True(t, strings.HasPrefix(msg, e.Message), "the message is upstream's, cut")
			if len(msg) <= auth.MaxMessageBytes {
				require.Equal(t, msg, e.Message)
			} else {
				require.Greater(t, len(e.Message), auth.MaxMessageBytes-utf8.UTFMax)
			}
		}
	}
}

func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, "", []byte(`{"refreshToken":"tok"}`), secretPassword)
	f.Add(400, "", []byte(`{"message":"'mailaddress' or 'password' is incorrect."}`), "pw")
	f.Add(429, "30", []byte(`{"message":"slow","code":"rate_limited"}`), "hunter2hunter2")
	f.Add(500, "Fri, 01 May 2026 09:00:45 GMT", []byte(`{"message":"Unexpected error. Please try again later."}`), "x")
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte, password string) {
		a := auth.Answer{StatusCode: status, Header: auth.Header{"Retry-After": {retryAfter}}, Body: body}
		tok, err := auth.DecodeAnswer(a, now)
		checkAnswer(t, a, now, tok, err)

		// A body carrying a password (say, echoed by a broken upstream) in any
		// field but "message" never shows it: the text is fixed by status.
		leaky, jerr := json.Marshal(map[string]any{
			"password": password, "mailaddress": password, "detail": password, "error": map[string]string{"message": password},
		})
		require.NoError(t, jerr)
		a.Body = leaky
		tok, err = auth.DecodeAnswer(a, now)
		checkAnswer(t, a, now, tok, err)
		require.Error(t, err)
		var e *auth.Error
		require.True(t, errors.As(err, &e))
		switch status {
		case 200:
			require.Equal(t, "the answer has no refreshToken", e.Message)
		case 404:
			require.Equal(t, endpointGone, e.Message)
		default:
			require.Empty(t, e.Message)
		}
		if len(password) >= 8 && !strings.Contains(wantErrorText(e), password) {
			assert.NotContains(t, err.Error(), password)
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
		require.Equal(t, password, c.Password, "the password is kept as typed")
		verr := c.Validate()
		require.Equal(t, err == nil, verr == nil, "NewCredentials and Validate agree")

		// Formatting shows exactly String or GoString, so never the password.
		require.Equal(t, "{MailAddress:"+c.MailAddress+" Password:[REDACTED]}", c.String())
		require.Equal(t, "auth.Credentials{MailAddress:"+strconv.Quote(c.MailAddress)+", Password:\"[REDACTED]\"}", c.GoString())
		for _, verb := range []string{"%v", "%+v", "%s", "%q", "%x", "%d"} {
			require.Equal(t, c.String(), fmt.Sprintf(verb, c), verb)
		}
		require.Equal(t, c.GoString(), fmt.Sprintf("%#v", c))
		j, jerr := json.Marshal(c)
		require.NoError(t, jerr)
		var shown map[string]string
		require.NoError(t, json.Unmarshal(j, &shown))
		require.Equal(t, "[REDACTED]", shown[auth.FieldPassword])

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
		body, berr := c.RequestBody()
		require.NoError(t, berr)
		require.True(t, strings.HasPrefix(string(body), `{"mailaddress":`))
		var fields map[string]any
		require.NoError(t, json.Unmarshal(body, &fields))
		require.Equal(t, map[string]any{"mailaddress": m, "password": password}, fields)

		// NewCredentials is idempotent on its own output.
		again, aerr := auth.NewCredentials(c.MailAddress, c.Password)
		require.NoError(t, aerr)
		require.Equal(t, c, again)
	})
}
