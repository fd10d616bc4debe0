"""Raw-value helpers shared by the controlled vocabularies.

:mod:`intel.nomenclature` (item types, criminal contexts, place types, makes),
:mod:`intel.calibres` and :mod:`intel.country_names` all read agency cells the same way: a cell is
missing when it is empty, NaN or a placeholder such as ``N/A`` (:func:`is_blank`); a whole float
read from a spreadsheet is the integer it spells (:func:`raw_text`); accents are dropped where
harmless (:func:`strip_accents`); and a column is matched once per distinct value, not per row
(:func:`map_unique`). They live here so that each vocabulary module can use them without importing
another.
"""
from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd

from intel.parse import is_placeholder

__all__ = ["is_blank", "raw_text", "strip_accents", "map_unique"]


def is_blank(raw, keep: frozenset = frozenset()) -> bool:
    """Missing, whitespace-only or a placeholder for "no value" (:data:`intel.parse.PLACEHOLDERS`:
    ``N/A``, ``-``, ``S/N``...) other than the keys in ``keep`` (real codes of the column).

    Parameters
    ----------
    raw : object
        One raw cell value (str, number, None, NaN, ``pd.NA``).
    keep : frozenset of str, optional
        Placeholder keys (:func:`intel.parse.placeholder_key`) that are real values of this column.

    Returns
    -------
    bool
        True when the value counts as missing.
    """
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    try:
        if pd.isna(raw):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(raw, str) and (not raw.strip() or is_placeholder(raw, keep))


def raw_text(raw) -> str:
    """Text of a raw value: a whole float is written without its ``.0`` (``12.0`` -> ``"12"``),
    anything else through :func:`str`."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def strip_accents(t: str) -> str:
    """``t`` without combining marks after NFKD normalisation (``Brésil`` -> ``Bresil``)."""
    return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))


def map_unique(s: pd.Series, fn, columns: list[str]) -> pd.DataFrame:
    """Apply ``fn`` (raw -> tuple) to the distinct values of ``s`` only.

    Parameters
    ----------
    s : pandas.Series or sequence, shape (n,)
        Raw values; missing ones get ``fn(None)``.
    fn : callable
        Raw value -> tuple of ``len(columns)`` values.
    columns : list of str
        Names of the result columns, in the order of ``fn``'s tuple.

    Returns
    -------
    pandas.DataFrame, shape (n, len(columns)), index of ``s``
        Object columns.
    """
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    s = s.astype(object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    res = [fn(u) for u in uniq]
    nonef = tuple(None for _ in columns)
    blank_res = fn(None)
    cols = {}
    for k, name in enumerate(columns):
        vals = [r[k] for r in res] + [blank_res[k] if blank_res else nonef[k]]
        arr = np.empty(len(vals), dtype=object)
        arr[:] = vals
        cols[name] = pd.Series(arr[codes], index=s.index, dtype=object)  # code -1 picks the appended blank result
    return pd.DataFrame(cols, index=s.index)
