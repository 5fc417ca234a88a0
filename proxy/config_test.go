package proxy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authhttp"
	"github.com/jquants-auth/jquants-auth/proxy"
)

func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want proxy.Config
		errs []string // substrings of the error; none means no error
	}{
		{name: "unset: all defaults", env: nil, want: proxy.Config{}},
		{name: "blank: all defaults", env: map[string]string{proxy.EnvBaseURL: " ", proxy.EnvAllowedOrigins: " ", proxy.EnvUpstreamTimeout: "", proxy.EnvLoginRateLimit: ""}, want: proxy.Config{}},
		{name: "all set", env: map[string]string{
			proxy.EnvBaseURL:         " http://127.0.0.1:18788 ",
			proxy.EnvAllowedOrigins:  "https://a.example, http://localhost:3000,,",
			proxy.EnvUpstreamTimeout: "1500ms",
			proxy.EnvLoginRateLimit:  "OFF",
		}, want: proxy.Config{
			BaseURL:          "http://127.0.0.1:18788",
			AllowedOrigins:   []string{"https://a.example", "http://localhost:3000"},
			UpstreamTimeout:  1500 * time.Millisecond,
			DisableRateLimit: true,
		}},
		{name: "rate limit on", env: map[string]string{proxy.EnvLoginRateLimit: "on"}, want: proxy.Config{}},
		{name: "origins none", env: map[string]string{proxy.EnvAllowedOrigins: "None"}, want: proxy.Config{AllowedOrigins: []string{}}},
		{name: "origins only commas", env: map[string]string{proxy.EnvAllowedOrigins: ", ,"}, want: proxy.Config{AllowedOrigins: []string{}}},
		{name: "timeout without unit", env: map[string]string{proxy.EnvUpstreamTimeout: "10"}, errs: []string{`UPSTREAM_TIMEOUT="10": want a positive Go duration`}},
		{name: "timeout negative", env: map[string]string{proxy.EnvUpstreamTimeout: "-1s"}, errs: []string{"UPSTREAM_TIMEOUT"}},
		{name: "timeout zero", env: map[string]string{proxy.EnvUpstreamTimeout: "0s"}, errs: []string{"UPSTREAM_TIMEOUT"}},
		{name: "rate limit junk", env: map[string]string{proxy.EnvLoginRateLimit: "maybe"}, errs: []string{`LOGIN_RATE_LIMIT="maybe": want "on" or "off"`}},
		{name: "two errors", env: map[string]string{proxy.EnvLoginRateLimit: "1", proxy.EnvUpstreamTimeout: "soon"},
			errs: []string{"LOGIN_RATE_LIMIT", "UPSTREAM_TIMEOUT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := proxy.ConfigFromEnv(envOf(tc.env))
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				assert.Equal(t, tc.want, cfg)
				return
			}
			require.Error(t, err)
			for _, s := range tc.errs {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     proxy.Config
		wantURL string
		errs    []string
	}{
		{name: "zero config", wantURL: "https://api.jquants.com/v1/token/auth_user"},
		{name: "trailing slash", cfg: proxy.Config{BaseURL: "https://api.example/"}, wantURL: "https://api.example/v1/token/auth_user"},
		{name: "http localhost", cfg: proxy.Config{BaseURL: "http://localhost:18788"}, wantURL: "http://localhost:18788/v1/token/auth_user"},
		{name: "http ::1", cfg: proxy.Config{BaseURL: "http://[::1]:18788"}, wantURL: "http://[::1]:18788/v1/token/auth_user"},
		{name: "http 127.0.0.2", cfg: proxy.Config{BaseURL: "http://127.0.0.2"}, wantURL: "http://127.0.0.2/v1/token/auth_user"},
		{name: "origins normalised", cfg: proxy.Config{AllowedOrigins: []string{"http://LOCALHOST:80", "https://x.example:8443"}}},
		{name: "max timeout", cfg: proxy.Config{UpstreamTimeout: proxy.MaxUpstreamTimeout}},

		{name: "ftp", cfg: proxy.Config{BaseURL: "ftp://x.example"}, errs: []string{"must start with https://"}},
		{name: "http elsewhere", cfg: proxy.Config{BaseURL: "http://api.jquants.com"}, errs: []string{"must use https unless the host is loopback"}},
		{name: "no scheme", cfg: proxy.Config{BaseURL: "api.jquants.com"}, errs: []string{"must start with https://"}},
		{name: "not a URL", cfg: proxy.Config{BaseURL: "https://a b\x7f"}, errs: []string{"is not a URL"}},
		{name: "no host", cfg: proxy.Config{BaseURL: "https://"}, errs: []string{"has no host"}},
		{name: "user info", cfg: proxy.Config{BaseURL: "https://user:hunter2@api.example"}, errs: []string{"must not contain user info"}},
		{name: "path", cfg: proxy.Config{BaseURL: "https://api.example/v1"}, errs: []string{"must not have a path"}},
		{name: "query", cfg: proxy.Config{BaseURL: "https://api.example?x=1"}, errs: []string{"query or fragment"}},
		{name: "fragment", cfg: proxy.Config{BaseURL: "https://api.example#x"}, errs: []string{"query or fragment"}},
		{name: "wildcard origin", cfg: proxy.Config{AllowedOrigins: []string{"*"}}, errs: []string{`allowed origin "*" (ALLOWED_ORIGINS) has a wildcard`}},
		{name: "wildcard subdomain", cfg: proxy.Config{AllowedOrigins: []string{"https://*.example"}}, errs: []string{"wildcard"}},
		{name: "origin without scheme", cfg: proxy.Config{AllowedOrigins: []string{"localhost:8787"}}, errs: []string{"must be http://host[:port]"}},
		{name: "origin with path", cfg: proxy.Config{AllowedOrigins: []string{"https://a.example/app"}}, errs: []string{"with nothing else"}},
		{name: "origin with query", cfg: proxy.Config{AllowedOrigins: []string{"https://a.example?x"}}, errs: []string{"with nothing else"}},
		{name: "origin empty port", cfg: proxy.Config{AllowedOrigins: []string{"https://a.example:"}}, errs: []string{"empty port"}},
		{name: "origin not a URL", cfg: proxy.Config{AllowedOrigins: []string{"http://a b%zz"}}, errs: []string{"is not a URL"}},
		{name: "negative timeout", cfg: proxy.Config{UpstreamTimeout: -time.Second}, errs: []string{"UpstreamTimeout (UPSTREAM_TIMEOUT) -1s"}},
		{name: "huge timeout", cfg: proxy.Config{UpstreamTimeout: time.Hour}, errs: []string{"at most 5m0s"}},
		{name: "negative retry after", cfg: proxy.Config{LimiterRetryAfter: -time.Second}, errs: []string{"LimiterRetryAfter"}},
		{name: "every error at once", cfg: proxy.Config{BaseURL: "ftp://x", AllowedOrigins: []string{"*", "x"}, UpstreamTimeout: -1},
			errs: []string{"BaseURL", `"*"`, `"x"`, "UpstreamTimeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Log = io.Discard
			h, err := proxy.New(tc.cfg, authhttp.Transport{})
			require.NotNil(t, h)
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				require.NoError(t, h.Err())
				if tc.wantURL != "" {
					assert.Equal(t, tc.wantURL, h.URL())
				}
				return
			}
			require.Error(t, err)
			for _, s := range tc.errs {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotContains(t, err.Error(), "hunter2", "the error does not repeat user info")

			// The handler answers 500 misconfigured, with the reasons on one line.
			rr := httptest.NewRecorder()
			h.ServeHTTP(rr, httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody)))
			require.Equal(t, http.StatusInternalServerError, rr.Code)
			b := decode(t, rr)
			assert.Equal(t, proxy.CodeMisconfigured, b.Code)
			assert.NotContains(t, b.Message, "\n")
			assert.Contains(t, b.Message, tc.errs[0])
		})
	}
}

