"""The fitted ranking: candidate rankings of cells, scored by hit rate and PAI on a validation split.

Part of the analyses (``risk/`` in the README's layout table), under both its users: the planner's
ranking (:mod:`intel.risk.ranking`) calls :func:`fit_ranking` on the period it ranks, and the
backtest (:mod:`intel.backtest`) scores the same candidates and baselines on a later test period.
The method (hit rate, PAI, ties by expectation, the candidates and the rolling-origin validation folds) is
described in the overview of :mod:`intel.backtest`; how a ranking is scored (hits, PAI, paired
gains) lives in :mod:`intel.risk.hits`, the candidates themselves (what competes, and each built
from one period's incidents: ``CANDIDATES``, ``candidate_parts``, ``candidate_rankings``) in
:mod:`intel.risk.candidates`, their inputs (incidents per cell, decayed counts, kernel density)
in :mod:`intel.risk.density`, and this module re-exports all three for its callers; it keeps the
choice: the validation folds, the eligibility rules, the share-by-share tie-breaks and the fitted
ranking's parts. It reads no store and imports only those three and :mod:`intel.risk.tiebreaks`
of its package, so :mod:`intel.risk` can import it without importing :mod:`intel.backtest` (which
imports :mod:`intel.risk`).

Units: distances and bandwidths in km, ages and half-lives in days, ``area_pct`` in percent of
study-area cells.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# the candidates, named here too: ``fit.CANDIDATES`` and ``from intel.risk.fit import candidate_parts`` keep working
from intel.risk.candidates import (CANDIDATES, COUNTS, HALF_LIVES_DAYS, KDE_FACTORS,  # noqa: F401
                                   NEAR_REPEAT_HALF_LIVES_DAYS, RANKING_PARTS, TIE_BREAKS, TIES_MEAN, TIES_MEAN_OF,
                                   TIES_NARROW, TIES_NARROW_FACTOR, candidate_parts, candidate_rankings)
from intel.risk.density import (decayed_counts, default_bandwidth_km, incidents_of_records,  # noqa: F401
                                kde_scores, per_cell)
from intel.risk.hits import (AREA_PCTS, RESULT_COLUMNS, cell_hit_shares, cells_for_pct, evaluate,  # noqa: F401
                             hit_parts, hits_at, paired_gain, pooled_gain)
from intel.risk.tiebreaks import mean_rank_parts  # noqa: F401 - the example of share_ties uses it

VALIDATION_FOLDS = 3
"""Largest number of rolling-origin validation folds (the last years of the training period,
:func:`validation_folds`). One validation year let noise through: the best of about fifteen
candidates in a single year is biased upward, and on the bundled Toronto incidents a
one-year fit left previous-period counts for a candidate that then lost to them out of sample
(e.g. train 2016-2019: the risk score, +2.2 % +- 2.0 % in 2019, then 22-36 fewer hits in
2020-2023 at resolution 8)."""

SE_RULE = 1.0
"""A candidate must beat previous-period counts by more than this many standard errors of the
pooled gain to be eligible (:func:`fit_ranking`)."""

REQUIRE_EVERY_FOLD = True
"""An eligible candidate must also find at least as many events as previous-period counts in
every validation fold at every share of the area: the claim the backtest checks out of sample
("at least the counts' hit rate at 1, 5 and 10 %"), checked year by year in training. A fold where
neither knows of a change (e.g. before new places appear) is a draw, not a loss. On the bundled
Toronto incidents (8 splits x resolutions 8, 9 x 1, 5, 10 %) this condition made the fitted
ranking at least the counts in 46 of 48 combinations (largest loss 1.8 of 1,596 test events);
asking only for no loss in the mean over the shares gave 42 of 48 (largest loss 4.4) but twice
the total gain (+431 against +250 hits), and one validation year alone gave 36 of 48 (largest
loss 36 hits). The figures are in the closing note of issue 16."""

SHARE_TIES_SE_RULE = 3.0
"""Standard errors a tie-break must clear at one share of the area to break the counts' tie there
when the fit keeps plain previous-period counts (:func:`share_ties`); when the fit chose a
tie-break, one standard error (:data:`SE_RULE`) as in the choice itself.

