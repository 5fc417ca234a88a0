//go:build !js

package authtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// post sends body to srv's endpoint with a sized body.
func post(t *testing.T, ctx context.Context, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+auth.Path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestServerURL(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	assert.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`), srv.URL)
	assert.NotNil(t, srv.Handler())
}

func TestServerSizedBody(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	body := loginBody(authtest.DemoMailAddress, authtest.DemoPassword)
	resp, err := post(t, t.Context(), srv.URL, body)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	var ok map[string]string
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
	assert.True(t, srv.Issued(ok["refreshToken"]))
	assert.True(t, srv.Handler().Issued(ok["refreshToken"]))

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, int64(len(body)), reqs[0].ContentLength)
	assert.Empty(t, reqs[0].TransferEncoding)
}

func TestServerChunkedBody(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+auth.Path, pr)
	require.NoError(t, err)
	req.ContentLength = -1 // unknown: net/http sends it chunked
	req.Header.Set("Content-Type", "application/json")
	go func() {
		// Two writes, two chunks.
		body := loginBody(authtest.DemoMailAddress, authtest.DemoPassword)
		_, _ = io.WriteString(pw, body[:10])
		_, _ = io.WriteString(pw, body[10:])
		pw.Close()
	}()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, readAll(t, resp), authtest.TokenPrefix)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, int64(-1), reqs[0].ContentLength)
	assert.Equal(t, []string{"chunked"}, reqs[0].TransferEncoding)
	assert.Equal(t, []string{"mailaddress", "password"}, reqs[0].Fields)
	assert.Equal(t, authtest.DemoMailAddress, reqs[0].MailAddress)
}

func TestServerDelegates(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.AddAccount("user@example.com", secret)
	resp, err := post(t, t.Context(), srv.URL, loginBody("user@example.com", secret))
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	readAll(t, resp)

	srv.SetFault(authtest.Fault{Status: 500, Message: authtest.MessageUnexpected})
	resp, err = post(t, t.Context(), srv.URL, loginBody("user@example.com", secret))
	require.NoError(t, err)
	assert.Equal(t, 500, resp.StatusCode)
	assert.Equal(t, message(authtest.MessageUnexpected), readAll(t, resp))

	srv.ClearFault()
	resp, err = post(t, t.Context(), srv.URL, loginBody("user@example.com", secret))
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	readAll(t, resp)

	assert.Equal(t, 3, srv.Count())
	assert.Len(t, srv.Requests(), 3)
	srv.Reset()
	assert.Zero(t, srv.Count())
	assert.Empty(t, srv.Requests())
}

func TestServerDrop(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.SetFault(authtest.Fault{Drop: true, Times: 1})
	_, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	require.Error(t, err, "no answer at all")
	assert.Equal(t, 1, srv.Count())

	// Times: 1 — the next request is answered.
	resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	readAll(t, resp)
}

func TestServerTruncate(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	srv.SetFault(authtest.Fault{Truncate: true})
	resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, int64(100), resp.ContentLength)
	b, err := io.ReadAll(resp.Body)
	// An unexpected EOF, or a reset: the fake closes with SO_LINGER 0.
	assert.Error(t, err)
	assert.True(t, strings.HasPrefix(`{"refreshToken":"trunc`, string(b)), "got %q", b)
	assert.Less(t, len(b), 100)
}

// TestServerDelay mounts the Handler in a server of its own, to see when the
// handler returns.
func TestServerDelay(t *testing.T) {
	t.Run("answers after the delay", func(t *testing.T) {
		srv := authtest.NewServer()
		defer srv.Close()
		srv.SetFault(authtest.Fault{Delay: time.Millisecond, Status: 500})
		start := time.Now()
		resp, err := post(t, t.Context(), srv.URL, `{}`)
		require.NoError(t, err)
		assert.Equal(t, 500, resp.StatusCode)
		readAll(t, resp)
		assert.GreaterOrEqual(t, time.Since(start), time.Millisecond)
	})
	t.Run("ends early when the client goes away", func(t *testing.T) {
		h := authtest.NewHandler()
		h.SetFault(authtest.Fault{Delay: time.Hour})
		arrived, returned := make(chan struct{}), make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			h.ServeHTTP(w, r)
			close(returned)
		}))
		defer ts.Close()
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-arrived
			cancel()
		}()
		_, err := post(t, ctx, ts.URL, `{}`)
		assert.ErrorIs(t, err, context.Canceled)
		<-returned // would block for an hour if the delay did not end
		assert.Equal(t, 1, h.Count())
	})
	t.Run("Close ends delayed answers", func(t *testing.T) {
		srv := authtest.NewServer()
		srv.SetFault(authtest.Fault{Delay: time.Hour})
		wrote := make(chan struct{})
		var once sync.Once
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) },
		})
		errc := make(chan error, 1)
		go func() {
			_, err := post(t, ctx, srv.URL, `{}`)
			errc <- err
		}()
		<-wrote
		srv.Close() // returns: the connection is closed under the handler
		assert.Error(t, <-errc)
	})
}

