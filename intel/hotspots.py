"""Getis-Ord Gi* hot spots on H3 cells, with false discovery rate control.

Overview
--------
A *dense* cell is not necessarily a *hot spot*. The Getis-Ord Gi* statistic (Getis & Ord
1992; Ord & Getis 1995) asks whether the sum of a value (events or firearms) over a cell's
neighbourhood is larger (hot) or smaller (cold) than expected if the values were spread at
random over the study area, and gives a z-score. Its p-value comes, by default, from seeded
conditional permutations (Anselin 1995; :mod:`intel.inference`), which hold on sparse, skewed
counts; the normal approximation is kept as ``method='normal'``.

The pieces, each a pure function on arrays:

* :func:`intel.studyarea.study_area` (imported here) - every H3 cell at resolution ``r`` of the
  study area, **including cells with no events** (the zeros are what makes a cell stand out).
  By default the land of the places with records (per country, the hull of its occupied cells
  cut to its land polygon; never one hull across an ocean), or the data's extent, selected
  countries, admin-1 units or a box. It is capped at :data:`MAX_STUDY_CELLS` cells.
* :func:`neighbour_matrix` - binary k-ring weights (``grid_disk``), the cell itself included
  (the "star" in Gi*), restricted to the study area: a neighbour outside the area does not
  exist, so cells on the edge of the area have fewer neighbours, and a pentagon has 5 rather
  than 6 neighbours at k = 1. Built vectorised with h3ronpy and ``searchsorted``.
* :func:`edge_cells` - the cells on the edge of the study area: fewer of their immediate
  neighbours (6, or 5 around a pentagon) inside the area than they have. Their neighbourhood is
  cut short by the boundary, so few empty cells there can reach a "cold" z-score (the edge
  effect Getis & Ord 1992 warn of); :func:`cold_edge_note` says so in one sentence when edge
  cells make at least :data:`COLD_EDGE_SHARE` of the cold spots.
* :func:`gi_star_z` - the Gi* z-score for each cell (formula below).
* :func:`intel.inference.benjamini_hochberg` - BH-adjusted p-values (Benjamini & Hochberg 1995).
* :func:`confidence_bins` - the ArcGIS *Hot Spot Analysis* confidence bins +-3, +-2, +-1
  for 99, 95 and 90 % confidence. With FDR on, a cell gets bin +-3 only if it passes the BH
  procedure at q = 0.01, +-2 at q = 0.05, +-1 at q = 0.10 (ArcGIS's FDR option).
* :func:`gi_star` - all of the above on one array of cells and values, with permutation
  (default, 9,999 seeded permutations) or normal p-values.
* :func:`method_guardrails` - names the p-value method on the :class:`Guardrails` and warns
  when the permutation floor ``2 / (P + 1)`` keeps FDR from calling a small hot spot.
* :func:`hotspots_from_store` - reads the store, builds the study area, runs :func:`gi_star`
  and returns the table with its :class:`Guardrails` (the page and the CLI both call it).
* :func:`export_cells` - CSV, GeoJSON or GeoParquet of the result (cell id as hex string,
  cell polygon in [longitude, latitude] order).

Formula
-------
With ``x`` the values of the ``n`` study-area cells, ``xbar`` their mean and
``S = sqrt(sum(x**2)/n - xbar**2)`` (population standard deviation), and binary weights
``w_ij`` (1 when ``j`` is in the k-ring of ``i``, ``i`` included; ``W_i = sum_j w_ij``)::

    Gi* = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i**2) / (n - 1)))

(Ord & Getis 1995, eq. 14 with binary weights, where ``sum_j w_ij**2 = W_i``.) It equals
esda's ``G_Local(y, w, transform='B', star=True).Zs``; the tests check this to 1e-9.
p-values are two-sided: ``min(1, 2 (min(ge, le) + 1) / (P + 1))`` over ``P`` conditional
permutations (:func:`intel.inference.gi_star_permutation_p`), or ``p = 2 * (1 - Phi(|z|))``
with ``method='normal'``. Data with fewer than :data:`MIN_EVENTS` events or fewer than
:data:`MIN_NONZERO_CELLS` cells with events are "too sparse for any claim" (:class:`Guardrails`).

The statistic needs some variation: when every cell has the same value (``S = 0``) or the
neighbourhood is the whole area (``W_i = n``), there is no z-score and :class:`HotspotError`
says so in one sentence.

Units: resolutions are H3 resolutions, ``k`` is a grid distance in cells, dates are UTC
calendar days in half-open periods [from, to). Coordinates are WGS84 degrees.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import h3
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.special import ndtr

from intel.config import RESOLUTIONS, check_resolution
from intel.errors import HotspotError
from intel.export import json_value
from intel.h3cells import cell_centres, cell_ring, edge_km, from_hex, hex_array, parent_sql, resolution_of
from intel.hexbin import Filters, coarse_sql, usable_sql
from intel.inference import (METHODS, benjamini_hochberg, describe, fdr_floor_message,
                             gi_star_permutation_p)
from intel.safety import csv_bytes
from intel.store import events_sql
# the study area lives in intel.studyarea; these names stay importable from here
from intel.studyarea import (AREA_MODES, DEFAULT_AREA, MAX_STUDY_CELLS, StudyArea,  # noqa: F401
                             area_geometry, build_area, polygon_cells, study_area)

MIN_EVENTS = 30
"""Fewer events than this (or fewer non-zero cells) make a Gi* result unreliable."""

MIN_NONZERO_CELLS = 5
"""With fewer events than :data:`MIN_EVENTS` or fewer cells with events than this, the data are
too sparse for any claim about hot or cold spots."""

VALUES = ("events", "firearms")

CONFIDENCE = {
    3: "Hot spot - 99% confidence",
    2: "Hot spot - 95% confidence",
    1: "Hot spot - 90% confidence",
    0: "Not significant",
    -1: "Cold spot - 90% confidence",
    -2: "Cold spot - 95% confidence",
    -3: "Cold spot - 99% confidence",
}
"""Label of each confidence bin (ArcGIS Optimized Hot Spot Analysis ``Gi_Bin``)."""

COLD_EDGE_SHARE = 0.5
"""Share of the cold spot cells on the study-area edge from which :func:`cold_edge_note` warns."""

HOTSPOT_COLUMNS = ["h3", "value", "neighbours", "neighbourhood_sum", "z", "p", "p_fdr",
                   "significant", "bin", "confidence", "isolated"]
"""Columns of the hot spot export and of ``intel hotspots`` output (``cell`` stays inside)."""


# --------------------------------------------------------------------------------------
# H3 helpers
# --------------------------------------------------------------------------------------

def _as_cells(cells) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(cells, dtype="uint64"))


def _resolution(cells: np.ndarray) -> int:
    res = np.unique(resolution_of(cells))
    if res.size != 1:
        raise HotspotError("The cells are not all at one H3 resolution.")
    return int(res[0])


def neighbour_matrix(cells, k: int = 1) -> sp.csr_matrix:
    """Binary k-ring weights of ``cells``, restricted to ``cells``, self included.

    Parameters
    ----------
    cells : array of uint64, shape (n,)
        Distinct H3 cells at one resolution: the study area. Row ``i`` of the result is
        ``cells[i]``.
    k : int
        Grid distance of the neighbourhood in cells (``grid_disk(cell, k)``), >= 1.

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (n, n)
        ``W[i, j] = 1`` when ``cells[j]`` is within grid distance ``k`` of ``cells[i]``
        (``i`` itself included), else 0. Neighbours outside ``cells`` are dropped, so edge
        cells have fewer neighbours; a pentagon at k = 1 has 5 neighbours plus itself.
        The matrix is symmetric.

    Raises
    ------
    ValueError
        ``k < 1``, duplicated cells, or invalid cells.
    """
    k = int(k)
    if k < 1:
        raise ValueError("k must be at least 1")
    cells = _as_cells(cells)
    n = cells.size
    if n == 0:
        return sp.csr_matrix((0, 0))
    index = pd.Index(cells)
    if not index.is_unique:
        raise ValueError("study-area cells must be distinct")
    disk = pa.array(h3ronpy.grid_disk(cells, k))
    offsets = disk.offsets.to_numpy()
    vals = disk.values.to_numpy(zero_copy_only=False).astype("uint64", copy=False)
    vals = vals[offsets[0]:offsets[-1]]  # honour a sliced values buffer
    offsets = offsets - offsets[0]
    pos = index.get_indexer(vals)  # -1 where the neighbour is outside the study area
    found = pos >= 0
    # grid_disk lists each row's cells once, so the rows of the CSR matrix are the
    # found neighbours in order: no sorting or duplicate summing needed.
    per_row = np.add.reduceat(found.astype(np.int64), offsets[:-1]) if vals.size else np.zeros(n, np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    indices = pos[found].astype(np.int64, copy=False)
    W = sp.csr_matrix((np.ones(indices.size), indices, indptr), shape=(n, n))
    return W


def edge_cells(cells) -> np.ndarray:
    """Which cells lie on the edge of the study area ``cells``.

    A cell is on the edge when fewer of its immediate neighbours (grid distance 1: 6 cells, 5
    around a pentagon) are in the area than it has, whatever the ``k`` of the statistic: its
    Gi* neighbourhood is cut short by the boundary (Getis & Ord 1992, edge effect).

    Parameters
    ----------
    cells : array of uint64, shape (n,)
        Distinct H3 cells at one resolution: the study area.

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
        True for the cells on the edge, in input order.

    Raises
    ------
    ValueError
        Duplicated or invalid cells (:func:`neighbour_matrix`).
    """
    cells = _as_cells(cells)
    if cells.size == 0:
        return np.zeros(0, dtype=bool)
    inside = np.asarray(neighbour_matrix(cells, 1).sum(axis=1)).ravel() - 1  # the cell itself is in its row
    pentagons = np.array([h3.str_to_int(p) for p in h3.get_pentagons(_resolution(cells))], dtype="uint64")
    full = np.where(np.isin(cells, pentagons), 5, 6)
    return inside < full


def cold_edge_note(bins, edge, share: float = COLD_EDGE_SHARE) -> str | None:
    """One sentence when cold spots lie mostly on the study-area edge, else None.

    Parameters
    ----------
    bins : array of int, shape (n,)
        Confidence bins (-3..3, :func:`confidence_bins`); cold spots are ``bin < 0``.
    edge : array of bool, shape (n,)
        :func:`edge_cells` of the same cells.
    share : float
        The note is given when at least this share of the cold spot cells are edge cells.

    Returns
    -------
    str or None
        The sentence, with the counts, the edge share of the whole area for comparison and the
        method's explanation; None without cold spots or below ``share``.
    """
    bins = np.asarray(bins)
    edge = np.asarray(edge, dtype=bool)
    if bins.shape != edge.shape:
        raise ValueError("bins and edge must have the same length")
    cold = bins < 0
    n_cold, n_edge = int(cold.sum()), int((cold & edge).sum())
    if n_cold == 0 or n_edge < share * n_cold:
        return None
    return (f"{n_edge:,} of the {n_cold:,} cold spot cells ({100 * n_edge / n_cold:.0f} %, against "
            f"{100 * edge.mean():.0f} % of all study-area cells) lie on the edge of the study area, where fewer than "
            "6 neighbours fall inside it: Gi* compares a neighbourhood cut short by the boundary with the whole "
            "area, so a few empty cells there read as cold (the edge effect, Getis & Ord 1992); read them as no "
            "records near the boundary rather than as a finding.")


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------

def gi_star_z(W: sp.spmatrix, y: np.ndarray) -> np.ndarray:
    """Getis-Ord Gi* z-scores for binary weights (Ord & Getis 1995).

    Parameters
    ----------
    W : scipy.sparse matrix, shape (n, n)
        Binary weights with ones on the diagonal (see :func:`neighbour_matrix`).
    y : array of float, shape (n,)
        Value of every study-area cell (zeros included).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        z-scores; NaN where the neighbourhood is the whole area (``W_i = n``).

    Raises
    ------
    HotspotError
        Fewer than 3 cells, or no variation in ``y`` (``S = 0``).
    """
    y = np.asarray(y, dtype="float64")
    n = y.size
    if n < 3:
        raise HotspotError("The study area has fewer than 3 cells, so hot spots cannot be computed.")
    mean = y.mean()
    s2 = (y * y).mean() - mean * mean
    if not s2 > 1e-12 * max(1.0, mean * mean):
        raise HotspotError("Every cell of the study area has the same value, so no cell can stand out "
                           "as a hot or cold spot.")
    s = np.sqrt(s2)
    lag = W @ y
    card = np.asarray(W.sum(axis=1)).ravel()
    var = (n * card - card * card) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (lag - mean * card) / (s * np.sqrt(var))
    z[~(var > 0)] = np.nan
    return z


def p_two_sided(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-values ``2 * (1 - Phi(|z|))``; NaN z gives p = 1."""
    z = np.asarray(z, dtype="float64")
    p = 2.0 * ndtr(-np.abs(z))
    p[np.isnan(z)] = 1.0
    return p


