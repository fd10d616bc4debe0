"""Border stretches: the international land borders cut into stretches of about 50 km.

The land boundary between each pair of neighbouring countries is the shared edge of their
polygons in Natural Earth 1:10m v4.1.0 (generalised edition bundled as
``data/sources/boundaries/ne_10m_generalised_world_map.gpkg``, layer ``countries``). Each
boundary is merged into continuous lines, oriented and ordered deterministically, and cut into
pieces of equal length close to 50 km (:func:`segments_from_countries`). A stretch id is the
sorted ISO3 pair and a 4-digit serial, e.g. ``MEX-USA-0007``; it depends only on the geometry,
so it is stable from one build to the next and independent of the row order of the countries
file. The dataset is clipped at the 180th meridian; edges lying on longitude +-180 are clip
lines, not borders, and are dropped. Natural Earth polygons run the boundary through shared
lakes (the Great Lakes), so a lake boundary counts as a border: Toronto lies about 45 km from
the CAN-USA line in Lake Ontario.

The stretches come with their distance index (:class:`BorderIndex`: the border densified to
<= 1 km with a KD-tree over earth-centred coordinates), which :mod:`intel.borders.distance`
queries. :func:`world_index` builds the index of the bundled countries once per process
(``functools.lru_cache``); :func:`border_segments` returns its stretches.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pycountry
import shapely
from scipy.spatial import cKDTree

from intel.borders.common import EPS_DEG, LON_CLIP, DENSIFY_KM, STRETCH_KM
from intel.config import NATURAL_EARTH_GPKG
from intel import geodesy

def _iso3_of(row) -> str | None:
    """ISO3 of a Natural Earth ``countries`` row (Kosovo '-99'/XK -> XKX; missing -> alpha-2)."""
    iso3 = row.get("ISO_A3")
    a2 = row.get("iso_a2")
    if isinstance(a2, str) and a2.upper() == "XK":
        return "XKX"
    if isinstance(iso3, str) and re.fullmatch(r"[A-Z]{3}", iso3):
        return iso3
    if isinstance(a2, str) and re.fullmatch(r"[A-Za-z]{2}", a2):
        c = pycountry.countries.get(alpha_2=a2.upper())
        if c is not None:
            return c.alpha_3
    return None


def read_countries(path: str | Path = NATURAL_EARTH_GPKG):
    """Countries of the bundled Natural Earth file with a clean ``iso3`` column.

    Parameters
    ----------
    path : path
        GeoPackage with a ``countries`` layer (Natural Earth 1:10m v4.1.0 generalised).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``iso3`` (ISO 3166-1 alpha-3; Kosovo ``XKX``; Tokelau ``TKL`` from its
        alpha-2), ``name``, ``geometry`` (MultiPolygon, EPSG:4326), one row per country. The
        unnamed feature with ``iso_a2`` '-1' (disputed and unassigned areas such as
        Somaliland, Northern Cyprus, Baikonur) has no ISO code and is left out, so its edges
        are not borders.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Natural Earth countries file {path} does not exist")
    g = gpd.read_file(path, layer="countries")
    g["iso3"] = [_iso3_of(r) for r in g.to_dict("records")]
    g = g[g["iso3"].notna()].copy()
    g["name"] = g["NAME"].fillna(g["iso3"]) if "NAME" in g else g["iso3"]
    g = g.dissolve(by="iso3", as_index=False, aggfunc="first")[["iso3", "name", "geometry"]]
    return g.set_crs("EPSG:4326", allow_override=True)


def _edge_runs(coords: np.ndarray) -> list[np.ndarray]:
    """Split a coordinate run where edges lie on the +-180 clip line (dropping those edges)."""
    on_clip = (np.abs(np.abs(coords[:-1, 0]) - LON_CLIP) < EPS_DEG) & (
        np.abs(np.abs(coords[1:, 0]) - LON_CLIP) < EPS_DEG)
    runs, start = [], 0
    for i in np.flatnonzero(on_clip):
        if i > start:
            runs.append(coords[start:i + 1])
        start = i + 1
    if start < len(coords) - 1:
        runs.append(coords[start:])
    return runs


