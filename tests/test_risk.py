"""Risk score, targets, areas and the plain-sentence failures, on hand-built grids."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from intel import risk

ZERO = {c: 0.0 for c in risk.COMPONENTS}


# ------------------------------------------------------------------ transforms and weights

def test_component_transforms():
    assert risk.log_norm([0, 1, 3]).tolist() == pytest.approx([0, math.log(2) / math.log(4), 1])
    assert risk.log_norm([0, 0]).tolist() == [0, 0]
    assert risk.decay_weights([0, 180, 360], 180).tolist() == pytest.approx([1, 0.5, 0.25])
    assert risk.hotspot_component([-3, 0, 1, 2, 3]).tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 1])
    assert risk.border_component([0, 25, 50, 80, np.nan], 50).tolist() == pytest.approx([1, 0.5, 0, 0, 0])
    assert risk.emerging_component(["New Hot Spot", "Historical Hot Spot", "New Cold Spot", None]).tolist() == \
        pytest.approx([1, 0.25, 0, 0])
    with pytest.raises(ValueError):
        risk.decay_weights([1], 0)


def test_default_weights_documented_and_parts_add_up():
    assert set(risk.DEFAULT_WEIGHTS) == set(risk.COMPONENTS) == set(risk.WEIGHT_HELP)
    assert sum(risk.DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)
    for c in risk.COMPONENTS:
        assert f"``{c}``" in risk.__doc__ or c in risk.__doc__
    comp = pd.DataFrame({c: [1.0, 0.5, 0.0] for c in risk.COMPONENTS})
    out = risk.combine(comp, {"intensity": 2, "hotspot": 2, **{c: 0 for c in risk.COMPONENTS[2:]}})
    assert out["score"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert out["intensity_pts"].tolist() == pytest.approx([0.5, 0.25, 0.0])
    parts = out[[f"{c}_pts" for c in risk.COMPONENTS]].sum(axis=1)
    assert parts.tolist() == pytest.approx(out["score"].tolist())
    assert risk.parse_weights("intensity=0.5, links=0")["intensity"] == 0.5
    for bad in ("speed=1", "intensity=-1", "intensity=x", ",".join(f"{c}=0" for c in risk.COMPONENTS)):
        with pytest.raises(ValueError):
            risk.parse_weights(bad)


# ------------------------------------------------------------------ areas

def test_area_helpers_and_presets():
    assert risk.parse_bbox("-117.5, 25.5, -96.5, 33.2") == (-117.5, 25.5, -96.5, 33.2)
    for bad in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,10,1,5", "0,0,200,1"):
        with pytest.raises(ValueError):
            risk.parse_bbox(bad)
    a = risk.area_countries(["bfa", " CIV", "", "BFA"])
    assert a.codes == ("BFA", "CIV") and a.kind == "countries"
    with pytest.raises(ValueError):
        risk.area_countries(["Burkina"])
    assert risk.preset_area("KAFO").codes == ("BFA", "CIV", "MLI")
    assert risk.preset_area("TRIGGER").codes == risk.TRIGGER_DEFAULT and len(risk.TRIGGER_DEFAULT) == 15
    assert risk.preset_area("trigger", ["BRA", "PRY", "ARG"]).codes == ("BRA", "PRY", "ARG")
    assert risk.preset_area("US_SW").bbox == risk.US_SW_BBOX
    hash(risk.preset_area("US_SW"))  # hashable for the app's cache


# ------------------------------------------------------------------ targets

def _cand():
    # A at (0, 0); B 0.01 deg (~1.1 km) north; C 0.1 deg (~11 km) north; D scoreless
    return pd.DataFrame({"cell": np.array([1, 2, 3, 4], dtype="uint64"), "score": [0.9, 0.8, 0.7, 0.0],
                         "latitude": [0.0, 0.01, 0.1, 0.5], "longitude": [0.0, 0.0, 0.0, 0.0]})


def test_select_targets_spacing_and_order():
    t = risk.select_targets(_cand(), 3, 5.0)
    assert t["cell"].tolist() == [1, 3] and t["rank"].tolist() == [1, 2]
    assert risk.select_targets(_cand(), 3, 0)["cell"].tolist() == [1, 2, 3]
    assert risk.select_targets(_cand(), 3, 1.0)["cell"].tolist() == [1, 2, 3]   # B is 1.106 km away
    assert risk.select_targets(_cand(), 3, 1.2)["cell"].tolist() == [1, 3]
    assert risk.select_targets(_cand(), 1, 0)["cell"].tolist() == [1]
    tie = _cand().assign(score=[0.5, 0.5, 0.5, 0.5], cell=np.array([9, 7, 8, 6], dtype="uint64"))
    assert risk.select_targets(tie, 4, 0)["cell"].tolist() == [6, 7, 8, 9]   # ties by cell id
    with pytest.raises(ValueError):
        risk.select_targets(_cand(), 0, 1)


def test_nearest_town_geodesic():
    t = risk.nearest_towns([43.6532], [-79.3832])  # Toronto city hall
    assert t["town_country"].iloc[0] == "CA" and t["town_km"].iloc[0] < 3
    i, d = risk.nearest([0.0], [0.0], [0.0, 0.0], [1.0, -2.0])
    assert i[0] == 0 and d[0] == pytest.approx(111.32, abs=0.05)  # one degree of the equator, WGS84


# ------------------------------------------------------------------ a hand-built store

def _store(path, coarse=3):
    """Three busy cells at resolution 8 in Toronto, all events on 2022-12-31: A 10, B 5, C 1."""
    from intel.hexbin import bin_points
    from intel.store import connect

    spots = {"A": (43.655, -79.385, 10), "B": (43.70, -79.45, 5), "C": (43.75, -79.30, 1)}
    rows, i = [], 0
    for name, (lat, lon, n) in spots.items():
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        for _ in range(n):
            rows.append((i + 1, 1, "t", f"{name}{i}", "accepted", "discharge incident", pd.Timestamp("2022-12-31").date(),
                         lat, lon, "intersection", 1.0, c, "CAN"))
            i += 1
    for j in range(coarse):
        rows.append((i + 1, 1, "t", f"T{j}", "accepted", "seizure", pd.Timestamp("2022-12-31").date(), 43.7, -79.4,
                     "town", 1.0, int(bin_points(np.array([43.7]), np.array([-79.4]))[0]), "CAN"))
        i += 1
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
    con.close()
    return str(path), {k: (v[0], v[1]) for k, v in spots.items()}


@pytest.fixture
def small(tmp_path):
    from intel.store import connect

    path, spots = _store(tmp_path / "r.duckdb")
    con = connect(path, read_only=True)
    yield con, spots
    con.close()


def test_intensity_ranking_known(small):
    con, spots = small
    df = risk.risk_scores(con, 8, None, ("2022-01-01", "2023-01-01"), {**ZERO, "intensity": 1.0})
    from intel.h3cells import parent
    from intel.hexbin import bin_points

    want = [int(parent(bin_points(np.array([la]), np.array([lo])), 8)[0]) for la, lo in spots.values()]
    assert df["cell"].head(3).astype("int64").tolist() == want          # A, B, C
    d = 0.5 ** (1 / 180)                                                   # every event is 1 day old
    assert df["recent"].head(3).tolist() == pytest.approx([10 * d, 5 * d, d])
    assert df["intensity"].head(3).tolist() == pytest.approx(
        [1.0, math.log1p(5 * d) / math.log1p(10 * d), math.log1p(d) / math.log1p(10 * d)])
    assert df["score"].head(3).tolist() == pytest.approx(df["intensity"].head(3).tolist())
    assert (df["score"].iloc[3:] == 0).all()                               # empty cells
    assert df.attrs["left_out_records"] == 3 and any("too coarse" in n for n in df.attrs["notes"])
    assert df.attrs["used_events"] == 16


PEACE_BRIDGE = pd.DataFrame({"crossing_id": ["X1"], "name": ["Peace Bridge"], "country_iso3": ["CAN"],
                             "other_iso3": ["USA"], "latitude": [42.906], "longitude": [-78.905],
                             "crossing_type": ["road"], "source": ["test"]})
"""An official CAN-USA crossing about 85 km from the Toronto test area (Fort Erie - Buffalo)."""


def test_default_score_parts_and_range(small):
    con, _ = small
    df = risk.risk_scores(con, 8, risk.area_bbox("-79.6,43.55,-79.2,43.85"), ("2022-01-01", "2023-01-01"),
                          crossings=PEACE_BRIDGE)
    assert list(df.columns) == ["cell"] + risk.SCORE_COLUMNS
    for c in risk.COMPONENTS:
        assert df[c].between(0, 1).all(), c
    parts = df[[f"{c}_pts" for c in risk.COMPONENTS]].sum(axis=1)
    assert np.allclose(parts, df["score"]) and df["score"].between(0, 1).all()
    assert df["border_km"].notna().all() and (df["border_km"] > 0).all()  # CAN-USA line in Lake Ontario
    assert 15 < df.loc[df["events"] == 10, "border_km"].iloc[0] < 40
    # ... but that line is not a land border: CAN-USA has official crossings and none lies within the
    # 50 km zone (the Peace Bridge is about 85 km away), so the border and bypass parts are 0 and the
    # result says why (intel.risk.reach)
    assert (df["border"] == 0).all() and (df["bypass"] == 0).all()
    assert {"border", "bypass"} <= set(df.attrs["not_applicable"])
    assert any("no land border is within reach" in n for n in df.attrs["notes"])
    assert df["events"].iloc[0] == 10


def test_plan_without_land_border_names_no_crossing_as_its_own(small):
    """Issue 16: where the border part is 0 (no land border within reach), the target list must not
    pair it with a "crossing on own border" ~85 km away; the note says why and keeps the distance."""
    con, _ = small
    p = risk.plan(con, 8, risk.area_bbox("-79.6,43.55,-79.2,43.85"), ("2022-01-01", "2023-01-01"), n=3,
                  min_spacing_km=2.0, crossings=PEACE_BRIDGE)
    t = p.targets
    assert len(t) >= 1 and (t["border"] == 0).all() and "border" in p.scores.attrs["not_applicable"]
    assert t["nearest_crossing"].isna().all() and t["crossing_km"].isna().all() and t["crossing_source"].isna().all()
    for note in t["crossing_note"]:
        assert note.startswith("no land border within the 50 km border zone (border part 0); nearest official "
                               "crossing: Peace Bridge, ")
        assert 70 < float(note.rsplit(", ", 1)[1].removesuffix(" km")) < 110
    from intel.borders import crossing_text

    assert crossing_text(t["nearest_crossing"].iloc[0], t["crossing_km"].iloc[0], t["crossing_note"].iloc[0]).startswith(
        "no land border")
    assert risk.targets.no_border_note(50, None, None) == "no land border within the 50 km border zone (border part 0)"


def _flow(o, d) -> pd.DataFrame:
    """One ATF-like flow from ``o`` to ``d`` ((lat, lon) degrees), weight 10, in 2022."""
    return pd.DataFrame([{"flow_id": "f1", "source": "test", "flow_type": "trace", "origin": "o", "origin_name": "o",
                          "origin_lat": o[0], "origin_lon": o[1], "destination": "d", "destination_name": "d",
                          "destination_lat": d[0], "destination_lon": d[1], "weight": 10.0,
                          "period_start": pd.Timestamp("2022-01-01"), "period_end": pd.Timestamp("2022-12-31")}])


@pytest.mark.parametrize("flow, applies", [
    (((42.30, -83.03), (45.42, -75.70)), True),     # Windsor -> Ottawa: ends in CAN, path over Toronto
    (((49.28, -123.12), (47.61, -122.33)), False),  # Vancouver -> Seattle: ends in CAN, path far away
    (((41.88, -87.63), (42.65, -73.75)), False),    # Chicago -> Albany: U.S. interstate, no end in CAN
])
def test_corridor_part_only_where_a_reaching_flow_passes_over_the_area(small, monkeypatch, flow, applies):
    """Issue 16: the corridor part is positive only in cells a flow ending in the area's countries passes
    over; otherwise it is 0 everywhere and the result says why."""
    import intel.risk.scores as rs

    con, _ = small
    monkeypatch.setattr(rs, "query_flows", lambda con, a, b: _flow(*flow))
    df = risk.risk_scores(con, 8, risk.area_bbox("-79.6,43.55,-79.2,43.85"), ("2022-01-01", "2023-01-01"),
                          crossings=PEACE_BRIDGE)
    na = df.attrs["not_applicable"]
    if applies:
        assert (df["corridor"] > 0).any() and "corridor" not in na
    else:
        assert (df["corridor"] == 0).all() and "corridor" in na and na["corridor"] in df.attrs["notes"]
        assert "corridor part is 0 here" in na["corridor"]
    if flow[0][0] == 49.28:
        assert na["corridor"].startswith("1 trafficking flow of the period starts or ends in CAN, but none passes over")


def test_plan_on_small_store(small):
    con, _ = small
    p = risk.plan(con, 8, None, ("2022-01-01", "2023-01-01"), n=5, min_spacing_km=2.0)
    assert list(p.targets.columns) == ["cell"] + risk.TARGET_COLUMNS
    assert 1 <= len(p.targets) <= 5 and p.targets["rank"].tolist() == list(range(1, len(p.targets) + 1))
    assert p.targets["nearest_town"].notna().all() and (p.targets["town_country"] == "CA").all()
    assert any("CC BY 4.0" in line for line in p.provenance)
    from intel import target_package as tp

    csv = tp.to_csv(p).decode()
    assert csv.splitlines()[0].split(",")[:3] == ["rank", "h3", "latitude"]
    gj = json.loads(tp.to_geojson(p))
    lon, lat = gj["features"][0]["geometry"]["coordinates"][0][0]
    assert -80 < lon < -79 and 43 < lat < 44                             # [longitude, latitude]
    pdf = tp.to_pdf(p, marking="TEST MARKING")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_no_point_data_sentence(small):
    con, _ = small
    with pytest.raises(risk.NoPointData) as e:
        risk.risk_scores(con, 8, risk.preset_area("KAFO"))
    assert "holds no point-level records" in str(e.value) and "nothing for" in str(e.value)
    with pytest.raises(risk.RiskError) as e:
        risk.risk_scores(con, 8, None, ("2010-01-01", "2011-01-01"))
    assert "no located records in the chosen period" in str(e.value)


def test_too_coarse_names_the_usable_resolution(tmp_path):
    from intel.store import connect

    path, _ = _store(tmp_path / "c.duckdb")
    con = connect(path)
    con.execute("DELETE FROM events WHERE location_precision <> 'town'")
    with pytest.raises(risk.TooCoarse) as e:
        risk.risk_scores(con, 8)
    assert e.value.finest_res == 5 and "resolution 5" in str(e.value)
    df = risk.risk_scores(con, 5, None, ("2022-01-01", "2023-01-01"))
    assert df["events"].iloc[0] == 3 and df.attrs["left_out_records"] == 0


# ------------------------------------------------------------------ real data

def test_real_store_presets(real_store):
    from intel.store import connect

    con = connect(real_store)  # the same process may hold it writable (AppTest)
    with pytest.raises(risk.NoPointData) as e:
        risk.plan(con, 8, risk.preset_area("KAFO"))
    msg = str(e.value)
    assert "UNODC country statistics" in msg and "Burkina Faso (BFA" in msg and "(CIV" in msg
    assert "nothing for Mali (MLI)" in msg
    # Colombia and Ecuador now hold records, located to municipalities and provinces: too
    # coarse for resolution 8 (issue 15), no longer "no point data"
    with pytest.raises(risk.TooCoarse):
        risk.plan(con, 8, risk.preset_area("TRIGGER"))
    with pytest.raises(risk.TooCoarse):
        risk.plan(con, 8, risk.preset_area("US_SW"))
    # CBP records carry the extent of their area of responsibility (hundreds of km), not the
    # 5 km of their headquarters town: they no longer rank targets at resolution 5 (issue 15)
    with pytest.raises(risk.TooCoarse) as e:
        risk.plan(con, 5, risk.preset_area("US_SW"), n=8, min_spacing_km=25)
    assert "km cell edge" in str(e.value)


def test_border_part_applies_on_a_border_with_no_known_crossing(tmp_path):
    """KAFO: no official crossing is known on BFA-MLI, so the 'crossing within the zone' rule that
    zeroes Toronto's lake line cannot judge it; the border part follows distance alone there."""
    from intel.hexbin import bin_points
    from intel.store import connect

    spots = {"near": (10.95, -5.2, 4), "far": (11.18, -4.30, 4)}   # 23.9 and 103.8 km from BFA-MLI
    rows, i = [], 0
    for name, (lat, lon, n) in spots.items():
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        for _ in range(n):
            rows.append((i + 1, 1, "t", f"{name}{i}", "accepted", "seizure", pd.Timestamp("2022-12-31").date(),
                         lat, lon, "exact", 1.0, c, "BFA"))
            i += 1
    path = tmp_path / "kafo.duckdb"
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
    df = risk.risk_scores(con, 6, None, ("2022-01-01", "2023-01-01"), {**ZERO, "border": 1.0})
    con.close()
    assert "border" not in df.attrs["not_applicable"], df.attrs["not_applicable"]
    near = df.loc[df["border_km"] < 50, "border"]
    assert len(near) and (near > 0).all()
    assert (df.loc[df["border_km"] > 60, "border"] == 0).all()


