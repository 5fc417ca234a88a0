#!/usr/bin/env bash
# Builds the site into build/web/ from web/ (its sources, as committed): the
# browser module, the auth core compiled to WebAssembly and named after its
# content (jquants-auth.<16 hex of its SHA-256>.wasm), Go's matching
# wasm_exec.js, web/'s files with that name written into index.html (its
# preload) and jquants-auth.mjs (load()'s default), then the brotli and gzip
# copies `go run .` serves. A new build is a new URL, so web/_headers lets
# browsers keep the module a year without asking.
# Files are replaced only when they changed and files of earlier builds are
# removed, so a running `wrangler dev` is not reloaded for nothing.
# Prints the sizes and fails when gzip -9 is over the 750,000-byte budget.
set -euo pipefail
shopt -s dotglob nullglob
cd "$(dirname "${BASH_SOURCE[0]}")/.."

budget=750000
out=build/web
mkdir -p "$out"
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
GOOS=js GOARCH=wasm go build -trimpath -gcflags=all=-l -ldflags="-s -w" -o "$tmp/module.wasm" ./wasm
wasm=jquants-auth.$(sha256sum "$tmp/module.wasm" | cut -c1-16).wasm
mv "$tmp/module.wasm" "$tmp/$wasm"
install -m 644 "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js"
# web/'s files, but none a build wrote there before build/web/ existed.
for f in web/*; do
  case ${f##*/} in
  *.wasm | *.br | *.gz | wasm_exec.js) ;;
  *) install -m 644 "$f" "$tmp/" ;;
  esac
done

# The one place each file names the module; anything else is a mistake.
stamp() {
  local file=$1 from=$2
  if (($(grep -cF -- "$from" "$tmp/$file") != 1)); then
    echo "web: $file should name the module once as $from" >&2
    exit 1
  fi
  sed -i "s|${from//./\\.}|${from/jquants-auth.wasm/$wasm}|" "$tmp/$file"
}
stamp index.html 'href="jquants-auth.wasm"'
stamp jquants-auth.mjs '"./jquants-auth.wasm"'

for f in "$tmp"/*; do
  cmp -s "$f" "$out/${f##*/}" || install -m 644 "$f" "$out/"
done
# What an earlier build left: an older module, and copies of gone files.
# Not hidden files: a build beside this one (wrangler dev runs one per
# instance) may be writing a copy through a .precompress-* file.
for f in "$out"/*; do
  base=${f##*/}
  [[ $base != .* ]] || continue
  base=${base%.br}
  base=${base%.gz}
  [[ -e $tmp/$base ]] || rm -f "$f"
done

# NAME.br and NAME.gz beside each text and .wasm file, for `go run .`
# (internal/webassets); brotli is linked into that tool only.
go run ./scripts/precompress "$out"

raw=$(wc -c <"$out/$wasm")
gz=$(gzip -9c <"$out/$wasm" | wc -c) # from stdin: no file name in the header
br=$(wc -c <"$out/$wasm.br")
echo "web: $out/$wasm $raw bytes, gzip -9 $gz, brotli -q 11 $br (budget: gzip -9 <= $budget)"
if ((gz > budget)); then
  echo "web: $wasm is over its budget" >&2
  exit 1
fi
