"""Planner: which N places to target in an area of operation, and why.

Thin page: preset / area / period / weights -> :func:`intel.risk.plan` -> map, explained target
table, downloads (:mod:`intel.target_package`); backtest -> :func:`intel.backtest.backtest`.
The same figures come from ``intel targets`` and ``intel backtest``.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from intel import backtest as bt
from intel import briefing, periods, risk, settings, target_package
from intel.hexbin import Filters
from intel.render import hexagons
from intel.safety import csv_bytes
from intel.studyarea import AREA_LABELS
from pages.common import (admin1_list, cached, country_list, data_range, db_stamp, export_button, export_marking,
                          get_con, legend_html,
                          options, provenance, resolution_slider, show_deck)

st.title("Operation planner")
st.caption("A ranked, spaced list of target cells for an area of operation, each with the evidence behind its score.")

PRESET_LABELS = {"custom": "Custom area", "KAFO": "KAFO (Burkina Faso, Cote d'Ivoire, Mali)",
                 "TRIGGER": "Trigger (Latin America, editable)", "US_SW": "U.S. Southwest border"}


def _fail(msg: str, kind: str = "error") -> None:
    getattr(st, kind)(msg)
    st.stop()


try:
    con = get_con()
    countries = country_list()
    span = data_range()
except Exception as exc:  # noqa: BLE001 - never a traceback in the UI
    _fail(f"The store could not be read: {exc}")

names = dict(zip(countries["iso3"], countries["name"]))
iso_options = sorted(set(countries["iso3"]) | set(risk.TRIGGER_DEFAULT) | {"BFA", "CIV", "MLI"})

# ---------------------------------------------------------------- area of operation (sidebar)
st.sidebar.header("Area of operation")
c1 = st.sidebar
c2 = st.sidebar.container()


@cached(show_spinner=False, max_entries=16)
def _suggested(stamp, area):
    return risk.suggested_resolution(get_con(), area)


def _area_changed() -> None:
    # a chosen area (preset, sources, countries, the data's own) starts at a resolution its records support
    # (the backtest's rule): Ecuador's province-level register at 3, not at 8 where none of its records can be used
    ss = st.session_state
    mode, key = ss.get("pl_mode", "data"), ss.get("pl_preset")
    if key in risk.PRESETS:
        chosen = risk.preset_area(key, ss.get("pl_trigger"))
    elif mode in ("data", "extent") or mode == "countries" and ss.get("pl_countries"):
        chosen = risk.area_countries(ss["pl_countries"]) if mode == "countries" else risk.Area(mode)
    else:
        return   # admin-1 units and boxes: the user's own choice of place; the page warns if too fine
    if ss.get("pl_sources"):
        chosen = replace(chosen, sources=tuple(ss["pl_sources"]))
    try:
        ss["pl_res"] = int(_default_resolution(db_stamp(), chosen)["resolution"])
    except Exception:  # noqa: BLE001 - the page below reports store and area errors
        pass
    # and over the span of its records, as a preset does (Colombia's register holds 2019-01..2019-03 only,
    # the page's default of the data's last three years none of it); the whole data: that default again
    try:
        if chosen.sources or chosen.kind == "countries" or key in risk.PRESETS:
            sug = _suggested(db_stamp(), chosen)
            if sug["first"] is not None:
                ss["pl_period"] = (sug["first"], sug["last"])
        else:
            whole = data_range()
            if whole.lo is not None:
                ss["pl_period"] = (_default_from(whole.lo, whole.hi), whole.hi)
    except Exception:  # noqa: BLE001 - the page below reports store and area errors
        return


def _default_from(lo, hi):
    """First day of the page's default period: the data's last three years, or all of it when shorter."""
    return max(lo, (pd.Timestamp(hi) - pd.DateOffset(years=3)).date())


@cached(show_spinner=False, max_entries=16)
def _default_resolution(stamp, area):
    # the backtest's rule (intel backtest without --res): the default 8, or coarser when the records need it
    return bt.default_resolution(get_con(), area)


preset = c1.selectbox("Preset", list(PRESET_LABELS), format_func=PRESET_LABELS.get, key="pl_preset",
                      on_change=_area_changed)
area = None
with c2:
    try:
        if preset == "KAFO":
            area = risk.preset_area("KAFO")
            st.caption(risk.PRESETS["KAFO"]["note"])
        elif preset == "TRIGGER":
            chosen = st.multiselect("Trigger countries (editable)", iso_options, default=list(risk.TRIGGER_DEFAULT),
                                    format_func=lambda c: f"{c} - {names.get(c, c)}", key="pl_trigger")
            st.caption(risk.PRESETS["TRIGGER"]["note"])
            if not chosen:
                _fail("Choose at least one Trigger country.", "warning")
            area = risk.preset_area("TRIGGER", chosen)
        elif preset == "US_SW":
            area = risk.preset_area("US_SW")
            st.caption(risk.PRESETS["US_SW"]["note"] + " The bundled CBP records stand for whole field-office "
                       "and sector areas of responsibility (radius about 200-470 km), too coarse for the planner; "
                       "the Borders page ranks border stretches from them.")
        else:
            mode = st.radio("Area of operation", ["data", "extent", "countries", "admin1", "bbox"],
                            format_func=AREA_LABELS.get, key="pl_mode", on_change=_area_changed,
                            help="By default the land of the places with records, per country and region cluster, "
                                 "never a hull across an ocean (the CLI's --area).")
            if mode in ("data", "extent"):
                area = risk.Area(mode)
            elif mode == "countries":
                chosen = st.multiselect("Countries", iso_options, format_func=lambda c: f"{c} - {names.get(c, c)}",
                                        key="pl_countries", on_change=_area_changed)
                area = risk.area_countries(chosen) if chosen else None
                if not chosen:
                    _fail("Choose at least one country.", "info")
            elif mode == "admin1":
                a1c = st.selectbox("Country of the admin-1 units", iso_options,
                                   format_func=lambda c: f"{c} - {names.get(c, c)}", key="pl_a1_country")
                units = admin1_list(str(a1c))
                unit_names = dict(zip(units["admin1_id"], units["name"]))
                chosen = st.multiselect("Admin-1 units", list(units["admin1_id"]),
                                        format_func=lambda c: unit_names.get(c, c), key="pl_admin1")
                if not chosen:
                    _fail("Choose at least one admin-1 unit.", "info")
                area = risk.area_admin1(chosen, ", ".join(unit_names.get(c, c) for c in chosen[:3])
                                        + (" ..." if len(chosen) > 3 else ""))
            elif mode == "bbox":
                text = st.text_input("Box W,S,E,N (degrees WGS84)", value="-79.65,43.58,-79.10,43.86", key="pl_bbox",
                                     help="West, south, east, north in decimal degrees; e.g. Toronto -79.65,43.58,-79.10,43.86.")
                area = risk.area_bbox(text)
        sources = st.multiselect("Sources (all when empty)", list(options()["sources"]), key="pl_sources",
                                 on_change=_area_changed,
                                 help="Only the records of these sources (the CLI's --source).")
        if sources and area is not None:
            area = replace(area, sources=tuple(sources))
    except ValueError as exc:
        _fail(str(exc), "warning")

# ---------------------------------------------------------------- parameters
lo, hi = span.lo, span.hi
if lo is None:
    _fail("The store holds no dated records, so there is nothing to rank.", "info")
p1, p2, p3, p4 = st.columns([2, 1, 1, 1])
default_from = _default_from(lo, hi)
if "pl_period" not in st.session_state:   # set here, not by value=: the area's callbacks set it too
    st.session_state["pl_period"] = (default_from, hi)
period = p1.date_input("Period (from, to inclusive)", min_value=lo, max_value=hi, key="pl_period")
res = resolution_slider(p2, "H3 resolution", "planner", "pl_res")
if preset in risk.PRESETS:
    try:
        st.caption(_suggested(db_stamp(), area)["sentence"])
    except Exception:  # noqa: BLE001 - the plan below reports store and area errors
        pass
n = p3.number_input("Targets", *settings.bounds("planner_targets"), value=int(settings.get("planner_targets", con)),
                    key="pl_n")
spacing = p4.number_input("Min. spacing (km)", *settings.bounds("planner_min_spacing_km"),
                          value=float(settings.get("planner_min_spacing_km", con)),
                          step=0.5, key="pl_spacing",
                          help="Raised to the width of a cell at the chosen resolution when smaller (said below the map).")
neighbours = st.checkbox("Also list cells without events (flagged 'neighbour of rank N')", value=False,
                         key="pl_neighbours",
                         help="By default only cells with at least one event in the period become targets.")
ranking = st.radio("Ranking", list(risk.RANKINGS), index=list(risk.RANKINGS).index(risk.DEFAULT_RANKING),
                   horizontal=True, key="pl_ranking",
                   format_func={"fitted": "fitted on the period (default)",
                                "risk score": "weighted risk score (weights below)"}.get,
                   help="The fitted ranking is chosen on the last year of the period from counts, decayed counts, "
                        "kernel density and the risk score; it beat both baselines in the backtests, the weighted "
                        "risk score did not. The risk score's parts stay beside each target either way.")
with st.expander("Score weights", expanded=False):
    wcols = st.columns(len(risk.COMPONENTS))
    weights = {c: wcols[i].slider(c, 0.0, 1.0, float(risk.DEFAULT_WEIGHTS[c]), 0.05, key=f"pl_w_{c}",
                                  help=risk.WEIGHT_HELP[c]) for i, c in enumerate(risk.COMPONENTS)}
    half_life = st.number_input("Half-life of recent intensity (days)", *settings.bounds("decay_half_life_days"),
                                float(settings.get("decay_half_life_days", con)), 30.0, key="pl_half_life")
if sum(weights.values()) <= 0:
    _fail("Give at least one score component a positive weight.", "warning")
p = period if isinstance(period, (tuple, list)) else (period,)
d_from = p[0].isoformat() if len(p) > 0 else None
d_to = (pd.Timestamp(p[1]) + pd.Timedelta(days=1)).date().isoformat() if len(p) > 1 else None


@cached(show_spinner="Scoring cells ...", max_entries=16)
def _plan(stamp, res, area, d_from, d_to, n, spacing, weights_items, half_life, neighbours=False, ranking="fitted"):
    return risk.plan(get_con(), res, area, (d_from, d_to), n, spacing, dict(weights_items), neighbours=neighbours,
                     half_life_days=half_life, ranking=ranking)


@cached(show_spinner="Running the backtest ...", max_entries=8)
def _backtest(stamp, res, area, train, test, weights_items, half_life):
    return bt.backtest(get_con(), res, train, test, area, dict(weights_items), half_life_days=half_life)


@cached(max_entries=16)
def _default_periods(stamp, res, area):
    """Training and test periods from the months the area's sources cover, as text, and why (empty when none)."""
    try:
        c = bt.period_choice(get_con(), res, area)
    except Exception:  # noqa: BLE001 - the page then asks for the periods
        return "", "", ""
    return c["train_text"], c["test_text"], c["sentence"]


