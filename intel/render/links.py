"""Links layer: straight lines between two seizures of the same firearm.

Part of the renderer layer (:mod:`intel.render`): the edges of :func:`intel.links.seizure_links`
come in, a pydeck ``LineLayer`` (:func:`links_layer`) and its legend entry (:func:`links_legend`)
go out, drawn in :data:`~intel.render.palettes.LINK_COLOUR` over the corridor map. Tooltips carry
``label`` and ``detail`` like the corridor layers (:data:`intel.render.corridors.TOOLTIP`); serial
keys and place names come from files and are HTML-escaped.
"""
from __future__ import annotations

import html

import pandas as pd
import pydeck as pdk

from intel.render.deck import PIXELS
from intel.render.palettes import LINK_ALPHA, LINK_COLOUR


def links_layer(edges: pd.DataFrame, layer_id: str = "seizure-links") -> pdk.Layer:
    """pydeck ``LineLayer`` of links between seizures (purple), with ``label``/``detail`` tooltips.

    Parameters
    ----------
    edges : pandas.DataFrame
        :data:`intel.links.EDGE_COLUMNS`, from :func:`intel.links.seizure_links`. Links without
        coordinates on both ends are left out.
    layer_id : str
    """
    e = edges.dropna(subset=["lat_a", "lon_a", "lat_b", "lon_b"]) if len(edges) else edges
    data = []
    for r in e.itertuples(index=False):
        data.append({
            "source": [float(r.lon_a), float(r.lat_a)], "target": [float(r.lon_b), float(r.lat_b)],
            "label": f"serial key {html.escape(str(r.serial_key))}",
            "detail": html.escape(f"{r.place_a or r.incident_a} ({r.date_a}) → {r.place_b or r.incident_b} ({r.date_b})")
                      + (f", {r.km:,.0f} km" if pd.notna(r.km) else ""),
        })
    return pdk.Layer("LineLayer", data=data, id=layer_id, get_source_position="source",
                     get_target_position="target", get_color=[*LINK_COLOUR, LINK_ALPHA], get_width=3,
                     width_units=PIXELS, pickable=True)


def links_legend() -> list[tuple[tuple[int, int, int], str]]:
    """Legend entry ``(rgb, text)`` of :func:`links_layer`."""
    return [(LINK_COLOUR, "same serial key")]
