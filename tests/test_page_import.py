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


# ------------------------------------------------------------------ real-world cases: structure, sheets, undo

REAL = CASES / "real-world"


def _import_on_page(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_n03_title_rows_through_page(tmp_path, empty_store):
    """The header is found under the title rows; the page imports the six records of EXPECTED.md."""
    name = "N03_xlsx_title_rows_two_row_header.xlsx"
    at = _page(name, (REAL / name).read_bytes())
    assert any("two-row header" in w.value for w in at.warning)
    _import_on_page(at)
    assert (_metric(at, "Rows read"), _metric(at, "Accepted")) == (6, 6)
    exp = json.loads((REAL / "expected.json").read_text(encoding="utf-8"))[name]["rows"]
    con = store.connect(empty_store)
    try:
        got = con.execute("SELECT source_record_id, latitude, longitude, CAST(event_date AS VARCHAR), country_iso3, "
                          "calibre, firearm_type, serial_number, quantity FROM events ORDER BY row_number").fetchall()
    finally:
        con.close()
    assert [g[0] for g in got] == [e["id"] for e in exp]
    for g, e in zip(got, exp):
        assert abs(g[1] - e["lat"]) < 1e-4 and abs(g[2] - e["lon"]) < 1e-4
        assert g[3:] == (e["date"], e["iso3"], e["calibre"], e["firearm_type"], e["serial"], e["quantity"])


def test_n06a_sheet_choice_on_page(tmp_path, empty_store):
    """The hidden list sheet is skipped automatically; the page lists the sheets to choose from."""
    name = "N06a_xlsx_first_sheet_hidden_lists.xlsx"
    at = _page(name, (REAL / name).read_bytes())
    assert not at.exception
    sel = next(s for s in at.selectbox if s.key and s.key.startswith("imp_sheet_"))
    assert sel.options[1:] == ["listes (hidden)", "Saisies 2023 (visible)"]
    assert any("'Saisies 2023' was read" in w.value for w in at.warning)
    _import_on_page(at)
    assert (_metric(at, "Rows read"), _metric(at, "Accepted")) == (5, 5)
    con = store.connect(empty_store)
    try:
        ids = [r[0] for r in con.execute("SELECT source_record_id FROM events ORDER BY row_number").fetchall()]
    finally:
        con.close()
    assert ids == [f"SAI-23-00{i}" for i in range(1, 6)]


def test_unsafe_sheet_choice_stops_until_chosen(tmp_path, empty_store):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title in ("2022", "2023"):
        ws = wb.create_sheet(title)
        ws.append(["record_id", "seizure_date", "country", "latitude", "longitude"])
        ws.append([f"R-{title}", f"{title}-04-03", "Mali", 12.6392, -8.0029])
    buf = io.BytesIO()
    wb.save(buf)
    at = _page("two_sheets.xlsx", buf.getvalue())
    assert not at.exception and not at.error
    assert any("several sheets" in w.value and "sheet choice above" in w.value for w in at.warning)
    sel = next(s for s in at.selectbox if s.key and s.key.startswith("imp_sheet_"))
    sel.set_value("2023").run()
    _import_on_page(at)
    assert _metric(at, "Accepted") == 1
    con = store.connect(empty_store)
    try:
        assert con.execute("SELECT source_record_id FROM events").fetchall() == [("R-2023",)]
    finally:
        con.close()


def test_utf16_tab_txt_upload(tmp_path, empty_store):
    """Excel's "Unicode text" (.txt, UTF-16, tab-separated) is accepted by the page as by the CLI."""
    text = ("record_id\tseizure_date\tcountry\tlatitude\tlongitude\r\n"
            "U-1\t2023-04-03\tMali\t12.6392\t-8.0029\r\n")
    at = _page("export.txt", b"\xff\xfe" + text.encode("utf-16-le"))
    det = at.dataframe[0].value.iloc[0]
    assert det["delimiter"] == "TAB" and det["encoding"].lower().startswith("utf-16")
    _import_on_page(at)
    assert _metric(at, "Accepted") == 1



def test_utf16_without_bom_tab_txt_upload(tmp_path, empty_store):
    """UTF-16 little-endian text written without its byte-order mark is read as UTF-16, not
    refused as a binary file (NUL bytes) nor read as UTF-8 with NULs."""
    text = ("record_id\tseizure_date\tcountry\tlatitude\tlongitude\r\n"
            "U-1\t2023-04-03\tC\u00f4te d'Ivoire\t5.36\t-4.0083\r\n")
    at = _page("export.txt", text.encode("utf-16-le"))
    det = at.dataframe[0].value.iloc[0]
    assert det["delimiter"] == "TAB" and det["encoding"].lower() == "utf-16-le"
    _import_on_page(at)
    assert _metric(at, "Accepted") == 1

def test_delete_batch_on_page(tmp_path, empty_store):
    """The Import page deletes a batch after confirmation; the records are gone, the deletion audited."""
    name = "N14_trailing_columns_blank_rows_total.csv"
    at = _import_on_page(_page(name, (REAL / name).read_bytes()))
    assert _metric(at, "Accepted") == 6
    at.run()
    assert at.button(key="imp_del_go").disabled
    at.checkbox(key="imp_del_confirm").check().run()
    at.button(key="imp_del_go").click().run()
    assert not at.exception and not at.error
    assert any("6 records" in s.value for s in at.success)
    con = store.connect(empty_store)
    try:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM batches").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'batch.delete'").fetchone()[0] == 1
    finally:
        con.close()


