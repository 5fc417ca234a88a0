//go:build !js

// Package webassets serves the static page in web/ the way Cloudflare's
// Workers assets (and so `wrangler dev`) do: the rules of web/_headers
// applied, the files web/.assetsignore names and those starting with "_" or
// "." hidden, "/" being index.html and "/index.html" redirected to it, a
// strong ETag of the content with If-None-Match answered 304, and other
// methods than GET and HEAD answered 405. Where Cloudflare compresses each
// answer itself, this serves the brotli or gzip copy made at build time
// (scripts/precompress), as Accept-Encoding allows. The native server
// (`go run .`) and the e2e tests' second origin use it, so the page runs
// under the same headers, the CSP above all, everywhere.
package webassets

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rule is one block of a _headers file.
type Rule struct {
	Pattern string      // an exact path, or one with a single "*" matching any run of characters ("/*", "/app.*.wasm")
	Unset   []string    // the "! Name" lines: headers removed before this rule's own are set
	Header  http.Header // the "Name: value" lines
}

// Matches reports whether the rule applies to a request path.
func (r Rule) Matches(p string) bool {
	prefix, suffix, splat := strings.Cut(r.Pattern, "*")
	if !splat {
		return p == r.Pattern
	}
	return len(p) >= len(prefix)+len(suffix) && strings.HasPrefix(p, prefix) && strings.HasSuffix(p, suffix)
}

// ReadHeaders parses the subset of Cloudflare's _headers format that
// web/_headers uses: a path pattern on a line of its own, then indented
// "Name: value" or "! Name" lines; "#" starts a comment line.
func ReadHeaders(name string) ([]Rule, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rules []Rule
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case line[0] != ' ' && line[0] != '\t':
			if strings.Count(trimmed, "*") > 1 {
				return nil, errors.New(name + ":" + strconv.Itoa(n) + ": more than one * in " + strconv.Quote(trimmed))
			}
			rules = append(rules, Rule{Pattern: trimmed, Header: http.Header{}})
		default:
			k, v, ok := strings.Cut(trimmed, ":")
			unset, isUnset := strings.CutPrefix(trimmed, "!")
			if (!ok && !isUnset) || len(rules) == 0 {
				return nil, errors.New(name + ":" + strconv.Itoa(n) + ": cannot parse " + strconv.Quote(line))
			}
			r := &rules[len(rules)-1]
			if !ok {
				r.Unset = append(r.Unset, http.CanonicalHeaderKey(strings.TrimSpace(unset)))
				continue
			}
			r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return rules, sc.Err()
}

// Apply sets the headers of every rule matching the request path p on h, in
// file order, as Cloudflare does: a rule's "! Name" removes the header,
// then the first rule to name a header replaces any value h has and later
// ones add theirs.
func Apply(rules []Rule, p string, h http.Header) {
	set := map[string]bool{}
	for _, rule := range rules {
		if !rule.Matches(p) {
			continue
		}
		for _, k := range rule.Unset {
			h.Del(k)
		}
		for k, vs := range rule.Header {
			if !set[k] {
				h.Del(k)
				set[k] = true
			}
			h[k] = append(h[k], vs...)
		}
	}
}

// readIgnore parses the subset of the .assetsignore (gitignore) syntax that
// web/.assetsignore uses: a file name pattern per line ("*.br"), matched
// against every path's last element, or one starting with "/", matched
// against the whole path; "#" starts a comment line. A missing file
// ignores nothing.
func readIgnore(name string) ([]string, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var patterns []string
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bad := strings.HasPrefix(line, "!") || strings.Contains(strings.TrimPrefix(line, "/"), "/")
		if _, err := path.Match(line, ""); err != nil || bad {
			return nil, errors.New(name + ":" + strconv.Itoa(n+1) + ": unsupported pattern " + strconv.Quote(line))
		}
		patterns = append(patterns, line)
	}
	return patterns, nil
}

func ignored(patterns []string, p string) bool {
	for _, pat := range patterns {
		subject := path.Base(p)
		if strings.HasPrefix(pat, "/") {
			subject = p
		}
		if ok, _ := path.Match(pat, subject); ok {
			return true
		}
	}
	return false
}

