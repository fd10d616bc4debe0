"""Corridors: origin-destination flows, corridor cells on H3, and linked seizures.

A thin form over :mod:`intel.corridors` and :mod:`intel.links`: choose a period, a recovery
place and source places; the page draws the flows as arcs coloured from source (blue) to
recovery place (red) with chevrons pointing the way, the corridor cells they cross, and the
links between seizures of the same firearm; it lists sources, cells, pairs with their change
and linked groups, and exports GeoJSON lines and CSV.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from intel import corridors, periods, settings  # noqa: E402
from intel.safety import csv_bytes  # noqa: E402
from intel.render import corridors as flow_map  # noqa: E402
from intel.render.deck import offline_deck  # noqa: E402
from intel.render.links import links_layer, links_legend  # noqa: E402
from pages.common import (cached, db_stamp, export_button, get_con, keep, legend_html, provenance,  # noqa: E402
                          resolution_slider, show_deck, stop_with_provenance)



# Corridor cells are drawn on the map at this resolution at most (about 23 km edge): finer cells
# are a pixel or two wide at the initial zoom and vanish under the arcs. Tables and CSV keep the
# chosen resolution.
MAP_RES_MAX = 4
MAP_HEIGHT = 580

ALL = "All places"
TYPE_LABELS = {"source-recovery": "ATF source state to recovery state", "trace": "imported trace results",
               "od": "records with origin and destination", "re-seizure": "re-seizure links"}

st.title("Corridors")
st.caption("Which origin-destination flows and corridor cells carry the traffic; which seizures are linked.")


@cached(show_spinner=False, max_entries=8)
def all_flows(stamp: float) -> pd.DataFrame:
    return corridors.query_flows(get_con())


@cached(show_spinner=False, max_entries=32)
def density(stamp: float, key: tuple, res: int, through: bool, _flows: pd.DataFrame) -> pd.DataFrame:
    return corridors.corridor_density(_flows, res, include_ends=not through)


@cached(show_spinner=False, max_entries=8)
def links(stamp: float, date_from: str, date_to: str):
    from intel.links import link_groups, seizure_links

    e = seizure_links(get_con(), date_from, date_to)
    return e, link_groups(e)


@cached(show_spinner=False, max_entries=32)
def flows_marking(stamp: float, key: tuple, date_from: str, date_to: str, _flows: pd.DataFrame) -> str:
    return corridors.flows_marking(get_con(), _flows, date_from, date_to)


def _defaults(con):
    try:
        return int(settings.get("corridor_resolution", con)), float(settings.get("flow_min_weight", con))
    except Exception:  # noqa: BLE001
        return 5, 50.0


try:
    con = get_con()
    stamp = db_stamp()
    flows_all = all_flows(stamp)
    _, def_min = _defaults(con)
except Exception as e:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The flows could not be read from the store: {e}")
    stop_with_provenance()

if flows_all.empty:
    st.info("The store holds no flows: no ATF trace table, imported trace results, records with both an origin "
            "and a destination country, or re-seizure links. Run `intel build` to load the ATF source-to-recovery "
            "tables, or import trace results.")
    stop_with_provenance()

years_all = pd.to_datetime(flows_all["period_start"]).dt.year
y_lo, y_hi = int(years_all.min()), int(years_all.max())
dest_names = sorted(flows_all["destination_name"].dropna().astype(str).unique())
orig_names = sorted(flows_all["origin_name"].dropna().astype(str).unique())
types_present = [t for t in corridors.FLOW_TYPES if t in set(flows_all["flow_type"])]

keep("cor_years", "cor_dest", "cor_orig", "cor_types", "cor_inter", "cor_res", "cor_min", "cor_through")
sb = st.sidebar
sb.header("Corridors")
if y_lo < y_hi:
    years = sb.slider("Period (years, inclusive)", y_lo, y_hi, value=st.session_state.get("cor_years", (y_lo, y_hi)),
                      key="cor_years")
else:
    years = (y_lo, y_hi)
    sb.caption(f"Period: {y_lo}")
default_dest = "New York" if "New York" in dest_names else ALL
dest = sb.selectbox("Recovery place (destination)", [ALL, *dest_names],
                    index=([ALL, *dest_names].index(st.session_state.get("cor_dest", default_dest))
                           if st.session_state.get("cor_dest", default_dest) in [ALL, *dest_names] else 0),
                    key="cor_dest")
origs = sb.multiselect("Source places (origin)", orig_names, key="cor_orig")
types = sb.multiselect("Flow types", types_present, default=types_present, key="cor_types",
                       format_func=lambda t: TYPE_LABELS.get(t, t))
inter = sb.checkbox("Leave out flows within one place (e.g. Alabama to Alabama)", value=True, key="cor_inter")
res = resolution_slider(sb, "H3 resolution of corridor cells", "corridor", "cor_res", "corridor_resolution")
min_w = sb.number_input("Do not draw flows lighter than (firearms)", min_value=0.0, value=def_min, step=10.0,
                        key="cor_min")
through = sb.checkbox("Corridor cells: count only cells a flow passes through (not its two end cells)",
                      value=True, key="cor_through")

date_from, date_to = f"{years[0]:04d}-01-01", f"{years[1] + 1:04d}-01-01"
try:
    flows = corridors.filter_flows(flows_all, date_from, date_to, types or None, origs or None,
                                   None if dest == ALL else [dest], interstate_only=inter)
except Exception as e:  # noqa: BLE001
    st.error(f"The flows could not be filtered: {e}")
    stop_with_provenance()

if flows.empty:
    # advise only what the sidebar still allows
    ways = ((["widen the period"] if tuple(years) != (y_lo, y_hi) else [])
            + (["choose another recovery place"] if dest != ALL else [])
            + (["clear the source filter"] if origs else [])
            + (["add flow types"] if set(types) != set(types_present) else [])
            + (["include the flows within one place"] if inter else []))
    st.warning("No flow matches these filters. This is not evidence that no firearms moved"
               + (": " + ", ".join(ways[:-1]) + (" or " if len(ways) > 1 else "") + ways[-1] + "." if ways else "."))
    stop_with_provenance()

try:
    key = (date_from, date_to, tuple(types), tuple(origs), dest, inter)
    dens = density(stamp, key, int(res), bool(through), flows)
    arcs = flow_map.arc_records(flows, min_w)
    chev = flow_map.chevron_paths(arcs)
    edges, groups = links(stamp, date_from, date_to)
except Exception as e:  # noqa: BLE001
    st.error(f"The corridors could not be computed: {e}")
    stop_with_provenance()

pairs_all = corridors.aggregate_flows(flows)
hidden = int((pairs_all["weight"] < min_w).sum())
m1, m2, m3, m4 = st.columns(4)
m1.metric("Flows (rows)", f"{len(flows):,}")
m2.metric("Firearms in these flows", f"{flows['weight'].sum():,.0f}")
m3.metric("Origin-destination pairs drawn", f"{len(arcs):,} of {len(pairs_all):,}")
m4.metric(f"Corridor cells (res {res})", f"{len(dens):,}")
if hidden and len(arcs):   # with no arc drawn, the map itself says why
    st.caption(f"{hidden:,} pairs lighter than {min_w:,.0f} firearms are not drawn (they still count in the "
               "corridor cells and the tables).")
if "source-recovery" in set(flows["flow_type"]):
    st.caption("ATF trace data: firearms recovered in a state by the state of first retail sale. Traces are not a "
               "random sample of crime guns; a state is drawn at a representative point of its Natural Earth "
               "polygon, so flows start and end there, not at cities.")

map_res = min(int(res), MAP_RES_MAX)
try:
    dens_map = dens if map_res == int(res) else density(stamp, key, map_res, bool(through), flows)
except Exception as e:  # noqa: BLE001
    dens_map = dens
    map_res = int(res)
    st.caption(f"The corridor cells are drawn at resolution {res}: {e}")
# order = drawing order: corridor cells under the arcs, chevrons and links on top
layer_list = [flow_map.corridor_layer(dens_map, top=4000), flow_map.arc_layer(arcs), flow_map.chevron_layer(chev)]
if len(edges):
    layer_list.append(links_layer(edges))
try:
    view = flow_map.flow_view(arcs, frame=dest != ALL, height_px=MAP_HEIGHT)
    map_col, key_col = st.columns([4, 1])
    with map_col:
        if arcs.empty:   # why no arc is drawn, said right at the map
            st.info(f"No flow is drawn: all {len(pairs_all):,} origin-destination pairs are lighter than "
                    f"{min_w:,.0f} firearms; lower 'Do not draw flows lighter than' in the sidebar to draw them.")
        show_deck(offline_deck(layer_list, view, flow_map.TOOLTIP), key="corridors_deck", height=MAP_HEIGHT)
    with key_col:
        st.markdown(legend_html(flow_map.flow_legend(), "Flows (width: square root of firearms)"), unsafe_allow_html=True)
        if len(dens_map):
            st.markdown(legend_html(flow_map.corridor_legend(dens_map, top=4000),
                                    f"Corridor cells, res {map_res} (firearms crossing)"), unsafe_allow_html=True)
        if len(edges):
            st.markdown(legend_html(links_legend(), "Linked seizures"),
                        unsafe_allow_html=True)
except Exception as e:  # noqa: BLE001
    st.error(f"The map could not be drawn: {e}")
st.caption("Arcs follow the great circle from the source place (blue) to the recovery place (red); chevrons point "
           "the direction of travel; width grows with the square root of the weight (1-10 px). Corridor cells "
           "(YlOrRd, quantile classes) carry the summed weight of the flows crossing them"
           + (f"; the map draws them at resolution {map_res}, the table and the CSV at resolution {res}."
              if map_res != int(res) else ".")
           + (" Purple lines join seizures of the same serial key." if len(edges) else ""))

tab_src, tab_cells, tab_pairs, tab_links = st.tabs(["Flows", "Corridor cells", "Pairs and change", "Linked seizures"])
with tab_src:
    title = f"Source places of firearms recovered in {dest}" if dest != ALL else "Heaviest origin-destination pairs"
    st.subheader(title)
    show = pairs_all[["origin", "origin_name", "destination", "destination_name", "weight", "periods"]]
    st.dataframe(show.head(200), hide_index=True, width="stretch")
with tab_cells:
    st.subheader("Corridor cells ranked by the weight of the flows crossing them")
    if dens.empty:
        st.info("No cell is crossed: every flow here starts and ends in the same cell at this resolution.")
    else:
        st.dataframe(dens[["rank", "h3", "weight", "flows", "share"]].head(200), hide_index=True, width="stretch")
with tab_pairs:
    if years[1] > years[0]:
        pa, pb, dropped = periods.equal_halves(years[0], years[1])
        a0, b0 = int(pa[0][:4]), int(pb[0][:4])
        st.subheader(f"Pairs ranked in {b0}-{years[1]}, with their change from {a0}-{b0 - 1}")
        if dropped is not None:
            st.caption(f"Both halves cover {b0 - a0} years; {dropped} is left out so the comparison is over equal lengths.")
        ranked = corridors.rank_pairs(flows, pa, pb)
        st.dataframe(ranked.head(200), hide_index=True, width="stretch")
    else:
        st.info("Choose a period of at least two years to compare its first and second halves.")
with tab_links:
    if edges.empty:
        st.info("No linked seizures in this period: no serial key appears in two different incidents "
                "(the bundled Toronto and CBP data carry no serial numbers).")
    else:
        st.subheader(f"{len(groups):,} connected groups of linked seizures ({len(edges):,} links)")
        st.dataframe(groups, hide_index=True, width="stretch")
        st.dataframe(edges, hide_index=True, width="stretch")

c1, c2, c3 = st.columns(3)
try:
    # the marking of the flows shown: their import batches' and the events of the period
    mark = flows_marking(stamp, key, date_from, date_to, flows)
    export_button(c1, "Flows as GeoJSON lines", corridors.to_geojson_text(corridors.flows_geojson(flows)),
                  file_name="flows.geojson", mime="application/geo+json", marking=mark, rows=len(flows))
    export_button(c2, "Flows as CSV", csv_bytes(corridors.flows_csv_frame(flows)),
                  file_name="flows.csv", mime="text/csv", marking=mark, rows=len(flows))
    export_button(c3, "Corridor cells as CSV", csv_bytes(corridors.density_csv_frame(dens)),
                  file_name=f"corridors_res{res}.csv", mime="text/csv", marking=mark, rows=len(dens))
except Exception as e:  # noqa: BLE001
    st.error(f"The exports could not be prepared: {e}")
provenance()
