"""intel.queries and intel.overview on a small hand-built store with hand-computed answers.

The store (``_store``) holds three sources:

* ``a`` (batch 1): incident "1" of two items (a pistol and 50 rounds, 2024-01-10, place X, USA),
  incident "2" (a rifle, 2022-12-01, place Y), incident "3" (unlocated, 2024-03-01, MEX, no
  place name), and a quarantined row (2022-01-01, BRA);
* ``b`` (batch 2): incident "1" again (a discharge, 2020-05-05, place Z, CAN) and a rejected
  record (2019-01-01);
* ``c`` (batch 3, releasable to BFA only): an accepted recovery (2021-01-01, place W, BFA) and a
  quarantined row.
"""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from intel import auth, overview, queries, store

COLS = ["event_id", "batch_id", "source", "incident_key", "status", "kind", "event_date", "location_name",
        "country_iso3", "category", "firearm_type", "firearms", "ammunition"]
EVENTS = [
    (1, 1, "a", "1", "accepted", "seizure", "2024-01-10", "X", "USA", "firearm", "pistol", 2.0, None),
    (2, 1, "a", "1", "accepted", "seizure", "2024-01-10", "X", "USA", "ammunition", None, 0.0, 50.0),
    (3, 1, "a", "2", "accepted", "seizure", "2022-12-01", "Y", None, "firearm", "rifle", 1.0, None),
    (4, 1, "a", "3", "unlocated", "seizure", "2024-03-01", None, "MEX", "firearm", None, 1.0, None),
    (5, 1, "a", "4", "quarantined", "seizure", "2022-01-01", "Q", "BRA", "firearm", "shotgun", 1.0, None),
    (6, 2, "b", "1", "accepted", "discharge incident", "2020-05-05", "Z", "CAN", None, None, None, None),
    (7, 2, "b", "9", "rejected", "recovery", "2019-01-01", "R", "CAN", "firearm", "revolver", 1.0, None),
    (8, 3, "c", "5", "accepted", "recovery", "2021-01-01", "W", "BFA", "firearm", None, 1.0, None),
    (9, 3, "c", "6", "quarantined", "recovery", "2021-02-01", "V", "BFA", "firearm", None, 1.0, None),
]
CIV = auth.User("kofi", "analyst", "CIV")
BFA = auth.User("ama", "analyst", "BFA")


def _store(path):
    con = store.connect(path)
    for b, src, name, at, counts, rel in [
            (1, "a", "a.csv", "2024-05-01 10:30:00", (5, 3, 1, 1), None),
            (2, "b", "b.xlsx", "2024-05-02 08:00:00", (2, 1, 0, 1), None),
            (3, "c", "c.csv", "2024-05-03 09:15:00", (2, 1, 1, 0), "REL TO BFA")]:
        con.execute("INSERT INTO batches VALUES (?, ?, ?, 'x', NULL, ?, NULL, ?, ?, ?, ?, NULL, NULL, ?)",
                    [b, src, name, at, *counts, rel])
    con.executemany(f"INSERT INTO events ({', '.join(COLS)}) VALUES ({', '.join('?' for _ in COLS)})",
                    [list(r) for r in EVENTS])
    store.refresh_incidents(con)
    for qid, b, eid, outcome in [(1, 1, 5, "quarantined"), (2, 1, None, "rejected"), (3, 3, 9, "quarantined")]:
        con.execute("INSERT INTO quarantine (quarantine_id, batch_id, event_id, outcome, reasons, raw) "
                    "VALUES (?, ?, ?, ?, ['X'], '{}')", [qid, b, eid, outcome])
    con.execute("INSERT INTO countries (iso3, name) VALUES ('USA', 'United States'), ('CAN', NULL), "
                "('BFA', 'Burkina Faso')")
    con.execute("INSERT INTO admin1 (admin1_id, country_iso3, name) VALUES ('USA-TX', 'USA', 'Texas'), "
                "('USA-AZ', 'USA', 'Arizona'), ('USA-XX', 'USA', NULL), ('CAN-ON', 'CAN', 'Ontario')")
    con.execute("INSERT INTO country_stats (iso3, year, value) VALUES ('MLI', 2020, 1), ('BFA', 2020, 2), "
                "(NULL, 2020, 3), ('MLI', 2021, 4)")
    return con


@pytest.fixture()
def con(tmp_path):
    c = _store(tmp_path / "q.duckdb")
    yield c
    c.close()


def test_data_range_is_accepted_records_only(con):
    r = queries.data_range(con)
    # the unlocated 2024-03-01 and the rejected 2019-01-01 records are not accepted
    assert r == queries.DataRange(date(2020, 5, 5), date(2024, 1, 10)) and not r.empty


def test_data_range_of_an_empty_store(tmp_path):
    c = store.connect(tmp_path / "e.duckdb")
    assert queries.data_range(c) == queries.DataRange(None, None) and queries.data_range(c).empty
    o = queries.filter_options(c)
    assert (o.kinds, o.categories, o.countries, o.sources) == ((), (), (), ())
    c.close()


