package authtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// These tests cover POST /v1/token/auth_refresh, the clock, path-scoped
// faults and what is recorded; like handler_test.go they need no connection.

// clock is a settable clock for Handler.SetClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// refreshTarget is the auth_refresh URL for token, as a client builds it.
func refreshTarget(token string) string {
	return authtest.RefreshPath + "?" + url.Values{"refreshtoken": {token}}.Encode()
}

// login gets a refresh token for mail from h, or fails the test.
func login(t *testing.T, h http.Handler, mail, password string) string {
	t.Helper()
	w := serve(h, http.MethodPost, auth.Path, loginBody(mail, password))
	require.Equal(t, 200, w.Code, w.Body.String())
	var ok map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok))
	require.True(t, strings.HasPrefix(ok["refreshToken"], authtest.TokenPrefix))
	return ok["refreshToken"]
}

// idToken decodes a 200 auth_refresh answer, or fails the test.
func idToken(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	require.Equal(t, 200, w.Code, w.Body.String())
	var ok map[string]string
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok))
	require.Len(t, ok, 1, "exactly one field")
	id := ok["idToken"]
	require.True(t, strings.HasPrefix(id, authtest.IDTokenPrefix), id)
	require.Len(t, id, len(authtest.IDTokenPrefix)+48)
	return id
}

// percentEncodeAll escapes every byte of s, as %XX.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := range len(s) {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

