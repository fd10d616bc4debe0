"""Study areas that follow the data (issue 15, item 3): hand-built clusters, hand-computed sizes."""
from __future__ import annotations

import re

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from intel import area_size
from intel import hotspots as hs
from intel import studyarea as sa
from intel.h3cells import cell_centres, from_hex

TORONTO = [(43.655, -79.385), (43.700, -79.450), (43.750, -79.300)]
ABIDJAN = [(5.330, -4.020), (5.360, -3.990), (5.400, -4.050)]


def _cells(points, res):
    return from_hex([h3.latlng_to_cell(la, lo, res) for la, lo in points])


def test_two_clusters_across_an_ocean_give_two_pieces_and_no_ocean_cell():
    res = 6
    occ = np.concatenate([_cells(TORONTO, res), _cells(ABIDJAN, res)])
    iso = ["CAN"] * 3 + ["CIV"] * 3
    area = sa.study_area(occ, res, "data", iso3=iso)             # no store: the bundled GeoPackage
    assert area.mode == "data" and area.pieces == ["CAN", "CIV"]
    lat, lon = cell_centres(area.cells)
    # no cell centre between Toronto (-79.5) and Abidjan (-4.1): nothing in the Atlantic
    assert not ((lon > -79.0) & (lon < -4.5)).any()
    assert (lon < -79.0).sum() > 0 and (lon > -4.5).sum() > 0     # both pieces are there
    assert np.isin(occ, area.cells).all()                          # occupied cells always included
    # each piece is its cluster's hull cut to land: well under a hundred res-6 cells each,
    # where the one hull of the old "extent" mode spans the ocean
    assert area.n_cells < 100
    ext = sa.study_area(occ, 3, "extent")
    # the one hull crosses the Atlantic, but only its cells on land are kept (coasts, islands)
    assert sa.on_land(None, np.setdiff1d(ext.cells, occ)).all()
    elat, elon = cell_centres(ext.cells)
    assert not ((elon > -55) & (elon < -30) & (elat > 10) & (elat < 40)).any()   # open ocean
    assert f"{area.n_cells:,} cells at resolution 6" in area.description
    assert area.attrs() == {"area": area.description, "area_mode": "data", "area_cells": area.n_cells,
                            "area_res": 6}


def test_record_without_country_takes_the_polygon_that_holds_it():
    res = 6
    occ = np.concatenate([_cells(TORONTO, res), _cells(ABIDJAN, res)])
    area = sa.study_area(occ, res, "data", iso3=[None] * 6)
    assert area.pieces == ["CAN", "CIV"]


def test_region_clusters_split_a_country():
    # two towns of Burkina Faso 330 km apart (Ouagadougou, Bobo-Dioulasso): two pieces, not the
    # land between them; one cell each, so each piece is the cell and the cells its hull touches
    res = 7
    occ = _cells([(12.3714, -1.5197), (11.1771, -4.2979)], res)
    assert sa.clusters(occ).tolist() == [0, 1]
    area = sa.study_area(occ, res, "data", iso3=["BFA", "BFA"])
    assert area.pieces == ["BFA (2 clusters)"]
    assert area.n_cells <= 2 * 7
    one = sa.study_area(occ, res, "data", iso3=["BFA", "BFA"], cluster_km=400)
    assert one.pieces == ["BFA"] and one.n_cells > 200             # one hull from town to town


def test_clusters_single_linkage_at_the_distance():
    # three cells on the equator about 44.5 km apart (0.4 degrees): a chain at 50 km, apart at 40 km
    occ = _cells([(0, 0), (0, 0.4), (0, 0.8)], 9)
    assert sa.clusters(occ, 50).tolist() == [0, 0, 0]
    assert len(set(sa.clusters(occ, 40).tolist())) == 3


