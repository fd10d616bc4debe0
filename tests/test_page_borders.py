"""AppTest of the Borders page on a small hand-built store (no network, no traceback)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from intel import store

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "borders.py")
COLS = ["event_id", "batch_id", "source", "incident_key", "status", "kind", "event_date", "latitude", "longitude",
        "location_precision", "location_name", "place_type", "direction", "unit", "firearms", "region"]


def _store(path):
    con = store.connect(path)
    con.execute("INSERT INTO crossings VALUES ('X1', 'El Paso', 'USA', 'MEX', 31.7587, -106.4869, 'road', 'test', NULL)")
    con.execute("INSERT INTO crossings VALUES ('X2', 'Nowhere', 'USA', NULL, 39.0, -94.5, 'road', 'test', NULL)")
    rows = [
        (1, 1, "cbp_weapons_seizures", "k1", "accepted", "seizure", pd.Timestamp("2024-03-01"), 31.76, -106.49,
         "town", "El Paso Field Office", "port of entry", "outbound", "El Paso Field Office", 2.0, "Southwest Border"),
        (2, 1, "cbp_weapons_seizures", "k2", "accepted", "seizure", pd.Timestamp("2024-04-01"), 31.35, -110.93,
         "town", "Tucson Sector", "border area", "inbound", "Tucson Sector", 1.0, "Southwest Border"),
        (3, 1, "test", "k3", "accepted", "seizure", pd.Timestamp("2023-10-01"), 32.70, -114.70,
         "exact", "Yuma", None, "outbound", None, 3.0, None),
        (4, 1, "test", "k4", "accepted", "seizure", pd.Timestamp("2024-05-01"), 39.10, -94.58,
         "exact", "Kansas City", None, None, None, 1.0, None),
    ]
    df = pd.DataFrame(rows, columns=COLS)
    con.register("_ev", df)
    con.execute(f"INSERT INTO events ({', '.join(COLS)}) SELECT {', '.join(COLS)} FROM _ev")
    con.close()


def test_borders_page(tmp_path, monkeypatch):
    db = tmp_path / "t.duckdb"
    _store(db)
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    ids = [l.get("id") for l in spec["layers"]]
    assert {"border-stretches", "official-crossings", "bypass-candidates", "events-by-band"} <= set(ids)
    assert spec.get("mapProvider") in (None, "")  # offline: no tile provider (mapStyle is a Streamlit placeholder)
    # the map carries the scale caption under it (issue 17), as on the other map pages
    assert sum(c.value.startswith("Initial view: 100 px on the map is about") for c in at.caption) == 1
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Events within 50 km of a border"] == "3"
    assert metrics["Bypass candidates"] == "2"  # Tucson sector and Yuma; El Paso sits at its crossing
    assert any("indicative only" in w.value for w in at.warning)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Stretches (CSV)" in labels and "Candidates (GeoJSON, lon-lat)" in labels
    # narrower zone: fewer events, no traceback
    at.selectbox(key="bor_zone").set_value(20).run()
    assert not at.exception
    assert at.selectbox(key="bor_zone").value == 20


def test_borders_page_empty_store(tmp_path, monkeypatch):
    db = tmp_path / "e.duckdb"
    store.connect(db).close()
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("no dated, accepted records" in m.value for m in at.info)


def test_borders_map_layers_in_pixels_and_framed_on_the_border(tmp_path, monkeypatch):
    """The bypass rings and the stretches are sized in pixels (not metres), the rings are nearly
    transparent, and the initial view is framed on the U.S.-Mexico border-zone events."""
    db = tmp_path / "m.duckdb"
    _store(db)
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "mapStyle" not in spec or spec["mapStyle"] == "__MAP_STYLE__"  # never map_style=None (web basemap)
    layers = {l["id"]: l for l in spec["layers"]}
    cand = layers["bypass-candidates"]
    assert cand["radiusUnits"] == "pixels"  # a literal string, not the expression "@@=pixels"
    assert 6 <= cand["radiusMinPixels"] and cand["radiusMaxPixels"] <= 30
    radii = [d["radius"] for d in cand["data"]]
    assert radii and all(6 <= r <= 30 for r in radii)
    assert all(d["colour"][3] <= 60 for d in cand["data"])  # hollow rings: the stretches stay visible
    assert cand["stroked"] is True
    stretches = layers["border-stretches"]
    assert stretches["widthUnits"] == "pixels" and stretches["widthMaxPixels"] <= 8
    loaded = [d for d in stretches["data"] if d["width"] > 1]
    assert loaded and all(2 <= d["width"] <= 8 for d in loaded)
    for lid in ("events-by-band", "official-crossings"):
        assert layers[lid]["radiusUnits"] == "pixels"
    view = spec["initialViewState"]
    assert 25.0 <= view["latitude"] <= 34.0, view  # the U.S.-Mexico border zone
    assert -118.0 <= view["longitude"] <= -97.0, view
    assert view["zoom"] >= 4
    # every border with events is one choice of framing; the heaviest pair is the default
    assert at.selectbox(key="bor_frame").value == "MEX-USA"
    assert any("Provenance" in e.label for e in at.expander)


def test_borders_page_counts_events_by_source_and_key(tmp_path, monkeypatch):
    """Two sources that both number a record 'k1' near the border are two events (the store's one
    definition of an event), not one merged by the raw incident key."""
    db = tmp_path / "k.duckdb"
    con = store.connect(db)
    rows = [
        (1, 1, "agency_a", "k1", "accepted", "seizure", pd.Timestamp("2024-03-01"), 31.76, -106.49,
         "exact", "El Paso", None, None, None, 2.0, None),
        (2, 1, "agency_b", "k1", "accepted", "seizure", pd.Timestamp("2024-03-02"), 32.70, -114.70,
         "exact", "Yuma", None, None, None, 1.0, None),
        # two items of one incident of agency_a: still one event
        (3, 1, "agency_a", "k2", "accepted", "seizure", pd.Timestamp("2024-03-03"), 31.35, -110.93,
         "exact", "Nogales", None, None, None, 1.0, None),
        (4, 1, "agency_a", "k2", "accepted", "seizure", pd.Timestamp("2024-03-03"), 31.35, -110.93,
         "exact", "Nogales", None, None, None, 1.0, None),
    ]
    df = pd.DataFrame(rows, columns=COLS)
    con.register("_ev", df)
    con.execute(f"INSERT INTO events ({', '.join(COLS)}) SELECT {', '.join(COLS)} FROM _ev")
    store.refresh_incidents(con)
    con.close()
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Events within 50 km of a border"] == "3"
    assert metrics["Firearms among them"] == "5"


def test_zone_totals_counts_incidents_of_each_source():
    from intel import borders

    ev = pd.DataFrame({"incident": ["a\x1fk1", "b\x1fk1", "a\x1fk2", "a\x1fk2", "a\x1fk3"],
                       "border_km": [1.0, 2.0, 3.0, 3.0, 70.0], "firearms": [2.0, 1.0, 1.0, 1.0, 5.0]})
    t = borders.zone_totals(ev, 50)
    assert (t.events, t.firearms, t.records, t.zone_km) == (3, 5.0, 4, 50.0)
    assert borders.zone_totals(ev, 80).events == 4
    assert borders.zone_totals(ev.iloc[:0], 50).events == 0
    with pytest.raises(ValueError):
        borders.zone_totals(ev, -1)


def test_zone_totals_leave_out_records_too_coarse_for_the_zone_as_the_ranking_does():
    """Real store, last year: 934 CBP events 'within 50 km' by their headquarters-town position
    (uncertainty about 200 km) but 0 stretches with events. The totals now count what the stretches count."""
    from intel import borders

    ev = pd.DataFrame({"incident": ["a\x1fk1", "a\x1fk2", "b\x1fk3", "b\x1fk4"], "border_km": [5.0, 10.0, 20.0, 60.0],
                       "firearms": [1.0, 2.0, 4.0, 8.0], "uncertainty_km": [0.01, 208.4, 50.0, 0.01]})
    t = borders.zone_totals(ev, 50)
    # k2 (208 km) and k3 (exactly the zone width) are too coarse; k4 is outside the zone
    assert (t.events, t.firearms, t.records, t.too_coarse) == (1, 1.0, 1, 2)
    assert borders.zone_totals(ev, 80).events == 3 and borders.zone_totals(ev, 80).too_coarse == 1  # k1, k3, k4


def test_borders_page_events_agree_with_stretches(tmp_path, monkeypatch):
    db = tmp_path / "t.duckdb"
    _store(db)
    con = store.connect(db)
    # the two CBP records carry their Area of Responsibility's radius, as in the bundled data
    con.execute("UPDATE events SET uncertainty_km = 208.4 WHERE source = 'cbp_weapons_seizures'")
    con.close()
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # only the Yuma record (exact, 2023-10-01, 3 firearms) is precise enough for a 50 km zone
    assert metrics["Events within 50 km of a border"] == "1"
    assert metrics["Stretches with events"] == "1"
    assert any("uncertain by 50 km or more" in c.value for c in at.caption)


def test_borders_headline_and_map_dots_are_the_same_records(tmp_path, monkeypatch):
    """User trial, real store: the headline said 0 events within 50 km while the map drew a dot on the
    U.S.-Mexico line (a CBP sector's headquarters-town position, radius of uncertainty 280-470 km, too
    coarse for the zone; the map drew every record within 80 km). Hand-built: one precise event 0.8 km
    from the border (counted and drawn), one record at the same kind of place but uncertain by 300 km
    (neither), one precise event about 60 km from the border (outside a 50 km zone: neither)."""
    db = tmp_path / "h.duckdb"
    con = store.connect(db)
    rows = [
        (1, 1, "test", "p1", "accepted", "seizure", pd.Timestamp("2024-03-01"), 31.76, -106.49,
         "exact", "El Paso", None, None, None, 2.0, None),
        (2, 1, "cbp_weapons_seizures", "c1", "accepted", "seizure", pd.Timestamp("2024-03-02"), 29.3627, -100.8968,
         "town", "Del Rio Sector", "border area", "inbound", "Del Rio Sector", 1.0, "Southwest Border"),
        (3, 1, "test", "p2", "accepted", "seizure", pd.Timestamp("2024-03-03"), 32.30, -106.78,
         "exact", "Las Cruces", None, None, None, 4.0, None),
    ]
    df = pd.DataFrame(rows, columns=COLS)
    con.register("_ev", df)
    con.execute(f"INSERT INTO events ({', '.join(COLS)}) SELECT {', '.join(COLS)} FROM _ev")
    con.execute("UPDATE events SET uncertainty_km = 300.0 WHERE incident_key = 'c1'")
    store.refresh_incidents(con)
    from intel import borders

    ev = borders.border_events(con, 80.0)
    con.close()
    km = dict(zip(ev["incident_key"], ev["border_km"]))
    assert km["p1"] < 20 and km["c1"] < 50 and 50 < km["p2"] <= 80, km   # the premise of the test
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Events within 50 km of a border"] == "1"
    assert metrics["Firearms among them"] == "2"
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    dots = next(l for l in spec["layers"] if l.get("id") == "events-by-band")["data"]
    assert [(d["latitude"], d["longitude"]) for d in dots] == [(31.76, -106.49)]
    # a 20 km zone: the same event, and no 20-50 km entry in the key
    at.selectbox(key="bor_zone").set_value(20).run()
    assert {m.label: m.value for m in at.metric}["Events within 20 km of a border"] == "1"
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert len(next(l for l in spec["layers"] if l.get("id") == "events-by-band")["data"]) == 1
    assert not any("20-50 km" in m.value for m in at.markdown)
    # an 80 km zone: the event 60 km away is counted and drawn too, the coarse record still neither
    at.selectbox(key="bor_zone").set_value(80).run()
    assert {m.label: m.value for m in at.metric}["Events within 80 km of a border"] == "2"
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert len(next(l for l in spec["layers"] if l.get("id") == "events-by-band")["data"]) == 2


def test_zone_records_are_the_records_zone_totals_count():
    from intel import borders

    ev = pd.DataFrame({"incident": ["a\x1fk1", "a\x1fk2", "b\x1fk3", "b\x1fk4"], "border_km": [5.0, 10.0, 20.0, 60.0],
                       "firearms": [1.0, 2.0, 4.0, 8.0], "uncertainty_km": [0.01, 208.4, 50.0, 0.01]})
    rec, coarse = borders.zone_records(ev, 50)
    assert rec["incident"].tolist() == ["a\x1fk1"] and coarse == 2
    rec, coarse = borders.zone_records(ev, 80)
    assert rec["incident"].tolist() == ["a\x1fk1", "b\x1fk3", "b\x1fk4"] and coarse == 1
    assert len(borders.zone_records(ev.iloc[:0], 50)[0]) == 0
    with pytest.raises(ValueError):
        borders.zone_records(ev, float("nan"))


def test_borders_page_says_why_no_bypass_and_no_change(tmp_path, monkeypatch):
    """A register of one quarter at municipality level (radius 20 km): two events in the 50 km zone, no
    bypass candidate, and the sentence says why (the radius clustering needs); the stretches have no
    previous figure (the data begin within the period) and a caption says so; the missing cells are blank."""
    db = tmp_path / "m.duckdb"
    con = store.connect(db)
    rows = [
        (1, 1, "muni", "k1", "accepted", "seizure", pd.Timestamp("2019-01-05"), 31.35, -110.93,
         "municipality", "Nogales", None, None, None, 1.0, None),
        (2, 1, "muni", "k2", "accepted", "seizure", pd.Timestamp("2019-03-06"), 32.70, -114.70,
         "municipality", "Yuma", None, None, None, 1.0, None),
    ]
    con.register("_ev", pd.DataFrame(rows, columns=COLS))
    con.execute(f"INSERT INTO events ({', '.join(COLS)}) SELECT {', '.join(COLS)} FROM _ev")
    store.refresh_incidents(con)
    con.close()
    monkeypatch.setenv("INTEL_DB", str(db))
    monkeypatch.setenv("HOME", str(tmp_path))
    import intel.store

    monkeypatch.setattr(intel.store, "DEFAULT_DB", db)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Events within 50 km of a border"] == "2" and metrics["Bypass candidates"] == "0"
    captions = [c.value for c in at.caption]
    assert any(c.startswith("None of the 2 events in the border zone is located finely enough for bypass clustering "
                            "(it needs a radius of location uncertainty of at most 9.9 km") for c in captions)
    assert not any("usable positions" in c for c in captions)
    assert any(c.startswith("No previous figure or change for 2 rows: the data of muni (2019-01-05 to 2019-03-06)")
               for c in captions)
    assert any(c.startswith("No previous figure or change for 1 row: ") for c in captions)  # the pair
    seg = at.dataframe[0].value  # missing figures are blank cells, not "None"
    assert seg["events"].tolist() == [1, 1]
    for c in ("change", "change_pct", "events_prev", "firearms_prev"):
        assert seg[c].tolist() == ["", ""], c
