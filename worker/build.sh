#!/usr/bin/env bash
# Builds the Go/WASM Cloudflare Worker into build/ (run from anywhere):
#   build/app.wasm     GOOS=js GOARCH=wasm build of the repository's package main
#   build/wasm_exec.js syumai/workers' wasm_exec_go.js (Go's wasm_exec.js + runtime context)
#   build/worker.mjs   worker/entry.mjs
# WORKER_OUT_DIR=dir builds into dir instead. wrangler.toml runs this as its
# [build] command, so `npx wrangler dev` and `npx wrangler deploy` build first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${WORKER_OUT_DIR:-build}"

# syumai/workers at the version go.mod requires.
workers_dir="$(go list -m -f '{{.Dir}}' github.com/syumai/workers 2>/dev/null || true)"
if [ -z "$workers_dir" ] || [ ! -d "$workers_dir" ]; then
  go mod download github.com/syumai/workers
  workers_dir="$(go list -m -f '{{.Dir}}' github.com/syumai/workers)"
fi
wasm_exec="$workers_dir/cmd/workers-assets-gen/assets/wasm_exec_go.js"

mkdir -p "$out"
tmp="$(mktemp -d "${out}/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# wrangler serves web/ too: build the browser module into it first.
bash scripts/build-web.sh
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp/app.wasm" .
cp worker/entry.mjs "$tmp/worker.mjs"
cp "$wasm_exec" "$tmp/wasm_exec.js"
chmod 644 "$tmp/wasm_exec.js" # the module cache is read-only

# syumai's copy is Go's lib/wasm/wasm_exec.js plus the runtime context (3
# lines changed): more means it and the Go toolchain drifted apart, which
# shows up as instantiate errors.
changed="$(diff "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js" | grep -c '^<' || true)"
if [ "$changed" != "3" ]; then
  echo "worker/build.sh: warning: $wasm_exec differs from $(go env GOVERSION)'s wasm_exec.js beyond syumai's patch ($changed lines)" >&2
fi

# Replace only what changed: a `wrangler dev` serving build/ reloads on any
# write, and tests start more than one.
for f in "$tmp"/*; do
  cmp -s "$f" "$out/${f##*/}" || mv -f "$f" "$out/"
done
echo "worker/build.sh: built $out/ (app.wasm $(wc -c <"$out/app.wasm") bytes)"
