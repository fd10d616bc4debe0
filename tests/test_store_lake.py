"""The DuckLake back end (issue 18, first slice): the same import and analyses as the embedded store.

A DuckLake store on a SQLite catalog in ``tmp_path`` receives the same hand-built file as an
embedded DuckDB file; counts, the hexagon aggregate and the Gi* hot spots at resolution 8 must be
equal, a second import of the same file must change nothing, and the snapshot id must be readable
(and the store readable as of the snapshot before the import).
"""
from __future__ import annotations

from pathlib import Path

import h3
import pandas as pd
import pytest
from click.testing import CliRunner

from intel import hexbin, hotspots, ingest, store
from intel.cli import main

A = (43.6500, -79.3800)   # six records, one cell at every resolution
B = (43.7000, -79.4000)   # three records
SPREAD = [(43.60, -79.50), (43.62, -79.30), (43.68, -79.45), (43.72, -79.33), (43.66, -79.52), (43.58, -79.41)]


def _csv(tmp_path):
    rows = ["record_id,seizure_date,country,latitude,longitude,firearm_type,quantity"]
    points = [A] * 6 + [B] * 3 + SPREAD
    for i, (lat, lon) in enumerate(points):
        rows.append(f"R{i},2024-01-{i + 1:02d},CAN,{lat},{lon},pistol,1")
    rows.append("R99,2024-02-01,CAN,0,0,pistol,1")   # (0, 0): kept as unlocated, listed in the quarantine
    p = tmp_path / "seizures.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def _lake(tmp_path) -> str:
    return f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'};data={tmp_path / 'lake' / 'data'}"


def _summary(con):
    return {
        "status": con.execute("SELECT status, count(*) FROM events GROUP BY ALL ORDER BY 1").fetchall(),
        "events": con.execute(f"SELECT {store.events_sql()} FROM events WHERE status = 'accepted'").fetchone()[0],
        "quarantine": con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
        "batches": con.execute("SELECT batch_id, rows_read FROM batches").fetchall(),
        "audit": con.execute("SELECT audit_id, action FROM audit ORDER BY 1").fetchall(),
    }


def test_parse_store(tmp_path, monkeypatch):
    monkeypatch.delenv(store.STORE_DATA_ENV, raising=False)
    assert store.parse_store(tmp_path / "s.duckdb") is None
    s = store.parse_store(f"ducklake:sqlite:{tmp_path}/c.sqlite")
    assert (s.kind, s.catalog, s.data_path) == ("sqlite", f"{tmp_path}/c.sqlite", f"{tmp_path}/c.sqlite.files/")
    s = store.parse_store(f"ducklake:sqlite:{tmp_path}/c.sqlite;data={tmp_path}/d")
    assert s.data_path == f"{tmp_path}/d/" and s.attach_target == f"ducklake:sqlite:{tmp_path}/c.sqlite"
    monkeypatch.setenv(store.STORE_DATA_ENV, str(tmp_path / "env"))
    assert store.parse_store(f"ducklake:sqlite:{tmp_path}/c.sqlite").data_path == f"{tmp_path}/env/"
    monkeypatch.delenv(store.STORE_DATA_ENV)
    with pytest.raises(ValueError, match="data directory"):
        store.parse_store("ducklake:postgres:dbname=intel host=127.0.0.1")
    with pytest.raises(ValueError, match="not a DuckLake store"):
        store.parse_store("ducklake:mysql:x")


def test_lake_sql_drops_sequences_and_keys():
    sql = store.lake_sql("CREATE SEQUENCE IF NOT EXISTS a_seq START 1;\nCREATE TABLE t (k VARCHAR PRIMARY KEY, v INT);")
    assert "SEQUENCE" not in sql and "PRIMARY" not in sql and "CREATE TABLE t (k VARCHAR, v INT);" in sql


