"""The renderer package: palettes cover every value an analysis returns, layers keep their props.

Hand-built result tables stand in for the analyses (no store): the renderers only read the
documented columns.
"""
from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from intel import emerging, hotspots
from intel.render import borders as rb
from intel.render import corridors as rc
from intel.render import hexagons, palettes
from intel.render.basemap import FORMAT
from intel.render.deck import PIXELS, cells_fit_view, cells_view, offline_deck, view_for
from intel.render.links import links_layer, links_legend


def _spec(deck) -> dict:
    return json.loads(deck.to_json())


def _layer(spec: dict, layer_id: str) -> dict:
    return next(layer for layer in spec["layers"] if layer["id"] == layer_id)


def test_palettes_cover_every_bin_and_category():
    assert set(palettes.BIN_COLOURS) == set(hotspots.CONFIDENCE)
    assert set(palettes.CATEGORY_COLOURS) == set(emerging.CATEGORIES)
    assert emerging.NO_PATTERN in palettes.CATEGORY_COLOURS


def test_offline_deck_has_no_provider_and_the_basemap_first():
    spec = _spec(offline_deck([], view_for([], [])))
    assert [layer["id"] for layer in spec["layers"]] == ["sea", "basemap", "lakes", "admin1", "country_lines", "places"]
    # served by the app, no tiles: the files of the view's box (Toronto at zoom 9, level 9)
    assert spec["layers"][1]["data"].startswith(f"/app/static/views/land_v{FORMAT}_L9_")
    assert spec["layers"][3]["data"].startswith(f"/app/static/views/admin1_v{FORMAT}_L9_")
    assert spec["layers"][-1]["data"].startswith(f"/app/static/views/places_v{FORMAT}_L9_")
    assert spec["layers"][-1]["extensions"] == [{"@@type": "CollisionFilterExtension"}]
    assert spec["layers"][-1]["characterSet"] == "auto"  # a literal string, not an expression
    assert not spec.get("mapProvider")


def test_basemap_files_are_small_and_hold_the_geography():
    import shapely
    from shapely.geometry import Point, shape

    from intel.render import worldfiles as basemap

    assert basemap.ensure_basemap_file().stat().st_size < 2e6
    offline_deck([], view_for([], []))  # writes the admin-1, lakes and places files once
    assert basemap.ADMIN1_FILE.stat().st_size < 2e6 and basemap.LAKES_FILE.stat().st_size < 2e6
    lakes = shapely.union_all([shape(f["geometry"]) for f in json.loads(basemap.LAKES_FILE.read_text())["features"]])
    assert lakes.contains(Point(-77.9, 43.6))  # Lake Ontario, off Cobourg
    assert not lakes.contains(Point(-79.40, 43.75))  # North York, on land
    admin1 = shape(json.loads(basemap.ADMIN1_FILE.read_text())["features"][0]["geometry"])
    assert admin1.distance(Point(-106.0, 41.0)) < 0.05  # the Colorado-Wyoming line at 41 N
    assert admin1.distance(Point(-79.3, 43.2)) > 0.05  # the Lake Ontario shore is a coast, not an admin-1 line


def test_places_are_largest_first_with_bounded_priorities():
    from intel.render import worldfiles as basemap

    places = basemap.places_records()
    assert all(p["p"] >= basemap.PLACES_MIN_POPULATION for p in places) and len(places) > 5000
    assert [p["p"] for p in places] == sorted((p["p"] for p in places), reverse=True)
    toronto = next(p for p in places if p["n"] == "Toronto")
    assert toronto["p"] > 2_000_000 and abs(toronto["c"][0] + 79.4) < 0.1 and abs(toronto["c"][1] - 43.7) < 0.1
    assert toronto["s"] == 12 and toronto["r"] == round(100 * np.log10(toronto["p"]))
    assert all(-1000 <= p["r"] <= 1000 for p in places)  # deck.gl's collision priority range


