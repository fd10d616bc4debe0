"""Trends and briefing (managers): series, period comparisons, where the change happened, UNODC
country context, a time playback of the map, and the one-click briefing PDF.

A thin form over :mod:`intel.trends` and :mod:`intel.briefing`; caching only here. Every chart
comes with its data as CSV and as a PNG made offline by vl-convert. Record text is shown as
escaped Markdown or in tables, never as HTML.
"""
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from intel import briefing, hexbin, settings, trends
from intel.auth import UNRESTRICTED_MARKING
from intel.render import hexagons
from intel.render.deck import cells_fit_view, offline_deck, view_for
from intel.render.palettes import (CHANGE_DOWN_COLOUR, CHANGE_UP_COLOUR, COUNTRY_CONTEXT_SCHEME, NOT_REPORTED_COLOUR,
                                   class_breaks)
from intel.safety import csv_bytes
from pages.common import (as_days, cached, db_stamp, export_button, get_con, keep, legend_html,
                          provenance, reporting_countries, resolution_slider, show_deck, sidebar_filters)

st.title("Trends and briefing")
st.caption("More or less than last year, and where; country context; the map through time; a PDF to take away.")

filters = sidebar_filters()
con = get_con()
MD_SPECIAL = "\\`*_{}[]<>()#+-.!|$~"


def md(text) -> str:
    """Record text escaped for Markdown (no formatting, no HTML, no math)."""
    return "".join("\\" + c if c in MD_SPECIAL else c for c in str(text))


@cached(show_spinner=False, max_entries=32)
def _kpis(stamp: float, f: hexbin.Filters) -> pd.DataFrame:
    return trends.kpis(get_con(), f)


@cached(show_spinner=False, max_entries=64)
def _series(stamp: float, grain: str, by, f: hexbin.Filters) -> pd.DataFrame:
    return trends.series(get_con(), grain, by, f)


@cached(show_spinner=False, max_entries=64)
def _breakdown(stamp: float, by: str, comparison: str, measure: str, f: hexbin.Filters, source: str) -> pd.DataFrame:
    return trends.kpi_breakdown(get_con(), by, comparison, measure, f, source=source)


@cached(show_spinner=False, max_entries=64)
def _png(spec: str) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, scale=2)


@cached(show_spinner=False, max_entries=16)
def _register_marking(stamp: float, codes: tuple) -> str:
    return trends.register_marking(get_con(), list(codes))


def downloads(chart: alt.Chart, data: pd.DataFrame, name: str, marking: str | None = None) -> None:
    """PNG (vl-convert, offline) and CSV downloads for one chart, marked with ``marking`` (the
    records behind it) or, without it, with the marking of the page's filtered events."""
    c1, c2 = st.columns(2)
    try:
        export_button(c1, "Chart as PNG", _png(chart.to_json()), file_name=f"{name}.png", mime="image/png",
                           key=f"png_{name}", filters=filters, marking=marking)
    except Exception as e:  # noqa: BLE001 - a missing PNG must not hide the chart
        c1.caption(f"PNG export unavailable: {e}")
    export_button(c2, "Data as CSV", csv_bytes(data), file_name=f"{name}.csv", mime="text/csv",
                       key=f"csv_{name}", filters=filters, marking=marking, rows=len(data))


tab_t, tab_c, tab_p, tab_b = st.tabs(["Trends", "Country context", "Time playback", "Briefing pack"])