def test_too_large_message_names_a_resolution_that_fits():
    # a 10 x 10 degree box on the equator: about 1.23 million km2; the H3 cells at its centre
    # (5 N, 5 E) are 29.3 km2 at res 6 and 4.2 km2 at res 7 (the means are 36.1 and 5.2 km2),
    # so about 42,000 cells at res 6 and 293,000 at res 7: with a cap of 50,000 res 6 fits
    box = shapely.box(0, 0, 10, 10)
    with pytest.raises(hs.HotspotError) as exc:
        sa.polygon_cells(box, 9, max_cells=50_000)
    msg = str(exc.value)
    fit = int(re.search(r"resolution (\d+) is the finest", msg).group(1))
    assert fit == 6
    cells = sa.polygon_cells(box, fit, max_cells=50_000)
    assert 40_000 < cells.size <= 50_000
    with pytest.raises(hs.HotspotError):
        sa.polygon_cells(box, fit + 1, max_cells=50_000)
    # below the analysis' coarsest resolution nothing fits: the message says so
    with pytest.raises(hs.HotspotError, match="no resolution from 7 up fits"):
        sa.polygon_cells(box, 9, max_cells=50_000, min_res=7)


def test_data_area_too_large_proposes_a_resolution():
    occ = _cells(TORONTO + [(43.2, -79.9), (44.3, -78.3)], 9)      # Toronto to Hamilton and Peterborough
    with pytest.raises(hs.HotspotError, match=r"resolution \d is the finest"):
        sa.study_area(occ, 9, "data", iso3=["CAN"] * 5, max_cells=5_000, cluster_km=200)


def test_unknown_mode():
    with pytest.raises(ValueError, match="data, extent, countries, admin1, bbox"):
        sa.study_area(_cells(TORONTO, 6), 6, "ocean")


# ------------------------------------------------------------------ against a small store

@pytest.fixture
def store(tmp_path):
    """40 Toronto events in 3 cells and 3 Abidjan events, exact points, with the country table."""
    from intel import reference
    from intel.hexbin import bin_points
    from intel.store import connect

    pts = [(TORONTO[0], 20, "CAN", "tps"), (TORONTO[1], 12, "CAN", "tps"), (TORONTO[2], 8, "CAN", "tps"),
           (ABIDJAN[0], 2, "CIV", "civ"), (ABIDJAN[2], 1, "CIV", "civ")]
    rows, i = [], 0
    for (lat, lon), n, iso, src in pts:
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        for _ in range(n):
            i += 1
            rows.append((i, 1, src, f"k{i}", "accepted", "seizure", pd.Timestamp("2024-01-15").date(), lat, lon,
                         "exact", 1.0, c, iso))
    path = tmp_path / "s.duckdb"
    con = connect(path)
    reference.load_countries(con)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
    yield con
    con.close()


def test_hotspots_default_area_is_data_and_says_so(store):
    df, g = hs.hotspots_from_store(store, 7, 1)
    assert df.attrs["area_mode"] == "data" and df.attrs["area_cells"] == len(df) == g.study_cells
    assert "2 countries (CAN, CIV)" in g.area and f"{len(df):,} cells at resolution 7" in g.area
    lat, lon = cell_centres(df["cell"].to_numpy())
    assert not ((lon > -79.0) & (lon < -4.5)).any()
    assert df["value"].sum() == 43
    # a source keeps only its records, and the area follows them
    from intel.hexbin import Filters

    d2, g2 = hs.hotspots_from_store(store, 7, 1, filters=Filters(sources=("tps",)))
    assert d2["value"].sum() == 40 and "1 country (CAN)" in g2.area and len(d2) < len(df)


def test_bbox_is_cut_to_land(store):
    # a box from the Gulf of Guinea to inland Cote d'Ivoire and Ghana: the sea half is not in the area
    box = (-5.0, 3.0, -3.0, 6.0)
    geom, _ = sa.area_geometry(store, "bbox", (), box)
    assert geom.bounds[1] > 4.0                                   # the coast near 4.5-5.2 N, not 3 N
    area = sa.build_area(store, 6, _cells(ABIDJAN, 6), "bbox", bbox=box)
    raw = sa.polygon_cells(shapely.box(*box), 6)
    assert 0 < area.n_cells < 0.8 * raw.size
    assert "Selected box" in area.description


def test_countries_mode_unchanged(store):
    area = sa.build_area(store, 5, _cells(ABIDJAN, 5), "countries", ["CIV"])
    # Cote d'Ivoire: about 322,000 km2 / 182 km2 per res-5 cell there = about 1,770 cells, plus the
    # cells that straddle its boundary
    assert 1_750 < area.n_cells < 2_000
    assert area_size._estimate_cells(shapely.from_wkb(bytes(store.execute(
        "SELECT geom_wkb FROM countries WHERE iso3 = 'CIV'").fetchone()[0])), 5) == pytest.approx(1_770, rel=0.03)
    assert area.description.startswith("Selected countries: ")


