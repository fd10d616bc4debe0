"""H3 hexagon layers: event counts, Gi* hot spots, emerging hot spots and planner targets.

Part of the renderer layer (:mod:`intel.render`). Each function takes the plain table an
analysis returns and hands back pydeck layers (and legend entries ``(rgb, text)`` a page draws):

* :func:`hexagon_layer` - the cells of :func:`intel.hexbin.aggregate` coloured YlOrRd by quantile
  class (Explore map, Trends playback, bench), and :func:`points_layer` for the records too
  coarse to bin, drawn as hollow circles so they do not read as exact (both defined in
  :mod:`intel.render.counts`, which imports no analysis module, and re-exported here);
* :func:`hotspot_deck`, :func:`hotspot_legend` - the Gi* table of
  :func:`intel.hotspots.hotspots_from_store` coloured by confidence bin;
* :func:`emerging_deck`, :func:`emerging_legend` - the categories of
  :func:`intel.emerging.emerging_from_store`;
* :func:`target_layers`, :func:`target_deck`, :func:`target_legend` - the ranked targets and
  scored cells of :func:`intel.risk.plan`.

Cells are H3 hex strings (JavaScript numbers lose 64-bit integers). Record text shown in a
tooltip is HTML-escaped (deck.gl renders tooltips as HTML). Colours come from
:mod:`intel.render.palettes`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pydeck as pdk

from intel.borders.crossings import crossing_text
from intel.emerging import NO_PATTERN
from intel.h3cells import cell_centres, cell_ring, from_hex
from intel.hotspots import CONFIDENCE
from intel.render.basemap import line_segments
from intel.render.counts import TOOLTIP_COLUMNS, hexagon_layer, points_layer  # noqa: F401 - re-exported
from intel.render.deck import HEX_POLYGONS, PIXELS, cells_view, fit_view, offline_deck
from intel.render.labels import mercator_px, place_labels
from intel.render.palettes import (BIN_ALPHA, BIN_COLOURS, CATEGORY_ALPHA, CATEGORY_COLOURS,
                                   SCORED_CELL_GREY, TARGET_LABEL_COLOUR, TARGET_LABEL_HALO, TARGET_LINE_COLOUR,
                                   score_colour, score_legend)
from intel.safety import escape_record_text


# --------------------------------------------------------------------------- hot spots
def _category_hexes(data: pd.DataFrame, layer_id: str) -> pdk.Layer:
    """Translucent hexagons of cells that carry their own ``color`` (hot spot and emerging maps)."""
    return pdk.Layer("H3HexagonLayer", data, id=layer_id, get_hexagon="h3", get_fill_color="color",
                     pickable=True, stroked=False, extruded=False, opacity=0.75, **HEX_POLYGONS)


MARK_PX = 2.5
"""Radius in screen pixels of the dot drawn at the centre of each significant or patterned cell:
at a zoom where the cells are smaller than a pixel (hot spots of resolution 8 or 9 framed over a
country or a continent) the dots still show where they are; zoomed in, a dot marks the cell's
centre inside its hexagon."""


def _centre_marks(data: pd.DataFrame, layer_id: str) -> pdk.Layer:
    """Dots of :data:`MARK_PX` pixels at the centres of the cells of ``data`` (``h3``, ``color``),
    opaque, so cells smaller than a pixel stay visible."""
    lat, lon = cell_centres(from_hex(data["h3"].astype(str).tolist()))
    marks = pd.DataFrame({"lat": lat.round(5), "lon": lon.round(5),
                          "color": [list(c[:3]) + [255] for c in data["color"]]})
    return pdk.Layer("ScatterplotLayer", marks, id=layer_id, get_position=["lon", "lat"], get_radius=1,
                     radius_units="meters", radius_min_pixels=MARK_PX, radius_max_pixels=MARK_PX,
                     get_fill_color="color", stroked=False, filled=True, pickable=False)


def hotspot_view(hot: pd.DataFrame, res: int) -> pdk.ViewState:
    """The one view of a page's hot spot and emerging maps: framed on the cells the Gi* map draws
    (cells with events or a significant bin), so the two maps line up.

    The view holds the cells' extent (:func:`intel.render.deck.fit_view` of their centres, the
    extreme 2 % left out) and zooms in no further than :func:`intel.render.deck.cells_view`'s zoom
    for the resolution, so cells far apart (Toronto and Bogota) are both on screen and the centre
    is never the empty sea between them.
    """
    shown = hot[(hot["value"] > 0) | (hot["bin"] != 0)]
    if shown.empty:
        return cells_view(shown["h3"], res)
    lat, lon = cell_centres(from_hex(shown["h3"].astype(str).tolist()))
    return fit_view(lat, lon, max_zoom=cells_view([], res).zoom)


def hotspot_deck(hot: pd.DataFrame, value: str, res: int, layer_id: str = "gi-hexes",
                 view: pdk.ViewState | None = None) -> pdk.Deck:
    """Offline deck of the Gi* result: cells with events or a significant bin, coloured by bin.

    Parameters
    ----------
    hot : pandas.DataFrame
        From :func:`intel.hotspots.hotspots_from_store` (``h3``, ``value``, ``z``, ``bin``,
        ``confidence``). Cells with no events and no significant result are not drawn (they
        remain part of the study area).
    value : str
        ``"events"`` or ``"firearms"``, named in the tooltip.
    res : int
        H3 resolution (decides the initial zoom).
    view : pydeck.ViewState, optional
        Default :func:`hotspot_view` of ``hot``.
    """
    shown = hot[(hot["value"] > 0) | (hot["bin"] != 0)].copy()
    shown["color"] = [BIN_COLOURS[int(b)] + [BIN_ALPHA] for b in shown["bin"]]
    shown["z"] = shown["z"].round(2)
    data = shown[["h3", "value", "z", "confidence", "color"]]
    layers = [_category_hexes(data, layer_id)]
    significant = data[shown["bin"].to_numpy() != 0]
    if len(significant):
        layers.append(_centre_marks(significant, layer_id + "-marks"))
    return offline_deck(layers, view or hotspot_view(hot, res),
                        {"text": "{h3}\n{value} " + value + "\nz = {z}\n{confidence}"})


def hotspot_legend() -> list[tuple[list[int], str]]:
    """Legend entries ``(rgb, label)`` of the Gi* bins, hottest first (labels
    :data:`intel.hotspots.CONFIDENCE`)."""
    return [(BIN_COLOURS[b], CONFIDENCE[b]) for b in range(3, -4, -1)]


def emerging_deck(emg: pd.DataFrame, value: str, res: int, layer_id: str = "ehsa-hexes",
                  view: pdk.ViewState | None = None) -> pdk.Deck | None:
    """Offline deck of the emerging hot spot categories, or ``None`` when no cell has a pattern.

    Parameters
    ----------
    emg : pandas.DataFrame
        From :func:`intel.emerging.emerging_from_store` (``h3``, ``total``, ``category``, ``trend``).
    value : str
        ``"events"`` or ``"firearms"``, named in the tooltip.
    res : int
        H3 resolution (decides the initial zoom).

    view : pydeck.ViewState, optional
        The page's shared view (:func:`hotspot_view`), so the maps line up; default framed on the
        cells drawn.

    Cells of category :data:`intel.emerging.NO_PATTERN` are left off the map.
    """
    shown = emg[emg["category"] != NO_PATTERN].copy()
    if shown.empty:
        return None
    shown["color"] = [CATEGORY_COLOURS[c] + [CATEGORY_ALPHA] for c in shown["category"]]
    data = shown[["h3", "total", "category", "trend", "color"]]
    layers = [_category_hexes(data, layer_id), _centre_marks(data, layer_id + "-marks")]
    return offline_deck(layers, view or cells_view(data["h3"], res),
                        {"text": "{h3}\n{category}\n{total} " + value + "\ntrend: {trend}"})


def emerging_legend(counts: pd.DataFrame) -> list[tuple[list[int], str]]:
    """Legend entries ``(rgb, "category (n)")`` from :func:`intel.emerging.category_counts`."""
    return [(CATEGORY_COLOURS[c], f"{c} ({n:,})") for c, n in counts.itertuples(index=False)]


# --------------------------------------------------------------------------- planner targets
TARGET_TOOLTIP = {"text": "#{rank} {h3}\nscore {score}\n{events} events\n"
                          "{nearest_town} ({town_km} km)\n"
                          "crossing: {crossing}"}


RANK_PX = 16
"""Size of a target's rank label, CSS pixels."""
MARKER_GLYPH = "\u25cf"
"""The target marker: the black circle glyph (U+25CF), drawn in the score colour over a dark one."""
MARKER_PX = 20
"""Font size of the marker's inner glyph, CSS pixels: a disc about 12 px across at every zoom."""
MARKER_RING_PX = 6
"""How much larger the dark glyph under it is, CSS pixels of font size: a ring about 2 px wide."""
MARKER_CLEAR_PX = 8.0
"""Half-size of the square kept clear of rank labels around each marker, CSS pixels (the disc's
radius and its ring, and a pixel to spare): a rank never covers a marker."""


