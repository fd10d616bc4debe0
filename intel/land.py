"""Land for study areas: country land polygons, lakes, and the land pieces of the ``data`` area.

Part of the study areas (:mod:`intel.studyarea`, which names the public functions here too). A
study area must be the land of the places that hold records, never the ocean between them; this
module knows where the land is. :func:`land_polygons` gives each country's polygon,
:func:`cell_countries` the country whose polygon holds a cell's centre, :func:`on_land` whether a
cell's centre is on land and outside the lakes, :func:`without_lakes` a geometry with the lakes
taken out. The ``data`` mode's pieces are built here too: :func:`clusters` splits a country's
occupied cells into region clusters (single linkage at :data:`CLUSTER_KM`), and
:func:`data_pieces` cuts each cluster's convex hull (:func:`cells_hull`) to its country's land;
where no hull can be drawn the occupied cells and their 1-rings are used (:func:`with_rings`).

Land polygons are the Natural Earth 1:10m generalised polygons the store holds (``countries``,
``admin1``, loaded by :mod:`intel.reference` from ``data/sources/boundaries/
ne_10m_generalised_world_map.gpkg``); a store without them (small test stores) falls back to the
bundled GeoPackage itself. Those country and admin-1 polygons include the lakes (Lake Ontario
lies inside the U.S. and Canadian polygons), so every area except ``extent`` has the bundled
Natural Earth 1:10m lakes of 15 km2 or more taken out (:func:`without_lakes`,
:data:`intel.config.NATURAL_EARTH_LAKES`): a cell whose centre lies in such a lake is not part
of the area (a cell holding records always is).

Coordinates are WGS84 degrees (shapely geometries in longitude, latitude order).
"""
from __future__ import annotations

import functools

import h3
import h3ronpy
import numpy as np
import pyarrow as pa
import shapely

from intel.config import NATURAL_EARTH_GPKG, NATURAL_EARTH_LAKES
from intel.geodesy import EARTH_RADIUS_KM, unit_vectors
from intel.h3cells import cell_centres, to_hex

__all__ = ["CLUSTER_KM", "as_cells", "without_lakes", "land_polygons", "cell_countries", "on_land", "with_rings",
           "cells_hull", "clusters", "data_pieces"]

CLUSTER_KM = 50.0
"""Largest gap, km between cell centres, inside one region cluster of the ``data`` area."""


def as_cells(cells) -> np.ndarray:
    """H3 cells as a contiguous uint64 array (any sequence or array of cell integers, shape (n,))."""
    return np.ascontiguousarray(np.asarray(cells, dtype="uint64"))


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
    cells = as_cells(cells)
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
    cells = as_cells(cells)
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


def with_rings(cells: np.ndarray) -> np.ndarray:
    """Sorted distinct ``cells`` and their 1-ring neighbours (uint64, same resolution): the area
    used where no hull can be drawn (the antimeridian, a country without a polygon, at sea)."""
    ring = pa.array(h3ronpy.grid_disk(cells, 1, flatten=True)).to_numpy().astype("uint64")
    return np.unique(np.concatenate([cells, ring]))


def cells_hull(cells: np.ndarray):
    """Convex hull (degrees) of the vertices of ``cells``, or None across the antimeridian.

    Parameters
    ----------
    cells : numpy.ndarray of uint64, shape (m,), m >= 1

    Returns
    -------
    shapely.Polygon or None
        In longitude-latitude degrees; a hull that degenerates to a line or point is buffered
        by 1e-6 degrees. None when the vertices span more than 180 degrees of longitude.
    """
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

    cells = as_cells(cells)
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
    occ = as_cells(occupied)
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
            extra.append(with_rings(cells))
            labels.append(f"{key} (no polygon)")
            continue
        lab = clusters(cells, cluster_km)
        hulls = []
        for c in np.unique(lab):
            hull = cells_hull(cells[lab == c])
            if hull is None:
                extra.append(with_rings(cells[lab == c]))
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
        extra.append(with_rings(lost))
        labels.append("no country")
    extra_cells = np.unique(np.concatenate(extra)) if extra else np.zeros(0, dtype="uint64")
    return geoms, extra_cells, labels
