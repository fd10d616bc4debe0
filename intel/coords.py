"""Coordinate parsers of the importer: latitude/longitude columns, projected coordinates and
point text, the country polygons, and the lat/lon swap check.

Part of the value parsers (:mod:`intel.parse`: its overview explains the fast and slow paths,
and its Arrow helpers do the column work here). Decimal degrees are read by Arrow in C; every
other form is read once per **distinct** text, the commonest DMS form, ``12°34'56"N``, by
Arrow too (:func:`_parse_axis_text`), the rest in Python (:func:`_parse_angle`). On a million
CSV rows of mixed coordinates, :func:`parse_coordinates` takes about 0.2 s (2 cores).

Nothing here guesses silently. A value that cannot be read, or can be read two ways, comes
back as NaN with a reason code; the raw value is never modified (callers keep it).

Reason codes emitted
--------------------
Coordinates (:func:`parse_coordinates`, :func:`check_swaps`):
``MISSING_LOCATION`` (quarantined), ``COORDINATE_UNREADABLE`` (rejected), ``INVALID_DMS``
(rejected), ``HEMISPHERE_MISSING`` (quarantined), ``HEMISPHERE_AXIS_MISMATCH`` (quarantined),
``PROJECTED_COORDINATES`` (quarantined), ``LAT_OUT_OF_RANGE`` / ``LON_OUT_OF_RANGE``
(rejected), ``LATLON_SWAP_SUSPECTED`` (with a suggested swapped point), ``NULL_ISLAND``
(quarantined).

Coordinates are WGS84 degrees (EPSG:4326) throughout: latitude in [-90, 90], longitude in
[-180, 180].

A column that holds the whole point (:func:`split_point_column`) may be a ``lat, lon`` pair as
copied from a map (order decided per column), WKT ``POINT (lon lat)``, an MGRS grid reference
(converted by the ``mgrs`` library, :func:`mgrs_to_latlon`) or UTM with its zone (pyproj,
:func:`utm_to_latlon`); a zone column converts easting/northing row by row. Placeholders
(``N/A``, ``-``, ``?``) are a location not given (``MISSING_LOCATION``), never unreadable;
digits of any script are read (:func:`intel.parse.ascii_numerals`). A swap is suggested only
when the swapped point lies in the declared country (:func:`inside_country`).
"""
from __future__ import annotations

import math
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from intel.config import NATURAL_EARTH_GPKG
from intel.parse import (
    arrow_str, as_object, blank_mask, has_byte, bool_mask, pa_bytes, pa_decimals, pa_objects,
    pa_replace_byte, pa_strip, per_distinct, reason_column, str_column, ascii_numerals, is_placeholder,
    parse_numbers,
)

__all__ = [
    "parse_coordinates", "convert_projected", "parse_point_text", "check_swaps",
    "load_country_geoms", "NULL_ISLAND_DEG", "SWAP_TOLERANCE_KM",
    "split_point_column", "mgrs_to_latlon", "utm_to_latlon", "parse_zone", "inside_country", "MGRS_PRECISION_KM",
]

NULL_ISLAND_DEG = 0.001
"""A point with |lat| and |lon| both below this (degrees) is Null Island (0, 0)."""
SWAP_TOLERANCE_KM = 25.0
"""Distance (km) outside its declared country within which a point still counts as inside."""

_KM_PER_DEG = 111.32


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
    r"^\s*(?:c\(\s*|(?:srid\s*=\s*4326\s*;\s*)?point\s*(?:z\s*|m\s*|zm\s*)?\(\s*)"
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
    s = as_object(s)
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
    src = Path(path or NATURAL_EARTH_GPKG)
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
# one column holding the whole point: "lat, lon" pairs, WKT, MGRS and UTM grid references
# ============================================================================================

_PAIR_RE = (r"^\s*[\(\[]?\s*(?P<a>[+-]?\d+(?:\.\d+)?)\s*[°º]?\s*(?:,\s*|;\s*|\s+|:)(?P<b>[+-]?\d+(?:\.\d+)?)\s*[°º]?"
            r"\s*[\)\]]?\s*$")
