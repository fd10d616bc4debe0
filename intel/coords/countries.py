"""Country polygons and the latitude/longitude swap check.

Part of :mod:`intel.coords`. :func:`load_country_geoms` reads the Natural Earth country polygons
once per process (with an on-disk cache of their WKB); :func:`check_swaps` flags a point outside
its declared country whose swapped point lies inside it (``LATLON_SWAP_SUSPECTED``, with the
swapped point suggested, never applied), within :data:`SWAP_TOLERANCE_KM`;
:func:`inside_country` is the same test for any point. Queries of the cached prepared polygons
are serialised by :data:`_GEOS_LOCK`.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from intel.config import NATURAL_EARTH_GPKG


SWAP_TOLERANCE_KM = 25.0
"""Distance (km) outside its declared country within which a point still counts as inside."""

_KM_PER_DEG = 111.32


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
