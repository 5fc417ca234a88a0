package authhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
)

// These tests use an in-memory RoundTripper, so they run under GOOS=js too;
// transport_net_test.go goes over loopback to the fake server.

// roundTrip answers every request with the answer function and records what
// it was sent.
type roundTrip struct {
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
	answer func(*http.Request) (*http.Response, error)
}

func (rt *roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	var b []byte
	if r.Body != nil {
		var err error
		if b, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
	}
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r)
	rt.bodies = append(rt.bodies, string(b))
	rt.mu.Unlock()
	return rt.answer(r)
}

func response(r *http.Request, status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}
}

// errReader fails after its content.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestPostSendsJSON(t *testing.T) {
	rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
		return response(r, 200, `{"refreshToken":"tok"}`, "Content-Type", "application/json", "X-Extra", "1"), nil
	}}
	tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
	body := []byte(`{"mailaddress":"user@example.com","password":"pw"}`)
	ans, err := tr.Post(t.Context(), "http://jquants.test/v1/token/auth_user", body)
	require.NoError(t, err)
	assert.Equal(t, 200, ans.StatusCode)
	assert.Equal(t, `{"refreshToken":"tok"}`, string(ans.Body))
	assert.Equal(t, "1", ans.Header.Get("x-extra"))

	require.Len(t, rt.reqs, 1)
	r := rt.reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "http://jquants.test/v1/token/auth_user", r.URL.String())
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Equal(t, int64(len(body)), r.ContentLength)
	assert.Empty(t, r.TransferEncoding)
	assert.Equal(t, string(body), rt.bodies[0])
	assert.NotNil(t, r.GetBody, "the body can be replayed")
}

// TestPostBodies: a nil body is no body and no Content-Type (auth_refresh);
// any other body, even an empty one, is JSON.
func TestPostBodies(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		wantCT string
	}{
		{"nil: no body", nil, ""},
		{"empty: JSON of no bytes", []byte{}, "application/json"},
		{"JSON", []byte(`{"a":"b"}`), "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
				return response(r, 200, `{"idToken":"id"}`), nil
			}}
			tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
			_, err := tr.Post(t.Context(), "http://jquants.test/v1/token/auth_refresh?refreshtoken=x", tt.body)
			require.NoError(t, err)
			require.Len(t, rt.reqs, 1)
			r := rt.reqs[0]
			assert.Equal(t, tt.wantCT, r.Header.Get("Content-Type"))
			assert.Equal(t, []string{"application/json"}, r.Header.Values("Accept"))
			assert.Equal(t, int64(len(tt.body)), r.ContentLength)
			assert.Empty(t, r.TransferEncoding)
			assert.Equal(t, string(tt.body), rt.bodies[0])
			switch {
			case tt.body == nil:
				assert.Nil(t, r.Body, "no body at all")
			case len(tt.body) == 0:
				assert.Equal(t, http.NoBody, r.Body, "sized as empty, not chunked")
			}
		})
	}
}

func TestPostAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantErr   error
		wantBody  bool
		wantToken string
		wantKind  error
	}{
		{name: "token", status: 200, body: `{"refreshToken":"tok"}`, wantBody: true, wantToken: "tok"},
		{name: "400", status: 400, body: `{"message":"'mailaddress' or 'password' is incorrect."}`, wantBody: true, wantKind: auth.ErrInvalidCredentials},
		{name: "exactly 64 KiB", status: 200, body: strings.Repeat("x", auth.MaxAnswerBytes), wantBody: true, wantKind: auth.ErrUnexpectedAnswer},
		{name: "over 64 KiB", status: 200, body: strings.Repeat("x", auth.MaxAnswerBytes+1), wantErr: auth.ErrAnswerTooLarge},
		{name: "over 64 KiB on a 500", status: 500, body: strings.Repeat("x", 1<<20), wantErr: auth.ErrAnswerTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
				return response(r, tt.status, tt.body), nil
			}}
			tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
			ans, err := tr.Post(t.Context(), "http://jquants.test/x", []byte(`{}`))
			assert.Equal(t, tt.status, ans.StatusCode, "the status is filled in, even with an error")
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				// auth.Client turns this into an unexpected answer.
				c := &auth.Client{Transport: tr, MaxRetries: -1}
				_, err := c.Run(t.Context(), &auth.Exchange{Request: auth.Request{URL: "http://jquants.test/x"}})
				var e *auth.Error
				require.ErrorAs(t, err, &e)
				assert.ErrorIs(t, err, auth.ErrUnexpectedAnswer)
				assert.Equal(t, tt.status, e.StatusCode)
				return
			}
			require.NoError(t, err)
			assert.Len(t, ans.Body, len(tt.body))
			tok, err := auth.DecodeAnswer(ans, t0())
			if tt.wantToken != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantToken, tok.Value)
			} else {
				assert.ErrorIs(t, err, tt.wantKind)
			}
		})
	}
}

func TestPostErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("round trip fails", func(t *testing.T) {
		rt := &roundTrip{answer: func(*http.Request) (*http.Response, error) { return nil, boom }}
		tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
		ans, err := tr.Post(t.Context(), "http://jquants.test/x", []byte(`{}`))
		assert.ErrorIs(t, err, boom)
		assert.Zero(t, ans)
	})
	t.Run("body read fails", func(t *testing.T) {
		rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
			resp := response(r, 200, "")
			resp.Body = io.NopCloser(&errReader{r: strings.NewReader(`{"refresh`), err: io.ErrUnexpectedEOF})
			return resp, nil
		}}
		tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
		ans, err := tr.Post(t.Context(), "http://jquants.test/x", []byte(`{}`))
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Equal(t, 200, ans.StatusCode)
	})
	t.Run("bad URL", func(t *testing.T) {
		_, err := authhttp.Transport{}.Post(t.Context(), "http://[::1/?refreshtoken=secret-token-value", []byte(`{}`))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "secret-token-value")
	})
	// Regression: net/http's *url.Error quotes the URL, and auth_refresh's
	// URL holds the refresh token; auth.Client put the text in its errors.
	t.Run("errors never hold the URL", func(t *testing.T) {
		rt := &roundTrip{answer: func(*http.Request) (*http.Response, error) { return nil, boom }}
		tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
		const u = "http://jquants.test/v1/token/auth_refresh?refreshtoken=secret-token-value"
		_, err := tr.Post(t.Context(), u, nil)
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, "boom", err.Error())
		c := &auth.Client{Transport: tr, BaseURL: "http://jquants.test", MaxRetries: -1}
		_, err = c.AuthRefresh(t.Context(), "secret-token-value")
		assert.ErrorIs(t, err, boom)
		assert.EqualError(t, err, "auth: no answer from upstream: boom")
	})
	t.Run("nil context", func(t *testing.T) {
		_, err := authhttp.Transport{}.Post(nilContext(), "http://jquants.test/x", []byte(`{}`))
		assert.Error(t, err)
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) { return nil, r.Context().Err() }}
		_, err := authhttp.Transport{Client: &http.Client{Transport: rt}}.Post(ctx, "http://jquants.test/x", []byte(`{}`))
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// nilContext hides a nil context from vet.
func nilContext() context.Context { return nil }

func t0() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// Regression: with net/http's default redirect policy, a 307 or 308 made the
// client POST the body, password included, to wherever Location pointed.
func TestPostDoesNotFollowRedirects(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
				if r.URL.Host != "jquants.test" {
					return response(r, 200, `{"refreshToken":"stolen"}`), nil
				}
				return response(r, status, "", "Location", "https://attacker.test/collect"), nil
			}}
			tr := authhttp.Transport{Client: &http.Client{Transport: rt}}
			ans, err := tr.Post(t.Context(), "http://jquants.test/v1/token/auth_user", []byte(`{"password":"pw"}`))
			require.NoError(t, err)
			assert.Equal(t, status, ans.StatusCode)
			assert.Len(t, rt.reqs, 1, "the redirect was not followed")
			_, err = auth.DecodeAnswer(ans, t0())
			assert.ErrorIs(t, err, auth.ErrUnexpectedStatus)
		})
	}
	t.Run("unless the client says so", func(t *testing.T) {
		rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
			if r.URL.Path == "/moved" {
				return response(r, 200, `{"refreshToken":"tok"}`), nil
			}
			return response(r, 308, "", "Location", "/moved"), nil
		}}
		followed := 0
		client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error {
			followed++
			return nil
		}}
		ans, err := authhttp.Transport{Client: client}.Post(t.Context(), "http://jquants.test/", []byte(`{}`))
		require.NoError(t, err)
		assert.Equal(t, 200, ans.StatusCode)
		assert.Equal(t, 1, followed)
		assert.Len(t, rt.reqs, 2)
		assert.Equal(t, []string{"{}", "{}"}, rt.bodies, "a 308 resends the body")
	})
	t.Run("the caller's client is not modified", func(t *testing.T) {
		rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) { return response(r, 200, ""), nil }}
		client := &http.Client{Transport: rt}
		_, err := authhttp.Transport{Client: client}.Post(t.Context(), "http://jquants.test/", nil)
		require.NoError(t, err)
		assert.Nil(t, client.CheckRedirect)
	})
}

func TestNewClient(t *testing.T) {
	c := authhttp.NewClient("")
	assert.Equal(t, &auth.Client{Transport: authhttp.Transport{}}, c, "J-Quants, and every default")

	c = authhttp.NewClient("http://127.0.0.1:8788/")
	assert.Equal(t, "http://127.0.0.1:8788/", c.BaseURL)
	assert.IsType(t, authhttp.Transport{}, c.Transport)
}

func TestClientOverTransport(t *testing.T) {
	rt := &roundTrip{answer: func(r *http.Request) (*http.Response, error) {
		return response(r, 200, `{"refreshToken":"tok"}`), nil
	}}
	c := authhttp.NewClient("http://jquants.test")
	c.Transport = authhttp.Transport{Client: &http.Client{Transport: rt}}
	creds, err := auth.NewCredentials("user@example.com", "p<a>ss\"word")
	require.NoError(t, err)
	tok, err := c.AuthUser(t.Context(), creds)
	require.NoError(t, err)
	assert.Equal(t, "tok", tok.Value)
	assert.Equal(t, []string{string(creds.RequestBody())}, rt.bodies)
	assert.Equal(t, "http://jquants.test/v1/token/auth_user", rt.reqs[0].URL.String())

	rt.answer = func(r *http.Request) (*http.Response, error) { return response(r, 200, `{"idToken":"id"}`), nil }
	id, err := c.AuthRefresh(t.Context(), tok.Value)
	require.NoError(t, err)
	assert.Equal(t, "id", id.Value)
	assert.Equal(t, "http://jquants.test/v1/token/auth_refresh?refreshtoken=tok", rt.reqs[1].URL.String())
	assert.Equal(t, "", rt.bodies[1])
	assert.Empty(t, rt.reqs[1].Header.Get("Content-Type"))
}
