package authtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// These tests call the Handler directly with a ResponseRecorder, so they run
// under GOOS=js too; server_net_test.go covers what needs a real connection.

const secret = "Fake-Server-Secret-Pw!"

func loginBody(mail, password string) string {
	b, err := json.Marshal(map[string]string{"mailaddress": mail, "password": password})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// serve runs one request through h and returns the recorded answer.
func serve(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func message(msg string) string { return `{"message":` + fmt.Sprintf("%q", msg) + `}` }

func TestConstants(t *testing.T) {
	assert.Equal(t, "'mailaddress' or 'password' is incorrect.", authtest.MessageIncorrect)
	assert.Equal(t, "Unexpected error. Please try again later.", authtest.MessageUnexpected)
	assert.Equal(t, "Missing Authentication Token", authtest.MessageForbidden)
	assert.Equal(t, "demo@example.com", authtest.DemoMailAddress)
	assert.NotEmpty(t, authtest.DemoPassword)
	assert.Equal(t, "fake-refresh-token-", authtest.TokenPrefix)
	assert.Equal(t, "fake-id-token-", authtest.IDTokenPrefix)
	assert.Equal(t, "'refreshtoken' is incorrect.", authtest.MessageRefreshIncorrect)
	assert.Equal(t, "/v1/token/auth_refresh", authtest.RefreshPath)
	assert.Equal(t, "[REDACTED]", authtest.Redacted)
	_, err := auth.NewCredentials(authtest.DemoMailAddress, authtest.DemoPassword)
	assert.NoError(t, err, "the demo account passes the client's checks")
}

func TestHandlerContract(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string // exact, unless a token is expected
	}{
		{"demo login", http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword), 200, ""},
		{"added account", http.MethodPost, auth.Path, loginBody("user@example.com", secret), 200, ""},
		{"extra fields ignored", http.MethodPost, auth.Path, `{"mailaddress":"user@example.com","password":"` + secret + `","x":1}`, 200, ""},
		{"wrong password", http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, "wrong"), 400, message(authtest.MessageIncorrect)},
		{"password of another account", http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, secret), 400, message(authtest.MessageIncorrect)},
		{"unknown mail", http.MethodPost, auth.Path, loginBody("nobody@example.com", secret), 400, message(authtest.MessageIncorrect)},
		{"mail differs in case", http.MethodPost, auth.Path, loginBody("USER@example.com", secret), 400, message(authtest.MessageIncorrect)},
		{"password with white space", http.MethodPost, auth.Path, loginBody("user@example.com", " "+secret), 400, message(authtest.MessageIncorrect)},
		{"missing password", http.MethodPost, auth.Path, `{"mailaddress":"user@example.com"}`, 400, message(authtest.MessageIncorrect)},
		{"missing mail", http.MethodPost, auth.Path, `{"password":"` + secret + `"}`, 400, message(authtest.MessageIncorrect)},
		{"password not a string", http.MethodPost, auth.Path, `{"mailaddress":"user@example.com","password":1}`, 400, message(authtest.MessageIncorrect)},
		{"empty body", http.MethodPost, auth.Path, ``, 400, message(authtest.MessageIncorrect)},
		{"not JSON", http.MethodPost, auth.Path, `mailaddress=user@example.com`, 400, message(authtest.MessageIncorrect)},
		{"array", http.MethodPost, auth.Path, `[]`, 400, message(authtest.MessageIncorrect)},
		{"GET", http.MethodGet, auth.Path, ``, 403, message(authtest.MessageForbidden)},
		{"PUT", http.MethodPut, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword), 403, message(authtest.MessageForbidden)},
		{"other path", http.MethodPost, "/v1/token/auth_users", loginBody(authtest.DemoMailAddress, authtest.DemoPassword), 404, message("Not Found")},
		{"auth_refresh does not log in", http.MethodPost, authtest.RefreshPath, loginBody(authtest.DemoMailAddress, authtest.DemoPassword), 400, message(authtest.MessageRefreshIncorrect)},
		{"V1 path under V2", http.MethodGet, "/v2/token/auth_user", ``, 403, message(authtest.MessageNoSuchEndpoint)},
		{"trailing slash", http.MethodPost, auth.Path + "/", loginBody(authtest.DemoMailAddress, authtest.DemoPassword), 404, message("Not Found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := authtest.NewHandler()
			h.AddAccount("user@example.com", secret)
			w := serve(h, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, fmt.Sprint(w.Body.Len()), w.Header().Get("Content-Length"))
			assert.Equal(t, 1, h.Count())
			if tt.wantStatus != 200 {
				assert.Equal(t, tt.wantBody, w.Body.String())
				return
			}
			var ok map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok))
			require.Len(t, ok, 1)
			tok := ok["refreshToken"]
			assert.True(t, strings.HasPrefix(tok, authtest.TokenPrefix))
			assert.Len(t, tok, len(authtest.TokenPrefix)+48)
			assert.True(t, h.Issued(tok))
			mail, issued := h.IssuedTo(tok)
			assert.True(t, issued)
			assert.Equal(t, h.Requests()[0].MailAddress, mail, "issued to the account that logged in")
			// The client decodes it.
			got, err := auth.DecodeAnswer(auth.Answer{StatusCode: w.Code, Header: auth.Header(w.Header()), Body: w.Body.Bytes()}, time.Now())
			require.NoError(t, err)
			assert.Equal(t, tok, got.Value)
		})
	}
}