def _shared_lines(ga, gb) -> list[np.ndarray]:
    """Shared boundary of two polygons as merged, oriented coordinate arrays (lon, lat)."""
    x = shapely.intersection(shapely.boundary(ga), shapely.boundary(gb))
    if x.is_empty:
        return []
    parts = [p for p in shapely.get_parts(x) if p.geom_type in ("LineString", "MultiLineString")]
    lines = []
    for p in parts:
        for q in shapely.get_parts(p):
            for run in _edge_runs(np.asarray(q.coords)[:, :2]):
                lines.append(shapely.LineString(run))
    if not lines:
        return []
    merged = shapely.line_merge(shapely.MultiLineString(lines))
    out = []
    for q in shapely.get_parts(merged):
        c = np.asarray(q.coords)[:, :2]
        if len(c) < 2:
            continue
        if np.allclose(c[0], c[-1]):  # closed ring (enclave): start at the smallest vertex
            c = c[:-1]
            k = np.lexsort((c[:, 1], c[:, 0]))[0]
            c = np.vstack([c[k:], c[:k], c[k:k + 1]])
        elif (c[-1, 0], c[-1, 1]) < (c[0, 0], c[0, 1]):
            c = c[::-1]
        out.append(c)
    out.sort(key=lambda c: (round(c[0, 0], 9), round(c[0, 1], 9), round(c[-1, 0], 9), round(c[-1, 1], 9)))
    return out


