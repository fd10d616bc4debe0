"""Borders: hand-built borders with distances known by hand, the +-180 clip rule, stable ids,
snapping, bypass ranking and border ranking on hand-built stores, the CLI end to end.

Reference figures (WGS84): one degree of longitude along the equator is a*pi/180 =
111.3195 km; one degree of latitude near the equator is 110.574 km (meridian arc).
"""
from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from intel import borders, store

DEG_LON_EQ = 111.3195  # km, WGS84 equator
DEG_LAT_EQ = 110.574   # km, meridian arc from 0 to 1 degree


def _countries(*rows):
    return gpd.GeoDataFrame({"iso3": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs="EPSG:4326")


@pytest.fixture(scope="module")
def squares():
    """AAA west of lon 0, BBB east of it, sharing the meridian from lat -1 to 1 (221.15 km)."""
    return borders.segments_from_countries(_countries(("AAA", box(-1, -1, 0, 1)), ("BBB", box(0, -1, 1, 1))))


# ------------------------------------------------------------------------------ hand-built borders
def test_squares_segments(squares):
    s = squares.segments
    assert list(s["pair"].unique()) == ["AAA-BBB"]
    assert s["length_km"].sum() == pytest.approx(2 * DEG_LAT_EQ, rel=1e-3)
    assert len(s) == 4  # round(221.15 / 50)
    assert list(s["segment_id"]) == ["AAA-BBB-0001", "AAA-BBB-0002", "AAA-BBB-0003", "AAA-BBB-0004"]
    assert s["length_km"].between(54, 57).all()
    # oriented south to north, the stretches follow each other
    c = shapely.get_coordinates(s.geometry.iloc[0])
    assert c[0, 1] == pytest.approx(-1) and np.allclose(c[:, 0], 0)


def test_squares_distances_known_by_hand(squares):
    lat = np.array([0.0, 0.0, 0.0, 1.5, np.nan, 0.0])
    lon = np.array([1.0, -0.5, 0.0, 0.0, 0.0, 0.25])
    r = borders.border_distance(lat, lon, index=squares)
    assert len(r) == 6 and list(r.columns) == ["border_km", "border_pair", "border_segment"]
    assert r.border_km[0] == pytest.approx(DEG_LON_EQ, abs=0.01)        # 1 degree east on the equator
    assert r.border_km[1] == pytest.approx(DEG_LON_EQ / 2, abs=0.01)    # half a degree west
    assert r.border_km[2] == pytest.approx(0.0, abs=1e-6)               # on the border
    assert r.border_km[3] == pytest.approx(55.29, abs=0.05)             # 0.5 degree north of the end (1, 0)
    assert np.isnan(r.border_km[4]) and r.border_pair[4] is None and r.border_segment[4] is None
    assert r.border_km[5] == pytest.approx(DEG_LON_EQ / 4, abs=0.01)
    assert (r.border_pair.dropna() == "AAA-BBB").all()
    # the equator is the boundary between stretches 2 and 3 (each 55.29 km from -1 to 1)
    assert r.border_segment[0] in ("AAA-BBB-0002", "AAA-BBB-0003")
    assert borders.border_distance([0.9], [0.1], index=squares).border_segment[0] == "AAA-BBB-0004"


def test_input_checks(squares):
    with pytest.raises(ValueError):
        borders.border_distance([0, 1], [0], index=squares)
    with pytest.raises(ValueError):
        borders.border_distance([95.0], [0.0], index=squares)
    empty = borders.border_distance(np.array([]), np.array([]), index=squares)
    assert len(empty) == 0


def test_clip_line_at_180_is_not_a_border():
    # two countries each side of the antimeridian: in lon-lat they do not even touch
    idx = borders.segments_from_countries(_countries(("AAA", box(179, 0, 180, 1)), ("BBB", box(-180, 0, -179, 1))))
    assert idx.segments.empty
    assert np.isnan(borders.border_distance([0.5], [179.5], index=idx).border_km[0])
    # a degenerate shared edge lying on lon = 180 is dropped; a real edge reaching 180 is kept
    idx = borders.segments_from_countries(_countries(
        ("AAA", box(179, 0, 180, 1)), ("BBB", Polygon([(180, 0), (180, 1), (179.5, 0.5)]))))
    assert idx.segments.empty
    idx = borders.segments_from_countries(_countries(("AAA", box(170, 0, 180, 1)), ("BBB", box(170, 1, 180, 2))))
    assert len(idx.segments) and idx.segments["length_km"].sum() == pytest.approx(10 * DEG_LON_EQ * np.cos(np.radians(1)), rel=2e-3)


def test_stable_ids_do_not_depend_on_row_order():
    rows = [("AAA", box(-1, -1, 0, 1)), ("BBB", box(0, -1, 1, 1)), ("CCC", box(-1, 1, 1, 2))]
    a = borders.segments_from_countries(_countries(*rows)).segments
    b = borders.segments_from_countries(_countries(*rows[::-1])).segments
    assert list(a["segment_id"]) == list(b["segment_id"])
    assert all(x.equals(y) for x, y in zip(a.geometry, b.geometry))
    assert set(a["pair"]) == {"AAA-BBB", "AAA-CCC", "BBB-CCC"}


# ------------------------------------------------------------------------------ real borders
@pytest.fixture(scope="module")
def world():
    return borders.world_index()


def test_real_segments(world):
    s = borders.border_segments()
    assert s["segment_id"].is_unique
    assert s["segment_id"].str.fullmatch(r"[A-Z]{3}-[A-Z]{3}-\d{4}").all()
    assert (s["iso3_a"] < s["iso3_b"]).all()
    assert s.crs.to_epsg() == 4326
    mexusa = s[s["pair"] == "MEX-USA"]
    assert 2400 < mexusa["length_km"].sum() < 3200 and mexusa["length_km"].between(40, 60).all()
    assert "CAN-USA" in set(s["pair"]) and "BFA-MLI" in set(s["pair"]) and "SRB-XKX" in set(s["pair"])
    # no edge of any stretch lies on the +-180 clip line
    for g in s.geometry:
        c = shapely.get_coordinates(g)
        on = np.abs(np.abs(c[:, 0]) - 180) < 1e-7
        assert not (on[:-1] & on[1:]).any()


def test_real_places(world):
    names = ["El Paso", "San Diego", "Detroit", "Kansas City"]
    lat = np.array([31.7619, 32.7157, 42.3314, 39.0997])
    lon = np.array([-106.4850, -117.1611, -83.0458, -94.5786])
    r = borders.border_distance(lat, lon)
    assert r.border_km[0] < 2 and r.border_pair[0] == "MEX-USA"
    assert 15 < r.border_km[1] < 30 and r.border_pair[1] == "MEX-USA"
    assert r.border_km[2] < 2 and r.border_pair[2] == "CAN-USA"
    assert r.border_km[3] > 900, names


def test_real_distance_matches_brute_force(world):
    """The KD-tree answer agrees with a brute-force WGS84 minimum over a 50 m densification."""
    from pyproj import Geod

    from intel.borders.segments import _densify

    geod = Geod(ellps="WGS84")
    s = world.segments[world.segments["pair"] == "MEX-USA"]
    V = np.vstack([_densify(np.asarray(g.coords), 0.05)[0] for g in s.geometry])
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(30, 33, 25), rng.uniform(-112, -106, 25)
    r = borders.border_distance(lat, lon)
    for i in range(25):
        if r.border_pair[i] != "MEX-USA":
            continue
        _, _, d = geod.inv(np.full(len(V), lon[i]), np.full(len(V), lat[i]), V[:, 0], V[:, 1])
        assert r.border_km[i] == pytest.approx(d.min() / 1000, abs=0.01)


# ------------------------------------------------------------------------------ crossings and snapping
def test_snap_hand_built(squares):
    df = pd.DataFrame({"name": ["near", "far", "nowhere"], "country_iso3": ["AAA", "AAA", None],
                       "latitude": [0.0, 0.0, np.nan], "longitude": [-0.05, -0.5, 0.0]})
    s = borders.snap_crossings(df, index=squares, far_km=10)
    assert s.snap_km[0] == pytest.approx(DEG_LON_EQ * 0.05, abs=0.01)
    assert s.snapped_longitude[0] == pytest.approx(0, abs=1e-9) and s.snapped_latitude[0] == pytest.approx(0, abs=1e-6)
    assert s.latitude[0] == 0.0 and s.longitude[0] == -0.05  # not moved
    assert s.other_iso3[0] == "BBB" and s.snap_pair[0] == "AAA-BBB"
    assert not s.far_from_border[0] and s.far_from_border[1] and s.far_from_border[2]
    assert s.snap_km[1] == pytest.approx(DEG_LON_EQ / 2, abs=0.01)
    assert np.isnan(s.snap_km[2])


def test_unlocode_snapping_flags_wrong_positions(world):
    u = borders.read_unlocode()
    assert len(u) == 213 and u["country_iso3"].notna().all()
    s = borders.snap_crossings(u)
    ysidro = s[s["name"].str.contains("San Ysidro")]
    assert len(ysidro) == 1 and bool(ysidro["far_from_border"].iloc[0]) and ysidro["snap_km"].iloc[0] > 50
    assert ysidro["snap_pair"].iloc[0] == "MEX-USA"  # snapped to its own country's border
    assert (s["far_from_border"] == ~(s["snap_km"] <= borders.FAR_KM)).all()
    assert s["far_from_border"].sum() < len(s) / 2


def test_load_crossings(tmp_path, world):
    con = store.connect(tmp_path / "t.duckdb")
    r = borders.load_crossings(con)
    assert r.inserted == 213 and r.far_from_border > 0 and "flagged" in str(r)
    csv = tmp_path / "x.csv"
    csv.write_text("name,country_pair,latitude,longitude,type\n"
                   "Ciudad Juarez - El Paso,MX-US,31.7500,-106.4870,road\n"
                   "Broken,MEX-USA,,,road\n"
                   "Lake,USA-CAN,45.0,-100.0,road\n")
    r = borders.load_crossings(con, csv, source="analyst")
    assert (r.read, r.inserted, r.skipped, r.far_from_border) == (3, 2, 1, 1)
    row = con.execute("SELECT country_iso3, other_iso3, crossing_type FROM crossings WHERE name = ?",
                      ["Ciudad Juarez - El Paso"]).fetchone()
    assert row == ("MEX", "USA", "road")
    gj = tmp_path / "x.geojson"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-117.0297, 32.5422]},
         "properties": {"name": "San Ysidro (corrected)", "country_pair": "USA-MEX", "type": "road"}}]}))
    r = borders.load_crossings(con, gj, source="analyst")
    assert r.inserted == 1 and r.far_from_border == 0
    borders.load_crossings(con, gj, source="analyst")  # re-import replaces, no duplicate
    assert con.execute("SELECT count(*) FROM crossings WHERE source = 'analyst'").fetchone()[0] == 3
    (tmp_path / "x.txt").write_text("a")
    with pytest.raises(ValueError):
        borders.load_crossings(con, tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError):
        borders.load_crossings(con, tmp_path / "missing.csv")
    # the lead's reference loader leaves other_iso3 empty; fill_crossing_pairs completes it
    con.execute("UPDATE crossings SET other_iso3 = NULL")
    assert borders.fill_crossing_pairs(con) > 200
    assert con.execute("SELECT other_iso3 FROM crossings WHERE crossing_id = 'UNLOCODE:USSYO'").fetchone() in (("MEX",), None)


