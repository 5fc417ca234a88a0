// Package authhttp is an auth.Transport over net/http, for native Go programs
// and tests. The browser and Worker builds use the JS fetch transport instead,
// which keeps net/http's client out of their download.
package authhttp

import (
	"bytes"
	"context"
	"net/http"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Transport posts with an *http.Client.
type Transport struct {
	// Client does the round trip. Default http.DefaultClient.
	Client *http.Client
}

// Post sends body as application/json with a Content-Length and reads at most
// auth.MaxAnswerBytes of the answer.
func (t Transport) Post(ctx context.Context, url string, body []byte) (auth.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return auth.Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return auth.Answer{}, err
	}
	defer resp.Body.Close()
	ans := auth.Answer{StatusCode: resp.StatusCode, Header: auth.Header(resp.Header)}
	ans.Body, err = auth.ReadBody(resp.Body)
	return ans, err
}

// NewClient returns an auth.Client over net/http for baseURL ("" for J-Quants).
func NewClient(baseURL string) *auth.Client {
	return &auth.Client{BaseURL: baseURL, Transport: Transport{}}
}
