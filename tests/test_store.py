"""Store: migrations, parent arithmetic in SQL (intel.h3cells), transactions."""
import duckdb
import h3
import numpy as np
import pytest

from intel import config, h3cells, hexbin, store


def test_migrate_is_idempotent(tmp_path):
    db = tmp_path / "s.duckdb"
    con = store.connect(db)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
    con.close()
    con = store.connect(db)  # second open applies nothing new
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(store.MIGRATIONS)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"events", "batches", "quarantine", "countries", "admin1", "crossings", "flows", "country_stats", "audit"} <= tables


def test_read_only_refuses_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        store.connect(tmp_path / "missing.duckdb", read_only=True)


def test_spatial_extension_is_offline():
    con = store.connect(":memory:", spatial=True)
    # ST_Distance_Sphere takes (lat, lon) points: one degree of latitude is about 111.19 km
    d = con.execute("SELECT ST_Distance_Sphere(ST_Point(43.0, -79.0), ST_Point(44.0, -79.0))").fetchone()[0]
    assert abs(d / 1000 - 111.19) < 0.01


@pytest.mark.parametrize("res", range(0, config.FINE_RES + 1))
def test_parent_sql_equals_h3_cell_to_parent(res):
    """Every resolution, two ways: SQL bit arithmetic and h3-py's cell_to_parent."""
    rng = np.random.default_rng(res)
    lat = rng.uniform(-80, 80, 300)
    lon = rng.uniform(-180, 180, 300)
    cells = hexbin.bin_points(lat, lon, config.FINE_RES)
    con = duckdb.connect()
    con.register("t", {"c": cells})
    got = [int(r[0]) for r in con.execute(f"SELECT {h3cells.parent_sql('c', res)} FROM t").fetchall()]
    want = [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), res)) for c in cells]
    assert got == want
    assert list(h3cells.parent(cells, res)) == want


def test_transaction_rolls_back(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    with pytest.raises(RuntimeError):
        with store.transaction(con):
            store.audit(con, "x", {})
            raise RuntimeError("boom")
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == 0


def test_fast_event_count_equals_distinct_incidents(tmp_path):
    """EVENTS_SQL (count of single-row incidents + distinct multi-row ones) is exact, refreshed or not."""
    con = store.connect(tmp_path / "e.duckdb")
    rows = [(1, "a", "K1"), (2, "a", "K1"), (3, "a", "K2"), (4, "b", "K1"), (5, "b", "K3"), (6, "b", "K3"), (7, "b", "K4")]
    for eid, src, key in rows:
        con.execute("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind) VALUES (?, 1, ?, ?, 'accepted', 'seizure')",
                    [eid, src, key])
    q = f"SELECT {store.EVENTS_SQL.format(a='')} FROM events"
    # incidents: a/K1, a/K2, b/K1, b/K3, b/K4 -> 5 (the same key in two sources is two incidents)
    assert con.execute(q).fetchone()[0] == 5
    store.refresh_incidents(con)
    assert con.execute("SELECT count(*) FROM events WHERE incident_multi").fetchone()[0] == 4
    assert con.execute(q).fetchone()[0] == 5
    assert con.execute(q + " WHERE event_id IN (1, 3, 5, 7)").fetchone()[0] == 4


def test_events_count_incidents_per_source(tmp_path):
    """Two agencies both numbering their records 1 and 2 at the same place: four incidents, not
    two, in every analysis that counts events (hand-computed)."""
    from intel import borders, hexbin, hotspots, ingest, mapping, risk, trends

    con = store.connect(tmp_path / "k.duckdb")
    for src, lon in (("agency_a", -79.3832), ("agency_b", -79.3831)):
        p = tmp_path / f"{src}.csv"
        p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type\n"
                     f"1,2024-01-05,CAN,43.6532,{lon},pistol\n"
                     f"2,2024-01-20,CAN,43.6532,{lon},rifle\n")
        ingest.import_file(con, p, {"name": None, "source": src, "kind": "seizure", "seizing_agency": src,
                                    "columns": mapping.suggest_mapping(["record_id", "seizure_date", "country", "latitude",
                                                                       "longitude", "firearm_type"])},
                           dedup=False)
    assert int(hexbin.aggregate(con, 7)["events"].sum()) == 4
    assert hotspots.cell_values(con, 7)["value"].sum() == 4
    assert int(trends.series(con, "month")["events"].sum()) == 4
    assert risk.area_records(con, 7)["incident_key"].nunique() == 4
    assert borders.border_events(con)["incident"].nunique() == 4
