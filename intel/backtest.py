"""Backtest of a cell ranking: fit on one period, test on the next.

Overview
--------
A ranking is only worth defending if it would have found the next events. Following the
crime-prediction literature (open_cp; Chainey, Tompson & Uhlig 2008, "The utility of hotspot
mapping for predicting spatial patterns of crime", *Security Journal* 21, 4-28), each method
ranks every cell of a study area using the **training** period only; the top ``a`` % of the
study-area cells are then the "predicted" cells, and the **test** period's events score them:

* **hit rate** ``= n / N``: the share of the test events (distinct incidents) that fall in the
  predicted cells;
* **PAI**, the predictive accuracy index ``= (n / N) / (a / A)``: hit rate divided by the share
  of the area the predicted cells cover. PAI 1 is what a random choice of cells achieves;
  higher is better. All cells of one resolution have (nearly) the same area, so ``a / A`` is
  the share of cells, ``cells / study_cells``.

``cells`` at ``a`` % is ``max(1, floor(a / 100 * study_cells + 0.5))``. **Ties** at the cut-off
are handled by expectation: when the cut-off falls inside a group of equally ranked cells, the
needed number of them is taken at random, so the hits credited are those of the cells ranked
strictly above plus ``needed / tied`` of the test events of the tied group. This makes the
figures independent of row order and fair to count-based rankings full of ties.

Methods compared (:func:`backtest`):

* ``risk score``: :func:`intel.risk.risk_scores` fitted on the training period;
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
the cells occupied in training *or* test, cut to its land). Only records
whose location precision is usable at the resolution are scored (:mod:`intel.risk`).

Units: distances and bandwidths in km, periods half-open ``[from, to)`` of UTC days, ``area_pct``
in percent of study-area cells.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from intel import periods, risk
from intel.config import check_resolution
from intel.geodesy import EARTH_RADIUS_KM, unit_vectors
from intel.h3cells import cell_centres, edge_km
from intel.hotspots import HotspotError, polygon_cells, study_area

AREA_PCTS = (1.0, 5.0, 10.0)
"""Shares of the study area (percent of cells) at which the rankings are scored."""

METHODS = ("risk score", "previous-period counts", "kernel density")
"""Methods compared by :func:`backtest`, in output order."""

RESULT_COLUMNS = ["method", "area_pct", "cells", "hit_rate", "pai", "hits", "test_events", "study_cells"]
"""Columns of :func:`evaluate` and :func:`backtest` (``intel backtest`` writes them)."""


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


def hits_at(scores, test_counts, k: int) -> float:
    """Test events captured by the ``k`` highest-scoring cells (ties at the cut-off by expectation).

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
    float
        ``sum(test in cells above the cut-off) + (k - above) / tied * sum(test in tied cells)``.
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
    return float(t[above].sum() + (need / tied.sum()) * t[tied].sum())


