"""What an import did: :class:`ImportResult`, the file's identity and the per-row report.

Part of ingest (see the README's layout table). Both import roads return an
:class:`ImportResult`: records (:func:`intel.ingest.import_file`) and counts per area
(:func:`intel.areas.import_area_counts`, which :mod:`intel.ingest` calls). A batch is
identified by its file's SHA-256 (:func:`file_sha256`) and its options, so a second import of
the same file changes nothing. This module imports no other ``intel`` module, so both roads
can use it without importing each other.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class ImportResult:
    """What an import did. ``report`` has one row per input row (see :func:`report_frame`).

    ``new``, ``updated`` and ``unchanged`` count the stored records (accepted and quarantined
    rows) by what the import did to the store: stored as new records, replaced the values and
    marking of a record already stored under the same (source, source record id), or found it
    as it was (see "Re-import" in the module overview). ``already_imported`` with ``batch_id``
    None: the same file was imported before, into a batch the importer may not see.
    """

    batch_id: int | None
    file_name: str
    sha256: str
    rows_read: int
    accepted: int
    quarantined: int
    rejected: int
    already_imported: bool = False
    warnings: list[str] = field(default_factory=list)
    report: pd.DataFrame | None = None   # may be given as a callable: built on first read
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        if self.already_imported:
            if self.batch_id is None:   # a batch the importer may not see is never named
                return f"{self.file_name}: this file was already imported; nothing changed."
            return f"{self.file_name}: already imported as batch {self.batch_id}; nothing changed."
        text = (f"{self.file_name}: {self.rows_read} rows read, {self.accepted} accepted, "
                f"{self.quarantined} quarantined, {self.rejected} rejected (batch {self.batch_id}).")
        if self.updated or self.unchanged:
            text += (f" Records: {self.new} new, {self.updated} updated, {self.unchanged} unchanged "
                     "(matched by source record id).")
        return text


def _get_report(self):
    r = self.__dict__.get("_report")
    if callable(r):
        r = self.__dict__["_report"] = r()
    return r


def _set_report(self, value) -> None:
    self.__dict__["_report"] = value


# ``report`` is a property over the dataclass field: the per-row report of a large import is
# built only when someone reads it (the dataclass __init__ assigns through the setter)
ImportResult.report = property(_get_report, _set_report)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 lowercase hex digits (read in 1 MiB chunks).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def report_frame(result: ImportResult) -> pd.DataFrame:
    """The per-row report of an import (the ``--report`` file's rows)."""
    return result.report if result.report is not None else pd.DataFrame()
