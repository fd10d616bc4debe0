"""Borders and crossings: border stretches, distance to border, official crossings, bypass
candidates and border ranking.

Operations such as KAFO search vehicles at land border points, at cross-border bypass points
and at known trafficking hotspots. This module answers the planner's two questions: *which
stretches of which borders carry seizures*, and *where do seizures cluster away from the
official posts*.

Overview
--------
1. **Border stretches** (:func:`border_segments`). The land boundary between each pair of
   neighbouring countries is the shared edge of their polygons in Natural Earth 1:10m v4.1.0
   (generalised edition bundled as ``data/sources/boundaries/ne_10m_generalised_world_map.gpkg``,
   layer ``countries``). Each boundary is merged into continuous lines, oriented and ordered
   deterministically, and cut into pieces of equal length close to 50 km. A stretch id is the
   sorted ISO3 pair and a 4-digit serial, e.g. ``MEX-USA-0007``; it depends only on the
   geometry, so it is stable from one build to the next and independent of the row order of
   the countries file. The dataset is clipped at the 180th meridian; edges lying on
   longitude +-180 are clip lines, not borders, and are dropped. Natural Earth polygons
   run the boundary through shared lakes (the Great Lakes), so a lake boundary counts as a
   border: Toronto lies about 45 km from the CAN-USA line in Lake Ontario.
2. **Distance to border** (:func:`border_distance`). Geodesic km on WGS84 from each point to
   the nearest international land border, with that border's pair and stretch id. It is
   vectorised (KD-tree over 3-D unit vectors of the border densified to <= 1 km, exact
   point-to-edge refinement, final distance by Karney's geodesic in :class:`pyproj.Geod`) and
   handles 1,000,000 points in a few seconds. The ingest stores the result in
   ``events.border_km``, ``events.border_pair`` and ``events.border_segment``;
   :func:`zone_where` gives the SQL of the border-zone filter every map page can use.
3. **Official crossings** (:func:`load_crossings`, :func:`snap_crossings`). UN/LOCODE 2012-1
   entries with the border-crossing function, plus crossings imported by the analyst (CSV or
   GeoJSON). Positions are stored as published; snapping to the nearest border of the
   crossing's own country is computed on the fly, with the snapping distance, and a crossing
   farther than ``far_km`` from that border is *flagged*, never silently moved. In the bundled
   CBP seizures, Office of Field Operations field offices stand for ports of entry
   (:func:`official_crossings` can add their positions as crossings) and Border Patrol sectors
   for the stretches between the ports.
4. **Bypass candidates** (:func:`bypass_candidates`). Border-zone events farther than
   ``min_km`` from every official crossing, clustered in coarse H3 cells (parent rule of
   :mod:`intel.store`), ranked by events, then firearms, then recency, each with its nearest
   official crossing and the distance to it.
5. **Border ranking** (:func:`border_ranking`). Events (distinct incidents, :func:`intel.store.events_sql`) and
   firearms (``sum(firearms)``) per stretch or per country pair, inbound and outbound, for a
   half-open period ``[date_from, date_to)`` and the previous period of equal length.
6. **CBP split** (:func:`cbp_split`): Southwest vs Northern border, inbound vs outbound,
   ports of entry vs between-port sectors.

Conventions: coordinates are WGS84 degrees (EPSG:4326), lon-lat in geometries and GeoJSON;
distances are geodesic km on the WGS84 ellipsoid; countries are ISO 3166-1 alpha-3 (Kosovo
``XKX``). This module never imports Streamlit; all SQL is parameterised.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from intel.export import json_value
from intel.store import transaction

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES_GPKG = ROOT / "data" / "sources" / "boundaries" / "ne_10m_generalised_world_map.gpkg"
"""Natural Earth 1:10m v4.1.0 generalised countries (layer ``countries``), EPSG:4326."""
UNLOCODE_SOURCE = "UN/LOCODE 2012-1"
UNLOCODE_CSV = ROOT / "data" / "sources" / "crossings" / "unlocode_border_crossings_2012-1.csv"
"""UN/LOCODE 2012-1 entries with the border-crossing function (215 of 441 with coordinates)."""
CBP_CSV = ROOT / "data" / "sources" / "seizures" / "cbp_weapons_seizures_fy22_25.csv"
"""CBP Weapons and Ammunition Seizures FY2022-FY2025 (used for the Area of Responsibility -> Region table)."""

STRETCH_KM = 50.0
"""Target length of a border stretch, km."""
DENSIFY_KM = 1.0
"""Maximum spacing of border vertices in the distance index, km."""
FAR_KM = 10.0
"""A crossing farther than this from its border is flagged ``far_from_border``, km."""
ZONE_CHOICES = (20, 50, 80)
"""Border-zone widths offered on the pages, km."""
SEIZURE_KINDS = ("seizure", "recovery")
"""Event kinds that border ranking and bypass search count by default."""
DISTANCE_BANDS = ((0.0, 20.0, "0-20 km"), (20.0, 50.0, "20-50 km"), (50.0, 80.0, "50-80 km"))
"""Distance bands of events to the border, km, half-open [lo, hi)."""

_R_KM = 6371.0088  # mean Earth radius (IUGG), used only to convert chord length to a first guess
_LON_CLIP = 180.0
_EPS_DEG = 1e-7
_K_NEAREST = 4


def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


# --------------------------------------------------------------------------------------------
# Border stretches
# --------------------------------------------------------------------------------------------

def _iso3_of(row) -> str | None:
    """ISO3 of a Natural Earth ``countries`` row (Kosovo '-99'/XK -> XKX; missing -> alpha-2)."""
    import pycountry

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


def read_countries(path: str | Path = COUNTRIES_GPKG):
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
    import geopandas as gpd

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
    on_clip = (np.abs(np.abs(coords[:-1, 0]) - _LON_CLIP) < _EPS_DEG) & (
        np.abs(np.abs(coords[1:, 0]) - _LON_CLIP) < _EPS_DEG)
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
    import shapely

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
    geod = _geod()
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
        semi-major axis, :func:`_ecef`).
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
        from scipy.spatial import cKDTree

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


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Unit vectors of geodetic (lat, lon) degrees on the unit sphere, shape (n, 3)."""
    la, lo = np.radians(lat), np.radians(lon)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


_WGS84_E2 = 6.69437999014e-3  # first eccentricity squared of WGS84


def _ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
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
    import geopandas as gpd
    import shapely

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
    return BorderIndex(segs, lonlat, _ecef(lonlat[:, 1], lonlat[:, 0]), hn, sg)


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@functools.lru_cache(maxsize=4)
def _world_index(path: str, sha: str, stretch_km: float, step_km: float) -> BorderIndex:
    return segments_from_countries(read_countries(path), "iso3", stretch_km, step_km)


