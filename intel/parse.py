"""Value parsers of the importer: numbers, coordinates, dates and serial numbers.

Every function takes whole columns (pandas Series of raw values from :mod:`intel.readers`)
and returns whole columns, so an import of a million rows costs a few vectorised passes.
Each parser has a *fast path* for the plain forms (decimal numbers, ISO 8601 dates) done by
pandas/NumPy/Arrow in C, and a *slow path* that handles the remaining forms (DMS coordinates,
day-month dates, serial dates, month names) one **distinct** value at a time, so its cost
grows with the number of distinct odd values, not with the number of rows. (The commonest
DMS form, ``12°34'56"N``, is read by Arrow too, still once per distinct text.) On a million
CSV rows of mixed coordinates, :func:`parse_coordinates` takes about 0.2 s and the three
serial parsers together about 0.1 s (2 cores).

Nothing here guesses silently. A value that cannot be read, or can be read two ways, comes
back as NaN/NaT with a reason code; the raw value is never modified (callers keep it).

Reason codes emitted
--------------------
Coordinates (:func:`parse_coordinates`, :func:`check_swaps`):
``MISSING_LOCATION`` (quarantined), ``COORDINATE_UNREADABLE`` (rejected), ``INVALID_DMS``
(rejected), ``HEMISPHERE_MISSING`` (quarantined), ``HEMISPHERE_AXIS_MISMATCH`` (quarantined),
``PROJECTED_COORDINATES`` (quarantined), ``LAT_OUT_OF_RANGE`` / ``LON_OUT_OF_RANGE``
(rejected), ``LATLON_SWAP_SUSPECTED`` (with a suggested swapped point), ``NULL_ISLAND``
(quarantined).
Dates (:func:`parse_dates`): ``DATE_AMBIGUOUS``, ``DATE_ORDER_CONFLICT``, ``DATE_SERIAL_AS_TEXT``,
``DATE_OUT_OF_RANGE``, ``DATE_INVALID``, ``DATE_UNREADABLE``, ``DATE_TWO_DIGIT_YEAR``.
Serials (:func:`serial_flags`): ``SERIAL_NUMERIC_IN_SOURCE``, ``SERIAL_SCIENTIFIC_NOTATION``.

Coordinates are WGS84 degrees (EPSG:4326) throughout: latitude in [-90, 90], longitude in
[-180, 180].
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "parse_numbers", "parse_coordinates", "convert_projected", "parse_point_text",
    "check_swaps", "load_country_geoms", "parse_dates", "DateResult", "serial_key",
    "serial_text", "serial_flags", "NULL_ISLAND_DEG", "SWAP_TOLERANCE_KM",
    "SERIAL_MIN", "SERIAL_MAX",
]

NULL_ISLAND_DEG = 0.001
"""A point with |lat| and |lon| both below this (degrees) is Null Island (0, 0)."""
SWAP_TOLERANCE_KM = 25.0
"""Distance (km) outside its declared country within which a point still counts as inside."""
SERIAL_MIN, SERIAL_MAX = 32874, 49674
"""Excel serial range accepted as a date in the 1900 system: 1990-01-01 to 2035-12-31."""
DATE_MIN = pd.Timestamp("1990-01-01")
DATE_MAX = pd.Timestamp("2036-01-01")   # exclusive
TEXT_YEAR_MIN, TEXT_YEAR_MAX = 1901, 2100
"""Years accepted from text dates; 1900 and earlier are placeholders of broken exports."""

_KM_PER_DEG = 111.32
_BOUNDARIES = Path(__file__).resolve().parent.parent / "data" / "sources" / "boundaries" / "ne_10m_generalised_world_map.gpkg"


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


# ============================================================================================
# coordinates
# ============================================================================================

# per-axis parse states
_OK, _BLANK, _UNREADABLE, _BADDMS, _NOHEMI, _AXISMIX = 0, 1, 2, 3, 4, 5

_QUOTES = str.maketrans({
    "\u2032": "'", "\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'",
    "\u2033": '"', "\u201d": '"', "\u201c": '"',
    "\u00ba": "°", "\u02da": "°", "\u2070": "°",
    "\u2212": "-", "\u2013": "-", "\u2014": "-",
})
_HEMI = {"N": 1, "S": -1, "E": 1, "W": -1, "O": -1}
_HEMI_AXIS = {"N": "lat", "S": "lat", "E": "lon", "W": "lon", "O": "lon"}
_NUM = r"\d+(?:[.,]\d+)?"


@lru_cache(maxsize=200_000)
def _parse_angle(raw: str, axis: str) -> tuple[float, int, bool]:
    """Parse one coordinate text that the decimal fast path could not read.

    Returns
    -------
    (value, state, signed) : (float, int, bool)
        ``value`` in degrees (NaN unless state is OK or NOHEMI, where it is the unsigned
        magnitude); ``signed`` tells whether a sign or hemisphere letter was present.
    """
    t = unicodedata.normalize("NFKC", raw).translate(_QUOTES).strip().upper()
    t = t.replace("''", '"')
    if not t:
        return math.nan, _BLANK, False
    hemi = None
    m = re.match(r"^([NSEWO])\s*(.*)$", t)
    if m and (m.group(2)[:1].isdigit() or m.group(2)[:1] in ("+", "-")):
        hemi, t = m.group(1), m.group(2).strip()
    else:
        m = re.match(r"^(.*?)\s*([NSEWO])\.?$", t)
        if m and m.group(1):
            hemi, t = m.group(2), m.group(1).strip()
    sign = 1
    explicit = hemi is not None
    if t[:1] in ("+", "-"):   # not `in "+-"`: the empty string is in every string
        explicit = True
        sign = -1 if t[0] == "-" else 1
        t = t[1:].strip()
    if hemi is not None:
        if _HEMI_AXIS[hemi] != axis:
            return math.nan, _AXISMIX, True
        sign *= _HEMI[hemi]
    # only digits, separators and unit marks may remain
    if not t or not re.fullmatch(r"[\d.,°'\":\s]+", t):
        return math.nan, _UNREADABLE, explicit
    tokens = re.findall(_NUM, t)
    if not tokens or len(tokens) > 3:
        return math.nan, _UNREADABLE, explicit
    # the text between numbers must be separators only
    if re.sub(_NUM, "", t).strip(" °'\":") and len(tokens) == 1:
        return math.nan, _UNREADABLE, explicit
    nums = [tok.replace(",", ".") for tok in tokens]
    if len(nums) == 1:
        tok = nums[0]
        intpart = tok.split(".")[0]
        has_units = any(c in t for c in "°'\"")
        if hemi is not None and not has_units and len(intpart) >= 4:
            # compact DDMM[SS] / DDDMM[SS] with hemisphere letter (ICAO / UN/LOCODE style)
            frac = tok[len(intpart):]
            n = len(intpart)
            if n in (4, 5):
                deg, minute, sec = intpart[:n - 2], intpart[n - 2:] + frac, "0"
            elif n in (6, 7):
                deg, minute, sec = intpart[:n - 4], intpart[n - 4:n - 2], intpart[n - 2:] + frac
            else:
                return math.nan, _UNREADABLE, explicit
            d, mi, se = float(deg), float(minute), float(sec)
        else:
            d, mi, se = float(tok), 0.0, 0.0
            if not explicit and not has_units:
                return d * sign, _OK, explicit
            if not explicit:
                # bare '5°' is a whole-degree value written with a unit mark: signed form
                return d * sign, _NOHEMI, False
    else:
        if any("." in x for x in nums[:-1]):
            return math.nan, _BADDMS, explicit
        d = float(nums[0])
        mi = float(nums[1])
        se = float(nums[2]) if len(nums) == 3 else 0.0
    if mi >= 60 or se >= 60:
        return math.nan, _BADDMS, explicit
    val = d + mi / 60.0 + se / 3600.0
    if not explicit:
        return val, _NOHEMI, False
    return sign * val, _OK, True


def _parse_axis(s: pd.Series, decimal: str, axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised parse of one coordinate column -> (value, state, explicitly_signed)."""
    a = _arrow_str(s)
    if a is None:
        return _parse_axis_obj(s, decimal, axis)
    # A few passes over the column: strip (skipped when no value can hold whitespace), comma
    # -> point on the data buffer, one check and one cast for the plain decimals. Every other
    # non-blank text is read once per distinct value (real files repeat their DMS places).
    n = len(a)
    val = np.full(n, np.nan)
    state = np.full(n, _UNREADABLE, dtype=np.int8)
    signed = np.zeros(n, dtype=bool)
    t = _pa_strip(a)
    blank = ~_mask(pc.is_valid(t)) | _mask(pc.equal(t, ""))
    state[blank] = _BLANK
    # a comma is a decimal mark in coordinates (same rule as the Python path)
    t = _pa_replace_byte(t, ",", ".")
    ok, vals = _pa_decimals(t, blank)
    if vals is None:
        ok[:] = False
    else:
        good = np.isfinite(vals)
        if not good.all():
            ok[np.flatnonzero(ok)[~good]] = False
            vals = vals[good]
        val[ok] = vals
        state[ok] = _OK
        # explicitly signed: a leading '-' (the cast keeps it: '-0' is -0.0) or '+'
        signed[ok] = np.signbit(vals)
        if _has_byte(_pa_bytes(t), "+"):
            signed |= ok & _mask(pc.starts_with(t, "+"))
    rest = np.flatnonzero(~ok & ~blank)
    if len(rest):
        v, st, sg = _per_distinct(a, rest, lambda u: _parse_axis_text(u, decimal, axis))
        val[rest], state[rest], signed[rest] = v, st, sg
    return val, state, signed


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


