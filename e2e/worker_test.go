//go:build !js

package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/internal/wranglerdev"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reply is one answer of a Worker, read whole.
type reply struct {
	Status int
	Header http.Header
	Body   string
	JSON   map[string]any // nil unless the body is a JSON object
}

func (r reply) str(key string) string { s, _ := r.JSON[key].(string); return s }
func (r reply) message() string       { return r.str("message") }
func (r reply) code() string          { return r.str("code") }
func (r reply) token() string         { return r.str("refreshToken") }
func (r reply) idToken() string       { return r.str("idToken") }

// newReply reads resp whole and notes it for the secrets scan.
func newReply(t *testing.T, resp *http.Response) reply {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return makeReply(resp.StatusCode, resp.Header, string(raw))
}

// makeReply parses body and notes the answer for the secrets scan.
func makeReply(status int, header http.Header, body string) reply {
	r := reply{Status: status, Header: header, Body: body}
	if json.Unmarshal([]byte(body), &r.JSON) != nil {
		r.JSON = nil
	}
	noteAnswer(r)
	return r
}

// call sends method path (with body and header) to the Worker at base. A
// POST gets Content-Type: application/json unless header names it ("" to
// send none). A password in a JSON body is noted for the secrets scan.
func call(t *testing.T, base, method, path, body string, header map[string]string) reply {
	t.Helper()
	notePasswordsIn(body)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, rd)
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	return newReply(t, resp)
}

// loginBody is the contract's request body.
func loginBody(mail, password string) string {
	b, err := json.Marshal(map[string]string{auth.FieldMailAddress: mail, auth.FieldPassword: password})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// login posts the contract body to the Worker at base.
func login(t *testing.T, base, mail, password string, header map[string]string) reply {
	t.Helper()
	return call(t, base, http.MethodPost, auth.Path, loginBody(mail, password), header)
}

// post is the first helper of the package, kept for its callers: a POST of
// body to the shared Worker's endpoint.
func post(t *testing.T, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	r := call(t, worker.URL, http.MethodPost, auth.Path, body, header)
	require.NotNil(t, r.JSON, "body %q", r.Body)
	return &http.Response{StatusCode: r.Status, Header: r.Header}, r.JSON
}

// assertJSONAnswer: every answer of the Worker is a JSON object with
// Cache-Control: no-store; an error carries a message and a code.
func assertJSONAnswer(t *testing.T, r reply) bool {
	t.Helper()
	ok := assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"), "body %s", r.Body)
	ok = assert.Equal(t, "no-store", r.Header.Get("Cache-Control")) && ok
	ok = assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options")) && ok
	if !assert.NotNil(t, r.JSON, "not a JSON object: %q", r.Body) {
		return false
	}
	if r.Status == http.StatusOK {
		return assert.NotEmpty(t, r.token()+r.idToken(), "200 without a token: %s", r.Body) && ok
	}
	ok = assert.NotEmpty(t, r.message(), "error without a message: %s", r.Body) && ok
	return assert.NotEmpty(t, r.code(), "error without a code: %s", r.Body) && ok
}

// assertLoggedIn: a 200 whose token the fake issued to mail.
func assertLoggedIn(t *testing.T, r reply, mail string) bool {
	t.Helper()
	if !assert.Equal(t, http.StatusOK, r.Status, "body %s", r.Body) || !assertJSONAnswer(t, r) {
		return false
	}
	to, issued := upstream.Handler().IssuedTo(r.token())
	return assert.True(t, issued, "token %q not issued by the fake", r.token()) &&
		assert.Equal(t, mail, to, "token issued to another account")
}

// assertNoCORS: an answer that grants no cross-origin access.
func assertNoCORS(t *testing.T, r reply) {
	t.Helper()
	for k := range r.Header {
		assert.False(t, strings.HasPrefix(strings.ToLower(k), "access-control-"), "CORS header %s: %v", k, r.Header[k])
	}
}

// demoLogin logs in to the shared Worker with the fake's demo account.
func demoLogin(t *testing.T) bool {
	t.Helper()
	return assertLoggedIn(t, login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, nil), authtest.DemoMailAddress)
}

// lastRequest is what the fake recorded last.
func lastRequest(t *testing.T) authtest.Request {
	t.Helper()
	reqs := upstream.Requests()
	require.NotEmpty(t, reqs)
	return reqs[len(reqs)-1]
}

// rawExchange writes head and then first on a new connection to the Worker
// at base, goes on writing rest (if any) while it reads the answer, and
// returns the answer and how many bytes of first and rest were written
// before the answer's head arrived. A write error is ignored: the caller
// asserts on the answer, which must have been read.
func rawExchange(t *testing.T, base string, head string, first []byte, rest io.Reader) (reply, int64) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	notePasswordsIn(string(first))
	_, err = io.WriteString(conn, head)
	require.NoError(t, err)
	written := &countWriter{w: conn}
	_, err = written.Write(first)
	require.NoError(t, err)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		if rest != nil {
			io.Copy(written, rest) // an error here means the Worker stopped reading
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	atAnswer := written.load()
	require.NoError(t, err, "no answer after %d body bytes", atAnswer)
	r := newReply(t, resp)
	conn.Close() // ends a writer still blocked
	<-wrote
	return r, atAnswer
}

