# obol interop tests: a private PC/SC stack, sourced by the test scripts.
#
#   . pcsc_env.sh
#   pcsc_isolate "$@"          # re-runs the script in a private /run/pcscd, or skips
#   pcsc_ports 4               # PCSC_PORT: 4 free TCP ports from there
#   pcsc_start 2               # pcscd with vpcd reader.conf entries (2 slots each)
#   pcsc_serve ARGS...         # obol card serve (logs in $PCSC_TMP/serve.log)
#   pcsc_wait_cards N          # until N readers hold a card
#   pcsc_stop_serve            # SIGTERM to the last serve: cards off, images saved
#   pcsc_restart               # pcscd stops and starts again (the cards reconnect)
#
# pcscd keeps its socket in /run/pcscd, which only one pcscd may own. As root the
# script re-executes itself in a private mount namespace (unshare -m) with a tmpfs on
# /run/pcscd, so it never meets the system's pcscd or another test's; without that it
# uses /run/pcscd itself when no pcscd runs, and skips (exit 77) when one does. The
# vpcd slots listen on free ports chosen here (reader.conf DEVICENAME /dev/null:PORT;
# each entry has two slots, PORT and PORT+1; entries after the first get their own
# copy of libifdvpcd.so, as two entries sharing one driver share slot state).
# Everything started here is stopped by pcsc_cleanup (installed as the EXIT trap).

: "${PCSC_SKIP:=77}"
: "${PCSC_TIMEOUT:=20}"
PCSC_PCSCD=          # pcscd's pid
PCSC_SERVES=()       # obol card serve pids, in start order

pcsc_skip() {
    echo "SKIP: $*"
    exit $PCSC_SKIP
}

pcsc_isolate() {
    for tool in pcscd opensc-tool scriptor; do
        command -v "$tool" >/dev/null || [ -x /usr/sbin/$tool ] ||
            pcsc_skip "$tool is not installed (scripts/packages/interop.txt)"
    done
    /usr/bin/python3 -c 'import smartcard, pytest' 2>/dev/null ||
        pcsc_skip "/usr/bin/python3 lacks pyscard or pytest (python3-pyscard, python3-pytest)"
    [ -r /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] ||
        pcsc_skip "vsmartcard-vpcd (libifdvpcd.so) is not installed"
    if [ -z "${OBOL_PCSC_PRIVATE:-}" ] && [ "$(id -u)" = 0 ] &&
        unshare -m --propagation private true 2>/dev/null; then
        mkdir -p /run/pcscd
        export OBOL_PCSC_PRIVATE=1
        exec unshare -m --propagation private bash -c \
            'mount -t tmpfs obol-pcscd /run/pcscd && exec "$0" "$@"' "$0" "$@"
    fi
    if [ -z "${OBOL_PCSC_PRIVATE:-}" ]; then
        local pid
        pid=$(tr -dc 0-9 2>/dev/null </run/pcscd/pcscd.pid || true)
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || pgrep -x pcscd >/dev/null; then
            pcsc_skip "another pcscd runs (pid ${pid:-$(pgrep -x pcscd | head -1)}); stop it, or run" \
                "as root so the test can use a private /run/pcscd"
        fi
        mkdir -p /run/pcscd 2>/dev/null
        [ -w /run/pcscd ] || pcsc_skip "cannot write /run/pcscd (run as root)"
        rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
    fi
    PCSC_TMP=$(mktemp -d /tmp/obol-pcsc-XXXXXX)
    trap pcsc_cleanup EXIT
    trap 'exit 130' INT TERM
}

