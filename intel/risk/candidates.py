"""The candidate rankings of the fitted method: what competes, and how each is built from one
period's incidents.

Part of the fitted ranking (:mod:`intel.risk.fit` scores these candidates on rolling-origin
validation folds, chooses one and names every public name here too, so ``fit.CANDIDATES`` and
``from intel.risk.fit import candidate_parts`` keep working). This module holds the candidates,
simplest first (:data:`CANDIDATES`: previous-period counts, counts with their ties broken by
kernel density, decayed counts or the risk score, blends of counts and decayed counts, decayed
counts, kernel density, the risk score and the near-repeat rankings), their settings
(:data:`HALF_LIVES_DAYS`, :data:`KDE_FACTORS`, :data:`NEAR_REPEAT_HALF_LIVES_DAYS`,
:data:`TIES_NARROW_FACTOR`), the tie-breaks (:data:`TIE_BREAKS`, the ensemble :data:`TIES_MEAN`
of :data:`TIES_MEAN_OF`) and the builders: :func:`candidate_parts` (each candidate as named
parts, :data:`RANKING_PARTS`) and :func:`candidate_rankings` (their sums). The inputs (incidents
per cell, decayed counts, kernel density) come from :mod:`intel.risk.density`, the mean-rank
tie-break from :mod:`intel.risk.tiebreaks`; it reads no store.

Units: bandwidths in km, ages and half-lives in days.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.h3cells import cell_centres
from intel.hotspots import neighbour_matrix
from intel.risk.density import decayed_counts, kde_scores, per_cell
from intel.risk.tiebreaks import mean_rank_parts

__all__ = ["HALF_LIVES_DAYS", "KDE_FACTORS", "NEAR_REPEAT_HALF_LIVES_DAYS", "RANKING_PARTS", "COUNTS", "TIES_NARROW",
           "TIES_NARROW_FACTOR", "CANDIDATES", "TIE_BREAKS", "TIES_MEAN", "TIES_MEAN_OF", "candidate_parts",
           "candidate_rankings"]

HALF_LIVES_DAYS = (365.0, 730.0, 1460.0)
"""Half-lives (days) of the decayed-count candidates of the fitted method."""

KDE_FACTORS = (0.5, 1.0, 2.0)
"""Bandwidths of the kernel-density candidates, as multiples of :func:`~intel.risk.density.default_bandwidth_km`."""

NEAR_REPEAT_HALF_LIVES_DAYS = (30.0, 90.0)
"""Half-lives (days) of the triggering term of the near-repeat candidates (:func:`candidate_parts`).

They do not compete by default (``near_repeat=False``): on the bundled Toronto incidents (three
splits, train 2015-2019 / test 2020-2023, 2010-2014 / 2015-2019, 2013-2017 / 2018-2021, at
resolutions 7, 8 and 9) they beat previous-period counts by more than one standard error in the
validation year in 2 of 9 cases, were chosen once (resolution 9, first split), and there the
fitted ranking did worse out of sample with them than without (mean test hit rate over 1, 5 and
10 % of the area 34.4 % against 34.6 %). With the rolling-origin fit (eight splits, resolutions 8
and 9) letting them compete made the fitted ranking at least the counts in 45 of 48 combinations
(largest loss 4.8 test events) against 46 of 48 (largest loss 1.8) without them."""

RANKING_PARTS = ("counts", "decayed", "density", "near_repeat", "risk")
"""Names of the parts a candidate ranking is the sum of (:func:`candidate_parts`)."""

COUNTS = "previous-period counts"
TIES_NARROW = "counts, ties by kernel density (0.5x bandwidth)"
"""The tie-break by the narrower kernel (:data:`TIES_NARROW_FACTOR` times the default bandwidth).

