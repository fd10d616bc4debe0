"""The raw table a reader returns, the error it raises, and the formats it knows.

Part of :mod:`intel.readers`, under the per-format readers (:mod:`intel.readers.csvfile`,
:mod:`intel.readers.xlsx`, :mod:`intel.readers.geo`): :class:`RawTable` holds every cell as read
plus what was detected about the file (encoding, delimiter, decimal mark, date system, warnings,
cells that are not values); :class:`ReadError` carries a plain-English sentence for the analyst;
:data:`FORMATS` maps a file extension to its reader. Column names are cleaned here once for all
formats (:func:`clean_names`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv", ".tab": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".geojson": "geojson", ".json": "geojson",
    ".gpkg": "gpkg",
    ".parquet": "parquet", ".geoparquet": "geoparquet", ".pq": "parquet",
}
"""File extension -> format name understood by :func:`read_table`."""


class ReadError(ValueError):
    """A file that cannot be read as a table; the message is plain English for the analyst."""
UTF8_REPLACED = "utf-8 (invalid bytes replaced)"
"""The ``encoding`` of a CSV file read as UTF-8 with a few invalid bytes replaced by U+FFFD."""


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

def clean_names(names: list) -> list[str]:
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