def confidence_bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS confidence bins from z-scores and (raw or FDR-adjusted) p-values.

    ``sign(z) * 3`` when ``p <= 0.01``, ``* 2`` when ``p <= 0.05``, ``* 1`` when ``p <= 0.10``,
    else 0 (ArcGIS "How Hot Spot Analysis (Getis-Ord Gi*) works", ``Gi_Bin``). Pass
    BH-adjusted p-values to get the FDR version: the bin is then the strictest level whose BH
    procedure the cell passes.

    Returns
    -------
    numpy.ndarray of int8, same shape as ``z``
    """
    z = np.asarray(z, dtype="float64")
    p = np.asarray(p, dtype="float64")
    level = np.where(p <= 0.01, 3, np.where(p <= 0.05, 2, np.where(p <= 0.10, 1, 0)))
    sign = np.sign(np.nan_to_num(z))
    return (sign * level).astype("int8")


def gi_star(cells, values, k: int = 1, *, fdr: bool = True, alpha: float = 0.05,
            W: sp.spmatrix | None = None, method: str = "permutation", permutations: int = 9_999,
            seed: int | None = 12345) -> pd.DataFrame:
    """Gi* hot and cold spots over a study area of H3 cells.

    Parameters
    ----------
    cells : array of uint64, shape (n,)
        Every cell of the study area (distinct, one resolution), empty cells included.
    values : array of float, shape (n,)
        Value of each cell (event or firearm count); 0 for empty cells.
    k : int
        k-ring neighbourhood in cells (>= 1).
    fdr : bool
        Benjamini-Hochberg false discovery rate correction of the p-values.
    alpha : float
        Significance level for the ``significant`` column (0 < alpha < 1).
    W : sparse matrix, optional
        Precomputed :func:`neighbour_matrix` of ``cells`` (to reuse across runs).
    method : {'permutation', 'normal'}
        How ``p`` is computed. ``permutation`` (default): two-sided conditional permutation
        p-values (Anselin 1995; :func:`intel.inference.gi_star_permutation_p`), which hold on
        sparse, skewed counts. ``normal``: ``2 (1 - Phi(|z|))`` (:func:`p_two_sided`), the
        textbook approximation, optimistic when few events fall in a neighbourhood.
    permutations : int
        Number of permutations (``method='permutation'``); p-values are at least
        ``2 / (permutations + 1)``. 9,999 by default (999 gives a floor of 0.002, which FDR
        over thousands of cells can never pass).
    seed : int, optional
        Seed of ``numpy.random.default_rng`` for the permutations; the same seed gives the same
        table.

    Returns
    -------
    pandas.DataFrame
        One row per cell, in input order, with columns ``cell`` (uint64), ``h3`` (hex str),
        ``value``, ``neighbours`` (cells in the k-ring inside the area, self included),
        ``neighbourhood_sum`` (sum of values over the k-ring), ``z``, ``p`` (two-sided, by
        ``method``; 1 where ``z`` is NaN),
        ``p_fdr`` (BH-adjusted; equal to ``p`` when ``fdr`` is off), ``significant``
        (``p_fdr <= alpha``), ``bin`` (-3..3, see :func:`confidence_bins`), ``confidence``
        (label), ``isolated`` (the cell has a value but every other cell of its k-ring is
        empty). ``attrs`` holds ``n``, ``k``, ``mean``, ``std``, ``fdr``, ``alpha``,
        ``method``, ``permutations`` (None for ``normal``), ``seed`` (None for ``normal``),
        ``method_text`` (:func:`intel.inference.describe`).

    Raises
    ------
    HotspotError
        When the statistic cannot be computed (see :func:`gi_star_z`).
    ValueError
        Mismatched lengths, ``k < 1``, ``alpha`` outside (0, 1), an unknown ``method`` or
        ``permutations < 1``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    cells = _as_cells(cells)
    y = np.asarray(values, dtype="float64")
    if cells.shape != y.shape:
        raise ValueError("cells and values must have the same length")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if W is None:
        W = neighbour_matrix(cells, k)
    z = gi_star_z(W, y)
    lag = W @ y
    card = np.asarray(W.sum(axis=1)).ravel()
    if method == "permutation":
        p = gi_star_permutation_p(W, y, permutations, seed)
        p[np.isnan(z)] = 1.0
    else:
        p = p_two_sided(z)
    p_adj = benjamini_hochberg(p) if fdr else p.copy()
    bins = confidence_bins(z, p_adj)
    df = pd.DataFrame({
        "cell": cells,
        "h3": hex_array(cells),
        "value": y,
        "neighbours": card.astype("int64"),
        "neighbourhood_sum": lag,
        "z": z,
        "p": p,
        "p_fdr": p_adj,
        "significant": p_adj <= alpha,
        "bin": bins,
    })
    df["confidence"] = pd.Categorical.from_codes(bins.astype(np.int64) + 3, [CONFIDENCE[b] for b in range(-3, 4)])
    df["isolated"] = (y > 0) & (lag - y <= 0) & (card > 1)
    perm = method == "permutation"
    df.attrs.update(n=int(y.size), k=int(k), mean=float(y.mean()), std=float(y.std()),
                    fdr=bool(fdr), alpha=float(alpha), method=method,
                    permutations=int(permutations) if perm else None, seed=seed if perm else None,
                    method_text=describe(method, permutations, seed))
    return df


