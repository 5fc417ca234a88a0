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

// TestREADMEGoExample: every line of each of the README's Go examples
// appears, in the same order, in the example file that defines its first
// function (auth/authhttp/example_test.go for V1, example_v2_test.go for
// V2), which `go test` compiles and runs. So the code a reader copies works;
// it may leave lines out (the imports only the test needs), never change them.
func TestREADMEGoExample(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	files := map[string]string{"func idToken(": "auth/authhttp/example_test.go", "func closes(": "auth/authhttp/example_v2_test.go"}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, len(files), "Go blocks in README.md")
	for _, block := range blocks {
		file := ""
		for fn, f := range files {
			if strings.Contains(block[1], fn) {
				file = f
			}
		}
		require.NotEmpty(t, file, "a README Go block with none of %v", files)
		example, err := os.ReadFile(file)
		require.NoError(t, err)
		have := nonBlankLines(string(example))
		i := 0
		for _, line := range nonBlankLines(block[1]) {
			for i < len(have) && have[i] != line {
				i++
			}
			if !assert.Less(t, i, len(have), "README line not in %s (or out of order): %q", file, line) {
				return
			}
			i++
		}
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