func TestRefreshContract(t *testing.T) {
	// Each case gets a handler on a fixed clock where the demo account and
	// user@example.com have each logged in once.
	type tokens struct{ demo, user string }
	tests := []struct {
		name       string
		method     string
		target     func(tok tokens) string
		body       string
		advance    time.Duration // the clock moves on after the logins
		wantStatus int
		wantBody   string // exact, for errors
		wantMail   string // the account an ID token is issued to, for 200
	}{
		{name: "demo token", target: func(tok tokens) string { return refreshTarget(tok.demo) }, wantStatus: 200, wantMail: authtest.DemoMailAddress},
		{name: "added account's token", target: func(tok tokens) string { return refreshTarget(tok.user) }, wantStatus: 200, wantMail: "user@example.com"},
		{name: "percent-encoded token", target: func(tok tokens) string {
			return authtest.RefreshPath + "?refreshtoken=" + percentEncodeAll(tok.user)
		}, wantStatus: 200, wantMail: "user@example.com"},
		{name: "other parameters too", target: func(tok tokens) string {
			return authtest.RefreshPath + "?a=1&refreshtoken=" + tok.demo + "&b=2"
		}, wantStatus: 200, wantMail: authtest.DemoMailAddress},
		{name: "body ignored", target: func(tok tokens) string { return refreshTarget(tok.demo) }, body: `{"refreshtoken":"nonsense"}`, wantStatus: 200, wantMail: authtest.DemoMailAddress},
		{name: "a login body ignored", target: func(tok tokens) string { return refreshTarget(tok.demo) }, body: loginBody("user@example.com", secret), wantStatus: 200, wantMail: authtest.DemoMailAddress},
		{name: "just before expiry", target: func(tok tokens) string { return refreshTarget(tok.demo) }, advance: auth.TokenLifetime - time.Nanosecond, wantStatus: 200, wantMail: authtest.DemoMailAddress},
		{name: "clock turned back", target: func(tok tokens) string { return refreshTarget(tok.demo) }, advance: -time.Hour, wantStatus: 200, wantMail: authtest.DemoMailAddress},

		{name: "expired", target: func(tok tokens) string { return refreshTarget(tok.demo) }, advance: auth.TokenLifetime, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "long expired", target: func(tok tokens) string { return refreshTarget(tok.user) }, advance: 30 * 24 * time.Hour, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "unknown token", target: func(tokens) string { return refreshTarget(authtest.TokenPrefix + strings.Repeat("0", 48)) }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "token with a space", target: func(tok tokens) string { return refreshTarget(tok.demo + " ") }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "token cut short", target: func(tok tokens) string { return refreshTarget(tok.demo[:len(tok.demo)-1]) }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "missing query", target: func(tokens) string { return authtest.RefreshPath }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "empty token", target: func(tokens) string { return authtest.RefreshPath + "?refreshtoken=" }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "parameter name in another case", target: func(tok tokens) string { return authtest.RefreshPath + "?refreshToken=" + tok.demo }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "token in the body only", target: func(tokens) string { return authtest.RefreshPath }, body: `{"refreshtoken":"` + authtest.TokenPrefix + `"}`, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},
		{name: "a password is no token", target: func(tokens) string { return refreshTarget(authtest.DemoPassword) }, wantStatus: 400, wantBody: message(authtest.MessageRefreshIncorrect)},

		{name: "GET", method: http.MethodGet, target: func(tok tokens) string { return refreshTarget(tok.demo) }, wantStatus: 403, wantBody: message(authtest.MessageForbidden)},
		{name: "PUT", method: http.MethodPut, target: func(tok tokens) string { return refreshTarget(tok.demo) }, wantStatus: 403, wantBody: message(authtest.MessageForbidden)},
		{name: "GET without a token", method: http.MethodGet, target: func(tokens) string { return authtest.RefreshPath }, wantStatus: 403, wantBody: message(authtest.MessageForbidden)},
		{name: "trailing slash", target: func(tok tokens) string { return authtest.RefreshPath + "/?refreshtoken=" + tok.demo }, wantStatus: 404, wantBody: message("Not Found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := authtest.NewHandler()
			clk := newClock()
			h.SetClock(clk.Now)
			h.AddAccount("user@example.com", secret)
			tok := tokens{
				demo: login(t, h, authtest.DemoMailAddress, authtest.DemoPassword),
				user: login(t, h, "user@example.com", secret),
			}
			clk.Add(tt.advance)

			w := serve(h, cmpOr(tt.method, http.MethodPost), tt.target(tok), tt.body)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, fmt.Sprint(w.Body.Len()), w.Header().Get("Content-Length"))
			assert.Equal(t, 3, h.Count())
			// The refresh tokens stay issued, expired or not, and keep their account.
			for token, mail := range map[string]string{tok.demo: authtest.DemoMailAddress, tok.user: "user@example.com"} {
				got, ok := h.IssuedTo(token)
				assert.True(t, ok)
				assert.Equal(t, mail, got)
			}
			if tt.wantStatus != 200 {
				assert.Equal(t, tt.wantBody, w.Body.String())
				return
			}
			id := idToken(t, w)
			mail, ok := h.IDTokenIssuedTo(id)
			assert.True(t, ok)
			assert.Equal(t, tt.wantMail, mail)
			// An ID token is not a refresh token, and a refresh token not an ID token.
			assert.False(t, h.Issued(id))
			_, ok = h.IssuedTo(id)
			assert.False(t, ok)
			_, ok = h.IDTokenIssuedTo(tok.demo)
			assert.False(t, ok)
			// Nor can it be refreshed.
			assert.Equal(t, message(authtest.MessageRefreshIncorrect), serve(h, http.MethodPost, refreshTarget(id), "").Body.String())
		})
	}
}

func TestRefreshIDTokensDiffer(t *testing.T) {
	h := authtest.NewHandler()
	h.AddAccount("user@example.com", secret)
	demo := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	user := login(t, h, "user@example.com", secret)
	seen := map[string]bool{}
	for i := range 20 {
		// A refresh token serves again and again, each time for a new ID token.
		tok, mail := demo, authtest.DemoMailAddress
		if i%2 == 1 {
			tok, mail = user, "user@example.com"
		}
		id := idToken(t, serve(h, http.MethodPost, refreshTarget(tok), ""))
		got, ok := h.IDTokenIssuedTo(id)
		assert.True(t, ok)
		assert.Equal(t, mail, got)
		seen[id] = true
	}
	assert.Len(t, seen, 20)
	for _, id := range []string{"", authtest.IDTokenPrefix, authtest.IDTokenPrefix + strings.Repeat("0", 48), demo} {
		_, ok := h.IDTokenIssuedTo(id)
		assert.False(t, ok, "%q", id)
	}
}