func TestHandlerAnswersDecode(t *testing.T) {
	// Each documented error answer decodes to its kind.
	h := authtest.NewHandler()
	for _, tc := range []struct {
		method, path string
		kind         error
	}{
		{http.MethodPost, auth.Path, auth.ErrInvalidCredentials},
		{http.MethodGet, auth.Path, auth.ErrForbidden},
		{http.MethodPost, "/nope", auth.ErrEndpointGone},
	} {
		w := serve(h, tc.method, tc.path, `{}`)
		_, err := auth.DecodeAnswer(auth.Answer{StatusCode: w.Code, Header: auth.Header(w.Header()), Body: w.Body.Bytes()}, time.Now())
		assert.ErrorIs(t, err, tc.kind)
	}
}

func TestHandlerReadError(t *testing.T) {
	h := authtest.NewHandler()
	r := httptest.NewRequest(http.MethodPost, auth.Path, iotest.ErrReader(errors.New("reset")))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, 400, w.Code)
	assert.Equal(t, message(authtest.MessageIncorrect), w.Body.String())
}

func TestHandlerTokensDiffer(t *testing.T) {
	h := authtest.NewHandler()
	seen := map[string]bool{}
	for range 20 {
		w := serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
		require.Equal(t, 200, w.Code)
		seen[w.Body.String()] = true
	}
	assert.Len(t, seen, 20)
	assert.False(t, h.Issued(authtest.TokenPrefix+"0000"))
	assert.False(t, h.Issued(""))
	_, issued := h.IssuedTo("")
	assert.False(t, issued)
}

func TestHandlerAddAccountReplaces(t *testing.T) {
	h := authtest.NewHandler()
	h.AddAccount(authtest.DemoMailAddress, "new-password")
	assert.Equal(t, 400, serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword)).Code)
	assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, "new-password")).Code)
}

func TestHandlerRecordsRequestsWithoutPasswords(t *testing.T) {
	h := authtest.NewHandler()
	h.AddAccount("user@example.com", secret)
	serve(h, http.MethodPost, auth.Path, loginBody("user@example.com", secret))
	serve(h, http.MethodPost, auth.Path, `{"password":"`+secret+`","zeta":1,"alpha":2}`)
	serve(h, http.MethodGet, "/other", ``)
	serve(h, http.MethodPost, auth.Path, `not json `+secret)

	reqs := h.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, 4, h.Count())

	assert.Equal(t, http.MethodPost, reqs[0].Method)
	assert.Equal(t, auth.Path, reqs[0].Path)
	assert.Equal(t, []string{"mailaddress", "password"}, reqs[0].Fields)
	assert.Equal(t, "user@example.com", reqs[0].MailAddress)
	assert.Equal(t, int64(len(loginBody("user@example.com", secret))), reqs[0].ContentLength)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"))

	assert.Equal(t, []string{"alpha", "password", "zeta"}, reqs[1].Fields, "sorted")
	assert.Empty(t, reqs[1].MailAddress)
	assert.Equal(t, http.MethodGet, reqs[2].Method)
	assert.Equal(t, "/other", reqs[2].Path)
	assert.Empty(t, reqs[2].Fields)
	assert.Empty(t, reqs[3].Fields)

	for _, format := range []string{"%v", "%+v", "%#v"} {
		assert.NotContains(t, fmt.Sprintf(format, reqs), secret)
	}
	b, err := json.Marshal(reqs)
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)

	// Requests returns a copy.
	reqs[0].MailAddress = "changed"
	assert.Equal(t, "user@example.com", h.Requests()[0].MailAddress)
}