# --------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------

@dataclass
class Guardrails:
    """What the analyst must know before trusting the map.

    Attributes
    ----------
    messages : list of str
        Plain-English sentences, most serious first; shown next to the map and printed by
        the CLI.
    unreliable : bool
        True when the statistics cannot support the result (too few events or cells).
    events, nonzero_cells, study_cells : int
        Events (or firearms) analysed, cells with a value, cells in the study area.
    left_out_precision_records, left_out_precision_events : int
        Accepted records (and distinct events) too coarse for the resolution.
    unlocated_records : int
        Accepted records without a cell.
    outside_area_records : int
        Located records whose cell is outside the chosen study area.
    isolated_cells : int
        Cells with a value whose k-ring neighbours are all empty.
    cold_cells, cold_edge_cells : int
        Cold spot cells (bin < 0), and those of them on the study-area edge (:func:`edge_cells`).
    fdr : bool
        Whether the FDR correction was applied.
    area : str
        Description of the study area.
    too_sparse : bool
        Fewer than :data:`MIN_EVENTS` events or fewer than :data:`MIN_NONZERO_CELLS` cells with
        events: too sparse for any claim (implies ``unreliable``).
    method : str
        How the p-values were computed (``permutation``, ``normal``; ``poisson`` for emerging).
    permutations : int or None
        Number of permutations (``permutation`` only).
    seed : int or None
        Seed of the permutations.
    method_text : str
        One sentence naming the method and its sources (:func:`intel.inference.describe`).
    """

    messages: list[str] = field(default_factory=list)
    unreliable: bool = False
    events: int = 0
    nonzero_cells: int = 0
    study_cells: int = 0
    left_out_precision_records: int = 0
    left_out_precision_events: int = 0
    unlocated_records: int = 0
    outside_area_records: int = 0
    isolated_cells: int = 0
    cold_cells: int = 0
    cold_edge_cells: int = 0
    fdr: bool = True
    area: str = ""
    too_sparse: bool = False
    method: str = ""
    permutations: int | None = None
    seed: int | None = None
    method_text: str = ""


