"""Border layers: stretches by load, events by distance band, crossings, bypass candidates.

Part of the renderer layer (:mod:`intel.render`): the tables of :mod:`intel.borders`
(:func:`~intel.borders.segment_load`, :func:`~intel.borders.border_events`,
:func:`~intel.borders.official_crossings`, :func:`~intel.borders.bypass_candidates`) come in,
pydeck layers sized in CSS pixels and legend entries go out: border stretches coloured and sized
by load (:func:`stretch_layer`, with the load classes of :func:`load_breaks` and
:func:`load_legend`), border-zone events by distance band (:func:`band_layer`), official
crossings (:func:`crossing_layer`), bypass candidates as rings with their rank
(:func:`bypass_layers`), the key of the points (:func:`points_legend`), and the view framing the
border-zone events (:func:`map_focus`, :func:`focus_view`). Colours come from
:mod:`intel.render.palettes`; tooltips use :data:`MAP_TOOLTIP` (record text escaped).
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from intel.borders.common import DISTANCE_BANDS
from intel.borders.crossings import crossing_text
from intel.render.deck import PIXELS, fit_view
from intel.render.palettes import (BAND_COLOURS, CANDIDATE_COLOUR, CROSSING_COLOUR, FAR_CROSSING_COLOUR,
                                   LOAD_COLOURS, NO_LOAD_COLOUR, OTHER_BAND_COLOUR)

STRETCH_PX = (2.0, 8.0)
"""Width of a stretch with load, CSS pixels (square root of its events; a stretch without load is 1 px)."""
CANDIDATE_PX = (6.0, 30.0)
"""Radius of a bypass-candidate ring, CSS pixels (square root of its events)."""
MAP_TOOLTIP = {"html": "{tip}", "style": {"fontSize": "12px"}}
"""Tooltip of every Borders layer: records carry their own escaped ``tip``."""


def sqrt_scale(values, lo: float, hi: float) -> np.ndarray:
    """``lo`` .. ``hi`` by the square root of ``values`` relative to the largest (0 or less -> ``lo``)."""
    v = np.sqrt(np.maximum(np.asarray(values, dtype=float), 0.0))
    top = float(v.max()) if v.size and v.max() > 0 else 1.0
    return lo + (hi - lo) * v / top


def load_breaks(values) -> list[float]:
    """Upper bounds of the load classes: quartiles of the positive loads (distinct, ascending)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return [float(b) for b in np.unique(np.quantile(v, [0.25, 0.5, 0.75]))] if v.size else []


def load_colour(v: float, breaks: list[float]) -> list[int]:
    """RGBA of a stretch carrying ``v`` events (grey for none), opaque: the colour drawn is the
    legend's swatch (:func:`load_legend`)."""
    if not v or v <= 0:
        return [*NO_LOAD_COLOUR, 255]
    k = int(np.searchsorted(breaks, v, side="left"))
    return [*LOAD_COLOURS[min(k, len(LOAD_COLOURS) - 1)], 255]


def load_legend(breaks: list[float], vmax: float) -> list[tuple[tuple[int, int, int], str]]:
    """``(rgb, text)`` entries matching :func:`load_colour`: grey for none, then one per class."""
    out = [(NO_LOAD_COLOUR, "no events (thin)")]
    lo = 1
    bounds = [*breaks, vmax] if not breaks or vmax > breaks[-1] else list(breaks)
    for i, b in enumerate(bounds):
        hi = int(np.floor(b))
        if hi < lo:
            continue
        out.append((LOAD_COLOURS[min(i, len(LOAD_COLOURS) - 1)], f"{lo:,} events" if hi == lo else f"{lo:,}-{hi:,} events"))
        lo = hi + 1
    return out


