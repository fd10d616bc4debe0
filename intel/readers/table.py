"""The one entry point of the readers: :func:`read_table` chooses the reader by extension.

Part of :mod:`intel.readers` and re-exported there: :mod:`intel.ingest` and the CLI call
``readers.read_table(path)`` and get a :class:`~intel.readers.raw.RawTable` whatever the format,
or a :class:`~intel.readers.raw.ReadError` sentence.
"""
from __future__ import annotations

from pathlib import Path

from intel.readers.csvfile import read_csv
from intel.readers.geo import read_geo, read_parquet
from intel.readers.raw import FORMATS, RawTable, ReadError
from intel.readers.xlsx import read_xlsx


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
        return read_csv(p, encoding, delimiter, decimal)
    if fmt == "xlsx":
        return read_xlsx(p, sheet)
    if fmt in ("parquet", "geoparquet"):
        return read_parquet(p)
    return read_geo(p, fmt, sheet)