# ------------------------------------------------------------------------------ trends
with tab_t:
    k = _kpis(db_stamp(), filters)
    if k.empty:
        st.warning("No dated, accepted record matches the filters: there is nothing to compare. Widen the filters.")
    else:
        st.subheader("More or less than last year?")
        for line in trends.headline(k, "year over year", "events") + [
                h for h in trends.headline(k, "year over year", "firearms") if "does not record" not in h]:
            st.info(md(line))
        st.caption("'As of' is the latest date in each source's filtered data, not today's date. Sources dated only "
                   "to the month are compared on whole months: a 28-day figure would be misleading for them.")
        for src, g in k.groupby("source", sort=False):
            r0 = g.iloc[0]
            asof = r0.as_of.strftime("%Y-%m") if r0.date_precision != "day" else r0.as_of.date().isoformat()
            st.markdown(f"**{md(src)}**, dates to the {md(r0.date_precision)}, as of {md(asof)}")
            recorded = [m for m in trends.MEASURES if g.loc[g["measure"] == m, "current"].notna().any()]
            comps = list(dict.fromkeys(g["comparison"]))
            for m in recorded:
                # one row of cards per measure, at most four cards a row: values such as 47,312
                # stay whole on a 1400 px screen (six cards a row truncated them to "47,...")
                cols = st.columns(max(min(len(comps), 4), 3))
                for i, c in enumerate(comps[:4]):
                    r = g[(g["measure"] == m) & (g["comparison"] == c)].iloc[0]
                    delta = None if pd.isna(r.change_pct) else f"{r.change_pct:+.1f} %"
                    cols[i].metric(f"{m}, {c}", f"{r.current:,.0f}", delta, delta_color="off",
                                   help=f"{r.note} Previous: {r.previous:,.0f} in [{r.previous_from.date()}, "
                                        f"{r.previous_to.date()}). Current: [{r.current_from.date()}, {r.current_to.date()}).")
            notes = g.loc[~g["covered"], "note"].unique()
            for n in notes:
                st.caption(md(n))

        st.subheader("Where did it change?")
        keep("tr_where_src", "tr_where_by", "tr_where_cmp", "tr_where_measure")
        w1, w2, w3, w4 = st.columns(4)
        srcs = list(dict.fromkeys(k["source"]))
        w_src = w1.selectbox("Source", srcs, key="tr_where_src")
        w_by = w2.selectbox("Split by", ["unit", "region", "category", "firearm type", "direction", "kind", "country"],
                            key="tr_where_by")
        cmp_opts = list(dict.fromkeys(k.loc[k["source"] == w_src, "comparison"]))
        if st.session_state.get("tr_where_cmp") not in cmp_opts:
            st.session_state["tr_where_cmp"] = cmp_opts[-1]
        w_cmp = w3.selectbox("Comparison", cmp_opts, key="tr_where_cmp")
        w_m = w4.selectbox("Measure", ["events", "firearms", "ammunition"], key="tr_where_measure")
        bd = _breakdown(db_stamp(), w_by, w_cmp, w_m, filters, w_src)
        if bd.empty or bd["current"].isna().all():
            st.info("No comparison for this choice.")
        elif not bd["covered"].all():
            # as in the briefing's "Where": a source whose data start after the previous period began has no change
            st.info(md(f"{w_src}, {w_cmp}: {trends.NO_EARLIER_DATA} to compare. Its data start after the previous "
                       "period began, so each group's 'change' would only be its start."))
        else:
            top = bd.head(15)
            chart = alt.Chart(top).mark_bar().encode(
                x=alt.X("change:Q", title=f"change in {w_m} (current minus previous)"),
                y=alt.Y("group:N", sort=None, title=w_by),
                color=alt.condition(alt.datum.change > 0, alt.value(CHANGE_UP_COLOUR), alt.value(CHANGE_DOWN_COLOUR)),
                tooltip=["group", "current", "previous", "change", alt.Tooltip("change_pct:Q", format=".1f")],
            ).properties(height=max(120, 22 * len(top)), title=f"{w_src}: {w_cmp}, red = more")
            st.altair_chart(chart, width="stretch")
            downloads(chart, bd, f"where_{w_by}_{w_m}")
            st.dataframe(as_days(bd), hide_index=True, width="stretch")

        st.subheader("Series")
        keep("tr_grain", "tr_measure", "tr_by")
        s1, s2, s3 = st.columns(3)
        grain = s1.selectbox("Period", ["month", "quarter", "year", "week"], key="tr_grain")
        measure = s2.selectbox("Measure", list(trends.MEASURES), key="tr_measure")
        by_label = s3.selectbox("Break down by", ["source", "kind", "category", "firearm type", "country", "region",
                                                  "direction", "unit", "(none)"], key="tr_by")
        by = None if by_label == "(none)" else by_label
        ser = _series(db_stamp(), grain, by, filters)
        if grain == "week" and (k["date_precision"] != "day").any():
            st.warning("Some records are dated only to the month: on a weekly series they all fall in the week "
                       "holding the 1st of the month. Use months or coarser for those sources.")
        if ser.empty or ser[measure].isna().all():
            st.info(f"No {measure} recorded for this selection.")
        else:
            data = ser.dropna(subset=[measure])
            line = alt.Chart(data).mark_line(point=grain in ("quarter", "year")).encode(
                x=alt.X("period:T", title=grain), y=alt.Y(f"{measure}:Q", title=measure),
                color=alt.Color("group:N", title=by_label), tooltip=["period:T", "group:N", f"{measure}:Q"],
            ).properties(height=320, title=f"{measure} per {grain}")
            st.altair_chart(line, width="stretch")
            downloads(line, ser, f"series_{measure}_{grain}_{by_label}")
            if by is not None:
                n_groups = data["group"].nunique()
                keep_groups = trends.top_groups(data, measure, 12)
                sm = data[data["group"].isin(keep_groups)]
                st.markdown(f"**Small multiples**: the {len(keep_groups)} largest of {n_groups} groups, "
                            "each on its own scale")
                facet = alt.Chart(sm).mark_area(line=True, opacity=0.3).encode(
                    x=alt.X("period:T", title=None), y=alt.Y(f"{measure}:Q", title=None),
                    tooltip=["period:T", "group:N", f"{measure}:Q"],
                ).properties(width=220, height=110).facet(
                    facet=alt.Facet("group:N", title=None, sort=keep_groups), columns=3,
                ).resolve_scale(y="independent")
                st.altair_chart(facet)
                downloads(facet, sm, f"small_multiples_{measure}_{grain}_{by_label}")