"""Two decimal numbers (decimal point) separated by a comma, semicolon, colon or space, each
optionally followed by a degree sign (``12.6392°, -8.0029°``)."""
_PAIR_COMMA_RE = (r"^\s*[\(\[]?\s*(?P<a>[+-]?\d+(?:,\d+)?)\s*[°º]?\s*(?:;\s*|\s+)(?P<b>[+-]?\d+(?:,\d+)?)\s*[°º]?"
                  r"\s*[\)\]]?\s*$|"
                  r"^\s*[\(\[]?\s*(?P<a2>[+-]?\d+,\d+)\s*[°º]?\s*,\s*(?P<b2>[+-]?\d+,\d+)\s*[°º]?\s*[\)\]]?\s*$")
"""Two decimal-comma numbers separated by a semicolon or space (``19,4326; -99,1332``), or by a
comma when both have their decimals (``12,6392, -8,0029``: three commas, one split only)."""
_HEMI_PAIR_RE = re.compile(r"^\s*(?P<a>[^,;]*?[0-9.'\"°\s]\s*[NSEWO])\s*[,;\s]\s*(?P<b>[^,;]*?[0-9.'\"°\s]\s*[NSEWO])\s*$",
                           re.IGNORECASE)
_HEMI_PREFIX_PAIR_RE = re.compile(r"^\s*(?P<a>[NSEWO]\s*[0-9][^,;NSEWO]*?)\s*[,;\s]\s*(?P<b>[NSEWO]\s*[0-9][^,;NSEWO]*?)\s*$",
                                  re.IGNORECASE)
_MGRS_RE = re.compile(r"^\s*(\d{1,2})\s*([C-HJ-NP-X])\s*([A-HJ-NP-Z])\s*([A-HJ-NP-V])\s*(\d{0,10})(?:\s+(\d{1,5}))?\s*$",
                      re.IGNORECASE)
_UTM_RE = re.compile(r"^\s*(?:zone\s*)?(\d{1,2})\s*([C-HJ-NP-X])?\s*[,;\s]\s*(\d{5,7}(?:\.\d+)?)\s*(?:m\s*)?E?\s*[,;\s]\s*"
                     r"(\d{5,8}(?:\.\d+)?)\s*(?:m\s*)?N?\s*$", re.IGNORECASE)
_ZONE_RE = re.compile(r"^\s*(?:zone\s*|huso\s*|fuseau\s*|zona\s*)?(\d{1,2})\s*([C-HJ-NP-X])?\s*$", re.IGNORECASE)

MGRS_PRECISION_KM = {10: 0.001, 8: 0.01, 6: 0.1, 4: 1.0, 2: 10.0, 0: 100.0}
"""Side of the MGRS square (km) by the number of digits of the grid reference."""


def _band_lat_range(band: str) -> tuple[float, float]:
    """Latitude range (degrees) of a UTM/MGRS latitude band letter (C..X, no I or O)."""
    letters = "CDEFGHJKLMNPQRSTUVWX"
    i = letters.index(band.upper())
    lo = -80.0 + 8.0 * i
    return lo, (84.0 if band.upper() == "X" else lo + 8.0)


