"""Tests of intel.template: columns, CSV and XLSX renderings read back through intel.readers."""
from __future__ import annotations

import io

import openpyxl

from intel.nomenclature import vocabulary
from intel.readers import read_table
from intel.template import TEMPLATE_COLUMNS, TEMPLATE_LISTS, column_names, template_csv, template_xlsx

EXPECTED = ["record_id", "seizure_date", "country", "admin1", "place_name", "latitude", "longitude", "place_type",
            "seizing_agency", "criminal_context", "firearm_type", "make", "model", "calibre", "serial_number",
            "other_markings", "country_of_manufacture", "last_legal_import_country", "origin_country",
            "destination_country", "quantity", "ammunition_rounds", "parts_components", "direction", "notes"]


def test_columns():
    assert column_names() == EXPECTED
    assert all(len(t) == 3 and t[1] for t in TEMPLATE_COLUMNS)
    assert set(TEMPLATE_LISTS) <= set(EXPECTED)


def test_csv_reads_back(tmp_path):
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    p = tmp_path / "t.csv"
    p.write_bytes(data)
    t = read_table(p)
    assert list(t.frame.columns) == EXPECTED and len(t.frame) == 0


def test_xlsx_structure_and_read_back(tmp_path):
    data = template_xlsx()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["records", "help", "lists"]
    assert wb["lists"].sheet_state == "hidden"
    ws = wb["records"]
    assert [c.value for c in ws[1]] == EXPECTED
    col = {n: i + 1 for i, n in enumerate(EXPECTED)}
    assert ws.cell(row=2, column=col["serial_number"]).number_format == "@"
    assert ws.cell(row=2, column=col["seizure_date"]).number_format == "yyyy-mm-dd"
    formulas = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert len(formulas) == len(set(TEMPLATE_LISTS.values()))
    lists = wb["lists"]
    header = [c.value for c in lists[1]]
    j = header.index("calibre") + 1
    cal = [lists.cell(row=i, column=j).value for i in range(2, len(vocabulary("calibre")) + 2)]
    assert cal == vocabulary("calibre")
    help_rows = list(wb["help"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in help_rows] == EXPECTED
    # fill one record as an agency would and read it back through the importer's reader
    ws.cell(row=2, column=col["serial_number"], value="00123456")
    ws.cell(row=2, column=col["record_id"], value="R-1")
    p = tmp_path / "t.xlsx"
    wb.save(p)
    t = read_table(p)
    assert list(t.frame.columns) == EXPECTED
    assert t.frame["serial_number"].tolist() == ["00123456"]
    assert t.row_numbers.tolist() == [2]
