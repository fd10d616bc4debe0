"""Risk scores: every cell of the study area with its seven components and its score.

:func:`risk_scores` is the core of the planner. It takes the usable records of the area and
period (:mod:`intel.risk.records`), builds the study area (data extent, the area's polygon
cells or cells given by the caller), and computes per cell the components of
:mod:`intel.risk.components`: time-decayed intensity, Getis-Ord Gi* hot spots, emerging hot
spots on a monthly cube, border proximity, corridor load, bypass candidates and re-seizure
link ends. A structural component (corridor load, bypass candidates, re-seizure links) that fails
on the data or the store (:data:`COMPONENT_ERRORS`) is 0, a plain note says why and
``attrs['failed']`` names it with that sentence; any other exception (a defect, a missing
module) propagates rather than silently zeroing the part. So is a
structural component that does not apply to the area (:mod:`intel.risk.reach`: no land border
within reach, no trafficking flow reaching the area's countries), listed in
``attrs['not_applicable']``. The result has
one row per cell, best first, with the columns :data:`SCORE_COLUMNS` and the run's settings in
``attrs``.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

import duckdb

from intel import settings
from intel.borders import border_distance, bypass_candidates, official_crossings, snap_crossings
from intel.config import FINE_RES, RESOLUTIONS, check_resolution
from intel.corridors import corridor_density, query_flows
from intel.emerging import MAX_CUBE_BINS, MIN_STEPS, emerging_hotspots
from intel.h3cells import cell_centres, edge_km, from_hex, hex_array, parent
from intel.hexbin import bin_points
from intel.links import seizure_links
from intel.errors import HotspotError
from intel.hotspots import gi_star, neighbour_matrix
from intel.studyarea import area_geometry, polygon_cells, study_area, without_lakes
from intel.periods import inclusive_end
from intel.risk.areas import Area, area_shape
from intel.risk.components import (
    COMPONENTS,
    border_component,
    combine,
    decay_weights,
    emerging_component,
    hotspot_component,
    log_norm,
    normalise_weights,
)
from intel.risk.errors import RiskError
from intel.risk.reach import border_in_reach, border_sentence, corridor_sentence, flows_reaching
from intel.risk.records import area_records, check_records

PLANNER_MIN_RES = RESOLUTIONS["planner"][0]

SCORE_COLUMNS = (["h3", "latitude", "longitude", "events", "firearms", "recent", "gi_z", "gi_bin",
                  "emerging_category", "border_km", "corridor_weight", "bypass_events", "link_ends"]
                 + list(COMPONENTS) + [f"{c}_pts" for c in COMPONENTS] + ["score"])
"""Columns of :func:`risk_scores` (besides the integer ``cell``)."""

COMPONENT_ERRORS = (ValueError, duckdb.Error)
"""Failures of one structural part (corridor load, bypass candidates, re-seizure links) that leave
the other parts meaningful: data the part cannot use (:class:`ValueError` and its subclasses, such
as :class:`intel.errors.HotspotError`) or a store that lacks what the part reads
(:class:`duckdb.Error`). Such a part is 0 and ``attrs['failed']`` says why; any other exception
is a defect and propagates."""


def _map_parent(cells: np.ndarray, res: int, table_cells: np.ndarray, table_values: np.ndarray) -> np.ndarray:
    """Value of each cell's parent at ``res`` looked up in (table_cells, table_values); 0 when absent."""
    par = parent(cells, res) if len(cells) else np.zeros(0, dtype="uint64")
    s = pd.Series(np.asarray(table_values, float), index=pd.Index(np.asarray(table_cells, dtype="uint64")))
    s = s.groupby(level=0).sum()
    return s.reindex(par).fillna(0.0).to_numpy()


def _monthly_cube(cells: np.ndarray, rec: pd.DataFrame, date_from: date, date_to: date) -> tuple[np.ndarray, int]:
    """Distinct incidents per study cell and calendar month of ``[date_from, date_to)``."""
    months = pd.period_range(pd.Timestamp(date_from), pd.Timestamp(date_to) - pd.Timedelta(days=1), freq="M")
    cube = np.zeros((cells.size, len(months)))
    if rec.empty or not len(months):
        return cube, len(months)
    g = (rec.assign(m=pd.to_datetime(rec["event_date"]).dt.to_period("M"))
         .groupby(["cell", "m"])["incident_key"].nunique().reset_index())
    ci = np.searchsorted(cells, g["cell"].to_numpy(dtype="uint64"))
    ci = np.minimum(ci, cells.size - 1)
    ti = pd.PeriodIndex(g["m"]).asi8 - months[0].ordinal
    ok = (cells[ci] == g["cell"].to_numpy(dtype="uint64")) & (ti >= 0) & (ti < len(months))
    np.add.at(cube, (ci[ok], ti[ok]), g["incident_key"].to_numpy(float)[ok])
    return cube, len(months)


