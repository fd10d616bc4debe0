"""Paths of the bundled sources and constants shared by the :mod:`intel.borders` submodules.

The bundled files are the Natural Earth 1:10m v4.1.0 generalised countries (the border
stretches), the UN/LOCODE 2012-1 border crossings (the official crossings) and the CBP
weapons seizures FY2022-FY2025 (the Area of Responsibility -> Region table of the CBP split).
Paths are under :data:`intel.config.SOURCES_DIR`; the countries come from
:data:`intel.config.NATURAL_EARTH_GPKG`. The module also holds the zone, band and stretch constants;
distances are computed with :func:`intel.geodesy.geod` (the WGS84 :class:`pyproj.Geod`).
"""
from __future__ import annotations

from intel.config import SOURCES_DIR

UNLOCODE_SOURCE = "UN/LOCODE 2012-1"
UNLOCODE_CSV = SOURCES_DIR / "crossings" / "unlocode_border_crossings_2012-1.csv"
"""UN/LOCODE 2012-1 entries with the border-crossing function (215 of 441 with coordinates)."""
CBP_CSV = SOURCES_DIR / "seizures" / "cbp_weapons_seizures_fy22_25.csv"
"""CBP Weapons and Ammunition Seizures FY2022-FY2025 (used for the Area of Responsibility -> Region table)."""

STRETCH_KM = 50.0
"""Target length of a border stretch, km."""
DENSIFY_KM = 1.0
"""Maximum spacing of border vertices in the distance index, km."""
FAR_KM = 10.0
"""A crossing farther than this from its border is flagged ``far_from_border``, km."""
CROSSING_MAX_KM = 250.0
"""A crossing is named for a place only within this geodesic distance (and within the length
of the place's border plus the place's distance to it), km; see
:func:`intel.borders.crossings.crossing_on_border`."""
ZONE_CHOICES = (20, 50, 80)
"""Border-zone widths offered on the pages, km."""
SEIZURE_KINDS = ("seizure", "recovery")
"""Event kinds that border ranking and bypass search count by default."""
DISTANCE_BANDS = ((0.0, 20.0, "0-20 km"), (20.0, 50.0, "20-50 km"), (50.0, 80.0, "50-80 km"))
"""Distance bands of events to the border, km, half-open [lo, hi)."""

LON_CLIP = 180.0
EPS_DEG = 1e-7
K_NEAREST = 4

