"""Explore map: H3 hexagons of event and firearm counts over the offline Natural Earth basemap."""
import pandas as pd
import streamlit as st

from intel import h3cells, hexbin
from intel.render import counts
from intel.render.deck import cells_fit_view, offline_deck, view_for
from intel.render.palettes import COARSE_FILL_COLOUR
from intel.safety import csv_bytes
from intel.config import RESOLUTIONS
from pages.common import (as_days, cached, db_stamp, export_button, filters_narrowed, get_con, keep, legend_html, provenance,
                          resolution_slider, show_deck, sidebar_filters, widget_default)

st.title("Explore map")
st.caption("Where are the events, by kind, category, period, at which H3 resolution.")


@cached(show_spinner=False, max_entries=64)
def cells_for(db_key: float, res: int, f: hexbin.Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = get_con()
    return hexbin.aggregate(con, res, f), hexbin.left_out(con, res, f)


@st.fragment
def explore(filters: hexbin.Filters) -> None:
    """The map, its own widgets and tables: a change of resolution, colour or points reruns only
    this (the sidebar filters rerun the page)."""
    c1, c2, c3 = st.columns([2, 2, 2])
    res = resolution_slider(c1, "H3 resolution", "map", "map_res", "map_resolution",
                            help="Cells at coarser resolutions are the H3 parents of the stored resolution-9 cells.")
    value = c2.radio("Colour by", ["events", "firearms"], horizontal=True, key="map_value")
    show_points = c3.checkbox("Show too-coarse records as hollow points", key="map_points",
                              help="Records too coarse for this resolution: one hollow point per place; hover over it for its "
                              "name and counts.")

    try:
        cells, coarse = cells_for(db_stamp(), int(res), filters)
    except Exception as e:  # noqa: BLE001 - never a traceback in the UI
        st.error(f"The map could not be computed: {e}")
        st.stop()

    n_left = int(coarse["records"].sum()) if len(coarse) else 0
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Cells", f"{len(cells):,}")
    m2.metric("Events on the map", f"{int(cells['events'].sum()) if len(cells) else 0:,}")
    m3.metric("Firearms on the map", f"{int(cells['firearms'].sum()) if len(cells) else 0:,}")
    m4.metric("Records left out (too coarse)", f"{n_left:,}")
    if n_left:
        places = ", ".join(coarse["location_precision"].dropna().unique())
        st.info(f"{n_left:,} records located only to {places} precision are coarser than a resolution-{res} cell "
                f"(mean edge {h3cells.edge_km(res):.1f} km) and are not drawn as hexagons"
                + ("; they are shown as hollow points, one per place (hover over one for its name and counts)."
                   if show_points else "."))

    empty_map = None
    if len(cells) == 0 and not (show_points and len(coarse)):
        # advise only what the widgets still allow and would draw: no coarser resolution at the coarsest
        # one, nor when even the coarsest leaves every place out (province-level records)
        coarsest = RESOLUTIONS["map"][0]
        ways = (["widen the filters"] if filters_narrowed(filters) else []) + \
            (["choose a coarser resolution"] if int(res) > coarsest and hexbin.binned_at(coarse, coarsest) else []) + \
            (["tick 'Show too-coarse records as hollow points'"] if len(coarse) else [])
        empty_map = ("No record with a location fine enough for this resolution matches the filters: "
                     "this is not evidence of absence.")
        if ways:
            advice = ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1]
            empty_map += f" {advice[0].upper()}{advice[1:]}."

    layer_list = []
    legend = []
    if len(cells):
        hex_layer, legend = counts.hexagon_layer(cells, value)
        layer_list.append(hex_layer)
    if show_points and len(coarse):
        pts = coarse.assign(h3=coarse["location_name"] + " (" + coarse["location_precision"] + " precision)",
                            top_categories="not binned at this resolution")
        layer_list.append(counts.points_layer(pts))

    # reframe when the data change (resolution or filters): at resolution 5 the old view could leave
    # the records off screen; the view is kept across reruns that change neither
    frame_key = repr((int(res), filters))
    if st.session_state.get("map_view_key") != frame_key:
        st.session_state.pop("map_view", None)
        st.session_state["map_view_key"] = frame_key
    if "map_view" not in st.session_state:
        if len(cells):
            st.session_state["map_view"] = cells_fit_view(cells["h3"])
        elif len(coarse):
            st.session_state["map_view"] = view_for(coarse["latitude"], coarse["longitude"])
        else:
            st.session_state["map_view"] = view_for([], [])
    if st.button("Frame the data"):
        st.session_state.pop("map_view", None)
        st.rerun(scope="fragment")

    tooltip = {"html": "<b>{h3}</b><br/>events: {events}<br/>firearms: {firearms}<br/>records: {records}<br/>{top_categories}",
               "style": {"fontSize": "12px"}}
    map_col, legend_col = st.columns([5, 1])
    with map_col:
        if empty_map:   # why the map is empty, said right at the map
            st.warning(empty_map)
        show_deck(offline_deck(layer_list, st.session_state["map_view"], tooltip), key="explore_deck")
    with legend_col:
        if legend:
            st.markdown(legend_html(legend, f"{value} per cell"), unsafe_allow_html=True)
        if show_points and len(coarse):
            st.markdown(legend_html([(COARSE_FILL_COLOUR, f"{len(coarse)} places, too coarse for res {res}")], "Points"),
                        unsafe_allow_html=True)

    if len(cells):
        st.subheader("Cells")
        st.dataframe(as_days(cells.drop(columns=["cell"]).head(500)), hide_index=True, width="stretch")
        export_button(st, "Cells as CSV", lambda: csv_bytes(cells.drop(columns=["cell"])),
                      file_name=f"cells_res{res}.csv", mime="text/csv", filters=filters, rows=len(cells))
    if len(coarse):
        with st.expander(f"Places too coarse for resolution {res} ({len(coarse)})"):
            st.dataframe(as_days(coarse), hide_index=True, width="stretch")


filters = sidebar_filters()
keep("map_res", "map_value", "map_points")
widget_default("map_points", True)
explore(filters)
provenance()
