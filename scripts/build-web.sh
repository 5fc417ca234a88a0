#!/usr/bin/env bash
# Builds the browser module into web/ (not committed): jquants-auth.wasm, the
# auth core compiled to WebAssembly, and Go's matching wasm_exec.js. With
# them web/ is a complete static site. Files are replaced only when they
# changed, so a running `wrangler dev` is not reloaded for nothing.
# Prints the sizes and fails when gzip -9 is over the 1,000,000-byte budget.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -gcflags=all=-l (no inlining) makes the module about 6% smaller gzipped.
GOOS=js GOARCH=wasm go build -trimpath -gcflags=all=-l -ldflags="-s -w" -o "$tmp/jquants-auth.wasm" ./wasm
install -m 644 "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js"
for f in "$tmp"/*; do
  cmp -s "$f" "web/${f##*/}" || install -m 644 "$f" web/
done

raw=$(wc -c <web/jquants-auth.wasm)
gz=$(gzip -9c web/jquants-auth.wasm | wc -c)
br=n/a
if command -v brotli >/dev/null; then br=$(brotli -c -q 11 web/jquants-auth.wasm | wc -c); fi
echo "web: jquants-auth.wasm $raw bytes, gzip -9 $gz, brotli -q 11 $br (budget: gzip -9 <= 1000000)"
if ((gz > 1000000)); then
  echo "web: jquants-auth.wasm is over its budget" >&2
  exit 1
fi
