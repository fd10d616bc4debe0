"""Hotspots: Getis-Ord Gi* hot and cold spots with FDR, and emerging hot spot categories.

Thin page: widgets -> :func:`intel.hotspots.hotspots_from_store` and
:func:`intel.emerging.emerging_from_store` -> pydeck maps, guardrails, table, downloads. The study
area is chosen in the sidebar (:func:`pages.common.sidebar_area`, the CLI's ``--area`` options).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from intel import emerging as em  # noqa: E402
from intel import hotspots as hs  # noqa: E402
from intel import settings, studyarea  # noqa: E402
from intel.render import hexagons  # noqa: E402
from pages.common import (cached, db_stamp, export_button, get_con, legend_html, provenance,  # noqa: E402
                          resolution_slider, setting, show_deck, sidebar_area, sidebar_filters, stop_with_provenance,
                          widget_default)




st.title("Hotspots")
st.caption("Which cells are statistically significant hot or cold spots (Getis-Ord Gi*), and which are new, "
           "intensifying or fading (emerging hot spot analysis).")

filters = sidebar_filters()
area_choice = sidebar_area("hs")

# first values from the named settings (intel.settings), as the CLI and the briefing use them; their
# ranges and choices bound the widgets (settings.get checks a value against them, so none is clamped here)
ALPHAS = list(settings.SETTINGS["significance"].choices)
STEPS = list(settings.SETTINGS["emerging_step"].choices)
METHODS = list(settings.SETTINGS["hotspot_method"].choices)
widget_default("hs_k", setting("hotspot_k", cast=int))
widget_default("hs_alpha", setting("significance", cast=float))
widget_default("hs_fdr", setting("fdr", cast=bool))
widget_default("hs_method", setting("hotspot_method", cast=str))
widget_default("hs_perms", setting("hotspot_permutations", cast=int))
widget_default("hs_step", setting("emerging_step", cast=str))

c1, c2, c3, c4 = st.columns(4)
res = resolution_slider(c1, "H3 resolution", "hotspot", "hs_res", "hotspot_resolution")
k = c2.slider("Neighbourhood k (rings)", *settings.bounds("hotspot_k"), key="hs_k",
              help="Gi* neighbourhood: the cell and every cell within k steps on the H3 grid.")
value = c3.radio("Count", ["events", "firearms"], horizontal=True, key="hs_value")
alpha = c4.select_slider("Significance (alpha)", options=ALPHAS, key="hs_alpha")
c5, c7 = st.columns([1, 2])
fdr = c5.toggle("FDR correction", key="hs_fdr",
                help="Benjamini-Hochberg false discovery rate over all cells tested.")
step = c7.selectbox("Emerging time step", STEPS, key="hs_step")
with st.expander("Inference (p-values)"):
    i1, i2 = st.columns(2)
    method = i1.radio("Gi* p-values", METHODS, horizontal=True, key="hs_method",
                      format_func={"permutation": "Conditional permutations", "normal": "Normal approximation"}.get,
                      help="Permutations hold on sparse counts; the normal approximation is optimistic there.")
    perms = i2.number_input("Permutations", *settings.bounds("hotspot_permutations"), step=1000, key="hs_perms",
                            help="The smallest p-value is 2/(permutations+1); FDR over many cells needs thousands.")
if area_choice is None:
    st.info("Complete the study area in the sidebar.")
    stop_with_provenance()


@cached(show_spinner="Computing Gi* ...", max_entries=32)
def _hot(stamp, res, k, value, fdr, alpha, filters, area, method, perms):
    return hs.hotspots_from_store(get_con(), res, k, value=value, fdr=fdr, alpha=alpha, method=method,
                                  permutations=perms, **studyarea.area_kwargs(area, filters))


@cached(show_spinner="Computing emerging hot spots ...", max_entries=16)
def _emerging(stamp, res, k, step, value, fdr, alpha, filters, area):
    return em.emerging_from_store(get_con(), res, step, k, 1, value=value, fdr=fdr, alpha=alpha,
                                  **studyarea.area_kwargs(area, filters))


try:
    hot, guard = _hot(db_stamp(), int(res), int(k), value, bool(fdr), float(alpha), filters, area_choice,
                      str(method), int(perms))
except hs.HotspotError as exc:
    st.error(str(exc))
    stop_with_provenance()
except Exception as exc:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The hot spot analysis could not be computed: {exc}")
    stop_with_provenance()

emg, eguard, emsg = None, None, None
try:
    emg, eguard = _emerging(db_stamp(), int(res), int(k), step, value, bool(fdr), float(alpha), filters, area_choice)
except hs.HotspotError as exc:
    emsg = str(exc)
except Exception as exc:  # noqa: BLE001
    emsg = f"The emerging hot spot analysis could not be computed: {exc}"

shared_view = hexagons.hotspot_view(hot, int(res))  # both layers of the map share one view
m1, m2, m3, m4 = st.columns(4)
m1.metric("Study-area cells", f"{guard.study_cells:,}", help=guard.area)
m2.metric(f"{value.capitalize()} analysed", f"{guard.events:,}")
m3.metric("Hot spot cells", f"{int((hot['bin'] > 0).sum()):,}")
m4.metric("Cold spot cells", f"{int((hot['bin'] < 0).sum()):,}")

st.subheader("Map")
LAYERS = ["Hot and cold spots (Gi*)", "Emerging hot spots"]
shown = st.radio("Layer", LAYERS, horizontal=True, key="hs_layer",
                 help="One map, one view: the Gi* result or the emerging hot spot categories of the same cells.")
# what makes the shown map empty or untrustworthy is said at the map, right above it; the other
# warnings and the method text follow beside it
at_map = {guard.empty_map} if shown == LAYERS[0] else ({eguard.empty_map} if eguard is not None else set())
map_col, side_col = st.columns([3, 1])
with map_col:
    # one deck (one WebGL context) whose layers follow the choice: without a GPU each map on a page
    # costs the browser its own shaders and frames
    if shown == LAYERS[0]:
        if guard.unreliable:
            st.error("The statistics cannot support this result: " + guard.messages[0])
        if guard.empty_map:
            st.info(guard.empty_map)
        show_deck(hexagons.hotspot_deck(hot, value, int(res), view=shared_view), key="hs_map", height=520)
        st.caption("Cells with no events and no significant result are not drawn; they are part of the study area. "
                   "A dot marks the centre of each hot or cold spot cell, so cells smaller than a pixel at this zoom "
                   "still show.")
    elif emsg:
        st.error(emsg)
    else:
        if eguard is not None and eguard.unreliable:
            st.error("The emerging hot spot statistics cannot support this result: " + eguard.messages[0])
        edeck = hexagons.emerging_deck(emg, value, int(res), view=shared_view) if emg is not None else None
        if edeck is None:
            st.info(eguard.empty_map if eguard is not None and eguard.empty_map else
                    "No cell shows an emerging hot or cold spot pattern for this selection.")
        else:
            show_deck(edeck, key="hs_map", height=520)
with side_col:
    if shown == LAYERS[0]:
        st.markdown(legend_html(hexagons.hotspot_legend(),
                                "Confidence" + (" (FDR-corrected)" if fdr else " (no FDR)")),
                    unsafe_allow_html=True)
    elif emg is not None:
        st.markdown(legend_html(hexagons.emerging_legend(em.category_counts(emg)),
                                f"Category ({emg.attrs.get('steps')} {step}s, "
                                f"{emg.attrs.get('first_period')} to {emg.attrs.get('last_period')})"),
                    unsafe_allow_html=True)
    if emsg and shown == LAYERS[0]:
        st.warning(emsg)   # the emerging layer's failure is said beside the Gi* layer too
    if guard.unreliable and shown != LAYERS[0]:
        st.error("The statistics cannot support this result: " + guard.messages[0])
    for m in guard.messages[1:] if guard.unreliable else guard.messages:
        if m not in at_map:
            st.warning(m)
    if eguard is not None:
        if eguard.unreliable and shown == LAYERS[0]:
            st.error("The emerging hot spot statistics cannot support this result: " + eguard.messages[0])
        for m in eguard.messages:
            if m not in guard.messages and m not in at_map and not (eguard.unreliable and m == eguard.messages[0]):
                st.warning(m)
    st.caption(guard.area)
    st.caption(guard.method_text)
    if eguard is not None:
        st.caption(eguard.method_text)

st.subheader("Cells")
table = hot[hs.HOTSPOT_COLUMNS].copy()
if emg is not None:
    table = table.merge(emg[["h3", "trend", "trend_p", "category"]], on="h3", how="left")
only_sig = st.checkbox("Only significant or non-empty cells", value=True, key="hs_only")
if only_sig:
    table = table[(table["value"] > 0) | (table["bin"] != 0)]
st.dataframe(table, hide_index=True, width="stretch", height=360)

d1, d2, d3, d5, d4 = st.columns(5)
try:
    export_button(d1, "Hot spots CSV", lambda: hs.export_cells(hot, "csv", columns=hs.HOTSPOT_COLUMNS),
                       file_name=f"hotspots_r{res}_k{k}.csv", mime="text/csv", key="dl_csv", filters=filters, rows=len(hot))
    export_button(d2, "Hot spots GeoJSON", lambda: hs.export_cells(hot, "geojson", columns=hs.HOTSPOT_COLUMNS),
                       file_name=f"hotspots_r{res}_k{k}.geojson", mime="application/geo+json", key="dl_geojson", filters=filters, rows=len(hot))
    export_button(d3, "Hot spots GeoParquet", lambda: hs.export_cells(hot, "parquet", columns=hs.HOTSPOT_COLUMNS),
                       file_name=f"hotspots_r{res}_k{k}.parquet", mime="application/octet-stream", key="dl_parquet", filters=filters, rows=len(hot))
    export_button(d5, "Hot spots GeoPackage", lambda: hs.export_cells(hot, "gpkg", columns=hs.HOTSPOT_COLUMNS),
                       file_name=f"hotspots_r{res}_k{k}.gpkg", mime="application/geopackage+sqlite3", key="dl_gpkg", filters=filters, rows=len(hot))
    if emg is not None:
        export_button(d4, "Emerging CSV", lambda: hs.export_cells(emg, "csv", columns=em.EMERGING_COLUMNS),
                           file_name=f"emerging_r{res}_{step}.csv", mime="text/csv", key="dl_emerging", filters=filters, rows=len(emg))
except Exception as exc:  # noqa: BLE001
    st.error(f"The export could not be prepared: {exc}")

st.caption("Gi*: Getis & Ord (1992), Ord & Getis (1995); permutation p-values: Anselin (1995); FDR: Benjamini & "
           "Hochberg (1995); emerging bins: exact Poisson tails; trend: Mann-Kendall; "
           "categories: ESRI 'How Emerging Hot Spot Analysis works'. Same figures: `intel hotspots` / `intel emerging`.")
provenance()
