"""AppTest of the Import page: every hard case uploaded through the page gives the CLI's counts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from intel import store
from intel.cli import main

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)
CASE_FILES = sorted(p.name for p in CASES.glob("C*") if p.suffix in (".csv", ".xlsx")) if CASES.exists() else []


@pytest.fixture()
def empty_store(tmp_path, app_env):
    db = tmp_path / "page.duckdb"
    store.connect(db).close()
    app_env(db)
    return db


def _page(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file("../pages/import_file.py", default_timeout=60)
    at.session_state["_test_upload"] = (name, data)
    return at.run()


def _metric(at, label):
    return int(next(m for m in at.metric if m.label == label).value.replace(",", ""))


def _cli_counts(tmp_path, name):
    out = tmp_path / "cli.json"
    r = CliRunner().invoke(main, ["import", str(CASES / name), "--db", str(tmp_path / "cli.duckdb"), "--report", str(out)])
    assert r.exit_code == 0, r.output
    rep = json.loads(out.read_text(encoding="utf-8"))
    return rep


@pytest.mark.parametrize("name", CASE_FILES)
def test_case_through_page_matches_cli(tmp_path, empty_store, name):
    at = _page(name, (CASES / name).read_bytes())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # preview before import: one row per input row shown with its outcome
    assert at.dataframe, "no preview table"
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    rep = _cli_counts(tmp_path, name)
    got = {k: _metric(at, lab) for k, lab in (("rows_read", "Rows read"), ("accepted", "Accepted"),
                                               ("quarantined", "Quarantined"), ("rejected", "Rejected"))}
    assert got == {k: rep[k] for k in got}
    # the page wrote to the store the page reads, and the report matches the CLI's rows
    con = store.connect(empty_store)
    try:
        n = con.execute("SELECT rows_read, rows_accepted, rows_quarantined, rows_rejected FROM batches").fetchall()
        assert n == [(rep["rows_read"], rep["accepted"], rep["quarantined"], rep["rejected"])]
        assert con.execute("SELECT file_name FROM batches").fetchone()[0] == name
    finally:
        con.close()
    page_report = at.session_state["imp_result"]["report"]
    assert list(page_report["outcome"]) == [r["outcome"] for r in rep["rows"]]
    assert [list(x) for x in page_report["reasons"]] == [r["reasons"] for r in rep["rows"]]
    # importing the same file again changes nothing
    at.button(key="imp_go").click().run()
    assert any("already imported" in i.value for i in at.info)


def test_detection_shown_and_profile_saved(empty_store):
    name = "C04_semicolon_decimal_comma.csv"
    at = _page(name, (CASES / name).read_bytes())
    assert not at.exception
    det = at.dataframe[0].value.iloc[0]
    assert det["delimiter"] == ";" and det["decimal mark"] == "," and det["encoding"].lower().startswith("utf")
    at.text_input(key="imp_profile_name").input("ar_br_police")
    at.button[0].click()  # the form's submit button is the first button on the page
    at.run()
    assert not at.exception
    assert any("ar_br_police" in s.value for s in at.success)
    con = store.connect(empty_store)
    try:
        body = json.loads(con.execute("SELECT body FROM profiles WHERE name = 'ar_br_police'").fetchone()[0])
    finally:
        con.close()
    assert body["columns"]["latitude"] == "latitud" and body["columns"]["calibre"] == "calibre"
    at.run()
    assert "ar_br_police" in at.selectbox(key="imp_profile").options


def test_bad_upload_is_a_plain_sentence(empty_store):
    at = _page("notes.txt.exe", b"MZ\x90\x00")
    assert not at.exception
    assert any("not supported" in e.value for e in at.error)
    at = _page("empty.csv", b"")
    assert not at.exception and any("empty" in e.value for e in at.error)


def test_template_downloads_offered(empty_store):
    at = AppTest.from_file("../pages/import_file.py", default_timeout=60).run()
    assert not at.exception
    labels = [el.proto.label for el in at.get("download_button")]
    assert "Template (CSV)" in labels and any(lab.startswith("Template (XLSX") for lab in labels)


def test_ambiguous_dates_ask_for_the_order(empty_store, tmp_path):
    data = ("record_id,seizure_date,country,latitude,longitude,quantity\r\n"
            "T-1,03/04/2024,Colombia,4.7110,-74.0721,1\r\n"
            "T-2,05/06/2024,Colombia,4.7110,-74.0721,1\r\n").encode()
    at = _page("ambiguous_dates.csv", data)
    assert not at.exception
    assert any("day-first or month-first" in w.value for w in at.warning)
    radio = next(r for r in at.radio if r.key and r.key.startswith("imp_date_order_"))
    radio.set_value("dayfirst").run()
    assert not at.exception
    at.button(key="imp_go").click().run()
    assert not at.exception and _metric(at, "Accepted") == 2
    con = store.connect(empty_store)
    try:
        assert [str(d[0]) for d in con.execute("SELECT event_date FROM events ORDER BY row_number").fetchall()] == \
            ["2024-04-03", "2024-06-05"]
    finally:
        con.close()