# ------------------------------------------------------------------------------ hand-built store
_EV_COLS = ["event_id", "batch_id", "source", "incident_key", "status", "kind", "event_date", "latitude", "longitude",
            "location_precision", "location_name", "place_type", "direction", "unit", "firearms", "region"]


def _insert(con, rows):
    df = pd.DataFrame(rows, columns=_EV_COLS)
    con.register("_ev", df)
    con.execute(f"INSERT INTO events ({', '.join(_EV_COLS)}) SELECT {', '.join(_EV_COLS)} FROM _ev")
    con.unregister("_ev")


def _ev(i, lat, lon, d, firearms=1.0, direction="outbound", prec="exact", place=None, key=None, unit=None,
        region=None, status="accepted", source="test"):
    return (i, 1, source, key or f"k{i}", status, "seizure", pd.Timestamp(d), lat, lon, prec, f"p{i}", place,
            direction, unit, firearms, region)


@pytest.fixture()
def small_store(tmp_path):
    """Events along the U.S.-Mexico border with one official crossing at El Paso."""
    db = tmp_path / "t.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO crossings VALUES ('X1', 'El Paso', 'USA', 'MEX', 31.7587, -106.4869, 'road', 'test', NULL)")
    rows = [
        # near the crossing: not bypass
        _ev(1, 31.76, -106.49, "2024-03-01", 2), _ev(2, 31.77, -106.50, "2024-03-02", 1),
        # cluster A (Nogales area, ~3 events)
        _ev(3, 31.35, -110.93, "2024-02-01", 1), _ev(4, 31.351, -110.931, "2024-02-03", 1),
        _ev(5, 31.352, -110.932, "2024-02-05", 1),
        # cluster B: 2 events, 10 firearms, older
        _ev(6, 32.70, -114.70, "2024-01-10", 5), _ev(7, 32.701, -114.701, "2024-01-11", 5),
        # cluster C: 2 events, 2 firearms, older; cluster D: 2 events, 2 firearms, more recent
        _ev(8, 29.56, -104.40, "2024-01-05", 1), _ev(9, 29.561, -104.401, "2024-01-06", 1),
        _ev(10, 26.10, -98.27, "2024-05-05", 1, "inbound"), _ev(11, 26.101, -98.271, "2024-05-06", 1, "inbound"),
        # two items of one incident count once as an event, twice as firearms
        _ev(12, 26.102, -98.272, "2024-05-06", 1, "inbound", key="k11"),
        # far from the border (Kansas City) and a coarse record in the zone
        _ev(13, 39.10, -94.58, "2024-03-01", 3), _ev(14, 31.36, -110.94, "2024-03-01", 4, prec="admin-1"),
        # previous period [2023-07-03, 2024-01-01): one event in cluster A's stretch
        _ev(15, 31.35, -110.93, "2023-09-01", 2),
        # quarantined: never counted
        _ev(16, 31.35, -110.93, "2024-03-01", 9, status="quarantined"),
        # far from the border (Kansas City): the source's data cover both periods of test_border_ranking
        _ev(17, 39.10, -94.58, "2023-07-01", 1), _ev(18, 39.10, -94.58, "2024-06-30", 1),
    ]
    _insert(con, rows)
    con.close()
    return db


