"""Route corridors: origin-destination flows, great-circle corridor density on H3, exports.

Tracing tells where a firearm left the legal market and where it was recovered; a flow is
one such origin-destination pair with a weight (firearms) and a half-open period
``[period_start, period_end)``. This package

1. loads the ATF source-to-recovery tables into the store's ``flows`` table
   (:func:`load_atf_flows`), and assembles every flow an analysis can use
   (:func:`query_flows`): stored flows (ATF ``source-recovery``, imported ``trace`` results,
   any ``od`` table loaded with :func:`insert_flows`), flows derived on the fly from
   events with both ``origin_iso3`` and ``destination_iso3`` (:func:`event_flows`), and
   re-seizure flows, one per link between two seizures of the same serial key
   (:func:`reseizure_flows`, links from :mod:`intel.links`);
2. lays each flow along its great circle onto H3 cells (:func:`flow_cells`) and sums the
   weights of the flows passing through each cell (:func:`corridor_density`), ranks cells,
   and ranks origin-destination pairs with their change between two periods
   (:func:`rank_pairs`);
3. writes the exports (GeoJSON lines split at the antimeridian, CSV).

The map (arcs coloured source -> target, chevrons pointing in the direction of travel,
corridor cells) is drawn by the renderer :mod:`intel.render.corridors` from the plain tables
returned here; this package builds no map layer and holds no colours.

Submodules, one per concept (each name below is also importable from :mod:`intel.corridors`):

:mod:`intel.corridors.places`
    Repository paths and the positions of flow end points: states, DC, territories
    (:func:`state_points`, :data:`USPS`) and countries (:func:`country_points`).
:mod:`intel.corridors.atf`
    ATF loading: :func:`read_atf_flows`, :func:`insert_flows`, :func:`load_atf_flows`.
:mod:`intel.corridors.flows`
    Flow queries: :data:`FLOW_COLUMNS`, :func:`query_flows` and its parts, :func:`filter_flows`,
    :func:`aggregate_flows`.
:mod:`intel.greatcircle` (outside the package, shared with :mod:`intel.links`)
    Great circles: :func:`central_angle`, :func:`great_circle_points`, bearings.
:mod:`intel.corridors.cells`
    The H3 cells of each path, ``"path"`` and ``"sample"``.
:mod:`intel.corridors.workers`
    The split over two processes and the worker process (:func:`worker_main`).
:mod:`intel.corridors.density`
    :func:`flow_cells`, :func:`corridor_density`, :func:`rank_pairs`.
:mod:`intel.corridors.exports`
    GeoJSON lines and CSV tables.

Coordinates are WGS84 degrees (EPSG:4326) on a sphere of radius :data:`EARTH_RADIUS_KM`;
distances are great-circle km. GeoJSON output is [longitude, latitude].

Great circles and the 180th meridian
-----------------------------------
Points along a great circle are computed in 3-D unit vectors, ``P(f) = cos(f d) A +
sin(f d) U`` with ``U`` the unit tangent at ``A`` towards ``B`` and ``d`` the central angle
(the intermediate-point formula of Ed Williams' *Aviation Formulary*, written in
vectors). Longitudes come back from ``atan2`` in (-180, 180], so a path from 179.5 E to
179.5 W simply steps across the meridian: each point is binned to its own H3 cell and no
planar segment ever spans the globe. Exports split such a path into a MultiLineString at
+-180 (:func:`split_antimeridian`).

Cells of a flow (two methods)
-----------------------------
``"path"`` (default, fast)
    Vertices every ``min(16 edge, 250 km)`` (60 km at res 6) along the great circle become an H3 line
    (h3o ``LineString`` -> cells through h3ronpy ``wkb_to_cells``: the cell of each
    vertex joined by H3 grid paths). The result is a connected chain of cells, one cell
    wide, the H3 notion of a "line". Where H3 cannot draw a grid path (pentagon
    distortion) the flow falls back to ``"sample"``. A chain cell can sit next to the great
    circle rather than on it (grid paths round in H3 IJ coordinates), never further than one
    cell away.
``"sample"``
    Points every ``0.45 * edge`` (less than half the mean edge length at ``res``) along the
    great circle, each binned with ``coordinates_to_cells``. This finds nearly every cell the
    path touches, including corners that a one-cell-wide chain skips (about 20-25 % more
    cells than ``"path"``), and is several times slower.
Either way a flow counts **once** per cell (pairs (flow, cell) are de-duplicated), and
flows sharing the same end points are laid out once and weighted together.

Two processes for large inputs
------------------------------
Laying paths out is single-threaded h3o work (about 0.25 s per million cells). Above
:data:`POOL_MIN_PATHS` distinct paths and :data:`POOL_MIN_PAIRS` estimated (path, cell) pairs
(100,000 random U.S. flows: 34 million pairs), :func:`flow_cells` and :func:`corridor_density`
split the paths into two consecutive parts: this process lays out the first while a fresh
Python process (``sys.executable``) lays out the second; the cells come back through a file
and the parts are joined in order, so the result is the same arrays, bit for bit, as in one
process (``workers=1``; ``workers=2`` forces the split). The per-cell sums bin cell ids
directly (no hash table) and run in pair order, so the floating-point sums equal those of a
``pandas.factorize`` + ``numpy.bincount`` pass.

ATF data
--------
Source: ATF Firearms Trace Data, "Firearms recovered and traced in the United States and
territories", source state by recovery state, calendar years 2010-2020 (U.S. federal
government work, public domain). ATF notes that traces are not a random sample of crime
guns: a flow is the traced share of recoveries only. Rows ``Total`` (either side) are
sums and are skipped; rows with 0 firearms carry no flow and are skipped; the counts of
skipped rows and the reasons are returned by :func:`read_atf_flows` and written to the audit
log by :func:`load_atf_flows`. Canada appears as a *recovery* place in 2012 only; it is
kept, coded ``CAN`` (ISO 3166-1 alpha-3) at the representative point of Canada.

State positions
---------------
Each U.S. state, the District of Columbia and each territory is placed at the
``representative_point`` (shapely: a point guaranteed inside the polygon) of its Natural
Earth 1:10m admin-1 polygon (layer ``states_provinces`` of
``data/sources/boundaries/ne_10m_generalised_world_map.gpkg``; territories are the union of
their island polygons, e.g. Saint Croix, Saint John and Saint Thomas for the Virgin
Islands). A representative point, not a population-weighted centre: the bundled data has no
population grid, and the point is only the end of a state-level flow. USPS codes are
hard-coded in :data:`USPS` (USPS Publication 28, Appendix B).
"""
from __future__ import annotations

