"""Serial-number parsers of the importer: exact text (:func:`serial_text`), match key
(:func:`serial_key`) and warning flags (:func:`serial_flags`).

Part of the value parsers (:mod:`intel.parse`: its overview explains the fast and slow paths,
and its Arrow helpers do the column work here). Serial numbers are kept as the exact text of
the source, never read as numbers. On a million CSV rows the three parsers together take
about 0.1 s (2 cores), most of it making the one Python ``str`` per row of their result.

Reason codes emitted
--------------------
Serials (:func:`serial_flags`): ``SERIAL_NUMERIC_IN_SOURCE``, ``SERIAL_SCIENTIFIC_NOTATION``.
"""
from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from intel.parse import (
    EMPTY_REASONS, PLACEHOLDERS, arrow_str, as_object, has_byte, is_number, bool_mask, is_missing, pa_bytes,
    pa_is_ascii, pa_objarr, pa_objects, pa_strip,
)

__all__ = ["serial_text", "serial_key", "serial_flags", "placeholder_keys"]


def serial_text(s: pd.Series) -> pd.Series:
    """Serial numbers as exact text.

    Text is returned unchanged (never stripped of leading zeros, never read as a number).
    Numbers (an XLSX cell that held a number) become their plain integer text when whole
    (``123456.0`` -> ``"123456"``), else ``repr``. Missing -> ``None``.

    Parameters
    ----------
    s : pandas.Series, shape (n,)

    Returns
    -------
    pandas.Series of object (str or None), shape (n,)
    """
    a = arrow_str(s)
    if a is not None:
        out = pa_objarr(a)   # one Python str per row: the bulk of the cost, unavoidable
        blank = bool_mask(pc.equal(pa_strip(a), ""))
        if blank.any():
            out[blank] = None
        return pd.Series(out, index=s.index, dtype=object, copy=False)
    s = as_object(s)

    def conv(v):
        if isinstance(v, str):
            return v if v.strip() else None
        if is_number(v):
            f = float(v)
            if not math.isfinite(f):
                return None
            if isinstance(v, (int, np.integer)):
                return str(int(v))
            return str(int(f)) if f.is_integer() else repr(f)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    arr = np.empty(len(s), dtype=object)
    arr[:] = [None if is_missing(v) else conv(v) for v in s]
    return pd.Series(arr, index=s.index, dtype=object)


_SERIAL_SEP = re.compile(r"[\s\-./\\_]+")


def placeholder_keys() -> list[str]:
    """Match keys (as :func:`serial_key` writes them) of the placeholders of
    :data:`intel.parse.PLACEHOLDERS` (``S/N`` -> ``SN``, ``OBLITERATED``): keys that records
    stored before placeholders were recognised may hold, and that must never link two seizures."""
    return sorted({k for k in (_SERIAL_SEP.sub("", p).upper() for p in PLACEHOLDERS) if k})


def serial_key(s: pd.Series) -> pd.Series:
    """Normalised match key of serial numbers (for duplicate and trace matching).

    Upper case; spaces, dashes, dots, slashes, backslashes and underscores removed; letters
    and digits kept as they are (``O`` is *not* turned into ``0``). The stored serial stays
    the exact text (:func:`serial_text`).

    Parameters
    ----------
    s : pandas.Series, shape (n,)

    Returns
    -------
    pandas.Series of object (str or None), shape (n,)
        ``None`` where the serial is missing or has no character left.
    """
    a = arrow_str(s)
    if a is not None:
        # ASCII text: the same key computed by Arrow (NFKC is the identity on ASCII; the
        # class lists every ASCII character Python's \s matches); other text per value.
        # Each Arrow pass is skipped when the bytes of the column show it would change nothing.
        valid = bool_mask(pc.is_valid(a)) & ~bool_mask(pc.equal(pa_strip(a), ""))
        b = pa_bytes(a)
        ascii_ = valid if pa_is_ascii(b) else bool_mask(pc.string_is_ascii(a)) & valid
        k = a
        if has_byte(b, "\x00", " ") or has_byte(b, "-", "/") or has_byte(b, "\\") or has_byte(b, "_"):
            k = pc.replace_substring_regex(k, r"[\t\n\x0b\x0c\r\x1c-\x1f \-./\\_]+", "")
        if has_byte(b, "a", "z"):
            k = pc.ascii_upper(k)
        out = pa_objarr(k)   # one Python str per row: the bulk of the cost, unavoidable
        drop = ~ascii_ | bool_mask(pc.equal(k, ""))
        if drop.any():
            out[drop] = None
        rest = np.flatnonzero(valid & ~ascii_)
        if len(rest):
            out[rest] = serial_key(pa_objects(a, rest)).to_numpy()
        return pd.Series(out, index=s.index, dtype=object, copy=False)
    t = serial_text(s)

    def key(v):
        if v is None:
            return None
        k = _SERIAL_SEP.sub("", unicodedata.normalize("NFKC", v)).upper()
        return k or None

    arr = np.empty(len(t), dtype=object)
    arr[:] = [key(v) for v in t]
    return pd.Series(arr, index=t.index, dtype=object)


def serial_flags(raw: pd.Series) -> pd.Series:
    """Reason codes for serial numbers, per row.

    ``SERIAL_NUMERIC_IN_SOURCE``: the source cell held a number, not text (XLSX), so leading
    zeros or digits beyond 15 significant figures may already be lost.
    ``SERIAL_SCIENTIFIC_NOTATION``: the text looks like a spreadsheet's rendering of a large
    number (``1.23457E+18``); the real serial is lost and must be re-read from the source.

    Parameters
    ----------
    raw : pandas.Series, shape (n,)

    Returns
    -------
    pandas.Series of list of str, shape (n,)
    """
    a = arrow_str(raw)
    if a is not None:
        # text cells only: SERIAL_NUMERIC_IN_SOURCE cannot occur
        t = pa_strip(a)
        b = pa_bytes(t)
        hit = (bool_mask(pc.match_substring_regex(t, r"^[0-9](\.[0-9]+)?[Ee]\+[0-9]+$")) if has_byte(b, "+")
               else np.zeros(len(a), dtype=bool))
        maybe = (np.zeros(len(a), dtype=bool) if pa_is_ascii(b)
                 else ~hit & ~bool_mask(pc.string_is_ascii(t)) & bool_mask(pc.is_valid(t)))
        out = np.empty(len(a), dtype=object)
        out.fill(EMPTY_REASONS)
        for i in np.flatnonzero(hit):
            out[i] = ["SERIAL_SCIENTIFIC_NOTATION"]
        rest = np.flatnonzero(maybe)   # Unicode digits: Python decides
        if len(rest):
            out[rest] = serial_flags(pa_objects(a, rest)).to_numpy()
        return pd.Series(out, index=raw.index, dtype=object, copy=False)
    raw = as_object(raw)
    sci = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)

    def f(v):
        if is_number(v):
            return ["SERIAL_NUMERIC_IN_SOURCE"]
        if isinstance(v, str) and sci.match(v.strip()):
            return ["SERIAL_SCIENTIFIC_NOTATION"]
        return []

    return pd.Series([f(v) for v in raw], index=raw.index, dtype=object)