args = (db_stamp(), int(res), area, d_from, d_to, int(n), float(spacing), tuple(sorted(weights.items())), float(half_life),
        bool(neighbours), str(ranking))


# ---------------------------------------------------------------- map and table
def _show_plan(plan) -> None:
    """Metrics, map, explained target table, downloads and method of a plan (nothing more when it has no target)."""
    a = plan.scores.attrs
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Targets", f"{len(plan.targets)}")
    m2.metric("Events scored", f"{a['used_events']:,}")
    m3.metric("Cells in the area", f"{a['study_cells']:,}")
    m4.metric("Records left out (too coarse)", f"{a['left_out_records']:,}")
    st.info(plan.notes[0])   # which ranking ranks the targets, and why
    for note in plan.notes[1:]:
        st.warning(note)
    if plan.targets.empty:
        st.info("No cell has a positive score in this area and period, so there is no target to propose.")
        return

    deck, score_key = hexagons.target_deck(plan.targets, plan.scores)
    map_col, side = st.columns([3, 1])
    with map_col:
        show_deck(deck, key="pl_map", height=520)
    with side:
        st.markdown(legend_html(score_key, "Target score"), unsafe_allow_html=True)
        st.caption(a["area"])
        st.caption(f"Period {a['date_from']} to {a['date_to']} (half-open); each target is a disc in its score colour, "
                   "its rank beside it; "
                   "grey cells are the other scored cells of the area (darker = higher score).")

    st.subheader("Targets and the evidence behind them")
    st.caption("The *_pts columns are the parts of the score and add up to it: counts, decayed counts and kernel "
               "density for the fitted ranking, and the seven risk-score components (weight x component / sum of weights, "
               "times the risk score's share in the ranking); risk_score is the weighted risk score itself. Distances are geodesic km from the cell centre. A crossing is named only "
               "on the cell's own border and within 250 km (or that border's length plus the cell's distance to it); "
               "otherwise crossing_note says that no official crossing is known there. In an area with no land border "
               "within reach (border part 0, e.g. Toronto) no crossing is named; the note says so and gives the nearest "
               "official crossing's distance.")
    st.dataframe(target_package.table(plan), hide_index=True, width="stretch")

    d1, d2, d3 = st.columns(3)
    stem = f"targets_r{int(res)}"
    plan_filters = Filters(date_from=d_from, date_to=d_to)   # the records the plan scored
    try:
        export_button(d1, "Target list CSV", lambda: target_package.to_csv(plan), file_name=f"{stem}.csv", mime="text/csv",
                           key="pl_dl_csv", filters=plan_filters, rows=len(plan.targets))
        export_button(d2, "Target cells GeoJSON", lambda: target_package.to_geojson(plan), file_name=f"{stem}.geojson",
                           mime="application/geo+json", key="pl_dl_geojson", filters=plan_filters, rows=len(plan.targets))
        # the files are written when asked for (the PDF draws maps: seconds), from what the page shows
        # the PDF's file name starts with the line its pages print: classification (if any) // releasability
        pdf_marks = (str(settings.get("marking", con)), export_marking(plan_filters))
        export_button(d3, "Target package PDF",
                      lambda: target_package.to_pdf(plan, pdf_marks[0], data_marking=pdf_marks[1]),
                      file_name=f"{stem}.pdf", mime="application/pdf", key="pl_dl_pdf",
                      marking=briefing.marking_line(*pdf_marks))
    except Exception as exc:  # noqa: BLE001
        st.error(f"The downloads could not be prepared: {exc}")

    with st.expander("Method", expanded=False):
        for line in risk.method_text(plan):
            st.markdown(f"- {line}")


