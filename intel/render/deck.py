"""The one offline deck: basemap, view fitting and the pixel unit every layer uses.

Part of the renderer layer (:mod:`intel.render`). The basemap is the bundled Natural Earth
countries layer drawn as a GeoJsonLayer (no tiles, no token, no web request): :func:`basemap_layer`
over a sea rectangle (:func:`water_layer`). :func:`offline_deck` always builds
``pdk.Deck(map_provider=None)`` so neither Mapbox nor Carto is contacted; every page's map goes
through it. :func:`view_for`, :func:`fit_view` and :func:`cells_view` choose the initial view from
the points or H3 cells a map shows (degrees WGS84). The layers themselves are built in the sibling
modules (:mod:`~intel.render.hexagons`, :mod:`~intel.render.borders`,
:mod:`~intel.render.corridors`, :mod:`~intel.render.links`), their colours in
:mod:`~intel.render.palettes`.
"""
from __future__ import annotations

import json
from functools import lru_cache
from itertools import islice
from pathlib import Path

import h3
import numpy as np
import pydeck as pdk

from intel.config import NATURAL_EARTH_GPKG, STATIC_DIR
from intel.render.palettes import COUNTRY_LINE_COLOUR, LAND_COLOUR, SEA_COLOUR

GPKG = NATURAL_EARTH_GPKG
"""Natural Earth GeoPackage the basemap is drawn from (:data:`intel.config.NATURAL_EARTH_GPKG`)."""

PIXELS = pdk.types.String("pixels")
"""The unit string ``"pixels"`` for ``radius_units`` / ``width_units`` / ``line_width_units``.

pydeck turns a plain string property into a JavaScript expression (``"pixels"`` becomes
``"@@=pixels"``, which evaluates to ``undefined``, so deck.gl falls back to metres); a
:class:`pydeck.types.String` is sent as the literal string."""


BASEMAP_FILE = STATIC_DIR / "ne_countries.geojson"
BASEMAP_URL = "/app/static/ne_countries.geojson"
"""The basemap is served by the dashboard itself (Streamlit static serving, 127.0.0.1): the
browser fetches it once and caches it, instead of receiving it again with every rerun."""


@lru_cache(maxsize=4)
def basemap_geojson(tolerance_deg: float = 0.08, digits: int = 2) -> dict:
    """Natural Earth countries as a compact GeoJSON FeatureCollection (lon-lat, RFC 7946).

    Parameters
    ----------
    tolerance_deg : float
        Douglas-Peucker simplification tolerance in degrees.
    digits : int
        Decimal places kept (2 places is about 1 km).
    """
    import geopandas as gpd  # heavy, and needed only when the basemap file is (re)written
    import shapely

    g = gpd.read_file(GPKG, layer="countries")[["NAME", "geometry"]]
    g["geometry"] = shapely.set_precision(g.geometry.simplify(tolerance_deg, preserve_topology=True).values, 10 ** -digits)
    g = g[~g.geometry.is_empty]
    return json.loads(g.to_json(drop_id=True))


def ensure_basemap_file() -> Path:
    """Write the compact basemap GeoJSON under ``static/`` when it is missing or older than the
    Natural Earth source (about 0.7 MB)."""
    if not BASEMAP_FILE.exists() or BASEMAP_FILE.stat().st_mtime < GPKG.stat().st_mtime:
        STATIC_DIR.mkdir(exist_ok=True)
        tmp = BASEMAP_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(basemap_geojson(), separators=(",", ":")), encoding="utf-8")
        tmp.replace(BASEMAP_FILE)
    return BASEMAP_FILE


def basemap_layer() -> pdk.Layer:
    """Offline basemap: country polygons in light grey with white borders, fetched from the
    dashboard's own static route (:data:`BASEMAP_URL`), never from a tile server."""
    ensure_basemap_file()
    return pdk.Layer(
        "GeoJsonLayer", BASEMAP_URL, id="basemap", stroked=True, filled=True,
        get_fill_color=LAND_COLOUR, get_line_color=COUNTRY_LINE_COLOUR, line_width_min_pixels=1, pickable=False,
    )


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
    """An offline deck: sea, Natural Earth countries, then ``layers``; no map provider.

    Parameters
    ----------
    layers : list of pydeck.Layer
        Drawn in order, after (over) the basemap.
    view : pydeck.ViewState
    tooltip : dict, optional
        pydeck tooltip (``{"text": ...}`` or ``{"html": ...}``); none by default.
    """
    return pdk.Deck(layers=[water_layer(), basemap_layer(), *layers], initial_view_state=view,
                    map_provider=None, tooltip=tooltip or False)
