//go:build !js

// Command precompress writes NAME.br (brotli quality 11) and NAME.gz (gzip
// level 9) beside each compressible file in a directory, for `go run .` to
// serve (internal/webassets picks one by Accept-Encoding). Cloudflare
// compresses Workers assets on its own, so web/.assetsignore keeps these
// copies out of the upload. scripts/build-web.sh runs it on the site it
// builds:
//
//	go run ./scripts/precompress build/web
//
// A copy is rewritten only when it is older than its file, so a rebuild that
// changed nothing writes nothing (and reloads no `wrangler dev`). A copy that
// would not be smaller than its file is not kept: the file is served as is.
// It is a separate command so that brotli is linked into neither the server
// nor the WebAssembly builds.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/andybalholm/brotli"
)

// compressible are the extensions worth compressing: text, and
// WebAssembly (the largest file by far; it compresses to a quarter).
var compressible = map[string]bool{
	".html": true, ".css": true, ".js": true, ".mjs": true, ".json": true,
	".mts": true, ".ts": true, ".svg": true, ".txt": true, ".wasm": true,
}

// encodings are the copies written, by suffix.
var encodings = []struct {
	suffix   string
	compress func(w io.Writer, data []byte) error
}{
	{".br", func(w io.Writer, data []byte) error {
		bw := brotli.NewWriterOptions(w, brotli.WriterOptions{Quality: brotli.BestCompression})
		if _, err := bw.Write(data); err != nil {
			return err
		}
		return bw.Close()
	}},
	{".gz", func(w io.Writer, data []byte) error {
		gw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := gw.Write(data); err != nil {
			return err
		}
		return gw.Close()
	}},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: precompress DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && compressible[filepath.Ext(e.Name())] {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if err := precompress(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// precompress brings name's copies up to date.
func precompress(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	var data []byte
	for _, enc := range encodings {
		out := name + enc.suffix
		if ci, err := os.Stat(out); err == nil && !ci.ModTime().Before(fi.ModTime()) {
			continue
		}
		if data == nil {
			if data, err = os.ReadFile(name); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		if err := enc.compress(&buf, data); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		if buf.Len() >= len(data) {
			// Not worth it: no copy, and no stale one left behind.
			if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
				return err
			}
			continue
		}
		if err := writeAtomic(out, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes through a temporary file and a rename, so a server
// never reads half a copy.
func writeAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".precompress-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