TARGET_MAP_PX = (700, 520)
"""Width (a guess: three quarters of the page's content) and height (the Planner's deck) in CSS pixels of
the target map, which its initial view fits every target into, with a margin."""


def target_layers(targets: pd.DataFrame, scores: pd.DataFrame) -> tuple[list[pdk.Layer], pdk.ViewState, float]:
    """Layers of a plan: every scored cell in faint grey, the targets in YlOrRd with their rank.

    Parameters
    ----------
    targets : pandas.DataFrame
        ``plan.targets`` of :func:`intel.risk.plan` (``h3``, ``rank``, ``score``, ``events``,
        ``nearest_town``, ``town_km``, ``nearest_crossing``, ``crossing_km``, optional
        ``crossing_note`` (shown in the tooltip instead of a crossing when none is named), ``latitude``,
        ``longitude``); not empty.
    scores : pandas.DataFrame
        ``plan.scores`` (``h3``, ``score``): cells with a positive score are drawn as context.

    Returns
    -------
    (layers, view, top)
        Layers in drawing order (scored cells, target cells, their outlines, target markers, rank
        labels), the view framing every target (:func:`intel.render.deck.fit_view` of their box in a
        map of :data:`TARGET_MAP_PX`) and the top score the colours are scaled to (for
        :func:`target_legend`). Each target has a marker of a fixed pixel size (:data:`MARKER_PX`,
        opaque score colour, dark ring) at its cell's centre, so it shows at any zoom, even where
        the cell is smaller than a pixel. Rank labels sit beside their markers, never on one and
        never on each other at the view's zoom: pixel offsets from
        :func:`intel.render.labels.place_labels` (rank 1 placed first, every marker kept clear by
        :data:`MARKER_CLEAR_PX`); zooming in only moves the points apart.
    """
    t = targets.copy()
    top = max(float(t["score"].max()), 1e-9)
    t["color"] = [score_colour(s, top) for s in t["score"]]
    t["label"] = t["rank"].astype(str)
    note = t["crossing_note"] if "crossing_note" in t else pd.Series([None] * len(t), index=t.index)
    # the crossing of the cell's own border with its km, or the note saying none is known there
    t["crossing"] = [crossing_text(a, b, c) for a, b, c in zip(t["nearest_crossing"], t["crossing_km"], note)]
    t["crossing_note"] = note
    t = t.sort_values("rank", kind="stable")
    t["mark_color"] = [score_colour(s, top, 255) for s in t["score"]]   # opaque: the legend's swatch
    # every target inside the initial view: the box of all of them (no quantile trim), not a window around
    # their median, which left Ecuador's rank 4 on the Galapagos (-0.81, -90.91) outside
    view = fit_view(t["latitude"].to_numpy(), t["longitude"].to_numpy(), width_px=TARGET_MAP_PX[0],
                    height_px=TARGET_MAP_PX[1], trim=0.0, max_zoom=10.0)
    px, py = mercator_px(t["latitude"].to_numpy(), t["longitude"].to_numpy(), view.zoom)
    lw = rank_label_width(t["label"])
    # each rank sits beside its target's marker, clear of every marker and of the ranks placed before;
    # placed with y up (north), so the first choice is north-east of the marker, as on a map
    dx, dy, _ = place_labels(px, -py, lw, RANK_PX + 6, gap=MARKER_CLEAR_PX + 2.0, point_r=MARKER_CLEAR_PX)
    t["offset"] = [[float(a), float(-b)] for a, b in zip(dx, dy)]   # pixels, y down
    show = t[["h3", "rank", "label", "offset", "score", "events", "nearest_town", "town_km", "nearest_crossing",
              "crossing_km", "crossing_note", "crossing", "latitude", "longitude", "color", "mark_color"]].copy()
    for c in ("score", "town_km", "crossing_km"):
        show[c] = show[c].astype(float).round(2)
    # crossing and town names may come from an analyst's file: escaped, deck.gl renders tooltips as HTML
    show = escape_record_text(show, ["nearest_town", "nearest_crossing", "crossing"])
    hexes = pdk.Layer("H3HexagonLayer", show, id="target-cells", get_hexagon="h3", get_fill_color="color",
                      stroked=False, extruded=False, pickable=True, opacity=0.85, **HEX_POLYGONS)
    # the targets' outlines as LineLayer segments, the program the basemap's lines already use: a
    # stroked hexagon layer would compile a PathLayer, about a second of a first render without a GPU
    outlines = pdk.Layer("LineLayer", target_outline_segments(show["h3"]), id="target-outlines",
                         get_source_position="s", get_target_position="t", get_color=TARGET_LINE_COLOUR,
                         get_width=2, width_units=PIXELS, pickable=False)
    # the ranks with a halo (a signed-distance-field outline), as map labels are drawn, not on a
    # background box: the box's TextBackgroundLayer cost about 2 s of the page's first render
    # without a GPU (its own program and frames; 7.8 -> 5.4 s, median of 3, December 2026).
    # In the same layer, before the ranks, each target's marker: a disc of a fixed pixel size at the
    # cell's centre in its score colour over a larger dark disc (its ring). Cells of resolution 6 and
    # finer are smaller than a pixel at a country's zoom; the marker still shows where, and how high,
    # each target is. Glyphs of the ranks' own TextLayer: no layer, program or font atlas of its own
    # (a ScatterplotLayer would compile a program, 0.5-1.2 s of a first render here)
    labels = pdk.Layer("TextLayer", marker_and_rank_rows(show), id="target-ranks",
                       get_position=["longitude", "latitude"], get_text="text", get_size="size",
                       get_color="text_color", get_pixel_offset="offset", get_text_anchor="'middle'",
                       get_alignment_baseline="'center'", font_weight=700, font_settings={"sdf": True},
                       character_set=pdk.types.String("auto"),
                       outline_width=4, outline_color=TARGET_LABEL_HALO, pickable=True)
    # context: every scored cell of the area, faint grey by score, under the targets
    ctx = scores[scores["score"] > 0][["h3", "score"]].copy()
    ctx["color"] = [[*SCORED_CELL_GREY, int(30 + 150 * min(1.0, s / top))] for s in ctx["score"]]
    ctx["score"] = ctx["score"].astype(float).round(3)
    context = pdk.Layer("H3HexagonLayer", ctx, id="scored-cells", get_hexagon="h3", get_fill_color="color",
                        stroked=False, extruded=False, pickable=False, **HEX_POLYGONS)
    return [context, hexes, outlines, labels], view, top


