"""Backtest grid of the fitted ranking against both baselines (``python bench/backtest_grid.py --db S``).

Issue 16 asks that the planner's ranking find at least as many test events as previous-period
counts and as kernel density "in every combination", on the default split (train 2015-2019, test
2020-2023) and on other splits of the same data. This script scores the three rankings of
:func:`intel.backtest.backtest` that need no risk score (``fitted``, ``previous-period counts``,
``kernel density``) on a grid:

* 8 splits of the Toronto incidents (source ``toronto_tps_shootings``, full years 2004-2023):
  5 training years and the following 1 to 4 test years, sliding across the data
  (:data:`SPLITS`, the default split included);
* H3 resolutions 8 and 9;
* 1, 5 and 10 % of the study area (:data:`intel.risk.fit.AREA_PCTS`).

Each combination uses :func:`intel.backtest.backtest_inputs` (the same records, training-only
study area and counts as the backtest) and :func:`intel.risk.fit.fit_ranking` (the same choice
as the backtest and the planner). Hits are counts of test events, ties at the cut-off shared by
expectation (:func:`intel.risk.fit.hit_parts`), so they can be fractional. The table prints the
hits, hit rate (%) and PAI (hit rate / share of the study area) of each ranking, the candidate
the fit chose, and at the end in how many combinations the fitted ranking is at least each
baseline, with its largest loss and its total gain in hits.

``--rule`` scores a variant of the fit instead of (or beside) the default one (:data:`RULES`:
``fitted``, the fit of the backtest and the planner, whose ties of the counts at each share's
cut-off are broken share by share (:func:`intel.risk.fit.share_ties`), where no single tie-break
is eligible by the mean rank of the tie-breakers (:data:`intel.risk.fit.TIES_MEAN`);
``fitted-single-tiebreak``, that fit without the mean rank (the default before it);
``fitted-pooled-ties``, the former default, one candidate chosen on all shares pooled and its
tie-break applied at every share; ``fitted-before``, that rule without the tie-break by the
narrower kernel that issue 16 added; the variants tried and not kept, among them ``coarse-ties``,
the share-by-share ties with coarsened tie-breaks, ``ties-mean-only`` and the agreement rules
``ties-agree-all`` and ``ties-agree-majority``, :func:`share_rule`).
``--splits holdout`` runs the further splits of :data:`HOLDOUT_SPLITS` instead, ``--splits short``
those of :data:`SHORT_SPLITS` (3- and 4-year training periods), ``--splits extra`` those of
:data:`EXTRA_SPLITS` (6- and 2-year training periods). ``--table-out FILE`` also writes the tables as
markdown (for a closing note), ``--csv FILE`` the long table. Every variant decides on the training
period's own validation years only; the test period is read for scoring alone.

Runs with the store of ``intel build`` (about 15 s per rule on 2 cores, the splits read once per rule).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intel import backtest as bt  # noqa: E402
from intel import store  # noqa: E402
from intel.h3cells import cell_centres  # noqa: E402
from intel.risk import Area  # noqa: E402
from intel.risk import fit as rf  # noqa: E402
from intel.risk.hits import top_is_tie_order  # noqa: E402
from intel.risk.tiebreaks import group_ranks  # noqa: E402

SPLITS = (
    ("2004:2008", "2009:2012"),
    ("2006:2010", "2011:2013"),
    ("2008:2012", "2013:2014"),
    ("2010:2014", "2015"),
    ("2012:2016", "2017:2020"),
    ("2014:2018", "2019:2021"),
    ("2015:2019", "2020:2023"),
    ("2018:2022", "2023"),
)
"""Training and test years (closed ranges): 5 training years, 1-4 test years, sliding."""

HOLDOUT_SPLITS = (
    ("2005:2009", "2010:2013"),
    ("2007:2011", "2012"),
    ("2009:2013", "2014:2016"),
    ("2011:2015", "2016:2017"),
    ("2013:2017", "2018:2021"),
    ("2016:2020", "2021:2023"),
    ("2017:2021", "2022:2023"),
    ("2005:2009", "2010"),
    ("2013:2017", "2018"),
)
"""Further splits (``--splits holdout``), not used when the tie-break by the narrower kernel was
chosen on :data:`SPLITS`: a check that the choice holds beyond the grid it was picked on."""

SHORT_SPLITS = (
    ("2005:2007", "2008:2009"),
    ("2009:2011", "2012"),
    ("2013:2015", "2016:2018"),
    ("2017:2019", "2020:2021"),
    ("2020:2022", "2023"),
    ("2004:2007", "2008:2010"),
    ("2008:2011", "2012:2013"),
    ("2012:2015", "2016"),
    ("2016:2019", "2020:2022"),
    ("2019:2022", "2023"),
)
"""A third set (``--splits short``): 3- and 4-year training periods (2 and 3 inner validation
years) and 1-3 test years, defined before any rule change was scored on it, to check a change
of the fit that was judged on :data:`SPLITS` and :data:`HOLDOUT_SPLITS`."""

EXTRA_SPLITS = (
    ("2004:2009", "2010:2011"),
    ("2006:2011", "2012:2014"),
    ("2008:2013", "2014:2016"),
    ("2012:2017", "2018:2019"),
    ("2014:2019", "2020:2021"),
    ("2016:2021", "2022:2023"),
    ("2010:2011", "2012"),
    ("2015:2016", "2017:2018"),
    ("2020:2021", "2022:2023"),
    ("2006:2007", "2008:2010"),
)
"""A fourth set (``--splits extra``): 6-year training periods (3 inner validation years) and
2-year ones (1), 1-3 test years. Defined after the mean-rank tie-break's variants had been scored
on the three other sets and before any of them was scored on it, to check the one kept."""

SPLIT_SETS = {"grid": SPLITS, "holdout": HOLDOUT_SPLITS, "short": SHORT_SPLITS, "extra": EXTRA_SPLITS}

RESOLUTIONS = (8, 9)


def fitted_default(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
    """The backtest's fitted ranking: :func:`intel.risk.fit.fit_ranking`, refitted on all training data
    (:func:`intel.risk.fit.fitted_ranking`, ties at each share's cut-off broken share by share)."""
    fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts)
    parts = rf.candidate_parts(inp["inc_tr"], inp["cells"], train[1], h)
    return rf.fitted_ranking(parts, fit, pcts), fit["ranking"]


