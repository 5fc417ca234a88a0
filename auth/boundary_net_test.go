//go:build !js

package auth_test

import (
	"context"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// APIClient cases that make mutate showed unpinned, against the fake on the
// settable clock of apiclient_net_test.go.

// All of an APIClient's calls share one pace: five key checks in one instant
// use up a Free minute, so the sixth waits it out rather than earn a 429.
func TestAPIClientSharesItsPace(t *testing.T) {
	fake, c, clk := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	for range 6 {
		_, err := c.CheckKey(t.Context())
		require.NoError(t, err)
	}
	assert.Equal(t, []time.Duration{auth.PaceWindow}, clk.sleeps)
	assert.Len(t, fake.Requests(), 6, "six requests: no 429, no retry")
}

// A connection that drops is a network error, retried as Retry says; the
// context, never done, plays no part.
func TestAPIClientNetworkError(t *testing.T) {
	fake, c, _ := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	fake.SetFault(authtest.Fault{Drop: true})
	_, err := c.CheckKey(t.Context())
	var ne *auth.NetworkError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, auth.CodeNetwork, auth.Code(err))
	assert.Equal(t, 1+auth.DefaultMaxRetries, fake.Count())
}

// Canceled while the request is out, the fetch ends at once with the
// context's error, naming the transport's failure.
func TestAPIClientCanceledInFlight(t *testing.T) {
	fake, c, _ := v2Setup(t, authtest.DemoKey, auth.PlanFree)
	fake.SetFault(authtest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var once sync.Once
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(cancel) },
	})
	_, err := c.CheckKey(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, strings.HasPrefix(err.Error(), "auth: context canceled (last failure: "), err.Error())
	assert.Equal(t, auth.CodeCanceled, auth.Code(err))
	assert.LessOrEqual(t, fake.Count(), 1, "not retried")
}
