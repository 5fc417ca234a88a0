//go:build !js

package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
	"github.com/jquants-auth/jquants-auth/proxy"
	"github.com/stretchr/testify/assert"
)

// TestUpstreamFaults makes the fake misbehave once per case and checks the
// Worker's answer: status, code, exact message, headers; exactly one upstream
// try; and that a normal login succeeds right after. The cases share the
// fake, so they run one after the other (no t.Parallel in this package's
// login tests).
func TestUpstreamFaults(t *testing.T) {
	t.Cleanup(upstream.ClearFault)
	const j = "the J-Quants API"
	cases := []struct {
		name    string
		fault   authtest.Fault
		status  int
		code    string
		message string
		header  map[string]string // exact values; "" means absent
		timed   bool              // the one timed assertion: within the timeout plus 2 s
	}{
		{
			name: "no answer within UPSTREAM_TIMEOUT", fault: authtest.Fault{Delay: 10 * time.Second},
			status: 504, code: auth.CodeTimeout, message: "no answer from " + j + " within " + upstreamTimeout.String(), timed: true,
		},
		{
			name: "connection reset", fault: authtest.Fault{Drop: true},
			status: 502, code: proxy.CodeUpstreamUnreachable, message: "could not reach " + j + ", or it closed the connection without answering",
		},
		{
			name: "HTML page with 200", fault: authtest.Fault{Body: "<!doctype html><html><body><h1>Maintenance</h1></body></html>"},
			status: 502, code: auth.CodeUpstreamError, message: j + " answered 200 without a usable refresh token: the answer is not a JSON object",
		},
		{
			name: "truncated JSON", fault: authtest.Fault{Truncate: true},
			status: 502, code: auth.CodeUpstreamError, message: j + "'s answer (status 200) was cut off or could not be read",
		},
		{
			name: "404: V1 retired", fault: authtest.Fault{Status: 404, Message: "Not Found"},
			status: 502, code: auth.CodeEndpointGone, message: "J-Quants retired its V1 API, /v1/token/auth_user included, on 2026-06-01 (it answered 404)",
		},
		{
			name: "429 with Retry-After: 7", fault: authtest.Fault{Status: 429, Message: "Rate exceeded.", Header: http.Header{"Retry-After": {"7"}}},
			status: 429, code: auth.CodeRateLimited, message: "Rate exceeded.", header: map[string]string{"Retry-After": "7"},
		},
		{
			name: "429 without Retry-After or message", fault: authtest.Fault{Status: 429},
			status: 429, code: auth.CodeRateLimited, message: j + " is rate limiting logins: try again in 60 seconds", header: map[string]string{"Retry-After": "60"},
		},
		{
			name: "500", fault: authtest.Fault{Status: 500, Message: authtest.MessageUnexpected},
			status: 500, code: auth.CodeUpstreamError, message: authtest.MessageUnexpected, header: map[string]string{"Retry-After": ""},
		},
		{
			name: "503 HTML", fault: authtest.Fault{Status: 503, Body: "<html>Service Unavailable</html>"},
			status: 502, code: auth.CodeUpstreamError, message: j + " answered with unexpected status 503",
		},
		{
			name: "200 JSON without a token", fault: authtest.Fault{Body: `{"idToken":"not-a-refresh-token"}`, ContentType: "application/json"},
			status: 502, code: auth.CodeUpstreamError, message: j + " answered 200 without a usable refresh token: the answer has no refreshToken",
		},
		{
			name: "answer over 64 KiB", fault: authtest.Fault{Body: `{"refreshToken":"` + strings.Repeat("x", 70<<10) + `"}`, ContentType: "application/json"},
			status: 502, code: auth.CodeUpstreamError, message: j + " answered with a body larger than 64 KiB",
		},
	}
	passed := 0
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			f := c.fault
			f.Times = 1
			upstream.SetFault(f)
			n := upstream.Count()
			start := time.Now()
			r := login(t, worker.URL, authtest.DemoMailAddress, authtest.DemoPassword, nil)
			elapsed := time.Since(start)
			upstream.ClearFault()
			assert.Equal(t, 1, upstream.Count()-n, "upstream tries")
			assert.Equal(t, c.status, r.Status, "body %s", r.Body)
			assertJSONAnswer(t, r)
			assert.Equal(t, c.code, r.code())
			assert.Equal(t, c.message, r.message())
			for k, v := range c.header {
				assert.Equal(t, v, r.Header.Get(k), "header %s", k)
			}
			if c.timed {
				assert.Less(t, elapsed, upstreamTimeout+2*time.Second, "504 after %v", elapsed)
			}
			t.Logf("%s → %d %s in %v", c.name, r.Status, r.code(), elapsed.Round(time.Millisecond))
			// The Worker keeps serving.
			demoLogin(t)
		})
		if ok {
			passed++
		}
	}
	t.Logf("reliability: faults %d/%d", passed, len(cases))
	noteSummary(fmt.Sprintf("faults %d/%d", passed, len(cases)))
}
