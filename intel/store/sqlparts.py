"""Shared SQL pieces of the analyses: event counts, period conditions, incident ids.

Part of :mod:`intel.store`, read by every analysis that counts events. An *event* is a distinct
(source, incident key) pair, counted exactly and fast by :func:`events_sql` once
:func:`refresh_incidents` has set ``incident_id`` and ``incident_multi``; :func:`period_sql`
gives the parameterised conditions of a half-open period of UTC days; :data:`NON_SPATIAL` lists
the statuses that count in non-spatial totals.
"""
from __future__ import annotations

import duckdb
import pandas as pd

NON_SPATIAL = ("accepted", "unlocated")
"""Event statuses counted by non-spatial totals (trends, counts by country)."""


def refresh_incidents(con: duckdb.DuckDBPyConnection) -> None:
    """Set ``incident_id`` (hash of source and incident key) and ``incident_multi`` after rows
    were added. Event counts are then ``count(*)`` over single-row incidents plus
    ``count(DISTINCT incident_id)`` over the others (:data:`EVENTS_SQL`), which is exact and
    avoids a distinct count over every row."""
    con.execute("UPDATE events SET incident_id = hash(source, incident_key), incident_multi = false "
                "WHERE incident_id IS NULL")
    con.execute("""UPDATE events SET incident_multi = true
                   WHERE NOT incident_multi AND incident_id IN (
                       SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) > 1)""")


MULTI_EVENTS_SQL = "count(DISTINCT coalesce({a}incident_id, hash({a}source, {a}incident_key)))"
"""Distinct incidents among rows of incidents of several rows (or not yet refreshed)."""
EVENTS_SQL = ("(count(*) FILTER (WHERE {a}incident_multi = false) + "
              + MULTI_EVENTS_SQL + " FILTER (WHERE {a}incident_multi IS NOT false))")
"""Number of distinct incidents among the grouped rows (``{a}`` is an alias prefix like ``e.``).
Rows not yet refreshed (``incident_multi`` NULL) take the exact distinct path."""


def events_sql(alias: str = "", where: str | None = None) -> str:
    """:data:`EVENTS_SQL` for rows with the column prefix ``alias`` (e.g. ``'e.'``), counting only
    the rows that also satisfy the SQL condition ``where`` when given.

    An incident is its (source, incident key): two agencies' files that both number their
    records 1, 2, 3 are different incidents (a plain ``count(DISTINCT incident_key)`` would
    merge them)."""
    if not where:
        return EVENTS_SQL.format(a=alias)
    a = alias
    return (f"(count(*) FILTER (WHERE {a}incident_multi = false AND ({where})) + "
            f"{MULTI_EVENTS_SQL.format(a=a)} FILTER (WHERE {a}incident_multi IS NOT false AND ({where})))")


def period_sql(column: str, date_from=None, date_to=None) -> tuple[list[str], list]:
    """SQL conditions of the half-open period ``[date_from, date_to)`` of UTC calendar days.

    Parameters
    ----------
    column : str
        Trusted SQL expression of a DATE or TIMESTAMP column, e.g. ``'e.event_date'`` (never
        user input).
    date_from, date_to : str, date or Timestamp, optional
        ISO ``'YYYY-MM-DD'`` strings are passed as given; dates and Timestamps as their UTC
        day. Missing (None, empty, NaN/NaT) means no bound.

    Returns
    -------
    (list of str, list)
        Conditions to AND with others, and their parameters in order.
    """
    parts: list[str] = []
    params: list = []
    for value, op in ((date_from, ">="), (date_to, "<")):
        if value is None or (isinstance(value, str) and not value):
            continue
        if not isinstance(value, str):
            if pd.isna(value):
                continue
            value = pd.Timestamp(value).date().isoformat()
        parts.append(f"{column} {op} CAST(? AS DATE)")
        params.append(value)
    return parts, params