def _where(res: int, filters: Filters | None, date_from, date_to) -> tuple[Filters, str, list]:
    filters = filters or Filters()
    if date_from is not None or date_to is not None:
        filters = replace(filters,
                          date_from=str(date_from) if date_from is not None else filters.date_from,
                          date_to=str(date_to) if date_to is not None else filters.date_to)
    where, params = filters.where("e")
    return filters, where, params


def located_events_sql(res: int, filters: Filters | None = None, date_from=None, date_to=None,
                       extra: str = "") -> tuple[str, list]:
    """SQL selecting usable located records at ``res`` with their parent cell.

    Returns a query (and its parameters) with columns ``cell`` (UBIGINT, parent at ``res``),
    ``incident_key``, ``firearms``, ``event_date`` and any ``extra`` select expressions:
    accepted records, ``h3_cell`` not null, location precision usable at ``res``.
    """
    _, where, params = _where(res, filters, date_from, date_to)
    where += f" AND e.h3_cell IS NOT NULL AND {usable_sql(res, 'e')}"
    sql = (f"SELECT {parent_sql('e.h3_cell', res)} AS cell, e.source, e.incident_key, e.incident_id, "
           f"e.incident_multi, e.firearms, e.event_date"
           f"{', ' + extra if extra else ''} FROM events e WHERE {where}")
    return sql, params


