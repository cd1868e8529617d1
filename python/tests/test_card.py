"""obol.Card and obol.CardConnection: power, APDUs, counters, images, errors."""
import os

import pytest

import obol
from conftest import GET_BALANCE, SELECT_PURSE, hexb

READ_BINARY_SFI1 = hexb("00B0810010")  # the default test card: EF SFI 1, 16 bytes


def test_default_card_answers():
    card = obol.Card(None)
    assert card.profile is None and not card.powered and card.atr is None
    atr = card.power_on()
    assert isinstance(atr, bytes) and len(atr) > 2 and card.atr == atr and card.powered
    rsp = card.transmit(READ_BINARY_SFI1)
    assert len(rsp) == 18 and rsp[-2:] == b"\x90\x00"
    assert card.transmit(bytearray(READ_BINARY_SFI1)) == rsp
    assert card.transmit(memoryview(READ_BINARY_SFI1)) == rsp
    card.power_off()
    assert not card.powered
    card.close()
    assert card.closed


def test_profile_purse_balance():
    with obol.Card("purse-funded") as card:
        assert card.powered
        assert card.transmit(SELECT_PURSE)[-2:] == b"\x90\x00"
        rsp = card.transmit(GET_BALANCE)
        assert rsp[-2:] == b"\x90\x00" and len(rsp) == 6
        assert int.from_bytes(rsp[:4], "big") > 0
    assert card.closed


def test_protocol_errors_are_status_words():
    with obol.Card("multiapp") as card:
        assert card.transmit(hexb("00A4040005F000000000"))[-2:] == b"\x6A\x82"
        assert card.transmit(hexb("00FF0000"))[-2:] == b"\x6D\x00"
        assert len(card.transmit(b"\x00")) == 2  # malformed: a status word, never a crash


def test_counters_count_the_callers_work():
    card = obol.Card(None)
    assert card.counters == {"apdus": 0, "nvm_writes": 0, "nvm_bytes": 0, "nvm_pages": 0,
                             "crypto_blocks": 0, "rng_bytes": 0}
    card.power_on()
    for _ in range(10):
        card.transmit(READ_BINARY_SFI1)
    c = card.counters
    assert c["apdus"] == 10 and set(c) >= {"apdus", "nvm_writes", "nvm_bytes", "nvm_pages",
                                           "crypto_blocks"}
    card.transmit(hexb("0084000008"))  # GET CHALLENGE draws random bytes
    assert card.counters["rng_bytes"] >= 8
    card.reset_counters()
    assert card.counters["apdus"] == 0


def test_warm_reset_and_contactless():
    card = obol.Card(None)
    cold = card.power_on()
    assert card.reset() == cold
    assert card.power_on(warm=True) == cold
    ats = obol.Card(None, contactless=True).power_on()
    assert ats != cold


def test_seed_makes_the_rng_reproducible():
    def challenge(seed):
        with obol.Card(None, seed=seed) as c:
            return c.transmit(hexb("0084000008"))
    assert challenge(5) == challenge(5)
    assert challenge(5) != challenge(6)


def test_image_persists_across_cards(tmp_path):
    image = tmp_path / "card.img"
    with obol.Card("purse-funded", image=image) as card:
        card.transmit(SELECT_PURSE)
        before = card.transmit(GET_BALANCE)
        digest = card.nvm_digest()
        assert len(digest) == 32
    assert image.exists() and image.stat().st_size == 32768
    again = obol.Card("purse", image=str(image))  # an existing image is used as it is
    again.power_on()
    again.transmit(SELECT_PURSE)
    assert again.transmit(GET_BALANCE) == before
    assert again.nvm_digest() == digest
    again.close()


def test_bad_profile_raises_card_error(tmp_path):
    with pytest.raises(obol.CardNotFoundError) as e:
        obol.Card("no-such-profile")
    assert e.value.code == -11 and e.value.name == "COS_ERR_NOT_FOUND"
    assert isinstance(e.value, obol.CardError) and isinstance(e.value, obol.Error)
    bad = tmp_path / "bad.profile"
    bad.write_text("card serial=0000000000000001 issuer=1234567800000000\nfrobnicate x=1\n")
    with pytest.raises(obol.CardParamError) as e:
        obol.Card(str(bad), image=tmp_path / "x.img")
    assert "bad.profile:2" in str(e.value)
    assert not (tmp_path / "x.img").exists()  # no half-personalized image left behind


def test_not_powered_and_closed():
    card = obol.Card(None)
    with pytest.raises(obol.CardNotPoweredError):
        card.transmit(READ_BINARY_SFI1)
    card.close()
    card.close()  # twice is fine
    for call in (card.power_on, card.power_off, lambda: card.transmit(b"\x00\xa4\x00\x00"),
                 lambda: card.counters, card.nvm_digest):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_bad_arguments():
    with pytest.raises(TypeError):
        obol.Card(42)
    with pytest.raises(ValueError):
        obol.Card("")
    with pytest.raises(ValueError):
        obol.Card(None, nvm_size=10)
    with pytest.raises(ValueError):
        obol.Card("purse\0x")
    with pytest.raises(TypeError):
        obol.Card(None, seed="x")
    with pytest.raises(TypeError):
        obol.Card(None, nvm_size=4096, bogus=1)
    card = obol.Card(None)
    card.power_on()
    with pytest.raises(TypeError, match="bytes"):
        card.transmit([0, 0xA4, 0, 0])
    with pytest.raises(TypeError):
        card.transmit("00A40000")
    with pytest.raises(TypeError):
        card.transmit()


def test_image_that_is_not_a_card(tmp_path):
    with pytest.raises(ValueError, match="not a card image"):
        obol.Card(None, image=tmp_path)  # a directory
    (tmp_path / "empty.img").write_bytes(b"")
    with pytest.raises(ValueError, match="not a card image"):
        obol.Card(None, image=tmp_path / "empty.img")
    junk = tmp_path / "junk.img"
    junk.write_bytes(os.urandom(8192))
    card = obol.Card(None, image=junk)
    with pytest.raises(obol.CardError):
        card.power_on()


def test_connection_is_pyscard_like():
    card = obol.Card("purse-funded")
    conn = card.connection()
    assert isinstance(conn, obol.CardConnection) and conn.card is card
    conn.connect()
    assert conn.getATR() == list(card.atr)
    data, sw1, sw2 = conn.transmit(list(SELECT_PURSE))
    assert (sw1, sw2) == (0x90, 0x00) and isinstance(data, list)
    data, sw1, sw2 = conn.transmit(list(GET_BALANCE))
    assert (sw1, sw2) == (0x90, 0x00) and len(data) == 4
    assert "purse-funded" in conn.getReader()
    conn.disconnect()
    assert not card.powered
    with obol.CardConnection(obol.Card(None)) as c2:
        assert c2.transmit(list(READ_BINARY_SFI1))[1:] == (0x90, 0x00)
    with pytest.raises(ValueError):
        conn.transmit([0, 256])
    with pytest.raises(ValueError):
        conn.transmit([0, -1])
    with pytest.raises(TypeError):
        conn.transmit(5)
    with pytest.raises(TypeError):
        obol.CardConnection("not a card")


def test_random_apdus_never_crash():
    import random
    rnd = random.Random(1)
    with obol.Card("multiapp") as card:
        for _ in range(3000):
            n = rnd.choice([0, 1, 2, 3, 4, 5, 6, rnd.randrange(0, 300)])
            apdu = bytes(rnd.randrange(256) for _ in range(n))
            try:
                rsp = card.transmit(apdu)
                assert len(rsp) >= 2
            except obol.CardError:
                card.power_on()
