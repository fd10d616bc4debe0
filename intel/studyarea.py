"""Study areas: the H3 cells a statistic is computed over, following the data.

Overview
--------
Gi*, emerging hot spots, the risk score and the backtest all compare a cell with the other
cells of a *study area*, empty cells included: the zeros are what makes a cell stand out. Which
empty cells count is a choice with consequences. A convex hull over every record of a store that
holds Toronto, Colombia and a few Burkina Faso seizures spans the Atlantic: tens of thousands of
ocean cells at resolution 6, a hundred million at resolution 8. The area must be the land of the
places that hold records.

Modes (:data:`AREA_MODES`):

``data`` (the default)
    For each country of the records (the records' own ISO 3166-1 alpha-3 code; a cell without
    one takes the country whose polygon holds its centre), its occupied cells are split into
    region clusters (single linkage: cells whose centres are within :data:`CLUSTER_KM` km of
    each other, through any chain, form one cluster); each cluster's convex hull (in degrees)
    is cut to that country's land polygon; the pieces are unioned, and the occupied cells
    themselves are always included. So two clusters in two countries across an ocean give two
    pieces and no ocean cell, and two towns 300 km apart do not bring the empty land between
    them into the area. A country whose records span more than 180
    degrees of longitude (antimeridian), or a record whose country has no polygon, contributes
    its occupied cells and their 1-rings instead of a hull.
``extent``
    One convex hull over every occupied cell, keeping only cells whose centre is on land (and
    outside the lakes): between two continents it keeps the coasts' land, never the ocean.
``countries`` / ``admin1``
    The union of the selected country or admin-1 polygons of the store.
``bbox``
    A box W, S, E, N (degrees) cut to the land of the countries it meets.

Land polygons are the Natural Earth 1:10m generalised polygons the store holds (``countries``,
``admin1``, loaded by :mod:`intel.reference` from ``data/sources/boundaries/
ne_10m_generalised_world_map.gpkg``); a store without them (small test stores) falls back to the
bundled GeoPackage itself. Those country and admin-1 polygons include the lakes (Lake Ontario
lies inside the U.S. and Canadian polygons), so every area except ``extent`` has the bundled
Natural Earth 1:10m lakes of 15 km2 or more taken out (:func:`without_lakes`,
:data:`intel.config.NATURAL_EARTH_LAKES`): a cell whose centre lies in such a lake is not part
of the area (a cell holding records always is).

Size: an area is refused before any cell is made when its geodesic area (pyproj, WGS84) divided
by the mean cell area exceeds :data:`MAX_STUDY_CELLS`; the message names the finest resolution
that fits (:func:`finest_fitting_resolution`: the area estimate plus one cell per boundary step,
so the resolution it names does fit).

Every :class:`StudyArea` carries its mode, its cell count and a one-sentence ``description``
that the pages and the CLI print next to the result (:meth:`StudyArea.attrs`).

Coordinates are WGS84 degrees (shapely geometries in longitude, latitude order); areas km2.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import h3
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from intel.config import NATURAL_EARTH_GPKG, NATURAL_EARTH_LAKES
from intel.errors import HotspotError
from intel.geodesy import EARTH_RADIUS_KM, geod, unit_vectors
from intel.h3cells import cell_centres, edge_km, from_hex, resolution_of, to_hex
from intel.hexbin import Filters

MAX_STUDY_CELLS = 2_000_000
"""Largest study area, in cells, that :func:`study_area` will build."""

AREA_MODES = ("data", "extent", "countries", "admin1", "bbox")
"""Study-area modes, the default first (see the module overview)."""

DEFAULT_AREA = "data"

CLUSTER_KM = 50.0
"""Largest gap, km between cell centres, inside one region cluster of the ``data`` area."""

AREA_LABELS = {"data": "Land of the places with records", "extent": "Data extent (one hull, land only)",
               "countries": "Selected countries", "admin1": "Selected admin-1 units", "bbox": "Box W,S,E,N"}
"""Display name of each mode (pages)."""


def _error(msg: str) -> Exception:
    """The analyses' one error type (:class:`intel.errors.HotspotError`) with ``msg``."""
    return HotspotError(msg)


