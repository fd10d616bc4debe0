"""Bypass candidates: border-zone events clustered away from the official crossings.

:func:`bypass_candidates` takes the border-zone events farther than ``min_km`` from every
official crossing (:func:`intel.borders.crossings.official_crossings`), clusters them in coarse
H3 cells (parent rule of :mod:`intel.h3cells`) and ranks the cells by events, then firearms, then
recency, each with the official crossing of its own border and the distance to it, or a note
when none is known there (:func:`intel.borders.crossing_on_border`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.borders.common import SEIZURE_KINDS
from intel.borders.crossings import crossing_on_border, official_crossings
from intel.borders.events import border_events, zone_records
from intel.config import DEFAULT_RESOLUTION, FINE_RES, check_resolution
from intel.geodesy import nearest
from intel.h3cells import edge_km, parent, to_hex
from intel.hexbin import bin_points
from intel.settings import SETTINGS

_CANDIDATES = 3
"""Nearest crossings (by chord) examined for each event before the exact geodesic picks one."""


def too_coarse_note(zone: pd.DataFrame, zone_km: float, res: int) -> str:
    """The sentence said when no border-zone record is located finely enough to be clustered.

    Parameters
    ----------
    zone : pandas.DataFrame
        The border-zone records of :func:`intel.borders.border_events` (columns ``incident``,
        ``border_km``, ``location_precision``, ``uncertainty_km``), none of them fine enough.
    zone_km : float
        Zone width, geodesic km.
    res : int
        H3 resolution of the clusters; a record is clustered when its radius of location
        uncertainty is at most the mean cell edge at ``res`` (:func:`intel.h3cells.edge_km`, km).

    Returns
    -------
    str
        "No events in the border zone ..." when the zone counts no event (records whose radius is
        ``zone_km`` or more are not counted, as :func:`intel.borders.zone_records`); else "None of the
        N events in the border zone is located finely enough for bypass clustering (it needs a radius of
        location uncertainty of at most X km, ...; these are municipality-level, about A-B km, median M km)."
        with one clause per precision level (separated by ";"), most records first.
    """
    edge = edge_km(res)
    counted, coarse = zone_records(zone, float(zone_km))
    n = int(counted["incident"].nunique()) if len(counted) else 0
    tail = (f" {coarse:,} further records are too coarse even for the {float(zone_km):g} km zone." if coarse else "")
    if not n:
        return f"No events in the {float(zone_km):g} km border zone in this period.{tail}"
    parts = []
    prec = counted["location_precision"].fillna("unknown precision")
    for level, grp in counted.groupby(prec, sort=False)["uncertainty_km"]:
        r = grp.astype(float)
        lo, hi, med = r.min(), r.max(), r.median()
        size = f"about {lo:.0f} km" if round(lo) == round(hi) else f"about {lo:.0f}-{hi:.0f} km, median {med:.0f} km"
        parts.append((len(grp), f"{level}-level, {size}"))
    desc = "; ".join(t for _, t in sorted(parts, key=lambda x: -x[0]))
    return (f"None of the {n:,} events in the border zone is located finely enough for bypass clustering (it needs "
            f"a radius of location uncertainty of at most {edge:.1f} km, the cell edge at H3 resolution {int(res)}; "
            f"these are {desc}).{tail}")


def bypass_candidates(con, zone_km: float = SETTINGS["border_zone_km"].default,
                      min_km: float = SETTINGS["bypass_min_km"].default, res: int = DEFAULT_RESOLUTION["border"],
                      date_from: str | None = None, date_to: str | None = None,
                      crossings: pd.DataFrame | None = None, ports_as_crossings: bool = True,
                      sources: tuple[str, ...] = (), kinds: tuple[str, ...] = SEIZURE_KINDS) -> pd.DataFrame:
    """Clusters of border-zone events away from every official crossing, ranked.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    zone_km : float
        Border zone, km: only events with ``border_km <= zone_km`` (default: the default of the
        setting ``border_zone_km``).
    min_km : float
        An event is a bypass event when its geodesic distance to the nearest official
        crossing exceeds ``min_km`` km (default: the default of the setting ``bypass_min_km``).
    res : int
        H3 resolution of the clusters (parent of the stored cell, :mod:`intel.h3cells` rule), in
        the "border" range of :data:`intel.config.RESOLUTIONS` (3-9; ValueError outside it).
        Only records whose radius of location uncertainty (their own, else their precision's
        class radius; :func:`intel.hexbin.usable_mask`) is at most the cell edge at ``res``
        are clustered; the default, :data:`intel.config.DEFAULT_RESOLUTION` ``["border"]`` (5,
        edge ~10 km), takes town-level records without a radius of their own.
    date_from, date_to : str, optional
        Half-open period.
    crossings : pandas.DataFrame, optional
        Official crossings with ``crossing_id``, ``name``, ``latitude``, ``longitude`` and
        ``snap_km``; default :func:`official_crossings`. Crossings farther than ``zone_km``
        from any border are not used (they are listed as flagged on the page). Positions are
        used as published.
    ports_as_crossings : bool
        Passed to :func:`official_crossings`.
    sources : tuple of str
    kinds : tuple of str
        Event kinds clustered; default :data:`SEIZURE_KINDS`. ``()`` takes all.

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``rank``, ``h3`` (hex cell id), ``latitude``,
        ``longitude`` (mean of the events, degrees), ``events`` (distinct incidents),
        ``records``, ``firearms``, ``first_date``, ``last_date``, ``border_pair``,
        ``border_segment`` (most frequent), ``border_km`` (minimum), ``nearest_crossing_id``,
        ``nearest_crossing``, ``nearest_crossing_km`` (from the candidate position, geodesic
        km), ``crossing_note``, ``precision`` (coarsest location precision in the cluster), ``indicative``
        (True when town-level or coarser positions are involved). The named crossing follows
        :func:`intel.borders.crossing_on_border`: it lies on the candidate's own border (the
        pair of its nearest stretch) within min(250 km, that border's length + the candidate's
        distance to it); otherwise ``nearest_crossing*`` are empty and ``crossing_note`` says
        "no official crossing known on this border (AAA-BBB)". Ranked by events, then
        firearms, then the most recent date. ``attrs`` holds counts and a ``note`` sentence.

    Notes
    -----
    Bundled CBP records are located at the headquarters town of their Area of
    Responsibility (precision 'town'), so bypass candidates computed from them are
    indicative only: they show between-port sectors far from official crossings, not
    actual bypass points.
    """
    res = check_resolution(res, "border")
    # per record: radius of location uncertainty at most the cell edge at res (intel.hexbin)
    ev = border_events(con, zone_km, date_from, date_to, sources, None, kinds, max_uncertainty_km=edge_km(res))
    all_zone = border_events(con, zone_km, date_from, date_to, sources, None, kinds)
    cx = crossings if crossings is not None else official_crossings(con, ports_as_crossings)
    used = cx[cx["snap_km"] <= float(zone_km)] if "snap_km" in cx else cx
    used = used[used["latitude"].notna()].reset_index(drop=True)
    cols = ["rank", "h3", "latitude", "longitude", "events", "records", "firearms", "first_date", "last_date",
            "border_pair", "border_segment", "border_km", "nearest_crossing_id", "nearest_crossing",
            "nearest_crossing_km", "crossing_note", "precision", "indicative"]
    attrs = dict(zone_km=float(zone_km), min_km=float(min_km), res=int(res), zone_events=int(len(ev)),
                 left_out=int(len(all_zone) - len(ev)), crossings_used=int(len(used)),
                 crossings_unused=int(len(cx) - len(used)))
    if ev.empty:
        out = pd.DataFrame(columns=cols)
        attrs["note"] = too_coarse_note(all_zone, zone_km, res)
        out.attrs.update(attrs)
        return out
    lat, lon = ev["latitude"].to_numpy(float), ev["longitude"].to_numpy(float)
    i, d = nearest(lat, lon, used["latitude"].to_numpy(float), used["longitude"].to_numpy(float), _CANDIDATES)
    ev["crossing_km"] = d
    far = ev[~(ev["crossing_km"] <= float(min_km))].copy()  # NaN (no crossings) counts as far
    attrs["bypass_events"] = int(len(far))
    if far.empty:
        out = pd.DataFrame(columns=cols)
        attrs["note"] = f"Every border-zone event is within {min_km:g} km of an official crossing."
        out.attrs.update(attrs)
        return out
    cells = far["h3_cell"].to_numpy()
    fine = np.where(pd.isna(cells), 0, cells).astype("uint64")
    need = fine == 0
    if need.any():
        fine[need] = bin_points(far["latitude"].to_numpy(float)[need], far["longitude"].to_numpy(float)[need], FINE_RES)
    far["cell"] = parent(fine, res)
    order = {p: k for k, p in enumerate(["exact", "intersection", "town", "admin-1", "country"])}
    far["prec_rank"] = far["location_precision"].map(order).fillna(len(order))

    def mode(s):
        s = s.dropna()
        return s.value_counts().sort_index().sort_values(ascending=False, kind="stable").index[0] if len(s) else None

    g = far.groupby("cell")
    out = pd.DataFrame({
        "latitude": g["latitude"].mean(), "longitude": g["longitude"].mean(),
        "events": g["incident"].nunique(), "records": g.size(), "firearms": g["firearms"].sum(),
        "first_date": g["event_date"].min(), "last_date": g["event_date"].max(),
        "border_pair": g["border_pair"].agg(mode), "border_segment": g["border_segment"].agg(mode),
        "border_km": g["border_km"].min(), "prec_rank": g["prec_rank"].max(),
    }).reset_index()
    out["h3"] = to_hex(out["cell"].to_numpy())
    inv = {v: k for k, v in order.items()}
    out["precision"] = out["prec_rank"].map(inv)
    out["indicative"] = out["prec_rank"] >= order["town"]
    # the crossing named for a candidate: on its own border and within min(250 km, border length + distance)
    cb = crossing_on_border(out["latitude"].to_numpy(float), out["longitude"].to_numpy(float), used)
    out["nearest_crossing_id"] = cb["crossing_id"].to_numpy(dtype=object)
    out["nearest_crossing"] = cb["crossing_name"].to_numpy(dtype=object)
    out["nearest_crossing_km"] = cb["crossing_km"].to_numpy(dtype=float)
    out["crossing_note"] = cb["crossing_note"].to_numpy(dtype=object)
    out = out.sort_values(["events", "firearms", "last_date", "h3"], ascending=[False, False, False, True])
    out = out.reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out = out[cols]
    note = (f"{len(out)} candidate cells (H3 resolution {res}) from {len(far)} border-zone records farther than "
            f"{min_km:g} km from any of {len(used)} official crossings.")
    if attrs["left_out"]:
        note += (f" {attrs['left_out']:,} border-zone records are located too coarsely for clustering (radius of "
                 f"location uncertainty above {edge_km(res):.1f} km) and are left out.")
    if out["indicative"].any():
        note += (" Some positions are town-level (for the bundled CBP data: the headquarters town of the Area of "
                 "Responsibility), so these candidates are indicative only, not actual bypass points.")
    attrs["note"] = note
    out.attrs.update(attrs)
    return out