def test_filter_options(con):
    o = queries.filter_options(con)
    assert o.range == queries.DataRange(date(2020, 5, 5), date(2024, 1, 10))
    assert o.kinds == ("discharge incident", "recovery", "seizure")
    assert o.categories == ("ammunition", "firearm", "pistol", "rifle")   # firearm type first, else category
    assert o.countries == ("BFA", "CAN", "USA")                         # not BRA (quarantined), not MEX (unlocated)
    assert o.sources == ("a", "b", "c")                                 # every stored source


def test_provenance_batches_and_source_ranges(con):
    b = queries.batches(con)
    assert b.to_dict("records") == [
        {"source": "a", "file_name": "a.csv", "imported": "2024-05-01 10:30", "rows_read": 5, "rows_accepted": 3,
         "rows_quarantined": 1, "rows_rejected": 1},
        {"source": "b", "file_name": "b.xlsx", "imported": "2024-05-02 08:00", "rows_read": 2, "rows_accepted": 1,
         "rows_quarantined": 0, "rows_rejected": 1},
        {"source": "c", "file_name": "c.csv", "imported": "2024-05-03 09:15", "rows_read": 2, "rows_accepted": 1,
         "rows_quarantined": 1, "rows_rejected": 0}]
    per = queries.source_ranges(con)
    assert list(per["source"]) == ["a", "b", "c"]
    assert [pd.Timestamp(d).date() for d in per["first"]] == [date(2022, 12, 1), date(2020, 5, 5), date(2021, 1, 1)]
    assert [pd.Timestamp(d).date() for d in per["last"]] == [date(2024, 1, 10), date(2020, 5, 5), date(2021, 1, 1)]
    assert list(per["records"]) == [3, 1, 1]


def test_quarantine_outcomes(con):
    q = queries.quarantine_outcomes(con)
    assert dict(zip(q["outcome"], q["n"])) == {"quarantined": 2, "rejected": 1}


def test_countries_admin1_and_reporting_countries(con):
    c = queries.countries(con)
    assert list(zip(c["iso3"], c["name"])) == [("BFA", "Burkina Faso"), ("CAN", "CAN"), ("USA", "United States")]
    a = queries.admin1_units(con, "USA")
    assert list(zip(a["admin1_id"], a["name"])) == [("USA-AZ", "Arizona"), ("USA-TX", "Texas"), ("USA-XX", "USA-XX")]
    assert queries.admin1_units(con, "MLI").empty
    # a value that looks like SQL is only a value
    assert queries.admin1_units(con, "USA' OR '1'='1").empty
    assert queries.reporting_countries(con) == ("BFA", "MLI")


def test_queries_see_only_what_the_cursor_may_see(con):
    """The pages pass a cursor restricted by intel.auth.apply_visibility: batch 3 is REL TO BFA."""
    civ = auth.apply_visibility(con.cursor(), CIV)
    o = queries.filter_options(civ)
    assert o.sources == ("a", "b") and o.kinds == ("discharge incident", "seizure")
    assert o.countries == ("CAN", "USA") and o.categories == ("ammunition", "pistol", "rifle")
    assert list(queries.batches(civ)["source"]) == ["a", "b"]
    assert list(queries.source_ranges(civ)["source"]) == ["a", "b"]
    q = queries.quarantine_outcomes(civ)
    assert dict(zip(q["outcome"], q["n"])) == {"quarantined": 1, "rejected": 1}
    assert overview.overview(civ).events == 3      # a: incidents 1, 2; b: 1 (accepted only)
    bfa = auth.apply_visibility(con.cursor(), BFA)
    assert queries.filter_options(bfa).sources == ("a", "b", "c")
    assert overview.overview(bfa).events == 4


def test_overview_totals_count_one_event_per_source_and_key(con):
    ov = overview.overview(con)
    # accepted records only, as every other page: a: incidents 1 (two items), 2 (3, unlocated, is not
    # counted); b: incident 1 is another event than a's 1; c: 5. Firearms 2 + 1 (a) + 1 (c)
    assert ov.events == 4 and ov.firearms == 4
    assert (ov.quarantined, ov.rejected) == (2, 1)
    t = ov.totals
    # b records neither firearms nor rounds, c no rounds: missing ("not recorded"), never 0
    got = [(s, k, e, None if pd.isna(f) else f, None if pd.isna(a) else a)
           for s, k, e, f, a in zip(t["source"], t["kind"], t["events"], t["firearms"], t["ammunition"])]
    assert got == [("a", "seizure", 2, 3.0, 50.0), ("b", "discharge incident", 1, None, None),
                   ("c", "recovery", 1, 1.0, None)]
    shown = overview.totals_display(t)
    assert shown["firearms"].tolist() == ["3", "not recorded", "1"]
    assert shown["ammunition"].tolist() == ["50", "not recorded", "not recorded"]
    assert pd.Timestamp(t["first"].iloc[0]).date() == date(2022, 12, 1)
    assert pd.Timestamp(t["last"].iloc[0]).date() == date(2024, 1, 10)


