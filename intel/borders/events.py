"""Events near borders: border-zone events, periods and the border ranking.

:func:`border_events` reads the accepted events with coordinates and their border columns
(computed on the fly where the store lacks them), optionally within a border zone. The border
ranking (:func:`border_ranking`) counts events (distinct incidents,
:func:`intel.store.events_sql`) and firearms (``sum(firearms)``) per stretch or per country
pair, inbound and outbound, for a half-open period ``[date_from, date_to)`` and the previous
period of equal length (:func:`default_period`, :func:`previous_period`);
:func:`segment_load` joins it to every stretch for the map.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from intel.borders.common import SEIZURE_KINDS
from intel.borders.distance import border_distance, distance_band
from intel.borders.segments import border_segments
from intel.hexbin import PRECISION_KM, PRECISIONS, uncertainty_sql
from intel.periods import covers, inclusive_end
from intel.store import period_sql

def _zone_precisions(zone_km: float) -> list[str]:
    return [p for p in PRECISIONS if PRECISION_KM[p] < float(zone_km)]


def border_events(con, zone_km: float | None = None, date_from: str | None = None, date_to: str | None = None,
                  sources: tuple[str, ...] = (), precisions: list[str] | None = None,
                  kinds: tuple[str, ...] = (), max_uncertainty_km: float | None = None,
                  uncertainty_below_km: float | None = None) -> pd.DataFrame:
    """Accepted events with coordinates and their border columns, optionally within a zone.

    Border columns missing in the store (NULL ``border_km``) are computed on the fly with
    :func:`border_distance`, so an older store still works.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float, optional
        Keep events with ``border_km <= zone_km`` (geodesic km).
    date_from, date_to : str, optional
        Half-open period [date_from, date_to) of ISO dates.
    sources : tuple of str
        Restrict to these ``events.source`` values.
    precisions : list of str, optional
        Location precisions to keep (default: all).
    kinds : tuple of str
        Restrict to these ``events.kind`` values (default: all).
    max_uncertainty_km, uncertainty_below_km : float, optional
        Keep records whose radius of location uncertainty (their own ``uncertainty_km``, else
        the class radius of their precision, :func:`intel.hexbin.uncertainty_sql`; km) is at
        most / strictly below this many km.

    Returns
    -------
    pandas.DataFrame
        Columns ``event_id``, ``incident_key``, ``incident`` (source and key joined by U+001F: one
        value per incident across sources, what events count), ``source``, ``kind``, ``event_date``, ``latitude``,
        ``longitude``, ``location_precision``, ``location_name``, ``place_type``,
        ``direction`` (lower case), ``unit``, ``country_iso3``, ``firearms`` (0 when NULL),
        ``h3_cell``, ``border_km``, ``border_pair``, ``border_segment``, ``band``,
        ``uncertainty_km`` (the record's radius of location uncertainty,
        :func:`intel.hexbin.uncertainty_sql`).
    """
    parts = ["status = 'accepted'", "latitude IS NOT NULL", "longitude IS NOT NULL"]
    params: list = []
    period, period_params = period_sql("event_date", date_from, date_to)
    parts += period
    params += period_params
    if sources:
        parts.append(f"source IN ({', '.join('?' for _ in sources)})")
        params += list(sources)
    if kinds:
        parts.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params += list(kinds)
    if precisions is not None:
        if not precisions:
            parts.append("FALSE")
        else:
            parts.append(f"location_precision IN ({', '.join('?' for _ in precisions)})")
            params += list(precisions)
    if max_uncertainty_km is not None or uncertainty_below_km is not None:
        if max_uncertainty_km is not None:
            parts.append(f"{uncertainty_sql('')} <= ?")
            params.append(float(max_uncertainty_km))
        if uncertainty_below_km is not None:
            parts.append(f"{uncertainty_sql('')} < ?")
            params.append(float(uncertainty_below_km))
    if zone_km is not None:
        parts.append("(border_km <= ? OR border_km IS NULL)")
        params.append(float(zone_km))
    df = con.execute(
        f"""SELECT event_id, incident_key, source || chr(31) || incident_key AS incident, source, kind, event_date,
                   latitude, longitude, location_precision,
                   location_name, place_type, lower(direction) AS direction, unit, country_iso3,
                   coalesce(firearms, 0) AS firearms, h3_cell, border_km, border_pair, border_segment,
                   {uncertainty_sql('')} AS uncertainty_km
            FROM events WHERE {' AND '.join(parts)}""", params).df()
    miss = df["border_km"].isna().to_numpy()
    if miss.any():
        bd = border_distance(df.loc[miss, "latitude"].to_numpy(), df.loc[miss, "longitude"].to_numpy())
        df["border_pair"] = df["border_pair"].astype(object)
        df["border_segment"] = df["border_segment"].astype(object)
        df.loc[miss, "border_km"] = bd["border_km"].to_numpy()
        df.loc[miss, "border_pair"] = bd["border_pair"].to_numpy()
        df.loc[miss, "border_segment"] = bd["border_segment"].to_numpy()
    if zone_km is not None:
        df = df[df["border_km"] <= float(zone_km)].reset_index(drop=True)
    df["firearms"] = df["firearms"].astype(float)
    df["band"] = distance_band(df["border_km"].to_numpy())
    return df


@dataclass(frozen=True)
class ZoneTotals:
    """Events, firearms and records within a border zone.

    ``events`` counts incidents with the store's one definition of an event (an incident is
    its source and incident key, :func:`intel.store.events_sql`): two sources that both
    number their records ``1, 2, 3`` are different events. ``events``, ``firearms`` and
    ``records`` count the records the border ranking counts (position less uncertain than the
    zone is wide); ``too_coarse`` the records within the zone by their stated position whose
    radius of uncertainty is at least the zone width (counted by no stretch).
    """
    zone_km: float
    events: int
    firearms: float
    records: int
    too_coarse: int = 0


def zone_records(events: pd.DataFrame, zone_km: float) -> tuple[pd.DataFrame, int]:
    """The records of :func:`border_events` that a border zone counts, and how many it leaves out.

    A record is counted when it lies within ``zone_km`` of a border (``border_km <= zone_km``; a
    record of unknown distance is outside) and its radius of location uncertainty is below
    ``zone_km`` (as :func:`border_ranking` with ``uncertainty_below_km=zone_km``): a record placed
    at its Area of Responsibility's headquarters town (CBP, radius 280-470 km) is too coarse to
    say it lies in a 50 km zone. The Borders page's headline (:func:`zone_totals`) and its map's
    event dots both come from these records, so the two always show the same events.

    Parameters
    ----------
    events : pandas.DataFrame
        A frame of :func:`border_events` (columns ``border_km``; ``uncertainty_km`` when
        present, else every record counts as precise enough).
    zone_km : float
        Zone width, geodesic km on WGS84.

    Returns
    -------
    (pandas.DataFrame, int)
        The counted rows of ``events`` (same columns, index reset) and the number of records
        within the zone by their stated position that are too coarse to count.

    Raises
    ------
    ValueError
        When ``zone_km`` is negative or not a number.
    """
    z = float(zone_km)
    if not z >= 0:
        raise ValueError(f"zone width must be 0 km or more, not {zone_km!r}")
    if not len(events):
        return events.reset_index(drop=True), 0
    inside = events[events["border_km"].astype(float) <= z]
    if "uncertainty_km" not in inside:
        return inside.reset_index(drop=True), 0
    precise = inside["uncertainty_km"].astype(float) < z  # as border_ranking(uncertainty_below_km=zone)
    return inside[precise].reset_index(drop=True), int((~precise).sum())


def zone_totals(events: pd.DataFrame, zone_km: float) -> ZoneTotals:
    """Totals of the events of :func:`border_events` that lie within ``zone_km`` of a border,
    counted as :func:`border_ranking` counts them: the records of :func:`zone_records` (a record
    whose radius of location uncertainty is ``zone_km`` or more, such as a CBP position at its
    Area of Responsibility's headquarters town, is counted in ``too_coarse`` only), so the totals
    agree with the stretches' loads and with the event dots of the Borders map.

    Parameters
    ----------
    events : pandas.DataFrame
        A frame of :func:`border_events` (columns ``incident``, ``border_km``, ``firearms``;
        ``uncertainty_km`` when present, else every record counts as precise enough).
    zone_km : float
        Zone width, geodesic km on WGS84 (``border_km <= zone_km``; a record of unknown
        distance is outside).

    Returns
    -------
    ZoneTotals

    Raises
    ------
    ValueError
        When ``zone_km`` is negative or not a number.
    """
    inside, coarse = zone_records(events, zone_km)
    z = float(zone_km)
    if not len(inside):
        return ZoneTotals(z, 0, 0.0, 0, coarse)
    return ZoneTotals(z, int(inside["incident"].nunique()), float(inside["firearms"].fillna(0).sum()), len(inside),
                      coarse)


def default_period(con, days: int = 365) -> tuple[str, str]:
    """The last ``days`` days of data: ``[max(event_date) + 1 - days, max(event_date) + 1)``.

    Returns ISO strings; today's date when the store has no dated events.
    """
    row = con.execute("SELECT max(event_date) FROM events WHERE status = 'accepted'").fetchone()
    end = date.fromisoformat(inclusive_end(row[0] if row and row[0] is not None else date.today()))
    return (end - timedelta(days=days)).isoformat(), end.isoformat()


def previous_period(date_from: str, date_to: str) -> tuple[str, str]:
    """The period of equal length just before the half-open ``[date_from, date_to)``."""
    f, t = date.fromisoformat(str(date_from)), date.fromisoformat(str(date_to))
    if t <= f:
        raise ValueError(f"empty period [{date_from}, {date_to})")
    return (f - (t - f)).isoformat(), f.isoformat()


def _agg(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=keys + ["events", "firearms"])
    return (df.groupby(keys, dropna=False)
              .agg(events=("incident", "nunique"), firearms=("firearms", "sum"))
              .reset_index())


def border_ranking(con, zone_km: float = 50.0, date_from: str | None = None, date_to: str | None = None,
                   by: str = "segment", sources: tuple[str, ...] = (),
                   kinds: tuple[str, ...] = SEIZURE_KINDS) -> pd.DataFrame:
    """Events and firearms per border stretch or per country pair, this period vs the previous.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float
        Events within this geodesic distance of a border (km) count for that border.
        Records whose location precision is as coarse as the zone (admin-1, country) are
        left out.
    date_from, date_to : str, optional
        Half-open period [date_from, date_to); default :func:`default_period`. The previous
        period has the same length and ends at ``date_from``.
    by : {'segment', 'pair'}
    sources : tuple of str
    kinds : tuple of str
        Event kinds counted; default seizures and recoveries (:data:`SEIZURE_KINDS`), so
        that firearm-discharge incidents (Toronto) do not load a border. ``()`` counts all.

    Returns
    -------
    pandas.DataFrame
        One row per stretch (``segment_id``, ``pair``) or pair (``pair``) with events in
        either period; columns ``events``, ``firearms`` (this period), ``events_prev``,
        ``firearms_prev``, ``change`` (events - events_prev), ``change_pct`` (NaN when the
        previous period is 0), ``events_inbound``, ``events_outbound``, ``firearms_inbound``,
        ``firearms_outbound``, ``rank`` (by events, then firearms). ``events_prev``,
        ``firearms_prev``, ``change`` and ``change_pct`` are missing (``<NA>``/NaN, not 0) for a
        row with a record of a source whose data do not cover both periods (:func:`source_cover`):
        a register that begins or ends within them would show its start or end as a change.
        ``attrs`` holds the periods, the number of records left out for coarse precision and
        ``uncovered``: the sources of such rows, each as ``(source, first_date, last_date)``
        (ISO dates of its accepted records).

    Raises
    ------
    ValueError
        For ``by`` other than 'segment' or 'pair', or an empty period.
    """
    if by not in ("segment", "pair"):
        raise ValueError("by must be 'segment' or 'pair'")
    if not date_from or not date_to:
        d_from, d_to = default_period(con)
        date_from, date_to = date_from or d_from, date_to or d_to
    p_from, p_to = previous_period(date_from, date_to)
    precisions = _zone_precisions(zone_km)
    # per record: a position less uncertain than the zone is wide (class radius when none)
    cur = border_events(con, zone_km, date_from, date_to, sources, None, kinds, uncertainty_below_km=zone_km)
    prev = border_events(con, zone_km, p_from, p_to, sources, None, kinds, uncertainty_below_km=zone_km)
    all_cur = border_events(con, zone_km, date_from, date_to, sources, None, kinds)
    keys = ["segment_id", "pair"] if by == "segment" else ["pair"]
    for d in (cur, prev):
        d["segment_id"] = d["border_segment"]
        d["pair"] = d["border_pair"]
    a = _agg(cur, keys)
    b = _agg(prev, keys).rename(columns={"events": "events_prev", "firearms": "firearms_prev"})
    out = a.merge(b, on=keys, how="outer")
    for direction in ("inbound", "outbound"):
        c = _agg(cur[cur["direction"] == direction], keys).rename(
            columns={"events": f"events_{direction}", "firearms": f"firearms_{direction}"})
        out = out.merge(c, on=keys, how="left")
    num = ["events", "firearms", "events_prev", "firearms_prev", "events_inbound", "events_outbound",
           "firearms_inbound", "firearms_outbound"]
    for c in num:
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0)
    for c in ("events", "events_prev", "events_inbound", "events_outbound"):
        out[c] = out[c].astype(int)
    out["change"] = out["events"] - out["events_prev"]
    out["change_pct"] = np.where(out["events_prev"] > 0,
                                 100.0 * out["change"] / out["events_prev"].where(out["events_prev"] > 0, 1), np.nan)
    # a change only where every source of the row's records has data over both periods
    cover = source_cover(con, p_from, date_to)
    bad_sources = set(cover.loc[~cover["covers"], "source"])
    both = pd.concat([cur[keys + ["source"]], prev[keys + ["source"]]], ignore_index=True)
    bad_rows = both[both["source"].isin(bad_sources)]
    if len(bad_rows):
        bad_keys = bad_rows[keys].drop_duplicates().assign(_uncovered=True)
        out = out.merge(bad_keys, on=keys, how="left")
        miss = out["_uncovered"].eq(True).to_numpy()
        out = out.drop(columns="_uncovered")
    else:
        miss = np.zeros(len(out), dtype=bool)
    for c in ("events_prev", "change"):
        out[c] = out[c].astype("Int64").mask(miss)
    for c in ("firearms_prev", "change_pct"):
        out[c] = out[c].astype(float).mask(miss)
    used = set(bad_rows["source"])
    uncovered = [(r.source, pd.Timestamp(r.first_date).date().isoformat(), pd.Timestamp(r.last_date).date().isoformat())
                 for r in cover.itertuples() if r.source in used]
    out = out.sort_values(["events", "firearms"] + keys, ascending=[False, False] + [True] * len(keys))
    out = out.reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out = out[["rank"] + keys + ["events", "firearms", "change", "change_pct", "events_prev", "firearms_prev",
                                 "events_inbound", "events_outbound", "firearms_inbound", "firearms_outbound"]]
    out.attrs.update(period=(date_from, date_to), previous=(p_from, p_to), zone_km=float(zone_km),
                     left_out=int(len(all_cur) - len(cur)), precisions=precisions, uncovered=uncovered)
    return out


def cover_note(ranking: pd.DataFrame) -> str:
    """The sentence saying why some rows of a :func:`border_ranking` have no previous figure or change.

    Parameters
    ----------
    ranking : pandas.DataFrame
        A :func:`border_ranking` result (its ``attrs`` ``uncovered``, ``period`` and ``previous``).

    Returns
    -------
    str
        "" when every row has its change; else "No previous figure or change for N rows: the data of
        SOURCE (FIRST to LAST), ... do not cover both [prev) and [period), so the two periods would
        not compare equal spans of data."
    """
    unc = ranking.attrs.get("uncovered") or []
    if not unc:
        return ""
    n = int(ranking["change"].isna().sum()) if "change" in ranking else 0
    p, q = ranking.attrs["period"], ranking.attrs["previous"]
    names = ", ".join(f"{s} ({a} to {b})" for s, a, b in unc)
    return (f"No previous figure or change for {n} row{'s' if n != 1 else ''}: the data of {names} do not cover both "
            f"[{q[0]}, {q[1]}) and [{p[0]}, {p[1]}), so the two periods would not compare equal spans of data.")


def source_cover(con, date_from: str, date_to: str) -> pd.DataFrame:
    """Whether each source's data cover the half-open span ``[date_from, date_to)``.

    A source covers the span when its first accepted event date is at most ``date_from`` and
    its last at least the span's last day (``date_to`` - 1 day): :func:`intel.periods.covers`, the
    rule of every comparison. The border ranking passes the start of the previous period and the
    end of the current one, so a covered source has data over both periods. Dates are UTC days.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection or (restricted) cursor on the store.
    date_from, date_to : str
        ISO dates of the half-open span.

    Returns
    -------
    pandas.DataFrame
        Columns ``source``, ``first_date``, ``last_date`` (dates), ``covers`` (bool), sorted by source.
    """
    df = con.execute(
        """SELECT source, min(event_date)::DATE AS first_date, max(event_date)::DATE AS last_date
           FROM events WHERE status = 'accepted' AND event_date IS NOT NULL GROUP BY source ORDER BY source""").df()
    df["covers"] = [covers(a, date_from, b, date_to) for a, b in zip(df["first_date"], df["last_date"])]
    return df.astype({"covers": bool})


def segment_load(con, zone_km: float = 50.0, date_from: str | None = None, date_to: str | None = None,
                 ranking: pd.DataFrame | None = None, kinds: tuple[str, ...] = SEIZURE_KINDS):
    """Every border stretch with its load: :func:`border_segments` joined with the ranking.

    ``ranking`` (a :func:`border_ranking` result ``by='segment'``) avoids computing it twice.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :func:`border_segments` plus ``events``, ``firearms``, ``change`` (0 where
        the stretch has no events in either period; missing where the ranking has no change
        because a source does not cover both periods); EPSG:4326.
    """
    segs = border_segments()
    r = ranking if ranking is not None else border_ranking(con, zone_km, date_from, date_to, by="segment", kinds=kinds)
    out = segs.merge(r[["segment_id", "events", "firearms", "change"]], on="segment_id", how="left")
    ranked = out["segment_id"].isin(r["segment_id"])
    for c in ("events", "firearms"):
        out[c] = out[c].fillna(0)
    out["change"] = out["change"].astype(float).where(ranked, 0.0)
    out.attrs.update(r.attrs)
    return out
