"""Exported files: plain JSON values, and the marking every export carries inside and in its name.

Plain JSON values
    GeoJSON and JSON exports (hotspot cells, border segments and crossings, target packages)
    write table rows as feature properties; NumPy and pandas scalars are not JSON.
    :func:`json_value` turns one cell value into what ``json.dumps`` writes as its plain-data
    equivalent, the same way for every export.

Markings in exported files
    An export carries the releasability marking of the rows it contains (computed by the caller
    with :func:`intel.auth.export_marking` over the exported rows' filters, or
    :func:`intel.auth.combined_marking` of their effective markings), in two places:

    * its file name starts with the marking (:func:`marked_file_name`:
      ``REL_TO_BFA_CIV__hotspots.csv``), so the marking is seen before the file is opened;
    * inside the file (:func:`mark_export`, chosen by the file's extension) where the analysts'
      tools read it without any option:

      ==========  ==========================================================================
      format      where the marking is
      ==========  ==========================================================================
      CSV         a first column ``marking`` holding it on every row (spreadsheets, pandas,
                  R and QGIS read it as a plain column; a comment line would break them);
                  ``export_marking`` when the table already has a ``marking`` column
      GeoJSON,    a top-level member ``"marking"`` of the object (RFC 7946 section 6.1
      JSON        foreign member; GIS programs ignore it, ``jq .marking`` reads it)
      GeoParquet  the Parquet schema metadata key ``marking`` (beside ``geo``)
      GeoPackage  ``gpkg_contents.description`` of every layer, and a ``gpkg_metadata`` row
                  (GeoPackage metadata extension, ``text/plain``, scope ``dataset``)
      PNG         a ``tEXt`` chunk with keyword ``Marking``
      ZIP         the archive comment and a member ``MARKING.txt``
      PDF         unchanged: briefings and target packages print the records' marking on
                  every page themselves (:mod:`intel.briefing`, :mod:`intel.target_package`)
      ==========  ==========================================================================
"""
from __future__ import annotations

import csv
import io
import json
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from intel import auth
from intel.safety import csv_cell


def json_value(v):
    """One table value as plain JSON data.

    Parameters
    ----------
    v : any
        A cell of a pandas row (NumPy or Python scalar, Timestamp, date, str, list, ...).

    Returns
    -------
    int, float, bool, str, list, dict or None
        NumPy integers/floats/booleans as Python numbers; NaN, infinities, None, NaT and pandas
        NA as None (JSON has no NaN); a date or a Timestamp at midnight as ``'YYYY-MM-DD'`` (the
        UTC calendar days the store uses), another Timestamp in ISO 8601; lists, tuples and
        dicts as they are; any other object as its ``str``.
    """
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple, dict)):
        return v
    if isinstance(v, np.ndarray):
        return [json_value(x) for x in v.tolist()]
    if pd.isna(v):
        return None
    return v if isinstance(v, (int, str)) else str(v)


# --------------------------------------------------------------------------------------------
# markings in exported files
# --------------------------------------------------------------------------------------------

def batch_id_list(batch_ids) -> list[int]:
    """The distinct import batch ids of ``batch_ids`` (any iterable, e.g. a table's ``batch_id``
    column), sorted, missing values (``None``, NaN) left out."""
    return sorted({int(b) for b in batch_ids if b is not None and not pd.isna(b)})