// rawPost is rawExchange of a whole POST to target with a JSON body.
func rawPost(t *testing.T, base, target, body string, header ...string) reply {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	head := "POST " + target + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n"
	for _, h := range header {
		head += h + "\r\n"
	}
	r, _ := rawExchange(t, base, head+"\r\n", []byte(body), nil)
	return r
}

func TestWorkerLogsIn(t *testing.T) {
	resp, m := post(t, `{"mailaddress":"`+authtest.DemoMailAddress+`","password":"`+authtest.DemoPassword+`"}`, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	tok, _ := m["refreshToken"].(string)
	assert.True(t, upstream.Handler().Issued(tok), "token %q not issued by the fake", tok)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}

// TestContractForwarding: the contract body goes upstream as exactly its two
// fields, with a Content-Length, and nothing of the caller's headers.
func TestContractForwarding(t *testing.T) {
	mail, password := "contract@example.com", pwMarker+"contract-Zq7!"
	upstream.AddAccount(mail, password)
	n := upstream.Count()
	secretHeaders := map[string]string{
		"Cookie":          "session=e2e-cookie-value-4711",
		"Authorization":   "Bearer e2e-authorization-value-4711",
		"Origin":          otherOrigin,
		"X-Private":       "e2e-private-value-4711",
		"X-Forwarded-For": "198.51.100.23",
		"Referer":         otherOrigin + "/e2e-referer-path",
	}
	r := login(t, worker.URL, mail, password, secretHeaders)
	assertLoggedIn(t, r, mail)
	assert.Equal(t, otherOrigin, r.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, r.Header.Values("Vary"), "Origin")
	require.Equal(t, 1, upstream.Count()-n, "requests to the fake")

	got := lastRequest(t)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, auth.Path, got.Path)
	assert.Equal(t, []string{auth.FieldMailAddress, auth.FieldPassword}, got.Fields)
	assert.Equal(t, mail, got.MailAddress)
	creds, err := auth.NewCredentials(mail, password)
	require.NoError(t, err)
	assert.Equal(t, int64(len(creds.RequestBody())), got.ContentLength, "Content-Length of the upstream request")
	assert.NotContains(t, got.TransferEncoding, "chunked")
	assert.Empty(t, got.Header.Values("Transfer-Encoding"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	for _, h := range []string{"Cookie", "Authorization", "Origin", "X-Private", "Referer"} {
		assert.Empty(t, got.Header.Values(h), "caller's %s forwarded upstream", h)
	}
	for k, vs := range got.Header {
		for _, v := range vs {
			for name, secret := range secretHeaders {
				if name != "X-Forwarded-For" && name != "Origin" {
					assert.NotContains(t, v, secret, "caller's %s in upstream header %s", name, k)
				}
			}
		}
	}
	t.Logf("contract: upstream got %s %s, fields %v, Content-Length %d, headers %v",
		got.Method, got.Path, got.Fields, got.ContentLength, slices.Sorted(maps.Keys(got.Header)))
}

// TestContractUpstreamAnswers: 400, 403 and 500 pass J-Quants' status and
// message; 429 keeps its Retry-After. Each goes upstream exactly once.
func TestContractUpstreamAnswers(t *testing.T) {
	t.Cleanup(upstream.ClearFault)
	cases := []struct {
		name    string
		fault   authtest.Fault
		status  int
		code    string
		message string
		retry   string
	}{
		{"400 wrong password", authtest.Fault{}, 400, auth.CodeInvalidCredentials, authtest.MessageIncorrect, ""},
		{"403", authtest.Fault{Status: 403, Message: authtest.MessageForbidden, Times: 1}, 403, auth.CodeForbidden, authtest.MessageForbidden, ""},
		{"500", authtest.Fault{Status: 500, Message: authtest.MessageUnexpected, Times: 1}, 500, auth.CodeUpstreamError, authtest.MessageUnexpected, ""},
		{"429", authtest.Fault{Status: 429, Message: "Rate exceeded.", Header: http.Header{"Retry-After": {"12"}}, Times: 1}, 429, auth.CodeRateLimited, "Rate exceeded.", "12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			password := authtest.DemoPassword
			if c.status == 400 {
				password = pwMarker + "wrong-contract"
			}
			upstream.SetFault(c.fault)
			n := upstream.Count()
			r := login(t, worker.URL, authtest.DemoMailAddress, password, nil)
			upstream.ClearFault()
			assert.Equal(t, 1, upstream.Count()-n, "requests to the fake")
			assert.Equal(t, c.status, r.Status, "body %s", r.Body)
			assertJSONAnswer(t, r)
			assert.Equal(t, c.message, r.message())
			assert.Equal(t, c.code, r.code())
			assert.Equal(t, c.retry, r.Header.Get("Retry-After"))
		})
	}
}

// TestCORS: preflights and POSTs from the allowed origin, the Worker's own
// origin and a stranger.
func TestCORS(t *testing.T) {
	preflight := func(t *testing.T, origin string, reqHeaders string) reply {
		t.Helper()
		h := map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}
		if reqHeaders != "" {
			h["Access-Control-Request-Headers"] = reqHeaders
		}
		return call(t, worker.URL, http.MethodOptions, auth.Path, "", h)
	}
	allowed := func(t *testing.T, origin string) {
		n := upstream.Count()
		r := preflight(t, origin, "content-type")
		assert.Equal(t, http.StatusNoContent, r.Status)
		assert.Empty(t, r.Body)
		assert.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, strings.Split(r.Header.Get("Access-Control-Allow-Methods"), ", "), "POST")
		assert.Contains(t, strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "content-type")
		assert.Equal(t, "600", r.Header.Get("Access-Control-Max-Age"))
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		assert.Contains(t, strings.Join(r.Header.Values("Vary"), ","), "Origin")
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Credentials"))
		assert.Equal(t, 0, upstream.Count()-n, "a preflight goes nowhere")

		lr := login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, map[string]string{"Origin": origin})
		assertLoggedIn(t, lr, authtest.DemoMailAddress)
		assert.Equal(t, origin, lr.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "Retry-After", lr.Header.Get("Access-Control-Expose-Headers"))
		assert.Contains(t, strings.Join(lr.Header.Values("Vary"), ","), "Origin")
	}
	t.Run("allowed origin", func(t *testing.T) { allowed(t, otherOrigin) })
	t.Run("own origin", func(t *testing.T) { allowed(t, worker.URL) })
	t.Run("no origin", func(t *testing.T) {
		r := login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, nil)
		assertLoggedIn(t, r, authtest.DemoMailAddress)
		assertNoCORS(t, r)
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
	})
	t.Run("header not allowed", func(t *testing.T) {
		r := preflight(t, otherOrigin, "authorization")
		assert.Equal(t, http.StatusNoContent, r.Status)
		assertNoCORS(t, r)
	})
	t.Run("stranger", func(t *testing.T) {
		n := upstream.Count()
		r := preflight(t, strangerOrigin, "content-type")
		assert.Equal(t, http.StatusForbidden, r.Status)
		assertJSONAnswer(t, r)
		assert.Equal(t, "origin_not_allowed", r.code())
		assertNoCORS(t, r)

		r = login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, map[string]string{"Origin": strangerOrigin})
		assert.Equal(t, http.StatusForbidden, r.Status)
		assertJSONAnswer(t, r)
		assert.Equal(t, "this origin may not use the proxy: add it to ALLOWED_ORIGINS", r.message())
		assert.Equal(t, "origin_not_allowed", r.code())
		assertNoCORS(t, r)
		assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
	})
}