func TestRefreshExpiry(t *testing.T) {
	h := authtest.NewHandler()
	clk := newClock()
	h.SetClock(clk.Now)
	first := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	clk.Add(6 * 24 * time.Hour)
	second := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)

	clk.Add(24*time.Hour - time.Nanosecond) // first is 1 ns short of a week old
	idToken(t, serve(h, http.MethodPost, refreshTarget(first), ""))
	clk.Add(time.Nanosecond) // a week: expired
	w := serve(h, http.MethodPost, refreshTarget(first), "")
	assert.Equal(t, 400, w.Code)
	assert.Equal(t, message(authtest.MessageRefreshIncorrect), w.Body.String())
	assert.True(t, h.Issued(first), "an expired token was still issued")

	// The second login's token, a day old, has six days left.
	idToken(t, serve(h, http.MethodPost, refreshTarget(second), ""))
	clk.Add(6*24*time.Hour - time.Nanosecond)
	idToken(t, serve(h, http.MethodPost, refreshTarget(second), ""))
	clk.Add(time.Nanosecond)
	assert.Equal(t, 400, serve(h, http.MethodPost, refreshTarget(second), "").Code)

	// A new login works as ever; Reset keeps the clock.
	h.Reset()
	clk.Add(time.Hour)
	third := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	clk.Add(auth.TokenLifetime)
	assert.Equal(t, 400, serve(h, http.MethodPost, refreshTarget(third), "").Code, "the clock survives Reset")

	// SetClock(nil) goes back to the real clock, by which a token issued
	// on the test clock's 2026-01 is long expired… and one issued now is not.
	h.SetClock(nil)
	assert.Equal(t, 400, serve(h, http.MethodPost, refreshTarget(third), "").Code)
	idToken(t, serve(h, http.MethodPost, refreshTarget(login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)), ""))
}

func TestRefreshReset(t *testing.T) {
	h := authtest.NewHandler()
	tok := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	id := idToken(t, serve(h, http.MethodPost, refreshTarget(tok), ""))
	h.Reset()
	_, ok := h.IDTokenIssuedTo(id)
	assert.False(t, ok, "ID tokens are forgotten")
	assert.False(t, h.Issued(tok), "refresh tokens are forgotten")
	assert.Equal(t, 400, serve(h, http.MethodPost, refreshTarget(tok), "").Code)
	assert.Equal(t, 1, h.Count())
}

func TestRefreshAnswersDecode(t *testing.T) {
	// auth decodes auth_user answers; the error answers of auth_refresh
	// share their shape, so they decode to the same kinds.
	h := authtest.NewHandler()
	for _, tc := range []struct {
		method  string
		kind    error
		message string
	}{
		{http.MethodPost, auth.ErrInvalidCredentials, authtest.MessageRefreshIncorrect},
		{http.MethodGet, auth.ErrForbidden, authtest.MessageForbidden},
	} {
		w := serve(h, tc.method, authtest.RefreshPath, "")
		_, err := auth.DecodeAnswer(auth.Answer{StatusCode: w.Code, Header: auth.Header(w.Header()), Body: w.Body.Bytes()}, time.Now())
		assert.ErrorIs(t, err, tc.kind)
		var e *auth.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, tc.message, e.Message)
	}
}

// answer is what a test expects of one request under a fault.
type answer struct {
	code  int
	body  string // exact; "" means the contract's own 200 with a token
	ctype string // Content-Type; "" means application/json
	retry string // Retry-After
}

