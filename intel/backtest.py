"""Backtest of a cell ranking: fit on one period, test on the next.

Overview
--------
A ranking is only worth defending if it would have found the next events. Following the
crime-prediction literature (open_cp; Chainey, Tompson & Uhlig 2008, "The utility of hotspot
mapping for predicting spatial patterns of crime", *Security Journal* 21, 4-28), each method
ranks every cell of a study area using the **training** period only; the top ``a`` % of the
study-area cells are then the "predicted" cells, and the **test** period's events score them:

* **hit rate** ``= n / N``: the share of the test events (distinct incidents) that fall in the
  predicted cells; ``N`` counts every usable test event of the area of operation, including those
  outside the study area (they are misses, never dropped);
* **PAI**, the predictive accuracy index ``= (n / N) / (a / A)``: hit rate divided by the share
  of the area the predicted cells cover. PAI 1 is what a random choice of cells achieves;
  higher is better. All cells of one resolution have (nearly) the same area, so ``a / A`` is
  the share of cells, ``cells / study_cells``.

``cells`` at ``a`` % is ``max(1, floor(a / 100 * study_cells + 0.5))``. **Ties** at the cut-off
are handled by expectation: when the cut-off falls inside a group of equally ranked cells, the
needed number of them is taken at random, so the hits credited are those of the cells ranked
strictly above plus ``needed / tied`` of the test events of the tied group. Every result row
spells this out as counts: ``hits = hits_above + tied_taken / tied_cells * tied_events``. This
makes the figures independent of row order and fair to count-based rankings full of ties.

No look-ahead
-------------
Everything a method sees comes from the training period: the **study area** is the cells of the
chosen area, or the data extent of the *training* cells (cells overlapping the convex hull of the
cells occupied in training), never cells known only from the test period; the baselines and the
fitted method read training records only. Only records whose location precision is usable at
the resolution are scored (:mod:`intel.risk`). When no periods are given,
:func:`default_periods` takes them from the data of the area's own sources.

Methods compared (:func:`backtest`, :data:`METHODS`)
----------------------------------------------------
* ``risk score``: :func:`intel.risk.risk_scores` fitted on the training period (components that
  do not apply to the area are 0 there: :mod:`intel.risk.reach`);
* ``fitted``: the candidate ranking (:data:`CANDIDATES`) that did best on an **inner split** of
  the training period (the last 365 days of it as validation, the rest as training), refitted on
  the whole training period (:func:`fit_ranking`). Candidates are previous-period counts,
  exponentially decayed counts (half-lives :data:`HALF_LIVES_DAYS`), kernel density at
  :data:`KDE_FACTORS` times the default bandwidth, the risk score, and blends that keep the
  order of the counts and break their ties by kernel density, decayed counts or the score. The
  criterion is the mean hit rate over the area shares; previous-period counts win ties, and a
  gain within one standard error (clustered by cell) is a tie, so the fitted method leaves the
  simplest baseline only when the validation year shows a clear gain;
* ``previous-period counts``: events per cell in the training period (the naive "last period"
  hot spot map);
* ``kernel density``: a Gaussian kernel density of the training events on the H3 grid: each
  cell's value is ``sum_j n_j exp(-d_ij**2 / (2 h**2))`` over the occupied training cells ``j``
  within ``3 h``, ``d`` the distance between cell centres, ``h`` the bandwidth in km
  (default :func:`default_bandwidth_km`: twice the mean H3 edge length, at least 0.5 km, so
  about 0.5 km at resolution 9, 1.1 km at resolution 8 and 20 km at resolution 5). Distances are
  chords on the sphere of :data:`intel.geodesy.EARTH_RADIUS_KM` (within 0.01 % of the
  great-circle distance below 100 km).

The study area is the same for every method: the cells of the chosen area, or by default the
land of the places with records (:mod:`intel.studyarea`, mode ``data``: per country, the hull of
the cells occupied in the training period (no look-ahead), cut to its land). Only records
whose location precision is usable at the resolution are scored (:mod:`intel.risk`).

Warnings
--------
A backtest can look excellent for reasons that say nothing about the ranking. The result's
``attrs['warnings']`` (shown by the page and ``intel backtest``) names them in plain sentences
(:func:`backtest_warnings`): fewer than :data:`MIN_TEST_CELLS` distinct test cells; more than
:data:`DEGENERATE_SHARE` of the test events on the very points (coordinates) that held training
events (e.g. town-level positions such as CBP headquarters towns: every method "predicts" them);
records in the study area left out because their location is coarser than the cells; and
sources whose coverage (share of months with records) differs between training and test by more
than :data:`COVERAGE_GAP`.

Units: distances and bandwidths in km, periods half-open ``[from, to)`` of UTC days, ages and
half-lives in days, ``area_pct`` in percent of study-area cells.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from intel import periods, risk
from intel.config import check_resolution
from intel.errors import HotspotError
from intel.geodesy import EARTH_RADIUS_KM, unit_vectors
from intel.h3cells import cell_centres, edge_km
from intel.hexbin import uncertainty_values
from intel.hotspots import neighbour_matrix
from intel.studyarea import polygon_cells, study_area, without_lakes

AREA_PCTS = (1.0, 5.0, 10.0)
"""Shares of the study area (percent of cells) at which the rankings are scored."""

METHODS = ("risk score", "fitted", "previous-period counts", "kernel density")
"""Methods compared by :func:`backtest`, in output order."""

RESULT_COLUMNS = ["method", "area_pct", "cells", "hit_rate", "pai", "hits", "hits_above", "tied_cells",
                  "tied_taken", "tied_events", "test_events", "study_cells"]
"""Columns of :func:`evaluate` and :func:`backtest` (``intel backtest`` writes them). ``hits`` is
``hits_above + tied_taken / tied_cells * tied_events``: test events in the cells ranked strictly
above the cut-off, plus the expected share of the events of the ``tied_cells`` cells sharing the
cut-off value, of which ``tied_taken`` are needed."""

HALF_LIVES_DAYS = (365.0, 730.0, 1460.0)
"""Half-lives (days) of the decayed-count candidates of the fitted method."""

KDE_FACTORS = (0.5, 1.0, 2.0)
"""Bandwidths of the kernel-density candidates, as multiples of :func:`default_bandwidth_km`."""

NEAR_REPEAT_HALF_LIVES_DAYS = (30.0, 90.0)
"""Half-lives (days) of the triggering term of the near-repeat candidates (:func:`candidate_parts`).

