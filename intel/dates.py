"""Date parser of the importer: :func:`parse_dates` and its :class:`DateResult`.

Part of the value parsers (:mod:`intel.parse`: its overview explains the fast and slow paths,
and its helpers do the column work here). Plain ISO 8601 dates take a vectorised fast path;
the remaining forms (day-month dates, serial dates, month names) are read one **distinct**
value at a time (:func:`intel.datetext.classify_text`), and the day/month order is decided once for the
whole column, from its distinct values. An Arrow string column is dictionary-encoded first,
so each distinct text is parsed once and the results are spread back over the rows.

Nothing here guesses silently. A value that cannot be read, or can be read two ways, comes
back as NaT with a reason code; the raw value is never modified (callers keep it).

Reason codes emitted
--------------------
Dates (:func:`parse_dates`): ``DATE_AMBIGUOUS``, ``DATE_ORDER_CONFLICT``, ``DATE_SERIAL_AS_TEXT``,
``DATE_OUT_OF_RANGE``, ``DATE_INVALID``, ``DATE_UNREADABLE``, ``DATE_TWO_DIGIT_YEAR``.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from intel.datetext import EPOCH_S_MAX, EPOCH_S_MIN, TEXT_YEAR_MAX, TEXT_YEAR_MIN, classify_text, make_ts
from intel.parse import EMPTY_REASONS, arrow_str, as_object, blank_mask, is_number, pa_objects

__all__ = ["parse_dates", "DateResult", "SERIAL_MIN", "SERIAL_MAX"]

SERIAL_MIN, SERIAL_MAX = 32874, 49674
"""Excel serial range accepted as a date in the 1900 system: 1990-01-01 to 2035-12-31."""
DATE_MIN = pd.Timestamp("1990-01-01")
DATE_MAX = pd.Timestamp("2036-01-01")   # exclusive


@dataclass
class DateResult:
    """Result of :func:`parse_dates`.

    Attributes
    ----------
    dates : pandas.Series of datetime64[ns], shape (n,)
        NaT where unreadable or ambiguous. Time of day kept when the source has one.
    precision : pandas.Series of object, shape (n,)
        ``"day"``, ``"week"`` (an ISO week without its day: the date is its Monday),
        ``"month"``, ``"year"`` or ``None`` (no date).
    reasons : pandas.Series of list of str, shape (n,)
        Reason codes per row (empty list when clean).
    order_used : str
        ``"iso"`` (no day/month text), ``"dayfirst"``, ``"monthfirst"`` or ``"mixed-none"``
        (undecided: all ambiguous, or conflicting evidence).
    needs_choice : bool
        True when the analyst must choose the day/month order (then ``DATE_AMBIGUOUS`` rows
        are NaT); re-run with ``order="dayfirst"`` or ``"monthfirst"``.
    """

    dates: pd.Series
    precision: pd.Series
    reasons: pd.Series
    order_used: str
    needs_choice: bool


def _vector_forms(t: pd.Series) -> pd.Series:
    """Dates of the machine-written forms, read a whole column at once: ISO 8601 timestamps
    with ``Z`` or an offset (converted to UTC: dates are UTC calendar days) and epoch seconds
    (9-10 digits) or milliseconds (12-13 digits) in 1990-2035. NaT elsewhere.

    Parameters
    ----------
    t : pandas.Series of str (stripped)

    Returns
    -------
    pandas.Series of datetime64[ns] (UTC, naive), index of ``t``
    """
    out = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
    # ASCII digits only ([0-9]: Python's \\d is Unicode); other scripts go the per-value way
    iso = t.str.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})$",
                      na=False)
    if iso.any():
        d = pd.to_datetime(t[iso], format="ISO8601", errors="coerce", utc=True)
        out[iso] = d.dt.tz_localize(None).astype("datetime64[ns]")
    ep = t.str.fullmatch(r"[0-9]{9,10}|[0-9]{12,13}", na=False)
    if ep.any():
        v = pd.to_numeric(t[ep], errors="coerce").to_numpy(dtype="int64")
        ms = v >= EPOCH_S_MIN * 1000
        secs = np.where(ms, v // 1000, v)
        good = (secs >= EPOCH_S_MIN) & (secs < EPOCH_S_MAX)
        vals = np.where(ms, v * 1_000_000, v * 1_000_000_000)
        d = np.where(good, vals, np.iinfo("int64").min).astype("int64").view("datetime64[ns]")
        out[ep] = d
    return out


def _serial_to_ts(v: float, datemode: int):
    if not math.isfinite(v):
        return None
    base = pd.Timestamp("1899-12-30") + pd.Timedelta(days=1462 if datemode == 1 else 0)
    try:
        ts = base + pd.to_timedelta(round(v * 86400), unit="s")
    except (OverflowError, ValueError):
        return None
    if not (DATE_MIN <= ts < DATE_MAX):
        return None
    return ts


def parse_dates(s: pd.Series, order: str = "auto", datemode: int = 0) -> DateResult:
    """Parse a date column; the day/month order is decided once for the whole column.

    Forms: ISO ``yyyy-mm-dd`` (vectorised fast path, optional time), ``dd/mm/yyyy`` or
    ``mm/dd/yyyy`` with ``/ . -`` separators (1- or 2-digit parts, 2- or 4-digit years),
    ``mm/yyyy`` (month precision), ``yyyy`` (year precision), ``yyyymmdd``, month names in
    English, French, Spanish and Portuguese (``15 de marzo de 2024``, ``March 2024``),
    Excel serial numbers (numbers, or digit text flagged ``DATE_SERIAL_AS_TEXT``) and
    Python/pandas date objects (passed through).

    Day/month order (``order="auto"``): a first part > 12 is evidence for day-first, a
    second part > 12 for month-first, counted over the column's distinct values. One kind of
    evidence decides the column; none (all ambiguous) or both (conflict) leave it undecided:
    ``needs_choice`` is True, ambiguous rows are NaT with ``DATE_AMBIGUOUS`` and, on
    conflict, the unambiguous rows keep their only possible reading with
    ``DATE_ORDER_CONFLICT``. A pair with equal parts (``05/05/2024``) reads the same either
    way and is never ambiguous.

    Excel serials convert only when the result lies in 1990-01-01..2035-12-31 (serials
    32874-49674 in the 1900 system), else NaT with ``DATE_OUT_OF_RANGE``; the fraction is
    the time of day. Text years outside 1901-2100 are ``DATE_OUT_OF_RANGE``.

    Parameters
    ----------
    s : pandas.Series, shape (n,)
        Raw values.
    order : {"auto", "dayfirst", "monthfirst"}
        Day/month order; ``"auto"`` infers it from the column. (``"iso"`` is accepted as
        ``"auto"``.) Pass ``RawTable.date_order_hints[column]`` when present.
    datemode : {0, 1}
        Excel date system: 0 = 1900 (serial 45292 is 2024-01-01), 1 = 1904 (+1462 days).

    Returns
    -------
    DateResult

    Raises
    ------
    ValueError
        Unknown ``order`` or ``datemode``.
    """
    if order not in ("auto", "iso", "dayfirst", "monthfirst"):
        raise ValueError(f"order must be 'auto', 'dayfirst' or 'monthfirst', not {order!r}")
    if datemode not in (0, 1):
        raise ValueError(f"datemode must be 0 (1900 system) or 1 (1904 system), not {datemode!r}")
    a = arrow_str(s)
    if a is not None:
        # Arrow strings: parse each distinct text once (the order is decided over distinct
        # values anyway), then spread the results over the rows.
        enc = pc.dictionary_encode(a)
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        u = _parse_dates_obj(pa_objects(enc.dictionary), order, datemode)
        missing = codes < 0
        take = np.where(missing, 0, codes)
        if len(enc.dictionary):
            dates = u.dates.to_numpy(dtype="datetime64[ns]")[take]
            dates[missing] = np.datetime64("NaT")
            prec = u.precision.to_numpy(dtype=object)[take]
            prec[missing] = None
        else:
            dates = np.full(len(a), np.datetime64("NaT"), dtype="datetime64[ns]")
            prec = np.full(len(a), None, dtype=object)
        reasons = np.empty(len(a), dtype=object)
        reasons.fill(EMPTY_REASONS)
        u_reasons = u.reasons.to_numpy(dtype=object)
        with_r = np.flatnonzero([bool(r) for r in u_reasons])
        if len(with_r):
            for i in np.flatnonzero(np.isin(codes, with_r)):
                reasons[i] = list(u_reasons[codes[i]])
        return DateResult(pd.Series(dates, index=s.index, dtype="datetime64[ns]"),
                          pd.Series(prec, index=s.index, dtype=object),
                          pd.Series(reasons, index=s.index, dtype=object), u.order_used, u.needs_choice)
    return _parse_dates_obj(s, order, datemode)


def _parse_dates_obj(s, order: str, datemode: int) -> DateResult:
    """:func:`parse_dates` for object (or datetime) columns."""
    if isinstance(s, pd.Series) and pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        d = d.astype("datetime64[ns]")
        prec = pd.Series(np.where(d.isna(), None, "day"), index=s.index, dtype=object)
        return DateResult(d, prec, pd.Series([[] for _ in range(len(s))], index=s.index, dtype=object),
                          "iso", False)
    s = as_object(s)
    n = len(s)
    idx = s.index
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prec = np.full(n, None, dtype=object)
    reasons: list[list[str]] = [[] for _ in range(n)]
    blank = blank_mask(s)
    types = s.map(type).to_numpy(dtype=object)
    kinds = np.zeros(n, dtype=np.int8)
    kinds[types == str] = 1
    other = np.flatnonzero((types != str) & ~blank)
    for i in other:
        v = s.iat[i]
        kinds[i] = 2 if is_number(v) else (3 if isinstance(v, (_dt.date, pd.Timestamp, np.datetime64)) else 0)
    kinds[blank] = 0
    # --- date objects
    obj = np.flatnonzero(kinds == 3)
    for i in obj:
        v = s.iat[i]
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            ts = ts.tz_convert(None)
        out[i] = ts.to_datetime64()
        prec[i] = "day"
    # --- numbers: Excel serials
    num = np.flatnonzero(kinds == 2)
    for i in num:
        v = float(s.iat[i])
        if v.is_integer() and TEXT_YEAR_MIN <= v <= TEXT_YEAR_MAX:
            out[i] = np.datetime64(f"{int(v):04d}-01-01")
            prec[i] = "year"
            continue
        ts = _serial_to_ts(v, datemode)
        if ts is None:
            reasons[i].append("DATE_OUT_OF_RANGE")
        else:
            out[i] = ts.to_datetime64()
            prec[i] = "day"
    # --- text: ISO fast path
    txt = np.flatnonzero(kinds == 1)
    has_dm = False
    order_used = "iso"
    needs_choice = False
    if len(txt):
        t = s.iloc[txt].astype(str).str.strip()
        iso = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
        good = iso.notna().to_numpy()
        gi = txt[good]
        out[gi] = iso[good].to_numpy(dtype="datetime64[ns]")
        prec[gi] = "day"
        rest = t[~good]
        ridx = txt[~good]
        if len(rest):
            # uniform machine forms, vectorised: ISO timestamps with a zone, epoch seconds/ms
            vd = _vector_forms(rest)
            hit = vd.notna().to_numpy()
            if hit.any():
                out[ridx[hit]] = vd[hit].to_numpy(dtype="datetime64[ns]")
                prec[ridx[hit]] = "day"
                rest, ridx = rest[~hit], ridx[~hit]
        if len(rest):
            codes, uniq = pd.factorize(rest, sort=False)
            cls = [classify_text(u) for u in uniq]
            # column-level day/month order from the distinct unambiguous values
            dm_first = dm_month = 0
            for kind, p in cls:
                if kind == "dm":
                    has_dm = True
                    a, b = p[0], p[1]
                    if a > 12 and b <= 12:
                        dm_first += 1
                    elif b > 12 and a <= 12:
                        dm_month += 1
            chosen = None
            if order in ("dayfirst", "monthfirst"):
                chosen = order
            elif dm_first and not dm_month:
                chosen = "dayfirst"
            elif dm_month and not dm_first:
                chosen = "monthfirst"
            conflict = order in ("auto", "iso") and dm_first > 0 and dm_month > 0
            results = []
            any_amb = False
            for kind, p in cls:
                if kind == "date":
                    results.append(p)
                elif kind == "serial":
                    ts = _serial_to_ts(p, datemode)
                    results.append((ts, "day", ["DATE_SERIAL_AS_TEXT"]) if ts is not None
                                   else (None, None, ["DATE_OUT_OF_RANGE"]))
                elif kind == "dm":
                    a, b, y, tm, rs = p
                    if not (TEXT_YEAR_MIN <= y <= TEXT_YEAR_MAX):
                        results.append((None, None, rs + ["DATE_OUT_OF_RANGE"]))
                        continue
                    if chosen is not None and not conflict:
                        d, m = (a, b) if chosen == "dayfirst" else (b, a)
                        ts = make_ts(y, m, d, *tm)
                        results.append((ts, "day", rs) if ts is not None else (None, None, rs + ["DATE_INVALID"]))
                    elif a == b:
                        results.append((make_ts(y, a, a, *tm), "day", rs))
                    elif a <= 12 and b <= 12:
                        any_amb = True
                        results.append((None, None, rs + ["DATE_AMBIGUOUS"]))
                    else:
                        d, m = (a, b) if a > 12 else (b, a)
                        ts = make_ts(y, m, d, *tm)
                        extra = ["DATE_ORDER_CONFLICT"] if conflict else []
                        results.append((ts, "day", rs + extra) if ts is not None else (None, None, rs + ["DATE_INVALID"]))
                elif kind == "bad":
                    results.append((None, None, [p]))
                else:
                    results.append((None, None, []))
            if has_dm:
                if conflict:
                    order_used, needs_choice = "mixed-none", True
                elif chosen is not None:
                    order_used = chosen
                else:
                    order_used = "mixed-none"
                    needs_choice = any_amb
            u_ts = np.array([r[0].to_datetime64() if r[0] is not None else np.datetime64("NaT")
                             for r in results], dtype="datetime64[ns]")
            u_pr = np.empty(len(results), dtype=object)
            u_pr[:] = [r[1] if r[0] is not None else None for r in results]
            out[ridx] = u_ts[codes]
            prec[ridx] = u_pr[codes]
            with_reasons = [k for k, r in enumerate(results) if r[2]]
            if with_reasons:
                hit = np.isin(codes, with_reasons)
                for j in np.flatnonzero(hit):
                    reasons[ridx[j]].extend(results[codes[j]][2])
    # text years out of the plausible window
    dates = pd.Series(out, index=idx, dtype="datetime64[ns]")
    return DateResult(
        dates=dates,
        precision=pd.Series(prec, index=idx, dtype=object),
        reasons=pd.Series(reasons, index=idx, dtype=object) if n else pd.Series([], index=idx, dtype=object),
        order_used=order_used,
        needs_choice=needs_choice,
    )
