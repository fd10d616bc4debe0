"""The fitted ranking, the no-look-ahead study area and the backtest's warnings, on hand-built patterns.

Every pattern is small and its answer is worked out by hand in the comments: a stable pattern
where previous-period counts are optimal (the fitted method keeps them), a pattern where recency
matters (it picks decayed counts), a tie no single tie-break may break but their mean rank may,
a degenerate test on a few fixed points (warned about), and a test period reaching cells the
training period never did (kept out of the study area, counted as misses).
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from intel import backtest as bt
from intel.risk import fit as rf
from intel.risk.tiebreaks import mean_rank_parts
from intel.h3cells import cell_centres, from_hex

CENTRE = (43.70, -79.40)   # Toronto


def _patch(res: int = 8, k: int = 5) -> np.ndarray:
    """The 91 cells of a k=5 disk at resolution 8 (sorted uint64)."""
    return np.sort(from_hex(list(h3.grid_disk(h3.latlng_to_cell(*CENTRE, res), k))))


def _far_apart(cells: np.ndarray, n: int) -> list[int]:
    """Indexes of ``n`` cells no two of which are neighbours (every other ring position)."""
    out = []
    for i, c in enumerate(cells):
        hexes = {h3.int_to_str(int(cells[j])) for j in out}
        if not any(h3.grid_distance(h3.int_to_str(int(c)), x) <= 2 for x in hexes):
            out.append(i)
        if len(out) == n:
            return out
    raise AssertionError("patch too small")


def _inc(rows) -> pd.DataFrame:
    """Incidents from (cell, date) pairs, one incident each."""
    cells, days = zip(*rows)
    return pd.DataFrame({"cell": np.array(cells, dtype="uint64"), "incident_key": [f"t\x1f{i}" for i in range(len(rows))],
                         "d": pd.to_datetime(list(days)), "source": "t"})


def _spread(year: int, n: int) -> list[pd.Timestamp]:
    """``n`` dates spread evenly over a year (the same dates every year)."""
    return [pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=int(d)) for d in np.linspace(5, 355, n)]


# ------------------------------------------------------------------ the fitted ranking

def test_stable_pattern_keeps_previous_counts():
    # 10 far-apart hot cells with 20, 18, ..., 2 events every year of 2015-2019 on the same dates.
    # Inner training 2015-2018, validation 2019. Decayed counts order the cells exactly as counts
    # (same dates in every cell), the tie-break blends too (no ties among the top 9 cells), so no
    # candidate gains anything: counts stay. Validation (91 cells: 1 % -> 1 cell, 5 % -> 5, 10 % -> 9):
    # top 1 = 20 / 110, top 5 = (20+18+16+14+12) / 110 = 80 / 110, top 9 = (110 - 2) / 110.
    cells = _patch()
    hot = _far_apart(cells, 10)
    rows = [(cells[i], d) for y in range(2015, 2020) for r, i in enumerate(hot) for d in _spread(y, 20 - 2 * r)]
    fit = rf.fit_ranking(_inc(rows), cells, ("2015-01-01", "2020-01-01"), bandwidth_km=1.0)
    # three rolling folds (2019, 2018, 2017), each fitted on the years before it; the same pattern in each
    assert fit["choice"] == rf.COUNTS
    assert fit["folds"] == [("2019-01-01", "2020-01-01"), ("2018-01-01", "2019-01-01"), ("2017-01-01", "2018-01-01")]
    assert fit["validation"] == ("2017-01-01", "2020-01-01")
    t = fit["table"].set_index("candidate")
    assert t.loc[rf.COUNTS, ["hit_rate_1", "hit_rate_5", "hit_rate_10"]].tolist() == pytest.approx(
        [20 / 110, 80 / 110, 108 / 110])
    assert t.loc["decayed counts, half-life 365 d", "gain"] == pytest.approx(0.0)
    assert (t["gain"] <= t["gain_se"].fillna(0) + 1e-12).all()   # nothing beats counts clearly
    assert "no candidate beat them" in fit["note"]


def test_recency_pattern_picks_a_recency_candidate():
    # 5 "old" cells with 10 events each in 2015 only; 5 "new" cells with 6 events in 2018 and 6 in 2019.
    # Folds: 2019 (fitted on 2015-2018) and 2018 (fitted on 2015-2017); 2017 has no events and is skipped.
    # Fold 2019: counts rank old (10) above new (6), so at 1 % and 5 % (1 and 5 cells) they catch none of
    # the 30 events and at 10 % (9 cells: 5 old + 4 of 5 new) 24 of 30. A ranking that puts the new cells
    # first catches 6, 30 and 30 of 30 (the 5 new cells tie, so 1 cell catches 30 / 5 = 6 events): gain
    # mean(0.2, 1.0, 0.2) = 0.4667. Fold 2018: nothing knows the new cells yet (no events before 2018),
    # every candidate ranks the old cells first and the 86 empty cells tie: gain 0, a draw. Pooled gain
    # 0.4667 / 2 = 0.2333, the same in every new cell, so the standard error is 0.
    # Which candidates put the new cells first in fold 2019 (days 5..355 of a year, ages from 2019-01-01)?
    # decayed counts at any half-life (old 10 events 3-4 years back); "half counts, half decayed (730 d)":
    # decayed old 2.979 and new 5.066 per cell, scaled by 80 / (5 * 2.979 + 5 * 5.066) = 1.989, so old
    # 0.5 * 10 + 0.5 * 5.925 = 7.962 < new 0.5 * 6 + 0.5 * 10.076 = 8.038; but with 1460 d (old 5.450, new
    # 5.504) old 8.980 > new 7.020, so that blend keeps the counts' order (gain 0). Five candidates tie at
    # the best gain; the rule takes the simplest, the first in CANDIDATES order: the 730 d half blend.
    cells = _patch()
    idx = _far_apart(cells, 10)
    old, new = idx[:5], idx[5:]
    rows = [(cells[i], d) for i in old for d in _spread(2015, 10)]
    rows += [(cells[i], d) for i in new for y in (2018, 2019) for d in _spread(y, 6)]
    fit = rf.fit_ranking(_inc(rows), cells, ("2015-01-01", "2020-01-01"), bandwidth_km=1.0)
    assert fit["folds"] == [("2019-01-01", "2020-01-01"), ("2018-01-01", "2019-01-01")]
    assert fit["choice"] == "half counts, half decayed counts (730 d)"
    t = fit["table"].set_index("candidate")
    tie = 4 / 86 * 30 / 30                  # fold 2018 at 10 %: 5 old + 4 of the 86 tied empty cells
    assert t.loc[rf.COUNTS, ["hit_rate_1", "hit_rate_5", "hit_rate_10"]].tolist() == pytest.approx(
        [0, 0, (24 / 30 + tie) / 2])
    best = ["half counts, half decayed counts (730 d)", "half counts, half decayed counts (365 d)",
            *(f"decayed counts, half-life {h:g} d" for h in (1460, 730, 365))]
    for name in best:
        assert t.loc[name, ["hit_rate_1", "hit_rate_5", "hit_rate_10"]].tolist() == pytest.approx(
            [0.2 / 2, 1 / 2, (1 + tie) / 2])
        assert t.loc[name, "gain"] == pytest.approx((0.2 + 1.0 + 0.2) / 3 / 2)
        assert t.loc[name, "gain_se"] == pytest.approx(0.0, abs=1e-12)
        assert t.loc[name, "worst_gain"] == pytest.approx(0.0, abs=1e-12)
        assert t.loc[name, "eligible"]
    # the blends that keep the order of the counts gain nothing, so they are not eligible
    for name in ("counts, ties by decayed counts (730 d)", "half counts, half decayed counts (1460 d)"):
        assert t.loc[name, "gain"] == pytest.approx(0.0, abs=1e-12) and not t.loc[name, "eligible"]
    # one fold only (the former rule): the same simplest-of-the-best choice
    assert rf.fit_ranking(_inc(rows), cells, ("2015-01-01", "2020-01-01"), 1.0, folds=1)["choice"] == best[0]


def test_a_candidate_that_loses_one_fold_is_not_eligible(monkeypatch):
    # 15 cells in three groups of 5: "old" 6 events in 2016 and 2 in 2018; "new" 5 in 2017 and 1 in 2018;
    # "newer" 7 in 2018 and 7 in 2019. Train 2016-2019, folds 2019, 2018, 2017.
    # Fold 2019 (fitted on 2016-2018): counts old 8 > newer 7 > new 6, decayed counts (365 d) put newer
    # first; validation 2019 = newer's 35 events: counts catch 0, 0, 28 (10 %: 5 old + 4 of 5 newer),
    # decayed 7, 35, 35 -> gain mean(0.2, 1, 0.2) = 0.4667.
    # Fold 2018 (fitted on 2016-2017): counts old 6 > new 5, decayed (365 d) new first; validation 2018 =
    # old 10 + new 5 + newer 35 = 50 events (newer had none before): counts catch 2, 10, 14, decayed 1, 5,
    # 13 -> gain -(1 + 5 + 1) / 3 / 50 = -0.0467. Fold 2017 (fitted on 2016: only old): a draw.
    # Pooled gain of decayed counts (365 d): (0.4667 - 0.0467 + 0) / 3 = 0.14, well above its standard
    # error, but it loses the 2018 fold, so it is not eligible. The 730 d half blend reorders only in 2019
    # (old keeps its lead over new in 2018): gain 0.4667 / 3 = 0.1556 without a loss; it is chosen.
    cells = _patch()
    old, new, newer = [0, 6, 12, 18, 24], [30, 36, 42, 48, 54], [60, 66, 72, 78, 84]
    plan = {tuple(old): ((2016, 6), (2018, 2)), tuple(new): ((2017, 5), (2018, 1)), tuple(newer): ((2018, 7), (2019, 7))}
    rows = [(cells[i], d) for grp, yn in plan.items() for i in grp for y, n in yn for d in _spread(y, n)]
    fit = rf.fit_ranking(_inc(rows), cells, ("2016-01-01", "2020-01-01"), bandwidth_km=1.0)
    t = fit["table"].set_index("candidate")
    dec = t.loc["decayed counts, half-life 365 d"]
    assert dec["gain"] == pytest.approx((0.2 + 1 + 0.2) / 3 / 3 - 7 / 150 / 3)
    assert dec["worst_gain"] == pytest.approx(-5 / 50)     # fold 2018 at 5 %: 5 against 10 events
    assert dec["gain"] > dec["gain_se"] and not dec["eligible"]
    assert fit["choice"] == "half counts, half decayed counts (730 d)"
    assert t.loc[fit["choice"], "gain"] == pytest.approx(1.4 / 3 / 3)
    assert t.loc[fit["choice"], "worst_gain"] == pytest.approx(0.0, abs=1e-12)
    # without the every-fold condition the one-year winner would be eligible
    monkeypatch.setattr(rf, "REQUIRE_EVERY_FOLD", False)
    t2 = rf.fit_ranking(_inc(rows), cells, ("2016-01-01", "2020-01-01"), bandwidth_km=1.0)["table"].set_index("candidate")
    assert t2.loc["decayed counts, half-life 365 d", "eligible"]


def test_a_candidate_that_loses_at_one_share_is_not_eligible(monkeypatch):
    # Train 2018-2019: one fold, validation 2019 fitted on 2018. Shares 1 % (1 cell of 91) and 10 % (9).
    # 2018: cell a 3 events in January, cell b 2 in December, eight cells c0..c7 one event each, c0 the
    # oldest (Feb) and c7 the latest (Sep). 2019: a 2 events, c1..c7 10 each (N = 72).
    # Counts: a (3) > b (2) > the eight c tied at 1. At 1 %: a, 2 hits; at 10 %: a, b and 7 of the 8 c,
    # expected 7 / 8 * 70 = 61.25, so 63.25 hits. Decayed counts (365 d) put b first (2 recent events
    # 1.96 against a's 3 old ones 1.59) and order the c by date: 1 %: b, 0 hits (-2); 10 %: a, b, c7..c1,
    # 72 hits (+8.75). Mean over the shares: (-2 + 8.75) / 2 / 72 = 0.0469, over one standard error
    # (0.017: the cluster of a, -2 * 0.5 - 0.0469 * 2, against seven c at 10 * 1/16 - 0.0469 * 10), but it
    # loses at 1 %, so it is not eligible. Counts with ties broken by decayed counts (730 d) keep a first
    # and take the seven latest c: 2 and 72 hits, gain 8.75 / 2 / 72 = 0.0608, no loss: chosen.
    cells = _patch()
    idx = list(range(0, 91, 9))[:10]
    a, b, c = idx[0], idx[1], idx[2:]
    rows = [(cells[a], f"2018-01-{d}") for d in (10, 20, 30)] + [(cells[b], f"2018-12-{d}") for d in (10, 20)]
    rows += [(cells[ci], pd.Timestamp("2018-02-01") + pd.Timedelta(days=30 * j)) for j, ci in enumerate(c)]
    rows += [(cells[a], f"2019-0{m}-15") for m in (3, 6)]
    rows += [(cells[ci], pd.Timestamp("2019-01-05") + pd.Timedelta(days=30 * k)) for ci in c[1:] for k in range(10)]
    fit = rf.fit_ranking(_inc(rows), cells, ("2018-01-01", "2020-01-01"), 1.0, pcts=(1, 10))
    t = fit["table"].set_index("candidate")
    assert t.loc[rf.COUNTS, ["hit_rate_1", "hit_rate_10"]].tolist() == pytest.approx([2 / 72, 63.25 / 72])
    dec = t.loc["decayed counts, half-life 365 d"]
    assert dec[["hit_rate_1", "hit_rate_10"]].tolist() == pytest.approx([0, 1])
    assert dec["gain"] == pytest.approx((-2 + 8.75) / 2 / 72) and dec["worst_gain"] == pytest.approx(-2 / 72)
    assert dec["gain"] > dec["gain_se"] and not dec["eligible"]
    assert fit["choice"] == "counts, ties by decayed counts (730 d)"
    assert t.loc[fit["choice"], "gain"] == pytest.approx(8.75 / 2 / 72)
    monkeypatch.setattr(rf, "REQUIRE_EVERY_FOLD", False)
    t2 = rf.fit_ranking(_inc(rows), cells, ("2018-01-01", "2020-01-01"), 1.0, pcts=(1, 10))["table"]
    assert t2.set_index("candidate").loc["decayed counts, half-life 365 d", "eligible"]


def test_ties_by_the_narrower_kernel_follow_the_nearest_hot_cell():
    # Three far-apart pieces at resolution 8 (105 cells): a disk of radius 3 around b0 whose ring 3 holds
    # 18 cells m of 2 events a year; b0 and two of its neighbours (cells b) 1 event in 2018; a hot cell h
    # of 10 events a year, three of its neighbours (cells a) 1 event in 2018 and 2 in 2019; a disk of
    # radius 4 without events (about 24 km apart: no kernel reaches across). Train 2018-2019, one fold:
    # validation 2019 fitted on 2018, share 21 % = 22 cells: h, the 18 m and 3 of the 6 cells tied at 1
    # (the a and the b). Bandwidth 2 km: the narrower tie-break (1 km) weighs h next door (weight
    # exp(-0.92**2 / 2) = 0.66, ten events) above the m ring 2.4-2.8 km away (weights under 0.06), so the
    # a come first; at 2 km the ring's 36 events (weights 0.39-0.48) outweigh h, so the b come first.
    # 2019 has 10 + 36 + 6 = 52 events: counts 10 + 36 + 3 / 6 * 6 = 49, narrow 52, default 46.
    # Gain 3 / 52 = 0.058 against a standard error of 0.034 (clusters: three a cells carry the gain).
    b0, h0 = h3.latlng_to_cell(43.70, -79.40, 8), h3.latlng_to_cell(43.70, -79.10, 8)
    f0 = h3.latlng_to_cell(43.90, -79.40, 8)
    m, b, a = list(h3.grid_ring(b0, 3)), [b0, *list(h3.grid_ring(b0, 1))[:2]], list(h3.grid_ring(h0, 1))[:3]
    cells = np.sort(from_hex(list(set(h3.grid_disk(b0, 3)) | set(h3.grid_disk(h0, 1)) | set(h3.grid_disk(f0, 4)))))
    assert cells.size == 105 and rf.cells_for_pct(cells.size, 21) == 22
    hx = from_hex
    rows = [(hx([h0])[0], d) for y in (2018, 2019) for d in _spread(y, 10)]
    rows += [(hx([c])[0], d) for c in m for y in (2018, 2019) for d in _spread(y, 2)]
    rows += [(hx([c])[0], d) for c in b + a for d in _spread(2018, 1)]
    rows += [(hx([c])[0], d) for c in a for d in _spread(2019, 2)]
    inc = _inc(rows)
    r = rf.candidate_rankings(inc[inc["d"] < "2019-01-01"], cells, "2019-01-01", 2.0)
    at = lambda name, cs: r[name][np.searchsorted(cells, hx(cs))]  # noqa: E731
    assert at(rf.TIES_NARROW, a).min() > at(rf.TIES_NARROW, b).max()                         # narrow: a first
    assert at("counts, ties by kernel density", b).min() > at("counts, ties by kernel density", a).max()
    fit = rf.fit_ranking(inc, cells, ("2018-01-01", "2020-01-01"), 2.0, pcts=(21,), folds=1)
    t = fit["table"].set_index("candidate")
    assert t.loc[rf.COUNTS, "hit_rate_21"] == pytest.approx(49 / 52)
    assert t.loc[rf.TIES_NARROW, "hit_rate_21"] == pytest.approx(1.0)
    assert t.loc["counts, ties by kernel density", "hit_rate_21"] == pytest.approx(46 / 52)
    assert t.loc[rf.TIES_NARROW, "gain"] == pytest.approx(3 / 52)
    assert t.loc[rf.TIES_NARROW, "gain"] > t.loc[rf.TIES_NARROW, "gain_se"]
    assert fit["choice"] == rf.TIES_NARROW
    # without the narrower tie-break (the fit before issue 16) nothing is eligible: counts stay
    before = [c for c in rf.CANDIDATES if c != rf.TIES_NARROW]
    assert rf.fit_ranking(inc, cells, ("2018-01-01", "2020-01-01"), 2.0, pcts=(21,), folds=1,
                          candidates=before)["choice"] == rf.COUNTS
    # it is tried before the default-bandwidth tie-break, so it wins when both do equally well
    assert rf.CANDIDATES.index(rf.TIES_NARROW) < rf.CANDIDATES.index("counts, ties by kernel density")


def test_ties_are_broken_share_by_share():
    # 91 cells, shares 1 % (1 cell) and 10 % (9 cells); train 2018-2019, one fold: 2019 fitted on 2018. Only
    # the tie-break by decayed counts (730 d) competes with the counts. 2018: a1 and a2 3 events each (a1 in
    # January, a2 in December), c1..c7 one event each in November-December, c8..c14 one each in January-February.
    # 2019: a1 4 events, c1..c7 2 each (N = 18). At 1 % the counts take half of a1 and a2 (2 hits), the
    # tie-break a2 (0): a loss, so the tie-break is not eligible on the shares pooled and the fit keeps counts.
    # At 10 % (a1, a2 and 7 of the 14 tied c) the counts expect 4 + 7 / 14 * 14 = 11 hits, the tie-break takes
    # c1..c7: 18. Gain 7 / 18 = 0.389 at that share alone; clusters c1..c7 (2 * 0.5 - 0.389 * 2) / 18 and a1
    # (-0.389 * 4) / 18: SE = sqrt(8 / 7 * (7 * 0.01235 ** 2 + 0.08642 ** 2)) = 0.0988, 3.9 standard errors,
    # above SHARE_TIES_SE_RULE (3): the tie at 10 % is broken, the one at 1 % stays shared.
    cells = _patch()
    a1, a2, c = cells[0], cells[10], cells[20:34]
    rows = [(a1, f"2018-01-{d}") for d in (5, 10, 15)] + [(a2, f"2018-12-{d}") for d in (5, 10, 15)]
    rows += [(ci, pd.Timestamp("2018-11-01") + pd.Timedelta(days=7 * j)) for j, ci in enumerate(c[:7])]
    rows += [(ci, pd.Timestamp("2018-01-03") + pd.Timedelta(days=7 * j)) for j, ci in enumerate(c[7:])]
    rows += [(a1, f"2019-0{m}-15") for m in (2, 4, 6, 8)]
    rows += [(ci, f"2019-{m:02d}-10") for ci in c[:7] for m in (3, 9)]
    tb = "counts, ties by decayed counts (730 d)"
    inc = _inc(rows)
    fit = rf.fit_ranking(inc, cells, ("2018-01-01", "2020-01-01"), 1.0, pcts=(1, 10), candidates=(rf.COUNTS, tb))
    t = fit["table"].set_index("candidate")
    assert t.loc[tb, "worst_gain"] == pytest.approx(-2 / 18) and not t.loc[tb, "eligible"]
    assert fit["choice"] == rf.COUNTS
    assert fit["ties"] == {1.0: None, 10.0: tb}
    assert fit["ranking"] == "counts, ties by share (1 %: none; 10 %: decayed counts (730 d))"
    ranks = [rf.candidate_rankings(inc[inc["d"] < "2019-01-01"], cells, "2019-01-01", 1.0)]
    vc = [rf.per_cell(inc[inc["d"] >= "2019-01-01"], cells)]
    g, se = rf.pooled_gain([ranks[0][tb]], [ranks[0][rf.COUNTS]], vc, [10])
    assert g == pytest.approx(7 / 18) and se == pytest.approx(0.09876, abs=1e-4) and g > 3 * se
    # the same gain with a tie-break already chosen on all shares needs one standard error, without: three
    assert rf.share_ties(ranks, vc, [0.0], rf.COUNTS, (10,)) == {10.0: tb}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rf, "SHARE_TIES_SE_RULE", 4.0)
        assert rf.share_ties(ranks, vc, [0.0], rf.COUNTS, (10,)) == {10.0: None}
        assert rf.share_ties(ranks, vc, [0.0], tb, (10,)) == {10.0: tb}
    # a candidate that replaces the counts leaves no tie to break
    assert rf.share_ties(ranks, vc, [0.0], "decayed counts, half-life 730 d", (10,)) == {}
    # refitted on 2018-2019: a1 7 events, a2 and c1..c7 3, c8..c14 1. The 10 % cut-off (9 cells) falls on
    # the count 3, so the tie-break orders those 8 cells only; the 1 % cut-off (a1 alone) keeps the counts.
    parts = rf.fitted_parts(rf.candidate_parts(inc, cells, "2020-01-01", 1.0), fit, (1, 10))
    counts = rf.per_cell(inc, cells)
    assert set(parts) == {"counts", "decayed"} and parts["counts"].tolist() == counts.tolist()
    full = rf.candidate_parts(inc, cells, "2020-01-01", 1.0)[tb]["decayed"]
    assert np.flatnonzero(parts["decayed"]).tolist() == np.flatnonzero(counts == 3).tolist()
    assert parts["decayed"][counts == 3] == pytest.approx(full[counts == 3])
    score = rf.fitted_ranking(rf.candidate_parts(inc, cells, "2020-01-01", 1.0), fit, (1, 10))
    assert np.argsort(-score, kind="stable")[0] == np.searchsorted(cells, a1)
    assert "10 %: counts, ties by decayed counts (730 d)" in fit["note"]
    # share ties that add nothing to the choice (its own tie-break at every share) leave the choice whole
    same = {"choice": tb, "ties": {1.0: tb, 10.0: tb}}
    assert rf.ranking_label(tb, same["ties"]) == tb
    whole = rf.fitted_parts(rf.candidate_parts(inc, cells, "2020-01-01", 1.0), same, (1, 10))
    assert whole["decayed"].tolist() == full.tolist()


def test_mean_rank_of_the_tie_breaks_on_isolated_cells():
    # Three cells of the patch, no two within 3 rings (2.4 km), one event each in 2019 (January, June,
    # December); bandwidth 0.5 km, so no kernel reaches another cell (cut-off 1.5 km) and both kernel
    # densities are 1 in each: tied, average rank 2 of 3, normalised 2/3. Decayed counts rank them by date:
    # 1/3, 2/3, 1. Mean rank (2/3 + 2/3 + r) / 3 = 5/9, 6/9, 7/9: the latest event first. The parts: density
    # 0.5 * (2/3 + 2/3) / 3 = 2/9 in each, decayed 0.5 * r / 3 = 1/18, 2/18, 3/18.
    cells = _patch()
    idx = _far_apart(cells, 3)
    inc = _inc([(cells[i], d) for i, d in zip(idx, ("2019-01-10", "2019-06-10", "2019-12-10"))])
    parts = rf.candidate_parts(inc, cells, "2020-01-01", 0.5)[rf.TIES_MEAN]
    assert set(parts) == {"counts", "density", "decayed"}
    assert parts["density"][idx] == pytest.approx([2 / 9] * 3)
    assert parts["decayed"][idx] == pytest.approx([1 / 18, 2 / 18, 3 / 18])
    total = np.sum(list(parts.values()), axis=0)
    assert total[idx] == pytest.approx([1 + 5 / 18, 1 + 6 / 18, 1 + 7 / 18])
    others = np.setdiff1d(np.arange(cells.size), idx)
    assert total[others].max() <= 0.5                  # count 0 (ordered by the kernels near the three): below


def test_mean_rank_breaks_a_tie_no_single_tie_break_may():
    # Five cells a..e of count 1 (the rest of 100 cells 0), two folds, share 1 % = 1 cell: the counts take 1/5
    # of each tied cell. The tie-breakers order the five: narrow b > a > c > d = e, default kernel
    # c > a > b > d = e, decayed d > a > c > b = e; all three put a second (rank 4/5), the others' means are
    # 11/15 at most, so the mean rank puts a first. Fold 1: a 2 events, b 1; fold 2: a 2, c 1, e 1. The counts
    # find 3/5 and 4/5; narrow takes b: 1 and 0, a loss in fold 2; the default kernel takes c: 0 and 1, a loss
    # in fold 1; decayed takes d: 0 and 0, losses. None is eligible.
    # The mean takes a: 2 of 3 and 2 of 4 events, gains (2 - 3/5) / 3 = 0.467 and (2 - 4/5) / 4 = 0.3, pooled
    # 0.383; clusters a (0.8 * 2 - 0.467 * 2) / 3 and (0.8 * 2 - 0.3 * 2) / 4, halved: 0.236; b (-0.2 - 0.467)
    # / 3 / 2 = -0.111; c and e (-0.2 - 0.3) / 4 / 2 = -0.0625: SE = sqrt(4 / 3 * sum r**2) = 0.318. Above one
    # standard error (the fit chose a tie-break), not above three (it kept the counts).
    n = 100
    c = np.zeros(n)
    c[:5] = 1
    x = {rf.TIES_MEAN_OF[0]: [2, 3, 1, 0, 0], rf.TIES_MEAN_OF[1]: [2, 1, 3, 0, 0], rf.TIES_MEAN_OF[2]: [2, 0, 1, 3, 0]}
    pad = lambda v: np.concatenate([np.asarray(v, float), np.zeros(n - 5)])  # noqa: E731
    r = {rf.COUNTS: c, **{k: c + 0.1 * pad(v) for k, v in x.items()}}
    mean_parts = mean_rank_parts(c, {k: ("density", pad(v)) for k, v in x.items()})
    r[rf.TIES_MEAN] = np.sum(list(mean_parts.values()), axis=0)
    assert np.argmax(r[rf.TIES_MEAN]) == 0
    vc = [pad([2, 1, 0, 0, 0]), pad([2, 0, 1, 0, 1])]
    g, se = rf.pooled_gain([r[rf.TIES_MEAN]] * 2, [c] * 2, vc, [1])
    assert g == pytest.approx((1.4 / 3 + 1.2 / 4) / 2) and se == pytest.approx(0.318, abs=1e-3)
    for name in rf.TIES_MEAN_OF:
        assert min(rf.paired_gain(r[name], c, v, [1])[0] for v in vc) < 0
    assert rf.share_ties([r, r], vc, [0, 0], rf.TIES_NARROW, (1,)) == {1.0: rf.TIES_MEAN}
    assert rf.share_ties([r, r], vc, [0, 0], rf.COUNTS, (1,)) == {1.0: None}           # 1.2 standard errors < 3
    assert rf.share_ties([r, r], vc, [0, 0], rf.TIES_NARROW, (1,), mean=False) == {1.0: None}
    # the mean competes only with all its tie-breakers, and only where no single one is eligible
    assert rf.share_ties([r, r], vc, [0, 0], rf.TIES_NARROW, (1,), rf.CANDIDATES[:2]) == {1.0: None}
    r2 = {**r, rf.TIES_MEAN_OF[2]: c + 0.1 * pad([3, 0, 1, 2, 0])}                     # decayed: a first
    assert rf.share_ties([r2, r2], vc, [0, 0], rf.TIES_NARROW, (1,)) == {1.0: rf.TIES_MEAN_OF[2]}
    # refitted: the mean's parts order the tie at the cut-off only, under the name of the share's rule
    fit = {"choice": rf.TIES_NARROW, "ties": {1.0: rf.TIES_MEAN}}
    fp = rf.fitted_parts({rf.COUNTS: {"counts": c}, rf.TIES_MEAN: mean_parts}, fit, (1,))
    assert np.argmax(np.sum(list(fp.values()), axis=0)) == 0
    assert rf.ranking_label(fit["choice"], fit["ties"]) == "counts, ties by share (1 %: mean rank of the tie-breaks)"


def test_pooled_gain_clusters_cells_across_folds():
    # 3 cells, k = 1 of 3 (pct 34 -> floor(1.02 + 0.5) = 1). Fold 1: base ranks cell 0 first, the candidate
    # cell 1; events (0, 2, 0): gain 2 / 2 = 1. Fold 2: the same rankings, events (1, 1, 0), N = 2: gain 0.
    # D = (1 + 0) / 2 = 0.5. Residuals per cell over both folds, r_c = 1/2 sum_f (n d - D_f n) / N_f:
    # cell 0: fold 2 (1 * -1 - 0) / 2 = -0.5 -> r0 = -0.25; cell 1: fold 1 (2 - 2) / 2 = 0, fold 2
    # (1 - 0) / 2 = 0.5 -> r1 = 0.25. m = 2 clusters: SE = sqrt(2 * (0.0625 + 0.0625)) = 0.5.
    s, b = np.array([0.0, 1, 0]), np.array([1.0, 0, 0])
    d, se = rf.pooled_gain([s, s], [b, b], [np.array([0.0, 2, 0]), np.array([1.0, 1, 0])], [34])
    assert d == pytest.approx(0.5) and se == pytest.approx(0.5)
    # one fold is paired_gain
    assert rf.pooled_gain([s], [b], [np.array([1.0, 1, 0])], [34], [1]) == pytest.approx(
        rf.paired_gain(s, b, np.array([1.0, 1, 0]), [34], missed=1), nan_ok=True)


def test_validation_folds_are_whole_years_with_a_year_to_fit_on():
    assert rf.validation_folds(("2015-01-01", "2020-01-01")) == [
        ("2019-01-01", "2020-01-01"), ("2018-01-01", "2019-01-01"), ("2017-01-01", "2018-01-01")]
    assert rf.validation_folds(("2010-01-01", "2015-01-01"))[-1] == ("2012-01-01", "2013-01-01")   # leap year
    assert rf.validation_folds(("2018-06-01", "2020-01-01")) == [("2019-01-01", "2020-01-01")]
    assert rf.validation_folds(("2019-01-01", "2020-01-01")) == []
    assert rf.validation_folds(("2015-01-01", "2020-01-01"), folds=1) == [("2019-01-01", "2020-01-01")]


def test_short_training_period_has_no_inner_split():
    cells = _patch()
    fit = rf.fit_ranking(_inc([(cells[0], "2019-03-01")]), cells, ("2019-01-01", "2020-01-01"), 1.0)
    assert fit["choice"] == rf.COUNTS and fit["table"].empty and "no inner validation year" in fit["note"]


def test_paired_gain_and_cell_hit_shares():
    # 4 cells, k = 2 of 4 (50 %). base ranks cells 0, 1 first; candidate ranks 0 and 2 first.
    # test events 1, 0, 3, 0 -> base 1 hit, candidate 4 hits, N = 4 (+1 missed = 5): gain 3 / 5.
    # Only cell 2 differs: one cluster carries the whole gain, the others have residual -D n_c.
    assert rf.cell_hit_shares([5, 2, 2, 2], 2).tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1 / 3])
    d, se = rf.paired_gain([4, 1, 3, 0], [4, 3, 1, 0], [1, 0, 3, 0], [50], missed=1)
    assert d == pytest.approx(3 / 5)
    e = np.array([1 * 0 - 0.6 * 1, 3 * 1 - 0.6 * 3, -0.6])    # cell 0, cell 2, the missed event
    assert se == pytest.approx(np.sqrt(3 / 2 * (e ** 2).sum()) / 5)


# ------------------------------------------------------------------ on a store

def _store(path, rows):
    """Store with one accepted intersection-level record per (lat, lon, day)."""
    from intel.hexbin import bin_points
    from intel.store import connect

    out = []
    for i, (lat, lon, day) in enumerate(rows):
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        out.append((i + 1, 1, "t", f"E{i}", "accepted", "discharge incident", pd.Timestamp(day).date(), lat, lon,
                    "intersection", 0.0, c, "CAN"))
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    out)
    con.close()
    return path


def _scatter(rng, n, year):
    return [(43.62 + rng.uniform(0, 0.16), -79.50 + rng.uniform(0, 0.25),
             pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))) for _ in range(n)]


def test_study_area_uses_training_cells_only(tmp_path):
    from intel.hotspots import study_area
    from intel.store import connect

    rng = np.random.default_rng(3)
    rows = _scatter(rng, 60, 2018) + _scatter(rng, 60, 2019)
    test = _scatter(rng, 30, 2020)
    far = [(43.85, -79.05, "2020-06-01")] * 4                 # ~30 km NE: a place training never reached
    con = connect(_store(tmp_path / "a.duckdb", rows + test + far), read_only=True)
    df = bt.backtest(con, 8, "2018:2019", "2020")
    tr = bt.risk.area_records(con, 8, None, "2018-01-01", "2020-01-01")
    pairs = tr[["cell", "country_iso3"]].drop_duplicates()
    want = study_area(pairs["cell"].to_numpy(dtype="uint64"), 8, "data", con=con,
                      iso3=pairs["country_iso3"].to_numpy(dtype=object)).cells   # training cells, lakes out
    assert df.attrs["study_cells"] == want.size
    from intel.hexbin import bin_points
    from intel.h3cells import parent
    far_cell = parent(bin_points(np.array([43.85]), np.array([-79.05])), 8)[0]
    assert far_cell not in set(want.tolist())
    # the 4 far events are misses for every method, never dropped: N = 30 + 4
    assert (df["test_events"] == 34).all()
    assert any("outside the study area" in n and "count as misses" in n for n in df.attrs["notes"])
    assert df["method"].unique().tolist() == list(bt.METHODS)
    df.round(3)   # attrs hold plain values: pandas can still combine the frame
    # hits stay within the 30 events inside the area, and the tie parts add up
    assert (df["hits"] <= 30 + 1e-9).all()
    parts = df["hits_above"] + df["tied_taken"] / df["tied_cells"] * df["tied_events"]
    assert np.allclose(parts, df["hits"])
    con.close()


def test_degenerate_test_on_training_points_is_warned(tmp_path):
    from intel.store import connect

    # three fixed points (like CBP headquarters towns) hold every event, training and test
    pts = [(43.65, -79.38), (43.70, -79.42), (43.75, -79.30)]
    rows = [(la, lo, f"{y}-{m:02d}-15") for y in (2018, 2019, 2020) for m in range(1, 13, 3) for la, lo in pts]
    con = connect(_store(tmp_path / "d.duckdb", rows), read_only=True)
    df = bt.backtest(con, 8, "2018:2019", "2020")
    w = " ".join(df.attrs["warnings"])
    assert df.attrs["checks"]["share_on_training_points"] == 1.0
    assert "degenerate" in w and "only 3 distinct cells" in w
    con.close()


def test_scattered_test_is_not_called_degenerate(tmp_path):
    from intel.store import connect

    rng = np.random.default_rng(5)
    rows = _scatter(rng, 80, 2018) + _scatter(rng, 80, 2019) + _scatter(rng, 60, 2020)
    con = connect(_store(tmp_path / "s.duckdb", rows), read_only=True)
    df = bt.backtest(con, 8, "2018:2019", "2020")
    assert df.attrs["checks"]["share_on_training_points"] < 0.1
    assert not any("degenerate" in x for x in df.attrs["warnings"])
    assert df.attrs["checks"]["test_cells"] >= 20 and not any("distinct cells" in x for x in df.attrs["warnings"])
    con.close()


def test_coverage_change_between_periods_is_warned(tmp_path):
    from intel.store import connect

    # every month of 2018-2019 in training, but only January of the test year 2020: 100 % vs 8 %
    rng = np.random.default_rng(7)
    rows = [(43.62 + rng.uniform(0, 0.16), -79.50 + rng.uniform(0, 0.25), f"{y}-{m:02d}-10")
            for y in (2018, 2019) for m in range(1, 13) for _ in range(3)]
    rows += [(43.62 + rng.uniform(0, 0.16), -79.50 + rng.uniform(0, 0.25), "2020-01-10") for _ in range(30)]
    con = connect(_store(tmp_path / "c.duckdb", rows), read_only=True)
    df = bt.backtest(con, 8, "2018:2019", "2020")
    cov = pd.DataFrame(df.attrs["checks"]["coverage"]).set_index("source")
    assert cov.loc["t", "train_months_share"] == 1.0 and cov.loc["t", "test_months_share"] == pytest.approx(1 / 12)
    assert any("Source t has records in 100% of the training months but 8% of the test" in x
               for x in df.attrs["warnings"])
    con.close()


def test_default_periods_follow_the_data(tmp_path):
    from intel.store import connect

    # monthly events from 2010-01 to 2016-06: full years 2010-2015 (2016 has 6 months), n = 6,
    # test = last max(1, min(4, 6 // 3)) = 2 years (2014-2015), train = min(5, 4) = 4 years (2010-2013)
    rng = np.random.default_rng(9)
    rows = [(43.62 + rng.uniform(0, 0.16), -79.50 + rng.uniform(0, 0.25), d)
            for d in pd.date_range("2010-01-15", "2016-06-15", freq="MS") + pd.Timedelta(days=14)]
    con = connect(_store(tmp_path / "p.duckdb", rows), read_only=True)
    assert bt.default_periods(con, 8) == (("2010-01-01", "2014-01-01"), ("2014-01-01", "2016-01-01"))
    df = bt.backtest(con, 8)
    assert df.attrs["periods_from_data"] and df.attrs["train"] == ("2010-01-01", "2014-01-01")
    with pytest.raises(bt.BacktestError):
        bt.backtest(con, 8, "2010:2013", None)
    con.close()


# ------------------------------------------------------------------ components that do not apply

def test_border_in_reach_needs_an_official_crossing():
    from intel.risk.reach import border_in_reach, flows_reaching

    lat, lon = cell_centres(_patch())
    far = pd.DataFrame({"latitude": [CENTRE[0] + 1.0], "longitude": [CENTRE[1]]})   # ~111 km
    near = pd.DataFrame({"latitude": [CENTRE[0] + 0.2], "longitude": [CENTRE[1]]})  # ~22 km
    assert border_in_reach(far, lat, lon, 50)[0] is False
    ok, km = border_in_reach(near, lat, lon, 50)
    assert ok and 10 < km < 23
    assert border_in_reach(None, lat, lon, 50) == (False, pytest.approx(float("nan"), nan_ok=True))
    # flows: only those with an end inside the countries' geometry reach the area
    box = shapely.box(-80, 43, -79, 44)                          # stands for "the area's country"
    flows = pd.DataFrame({"origin_lat": [43.5, 40.0, 40.0], "origin_lon": [-79.5, -75.0, -75.0],
                          "destination_lat": [30.0, 43.2, 35.0], "destination_lon": [-90.0, -79.9, -80.0]})
    assert flows_reaching(flows, box).index.tolist() == [0, 1]
    assert len(flows_reaching(flows, None)) == 3