def record_accounting(con, res: int, filters: Filters | None = None, date_from=None,
                      date_to=None) -> dict:
    """Counts of accepted records usable, too coarse, and unlocated at ``res``.

    Returns
    -------
    dict
        ``usable_records``, ``coarse_records``, ``coarse_events``, ``unlocated_records``.
    """
    _, where, params = _where(res, filters, date_from, date_to)
    # per-record radius of uncertainty against the cell edge (intel.hexbin.usable_sql)
    usable = f"(e.h3_cell IS NOT NULL AND {usable_sql(res, 'e')})"
    coarse = coarse_sql(res, "e")
    row = con.execute(
        f"""SELECT
              count(*) FILTER (WHERE {usable}),
              count(*) FILTER (WHERE {coarse}),
              {events_sql("e.", coarse)},
              count(*) FILTER (WHERE NOT {usable} AND NOT {coarse})
            FROM events e WHERE {where}""",
        params,
    ).fetchone()
    return dict(usable_records=int(row[0]), coarse_records=int(row[1]), coarse_events=int(row[2]),
                unlocated_records=int(row[3]))


def cell_values(con, res: int, value: str = "events", filters: Filters | None = None,
                date_from=None, date_to=None) -> pd.DataFrame:
    """Value per occupied cell at ``res`` from the store.

    Parameters
    ----------
    value : {'events', 'firearms'}
        Distinct incidents (:func:`intel.store.events_sql`) or ``sum(firearms)`` per cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64), ``value`` (float), ``records`` (int); non-empty cells.
    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {VALUES}")
    res = check_resolution(res, "hotspot")
    sql, params = located_events_sql(res, filters, date_from, date_to)
    agg = events_sql() if value == "events" else "coalesce(sum(firearms), 0)"
    df = con.execute(f"SELECT cell, {agg}::DOUBLE AS value, count(*) AS records FROM ({sql}) GROUP BY cell "
                     "ORDER BY cell", params).df()
    df["cell"] = df["cell"].astype("uint64")
    return df


def occupied_countries(con, res: int, filters: Filters | None = None, date_from=None,
                       date_to=None) -> pd.DataFrame:
    """The records' countries per occupied cell at ``res`` (for the ``data`` study area).

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64) and ``iso3`` (str or None); one row per cell and country
        (a border cell holding records of two countries gives two rows).
    """
    sql, params = located_events_sql(res, filters, date_from, date_to, extra="e.country_iso3 AS iso3")
    df = con.execute(f"SELECT DISTINCT cell, iso3 FROM ({sql}) ORDER BY cell, iso3", params).df()
    df["cell"] = df["cell"].astype("uint64")
    df["iso3"] = df["iso3"].astype(object).where(df["iso3"].notna(), None)
    return df


def align(area_cells: np.ndarray, occ_cells: np.ndarray, occ_values: np.ndarray,
          occ_records: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Values on the study-area cells (zeros elsewhere) and the records that fall outside.

    Parameters
    ----------
    area_cells : array of uint64, shape (n,), sorted
    occ_cells, occ_values : arrays of shape (m,)
    occ_records : array of int, shape (m,), optional
        Records per occupied cell, used to count those outside the area.

    Returns
    -------
    (values, outside)
        Array of float shape (n,), and the number of records (or value) outside the area.
    """
    area_cells = _as_cells(area_cells)
    occ_cells = _as_cells(occ_cells)
    y = np.zeros(area_cells.size)
    if area_cells.size == 0:
        pos_c = np.zeros(occ_cells.size, dtype=np.int64)
        inside = np.zeros(occ_cells.size, dtype=bool)
    else:
        pos_c = np.minimum(np.searchsorted(area_cells, occ_cells), area_cells.size - 1)
        inside = area_cells[pos_c] == occ_cells
    np.add.at(y, pos_c[inside], np.asarray(occ_values, dtype="float64")[inside])
    weights = occ_records if occ_records is not None else occ_values
    outside = int(np.asarray(weights)[~inside].sum()) if occ_cells.size else 0
    return y, outside


