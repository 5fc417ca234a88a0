#!/usr/bin/env bash
# make demo: the whole thing offline. Starts the fake J-Quants server and
# `wrangler dev` (the Worker and the login page) pointed at it, prints the URL
# to open and the demo account. Ctrl-C stops both and leaves nothing behind.
#   PORT       the page and proxy (default 8787)
#   FAKE_PORT  the fake J-Quants server (default 8788)
#   TMPDIR     where the fake's binary is built, in a folder removed on exit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${PORT:-8787}
fake_port=${FAKE_PORT:-8788}

bin=
fake=
# cleanup runs once, however the script ends. Ctrl-C reaches the whole
# process group, so the fake may have exited already: nothing here may fail,
# or set -e would end the trap before the folder is removed.
cleanup() {
  trap - EXIT INT TERM
  if [[ -n $fake ]]; then
    kill "$fake" 2>/dev/null || true
    wait "$fake" 2>/dev/null || true
  fi
  if [[ -n $bin ]]; then
    rm -rf "$bin" || true
  fi
}
trap cleanup EXIT
# Then die of the same signal, so that make and the shell see an interrupt.
trap 'cleanup; kill -INT $$' INT
trap 'cleanup; kill -TERM $$' TERM

[[ -x node_modules/.bin/wrangler ]] || npm ci --no-audit --no-fund

bin=$(mktemp -d -t jquants-demo.XXXXXX)
go build -o "$bin/fakejquants" ./cmd/fakejquants
"$bin/fakejquants" -addr "127.0.0.1:$fake_port" &
fake=$!

cat <<MSG

  jquants-auth demo (offline: a fake J-Quants server on 127.0.0.1:$fake_port)
  Open     http://127.0.0.1:$port/   (when wrangler says "Ready")
  Log in   demo@example.com / jquants-demo-password
  API key  fake-api-key-7f7c6a21b87f24ac7ed4e53fdcd5265dfb1f7486 (Free plan)
  Ctrl-C stops both.

MSG
# Keep wrangler offline: no metrics, update check or Request.cf lookup.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false \
  CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true DO_NOT_TRACK=1
npx wrangler dev --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false \
  --var "JQUANTS_API_BASE_URL:http://127.0.0.1:$fake_port" \
  --var "ALLOWED_ORIGINS:http://127.0.0.1:$port,http://localhost:$port"
