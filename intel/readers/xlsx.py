"""The XLSX reader: workbook values, sheet choice, formula cells and size limits.

Part of :mod:`intel.readers` (:func:`intel.readers.read_table` calls :func:`read_xlsx` for an
``.xlsx`` file). It chooses the sheet (the one asked for, else the only visible sheet with a
header of known columns, else :class:`SheetChoiceNeeded`), reads it row by row with openpyxl
whatever its declared dimension, keeps text-like numbers as displayed text, records the number
formats of date cells as day-first or month-first hints, lists error values and formulas never
calculated in ``cell_issues``, and refuses a workbook over :data:`XLSX_MAX_EXPANDED_BYTES`,
:data:`XLSX_MAX_ROWS`, :data:`XLSX_MAX_COLUMNS` or :data:`XLSX_MAX_FIELD_CHARS`.
"""
from __future__ import annotations

import datetime as _dt
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from intel.readers.encoding import detect_decimal
from intel.readers.raw import FORMATS, RawTable, ReadError, clean_names
from intel.readers.structure import HEADER_SCAN_ROWS, find_header, holds_records, known_fields, tidy_rows


XLSX_MAX_ROWS = 1_000_000
"""Most sheet rows (counted from the first, empty ones included) an XLSX import reads."""
XLSX_MAX_COLUMNS = 1_000
"""Most columns of a sheet row (up to its last filled cell) an XLSX import reads."""
XLSX_MAX_FIELD_CHARS = 32_767
"""Most characters of one cell (Excel's own limit for a cell)."""
XLSX_MAX_EXPANDED_BYTES = 1 << 30
"""Most bytes (1 GiB) the parts of an XLSX workbook may declare once decompressed."""


def _check_xlsx_size(path: Path) -> None:
    """Refuse a workbook whose parts declare more than :data:`XLSX_MAX_EXPANDED_BYTES` once expanded."""
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        return   # openpyxl reports it as not a workbook
    if total > XLSX_MAX_EXPANDED_BYTES:
        raise ReadError(f"{path.name} expands to {total / 2**20:,.0f} MB once decompressed, more than the "
                        f"{XLSX_MAX_EXPANDED_BYTES / 2**20:,.0f} MB an import reads; nothing was imported. "
                        "Split the workbook or save it as CSV.")


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------

_TEXTLIKE_ZEROS = re.compile(r"^0+$")


def _xlsx_value(v, fmt: str | None):
    """Cell value with text-like number formats turned into the displayed string."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return v
    f = (fmt or "General").strip()
    if f == "@":
        return str(int(v)) if float(v).is_integer() and abs(v) < 2**63 else repr(float(v))
    if _TEXTLIKE_ZEROS.match(f) and float(v).is_integer():
        return f"{int(v):0{len(f)}d}"
    return v


def _order_hint(fmt: str) -> str | None:
    f = re.sub(r"\[[^\]]*\]|\"[^\"]*\"", "", fmt.lower())
    pos_d, pos_m, pos_y = f.find("d"), f.find("m"), f.find("y")
    if pos_d < 0 or pos_m < 0:
        return None
    if pos_y >= 0 and pos_y < min(pos_d, pos_m):
        return None  # year first: ISO-like, no evidence about text dates
    return "dayfirst" if pos_d < pos_m else "monthfirst"


_CELL_ERRORS = frozenset({"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
                          "#CALC!", "#FIELD!", "#GETTING_DATA", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
"""Excel's error values: a cell holding one has no value (it is quarantined, never parsed)."""


_ZERO_DATES = (_dt.datetime(1899, 12, 30), _dt.datetime(1899, 12, 31), _dt.datetime(1904, 1, 1), _dt.time(0, 0))


