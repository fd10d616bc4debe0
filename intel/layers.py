"""pydeck layers and legends, offline.

The basemap is the bundled Natural Earth countries layer drawn as a GeoJsonLayer (no tiles,
no token, no web request): :func:`basemap_layer`. :func:`deck` always builds
``pdk.Deck(map_provider=None)`` so neither Mapbox nor Carto is contacted. Hexagon layers take
H3 cell ids as hex strings, since JavaScript numbers lose 64-bit integers.

Colour scales are ColorBrewer (Brewer 2003) sequential or diverging schemes; legends are
returned as plain ``(rgb, label)`` lists that a page draws.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk

GPKG = Path(__file__).resolve().parent.parent / "data" / "sources" / "boundaries" / "ne_10m_generalised_world_map.gpkg"

YLORRD = [(255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
"""ColorBrewer YlOrRd, 6 classes."""

HOT_COLD = {3: (178, 24, 43), 2: (239, 138, 98), 1: (253, 219, 199), 0: (240, 240, 240),
            -1: (209, 229, 240), -2: (103, 169, 207), -3: (33, 102, 172)}
"""ColorBrewer RdBu for Gi* confidence bins (+-3: 99 %, +-2: 95 %, +-1: 90 %)."""

PIXELS = pdk.types.String("pixels")
"""The unit string ``"pixels"`` for ``radius_units`` / ``width_units`` / ``line_width_units``.

pydeck turns a plain string property into a JavaScript expression (``"pixels"`` becomes
``"@@=pixels"``, which evaluates to ``undefined``, so deck.gl falls back to metres); a
:class:`pydeck.types.String` is sent as the literal string."""

BIN_LABELS = {3: "Hot spot, 99 %", 2: "Hot spot, 95 %", 1: "Hot spot, 90 %", 0: "Not significant",
              -1: "Cold spot, 90 %", -2: "Cold spot, 95 %", -3: "Cold spot, 99 %"}


STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
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
    import geopandas as gpd
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
        get_fill_color=[226, 226, 218], get_line_color=[255, 255, 255], line_width_min_pixels=1, pickable=False,
    )


def water_layer() -> pdk.Layer:
    """A rectangle of sea colour under the countries (the deck background is otherwise white)."""
    sea = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]]}}]}
    return pdk.Layer("GeoJsonLayer", sea, id="sea", filled=True, stroked=False, get_fill_color=[197, 217, 232])


def class_breaks(values: np.ndarray, k: int = 6) -> list[float]:
    """Upper bounds of ``k`` quantile classes of positive values (distinct, ascending)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return [1.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:]))
    return [float(q) for q in qs]


def colour_for(values: np.ndarray, breaks: list[float], palette=YLORRD) -> list[list[int]]:
    """RGBA colour per value from class upper ``breaks``."""
    idx = np.searchsorted(np.asarray(breaks), np.asarray(values, dtype=float), side="left")
    idx = np.clip(idx, 0, len(breaks) - 1)
    pal = palette[-len(breaks):] if len(breaks) <= len(palette) else palette
    step = (len(pal) - 1) / max(1, len(breaks) - 1)
    return [list(pal[int(round(i * step))]) + [210] for i in idx]


def legend(breaks: list[float], label: str, palette=YLORRD) -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries ``(rgb, text)`` matching :func:`colour_for`."""
    pal = palette[-len(breaks):] if len(breaks) <= len(palette) else palette
    step = (len(pal) - 1) / max(1, len(breaks) - 1)
    out, lo = [], 1
    for i, b in enumerate(breaks):
        hi = int(np.floor(b))
        text = f"{lo:,}" if hi <= lo else f"{lo:,}-{hi:,}"
        out.append((pal[int(round(i * step))], f"{text} {label}"))
        lo = hi + 1
    return out


def hexagon_layer(cells: pd.DataFrame, value: str = "events", layer_id: str = "hexagons",
                  breaks: list[float] | None = None, extruded: bool = False) -> tuple[pdk.Layer, list]:
    """H3HexagonLayer of a cell table (column ``h3`` as hex string) coloured by ``value``.

    Returns
    -------
    (layer, legend entries)
    """
    breaks = breaks or class_breaks(cells[value].to_numpy())
    data = cells.copy()
    data["color"] = colour_for(data[value].to_numpy(), breaks)
    keep = [c for c in ("h3", "events", "records", "firearms", "ammunition", "top_categories", "first_date",
                        "last_date", "color") if c in data.columns]
    data = data[keep]
    if "top_categories" in data:  # record text: escaped, deck.gl renders tooltips as HTML
        from intel.safety import escape_record_text

        data = escape_record_text(data, ["top_categories"])
    for c in ("first_date", "last_date"):
        if c in data:
            data[c] = data[c].astype(str)
    layer = pdk.Layer(
        "H3HexagonLayer", data, id=layer_id, get_hexagon="h3", get_fill_color="color", pickable=True,
        stroked=True, get_line_color=[80, 80, 80, 120], line_width_min_pixels=0.5, extruded=extruded, auto_highlight=True,
    )
    return layer, legend(breaks, value)


def points_layer(df: pd.DataFrame, layer_id: str = "coarse-points", radius_px: int = 7) -> pdk.Layer:
    """Labelled points (for records too coarse to bin): hollow circles so they do not read as exact.
    Text columns are HTML-escaped (tooltips are rendered as HTML)."""
    from intel.safety import escape_record_text

    df = escape_record_text(df)
    return pdk.Layer(
        "ScatterplotLayer", df, id=layer_id, get_position=["longitude", "latitude"], get_radius=1,
        radius_min_pixels=radius_px, radius_max_pixels=radius_px * 3, stroked=True, filled=True,
        get_fill_color=[60, 60, 160, 60], get_line_color=[30, 30, 120], line_width_min_pixels=2, pickable=True,
    )


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


def deck(layers: list, view: pdk.ViewState, tooltip: dict | None = None) -> pdk.Deck:
    """An offline deck: sea, Natural Earth countries, then ``layers``; no map provider."""
    return pdk.Deck(layers=[water_layer(), basemap_layer(), *layers], initial_view_state=view,
                    map_provider=None, tooltip=tooltip or False)
