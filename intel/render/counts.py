"""H3 count layers: event and firearm counts per cell, and the records too coarse to bin.

Part of the renderer layer (:mod:`intel.render`), re-exported by :mod:`intel.render.hexagons`.
:func:`hexagon_layer` draws the cells of :func:`intel.hexbin.aggregate` coloured YlOrRd by
quantile class (Explore map, Trends playback, bench); :func:`points_layer` draws the records too
coarse to bin as hollow circles so they do not read as exact. Only what the map draws and its
tooltip shows is sent (:data:`TOOLTIP_COLUMNS`, whole numbers as integers, coordinates rounded).

Why a module of its own: it imports no analysis module (the Gi*, emerging and border modules
that :mod:`intel.render.hexagons` needs pull in scipy, about two seconds of imports on a loaded
2-core machine), so the Explore map's first run in a new server process does not wait for them.
Cells are H3 hex strings (JavaScript numbers lose 64-bit integers); record text shown in a
tooltip is HTML-escaped (deck.gl renders tooltips as HTML).
"""
from __future__ import annotations

import pandas as pd
import pydeck as pdk

from intel.render.deck import HEX_POLYGONS
from intel.render.palettes import COARSE_FILL_COLOUR, COARSE_LINE_COLOUR, class_breaks, colour_for, legend
from intel.safety import escape_record_text


# --------------------------------------------------------------------------- counts per cell
TOOLTIP_COLUMNS = ("h3", "events", "records", "firearms", "top_categories")
"""Columns of a cell or point table that the count layers send (the tooltips name no others)."""


def _compact(df: pd.DataFrame, coord_digits: int = 5) -> pd.DataFrame:
    """A copy of ``df`` for a layer's JSON: float columns holding only whole numbers as integers
    (``7993``, not ``7993.0``), ``latitude``/``longitude`` rounded to ``coord_digits`` decimals
    (5 decimals: about 1 m)."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if c in ("latitude", "longitude"):
            out[c] = col.astype(float).round(coord_digits)
        elif pd.api.types.is_float_dtype(col) and col.notna().all() and bool((col == col.round()).all()):
            out[c] = col.astype("int64")
    return out


def hexagon_layer(cells: pd.DataFrame, value: str = "events", layer_id: str = "hexagons",
                  breaks: list[float] | None = None, extruded: bool = False) -> tuple[pdk.Layer, list]:
    """H3HexagonLayer of a cell table (column ``h3`` as hex string) coloured by ``value``.

    Parameters
    ----------
    cells : pandas.DataFrame
        From :func:`intel.hexbin.aggregate` (``h3``, ``events``, ``records``, ``firearms``, ...).
    value : str
        Column that decides the colour (YlOrRd, quantile classes).
    layer_id : str
    breaks : list of float, optional
        Class upper bounds (e.g. of a whole period, so steps are comparable); default: the
        quantile classes of ``cells[value]``.
    extruded : bool

    Returns
    -------
    (pydeck.Layer, legend entries)
    """
    breaks = breaks or class_breaks(cells[value].to_numpy())
    # only what the map draws and its tooltip shows: every byte is sent and parsed on each rerun
    data = _compact(cells[[c for c in TOOLTIP_COLUMNS if c in cells.columns]])
    data["color"] = colour_for(cells[value].to_numpy(), breaks)
    if "top_categories" in data:  # record text: escaped, deck.gl renders tooltips as HTML
        data = escape_record_text(data, ["top_categories"])
    layer = pdk.Layer(
        "H3HexagonLayer", data, id=layer_id, get_hexagon="h3", get_fill_color="color", pickable=True,
        stroked=False, extruded=extruded, auto_highlight=True, **HEX_POLYGONS,
    )
    return layer, legend(breaks, value, values=cells[value].to_numpy())


def points_layer(df: pd.DataFrame, layer_id: str = "coarse-points", radius_px: int = 7) -> pdk.Layer:
    """Hollow points, one per place, for records too coarse to bin (hollow so they do not read as
    exact); they carry no text label: the tooltip names the place and its counts.

    Parameters
    ----------
    df : pandas.DataFrame
        ``latitude``, ``longitude`` (degrees WGS84) and the tooltip columns
        (:data:`TOOLTIP_COLUMNS`; others are not sent). Text columns are HTML-escaped (tooltips
        are rendered as HTML).
    layer_id : str
    radius_px : int
        Radius in CSS pixels (up to three times that when zoomed in).
    """
    keep = [c for c in (*TOOLTIP_COLUMNS, "latitude", "longitude") if c in df.columns]
    df = escape_record_text(_compact(df[keep]))
    return pdk.Layer(
        "ScatterplotLayer", df, id=layer_id, get_position=["longitude", "latitude"], get_radius=1,
        radius_min_pixels=radius_px, radius_max_pixels=radius_px * 3, stroked=True, filled=True,
        get_fill_color=COARSE_FILL_COLOUR, get_line_color=COARSE_LINE_COLOUR, line_width_min_pixels=2, pickable=True,
    )


__all__ = ["TOOLTIP_COLUMNS", "hexagon_layer", "points_layer"]