def evaluate(scores, test_counts, pcts=AREA_PCTS, method: str = "score") -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS`, one row per share: ``cells`` predicted, ``hit_rate`` = hits /
        test events, ``pai`` = hit_rate / (cells / study_cells). NaN when there are no test events.

    Examples
    --------
    Ten cells, the two top-ranked hold 3 of the 5 test events: hit rate 0.6, PAI 0.6 / 0.2 = 3.

    >>> r = evaluate([9, 8, 1, 1, 1, 1, 1, 1, 1, 1], [2, 1, 1, 1, 0, 0, 0, 0, 0, 0], [20]).iloc[0]
    >>> round(float(r["hit_rate"]), 6), round(float(r["pai"]), 6)
    (0.6, 3.0)
    """
    t = np.asarray(test_counts, dtype="float64")
    n = t.size
    total = float(t.sum())
    rows = []
    for p in pcts:
        k = cells_for_pct(n, p)
        hits = hits_at(scores, t, k)
        hr = hits / total if total > 0 else float("nan")
        rows.append({"method": method, "area_pct": float(p), "cells": k, "hit_rate": hr,
                     "pai": hr / (k / n) if total > 0 else float("nan"), "hits": hits,
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


def _incidents_per_cell(recs: pd.DataFrame, cells: np.ndarray) -> np.ndarray:
    s = recs.groupby("cell")["incident_key"].nunique()
    return s.reindex(pd.Index(cells)).fillna(0).to_numpy(float)


def backtest(con, res: int, train, test, area=None, weights: dict | None = None, pcts=AREA_PCTS,
             bandwidth_km: float | None = None, **score_kwargs) -> pd.DataFrame:
    """Fit each method on ``train``, score it on ``test`` (page and CLI entry point).

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution.
    train, test : (date_from, date_to) or str
        Half-open periods, or text in the grammar of :func:`intel.periods.parse_period`
        (``"2015:2019"``: 2015-01-01 to 2020-01-01), both sides required.
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
        ``test_events``, ``bandwidth_km``, ``area``, ``notes``.

    Raises
    ------
    intel.risk.NoPointData, intel.risk.TooCoarse, intel.risk.RiskError
        The area cannot be ranked at ``res``.
    BacktestError
        Overlapping periods, or no usable events in the training or test period.
    ValueError
        ``res`` outside the backtest range, or a period text that cannot be read.
    """
    res = check_resolution(res, "backtest")
    train = periods.parse_period(train, require_both=True) if isinstance(train, str) else tuple(str(x) for x in train)
    test = periods.parse_period(test, require_both=True) if isinstance(test, str) else tuple(str(x) for x in test)
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
    notes = []
    coarse = int((~both["usable"]).sum())
    if coarse:
        notes.append(f"{coarse:,} records were left out because their location is too coarse for resolution {res}.")
    if tr.empty:
        raise BacktestError(f"There are no usable events in the training period {train[0]} to {train[1]}.")
    if te.empty:
        raise BacktestError(f"There are no usable events in the test period {test[0]} to {test[1]}.")
    occ = np.unique(np.concatenate([tr["cell"].to_numpy(dtype="uint64"), te["cell"].to_numpy(dtype="uint64")]))
    try:
        kind = getattr(area, "kind", "data") if area is not None else "data"
        if kind in ("data", "extent"):
            pairs = pd.concat([tr, te])[["cell", "country_iso3"]].drop_duplicates()
            sa = study_area(pairs["cell"].to_numpy(dtype="uint64"), res, kind, con=con,
                            iso3=pairs["country_iso3"].to_numpy(dtype=object),
                            max_cells=score_kwargs.get("max_cells", 400_000))
            cells, desc = sa.cells, sa.description
        else:
            cells = polygon_cells(risk.area_shape(con, area), res, max_cells=score_kwargs.get("max_cells", 400_000))
            desc = f"{area.describe()}: {cells.size:,} cells at resolution {res}"
    except HotspotError as exc:
        raise risk.RiskError(str(exc)) from None
    test_counts = _incidents_per_cell(te, cells)
    out_test = int(te["incident_key"].nunique() - test_counts.sum()) if len(te) else 0
    if out_test > 0:
        notes.append(f"{out_test:,} test events fall outside the study area and are not counted.")
    train_counts = _incidents_per_cell(tr, cells)

    sc = risk.risk_scores(con, res, area, train, weights, study_cells=cells, **score_kwargs)
    score = sc.set_index("cell")["score"].reindex(pd.Index(cells)).fillna(0).to_numpy(float)
    notes += [n for n in sc.attrs.get("notes", []) if "too coarse" not in n]

    h = float(bandwidth_km) if bandwidth_km is not None else default_bandwidth_km(res)
    clat, clon = cell_centres(cells)
    occ_tr = train_counts > 0
    kde = kde_scores(clat, clon, clat[occ_tr], clon[occ_tr], train_counts[occ_tr], h)

    parts = [evaluate(score, test_counts, pcts, METHODS[0]),
             evaluate(train_counts, test_counts, pcts, METHODS[1]),
             evaluate(kde, test_counts, pcts, METHODS[2])]
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(train=train, test=test, res=res, study_cells=int(cells.size),
                    train_events=int(train_counts.sum()), test_events=int(test_counts.sum()),
                    bandwidth_km=h, area=desc, notes=notes, weights=sc.attrs.get("weights"))
    return df


def summary_sentence(df: pd.DataFrame) -> str:
    """One sentence comparing the methods at the largest share (for the page and the CLI)."""
    if df.empty:
        return "No backtest result."
    a = df.attrs
    top = df["area_pct"].max()
    d = df[df["area_pct"] == top].set_index("method")
    parts = [f"{m}: hit rate {d.loc[m, 'hit_rate']:.1%}, PAI {d.loc[m, 'pai']:.2f}" for m in d.index]
    tr, te = a.get("train", ("?", "?")), a.get("test", ("?", "?"))
    return (f"Fitted on {tr[0]} to {tr[1]}, tested on {te[0]} to {te[1]} ({a.get('test_events', 0):,} test events, "
            f"{a.get('study_cells', 0):,} cells at resolution {a.get('res')}); at {top:g} % of the area: "
            + "; ".join(parts) + ".")
