package proxy

import "strings"

// resolveTarget is the one rule both edges' request targets go through
// before the exact path match: the path and raw query a WHATWG URL parser
// (workerd's, which hands the Worker its request's URL already parsed)
// makes of the target. The fragment is dropped, an absolute-form target
// keeps only its path and query, a backslash is a slash, and dot segments
// (".", "..", and their %2e spellings) are resolved. It is idempotent, so
// the Worker's already parsed URL comes out as it went in, and the native
// edge's raw target gets the answer the Worker gives the same bytes.
// Percent-escapes are left as they are: "%5F" never matches "_". (An
// absolute-form target with an empty authority, "http:///…", workerd
// refuses itself with a plain-text 400 before the Worker runs; natively it
// resolves as the parser would, to a 404.)
func resolveTarget(target string) (path, query string) {
	target, _, _ = strings.Cut(target, "#")
	target, query, _ = strings.Cut(target, "?")
	if scheme, rest, ok := strings.Cut(target, "://"); ok && !strings.ContainsAny(scheme, "/\\") {
		// Absolute form: the authority goes; what follows it is the path.
		// Slashes before the authority are skipped, as a WHATWG parser
		// skips them: "http:///x/y" names host x.
		rest = strings.TrimLeft(rest, "/\\")
		target = "/"
		if i := strings.IndexAny(rest, "/\\"); i != -1 {
			target = rest[i:]
		}
	}
	return resolvePath(target), query
}

// resolvePath resolves the dot segments of an absolute path as the WHATWG
// URL standard's path state does for http(s) URLs.
func resolvePath(p string) string {
	if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "\\") {
		return p // "*" and the like: matches nothing, kept for the log
	}
	if !strings.ContainsAny(p, ".\\%") {
		return p // the common case: nothing to resolve
	}
	var segments []string
	rest := p[1:]
	for {
		i := strings.IndexAny(rest, "/\\")
		seg, last := rest, i < 0
		if !last {
			seg, rest = rest[:i], rest[i+1:]
		}
		switch {
		case isDoubleDot(seg):
			if len(segments) > 0 {
				segments = segments[:len(segments)-1]
			}
			if last {
				segments = append(segments, "")
			}
		case isSingleDot(seg):
			if last {
				segments = append(segments, "")
			}
		default:
			segments = append(segments, seg)
		}
		if last {
			return "/" + strings.Join(segments, "/")
		}
	}
}

func isSingleDot(s string) bool { return s == "." || strings.EqualFold(s, "%2e") }

func isDoubleDot(s string) bool {
	switch strings.ToLower(s) {
	case "..", ".%2e", "%2e.", "%2e%2e":
		return true
	}
	return false
}