@pytest.mark.parametrize("name", ["N05_xlsx_formulas_cached_values.xlsx", "N10b_geojson_mixed_geometries.geojson",
                                  "N14_trailing_columns_blank_rows_total.csv"])
def test_real_world_case_through_page_matches_cli(tmp_path, empty_store, name):
    """The page gives the CLI's outcome and reasons per row for the other structure cases."""
    at = _import_on_page(_page(name, (REAL / name).read_bytes()))
    out = tmp_path / "cli.json"
    r = CliRunner().invoke(main, ["import", str(REAL / name), "--db", str(tmp_path / "cli.duckdb"), "--report", str(out)])
    assert r.exit_code == 0, r.output
    rep = json.loads(out.read_text(encoding="utf-8"))
    got = {k: _metric(at, lab) for k, lab in (("rows_read", "Rows read"), ("accepted", "Accepted"),
                                               ("quarantined", "Quarantined"), ("rejected", "Rejected"))}
    assert got == {k: rep[k] for k in got}
    page_report = at.session_state["imp_result"]["report"]
    assert list(page_report["source_record_id"]) == [r["source_record_id"] for r in rep["rows"]]
    assert [list(x) for x in page_report["reasons"]] == [r["reasons"] for r in rep["rows"]]


def test_gpkg_layer_choice_on_page(tmp_path, empty_store):
    """A GeoPackage whose first layer is polygons: the point layer is read; the page offers the layers."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    p = tmp_path / "m.gpkg"
    gpd.GeoDataFrame({"commune": ["Bamako"]}, geometry=[box(-8.1, 12.5, -7.9, 12.7)], crs="EPSG:4326").to_file(
        p, layer="communes", driver="GPKG")
    gpd.GeoDataFrame({"record_id": ["P-1"], "seizure_date": ["2023-04-03"], "country": ["Mali"]},
                     geometry=[Point(-8.0029, 12.6392)], crs="EPSG:4326").to_file(p, layer="saisies", driver="GPKG")
    at = _page("m.gpkg", p.read_bytes())
    assert not at.exception
    sel = next(s for s in at.selectbox if s.key and s.key.startswith("imp_sheet_"))
    assert sel.label == "Layer to import" and sel.options[1:] == ["communes (Polygon)", "saisies (Point)"]
    _import_on_page(at)
    assert (_metric(at, "Rows read"), _metric(at, "Accepted")) == (1, 1)


def test_location_column_of_points_on_page(tmp_path, empty_store):
    """A column named 'location' (a place-name synonym) whose values are "lat, lon" pairs is
    suggested as the point on the page as in the CLI: the record is located, not country-only."""
    text = ("record_id,seizure_date,country,location\n"
            "L-1,2023-05-01,Mali,\"12.6392°, -8.0029°\"\n"
            "L-2,2023-05-02,Niger,13.5116;2.1254\n")
    at = _import_on_page(_page("loc.csv", text.encode("utf-8")))
    assert _metric(at, "Accepted") == 2
    con = store.connect(empty_store)
    try:
        got = {r[0]: r[1:] for r in con.execute(
            "SELECT source_record_id, latitude, longitude, h3_cell FROM events ORDER BY 1").fetchall()}
    finally:
        con.close()
    assert abs(got["L-1"][0] - 12.6392) < 1e-4 and abs(got["L-1"][1] + 8.0029) < 1e-4 and got["L-1"][2] is not None
    assert abs(got["L-2"][0] - 13.5116) < 1e-4 and abs(got["L-2"][1] - 2.1254) < 1e-4 and got["L-2"][2] is not None
