"""Full, read-only or damaged stores give one plain sentence, never a traceback (issue 19).

Before: the CLI said "cannot open the store: <DuckDB text>" whatever the fault (a full disk during
an import read as a store that could not be *opened*), and every page showed DuckDB's traceback
for a damaged store. A damaged store is made of random bytes; a full disk and a read-only store
are simulated with a write that raises DuckDB's (or the OS's) own error, since the tests may run
as root, for whom file modes do not bite.
"""
from __future__ import annotations

import errno
import os

import duckdb
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from intel import store
from intel.cli import main

CSV = ("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
       "A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\n")


def _damaged(tmp_path):
    db = tmp_path / "bad.duckdb"
    db.write_bytes(bytes(range(256)) * 64)
    return db


@pytest.mark.parametrize("verb", [["hotspots", "--out", "h.csv"], ["verify"], ["batches", "list"], ["import", "a.csv"]])
def test_damaged_store_cli(tmp_path, verb, monkeypatch):
    db = _damaged(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.csv").write_text(CSV)
    r = CliRunner().invoke(main, [*verb, "--db", str(db)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: the store is damaged or is not a store of this program"), r.output
    assert r.output.count("\n") == 1 and "Traceback" not in r.output


def test_full_disk_during_import_cli(tmp_path, monkeypatch):
    p = tmp_path / "a.csv"
    p.write_text(CSV)
    db = tmp_path / "s.duckdb"
    store.connect(db).close()

    def full(*a, **k):
        raise duckdb.IOException('IO Error: Could not write file "s.duckdb.wal": No space left on device')
    monkeypatch.setattr(store, "audit", full)
    import intel.ingest
    monkeypatch.setattr(intel.ingest, "audit", full)
    r = CliRunner().invoke(main, ["import", str(p), "--db", str(db)])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("error: the disk holding the store is full: nothing of this change was written"), r.output
    assert "Traceback" not in r.output
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0     # rolled back
    con.close()


@pytest.mark.parametrize("exc,start", [
    (duckdb.IOException('IO Error: Cannot open file "x.duckdb": Permission denied'), "the store x.duckdb cannot be written"),
    (OSError(errno.EROFS, "Read-only file system", "x.duckdb"), "the store x.duckdb cannot be written"),
    (OSError(errno.ENOSPC, "No space left on device"), "the disk holding the store x.duckdb is full"),
    (duckdb.IOException("IO Error: Corrupt database file: computed checksum 1 does not match stored checksum 2"),
     "the store x.duckdb is damaged"),
])
def test_fault_sentences(exc, start):
    assert store.fault_message(exc, "x.duckdb").startswith(start)


def test_read_only_store_cli(tmp_path, monkeypatch):
    db = tmp_path / "ro.duckdb"
    store.connect(db).close()
    real = duckdb.connect

    def ro(path=":memory:", *a, read_only=False, **k):
        if str(path) == str(db) and not read_only:
            raise duckdb.IOException(f'IO Error: Cannot open file "{db}": Permission denied')
        return real(path, *a, read_only=read_only, **k)
    monkeypatch.setattr(duckdb, "connect", ro)
    p = tmp_path / "a.csv"
    p.write_text(CSV)
    r = CliRunner().invoke(main, ["import", str(p), "--db", str(db)])
    assert r.exit_code == 2 and r.output.startswith("error: the store cannot be written: the file or its folder is "
                                                    "read-only"), r.output


def test_damaged_store_page(tmp_path, app_env):
    db = _damaged(tmp_path)
    app_env(db)
    at = AppTest.from_file("../pages/overview.py", default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1 and at.error[0].value.startswith(
        f"The store {os.path.realpath(db)} is damaged or is not a store of this program"), [e.value for e in at.error]
