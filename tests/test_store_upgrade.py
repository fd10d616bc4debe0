"""Stores built by earlier commits (schema_version 1 with an older migration 1) open and upgrade.

Migration 1 was edited after stores had been built with it (issue 19): commit 31ba6c1 created
``events`` with ``event_id`` as PRIMARY KEY, ``raw``/``attrs`` as JSON and no ``incident_id`` /
``incident_multi``; commit 7585181 with the VARCHAR columns but still without the incident columns.
Their migration 1 is kept verbatim in ``tests/old_schemas``. A store created from it, holding one
hand-written record, must open through :func:`intel.store.connect`, end with the same columns and
types as a new store, keep its record, and take an import and the map and count queries.
"""
from pathlib import Path

import duckdb
import pytest

from intel import hexbin, ingest, store

OLD = Path(__file__).resolve().parent / "old_schemas"
GOOD = ("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
        "A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\n"
        "A2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n")


def _columns(con, table):
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _old_store(path: Path, sql_file: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    con.execute(sql_file.read_text())
    con.execute("INSERT INTO schema_version VALUES (1, now())")
    con.execute("INSERT INTO batches VALUES (nextval('batch_seq'), 'old', 'old.csv', 'abc', NULL, now(), 'alice', 1, 1, 0, 0, "
                "'{}', '[]', NULL)")
    # one record written by the old code: same source and incident key as a later row would share
    cols = [c for c, _ in _columns(con, "events")]
    # numbered as the old importer numbered them (sequences)
    vals = {"event_id": 1, "batch_id": 1, "source": "old", "source_record_id": "O1", "incident_key": "K1",
            "status": "accepted", "kind": "seizure", "event_date": "2023-05-01", "latitude": 5.6,
            "longitude": -0.19, "location_precision": "exact", "country_iso3": "GHA", "category": "firearm",
            "quantity": 1.0, "firearms": 1.0, "raw": '{"a": 1}'}
    con.execute(f"INSERT INTO events ({', '.join(vals)}) VALUES ({', '.join('?' * len(vals))})", list(vals.values()))
    assert len(cols) > 10
    con.close()


@pytest.mark.parametrize("commit", ["31ba6c1", "7585181"])
def test_store_of_an_earlier_commit_opens_and_upgrades(tmp_path, commit):
    db = tmp_path / "old.duckdb"
    _old_store(db, OLD / f"v1_{commit}.sql")
    fresh = store.connect(tmp_path / "new.duckdb")
    con = store.connect(db)   # migrates
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
    for t in ("events", "batches", "quarantine", "audit", "areas", "area_counts"):
        assert _columns(con, t) == _columns(fresh, t), t
    # the old record is kept, with its incident columns filled as refresh_incidents would
    row = con.execute("SELECT source_record_id, raw, incident_id = hash(source, incident_key), incident_multi "
                      "FROM events WHERE event_id = 1").fetchone()
    assert row == ("O1", '{"a": 1}', True, False)
    p = tmp_path / "a.csv"
    p.write_text(GOOD)
    r = ingest.import_file(con, p, dedup=False)
    assert (r.accepted, r.batch_id) == (2, 2)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    agg = hexbin.aggregate(con, 7, hexbin.Filters())
    assert agg["records"].sum() == 2   # the new rows (the hand-written old one has no cell)
    assert con.execute(f"SELECT {store.events_sql()} FROM events").fetchone()[0] == 3
    con.close()
    # opening again applies nothing more and changes nothing
    con = store.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 3
    con.close()


def test_every_migration_is_numbered_in_order():
    versions = [v for v, _ in store.MIGRATIONS]
    # strictly increasing from 1 (migration 5, the audit chain, was numbered while 4 was being
    # written in parallel; once both are merged the list is 1..n again)
    assert versions[0] == 1 and all(a < b for a, b in zip(versions, versions[1:]))
    assert store.SCHEMA_VERSION == versions[-1]