def test_scale_caption_from_web_mercator_arithmetic():
    from intel.render.deck import scale_caption

    # equator, zoom 0: 100 px of 512 px for 40,075.017 km is 7,827 km
    assert "100 px on the map is about 7,827 km" in scale_caption(pdk.ViewState(latitude=0, longitude=0, zoom=0))
    # 60 N (cos = 0.5), zoom 10: 100 * 40,075.017 * 0.5 / (512 * 1024) = 3.82 km; west longitudes say W
    cap = scale_caption(pdk.ViewState(latitude=60.0, longitude=-79.4, zoom=10))
    assert "about 3.8 km" in cap and "60.00° N, 79.40° W" in cap


def _hot_table() -> pd.DataFrame:
    cells = [h3.latlng_to_cell(43.65 + 0.01 * i, -79.38, 8) for i in range(4)]
    return pd.DataFrame({"h3": cells, "value": [5, 0, 0, 2], "z": [3.14159, -2.5, 0.1, 1.0],
                         "bin": [3, -2, 0, 0], "confidence": [hotspots.CONFIDENCE[b] for b in (3, -2, 0, 0)]})


def test_hotspot_deck_draws_cells_with_events_or_a_significant_bin():
    hot = _hot_table()
    deck = hexagons.hotspot_deck(hot, "events", 8)
    spec = _spec(deck)
    layer = _layer(spec, "gi-hexes")
    drawn = {d["h3"]: d for d in layer["data"]}
    assert set(drawn) == {hot["h3"][0], hot["h3"][1], hot["h3"][3]}  # the empty, non-significant cell is left out
    assert drawn[hot["h3"][0]]["color"] == [215, 48, 39, 200] and drawn[hot["h3"][0]]["z"] == 3.14
    assert drawn[hot["h3"][1]]["color"] == [*palettes.BIN_COLOURS[-2], 200]
    assert layer["opacity"] == 0.75 and layer["stroked"] is False and layer["highPrecision"] is True
    assert spec["initialViewState"]["zoom"] == 10  # resolution 8
    assert "{value} events" in deck._tooltip["text"]  # Streamlit sends the tooltip apart from the spec
    # significant cells also get a dot of fixed pixel size at their centre: visible when the cells
    # are smaller than a pixel (res 8 framed over a continent); the bin-0 cell with events gets none
    marks = _layer(spec, "gi-hexes-marks")
    lat0, lon0 = h3.cell_to_latlng(hot["h3"][0])
    assert [(m["lat"], m["lon"]) for m in marks["data"]][0] == (round(lat0, 5), round(lon0, 5))
    assert [m["color"] for m in marks["data"]] == [[215, 48, 39, 255], [*palettes.BIN_COLOURS[-2], 255]]
    assert marks["radiusMinPixels"] == marks["radiusMaxPixels"] == hexagons.MARK_PX > 1


def test_hotspot_legend_hottest_first():
    key = hexagons.hotspot_legend()
    assert [c for c, _ in key][0] == palettes.BIN_COLOURS[3] and key[-1][1] == hotspots.CONFIDENCE[-3]


def test_emerging_deck_leaves_no_pattern_out_and_says_when_nothing_is_left():
    cells = [h3.latlng_to_cell(43.65 + 0.01 * i, -79.38, 7) for i in range(2)]
    emg = pd.DataFrame({"h3": cells, "total": [9, 1], "category": ["New Hot Spot", emerging.NO_PATTERN],
                        "trend": ["up", "none"]})
    layer = _layer(_spec(hexagons.emerging_deck(emg, "firearms", 7)), "ehsa-hexes")
    assert [d["h3"] for d in layer["data"]] == [cells[0]]
    assert layer["data"][0]["color"] == [128, 0, 38, 210]
    marks = _layer(_spec(hexagons.emerging_deck(emg, "firearms", 7)), "ehsa-hexes-marks")
    assert len(marks["data"]) == 1 and marks["data"][0]["color"] == [128, 0, 38, 255]
    assert hexagons.emerging_deck(emg.iloc[[1]], "events", 7) is None
    counts = pd.DataFrame({"category": ["New Hot Spot"], "cells": [1]})
    assert hexagons.emerging_legend(counts) == [([128, 0, 38], "New Hot Spot (1)")]


