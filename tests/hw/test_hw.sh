#!/usr/bin/env bash
# The hardware tests: the Cortex-M3 card image under QEMU against the in-process card.
# Usage: test_hw.sh TEST OBOL HW_CHECK SOURCE_DIR
#   firmware  builds build-arm/obol-card.elf (cmake --preset arm), incrementally when it
#             exists, so the image matches the sources the in-process card runs
#   conform   obol conform card --reader qemu: the same verdicts and APDUs, report checked
#   script    tests/hw/data/iso_purchase.apdu on the image and with `obol card exec`: the
#             same bytes out, the same NVM image after
#   powercut  power cuts during purchases (hw_check powercut; HW_CUTS, HW_SEED)
#   timing    instructions per command (hw_check timing) and the chip profile
# Exit 0 pass, 1 fail, 77 skip (no qemu-system-arm, no image and no way to build it).
# Each harness runs under `timeout`; QEMU dies with its harness (PR_SET_PDEATHSIG in
# core/cli/vcard_qemu.c), and the EXIT trap stops whatever this script still runs.
set -eu
test=$1
obol=$2
hwc=$3
src=$4
elf=${OBOL_CARD_ELF:-$src/build-arm/obol-card.elf}
limit=${HW_TIMEOUT:-500}

tmp=$(mktemp -d /tmp/obol-hw-test-XXXXXX)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
skip() { echo "skip: $1"; exit 77; }

# run OUT CMD...: runs CMD under the time limit in the background (so the trap can stop
# it), its output into OUT; returns its exit status.
run() {
    local out=$1
    shift
    timeout -k 5 "$limit" "$@" >"$out" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    local rc=0
    wait "$pid" || rc=$?
    return $rc
}

command -v qemu-system-arm >/dev/null 2>&1 || [ -n "${OBOL_QEMU:-}" ] ||
    skip "qemu-system-arm is not installed (scripts/packages/interop.txt)"

case $test in
firmware)
    if ! command -v arm-none-eabi-gcc >/dev/null 2>&1; then
        [ -r "$elf" ] && { ok "no ARM toolchain; using the existing $elf"; exit 0; }
        skip "no card image and no arm-none-eabi-gcc to build it (scripts/packages/firmware.txt)"
    fi
    rc=0
    (
        cd "$src"
        # One build of build-arm at a time, whichever ctest (default, asan) asks.
        exec 9>/tmp/obol-build-arm.lock
        flock 9
        [ -f build-arm/CMakeCache.txt ] || cmake --preset arm
        cmake --build --preset arm
    ) >"$tmp/build.log" 2>&1 || rc=$?
    if [ $rc -ne 0 ] || [ ! -r "$elf" ]; then
        tail -30 "$tmp/build.log"
        bad "building the card image (cmake --preset arm)"
    else
        grep '^BENCH hw\.' "$tmp/build.log" || true
        ok "card image $elf"
    fi
    ;;

conform)
    [ -r "$elf" ] || skip "no card image $elf"
    rc=0
    run "$tmp/conform.out" "$obol" conform card --reader qemu --elf "$elf" \
        --report-dir "$tmp/report" || rc=$?
    cat "$tmp/conform.out"
    [ $rc -eq 0 ] && ok "obol conform card --reader qemu: exit 0" || bad "conform exit code $rc"
    # The report: one scenario per card, the same cases in the same order, every case
    # passed on both, and each case's APDU trace identical.
    if python3 - "$tmp/report/report.json" <<'EOF'; then
import json, sys
r = json.load(open(sys.argv[1]))
s = r["scenarios"]
names = [x["name"] for x in s]
assert len(s) == 2, "expected two runs, got %s" % names
q = [x for x in s if x["name"].startswith("card conformance: qemu")]
h = [x for x in s if x["name"].startswith("card conformance: in-process")]
assert len(q) == 1 and len(h) == 1, "runs: %s" % names
qc, hc = q[0]["checks"], h[0]["checks"]
assert len(qc) >= 30, "only %d cases" % len(qc)
assert [c["id"] for c in qc] == [c["id"] for c in hc], "different case lists"
for a, b in zip(qc, hc):
    assert a["status"] == b["status"] == "pass", "%s: qemu %s, in-process %s" % (
        a["id"], a["status"], b["status"])
    assert a["trace"] == b["trace"], "%s: the APDUs differ" % a["id"]
print("report: %d cases, the same verdict (pass) and the same APDUs on both cards" % len(qc))
EOF
        ok "the report shows identical verdicts and traces"
    else
        bad "the report's two runs differ"
    fi
    ;;