def stretch_layer(segs, show_all: bool = True, layer_id: str = "border-stretches"):
    """PathLayer of border stretches (from :func:`intel.borders.segment_load`) coloured and sized by load.

    Widths are CSS pixels: 1 px grey for a stretch without events, 2-8 px by the square root of
    the events otherwise; stretches with load are drawn last (on top).

    Returns
    -------
    (pydeck.Layer, legend entries)
    """
    d = segs if show_all else segs[segs["events"] > 0]
    d = d.assign(_ev=d["events"].fillna(0).astype(float)).sort_values("_ev", kind="stable")
    vals = d["_ev"].to_numpy()
    breaks = load_breaks(vals)
    width = np.where(vals > 0, sqrt_scale(vals, *STRETCH_PX), 1.0)
    data = pd.DataFrame({
        "path": [np.round(shapely.get_coordinates(x), 4).tolist() for x in d.geometry],
        "colour": [load_colour(v, breaks) for v in vals],
        "width": np.round(width, 2),
        "tip": [f"<b>{_h(s)}</b><br/>{_h(pr)}: {int(e)} events, {f:,.0f} firearms, "
                + (f"change {int(c):+d}" if pd.notna(c) else "no change figure (data do not cover both periods)")
                for s, pr, e, f, c in zip(d["segment_id"], d["pair"], vals, d["firearms"].fillna(0),
                                          d["change"].astype(float))],
    })
    layer = pdk.Layer("PathLayer", data, id=layer_id, get_path="path", get_color="colour", get_width="width",
                      width_units=PIXELS, width_min_pixels=1, width_max_pixels=STRETCH_PX[1], cap_rounded=True,
                      joint_rounded=True, pickable=True, auto_highlight=True)
    return layer, load_legend(breaks, float(vals.max()) if vals.size else 0.0)


def _h(v) -> str:
    """Record or file text for an HTML tooltip (deck.gl renders tooltips as HTML): escaped."""
    return html.escape("" if v is None else str(v))


def _point_frame(df: pd.DataFrame, colour, tip) -> pd.DataFrame:
    out = df[["latitude", "longitude"]].copy()
    out["colour"] = [list(colour(r)) for r in df.itertuples()] if len(df) else []
    out["tip"] = [tip(r) for r in df.itertuples()] if len(df) else []
    return out


def band_layer(ev: pd.DataFrame, layer_id: str = "events-by-band"):
    """Small opaque dots (3 px) of border-zone events coloured by distance band (the legend's
    colours, :func:`points_legend`).

    ``ev`` should be the records the page counts (:func:`intel.borders.zone_records`), so the
    dots are the events of the headline: every row is drawn."""
    d = _point_frame(ev.drop_duplicates(["latitude", "longitude", "band"]),
                     lambda r: (*BAND_COLOURS.get(r.band, OTHER_BAND_COLOUR), 255),
                     lambda r: f"{_h(r.location_name or 'event')}<br/>{r.border_km:.1f} km from {_h(r.border_pair)}")
    return pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                     get_fill_color="colour", get_radius=3, radius_units=PIXELS, radius_min_pixels=2,
                     radius_max_pixels=6, pickable=True)


def crossing_layer(cx: pd.DataFrame, layer_id: str = "official-crossings"):
    """Official crossings (5 px, white outline); orange when far from their border (flagged)."""
    d = _point_frame(cx, lambda r: (*(FAR_CROSSING_COLOUR if r.far_from_border else CROSSING_COLOUR), 255),
                     lambda r: (f"<b>{_h(r.name)}</b> ({_h(r.source)})<br/>{r.snap_km:.1f} km from its border"
                                + (" - flagged: far from any border, position kept as published"
                                   if r.far_from_border else "")))
    return pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                     get_fill_color="colour", get_line_color=[255, 255, 255], stroked=True, get_radius=5,
                     radius_units=PIXELS, radius_min_pixels=4, radius_max_pixels=8, line_width_units=PIXELS,
                     get_line_width=1, pickable=True)


def _crossing_tip(r) -> str:
    """Tooltip line of a bypass candidate: km from the crossing of its own border, or the note."""
    name, km, note = r.nearest_crossing, r.nearest_crossing_km, getattr(r, "crossing_note", None)
    if isinstance(name, str) and name and km == km:
        return f"{km:.1f} km from {_h(name)}"
    return _h(crossing_text(None, None, note))


