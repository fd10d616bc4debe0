"""The values of a decision: corrected points, dates and countries checked before anything is
written, and the coordinates as given read again.

Part of data quality (:mod:`intel.quality` takes the decisions and names every public name here
too). A correction is validated like an import would validate it: :func:`validate_point` (both
coordinates given, in range, not Null Island: :data:`NULL_ISLAND_DEG`), :func:`read_date`
(``YYYY-MM-DD``) and :func:`read_country` (the country nomenclature). :func:`raw_point` reads the
coordinates of the raw row as given, for a row accepted as it is. A value that cannot be used
raises :class:`DecisionError` with a plain sentence for the analyst; nothing is guessed.
"""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from intel import coords, nomenclature

__all__ = ["DecisionError", "NULL_ISLAND_DEG", "validate_point", "read_date", "read_country", "raw_point"]

NULL_ISLAND_DEG = 0.001
"""A point with |lat| and |lon| both below this (degrees) is Null Island, treated as missing."""


class DecisionError(ValueError):
    """A decision that cannot be taken; the message is a plain sentence for the analyst."""


def _num(v, name: str) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        x = float(str(v).strip().replace(",", ".")) if isinstance(v, str) else float(v)
    except ValueError:
        raise DecisionError(f"The {name} {v!r} is not a number of degrees.") from None
    if math.isnan(x):
        return None
    return x


def validate_point(latitude, longitude) -> tuple[float, float]:
    """Check a corrected point (WGS84 degrees): both given, in range, not Null Island.

    Raises
    ------
    DecisionError
        With a plain sentence saying what is wrong.
    """
    lat, lon = _num(latitude, "latitude"), _num(longitude, "longitude")
    if lat is None or lon is None:
        raise DecisionError("Give both latitude and longitude to correct the location.")
    if not -90 <= lat <= 90:
        raise DecisionError(f"Latitude {lat} is outside -90..90 degrees.")
    if not -180 <= lon <= 180:
        raise DecisionError(f"Longitude {lon} is outside -180..180 degrees.")
    if abs(lat) < NULL_ISLAND_DEG and abs(lon) < NULL_ISLAND_DEG:
        raise DecisionError("The point (0, 0) is Null Island, a placeholder; give the real location.")
    return lat, lon


def read_date(v) -> date | None:
    """A corrected date: a date or datetime (its day), or ISO text ``YYYY-MM-DD`` (the first ten
    characters read); None when nothing is given.

    Raises
    ------
    DecisionError
        Text that is not ``YYYY-MM-DD``.
    """
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        return datetime.strptime(str(v).strip()[:10], "%Y-%m-%d").date()
    except ValueError:
        raise DecisionError(f"The date {v!r} must be written YYYY-MM-DD.") from None


def read_country(v) -> str | None:
    """A corrected country as its ISO 3166-1 alpha-3 code, read through the nomenclature
    (:func:`intel.nomenclature.match_country`: codes and names); None when nothing is given.

    Raises
    ------
    DecisionError
        A country that is unknown or matches more than one.
    """
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    iso3, flag = nomenclature.match_country(v)
    if iso3 is None:
        what = "matches more than one country" if flag == "COUNTRY_AMBIGUOUS" else "is not a known country"
        raise DecisionError(f"The country {v!r} {what}; give an ISO 3166-1 code.")
    return iso3


def raw_point(raw: dict, lat_key: str | None, lon_key: str | None) -> tuple[float, float] | None:
    """The coordinates as given, when they read as an in-range, non-Null-Island point.

    Parameters
    ----------
    raw : dict
        The raw input row (column name to value).
    lat_key, lon_key : str or None
        The batch's latitude and longitude columns; None reads ``latitude`` and ``longitude``.

    Returns
    -------
    tuple of float or None
        ``(latitude, longitude)`` in WGS84 degrees, or None when they do not read as a valid
        point (a comma decimal is read when the values hold commas and no dot).
    """
    la = raw.get(lat_key) if lat_key else raw.get("latitude")
    lo = raw.get(lon_key) if lon_key else raw.get("longitude")
    if la is None or lo is None:
        return None
    txt = f"{la}{lo}"
    decimal = "," if ("," in txt and "." not in txt) else "."
    pc = coords.parse_coordinates(pd.Series([la], dtype=object), pd.Series([lo], dtype=object), decimal=decimal)
    lat = float(pc["latitude"].iloc[0]) if pd.notna(pc["latitude"].iloc[0]) else None
    lon = float(pc["longitude"].iloc[0]) if pd.notna(pc["longitude"].iloc[0]) else None
    if lat is None or lon is None:
        return None
    try:
        return validate_point(lat, lon)
    except DecisionError:
        return None