def test_import_into_ducklake_equals_embedded_store(tmp_path):
    p = _csv(tmp_path)
    lake = store.connect(_lake(tmp_path))
    emb = store.connect(tmp_path / "embedded.duckdb")
    assert store.is_lake(lake) and not store.is_lake(emb)
    assert store.snapshot_id(emb) is None
    before = store.snapshot_id(lake)
    assert isinstance(before, int)

    for con in (lake, emb):
        r = ingest.import_file(con, p)
        assert (r.rows_read, r.accepted, r.quarantined, r.batch_id) == (16, 15, 1, 1)
    s = _summary(lake)
    # hand-computed: 15 located records (15 incidents), the (0, 0) row unlocated and in the quarantine
    assert s["status"] == [("accepted", 15), ("unlocated", 1)] and s["events"] == 15 and s["quarantine"] == 1
    assert s["batches"] == [(1, 16)] and s["audit"] == [(1, "import")]
    assert s == _summary(emb)

    after = store.snapshot_id(lake)
    assert after > before
    # the store as of the snapshot before the import: no events yet
    assert lake.execute("SELECT count(*) FROM events AT (VERSION => ?)", [before]).fetchone()[0] == 0

    agg_lake, agg_emb = hexbin.aggregate(lake, 8), hexbin.aggregate(emb, 8)
    pd.testing.assert_frame_equal(agg_lake, agg_emb)
    by_cell = dict(zip(agg_lake["h3"], agg_lake["events"]))
    assert by_cell[h3.latlng_to_cell(*A, 8)] == 6 and by_cell[h3.latlng_to_cell(*B, 8)] == 3
    assert len(agg_lake) == 8 and agg_lake["events"].sum() == 15

    hs_lake, g_lake = hotspots.hotspots_from_store(lake, 8)
    hs_emb, g_emb = hotspots.hotspots_from_store(emb, 8)
    pd.testing.assert_frame_equal(hs_lake, hs_emb)
    assert g_lake == g_emb and g_lake.events == 15 and g_lake.nonzero_cells == 8

    # the same file again lands once: nothing written, not even a snapshot
    for con in (lake, emb):
        assert ingest.import_file(con, p).already_imported
    assert _summary(lake) == s and store.snapshot_id(lake) == after
    lake.close()
    emb.close()

    # another process (here: another connection) sees the committed import, read-only
    ro = store.connect(_lake(tmp_path), read_only=True)
    assert _summary(ro) == s
    ro.close()


def test_settings_profiles_and_ids_without_keys_or_sequences(tmp_path, monkeypatch):
    from intel import settings

    monkeypatch.delenv(settings.env_name("hotspot_k"), raising=False)
    con = store.connect(_lake(tmp_path))
    settings.put(con, "hotspot_k", 2)
    settings.put(con, "hotspot_k", 3)   # replaced, not a second row (no primary key in DuckLake)
    assert con.execute("SELECT name, value::VARCHAR FROM settings").fetchall() == [("hotspot_k", "3")]
    assert settings.get("hotspot_k", con) == 3
    ingest.save_profile(con, {"name": "p", "columns": {}})
    ingest.save_profile(con, {"name": "p", "columns": {"a": "b"}})
    assert con.execute("SELECT count(*) FROM profiles").fetchone()[0] == 1
    assert store.next_id(con, "batches", "batch_id") == 1
    ids = [r[0] for r in con.execute("SELECT audit_id FROM audit ORDER BY 1").fetchall()]
    assert ids == list(range(1, len(ids) + 1))
    # a migrated store opens again without applying anything twice
    con.close()
    con = store.connect(_lake(tmp_path))
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(store.MIGRATIONS)
    cur = store.cursor(con)   # cursors start on the in-memory catalog: store.cursor repeats USE lake
    assert cur.execute("SELECT count(*) FROM profiles").fetchone()[0] == 1
    con.close()


def test_cli_on_a_ducklake_store_from_intel_store(tmp_path, monkeypatch):
    p = _csv(tmp_path)
    monkeypatch.setenv(store.STORE_ENV, _lake(tmp_path))
    r = CliRunner().invoke(main, ["import", str(p)])
    assert r.exit_code == 0, r.output
    assert "15 accepted, 1 quarantined" in r.output
    con = store.connect(_lake(tmp_path), read_only=True)
    assert f"store snapshot: {store.snapshot_id(con)}\n" in r.output   # the import's own snapshot, printed
    con.close()
    r = CliRunner().invoke(main, ["batches", "list"])
    assert r.exit_code == 0 and "seizures.csv" in r.output, r.output
    r = CliRunner().invoke(main, ["hotspots", "--res", "8", "--out", str(tmp_path / "h.csv")])
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(tmp_path / "h.csv")) > 0
    r = CliRunner().invoke(main, ["build"])   # `intel serve` opens it (tests/test_lake_app.py)
    assert r.exit_code == 2 and "is a DuckLake store" in r.output and "Traceback" not in r.output


