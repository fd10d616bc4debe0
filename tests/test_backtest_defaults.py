"""The backtest's defaults on sources located to provinces or municipalities (found by a user trial).

Before: ``intel backtest --source ecuador_mdi_armas_ilicitas`` stopped at the default resolution 8
(the records are too coarse for it), and its default periods were the calendar years 2022 and
2023 although the register holds 11 months of 2023 and two stray records of 2022-12-31 (training
with records in 8 % of its months); a register of one quarter (Colombia) had no default periods at
all. Now the resolution is the default or the coarser one the records' precision supports
(:func:`intel.backtest.default_resolution`), the periods come from the months the records cover
(:func:`intel.backtest.period_choice`), and the output says both. Every figure below is worked out
by hand in the comments.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from intel import backtest as bt
from intel import periods, risk
from intel.cli import main

# five provincial capitals of Ecuador: 69 km cells of resolution 3 keep them apart
PLACES = [(-0.22, -78.51), (-2.19, -79.89), (-2.90, -79.00), (-0.95, -80.72), (0.97, -79.65)]


def _store(path, rows, source):
    """Store of accepted records ``(lat, lon, day, precision, uncertainty_km)`` of one source in Ecuador."""
    from intel.hexbin import bin_points
    from intel.store import connect

    out = []
    for i, (lat, lon, day, prec, unc) in enumerate(rows):
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        out.append((i + 1, 1, source, f"E{i}", "accepted", "seizure", pd.Timestamp(day).date(), lat, lon, prec, unc,
                    1.0, c, "ECU"))
    con = connect(path)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, uncertainty_km, firearms, h3_cell, country_iso3) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", out)
    con.close()
    return str(path)


@pytest.fixture
def provinces(tmp_path):
    """Ecuador-like register: 2023-01 to 2023-11, each month 20 records of 40 km radius (usable at
    resolution 3, 69 km edge, not at 4, 26 km) and 30 of 100 km (usable nowhere in 3-9), 4 and 6 per
    place on the 15th; one stray usable record on 2022-12-31. 551 records, 221 usable at 3 (40 %)."""
    rows = [(la, lo, f"2023-{m:02d}-15", "admin-1", unc) for m in range(1, 12) for la, lo in PLACES
            for unc in [40.0] * 4 + [100.0] * 6]
    rows.append((*PLACES[0], "2022-12-31", "admin-1", 40.0))
    return _store(tmp_path / "prov.duckdb", rows, "ec")


@pytest.fixture
def quarter(tmp_path):
    """Colombia-like register of one quarter: 2019-01 to 2019-03, 10 records a month of 12 km radius
    (usable at resolution 4, 26 km edge; not at 5, 9.9 km)."""
    rows = [(la, lo, f"2019-{m:02d}-{d:02d}", "municipality", 12.0) for m in (1, 2, 3) for la, lo in PLACES
            for d in (5, 20)]
    return _store(tmp_path / "q.duckdb", rows, "co")


def test_province_register_gets_resolution_3_and_its_months(provinces):
    from intel.store import connect

    con = connect(provinces, read_only=True)
    area = risk.Area("data", sources=("ec",))
    # no resolution keeps half the records (40 % at 3, 0 % finer), none is usable at the default
    # 8: the finest at which any is, 3, with 221 of 551 usable
    r = bt.default_resolution(con, area)
    assert r["resolution"] == 3 and r["usable_share"] == pytest.approx(221 / 551)
    assert r["sentence"].startswith("Resolution 3 (68.98 km cell edge), coarser than the default 8")
    # usable records per month: 2022-12 1, 2023-01..11 20 each; median 20, a month needs 2: the
    # stray December is left out. 11 months: test the last 11 // 3 = 3, train the 8 before
    c = bt.period_choice(con, 3, area)
    assert c["unit"] == "months"
    assert c["train"] == ("2023-01-01", "2023-09-01") and c["test"] == ("2023-09-01", "2023-12-01")
    assert (c["train_text"], c["test_text"]) == ("2023-01:2023-08", "2023-09:2023-11")
    assert "1 record of 2022-12 falls outside both periods" in c["sentence"]
    assert bt.default_periods(con, 3, area) == (c["train"], c["test"])
    df = bt.backtest(con, 3, area=area)
    # every month of both periods holds records: no coverage warning (before: 8 % against 92 %)
    assert not any("of the training months" in w for w in df.attrs["warnings"])
    assert df.attrs["periods_from_data"] and df.attrs["periods_sentence"] == c["sentence"]
    # 8 months x 20 usable training events, 3 x 20 test events, all in training cells
    assert (df.attrs["train"], df.attrs["test"]) == (c["train"], c["test"])
    assert df.attrs["train_events"] == 160 and df.attrs["test_events"] == 60
    con.close()


def test_quarter_register_gets_resolution_4_and_two_months_against_one(quarter):
    from intel.store import connect

    con = connect(quarter, read_only=True)
    area = risk.Area("data", sources=("co",))
    r = bt.default_resolution(con, area)   # all 30 records usable at 4, none at 5: 4
    assert r["resolution"] == 4 and r["usable_share"] == 1.0
    c = bt.period_choice(con, 4, area)     # 3 months: test the last, train the 2 before
    assert c["train"] == ("2019-01-01", "2019-03-01") and c["test"] == ("2019-03-01", "2019-04-01")
    assert (c["train_text"], c["test_text"]) == ("2019-01:2019-02", "2019-03")
    df = bt.backtest(con, 4, area=area)
    assert df.attrs["train_events"] == 20 and df.attrs["test_events"] == 10
    con.close()


def test_one_month_of_records_has_no_default_periods(tmp_path):
    from intel.store import connect

    con = connect(_store(tmp_path / "m.duckdb", [(la, lo, "2019-01-10", "municipality", 12.0) for la, lo in PLACES],
                         "co"), read_only=True)
    with pytest.raises(bt.BacktestError, match="less than two months"):
        bt.period_choice(con, 4)
    con.close()


def test_point_records_keep_the_default_resolution_and_whole_years(tmp_path):
    from intel.store import connect

    # intersection-level records (class radius 0.15 km, usable at 9) every month of 2010-2014:
    # the default 8 stays; 5 whole years: test the last 5 // 3 = 1, train the 4 before
    rows = [(la + 0.01 * k, lo, f"{y}-{m:02d}-10", "intersection", None) for y in range(2010, 2015)
            for m in range(1, 13) for k, (la, lo) in enumerate(PLACES[:2])]
    con = connect(_store(tmp_path / "pt.duckdb", rows, "t"), read_only=True)
    assert bt.default_resolution(con)["resolution"] == 8
    c = bt.period_choice(con, 8)
    assert c["unit"] == "years" and (c["train_text"], c["test_text"]) == ("2010:2013", "2014")
    con.close()


def test_cli_defaults_run_and_say_what_they_chose(provinces, tmp_path):
    out = tmp_path / "b.csv"
    r = CliRunner().invoke(main, ["backtest", "--db", provinces, "--source", "ec", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "--res not given: Resolution 3 (68.98 km cell edge)" in r.output
    assert "--train and --test not given: Periods taken from the data of the area's sources: training " \
           "2023-01:2023-08, test 2023-09:2023-11" in r.output
    assert "at resolution 3" in r.output and out.exists()
    # an explicit --res keeps its check: the records are too coarse for 6
    r = CliRunner().invoke(main, ["backtest", "--db", provinces, "--source", "ec", "--res", "6",
                                  "--out", str(tmp_path / "c.csv")])
    assert r.exit_code == 2 and "too coarse for H3 resolution 6" in r.output
    # one period without the other
    r = CliRunner().invoke(main, ["backtest", "--db", provinces, "--train", "2023-01:2023-08",
                                  "--out", str(tmp_path / "d.csv")])
    assert r.exit_code == 2 and "or neither" in r.output


def test_cli_help_says_what_the_period_grammar_does():
    r = CliRunner().invoke(main, ["backtest", "--help"], terminal_width=400)
    text = " ".join(r.output.split())
    # before: "closed on both sides" beside "the TO day excluded" and "either side may be empty"
    assert "closed" not in text and "either side may be empty" not in text
    assert "2015-01-01 up to, not including, 2020-01-01" in text and "no open side" in text
    assert periods.parse_period("2015:2019") == periods.parse_period("2015-01-01:2020-01-01") \
        == ("2015-01-01", "2020-01-01")


def test_sources_of_disjoint_months_split_on_the_largest(tmp_path):
    from intel.store import connect

    # "co": 2019-01..03, 10 usable records a month (30); "ec": 2023-01..11, 4 usable a month (44)
    # -> "ec" has the most usable records (44 > 30); "co"'s months lie wholly apart from its months, so the
    # periods follow "ec" (11 months: train 2023-01..08, test 2023-09..11) and "co" is said to lie outside them
    rows = [(la, lo, f"2019-{m:02d}-{d:02d}", "municipality", 12.0, "co") for m in (1, 2, 3) for la, lo in PLACES
            for d in (5, 20)]
    rows += [(la, lo, f"2023-{m:02d}-15", "admin-1", 40.0, "ec") for m in range(1, 12) for la, lo in PLACES[:4]]
    path = _store(tmp_path / "two.duckdb", [r[:5] for r in rows], "co")
    con = connect(path)
    ec_ids = [i + 1 for i, r in enumerate(rows) if r[5] == "ec"]
    con.execute("UPDATE events SET source = 'ec' WHERE list_contains(?, event_id)", [ec_ids])
    con.close()
    con = connect(path, read_only=True)
    c = bt.period_choice(con, 3, risk.Area("data"))
    assert c["train"] == ("2023-01-01", "2023-09-01") and c["test"] == ("2023-09-01", "2023-12-01")
    assert ("The records of co (2019-01 to 2019-03) cover no month of ec (2023-01 to 2023-11, the source with the "
            "most usable records)") in c["sentence"]
    # one source alone: no such sentence
    assert "cover no month" not in bt.period_choice(con, 3, risk.Area("data", sources=("ec",)))["sentence"]
