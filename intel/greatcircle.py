"""Great circles on a sphere: central angles, points along paths, bearings.

Coordinates are WGS84 degrees on a sphere of radius :data:`EARTH_RADIUS_KM`, distances great-circle
km. Points along a great circle are computed in 3-D unit vectors (see "Great circles and the 180th
meridian" in :mod:`intel.corridors`), so longitudes come back in (-180, 180] and a path simply
steps across the 180th meridian.

Where it sits: a small shared module under the analyses, importing nothing from ``intel``. It is
used to lay flows out on cells (:mod:`intel.corridors.cells`), by the corridor exports, by the
chevrons of the corridor renderer (:mod:`intel.render.corridors`), and by :mod:`intel.links`
to measure link distances with :func:`central_angle`. It used to be ``intel.corridors.geometry``:
:mod:`intel.links` needs it and :mod:`intel.corridors` needs :mod:`intel.links` (re-seizure
flows), so it lives outside both packages and neither imports the other in a circle.
"""
from __future__ import annotations

import numpy as np


EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""


def _xyz(lat, lon) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def central_angle(lat0, lon0, lat1, lon1) -> np.ndarray:
    """Central angle (radians) between points, ``atan2(|A x B|, A . B)`` (stable for tiny and large angles).

    Multiply by :data:`EARTH_RADIUS_KM` for the great-circle distance in km.
    """
    a, b = _xyz(np.asarray(lat0, float), np.asarray(lon0, float)), _xyz(np.asarray(lat1, float), np.asarray(lon1, float))
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def _tangent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unit tangent at ``a`` towards ``b`` (rows); eastward for identical or antipodal pairs."""
    dot = np.sum(a * b, axis=-1, keepdims=True)
    u = b - dot * a
    nrm = np.linalg.norm(u, axis=-1, keepdims=True)
    bad = nrm[:, 0] < 1e-12
    if bad.any():
        east = np.cross(np.array([0.0, 0.0, 1.0]), a[bad])
        en = np.linalg.norm(east, axis=-1, keepdims=True)
        east = np.where(en > 1e-12, east / np.where(en > 0, en, 1), np.array([0.0, 1.0, 0.0]))
        u[bad] = east
        nrm[bad] = 1.0
    return u / nrm


def great_circle_points(lat0, lon0, lat1, lon1, spacing_km: float):
    """Points along the great circles of many flows at once, end points included.

    Parameters
    ----------
    lat0, lon0, lat1, lon1 : array of float, shape (n,)
        Origins and destinations, WGS84 degrees.
    spacing_km : float
        Largest distance between consecutive points, great-circle km (> 0).

    Returns
    -------
    lat, lon : numpy.ndarray of float, shape (m,)
        Degrees; longitudes in (-180, 180] (a path across the 180th meridian jumps from
        about +180 to about -180 between two consecutive points).
    flow : numpy.ndarray of int64, shape (m,)
        Index (0..n-1) of the flow of each point; points of a flow are consecutive, from
        origin to destination; a flow from a point to itself has two identical points.
    frac : numpy.ndarray of float, shape (m,)
        Fraction of the path, 0 at the origin and 1 at the destination.

    Notes
    -----
    Intermediate point ``P = cos(f d) A + sin(f d) U`` with ``U`` the unit tangent at ``A``
    towards ``B``; equivalent to the Aviation Formulary (Ed Williams) intermediate-point
    formula. Antipodal pairs have no unique great circle; the eastward one is taken.

    Raises
    ------
    ValueError
        When ``spacing_km`` is not positive or a coordinate is not finite.
    """
    if not spacing_km > 0:
        raise ValueError("spacing_km must be positive")
    lat0, lon0, lat1, lon1 = (np.asarray(x, dtype="float64").ravel() for x in (lat0, lon0, lat1, lon1))
    if not (np.isfinite(lat0).all() and np.isfinite(lon0).all() and np.isfinite(lat1).all() and np.isfinite(lon1).all()):
        raise ValueError("flow end points must be finite WGS84 degrees")
    a, b = _xyz(lat0, lon0), _xyz(lat1, lon1)
    d = np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))
    u = _tangent(a, b)
    k = np.maximum(1, np.ceil(d * EARTH_RADIUS_KM / spacing_km).astype("int64"))
    counts = k + 1
    flow = np.repeat(np.arange(len(k), dtype="int64"), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step = np.arange(flow.size, dtype="int64") - starts[flow]
    frac = step / k[flow]
    ang = (frac * d[flow])[:, None]
    p = np.cos(ang) * a[flow] + np.sin(ang) * u[flow]
    lat = np.degrees(np.arcsin(np.clip(p[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    # exact end points (no rounding drift)
    lat[starts], lon[starts] = lat0, lon0
    ends = starts + k
    lat[ends], lon[ends] = lat1, lon1
    return lat, lon, flow, frac


def destination_point(lat, lon, bearing_deg, dist_km):
    """Point at ``dist_km`` from (lat, lon) on initial bearing ``bearing_deg`` (Aviation Formulary).

    Degrees WGS84 in and out, km on the sphere of radius :data:`EARTH_RADIUS_KM`.
    """
    la, lo, br = np.radians(lat), np.radians(lon), np.radians(bearing_deg)
    dr = np.asarray(dist_km, float) / EARTH_RADIUS_KM
    la2 = np.arcsin(np.sin(la) * np.cos(dr) + np.cos(la) * np.sin(dr) * np.cos(br))
    lo2 = lo + np.arctan2(np.sin(br) * np.sin(dr) * np.cos(la), np.cos(dr) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), np.degrees(lo2)


def initial_bearing(lat0, lon0, lat1, lon1):
    """Initial great-circle bearing from point 0 to point 1, degrees clockwise from north."""
    la0, la1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1, float) - np.asarray(lon0, float))
    y = np.sin(dl) * np.cos(la1)
    x = np.cos(la0) * np.sin(la1) - np.sin(la0) * np.cos(la1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0
