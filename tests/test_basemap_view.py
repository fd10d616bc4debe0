"""The basemap fitted to the view (intel.render.basemap) and the slim map JSON (issue 17, item 5).

Hand-computed boxes; the files of a box hold the geography of its view and little else; a rerun
with the same view sends the same URLs; layers send only the columns their tooltips show.
"""
from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from intel.render import basemap, hexagons
from intel.render.basemap import Box, view_box, view_files
from intel.render.deck import offline_deck
from intel.render.labels import overlaps

TORONTO = pdk.ViewState(latitude=43.7, longitude=-79.4, zoom=9.0)


def _static_path(url: str):
    from intel.config import STATIC_DIR

    assert url.startswith("/app/static/")
    return STATIC_DIR / url.removeprefix("/app/static/")


def test_view_box_is_the_view_widened_and_snapped_to_the_level_grid():
    # zoom 6 at (0, 10): 360 / (512 * 64) = 0.010986 degrees per px; half width 600 px * 2 = 13.18 degrees,
    # half height 280 px * 2 = 6.15 degrees; grid 360 / 64 = 5.625 degrees
    assert view_box(0.0, 10.0, 6.0) == Box(6, -5.625, -11.25, 28.125, 11.25)
    # zoom 2: three views across exceed the world, so the box is the whole world
    box = view_box(0.0, 0.0, 2.0)
    assert (box.w, box.e, box.whole_world) == (-180.0, 180.0, True)
    # nearby views share a box (and its files)
    assert view_box(43.70, -79.40, 9.0) == view_box(43.71, -79.39, 9.1)


def test_box_files_hold_the_view_geography_and_are_small():
    import shapely
    from shapely.geometry import Point, shape

    urls = view_files(view_box(43.7, -79.4, 9.0))
    read = {k: json.loads(_static_path(u).read_text()) for k, u in urls.items()}
    geo = {k: shapely.union_all([shape(f["geometry"]) for f in v["features"]]) for k, v in read.items()
           if k in ("land", "lakes")}
    # the line kinds are LineLayer segments {"s": [lon, lat], "t": [lon, lat]}
    geo.update({k: shapely.multilinestrings([[r["s"], r["t"]] for r in read[k]]) for k in ("borders", "admin1")})
    assert geo["lakes"].contains(Point(-77.9, 43.6))  # Lake Ontario, off Cobourg
    assert geo["land"].contains(Point(-79.40, 43.75))  # North York
    assert geo["land"].contains(Point(20.0, 5.0))  # outside the box the world's land is still drawn, coarse
    assert geo["borders"].distance(Point(-79.05, 43.15)) < 0.05  # the Niagara river border
    assert geo["borders"].distance(Point(-80.2, 44.5)) > 0.5  # a coast (Georgian Bay) is not a line: land against water
    names = [p["n"] for p in read["places"]]
    assert "Toronto" in names and "Mexico City" not in names and len(names) <= basemap.PLACES_PER_BOX
    # about 100 kB for the view, against 3.4 MB for the world files at full detail
    assert sum(_static_path(u).stat().st_size for u in urls.values()) < 250_000


def test_no_admin1_lines_at_continent_zoom():
    urls = view_files(view_box(40.0, -100.0, 3.0))
    assert json.loads(_static_path(urls["admin1"]).read_text()) == []
    assert json.loads(_static_path(view_files(view_box(40.0, -100.0, 5.0))["admin1"]).read_text())


def test_same_view_same_urls_and_compact_json():
    a, b = offline_deck([], TORONTO).to_json(), offline_deck([], TORONTO).to_json()
    assert a == b  # a rerun keeping the view sends the same basemap: deck.gl neither refetches nor re-tessellates
    assert "\n" not in a and "\": " not in a  # no indentation, no space after a key