func TestHandlerFaultsByPath(t *testing.T) {
	contract := answer{code: 200}
	unexpected := answer{code: 500, body: message(authtest.MessageUnexpected)}
	tests := []struct {
		name           string
		fault          authtest.Fault
		login, refresh answer
	}{
		{
			name: "any path", fault: authtest.Fault{Status: 500, Message: authtest.MessageUnexpected},
			login: unexpected, refresh: unexpected,
		},
		{
			name: "auth_refresh only", fault: authtest.Fault{Path: authtest.RefreshPath, Status: 500, Message: authtest.MessageUnexpected},
			login: contract, refresh: unexpected,
		},
		{
			name: "auth_user only", fault: authtest.Fault{Path: auth.Path, Status: 500, Message: authtest.MessageUnexpected},
			login: unexpected, refresh: contract,
		},
		{
			name: "auth_refresh only, raw body", fault: authtest.Fault{Path: authtest.RefreshPath, Body: "<html>maintenance</html>"},
			login: contract, refresh: answer{code: 200, body: "<html>maintenance</html>", ctype: "text/html; charset=utf-8"},
		},
		{
			name: "auth_refresh only, raw body with status and type", fault: authtest.Fault{Path: authtest.RefreshPath, Status: 502, Body: `{"idToken":1}`, ContentType: "application/json"},
			login: contract, refresh: answer{code: 502, body: `{"idToken":1}`},
		},
		{
			name: "auth_refresh only, status with header", fault: authtest.Fault{Path: authtest.RefreshPath, Status: 429, Message: "slow down", Header: http.Header{"Retry-After": {"30"}}},
			login: contract, refresh: answer{code: 429, body: message("slow down"), retry: "30"},
		},
		{
			name: "auth_refresh only, header alone decorates the contract", fault: authtest.Fault{Path: authtest.RefreshPath, Header: http.Header{"Retry-After": {"7"}}},
			login: contract, refresh: answer{code: 200, retry: "7"},
		},
		{
			name: "auth_user only, header alone", fault: authtest.Fault{Path: auth.Path, Header: http.Header{"Retry-After": {"7"}}},
			login: answer{code: 200, retry: "7"}, refresh: contract,
		},
		{
			name: "auth_refresh only, short delay", fault: authtest.Fault{Path: authtest.RefreshPath, Delay: time.Microsecond},
			login: contract, refresh: contract,
		},
		{
			name: "the path must match exactly", fault: authtest.Fault{Path: authtest.RefreshPath + "/", Status: 500},
			login: contract, refresh: contract,
		},
		{
			name: "a path neither endpoint has", fault: authtest.Fault{Path: "/v1/listed/info", Status: 500},
			login: contract, refresh: contract,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := authtest.NewHandler()
			tok := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
			h.SetFault(tt.fault)
			check := func(name string, w *httptest.ResponseRecorder, want answer, tokenField string) {
				t.Helper()
				assert.Equal(t, want.code, w.Code, name)
				assert.Equal(t, cmpOr(want.ctype, "application/json"), w.Header().Get("Content-Type"), name)
				assert.Equal(t, want.retry, w.Header().Get("Retry-After"), name)
				if want.body != "" {
					assert.Equal(t, want.body, w.Body.String(), name)
					return
				}
				var ok map[string]string
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok), name)
				assert.Contains(t, ok, tokenField, name)
			}
			for round := range 2 { // without Times, the fault stays
				check(fmt.Sprint("login ", round), serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword)), tt.login, "refreshToken")
				check(fmt.Sprint("refresh ", round), serve(h, http.MethodPost, refreshTarget(tok), ""), tt.refresh, "idToken")
			}
			assert.Equal(t, 5, h.Count(), "every request is recorded, faulty or not")
			h.SetFault(authtest.Fault{})
			check("login, cleared", serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword)), contract, "refreshToken")
			check("refresh, cleared", serve(h, http.MethodPost, refreshTarget(tok), ""), contract, "idToken")
		})
	}
}

func TestHandlerFaultTimesCountsMatchingRequestsOnly(t *testing.T) {
	for _, path := range []string{authtest.RefreshPath, auth.Path} {
		for _, times := range []int{1, 3} {
			t.Run(fmt.Sprint(path, " ", times), func(t *testing.T) {
				h := authtest.NewHandler()
				tok := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
				requests := map[string]func() *httptest.ResponseRecorder{
					auth.Path: func() *httptest.ResponseRecorder {
						return serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
					},
					authtest.RefreshPath: func() *httptest.ResponseRecorder {
						return serve(h, http.MethodPost, refreshTarget(tok), "")
					},
					"/elsewhere": func() *httptest.ResponseRecorder {
						return serve(h, http.MethodPost, "/elsewhere", "")
					},
				}
				other := auth.Path
				if path == auth.Path {
					other = authtest.RefreshPath
				}
				h.SetFault(authtest.Fault{Path: path, Status: 500, Message: authtest.MessageUnexpected, Times: times})
				for i := range times {
					// Requests elsewhere neither see the fault nor spend it.
					assert.Equal(t, 200, requests[other]().Code, "other endpoint, before %d", i)
					assert.Equal(t, 404, requests["/elsewhere"]().Code, "no endpoint, before %d", i)
					assert.Equal(t, 500, requests[path]().Code, "matching request %d", i)
				}
				assert.Equal(t, 200, requests[path]().Code, "the fault is spent")
				assert.Equal(t, 200, requests[other]().Code)
				assert.Equal(t, 1+3*times+2, h.Count())
			})
		}
	}
}