@dataclass
class StudyArea:
    """The cells a statistic is computed over.

    Attributes
    ----------
    cells : numpy.ndarray of uint64, shape (n,)
        Sorted, distinct cells at ``res``.
    res : int
    mode : str
        One of :data:`AREA_MODES`.
    description : str
        One sentence naming the area and its cell count, shown next to the map and in the CLI.
    pieces : list of str
        ``data`` mode: one entry per country piece (``"CAN: 120 cells"``); empty otherwise.
    """

    cells: np.ndarray
    res: int
    mode: str
    description: str
    pieces: list = field(default_factory=list)

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return int(self.cells.size)

    def attrs(self) -> dict:
        """``area`` (description), ``area_mode``, ``area_cells``, ``area_res``: for ``DataFrame.attrs``."""
        return {"area": self.description, "area_mode": self.mode, "area_cells": self.n_cells,
                "area_res": int(self.res)}


# ---------------------------------------------------------------------------------- size

def _as_cells(cells) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(cells, dtype="uint64"))


def _area_perimeter_km(geom) -> tuple[float, float]:
    area_m2, perim_m = geod().geometry_area_perimeter(geom)
    return abs(area_m2) / 1e6, abs(perim_m) / 1e3


_LOCAL_PARTS = 64
"""Parts of a geometry whose cell area is read where they lie (the largest ones); the rest use
the mean cell area of the resolution."""


def _part_areas(geom) -> list[tuple[float, float, float]]:
    """(geodesic km2, latitude, longitude of a point inside) of each polygon of ``geom``."""
    out = []
    for part in shapely.get_parts(geom):
        if part.is_empty or part.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        a, _ = _area_perimeter_km(part)
        p = part.representative_point()
        out.append((a, p.y, p.x))
    out.sort(reverse=True)
    return out


def _cells_for(parts, res: int) -> float:
    """Cells needed by polygons of the given areas at ``res``: each area divided by the area of
    the res-``res`` cell where it lies (H3 hexagons vary about two-fold in area, 182 km2 in
    Cote d'Ivoire and 268 km2 in Toronto at resolution 5, mean 253 km2)."""
    mean = h3.average_hexagon_area(int(res), unit="km^2")
    n = 0.0
    for i, (a, lat, lon) in enumerate(parts):
        local = h3.cell_area(h3.latlng_to_cell(lat, lon, int(res)), unit="km^2") if i < _LOCAL_PARTS else mean
        n += a / local
    return n


def _estimate_cells(geom, res: int) -> float:
    """Approximate number of res-``res`` cells inside ``geom`` (geodesic area / local cell area)."""
    return _cells_for(_part_areas(geom), res)


def _upper_cells(parts, perimeter_km: float, res: int) -> float:
    """Cells overlapping an area: its area in local cells plus one cell per 1.5 edges of
    boundary (an upper bound for the ``overlap`` fill in practice)."""
    return _cells_for(parts, res) + perimeter_km / (1.5 * edge_km(int(res))) + 7


def finest_fitting_resolution(geom, max_cells: int = MAX_STUDY_CELLS, below: int = 16) -> int | None:
    """Finest H3 resolution (largest number, less than ``below``) at which ``geom`` fits.

    Parameters
    ----------
    geom : shapely geometry
        Longitude-latitude degrees.
    max_cells : int
        The cap the area must respect.
    below : int
        Only resolutions smaller than this are tried (the resolution that was refused).

    Returns
    -------
    int or None
        The resolution, or None when not even resolution 0 fits. The count used is the
        geodesic area in cells (of the size they have where the area lies) plus one cell per
        1.5 edge lengths of boundary, so the cells of the ``overlap`` fill stay within
        ``max_cells``.
    """
    _, perim_km = _area_perimeter_km(geom)
    parts = _part_areas(geom)
    for r in range(min(int(below), 16) - 1, -1, -1):
        if _upper_cells(parts, perim_km, r) <= max_cells:
            return r
    return None


def too_large_message(geom, res: int, max_cells: int, min_res: int = 0, est: float | None = None) -> str:
    """The sentence for an area too large at ``res``, proposing the finest resolution that fits."""
    est = _estimate_cells(geom, res) if est is None else est
    fit = finest_fitting_resolution(geom, max_cells, below=res)
    msg = (f"The study area would need about {est:,.0f} cells at resolution {res}, more than the "
           f"limit of {max_cells:,}; ")
    if fit is not None and fit >= min_res:
        return msg + f"resolution {fit} is the finest at which it fits (coarser = smaller number), or choose a smaller area."
    return msg + (f"no resolution from {min_res} up fits it: choose a smaller area (countries, admin-1 units, "
                  "a box or a source).")


