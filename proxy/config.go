package proxy

import (
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jquants-auth/jquants-auth/auth"
)

// Names of the environment variables (Worker [vars] in wrangler.toml, or the
// native server's environment) that ConfigFromEnv reads.
const (
	EnvBaseURL         = "JQUANTS_API_BASE_URL" // Config.BaseURL
	EnvAllowedOrigins  = "ALLOWED_ORIGINS"      // Config.AllowedOrigins, comma-separated; "none" for no cross origin
	EnvUpstreamTimeout = "UPSTREAM_TIMEOUT"     // Config.UpstreamTimeout, a Go duration such as "10s"
	EnvLoginRateLimit  = "LOGIN_RATE_LIMIT"     // "on" (default) or "off": Config.DisableRateLimit
)

// Defaults and limits.
const (
	// DefaultAllowedOrigins is the origin list used when Config.AllowedOrigins
	// is nil or ALLOWED_ORIGINS is unset: the local wrangler dev / native server.
	DefaultAllowedOrigins = "http://localhost:8787,http://127.0.0.1:8787"
	// DefaultUpstreamTimeout bounds the wait for J-Quants' answer.
	DefaultUpstreamTimeout = 10 * time.Second
	// MaxUpstreamTimeout is the largest UpstreamTimeout accepted.
	MaxUpstreamTimeout = 5 * time.Minute
	// DefaultLoginLimit and DefaultLoginPeriod: the native server's
	// MemoryLimiter allows this many logins per client address per period.
	DefaultLoginLimit  = 10
	DefaultLoginPeriod = 60 * time.Second
	// MaxBodyBytes is the largest request body accepted (413 above it).
	MaxBodyBytes = 4 << 10
	// PreflightMaxAge is the Access-Control-Max-Age of a preflight answer, in seconds.
	PreflightMaxAge = 600
)

// Config configures a Handler, in the style of rs/cors' Options: the zero
// value of every field means its default. Build it by hand or from
// environment variables with ConfigFromEnv; New checks it once and compiles
// it, so nothing is parsed per request.
type Config struct {
	// BaseURL is the scheme and host of the J-Quants API; the proxy posts to
	// BaseURL + "/v1/token/auth_user". It must be https, or http to a loopback
	// host (localhost, 127.0.0.0/8, ::1), with no user info, path, query or
	// fragment; one trailing slash is ignored.
	// Default auth.DefaultBaseURL ("https://api.jquants.com"). Env JQUANTS_API_BASE_URL.
	BaseURL string

	// AllowedOrigins lists the exact origins (scheme://host[:port], no path,
	// no wildcard) that may call the proxy cross-origin. Entries are compared
	// after lower-casing, dropping one trailing slash and a default port.
	// Whatever the list, requests without an Origin header and requests whose
	// Origin is the proxy's own scheme://host are allowed.
	// nil means the DefaultAllowedOrigins list; an empty non-nil slice allows
	// no cross origin at all. Env ALLOWED_ORIGINS (comma-separated; unset or
	// blank means the default, "none" an empty list).
	AllowedOrigins []string

	// UpstreamTimeout bounds the wait for J-Quants' answer; after it the
	// proxy answers 504 even if the transport ignores its context.
	// Must be at most MaxUpstreamTimeout. Default 10s. Env UPSTREAM_TIMEOUT.
	UpstreamTimeout time.Duration

	// Limiter is asked, keyed by client address, before each login goes
	// upstream. Default nil: no limiting. Limiter errors fail open.
	Limiter Limiter

	// DisableRateLimit ignores Limiter. Default false (limiting on when a
	// Limiter is set). Env LOGIN_RATE_LIMIT=off sets it.
	DisableRateLimit bool

	// LimiterRetryAfter is sent as Retry-After (whole seconds) when Limiter
	// refuses a login, and when J-Quants answers 429 without a Retry-After.
	// Default DefaultLoginPeriod (60s).
	LimiterRetryAfter time.Duration

	// Log receives one line per request (method, path, status, duration,
	// origin, code), never a body, password or token. Writes are serialised.
	// Default os.Stderr; io.Discard silences it.
	Log io.Writer
}