def _a_from_2021(con):
    """Source a's data start 2021-12-15, so they cover its whole previous 12 months (2022-01-11 to
    2023-01-10): an accepted incident there, before the two windows."""
    con.execute(f"INSERT INTO events ({', '.join(COLS)}) VALUES (10, 1, 'a', '7', 'accepted', 'seizure', "
                "'2021-12-15', 'Y', 'USA', 'firearm', 'rifle', 1.0, NULL)")
    store.refresh_incidents(con)


def test_overview_change_by_source(con):
    s = overview.change_by_source(con)
    # a's data start 2022-12-01: one month of its previous 12 (2022-01-11 to 2023-01-10), so the two
    # periods are not of equal length: the previous count is missing, not 1; b and c start within it too
    assert list(s["source"]) == ["a", "b", "c"]
    assert list(s["last_12m"]) == [1, 1, 1] and s["previous_12m"].isna().all() and s["change_%"].isna().all()
    shown = overview.change_display(s)
    assert shown["previous_12m"].tolist() == ["no earlier data"] * 3 and shown["change_%"].tolist() == ["no earlier data"] * 3
    _a_from_2021(con)
    s = overview.change_by_source(con)
    # a ends 2024-01-10 (its last accepted record): last 12 months hold incident 1, the 12 before incident 2
    assert list(s["last_12m"]) == [1, 1, 1] and s["previous_12m"].tolist()[0] == 1
    assert s["previous_12m"].isna().tolist() == [False, True, True]
    assert s["change_%"].iloc[0] == 0.0 and math.isnan(s["change_%"].iloc[1]) and math.isnan(s["change_%"].iloc[2])
    shown = overview.change_display(s)
    assert shown["previous_12m"].tolist() == ["1", "no earlier data", "no earlier data"]
    assert shown["change_%"].tolist() == ["+0.0", "no earlier data", "no earlier data"]
    assert [pd.Timestamp(d).date() for d in s["data_from"]] == [date(2021, 12, 15), date(2020, 5, 5), date(2021, 1, 1)]
    assert [pd.Timestamp(d).date() for d in s["data_until"]] == [date(2024, 1, 10), date(2020, 5, 5), date(2021, 1, 1)]


def test_overview_change_by_place(con):
    assert overview.change_by_place(con).empty   # no source covers its previous 12 months
    _a_from_2021(con)
    p = overview.change_by_place(con)
    # b and c have no event in their previous 12 months (they begin there): left out, not ranked as changes
    assert list(zip(p["source"], p["place"], p["last_12m"], p["previous_12m"], p["firearms_last_12m"],
                    p["change"])) == [("a", "X", 1, 0, 2.0, 1), ("a", "Y", 0, 1, 0.0, -1)]
    assert overview.places_display(p)["firearms_last_12m"].tolist() == ["2", "0"]   # a records firearms: a real 0
    assert len(overview.change_by_place(con, 1)) == 1
    with pytest.raises(ValueError):
        overview.change_by_place(con, -1)


def test_provenance_counts_leave_out_rows_the_user_may_not_see(tmp_path):
    """Issue 19: hidden rows were counted in the provenance batch counts (and Overview's
    "Rejected rows"). One unmarked batch with rows marked ``REL TO USA``: accepted, quarantined
    and rejected. With/without: an unrestricted cursor and a USA analyst get the stored counts,
    a BFA analyst only the rows releasable to BFA."""
    from intel import ingest

    p = tmp_path / "r.csv"
    p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,releasability\n"
                 "R1,2024-01-05,GHA,5.6037,-0.1870,pistol,\n"
                 "R2,2024-01-06,GHA,5.6037,-0.1870,rifle,\n"
                 "R3,2024-01-07,GHA,5.6037,-0.1870,pistol,REL TO USA\n"
                 "R4,not a date,GHA,5.6037,-0.1870,pistol,REL TO USA\n"      # quarantined
                 "R5,2024-01-05,GHA,95.6037,-0.1870,pistol,REL TO USA\n"     # rejected
                 "R6,2024-01-05,GHA,95.6037,-0.1870,pistol,\n")              # rejected
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, p, user="kofi", border_distance=False, dedup=False)
    assert (r.rows_read, r.accepted, r.quarantined, r.rejected) == (6, 3, 1, 2)
    cols = ["rows_read", "rows_accepted", "rows_quarantined", "rows_rejected"]
    usa = auth.User("sam", "analyst", "USA")
    admin = auth.User("root", "admin", "BFA")
    for name, cur in (("all", con.cursor()), ("usa", auth.apply_visibility(con.cursor(), usa)),
                      ("admin", auth.apply_visibility(con.cursor(), admin))):
        assert queries.batches(cur)[cols].values.tolist() == [[6, 3, 1, 2]], name
        assert overview.overview(cur).rejected == 2, name
    bfa = auth.apply_visibility(con.cursor(), BFA)
    assert queries.batches(bfa)[cols].values.tolist() == [[3, 2, 0, 1]]
    assert overview.overview(bfa).rejected == 1 and overview.overview(bfa).quarantined == 0
    con.close()
