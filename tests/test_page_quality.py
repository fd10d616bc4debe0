"""AppTest of the Data quality page: filters, one-click swap, one decision, the decisions log."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from intel import ingest, store

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)
pytestmark = pytest.mark.skipif(not CASES.exists(), reason="shared cases not available")


@pytest.fixture()
def qstore(tmp_path, app_env):
    db = tmp_path / "dq.duckdb"
    con = store.connect(db)
    b1 = ingest.import_file(con, CASES / "C01_latlon_swapped.csv", user="test", border_distance=False).batch_id
    b2 = ingest.import_file(con, CASES / "C07_null_island.csv", user="test", border_distance=False).batch_id
    con.close()
    app_env(db)
    return db, b1, b2


def _page():
    return AppTest.from_file("../pages/data_quality.py", default_timeout=60).run()


def _button(at, label):
    return next(b for b in at.button if b.label.startswith(label))


def test_lists_quarantine_with_reasons(qstore):
    at = _page()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Rows in quarantine"] == "8"
    assert {m.label: m.value for m in at.metric}["Without a usable location"] == "4"
    table = at.dataframe[0].value
    assert "LATLON_SWAP_SUSPECTED" in set(table["reasons"]) and "raw" in table.columns
    at.multiselect(key="dq_reasons").set_value(["NULL_ISLAND"]).run()
    assert set(at.dataframe[0].value["source_record_id"]) == {"C07-1", "C07-2", "C07-3"}


def test_one_click_swap_and_log(qstore):
    db, b1, _ = qstore
    at = _page()
    label = next(o for o in at.selectbox(key="dq_batch").options if o.startswith(f"{b1}:"))
    at.selectbox(key="dq_batch").set_value(label).run()
    _button(at, "Swap latitude and longitude").click().run()
    assert not at.exception
    assert any("4 row(s)" in s.value for s in at.success)
    con = store.connect(db)
    try:
        rows = con.execute("SELECT source_record_id, location_corrected, status FROM events "
                           "WHERE location_corrected IS NOT NULL ORDER BY 1").fetchall()
        assert rows == [(r, "swap", "accepted") for r in ("C01-2", "C01-3", "C01-4", "C01-6")]
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'quarantine.decision'").fetchone()[0] == 4
    finally:
        con.close()
    log = [d.value for d in at.dataframe if {"decision", "user_name"} <= set(d.value.columns)][-1]  # the decisions log
    assert len(log) == 4 and set(log["decision"]) == {"correct"}


def test_reject_one_row_with_note(qstore):
    db, _, b2 = qstore
    at = _page()
    con = store.connect(db)
    qid = con.execute("SELECT quarantine_id FROM quarantine WHERE source_record_id = 'C07-2'").fetchone()[0]
    con.close()
    at.selectbox(key="dq_row").set_value(qid).run()
    at.radio(key=f"dq_action_{qid}").set_value("reject")
    at.text_input(key=f"dq_note_{qid}").input("placeholder record")
    _button(at, "Record decision").click().run()
    assert not at.exception
    assert any("rejected" in s.value for s in at.success)
    con = store.connect(db)
    try:
        assert con.execute("SELECT decision, decision_note FROM quarantine WHERE quarantine_id = ?", [qid]).fetchone() \
            == ("rejected", "placeholder record")
        assert con.execute("SELECT status FROM events WHERE source_record_id = 'C07-2'").fetchone()[0] == "rejected"
    finally:
        con.close()
    log = [d.value for d in at.dataframe if {"decision", "user_name"} <= set(d.value.columns)][-1]  # the decisions log
    assert list(log["quarantine_id"]) == [qid] and log["note"].iloc[0] == "placeholder record"


def test_refused_decision_is_a_plain_sentence(qstore):
    db, _, _ = qstore
    con = store.connect(db)
    qid = con.execute("SELECT quarantine_id FROM quarantine WHERE source_record_id = 'C07-1'").fetchone()[0]
    con.close()
    at = _page()
    at.selectbox(key="dq_row").set_value(qid).run()
    at.radio(key=f"dq_action_{qid}").set_value("accept")
    _button(at, "Record decision").click().run()
    assert not at.exception
    assert any("no usable coordinates" in e.value for e in at.error)
    # correct with Null Island is refused too
    at.radio(key=f"dq_action_{qid}").set_value("correct")
    at.text_input(key=f"dq_lat_{qid}").input("0")
    at.text_input(key=f"dq_lon_{qid}").input("0")
    _button(at, "Record decision").click().run()
    assert any("Null Island" in e.value for e in at.error)
