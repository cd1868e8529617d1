"""obol.replay(): a recorded purchase replays clean against cards in the same state,
diverges against one in another state (the same report as `obol replay`), masks hide
what legitimately varies, imported logs replay; malformed traces raise TraceError."""
import subprocess

import pytest

import obol
from conftest import SRC


@pytest.fixture(scope="module")
def purchase_trace(tmp_path_factory, obol_cli):
    """The scripted purchase of examples/purchase.apdu, user card and PSAM, recorded by
    `obol card exec --trace` (card i is seeded with i)."""
    path = tmp_path_factory.mktemp("replay") / "p.trace"
    subprocess.run([str(obol_cli), "card", "exec", "--card", "user=purse-funded", "--card",
                    "sam=psam", "--trace", str(path), str(SRC / "examples" / "purchase.apdu")],
                   check=True, capture_output=True)
    return path


def cards(user="purse-funded", user_seed=0, sam_seed=1):
    return [obol.Card(user, seed=user_seed), obol.Card("psam", seed=sam_seed)]


def test_clean_replay(purchase_trace, obol_cli):
    rep = obol.replay(purchase_trace, card=cards())
    assert isinstance(rep, obol.ReplayReport) and rep.ok and rep.divergence is None
    assert rep.exchanges == 9 and rep.power_events == 2 and rep.trace == str(purchase_trace)
    assert rep.text == (f"replay: {purchase_trace}: 9 exchanges and 2 power-ons replayed, "
                        "all match\n")
    assert len(rep.outcomes) == 11 and {o["status"] for o in rep.outcomes} == {"matched"}
    cli = subprocess.run([str(obol_cli), "replay", str(purchase_trace), "--card", "purse-funded",
                          "--card", "psam,seed=1"], capture_output=True, text=True)
    assert cli.returncode == 0 and cli.stdout == rep.text
    assert 'tests="11" failures="0"' in rep.junit
    # a dict maps reader names to cards; names make cards
    assert obol.replay(purchase_trace, card={"user": "purse-funded",
                                             "sam": obol.Card("psam", seed=1)}).ok


def test_divergence_is_reported_as_the_cli_does(purchase_trace, obol_cli, tmp_path):
    rep = obol.replay(purchase_trace, card=cards(user="purse", sam_seed=0))
    assert not rep.ok
    d = rep.divergence
    assert d["number"] == 5 and d["reader"] == "user" and d["status"] == "diverged"
    assert d["command"].hex().upper().startswith("805001020B")
    assert d["differs"] == "status word" and d["got"][-2:] == b"\x94\x01"
    assert d["expected"][-2:] == b"\x90\x00"
    assert "DIVERGENCE at exchange 5 (" in rep.text and "expected 9000, got 9401" in rep.text
    assert "#4 line 10" in rep.text
    cli = subprocess.run([str(obol_cli), "replay", str(purchase_trace), "--card", "purse",
                          "--card", "psam"], capture_output=True, text=True)
    assert cli.returncode == 1
    # the CLI names its targets "in-process card NAME"; the rest is the same report
    assert cli.stdout.replace('-> in-process card purse)', '-> user)') == rep.text
    statuses = [o["status"] for o in rep.outcomes]
    assert statuses.count("diverged") == 1 and statuses[-1] == "not replayed"
    rep.write_junit(tmp_path / "j.xml")
    junit = (tmp_path / "j.xml").read_text()
    assert junit == rep.junit and 'failures="1"' in junit and "<skipped" in junit


def test_masks(purchase_trace):
    exact = obol.replay(purchase_trace, card=cards(user_seed=9))
    assert not exact.ok and exact.divergence["offset"] == 11
    assert exact.divergence["differs"] == "data"
    masked = obol.replay(purchase_trace, card=cards(user_seed=9), masks=["pboc"])
    assert not masked.ok and masked.divergence["got"] == b"\x93\x02"
    assert masked.masked_bytes > 0 and "................9000" in masked.text
    with pytest.raises(ValueError, match="mask"):
        obol.replay(purchase_trace, card=cards(), masks=["84@"])
    with pytest.raises(TypeError):
        obol.replay(purchase_trace, card=cards(), masks="pboc")