// webHeader is the value web/_headers gives name for every path (/*).
func webHeader(t *testing.T, name string) string {
	t.Helper()
	root, err := wranglerdev.RepoRoot()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "web", "_headers"))
	require.NoError(t, err)
	inAll := false
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			inAll = strings.TrimSpace(line) == "/*"
			continue
		}
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && inAll && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("web/_headers sets no %s for /*", name)
	return ""
}

// TestAssets: / is the page from build/web/ with web/_headers' headers; /v1/* is
// the Worker's, asset or not.
func TestAssets(t *testing.T) {
	n := upstream.Count()
	r := call(t, worker.URL, http.MethodGet, "/", "", nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/html"), r.Header.Get("Content-Type"))
	assert.Equal(t, webHeader(t, "Content-Security-Policy"), r.Header.Get("Content-Security-Policy"))
	assert.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
	assert.Contains(t, strings.ToLower(r.Body), "<html")

	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, auth.Path, 405, "method_not_allowed"},
		{http.MethodGet, "/v1/index.html", 404, "not_found"},
		{http.MethodPost, "/v1/other", 404, "not_found"},
	} {
		r := call(t, worker.URL, c.method, c.path, "", nil)
		assert.Equal(t, c.status, r.Status, "%s %s: %s", c.method, c.path, r.Body)
		assertJSONAnswer(t, r)
		assert.Equal(t, c.code, r.code(), "%s %s", c.method, c.path)
	}
	assert.Equal(t, 0, upstream.Count()-n, "requests to the fake")
}

// countWriter counts what it passes on; load is safe from another goroutine.
type countWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countWriter) load() int64 { return c.n.Load() }
