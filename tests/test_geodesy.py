"""The one geodesy module: one Earth radius, distances and directions computed by hand."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from intel import geodesy

R = 6371.0088


def test_one_degree_of_latitude_is_111_19_km():
    assert geodesy.EARTH_RADIUS_KM == R
    assert geodesy.great_circle_km(43.0, -79.0, 44.0, -79.0) == pytest.approx(math.pi / 180 * R, rel=1e-12)
    assert float(geodesy.great_circle_km(43.0, -79.0, 44.0, -79.0)) == pytest.approx(111.195, abs=0.0005)


def test_hand_computed_distances():
    # a quarter of the equator, and pole to equator: pi/2 * R = 10007.54 km
    assert geodesy.great_circle_km(0, 0, 0, 90) == pytest.approx(math.pi / 2 * R)
    assert geodesy.great_circle_km(90, 0, 0, 123) == pytest.approx(math.pi / 2 * R)
    # antipodes: pi * R; the same point: 0
    assert geodesy.great_circle_km(10, 20, -10, -160) == pytest.approx(math.pi * R)
    assert geodesy.great_circle_km(10, 20, 10, 20) == 0.0
    # one degree of longitude at 60 degrees north, along the great circle (haversine by hand)
    h = math.sin(math.radians(0.5)) ** 2 * math.cos(math.radians(60)) ** 2
    assert geodesy.great_circle_km(60, 0, 60, 1) == pytest.approx(2 * R * math.asin(math.sqrt(h)), rel=1e-12)


def test_chords_and_km_are_inverse():
    km = np.array([0.0, 1.0, 50.0, 5000.0])
    assert np.allclose(geodesy.km_for_chord(geodesy.chord_for_km(km)), km)
    assert geodesy.chord_for_km(math.pi * R) == pytest.approx(2.0)   # antipodes: the diameter
    a = geodesy.unit_vectors([0.0], [0.0])
    b = geodesy.unit_vectors([0.0], [90.0])
    assert np.allclose(a, [[1, 0, 0]]) and np.allclose(b, [[0, 1, 0]])
    assert geodesy.km_for_chord(np.linalg.norm(a - b)) == pytest.approx(math.pi / 2 * R)


def test_destination_and_bearing():
    lat, lon = geodesy.destination_point(0.0, 0.0, 90.0, math.pi / 180 * R)   # one degree east on the equator
    assert (float(lat), float(lon)) == pytest.approx((0.0, 1.0), abs=1e-12)
    lat, lon = geodesy.destination_point(10.0, 20.0, 0.0, 2 * math.pi / 180 * R)  # two degrees north
    assert (float(lat), float(lon)) == pytest.approx((12.0, 20.0), abs=1e-12)
    assert geodesy.initial_bearing(0, 0, 0, 1) == pytest.approx(90.0)
    assert geodesy.initial_bearing(0, 0, 1, 0) == pytest.approx(0.0)
    assert geodesy.initial_bearing(0, 0, -1, 0) == pytest.approx(180.0)
    # out along a bearing, the bearing back from there points home
    lat, lon = geodesy.destination_point(43.65, -79.38, 37.0, 250.0)
    assert geodesy.great_circle_km(43.65, -79.38, lat, lon) == pytest.approx(250.0)


def test_nearest_is_the_ellipsoidal_geodesic():
    i, d = geodesy.nearest([0.0, 1.0], [0.0, 0.5], [0.0, 0.0], [1.0, -2.0])
    assert i.tolist() == [0, 0]
    _, _, m = geodesy.geod().inv(0.0, 0.0, 1.0, 0.0)
    assert d[0] == pytest.approx(m / 1000.0) and d[0] == pytest.approx(111.32, abs=0.01)  # WGS84: a * pi / 180
    i, d = geodesy.nearest([0.0], [0.0], [], [])
    assert i.tolist() == [-1] and np.isnan(d[0])


def test_no_other_module_defines_an_earth_radius():
    root = Path(geodesy.__file__).resolve().parent
    found = [str(p.relative_to(root)) for p in root.rglob("*.py") if p.name != "geodesy.py"
             and re.search(r"^\s*\w+\s*=\s*63[67]\d", p.read_text(), re.M)]
    assert found == []