def world_index(path: str | Path = COUNTRIES_GPKG, stretch_km: float = STRETCH_KM,
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


# --------------------------------------------------------------------------------------------
# Distance to border
# --------------------------------------------------------------------------------------------

def _nearest_on_index(index: BorderIndex, lat: np.ndarray, lon: np.ndarray, chunk: int = 200_000):
    """Nearest border point (lat, lon) and stretch row for finite points.

    Candidates are the edges touching the :data:`_K_NEAREST` nearest vertices (KD-tree on
    earth-centred coordinates); the closest point of each edge chord is found exactly, and
    mapped back to lon-lat by the same linear interpolation that densified the edge.
    """
    n = len(lat)
    qlat = np.full(n, np.nan)
    qlon = np.full(n, np.nan)
    seg = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(index.xyz) == 0:
        return qlat, qlon, seg
    xyz, hn, ll = index.xyz, index.has_next, index.lonlat
    m = len(xyz)
    k = min(_K_NEAREST, m)

    def one(s0: int) -> None:   # one chunk; NumPy and the KD-tree release the GIL
        sl = slice(s0, min(n, s0 + chunk))
        P = _ecef(lat[sl], lon[sl])
        _, idx = index.tree.query(P, k=k, workers=1)
        idx = idx.reshape(len(P), k)
        # candidate edges: (v, v+1) when v has a successor, (v-1, v) when v-1 has one
        prev = idx - 1
        c_start = np.concatenate([idx, np.maximum(prev, 0)], axis=1)
        c_ok = np.concatenate([hn[idx], (prev >= 0) & hn[np.maximum(prev, 0)]], axis=1)
        c_end = np.where(c_ok, c_start + 1, c_start).clip(max=m - 1)
        c_end = np.where(c_ok, c_end, c_start)  # degenerate edge = the vertex itself
        A = xyz[c_start]
        AB = xyz[c_end] - A
        AP = P[:, None, :] - A
        denom = np.einsum("ijk,ijk->ij", AB, AB)
        safe = np.where(denom > 0, denom, 1.0)
        t = np.clip(np.where(denom > 0, np.einsum("ijk,ijk->ij", AP, AB) / safe, 0.0), 0.0, 1.0)
        D = AP - t[..., None] * AB
        d2 = np.einsum("ijk,ijk->ij", D, D)
        best = np.argmin(d2, axis=1)
        r = np.arange(len(P))
        sb, eb, tb = c_start[r, best], c_end[r, best], t[r, best]
        q = ll[sb] + tb[:, None] * (ll[eb] - ll[sb])
        qlon[sl], qlat[sl] = q[:, 0], q[:, 1]
        seg[sl] = index.seg[sb]

    starts = range(0, n, chunk)
    if len(starts) > 1:   # chunks side by side, one thread per core
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(os.cpu_count() or 1, 8)) as ex:
            list(ex.map(one, starts))
    else:
        one(0)
    return qlat, qlon, seg


def _geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """WGS84 geodesic distances in metres (:class:`pyproj.Geod` ``inv``), in one slice per core
    on threads above 200,000 pairs (a Geod per thread: pyproj releases the GIL)."""
    n = len(lon1)
    k = min(os.cpu_count() or 1, 8)
    if n < 200_000 or k < 2:
        return np.asarray(_geod().inv(lon1, lat1, lon2, lat2)[2])
    from concurrent.futures import ThreadPoolExecutor

    import pyproj

    b = np.linspace(0, n, k + 1).astype(int)

    def part(ab):
        a, e = ab
        return np.asarray(pyproj.Geod(ellps="WGS84").inv(lon1[a:e], lat1[a:e], lon2[a:e], lat2[a:e])[2])

    with ThreadPoolExecutor(k) as ex:
        return np.concatenate(list(ex.map(part, zip(b[:-1], b[1:]))))


def border_distance(lat: np.ndarray, lon: np.ndarray, index: BorderIndex | None = None) -> pd.DataFrame:
    """Geodesic distance of points to the nearest international land border.

    Parameters
    ----------
    lat, lon : array-like of float, shape (n,)
        WGS84 degrees (EPSG:4326). NaN gives NaN / missing outputs.
    index : BorderIndex, optional
        Borders to measure against; default the bundled Natural Earth 1:10m v4.1.0 borders
        (:func:`world_index`). Tests pass hand-built borders.

    Returns
    -------
    pandas.DataFrame, shape (n, 3)
        Same length and order as the input (RangeIndex). Columns ``border_km`` (float, km),
        ``border_pair`` (str such as ``'MEX-USA'``, the two ISO3 codes sorted; ``None`` for
        NaN input), ``border_segment`` (stretch id such as ``'MEX-USA-0007'``).

    Raises
    ------
    ValueError
        When ``lat`` and ``lon`` differ in length, or a finite coordinate is outside
        [-90, 90] x [-180, 180].

    Notes
    -----
    Method: the border is densified to vertices <= 1 km apart (straight lines in lon-lat, as
    the source draws them); a KD-tree over their earth-centred coordinates on the WGS84
    ellipsoid gives the 4 nearest vertices, and the closest point of the edges touching them
    is found exactly (edge chords). The distance from the point to that border point is the
    WGS84 ellipsoidal geodesic (Karney's algorithm, :class:`pyproj.Geod`), so it is never
    shorter than the true minimum. Error bound: restricting the search to the edges of the 4
    nearest vertices can overestimate by at most half the vertex spacing (0.5 km) in the
    worst case, and by about ``step**2 / (8 d)`` at distance ``d`` (about 1 m at 100 km);
    tests compare with a brute-force geodesic minimum over a 50 m densification to 10 m.
    A point inside a country far from its borders simply gets a large distance.
    """
    lat = np.asarray(lat, dtype="float64").ravel()
    lon = np.asarray(lon, dtype="float64").ravel()
    if lat.shape != lon.shape:
        raise ValueError(f"lat and lon differ in length ({lat.shape[0]} vs {lon.shape[0]})")
    ok = np.isfinite(lat) & np.isfinite(lon)
    if np.any(ok & ((np.abs(lat) > 90) | (np.abs(lon) > 180))):
        raise ValueError("coordinates outside [-90, 90] x [-180, 180] reached border_distance; validate first")
    index = index if index is not None else world_index()
    n = len(lat)
    km = np.full(n, np.nan)
    pair = np.full(n, None, dtype=object)
    segid = np.full(n, None, dtype=object)
    if ok.any() and len(index.xyz):
        qlat, qlon, seg = _nearest_on_index(index, lat[ok], lon[ok])
        d = _geodesic_m(lon[ok], lat[ok], qlon, qlat)
        km[ok] = np.asarray(d) / 1000.0
        segs = index.segments
        pair[ok] = segs["pair"].to_numpy(dtype=object)[seg]
        segid[ok] = segs["segment_id"].to_numpy(dtype=object)[seg]
    return pd.DataFrame({"border_km": km, "border_pair": pd.Series(pair, dtype=object),
                         "border_segment": pd.Series(segid, dtype=object)})


def zone_where(zone_km: float | None, alias: str = "e") -> tuple[str, list]:
    """SQL condition of the border-zone filter and its parameters.

    Parameters
    ----------
    zone_km : float or None
        Zone width, km (geodesic, the stored ``events.border_km``). ``None`` or <= 0 means no
        filter.
    alias : str
        Trusted table alias of ``events``.

    Returns
    -------
    (str, list)
        E.g. ``("e.border_km <= ?", [50.0])``; ``("TRUE", [])`` without a filter.
    """
    if zone_km is None or float(zone_km) <= 0:
        return "TRUE", []
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", alias):
        raise ValueError(f"bad alias {alias!r}")
    return f"{alias}.border_km <= ?", [float(zone_km)]


def distance_band(km) -> np.ndarray:
    """Label of :data:`DISTANCE_BANDS` for distances in km (``'80+ km'`` beyond, ``None`` for NaN)."""
    km = np.asarray(km, dtype="float64")
    out = np.full(km.shape, None, dtype=object)
    out[np.isfinite(km)] = f"{int(DISTANCE_BANDS[-1][1])}+ km"
    for lo, hi, label in DISTANCE_BANDS:
        out[(km >= lo) & (km < hi)] = label
    return out


def fill_border_columns(con, only_missing: bool = True) -> int:
    """Compute ``border_km``, ``border_pair``, ``border_segment`` for events in the store.

    For a store built before these columns were filled (the ingest normally fills them per
    batch with :func:`border_distance`). Writes in one transaction.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Writable connection.
    only_missing : bool
        Only rows whose ``border_km`` is NULL.

    Returns
    -------
    int
        Number of rows updated.
    """
    cond = " AND border_km IS NULL" if only_missing else ""
    df = con.execute(f"SELECT event_id, latitude, longitude FROM events "
                     f"WHERE latitude IS NOT NULL AND longitude IS NOT NULL{cond}").df()
    if df.empty:
        return 0
    bd = border_distance(df["latitude"].to_numpy(), df["longitude"].to_numpy())
    upd = pd.concat([df[["event_id"]], bd], axis=1)
    con.register("_border_upd", upd)
    try:
        with transaction(con):
            con.execute("""UPDATE events SET border_km = u.border_km, border_pair = u.border_pair,
                           border_segment = u.border_segment FROM _border_upd u WHERE events.event_id = u.event_id""")
    finally:
        con.unregister("_border_upd")
    return len(upd)


# --------------------------------------------------------------------------------------------
# Crossings
# --------------------------------------------------------------------------------------------

