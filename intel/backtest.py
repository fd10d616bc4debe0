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
makes the figures independent of row order and fair to count-based rankings full of ties. The
column ``tie_sd`` is the standard deviation of those hits over the orders of the tied cells: one
list ranked by the same values finds more or fewer, and a ranking that orders the counts' ties
(the fitted ranking's usual form) is one such list (:func:`tie_order_sentence`).

No look-ahead
-------------
Everything a method sees comes from the training period: the **study area** is the cells of the
chosen area, or the data extent of the *training* cells (cells overlapping the convex hull of the
cells occupied in training), never cells known only from the test period; the baselines and the
fitted method read training records only. Only records whose location precision is usable at
the resolution are scored (:mod:`intel.risk`). When no periods are given,
:func:`period_choice` takes them from the months the area's own sources cover (whole years where
they cover two or more, else whole months) and says why; without a resolution,
:func:`default_resolution` keeps the default one or goes coarser when the records' location
precision needs it.

Methods compared (:func:`backtest`, :data:`METHODS`)
----------------------------------------------------
* ``risk score``: :func:`intel.risk.risk_scores` fitted on the training period (components that
  do not apply to the area are 0 there: :mod:`intel.risk.reach`);
* ``fitted``: the candidate ranking (:data:`~intel.risk.fit.CANDIDATES`) chosen on **rolling-origin folds** of
  the training period (each of its last :data:`~intel.risk.fit.VALIDATION_FOLDS` years as validation, fitted on
  the training days before it), refitted on the whole training period (:func:`~intel.risk.fit.fit_ranking`).
  Candidates are previous-period counts, counts with their ties broken by kernel density (at
  half and at the default bandwidth, :data:`~intel.risk.fit.TIES_NARROW`) or decayed counts,
  counts shrunk half-way toward decayed counts, exponentially decayed counts
  (half-lives :data:`~intel.risk.fit.HALF_LIVES_DAYS`) and kernel density at :data:`~intel.risk.fit.KDE_FACTORS` times the
  default bandwidth, all built from the incidents alone (the risk-score candidates compete only
  when a ``score_fn`` is given, which costs a full risk score per fold). The criterion is the
  gain in mean hit rate over previous-period counts, pooled over the folds and the area shares
  with a standard error clustered by cell; a candidate must gain more than one standard error
  and find fewer events than the counts in no fold at no share, and of those within one
  standard error of the best the simplest is taken; otherwise previous-period counts stay. When
  counts or a tie-break is taken, the tie of the counts at each share's cut-off is then broken
  share by share, by the tie-break that gained at that share alone in no fold less than the counts
  (:func:`~intel.risk.fit.share_ties`), where none does by the mean within-tie rank of the
  tie-breakers (:data:`~intel.risk.fit.TIES_MEAN`) if it passes the same test, or left shared;
* ``previous-period counts``: events per cell in the training period (the naive "last period"
  hot spot map);
