// Package authhttp is an auth.Transport over net/http, for native Go programs
// and tests. The browser and Worker builds use the JS fetch transport instead,
// which keeps net/http's client out of their download.
package authhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Transport posts with an *http.Client.
type Transport struct {
	// Client does the round trip. Default http.DefaultClient. Redirects are
	// not followed unless Client.CheckRedirect is set: net/http would resend
	// the body, password included, to wherever a 307 or 308 points.
	Client *http.Client
}

// noRedirect makes a redirect an answer of its own (an unexpected status).
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Post sends body as application/json with a Content-Length, or, when body
// is nil, no body and no Content-Type (Content-Length: 0, auth_refresh's
// shape). It asks for no Content-Encoding (the answers are small), so
// net/http undoes none and one sent all the same shows in the answer's
// header. It reads at most auth.MaxAnswerBytes of the answer. A redirect is
// returned as the answer, not followed (see Transport.Client).
//
// Its errors never hold the URL: net/http's *url.Error quotes it, and
// auth_refresh's URL carries the refresh token in its query.
func (t Transport) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, rd)
	if err != nil {
		return auth.Answer{}, withoutURL(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "identity")
	return t.do(req, auth.ReadBody)
}

// Get does a V2 GET with key in x-api-key, asking for JSON; net/http asks
// for gzip and undoes it. It reads at most auth.MaxPageBytes of the answer.
// A redirect is returned, not followed: net/http would carry x-api-key to
// wherever it points. Its errors never hold the URL.
func (t Transport) Get(ctx context.Context, url string, key auth.APIKey) (auth.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return auth.Answer{}, withoutURL(err)
	}
	req.Header.Set(auth.HeaderAPIKey, key.Value())
	req.Header.Set("Accept", "application/json")
	return t.do(req, auth.ReadPageBody)
}

func (t Transport) do(req *http.Request, read func(io.Reader) ([]byte, error)) (auth.Answer, error) {
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	if client.CheckRedirect == nil {
		c := *client // a shallow copy shares the connection pool
		c.CheckRedirect = noRedirect
		client = &c
	}
	resp, err := client.Do(req)
	if err != nil {
		return auth.Answer{}, withoutURL(err)
	}
	defer resp.Body.Close()
	ans := auth.Answer{StatusCode: resp.StatusCode, Header: auth.Header(resp.Header)}
	if resp.StatusCode < 200 {
		// A 101 (net/http hands over no other 1xx) ends HTTP on the
		// connection: its "body" lasts until the peer closes, so it is not
		// read. The status alone is the answer, at once.
		return ans, nil
	}
	ans.Body, err = read(resp.Body)
	return ans, err
}

// withoutURL drops the *url.Error around err, keeping what it wraps
// (errors.Is still finds context.DeadlineExceeded and the like).
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// NewClient returns an auth.Client over net/http for baseURL ("" for J-Quants).
func NewClient(baseURL string) *auth.Client {
	return &auth.Client{BaseURL: baseURL, Transport: Transport{}}
}

// EnvAPIKey is where NewAPIClient finds the key when none is given, as
// J-Quants' own clients do.
const EnvAPIKey = "JQUANTS_API_KEY"

// NewAPIClient returns a V2 auth.APIClient over net/http for baseURL (""
// for J-Quants, or a proxy's) with key, or $JQUANTS_API_KEY when key is "",
// paced for plan. The error is an *auth.InputError that never quotes the key.
func NewAPIClient(baseURL, key string, plan auth.Plan) (*auth.APIClient, error) {
	if strings.TrimSpace(key) == "" {
		key = os.Getenv(EnvAPIKey)
	}
	k, err := auth.NewAPIKey(key)
	if err != nil {
		return nil, err
	}
	return &auth.APIClient{Transport: Transport{}, BaseURL: baseURL, Key: k, Plan: plan}, nil
}
