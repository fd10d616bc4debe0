"""The standard recording template for agency seizure records.

One row per seized item (or batch of identical items), with the fields of the UNODC Illicit
Arms Flows Questionnaire (IAFQ, "significant seizures" section) and the fields a firearm
tracing request needs (make, model, calibre, serial number, other markings, country of
manufacture, last legal import). Agencies that record in this template need no column
mapping: :mod:`intel.ingest` recognises these column names directly.

Two renderings:

* :func:`template_csv` -- the header line, UTF-8 with BOM (so Excel shows accents).
* :func:`template_xlsx` -- a workbook with a ``records`` sheet (drop-down lists built from
  :mod:`intel.nomenclature`, date and text formats set), a ``help`` sheet describing each
  column, and a hidden ``lists`` sheet holding the drop-down values.

Drop-downs warn but do not forbid other values: an unknown calibre or make is still
recorded, and flagged at import.
"""
from __future__ import annotations

import io

from intel.nomenclature import vocabulary

__all__ = ["TEMPLATE_COLUMNS", "TEMPLATE_LISTS", "template_csv", "template_xlsx", "column_names"]

TEMPLATE_COLUMNS: list[tuple[str, str, str]] = [
    ("record_id", "Agency's unique identifier of the record (text).", "PN-2024-000123"),
    ("seizure_date", "Date of the seizure, YYYY-MM-DD (day-first or month-first text is read "
                     "only when the whole column agrees).", "2024-03-15"),
    ("country", "Country where the seizure took place: name in any language or ISO 3166-1 code.", "Colombia"),
    ("admin1", "First-level administrative unit (state, province, department).", "Cundinamarca"),
    ("place_name", "Town, crossing point, port or address as recorded.", "Bogotá"),
    ("latitude", "Latitude in WGS84 decimal degrees (south negative) or DMS with N/S.", "4.7110"),
    ("longitude", "Longitude in WGS84 decimal degrees (west negative) or DMS with E/W.", "-74.0721"),
    ("place_type", "Type of place (IAFQ): port of entry, border area, airport, seaport, postal/courier, "
                   "road, residence, commercial premises, public space, other.", "road"),
    ("seizing_agency", "Agency or unit that made the seizure.", "Policía Nacional"),
    ("criminal_context", "Criminal context (IAFQ): illicit trafficking, illicit possession, illicit "
                         "manufacturing, violent crime/homicide, drug trafficking, organized crime, "
                         "terrorism, armed conflict, other, unknown.", "illicit trafficking"),
    ("firearm_type", "Item type (IAFQ): pistol, revolver, rifle, shotgun, sub-machine gun, machine gun, "
                     "assault rifle, ... or ammunition, parts and components, accessory.", "pistol"),
    ("make", "Manufacturer as marked on the item.", "Taurus"),
    ("model", "Model as marked on the item.", "PT92"),
    ("calibre", "Calibre / cartridge (C.I.P./SAAMI name), e.g. 9x19mm, .38 Special, 12 gauge.", "9x19mm"),
    ("serial_number", "Serial number exactly as marked, as text (keep leading zeros).", "00123456"),
    ("other_markings", "Other markings: proof marks, import marks, year, arsenal marks.", "import mark XYZ 2019"),
    ("country_of_manufacture", "Country of manufacture (name or ISO code).", "Brazil"),
    ("last_legal_import_country", "Country of the last legal import, if known (tracing).", "Paraguay"),
    ("origin_country", "Country the item was trafficked from, if known.", "Venezuela"),
    ("destination_country", "Country the item was trafficked to, if known.", "Colombia"),
    ("quantity", "Number of items in this record (whole number).", "1"),
    ("ammunition_rounds", "Rounds of ammunition seized with this record.", "50"),
    ("parts_components", "Parts and components seized (description and count).", "2 magazines"),
    ("direction", "Direction of movement at a border: inbound or outbound.", "inbound"),
    ("notes", "Free text. No personal data.", ""),
]
"""(column name, description, example) of every template column, in order."""

TEMPLATE_LISTS: dict[str, str] = {
    "country": "country",
    "place_type": "place_type",
    "criminal_context": "criminal_context",
    "firearm_type": "firearm_type",
    "make": "make",
    "calibre": "calibre",
    "country_of_manufacture": "country",
    "last_legal_import_country": "country",
    "origin_country": "country",
    "destination_country": "country",
    "direction": "direction",
}
"""Template column -> :func:`intel.nomenclature.vocabulary` name of its drop-down list."""

_DATA_ROWS = 2000


def column_names() -> list[str]:
    """Names of the template columns, in order."""
    return [c for c, _, _ in TEMPLATE_COLUMNS]


def template_csv() -> bytes:
    """The template as CSV: one header line, comma-delimited, UTF-8 with BOM, CRLF.

    Returns
    -------
    bytes
    """
    return ("\ufeff" + ",".join(column_names()) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """The template as an XLSX workbook.

    Sheets: ``records`` (header row, frozen; drop-down lists on the columns of
    :data:`TEMPLATE_LISTS` for rows 2-2001; ``seizure_date`` formatted as a date
    ``yyyy-mm-dd``; ``serial_number``, ``record_id`` and ``other_markings`` formatted as text
    ``@`` so leading zeros survive), ``help`` (column, description, example, allowed
    values) and ``lists`` (hidden, one column per vocabulary).

    Returns
    -------
    bytes
        The workbook file content.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "records"
    help_ws = wb.create_sheet("help")
    lists_ws = wb.create_sheet("lists")
    lists_ws.sheet_state = "hidden"

    vocab_cols: dict[str, str] = {}
    for j, vname in enumerate(sorted(set(TEMPLATE_LISTS.values())), start=1):
        letter = get_column_letter(j)
        values = vocabulary(vname)
        lists_ws.cell(row=1, column=j, value=vname).font = Font(bold=True)
        for i, v in enumerate(values, start=2):
            lists_ws.cell(row=i, column=j, value=v)
        vocab_cols[vname] = f"lists!${letter}$2:${letter}${len(values) + 1}"

    names = column_names()
    for j, name in enumerate(names, start=1):
        c = ws.cell(row=1, column=j, value=name)
        c.font = Font(bold=True)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(12, min(40, len(name) + 4))
        last = _DATA_ROWS + 1
        if name in ("serial_number", "record_id", "other_markings"):
            for r in range(2, last + 1):
                ws.cell(row=r, column=j).number_format = "@"
        elif name == "seizure_date":
            for r in range(2, last + 1):
                ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
            dv = DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)",
                                formula2="DATE(2035,12,31)", allow_blank=True, errorStyle="warning",
                                error="Enter a date between 1990-01-01 and 2035-12-31.",
                                errorTitle="Seizure date")
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
        if name in TEMPLATE_LISTS:
            dv = DataValidation(type="list", formula1=f"={vocab_cols[TEMPLATE_LISTS[name]]}", allow_blank=True,
                                errorStyle="warning", showErrorMessage=True, errorTitle=name,
                                error="This value is not in the list; it will be kept and flagged at import.")
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
    ws.freeze_panes = "A2"

    help_ws.append(["column", "description", "example", "allowed values"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for name, desc, example in TEMPLATE_COLUMNS:
        allowed = f"drop-down list ({TEMPLATE_LISTS[name]})" if name in TEMPLATE_LISTS else ""
        help_ws.append([name, desc, example, allowed])
    help_ws.column_dimensions["A"].width = 28
    help_ws.column_dimensions["B"].width = 90
    help_ws.column_dimensions["C"].width = 24
    help_ws.column_dimensions["D"].width = 30
    for row in help_ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