A tie at a share's cut-off is broken, or not, share by share: which cells of one count make the
cut-off at 1 % says nothing about those that make it at 10 % (other counts, other places). The
rule that chose one tie-break for all shares at once kept plain counts wherever one share in one
fold lost, and broke every share's ties wherever none did. Measured with ``bench/backtest_grid.py``
on the bundled Toronto incidents (rules ``fitted-single-tiebreak``, this rule before :data:`TIES_MEAN`,
and ``fitted-pooled-ties``, the former rule):
on the 8 grid splits 48 of 48 combinations at least the counts and 48 of 48 at least kernel
density either way, total gain over the counts +325.2 hits against +117.7; on the 9 holdout splits
53 of 54 and 54 of 54 against 53 and 52 (the losses to kernel density at 2005-2009 / 2010,
resolution 9, came from a tie-break left out for its loss at 1 % in one fold), gain +242.0 against
+84.6; on the 10 short splits 57 of 60 and 60 of 60 against 54 and 60, gain +310.8 against +187.1.
The largest losses to the counts are unchanged (1.8 and 2.4 events). Three standard errors when
the fit keeps the counts: with two, the counts' lead fell to 52 of 54 on the holdout splits."""



def validation_folds(train, folds: int = VALIDATION_FOLDS) -> list[tuple[str, str]]:
    """Rolling-origin validation periods at the end of a training period, latest first.

    Fold ``k`` (k = 1, 2, ...) validates on the ``k``-th last year of ``train``, ``[t1 - k years,
    t1 - (k - 1) years)`` (calendar years: same month and day), and is fitted on the training
    days before it (from ``t0``). The first fold needs at least one day to fit on; every further
    fold needs at least a year, so no fold is fitted on a stub.

    Parameters
    ----------
    train : (str, str)
        Training period ``[t0, t1)``, ISO dates.
    folds : int
        Largest number of folds.

    Returns
    -------
    list of (str, str)
        Half-open validation periods, ISO dates, the latest first (empty when the training
        period is not longer than a year).

    Examples
    --------
    >>> validation_folds(("2017-01-01", "2020-01-01"))
    [('2019-01-01', '2020-01-01'), ('2018-01-01', '2019-01-01')]
    """
    t0, t1 = pd.Timestamp(train[0]), pd.Timestamp(train[1])
    out = []
    for k in range(1, int(folds) + 1):
        v1, v0 = t1 - pd.DateOffset(years=k - 1), t1 - pd.DateOffset(years=k)
        if v0 <= t0 or (k > 1 and v0 < t0 + pd.DateOffset(years=1)):
            break
        out.append((v0.date().isoformat(), v1.date().isoformat()))
    return out


def share_ties(ranks, vcs, missed, choice: str, pcts=AREA_PCTS, candidates=CANDIDATES, mean: bool = True) -> dict:
    """The tie-break, if any, that orders the counts' tie at each share's cut-off (validation folds only).

    At each share ``p`` of ``pcts`` the candidates of :data:`TIE_BREAKS` are compared with
    previous-period counts at that share alone: a tie-break is **eligible** at ``p`` when its gain
    pooled over the folds (:func:`pooled_gain` with ``[p]``) exceeds :data:`SE_RULE` standard
    errors if ``choice`` is a tie-break, :data:`SHARE_TIES_SE_RULE` if it is plain counts, and it
    finds fewer events than the counts at ``p`` in no fold. Of the eligible ones within one
    standard error of the best, the first in :data:`CANDIDATES` order. When none is eligible, the
    ensemble :data:`TIES_MEAN` if it is eligible by the same test (``mean`` true and every
    tie-breaker of :data:`TIES_MEAN_OF` among ``candidates``); otherwise none (the tie stays,
    shared by expectation).

    Parameters
    ----------
    ranks : sequence of dict
        Per fold, ``{candidate name: ranking value per cell}`` (:func:`candidate_rankings`).
    vcs : sequence of arrays of float
        Validation events per cell, one array per fold.
    missed : sequence of float
        Validation events outside the study area, per fold.
    choice : str
        The candidate chosen on all shares pooled (:func:`fit_ranking`); any other than counts or
        a tie-break leaves no tie to break (empty result).
    pcts : sequence of float
        Area shares in percent.
    candidates : sequence of str
        The candidates that compete (only their tie-breaks are tried).
    mean : bool
        Let :data:`TIES_MEAN` compete where no single tie-break is eligible.

    Returns
    -------
    dict
        ``{pct: tie-break name or None}`` (empty when ``choice`` is neither counts nor a tie-break).

    Examples
    --------
    Five cells of count 1, one to take (20 %): each tie-breaker puts another cell first and loses in
    some fold; all three rank the first cell second, so the mean rank puts it first, and it holds
    two events in both folds (gain 0.38, standard error 0.32).

    >>> c, v = np.ones(5), [np.array([2.0, 1, 0, 0, 0]), np.array([2.0, 0, 1, 0, 1])]
    >>> x = [[2.0, 3, 1, 0, 0], [2.0, 1, 3, 0, 0], [2.0, 0, 1, 3, 0]]
    >>> r = {COUNTS: c, **{n: c + 0.1 * np.array(xi) for n, xi in zip(TIES_MEAN_OF, x)}}
    >>> r[TIES_MEAN] = sum(mean_rank_parts(c, {n: ("density", xi) for n, xi in zip(TIES_MEAN_OF, x)}).values())
    >>> share_ties([r, r], v, [0, 0], TIES_NARROW, (20,))
    {20.0: 'counts, ties by mean rank of the tie-breaks'}
    """
    if choice != COUNTS and choice not in TIE_BREAKS:
        return {}
    rule = SE_RULE if choice in TIE_BREAKS else SHARE_TIES_SE_RULE
    names = [c for c in CANDIDATES if c in TIE_BREAKS and c in candidates and all(c in r for r in ranks)]
    use_mean = mean and all(c in candidates for c in TIES_MEAN_OF) and all(TIES_MEAN in r for r in ranks)
    out = {}
    for p in pcts:
        ok = []
        for name in names + ([TIES_MEAN] if use_mean else []):
            if ok and name == TIES_MEAN:
                break                                   # the ensemble only where no single one is eligible
            gain, se = pooled_gain([r[name] for r in ranks], [r[COUNTS] for r in ranks], vcs, [p], missed)
            worst = min(paired_gain(r[name], r[COUNTS], vc, [p], m)[0] for r, vc, m in zip(ranks, vcs, missed))
            se = se if np.isfinite(se) else np.inf
            if gain > se * rule + 1e-12 and worst >= -1e-12:
                ok.append((name, gain, se))
        if ok:
            best = max(ok, key=lambda x: x[1])
            out[float(p)] = next(n for n, g, _ in ok if g >= best[1] - best[2] - 1e-12)
        else:
            out[float(p)] = None
    return out


