"""The shared state of the import pipeline and its first stages: rows, line faults, ids.

Part of :mod:`intel.pipeline`. :class:`Rows` is what every stage reads and writes (the frame, the
mapping, the reason masks, the raw values kept per field, the warnings); :class:`Prepared` is
what :func:`intel.pipeline.run` returns. Stages 1-2 are here: :func:`read_rows` (the rows as read,
with cells that hold no value, repeated headers, malformed and total lines flagged) and
:func:`read_ids` (source record id and incident key). :class:`ImportError_` and
:class:`NeedsChoice` are the errors an import stops with.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from intel import parse, readers
from intel.columns import Reasons, arrow_text, const_text, mapped_column, record_ids, text_column
from intel.reasons import REASON_TEXT


MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
"""Three-letter English month abbreviations -> month number (fiscal-year sources)."""


class ImportError_(ValueError):
    """An import that cannot proceed; the message is a plain sentence for the analyst."""


class NeedsChoice(ImportError_):
    """The file cannot be read without a choice from the analyst (e.g. date order)."""

    def __init__(self, message: str, choice: str, options: list[str]):
        super().__init__(message)
        self.choice = choice
        self.options = options


class Prepared:
    """What :func:`run` gives: ``events`` (one row per stored record: accepted and
    quarantined), ``quarantine`` (one row per quarantined or rejected input row), ``report``
    (one row per input row; built on first use) and ``warnings``."""

    def __init__(self, events: pd.DataFrame, quarantine: pd.DataFrame, report, warnings: list[str],
                 reasons: np.ndarray | None = None, status: np.ndarray | None = None):
        self.events = events
        self._status = status          # outcome of each input row
        self.quarantine = quarantine
        self._report = report          # DataFrame, or a callable building it
        self.warnings = warnings
        self._reasons = reasons        # the per-row reason lists the lazy report will show

    @property
    def report(self) -> pd.DataFrame:
        if callable(self._report):
            self._report = self._report()
        return self._report

    @report.setter
    def report(self, value) -> None:
        self._report = value

    @property
    def report_source(self):
        """The report as held: the frame, or the callable that builds it (not called here), so
        that a result can keep the report without keeping the whole preparation alive."""
        return self._report

    def outcome_counts(self) -> tuple[int, int, int]:
        """Numbers of accepted, quarantined and rejected input rows."""
        if self._status is not None:
            st = self._status
        else:
            st = self.report["outcome"].to_numpy(dtype=object)
        return int((st == "accepted").sum()), int((st == "quarantined").sum()), int((st == "rejected").sum())

    def add_reason(self, row: int, code: str) -> None:
        """Append ``code`` to the reasons of input row position ``row`` in the report."""
        if callable(self._report) and self._reasons is not None:
            self._reasons[row] = list(self._reasons[row]) + [code]
        else:
            rep = self.report
            rep.at[rep.index[row], "reasons"] = list(rep["reasons"].iat[row]) + [code]


# --------------------------------------------------------------------------------------------
# the shared state of one run
# --------------------------------------------------------------------------------------------

@dataclass
class Rows:
    """The rows of one run and what the stages have found so far.

    ``frame`` is the table to parse (cells without a value blanked), ``raw_frame`` the table as
    read (for the raw values of the quarantine); ``R`` the reason masks; ``raw_vals`` the raw
    column kept per field for each record's ``raw`` JSON (in the order the stages meet them);
    ``ok_row`` the rows without a line fault (repeated header, malformed line, total line), and
    ``all_ok`` whether every row is.
    """

    raw: readers.RawTable
    profile: dict
    raw_frame: pd.DataFrame
    frame: pd.DataFrame
    n: int
    mapping: dict
    consts: dict
    R: Reasons
    warnings: list[str]
    blanked: set
    ok_row: np.ndarray
    all_ok: bool
    row_numbers: np.ndarray
    raw_vals: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def decimal(self) -> str:
        """The file's decimal mark (``"."`` when the reader did not say)."""
        return getattr(self.raw, "decimal", ".") or "."

    def col(self, name: str) -> pd.Series | None:
        """The column mapped onto field ``name``, as read (None when unmapped)."""
        return mapped_column(self.frame, self.mapping, name)

    def clean_col(self, name: str) -> pd.Series | None:
        """The column mapped onto ``name`` with its placeholders (``N/A``, ``-``, ``S/N``...) made
        missing (:func:`intel.parse.without_placeholders`); the raw column stays in ``frame``."""
        s = self.col(name)
        return None if s is None else parse.without_placeholders(s)

    def const_or(self, series: pd.Series | None, const, clean: bool = True) -> pd.Series:
        """Stripped text of ``series`` (placeholders made missing unless ``clean`` is False),
        ``const`` where missing."""
        if series is None:
            return const_text(const, self.n)
        t = text_column(parse.without_placeholders(series) if clean else series, self.n)
        return t.where(t.notna(), const) if const is not None else t

    def valid(self, s: pd.Series) -> pd.Series:
        """``s`` with the rows that have a line fault made missing (``s`` itself when none has)."""
        return s if self.all_ok else s.where(pd.Series(self.ok_row, index=s.index))


# --------------------------------------------------------------------------------------------
# 1-2. rows, line faults, ids
# --------------------------------------------------------------------------------------------

