package proxy

import (
	"errors"
	"io"
	"slices"
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
	EnvAPIRateLimit    = "API_RATE_LIMIT"       // "on" (default) or "off": Config.DisableAPIRateLimit
	EnvBodyReadTimeout = "BODY_READ_TIMEOUT"    // Config.BodyReadTimeout, a Go duration such as "30s"
)

// Defaults and limits.
const (
	// DefaultAllowedOrigins is the origin list used when Config.AllowedOrigins
	// is nil or ALLOWED_ORIGINS is unset: the local wrangler dev / native server.
	DefaultAllowedOrigins = "http://localhost:8787,http://127.0.0.1:8787"
	// DefaultUpstreamTimeout bounds the wait for J-Quants' answer to a login.
	DefaultUpstreamTimeout = 10 * time.Second
	// DefaultV2Timeout bounds the wait for the headers of a V2 answer.
	DefaultV2Timeout = 30 * time.Second
	// MaxUpstreamTimeout is the largest UpstreamTimeout (and BodyReadTimeout) accepted.
	MaxUpstreamTimeout = 5 * time.Minute
	// DefaultBodyReadTimeout bounds the wait for a request's body.
	DefaultBodyReadTimeout = 30 * time.Second
	// DefaultLoginLimit and DefaultLoginPeriod: the native server's
	// MemoryLimiter allows this many logins per client address per period.
	DefaultLoginLimit  = 10
	DefaultLoginPeriod = 60 * time.Second
	// DefaultAPILimit: the native server's V2 limiter allows this many
	// calls per client address per DefaultLoginPeriod. It protects the
	// deployment; J-Quants' own per-key limits still apply.
	DefaultAPILimit = 120
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

	// UpstreamTimeout bounds the wait for J-Quants' answer (a V2 answer's
	// headers; its body streams); after it the proxy answers 504 even if the
	// transport ignores its context. Must be at most MaxUpstreamTimeout.
	// Default 10s for logins, 30s for V2; when set, it sets both. Env
	// UPSTREAM_TIMEOUT.
	UpstreamTimeout time.Duration

	// BodyReadTimeout bounds the wait for a request: natively the server's
	// ReadTimeout (head and body), in the Worker the entry's read of the
	// body. A body that has not come in time is answered 400. Must be at
	// most MaxUpstreamTimeout. Default 30s. Env BODY_READ_TIMEOUT.
	BodyReadTimeout time.Duration

	// Limiter is asked, keyed by client address, before each login goes
	// upstream. Default nil: no limiting. Limiter errors fail open.
	Limiter Limiter

	// DisableRateLimit ignores Limiter. Default false (limiting on when a
	// Limiter is set). Env LOGIN_RATE_LIMIT=off sets it.
	DisableRateLimit bool

	// APILimiter is asked, keyed by client address, before each V2 call
	// goes upstream. Default nil: no limiting. Errors fail open.
	APILimiter Limiter

	// DisableAPIRateLimit ignores APILimiter. Env API_RATE_LIMIT=off sets it.
	DisableAPIRateLimit bool

	// LimiterRetryAfter is sent as Retry-After (whole seconds) when Limiter
	// refuses a login, and when J-Quants answers 429 without a Retry-After.
	// Default DefaultLoginPeriod (60s).
	LimiterRetryAfter time.Duration

	// Log receives one line per request (method, path, status, duration,
	// origin, code), never a body, password or token. Writes are serialised.
	// Default os.Stderr; io.Discard silences it.
	Log io.Writer
}

// ConfigFromEnv reads the six environment variables through getenv (for
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

	for _, d := range [...]struct {
		name, example string
		dst           *time.Duration
	}{{EnvUpstreamTimeout, "10s", &cfg.UpstreamTimeout}, {EnvBodyReadTimeout, "30s", &cfg.BodyReadTimeout}} {
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				errs = append(errs, errors.New(d.name+"="+quote(v)+": want a positive Go duration such as \""+d.example+"\""))
			} else {
				*d.dst = t
			}
		}
	}

	for _, sw := range [...]struct {
		name string
		off  *bool
	}{{EnvLoginRateLimit, &cfg.DisableRateLimit}, {EnvAPIRateLimit, &cfg.DisableAPIRateLimit}} {
		switch v := strings.TrimSpace(getenv(sw.name)); {
		case v == "" || strings.EqualFold(v, "on"):
		case strings.EqualFold(v, "off"):
			*sw.off = true
		default:
			errs = append(errs, errors.New(sw.name+"="+quote(v)+": want \"on\" or \"off\""))
		}
	}
	return cfg, errors.Join(errs...)
}

// compiled is a checked Config.
type compiled struct {
	base        string        // BaseURL without a trailing slash
	authUserURL string        // base + auth.Path, made once
	origins     []string      // normalised, each once: a short list, scanned
	timeout     time.Duration // a login's
	bodyRead    time.Duration // Config.BodyReadTimeout
	v2Timeout   time.Duration // a V2 answer's headers
	limit       bool          // ask a login limiter before each call
	limiter     Limiter       // the native server's limiter, when limit
	apiLimit    bool          // ask an API limiter before each V2 call
	apiLimiter  Limiter       // the native server's, when apiLimit
	retryAfter  string        // LimiterRetryAfter in seconds
	log         io.Writer
}

