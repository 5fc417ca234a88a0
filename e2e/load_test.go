//go:build !js

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoad sends 3,000 logins at concurrency 32 through wrangler dev, right
// and wrong passwords over 50 accounts, and counts wrong answers: a right
// password must get 200 with a token the fake issued to that account and to
// no other request; a wrong one 400 with J-Quants' message.
func TestLoad(t *testing.T) {
	const (
		requests    = 3000
		concurrency = 32
		accounts    = 50
	)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	salt := make([]byte, 6)
	rand.Read(salt)
	type account struct{ mail, password string }
	accs := make([]account, accounts)
	for i := range accs {
		accs[i] = account{fmt.Sprintf("load%02d@example.com", i), fmt.Sprintf("%s-load-%02d-%x", pwMarker, i, salt)}
		upstream.AddAccount(accs[i].mail, accs[i].password)
		notePassword(accs[i].password)
	}
	type result struct {
		right   bool
		mail    string
		status  int
		body    string
		latency time.Duration
		err     error
	}
	results := make([]result, requests)
	jobs := make(chan int)
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	rssBefore, err := worker.WorkerdRSS()
	require.NoError(t, err)
	n0 := upstream.Count()
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range jobs {
				acc := accs[i%accounts]
				res := result{right: i%2 == 0, mail: acc.mail}
				password := acc.password
				if !res.right {
					password = fmt.Sprintf("%s-wrong-%04d-%s", pwMarker, i, hex.EncodeToString(salt))
					notePassword(password)
				}
				t0 := time.Now()
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, worker.URL+auth.Path, strings.NewReader(loginBody(acc.mail, password)))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					var resp *http.Response
					if resp, err = cl.Do(req); err == nil {
						var raw []byte
						raw, err = io.ReadAll(resp.Body)
						resp.Body.Close()
						res.status, res.body = resp.StatusCode, string(raw)
					}
				}
				res.latency, res.err = time.Since(t0), err
				results[i] = res
			}
		})
	}
	sent := 0
	var rssMid int64
feed:
	for ; sent < requests; sent++ {
		select {
		case jobs <- sent:
			if sent == requests/2 {
				rssMid, _ = worker.WorkerdRSS()
			}
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	rssAfter, err := worker.WorkerdRSS()
	require.NoError(t, err)
	require.Equal(t, requests, sent, "the load did not finish within its deadline")

	var wrong, transport, rights int
	tokens := map[string]int{}
	latencies := make([]time.Duration, 0, requests)
	for i, res := range results {
		latencies = append(latencies, res.latency)
		if res.err != nil {
			transport++
			if transport <= 5 {
				t.Errorf("request %d: %v", i, res.err)
			}
			continue
		}
		r := makeReply(res.status, nil, res.body)
		good := false
		if res.right {
			rights++
			tok := r.token()
			to, issued := upstream.Handler().IssuedTo(tok)
			_, dup := tokens[tok]
			tokens[tok] = i
			good = res.status == 200 && issued && to == res.mail && !dup
		} else {
			good = res.status == 400 && r.message() == authtest.MessageIncorrect && r.code() == auth.CodeInvalidCredentials
		}
		if !good {
			wrong++
			if wrong <= 5 {
				t.Errorf("request %d (right password %v, %s): %d %s", i, res.right, res.mail, res.status, res.body)
			}
		}
	}
	assert.Zero(t, wrong, "wrong answers")
	assert.Zero(t, transport, "transport errors")
	assert.Len(t, tokens, rights, "distinct tokens")
	assert.Equal(t, requests, upstream.Count()-n0, "requests to the fake")

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))].Round(100 * time.Microsecond)
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	line := fmt.Sprintf("load %d requests (%d right, %d wrong passwords, %d accounts) at concurrency %d in %v: %.0f requests/s, p50 %v, p99 %v, max %v; %d wrong answers, %d transport errors; workerd RSS %.0f MiB before, %.0f MiB halfway, %.0f MiB after",
		requests, rights, requests-rights, accounts, concurrency, elapsed.Round(time.Millisecond),
		float64(requests)/elapsed.Seconds(), pct(0.50), pct(0.99), latencies[len(latencies)-1].Round(time.Millisecond),
		wrong, transport, mib(rssBefore), mib(rssMid), mib(rssAfter))
	t.Log("reliability: " + line)
	noteSummary(line)
}