def utm_to_latlon(zone, letter, easting, northing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert UTM coordinates with a zone per row to WGS84 degrees (pyproj, EPSG:326zz/327zz).

    The letter after the zone is read as a latitude band (``31P``: 8-16 deg N) and the result
    must lie in that band (+-1 deg); ``N`` and ``S`` may also mean the hemisphere (``30S`` as
    "zone 30 south"), which is used when the band reading does not fit. No letter: northern
    hemisphere.

    Parameters
    ----------
    zone : array-like of int, shape (n,)
        UTM zone 1..60 (anything else gives NaN).
    letter : array-like of str or None, shape (n,)
        Latitude band or hemisphere letter.
    easting, northing : array-like of float, shape (n,)
        Metres.

    Returns
    -------
    (lat, lon, ok) : tuple of numpy.ndarray, shape (n,)
        WGS84 degrees (NaN where not converted) and a bool array of converted rows.
    """
    zone = np.asarray(zone, dtype=float)
    e = np.asarray(easting, dtype=float)
    nn = np.asarray(northing, dtype=float)
    letters = np.array([(x or "").upper() if isinstance(x, str) or x is None else "" for x in letter], dtype=object)
    n = len(zone)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    valid = np.isfinite(zone) & (zone >= 1) & (zone <= 60) & np.isfinite(e) & np.isfinite(nn)

    def convert(rows, south):
        for z in np.unique(zone[rows]):
            r = rows[zone[rows] == z]
            for sth in (False, True):
                rr = r[south[r] == sth]
                if len(rr):
                    tr = _utm_transformer(int(z), sth)
                    lo_, la_ = tr.transform(e[rr], nn[rr])
                    lat[rr], lon[rr] = la_, lo_

    band_south = np.array([bool(x) and x < "N" for x in letters])
    rows = np.flatnonzero(valid)
    convert(rows, band_south)
    ok = valid & np.isfinite(lat) & np.isfinite(lon)
    # the band must match the latitude; 'S' (or 'N') may instead name the hemisphere
    for i in np.flatnonzero(ok & (letters != "")):
        lo_b, hi_b = _band_lat_range(letters[i])
        if lo_b - 1 <= lat[i] <= hi_b + 1 or (letters[i] == "N" and lat[i] >= 0):
            continue
        if letters[i] == "S":
            tr = _utm_transformer(int(zone[i]), True)
            lo_, la_ = tr.transform(e[i], nn[i])
            if la_ <= 0:
                lat[i], lon[i] = la_, lo_
                continue
        lat[i] = lon[i] = np.nan
    ok = valid & np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    lat[~ok] = np.nan
    lon[~ok] = np.nan
    return lat, lon, ok


@lru_cache(maxsize=128)
def _utm_transformer(zone: int, south: bool):
    from pyproj import Transformer

    return Transformer.from_crs(f"EPSG:{(32700 if south else 32600) + zone}", "EPSG:4326", always_xy=True)


def parse_zone(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """UTM zone and letter of each value of a zone column (``30``, ``30N``, ``31P``, ``zone 29``).

    Returns
    -------
    (zone, letter) : numpy.ndarray of float (NaN if unreadable), numpy.ndarray of object
    """
    s = as_object(s)
    t = s.map(lambda v: str(int(v)) if isinstance(v, (int, float, np.integer, np.floating)) and not pd.isna(v)
              and float(v).is_integer() else v)
    ext = t.astype("object").where(t.map(lambda v: isinstance(v, str))).str.extract(_ZONE_RE)
    zone = pd.to_numeric(ext[0], errors="coerce").to_numpy(dtype=float)
    letter = ext[1].where(ext[1].notna(), None).to_numpy(dtype=object)
    return zone, letter


def mgrs_to_latlon(text: str) -> tuple[float, float, float]:
    """WGS84 degrees of the south-west corner of an MGRS grid square (with the ``mgrs`` library).

    Plain, spaced or lower-case references (``29PPP0828597442``, ``29P KR 36345 98556``).

    Returns
    -------
    (lat, lon, size_km) : floats; NaN when the text is not a valid MGRS reference
    """
    m = _MGRS_RE.match(text or "")
    if not m:
        return math.nan, math.nan, math.nan
    e_, n_ = m.group(5), m.group(6) or ""
    if n_ and len(e_) != len(n_) or len(e_ + n_) % 2 or len(e_ + n_) > 10:   # easting, northing: same digits
        return math.nan, math.nan, math.nan
    digits = e_ + n_
    ref = f"{int(m.group(1)):02d}{m.group(2)}{m.group(3)}{m.group(4)}{digits}".upper()
    import mgrs

    try:
        la, lo = mgrs.MGRS().toLatLon(ref)
    except Exception:   # the library raises plain exceptions on invalid squares
        return math.nan, math.nan, math.nan
    lo_b, hi_b = _band_lat_range(m.group(2))
    if not (lo_b - 0.5 <= la <= hi_b + 0.5):   # a square that does not exist in its band
        return math.nan, math.nan, math.nan
    return float(la), float(lo), MGRS_PRECISION_KM.get(len(digits), math.nan)


def split_point_column(s: pd.Series, decimal: str = ".") -> tuple[pd.DataFrame, list[str]]:
    """Read a column that holds the whole location of each row.

    Forms, told apart per row: WKT ``POINT (lon lat)`` and R vectors ``c(lon, lat)``
    (longitude first, :func:`parse_point_text`); MGRS grid references (:func:`mgrs_to_latlon`);
    UTM with its zone (``30N 500000 1800000``, :func:`utm_to_latlon`); and pairs of numbers
    as copied from a map (``19.4326, -99.1332``; ``19,4326; -99,1332``; DMS with hemisphere
    letters ``19°25'57"N 99°07'59"W``).

    The order of plain number pairs is decided once for the whole column from its values:
    a first number beyond +-90 somewhere (and no second one) means longitude first; else
    latitude first, the convention of Google Maps and most GPS tools (a warning says so when
    the values alone cannot tell; the country check of the import still catches swaps).

    Parameters
    ----------
    s : pandas.Series, shape (n,)
        Raw text.
    decimal : {".", ","}
        Decimal mark of the file.

    Returns
    -------
    (frame, warnings) : pandas.DataFrame, list of str
        ``lat``, ``lon``: text for :func:`parse_coordinates` (or numbers for converted grid
        references; None when the row has no readable point); ``form``: ``"wkt"``, ``"pair"``,
        ``"mgrs"``, ``"utm"`` or None; ``size_km``: side of the grid square for MGRS (NaN
        otherwise).
    """
    s = as_object(s)
    n = len(s)
    txt = s.map(lambda v: v if isinstance(v, str) else None)
    lat = np.full(n, None, dtype=object)
    lon = np.full(n, None, dtype=object)
    form = np.full(n, None, dtype=object)
    size = np.full(n, np.nan)
    warnings: list[str] = []
    t = txt.astype("object")
    # WKT / R vectors (longitude first)
    wkt = parse_point_text(s)
    hit = wkt["latitude"].notna().to_numpy()
    lat[hit], lon[hit], form[hit] = wkt["latitude"].to_numpy()[hit], wkt["longitude"].to_numpy()[hit], "wkt"
    # number pairs
    left = ~hit & t.notna().to_numpy()
    pairs = t.where(left).str.extract(_PAIR_RE) if left.any() else pd.DataFrame({"a": [None] * n, "b": [None] * n})
    if decimal == "," or (left & pairs["a"].isna().to_numpy()).any():
        pc2 = t.where(left & pairs["a"].isna().to_numpy()).str.extract(_PAIR_COMMA_RE)
        pc2["a"], pc2["b"] = pc2["a"].fillna(pc2["a2"]), pc2["b"].fillna(pc2["b2"])
        fill = pairs["a"].isna() & pc2["a"].notna()
        pairs.loc[fill, ["a", "b"]] = pc2.loc[fill, ["a", "b"]].to_numpy()
    ph = pairs["a"].notna().to_numpy() & left
    if ph.any():
        a = pd.to_numeric(pairs["a"].str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(pairs["b"].str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
        a_big = bool((np.abs(a[ph]) > 90).any())
        b_big = bool((np.abs(b[ph]) > 90).any())
        lon_first = a_big   # beyond 90 first: longitude first; beyond 90 in both: projected x (easting) first
        if not a_big and not b_big:
            warnings.append("the point column holds pairs of numbers that could be read either way; read as "
                            "latitude, longitude (the order of map tools and GPS): check the map")
        elif a_big and b_big:
            warnings.append("the point column holds pairs beyond 90 in both places: read as projected "
                            "easting, northing (x y); give the zone (a zone column) or --crs to convert them")
        la_t, lo_t = (pairs["b"], pairs["a"]) if lon_first else (pairs["a"], pairs["b"])
        lat[ph], lon[ph], form[ph] = la_t.to_numpy(dtype=object)[ph], lo_t.to_numpy(dtype=object)[ph], "pair"
        left &= ~ph
    # the rest: one distinct text at a time (MGRS, UTM, DMS pairs)
    rows = np.flatnonzero(left)
    if len(rows):
        codes, uniq = pd.factorize(t.iloc[rows].to_numpy(dtype=object))
        res = [_point_text_one(u) for u in uniq]
        for j, i in enumerate(rows):
            la_, lo_, f, sz = res[codes[j]]
            lat[i], lon[i], form[i], size[i] = la_, lo_, f, sz
    return pd.DataFrame({"lat": lat, "lon": lon, "form": form, "size_km": size}, index=s.index), warnings


def _point_text_one(u: str):
    """(lat, lon, form, size_km) of one point text that is not WKT or a plain number pair."""
    t = ascii_numerals(unicodedata.normalize("NFKC", u)).strip()
    la, lo, sz = mgrs_to_latlon(t)
    if np.isfinite(la):
        return la, lo, "mgrs", sz
    m = _UTM_RE.match(t)
    if m:
        la_, lo_, ok = utm_to_latlon([int(m.group(1))], [m.group(2)], [float(m.group(3))], [float(m.group(4))])
        if ok[0]:
            return float(la_[0]), float(lo_[0]), "utm", math.nan
        return None, None, None, math.nan
    if t.count(";") == 1 and "," in t:   # '12,6392° N; 8,0029° W': decimal commas, split by the semicolon
        a, b = (x.strip() for x in t.split(";"))
        if re.fullmatch(r"[^,]*\d,\d[^,]*", a) and re.fullmatch(r"[^,]*\d,\d[^,]*", b):
            a, b = a.replace(",", "."), b.replace(",", ".")
            ends = (a[-1:].upper(), b[-1:].upper()) if a[-1:].isalpha() else (a[:1].upper(), b[:1].upper())
            if ends[0] in "NS" and ends[1] in "EWO":
                return a, b, "pair", math.nan
            if ends[0] in "EWO" and ends[1] in "NS":
                return b, a, "pair", math.nan
    m = _HEMI_PREFIX_PAIR_RE.match(t)   # 'N19.4326 W99.1332' (hemisphere letter first)
    if m:
        a, b = m.group("a").strip(), m.group("b").strip()
        if a[0].upper() in "EWO" and b[0].upper() in "NS":
            a, b = b, a
        return a, b, "pair", math.nan
    m = _HEMI_PAIR_RE.match(t)
    if m:
        a, b = m.group("a").strip(), m.group("b").strip()
        if a[-1].upper() in "EWO" and b[-1].upper() in "NS":
            a, b = b, a
        return a, b, "pair", math.nan
    return None, None, None, math.nan


def inside_country(lat, lon, iso3, country_geoms: dict, tol_km: float = SWAP_TOLERANCE_KM) -> np.ndarray:
    """Whether each point lies in its declared country, or within ``tol_km`` of it.

    Parameters
    ----------
    lat, lon : array-like of float, shape (n,)
        WGS84 degrees (NaN or out-of-range points are never inside).
    iso3 : array-like of str or None, shape (n,)
        Declared country (ISO 3166-1 alpha-3); rows without one, or with a code that has no
        polygon, are not inside.
    country_geoms : dict of str to shapely geometry
        From :func:`load_country_geoms`.
    tol_km : float
        Tolerance in km (converted at 111.32 km per degree, which errs towards "inside").

    Returns
    -------
    numpy.ndarray of bool, shape (n,)
    """
    import shapely

    la = np.asarray(lat, dtype=float)
    lo = np.asarray(lon, dtype=float)
    codes, uniq = pd.factorize(pd.Series(list(iso3), dtype=object), use_na_sentinel=True)
    out = np.zeros(len(la), dtype=bool)
    valid = np.isfinite(la) & np.isfinite(lo) & (np.abs(la) <= 90) & (np.abs(lo) <= 180) & (codes >= 0)
    tol = tol_km / _KM_PER_DEG
    with _GEOS_LOCK:
        for k in np.unique(codes[valid]):
            geom = country_geoms.get(uniq[k]) if isinstance(uniq[k], str) else None
            if geom is None:
                continue
            idx = np.flatnonzero(valid & (codes == k))
            ins = shapely.contains_xy(geom, lo[idx], la[idx])
            rest = idx[~ins]
            if len(rest):
                ins[~ins] = shapely.dwithin(geom, shapely.points(lo[rest], la[rest]), tol)
            out[idx] = ins
    return out
