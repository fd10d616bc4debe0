"""Linked seizures: the same firearm (serial key) seized in two incidents.

A firearm recovered twice links two incidents that may look isolated: the same serial key
(``events.serial_key``, the normalised match key written at import) in two different
incidents (``incident_key``) is an edge between them. Records are **linked, never merged**:
both incidents keep their own rows, dates and places. The edges of one key are chained in
time order (first seizure -> second -> third ...), so a key seized *k* times gives *k - 1*
directed edges that say which seizure came first; the connected groups (networkx
``connected_components`` on the undirected graph of incidents) are the clusters of
incidents tied together by one or more shared firearms.

Only accepted records are linked. Keys shorter than ``min_key_length`` characters
(default 4) are too generic to link on ("0", "NA", "123") and are ignored. Place of an
incident: the mean of the coordinates of its accepted records (WGS84 degrees); distance
between two seizures: great-circle km on a sphere of radius 6371.0088 km
(:func:`intel.greatcircle.central_angle`).

Where it sits: an analysis. It reads the store and returns plain tables (edges, groups);
:func:`intel.corridors.reseizure_flows` turns the edges into flows, and the renderer
:func:`intel.render.links.links_layer` draws them.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from intel.geodesy import EARTH_RADIUS_KM, central_angle
from intel.serials import placeholder_keys
from intel.store import period_sql

EDGE_COLUMNS = [
    "serial_key", "incident_a", "incident_b", "event_a", "event_b", "date_a", "date_b", "days",
    "source_a", "source_b", "place_a", "place_b", "country_a", "country_b",
    "lat_a", "lon_a", "lat_b", "lon_b", "km",
]
"""Columns of :func:`seizure_links` (``a`` is the earlier seizure, ``b`` the later)."""


def seizure_links(con, date_from=None, date_to=None, min_key_length: int = 4) -> pd.DataFrame:
    """Edges between incidents that share a serial key, chained in time order.

    Parameters
    ----------
    con : duckdb connection to the store.
    date_from, date_to : str or date, optional
        Keep links whose later seizure (``date_b``) lies in ``[date_from, date_to)``.
    min_key_length : int
        Shorter serial keys are ignored.

    Returns
    -------
    pandas.DataFrame
        :data:`EDGE_COLUMNS`; ``days`` is the number of days between the two seizures,
        ``km`` the great-circle distance between their places (NaN without coordinates).
        Sorted by ``serial_key`` then ``date_b``.
    """
    where, params = ["b.rn = a.rn + 1"], [int(min_key_length), placeholder_keys()]
    period, period_params = period_sql("b.d", date_from, date_to)
    where += period
    params += period_params
    sql = f"""
        WITH e AS (
            SELECT serial_key, incident_key, min(event_date) AS d, min(event_id) AS eid,
                   any_value(source) AS src, any_value(location_name) AS place,
                   any_value(country_iso3) AS country, avg(latitude) AS lat, avg(longitude) AS lon
            FROM events
            WHERE status = 'accepted' AND serial_key IS NOT NULL AND length(trim(serial_key)) >= ?
              AND NOT list_contains(?, serial_key)   -- placeholders ('OBLITERATED') stored by older imports
            GROUP BY serial_key, incident_key
        ),
        o AS (
            SELECT *, row_number() OVER (PARTITION BY serial_key ORDER BY d NULLS LAST, incident_key) AS rn,
                   count(*) OVER (PARTITION BY serial_key) AS n
            FROM e
        )
        SELECT a.serial_key, a.incident_key AS incident_a, b.incident_key AS incident_b,
               a.eid AS event_a, b.eid AS event_b, a.d AS date_a, b.d AS date_b,
               date_diff('day', a.d, b.d) AS days, a.src AS source_a, b.src AS source_b,
               a.place AS place_a, b.place AS place_b, a.country AS country_a, b.country AS country_b,
               a.lat AS lat_a, a.lon AS lon_a, b.lat AS lat_b, b.lon AS lon_b
        FROM o a JOIN o b ON a.serial_key = b.serial_key
        WHERE a.n >= 2 AND {' AND '.join(where)}
        ORDER BY a.serial_key, b.d, b.incident_key
    """
    df = con.execute(sql, params).df()
    if df.empty:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    ok = df[["lat_a", "lon_a", "lat_b", "lon_b"]].notna().all(axis=1).to_numpy()
    km = np.full(len(df), np.nan)
    if ok.any():
        km[ok] = central_angle(df.loc[ok, "lat_a"], df.loc[ok, "lon_a"], df.loc[ok, "lat_b"],
                               df.loc[ok, "lon_b"]) * EARTH_RADIUS_KM
    df["km"] = km
    return df[EDGE_COLUMNS].reset_index(drop=True)


def link_graph(edges: pd.DataFrame) -> nx.Graph:
    """Undirected graph of incidents; an edge per linked pair with the serial keys that tie them."""
    g = nx.Graph()
    for r in edges.itertuples(index=False):
        if g.has_edge(r.incident_a, r.incident_b):
            g[r.incident_a][r.incident_b]["serial_keys"].add(r.serial_key)
        else:
            g.add_edge(r.incident_a, r.incident_b, serial_keys={r.serial_key})
    return g


def link_groups(edges: pd.DataFrame) -> pd.DataFrame:
    """Connected groups of linked incidents (networkx ``connected_components``).

    Parameters
    ----------
    edges : pandas.DataFrame
        From :func:`seizure_links`.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group`` (1 = the group with most incidents), ``incidents``
        (count), ``links`` (edges), ``serial_keys`` (count), ``keys`` (comma-separated),
        ``incident_keys`` (comma-separated), ``places``, ``countries`` (comma-separated,
        distinct), ``first_date``, ``last_date``, ``max_km`` (longest link, km).
    """
    cols = ["group", "incidents", "links", "serial_keys", "keys", "incident_keys", "places", "countries",
            "first_date", "last_date", "max_km"]
    if edges is None or edges.empty:
        return pd.DataFrame(columns=cols)
    g = link_graph(edges)
    node_group = {}
    comps = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(map(str, c))))
    for i, comp in enumerate(comps, start=1):
        for n in comp:
            node_group[n] = i
    e = edges.assign(group=edges["incident_a"].map(node_group))
    rows = []
    for i, comp in enumerate(comps, start=1):
        ge = e[e["group"] == i]

        def distinct(*cols_):
            vals = pd.concat([ge[c] for c in cols_]).dropna().astype(str)
            return ", ".join(sorted(set(vals)))

        dates = pd.concat([ge["date_a"], ge["date_b"]]).dropna()
        rows.append({
            "group": i, "incidents": len(comp), "links": len(ge), "serial_keys": ge["serial_key"].nunique(),
            "keys": ", ".join(sorted(ge["serial_key"].astype(str).unique())),
            "incident_keys": ", ".join(sorted(map(str, comp))),
            "places": distinct("place_a", "place_b"), "countries": distinct("country_a", "country_b"),
            "first_date": dates.min() if len(dates) else pd.NaT, "last_date": dates.max() if len(dates) else pd.NaT,
            "max_km": float(ge["km"].max()) if ge["km"].notna().any() else np.nan,
        })
    return pd.DataFrame(rows, columns=cols)


def group_of(edges: pd.DataFrame) -> dict:
    """Map incident key -> group number (as numbered by :func:`link_groups`)."""
    if edges is None or edges.empty:
        return {}
    comps = sorted(nx.connected_components(link_graph(edges)), key=lambda c: (-len(c), min(map(str, c))))
    return {n: i for i, comp in enumerate(comps, start=1) for n in comp}