def fitted_parts(parts: dict, fit: dict, pcts=AREA_PCTS) -> dict[str, np.ndarray]:
    """The parts of the fitted ranking from every candidate's parts of the whole period.

    Parameters
    ----------
    parts : dict
        :func:`candidate_parts` of the period the ranking is for (the whole training period).
    fit : dict
        :func:`fit_ranking`'s result.
    pcts : sequence of float
        The shares ``fit`` was chosen at.

    Returns
    -------
    dict
        ``{part name: value per cell}``. When the share-by-share ties add nothing to the choice
        (:func:`ranking_label` is ``fit["choice"]``: no ties, plain counts with none broken, or the
        chosen tie-break at every share) the parts of ``fit["choice"]``, all its ties broken.
        Otherwise the counts, plus for each share ``p`` with a tie-break
        ``fit["ties"][p]`` that tie-break's part on the cells of the count at the cut-off of ``p``
        (the ``k``-th largest count, :func:`cells_for_pct`) and zero elsewhere; when two shares cut
        at the same count, the first of them with a tie-break orders it. The other counts keep their ties.
    """
    ties = fit.get("ties") or {}
    if ranking_label(fit["choice"], ties) == fit["choice"]:
        return dict(parts[fit["choice"]])
    counts = np.asarray(parts[COUNTS]["counts"], float)
    out: dict[str, np.ndarray] = {"counts": counts}
    done = set()
    for p in sorted(ties):
        name = ties[p]
        k = cells_for_pct(counts.size, p)
        thr = float(-np.partition(-counts, k - 1)[k - 1])
        if name is None or thr in done:
            continue
        done.add(thr)
        grp = counts == thr
        for part, v in parts[name].items():
            if part == "counts":
                continue
            out[part] = out.get(part, np.zeros_like(counts)) + np.where(grp, np.asarray(v, float), 0.0)
    return out


def ranking_label(choice: str, ties: dict) -> str:
    """Name of the fitted ranking: ``choice`` when the share-by-share ties (:func:`share_ties`) add
    nothing to it (none, none broken after plain counts, or ``choice``'s own tie-break at every
    share; :func:`fitted_parts` then gives ``choice`` itself), else
    ``"counts, ties by share (1 %: <tie-break or none>; ...)"``."""
    if not ties or all(t == choice for t in ties.values()) or (choice == COUNTS and not any(ties.values())):
        return choice
    short = {n: n.replace("counts, ties by ", "") if n else "none" for n in ties.values()}
    return "counts, ties by share (" + "; ".join(f"{p:g} %: {short[t]}" for p, t in ties.items()) + ")"


