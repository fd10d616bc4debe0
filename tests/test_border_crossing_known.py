"""A crossing is named only on the place's own border (issue 15 item 4).

Hand-built borders (WGS84, degrees):

* AAA = box(-5, -5, 0, 5) and BBB = box(0, -5, 5, 5) share the meridian 0 from lat -5 to 5
  (AAA-BBB, 10 degrees of latitude, about 1,106 km);
* CCC = box(-5, 5, 5, 7) lies north of both (AAA-CCC and BBB-CCC along lat 5, about 554 km each);
* DDD = box(5, -0.5, 5.5, 0.5) sticks out east of BBB (BBB-DDD along lon 5 from lat -0.5 to 0.5,
  one degree of latitude across the equator, 110.574 km).

Crossings: "South gate" on AAA-BBB at (-4, 0); "North gate" on AAA-CCC at (5, -0.5). BBB-CCC
has none: a place there is the KAFO case. Reference figures: one degree of latitude across the
equator is 110.574 km; one degree of longitude along the parallel at latitude phi is
a cos(phi) / sqrt(1 - e2 sin2(phi)) * pi / 180 (a = 6378.137 km, e2 = 0.00669438).
"""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from intel import borders, store

A_KM, E2 = 6378.137, 0.00669437999014
DEG_LAT_EQ = 110.574  # km, meridian arc over one degree centred on the equator


def deg_lon_km(lat: float) -> float:
    """Length of one degree of longitude along the parallel at ``lat`` (WGS84), km."""
    p = math.radians(lat)
    return A_KM * math.cos(p) / math.sqrt(1 - E2 * math.sin(p) ** 2) * math.pi / 180


@pytest.fixture(scope="module")
def index():
    g = gpd.GeoDataFrame({"iso3": ["AAA", "BBB", "CCC", "DDD"]},
                         geometry=[box(-5, -5, 0, 5), box(0, -5, 5, 5), box(-5, 5, 5, 7), box(5, -0.5, 5.5, 0.5)],
                         crs="EPSG:4326")
    return borders.segments_from_countries(g)


@pytest.fixture()
def crossings():
    return pd.DataFrame({"crossing_id": ["T:1", "T:2"], "name": ["South gate", "North gate"],
                         "country_iso3": ["AAA", "AAA"], "other_iso3": ["BBB", "CCC"],
                         "latitude": [-4.0, 5.0], "longitude": [0.0, -0.5], "source": ["test", "test"]})


def test_hand_built_pairs(index):
    lengths = borders.border_lengths(index)
    assert set(lengths.index) == {"AAA-BBB", "AAA-CCC", "BBB-CCC", "BBB-DDD"}
    assert lengths["BBB-DDD"] == pytest.approx(DEG_LAT_EQ, rel=1e-3)
    assert lengths["AAA-CCC"] == pytest.approx(5 * deg_lon_km(5.0), rel=1e-3)


def test_place_near_a_crossing_on_its_own_border_gets_it(index, crossings):
    # (-4, 0.5) in BBB: 0.5 degree east of the AAA-BBB line, South gate due west on the same parallel
    r = borders.crossing_on_border([-4.0], [0.5], crossings, index=index)
    assert r["border_pair"][0] == "AAA-BBB"
    assert r["crossing_name"][0] == "South gate" and r["crossing_id"][0] == "T:1"
    assert r["crossing_km"][0] == pytest.approx(0.5 * deg_lon_km(4.0), abs=0.01)   # 55.52 km
    assert r["crossing_note"][0] is None and r["crossing_source"][0] == "test"
    assert r["limit_km"][0] == 250.0


