"""Corridors: hand-built flows whose cells are known, the ATF facts from the real CSV, exports, CLI."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import h3
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intel import corridors as C  # noqa: E402
from intel import geodesy, greatcircle  # noqa: E402
from intel.corridors import workers  # noqa: E402
from intel import store  # noqa: E402
from intel.render import corridors as R  # noqa: E402
from intel.render.deck import offline_deck, view_for  # noqa: E402

METHODS = ["path", "sample"]


def hexes(cells) -> set[str]:
    return {h3.int_to_str(int(c)) for c in cells}


def dense_cells(lats, lons, res) -> set[str]:
    """Independent reference: h3-py on explicitly listed points (no slerp, no h3ronpy)."""
    return {h3.latlng_to_cell(float(a), float(b), res) for a, b in zip(lats, lons)}


def flows_frame(rows):
    df = pd.DataFrame(rows, columns=["origin", "destination", "origin_lat", "origin_lon", "destination_lat",
                                     "destination_lon", "weight", "period_start", "period_end"])
    df["origin_name"], df["destination_name"] = df["origin"], df["destination"]
    df["flow_id"], df["source"], df["flow_type"] = range(1, len(df) + 1), "test", "od"
    for c in ("period_start", "period_end"):
        df[c] = pd.to_datetime(df[c])
    return df[C.FLOW_COLUMNS]


# --------------------------------------------------------------------------- great circles
def test_great_circle_points_known_midpoints_and_spacing():
    lat, lon, fl, frac = greatcircle.great_circle_points([0, 0], [0, 179.5], [0, 0], [90, -179.5], 1000.0)
    a = fl == 0
    # (0, 0) -> (0, 90): 10,008 km, 11 segments; the midpoint is (0, 45)
    assert np.isclose(lat[a][0], 0) and np.isclose(lon[a][-1], 90)
    mid = np.argmin(np.abs(frac[a] - 0.5))
    assert abs(frac[a][mid] - 0.5) < 0.05
    assert np.allclose(lat[a], 0, atol=1e-9)
    steps = geodesy.central_angle(lat[a][:-1], lon[a][:-1], lat[a][1:], lon[a][1:]) * geodesy.EARTH_RADIUS_KM
    assert steps.max() <= 1000.0 + 1e-6
    # across the antimeridian: two points (111 km < 1000 km), longitudes stay near +-180
    b = fl == 1
    assert np.all(np.abs(lon[b]) >= 179.5 - 1e-9)


def test_great_circle_distance_new_york_to_london():
    # published great-circle distance JFK-LHR about 5,540 km (sphere radius 6371 km)
    d = geodesy.central_angle(40.6413, -73.7781, 51.4700, -0.4543) * geodesy.EARTH_RADIUS_KM
    assert 5530 < float(d) < 5560


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        C.flow_cells([95], [0], [0], [0], 3)
    with pytest.raises(ValueError):
        C.flow_cells([0], [0], [0], [0], 3, method="magic")
    with pytest.raises(ValueError):
        greatcircle.great_circle_points([0], [0], [1], [1], 0)


# --------------------------------------------------------------------------- cells of hand-built flows
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("res", [0, 3, 6, 9])
def test_flow_from_a_point_to_itself_is_one_cell(method, res):
    f, c = C.flow_cells([43.65], [-79.38], [43.65], [-79.38], res, method=method)
    assert list(f) == [0]
    assert hexes(c) == {h3.latlng_to_cell(43.65, -79.38, res)}


EQUATOR_RES3 = {"83754efffffffff", "837548fffffffff", "83754cfffffffff", "83754dfffffffff", "83756bfffffffff"}


def test_short_flow_along_the_equator_at_res3():
    # reference: h3-py on 20,001 points of the equator between 0 and 2 degrees east
    lons = np.linspace(0, 2, 20001)
    assert dense_cells(np.zeros_like(lons), lons, 3) == EQUATOR_RES3
    _, c = C.flow_cells([0], [0], [0], [2], 3, method="sample")
    assert hexes(c) == EQUATOR_RES3
    # the H3 line is a connected chain inside the same set, from the origin cell to the destination cell
    _, c = C.flow_cells([0], [0], [0], [2], 3, method="path")
    got = hexes(c)
    assert got <= EQUATOR_RES3
    assert {h3.latlng_to_cell(0, 0, 3), h3.latlng_to_cell(0, 2, 3)} <= got
    assert nx_connected(got)


def nx_connected(cells: set[str]) -> bool:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(cells)
    for a in cells:
        for b in cells:
            if a < b and h3.are_neighbor_cells(a, b):
                g.add_edge(a, b)
    return nx.is_connected(g)


ANTIMERIDIAN_RES3 = {"837ea2fffffffff", "837eb0fffffffff", "837eb5fffffffff"}


@pytest.mark.parametrize("method", METHODS)
def test_flow_across_the_180th_meridian_stays_near_it(method):
    lons = np.r_[np.linspace(179.5, 180, 3000), np.linspace(-180, -179.5, 3000)]
    assert dense_cells(np.zeros_like(lons), lons, 3) == ANTIMERIDIAN_RES3
    _, c = C.flow_cells([0], [179.5], [0], [-179.5], 3, method=method)
    assert hexes(c) == ANTIMERIDIAN_RES3
    # at res 5 (edge 9.9 km): about a dozen cells, every centre within 0.6 degrees of the meridian
    _, c = C.flow_cells([0], [179.5], [0], [-179.5], 5, method=method)
    centres = np.array([h3.cell_to_latlng(h) for h in hexes(c)])
    assert 8 <= len(centres) <= 30
    assert np.all(np.abs(centres[:, 1]) > 179.3)
    assert np.all(np.abs(centres[:, 0]) < 0.3)


def test_path_chain_stays_within_one_cell_of_the_sampled_corridor():
    # New York -> Atlanta at res 5: H3 grid paths round in IJ space, so a chain cell may sit next to the
    # great circle rather than on it, but never further than one cell away
    _, s = C.flow_cells([40.71], [-74.0], [33.75], [-84.39], 5, method="sample")
    _, p = C.flow_cells([40.71], [-74.0], [33.75], [-84.39], 5, method="path")
    s, p = hexes(s), hexes(p)
    assert len(p & s) >= 0.7 * len(p)
    assert all(c in s or any(n in s for n in h3.grid_disk(c, 1)) for c in p)
    assert len(s) >= len(p) and nx_connected(p)


def test_each_flow_counts_once_per_cell_and_identical_paths_add_up():
    rows = [
        ("A", "B", 0, 0, 0, 2, 10.0, "2020-01-01", "2021-01-01"),
        ("A", "B", 0, 0, 0, 2, 5.0, "2021-01-01", "2022-01-01"),
        ("C", "C", 10, 10, 10, 10, 7.0, "2020-01-01", "2021-01-01"),
    ]
    d = C.corridor_density(flows_frame(rows), 3, method="sample")
    eq = d[d["h3"].isin(EQUATOR_RES3)]
    assert set(eq["h3"]) == EQUATOR_RES3
    assert (eq["weight"] == 15.0).all() and (eq["flows"] == 2).all()
    point = d[d["h3"] == h3.latlng_to_cell(10, 10, 3)]
    assert point["weight"].tolist() == [7.0] and point["flows"].tolist() == [1]
    assert d["rank"].tolist() == list(range(1, len(d) + 1))
    assert d["weight"].is_monotonic_decreasing
    # flows expanded from shared paths equal flows computed one by one
    f_all, c_all = C.flow_cells([0, 0, 10], [0, 0, 10], [0, 0, 10], [2, 2, 10], 3, method="path")
    for i in range(3):
        lat0, lon0, lat1, lon1 = [(0, 0, 0, 2), (0, 0, 0, 2), (10, 10, 10, 10)][i]
        _, ci = C.flow_cells([lat0], [lon0], [lat1], [lon1], 3, method="path")
        assert hexes(c_all[f_all == i]) == hexes(ci)
    pairs = pd.DataFrame({"f": f_all, "c": c_all})
    assert not pairs.duplicated().any()


def test_through_only_drops_the_end_cells():
    rows = [("A", "B", 0, 0, 0, 2, 1.0, "2020-01-01", "2021-01-01")]
    d = C.corridor_density(flows_frame(rows), 3, method="sample", include_ends=False)
    assert set(d["h3"]) == EQUATOR_RES3 - {h3.latlng_to_cell(0, 0, 3), h3.latlng_to_cell(0, 2, 3)}


def test_pentagon_distortion_falls_back_to_sampling():
    lat, lon = h3.cell_to_latlng(h3.get_pentagons(0)[0])
    f, c = C.flow_cells([lat - 2], [lon - 2], [lat + 2], [lon + 2], 6, method="path")
    assert len(c) > 50
    assert h3.latlng_to_cell(lat - 2, lon - 2, 6) in hexes(c)


def test_empty_flows_give_an_empty_density():
    d = C.corridor_density(flows_frame([]), 5)
    assert d.empty and list(d.columns) == ["cell", "h3", "weight", "flows", "rank", "share"]


# --------------------------------------------------------------------------- pairs, exports
def test_rank_pairs_with_change_between_periods():
    rows = [
        ("A", "B", 0, 0, 1, 1, 10.0, "2018-01-01", "2019-01-01"),
        ("A", "B", 0, 0, 1, 1, 30.0, "2020-01-01", "2021-01-01"),
        ("C", "B", 2, 2, 1, 1, 50.0, "2018-01-01", "2019-01-01"),
        ("C", "B", 2, 2, 1, 1, 20.0, "2020-01-01", "2021-01-01"),
        ("D", "B", 3, 3, 1, 1, 5.0, "2020-01-01", "2021-01-01"),
    ]
    r = C.rank_pairs(flows_frame(rows), ("2018-01-01", "2019-01-01"), ("2020-01-01", "2021-01-01"))
    assert r["origin"].tolist() == ["A", "C", "D"]
    assert r["weight_b"].tolist() == [30.0, 20.0, 5.0]
    assert r["change"].tolist() == [20.0, -30.0, 5.0]
    assert r["change_pct"].iloc[0] == pytest.approx(200.0) and np.isnan(r["change_pct"].iloc[2])
    assert r["rank_change"].tolist() == [1, -1, 0]


def test_geojson_lines_are_lon_lat_and_split_at_the_antimeridian():
    rows = [("W", "E", 0, 179.5, 0, -179.5, 3.0, "2020-01-01", "2021-01-01"),
            ("NY", "GA", 40.7, -74.0, 33.7, -84.4, 2.0, "2020-01-01", "2021-01-01")]
    gj = C.flows_geojson(flows_frame(rows), spacing_km=20)
    a, b = gj["features"]
    assert a["geometry"]["type"] == "MultiLineString"
    p1, p2 = a["geometry"]["coordinates"]
    assert p1[0] == [179.5, 0.0] and p1[-1][0] == 180.0
    assert p2[0][0] == -180.0 and p2[-1] == [-179.5, 0.0]
    assert abs(p1[-1][1]) < 1e-6 and p1[-1][1] == p2[0][1]
    assert b["geometry"]["type"] == "LineString"
    assert b["geometry"]["coordinates"][0] == [-74.0, 40.7]
    assert b["properties"]["weight"] == 2.0 and b["properties"]["period_start"] == "2020-01-01"
    json.dumps(gj)


def test_csv_frames_and_layers():
    rows = [("NY", "GA", 40.7, -74.0, 33.7, -84.4, 200.0, "2020-01-01", "2021-01-01"),
            ("VA", "GA", 38.0, -78.5, 33.7, -84.4, 20.0, "2020-03-01", "2020-04-01")]
    f = flows_frame(rows)
    csv = C.flows_csv_frame(f)
    assert csv.columns[:4].tolist() == ["origin", "destination", "weight", "period"]
    assert csv["period"].tolist() == ["2020", "2020-03-01/2020-04-01"]
    arcs = R.arc_records(f, min_weight=50)
    assert arcs["origin"].tolist() == ["NY"]
    layer = R.arc_layer(arcs)
    assert layer.type == "ArcLayer"
    chev = R.chevron_paths(arcs)
    assert len(chev) >= 1
    # the chevron tip lies on the path and its arms trail behind it (towards the origin, north-east)
    tip = chev["path"].iloc[0][1]
    arm = chev["path"].iloc[0][0]
    assert geodesy.central_angle(arm[1], arm[0], 40.7, -74.0) < geodesy.central_angle(tip[1], tip[0], 40.7, -74.0)
    dens = C.corridor_density(f, 4)
    hl = R.corridor_layer(dens)
    assert hl.type == "H3HexagonLayer" and isinstance(hl.data[0]["h3"], str)
    d = offline_deck([hl, layer, R.chevron_layer(chev)], view_for([40.7], [-74.0]), R.TOOLTIP)
    assert d.map_provider is None


# --------------------------------------------------------------------------- ATF from the real CSV
@pytest.fixture(scope="module")
def atf_con():
    con = store.connect(":memory:")
    n = C.load_atf_flows(con, C.ATF_CSV, batch_id=7)
    yield con, n
    con.close()


def test_atf_rows_skipped_with_reasons(atf_con):
    con, n = atf_con
    read = C.load_atf_flows.last_read
    assert read.rows_read == 33330
    assert read.skipped["total row"] == 1200
    assert n == 33330 - sum(read.skipped.values())
    assert set(read.skipped) <= {"total row", "zero firearms", "unknown place", "unreadable number"}
    assert "unknown place" not in read.skipped
    assert con.execute("SELECT count(*) FROM flows WHERE batch_id = 7").fetchone()[0] == n
    detail = json.loads(con.execute("SELECT detail FROM audit WHERE action = 'flows.atf'").fetchone()[0])
    assert detail["skipped"]["total row"] == 1200


def test_atf_facts(atf_con):
    con, _ = atf_con
    row = con.execute("""SELECT weight FROM flows WHERE origin = 'AL' AND destination = 'AL'
                         AND period_start = DATE '2017-01-01'""").fetchall()
    assert row == [(4212.0,)]
    f = C.query_flows(con, "2020-01-01", "2021-01-01", interstate_only=True)
    top = f.sort_values("weight", ascending=False).iloc[0]
    assert (top["origin"], top["destination"], top["weight"]) == ("AZ", "CA", 3352.0)
    assert (top["origin_name"], top["destination_name"]) == ("Arizona", "California")
    assert top["period_start"] == pd.Timestamp("2020-01-01") and top["period_end"] == pd.Timestamp("2021-01-01")
    years = sorted(pd.to_datetime(C.stored_flows(con)["period_start"]).dt.year.unique())
    assert years == list(range(2010, 2021))
    assert con.execute("SELECT count(*) FROM flows WHERE origin IS NULL OR origin_lat IS NULL").fetchone()[0] == 0
    # Canada is a recovery place in 2012, coded ISO3
    assert con.execute("SELECT count(*) FROM flows WHERE destination = 'CAN'").fetchone()[0] > 0


def test_atf_new_york_sources_run_up_the_east_coast(atf_con):
    con, _ = atf_con
    f = C.query_flows(con, "2010-01-01", "2021-01-01", destinations=["New York"], interstate_only=True)
    top6 = set(C.aggregate_flows(f)["origin"].head(6))
    assert top6 == {"VA", "GA", "SC", "NC", "PA", "FL"}
    # the corridor cells of those flows include cells in Virginia/Maryland between the Carolinas and New York
    d = C.corridor_density(f, 4, include_ends=False)
    centres = np.array([h3.cell_to_latlng(h) for h in d["h3"].head(30)])
    assert ((centres[:, 0] > 36) & (centres[:, 0] < 42) & (centres[:, 1] > -80) & (centres[:, 1] < -74)).any()


def test_state_points_inside_their_state():
    p = C.state_points().set_index("code")
    assert len(p) >= 54  # 50 states, DC, PR, GU, VI (+ AS, MP)
    assert 40 < p.at["NY", "latitude"] < 45.1 and -80 < p.at["NY", "longitude"] < -71.8
    assert 17.5 < p.at["VI", "latitude"] < 18.5
    assert p.at["GU", "longitude"] > 144


# --------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def atf_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("cor") / "intel.duckdb"
    con = store.connect(db)
    C.load_atf_flows(con, C.ATF_CSV)
    con.close()
    return db


def test_cli_corridors_and_flows(atf_db, tmp_path):
    from click.testing import CliRunner

    from intel.cli.corridors import corridors_cmd, flows_cmd

    out = tmp_path / "c.csv"
    r = CliRunner().invoke(corridors_cmd, ["--db", str(atf_db), "--res", "4", "--from-year", "2020",
                                           "--to-year", "2020", "--out", str(out), "--interstate-only"])
    assert r.exit_code == 0, r.output
    c = pd.read_csv(out)
    assert c.columns[:6].tolist() == ["marking", "cell", "latitude", "longitude", "weight", "rank"]   # marking first (issue 19)
    assert c["rank"].tolist()[:3] == [1, 2, 3]
    assert h3.is_valid_cell(c["cell"].iloc[0])
    out2 = tmp_path / "f.csv"
    r = CliRunner().invoke(flows_cmd, ["--db", str(atf_db), "--out", str(out2)])
    assert r.exit_code == 0, r.output
    f = pd.read_csv(out2, dtype={"period": str})
    assert f.columns[:5].tolist() == ["marking", "origin", "destination", "weight", "period"]
    hit = f[(f.origin == "AZ") & (f.destination == "CA") & (f.period == "2020")]
    assert hit["weight"].tolist() == [3352.0]


def test_cli_plain_sentences_on_failure(tmp_path):
    from click.testing import CliRunner

    from intel.cli.corridors import corridors_cmd, flows_cmd

    r = CliRunner().invoke(flows_cmd, ["--db", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(corridors_cmd, ["--db", str(tmp_path / "missing.duckdb"), "--from-year", "2020",
                                           "--to-year", "2019", "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "before" in r.output


# --------------------------------------------------------------------------- worker processes, binning
def us_flows(n, seed=11):
    """``n`` synthetic flows in the contiguous U.S. box (a fifth repeat earlier end points), weights not integral."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"origin_lat": rng.uniform(25, 49, n), "origin_lon": rng.uniform(-124, -67, n),
                       "destination_lat": rng.uniform(25, 49, n), "destination_lon": rng.uniform(-124, -67, n),
                       "weight": rng.integers(1, 500, n) * 0.37})
    rep = rng.random(n) < 0.2
    src = rng.integers(0, n, n)
    cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
    df.loc[rep, cols] = df.loc[src[rep], cols].to_numpy()
    return df