_RE_DMS = {
    axis: r"^(?P<d>[0-9]{1,3})°(?P<m>[0-9]{1,2})'(?P<s>[0-9]{1,2}(?:\.[0-9]+)?)\"(?P<h>[" + letters + "])$"
    for axis, letters in (("lat", "NSns"), ("lon", "EWOewo"))
}
"""The plain DMS form ``12°34'56.7"N`` with a hemisphere letter of the axis, which
:func:`_parse_axis_text` reads in Arrow. ASCII digits only; every other form is left to
:func:`_parse_angle`."""


def _parse_axis_text(u, decimal: str, axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_parse_axis_obj` of Arrow strings ``u`` (none blank): the plain DMS form
    (:data:`_RE_DMS`) by Arrow and NumPy, everything else by :func:`_parse_axis_obj`.

    For that form :func:`_parse_angle` finds the hemisphere suffix, three integer-or-decimal
    tokens and no sign, and returns ``±(d + m / 60 + s / 3600)`` (same float operations, in
    the same order, here) or ``INVALID_DMS`` when minutes or seconds are >= 60; the value
    is always explicitly signed (by the letter).
    """
    n = len(u)
    val = np.full(n, np.nan)
    state = np.full(n, _UNREADABLE, dtype=np.int8)
    signed = np.zeros(n, dtype=bool)
    t = _pa_strip(u)
    hit = _mask(pc.match_substring_regex(t, _RE_DMS[axis]))
    if hit.any():
        parts = pc.extract_regex(t.filter(pa.array(hit)), _RE_DMS[axis])
        d, mi, se = (pc.cast(parts.field(k), pa.float64()).to_numpy(zero_copy_only=False) for k in "dms")
        neg = _mask(pc.is_in(parts.field("h"), pa.array(["S", "s", "W", "w", "O", "o"])))
        v = d + mi / 60.0 + se / 3600.0
        bad = (mi >= 60) | (se >= 60)
        val[hit] = np.where(bad, np.nan, np.where(neg, -v, v))
        state[hit] = np.where(bad, _BADDMS, _OK)
        signed[hit] = True
    rest = np.flatnonzero(~hit)
    if len(rest):
        v, st, sg = _parse_axis_obj(_pa_objects(u, rest), decimal, axis)
        val[rest], state[rest], signed[rest] = v, st, sg
    return val, state, signed


def _parse_axis_obj(s: pd.Series, decimal: str, axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_parse_axis` for object columns."""
    s = _as_object(s)
    n = len(s)
    val = np.full(n, np.nan)
    state = np.full(n, _UNREADABLE, dtype=np.int8)
    signed = np.zeros(n, dtype=bool)
    blank = _blank_mask(s)
    state[blank] = _BLANK
    is_str = (s.map(type).to_numpy(dtype=object) == str) & ~blank
    is_num = ~is_str & ~blank
    if is_num.any():
        nv = pd.to_numeric(s[is_num], errors="coerce").to_numpy(dtype=float)
        good = np.isfinite(nv)
        sub = np.flatnonzero(is_num)
        val[sub[good]] = nv[good]
        state[sub[good]] = _OK
        signed[sub[good]] = nv[good] < 0
    if is_str.any():
        sub = np.flatnonzero(is_str)
        t = s[is_str].astype(str).str.strip()
        tt = t.str.replace(",", ".", regex=False) if (decimal == "," or t.str.contains(",", regex=False).any()) else t
        fast = pd.to_numeric(tt, errors="coerce").to_numpy(dtype=float)
        good = np.isfinite(fast)
        val[sub[good]] = fast[good]
        state[sub[good]] = _OK
        first = t.str[:1].to_numpy(dtype=object)
        signed[sub] = (first == "-") | (first == "+")
        if (~good).any():
            rest = t[~good]
            codes, uniq = pd.factorize(rest.to_numpy(dtype=object))
            res = [_parse_angle(u, axis) for u in uniq]
            v = np.array([r[0] for r in res], dtype=float)[codes]
            st = np.array([r[1] for r in res], dtype=np.int8)[codes]
            sg = np.array([r[2] for r in res], dtype=bool)[codes]
            bad_idx = sub[~good]
            val[bad_idx], state[bad_idx], signed[bad_idx] = v, st, sg
    return val, state, signed


def parse_coordinates(lat: pd.Series, lon: pd.Series, decimal: str = ".") -> pd.DataFrame:
    """Parse and validate latitude/longitude columns, before any H3 binning.

    Accepted forms: decimal degrees (decimal point or comma), DMS ``5°33'12"N``, DDM
    ``05 33.20 N``, compact ``053312N`` / ``0001230W`` / ``4233N``, signed DMS ``-0°12'30"``
    (the sign of a 0-degree value is kept), hemisphere letters N/S/E/W and O (Oeste/Ouest)
    as prefix or suffix, Python numbers.

    Rules, in this order, per row:

    1. both blank -> ``MISSING_LOCATION`` (quarantined); one blank -> ``MISSING_LOCATION``;
    2. unreadable text -> ``COORDINATE_UNREADABLE`` (rejected);
    3. minutes or seconds >= 60 -> ``INVALID_DMS`` (rejected);
    4. a hemisphere letter of the wrong axis (``E`` in the latitude) ->
       ``HEMISPHERE_AXIS_MISMATCH`` (quarantined);
    5. a DMS/DDM value with neither sign nor letter -> ``HEMISPHERE_MISSING`` (quarantined;
       never assumed N/E) -- unless the other coordinate of the same row carries an explicit
       sign, which shows the writer used signed notation (``5°33'12"`` / ``-0°12'30"``);
    6. both |values| > 180 -> ``PROJECTED_COORDINATES`` (quarantined; metres of a projected
       CRS, see :func:`convert_projected`);
    7. |lat| > 90 -> ``LAT_OUT_OF_RANGE``, |lon| > 180 -> ``LON_OUT_OF_RANGE`` (rejected);
       when the swapped pair is in range, ``LATLON_SWAP_SUSPECTED`` is added with the swap
       as the suggestion;
    8. |lat| < 0.001 and |lon| < 0.001 -> ``NULL_ISLAND`` (quarantined).

    Parameters
    ----------
    lat, lon : pandas.Series, shape (n,)
        Raw values (text or numbers), aligned.
    decimal : {".", ","}
        Decimal mark of the file. A single comma between digits is read as a decimal mark
        in coordinates whatever this says (coordinates have no thousands separators).

    Returns
    -------
    pandas.DataFrame, shape (n,), index of ``lat``
        ``latitude``, ``longitude`` (float degrees WGS84; NaN unless the outcome is ``ok``),
        ``outcome`` (``ok``/``quarantined``/``rejected``), ``reasons`` (list of str per row),
        ``suggested_latitude``, ``suggested_longitude`` (float, NaN when no suggestion).
    """
    lat = lat if isinstance(lat, pd.Series) else pd.Series(lat)
    lon = (lon if isinstance(lon, pd.Series) else pd.Series(lon)).set_axis(lat.index)
    n = len(lat)
    la, sa, ga = _parse_axis(lat, decimal, "lat")
    lo, so, go = _parse_axis(lon, decimal, "lon")
    sug_lat = np.full(n, np.nan)
    sug_lon = np.full(n, np.nan)
    flagged: list[tuple[np.ndarray, str]] = []   # (mask, code) in the order of the rules
    is_rej = np.zeros(n, dtype=bool)
    is_qua = np.zeros(n, dtype=bool)

    def flag(mask, code, out):
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            flagged.append((mask, code))
            (is_rej if out == "rejected" else is_qua)[:] |= mask

    blank = (sa == _BLANK) | (so == _BLANK)
    flag(blank, "MISSING_LOCATION", "quarantined")
    live = ~blank
    unread = live & ((sa == _UNREADABLE) | (so == _UNREADABLE))
    flag(unread, "COORDINATE_UNREADABLE", "rejected")
    baddms = live & ((sa == _BADDMS) | (so == _BADDMS))
    flag(baddms, "INVALID_DMS", "rejected")
    mix = live & ((sa == _AXISMIX) | (so == _AXISMIX))
    flag(mix, "HEMISPHERE_AXIS_MISMATCH", "quarantined")
    # unsigned DMS: fine when the partner is explicitly signed
    la_nohemi = (sa == _NOHEMI) & ~((so == _OK) & go)
    lo_nohemi = (so == _NOHEMI) & ~((sa == _OK) & ga)
    nohemi = live & (la_nohemi | lo_nohemi) & ~unread & ~baddms & ~mix
    flag(nohemi, "HEMISPHERE_MISSING", "quarantined")
    sa = np.where(sa == _NOHEMI, _OK, sa)
    so = np.where(so == _NOHEMI, _OK, so)
    both = live & (sa == _OK) & (so == _OK) & ~nohemi
    with np.errstate(invalid="ignore"):
        proj = both & (np.abs(la) > 180) & (np.abs(lo) > 180)
        flag(proj, "PROJECTED_COORDINATES", "quarantined")
        rng = both & ~proj
        lat_bad = rng & (np.abs(la) > 90)
        lon_bad = rng & (np.abs(lo) > 180)
        flag(lat_bad, "LAT_OUT_OF_RANGE", "rejected")
        flag(lon_bad, "LON_OUT_OF_RANGE", "rejected")
        swap_ok = (lat_bad | lon_bad) & (np.abs(lo) <= 90) & (np.abs(la) <= 180)
        flag(swap_ok, "LATLON_SWAP_SUSPECTED", "rejected")
        sug_lat[swap_ok] = lo[swap_ok]
        sug_lon[swap_ok] = la[swap_ok]
        valid = rng & ~lat_bad & ~lon_bad
        null = valid & (np.abs(la) < NULL_ISLAND_DEG) & (np.abs(lo) < NULL_ISLAND_DEG)
        flag(null, "NULL_ISLAND", "quarantined")
    ok = valid & ~null
    out_lat = np.where(ok, la, np.nan)
    out_lon = np.where(ok, lo, np.nan)
    # a rejecting rule wins over a quarantining one (per row)
    outcome = _str_column(["ok", "quarantined", "rejected"], np.where(is_rej, 2, np.where(is_qua, 1, 0)))
    reasons = _reason_column(n, flagged)
    return pd.DataFrame({
        "latitude": out_lat, "longitude": out_lon, "outcome": outcome,
        "reasons": reasons,
        "suggested_latitude": sug_lat, "suggested_longitude": sug_lon,
    }, index=lat.index, copy=False)   # fresh arrays: no need to copy them into blocks


def convert_projected(x: pd.Series, y: pd.Series, crs: str) -> tuple[pd.Series, pd.Series]:
    """Convert projected coordinates to WGS84 degrees, for a CRS the analyst named.

    Parameters
    ----------
    x, y : pandas.Series, shape (n,)
        Easting and northing in the units of ``crs`` (usually metres); text or numbers,
        decimal point.
    crs : str
        Anything pyproj understands: ``"EPSG:32631"`` (UTM 31N), ``"EPSG:3857"``...

    Returns
    -------
    (lat, lon) : tuple of pandas.Series of float
        WGS84 degrees; NaN where the input is unreadable or the result is out of range.

    Raises
    ------
    ValueError
        Unknown CRS.
    """
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        src = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(f"unknown coordinate reference system {crs!r}: {exc}") from None
    xs = parse_numbers(x).to_numpy()
    ys = parse_numbers(y).to_numpy()
    tr = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(xs, ys)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    bad = ~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat[bad] = np.nan
    lon[bad] = np.nan
    idx = x.index if isinstance(x, pd.Series) else None
    return pd.Series(lat, index=idx), pd.Series(lon, index=idx)


_POINT_RE = re.compile(
    r"^\s*(?:c\(\s*|point\s*(?:z\s*|m\s*|zm\s*)?\(\s*)"
    r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*[,\s]\s*"
    r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?:\s*[,\s]\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)?\s*\)\s*$",
    re.IGNORECASE,
)


def parse_point_text(s: pd.Series) -> pd.DataFrame:
    """Read points written as text in longitude-latitude order.

    Forms: R vectors ``c(-79.538218382, 43.7337424510001)`` (Toronto Police open data) and
    WKT ``POINT (lon lat)`` (optionally ``POINT Z``). ``lat, lon`` pairs are *not* read: their
    order cannot be told from the text.

    Parameters
    ----------
    s : pandas.Series of str, shape (n,)

    Returns
    -------
    pandas.DataFrame, shape (n,)
        ``latitude``, ``longitude`` (float degrees WGS84 as written, not range-checked:
        pass them through :func:`parse_coordinates`); NaN when unparseable.
    """
    s = _as_object(s)
    txt = s.where(s.map(lambda v: isinstance(v, str), na_action="ignore").fillna(False).astype(bool), None)
    ext = txt.astype("object").str.extract(_POINT_RE) if len(s) else pd.DataFrame({0: [], 1: []})
    lon = pd.to_numeric(ext[0], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(ext[1], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame({"latitude": lat, "longitude": lon}, index=s.index)


@lru_cache(maxsize=4)
def load_country_geoms(path: str | None = None) -> dict:
    """Country polygons keyed by ISO 3166-1 alpha-3 (Kosovo ``XKX``).

    Parameters
    ----------
    path : str, optional
        GeoPackage with a ``countries`` layer and columns ``ISO_A3``, ``iso_a2`` (Natural
        Earth 1:10m generalised world map, EPSG:4326). Defaults to the bundled file.

    Returns
    -------
    dict of str to shapely geometry
        Prepared (multi)polygons in WGS84 degrees; features sharing a code are unioned.
    """
    src = Path(path or _BOUNDARIES)
    cached = _geoms_cache_read(src)
    if cached is not None:
        return cached
    out = _load_country_geoms_uncached(src)
    _geoms_cache_write(src, out)
    return out


def _geoms_cache_file(src: Path) -> Path | None:
    """Cache file of the unioned country polygons of ``src`` (WKB), keyed by its path, size
    and modification time; under ``$INTEL_CACHE_DIR`` or the user's cache directory."""
    import hashlib
    import os

    try:
        st = src.stat()
    except OSError:
        return None
    base = os.environ.get("INTEL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "intel")
    key = hashlib.sha256(f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}|v1".encode()).hexdigest()[:24]
    return Path(base) / f"country_geoms_{key}.wkb.pickle"


def _geoms_cache_read(src: Path) -> dict | None:
    import pickle

    import shapely

    f = _geoms_cache_file(src)
    if f is None or not f.exists():
        return None
    try:
        with open(f, "rb") as fh:
            codes, wkb = pickle.load(fh)
        geoms = shapely.from_wkb(wkb)
    except Exception:   # a damaged or foreign cache file: rebuild
        return None
    out = {}
    for code, g in zip(codes, geoms):
        shapely.prepare(g)
        out[code] = g
    return out


def _geoms_cache_write(src: Path, geoms: dict) -> None:
    import os
    import pickle

    import shapely

    f = _geoms_cache_file(src)
    if f is None:
        return
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump((list(geoms), list(shapely.to_wkb(list(geoms.values())))), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, f)
    except OSError:   # read-only home: no cache, same result
        pass


def _load_country_geoms_uncached(src: Path) -> dict:
    import geopandas as gpd
    import pycountry
    import shapely

    gdf = gpd.read_file(src, layer="countries")
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    codes = []
    for a3, a2 in zip(gdf["ISO_A3"], gdf["iso_a2"]):
        code = a3 if isinstance(a3, str) and len(a3) == 3 and a3.isalpha() else None
        if code is None and isinstance(a2, str):
            if a2.upper() == "XK":
                code = "XKX"
            else:
                c = pycountry.countries.get(alpha_2=a2.upper())
                code = c.alpha_3 if c else None
        codes.append(code)
    gdf = gdf.assign(_iso3=codes).dropna(subset=["_iso3"])
    out = {}
    for code, grp in gdf.groupby("_iso3"):
        g = shapely.make_valid(shapely.union_all(grp.geometry.values))
        shapely.prepare(g)
        out[code] = g
    return out


def check_swaps(lat, lon, iso3: pd.Series, country_geoms: dict) -> pd.DataFrame:
    """Find valid points that fall outside their declared country but whose swap falls inside.

    A point is *inside* its country when it lies in the polygon or within
    :data:`SWAP_TOLERANCE_KM` of it (distance in degrees times 111.32 km, which overstates
    east-west distances away from the equator, so the test errs towards "inside").

    Parameters
    ----------
    lat, lon : array-like of float, shape (n,)
        WGS84 degrees, already validated (NaN for unusable points).
    iso3 : pandas.Series of str, shape (n,)
        Declared country of each row (ISO 3166-1 alpha-3); ``None``/unknown codes are skipped.
    country_geoms : dict of str to shapely geometry
        From :func:`load_country_geoms`.

    Returns
    -------
    pandas.DataFrame, shape (n,)
        ``swap_suspected`` (bool), ``suggested_latitude``, ``suggested_longitude`` (float,
        NaN unless suspected). Callers add ``LATLON_SWAP_SUSPECTED`` and quarantine.
    """
    la = np.asarray(lat, dtype=float)
    lo = np.asarray(lon, dtype=float)
    # rows by country as integer codes (one pass; no Python object per row)
    fcodes, uniq = pd.factorize(pd.Series(iso3), use_na_sentinel=True)
    n = len(la)
    sus = np.zeros(n, dtype=bool)
    tol = SWAP_TOLERANCE_KM / _KM_PER_DEG
    valid = np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180)
    swap_ok = valid & (np.abs(lo) <= 90)
    with _GEOS_LOCK:   # the shared prepared polygons are not safe to query from two threads at once
        _swap_rows(la, lo, fcodes, uniq, valid, swap_ok, tol, country_geoms, sus)
    return pd.DataFrame({
        "swap_suspected": sus,
        "suggested_latitude": np.where(sus, lo, np.nan),
        "suggested_longitude": np.where(sus, la, np.nan),
    }, index=iso3.index if isinstance(iso3, pd.Series) else None)


_GEOS_LOCK = threading.Lock()
"""Serialises queries of the cached prepared country polygons: GEOS builds a prepared
geometry's index on first use, and two threads doing so at once corrupt the heap (seen when
two threads called ``contains_xy`` on one polygon)."""


def _swap_rows(la, lo, fcodes, uniq, valid, swap_ok, tol, country_geoms, sus) -> None:
    """The per-country work of :func:`check_swaps`: marks suspected swaps in ``sus``."""
    import shapely

    for k in np.unique(fcodes[valid & (fcodes >= 0)]):
        code = uniq[k]
        geom = country_geoms.get(code) if isinstance(code, str) else None
        if geom is None:
            continue
        idx = np.flatnonzero(valid & (fcodes == k))
        inside = shapely.contains_xy(geom, lo[idx], la[idx])
        out_idx = idx[~inside]
        # the swapped point (x=lat, y=lon) can only be inside or within tol of the country when
        # it lies in the country's bounding box widened by tol: test that first, in NumPy
        x0, y0, x1, y1 = shapely.bounds(geom)
        in_box = ((la[out_idx] >= x0 - tol) & (la[out_idx] <= x1 + tol)
                  & (lo[out_idx] >= y0 - tol) & (lo[out_idx] <= y1 + tol))
        out_idx = out_idx[in_box & swap_ok[out_idx]]
        if len(out_idx) == 0:
            continue
        pts = shapely.points(lo[out_idx], la[out_idx])
        near = shapely.dwithin(geom, pts, tol)
        cand = out_idx[~near & swap_ok[out_idx]]
        if len(cand) == 0:
            continue
        sw = shapely.points(la[cand], lo[cand])
        ins = shapely.contains_xy(geom, la[cand], lo[cand]) | shapely.dwithin(geom, sw, tol)
        sus[cand[ins]] = True


# ============================================================================================
# dates
# ============================================================================================

@dataclass
class DateResult:
    """Result of :func:`parse_dates`.

    Attributes
    ----------
    dates : pandas.Series of datetime64[ns], shape (n,)
        NaT where unreadable or ambiguous. Time of day kept when the source has one.
    precision : pandas.Series of object, shape (n,)
        ``"day"``, ``"month"``, ``"year"`` or ``None`` (no date).
    reasons : pandas.Series of list of str, shape (n,)
        Reason codes per row (empty list when clean).
    order_used : str
        ``"iso"`` (no day/month text), ``"dayfirst"``, ``"monthfirst"`` or ``"mixed-none"``
        (undecided: all ambiguous, or conflicting evidence).
    needs_choice : bool
        True when the analyst must choose the day/month order (then ``DATE_AMBIGUOUS`` rows
        are NaT); re-run with ``order="dayfirst"`` or ``"monthfirst"``.
    """

    dates: pd.Series
    precision: pd.Series
    reasons: pd.Series
    order_used: str
    needs_choice: bool


_MONTHS: dict[str, int] = {}
for _i, _names in enumerate([
    "january jan janvier janv enero ene janeiro",
    "february feb fevrier fev fevr febrero fevereiro",
    "march mar mars marzo marco",
    "april apr avril avr abril abr",
    "may mai mayo maio",
    "june jun juin junio junho",
    "july jul juillet juil julio julho",
    "august aug aout agosto ago",
    "september sep sept septembre septiembre setiembre setembro set",
    "october oct octobre octubre outubro out",
    "november nov novembre noviembre novembro",
    "december dec decembre diciembre dic dezembro dez",
], start=1):
    for _w in _names.split():
        _MONTHS[_w] = _i
_DATE_STOP = {"de", "del", "of", "the", "le", "el", "en", "a"}
_TRIPLE = re.compile(r"^(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})(?:[T\s,]+(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?$")
_PAIR = re.compile(r"^(\d{1,2})\s*[./-]\s*(\d{4})$|^(\d{4})\s*[./-]\s*(\d{1,2})$")


def _strip_accents(t: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))


def _mk(y, m, d, hh=0, mi=0, ss=0.0):
    try:
        ts = pd.Timestamp(_dt.datetime(int(y), int(m), int(d), int(hh), int(mi), int(ss)))
    except (ValueError, OverflowError):
        return None
    return ts


def _year4(y: str) -> tuple[int, bool]:
    v = int(y)
    if len(y) <= 2:
        return (2000 + v if v <= 69 else 1900 + v), True
    return v, False


def _classify_text(t: str):
    """Classify one date text that is not plain ISO.

    Returns a tuple ``(kind, payload)``:
    ``("date", (ts, precision, reasons))``; ``("dm", (a, b, y, time, reasons))`` for a
    day/month pair to be ordered per column; ``("bad", reason)``.
    """
    s = t.strip()
    if not s:
        return "blank", None
    # serial number or year written as text
    if re.fullmatch(r"\d+(\.\d+)?", s):
        if re.fullmatch(r"\d{4}", s) and TEXT_YEAR_MIN <= int(s) <= TEXT_YEAR_MAX:
            return "date", (pd.Timestamp(int(s), 1, 1), "year", [])
        if re.fullmatch(r"\d{8}", s):
            ts = _mk(s[:4], s[4:6], s[6:8])
            if ts is not None and TEXT_YEAR_MIN <= ts.year <= TEXT_YEAR_MAX:
                return "date", (ts, "day", [])
        return "serial", float(s)
    m = _TRIPLE.match(s)
    if m:
        p1, _sep, p2, p3, hh, mi, ss = m.groups()
        tm = (int(hh or 0), int(mi or 0), float(ss or 0))
        if hh is not None and (tm[0] > 23 or tm[1] > 59 or tm[2] >= 60):
            return "bad", "DATE_INVALID"
        if len(p1) == 4:      # year first: y-m-d
            ts = _mk(p1, p2, p3, *tm)
            return ("date", (ts, "day", [])) if ts is not None else ("bad", "DATE_INVALID")
        if len(p3) not in (2, 4):
            return "bad", "DATE_UNREADABLE"
        y, two = _year4(p3)
        return "dm", (int(p1), int(p2), y, tm, ["DATE_TWO_DIGIT_YEAR"] if two else [])
    m = _PAIR.match(s)
    if m:
        mo, y = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        ts = _mk(y, mo, 1)
        return ("date", (ts, "month", [])) if ts is not None else ("bad", "DATE_INVALID")
    # month names
    words = [w for w in re.split(r"[^0-9a-z]+", _strip_accents(s.lower())) if w and w not in _DATE_STOP]
    months = [w for w in words if w in _MONTHS or (w.rstrip(".") in _MONTHS)]
    if len(months) == 1:
        month = _MONTHS[months[0]]
        nums = [re.sub(r"(st|nd|rd|th|er|o|a)$", "", w) for w in words if w not in months]
        if not all(x.isdigit() for x in nums):
            hm = re.search(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", s)
            nums = [x for x in nums if x.isdigit()]
            if not hm:
                return "bad", "DATE_UNREADABLE"
        years = [x for x in nums if len(x) == 4]
        days = [x for x in nums if len(x) <= 2]
        if len(years) == 1 and len(days) <= 1:
            if days:
                ts = _mk(years[0], month, days[0])
                return ("date", (ts, "day", [])) if ts is not None else ("bad", "DATE_INVALID")
            return "date", (pd.Timestamp(int(years[0]), month, 1), "month", [])
        if not years and len(days) == 2:
            # '15 mar 24': a two-digit year
            ts = _mk(2000 + int(days[1]) if int(days[1]) <= 69 else 1900 + int(days[1]), month, days[0])
            return ("date", (ts, "day", ["DATE_TWO_DIGIT_YEAR"])) if ts is not None else ("bad", "DATE_INVALID")
    # ISO with time zone or other ISO 8601 spellings
    if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", s):
        ts = pd.to_datetime(s, format="ISO8601", errors="coerce", utc=True)
        if not pd.isna(ts):
            return "date", (ts.tz_localize(None), "day", [])
    return "bad", "DATE_UNREADABLE"


def _serial_to_ts(v: float, datemode: int):
    if not math.isfinite(v):
        return None
    base = pd.Timestamp("1899-12-30") + pd.Timedelta(days=1462 if datemode == 1 else 0)
    try:
        ts = base + pd.to_timedelta(round(v * 86400), unit="s")
    except (OverflowError, ValueError):
        return None
    if not (DATE_MIN <= ts < DATE_MAX):
        return None
    return ts


def parse_dates(s: pd.Series, order: str = "auto", datemode: int = 0) -> DateResult:
    """Parse a date column; the day/month order is decided once for the whole column.

    Forms: ISO ``yyyy-mm-dd`` (vectorised fast path, optional time), ``dd/mm/yyyy`` or
    ``mm/dd/yyyy`` with ``/ . -`` separators (1- or 2-digit parts, 2- or 4-digit years),
    ``mm/yyyy`` (month precision), ``yyyy`` (year precision), ``yyyymmdd``, month names in
    English, French, Spanish and Portuguese (``15 de marzo de 2024``, ``March 2024``),
    Excel serial numbers (numbers, or digit text flagged ``DATE_SERIAL_AS_TEXT``) and
    Python/pandas date objects (passed through).

    Day/month order (``order="auto"``): a first part > 12 is evidence for day-first, a
    second part > 12 for month-first, counted over the column's distinct values. One kind of
    evidence decides the column; none (all ambiguous) or both (conflict) leave it undecided:
    ``needs_choice`` is True, ambiguous rows are NaT with ``DATE_AMBIGUOUS`` and, on
    conflict, the unambiguous rows keep their only possible reading with
    ``DATE_ORDER_CONFLICT``. A pair with equal parts (``05/05/2024``) reads the same either
    way and is never ambiguous.

    Excel serials convert only when the result lies in 1990-01-01..2035-12-31 (serials
    32874-49674 in the 1900 system), else NaT with ``DATE_OUT_OF_RANGE``; the fraction is
    the time of day. Text years outside 1901-2100 are ``DATE_OUT_OF_RANGE``.

    Parameters
    ----------
    s : pandas.Series, shape (n,)
        Raw values.
    order : {"auto", "dayfirst", "monthfirst"}
        Day/month order; ``"auto"`` infers it from the column. (``"iso"`` is accepted as
        ``"auto"``.) Pass ``RawTable.date_order_hints[column]`` when present.
    datemode : {0, 1}
        Excel date system: 0 = 1900 (serial 45292 is 2024-01-01), 1 = 1904 (+1462 days).

    Returns
    -------
    DateResult

    Raises
    ------
    ValueError
        Unknown ``order`` or ``datemode``.
    """
    if order not in ("auto", "iso", "dayfirst", "monthfirst"):
        raise ValueError(f"order must be 'auto', 'dayfirst' or 'monthfirst', not {order!r}")
    if datemode not in (0, 1):
        raise ValueError(f"datemode must be 0 (1900 system) or 1 (1904 system), not {datemode!r}")
    a = _arrow_str(s)
    if a is not None:
        # Arrow strings: parse each distinct text once (the order is decided over distinct
        # values anyway), then spread the results over the rows.
        enc = pc.dictionary_encode(a)
        codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        u = _parse_dates_obj(_pa_objects(enc.dictionary), order, datemode)
        missing = codes < 0
        take = np.where(missing, 0, codes)
        if len(enc.dictionary):
            dates = u.dates.to_numpy(dtype="datetime64[ns]")[take]
            dates[missing] = np.datetime64("NaT")
            prec = u.precision.to_numpy(dtype=object)[take]
            prec[missing] = None
        else:
            dates = np.full(len(a), np.datetime64("NaT"), dtype="datetime64[ns]")
            prec = np.full(len(a), None, dtype=object)
        reasons = np.empty(len(a), dtype=object)
        reasons.fill(_EMPTY_REASONS)
        u_reasons = u.reasons.to_numpy(dtype=object)
        with_r = np.flatnonzero([bool(r) for r in u_reasons])
        if len(with_r):
            for i in np.flatnonzero(np.isin(codes, with_r)):
                reasons[i] = list(u_reasons[codes[i]])
        return DateResult(pd.Series(dates, index=s.index, dtype="datetime64[ns]"),
                          pd.Series(prec, index=s.index, dtype=object),
                          pd.Series(reasons, index=s.index, dtype=object), u.order_used, u.needs_choice)
    return _parse_dates_obj(s, order, datemode)


def _parse_dates_obj(s, order: str, datemode: int) -> DateResult:
    """:func:`parse_dates` for object (or datetime) columns."""
    if isinstance(s, pd.Series) and pd.api.types.is_datetime64_any_dtype(s.dtype):
        d = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        d = d.astype("datetime64[ns]")
        prec = pd.Series(np.where(d.isna(), None, "day"), index=s.index, dtype=object)
        return DateResult(d, prec, pd.Series([[] for _ in range(len(s))], index=s.index, dtype=object),
                          "iso", False)
    s = _as_object(s)
    n = len(s)
    idx = s.index
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    prec = np.full(n, None, dtype=object)
    reasons: list[list[str]] = [[] for _ in range(n)]
    blank = _blank_mask(s)
    types = s.map(type).to_numpy(dtype=object)
    kinds = np.zeros(n, dtype=np.int8)
    kinds[types == str] = 1
    other = np.flatnonzero((types != str) & ~blank)
    for i in other:
        v = s.iat[i]
        kinds[i] = 2 if _is_number(v) else (3 if isinstance(v, (_dt.date, pd.Timestamp, np.datetime64)) else 0)
    kinds[blank] = 0
    # --- date objects
    obj = np.flatnonzero(kinds == 3)
    for i in obj:
        v = s.iat[i]
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            ts = ts.tz_convert(None)
        out[i] = ts.to_datetime64()
        prec[i] = "day"
    # --- numbers: Excel serials
    num = np.flatnonzero(kinds == 2)
    for i in num:
        v = float(s.iat[i])
        if v.is_integer() and TEXT_YEAR_MIN <= v <= TEXT_YEAR_MAX:
            out[i] = np.datetime64(f"{int(v):04d}-01-01")
            prec[i] = "year"
            continue
        ts = _serial_to_ts(v, datemode)
        if ts is None:
            reasons[i].append("DATE_OUT_OF_RANGE")
        else:
            out[i] = ts.to_datetime64()
            prec[i] = "day"
    # --- text: ISO fast path
    txt = np.flatnonzero(kinds == 1)
    has_dm = False
    order_used = "iso"
    needs_choice = False
    if len(txt):
        t = s.iloc[txt].astype(str).str.strip()
        iso = pd.to_datetime(t, format="%Y-%m-%d", errors="coerce")
        good = iso.notna().to_numpy()
        gi = txt[good]
        out[gi] = iso[good].to_numpy(dtype="datetime64[ns]")
        prec[gi] = "day"
        if (~good).any():
            rest = t[~good]
            ridx = txt[~good]
            codes, uniq = pd.factorize(rest, sort=False)
            cls = [_classify_text(u) for u in uniq]
            # column-level day/month order from the distinct unambiguous values
            dm_first = dm_month = 0
            for kind, p in cls:
                if kind == "dm":
                    has_dm = True
                    a, b = p[0], p[1]
                    if a > 12 and b <= 12:
                        dm_first += 1
                    elif b > 12 and a <= 12:
                        dm_month += 1
            chosen = None
            if order in ("dayfirst", "monthfirst"):
                chosen = order
            elif dm_first and not dm_month:
                chosen = "dayfirst"
            elif dm_month and not dm_first:
                chosen = "monthfirst"
            conflict = order in ("auto", "iso") and dm_first > 0 and dm_month > 0
            results = []
            any_amb = False
            for kind, p in cls:
                if kind == "date":
                    results.append(p)
                elif kind == "serial":
                    ts = _serial_to_ts(p, datemode)
                    results.append((ts, "day", ["DATE_SERIAL_AS_TEXT"]) if ts is not None
                                   else (None, None, ["DATE_OUT_OF_RANGE"]))
                elif kind == "dm":
                    a, b, y, tm, rs = p
                    if not (TEXT_YEAR_MIN <= y <= TEXT_YEAR_MAX):
                        results.append((None, None, rs + ["DATE_OUT_OF_RANGE"]))
                        continue
                    if chosen is not None and not conflict:
                        d, m = (a, b) if chosen == "dayfirst" else (b, a)
                        ts = _mk(y, m, d, *tm)
                        results.append((ts, "day", rs) if ts is not None else (None, None, rs + ["DATE_INVALID"]))
                    elif a == b:
                        results.append((_mk(y, a, a, *tm), "day", rs))
                    elif a <= 12 and b <= 12:
                        any_amb = True
                        results.append((None, None, rs + ["DATE_AMBIGUOUS"]))
                    else:
                        d, m = (a, b) if a > 12 else (b, a)
                        ts = _mk(y, m, d, *tm)
                        extra = ["DATE_ORDER_CONFLICT"] if conflict else []
                        results.append((ts, "day", rs + extra) if ts is not None else (None, None, rs + ["DATE_INVALID"]))
                elif kind == "bad":
                    results.append((None, None, [p]))
                else:
                    results.append((None, None, []))
            if has_dm:
                if conflict:
                    order_used, needs_choice = "mixed-none", True
                elif chosen is not None:
                    order_used = chosen
                else:
                    order_used = "mixed-none"
                    needs_choice = any_amb
            u_ts = np.array([r[0].to_datetime64() if r[0] is not None else np.datetime64("NaT")
                             for r in results], dtype="datetime64[ns]")
            u_pr = np.empty(len(results), dtype=object)
            u_pr[:] = [r[1] if r[0] is not None else None for r in results]
            out[ridx] = u_ts[codes]
            prec[ridx] = u_pr[codes]
            with_reasons = [k for k, r in enumerate(results) if r[2]]
            if with_reasons:
                hit = np.isin(codes, with_reasons)
                for j in np.flatnonzero(hit):
                    reasons[ridx[j]].extend(results[codes[j]][2])
    # text years out of the plausible window
    dates = pd.Series(out, index=idx, dtype="datetime64[ns]")
    return DateResult(
        dates=dates,
        precision=pd.Series(prec, index=idx, dtype=object),
        reasons=pd.Series(reasons, index=idx, dtype=object) if n else pd.Series([], index=idx, dtype=object),
        order_used=order_used,
        needs_choice=needs_choice,
    )


# ============================================================================================
# serial numbers
# ============================================================================================

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
    a = _arrow_str(s)
    if a is not None:
        out = _pa_objarr(a)   # one Python str per row: the bulk of the cost, unavoidable
        blank = _mask(pc.equal(_pa_strip(a), ""))
        if blank.any():
            out[blank] = None
        return pd.Series(out, index=s.index, dtype=object, copy=False)
    s = _as_object(s)

    def conv(v):
        if isinstance(v, str):
            return v if v.strip() else None
        if _is_number(v):
            f = float(v)
            if not math.isfinite(f):
                return None
            if isinstance(v, (int, np.integer)):
                return str(int(v))
            return str(int(f)) if f.is_integer() else repr(f)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)

    arr = np.empty(len(s), dtype=object)
    arr[:] = [None if _missing(v) else conv(v) for v in s]
    return pd.Series(arr, index=s.index, dtype=object)


_SERIAL_SEP = re.compile(r"[\s\-./\\_]+")


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
    a = _arrow_str(s)
    if a is not None:
        # ASCII text: the same key computed by Arrow (NFKC is the identity on ASCII; the
        # class lists every ASCII character Python's \s matches); other text per value.
        # Each Arrow pass is skipped when the bytes of the column show it would change nothing.
        valid = _mask(pc.is_valid(a)) & ~_mask(pc.equal(_pa_strip(a), ""))
        b = _pa_bytes(a)
        ascii_ = valid if _pa_is_ascii(b) else _mask(pc.string_is_ascii(a)) & valid
        k = a
        if _has_byte(b, "\x00", " ") or _has_byte(b, "-", "/") or _has_byte(b, "\\") or _has_byte(b, "_"):
            k = pc.replace_substring_regex(k, r"[\t\n\x0b\x0c\r\x1c-\x1f \-./\\_]+", "")
        if _has_byte(b, "a", "z"):
            k = pc.ascii_upper(k)
        out = _pa_objarr(k)   # one Python str per row: the bulk of the cost, unavoidable
        drop = ~ascii_ | _mask(pc.equal(k, ""))
        if drop.any():
            out[drop] = None
        rest = np.flatnonzero(valid & ~ascii_)
        if len(rest):
            out[rest] = serial_key(_pa_objects(a, rest)).to_numpy()
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
    a = _arrow_str(raw)
    if a is not None:
        # text cells only: SERIAL_NUMERIC_IN_SOURCE cannot occur
        t = _pa_strip(a)
        b = _pa_bytes(t)
        hit = (_mask(pc.match_substring_regex(t, r"^[0-9](\.[0-9]+)?[Ee]\+[0-9]+$")) if _has_byte(b, "+")
               else np.zeros(len(a), dtype=bool))
        maybe = (np.zeros(len(a), dtype=bool) if _pa_is_ascii(b)
                 else ~hit & ~_mask(pc.string_is_ascii(t)) & _mask(pc.is_valid(t)))
        out = np.empty(len(a), dtype=object)
        out.fill(_EMPTY_REASONS)
        for i in np.flatnonzero(hit):
            out[i] = ["SERIAL_SCIENTIFIC_NOTATION"]
        rest = np.flatnonzero(maybe)   # Unicode digits: Python decides
        if len(rest):
            out[rest] = serial_flags(_pa_objects(a, rest)).to_numpy()
        return pd.Series(out, index=raw.index, dtype=object, copy=False)
    raw = _as_object(raw)
    sci = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)

    def f(v):
        if _is_number(v):
            return ["SERIAL_NUMERIC_IN_SOURCE"]
        if isinstance(v, str) and sci.match(v.strip()):
            return ["SERIAL_SCIENTIFIC_NOTATION"]
        return []

    return pd.Series([f(v) for v in raw], index=raw.index, dtype=object)
