"""Every colour and colour scale of the dashboard's maps, in one place.

Part of the renderer layer (:mod:`intel.render`): analyses hand in plain values (counts, bins,
categories, loads, scores) and this module says which colour each one gets. Colours are RGB
tuples or lists of 0-255 integers; a layer adds its own alpha. The pydeck layers
(:mod:`intel.render.deck`, :mod:`~intel.render.hexagons`, :mod:`~intel.render.borders`,
:mod:`~intel.render.corridors`, :mod:`~intel.render.links`) and the PDF renderers
(:mod:`intel.briefing`) read their colours from here, so a map on the page, in the browser and in
a PDF agree.

Colour scales are ColorBrewer (Brewer 2003) sequential or diverging schemes. Quantile classes
(:func:`class_breaks`), the colour of a value (:func:`colour_for`) and the matching legend
(:func:`legend`) are plain numpy: no pydeck here.
"""
from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------- sequential scales
YLORRD = [(255, 255, 178), (254, 217, 118), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
"""ColorBrewer YlOrRd, 6 classes."""

HOT_COLD = {3: (178, 24, 43), 2: (239, 138, 98), 1: (253, 219, 199), 0: (240, 240, 240),
            -1: (209, 229, 240), -2: (103, 169, 207), -3: (33, 102, 172)}
"""ColorBrewer RdBu for Gi* confidence bins (+-3: 99 %, +-2: 95 %, +-1: 90 %)."""

BIN_LABELS = {3: "Hot spot, 99 %", 2: "Hot spot, 95 %", 1: "Hot spot, 90 %", 0: "Not significant",
              -1: "Cold spot, 90 %", -2: "Cold spot, 95 %", -3: "Cold spot, 99 %"}
"""Short labels of the Gi* confidence bins (the long ones are :data:`intel.hotspots.CONFIDENCE`)."""

ZERO_COLOUR = (189, 189, 189)
"""A class of its own for the value 0 (a cell with incidents but no firearm counted): neutral grey,
never the lightest or darkest class of the scale."""
MISSING_COLOUR = (250, 250, 250)
"""A value that was not recorded (NaN): near-white, outlined by the layer's line colour."""

# --------------------------------------------------------------------------- explore map
COARSE_FILL_COLOUR, COARSE_LINE_COLOUR = [60, 60, 160, 60], [30, 30, 120]
"""Hollow circles of records too coarse to bin (RGBA fill, RGB outline)."""

# --------------------------------------------------------------------------- basemap
SEA_COLOUR = [197, 217, 232]
LAND_COLOUR = [226, 226, 218]
COUNTRY_LINE_COLOUR = [255, 255, 255]
ADMIN1_LINE_COLOUR = [178, 178, 166]
"""Admin-1 (state, province) lines: a darker grey than the land, under the white country lines."""
PLACE_LABEL_COLOUR, PLACE_OUTLINE_COLOUR = [40, 40, 48, 255], [255, 255, 255, 220]
"""Place names: near-black text with a white halo, readable over land, sea and hexagons."""

# --------------------------------------------------------------------------- hot spots (Gi*)
BIN_COLOURS = {
    3: [215, 48, 39], 2: [252, 141, 89], 1: [254, 224, 144], 0: [220, 220, 220],
    -1: [224, 243, 248], -2: [145, 191, 219], -3: [69, 117, 180],
}
"""RGB colour of each Gi* confidence bin (ColorBrewer RdYlBu, as in ArcGIS's hot spot renderer)."""
BIN_ALPHA = 200

# --------------------------------------------------------------------------- emerging hot spots
CATEGORY_COLOURS = {
    "New Hot Spot": [128, 0, 38], "Consecutive Hot Spot": [189, 0, 38],
    "Intensifying Hot Spot": [227, 26, 28], "Persistent Hot Spot": [252, 78, 42],
    "Diminishing Hot Spot": [253, 141, 60], "Oscillating Hot Spot": [254, 178, 76],
    "Sporadic Hot Spot": [254, 217, 118], "Historical Hot Spot": [255, 237, 160],
    "New Cold Spot": [8, 48, 107], "Consecutive Cold Spot": [8, 81, 156],
    "Intensifying Cold Spot": [33, 113, 181], "Persistent Cold Spot": [66, 146, 198],
    "Diminishing Cold Spot": [107, 174, 214], "Oscillating Cold Spot": [158, 202, 225],
    "Sporadic Cold Spot": [198, 219, 239], "Historical Cold Spot": [222, 235, 247],
    "No Pattern Detected": [230, 230, 230],
}
"""RGB colour of each emerging hot spot category (keys: :data:`intel.emerging.CATEGORIES`, ArcGIS
spelling; reds hot, blues cold)."""
CATEGORY_ALPHA = 210

# --------------------------------------------------------------------------- planner
TARGET_ALPHA = 220
TARGET_LINE_COLOUR = [60, 0, 0, 220]
TARGET_LABEL_COLOUR, TARGET_LABEL_HALO = [20, 20, 20, 255], [255, 255, 255, 230]
SCORED_CELL_GREY = (90, 90, 90)
"""The other scored cells of the area: grey, more opaque the higher the score."""

# --------------------------------------------------------------------------- borders
LOAD_COLOURS = [(254, 217, 118), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
"""Border-stretch colours by load class (ColorBrewer YlOrRd, classes 2-6 of 6)."""
NO_LOAD_COLOUR = (120, 120, 120)
"""A border stretch without events."""
BAND_COLOURS = {"0-20 km": (0, 90, 50), "20-50 km": (35, 139, 69), "50-80 km": (116, 196, 118)}
"""Border-zone events by distance band: ColorBrewer Greens, darkest nearest the border. Not the
stretches' YlOrRd (:data:`LOAD_COLOURS`): an event dot must never take the colour of a load class
(the 20-50 km band and the 2nd load class were one orange, the 50-80 km band and the 1st one yellow)."""
OTHER_BAND_COLOUR = (150, 150, 150)
CROSSING_COLOUR, FAR_CROSSING_COLOUR = (30, 90, 200), (0, 200, 220)
"""Official crossings in blue; cyan for one far from its border (flagged). The flagged crossing was
orange, too like the 2nd load class and the 20-50 km band in the legend beside it."""
LEGEND_MIN_DELTA_E = 15.0
"""Smallest CIE76 colour difference (CIELAB, D65) between two classes of one map's legends
(``tests/test_render.py`` checks the Borders map's: stretches, points and candidates)."""
CANDIDATE_COLOUR = (200, 0, 120)
"""Bypass candidates (rings and rank labels)."""

# --------------------------------------------------------------------------- corridors and links
SOURCE_COLOR = [0, 140, 255, 210]
"""Start of a flow arc (source place), RGBA."""
TARGET_COLOR = [225, 30, 45, 230]
"""End of a flow arc (recovery place), RGBA."""
CORRIDOR_ALPHA = 200
LINK_COLOUR = (130, 40, 170)
"""Links between seizures of the same serial key (purple)."""
LINK_ALPHA = 220

# --------------------------------------------------------------------------- charts and legends (CSS colours)
CHANGE_UP_COLOUR, CHANGE_DOWN_COLOUR = "#cc0000", "#3465a4"
"""Bars of a period comparison: more than the previous period (red), fewer (blue) (Trends page)."""
NOT_REPORTED_COLOUR = "#d9d9d9"
"""A country-year with no UNODC figure (Trends page heat map)."""
COUNTRY_CONTEXT_SCHEME = "yelloworangered"
"""Vega colour scheme of the UNODC arms-seized heat map (log scale; Trends page)."""
SWATCH_LINE_COLOUR = "#888"
"""Outline of a legend swatch (pages' HTML legends)."""


# --------------------------------------------------------------------------- classes and legends
def class_breaks(values: np.ndarray, k: int = 6) -> list[float]:
    """Upper bounds of ``k`` quantile classes of positive values (distinct, ascending).

    Parameters
    ----------
    values : array-like of float
        Values to classify; zero, negative and non-finite values are ignored.
    k : int
        Number of classes asked for (fewer come back when quantiles coincide).

    Returns
    -------
    list of float
        Ascending upper bounds; ``[1.0]`` when no value is positive.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return [1.0]
    qs = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:]))
    return [float(q) for q in qs]


def colour_for(values: np.ndarray, breaks: list[float], palette=YLORRD) -> list[list[int]]:
    """RGBA colour (alpha 210) per value from class upper ``breaks``.

    Zero (and negative) values get :data:`ZERO_COLOUR` and values that were not recorded (NaN)
    :data:`MISSING_COLOUR`, so neither reads as a class of the scale (ArcGIS and GeoDa keep
    "no data" and zero out of the classed colours in the same way).

    Parameters
    ----------
    values : array-like of float, shape (n,)
    breaks : list of float
        From :func:`class_breaks`.
    palette : list of RGB tuples
        The last ``len(breaks)`` colours are used, spread evenly when there are fewer breaks.

    Returns
    -------
    list of n ``[r, g, b, a]`` lists
    """
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks), v, side="left")
    idx = np.clip(idx, 0, len(breaks) - 1)
    pal = palette[-len(breaks):] if len(breaks) <= len(palette) else palette
    step = (len(pal) - 1) / max(1, len(breaks) - 1)
    out = []
    for x, i in zip(v, idx):
        if np.isnan(x):
            out.append(list(MISSING_COLOUR) + [210])
        elif x <= 0:
            out.append(list(ZERO_COLOUR) + [210])
        else:
            out.append(list(pal[int(round(i * step))]) + [210])
    return out


def legend(breaks: list[float], label: str, palette=YLORRD, values=None) -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries ``(rgb, text)`` matching :func:`colour_for`.

    Parameters
    ----------
    breaks : list of float
        From :func:`class_breaks`.
    label : str
        Unit appended to each range (``"events"``, ``"firearms"``).
    values : array-like of float, optional
        The values drawn: when given, the classes appear only if some value is positive, and
        entries for ``0 <label>`` and ``not recorded`` are added when such values are present.
    """
    v = None if values is None else np.asarray(values, dtype=float)
    out = []
    if v is None or (v[np.isfinite(v)] > 0).any():
        pal = palette[-len(breaks):] if len(breaks) <= len(palette) else palette
        step = (len(pal) - 1) / max(1, len(breaks) - 1)
        lo = 1
        for i, b in enumerate(breaks):
            hi = int(np.floor(b))
            text = f"{lo:,}" if hi <= lo else f"{lo:,}-{hi:,}"
            out.append((pal[int(round(i * step))], f"{text} {label}"))
            lo = hi + 1
    if v is not None and (v[np.isfinite(v)] <= 0).any():
        out.append((ZERO_COLOUR, f"0 {label}"))
    if v is not None and np.isnan(v).any():
        out.append((MISSING_COLOUR, f"{label}: not recorded"))
    return out


def score_colour(score: float, top: float, alpha: int = TARGET_ALPHA) -> list[int]:
    """RGBA of a target score: YlOrRd in six equal classes of ``[0, top]``."""
    return list(YLORRD[min(5, int(score / top * 5.999))]) + [alpha]


def score_legend(top: float) -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries ``(rgb, text)`` matching :func:`score_colour`, highest class first."""
    return [(YLORRD[i], f"score {i / 6 * top:.2f}-{(i + 1) / 6 * top:.2f}") for i in range(5, -1, -1)]