# ------------------------------------------------------------------ a structural part that fails (issue 13)
def _fail_links(monkeypatch, exc):
    """Make the re-seizure links part raise ``exc`` (wherever the score reads it from)."""
    def boom(*a, **k):
        raise exc
    import intel.links
    import intel.risk.scores as scores
    monkeypatch.setattr(intel.links, "seizure_links", boom)
    monkeypatch.setattr(scores, "seizure_links", boom, raising=False)


def test_a_part_that_fails_on_the_store_is_zero_and_named(small, monkeypatch):
    """A store without what the links part reads: the part is 0, ``attrs['failed']`` and the
    notes say so in one sentence, and the other parts are still computed."""
    import duckdb

    con, _ = small
    _fail_links(monkeypatch, duckdb.CatalogException("Table with name links does not exist"))
    df = risk.risk_scores(con, 8, None, ("2022-01-01", "2023-01-01"), components=("intensity", "links"))
    assert (df["links"] == 0).all() and (df["link_ends"] == 0).all()
    assert set(df.attrs["failed"]) == {"links"}
    assert df.attrs["failed"]["links"].startswith("Re-seizure links could not be computed (")
    assert df.attrs["failed"]["links"] in df.attrs["notes"]
    assert df["intensity"].max() == 1.0                      # the other part is still there


def test_a_defect_in_a_part_is_not_hidden_as_a_zero(small, monkeypatch):
    """A programming error (here a TypeError) in a structural part propagates: before, any
    exception, a missing module included, silently made the part 0."""
    con, _ = small
    _fail_links(monkeypatch, TypeError("unsupported operand"))
    with pytest.raises(TypeError, match="unsupported operand"):
        risk.risk_scores(con, 8, None, ("2022-01-01", "2023-01-01"), components=("intensity", "links"))


def test_structural_parts_are_imported_at_the_top_of_the_score_module():
    """The corridor and links modules are module-level imports of the score (a missing module fails
    when ``intel.risk`` is imported, never inside a try that turns it into a zero part)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(risk.__file__).parent / "scores.py").read_text(encoding="utf-8"))
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert {"intel.corridors", "intel.links"} <= top
    inner = [n.module for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             for n in ast.walk(f) if isinstance(n, ast.ImportFrom)]
    assert inner == []