def test_count_layers_send_only_tooltip_columns_as_integers():
    cells = pd.DataFrame({"h3": [h3.latlng_to_cell(43.7, -79.4, 7)], "events": [3], "records": [3],
                          "firearms": [7993.0], "ammunition": [12.0], "top_categories": ["pistol 2"],
                          "first_date": [pd.Timestamp("2020-01-01")], "last_date": [pd.Timestamp("2020-02-01")],
                          "cell": [1]})
    layer, _ = hexagons.hexagon_layer(cells)
    row = json.loads(offline_deck([layer], TORONTO).to_json())["layers"][5]["data"][0]
    assert set(row) == {"h3", "events", "records", "firearms", "top_categories", "color"}
    assert row["firearms"] == 7993 and isinstance(row["firearms"], int)
    pts = pd.DataFrame({"latitude": [40.7142699999975], "longitude": [-74.00596999999846], "h3": ["New York"],
                        "events": [5], "firearms": [2.0], "records": [5], "top_categories": ["x"],
                        "reason": ["located to the town (uncertainty 208.4 km), coarser than ..."]})
    prow = json.loads(offline_deck([hexagons.points_layer(pts)], TORONTO).to_json())["layers"][5]["data"][0]
    assert "reason" not in prow and prow["latitude"] == 40.71427 and prow["firearms"] == 2


def test_hotspot_view_holds_cells_far_apart():
    # Toronto and Bogota: the mean centre lies in the Caribbean sea; the view holds both cities
    cells = [h3.latlng_to_cell(43.7, -79.4, 7), h3.latlng_to_cell(4.6, -74.1, 7)]
    hot = pd.DataFrame({"h3": cells, "value": [5, 3], "z": [3.0, 2.0], "bin": [3, 2], "confidence": ["a", "b"]})
    v = hexagons.hotspot_view(hot, 7)
    assert v.zoom < 5 and 4.6 < v.latitude < 43.7
    # one cell only: zoomed in no further than the resolution's zoom (9 at resolution 7)
    assert hexagons.hotspot_view(hot.iloc[[0]], 7).zoom == pytest.approx(9.0)


def test_place_labels_written_for_a_box_never_overlap():
    # North York holds Willowdale and Willowdale East 1.5 km apart: their labels printed over each
    # other on the Hotspots map (the browser's collision filter let both through)
    for zoom in (9.0, 10.0, 11.0):
        box = view_box(43.77, -79.41, zoom)
        placed = basemap.places(box)
        names = [p["n"] for p in placed]
        assert "Toronto" in names or zoom > 10
        assert not ("Willowdale" in names and "Willowdale East" in names)
        boxes = np.array([basemap._label_box(p, box.level - 0.5) for p in placed])
        x0, y0, x1, y1 = boxes.T
        assert overlaps((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 0, 0) == 0
    # the thinning keeps the largest places: Toronto's neighbours at zoom 9
    assert {"Toronto", "Mississauga", "Brampton"} <= {p["n"] for p in basemap.places(view_box(43.7, -79.4, 9.0))}


def test_reference_files_are_written_once_and_then_only_checked():
    from intel.render.worldfiles import ADMIN1_FILE, PLACES_FILE, prepare_files

    files = prepare_files()
    assert ADMIN1_FILE in files and PLACES_FILE in files
    assert all(f.is_file() and f.stat().st_size > 1000 for f in files)
    before = {f: f.stat().st_mtime_ns for f in files}
    assert prepare_files() == files
    assert {f: f.stat().st_mtime_ns for f in files} == before  # not rewritten


def test_sources_are_read_once_when_the_launcher_and_a_map_ask_at_the_same_time():
    import threading

    loaders = (basemap._countries, basemap._coarse_world, basemap._lakes, basemap._admin1, basemap._places)
    for f in loaders:
        f.cache_clear()
    threads = [threading.Thread(target=basemap.prepare_sources) for _ in range(3)]
    for t in threads:
        t.start()
    view_files(view_box(43.7, -79.4, 9.0))
    for t in threads:
        t.join()
    # one reading per source: the others waited on the lock, then found it cached
    assert [f.cache_info().misses for f in loaders] == [1] * len(loaders)
