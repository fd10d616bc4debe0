"""Readers: turn an agency file into a table of raw values, losing nothing.

This is the first step of the importer (:mod:`intel.ingest`). A reader does **not** interpret
values: it returns every cell as the exact text of the file (CSV) or the value the workbook
holds (XLSX), so that serial numbers such as ``00123456`` or ``12E45`` survive byte for byte
and every later parse can be audited against the raw value.

What is detected here, once per file, and reported on :class:`RawTable`:

* **encoding** (CSV): UTF-8 with or without BOM; otherwise Windows-1252 is preferred over
  ISO-8859-1 because agency exports from Windows Excel are cp1252 (bytes 0x80-0x9F carry
  ``€ š ‘ ’`` there but are C1 control characters in ISO-8859-1). charset-normalizer is asked
  only when the bytes are neither UTF-8 nor decodable as cp1252, or when it recognises a
  non-Latin script (Cyrillic, Greek, Arabic, Hebrew...). A file that is UTF-8 but for a few
  invalid bytes (no more invalid sequences than valid non-ASCII characters, e.g. ``Bogotá`` and one
  stray ``0xFF``) is read as UTF-8 with each invalid byte replaced by U+FFFD
  (:data:`UTF8_REPLACED`): one bad byte no longer makes the whole file cp1252, mangling every
  valid name. The cells holding a replacement are listed in ``cell_issues`` as
  ``ENCODING_INVALID``, which holds their rows back, and a warning names their lines.
* **delimiter** (CSV): the one of ``, ; TAB |`` that splits the first lines into the most
  consistent number of fields (quotes respected).
* **decimal mark and thousands separator** (CSV): from numeric-looking cells (``-34,6037``
  means a decimal comma, ``1.250`` then means one thousand two hundred and fifty).
* **date system** (XLSX): 1900 or 1904 (``datemode`` 0 or 1), and the number formats of date
  cells (``DD/MM/YYYY`` is evidence that text dates in the same column are day-first).

* **whole-file structure** (CSV and XLSX): the header row under title rows (the row whose
  names map the most standard fields), a two-row header of group headings over merged cells
  combined into one name per column, blank (delimiter-only) and total lines skipped, trailing
  unnamed empty columns dropped, and the rows under a second header with another column order
  (two exports joined) read under their own header. Each is reported in ``warnings``.
* **sheet or layer** (XLSX, GeoPackage): the one asked for (name or 1-based position), else the
  only visible sheet with a header of known columns (hidden list sheets and cover sheets are
  skipped), or the only layer of points. When that choice cannot be made safely
  :class:`SheetChoiceNeeded` is raised: nothing is read, the message lists the sheets or layers
  and the way out.
* **formula cells** (XLSX): the cached value is used when Excel calculated it; error values
  (``#N/A``, ``#REF!``...) and formulas never calculated (no cached value, or the dummy 0 of a
  workbook written by a tool with ``fullCalcOnLoad``) are listed in ``cell_issues``.
* **size limits** (XLSX): the sheet is read row by row whatever its declared ``<dimension>`` says
  (a stale one would hide rows, a huge one would pad every row), and a workbook whose expanded
  parts exceed :data:`XLSX_MAX_EXPANDED_BYTES`, a sheet of more than :data:`XLSX_MAX_ROWS` rows or
  :data:`XLSX_MAX_COLUMNS` columns, a cell of more than :data:`XLSX_MAX_FIELD_CHARS` characters,
  or XML that expands entities without bound is refused with a :class:`ReadError` sentence.
* **size limits** (CSV): a file of more than :data:`CSV_MAX_BYTES` bytes, more than
  :data:`CSV_MAX_ROWS` records, more than :data:`CSV_MAX_COLUMNS` columns or a field of more than
  :data:`CSV_MAX_FIELD_CHARS` characters is refused with a :class:`ReadError` sentence naming the
  limit and, for a row or a field, the row (numbered as in the import report) and column.

Geographic formats (GeoJSON, GeoPackage, GeoParquet) carry their geometry as extra columns
``__longitude`` and ``__latitude`` (WGS84 degrees, RFC 7946 lon-lat order; the representative
point of an area, the middle of a line, the centroid of a MultiPoint), ``__precision`` (location
precision from the geometry's extent: half its bounding-box diagonal, geodesic),
``__geometry_note`` (``LOCATION_FROM_GEOMETRY`` or ``MULTIPLE_LOCATIONS``) and ``__geometry``
(WKT of a non-point geometry, for the raw values).
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from intel.mapping import suggest_mapping

__all__ = ["RawTable", "ReadError", "SheetChoiceNeeded", "read_table", "list_sheets", "FORMATS", "utf16_without_bom"]

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".geojson": "geojson", ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet", ".geoparquet": "geoparquet", ".pq": "parquet",
}
"""File extension -> format name understood by :func:`read_table`."""

_DELIMITERS = [",", ";", "\t", "|"]
_SAMPLE_BYTES = 1 << 20           # bytes used for detection
_NONLATIN = ("Cyrillic", "Greek", "Arabic", "Hebrew", "Thai", "CJK", "Hangul", "Hiragana", "Katakana")


class ReadError(ValueError):
    """A file that cannot be read as a table; the message is plain English for the analyst."""


XLSX_MAX_ROWS = 1_000_000
"""Most sheet rows (counted from the first, empty ones included) an XLSX import reads."""
XLSX_MAX_COLUMNS = 1_000
"""Most columns of a sheet row (up to its last filled cell) an XLSX import reads."""
XLSX_MAX_FIELD_CHARS = 32_767
"""Most characters of one cell (Excel's own limit for a cell)."""
XLSX_MAX_EXPANDED_BYTES = 1 << 30
"""Most bytes (1 GiB) the parts of an XLSX workbook may declare once decompressed."""


CSV_MAX_BYTES = 1 << 30
"""Most bytes (1 GiB) of a CSV file an import reads."""
CSV_MAX_ROWS = 5_000_000
"""Most records (lines after the header) of a CSV file an import reads."""
CSV_MAX_COLUMNS = 1_000
"""Most columns (header fields, or fields of the widest row) of a CSV file."""
CSV_MAX_FIELD_CHARS = 32_767
"""Most characters of one CSV field (as for an XLSX cell; Python's csv module would stop at 131,072)."""
UTF8_REPLACED = "utf-8 (invalid bytes replaced)"
"""The ``encoding`` of a CSV file read as UTF-8 with a few invalid bytes replaced by U+FFFD."""


def _csv_cap(path: Path, what: str, limit: int, where: str = "") -> ReadError:
    return ReadError(f"{path.name}: {what}, more than the {limit:,} an import reads{where}; nothing was imported. "
                     "Split the file, or remove what does not belong in it.")


def _check_csv_frame(path: Path, frame: pd.DataFrame, rows: np.ndarray) -> None:
    """Refuse a CSV table over :data:`CSV_MAX_ROWS`, :data:`CSV_MAX_COLUMNS` or :data:`CSV_MAX_FIELD_CHARS`."""
    if len(frame) > CSV_MAX_ROWS:
        raise _csv_cap(path, f"the file has more than {CSV_MAX_ROWS:,} records (row {int(rows[CSV_MAX_ROWS]):,} is "
                             "beyond the limit)", CSV_MAX_ROWS)
    if len(frame.columns) > CSV_MAX_COLUMNS:
        raise _csv_cap(path, f"the file has {len(frame.columns):,} columns", CSV_MAX_COLUMNS)
    for name in frame.columns:
        col = frame[name]
        lengths = col.str.len() if col.dtype != object else col.map(lambda v: len(v) if isinstance(v, str) else 0)
        lengths = np.asarray(lengths.fillna(0), dtype=np.int64)
        if len(lengths) and lengths.max() > CSV_MAX_FIELD_CHARS:
            i = int(np.argmax(lengths > CSV_MAX_FIELD_CHARS))
            raise _csv_cap(path, f"the field of column {str(name)!r} in row {int(rows[i]):,} holds {int(lengths[i]):,} "
                                 "characters", CSV_MAX_FIELD_CHARS, " in one field")


def _utf8_replacements(data: bytes) -> int | None:
    """Invalid UTF-8 sequences of ``data`` when it is UTF-8 but for a few of them, else None.

    "A few": at least one valid non-ASCII character and no more invalid sequences than valid
    non-ASCII characters (a cp1252 or Latin-1 file has almost no valid UTF-8 sequence: its
    accented letters are lone bytes). Python's decoder never swallows an ASCII byte into a
    replacement, so the counts come from the decoded length and the ASCII bytes.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode("utf-8"))
    if bad <= 0:
        return None
    ascii_bytes = int((np.frombuffer(data, dtype=np.uint8) < 0x80).sum())
    valid = len(text) - ascii_bytes - text.count("\ufffd") + data.count("\ufffd".encode("utf-8"))
    return bad if valid >= bad else None


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


@dataclass
class RawTable:
    """Raw values of one table, with what was detected about the file.

    Attributes
    ----------
    frame : pandas.DataFrame, shape (n_rows, n_columns)
        CSV: every column is an Arrow-backed string column (``pd.StringDtype("pyarrow")``)
        holding the exact cell text, ``<NA>`` for an empty cell (no Python object per cell:
        a million-row file reads in about a second; :mod:`intel.parse` reads these columns
        natively). The row-by-row fallback for ragged files gives ``object`` columns with
        ``None``. Other formats: ``object`` columns.
        XLSX: openpyxl values (``datetime`` for date cells, ``int``/``float`` for numbers,
        ``str`` for text) except numbers whose format makes them text-like (``@``, zero
        padding such as ``00000000``), which come as the displayed string. Column names are
        stripped of BOM and surrounding whitespace; duplicates get a ``.1``, ``.2`` suffix.
    row_numbers : numpy.ndarray of int64, shape (n_rows,)
        1-based row number in the source (header is row 1 for CSV and XLSX, so the first
        record is row 2); feature index + 1 for geographic formats.
    format : str
        ``csv``, ``xlsx``, ``geojson``, ``gpkg``, ``parquet`` or ``geoparquet``.
    encoding, delimiter : str or None
        CSV only (Python codec name, one character).
    decimal : str
        ``"."`` or ``","``: decimal mark of numeric text.
    thousands : str or None
        Thousands separator of numeric text, if any.
    datemode : int
        0 for the 1900 date system, 1 for the 1904 system (XLSX); 0 otherwise.
    warnings : list of str
        Plain-English notes on what was assumed or repaired.
    has_geometry : bool
        True when ``__longitude`` and ``__latitude`` columns were added from the geometry.
    date_order_hints : dict of str to str
        XLSX only: column -> ``"dayfirst"`` or ``"monthfirst"`` when date cells of that
        column use a number format that shows the day or the month first. Pass it as
        ``order`` to :func:`intel.dates.parse_dates` for the text dates of that column.
    sheet : str or None
        XLSX sheet or geographic layer read.
    sheets : list of str
        XLSX: every sheet of the workbook; GeoPackage and other layered sources: every layer.
    cell_issues : dict of str to dict of int to str
        Cells whose value is not a value: column -> {source row number: code}, the code
        ``CELL_ERROR`` (an Excel error such as ``#N/A`` or ``#REF!``; the cell keeps that
        text) or ``FORMULA_NOT_CALCULATED`` (a formula with no cached value, or the dummy 0
        of a workbook marked ``fullCalcOnLoad``; the cell holds the formula text). The
        importer does not parse these cells and holds their rows back with that reason.
    """

    frame: pd.DataFrame
    row_numbers: np.ndarray
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    thousands: str | None = None
    datemode: int = 0
    warnings: list[str] = field(default_factory=list)
    has_geometry: bool = False
    date_order_hints: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    cell_issues: dict[str, dict[int, str]] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _clean_names(names: list) -> list[str]:
    """Strip BOM and whitespace from header names, name blanks, de-duplicate."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        t = "" if n is None else str(n)
        t = t.replace("\ufeff", "").strip()
        if not t:
            t = f"column_{i + 1}"
        if t in seen:
            seen[t] += 1
            t = f"{t}.{seen[t]}"
        else:
            seen[t] = 0
        out.append(t)
    return out


def _is_utf8(data: bytes) -> bool:
    """True when ``data`` is valid UTF-8 (Arrow's vectorised validation; no decoded copy)."""
    if data.isascii():
        return True
    try:
        offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
        arr = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
        arr.cast(pa.large_string())
        return True
    except pa.ArrowInvalid:   # not UTF-8
        return False


def utf16_without_bom(data: bytes) -> str | None:
    """Whether ``data`` is UTF-16 text without a byte-order mark, and which byte order.

    Returns ``"utf-16-le"``/``"utf-16-be"`` when ``data`` is UTF-16 text written without a byte-order
    mark (some "Unicode text" exports): in the first 4 KiB, at least 30 % of the bytes at odd
    (little-endian) or even (big-endian) positions are NUL and almost none (< 5 %) at the others,
    the pattern of text whose characters are mostly below U+0100; and at least 95 % of the
    decoded characters are printable or tab/CR/LF (binary data with NUL patterns is not text).
    None otherwise.

    Parameters
    ----------
    data : bytes
        The file's bytes (only the first 4 KiB are looked at).

    Returns
    -------
    str or None
    """
    head = data[:4096]
    if len(head) < 8 or len(head) % 2 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    e0, o0 = even.count(0) / len(even), odd.count(0) / len(odd)
    enc = "utf-16-le" if o0 >= 0.3 and e0 < 0.05 else "utf-16-be" if e0 >= 0.3 and o0 < 0.05 else None
    if enc is None:
        return None
    text = head.decode(enc, errors="replace")
    readable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return enc if readable >= 0.95 * len(text) else None


def _detect_encoding(data: bytes, warnings: list[str]) -> str:
    """Codec name for ``data``; see the module overview for the rule."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    bomless = utf16_without_bom(data)
    if bomless:
        warnings.append(f"The file has no byte-order mark but its bytes are UTF-16 "
                        f"({'little' if bomless.endswith('le') else 'big'}-endian); it was decoded as such.")
        return bomless
    if _is_utf8(data):
        return "utf-8"
    bad = _utf8_replacements(data)
    if bad is not None:
        warnings.append(f"The file is UTF-8 but for {bad} invalid byte sequence(s); each was replaced by \ufffd "
                        "and its row is held back (ENCODING_INVALID) where it falls in a mapped column. The rest "
                        "of the file was read as UTF-8.")
        return UTF8_REPLACED
    guess = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:_SAMPLE_BYTES]).best()
        if best is not None:
            guess = best
    except Exception:  # pragma: no cover - detection is best effort
        guess = None
    nonlatin = False
    if guess is not None:
        alphabets = " ".join(getattr(guess, "alphabets", []) or [])
        nonlatin = any(a in alphabets for a in _NONLATIN)
    if not nonlatin:
        try:
            data.decode("cp1252")
            warnings.append("The file is not UTF-8; it was decoded as Windows-1252 (cp1252).")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    if guess is not None:
        warnings.append(f"The file is not UTF-8; it was decoded as {guess.encoding} (detected).")
        return guess.encoding
    warnings.append("The file is not UTF-8; it was decoded as ISO-8859-1 (Latin-1).")
    return "latin-1"


def _sniff_delimiter(text: str) -> str:
    """Delimiter giving the most consistent field count over the first lines of ``text``."""
    lines = text.splitlines()[:60]
    sample = "\n".join(lines)
    best, best_score = ",", (-1.0, 0)
    for d in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        except csv.Error:
            continue
        if len(rows) > 1 and len(lines) >= 60:
            rows = rows[:-1]  # the last sampled line may be cut
        counts = [len(r) for r in rows]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        consistency = counts.count(mode) / len(counts)
        score = (consistency, mode)
        if score > best_score:
            best, best_score = d, score
    return best


_DEC_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DEC_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")
_DOT_GROUPED = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_DEC_DOT = re.compile(r"^[+-]?\d*\.\d+$")
_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _detect_decimal(frame: pd.DataFrame, delimiter: str | None) -> tuple[str, str | None]:
    """Decimal mark and thousands separator from numeric-looking cells of ``frame``."""
    comma = dot = dotgroup = commagroup = 0
    head = frame.head(2000)
    for col in head.columns:
        for v in head[col].dropna().unique()[:500]:
            if not isinstance(v, str):
                continue
            t = v.strip()
            if not t or len(t) > 40:
                continue
            if _DEC_COMMA_GROUPED.match(t):
                comma += 2
            elif _DEC_COMMA.match(t):
                # '1,250' could be a grouped thousand; '-34,6037' cannot
                if re.match(r"^[+-]?\d{1,3},\d{3}$", t):
                    commagroup += 1
                else:
                    comma += 1
            elif _DOT_GROUPED.match(t):
                dotgroup += 1
            elif _DEC_DOT.match(t):
                dot += 1
            elif _COMMA_GROUPED.match(t):
                commagroup += 1
    if comma > dot:
        return ",", "."
    if commagroup and not comma and delimiter != ",":
        return ".", ","
    return ".", None


# --------------------------------------------------------------------------------------------
# whole-file structure: blank and total lines, a second header with another column order
# --------------------------------------------------------------------------------------------

_TOTAL = re.compile(
    r"^\s*(grand\s*|sub\s*-?\s*|sous\s*-?\s*)?(total|totales?|totaux|totals|suma|somme|summe|gesamt|ukupno)"
    r"(\s+g[ée]n[ée]ral|\s+general)?\s*:?\s*$", re.IGNORECASE)


def _null_mask(col: pd.Series) -> np.ndarray:
    return col.isna().to_numpy(dtype=bool)


def _blank_cells(col: pd.Series) -> np.ndarray:
    """Cells that are empty, null or only whitespace (a line of ``"  ;  ;;"`` is a blank line)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        space = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
        return (pc.fill_null(space, True)).to_numpy(zero_copy_only=False)
    out = col.isna().to_numpy(dtype=bool).copy()
    for i in np.flatnonzero(~out):
        v = col.iat[i]
        out[i] = isinstance(v, str) and not v.strip()
    return out


def _total_rows(frame: pd.DataFrame, cols: list, sparse: np.ndarray) -> np.ndarray:
    """Positions (of ``sparse``) whose row holds a total label (``TOTAL``, ``Total général``...)
    in any column: a total line labels its sum in the id column or next to the count."""
    hit = np.zeros(len(sparse), dtype=bool)
    if not len(sparse):
        return hit
    for c in cols:
        sub = frame[c].iloc[sparse]
        if sub.dtype == object:
            m = np.fromiter((isinstance(v, str) and _TOTAL.match(v) is not None for v in sub), bool, len(sub))
        else:
            m = sub.astype("string").str.match(_TOTAL).fillna(False).to_numpy(dtype=bool)
        hit |= m
    return hit


def _positions_in(col: pd.Series, values: list[str]) -> np.ndarray:
    """Positions of the cells of ``col`` equal to one of ``values`` (Arrow kernels on Arrow text)."""
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = col.array.__arrow_array__()
        hit = np.zeros(len(col), dtype=bool)
        for v in values:   # one vectorised comparison per name: cheaper than a hash set over every cell
            eq = pc.fill_null(pc.equal(arr, pa.scalar(v, arr.type)), False)
            hit |= eq.to_numpy(zero_copy_only=False)
        return np.flatnonzero(hit)
    return np.flatnonzero(col.isin(values).to_numpy(dtype=bool))


def _rebuild(frame: pd.DataFrame, values: dict[str, list]) -> pd.DataFrame:
    """A frame of the same kind (Arrow text or object columns) from per-column value lists."""
    arrow = all(isinstance(frame[c].dtype, pd.StringDtype) for c in frame.columns) and len(frame.columns) > 0
    if arrow:
        return pd.DataFrame({c: pd.Series(v, dtype=pd.StringDtype("pyarrow")) for c, v in values.items()})
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in values.items()})


