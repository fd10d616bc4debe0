"""One date text read: the forms the date parser reads one **distinct** value at a time.

Part of the date parser (:mod:`intel.dates` reads whole columns, takes the plain ISO dates and
the machine-written forms in a vectorised pass, decides the day/month order once per column and
hands every other distinct text to :func:`classify_text` here). This module holds what reading
one text needs: the month names (English, French, Spanish, Portuguese; accents stripped) and
weekday names, the patterns of day-month-year triples, month-year pairs, ISO week and ordinal
dates, times (24-hour, 12-hour, French ``14h30``) and UTC offsets or zone abbreviations
(converted to UTC), epoch seconds and milliseconds (:data:`EPOCH_S_MIN`..:data:`EPOCH_S_MAX`),
the accepted text years (:data:`TEXT_YEAR_MIN`..:data:`TEXT_YEAR_MAX`) and :func:`make_ts`, a
timestamp or None for a date that does not exist.

A text is never guessed: :func:`classify_text` returns a date, a day/month pair left for the
column to order, a serial number, a blank, or a reason code (``DATE_INVALID``,
``DATE_UNREADABLE``, ``DATE_OUT_OF_RANGE``).
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

import pandas as pd

from intel.parse import ascii_numerals, is_placeholder

__all__ = ["classify_text", "make_ts", "TEXT_YEAR_MIN", "TEXT_YEAR_MAX", "EPOCH_S_MIN", "EPOCH_S_MAX"]

TEXT_YEAR_MIN, TEXT_YEAR_MAX = 1901, 2100
"""Years accepted from text dates; 1900 and earlier are placeholders of broken exports."""

_MONTHS: dict[str, int] = {}
for _i, _names in enumerate([
    "january jan janvier janv enero ene janeiro",
    "february feb fevrier fev fevr febrero fevereiro",
    "march mar mars marzo marco",
    "april apr avril avr abril abr",
    "may mai mayo maio",
    "june jun juin junio junho",
    "july jul juillet juil julio julho",
    "august aug aout agosto ago",
    "september sep sept septembre septiembre setiembre setembro set",
    "october oct octobre octubre outubro out",
    "november nov novembre noviembre novembro",
    "december dec decembre diciembre dic dezembro dez",
], start=1):
    for _w in _names.split():
        _MONTHS[_w] = _i
_DATE_STOP = {"de", "del", "of", "the", "le", "el", "en", "a", "at", "a las", "um", "as", "h"}
_WEEKDAYS = set("""monday mon tuesday tue tues wednesday wed thursday thu thur thurs friday fri saturday sat sunday sun
lundi mardi mercredi jeudi vendredi samedi dimanche lunes martes miercoles jueves viernes sabado domingo
segunda terca quarta quinta sexta feira""".split())
"""Weekday names (English, French, Spanish, Portuguese; accents stripped): words to skip."""
_TRIPLE = re.compile(r"^(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})(?:[T\s,]+(\d{1,2})[:hH](\d{2})(?::(\d{2}(?:\.\d+)?))?"
                     r"(?:\s*([AaPp])\.?\s*[Mm]\.?)?)?$")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})(?:-?([1-7]))?$", re.IGNORECASE)
_ISO_ORDINAL = re.compile(r"^(\d{4})-(\d{3})$")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AaPp])\.?\s*[Mm]\.?(?![a-z]))?")
_TZ = re.compile(r"\s*(?:(?:GMT|UTC|Z)\s*([+-])(\d{2}):?(\d{2})|\b(?:GMT|UTC)\b|(?<=\d)Z)(?:\s*\([^)]*\))?", re.IGNORECASE)
_TZ_BARE = re.compile(r"(?<=:\d\d)\s*([+-])(\d{2}):?(\d{2})\s*$")
"""A bare UTC offset after a time, as e-mail and HTTP dates write it (RFC 2822:
``Wed, 15 Mar 2023 10:00:00 +0100``)."""
_TIME_H = re.compile(r"(?<![\d:])(\d{1,2})\s?h(\d{2})?()()(?![a-z])", re.IGNORECASE)
"""French hours: ``14h``, ``14h30``."""
EPOCH_S_MIN, EPOCH_S_MAX = 631152000, 2082758400
"""Epoch seconds (Unix time, UTC) read as dates: 1990-01-01 to 2036-01-01 (exclusive); the same
range in milliseconds for 12- and 13-digit numbers (ArcGIS/Esri exports)."""
_PAIR = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{4})$|^(\d{4})\s*[./-]\s*(\d{1,2})$")


def _strip_accents(t: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))


def make_ts(y, m, d, hh=0, mi=0, ss=0.0):
    """The timestamp of a calendar date and time of day, or None when it does not exist
    (``2023-02-30``, hour 24...).

    Parameters
    ----------
    y, m, d : int or str
        Year, month (1-12) and day of month.
    hh, mi : int or str
        Hour (0-23) and minute.
    ss : float
        Seconds; the fraction is dropped.

    Returns
    -------
    pandas.Timestamp or None
    """
    try:
        ts = pd.Timestamp(_dt.datetime(int(y), int(m), int(d), int(hh), int(mi), int(ss)))
    except (ValueError, OverflowError):
        return None
    return ts


def _year4(y: str) -> tuple[int, bool]:
    v = int(y)
    if len(y) <= 2:
        return (2000 + v if v <= 69 else 1900 + v), True
    return v, False


def _hour12(hh: int, ampm: str | None) -> int | None:
    """24-hour hour of a 12-hour time (``12 AM`` is 0, ``12 PM`` is 12); None if impossible."""
    if not ampm:
        return hh
    if not 1 <= hh <= 12:
        return None
    return (hh % 12) + (12 if ampm.lower() == "p" else 0)


def _epoch(v: int) -> pd.Timestamp | None:
    """UTC timestamp of epoch seconds or milliseconds in the plausible range, else None."""
    if EPOCH_S_MIN <= v < EPOCH_S_MAX:
        return pd.Timestamp(v, unit="s")
    if EPOCH_S_MIN * 1000 <= v < EPOCH_S_MAX * 1000:
        return pd.Timestamp(v, unit="ms")
    return None


_TZ_NAMED = re.compile(r"(?<=\d)\s*\b(UT|CET|CEST|WAT|CAT|EAT|WET|WEST|EET|EEST|EST|EDT|CST|CDT|MST|MDT|PST|PDT)\s*$")
_TZ_NAMED_MIN = {"UT": 0, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "WAT": 60, "CAT": 120, "EAT": 180,
                 "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420,
                 "MDT": -360, "PST": -480, "PDT": -420}
"""UTC offsets (minutes) of the zone abbreviations written after a time: RFC 2822's North American
zones (``CST`` is US/Mexican Central, as RFC 2822 defines it) and the European and African zones
(``WAT`` West Africa Time). Other abbreviations are not guessed."""


def classify_text(t: str):
    """Classify one date text that is not plain ISO; a trailing zone abbreviation after a time
    (``2023-03-15 10:00:00 CET``, :data:`_TZ_NAMED_MIN`) converts the date-time to UTC.

    Parameters
    ----------
    t : str
        One distinct text of a date column.

    Returns
    -------
    tuple
        ``(kind, payload)`` as :func:`_classify_plain`: ``("date", (ts, precision, reasons))``,
        ``("dm", (a, b, y, time, reasons))`` for a day/month pair the column's order decides,
        ``("serial", float)``, ``("blank", None)`` or ``("bad", reason)``. A day/month pair with a
        zone abbreviation is ``("bad", "DATE_UNREADABLE")`` (its order is decided later, its zone
        would be lost).
    """
    m = _TZ_NAMED.search(t.strip()) if isinstance(t, str) and t[-1:].isalpha() else None
    if m is None or ":" not in t:
        return _classify_plain(t)
    kind, payload = _classify_plain(t.strip()[:m.start()])
    if kind == "date":
        ts, prec, reasons = payload
        return kind, (_utc(ts, _TZ_NAMED_MIN[m.group(1)]), prec, reasons)
    if kind == "dm":
        return "bad", "DATE_UNREADABLE"
    return kind, payload


def _classify_plain(t: str):
    """Classify one date text that is not plain ISO (no trailing zone abbreviation).

    Returns a tuple ``(kind, payload)``:
    ``("date", (ts, precision, reasons))``; ``("dm", (a, b, y, time, reasons))`` for a
    day/month pair to be ordered per column; ``("bad", reason)``.
    """
    s = ascii_numerals(t).strip()
    if not s or is_placeholder(s):   # 'N/D', '-', 'sin dato': no date given
        return "blank", None
    # ISO 8601 week date (2023-W11-3) and ordinal date (2023-074)
    m = _ISO_WEEK.match(s)
    if m:
        try:
            d = _dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        except ValueError:
            return "bad", "DATE_INVALID"
        return "date", (pd.Timestamp(d), "day" if m.group(3) else "week", [])
    m = _ISO_ORDINAL.match(s) or (re.fullmatch(r"(\d{4})(\d{3})", s) if len(s) == 7 else None)
    if m:
        y, doy = int(m.group(1)), int(m.group(2))
        if not (TEXT_YEAR_MIN <= y <= TEXT_YEAR_MAX and 1 <= doy <= (366 if _is_leap(y) else 365)):
            return "bad", "DATE_INVALID"
        return "date", (pd.Timestamp(y, 1, 1) + pd.Timedelta(days=doy - 1), "day", [])
    # epoch seconds (9-10 digits) or milliseconds (12-13 digits), UTC
    if re.fullmatch(r"(?:\d{9,10}|\d{12,13})(?:\.\d+)?", s):   # '1678874400.0': a float export
        ts = _epoch(int(s.split(".")[0]))
        return ("date", (ts, "day", [])) if ts is not None else ("bad", "DATE_OUT_OF_RANGE")
    # serial number or year written as text
    if re.fullmatch(r"\d+(\.\d+)?", s):
        if re.fullmatch(r"\d{4}", s) and TEXT_YEAR_MIN <= int(s) <= TEXT_YEAR_MAX:
            return "date", (pd.Timestamp(int(s), 1, 1), "year", [])
        if re.fullmatch(r"\d{8}", s):
            ts = make_ts(s[:4], s[4:6], s[6:8])
            if ts is not None and TEXT_YEAR_MIN <= ts.year <= TEXT_YEAR_MAX:
                return "date", (ts, "day", [])
        return "serial", float(s)
    m = _TRIPLE.match(s)
    if m:
        p1, _sep, p2, p3, hh, mi, ss, ampm = m.groups()
        h24 = _hour12(int(hh or 0), ampm)
        if h24 is None:
            return "bad", "DATE_INVALID"
        tm = (h24, int(mi or 0), float(ss or 0))
        if hh is not None and (tm[0] > 23 or tm[1] > 59 or tm[2] >= 60):
            return "bad", "DATE_INVALID"
        if len(p1) == 4:      # year first: y-m-d
            ts = make_ts(p1, p2, p3, *tm)
            return ("date", (ts, "day", [])) if ts is not None else ("bad", "DATE_INVALID")
        if len(p3) not in (2, 4):
            return "bad", "DATE_UNREADABLE"
        y, two = _year4(p3)
        return "dm", (int(p1), int(p2), y, tm, ["DATE_TWO_DIGIT_YEAR"] if two else [])
    m = _PAIR.match(s)
    if m:
        mo, y = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        ts = make_ts(y, mo, 1)
        return ("date", (ts, "month", [])) if ts is not None else ("bad", "DATE_INVALID")
    # month names, with an optional time (12- or 24-hour) and time zone (JavaScript Date.toString:
    # 'Wed Mar 15 2023 10:30:00 GMT-0600 (Central Standard Time)'); a zone converts to UTC
    tm, offset = (0, 0, 0.0), None
    tzm = _TZ.search(s) or _TZ_BARE.search(s)
    if tzm:
        if tzm.group(1):
            sign = -1 if tzm.group(1) == "-" else 1
            offset = sign * (int(tzm.group(2)) * 60 + int(tzm.group(3)))
        else:
            offset = 0
        s_words = s[:tzm.start()] + " " + s[tzm.end():]
    else:
        s_words = s
    hm = _TIME.search(s_words) or _TIME_H.search(s_words)
    if hm:
        h24 = _hour12(int(hm.group(1)), hm.group(4))
        if h24 is None or h24 > 23 or int(hm.group(2) or 0) > 59 or int(hm.group(3) or 0) > 59:
            return "bad", "DATE_INVALID"
        tm = (h24, int(hm.group(2) or 0), float(hm.group(3) or 0))
        s_words = s_words[:hm.start()] + " " + s_words[hm.end():]
    words = [w for w in re.split(r"[^0-9a-z]+", _strip_accents(s_words.lower()))
             if w and w not in _DATE_STOP and w not in _WEEKDAYS]
    months = [w for w in words if w in _MONTHS or (w.rstrip(".") in _MONTHS)]
    if len(months) == 1:
        month = _MONTHS[months[0]]
        nums = [re.sub(r"(st|nd|rd|th|er|o|a)$", "", w) for w in words if w not in months]
        if not all(x.isdigit() for x in nums):
            return "bad", "DATE_UNREADABLE"
        years = [x for x in nums if len(x) == 4]
        days = [x for x in nums if len(x) <= 2]
        if len(years) == 1 and len(days) <= 1:
            if days:
                ts = make_ts(years[0], month, days[0], *tm)
                return ("date", (_utc(ts, offset), "day", [])) if ts is not None else ("bad", "DATE_INVALID")
            return "date", (pd.Timestamp(int(years[0]), month, 1), "month", [])
        if not years and len(days) == 2:
            # '15 mar 24': a two-digit year
            ts = make_ts(2000 + int(days[1]) if int(days[1]) <= 69 else 1900 + int(days[1]), month, days[0], *tm)
            return (("date", (_utc(ts, offset), "day", ["DATE_TWO_DIGIT_YEAR"])) if ts is not None
                    else ("bad", "DATE_INVALID"))
    # ISO with time zone or other ISO 8601 spellings
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", s):
        ts = pd.to_datetime(re.sub(r"\s*(?:UTC|GMT)$", "Z", s, flags=re.IGNORECASE), format="ISO8601",
                            errors="coerce", utc=True)
        if not pd.isna(ts):
            return "date", (ts.tz_localize(None), "day", [])
    return "bad", "DATE_UNREADABLE"


def _is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _utc(ts: pd.Timestamp, offset_min: int | None) -> pd.Timestamp:
    """``ts`` written at UTC offset ``offset_min`` (minutes east of UTC; None: no zone) as UTC."""
    return ts if not offset_min else ts - pd.Timedelta(minutes=offset_min)
