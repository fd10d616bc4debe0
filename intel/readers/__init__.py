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

Layout: :mod:`intel.readers.raw` (RawTable, ReadError, FORMATS), :mod:`intel.readers.encoding`
(CSV encoding, delimiter and decimal detection), :mod:`intel.readers.structure` (header, totals,
second headers), :mod:`intel.readers.csvfile`, :mod:`intel.readers.xlsx` (sheet choice, formula
cells), :mod:`intel.readers.geo` (GeoJSON, GeoPackage, (Geo)Parquet) and
:mod:`intel.readers.table` (:func:`read_table`). The public names are re-exported here.
"""
from __future__ import annotations

from intel.readers.raw import (  # noqa: F401
    FORMATS,
    RawTable,
    ReadError,
    UTF8_REPLACED,
)
from intel.readers.encoding import (  # noqa: F401
    utf16_without_bom,
)
from intel.readers.csvfile import (  # noqa: F401
    CSV_MAX_BYTES,
    CSV_MAX_COLUMNS,
    CSV_MAX_FIELD_CHARS,
    CSV_MAX_ROWS,
)
from intel.readers.xlsx import (  # noqa: F401
    SheetChoiceNeeded,
    XLSX_MAX_COLUMNS,
    XLSX_MAX_EXPANDED_BYTES,
    XLSX_MAX_FIELD_CHARS,
    XLSX_MAX_ROWS,
    list_sheets,
)
from intel.readers.table import (  # noqa: F401
    read_table,
)

__all__ = [
    "RawTable", "ReadError", "SheetChoiceNeeded", "read_table", "list_sheets", "FORMATS", "utf16_without_bom",
]