def _tidy_rows(raw: RawTable) -> RawTable:
    """Skip blank (delimiter-only) lines and total lines, drop trailing unnamed empty columns,
    and read the rows of a second header with another column order under their own header.

    Every skipped line is reported in ``raw.warnings`` with its row number (and the values of
    a total line). A second header line in the same column order is left in place: the
    importer rejects it as ``REPEATED_HEADER`` (with its raw values). A second header in
    another order (two exports concatenated) is rewritten in the first header's order, and
    the rows under it, up to the next header, are read under their own column names; names
    the first header does not have become new columns.
    """
    frame, rows = raw.frame, np.asarray(raw.row_numbers)
    cols = [c for c in frame.columns if not str(c).startswith("__")]
    if not len(frame) or not cols:
        return raw
    # trailing columns with no name and no value (a formatted range wider than the data)
    drop_cols = []
    for i in range(len(frame.columns) - 1, -1, -1):
        c = frame.columns[i]
        if c == f"column_{i + 1}" and _null_mask(frame[c]).all():
            drop_cols.append(c)
        else:
            break
    if drop_cols and len(drop_cols) < len(frame.columns):
        frame = frame.drop(columns=drop_cols)
        cols = [c for c in cols if c not in drop_cols]
        raw.warnings.append(f"{len(drop_cols)} trailing column(s) with no name and no value were ignored.")
    nulls = [_null_mask(frame[c]) for c in cols]
    filled = len(cols) - np.add.reduce(nulls, dtype=np.int32)
    # a blank line has every cell empty or only spaces; only lines whose first cell is blank can be
    # one, so the other columns are looked at on those lines only (cheap at a million rows)
    cand = np.flatnonzero(_blank_cells(frame[cols[0]]))
    blank = np.ones(len(cand), dtype=bool)
    for c in cols[1:]:
        if not len(cand):
            break
        blank &= _blank_cells(frame[c].iloc[cand])
    empty = np.zeros(len(frame), dtype=bool)
    empty[cand[blank]] = True
    total = np.zeros(len(frame), dtype=bool)
    sparse = np.flatnonzero((filled <= max(2, len(cols) // 2)) & ~empty)   # a total line is mostly empty
    total[sparse] = _total_rows(frame, cols, sparse)
    notes = []
    if empty.any():
        rn = rows[empty]
        notes.append(f"{len(rn)} blank or delimiter-only line(s) were skipped, not records (row(s) "
                     f"{', '.join(str(int(r)) for r in rn[:20])}{'...' if len(rn) > 20 else ''}).")
    if total.any():
        shown = []
        for p in np.flatnonzero(total)[:5]:
            vals = {c: frame[c].iloc[p] for c in cols}
            vals = {c: v for c, v in vals.items() if v is not None and v is not pd.NA}
            shown.append(f"row {int(rows[p])}: {json.dumps(vals, ensure_ascii=False, default=str)}")
        notes.append(f"{int(total.sum())} total line(s) were skipped, not seizures ({'; '.join(shown)}).")
    keep = ~(empty | total)
    if not keep.all():
        frame = frame[keep].reset_index(drop=True)
        rows = rows[keep]
        raw.warnings.extend(notes)
    raw.frame, raw.row_numbers = frame, rows
    return _realign_second_headers(raw, cols)


def _realign_second_headers(raw: RawTable, cols: list) -> RawTable:
    frame, rows = raw.frame, raw.row_numbers
    names = {str(c): c for c in cols}
    cand = _positions_in(frame[cols[0]], list(names))
    headers = []
    for p in cand:
        vals = [frame[c].iloc[p] for c in cols]
        vals = [None if v is None or v is pd.NA else v for v in vals]
        hits = sum(isinstance(v, str) and v.strip() in names for v in vals)
        if hits < max(2, len(cols) // 2):
            continue
        same = sum(isinstance(v, str) and v.strip() == str(c) for v, c in zip(vals, cols))
        headers.append((p, vals, same == hits))
    if not any(not same for _, _, same in headers):
        return raw
    values = {c: frame[c].astype(object).tolist() for c in frame.columns}
    for c in values:
        values[c] = [None if v is pd.NA else v for v in values[c]]
    bounds = [p for p, _, _ in headers] + [len(frame)]
    moved = []
    for k, (p, hdr, same) in enumerate(headers):
        if same:
            continue
        own = [str(v).strip() if v is not None else None for v in hdr]
        for name in own:
            if name is not None and name not in values:
                values[name] = [None] * len(frame)
        for r in range(p, bounds[k + 1]):
            row = [values[c][r] for c in cols]
            for c in cols:
                values[c][r] = None
            for name, v in zip(own, row):
                if name is not None:
                    values[name][r] = v
        moved.append(f"row {int(rows[p])} (rows {int(rows[p])}-{int(rows[bounds[k + 1] - 1])})")
    new = _rebuild(frame, values)
    raw.frame = new
    raw.warnings.append("A second header with another column order was found at " + ", ".join(moved)
                        + " (two exports joined in one file): the rows under it were read under their own "
                        "header; the header line itself is listed as a repeated header.")
    return raw


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

_SEP_DIRECTIVE = re.compile(r"[ \t]*sep=([^\r\n])[ \t]*\r?\n", re.IGNORECASE)


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, decimal: str | None) -> RawTable:
    size = path.stat().st_size
    if size > CSV_MAX_BYTES:
        raise _csv_cap(path, f"the file holds {size:,} bytes", CSV_MAX_BYTES, " (bytes)")
    data = path.read_bytes()
    if not data or data.isspace():
        raise ReadError(f"{path.name} is empty: there is no header row and no record.")
    warnings: list[str] = []
    enc = encoding or _detect_encoding(data, warnings)
    text: str | None = None
    if enc.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") and (
            (encoding is None and enc == "utf-8") or _is_utf8(data)):
        # UTF-8: Arrow reads the bytes as they are; only a sample is decoded in Python
        body = memoryview(data)[3:] if data.startswith(codecs.BOM_UTF8) else memoryview(data)
        if b"\x00" in data:
            raise ReadError(f"{path.name} contains NUL bytes; it does not look like a text (CSV) file.")
        head = bytes(body[:_SAMPLE_BYTES])
        sample = head.decode("utf-8", errors="ignore") if len(body) > _SAMPLE_BYTES else head.decode("utf-8")
        utf8 = body
    else:
        try:
            text = data.decode("utf-8", errors="replace") if enc == UTF8_REPLACED else data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(f"{path.name} cannot be decoded as {enc}: {exc}") from None
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\x00" in text:
            raise ReadError(f"{path.name} contains NUL bytes; it does not look like a text (CSV) file.")
        sample = text[:_SAMPLE_BYTES]
        utf8 = text.encode("utf-8")
    # Excel's ``sep=X`` directive on line 1 names the delimiter; it is not the header.
    directive = _SEP_DIRECTIVE.match(sample)
    skipped = 0
    if directive:
        skipped = 1
        sample = sample[directive.end():]
        if text is not None:
            text = text[text.index("\n") + 1:]
            utf8 = text.encode("utf-8")
        else:
            utf8 = utf8[bytes(utf8[:_SAMPLE_BYTES]).index(b"\n") + 1:]
        warnings.append(f"Line 1 is Excel's delimiter directive {directive.group(0).strip()!r}: "
                        f"it was skipped and the header read from line 2.")
    delim = delimiter or (directive.group(1) if directive else None) or _sniff_delimiter(sample)
    if "\n" in sample or len(sample) == len(utf8) or text is not None and len(sample) == len(text):
        first = sample.split("\n", 1)[0]
    else:  # a header line longer than the sample: decode it all
        text = text if text is not None else bytes(utf8).decode("utf-8")
        first = text.split("\n", 1)[0]
    header = next(csv.reader(io.StringIO(first + "\n"), delimiter=delim), [])
    title = _csv_title_lines(sample, delim, skipped)
    if title is not None:   # title lines above the header (and a two-row header): cut them off
        cut, header, notes = title
        warnings.extend(notes)
        if text is not None:
            for _ in range(cut):
                text = text[text.index("\n") + 1:]
            utf8 = text.encode("utf-8")
        else:
            off = 0
            head_bytes = bytes(utf8[:_SAMPLE_BYTES])
            for _ in range(cut):
                off = head_bytes.index(b"\n", off) + 1
            utf8 = utf8[off:]
        skipped += cut
    names = _clean_names(header)
    if len(names) > CSV_MAX_COLUMNS:
        raise _csv_cap(path, f"the header has {len(names):,} columns", CSV_MAX_COLUMNS)
    frame = None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                             newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
        # Arrow-backed string columns: no Python string per cell (a million-row file would
        # spend seconds building them); every parser of intel.parse reads them natively.
        frame = pd.DataFrame(
            # one chunk per column: every later pass reads it whole without combining chunks again
            {i: pd.Series(pd.arrays.ArrowStringArray(table.column(i).cast(pa.large_string()).combine_chunks()),
                          copy=False)
             for i in range(len(names))})
        frame.columns = names
    except Exception as exc:  # ragged rows or other oddities: the careful slow path
        warnings.append(f"Fast CSV reader failed ({type(exc).__name__}); the file was read row by row.")
        text = text if text is not None else bytes(utf8).decode("utf-8")
        frame = _read_csv_slow(text, delim, names, warnings, path)
    rows = np.arange(2 + skipped, len(frame) + 2 + skipped, dtype=np.int64)
    _check_csv_frame(path, frame, rows)
    dec, thou = (decimal, "." if decimal == "," else None) if decimal else _detect_decimal(frame, delim)
    raw = _tidy_rows(RawTable(frame=frame, row_numbers=rows, format="csv", encoding=enc, delimiter=delim,
                              decimal=dec, thousands=thou, warnings=warnings))
    if enc == UTF8_REPLACED:
        _flag_replacements(raw)
    return raw


def _flag_replacements(raw: RawTable) -> None:
    """List the cells holding U+FFFD (invalid bytes replaced) as ``ENCODING_INVALID`` and name their rows."""
    lines: set[int] = set()
    for name in raw.frame.columns:
        col = raw.frame[name]
        hit = np.asarray(col.astype(object).map(lambda v: isinstance(v, str) and "\ufffd" in v), dtype=bool)
        if hit.any():
            rns = [int(r) for r in np.asarray(raw.row_numbers)[hit]]
            raw.cell_issues.setdefault(str(name), {}).update({r: "ENCODING_INVALID" for r in rns})
            lines.update(rns)
    if lines:
        shown = ", ".join(str(r) for r in sorted(lines)[:10]) + (" ..." if len(lines) > 10 else "")
        raw.warnings.append(f"Invalid bytes were replaced in row(s) {shown}.")


def _csv_title_lines(sample: str, delim: str, skipped: int) -> tuple[int, list, list[str]] | None:
    """Title lines above a CSV header, found as in workbooks (:func:`_find_header`).

    Only lines that are at most half filled (titles, blank lines, an export date) may stand
    above the header: a file whose first line is full is read with that line as its header.

    Returns
    -------
    (int, list, list of str) or None
        Lines to cut before the (last) header line, the header names (a two-row header
        combined) and notes; None when the header is the first line.
    """
    lines = sample.split("\n", 31)[:30]
    top = []
    for i, line in enumerate(lines):
        vals = next(csv.reader([line.rstrip("\r")], delimiter=delim), [])
        vals = [v if v.strip() else None for v in vals]
        if any(v is not None for v in vals):
            top.append((i + 1 + skipped, vals))
    if len(top) < 2:
        return None
    pos, header, notes = _find_header(top)
    if pos == 0:
        return None
    start = pos - (1 if any("two-row header" in n for n in notes) else 0)
    width = sum(v is not None for v in top[pos][1])
    if any(sum(v is not None for v in vals) > width / 2 for _, vals in top[:start]):
        return None   # a full line above: not a title, keep the first line as the header
    cut = top[pos][0] - skipped - 1   # physical lines before the last header line
    return cut, header, notes


def _read_csv_slow(text: str, delim: str, names: list[str], warnings: list[str], path: Path | None = None) -> pd.DataFrame:
    """Python csv reader: pads short rows, keeps extra fields in extra columns, warns; stops at the
    caps (:data:`CSV_MAX_ROWS`, :data:`CSV_MAX_COLUMNS`, :data:`CSV_MAX_FIELD_CHARS`) as it reads."""
    path = path or Path("the file")
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    next(reader, None)
    records = []
    width = len(names)
    bad = 0
    while True:
        try:
            r = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:   # e.g. a field over the csv module's own limit
            raise _csv_cap(path, f"row {len(records) + 2:,} cannot be read ({exc})", CSV_MAX_FIELD_CHARS,
                           " in one field") from None
        if not r:
            continue
        if len(records) >= CSV_MAX_ROWS:
            raise _csv_cap(path, f"the file has more than {CSV_MAX_ROWS:,} records (row {len(records) + 2:,} is "
                                 "beyond the limit)", CSV_MAX_ROWS)
        if len(r) > CSV_MAX_COLUMNS:
            raise _csv_cap(path, f"row {len(records) + 2:,} has {len(r):,} fields", CSV_MAX_COLUMNS, " (columns)")
        long = next((v for v in r if len(v) > CSV_MAX_FIELD_CHARS), None)
        if long is not None:
            raise _csv_cap(path, f"a field of row {len(records) + 2:,} holds {len(long):,} characters",
                           CSV_MAX_FIELD_CHARS, " in one field")
        if len(r) != width:
            bad += 1
        records.append([v if v != "" else None for v in r])
    maxw = max([width] + [len(r) for r in records])
    if maxw > width:
        names = names + [f"extra_{i + 1}" for i in range(maxw - width)]
    records = [r + [None] * (maxw - len(r)) for r in records]
    if bad:
        warnings.append(f"{bad} row(s) have a different number of fields from the header.")
    frame = pd.DataFrame(records, columns=names, dtype=object) if records else pd.DataFrame(
        {n: pd.Series([], dtype=object) for n in names})
    return frame


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
_HEADER_SCAN_ROWS = 30            # non-empty rows searched for the header
_RECORD_FIELDS = {"event_date", "latitude", "longitude", "point", "place"}
"""A sheet or layer holds records when its header maps at least two fields, one of them these."""


def _known_fields(names: list) -> set[str]:
    """Standard fields that :func:`intel.mapping.suggest_mapping` finds among ``names``."""
    return set(suggest_mapping([str(n).strip() for n in names if isinstance(n, str) and n.strip()]))


def _is_header_like(vals: list) -> bool:
    texts = [v for v in vals if v is not None]
    return len(texts) >= 2 and all(isinstance(v, str) for v in texts)


def _holds_records(fields: set[str]) -> bool:
    return len(fields) >= 2 and bool(fields & _RECORD_FIELDS)


def _combine_header(upper: list, lower: list) -> list:
    """One name per column from a two-row header: the lower name, or the upper one where the
    lower cell is empty (a name merged down); a lower name repeated under several groups
    is prefixed with its group (the upper name, carried across its merged cells)."""
    width = max(len(upper), len(lower))
    upper = upper + [None] * (width - len(upper))
    lower = lower + [None] * (width - len(lower))
    group, filled = None, []
    for u in upper:
        group = u if u is not None else group
        filled.append(group)
    counts: dict[str, int] = {}
    for v in lower:
        if v is not None:
            k = str(v).strip().lower()
            counts[k] = counts.get(k, 0) + 1
    out = []
    for j, v in enumerate(lower):
        if v is None:
            out.append(upper[j])
        elif counts[str(v).strip().lower()] > 1 and filled[j] is not None:
            out.append(f"{str(filled[j]).strip()} {str(v).strip()}")
        else:
            out.append(v)
    return out


def _find_header(top: list[tuple[int, list]]) -> tuple[int, list, list[str]]:
    """Header of a sheet from its first non-empty rows.

    Parameters
    ----------
    top : list of (row number, values)
        The first non-empty rows of the sheet (1-based row numbers).

    Returns
    -------
    (int, list, list of str)
        Position in ``top`` of the (last) header row, the header names (one per column; a
        two-row header combined), and plain-English notes on what was skipped or combined.

    Notes
    -----
    The header is the row whose names map the most standard fields (at least two); title rows
    above it are skipped. A row directly above it with at least two text cells and fewer
    known names (group headings over merged cells, e.g. ``Identification | Localisation``)
    makes a two-row header: each column takes its name from the lower row, or from the upper
    row where the lower cell is empty (a vertically merged name); names repeated in the lower
    row are prefixed with their group. Without a row mapping two fields the first non-empty
    row is the header, as written.
    """
    notes: list[str] = []
    best, best_n = 0, 1
    for i, (_, vals) in enumerate(top):
        if _is_header_like(vals):
            k = len(_known_fields(vals))
            if k > best_n:
                best, best_n = i, k
    rn, header = top[best]
    header = list(header)
    if best_n < 2:   # no row of known names: the first non-empty row, as written
        if rn != 1:
            notes.append(f"The header was found on row {rn}, not row 1.")
        return best, header, notes
    first = best
    below = top[best + 1] if best + 1 < len(top) else None
    above = top[best - 1] if best > 0 else None
    if below is not None and below[0] == rn + 1 and _is_header_like(below[1]) and any(
            (j >= len(header) or header[j] is None) and v is not None for j, v in enumerate(below[1])):
        # the known names are group headings over merged cells; the column names are below
        header = _combine_header(header, list(below[1]))
        notes.append(f"Rows {rn}-{below[0]} form a two-row header: group headings on row {rn}, column names "
                     f"on row {below[0]}.")
        best += 1
    elif (above is not None and above[0] == rn - 1 and _is_header_like(above[1])
          and len(_known_fields(above[1])) < best_n
          and sum(v is not None for v in above[1]) < sum(v is not None for v in header)):
        header = _combine_header(list(above[1]), header)
        groups = [str(u).strip() for u in above[1] if u is not None]
        notes.append(f"Rows {above[0]}-{rn} form a two-row header: group headings on row {above[0]} "
                     f"({', '.join(groups)}), column names on row {rn}.")
        first = best - 1
    skipped = top[:first]
    if skipped:
        shown = "; ".join(repr(" ".join(str(v) for v in vals if v is not None)[:60]) for _, vals in skipped[:3])
        notes.append(f"The header was found on row {top[best][0]}: row(s) {', '.join(str(r) for r, _ in skipped)} "
                     f"above it were skipped as titles ({shown}).")
    elif top[first][0] != 1:
        notes.append(f"The header was found on row {top[first][0]}, not row 1.")
    return best, header, notes


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
            if len(top) >= _HEADER_SCAN_ROWS:
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
        pos, header, _ = _find_header(top)
        fields = _known_fields(header)
        has_rows = len(top) > pos + 1
        if state != "visible":
            described.append(f"{ws.title!r} ({state}: skipped)")
        elif not (_holds_records(fields) and has_rows):
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


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
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
        pos, header, notes = _find_header(top)
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
    names = _clean_names(list(header[:width]) + [None] * (width - len(header)))
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
    dec, thou = _detect_decimal(frame, None)
    raw = RawTable(frame=frame, row_numbers=np.asarray(rows, dtype=np.int64), format="xlsx",
                   decimal=dec, thousands=thou, datemode=datemode, warnings=warnings,
                   date_order_hints=order_hints, sheet=sheet_name, cell_issues=cell_issues,
                   sheets=all_sheets)
    return _tidy_rows(raw)


# --------------------------------------------------------------------------------------------
# geographic formats and parquet
# --------------------------------------------------------------------------------------------

def _objectify(df: pd.DataFrame) -> pd.DataFrame:
    """Attribute columns as object dtype with Python values and ``None`` for missing."""
    out = {}
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            arr = np.array([None if pd.isna(v) else v.to_pydatetime() for v in col], dtype=object)
        else:
            arr = col.astype(object).to_numpy(copy=True)
            miss = pd.isna(col).to_numpy()
            arr[miss] = None
            arr = np.array([v.item() if isinstance(v, np.generic) else v for v in arr], dtype=object)
        out[c] = arr
    frame = pd.DataFrame(out, dtype=object)
    frame.columns = _clean_names(list(df.columns))
    return frame


def _geo_to_raw(gdf, fmt: str, warnings: list[str], sheet: str | None) -> RawTable:
    import shapely

    geom_name = gdf.geometry.name
    attrs = _objectify(pd.DataFrame(gdf.drop(columns=[geom_name])))
    geoms = gdf.geometry.values
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        try:
            geoms = gdf.geometry.to_crs("EPSG:4326").values
            warnings.append(f"Geometries were transformed from {gdf.crs.to_string()} to WGS84 (EPSG:4326).")
        except Exception as exc:
            raise ReadError(f"The layer's coordinate reference system cannot be converted to WGS84: {exc}") from None
    garr = np.asarray(geoms, dtype=object)
    n = len(garr)
    lon = np.full(n, None, dtype=object)
    lat = np.full(n, None, dtype=object)
    prec = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)
    wkt = np.full(n, None, dtype=object)
    if n:
        types = shapely.get_type_id(garr)
        missing = shapely.is_missing(garr) | shapely.is_empty(garr)
        pts = garr.copy()
        nonpoint = (types != 0) & ~missing
        ok = ~missing
        if nonpoint.any():
            multi = nonpoint & (types == 4)
            lines = nonpoint & np.isin(types, (1, 2))
            pts[nonpoint & ~multi & ~lines] = shapely.point_on_surface(garr[nonpoint & ~multi & ~lines])
            pts[lines] = shapely.line_interpolate_point(garr[lines], 0.5, normalized=True)   # midway along
            pts[multi] = shapely.centroid(garr[multi])
            radius = _extent_radius_km(garr[nonpoint])
            levels = np.array([_precision_of(r) for r in radius], dtype=object)
            prec[nonpoint] = levels
            spread = (types[nonpoint] == 4) & (radius > 5.0)   # points of several places
            note[nonpoint] = np.where(spread, "MULTIPLE_LOCATIONS",
                                      np.where(levels == "exact", None, "LOCATION_FROM_GEOMETRY"))
            wkt[nonpoint] = [t[:2000] for t in shapely.to_wkt(garr[nonpoint], rounding_precision=6)]
            kinds = pd.Series(shapely.get_type_id(garr[nonpoint])).map(
                {1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                 6: "MultiPolygon", 7: "GeometryCollection"}).value_counts()
            coarse = pd.Series(levels[levels != "exact"]).value_counts()
            warnings.append(
                f"{int(nonpoint.sum())} feature(s) are not points ({', '.join(f'{k} {v}' for k, v in kinds.items())}): "
                "each is located at its representative point with a location precision from its extent"
                + (f" ({', '.join(f'{k} {v}' for k, v in coarse.items())}), never as an exact point" if len(coarse) else "")
                + (f"; {int(spread.sum())} MultiPoint(s) of points kilometres apart are not one location and are "
                   "held back" if spread.any() else "") + ".")
        prec[ok & ~nonpoint] = "exact"
        xs = shapely.get_x(pts[ok])
        ys = shapely.get_y(pts[ok])
        lon[ok] = [repr(float(x)) for x in xs]
        lat[ok] = [repr(float(y)) for y in ys]
    for name, arr in (("__longitude", lon), ("__latitude", lat), ("__precision", prec), ("__geometry_note", note),
                      ("__geometry", wkt)):
        attrs[name] = pd.Series(arr, dtype=object, index=attrs.index)
    return RawTable(frame=attrs, row_numbers=np.arange(1, len(attrs) + 1, dtype=np.int64), format=fmt,
                    warnings=warnings, has_geometry=True, sheet=sheet)


_PRECISION_KM = (("exact", 0.01), ("intersection", 0.15), ("town", 5.0), ("admin-1", 100.0))
"""Largest radius of uncertainty (km) of each location precision (as :data:`intel.hexbin.PRECISION_KM`)."""


def _precision_of(radius_km: float) -> str:
    """Location precision whose radius of uncertainty covers ``radius_km`` (``country`` beyond)."""
    for level, km in _PRECISION_KM:
        if radius_km <= km:
            return level
    return "country"


def _extent_radius_km(geoms: np.ndarray) -> np.ndarray:
    """Half the geodesic diagonal of each geometry's bounding box, km (WGS84 degrees in)."""
    import shapely
    from pyproj import Geod

    b = shapely.bounds(geoms)
    _, _, dist = Geod(ellps="WGS84").inv(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    return np.asarray(dist, dtype=float) / 2000.0


def _choose_layer(path: Path, sheet: str | None, warnings: list[str]) -> str | None:
    """The layer to read: the one asked for, the only layer, or the only point layer."""
    import pyogrio

    try:
        layers = [(str(nm), str(g)) for nm, g in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001 - reported by the read itself
        return sheet
    names = [nm for nm, _ in layers]
    if sheet is not None:
        s = str(sheet).strip()
        if s in names:
            return s
        if s.isdigit() and 1 <= int(s) <= len(names):
            return names[int(s) - 1]
        raise ReadError(f"{path.name} has no layer {sheet!r}; layers: "
                        + ", ".join(f"{nm} ({g})" for nm, g in layers))
    if len(layers) <= 1:
        return None
    points = [nm for nm, g in layers if "point" in g.lower()]
    described = "; ".join(f"{nm!r} ({g}{'' if nm in points else ': skipped, not points'})" for nm, g in layers)
    way_out = ("Choose the layer: `intel import FILE --layer NAME`, or the layer choice on the Import page.")
    if len(points) == 1:
        warnings.append(f"Layer {points[0]!r} was read: it is the only layer of points. Layers: {described}.")
        return points[0]
    if not points:
        raise SheetChoiceNeeded(f"{path.name} has {len(layers)} layers and none holds points ({described}); "
                                f"importing areas or lines as seizures would be wrong, so nothing was imported. "
                                f"{way_out}", names, "layer")
    raise SheetChoiceNeeded(f"{path.name} has several layers of points ({described}); which one to import cannot be "
                            f"decided safely and nothing was imported. {way_out}", names, "layer")


def _read_geo(path: Path, fmt: str, sheet: str | None) -> RawTable:
    import pyogrio

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    warnings: list[str] = []
    layer = _choose_layer(path, sheet, warnings)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise ReadError(f"{path.name} is not a readable {fmt} file: {exc}") from None
    if layer is None and fmt == "gpkg":
        try:
            layer = str(pyogrio.list_layers(path)[0][0])
        except Exception:  # noqa: BLE001
            layer = None
    raw = _geo_to_raw(gdf, fmt, warnings, layer)
    try:
        raw.sheets = [str(nm) for nm, _ in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001
        raw.sheets = []
    return raw


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:
        raise ReadError(f"{path.name} is not a readable Parquet file: {exc}") from None
    if b"geo" in meta:
        import geopandas as gpd

        gdf = gpd.read_parquet(path)
        return _geo_to_raw(gdf, "geoparquet", [], None)
    table = pq.read_table(path)
    df = table.to_pandas(types_mapper=None)
    frame = _objectify(df)
    return RawTable(frame=frame, row_numbers=np.arange(2, len(frame) + 2, dtype=np.int64), format="parquet")


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------

def read_table(path, *, sheet: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, decimal: str | None = None) -> RawTable:
    """Read a tabular or geographic file into raw values.

    Parameters
    ----------
    path : str or os.PathLike
        File to read. The format is chosen by extension (:data:`FORMATS`).
    sheet : str, optional
        XLSX sheet or geographic layer; the first one when omitted.
    encoding, delimiter, decimal : str, optional
        CSV only: override the detected codec, delimiter or decimal mark (``"."``/``","``;
        ``","`` implies ``"."`` as thousands separator).

    Returns
    -------
    RawTable
        Raw values plus what was detected (see :class:`RawTable`).

    Raises
    ------
    ReadError
        Missing, empty, corrupted or unsupported file; the message says which.
    """
    p = Path(path)
    if not p.exists():
        raise ReadError(f"{p.name}: no such file.")
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ReadError(
            f"{p.name}: files of type '{p.suffix or '(none)'}' are not supported; use CSV, XLSX, "
            "GeoJSON, GeoPackage or (Geo)Parquet.")
    if decimal is not None and decimal not in (".", ","):
        raise ReadError(f"decimal must be '.' or ',', not {decimal!r}")
    if fmt == "csv":
        return _read_csv(p, encoding, delimiter, decimal)
    if fmt == "xlsx":
        return _read_xlsx(p, sheet)
    if fmt in ("parquet", "geoparquet"):
        return _read_parquet(p)
    return _read_geo(p, fmt, sheet)
