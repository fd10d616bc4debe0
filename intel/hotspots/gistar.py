"""The Getis-Ord Gi* statistic on H3 cells: weights, z-scores, p-values and confidence bins.

Part of :mod:`intel.hotspots` (its overview gives the formula and the references). Pure functions
on arrays, no store: :func:`neighbour_matrix` (binary k-ring weights restricted to the study
area), :func:`edge_cells` and :func:`cold_edge_note` (the edge effect), :func:`gi_star_z`,
:func:`p_two_sided`, :func:`confidence_bins` (the ArcGIS bins +-3, +-2, +-1, with FDR control)
and :func:`gi_star`, all of them on one array of cells and values with permutation or normal
p-values.
"""
from __future__ import annotations

import h3
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp
from scipy.special import ndtr

from intel.errors import HotspotError
from intel.h3cells import hex_array, resolution_of
from intel.inference import METHODS, benjamini_hochberg, describe, gi_star_permutation_p

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

def as_cells(cells) -> np.ndarray:
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
    cells = as_cells(cells)
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
    cells = as_cells(cells)
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
    cells = as_cells(cells)
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