def _iso3(code) -> str | None:
    """ISO3 of an alpha-2, alpha-3 or English country name; None when unknown."""
    import pycountry

    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    s = str(code).strip()
    if not s:
        return None
    if s.upper() in ("XK", "XKX", "KOSOVO"):
        return "XKX"
    if len(s) == 2:
        c = pycountry.countries.get(alpha_2=s.upper())
    elif len(s) == 3:
        c = pycountry.countries.get(alpha_3=s.upper())
    else:
        try:
            c = pycountry.countries.lookup(s)
        except LookupError:
            c = None
    return c.alpha_3 if c is not None else None


@dataclass
class CrossingImport:
    """Summary of :func:`load_crossings`.

    Attributes
    ----------
    source : str
    read : int
        Rows read from the file.
    inserted : int
        Crossings written (new or replaced; ``crossing_id`` is the key).
    skipped : int
        Rows without usable coordinates or country.
    far_from_border : int
        Inserted crossings more than :data:`FAR_KM` from their border (flagged, not moved).
    messages : list of str
        One plain sentence per skipped or flagged row.
    """

    source: str
    read: int = 0
    inserted: int = 0
    skipped: int = 0
    far_from_border: int = 0
    messages: list = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.source}: {self.read} rows read, {self.inserted} crossings stored, "
                f"{self.skipped} skipped, {self.far_from_border} more than {FAR_KM:g} km from their border "
                f"(flagged, positions kept as published).")


def read_unlocode(path: str | Path = UNLOCODE_CSV) -> pd.DataFrame:
    """UN/LOCODE 2012-1 border crossings with coordinates, in the crossings-table columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``crossing_id`` ('UNLOCODE:' + code), ``name``, ``country_iso3`` (from the
        alpha-2 ``country`` with pycountry; Kosovo XKX), ``other_iso3`` (None, filled by
        snapping), ``latitude``, ``longitude`` (WGS84 degrees, degree-minute precision),
        ``crossing_type`` ('road', 'rail' or 'other'), ``source`` ('UN/LOCODE 2012-1').
        Only entries with the border-crossing function (B) and coordinates; a code listed
        twice (alternative names) is kept once. Same rows as :mod:`intel.reference` loads.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[(raw["function-border"] == "B") & (raw["lat"] != "") & (raw["lon"] != "")]
    # a code listed twice (alternative names in brackets) is one place: keep the first entry
    raw = raw.drop_duplicates(subset="code", keep="first").reset_index(drop=True)
    df = pd.DataFrame({
        "crossing_id": "UNLOCODE:" + raw["code"],
        "name": raw["name"],
        "country_iso3": [_iso3(c) for c in raw["country"]],
        "other_iso3": None,
        "latitude": pd.to_numeric(raw["lat"], errors="coerce"),
        "longitude": pd.to_numeric(raw["lon"], errors="coerce"),
        "crossing_type": np.where(raw["function-road"] == "3", "road",
                                  np.where(raw["function-rail"] == "2", "rail", "other")),
        "source": UNLOCODE_SOURCE,
    })
    return df[df["latitude"].notna() & df["longitude"].notna()].reset_index(drop=True)


def fill_crossing_pairs(con, far_km: float = FAR_KM) -> int:
    """Fill ``crossings.other_iso3`` where it is NULL, from the nearest border of the crossing's country.

    Positions are not changed. Returns the number of rows updated.
    """
    df = con.execute("SELECT crossing_id, country_iso3, other_iso3, latitude, longitude FROM crossings "
                     "WHERE other_iso3 IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL").df()
    if df.empty:
        return 0
    s = snap_crossings(df, far_km=far_km)
    s = s[s["other_iso3"].notna()][["crossing_id", "other_iso3"]]
    if s.empty:
        return 0
    con.register("_cx_pairs", s)
    try:
        con.execute("UPDATE crossings SET other_iso3 = p.other_iso3 FROM _cx_pairs p "
                    "WHERE crossings.crossing_id = p.crossing_id")
    finally:
        con.unregister("_cx_pairs")
    return len(s)


_ALIASES = {
    "name": ("name", "crossing", "crossing_name", "post", "label"),
    "pair": ("country_pair", "pair", "countries", "border_pair", "border"),
    "country": ("country_iso3", "country", "iso3", "country_a"),
    "other": ("other_iso3", "other_country", "other", "country_b"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "type": ("crossing_type", "type", "kind"),
}


def _pick(df: pd.DataFrame, key: str):
    cols = {c.lower().strip(): c for c in df.columns}
    for a in _ALIASES[key]:
        if a in cols:
            return df[cols[a]]
    return None


def read_crossings_file(path: str | Path, source: str = "analyst") -> pd.DataFrame:
    """Read an analyst's crossings file (CSV or GeoJSON).

    Expected fields (case-insensitive, common aliases accepted): ``name``, ``country_pair``
    (e.g. 'MEX-USA' or 'MX-US'; or ``country_iso3`` and ``other_iso3``), ``latitude``,
    ``longitude`` (WGS84 degrees; for GeoJSON the Point geometry, [lon, lat], is used when
    these are absent) and ``type``.

    Returns
    -------
    pandas.DataFrame
        Crossings-table columns plus ``problem`` (a sentence, or None when the row is usable).
        ``crossing_id`` is ``source:`` + 12 hex digits of the SHA-1 of name and rounded
        position, so re-importing the same file replaces rather than duplicates.

    Raises
    ------
    ValueError
        For a file type other than .csv, .geojson or .json, or a file without coordinates.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif suffix in (".geojson", ".json"):
        import geopandas as gpd

        g = gpd.read_file(path)
        raw = pd.DataFrame(g.drop(columns="geometry"))
        if _pick(raw, "latitude") is None and g.geometry is not None:
            pts = g.geometry
            raw["latitude"] = [p.y if p is not None and p.geom_type == "Point" else None for p in pts]
            raw["longitude"] = [p.x if p is not None and p.geom_type == "Point" else None for p in pts]
    else:
        raise ValueError(f"crossings file must be .csv or .geojson, got {path.name}")
    lat = _pick(raw, "latitude")
    lon = _pick(raw, "longitude")
    if lat is None or lon is None:
        raise ValueError(f"{path.name} has no latitude/longitude columns")
    names = _pick(raw, "name")
    pairs = _pick(raw, "pair")
    ca, cb = _pick(raw, "country"), _pick(raw, "other")
    types = _pick(raw, "type")
    rows = []
    for i in range(len(raw)):
        la = pd.to_numeric(pd.Series([lat.iloc[i]]), errors="coerce").iloc[0]
        lo = pd.to_numeric(pd.Series([lon.iloc[i]]), errors="coerce").iloc[0]
        name = str(names.iloc[i]).strip() if names is not None else f"crossing {i + 1}"
        a = b = None
        if pairs is not None and str(pairs.iloc[i]).strip():
            parts = [p for p in re.split(r"[-/|,; ]+", str(pairs.iloc[i]).strip()) if p]
            if len(parts) == 2:
                a, b = _iso3(parts[0]), _iso3(parts[1])
        if a is None and ca is not None:
            a = _iso3(ca.iloc[i])
        if b is None and cb is not None:
            b = _iso3(cb.iloc[i])
        problem = None
        if not (np.isfinite(la) and np.isfinite(lo)):
            problem = f"row {i + 1} ({name}): no readable latitude/longitude"
        elif abs(la) > 90 or abs(lo) > 180:
            problem = f"row {i + 1} ({name}): coordinates out of range ({la}, {lo})"
        key = f"{name}|{round(float(la), 5) if np.isfinite(la) else ''}|{round(float(lo), 5) if np.isfinite(lo) else ''}"
        rows.append({
            "crossing_id": f"{source}:{hashlib.sha1(key.encode()).hexdigest()[:12]}",
            "name": name, "country_iso3": a, "other_iso3": b,
            "latitude": float(la) if np.isfinite(la) else None,
            "longitude": float(lo) if np.isfinite(lo) else None,
            "crossing_type": (str(types.iloc[i]).strip() or None) if types is not None else None,
            "source": source, "problem": problem,
        })
    return pd.DataFrame(rows)


