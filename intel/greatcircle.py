"""Great circles of flows: points along many paths at once.

Coordinates are WGS84 degrees on the sphere of :mod:`intel.geodesy` (radius
:data:`intel.geodesy.EARTH_RADIUS_KM`), distances great-circle km. Points along a great circle
are computed in 3-D unit vectors (see "Great circles and the 180th meridian" in
:mod:`intel.corridors`), so longitudes come back in (-180, 180] and a path simply steps across the
180th meridian. Used to lay flows out on cells (:mod:`intel.corridors.cells`), by the exports and
by the chevrons of the map layers. Central angles, destinations and bearings live in
:mod:`intel.geodesy` only.

Where it sits: a small shared module under the analyses. It used to be ``intel.corridors.geometry``:
:mod:`intel.links` needs it and :mod:`intel.corridors` needs :mod:`intel.links` (re-seizure flows), so it
lives outside both packages and neither imports the other in a circle.
"""
from __future__ import annotations

import numpy as np

from intel.geodesy import EARTH_RADIUS_KM
from intel.geodesy import unit_vectors

__all__ = ["great_circle_points", "tangent_vectors"]


def tangent_vectors(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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
    a, b = unit_vectors(lat0, lon0), unit_vectors(lat1, lon1)
    d = np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))
    u = tangent_vectors(a, b)
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
