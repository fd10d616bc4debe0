r"""Arrow fast paths of the value parsers: text columns read in C, the rest handed to Python.

Part of the value parsers (:mod:`intel.parse` names every public function here too, so
``from intel.parse import pa_strip`` keeps working; :mod:`intel.coords`, :mod:`intel.dates`
and :mod:`intel.serials` use them). The pieces: :func:`arrow_str` (a Series as one Arrow string
array), byte looks over the raw UTF-8 data (:func:`pa_bytes`, :func:`has_byte`,
:func:`pa_is_ascii`), whitespace and byte edits (:func:`pa_strip`, :func:`pa_replace_byte`), the
plain-decimal reader (:func:`pa_decimals`), conversions to NumPy and object columns
(:func:`bool_mask`, :func:`pa_objarr`, :func:`pa_objects`, :func:`str_column`) and
:func:`per_distinct`, which reads each distinct text once.

CSV columns arrive as Arrow-backed strings (intel.readers). Each parser reads the plain forms
of such a column with pyarrow.compute in C, then hands the rows it could not read -- and only
those -- to the per-value Python path as an object Series (the coordinate and number parsers
hand it each distinct text once, :func:`per_distinct`), so every result is the one the
Python path would give. Fast-path patterns are ASCII-only (RE2 ``\d`` is ASCII, Python's is
Unicode): any other text takes the Python path. A pass that cannot change anything is
skipped after a look at the raw UTF-8 bytes of the column (:func:`pa_bytes`: no byte that
could start a space, no comma, no lower-case letter...), which costs a millisecond a pass.
Python ``str`` objects are made only for the rows that need them, except in the serial
parsers, whose result is one ``str`` per row (about 50 ns each, most of their time).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_str", "pa_bytes", "has_byte", "pa_is_ascii", "pa_strip", "pa_replace_byte", "bool_mask",
           "pa_objarr", "str_column", "pa_objects", "pa_decimals", "per_distinct"]

_PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" \
                 "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""Exactly the characters Python's ``str.strip()`` removes (``str.isspace``)."""
_RE_DECIMAL_DOT = r"^[+-]?(?:\d+\.?\d*|\.\d+)$"
_RE_DECIMAL_COMMA = r"^[+-]?(?:\d+,?\d*|,\d+)$"


def arrow_str(s):
    """The values of a string-dtype Series as one pyarrow string array, else None."""
    if not isinstance(s, pd.Series):
        return None
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) or (isinstance(dt, pd.ArrowDtype) and (
            pa.types.is_string(dt.pyarrow_dtype) or pa.types.is_large_string(dt.pyarrow_dtype))):
        arr = pa.array(s)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return None


def pa_bytes(a) -> np.ndarray | None:
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


def has_byte(b: np.ndarray | None, lo: str, hi: str | None = None) -> bool:
    """Whether some byte of ``b`` (from :func:`pa_bytes`; None: unknown, so yes) lies in
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


def pa_is_ascii(b: np.ndarray | None) -> bool:
    """True when every byte of ``b`` (from :func:`pa_bytes`) is ASCII, so every value is."""
    return b is not None and (len(b) == 0 or int(b.max()) < 0x80)


def _pa_only_printable_ascii(b: np.ndarray | None) -> bool:
    """True when every byte of ``b`` (from :func:`pa_bytes`) is printable ASCII (``!`` to
    DEL), so no value holds whitespace."""
    return b is not None and (len(b) == 0 or (int(b.min()) > 0x20 and int(b.max()) < 0x80))


def pa_strip(a):
    """``str.strip()`` of every value (same characters as Python); ``a`` itself when no value
    can hold whitespace (:func:`_pa_may_hold_space`)."""
    if not _pa_may_hold_space(pa_bytes(a)):
        return a
    return pc.utf8_trim(a, characters=_PY_WHITESPACE)


def _pa_may_hold_space(b: np.ndarray | None) -> bool:
    """False when the bytes ``b`` (from :func:`pa_bytes`) surely hold none of the characters
    of :data:`_PY_WHITESPACE`: in UTF-8 each of them is a byte <= 0x20, or has a byte 0x85 or
    0xA0 (U+0085, U+00A0) or a lead byte 0xE1-0xE3 (U+1680 and up). ``°`` (C2 B0), accented
    Latin letters and the like do not count."""
    if b is None:
        return True
    if _pa_only_printable_ascii(b):
        return False
    return (has_byte(b, "\x00", " ") or has_byte(b, "\x85") or has_byte(b, "\xa0")
            or has_byte(b, "\xe1", "\xe3"))


def pa_replace_byte(a, old: str, new: str):
    """``pc.replace_substring(a, old, new)`` for one ASCII character by another, done on the
    data buffer in one NumPy pass (an ASCII byte never occurs inside a multi-byte character);
    ``a`` itself when ``old`` does not occur."""
    b = pa_bytes(a)
    if not has_byte(b, old):
        return a
    validity, offsets, data = a.buffers()[:3]
    d = np.frombuffer(data, dtype=np.uint8).copy()
    for c in _blocks(d):
        np.putmask(c, c == ord(old), ord(new))
    return pa.Array.from_buffers(a.type, len(a), [validity, offsets, pa.py_buffer(d)], a.null_count, a.offset)


def bool_mask(b) -> np.ndarray:
    """Arrow boolean array -> NumPy bool, null as False."""
    return pc.fill_null(b, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def pa_objarr(a, idx=None) -> np.ndarray:
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


def str_column(labels: list[str], codes: np.ndarray):
    """``labels[codes]`` as the column pandas infers from an object array of those strings
    (the ``str`` dtype, Arrow-backed), built by Arrow without a Python object per row."""
    dtype = pd.StringDtype(na_value=np.nan)
    if dtype.storage != "pyarrow" or len(codes) == 0:   # (an empty object column stays object)
        return np.array(labels, dtype=object)[codes]
    return pd.arrays.ArrowStringArray(pc.take(pa.array(labels, pa.large_string()), pa.array(codes)), dtype=dtype)


def pa_objects(a, idx=None) -> pd.Series:
    """Arrow strings (optionally the rows ``idx``) as an object Series of str / None."""
    return pd.Series(pa_objarr(a, idx), dtype=object)


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
    b = pa_bytes(t)
    if b is None:
        return None
    if len(b) == 0:
        return bool_mask(pc.ascii_is_decimal(t))
    validity, offsets, data = t.buffers()[:3]
    d = np.frombuffer(data, dtype=np.uint8).copy()
    codes = list(allowed.encode("ascii"))
    for c in _blocks(d):
        hit = c == codes[0]
        for x in codes[1:]:
            hit |= c == x
        np.putmask(c, hit, ord("0"))
    digits = pa.Array.from_buffers(t.type, len(t), [validity, offsets, pa.py_buffer(d)], t.null_count, t.offset)
    return bool_mask(pc.ascii_is_decimal(digits))


def pa_decimals(t, blank: np.ndarray, mark: str = ".") -> tuple[np.ndarray, np.ndarray | None]:
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
    tt = pa_replace_byte(t, ",", ".") if mark == "," else t
    if within is not None:
        cand = within & ~blank
        if not cand.any():
            return cand, np.empty(0)
        vals = _pa_float(tt, cand)
        if vals is not None:
            return cand, vals
    ok = bool_mask(pc.match_substring_regex(t, _RE_DECIMAL_DOT if mark == "." else _RE_DECIMAL_COMMA)) & ~blank
    return ok, (_pa_float(tt, ok) if ok.any() else np.empty(0))


def per_distinct(a, rows: np.ndarray, fn) -> tuple[np.ndarray, ...]:
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
