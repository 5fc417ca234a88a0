//go:build !js

package e2e

import (
	"crypto/rand"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQueryFormInWranglersLog documents a limit that is wrangler's, not
// ours: when a request's body is cut short, wrangler dev's ProxyWorker logs
// "Error inside ProxyWorker … POST <full URL> …", query included, on stderr
// and in its log file (WRANGLER_LOG_PATH). So a refresh token sent in
// J-Quants' query form (auth_refresh?refreshtoken=…) lands in wrangler's log;
// the same token in the {"refreshtoken"} body does not. The page and the
// module send the body form through a proxy (assertRefreshInBody).
//
// The tokens here are made up (never issued by the fake), so the package's
// secrets scan, which looks for the fake's tokens, does not count the
// documented leak.
func TestQueryFormInWranglersLog(t *testing.T) {
	u, err := url.Parse(worker.URL)
	require.NoError(t, err)
	queryToken, bodyToken := "cut-short-query-"+rand.Text(), "cut-short-body-"+rand.Text()
	from := len(worker.Log())

	// cutShort sends target with a body that ends before its Content-Length
	// says, closes the sending side, and reads what comes back.
	cutShort := func(target, partialBody string) {
		conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
		_, err = io.WriteString(conn, "POST "+target+" HTTP/1.1\r\nHost: "+u.Host+
			"\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"+partialBody)
		require.NoError(t, err)
		require.NoError(t, conn.(*net.TCPConn).CloseWrite())
		answer, _ := io.ReadAll(conn)
		t.Logf("answer to a body cut short: %.80q", answer)
	}
	cutShort(auth.RefreshPath+"?"+auth.FieldRefreshToken+"="+queryToken, `{"x":"`)
	cutShort(auth.RefreshPath, `{"`+auth.FieldRefreshToken+`":"`+bodyToken)

	// wrangler logs each failure a moment after the answer.
	queryURL := worker.URL + auth.RefreshPath + "?" + auth.FieldRefreshToken + "=" + queryToken
	bodyURL := worker.URL + auth.RefreshPath + " "
	var stderr, file string
	both := func(log string) bool {
		return strings.Contains(log, "POST "+queryURL+" ") && strings.Contains(log, "POST "+bodyURL)
	}
	ok := eventually(30*time.Second, func() bool {
		stderr, file = worker.Log()[from:], readLogDir(t, worker.LogDir)
		return both(stderr) && both(file)
	})
	require.True(t, ok, "wrangler did not log both failures\nstderr:\n%s\nlog file:\n%s", tail(stderr, 20), tail(file, 20))

	for name, log := range map[string]string{"stderr": stderr, "log file": file} {
		var line string
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, queryToken) {
				line = l
				break
			}
		}
		assert.Contains(t, line, "Error inside ProxyWorker", "%s: the query form's token is in wrangler's own error line", name)
		assert.NotContains(t, log, bodyToken, "%s: the body form's token", name)
	}
	// Our own log lines never show a query, cut short or not.
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "proxy: ") {
			assert.NotContains(t, l, queryToken, "the proxy's log line")
		}
	}
}

// readLogDir returns wrangler's log files in dir, concatenated.
func readLogDir(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	require.NoError(t, err)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		b.Write(data)
	}
	return b.String()
}
