"""Tests of intel.hotspots: Gi* against esda, hand-computed grids, pentagons, edges, BH, export, CLI."""
from __future__ import annotations

import json
import warnings

import h3
import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, norm

from intel import hotspots as hs
from intel.hexbin import bin_points
from intel.inference import benjamini_hochberg

TORONTO = (43.70, -79.40)


def cells_of(hexes) -> np.ndarray:
    return np.array(sorted(h3.str_to_int(c) for c in hexes), dtype="uint64")


def esda_z(cells, y, W):
    from esda.getisord import G_Local
    from libpysal.weights import WSP

    w = WSP(W).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return G_Local(y, w, transform="B", star=True, permutations=0).Zs


# ---------------------------------------------------------------- Gi* vs esda
@pytest.mark.parametrize("k", [1, 2, 3])
def test_gi_star_equals_esda(k):
    rng = np.random.default_rng(7)
    centre = h3.latlng_to_cell(*TORONTO, 8)
    cells = cells_of(h3.grid_disk(centre, 12))
    cells = cells[rng.random(cells.size) < 0.85]  # ragged edge, holes: edge cells lose neighbours
    y = rng.poisson(0.8, cells.size).astype(float)
    y[:5] += 10
    df = hs.gi_star(cells, y, k, fdr=False)
    W = hs.neighbour_matrix(cells, k)
    np.testing.assert_allclose(df["z"].to_numpy(), esda_z(cells, y, W), rtol=0, atol=1e-9)
    assert (df["cell"].to_numpy() == cells).all()
    assert df["h3"].tolist() == [h3.int_to_str(int(c)) for c in cells]


def test_neighbour_matrix_matches_h3_grid_disk():
    centre = h3.latlng_to_cell(*TORONTO, 7)
    cells = cells_of(h3.grid_disk(centre, 4))
    W = hs.neighbour_matrix(cells, 2).tocsr()
    area = set(int(c) for c in cells)
    for i, c in enumerate(cells):
        want = {h3.str_to_int(x) for x in h3.grid_disk(h3.int_to_str(int(c)), 2)} & area
        got = {int(cells[j]) for j in W[i].indices}
        assert got == want
    assert abs(W - W.T).sum() == 0


# ---------------------------------------------------------------- hand-computed 7-cell grid
def test_hand_computed_seven_cells():
    """Centre c and its ring r0..r5; r0 holds 3 events, every other cell 0; k = 1.

    n = 7, mean = 3/7, sum x^2 = 9, S^2 = 9/7 - 9/49 = 54/49, S = sqrt(54)/7.
    A ring cell's neighbourhood inside the area is itself, its two ring neighbours and c: W_i = 4,
    so sqrt((n W_i - W_i^2)/(n-1)) = sqrt((28-16)/6) = sqrt(2) and the denominator is sqrt(108)/7.
    * r0 and its two ring neighbours: sum = 3, z = (3 - 4*3/7) / (sqrt(108)/7) = 9/sqrt(108) = sqrt(3)/2.
    * the three other ring cells: sum = 0, z = (-12/7) / (sqrt(108)/7) = -12/sqrt(108) = -2/sqrt(3).
    * c: its neighbourhood is the whole area (W_i = n), variance 0, no z-score (NaN), p = 1.
    """
    c = h3.latlng_to_cell(*TORONTO, 8)
    ring = sorted(h3.grid_ring(c, 1))
    r0 = ring[0]
    cells = cells_of([c] + ring)
    y = np.array([3.0 if h3.int_to_str(int(x)) == r0 else 0.0 for x in cells])
    df = hs.gi_star(cells, y, 1, fdr=False, method="normal").set_index("h3")
    assert np.isnan(df.loc[c, "z"]) and df.loc[c, "p"] == 1.0 and df.loc[c, "bin"] == 0
    for r in ring:
        near = r == r0 or h3.are_neighbor_cells(r, r0)
        want = np.sqrt(3) / 2 if near else -2 / np.sqrt(3)
        assert df.loc[r, "z"] == pytest.approx(want, abs=1e-12)
        assert df.loc[r, "neighbours"] == 4
        assert df.loc[r, "p"] == pytest.approx(2 * norm.sf(abs(want)), abs=1e-12)
    # r0 has events but every other cell of its k-ring is empty: flagged as isolated
    assert df.index[df["isolated"]].tolist() == [r0]


# ---------------------------------------------------------------- pentagons and edges
@pytest.mark.parametrize("res", [2, 5])
def test_pentagon_has_five_neighbours(res):
    pent = h3.get_pentagons(res)[3]
    cells = cells_of(h3.grid_disk(pent, 3))
    W = hs.neighbour_matrix(cells, 1)
    i = int(np.searchsorted(cells, h3.str_to_int(pent)))
    assert W[i].nnz == 6  # 5 neighbours + itself
    rng = np.random.default_rng(res)
    y = rng.poisson(2.0, cells.size).astype(float)
    df = hs.gi_star(cells, y, 1, fdr=False)
    np.testing.assert_allclose(df["z"].to_numpy(), esda_z(cells, y, W), atol=1e-9)
    assert df.loc[i, "neighbours"] == 6