func TestHandlerFaults(t *testing.T) {
	demo := loginBody(authtest.DemoMailAddress, authtest.DemoPassword)
	tests := []struct {
		name      string
		fault     authtest.Fault
		path      string
		wantCode  int
		wantBody  string
		wantType  string
		wantRetry string
	}{
		{
			name: "status and message", fault: authtest.Fault{Status: 500, Message: authtest.MessageUnexpected},
			wantCode: 500, wantBody: message(authtest.MessageUnexpected), wantType: "application/json",
		},
		{
			name: "status without message", fault: authtest.Fault{Status: 503},
			wantCode: 503, wantBody: `{"message":""}`, wantType: "application/json",
		},
		{
			name: "status applies on any path", fault: authtest.Fault{Status: 429, Message: "slow down"}, path: "/elsewhere",
			wantCode: 429, wantBody: message("slow down"), wantType: "application/json",
		},
		{
			name: "status with header", fault: authtest.Fault{Status: 429, Message: "slow down", Header: http.Header{"Retry-After": {"30"}}},
			wantCode: 429, wantBody: message("slow down"), wantType: "application/json", wantRetry: "30",
		},
		{
			name: "raw body", fault: authtest.Fault{Body: "<html>maintenance</html>"},
			wantCode: 200, wantBody: "<html>maintenance</html>", wantType: "text/html; charset=utf-8",
		},
		{
			name: "raw body with status and type", fault: authtest.Fault{Status: 502, Body: `{"refreshToken":1}`, ContentType: "application/json"},
			wantCode: 502, wantBody: `{"refreshToken":1}`, wantType: "application/json",
		},
		{
			name: "raw body with header", fault: authtest.Fault{Status: 503, Body: "busy", Header: http.Header{"Retry-After": {"5"}}},
			wantCode: 503, wantBody: "busy", wantType: "text/html; charset=utf-8", wantRetry: "5",
		},
		{
			name: "header alone decorates the contract", fault: authtest.Fault{Header: http.Header{"Retry-After": {"7"}}},
			wantCode: 200, wantType: "application/json", wantRetry: "7",
		},
		{
			name: "short delay, then the contract", fault: authtest.Fault{Delay: time.Microsecond},
			wantCode: 200, wantType: "application/json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := authtest.NewHandler()
			h.SetFault(tt.fault)
			w := serve(h, http.MethodPost, cmpOr(tt.path, auth.Path), demo)
			assert.Equal(t, tt.wantCode, w.Code)
			assert.Equal(t, tt.wantType, w.Header().Get("Content-Type"))
			assert.Equal(t, tt.wantRetry, w.Header().Get("Retry-After"))
			if tt.wantBody != "" {
				assert.Equal(t, tt.wantBody, w.Body.String())
			} else {
				assert.Contains(t, w.Body.String(), authtest.TokenPrefix)
			}
			assert.Equal(t, 1, h.Count(), "faulty answers are counted too")

			// The fault stays until cleared.
			again := serve(h, http.MethodPost, cmpOr(tt.path, auth.Path), demo)
			assert.Equal(t, tt.wantCode, again.Code)
			h.SetFault(authtest.Fault{})
			assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, demo).Code)
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func TestHandlerFaultTimes(t *testing.T) {
	demo := loginBody(authtest.DemoMailAddress, authtest.DemoPassword)
	for _, times := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(times), func(t *testing.T) {
			h := authtest.NewHandler()
			h.SetFault(authtest.Fault{Status: 500, Message: authtest.MessageUnexpected, Times: times})
			for i := range times {
				assert.Equal(t, 500, serve(h, http.MethodPost, auth.Path, demo).Code, "request %d", i)
			}
			assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, demo).Code, "the fault is spent")
			assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, demo).Code)
			assert.Equal(t, times+2, h.Count())
		})
	}
}

func TestHandlerDelayEndsWhenTheClientGoesAway(t *testing.T) {
	h := authtest.NewHandler()
	h.SetFault(authtest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(loginBody(authtest.DemoMailAddress, authtest.DemoPassword))).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r) // returns at once: the request's context is done
	assert.False(t, w.Flushed)
	assert.Empty(t, w.Body.String(), "no answer for a client that left")
	assert.Equal(t, 1, h.Count())
	assert.Equal(t, 1, h.Gone(), "the client that left is counted")

	h.SetFault(authtest.Fault{Delay: time.Microsecond})
	serve(h, http.MethodPost, auth.Path, `{}`)
	assert.Equal(t, 1, h.Gone(), "a client that waited is not")
	h.Reset()
	assert.Zero(t, h.Gone())
}

func TestHandlerDropNeedsAConnection(t *testing.T) {
	// A ResponseRecorder cannot be hijacked: the handler aborts, which a real
	// server turns into a dropped connection.
	h := authtest.NewHandler()
	h.SetFault(authtest.Fault{Drop: true})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		serve(h, http.MethodPost, auth.Path, `{}`)
	})
}

func TestHandlerReset(t *testing.T) {
	h := authtest.NewHandler()
	w := serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	var ok map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok))
	tok := ok["refreshToken"]
	require.True(t, h.Issued(tok))
	h.SetFault(authtest.Fault{Status: 500})

	h.Reset()
	assert.Zero(t, h.Count())
	assert.Empty(t, h.Requests())
	assert.False(t, h.Issued(tok), "issued tokens are forgotten")
	w = serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	assert.Equal(t, 200, w.Code, "the fault is cleared")
	assert.Equal(t, 1, h.Count())
	// Accounts stay.
	h.AddAccount("user@example.com", secret)
	h.Reset()
	assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, loginBody("user@example.com", secret)).Code)
}

func TestHandlerLargeBody(t *testing.T) {
	// Over the 1 MiB the fake reads: the JSON is cut and so refused.
	h := authtest.NewHandler()
	body := `{"mailaddress":"demo@example.com","password":"` + authtest.DemoPassword + `","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	w := serve(h, http.MethodPost, auth.Path, body)
	assert.Equal(t, 400, w.Code)
	_, _ = io.Copy(io.Discard, w.Body)
}