def test_kafo_like_place_far_from_any_known_crossing_gets_the_note(index, crossings):
    # (4.8, 3) in BBB: 0.2 degree south of BBB-CCC, which has no crossing; North gate (on AAA-CCC)
    # lies about 390 km west and South gate (AAA-BBB) about 1,000 km south: neither is named
    r = borders.crossing_on_border([4.8], [3.0], crossings, index=index)
    assert r["border_pair"][0] == "BBB-CCC"
    assert r["border_km"][0] == pytest.approx(0.2 * DEG_LAT_EQ, rel=0.01)
    assert r["crossing_name"][0] is None and r["crossing_id"][0] is None and np.isnan(r["crossing_km"][0])
    assert r["crossing_note"][0] == "no official crossing known on this border (BBB-CCC)"


def test_crossing_on_another_border_is_not_named(index, crossings):
    # (4, -0.2) in AAA: nearest border AAA-BBB (0.2 degree east, 22 km) whose only crossing, South
    # gate, is 8 degrees (885 km) south; North gate is only about 115 km away but on AAA-CCC
    r = borders.crossing_on_border([4.0], [-0.2], crossings, index=index)
    assert r["border_pair"][0] == "AAA-BBB"
    assert r["crossing_name"][0] is None
    assert r["crossing_note"][0] == "no official crossing known within 250 km on this border (AAA-BBB)"
    # the old rule (nearest crossing of any border) would have named North gate
    from intel.geodesy import nearest
    i, d = nearest([4.0], [-0.2], crossings["latitude"], crossings["longitude"])
    assert crossings["name"][i[0]] == "North gate" and d[0] < 130


def test_limit_is_border_length_plus_distance_on_a_short_border(index):
    # BBB-DDD is 110.57 km long; a place in DDD 0.2 degree east of it may be told of a crossing only
    # within 110.57 + 22.26 km. "Outpost" is stated on BBB-DDD but published 1.5 degrees north of the
    # border's middle (flagged, kept as published): 216 km away, under 250 but over that limit
    cx = pd.DataFrame({"crossing_id": ["T:3"], "name": ["Outpost"], "country_iso3": ["BBB"], "other_iso3": ["DDD"],
                       "latitude": [1.5], "longitude": [5.3]})
    r = borders.crossing_on_border([-0.45], [5.2], cx, index=index)
    d = 0.2 * deg_lon_km(-0.45)
    assert r["border_pair"][0] == "BBB-DDD" and r["border_km"][0] == pytest.approx(d, abs=0.05)
    assert r["limit_km"][0] == pytest.approx(DEG_LAT_EQ + d, rel=2e-3)
    assert r["crossing_name"][0] is None
    assert r["crossing_note"][0] == f"no official crossing known within {DEG_LAT_EQ + d:,.0f} km on this border (BBB-DDD)"
    # a crossing in the middle of that border is named
    mid = cx.assign(latitude=[0.0], longitude=[5.0], name=["Bridge"])
    r2 = borders.crossing_on_border([-0.45], [5.2], mid, index=index)
    assert r2["crossing_name"][0] == "Bridge" and r2["crossing_km"][0] < r2["limit_km"][0]


def test_nan_places_and_no_crossings(index):
    r = borders.crossing_on_border([np.nan, 0.0], [0.0, 2.0], pd.DataFrame(columns=["name", "latitude", "longitude"]),
                                   index=index)
    assert r["crossing_note"][0] is None and r["border_pair"][0] is None
    assert r["crossing_note"][1] == "no official crossing known on this border (AAA-BBB)"
    assert borders.crossing_text(None, np.nan, r["crossing_note"][1]) == r["crossing_note"][1]
    assert borders.crossing_text("Rosso", 45.83, None) == "Rosso (45.8 km)"
    assert borders.crossing_text(None, np.nan, None) == "-"


def test_audit_counts_borders_without_crossings(index, crossings):
    a = borders.crossing_audit(["BBB"], crossings, index=index)
    assert a["pair"].tolist() == ["AAA-BBB", "BBB-CCC", "BBB-DDD"]
    assert a["crossings"].tolist() == [1, 0, 0]
    s = borders.audit_sentence(a, ["BBB"])
    assert s.startswith("Borders of the records' countries (BBB): 2 of 3 have no known official crossing: "
                        "BBB-CCC, BBB-DDD")


