#!/usr/bin/env bash
# make test's browser set-up: finds Chromium (or Chrome) the way the e2e tests
# do, $CHROME_PATH first, then chromium, chromium-browser, google-chrome and
# google-chrome-stable in PATH. When it is missing, root with apt-get installs
# Debian's chromium; anyone else gets one line naming the command to run. A
# Japanese font comes with it, so the Japanese page is drawn in glyphs, not
# boxes, in the layout checks and screenshots.
set -euo pipefail

find_browser() {
  if [[ -n ${CHROME_PATH:-} ]]; then
    command -v "$CHROME_PATH"
    return
  fi
  local name
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$name" && return
  done
  return 1
}

has_ja_font() {
  command -v fc-list >/dev/null && [[ -n $(fc-list :lang=ja family 2>/dev/null) ]]
}

browser=$(find_browser) || browser=
if [[ -n ${CHROME_PATH:-} && -z $browser ]]; then
  echo "make test: CHROME_PATH=$CHROME_PATH is not an executable; point it at Chromium or Chrome, or unset it" >&2
  exit 1
fi
pkgs=()
[[ -n $browser ]] || pkgs+=(chromium)
has_ja_font || pkgs+=(fonts-ipafont-gothic)

if ((${#pkgs[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "ensure-chromium: apt-get install ${pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    browser=$(find_browser) || {
      echo "make test: chromium was installed but none of chromium, chromium-browser, google-chrome, google-chrome-stable is in PATH" >&2
      exit 1
    }
  elif [[ -z $browser ]]; then
    echo "make test needs Chromium: run \`sudo apt-get install -y chromium fonts-ipafont-gothic\` (or set CHROME_PATH to a Chromium or Chrome)" >&2
    exit 1
  else
    echo "ensure-chromium: no Japanese font, so the Japanese screenshots show boxes; \`sudo apt-get install -y fonts-ipafont-gothic\` fixes that" >&2
  fi
fi
echo "browser: $browser"
