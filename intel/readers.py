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
  non-Latin script (Cyrillic, Greek, Arabic, Hebrew...).
* **delimiter** (CSV): the one of ``, ; TAB |`` that splits the first lines into the most
  consistent number of fields (quotes respected).
* **decimal mark and thousands separator** (CSV): from numeric-looking cells (``-34,6037``
  means a decimal comma, ``1.250`` then means one thousand two hundred and fifty).
* **date system** (XLSX): 1900 or 1904 (``datemode`` 0 or 1), and the number formats of date
  cells (``DD/MM/YYYY`` is evidence that text dates in the same column are day-first).

Geographic formats (GeoJSON, GeoPackage, GeoParquet) carry their point geometry as two extra
text columns ``__longitude`` and ``__latitude`` (WGS84 degrees, RFC 7946 lon-lat order).
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["RawTable", "ReadError", "read_table", "FORMATS"]

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


def _detect_encoding(data: bytes, warnings: list[str]) -> str:
    """Codec name for ``data``; see the module overview for the rule."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if _is_utf8(data):
        return "utf-8"
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
# CSV
# --------------------------------------------------------------------------------------------

_SEP_DIRECTIVE = re.compile(r"[ \t]*sep=([^\r\n])[ \t]*\r?\n", re.IGNORECASE)


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, decimal: str | None) -> RawTable:
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
            text = data.decode(enc)
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
    names = _clean_names(header)
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
        frame = _read_csv_slow(text, delim, names, warnings)
    rows = np.arange(2 + skipped, len(frame) + 2 + skipped, dtype=np.int64)
    dec, thou = (decimal, "." if decimal == "," else None) if decimal else _detect_decimal(frame, delim)
    return RawTable(frame=frame, row_numbers=rows, format="csv", encoding=enc, delimiter=delim,
                    decimal=dec, thousands=thou, warnings=warnings)


def _read_csv_slow(text: str, delim: str, names: list[str], warnings: list[str]) -> pd.DataFrame:
    """Python csv reader: pads short rows, keeps extra fields in extra columns, warns."""
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    next(reader, None)
    records = []
    width = len(names)
    bad = 0
    for r in reader:
        if not r:
            continue
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


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(f"{path.name} is not a readable Excel workbook (.xlsx): {exc}") from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise ReadError(f"{path.name} has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        warnings: list[str] = []
        datemode = 1 if wb.epoch == _dt.datetime(1904, 1, 1) else 0
        header = None
        records, rows = [], []
        hints: dict[int, set] = {}
        for rn, row in enumerate(ws.iter_rows(), start=1):
            vals = []
            for j, c in enumerate(row):
                v = c.value
                fmt = getattr(c, "number_format", None)
                if isinstance(v, (_dt.datetime, _dt.date)) and fmt:
                    h = _order_hint(fmt)
                    if h:
                        hints.setdefault(j, set()).add(h)
                if isinstance(v, str):
                    v = v if v.strip() else None
                vals.append(_xlsx_value(v, fmt))
            if header is None:
                if all(v is None for v in vals):
                    continue
                header = vals
                header_row = rn
                continue
            if all(v is None for v in vals):
                continue
            records.append(vals)
            rows.append(rn)
        sheet_name = ws.title
    finally:
        wb.close()
    if header is None:
        raise ReadError(f"{path.name}: the sheet {sheet_name!r} is empty.")
    if header_row != 1:
        warnings.append(f"The header was found on row {header_row}, not row 1.")
    width = max([len(header)] + [len(r) for r in records])
    while width > 1 and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in records):
        width -= 1
    names = _clean_names(list(header[:width]) + [None] * (width - len(header)))
    records = [list(r[:width]) + [None] * (width - len(r)) for r in records]
    frame = pd.DataFrame(records, columns=names, dtype=object) if records else pd.DataFrame(
        {n: pd.Series([], dtype=object) for n in names})
    if datemode:
        warnings.append("The workbook uses the 1904 date system; serial dates are converted accordingly.")
    order_hints = {names[j]: next(iter(h)) for j, h in hints.items() if j < width and len(h) == 1}
    dec, thou = _detect_decimal(frame, None)
    return RawTable(frame=frame, row_numbers=np.asarray(rows, dtype=np.int64), format="xlsx",
                    decimal=dec, thousands=thou, datemode=datemode, warnings=warnings,
                    date_order_hints=order_hints, sheet=sheet_name)


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
    lon = np.full(len(garr), None, dtype=object)
    lat = np.full(len(garr), None, dtype=object)
    if len(garr):
        types = shapely.get_type_id(garr)
        missing = shapely.is_missing(garr) | shapely.is_empty(garr)
        pts = garr.copy()
        nonpoint = (types != 0) & ~missing
        if nonpoint.any():
            pts[nonpoint] = shapely.point_on_surface(garr[nonpoint])
            warnings.append(f"{int(nonpoint.sum())} feature(s) are not points; their representative point was used.")
        ok = ~missing
        xs = shapely.get_x(pts[ok])
        ys = shapely.get_y(pts[ok])
        lon[ok] = [repr(float(x)) for x in xs]
        lat[ok] = [repr(float(y)) for y in ys]
    for name, arr in (("__longitude", lon), ("__latitude", lat)):
        attrs[name] = pd.Series(arr, dtype=object, index=attrs.index)
    return RawTable(frame=attrs, row_numbers=np.arange(1, len(attrs) + 1, dtype=np.int64), format=fmt,
                    warnings=warnings, has_geometry=True, sheet=sheet)


def _read_geo(path: Path, fmt: str, sheet: str | None) -> RawTable:
    import pyogrio

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    warnings: list[str] = []
    try:
        gdf = pyogrio.read_dataframe(path, layer=sheet)
    except Exception as exc:
        raise ReadError(f"{path.name} is not a readable {fmt} file: {exc}") from None
    return _geo_to_raw(gdf, fmt, warnings, sheet)


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