# ------------------------------------------------------------------ the scenario of issue 15

WEST_AFRICA = """date,latitude,longitude,country,firearms,category,description
2024-03-02,12.3714,-1.5197,Burkina Faso,2,firearm,pistols seized at a checkpoint
2024-03-09,11.1771,-4.2979,Burkina Faso,1,firearm,rifle
2024-04-12,5.3600,-4.0083,Cote d'Ivoire,3,firearm,handguns in a vehicle
2024-05-20,9.4580,-5.6296,Cote d'Ivoire,1,firearm,shotgun
2024-06-01,12.6392,-8.0029,Mali,4,firearm,rifles
2024-06-15,14.4843,-4.1827,Mali,1,firearm,pistol
"""
"""Six hand-made customs seizures at town positions (a test file, never in data/)."""


def test_west_african_file_keeps_hotspots_and_planner_working_at_defaults(real_store, tmp_path):
    import shutil

    from intel import emerging, risk, settings
    from intel.config import DEFAULT_RESOLUTION
    from intel.ingest import import_file
    from intel.store import connect

    db = tmp_path / "wa.duckdb"
    shutil.copy(real_store, db)
    csv = tmp_path / "west_africa.csv"
    csv.write_text(WEST_AFRICA, encoding="utf-8")
    con = connect(db)
    try:
        r = import_file(con, csv, None, user="test")
        assert r.summary().count("6 accepted") == 1
        res, k = settings.get("hotspot_resolution", con), settings.get("hotspot_k", con)
        df, g = hs.hotspots_from_store(con, res, k)                      # the Hotspots page defaults
        # before: one hull from Toronto over the Atlantic to Mali, refused at resolution 8
        for iso in ("BFA (2 clusters)", "CIV (2 clusters)", "MLI (2 clusters)", "CAN"):
            assert iso in g.area
        lat, lon = cell_centres(df["cell"].to_numpy())
        assert not ((lon > -60) & (lon < -20)).any()
        assert g.study_cells == len(df) < 5_000
        assert df.loc[df["value"] > 0, "value"].sum() == g.events
        em, eg = emerging.emerging_from_store(con, res, settings.get("emerging_step", con), k)
        assert eg.study_cells == g.study_cells
        p = risk.plan(con, DEFAULT_RESOLUTION["planner"], None, (None, None))   # the Planner page defaults
        assert len(p.targets) > 0 and "CAN" in p.scores.attrs["area"]
        with pytest.raises(hs.HotspotError, match=r"resolution \d is the finest"):
            hs.hotspots_from_store(con, 8, k, area="extent")             # the old default, refused at res 8
    finally:
        con.close()


def test_lakes_are_taken_out_of_the_data_area():
    """Toronto's hull runs along Lake Ontario; the Natural Earth country polygons include the lake, the
    bundled lakes file takes it out: a cell centred in the lake is not in the area, one on the shore is."""
    res = 8
    # Hamilton, Oakville, Toronto, Pickering, Oshawa: one cluster (gaps under 50 km) whose hull cuts
    # across the north-west corner of the lake
    pts = [(43.25, -79.87), (43.45, -79.68), (43.70, -79.40), (43.84, -79.09), (43.90, -78.86)]
    occ = np.unique([h3.str_to_int(h3.latlng_to_cell(la, lo, res)) for la, lo in pts]).astype("uint64")
    area = sa.study_area(occ, res, "data", iso3=["CAN"] * len(occ))
    lake = h3.str_to_int(h3.latlng_to_cell(43.64, -79.30, res))    # about 3 km offshore, inside the hull
    land = h3.str_to_int(h3.latlng_to_cell(43.70, -79.40, res))    # midtown
    assert land in set(area.cells.tolist()) and lake not in set(area.cells.tolist())
    assert "lakes of 15 km2 or more taken out" in area.description
    # the lake polygon itself: the difference removes the lake and keeps the land
    box = shapely.box(-79.6, 43.5, -79.1, 43.9)
    cut = sa.without_lakes(box)
    assert cut.area < box.area * 0.9 and not cut.contains(shapely.Point(-79.30, 43.64))
    assert cut.contains(shapely.Point(-79.40, 43.70))