def test_only_and_card_mapping_errors(purchase_trace):
    rep = obol.replay(purchase_trace, card=obol.Card("psam", seed=1), only=["sam"])
    assert rep.ok and rep.exchanges == 4
    with pytest.raises(ValueError, match="2 readers"):
        obol.replay(purchase_trace, card=obol.Card("purse"))
    with pytest.raises(ValueError, match="2 readers to replay"):
        obol.replay(purchase_trace, card=[obol.Card("purse")])
    with pytest.raises(ValueError, match="no card for the trace's reader"):
        obol.replay(purchase_trace, card={"user": "purse"})
    with pytest.raises(ValueError, match="no reader"):
        obol.replay(purchase_trace, card="purse", only=["nobody"])
    with pytest.raises(TypeError):
        obol.replay(purchase_trace, card=[1, 2])
    closed = obol.Card("purse")
    closed.close()
    with pytest.raises(ValueError, match="closed"):
        obol.replay(purchase_trace, card=[closed, "psam"])
    with pytest.raises(ValueError, match="format"):
        obol.replay(purchase_trace, card=cards(), format="xml")


@pytest.mark.parametrize("log", ["pcsc-spy.log", "pcsc-spy-thread.log", "pcsc-spy-diffable.log",
                                 "gpp.log"])
def test_imported_logs(log):
    rep = obol.replay(SRC / "tests" / "interop" / "data" / log, card="purse")
    assert rep.ok and rep.exchanges > 0


def test_trace_as_text_and_its_errors(tmp_path):
    text = (b"obol-trace 1\n0.000001 card ON 3B00\n0.000002 card > 00A4040009A00000000386980701\n"
            b"0.000003 card < 9000\n")
    rep = obol.replay(text, card="purse", ignore_atr=True)
    assert rep.ok and rep.trace is None and rep.exchanges == 1
    with pytest.raises(obol.TraceSyntaxError) as e:
        obol.replay(b"obol-trace 1\n0.1 card > 00A4\n", card="purse")
    assert e.value.line == 2 and e.value.name == "TRACE_ERR_SYNTAX"
    assert isinstance(e.value, obol.TraceError) and isinstance(e.value, obol.ReplayError)
    short = tmp_path / "short.trace"
    short.write_text("obol-trace 1\n0.1 card > 00A4\n")
    with pytest.raises(obol.TraceSyntaxError) as e:
        obol.replay(short, card="purse")
    assert e.value.file == str(short) and e.value.line == 2
    assert "short.trace:2: a command APDU has at least 4 bytes" in str(e.value)
    with pytest.raises(obol.TraceIoError):
        obol.replay(tmp_path / "none.trace", card="purse")
    with pytest.raises(obol.TraceError):
        obol.replay(b"", card="purse")
    # an ATR that differs is a divergence at power on
    rep = obol.replay(text, card="purse")
    assert not rep.ok and rep.divergence["event"] == "ON" and rep.divergence["differs"] == "atr"


def test_random_traces_never_crash():
    import random
    rnd = random.Random(7)
    pieces = [b"obol-trace 1\n", b"0.1 card ON 3B00\n", b"0.2 card > 00A4040000\n",
              b"0.3 card < 9000\n", b"0.4 card OFF\n", b"0.5 card RESET 3B\n", b"\x00\xff",
              b"0.6 x > 80\n", b"< 6F00\n", b"# c\n", b"A>> 00A40400 00\n", b"A<< 9000\n"]
    card = obol.Card("purse")
    for _ in range(500):
        text = b"".join(rnd.choice(pieces) for _ in range(rnd.randrange(8)))
        try:
            obol.replay(text, card=card)
        except (obol.TraceError, ValueError):
            pass