def records_marking(con, filters=None, batch_ids=(), *, events: bool = True) -> str:
    """The marking of an export built from stored records: the events selected by ``filters`` and
    the rows of the import batches ``batch_ids`` (stored flows, crossings, counts per area).

    Parameters
    ----------
    con : DuckDB connection or cursor
        Unrestricted (CLI) or restricted to the user's view (:func:`intel.auth.apply_visibility`).
    filters : intel.hexbin.Filters, optional
        The events the export was computed from; ``None`` means every event ``con`` sees.
    batch_ids : iterable of int
        Import batches of the non-event rows the export also holds; ``None`` entries are ignored.
    events : bool
        ``False`` when the export holds no event at all (only batch rows, or only public
        reference tables such as UNODC's): the events' markings are then left out.

    Returns
    -------
    str
        The most restrictive marking (:func:`intel.auth.combined_marking`) of the events'
        effective markings (:func:`intel.auth.export_marking`) and the batches' releasability;
        :data:`intel.auth.UNRESTRICTED_MARKING` when nothing restricted was used. Never less
        restrictive than the rows exported (a filter applied after the query only removes rows).
    """
    parts = []
    if events:
        m = auth.export_marking(con, filters)
        parts.append(None if m == auth.UNRESTRICTED_MARKING else m)
    ids = batch_id_list(batch_ids)
    if ids:
        parts += [r[0] for r in con.execute(
            "SELECT releasability FROM batches WHERE list_contains(?, batch_id)", [ids]).fetchall()]
    return auth.combined_marking(parts) if parts else auth.UNRESTRICTED_MARKING


MARKING_COLUMN = "marking"
"""Name of the column (CSV), member (GeoJSON, JSON) and metadata key (GeoParquet) of the marking."""


def marking_slug(marking: str) -> str:
    """The marking as a file-name part: letters and digits kept, everything else ``_``, the
    parenthesised explanation left out (``'REL TO BFA, CIV'`` -> ``'REL_TO_BFA_CIV'``,
    ``'UNRESTRICTED (public sources)'`` -> ``'UNRESTRICTED'``)."""
    head = str(marking or "").split("(")[0].split(":")[0].strip()
    out = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in head)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def marked_file_name(file_name: str | None, marking: str) -> str | None:
    """``<marking slug>__<file_name>``; ``file_name`` unchanged when it is ``None`` or the
    marking gives no slug."""
    slug = marking_slug(marking)
    return f"{slug}__{file_name}" if slug and file_name else file_name


def _mark_csv(text: str, marking: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    col = MARKING_COLUMN if MARKING_COLUMN not in rows[0] else "export_marking"
    value = csv_cell(marking)
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n" if "\r\n" in text[:4096] else "\n")
    w.writerow([col, *rows[0]])
    for r in rows[1:]:
        w.writerow([value, *r] if r else r)
    return out.getvalue()


def _mark_json(text: str, marking: str) -> str:
    doc = json.loads(text)
    if not isinstance(doc, dict):   # a bare list: wrap it so the marking has a place
        doc = {"rows": doc}
    doc = {MARKING_COLUMN: marking, **{k: v for k, v in doc.items() if k != MARKING_COLUMN}}
    return json.dumps(doc, ensure_ascii=False)


def _mark_parquet(data: bytes, marking: str) -> bytes:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    meta = dict(table.schema.metadata or {})
    meta[MARKING_COLUMN.encode()] = marking.encode("utf-8")
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


def _mark_gpkg(data: bytes, marking: str) -> bytes:
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "export.gpkg"
        f.write_bytes(data)
        con = sqlite3.connect(f)
        try:
            with con:
                con.execute("UPDATE gpkg_contents SET description = ?", [f"Marking: {marking}"])
                con.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY "
                            "ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
                            "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')")
                con.execute("CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, "
                            "table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL "
                            "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, "
                            "md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES "
                            "gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES "
                            "gpkg_metadata(id))")
                for table in ("gpkg_metadata", "gpkg_metadata_reference"):
                    con.execute("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
                                "scope) SELECT ?, NULL, 'gpkg_metadata', "
                                "'http://www.geopackage.org/spec121/#extension_metadata', 'read-write' WHERE NOT "
                                "EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND extension_name = "
                                "'gpkg_metadata')", [table, table])
                cur = con.execute("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                                  "VALUES ('dataset', 'http://www.isotc211.org/2005/gmd', 'text/plain', ?)",
                                  [f"Marking: {marking}"])
                con.execute("INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id) "
                            "VALUES ('geopackage', ?)", [cur.lastrowid])
        finally:
            con.close()
        return f.read_bytes()


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _mark_png(data: bytes, marking: str) -> bytes:
    if not data.startswith(_PNG_SIGNATURE) or len(data) < 33:
        return data
    body = b"Marking\x00" + marking.encode("latin-1", "replace")
    chunk = len(body).to_bytes(4, "big") + b"tEXt" + body + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    end_ihdr = 8 + 8 + int.from_bytes(data[8:12], "big") + 4   # signature, IHDR length+type, data, CRC
    return data[:end_ihdr] + chunk + data[end_ihdr:]


