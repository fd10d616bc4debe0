"""Trends for managers: series, period comparisons (KPIs), the "where" of a change, country
context from the UNODC questionnaire, and the time steps of the map playback.

Overview
--------
Everything here is a pure function of a DuckDB connection (and plain values) returning a
pandas DataFrame with documented columns; the Trends page, the briefing PDF
(:mod:`intel.briefing`) and the CLI call the same functions, so a figure on the page can be
reproduced from the command line.

Counting rules (the same as :mod:`intel.hexbin`): accepted records only; *events* are
distinct (source, incident key) pairs, *firearms* ``sum(firearms)``, *ammunition* ``sum(ammunition)``
(rounds). Dates are UTC calendar days and every period is half-open ``[from, to)``.

Series (:func:`series`)
    Counts per week (ISO, starting Monday), month, quarter or year, optionally by a dimension
    (:data:`DIMENSIONS`: kind, category, firearm type, country, region, direction, source,
    unit). Periods without records inside a group's own first-to-last span are filled with
    zeros (a real zero); periods outside that span are *not* filled (the source did not cover
    them, which is not the same as nothing happening).

KPIs with period comparisons (:func:`kpis`)
    One row per source, comparison and measure. The *as-of* date is the latest date in the
    filtered data of that source (not today's date): a source that ends in mid-2024 is
    compared on its own last days. Three comparisons:

    * ``last 28 days`` - ``[as_of - 27 d, as_of]`` against the 28 days before;
    * ``year to date`` - ``[1 Jan, as_of]`` against the same days of the year before;
    * ``year over year`` - the 12 months up to ``as_of`` against the 12 months before.

    A source whose dates are only months (``date_precision`` ``month``, e.g. CBP, dated to the
    first of the month) cannot support a 28-day window: every record would sit on the 1st, so
    a window boundary cuts whole months in or out. For such sources the comparison becomes
    ``last month`` (the latest whole month against the month before) and the other two are
    taken on whole months; the ``note`` column says so. A comparison whose previous period
    starts before the source's first record is marked ``covered = False`` and gets no change
    in %.

Where (:func:`kpi_breakdown`)
    The same comparison split by a dimension, sorted by the size of the change: which
    region, unit or category made the total go up or down.

Country context (:mod:`intel.country_context`, re-exported here)
    UNODC's country-year figures and the store's own registers, for the country context table
    and the KAFO / Trigger country groups.

Playback (:func:`playback_steps`)
    The week or month steps of a period, each a half-open ``[step_from, step_to)``, so the map
    can step through time while keeping every other filter.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from intel.hexbin import Filters
from intel.periods import covers, inclusive_end
from intel.store import events_sql
from intel.country_context import (KAFO, LOCATION_CATEGORIES, TRIGGER_DEFAULT, UNODC_CITATION,  # noqa: F401
                                   country_context, country_coverage, country_group_totals, country_indicator,
                                   register_marking, register_totals)

MEASURES = ("events", "firearms", "ammunition")
"""Measures: distinct incidents, firearms (count), ammunition (rounds)."""

GRAINS = ("week", "month", "quarter", "year")
"""Time grains of :func:`series` (weeks are ISO weeks starting on Monday)."""

DIMENSIONS: dict[str, str] = {
    "kind": "e.kind",
    "category": "e.category",
    "firearm type": "coalesce(e.firearm_type, e.category)",
    "country": "e.country_iso3",
    "region": "e.region",
    "direction": "e.direction",
    "source": "e.source",
    "unit": "e.unit",
}
"""Breakdown dimensions and their SQL expressions (trusted text, never user input).
``unit`` is the agency unit: a Toronto police division or a CBP area of responsibility."""

NOT_RECORDED = "(not recorded)"
"""Group label for records without a value in the breakdown dimension."""

NOT_RECORDED_TEXT = "not recorded"
"""How a measure a source never records is printed (on the Overview, the Trends page and the briefing):
never as 0. The rule is :func:`unrecorded_as_nan` (the same as ``This source does not record ...``
of :func:`kpis`)."""

NO_EARLIER_DATA = "no earlier data"
"""How a previous period the source's data do not cover (:func:`covers`) is printed: never as 0."""