def test_edge_cells_have_fewer_neighbours_and_outside_does_not_count():
    c = h3.latlng_to_cell(*TORONTO, 8)
    area = cells_of(h3.grid_disk(c, 2))  # 19 cells
    df = hs.gi_star(area, np.arange(area.size, dtype=float), 1, fdr=False).set_index("h3")
    assert df.loc[c, "neighbours"] == 7
    outer = h3.grid_ring(c, 2)
    # self included: the 6 corner cells of ring 2 keep 3 neighbours inside, the 6 side cells 4
    assert sorted(df.loc[outer, "neighbours"].tolist()) == [4] * 6 + [5] * 6
    # an event just outside the area is not a neighbour of the edge cell next to it
    outside = h3.grid_ring(c, 3)[0]
    occ = cells_of([c, outside])
    y, out = hs.align(area, occ, np.array([5.0, 9.0]) if occ[0] == h3.str_to_int(c) else np.array([9.0, 5.0]))
    assert y.sum() == 5.0 and out == 9


def test_edge_cells_of_a_hand_built_area():
    """Issue 17: a cell is on the study-area edge when fewer than 6 of its neighbours are inside."""
    c = h3.latlng_to_cell(*TORONTO, 8)
    disk = cells_of(h3.grid_disk(c, 2))                    # centre, ring 1 (6), ring 2 (12); sorted
    edge = dict(zip(map(h3.int_to_str, disk.tolist()), hs.edge_cells(disk)))
    assert not edge[c] and not any(edge[x] for x in h3.grid_ring(c, 1))  # all 6 neighbours inside
    assert all(edge[x] for x in h3.grid_ring(c, 2))                      # 2 or 3 neighbours outside
    # a hole in the middle puts every ring-1 cell on the edge too (each loses the centre)
    assert hs.edge_cells(disk[disk != h3.str_to_int(c)]).all()
    # a pentagon with its 5 neighbours inside is not on the edge; its neighbours are
    p = h3.get_pentagons(5)[0]
    pdisk = cells_of(h3.grid_disk(p, 1))
    assert hs.edge_cells(pdisk).tolist() == [int(x) != h3.str_to_int(p) for x in pdisk]
    assert hs.edge_cells(np.zeros(0, dtype="uint64")).size == 0


def test_cold_edge_note_counts_cold_spots_on_the_edge():
    bins = np.array([-2, -1, -3, 0, 2, -1])
    note = hs.cold_edge_note(bins, np.array([True, True, False, True, False, False]))
    # 2 of the 4 cold cells are edge cells (50 %, the threshold); 3 of the 6 cells are edge cells
    assert note.startswith("2 of the 4 cold spot cells (50 %, against 50 % of all study-area cells) lie on the edge")
    assert "Getis & Ord 1992" in note and note.count(". ") == 0   # one sentence
    assert hs.cold_edge_note(bins, np.array([True, False, False, True, False, False])) is None  # 1 of 4
    assert hs.cold_edge_note(np.array([0, 2, 3]), np.array([True, True, True])) is None        # no cold spot
    with pytest.raises(ValueError):
        hs.cold_edge_note(bins, np.array([True]))


EDGE_BBOX = (-79.60, 43.60, -79.35, 43.75)


def make_edge_store(path, res: int = 7, bbox=EDGE_BBOX):
    """Every cell of a box holds 4 events except a band of empty cells along its west edge
    (about 3 km wide): the empty edge cells come out as cold spots."""
    import shapely

    from intel.store import connect
    from intel.studyarea import polygon_cells

    cells = polygon_cells(shapely.box(*bbox), res)
    ll = np.array([h3.cell_to_latlng(h3.int_to_str(int(x))) for x in cells])
    west = ll[:, 1] < bbox[0] + 0.04
    rows, i = [], 0
    for (lat, lon), empty in zip(ll, west):
        for _ in range(0 if empty else 4):
            i += 1
            rows.append((i, 1, "test", f"E{i}", "accepted", "discharge incident", "2023-05-01", float(lat), float(lon),
                         "exact", 1.0, int(bin_points(np.array([lat]), np.array([lon]))[0])))
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'test','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    return str(path)


