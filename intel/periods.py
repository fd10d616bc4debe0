"""The one period grammar of the product (pages, CLI, briefing, backtest).

Every period is a half-open interval ``[from, to)`` of UTC calendar days, as ISO date strings;
either side may be open (``None``). Text is read by :func:`parse_period`:

=========================  ===================================  ==============================
text                       means                                 half-open result
=========================  ===================================  ==============================
``2019``                   the calendar year 2019                ``2019-01-01`` .. ``2020-01-01``
``2019-03``                March 2019                            ``2019-03-01`` .. ``2019-04-01``
``2015:2019``              the years 2015 to 2019, inclusive     ``2015-01-01`` .. ``2020-01-01``
``2019-01:2019-03``        January to March 2019, inclusive      ``2019-01-01`` .. ``2019-04-01``
``2019-01-01:2019-04-01``  ISO days, the end day excluded        ``2019-01-01`` .. ``2019-04-01``
``2019-01-01:``            from that day on                      ``2019-01-01`` .. ``None``
``:2019``                  up to the end of 2019                 ``None`` .. ``2020-01-01``
empty, ``:`` or ``all``    no limit                              ``None`` .. ``None``
=========================  ===================================  ==============================

The rule behind the table: a year or a month names the whole of that unit, so on the left it
starts the period and on the right it ends it inclusively; a full date on the right is the
first day *not* included (the half-open convention of the store, ISO 8601 intervals and
pandas' ``closed="left"``); :func:`period_text` writes a period back in its shortest form
(``2015:2019``, ``2023-01:2023-08``). :func:`inclusive_end` converts a last-day-included date to that form.
:func:`equal_halves` splits whole years into two periods of equal length for a comparison.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

__all__ = ["parse_period", "inclusive_end", "describe_period", "period_text", "equal_halves", "covers", "PERIOD_HELP",
           "PERIOD_FORMS"]

PERIOD_FORMS = ("YYYY, YYYY-MM, Y1:Y2 (years, inclusive), YYYY-MM:YYYY-MM (months, inclusive) "
                "or FROM:TO with ISO dates (the TO day excluded)")
"""The accepted forms, without saying whether a side may be left open."""

PERIOD_HELP = PERIOD_FORMS + "; either side may be empty"
"""The accepted forms of a period that may be open on either side."""

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _unit(part: str, text: str) -> tuple[date, date]:
    """(first day, first day after) of the year, month or day ``part``."""
    try:
        if _YEAR.match(part):
            y = int(part)
            return date(y, 1, 1), date(y + 1, 1, 1)
        m = _MONTH.match(part)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            start = date(y, mo, 1)
            return start, date(y + (mo == 12), mo % 12 + 1, 1)
        m = _DAY.match(part)
        if m:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return d, d + timedelta(days=1)
    except ValueError:
        pass
    raise ValueError(f"cannot read the period {text!r}: use {PERIOD_HELP}")


def parse_period(text, *, require_both: bool = False) -> tuple[str | None, str | None]:
    """Half-open period ``(from, to)`` of ISO dates from text in the product's grammar.

    Parameters
    ----------
    text : str or None
        See the module table. ``None`` and ``""`` mean no limit.
    require_both : bool
        Refuse an open side (the backtest needs closed training and test periods).

    Returns
    -------
    (str or None, str or None)
        ISO dates ``YYYY-MM-DD``; the second is excluded.

    Raises
    ------
    ValueError
        With a plain sentence naming the accepted forms, when the text is not a period, a side
        is open and ``require_both`` is set, or the period is empty (ends before it starts).
    """
    t = "" if text is None else str(text).strip()
    if t.lower() in ("", ":", "all"):
        if require_both:
            raise ValueError(f"the period needs a start and an end: use {PERIOD_FORMS}")
        return None, None
    if ":" in t:
        parts = [p.strip() for p in t.split(":")]
        if len(parts) != 2:
            raise ValueError(f"cannot read the period {t!r}: use {PERIOD_HELP}")
        left, right = parts
        start = _unit(left, t)[0] if left else None
        if not right:
            end = None
        elif _DAY.match(right):
            end = _unit(right, t)[0]          # a full date on the right is the first day excluded
        else:
            end = _unit(right, t)[1]          # a year or month on the right is included whole
    else:
        start, end = _unit(t, t)
    if require_both and (start is None or end is None):
        raise ValueError(f"the period {t!r} needs a start and an end: use {PERIOD_FORMS}")
    if start is not None and end is not None and end <= start:
        raise ValueError(f"the period {t!r} is empty: it ends before it starts (an ISO end date is excluded)")
    return (start.isoformat() if start else None), (end.isoformat() if end else None)


def inclusive_end(last_day) -> str | None:
    """Exclusive end (ISO) for a period whose ``last_day`` (date or ISO text) is included."""
    if last_day is None or last_day == "":
        return None
    d = last_day if isinstance(last_day, date) else date.fromisoformat(str(last_day)[:10])
    return (d + timedelta(days=1)).isoformat()


def describe_period(date_from: str | None, date_to: str | None) -> str:
    """Plain words for a half-open period, naming the last day included (for captions and PDFs)."""
    if date_from is None and date_to is None:
        return "all dates"
    last = (date.fromisoformat(date_to) - timedelta(days=1)).isoformat() if date_to else None
    if date_from and last:
        return f"{date_from} to {last} (inclusive)"
    if date_from:
        return f"from {date_from} on"
    return f"up to {last} (inclusive)"


def period_text(date_from: str, date_to: str) -> str:
    """The shortest text in the product's grammar for a closed half-open period (its inverse).

    Whole calendar years are written ``Y1:Y2`` (``Y`` for one year), whole months
    ``YYYY-MM:YYYY-MM`` (``YYYY-MM`` for one month), anything else ``FROM:TO`` with ISO days, the
    ``TO`` day excluded. ``parse_period(period_text(a, b)) == (a, b)``.

    Parameters
    ----------
    date_from, date_to : str
        ISO dates ``YYYY-MM-DD``, ``date_from < date_to``; ``date_to`` is excluded.

    Returns
    -------
    str
        E.g. ``("2015-01-01", "2020-01-01")`` -> ``"2015:2019"``, ``("2023-01-01", "2023-09-01")``
        -> ``"2023-01:2023-08"``, ``("2023-09-01", "2023-10-01")`` -> ``"2023-09"``.

    Raises
    ------
    ValueError
        A side is missing or not an ISO date.
    """
    if not date_from or not date_to:
        raise ValueError("period_text needs a start and an end")
    a, b = date.fromisoformat(str(date_from)[:10]), date.fromisoformat(str(date_to)[:10])
    last = b - timedelta(days=1)
    if a.month == 1 and a.day == 1 and b.month == 1 and b.day == 1:
        return f"{a.year:04d}" if last.year == a.year else f"{a.year:04d}:{last.year:04d}"
    if a.day == 1 and b.day == 1:
        first_m, last_m = f"{a.year:04d}-{a.month:02d}", f"{last.year:04d}-{last.month:02d}"
        return first_m if first_m == last_m else f"{first_m}:{last_m}"
    return f"{a.isoformat()}:{b.isoformat()}"


def equal_halves(first_year: int, last_year: int) -> tuple[tuple[str, str], tuple[str, str], int | None]:
    """Two consecutive periods of equal whole years ending with ``last_year``, for "change from A
    to B" tables (a comparison over unequal lengths builds in a change: 6 years against 5 is +20 %).

    Parameters
    ----------
    first_year, last_year : int
        Inclusive calendar years; ``last_year > first_year``.

    Returns
    -------
    (period_a, period_b, dropped)
        Half-open ``(from, to)`` ISO day pairs of ``n // 2`` years each (``n`` the years given),
        B the later; ``dropped`` is the first year when ``n`` is odd (left out of both), else None.

    Raises
    ------
    ValueError
        Fewer than two years.
    """
    first_year, last_year = int(first_year), int(last_year)
    n = last_year - first_year + 1
    if n < 2:
        raise ValueError("comparing two halves needs at least two years")
    half = n // 2
    a0, b0 = last_year - 2 * half + 1, last_year - half + 1
    return ((f"{a0:04d}-01-01", f"{b0:04d}-01-01"), (f"{b0:04d}-01-01", f"{last_year + 1:04d}-01-01"),
            first_year if n % 2 else None)


def _day(d) -> date | None:
    """A date-like value (date, datetime, pandas Timestamp, ISO text) as a date; None for None,
    NaN or NaT."""
    if d is None or d != d:   # NaN and NaT are not equal to themselves
        return None
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return date.fromisoformat(str(d)[:10])


def covers(first_date, start, last_date=None, end=None) -> bool:
    """Whether a source's data cover a period: its first record is on or before the period's first
    day and, when ``end`` is given, its last on or after the period's last day (UTC days).

    The one rule of every comparison of two periods (Trends' key figures and breakdowns, the
    Overview's 12 months before, the Borders page's change per stretch): a period the data do not
    cover is missing, not 0, and has no change.

    Parameters
    ----------
    first_date, last_date : date-like or None
        The source's first and last event dates; None or NaT when it has none.
    start : date-like
        First day of the period (inclusive).
    end : date-like, optional
        End of the period (exclusive); without it only the start is checked.

    Returns
    -------
    bool
    """
    first, lo = _day(first_date), _day(start)
    if first is None or lo is None or first > lo:
        return False
    if end is None:
        return True
    last = _day(last_date)
    return last is not None and last >= _day(end) - timedelta(days=1)