# ------------------------------------------------------------------------------ real borders, imported crossings
SIKASSO_AREA = (12.2, -5.0)   # in Mali, about 30 km from the Burkina Faso border
POST = (12.0066, -4.7613)     # a point on the BFA-MLI line of the bundled Natural Earth borders


def test_imported_crossing_is_used_at_once(tmp_path):
    """Bundled UN/LOCODE knows no crossing on BFA-MLI; an analyst's file adds one and the planner's
    target description names it straight away (and the audit line counts one border fewer)."""
    from click.testing import CliRunner

    from intel import risk
    from intel.cli.borders import crossings_cmd

    db = tmp_path / "t.duckdb"
    con = store.connect(db)
    borders.load_crossings(con)                     # the bundled UN/LOCODE 2012-1 list
    targets = pd.DataFrame({"latitude": [SIKASSO_AREA[0]], "longitude": [SIKASSO_AREA[1]]})
    before = risk.describe_targets(con, targets)
    assert before["nearest_crossing"][0] is None and np.isnan(before["crossing_km"][0])
    assert before["crossing_note"][0] == "no official crossing known on this border (BFA-MLI)"
    con.close()

    csv = tmp_path / "posts.csv"
    csv.write_text(f"name,country_pair,latitude,longitude,type\nHand-placed test post,MLI-BFA,{POST[0]},{POST[1]},road\n")
    r = CliRunner().invoke(crossings_cmd, [str(csv), "--db", str(db)])
    assert r.exit_code == 0, r.output
    # BFA has 6 land borders and MLI 7, one shared: 12 pairs, of which only BFA-MLI now has a crossing
    assert "Borders of the records' countries (BFA, MLI): 11 of 12 have no known official crossing" in r.output
    assert "BFA-MLI," not in r.output

    con = store.connect(db, read_only=True)
    after = risk.describe_targets(con, targets)
    assert after["nearest_crossing"][0] == "Hand-placed test post" and after["crossing_source"][0] == "analyst"
    assert after["crossing_note"][0] is None and 20 < after["crossing_km"][0] < 50
    assert "crossing_note" in risk.TARGET_COLUMNS


@pytest.mark.slow   # 77 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_tooltips_show_the_note_not_a_far_crossing():
    import json

    import h3

    from intel.render import borders as rb
    from intel.render import hexagons

    note = "no official crossing known on this border (BFA-MLI)"
    cells = [h3.latlng_to_cell(11.3, -5.6 + 0.1 * i, 6) for i in range(2)]
    t = pd.DataFrame({"h3": cells, "rank": [1, 2], "score": [2.0, 1.0], "events": [3, 1],
                      "nearest_town": ["Sikasso", "Sikasso"], "town_km": [1.0, 9.0],
                      "nearest_crossing": [None, "<b>Post</b>"], "crossing_km": [np.nan, 12.04],
                      "crossing_note": [note, None], "latitude": [11.3, 11.3], "longitude": [-5.6, -5.5]})
    deck, _ = hexagons.target_deck(t, t[["h3", "score"]])
    spec = json.loads(deck.to_json())
    data = [la for la in spec["layers"] if la["id"] == "target-cells"][0]["data"]
    assert [d["crossing"] for d in data] == [note, "&lt;b&gt;Post&lt;/b&gt; (12.0 km)"]
    assert "{crossing}" in hexagons.TARGET_TOOLTIP["text"]
    cand = pd.DataFrame({"rank": [1], "latitude": [11.3], "longitude": [-5.6], "events": [2], "firearms": [3.0],
                         "last_date": ["2024-05-01"], "nearest_crossing": [None], "nearest_crossing_km": [np.nan],
                         "crossing_note": [note]})
    rings = rb.bypass_layers(cand)[0]
    assert rings.data[0]["tip"].endswith(note)
