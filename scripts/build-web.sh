#!/usr/bin/env bash
# Builds the browser module into web/ (not committed): jquants-auth.wasm, the
# auth core compiled to WebAssembly, and Go's matching wasm_exec.js; then the
# brotli and gzip copies of web/'s files. With them web/ is a complete
# static site. Files are replaced only when they
# changed, so a running `wrangler dev` is not reloaded for nothing.
# Prints the sizes and fails when gzip -9 is over the 750,000-byte budget.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

budget=750000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The flags are the ones that make the module smallest without changing
# what it does (gzip -9 bytes, Go 1.26.8, measured 2026-12-01):
#   -gcflags=all=-l  no inlining: 700,689 with it, 729,295 without. Inlined
#                    copies grow the code; the calls saved are a few per
#                    login, next to a network round trip.
#   -ldflags=-s -w   no symbol table or DWARF: 725,807 → 700,689.
#   -trimpath        no local paths in the binary (same size, reproducible).
# GOWASM=satconv,signext changed nothing (+16 B). -gcflags=-B (no bounds
# checks) would be smaller but unsafe, so it is not used.
GOOS=js GOARCH=wasm go build -trimpath -gcflags=all=-l -ldflags="-s -w" -o "$tmp/jquants-auth.wasm" ./wasm
install -m 644 "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js"
for f in "$tmp"/*; do
  cmp -s "$f" "web/${f##*/}" || install -m 644 "$f" web/
done

# NAME.br and NAME.gz beside each text and .wasm file, for `go run .`
# (internal/webassets); brotli is linked into that tool only.
go run ./scripts/precompress web

raw=$(wc -c <web/jquants-auth.wasm)
gz=$(gzip -9c web/jquants-auth.wasm | wc -c)
br=$(wc -c <web/jquants-auth.wasm.br)
echo "web: jquants-auth.wasm $raw bytes, gzip -9 $gz, brotli -q 11 $br (budget: gzip -9 <= $budget)"
if ((gz > budget)); then
  echo "web: jquants-auth.wasm is over its budget" >&2
  exit 1
fi
