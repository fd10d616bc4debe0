"""CBP split: CBP seizures by border region, direction and ports vs between-port sectors.

:func:`cbp_split` splits the CBP records into Southwest vs Northern border (and
Central/Coastal/Other), inbound vs outbound, and ports of entry vs between-port sectors; the
region comes from the ``events`` column, the raw record, or the Area of Responsibility ->
Region table of the bundled CBP file (:func:`cbp_region_table`). :func:`cbp_split_summary`
totals the split by each dimension.
"""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from intel.borders.common import CBP_CSV
from intel.store import period_sql

CBP_SOURCE = "cbp_weapons_seizures"
_EVENT_COLS = {"region", "admin1", "item_description", "location_name", "unit", "criminal_context", "seizing_agency",
               "transport_mode", "kind", "category"}


@functools.lru_cache(maxsize=1)
def cbp_region_table(path: str = str(CBP_CSV)) -> dict[str, str]:
    """Area of Responsibility -> CBP Region, from the bundled CBP file (41 areas, each in one region)."""
    p = Path(path)
    if not p.exists():
        return {}
    d = pd.read_csv(p, usecols=["Region", "Area of Responsibility"], dtype=str).dropna().drop_duplicates()
    return dict(zip(d["Area of Responsibility"].str.strip(), d["Region"].str.strip()))


def _events_columns(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'events'").fetchall()}


def cbp_split(con, region_column: str | None = "region", source: str = CBP_SOURCE, date_from: str | None = None,
              date_to: str | None = None, include_quarantined: bool = False) -> pd.DataFrame:
    """CBP seizures split by border region, direction and ports vs between-port sectors.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    region_column : str, optional
        ``events`` column that holds the CBP Region ('Southwest Border', 'Northern Border',
        'Central/Coastal/Other'); default ``'region'`` (filled by the CBP import profile).
        Where that column is absent or empty, ``raw ->> 'Region'`` is tried, then the region
        of the Area of Responsibility (``unit``, then ``location_name``) looked up in the
        bundled CBP file (:func:`cbp_region_table`).
    source : str
        ``events.source`` of the CBP records.
    date_from, date_to : str, optional
        Half-open period.
    include_quarantined : bool
        Count quarantined records too (the split needs no coordinates).

    Returns
    -------
    pandas.DataFrame
        Columns ``region``, ``direction`` ('inbound', 'outbound', or 'not stated' for CBP
        'OTHER', which is every Border Patrol record), ``setting`` ('ports of
        entry' for ``place_type`` 'port of entry', 'between ports' for 'border area', else
        'other'), ``events`` (distinct incidents), ``records``, ``firearms``.

    Raises
    ------
    ValueError
        For a ``region_column`` that is not a known text column of ``events``.
    """
    if region_column is not None and region_column not in _EVENT_COLS:
        raise ValueError(f"region_column must be one of {sorted(_EVENT_COLS)}")
    parts = ["source = ?"]
    params: list = [source]
    if not include_quarantined:
        parts.append("status = 'accepted'")
    period, period_params = period_sql("event_date", date_from, date_to)
    parts += period
    params += period_params
    if region_column is not None and region_column not in _events_columns(con):
        region_column = None
    region_sql = f"{region_column}" if region_column else "NULL"
    df = con.execute(
        f"""SELECT incident_key, lower(direction) AS direction, place_type, unit, location_name,
                   coalesce(firearms, 0) AS firearms, {region_sql} AS region_col,
                   json_extract_string(raw, '$.Region') AS region_raw
            FROM events WHERE {' AND '.join(parts)}""", params).df()
    table = cbp_region_table()
    known = set(table.values())
    region = df["region_col"].where(df["region_col"].isin(known)) if region_column else pd.Series([None] * len(df))
    region = region.fillna(df["region_raw"].where(df["region_raw"].isin(known)))
    region = region.fillna(df["unit"].map(table)).fillna(df["location_name"].map(table)).fillna("unknown")
    df["region"] = region
    df["direction"] = df["direction"].fillna("not stated")
    df["setting"] = np.select([df["place_type"] == "port of entry", df["place_type"] == "border area"],
                              ["ports of entry", "between ports"], "other")
    if df.empty:
        return pd.DataFrame(columns=["region", "direction", "setting", "events", "records", "firearms"])
    out = (df.groupby(["region", "direction", "setting"], dropna=False)
             .agg(events=("incident_key", "nunique"), records=("incident_key", "size"), firearms=("firearms", "sum"))
             .reset_index().sort_values(["region", "direction", "setting"]).reset_index(drop=True))
    return out


def cbp_split_summary(split: pd.DataFrame) -> pd.DataFrame:
    """Totals of :func:`cbp_split` by region, by direction and by setting (one table, ``dimension`` column).

    Note: distinct incidents are summed across groups, so an incident with items in two groups
    counts in each.
    """
    rows = []
    for dim in ("region", "direction", "setting"):
        t = split.groupby(dim, dropna=False)[["events", "records", "firearms"]].sum().reset_index()
        t = t.rename(columns={dim: "value"})
        t.insert(0, "dimension", dim)
        rows.append(t)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