def test_hotspots_from_store_says_when_cold_spots_sit_on_the_edge(tmp_path):
    """The empty cells along the box's west edge come out cold; the guardrails count the cold
    spots on the edge and say why in one sentence (issue 17)."""
    from intel.store import connect

    con = connect(make_edge_store(tmp_path / "edge.duckdb"), read_only=True)
    df, g = hs.hotspots_from_store(con, 7, 1, area="bbox", bbox=EDGE_BBOX, method="normal", fdr=False)
    con.close()
    cold = df["bin"] < 0
    assert g.cold_cells == int(cold.sum()) > 0
    assert df["edge"].tolist() == hs.edge_cells(df["cell"].to_numpy()).tolist()
    assert g.cold_edge_cells == int((cold & df["edge"]).sum()) >= 0.5 * g.cold_cells
    assert any("lie on the edge of the study area" in m and "Getis & Ord 1992" in m for m in g.messages)


def test_no_variation_raises_plain_sentence():
    cells = cells_of(h3.grid_disk(h3.latlng_to_cell(*TORONTO, 8), 2))
    with pytest.raises(hs.HotspotError, match="same value"):
        hs.gi_star(cells, np.zeros(cells.size))


# ---------------------------------------------------------------- BH and bins
def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(500), rng.random(100) * 1e-3, [0.01, 0.01, 0.5, 1.0]])
    np.testing.assert_allclose(benjamini_hochberg(p), false_discovery_control(p, method="bh"), atol=1e-15)
    p2 = np.array([0.01, np.nan, 0.04, 0.03])
    out = benjamini_hochberg(p2)
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3]], false_discovery_control(p2[[0, 2, 3]]), atol=1e-15)


def test_confidence_bins_and_fdr():
    z = np.array([3.0, 2.0, 1.7, 1.0, -2.7, -1.96, 0.0])
    p = hs.p_two_sided(z)
    assert hs.confidence_bins(z, p).tolist() == [3, 2, 1, 0, -3, 2 * -1, 0]
    # BH over m = 7 tests, by hand: sorted p = 0.0027 (z=3), 0.0069 (z=-2.7), 0.0455 (z=2), 0.0500 (z=-1.96),
    # 0.0891 (z=1.7), 0.3173 (z=1), 1 (z=0); p*m/rank = 0.0189, 0.0243, 0.1062, 0.0875, 0.1247, 0.370, 1;
    # running minimum from the right: 0.0189, 0.0243, 0.0875, 0.0875, 0.1247, 0.370, 1.
    padj = benjamini_hochberg(p)
    np.testing.assert_allclose(padj, [0.0189, 0.0875, 0.1247, 0.370, 0.0243, 0.0875, 1.0], atol=5e-4)
    assert hs.confidence_bins(z, padj).tolist() == [2, 1, 0, 0, -2, -1, 0]


# ---------------------------------------------------------------- study area
def test_study_area_extent_includes_zero_cells():
    rng = np.random.default_rng(1)
    lat = TORONTO[0] + rng.normal(0, 0.03, 200)
    lon = TORONTO[1] + rng.normal(0, 0.05, 200)
    occ = np.unique(bin_points(lat, lon, 8))
    sa = hs.study_area(occ, 8, "extent")
    assert np.isin(occ, sa.cells).all()
    assert sa.cells.size > occ.size  # empty cells inside the hull are part of the area
    assert "convex hull" in sa.description


def test_study_area_polygon_and_cap():
    import geopandas as gpd

    gdf = gpd.read_file("data/sources/boundaries/ne_10m_generalised_world_map.gpkg", layer="countries")
    lux = gdf.loc[gdf["ISO_A3"] == "LUX", "geometry"].union_all()
    sa = hs.study_area(None, 6, "countries", geometry=lux, label="Luxembourg")
    est = 2586 / h3.average_hexagon_area(6, unit="km^2")
    assert 0.8 * est < sa.cells.size < 3 * est + 20
    with pytest.raises(hs.HotspotError, match="limit"):
        hs.study_area(None, 9, "countries", geometry=lux, max_cells=1000)


# ---------------------------------------------------------------- store, guardrails, export, CLI
def make_store(path, n_cluster=80, n_background=60, coarse=5, seed=0):
    """A small store: a cluster of incidents in central Toronto plus background, 2 years."""
    from intel.store import connect

    rng = np.random.default_rng(seed)
    lat = np.concatenate([43.655 + rng.normal(0, 0.004, n_cluster), 43.70 + rng.normal(0, 0.06, n_background)])
    lon = np.concatenate([-79.385 + rng.normal(0, 0.005, n_cluster), -79.40 + rng.normal(0, 0.09, n_background)])
    n = lat.size
    days = rng.integers(0, 730, n)
    # the cluster intensifies: later dates for half of it
    days[: n_cluster // 2] = rng.integers(365, 730, n_cluster // 2)
    dates = pd.Timestamp("2022-01-01") + pd.to_timedelta(days, unit="D")
    cells = bin_points(lat, lon)
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'test','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    rows = [(i + 1, 1, "test", f"E{i}", "accepted", "discharge incident", dates[i].date(), float(lat[i]),
             float(lon[i]), "intersection", 1.0, int(cells[i])) for i in range(n)]
    rows += [(n + j + 1, 1, "test", f"C{j}", "accepted", "seizure", dates[j].date(), 43.7, -79.4, "admin-1", 2.0,
              int(cells[0])) for j in range(coarse)]
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    return str(path)


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "s.duckdb")