# ------------------------------------------------------------------------------ country context
# UNODC's questionnaire figures are public: their exports carry no event's marking
PUBLIC = UNRESTRICTED_MARKING
with tab_c:
    st.subheader("Country context: UNODC arms seized")
    st.caption(f"Source: {trends.UNODC_CITATION}. Years a country did not report are shown as gaps "
               "(grey, 'not reported'), never as zero and never interpolated.")
    all_iso = list(reporting_countries())
    keep("cc_group", "cc_trigger")
    group = st.radio("Countries", ["KAFO (BFA, CIV, MLI)", "Trigger", "both"], horizontal=True, key="cc_group")
    trig_opts = sorted(set(all_iso) | set(trends.TRIGGER_DEFAULT))
    if "cc_trigger" not in st.session_state:
        st.session_state["cc_trigger"] = list(trends.TRIGGER_DEFAULT)
    trigger = st.multiselect("Trigger countries (editable; default: the 15 Trigger IX 2023 countries around the "
                             "Foz do Iguacu tri-border hub)", trig_opts, key="cc_trigger")
    codes = (list(trends.KAFO) if group.startswith("KAFO") else list(trigger) if group == "Trigger"
             else list(trends.KAFO) + [t for t in trigger if t not in trends.KAFO])
    if not codes:
        st.info("Choose at least one country.")
    else:
        cov = trends.country_coverage(con, codes)
        missing = cov.loc[cov["years_reported"] == 0, "country"].tolist()
        if missing:
            st.warning("No data in this source for: " + md(", ".join(missing)) + ". This is a gap in reporting, "
                       "not evidence that nothing was seized.")
        ctxt = trends.country_context(con, codes)
        heat = ctxt[["iso3", "country", "year", "arms_seized", "reported"]].copy()
        heat["status"] = heat["arms_seized"].map(lambda v: "not reported" if pd.isna(v) else "reported")
        base = alt.Chart(heat).encode(x=alt.X("year:O", title="year"), y=alt.Y("iso3:N", title=None, sort=codes))
        chart = (base.mark_rect(stroke="white").encode(
            color=alt.condition("isValid(datum.arms_seized)",
                                alt.Color("arms_seized:Q", scale=alt.Scale(scheme=COUNTRY_CONTEXT_SCHEME, type="log"),
                                          title="arms seized"),
                                alt.value(NOT_REPORTED_COLOUR)),
            tooltip=["country:N", "year:O", "arms_seized:Q", "status:N"])
            + base.mark_text(fontSize=8).encode(text=alt.Text("arms_seized:Q", format=",.0f"))
        ).properties(title="Arms seized per country and year (grey = not reported)", height=max(80, 24 * len(codes)))
        st.altair_chart(chart, width="stretch")
        downloads(chart, heat, "unodc_arms_seized", PUBLIC)

        loc_cols = list(trends.LOCATION_CATEGORIES.values())
        long = ctxt.melt(id_vars=["iso3", "country", "year"], value_vars=loc_cols, var_name="location",
                         value_name="arms").dropna(subset=["arms"])
        if long.empty:
            st.info("None of these countries reports seizures by location (land border, airport, harbour, "
                    "national territory) in this source.")
        else:
            bars = alt.Chart(long).mark_bar().encode(
                x=alt.X("year:O"), y=alt.Y("sum(arms):Q", title="arms seized"),
                color=alt.Color("location:N", title="where seized"), column=alt.Column("iso3:N", title=None),
                tooltip=["country:N", "year:O", "location:N", "arms:Q"],
            ).properties(width=160, height=200, title="Arms seized by location (reported years only)")
            st.altair_chart(bars)
            downloads(bars, long, "unodc_by_location", PUBLIC)
        gt = trends.country_group_totals(con, {"KAFO": list(trends.KAFO), "Trigger": list(trigger)})
        if len(gt):
            gl = alt.Chart(gt.dropna(subset=["arms_seized"])).mark_line(point=True).encode(
                x=alt.X("year:O"), y=alt.Y("arms_seized:Q", title="arms seized (sum over reporting countries)"),
                color="group:N", tooltip=["group", "year", "arms_seized", "countries_reported", "countries"],
            ).properties(height=260, title="Group totals: read with the number of countries reporting")
            st.altair_chart(gl, width="stretch")
            downloads(gl, gt, "unodc_group_totals", PUBLIC)
        st.dataframe(as_days(cov), hide_index=True, width="stretch")
        st.dataframe(as_days(ctxt), hide_index=True, width="stretch")
        reg = trends.register_totals(con, codes)
        st.subheader("Seizure registers in the store, beside UNODC")
        if reg.empty:
            st.info("The store holds no seizure register of these countries: the UNODC figures above are all "
                    "there is. Import an agency export on the Import page to add one.")
        else:
            st.caption("Each register covers what its publisher covers (a city, a state, one quarter of a year: see "
                       "'months'), so its total is not a national total; compare it with UNODC's national figure "
                       "for scale, not for equality.")
            st.dataframe(reg, hide_index=True, width="stretch")
            export_button(st, "Registers as CSV", csv_bytes(reg), file_name="registers_beside_unodc.csv",
                          mime="text/csv", key="csv_registers", marking=_register_marking(db_stamp(), tuple(codes)),
                          rows=len(reg))

