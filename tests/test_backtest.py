"""Backtest metrics on hand-built grids whose hit rate and PAI are computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from intel import backtest as bt
from intel.risk import fit as rf


def test_ten_cells_two_predicted_three_of_five_events():
    # 10 cells, the 2 top-ranked hold 3 of the 5 test events: hit rate 3/5 = 0.6, PAI 0.6 / (2/10) = 3.0
    scores = [9, 8, 1, 1, 1, 1, 1, 1, 1, 1]
    test = [2, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    r = bt.evaluate(scores, test, [20], "score").iloc[0]
    assert r["cells"] == 2 and r["hits"] == 3
    assert r["hit_rate"] == pytest.approx(0.6) and r["pai"] == pytest.approx(3.0)
    assert r["test_events"] == 5 and r["study_cells"] == 10


def test_percentages_round_to_whole_cells():
    # 200 cells: 1 % -> 2 cells, 5 % -> 10, 10 % -> 20; 10 cells at 1 % -> at least 1 cell
    assert [rf.cells_for_pct(200, p) for p in (1, 5, 10)] == [2, 10, 20]
    assert rf.cells_for_pct(10, 1) == 1 and rf.cells_for_pct(10, 5) == 1 and rf.cells_for_pct(10, 15) == 2
    with pytest.raises(ValueError):
        rf.cells_for_pct(10, 0)


def test_known_ranking_at_1_5_10_percent():
    # 100 cells ranked 100..1; test events: 4 in the top cell, 6 in cells 2-5, 5 in cells 6-10, 5 elsewhere (20)
    scores = np.arange(100, 0, -1, dtype=float)
    test = np.zeros(100)
    test[0] = 4
    test[1:5] = 1.5
    test[5:10] = 1
    test[50:55] = 1
    df = bt.evaluate(scores, test, (1, 5, 10), "m")
    assert df["cells"].tolist() == [1, 5, 10]
    assert df["hit_rate"].tolist() == pytest.approx([4 / 20, 10 / 20, 15 / 20])
    assert df["pai"].tolist() == pytest.approx([(4 / 20) / 0.01, (10 / 20) / 0.05, (15 / 20) / 0.10])


def test_ties_at_the_cut_off_count_by_expectation():
    # 10 cells: one clear top cell (score 5), then four tied at 2 holding 1, 1, 0, 2 test events.
    # 3 cells predicted: the top cell (2 events) + 2 of the 4 tied cells: expected 2/4 * 4 = 2 events.
    scores = [5, 2, 2, 2, 2, 0, 0, 0, 0, 0]
    test = [2, 1, 1, 0, 2, 0, 0, 0, 0, 4]
    assert rf.hits_at(scores, test, 3) == pytest.approx(4.0)
    r = bt.evaluate(scores, test, [30]).iloc[0]
    assert r["hit_rate"] == pytest.approx(0.4) and r["pai"] == pytest.approx(0.4 / 0.3)
    # order of rows does not matter
    perm = [9, 3, 1, 0, 8, 2, 7, 4, 6, 5]
    assert rf.hits_at(np.array(scores)[perm], np.array(test)[perm], 3) == pytest.approx(4.0)


def test_no_test_events_gives_nan_not_an_error():
    df = bt.evaluate([3, 2, 1], [0, 0, 0], [50])
    assert math.isnan(df["hit_rate"].iloc[0]) and math.isnan(df["pai"].iloc[0])


def test_kde_gaussian_on_known_distances():
    # source 1 event at (0, 0); points at 0 km and at 1 km north (1/111.19 degrees), h = 1 km
    lat1 = 1.0 / (6371.0088 * math.pi / 180)
    v = bt.kde_scores([0.0, lat1, 5.0], [0.0, 0.0, 0.0], [0.0], [0.0], [2.0], bandwidth_km=1.0)
    assert v[0] == pytest.approx(2.0)
    assert v[1] == pytest.approx(2.0 * math.exp(-0.5), rel=1e-4)  # chord ~ arc at 1 km
    assert v[2] == 0.0  # beyond 3 h
    assert bt.default_bandwidth_km(9) == 0.5 and bt.default_bandwidth_km(5) > 15


def _grid_store(path):
    """Toronto-like hand-built store: a busy cell in training that stays busy in the test period."""
    from intel.hexbin import bin_points
    from intel.store import connect

    rng = np.random.default_rng(1)
    rows, i = [], 0

    def add(lat, lon, day, n):
        nonlocal i
        for _ in range(n):
            c = int(bin_points(np.array([lat]), np.array([lon]))[0])
            rows.append((i + 1, 1, "t", f"E{i}", "accepted", "discharge incident", day, lat, lon, "intersection", 0.0, c))
            i += 1

    for k in range(40):  # training 2019: hot cell A plus scatter
        add(43.655, -79.385, pd.Timestamp("2019-01-01").date() + pd.Timedelta(days=int(rng.integers(0, 365))), 1)
    for k in range(30):
        add(43.60 + rng.uniform(0, 0.2), -79.55 + rng.uniform(0, 0.35), pd.Timestamp("2019-06-01").date(), 1)
    for k in range(10):  # test 2020: 6 in A, 4 elsewhere
        add(43.655 if k < 6 else 43.75, -79.385 if k < 6 else -79.25, pd.Timestamp("2020-05-01").date(), 1)
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    return path


@pytest.mark.slow   # 33 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_backtest_on_a_store(tmp_path):
    from intel.store import connect

    con = connect(_grid_store(tmp_path / "g.duckdb"), read_only=True)
    df = bt.backtest(con, 8, "2019", "2020")
    assert df.columns.tolist() == bt.RESULT_COLUMNS
    assert df["method"].unique().tolist() == list(bt.METHODS)
    assert (df["test_events"] == 10).all()
    n = df.attrs["study_cells"]
    one = df[(df["area_pct"] == 1)].set_index("method")
    # the top cell of every method is the busy training cell, which holds 6 of the 10 test events
    k = one["cells"].iloc[0]
    assert k == rf.cells_for_pct(n, 1)
    assert one.loc["previous-period counts", "hits"] >= 6
    assert one.loc["risk score", "hits"] >= 6
    assert one.loc["risk score", "pai"] == pytest.approx(one.loc["risk score", "hit_rate"] / (k / n))
    with pytest.raises(bt.BacktestError):
        bt.backtest(con, 8, "2020", "2019")
    with pytest.raises(bt.BacktestError):
        bt.backtest(con, 8, "2019", "2022")


def test_trust_names_no_method_when_all_tie_everywhere():
    from intel.backtest import trust_sentence

    rows = [{"method": m, "area_pct": p, "hit_rate": 0.061} for m in ("previous-period counts", "kernel density",
                                                                     "risk score", "fitted") for p in (1.0, 5.0, 10.0)]
    tie = trust_sentence(pd.DataFrame(rows))
    assert tie.startswith("Every method finds the same test events") and "Trust" not in tie
    rows[0]["hit_rate"] = 0.07   # counts ahead at 1 %, equal elsewhere: counts lead
    assert trust_sentence(pd.DataFrame(rows)).startswith("Trust previous-period counts")


def test_tie_sd_is_the_spread_of_the_hits_over_tie_orders():
    from intel.risk.hits import hit_parts

    # cut-off inside the four cells scored 3 (test events 4, 0, 1, 1), two of them needed: the six pairs
    # give 4, 5, 5, 1, 1, 2 events, plus 2 above: mean 5, variance (1 + 4 + 4 + 4 + 4 + 1) / 6 = 3
    hp = hit_parts([5, 3, 3, 3, 3, 1], [2, 4, 0, 1, 1, 0], 3)
    assert hp["hits"] == 5.0 and hp["tied_cells"] == 4 and hp["tied_taken"] == 2
    assert hp["tie_sd"] == pytest.approx(3 ** 0.5)
    assert hit_parts([5, 3, 3, 1], [2, 4, 0, 1], 3)["tie_sd"] == 0.0   # the cut-off splits no tie


def test_trust_says_when_fitted_falls_short_only_by_the_counts_tie_order():
    from intel.backtest import trust_sentence

    def frame(fitted_hits):
        rows = []
        for m, h, sd in (("previous-period counts", (50.0, 100.0), (0.0, 2.0)), ("fitted", fitted_hits, (0.0, 0.0)),
                         ("kernel density", (40.0, 90.0), (0.0, 0.0))):
            for p, hh, s in zip((1.0, 5.0), h, sd):
                rows.append({"method": m, "area_pct": p, "hits": hh, "hit_rate": hh / 200, "tie_sd": s})
        df = pd.DataFrame(rows)
        df.attrs["fitted_method"] = "counts, ties by kernel density"
        df.attrs["fitted_counts_order"] = {1.0: True, 5.0: True}   # its top cells are a counts tie order
        return df

    text = trust_sentence(frame((60.0, 98.5)))   # ahead at 1 %, 1.5 short at 5 % where the counts vary by 2.0
    assert text.startswith("No method leads") and "ties ordered (ties by kernel density)" in text
    assert "(5 % of the area, by 1.5 events)" in text and "standard deviation 2.0 events" in text
    assert "standard deviation" not in trust_sentence(frame((60.0, 97.0)))   # 3.0 short: more than the spread
