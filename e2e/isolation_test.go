//go:build !js

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Worker keeps one Go instance for all requests of an isolate
// (worker/entry.mjs). This test shows that nothing of one request — its
// credentials, headers or errors — is visible in another's answer, and that
// interleaved concurrent requests each get their own answer.
func TestSharedInstanceIsolation(t *testing.T) {
	const accounts, workers, perWorker = 12, 16, 24
	type account struct{ mail, password string }
	accs := make([]account, accounts)
	for i := range accs {
		accs[i] = account{fmt.Sprintf("iso%02d@example.com", i), fmt.Sprintf("iso-pass-%02d-%s", i, strings.Repeat("Q", i))}
		upstream.AddAccount(accs[i].mail, accs[i].password)
	}
	// Every secret a request carries: none may show up in another's answer.
	type sent struct {
		kind            string // right, wrong, invalid
		acc             account
		cookie, private string
	}
	type got struct {
		status int
		body   string
	}
	var mu sync.Mutex
	var results []struct {
		sent
		got
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				n := w*perWorker + i
				s := sent{
					kind:    [...]string{"right", "wrong", "invalid"}[n%3],
					acc:     accs[n%accounts],
					cookie:  fmt.Sprintf("session=iso-cookie-%04d", n),
					private: fmt.Sprintf("iso-header-%04d", n),
				}
				password := s.acc.password
				mail := s.acc.mail
				switch s.kind {
				case "wrong":
					password += "-wrong"
				case "invalid":
					mail = "no-at-sign-" + s.acc.password // an address that fails the checks
				}
				body, _ := json.Marshal(map[string]string{"mailaddress": mail, "password": password})
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, worker.URL+"/v1/token/auth_user", strings.NewReader(string(body)))
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Cookie", s.cookie)
				req.Header.Set("Authorization", "Bearer "+s.private)
				resp, err := client.Do(req)
				if !assert.NoError(t, err) {
					return
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.NoError(t, err)
				mu.Lock()
				results = append(results, struct {
					sent
					got
				}{s, got{resp.StatusCode, string(raw)}})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, results, workers*perWorker)

	wrongAnswers := 0
	for _, r := range results {
		var m map[string]string
		require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
		ok := true
		switch r.kind {
		case "right":
			mail, issued := upstream.Handler().IssuedTo(m["refreshToken"])
			ok = r.status == 200 && issued && mail == r.acc.mail
		case "wrong":
			ok = r.status == 400 && m["message"] == authtest.MessageIncorrect
		case "invalid":
			ok = r.status == 400 && m["code"] == "invalid_input"
		}
		if !ok {
			wrongAnswers++
			t.Errorf("%s login as %s: status %d, body %s", r.kind, r.acc.mail, r.status, r.body)
		}
		// No answer carries any request's password, cookie or private header.
		for _, other := range results {
			for _, secret := range []string{other.acc.password, other.cookie, other.private} {
				assert.NotContains(t, r.body, secret)
			}
		}
	}
	// They were all served by the one Go instance the Worker started.
	assert.Equal(t, 1, strings.Count(worker.Log(), "go instance #"), "Go instances started")
	t.Logf("shared-instance isolation: %d interleaved requests at concurrency %d, %d wrong answers", len(results), workers, wrongAnswers)
}