def reference_density(df, res, method):
    """The binning of the corridor density written the plain way: weights summed per distinct path
    (as the module does), the path's cells from flow_cells, then pandas factorize + bincount."""
    ends = df[["origin_lat", "origin_lon", "destination_lat", "destination_lon"]].to_numpy()
    u, code = np.unique(np.round(ends, 7), axis=0, return_inverse=True)
    pw = np.bincount(code.ravel(), weights=df["weight"].to_numpy(), minlength=len(u))
    pn = np.bincount(code.ravel(), minlength=len(u))
    f, c = C.flow_cells(u[:, 0], u[:, 1], u[:, 2], u[:, 3], res, method=method, workers=1)
    codes, uniq = pd.factorize(c)
    w = np.bincount(codes, weights=pw[f], minlength=len(uniq))
    n = np.bincount(codes, weights=pn[f], minlength=len(uniq))
    return pd.DataFrame({"h3": [h3.int_to_str(int(x)) for x in uniq], "weight": w, "flows": n})


@pytest.mark.slow   # 17-41 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
@pytest.mark.parametrize("method", METHODS)
def test_worker_process_gives_the_single_process_result(method, caplog):
    df = us_flows(3000)
    args = (df.origin_lat, df.origin_lon, df.destination_lat, df.destination_lon, 6)
    assert workers._workers(np.zeros((3000, 4)), 6, None) == 1  # small calls stay in one process by default
    u = np.unique(np.round(df[["origin_lat", "origin_lon", "destination_lat", "destination_lon"]].to_numpy(), 7), axis=0)
    assert len(workers._part_bounds(u, 2)) == 2  # forced: two parts, one laid out in a worker process
    with caplog.at_level("WARNING", logger="intel.corridors"):
        f1, c1 = C.flow_cells(*args, method=method, workers=1)
        f2, c2 = C.flow_cells(*args, method=method, workers=2)
        assert np.array_equal(f1, f2) and np.array_equal(c1, c2)
        for ends in (True, False):
            d1 = C.corridor_density(df, 6, method=method, include_ends=ends, workers=1)
            d2 = C.corridor_density(df, 6, method=method, include_ends=ends, workers=2)
            pd.testing.assert_frame_equal(d1, d2, check_exact=True)
    assert not [r for r in caplog.records if "worker" in r.getMessage()]  # the worker did run


