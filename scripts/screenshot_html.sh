#!/usr/bin/env bash
# Render an HTML page with headless Chromium into a PNG: the check that a page
# made by `derivcheck render --to html` really displays (MathML included).
#
# usage: scripts/screenshot_html.sh PAGE.html OUT.png [WIDTHxHEIGHT]
# Needs the Debian package chromium (apt-get install -y chromium).
# Exit status: 0 with a non-empty PNG written, 1 otherwise (Chromium's log on stderr).
set -euo pipefail

page=${1:?usage: $0 PAGE.html OUT.png [WIDTHxHEIGHT]}
png=${2:?usage: $0 PAGE.html OUT.png [WIDTHxHEIGHT]}
size=${3:-1200x1600}
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$browser" ]]; then
  echo "screenshot_html: chromium not found (apt-get install -y chromium)" >&2
  exit 1
fi
[[ -f "$page" ]] || { echo "screenshot_html: no such file: $page" >&2; exit 1; }

profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
url="file://$(realpath "$page")"
png_abs="$(realpath -m "$png")"
rm -f "$png_abs"

# --no-sandbox: Chromium refuses to run as root with its sandbox; the page is local and script-free.
if ! timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${size/x/,}" --screenshot="$png_abs" "$url" >"$log" 2>&1; then
  cat "$log" >&2
  echo "screenshot_html: chromium failed on $page" >&2
  exit 1
fi
if [[ ! -s "$png_abs" ]]; then
  cat "$log" >&2
  echo "screenshot_html: no screenshot written for $page" >&2
  exit 1
fi
echo "$png"
