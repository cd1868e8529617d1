#!/usr/bin/env bash
# obol's cards through a real PC/SC stack: a private pcscd with vsmartcard's vpcd and
# `obol card serve`, then the clients a user has:
#   1. a purse card and a PSAM in the two slots of one vpcd reader: pyscard runs a full
#      PBOC purchase as a terminal would (test_pyscard.py, pytest), opensc-tool and
#      scriptor talk to the card, pcscd restarts and the cards come back;
#   2. the trace the card side recorded replays clean against fresh cards and diverges
#      against a card in another state; an exec-recorded trace replays through PC/SC;
#   3. `obol conform card` passes against the multi-application card served through
#      vpcd, as it does in process;
#   4. the terminal kernel's PC/SC backend runs a bus tap through pcscd (when termsim
#      and its test tool are built), and its trace replays against fresh cards;
#   5. the Cortex-M3 image under QEMU, served through vpcd in a second reader, answers
#      pyscard, and its NVM image saved at exit reads back in process.
# Usage: test_pcsc.sh OBOL SOURCE_DIR [PCSC_GATE]. Exit 77 (skip) when no private pcscd
# can run (see pcsc_env.sh).
set -u
OBOL=$1
SRC=$2
GATE=${3:-}
. "$SRC/tests/interop/pcsc_env.sh"
pcsc_isolate "$@"
T=$PCSC_TMP
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; echo "  expected: $2"; echo "  actual:   $3"; fi; }
contains() { case "$3" in *"$2"*) ok "$1" ;; *) bad "$1"; echo "$3" | sed 's/^/    /' ;; esac; }
data=$SRC/tests/interop/data
export OBOL_PROFILE_DIR=$SRC/profiles

pcsc_ports 4
pcsc_start 2 || exit 1
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
echo "pcscd on vpcd ports $PCSC_PORT..$((PCSC_PORT + 3)) in $T"

# ---- 1. purse card and PSAM: pyscard, opensc-tool, scriptor, a pcscd restart ----------
pcsc_serve --card purse-funded,name=user,vpcd=$PCSC_PORT,image=$T/user.img \
    --card psam,name=sam,vpcd=$((PCSC_PORT + 1)) --trace "$T/serve.trace"
pcsc_wait_cards 2 || exit 1
ok "two obol cards inserted in the vpcd reader"

OBOL_CARD_READER=$R0 OBOL_PSAM_READER=$R1 timeout 120 /usr/bin/python3 -m pytest -q \
    -p no:cacheprovider "$SRC/tests/interop/test_pyscard.py" -k "not qemu" >"$T/pytest.log" 2>&1
check "pyscard: PBOC purchase and card behaviour (pytest)" 0 "$?"
tail -1 "$T/pytest.log"

out=$(timeout 20 opensc-tool -l 2>&1)
contains "opensc-tool lists the reader" "$R0" "$out"
out=$(timeout 20 opensc-tool -r 0 -s 00A4040009A0000000038698070100 -s 805C000204 2>&1)
contains "opensc-tool: SELECT of the purse" "Received (SW1=0x90, SW2=0x00):
6F 0B 84 09 A0" "$out"
contains "opensc-tool: the balance after pyscard's purchase (9900 = 0x26AC)" "00 00 26 AC" "$out"
out=$(printf '00 A4 04 00 0A F0 6F 62 6F 6C 50 53 41 4D 01 00\n00 B0 96 00 06\n' |
    timeout 20 scriptor -r "$R1" 2>&1)
contains "scriptor: the PSAM's terminal id" "< 11 22 33 44 55 66 90 00 : Normal processing." "$out"

# pcscd goes away and comes back: the cards reconnect by themselves
pcsc_restart || exit 1
pcsc_wait_cards 2 || exit 1
out=$(timeout 20 opensc-tool -r 0 -s 00A4040009A0000000038698070100 -s 805C000204 2>&1)
contains "after a pcscd restart the card answers again, with its state" "00 00 26 AC" "$out"
grep -q "user: vpcd .* closed the connection; reconnecting" "$T/serve.log" &&
    ok "serve reported the lost vpcd and reconnected" || bad "serve reconnect message"

pcsc_stop_serve
check "serve stops cleanly on SIGTERM" 0 "$?"
grep -q '"user" OFF' "$T/serve.trace" && ok "the trace ends the session with OFF" ||
    bad "trace OFF at stop"

