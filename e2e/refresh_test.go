//go:build !js

package e2e

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refreshAccount logs in through the Worker as a new account and returns
// its mail address and refresh token.
func refreshAccount(t *testing.T, name string) (string, string) {
	t.Helper()
	mail, password := name+"@example.com", pwMarker+"-"+name
	upstream.AddAccount(mail, password)
	r := login(t, worker.URL, mail, password, nil)
	require.True(t, assertLoggedIn(t, r, mail))
	return mail, r.token()
}

// assertIDToken: a 200 whose ID token the fake issued for mail's refresh token.
func assertIDToken(t *testing.T, r reply, mail string) bool {
	t.Helper()
	if !assert.Equal(t, http.StatusOK, r.Status, "body %s", r.Body) || !assertJSONAnswer(t, r) {
		return false
	}
	to, issued := upstream.Handler().IDTokenIssuedTo(r.idToken())
	return assert.True(t, issued, "ID token %q not issued by the fake", r.idToken()) &&
		assert.Equal(t, mail, to, "ID token issued for another account")
}

// TestRefresh (issue 12): POST /v1/token/auth_refresh through the Worker, the
// refresh token in J-Quants' query or in a JSON body.
func TestRefresh(t *testing.T) {
	t.Cleanup(upstream.ClearFault)
	logFrom := len(worker.Log())
	mail, tok := refreshAccount(t, "refresh")
	inQuery := auth.RefreshPath + "?" + auth.FieldRefreshToken + "=" + url.QueryEscape(tok)
	noType := map[string]string{"Content-Type": "", "Origin": otherOrigin}
	jsonBody := func(tok string) string {
		b, err := json.Marshal(map[string]string{auth.FieldRefreshToken: tok})
		require.NoError(t, err)
		return string(b)
	}

	t.Run("query, no body, no Content-Type", func(t *testing.T) {
		n := upstream.Count()
		r := call(t, worker.URL, http.MethodPost, inQuery, "", noType)
		assertIDToken(t, r, mail)
		assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, 1, upstream.Count()-n, "requests to the fake")
		got := lastRequest(t)
		assert.Equal(t, auth.RefreshPath, got.Path)
		assert.True(t, got.RefreshTokenSent)
		assert.Equal(t, auth.FieldRefreshToken+"="+authtest.Redacted, got.Query)
		assert.Zero(t, got.ContentLength, "a body went upstream")
		assert.Empty(t, got.Header.Get("Content-Type"))
	})
	t.Run("JSON body", func(t *testing.T) {
		n := upstream.Count()
		r := call(t, worker.URL, http.MethodPost, auth.RefreshPath, jsonBody(tok), map[string]string{"Origin": otherOrigin})
		assertIDToken(t, r, mail)
		assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"))
		require.Equal(t, 1, upstream.Count()-n, "requests to the fake")
		assert.True(t, lastRequest(t).RefreshTokenSent, "the token goes upstream in J-Quants' query")
	})
	t.Run("origin not allowed", func(t *testing.T) {
		n := upstream.Count()
		for _, r := range []reply{
			call(t, worker.URL, http.MethodPost, inQuery, "", map[string]string{"Content-Type": "", "Origin": strangerOrigin}),
			call(t, worker.URL, http.MethodPost, auth.RefreshPath, jsonBody(tok), map[string]string{"Origin": strangerOrigin}),
		} {
			assert.Equal(t, http.StatusForbidden, r.Status, "body %s", r.Body)
			assertJSONAnswer(t, r)
			assert.Equal(t, proxy.CodeOriginNotAllowed, r.code())
			assertNoCORS(t, r)
		}
		assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
	})
	t.Run("upstream answers pass through", func(t *testing.T) {
		unknown := authtest.TokenPrefix + strings.Repeat("0", 48)
		for _, c := range []struct {
			name    string
			fault   authtest.Fault
			token   string
			status  int
			code    string
			message string
		}{
			{"400 unknown token", authtest.Fault{}, unknown, 400, auth.CodeInvalidCredentials, authtest.MessageRefreshIncorrect},
			{"403", authtest.Fault{Path: auth.RefreshPath, Status: 403, Message: authtest.MessageForbidden, Times: 1}, tok, 403, auth.CodeForbidden, authtest.MessageForbidden},
			{"500", authtest.Fault{Path: auth.RefreshPath, Status: 500, Message: authtest.MessageUnexpected, Times: 1}, tok, 500, auth.CodeUpstreamError, authtest.MessageUnexpected},
		} {
			upstream.SetFault(c.fault)
			n := upstream.Count()
			r := call(t, worker.URL, http.MethodPost, auth.RefreshPath+"?refreshtoken="+c.token, "", noType)
			upstream.ClearFault()
			assert.Equal(t, 1, upstream.Count()-n, "%s: requests to the fake", c.name)
			assert.Equal(t, c.status, r.Status, "%s: body %s", c.name, r.Body)
			assertJSONAnswer(t, r)
			assert.Equal(t, c.code, r.code(), c.name)
			assert.Equal(t, c.message, r.message(), c.name)
			assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"), c.name)
		}
	})
	t.Run("refused before upstream", func(t *testing.T) {
		long := strings.Repeat("t", auth.MaxRefreshTokenBytes+1)
		for _, c := range []struct {
			name, target, body, message string
		}{
			{"no token at all", auth.RefreshPath, "", ""},
			{"empty query value", auth.RefreshPath + "?refreshtoken=", "", "refreshtoken is required"},
			{"empty JSON object", auth.RefreshPath, `{}`, "the field refreshtoken is missing"},
			{"token not a string", auth.RefreshPath, `{"refreshtoken":42}`, "the field refreshtoken must be a string"},
			{"over-long in the query", auth.RefreshPath + "?refreshtoken=" + long, "", "refreshtoken is longer than 3072 bytes"},
			{"over-long in the body", auth.RefreshPath, jsonBody(long), "refreshtoken is longer than 3072 bytes"},
			{"query and body", inQuery, jsonBody(tok), "send the refresh token in the query or in the body, not both"},
		} {
			n := upstream.Count()
			r := call(t, worker.URL, http.MethodPost, c.target, c.body, noType)
			assert.Equal(t, 0, upstream.Count()-n, "%s: requests to the fake", c.name)
			assert.Equal(t, http.StatusBadRequest, r.Status, "%s: body %s", c.name, r.Body)
			assertJSONAnswer(t, r)
			assert.Equal(t, auth.CodeInvalidInput, r.code(), c.name)
			if c.message != "" {
				assert.Equal(t, c.message, r.message(), c.name)
			}
			assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"), c.name)
		}
	})

	// The proxy's log lines name the path, never the query. A line reaches
	// the log a moment after its answer: wait for all fourteen.
	var lines []string
	assert.Eventually(t, func() bool {
		lines = lines[:0]
		for _, line := range strings.Split(worker.Log()[logFrom:], "\n") {
			if strings.HasPrefix(line, "proxy: ") && strings.Contains(line, auth.RefreshPath) {
				lines = append(lines, line)
			}
		}
		return len(lines) >= 14
	}, 10*time.Second, 10*time.Millisecond, "proxy log lines for auth_refresh: %d", len(lines))
	for _, line := range lines {
		assert.NotContains(t, line, "?", "a query in the log: %.120s", line)
		assert.NotContains(t, line, auth.FieldRefreshToken+"=")
	}
}

