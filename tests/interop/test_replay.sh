#!/usr/bin/env bash
# `obol replay` without PC/SC: a purchase recorded by `obol card exec --trace` (a purse
# and a PSAM, two readers) replays clean against fresh cards, diverges against a card
# in another state (reported with context, exit 1, JUnit), and masks hide what
# legitimately varies; imported logs replay; malformed traces give file:line, exit 2.
# Usage: test_replay.sh OBOL SOURCE_DIR
set -u
obol=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else
        bad "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi
}
contains() { # contains NAME NEEDLE HAYSTACK
    case "$3" in *"$2"*) ok "$1" ;; *) bad "$1"; echo "  no '$2' in:"; echo "$3" | sed 's/^/    /' ;; esac
}

# Record: the scripted purchase of examples/purchase.apdu, user card and PSAM.
"$obol" card exec --card user=purse-funded --card sam=psam --trace "$tmp/p.trace" \
    "$src/examples/purchase.apdu" >"$tmp/exec.out"
check "exec --trace exit code" 0 "$?"
head -1 "$tmp/p.trace" | grep -q '^obol-trace 1 start=.* source="obol card exec"$' &&
    ok "trace header" || bad "trace header: $(head -1 "$tmp/p.trace")"
check "one line per event: 2 ON, 9 exchanges, 2 OFF" 22 "$(grep -vc '^obol-trace' "$tmp/p.trace")"
grep -q '"user" > 805401000F' "$tmp/p.trace" && ok "DEBIT traced on reader user" || bad "DEBIT in trace"

# Replay against fresh cards in the same state: clean. exec seeds card i with i.
out=$("$obol" replay "$tmp/p.trace" --card purse-funded --card psam,seed=1 --junit "$tmp/ok.xml")
check "clean replay exit code" 0 "$?"
check "clean replay summary" "replay: $tmp/p.trace: 9 exchanges and 2 power-ons replayed, all match" "$out"
grep -q 'tests="11" failures="0"' "$tmp/ok.xml" && ok "JUnit of a clean replay" || bad "JUnit clean"

# A card with another balance: INITIALIZE FOR PURCHASE answers another balance.
out=$("$obol" replay "$tmp/p.trace" --card purse --card psam --junit "$tmp/bad.xml"); rc=$?
check "divergence exit code" 1 "$rc"
contains "divergence names the exchange and line" 'DIVERGENCE at exchange 5 (' "$out"
contains "divergence names the reader and target" 'reader "user" -> in-process card purse)' "$out"
contains "divergence shows the exchanges before it" '#4 line 10' "$out"
contains "divergence shows the command" 'command  > 805001020B0100000064112233445566' "$out"
contains "divergence explains" 'expected 9000, got 9401' "$out"
grep -q 'failures="1"' "$tmp/bad.xml" && grep -q '<skipped' "$tmp/bad.xml" &&
    ok "JUnit: one failure, the rest skipped" || bad "JUnit divergence"

# Another seed: the card random differs. Exact: divergence at INITIALIZE; with the
# pboc masks the random is ignored, and the divergence moves to DEBIT (MAC1 no longer
# verifies: the card's session key came from its own random).
out=$("$obol" replay "$tmp/p.trace" --card purse-funded,seed=9 --card psam); rc=$?
check "other seed, exact: exit 1" 1 "$rc"
contains "other seed, exact: the random differs" 'first difference at data byte 11' "$out"
out=$("$obol" replay "$tmp/p.trace" --card purse-funded,seed=9 --card psam --mask pboc); rc=$?
check "other seed, masked: exit 1" 1 "$rc"
contains "other seed, masked: DEBIT refused" 'expected 9000, got 9302' "$out"
contains "masked bytes shown as .." 'expected < ................9000' "$out"

# --only: replay just the PSAM's side.
out=$("$obol" replay "$tmp/p.trace" --only sam --card psam,seed=1)
check "--only sam" "replay: $tmp/p.trace: 4 exchanges and 1 power-on replayed, all match" "$out"

# Imported logs of a session on the purse card through pcscd.
for f in pcsc-spy.log pcsc-spy-thread.log pcsc-spy-diffable.log gpp.log; do
    out=$("$obol" replay "$src/tests/interop/data/$f" --card purse)
    check "replay $f" 0 "$?"
done

# Usage errors and malformed traces: exit 2, file:line.
printf 'obol-trace 1\n0.1 card > 00A4\n' >"$tmp/short.trace"
err=$("$obol" replay "$tmp/short.trace" 2>&1); rc=$?
check "malformed trace exit code" 2 "$rc"
contains "malformed trace message" "short.trace:2: a command APDU has at least 4 bytes" "$err"
err=$("$obol" replay "$tmp/p.trace" --card purse 2>&1); rc=$?
check "too few targets exit code" 2 "$rc"
contains "too few targets message" 'the trace has 2 readers to replay' "$err"
err=$("$obol" replay "$tmp/p.trace" --mask 84@ --card purse 2>&1); rc=$?
check "bad mask exit code" 2 "$rc"
err=$("$obol" replay "$tmp/none.trace" 2>&1); rc=$?
check "missing trace exit code" 2 "$rc"
err=$("$obol" replay "$tmp/p.trace" --only nobody --card purse 2>&1); rc=$?
check "unknown --only exit code" 2 "$rc"

exit $fail
