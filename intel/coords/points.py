"""Points written in one column or on a grid: pairs, WKT, MGRS, UTM and projected coordinates.

Part of :mod:`intel.coords`. :func:`split_point_column` reads a column holding the whole point:
a ``lat, lon`` pair as copied from a map (order decided per column), WKT ``POINT (lon lat)``, an
MGRS grid reference (:func:`mgrs_to_latlon`) or UTM with its zone (:func:`utm_to_latlon`);
:func:`parse_zone` reads a zone column for easting/northing, and :func:`convert_projected`
converts coordinates of a named CRS with pyproj. Placeholders (``N/A``, ``-``, ``?``) are a
location not given, never unreadable.
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from intel.parse import as_object, ascii_numerals, parse_numbers


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