// ConfigFromEnv reads the four environment variables through getenv (for
// example os.Getenv; an unset variable reads as ""). It checks their syntax;
// New checks the values. On error the Config still holds every field that
// parsed, and the error names each bad variable.
func ConfigFromEnv(getenv func(name string) string) (Config, error) {
	var cfg Config
	var errs []error
	cfg.BaseURL = strings.TrimSpace(getenv(EnvBaseURL))

	switch v := strings.TrimSpace(getenv(EnvAllowedOrigins)); {
	case v == "":
	case strings.EqualFold(v, "none"):
		cfg.AllowedOrigins = []string{}
	default:
		cfg.AllowedOrigins = []string{}
		for o := range strings.SplitSeq(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
			}
		}
	}

	if v := strings.TrimSpace(getenv(EnvUpstreamTimeout)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, errors.New(EnvUpstreamTimeout+"="+quote(v)+": want a positive Go duration such as \"10s\""))
		} else {
			cfg.UpstreamTimeout = d
		}
	}

	switch v := strings.TrimSpace(getenv(EnvLoginRateLimit)); {
	case v == "" || strings.EqualFold(v, "on"):
	case strings.EqualFold(v, "off"):
		cfg.DisableRateLimit = true
	default:
		errs = append(errs, errors.New(EnvLoginRateLimit+"="+quote(v)+": want \"on\" or \"off\""))
	}
	return cfg, errors.Join(errs...)
}

// compiled is a checked Config.
type compiled struct {
	url        string // BaseURL + auth.Path
	origins    map[string]bool
	timeout    time.Duration
	limiter    Limiter
	retryAfter string // LimiterRetryAfter in seconds
	log        io.Writer
}

func compile(cfg Config) (compiled, error) {
	var c compiled
	var errs []error

	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	c.url = base + auth.Path

	list := cfg.AllowedOrigins
	if list == nil {
		list = strings.Split(DefaultAllowedOrigins, ",")
	}
	c.origins = make(map[string]bool, len(list))
	for _, o := range list {
		n, err := normalizeOrigin(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.origins[n] = true
	}

	switch t := cfg.UpstreamTimeout; {
	case t == 0:
		c.timeout = DefaultUpstreamTimeout
	case t < 0 || t > MaxUpstreamTimeout:
		errs = append(errs, errors.New("UpstreamTimeout ("+EnvUpstreamTimeout+") "+t.String()+": want more than 0 and at most "+MaxUpstreamTimeout.String()))
	default:
		c.timeout = t
	}

	if !cfg.DisableRateLimit {
		c.limiter = cfg.Limiter
	}
	switch ra := cfg.LimiterRetryAfter; {
	case ra == 0:
		c.retryAfter = seconds(DefaultLoginPeriod)
	case ra < 0:
		errs = append(errs, errors.New("LimiterRetryAfter "+ra.String()+": want a positive duration"))
	default:
		c.retryAfter = seconds(ra)
	}
	c.log = cfg.Log
	return c, errors.Join(errs...)
}

// checkBaseURL returns the base URL without a trailing slash. Its errors do
// not repeat the URL, which might hold user info.
func checkBaseURL(s string) (string, error) {
	if s == "" {
		return auth.DefaultBaseURL, nil
	}
	bad := func(why string) (string, error) {
		return "", errors.New("BaseURL (" + EnvBaseURL + ") " + why)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return bad("is not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("must start with https:// (or http:// for a loopback host)")
	case u.Host == "" || u.Opaque != "":
		return bad("has no host")
	case u.User != nil:
		return bad("must not contain user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return bad("must not have a query or fragment")
	case u.Path != "" && u.Path != "/":
		return bad("must not have a path (the proxy appends " + auth.Path + ")")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return bad("must use https unless the host is loopback (localhost, 127.0.0.1, ::1)")
	}
	return u.Scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeOrigin turns a configured origin into the form browsers send.
func normalizeOrigin(o string) (string, error) {
	bad := func(why string) (string, error) {
		return "", errors.New("allowed origin " + quote(o) + " (" + EnvAllowedOrigins + ") " + why)
	}
	s := strings.ToLower(strings.TrimSpace(o))
	s = strings.TrimSuffix(s, "/")
	if strings.Contains(s, "*") {
		return bad("has a wildcard: list exact origins")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return bad("is not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("must be http://host[:port] or https://host[:port]")
	case u.Host == "" || u.Opaque != "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return bad("must be scheme://host[:port] with nothing else")
	}
	host := u.Host
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	} else if u.Port() == "" && strings.HasSuffix(host, ":") {
		return bad("has an empty port")
	}
	return u.Scheme + "://" + host, nil
}

// seconds formats d as whole seconds, rounded up, at least 1.
func seconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// quote quotes a config value for an error message, cut to 100 bytes.
func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}