def test_target_deck_colours_scores_and_frames_the_targets():
    cells = [h3.latlng_to_cell(43.65 + 0.05 * i, -79.38, 8) for i in range(3)]
    targets = pd.DataFrame({"h3": cells[:2], "rank": [1, 2], "score": [2.0, 1.0], "events": [10, 5],
                            "nearest_town": ["Toronto", "Toronto"], "town_km": [1.234, 5.0],
                            "nearest_crossing": ["X", "X"], "crossing_km": [100.0, 101.0],
                            "latitude": [43.65, 43.70], "longitude": [-79.38, -79.38]})
    scores = pd.DataFrame({"h3": cells, "score": [2.0, 1.0, 0.5]})
    deck, key = hexagons.target_deck(targets, scores)
    spec = _spec(deck)
    # the basemap's five layers first, the place names last
    assert [layer["id"] for layer in spec["layers"]][5:-1] == ["scored-cells", "target-cells", "target-outlines", "target-ranks"]
    tc = _layer(spec, "target-cells")["data"]
    assert tc[0]["color"] == [189, 0, 38, 220] and tc[1]["color"] == [254, 178, 76, 220]  # top class; half the top: class 3 of 6
    assert tc[0]["town_km"] == 1.23 and tc[0]["label"] == "1"
    # the outlines: six edges per target, each a corner of the cell to the next one
    segs = _layer(spec, "target-outlines")["data"]
    assert len(segs) == 12
    corners = {tuple(round(v, 6) for v in (lng, lat)) for lat, lng in h3.cell_to_boundary(cells[0])}
    assert {tuple(s["s"]) for s in segs[:6]} == corners and {tuple(s["t"]) for s in segs[:6]} == corners
    ctx = _layer(spec, "scored-cells")["data"]
    assert [c["color"][3] for c in ctx] == [180, 105, 67]  # grey, more opaque with the score
    assert key[0] == (palettes.YLORRD[5], "score 1.67-2.00") and len(key) == 6
    assert spec["initialViewState"]["latitude"] == pytest.approx(43.675)


def test_views_frame_cells_by_mean_centre_or_median():
    cells = [h3.latlng_to_cell(lat, -79.4, 7) for lat in (43.0, 44.0, 48.0)]
    v = cells_view(pd.Series(cells), 7)
    assert v.latitude == pytest.approx(np.mean([h3.cell_to_latlng(c)[0] for c in cells])) and v.zoom == 9
    assert cells_view(cells, 4).zoom == 9  # a resolution without its own zoom
    assert cells_fit_view(cells).latitude == pytest.approx(h3.cell_to_latlng(cells[1])[0])  # median


def test_flow_view_frames_one_destination_only():
    arcs = pd.DataFrame({"origin_lat": [33.7], "origin_lon": [-84.4], "destination_lat": [40.7],
                         "destination_lon": [-74.0]})
    framed = rc.flow_view(arcs, frame=True, height_px=600)
    assert -84.4 < framed.longitude < -74.0 and framed.zoom > 3.4
    unframed = rc.flow_view(arcs, frame=False)
    assert (unframed.latitude, unframed.longitude, unframed.zoom) == rc.DEFAULT_VIEW
    wide = arcs.assign(origin_lon=[170.0], destination_lon=[-10.0])  # across 180 degrees: not framed
    assert rc.flow_view(wide, frame=True).zoom == rc.DEFAULT_VIEW[2]
    assert [c for c, _ in rc.flow_legend()] == [palettes.SOURCE_COLOR, palettes.TARGET_COLOR]


