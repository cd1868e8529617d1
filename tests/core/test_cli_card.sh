#!/usr/bin/env bash
# `obol card exec` as a user runs it: a script against the default card, an image
# that keeps the card's state from one run to the next, stdin, and file:line errors.
set -u
obol=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then echo "ok: $1"; else
        echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"; fail=1; fi
}

# The default card: EF 0001 (SFI 1) is transparent, 32 bytes, free to read and update.
cat >"$tmp/write.apdu" <<'S'
# select the MF, then EF 0001, and write 4 bytes at offset 0
00 A4 00 00 02 3F00
00A4000002 0001
00D6000004 CAFEBABE   # UPDATE BINARY
S
out=$("$obol" card exec --image "$tmp/card.img" "$tmp/write.apdu"); rc=$?
check "write script exits 0" 0 "$rc"
check "write script responses" "$(printf '9000\n9000\n9000')" "$out"

# A second run on the same image sees the bytes: the NVM persisted.
out=$(printf '00B0810004\n' | "$obol" card exec --image "$tmp/card.img" -)
check "read back through SFI 1 in a new run" "CAFEBABE9000" "$out"

# Without --image every run starts from a fresh card (EF 0001 holds "obol test card").
out=$(printf '00B0810004\n' | "$obol" card exec -)
check "a fresh card has its initial text" "6F626F6C9000" "$out"

# Errors: bad hex names file and line, exit 2; a missing script, exit 2.
printf '00A4000002 3F00\n00B0 00X0 04\n' >"$tmp/bad.apdu"
err=$("$obol" card exec "$tmp/bad.apdu" 2>&1 >/dev/null); rc=$?
check "bad hex exit code" 2 "$rc"
case "$err" in *"bad.apdu:2: column 8: expected a hex digit"*) echo "ok: bad hex message";;
    *) echo "FAIL: bad hex message: $err"; fail=1;; esac
"$obol" card exec "$tmp/none.apdu" 2>/dev/null; check "missing script exit code" 2 "$?"
"$obol" card exec --profile no-such-profile - </dev/null 2>/dev/null
check "unknown profile exit code" 2 "$?"

# --echo shows each command and response, and the ATR; the same seed, the same
# challenge.
a=$(printf '0084000008\n' | "$obol" card exec --seed 7 -)
b=$(printf '0084000008\n' | "$obol" card exec --seed 7 -)
c=$(printf '0084000008\n' | "$obol" card exec --seed 8 -)
check "same seed same challenge" "$a" "$b"
[ "$a" != "$c" ] && echo "ok: another seed another challenge" || { echo "FAIL: seeds"; fail=1; }
out=$(printf '0084000008\n' | "$obol" card exec --echo - | head -2 | cut -c1-4)
check "echo shows the ATR and the command" "$(printf 'ATR \n> 00')" "$out"
exit $fail
