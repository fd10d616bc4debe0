"""The floor of a map page: the least time any dashboard page with a map can take to draw here.

A Streamlit page with nothing but one deck.gl map (``map_provider=None``) of one land polygon, one
line and one text label, the layer kinds every page's basemap draws (polygons, LineLayer,
TextLayer), and no data, query or other widget. ``bench_browser.py`` serves it beside the
dashboard and times it the way it times the dashboard's pages: what it measures is Streamlit's
JavaScript, the deck.gl bundle and the first use of those layers' shaders in a new WebGL context,
which no change to the dashboard can remove. No record is read; nothing here is data.
"""
import pydeck as pdk
import streamlit as st

from intel.render.palettes import LAND_COLOUR

LAND = [{"polygon": [[-80.0, 43.0], [-79.0, 43.0], [-79.0, 44.0], [-80.0, 44.0]], "colour": list(LAND_COLOUR[:3])}]
MARK = [{"polygon": [[-79.6, 43.4], [-79.4, 43.4], [-79.4, 43.6], [-79.6, 43.6]], "colour": [200, 30, 30]}]
LINE = [{"s": [-80.0, 43.2], "t": [-79.0, 43.8]}]
TEXT = [{"position": [-79.5, 43.7], "text": "label"}]

layers = [
    pdk.Layer("SolidPolygonLayer", LAND + MARK, get_polygon="polygon", get_fill_color="colour"),
    pdk.Layer("LineLayer", LINE, get_source_position="s", get_target_position="t", get_color=[255, 255, 255], get_width=2),
    pdk.Layer("TextLayer", TEXT, get_position="position", get_text="text", get_size=14),
]
st.pydeck_chart(pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(latitude=43.5, longitude=-79.5, zoom=8),
                         map_provider=None), height=560)
