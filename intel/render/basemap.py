"""The basemap fitted to a view: geography clipped to the view's extent and simplified to its zoom.

Part of the renderer layer (:mod:`intel.render`), used by :func:`intel.render.deck.offline_deck`.

Why
---
Without a GPU the browser draws every vertex of every layer on the CPU (SwiftShader), on every
frame: the whole world's coasts, lakes, admin-1 lines and 12,000 place names made one Explore map
take tens of seconds to redraw on a loaded 2-core machine, while the server's own rerun took
0.2 s (figures under ``bench/``). A map needs only what its view shows, at the detail its zoom
can show.

What
----
:func:`view_box` turns a deck's initial view (latitude, longitude, zoom) into a :class:`Box`: the
view's extent for a map of about :data:`MAP_WIDTH_PX` by :data:`MAP_HEIGHT_PX` CSS pixels, widened
by :data:`MARGIN` view sizes on each side (so panning stays within drawn geography), snapped
outward to a grid of ``360 / 2**level`` degrees (``level`` the rounded zoom), so that nearby views
share one box and its files. :func:`view_files` writes, once per box, under ``static/views/``:

* ``land``: the Natural Earth countries (:data:`intel.config.NATURAL_EARTH_GPKG`) cut to the box
  and simplified to :data:`TOLERANCE_PX` pixels at the box's level; outside the box, the world's
  land at the coarsest level (a few thousand vertices), so a user who zooms out still sees the
  continents;
* ``borders``: the land borders between countries (not the coasts: the land's colour against the
  sea draws them) cut the same way (inside the box in detail, outside coarse), written as straight
  segments for a LineLayer (:func:`line_segments`);
* ``lakes``: the Natural Earth lakes (:func:`intel.render.worldfiles.lakes_file`) inside the box;
* ``admin1``: the admin-1 lines (:func:`intel.render.worldfiles.admin1_file`) inside the box, as
  segments too;
* ``places``: the :data:`PLACES_PER_BOX` most populous labelled places
  (:func:`intel.render.worldfiles.places_records`) inside the box.

Each file is served by the dashboard itself (Streamlit static serving, 127.0.0.1) under a name
that holds the box, so a rerun that keeps the view sends the same URLs: deck.gl neither fetches
nor tessellates the basemap again, and the browser caches the files. Coordinates are rounded to a
quarter of the simplification tolerance. Sizes: a few kB to a few hundred kB per file, against
0.7-1 MB per world file.
"""
from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from intel.config import NATURAL_EARTH_GPKG, STATIC_DIR
from intel.render.labels import mercator_px
from intel.render.worldfiles import admin1_file, lakes_file, places_file
from intel.safety import write_text_atomic

VIEW_DIR = STATIC_DIR / "views"
VIEW_URL = "/app/static/views"
MAP_WIDTH_PX = 1200
"""Width in CSS pixels assumed for a map (Streamlit's deck fills the column; 1200 is a wide one)."""
MAP_HEIGHT_PX = 560
MARGIN = 0.5
"""View sizes added on each side of the view (the box spans two views across)."""
TOLERANCE_PX = 0.75
"""Simplification tolerance in CSS pixels at the box's level."""
PLACES_PER_BOX = 400
"""Most place labels written per box (deck.gl's collision filter thins them further on screen)."""
LABEL_CHAR_EM = 0.6
"""Width of a label's character in ems (of its size ``s`` in pixels), for the label box."""
LABEL_GAP_PX = 4.0
"""Space in pixels kept free around each label box."""
ADMIN1_MIN_LEVEL = 4
"""Lowest level (rounded zoom) with admin-1 lines."""
COARSE_LEVEL = 1
"""Level of the land drawn outside the box (tolerance about a quarter degree)."""
FORMAT = 4
"""Version of the files' content: part of their names, so a change of this module never serves an
old file."""


@dataclass(frozen=True)
class Box:
    """A box of the view grid: ``level`` (rounded zoom, 0-14) and west, south, east, north in
    degrees (multiples of ``360 / 2**level``; latitudes within +-85.06)."""

    level: int
    w: float
    s: float
    e: float
    n: float

    @property
    def key(self) -> str:
        """The box as a file-name part (``L5_-80.0_39.4_...``), also for caching."""
        return f"v{FORMAT}_L{self.level}_{self.w:g}_{self.s:g}_{self.e:g}_{self.n:g}"

    @property
    def whole_world(self) -> bool:
        return self.e - self.w >= 360.0