def fitted_ranking(parts: dict, fit: dict, pcts=AREA_PCTS) -> np.ndarray:
    """Ranking value per cell of the fitted ranking: the sum of :func:`fitted_parts`."""
    return np.sum(list(fitted_parts(parts, fit, pcts).values()), axis=0)


def fit_ranking(inc: pd.DataFrame, cells: np.ndarray, train, bandwidth_km: float, pcts=AREA_PCTS,
                score_fn=None, near_repeat: bool = False, folds: int = VALIDATION_FOLDS,
                candidates=CANDIDATES, tie_mean: bool = True) -> dict:
    """Choose a ranking on rolling-origin validation folds inside the training period (training data only).

    Each of the last ``folds`` years of ``train`` (:func:`validation_folds`) is a validation
    period; every candidate of :func:`candidate_rankings` is built from the training incidents
    before it and scored on it (hit rate at each of ``pcts``, :func:`evaluate`). Candidates are
    compared with previous-period counts by their gain in mean hit rate, pooled over the folds
    and the shares, with a standard error clustered by cell (:func:`pooled_gain`). The choice
    (one-standard-error rule: Breiman, Friedman, Olshen & Stone 1984; Hastie, Tibshirani &
    Friedman 2009, section 7.10, with rolling-origin folds as in Tashman 2000, "Out-of-sample
    tests of forecasting accuracy", *Int. J. Forecasting* 16, 437-450):

    1. a candidate is **eligible** when its pooled gain exceeds one standard error
       (:data:`SE_RULE`) and it finds fewer events than the counts in no fold at no share
       (:data:`REQUIRE_EVERY_FOLD`): one lucky year or share cannot carry it;
    2. without an eligible candidate, previous-period counts (the simplest baseline);
    3. otherwise, of the eligible candidates whose gain is within one standard error of the
       best one's, the first in :data:`CANDIDATES` order (the simplest: counts with their ties
       broken come before blends, blends before rankings that replace the counts). Ties go the
       same way, so the choice is deterministic;
    4. when the choice is plain counts or a tie-break, the tie at each share's cut-off is then
       broken, or left shared, share by share (:func:`share_ties`, :data:`SHARE_TIES_SE_RULE`;
       where no single tie-break is eligible, the mean rank of the tie-breakers, :data:`TIES_MEAN`);
       :func:`fitted_parts` builds the ranking.

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
        is missing (the default of the backtest and the planner: it costs a full risk score per
        fold) or fails in a fold, the score candidates are left out.
    near_repeat : bool
        Let the near-repeat candidates compete (:func:`candidate_parts`).
    folds : int
        Largest number of validation folds (:data:`VALIDATION_FOLDS`).
    candidates : sequence of str
        Names of :data:`CANDIDATES` that compete, in order of preference (default all; a subset
        lets ``bench/backtest_grid.py`` compare the fit with and without a candidate).
    tie_mean : bool
        Let :data:`TIES_MEAN` break a share's tie where no single tie-break is eligible
        (:func:`share_ties`; False gives the fit before it, ``fitted-single-tiebreak`` in the bench).

    Returns
    -------
    dict
        ``choice`` (a name of :data:`CANDIDATES`, chosen on all shares pooled); ``ties``
        (:func:`share_ties`: ``{pct: tie-break or None}``, empty when ``choice`` is neither counts
        nor a tie-break or there is no fold); ``ranking`` (:func:`ranking_label`, the name of the
        ranking :func:`fitted_parts` builds); ``table`` (DataFrame: ``candidate``, one
        ``hit_rate_<pct>`` column per share (mean over the folds), ``mean_hit_rate``, ``gain``
        and ``gain_se`` over previous-period counts (pooled), ``worst_gain`` (the smallest gain
        of one fold at one share), ``eligible``; empty without a fold); ``validation`` (ISO dates: from
        the start of the earliest fold to the end of the training period, or None);
        ``folds`` (the validation periods used, latest first); ``note`` (plain sentence).
    """
    t0 = pd.Timestamp(train[0])
    cols = ["candidate", *(f"hit_rate_{p:g}" for p in pcts), "mean_hit_rate", "gain", "gain_se", "worst_gain",
            "eligible"]
    empty = pd.DataFrame(columns=cols)
    fl = validation_folds(train, folds)
    if not fl:
        return {"choice": COUNTS, "ties": {}, "ranking": COUNTS, "table": empty, "validation": None, "folds": [],
                "note": ("The training period is not longer than a year, so there is no inner "
                         "validation year: the fitted method is previous-period counts.")}
    used, ranks, vcs, missed = [], [], [], []
    score_ok, note = score_fn is not None, ""
    for v0s, v1s in fl:
        v0, v1 = pd.Timestamp(v0s), pd.Timestamp(v1s)
        inner, val = inc[inc["d"] < v0], inc[(inc["d"] >= v0) & (inc["d"] < v1)]
        if inner.empty or val.empty:
            continue
        score = None
        if score_ok:
            try:
                score = score_fn((t0.date().isoformat(), v0s))
            except Exception as exc:  # noqa: BLE001 - the other candidates still compete
                score_ok = False
                note = f" The risk score could not be fitted on an inner training period ({exc}); it did not compete."
        used.append((v0s, v1s))
        ranks.append(candidate_rankings(inner, cells, v0s, bandwidth_km, score, near_repeat))
        vc = per_cell(val, cells)
        vcs.append(vc)
        missed.append(max(float(val["incident_key"].nunique()) - vc.sum(), 0.0))
    if not used:
        return {"choice": COUNTS, "ties": {}, "ranking": COUNTS, "table": empty, "validation": (fl[-1][0], fl[0][1]),
                "folds": [],
                "note": (f"No validation year from {fl[-1][0]} to {fl[0][1]} has events both before and in it, so "
                         "the inner split cannot be scored: the fitted method is previous-period counts.")}
    names = [c for c in candidates if all(c in r for r in ranks)]
    if COUNTS not in names:
        names.insert(0, COUNTS)   # the base every candidate is compared with
    if not score_ok:
        names = [c for c in names if "risk score" not in c]
    rows = []
    for name in names:
        hr = np.mean([evaluate(r[name], vc, pcts, name, missed=m)["hit_rate"].to_numpy(float)
                      for r, vc, m in zip(ranks, vcs, missed)], axis=0)
        gain, se = pooled_gain([r[name] for r in ranks], [r[COUNTS] for r in ranks], vcs, pcts, missed)
        worst = min(paired_gain(r[name], r[COUNTS], vc, [p], m)[0]
                    for r, vc, m in zip(ranks, vcs, missed) for p in pcts)
        rows.append({"candidate": name, **{f"hit_rate_{p:g}": h for p, h in zip(pcts, hr)},
                     "mean_hit_rate": float(hr.mean()), "gain": gain, "gain_se": se, "worst_gain": worst})
    table = pd.DataFrame(rows)
    table["eligible"] = ((table["candidate"] != COUNTS)
                         & (table["gain"] > table["gain_se"].fillna(np.inf) * SE_RULE + 1e-12)
                         & ((table["worst_gain"] >= -1e-12) | (not REQUIRE_EVERY_FOLD)))
    ok = table[table["eligible"]]
    if len(ok):
        best = ok.loc[ok["gain"].idxmax()]
        choice = ok[ok["gain"] >= best["gain"] - best["gain_se"] - 1e-12]["candidate"].iloc[0]
    else:
        choice = COUNTS
    r = table.set_index("candidate").loc[choice]
    base = float(table.loc[table["candidate"] == COUNTS, "mean_hit_rate"].iloc[0])
    nf = len(used)
    fold_txt = (f"{nf} validation year{'s' if nf > 1 else ''} ({', '.join(f'{a} to {b}' for a, b in reversed(used))}), "
                "each fitted on the training days before it")
    why = (f"mean hit rate {r['mean_hit_rate']:.1%} against {base:.1%} for previous-period counts, a gain of "
           f"{r['gain']:.1%} with a standard error of {r['gain_se']:.1%}, behind in no validation year at no share "
           "of the area"
           if choice != COUNTS else
           "no candidate beat them by more than one standard error of the gain without falling behind at some "
           "share of the area in some validation year")
    events = int(round(sum(vc.sum() + m for vc, m in zip(vcs, missed))))
    ties = share_ties(ranks, vcs, missed, choice, pcts, names, tie_mean)
    label = ranking_label(choice, ties)
    if label != choice:
        by = "; ".join(f"{p:g} %: {t or 'none (tie shared)'}" for p, t in ties.items())
        why += (f". Ties of the counts at each share's cut-off are then broken by the tie-break that found more "
                f"events there in the validation years ({by})")
    note = (f"Fitted on {fold_txt} ({events:,} validation events); chosen: {choice} ({why}), then refitted on the "
            "whole training period." + note)
    return {"choice": choice, "ties": ties, "ranking": label, "table": table, "validation": (used[-1][0], used[0][1]),
            "folds": used, "note": note}
