#!/usr/bin/env bash
# `obol conform card` without PC/SC: the suite passes on the in-process multiapp card
# and writes JUnit/HTML/JSON; a card without a card manager skips the GP cases; a card
# without the purse skips the purse cases; the Cortex-M3 image under QEMU gives the same
# verdicts and the same bytes as the in-process card (when the image and QEMU exist).
# Usage: test_conform.sh OBOL SOURCE_DIR
set -u
obol=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi; }

out=$("$obol" conform card --report-dir "$tmp/r1"); rc=$?
check "in-process multiapp: exit 0" 0 "$rc"
echo "$out" | grep -q '^30 passed, 0 failed, 0 errors, 0 skipped$' && ok "30 cases pass" ||
    { bad "30 cases pass"; echo "$out"; }
for f in junit.xml index.html report.json; do
    [ -s "$tmp/r1/$f" ] && ok "report $f written" || bad "report $f written"
done
grep -q 'tests="30"' "$tmp/r1/junit.xml" && grep -q 'failures="0"' "$tmp/r1/junit.xml" &&
    ok "JUnit: 30 tests, no failure" || bad "JUnit content"
grep -q 'PBOC-CARD-PUR-01' "$tmp/r1/index.html" && ok "HTML names the requirement ids" ||
    bad "HTML content"

out=$("$obol" conform card --reader inproc:purse --report-dir "$tmp/r2"); rc=$?
check "purse card: exit 0" 0 "$rc"
check "purse card: the 4 GP cases skipped" 4 "$(echo "$out" | grep -c '^  GP-.* skip ')"

out=$("$obol" conform card --reader inproc:default --report-dir "$tmp/r3"); rc=$?
check "default test card: exit 0 (purse cases skipped)" 0 "$rc"

out=$("$obol" conform card --only GP-SCP-01 --only PSAM-TTN-01 --report-dir "$tmp/r4"); rc=$?
check "--only: exit 0" 0 "$rc"
echo "$out" | grep -q '^2 passed, 0 failed, 0 errors, 0 skipped$' && ok "--only runs two" ||
    { bad "--only runs two"; echo "$out"; }
out=$("$obol" conform card --only PBOC-CARD-PROVE-01 --report-dir "$tmp/r4"); rc=$?
check "--only a case that needs a purchase: it makes one" 0 "$rc"

out=$("$obol" conform card --psam-reader none --report-dir "$tmp/r5"); rc=$?
check "no PSAM: exit 0, purchase and PSAM cases skipped" 0 "$rc"

"$obol" conform card --reader nowhere >/dev/null 2>&1; check "bad reader: exit 2" 2 "$?"
"$obol" conform card --only NOPE-01 >/dev/null 2>&1; check "unknown case: exit 2" 2 "$?"
"$obol" conform card --reader inproc:no-such-profile --report-dir "$tmp/r6" >/dev/null 2>&1
check "unknown profile: exit 2" 2 "$?"

elf=${OBOL_CARD_ELF:-$src/build-arm/obol-card.elf}
if [ -r "$elf" ] && command -v qemu-system-arm >/dev/null; then
    out=$("$obol" conform card --reader qemu --elf "$elf" --report-dir "$tmp/q"); rc=$?
    check "qemu: exit 0" 0 "$rc"
    check "qemu: 30 cases with identical APDUs" 30 \
        "$(echo "$out" | grep -cE '^[A-Z0-9-]+ +pass +pass +identical$')"
    grep -q 'card conformance: qemu card multiapp' "$tmp/q/report.json" &&
        grep -q 'card conformance: in-process card multiapp' "$tmp/q/report.json" &&
        ok "qemu: both runs in the report" || bad "qemu: both runs in the report"
else
    echo "skip: qemu comparison (no $elf or no qemu-system-arm; 'make firmware' builds the image)"
fi
exit $fail
