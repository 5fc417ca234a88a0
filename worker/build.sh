#!/usr/bin/env bash
# Builds the Go/WASM Cloudflare Worker into build/ (run from anywhere):
#   build/app.wasm     GOOS=js GOARCH=wasm build of the repository's package main
#   build/wasm_exec.js Go's own lib/wasm/wasm_exec.js, of the toolchain that built app.wasm
#   build/worker.mjs   worker/entry.mjs
# WORKER_OUT_DIR=dir builds into dir instead. wrangler.toml runs this as its
# [build] command, so `npx wrangler dev` and `npx wrangler deploy` build first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${WORKER_OUT_DIR:-build}"

mkdir -p "$out"
tmp="$(mktemp -d "${out}/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# wrangler serves the site too: build it into build/web/ first.
bash scripts/build-web.sh
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp/app.wasm" .
cp worker/entry.mjs "$tmp/worker.mjs"
install -m 644 "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js"

# Replace only what changed: a `wrangler dev` serving build/ reloads on any
# write, and tests start more than one.
for f in "$tmp"/*; do
  cmp -s "$f" "$out/${f##*/}" || mv -f "$f" "$out/"
done
echo "worker/build.sh: built $out/ (app.wasm $(wc -c <"$out/app.wasm") bytes)"