def fitted_single_tiebreak(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
    """The fit before the mean-rank tie-break (:data:`intel.risk.fit.TIES_MEAN`): a share's tie is
    broken by a single tie-break or left shared."""
    fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts, tie_mean=False)
    parts = rf.candidate_parts(inp["inc_tr"], inp["cells"], train[1], h)
    return rf.fitted_ranking(parts, fit, pcts), fit["ranking"]


def fitted_pooled_ties(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
    """The fit before the share-by-share ties (:func:`intel.risk.fit.share_ties`): the candidate
    chosen on all shares pooled, its tie-break (if any) applied at every share."""
    fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts)
    return rf.candidate_rankings(inp["inc_tr"], inp["cells"], train[1], h)[fit["choice"]], fit["choice"]


def fitted_before(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
    """The fit before issue 16's tie-break by the narrower kernel (:data:`intel.risk.fit.TIES_NARROW`)."""
    cands = [c for c in rf.CANDIDATES if c != rf.TIES_NARROW]
    fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts, candidates=cands)
    return rf.candidate_rankings(inp["inc_tr"], inp["cells"], train[1], h)[fit["choice"]], fit["choice"]


TIE_BREAKS = (rf.TIES_NARROW, "counts, ties by kernel density", "counts, ties by decayed counts (730 d)")
"""The tie-break candidates of :data:`intel.risk.fit.CANDIDATES` (counts keep their order)."""


