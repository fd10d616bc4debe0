"""Coordinate parsers of the importer: latitude/longitude columns, projected coordinates and
point text, the country polygons, and the lat/lon swap check.

Part of the value parsers (:mod:`intel.parse`: its overview explains the fast and slow paths,
and its Arrow helpers do the column work here). Decimal degrees are read by Arrow in C; every
other form is read once per **distinct** text, the commonest DMS form, ``12°34'56"N``, by
Arrow too (:func:`intel.coords.degrees._parse_axis_text`), the rest in Python
(:func:`intel.coords.degrees._parse_angle`). On a million CSV rows of mixed coordinates, :func:`parse_coordinates` takes about 0.2 s (2 cores).

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

Layout: :mod:`intel.coords.degrees` (latitude/longitude columns), :mod:`intel.coords.countries`
(country polygons, swap check) and :mod:`intel.coords.points` (point columns, MGRS, UTM,
projected coordinates). The public names are re-exported here.
"""
from __future__ import annotations

from intel.coords.degrees import (  # noqa: F401
    NULL_ISLAND_DEG,
    parse_coordinates,
)
from intel.coords.countries import (  # noqa: F401
    SWAP_TOLERANCE_KM,
    check_swaps,
    inside_country,
    load_country_geoms,
)
from intel.coords.points import (  # noqa: F401
    MGRS_PRECISION_KM,
    convert_projected,
    mgrs_to_latlon,
    parse_point_text,
    parse_zone,
    split_point_column,
    utm_to_latlon,
)

__all__ = [
    "parse_coordinates", "convert_projected", "parse_point_text", "check_swaps", "load_country_geoms",
    "NULL_ISLAND_DEG", "SWAP_TOLERANCE_KM", "split_point_column", "mgrs_to_latlon", "utm_to_latlon", "parse_zone",
    "inside_country", "MGRS_PRECISION_KM",
]
