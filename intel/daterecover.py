"""Dates a publisher lost, recovered from each row's weekday and the rows' order -- and marked
as derived.

Colombia's National Police export of the 2019 seizures lost every date whose day of the month
is above 12 (a day/month mix-up in the publisher's spreadsheet): 3,542 of 5,672 rows have an
empty ``FECHA``. Every row still carries its weekday (``DIA``), and the rows are in date order.
A run of consecutive rows with the same weekday is one day; consecutive runs are consecutive
days with records. :func:`recover_dates_from_weekday` assigns each run a date and accepts the
assignment only where it is the *only* one possible:

* a run that holds a recorded date (one, matching its weekday) is that day (an *anchor*); its
  rows without a date get that date, derived;
* runs between two anchors are walked forward from the first by the smallest step that gives
  each run its weekday (1 to 6 days). That chain is the earliest possible; any other adds a
  multiple of 7 days somewhere. It is accepted only when it lands exactly on the second
  anchor's date -- then it is the only assignment possible;
* runs before the first or after the last anchor are accepted only within a stated period
  ``[start, end)`` and only when a week more would leave it (the chain ends within 7 days of
  the period's edge), which again leaves one assignment;
* anything else (a recorded date disagreeing with its weekday, two recorded dates in one run,
  a chain that misses its anchor, a weekday that cannot be read) is not recovered: the row is
  quarantined with its reason and raw values, never given a guessed date.

Recovered dates carry ``date_precision`` ``'day-derived'`` and the flag ``DATE_DERIVED``;
recorded dates keep ``'day'``.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEEKDAYS: dict[str, dict[str, int]] = {
    "es": {"lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6},
    "en": {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6},
    "pt": {"segunda-feira": 0, "terca-feira": 1, "quarta-feira": 2, "quinta-feira": 3, "sexta-feira": 4,
           "sabado": 5, "domingo": 6},
    "fr": {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6},
}
"""Weekday names (lower case, accents removed) -> Python weekday number (Monday 0)."""

DERIVED = "day-derived"
"""``date_precision`` of a day recovered from weekday and row order."""


@dataclass
class Recovered:
    """Result of :func:`recover_dates_from_weekday`, one entry per input row.

    ``dates`` (datetime64, NaT where none), ``precision`` (``'day'`` recorded,
    ``'day-derived'`` recovered, None), ``reasons`` (list of codes per row: ``DATE_DERIVED``
    is a flag; ``DATE_NOT_RECOVERED``, ``DATE_WEEKDAY_CONFLICT`` and ``DATE_UNREADABLE`` hold
    the row), ``recorded``/``derived``/``not_recovered`` counts and ``days`` (runs assigned).
    """

    dates: pd.Series
    precision: pd.Series
    reasons: pd.Series
    recorded: int
    derived: int
    not_recovered: int
    days: int

    def summary(self) -> str:
        return (f"dates: {self.recorded:,} recorded, {self.derived:,} recovered from weekday and row order "
                f"(marked day-derived), {self.not_recovered:,} not recoverable")


def _weekday_number(v, names: dict[str, int]) -> float:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return np.nan
    s = unicodedata.normalize("NFKD", str(v)).encode("ascii", "ignore").decode().strip().lower()
    return float(names[s]) if s in names else np.nan


def recover_dates_from_weekday(dates_text: pd.Series, weekdays: pd.Series, *, fmt: str, language: str = "es",
                               period: tuple[str, str] | None = None, valid: np.ndarray | None = None) -> Recovered:
    """Recover missing dates of rows in date order from their weekday (see the module notes).

    Parameters
    ----------
    dates_text : pandas.Series of str
        The date column as read, in file order; missing or blank where the publisher lost it.
    weekdays : pandas.Series of str
        The weekday name of each row, same order.
    fmt : str
        ``strftime`` format of the recorded dates, e.g. ``'%d/%m/%Y %I:%M:%S %p'`` (day-first,
        12-hour clock). A recorded date is trusted only when its weekday matches.
    language : str
        Key of :data:`WEEKDAYS`.
    period : (str, str), optional
        Half-open period ``[start, end)`` of ISO dates the file covers, as the publisher states
        it; needed to recover the runs before the first and after the last recorded date.
    valid : numpy.ndarray of bool, optional
        Rows to consider (a malformed line or repeated header is left out and keeps no date).

    Returns
    -------
    Recovered
    """
    n = len(dates_text)
    valid = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    names = WEEKDAYS[language]
    text = np.array([None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or not str(v).strip()
                     else str(v).strip() for v in dates_text.astype(object)], dtype=object)
    parsed = pd.to_datetime(pd.Series(text, dtype=object), format=fmt, errors="coerce").dt.normalize().to_numpy()
    wd = np.array([_weekday_number(v, names) for v in weekdays.astype(object)], dtype=float)
    reasons: list[list[str]] = [[] for _ in range(n)]
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prec = np.full(n, None, dtype=object)

    has_text = np.array([t is not None for t in text]) & valid
    ok_parsed = ~pd.isna(parsed) & valid
    for i in np.flatnonzero(has_text & ~ok_parsed):
        reasons[i].append("DATE_UNREADABLE")
    rec_wd = np.where(ok_parsed, pd.DatetimeIndex(parsed).day_of_week, -1)
    conflict = ok_parsed & np.isfinite(wd) & (rec_wd != np.nan_to_num(wd, nan=-9))
    for i in np.flatnonzero(conflict):
        reasons[i].append("DATE_WEEKDAY_CONFLICT")
    good = ok_parsed & ~conflict
    out[good] = parsed[good]
    prec[good] = "day"

    # runs of consecutive valid rows with one readable weekday
    rows = np.flatnonzero(valid & np.isfinite(wd))
    runs: list[np.ndarray] = []
    if len(rows):
        brk = np.flatnonzero((np.diff(rows) != 1) | (np.diff(wd[rows]) != 0)) + 1
        runs = np.split(rows, brk)
    run_wd = [int(wd[r[0]]) for r in runs]
    anchor: list[np.datetime64 | None] = []
    for r in runs:
        d = np.unique(out[r][~pd.isna(out[r])])
        anchor.append(d[0] if len(d) == 1 else (None if len(d) == 0 else "many"))
    assigned: list[np.datetime64 | None] = [a if a is not None and not isinstance(a, str) else None for a in anchor]
    day = np.timedelta64(1, "D")

    def step(w_from: int, w_to: int) -> int:
        return (w_to - w_from) % 7 or 7

    anchors = [k for k, a in enumerate(assigned) if a is not None]
    # between anchors: the minimal chain must land on the next anchor
    for a, b in zip(anchors, anchors[1:]):
        d = assigned[a]
        chain = []
        for k in range(a + 1, b + 1):
            d = d + step(run_wd[k - 1], run_wd[k]) * day
            chain.append(d)
        if chain[-1] == assigned[b]:
            for k, dk in zip(range(a + 1, b), chain[:-1]):
                assigned[k] = dk
    if period and anchors:
        start, end = np.datetime64(period[0], "ns"), np.datetime64(period[1], "ns")
        last = anchors[-1]
        if last < len(runs) - 1:
            d, chain = assigned[last], []
            for k in range(last + 1, len(runs)):
                d = d + step(run_wd[k - 1], run_wd[k]) * day
                chain.append(d)
            if chain[-1] < end and chain[-1] + 7 * day >= end:
                for k, dk in zip(range(last + 1, len(runs)), chain):
                    assigned[k] = dk
        first = anchors[0]
        if first > 0:
            d, chain = assigned[first], []
            for k in range(first - 1, -1, -1):
                d = d - step(run_wd[k], run_wd[k + 1]) * day
                chain.append(d)
            if chain[-1] >= start and chain[-1] - 7 * day < start:
                for k, dk in zip(range(first - 1, -1, -1), chain):
                    assigned[k] = dk
    derived = 0
    for r, a, mark in zip(runs, assigned, anchor):
        if a is None or isinstance(mark, str):   # not recoverable, or a run with two recorded dates
            continue
        miss = r[pd.isna(out[r]) & ~has_text[r]]
        out[miss] = a
        prec[miss] = DERIVED
        for i in miss:
            reasons[i].append("DATE_DERIVED")
        derived += len(miss)
    lost = valid & pd.isna(out) & ~has_text
    for i in np.flatnonzero(lost):
        reasons[i].append("DATE_NOT_RECOVERED")
    return Recovered(dates=pd.Series(out), precision=pd.Series(prec, dtype=object),
                     reasons=pd.Series(reasons, dtype=object), recorded=int(good.sum()), derived=int(derived),
                     not_recovered=int((valid & pd.isna(out)).sum()), days=int(sum(a is not None for a in assigned)))