def degrees_per_px(zoom: float) -> float:
    """Degrees of longitude per CSS pixel at ``zoom`` (deck.gl: the world is ``512 * 2**zoom`` px)."""
    return 360.0 / (512.0 * 2.0 ** zoom)


def view_box(lat: float, lon: float, zoom: float) -> Box:
    """The :class:`Box` of a view (degrees WGS84, deck.gl zoom).

    The view's half-extent is ``MAP_WIDTH_PX / 2`` (``MAP_HEIGHT_PX / 2``) pixels times
    :func:`degrees_per_px` (latitude: times ``cos(lat)``, the Mercator scale), times
    ``1 + 2 * MARGIN``; the box is that extent snapped outward to multiples of ``360 / 2**level``.
    A box 360 degrees wide or more is the whole world (-180..180).
    """
    lat = float(np.clip(lat, -85.0, 85.0)) if math.isfinite(lat) else 0.0
    lon = float(lon) if math.isfinite(lon) else 0.0
    zoom = float(np.clip(zoom, 0.0, 14.0)) if math.isfinite(zoom) else 1.0
    level = int(round(zoom))
    step = 360.0 / 2 ** level
    dpp = degrees_per_px(zoom)
    half_w = MAP_WIDTH_PX / 2 * dpp * (1 + 2 * MARGIN)
    half_h = MAP_HEIGHT_PX / 2 * dpp * math.cos(math.radians(lat)) * (1 + 2 * MARGIN)
    snap = lambda x, f: round(f(x / step) * step, 6)  # noqa: E731
    w, e = snap(lon - half_w, math.floor), snap(lon + half_w, math.ceil)
    s, n = max(snap(lat - half_h, math.floor), -85.06), min(snap(lat + half_h, math.ceil), 85.06)
    if e - w >= 360.0:
        w, e = -180.0, 180.0
    return Box(level, w, s, e, n)


# ------------------------------------------------------------------------------ sources (read once)

@lru_cache(maxsize=1)
def _countries():
    """Natural Earth country polygons (full detail) and the land borders between them, with STRtrees.

    The land borders are the stretches two countries' outlines share (their intersection, merged
    into long lines); the coasts are left out, since the land colour against the sea already
    draws them. Without a GPU every vertex of a line layer costs the browser on every frame, and
    the coasts are four fifths of the outlines' vertices (220,000 against 43,000 at 10 m)."""
    import geopandas as gpd
    import shapely

    g = gpd.read_file(NATURAL_EARTH_GPKG, layer="countries", columns=["NAME"]).geometry.values
    g = shapely.get_parts(np.asarray([x for x in g if x is not None and not x.is_empty], dtype=object))
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    pair = a < b
    outline = shapely.boundary(g)
    shared = shapely.get_parts(shapely.intersection(outline[a[pair]], outline[b[pair]]))
    shared = shared[shapely.get_type_id(shared) == 1]
    lines = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(shared)))
    return g, tree, lines, shapely.STRtree(lines)


@lru_cache(maxsize=1)
def _coarse_world():
    """The world's land and outlines at :data:`COARSE_LEVEL` (drawn outside every box)."""
    import shapely

    g, _, lines, _ = _countries()
    tol = TOLERANCE_PX * 4 * degrees_per_px(COARSE_LEVEL)
    return _small_out(shapely.simplify(g, tol, preserve_topology=True), tol), \
        _small_out(shapely.simplify(lines, tol, preserve_topology=False), tol)


def _geojson_parts(path: Path):
    """The geometries of a GeoJSON FeatureCollection file, multi-parts split, with an STRtree."""
    import shapely
    from shapely.geometry import shape

    feats = json.loads(path.read_text(encoding="utf-8"))["features"]
    geoms = [shape(f["geometry"]) for f in feats if f.get("geometry")]
    parts = shapely.get_parts(np.asarray(geoms, dtype=object)) if geoms else np.asarray([], dtype=object)
    return parts, shapely.STRtree(parts)


@lru_cache(maxsize=1)
def _lakes():
    path = lakes_file()
    return None if path is None else _geojson_parts(path)


@lru_cache(maxsize=1)
def _admin1():
    return _geojson_parts(admin1_file())


@lru_cache(maxsize=1)
def _places() -> list[dict]:
    return json.loads(places_file().read_text(encoding="utf-8"))


_SOURCES_LOCK = threading.Lock()