COMPARISONS = ("last 28 days", "year to date", "year over year")

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------

def _dim_sql(by: str | None) -> str:
    if by is None:
        return "'all'"
    if by not in DIMENSIONS:
        raise ValueError(f"breakdown must be one of {sorted(DIMENSIONS)}, got {by!r}")
    return f"coalesce(CAST({DIMENSIONS[by]} AS VARCHAR), '{NOT_RECORDED}')"


def _ts(d) -> pd.Timestamp:
    return pd.Timestamp(d).normalize()


def _iso(d) -> str:
    return pd.Timestamp(d).date().isoformat()


def period_start(d, grain: str) -> pd.Timestamp:
    """Start of the ``grain`` period that contains day ``d`` (weeks start on Monday)."""
    t = _ts(d)
    if grain == "week":
        return t - pd.Timedelta(days=t.weekday())
    if grain == "month":
        return t.replace(day=1)
    if grain == "quarter":
        return t.replace(day=1, month=3 * ((t.month - 1) // 3) + 1)
    if grain == "year":
        return t.replace(day=1, month=1)
    raise ValueError(f"grain must be one of {GRAINS}")


def next_period(start, grain: str) -> pd.Timestamp:
    """Start of the period after the one starting at ``start``."""
    t = _ts(start)
    return {"week": t + pd.Timedelta(days=7), "month": t + pd.DateOffset(months=1),
            "quarter": t + pd.DateOffset(months=3), "year": t + pd.DateOffset(years=1)}[grain]


def unrecorded_as_nan(df: pd.DataFrame, by, measures=("firearms", "ammunition")) -> pd.DataFrame:
    """Measures summed in SQL (``sum`` is NULL when no record carries the measure) with the rule
    "this source does not record ...": a group of ``by`` where no row carries the measure keeps NaN
    (not recorded, printed :data:`NOT_RECORDED_TEXT`), other missing values are real zeros.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows with the columns ``by`` and ``measures``.
    by : str or list of str
        The grouping (e.g. ``'source'``): whether a measure is recorded is decided per group.
    measures : sequence of str
        Measure columns.

    Returns
    -------
    pandas.DataFrame
        A copy with each measure as float: NaN where the group never records it, else the value or 0.
    """
    out = df.copy()
    keys = [out[b] for b in ([by] if isinstance(by, str) else by)]
    for m in measures:
        v = out[m].astype(float)
        if len(out):
            rec = v.notna().groupby(keys).transform("any").astype(bool)
            v = v.where(~rec, v.fillna(0.0))
        out[m] = v
    return out


def comparison_text(current, previous, covered: bool, change_pct=float("nan")) -> str:
    """One comparison as printed: ``"1,296 vs 2,360 (-45.1 %)"``, ``"5,672 (no earlier data)"``
    when the data do not cover the previous period (:func:`covers`) and hold nothing there,
    ``"9,173 vs 12 (earlier data incomplete)"`` when they cover only part of it, or
    :data:`NOT_RECORDED_TEXT` when ``current`` is missing (the measure is not recorded).

    Parameters
    ----------
    current, previous : float
        Counts (events, firearms or rounds); NaN when not recorded.
    covered : bool
        The data cover the previous period (:func:`covers`).
    change_pct : float
        Change in % (NaN when not computable: printed ``n/a``).

    Returns
    -------
    str
    """
    if current is None or pd.isna(current):
        return NOT_RECORDED_TEXT
    if not covered:
        if previous is None or pd.isna(previous) or previous == 0:
            return f"{current:,.0f} ({NO_EARLIER_DATA})"
        return f"{current:,.0f} vs {previous:,.0f} (earlier data incomplete)"
    pct = "n/a" if change_pct is None or pd.isna(change_pct) else f"{change_pct:+.1f} %"
    return f"{current:,.0f} vs {previous:,.0f} ({pct})"


def _without_period(filters: Filters | None) -> Filters:
    return replace(filters or Filters(), date_from=None, date_to=None)


# --------------------------------------------------------------------------------------
# series
# --------------------------------------------------------------------------------------

def series(con, grain: str = "month", by: str | None = None, filters: Filters | None = None,
           fill: bool = True) -> pd.DataFrame:
    """Events, firearms and ammunition per period, optionally by a dimension.

    Parameters
    ----------
    con : DuckDB connection to the store.
    grain : {'week', 'month', 'quarter', 'year'}
        Period length; weeks are ISO weeks starting on Monday.
    by : str, optional
        A key of :data:`DIMENSIONS`; ``None`` gives one group ``'all'``.
    filters : intel.hexbin.Filters, optional
        Record filters; dates are the half-open period [date_from, date_to) of UTC days.
    fill : bool
        Fill periods without records with zeros, within each group's own first-to-last span.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (Timestamp, first day), ``period_end`` (Timestamp, exclusive),
        ``group`` (str), ``events`` (int, distinct incidents), ``firearms`` (float, count),
        ``ammunition`` (float, rounds), ``records`` (int); sorted by group and period.
        ``firearms`` / ``ammunition`` are NaN for a group whose records never carry that
        measure (not recorded, which is not zero).
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    where, params = (filters or Filters()).where("e")
    dim = _dim_sql(by)
    df = con.execute(
        f"""SELECT date_trunc('{grain}', e.event_date)::DATE AS period, {dim} AS "group",
                   {events_sql("e.")} AS events, sum(e.firearms) AS firearms,
                   sum(e.ammunition) AS ammunition, count(*) AS records
            FROM events e WHERE {where} AND e.event_date IS NOT NULL
            GROUP BY 1, 2 ORDER BY 2, 1""", params).df()
    # a measure a group never records (Toronto incidents carry no firearm count) stays NaN;
    # otherwise a period without it is a zero
    df = unrecorded_as_nan(df, "group")
    cols = ["period", "period_end", "group", *MEASURES, "records"]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("firearms", "ammunition") else "object")
                             for c in cols})
    df["period"] = pd.to_datetime(df["period"])
    if fill:
        parts = []
        for g, d in df.groupby("group", sort=True):
            idx = [d["period"].min()]
            while idx[-1] < d["period"].max():
                idx.append(next_period(idx[-1], grain))
            full = pd.DataFrame({"period": idx})
            d = full.merge(d, on="period", how="left")
            d["group"] = g
            parts.append(d)
        df = pd.concat(parts, ignore_index=True)
        for c in ("events", "records"):
            df[c] = df[c].fillna(0)
        df = unrecorded_as_nan(df, "group")
    df["events"] = df["events"].astype("int64")
    df["records"] = df["records"].astype("int64")
    df["period_end"] = [next_period(p, grain) for p in df["period"]]
    return df[cols].sort_values(["group", "period"]).reset_index(drop=True)


def top_groups(df: pd.DataFrame, measure: str = "events", n: int = 8) -> list[str]:
    """The ``n`` groups of a :func:`series` table with the largest total ``measure``."""
    tot = df.groupby("group")[measure].sum().sort_values(ascending=False)
    return [str(g) for g in tot.index[:n]]


def small_multiples(con, by: str, grain: str = "month", measure: str = "events",
                    filters: Filters | None = None, n: int = 8) -> pd.DataFrame:
    """Long table for small multiples: one panel per group, the ``n`` largest groups.

    Returns
    -------
    pandas.DataFrame
        Columns ``period`` (Timestamp), ``group`` (str), ``value`` (float, the ``measure``:
        events, firearms or rounds of ammunition), ``share`` (float, the group's share of
        the period's total over the shown groups, 0-1); groups outside the top ``n`` are
        left out (the table says which groups it holds, nothing is lumped).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    s = series(con, grain, by, filters)
    if s.empty:
        return pd.DataFrame(columns=["period", "group", "value", "share"])
    keep = top_groups(s, measure, n)
    s = s[s["group"].isin(keep)].copy()
    s["value"] = s[measure].astype(float)
    tot = s.groupby("period")["value"].transform("sum")
    s["share"] = np.where(tot > 0, s["value"] / tot.where(tot > 0, 1), 0.0)
    return s[["period", "group", "value", "share"]].reset_index(drop=True)


def date_precision(con, filters: Filters | None = None) -> pd.DataFrame:
    """Date precision of the filtered records per source.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``date_precision`` (coarsest of the source: day < month < year),
        ``first_date``, ``last_date`` (Timestamp), ``records``, ``events``.
    """
    where, params = (filters or Filters()).where("e")
    df = con.execute(
        f"""SELECT e.source,
                   max(CASE coalesce(e.date_precision, 'day') WHEN 'day' THEN 0 WHEN 'day-derived' THEN 0 WHEN 'month' THEN 1 ELSE 2 END) AS p,
                   min(e.event_date) AS first_date, max(e.event_date) AS last_date,
                   count(*) AS records, {events_sql("e.")} AS events
            FROM events e WHERE {where} AND e.event_date IS NOT NULL GROUP BY e.source ORDER BY e.source""",
        params).df()
    df["date_precision"] = df["p"].map({0: "day", 1: "month", 2: "year"})
    for c in ("first_date", "last_date"):
        df[c] = pd.to_datetime(df[c])
    return df[["source", "date_precision", "first_date", "last_date", "records", "events"]]


# --------------------------------------------------------------------------------------
# KPIs
# --------------------------------------------------------------------------------------

def comparison_periods(as_of, basis: str = "day") -> list[dict]:
    """The current and previous periods of each comparison for an as-of day.

    Parameters
    ----------
    as_of : date-like
        Last day with data (inclusive). With ``basis='month'`` any day of the last month.
    basis : {'day', 'month'}
        ``'month'`` for sources dated to months: comparisons on whole months.

    Returns
    -------
    list of dict
        Keys ``comparison``, ``current_from``, ``current_to``, ``previous_from``,
        ``previous_to`` (Timestamps, half-open [from, to)) and ``note`` (str).
    """
    a = _ts(as_of)
    if basis == "month":
        end = a.replace(day=1) + pd.DateOffset(months=1)
        first = (end - pd.DateOffset(months=1))
        return [
            dict(comparison="last month", current_from=first, current_to=end,
                 previous_from=first - pd.DateOffset(months=1), previous_to=first,
                 note="Dates are months only: a 28-day comparison would be misleading, so the latest whole "
                      "month is compared with the month before."),
            dict(comparison="year to date", current_from=end.replace(month=1, day=1), current_to=end,
                 previous_from=end.replace(month=1, day=1) - pd.DateOffset(years=1),
                 previous_to=end - pd.DateOffset(years=1),
                 note="Whole months from January to the latest month, against the same months a year before."),
            dict(comparison="year over year", current_from=end - pd.DateOffset(years=1), current_to=end,
                 previous_from=end - pd.DateOffset(years=2), previous_to=end - pd.DateOffset(years=1),
                 note="The 12 whole months up to the latest month, against the 12 months before."),
        ]
    if basis != "day":
        raise ValueError("basis must be 'day' or 'month'")
    end = a + pd.Timedelta(days=1)
    jan1 = a.replace(month=1, day=1)
    return [
        dict(comparison="last 28 days", current_from=end - pd.Timedelta(days=28), current_to=end,
             previous_from=end - pd.Timedelta(days=56), previous_to=end - pd.Timedelta(days=28),
             note="The 28 days up to the as-of date, against the 28 days before."),
        dict(comparison="year to date", current_from=jan1, current_to=end,
             previous_from=jan1 - pd.DateOffset(years=1), previous_to=end - pd.DateOffset(years=1),
             note="1 January to the as-of date, against the same days a year before."),
        dict(comparison="year over year", current_from=end - pd.DateOffset(years=1), current_to=end,
             previous_from=end - pd.DateOffset(years=2), previous_to=end - pd.DateOffset(years=1),
             note="The 12 months up to the as-of date, against the 12 months before."),
    ]


def _totals(con, filters: Filters, date_from, date_to, by: str | None = None) -> pd.DataFrame:
    f = replace(filters, date_from=_iso(date_from), date_to=_iso(date_to))
    where, params = f.where("e")
    return con.execute(
        f"""SELECT {_dim_sql(by)} AS "group", {events_sql("e.")} AS events,
                   coalesce(sum(e.firearms), 0) AS firearms, coalesce(sum(e.ammunition), 0) AS ammunition
            FROM events e WHERE {where} GROUP BY 1""", params).df()


def _recorded(con, filters: Filters) -> dict[str, bool]:
    """Whether any filtered record (any date) carries each measure."""
    where, params = _without_period(filters).where("e")
    n_f, n_a = con.execute(f"SELECT count(e.firearms), count(e.ammunition) FROM events e WHERE {where}", params).fetchone()
    return {"events": True, "firearms": bool(n_f), "ammunition": bool(n_a)}


def pct_change(current, previous):
    """Change in % from ``previous`` to ``current``; NaN when ``previous`` is 0 or missing."""
    cur = np.asarray(current, dtype=float)
    prev = np.asarray(previous, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(prev > 0, (cur - prev) / np.where(prev > 0, prev, 1) * 100.0, np.nan)
    return out if out.ndim else float(out)


KPI_COLUMNS = ["source", "date_precision", "as_of", "comparison", "measure", "current_from", "current_to",
               "previous_from", "previous_to", "current", "previous", "change", "change_pct", "covered", "note"]


def kpis(con, filters: Filters | None = None, measures=MEASURES, by_source: bool = True) -> pd.DataFrame:
    """Period comparisons (KPI cards) of the filtered data, per source.

    The as-of day is the latest date of each source's filtered records (inside the filter's
    period when one is set), never today's date. The comparison windows may reach back
    before the filter's ``date_from``: a comparison needs its previous period.

    Parameters
    ----------
    con : DuckDB connection to the store.
    filters : intel.hexbin.Filters, optional
        Record filters; ``date_to`` (exclusive) caps the as-of day, ``date_from`` only limits
        which sources take part (those with records in the period).
    measures : sequence of str
        Among :data:`MEASURES`.
    by_source : bool
        One block of rows per source (default). ``False`` pools all sources; that is only
        meaningful when they share a date precision (the coarsest one is used).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`KPI_COLUMNS`: ``source`` (``'all sources'`` when pooled),
        ``date_precision`` (day or month), ``as_of`` (Timestamp, last day with data),
        ``comparison`` ('last 28 days' or 'last month', 'year to date', 'year over year'),
        ``measure``, the current and previous periods (Timestamps, half-open),
        ``current``, ``previous`` (float: events, firearms or rounds; NaN when the source
        does not record the measure), ``change``
        (current - previous), ``change_pct`` (float %, NaN when not computable),
        ``covered`` (bool: the source's data starts on or before the previous period),
        ``note`` (str).
    """
    filters = filters or Filters()
    prec = date_precision(con, filters)
    rows = []
    if prec.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    base = _without_period(filters)
    base = replace(base, date_to=filters.date_to)
    if by_source:
        blocks = [(r.source, r.date_precision, r.last_date, replace(base, sources=(r.source,)))
                  for r in prec.itertuples()]
    else:
        p = "month" if (prec["date_precision"] != "day").any() else "day"
        blocks = [("all sources", p, prec["last_date"].max(), base)]
    all_first = date_precision(con, _without_period(filters))
    for source, p, as_of, f in blocks:
        basis = "day" if p == "day" else "month"
        firsts = all_first if source == "all sources" else all_first[all_first["source"] == source]
        first = firsts["first_date"].min()
        rec = _recorded(con, f)
        for per in comparison_periods(as_of, basis):
            cur = _totals(con, f, per["current_from"], per["current_to"])
            prv = _totals(con, f, per["previous_from"], per["previous_to"])
            covered = covers(first, per["previous_from"])
            for m in measures:
                c = float(cur[m].sum()) if len(cur) else 0.0
                v = float(prv[m].sum()) if len(prv) else 0.0
                pct = float(pct_change(c, v)) if covered else float("nan")
                note = per["note"]
                if not rec[m]:
                    c = v = pct = float("nan")
                    note = f"This source does not record {m}."
                    rows.append(dict(source=source, date_precision=p, as_of=_ts(as_of), comparison=per["comparison"],
                                     measure=m, current_from=per["current_from"], current_to=per["current_to"],
                                     previous_from=per["previous_from"], previous_to=per["previous_to"],
                                     current=c, previous=v, change=float("nan"), change_pct=pct, covered=covered,
                                     note=note))
                    continue
                if not covered:
                    note += " The data start after the previous period began, so no change in % is given."
                rows.append(dict(source=source, date_precision=p, as_of=_ts(as_of), comparison=per["comparison"],
                                 measure=m, current_from=per["current_from"], current_to=per["current_to"],
                                 previous_from=per["previous_from"], previous_to=per["previous_to"],
                                 current=c, previous=v, change=c - v, change_pct=pct, covered=covered, note=note))
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def kpi_breakdown(con, by: str, comparison: str = "year over year", measure: str = "events",
                  filters: Filters | None = None, source: str | None = None) -> pd.DataFrame:
    """Where the change happened: one comparison of :func:`kpis`, split by a dimension.

    Parameters
    ----------
    by : str
        A key of :data:`DIMENSIONS` (e.g. ``'region'`` or ``'unit'``).
    comparison : str
        A ``comparison`` value of :func:`kpis` ('last 28 days', 'last month', 'year to date',
        'year over year').
    measure : str
        Among :data:`MEASURES`.
    source : str, optional
        Restrict to one source (its own as-of day and date precision are used). Without it
        the first source of :func:`kpis` that offers ``comparison`` is used.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``group``, ``current``, ``previous``, ``change``, ``change_pct``
        (%, NaN when the previous value is 0 or the data do not cover it), ``current_from``, ``current_to``,
        ``previous_from``, ``previous_to``, ``covered`` (bool, :func:`covers`: False when the source's data
        do not reach back over the previous period, so its "change" is only its start); sorted by
        the absolute change, largest first.
    """
    filters = filters or Filters()
    if source is not None:
        filters = replace(filters, sources=(source,))
    k = kpis(con, filters, measures=(measure,))
    k = k[k["comparison"] == comparison]
    cols = ["source", "group", "current", "previous", "change", "change_pct",
            "current_from", "current_to", "previous_from", "previous_to", "covered"]
    if k.empty:
        return pd.DataFrame(columns=cols)
    r = k.iloc[0]
    f = replace(_without_period(filters), sources=(r["source"],))
    cur = _totals(con, f, r["current_from"], r["current_to"], by)[["group", measure]].rename(columns={measure: "current"})
    prv = _totals(con, f, r["previous_from"], r["previous_to"], by)[["group", measure]].rename(columns={measure: "previous"})
    df = cur.merge(prv, on="group", how="outer").fillna({"current": 0.0, "previous": 0.0})
    df["current"] = df["current"].astype(float)
    df["previous"] = df["previous"].astype(float)
    df["change"] = df["current"] - df["previous"]
    df["change_pct"] = pct_change(df["current"], df["previous"]) if r["covered"] else np.nan
    df["source"] = r["source"]
    df["covered"] = bool(r["covered"])
    for c in ("current_from", "current_to", "previous_from", "previous_to"):
        df[c] = r[c]
    df = df.reindex(df["change"].abs().sort_values(ascending=False, kind="stable").index)
    return df[cols].reset_index(drop=True)


def headline(k: pd.DataFrame, comparison: str = "year over year", measure: str = "events") -> list[str]:
    """Plain sentences "more or less than last year" from a :func:`kpis` table.

    Returns one sentence per source, e.g. ``"toronto_tps_shootings: 12 months to 2024-06-30:
    412 events, 8.3 % fewer than the 12 months before (449)."``
    """
    out = []
    unit = {"events": "events", "firearms": "firearms", "ammunition": "rounds of ammunition"}[measure]
    sel = k[(k["comparison"] == comparison) & (k["measure"] == measure)]
    for r in sel.itertuples():
        if pd.isna(r.current):
            out.append(f"{r.source}: does not record {unit}.")
            continue
        asof = (f"latest month in the data: {r.as_of.strftime('%Y-%m')}" if r.date_precision != "day"
                else f"as of {r.as_of.date().isoformat()}, the latest date in the data")
        span = f"12 months to {(r.current_to - pd.Timedelta(days=1)).date().isoformat()}" \
            if comparison == "year over year" else \
            f"{r.current_from.date().isoformat()} to {(r.current_to - pd.Timedelta(days=1)).date().isoformat()}"
        if not r.covered:
            out.append(f"{r.source}: {span}: {r.current:,.0f} {unit}; the data do not reach back far enough "
                       "for a comparison.")
            continue
        if pd.isna(r.change_pct):
            word = "against none" if r.previous == 0 else "unchanged"
            out.append(f"{r.source}: {span}: {r.current:,.0f} {unit} ({word} in the period before).")
            continue
        more = "more" if r.change > 0 else "fewer" if r.change < 0 else "the same number as"
        if measure == "ammunition" and r.change != 0:
            more = "more" if r.change > 0 else "less"
        pct = f"{abs(r.change_pct):.1f} % {more}" if r.change != 0 else "the same as"
        before = "a year before" if r.comparison in ("year to date", "year over year") else "the period before"
        out.append(f"{r.source}: {span}: {r.current:,.0f} {unit}, {pct} than {before} "
                   f"({r.previous:,.0f}); {asof}.")
    return out


# --------------------------------------------------------------------------------------
# playback
# --------------------------------------------------------------------------------------

def playback_steps(date_from, date_to, step: str = "month") -> pd.DataFrame:
    """The week or month steps covering a period.

    Parameters
    ----------
    date_from, date_to : date-like
        Half-open period [date_from, date_to) of UTC days.
    step : {'week', 'month'}
        Weeks start on Monday. The first and last steps are clipped to the period.

    Returns
    -------
    pandas.DataFrame
        Columns ``step_from``, ``step_to`` (ISO date strings, half-open) and ``label``
        (``'2024-03'`` for months, ``'2024-W10 (from 2024-03-04)'`` for weeks).
    """
    if step not in ("week", "month"):
        raise ValueError("step must be 'week' or 'month'")
    lo, hi = _ts(date_from), _ts(date_to)
    rows = []
    s = period_start(lo, step)
    while s < hi:
        e = next_period(s, step)
        a, b = max(s, lo), min(e, hi)
        if step == "month":
            label = s.strftime("%Y-%m")
        else:
            iso = s.isocalendar()
            label = f"{iso[0]}-W{iso[1]:02d} (from {s.date().isoformat()})"
        rows.append(dict(step_from=a.date().isoformat(), step_to=b.date().isoformat(), label=label))
        s = e
    return pd.DataFrame(rows, columns=["step_from", "step_to", "label"])


def data_period(con, filters: Filters | None = None) -> tuple[str | None, str | None]:
    """First day and the day after the last day of the filtered records (half-open, ISO)."""
    where, params = (filters or Filters()).where("e")
    lo, hi = con.execute(f"SELECT min(event_date), max(event_date) FROM events e WHERE {where}", params).fetchone()
    if lo is None:
        return None, None
    return _iso(lo), inclusive_end(_iso(hi))


__all__ = ["MEASURES", "GRAINS", "DIMENSIONS", "KAFO", "TRIGGER_DEFAULT", "LOCATION_CATEGORIES", "series",
           "small_multiples", "date_precision", "comparison_periods", "kpis", "kpi_breakdown", "headline",
           "country_indicator", "country_context", "country_coverage", "country_group_totals",
           "playback_steps", "data_period", "pct_change", "covers", "unrecorded_as_nan", "comparison_text",
           "NOT_RECORDED", "NOT_RECORDED_TEXT", "NO_EARLIER_DATA", "register_totals", "register_marking"]
