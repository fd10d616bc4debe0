"""H3 binning and hexagon aggregation.

Points (WGS84 degrees) are binned once, at :data:`intel.config.FINE_RES`, with h3ronpy's
vectorised ``coordinates_to_cells`` and stored as UBIGINT. Coarser resolutions are the H3
parents of the stored cell, computed in SQL (:func:`intel.h3cells.parent_sql`); see the
"H3 convention" in :mod:`intel.h3cells`, which also holds the int/hex conversions used at the
edges (deck.gl, CSV, GeoJSON). :func:`aggregate` accepts the "map" resolutions of
:data:`intel.config.RESOLUTIONS`.

Location precision guard
------------------------
Each record carries a location precision. :data:`PRECISION_KM` gives the radius of
uncertainty assumed for each level; at resolution ``r`` a record is binned only when that
radius is at most the mean H3 edge length at ``r`` (:func:`usable_precisions`). Coarser
records are counted and reported as "left out", never silently drawn as if exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from h3ronpy.vector import coordinates_to_cells

from intel.config import FINE_RES, check_resolution
from intel.h3cells import cell_ring, edge_km, from_hex, parent, parent_sql, to_hex
from intel.store import EVENTS_SQL, MULTI_EVENTS_SQL, period_sql
from intel.threads import map_threads, slices

__all__ = ["PRECISIONS", "PRECISION_KM", "usable_precisions", "bin_points", "Filters", "aggregate", "left_out",
           # H3 helpers of intel.h3cells, importable from here as before
           "edge_km", "cell_ring", "to_hex", "from_hex", "parent"]

PRECISIONS = ["exact", "intersection", "town", "admin-1", "country"]
PRECISION_KM = {"exact": 0.01, "intersection": 0.15, "town": 5.0, "admin-1": 100.0, "country": 1000.0}
"""Assumed radius of location uncertainty in km for each precision level."""


def usable_precisions(res: int) -> list[str]:
    """Precision levels fine enough to be binned at H3 resolution ``res``.

    A level is usable when its uncertainty radius (:data:`PRECISION_KM`, km) is no larger
    than the mean edge length at ``res``. Resolution 9 (edge 0.2 km) takes exact and
    intersection records; resolution 5 (edge 9.9 km) also takes town records.
    """
    limit = edge_km(res)
    return [p for p in PRECISIONS if PRECISION_KM[p] <= limit]


def bin_points(lat: np.ndarray, lon: np.ndarray, res: int = FINE_RES) -> np.ndarray:
    """H3 cells of points, vectorised.

    Parameters
    ----------
    lat, lon : array of float, shape (n,)
        WGS84 degrees. NaN gives cell 0 (no cell). Callers validate ranges first:
        h3 itself accepts latitude -99 and returns a cell near the pole.
    res : int
        H3 resolution.

    Returns
    -------
    numpy.ndarray of uint64, shape (n,)
        Cell ids, 0 where the input was NaN.

    Raises
    ------
    ValueError
        When a finite coordinate is outside [-90, 90] x [-180, 180].
    """
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    ok = np.isfinite(lat) & np.isfinite(lon)
    if np.any(ok & ((np.abs(lat) > 90) | (np.abs(lon) > 180))):
        raise ValueError("coordinates out of range reached H3 binning; validate first")
    out = np.zeros(lat.shape[0], dtype="uint64")
    la, lo = lat[ok], lon[ok]

    def cells_of(part: slice) -> np.ndarray:
        c = coordinates_to_cells(la[part], lo[part], int(res))
        return np.asarray(c.to_numpy() if hasattr(c, "to_numpy") else c, dtype="uint64")

    if len(la):   # h3ronpy releases the GIL: one slice per core
        out[ok] = np.concatenate(map_threads(cells_of, slices(len(la))))
    return out


@dataclass(frozen=True)
class Filters:
    """Plain filter values shared by map queries (hashable, so the app can cache on them).

    Dates are a half-open period [date_from, date_to) of UTC calendar days, ISO strings.
    Empty tuples mean "no filter".
    """

    date_from: str | None = None
    date_to: str | None = None
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None  # W, S, E, N degrees
    max_border_km: float | None = None  # border zone: geodesic km to the nearest land border

    def where(self, alias: str = "e") -> tuple[str, list]:
        """WHERE clause (without the keyword) and its parameters; accepted records only."""
        a = alias
        period, params = period_sql(f"{a}.event_date", self.date_from, self.date_to)
        parts = [f"{a}.status = 'accepted'", *period]
        for col, values in (("kind", self.kinds), ("category", self.categories),
                            ("country_iso3", self.countries), ("source", self.sources)):
            if values:
                parts.append(f"{a}.{col} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        if self.bbox:
            w, s, e, n = self.bbox
            parts.append(f"{a}.latitude BETWEEN ? AND ? AND {a}.longitude BETWEEN ? AND ?")
            params.extend([s, n, w, e])
        if self.max_border_km is not None:
            parts.append(f"{a}.border_km <= ?")
            params.append(float(self.max_border_km))
        return " AND ".join(parts), params


def aggregate(con: duckdb.DuckDBPyConnection, res: int, filters: Filters | None = None) -> pd.DataFrame:
    """Event and firearm counts per H3 cell at ``res``.

    Only records whose location precision is usable at ``res`` (:func:`usable_precisions`)
    are binned.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution within the "map" range of :data:`intel.config.RESOLUTIONS` (3-9).
    filters : Filters, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64), ``h3`` (hex str), ``events`` (distinct incidents),
        ``records``, ``firearms``, ``ammunition``, ``top_categories`` (str), ``first_date``,
        ``last_date``; one row per non-empty cell, sorted by ``events`` descending.

    Raises
    ------
    ValueError
        When ``res`` is outside the map range (:func:`intel.config.check_resolution`).
    """
    res = check_resolution(res, "map")
    filters = filters or Filters()
    where, params = filters.where("e")
    precisions = usable_precisions(res)
    where += f" AND e.h3_cell IS NOT NULL AND e.location_precision IN ({', '.join('?' for _ in precisions)})"
    params += precisions
    cell = parent_sql("e.h3_cell", res)
    label = "coalesce(e.firearm_type, e.category, e.kind)"
    # Three grouped scans joined on the cell, each cheaper than one scan with every aggregate:
    # m - rows, sums, dates and the incidents of one row (incident_multi false);
    # d - distinct incidents among rows of multi-row incidents (few rows: a small distinct);
    # t - the three commonest labels per cell (ties by label), as "pistol 12, rifle 3".
    # A DISTINCT or histogram() aggregate in the main GROUP BY costs more than these together
    # (bench/bench_store.py: 1M records, res 8, 57 ms as one query, about 40 ms as three).
    sql = f"""
        WITH m AS (
            SELECT {cell} AS cell, count(*) FILTER (WHERE e.incident_multi = false) AS single,
                   count(*) AS records, coalesce(sum(e.firearms), 0) AS firearms,
                   coalesce(sum(e.ammunition), 0) AS ammunition,
                   min(e.event_date) AS first_date, max(e.event_date) AS last_date
            FROM events e WHERE {where} GROUP BY 1),
        d AS (
            SELECT {cell} AS cell, {MULTI_EVENTS_SQL.format(a='e.')} AS multi
            FROM events e WHERE {where} AND e.incident_multi IS NOT false GROUP BY 1),
        c AS (
            SELECT {cell} AS cell, {label} AS label, count(*) AS k
            FROM events e WHERE {where} AND {label} IS NOT NULL GROUP BY 1, 2),
        t AS (
            SELECT cell, string_agg(label || ' ' || k, ', ' ORDER BY k DESC, label) AS top
            FROM (SELECT * FROM c QUALIFY row_number() OVER (PARTITION BY cell ORDER BY k DESC, label) <= 3)
            GROUP BY cell)
        SELECT m.cell, m.single + coalesce(d.multi, 0) AS events, m.records, m.firearms, m.ammunition,
               coalesce(t.top, '') AS top_categories, m.first_date, m.last_date
        FROM m LEFT JOIN d USING (cell) LEFT JOIN t USING (cell)
        ORDER BY events DESC, m.cell
    """
    df = con.execute(sql, params * 3).df()
    df["cell"] = df["cell"].astype("uint64")
    df.insert(1, "h3", to_hex(df["cell"].to_numpy()))
    cols = ["cell", "h3", "events", "records", "firearms", "ammunition", "top_categories", "first_date", "last_date"]
    return df[cols]


def left_out(con: duckdb.DuckDBPyConnection, res: int, filters: Filters | None = None) -> pd.DataFrame:
    """Accepted records too coarse to bin at ``res``, grouped by place.

    Returns
    -------
    pandas.DataFrame
        Columns ``location_name``, ``location_precision``, ``latitude``, ``longitude``,
        ``events``, ``records``, ``firearms``; one row per place.
    """
    filters = filters or Filters()
    where, params = filters.where("e")
    precisions = usable_precisions(res)
    where += f" AND e.latitude IS NOT NULL AND e.location_precision NOT IN ({', '.join('?' for _ in precisions)})"
    params += precisions
    return con.execute(
        f"""SELECT coalesce(location_name, '(unnamed)') AS location_name, location_precision,
                   avg(latitude) AS latitude, avg(longitude) AS longitude,
                   {EVENTS_SQL.format(a="e.")} AS events, count(*) AS records,
                   coalesce(sum(firearms), 0) AS firearms
            FROM events e WHERE {where}
            GROUP BY 1, 2 ORDER BY events DESC""",
        params,
    ).df()