def test_fill_border_columns(small_store):
    con = store.connect(small_store)
    n = borders.fill_border_columns(con)
    assert n == 18
    row = con.execute("SELECT border_pair, border_km FROM events WHERE event_id = 1").fetchone()
    assert row[0] == "MEX-USA" and row[1] < 2
    assert borders.fill_border_columns(con) == 0


def test_bypass_ranking(small_store):
    con = store.connect(small_store, read_only=True)
    c = borders.bypass_candidates(con, zone_km=50, min_km=10, date_from="2024-01-01", date_to="2024-07-01")
    assert len(c) == 4
    assert list(c["rank"]) == [1, 2, 3, 4]
    assert list(c["events"]) == [3, 2, 2, 2]
    assert c["firearms"].tolist() == [3, 10, 3, 2]  # D has 3 firearms (two items of k11)
    assert c["latitude"].iloc[0] == pytest.approx(31.351, abs=1e-3)
    assert c["latitude"].iloc[2] == pytest.approx(26.101, abs=1e-3)  # more firearms beats C
    # recency breaks ties: make D's twin with same firearms
    # every cluster lies more than 250 km from El Paso, the only crossing on MEX-USA (2,600 km long):
    # the crossing is no longer named "nearest" at 300+ km (issue 15 item 4), a note says so instead
    assert c["nearest_crossing"].isna().all() and c["nearest_crossing_km"].isna().all()
    assert (c["crossing_note"] == "no official crossing known within 250 km on this border (MEX-USA)").all()
    assert (c["border_pair"] == "MEX-USA").all() and c["h3"].str.len().eq(15).all()
    assert c.attrs["left_out"] == 1  # the admin-1 record
    assert not c["indicative"].any()
    # a crossing next to cluster A removes it
    cx = pd.DataFrame({"crossing_id": ["X1", "X2"], "name": ["El Paso", "Nogales"], "latitude": [31.7587, 31.3326],
                       "longitude": [-106.4869, -110.9381], "snap_km": [0.5, 0.5]})
    c2 = borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01", crossings=cx)
    assert len(c2) == 3 and c2["events"].tolist() == [2, 2, 2]
    # with min_km larger than every distance, nothing is left
    c3 = borders.bypass_candidates(con, 50, 5000, date_from="2024-01-01", date_to="2024-07-01")
    assert c3.empty and "within" in c3.attrs["note"]