def read_rows(raw: readers.RawTable, profile: dict) -> Rows:
    """The rows of ``raw`` with their line faults flagged.

    Cells that hold no value (``raw.cell_issues``) are blanked and their rows flagged
    (:func:`without_cell_issues`); a line that repeats the header in at least half its cells (2
    at least) gets ``REPEATED_HEADER``, a line the reader found malformed ``MALFORMED_LINE``, and a
    line holding only the total of the quantity column ``TOTAL_ROW`` (:func:`total_rows`).
    """
    n = len(raw.frame)
    mapping = dict(profile.get("columns") or {})
    R = Reasons(n)
    warnings: list[str] = list(raw.warnings)
    frame, blanked = without_cell_issues(raw, mapping, R)
    header_hits = np.zeros(n, dtype=int)
    for c in frame.columns:
        col = frame[c]
        if arrow_text(col) is not None:
            header_hits += (col == c).fillna(False).to_numpy(dtype=bool)
        else:
            header_hits += (col.astype(object) == c).to_numpy()
    R.add("REPEATED_HEADER", header_hits >= max(2, len(frame.columns) // 2))
    if "__malformed" in frame.columns:
        R.add("MALFORMED_LINE", frame["__malformed"].notna().to_numpy())
    ok_row = ~R.any({"REPEATED_HEADER", "MALFORMED_LINE"})
    all_ok = bool(ok_row.all())
    # a last line that holds only the total of the quantity column is not a record
    if mapping.get("quantity") in frame.columns:
        tot = total_rows(frame, mapping["quantity"]) & ok_row
        if tot.any():
            R.add("TOTAL_ROW", tot)
            ok_row = ok_row & ~tot
            all_ok = False
    return Rows(raw=raw, profile=profile, raw_frame=raw.frame, frame=frame, n=n, mapping=mapping,
                consts=dict(profile.get("constants") or {}), R=R, warnings=warnings, blanked=blanked,
                ok_row=ok_row, all_ok=all_ok, row_numbers=np.asarray(raw.row_numbers))


def read_ids(rows: Rows) -> tuple[pd.Series, pd.Series]:
    """(source record id, incident key) of each row as text: the row number where the file
    gives no id, the record id where it gives no incident key (the same Series object then)."""
    n = rows.n
    src_id = record_ids(rows.col("source_record_id"), n)
    inc = rows.col("incident_key")
    incident_key = record_ids(inc, n) if inc is not None else src_id
    if src_id.isna().any():
        src_id = src_id.where(src_id.notna(), pd.Series(rows.row_numbers.astype(str), dtype=object))
    if incident_key.isna().any():
        incident_key = incident_key.where(incident_key.notna(), src_id)
    return src_id, incident_key


def without_cell_issues(raw: readers.RawTable, mapping: dict, R: Reasons) -> tuple[pd.DataFrame, set]:
    """The frame with the mapped cells that hold no value blanked, their rows flagged.

    Cells listed in ``raw.cell_issues`` (spreadsheet errors, formulas never calculated) are
    not parsed: in a mapped column they become missing and their row gets the reason code
    (``CELL_ERROR`` or ``FORMULA_NOT_CALCULATED``), which holds it back. The raw frame keeps
    their text for the quarantine.

    Returns
    -------
    (pandas.DataFrame, set of str)
        The frame to parse and the names of the columns blanked.
    """
    issues = getattr(raw, "cell_issues", None) or {}
    used = {c for c in mapping.values() if c in issues}
    if not used:
        return raw.frame, set()
    frame = raw.frame.copy()
    pos_of = {int(r): i for i, r in enumerate(np.asarray(raw.row_numbers))}
    n = len(frame)
    for col in used:
        vals = frame[col].astype(object).to_numpy(copy=True)
        for code in sorted(set(issues[col].values())):
            m = np.zeros(n, dtype=bool)
            for rn, c in issues[col].items():
                if c == code and rn in pos_of:
                    m[pos_of[rn]] = True
            vals[m] = None
            R.add(code, m)
        frame[col] = pd.Series(vals, dtype=object, index=frame.index)
    return frame, used


def total_rows(frame: pd.DataFrame, qty_col: str) -> np.ndarray:
    """Rows whose only value is in ``qty_col`` and equals the sum of that column over the other
    rows (a spreadsheet's total line, e.g. Colombia's last line ``,,,,,,,,,"6,209"``)."""
    others = [c for c in frame.columns if c != qty_col and not str(c).startswith("__")]
    if not others or len(frame) < 2:
        return np.zeros(len(frame), dtype=bool)
    # rows still blank after each column: after the first column or two almost none are left, so
    # the text test runs on a handful of rows instead of every row of every column
    cand = np.arange(len(frame))
    for c in others:
        if not len(cand):
            break
        col = frame[c].iloc[cand]
        empty = col.isna().to_numpy() | (col.astype(object).astype(str).str.strip() == "").to_numpy()
        cand = cand[empty]
    blank = np.zeros(len(frame), dtype=bool)
    blank[cand] = True
    if not len(cand):
        return blank

    def digits(v):
        t = re.sub(r"\D", "", "" if v is None or v is pd.NA else str(v))
        return int(t) if t else 0

    q = np.array([digits(v) for v in frame[qty_col].astype(object)], dtype=np.int64)
    total = int(q.sum())
    out = np.zeros(len(frame), dtype=bool)
    for i in cand:
        out[i] = q[i] > 0 and q[i] == total - q[i]
    return out


def warn_shared_problems(rows: Rows) -> None:
    """Warn when many rows (at least 5 and 20 % of 10 or more) share one reason code."""
    n = rows.n
    for code, m in rows.R.masks.items():
        k = int(m.sum())
        if n >= 10 and k >= max(5, 0.2 * n):
            rows.warnings.append(f"{k} of {n} rows ({k / n:.0%}) share {code}: {REASON_TEXT.get(code, code)}")
