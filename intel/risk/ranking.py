"""The ranking the planner uses: fitted on the plan's own period, explained by parts that add up.

Why
---
The planner ranks places for operations, so its ranking should be the one that finds the next
events best. The backtest (:mod:`intel.backtest`) compares the weighted risk score with a
**fitted** ranking and two baselines. On the bundled Toronto incidents (``bench/backtest_grid.py``:
eight training / test splits of 5 training years and the following 1-4 test years, from
2004:2008 / 2009:2012 to 2018:2022 / 2023, including 2015:2019 / 2020:2023, resolutions 8 and 9,
1, 5 and 10 % of the area) the fitted ranking's hit rate is at least that of kernel density and
of previous-period counts in all 48 combinations. On nine further splits (``--splits holdout``)
it is at least the counts in 53 of 54 (the loss: 1.8 of 725 test events at resolution 9, 5 %,
where it breaks the counts' ties by kernel density) and at least kernel density in all 54; on
ten splits with 3- and 4-year training periods (``--splits short``) at least the counts in 57 of
60 (largest loss 2.4 of 345 events) and kernel density in all 60, while the risk score with its
default weights falls below previous-period counts in most of them. The planner
therefore ranks by the fitted ranking by default (:data:`DEFAULT_RANKING`); the weighted risk
score stays available (``ranking="risk score"``) and its seven components stay beside every
target as the explanation.

How (no look-ahead)
-------------------
:func:`target_scores` takes the risk scores of the plan's period ``[date_from, date_to)``
(:func:`intel.risk.scores.risk_scores`) and calls :func:`intel.risk.fit.fit_ranking` on the
incidents of that period only: each of its last three years (rolling origin,
:func:`intel.risk.fit.validation_folds`) is a validation year, every candidate (previous-period
counts, counts with their ties broken by kernel density (half and whole default bandwidth) or decayed counts, counts shrunk half-way
toward decayed counts, decayed counts, kernel density) is built from the days before it and
scored there, and the winner (previous-period counts unless a candidate gains more than one
standard error pooled over the years and gains in each of them; of the candidates within one
standard error of the best, the simplest) is refitted on the whole period. When the winner is
the counts or counts with their ties broken, the tie at the cut-off of each share of the area
(1, 5, 10 %) is broken share by share, by the tie-break that did better than the counts at that
share in the validation years, or where no single one did, by the mean of their ranks within the
tie if it did (:func:`intel.risk.fit.share_ties`, :func:`intel.risk.fit.fitted_parts`). The candidates are
built from the incidents alone, so the risk score is computed once, for the explanation, and
not again per validation year. Nothing after ``date_to`` is read, so the same plan made later,
with more records in the store, gives the same ranking.

Parts that add up
-----------------
A candidate ranking is a sum of named parts (:func:`intel.risk.fit.candidate_parts`): counts,
decayed counts, kernel density and the risk score. The target ``score`` is that sum divided by
its largest value (the best cell scores 1), and the columns ``counts_pts``, ``decayed_pts``,
``density_pts`` (:data:`RANKING_PTS`) and the seven ``<component>_pts`` of the risk score
(scaled by the share the risk score has in the ranking, 0 when it takes no part) add up to the
score in every cell. ``risk_score`` keeps the weighted risk score itself, and the component
columns (``intensity``, ``hotspot``, ...) their values in [0, 1].
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.risk.components import COMPONENTS
from intel.risk.fit import (COUNTS, candidate_parts, default_bandwidth_km, fit_ranking, fitted_parts,
                            incidents_of_records)
from intel.risk.records import area_records

RANKINGS = ("fitted", "risk score")
"""Rankings the planner can use: the fitted ranking, or the weighted risk score."""

DEFAULT_RANKING = "fitted"
"""The planner's default ranking (it beat both baselines out of sample; see the module overview)."""

