#!/usr/bin/env bash
# make demo: the whole thing offline. Starts the fake J-Quants server and
# `wrangler dev` (the Worker and the login page) pointed at it, and once
# wrangler is ready prints the URL to open and the demo account. Ctrl-C stops
# both, leaves nothing behind and ends the demo without an error.
#   PORT              the page and proxy (default 8787)
#   FAKE_PORT         the fake J-Quants server (default 8788)
#   LOGIN_RATE_LIMIT  on (wrangler.toml's default) or off: the login limit
#   TMPDIR            where the fake's binary is built, in a folder removed on exit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${PORT:-8787}
fake_port=${FAKE_PORT:-8788}
rate_limit=${LOGIN_RATE_LIMIT:-}

fail() {
  echo "demo: $*" >&2
  exit 1
}

# Every setting is checked before anything is built. A port already taken
# would otherwise show only later: the fake dies while wrangler says Ready,
# and every login gets a 502.
check_port() {
  local value=$1 name=$2
  if ! [[ $value =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
    fail "$name=$value is not a port number (1 to 65535)"
  fi
  # A connection that succeeds means another program listens there.
  if (: <>"/dev/tcp/127.0.0.1/$value") 2>/dev/null; then
    fail "port $value on 127.0.0.1 is in use: stop what listens there, or choose another port with $name (make demo $name=...)"
  fi
}
check_port "$port" PORT
check_port "$fake_port" FAKE_PORT
((10#$port != 10#$fake_port)) || fail "PORT and FAKE_PORT are both $port: give them different ports"
case ${rate_limit,,} in
'' | on | off) ;;
*) fail "LOGIN_RATE_LIMIT=$rate_limit: want on or off" ;;
esac

bin=
fake=
interrupted=
# cleanup runs once, however the script ends. Ctrl-C reaches the whole
# process group, so the fake may have exited already: nothing here may fail,
# or set -e would end the trap before the folder is removed.
cleanup() {
  if [[ -n $fake ]]; then
    kill "$fake" 2>/dev/null || true
    wait "$fake" 2>/dev/null || true
  fi
  if [[ -n $bin ]]; then
    rm -rf "$bin" || true
  fi
}
# Ctrl-C is how the demo ends, so it ends with status 0 (make then reports
# no error); any other ending keeps its status.
on_exit() {
  local status=$?
  trap - EXIT INT TERM
  cleanup
  if [[ $interrupted == INT ]]; then
    echo "demo: stopped"
    exit 0
  fi
  exit "$status"
}
trap on_exit EXIT
# Waiting for wrangler, bash runs these once it has exited.
trap 'interrupted=INT; exit 130' INT
trap 'interrupted=TERM; exit 143' TERM

[[ -x node_modules/.bin/wrangler ]] || npm ci --no-audit --no-fund

bin=$(mktemp -d -t jquants-demo.XXXXXX)
go build -o "$bin/fakejquants" ./cmd/fakejquants
# The fake's first line says it listens. Waiting for it makes a fake that
# cannot start (its port taken since the check) stop the demo here.
exec {fake_out}< <(exec "$bin/fakejquants" -addr "127.0.0.1:$fake_port")
fake=$!
line=
IFS= read -r line <&"$fake_out" || true
[[ $line == "fake J-Quants listening on "* ]] ||
  fail "the fake J-Quants server did not start on 127.0.0.1:$fake_port: choose another port with FAKE_PORT"

limit_note="10 a minute, logins and ID tokens together (make demo LOGIN_RATE_LIMIT=off turns it off)"
if [[ ${rate_limit,,} == off ]]; then
  limit_note="off (LOGIN_RATE_LIMIT=off)"
fi
# announce copies wrangler's output and prints the banner after its "Ready
# on" line. It ignores Ctrl-C, so wrangler's last lines still show.
announce() {
  trap '' INT
  local shown=
  while IFS= read -r line; do
    printf '%s\n' "$line"
    if [[ -z $shown && $line == *"Ready on "* ]]; then
      shown=1
      cat <<MSG

  jquants-auth demo (offline: a fake J-Quants server on 127.0.0.1:$fake_port)
  Open         http://127.0.0.1:$port/
  API key      fake-api-key-7f7c6a21b87f24ac7ed4e53fdcd5265dfb1f7486 (Free plan)
  Log in       demo@example.com / jquants-demo-password (V1, retired by J-Quants)
  Login limit  $limit_note
  Ctrl-C stops both.

MSG
    fi
  done
}

vars=(--var "JQUANTS_API_BASE_URL:http://127.0.0.1:$fake_port"
  --var "ALLOWED_ORIGINS:http://127.0.0.1:$port,http://localhost:$port")
if [[ -n $rate_limit ]]; then
  vars+=(--var "LOGIN_RATE_LIMIT:$rate_limit")
fi
# Keep wrangler offline: no metrics, update check or Request.cf lookup.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false \
  CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true DO_NOT_TRACK=1
npx wrangler dev --ip 127.0.0.1 --port "$port" --show-interactive-dev-session=false "${vars[@]}" 2>&1 | announce