try:
    plan = _plan(*args)
except risk.NoPointData as exc:
    st.warning(str(exc))
    if len(exc.available):
        st.dataframe(exc.available.rename(columns={"stat_rows": "statistics rows"}), hide_index=True)
    provenance()
    st.stop()
except risk.TooCoarse as exc:
    _fail(str(exc), "warning")
except risk.RiskError as exc:
    # e.g. no record of the area in the period: no targets, but the backtest below takes its periods
    # from the area's data, so it stays available
    st.warning(str(exc))
    plan = None
except Exception as exc:  # noqa: BLE001
    _fail(f"The target list could not be computed: {exc}")
if plan is not None:
    _show_plan(plan)

# ---------------------------------------------------------------- backtest
st.subheader("Backtest: would this ranking have found the next events?")
st.caption("Fit on one period, test on the next: hit rate (share of the test events in the top cells) and "
           "PAI (hit rate / share of the area; Chainey, Tompson & Uhlig 2008) at 1, 5 and 10 % of the area, "
           "for the risk score, the fitted ranking (chosen on the last training year, as the target list above when it "
           "is ranked 'fitted') and the two baselines, previous-period counts and kernel density. The study area and "
           "every method use training data only.")
if plan is not None:
    st.caption(f"The target list above is ranked by: {plan.scores.attrs.get('ranking_choice', 'risk score')} "
               f"({plan.scores.attrs.get('ranking', 'risk score')}).")