RANKING_PTS = ["counts_pts", "decayed_pts", "density_pts"]
"""Parts of a fitted ranking besides the risk score's seven ``<component>_pts``."""

ALL_PTS = RANKING_PTS + [f"{c}_pts" for c in COMPONENTS]
"""Every part column; in every cell they add up to ``score``."""


def parts_to_score(parts: dict[str, np.ndarray], risk_pts: pd.DataFrame, risk_score: np.ndarray) -> pd.DataFrame:
    """Target score and its parts from one candidate's parts (the arithmetic of :func:`target_scores`).

    Parameters
    ----------
    parts : dict
        ``{part: value per cell}`` with part names of :data:`intel.risk.fit.RANKING_PARTS`
        (``counts``, ``decayed``, ``density``, ``risk``), arrays of shape (n,), non-negative.
    risk_pts : pandas.DataFrame
        The seven ``<component>_pts`` columns of the risk score, n rows (they add up to
        ``risk_score``).
    risk_score : array of float, shape (n,)
        The risk score per cell.

    Returns
    -------
    pandas.DataFrame
        :data:`ALL_PTS` and ``score`` (n rows): ``<part>_pts = part / M`` with ``M`` the largest
        sum of the parts over the cells (so the best cell scores 1; all 0 when ``M`` is 0); the
        risk part is spread over the seven component parts in proportion to their share of the
        risk score of the cell. ``score`` is the sum of the parts.

    Raises
    ------
    ValueError
        An unknown part name or a part of the wrong length.
    """
    rs = np.asarray(risk_score, float)
    n = rs.size
    for k, v in parts.items():
        if k not in ("counts", "decayed", "density", "risk"):
            raise ValueError(f"unknown ranking part {k!r}")
        if np.asarray(v).shape != (n,):
            raise ValueError("every ranking part needs one value per cell")
    total = np.sum([np.asarray(v, float) for v in parts.values()], axis=0) if parts else np.zeros(n)
    m = float(total.max()) if n else 0.0
    scale = 1.0 / m if m > 0 else 0.0
    out = pd.DataFrame(index=range(n))
    for k in ("counts", "decayed", "density"):
        out[f"{k}_pts"] = np.asarray(parts.get(k, np.zeros(n)), float) * scale
    risk = np.asarray(parts.get("risk", np.zeros(n)), float) * scale
    share = np.divide(risk, rs, out=np.zeros(n), where=rs > 0)   # risk part per unit of risk score
    for c in COMPONENTS:
        out[f"{c}_pts"] = risk_pts[f"{c}_pts"].to_numpy(float) * share
    out["score"] = out[ALL_PTS].sum(axis=1)
    return out