def snap_crossings(df: pd.DataFrame, index: BorderIndex | None = None, far_km: float = FAR_KM) -> pd.DataFrame:
    """Snap crossings to the nearest border of their own country (or pair), without moving them.

    Parameters
    ----------
    df : pandas.DataFrame, shape (n, ...)
        At least ``latitude``, ``longitude`` (WGS84 degrees); optional ``country_iso3`` and
        ``other_iso3``. When both codes form a known pair the crossing snaps to that pair's
        border; with one code, to the nearest border of that country; otherwise to the
        nearest border of any pair.
    index : BorderIndex, optional
        Default the bundled Natural Earth borders.
    far_km : float
        Snapping distance, km, beyond which ``far_from_border`` is True.

    Returns
    -------
    pandas.DataFrame, shape (n, ...)
        A copy of ``df`` with ``snap_km`` (geodesic km, WGS84, NaN without coordinates),
        ``snapped_latitude``, ``snapped_longitude`` (the nearest border point, degrees),
        ``snap_pair``, ``snap_segment``, ``other_iso3`` (filled from the pair when missing)
        and ``far_from_border`` (bool). ``latitude``/``longitude`` are unchanged.
    """
    index = index if index is not None else world_index()
    out = df.copy().reset_index(drop=True)
    n = len(out)
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype="float64")
    ca = out["country_iso3"] if "country_iso3" in out else pd.Series([None] * n)
    cb = out["other_iso3"] if "other_iso3" in out else pd.Series([None] * n)
    segs = index.segments
    pairs_known = set(segs["pair"])
    keys = []
    for a, b in zip(ca, cb):
        a = a if isinstance(a, str) and a else None
        b = b if isinstance(b, str) and b else None
        if a and b and "-".join(sorted((a, b))) in pairs_known:
            keys.append(("pair", "-".join(sorted((a, b)))))
        elif a and ((segs["iso3_a"] == a) | (segs["iso3_b"] == a)).any():
            keys.append(("country", a))
        else:
            keys.append(("any", ""))
    km = np.full(n, np.nan)
    slat = np.full(n, np.nan)
    slon = np.full(n, np.nan)
    spair = np.full(n, None, dtype=object)
    sseg = np.full(n, None, dtype=object)
    keys_arr = np.array([f"{k}:{v}" for k, v in keys], dtype=object)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    for key in sorted(set(keys_arr[ok])):
        kind, val = key.split(":", 1)
        if kind == "pair":
            mask = (segs["pair"] == val).to_numpy()
        elif kind == "country":
            mask = ((segs["iso3_a"] == val) | (segs["iso3_b"] == val)).to_numpy()
        else:
            mask = np.ones(len(segs), dtype=bool)
        sub = index.subset(mask) if kind != "any" else index
        rows = np.flatnonzero(ok & (keys_arr == key))
        qlat, qlon, seg = _nearest_on_index(sub, lat[rows], lon[rows])
        _, _, d = _geod().inv(lon[rows], lat[rows], qlon, qlat)
        km[rows] = np.asarray(d) / 1000.0
        slat[rows], slon[rows] = qlat, qlon
        spair[rows] = segs["pair"].to_numpy(dtype=object)[seg]
        sseg[rows] = segs["segment_id"].to_numpy(dtype=object)[seg]
    out["snap_km"] = km
    out["snapped_latitude"] = slat
    out["snapped_longitude"] = slon
    out["snap_pair"] = spair
    out["snap_segment"] = sseg
    other = []
    for a, b, p in zip(ca, cb, spair):
        if isinstance(b, str) and b:
            other.append(b)
        elif isinstance(p, str) and isinstance(a, str) and a in p.split("-"):
            other.append([c for c in p.split("-") if c != a][0] if p.split("-").count(a) == 1 else None)
        else:
            other.append(None)
    out["other_iso3"] = other
    out["far_from_border"] = ~(km <= float(far_km))
    return out


_CROSSING_COLS = ["crossing_id", "name", "country_iso3", "other_iso3", "latitude", "longitude",
                  "crossing_type", "source", "batch_id"]


def load_crossings(con, path: str | Path | None = None, source: str | None = "unlocode", batch_id: int | None = None,
                   far_km: float = FAR_KM) -> CrossingImport:
    """Store official crossings: the bundled UN/LOCODE list or an analyst's file.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Writable store connection.
    path : path, optional
        ``None`` loads the bundled UN/LOCODE 2012-1 border crossings (stored with source
        'UN/LOCODE 2012-1', ids 'UNLOCODE:<code>', as :mod:`intel.reference` does);
        otherwise a CSV or GeoJSON read by :func:`read_crossings_file`.
    source : str
        Source label of an analyst's file (ignored for the bundled list).
    batch_id : int, optional
        Import batch to record.
    far_km : float
        Snapping distance, km, beyond which a crossing is reported as far from its border.

    Returns
    -------
    CrossingImport
        Counts and sentences. Positions are stored as published; the other country of the
        pair is taken from the nearest border of the crossing's country. Rows without usable
        coordinates are skipped and reported.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For an unreadable file type or a file without coordinates.
    """
    if path is None:
        df = read_unlocode()
        df["problem"] = None
        source = UNLOCODE_SOURCE
    else:
        if not Path(path).exists():
            raise FileNotFoundError(f"crossings file {path} does not exist")
        df = read_crossings_file(path, source=source)
    summary = CrossingImport(source=source, read=len(df))
    bad = df["problem"].notna()
    summary.skipped = int(bad.sum())
    summary.messages += [p for p in df.loc[bad, "problem"]]
    good = df[~bad].drop(columns="problem").reset_index(drop=True)
    if good.empty:
        return summary
    snapped = snap_crossings(good, far_km=far_km)
    for r in snapped[snapped["far_from_border"]].itertuples():
        summary.messages.append(f"{r.name} ({r.country_iso3}): {r.snap_km:.1f} km from the nearest border of "
                                f"its country; flagged, position kept as published")
    summary.far_from_border = int(snapped["far_from_border"].sum())
    snapped["batch_id"] = batch_id
    rows = snapped[_CROSSING_COLS]
    con.register("_crossings_in", rows)
    try:
        with transaction(con):
            con.execute("DELETE FROM crossings WHERE crossing_id IN (SELECT crossing_id FROM _crossings_in)")
            con.execute(f"INSERT INTO crossings ({', '.join(_CROSSING_COLS)}) "
                        f"SELECT {', '.join(_CROSSING_COLS)} FROM _crossings_in")
    finally:
        con.unregister("_crossings_in")
    summary.inserted = len(rows)
    return summary


def official_crossings(con, ports_as_crossings: bool = True, far_km: float = FAR_KM) -> pd.DataFrame:
    """Official crossings of the store, snapped on the fly, optionally with CBP field offices.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    ports_as_crossings : bool
        Add one crossing per place of accepted events whose ``place_type`` is
        ``'port of entry'`` (in the bundled CBP data: the headquarters town of an Office of
        Field Operations field office, which stands for its ports of entry), source
        ``'port of entry (events)'``.
    far_km : float
        Threshold of ``far_from_border``, km.

    Returns
    -------
    pandas.DataFrame
        Crossings-table columns plus the columns of :func:`snap_crossings`.
    """
    df = con.execute(f"SELECT {', '.join(_CROSSING_COLS)} FROM crossings "
                     "WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY crossing_id").df()
    if ports_as_crossings:
        ports = con.execute(
            """SELECT coalesce(location_name, unit, 'port of entry') AS name, any_value(country_iso3) AS country_iso3,
                      round(avg(latitude), 6) AS latitude, round(avg(longitude), 6) AS longitude
               FROM events WHERE status = 'accepted' AND place_type = ? AND latitude IS NOT NULL
               GROUP BY 1 ORDER BY 1""", ["port of entry"]).df()
        if not ports.empty:
            ports["crossing_id"] = "port:" + ports["name"]
            ports["other_iso3"] = None
            ports["crossing_type"] = "port of entry (events)"
            ports["source"] = "port of entry (events)"
            ports["batch_id"] = None
            df = pd.concat([df.astype(object), ports[_CROSSING_COLS].astype(object)], ignore_index=True)
    if df.empty:
        return pd.DataFrame(columns=_CROSSING_COLS + ["snap_km", "snapped_latitude", "snapped_longitude",
                                                      "snap_pair", "snap_segment", "far_from_border"])
    df["latitude"] = df["latitude"].astype(float)
    df["longitude"] = df["longitude"].astype(float)
    return snap_crossings(df, far_km=far_km)


