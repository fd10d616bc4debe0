"""How a ranking of cells is scored: hits, hit rate and PAI at shares of the study area, and the
gain of one ranking over another, paired by cell.

Part of the analyses (``risk/`` in the README's layout table), used by the fitted ranking
(:mod:`intel.risk.fit`, which chooses among candidates by these scores on validation folds) and by
the backtest (:mod:`intel.backtest`, which scores the same rankings on a later test period). The
method is described in the overview of :mod:`intel.backtest`: the top ``k`` cells of a ranking
(``k`` a share of the study-area cells) are "predicted"; their test events over all test events
is the hit rate, and the hit rate over the share of the area is the predictive accuracy index
(PAI; Chainey, Tompson and Uhlig 2008, "The utility of hotspot mapping for predicting spatial
patterns of crime", *Security Journal* 21, 4-28). Cells tied at the cut-off are credited by
expectation (:func:`hit_parts`), so hits can be fractional. This module imports nothing of its
package.

Units: ``area_pct`` in percent of study-area cells; hit rates as fractions of test events.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

AREA_PCTS = (1.0, 5.0, 10.0)
"""Shares of the study area (percent of cells) at which the rankings are scored."""
RESULT_COLUMNS = ["method", "area_pct", "cells", "hit_rate", "pai", "hits", "hits_above", "tied_cells",
                  "tied_taken", "tied_events", "tie_sd", "test_events", "study_cells"]
"""Columns of :func:`evaluate` and :func:`intel.backtest.backtest` (``intel backtest`` writes them). ``hits`` is
``hits_above + tied_taken / tied_cells * tied_events``: test events in the cells ranked strictly
above the cut-off, plus the expected share of the events of the ``tied_cells`` cells sharing the
cut-off value, of which ``tied_taken`` are needed. ``tie_sd`` is the standard deviation of the hits
over the orders of those tied cells (0 when the cut-off splits no tie): a list that ranks by the
same value finds ``hits`` only on average over its tie orders, one list finds more or fewer."""


def cells_for_pct(study_cells: int, pct: float) -> int:
    """Number of predicted cells at ``pct`` % of ``study_cells``: ``max(1, floor(pct/100*N + 0.5))``."""
    n = int(study_cells)
    if n < 1:
        raise ValueError("the study area has no cells")
    if not 0 < float(pct) <= 100:
        raise ValueError("area percentages must lie in (0, 100]")
    return min(n, max(1, int(math.floor(float(pct) / 100.0 * n + 0.5))))


def hit_parts(scores, test_counts, k: int) -> dict:
    """Test events captured by the ``k`` highest-scoring cells, as counts (ties by expectation).

    Parameters
    ----------
    scores : array of float, shape (n,)
        Ranking value per cell (higher = predicted first); NaN ranks last.
    test_counts : array of float, shape (n,)
        Test events per cell.
    k : int
        Number of predicted cells, 1 <= k <= n.

    Returns
    -------
    dict
        ``hits_above`` (events in cells scoring strictly above the cut-off value),
        ``tied_cells`` (cells scoring exactly the cut-off value), ``tied_taken`` (how many of
        them are needed to reach ``k``), ``tied_events`` (events in the tied cells),
        ``hits = hits_above + tied_taken / tied_cells * tied_events`` and ``tie_sd``, the
        standard deviation of the hits when the ``tied_taken`` cells are drawn at random from
        the tied ones: ``sqrt(m (g - m) / (g - 1) * var)`` for ``m`` of ``g`` cells whose events
        have the population variance ``var`` (the variance of a sum drawn without
        replacement; Cochran 1977, *Sampling Techniques*, ch. 2, simple random sampling).

    Raises
    ------
    ValueError
        Lengths differ or ``k`` is out of range.
    """
    s = np.nan_to_num(np.asarray(scores, dtype="float64"), nan=-np.inf)
    t = np.asarray(test_counts, dtype="float64")
    if s.shape != t.shape:
        raise ValueError("scores and test counts must have the same length")
    k = int(k)
    if not 1 <= k <= s.size:
        raise ValueError("k must be between 1 and the number of cells")
    thr = -np.partition(-s, k - 1)[k - 1]          # the k-th largest value
    above = s > thr
    tied = s == thr
    need = k - int(above.sum())
    ha, te, nt = float(t[above].sum()), float(t[tied].sum()), int(tied.sum())
    sd = math.sqrt(max(0.0, need * (nt - need) / (nt - 1) * float(np.var(t[tied])))) if nt > 1 else 0.0
    return {"hits": ha + (need / nt) * te, "hits_above": ha, "tied_cells": nt, "tied_taken": need, "tied_events": te,
            "tie_sd": sd}


def hits_at(scores, test_counts, k: int) -> float:
    """Test events captured by the ``k`` highest-scoring cells (ties at the cut-off by expectation).

    ``sum(test in cells above the cut-off) + (k - above) / tied * sum(test in tied cells)``;
    see :func:`hit_parts` for the parts.
    """
    return hit_parts(scores, test_counts, k)["hits"]


def cell_hit_shares(scores, k: int) -> np.ndarray:
    """Share of each cell's events that the ``k`` top cells capture: 1 above the cut-off,
    ``tied_taken / tied_cells`` on it, 0 below (the per-cell form of :func:`hit_parts`)."""
    s = np.nan_to_num(np.asarray(scores, dtype="float64"), nan=-np.inf)
    thr = -np.partition(-s, int(k) - 1)[int(k) - 1]
    above, tied = s > thr, s == thr
    q = above.astype(float)
    q[tied] = (int(k) - int(above.sum())) / int(tied.sum())
    return q


def top_is_tie_order(scores, base, k: int) -> bool:
    """Whether the ``k`` top cells of ``scores`` are the ``k`` top cells of ``base`` under some order
    of ``base``'s ties: every cell above ``base``'s cut-off value taken, none below it.

    Parameters
    ----------
    scores, base : array of float, shape (n,)
        Two rankings of the same cells (higher first; NaN last).
    k : int
        Number of top cells, 1 <= k <= n.
    """
    s = np.nan_to_num(np.asarray(scores, dtype="float64"), nan=-np.inf)
    b = np.nan_to_num(np.asarray(base, dtype="float64"), nan=-np.inf)
    top = np.argsort(-s, kind="stable")[:int(k)]
    cut = -np.partition(-b, int(k) - 1)[int(k) - 1]
    return bool((b[top] >= cut).all() and (b[top] > cut).sum() == (b > cut).sum())


def paired_gain(scores, base_scores, test_counts, pcts=AREA_PCTS, missed: float = 0) -> tuple[float, float]:
    """Mean hit-rate gain of ``scores`` over ``base_scores`` and its standard error, clustered by cell.

    The gain is ``D = sum_c n_c d_c / N`` with ``d_c`` the difference of the two rankings' hit
    shares of cell ``c`` (:func:`cell_hit_shares`, averaged over ``pcts``), ``n_c`` the events of
    the cell and ``N`` all events (``missed`` included, with ``d = 0``). Events of one cell are hit
    or missed together, so the standard error treats cells as clusters (ratio estimator):
    ``SE = sqrt(m / (m - 1) * sum_c (n_c d_c - D n_c)**2) / N`` over the ``m`` cells holding
    events (and each missed event as its own cluster).

    Returns
    -------
    (float, float)
        ``D`` and ``SE`` as shares of the events (NaN when there are none).
    """
    return pooled_gain([scores], [base_scores], [test_counts], pcts, [missed])


def evaluate(scores, test_counts, pcts=AREA_PCTS, method: str = "score", missed: float = 0) -> pd.DataFrame:
    """Hit rate and PAI (Chainey, Tompson & Uhlig 2008) of one ranking at several area shares.

    Parameters
    ----------
    scores : array of float, shape (n,)
        Ranking value of every study-area cell.
    test_counts : array of float, shape (n,)
        Test-period events in every study-area cell (zeros included).
    pcts : sequence of float
        Area shares in percent of the cells.
    method : str
        Label of the ranking.
    missed : float
        Test events outside the study area: added to the denominator as misses.

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS`, one row per share: ``cells`` predicted, ``hit_rate`` = hits /
        test events, ``pai`` = hit_rate / (cells / study_cells), the hits as counts with their
        tie parts. NaN when there are no test events.

    Examples
    --------
    Ten cells, the two top-ranked hold 3 of the 5 test events: hit rate 0.6, PAI 0.6 / 0.2 = 3.

    >>> r = evaluate([9, 8, 1, 1, 1, 1, 1, 1, 1, 1], [2, 1, 1, 1, 0, 0, 0, 0, 0, 0], [20]).iloc[0]
    >>> round(float(r["hit_rate"]), 6), round(float(r["pai"]), 6)
    (0.6, 3.0)
    """
    t = np.asarray(test_counts, dtype="float64")
    n = t.size
    total = float(t.sum()) + float(missed)
    rows = []
    for p in pcts:
        k = cells_for_pct(n, p)
        hp = hit_parts(scores, t, k)
        hr = hp["hits"] / total if total > 0 else float("nan")
        rows.append({"method": method, "area_pct": float(p), "cells": k, "hit_rate": hr,
                     "pai": hr / (k / n) if total > 0 else float("nan"), **hp,
                     "test_events": int(round(total)), "study_cells": n})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def pooled_gain(fold_scores, fold_base, fold_counts, pcts=AREA_PCTS, fold_missed=None) -> tuple[float, float]:
    """Mean hit-rate gain of a ranking over a base ranking across validation folds, with its standard
    error clustered by cell across the folds.

    Fold ``f`` gives ``D_f = sum_c n_fc d_fc / N_f`` (:func:`paired_gain`: ``d_fc`` the difference
    of the hit shares of cell ``c``, averaged over ``pcts``; ``N_f`` all events of the fold, missed
    ones included). The pooled gain is ``D = mean_f D_f``. A cell's events in different years are
    not independent (a hot cell stays hot), so each cell is one cluster over all folds, with
    residual ``r_c = 1/K sum_f (n_fc d_fc - D_f n_fc) / N_f``; each missed event is its own
    cluster (``r = -D_f / (K N_f)``); ``SE = sqrt(m / (m - 1) * sum r**2)`` over the ``m``
    clusters. With one fold this is :func:`paired_gain`.

    Parameters
    ----------
    fold_scores, fold_base : sequences of arrays of float, each shape (n,)
        The ranking and the base ranking of the cells, one array per fold.
    fold_counts : sequence of arrays of float, each shape (n,)
        Validation events per cell, one array per fold.
    pcts : sequence of float
        Area shares in percent.
    fold_missed : sequence of float, optional
        Validation events outside the study area, per fold (default 0).

    Returns
    -------
    (float, float)
        ``D`` and ``SE`` as shares of the events (NaN when no fold has events; SE NaN with fewer
        than two clusters).
    """
    K = len(fold_counts)
    fold_missed = [0.0] * K if fold_missed is None else list(fold_missed)
    if K == 0:
        return float("nan"), float("nan")
    n = np.asarray(fold_counts[0]).size
    r = np.zeros(n)
    occ = np.zeros(n, dtype=bool)
    extra: list[np.ndarray] = []
    Ds = []
    for s, b, t, miss in zip(fold_scores, fold_base, fold_counts, fold_missed):
        t = np.asarray(t, float)
        N = float(t.sum()) + float(miss)
        if not N > 0:
            Ds.append(0.0)
            continue
        d = np.zeros(n)
        for p in pcts:
            k = cells_for_pct(n, p)
            d += cell_hit_shares(s, k) - cell_hit_shares(b, k)
        d /= len(pcts)
        D = float((t * d).sum() / N)
        Ds.append(D)
        r += (t * d - D * t) / N / K
        occ |= t > 0
        extra.append(np.full(int(round(miss)), -D / N / K))
    if all(float(np.asarray(t, float).sum()) + float(m) <= 0 for t, m in zip(fold_counts, fold_missed)):
        return float("nan"), float("nan")
    e = np.concatenate([r[occ], *extra]) if extra else r[occ]
    m = e.size
    se = float(np.sqrt(m / (m - 1) * (e ** 2).sum())) if m > 1 else float("nan")
    return float(np.mean(Ds)), se
