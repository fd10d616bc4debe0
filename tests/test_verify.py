"""The hash-chained audit log and ``intel verify`` (issue 19).

A small store built by hand (one CSV of five rows, two of them quarantined or rejected, and two
settings changes) verifies clean. Then each kind of damage is made by plain SQL, as someone with
the file would make it, and ``intel verify`` must name it: an audit line changed (its id named),
an audit line deleted (its successor named), a batch row deleted (the orphan events named by
batch and ids), a count changed, a cell removed, a reason removed. The same is done on a DuckLake
store. Migration 4 chains the audit lines of a store made before it.
"""
from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from intel import ingest, settings, store
from intel.cli import main
from intel.verify import verify
from tests.test_build import _fast_build

CSV = ("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
       "A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\n"
       "A2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n"
       "A3,2024-01-07,GHA,0,0,pistol,1\n"            # (0, 0): kept as unlocated, listed in the quarantine
       "A4,2024-01-08,GHA,5.60,-0.19,pistol,1\n"
       "A5,not a date,XXX,95,-0.18,pistol,1\n")     # rejected: no record stored


def _fill(con, tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(CSV)
    r = ingest.import_file(con, p, user="alice")
    settings.put(con, "hotspot_k", 2, user="admin")
    store.audit(con, "note", {"text": "Bogotá", "n": 1}, "bob")
    store.audit(con, "note", {"text": "second"}, "bob")
    return r


@pytest.fixture
def built(tmp_path):
    db = tmp_path / "v.duckdb"
    con = store.connect(db)
    r = _fill(con, tmp_path)
    con.close()
    return db, r


def _run(db):
    return CliRunner().invoke(main, ["verify", "--db", str(db)])


def _problems(db):
    con = store.connect(db, read_only=True)
    try:
        return [f for f in verify(con).findings if not f.ok]
    finally:
        con.close()


def test_audit_lines_are_chained(built):
    db, _ = built
    con = store.connect(db, read_only=True)
    rows = con.execute("SELECT audit_id, logged_at, user_name, action, CAST(detail AS VARCHAR), prev_id, chain_hash "
                       "FROM audit ORDER BY audit_id").fetchall()
    assert len(rows) >= 3
    prev = None
    for aid, at, user, action, detail, prev_id, h in rows:
        assert prev_id == (prev[0] if prev else None)
        assert h == store.audit_hash(prev[6] if prev else None, aid, at, user, action, detail)
        assert len(h) == 64
        prev = (aid, at, user, action, detail, prev_id, h)


def test_clean_store_verifies(built):
    db, _ = built
    res = _run(db)
    assert res.exit_code == 0, res.output
    assert "PROBLEM" not in res.output and "every check passed" in res.output
    assert "audit chain of" in res.output and "unbroken" in res.output


def test_changed_audit_line_is_named(built):
    db, _ = built
    con = duckdb.connect(str(db))
    aid = con.execute("SELECT audit_id FROM audit WHERE action = 'note' ORDER BY audit_id LIMIT 1").fetchone()[0]
    con.execute("UPDATE audit SET detail = '{\"text\": \"Bogota\", \"n\": 1}' WHERE audit_id = ?", [aid])
    con.close()
    res = _run(db)
    assert res.exit_code == 1, res.output
    assert f"the audit chain is broken at line {aid}: it does not match its hash" in res.output
    # only that line: the next one still chains to the stored hash
    assert "lines in all" not in res.output


def test_changed_user_of_an_audit_line_is_named(built):
    db, _ = built
    con = duckdb.connect(str(db))
    aid = con.execute("SELECT min(audit_id) FROM audit").fetchone()[0]
    con.execute("UPDATE audit SET user_name = 'mallory' WHERE audit_id = ?", [aid])
    con.close()
    (f,) = _problems(db)
    assert f.check == "audit" and f"broken at line {aid}:" in f.message


def test_deleted_audit_line_names_its_successor(built):
    db, _ = built
    con = duckdb.connect(str(db))
    ids = [r[0] for r in con.execute("SELECT audit_id FROM audit ORDER BY 1").fetchall()]
    con.execute("DELETE FROM audit WHERE audit_id = ?", [ids[1]])
    con.close()
    (f,) = _problems(db)
    assert f"broken at line {ids[2]}: it points at line {ids[1]}, which is missing" in f.message


def test_deleted_batch_row_names_the_orphan_events(built):
    db, r = built
    con = duckdb.connect(str(db))
    ids = [x[0] for x in con.execute("SELECT event_id FROM events WHERE batch_id = ? ORDER BY 1", [r.batch_id]).fetchall()]
    con.execute("DELETE FROM batches WHERE batch_id = ?", [r.batch_id])
    con.close()
    assert len(ids) == 4   # A1-A4 stored (A3 unlocated); A5 rejected, no record
    res = _run(db)
    assert res.exit_code == 1
    assert (f"4 events belong to batch {r.batch_id}, which has no batch row (orphans; event_id "
            f"{', '.join(map(str, ids))})") in res.output
    assert f"quarantine rows belong to batch {r.batch_id}, which has no batch row" in res.output


def test_counts_cells_and_reasons(built):
    db, r = built
    con = duckdb.connect(str(db))
    con.execute("UPDATE batches SET rows_accepted = rows_accepted + 1 WHERE batch_id = ?", [r.batch_id])
    eid = con.execute("SELECT min(event_id) FROM events WHERE status = 'accepted'").fetchone()[0]
    con.execute("UPDATE events SET h3_cell = NULL WHERE event_id = ?", [eid])
    qid = con.execute("SELECT min(quarantine_id) FROM quarantine").fetchone()[0]
    con.execute("UPDATE quarantine SET reasons = [] WHERE quarantine_id = ?", [qid])
    con.close()
    found = _problems(db)
    msgs = {f.check: f.message for f in found}
    assert set(msgs) == {"batches", "cells", "quarantine"}
    batches = [f.message for f in found if f.check == "batches"]
    assert batches == [f"batch {r.batch_id} (s.csv) says 5 rows read but 4 accepted + 1 quarantined + 1 rejected = 6.",
                       f"batch {r.batch_id} (s.csv) holds 4 records but its counts say 5 (4 accepted + 1 quarantined)."]
    assert f"event_id {eid})" in msgs["cells"]
    assert f"(quarantine_id {qid})" in msgs["quarantine"]


def test_unknown_and_old_schema_versions(built):
    db, _ = built
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (99, now())")
    con.close()
    (f,) = _problems(db)
    assert f.check == "schema" and "99" in f.message and "does not know" in f.message
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM schema_version WHERE version >= ?", [store.SCHEMA_VERSION])
    con.close()
    (f,) = _problems(db)
    assert f.check == "schema" and f"migration(s) {store.SCHEMA_VERSION} are not applied" in f.message


def test_migration_chains_existing_audit_lines(tmp_path):
    """A store audited before migration 4: its lines are chained by the migration and verify."""
    db = tmp_path / "old.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO audit (audit_id, logged_at, user_name, action, detail) VALUES "
                "(nextval('audit_seq'), '2024-01-01 10:00:00', 'a', 'import', '{\"x\": 1}'), "
                "(nextval('audit_seq'), '2024-01-02 11:00:00.5', 'b', 'note', NULL)")
    con.execute("UPDATE audit SET prev_id = NULL, chain_hash = NULL")
    con.execute("ALTER TABLE audit DROP COLUMN chain_hash")
    con.execute("ALTER TABLE audit DROP COLUMN prev_id")
    con.execute("DELETE FROM schema_version WHERE version = 4")
    con.close()
    assert any(f.check == "audit" and "no hash chain" in f.message for f in _problems(db))
    con = store.connect(db)   # migrates
    rows = con.execute("SELECT audit_id, prev_id, chain_hash FROM audit ORDER BY 1").fetchall()
    h1 = store.audit_hash(None, 1, "2024-01-01 10:00:00.000000", "a", "import", '{"x":1}')
    assert rows[0] == (1, None, h1)
    assert rows[1][1] == 1 and rows[1][2] == store.audit_hash(h1, 2, "2024-01-02 11:00:00.500000", "b", "note", None)
    store.audit(con, "after", {})
    con.close()
    assert _problems(db) == []


