"""Configuration: where the data lives and which H3 resolutions each analysis accepts.

This is the first layer of the house: every other module (store, ingest, analyses,
renderers, CLI, pages) reads paths and resolution bounds from here, and named, user-tunable
values from :mod:`intel.settings`. Nothing here touches the store.

Paths
-----
:data:`ROOT` is the repository (or installed source) root; :data:`DATA_DIR` holds the
bundled sources and the default store. ``INTEL_DB`` overrides the default store file and
``INTEL_DATA`` the data folder, for deployments.

H3 resolutions per use
----------------------
Records are binned once at :data:`FINE_RES` (resolution 9, mean edge 0.2 km); a coarser
resolution is the H3 parent of that stored cell (see "H3 convention" in :mod:`intel.h3cells`).
No analysis can therefore run finer than :data:`FINE_RES`. Each use has its own range in
:data:`RESOLUTIONS`, chosen for what the analysis means at that scale:

============  =======  ==============================================================
use           range    why
============  =======  ==============================================================
map           3 - 9    from country scale (edge 60 km) to street blocks (0.2 km)
hotspot       5 - 9    Gi* needs many cells; below 5 a country is a handful of cells
planner       3 - 9    targets are places a team can go to (edge <= 10 km at 5-9); 3-4 rank
                       registers kept by municipality or province (edge 26-69 km)
backtest      3 - 9    as planner: the ranking it evaluates
corridor      2 - 6    corridors are regional (edge 3 km to 180 km)
border        3 - 9    clusters of events near a border
briefing      3 - 9    as map
============  =======  ==============================================================

Pages build their sliders and the CLI its ``--res`` options from this table, and the
analyses check against it with :func:`check_resolution`, so a resolution is accepted or
refused in the same way everywhere.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""Repository root: the folder holding ``app.py``, ``pages/``, ``data/`` and ``static/``."""

DATA_DIR = Path(os.environ.get("INTEL_DATA", ROOT / "data"))
"""Bundled sources, profiles, gazetteers and the default store."""

SOURCES_DIR = DATA_DIR / "sources"
PROFILES_DIR = DATA_DIR / "profiles"
GAZETTEERS_DIR = DATA_DIR / "gazetteers"
STATIC_DIR = ROOT / "static"
APP_PATH = ROOT / "app.py"

NATURAL_EARTH_GPKG = SOURCES_DIR / "boundaries" / "ne_10m_generalised_world_map.gpkg"
"""Natural Earth 1:10m generalised countries, admin-1 units and disputed borders (one GeoPackage, offline)."""

NATURAL_EARTH_LAKES = SOURCES_DIR / "boundaries" / "ne_10m_lakes.gpkg"
"""Natural Earth 1:10m lakes of 15 km2 or more (layer ``lakes``), for the basemap and to take lakes
out of study areas (the country polygons include them)."""

DEFAULT_DB = Path(os.environ.get("INTEL_DB", DATA_DIR / "intel.duckdb"))
"""Default store file."""

MARKING_GROUPS_FILE = Path(os.environ.get("INTEL_MARKING_GROUPS", DATA_DIR / "marking_groups.toml"))
"""Named groups of countries a releasability marking may name (``REL TO FVEY``), read by
:mod:`intel.auth`; ``INTEL_MARKING_GROUPS`` overrides it for a deployment."""

FINE_RES = 9
"""H3 resolution at which every record is binned and stored (UBIGINT)."""

RESOLUTIONS: dict[str, tuple[int, int]] = {
    "map": (3, 9),
    "hotspot": (5, 9),
    "planner": (3, 9),
    "backtest": (3, 9),
    "corridor": (2, 6),
    "border": (3, 9),
    "briefing": (3, 9),
}
"""Inclusive (lowest, highest) H3 resolution each use accepts; highest <= :data:`FINE_RES`."""

DEFAULT_RESOLUTION: dict[str, int] = {
    "map": 7, "hotspot": 8, "planner": 8, "backtest": 8, "corridor": 5, "border": 5, "briefing": 7,
}
"""Resolution each use starts at when neither the user nor a setting says otherwise."""


def resolution_range(use: str) -> tuple[int, int]:
    """Inclusive H3 resolution bounds for ``use`` (a key of :data:`RESOLUTIONS`).

    Raises
    ------
    KeyError
        For an unknown use.
    """
    return RESOLUTIONS[use]


def whole_resolution(res, lo: int, hi: int) -> int:
    """``res`` as an int, or ValueError naming ``lo``-``hi`` when it is not a whole number."""
    try:
        r = int(res)
        if r != float(res):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"H3 resolution must be a whole number from {lo} to {hi}, not {res!r}") from None
    return r


def check_resolution(res, use: str) -> int:
    """Validate an H3 resolution for ``use`` and return it as int.

    Parameters
    ----------
    res : int-like
        Requested H3 resolution.
    use : str
        Key of :data:`RESOLUTIONS`.

    Raises
    ------
    ValueError
        When ``res`` is not an integer within the use's range; the message names the range
        and, above :data:`FINE_RES`, why finer is impossible.
    """
    lo, hi = RESOLUTIONS[use]
    r = whole_resolution(res, lo, hi)
    if not lo <= r <= hi:
        why = (f"; records are binned at resolution {FINE_RES}, so nothing finer exists in the store"
               if r > FINE_RES else "")
        raise ValueError(f"H3 resolution {r} is outside {lo}-{hi} for {use}{why}")
    return r
