"""The fitted ranking: candidate rankings of cells, scored by hit rate and PAI on a validation split.

Part of the analyses (``risk/`` in the README's layout table), under both its users: the planner's
ranking (:mod:`intel.risk.ranking`) calls :func:`fit_ranking` on the period it ranks, and the
backtest (:mod:`intel.backtest`) scores the same candidates and baselines on a later test period.
The method (hit rate, PAI, ties by expectation, the candidates and the inner validation split) is
described in the overview of :mod:`intel.backtest`. This module reads no store and imports only
:mod:`intel.risk.components` of its package, so :mod:`intel.risk` can import it without importing
:mod:`intel.backtest` (which imports :mod:`intel.risk`).

Units: distances and bandwidths in km, ages and half-lives in days, ``area_pct`` in percent of
study-area cells.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from intel.geodesy import EARTH_RADIUS_KM, unit_vectors
from intel.h3cells import cell_centres, edge_km
from intel.hotspots import neighbour_matrix
from intel.risk.components import decay_weights

AREA_PCTS = (1.0, 5.0, 10.0)
"""Shares of the study area (percent of cells) at which the rankings are scored."""

RESULT_COLUMNS = ["method", "area_pct", "cells", "hit_rate", "pai", "hits", "hits_above", "tied_cells",
                  "tied_taken", "tied_events", "test_events", "study_cells"]
"""Columns of :func:`evaluate` and :func:`intel.backtest.backtest` (``intel backtest`` writes them). ``hits`` is
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


def per_cell(inc: pd.DataFrame, cells: np.ndarray, weights=None) -> np.ndarray:
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
    return per_cell(inc, cells, decay_weights(np.nan_to_num(age, nan=0.0), half_life_days))


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
    counts = per_cell(inc, cells)
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
    vc = per_cell(val, cells)
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