def _when_counts(to: str):
    """A rule: the default fit, but counts with their ties broken by ``to`` where the fit keeps plain counts."""
    def rule(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
        fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts)
        choice = to if fit["choice"] == rf.COUNTS else fit["choice"]
        return rf.candidate_rankings(inp["inc_tr"], inp["cells"], train[1], h)[choice], choice
    rule.__doc__ = f"The default fit; where it keeps plain counts, {to} instead."
    return rule


def fitted_strict(inp: dict, train, h: float, pcts, margin: float = 0.001) -> tuple[np.ndarray, str]:
    """The default fit with eligibility asking a worst fold-and-share gain of at least ``margin``
    (share of the validation events) instead of at least 0 (:data:`intel.risk.fit.REQUIRE_EVERY_FOLD`)."""
    fit = rf.fit_ranking(inp["inc_tr"], inp["cells"], train, h, pcts)
    t = fit["table"]
    if len(t):
        ok = t[t["eligible"] & (t["worst_gain"] >= margin - 1e-12)]
        if len(ok):
            best = ok.loc[ok["gain"].idxmax()]
            choice = ok[ok["gain"] >= best["gain"] - best["gain_se"] - 1e-12]["candidate"].iloc[0]
        else:
            choice = rf.COUNTS
    else:
        choice = rf.COUNTS
    return rf.candidate_rankings(inp["inc_tr"], inp["cells"], train[1], h)[choice], choice