def test_border_layers_in_pixels_with_palette_colours():
    ev = pd.DataFrame({"latitude": [31.0, 31.1], "longitude": [-106.0, -106.1], "band": ["0-20 km", "far"],
                       "location_name": ["<b>x</b>", None], "border_km": [3.0, 90.0], "border_pair": ["MEX-USA"] * 2})
    layer = json.loads(offline_deck([rb.band_layer(ev)], view_for([31], [-106])).to_json())["layers"][-2]  # before the place names
    assert layer["radiusUnits"] == "pixels"
    assert [d["colour"] for d in layer["data"]] == [[*palettes.BAND_COLOURS["0-20 km"], 255], [150, 150, 150, 255]]
    assert "&lt;b&gt;" in layer["data"][0]["tip"]  # record text escaped for the HTML tooltip
    assert rb.points_legend()[-1] == (palettes.FAR_CROSSING_COLOUR, "crossing far from its border (flagged)")
    lat, lon = rb.map_focus(pd.DataFrame(columns=["latitude", "longitude"]), None)
    assert lat.size == 0 and rb.focus_view(ev.iloc[:0], None).zoom == 3.0


def test_links_layer_purple_in_pixels():
    edges = pd.DataFrame({"serial_key": ["<k>"], "incident_a": ["I1"], "incident_b": ["I2"], "date_a": ["2020-01-01"],
                          "date_b": ["2020-02-01"], "place_a": ["A"], "place_b": [None], "lat_a": [43.0],
                          "lon_a": [-79.0], "lat_b": [42.0], "lon_b": [-78.0], "km": [140.2]})
    layer = links_layer(edges)
    assert layer.get_color == [130, 40, 170, 220] and layer.width_units is PIXELS
    assert layer.data[0]["label"] == "serial key &lt;k&gt;" and layer.data[0]["detail"].endswith("140 km")
    assert links_legend() == [((130, 40, 170), "same serial key")]


def test_zero_and_missing_values_have_their_own_colours_and_legend_entries():
    breaks = palettes.class_breaks(np.array([0, 1, 2, 4, 8, np.nan]), k=2)
    assert breaks == [3.0, 8.0]  # median of 1, 2, 4, 8 by linear interpolation
    cols = palettes.colour_for([0, 1, 8, np.nan], breaks)
    assert cols[0] == [*palettes.ZERO_COLOUR, 210]
    assert cols[3] == [*palettes.MISSING_COLOUR, 210]
    assert cols[1][:3] != cols[0][:3] and cols[2][:3] == list(palettes.YLORRD[-1])
    key = palettes.legend(breaks, "firearms", values=[0, 1, 8, np.nan])
    assert [t for _, t in key] == ["1-3 firearms", "4-8 firearms", "0 firearms", "firearms: not recorded"]
    # only zeros drawn (discharge incidents coloured by firearms): no "1 firearms" class in the legend
    only_zero = palettes.legend(palettes.class_breaks(np.zeros(3)), "firearms", values=np.zeros(3))
    assert only_zero == [(palettes.ZERO_COLOUR, "0 firearms")]
    assert all(c == [*palettes.ZERO_COLOUR, 210] for c in palettes.colour_for(np.zeros(3), [1.0]))