from intel.corridors.atf import ATF_CSV, ATF_SOURCE, AtfRead, insert_flows, load_atf_flows, read_atf_flows
from intel.corridors.density import corridor_density, flow_cells, rank_pairs
from intel.corridors.exports import (density_csv_frame, flows_csv_frame, flows_geojson, split_antimeridian,
                                     to_geojson_text)
from intel.corridors.flows import (FLOW_COLUMNS, FLOW_TYPES, aggregate_flows, event_flows, filter_flows,
                                   flows_marking, query_flows, reseizure_flows,
                                   stored_flows)
from intel.corridors.places import COUNTRY_PLACES, TERRITORY_ADM0, USPS, country_points, state_points
from intel.corridors.workers import POOL_MIN_PAIRS, POOL_MIN_PATHS

__all__ = [
    "USPS", "FLOW_COLUMNS", "FLOW_TYPES", "state_points", "country_points", "read_atf_flows", "load_atf_flows",
    "insert_flows", "stored_flows", "event_flows", "reseizure_flows", "query_flows", "filter_flows", "aggregate_flows",
    "flows_marking",
    "flow_cells", "corridor_density", "rank_pairs", "split_antimeridian",
    "flows_geojson", "flows_csv_frame", "density_csv_frame",
    # the other public names of the former single-file module (pages, CLI, tests, bench use some)
    "ATF_CSV", "ATF_SOURCE", "TERRITORY_ADM0", "COUNTRY_PLACES", "AtfRead",
    "POOL_MIN_PATHS", "POOL_MIN_PAIRS", "to_geojson_text",
]