func TestHandlerFaultDelayByPath(t *testing.T) {
	h := authtest.NewHandler()
	tok := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	h.SetFault(authtest.Fault{Path: authtest.RefreshPath, Delay: time.Hour})

	// A login is not held back (should it be, the timeout ends the test with no answer).
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(loginBody(authtest.DemoMailAddress, authtest.DemoPassword))).WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, 200, w.Code)
	assert.Contains(t, w.Body.String(), authtest.TokenPrefix)

	// A refresh is, until its client goes away.
	ctx, cancel = context.WithCancel(t.Context())
	cancel()
	r = httptest.NewRequest(http.MethodPost, refreshTarget(tok), nil).WithContext(ctx)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Empty(t, w.Body.String(), "no answer for a client that left")
	assert.Equal(t, 3, h.Count())
}

func TestHandlerFaultDropByPath(t *testing.T) {
	h := authtest.NewHandler()
	tok := login(t, h, authtest.DemoMailAddress, authtest.DemoPassword)
	h.SetFault(authtest.Fault{Path: authtest.RefreshPath, Drop: true})
	assert.Equal(t, 200, serve(h, http.MethodPost, auth.Path, loginBody(authtest.DemoMailAddress, authtest.DemoPassword)).Code)
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		serve(h, http.MethodPost, refreshTarget(tok), "")
	}, "a ResponseRecorder cannot be hijacked: the handler aborts")
}

// strs returns every string in v: struct fields, slice elements, map keys
// and values, all the way down.
func strs(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, strs(v.Field(i))...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, strs(v.Index(i))...)
		}
		return out
	case reflect.Map:
		var out []string
		for it := v.MapRange(); it.Next(); {
			out = append(out, strs(it.Key())...)
			out = append(out, strs(it.Value())...)
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return strs(v.Elem())
	default:
		return nil
	}
}

func TestStrsSeesEveryField(t *testing.T) {
	// The scan below relies on strs; make sure it finds a string anywhere a
	// Request can hold one.
	r := authtest.Request{
		Method: "m", Path: "p", Query: "q", Header: http.Header{"K": {"v"}},
		TransferEncoding: []string{"te"}, Fields: []string{"f"}, MailAddress: "a", KeyPlan: "kp",
	}
	assert.ElementsMatch(t, []string{"m", "p", "q", "K", "v", "te", "f", "a", "kp"}, strs(reflect.ValueOf([]authtest.Request{r})))
	var p *authtest.Request
	assert.Empty(t, strs(reflect.ValueOf(p)))
	assert.Equal(t, []string{"x"}, strs(reflect.ValueOf(&struct{ S any }{"x"})))
}