They do not compete by default (``near_repeat=False``): on the bundled Toronto incidents (three
splits, train 2015-2019 / test 2020-2023, 2010-2014 / 2015-2019, 2013-2017 / 2018-2021, at
resolutions 7, 8 and 9) they beat previous-period counts by more than one standard error in the
validation year in 2 of 9 cases, were chosen once (resolution 9, first split), and there the
fitted ranking did worse out of sample with them than without (mean test hit rate over 1, 5 and
10 % of the area 34.4 % against 34.6 %)."""

RANKING_PARTS = ("counts", "decayed", "density", "near_repeat", "risk")
"""Names of the parts a candidate ranking is the sum of (:func:`candidate_parts`)."""

COUNTS = "previous-period counts"
CANDIDATES = (
    COUNTS,
    *(f"decayed counts, half-life {h:g} d" for h in HALF_LIVES_DAYS),
    *(f"kernel density {f:g}x bandwidth" for f in KDE_FACTORS),
    "risk score",
    "counts, ties by kernel density",
    "counts, ties by decayed counts (730 d)",
    "counts, ties by risk score",
    *(f"near-repeat, triggering half-life {h:g} d" for h in NEAR_REPEAT_HALF_LIVES_DAYS),
)
"""Candidate rankings of the fitted method, in order of preference on equal validation hit rate
(previous-period counts first: they win ties)."""

VALIDATION_DAYS = 365
"""Length of the inner validation period at the end of the training period, days."""

MIN_TEST_CELLS = 20
"""Fewer distinct test cells than this: the result rests on too few places to compare methods."""

DEGENERATE_SHARE = 0.9
"""Share of test events on training points above which the test is called degenerate."""

COVERAGE_GAP = 0.5
"""Difference in a source's share of months with records (training vs test) that is warned about."""


class BacktestError(ValueError):
    """The backtest cannot be run; the message is one plain sentence."""


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
        them are needed to reach ``k``), ``tied_events`` (events in the tied cells) and
        ``hits = hits_above + tied_taken / tied_cells * tied_events``.

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
    thr = np.sort(s)[::-1][k - 1]
    above = s > thr
    tied = s == thr
    need = k - int(above.sum())
    ha, te, nt = float(t[above].sum()), float(t[tied].sum()), int(tied.sum())
    return {"hits": ha + (need / nt) * te, "hits_above": ha, "tied_cells": nt, "tied_taken": need, "tied_events": te}


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
    thr = np.sort(s)[::-1][int(k) - 1]
    above, tied = s > thr, s == thr
    q = above.astype(float)
    q[tied] = (int(k) - int(above.sum())) / int(tied.sum())
    return q


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
    t = np.asarray(test_counts, float)
    n = t.size
    N = float(t.sum()) + float(missed)
    if not N > 0:
        return float("nan"), float("nan")
    d = np.zeros(n)
    for p in pcts:
        k = cells_for_pct(n, p)
        d += cell_hit_shares(scores, k) - cell_hit_shares(base_scores, k)
    d /= len(pcts)
    D = float((t * d).sum() / N)
    occ = t > 0
    e = np.concatenate([t[occ] * d[occ] - D * t[occ], np.full(int(round(missed)), -D)])
    m = e.size
    se = float(np.sqrt(m / (m - 1) * (e ** 2).sum()) / N) if m > 1 else float("nan")
    return D, se


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


def default_bandwidth_km(res: int) -> float:
    """Default KDE bandwidth in km: ``max(0.5, 2 * mean H3 edge length at res)``."""
    return max(0.5, 2.0 * edge_km(int(res)))


def _xyz_km(lat, lon) -> np.ndarray:
    """Points on the sphere of radius :data:`intel.geodesy.EARTH_RADIUS_KM`, km, shape (n, 3)."""
    return EARTH_RADIUS_KM * unit_vectors(lat, lon)


