"""The import pipeline as one call: :func:`run` runs the named stages in order.

Part of :mod:`intel.pipeline` and re-exported there (``pipeline.run``). The order matters: reason
codes, raw values and warnings are kept in the order they are found.
"""
from __future__ import annotations

import pandas as pd

from intel import readers
from intel.columns import row_reason_lists
from intel.pipeline.items import describe_items, read_counts, read_markings_and_route
from intel.pipeline.location import locate
from intel.pipeline.outcomes import decide_outcomes, events_frame, quarantine_frame, report_builder
from intel.pipeline.rows import Prepared, read_ids, read_rows, warn_shared_problems
from intel.pipeline.when_where import read_country, read_dates


# --------------------------------------------------------------------------------------------
# the pipeline
# --------------------------------------------------------------------------------------------

def run(raw: readers.RawTable, profile: dict, *, date_order: str | None = None, crs: str | None = None,
        gazetteer: pd.DataFrame | None = None) -> Prepared:
    """Turn a raw table into store-ready records, quarantine rows and a per-row report.

    Parameters
    ----------
    raw : readers.RawTable
    profile : dict
        Mapping ``columns`` (field -> column), ``constants`` (field -> value), ``kind``, ``source``,
        optional ``gazetteer``, ``place_code``, ``fiscal_date``, ``date_recovery``, ``item_map``,
        ``attrs``, ``date_order``.
    date_order : {'dayfirst', 'monthfirst', 'iso'}, optional
        The analyst's choice when the file's dates are ambiguous.
    crs : str, optional
        CRS of projected coordinates (e.g. 'EPSG:32630'); without it they are quarantined.
    gazetteer : pandas.DataFrame, optional
        The profile's gazetteer indexed by ``place`` (columns ``latitude``, ``longitude`` in
        degrees, ``location_precision``, ``place_type``, optional ``region``, ``admin1``,
        ``location_name``, ``uncertainty_km``); used when the profile maps a ``place`` column.

    Returns
    -------
    Prepared

    Raises
    ------
    NeedsChoice
        When the dates' order cannot be decided from the file and none was given.
    ValueError
        When the profile locates by a gazetteer place and no ``gazetteer`` is given.
    """
    if profile.get("gazetteer") and (profile.get("columns") or {}).get("place") and gazetteer is None:
        raise ValueError(f"profile {profile.get('name')!r} locates records by its gazetteer: pass the gazetteer")
    rows = read_rows(raw, profile)
    src_id, incident_key = read_ids(rows)
    dates, date_prec = read_dates(rows, date_order)
    iso3 = read_country(rows)
    loc = locate(rows, iso3, crs, gazetteer if profile.get("gazetteer") and rows.mapping.get("place") else None)
    items = describe_items(rows)
    quantity, firearms, ammo = read_counts(rows, items)
    route = read_markings_and_route(rows)
    out = decide_outcomes(rows, loc)
    reason_lists = row_reason_lists(rows.R)
    ev = events_frame(rows, out, loc, items, route, reason_lists, src_id, incident_key, dates, date_prec, iso3,
                      quantity, firearms, ammo)
    q = quarantine_frame(rows, out, loc, reason_lists, src_id)
    report = report_builder(rows, out, loc, items, route, reason_lists, src_id, dates, iso3, quantity, firearms, ammo)
    warn_shared_problems(rows)
    keep = out.st_code != 2
    ev = (ev if keep.all() else ev[keep]).reset_index(drop=False).rename(columns={"index": "_pos"})
    return Prepared(ev, q, report, rows.warnings, reasons=reason_lists, status=out.status)
