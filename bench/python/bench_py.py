"""obol benchmark: Card.transmit calls per second from Python (the CPython binding's cost
over the card OS's own), to compare with BENCH card.apdus_per_sec (bench/card): the same
card (the default test card, in memory) and the same command (READ BINARY of 16 bytes
by SFI 1). The median of 5 runs of about half a second each.

  BENCH py.transmit_per_sec N calls/s
  BENCH py.connection_transmit_per_sec N calls/s   (the pyscard-like list interface)

usage: bench_py.py   (with the built module on PYTHONPATH)
"""
import statistics
import sys
import time

import obol

APDU = bytes.fromhex("00B0810010")


def rate(call):
    runs = []
    for _ in range(5):
        n, t0 = 0, time.perf_counter()
        while True:
            for _ in range(10000):
                call()
            n += 10000
            t1 = time.perf_counter()
            if t1 - t0 >= 0.5:
                break
        runs.append(n / (t1 - t0))
    return statistics.median(runs)


def main():
    card = obol.Card(None, contactless=True)
    card.power_on()
    rsp = card.transmit(APDU)
    if len(rsp) != 18 or rsp[-2:] != b"\x90\x00":
        print(f"bench_py: READ BINARY answered {rsp.hex()}", file=sys.stderr)
        return 1
    transmit = card.transmit
    print(f"BENCH py.transmit_per_sec {rate(lambda: transmit(APDU)):.0f} calls/s")
    conn = card.connection()
    apdu = list(APDU)
    print(f"BENCH py.connection_transmit_per_sec {rate(lambda: conn.transmit(apdu)):.0f} calls/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
