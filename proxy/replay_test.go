//go:build !js

package proxy_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
)

// Real clients' requests, replayed byte for byte over a raw TCP connection
// to the native proxy (net/http's server around proxy.New), which forwards
// them to the fake J-Quants over authhttp.

const (
	replayMail     = "replay.user@example.com"
	replayPassword = "Replay-Passw0rd!"
)

// pythonJSON is the body Python's json.dumps writes for the two fields: its
// default separators put a space after ':' and ','.
var pythonJSON = `{"mailaddress": "` + replayMail + `", "password": "` + replayPassword + `"}`

// replayProxy starts the fake with the replay account, the proxy in front
// of it on a loopback port, and returns both and the proxy's log.
func replayProxy(t *testing.T) (fake *authtest.Server, addr string, logs *syncBuffer) {
	t.Helper()
	fake = authtest.NewServer()
	t.Cleanup(fake.Close)
	fake.AddAccount(replayMail, replayPassword)
	logs = &syncBuffer{}
	h, err := proxy.New(proxy.Config{BaseURL: fake.URL, Log: logs, Limiter: proxy.NewMemoryLimiter(proxy.DefaultLoginLimit, 0)}, authhttp.Transport{})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return fake, srv.Listener.Addr().String(), logs
}

// exchange writes raw on conn and reads one answer, whose JSON body it decodes.
func exchange(t *testing.T, conn net.Conn, br *bufio.Reader, raw string) (*http.Response, map[string]string) {
	t.Helper()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := io.WriteString(conn, raw)
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, strconv.Itoa(len(b)), resp.Header.Get("Content-Length"), "a sized answer, as Python's requests reads it")
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Empty(t, resp.Header.Get("Content-Encoding"), "Accept-Encoding: gzip is not taken up")
	var m map[string]string
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	return resp, m
}

// request is an HTTP/1.1 request: the request line, then header lines in
// order (Host first, as http.client writes it), a blank line and the body.
func request(target string, header []string, body string) string {
	return "POST " + target + " HTTP/1.1\r\n" + strings.Join(header, "\r\n") + "\r\n\r\n" + body
}

// TestReplayDocumentationSample: J-Quants' documentation logs in with
//
//	requests.post("https://api.jquants.com/v1/token/auth_user", data=json.dumps(data))
//
// which sends the JSON with no Content-Type at all. With requests 2.32.3 on
// the wire:
func TestReplayDocumentationSample(t *testing.T) {
	fake, addr, logs := replayProxy(t)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)

	resp, m := exchange(t, conn, br, request("/v1/token/auth_user", []string{
		"Host: " + addr,
		"User-Agent: python-requests/2.32.3",
		"Accept-Encoding: gzip, deflate",
		"Accept: */*",
		"Connection: keep-alive",
		"Content-Length: " + strconv.Itoa(len(pythonJSON)),
	}, pythonJSON))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", m)
	assert.False(t, resp.Close, "the connection is kept alive")
	tok := m["refreshToken"]
	mail, ok := fake.IssuedTo(tok)
	require.True(t, ok, "the fake issued %q", tok)
	assert.Equal(t, replayMail, mail)

	// The sample's second step, on the kept-alive connection:
	//   requests.post(f"https://api.jquants.com/v1/token/auth_refresh?refreshtoken={REFRESH_TOKEN}")
	resp, m = exchange(t, conn, br, request("/v1/token/auth_refresh?refreshtoken="+tok, []string{
		"Host: " + addr,
		"User-Agent: python-requests/2.32.3",
		"Accept-Encoding: gzip, deflate",
		"Accept: */*",
		"Connection: keep-alive",
		"Content-Length: 0",
	}, ""))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", m)
	mail, ok = fake.IDTokenIssuedTo(m["idToken"])
	require.True(t, ok)
	assert.Equal(t, replayMail, mail)

	checkReplayUpstream(t, fake)
	checkReplayLog(t, logs, tok, m["idToken"])
}

