#!/usr/bin/env bash
# Builds the Go/WASM Cloudflare Worker bundle into build/ (run from anywhere):
#   build/app.wasm     GOOS=js GOARCH=wasm build of the repo root package main
#   build/wasm_exec.js syumai/workers' wasm_exec_go.js (Go's wasm_exec.js + context proxy)
#   build/worker.mjs   entry module
#
# Environment:
#   WORKER_ENTRY=single   (default) worker/entry.mjs: one Go instance per isolate
#   WORKER_ENTRY=syumai   syumai's common/worker.mjs + runtime/cloudflare.mjs:
#                         a fresh Go instance per request (for comparison)
#   WORKER_OUT_DIR=dir    output directory (default: build)
#
# wrangler.toml runs this as its [build] command, so `npx wrangler dev` and
# `npx wrangler deploy` build first.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

entry="${WORKER_ENTRY:-single}"
out="${WORKER_OUT_DIR:-build}"

# Locate syumai/workers at the version required by go.mod.
workers_dir="$(go list -m -f '{{.Dir}}' github.com/syumai/workers 2>/dev/null || true)"
if [ -z "$workers_dir" ] || [ ! -d "$workers_dir" ]; then
  go mod download github.com/syumai/workers
  workers_dir="$(go list -m -f '{{.Dir}}' github.com/syumai/workers)"
fi
assets="$workers_dir/cmd/workers-assets-gen/assets"

mkdir -p "$out"
tmp="$(mktemp -d "${out}/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# wrangler serves web/ too: build the browser module into it first.
bash scripts/build-web.sh
GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp/app.wasm" .
cp "$assets/wasm_exec_go.js" "$tmp/wasm_exec.js"
chmod 644 "$tmp/wasm_exec.js" # the module cache is read-only

# syumai's wasm_exec_go.js is Go's lib/wasm/wasm_exec.js plus a context proxy
# (3 changed lines, 8 added). A different count means the Go toolchain and
# syumai's copy drifted apart: warn (ABI mismatches show up as instantiate errors).
goroot_exec="$(go env GOROOT)/lib/wasm/wasm_exec.js"
if [ -f "$goroot_exec" ]; then
  removed="$(diff "$goroot_exec" "$tmp/wasm_exec.js" | grep -c '^<' || true)"
  if [ "$removed" != "3" ]; then
    echo "worker/build.sh: warning: $assets/wasm_exec_go.js differs from $goroot_exec beyond syumai's patch ($removed lines); check syumai/workers vs $(go env GOVERSION)" >&2
  fi
fi

case "$entry" in
  single)
    cp worker/entry.mjs "$tmp/worker.mjs"
    ;;
  syumai)
    cp "$assets/common/worker.mjs" "$tmp/worker.mjs"
    cp "$assets/runtime/cloudflare.mjs" "$tmp/runtime.mjs"
    chmod 644 "$tmp/worker.mjs" "$tmp/runtime.mjs"
    ;;
  *)
    echo "worker/build.sh: unknown WORKER_ENTRY=$entry (want single or syumai)" >&2
    exit 2
    ;;
esac

# Replace only what changed: a `wrangler dev` already serving build/ reloads
# on any write, and tests start more than one.
[ -f "$tmp/runtime.mjs" ] || rm -f "$out/runtime.mjs"
for f in "$tmp"/*; do
  cmp -s "$f" "$out/${f##*/}" || mv -f "$f" "$out/"
done
echo "worker/build.sh: built $out/ (entry=$entry, app.wasm $(wc -c <"$out/app.wasm") bytes)"
