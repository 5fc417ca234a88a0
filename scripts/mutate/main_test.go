package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sizeSource = `package size

const Limit = 2 * 5

var names = []string{"a" + "b"}

func Size(n int) string {
	switch {
	case n > Limit:
		return "big"
	case n > 0:
		return names[0]
	case n == -1:
	}
	return "none"
}

func Sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	default:
		return 0
	}
}

func Unused(n int) bool {
	switch {
	case n < 0:
		return true
	}
	return false
}
`

const sizeTest = `package size

import "testing"

func TestSize(t *testing.T) {
	if Size(3) != "ab" {
		t.Fatal(Size(3))
	}
	if Sign(0) != 0 {
		t.Fatal(Sign(0))
	}
}
`

// The stand-in go over a real coverage run of a small module: the case
// expressions that were evaluated and the package-level values gain blocks;
// a case never reached and a function never called do not.
func TestStandInGoCompletesTheProfile(t *testing.T) {
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":       "module example.com/size\n\ngo 1.26\n",
		"size.go":      sizeSource,
		"size_test.go": sizeTest,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	t.Chdir(dir)
	t.Setenv(envRealGo, realGo)
	profile := filepath.Join(dir, "coverage")

	require.Zero(t, standInGo([]string{"test", "-cover", "-coverprofile", profile, "./..."}))
	data, err := os.ReadFile(profile)
	require.NoError(t, err)
	text := string(data)

	// covered reports whether the profile has a block that ran starting
	// where expr starts in the first occurrence of context in the source.
	covered := func(context, expr string) bool {
		t.Helper()
		at, in := strings.Index(sizeSource, context), strings.Index(context, expr)
		require.True(t, at >= 0 && in >= 0, "%q in %q in the source", expr, context)
		at += in
		line := 1 + strings.Count(sizeSource[:at], "\n")
		col := at - strings.LastIndexByte(sizeSource[:at], '\n')
		start := "/size.go:" + strconv.Itoa(line) + "." + strconv.Itoa(col) + ","
		for l := range strings.Lines(text) {
			if f := strings.Fields(l); strings.Contains(l, start) && f[len(f)-1] != "0" {
				return true
			}
		}
		return false
	}
	assert.True(t, covered("case n > Limit:", "n > Limit"), "a case before the one that ran")
	assert.True(t, covered("case n > 0:\n\t\treturn names", "n > 0"), "the case that ran")
	assert.False(t, covered("case n == -1:", "n == -1"), "a case after the one that ran, never reached")
	assert.True(t, covered("case n < 0:\n\t\treturn -1", "n < 0"), "a case before a default that ran")
	assert.False(t, covered("case n < 0:\n\t\treturn true", "n < 0"), "a case of a function never called")
	assert.True(t, covered("const Limit = 2 * 5", "2 * 5"), "a constant")
	assert.True(t, covered("var names = []string", "[]string"), "a package-level var")

	// The blocks it adds are what gremlins' parser (golang.org/x/tools/cover)
	// accepts: go tool cover reads the profile back.
	out, err := exec.Command(realGo, "tool", "cover", "-func", profile).CombinedOutput()
	require.NoError(t, err, string(out))
}

// Files -exclude matches leave the profile, so gremlins runs none of their
// mutants; the others stay.
func TestStandInGoDropsExcludedFiles(t *testing.T) {
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":       "module example.com/size\n\ngo 1.26\n",
		"size.go":      sizeSource,
		"size_test.go": sizeTest,
		"data.go":      "package size\n\nfunc Data(n int) int { return n * 7 }\n",
		"data_test.go": "package size\n\nimport \"testing\"\n\nfunc TestData(t *testing.T) { _ = Data(1) }\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	t.Chdir(dir)
	t.Setenv(envRealGo, realGo)
	t.Setenv(envExclude, `^data\.go$`)
	profile := filepath.Join(dir, "coverage")
	require.Zero(t, standInGo([]string{"test", "-cover", "-coverprofile", profile, "./..."}))
	data, err := os.ReadFile(profile)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "mode: "))
	assert.Contains(t, string(data), "example.com/size/size.go:")
	assert.NotContains(t, string(data), "data.go:")
}

// A failing go run keeps its exit code and leaves the profile alone.
func TestStandInGoKeepsExitCode(t *testing.T) {
	realGo, err := exec.LookPath("go")
	require.NoError(t, err)
	t.Setenv(envRealGo, realGo)
	assert.Equal(t, 2, standInGo([]string{"no-such-command"}))
}
