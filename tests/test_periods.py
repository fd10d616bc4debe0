"""The one period grammar (intel.periods): every row of its table, its errors, and the bug of two
grammars that disagreed (the briefing read "2015:2019" as [2015-01-01, 2019-01-01), the backtest
as [2015-01-01, 2020-01-01)); now every entry point reads the latter."""
from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from intel import backtest, briefing, periods, store
from intel.cli import main


@pytest.mark.parametrize("text, want", [
    ("2019", ("2019-01-01", "2020-01-01")),                       # a calendar year
    ("2019-03", ("2019-03-01", "2019-04-01")),                    # a month
    ("2019-12", ("2019-12-01", "2020-01-01")),                    # December ends in the next year
    ("2015:2019", ("2015-01-01", "2020-01-01")),                  # years, inclusive
    ("2019-01:2019-03", ("2019-01-01", "2019-04-01")),            # months, inclusive
    ("2019-01-01:2019-04-01", ("2019-01-01", "2019-04-01")),      # ISO days, the end day excluded
    ("2019-01-01:", ("2019-01-01", None)),                        # from that day on
    (":2019", (None, "2020-01-01")),                              # up to the end of 2019
    ("", (None, None)), (":", (None, None)), ("all", (None, None)), (None, (None, None)),  # no limit
    (" 2015 : 2019 ", ("2015-01-01", "2020-01-01")),              # spaces around the parts
    ("2019:2019-06-01", ("2019-01-01", "2019-06-01")),            # units mix: a year, then an excluded day
    ("2020-02-29:2020-03-01", ("2020-02-29", "2020-03-01")),      # one leap day
])
def test_every_row_of_the_grammar_table(text, want):
    assert periods.parse_period(text) == want


@pytest.mark.parametrize("text", [
    "x", "20190", "2019-13", "2019-02-30", "2019:2020:2021", "2019/2020", "2019-01-01T00:00",
    "2019:2015",                     # ends before it starts
    "2020-01-01:2020-01-01",         # an ISO end is excluded: empty
    "2019-03:2019-02",
])
def test_texts_that_are_not_periods_are_refused_with_the_accepted_forms(text):
    with pytest.raises(ValueError, match=r"period"):
        periods.parse_period(text)


@pytest.mark.parametrize("text", ["", "all", "2019-01-01:", ":2019", None])
def test_require_both_refuses_an_open_side(text):
    with pytest.raises(ValueError, match="start and an end"):
        periods.parse_period(text, require_both=True)
    assert periods.parse_period("2015:2019", require_both=True) == ("2015-01-01", "2020-01-01")


def test_inclusive_end_and_describe_period():
    assert periods.inclusive_end("2019-12-31") == "2020-01-01"
    assert periods.inclusive_end(date(2020, 2, 28)) == "2020-02-29"
    assert periods.inclusive_end("2024-03-31T12:00:00") == "2024-04-01"
    assert periods.inclusive_end(None) is None and periods.inclusive_end("") is None
    assert periods.describe_period("2015-01-01", "2020-01-01") == "2015-01-01 to 2019-12-31 (inclusive)"
    assert periods.describe_period(None, "2020-01-01") == "up to 2019-12-31 (inclusive)"
    assert periods.describe_period("2015-01-01", None) == "from 2015-01-01 on"
    assert periods.describe_period(None, None) == "all dates"


def test_no_second_period_grammar_is_left():
    # the briefing and the backtest no longer carry a parser of their own: their callers (CLI, pages)
    # use intel.periods, with require_both for the backtest's closed periods
    assert not hasattr(briefing, "parse_period") and not hasattr(backtest, "parse_period")
    assert periods.parse_period("2015:2019", require_both=True) == ("2015-01-01", "2020-01-01")
    with pytest.raises(ValueError):
        periods.parse_period("2015:", require_both=True)


class _Stop(Exception):
    """Raised by the stand-ins once they have seen the period."""


def test_briefing_and_backtest_verbs_read_years_alike(tmp_path, monkeypatch):
    """The bug: ``intel briefing --period 2015:2019`` covered 2015-2018 while ``intel backtest
    --train 2015:2019`` covered 2015-2019. Both verbs must hand their analysis [2015-01-01, 2020-01-01)."""
    db = tmp_path / "s.duckdb"
    store.connect(db).close()
    seen = {}

    def fake_briefing(con, date_from=None, date_to=None, **kw):
        seen["briefing"] = (date_from, date_to)
        raise _Stop

    def fake_backtest(con, res, train, test, *a, **kw):
        seen["backtest"] = (tuple(train), tuple(test))
        raise backtest.BacktestError("stop")

    monkeypatch.setattr(briefing, "make_briefing", fake_briefing)
    monkeypatch.setattr(backtest, "backtest", fake_backtest)
    runner = CliRunner()
    runner.invoke(main, ["briefing", "--db", str(db), "--period", "2015:2019", "--out", str(tmp_path / "b.pdf")])
    runner.invoke(main, ["backtest", "--db", str(db), "--train", "2015:2019", "--test", "2020",
                         "--out", str(tmp_path / "b.csv")])
    assert seen["briefing"] == ("2015-01-01", "2020-01-01")
    assert seen["backtest"] == (("2015-01-01", "2020-01-01"), ("2020-01-01", "2021-01-01"))


def test_equal_halves_compare_equal_lengths():
    # 2013-2023 is 11 years: 5 against 5, 2013 left out (before: 6 against 5, a built-in +20 %)
    a, b, dropped = periods.equal_halves(2013, 2023)
    assert a == ("2014-01-01", "2019-01-01") and b == ("2019-01-01", "2024-01-01") and dropped == 2013
    a, b, dropped = periods.equal_halves(2020, 2023)
    assert a == ("2020-01-01", "2022-01-01") and b == ("2022-01-01", "2024-01-01") and dropped is None
    with pytest.raises(ValueError):
        periods.equal_halves(2020, 2020)


@pytest.mark.parametrize("p, want", [
    (("2015-01-01", "2020-01-01"), "2015:2019"),        # whole years
    (("2019-01-01", "2020-01-01"), "2019"),             # one year
    (("2023-01-01", "2023-09-01"), "2023-01:2023-08"),  # whole months
    (("2023-12-01", "2024-01-01"), "2023-12"),          # one month, ending in the next year
    (("2022-11-01", "2023-02-01"), "2022-11:2023-01"),  # months across a year
    (("2019-01-01", "2019-01-15"), "2019-01-01:2019-01-15"),  # days: the end day excluded
    (("2019-03-01", "2020-01-01"), "2019-03:2019-12"),  # starts mid-year: months
])
def test_period_text_is_the_inverse_of_parse_period(p, want):
    assert periods.period_text(*p) == want
    assert periods.parse_period(want) == p


def test_covers_is_one_rule_for_a_start_and_a_whole_span():
    from datetime import date

    import pandas as pd

    from intel.periods import covers

    assert covers("2022-07-01", "2022-07-01") and not covers("2022-07-02", "2022-07-01")
    assert not covers(None, "2022-07-01") and not covers(pd.NaT, "2022-07-01")
    # [2022-07-01, 2023-01-01): the last record must be on 2022-12-31 or later
    assert covers(date(2022, 1, 1), "2022-07-01", pd.Timestamp("2022-12-31"), "2023-01-01")
    assert not covers(date(2022, 1, 1), "2022-07-01", pd.Timestamp("2022-12-30"), "2023-01-01")
    assert not covers(date(2022, 1, 1), "2022-07-01", None, "2023-01-01")