// pythonHeaders are what Python's requests 2.32.3 sends in every request,
// in its order, after Host.
const pythonHeaders = "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n"

// pythonPost is a POST as requests writes it: Host, User-Agent, the
// session's defaults, Content-Length, then Content-Type when there is one.
func pythonPost(host, userAgent, target, contentType, body string) string {
	s := "POST " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + userAgent + "\r\n" + pythonHeaders +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	if contentType != "" {
		s += "Content-Type: " + contentType + "\r\n"
	}
	return s + "\r\n" + body
}

// pythonJSON is json.dumps(data) with its default separators.
func pythonJSON(mail, password string) string {
	return `{"mailaddress": "` + mail + `", "password": "` + password + `"}`
}

// rawConn is one connection to the Worker, used as a keep-alive client does.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialWorker(t *testing.T) *rawConn {
	t.Helper()
	u, err := url.Parse(worker.URL)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	return &rawConn{conn: conn, br: bufio.NewReader(conn)}
}

// do writes req as it is and reads the answer, gunzipped if it came so (as
// requests does: it asks for gzip).
func (c *rawConn) do(t *testing.T, req string) reply {
	t.Helper()
	_, err := io.WriteString(c.conn, req)
	require.NoError(t, err)
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(t, err)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		require.NoError(t, err)
		defer resp.Body.Close()
		resp.Body = io.NopCloser(zr)
	}
	return newReply(t, resp)
}

// TestPythonClientsReplayed (issue 12): J-Quants' documentation sample
// (requests.post(url, data=json.dumps(data)): a JSON body without
// Content-Type, then auth_refresh?refreshtoken=…) and the official Python
// client, jquants-api-client (auth_user with json=, then auth_refresh with no
// body, on one keep-alive session), replayed byte for byte over TCP, each get
// a refresh token and then an ID token.
func TestPythonClientsReplayed(t *testing.T) {
	u, err := url.Parse(worker.URL)
	require.NoError(t, err)
	for _, c := range []struct {
		name, userAgent, contentType string
		oneConnection                bool
	}{
		{"J-Quants documentation sample", "python-requests/2.32.3", "", false},
		// jquants-api-client's Client._post adds its own User-Agent to
		// each request of its requests.Session; the version is its source's.
		{"jquants-api-client", "jqapi-python/0.0.0 p/3.12.3", "application/json", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			mail, password := strings.ReplaceAll(c.name, " ", "-")+"@example.com", pwMarker+"-python"
			mail = strings.ToLower(mail)
			upstream.AddAccount(mail, password)
			notePassword(password)
			n := upstream.Count()
			conn := dialWorker(t)
			r := conn.do(t, pythonPost(u.Host, c.userAgent, auth.Path, c.contentType, pythonJSON(mail, password)))
			require.True(t, assertLoggedIn(t, r, mail))
			if !c.oneConnection {
				conn = dialWorker(t) // requests.post: a new session, a new connection
			}
			r = conn.do(t, pythonPost(u.Host, c.userAgent, auth.RefreshPath+"?refreshtoken="+r.token(), "", ""))
			assertIDToken(t, r, mail)
			got := lastRequest(t)
			assert.Equal(t, auth.RefreshPath, got.Path)
			assert.True(t, got.RefreshTokenSent)
			assert.Equal(t, 2, upstream.Count()-n, "requests to the fake")
		})
	}
}
