"""Latitude and longitude columns read as WGS84 degrees: decimal, DMS, hemisphere letters.

Part of :mod:`intel.coords`. :func:`parse_coordinates` reads a latitude and a longitude column:
decimal degrees by Arrow in C, every other form once per distinct text (the commonest DMS form,
``12°34'56"N``, by Arrow too, the rest in Python), and returns degrees with a reason code per row
(``MISSING_LOCATION``, ``COORDINATE_UNREADABLE``, ``INVALID_DMS``, ``HEMISPHERE_MISSING``,
``HEMISPHERE_AXIS_MISMATCH``, ``PROJECTED_COORDINATES``, ``LAT_OUT_OF_RANGE``/``LON_OUT_OF_RANGE``,
``NULL_ISLAND``). A value that cannot be read, or can be read two ways, is NaN, never a guess.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from intel.parse import (arrow_str, as_object, blank_mask, has_byte, bool_mask, pa_bytes, pa_decimals,
                         pa_objects, pa_replace_byte, pa_strip, per_distinct, reason_column, str_column,
                         ascii_numerals, is_placeholder)

NULL_ISLAND_DEG = 0.001
"""A point with |lat| and |lon| both below this (degrees) is Null Island (0, 0)."""


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
    if is_placeholder(raw):   # 'N/A', '-', '?': the location is not given
        return math.nan, _BLANK, False
    t = ascii_numerals(unicodedata.normalize("NFKC", raw)).translate(_QUOTES).strip().upper()
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
    a = arrow_str(s)
    if a is None:
        return _parse_axis_obj(s, decimal, axis)
    # A few passes over the column: strip (skipped when no value can hold whitespace), comma
    # -> point on the data buffer, one check and one cast for the plain decimals. Every other
    # non-blank text is read once per distinct value (real files repeat their DMS places).
    n = len(a)
    val = np.full(n, np.nan)
    state = np.full(n, _UNREADABLE, dtype=np.int8)
    signed = np.zeros(n, dtype=bool)
    t = pa_strip(a)
    blank = ~bool_mask(pc.is_valid(t)) | bool_mask(pc.equal(t, ""))
    state[blank] = _BLANK
    # a comma is a decimal mark in coordinates (same rule as the Python path)
    t = pa_replace_byte(t, ",", ".")
    ok, vals = pa_decimals(t, blank)
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
        if has_byte(pa_bytes(t), "+"):
            signed |= ok & bool_mask(pc.starts_with(t, "+"))
    rest = np.flatnonzero(~ok & ~blank)
    if len(rest):
        v, st, sg = per_distinct(a, rest, lambda u: _parse_axis_text(u, decimal, axis))
        val[rest], state[rest], signed[rest] = v, st, sg
    return val, state, signed


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
    t = pa_strip(u)
    hit = bool_mask(pc.match_substring_regex(t, _RE_DMS[axis]))
    if hit.any():
        parts = pc.extract_regex(t.filter(pa.array(hit)), _RE_DMS[axis])
        d, mi, se = (pc.cast(parts.field(k), pa.float64()).to_numpy(zero_copy_only=False) for k in "dms")
        neg = bool_mask(pc.is_in(parts.field("h"), pa.array(["S", "s", "W", "w", "O", "o"])))
        v = d + mi / 60.0 + se / 3600.0
        bad = (mi >= 60) | (se >= 60)
        val[hit] = np.where(bad, np.nan, np.where(neg, -v, v))
        state[hit] = np.where(bad, _BADDMS, _OK)
        signed[hit] = True
    rest = np.flatnonzero(~hit)
    if len(rest):
        v, st, sg = _parse_axis_obj(pa_objects(u, rest), decimal, axis)
        val[rest], state[rest], signed[rest] = v, st, sg
    return val, state, signed


def _parse_axis_obj(s: pd.Series, decimal: str, axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_parse_axis` for object columns."""
    s = as_object(s)
    n = len(s)
    val = np.full(n, np.nan)
    state = np.full(n, _UNREADABLE, dtype=np.int8)
    signed = np.zeros(n, dtype=bool)
    blank = blank_mask(s)
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
    outcome = str_column(["ok", "quarantined", "rejected"], np.where(is_rej, 2, np.where(is_qua, 1, 0)))
    reasons = reason_column(n, flagged)
    return pd.DataFrame({
        "latitude": out_lat, "longitude": out_lon, "outcome": outcome,
        "reasons": reasons,
        "suggested_latitude": sug_lat, "suggested_longitude": sug_lon,
    }, index=lat.index, copy=False)   # fresh arrays: no need to copy them into blocks