def kde_scores(lat, lon, src_lat, src_lon, src_counts, bandwidth_km: float, cutoff: float = 3.0) -> np.ndarray:
    """Gaussian kernel density at points from weighted source points.

    Parameters
    ----------
    lat, lon : arrays of float, shape (n,)
        Evaluation points (cell centres), degrees WGS84.
    src_lat, src_lon : arrays of float, shape (m,)
        Source points (centres of occupied training cells), degrees.
    src_counts : array of float, shape (m,)
        Weight of each source (training events).
    bandwidth_km : float
        Standard deviation ``h`` of the Gaussian kernel, km.
    cutoff : float
        Sources farther than ``cutoff * h`` are ignored (their weight is below 1.1 % at 3 h).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``sum_j n_j exp(-d_ij**2 / (2 h**2))`` (unnormalised; only the order matters).

    Raises
    ------
    ValueError
        When the bandwidth is not a positive number of km.
    """
    h = float(bandwidth_km)
    if not h > 0:
        raise ValueError("the bandwidth must be a positive number of km")
    out = np.zeros(len(np.asarray(lat)))
    w = np.asarray(src_counts, float)
    if out.size == 0 or w.size == 0:
        return out
    P, S = _xyz_km(lat, lon), _xyz_km(src_lat, src_lon)
    lists = cKDTree(S).query_ball_point(P, r=cutoff * h)
    counts = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    if counts.sum() == 0:
        return out
    rows = np.repeat(np.arange(len(lists)), counts)
    cols = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(counts.sum()))
    d2 = ((P[rows] - S[cols]) ** 2).sum(axis=1)
    np.add.at(out, rows, w[cols] * np.exp(-d2 / (2 * h * h)))
    return out


def incidents_of_records(recs: pd.DataFrame) -> pd.DataFrame:
    """Distinct (cell, incident) pairs with the incident's first date and its source."""
    if recs.empty:
        return pd.DataFrame({"cell": np.zeros(0, dtype="uint64"), "incident_key": [], "d": pd.to_datetime([]),
                             "source": []})
    inc = recs.groupby(["cell", "incident_key"], as_index=False).agg(d=("event_date", "min"))
    inc["d"] = pd.to_datetime(inc["d"])
    inc["source"] = inc["incident_key"].astype(str).str.split(chr(31), n=1).str[0]
    return inc


def _per_cell(inc: pd.DataFrame, cells: np.ndarray, weights=None) -> np.ndarray:
    """Sum of ``weights`` (default 1 per incident) per cell of ``cells``."""
    if inc.empty:
        return np.zeros(cells.size)
    w = np.ones(len(inc)) if weights is None else np.asarray(weights, float)
    s = pd.Series(w, index=pd.Index(inc["cell"].to_numpy(dtype="uint64"))).groupby(level=0).sum()
    return s.reindex(pd.Index(cells)).fillna(0.0).to_numpy(float)


def _unit(x: np.ndarray) -> np.ndarray:
    """``x / max(x)`` (zeros when the maximum is not positive)."""
    x = np.nan_to_num(np.asarray(x, float))
    m = x.max() if x.size else 0.0
    return x / m if m > 0 else np.zeros_like(x)


def decayed_counts(inc: pd.DataFrame, cells: np.ndarray, end, half_life_days: float) -> np.ndarray:
    """Exponentially decayed event counts per cell: ``sum 0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    inc : pandas.DataFrame
        Distinct incidents with ``cell`` (uint64) and ``d`` (first date).
    cells : array of uint64, shape (n,)
        Study-area cells.
    end : date or str
        End of the period (exclusive); the age of an event is ``end - d`` in days.
    half_life_days : float
        Days after which an event counts half.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
    """
    if inc.empty:
        return np.zeros(cells.size)
    age = (pd.Timestamp(end) - inc["d"]).dt.days.to_numpy(float)
    return _per_cell(inc, cells, risk.decay_weights(np.nan_to_num(age, nan=0.0), half_life_days))


