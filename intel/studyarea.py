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

Where the parts are: the land and lake polygons, which country a cell lies in, and the
per-country, per-cluster land pieces of the ``data`` mode are :mod:`intel.land`; how many cells
an area needs, the size cap and the cells of a polygon are :mod:`intel.area_size`. This module
holds the modes themselves (:func:`study_area`, :func:`build_area`) and names the public
functions of both, so ``from intel.studyarea import polygon_cells`` keeps working.

Every :class:`StudyArea` carries its mode, its cell count and a one-sentence ``description``
that the pages and the CLI print next to the result (:meth:`StudyArea.attrs`).

Coordinates are WGS84 degrees (shapely geometries in longitude, latitude order); areas km2.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import shapely

# the cells of an area and their cap, the land: named here too (callers import them from intel.studyarea)
from intel.area_size import (MAX_STUDY_CELLS, finest_fitting_resolution, polygon_cells,  # noqa: F401
                             smaller_advice, too_large_message)
from intel.errors import HotspotError
from intel.h3cells import resolution_of
from intel.hexbin import Filters
from intel.land import (CLUSTER_KM, as_cells, cell_countries, cells_hull, clusters, data_pieces,  # noqa: F401
                        land_polygons, on_land, with_rings, without_lakes)

AREA_MODES = ("data", "extent", "countries", "admin1", "bbox")
"""Study-area modes, the default first (see the module overview)."""

DEFAULT_AREA = "data"

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
    occ = as_cells(occupied) if occupied is not None else np.zeros(0, dtype="uint64")
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
        hull = cells_hull(uocc)
        if hull is None:
            cells = with_rings(uocc)
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


def _capped(sa: StudyArea, max_cells: int, min_res: int = 0) -> StudyArea:
    if sa.cells.size > max_cells:
        raise _error(f"The study area has {sa.cells.size:,} cells at resolution {sa.res}, more than "
                     f"the limit of {max_cells:,}; choose {smaller_advice(sa.res, min_res)}.")
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