def test_overlapping_writers_branch_and_verify(tmp_path):
    """Two cursors of one process in overlapping transactions both chain to the line they saw."""
    con = store.connect(tmp_path / "c.duckdb")
    store.audit(con, "first", {})
    a, b = con.cursor(), con.cursor()
    a.execute("BEGIN TRANSACTION")
    b.execute("BEGIN TRANSACTION")
    store.audit(a, "from a", {})
    store.audit(b, "from b", {})
    a.execute("COMMIT")
    b.execute("COMMIT")
    store.audit(con, "last", {})
    prev = dict(con.execute("SELECT action, prev_id FROM audit").fetchall())
    first = con.execute("SELECT audit_id FROM audit WHERE action = 'first'").fetchone()[0]
    assert prev["from a"] == prev["from b"] == first
    assert [f for f in verify(con).findings if not f.ok] == []


def test_ducklake_store_verifies_and_names_a_changed_line(tmp_path):
    lake = f"ducklake:sqlite:{tmp_path / 'lake' / 'c.sqlite'};data={tmp_path / 'lake' / 'data'}"
    con = store.connect(lake)
    _fill(con, tmp_path)
    assert [f for f in verify(con).findings if not f.ok] == []
    aid = con.execute("SELECT max(audit_id) FROM audit").fetchone()[0]
    con.execute("UPDATE audit SET action = 'other' WHERE audit_id = ?", [aid])
    (f,) = [f for f in verify(con).findings if not f.ok]
    assert f"broken at line {aid}:" in f.message
    con.close()
    res = _run(lake)
    assert res.exit_code == 1 and f"broken at line {aid}:" in res.output


