"""Plain JSON values for exported properties.

GeoJSON and JSON exports (hotspot cells, border segments and crossings, target packages) write
table rows as feature properties; NumPy and pandas scalars are not JSON. :func:`json_value`
turns one cell value into what ``json.dumps`` writes as its plain-data equivalent, the same way
for every export.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def json_value(v):
    """One table value as plain JSON data.

    Parameters
    ----------
    v : any
        A cell of a pandas row (NumPy or Python scalar, Timestamp, date, str, list, ...).

    Returns
    -------
    int, float, bool, str, list, dict or None
        NumPy integers/floats/booleans as Python numbers; NaN, infinities, None, NaT and pandas
        NA as None (JSON has no NaN); a date or a Timestamp at midnight as ``'YYYY-MM-DD'`` (the
        UTC calendar days the store uses), another Timestamp in ISO 8601; lists, tuples and
        dicts as they are; any other object as its ``str``.
    """
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple, dict)):
        return v
    if isinstance(v, np.ndarray):
        return [json_value(x) for x in v.tolist()]
    if pd.isna(v):
        return None
    return v if isinstance(v, (int, str)) else str(v)
