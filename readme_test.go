//go:build !js || !wasm

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADMEGoExample: every line of the README's Go example appears, in
// the same order, in auth/authhttp/example_test.go, which `go test` compiles
// and runs. So the example a reader copies is code that works; it may leave
// lines out (the imports only the test needs), never change them.
func TestREADMEGoExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	example, err := os.ReadFile("auth/authhttp/example_test.go")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 1, "Go blocks in README.md")
	assert.Contains(t, blocks[0][1], "func idToken(")

	have := nonBlankLines(string(example))
	i := 0
	for _, line := range nonBlankLines(blocks[0][1]) {
		for i < len(have) && have[i] != line {
			i++
		}
		if !assert.Less(t, i, len(have), "README line not in example_test.go (or out of order): %q", line) {
			return
		}
		i++
	}
}

func nonBlankLines(s string) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}
