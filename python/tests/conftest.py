"""obol Python binding tests: shared fixtures.

ctest runs these with /usr/bin/python3 -m pytest and PYTHONPATH pointing at the built
module (build/python); OBOL_SOURCE_DIR and OBOL_BUILD_DIR locate the repository's data
and the obol CLI; OBOL_ASAN=1 marks the ASan build (libasan preloaded), where memory
figures mean nothing and the loops are shorter.
"""
import os
import pathlib

import pytest

SRC = pathlib.Path(os.environ.get("OBOL_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("OBOL_BUILD_DIR", SRC / "build"))
ASAN = os.environ.get("OBOL_ASAN") == "1"


@pytest.fixture(scope="session")
def src():
    return SRC


@pytest.fixture(scope="session")
def obol_cli():
    exe = BUILD / "bin" / "obol"
    if not exe.exists():
        pytest.skip(f"no obol CLI at {exe} (build the default preset)")
    return exe


@pytest.fixture(scope="session")
def replay_attack():
    import obol

    return obol.Scenario(SRC / "scenarios" / "replay_attack.xml")


def hexb(s):
    return bytes.fromhex(s.replace(" ", ""))


# PBOC purse (profiles/purse.profile): SELECT by AID, GET BALANCE.
PURSE_AID = "A0000000038698 0701"
SELECT_PURSE = hexb("00A4040009" + PURSE_AID)
GET_BALANCE = hexb("805C000204")
