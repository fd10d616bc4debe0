"""Inference that holds on sparse counts: permutation p-values for Gi*, exact Poisson tails.

Overview
--------
The Gi* z-score (:func:`intel.hotspots.gi_star_z`) is exact, but its textbook p-value reads the
z against a standard normal. On event counts over H3 cells - mostly zeros, a few cells with
many events, neighbourhoods of 7 cells - the sum over a neighbourhood is far from normal, so
the normal tail is much too small for cells with a handful of events and FDR then calls hot
spots that a permutation test does not support. This module gives the two tests that hold:

* :func:`gi_star_permutation_p` - **conditional permutation** p-values for Gi* (Anselin 1995;
  the ``p_sim`` of esda's ``G_Local(star=True)``): each cell keeps its own value, and the other
  ``n - 1`` values of the study area are shuffled into its neighbour slots ``permutations``
  times. Since the multiset of values (so the mean and the standard deviation) is unchanged by
  a permutation, the Gi* z of a cell is an increasing function of its neighbourhood sum, and
  the test compares sums. Vectorised with numpy: cells that share their own value and their
  number of neighbours have the same null distribution, so each such group shares one set of
  draws (on count data a few hundred groups cover tens of thousands of cells).
* :func:`poisson_upper_p`, :func:`poisson_two_sided_p` - **exact Poisson tails** for a count
  ``K`` against an expected count ``mu`` (emerging hot spots: the events in a cell's k-ring x
  time-lag window against the cube mean times the window's number of bins).
* :func:`benjamini_hochberg` - BH-adjusted p-values (Benjamini & Hochberg 1995), applied to
  whichever p-values were computed (Gi* in :mod:`intel.hotspots`, emerging hot spots).
* :func:`describe` - one sentence naming the method and its sources, shown beside every result
  (Hotspots page, briefing, CLI).

Conventions
-----------
Permutation p-values are **two-sided**: with ``P`` permutations, ``ge`` the number of
permuted neighbourhood sums greater than or equal to the observed one and ``le`` the number
less than or equal to it, ``p = min(1, 2 (min(ge, le) + 1) / (P + 1))`` (the folded pseudo
p-value of Hope 1968 / Anselin 1995, doubled to be two-sided, as the normal p of
:func:`intel.hotspots.p_two_sided` is). esda's ``p_sim`` is the one-sided folded value
``(min(ge, P - ge) + 1) / (P + 1)``; ``alternative="folded"`` returns that. The smallest
two-sided p-value is ``2 / (P + 1)`` (2.0e-4 at 9,999 permutations): with ``n`` cells, a
lone cell passes the Benjamini-Hochberg step at ``alpha`` only when ``n * p_min <= alpha``,
which :func:`min_p` and :func:`fdr_floor_message` make visible.

The exact Poisson two-sided p is the smaller tail doubled, capped at 1.

Units: counts are events (or firearms; firearms are over-dispersed, so their Poisson p is
optimistic - said in :func:`describe`); permutations are a whole number; seeds are integers for
``numpy.random.default_rng``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.stats import poisson

__all__ = ["METHODS", "DEFAULT_PERMUTATIONS", "DEFAULT_SEED", "MIN_WINDOW_EVENTS", "gi_star_permutation_p",
           "poisson_upper_p", "poisson_lower_p", "poisson_two_sided_p", "benjamini_hochberg", "min_p",
           "fdr_floor_message", "describe"]

METHODS = ("permutation", "normal")
"""p-value methods of Gi* hot spots (:func:`intel.hotspots.gi_star`)."""

DEFAULT_PERMUTATIONS = 9_999
"""Default number of permutations: 999 gives p >= 0.002 (two-sided), too coarse for FDR over
thousands of cells; 9,999 gives p >= 0.0002."""

DEFAULT_SEED = 12345
"""Seed of the permutations when none is given, so a page, the CLI and the briefing agree."""

MIN_WINDOW_EVENTS = 3
"""A space-time window (emerging hot spots) with fewer events than this is never significant."""

_DENSE_DRAWS = 4_000_000  # uniforms drawn at once for dense samples (argpartition path)


def _draw_without_replacement(rng: np.random.Generator, pool: int, m: int, P: int) -> np.ndarray:
    """``P`` rows of ``m`` distinct integers from ``range(pool)`` (each row a uniform sample)."""
    if m == 0:
        return np.zeros((P, 0), dtype=np.int64)
    if m >= pool:
        return np.broadcast_to(np.arange(pool, dtype=np.int64), (P, pool))
    if 2 * m * m > pool:
        # dense samples (rejection would redraw most rows): the first m of a random order,
        # in chunks of rows so that memory stays near _DENSE_DRAWS numbers
        rows = max(1, _DENSE_DRAWS // pool)
        return np.concatenate([np.argpartition(rng.random((min(rows, P - a), pool)), m - 1, axis=1)[:, :m]
                               for a in range(0, P, rows)]).astype(np.int64)
    # large pools: draw with replacement and redraw the rows that hold a repeat (rejection
    # sampling; each row is then a uniform sample without replacement)
    out = rng.integers(0, pool, size=(P, m), dtype=np.int64)
    while True:
        s = np.sort(out, axis=1)
        bad = (s[:, 1:] == s[:, :-1]).any(axis=1)
        nb = int(bad.sum())
        if nb == 0:
            return out
        out[bad] = rng.integers(0, pool, size=(nb, m), dtype=np.int64)


def gi_star_permutation_p(W: sp.spmatrix, y, permutations: int = DEFAULT_PERMUTATIONS, seed=DEFAULT_SEED,
                          alternative: str = "two-sided") -> np.ndarray:
    """Conditional permutation p-values of the Gi* statistic (binary weights, self included).

    For each cell ``i`` with ``c_i`` cells in its neighbourhood (itself included), the null
    distribution of its neighbourhood sum is ``y_i`` plus the sum of ``c_i - 1`` values drawn
    without replacement from the other ``n - 1`` values (conditional randomisation, Anselin
    1995; the same null as esda ``G_Local(y, w, transform='B', star=True).p_sim``). Cells with
    the same own value and the same ``c_i`` share their draws.

    Parameters
    ----------
    W : scipy.sparse matrix, shape (n, n)
        Binary weights with ones on the diagonal (:func:`intel.hotspots.neighbour_matrix`).
    y : array of float, shape (n,)
        Value of every study-area cell, zeros included.
    permutations : int
        Number of permutations ``P`` (>= 1); the p-values are multiples of ``1 / (P + 1)``.
    seed : int, numpy.random.Generator or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same p-values.
    alternative : {'two-sided', 'folded'}
        ``two-sided``: ``min(1, 2 (min(ge, le) + 1) / (P + 1))``. ``folded``: esda's
        ``p_sim``, ``(min(ge, P - ge) + 1) / (P + 1)``. ``ge`` (``le``) counts permuted sums
        greater (less) than or equal to the observed sum.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        p-values in ``[1 / (P + 1), 1]``. A cell whose neighbourhood is the whole area (or
        only itself) has every permuted sum equal to the observed one, so ``p = 1``.

    Raises
    ------
    ValueError
        ``permutations < 1``, shapes that do not match, or an unknown ``alternative``.
    """
    P = int(permutations)
    if P < 1:
        raise ValueError("permutations must be at least 1")
    if alternative not in ("two-sided", "folded"):
        raise ValueError("alternative must be 'two-sided' or 'folded'")
    y = np.asarray(y, dtype="float64")
    n = y.size
    if W.shape != (n, n):
        raise ValueError("W must have shape (len(y), len(y))")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    W = sp.csr_matrix(W)
    lag = np.asarray(W @ y).ravel()
    card = np.diff(W.indptr).astype(np.int64)
    others = lag - y  # observed sum over the neighbour slots
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    # groups of cells sharing (own value, neighbourhood size): one set of draws each
    vals, vinv = np.unique(y, return_inverse=True)
    key = vinv.astype(np.int64) * (int(card.max(initial=0)) + 1) + card
    order = np.argsort(key, kind="stable")
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    ends = np.r_[starts[1:], ks.size]
    first_index = {}  # value index -> one cell holding it (removed from the pool)
    for a, b in zip(starts, ends):
        members = order[a:b]
        i0 = members[0]
        m = int(card[i0]) - 1
        if m <= 0 or m >= n - 1:
            ge[members] = P
            le[members] = P
            continue
        vi = int(vinv[i0])
        if vi not in first_index:
            first_index[vi] = i0
        pool = np.delete(y, first_index[vi])
        draws = _draw_without_replacement(rng, n - 1, m, P)
        sums = np.sort(pool[draws].sum(axis=1))
        obs = others[members]
        tol = 1e-9 * np.maximum(1.0, np.abs(obs))
        ge[members] = P - np.searchsorted(sums, obs - tol, side="left")
        le[members] = np.searchsorted(sums, obs + tol, side="right")
    if alternative == "folded":
        extreme = np.minimum(ge, P - ge)
        return (extreme + 1.0) / (P + 1.0)
    extreme = np.minimum(ge, le)
    return np.minimum(1.0, 2.0 * (extreme + 1.0) / (P + 1.0))


def poisson_upper_p(k, mu) -> np.ndarray:
    """Exact Poisson upper tail ``P(X >= k)`` for ``X ~ Poisson(mu)``: ``poisson.sf(k - 1, mu)``.

    Parameters
    ----------
    k : array of float or int
        Observed counts (rounded to whole numbers).
    mu : array of float
        Expected counts (> 0); where ``mu <= 0`` the p-value is 1.

    Returns
    -------
    numpy.ndarray of float64, broadcast shape of ``k`` and ``mu``
    """
    k = np.rint(np.asarray(k, dtype="float64"))
    mu = np.asarray(mu, dtype="float64")
    with np.errstate(invalid="ignore"):
        p = poisson.sf(k - 1, np.where(mu > 0, mu, 1.0))
    return np.where(mu > 0, p, 1.0)


def poisson_lower_p(k, mu) -> np.ndarray:
    """Exact Poisson lower tail ``P(X <= k)`` for ``X ~ Poisson(mu)``; 1 where ``mu <= 0``."""
    k = np.rint(np.asarray(k, dtype="float64"))
    mu = np.asarray(mu, dtype="float64")
    p = poisson.cdf(k, np.where(mu > 0, mu, 1.0))
    return np.where(mu > 0, p, 1.0)


def poisson_two_sided_p(k, mu) -> np.ndarray:
    """Two-sided exact Poisson p-value: the smaller tail doubled, capped at 1.

    ``min(1, 2 min(P(X >= k), P(X <= k)))`` for ``X ~ Poisson(mu)``; 1 where ``mu <= 0``.

    Returns
    -------
    numpy.ndarray of float64, broadcast shape of ``k`` and ``mu``
    """
    return np.minimum(1.0, 2.0 * np.minimum(poisson_upper_p(k, mu), poisson_lower_p(k, mu)))


def min_p(method: str, permutations: int = DEFAULT_PERMUTATIONS) -> float:
    """Smallest p-value a method can give: ``2 / (P + 1)`` for permutations, 0 for the others."""
    return 2.0 / (int(permutations) + 1.0) if method == "permutation" else 0.0


def fdr_floor_message(n_tests: int, method: str, permutations: int, alpha: float,
                      max_permutations: int | None = None) -> str | None:
    """A sentence when ``n_tests * min_p > alpha`` (a lone cell cannot pass FDR), else None.

    It advises more permutations only while ``permutations`` is below ``max_permutations``
    (the largest the setting allows; None: no limit), else only a smaller study area.

    The Benjamini-Hochberg step passes the ``j`` smallest p-values when ``p_(j) <= j alpha / m``;
    with every p at least ``p_min``, fewer than ``m p_min / alpha`` cells can never pass, so a
    small hot spot of a few cells cannot be found however extreme it is.
    """
    pm = min_p(method, permutations)
    if pm <= 0 or n_tests * pm <= alpha:
        return None
    need = int(np.ceil(n_tests * pm / alpha))
    return (f"With {int(permutations):,} permutations the smallest p-value is {pm:.1e}; over {n_tests:,} cells the "
            f"false discovery rate step needs at least {need:,} equally extreme cells before it can call any, "
            "so a small hot spot cannot be found: "
            + ("raise the number of permutations (setting hotspot_permutations) or "
               if max_permutations is None or int(permutations) < int(max_permutations) else "")
            + "use a smaller study area.")


def describe(method: str, permutations: int | None = None, seed=DEFAULT_SEED) -> str:
    """One sentence naming the inference method and its sources, for pages, briefing and CLI.

    Parameters
    ----------
    method : {'permutation', 'normal', 'poisson'}
        ``permutation`` and ``normal``: Gi* p-values (:func:`intel.hotspots.gi_star`);
        ``poisson``: exact Poisson tails of emerging hot spot bins.
    permutations : int, optional
        Number of permutations (``permutation`` only).
    seed : int or None
        Seed of the permutations (``permutation`` only); None is named as "unseeded" (the
        p-values then vary from run to run).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        Unknown ``method``.
    """
    fdr = "false discovery rate: Benjamini & Hochberg (1995)"
    if method == "permutation":
        P = int(permutations if permutations is not None else DEFAULT_PERMUTATIONS)
        s = "unseeded" if seed is None else f"seed {seed}"
        return (f"Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995) with two-sided conditional permutation "
                f"p-values (Anselin 1995; {P:,} permutations, {s}, smallest p {2.0 / (P + 1):.1e}); {fdr}.")
    if method == "normal":
        return (f"Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995) with two-sided normal-approximation "
                f"p-values (optimistic on sparse counts); {fdr}.")
    if method == "poisson":
        return (f"Emerging hot spots: space-time Gi* z for direction and trend (Ord & Getis 1995; Mann-Kendall), "
                f"bins tested with a two-sided exact Poisson tail of the events in the k-ring x time-lag window "
                f"against the cube mean (windows with fewer than {MIN_WINDOW_EVENTS} events are never "
                f"significant; firearm counts are over-dispersed, so their p-values are optimistic); {fdr}.")
    raise ValueError("method must be 'permutation', 'normal' or 'poisson'")


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (Benjamini & Hochberg 1995).

    ``p_adj[(i)] = min_{j >= i} min(1, m p_(j) / j)`` for the p-values sorted ascending,
    ``m`` the number of tests. A test passes the BH procedure at false discovery rate ``q``
    exactly when ``p_adj <= q``. Equals ``scipy.stats.false_discovery_control(p, method='bh')``.

    Parameters
    ----------
    p : array of float, shape (m,)
        p-values in [0, 1]. NaN entries are not counted as tests and stay NaN.

    Returns
    -------
    numpy.ndarray of float64, shape (m,)
    """
    p = np.asarray(p, dtype="float64")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")  # fast with the many ties of count data
    ranked = q[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out