def test_hotspots_from_store_guardrails(store):
    from intel.store import connect

    con = connect(store, read_only=True)
    df, g = hs.hotspots_from_store(con, 8, 1, fdr=True, method="normal")
    assert g.left_out_precision_records == 5 and any("too coarse" in m for m in g.messages)
    assert g.events == 140 and g.study_cells == len(df) and not g.unreliable
    assert df.loc[0, "bin"] == 3  # the central cluster
    assert (df["value"] == 0).sum() > 0  # zero-count cells are in the study area
    df2, g2 = hs.hotspots_from_store(con, 8, 1, fdr=False, date_from="2022-01-01", date_to="2022-02-01")
    assert g2.unreliable and "cannot support" in g2.messages[0]
    assert any("False discovery rate correction is off" in m for m in g2.messages)
    fw, _ = hs.hotspots_from_store(con, 8, 1, value="firearms")
    assert fw["value"].sum() == 140
    with pytest.raises(hs.HotspotError, match="no located events"):
        hs.hotspots_from_store(con, 8, 1, date_from="1990-01-01", date_to="1990-02-01")
    con.close()


def test_export_formats(store, tmp_path):
    import geopandas as gpd

    from intel.store import connect

    con = connect(store, read_only=True)
    df, _ = hs.hotspots_from_store(con, 8, 1)
    con.close()
    csv = pd.read_csv(pd.io.common.BytesIO(hs.export_cells(df, "csv", columns=hs.HOTSPOT_COLUMNS)))
    at = hs.HOTSPOT_COLUMNS.index("h3") + 1
    cols = hs.HOTSPOT_COLUMNS[:at] + ["latitude", "longitude"] + hs.HOTSPOT_COLUMNS[at:]
    assert list(csv.columns) == cols and len(csv) == len(df)
    lat0, lon0 = h3.cell_to_latlng(csv.loc[0, "h3"])  # the cell centre, to the 6th decimal
    assert csv.loc[0, "latitude"] == pytest.approx(lat0, abs=1e-6) and csv.loc[0, "longitude"] == pytest.approx(lon0, abs=1e-6)
    gj = json.loads(hs.export_cells(df, "geojson", columns=hs.HOTSPOT_COLUMNS))
    f0 = gj["features"][0]
    ring = f0["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    lon, lat = ring[0]
    assert -80 < lon < -79 and 43 < lat < 44  # [lon, lat]
    assert f0["properties"]["h3"] == df.loc[0, "h3"]
    path = tmp_path / "h.parquet"
    hs.export_cells(df, "parquet", path, columns=hs.HOTSPOT_COLUMNS)
    g = gpd.read_parquet(path)
    assert g.crs.to_epsg() == 4326 and list(g.columns[:-1]) == cols
    c = g.geometry.iloc[0].centroid
    assert -80 < c.x < -79
    gp = tmp_path / "h.gpkg"
    assert hs.format_from_path(gp) == "gpkg"
    hs.export_cells(df, "gpkg", gp, columns=hs.HOTSPOT_COLUMNS)
    g2 = gpd.read_file(gp, layer="cells")
    assert g2.crs.to_epsg() == 4326 and len(g2) == len(df) and list(g2.columns[:-1]) == cols
    assert g2.geometry.iloc[0].geom_type == "Polygon"


def test_cli_hotspots(store, tmp_path):
    from click.testing import CliRunner

    from intel.cli.hotspots import hotspots_cmd

    out = tmp_path / "h.csv"
    r = CliRunner().invoke(hotspots_cmd, ["--db", store, "--res", "8", "--k", "1", "--fdr", "--from", "2022-01-01",
                                          "--to", "2024-01-01", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "hot spots" in r.output and "too coarse" in r.output
    assert list(pd.read_csv(out).columns) == ["marking", "h3", "latitude", "longitude"] + hs.HOTSPOT_COLUMNS[1:]
    r = CliRunner().invoke(hotspots_cmd, ["--db", store, "--res", "8", "--no-fdr", "--from", "1990-01-01",
                                          "--to", "1990-02-01", "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output and "no located events" in r.output
    r = CliRunner().invoke(hotspots_cmd, ["--db", str(tmp_path / "none.duckdb"), "--res", "8", "--out", str(out)])
    assert r.exit_code == 2 and "does not exist" in r.output