def candidate_parts(inc: pd.DataFrame, cells: np.ndarray, end, bandwidth_km: float,
                    score=None, near_repeat: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """Every candidate ranking of :data:`CANDIDATES` from one period's incidents, as named parts.

    Parameters
    ----------
    inc : pandas.DataFrame
        Distinct incidents of the period (``cell``, ``d``).
    cells : array of uint64, shape (n,)
        Study-area cells.
    end : date or str
        End of the period (exclusive), for the ages of the decayed counts.
    bandwidth_km : float
        Default kernel bandwidth, km (multiplied by :data:`KDE_FACTORS`).
    score : array of float, shape (n,), optional
        Risk score of the cells for the same period; without it the score candidates are left out.
    near_repeat : bool
        Include the near-repeat candidates (:data:`NEAR_REPEAT_HALF_LIVES_DAYS`; default False,
        see :data:`NEAR_REPEAT_HALF_LIVES_DAYS` for why); they need the ring-1 neighbours of the
        cells (:func:`intel.hotspots.neighbour_matrix`) and are left out when those cannot be built.

    Returns
    -------
    dict
        ``{candidate name: {part name: value per cell}}``; a candidate's ranking value is the sum
        of its parts (:func:`candidate_rankings`). Part names are :data:`RANKING_PARTS`:
        ``counts`` (events of the period), ``decayed`` (decayed counts), ``density`` (kernel
        density), ``near_repeat`` (triggering term), ``risk`` (the risk score). The tie-break
        blends are ``counts + 0.5 * x / max(x)``: the counts keep their order, ``x`` only orders
        cells of equal count. The near-repeat candidates are ``counts + sum over the cell and its
        ring-1 neighbours of 0.5 ** (age / h)`` with a short half-life ``h``: a stationary
        background plus a self-exciting triggering term (after Mohler et al. 2011, "Self-exciting
        point process modeling of crime", *JASA* 106, 100-108, with fixed rather than EM-fitted
        parameters).
    """
    counts = _per_cell(inc, cells)
    out: dict[str, dict[str, np.ndarray]] = {COUNTS: {"counts": counts}}
    dec = {}
    for h in HALF_LIVES_DAYS:
        dec[h] = decayed_counts(inc, cells, end, h)
        out[f"decayed counts, half-life {h:g} d"] = {"decayed": dec[h]}
    clat, clon = cell_centres(cells)
    occ = counts > 0
    kde = {}
    for f in KDE_FACTORS:
        kde[f] = kde_scores(clat, clon, clat[occ], clon[occ], counts[occ], f * bandwidth_km)
        out[f"kernel density {f:g}x bandwidth"] = {"density": kde[f]}
    if score is not None:
        out["risk score"] = {"risk": np.asarray(score, float)}
    out["counts, ties by kernel density"] = {"counts": counts, "density": 0.5 * _unit(kde[1.0])}
    out["counts, ties by decayed counts (730 d)"] = {"counts": counts, "decayed": 0.5 * _unit(dec[730.0])}
    if score is not None:
        out["counts, ties by risk score"] = {"counts": counts, "risk": 0.5 * _unit(score)}
    if near_repeat and len(inc):
        try:
            W = neighbour_matrix(cells, 1)
        except Exception:  # noqa: BLE001 - the other candidates still compete
            W = None
        if W is not None:
            for h in NEAR_REPEAT_HALF_LIVES_DAYS:
                trig = np.asarray(W @ decayed_counts(inc, cells, end, h), float).ravel()
                out[f"near-repeat, triggering half-life {h:g} d"] = {"counts": counts, "near_repeat": trig}
    return out


def candidate_rankings(inc: pd.DataFrame, cells: np.ndarray, end, bandwidth_km: float,
                       score=None, near_repeat: bool = False) -> dict[str, np.ndarray]:
    """Every candidate ranking of :data:`CANDIDATES` from one period's incidents.

    The sums of the parts of :func:`candidate_parts` (same parameters).

    Returns
    -------
    dict
        ``{candidate name: ranking value per cell}``, arrays of shape (n,).
    """
    return {name: np.sum(list(parts.values()), axis=0)
            for name, parts in candidate_parts(inc, cells, end, bandwidth_km, score, near_repeat).items()}


def fit_ranking(inc: pd.DataFrame, cells: np.ndarray, train, bandwidth_km: float, pcts=AREA_PCTS,
                score_fn=None, near_repeat: bool = False) -> dict:
    """Choose a ranking on an inner split of the training period (training data only).

    The last :data:`VALIDATION_DAYS` days of ``train`` are the validation period; every candidate
    of :func:`candidate_rankings` is built from the incidents before it and scored on it (mean hit
    rate over ``pcts``, :func:`evaluate`) against previous-period counts (:func:`paired_gain`).
    Previous-period counts win ties, and a gain no larger than one standard error is a tie (the
    one-standard-error rule: Breiman, Friedman, Olshen & Stone 1984; Hastie, Tibshirani &
    Friedman 2009, section 7.10): the candidate with the largest gain among those beating counts
    by more than one standard error is chosen, else counts.

    Parameters
    ----------
    inc : pandas.DataFrame
        Distinct incidents of the whole training period (``cell``, ``d``).
    cells : array of uint64
        Study-area cells.
    train : (str, str)
        Training period, half-open ISO dates.
    bandwidth_km : float
        Default kernel bandwidth, km.
    pcts : sequence of float
        Area shares in percent.
    score_fn : callable, optional
        ``score_fn((date_from, date_to)) -> array`` risk score of ``cells`` for a period; when it
        is missing or fails, the score candidates are left out.
    near_repeat : bool
        Let the near-repeat candidates compete (:func:`candidate_parts`).

    Returns
    -------
    dict
        ``choice`` (a name of :data:`CANDIDATES`), ``table`` (DataFrame: ``candidate``, one
        ``hit_rate_<pct>`` column per share, ``mean_hit_rate``, ``gain`` and ``gain_se`` over
        previous-period counts; empty without a split),
        ``validation`` (ISO dates), ``note`` (plain sentence).
    """
    t0, t1 = pd.Timestamp(train[0]), pd.Timestamp(train[1])
    v0 = t1 - pd.Timedelta(days=VALIDATION_DAYS)
    empty = pd.DataFrame(columns=["candidate", *(f"hit_rate_{p:g}" for p in pcts), "mean_hit_rate", "gain", "gain_se"])
    if v0 <= t0:
        return {"choice": COUNTS, "table": empty, "validation": None,
                "note": (f"The training period is not longer than {VALIDATION_DAYS} days, so there is no inner "
                         "validation year: the fitted method is previous-period counts.")}
    inner, val = inc[inc["d"] < v0], inc[inc["d"] >= v0]
    vper = (v0.date().isoformat(), t1.date().isoformat())
    if inner.empty or val.empty:
        return {"choice": COUNTS, "table": empty, "validation": vper,
                "note": (f"The inner split ({'no events before' if inner.empty else 'no events in'} the validation "
                         f"period {vper[0]} to {vper[1]}) cannot be scored: the fitted method is previous-period counts.")}
    score, note = None, ""
    if score_fn is not None:
        try:
            score = score_fn((t0.date().isoformat(), vper[0]))
        except Exception as exc:  # noqa: BLE001 - the other candidates still compete
            note = f" The risk score could not be fitted on the inner training period ({exc}); it did not compete."
    ranks = candidate_rankings(inner, cells, vper[0], bandwidth_km, score, near_repeat)
    vc = _per_cell(val, cells)
    missed = max(float(val["incident_key"].nunique()) - vc.sum(), 0.0) if len(val) else 0.0
    rows = []
    for name in CANDIDATES:
        if name not in ranks:
            continue
        ev = evaluate(ranks[name], vc, pcts, name, missed=missed)
        gain, se = paired_gain(ranks[name], ranks[COUNTS], vc, pcts, missed)
        row = {"candidate": name, **{f"hit_rate_{p:g}": h for p, h in zip(pcts, ev["hit_rate"])}}
        row.update(mean_hit_rate=float(ev["hit_rate"].mean()), gain=gain, gain_se=se)
        rows.append(row)
    table = pd.DataFrame(rows)
    # previous-period counts win ties, and a gain within one standard error is a tie
    ok = table[(table["candidate"] != COUNTS) & (table["gain"] > table["gain_se"].fillna(np.inf) + 1e-12)]
    choice = ok.loc[ok["gain"].idxmax(), "candidate"] if len(ok) else COUNTS
    r = table.set_index("candidate").loc[choice]
    base = float(table.loc[table["candidate"] == COUNTS, "mean_hit_rate"].iloc[0])
    why = (f"mean hit rate {r['mean_hit_rate']:.1%} against {base:.1%} for previous-period counts, a gain of "
           f"{r['gain']:.1%} with a standard error of {r['gain_se']:.1%}" if choice != COUNTS else
           "no candidate beat them by more than one standard error of the gain")
    note = (f"Fitted on the inner split: trained before {vper[0]}, validated on {vper[0]} to {vper[1]} "
            f"({int(round(vc.sum() + missed))} events); chosen: {choice} ({why}), then refitted on the whole "
            "training period." + note)
    return {"choice": choice, "table": table, "validation": vper, "note": note}


def _full_years(dates: pd.Series, min_months: int = 10) -> list[int]:
    """Calendar years with records in at least ``min_months`` distinct months."""
    d = pd.to_datetime(dates.dropna())
    if d.empty:
        return []
    m = pd.DataFrame({"y": d.dt.year, "m": d.dt.month}).drop_duplicates().groupby("y").size()
    return sorted(int(y) for y, n in m.items() if n >= min_months)


def default_periods(con, res: int, area=None) -> tuple[tuple[str, str], tuple[str, str]]:
    """Training and test periods taken from the data of the area's own usable records.

    The years considered run from the first to the last calendar year in which the usable
    records cover at least 10 of the 12 months (all years with records when fewer than two do).
    Of these ``n`` years the last ``max(1, min(4, n // 3))`` are the test period and the up to 5
    years before them the training period (Toronto 2004-2023: train 2015:2019, test 2020:2023;
    CBP fiscal years 2022-2025: train 2022:2023, test 2024).

    Returns
    -------
    ((str, str), (str, str))
        Half-open training and test periods, ISO dates.

    Raises
    ------
    intel.risk.RiskError
        The area has no usable records at ``res`` (:func:`intel.risk.check_records`).
    BacktestError
        The usable records span fewer than two calendar years.
    """
    res = check_resolution(res, "backtest")
    recs = risk.area_records(con, res, area)
    risk.check_records(con, res, area, recs)
    use = recs[recs["usable"]]
    years = _full_years(use["event_date"])
    if len(years) < 2:
        years = sorted(set(pd.to_datetime(use["event_date"].dropna()).dt.year.astype(int)))
    if len(years) < 2 or years[-1] - years[0] < 1:
        raise BacktestError("The usable records span less than two calendar years, so there is no training and test "
                            "period to compare; choose the periods yourself or a coarser resolution.")
    y0, y1 = years[0], years[-1]
    n = y1 - y0 + 1
    nt = max(1, min(4, n // 3))
    ntr = min(5, n - nt)
    ts = y1 - nt + 1
    return ((f"{ts - ntr}-01-01", f"{ts}-01-01"), (f"{ts}-01-01", f"{y1 + 1}-01-01"))


def _months(period) -> int:
    a, b = pd.Timestamp(period[0]), pd.Timestamp(period[1]) - pd.Timedelta(days=1)
    return max(1, (b.year - a.year) * 12 + b.month - a.month + 1)


def backtest_warnings(tr_all: pd.DataFrame, te_all: pd.DataFrame, cells: np.ndarray, test_counts: np.ndarray,
                      train_counts: np.ndarray, res: int, train, test) -> tuple[list[str], dict]:
    """Plain-sentence warnings on a backtest that may mislead, with the figures behind them.

    Parameters
    ----------
    tr_all, te_all : pandas.DataFrame
        :func:`intel.risk.area_records` of the training and test periods (usable or not).
    cells : array of uint64
        Study-area cells.
    test_counts, train_counts : arrays of float, shape (n,)
        Distinct events per study cell in the test and training periods.
    res : int
        H3 resolution.
    train, test : (str, str)
        Half-open periods, ISO dates.

    Returns
    -------
    (list of str, dict)
        Warnings (empty when none applies) and the figures: ``test_cells`` (distinct study
        cells holding test events), ``share_on_training_cells`` and ``share_on_training_points``
        (shares of the test events in cells, or on exact coordinates rounded to 1e-5 degrees,
        that held training events), ``coverage`` (list of dicts, one per source: ``source``,
        ``train_months_share``, ``test_months_share``).
    """
    out: list[str] = []
    tr, te = tr_all[tr_all["usable"]], te_all[te_all["usable"]]
    n_tc = int((np.asarray(test_counts) > 0).sum())
    if n_tc < MIN_TEST_CELLS:
        out.append(f"The test events fall in only {n_tc} distinct cells (fewer than {MIN_TEST_CELLS}): too few places "
                   "to tell the methods apart; hit rates and PAI here are anecdotes, not evidence.")
    # test events on training cells and on training points
    te_inc = te.drop_duplicates("incident_key") if len(te) else te
    n_te = len(te_inc)
    share_cells = share_pts = float("nan")
    if n_te:
        occ = set(np.asarray(cells)[np.asarray(train_counts) > 0].tolist())
        on_cell = te.groupby("incident_key")["cell"].apply(lambda c: any(int(x) in occ for x in c))
        share_cells = float(on_cell.mean())
        key = lambda df: (df["latitude"].round(5).astype(str) + "," + df["longitude"].round(5).astype(str))  # noqa: E731
        pts = set(key(tr)) if len(tr) else set()
        on_pt = te.assign(k=key(te)).groupby("incident_key")["k"].apply(lambda k: any(x in pts for x in k))
        share_pts = float(on_pt.mean())
        if share_pts > DEGENERATE_SHARE:
            n_pts = te.assign(k=key(te))["k"].nunique()
            out.append(f"{share_pts:.0%} of the test events lie on the very points (coordinates) that held training events "
                       f"({n_pts:,} distinct test points): the records are attributed to a few fixed places (e.g. a CBP "
                       "headquarters town), so any ranking of past places 'predicts' them. This test is degenerate; "
                       "its hit rate and PAI say nothing about where the next events will be.")
    # records too coarse for the resolution, per source
    both = pd.concat([tr_all, te_all], ignore_index=True)
    if len(both):
        both = both.assign(source=both["incident_key"].astype(str).str.split(chr(31), n=1).str[0])
        # only the coarse records inside the study area could have changed the ranking there
        coarse = both[~both["usable"] & np.isin(both["cell"].to_numpy(dtype="uint64"), np.asarray(cells, dtype="uint64"))]
        for src, g in coarse.groupby("source"):
            r = uncertainty_values(g["location_precision"].to_numpy(dtype=object),
                                   g["uncertainty_km"].to_numpy(dtype=object) if "uncertainty_km" in g else None)
            r = r[np.isfinite(r)]
            precs = ", ".join(sorted(set(g["location_precision"].dropna().astype(str)))) or "unknown"
            out.append(f"{len(g):,} records of {src} ({precs} level, radius of location uncertainty "
                       f"{'at least ' + format(r.min(), ',.1f') + ' km' if len(r) else 'unknown'}) are coarser than the "
                       f"{edge_km(res):,.2f} km cells of resolution {res}: they lie in the study area but were left "
                       "out of both periods' counts, so the backtest sees only the finer records there.")
    # sources whose coverage differs between the periods
    mt, ms = _months(train), _months(test)
    rows = []
    for src in sorted(set(incidents_of_records(tr)["source"]) | set(incidents_of_records(te)["source"])):
        def share(df, m):
            s = df[df["incident_key"].astype(str).str.startswith(src + chr(31))]
            return pd.to_datetime(s["event_date"]).dt.to_period("M").nunique() / m if len(s) else 0.0
        rows.append({"source": src, "train_months_share": share(tr, mt), "test_months_share": share(te, ms)})
    cov = pd.DataFrame(rows, columns=["source", "train_months_share", "test_months_share"])
    for r in cov.itertuples():
        a, b = r.train_months_share, r.test_months_share
        if (a == 0) != (b == 0) or abs(a - b) > COVERAGE_GAP:
            out.append(f"Source {r.source} has records in {a:.0%} of the training months but {b:.0%} of the test "
                       "months: the two periods do not see the same data, so a method can win or lose by the "
                       "change of coverage alone.")
    return out, {"test_cells": n_tc, "share_on_training_cells": share_cells,
                 "share_on_training_points": share_pts, "coverage": cov.to_dict("records")}


def _period(p, name: str) -> tuple[str, str]:
    if isinstance(p, str):
        return periods.parse_period(p, require_both=True)
    p = tuple(None if x is None else str(pd.Timestamp(x).date()) for x in p)
    if len(p) != 2 or p[0] is None or p[1] is None:
        raise BacktestError(f"The {name} period needs a start and an end.")
    return p


def backtest(con, res: int, train=None, test=None, area=None, weights: dict | None = None, pcts=AREA_PCTS,
             bandwidth_km: float | None = None, **score_kwargs) -> pd.DataFrame:
    """Fit each method on ``train``, score it on ``test`` (page and CLI entry point).

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution.
    train, test : (date_from, date_to) or str, optional
        Half-open periods, or text in the grammar of :func:`intel.periods.parse_period`
        (``"2015:2019"``: 2015-01-01 to 2020-01-01), both sides required. When both are
        missing, :func:`default_periods` takes them from the data of the area's sources.
    area : intel.risk.Area, optional
        Area of operation; default the land of the places with records (kind ``data``).
    weights : dict, optional
        Risk-score weights (:data:`intel.risk.DEFAULT_WEIGHTS`).
    pcts : sequence of float
        Area shares in percent.
    bandwidth_km : float, optional
        KDE bandwidth, km (default :func:`default_bandwidth_km`).
    **score_kwargs
        Passed to :func:`intel.risk.risk_scores` (e.g. ``half_life_days``).

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS`, one row per method and share, methods in :data:`METHODS` order.
        ``attrs``: ``train``, ``test``, ``res``, ``study_cells``, ``train_events``,
        ``test_events``, ``bandwidth_km``, ``area``, ``notes``, ``warnings`` (plain sentences,
        :func:`backtest_warnings`), ``checks`` (the figures behind them), ``fitted_method``
        (the chosen candidate), ``fit`` (validation table of :func:`fit_ranking` as a list of
        dicts, one per candidate), ``validation`` (the inner validation period),
        ``not_applicable`` (score components that are 0 in this area, with the reason),
        ``weights``, ``periods_from_data`` (bool).

    Raises
    ------
    intel.risk.NoPointData, intel.risk.TooCoarse, intel.risk.RiskError
        The area cannot be ranked at ``res``.
    BacktestError
        Only one period given, overlapping periods, or no usable events in the training or test
        period.
    ValueError
        ``res`` outside the backtest range, or a period text that cannot be read.
    """
    res = check_resolution(res, "backtest")
    notes: list[str] = []
    from_data = train is None and test is None
    if from_data:
        train, test = default_periods(con, res, area)
        notes.append(f"Periods taken from the data of the area's sources: training {train[0]} to {train[1]}, "
                     f"test {test[0]} to {test[1]}.")
    elif train is None or test is None:
        raise BacktestError("Give both the training and the test period, or neither (then both are taken from the data).")
    train, test = _period(train, "training"), _period(test, "test")
    if not train[1] <= test[0]:
        raise BacktestError(f"The test period ({test[0]} to {test[1]}) must start on or after the end of the "
                            f"training period ({train[0]} to {train[1]}).")
    tr_all = risk.area_records(con, res, area, *train)
    te_all = risk.area_records(con, res, area, *test)
    both = pd.concat([tr_all, te_all], ignore_index=True)
    if both.empty:
        risk.check_records(con, res, area, both, risk.area_records(con, res, area))
    risk.check_records(con, res, area, both)
    tr, te = tr_all[tr_all["usable"]], te_all[te_all["usable"]]
    if tr.empty:
        raise BacktestError(f"There are no usable events in the training period {train[0]} to {train[1]}.")
    if te.empty:
        raise BacktestError(f"There are no usable events in the test period {test[0]} to {test[1]}.")
    # study area from the training records only (no look-ahead)
    try:
        kind = getattr(area, "kind", "data") if area is not None else "data"
        if kind in ("data", "extent"):
            # training records only: a test-period cell must not widen the area (no look-ahead)
            pairs = tr[["cell", "country_iso3"]].drop_duplicates()
            sa = study_area(pairs["cell"].to_numpy(dtype="uint64"), res, kind, con=con,
                            iso3=pairs["country_iso3"].to_numpy(dtype=object),
                            max_cells=score_kwargs.get("max_cells", 400_000))
            cells, desc = sa.cells, "Training period: " + sa.description
        else:
            cells = polygon_cells(without_lakes(risk.area_shape(con, area)), res, max_cells=score_kwargs.get("max_cells", 400_000))
            desc = f"{area.describe()}: {cells.size:,} cells at resolution {res}"
    except HotspotError as exc:
        raise risk.RiskError(str(exc)) from None
    inc_tr, inc_te = incidents_of_records(tr), incidents_of_records(te)
    inc_tr = inc_tr[np.isin(inc_tr["cell"].to_numpy(dtype="uint64"), cells)]
    test_counts = _per_cell(inc_te, cells)
    in_area = inc_te[np.isin(inc_te["cell"].to_numpy(dtype="uint64"), cells)]["incident_key"].nunique()
    missed = int(inc_te["incident_key"].nunique() - in_area)
    if missed > 0:
        notes.append(f"{missed:,} test events fall outside the study area (cells the training period never reached); "
                     "they count as misses for every method.")
    train_counts = _per_cell(inc_tr, cells)

    def score_for(period) -> np.ndarray:
        s = risk.risk_scores(con, res, area, period, weights, study_cells=cells, **score_kwargs)
        return s.set_index("cell")["score"].reindex(pd.Index(cells)).fillna(0).to_numpy(float), s

    score, sc = score_for(train)
    notes += [n for n in sc.attrs.get("notes", []) if "too coarse" not in n]
    far = int((~both["usable"] & ~np.isin(both["cell"].to_numpy(dtype="uint64"), cells)).sum())
    if far:
        notes.append(f"{far:,} records of the area lie outside the study area and are too coarse for resolution {res} "
                     "(e.g. town- or province-level sources elsewhere); they play no part here.")

    h = float(bandwidth_km) if bandwidth_km is not None else default_bandwidth_km(res)
    clat, clon = cell_centres(cells)
    occ_tr = train_counts > 0
    kde = kde_scores(clat, clon, clat[occ_tr], clon[occ_tr], train_counts[occ_tr], h)

    fit = fit_ranking(inc_tr, cells, train, h, pcts, score_fn=lambda p: score_for(p)[0])
    fitted = candidate_rankings(inc_tr, cells, train[1], h, score)[fit["choice"]]
    notes.append(fit["note"])

    parts = [evaluate(score, test_counts, pcts, METHODS[0], missed),
             evaluate(fitted, test_counts, pcts, METHODS[1], missed),
             evaluate(train_counts, test_counts, pcts, METHODS[2], missed),
             evaluate(kde, test_counts, pcts, METHODS[3], missed)]
    df = pd.concat(parts, ignore_index=True)
    warns, checks = backtest_warnings(tr_all, te_all, cells, test_counts, train_counts, res, train, test)
    df.attrs.update(train=train, test=test, res=res, study_cells=int(cells.size),
                    train_events=int(train_counts.sum()), test_events=int(round(test_counts.sum() + missed)),
                    bandwidth_km=h, area=desc, notes=notes, warnings=warns, checks=checks,
                    # plain records, not DataFrames: pandas compares attrs when it combines frames
                    fitted_method=fit["choice"], fit=fit["table"].to_dict("records"), validation=fit["validation"],
                    not_applicable=dict(sc.attrs.get("not_applicable", {})), weights=sc.attrs.get("weights"),
                    periods_from_data=from_data)
    return df


def summary_sentence(df: pd.DataFrame) -> str:
    """One sentence comparing the methods at the largest share (for the page and the CLI)."""
    if df.empty:
        return "No backtest result."
    a = df.attrs
    top = df["area_pct"].max()
    d = df[df["area_pct"] == top].set_index("method")
    parts = [f"{m}{' (' + a['fitted_method'] + ')' if m == 'fitted' and a.get('fitted_method') else ''}: "
             f"hit rate {d.loc[m, 'hit_rate']:.1%}, PAI {d.loc[m, 'pai']:.2f}" for m in d.index]
    tr, te = a.get("train", ("?", "?")), a.get("test", ("?", "?"))
    return (f"Fitted on {tr[0]} to {tr[1]}, tested on {te[0]} to {te[1]} ({a.get('test_events', 0):,} test events, "
            f"{a.get('study_cells', 0):,} cells at resolution {a.get('res')}); at {top:g} % of the area: "
            + "; ".join(parts) + ".")


TRUST_ORDER = ("previous-period counts", "kernel density", "fitted", "risk score")
"""Order of preference among methods that do equally well in a backtest: the simplest first."""


def trust_sentence(df: pd.DataFrame) -> str:
    """Which ranking to trust for this area, from the test period's hit rates (page and CLI).

    A method is named when its hit rate is at least that of every other method at every share;
    otherwise the method with the highest mean hit rate over the shares, saying that it does not
    lead everywhere. Equal figures go to the simpler method (:data:`TRUST_ORDER`). Warnings of
    the backtest are mentioned, since they limit any such claim.
    """
    if df.empty or df["hit_rate"].isna().all():
        return "The backtest has no test events, so it cannot say which ranking to trust."
    p = df.pivot_table(index="method", columns="area_pct", values="hit_rate")
    order = [m for m in TRUST_ORDER if m in p.index] + [m for m in p.index if m not in TRUST_ORDER]
    p = p.loc[order]
    lead = [m for m in order if (p.loc[m] >= p.max(axis=0) - 1e-12).all()]
    fm = df.attrs.get("fitted_method")
    fdesc = f" (fitted = {fm})" if fm else ""
    warn = (" Read it with the warnings above: they limit what this backtest can show."
            if df.attrs.get("warnings") else "")
    if lead:
        return (f"Trust {lead[0]}{fdesc if lead[0] == 'fitted' else ''} for this area: its hit rate is at least that of "
                f"every other method at every share of the area tested.{warn}")
    best = p.mean(axis=1).idxmax()
    return (f"No method leads at every share; by mean hit rate over the shares, {best}"
            f"{fdesc if best == 'fitted' else ''} does best, so trust it with care.{warn}")
