package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/stretchr/testify/require"
)

// parseBodyMessage is every message parseBody returns: fixed text, a field
// name or a byte offset, never anything of the body's values.
var parseBodyMessage = regexp.MustCompile(`^(` +
	`the body is not valid UTF-8` +
	`|the body is not valid JSON \(near byte \d+\)` +
	`|the body must be a JSON object with string fields mailaddress and password` +
	`|the field (mailaddress|password) (appears twice|must be a string|is missing)` +
	`|a field appears twice in the body` +
	`|the body has data after the JSON object` +
	`)$`)

// inputErrorMessage is every message of an *auth.InputError: field and reason.
var inputErrorMessage = regexp.MustCompile(`^(mailaddress|password) (` +
	`is required|is longer than \d+ bytes|is not valid UTF-8` +
	`|must not contain white space or control characters|must contain exactly one @` +
	`|needs a name before the @|needs a domain after the @` +
	`)$`)

var parseBodySeeds = []string{
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
	`null`, `[]`, `"s"`, ``, `{`, `{"mailaddress":`, `{"a":[[[[[[]]]]]]}`,
}

// FuzzParseBody: the handler's decoding of the request body, parseBody and
// then auth.NewCredentials, never panics; what it accepts is exactly what
// encoding/json reads, as valid credentials; what it refuses it explains
// in a message of fixed words that never holds the password. The whole
// handler agrees: 400 for a refusal, the two fields upstream otherwise.
func FuzzParseBody(f *testing.F) {
	for _, s := range parseBodySeeds {
		f.Add([]byte(s))
	}
	var up captureTransport
	h, err := New(Config{Log: io.Discard}, &up)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		mail, password, msg := parseBody(body)
		handlerMsg := msg
		var creds auth.Credentials
		if msg != "" {
			require.Empty(t, mail)
			require.Empty(t, password)
			require.Regexp(t, parseBodyMessage, msg)
		} else {
			// Accepted: a JSON object whose two fields encoding/json reads the same.
			require.True(t, utf8.Valid(body))
			require.True(t, json.Valid(body))
			var m map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(body, &m))
			var jm, jp string
			require.NoError(t, json.Unmarshal(m[auth.FieldMailAddress], &jm))
			require.NoError(t, json.Unmarshal(m[auth.FieldPassword], &jp))
			require.Equal(t, jm, mail)
			require.Equal(t, jp, password)
			var err error
			creds, err = auth.NewCredentials(mail, password)
			if err != nil {
				var ie *auth.InputError
				require.True(t, errors.As(err, &ie))
				handlerMsg = err.Error()
				require.Regexp(t, inputErrorMessage, handlerMsg)
			} else {
				require.NoError(t, creds.Validate())
				require.Equal(t, password, creds.Password)
				require.Equal(t, strings.TrimSpace(mail), creds.MailAddress)
			}
		}

		// The handler, end to end (no upstream but a recorder).
		up.body = nil
		req := httptest.NewRequest(http.MethodPost, auth.Path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var ans map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ans), rec.Body.String())
		if len(body) > MaxBodyBytes {
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
			require.Nil(t, up.body)
			return
		}
		if handlerMsg != "" {
			require.Equal(t, http.StatusBadRequest, rec.Code)
			require.Equal(t, handlerMsg, ans["message"])
			require.Equal(t, auth.CodeInvalidInput, ans["code"])
			require.Nil(t, up.body, "a refused body went upstream")
			return
		}
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var sent map[string]string
		require.NoError(t, json.Unmarshal(up.body, &sent))
		require.Equal(t, map[string]string{auth.FieldMailAddress: creds.MailAddress, auth.FieldPassword: creds.Password}, sent)
	})
}

// captureTransport records the body it is given and issues a token.
type captureTransport struct{ body []byte }

func (c *captureTransport) Post(_ context.Context, _ string, body []byte) (auth.Answer, error) {
	c.body = append([]byte(nil), body...)
	return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"t"}`)}, nil
}

// closeTracker is a request body that records Close.
type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// TestBodyClosed: the handler closes the request body whatever its answer,
// so that in the Worker (where nothing else closes it) a refused upload is
// canceled instead of read to the end.
func TestBodyClosed(t *testing.T) {
	var up captureTransport
	h, err := New(Config{Log: io.Discard}, &up)
	require.NoError(t, err)
	good := `{"mailaddress":"a@b.example","password":"pw-closed"}`
	for _, c := range []struct {
		name, method, path, ctype string
		length                    int64
		status                    int
	}{
		{"413 by Content-Length", http.MethodPost, auth.Path, "application/json", 1 << 20, 413},
		{"415", http.MethodPost, auth.Path, "text/plain", -1, 415},
		{"405", http.MethodPut, auth.Path, "application/json", -1, 405},
		{"404", http.MethodPost, "/other", "application/json", -1, 404},
		{"200", http.MethodPost, auth.Path, "application/json", -1, 200},
	} {
		body := &closeTracker{Reader: strings.NewReader(good)}
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Body = body
		req.ContentLength = c.length
		req.Header.Set("Content-Type", c.ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, c.status, rec.Code, c.name)
		require.True(t, body.closed, "%s: body not closed", c.name)
	}
}
