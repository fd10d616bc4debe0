"""Records of an area: the accepted located records that the ranking may use.

:func:`area_records` selects accepted records with coordinates inside an area of operation
and a half-open period of UTC days, with their H3 cell at the chosen resolution. The precision
guard marks as ``usable`` only records whose location is usable at that
resolution (its own radius of uncertainty, else its class radius: :func:`intel.hexbin.usable_mask`). :func:`check_records` raises the
plain-sentence failures of :mod:`intel.risk.errors` when nothing can be ranked (no records in
the period, no point-level records at all, or records all too coarse).
:func:`suggested_resolution` proposes the H3 resolution an area's records support (what a preset
starts at), country by country.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from intel.config import check_resolution, resolution_range
from intel.h3cells import edge_km, parent_sql
from intel.hexbin import PRECISIONS, finest_usable_resolution, uncertainty_values, usable_mask
from intel.risk.areas import Area, area_country_codes, area_shape, country_statistics
from intel.risk.errors import NoPointData, RiskError, TooCoarse, join_words, no_point_sentence
from intel.store import period_sql
from intel.studyarea import finest_fitting_resolution, without_lakes

def iso_date(d) -> str | None:
    if d is None or (isinstance(d, float) and np.isnan(d)):
        return None
    return pd.Timestamp(d).date().isoformat()


def area_records(con, res: int, area: Area | None = None, date_from=None, date_to=None) -> pd.DataFrame:
    """Accepted records with coordinates inside the area and period, with their cell at ``res``.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution in the "planner" range of :data:`intel.config.RESOLUTIONS` (3-9; the
        backtest's range is the same).
    area : Area, optional
        ``None``, ``data`` or ``extent``: every located record (of ``area.sources`` when given).
    date_from, date_to : str or date, optional
        Half-open period of UTC days.

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64 parent at ``res``, 0 when the record has no stored cell),
        ``incident_key`` (source and key joined by U+001F: one value per incident across sources),
        ``firearms``, ``event_date``, ``latitude``, ``longitude``,
        ``location_precision``, ``uncertainty_km``, ``country_iso3`` (the record's own country,
        which decides its piece of the ``data`` study area), ``usable`` (precision usable at
        ``res`` and a stored cell).

    Raises
    ------
    ValueError
        ``res`` outside the planner range (:func:`intel.config.check_resolution`).
    intel.risk.RiskError
        The area has no shape in the store.
    """
    res = check_resolution(res, "planner")
    where = ["e.status = 'accepted'", "e.latitude IS NOT NULL", "e.longitude IS NOT NULL"]
    period, params = period_sql("e.event_date", date_from, date_to)
    where += period
    try:
        geom = area_shape(con, area)
    except RiskError:
        if area is None or area.kind != "countries":
            raise
        geom = None  # no polygons in the store: the records' own country decides
    if area is not None and area.kind == "countries":
        # a record that names its country belongs to that country, whatever the generalised
        # polygon says (CBP towns on the Rio Grande fall inside the Natural Earth Mexico polygon)
        where.append(f"(e.country_iso3 IS NULL OR e.country_iso3 IN ({', '.join('?' for _ in area.codes)}))")
        params += list(area.codes)
    if area is not None and area.sources:
        where.append(f"e.source IN ({', '.join('?' for _ in area.sources)})")
        params += list(area.sources)
    if geom is not None:
        w, s, e, n = geom.bounds
        where.append("e.latitude BETWEEN ? AND ? AND e.longitude BETWEEN ? AND ?")
        params += [s, n, w, e]
    sql = (f"SELECT coalesce({parent_sql('e.h3_cell', res)}, 0::UBIGINT) AS cell, e.h3_cell IS NOT NULL AS binned, "
           # the incident is (source, key): two sources numbering their records alike stay apart
           "e.source || chr(31) || e.incident_key AS incident_key, coalesce(e.firearms, 0) AS firearms, "
           "e.event_date, e.latitude, e.longitude, "
           f"e.location_precision, e.uncertainty_km, e.country_iso3 FROM events e WHERE {' AND '.join(where)}")
    df = con.execute(sql, params).df()
    if geom is not None and len(df):
        inside = shapely.contains_xy(geom, df["longitude"].to_numpy(float), df["latitude"].to_numpy(float))
        if area is not None and area.kind == "countries":
            inside |= df["country_iso3"].notna().to_numpy()
        df = df[inside]
    df = df.reset_index(drop=True)
    df["cell"] = df["cell"].astype("uint64")
    # per-record radius of uncertainty against the cell edge (intel.hexbin.usable_mask)
    df["usable"] = df["binned"].astype(bool).to_numpy() & usable_mask(
        res, df["location_precision"].to_numpy(dtype=object), df["uncertainty_km"].to_numpy(dtype=object))
    return df.drop(columns=["binned"])


def check_records(con, res: int, area: Area | None, recs: pd.DataFrame, any_period: pd.DataFrame | None = None) -> None:
    """Raise :class:`NoPointData` or :class:`TooCoarse` when ``recs`` cannot be ranked at ``res``.

    ``any_period`` (records of the area without the period filter) lets the message say whether
    the area has records in another period.
    """
    if recs.empty:
        if any_period is not None and len(any_period):
            lo, hi = any_period["event_date"].min(), any_period["event_date"].max()
            raise RiskError(f"{area.describe() if area else 'The land of the places with records'} holds no located records in the "
                            f"chosen period; its records run from {iso_date(lo)} to {iso_date(hi)}.")
        codes = area_country_codes(con, area)
        avail = country_statistics(con, codes)
        raise NoPointData(no_point_sentence(area, avail), area, avail)
    if not recs["usable"].any():
        precs = sorted(set(recs["location_precision"].dropna()), key=lambda p: PRECISIONS.index(p) if p in PRECISIONS else 99)
        radii = uncertainty_values(recs["location_precision"].to_numpy(dtype=object),
                                   recs["uncertainty_km"].to_numpy(dtype=object) if "uncertainty_km" in recs else None)
        radii = radii[np.isfinite(radii)]
        lo, hi = resolution_range("planner")
        best = finest_usable_resolution(float(radii.min()), lo, hi) if len(radii) else None
        msg = (f"The {len(recs):,} located records of {area.describe() if area else 'the places with records'} are located only to "
               f"{join_words(precs) or 'an unknown precision'} level, too coarse for H3 resolution {res}: the smallest "
               f"radius of location uncertainty among them is {radii.min() if len(radii) else float('nan'):,.1f} km, "
               f"larger than the {edge_km(res):,.1f} km cell edge there.")
        if best is not None:
            msg += (f" Choose resolution {best} or coarser to rank them; the cells will then stand for the "
                    "places the records are attributed to (e.g. a CBP field-office town), not exact positions.")
        else:
            msg += (f" They cannot be ranked at any resolution the planner offers ({lo}-{hi}): the Borders, "
                    "Trends and Explore map pages still show them at their own scale.")
        raise TooCoarse(msg, best)


def suggested_resolution(con, area: Area | None = None, date_from=None, date_to=None, share: float = 0.5,
                         max_cells: int = 400_000, records: pd.DataFrame | None = None) -> dict:
    """The finest planner resolution at which most of the area's records can be used.

    The suggestion is the finest resolution of the planner range
    (:data:`intel.config.RESOLUTIONS`) at which at least ``share`` of the area's located records
    are usable (their own radius of location uncertainty at most the cell edge,
    :func:`intel.hexbin.usable_mask`), so the ranking rests on most of the evidence rather than
    on the best-located register alone. Per country, the finest resolution at which ``share`` of
    its own records are usable is reported beside it, and the records left out at the suggestion
    are counted per country. Example, Trigger on the bundled data: 38 % of the records are usable
    at resolution 4 (Colombian municipalities, not Ecuadorian provinces), 64 % at 3, so 3.

    Parameters
    ----------
    con : DuckDB connection to the store.
    area : Area, optional
    date_from, date_to : str or date, optional
        Half-open period of UTC days.
    share : float
        Share of the records (0 < share <= 1) that must be usable.
    max_cells : int
        Study-area cap of the planner (:func:`intel.risk.scores.risk_scores`): a country, admin-1
        or box area must fit it at the suggested resolution, which is lowered until it does.
    records : pandas.DataFrame, optional
        :func:`area_records` of the same area and period at the coarsest planner resolution, when
        the caller has read them already (they are not read again).

    Returns
    -------
    dict
        ``resolution`` (int, or None when no country's records fit any planner resolution),
        ``first``, ``last`` (datetime.date of the area's first and last dated record, or None),
        ``by_country`` (``{iso3: int or None}``), ``left_out`` (``{iso3: records not usable at
        the suggestion}``) and ``sentence`` (plain text for pages and the CLI).
    """
    lo, hi = resolution_range("planner")
    recs = area_records(con, lo, area, date_from, date_to) if records is None else records
    if recs.empty:
        return {"resolution": None, "first": None, "last": None, "by_country": {}, "left_out": {},
                "sentence": "The area holds no located records."}
    dates = pd.to_datetime(recs["event_date"]).dropna()
    first, last = (dates.min().date(), dates.max().date()) if len(dates) else (None, None)
    radii = uncertainty_values(recs["location_precision"].to_numpy(dtype=object),
                               recs["uncertainty_km"].to_numpy(dtype=object))
    iso = recs["country_iso3"].fillna("unknown").to_numpy(dtype=object) if "country_iso3" in recs else \
        np.full(len(recs), "unknown", dtype=object)
    by_country, usable_at = {}, {}
    for c in sorted(set(iso)):
        rc = radii[iso == c]
        fits = [r for r in range(lo, hi + 1) if np.mean(np.nan_to_num(rc, nan=np.inf) <= edge_km(r)) >= share]
        by_country[c] = max(fits) if fits else None
        usable_at[c] = rc
    known = np.nan_to_num(radii, nan=np.inf)
    fits_all = [r for r in range(lo, hi + 1) if np.mean(known <= edge_km(r)) >= share]
    res = max(fits_all) if fits_all else None
    capped = None
    if res is not None and area is not None and area.kind in ("countries", "admin1", "bbox"):
        # a whole-country area must also fit the study-area cap at that resolution
        try:
            geom = without_lakes(area_shape(con, area))
        except RiskError:
            geom = None
        fit = finest_fitting_resolution(geom, max_cells, below=res + 1) if geom is not None else res
        if fit is not None and fit < res:
            capped, res = res, max(fit, lo)
    left = {c: int(np.sum(~(np.nan_to_num(rc, nan=np.inf) <= edge_km(res)))) for c, rc in usable_at.items()} if res else {}
    if res is None:
        sentence = (f"Most of this area's records are located too coarsely for any of the planner's resolutions "
                    f"({lo}-{hi}).")
    else:
        parts = [f"{c} {r}" if r is not None else f"{c} coarser than {lo}" for c, r in by_country.items()]
        used = float(np.mean(known <= edge_km(res)))
        sentence = (f"Resolution {res} is the finest at which most of this area's records can be used ({used:.0%}; "
                    f"per country, the finest resolution keeping half its records: {', '.join(parts)}).")
        if capped is not None:
            sentence += (f" The records would allow {capped}, but the area of operation is too large for that "
                         f"resolution ({max_cells:,} cells at most), so {res}.")
        out = [f"{n:,} {c}" for c, n in left.items() if n]
        if out:
            sentence += f" At {res}, these records are too coarse and left out: {', '.join(out)}."
    return {"resolution": res, "first": first, "last": last, "by_country": by_country, "left_out": left,
            "sentence": sentence}
