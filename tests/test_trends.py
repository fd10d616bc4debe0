"""intel.trends on a hand-built store whose counts and period changes are worked out by hand."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from intel import trends
from intel.hexbin import Filters
from intel.store import connect

DAY = "daysrc"
MONTH = "monthsrc"


def _ins(con, rows):
    """rows: (source, incident_key, status, kind, date, precision, region, unit, category, firearms, ammunition)."""
    con.execute("INSERT INTO batches VALUES (1, 'hand', 'hand.csv', 'abc', 'test', now(), 'test', 0, 0, 0, 0, NULL, NULL, NULL)")
    for i, (src, key, status, kind, d, prec, region, unit, cat, fa, am) in enumerate(rows, 1):
        con.execute(
            """INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, date_precision,
                                   region, unit, category, firearms, ammunition, country_iso3, latitude, longitude,
                                   location_precision, location_name, h3_cell)
               VALUES (?, 1, ?, ?, ?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, 'CAN', NULL, NULL, NULL, ?, NULL)""",
            [i, src, key, status, kind, d, prec, region, unit, cat, fa, am, f"place {unit}"])


def make_store(path) -> str:
    """Known data.

    Day source (as of 2024-06-30; firearms/ammunition not recorded):
      last 28 days [2024-06-03, 2024-07-01): 3 events (one has two items), D1: 2, D2: 1
      previous     [2024-05-06, 2024-06-03): 2 events (D1)            -> +50 %
      year to date [2024-01-01, 2024-07-01): 3 + 2 + 1 (2024-02-10, D2) = 6
      last year    [2023-01-01, 2023-07-01): 4 (2023-03-01 x2, 2023-06-30, 2023-01-01) -> +50 %
      year over year [2023-07-01, 2024-07-01): 6 + 1 (2023-07-01) = 7
      previous       [2022-07-01, 2023-07-01): 4 + 1 (2022-07-01) = 5  -> +40 %
      plus a quarantined record in the last 28 days (never counted) and 2023-07-01 ... 2024.
    Month source (dated to the 1st; firearms and ammunition recorded; as of 2025-05):
      last month 2025-05: 2 events, 3 firearms; 2025-04: 4 events, 1 firearm -> -50 % events, +200 % firearms
      year to date [2025-01, 2025-06): 2 + 4 + 1 (2025-01) = 7 events; [2024-01, 2024-06): 1 (2024-03) -> +600 %
      year over year [2024-06, 2025-06): 7 + 2 (2024-06) = 9; [2023-06, 2024-06): 1 + 1 (2023-06) = 2 -> +350 %
      ammunition: 500 rounds in 2025-05, 100 in 2024-06 (year over year 600 vs 0 -> no %)
    """
    con = connect(path)
    rows = [
        # day source
        (DAY, "a1", "accepted", "incident", "2024-06-30", "day", None, "D1", "discharge", None, None),
        (DAY, "a1", "accepted", "incident", "2024-06-30", "day", None, "D1", "discharge", None, None),
        (DAY, "a2", "accepted", "incident", "2024-06-03", "day", None, "D1", "discharge", None, None),
        (DAY, "a3", "accepted", "incident", "2024-06-15", "day", None, "D2", "discharge", None, None),
        (DAY, "q1", "quarantined", "incident", "2024-06-20", "day", None, "D1", "discharge", None, None),
        (DAY, "b1", "accepted", "incident", "2024-06-02", "day", None, "D1", "discharge", None, None),
        (DAY, "b2", "accepted", "incident", "2024-05-06", "day", None, "D1", "discharge", None, None),
        (DAY, "c1", "accepted", "incident", "2024-02-10", "day", None, "D2", "discharge", None, None),
        (DAY, "d1", "accepted", "incident", "2023-03-01", "day", None, "D1", "discharge", None, None),
        (DAY, "d2", "accepted", "incident", "2023-03-01", "day", None, "D2", "discharge", None, None),
        (DAY, "d3", "accepted", "incident", "2023-06-30", "day", None, "D2", "discharge", None, None),
        (DAY, "d4", "accepted", "incident", "2023-01-01", "day", None, "D2", "discharge", None, None),
        (DAY, "e1", "accepted", "incident", "2023-07-01", "day", None, "D1", "discharge", None, None),
        (DAY, "e2", "accepted", "incident", "2022-07-01", "day", None, "D1", "discharge", None, None),
        # month source
        (MONTH, "m1", "accepted", "seizure", "2025-05-01", "month", "North", "P1", "firearm", 2.0, None),
        (MONTH, "m1", "accepted", "seizure", "2025-05-01", "month", "North", "P1", "firearm", 1.0, None),
        (MONTH, "m2", "accepted", "seizure", "2025-05-01", "month", "South", "P2", "ammunition", 0.0, 500.0),
        (MONTH, "m3", "accepted", "seizure", "2025-04-01", "month", "South", "P2", "firearm", 1.0, None),
        (MONTH, "m4", "accepted", "seizure", "2025-04-01", "month", "South", "P2", "parts", 0.0, None),
        (MONTH, "m5", "accepted", "seizure", "2025-04-01", "month", "South", "P2", "parts", 0.0, None),
        (MONTH, "m6", "accepted", "seizure", "2025-04-01", "month", "North", "P1", "parts", 0.0, None),
        (MONTH, "m7", "accepted", "seizure", "2025-01-01", "month", "North", "P1", "parts", 0.0, None),
        (MONTH, "m8", "accepted", "seizure", "2024-03-01", "month", "North", "P1", "parts", 0.0, None),
        (MONTH, "m9", "accepted", "seizure", "2024-06-01", "month", "South", "P2", "ammunition", 0.0, 100.0),
        (MONTH, "m10", "accepted", "seizure", "2024-06-01", "month", "South", "P2", "parts", 0.0, None),
        (MONTH, "m11", "accepted", "seizure", "2023-06-01", "month", "North", "P1", "parts", 0.0, None),
    ]
    _ins(con, rows)
    con.execute("""INSERT INTO country_stats VALUES
        ('BFA','Burkina Faso','Africa','Western Africa','Arms seized','Total','Total','na','na',2016,'Counts',358,'UNODC',1),
        ('BFA','Burkina Faso','Africa','Western Africa','Arms seized','Total','Total','na','na',2018,'Counts',100,'UNODC',1),
        ('BFA','Burkina Faso','Africa','Western Africa','Arms seized','by location','national territory','na','na',2016,'Counts',358,'UNODC',1),
        ('CIV','Cote d''Ivoire','Africa','Western Africa','Arms seized','Total','Total','na','na',2017,'Counts',237,'UNODC',1),
        ('CIV','Cote d''Ivoire','Africa','Western Africa','Arms seized','by location','land borders','na','na',2017,'Counts',20,'UNODC',1),
        ('CIV','Cote d''Ivoire','Africa','Western Africa','Arms seized','by location','planes and airports','na','na',2017,'Counts',2,'UNODC',1),
        ('CIV','Cote d''Ivoire','Africa','Western Africa','Arms seized','by location','national territory','na','na',2017,'Counts',215,'UNODC',1)
    """)
    con.execute("INSERT INTO countries (iso3, name) VALUES ('MLI', 'Mali')")
    con.close()
    return str(path)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = make_store(tmp_path_factory.mktemp("trends") / "t.duckdb")
    c = connect(path, read_only=True)
    yield c
    c.close()


def _k(k, src, comp, m):
    r = k[(k["source"] == src) & (k["comparison"] == comp) & (k["measure"] == m)]
    assert len(r) == 1, (src, comp, m)
    return r.iloc[0]


def test_kpis_day_source_by_hand(con):
    k = trends.kpis(con)
    r = _k(k, DAY, "last 28 days", "events")
    assert r.as_of == pd.Timestamp("2024-06-30")
    assert (r.current_from, r.current_to) == (pd.Timestamp("2024-06-03"), pd.Timestamp("2024-07-01"))
    assert (r.previous_from, r.previous_to) == (pd.Timestamp("2024-05-06"), pd.Timestamp("2024-06-03"))
    assert (r.current, r.previous, r.change) == (3, 2, 1)
    assert r.change_pct == pytest.approx(50.0)
    r = _k(k, DAY, "year to date", "events")
    assert (r.current, r.previous) == (6, 4) and r.change_pct == pytest.approx(50.0)
    r = _k(k, DAY, "year over year", "events")
    assert (r.current, r.previous) == (7, 5) and r.change_pct == pytest.approx(40.0)
    # the day source records no firearms: not recorded, never zero
    r = _k(k, DAY, "year over year", "firearms")
    assert np.isnan(r.current) and "does not record" in r.note


def test_kpis_month_source_compares_whole_months(con):
    k = trends.kpis(con)
    assert not ((k["source"] == MONTH) & (k["comparison"] == "last 28 days")).any()
    r = _k(k, MONTH, "last month", "events")
    assert "28-day" in r.note and r.date_precision == "month"
    assert (r.current_from, r.current_to) == (pd.Timestamp("2025-05-01"), pd.Timestamp("2025-06-01"))
    assert (r.current, r.previous) == (2, 4) and r.change_pct == pytest.approx(-50.0)
    r = _k(k, MONTH, "last month", "firearms")
    assert (r.current, r.previous) == (3, 1) and r.change_pct == pytest.approx(200.0)
    r = _k(k, MONTH, "year to date", "events")
    assert (r.current, r.previous) == (7, 1) and r.change_pct == pytest.approx(600.0)
    r = _k(k, MONTH, "year over year", "events")
    assert (r.current, r.previous) == (9, 2) and r.change_pct == pytest.approx(350.0)
    r = _k(k, MONTH, "year over year", "ammunition")
    assert (r.current, r.previous) == (600, 0) and np.isnan(r.change_pct)


def test_as_of_follows_the_filter_end_and_coverage(con):
    k = trends.kpis(con, Filters(date_to="2024-06-03", sources=(DAY,)))
    r = _k(k, DAY, "last 28 days", "events")
    assert r.as_of == pd.Timestamp("2024-06-02")
    assert r.current == 2  # b1, b2: [2024-05-06, 2024-06-03)
    # year over year needs data from 2022-06-03: the source starts 2022-07-01 -> not covered, no %
    r = _k(k, DAY, "year over year", "events")
    assert not r.covered and np.isnan(r.change_pct)


def test_headline_says_more_or_less(con):
    lines = trends.headline(trends.kpis(con), "year over year", "events")
    assert any(l.startswith(f"{DAY}:") and "40.0 % more" in l and "2024-06-30" in l for l in lines)
    assert any(l.startswith(f"{MONTH}:") and "350.0 % more" in l and "2025-05" in l for l in lines)


def test_breakdown_where(con):
    d = trends.kpi_breakdown(con, "unit", "last 28 days", "events", source=DAY)
    got = dict(zip(d["group"], zip(d["current"], d["previous"])))
    assert got == {"D1": (2, 2), "D2": (1, 0)}
    assert d.iloc[0]["group"] == "D2"  # largest absolute change first
    d = trends.kpi_breakdown(con, "region", "year over year", "events", source=MONTH)
    got = dict(zip(d["group"], d["change"]))
    # North: m1, m6, m7 (3) vs m8, m11 (2); South: m2..m5, m9, m10 (6) vs 0
    assert got == {"South": 6, "North": 1}


def test_series_counts_and_gaps(con):
    s = trends.series(con, "month", "source")
    d = s[s["group"] == MONTH].set_index("period")
    assert d.loc["2025-05-01", "events"] == 2 and d.loc["2025-05-01", "firearms"] == 3
    assert d.loc["2025-02-01", "events"] == 0  # inside the span: a real zero
    assert d.index.min() == pd.Timestamp("2023-06-01")  # not filled before the source starts
    day = s[s["group"] == DAY]
    assert day["firearms"].isna().all()  # not recorded
    assert day["events"].sum() == 12  # 12 distinct accepted incidents, quarantined excluded
    y = trends.series(con, "year")
    assert y.set_index("period").loc["2024-01-01", "events"] == 6 + 3  # day 2024 + month 2024 (m8, m9, m10)
    assert (y["period_end"] > y["period"]).all()


def test_series_year_by_hand(con):
    y = trends.series(con, "year", "source")
    got = {(g, p.year): e for g, p, e in zip(y["group"], y["period"], y["events"])}
    assert got[(DAY, 2024)] == 6 and got[(DAY, 2023)] == 5 and got[(DAY, 2022)] == 1
    assert got[(MONTH, 2025)] == 7 and got[(MONTH, 2024)] == 3 and got[(MONTH, 2023)] == 1


def test_small_multiples(con):
    sm = trends.small_multiples(con, "unit", "year", "events", n=1)
    assert set(sm["group"]) == {"D1"}  # the largest unit by events: D1 (7) over P2 (6)
    assert set(sm.columns) == {"period", "group", "value", "share"}


def test_country_context_keeps_gaps(con):
    ctx = trends.country_context(con, trends.KAFO)
    assert set(ctx["iso3"]) == {"BFA", "CIV", "MLI"}
    assert list(sorted(ctx["year"].unique())) == [2016, 2017, 2018]
    bfa = ctx[ctx["iso3"] == "BFA"].set_index("year")
    assert bfa.loc[2016, "arms_seized"] == 358 and np.isnan(bfa.loc[2017, "arms_seized"])  # gap, not zero
    assert not bfa.loc[2017, "reported"]
    civ = ctx[(ctx["iso3"] == "CIV") & (ctx["year"] == 2017)].iloc[0]
    assert (civ.land_border, civ.airport, civ.national_territory) == (20, 2, 215) and np.isnan(civ.harbour)
    mli = ctx[ctx["iso3"] == "MLI"]
    assert not mli["reported"].any() and mli["arms_seized"].isna().all()
    assert mli["country"].iloc[0] == "Mali"
    cov = trends.country_coverage(con, trends.KAFO).set_index("iso3")
    assert cov.loc["MLI", "years_reported"] == 0 and "no data in this source" in cov.loc["MLI", "note"]
    assert cov.loc["BFA", "years_reported"] == 2 and "1 year(s) missing" in cov.loc["BFA", "note"]
    gt = trends.country_group_totals(con, {"KAFO": list(trends.KAFO)}).set_index("year")
    assert gt.loc[2017, "arms_seized"] == 237 and gt.loc[2017, "countries_reported"] == 1
    assert gt.loc[2016, "countries"] == 3


def test_trigger_default_is_the_fifteen():
    assert len(trends.TRIGGER_DEFAULT) == 15 and "PRY" in trends.TRIGGER_DEFAULT


def test_playback_steps():
    s = trends.playback_steps("2024-01-10", "2024-03-05", "month")
    assert s["label"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert (s["step_from"].iloc[0], s["step_to"].iloc[-1]) == ("2024-01-10", "2024-03-05")
    w = trends.playback_steps("2024-01-10", "2024-01-22", "week")
    assert w["step_from"].tolist() == ["2024-01-10", "2024-01-15"] and w["step_to"].tolist() == ["2024-01-15", "2024-01-22"]


def test_comparison_periods_leap_day():
    p = {d["comparison"]: d for d in trends.comparison_periods("2024-02-29")}
    assert p["year to date"]["previous_to"] == pd.Timestamp("2023-03-01")
    assert p["year over year"]["current_from"] == pd.Timestamp("2023-03-01")


def test_real_store_answers_more_or_less(real_store):
    c = connect(real_store)  # the page tests of this process may hold a read-write instance of the file
    k = trends.kpis(c)
    cbp = _k(k, "cbp_weapons_seizures", "year over year", "events")
    assert cbp.as_of == pd.Timestamp("2025-05-01") and cbp.date_precision == "month"
    tor = _k(k, "toronto_tps_shootings", "last 28 days", "events")
    assert tor.as_of == pd.Timestamp("2024-06-30")
    assert not ((k["source"] == "cbp_weapons_seizures") & (k["comparison"] == "last 28 days")).any()
    assert trends.country_coverage(c, ["MLI"]).iloc[0]["years_reported"] == 0
    c.close()


def test_registers_beside_unodc_on_the_real_store(real_store):
    c = connect(real_store)
    reg = trends.register_totals(c, ["COL", "ECU", "BRA", "MLI"])
    c.close()
    col = reg[(reg["iso3"] == "COL") & (reg["year"] == 2019)].iloc[0]
    # Q1 2019 of the Colombian National Police register: 5,672 records over 3 months; UNODC's 2019 national total
    assert col["kind"] == "records" and col["events"] == 5672 and col["months"] == 3
    assert col["firearms"] > col["events"] and col["unodc_arms_seized"] == 20598
    rio = reg[(reg["iso3"] == "BRA") & (reg["year"] == 2024)].iloc[0]
    # counts per precinct area and month: the zero placeholder months of late 2024 are not counted
    assert rio["kind"] == "counts per area" and rio["months"] == 8 and pd.isna(rio["events"])
    assert "MLI" not in set(reg["iso3"])  # no Malian register: nothing is invented


@pytest.mark.parametrize("refreshed", [False, True])
def test_register_totals_counts_each_incident_once(tmp_path, refreshed):
    """Hand-built: source S1 has incident k1 on two rows (two items) and k2 on one; S2 reuses the
    key k1. Events per (country, year, source): S1 2, S2 1; firearms summed over rows: S1 1+2+4."""
    from intel.store import refresh_incidents

    con = connect(str(tmp_path / "reg.duckdb"))
    _ins(con, [("S1", "k1", "accepted", "seizure", "2024-03-01", "day", None, "U", "pistol", 1, None),
               ("S1", "k1", "accepted", "seizure", "2024-03-01", "day", None, "U", "rifle", 2, None),
               ("S1", "k2", "accepted", "seizure", "2024-04-01", "day", None, "U", "pistol", 4, None),
               ("S2", "k1", "accepted", "seizure", "2024-05-01", "day", None, "U", "pistol", 8, None)])
    if refreshed:
        refresh_incidents(con)
    t = trends.register_totals(con, ["CAN"]).set_index("source")
    assert t.loc["S1", "events"] == 2 and t.loc["S1", "firearms"] == 7 and t.loc["S1", "months"] == 2
    assert t.loc["S2", "events"] == 1 and t.loc["S2", "firearms"] == 8


def _new_source_store(path):
    """A source whose data begin 2024-03-10 (n1: unit U1, 2 firearms; n2: no unit, 1 firearm; no
    rounds recorded): every previous period starts before its data, so nothing can be compared."""
    con = connect(str(path))
    _ins(con, [("new", "n1", "accepted", "seizure", "2024-03-10", "day", None, "U1", "firearm", 2.0, None),
               ("new", "n2", "accepted", "seizure", "2024-03-20", "day", None, None, "firearm", 1.0, None)])
    return con


def test_a_source_without_earlier_data_is_not_compared_with_0(tmp_path):
    con = _new_source_store(tmp_path / "n.duckdb")
    k = trends.kpis(con)
    assert not k["covered"].any()
    texts = [trends.comparison_text(r.current, r.previous, r.covered, r.change_pct) for r in k.itertuples()]
    # 2 events and 3 firearms in each current period (the 28 days, the year, the 12 months to 2024-03-20)
    assert texts == ["2 (no earlier data)", "3 (no earlier data)", "not recorded"] * 3
    d = trends.kpi_breakdown(con, "unit", "year over year", "events", source="new")
    assert not d["covered"].any() and set(d["group"]) == {"U1", trends.NOT_RECORDED}


def test_comparison_text_and_covers():
    assert trends.comparison_text(7, 5, True, 40.0) == "7 vs 5 (+40.0 %)"
    assert trends.comparison_text(600, 0, True, float("nan")) == "600 vs 0 (n/a)"   # a real 0 before
    assert trends.comparison_text(5, 0, False) == "5 (no earlier data)"
    assert trends.comparison_text(5, 4, False) == "5 vs 4 (earlier data incomplete)"
    assert trends.comparison_text(float("nan"), float("nan"), True) == "not recorded"
    assert trends.covers("2022-07-01", "2022-07-01") and not trends.covers("2022-07-02", "2022-07-01")
    assert not trends.covers(None, "2022-07-01") and not trends.covers(pd.NaT, "2022-07-01")


def test_unrecorded_as_nan_per_group():
    df = pd.DataFrame({"source": ["a", "a", "b"], "firearms": [2.0, None, None], "ammunition": [None, None, 5.0]})
    out = trends.unrecorded_as_nan(df, "source")
    # a records firearms (its missing value is 0) but no rounds; b records rounds but no firearms
    assert out["firearms"].fillna(-1).tolist() == [2.0, 0.0, -1]
    assert out["ammunition"].fillna(-1).tolist() == [-1, -1, 5.0]
