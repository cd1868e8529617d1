#!/usr/bin/env bash
# obol benchmark: the median APDU round trip pyscard -> pcscd -> vpcd -> card, for
# obol's card (`obol card serve`, in process) and, in the same pcscd, vsmartcard's own
# Python virtual card (vicc, Debian's vsmartcard-vpicc) in the other slot of the same
# vpcd reader. The APDU is GET CHALLENGE for 8 bytes (00 84 00 00 08; $BENCH_APDU
# replaces it), which both cards answer 9000 (vicc 3.3 fails SELECT of its MF).
#   BENCH pcsc.rtt_obol_us N us     BENCH pcsc.rtt_vicc_us N us
# (and the 90th percentiles). Starts its own pcscd (tests/interop/pcsc_env.sh); when it
# cannot, or a client is missing, it says why and prints no figure (exit 0).
# Usage: bench_pcsc.sh OBOL SOURCE_DIR [COUNT]
set -u
OBOL=$1
SRC=$2
COUNT=${3:-2000}
PCSC_SKIP=0
. "$SRC/tests/interop/pcsc_env.sh"
command -v vicc >/dev/null || pcsc_skip "vicc is not installed (vsmartcard-vpicc): no benchmark"
pcsc_isolate "$@"
pcsc_ports 2
pcsc_start 1 || exit 1
pcsc_serve --card name=obol,vpcd=$PCSC_PORT
# vicc as Debian 12 ships it (vsmartcard-vpicc 3.3+dfsg-2) does not start: its library
# sits in /usr/lib/python3/site-packages/virtualsmartcard/ (not on any path) and imports
# pycryptodome as "Crypto", which Debian ships as "Cryptodome" (python3-pycryptodome).
# Point Python at both; and run it with /usr/bin/python3 (python3 on PATH may be another).
vshim=$PCSC_TMP/pyshim
mkdir -p "$vshim"
[ -d /usr/lib/python3/dist-packages/Cryptodome ] ||
    pcsc_skip "vicc needs pycryptodome (apt-get install python3-pycryptodome): no benchmark"
ln -s /usr/lib/python3/dist-packages/Cryptodome "$vshim/Crypto"
export PYTHONPATH=$vshim:/usr/lib/python3/site-packages/virtualsmartcard${PYTHONPATH:+:$PYTHONPATH}
(cd "$PCSC_TMP" && exec /usr/bin/python3 "$(command -v vicc)" -t iso7816 -H 127.0.0.1 \
    -P $((PCSC_PORT + 1))) >"$PCSC_TMP/vicc.log" 2>&1 &
PCSC_SERVES+=($!)
pcsc_wait_cards 2 || exit 1
apdu=${BENCH_APDU:-0084000008}
rtt=$SRC/bench/interop/pcsc_rtt.py
obol=$(/usr/bin/python3 "$rtt" "Virtual PCD 00 00" $apdu "$COUNT") || exit 1
# vicc answers in tens of milliseconds when the delayed ACK bites: fewer round trips
vicc=$(/usr/bin/python3 "$rtt" "Virtual PCD 00 01" $apdu $((COUNT / 10 > 50 ? COUNT / 10 : 50))) ||
    exit 1
set -- $obol
echo "BENCH pcsc.rtt_obol_us $1 us"
echo "BENCH pcsc.rtt_obol_p90_us $2 us"
set -- $vicc
echo "BENCH pcsc.rtt_vicc_us $1 us"
echo "BENCH pcsc.rtt_vicc_p90_us $2 us"
