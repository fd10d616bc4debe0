"""H3 binning and hexagon aggregation.

Points (WGS84 degrees) are binned once, at :data:`intel.config.FINE_RES`, with h3ronpy's
vectorised ``coordinates_to_cells`` and stored as UBIGINT. Coarser resolutions are the H3
parents of the stored cell, computed in SQL (:func:`intel.h3cells.parent_sql`); see the
"H3 convention" in :mod:`intel.h3cells`, which also holds the int/hex conversions used at the
edges (deck.gl, CSV, GeoJSON). :func:`aggregate` accepts the "map" resolutions of
:data:`intel.config.RESOLUTIONS`.

Location precision guard
------------------------
Each record carries a location precision (its kind) and, where the gazetteer states it, the
radius of its *own* uncertainty in km (``events.uncertainty_km``: the equal-area radius of
its municipality, province or area of responsibility). At resolution ``r`` a record is
binned only when that radius is at most the mean H3 edge length at ``r``; a record without a
radius of its own takes the class radius of its kind (:data:`PRECISION_KM`). The rule is
written once, in SQL (:func:`usable_sql`, :func:`coarse_sql`) and over arrays
(:func:`usable_mask`), and every analysis uses it. Coarser records are counted and reported
as "left out", never silently drawn as if exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from h3ronpy.vector import coordinates_to_cells

from intel.config import FINE_RES, check_resolution
from intel.h3cells import edge_km, parent_sql, to_hex
from intel.store import EVENTS_SQL, MULTI_EVENTS_SQL, period_sql
from intel.threads import map_threads, slices

PRECISIONS = ["exact", "intersection", "town", "municipality", "admin-1", "country"]
PRECISION_KM = {"exact": 0.01, "intersection": 0.15, "town": 5.0, "municipality": 20.0, "admin-1": 100.0,
                "country": 1000.0}
"""Assumed radius of location uncertainty in km for each precision level (the fallback for a
record that carries no ``uncertainty_km`` of its own)."""
UNKNOWN_PRECISION_KM = 1.0e9
"""Radius given to a record whose precision kind is not in :data:`PRECISION_KM`: too coarse
for every resolution (it is counted as left out, as before per-record radii)."""


def usable_precisions(res: int) -> list[str]:
    """Precision levels fine enough to be binned at H3 resolution ``res``.

    A level is usable when its uncertainty radius (:data:`PRECISION_KM`, km) is no larger
    than the mean edge length at ``res``. Resolution 9 (edge 0.2 km) takes exact and
    intersection records; resolution 5 (edge 9.9 km) also takes town records.
    """
    limit = edge_km(res)
    return [p for p in PRECISIONS if PRECISION_KM[p] <= limit]


def uncertainty_sql(alias: str = "e") -> str:
    """SQL expression of each record's radius of location uncertainty in km.

    ``uncertainty_km`` when the record has one, else the class radius of its
    ``location_precision`` (:data:`PRECISION_KM`), :data:`UNKNOWN_PRECISION_KM` for an unknown
    kind, NULL when the record has neither (not located). ``alias`` is a trusted table alias
    (never user text); the radii are literals from this module.
    """
    a = f"{alias}." if alias else ""
    whens = " ".join(f"WHEN '{p}' THEN {km!r}" for p, km in PRECISION_KM.items())
    return (f"coalesce({a}uncertainty_km, CASE WHEN {a}location_precision IS NULL THEN NULL "
            f"ELSE CASE {a}location_precision {whens} ELSE {UNKNOWN_PRECISION_KM!r} END END)")


def usable_sql(res: int, alias: str = "e") -> str:
    """SQL condition: the record's uncertainty radius (:func:`uncertainty_sql`, km) is at most the
    mean H3 edge length at ``res`` (km). The edge is a literal computed from the integer ``res``."""
    return f"({uncertainty_sql(alias)} <= {edge_km(int(res))!r})"


def coarse_sql(res: int, alias: str = "e") -> str:
    """SQL condition: the record has a known location too coarse for ``res`` (the complement of
    :func:`usable_sql` among records with a radius)."""
    return f"({uncertainty_sql(alias)} > {edge_km(int(res))!r})"


def uncertainty_values(precision, uncertainty_km=None) -> np.ndarray:
    """Radius of location uncertainty in km per record, as :func:`uncertainty_sql` computes it.

    Parameters
    ----------
    precision : array-like of str or None, shape (n,)
        Location precision kinds.
    uncertainty_km : array-like of float, shape (n,), optional
        Per-record radii in km (NaN/None where the record has none).

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        km; NaN where neither is known.
    """
    prec = pd.Series(np.asarray(precision, dtype=object))
    cls = prec.map(lambda p: np.nan if p is None or (isinstance(p, float) and np.isnan(p))
                   else PRECISION_KM.get(p, UNKNOWN_PRECISION_KM)).to_numpy(dtype=float)
    if uncertainty_km is None:
        return cls
    own = pd.to_numeric(pd.Series(np.asarray(uncertainty_km, dtype=object)), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(own), own, cls)


def usable_mask(res: int, precision, uncertainty_km=None) -> np.ndarray:
    """Boolean mask of records usable at H3 resolution ``res`` (same rule as :func:`usable_sql`):
    radius of uncertainty (km) at most the mean edge length at ``res`` (km)."""
    u = uncertainty_values(precision, uncertainty_km)
    with np.errstate(invalid="ignore"):
        return np.isfinite(u) & (u <= edge_km(int(res)))


def finest_usable_resolution(radius_km: float, lo: int = 0, hi: int = FINE_RES) -> int | None:
    """Finest H3 resolution in ``lo..hi`` whose mean edge length (km) is at least ``radius_km``
    (km), or None when even ``lo`` is too fine."""
    ok = [r for r in range(int(lo), int(hi) + 1) if float(radius_km) <= edge_km(r)]
    return max(ok) if ok else None


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

    def narrows(self) -> bool:
        """True when the filters limit the records by kind, category, country, source, box or
        border zone (the period aside): only then can a message advise wider filters."""
        return bool(self.kinds or self.categories or self.countries or self.sources or self.bbox
                    or self.max_border_km is not None)

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

    Only records whose radius of location uncertainty is usable at ``res`` (:func:`usable_sql`)
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
    where += f" AND e.h3_cell IS NOT NULL AND {usable_sql(res, 'e')}"
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


def binned_at(places: pd.DataFrame, res: int) -> bool:
    """True when some place of a :func:`left_out` table would be binned at ``res``.

    Parameters
    ----------
    places : pandas.DataFrame
        :func:`left_out` rows (``uncertainty_km``, each place's largest radius, km).
    res : int
        H3 resolution, usually the coarsest a page offers.

    Returns
    -------
    bool
        Whether a place's largest radius is at most the mean edge at ``res`` (:func:`usable_sql`'s
        rule), so a coarser resolution would draw it; a message advises a coarser resolution only then.
    """
    if places is None or places.empty or "uncertainty_km" not in places.columns:
        return False
    return bool((pd.to_numeric(places["uncertainty_km"], errors="coerce") <= edge_km(int(res))).any())


def left_out(con: duckdb.DuckDBPyConnection, res: int, filters: Filters | None = None) -> pd.DataFrame:
    """Accepted records too coarse to bin at ``res``, grouped by place.

    A record is too coarse when its radius of location uncertainty (its own
    ``uncertainty_km``, else the class radius of its precision; km) exceeds the mean H3 edge
    length at ``res`` (km), the complement of what :func:`aggregate` bins.

    Returns
    -------
    pandas.DataFrame
        Columns ``location_name``, ``location_precision``, ``latitude``, ``longitude``,
        ``events``, ``records``, ``firearms``, ``uncertainty_km`` (the places' largest radius,
        km) and ``reason`` (a sentence: radius against the cell edge at ``res``); one row per
        place, most events first.
    """
    filters = filters or Filters()
    where, params = filters.where("e")
    where += f" AND e.latitude IS NOT NULL AND {coarse_sql(res, 'e')}"
    df = con.execute(
        f"""SELECT coalesce(location_name, '(unnamed)') AS location_name, location_precision,
                   avg(latitude) AS latitude, avg(longitude) AS longitude,
                   {EVENTS_SQL.format(a="e.")} AS events, count(*) AS records,
                   coalesce(sum(firearms), 0) AS firearms,
                   max({uncertainty_sql('e')}) AS uncertainty_km
            FROM events e WHERE {where}
            GROUP BY 1, 2 ORDER BY events DESC, 1""",
        params,
    ).df()
    edge = edge_km(res)
    df["reason"] = [f"located to the {p or 'unknown precision'} (uncertainty {u:,.1f} km), coarser than the "
                    f"{edge:,.1f} km cell edge at resolution {int(res)}" for p, u in
                    zip(df["location_precision"], df["uncertainty_km"])]
    return df
