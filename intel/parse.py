"""Value parsers of the importer: the machinery they share, and numbers.

Every parser takes whole columns (pandas Series of raw values from :mod:`intel.readers`)
and returns whole columns, so an import of a million rows costs a few vectorised passes.
Each parser has a *fast path* for the plain forms (decimal numbers, ISO 8601 dates) done by
pandas/NumPy/Arrow in C, and a *slow path* that handles the remaining forms (DMS coordinates,
day-month dates, serial dates, month names) one **distinct** value at a time, so its cost
grows with the number of distinct odd values, not with the number of rows.

Nothing here guesses silently. A value that cannot be read, or can be read two ways, comes
back as NaN/NaT with a reason code; the raw value is never modified (callers keep it).

One module per kind of value:

- this module: :func:`parse_numbers`, and the low-level pieces every parser uses -- the
  helpers for object columns (:func:`_blank_mask`, :func:`_reason_column`...) and the Arrow
  fast-path helpers (text, masks, byte looks, :func:`_per_distinct`; notes below);
- :mod:`intel.coords`: coordinates (``parse_coordinates``, ``convert_projected``,
  ``parse_point_text``), the country polygons (``load_country_geoms``) and the lat/lon swap
  check (``check_swaps``);
- :mod:`intel.dates`: dates (``parse_dates``, ``DateResult``);
- :mod:`intel.serials`: serial numbers (``serial_text``, ``serial_key``, ``serial_flags``).
"""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_numbers"]


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _as_object(s) -> pd.Series:
    s = s if isinstance(s, pd.Series) else pd.Series(s)
    return s.astype(object) if s.dtype != object else s


def _blank_mask(s: pd.Series) -> np.ndarray:
    """True where the raw value is missing or whitespace-only text."""
    isna = pd.isna(s).to_numpy()
    is_str = (s.map(type).to_numpy(dtype=object) == str) & ~isna
    blank_str = np.zeros(len(s), dtype=bool)
    if is_str.any():
        blank_str[is_str] = s[is_str].astype(str).str.strip().eq("").to_numpy(dtype=bool)
    return isna | blank_str


# --------------------------------------------------------------------------------------------
# Arrow fast paths
# --------------------------------------------------------------------------------------------
# CSV columns arrive as Arrow-backed strings (intel.readers). Each parser reads the plain forms
# of such a column with pyarrow.compute in C, then hands the rows it could not read -- and only
# those -- to the per-value Python path as an object Series (the coordinate and number parsers
# hand it each distinct text once, :func:`_per_distinct`), so every result is the one the
# Python path would give. Fast-path patterns are ASCII-only (RE2 ``\d`` is ASCII, Python's is
# Unicode): any other text takes the Python path. A pass that cannot change anything is
# skipped after a look at the raw UTF-8 bytes of the column (:func:`_pa_bytes`: no byte that
# could start a space, no comma, no lower-case letter...), which costs a millisecond a pass.
# Python ``str`` objects are made only for the rows that need them, except in the serial
# parsers, whose result is one ``str`` per row (about 50 ns each, most of their time).

_PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" \
                 "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""Exactly the characters Python's ``str.strip()`` removes (``str.isspace``)."""
_RE_DECIMAL_DOT = r"^[+-]?(?:\d+\.?\d*|\.\d+)$"
_RE_DECIMAL_COMMA = r"^[+-]?(?:\d+,?\d*|,\d+)$"


_EMPTY_REASONS: list = []
"""Shared by every row without a reason in the reason columns built here: treat reason lists
as read-only (a million distinct empty lists cost a second of allocation and GC)."""


def _reason_column(n: int, flagged: list) -> np.ndarray:
    """Object array of reason lists from ``(mask, code)`` pairs, codes in the given order;
    rows without a reason share :data:`_EMPTY_REASONS`."""
    out = np.empty(n, dtype=object)
    out.fill(_EMPTY_REASONS)
    if flagged:
        anyf = np.zeros(n, dtype=bool)
        for mask, _ in flagged:
            anyf |= mask
        for i in np.flatnonzero(anyf):
            out[i] = [code for mask, code in flagged if mask[i]]
    return out


def _arrow_str(s):
    """The values of a string-dtype Series as one pyarrow string array, else None."""
    if not isinstance(s, pd.Series):
        return None
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) or (isinstance(dt, pd.ArrowDtype) and (
            pa.types.is_string(dt.pyarrow_dtype) or pa.types.is_large_string(dt.pyarrow_dtype))):
        arr = pa.array(s)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return None


