"""Reference counting: no leaks over 100,000 calls of each hot path, measured with
tracemalloc (Python objects) and the process's resident set (C memory: the card OS,
SQLite, libxml2). Under ASan memory figures mean nothing (quarantine): there the loops
run for the sanitizer's sake and only the reference counts are checked."""
import gc
import sys
import tracemalloc

import pytest

import obol
from conftest import ASAN, GET_BALANCE, SELECT_PURSE, hexb

N = 100_000


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4  # resident pages of 4 KiB


def leak_check(fn, n=N, warmup=2000, max_py_bytes=32 * 1024, max_rss_kib=1024):
    """Runs FN N times after a warm-up and fails when the memory Python traces or the
    RSS grows over the second half of the calls: a leak grows with every call, while
    one-off allocations (caches filled on first use, pytest's own) land in the first
    half. A leaked reference costs at least 16 bytes a call: 50,000 calls, 800 KB."""
    tracemalloc.start()
    for _ in range(warmup):
        fn()
    half = n // 2
    for _ in range(half):
        fn()
    gc.collect()
    py0, rss0 = tracemalloc.get_traced_memory()[0], rss_kib()
    for _ in range(n - half):
        fn()
    gc.collect()
    py1, rss1 = tracemalloc.get_traced_memory()[0], rss_kib()
    tracemalloc.stop()
    if ASAN:
        return
    assert py1 - py0 < max_py_bytes, (
        f"Python allocations grew by {py1 - py0} bytes over {n - half} calls")
    assert rss1 - rss0 < max_rss_kib, f"RSS grew by {rss1 - rss0} KiB over {n - half} calls"


@pytest.fixture
def purse():
    card = obol.Card("purse-funded")
    card.power_on()
    card.transmit(SELECT_PURSE)
    yield card
    card.close()


def test_transmit(purse):
    before = sys.getrefcount(GET_BALANCE)
    leak_check(lambda: purse.transmit(GET_BALANCE))
    assert sys.getrefcount(GET_BALANCE) == before


def test_transmit_buffers(purse):
    buf = bytearray(GET_BALANCE)
    before = sys.getrefcount(buf)
    leak_check(lambda: purse.transmit(buf))
    assert sys.getrefcount(buf) == before


def test_card_errors():
    card = obol.Card(None)

    def err():
        try:
            card.transmit(b"\x00\xa4\x00\x00")
        except obol.CardNotPoweredError:
            pass

    leak_check(err)


def test_bad_arguments():
    card = obol.Card(None)
    card.power_on()

    def bad():
        try:
            card.transmit(12)
        except TypeError:
            pass

    leak_check(bad)


def test_counters_and_connection(purse):
    leak_check(lambda: purse.counters)
    conn = purse.connection()
    apdu = list(GET_BALANCE)
    leak_check(lambda: conn.transmit(apdu))


def test_cards_made_and_closed():
    def make():
        with obol.Card(None, nvm_size=8192) as c:
            c.transmit(hexb("00B0810010"))

    leak_check(make, n=N // 20, warmup=200)


def test_replay(tmp_path):
    text = (b"obol-trace 1\n0.000001 card ON 3B00\n0.000002 card > 00A4040009A00000000386980701\n"
            b"0.000003 card < 9000\n0.000004 card > 805C000204\n0.000005 card < 000000009000\n")
    card = obol.Card("purse")
    leak_check(lambda: obol.replay(text, card=card, ignore_atr=True), n=N // 10, warmup=500)

    def bad():
        try:
            obol.replay(b"obol-trace 1\n0.1 card > 00\n", card=card)
        except obol.TraceError:
            pass

    leak_check(bad, n=N // 10, warmup=500)


def test_host_queries(tmp_path, replay_attack):
    db = tmp_path / "p.db"
    replay_attack.run(seed=1, host_db=db, setup=lambda w: w.at(25300, lambda w: w.blacklist(3)))
    host = obol.Host(db)
    leak_check(lambda: host.blacklist(), n=N // 10, warmup=500)
    leak_check(lambda: host.transactions(limit=5), n=N // 10, warmup=500)
    leak_check(lambda: obol.Host(db).close(), n=N // 100, warmup=50, max_rss_kib=4096)


def test_scenario_loads(src):
    path = src / "scenarios" / "replay_attack.xml"
    leak_check(lambda: obol.Scenario(path), n=500, warmup=20, max_rss_kib=4096)


def test_runs_with_hooks_do_not_keep_objects(replay_attack):
    """Hooks, the World and the scheduled actions are released after each run."""
    class Probe:
        pass

    probe = Probe()
    base = sys.getrefcount(probe)

    def setup(world):
        world.on("tap", lambda w, ev, p=probe: None)
        world.at(26000, lambda w, p: None, probe)
        world.at(99999, lambda w, p: None, probe)  # never fires: still released

    for _ in range(3):
        replay_attack.run(seed=1, setup=setup)
    gc.collect()
    assert sys.getrefcount(probe) == base


@pytest.mark.skipif(ASAN, reason="memory figures mean nothing under ASan")
def test_the_check_catches_a_leak():
    kept = []
    with pytest.raises(AssertionError, match="grew"):
        leak_check(lambda: kept.append(object()), n=N, warmup=10)
