"""Registers located to a municipality, a province or counted per area (issue 15): per-record
uncertainty through the import path, dates recovered from weekday and row order, counts per
area and month. Hand-built registers with hand-computed answers, then the real build."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from intel import areas, h3cells, hexbin, ingest, store
from intel.daterecover import recover_dates_from_weekday
from intel.ingest import import_file, place_code


# ------------------------------------------------------------------ helpers

def _gazetteer(tmp_path, monkeypatch, name, rows):
    """A gazetteer CSV under a temporary data folder (the profile names it relative to it)."""
    (tmp_path / "gazetteers").mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(tmp_path / "gazetteers" / name, index=False)
    monkeypatch.setattr(ingest, "DATA_DIR", tmp_path)
    monkeypatch.setattr(areas, "DATA_DIR", tmp_path)


MUNI_PROFILE = {
    "name": "t_muni", "source": "t_muni", "kind": "seizure",
    "columns": {"event_date": "FECHA", "place": "CODIGO", "quantity": "CANTIDAD"},
    "place_code": {"digits": True, "drop_trailing": 3, "zfill": 5},
    "gazetteer": "gazetteers/muni.csv",
    "date_recovery": {"weekday": "DIA", "format": "%d/%m/%Y", "language": "es", "period": ["2019-01-01", "2019-01-08"]},
    "constants": {"country": "COL", "category": "firearm"},
}
MUNI_GAZ = [
    # A: 0.3 km radius (usable at res 7, edge 1.41 km; not at res 8, edge 0.53 km); B: 12.7 km
    dict(place="05001", location_name="A", admin1="X", latitude=6.25, longitude=-75.60,
         location_precision="municipality", place_type="municipality", uncertainty_km=0.3),
    dict(place="05002", location_name="B", admin1="X", latitude=5.80, longitude=-75.43,
         location_precision="municipality", place_type="municipality", uncertainty_km=12.7),
]


def test_place_code_divipola():
    assert place_code("5,002,000", {"drop_trailing": 3, "zfill": 5}) == "05002"
    assert place_code("76,364,000", {"drop_trailing": 3, "zfill": 5}) == "76364"
    assert place_code("", {"drop_trailing": 3}) is None and place_code(None, {}) is None


def test_weekday_recovery_hand_built():
    # 2019-01-01 is a Tuesday. Rows in date order; the dates of days 2, 4-7 are lost.
    fecha = ["01/01/2019", "01/01/2019", "", "03/01/2019", "", "", "", ""]
    dia = ["Martes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo", "Lunes"]
    r = recover_dates_from_weekday(pd.Series(fecha), pd.Series(dia), fmt="%d/%m/%Y", period=("2019-01-01", "2019-01-08"))
    got = [d.date().isoformat() for d in r.dates]
    assert got == ["2019-01-01", "2019-01-01", "2019-01-02", "2019-01-03", "2019-01-04", "2019-01-05",
                   "2019-01-06", "2019-01-07"]
    assert list(r.precision) == ["day", "day", "day-derived", "day", "day-derived", "day-derived", "day-derived",
                                 "day-derived"]
    assert (r.recorded, r.derived, r.not_recovered) == (3, 5, 0)
    # without the period, the runs after the last recorded date cannot be pinned: not recovered
    r = recover_dates_from_weekday(pd.Series(fecha), pd.Series(dia), fmt="%d/%m/%Y")
    assert r.derived == 1 and r.not_recovered == 4
    assert list(r.reasons[4]) == ["DATE_NOT_RECOVERED"]
    # a gap of a week between anchors (Tue 1st ... Tue 8th would look like one run): the chain
    # from the 1st (Wed 2nd) misses the anchor of Thu 10th, so the Wednesday is not recovered
    r = recover_dates_from_weekday(pd.Series(["01/01/2019", "", "10/01/2019"]), pd.Series(["Martes", "Miércoles", "Jueves"]),
                                   fmt="%d/%m/%Y")
    assert r.not_recovered == 1 and pd.isna(r.dates[1])
    # a recorded date on the wrong weekday is not trusted
    r = recover_dates_from_weekday(pd.Series(["02/01/2019"]), pd.Series(["Martes"]), fmt="%d/%m/%Y")
    assert list(r.reasons[0]) == ["DATE_WEEKDAY_CONFLICT"] and pd.isna(r.dates[0])


def test_municipality_register_through_import(tmp_path, monkeypatch):
    _gazetteer(tmp_path, monkeypatch, "muni.csv", MUNI_GAZ)
    f = tmp_path / "muni.csv"
    f.write_text("FECHA,CODIGO,DIA,CANTIDAD\n"
                 '01/01/2019,"5,001,000",Martes,1\n'
                 ',"5,002,000",Miércoles,2\n'
                 '03/01/2019,"5,001,000",Jueves,1\n'
                 ',"9,999,000",Jueves,1\n'
                 ',,,"5"\n', encoding="utf-8")
    con = store.connect(":memory:")
    r = import_file(con, f, dict(MUNI_PROFILE), user="t")
    # 5 lines: 3 accepted, 1 unknown place (unlocated, quarantined), 1 total line rejected
    assert (r.rows_read, r.accepted, r.quarantined, r.rejected) == (5, 3, 1, 1)
    ev = con.execute("""SELECT row_number, location_name, event_date::VARCHAR, date_precision, uncertainty_km,
                               list_contains(flags, 'DATE_DERIVED') FROM events ORDER BY row_number""").fetchall()
    assert ev[0] == (2, "A", "2019-01-01", "day", 0.3, False)
    assert ev[1] == (3, "B", "2019-01-02", "day-derived", 12.7, True)
    assert ev[3][1:5] == ("09999", "2019-01-03", "day-derived", None)   # the place is unknown, the date is not
    q = dict(con.execute("SELECT row_number, reasons FROM quarantine").fetchall())
    assert q == {5: ["DATE_DERIVED", "PLACE_UNKNOWN"], 6: ["TOTAL_ROW"]}
    assert json.loads(con.execute("SELECT raw FROM quarantine WHERE row_number = 6").fetchone()[0])["CANTIDAD"] == "5"
    # resolution 7 (edge 1.41 km): A's two records binned, B (12.7 km) left out
    agg = hexbin.aggregate(con, 7)
    assert agg["records"].sum() == 2 and len(agg) == 1
    lo = hexbin.left_out(con, 7)
    assert lo[["location_name", "records"]].values.tolist() == [["B", 1]]
    assert lo["uncertainty_km"].iloc[0] == 12.7 and "12.7 km" in lo["reason"].iloc[0]
    # resolution 8 (edge 0.53 km): A (0.3 km) still binned; resolution 4 (edge 26 km): all three
    assert hexbin.aggregate(con, 8)["records"].sum() == 2
    assert hexbin.aggregate(con, 4)["records"].sum() == 3 and hexbin.left_out(con, 4).empty
    # the class radius of 'municipality' (20 km) would have left A out at resolution 7
    assert "municipality" not in hexbin.usable_precisions(7)
    from intel.hotspots import record_accounting

    acc = record_accounting(con, 7)
    assert acc["usable_records"] == 2 and acc["coarse_records"] == 1


def test_per_record_radius_wins_over_class_and_falls_back(tmp_path):
    con = store.connect(":memory:")
    rows = [  # id, precision, own radius (km) -> usable at res 5 (edge 9.85 km)?
        (1, "town", None),      # class 5 km: usable
        (2, "town", 300.0),     # a CBP area of responsibility: left out
        (3, "admin-1", 6.0),    # a small province: usable despite the 100 km class
        (4, "weird", None),     # unknown kind: left out (as before)
    ]
    for i, p, u in rows:
        con.execute("""INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, latitude, longitude,
                       location_precision, uncertainty_km, h3_cell, firearms)
                       VALUES (?, 1, 's', ?, 'accepted', 'seizure', 10.0, 10.0, ?, ?, ?, 1)""",
                    [i, str(i), p, u, int(hexbin.bin_points(np.array([10.0]), np.array([10.0]), 9)[0])])
    assert hexbin.aggregate(con, 5)["records"].sum() == 2
    assert sorted(hexbin.left_out(con, 5)["location_precision"]) == ["town", "weird"]
    m = hexbin.usable_mask(5, [p for _, p, _ in rows], [u for *_, u in rows])
    assert m.tolist() == [True, False, True, False]
    assert hexbin.finest_usable_resolution(12.7) == 4 and hexbin.finest_usable_resolution(2000) is None


PROV_GAZ = [
    dict(place="P1", location_name="P1", admin1="Prov 1", latitude=-1.0, longitude=-79.0, location_precision="admin-1",
         place_type="province", uncertainty_km=math.sqrt(10000 / math.pi)),   # 10,000 km2 -> 56.4 km
    dict(place="SEA", location_name="Sea", admin1="", latitude="", longitude="", location_precision="",
         place_type="territorial sea", uncertainty_km=""),
]


def test_province_register_through_import(tmp_path, monkeypatch):
    _gazetteer(tmp_path, monkeypatch, "prov.csv", PROV_GAZ)
    f = tmp_path / "prov.csv"
    f.write_text("fecha;prov;tipo\n1/1/2023;P1;PISTOLAS\n31/1/2023;P1;REVÓLVERES\n2/1/2023;SEA;PISTOLAS\n", encoding="utf-8")
    prof = {"name": "t_prov", "source": "t_prov", "kind": "seizure", "date_order": "dayfirst",
            "columns": {"event_date": "fecha", "place": "prov", "firearm_type": "tipo"},
            "gazetteer": "gazetteers/prov.csv", "constants": {"country": "ECU"}}
    con = store.connect(":memory:")
    r = import_file(con, f, prof, user="t")
    assert (r.accepted, r.quarantined) == (2, 1)
    u = con.execute("SELECT DISTINCT round(uncertainty_km, 2), admin1 FROM events WHERE status = 'accepted'").fetchall()
    assert u == [(56.42, "Prov 1")]
    # the territorial sea is a real seizure without a place: unlocated, counted by country, never binned
    assert con.execute("SELECT status, location_precision, uncertainty_km FROM events WHERE row_number = 4").fetchone() \
        == ("unlocated", "country", None)
    # 56.4 km: usable at resolution 3 (edge 69 km), left out at 4 (edge 26 km)
    assert hexbin.aggregate(con, 3)["records"].sum() == 2
    assert hexbin.aggregate(con, 4).empty and hexbin.left_out(con, 4)["records"].sum() == 2


def test_area_counts_through_import(tmp_path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import box

    src = tmp_path / "sources"
    src.mkdir()
    monkeypatch.setattr(areas, "DATA_DIR", tmp_path)
    # two square areas of 0.1 x 0.1 degrees at the equator; area 3 is counted but has no polygon
    gpd.GeoDataFrame({"area_id": ["1", "2"]}, geometry=[box(0, 0, 0.1, 0.1), box(0.1, 0, 0.2, 0.1)],
                     crs="EPSG:4326").to_file(src / "a.geojson", driver="GeoJSON")
    (src / "km.csv").write_text("id;km2\n1;100,0\n", encoding="utf-8")   # stated for area 1 only
    f = tmp_path / "c.csv"
    f.write_text("id;mes;ano;guns;ammo\n"
                 "1;1;2024;3;\n2;1;2024;1;10\n3;1;2024;2;\n"     # January: ammunition not recorded for 1 and 3
                 "1;2;2024;0;0\n2;2;2024;4;0\n3;2;2024;0;0\n"    # February: recorded zeros are zeros
                 "1;3;2024;0;0\n2;3;2024;0;0\n3;3;2024;0;0\n"    # March: all zero at the end: placeholder
                 "x;13;2024;1;1\n", encoding="utf-8")           # unreadable month: quarantined
    prof = {"name": "t_area", "source": "t_area", "kind": "area counts",
            "area_counts": {"id": "id", "year": "ano", "month": "mes", "placeholder": "trailing_zero_months"},
            "areas": {"kind": "precinct", "polygons": "sources/a.geojson", "name_prefix": "A",
                      "area_km2": {"file": "sources/km.csv", "sep": ";", "id": "id", "column": "km2"}}}
    con = store.connect(":memory:")
    r = import_file(con, f, prof, user="t")
    assert (r.rows_read, r.accepted, r.quarantined) == (10, 9, 1)
    assert import_file(con, f, prof, user="t").already_imported
    st = dict(con.execute("SELECT status, count(*) FROM area_counts GROUP BY 1").fetchall())
    assert st == {"recorded": 10, "not recorded": 2, "placeholder": 6}
    assert con.execute("SELECT count(*) FROM area_counts WHERE status <> 'recorded' AND value IS NOT NULL").fetchone()[0] == 0
    a = con.execute("SELECT area_id, area_km2, radius_km, geom_wkb IS NULL FROM areas ORDER BY area_id").fetchall()
    assert a[0][:3] == ("1", 100.0, pytest.approx(math.sqrt(100 / math.pi)))
    # area 2: geodesic area of a 0.1-degree square at the equator, about 11.06 x 11.06 km
    assert a[1][1] == pytest.approx(123.2, rel=0.01) and a[2][3] is True
    t = areas.area_totals(con, "t_area", "guns").set_index("area_id")
    assert t.loc["2", "value"] == 5 and t.loc["1", "value"] == 3 and t.loc["3", "value"] == 2
    assert t.loc["1", "months_recorded"] == 2 and t.loc["1", "months_missing"] == 1
    t = areas.area_totals(con, "t_area", "ammo", "2024-01-01", "2024-02-01").set_index("area_id")
    assert pd.isna(t.loc["1", "value"]) and t.loc["2", "value"] == 10
    g = areas.area_polygons(con, "t_area", "guns")
    assert sorted(g["area_id"]) == ["1", "2"] and g.attrs["no_polygon"]["area_id"].tolist() == ["3"]
    assert con.execute("SELECT reasons FROM quarantine").fetchone()[0] == ["AREA_MISSING", "MONTH_INVALID"] or \
        con.execute("SELECT reasons FROM quarantine").fetchone()[0] == ["MONTH_INVALID"]


def test_bundled_gazetteers_reproduce():
    from intel.config import GAZETTEERS_DIR
    from intel.gazetteers import ECUADOR_SOURCE, ecuador_province_gazetteer

    e = pd.read_csv(ECUADOR_SOURCE, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    built = ecuador_province_gazetteer(e["nombre_provincia"].str.strip())
    saved = pd.read_csv(GAZETTEERS_DIR / "ecuador_provinces.csv", dtype=str, keep_default_na=False)
    assert built["place"].tolist() == saved["place"].tolist()
    assert np.allclose(built["uncertainty_km"].astype(float).fillna(-1), pd.to_numeric(saved["uncertainty_km"]).fillna(-1))
    cbp = pd.read_csv(GAZETTEERS_DIR / "cbp_areas_of_responsibility.csv", dtype=str, keep_default_na=False)
    km = pd.to_numeric(cbp["uncertainty_km"], errors="coerce")
    assert km.notna().sum() == 40 and km.min() > 50 and km.max() < 500   # extent, not 5 km


# ------------------------------------------------------------------ real data

def test_real_store_latam_registers(real_store):
    con = store.connect(real_store, read_only=True)
    got = dict(((s, st), n) for s, st, n in con.execute(
        "SELECT source, status, count(*) FROM events GROUP BY 1, 2").fetchall())
    # Colombia: 5,672 records (the source's 5,673 lines minus the total line, rejected as TOTAL_ROW)
    assert got[("colombia_policia_incautaciones", "accepted")] == 5672
    col = con.execute("""SELECT sum(firearms), count(*) FILTER (WHERE date_precision = 'day-derived'),
                                count(DISTINCT event_date), min(event_date)::VARCHAR, max(event_date)::VARCHAR,
                                count(*) FILTER (WHERE attrs->>'ZONA' = 'URBANA'), min(uncertainty_km)
                         FROM events WHERE source = 'colombia_policia_incautaciones'""").fetchone()
    # 6,209 firearms; 3,542 lost dates recovered; 90 days of Q1 2019; DIJIN: 3,972 urban
    assert col[:6] == (6209, 3542, 90, "2019-01-01", "2019-03-31", 3972) and col[6] > 0
    border = dict(con.execute("""SELECT location_name, sum(firearms) FROM events WHERE source = 'colombia_policia_incautaciones'
                                 AND location_name IN ('MAICAO', 'SAN JOSÉ DE CÚCUTA', 'SAN ANDRÉS DE TUMACO') GROUP BY 1""").fetchall())
    assert border == {"MAICAO": 101, "SAN JOSÉ DE CÚCUTA": 97, "SAN ANDRÉS DE TUMACO": 60}
    # Ecuador: 9,237 weapons, 64 in the territorial sea (unlocated)
    assert got[("ecuador_mdi_armas_ilicitas", "accepted")] == 9237 - 64
    assert got[("ecuador_mdi_armas_ilicitas", "unlocated")] == 64
    # Rio: 29,736 precinct-months x 37 measures; 143,109 firearms to 2024-08; 2024-09..12 placeholders
    r = con.execute("""SELECT sum(value), count(*) FILTER (WHERE status = 'placeholder'), count(DISTINCT area_id)
                       FROM area_counts WHERE measure = 'arma_fogo_total'""").fetchone()
    assert r == (143109, 4 * 137, 138)
    assert con.execute("SELECT count(*) FROM area_counts").fetchone()[0] == 29736 * 37
    assert con.execute("SELECT count(*), count(geom_wkb) FROM areas").fetchone() == (138, 137)
    # every input row in the store or the quarantine
    b = con.execute("SELECT sum(rows_read), sum(rows_accepted + rows_quarantined + rows_rejected) FROM batches").fetchone()
    assert b[0] == b[1] == 6295 + 22559 + 5673 + 9237 + 29736
    # CBP: the extent of the area of responsibility, not 5 km. At resolution 3 (edge 69 km) only
    # the two Puerto Rico areas (53.5 km) are binned; at resolution 4 (edge 26 km) none
    f = hexbin.Filters(sources=("cbp_weapons_seizures",))
    pr = con.execute("""SELECT count(*) FROM events WHERE source = 'cbp_weapons_seizures' AND status = 'accepted'
                        AND location_name IN ('San Juan Field Office', 'Ramey Sector')""").fetchone()[0]
    assert pr > 0 and hexbin.aggregate(con, 3, f)["records"].sum() == pr
    assert hexbin.left_out(con, 3, f)["records"].sum() == 22558 - pr
    assert hexbin.aggregate(con, 4, f).empty and hexbin.left_out(con, 4, f)["records"].sum() == 22558
    # Colombian municipalities: binned where their own radius fits (resolution 4: up to 26 km)
    lo = hexbin.left_out(con, 4, hexbin.Filters(sources=("colombia_policia_incautaciones",)))
    assert (lo["uncertainty_km"] > h3cells.edge_km(4)).all()
    n4 = con.execute("""SELECT count(*) FROM events WHERE source = 'colombia_policia_incautaciones'
                        AND uncertainty_km <= ?""", [h3cells.edge_km(4)]).fetchone()[0]
    assert hexbin.aggregate(con, 4, hexbin.Filters(sources=("colombia_policia_incautaciones",)))["records"].sum() == n4
    assert lo["records"].sum() == 5672 - n4
    con.close()


@pytest.mark.slow
def test_build_twice_same_counts(tmp_path):
    from intel.reference import build, table_counts

    db = tmp_path / "twice.duckdb"
    build(db, progress=lambda m: None)
    con = store.connect(db, read_only=True)
    first = table_counts(con)
    con.close()
    build(db, progress=lambda m: None)
    con = store.connect(db, read_only=True)
    assert table_counts(con) == first
    assert first["area_counts"] == 29736 * 37 and first["areas"] == 138
    con.close()