def hedge(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
    """Of plain counts and :data:`TIE_BREAKS`, the ranking whose worst inner-validation margin over
    both baselines (hit rate minus that of previous-period counts and of kernel density at the
    default bandwidth, in any fold at any share) is largest; the earlier one on a tie."""
    inc, cells = inp["inc_tr"], inp["cells"]
    kde = "kernel density 1x bandwidth"
    best, best_m = rf.COUNTS, -np.inf
    folds = []
    for v0s, v1s in rf.validation_folds(train):
        v0, v1 = pd.Timestamp(v0s), pd.Timestamp(v1s)
        inner, val = inc[inc["d"] < v0], inc[(inc["d"] >= v0) & (inc["d"] < v1)]
        if inner.empty or val.empty:
            continue
        vc = rf.per_cell(val, cells)
        miss = max(float(val["incident_key"].nunique()) - vc.sum(), 0.0)
        folds.append((rf.candidate_rankings(inner, cells, v0s, h), vc, miss))
    for c in (rf.COUNTS, *TIE_BREAKS):
        if not folds:
            break
        m = min(float((rf.evaluate(r[c], vc, pcts, missed=miss)["hit_rate"].to_numpy()
                       - np.maximum(rf.evaluate(r[rf.COUNTS], vc, pcts, missed=miss)["hit_rate"].to_numpy(),
                                    rf.evaluate(r[kde], vc, pcts, missed=miss)["hit_rate"].to_numpy())).min())
                for r, vc, miss in folds)
        if m > best_m + 1e-12:
            best, best_m = c, m
    return rf.candidate_rankings(inc, cells, train[1], h)[best], best


def _coarse_part(counts: np.ndarray, x: np.ndarray, classes: int) -> np.ndarray:
    """A tie-break part coarsened to ``classes`` quantile classes of ``x`` within each group of equal
    counts: ``0.5 * class / classes``, class ``floor((rank - 1) / n * classes)`` with ``rank`` the
    lowest rank of ``x`` in its group of ``n`` cells (equal ``x``, equal class)."""
    s = pd.DataFrame({"c": np.asarray(counts, float), "x": np.asarray(x, float)})
    r = s.groupby("c")["x"].rank(method="min").to_numpy()
    n = s.groupby("c")["x"].transform("size").to_numpy()
    return 0.5 * np.floor((r - 1) / n * classes) / classes


def _coarse_parts(parts: dict, classes: int) -> dict:
    """:func:`intel.risk.fit.candidate_parts` with every tie-break's part coarsened (:func:`_coarse_part`)."""
    out = dict(parts)
    for name in rf.TIE_BREAKS:
        if name in parts:
            p = parts[name]
            (part, x), = [(k, v) for k, v in p.items() if k != "counts"]
            out[name] = {"counts": p["counts"], part: _coarse_part(p["counts"], x, classes)}
    return out


def coarse_ties(inp: dict, train, h: float, pcts, classes: int = 4) -> tuple[np.ndarray, str]:
    """The default fit with coarse tie-breaks in the share-by-share step: each tie-break orders a
    tie group only by ``classes`` quantile classes of its value within the group (the rest of the
    tie stays shared by expectation), in the validation folds and in the refitted ranking."""
    inc, cells = inp["inc_tr"], inp["cells"]
    fit = rf.fit_ranking(inc, cells, train, h, pcts)
    final = _coarse_parts(rf.candidate_parts(inc, cells, train[1], h), classes)
    if fit["choice"] != rf.COUNTS and fit["choice"] not in rf.TIE_BREAKS:
        return rf.fitted_ranking(final, fit, pcts), fit["ranking"]
    ranks, vcs, missed = [], [], []
    for v0s, v1s in fit["folds"]:
        v0, v1 = pd.Timestamp(v0s), pd.Timestamp(v1s)
        inner, val = inc[inc["d"] < v0], inc[(inc["d"] >= v0) & (inc["d"] < v1)]
        parts = _coarse_parts(rf.candidate_parts(inner, cells, v0s, h), classes)
        ranks.append({k: np.sum(list(v.values()), axis=0) for k, v in parts.items()})
        vc = rf.per_cell(val, cells)
        vcs.append(vc)
        missed.append(max(float(val["incident_key"].nunique()) - vc.sum(), 0.0))
    ties = rf.share_ties(ranks, vcs, missed, fit["choice"], pcts, mean=False)
    fit = {**fit, "ties": ties}
    return rf.fitted_ranking(final, fit, pcts), rf.ranking_label(fit["choice"], ties) + f", {classes} classes"


AGREE = {"agree-all": 1.0, "agree-majority": 0.5 + 1e-6}
"""Agreement tie-breaks (:func:`_agreement`): share of the tie-breakers that must agree."""


def _agreement(counts: np.ndarray, xs, k: int, frac: float) -> np.ndarray:
    """Tie part of the agreement rule at a cut-off of ``k`` cells: 0.5 on the cells of the count at the
    cut-off that at least ``frac`` of the tie-breakers (values ``xs``) put among the ``need`` first
    of that group (:func:`intel.risk.fit.hit_parts`), 0 elsewhere: those are promoted, the rest of the
    group stays tied (shared by expectation). Nothing is promoted if ties in ``xs`` would promote
    more than ``need`` cells."""
    thr = float(-np.partition(-counts, k - 1)[k - 1])
    need, grp = k - int((counts > thr).sum()), counts == thr
    nt = int(grp.sum())
    votes = sum(grp & (group_ranks(counts, x) * nt > nt - need + 1e-9) for x in xs)
    ok = grp & (votes >= frac * len(xs) - 1e-9)
    return np.where(ok, 0.5, 0.0) if ok.sum() <= need else np.zeros_like(counts)


def _rank_at(name: str, parts: dict, k: int) -> np.ndarray:
    """Ranking value of a tie-break of :func:`share_rule` (a candidate or an :data:`AGREE` rule) at ``k`` cells."""
    c = parts[rf.COUNTS]["counts"]
    if name in AGREE:
        xs = [sum(v for p, v in parts[t].items() if p != "counts") for t in rf.TIES_MEAN_OF]
        return c + _agreement(c, xs, k, AGREE[name])
    return np.sum(list(parts[name].values()), axis=0)


def share_rule(names):
    """A rule: the default fit, but the ties at each share's cut-off broken by the first of ``names``
    (tie-breaks of :data:`intel.risk.fit.TIES_MEAN_OF`, :data:`intel.risk.fit.TIES_MEAN` or an
    :data:`AGREE` rule) within one standard error of the best eligible one, with the test of
    :func:`intel.risk.fit.share_ties`; all of them compete at once."""
    def rule(inp: dict, train, h: float, pcts) -> tuple[np.ndarray, str]:
        inc, cells = inp["inc_tr"], inp["cells"]
        fit = rf.fit_ranking(inc, cells, train, h, pcts, tie_mean=False)
        final = rf.candidate_parts(inc, cells, train[1], h)
        if fit["choice"] != rf.COUNTS and fit["choice"] not in rf.TIE_BREAKS:
            return rf.fitted_ranking(final, fit, pcts), fit["ranking"]
        fparts, vcs, missed = [], [], []
        for v0s, v1s in fit["folds"]:
            inner, val = inc[inc["d"] < v0s], inc[(inc["d"] >= v0s) & (inc["d"] < v1s)]
            fparts.append(rf.candidate_parts(inner, cells, v0s, h))
            vcs.append(rf.per_cell(val, cells))
            missed.append(max(float(val["incident_key"].nunique()) - vcs[-1].sum(), 0.0))
        se_rule = rf.SE_RULE if fit["choice"] in rf.TIE_BREAKS else rf.SHARE_TIES_SE_RULE
        c, out, done, ties = final[rf.COUNTS]["counts"], final[rf.COUNTS]["counts"].copy(), set(), {}
        for p in pcts:
            k = rf.cells_for_pct(cells.size, p)
            base, ok = [fp[rf.COUNTS]["counts"] for fp in fparts], []
            for name in names:
                rs = [_rank_at(name, fp, k) for fp in fparts]
                g, se = rf.pooled_gain(rs, base, vcs, [p], missed)
                worst = min(rf.paired_gain(r, b, vc, [p], m)[0] for r, b, vc, m in zip(rs, base, vcs, missed))
                if g > (se if np.isfinite(se) else np.inf) * se_rule + 1e-12 and worst >= -1e-12:
                    ok.append((name, g, se))
            best = max(ok, key=lambda x: x[1]) if ok else None
            ties[p] = next(n for n, g, _ in ok if g >= best[1] - best[2] - 1e-12) if ok else None
            thr = float(-np.partition(-c, k - 1)[k - 1])
            if ties[p] is not None and thr not in done:
                done.add(thr)
                out = out + np.where(c == thr, _rank_at(ties[p], final, k) - c, 0.0)
        return out, "; ".join(f"{p:g} %: {(t or 'none').replace('counts, ties by ', '')}" for p, t in ties.items())
    return rule


RULES = {"fitted": fitted_default, "fitted-single-tiebreak": fitted_single_tiebreak,
         "fitted-pooled-ties": fitted_pooled_ties, "fitted-before": fitted_before,
         "ties-always": _when_counts(rf.TIES_NARROW), "ties-recency": _when_counts(TIE_BREAKS[2]),
         "fitted-strict": fitted_strict, "hedge": hedge, "coarse-ties": coarse_ties,
         "ties-mean-only": share_rule([rf.TIES_MEAN]), "ties-mean-last": share_rule([*rf.TIES_MEAN_OF, rf.TIES_MEAN]),
         "ties-agree-all": share_rule(["agree-all"]), "ties-agree-majority": share_rule(["agree-majority"])}
"""Fitted-ranking rules scored by ``--rule`` (name -> ``fn(inputs, train, bandwidth_km, pcts)``
returning the ranking values per study cell and the chosen ranking's name). Besides the fit of
the backtest and the planner (``fitted``, ties broken share by share), the former fit that chose
one tie-break for all shares (``fitted-pooled-ties``) and the fit before the narrower kernel's
tie-break (``fitted-before``), the training-only variants of the pooled rule tried against the
last losses of issue 16:
``ties-always`` and ``ties-recency`` break the ties of plain counts (by the narrower kernel, by
recency-weighted counts) wherever the fit keeps them; ``fitted-strict`` asks every fold at every
share for a gain of at least 0.1 % of the events; ``hedge`` maximises the worst inner-validation
margin over both baselines among counts and the tie-breaks. None was kept: each lowered the
number of combinations at least the counts, or the total gain, on at least one set of splits
(figures in the closing note of issue 16). ``coarse-ties`` is the share-by-share fit with each
tie-break coarsened to 4 quantile classes within a tie group (:func:`coarse_ties`): at least the
counts in 48 of 48, 54 of 54 and 58 of 60 (grid, holdout, short; ``fitted``: 48, 53, 57) and kernel
density everywhere, but with a smaller total gain over the counts (+289.1, +272.6, +217.7 against
+325.2, +242.0, +310.8): it gives up about 100 events of gain to avoid about 4 events of loss. With
2, 3, 6, 8, 10 and 16 classes: 159, 159, 159, 160, 157 and 159 of 162 at least the counts
(``fitted``: 158), gains between +611 and +872 in all (``fitted``: +878). Not kept: the gain it
costs is far larger than the losses it avoids, and the number of classes would be picked on
these same splits; on :data:`EXTRA_SPLITS` it then fell to 57 of 60 against the counts (largest
loss 3.9) and 58 of 60 against kernel density (largest loss 11.2).

The variants of the mean-rank tie-break (:func:`share_rule`; pooled choice as in ``fitted``,
figures as grid / holdout / short / extra splits, combinations at least the counts, total gain
over the counts in hits; the former default ``fitted-single-tiebreak``: 48 / 53 / 57 / 60,
+325.2 / +242.0 / +310.8 / +352.5, kernel density beaten everywhere):

* ``fitted`` (kept): the mean only where no single tie-break is eligible: 48 / 53 / 57 / 60, the
  same losses, +324.2 / +295.3 / +310.8 / +378.8;
* ``ties-mean-last``: the mean competing beside the single tie-breaks, last in order of
  preference (so it can raise the one-standard-error bar they are judged by): 48 / 53 / 57 / 60,
  +324.2 / +290.3 / +307.8 / +378.8;
* ``ties-mean-only``: the mean as the only tie-break: 48 / 54 / 57 / 58 (largest losses 0.4 on
  the short splits, 4.3 on the extra ones), +296.6 / +263.8 / +267.5 / +309.8. It loses less on
  the first three sets but gives up about 50 hits there and loses on the fourth; with the mean
  also a candidate of the pooled choice, it lost 10.5 hits at 2011-2015 / 2016-2017, resolution 8,
  10 % (not in :data:`RULES`);
* ``ties-agree-all`` and ``ties-agree-majority``: only the cells of the tie at the cut-off that
  every tie-breaker, or a majority, puts in the tie's share to be taken are promoted, the rest
  stays shared (:func:`_agreement`): 48 / 53 / 60 / 58 and 48 / 54 / 58 / 60, but behind kernel
  density in 4 and 3 combinations (largest loss 27.6 and 2.4 hits) and a total gain of +134.0 and
  +519.8 hits against +1,309.1."""


def grid(con, splits=SPLITS, resolutions=RESOLUTIONS, rules=("fitted",), source="toronto_tps_shootings",
         pcts=rf.AREA_PCTS) -> pd.DataFrame:
    """Hits of every rule and both baselines on every split, resolution and area share.

    Returns
    -------
    pandas.DataFrame
        One row per split, resolution, share and method: ``train``, ``test``, ``res``,
        ``area_pct``, ``method`` (a rule name, ``counts`` or ``kde``), ``choice`` (the rule's
        chosen candidate), ``hits``, ``hit_rate`` (share of the test events), ``pai`` (hit rate /
        share of the study cells predicted), ``cells`` (predicted), ``study_cells``, ``test_events``.
    """
    from intel.periods import parse_period

    area = Area(kind="data", sources=(source,))
    rows = []
    for res in resolutions:
        h = rf.default_bandwidth_km(res)
        for tr_s, te_s in splits:
            train, test = parse_period(tr_s, require_both=True), parse_period(te_s, require_both=True)
            inp = bt.backtest_inputs(con, res, train, test, area)
            cells, tc, miss = inp["cells"], inp["test_counts"], inp["missed"]
            clat, clon = cell_centres(cells)
            occ = inp["train_counts"] > 0
            rankings = {"counts": (inp["train_counts"], ""),
                        "kde": (rf.kde_scores(clat, clon, clat[occ], clon[occ], inp["train_counts"][occ], h), "")}
            for r in rules:
                rankings[r] = RULES[r](inp, train, h, pcts)
            for name, (scores, choice) in rankings.items():
                ev = rf.evaluate(scores, tc, pcts, name, missed=miss)
                for e in ev.itertuples():
                    rows.append({"train": tr_s, "test": te_s, "res": res, "area_pct": e.area_pct, "method": name,
                                 "choice": choice, "hits": e.hits, "hit_rate": e.hit_rate, "pai": e.pai,
                                 "cells": e.cells, "study_cells": e.study_cells, "test_events": e.test_events,
                                 "tie_sd": e.tie_sd,
                                 "counts_order": top_is_tie_order(scores, inp["train_counts"], e.cells)})
    return pd.DataFrame(rows)


def tally(df: pd.DataFrame, rule: str) -> list[str]:
    """Sentences: in how many combinations ``rule`` finds at least each baseline's hits, its
    largest loss and its total gain (hits, fractional where ties are shared). Against the counts,
    the losses are also told apart: in how many the rule's top cells are a top of the counts under
    some order of their ties (:func:`top_is_tie_order`), and in how many the loss is within the
    standard deviation of the counts' hits over those orders (``tie_sd``)."""
    w = df.pivot_table(index=KEY, columns="method", values="hits")
    sd = df[df["method"] == "counts"].set_index(KEY)["tie_sd"]
    order = df[df["method"] == rule].set_index(KEY)["counts_order"]
    n = df.groupby(KEY)["test_events"].first()
    out = []
    for base in ("counts", "kde"):
        d = w[rule] - w[base]
        worst = d.idxmin()
        loss = (f"largest loss {-d.min():.1f} of {n.loc[worst]:,} test events ({worst[0]} -> {worst[1]}, res "
                f"{worst[2]}, {worst[3]:g} %)" if d.min() < -1e-9 else "no loss")
        out.append(f"{rule} >= {base}: {(d >= -1e-9).sum()}/{len(d)}; {loss}; total gain {d.sum():+.1f} hits")
        lost = d[d < -1e-9].index
        if base == "counts" and len(lost):
            within = int((-d[lost] <= sd.reindex(lost) + 1e-9).sum())
            out.append(f"  of its {len(lost)} losses to the counts, {int(order.reindex(lost).sum())} are a list ranked "
                       f"by the counts with their ties in another order, and {within} are within the standard "
                       f"deviation of the counts' hits over the orders of their tied cells ("
                       + ", ".join(f"{-d[i]:.1f} <= {sd[i]:.1f}" if -d[i] <= sd[i] + 1e-9 else f"{-d[i]:.1f} > {sd[i]:.1f}"
                                   for i in lost) + ")")
    return out


KEY = ["train", "test", "res", "area_pct"]
METHODS = (("counts", "counts"), ("kde", "KDE"))


def summarise(df: pd.DataFrame, rule: str) -> str:
    """Lines of the text table for ``rule`` (hits, hit rate in %, PAI of the rule and both
    baselines per combination) and its tally against both baselines (:func:`tally`)."""
    w = df.set_index(KEY + ["method"])
    ch = df[df["method"] == rule].set_index(KEY)["choice"]
    n = df.groupby(KEY)["test_events"].first()
    head = "".join(f" {lab:>22}" for lab in (rule[:22], "counts", "KDE"))
    lines = [f"rule {rule} (each ranking: hits, hit rate %, PAI)",
             f"{'train':>9} {'test':>9} {'res':>3} {'pct':>4} {'events':>6} {head}  choice"]
    for key in n.index:
        cell = lambda m: (f"{w.loc[(*key, m), 'hits']:7.1f} {w.loc[(*key, m), 'hit_rate']:6.1%} "  # noqa: E731
                          f"{w.loc[(*key, m), 'pai']:7.2f}")
        h = {m: w.loc[(*key, m), "hits"] for m in (rule, "counts", "kde")}
        mark = "" if h[rule] >= h["counts"] - 1e-9 else "  < counts"
        mark += "" if h[rule] >= h["kde"] - 1e-9 else "  < KDE"
        lines.append(f"{key[0]:>9} {key[1]:>9} {key[2]:>3} {key[3]:>4g} {n.loc[key]:>6}  {cell(rule)}  "
                     f"{cell('counts')}  {cell('kde')}  {ch.loc[key]}{mark}")
    return "\n".join(lines + tally(df, rule))


def markdown(df: pd.DataFrame, rule: str) -> str:
    """The table of :func:`summarise` as markdown: per combination the test events and, for
    ``rule``, previous-period counts and kernel density, the hits, hit rate (%) and PAI, then the
    rule's chosen candidate; the tally below it."""
    w = df.set_index(KEY + ["method"])
    ch = df[df["method"] == rule].set_index(KEY)["choice"]
    n = df.groupby(KEY)["test_events"].first()
    cols = ["train", "test", "res", "area %", "test events"]
    for lab in ("fitted", "counts", "KDE"):
        cols += [f"{lab} hits", f"{lab} hit %", f"{lab} PAI"]
    cols.append("fitted choice")
    lines = [f"Rule `{rule}`.", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for key in n.index:
        vals = [key[0], key[1], str(key[2]), f"{key[3]:g}", f"{n.loc[key]:,}"]
        for m in (rule, "counts", "kde"):
            r = w.loc[(*key, m)]
            vals += [f"{r['hits']:.1f}", f"{100 * r['hit_rate']:.1f}", f"{r['pai']:.2f}"]
        vals.append(ch.loc[key])
        lines.append("| " + " | ".join(vals) + " |")
    return "\n".join(lines + [""] + [f"- {t}" for t in tally(df, rule)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="store built by `intel build`")
    ap.add_argument("--rule", action="append", choices=sorted(RULES), help="fit rule(s) to score (default fitted)")
    ap.add_argument("--splits", choices=sorted(SPLIT_SETS), default="grid",
                    help="grid: SPLITS (default); holdout: HOLDOUT_SPLITS; short: SHORT_SPLITS; extra: EXTRA_SPLITS")
    ap.add_argument("--res", type=int, action="append", help="resolution(s) (default 8 and 9)")
    ap.add_argument("--csv", help="also write the long table here")
    ap.add_argument("--table-out", help="also write the table(s) as markdown here")
    a = ap.parse_args(argv)
    rules = tuple(a.rule or ["fitted"])
    con = store.connect(a.db, read_only=True)
    t = time.perf_counter()
    splits = SPLIT_SETS[a.splits]
    df = grid(con, splits, resolutions=tuple(a.res or RESOLUTIONS), rules=rules)
    for r in rules:
        print(summarise(df, r))
        print()
    print(f"{len(splits)} splits x {len(a.res or RESOLUTIONS)} resolutions x {len(rf.AREA_PCTS)} shares in "
          f"{time.perf_counter() - t:.0f} s")
    if a.csv:
        df.to_csv(a.csv, index=False)
    if a.table_out:
        Path(a.table_out).write_text("\n\n".join(markdown(df, r) for r in rules) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