# ------------------------------------------------------------------------------ playback
with tab_p:
    st.subheader("Time playback")
    st.caption("The map steps through weeks or months; every sidebar filter stays in force.")
    lo, hi = trends.data_period(con, filters)
    if lo is None:
        st.warning("No dated record matches the filters, so there is nothing to play back.")
    else:
        keep("pb_step", "pb_res")
        p1, p2 = st.columns(2)
        step = p1.radio("Step", ["month", "week"], horizontal=True, key="pb_step")
        res = resolution_slider(p2, "H3 resolution", "backtest", "pb_res", "map_resolution")
        steps = trends.playback_steps(filters.date_from or lo, filters.date_to or hi, step)
        labels = steps["label"].tolist()
        skey = f"pb_at_{step}"
        if st.session_state.get(skey) not in labels:
            st.session_state[skey] = labels[-1]

        def _move(d: int) -> None:
            i = labels.index(st.session_state[skey])
            st.session_state[skey] = labels[max(0, min(len(labels) - 1, i + d))]

        b1, b2, b3 = st.columns([1, 6, 1])
        b1.button("Previous", on_click=_move, args=(-1,), key="pb_prev")
        b3.button("Next", on_click=_move, args=(1,), key="pb_next")
        at = b2.select_slider("Step shown", options=labels, key=skey)
        row = steps.iloc[labels.index(at)]
        fs = replace(filters, date_from=row["step_from"], date_to=row["step_to"])
        if step == "week":
            prec = trends.date_precision(con, filters)
            coarse_src = prec.loc[prec["date_precision"] != "day", "source"].tolist()
            if coarse_src:
                st.info(md(", ".join(coarse_src)) + " is dated only to the month: its records appear in the week "
                        "holding the 1st of each month. Step by month for those sources.")
        cells = hexbin.aggregate(con, int(res), fs)
        coarse = hexbin.left_out(con, int(res), fs)
        m1, m2, m3 = st.columns(3)
        m1.metric("Events in this step", f"{int(cells['events'].sum()) + int(coarse['events'].sum()) if len(coarse) else int(cells['events'].sum()) if len(cells) else 0:,}")
        m2.metric("Cells", f"{len(cells):,}")
        m3.metric("Places too coarse for cells", f"{len(coarse):,}")
        vkey = "pb_view"
        if vkey not in st.session_state:
            allc = hexbin.aggregate(con, int(res), filters)
            if len(allc):
                st.session_state[vkey] = cells_fit_view(allc["h3"])
            else:
                allp = hexbin.left_out(con, int(res), filters)
                st.session_state[vkey] = view_for(allp["latitude"] if len(allp) else [],
                                                  allp["longitude"] if len(allp) else [])
        lay, leg = [], []
        if len(cells):
            # one colour scale for the whole period, so steps are comparable
            allc_b = class_breaks(hexbin.aggregate(con, int(res), filters)["events"].to_numpy())
            hl, leg = hexagons.hexagon_layer(cells, "events", layer_id="pb_hex", breaks=allc_b)
            lay.append(hl)
        if len(coarse):
            pts = coarse.assign(h3=coarse["location_name"] + " (" + coarse["location_precision"] + " precision)",
                                top_categories="not binned at this resolution")
            lay.append(hexagons.points_layer(pts, layer_id="pb_points"))
        if not lay:
            st.info(f"No located record in [{row['step_from']}, {row['step_to']}) for these filters: "
                    "an empty step is not evidence of absence if the sources do not cover it.")
        tooltip = {"text": "{h3}\nevents: {events}\nfirearms: {firearms}"}
        mc, lc = st.columns([5, 1])
        with mc:
            show_deck(offline_deck(lay, st.session_state[vkey], tooltip), key="pb_deck", height=480)
        with lc:
            if leg:
                st.markdown(legend_html(leg, "events per cell (whole-period classes)"), unsafe_allow_html=True)
        st.caption(f"Step [{row['step_from']}, {row['step_to']}) (UTC days, end exclusive).")