def base_guardrails(acct: dict, res: int, y: np.ndarray, area: StudyArea, value: str,
                    fdr: bool, outside: int) -> Guardrails:
    """Guardrails common to hot spots and emerging hot spots (counts and coverage)."""
    g = Guardrails(fdr=bool(fdr), area=area.description)
    g.events = int(round(float(np.sum(y))))
    g.nonzero_cells = int(np.count_nonzero(y))
    g.study_cells = int(area.cells.size)
    g.left_out_precision_records = acct["coarse_records"]
    g.left_out_precision_events = acct["coarse_events"]
    g.unlocated_records = acct["unlocated_records"]
    g.outside_area_records = int(outside)
    unit = "events" if value == "events" else "firearms"
    if g.events < MIN_EVENTS or g.nonzero_cells < MIN_NONZERO_CELLS:
        g.unreliable = g.too_sparse = True
        g.messages.append(
            f"Only {g.events:,} {unit} in {g.nonzero_cells:,} cells (fewer than {MIN_EVENTS} {unit} or fewer than "
            f"{MIN_NONZERO_CELLS} cells with {unit}): too sparse for any claim; the statistics cannot support hot "
            "spot conclusions here, so read the map as a description only.")
    elif g.nonzero_cells < MIN_EVENTS:
        g.unreliable = True
        g.messages.append(
            f"Only {g.events:,} {unit} in {g.nonzero_cells:,} cells (fewer than {MIN_EVENTS} of either): "
            "the statistics cannot support hot spot conclusions here; read the map as a description only.")
    if g.left_out_precision_records:
        g.messages.append(
            f"{g.left_out_precision_records:,} records ({g.left_out_precision_events:,} events) were left out "
            f"because their location is too coarse for resolution {res}: their radius of location "
            f"uncertainty is larger than the {edge_km(res):,.1f} km cell edge.")
    if g.unlocated_records:
        g.messages.append(f"{g.unlocated_records:,} records have no map location and were left out.")
    if outside:
        g.messages.append(f"{outside:,} located records fall outside the study area and were left out.")
    if not fdr:
        g.messages.append("False discovery rate correction is off: with many cells tested, some cells "
                          "will look significant by chance alone.")
    return g


def method_guardrails(g: Guardrails, df: pd.DataFrame, n_tests: int) -> Guardrails:
    """Record the p-value method of a :func:`gi_star` table on ``g`` and warn about its floor.

    Sets ``method``, ``permutations``, ``seed`` and ``method_text`` from ``df.attrs`` and, with
    FDR on, appends :func:`intel.inference.fdr_floor_message` when ``n_tests`` cells times the
    smallest attainable p-value exceeds ``alpha``. Returns ``g``.
    """
    a = df.attrs
    g.method, g.permutations, g.seed = a.get("method", ""), a.get("permutations"), a.get("seed")
    g.method_text = a.get("method_text", "")
    if a.get("fdr") and g.method == "permutation":
        msg = fdr_floor_message(n_tests, g.method, g.permutations, float(a.get("alpha", 0.05)))
        if msg:
            g.messages.append(msg)
    return g