def_train, def_test, def_why = _default_periods(db_stamp(), int(res), area)
# a keyed field keeps its text across reruns (value= counts only on the first), so when the defaults change
# (another source, area or resolution) the fields are set to them before they are drawn: the caption's
# periods and the fields' never disagree; a user's own text stays until the defaults change again
if st.session_state.get("pl_bt_defaults") != (def_train, def_test):
    st.session_state["pl_bt_defaults"] = (def_train, def_test)
    st.session_state["pl_train"], st.session_state["pl_test"] = def_train, def_test
    st.session_state.pop("pl_bt_result", None)   # a result of other periods would be read as this area's
    st.session_state.pop("pl_bt_error", None)
b1, b2, b3 = st.columns([1, 1, 1])
train_txt = b1.text_input("Training period (e.g. 2015:2019 or 2023-01:2023-08)", key="pl_train",
                          help="Default: from the months the area's sources cover (whole years where they cover two "
                               "or more, else whole months). Leave both empty to use them. Years and months are "
                               "included whole; an ISO end day (2023-01-01:2023-09-01) is excluded.")
test_txt = b2.text_input("Test period (e.g. 2020:2023 or 2023-09:2023-11)", key="pl_test")
if def_why:
    st.caption(def_why)
run = b3.button("Run backtest", key="pl_bt_run")
if run:
    try:
        if not train_txt.strip() and not test_txt.strip():
            tr = te = None
        else:
            tr = periods.parse_period(train_txt, require_both=True)
            te = periods.parse_period(test_txt, require_both=True)
        st.session_state["pl_bt_result"] = _backtest(db_stamp(), int(res), area, tr, te,
                                                     tuple(sorted(weights.items())), float(half_life))
        st.session_state.pop("pl_bt_error", None)
    except (ValueError, risk.RiskError, bt.BacktestError) as exc:
        st.session_state["pl_bt_error"] = str(exc)
        st.session_state.pop("pl_bt_result", None)
    except Exception as exc:  # noqa: BLE001
        st.session_state["pl_bt_error"] = f"The backtest could not be computed: {exc}"
        st.session_state.pop("pl_bt_result", None)