def target_scores(con, res: int, area, scores: pd.DataFrame, ranking: str = DEFAULT_RANKING,
                  weights: dict | None = None, **score_kwargs) -> pd.DataFrame:
    """Re-rank the cells of a risk-score table by the planner's ranking, with parts that add up.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution of ``scores``.
    area : intel.risk.Area or None
        The area ``scores`` was computed for.
    scores : pandas.DataFrame
        :func:`intel.risk.scores.risk_scores` of the plan's period (``attrs['date_from']`` and
        ``attrs['date_to']`` give the half-open period; ``cell`` the study area).
    ranking : {'fitted', 'risk score'}
        ``fitted`` (default): :func:`intel.risk.fit.fit_ranking` on the period (its last
        years as validation folds), refitted on the whole period; ``risk score``: the
        weighted score.
    weights : dict, optional
        Accepted for the callers' convenience; the fitted candidates do not use the risk
        score's weights (``scores`` already carries the weighted score).
    **score_kwargs
        Accepted and ignored, as ``weights``.

    Returns
    -------
    pandas.DataFrame
        ``scores`` with ``risk_score`` (the weighted risk score), the part columns
        :data:`ALL_PTS` and ``score`` replaced by the planner's ranking (best cell 1 for the
        fitted ranking), sorted best first (ties by cell id). ``attrs`` as ``scores`` plus
        ``ranking`` (``fitted`` or ``risk score``), ``ranking_choice`` (the ranking used: ``ranking`` of
        :func:`intel.risk.fit.fit_ranking`),
        ``ranking_sentence`` (one plain sentence: which ranking and why), ``ranking_fit`` (the
        validation table as a list of dicts), ``ranking_validation`` (ISO dates from the start
        of the earliest validation year to the end of the period, or None) and
        ``ranking_folds`` (the validation years, latest first).

    Raises
    ------
    ValueError
        An unknown ``ranking``.
    """
    if ranking not in RANKINGS:
        raise ValueError(f"unknown ranking {ranking!r}; use one of {', '.join(RANKINGS)}")
    df = scores.copy()
    attrs = dict(scores.attrs)
    df["risk_score"] = df["score"].to_numpy(float)
    n = len(df)
    if ranking == "risk score" or n == 0:
        for c in RANKING_PTS:
            df[c] = 0.0
        attrs.update(ranking="risk score", ranking_choice="risk score", ranking_fit=[], ranking_validation=None,
                     ranking_folds=[],
                     ranking_sentence=("Ranked by the weighted risk score (the weights shown), as asked; the backtest "
                                       "below compares it with the fitted ranking and both baselines."))
        df.attrs = attrs
        return df
    period = (attrs["date_from"], attrs["date_to"])
    cells = df["cell"].to_numpy(dtype="uint64")
    order = np.argsort(cells, kind="stable")
    cells_sorted = cells[order]
    recs = area_records(con, res, area, *period)
    inc = incidents_of_records(recs[recs["usable"]])
    inc = inc[np.isin(inc["cell"].to_numpy(dtype="uint64"), cells_sorted)]
    h = default_bandwidth_km(res)
    risk_now = df["score"].to_numpy(float)[order]
    # the candidates are built from the incidents only, so the risk score is computed once (by the
    # caller) and not again for every validation fold
    fit = fit_ranking(inc, cells_sorted, period, h)
    choice = fit["ranking"]
    parts = fitted_parts(candidate_parts(inc, cells_sorted, period[1], h, risk_now), fit)
    back = np.empty_like(order)
    back[order] = np.arange(n)                       # sorted position of each row of df
    parts = {k: np.asarray(v, float)[back] for k, v in parts.items()}
    new = parts_to_score(parts, df[[f"{c}_pts" for c in COMPONENTS]].reset_index(drop=True), df["risk_score"].to_numpy(float))
    for c in new.columns:
        df[c] = new[c].to_numpy()
    df = df.sort_values(["score", "cell"], ascending=[False, True], kind="stable").reset_index(drop=True)
    v, nf = fit["validation"], len(fit.get("folds") or [])
    years = f"each of its last {nf} years" if nf > 1 else "its last year"
    if v is None or nf == 0:
        why = "the period is too short or too sparse for a validation year, so the simplest baseline is used"
    elif fit["choice"] == COUNTS and choice == COUNTS:
        why = (f"no candidate learnt from the days before {years} ({v[0]} to {v[1]}) found clearly more events "
               "than these counts there")
    else:
        why = (f"learnt from the days before {years} ({v[0]} to {v[1]}), it found clearly more events than the "
               f"counts of the period there{' and fewer in none of them' if nf > 1 else ''}")
    sentence = (f"Ranked by the fitted ranking ({choice}) because {why}. The weighted risk score's components stay "
                "beside each target as the explanation; the backtest (Planner page, `intel backtest`) compares this "
                "ranking with both baselines on this area's own records.")
    attrs.update(ranking="fitted", ranking_choice=choice, ranking_fit=fit["table"].to_dict("records"),
                 ranking_validation=v, ranking_folds=list(fit.get("folds") or []), ranking_note=fit["note"],
                 ranking_sentence=sentence)
    df.attrs = attrs
    return df