def hotspots_from_store(con, res: int, k: int = 1, value: str = "events", fdr: bool = True,
                        alpha: float = 0.05, date_from=None, date_to=None,
                        filters: Filters | None = None, area: str = DEFAULT_AREA, area_codes=(),
                        max_cells: int = MAX_STUDY_CELLS, method: str = "permutation",
                        permutations: int = 9_999, seed: int | None = 12345,
                        bbox=None) -> tuple[pd.DataFrame, Guardrails]:
    """Gi* hot spots of the store's events over a study area.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution in the "hotspot" range of :data:`intel.config.RESOLUTIONS` (5-9); cells are
        parents of the stored cells (:func:`intel.h3cells.parent_sql`).
    k : int
        k-ring neighbourhood in cells.
    value : {'events', 'firearms'}
    fdr : bool
        Benjamini-Hochberg correction.
    alpha : float
        Significance level of the ``significant`` column.
    date_from, date_to : str or date, optional
        Half-open period [date_from, date_to) of UTC days; overrides ``filters``' dates.
    filters : intel.hexbin.Filters, optional
        Record filters; ``filters.sources`` limits the records (and so the ``data`` area) to
        some sources.
    area : {'data', 'extent', 'countries', 'admin1', 'bbox'}
        Study-area mode (:mod:`intel.studyarea`); ``data``, the default, is the land of the
        places with records, never a hull across an ocean.
    area_codes : sequence of str
        ISO3 codes or admin-1 ids for the polygon modes.
    max_cells : int
        Cap on the study-area size.
    method, permutations, seed
        p-values of :func:`gi_star`: ``permutation`` (default, 9,999 seeded conditional
        permutations) or ``normal``.
    bbox : (W, S, E, N), optional
        Degrees, for ``area='bbox'``.

    Returns
    -------
    (pandas.DataFrame, Guardrails)
        The :func:`gi_star` table (all study-area cells, sorted by ``z`` descending) and its
        guardrails, which name the method (``method_text``) and warn when the permutation
        floor keeps FDR from calling a small hot spot (:func:`intel.inference.fdr_floor_message`).
        ``attrs`` name the area used: ``area`` (sentence), ``area_mode``,
        ``area_cells``, ``area_res``; ``Guardrails.area`` and ``study_cells`` repeat them.

    Raises
    ------
    HotspotError
        No usable data, an impossible study area, or no variation to test.
    ValueError
        ``res`` outside the hotspot range (:func:`intel.config.check_resolution`).
    """
    res = check_resolution(res, "hotspot")
    occ = cell_values(con, res, value, filters, date_from, date_to)
    acct = record_accounting(con, res, filters, date_from, date_to)
    if occ.empty:
        msg = "There are no located events at this resolution for the chosen filters, so there are no hot spots to compute."
        if acct["coarse_records"]:
            msg += (f" {acct['coarse_records']:,} records were left out because their location is too coarse "
                    f"for resolution {res}; try a coarser resolution.")
        raise HotspotError(msg)
    occupied = occupied_countries(con, res, filters, date_from, date_to) if area == "data" else occ["cell"].to_numpy()
    sa = build_area(con, res, occupied, area, area_codes, max_cells, bbox=bbox, min_res=RESOLUTIONS["hotspot"][0])
    y, outside = align(sa.cells, occ["cell"].to_numpy(), occ["value"].to_numpy(), occ["records"].to_numpy())
    if not np.any(y > 0):
        raise HotspotError("None of the located events fall inside the chosen study area.")
    g = base_guardrails(acct, res, y, sa, value, fdr, outside)
    df = gi_star(sa.cells, y, k, fdr=fdr, alpha=alpha, method=method, permutations=permutations, seed=seed)
    method_guardrails(g, df, int(sa.cells.size))
    g.isolated_cells = int(df["isolated"].sum())
    if g.isolated_cells:
        g.messages.append(
            f"{g.isolated_cells:,} cells with {value} have only empty cells around them (k = {k}); "
            "their z-scores rest on their own count alone.")
    if df["z"].isna().any():
        g.messages.append(f"{int(df['z'].isna().sum()):,} cells have the whole study area as neighbourhood "
                          "and get no z-score; use a smaller k or a larger area.")
    n_sig = int((df["bin"] != 0).sum())
    if n_sig == 0:
        g.messages.append("No cell is a significant hot or cold spot at 90% confidence or more.")
    df["edge"] = edge_cells(sa.cells)
    g.cold_cells = int((df["bin"] < 0).sum())
    g.cold_edge_cells = int(((df["bin"] < 0) & df["edge"]).sum())
    note = cold_edge_note(df["bin"].to_numpy(), df["edge"].to_numpy())
    if note:
        g.messages.append(note)
    df.attrs.update(res=int(res), value=value, **sa.attrs())
    df = df.sort_values(["z", "value"], ascending=[False, False], na_position="last", kind="stable")
    return df.reset_index(drop=True), g


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "geojson", "parquet", "gpkg")