* ``kernel density``: a Gaussian kernel density of the training events on the H3 grid: each
  cell's value is ``sum_j n_j exp(-d_ij**2 / (2 h**2))`` over the occupied training cells ``j``
  within ``3 h``, ``d`` the distance between cell centres, ``h`` the bandwidth in km
  (default :func:`~intel.risk.fit.default_bandwidth_km`: twice the mean H3 edge length, at least 0.5 km, so
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

Where the parts are: this module reads the store, builds the study area, runs the methods and
words the warnings; the scoring (hit rate, PAI, ties), the candidate rankings and the fitted method
are :mod:`intel.risk.fit`, which the planner's ranking (:mod:`intel.risk.ranking`) uses too.

Units: distances and bandwidths in km, periods half-open ``[from, to)`` of UTC days, ages and
half-lives in days, ``area_pct`` in percent of study-area cells.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel import periods, risk
from intel.config import DEFAULT_RESOLUTION, check_resolution, resolution_range
from intel.errors import HotspotError
from intel.h3cells import cell_centres, edge_km
from intel.hexbin import uncertainty_values
from intel.risk.fit import (AREA_PCTS, RESULT_COLUMNS, candidate_parts, candidate_rankings,  # noqa: F401
                            default_bandwidth_km, evaluate, fit_ranking, fitted_ranking, incidents_of_records,
                            kde_scores, per_cell)
from intel.risk.hits import top_is_tie_order
# RESULT_COLUMNS: the columns backtest() returns, named here too
from intel.studyarea import polygon_cells, study_area, without_lakes

METHODS = ("risk score", "fitted", "previous-period counts", "kernel density")
"""Methods compared by :func:`backtest`, in output order."""

MIN_TEST_CELLS = 20
"""Fewer distinct test cells than this: the result rests on too few places to compare methods."""

DEGENERATE_SHARE = 0.9
"""Share of test events on training points above which the test is called degenerate."""

COVERAGE_GAP = 0.5
"""Difference in a source's share of months with records (training vs test) that is warned about."""


class BacktestError(ValueError):
    """The backtest cannot be run; the message is one plain sentence."""


def _full_years(dates: pd.Series, min_months: int = 10) -> list[int]:
    """Calendar years with records in at least ``min_months`` distinct months."""
    d = pd.to_datetime(dates.dropna())
    if d.empty:
        return []
    m = pd.DataFrame({"y": d.dt.year, "m": d.dt.month}).drop_duplicates().groupby("y").size()
    return sorted(int(y) for y, n in m.items() if n >= min_months)


MIN_MONTH_SHARE = 0.1
"""A month counts as covered by the records (:func:`period_choice`) when it holds at least this
share of the median month's records (of the months with any): two stray records dated on the
last day of the year before a register starts do not make that year's December a data month."""


def _covered_months(dates: pd.Series) -> tuple[list, pd.Series]:
    """The months the records cover (those holding at least :data:`MIN_MONTH_SHARE` of the median
    month's records), sorted, and the records per month (every month with any)."""
    pm = dates.dt.to_period("M").value_counts()
    return (sorted(pm[pm >= max(1.0, MIN_MONTH_SHARE * float(pm.median()))].index) if len(pm) else []), pm


def _source_months(dates: pd.Series) -> tuple:
    """First and last month a source's records cover (:func:`_covered_months`)."""
    cov = _covered_months(dates)[0]
    return cov[0], cov[-1]


def _overlapping_sources(usable: pd.DataFrame) -> tuple[pd.Series, str]:
    """The dates a default split is taken from: those of the source with the most usable records
    and of every source whose months overlap its months; a source whose months lie wholly apart
    (a register of another year) would be all training or all test, never both, so it is left out
    of the choice, and the sentence returned says so (empty when none is).

    Parameters
    ----------
    usable : pandas.DataFrame
        Usable records of :func:`intel.risk.area_records` (``incident_key`` starts with the source
        and U+001F, ``event_date``).

    Returns
    -------
    (pandas.Series, str)
        Event dates (datetime64) and a sentence with a leading space, or ``''``.
    """
    d = pd.to_datetime(usable["event_date"])
    src = usable["incident_key"].astype(str).str.split("\x1f").str[0]
    ok = d.notna()
    d, src = d[ok], src[ok]
    if src.nunique() < 2:
        return d, ""
    spans = {s: _source_months(d[src == s]) for s in src.unique()}
    big = src.value_counts().index[0]
    b0, b1 = spans[big]
    apart = sorted(s for s, (a0, a1) in spans.items() if a1 < b0 or a0 > b1)
    if not apart:
        return d, ""
    keep = ~src.isin(apart)
    names = ", ".join(f"{s} ({spans[s][0]} to {spans[s][1]})" for s in apart)
    return d[keep], (f" The records of {names} cover no month of {big} ({b0} to {b1}, the source with the most "
                     f"usable records), so no split could hold them in both periods: the periods follow {big}, and "
                     f"{'that source lies' if len(apart) == 1 else 'those sources lie'} outside them; choose the "
                     f"periods yourself, or one source, to test {'it' if len(apart) == 1 else 'them'}.")


def _n(k: int, word: str) -> str:
    """``k`` with ``word``, plural unless 1 (``1 month``, ``3 months``)."""
    return f"{k:,} {word}" if k == 1 else f"{k:,} {word}s"


def period_choice(con, res: int, area=None) -> dict:
    """Training and test periods taken from the months the area's usable records cover, explained.

    **Whole years**, when the usable records cover at least two calendar years in at least 10 of
    their 12 months: the years considered run from the first to the last such year; of these ``n``
    years the last ``max(1, min(4, n // 3))`` are the test period and the up to 5 years before them
    the training period (Toronto 2004-2023: train 2015:2019, test 2020:2023; CBP fiscal years
    2022-2025: train 2022:2023, test 2024).

    **Whole months** otherwise (a register of one year or one quarter): the months considered run
    from the first to the last month holding at least :data:`MIN_MONTH_SHARE` of the median
    month's records; of these ``n`` months (``n >= 2``) the last ``max(1, min(48, n // 3))`` are the
    test period and the up to 60 months before them the training period (Ecuador 2023-01 to
    2023-11: train 2023-01:2023-08, test 2023-09:2023-11; Colombia 2019-01 to 2019-03: train
    2019-01:2019-02, test 2019-03).

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution; only the records usable at it count.
    area : intel.risk.Area, optional
        Area of operation, with its sources (default every located record).

    Returns
    -------
    dict
        ``train``, ``test`` (half-open ``(from, to)`` ISO dates), ``unit`` (``"years"`` or
        ``"months"``), ``train_text``, ``test_text`` (the periods in the product's grammar,
        :func:`intel.periods.period_text`) and ``sentence`` (which periods, from which data, why).

    Raises
    ------
    intel.risk.RiskError
        The area has no usable records at ``res`` (:func:`intel.risk.check_records`).
    BacktestError
        The usable records cover fewer than two months.
    """
    res = check_resolution(res, "backtest")
    recs = risk.area_records(con, res, area)
    risk.check_records(con, res, area, recs)
    d, apart = _overlapping_sources(recs.loc[recs["usable"]])
    years = _full_years(d)
    if len(years) >= 2:
        y0, y1 = years[0], years[-1]
        n = y1 - y0 + 1
        nt = max(1, min(4, n // 3))
        ntr = min(5, n - nt)
        ts = y1 - nt + 1
        train, test = (f"{ts - ntr}-01-01", f"{ts}-01-01"), (f"{ts}-01-01", f"{y1 + 1}-01-01")
        unit = "years"
        why = (f"the usable records at resolution {res} cover the calendar years {y0} to {y1} (years with records "
               f"in at least 10 of their 12 months); of these {n} years the last {_n(nt, 'year') if nt > 1 else 'year'} "
               f"{'is' if nt == 1 else 'are'} the test period and the {_n(ntr, 'year')} before the training period")
        after = sorted({int(y) for y in d.dt.year.unique()} - set(range(y0, y1 + 1)))
        after = [y for y in after if y > y1]
        if after:
            why += (f"; {', '.join(map(str, after))}, with records in fewer than 10 months, "
                    f"{'is' if len(after) == 1 else 'are'} left out")
    else:
        covered, per_month = _covered_months(d)
        if not covered or covered[0] == covered[-1]:
            raise BacktestError("The usable records cover less than two months, so there is no training and test "
                                "period to compare; choose the periods yourself or a coarser resolution.")
        m0, m1 = covered[0], covered[-1]
        n = (m1.year - m0.year) * 12 + m1.month - m0.month + 1
        nt = max(1, min(48, n // 3))
        ntr = min(60, n - nt)
        ts = m1 - (nt - 1)
        first = ts - ntr
        train = (first.start_time.date().isoformat(), ts.start_time.date().isoformat())
        test = (ts.start_time.date().isoformat(), (m1 + 1).start_time.date().isoformat())
        unit = "months"
        stray = per_month[(per_month.index < m0) | (per_month.index > m1)]
        why = (f"the usable records at resolution {res} do not cover two calendar years in at least 10 of their "
               f"12 months ({'only ' + str(years[0]) + ' does' if years else 'none does'}), so whole months "
               f"are used: they cover the months {m0} to {m1}; of these {n} months the last "
               f"{_n(nt, 'month') if nt > 1 else 'month'} {'is' if nt == 1 else 'are'} the test period "
               f"and the {_n(ntr, 'month')} before the training period")
        if len(stray):
            k = int(stray.sum())
            why += (f" ({_n(k, 'record')} of {', '.join(str(m) for m in sorted(stray.index))} "
                    f"{'falls' if k == 1 else 'fall'} outside both periods: too few to make a month of data, less than "
                    f"{MIN_MONTH_SHARE:.0%} of the median month's {float(per_month.median()):,.0f} records)")
    tt, st = periods.period_text(*train), periods.period_text(*test)
    sentence = (f"Periods taken from the data of the area's sources: training {tt}, test {st} ({train[0]} to "
                f"{train[1]} and {test[0]} to {test[1]}, the end day excluded): {why}.{apart}")
    return {"train": train, "test": test, "unit": unit, "train_text": tt, "test_text": st, "sentence": sentence}


def default_periods(con, res: int, area=None) -> tuple[tuple[str, str], tuple[str, str]]:
    """Training and test periods taken from the data of the area's own usable records.

    The rule is :func:`period_choice` (whole years where the records cover at least two, else
    whole months), which also says why.

    Returns
    -------
    ((str, str), (str, str))
        Half-open training and test periods, ISO dates.

    Raises
    ------
    intel.risk.RiskError
        The area has no usable records at ``res`` (:func:`intel.risk.check_records`).
    BacktestError
        The usable records cover fewer than two months.
    """
    c = period_choice(con, res, area)
    return c["train"], c["test"]


def default_resolution(con, area=None, date_from=None, date_to=None) -> dict:
    """The resolution a backtest runs at when none is given: the default, or coarser when the records need it.

    The rule, on the area's located records (of the period when given):

    1. when some resolution of the backtest range keeps at least half of them usable
       (:func:`intel.risk.suggested_resolution`), the finer of that and the default
       :data:`intel.config.DEFAULT_RESOLUTION` (``"backtest"``, 8): Toronto's intersections
       support 9, so 8; Colombian municipalities support 4 (94 % usable), so 4;
    2. otherwise the default when any record is usable there (a mixed area: the backtest ranks
       the finer records and warns about the others); else the finest resolution at which any
       record is usable (Ecuadorian provinces, radius of location uncertainty 33-140 km: 3, where
       42 % are); else the default, and the backtest says the records are too coarse.

    Parameters
    ----------
    con : DuckDB connection to the store.
    area : intel.risk.Area, optional
        Area of operation, with its sources.
    date_from, date_to : str, optional
        Half-open period of UTC days the records are taken from (default all dates).

    Returns
    -------
    dict
        ``resolution`` (int), ``usable_share`` (float, share of the located records usable at it,
        NaN when there are none) and ``sentence`` (which resolution and why, for pages and the CLI).
    """
    default = DEFAULT_RESOLUTION["backtest"]
    lo, hi = resolution_range("backtest")
    recs = risk.area_records(con, lo, area, date_from, date_to)
    radii = np.nan_to_num(uncertainty_values(recs["location_precision"].to_numpy(dtype=object),
                                             recs["uncertainty_km"].to_numpy(dtype=object)), nan=np.inf)
    share = {r: float(np.mean(radii <= edge_km(r))) if len(radii) else float("nan") for r in range(lo, hi + 1)}
    # the same records (the backtest's range is the planner's), read once
    sug = risk.suggested_resolution(con, area, date_from, date_to, records=recs) if len(radii) else {"resolution": None}
    best = sug["resolution"]
    if best is not None:
        res = min(best, default)
        why = ("the default; the records' location precision supports it" if best >= default else
               f"coarser than the default {default}, which the records' location precision does not support")
        why += f": {sug['sentence'].rstrip('.')}"
    elif share.get(default, 0) > 0:
        res = default
        why = (f"the default: no resolution of {lo}-{hi} keeps most of this area's records usable, and at {default} "
               f"{share[default]:.0%} of them are (the others are too coarsely located and left out)")
    elif any(share[r] > 0 for r in share):
        res = max(r for r in share if share[r] > 0)
        why = (f"coarser than the default {default}, at which none of this area's {len(radii):,} located records is "
               f"usable (their location is too coarse): {res} is the finest resolution at which any is, "
               f"{share[res]:.0%} of them (no resolution of {lo}-{hi} keeps most of them)")
    else:
        res = default
        why = "the default; no resolution of the backtest range can use this area's records"
    return {"resolution": int(res), "usable_share": share.get(res, float("nan")),
            "sentence": f"Resolution {res} ({edge_km(res):,.2f} km cell edge), {why}."}


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


def backtest_inputs(con, res: int, train, test, area=None, max_cells: int = 400_000) -> dict:
    """The records, study area and per-cell counts a backtest scores its methods on (no look-ahead).

    The part of :func:`backtest` that every method shares, also used by ``bench/backtest_grid.py``
    to score rankings on many splits without a risk score per split.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution (already checked).
    train, test : (str, str)
        Half-open periods, ISO dates, ``train[1] <= test[0]``.
    area : intel.risk.Area, optional
        Area of operation (default the land of the places with records).
    max_cells : int
        Largest study area, cells.

    Returns
    -------
    dict
        ``tr_all``, ``te_all`` (:func:`intel.risk.area_records` of each period), ``both`` (the
        two concatenated), ``cells`` (study-area cells, uint64, from the training records only),
        ``area`` (its description), ``inc_tr`` (training incidents inside the study area),
        ``inc_te`` (all usable test incidents), ``train_counts`` and ``test_counts`` (per study
        cell), ``missed`` (test events outside the study area), ``notes`` (plain sentences).

    Raises
    ------
    intel.risk.RiskError
        The area cannot be ranked at ``res``.
    BacktestError
        No usable events in the training or test period.
    """
    notes: list[str] = []
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
                            max_cells=max_cells)
            cells, desc = sa.cells, "Training period: " + sa.description
        else:
            cells = polygon_cells(without_lakes(risk.area_shape(con, area)), res, max_cells=max_cells)
            desc = f"{area.describe()}: {cells.size:,} cells at resolution {res}"
    except HotspotError as exc:
        raise risk.RiskError(str(exc)) from None
    inc_tr, inc_te = incidents_of_records(tr), incidents_of_records(te)
    inc_tr = inc_tr[np.isin(inc_tr["cell"].to_numpy(dtype="uint64"), cells)]
    test_counts = per_cell(inc_te, cells)
    in_area = inc_te[np.isin(inc_te["cell"].to_numpy(dtype="uint64"), cells)]["incident_key"].nunique()
    missed = int(inc_te["incident_key"].nunique() - in_area)
    if missed > 0:
        notes.append(f"{missed:,} test events fall outside the study area (cells the training period never reached); "
                     "they count as misses for every method.")
    train_counts = per_cell(inc_tr, cells)
    return {"tr_all": tr_all, "te_all": te_all, "both": both, "cells": cells, "area": desc, "inc_tr": inc_tr,
            "inc_te": inc_te, "train_counts": train_counts, "test_counts": test_counts, "missed": missed,
            "notes": notes}


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
        missing, :func:`period_choice` takes them from the months the area's sources cover.
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
        (the fitted ranking, ``ranking`` of :func:`fit_ranking`), ``fit`` (validation table of :func:`fit_ranking` as a list of
        dicts, one per candidate), ``validation`` (the span of the validation years), ``folds``
        (the validation years, latest first),
        ``not_applicable`` (score components that are 0 in this area, with the reason),
        ``weights``, ``periods_from_data`` (bool), ``periods_sentence`` (which periods were taken
        from the data and why, :func:`period_choice`; None when they were given).

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
        choice = period_choice(con, res, area)
        train, test = choice["train"], choice["test"]
        notes.append(choice["sentence"])
    elif train is None or test is None:
        raise BacktestError("Give both the training and the test period, or neither (then both are taken from the data).")
    periods_sentence = choice["sentence"] if from_data else None
    train, test = _period(train, "training"), _period(test, "test")
    if not train[1] <= test[0]:
        raise BacktestError(f"The test period ({test[0]} to {test[1]}) must start on or after the end of the "
                            f"training period ({train[0]} to {train[1]}).")
    inp = backtest_inputs(con, res, train, test, area, score_kwargs.get("max_cells", 400_000))
    tr_all, te_all, both, cells, desc = inp["tr_all"], inp["te_all"], inp["both"], inp["cells"], inp["area"]
    inc_tr, test_counts, train_counts, missed = inp["inc_tr"], inp["test_counts"], inp["train_counts"], inp["missed"]
    notes += inp["notes"]

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

    # candidates from the incidents only: no second risk score per validation fold (see fit_ranking)
    fit = fit_ranking(inc_tr, cells, train, h, pcts)
    fitted = fitted_ranking(candidate_parts(inc_tr, cells, train[1], h, score), fit, pcts)
    notes.append(fit["note"])

    parts = [evaluate(score, test_counts, pcts, METHODS[0], missed),
             evaluate(fitted, test_counts, pcts, METHODS[1], missed),
             evaluate(train_counts, test_counts, pcts, METHODS[2], missed),
             evaluate(kde, test_counts, pcts, METHODS[3], missed)]
    df = pd.concat(parts, ignore_index=True)
    # at which shares the fitted list is itself a previous-period counts list (its ties ordered)
    counts_order = {float(r.area_pct): top_is_tie_order(fitted, train_counts, int(r.cells))
                    for r in parts[1].itertuples()}
    warns, checks = backtest_warnings(tr_all, te_all, cells, test_counts, train_counts, res, train, test)
    df.attrs.update(train=train, test=test, res=res, study_cells=int(cells.size),
                    train_events=int(train_counts.sum()), test_events=int(round(test_counts.sum() + missed)),
                    bandwidth_km=h, area=desc, notes=notes, warnings=warns, checks=checks,
                    # plain records, not DataFrames: pandas compares attrs when it combines frames
                    fitted_method=fit["ranking"], fit=fit["table"].to_dict("records"), validation=fit["validation"],
                    folds=list(fit["folds"]),
                    not_applicable=dict(sc.attrs.get("not_applicable", {})), weights=sc.attrs.get("weights"),
                    periods_from_data=from_data, periods_sentence=periods_sentence,
                    fitted_counts_order=counts_order)
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
    lead everywhere. Equal figures go to the simpler method (:data:`TRUST_ORDER`); when every
    method has the same figures everywhere, no method is named (the test cannot tell them apart). Warnings of
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
    if len(lead) == len(order) and len(order) > 1:
        return ("Every method finds the same test events at every share of the area tested: this "
                "backtest cannot tell the rankings apart (too few cells or events to choose between them), "
                f"so it gives no reason to prefer any.{warn}")
    if lead:
        return (f"Trust {lead[0]}{fdesc if lead[0] == 'fitted' else ''} for this area: its hit rate is at least that of "
                f"every other method at every share of the area tested."
                f"{tie_order_sentence(df) if 'fitted' not in lead else ''}{warn}")
    best = p.mean(axis=1).idxmax()
    return (f"No method leads at every share; by mean hit rate over the shares, {best}"
            f"{fdesc if best == 'fitted' else ''} does best, so trust it with care.{tie_order_sentence(df)}{warn}")


def tie_order_sentence(df: pd.DataFrame) -> str:
    """Where the fitted list falls below previous-period counts only by the order of the counts' ties.

    When the fitted list's top cells at a share are those of the counts under some order of their
    ties (``attrs['fitted_counts_order']``, :func:`intel.risk.hits.top_is_tie_order`), it is itself
    one list ranked by previous-period counts there; the counts' ``hits`` are the average
    over all orders of their tied cells. Where the fitted list finds fewer test events than that
    average, by no more than the average's standard deviation over the tie orders (``tie_sd``,
    :func:`intel.risk.hits.hit_parts`), the sentence says so with the figures; otherwise it is
    empty.

    Returns
    -------
    str
        A sentence with a leading space, or ``''``.
    """
    fm = str(df.attrs.get("fitted_method") or "")
    order = df.attrs.get("fitted_counts_order") or {}
    if not any(order.values()):
        return ""
    f = df[df["method"] == "fitted"].set_index("area_pct")
    c = df[df["method"] == "previous-period counts"].set_index("area_pct")
    below = [a for a in f.index if a in c.index and f.at[a, "hits"] < c.at[a, "hits"] - 1e-9]
    if not below or any(not order.get(float(a)) or c.at[a, "hits"] - f.at[a, "hits"] > c.at[a, "tie_sd"] + 1e-9
                        for a in below):
        return ""
    shares = ", ".join(f"{a:g} %" for a in below)
    short = ", ".join(f"{c.at[a, 'hits'] - f.at[a, 'hits']:.1f}" for a in below)
    spread = ", ".join(f"{c.at[a, 'tie_sd']:.1f}" for a in below)
    ties = fm.removeprefix("counts, ")
    return (f" The fitted list is itself ranked by previous-period counts, its ties ordered ({ties}); where it "
            f"finds fewer test events than the counts' average over the orders of their tied cells ({shares} of the "
            f"area, by {short} events), the shortfall is within the spread of those orders (standard deviation "
            f"{spread} events): a counts list with its ties in another order may find more or fewer.")
