"""Overview for managers: what the store holds and what changed against the previous period.

One analysis, :func:`overview`, returns the figures of the Overview page:

* totals per source and kind (events, firearms, rounds, first and last date);
* quarantine outcomes (rows quarantined and rejected at import);
* per source, events in its own last 12 months against the 12 months before;
* per place, the same comparison, the 20 places with the largest change first.

Events are counted with the store's one definition of an event (:func:`intel.store.events_sql`:
an incident is its source and incident key). Records counted are the ``accepted`` ones, as on
every other page, map and PDF (one event count everywhere); ``unlocated`` records (real seizures
whose only fault is their location) are listed in the quarantine and counted there.

Periods: each source is compared over its own latest 24 months, ending at its last event date
``hi``: the last 12 months are ``(hi - 12 months, hi]``, the previous 12 months
``(hi - 24 months, hi - 12 months]`` (calendar months, UTC days).

Who sees what: the analysis reads ``events`` and ``quarantine`` by name, so on a user's
restricted cursor (:func:`intel.auth.apply_visibility`) it sees only what that user may see.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from intel.queries import quarantine_outcomes
from intel.store import events_sql
from intel.trends import NO_EARLIER_DATA, NOT_RECORDED_TEXT, unrecorded_as_nan

__all__ = ["Overview", "overview", "totals_by_source", "change_by_source", "change_by_place", "COUNTED",
           "totals_display", "change_display", "places_display"]

COUNTED = "status = 'accepted'"
"""Records the Overview counts."""

LAST_12M = "e.event_date > hi - INTERVAL 12 MONTH"
PREV_12M = "e.event_date <= hi - INTERVAL 12 MONTH AND e.event_date > hi - INTERVAL 24 MONTH"
PREV_COVERED = "lo <= hi - INTERVAL 24 MONTH + INTERVAL 1 DAY"
"""The source's data reach back over the whole of its previous 12 months (its first date at most
the first day of that window), so its two periods compare equal lengths: the rule of
:func:`intel.periods.covers`, in SQL (each source's window ends at its own last date)."""


@dataclass(frozen=True)
class Overview:
    """The Overview page's figures.

    Attributes
    ----------
    events, firearms : int
        Events (store definition) and firearms over every counted record.
    quarantined, rejected : int
        Rows the imports put in the quarantine, by outcome.
    totals : pandas.DataFrame
        :func:`totals_by_source`.
    by_source : pandas.DataFrame
        :func:`change_by_source`.
    by_place : pandas.DataFrame
        :func:`change_by_place`.
    """
    events: int
    firearms: int
    quarantined: int
    rejected: int
    totals: pd.DataFrame
    by_source: pd.DataFrame
    by_place: pd.DataFrame


def totals_by_source(con) -> pd.DataFrame:
    """Events, firearms and rounds per source and kind.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``kind``, ``events`` (int), ``firearms``, ``ammunition`` (float, rounds;
        0 when none, NaN when the source records no such count: :func:`intel.trends.unrecorded_as_nan`,
        e.g. Toronto's discharge incidents carry no firearm count), ``first``, ``last`` (dates),
        sorted by source then kind.
    """
    df = con.execute(f"""
        SELECT source, kind, {events_sql()} AS events, sum(firearms) AS firearms,
               sum(ammunition) AS ammunition, min(event_date) AS first, max(event_date) AS last
        FROM events WHERE {COUNTED} GROUP BY source, kind ORDER BY source, kind""").df()
    return unrecorded_as_nan(df, "source")


def _count_text(v) -> str:
    return NOT_RECORDED_TEXT if pd.isna(v) else f"{v:,.0f}"


def totals_display(tot: pd.DataFrame) -> pd.DataFrame:
    """:func:`totals_by_source` as shown: firearms and rounds as text, ``"not recorded"``
    (:data:`intel.trends.NOT_RECORDED_TEXT`) where the source records no such count, never 0.

    Returns
    -------
    pandas.DataFrame
        The same columns; ``firearms`` and ``ammunition`` are strings (``"1,234"``).
    """
    out = tot.copy()
    for c in ("firearms", "ammunition"):
        out[c] = out[c].map(_count_text).astype(object)
    return out


def places_display(by_place: pd.DataFrame) -> pd.DataFrame:
    """:func:`change_by_place` as shown: ``firearms_last_12m`` as text, ``"not recorded"`` where the
    source records no firearm count (Toronto's discharge incidents), never 0.

    Returns
    -------
    pandas.DataFrame
        The same columns; ``firearms_last_12m`` is a string (``"1,234"``).
    """
    out = by_place.copy()
    out["firearms_last_12m"] = out["firearms_last_12m"].map(_count_text).astype(object)
    return out


def change_display(by_source: pd.DataFrame) -> pd.DataFrame:
    """:func:`change_by_source` as shown: the previous 12 months and the change as text,
    ``"no earlier data"`` (:data:`intel.trends.NO_EARLIER_DATA`) where the data do not cover the
    previous 12 months, never an empty cell or None.

    Returns
    -------
    pandas.DataFrame
        The same columns; ``previous_12m`` (``"1,234"``) and ``change_%`` (``"+5.1"``; ``"n/a"``
        when the previous 12 months hold no event) are strings.
    """
    out = by_source.copy()
    missing = out["previous_12m"].isna()
    out["previous_12m"] = [NO_EARLIER_DATA if m else f"{int(v):,}" for m, v in zip(missing, out["previous_12m"])]
    out["change_%"] = [NO_EARLIER_DATA if m else ("n/a" if pd.isna(v) else f"{v:+.1f}")
                       for m, v in zip(missing, out["change_%"])]
    return out.astype({"previous_12m": object, "change_%": object})


def change_by_source(con) -> pd.DataFrame:
    """Per source, events in its last 12 months against the 12 months before.

    The two periods are equal lengths only when the source's data cover the whole of the
    previous 12 months (:data:`PREV_COVERED`); otherwise (a register of one quarter, one that
    began within the two years) the previous count is missing, not 0, and so is the change.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``last_12m``, ``previous_12m`` (events; missing when the data do
        not cover the previous 12 months), ``data_from``, ``data_until`` (the source's first and
        last event dates) and ``change_%`` (percent, 1 decimal; NaN when the previous 12 months
        are missing or hold no event), sorted by source.
    """
    df = con.execute(f"""
        WITH last AS (SELECT source, min(event_date) AS lo, max(event_date) AS hi FROM events WHERE {COUNTED}
                      GROUP BY source)
        SELECT e.source,
               {events_sql("e.", LAST_12M)} AS last_12m,
               CASE WHEN any_value({PREV_COVERED}) THEN {events_sql("e.", PREV_12M)} END AS previous_12m,
               any_value(lo) AS data_from, any_value(hi) AS data_until
        FROM events e JOIN last USING (source) WHERE e.{COUNTED} GROUP BY e.source ORDER BY e.source""").df()
    df["previous_12m"] = df["previous_12m"].astype("Int64")
    prev = df["previous_12m"].astype(float).where(df["previous_12m"].astype(float) > 0)
    df["change_%"] = ((df["last_12m"] - prev) / prev * 100).astype(float).round(1)
    return df


def change_by_place(con, limit: int = 20) -> pd.DataFrame:
    """Places with the largest change in events, last 12 months of their source against the 12 before.

    A place is ``coalesce(location_name, unit, country_iso3)`` within its source (Toronto
    neighbourhoods, CBP Areas of Responsibility, countries). Sources whose data do not cover their
    whole previous 12 months (:data:`PREV_COVERED`) or hold no event there are left out, as their
    change is missing in :func:`change_by_source`: such a source began within the period, so every
    place's "change" would be its start.

    Parameters
    ----------
    limit : int
        Number of places returned (>= 0).

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``place``, ``last_12m``, ``previous_12m`` (events),
        ``firearms_last_12m`` (NaN when the source records no firearm count, as
        :func:`intel.trends.unrecorded_as_nan`), ``change`` (last minus previous, events); largest absolute
        change first, ties by ``last_12m`` descending then source and place.

    Raises
    ------
    ValueError
        When ``limit`` is negative.
    """
    if int(limit) < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")
    return con.execute(f"""
        WITH last AS (SELECT source, min(event_date) AS lo, max(event_date) AS hi,
                             count(firearms) > 0 AS firearms_recorded
                      FROM events WHERE {COUNTED} GROUP BY source),
        per AS (
            SELECT e.source, coalesce(e.location_name, e.unit, e.country_iso3) AS place,
                   {events_sql("e.", LAST_12M)} AS last_12m,
                   {events_sql("e.", PREV_12M)} AS previous_12m,
                   CASE WHEN any_value(firearms_recorded)
                        THEN coalesce(sum(firearms) FILTER (WHERE {LAST_12M}), 0) END AS firearms_last_12m
            FROM events e JOIN last USING (source)
            WHERE e.{COUNTED} AND e.event_date > hi - INTERVAL 24 MONTH
            GROUP BY 1, 2)
        SELECT *, last_12m - previous_12m AS change FROM per
        WHERE source IN (SELECT source FROM per GROUP BY source HAVING sum(previous_12m) > 0)
          AND source IN (SELECT source FROM last WHERE {PREV_COVERED})
        ORDER BY abs(last_12m - previous_12m) DESC, last_12m DESC, source, place LIMIT ?""", [int(limit)]).df()


def overview(con, places: int = 20) -> Overview:
    """Every figure of the Overview page in one call.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection or (restricted) cursor on the store.
    places : int
        Number of places in :attr:`Overview.by_place`.

    Returns
    -------
    Overview
    """
    tot = totals_by_source(con)
    q = quarantine_outcomes(con)
    return Overview(
        events=int(tot["events"].sum()) if len(tot) else 0,
        firearms=int(tot["firearms"].sum(skipna=True)) if len(tot) else 0,
        quarantined=int(q.loc[q["outcome"] == "quarantined", "n"].sum()),
        rejected=int(q.loc[q["outcome"] == "rejected", "n"].sum()),
        totals=tot,
        by_source=change_by_source(con),
        by_place=change_by_place(con, places),
    )