def _pa_bytes(a) -> np.ndarray | None:
    """The UTF-8 bytes of the values of string array ``a``, as a NumPy view (no copy); None
    when ``a`` is not a plain (large) string array.

    The bytes of null slots may be included, so use this only to ask whether a column holds
    some byte at all: a false "yes" merely sends the column down the general path. In UTF-8
    every byte of a multi-byte character is >= 0x80, so an ASCII byte found here is that
    ASCII character.
    """
    if not isinstance(a, pa.Array) or not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
        return None
    bufs = a.buffers()
    if len(a) == 0 or bufs[2] is None:
        return np.empty(0, dtype=np.uint8)
    off = np.frombuffer(bufs[1], dtype=np.int64 if pa.types.is_large_string(a.type) else np.int32)
    return np.frombuffer(bufs[2], dtype=np.uint8)[off[a.offset]:off[a.offset + len(a)]]


_BYTE_BLOCK = 1 << 16
"""Bytes examined at once by the byte looks: their temporaries stay small (in cache, and
reused instead of fresh pages from the system, which the first import of a process pays)."""


def _blocks(b: np.ndarray):
    """Consecutive views of ``b`` of :data:`_BYTE_BLOCK` bytes (writing to one writes to ``b``)."""
    return (b[i:i + _BYTE_BLOCK] for i in range(0, len(b), _BYTE_BLOCK))


def _has_byte(b: np.ndarray | None, lo: str, hi: str | None = None) -> bool:
    """Whether some byte of ``b`` (from :func:`_pa_bytes`; None: unknown, so yes) lies in
    ``ord(lo)..ord(hi)`` (``hi`` defaults to ``lo``). The minimum and maximum byte answer
    most questions (a column of digits has no comma) before any block is looked at."""
    if b is None:
        return True
    lo_, hi_ = ord(lo), ord(hi if hi is not None else lo)
    if len(b) == 0 or int(b.min()) > hi_ or int(b.max()) < lo_:
        return False
    if lo_ == hi_:
        return any((c == lo_).any() for c in _blocks(b))
    return any(((c >= lo_) & (c <= hi_)).any() for c in _blocks(b))


def _pa_is_ascii(b: np.ndarray | None) -> bool:
    """True when every byte of ``b`` (from :func:`_pa_bytes`) is ASCII, so every value is."""
    return b is not None and (len(b) == 0 or int(b.max()) < 0x80)


def _pa_only_printable_ascii(b: np.ndarray | None) -> bool:
    """True when every byte of ``b`` (from :func:`_pa_bytes`) is printable ASCII (``!`` to
    DEL), so no value holds whitespace."""
    return b is not None and (len(b) == 0 or (int(b.min()) > 0x20 and int(b.max()) < 0x80))


def _pa_strip(a):
    """``str.strip()`` of every value (same characters as Python); ``a`` itself when no value
    can hold whitespace (:func:`_pa_may_hold_space`)."""
    if not _pa_may_hold_space(_pa_bytes(a)):
        return a
    return pc.utf8_trim(a, characters=_PY_WHITESPACE)


def _pa_may_hold_space(b: np.ndarray | None) -> bool:
    """False when the bytes ``b`` (from :func:`_pa_bytes`) surely hold none of the characters
    of :data:`_PY_WHITESPACE`: in UTF-8 each of them is a byte <= 0x20, or has a byte 0x85 or
    0xA0 (U+0085, U+00A0) or a lead byte 0xE1-0xE3 (U+1680 and up). ``°`` (C2 B0), accented
    Latin letters and the like do not count."""
    if b is None:
        return True
    if _pa_only_printable_ascii(b):
        return False
    return (_has_byte(b, "\x00", " ") or _has_byte(b, "\x85") or _has_byte(b, "\xa0")
            or _has_byte(b, "\xe1", "\xe3"))


def _pa_replace_byte(a, old: str, new: str):
    """``pc.replace_substring(a, old, new)`` for one ASCII character by another, done on the
    data buffer in one NumPy pass (an ASCII byte never occurs inside a multi-byte character);
    ``a`` itself when ``old`` does not occur."""
    b = _pa_bytes(a)
    if not _has_byte(b, old):
        return a
    validity, offsets, data = a.buffers()[:3]
    d = np.frombuffer(data, dtype=np.uint8).copy()
    for c in _blocks(d):
        np.putmask(c, c == ord(old), ord(new))
    return pa.Array.from_buffers(a.type, len(a), [validity, offsets, pa.py_buffer(d)], a.null_count, a.offset)