// TestReplayOfficialClient: J-Quants' Python client (jquants-api-client)
// logs in with a requests.Session: get_refresh_token posts json=data, so
// requests writes the JSON itself with Content-Type: application/json;
// get_id_token posts to auth_refresh?refreshtoken=… with no body (requests
// adds Content-Length: 0), on the same pooled connection. Its User-Agent is
// "jqapi-python/<version> p/<python version>".
func TestReplayOfficialClient(t *testing.T) {
	fake, addr, logs := replayProxy(t)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	br := bufio.NewReader(conn)
	const ua = "User-Agent: jqapi-python/1.8.0 p/3.12.3" // version numbers for example

	resp, m := exchange(t, conn, br, request("/v1/token/auth_user", []string{
		"Host: " + addr,
		ua,
		"Accept-Encoding: gzip, deflate",
		"Accept: */*",
		"Connection: keep-alive",
		"Content-Length: " + strconv.Itoa(len(pythonJSON)),
		"Content-Type: application/json",
	}, pythonJSON))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", m)
	tok := m["refreshToken"]
	mail, ok := fake.IssuedTo(tok)
	require.True(t, ok)
	assert.Equal(t, replayMail, mail)

	resp, m = exchange(t, conn, br, request("/v1/token/auth_refresh?refreshtoken="+tok, []string{
		"Host: " + addr,
		ua,
		"Accept-Encoding: gzip, deflate",
		"Accept: */*",
		"Connection: keep-alive",
		"Content-Length: 0",
	}, ""))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%v", m)
	id := m["idToken"]
	mail, ok = fake.IDTokenIssuedTo(id)
	require.True(t, ok)
	assert.Equal(t, replayMail, mail)

	// A wrong refresh token, on the same connection: J-Quants' 400, passed on.
	resp, m = exchange(t, conn, br, request("/v1/token/auth_refresh?refreshtoken="+authtest.TokenPrefix+"00", []string{
		"Host: " + addr, ua, "Accept-Encoding: gzip, deflate", "Accept: */*", "Connection: keep-alive", "Content-Length: 0",
	}, ""))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, map[string]string{"message": authtest.MessageRefreshIncorrect, "code": auth.CodeInvalidCredentials}, m)

	checkReplayUpstream(t, fake)
	checkReplayLog(t, logs, tok, id)
}

// checkReplayUpstream: whatever the client sent, J-Quants gets the
// contract's two requests.
func checkReplayUpstream(t *testing.T, fake *authtest.Server) {
	t.Helper()
	reqs := fake.Requests()
	require.GreaterOrEqual(t, len(reqs), 2)
	for _, r := range reqs[:2] {
		checkUpstreamRequest(t, r)
		assert.NotContains(t, r.Header.Get("User-Agent"), "python", "the caller's User-Agent is not forwarded")
	}
	assert.Equal(t, replayMail, reqs[0].MailAddress)
}

func checkReplayLog(t *testing.T, logs *syncBuffer, secrets ...string) {
	t.Helper()
	log := logs.String()
	assert.Contains(t, log, `proxy: method=POST path="/v1/token/auth_user" status=200`)
	assert.Contains(t, log, `proxy: method=POST path="/v1/token/auth_refresh" status=200`)
	for _, s := range append(secrets, replayPassword) {
		assert.NotContains(t, log, s)
	}
}

// TestReplayCurl: J-Quants' curl sample for the second step,
//
//	curl -XPOST https://api.jquants.com/v1/token/auth_refresh?refreshtoken=$REFRESH_TOKEN
//
// and the same with -d ”, which adds a form Content-Type to no body; both
// are J-Quants' shape and get an ID token.
func TestReplayCurl(t *testing.T) {
	fake, addr, logs := replayProxy(t)
	creds, err := auth.NewCredentials(replayMail, replayPassword)
	require.NoError(t, err)
	tok, err := authhttp.NewClient(fake.URL).AuthUser(t.Context(), creds)
	require.NoError(t, err)
	for name, extra := range map[string][]string{
		"no data": nil,
		"-d ''":   {"Content-Length: 0", "Content-Type: application/x-www-form-urlencoded"},
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			header := append([]string{"Host: " + addr, "User-Agent: curl/8.5.0", "Accept: */*"}, extra...)
			resp, m := exchange(t, conn, bufio.NewReader(conn), request("/v1/token/auth_refresh?refreshtoken="+tok.Value, header, ""))
			require.Equal(t, http.StatusOK, resp.StatusCode, "%v", m)
			mail, ok := fake.IDTokenIssuedTo(m["idToken"])
			require.True(t, ok)
			assert.Equal(t, replayMail, mail)
			assert.Contains(t, logs.String(), `proxy: method=POST path="/v1/token/auth_refresh" status=200`)
			assert.NotContains(t, logs.String(), tok.Value)
			assert.NotContains(t, logs.String(), m["idToken"])
		})
	}
}