def _muni(i, lat, lon, d, source="muni", key=None):
    """A municipality-level record (class radius 20 km, hexbin.PRECISION_KM)."""
    return _ev(i, lat, lon, d, prec="municipality", source=source, key=key)


def test_bypass_says_why_no_record_is_fine_enough(tmp_path):
    """Municipality-level records (radius 20 km) count in a 50 km zone (20 < 50) but are too coarse for
    clusters at resolution 5 (edge 9.9 km): the note says so with the figures, not "no usable positions"."""
    con = store.connect(tmp_path / "t.duckdb")
    # three records of two incidents near the MEX-USA border (k2 twice), one far inland (Kansas City)
    _insert(con, [_muni(1, 31.35, -110.93, "2024-01-05"), _muni(2, 32.70, -114.70, "2024-01-06"),
                  _muni(3, 32.701, -114.701, "2024-01-07", key="k2"), _muni(4, 39.10, -94.58, "2024-01-08")])
    c = borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01")
    assert c.empty and c.attrs["left_out"] == 3
    zone = borders.zone_totals(borders.border_events(con, 80, "2024-01-01", "2024-07-01"), 50)
    assert zone.events == 2  # the page's headline
    assert c.attrs["note"] == (
        "None of the 2 events in the border zone is located finely enough for bypass clustering (it needs a radius "
        "of location uncertainty of at most 9.9 km, the cell edge at H3 resolution 5; these are municipality-level, "
        "about 20 km).")
    # a 20 km zone counts none of them (radius 20 is not below 20): said as such
    c20 = borders.bypass_candidates(con, 20, 10, date_from="2024-01-01", date_to="2024-07-01")
    assert c20.attrs["note"].startswith("No events in the 20 km border zone in this period.")
    # one fine record among them: a candidate, and the coarse ones are said to be left out
    _insert(con, [_ev(5, 31.351, -110.931, "2024-01-09")])
    c2 = borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01")
    assert len(c2) == 1 and "3 border-zone records are located too coarsely for clustering" in c2.attrs["note"]