def _export_frame(df: pd.DataFrame, columns: list[str] | None) -> pd.DataFrame:
    """The exported columns, with the cell centre's ``latitude`` and ``longitude`` (degrees
    WGS84, 6 decimals) right after ``h3`` so a CSV can be placed without an H3 library."""
    cols = columns or [c for c in df.columns if c != "cell"]
    out = df[[c for c in cols if c in df.columns]].copy()
    if "h3" in out.columns and "latitude" not in out.columns:
        lat, lon = cell_centres(from_hex(out["h3"].astype(str).tolist())) if len(out) else (np.zeros(0), np.zeros(0))
        at = list(out.columns).index("h3") + 1
        out.insert(at, "latitude", np.round(lat, 6))
        out.insert(at + 1, "longitude", np.round(lon, 6))
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    return out


def to_geojson(df: pd.DataFrame, columns: list[str] | None = None) -> dict:
    """GeoJSON FeatureCollection of cells: polygon in [lon, lat], properties incl. ``h3`` (hex)."""
    out = _export_frame(df, columns)
    feats = []
    for rec in out.to_dict(orient="records"):
        feats.append({"type": "Feature",
                      "geometry": {"type": "Polygon", "coordinates": [cell_ring(rec["h3"])]},
                      "properties": {k: json_value(v) for k, v in rec.items()}})
    return {"type": "FeatureCollection", "features": feats}


def to_geodataframe(df: pd.DataFrame, columns: list[str] | None = None):
    """GeoDataFrame (EPSG:4326) of cells with their polygons."""
    import geopandas as gpd
    import shapely

    out = _export_frame(df, columns)
    geoms = [shapely.Polygon(cell_ring(h)) for h in out["h3"]]
    return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")


def export_cells(df: pd.DataFrame, fmt: str, path: str | Path | None = None,
                 columns: list[str] | None = None) -> bytes:
    """Cells and their statistics as CSV, GeoJSON, GeoParquet or GeoPackage.

    Parameters
    ----------
    df : pandas.DataFrame
        A :func:`gi_star` or :func:`intel.emerging.emerging_hotspots` table (needs ``h3``).
    fmt : {'csv', 'geojson', 'parquet', 'gpkg'}
    path : path, optional
        Also write the bytes there.
    columns : list of str, optional
        Columns in order (default: all but the integer ``cell``).

    Returns
    -------
    bytes
        File content (CSV and GeoJSON UTF-8; GeoParquet with geometry in WKB, EPSG:4326;
        GeoPackage (OGC 12-128r18) with one layer ``cells``, EPSG:4326). Every format carries the
        cell centre's ``latitude`` and ``longitude``.

    Raises
    ------
    ValueError
        An unknown format.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt == "json":
        fmt = "geojson"
    if fmt in ("geoparquet", "pq"):
        fmt = "parquet"
    if fmt == "geopackage":
        fmt = "gpkg"
    if fmt == "csv":
        data = csv_bytes(_export_frame(df, columns))
    elif fmt == "geojson":
        data = json.dumps(to_geojson(df, columns)).encode("utf-8")
    elif fmt == "parquet":
        buf = io.BytesIO()
        to_geodataframe(df, columns).to_parquet(buf, index=False)
        data = buf.getvalue()
    elif fmt == "gpkg":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # GDAL writes a GeoPackage to a file
            f = Path(tmp) / "cells.gpkg"
            to_geodataframe(df, columns).to_file(f, layer="cells", driver="GPKG")
            data = f.read_bytes()
    else:
        raise ValueError(f"export format must be one of {EXPORT_FORMATS}")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def format_from_path(path: str | Path) -> str:
    """Export format implied by a file name (``.csv``, ``.geojson``/``.json``, ``.parquet``, ``.gpkg``)."""
    suf = Path(path).suffix.lower().lstrip(".")
    if suf in ("csv",):
        return "csv"
    if suf in ("geojson", "json"):
        return "geojson"
    if suf in ("parquet", "geoparquet", "pq"):
        return "parquet"
    if suf == "gpkg":
        return "gpkg"
    raise ValueError(f"cannot tell the export format from {path}; use .csv, .geojson, .parquet or .gpkg")
