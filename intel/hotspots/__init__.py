"""Getis-Ord Gi* hot spots on H3 cells, with false discovery rate control.

Overview
--------
A *dense* cell is not necessarily a *hot spot*. The Getis-Ord Gi* statistic (Getis & Ord
1992; Ord & Getis 1995) asks whether the sum of a value (events or firearms) over a cell's
neighbourhood is larger (hot) or smaller (cold) than expected if the values were spread at
random over the study area, and gives a z-score. Its p-value comes, by default, from seeded
conditional permutations (Anselin 1995; :mod:`intel.inference`), which hold on sparse, skewed
counts; the normal approximation is kept as ``method='normal'``.

The pieces, each a pure function on arrays:

* :func:`intel.studyarea.study_area` (imported here) - every H3 cell at resolution ``r`` of the
  study area, **including cells with no events** (the zeros are what makes a cell stand out).
  By default the land of the places with records (per country, the hull of its occupied cells
  cut to its land polygon; never one hull across an ocean), or the data's extent, selected
  countries, admin-1 units or a box. It is capped at :data:`MAX_STUDY_CELLS` cells.
* :func:`neighbour_matrix` - binary k-ring weights (``grid_disk``), the cell itself included
  (the "star" in Gi*), restricted to the study area: a neighbour outside the area does not
  exist, so cells on the edge of the area have fewer neighbours, and a pentagon has 5 rather
  than 6 neighbours at k = 1. Built vectorised with h3ronpy and ``searchsorted``.
* :func:`edge_cells` - the cells on the edge of the study area: fewer of their immediate
  neighbours (6, or 5 around a pentagon) inside the area than they have. Their neighbourhood is
  cut short by the boundary, so few empty cells there can reach a "cold" z-score (the edge
  effect Getis & Ord 1992 warn of); :func:`cold_edge_note` says so in one sentence when edge
  cells make at least :data:`COLD_EDGE_SHARE` of the cold spots.
* :func:`gi_star_z` - the Gi* z-score for each cell (formula below).
* :func:`intel.inference.benjamini_hochberg` - BH-adjusted p-values (Benjamini & Hochberg 1995).
* :func:`confidence_bins` - the ArcGIS *Hot Spot Analysis* confidence bins +-3, +-2, +-1
  for 99, 95 and 90 % confidence. With FDR on, a cell gets bin +-3 only if it passes the BH
  procedure at q = 0.01, +-2 at q = 0.05, +-1 at q = 0.10 (ArcGIS's FDR option).
* :func:`gi_star` - all of the above on one array of cells and values, with permutation
  (default, 9,999 seeded permutations) or normal p-values.
* :func:`method_guardrails` - names the p-value method on the :class:`Guardrails` and warns
  when the permutation floor ``2 / (P + 1)`` keeps FDR from calling a small hot spot.
* :func:`hotspots_from_store` - reads the store, builds the study area, runs :func:`gi_star`
  and returns the table with its :class:`Guardrails` (the page and the CLI both call it).
* :func:`export_cells` - CSV, GeoJSON or GeoParquet of the result (cell id as hex string,
  cell polygon in [longitude, latitude] order).

Formula
-------
With ``x`` the values of the ``n`` study-area cells, ``xbar`` their mean and
``S = sqrt(sum(x**2)/n - xbar**2)`` (population standard deviation), and binary weights
``w_ij`` (1 when ``j`` is in the k-ring of ``i``, ``i`` included; ``W_i = sum_j w_ij``)::

    Gi* = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i**2) / (n - 1)))

(Ord & Getis 1995, eq. 14 with binary weights, where ``sum_j w_ij**2 = W_i``.) It equals
esda's ``G_Local(y, w, transform='B', star=True).Zs``; the tests check this to 1e-9.
p-values are two-sided: ``min(1, 2 (min(ge, le) + 1) / (P + 1))`` over ``P`` conditional
permutations (:func:`intel.inference.gi_star_permutation_p`), or ``p = 2 * (1 - Phi(|z|))``
with ``method='normal'``. Data with fewer than :data:`MIN_EVENTS` events or fewer than
:data:`MIN_NONZERO_CELLS` cells with events are "too sparse for any claim" (:class:`Guardrails`).

The statistic needs some variation: when every cell has the same value (``S = 0``) or the
neighbourhood is the whole area (``W_i = n``), there is no z-score and :class:`HotspotError`
says so in one sentence.

Units: resolutions are H3 resolutions, ``k`` is a grid distance in cells, dates are UTC
calendar days in half-open periods [from, to). Coordinates are WGS84 degrees.

Layout
------
:mod:`intel.hotspots.gistar` (the statistic on arrays), :mod:`intel.hotspots.fromstore` (store
queries, study area, guardrails) and :mod:`intel.hotspots.exports` (files). The public names, and
the study-area names of :mod:`intel.studyarea` that were always importable from here, are
re-exported here.
"""
from __future__ import annotations

from intel.errors import HotspotError  # noqa: F401
# the study area lives in intel.studyarea; these names stay importable from here
from intel.studyarea import (AREA_MODES, DEFAULT_AREA, MAX_STUDY_CELLS, StudyArea,  # noqa: F401
                             area_geometry, build_area, polygon_cells, study_area)
from intel.hotspots.gistar import (  # noqa: F401
    COLD_EDGE_SHARE,
    CONFIDENCE,
    HOTSPOT_COLUMNS,
    MIN_EVENTS,
    MIN_NONZERO_CELLS,
    VALUES,
    cold_edge_note,
    confidence_bins,
    edge_cells,
    gi_star,
    gi_star_z,
    neighbour_matrix,
    p_two_sided,
)
from intel.hotspots.fromstore import (  # noqa: F401
    Guardrails,
    align,
    base_guardrails,
    cell_values,
    hotspots_from_store,
    located_events_sql,
    method_guardrails,
    occupied_countries,
    record_accounting,
)
from intel.hotspots.exports import (  # noqa: F401
    EXPORT_FORMATS,
    export_cells,
    format_from_path,
    to_geodataframe,
    to_geojson,
)
