package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jquants-auth/jquants-auth/auth"
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
		{name: "long value cut in the error", env: map[string]string{proxy.EnvLoginRateLimit: strings.Repeat("x", 150)},
			errs: []string{`LOGIN_RATE_LIMIT="` + strings.Repeat("x", 100) + `…"`}},
		{name: "timeout negative", env: map[string]string{proxy.EnvUpstreamTimeout: "-1s"}, errs: []string{"UPSTREAM_TIMEOUT"}},
		{name: "timeout zero", env: map[string]string{proxy.EnvUpstreamTimeout: "0s"}, errs: []string{"UPSTREAM_TIMEOUT"}},
		{name: "body read timeout", env: map[string]string{proxy.EnvBodyReadTimeout: " 2s "}, want: proxy.Config{BodyReadTimeout: 2 * time.Second}},
		{name: "body read timeout without unit", env: map[string]string{proxy.EnvBodyReadTimeout: "30"}, errs: []string{`BODY_READ_TIMEOUT="30": want a positive Go duration such as "30s"`}},
		{name: "body read timeout zero", env: map[string]string{proxy.EnvBodyReadTimeout: "0"}, errs: []string{"BODY_READ_TIMEOUT"}},
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
		{name: "short body read timeout", cfg: proxy.Config{BodyReadTimeout: time.Second}},

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
		{name: "origin bad host character", cfg: proxy.Config{AllowedOrigins: []string{"https://a$b.example"}}, errs: []string{"is not a URL"}},
		{name: "IPv6 without closing bracket", cfg: proxy.Config{BaseURL: "http://[::1:8788"}, errs: []string{"is not a URL"}},
		{name: "IPv6 not an address", cfg: proxy.Config{BaseURL: "https://[zz::1]"}, errs: []string{"is not a URL"}},
		{name: "port too long", cfg: proxy.Config{BaseURL: "https://api.example:123456"}, errs: []string{"is not a URL"}},
		{name: "port not a number", cfg: proxy.Config{BaseURL: "https://api.example:https"}, errs: []string{"is not a URL"}},
		{name: "empty host name with port", cfg: proxy.Config{BaseURL: "https://:443"}, errs: []string{"is not a URL"}},
		{name: "negative timeout", cfg: proxy.Config{UpstreamTimeout: -time.Second}, errs: []string{"UpstreamTimeout (UPSTREAM_TIMEOUT) -1s"}},
		{name: "huge timeout", cfg: proxy.Config{UpstreamTimeout: time.Hour}, errs: []string{"at most 5m0s"}},
		{name: "huge body read timeout", cfg: proxy.Config{BodyReadTimeout: time.Hour}, errs: []string{"BodyReadTimeout (BODY_READ_TIMEOUT) 1h0m0s: want more than 0 and at most 5m0s"}},
		{name: "negative retry after", cfg: proxy.Config{LimiterRetryAfter: -time.Second}, errs: []string{"LimiterRetryAfter"}},
		{name: "every error at once", cfg: proxy.Config{BaseURL: "ftp://x", AllowedOrigins: []string{"*", "x"}, UpstreamTimeout: -1},
			errs: []string{"BaseURL", `"*"`, `"x"`, "UpstreamTimeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			core, err := proxy.NewCore(tc.cfg)
			require.NotNil(t, core)
			assert.Equal(t, err, core.Err())
			wantRead := tc.cfg.BodyReadTimeout
			if wantRead <= 0 || wantRead > proxy.MaxUpstreamTimeout {
				wantRead = proxy.DefaultBodyReadTimeout
			}
			assert.Equal(t, wantRead, core.BodyReadTimeout(), "the body read timeout, or its default when bad")
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				if tc.wantURL != "" {
					assert.Equal(t, tc.wantURL, core.URL())
				}
				return
			}
			require.Error(t, err)
			for _, s := range tc.errs {
				assert.Contains(t, err.Error(), s)
			}
			assert.NotContains(t, err.Error(), "hunter2", "the error does not repeat user info")

			// The core answers 500 misconfigured, with the reasons on one line.
			a, call := proxy.PrepareNew(core, &proxy.Request{Method: "POST", Target: auth.Path, Body: []byte(`{}`)})
			require.Nil(t, call)
			require.Equal(t, 500, a.Status)
			m := answerBody(t, a)
			assert.Equal(t, proxy.CodeMisconfigured, m["code"])
			assert.NotContains(t, m["message"], "\n")
			assert.Contains(t, m["message"], tc.errs[0])
			assert.NotContains(t, string(a.Log), "hunter2")
		})
	}
}
