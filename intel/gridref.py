"""Grid references for the field: a point as decimal degrees, degrees-minutes-seconds and MGRS.

A team in the field reads a position off a GPS, a paper map or a radio message in one of three
forms; the target package prints all three for every target (:func:`dms`, :func:`mgrs_ref`,
:func:`decimal`, and :func:`references` for whole columns).

* **Decimal degrees**: WGS84 latitude and longitude, 5 decimals (about 1 m), e.g.
  ``43.74139, -79.51439``.
* **DMS**: degrees, minutes and seconds to a tenth of a second (about 3 m), hemisphere letter
  last, e.g. ``43°44'29.0"N 79°30'51.8"W``; seconds are rounded once on the whole value, so
  59.96" carries into the minute (never ``60.0"``).
* **MGRS** (Military Grid Reference System, NGA TM 8358.1): grid zone, 100 km square and a
  1 m easting and northing, written with spaces as on a map sheet, e.g. ``17T PJ 19624 44222``.
  Converted by the ``mgrs`` package (the GeoTrans algorithms); UPS references near the poles
  keep the package's letters.

Coordinates are WGS84 degrees (EPSG:4326). Parsing these forms back is :mod:`intel.coords`'s job.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

_MGRS_PARTS = re.compile(r"^(\d{0,2}[A-Z])([A-Z]{2})(\d*)$")


def decimal(lat: float, lon: float, places: int = 5) -> str:
    """``"lat, lon"`` in decimal degrees with ``places`` decimals (5: about 1 m)."""
    return f"{lat:.{places}f}, {lon:.{places}f}"


def _dms_axis(v: float, pos: str, neg: str) -> str:
    tenths = int(round(abs(float(v)) * 36000.0))   # tenths of an arc second, rounded once
    d, rest = divmod(tenths, 36000)
    m, s = divmod(rest, 600)
    return f"{d}°{m:02d}'{s / 10:04.1f}\"{pos if v >= 0 else neg}"


def dms(lat: float, lon: float) -> str:
    """Degrees, minutes and seconds (0.1"), e.g. ``43°44'29.0"N 79°30'51.8"W``.

    Parameters
    ----------
    lat, lon : float
        WGS84 degrees, latitude in [-90, 90], longitude in [-180, 180].

    Raises
    ------
    ValueError
        A coordinate out of range or not finite.
    """
    _check(lat, lon)
    return f"{_dms_axis(lat, 'N', 'S')} {_dms_axis(lon, 'E', 'W')}"


def mgrs_ref(lat: float, lon: float, precision: int = 5) -> str:
    """MGRS reference with spaces, e.g. ``17T PJ 19624 44222`` (``precision`` 5 digits: 1 m).

    Parameters
    ----------
    lat, lon : float
        WGS84 degrees.
    precision : int
        Digits of easting and northing each (5 = 1 m, 4 = 10 m, ...).

    Raises
    ------
    ValueError
        A coordinate out of range or not finite.
    """
    import mgrs

    _check(lat, lon)
    raw = mgrs.MGRS().toMGRS(float(lat), float(lon), MGRSPrecision=int(precision))
    raw = raw.decode() if isinstance(raw, bytes) else str(raw)
    m = _MGRS_PARTS.match(raw.strip())
    if not m:
        return raw
    zone, square, digits = m.groups()
    h = len(digits) // 2
    return " ".join(x for x in (zone, square, digits[:h], digits[h:]) if x)


def references(lat, lon) -> pd.DataFrame:
    """``dms`` and ``mgrs`` columns for arrays of WGS84 degrees (one row per point)."""
    la, lo = np.asarray(lat, float), np.asarray(lon, float)
    return pd.DataFrame({"dms": [dms(a, b) for a, b in zip(la, lo)],
                         "mgrs": [mgrs_ref(a, b) for a, b in zip(la, lo)]})


def _check(lat, lon) -> None:
    if not (np.isfinite(lat) and np.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"not a WGS84 position: latitude {lat}, longitude {lon}")