def test_change_only_where_the_sources_cover_both_periods(tmp_path):
    """Period [2024-01-01, 2024-07-01), previous [2023-07-03, 2024-01-01). Source "full" has data from
    2023-07-01 to 2024-06-30 (covers both); "ended" stops on 2023-11-30; "began" starts on 2024-01-01."""
    con = store.connect(tmp_path / "t.duckdb")
    kc = (39.10, -94.58)  # far from every border: spans the source's data, counted by no stretch
    _insert(con, [
        _ev(1, *kc, "2023-07-01", source="full"), _ev(2, *kc, "2024-06-30", source="full"),
        # Nogales stretch: full, 1 previous and 3 current events -> change +2, +200 %
        _ev(3, 31.35, -110.93, "2023-09-01", source="full"), _ev(4, 31.35, -110.93, "2024-02-01", source="full"),
        _ev(5, 31.351, -110.931, "2024-02-02", source="full"), _ev(6, 31.352, -110.932, "2024-02-03", source="full"),
        # Yuma stretch: "ended" has 2 previous events and none now -> no change (not -2, -100 %)
        _ev(7, 32.70, -114.70, "2023-07-10", source="ended"), _ev(8, 32.70, -114.70, "2023-11-30", source="ended"),
        # McAllen stretch: "began" has 1 current event -> no change (not +1 against 0)
        _ev(9, 26.10, -98.27, "2024-01-01", source="began"), _ev(10, 26.10, -98.27, "2024-03-01", source="began"),
    ])
    cover = borders.source_cover(con, "2023-07-03", "2024-07-01").set_index("source")["covers"]
    assert cover.to_dict() == {"began": False, "ended": False, "full": True}
    s = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="segment").set_index("segment_id")
    assert len(s) == 3
    nog = s[s["events"] == 3].iloc[0]
    assert (nog["events_prev"], nog["change"], nog["change_pct"]) == (1, 2, pytest.approx(200.0))
    yuma = s[s["events"] == 0].iloc[0]
    assert pd.isna(yuma["events_prev"]) and pd.isna(yuma["change"]) and pd.isna(yuma["change_pct"])
    assert pd.isna(yuma["firearms_prev"])
    mca = s[s["events"] == 2].iloc[0]
    assert pd.isna(mca["events_prev"]) and pd.isna(mca["change"]) and pd.isna(mca["change_pct"])
    assert s.attrs["uncovered"] == [("began", "2024-01-01", "2024-03-01"), ("ended", "2023-07-10", "2023-11-30")]
    note = borders.cover_note(s)
    assert note.startswith("No previous figure or change for 2 rows: the data of began (2024-01-01 to 2024-03-01), "
                           "ended (2023-07-10 to 2023-11-30) do not cover both [2023-07-03, 2024-01-01) and "
                           "[2024-01-01, 2024-07-01)")
    # the whole pair mixes the three sources: no change either
    p = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="pair")
    assert len(p) == 1 and p["events"].iloc[0] == 5 and pd.isna(p["change"].iloc[0])
    # the map's stretches: the tooltip says why instead of a change of 0
    load = borders.segment_load(con, 50, "2024-01-01", "2024-07-01")
    assert load["change"].isna().sum() == 2 and (load["change"] == 2).sum() == 1
    from intel.render.borders import stretch_layer

    tips = [row["tip"] for row in stretch_layer(load, True)[0].data]
    assert sum("no change figure" in t for t in tips) == 2 and sum("change +2" in t for t in tips) == 1
    # only the covering source: every row has its change, no note
    f = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", sources=("full",))
    assert f["change"].notna().all() and borders.cover_note(f) == "" and f.attrs["uncovered"] == []