var contentTypes = map[string]string{
	".mjs":  "text/javascript; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".mts":  "text/plain; charset=utf-8",
	".ts":   "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := filepath.Ext(name)
	if ct, ok := contentTypes[ext]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// defaultCacheControl is what Workers assets send when no _headers rule
// sets Cache-Control: cache, but ask each time (ETag).
const defaultCacheControl = "public, max-age=0, must-revalidate"

// encodings are the precompressed copies, best first: a copy NAME+suffix
// made by scripts/precompress is served as that Content-Encoding.
var encodings = []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

type server struct {
	dir      string
	rules    []Rule
	ignore   []string
	fallback http.Handler

	mu    sync.Mutex
	etags map[string]etag // by file name
}

// etag is a file's content hash, valid while its size and time stay.
type etag struct {
	size  int64
	mod   time.Time
	value string
}

// New serves dir with the rules of dir/_headers and dir/.assetsignore. A
// path with no file goes to fallback (nil: 404), as a Worker runs for paths
// no asset matches.
func New(dir string, fallback http.Handler) (http.Handler, error) {
	rules, err := ReadHeaders(filepath.Join(dir, "_headers"))
	if err != nil {
		return nil, err
	}
	ignore, err := readIgnore(filepath.Join(dir, ".assetsignore"))
	if err != nil {
		return nil, err
	}
	if fallback == nil {
		fallback = http.NotFoundHandler()
	}
	return &server{dir: dir, rules: rules, ignore: ignore, fallback: fallback, etags: map[string]etag{}}, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := path.Clean("/" + r.URL.Path)
	name, fi := s.lookup(p)
	if fi == nil {
		s.fallback.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	// Workers assets' html_handling "auto-trailing-slash": one URL per page.
	if dir, ok := strings.CutSuffix(p, "/index.html"); ok || (filepath.Base(name) == "index.html" && !strings.HasSuffix(r.URL.Path, "/")) {
		if !ok {
			dir = p
		}
		target := strings.TrimSuffix(dir, "/") + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		h.Set("Location", target)
		Apply(s.rules, r.URL.Path, h)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		Apply(s.rules, r.URL.Path, h)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	h.Set("Cache-Control", defaultCacheControl)
	Apply(s.rules, r.URL.Path, h)
	tag, err := s.etag(name, fi)
	if err != nil {
		http.Error(w, "cannot read "+p, http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", contentType(name))
	h.Set("ETag", `"`+tag+`"`)
	f, encoding, varies := s.open(name, fi, r.Header.Get("Accept-Encoding"))
	if f == nil {
		http.Error(w, "cannot read "+p, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	if varies {
		h.Add("Vary", "Accept-Encoding")
	}
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
		// The hash is of the file, not of these bytes: weak, as Cloudflare
		// marks the ETag of an answer it compressed.
		h.Set("ETag", `W/"`+tag+`"`)
	}
	// No Last-Modified (a zero time), as Workers assets: the ETag decides.
	http.ServeContent(w, r, "", time.Time{}, f)
}

// lookup finds the file for a clean path: the file itself, or a
// directory's index.html. Hidden and ignored files are not there.
func (s *server) lookup(p string) (string, os.FileInfo) {
	if strings.HasPrefix(p, "/_") || strings.Contains(p, "/.") || ignored(s.ignore, p) {
		return "", nil
	}
	name := filepath.Join(s.dir, filepath.FromSlash(p))
	fi, err := os.Stat(name)
	if err == nil && fi.IsDir() {
		name = filepath.Join(name, "index.html")
		fi, err = os.Stat(name)
	}
	if err != nil || !fi.Mode().IsRegular() {
		return "", nil
	}
	return name, fi
}

// open returns the copy of name to send: the first precompressed one
// Accept-Encoding takes, else the file itself. A copy older than its file
// (the file was edited since the build) is not used. varies says whether
// the answer depends on Accept-Encoding, that is, whether a copy exists.
func (s *server) open(name string, fi os.FileInfo, acceptEncoding string) (f *os.File, encoding string, varies bool) {
	for _, enc := range encodings {
		ci, err := os.Stat(name + enc.suffix)
		if err != nil || ci.ModTime().Before(fi.ModTime()) {
			continue
		}
		varies = true
		if encoding == "" && accepts(acceptEncoding, enc.name) {
			if f, err = os.Open(name + enc.suffix); err == nil {
				encoding = enc.name
			}
		}
	}
	if f == nil {
		f, _ = os.Open(name)
	}
	return f, encoding, varies
}

// accepts reports whether an Accept-Encoding value allows coding: named
// (or "*") with a q-value above 0.
func accepts(acceptEncoding, coding string) bool {
	for _, item := range strings.Split(acceptEncoding, ",") {
		c, params, _ := strings.Cut(item, ";")
		c = strings.TrimSpace(c)
		if !strings.EqualFold(c, coding) && c != "*" {
			continue
		}
		q := 1.0
		for _, param := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(param, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}

// etag is the hex SHA-256 (first 128 bits) of name's content, computed
// again only when its size or time change.
func (s *server) etag(name string, fi os.FileInfo) (string, error) {
	s.mu.Lock()
	e, ok := s.etags[name]
	s.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.value, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", err
	}
	e = etag{size: fi.Size(), mod: fi.ModTime(), value: hex.EncodeToString(hash.Sum(nil)[:16])}
	s.mu.Lock()
	s.etags[name] = e
	s.mu.Unlock()
	return e.value, nil
}