func TestNewFromEnv(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		deny := proxy.LimiterFunc(func(_ context.Context, _ string) (bool, error) { return false, nil })
		h, err := proxy.NewFromEnv(envOf(map[string]string{proxy.EnvUpstreamTimeout: "3s"}), authhttp.Transport{}, deny, io.Discard)
		require.NoError(t, err)
		assert.Equal(t, 3*time.Second, h.UpstreamTimeout())
		assert.Equal(t, auth.DefaultBaseURL+auth.Path, h.URL())
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
		r.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		assert.Equal(t, http.StatusTooManyRequests, rr.Code, "the limiter is used")
	})
	t.Run("rate limit off", func(t *testing.T) {
		deny := proxy.LimiterFunc(func(_ context.Context, _ string) (bool, error) { return false, nil })
		fake := transportFunc(func(context.Context, string, []byte) (auth.Answer, error) {
			return auth.Answer{StatusCode: 200, Body: []byte(`{"refreshToken":"t"}`)}, nil
		})
		h, err := proxy.NewFromEnv(envOf(map[string]string{proxy.EnvLoginRateLimit: "off"}), fake, deny, io.Discard)
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, auth.Path, strings.NewReader(demoBody))
		r.Header.Set("Content-Type", "application/json")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, r)
		assert.Equal(t, http.StatusOK, rr.Code)
	})
	t.Run("bad env and bad values together", func(t *testing.T) {
		logs := &syncBuffer{}
		h, err := proxy.NewFromEnv(envOf(map[string]string{
			proxy.EnvUpstreamTimeout: "10",
			proxy.EnvAllowedOrigins:  "*",
		}), authhttp.Transport{}, nil, logs)
		require.Error(t, err)
		require.NotNil(t, h)
		assert.Equal(t, err, h.Err())
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, httptest.NewRequest(http.MethodOptions, "/anything", nil))
		require.Equal(t, http.StatusInternalServerError, rr.Code)
		b := decode(t, rr)
		assert.Equal(t, proxy.CodeMisconfigured, b.Code)
		assert.Contains(t, b.Message, "UPSTREAM_TIMEOUT")
		assert.Contains(t, b.Message, "wildcard")
		assert.Contains(t, logs.String(), "code=misconfigured")
	})
	t.Run("nil transport", func(t *testing.T) {
		h, err := proxy.NewFromEnv(envOf(nil), nil, nil, io.Discard)
		require.ErrorContains(t, err, "no upstream auth.Transport")
		require.NotNil(t, h)
	})
}
