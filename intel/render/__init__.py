"""Renderers: every map colour and label, every pydeck layer, the one offline deck.

Where it sits
-------------
The last layer before the pages (see ``DESIGN.md``)::

    store -> analyses (plain tables, small typed results) -> renderers -> pages / CLI

Analyses (:mod:`intel.hexbin`, :mod:`intel.hotspots`, :mod:`intel.emerging`,
:mod:`intel.borders`, :mod:`intel.corridors`, :mod:`intel.links`, :mod:`intel.risk`) hand plain
results in: DataFrames with documented columns, H3 cells as hex strings at this edge. Renderers
hand pydeck layers, decks and legend entries ``(rgb, text)`` out. No analysis imports pydeck or
holds a colour; no renderer runs SQL or computes a statistic. A page reads its widgets, calls one
analysis and one renderer, and draws what comes back.

Modules
-------
:mod:`intel.render.palettes`
    Every colour table and colour scale (ColorBrewer), quantile classes and legends; plain numpy,
    also read by the PDF renderers (:mod:`intel.briefing`).
:mod:`intel.render.deck`
    The offline basemap (bundled Natural Earth, served by the dashboard itself), view fitting, the
    ``"pixels"`` unit, and :func:`~intel.render.deck.offline_deck`, the one
    ``pdk.Deck(map_provider=None)`` every map is drawn on: no tiles, no token, no web request.
:mod:`intel.render.paper`
    The same basemap on a matplotlib axes for the PDF maps (land, lakes, admin-1 lines, borders,
    place names that keep clear of each other), read from the web basemap's files.
:mod:`intel.render.hexagons`
    H3 hexagon layers: event counts (Explore map, Trends), Gi* hot spots, emerging hot spots,
    planner targets; points for records too coarse to bin.
:mod:`intel.render.counts`
    The count layers alone (event counts per cell, points for records too coarse to bin),
    re-exported by :mod:`~intel.render.hexagons`; imports no analysis module, so the Explore
    map's first run does not wait for scipy.
:mod:`intel.render.borders`
    Border stretches by load, events by distance band, official crossings, bypass candidates.
:mod:`intel.render.corridors`
    Flow arcs (source -> recovery place), chevrons, corridor cells.
:mod:`intel.render.links`
    Lines between seizures of the same serial key.

This package never imports Streamlit. Importing it imports nothing: import the module you need
(``from intel.render import hexagons``), so :mod:`~intel.render.palettes` stays cheap for the PDF
renderers.
"""