def _is_zero(v) -> bool:
    """True for a cached 0, also when a date or time format shows it as Excel's day zero."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return v == 0
    return isinstance(v, (_dt.datetime, _dt.time)) and v in _ZERO_DATES


def _has_formulas(path: Path) -> bool:
    """True when a worksheet of the workbook holds a formula (an ``<f>`` element)."""
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with z.open(info) as f:
                        tail = b""
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            buf = tail + chunk
                            if b"<f>" in buf or b"<f " in buf or b":f>" in buf or b":f " in buf:
                                return True
                            tail = buf[-4:]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    return False


class SheetChoiceNeeded(ReadError):
    """The workbook's (or data source's) sheet or layer to read cannot be chosen safely.

    Attributes
    ----------
    options : list of str
        Names of the sheets or layers, in file order.
    choice : str
        ``"sheet"`` or ``"layer"``: the option that makes the choice.
    """

    def __init__(self, message: str, options: list[str], choice: str = "sheet"):
        super().__init__(message)
        self.options = options
        self.choice = choice


def list_sheets(path) -> list[tuple[str, str]]:
    """Sheets of a workbook or layers of a geographic file, with a note on each.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of (str, str)
        ``(name, note)`` in file order: for XLSX the note is ``visible``, ``hidden`` or
        ``veryHidden``; for geographic files the layer's geometry type. Empty for other
        formats or unreadable files.
    """
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    try:
        if fmt == "xlsx":
            import openpyxl

            wb = openpyxl.load_workbook(p, read_only=True)
            try:
                return [(ws.title, ws.sheet_state or "visible") for ws in wb.worksheets]
            finally:
                wb.close()
        if fmt in ("gpkg", "geojson"):
            import pyogrio

            return [(str(n), str(g)) for n, g in pyogrio.list_layers(p)]
    except Exception:  # noqa: BLE001 - a file that cannot be listed is reported by read_table
        return []
    return []


def _scan_top(ws) -> list[tuple[int, list]]:
    top = []
    for rn, row in enumerate(ws.iter_rows(values_only=True, max_row=200), start=1):
        vals = [v if not (isinstance(v, str) and not v.strip()) else None for v in row]
        if any(v is not None for v in vals):
            top.append((rn, vals))
            if len(top) >= HEADER_SCAN_ROWS:
                break
    return top


def _choose_sheet(wb, sheet, file_name: str, warnings: list[str]):
    """The worksheet to read (see :func:`read_table`); a warning says which and why."""
    names = wb.sheetnames
    if sheet is not None:
        s = str(sheet).strip()
        if s in names:
            ws = wb[s]
        elif s.isdigit() and 1 <= int(s) <= len(names):
            ws = wb.worksheets[int(s) - 1]
        else:
            low = {n.strip().lower(): n for n in names}
            if s.lower() not in low:
                raise ReadError(f"{file_name} has no sheet {sheet!r}; sheets: {', '.join(names)} "
                                f"(give a name, or a position from 1 to {len(names)}).")
            ws = wb[low[s.lower()]]
        if (ws.sheet_state or "visible") != "visible":
            warnings.append(f"Sheet {ws.title!r} was read as asked, although it is hidden in the workbook.")
        return ws
    if len(names) == 1:
        return wb.worksheets[0]
    described, candidates = [], []
    for ws in wb.worksheets:
        state = ws.sheet_state or "visible"
        top = _scan_top(ws)
        if not top:
            described.append(f"{ws.title!r} (empty)")
            continue
        pos, header, _ = find_header(top)
        fields = known_fields(header)
        has_rows = len(top) > pos + 1
        if state != "visible":
            described.append(f"{ws.title!r} ({state}: skipped)")
        elif not (holds_records(fields) and has_rows):
            described.append(f"{ws.title!r} (no header of known columns: skipped)")
        else:
            described.append(f"{ws.title!r} (records: {len(fields)} known columns)")
            candidates.append(ws)
    way_out = ("Choose the sheet: `intel import FILE --sheet NAME` (or its position, 1 = first), or the "
               "sheet choice on the Import page.")
    if len(candidates) == 1:
        ws = candidates[0]
        if ws is not wb.worksheets[0] or len(names) > 1:
            warnings.append(f"Sheet {ws.title!r} was read: it is the only visible sheet with a header of known "
                            f"columns. Sheets: {'; '.join(described)}.")
        return ws
    if not candidates:
        raise SheetChoiceNeeded(f"{file_name} has {len(names)} sheets and none is a visible table with a header "
                                f"of known columns ({'; '.join(described)}); nothing was imported. {way_out}",
                                list(names))
    raise SheetChoiceNeeded(f"{file_name} has several sheets of records ({'; '.join(described)}); which one "
                            f"to import cannot be decided safely and nothing was imported. {way_out}", list(names))


def read_xlsx(path: Path, sheet: str | None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    _check_xlsx_size(path)
    try:
        return _read_xlsx_capped(path, sheet, openpyxl, InvalidFileException)
    except ET.ParseError as exc:   # e.g. entity expansion refused by expat (billion laughs)
        raise ReadError(f"{path.name} is not a readable Excel workbook (.xlsx): its XML is malformed or "
                        f"expands without bound ({exc}); nothing was imported.") from None


def _read_xlsx_capped(path: Path, sheet: str | None, openpyxl, InvalidFileException) -> RawTable:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(f"{path.name} is not a readable Excel workbook (.xlsx): {exc}") from None
    wbf = None
    try:
        warnings: list[str] = []
        ws = _choose_sheet(wb, sheet, path.name, warnings)
        datemode = 1 if wb.epoch == _dt.datetime(1904, 1, 1) else 0
        calc = getattr(wb, "calculation", None)
        full_calc = bool(getattr(calc, "fullCalcOnLoad", False))
        formulas = None
        if hasattr(ws, "reset_dimensions"):   # read every row, whatever <dimension> declares
            ws.reset_dimensions()
        if _has_formulas(path):
            wbf = openpyxl.load_workbook(path, read_only=True, data_only=False)
            wsf = wbf[ws.title]
            if hasattr(wsf, "reset_dimensions"):
                wsf.reset_dimensions()
            formulas = wsf.iter_rows(values_only=True)
        top = _scan_top(ws)
        if not top:
            raise ReadError(f"{path.name}: the sheet {ws.title!r} is empty.")
        pos, header, notes = find_header(top)
        warnings += notes
        header_row = top[pos][0]
        records, rows = [], []
        hints: dict[int, set] = {}
        issues: dict[int, dict[int, str]] = {}   # column position -> {row number: code}
        shown: list[str] = []
        for rn, row in enumerate(ws.iter_rows(), start=1):
            frow = next(formulas, ()) if formulas is not None else ()
            if rn > XLSX_MAX_ROWS:
                raise ReadError(f"{path.name}: the sheet {ws.title!r} has more than {XLSX_MAX_ROWS:,} rows, more "
                                "than an import reads; nothing was imported. Split it or save it as CSV.")
            if len(row) > XLSX_MAX_COLUMNS:
                raise ReadError(f"{path.name}: row {rn} of the sheet {ws.title!r} reaches column {len(row):,}, more "
                                f"than the {XLSX_MAX_COLUMNS:,} columns an import reads; nothing was imported. "
                                "Delete the far-off cells or save the sheet as CSV.")
            if rn <= header_row:
                continue
            vals = []
            for j, c in enumerate(row):
                v = cached = c.value
                if isinstance(v, str) and len(v) > XLSX_MAX_FIELD_CHARS:
                    raise ReadError(f"{path.name}: the cell in row {rn}, column {j + 1} of the sheet {ws.title!r} "
                                    f"holds {len(v):,} characters, more than the {XLSX_MAX_FIELD_CHARS:,} a cell "
                                    "may hold; nothing was imported.")
                fmt = getattr(c, "number_format", None)
                if isinstance(v, (_dt.datetime, _dt.date)) and fmt:
                    h = _order_hint(fmt)
                    if h:
                        hints.setdefault(j, set()).add(h)
                if isinstance(v, str):
                    v = v if v.strip() else None
                f = frow[j] if j < len(frow) else None
                is_formula = isinstance(f, str) and f.startswith("=") or type(f).__name__ in (
                    "ArrayFormula", "DataTableFormula")
                code = None
                if isinstance(v, str) and v.strip() in _CELL_ERRORS:
                    code = "CELL_ERROR"
                elif is_formula and (cached is None or (full_calc and _is_zero(cached))):
                    code = "FORMULA_NOT_CALCULATED"
                    v = f if isinstance(f, str) else str(getattr(f, "text", f))
                if code:
                    issues.setdefault(j, {})[rn] = code
                    if len(shown) < 10:
                        shown.append(f"row {rn} column {j + 1}: {v!r}")
                vals.append(_xlsx_value(v, fmt))
            if all(v is None for v in vals):
                continue
            records.append(vals)
            rows.append(rn)
        sheet_name = ws.title
        all_sheets = list(wb.sheetnames)
    finally:
        wb.close()
        if wbf is not None:
            wbf.close()
    width = max([len(header)] + [len(r) for r in records])
    while width > 1 and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in records):
        width -= 1
    names = clean_names(list(header[:width]) + [None] * (width - len(header)))
    records = [list(r[:width]) + [None] * (width - len(r)) for r in records]
    frame = pd.DataFrame(records, columns=names, dtype=object) if records else pd.DataFrame(
        {n: pd.Series([], dtype=object) for n in names})
    if datemode:
        warnings.append("The workbook uses the 1904 date system; serial dates are converted accordingly.")
    cell_issues = {names[j]: d for j, d in issues.items() if j < width}
    if cell_issues:
        n_err = sum(c == "CELL_ERROR" for d in cell_issues.values() for c in d.values())
        n_calc = sum(c == "FORMULA_NOT_CALCULATED" for d in cell_issues.values() for c in d.values())
        parts = []
        if n_err:
            parts.append(f"{n_err} cell(s) hold an Excel error value (#N/A, #REF!, #DIV/0!...)")
        if n_calc:
            parts.append(f"{n_calc} formula cell(s) were never calculated (no cached value"
                         + (", or the dummy 0 of a workbook marked for full recalculation on load" if full_calc else "")
                         + ")")
        warnings.append(f"{' and '.join(parts)}: those values are not used and their rows are held back "
                        f"({'; '.join(shown)}). Open and save the workbook in Excel to calculate the formulas.")
    order_hints = {names[j]: next(iter(h)) for j, h in hints.items() if j < width and len(h) == 1}
    dec, thou = detect_decimal(frame, None)
    raw = RawTable(frame=frame, row_numbers=np.asarray(rows, dtype=np.int64), format="xlsx",
                   decimal=dec, thousands=thou, datemode=datemode, warnings=warnings,
                   date_order_hints=order_hints, sheet=sheet_name, cell_issues=cell_issues,
                   sheets=all_sheets)
    return tidy_rows(raw)
