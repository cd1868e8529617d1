#!/usr/bin/env bash
# The HTML report opens in headless Chromium and renders (a screenshot of a real page,
# not an error page). Skipped (77) when Chromium is not installed.
set -u
obol=$1
here=$2
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$obol" run -q --report-dir "$tmp/r" "$here/data/small.xml" >/dev/null 2>&1 || { echo "FAIL: run"; exit 1; }
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$tmp/profile" \
    --screenshot="$tmp/out.png" --window-size=1200,2000 "file://$tmp/r/index.html" >"$tmp/log" 2>&1
[ -s "$tmp/out.png" ] || { echo "FAIL: no screenshot"; cat "$tmp/log"; exit 1; }
head -c 8 "$tmp/out.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || { echo "FAIL: not a PNG"; exit 1; }
size=$(stat -c %s "$tmp/out.png")
# A blank or error page compresses to a few kilobytes; the report has text and charts.
[ "$size" -gt 60000 ] || { echo "FAIL: screenshot only $size bytes"; exit 1; }
echo "ok: screenshot $size bytes"
