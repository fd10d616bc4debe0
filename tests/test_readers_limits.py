"""XLSX size limits (issue 19): stale or huge declared dimensions, and caps on rows, columns,
field size, expanded bytes and entity expansion, each refused with a sentence (ReadError)."""
import re
import zipfile

import openpyxl
import pytest

from intel import readers
from intel.readers import xlsx

HEADER = ["record_id", "seizure_date", "country", "latitude", "longitude"]


def _workbook(path, n=100, extra=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i in range(n):
        ws.append([f"R{i}", "2024-01-05", "GHA", 5.6, -0.18])
    if extra:
        extra(ws)
    wb.save(path)
    return path


def _rewrite_sheet(path, fn):
    """Rewrite xl/worksheets/sheet1.xml of the workbook through ``fn(text) -> text``."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts["xl/worksheets/sheet1.xml"] = fn(parts["xl/worksheets/sheet1.xml"].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _dimension(ref):
    return lambda x: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', x)


def test_stale_dimension_loses_no_row(tmp_path):
    p = _workbook(tmp_path / "a.xlsx")
    _rewrite_sheet(p, _dimension("A1:E2"))     # declares 1 record; the sheet holds 100
    assert len(readers.read_table(p).frame) == 100


def test_huge_declared_dimension_reads_the_real_rows(tmp_path):
    p = _workbook(tmp_path / "a.xlsx", n=3)
    _rewrite_sheet(p, _dimension("A1:XFD1048576"))
    raw = readers.read_table(p)
    assert len(raw.frame) == 3 and list(raw.frame.columns)[:5] == HEADER


def test_too_many_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "XLSX_MAX_ROWS", 50)
    p = _workbook(tmp_path / "a.xlsx", n=60)
    with pytest.raises(readers.ReadError, match="more than 50 rows"):
        readers.read_table(p)
    monkeypatch.setattr(xlsx, "XLSX_MAX_ROWS", 61)   # header + 60 records: read
    assert len(readers.read_table(p).frame) == 60


def test_a_cell_far_to_the_right_is_refused(tmp_path):
    p = _workbook(tmp_path / "a.xlsx", n=5, extra=lambda ws: ws.cell(row=4, column=16384, value="x"))
    with pytest.raises(readers.ReadError, match="row 4 .* reaches column 16,384"):
        readers.read_table(p)


def test_an_oversized_field_is_refused(tmp_path):
    p = _workbook(tmp_path / "a.xlsx", n=5)
    # openpyxl refuses to write such a cell; write it into the XML as an inline string
    _rewrite_sheet(p, lambda x: x.replace(
        "</sheetData>", '<row r="9"><c r="A9" t="inlineStr"><is><t>' + "y" * 40_000 + "</t></is></c></row></sheetData>"))
    with pytest.raises(readers.ReadError, match="40,000 characters"):
        readers.read_table(p)


def test_expanded_size_is_checked_before_reading(tmp_path, monkeypatch):
    p = _workbook(tmp_path / "a.xlsx", n=5)
    monkeypatch.setattr(xlsx, "XLSX_MAX_EXPANDED_BYTES", 1000)
    with pytest.raises(readers.ReadError, match="once decompressed"):
        readers.read_table(p)


def test_entity_expansion_is_refused(tmp_path):
    p = _workbook(tmp_path / "a.xlsx", n=5)
    lol = ('<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + "]>")
    _rewrite_sheet(p, lambda x: x.replace("?>", "?>" + lol, 1).replace(
        "</sheetData>", '<row r="9"><c r="A9" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>'))
    with pytest.raises(readers.ReadError, match="malformed or expands without bound"):
        readers.read_table(p)