def prepare_sources() -> None:
    """Read the sources every box is cut from (countries and their land borders, the coarse world,
    lakes, admin-1 lines, places), once per process; later calls return at once.

    :func:`view_files` calls it before it cuts a box's first file; the dashboard's launcher (``launch.py``) calls it in the
    background while the server starts, so the first map does not wait for it (about 1.5 s on 2
    cores, December 2026). One lock: a map asked for while the launcher reads waits for that
    reading instead of doing it a second time beside it.

    Raises
    ------
    OSError
        When a reference file cannot be read or written (:mod:`intel.render.worldfiles`).
    """
    with _SOURCES_LOCK:
        _countries()
        _coarse_world()
        _lakes()
        _admin1()
        _places()


# ------------------------------------------------------------------------------ cutting

def _cut(geoms, tree, box: Box, tol: float):
    """``geoms`` meeting the box, cut to it and simplified by ``tol`` degrees; empties dropped."""
    import shapely

    rect = shapely.box(box.w, box.s, box.e, box.n)
    idx = tree.query(rect)
    if not len(idx):
        return np.asarray([], dtype=object)
    cut = shapely.clip_by_rect(geoms[np.sort(idx)], box.w, box.s, box.e, box.n)
    return _small_out(shapely.simplify(cut, tol, preserve_topology=False), tol)


def _small_out(geoms, tol: float):
    """Parts of ``geoms`` too small to see at tolerance ``tol`` left out: polygons smaller than
    ``(4 tol)**2`` square degrees, lines shorter than ``4 tol`` degrees (about 3 pixels)."""
    import shapely

    parts = shapely.get_parts(geoms)
    if not len(parts):
        return parts
    poly = shapely.get_type_id(parts) == 3
    keep = np.where(poly, shapely.area(parts) >= (4 * tol) ** 2, shapely.length(parts) >= 4 * tol)
    return parts[keep & ~shapely.is_empty(parts)]


def _outside(geoms, box: Box):
    """``geoms`` with the box taken out (the coarse world around the detailed box)."""
    import shapely

    if box.whole_world:
        return np.asarray([], dtype=object)
    out = shapely.difference(geoms, shapely.box(box.w, box.s, box.e, box.n))
    return out[~shapely.is_empty(out)]


def _collection(geoms, digits: int) -> str:
    """A compact GeoJSON FeatureCollection (no properties) of shapely geometries as JSON text,
    coordinates rounded to ``digits`` decimals."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if len(geoms):
        geoms = shapely.set_precision(geoms, 10.0 ** -digits)
        geoms = geoms[~shapely.is_empty(geoms)]
    feats = ",".join(f'{{"type":"Feature","properties":{{}},"geometry":{x}}}' for x in shapely.to_geojson(geoms))
    return f'{{"type":"FeatureCollection","features":[{feats}]}}'


def _tolerance(box: Box) -> tuple[float, int]:
    """Simplification tolerance (degrees) and decimals kept at the box's level."""
    tol = TOLERANCE_PX * degrees_per_px(box.level)
    digits = int(np.clip(math.ceil(-math.log10(tol / 4)), 1, 6))
    return tol, digits


def land(box: Box) -> str:
    """Land polygons: the countries inside the box at its level's detail, coarse outside it."""
    g, tree, _, _ = _countries()
    tol, digits = _tolerance(box)
    coarse_land, _ = _coarse_world()
    return _collection([*_cut(g, tree, box, tol), *_outside(coarse_land, box)], digits)


def line_segments(geoms, digits: int) -> list[dict]:
    """The straight segments of line geometries as ``{"s": [lon, lat], "t": [lon, lat]}`` records
    (degrees rounded to ``digits`` decimals; zero-length segments left out), the rows of a deck.gl
    LineLayer: without a GPU its two-vertex segments cost the browser a fraction of a PathLayer's
    mitred joints (:mod:`intel.render.deck`)."""
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return []
    parts = shapely.get_parts(shapely.set_precision(geoms, 10.0 ** -digits))
    parts = parts[(shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)]
    coords, index = shapely.get_coordinates(parts, return_index=True)
    coords = np.round(coords, digits)
    keep = (index[1:] == index[:-1]) & (coords[1:] != coords[:-1]).any(axis=1)
    return [{"s": a, "t": b} for a, b in zip(coords[:-1][keep].tolist(), coords[1:][keep].tolist())]