# --------------------------------------------------------------------------------------------
# Events near borders
# --------------------------------------------------------------------------------------------

def _zone_precisions(zone_km: float) -> list[str]:
    from intel.hexbin import PRECISION_KM, PRECISIONS

    return [p for p in PRECISIONS if PRECISION_KM[p] < float(zone_km)]


def border_events(con, zone_km: float | None = None, date_from: str | None = None, date_to: str | None = None,
                  sources: tuple[str, ...] = (), precisions: list[str] | None = None,
                  kinds: tuple[str, ...] = ()) -> pd.DataFrame:
    """Accepted events with coordinates and their border columns, optionally within a zone.

    Border columns missing in the store (NULL ``border_km``) are computed on the fly with
    :func:`border_distance`, so an older store still works.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float, optional
        Keep events with ``border_km <= zone_km`` (geodesic km).
    date_from, date_to : str, optional
        Half-open period [date_from, date_to) of ISO dates.
    sources : tuple of str
        Restrict to these ``events.source`` values.
    precisions : list of str, optional
        Location precisions to keep (default: all).
    kinds : tuple of str
        Restrict to these ``events.kind`` values (default: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id``, ``incident_key``, ``incident`` (source and key joined by U+001F: one
        value per incident across sources, what events count), ``source``, ``kind``, ``event_date``, ``latitude``,
        ``longitude``, ``location_precision``, ``location_name``, ``place_type``,
        ``direction`` (lower case), ``unit``, ``country_iso3``, ``firearms`` (0 when NULL),
        ``h3_cell``, ``border_km``, ``border_pair``, ``border_segment``, ``band``.
    """
    parts = ["status = 'accepted'", "latitude IS NOT NULL", "longitude IS NOT NULL"]
    params: list = []
    if date_from:
        parts.append("event_date >= ?::DATE")
        params.append(str(date_from))
    if date_to:
        parts.append("event_date < ?::DATE")
        params.append(str(date_to))
    if sources:
        parts.append(f"source IN ({', '.join('?' for _ in sources)})")
        params += list(sources)
    if kinds:
        parts.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params += list(kinds)
    if precisions is not None:
        if not precisions:
            parts.append("FALSE")
        else:
            parts.append(f"location_precision IN ({', '.join('?' for _ in precisions)})")
            params += list(precisions)
    if zone_km is not None:
        parts.append("(border_km <= ? OR border_km IS NULL)")
        params.append(float(zone_km))
    df = con.execute(
        f"""SELECT event_id, incident_key, source || chr(31) || incident_key AS incident, source, kind, event_date,
                   latitude, longitude, location_precision,
                   location_name, place_type, lower(direction) AS direction, unit, country_iso3,
                   coalesce(firearms, 0) AS firearms, h3_cell, border_km, border_pair, border_segment
            FROM events WHERE {' AND '.join(parts)}""", params).df()
    miss = df["border_km"].isna().to_numpy()
    if miss.any():
        bd = border_distance(df.loc[miss, "latitude"].to_numpy(), df.loc[miss, "longitude"].to_numpy())
        df["border_pair"] = df["border_pair"].astype(object)
        df["border_segment"] = df["border_segment"].astype(object)
        df.loc[miss, "border_km"] = bd["border_km"].to_numpy()
        df.loc[miss, "border_pair"] = bd["border_pair"].to_numpy()
        df.loc[miss, "border_segment"] = bd["border_segment"].to_numpy()
    if zone_km is not None:
        df = df[df["border_km"] <= float(zone_km)].reset_index(drop=True)
    df["firearms"] = df["firearms"].astype(float)
    df["band"] = distance_band(df["border_km"].to_numpy())
    return df


def default_period(con, days: int = 365) -> tuple[str, str]:
    """The last ``days`` days of data: ``[max(event_date) + 1 - days, max(event_date) + 1)``.

    Returns ISO strings; today's date when the store has no dated events.
    """
    row = con.execute("SELECT max(event_date) FROM events WHERE status = 'accepted'").fetchone()
    end = (row[0] if row and row[0] is not None else date.today()) + timedelta(days=1)
    return (end - timedelta(days=days)).isoformat(), end.isoformat()


def previous_period(date_from: str, date_to: str) -> tuple[str, str]:
    """The period of equal length just before the half-open ``[date_from, date_to)``."""
    f, t = date.fromisoformat(str(date_from)), date.fromisoformat(str(date_to))
    if t <= f:
        raise ValueError(f"empty period [{date_from}, {date_to})")
    return (f - (t - f)).isoformat(), f.isoformat()


def _agg(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=keys + ["events", "firearms"])
    return (df.groupby(keys, dropna=False)
              .agg(events=("incident", "nunique"), firearms=("firearms", "sum"))
              .reset_index())


def border_ranking(con, zone_km: float = 50.0, date_from: str | None = None, date_to: str | None = None,
                   by: str = "segment", sources: tuple[str, ...] = (),
                   kinds: tuple[str, ...] = SEIZURE_KINDS) -> pd.DataFrame:
    """Events and firearms per border stretch or per country pair, this period vs the previous.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float
        Events within this geodesic distance of a border (km) count for that border.
        Records whose location precision is as coarse as the zone (admin-1, country) are
        left out.
    date_from, date_to : str, optional
        Half-open period [date_from, date_to); default :func:`default_period`. The previous
        period has the same length and ends at ``date_from``.
    by : {'segment', 'pair'}
    sources : tuple of str
    kinds : tuple of str
        Event kinds counted; default seizures and recoveries (:data:`SEIZURE_KINDS`), so
        that firearm-discharge incidents (Toronto) do not load a border. ``()`` counts all.

    Returns
    -------
    pandas.DataFrame
        One row per stretch (``segment_id``, ``pair``) or pair (``pair``) with events in
        either period; columns ``events``, ``firearms`` (this period), ``events_prev``,
        ``firearms_prev``, ``change`` (events - events_prev), ``change_pct`` (NaN when the
        previous period is 0), ``events_inbound``, ``events_outbound``, ``firearms_inbound``,
        ``firearms_outbound``, ``rank`` (by events, then firearms). ``attrs`` holds the
        periods and the number of records left out for coarse precision.

    Raises
    ------
    ValueError
        For ``by`` other than 'segment' or 'pair', or an empty period.
    """
    if by not in ("segment", "pair"):
        raise ValueError("by must be 'segment' or 'pair'")
    if not date_from or not date_to:
        d_from, d_to = default_period(con)
        date_from, date_to = date_from or d_from, date_to or d_to
    p_from, p_to = previous_period(date_from, date_to)
    precisions = _zone_precisions(zone_km)
    cur = border_events(con, zone_km, date_from, date_to, sources, precisions, kinds)
    prev = border_events(con, zone_km, p_from, p_to, sources, precisions, kinds)
    all_cur = border_events(con, zone_km, date_from, date_to, sources, None, kinds)
    keys = ["segment_id", "pair"] if by == "segment" else ["pair"]
    for d in (cur, prev):
        d["segment_id"] = d["border_segment"]
        d["pair"] = d["border_pair"]
    a = _agg(cur, keys)
    b = _agg(prev, keys).rename(columns={"events": "events_prev", "firearms": "firearms_prev"})
    out = a.merge(b, on=keys, how="outer")
    for direction in ("inbound", "outbound"):
        c = _agg(cur[cur["direction"] == direction], keys).rename(
            columns={"events": f"events_{direction}", "firearms": f"firearms_{direction}"})
        out = out.merge(c, on=keys, how="left")
    num = ["events", "firearms", "events_prev", "firearms_prev", "events_inbound", "events_outbound",
           "firearms_inbound", "firearms_outbound"]
    for c in num:
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0)
    for c in ("events", "events_prev", "events_inbound", "events_outbound"):
        out[c] = out[c].astype(int)
    out["change"] = out["events"] - out["events_prev"]
    out["change_pct"] = np.where(out["events_prev"] > 0,
                                 100.0 * out["change"] / out["events_prev"].where(out["events_prev"] > 0, 1), np.nan)
    out = out.sort_values(["events", "firearms"] + keys, ascending=[False, False] + [True] * len(keys))
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out = out[["rank"] + keys + ["events", "firearms", "change", "change_pct", "events_prev", "firearms_prev",
                                 "events_inbound", "events_outbound", "firearms_inbound", "firearms_outbound"]]
    out.attrs.update(period=(date_from, date_to), previous=(p_from, p_to), zone_km=float(zone_km),
                     left_out=int(len(all_cur) - len(cur)), precisions=precisions)
    return out


