"""python/obol.pyi names exactly what the module has (the generated classes too)."""
import re

import obol
from conftest import SRC


def test_stub_matches_the_module():
    text = (SRC / "python" / "obol.pyi").read_text()
    stub = set(re.findall(r"^class (\w+)", text, re.M)) | set(re.findall(r"^def (\w+)", text, re.M))
    stub |= {n for n in re.findall(r"^(\w+):", text, re.M)}
    stub -= {"Counters", "_Path", "_Bytes", "_Target"}  # typing helpers of the stub
    public = {n for n in dir(obol) if not n.startswith("_")} | {"__version__"}
    assert public - stub == set(), "in the module, not in obol.pyi"
    assert stub - public == set(), "in obol.pyi, not in the module"
