//go:build !js

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/jquants-auth/jquants-auth/auth"
	"github.com/jquants-auth/jquants-auth/auth/authtest"
)

// pwMarker starts every password the tests of this package make up, so that
// a scan for it finds a password even where it was cut or is not registered.
// It appears in nothing else the tests send (never in a mail address).
const pwMarker = "PWe2eS3cr3t"

// tokenPattern matches every refresh token and ID token the fake issues.
var tokenPattern = regexp.MustCompile(`(` + regexp.QuoteMeta(authtest.TokenPrefix) + `|` + regexp.QuoteMeta(authtest.IDTokenPrefix) + `)[0-9a-f]*`)

// keyPattern matches every API key the tests use: the fake's, and the wrong
// ones the tests make up in the same shape. None may appear in an answer
// or a log.
var keyPattern = regexp.MustCompile(regexp.QuoteMeta(authtest.KeyPrefix) + `[0-9a-zA-Z]+`)

// secrets records, for the whole package run, every password sent and every
// answer received (with its own token), and logs of Workers already closed.
// The scan after the tests (TestMain) looks for a password anywhere, and for
// a token anywhere but in the answer it was issued in.
var secrets struct {
	mu        sync.Mutex
	passwords map[string]bool
	answers   []noted
	tokens    int
	logs      map[string]string
}

type noted struct{ body, token string }

// notePassword registers a password; passwords under 8 bytes are test
// inputs of the wrong shape, too short to scan for.
func notePassword(p string) {
	if len(p) < 8 {
		return
	}
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.passwords == nil {
		secrets.passwords = map[string]bool{}
	}
	secrets.passwords[p] = true
}

// notePasswordsIn registers the password of a JSON request body, if any.
func notePasswordsIn(body string) {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) == nil {
		if p, ok := m[auth.FieldPassword].(string); ok {
			notePassword(p)
		}
	}
}

// noteAnswer records an answer body and the token it carries (a refresh
// token or an ID token).
func noteAnswer(r reply) {
	tok := r.token() + r.idToken()
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	secrets.answers = append(secrets.answers, noted{r.Body, tok})
	if tok != "" {
		secrets.tokens++
	}
}

// summary collects each reliability category's counts, in the order noted,
// for the one line TestMain prints after the tests.
var summary struct {
	mu    sync.Mutex
	parts []string
}

// noteSummary adds "category counts" to the final reliability line.
func noteSummary(part string) {
	summary.mu.Lock()
	defer summary.mu.Unlock()
	summary.parts = append(summary.parts, part)
}

// printSummary prints the reliability line, if any test noted a part.
func printSummary(w io.Writer) {
	summary.mu.Lock()
	defer summary.mu.Unlock()
	if len(summary.parts) > 0 {
		fmt.Fprintf(w, "reliability: %s\n", strings.Join(summary.parts, ", "))
	}
}

// noteLog keeps the log of a Worker that is about to stop.
func noteLog(name, log string) {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	if secrets.logs == nil {
		secrets.logs = map[string]string{}
	}
	secrets.logs[name] = log
}

// scanSecrets prints the reliability summary, then scans every recorded
// answer, the logs noted and live (the shared Worker's), prints what it
// found and a line ending in "secrets found: N" to w, and returns N.
func scanSecrets(w io.Writer, live map[string]string) int {
	printSummary(w)
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	// Passwords with the marker are found by scanning for the marker; the
	// others (the demo account's, say) one by one.
	var plain []string
	for p := range secrets.passwords {
		if !strings.Contains(p, pwMarker) {
			plain = append(plain, p)
		}
	}
	plain = append(plain, authtest.DemoPassword)
	sort.Strings(plain)
	var findings []string
	scan := func(where, text, ownToken string) {
		if i := strings.Index(text, pwMarker); i >= 0 {
			findings = append(findings, fmt.Sprintf("%s: a password (%d occurrences of the marker)", where, strings.Count(text, pwMarker)))
		}
		for _, p := range plain {
			if strings.Contains(text, p) {
				findings = append(findings, fmt.Sprintf("%s: a password of %d bytes", where, len(p)))
			}
		}
		if n := len(keyPattern.FindAllString(text, -1)); n > 0 {
			findings = append(findings, fmt.Sprintf("%s: %d API keys", where, n))
		}
		for _, tok := range tokenPattern.FindAllString(text, -1) {
			if tok != ownToken || ownToken == "" {
				findings = append(findings, fmt.Sprintf("%s: a token not its own (%.24s…)", where, tok))
			} else {
				ownToken = "" // once is its own; twice is a leak
			}
		}
	}
	for i, a := range secrets.answers {
		scan(fmt.Sprintf("answer %d", i), a.body, a.token)
	}
	logBytes := 0
	names := make([]string, 0, len(secrets.logs)+len(live))
	all := map[string]string{}
	for k, v := range secrets.logs {
		all[k] = v
	}
	for k, v := range live {
		all[k] = v
	}
	for k := range all {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		logBytes += len(all[name])
		scan(name+" log", all[name], "")
	}
	for i, f := range findings {
		if i == 20 {
			fmt.Fprintf(w, "secrets: … and %d more\n", len(findings)-20)
			break
		}
		fmt.Fprintf(w, "secrets: %s\n", f)
	}
	fmt.Fprintf(w, "secrets: scanned %d answers (%d with a token) and %d logs (%d bytes) for %d passwords, every refresh and ID token and every API key; secrets found: %d\n",
		len(secrets.answers), secrets.tokens, len(names), logBytes, len(secrets.passwords)+1, len(findings))
	return len(findings)
}