func TestRequestsHoldNoSecrets(t *testing.T) {
	h := authtest.NewHandler()
	h.AddAccount("user@example.com", secret)
	// Secrets are what must never show in a record.
	secrets := []string{secret, authtest.DemoPassword}
	keep := func(s string) string { secrets = append(secrets, s); return s }

	demo := keep(login(t, h, authtest.DemoMailAddress, authtest.DemoPassword))
	user := keep(login(t, h, "user@example.com", secret))
	demoID := keep(idToken(t, serve(h, http.MethodPost, refreshTarget(demo), "")))
	keep(idToken(t, serve(h, http.MethodPost, authtest.RefreshPath+"?refreshtoken="+percentEncodeAll(user), "")))
	// A refresh with a body and headers that carry tokens and passwords.
	r := httptest.NewRequest(http.MethodPost, refreshTarget(user)+"&x=1", strings.NewReader(loginBody("user@example.com", secret)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+demoID)
	r.Header.Set("X-Refresh", user)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	keep(idToken(t, w))
	// Tokens where they do not belong, and values sent as refreshtoken that
	// are no token of this fake: still secrets.
	unknown := keep("Some-Other-Real-Refresh-Token")
	for _, target := range []string{
		authtest.RefreshPath + "?refreshtoken=" + unknown,
		authtest.RefreshPath + "?REFRESHTOKEN=" + keep("secret-in-upper-case-name"),
		authtest.RefreshPath + "?refresh%74oken=" + keep("secret-in-escaped-name"),
		authtest.RefreshPath + "?refreshtoken=" + url.QueryEscape(keep("secret with spaces & ampersand")),
		authtest.RefreshPath + "?token=" + demo + "&id=" + demoID,
		authtest.RefreshPath + "?token=" + percentEncodeAll(user),
		authtest.RefreshPath + "?%zz=" + keep("secret-after-a-bad-name"),
		authtest.RefreshPath + "?refreshtoken=%zz" + keep("secret-with-a-bad-escape"),
		authtest.RefreshPath + "?" + demo,
		authtest.RefreshPath + "/" + user,
		auth.Path + "?refreshtoken=" + demo,
	} {
		serve(h, http.MethodPost, target, "")
	}
	serve(h, http.MethodGet, refreshTarget(demo), `{"refreshtoken":"`+demo+`","`+user+`":1,"mailaddress":"`+demoID+`"}`)

	reqs := h.Requests()
	require.Len(t, reqs, 17)
	all := strs(reflect.ValueOf(reqs))
	require.NotEmpty(t, all)
	for _, s := range all {
		for _, sec := range secrets {
			assert.NotContains(t, s, sec, "a recorded string holds a secret")
		}
		for _, prefix := range []string{authtest.TokenPrefix, authtest.IDTokenPrefix} {
			assert.NotContains(t, s, prefix)
		}
	}
	b, err := json.Marshal(reqs)
	require.NoError(t, err)
	printed := []string{string(b)}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		printed = append(printed, fmt.Sprintf(format, reqs))
	}
	for _, p := range printed {
		for _, sec := range secrets {
			assert.NotContains(t, p, sec)
		}
	}

	// What is kept instead.
	for i, want := range []struct {
		method, path, query string
		sent                bool
		fields              []string
		mail                string
	}{
		{http.MethodPost, auth.Path, "", false, []string{"mailaddress", "password"}, authtest.DemoMailAddress},
		{http.MethodPost, auth.Path, "", false, []string{"mailaddress", "password"}, "user@example.com"},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]", true, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]", true, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]&x=1", true, []string{"mailaddress", "password"}, "user@example.com"},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]", true, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "REFRESHTOKEN=[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "refresh%74oken=[REDACTED]", true, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]", true, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "token=[REDACTED]&id=[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "token=[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "%zz=[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "refreshtoken=[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath, "[REDACTED]", false, nil, ""},
		{http.MethodPost, authtest.RefreshPath + "/[REDACTED]", "", false, nil, ""},
		{http.MethodPost, auth.Path, "refreshtoken=[REDACTED]", true, nil, ""},
		{http.MethodGet, authtest.RefreshPath, "refreshtoken=[REDACTED]", true, []string{"[REDACTED]", "mailaddress", "refreshtoken"}, "[REDACTED]"},
	} {
		got := reqs[i]
		assert.Equal(t, want.method, got.Method, "request %d", i)
		assert.Equal(t, want.path, got.Path, "request %d", i)
		assert.Equal(t, want.query, got.Query, "request %d", i)
		assert.Equal(t, want.sent, got.RefreshTokenSent, "request %d", i)
		assert.Equal(t, want.fields, got.Fields, "request %d", i)
		assert.Equal(t, want.mail, got.MailAddress, "request %d", i)
	}
	// Headers are kept, the tokens in them redacted.
	assert.Equal(t, "Bearer [REDACTED]", reqs[4].Header.Get("Authorization"))
	assert.Equal(t, "[REDACTED]", reqs[4].Header.Get("X-Refresh"))
	assert.Equal(t, "application/json", reqs[4].Header.Get("Content-Type"))
	assert.Zero(t, reqs[2].ContentLength, "auth_refresh takes no body")
	assert.Equal(t, int64(len(loginBody("user@example.com", secret))), reqs[4].ContentLength)
}