def bypass_layers(cand: pd.DataFrame, layer_id: str = "bypass-candidates") -> list:
    """Bypass candidates as rings (6-30 px radius by the square root of the events, nearly
    transparent fill so the stretches underneath stay visible), plus their rank as a label."""
    d = _point_frame(cand, lambda r: (*CANDIDATE_COLOUR, 35),
                     lambda r: (f"<b>Candidate #{r.rank}</b><br/>{r.events} events, {r.firearms:,.0f} firearms, last "
                                f"{r.last_date}<br/>{_crossing_tip(r)}"))
    d["radius"] = np.round(sqrt_scale(cand["events"].to_numpy(dtype=float), *CANDIDATE_PX), 1) if len(cand) else []
    d["label"] = [f"#{int(r)}" for r in cand["rank"]] if len(cand) else []
    d["offset"] = [[0, -float(r) - 9] for r in d["radius"]] if len(cand) else []
    rings = pdk.Layer("ScatterplotLayer", d, id=layer_id, get_position=["longitude", "latitude"],
                      get_fill_color="colour", get_line_color=[*CANDIDATE_COLOUR, 235], stroked=True, filled=True,
                      get_radius="radius", radius_units=PIXELS, radius_min_pixels=CANDIDATE_PX[0],
                      radius_max_pixels=CANDIDATE_PX[1], get_line_width=2, line_width_units=PIXELS,
                      line_width_min_pixels=2, pickable=True, auto_highlight=True)
    labels = pdk.Layer("TextLayer", d, id=f"{layer_id}-labels", get_position=["longitude", "latitude"],
                       get_text="label", get_size=12, size_units=PIXELS, get_color=[*CANDIDATE_COLOUR, 255],
                       get_pixel_offset="offset", font_weight=700, outline_width=2, outline_color=[255, 255, 255],
                       font_settings={"sdf": True}, pickable=False)
    return [rings, labels]


def map_focus(ev_zone: pd.DataFrame, segs=None) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes the borders map frames: the border-zone events; failing
    those, the vertices of the stretches with load; failing those, nothing."""
    if ev_zone is not None and len(ev_zone):
        return ev_zone["latitude"].to_numpy(float), ev_zone["longitude"].to_numpy(float)
    if segs is not None and len(segs) and (segs["events"] > 0).any():
        xy = shapely.get_coordinates(segs[segs["events"] > 0].geometry.values)
        return xy[:, 1], xy[:, 0]
    return np.array([]), np.array([])


def focus_view(ev_zone: pd.DataFrame, segs=None, width_px: int = 720, height_px: int = 560,
               default=(35.0, -100.0, 3.0)) -> pdk.ViewState:
    """The initial view of the Borders map: :func:`map_focus` framed by :func:`intel.render.deck.fit_view`.

    Parameters
    ----------
    ev_zone : pandas.DataFrame
        Border-zone events to frame (``latitude``, ``longitude``, degrees WGS84).
    segs : geopandas.GeoDataFrame, optional
        Stretches with ``events``; framed when there is no event.
    width_px, height_px : int
        Size of the map in CSS pixels (the width is a guess, used only to choose the zoom).
    default : tuple
        Latitude, longitude and zoom when there is nothing to frame.
    """
    lat, lon = map_focus(ev_zone, segs)
    return fit_view(lat, lon, width_px=width_px, height_px=height_px, default=default)


def points_legend(zone_km: float | None = None) -> list[tuple[tuple[int, int, int], str]]:
    """Legend entries ``(rgb, text)`` of the point layers: event bands, then crossings.

    Parameters
    ----------
    zone_km : float, optional
        Width of the border zone the map draws (km): only the bands that start inside it are
        listed (a 20 km zone has no 20-50 km dot). Default every band.
    """
    bands = [(BAND_COLOURS[b], f"event {b} from a border") for lo, _, b in DISTANCE_BANDS
             if zone_km is None or lo < float(zone_km)]
    return bands + [(CROSSING_COLOUR, "official crossing"), (FAR_CROSSING_COLOUR, "crossing far from its border (flagged)")]