func TestServerConcurrentLogins(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	const n = 20
	tokens := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
			if !assert.NoError(t, err) {
				return
			}
			var ok map[string]string
			assert.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
			tokens <- ok["refreshToken"]
		})
	}
	wg.Wait()
	close(tokens)
	seen := map[string]bool{}
	for tok := range tokens {
		assert.True(t, srv.Issued(tok))
		seen[tok] = true
	}
	assert.Len(t, seen, n)
	assert.Equal(t, n, srv.Count())
}

// refresh posts to srv's auth_refresh with token in the query and no body,
// as a J-Quants client does.
func refresh(t *testing.T, ctx context.Context, url, token string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+refreshTarget(token), nil)
	require.NoError(t, err)
	return http.DefaultClient.Do(req)
}

func TestServerRefresh(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	clk := newClock()
	srv.SetClock(clk.Now)
	srv.AddAccount("user@example.com", secret)
	resp, err := post(t, t.Context(), srv.URL, loginBody("user@example.com", secret))
	require.NoError(t, err)
	var ok map[string]string
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
	tok := ok["refreshToken"]
	mail, issued := srv.IssuedTo(tok)
	assert.True(t, issued)
	assert.Equal(t, "user@example.com", mail)

	resp, err = refresh(t, t.Context(), srv.URL, tok)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	ok = nil
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
	id := ok["idToken"]
	assert.True(t, strings.HasPrefix(id, authtest.IDTokenPrefix))
	mail, issued = srv.IDTokenIssuedTo(id)
	assert.True(t, issued)
	assert.Equal(t, "user@example.com", mail)

	// What went over the wire: a POST without a body, the token in the query.
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, http.MethodPost, reqs[1].Method)
	assert.Equal(t, authtest.RefreshPath, reqs[1].Path)
	assert.Equal(t, "refreshtoken="+authtest.Redacted, reqs[1].Query)
	assert.True(t, reqs[1].RefreshTokenSent)
	assert.Zero(t, reqs[1].ContentLength)
	assert.Empty(t, reqs[1].TransferEncoding)
	assert.Empty(t, reqs[1].Fields)

	// A week on, the refresh token has expired.
	clk.Add(auth.TokenLifetime)
	resp, err = refresh(t, t.Context(), srv.URL, tok)
	require.NoError(t, err)
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, message(authtest.MessageRefreshIncorrect), readAll(t, resp))
}

func TestServerRefreshFaults(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	require.NoError(t, err)
	var ok map[string]string
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
	tok := ok["refreshToken"]

	t.Run("drop auth_refresh once", func(t *testing.T) {
		srv.SetFault(authtest.Fault{Path: authtest.RefreshPath, Drop: true, Times: 1})
		resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
		require.NoError(t, err, "logins are answered")
		assert.Equal(t, 200, resp.StatusCode)
		readAll(t, resp)
		_, err = refresh(t, t.Context(), srv.URL, tok)
		require.Error(t, err, "no answer at all")
		resp, err = refresh(t, t.Context(), srv.URL, tok)
		require.NoError(t, err, "the fault is spent")
		assert.Equal(t, 200, resp.StatusCode)
		readAll(t, resp)
	})
	t.Run("truncate auth_refresh", func(t *testing.T) {
		srv.SetFault(authtest.Fault{Path: authtest.RefreshPath, Truncate: true})
		defer srv.ClearFault()
		resp, err := refresh(t, t.Context(), srv.URL, tok)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode)
		assert.Equal(t, int64(100), resp.ContentLength)
		b, err := io.ReadAll(resp.Body)
		assert.Error(t, err)
		assert.True(t, strings.HasPrefix(`{"idToken":"trunc`, string(b)), "got %q", b)

		resp, err = post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
		require.NoError(t, err, "logins are answered")
		assert.Equal(t, 200, resp.StatusCode)
		assert.Contains(t, readAll(t, resp), authtest.TokenPrefix)
	})
	t.Run("delay auth_refresh", func(t *testing.T) {
		srv.SetFault(authtest.Fault{Path: authtest.RefreshPath, Delay: time.Millisecond, Status: 500, Message: authtest.MessageUnexpected})
		defer srv.ClearFault()
		start := time.Now()
		resp, err := refresh(t, t.Context(), srv.URL, tok)
		require.NoError(t, err)
		assert.Equal(t, 500, resp.StatusCode)
		assert.Equal(t, message(authtest.MessageUnexpected), readAll(t, resp))
		assert.GreaterOrEqual(t, time.Since(start), time.Millisecond)
	})
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.Query, tok)
	}
}

func TestServerConcurrentRefreshes(t *testing.T) {
	srv := authtest.NewServer()
	defer srv.Close()
	resp, err := post(t, t.Context(), srv.URL, loginBody(authtest.DemoMailAddress, authtest.DemoPassword))
	require.NoError(t, err)
	var ok map[string]string
	require.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
	tok := ok["refreshToken"]

	const n = 20
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := refresh(t, t.Context(), srv.URL, tok)
			if !assert.NoError(t, err) {
				return
			}
			var ok map[string]string
			assert.NoError(t, json.Unmarshal([]byte(readAll(t, resp)), &ok))
			ids <- ok["idToken"]
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		mail, issued := srv.IDTokenIssuedTo(id)
		assert.True(t, issued)
		assert.Equal(t, authtest.DemoMailAddress, mail)
		seen[id] = true
	}
	assert.Len(t, seen, n)
	assert.Equal(t, n+1, srv.Count())
}