# ------------------------------------------------------------------------------ briefing
with tab_b:
    st.subheader("Briefing pack")
    st.caption("One click renders a PDF on the server (offline): marking line on every page, map, KPI table, trend "
               "charts, top hot spots, country context, methods and provenance; plus a PNG of each figure. The "
               "period and filters are those of the sidebar. Command line: `intel briefing --db DB --period FROM:TO "
               "--out FILE.pdf`.")
    keep("br_marking", "br_hot")
    if "br_marking" not in st.session_state:
        st.session_state["br_marking"] = str(settings.get("marking", con))
    marking = st.text_input("Classification line (optional; printed before the releasability of the records shown, "
                            "after //, at the top and bottom of every page and in the file names)", key="br_marking")
    if "br_hot" not in st.session_state:
        st.session_state["br_hot"] = True
    with_hot = st.checkbox("Include hot spots (Gi*)", key="br_hot")
    if st.button("Make the briefing PDF", type="primary", key="br_make"):
        with st.spinner("Rendering the briefing..."):
            try:
                b = briefing.make_briefing(con, filters.date_from, filters.date_to, marking=marking, filters=filters,
                                           with_hotspots=with_hot, trigger=tuple(st.session_state.get(
                                               "cc_trigger", trends.TRIGGER_DEFAULT)))
                st.session_state["br_result"] = {"pdf": b.pdf, "zip": b.png_zip(), "notes": b.notes,
                                                 "pages": b.pages, "marking": b.marking}
            except Exception as e:  # noqa: BLE001 - a sentence, never a traceback
                st.session_state.pop("br_result", None)
                st.error(f"The briefing could not be made: {e}")
    res_b = st.session_state.get("br_result")
    if res_b:
        st.success(f"Briefing ready: {res_b['pages']} pages, marked '{md(res_b['marking'])}'.")
        d1, d2 = st.columns(2)
        # the file names start with the line every page prints (classification, if any, // releasability)
        export_button(d1, "Download the PDF", res_b["pdf"], file_name="briefing.pdf", mime="application/pdf",
                      key="br_dl_pdf", marking=res_b["marking"])
        export_button(d2, "Download the figures (PNG, zip)", res_b["zip"], file_name="briefing_figures.zip",
                      mime="application/zip", key="br_dl_zip", marking=res_b["marking"])
        for n in res_b["notes"]:
            st.caption(md(n))

provenance()