def risk_scores(con, res: int, area: Area | None = None, period=(None, None), weights: dict | None = None, *,
                half_life_days: float | None = None, k: int = 1, fdr: bool = True, zone_km: float | None = None,
                bypass_min_km: float | None = None, corridor_res: int | None = None, study_cells=None,
                components: tuple = COMPONENTS, crossings: pd.DataFrame | None = None,
                max_cells: int = 400_000) -> pd.DataFrame:
    """Risk score of every cell of an area, broken into its components.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution in the "planner" range of :data:`intel.config.RESOLUTIONS` (5-9); cells
        are parents of the stored cells.
    area : Area, optional
        Area of operation; ``None`` is the land of the places with records (kind ``data``).
    period : (date_from, date_to)
        Half-open period of UTC days; ``None`` ends are taken from the data (the end is the day
        after the last record). Intensity ages are counted from ``date_to``.
    weights : dict, optional
        Component weights (missing ones take :data:`DEFAULT_WEIGHTS`).
    half_life_days : float, optional
        Decay half-life in days (default setting ``decay_half_life_days``, 180 days).
    k : int
        Gi* and emerging k-ring in cells.
    fdr : bool
        Benjamini-Hochberg correction for Gi* and the emerging cube.
    zone_km : float, optional
        Border zone in km (default setting ``border_zone_km``).
    bypass_min_km : float, optional
        Minimum km from an official crossing for a bypass event (setting ``bypass_min_km``).
    corridor_res : int, optional
        Resolution of corridor density (default ``min(res, setting corridor_resolution)``).
    study_cells : array of uint64, optional
        Use these cells at ``res`` as the study area (the backtest passes the same cells to
        every method); records outside them are left out.
    components : tuple of str
        Components to compute; the others are 0 (the backtest's score-only variants).
    crossings : pandas.DataFrame, optional
        :func:`intel.borders.official_crossings` result to reuse.
    max_cells : int
        Cap on the study-area size in cells.

    Returns
    -------
    pandas.DataFrame
        One row per study-area cell, best first (score descending, then cell id): ``cell``
        (uint64) and :data:`SCORE_COLUMNS`. ``attrs``: ``notes`` (plain sentences),
        ``area``, ``res``, ``date_from``, ``date_to``, ``weights``, ``used_records``,
        ``used_events``, ``left_out_records``, ``left_out_events`` (too coarse for ``res``),
        ``outside_records``, ``study_cells``, ``half_life_days``, ``zone_km``,
        ``not_applicable`` (``{component: sentence}`` for parts that do not apply to the area and
        are 0: ``border`` and ``bypass`` without a land border within reach, ``corridor`` without
        a flow reaching the area's countries; :mod:`intel.risk.reach`), ``failed``
        (``{component: sentence}`` for structural parts that failed with one of
        :data:`COMPONENT_ERRORS` and are 0; the sentence is also in ``notes``).

    Raises
    ------
    NoPointData
        The area holds no located record at all.
    TooCoarse
        Records exist but none is usable at ``res``.
    RiskError
        No records in the period, or a study area too large.
    ValueError
        ``res`` outside the planner range (:func:`intel.config.check_resolution`).
    """
    res = check_resolution(res, "planner")
    w = normalise_weights(weights)
    half_life_days = float(half_life_days if half_life_days is not None else settings.get("decay_half_life_days", con))
    zone_km = float(zone_km if zone_km is not None else settings.get("border_zone_km", con))
    bypass_min_km = float(bypass_min_km if bypass_min_km is not None else settings.get("bypass_min_km", con))
    corridor_res = int(corridor_res if corridor_res is not None else min(res, int(settings.get("corridor_resolution", con))))
    corridor_res = min(corridor_res, res)
    date_from, date_to = period if period is not None else (None, None)

    recs = area_records(con, res, area, date_from, date_to)
    if recs.empty:
        check_records(con, res, area, recs, area_records(con, res, area) if (date_from or date_to) else None)
    check_records(con, res, area, recs)
    if date_to is None:
        date_to = inclusive_end(pd.Timestamp(recs["event_date"].max()).date()) \
            if recs["event_date"].notna().any() else date.today()
    if date_from is None:
        date_from = pd.Timestamp(recs["event_date"].min()).date() if recs["event_date"].notna().any() else date_to
    d_from, d_to = pd.Timestamp(date_from).date(), pd.Timestamp(date_to).date()
    notes: list[str] = []
    use = recs[recs["usable"]]
    coarse = recs[~recs["usable"]]
    if len(coarse):
        notes.append(f"{len(coarse):,} records ({coarse['incident_key'].nunique():,} events) were left out because "
                     f"their location is too coarse for resolution {res} (radius of location uncertainty larger than the "
                     f"{edge_km(res):,.1f} km cell edge).")

    # study area
    try:
        if study_cells is not None:
            cells = np.unique(np.asarray(study_cells, dtype="uint64"))
            desc = f"{cells.size:,} given cells at resolution {res}"
        elif area is None or area.kind in ("data", "extent"):
            kind = area.kind if area is not None else "data"
            pairs = use[["cell", "country_iso3"]].drop_duplicates()
            sa = study_area(pairs["cell"].to_numpy(dtype="uint64"), res, kind, max_cells=max_cells,
                            iso3=pairs["country_iso3"].to_numpy(dtype=object), con=con, min_res=PLANNER_MIN_RES)
            cells, desc = sa.cells, sa.description
        else:
            cells = polygon_cells(without_lakes(area_shape(con, area)), res, max_cells=max_cells, min_res=PLANNER_MIN_RES)
            desc = f"{area.describe()}: {cells.size:,} cells at resolution {res} (empty cells included)"
    except HotspotError as exc:
        raise RiskError(str(exc)) from None
    inside = np.isin(use["cell"].to_numpy(dtype="uint64"), cells)
    outside = int((~inside).sum())
    if outside:
        notes.append(f"{outside:,} usable records fall outside the study area and were left out.")
    use = use[inside]
    if use.empty:
        raise RiskError("None of the located records fall inside the study area in the chosen period.")
    n = cells.size
    clat, clon = cell_centres(cells)

    # counts and intensity
    inc = use.groupby(["cell", "incident_key"], as_index=False).agg(d=("event_date", "min"), f=("firearms", "sum"))
    age = (pd.Timestamp(d_to) - pd.to_datetime(inc["d"])).dt.days.to_numpy(float)
    inc["wt"] = decay_weights(np.nan_to_num(age, nan=0.0), half_life_days)
    per = inc.groupby("cell").agg(events=("incident_key", "size"), firearms=("f", "sum"), recent=("wt", "sum"))
    per = per.reindex(pd.Index(cells, name="cell")).fillna(0.0)
    events = per["events"].to_numpy(float)
    df = pd.DataFrame({"cell": cells, "h3": hex_array(cells), "latitude": clat, "longitude": clon,
                       "events": events.astype("int64"), "firearms": per["firearms"].to_numpy(float),
                       "recent": per["recent"].to_numpy(float)})
    df["intensity"] = log_norm(df["recent"]) if "intensity" in components else 0.0

    # Gi* and emerging
    df["gi_z"], df["gi_bin"], df["hotspot"] = np.nan, 0, 0.0
    df["emerging_category"], df["emerging"] = "", 0.0
    W = None
    if {"hotspot", "emerging"} & set(components):
        try:
            W = neighbour_matrix(cells, k)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"The neighbourhood of the cells could not be built ({exc}); hot-spot parts are 0.")
    if W is not None and "hotspot" in components:
        try:
            gi = gi_star(cells, events, k, fdr=fdr, W=W)
            df["gi_z"] = gi["z"].to_numpy()
            df["gi_bin"] = gi["bin"].to_numpy().astype("int64")
            df["hotspot"] = hotspot_component(df["gi_bin"])
        except HotspotError as exc:
            notes.append(f"Gi* hot spots: {exc} The hotspot part is 0.")
    if W is not None and "emerging" in components:
        cube, T = _monthly_cube(cells, use, d_from, d_to)
        if T < MIN_STEPS:
            notes.append(f"The period spans {T} months; emerging hot spots need at least {MIN_STEPS}, so the "
                         "emerging part is 0.")
        elif n * T > MAX_CUBE_BINS:
            notes.append(f"The space-time cube ({n:,} cells x {T} months) is too large; the emerging part is 0. "
                         "Choose a coarser resolution or a shorter period.")
        else:
            try:
                em = emerging_hotspots(cells, cube, k, 1, fdr=fdr, W=W)
                df["emerging_category"] = em["category"].astype(str).to_numpy()
                df["emerging"] = emerging_component(df["emerging_category"])
            except HotspotError as exc:
                notes.append(f"Emerging hot spots: {exc} The emerging part is 0.")

    # which structural parts apply here (intel.risk.reach)
    not_applicable: dict[str, str] = {}
    cx = None
    if {"border", "bypass"} & set(components):
        try:
            cx = crossings if crossings is not None else official_crossings(con)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"Official crossings could not be read ({exc}).")
        bd = border_distance(clat, clon)
        reach, best_km = border_in_reach(cx, clat, clon, zone_km)
        # a border with no known official crossing at all (the KAFO borders) cannot be told
        # from a lake line by this rule: it stays within reach, decided by its distance alone
        near = pd.to_numeric(bd["border_km"], errors="coerce").to_numpy(float) <= float(zone_km)
        pairs = set(bd.loc[near, "border_pair"].dropna().astype(str))
        known = set()
        if cx is not None and len(cx):
            snapped = cx if "snap_pair" in cx else snap_crossings(cx)
            known = set(snapped["snap_pair"].dropna().astype(str))
        if not reach and not (pairs - known):
            msg = border_sentence(zone_km, best_km)
            not_applicable.update(border=msg, bypass=msg)
            notes.append(msg)
    # border
    df["border_km"] = np.nan
    df["border"] = 0.0
    if "border" in components:
        df["border_km"] = bd["border_km"].to_numpy()   # reported even where the part does not apply
        if "border" not in not_applicable:
            df["border"] = border_component(df["border_km"], zone_km)

    failed: dict[str, str] = {}   # structural part -> the sentence saying why it is 0
    # corridor load
    df["corridor_weight"], df["corridor"] = 0.0, 0.0
    if "corridor" in components:
        try:
            flows = query_flows(con, d_from.isoformat(), d_to.isoformat())
            isos = sorted(set(use["country_iso3"].dropna().astype(str))) if "country_iso3" in use else []
            if isos and len(flows):
                geom, _ = area_geometry(con, "countries", isos)
                flows = flows_reaching(flows, geom)
                if not len(flows):
                    not_applicable["corridor"] = corridor_sentence(isos)
                    notes.append(not_applicable["corridor"])
            if len(flows):
                dens = corridor_density(flows, corridor_res, include_ends=False)
                df["corridor_weight"] = _map_parent(cells, corridor_res, dens["cell"].to_numpy(), dens["weight"].to_numpy())
                df["corridor"] = log_norm(df["corridor_weight"])
                if not (df["corridor_weight"] > 0).any():   # kept flows, but no path over the area
                    not_applicable["corridor"] = corridor_sentence(isos, len(flows))
                    notes.append(not_applicable["corridor"])
        except COMPONENT_ERRORS as exc:   # one failing part must not hide the others
            failed["corridor"] = f"Corridor load could not be computed ({exc}); the corridor part is 0."
            notes.append(failed["corridor"])

    # bypass candidates
    df["bypass_events"], df["bypass"] = 0.0, 0.0
    if "bypass" in components and "bypass" not in not_applicable:
        try:
            by = bypass_candidates(con, zone_km, bypass_min_km, res, d_from.isoformat(), d_to.isoformat(), crossings=cx)
            if len(by):
                df["bypass_events"] = _map_parent(cells, res, from_hex(by["h3"]), by["events"].to_numpy(float))
                df["bypass"] = log_norm(df["bypass_events"])
                if by["indicative"].any() and (df["bypass_events"] > 0).any():
                    notes.append("Some bypass candidates rest on positions coarser than a street (the point of a "
                                 "municipality, town or headquarters, not the place of the seizure); their bypass "
                                 "part is indicative only.")
        except COMPONENT_ERRORS as exc:
            failed["bypass"] = f"Bypass candidates could not be computed ({exc}); the bypass part is 0."
            notes.append(failed["bypass"])

    # re-seizure links
    df["link_ends"], df["links"] = 0.0, 0.0
    if "links" in components:
        try:
            ed = seizure_links(con, d_from.isoformat(), d_to.isoformat())
            if len(ed):
                lat = np.concatenate([ed["lat_a"].to_numpy(float), ed["lat_b"].to_numpy(float)])
                lon = np.concatenate([ed["lon_a"].to_numpy(float), ed["lon_b"].to_numpy(float)])
                ok = np.isfinite(lat) & np.isfinite(lon)
                if ok.any():
                    lc = parent(bin_points(lat[ok], lon[ok], FINE_RES), res)
                    df["link_ends"] = _map_parent(cells, res, lc, np.ones(lc.size))
                    df["links"] = log_norm(df["link_ends"])
        except COMPONENT_ERRORS as exc:
            failed["links"] = f"Re-seizure links could not be computed ({exc}); the links part is 0."
            notes.append(failed["links"])

    parts = combine(df, w)
    for c in parts.columns:
        df[c] = parts[c].to_numpy()
    df = df.sort_values(["score", "cell"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df = df[["cell"] + SCORE_COLUMNS]
    df.attrs.update(notes=notes, area=desc, res=res, date_from=d_from.isoformat(), date_to=d_to.isoformat(),
                    weights=w, used_records=int(len(use)), used_events=int(use["incident_key"].nunique()),
                    left_out_records=int(len(coarse)), left_out_events=int(coarse["incident_key"].nunique()),
                    outside_records=outside, study_cells=int(n), half_life_days=half_life_days, zone_km=zone_km,
                    bypass_min_km=bypass_min_km, corridor_res=corridor_res, k=int(k), fdr=bool(fdr),
                    not_applicable=not_applicable, failed=failed)
    return df
