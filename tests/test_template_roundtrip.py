"""The standard recording template round-trips: a filled template imports with no quarantine.

Rows are made up (placeholder ids and serials) but real-looking: points inside their declared
countries, values from the template's drop-down lists, a serial with leading zeros.
"""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from intel import ingest, store, template

ROWS = [
    {"record_id": "PN-2024-000123", "seizure_date": date(2024, 3, 15), "country": "Colombia", "admin1": "Cundinamarca",
     "place_name": "Bogotá", "latitude": 4.7110, "longitude": -74.0721, "place_type": "road",
     "seizing_agency": "Policía Nacional", "criminal_context": "illicit trafficking", "firearm_type": "pistol",
     "make": "Taurus", "model": "PT92", "calibre": "9x19mm", "serial_number": "00123456",
     "other_markings": "import mark XYZ 2019", "country_of_manufacture": "Brazil",
     "last_legal_import_country": "Paraguay", "origin_country": "Venezuela", "destination_country": "Colombia",
     "quantity": 1, "ammunition_rounds": 50, "parts_components": "2 magazines", "direction": "inbound",
     "notes": "Test row, no personal data"},
    {"record_id": "MUP-2024-0042", "seizure_date": date(2024, 5, 2), "country": "Serbia", "admin1": "Nišava",
     "place_name": "Niš", "latitude": 43.3209, "longitude": 21.8958, "place_type": "border area",
     "seizing_agency": "MUP", "criminal_context": "organized crime", "firearm_type": "rifle",
     "make": "Zastava", "model": "M70", "calibre": "7.62x39mm", "serial_number": "12E45",
     "other_markings": "", "country_of_manufacture": "Serbia", "last_legal_import_country": "",
     "origin_country": "Bosnia and Herzegovina", "destination_country": "Austria",
     "quantity": 2, "ammunition_rounds": 120, "parts_components": "", "direction": "outbound", "notes": ""},
    {"record_id": "PF-2024-7", "seizure_date": date(2024, 7, 30), "country": "Brazil", "admin1": "São Paulo",
     "place_name": "São Paulo", "latitude": -23.5505, "longitude": -46.6333, "place_type": "airport",
     "seizing_agency": "Polícia Federal", "criminal_context": "drug trafficking", "firearm_type": "revolver",
     "make": "Taurus", "model": "82", "calibre": ".38 Special", "serial_number": "000789",
     "other_markings": "", "country_of_manufacture": "Brazil", "last_legal_import_country": "",
     "origin_country": "Paraguay", "destination_country": "Brazil",
     "quantity": 1, "ammunition_rounds": 0, "parts_components": "", "direction": "inbound", "notes": "Valeur 1 200 €"},
]
SERIALS = ["00123456", "12E45", "000789"]


def _check(con, path):
    res = ingest.import_file(con, path, user="test", border_distance=False)
    assert res.rows_read == len(ROWS)
    assert (res.accepted, res.quarantined, res.rejected) == (len(ROWS), 0, 0), res.report[["source_record_id", "reasons"]]
    ev = con.execute("SELECT source_record_id, serial_number, calibre, country_iso3, event_date, origin_iso3, "
                     "destination_iso3, ammunition, firearms, h3_cell FROM events ORDER BY row_number").fetchall()
    assert [e[0] for e in ev] == [r["record_id"] for r in ROWS]
    assert [e[1] for e in ev] == SERIALS
    assert [e[2] for e in ev] == ["9x19mm", "7.62x39mm", ".38 Special"]
    assert [e[3] for e in ev] == ["COL", "SRB", "BRA"]
    assert [e[4] for e in ev] == [r["seizure_date"] for r in ROWS]
    assert [e[5] for e in ev] == ["VEN", "BIH", "PRY"] and [e[6] for e in ev] == ["COL", "AUT", "BRA"]
    assert [e[8] for e in ev] == [1, 2, 1]
    assert all(e[9] for e in ev)
    assert all(not r for r in res.report["reasons"])  # not even a non-blocking flag


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def test_xlsx_template_roundtrip(con, tmp_path):
    wb = load_workbook(io.BytesIO(template.template_xlsx()))
    ws = wb["records"]
    names = [c.value for c in ws[1]]
    assert names == template.column_names()
    for i, row in enumerate(ROWS, start=2):
        for j, name in enumerate(names, start=1):
            v = row.get(name)
            if v not in (None, ""):
                ws.cell(row=i, column=j, value=v)
    path = tmp_path / "filled_template.xlsx"
    wb.save(path)
    _check(con, path)


def test_csv_template_roundtrip(con, tmp_path):
    head = template.template_csv().decode("utf-8-sig")
    names = next(csv.reader(io.StringIO(head)))
    assert names == template.column_names()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in ROWS:
        w.writerow([row[n].isoformat() if isinstance(row[n], date) else row[n] for n in names])
    path = tmp_path / "filled_template.csv"
    path.write_bytes(template.template_csv() + buf.getvalue().encode("utf-8"))
    _check(con, path)