# ---- 2. traces: the card side's trace replays ----------------------------------------
out=$("$OBOL" replay "$T/serve.trace" --card purse-funded,name=user --card psam,name=sam 2>&1)
check "the served session replays clean against fresh cards" 0 "$?"
contains "replay summary" "all match" "$out"
out=$("$OBOL" replay "$T/serve.trace" --card purse,name=user --card psam,name=sam 2>&1)
check "a card in another state diverges: exit 1" 1 "$?"
contains "the divergence is reported" "DIVERGENCE at exchange" "$out"
contains "the other balance shows in GET BALANCE" "got      < 000000009000" "$out"
# the user's image kept the purchase: an in-process card on it reads the balance
out=$(echo 00A4040009A0000000038698070100 805C000204 | tr ' ' '\n' |
    "$OBOL" card exec --image "$T/user.img" -)
check "the card image kept the purchase" "$(printf '6F0B8409A000000003869807019000\n000026AC9000')" "$out"

# ---- 3. conformance through PC/SC --------------------------------------------------------
pcsc_serve --card multiapp,vpcd=$PCSC_PORT --card psam,vpcd=$((PCSC_PORT + 1))
pcsc_wait_cards 2 || exit 1
printf '00A4040009A0000000038698070100\n805C000204\n0084000008\n' >"$T/s.apdu"
"$OBOL" card exec --card c=multiapp --trace "$T/exec.trace" "$T/s.apdu" >/dev/null
out=$("$OBOL" replay "$T/exec.trace" --reader "pcsc:$R0" 2>&1)
check "an exec trace replays through PC/SC on the served card" 0 "$?"
out=$(timeout 120 "$OBOL" conform card --reader "pcsc:$R0" --psam-reader "pcsc:$R1" \
    --report-dir "$T/conform" 2>&1)
check "obol conform card through vpcd: exit 0" 0 "$?"
contains "conform through vpcd: 30 cases pass" "30 passed, 0 failed, 0 errors, 0 skipped" "$out"
out=$("$OBOL" conform card --report-dir "$T/conform-inproc" 2>&1)
contains "conform in process: 30 cases pass" "30 passed, 0 failed, 0 errors, 0 skipped" "$out"
pcsc_stop_serve

# ---- 4. the terminal kernel over PC/SC ----------------------------------------------------
if [ -n "$GATE" ] && [ -x "$GATE" ]; then
    pcsc_serve --card "$data/transit-funded.profile,vpcd=$PCSC_PORT" \
        --card "$SRC/termsim/profiles/term-psam.profile,vpcd=$((PCSC_PORT + 1))"
    pcsc_wait_cards 2 || exit 1
    out=$(timeout 60 "$GATE" "$R0" "$R1" "$T/gate.trace" 2>&1)
    check "termsim's bus tap through pcscd: approved" 0 "$?"
    contains "the fare was taken" "APPROVED amount=200 balance=10000->9800" "$out"
    out=$("$OBOL" replay "$T/gate.trace" --only card --only psam \
        --card "$data/transit-funded.profile" --card "$SRC/termsim/profiles/term-psam.profile" 2>&1)
    check "the terminal's trace replays against fresh cards" 0 "$?"
    pcsc_stop_serve
else
    echo "skip: the terminal kernel over PC/SC (pcsc_gate not built: termsim not in the build)"
fi

# ---- 5. the Cortex-M3 image under QEMU through vpcd ---------------------------------------
elf=${OBOL_CARD_ELF:-$SRC/build-arm/obol-card.elf}
if [ -r "$elf" ] && command -v qemu-system-arm >/dev/null; then
    pcsc_serve --qemu --elf "$elf" --card purse-funded,name=qemu,vpcd=$((PCSC_PORT + 2)),image=$T/q.img
    pcsc_wait_cards 1 || exit 1
    QR="Obol PCD 1 00 00" # pcscd's name for the first slot of the second vpcd entry
    OBOL_QEMU_READER=$QR timeout 120 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        "$SRC/tests/interop/test_pyscard.py" -k qemu >"$T/pytest-qemu.log" 2>&1
    check "pyscard talks to the QEMU image through vpcd ($QR)" 0 "$?"
    grep -qE '(^| )1 passed' "$T/pytest-qemu.log" && ok "the QEMU test ran (not skipped)" ||
        { bad "the QEMU test ran"; cat "$T/pytest-qemu.log"; }
    pcsc_stop_serve
    check "QEMU serve stops cleanly" 0 "$?"
    out=$(printf '00A4040009A0000000038698070100\n805C000204\n' | "$OBOL" card exec --image "$T/q.img" -)
    check "the QEMU card's NVM, saved with pmemsave, reads back in process" \
        "$(printf '6F0B8409A000000003869807019000\n000027109000')" "$out"
else
    echo "skip: the QEMU image through vpcd (no $elf or no qemu-system-arm; 'make firmware')"
fi
exit $fail
