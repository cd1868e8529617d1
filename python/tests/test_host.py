"""obol.Host: read-only queries of a platform database (hostsim's schema), made by a
scenario run with host_db=, and its errors."""
import sqlite3

import pytest

import obol

START = 7 * 3600


@pytest.fixture(scope="module")
def platform_db(tmp_path_factory, replay_attack):
    db = tmp_path_factory.mktemp("host") / "platform.db"

    def setup(world):
        world.at(START + 600, lambda w: (w.blacklist(5), w.blacklist(1234)))

    result = replay_attack.run(seed=21, host_db=db, setup=setup)
    return db, result


def test_queries(platform_db):
    db, result = platform_db
    host = obol.Host(db)
    assert host.path == str(db) and "platform.db" in repr(host)
    assert host.blacklist_version == 2
    bl = host.blacklist()
    assert [e["serial"] for e in bl] == [2000005, 2001234]
    assert all(set(e) == {"serial", "reason", "version"} for e in bl)
    assert host.is_blacklisted(2001234) and not host.is_blacklisted(2000006)
    txns = host.transactions()
    assert len(txns) == result.metrics["fares.settled"] > 0
    t = txns[0]
    assert {"serial", "counter", "amount", "terminal", "ttn", "day", "time", "tac",
            "balance_before", "balance_after", "operator", "kind"} <= set(t)
    assert isinstance(t["tac"], bytes) and len(t["tac"]) == 4 and t["day"] == 20261123
    mine = host.transactions(serial=t["serial"])
    assert mine and all(x["serial"] == t["serial"] for x in mine)
    assert len(host.transactions(limit=3)) == 3 and host.transactions(limit=0) == []
    assert host.transactions(day=20991231) == []
    assert all(x["terminal"] == t["terminal"] for x in host.transactions(terminal=t["terminal"]))
    s = host.settlement()
    assert s == host.settlement(day=20261123) and len(s) == 1
    assert s[0]["purchases"] == len(txns) and s[0]["purchase_amount"] == sum(
        x["amount"] for x in txns)
    assert host.settlement(operator=999) == []
    # the world's own settlement run at the end stored the same sums
    stored = host.settlement(stored=True)
    assert [{k: v for k, v in row.items() if k != "computed"} for row in stored] == s
    assert all(row["computed"] > 0 for row in stored)
    exc = host.exceptions()
    assert exc and {"reason", "severity", "serial", "detail"} <= set(exc[0])
    assert len(host.exceptions(limit=1)) == 1
    assert host.exceptions(reason=exc[0]["reason"])
    host.close()
    with pytest.raises(ValueError, match="closed"):
        host.blacklist()


def test_read_only(platform_db):
    db, _ = platform_db
    before = db.read_bytes()
    with obol.Host(db) as host:
        host.transactions()
        host.settlement()
    assert db.read_bytes() == before


def test_bad_arguments(platform_db):
    db, _ = platform_db
    host = obol.Host(db)
    with pytest.raises(TypeError):
        host.transactions(serial="x")
    with pytest.raises(ValueError):
        host.transactions(limit=-1)
    with pytest.raises(TypeError):
        host.is_blacklisted(None)
    with pytest.raises(TypeError):
        obol.Host()
    with pytest.raises(TypeError):
        obol.Host(1.5)


def test_errors(tmp_path):
    with pytest.raises(obol.HostIoError) as e:
        obol.Host(tmp_path / "none.db")
    assert e.value.name == "HOST_ERR_IO" and isinstance(e.value, obol.HostError)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(obol.HostCorruptError):
        obol.Host(junk)
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(obol.HostCorruptError, match="not an obol platform"):
        obol.Host(other)
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.execute("PRAGMA application_id = 1329745740")  # "OBOL"
    con.execute("PRAGMA user_version = 99")
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(obol.HostSchemaError, match="schema version 99"):
        obol.Host(newer)
    # the right stamps but not the platform's tables: a query says so, as HostDbError
    bare = tmp_path / "bare.db"
    con = sqlite3.connect(bare)
    con.execute("PRAGMA application_id = 1329745740")
    con.execute("PRAGMA user_version = 1")
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(obol.HostDbError, match="no such table"):
        obol.Host(bare).blacklist()