def segment_load(con, zone_km: float = 50.0, date_from: str | None = None, date_to: str | None = None,
                 ranking: pd.DataFrame | None = None, kinds: tuple[str, ...] = SEIZURE_KINDS):
    """Every border stretch with its load: :func:`border_segments` joined with the ranking.

    ``ranking`` (a :func:`border_ranking` result ``by='segment'``) avoids computing it twice.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :func:`border_segments` plus ``events``, ``firearms``, ``change`` (0 where
        none); EPSG:4326.
    """
    segs = border_segments()
    r = ranking if ranking is not None else border_ranking(con, zone_km, date_from, date_to, by="segment", kinds=kinds)
    out = segs.merge(r[["segment_id", "events", "firearms", "change"]], on="segment_id", how="left")
    for c in ("events", "firearms", "change"):
        out[c] = out[c].fillna(0)
    out.attrs.update(r.attrs)
    return out


# --------------------------------------------------------------------------------------------
# Bypass candidates
# --------------------------------------------------------------------------------------------

def _nearest_points(lat, lon, plat, plon) -> tuple[np.ndarray, np.ndarray]:
    """Index and geodesic km (WGS84) of the nearest of points (plat, plon) to each (lat, lon)."""
    from scipy.spatial import cKDTree

    n = len(lat)
    if n == 0 or len(plat) == 0:
        return np.full(n, -1), np.full(n, np.nan)
    tree = cKDTree(_unit(np.asarray(plat), np.asarray(plon)))
    k = min(3, len(plat))
    _, idx = tree.query(_unit(np.asarray(lat), np.asarray(lon)), k=k)
    idx = idx.reshape(n, k)
    best_d = np.full(n, np.inf)
    best_i = np.full(n, -1)
    for j in range(k):
        _, _, d = _geod().inv(lon, lat, np.asarray(plon)[idx[:, j]], np.asarray(plat)[idx[:, j]])
        d = np.asarray(d) / 1000.0
        better = d < best_d
        best_d[better] = d[better]
        best_i[better] = idx[better, j]
    return best_i, best_d


def bypass_candidates(con, zone_km: float = 50.0, min_km: float = 10.0, res: int = 5,
                      date_from: str | None = None, date_to: str | None = None,
                      crossings: pd.DataFrame | None = None, ports_as_crossings: bool = True,
                      sources: tuple[str, ...] = (), kinds: tuple[str, ...] = SEIZURE_KINDS) -> pd.DataFrame:
    """Clusters of border-zone events away from every official crossing, ranked.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float
        Border zone, km: only events with ``border_km <= zone_km``.
    min_km : float
        An event is a bypass event when its geodesic distance to the nearest official
        crossing exceeds ``min_km`` km.
    res : int
        H3 resolution of the clusters (parent of the stored cell, :mod:`intel.store` rule).
        Only records whose location precision is usable at ``res``
        (:func:`intel.hexbin.usable_precisions`) are clustered; resolution 5 (edge ~10 km)
        takes town-level records.
    date_from, date_to : str, optional
        Half-open period.
    crossings : pandas.DataFrame, optional
        Official crossings with ``crossing_id``, ``name``, ``latitude``, ``longitude`` and
        ``snap_km``; default :func:`official_crossings`. Crossings farther than ``zone_km``
        from any border are not used (they are listed as flagged on the page). Positions are
        used as published.
    ports_as_crossings : bool
        Passed to :func:`official_crossings`.
    sources : tuple of str
    kinds : tuple of str
        Event kinds clustered; default :data:`SEIZURE_KINDS`. ``()`` takes all.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``rank``, ``h3`` (hex cell id), ``latitude``,
        ``longitude`` (mean of the events, degrees), ``events`` (distinct incidents),
        ``records``, ``firearms``, ``first_date``, ``last_date``, ``border_pair``,
        ``border_segment`` (most frequent), ``border_km`` (minimum), ``nearest_crossing_id``,
        ``nearest_crossing``, ``nearest_crossing_km`` (from the candidate position, geodesic
        km), ``precision`` (coarsest location precision in the cluster), ``indicative``
        (True when town-level or coarser positions are involved). Ranked by events, then
        firearms, then the most recent date. ``attrs`` holds counts and a ``note`` sentence.

    Notes
    -----
    Bundled CBP records are located at the headquarters town of their Area of
    Responsibility (precision 'town'), so bypass candidates computed from them are
    indicative only: they show between-port sectors far from official crossings, not
    actual bypass points.
    """
    from intel.hexbin import bin_points, parent, to_hex, usable_precisions
    from intel.store import FINE_RES

    precisions = usable_precisions(res)
    ev = border_events(con, zone_km, date_from, date_to, sources, precisions, kinds)
    all_zone = border_events(con, zone_km, date_from, date_to, sources, None, kinds)
    cx = crossings if crossings is not None else official_crossings(con, ports_as_crossings)
    used = cx[cx["snap_km"] <= float(zone_km)] if "snap_km" in cx else cx
    used = used[used["latitude"].notna()].reset_index(drop=True)
    cols = ["rank", "h3", "latitude", "longitude", "events", "records", "firearms", "first_date", "last_date",
            "border_pair", "border_segment", "border_km", "nearest_crossing_id", "nearest_crossing",
            "nearest_crossing_km", "precision", "indicative"]
    attrs = dict(zone_km=float(zone_km), min_km=float(min_km), res=int(res), zone_events=int(len(ev)),
                 left_out=int(len(all_zone) - len(ev)), crossings_used=int(len(used)),
                 crossings_unused=int(len(cx) - len(used)))
    if ev.empty:
        out = pd.DataFrame(columns=cols)
        attrs["note"] = "No events with usable positions in the border zone."
        out.attrs.update(attrs)
        return out
    lat, lon = ev["latitude"].to_numpy(float), ev["longitude"].to_numpy(float)
    i, d = _nearest_points(lat, lon, used["latitude"].to_numpy(float), used["longitude"].to_numpy(float))
    ev["crossing_km"] = d
    far = ev[~(ev["crossing_km"] <= float(min_km))].copy()  # NaN (no crossings) counts as far
    attrs["bypass_events"] = int(len(far))
    if far.empty:
        out = pd.DataFrame(columns=cols)
        attrs["note"] = f"Every border-zone event is within {min_km:g} km of an official crossing."
        out.attrs.update(attrs)
        return out
    cells = far["h3_cell"].to_numpy()
    fine = np.where(pd.isna(cells), 0, cells).astype("uint64")
    need = fine == 0
    if need.any():
        fine[need] = bin_points(far["latitude"].to_numpy(float)[need], far["longitude"].to_numpy(float)[need], FINE_RES)
    far["cell"] = parent(fine, res)
    order = {p: k for k, p in enumerate(["exact", "intersection", "town", "admin-1", "country"])}
    far["prec_rank"] = far["location_precision"].map(order).fillna(len(order))

    def mode(s):
        s = s.dropna()
        return s.value_counts().sort_index().sort_values(ascending=False, kind="stable").index[0] if len(s) else None

    g = far.groupby("cell")
    out = pd.DataFrame({
        "latitude": g["latitude"].mean(), "longitude": g["longitude"].mean(),
        "events": g["incident"].nunique(), "records": g.size(), "firearms": g["firearms"].sum(),
        "first_date": g["event_date"].min(), "last_date": g["event_date"].max(),
        "border_pair": g["border_pair"].agg(mode), "border_segment": g["border_segment"].agg(mode),
        "border_km": g["border_km"].min(), "prec_rank": g["prec_rank"].max(),
    }).reset_index()
    out["h3"] = to_hex(out["cell"].to_numpy())
    inv = {v: k for k, v in order.items()}
    out["precision"] = out["prec_rank"].map(inv)
    out["indicative"] = out["prec_rank"] >= order["town"]
    ci, cd = _nearest_points(out["latitude"].to_numpy(float), out["longitude"].to_numpy(float),
                             used["latitude"].to_numpy(float), used["longitude"].to_numpy(float))
    has = ci >= 0
    out["nearest_crossing_id"] = np.where(has, used["crossing_id"].to_numpy(dtype=object)[np.maximum(ci, 0)] if len(used) else None, None)
    out["nearest_crossing"] = np.where(has, used["name"].to_numpy(dtype=object)[np.maximum(ci, 0)] if len(used) else None, None)
    out["nearest_crossing_km"] = cd
    out = out.sort_values(["events", "firearms", "last_date", "h3"], ascending=[False, False, False, True])
    out = out.reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out = out[cols]
    note = (f"{len(out)} candidate cells (H3 resolution {res}) from {len(far)} border-zone records farther than "
            f"{min_km:g} km from any of {len(used)} official crossings.")
    if out["indicative"].any():
        note += (" Some positions are town-level (for the bundled CBP data: the headquarters town of the Area of "
                 "Responsibility), so these candidates are indicative only, not actual bypass points.")
    attrs["note"] = note
    out.attrs.update(attrs)
    return out


