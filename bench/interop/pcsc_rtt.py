"""obol benchmark helper: the median round trip of one APDU through PC/SC (pyscard ->
pcscd -> the reader's driver -> the card), in microseconds.

usage: pcsc_rtt.py READER APDU_HEX COUNT
Prints the median and the 90th percentile in us; exits 1 when the card does not answer
9000 or the reader is missing.
"""
import statistics
import sys
import time

from smartcard.System import readers


def main():
    name, apdu, count = sys.argv[1], list(bytes.fromhex(sys.argv[2])), int(sys.argv[3])
    match = [r for r in readers() if str(r) == name]
    if not match:
        print(f"no reader {name!r}", file=sys.stderr)
        return 1
    conn = match[0].createConnection()
    conn.connect()
    for _ in range(max(3, count // 20)):  # warm-up
        conn.transmit(apdu)
    times = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        _, sw1, sw2 = conn.transmit(apdu)
        times.append(time.perf_counter_ns() - t0)
        if (sw1, sw2) != (0x90, 0x00):
            print(f"the card answered {sw1:02X}{sw2:02X}", file=sys.stderr)
            return 1
    conn.disconnect()
    times.sort()
    print(f"{statistics.median(times) / 1000:.1f} {times[int(len(times) * 0.9)] / 1000:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