pcsc_cleanup() {
    local rc=$?
    # the cards first (they power off and save their images), then pcscd
    local pids=("${PCSC_SERVES[@]}" $PCSC_PCSCD)
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ $rc -ne 0 ] && [ $rc -ne $PCSC_SKIP ] && [ -n "${PCSC_TMP:-}" ]; then
        for log in "$PCSC_TMP"/*.log; do
            [ -s "$log" ] || continue
            echo "---- $(basename "$log") (last lines)"
            tail -15 "$log"
        done
    fi
    [ -n "${PCSC_TMP:-}" ] && [ -z "${OBOL_KEEP_TMP:-}" ] && rm -rf "$PCSC_TMP"
    exit $rc
}

port_free() {
    ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# PCSC_PORT: the first of N consecutive free ports.
pcsc_ports() {
    local n=$1 base tries
    for tries in $(seq 50); do
        base=$((30000 + (RANDOM % 2000) * 8))
        local ok=1
        for ((p = base; p < base + n; p++)); do port_free $p || ok=0; done
        if [ $ok = 1 ]; then
            PCSC_PORT=$base
            return 0
        fi
    done
    pcsc_skip "no $n free TCP ports"
}

# pcscd with ENTRIES reader.conf entries on PCSC_PORT.. (2 slots each): reader names
# "Virtual PCD 00 00/01" for the first entry, "Obol PCD 1 01 00/01"... for the next.
pcsc_start() {
    local entries=$1 e conf=$PCSC_TMP/reader.conf.d
    mkdir -p "$conf"
    for ((e = 0; e < entries; e++)); do
        local port=$((PCSC_PORT + 2 * e)) lib=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
        local name="Virtual PCD"
        if [ $e -gt 0 ]; then
            cp "$lib" "$PCSC_TMP/libifdvpcd-$e.so"
            lib=$PCSC_TMP/libifdvpcd-$e.so
            name="Obol PCD $e"
        fi
        printf 'FRIENDLYNAME "%s"\nDEVICENAME /dev/null:0x%X\nLIBPATH %s\nCHANNELID 0x%X\n' \
            "$name" $port "$lib" $port >"$conf/vpcd-$e"
    done
    pcscd_run
}

pcscd_run() {
    /usr/sbin/pcscd --foreground --info -c "$PCSC_TMP/reader.conf.d" >>"$PCSC_TMP/pcscd.log" 2>&1 &
    PCSC_PCSCD=$!
    local t
    for t in $(seq $((PCSC_TIMEOUT * 10))); do
        [ -S /run/pcscd/pcscd.comm ] && ! port_free $PCSC_PORT && return 0
        kill -0 "$PCSC_PCSCD" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL: pcscd did not start"
    return 1
}

pcsc_restart() {
    kill -TERM "$PCSC_PCSCD" 2>/dev/null
    wait "$PCSC_PCSCD" 2>/dev/null
    PCSC_PCSCD=
    pcscd_run
}

pcsc_serve() {
    "$OBOL" card serve "$@" >>"$PCSC_TMP/serve.log" 2>&1 &
    PCSC_SERVES+=($!)
}

# Stops the last serve with SIGTERM (cards off, images saved); returns its exit code.
pcsc_stop_serve() {
    local pid=${PCSC_SERVES[-1]}
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    local rc=$?
    unset 'PCSC_SERVES[-1]'
    # vpcd notices the closed sockets at its next poll: wait until the readers are
    # empty, or a following pcsc_wait_cards could count the cards that just left (a
    # race that shows when the next serve starts slowly, as under ASan).
    local t
    for t in $(seq $((PCSC_TIMEOUT * 10))); do
        [ "$(opensc-tool -l 2>/dev/null | grep -c ' Yes ')" -eq 0 ] && break
        sleep 0.1
    done
    return $rc
}

# Until N readers report a card (opensc-tool -l: "Yes" in the Card column).
pcsc_wait_cards() {
    local n=$1 t
    for t in $(seq $((PCSC_TIMEOUT * 10))); do
        [ "$(opensc-tool -l 2>/dev/null | grep -c ' Yes ')" -ge "$n" ] && return 0
        sleep 0.1
    done
    echo "FAIL: $n cards did not appear in the readers"
    opensc-tool -l
    return 1
}
