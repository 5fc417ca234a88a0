//go:build !js

// Package webassets serves the static page in web/ the way Cloudflare's
// Workers assets (and so `wrangler dev`) do: the rules of web/_headers
// applied, files starting with "_" or "." hidden, "/" being index.html. The
// native server (`go run .`) and the e2e tests' second origin use it, so the
// page runs under the same headers, the CSP above all, everywhere.
package webassets

import (
	"bufio"
	"errors"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Rule is one block of a _headers file.
type Rule struct {
	Pattern string // "/*" (every path), "/dir/*" (a prefix) or an exact path
	Header  http.Header
}

// Matches reports whether the rule applies to a request path.
func (r Rule) Matches(p string) bool {
	if prefix, ok := strings.CutSuffix(r.Pattern, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return p == r.Pattern
}

// ReadHeaders parses the subset of Cloudflare's _headers format that
// web/_headers uses: a path pattern on a line of its own, then indented
// "Name: value" lines; "#" starts a comment line.
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
			rules = append(rules, Rule{Pattern: trimmed, Header: http.Header{}})
		default:
			k, v, ok := strings.Cut(trimmed, ":")
			if !ok || len(rules) == 0 {
				return nil, errors.New(name + ":" + strconv.Itoa(n) + ": cannot parse " + strconv.Quote(line))
			}
			rules[len(rules)-1].Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return rules, sc.Err()
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

// New serves dir with the rules of dir/_headers. A path with no file goes
// to fallback (nil: 404), as a Worker runs for paths no asset matches.
func New(dir string, fallback http.Handler) (http.Handler, error) {
	rules, err := ReadHeaders(filepath.Join(dir, "_headers"))
	if err != nil {
		return nil, err
	}
	if fallback == nil {
		fallback = http.NotFoundHandler()
	}
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + r.URL.Path)
		if strings.HasPrefix(p, "/_") || strings.Contains(p, "/.") || !exists(dir, p) {
			fallback.ServeHTTP(w, r)
			return
		}
		for _, rule := range rules {
			if rule.Matches(r.URL.Path) {
				for k, vs := range rule.Header {
					w.Header()[k] = append(w.Header()[k], vs...)
				}
			}
		}
		if ct, ok := contentTypes[filepath.Ext(p)]; ok {
			w.Header().Set("Content-Type", ct)
		}
		files.ServeHTTP(w, r)
	}), nil
}

// exists reports whether p (clean, rooted) names a file in dir, or a
// directory with an index.html.
func exists(dir, p string) bool {
	fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
	if err == nil && fi.IsDir() {
		fi, err = os.Stat(filepath.Join(dir, filepath.FromSlash(p), "index.html"))
	}
	return err == nil && !fi.IsDir()
}