def test_damaged_store_is_one_sentence(tmp_path):
    db = tmp_path / "bad.duckdb"
    db.write_bytes(b"\x00garbage" * 1000)
    res = _run(db)
    assert res.exit_code == 2 and res.output.startswith("error: ") and "Traceback" not in res.output


def _log(db):
    con = store.connect(db, read_only=True)
    try:
        return con.execute("SELECT audit_id, action, user_name, prev_id, chain_hash FROM audit ORDER BY 1").fetchall()
    finally:
        con.close()


def test_build_rebuild_and_refresh_keep_the_audit_log(monkeypatch, tmp_path):
    """`intel build` (plain, --rebuild, --refresh) keeps every audit line and the chain verifies
    across builds; the backup of a rebuild keeps it too. (Before: a rebuild started a new log.)"""
    _fast_build(monkeypatch, tmp_path)
    db = tmp_path / "s.duckdb"
    run = lambda *a: CliRunner().invoke(main, ["build", "--db", str(db), *a])  # noqa: E731
    assert run().exit_code == 0
    first = _log(db)
    assert run().exit_code == 0            # a store of only the build's own lines: rebuilt, log kept
    second = _log(db)
    assert second[:len(first)] == first and len(second) > len(first)
    con = store.connect(db)
    store.audit(con, "quality.decide", {"quarantine_id": 1}, "bob")
    con.close()
    before = _log(db)
    r = run("--rebuild")
    assert r.exit_code == 0, r.output
    assert f"audit log: {len(before)} lines kept" in r.output
    after = _log(db)
    assert after[:len(before)] == before                        # same ids, users and hashes
    assert after[len(before)][3] == before[-1][0]               # the build's first line chains on
    (backup,) = tmp_path.glob("s.backup-*.duckdb")
    assert _log(backup) == before
    assert run("--refresh").exit_code == 0
    assert _log(db)[:len(after)] == after
    res = _run(db)
    assert res.exit_code == 0, res.output


def test_reimports_keep_the_batch_counts_right(tmp_path):
    """A re-import moves the records it updates to its batch and leaves unchanged ones where they
    are; verify allows for both (from the import audit lines) and still finds a real gap."""
    db = tmp_path / "r.duckdb"
    con = store.connect(db)
    p = tmp_path / "s.csv"
    p.write_text(CSV)
    r1 = ingest.import_file(con, p, user="alice")
    p.write_text(CSV + "\n")   # the same records again, one extra newline: all unchanged
    r2 = ingest.import_file(con, p, user="alice")
    p.write_text(CSV.replace("pistol,2", "pistol,3"))   # A1 changed: updated, moved to batch 3
    r3 = ingest.import_file(con, p, user="alice")
    assert (r2.unchanged, r3.updated) == (4, 1)
    con.close()
    assert _problems(db) == []
    con = store.connect(db)
    con.execute("DELETE FROM events WHERE batch_id = ? AND source_record_id = 'A2'", [r1.batch_id])
    con.close()
    assert [f.check for f in _problems(db)] == ["batches"]


def test_areas_wider_than_any_map_cell_need_no_cell(tmp_path):
    """The hard case N10b (GeoJSON with polygons of admin-1 size) is accepted with its areas drawn
    over their extent and never binned as points: verify does not call that a missing cell, while a
    point record stripped of its cell still is."""
    from tests.conftest import cases_dir

    case = cases_dir() / "real-world" / "N10b_geojson_mixed_geometries.geojson"
    db = tmp_path / "g.duckdb"
    con = store.connect(db)
    ingest.import_file(con, case)
    assert con.execute("SELECT count(*) FROM events WHERE status = 'accepted' AND latitude IS NOT NULL "
                       "AND h3_cell IS NULL").fetchone()[0] == 2
    con.close()
    assert _problems(db) == []
    con = store.connect(db)
    con.execute("UPDATE events SET h3_cell = NULL WHERE event_id = (SELECT min(event_id) FROM events "
                "WHERE location_precision = 'exact')")
    con.close()
    assert [f.check for f in _problems(db)] == ["cells"]