def _densify(c: np.ndarray, step_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Insert vertices (linearly in lon-lat) so that no edge exceeds ``step_km``; cumulative km."""
    geod = geodesy.geod()
    _, _, d = geod.inv(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
    d = np.asarray(d) / 1000.0
    n = np.maximum(1, np.ceil(d / step_km).astype(int))
    pieces = []
    for i in range(len(c) - 1):
        t = np.arange(n[i]) / n[i]
        pieces.append(c[i] + t[:, None] * (c[i + 1] - c[i]))
    pieces.append(c[-1:])
    dc = np.vstack(pieces)
    _, _, dd = geod.inv(dc[:-1, 0], dc[:-1, 1], dc[1:, 0], dc[1:, 1])
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(dd) / 1000.0)])
    return dc, cum


@dataclass
class BorderIndex:
    """Densified border vertices with a KD-tree, for :func:`border_distance`.

    Attributes
    ----------
    segments : geopandas.GeoDataFrame
        The stretches (see :func:`border_segments`).
    lonlat : numpy.ndarray, shape (m, 2)
        Densified border vertices, WGS84 degrees (lon, lat).
    xyz : numpy.ndarray, shape (m, 3)
        The same vertices in earth-centred coordinates on the WGS84 ellipsoid (units of the
        semi-major axis, :func:`ecef_unit`).
    has_next : numpy.ndarray of bool, shape (m,)
        Vertex ``i`` is joined to vertex ``i + 1`` by a border edge.
    seg : numpy.ndarray of int, shape (m,)
        Row of ``segments`` of the edge starting at each vertex.
    """

    segments: object
    lonlat: np.ndarray
    xyz: np.ndarray
    has_next: np.ndarray
    seg: np.ndarray
    tree: object = field(default=None, repr=False)

    def __post_init__(self):
        if self.tree is None and len(self.xyz):
            # unbalanced, non-compact nodes: about 3x faster queries for vertices strung along lines
            self.tree = cKDTree(self.xyz, balanced_tree=False, compact_nodes=False)

    def subset(self, mask_segments: np.ndarray) -> "BorderIndex":
        """Index restricted to the stretches where ``mask_segments`` (shape (k,)) is True."""
        keep_v = mask_segments[self.seg]
        idx = np.flatnonzero(keep_v)
        # an edge survives when its start vertex is kept and the next one is too
        has_next = self.has_next[idx] & np.append(np.diff(idx) == 1, False)
        return BorderIndex(self.segments, self.lonlat[idx], self.xyz[idx], has_next, self.seg[idx])


_WGS84_E2 = 6.69437999014e-3  # first eccentricity squared of WGS84


def ecef_unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates on the WGS84 ellipsoid in units of the semi-major axis, shape (n, 3).

    Straight-line (chord) distances between these points rank border points in the same order
    as WGS84 geodesic distances to within about 1e-7 relative at 100 km, which a unit sphere
    does not (its north-south/east-west distortion reaches 0.7 %).
    """
    la, lo = np.radians(lat), np.radians(lon)
    sl, cl = np.sin(la), np.cos(la)
    n = 1.0 / np.sqrt(1.0 - _WGS84_E2 * sl * sl)
    return np.column_stack([n * cl * np.cos(lo), n * cl * np.sin(lo), n * (1.0 - _WGS84_E2) * sl])


def segments_from_countries(countries, iso_col: str = "iso3", stretch_km: float = STRETCH_KM,
                            step_km: float = DENSIFY_KM) -> BorderIndex:
    """Border stretches and their distance index from any set of country polygons.

    Parameters
    ----------
    countries : geopandas.GeoDataFrame
        Polygons in EPSG:4326 (lon-lat degrees) with an ISO3 column ``iso_col``; rows of one
        code are dissolved. Neighbouring polygons must share their boundary vertices, as
        Natural Earth polygons do.
    iso_col : str
        Column holding the ISO3 code.
    stretch_km : float
        Target stretch length, km; each continuous boundary line is cut into
        ``max(1, round(length / stretch_km))`` pieces of equal geodesic length.
    step_km : float
        Maximum spacing of the densified vertices, km.

    Returns
    -------
    BorderIndex
        ``segments`` has columns ``segment_id`` ('AAA-BBB-0001'), ``pair`` ('AAA-BBB', sorted),
        ``iso3_a``, ``iso3_b``, ``length_km`` (geodesic, WGS84) and ``geometry`` (LineString,
        lon-lat, EPSG:4326).

    Notes
    -----
    Edges lying on longitude +-180 are clip lines of the dataset, not borders, and are never
    part of a stretch. Stretch serials follow the boundary lines sorted by their
    west-most/south-most end, so they depend only on the geometry.
    """
    g = countries[[iso_col, "geometry"]].rename(columns={iso_col: "iso3"})
    g = g[g["iso3"].notna()].dissolve(by="iso3", as_index=False)
    g = g.sort_values("iso3").reset_index(drop=True)
    geoms = g.geometry.values
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    rows, verts, has_next, seg_of = [], [], [], []
    for i, j in sorted(zip(a[keep].tolist(), b[keep].tolist())):
        ia, ib = g["iso3"].iloc[i], g["iso3"].iloc[j]
        if ia == ib:
            continue
        pair = f"{ia}-{ib}"
        serial = 0
        for line in _shared_lines(geoms[i], geoms[j]):
            dc, cum = _densify(line, step_km)
            total = cum[-1]
            if total <= 0:
                continue
            n = max(1, int(round(total / stretch_km)))
            cuts = [0] + [int(np.argmin(np.abs(cum - total * k / n))) for k in range(1, n)] + [len(dc) - 1]
            cuts = sorted(set(cuts))
            for s, e in zip(cuts[:-1], cuts[1:]):
                if e <= s:
                    continue
                serial += 1
                sid = f"{pair}-{serial:04d}"
                part = dc[s:e + 1]
                row = len(rows)
                geom = shapely.simplify(shapely.LineString(part), 1e-9)
                rows.append((sid, pair, ia, ib, float(cum[e] - cum[s]), geom))
                verts.append(part)
                hn = np.ones(len(part), dtype=bool)
                hn[-1] = False
                has_next.append(hn)
                seg_of.append(np.full(len(part), row, dtype=np.int32))
    segs = gpd.GeoDataFrame(rows, columns=["segment_id", "pair", "iso3_a", "iso3_b", "length_km", "geometry"],
                            geometry="geometry", crs="EPSG:4326")
    if verts:
        lonlat = np.vstack(verts)
        hn = np.concatenate(has_next)
        sg = np.concatenate(seg_of)
    else:
        lonlat = np.zeros((0, 2))
        hn = np.zeros(0, dtype=bool)
        sg = np.zeros(0, dtype=np.int32)
    return BorderIndex(segs, lonlat, ecef_unit(lonlat[:, 1], lonlat[:, 0]), hn, sg)


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def _world_index(path: str, sha: str, stretch_km: float, step_km: float) -> BorderIndex:
    return segments_from_countries(read_countries(path), "iso3", stretch_km, step_km)


def world_index(path: str | Path = NATURAL_EARTH_GPKG, stretch_km: float = STRETCH_KM,
                step_km: float = DENSIFY_KM) -> BorderIndex:
    """The border index of the bundled Natural Earth countries, built once per process.

    Cached (``functools.lru_cache``) on the file path, its SHA-256 and the parameters; the
    first call takes a few seconds.

    Raises
    ------
    FileNotFoundError
        When the countries file does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Natural Earth countries file {path} does not exist")
    return _world_index(str(path), _file_sha(path), float(stretch_km), float(step_km))


def border_segments() -> "geopandas.GeoDataFrame":  # noqa: F821
    """International land-border stretches of about 50 km between neighbouring countries.

    Source: Natural Earth 1:10m v4.1.0 (generalised), layer ``countries``, EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stretch; columns ``segment_id`` (stable id such as ``'MEX-USA-0007'``),
        ``pair`` (the two ISO3 codes sorted and joined by '-'), ``iso3_a``, ``iso3_b``,
        ``length_km`` (geodesic km, WGS84) and ``geometry`` (LineString, lon-lat degrees,
        EPSG:4326). Clip edges at longitude +-180 are excluded.

    Raises
    ------
    FileNotFoundError
        When the bundled countries file is missing.
    """
    return world_index().segments.copy()