func compile(cfg Config) (compiled, error) {
	var c compiled
	var errs []error

	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		errs = append(errs, err)
	}
	c.base, c.authUserURL = base, base+auth.Path

	list := cfg.AllowedOrigins
	if list == nil {
		list = strings.Split(DefaultAllowedOrigins, ",")
	}
	for _, o := range list {
		n, err := normalizeOrigin(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(c.origins, n) {
			c.origins = append(c.origins, n)
		}
	}

	switch t := cfg.UpstreamTimeout; {
	case t < 0 || t > MaxUpstreamTimeout:
		errs = append(errs, errors.New("UpstreamTimeout ("+EnvUpstreamTimeout+") "+t.String()+": want more than 0 and at most "+MaxUpstreamTimeout.String()))
	case t == 0:
		c.timeout, c.v2Timeout = DefaultUpstreamTimeout, DefaultV2Timeout
	default:
		c.timeout, c.v2Timeout = t, t
	}

	switch t := cfg.BodyReadTimeout; {
	case t < 0 || t > MaxUpstreamTimeout:
		c.bodyRead = DefaultBodyReadTimeout
		errs = append(errs, errors.New("BodyReadTimeout ("+EnvBodyReadTimeout+") "+t.String()+": want more than 0 and at most "+MaxUpstreamTimeout.String()))
	case t == 0:
		c.bodyRead = DefaultBodyReadTimeout
	default:
		c.bodyRead = t
	}

	c.limit = !cfg.DisableRateLimit
	if c.limit {
		c.limiter = cfg.Limiter
	}
	c.apiLimit = !cfg.DisableAPIRateLimit
	if c.apiLimit {
		c.apiLimiter = cfg.APILimiter
	}
	switch ra := cfg.LimiterRetryAfter; {
	case ra < 0:
		errs = append(errs, errors.New("LimiterRetryAfter "+ra.String()+": want a positive duration"))
	case ra == 0:
		c.retryAfter = seconds(DefaultLoginPeriod)
	default:
		c.retryAfter = seconds(ra)
	}
	c.log = cfg.Log
	return c, errors.Join(errs...)
}

// splitURL splits scheme://host[:port][rest] without net/url, which would
// link fmt into the Worker. It lower-cases the scheme.
func splitURL(s string) (scheme, host, rest string, ok bool) {
	scheme, after, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(s, " \t\r\n\x7f\\") {
		return "", "", "", false
	}
	i := strings.IndexAny(after, "/?#")
	if i < 0 {
		i = len(after)
	}
	return strings.ToLower(scheme), after[:i], after[i:], true
}

// validHost accepts a host name, an IPv4 address or a [bracketed] IPv6
// address, with an optional numeric port.
func validHost(h string) bool {
	if rest, ok := strings.CutPrefix(h, "["); ok {
		addr, port, ok := strings.Cut(rest, "]")
		if !ok {
			return false
		}
		if _, ok := parseIP(addr); !ok {
			return false
		}
		h = "x" + port
	}
	name, port, hasPort := strings.Cut(h, ":")
	if name == "" || hasPort && (len(port) > 5 || !isDigits(port)) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// hostname is host without its port or IPv6 brackets.
func hostname(host string) string {
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		return host[1:end]
	}
	name, _, _ := strings.Cut(host, ":")
	return name
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
	scheme, host, rest, ok := splitURL(s)
	switch {
	case !ok && !strings.Contains(s, "://"):
		return bad("must start with https:// (or http:// for a loopback host)")
	case !ok:
		return bad("is not a URL")
	case scheme != "https" && scheme != "http":
		return bad("must start with https:// (or http:// for a loopback host)")
	case strings.Contains(host, "@"):
		return bad("must not contain user info")
	case host == "":
		return bad("has no host")
	case !validHost(host):
		return bad("is not a URL")
	case strings.ContainsAny(rest, "?#"):
		return bad("must not have a query or fragment")
	case rest != "" && rest != "/":
		return bad("must not have a path (the proxy appends " + auth.Path + " and " + auth.V2Prefix + "/…)")
	case scheme == "http" && !isLoopback(hostname(host)):
		return bad("must use https unless the host is loopback (localhost, 127.0.0.1, ::1)")
	}
	return scheme + "://" + host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, ok := parseIP(host)
	return ok && isLoopbackIP(ip)
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
	scheme, host, rest, ok := splitURL(s)
	switch {
	case !ok && strings.Contains(s, "://"):
		return bad("is not a URL")
	case !ok || scheme != "http" && scheme != "https":
		return bad("must be http://host[:port] or https://host[:port]")
	case host == "" || rest != "" || strings.Contains(host, "@"):
		return bad("must be scheme://host[:port] with nothing else")
	case strings.HasSuffix(host, ":"):
		return bad("has an empty port")
	case !validHost(host):
		return bad("is not a URL")
	}
	if scheme == "http" && strings.HasSuffix(host, ":80") || scheme == "https" && strings.HasSuffix(host, ":443") {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return scheme + "://" + host, nil
}

// seconds formats d as whole seconds, rounded up, at least 1.
func seconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}

// quote quotes a config value for an error message, cut to 100 bytes.
func quote(s string) string { return strconv.Quote(cut(s, 100)) }
