"""Corridor layers: flow arcs coloured source -> target, chevrons, corridor cells.

Part of the renderer layer (:mod:`intel.render`): the flows of :func:`intel.corridors.query_flows`
and the cells of :func:`intel.corridors.corridor_density` come in as plain tables, pydeck layers and
legend entries go out. Arcs go from :data:`~intel.render.palettes.SOURCE_COLOR` (source place) to
:data:`~intel.render.palettes.TARGET_COLOR` (recovery place), width by the square root of the
weight (:func:`arc_records`, :func:`arc_layer`); chevrons along each great circle point in the
direction of travel (:func:`chevron_paths`, :func:`chevron_layer`); corridor cells are coloured
YlOrRd by quantile class of the weight (:func:`corridor_layer`, :func:`corridor_legend`). Every
record carries ``label`` and ``detail`` for the one :data:`TOOLTIP`; :func:`flow_view` frames the
arcs, :func:`flow_legend` keys their colours, and the page draws them on
:func:`intel.render.deck.offline_deck`.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

import pydeck as pdk

from intel.corridors.flows import aggregate_flows
from intel.geodesy import EARTH_RADIUS_KM, central_angle, destination_point, initial_bearing
from intel.geodesy import unit_vectors
from intel.greatcircle import tangent_vectors
from intel.render.deck import HEX_POLYGONS, PIXELS, fit_view
from intel.render.palettes import (CORRIDOR_ALPHA, SOURCE_COLOR, TARGET_COLOR, class_breaks,
                                   colour_for, legend)


def _lerp_color(c0, c1, t):
    t = np.clip(np.asarray(t, float), 0, 1)[:, None]
    return np.rint(np.asarray(c0) * (1 - t) + np.asarray(c1) * t).astype(int)


ARC_PX = (1.0, 10.0)
"""Arc width range, CSS pixels (square root of the weight)."""
ARC_HEIGHT = 0.1
"""ArcLayer height multiplier: low arcs, so a long flow (e.g. from Alaska) does not loop far off
its great circle under the perspective camera, and the chevrons (on the ground) stay on it."""


def flow_widths(weight, max_px: float = ARC_PX[1], min_px: float = ARC_PX[0]) -> np.ndarray:
    """Arc widths in pixels, proportional to the square root of the weight (largest = ``max_px``)."""
    w = np.sqrt(np.maximum(np.asarray(weight, float), 0))
    top = w.max() if w.size and w.max() > 0 else 1.0
    return np.maximum(min_px, max_px * w / top)


def arc_records(flows: pd.DataFrame, min_weight: float = 0.0) -> pd.DataFrame:
    """Aggregated flows at or above ``min_weight`` with ``width`` and tooltip fields ``label``, ``detail``.

    Parameters
    ----------
    flows : pandas.DataFrame
        :data:`intel.corridors.FLOW_COLUMNS` (e.g. from :func:`intel.corridors.query_flows`),
        aggregated per origin-destination pair by :func:`intel.corridors.aggregate_flows`.
    min_weight : float
        Lighter pairs (firearms) are left out.
    """
    agg = aggregate_flows(flows)
    agg = agg[agg["weight"] >= float(min_weight)].reset_index(drop=True)
    if agg.empty:
        return agg.assign(width=[], label=[], detail=[])
    agg["width"] = flow_widths(agg["weight"])
    # place names come from files: escaped, deck.gl renders tooltips as HTML
    agg["label"] = [html.escape(f"{o} → {d}") for o, d in zip(agg["origin_name"], agg["destination_name"])]
    agg["detail"] = [f"weight {w:,.0f} firearms over {p} period(s)" for w, p in zip(agg["weight"], agg["periods"])]
    return agg


def arc_layer(records: pd.DataFrame, layer_id: str = "flow-arcs"):
    """pydeck ``ArcLayer``: great-circle arcs coloured from source (blue) to target (red), width by weight."""
    data = records[["origin_lon", "origin_lat", "destination_lon", "destination_lat", "width", "weight",
                    "label", "detail"]].to_dict("records") if len(records) else []
    return pdk.Layer(
        "ArcLayer", data=data, id=layer_id,
        get_source_position=["origin_lon", "origin_lat"],
        get_target_position=["destination_lon", "destination_lat"],
        get_source_color=SOURCE_COLOR, get_target_color=TARGET_COLOR,
        get_width="width", width_units=PIXELS, width_min_pixels=ARC_PX[0], width_max_pixels=ARC_PX[1],
        get_height=ARC_HEIGHT, great_circle=True, pickable=True, auto_highlight=True,
    )


def chevron_paths(records: pd.DataFrame, marks: int | None = None, size_km: float | None = None) -> pd.DataFrame:
    """Chevrons (small ">" marks) along each flow's great circle, pointing in the direction of travel.

    Parameters
    ----------
    records : pandas.DataFrame
        From :func:`arc_records` (positions, ``width``, ``label``, ``detail``).
    marks : int, optional
        Chevrons per flow; default one per ~400 km, 1-6.
    size_km : float, optional
        Arm length in km; default 4 % of the flow length, 15-90 km.

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` (list of three [lon, lat]: arm, tip, arm; longitudes unwrapped
        around the tip so a chevron never spans the globe), ``color`` (RGBA, interpolated
        source -> target at the mark), ``width``, ``label``, ``detail``.
    """
    if records.empty:
        return pd.DataFrame(columns=["path", "color", "width", "label", "detail"])
    cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
    lat0, lon0, lat1, lon1 = (records[c].to_numpy(float) for c in cols)
    d_km = central_angle(lat0, lon0, lat1, lon1) * EARTH_RADIUS_KM
    keep = d_km > 1.0
    rows = []
    a, b = unit_vectors(lat0, lon0), unit_vectors(lat1, lon1)
    u = tangent_vectors(a, b)
    d = d_km / EARTH_RADIUS_KM
    for i in np.flatnonzero(keep):
        m = marks or int(np.clip(round(d_km[i] / 400.0), 1, 6))
        size = size_km or float(np.clip(0.04 * d_km[i], 15.0, 90.0))
        fr = (np.arange(1, m + 1) / (m + 1))
        ang = fr[:, None] * d[i]
        p = np.cos(ang) * a[i] + np.sin(ang) * u[i]
        q = np.cos(ang + 1e-4) * a[i] + np.sin(ang + 1e-4) * u[i]
        plat = np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))
        plon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
        qlat = np.degrees(np.arcsin(np.clip(q[:, 2], -1, 1)))
        qlon = np.degrees(np.arctan2(q[:, 1], q[:, 0]))
        brg = initial_bearing(plat, plon, qlat, qlon)
        l_lat, l_lon = destination_point(plat, plon, brg + 150.0, size)
        r_lat, r_lon = destination_point(plat, plon, brg - 150.0, size)
        colors = _lerp_color(SOURCE_COLOR, TARGET_COLOR, fr)
        colors[:, :3] = np.rint(colors[:, :3] * 0.55)  # darker than the arc under it, so it shows on it
        colors[:, 3] = 240
        for j in range(m):
            def un(x):  # unwrap around the tip
                return float(plon[j] + ((x - plon[j] + 180.0) % 360.0 - 180.0))
            rows.append({
                "path": [[un(l_lon[j]), float(l_lat[j])], [float(plon[j]), float(plat[j])], [un(r_lon[j]), float(r_lat[j])]],
                "color": [int(c) for c in colors[j]],
                "width": float(max(1.5, 0.5 * records["width"].iat[i])),
                "label": records["label"].iat[i], "detail": records["detail"].iat[i],
            })
    return pd.DataFrame(rows, columns=["path", "color", "width", "label", "detail"])


def chevron_layer(chevrons: pd.DataFrame, layer_id: str = "flow-chevrons"):
    """pydeck ``PathLayer`` of chevrons from :func:`chevron_paths` (no icons, nothing fetched)."""
    return pdk.Layer(
        "PathLayer", data=chevrons.to_dict("records") if len(chevrons) else [], id=layer_id,
        get_path="path", get_color="color", get_width="width", width_units=PIXELS,
        width_min_pixels=1.5, width_max_pixels=4, cap_rounded=True, joint_rounded=True, pickable=True,
    )


def corridor_colours(weight, k: int = 6) -> tuple[list[list[int]], list[float]]:
    """RGBA colours (ColorBrewer YlOrRd, ``k`` quantile classes of the weight) and the class upper bounds."""
    w = np.asarray(weight, float)
    breaks = class_breaks(w, k)
    cols = [c[:3] + [CORRIDOR_ALPHA] for c in colour_for(w, breaks)]
    return cols, breaks


def corridor_legend(density: pd.DataFrame, top: int | None = 5000) -> list:
    """Legend entries ``(rgb, text)`` matching :func:`corridor_layer` (firearms per cell)."""
    d = density if top is None else density.head(int(top))
    if d.empty:
        return []
    return legend(corridor_colours(d["weight"])[1], "firearms")


def corridor_layer(density: pd.DataFrame, top: int | None = 5000, layer_id: str = "corridor-cells"):
    """pydeck ``H3HexagonLayer`` of corridor cells (hex strings), YlOrRd by quantile class of the weight.

    Parameters
    ----------
    density : pandas.DataFrame
        From :func:`intel.corridors.corridor_density`.
    top : int, optional
        Draw only the ``top`` ranked cells (keeps the page light); ``None`` draws all.

    Draw it before (under) the arcs; :func:`corridor_legend` gives its legend.
    """
    d = density if top is None else density.head(int(top))
    if len(d):
        cols, _ = corridor_colours(d["weight"])
        data = [{"h3": h, "color": c, "label": f"corridor cell rank {r}",
                 "detail": f"weight {w:,.0f} from {n} flow(s)"}
                for h, c, r, w, n in zip(d["h3"], cols, d["rank"], d["weight"], d["flows"])]
    else:
        data = []
    return pdk.Layer(
        "H3HexagonLayer", data=data, id=layer_id, get_hexagon="h3", get_fill_color="color",
        filled=True, stroked=False, extruded=False, pickable=True, **HEX_POLYGONS,
    )


TOOLTIP = {"html": "<b>{label}</b><br/>{detail}", "style": {"fontSize": "12px"}}
"""One tooltip template for every layer built here: records carry ``label`` and ``detail``."""


DEFAULT_VIEW = (38.5, -92.0, 3.4)
"""Latitude, longitude and zoom of the corridor map when the flows are not framed (the lower 48)."""


def flow_view(arcs: pd.DataFrame, frame: bool = True, height_px: int = 600) -> pdk.ViewState:
    """Initial view of the corridor map: the arcs' end points framed, or :data:`DEFAULT_VIEW`.

    Parameters
    ----------
    arcs : pandas.DataFrame
        From :func:`arc_records`.
    frame : bool
        Frame the arcs (e.g. one recovery place chosen); otherwise, or when the arcs span
        180 degrees of longitude or more, the default view.
    height_px : int
        Height of the map in CSS pixels.
    """
    if frame and len(arcs):
        lat = np.r_[arcs["origin_lat"], arcs["destination_lat"]]
        lon = np.r_[arcs["origin_lon"], arcs["destination_lon"]]
        if lon.max() - lon.min() < 180:
            return fit_view(lat, lon, width_px=900, height_px=height_px, trim=0.05, default=DEFAULT_VIEW,
                            max_zoom=7.0)
    return pdk.ViewState(latitude=DEFAULT_VIEW[0], longitude=DEFAULT_VIEW[1], zoom=DEFAULT_VIEW[2])


def flow_legend() -> list[tuple[list[int], str]]:
    """Legend entries ``(rgba, text)`` of the arc colours."""
    return [(SOURCE_COLOR, "source place (arc start)"), (TARGET_COLOR, "recovery place (arc end)")]