# --------------------------------------------------------------------------------------------
# CBP split
# --------------------------------------------------------------------------------------------

CBP_SOURCE = "cbp_weapons_seizures"
_EVENT_COLS = {"region", "admin1", "item_description", "location_name", "unit", "criminal_context", "seizing_agency",
               "transport_mode", "kind", "category"}


@functools.lru_cache(maxsize=1)
def cbp_region_table(path: str = str(CBP_CSV)) -> dict[str, str]:
    """Area of Responsibility -> CBP Region, from the bundled CBP file (41 areas, each in one region)."""
    p = Path(path)
    if not p.exists():
        return {}
    d = pd.read_csv(p, usecols=["Region", "Area of Responsibility"], dtype=str).dropna().drop_duplicates()
    return dict(zip(d["Area of Responsibility"].str.strip(), d["Region"].str.strip()))


def _events_columns(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'").fetchall()}


def cbp_split(con, region_column: str | None = "region", source: str = CBP_SOURCE, date_from: str | None = None,
              date_to: str | None = None, include_quarantined: bool = False) -> pd.DataFrame:
    """CBP seizures split by border region, direction and ports vs between-port sectors.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    region_column : str, optional
        ``events`` column that holds the CBP Region ('Southwest Border', 'Northern Border',
        'Central/Coastal/Other'); default ``'region'`` (filled by the CBP import profile).
        Where that column is absent or empty, ``raw ->> 'Region'`` is tried, then the region
        of the Area of Responsibility (``unit``, then ``location_name``) looked up in the
        bundled CBP file (:func:`cbp_region_table`).
    source : str
        ``events.source`` of the CBP records.
    date_from, date_to : str, optional
        Half-open period.
    include_quarantined : bool
        Count quarantined records too (the split needs no coordinates).

    Returns
    -------
    pandas.DataFrame
        Columns ``region``, ``direction`` ('inbound', 'outbound', or 'not stated' for CBP
        'OTHER', which is every Border Patrol record), ``setting`` ('ports of
        entry' for ``place_type`` 'port of entry', 'between ports' for 'border area', else
        'other'), ``events`` (distinct incidents), ``records``, ``firearms``.

    Raises
    ------
    ValueError
        For a ``region_column`` that is not a known text column of ``events``.
    """
    if region_column is not None and region_column not in _EVENT_COLS:
        raise ValueError(f"region_column must be one of {sorted(_EVENT_COLS)}")
    parts = ["source = ?"]
    params: list = [source]
    if not include_quarantined:
        parts.append("status = 'accepted'")
    if date_from:
        parts.append("event_date >= ?::DATE")
        params.append(str(date_from))
    if date_to:
        parts.append("event_date < ?::DATE")
        params.append(str(date_to))
    if region_column is not None and region_column not in _events_columns(con):
        region_column = None
    region_sql = f"{region_column}" if region_column else "NULL"
    df = con.execute(
        f"""SELECT incident_key, lower(direction) AS direction, place_type, unit, location_name,
                   coalesce(firearms, 0) AS firearms, {region_sql} AS region_col,
                   json_extract_string(raw, '$.Region') AS region_raw
            FROM events WHERE {' AND '.join(parts)}""", params).df()
    table = cbp_region_table()
    known = set(table.values())
    region = df["region_col"].where(df["region_col"].isin(known)) if region_column else pd.Series([None] * len(df))
    region = region.fillna(df["region_raw"].where(df["region_raw"].isin(known)))
    region = region.fillna(df["unit"].map(table)).fillna(df["location_name"].map(table)).fillna("unknown")
    df["region"] = region
    df["direction"] = df["direction"].fillna("not stated")
    df["setting"] = np.select([df["place_type"] == "port of entry", df["place_type"] == "border area"],
                              ["ports of entry", "between ports"], "other")
    if df.empty:
        return pd.DataFrame(columns=["region", "direction", "setting", "events", "records", "firearms"])
    out = (df.groupby(["region", "direction", "setting"], dropna=False)
             .agg(events=("incident_key", "nunique"), records=("incident_key", "size"), firearms=("firearms", "sum"))
             .reset_index().sort_values(["region", "direction", "setting"]).reset_index(drop=True))
    return out


def cbp_split_summary(split: pd.DataFrame) -> pd.DataFrame:
    """Totals of :func:`cbp_split` by region, by direction and by setting (one table, ``dimension`` column).

    Note: distinct incidents are summed across groups, so an incident with items in two groups
    counts in each.
    """
    rows = []
    for dim in ("region", "direction", "setting"):
        t = split.groupby(dim, dropna=False)[["events", "records", "firearms"]].sum().reset_index()
        t = t.rename(columns={dim: "value"})
        t.insert(0, "dimension", dim)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------

def to_geojson(df, lat: str = "latitude", lon: str = "longitude") -> str:
    """GeoJSON FeatureCollection text; coordinates [longitude, latitude] (WGS84 degrees).

    Parameters
    ----------
    df : pandas.DataFrame or geopandas.GeoDataFrame
        A GeoDataFrame is written with its geometry (reprojected to EPSG:4326 if needed);
        a plain DataFrame as Points from columns ``lat`` and ``lon`` (rows without both are
        written with a null geometry).
    """
    import shapely

    feats = []
    if hasattr(df, "geometry") and "geometry" in getattr(df, "columns", []):
        g = df.to_crs("EPSG:4326") if df.crs is not None and str(df.crs) != "EPSG:4326" else df
        props = g.drop(columns="geometry")
        for geom, rec in zip(g.geometry, props.to_dict("records")):
            feats.append({"type": "Feature",
                          "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None else None,
                          "properties": {k: json_value(v) for k, v in rec.items()}})
    else:
        for rec in df.to_dict("records"):
            y, x = rec.get(lat), rec.get(lon)
            ok = y is not None and x is not None and np.isfinite(float(y)) and np.isfinite(float(x))
            feats.append({"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [float(x), float(y)]} if ok else None,
                          "properties": {k: json_value(v) for k, v in rec.items()}})
    return json.dumps({"type": "FeatureCollection", "features": feats})


# --------------------------------------------------------------------------- map layers (pydeck)
LOAD_COLOURS = [(254, 217, 118), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
"""Stretch colours by load class (ColorBrewer YlOrRd, classes 2-6 of 6)."""
NO_LOAD_COLOUR = (120, 120, 120)
BAND_COLOURS = {"0-20 km": (189, 0, 38), "20-50 km": (253, 141, 60), "50-80 km": (254, 217, 118)}
CROSSING_COLOUR, FAR_CROSSING_COLOUR = (30, 90, 200), (230, 120, 0)
CANDIDATE_COLOUR = (200, 0, 120)
STRETCH_PX = (2.0, 8.0)
"""Width of a stretch with load, CSS pixels (square root of its events; a stretch without load is 1 px)."""
CANDIDATE_PX = (6.0, 30.0)
"""Radius of a bypass-candidate ring, CSS pixels (square root of its events)."""
MAP_TOOLTIP = {"html": "{tip}", "style": {"fontSize": "12px"}}


def _px():
    from intel.layers import PIXELS

    return PIXELS


def sqrt_scale(values, lo: float, hi: float) -> np.ndarray:
    """``lo`` .. ``hi`` by the square root of ``values`` relative to the largest (0 or less -> ``lo``)."""
    v = np.sqrt(np.maximum(np.asarray(values, dtype=float), 0.0))
    top = float(v.max()) if v.size and v.max() > 0 else 1.0
    return lo + (hi - lo) * v / top


def load_breaks(values) -> list[float]:
    """Upper bounds of the load classes: quartiles of the positive loads (distinct, ascending)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return [float(b) for b in np.unique(np.quantile(v, [0.25, 0.5, 0.75]))] if v.size else []


def load_colour(v: float, breaks: list[float]) -> list[int]:
    """RGBA of a stretch carrying ``v`` events (grey, translucent, for none)."""
    if not v or v <= 0:
        return [*NO_LOAD_COLOUR, 120]
    k = int(np.searchsorted(breaks, v, side="left"))
    return [*LOAD_COLOURS[min(k, len(LOAD_COLOURS) - 1)], 235]


def load_legend(breaks: list[float], vmax: float) -> list[tuple[tuple[int, int, int], str]]:
    """``(rgb, text)`` entries matching :func:`load_colour`: grey for none, then one per class."""
    out = [(NO_LOAD_COLOUR, "no events (thin)")]
    lo = 1
    bounds = [*breaks, vmax] if not breaks or vmax > breaks[-1] else list(breaks)
    for i, b in enumerate(bounds):
        hi = int(np.floor(b))
        if hi < lo:
            continue
        out.append((LOAD_COLOURS[min(i, len(LOAD_COLOURS) - 1)], f"{lo:,} events" if hi == lo else f"{lo:,}-{hi:,} events"))
        lo = hi + 1
    return out


def stretch_layer(segs, show_all: bool = True, layer_id: str = "border-stretches"):
    """PathLayer of border stretches (from :func:`segment_load`) coloured and sized by load.

    Widths are CSS pixels: 1 px grey for a stretch without events, 2-8 px by the square root of
    the events otherwise; stretches with load are drawn last (on top).

    Returns
    -------
    (pydeck.Layer, legend entries)
    """
    import pydeck as pdk
    import shapely

    d = segs if show_all else segs[segs["events"] > 0]
    d = d.assign(_ev=d["events"].fillna(0).astype(float)).sort_values("_ev", kind="stable")
    vals = d["_ev"].to_numpy()
    breaks = load_breaks(vals)
    width = np.where(vals > 0, sqrt_scale(vals, *STRETCH_PX), 1.0)
    data = pd.DataFrame({
        "path": [np.round(shapely.get_coordinates(x), 4).tolist() for x in d.geometry],
        "colour": [load_colour(v, breaks) for v in vals],
        "width": np.round(width, 2),
        "tip": [f"<b>{_h(s)}</b><br/>{_h(pr)}: {int(e)} events, {f:,.0f} firearms, change {int(c):+d}"
                for s, pr, e, f, c in zip(d["segment_id"], d["pair"], vals, d["firearms"].fillna(0),
                                          d["change"].fillna(0))],
    })
    layer = pdk.Layer("PathLayer", data, id=layer_id, get_path="path", get_color="colour", get_width="width",
                      width_units=_px(), width_min_pixels=1, width_max_pixels=STRETCH_PX[1], cap_rounded=True,
                      joint_rounded=True, pickable=True, auto_highlight=True)
    return layer, load_legend(breaks, float(vals.max()) if vals.size else 0.0)


def _h(v) -> str:
    """Record or file text for an HTML tooltip (deck.gl renders tooltips as HTML): escaped."""
    import html

    return html.escape("" if v is None else str(v))


def _point_frame(df: pd.DataFrame, colour, tip) -> pd.DataFrame:
    out = df[["latitude", "longitude"]].copy()
    out["colour"] = [list(colour(r)) for r in df.itertuples()] if len(df) else []
    out["tip"] = [tip(r) for r in df.itertuples()] if len(df) else []
    return out


def band_layer(ev: pd.DataFrame, layer_id: str = "events-by-band"):
    """Small dots (3 px) of border-zone events coloured by distance band."""
    import pydeck as pdk

    d = _point_frame(ev.drop_duplicates(["latitude", "longitude", "band"]),
                     lambda r: (*BAND_COLOURS.get(r.band, (150, 150, 150)), 200),
                     lambda r: f"{_h(r.location_name or 'event')}<br/>{r.border_km:.1f} km from {_h(r.border_pair)}")
    return pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                     get_fill_color="colour", get_radius=3, radius_units=_px(), radius_min_pixels=2,
                     radius_max_pixels=6, pickable=True)


def crossing_layer(cx: pd.DataFrame, layer_id: str = "official-crossings"):
    """Official crossings (5 px, white outline); orange when far from their border (flagged)."""
    import pydeck as pdk

    d = _point_frame(cx, lambda r: (*(FAR_CROSSING_COLOUR if r.far_from_border else CROSSING_COLOUR), 230),
                     lambda r: (f"<b>{_h(r.name)}</b> ({_h(r.source)})<br/>{r.snap_km:.1f} km from its border"
                                + (" - flagged: far from any border, position kept as published"
                                   if r.far_from_border else "")))
    return pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                     get_fill_color="colour", get_line_color=[255, 255, 255], stroked=True, get_radius=5,
                     radius_units=_px(), radius_min_pixels=4, radius_max_pixels=8, line_width_units=_px(),
                     get_line_width=1, pickable=True)


def bypass_layers(cand: pd.DataFrame, layer_id: str = "bypass-candidates") -> list:
    """Bypass candidates as rings (6-30 px radius by the square root of the events, nearly
    transparent fill so the stretches underneath stay visible), plus their rank as a label."""
    import pydeck as pdk

    d = _point_frame(cand, lambda r: (*CANDIDATE_COLOUR, 35),
                     lambda r: (f"<b>Candidate #{r.rank}</b><br/>{r.events} events, {r.firearms:,.0f} firearms, last "
                                f"{r.last_date}<br/>{r.nearest_crossing_km:.1f} km from {r.nearest_crossing}"))
    d["radius"] = np.round(sqrt_scale(cand["events"].to_numpy(dtype=float), *CANDIDATE_PX), 1) if len(cand) else []
    d["label"] = [f"#{int(r)}" for r in cand["rank"]] if len(cand) else []
    d["offset"] = [[0, -float(r) - 9] for r in d["radius"]] if len(cand) else []
    rings = pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                      get_fill_color="colour", get_line_color=[*CANDIDATE_COLOUR, 235], stroked=True, filled=True,
                      get_radius="radius", radius_units=_px(), radius_min_pixels=CANDIDATE_PX[0],
                      radius_max_pixels=CANDIDATE_PX[1], get_line_width=2, line_width_units=_px(),
                      line_width_min_pixels=2, pickable=True, auto_highlight=True)
    labels = pdk.Layer("TextLayer", d, id=f"{layer_id}-labels", get_position=["longitude", "latitude"],
                       get_text="label", get_size=12, size_units=_px(), get_color=[*CANDIDATE_COLOUR, 255],
                       get_pixel_offset="offset", font_weight=700, outline_width=2, outline_color=[255, 255, 255],
                       font_settings={"sdf": True}, pickable=False)
    return [rings, labels]


def map_focus(ev_zone: pd.DataFrame, segs=None) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes the borders map frames: the border-zone events; failing
    those, the vertices of the stretches with load; failing those, nothing."""
    if ev_zone is not None and len(ev_zone):
        return ev_zone["latitude"].to_numpy(float), ev_zone["longitude"].to_numpy(float)
    if segs is not None and len(segs) and (segs["events"] > 0).any():
        import shapely

        xy = shapely.get_coordinates(segs[segs["events"] > 0].geometry.values)
        return xy[:, 1], xy[:, 0]
    return np.array([]), np.array([])