script)
    [ -r "$elf" ] || skip "no card image $elf"
    script=$src/tests/hw/data/iso_purchase.apdu
    # The user card: purse-funded in a 64 KB image (the image's NVM region), made by the
    # CLI; one copy for each end.
    "$obol" card exec --profile purse-funded --image "$tmp/u.img" --nvm-size 65536 \
        /dev/null >/dev/null
    cp "$tmp/u.img" "$tmp/inproc.img"
    cp "$tmp/u.img" "$tmp/qemu.img"
    rc=0
    run "$tmp/inproc.out" "$obol" card exec --card user=purse-funded@"$tmp/inproc.img" \
        --card sam=psam --seed 0 --echo "$script" || rc=$?
    [ $rc -eq 0 ] || { cat "$tmp/inproc.out"; bad "obol card exec: exit $rc"; }
    rc=0
    run "$tmp/qemu.out" "$hwc" script --image "$tmp/qemu.img" --seed 0 --sam psam \
        --elf "$elf" "$script" || rc=$?
    [ $rc -eq 0 ] || { cat "$tmp/qemu.out"; bad "hw_check script: exit $rc"; }
    n=$(grep -c '^user< ' "$tmp/qemu.out" || true)
    if cmp -s "$tmp/inproc.out" "$tmp/qemu.out"; then
        ok "$n responses of the image byte for byte as in process ($(wc -l <"$tmp/qemu.out") lines)"
    else
        bad "the image answered differently"
        diff "$tmp/inproc.out" "$tmp/qemu.out" | head -20 || true
    fi
    for want in 'user< 9000' 'user< 63C2' 'user< 6A82' 'user< 6D00' 'user< 6E00'; do
        grep -q "^$want\$" "$tmp/qemu.out" && ok "script answered ${want#user< }" ||
            bad "no ${want#user< } in the script's answers"
    done
    grep -q '^user< 000026AC9000$' "$tmp/qemu.out" && ok "the image's balance after: 9900 fen" ||
        bad "no balance of 9900 fen (000026AC) after the purchase"
    grep -q '^sam< 9000$' "$tmp/qemu.out" && ok "the PSAM verified MAC2 of the image" ||
        bad "no MAC2 check by the PSAM"
    if cmp -s "$tmp/inproc.img" "$tmp/qemu.img"; then
        ok "the NVM images after the script are identical (pmemsave vs the host port's file)"
    else
        bad "the NVM images differ after the script"
        cmp -l "$tmp/inproc.img" "$tmp/qemu.img" | head -5 || true
    fi
    ;;

powercut)
    [ -r "$elf" ] || skip "no card image $elf"
    rc=0
    run "$tmp/cut.out" "$hwc" powercut --dir "$tmp" --iterations "${HW_CUTS:-60}" \
        --seed "${HW_SEED:-1}" --elf "$elf" || rc=$?
    cat "$tmp/cut.out"
    [ $rc -eq 0 ] && ok "every cut recovered consistently" || bad "hw_check powercut: exit $rc"
    ;;

timing)
    [ -r "$elf" ] || skip "no card image $elf"
    rc=0
    run "$tmp/timing.out" "$hwc" timing --elf "$elf" --profile-out "$tmp/chip.xml" || rc=$?
    cat "$tmp/timing.out"
    [ $rc -eq 0 ] && ok "instructions per command, deterministic" || bad "hw_check timing: exit $rc"
    # The profile written from these figures, and the one in the tree, load in the
    # scenario engine (schema and the loader's parameter list).
    "$obol" validate "$tmp/chip.xml" && ok "the measured profile validates" ||
        bad "the measured profile does not validate"
    committed=$src/scenarios/profiles/chip-cm3-image.xml
    "$obol" validate "$committed" && ok "$committed validates" || bad "$committed"
    # A scenario on that chip loads too: retail_pos with the card chip swapped.
    sed -e "s#\"profiles/#\"$src/scenarios/profiles/#g" \
        -e "s#profiles/chip-card-typical.xml#profiles/chip-cm3-image.xml#" \
        "$src/scenarios/retail_pos.xml" >"$tmp/retail_cm3.xml"
    "$obol" validate "$tmp/retail_cm3.xml" && ok "a scenario with the image's chip validates" ||
        bad "a scenario with the image's chip does not validate"
    ;;

*)
    echo "test_hw.sh: unknown test '$test'" >&2
    exit 2
    ;;
esac
exit $fail
