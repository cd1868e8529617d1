"""The exception hierarchy: generated from the C error tables, one class per code."""
import re

import pytest

import obol
from conftest import SRC

FAMILIES = {  # family class, class-name prefix, C prefix, header
    "CardError": ("Card", "COS_ERR_", "cardsim/include/obol/cos_err.h"),
    "ScenarioError": ("Scenario", "SCN_ERR_", "core/include/obol/scenario.h"),
    "SimulationError": ("Simulation", "SIM_ERR_", "core/include/obol/sim.h"),
    "TraceError": ("Trace", "TRACE_ERR_", "core/include/obol/trace.h"),
    "ReportError": ("Report", "RPT_ERR_", "reports/include/obol/rpt.h"),
}


def camel(name):
    return "".join(p.capitalize() for p in name.split("_"))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_code_of_the_headers_has_a_class(family):
    prefix, cprefix, header = FAMILIES[family]
    text = (SRC / header).read_text()
    codes = re.findall(re.escape(cprefix) + r"([A-Z0-9_]+)\s*=\s*(-\d+)\s*,?\s*/\*\s*(.*?)\s*\*/",
                       text)
    assert codes
    base = getattr(obol, family)
    for name, value, doc in codes:
        cls = getattr(obol, prefix + camel(name) + "Error")
        assert issubclass(cls, base) and issubclass(cls, obol.Error)
        assert cls.__doc__ == " ".join(doc.split())


def test_host_codes_come_from_the_x_macro():
    text = (SRC / "hostsim/include/obol/host_error.h").read_text()
    names = re.findall(r"XX\((\w+), (-\d+), \"(.*?)\"\)", text)
    assert len(names) >= 13
    for name, value, msg in names:
        cls = getattr(obol, "Host" + camel(name) + "Error")
        assert issubclass(cls, obol.HostError) and cls.__doc__ == msg


def test_hierarchy():
    assert issubclass(obol.Error, Exception)
    for fam in ("CardError", "HostError", "ScenarioError", "SimulationError", "ReplayError",
                "ReportError"):
        assert getattr(obol, fam).__bases__ == (obol.Error,)
    assert issubclass(obol.TraceError, obol.ReplayError)
    assert obol.CardNotPoweredError.__module__ == "obol"


def test_attributes_of_a_raised_error():
    with pytest.raises(obol.CardNotPoweredError) as e:
        obol.Card(None).transmit(b"\x00\xa4\x00\x00")
    assert e.value.code == -4 and e.value.name == "COS_ERR_NOT_POWERED"
    assert "not powered" in str(e.value)
    # a Python program catches a family or the base
    try:
        obol.Card(None).transmit(b"\x00\xa4\x00\x00")
    except obol.Error as err:
        assert isinstance(err, obol.CardError)