def polygon_cells(geom, res: int, *, max_cells: int = MAX_STUDY_CELLS, min_res: int = 0) -> np.ndarray:
    """Cells at ``res`` overlapping a (multi)polygon in WGS84 degrees (lon, lat).

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        Longitude-latitude degrees (EPSG:4326); not crossing the antimeridian.
    res : int
        H3 resolution.
    max_cells : int
        Refuse areas estimated (from the geodesic area) to need more cells than this.
    min_res : int
        Coarsest resolution the calling analysis accepts (only for the message).

    Returns
    -------
    numpy.ndarray of uint64
        Sorted distinct cells that overlap the polygon (h3 ``contain='overlap'``).

    Raises
    ------
    intel.errors.HotspotError
        The area would exceed ``max_cells`` cells (the message proposes the finest resolution
        that fits), or the geometry is empty.
    """
    if geom is None or geom.is_empty:
        raise _error("The study area is empty.")
    est = _estimate_cells(geom, res)
    if est > max_cells:
        raise _error(too_large_message(geom, res, max_cells, min_res, est))
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    if not polys:  # lines or points (a degenerate clip): the cells that hold them
        geom = geom.buffer(1e-6)
        polys = [g for g in shapely.get_parts(geom) if not g.is_empty]
    shape = h3.geo_to_h3shape(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
    cells = h3.h3shape_to_cells_experimental(shape, int(res), contain="overlap")
    out = np.unique(from_hex(cells))
    if out.size > max_cells:
        raise _error(f"The study area has {out.size:,} cells at resolution {res}, more than the "
                     f"limit of {max_cells:,}; choose {_smaller(res, min_res)}.")
    return out


# ---------------------------------------------------------------------------------- land

@functools.lru_cache(maxsize=2)
def _gpkg_countries(path: str) -> dict:
    import geopandas as gpd

    g = gpd.read_file(path, layer="countries")
    iso = [("XKX" if b == "XK" else None) if (a in (None, "-99")) else a for a, b in zip(g["ISO_A3"], g["iso_a2"])]
    g["iso3"] = iso
    g = g[g["iso3"].notna()]
    return {k: shapely.union_all(list(v.geometry)) for k, v in g.groupby("iso3")}


@functools.lru_cache(maxsize=1)
def _lakes() -> tuple:
    if not NATURAL_EARTH_LAKES.is_file():
        return None, []
    import geopandas as gpd

    geoms = [g for g in gpd.read_file(NATURAL_EARTH_LAKES, layer="lakes").geometry.values if g is not None]
    return shapely.STRtree(geoms), geoms


def without_lakes(geom):
    """``geom`` with the bundled lakes it meets taken out (lon-lat degrees).

    Parameters
    ----------
    geom : shapely geometry or None

    Returns
    -------
    shapely geometry or None
        The difference with the Natural Earth 1:10m lakes of 15 km2 or more that intersect it
        (:data:`intel.config.NATURAL_EARTH_LAKES`); ``geom`` unchanged when none does or when
        the lakes file is missing.
    """
    if geom is None or geom.is_empty:
        return geom
    tree, lakes = _lakes()
    if tree is None:
        return geom
    idx = tree.query(geom, predicate="intersects")
    if len(idx) == 0:
        return geom
    return shapely.difference(geom, shapely.union_all([lakes[i] for i in idx]))


def land_polygons(con, iso3s) -> dict:
    """Land polygon of each country: ``{iso3: shapely geometry}`` (lon-lat degrees).

    From the store's ``countries`` table (Natural Earth 1:10m generalised); when the store has
    none, from the bundled GeoPackage. Codes without a polygon are absent from the result.
    """
    iso3s = sorted({str(c) for c in iso3s if c})
    out: dict = {}
    if not iso3s:
        return out
    rows = []
    if con is not None:
        try:
            ph = ", ".join("?" for _ in iso3s)
            rows = con.execute(f"SELECT iso3, geom_wkb FROM countries WHERE iso3 IN ({ph}) AND geom_wkb IS NOT NULL",
                               iso3s).fetchall()
        except Exception:  # noqa: BLE001 - a store without the reference tables
            rows = []
    for iso, wkb in rows:
        out[iso] = shapely.from_wkb(bytes(wkb))
    missing = [c for c in iso3s if c not in out]
    if missing and NATURAL_EARTH_GPKG.exists():
        ne = _gpkg_countries(str(NATURAL_EARTH_GPKG))
        out.update({c: ne[c] for c in missing if c in ne})
    return out


def cell_countries(con, cells) -> np.ndarray:
    """ISO3 of the country whose land polygon holds each cell's centre (None when none does).

    Used for occupied cells whose records name no country.
    """
    cells = _as_cells(cells)
    out = np.full(cells.size, None, dtype=object)
    if cells.size == 0:
        return out
    lat, lon = cell_centres(cells)
    polys = {}
    if con is not None:
        try:
            w, e, s, n = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
            rows = con.execute("SELECT iso3, geom_wkb FROM countries WHERE geom_wkb IS NOT NULL AND max_lon >= ? "
                               "AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?", [w, e, s, n]).fetchall()
            polys = {iso: shapely.from_wkb(bytes(g)) for iso, g in rows}
        except Exception:  # noqa: BLE001
            polys = {}
    if not polys and NATURAL_EARTH_GPKG.exists():
        polys = _gpkg_countries(str(NATURAL_EARTH_GPKG))
    for iso, geom in polys.items():
        todo = np.array([v is None for v in out])
        if not todo.any():
            break
        hit = np.zeros(cells.size, dtype=bool)
        hit[todo] = shapely.contains_xy(geom, lon[todo], lat[todo])
        out[hit] = iso
    return out


def on_land(con, cells) -> np.ndarray:
    """Whether each cell's centre lies on land: inside a country polygon (:func:`cell_countries`)
    and outside the bundled lakes (:func:`without_lakes`). Boolean array, shape (n,)."""
    cells = _as_cells(cells)
    ok = np.array([c is not None for c in cell_countries(con, cells)], dtype=bool)
    tree, lakes = _lakes()
    if tree is None or not ok.any():
        return ok
    lat, lon = cell_centres(cells)
    hit = tree.query(shapely.points(lon[ok], lat[ok]), predicate="within")
    idx = np.flatnonzero(ok)
    ok[idx[np.unique(hit[0])]] = False
    return ok


def _cells_vertices(cells: np.ndarray) -> np.ndarray:
    """(lon, lat) vertices of cells, shape (m, 2)."""
    return np.array([(lng, lat) for h in to_hex(cells) for lat, lng in h3.cell_to_boundary(h)])


def _with_rings(cells: np.ndarray) -> np.ndarray:
    ring = pa.array(h3ronpy.grid_disk(cells, 1, flatten=True)).to_numpy().astype("uint64")
    return np.unique(np.concatenate([cells, ring]))


def _hull(cells: np.ndarray):
    """Convex hull (degrees) of the vertices of ``cells``, or None across the antimeridian."""
    pts = _cells_vertices(cells)
    if pts[:, 0].max() - pts[:, 0].min() > 180:
        return None
    hull = shapely.MultiPoint(pts).convex_hull
    return hull if hull.geom_type == "Polygon" else hull.buffer(1e-6)


def clusters(cells, cluster_km: float = CLUSTER_KM) -> np.ndarray:
    """Region-cluster label of each cell: single linkage at ``cluster_km`` km between centres.

    Parameters
    ----------
    cells : array of uint64, shape (m,)
    cluster_km : float
        Two cells whose centres are at most this far apart (chord on the sphere of
        :data:`intel.geodesy.EARTH_RADIUS_KM`, within 0.01 % of the great-circle distance
        below 100 km) are in one cluster, and so is any chain of such cells.

    Returns
    -------
    numpy.ndarray of int64, shape (m,)
        Labels 0..c-1.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    cells = _as_cells(cells)
    if cells.size <= 1:
        return np.zeros(cells.size, dtype=np.int64)
    lat, lon = cell_centres(cells)
    xyz = unit_vectors(lat, lon)
    chord = 2 * np.sin(float(cluster_km) / EARTH_RADIUS_KM / 2)
    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(cells.size, cells.size))
    _, labels = connected_components(g, directed=False)
    return labels.astype(np.int64)


def data_pieces(con, occupied, iso3=None, cluster_km: float = CLUSTER_KM) -> tuple[list, np.ndarray, list]:
    """The pieces of the ``data`` area: per country and region cluster, the hull of its occupied
    cells cut to the country's land.

    Parameters
    ----------
    con : DuckDB connection to the store, or None (the bundled GeoPackage is then used).
    occupied : array of uint64, shape (m,)
        Occupied cells (one resolution). A cell may appear more than once with different
        countries (a border cell holding records of two countries).
    iso3 : array of str or None, shape (m,), optional
        The records' country per entry of ``occupied``; missing entries take the country whose
        polygon holds the cell centre (:func:`cell_countries`).
    cluster_km : float
        Gap that separates region clusters (:func:`clusters`).

    Returns
    -------
    (geometries, extra_cells, labels)
        One shapely geometry per country piece (the union of its clusters' hulls cut to its
        land), the cells added without a hull (countries without a polygon, or a cluster
        spanning the antimeridian: occupied cells and their 1-rings), and one label per country
        (``"CAN"``, ``"BFA (2 clusters)"``, ``"XXX (no polygon)"``).
    """
    occ = _as_cells(occupied)
    codes = np.full(occ.size, None, dtype=object) if iso3 is None else np.asarray(iso3, dtype=object).copy()
    if codes.shape != occ.shape:
        raise ValueError("occupied and iso3 must have the same length")
    codes = np.array([c if isinstance(c, str) and c.strip() else None for c in codes], dtype=object)
    need = np.array([c is None for c in codes], dtype=bool)
    if need.any():
        codes[need] = cell_countries(con, occ[need])
    keys = sorted({c for c in codes if c is not None})
    land = land_polygons(con, keys)
    geoms, extra, labels = [], [], []
    for key in keys:
        cells = np.unique(occ[codes == key])
        poly = land.get(key)
        if poly is None:
            extra.append(_with_rings(cells))
            labels.append(f"{key} (no polygon)")
            continue
        lab = clusters(cells, cluster_km)
        hulls = []
        for c in np.unique(lab):
            hull = _hull(cells[lab == c])
            if hull is None:
                extra.append(_with_rings(cells[lab == c]))
            else:
                hulls.append(hull)
        if hulls:
            piece = without_lakes(shapely.union_all(hulls).intersection(poly))
            if not piece.is_empty:
                geoms.append(piece)
        n = int(lab.max()) + 1
        labels.append(key if n == 1 else f"{key} ({n} clusters)")
    lost = np.unique(occ[np.array([c is None for c in codes], dtype=bool)])
    if lost.size:  # no country at all (at sea): the cells themselves and their neighbours
        extra.append(_with_rings(lost))
        labels.append("no country")
    extra_cells = np.unique(np.concatenate(extra)) if extra else np.zeros(0, dtype="uint64")
    return geoms, extra_cells, labels


# ---------------------------------------------------------------------------------- areas

def study_area(occupied=None, res: int | None = None, mode: str = DEFAULT_AREA, *, geometry=None,
               label: str = "", max_cells: int = MAX_STUDY_CELLS, iso3=None, con=None,
               min_res: int = 0, cluster_km: float = CLUSTER_KM) -> StudyArea:
    """All cells (zero-count included) of a study area at resolution ``res``.

    Parameters
    ----------
    occupied : array of uint64, optional
        Cells holding data, at ``res``. Required for ``data`` and ``extent``; in the other
        modes they are only used to check that the data fall inside the area.
    res : int
        H3 resolution (taken from ``occupied`` when omitted).
    mode : str
        One of :data:`AREA_MODES`. ``data``: per-country hulls of the occupied cells cut to
        land (see :func:`data_pieces`), plus the occupied cells. ``extent``: cells overlapping
        the convex hull (in degrees) of the vertices of the occupied cells, plus the occupied
        cells; across the antimeridian the occupied cells with their 1-rings.
        ``countries`` / ``admin1`` / ``bbox``: cells overlapping ``geometry``.
    geometry : shapely geometry, optional
        Longitude-latitude (EPSG:4326) polygon(s); required for the polygon modes.
    label : str
        Names of the selected units, used in the description.
    max_cells : int
        Cap on the area size.
    iso3 : array of str, optional
        ``data`` mode: the records' country per entry of ``occupied``.
    con : DuckDB connection, optional
        ``data`` mode: the store whose country polygons cut the hulls.
    min_res : int
        Coarsest resolution the calling analysis accepts (for the too-large message).
    cluster_km : float
        ``data`` mode: gap in km that separates region clusters (:func:`clusters`).

    Returns
    -------
    StudyArea

    Raises
    ------
    intel.errors.HotspotError
        No data for ``data``/``extent``, missing geometry, or more than ``max_cells`` cells
        (the message names the finest resolution that fits).
    ValueError
        Unknown ``mode``.
    """
    if mode not in AREA_MODES:
        raise ValueError(f"study-area mode must be one of {', '.join(AREA_MODES)}")
    occ = _as_cells(occupied) if occupied is not None else np.zeros(0, dtype="uint64")
    if res is None:
        if occ.size == 0:
            raise ValueError("res is required when there are no occupied cells")
        res = np.unique(resolution_of(occ))
        if res.size != 1:
            raise _error("The cells are not all at one H3 resolution.")
        res = int(res[0])
    res = int(res)
    if mode in ("data", "extent"):
        if occ.size == 0:
            raise _error("There are no located events for the chosen filters, so there is no "
                         "data extent to analyse.")
        uocc = np.unique(occ)
    if mode == "data":
        geoms, extra, labels = data_pieces(con, occ, iso3, cluster_km)
        cells = uocc
        if geoms:
            cells = np.union1d(cells, polygon_cells(shapely.union_all(geoms), res, max_cells=max_cells,
                                                    min_res=min_res))
        cells = np.union1d(cells, extra)
        desc = (f"Land of the places with records: {cells.size:,} cells at resolution {res} in "
                f"{len(labels)} countr{'ies' if len(labels) != 1 else 'y'} ({', '.join(labels)}): per country and region "
                f"cluster (gaps over {cluster_km:g} km split clusters), the hull of its cells with events ({uocc.size:,} "
                "in all) cut to its land; empty cells included, lakes of 15 km2 or more taken out.")
        return _capped(StudyArea(cells, res, mode, desc, labels), max_cells, min_res)
    if mode == "extent":
        hull = _hull(uocc)
        if hull is None:
            cells = _with_rings(uocc)
            desc = (f"Data extent: the {uocc.size:,} occupied cells and their neighbours "
                    f"({cells.size:,} cells at resolution {res}; the data cross the antimeridian).")
        else:
            cells = polygon_cells(hull, res, max_cells=max_cells, min_res=min_res)
            cells = np.union1d(cells[on_land(con, cells)], uocc)
            desc = (f"Data extent: {cells.size:,} cells at resolution {res} of the convex hull of the "
                    f"{uocc.size:,} cells with events that lie on land (empty cells included; sea and lakes of "
                    "15 km2 or more left out).")
        return _capped(StudyArea(cells, res, mode, desc), max_cells, min_res)
    what = {"countries": "countries", "admin1": "admin-1 units", "bbox": "box"}[mode]
    if geometry is None or geometry.is_empty:
        raise _error(f"No boundary was found for the selected {what}.")
    cells = polygon_cells(without_lakes(geometry), res, max_cells=max_cells, min_res=min_res)
    desc = (f"Selected {what}{': ' + label if label else ''}: {cells.size:,} cells at resolution {res} "
            f"overlapping {'its land' if mode == 'bbox' else 'their boundaries'} (empty cells included; "
            "lakes of 15 km2 or more taken out).")
    return StudyArea(cells, res, mode, desc)


def _smaller(res: int, min_res: int) -> str:
    """The advice for too many cells: a coarser resolution only while ``res`` is above ``min_res``."""
    return "a coarser resolution or a smaller area" if int(res) > int(min_res) else "a smaller area"


def _capped(sa: StudyArea, max_cells: int, min_res: int = 0) -> StudyArea:
    if sa.cells.size > max_cells:
        raise _error(f"The study area has {sa.cells.size:,} cells at resolution {sa.res}, more than "
                     f"the limit of {max_cells:,}; choose {_smaller(sa.res, min_res)}.")
    return sa


def area_geometry(con, mode: str, codes, bbox=None) -> tuple[object, str]:
    """Union of the store's country or admin-1 polygons, or a box cut to land.

    Parameters
    ----------
    con : DuckDB connection to the store.
    mode : {'countries', 'admin1', 'bbox'}
    codes : sequence of str
        ISO3 codes (``countries.iso3``) or ``admin1.admin1_id`` values.
    bbox : (W, S, E, N), optional
        Degrees, for ``bbox``.

    Returns
    -------
    (geometry, label)
        Shapely geometry in lon-lat degrees (or None when nothing matched) and the names.

    Raises
    ------
    intel.errors.HotspotError
        No code (or no box) given.
    ValueError
        Unknown mode.
    """
    if mode == "bbox":
        if bbox is None:
            raise _error("Give a box W,S,E,N for the study area.")
        w, s, e, n = (float(v) for v in bbox)
        box = shapely.box(w, s, e, n)
        rows = con.execute("SELECT iso3, geom_wkb FROM countries WHERE geom_wkb IS NOT NULL AND max_lon >= ? "
                           "AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?", [w, e, s, n]).fetchall()
        land = [shapely.from_wkb(bytes(g)) for _, g in rows]
        if not land:  # a store without country polygons: the box itself
            return box, ",".join(f"{v:g}" for v in (w, s, e, n))
        geom = shapely.intersection(box, shapely.union_all(land))
        return (None if geom.is_empty else geom), ",".join(f"{v:g}" for v in (w, s, e, n))
    codes = [str(c) for c in codes or ()]
    if not codes:
        raise _error("Choose at least one country or admin-1 unit for the study area.")
    ph = ", ".join("?" for _ in codes)
    if mode == "countries":
        rows = con.execute(f"SELECT coalesce(name, iso3), geom_wkb FROM countries WHERE iso3 IN ({ph})",
                           codes).fetchall()
    elif mode == "admin1":
        rows = con.execute(f"SELECT coalesce(name, admin1_id), geom_wkb FROM admin1 WHERE admin1_id IN ({ph})",
                           codes).fetchall()
    else:
        raise ValueError("mode must be 'countries', 'admin1' or 'bbox'")
    geoms = [shapely.from_wkb(bytes(w)) for _, w in rows if w is not None]
    if not geoms:
        return None, ""
    return shapely.union_all(geoms), ", ".join(sorted(str(n) for n, _ in rows))


def build_area(con, res: int, occupied, area: str = DEFAULT_AREA, area_codes=(),
               max_cells: int = MAX_STUDY_CELLS, *, bbox=None, iso3=None, min_res: int = 0) -> StudyArea:
    """Study area from the store (see :func:`study_area` for the modes).

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
    occupied : array of uint64 or pandas.DataFrame
        Occupied cells at ``res``; a DataFrame with columns ``cell`` and ``iso3`` gives the
        records' countries for the ``data`` mode.
    area : str
        One of :data:`AREA_MODES`.
    area_codes : sequence of str
        ISO3 codes or admin-1 ids for ``countries`` / ``admin1``.
    max_cells : int
    bbox : (W, S, E, N), optional
        Degrees, for ``bbox``.
    iso3 : array of str, optional
        The records' country per occupied cell (``data``), when ``occupied`` is an array.
    min_res : int
        Coarsest resolution the calling analysis accepts (for the too-large message).
    """
    if isinstance(occupied, pd.DataFrame):
        if iso3 is None and "iso3" in occupied:
            iso3 = occupied["iso3"].to_numpy(dtype=object)
        occupied = occupied["cell"].to_numpy(dtype="uint64")
    if area not in AREA_MODES:
        raise ValueError(f"study-area mode must be one of {', '.join(AREA_MODES)}")
    if area in ("data", "extent"):
        return study_area(occupied, res, area, max_cells=max_cells, iso3=iso3, con=con, min_res=min_res)
    geom, label = area_geometry(con, area, area_codes, bbox)
    return study_area(occupied, res, area, geometry=geom, label=label, max_cells=max_cells, min_res=min_res)


def area_kwargs(area, filters=None) -> dict:
    """Keyword arguments of :func:`intel.hotspots.hotspots_from_store` and
    :func:`intel.emerging.emerging_from_store` for an area of operation.

    Parameters
    ----------
    area : intel.risk.Area
        Any object with ``kind`` (one of :data:`AREA_MODES`), ``codes``, ``bbox`` and
        ``sources`` (the CLI's :func:`intel.cli.options.resolve_area`, the pages' area widgets).
    filters : intel.hexbin.Filters, optional
        Record filters; the area's sources are added to them.

    Returns
    -------
    dict
        ``area``, ``area_codes``, ``bbox``, ``filters``.
    """
    filters = filters or Filters()
    sources = tuple(getattr(area, "sources", ()) or ())
    if sources:
        filters = replace(filters, sources=sources)
    return {"area": area.kind, "area_codes": tuple(area.codes or ()), "bbox": area.bbox, "filters": filters}
