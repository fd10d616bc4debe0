"""Tests of intel.readers: detection of encoding, delimiter, decimal mark; raw text preserved."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from intel.readers import RawTable, ReadError, read_table

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)


def test_c04_semicolon_bom_decimal_comma():
    t = read_table(CASES / "C04_semicolon_decimal_comma.csv")
    assert t.format == "csv"
    assert t.delimiter == ";"
    assert t.encoding == "utf-8-sig"
    assert t.decimal == "," and t.thousands == "."
    assert list(t.frame.columns)[0] == "record_id"
    assert len(t.frame) == 4
    assert t.frame["latitud"].tolist()[0] == "-34,6037"
    assert t.frame["cantidad_municiones"].tolist() == ["1.250", "48", "2.400", "15"]
    assert t.frame["tipo"].tolist()[1] == "revólver"
    assert t.frame["latitud"].tolist()[3] == "-22,9068"  # quoted value unquoted, CRLF gone
    assert t.row_numbers.tolist() == [2, 3, 4, 5]
    # CSV columns are Arrow-backed strings (no Python object per cell), missing is <NA>
    assert all(isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" for dtype in t.frame.dtypes)


def test_c05_cp1252():
    t = read_table(CASES / "C05_cp1252_encoding.csv")
    assert t.encoding == "cp1252"
    f = t.frame
    assert f.loc[0, "country"] == "Côte d'Ivoire"
    assert f.loc[0, "city"] == "Abidjan"
    assert f.loc[0, "notes"].endswith("1 200 €")
    assert f.loc[1, "city"] == "Bogotá"
    assert f.loc[2, "city"] == "São Paulo"
    assert f.loc[3, "city"] == "Niš"
    for col in f.columns:
        for v in f[col].dropna():
            assert "\ufffd" not in v
            assert not any(0x80 <= ord(ch) <= 0x9F for ch in v), v
            assert not v.endswith("\r")


def test_c18_serials_exact_text():
    t = read_table(CASES / "C18_serial_numbers.csv")
    assert t.frame["serial_number"].tolist() == ["00123456", "12E45", "5E0", "0012E3", "000789", "1234567890123456789"]


def test_empty_cell_is_none_and_na_text_kept(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b,c\n1,,NA\n", encoding="utf-8")
    t = read_table(p)
    assert t.frame.loc[0, "b"] is pd.NA
    assert t.frame.loc[0, "c"] == "NA"


def test_tab_and_pipe_delimiters(tmp_path):
    for d in ["\t", "|"]:
        p = tmp_path / "x.csv"
        p.write_text(f"a{d}b\n1,5{d}x\n2,5{d}y\n", encoding="utf-8")
        t = read_table(p)
        assert t.delimiter == d
        assert t.frame["a"].tolist() == ["1,5", "2,5"]
        assert t.decimal == ","


def test_ragged_rows_fall_back(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("a,b\n1,2\n3\n4,5,6\n", encoding="utf-8")
    t = read_table(p)
    assert len(t.frame) == 3
    assert t.frame.loc[1, "b"] is None
    assert t.frame.loc[2, "extra_1"] == "6"
    assert any("different number of fields" in w for w in t.warnings)


def test_overrides(tmp_path):
    p = tmp_path / "o.csv"
    p.write_bytes("a;b\né;1,5\n".encode("latin-1"))
    t = read_table(p, encoding="latin-1", delimiter=";", decimal=",")
    assert t.frame.loc[0, "a"] == "é" and t.decimal == "," and t.thousands == "."


def test_errors(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(ReadError, match="empty"):
        read_table(empty)
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ReadError, match="Excel"):
        read_table(bad)
    other = tmp_path / "x.docx"
    other.write_bytes(b"x")
    with pytest.raises(ReadError, match="not supported"):
        read_table(other)
    with pytest.raises(ReadError, match="no such file"):
        read_table(tmp_path / "missing.csv")
    assert issubclass(ReadError, ValueError)


def test_c15_xlsx_values_and_hints():
    t = read_table(CASES / "C15_excel_serial_dates.xlsx")
    assert t.format == "xlsx" and t.datemode == 0
    v = t.frame["fecha_incautacion"].tolist()
    assert v == [45292, dt.datetime(2024, 3, 15), "01/05/2024", 45413.5, "45366"]
    assert t.date_order_hints == {"fecha_incautacion": "dayfirst"}
    assert t.row_numbers.tolist() == [2, 3, 4, 5, 6]


def test_xlsx_1904_and_textlike_formats(tmp_path):
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append([" serial\ufeff ", "padded", "n", "d"])
    ws.append([123456, 789, 1.5, 43830])
    ws["A2"].number_format = "@"
    ws["B2"].number_format = "00000000"
    ws.append([None, None, None, None])
    ws.append(["X1", 5, 2, 43831])
    p = tmp_path / "m.xlsx"
    wb.save(p)
    t = read_table(p)
    assert t.datemode == 1
    assert list(t.frame.columns) == ["serial", "padded", "n", "d"]
    assert t.frame["serial"].tolist() == ["123456", "X1"]
    assert t.frame["padded"].tolist() == ["00000789", 5]
    assert t.frame["n"].tolist() == [1.5, 2]
    assert t.row_numbers.tolist() == [2, 4]  # the blank row 3 is skipped, numbering kept


def test_geojson_lon_lat_order_and_polygon_warning(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "a", "serial": "00123"},
         "geometry": {"type": "Point", "coordinates": [-74.0721, 4.711]}},
        {"type": "Feature", "properties": {"id": "b", "serial": None},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}},
    ]}
    p = tmp_path / "g.geojson"
    p.write_text(json.dumps(fc))
    t = read_table(p)
    assert t.has_geometry and t.format == "geojson"
    assert t.frame["__longitude"].tolist()[0] == "-74.0721"
    assert t.frame["__latitude"].tolist()[0] == "4.711"
    assert float(t.frame["__latitude"][1]) == pytest.approx(1.0)
    assert t.frame["serial"].tolist() == ["00123", None]
    assert any("not points" in w for w in t.warnings)
    assert t.row_numbers.tolist() == [1, 2]


def test_parquet_and_geoparquet(tmp_path):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    df = pd.DataFrame({"serial": ["007", None], "q": [1, 2]})
    p = tmp_path / "t.parquet"
    df.to_parquet(p)
    t = read_table(p)
    assert t.format == "parquet" and not t.has_geometry
    assert t.frame["serial"].tolist() == ["007", None]
    g = gpd.GeoDataFrame({"k": ["a"]}, geometry=[Point(3.3941, 6.455)], crs="EPSG:4326")
    gp = tmp_path / "g.parquet"
    g.to_parquet(gp)
    t = read_table(gp)
    assert t.format == "geoparquet"
    assert float(t.frame["__latitude"][0]) == pytest.approx(6.455)
    assert float(t.frame["__longitude"][0]) == pytest.approx(3.3941)


def test_rawtable_is_dataclass():
    t = read_table(CASES / "C07_null_island.csv")
    assert isinstance(t, RawTable)
    assert isinstance(t.row_numbers, np.ndarray)
    assert pd.isna(t.frame.loc[3, "latitude"])


def test_two_row_header_names_repeated_under_groups(tmp_path):
    """A lower header row that repeats a name under two groups takes the group as prefix; a name
    merged down from the upper row (empty lower cell) is kept; titles above are skipped."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Rapport des saisies"])
    ws.append([])
    ws.append(["record_id", "Origine", None, "Destination", None])
    ws.append([None, "pays", "ville", "pays", "ville"])
    ws.append(["R-1", "Mali", "Kayes", "Niger", "Niamey"])
    ws.merge_cells("B3:C3")
    ws.merge_cells("D3:E3")
    p = tmp_path / "h.xlsx"
    wb.save(p)
    t = read_table(p)
    assert list(t.frame.columns) == ["record_id", "Origine pays", "Origine ville", "Destination pays",
                                     "Destination ville"]
    assert t.row_numbers.tolist() == [5]
    assert any("two-row header" in w for w in t.warnings) and any("skipped as titles" in w for w in t.warnings)