def test_a_worker_that_cannot_start_falls_back_to_this_process(monkeypatch, caplog):
    df = us_flows(2500, seed=3)
    d1 = C.corridor_density(df, 6, workers=1)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with caplog.at_level("WARNING", logger="intel.corridors"):
        d2 = C.corridor_density(df, 6, workers=2)
    pd.testing.assert_frame_equal(d1, d2, check_exact=True)
    assert any("did not start" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("res, box, method", [
    (6, (25, 49, -124, -67), "path"),     # one region: cells binned by id offset
    (6, (-60, 70, -180, 180), "sample"),  # the world at res 6: id range too wide, hash table
    (2, (-60, 70, -180, 180), "path"),
])
def test_density_binning_equals_the_plain_factorize_sums(res, box, method):
    rng = np.random.default_rng(res)
    n = 40 if method == "sample" else 300
    df = pd.DataFrame({"origin_lat": rng.uniform(box[0], box[1], n), "origin_lon": rng.uniform(box[2], box[3], n),
                       "destination_lat": rng.uniform(box[0], box[1], n),
                       "destination_lon": rng.uniform(box[2], box[3], n), "weight": rng.random(n) * 10})
    if method == "sample":  # keep sampled paths short (sampling is dense), but spread over the world
        lat1, lon1 = geodesy.destination_point(df.origin_lat, df.origin_lon, rng.uniform(0, 360, n), rng.uniform(0, 60, n))
        df["destination_lat"], df["destination_lon"] = lat1, (lon1 + 180) % 360 - 180
    df = pd.concat([df, df.iloc[:10].assign(weight=1.5)], ignore_index=True)  # shared paths: flows > 1 per path
    got = C.corridor_density(df, res, method=method, workers=1)
    ref = reference_density(df, res, method).set_index("h3").loc[got["h3"]]
    assert len(ref) == len(got)
    assert np.array_equal(ref["weight"].to_numpy(), got["weight"].to_numpy())  # same sums, same rounding
    assert np.array_equal(ref["flows"].to_numpy(), got["flows"].to_numpy())
    assert np.array_equal(got["cell"].to_numpy(), np.array([h3.str_to_int(h) for h in got["h3"]], dtype="uint64"))