def _mark_zip(data: bytes, marking: str) -> bytes:
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        out.writestr("MARKING.txt", marking + "\n")
        out.comment = f"Marking: {marking}".encode("utf-8")[:65535]
    return buf.getvalue()


def mark_export(data: bytes | str, file_name: str | None, marking: str) -> bytes | str:
    """``data`` with ``marking`` written inside, in the way of its format (see the module overview).

    Parameters
    ----------
    data : bytes or str
        The export as produced (CSV and JSON as UTF-8 bytes or text).
    file_name : str or None
        The export's file name before the marking is added; its extension picks the format
        (``.csv``, ``.geojson``/``.json``, ``.parquet``, ``.gpkg``, ``.png``, ``.zip``). Any other
        extension (``.pdf``, which marks itself) leaves ``data`` unchanged.
    marking : str
        The marking of the rows the file holds.

    Returns
    -------
    bytes or str
        Of the same type as ``data``.

    Raises
    ------
    ValueError
        ``data`` is not of the format its extension says (a JSON export that is not JSON ...).
    """
    ext = Path(file_name or "").suffix.lower().lstrip(".")
    text = isinstance(data, str)
    if ext in ("csv", "geojson", "json"):
        s = data if text else bytes(data).decode("utf-8")
        s = _mark_csv(s, marking) if ext == "csv" else _mark_json(s, marking)
        return s if text else s.encode("utf-8")
    marker = {"parquet": _mark_parquet, "gpkg": _mark_gpkg, "png": _mark_png, "zip": _mark_zip}.get(ext)
    if marker is None or text:
        return data
    return marker(bytes(data), marking)


def file_marking(data: bytes | str, file_name: str | None) -> str | None:
    """The marking :func:`mark_export` wrote into ``data`` (``None`` when there is none): the
    reverse, for tests and for a reader that checks an export's marking."""
    ext = Path(file_name or "").suffix.lower().lstrip(".")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if ext == "csv":
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
        if len(rows) > 1 and rows[0] and rows[0][0] in (MARKING_COLUMN, "export_marking"):
            return rows[1][0]
        return None
    if ext in ("geojson", "json"):
        doc = json.loads(raw.decode("utf-8"))
        return doc.get(MARKING_COLUMN) if isinstance(doc, dict) else None
    if ext == "parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(io.BytesIO(raw)).metadata or {}
        v = meta.get(MARKING_COLUMN.encode())
        return v.decode("utf-8") if v is not None else None
    if ext == "gpkg":
        import sqlite3
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "x.gpkg"
            f.write_bytes(raw)
            con = sqlite3.connect(f)
            try:
                row = con.execute("SELECT description FROM gpkg_contents LIMIT 1").fetchone()
            finally:
                con.close()
        d = row[0] if row else None
        return d[len("Marking: "):] if d and d.startswith("Marking: ") else None
    if ext == "png":
        i = raw.find(b"tEXtMarking\x00")
        if i < 0:
            return None
        n = int.from_bytes(raw[i - 4:i], "big")
        return raw[i + 12:i + 4 + n].decode("latin-1")
    if ext == "zip":
        import zipfile

        z = zipfile.ZipFile(io.BytesIO(raw))
        return z.read("MARKING.txt").decode("utf-8").strip() if "MARKING.txt" in z.namelist() else None
    return None


__all__ = ["json_value", "MARKING_COLUMN", "marking_slug", "marked_file_name", "mark_export", "file_marking",
           "records_marking", "batch_id_list"]