def test_bypass_recency_breaks_ties(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    _insert(con, [_ev(1, 29.56, -104.40, "2024-01-05"), _ev(2, 26.10, -98.27, "2024-05-05"),
                  _ev(3, 32.70, -114.70, "2024-03-05")])
    c = borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01", ports_as_crossings=False)
    assert c["last_date"].astype(str).str[:10].tolist() == ["2024-05-05", "2024-03-05", "2024-01-05"]
    assert c["nearest_crossing"].isna().all()  # no crossings at all: said, not invented


def test_town_precision_is_indicative(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    _insert(con, [_ev(1, 31.35, -110.93, "2024-01-05", prec="town", place="border area")])
    c = borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01")
    assert len(c) == 1 and bool(c["indicative"].iloc[0]) and "indicative only" in c.attrs["note"]


def test_ports_of_entry_count_as_crossings(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    _insert(con, [_ev(1, 32.54, -117.03, "2024-01-05", prec="town", place="port of entry"),
                  _ev(2, 32.541, -117.031, "2024-01-06", prec="town", place="border area")])
    cx = borders.official_crossings(con)
    assert len(cx) == 1 and cx["source"].iloc[0] == "port of entry (events)"
    assert borders.bypass_candidates(con, 50, 10).empty
    assert len(borders.bypass_candidates(con, 50, 10, ports_as_crossings=False)) == 1


def test_border_ranking(small_store):
    con = store.connect(small_store, read_only=True)
    assert borders.previous_period("2024-01-01", "2024-07-01") == ("2023-07-03", "2024-01-01")
    r = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="pair")
    assert len(r) == 1
    row = r.iloc[0]
    assert row["pair"] == "MEX-USA"
    assert (row["events"], row["firearms"], row["events_prev"], row["change"]) == (11, 21, 1, 10)
    assert (row["events_inbound"], row["events_outbound"], row["firearms_inbound"]) == (2, 9, 3)
    assert row["change_pct"] == pytest.approx(1000.0)
    assert r.attrs["left_out"] == 1
    s = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="segment")
    assert s["events"].sum() == 11 and s["segment_id"].str.startswith("MEX-USA-").all()
    a = s[s["events_prev"] > 0]
    assert len(a) == 1 and a["events"].iloc[0] == 3 and a["change"].iloc[0] == 2  # cluster A's stretch
    assert list(s["rank"]) == list(range(1, len(s) + 1))
    # a narrow zone keeps only the events within it
    z = borders.border_ranking(con, 20, "2024-01-01", "2024-07-01", by="pair")
    ev = borders.border_events(con, 20, "2024-01-01", "2024-07-01", precisions=["exact"])
    assert z["events"].sum() == ev["incident_key"].nunique()
    with pytest.raises(ValueError):
        borders.border_ranking(con, 50, "2024-07-01", "2024-01-01")
    with pytest.raises(ValueError):
        borders.border_ranking(con, 50, by="country")
    load = borders.segment_load(con, 50, "2024-01-01", "2024-07-01")
    assert len(load) == len(borders.border_segments()) and load["events"].sum() == 11


def test_zone_where_and_bands():
    assert borders.zone_where(50) == ("e.border_km <= ?", [50.0])
    assert borders.zone_where(None) == ("TRUE", [])
    with pytest.raises(ValueError):
        borders.zone_where(5, alias="e; DROP TABLE events")
    assert list(borders.distance_band([0, 19.9, 20, 79.9, 80, np.nan])) == [
        "0-20 km", "0-20 km", "20-50 km", "50-80 km", "80+ km", None]


def test_cbp_split(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    src = borders.CBP_SOURCE
    _insert(con, [
        _ev(1, 31.76, -106.49, "2024-01-01", 2, "outbound", "town", "port of entry", unit="El Paso Field Office",
            region="Southwest Border", source=src),
        _ev(2, 31.76, -106.49, "2024-01-01", 1, "outbound", "town", "port of entry", key="k1",
            unit="El Paso Field Office", region="Southwest Border", source=src),
        _ev(3, 32.5, -114.7, "2024-01-02", 1, "inbound", "town", "border area", unit="Yuma Sector",
            region=None, source=src),  # region from the AOR table
        _ev(4, 48.9, -122.7, "2024-01-03", 0, "inbound", "town", "border area", unit="Blaine Sector",
            region="Northern Border", source=src),
    ])
    s = borders.cbp_split(con)
    sw = s[s["region"] == "Southwest Border"]
    assert sw["events"].sum() == 2 and sw["firearms"].sum() == 4
    assert set(s["setting"]) == {"ports of entry", "between ports"}
    port = s[(s["region"] == "Southwest Border") & (s["setting"] == "ports of entry")].iloc[0]
    assert (port["events"], port["records"], port["firearms"], port["direction"]) == (1, 2, 3, "outbound")
    assert s[s["region"] == "Northern Border"]["direction"].tolist() == ["inbound"]
    summ = borders.cbp_split_summary(s)
    assert set(summ["dimension"]) == {"region", "direction", "setting"}
    with pytest.raises(ValueError):
        borders.cbp_split(con, region_column="raw; DROP TABLE events")


def test_geojson_is_lon_lat(squares):
    df = pd.DataFrame({"name": ["a"], "latitude": [10.0], "longitude": [-20.0], "when": [pd.Timestamp("2024-01-01")]})
    f = json.loads(borders.to_geojson(df))["features"][0]
    assert f["geometry"]["coordinates"] == [-20.0, 10.0] and f["properties"]["when"] == "2024-01-01"
    g = json.loads(borders.to_geojson(squares.segments))
    c = g["features"][0]["geometry"]["coordinates"]
    assert c[0] == [0.0, -1.0]


# ------------------------------------------------------------------------------ CLI end to end
def test_cli(small_store, tmp_path):
    from click.testing import CliRunner

    from intel.cli.borders import borders_cmd, bypass_cmd

    out = tmp_path / "b.csv"
    r = CliRunner().invoke(borders_cmd, ["--db", str(small_store), "--zone-km", "50", "--from", "2024-01-01",
                                         "--to", "2024-07-01", "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert {"segment_id", "pair", "events", "firearms", "change"} <= set(df.columns)
    assert df["events"].sum() == 11
    out2 = tmp_path / "c.csv"
    r = CliRunner().invoke(bypass_cmd, ["--db", str(small_store), "--zone-km", "50", "--min-km", "10",
                                        "--from", "2024-01-01", "--to", "2024-07-01", "--out", str(out2)])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out2)["events"].tolist() == [3, 2, 2, 2]
    r = CliRunner().invoke(borders_cmd, ["--db", str(tmp_path / "missing.duckdb")])
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(borders_cmd, ["--db", str(small_store), "--from", "2024-07-01", "--to", "2024-01-01"])
    assert r.exit_code == 2 and "empty period" in r.output


def test_discharge_incidents_do_not_load_a_border(tmp_path):
    con = store.connect(tmp_path / "t.duckdb")
    _insert(con, [_ev(1, 31.35, -110.93, "2024-01-05"), _ev(2, 31.36, -110.94, "2024-01-06")])
    con.execute("UPDATE events SET kind = 'discharge incident' WHERE event_id = 2")
    r = borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="pair")
    assert r["events"].sum() == 1
    assert borders.border_ranking(con, 50, "2024-01-01", "2024-07-01", by="pair", kinds=())["events"].sum() == 2
    assert borders.bypass_candidates(con, 50, 10, date_from="2024-01-01", date_to="2024-07-01", kinds=())["events"].sum() == 2


def test_cli_says_why_no_bypass_and_no_change(tmp_path):
    """`intel bypass` prints the page's sentence on municipality-level records; `intel borders` says why
    a stretch has no change (the source's data begin within the previous period)."""
    from click.testing import CliRunner

    from intel.cli.borders import borders_cmd, bypass_cmd

    db = tmp_path / "t.duckdb"
    con = store.connect(db)
    _insert(con, [_muni(1, 31.35, -110.93, "2019-01-05"), _muni(2, 32.70, -114.70, "2019-03-06")])
    con.close()
    args = ["--db", str(db), "--zone-km", "50", "--period", "2019-01:2019-03"]
    r = CliRunner().invoke(bypass_cmd, args)
    assert r.exit_code == 0, r.output
    assert ("None of the 2 events in the border zone is located finely enough for bypass clustering (it needs a "
            "radius of location uncertainty of at most 9.9 km") in r.output
    r = CliRunner().invoke(borders_cmd, args)
    assert r.exit_code == 0, r.output
    assert ("No previous figure or change for 2 rows: the data of muni (2019-01-05 to 2019-03-06) do not cover "
            "both") in r.output
