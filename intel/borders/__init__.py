"""Borders and crossings: border stretches, distance to border, official crossings, bypass
candidates and border ranking.

Operations such as KAFO search vehicles at land border points, at cross-border bypass points
and at known trafficking hotspots. This package answers the planner's two questions: *which
stretches of which borders carry seizures*, and *where do seizures cluster away from the
official posts*.

Overview
--------
One submodule per concept; every name below is importable from :mod:`intel.borders` itself.

1. **Border stretches** (:mod:`intel.borders.segments`, :func:`border_segments`). The land
   boundary between each pair of neighbouring countries in Natural Earth 1:10m v4.1.0, cut
   into stretches of about 50 km with stable ids such as ``MEX-USA-0007``, and the distance
   index over them (:class:`BorderIndex`, :func:`world_index`).
2. **Distance to border** (:mod:`intel.borders.distance`, :func:`border_distance`). Geodesic
   km on WGS84 from each point to the nearest international land border, with that border's
   pair and stretch id, stored by the ingest in ``events.border_km``, ``events.border_pair``
   and ``events.border_segment``; :func:`zone_where` gives the SQL of the border-zone filter.
3. **Official crossings** (:mod:`intel.borders.crossings`, :func:`load_crossings`,
   :func:`snap_crossings`, :func:`official_crossings`). UN/LOCODE 2012-1 border crossings and
   analysts' files, stored as published and snapped to their border on the fly; a crossing far
   from its border is flagged, never moved. :func:`crossing_on_border` names a crossing for a
   place only on the place's own border and within min(250 km, border length + distance),
   else says "no official crossing known on this border (AAA-BBB)".
4. **Events near borders and border ranking** (:mod:`intel.borders.events`,
   :func:`border_events`, :func:`border_ranking`). Events and firearms per stretch or per
   country pair, inbound and outbound, for a period and the previous period of equal length.
5. **Bypass candidates** (:mod:`intel.borders.bypass`, :func:`bypass_candidates`). Border-zone
   events far from every official crossing, clustered in coarse H3 cells and ranked.
6. **CBP split** (:mod:`intel.borders.cbp`, :func:`cbp_split`): Southwest vs Northern border,
   inbound vs outbound, ports of entry vs between-port sectors.
7. **Exports** (:mod:`intel.borders.exports`): GeoJSON export (:func:`to_geojson`).

The Borders map (stretches by load, events by band, crossings, bypass candidates) is drawn by the
renderer :mod:`intel.render.borders` from the plain tables returned here; this package builds no
map layer and holds no colours.

Paths of the bundled sources and the shared constants are in :mod:`intel.borders.common`.

Conventions: coordinates are WGS84 degrees (EPSG:4326), lon-lat in geometries and GeoJSON;
distances are geodesic km on the WGS84 ellipsoid; countries are ISO 3166-1 alpha-3 (Kosovo
``XKX``). This package never imports Streamlit; all SQL is parameterised.
"""
from __future__ import annotations

from intel.borders.bypass import bypass_candidates, too_coarse_note
from intel.borders.cbp import CBP_SOURCE, cbp_region_table, cbp_split, cbp_split_summary
from intel.borders.common import (
    CBP_CSV,
    CROSSING_MAX_KM,
    DENSIFY_KM,
    DISTANCE_BANDS,
    FAR_KM,
    SEIZURE_KINDS,
    STRETCH_KM,
    UNLOCODE_CSV,
    UNLOCODE_SOURCE,
    ZONE_CHOICES,
)
from intel.borders.crossings import (
    NO_LAND_BORDER_NOTE,
    CrossingImport,
    audit_sentence,
    border_lengths,
    crossing_audit,
    crossing_on_border,
    crossing_text,
    fill_crossing_pairs,
    load_crossings,
    no_crossing_note,
    official_crossings,
    read_crossings_file,
    read_unlocode,
    snap_crossings,
)
from intel.borders.distance import border_distance, distance_band, fill_border_columns, zone_where
from intel.borders.events import (
    ZoneTotals,
    border_events,
    border_ranking,
    cover_note,
    default_period,
    previous_period,
    segment_load,
    source_cover,
    zone_records,
    zone_totals,
)
from intel.borders.exports import to_geojson
from intel.borders.segments import (
    BorderIndex,
    border_segments,
    read_countries,
    segments_from_countries,
    world_index,
)

__all__ = [
    # common: paths and constants
    "UNLOCODE_SOURCE", "UNLOCODE_CSV", "CBP_CSV", "STRETCH_KM", "DENSIFY_KM", "FAR_KM", "CROSSING_MAX_KM",
    "ZONE_CHOICES", "SEIZURE_KINDS", "DISTANCE_BANDS",
    # segments: border stretches
    "read_countries", "BorderIndex", "segments_from_countries", "world_index", "border_segments",
    # distance: distance to border
    "border_distance", "zone_where", "distance_band", "fill_border_columns",
    # crossings: official crossings
    "CrossingImport", "read_unlocode", "fill_crossing_pairs", "read_crossings_file", "snap_crossings",
    "load_crossings", "official_crossings", "crossing_on_border", "crossing_text", "no_crossing_note", "NO_LAND_BORDER_NOTE",
    "border_lengths", "crossing_audit", "audit_sentence",
    # events: events near borders, border ranking
    "border_events", "default_period", "previous_period", "border_ranking", "cover_note", "segment_load", "source_cover", "ZoneTotals", "zone_records", "zone_totals",
    # bypass: bypass candidates
    "bypass_candidates", "too_coarse_note",
    # cbp: CBP split
    "CBP_SOURCE", "cbp_region_table", "cbp_split", "cbp_split_summary",
    # exports: GeoJSON
    "to_geojson",
]
