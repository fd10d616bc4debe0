"""The CSV reader: every cell as the exact text of the file, within size limits.

Part of :mod:`intel.readers` (:func:`intel.readers.read_table` calls :func:`read_csv` for a
``.csv``/``.txt`` file). It detects the encoding, delimiter and decimal mark
(:mod:`intel.readers.encoding`), honours an Excel ``sep=`` line, finds the header under title
lines and tidies the rows (:mod:`intel.readers.structure`), reads ragged files row by row, flags
cells holding a replaced invalid byte, and refuses a file over :data:`CSV_MAX_BYTES`,
:data:`CSV_MAX_ROWS`, :data:`CSV_MAX_COLUMNS` or :data:`CSV_MAX_FIELD_CHARS` with a
:class:`~intel.readers.raw.ReadError` sentence naming the limit.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from intel.readers.encoding import SAMPLE_BYTES, detect_decimal, detect_encoding, is_utf8, sniff_delimiter
from intel.readers.raw import RawTable, ReadError, UTF8_REPLACED, clean_names
from intel.readers.structure import find_header, tidy_rows


CSV_MAX_BYTES = 1 << 30
"""Most bytes (1 GiB) of a CSV file an import reads."""
CSV_MAX_ROWS = 5_000_000
"""Most records (lines after the header) of a CSV file an import reads."""
CSV_MAX_COLUMNS = 1_000
"""Most columns (header fields, or fields of the widest row) of a CSV file."""
CSV_MAX_FIELD_CHARS = 32_767
"""Most characters of one CSV field (as for an XLSX cell; Python's csv module would stop at 131,072)."""


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


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

_SEP_DIRECTIVE = re.compile(r"[ \t]*sep=([^\r\n])[ \t]*\r?\n", re.IGNORECASE)


def read_csv(path: Path, encoding: str | None, delimiter: str | None, decimal: str | None) -> RawTable:
    size = path.stat().st_size
    if size > CSV_MAX_BYTES:
        raise _csv_cap(path, f"the file holds {size:,} bytes", CSV_MAX_BYTES, " (bytes)")
    data = path.read_bytes()
    if not data or data.isspace():
        raise ReadError(f"{path.name} is empty: there is no header row and no record.")
    warnings: list[str] = []
    enc = encoding or detect_encoding(data, warnings)
    text: str | None = None
    if enc.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") and (
            (encoding is None and enc == "utf-8") or is_utf8(data)):
        # UTF-8: Arrow reads the bytes as they are; only a sample is decoded in Python
        body = memoryview(data)[3:] if data.startswith(codecs.BOM_UTF8) else memoryview(data)
        if b"\x00" in data:
            raise ReadError(f"{path.name} contains NUL bytes; it does not look like a text (CSV) file.")
        head = bytes(body[:SAMPLE_BYTES])
        sample = head.decode("utf-8", errors="ignore") if len(body) > SAMPLE_BYTES else head.decode("utf-8")
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
        sample = text[:SAMPLE_BYTES]
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
            utf8 = utf8[bytes(utf8[:SAMPLE_BYTES]).index(b"\n") + 1:]
        warnings.append(f"Line 1 is Excel's delimiter directive {directive.group(0).strip()!r}: "
                        f"it was skipped and the header read from line 2.")
    delim = delimiter or (directive.group(1) if directive else None) or sniff_delimiter(sample)
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
            head_bytes = bytes(utf8[:SAMPLE_BYTES])
            for _ in range(cut):
                off = head_bytes.index(b"\n", off) + 1
            utf8 = utf8[off:]
        skipped += cut
    names = clean_names(header)
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
    dec, thou = (decimal, "." if decimal == "," else None) if decimal else detect_decimal(frame, delim)
    raw = tidy_rows(RawTable(frame=frame, row_numbers=rows, format="csv", encoding=enc, delimiter=delim,
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
    """Title lines above a CSV header, found as in workbooks (:func:`find_header`).

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
    pos, header, notes = find_header(top)
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
