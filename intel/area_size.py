"""Size of a study area: how many H3 cells an area needs, the cap, and the cells of a polygon.

Part of the study areas (:mod:`intel.studyarea`, which names the public functions here too).
Every study-area mode ends in :func:`polygon_cells` (or is checked against the same cap), so an
area too large for memory is refused here. It is refused before any cell is made, when its
geodesic area (pyproj, WGS84) divided by the cell area where it lies exceeds
:data:`MAX_STUDY_CELLS`; the message (:func:`too_large_message`) names the finest resolution that
fits (:func:`finest_fitting_resolution`: the area estimate plus one cell per boundary step, so the
resolution it names does fit).

Coordinates are WGS84 degrees (shapely geometries in longitude, latitude order); areas km2.
"""
from __future__ import annotations

import h3
import numpy as np
import shapely

from intel.errors import HotspotError
from intel.geodesy import geod
from intel.h3cells import edge_km, from_hex

__all__ = ["MAX_STUDY_CELLS", "finest_fitting_resolution", "too_large_message", "smaller_advice", "polygon_cells"]

MAX_STUDY_CELLS = 2_000_000
"""Largest study area, in cells, that :func:`intel.studyarea.study_area` will build."""


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


def smaller_advice(res: int, min_res: int) -> str:
    """The advice for a study area of too many cells: a coarser resolution only while ``res`` is
    above ``min_res`` (the coarsest the caller offers), else a smaller area alone."""
    return "a coarser resolution or a smaller area" if int(res) > int(min_res) else "a smaller area"


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
        raise HotspotError("The study area is empty.")
    est = _estimate_cells(geom, res)
    if est > max_cells:
        raise HotspotError(too_large_message(geom, res, max_cells, min_res, est))
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    if not polys:  # lines or points (a degenerate clip): the cells that hold them
        geom = geom.buffer(1e-6)
        polys = [g for g in shapely.get_parts(geom) if not g.is_empty]
    shape = h3.geo_to_h3shape(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
    cells = h3.h3shape_to_cells_experimental(shape, int(res), contain="overlap")
    out = np.unique(from_hex(cells))
    if out.size > max_cells:
        raise HotspotError(f"The study area has {out.size:,} cells at resolution {res}, more than the "
                     f"limit of {max_cells:,}; choose {smaller_advice(res, min_res)}.")
    return out