if st.session_state.get("pl_bt_error"):
    st.warning(st.session_state["pl_bt_error"])
res_bt = st.session_state.get("pl_bt_result")
if res_bt is not None:
    st.info(bt.summary_sentence(res_bt))
    for warning in res_bt.attrs.get("warnings", []):
        st.warning(warning)
    st.success(bt.trust_sentence(res_bt))
    for note in res_bt.attrs.get("notes", []):
        st.caption(note)
    st.caption("hits = hits_above + tied_taken / tied_cells x tied_events: when the cut-off falls inside a group of "
               "equally ranked cells, the needed number of them is taken at random (expected value); tie_sd is the "
               "standard deviation of the hits over the orders of those tied cells.")
    st.dataframe(res_bt.round({"hit_rate": 3, "pai": 2, "hits": 1, "tied_events": 1, "tie_sd": 1}), hide_index=True,
                 width="stretch")
    fit_table = pd.DataFrame(res_bt.attrs.get("fit") or [])
    if len(fit_table):
        with st.expander(f"How the fitted ranking was chosen: {res_bt.attrs.get('fitted_method')}", expanded=False):
            st.caption("Validation on each of the last three training years, each fitted on the years before it "
                       "(training data only); gain over previous-period counts pooled over the years, its standard "
                       "error, and the worst year's gain. Counts win unless a candidate gains more than one standard "
                       "error and falls behind in no year; then the simplest within one standard error of the best.")
            st.dataframe(fit_table.round(4), hide_index=True, width="stretch")
    try:
        import altair as alt

        # horizontal bars: the methods' names ("fitted (previous-period counts)") read whole on the left,
        # once for the three panels, instead of being cut under narrow vertical bars
        chart = (alt.Chart(res_bt).mark_bar()
                 .encode(y=alt.Y("method:N", title=None, axis=alt.Axis(labelLimit=0)),
                         x=alt.X("pai:Q", title="PAI"),
                         color=alt.Color("method:N", legend=None),
                         column=alt.Column("area_pct:O", title="% of the area"),
                         tooltip=["method", "area_pct", "cells", "hit_rate", "pai"])
                 .properties(width=170, height=alt.Step(26)))
        st.altair_chart(chart)
    except Exception as exc:  # noqa: BLE001
        st.caption(f"(chart unavailable: {exc})")
    export_button(st, "Backtest CSV", csv_bytes(res_bt), file_name=f"backtest_r{int(res)}.csv",
                       mime="text/csv", key="pl_dl_bt")

st.caption(risk.GEONAMES_NOTE + " Same figures: `intel targets` / `intel backtest`.")
provenance()
