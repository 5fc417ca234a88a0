//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrecompress(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mod time.Time) {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		require.NoError(t, os.Chtimes(p, mod, mod))
	}
	built := time.Now().Add(-time.Hour)
	module := []byte(strings.Repeat("export const answer = 42; // a module\n", 500))
	write("app.mjs", module, built)
	write("config.json", []byte(`{"proxy":null}`), built)
	write("picture.png", bytes.Repeat([]byte("png"), 1000), built)
	require.NoError(t, run(dir))

	plain := func(name string) []byte {
		t.Helper()
		f, err := os.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		defer f.Close()
		var r io.Reader = brotli.NewReader(f)
		if strings.HasSuffix(name, ".gz") {
			r, err = gzip.NewReader(f)
			require.NoError(t, err)
		}
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, module, plain("app.mjs.br"))
	assert.Equal(t, module, plain("app.mjs.gz"))
	for _, name := range []string{"config.json.br", "config.json.gz", "picture.png.br", "picture.png.gz"} {
		assert.NoFileExists(t, filepath.Join(dir, name), "too small to gain, or not a compressible type")
	}

	// Up to date: nothing is written again.
	copyTime := func(name string) time.Time {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		return fi.ModTime()
	}
	old := built.Add(time.Minute)
	for _, name := range []string{"app.mjs.br", "app.mjs.gz"} {
		require.NoError(t, os.Chtimes(filepath.Join(dir, name), old, old))
	}
	require.NoError(t, run(dir))
	assert.True(t, old.Equal(copyTime("app.mjs.br")), "rewritten though up to date")

	// Rebuilt: the copies follow. Rebuilt into something that does not
	// compress: no stale copy stays behind.
	changed := append(module, "export const more = 1;\n"...)
	write("app.mjs", changed, old.Add(time.Minute))
	require.NoError(t, run(dir))
	assert.Equal(t, changed, plain("app.mjs.br"))
	assert.Equal(t, changed, plain("app.mjs.gz"))
	random := make([]byte, 4096)
	rand.Read(random)
	write("app.mjs", random, time.Now().Add(time.Hour))
	require.NoError(t, run(dir))
	assert.NoFileExists(t, filepath.Join(dir, "app.mjs.br"))
	assert.NoFileExists(t, filepath.Join(dir, "app.mjs.gz"))

	require.Error(t, run(filepath.Join(dir, "missing")))
}