def test_a_refused_commit_is_a_plain_sentence(tmp_path, monkeypatch):
    # two writers committing to one DuckLake store on a SQLite catalog at the same moment: the second
    # gets "database is locked" (measured: two 50,000-row imports started together, one failed so)
    import duckdb

    p = _csv(tmp_path)

    def refused(*a, **k):
        raise duckdb.TransactionException("TransactionContext Error: Failed to commit: Failed to commit DuckLake "
                                          "transaction.\nFailed to flush changes into DuckLake: database is locked")

    monkeypatch.setattr(ingest, "import_file", refused)
    r = CliRunner().invoke(main, ["import", str(p), "--db", _lake(tmp_path)])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert "another process changed the store at the same moment" in r.output and "run it again" in r.output
    assert "database is locked" in r.output


def test_another_process_writing_never_blocks_or_shows_half_an_import(tmp_path):
    """Unlike the embedded file (one process at a time, see test_cli's held-store tests), a DuckLake
    store is read by the CLI while another process holds an open write transaction, and the rows of
    that transaction appear only when it commits."""
    import subprocess
    import sys
    import textwrap

    from conftest import ROOT

    spec = _lake(tmp_path)
    p = _csv(tmp_path)
    store.connect(spec).close()
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from intel import ingest, store
        con = store.connect({spec!r})
        con.execute("BEGIN TRANSACTION")
        ingest.import_file(con, {str(p)!r}, in_transaction=False)   # written, not committed
        print("written", flush=True)
        sys.stdin.readline()
        con.execute("COMMIT")
        print("committed", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert writer.stdout.readline().strip() == "written"
        r = CliRunner().invoke(main, ["batches", "list", "--db", spec])
        assert r.exit_code == 0 and "no import batches" in r.output, r.output   # no lock error, nothing half-done
        ro = store.connect(spec, read_only=True)
        assert ro.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        ro.close()
        writer.stdin.write("commit\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "committed"
        r = CliRunner().invoke(main, ["batches", "list", "--db", spec])
        assert r.exit_code == 0 and "seizures.csv" in r.output, r.output
        ro = store.connect(spec, read_only=True)
        assert ro.execute("SELECT count(*) FROM events").fetchone()[0] == 16
        ro.close()
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)


def test_failed_import_and_deleted_batch_on_ducklake(tmp_path, monkeypatch):
    """Atomic on DuckLake too: an import that fails after writing leaves no row and no snapshot;
    deleting a batch (one transaction) removes its rows and a new import takes the next id."""
    p = _csv(tmp_path)
    con = store.connect(_lake(tmp_path))
    snap = store.snapshot_id(con)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(ingest, "audit", boom)   # fails after events and quarantine rows were written
        with pytest.raises(RuntimeError):
            ingest.import_file(con, p)
    assert _summary(con) == {"status": [], "events": 0, "quarantine": 0, "batches": [], "audit": []}
    assert store.snapshot_id(con) == snap

    assert ingest.import_file(con, p).batch_id == 1
    out = ingest.delete_batch(con, 1, user="t")
    assert (out["events"], out["quarantine"]) == (16, 1)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT action FROM audit ORDER BY audit_id").fetchall()] == ["import", "batch.delete"]
    r = ingest.import_file(con, p)   # the file may come in again once its batch is gone
    assert not r.already_imported and r.accepted == 15
    assert r.batch_id == 2   # as with a sequence: the deleted batch's id is not drawn again
    assert con.execute("SELECT name, last_id FROM id_counters WHERE name IN ('audit_seq', 'batch_seq') "
                       "ORDER BY 1").fetchall() == [("audit_seq", 3), ("batch_seq", 2)]
    con.close()


def _catalogs():
    """SQLite always; PostgreSQL when $INTEL_TEST_POSTGRES names a server (a libpq connection
    string, e.g. ``dbname=lake host=127.0.0.1 port=55432 user=postgres``; .ci/postgres sets it)."""
    import os

    out = [pytest.param("sqlite", id="sqlite")]
    dsn = os.environ.get("INTEL_TEST_POSTGRES")
    out.append(pytest.param(dsn, id="postgres", marks=pytest.mark.skipif(
        not dsn, reason="set INTEL_TEST_POSTGRES to a libpq connection string of an empty database")))
    return out


@pytest.mark.parametrize("catalog", _catalogs())
def test_two_writers_at_once_never_share_an_id(tmp_path, catalog):
    """Process A imports one file and holds its transaction open; a second process (B, ``intel
    import``) imports another file. Exactly one of the two is refused and rolled back whole, the other lands as batch 1, and
    the refused file lands on a second run as batch 2. On PostgreSQL B commits and A's commit is
    refused ("Transaction conflict": both drew a batch id from the same counter row); on SQLite A's
    open write holds the catalog, so B is refused ("database is locked", told as a plain CLI
    sentence) and A commits once B's process has ended. Before the
    counter rows existed from the start, both commits went through on PostgreSQL with batch 1 and
    the same event ids."""
    import subprocess
    import sys
    import textwrap

    from conftest import ROOT

    from tests.test_lake_processes import pg_database

    # a database of its own on the server: CI gives one DSN for every PostgreSQL test
    spec = _lake(tmp_path) if catalog == "sqlite" else f"ducklake:postgres:{pg_database(catalog)};data={tmp_path / 'data'}"
    a = _csv(tmp_path)
    b = tmp_path / "other.csv"
    b.write_text(a.read_text().replace(",R", ",S").replace("\nR", "\nS"))
    store.connect(spec).close()
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from intel import ingest, store
        con = store.connect({spec!r})
        con.execute("BEGIN TRANSACTION")
        ingest.import_file(con, {str(a)!r}, in_transaction=False)
        print("written", flush=True)
        sys.stdin.readline()
        try:
            con.execute("COMMIT")
            print("committed", flush=True)
        except Exception as e:
            print("refused", type(e).__name__, " ".join(str(e).split()), flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert writer.stdout.readline().strip() == "written"
        # B through the CLI in a process of its own, as an import job would run
        out = subprocess.run([sys.executable, "-m", "intel.cli", "import", str(b), "--db", spec],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
        b_landed = out.returncode == 0
        if b_landed:
            assert "(batch 1)" in out.stdout, out.stdout
        else:
            assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
            assert "another process changed the store at the same moment" in out.stderr, out.stderr
            assert "database is locked" in out.stderr and catalog == "sqlite", out.stderr
        writer.stdin.write("commit\n")
        writer.stdin.flush()
        a_said = writer.stdout.readline().split()
    finally:
        writer.stdin.close()
        writer.wait(timeout=60)
    assert a_said[:2] == (["refused", "TransactionException"] if b_landed else ["committed"]), " ".join(a_said)
    landed, refused = (b, a) if b_landed else (a, b)
    con = store.connect(spec)
    assert con.execute("SELECT batch_id, file_name FROM batches").fetchall() == [(1, landed.name)]
    r = ingest.import_file(con, refused)   # run again: lands after the other
    assert r.batch_id == 2 and not r.already_imported
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (32, 32)
    assert con.execute("SELECT count(*), count(DISTINCT audit_id) FROM audit").fetchone() == (2, 2)
    con.close()


def test_db_option_keeps_a_url_data_location():
    """Issue 18: ``--db`` was a path, so ``ducklake:...;data=s3://bucket/prefix/`` reached the store
    as ``s3:/bucket/prefix`` (a local directory). The option keeps a DuckLake name as text, a file
    as a path, and refuses an unreadable DuckLake name in one sentence (exit 2)."""
    import click
    from click.testing import CliRunner

    from intel.cli.options import db_option

    seen = {}

    @click.command()
    @db_option
    def show(db):
        seen["db"] = db

    spec = "ducklake:postgres:dbname=intel host=db.internal;data=s3://bucket/prefix/"
    assert CliRunner().invoke(show, ["--db", spec]).exit_code == 0
    assert seen["db"] == spec and store.parse_store(seen["db"]).data_path == "s3://bucket/prefix/"
    assert CliRunner().invoke(show, ["--db", "some/dir/intel.duckdb"]).exit_code == 0
    assert seen["db"] == Path("some/dir/intel.duckdb")
    bad = CliRunner().invoke(show, ["--db", "ducklake:oracle:x"])
    assert bad.exit_code == 2 and "is not a DuckLake store" in bad.output