def test_formula_cells_without_value_are_listed(tmp_path):
    """openpyxl-written formulas have no cached value; error values are kept as text and listed."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["record_id", "latitude", "longitude", "note"])
    ws.append(["A", "=1+1", 3.0, '=IF(TRUE,"","x")'])
    ws.append(["B", "#REF!", 4.0, "ok"])
    p = tmp_path / "f.xlsx"
    wb.save(p)
    t = read_table(p)
    assert t.cell_issues["latitude"] == {2: "FORMULA_NOT_CALCULATED", 3: "CELL_ERROR"}
    assert t.frame["latitude"].tolist() == ["=1+1", "#REF!"]
    assert any("never calculated" in w and "Excel error" in w for w in t.warnings)


def test_blank_total_and_trailing_columns_csv(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("id,qty,,\nA,1,,\n,,,\nB,2,,\nTotal général,3,,\n", encoding="utf-8")
    t = read_table(p)
    assert list(t.frame.columns) == ["id", "qty"]
    assert t.frame["id"].tolist() == ["A", "B"] and t.row_numbers.tolist() == [2, 4]
    assert any("total line" in w for w in t.warnings) and any("delimiter-only" in w for w in t.warnings)


def test_csv_title_lines_above_the_header(tmp_path):
    """Title lines of an export (padded with delimiters) stand above the CSV header: skipped and
    reported, line numbers kept; a full first line stays the header."""
    p = tmp_path / "t.csv"
    p.write_text("POLICÍA NACIONAL - INCAUTACIONES,,,,\nExportado 05/04/2023,,,,\n,,,,\n"
                 "record_id,seizure_date,country,latitude,longitude\n"
                 "CO-1,2023-10-01,Colombia,4.711,-74.0721\n", encoding="utf-8")
    t = read_table(p)
    assert list(t.frame.columns) == ["record_id", "seizure_date", "country", "latitude", "longitude"]
    assert t.frame["record_id"].tolist() == ["CO-1"] and t.row_numbers.tolist() == [5]
    assert any("skipped as titles" in w and "row 4" in w for w in t.warnings)
    q = tmp_path / "u.csv"
    q.write_text("a,b,c\nrecord_id,latitude,longitude\n", encoding="utf-8")
    assert list(read_table(q).frame.columns) == ["a", "b", "c"]


def test_whitespace_only_lines_and_total_label_in_any_column(tmp_path):
    """A line of cells holding only spaces is a blank line; a total line may put its label next to
    the sum (here in firearm_type, record id blank): both skipped and reported, never records
    (issue 14: 'quantity 18 instead of 9')."""
    p = tmp_path / "t.csv"
    p.write_text("record_id;firearm_type;quantity\r\nT-1;pistol;1\r\n  ;  ;\r\nT-2;rifle;2\r\n;Total général;3\r\n"
                 ";;\r\n;TOTAL GENERAL;3\r\n", encoding="utf-8")
    t = read_table(p)
    assert t.frame["record_id"].tolist() == ["T-1", "T-2"] and t.row_numbers.tolist() == [2, 4]
    assert any("blank or delimiter-only" in w and "3, 6" in w for w in t.warnings), t.warnings
    assert any("2 total line(s)" in w and "row 5" in w and "row 7" in w for w in t.warnings), t.warnings
    # a sparse real record whose type is a real word stays a record
    q = tmp_path / "u.csv"
    q.write_text("record_id,firearm_type,quantity,country\nT-1,pistol,1,Mali\n,Totalizer,,\n", encoding="utf-8")
    assert read_table(q).frame["firearm_type"].tolist() == ["pistol", "Totalizer"]



def test_utf16_without_bom_both_byte_orders(tmp_path):
    text = "record_id\tcountry\r\nX-1\tC\u00f4te d'Ivoire\r\n"
    for enc in ("utf-16-le", "utf-16-be"):
        p = tmp_path / f"{enc}.txt"
        p.write_bytes(text.encode(enc))
        t = read_table(p)
        assert t.frame["country"].tolist() == ["C\u00f4te d'Ivoire"] and t.encoding == enc, enc
        assert any("no byte-order mark" in w for w in t.warnings)
    from intel.readers import utf16_without_bom
    assert utf16_without_bom("abc,def\n".encode("utf-8")) is None
    assert utf16_without_bom(b"\x00\x01\x02\x03" * 100) is None   # binary: NULs on both sides
