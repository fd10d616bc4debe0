"""Stages 3-4 of the import pipeline: the date of each record and its country.

Part of :mod:`intel.pipeline`. :func:`read_dates` takes a fiscal year and month
(:func:`fiscal_dates`), dates recovered from weekdays (:mod:`intel.daterecover`) or dates parsed
in the file's order (:func:`intel.dates.parse_dates`; an order that cannot be decided raises
:class:`~intel.pipeline.rows.NeedsChoice`); :func:`read_country` gives each record's ISO 3166-1
alpha-3 country.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel import nomenclature, parse
from intel.columns import add_reason_lists, by_value, nones, null_text
from intel.daterecover import recover_dates_from_weekday
from intel.dates import parse_dates
from intel.pipeline.rows import MONTHS, NeedsChoice, Rows


# --------------------------------------------------------------------------------------------
# 3-4. dates, country
# --------------------------------------------------------------------------------------------

def read_dates(rows: Rows, date_order: str | None) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64, date precision) of each row, from the profile's ``fiscal_date``
    (fiscal year and month columns), its ``date_recovery`` (dates the publisher lost, recovered
    from weekday and row order: :mod:`intel.daterecover`) or the mapped date column
    (:func:`intel.dates.parse_dates`); NaT and a warning when no date column is mapped.

    Raises
    ------
    NeedsChoice
        When the dates can be read day-first or month-first and nothing says which.
    """
    profile = rows.profile
    if profile.get("fiscal_date"):
        dates, date_prec = fiscal_dates(rows.frame, profile["fiscal_date"])
    elif profile.get("date_recovery"):
        dates, date_prec = _recovered_dates(rows, profile["date_recovery"])
    else:
        dates, date_prec = _parsed_dates(rows, date_order)
    return pd.to_datetime(dates), date_prec


def fiscal_dates(frame: pd.DataFrame, spec: dict) -> tuple[pd.Series, pd.Series]:
    """First day of the month of a fiscal year (``spec``: ``fiscal_year`` and ``month`` columns,
    ``start_month`` of the fiscal year, default 10: US federal) and precision ``month``."""
    fy = frame[spec["fiscal_year"]].astype(str).str.extract(r"(\d{4})")[0]
    mon = frame[spec["month"]].astype(str).str.strip().str[:3].str.upper().map(MONTHS)
    start = int(spec.get("start_month", 10))
    fy_n = pd.to_numeric(fy, errors="coerce")
    year = np.where(mon >= start, fy_n - 1, fy_n)
    ok = ~(pd.isna(fy_n) | pd.isna(mon))
    dates = pd.to_datetime(
        pd.DataFrame({"year": np.where(ok, year, 2000), "month": np.where(ok, mon, 1), "day": 1}), errors="coerce"
    ).where(ok)
    return dates, pd.Series(np.where(ok, "month", None), dtype=object)


def _recovered_dates(rows: Rows, spec: dict) -> tuple[pd.Series, pd.Series]:
    """Dates the publisher lost, from the row's weekday and the rows' date order."""
    frame = rows.frame
    ds = rows.col("event_date")
    rows.raw_vals["date"] = ds
    rows.raw_vals["weekday"] = frame[spec["weekday"]]
    rec = recover_dates_from_weekday(ds, frame[spec["weekday"]], fmt=spec["format"],
                                     language=spec.get("language", "es"),
                                     period=tuple(spec["period"]) if spec.get("period") else None, valid=rows.ok_row)
    add_reason_lists(rows.R, rec.reasons)
    rows.warnings.append(rec.summary())
    return rec.dates, rec.precision


def _parsed_dates(rows: Rows, date_order: str | None) -> tuple[pd.Series, pd.Series]:
    """Dates of the mapped date column in the order chosen, stated or found in the file."""
    n, R = rows.n, rows.R
    ds = rows.col("event_date")
    if ds is None:
        rows.warnings.append("no date column mapped: records carry no date")
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"), nones(n)
    rows.raw_vals["date"] = ds
    hints = getattr(rows.raw, "date_order_hints", None) or {}
    order = date_order or rows.profile.get("date_order") or hints.get(rows.mapping["event_date"]) or "auto"
    dr = parse_dates(rows.valid(ds), order=order, datemode=getattr(rows.raw, "datemode", 0))
    if dr.needs_choice:
        raise NeedsChoice(
            f"The dates in column {rows.mapping['event_date']!r} can be read day-first or month-first "
            "and the file does not say which. Choose the date order.", "date_order", ["dayfirst", "monthfirst"])
    add_reason_lists(R, dr.reasons)
    bad = ds.notna().to_numpy() & pd.isna(dr.dates).to_numpy() & rows.ok_row
    if bad.any():   # a placeholder ('N/D', '-') is no date, as a blank cell is
        cand = np.flatnonzero(bad)
        bad[cand[parse.placeholder_mask(ds.iloc[cand])]] = False
    R.add("DATE_INVALID", bad & ~R.any({"DATE_AMBIGUOUS"}))
    if dr.order_used not in ("iso",):
        rows.warnings.append(f"dates read {dr.order_used}")
    return dr.dates, dr.precision


def read_country(rows: Rows) -> pd.Series:
    """ISO 3166-1 alpha-3 code of each row's country (the mapped column, else the profile's
    constant); ``COUNTRY_UNKNOWN`` / ``COUNTRY_AMBIGUOUS`` flags for names that do not match."""
    n = rows.n
    cser = rows.col("country")
    if cser is not None:
        rows.raw_vals["country"] = cser
        cm = by_value(cser, n, nomenclature.match_countries, ["iso3", "country_flag"])
        iso3 = cm.col("iso3")
        cm.add_flags(rows.R, "country_flag")
    else:
        iso3 = null_text(n)
    if rows.consts.get("country"):
        ciso, _ = nomenclature.match_country(rows.consts["country"])
        iso3 = iso3.where(iso3.notna(), ciso)
    return iso3