def _mask(b) -> np.ndarray:
    """Arrow boolean array -> NumPy bool, null as False."""
    return pc.fill_null(b, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _pa_objarr(a, idx=None) -> np.ndarray:
    """Arrow strings (optionally the rows ``idx``) as a writable object array of str / None."""
    if idx is not None:
        a = a.take(pa.array(idx, pa.int64()))
    if isinstance(a, pa.ChunkedArray):
        arr = a.to_numpy()
    else:
        arr = a.to_numpy(zero_copy_only=False, writable=True)   # a fresh array: no second copy
    if arr.dtype != object or not arr.flags.writeable:
        arr = arr.astype(object)
    return arr


def _str_column(labels: list[str], codes: np.ndarray):
    """``labels[codes]`` as the column pandas infers from an object array of those strings
    (the ``str`` dtype, Arrow-backed), built by Arrow without a Python object per row."""
    dtype = pd.StringDtype(na_value=np.nan)
    if dtype.storage != "pyarrow" or len(codes) == 0:   # (an empty object column stays object)
        return np.array(labels, dtype=object)[codes]
    return pd.arrays.ArrowStringArray(pc.take(pa.array(labels, pa.large_string()), pa.array(codes)), dtype=dtype)


def _pa_objects(a, idx=None) -> pd.Series:
    """Arrow strings (optionally the rows ``idx``) as an object Series of str / None."""
    return pd.Series(_pa_objarr(a, idx), dtype=object)


def _pa_float(t, ok: np.ndarray) -> np.ndarray | None:
    """float64 of the rows ``ok`` of text ``t`` (all matched a plain decimal pattern)."""
    try:
        return pc.cast(t.filter(pa.array(ok)), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _pa_rows_within(t, allowed: str) -> np.ndarray | None:
    """Per row of string array ``t``: True when the value is non-empty and every character is
    an ASCII digit or one of ``allowed`` (ASCII); False for empty and null rows. None when
    ``t`` is not a plain string array.

    The ``allowed`` bytes are overwritten with ``0`` in a copy of the data buffer (a few NumPy
    passes), then Arrow's ``ascii_is_decimal`` reads each row: about a third of the cost of
    a regular expression.
    """
    b = _pa_bytes(t)
    if b is None:
        return None
    if len(b) == 0:
        return _mask(pc.ascii_is_decimal(t))
    validity, offsets, data = t.buffers()[:3]
    d = np.frombuffer(data, dtype=np.uint8).copy()
    codes = list(allowed.encode("ascii"))
    for c in _blocks(d):
        hit = c == codes[0]
        for x in codes[1:]:
            hit |= c == x
        np.putmask(c, hit, ord("0"))
    digits = pa.Array.from_buffers(t.type, len(t), [validity, offsets, pa.py_buffer(d)], t.null_count, t.offset)
    return _mask(pc.ascii_is_decimal(digits))


def _pa_decimals(t, blank: np.ndarray, mark: str = ".") -> tuple[np.ndarray, np.ndarray | None]:
    """The rows of stripped text ``t`` that are plain decimals (:data:`_RE_DECIMAL_DOT`, or
    :data:`_RE_DECIMAL_COMMA` when ``mark`` is ``","``), and their float64 values (None when
    Arrow could not cast them, as :func:`_pa_float`).

    Arrow's string-to-float64 cast accepts, among the strings made of ``0-9 + -`` and one
    kind of decimal mark, exactly those the pattern matches (checked on every such string of
    up to 7 characters; ``tests/test_parse.py`` checks those of up to 5), and reads them as
    ``float()`` does. So the rows made of those characters only (:func:`_pa_rows_within`,
    a third of the cost of the regular expression) are cast at once, and the pattern is
    asked only when that cast fails (some row such as ``1.2.3`` or ``5-``): the rows and
    values are always those of the pattern and :func:`_pa_float`.
    """
    within = _pa_rows_within(t, "+-" + mark)
    tt = _pa_replace_byte(t, ",", ".") if mark == "," else t
    if within is not None:
        cand = within & ~blank
        if not cand.any():
            return cand, np.empty(0)
        vals = _pa_float(tt, cand)
        if vals is not None:
            return cand, vals
    ok = _mask(pc.match_substring_regex(t, _RE_DECIMAL_DOT if mark == "." else _RE_DECIMAL_COMMA)) & ~blank
    return ok, (_pa_float(tt, ok) if ok.any() else np.empty(0))


def _per_distinct(a, rows: np.ndarray, fn) -> tuple[np.ndarray, ...]:
    """``fn`` applied to the distinct values of the rows ``rows`` (none null) of Arrow strings
    ``a``, its results spread back over those rows.

    ``fn`` takes an Arrow string array (each distinct text once, in order of first
    appearance) and returns a tuple of arrays with one element per text; it must read each
    text on its own (as the per-value Python paths do), so that reading the distinct texts
    gives what reading every row would.
    """
    enc = pc.dictionary_encode(a.take(pa.array(rows, pa.int64())))
    codes = enc.indices.to_numpy(zero_copy_only=False)
    return tuple(np.asarray(r)[codes] for r in fn(enc.dictionary))


# ============================================================================================
# numbers
# ============================================================================================

def parse_numbers(s: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """Parse numeric text into floats.

    Parameters
    ----------
    s : pandas.Series, shape (n,)
        Raw values: text, Python/NumPy numbers (passed through), ``None``.
    decimal : {".", ","}
        Decimal mark of the text.
    thousands : str, optional
        Thousands separator. With ``decimal=","`` it defaults to ``"."`` (``1.250`` -> 1250).
        Groups must have three digits (``1.5`` is not read as 15). Spaces, non-breaking and
        narrow no-break spaces between digit groups are always accepted.

    Returns
    -------
    pandas.Series of float64, shape (n,)
        NaN where the value is missing or unreadable (also for ``inf``/``nan`` text).
    """
    if decimal == "," and thousands is None:
        thousands = "."
    a = _arrow_str(s)
    if a is not None:
        t = _pa_strip(a)
        blank = ~_mask(pc.is_valid(t)) | _mask(pc.equal(t, ""))
        ok, vals = _pa_decimals(t, blank, "." if decimal == "." else ",")
        out = np.full(len(a), np.nan)
        if vals is None:
            ok[:] = False
        else:
            out[ok] = vals
        rest = np.flatnonzero(~ok & _mask(pc.is_valid(a)))
        if len(rest):   # each distinct other text once
            (v,) = _per_distinct(a, rest, lambda u: (_parse_numbers_obj(_pa_objects(u), decimal, thousands).to_numpy(),))
            out[rest] = v
        out[~np.isfinite(out)] = np.nan
        return pd.Series(out, index=s.index, dtype="float64")
    return _parse_numbers_obj(s, decimal, thousands)


def _parse_numbers_obj(s, decimal: str, thousands: str | None) -> pd.Series:
    """:func:`parse_numbers` for object columns (per-value Python where needed)."""
    s = _as_object(s)
    idx = s.index
    out = np.full(len(s), np.nan)
    is_str = (s.map(type).to_numpy(dtype=object) == str)
    num_mask = ~is_str & ~pd.isna(s).to_numpy()
    if num_mask.any():
        vals = pd.to_numeric(s[num_mask], errors="coerce").to_numpy(dtype=float)
        out[num_mask] = vals
    if is_str.any():
        t = s[is_str].astype(str).str.strip()
        if decimal == ".":
            fast = np.array(pd.to_numeric(t, errors="coerce"), dtype=float)
        else:
            tt = t.where(~t.str.contains(".", regex=False), "")
            fast = np.array(pd.to_numeric(tt.str.replace(",", ".", regex=False), errors="coerce"), dtype=float)
        bad = ~np.isfinite(fast)
        if bad.any():
            rest = t[bad]
            uniq = pd.unique(rest.to_numpy())
            table = {u: _slow_number(u, decimal, thousands) for u in uniq}
            fast[bad] = rest.map(table).to_numpy(dtype=float)
        out[is_str] = fast
    out[~np.isfinite(out)] = np.nan
    return pd.Series(out, index=idx, dtype="float64")


def _slow_number(t: str, decimal: str, thousands: str | None) -> float:
    t = t.strip().replace("\u00a0", " ").replace("\u202f", " ").replace("\u2212", "-")
    if not t:
        return math.nan
    sign = ""
    if t[0] in "+-":
        sign, t = t[0], t[1:].strip()
    seps = [" "] + ([thousands] if thousands and thousands != " " else [])
    dec = re.escape(decimal)
    for sep in seps:
        pat = rf"^\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:{dec}\d+)?$"
        if re.match(pat, t):
            t = t.replace(sep, "")
            break
    if decimal == ",":
        if "." in t:
            return math.nan
        t = t.replace(",", ".")
    if not re.match(r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", t):
        return math.nan
    v = float(sign + t)
    return v if math.isfinite(v) else math.nan