def borders(box: Box) -> list[dict]:
    """Land borders between countries (no coasts) as segments (:func:`line_segments`): inside the box
    in detail, coarse outside it."""
    _, _, lines, tree = _countries()
    tol, digits = _tolerance(box)
    _, coarse_lines = _coarse_world()
    return line_segments([*_cut(lines, tree, box, tol), *_outside(coarse_lines, box)], digits)


def lakes(box: Box) -> str:
    """The lakes inside the box (empty without a lakes source)."""
    src = _lakes()
    if src is None:
        return _collection([], 1)
    tol, digits = _tolerance(box)
    return _collection(_cut(src[0], src[1], box, tol), digits)


def admin1(box: Box) -> list[dict]:
    """The admin-1 lines inside the box as segments (:func:`line_segments`); none below level
    :data:`ADMIN1_MIN_LEVEL` (a continent's state lines would outweigh the rest of the map)."""
    if box.level < ADMIN1_MIN_LEVEL:
        return []
    parts, tree = _admin1()
    tol, digits = _tolerance(box)
    return line_segments(_cut(parts, tree, box, tol), digits)


def _label_box(p: dict, zoom: float) -> tuple[float, float, float, float]:
    """Screen box (x0, y0, x1, y1, CSS pixels at ``zoom``) of a place label centred on its place,
    :data:`LABEL_GAP_PX` added on each side."""
    x, y = mercator_px(p["c"][1], p["c"][0], zoom)
    size = float(p.get("s", 12))
    half_w = LABEL_CHAR_EM * size * len(str(p["n"])) / 2 + LABEL_GAP_PX
    half_h = size / 2 + LABEL_GAP_PX
    return float(x) - half_w, float(y) - half_h, float(x) + half_w, float(y) + half_h


def places(box: Box, limit: int = PLACES_PER_BOX) -> list[dict]:
    """The most populous labelled places inside the box whose labels do not overlap at the box's
    zoom (records of :func:`intel.render.worldfiles.places_records`, largest first, at most
    ``limit``).

    Labels are placed largest first; a place whose label box (its name's width at
    :data:`LABEL_CHAR_EM` ems of its size, :data:`LABEL_GAP_PX` around it) would meet one already
    placed at the lowest zoom the box serves (its level minus a half) is left out, so two
    neighbourhoods of one name (Willowdale, Willowdale East) never print over each other, whatever
    the browser's own collision filter does. Zooming in only moves labels apart.
    """
    zoom = max(box.level - 0.5, 0.0)
    out, boxes = [], np.empty((limit, 4))   # the boxes of the labels placed so far: boxes[:len(out)]
    for p in _places():
        x, y = p["c"]
        if not (box.w <= x <= box.e and box.s <= y <= box.n):
            continue
        b = _label_box(p, zoom)
        k = boxes[:len(out)]
        if np.any((k[:, 0] < b[2]) & (b[0] < k[:, 2]) & (k[:, 1] < b[3]) & (b[1] < k[:, 3])):
            continue
        boxes[len(out)] = b
        out.append(p)
        if len(out) >= limit:
            break
    return out


KINDS = {"land": land, "borders": borders, "lakes": lakes, "admin1": admin1, "places": places}
"""The files of a box: kind -> function of the box returning its content (JSON text, or a list
written as JSON)."""


def _write(path: Path, content) -> None:
    """Write ``content`` (JSON text, or a value written as compact JSON) to ``path`` atomically
    (:func:`intel.safety.write_text_atomic`), so concurrent sessions and processes never read half a file."""
    write_text_atomic(path, content if isinstance(content, str)
                      else json.dumps(content, separators=(",", ":"), ensure_ascii=False))


@lru_cache(maxsize=512)
def view_files(box: Box) -> dict[str, str]:
    """The URLs of the box's files (kind -> ``/app/static/views/<kind>_<box key>.json``), each
    written under :data:`VIEW_DIR` when missing.

    Raises
    ------
    OSError
        When a file cannot be written.
    """
    urls = {}
    for kind, make in KINDS.items():
        name = f"{kind}_{box.key}.json"
        path = VIEW_DIR / name
        if not path.is_file():
            prepare_sources()   # only when a file is cut: a box written before needs no source
            _write(path, make(box))
        urls[kind] = f"{VIEW_URL}/{name}"
    return urls


__all__ = ["Box", "view_box", "view_files", "prepare_sources", "line_segments", "degrees_per_px", "land", "borders", "lakes", "admin1", "places",
           "VIEW_DIR", "VIEW_URL"]
