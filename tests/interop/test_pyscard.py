"""obol interop tests: a PC/SC application (pyscard, Debian's python3-pyscard) talks to
obol's cards served by `obol card serve` through pcscd and vpcd, as a terminal would.

Started by test_pcsc.sh, which sets the readers in the environment:
  OBOL_CARD_READER   the user's purse card (profile purse-funded: EP balance 10000)
  OBOL_PSAM_READER   the terminal's PSAM (profile psam)
  OBOL_QEMU_READER   optional: the Cortex-M3 image under QEMU (profile purse-funded)
The terminal's side here holds no key: the PSAM computes MAC1 and checks MAC2.
"""
import os

import pytest
from smartcard.System import readers
from smartcard.scard import SCARD_UNPOWER_CARD

PURSE_AID = bytes.fromhex("A00000000386980701")
PSAM_AID = bytes.fromhex("F06F626F6C5053414D01")
OBOL_ATR = bytes.fromhex("3B9E138131FE458031C073F6215B646F626F6C8105E6")


def connect(env):
    name = os.environ.get(env)
    if not name:
        pytest.skip(f"{env} is not set")
    for r in readers():
        if str(r) == name:
            c = r.createConnection()
            c.connect()
            return c
    pytest.fail(f"no reader {name!r} among {[str(r) for r in readers()]}")


def tx(conn, hexcmd):
    data, sw1, sw2 = conn.transmit(list(bytes.fromhex(hexcmd.replace(" ", ""))))
    return bytes(data), sw1 << 8 | sw2


def select(conn, aid):
    return tx(conn, f"00A40400{len(aid):02X}{aid.hex()}00")


@pytest.fixture
def card():
    c = connect("OBOL_CARD_READER")
    yield c
    c.disconnect()


@pytest.fixture
def psam():
    c = connect("OBOL_PSAM_READER")
    yield c
    c.disconnect()


def balance(card):
    data, sw = tx(card, "805C000204")
    assert sw == 0x9000 and len(data) == 4
    return int.from_bytes(data, "big")


def test_readers_hold_obol_cards(card, psam):
    assert bytes(card.getATR()) == OBOL_ATR
    assert bytes(psam.getATR()) == OBOL_ATR
    fci, sw = select(card, PURSE_AID)
    assert sw == 0x9000
    assert fci[:2] == b"\x6f\x0b" and fci[4:13] == PURSE_AID


def test_pboc_purchase_with_the_psam(card, psam):
    """A PBOC 2.0 EP purchase as a terminal runs it (JR/T 0025 part 1)."""
    amount, date, time = 100, "20261122", "083000"
    _, sw = select(psam, PSAM_AID)
    assert sw == 0x9000
    tid, sw = tx(psam, "00B0960006")
    assert sw == 0x9000 and len(tid) == 6
    _, sw = select(card, PURSE_AID)
    assert sw == 0x9000
    pub, sw = tx(card, "00B0950000")
    assert sw == 0x9000 and len(pub) == 30
    issuer, serial = pub[0:8], pub[12:20]
    before = balance(card)
    # INITIALIZE FOR PURCHASE: balance(4) counter(2) overdraft(3) kver(1) alg(1) random(4)
    init, sw = tx(card, f"805001020B01{amount:08X}{tid.hex()}0F")
    assert sw == 0x9000 and len(init) == 15
    assert int.from_bytes(init[0:4], "big") == before
    counter = init[4:6]
    # INIT SAM FOR PURCHASE -> terminal transaction number(4) MAC1(4)
    sam, sw = tx(psam, "8070000024" + init[11:15].hex() + counter.hex() + f"{amount:08X}06"
                 + date + time + init[9:11].hex() + serial.hex() + issuer.hex() + "08")
    assert sw == 0x9000 and len(sam) == 8
    # DEBIT FOR PURCHASE -> TAC(4) MAC2(4)
    debit, sw = tx(card, "805401000F" + sam[0:4].hex() + date + time + sam[4:8].hex() + "08")
    assert sw == 0x9000 and len(debit) == 8
    # CREDIT SAM FOR PURCHASE: the PSAM checks the card's MAC2
    _, sw = tx(psam, "8072000004" + debit[4:8].hex())
    assert sw == 0x9000, "the PSAM refused the card's MAC2"
    assert balance(card) == before - amount
    # the transaction log (SFI 18): counter, overdraft, amount, type 06, terminal id...
    rec, sw = tx(card, "00B201C417")
    assert sw == 0x9000
    assert rec[0:2] == counter and int.from_bytes(rec[5:9], "big") == amount
    assert rec[9] == 0x06 and rec[10:16] == tid
    # a recovering terminal asks for the proof of the last transaction
    nxt = (int.from_bytes(counter, "big") + 1).to_bytes(2, "big")
    prove, sw = tx(card, "805A000602" + nxt.hex() + "08")
    assert sw == 0x9000 and prove == debit[4:8] + debit[0:4]


def test_wrong_mac1_is_refused(card, psam):
    _, sw = select(card, PURSE_AID)
    assert sw == 0x9000
    before = balance(card)
    _, sw = tx(card, "805401000F00000001202611220830000000000008")
    assert sw in (0x6985, 0x9302)  # no INITIALIZE before: conditions, else MAC
    assert balance(card) == before


def test_power_off_clears_the_security_state(card):
    _, sw = select(card, PURSE_AID)
    assert sw == 0x9000
    _, sw = tx(card, "0020000103123456")
    assert sw == 0x9000
    _, sw = tx(card, "805C000104")
    assert sw == 0x9000, "the ED balance after VERIFY"
    card.reconnect(disposition=SCARD_UNPOWER_CARD)
    _, sw = select(card, PURSE_AID)
    assert sw == 0x9000
    _, sw = tx(card, "805C000104")
    assert sw == 0x6982, "a power cycle must clear the verified PIN"


def test_challenges_differ(card):
    a, sw = tx(card, "0084000008")
    assert sw == 0x9000 and len(a) == 8
    b, _ = tx(card, "0084000008")
    assert a != b


def test_qemu_image_answers():
    if not os.environ.get("OBOL_QEMU_READER"):
        pytest.skip("no QEMU card served (OBOL_QEMU_READER)")
    q = connect("OBOL_QEMU_READER")
    try:
        assert bytes(q.getATR()) == OBOL_ATR
        fci, sw = select(q, PURSE_AID)
        assert sw == 0x9000 and fci[4:13] == PURSE_AID
        assert balance(q) == 10000
        ch, sw = tx(q, "0084000008")
        assert sw == 0x9000 and len(ch) == 8
    finally:
        q.disconnect()
