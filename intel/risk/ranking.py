"""The ranking the planner uses: fitted on the plan's own period, explained by parts that add up.

Why
---
The planner ranks places for operations, so its ranking should be the one that finds the next
events best. The backtest (:mod:`intel.backtest`) compares the weighted risk score with a
**fitted** ranking and two baselines; on the bundled Toronto incidents (three training / test
splits, resolutions 7-9, 1, 5 and 10 % of the area) the fitted ranking's hit rate is at least
that of previous-period counts and of kernel density in every combination, while the risk score
with its default weights falls below previous-period counts in most of them. The planner
therefore ranks by the fitted ranking by default (:data:`DEFAULT_RANKING`); the weighted risk
score stays available (``ranking="risk score"``) and its seven components stay beside every
target as the explanation.

How (no look-ahead)
-------------------
:func:`target_scores` takes the risk scores of the plan's period ``[date_from, date_to)``
(:func:`intel.risk.scores.risk_scores`) and calls :func:`intel.risk.fit.fit_ranking` on the
incidents of that period only: the last 365 days of it are the validation period, every
candidate (previous-period counts, decayed counts, kernel density, the risk score, blends that
break the ties of the counts) is built from the days before and scored there, and the winner
(previous-period counts unless a candidate gains more than one standard error) is refitted on
the whole period. Nothing after ``date_to`` is read, so the same plan made later, with more
records in the store, gives the same ranking.

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
from intel.risk.fit import COUNTS, candidate_parts, default_bandwidth_km, fit_ranking, incidents_of_records
from intel.risk.records import area_records
from intel.risk.scores import risk_scores

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
        ``fitted`` (default): :func:`intel.risk.fit.fit_ranking` on the period (its last 365
        days as validation), refitted on the whole period; ``risk score``: the weighted score.
    weights : dict, optional
        Risk-score weights (for the risk-score candidate on the inner split).
    **score_kwargs
        Passed to :func:`intel.risk.scores.risk_scores` for the inner split (e.g.
        ``half_life_days``, ``crossings``).

    Returns
    -------
    pandas.DataFrame
        ``scores`` with ``risk_score`` (the weighted risk score), the part columns
        :data:`ALL_PTS` and ``score`` replaced by the planner's ranking (best cell 1 for the
        fitted ranking), sorted best first (ties by cell id). ``attrs`` as ``scores`` plus
        ``ranking`` (``fitted`` or ``risk score``), ``ranking_choice`` (the candidate used),
        ``ranking_sentence`` (one plain sentence: which ranking and why), ``ranking_fit`` (the
        validation table as a list of dicts) and ``ranking_validation`` (ISO dates or None).

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

    def score_fn(p):
        s = risk_scores(con, res, area, p, weights, study_cells=cells_sorted, **score_kwargs)
        return s.set_index("cell")["score"].reindex(pd.Index(cells_sorted)).fillna(0).to_numpy(float)

    fit = fit_ranking(inc, cells_sorted, period, h, score_fn=score_fn)
    choice = fit["choice"]
    parts = candidate_parts(inc, cells_sorted, period[1], h, risk_now)[choice]
    back = np.empty_like(order)
    back[order] = np.arange(n)                       # sorted position of each row of df
    parts = {k: np.asarray(v, float)[back] for k, v in parts.items()}
    new = parts_to_score(parts, df[[f"{c}_pts" for c in COMPONENTS]].reset_index(drop=True), df["risk_score"].to_numpy(float))
    for c in new.columns:
        df[c] = new[c].to_numpy()
    df = df.sort_values(["score", "cell"], ascending=[False, True], kind="stable").reset_index(drop=True)
    v = fit["validation"]
    if v is None:
        why = "the period is not longer than a year, so there is no validation year and the simplest baseline is used"
    elif choice == COUNTS:
        why = (f"no candidate learnt from the period before {v[0]} found clearly more events than these counts in "
               f"its last year ({v[0]} to {v[1]})")
    else:
        why = (f"it was learnt from the period before {v[0]} and found clearly more events than the counts of the "
               f"period in its last year ({v[0]} to {v[1]})")
    sentence = (f"Ranked by the fitted ranking ({choice}) because {why}. The weighted risk score's components stay "
                "beside each target as the explanation; the backtest (Planner page, `intel backtest`) compares this "
                "ranking with both baselines on this area's own records.")
    attrs.update(ranking="fitted", ranking_choice=choice, ranking_fit=fit["table"].to_dict("records"),
                 ranking_validation=v, ranking_note=fit["note"],
                 ranking_sentence=sentence)
    df.attrs = attrs
    return df