def marker_and_rank_rows(show: pd.DataFrame) -> pd.DataFrame:
    """The rows of the Planner's ``target-ranks`` TextLayer, in drawing order: every target's dark
    marker disc, then its disc in the score colour, then its rank.

    Parameters
    ----------
    show : pandas.DataFrame
        The targets as :func:`target_layers` draws them: ``label`` (rank text), ``offset`` (the
        rank's pixel offset, y down), ``mark_color`` (opaque RGBA of the score) and the tooltip's
        fields.

    Returns
    -------
    pandas.DataFrame
        ``3 * len(show)`` rows with the columns of ``show`` and ``text``, ``size`` (CSS pixels),
        ``text_color`` (RGBA) and ``offset`` (``[0, 0]`` for the two discs: centred on the cell).
    """
    base = show.drop(columns=["color", "mark_color"])
    n = len(show)
    ring = base.assign(text=MARKER_GLYPH, size=MARKER_PX + MARKER_RING_PX, offset=[[0.0, 0.0]] * n,
                       text_color=[list(TARGET_LINE_COLOUR[:3]) + [255]] * n)
    disc = base.assign(text=MARKER_GLYPH, size=MARKER_PX, offset=[[0.0, 0.0]] * n,
                       text_color=list(show["mark_color"]))
    rank = base.assign(text=show["label"], size=RANK_PX, text_color=[list(TARGET_LABEL_COLOUR)] * n)
    return pd.concat([ring, disc, rank], ignore_index=True)


def rank_label_width(labels) -> list[float]:
    """Width in CSS pixels of the box of each rank label (:data:`RANK_PX` bold digits and their halo)."""
    return [0.62 * RANK_PX * len(str(s)) + 8 for s in labels]


def target_outline_segments(cells) -> list[dict]:
    """The edges of H3 cells (hex strings) as LineLayer segments ``{"s": [lon, lat], "t": [lon, lat]}``
    (degrees WGS84, 6 decimals, six per hexagon; :func:`intel.h3cells.cell_ring` cut by the
    basemap's :func:`intel.render.basemap.line_segments`)."""
    import shapely

    return line_segments([shapely.LineString(cell_ring(h)) for h in cells], 6)


def target_deck(targets: pd.DataFrame, scores: pd.DataFrame) -> tuple[pdk.Deck, list]:
    """Offline deck of a plan (:func:`target_layers`) and its legend (:func:`target_legend`)."""
    layers, view, top = target_layers(targets, scores)
    return offline_deck(layers, view, TARGET_TOOLTIP), target_legend(top)


def target_legend(top: float) -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries of the target colours, six equal score classes of ``[0, top]``, highest first."""
    return score_legend(top)
