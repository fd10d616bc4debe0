"""Flow tables: stored flows, flows derived from events and re-seizure links, filters and sums.

:func:`query_flows` assembles every flow an analysis can use from the store: stored flows
(:func:`stored_flows`: ATF ``source-recovery``, imported ``trace`` results, ``od`` tables),
country-to-country flows of events (:func:`event_flows`) and one flow per re-seizure link
(:func:`reseizure_flows`). :func:`filter_flows` applies the same filters in memory and
:func:`aggregate_flows` sums the weights of each origin-destination pair. Every flow table has
the columns :data:`FLOW_COLUMNS`; periods are half-open ``[period_start, period_end)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.corridors.places import country_points
from intel.export import records_marking
from intel.hexbin import Filters
from intel.links import seizure_links
from intel.store import events_sql, period_sql


FLOW_COLUMNS = [
    "flow_id", "source", "flow_type", "origin", "origin_name", "origin_lat", "origin_lon",
    "destination", "destination_name", "destination_lat", "destination_lon", "weight",
    "period_start", "period_end",
]
"""Columns of every flow table this module returns (dates as ``datetime64``)."""


def _period_clause(date_from, date_to, start="period_start", end="period_end") -> tuple[str, list]:
    parts, params = [], []
    if date_from is not None:
        parts.append(f"{end} > CAST(? AS DATE)")
        params.append(str(date_from))
    if date_to is not None:
        parts.append(f"{start} < CAST(? AS DATE)")
        params.append(str(date_to))
    return (" AND ".join(parts) or "TRUE"), params


def stored_flows(con, date_from=None, date_to=None, flow_types=None) -> pd.DataFrame:
    """Flows of the ``flows`` table overlapping the half-open period ``[date_from, date_to)``.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`.
    """
    where, params = _period_clause(date_from, date_to)
    if flow_types:
        where += f" AND flow_type IN ({', '.join('?' for _ in flow_types)})"
        params += list(flow_types)
    return con.execute(
        f"SELECT {', '.join(FLOW_COLUMNS)} FROM flows WHERE {where} ORDER BY flow_id", params).df()


def event_flows(con, date_from=None, date_to=None) -> pd.DataFrame:
    """Country-to-country flows from accepted events with both ``origin_iso3`` and ``destination_iso3``.

    One flow per (origin, destination, calendar year); ``weight`` is the number of
    firearms (``sum(firearms)``), or the number of distinct incidents when no firearm count
    is recorded. Positions are country representative points (:func:`country_points`);
    pairs whose country has no position are left out. ``flow_type`` is ``od``, ``source``
    ``events:<dataset>``; ``flow_id`` is negative (not stored).

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`.
    """
    parts = ["status = 'accepted'", "origin_iso3 IS NOT NULL", "destination_iso3 IS NOT NULL",
             "event_date IS NOT NULL"]
    params: list = []
    period, period_params = period_sql("event_date", date_from, date_to)
    parts += period
    params += period_params
    df = con.execute(
        f"""SELECT 'events:' || source AS source, origin_iso3 AS origin, destination_iso3 AS destination,
                   year(event_date) AS yr,
                   coalesce(nullif(sum(coalesce(firearms, 0)), 0), {events_sql()}) AS weight
            FROM events WHERE {' AND '.join(parts)}
            GROUP BY ALL ORDER BY ALL""", params).df()
    if df.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    cp = country_points(con).set_index("iso3")
    df = df[df["origin"].isin(cp.index) & df["destination"].isin(cp.index)].reset_index(drop=True)
    if df.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    out = pd.DataFrame({
        "flow_id": -(np.arange(len(df)) + 1),
        "source": df["source"], "flow_type": "od",
        "origin": df["origin"], "origin_name": cp.loc[df["origin"], "name"].values,
        "origin_lat": cp.loc[df["origin"], "latitude"].values, "origin_lon": cp.loc[df["origin"], "longitude"].values,
        "destination": df["destination"], "destination_name": cp.loc[df["destination"], "name"].values,
        "destination_lat": cp.loc[df["destination"], "latitude"].values,
        "destination_lon": cp.loc[df["destination"], "longitude"].values,
        "weight": df["weight"].astype(float),
        "period_start": pd.to_datetime(df["yr"].astype(int).astype(str) + "-01-01"),
        "period_end": pd.to_datetime((df["yr"].astype(int) + 1).astype(str) + "-01-01"),
    })
    return out[FLOW_COLUMNS]


def reseizure_flows(con, date_from=None, date_to=None) -> pd.DataFrame:
    """One flow per re-seizure link: earlier seizure place -> later seizure place, weight 1.

    Links come from :func:`intel.links.seizure_links` (same serial key in two incidents
    at two places; the records are linked, never merged). Links without coordinates on
    both ends are left out. The period is the day of the later seizure.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`; ``flow_type`` ``re-seizure``; ``origin``/``destination`` are
        incident keys; ``flow_id`` negative (not stored).
    """
    links = seizure_links(con, date_from=date_from, date_to=date_to)
    links = links.dropna(subset=["lat_a", "lon_a", "lat_b", "lon_b"])
    if links.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    day = pd.to_datetime(links["date_b"])
    out = pd.DataFrame({
        "flow_id": -(np.arange(len(links)) + 1_000_000_001),
        "source": "re-seizure:" + links["source_b"].astype(str),
        "flow_type": "re-seizure",
        "origin": links["incident_a"].values, "origin_name": links["place_a"].fillna("(unnamed)").values,
        "origin_lat": links["lat_a"].values, "origin_lon": links["lon_a"].values,
        "destination": links["incident_b"].values, "destination_name": links["place_b"].fillna("(unnamed)").values,
        "destination_lat": links["lat_b"].values, "destination_lon": links["lon_b"].values,
        "weight": 1.0,
        "period_start": day.values,
        "period_end": (day + pd.Timedelta(days=1)).values,
    })
    return out[FLOW_COLUMNS].reset_index(drop=True)


FLOW_TYPES = ("source-recovery", "trace", "od", "re-seizure")


def query_flows(con, date_from=None, date_to=None, flow_types=None, origins=None, destinations=None,
                include_events: bool = True, interstate_only: bool = False) -> pd.DataFrame:
    """Every flow overlapping ``[date_from, date_to)``: stored, from events, and re-seizures.

    Parameters
    ----------
    con : duckdb connection to the store.
    date_from, date_to : str or date, optional
        Half-open period (ISO dates, UTC calendar days).
    flow_types : sequence of str, optional
        Subset of :data:`FLOW_TYPES`; default all.
    origins, destinations : sequence of str, optional
        Codes (USPS, ISO3, incident key) or display names to keep.
    include_events : bool
        Add flows derived from events (``od``, ``re-seizure``).
    interstate_only : bool
        Drop flows whose origin equals their destination (e.g. Alabama -> Alabama).

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`, one row per flow.
    """
    types = tuple(flow_types) if flow_types else FLOW_TYPES
    parts = [stored_flows(con, date_from, date_to, [t for t in types if t in ("source-recovery", "trace", "od")])]
    if include_events and "od" in types:
        parts.append(event_flows(con, date_from, date_to))
    if include_events and "re-seizure" in types:
        parts.append(reseizure_flows(con, date_from, date_to))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    df = pd.concat(parts, ignore_index=True)[FLOW_COLUMNS]
    return filter_flows(df, origins=origins, destinations=destinations, interstate_only=interstate_only)


def filter_flows(flows: pd.DataFrame, date_from=None, date_to=None, flow_types=None, origins=None,
                 destinations=None, interstate_only: bool = False) -> pd.DataFrame:
    """Filter a flow table in memory, with the same rules as :func:`query_flows`.

    A flow is kept when its period overlaps ``[date_from, date_to)``; ``origins`` and
    ``destinations`` match codes or display names.
    """
    df = flows
    if date_from is not None:
        df = df[pd.to_datetime(df["period_end"]) > pd.Timestamp(date_from)]
    if date_to is not None:
        df = df[pd.to_datetime(df["period_start"]) < pd.Timestamp(date_to)]
    if flow_types:
        df = df[df["flow_type"].isin(list(flow_types))]
    if origins:
        o = list(origins)
        df = df[df["origin"].isin(o) | df["origin_name"].isin(o)]
    if destinations:
        d = list(destinations)
        df = df[df["destination"].isin(d) | df["destination_name"].isin(d)]
    if interstate_only:
        df = df[df["origin"] != df["destination"]]
    return df.reset_index(drop=True)


def aggregate_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Sum weights per (origin, destination) over the periods given.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``origin_name``, ``origin_lat``, ``origin_lon``, ``destination``,
        ``destination_name``, ``destination_lat``, ``destination_lon``, ``weight``,
        ``periods`` (number of flow rows), ``period_start`` (min), ``period_end`` (max);
        sorted by ``weight`` descending.
    """
    keys = ["origin", "origin_name", "origin_lat", "origin_lon", "destination", "destination_name",
            "destination_lat", "destination_lon"]
    if flows.empty:
        return pd.DataFrame(columns=keys + ["weight", "periods", "period_start", "period_end"])
    g = flows.groupby(keys, as_index=False, dropna=False).agg(
        weight=("weight", "sum"), periods=("weight", "size"),
        period_start=("period_start", "min"), period_end=("period_end", "max"))
    return g.sort_values(["weight", "origin", "destination"], ascending=[False, True, True]).reset_index(drop=True)


def flows_marking(con, flows: pd.DataFrame, date_from=None, date_to=None) -> str:
    """The marking of an export of ``flows`` (a :func:`query_flows` table, or rows of it).

    Stored flows carry their import batch's releasability; flows derived from events (negative
    ``flow_id``) carry the events' markings, so the events of the period count too.

    Parameters
    ----------
    con : DuckDB connection or cursor (the user's view of the store, or unrestricted for the CLI).
    flows : pandas.DataFrame
        Flow rows with a ``flow_id`` column (positive ids are stored flows).
    date_from, date_to : str or date, optional
        The period the flows were queried for (``YYYY-MM-DD``, half-open ``[from, to)``).

    Returns
    -------
    str
        :func:`intel.export.records_marking` of the period's events and the stored flows' batches.
    """
    ids = sorted({int(i) for i in flows["flow_id"].dropna() if int(i) > 0}) if "flow_id" in flows else []
    batches = [r[0] for r in con.execute("SELECT DISTINCT batch_id FROM flows WHERE list_contains(?, flow_id)",
                                         [ids]).fetchall()] if ids else []
    return records_marking(con, Filters(date_from=date_from, date_to=date_to), batches)