def test_sea_spans_beyond_the_antimeridian():
    from intel.render import deck
    ring = deck.water_layer().data["features"][0]["geometry"]["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    assert min(lons) <= -360 and max(lons) >= 360 and max(lats) > 85.0


def _lab(rgb) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour of 0-255 integers."""
    c = np.asarray(rgb[:3], float) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_every_class_of_the_borders_legends_is_distinct_and_drawn_in_its_legend_colour():
    """User trial: two oranges in the Borders legend looked alike (the 20-50 km band and the flagged
    crossing; the band was also the 2nd load class's orange). Every class of the map's two keys and the
    candidate rings differ by at least LEGEND_MIN_DELTA_E (CIE76), and each layer draws its legend's colour."""
    vals = np.array([1.0, 2, 3, 5, 8, 13, 21, 40])
    breaks = rb.load_breaks(vals)
    load_key = rb.load_legend(breaks, float(vals.max()))
    assert len(load_key) == 5   # none + four classes
    classes = [(tuple(c), t) for c, t in load_key + rb.points_legend()] + [(tuple(palettes.CANDIDATE_COLOUR), "candidate")]
    for i, (a, ta) in enumerate(classes):
        for b, tb in classes[i + 1:]:
            d = float(np.linalg.norm(_lab(a) - _lab(b)))
            assert d >= palettes.LEGEND_MIN_DELTA_E, (ta, tb, round(d, 1))
    # the stretches: the colour of each class is its legend swatch, opaque
    assert [rb.load_colour(v, breaks) for v in (0, 1, 40)] == [[*load_key[0][0], 255], [*load_key[1][0], 255],
                                                               [*load_key[-1][0], 255]]
    # the event dots and the crossings: the legend's colours, opaque
    ev = pd.DataFrame({"latitude": [31.0, 31.1, 31.2], "longitude": [-106.0, -106.1, -106.2],
                       "band": ["0-20 km", "20-50 km", "50-80 km"], "location_name": ["a", "b", "c"],
                       "border_km": [3.0, 30.0, 60.0], "border_pair": ["MEX-USA"] * 3})
    dots = [d["colour"] for d in json.loads(offline_deck([rb.band_layer(ev)], view_for([31], [-106])).to_json())
            ["layers"][-2]["data"]]
    assert dots == [[*c, 255] for c, _ in rb.points_legend()[:3]]
    cx = pd.DataFrame({"latitude": [31.0, 40.0], "longitude": [-106.0, -100.0], "far_from_border": [False, True],
                       "name": ["A", "B"], "source": ["t", "t"], "snap_km": [0.5, 400.0]})
    drawn = [d["colour"] for d in json.loads(offline_deck([rb.crossing_layer(cx)], view_for([31], [-106])).to_json())
             ["layers"][-2]["data"]]
    assert drawn == [[*c, 255] for c, _ in rb.points_legend()[3:]]
    # a zone lists only the bands that start inside it
    assert [t for _, t in rb.points_legend(20)][:1] == ["event 0-20 km from a border"]
    assert len(rb.points_legend(20)) == 3 and len(rb.points_legend(50)) == 4 and len(rb.points_legend(80)) == 5


def _targets(lats, lons, scores, res=6):
    cells = [h3.latlng_to_cell(a, b, res) for a, b in zip(lats, lons)]
    n = len(cells)
    return pd.DataFrame({"h3": cells, "rank": range(1, n + 1), "score": scores, "events": [1] * n,
                         "nearest_town": ["T"] * n, "town_km": [1.0] * n, "nearest_crossing": [None] * n,
                         "crossing_km": [float("nan")] * n, "latitude": lats, "longitude": lons})


def test_every_target_has_a_marker_in_its_score_colour_and_its_rank_beside_it():
    """User trial (KAFO, resolution 6): the target cells were smaller than a pixel at the framed zoom, so
    only the rank digits showed, on the very spot of the target. Each target now has a marker of a fixed
    pixel size in its score colour (the legend's swatch, opaque) over a dark disc, and its rank beside it."""
    t = _targets([12.64], [-8.00], [3.0])
    spec = _spec(hexagons.target_deck(t, t[["h3", "score"]])[0])
    assert [layer["id"] for layer in spec["layers"]][5:-1] == ["scored-cells", "target-cells", "target-outlines",
                                                               "target-ranks"]   # no layer added
    layer = _layer(spec, "target-ranks")
    rows = layer["data"]
    assert [r["text"] for r in rows] == [hexagons.MARKER_GLYPH, hexagons.MARKER_GLYPH, "1"]
    ring, disc, rank = rows
    assert ring["size"] > disc["size"] == hexagons.MARKER_PX and rank["size"] == hexagons.RANK_PX
    assert ring["offset"] == disc["offset"] == [0.0, 0.0]                # the marker on the cell's centre
    assert disc["text_color"] == [*palettes.YLORRD[5], 255] == [*hexagons.target_legend(3.0)[0][0], 255]
    # the rank north-east of its marker, clear of it: half its box (0.62 x 16 px + 8 px wide, 22 px high)
    # plus the marker's clearance (8 px) and 2 px: (17.92 / 2 + 10, -(22 / 2 + 10)) pixels, y down
    assert rank["offset"] == pytest.approx([18.96, -21.0])
    assert layer["getPixelOffset"] == "@@=offset" and layer["characterSet"] == "auto" and layer["pickable"] is True
    assert rank["rank"] == 1 and rank["h3"] == t["h3"][0]                 # the tooltip's fields on every row


def test_rank_labels_never_cover_a_marker_nor_each_other():
    """Nine targets a few resolution-6 cells apart and one 3 degrees away (the view's zoom then puts the
    nine within a few pixels of each other, the crowded case of the trial's rank 10 on its marker): at
    the deck's initial zoom no label box overlaps another or any target's marker square."""
    from intel.render.labels import mercator_px, overlaps

    lats = [12.60 + 0.06 * (i % 3) for i in range(9)] + [15.6]
    lons = [-8.00 + 0.07 * (i // 3) for i in range(9)] + [-8.0]
    t = _targets(lats, lons, list(np.linspace(3.0, 0.3, 10)))
    layers, view, _ = hexagons.target_layers(t, t[["h3", "score"]])
    rows = pd.DataFrame(_layer(_spec(offline_deck(layers, view)), "target-ranks")["data"])
    ranks = rows[rows["text"] != hexagons.MARKER_GLYPH].sort_values("rank")
    assert len(ranks) == 10 and (rows["text"] == hexagons.MARKER_GLYPH).sum() == 20
    assert view.zoom < 7   # the premise: the nine are crowded (cells some 8 km apart, < 15 px at this zoom)
    x, y = mercator_px(ranks["latitude"], ranks["longitude"], view.zoom)
    dx = np.array([o[0] for o in ranks["offset"]])
    dy = np.array([o[1] for o in ranks["offset"]])
    w, h = np.array(hexagons.rank_label_width(ranks["text"])), hexagons.RANK_PX + 6
    assert overlaps(x, y, w, h, dx, dy) == 0
    r = hexagons.MARKER_CLEAR_PX
    for i in range(10):
        bx0, bx1 = x[i] + dx[i] - w[i] / 2, x[i] + dx[i] + w[i] / 2
        by0, by1 = y[i] + dy[i] - h / 2, y[i] + dy[i] + h / 2
        for j in range(10):
            assert not (bx0 < x[j] + r and x[j] - r < bx1 and by0 < y[j] + r and y[j] - r < by1), (i + 1, j + 1)


def test_target_view_frames_every_target_even_far_apart():
    """User trial (Ecuador, resolution 3): four targets, rank 4 on the Galapagos (-0.81, -90.91), 1,000 km
    west of the three mainland ones; the view centred on their median left it off the map. Every target
    now lies inside the initial view of a map of the planner's size, clear of its edges."""
    from intel.render.labels import mercator_px

    lats, lons = [-0.18, -2.19, -1.05, -0.81], [-78.47, -79.89, -80.45, -90.91]
    t = _targets(lats, lons, [3.0, 2.0, 1.0, 0.001], res=3)
    view = _spec(hexagons.target_deck(t, t[["h3", "score"]])[0])["initialViewState"]
    w, h = hexagons.TARGET_MAP_PX
    x, y = mercator_px(lats, lons, view["zoom"])
    cx, cy = mercator_px([view["latitude"]], [view["longitude"]], view["zoom"])
    assert np.all(np.abs(x - cx[0]) <= w / 2 - 20) and np.all(np.abs(y - cy[0]) <= h / 2 - 20)
    # and not zoomed out needlessly: the targets span most of the width
    assert np.ptp(x) > 0.5 * w