A tie at the cut-off is broken by what lies next to the tied cells: at resolution 9 the default
bandwidth (0.5 km, the floor of :func:`~intel.risk.density.default_bandwidth_km`) reaches two to three rings of cells,
so a cell in a wide, moderately busy district can outrank one beside a single hot cell; the
narrower kernel (0.25 km at resolution 9, 0.53 km at 8) weighs the immediate neighbours. It is
listed before the default-bandwidth tie-break, so when the two do about equally well in
validation the narrower one is taken (:func:`~intel.risk.fit.fit_ranking`, :func:`~intel.risk.fit.share_ties`). Measured, with the
rule of the time (one tie-break for all shares, ``--rule fitted-pooled-ties``), with
``bench/backtest_grid.py`` on the bundled Toronto incidents (8 splits x resolutions 8, 9 x 1, 5,
10 % of the area): the fitted ranking found at least as many test events as previous-period
counts in 48 of 48 combinations (total gain +117.7 events) against 47 of 48 without it
(largest loss 2.4 of 288 events, total gain +107.7); on 9 further splits not used to pick it,
53 of 54 (largest loss 1.8 of 725 events) against 52 of 54 (largest loss 0.8 of 799), total gain +84.6
against +70.2."""

TIES_NARROW_FACTOR = 0.5
"""Bandwidth of :data:`TIES_NARROW` as a multiple of the default bandwidth (one of :data:`KDE_FACTORS`)."""

CANDIDATES = (
    COUNTS,
    TIES_NARROW,
    "counts, ties by kernel density",
    "counts, ties by decayed counts (730 d)",
    "counts, ties by risk score",
    *(f"half counts, half decayed counts ({h:g} d)" for h in sorted(HALF_LIVES_DAYS, reverse=True)),
    *(f"decayed counts, half-life {h:g} d" for h in sorted(HALF_LIVES_DAYS, reverse=True)),
    *(f"kernel density {f:g}x bandwidth" for f in KDE_FACTORS),
    "risk score",
    *(f"near-repeat, triggering half-life {h:g} d" for h in NEAR_REPEAT_HALF_LIVES_DAYS),
)
"""Candidate rankings of the fitted method, simplest first: previous-period counts, counts with
their ties broken (same order otherwise), counts shrunk half-way toward decayed counts, then
rankings that replace the counts (the longest half-life, closest to the counts, first). The fit
prefers the earlier of two candidates that do about equally well (:func:`~intel.risk.fit.fit_ranking`)."""

TIE_BREAKS = (TIES_NARROW, "counts, ties by kernel density", "counts, ties by decayed counts (730 d)",
              "counts, ties by risk score")
"""The candidates that keep the order of the counts and only break their ties (:func:`~intel.risk.fit.share_ties`)."""

TIES_MEAN = "counts, ties by mean rank of the tie-breaks"
"""Counts, their ties ordered by the mean within-tie rank of the tie-breakers of :data:`TIES_MEAN_OF`
(:mod:`intel.risk.tiebreaks`). Not a candidate of the pooled choice: it competes only share by
share, where no single tie-break is eligible (:func:`~intel.risk.fit.share_ties`). Averaging noisy orderings
lowers the variance of the order, so a signal the tie-breakers share can clear the
standard-error bar where none of them does alone. With ``bench/backtest_grid.py`` (``fitted``
against ``fitted-single-tiebreak``, grid / holdout / short / extra splits): the same combinations
at least the counts (48, 53, 57, 60) and kernel density (all), the same losses, total gain over
the counts +324.2 / +295.3 / +310.8 / +378.8 hits against +325.2 / +242.0 / +310.8 / +352.5.
The mean as the only tie-break, or ties broken only where the tie-breakers agree, did worse
(``ties-mean-only``, ``ties-agree-all``, ``ties-agree-majority`` in the bench's ``RULES``)."""

TIES_MEAN_OF = TIE_BREAKS[:3]
"""The tie-breakers :data:`TIES_MEAN` averages: those built from the incidents alone (the risk
score, given only to the refitted ranking, would make the ensemble differ from the validated one)."""


def _unit(x: np.ndarray) -> np.ndarray:
    """``x / max(x)`` (zeros when the maximum is not positive)."""
    x = np.nan_to_num(np.asarray(x, float))
    m = x.max() if x.size else 0.0
    return x / m if m > 0 else np.zeros_like(x)


def candidate_parts(inc: pd.DataFrame, cells: np.ndarray, end, bandwidth_km: float,
                    score=None, near_repeat: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """Every candidate ranking of :data:`CANDIDATES` (and :data:`TIES_MEAN`) from one period's incidents, as parts.

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
        cells of equal count; :data:`TIES_MEAN` is ``counts + 0.5 * mean rank`` split over the
        ``density`` and ``decayed`` parts (:func:`intel.risk.tiebreaks.mean_rank_parts`). The
        near-repeat candidates are ``counts + sum over the cell and its ring-1 neighbours of
        0.5 ** (age / h)`` with a short half-life ``h``: a stationary
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
    out[TIES_NARROW] = {"counts": counts, "density": 0.5 * _unit(kde[TIES_NARROW_FACTOR])}
    out["counts, ties by kernel density"] = {"counts": counts, "density": 0.5 * _unit(kde[1.0])}
    out["counts, ties by decayed counts (730 d)"] = {"counts": counts, "decayed": 0.5 * _unit(dec[730.0])}
    if score is not None:
        out["counts, ties by risk score"] = {"counts": counts, "risk": 0.5 * _unit(score)}
    x = (("density", kde[TIES_NARROW_FACTOR]), ("density", kde[1.0]), ("decayed", dec[730.0]))
    out[TIES_MEAN] = mean_rank_parts(counts, dict(zip(TIES_MEAN_OF, x)))
    tot = float(counts.sum())
    for h in HALF_LIVES_DAYS:
        ds = float(dec[h].sum())
        scaled = dec[h] * (tot / ds) if ds > 0 else np.zeros_like(counts)
        out[f"half counts, half decayed counts ({h:g} d)"] = {"counts": 0.5 * counts, "decayed": 0.5 * scaled}
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
