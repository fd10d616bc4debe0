"""Borders: which stretches of which borders carry seizures, and where seizures cluster away
from the official crossings.

A thin form over :mod:`intel.borders`: choose the border-zone width (20, 50 or 80 km), the
minimum distance from an official crossing for a bypass candidate, and the period; the page
draws the border stretches coloured by load, the official crossings (flagged when far from
their border) and the bypass candidates, and the events by distance band; it lists the
ranked stretches, country pairs and candidates, the CBP split, and exports CSV and GeoJSON
(lon-lat). The same figures come from ``intel borders`` and ``intel bypass``.
"""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from intel import borders, settings  # noqa: E402
from intel.hexbin import Filters  # noqa: E402
from intel.safety import csv_bytes  # noqa: E402
from intel.render import borders as border_map  # noqa: E402
from intel.render.deck import offline_deck  # noqa: E402
from pages.common import (cached, data_range, db_stamp, export_button, export_marking, get_con, keep,  # noqa: E402
                          legend_html, provenance, show_deck, stop_with_provenance)



MAP_HEIGHT = 560
MAP_WIDTH_GUESS = 720  # CSS px of the map column; only used to choose the initial zoom
CHANGE_COLUMNS = {"firearms": st.column_config.NumberColumn(format="%.0f"),
                  "change": st.column_config.NumberColumn(format="%+d"),
                  "change_pct": st.column_config.NumberColumn(format="%+.1f")}
CHANGE_FORMATS = {"events_prev": "{:.0f}", "firearms_prev": "{:.0f}", "change": "{:+.0f}", "change_pct": "{:+.1f}"}


def change_view(rank: pd.DataFrame) -> pd.DataFrame:
    """The ranking as drawn. Streamlit writes a missing number as "None", so a column of previous figures or
    changes with a missing value (a source not covering both periods) is drawn as text, blank where missing;
    complete columns stay numbers (they sort as numbers)."""
    out = rank.copy()
    for c, f in CHANGE_FORMATS.items():
        if c in out and out[c].isna().any():
            out[c] = [f.format(float(v)) if pd.notna(v) else "" for v in out[c]]
    return out


def show_ranking(rank: pd.DataFrame) -> None:
    """Draw a border ranking: :func:`change_view`, number formats on the columns that stay numbers."""
    view = change_view(rank)
    st.dataframe(view, hide_index=True, width="stretch",
                 column_config={c: v for c, v in CHANGE_COLUMNS.items()
                                if c in view and pd.api.types.is_numeric_dtype(view[c])})


st.title("Borders")
st.caption("Which stretches of which borders carry seizures; where seizures cluster away from the official "
           "crossings.")


# ---------------------------------------------------------------- cached calls (app layer only)
@cached(show_spinner=False, max_entries=16)
def ranking(stamp: float, zone: float, d_from: str, d_to: str, by: str, kinds: tuple) -> pd.DataFrame:
    return borders.border_ranking(get_con(), zone, d_from, d_to, by=by, kinds=kinds)


@cached(show_spinner=False, max_entries=16)
def load(stamp: float, zone: float, d_from: str, d_to: str, _rank: pd.DataFrame):
    return borders.segment_load(get_con(), zone, d_from, d_to, ranking=_rank)


@cached(show_spinner=False, max_entries=4)
def crossings(stamp: float, ports: bool) -> pd.DataFrame:
    return borders.official_crossings(get_con(), ports_as_crossings=ports)


@cached(show_spinner=False, max_entries=16)
def bypass(stamp: float, zone: float, min_km: float, d_from: str, d_to: str, ports: bool, kinds: tuple,
           _cx: pd.DataFrame) -> pd.DataFrame:
    return borders.bypass_candidates(get_con(), zone, min_km, date_from=d_from, date_to=d_to, crossings=_cx, kinds=kinds)


@cached(show_spinner=False, max_entries=16)
def zone_events(stamp: float, d_from: str, d_to: str, kinds: tuple) -> pd.DataFrame:
    return borders.border_events(get_con(), 80.0, d_from, d_to, kinds=kinds)


@cached(show_spinner=False, max_entries=8)
def cbp(stamp: float, d_from: str, d_to: str) -> pd.DataFrame:
    return borders.cbp_split(get_con(), date_from=d_from, date_to=d_to)


def _defaults(con):
    try:
        return float(settings.get("border_zone_km", con)), float(settings.get("bypass_min_km", con))
    except Exception:  # noqa: BLE001
        return 50.0, 10.0


try:
    con = get_con()
    stamp = db_stamp()
    span = data_range()
    lo, hi = span.lo, span.hi
    def_zone, def_min = _defaults(con)
except Exception as e:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The store could not be read: {e}")
    stop_with_provenance()

if lo is None:
    st.info("The store holds no dated, accepted records, so there is nothing to place near a border. "
            "Import seizures on the Import page or run `intel build`.")
    stop_with_provenance()

# ---------------------------------------------------------------- widgets
keep("bor_zone", "bor_min", "bor_period", "bor_ports", "bor_all", "bor_kinds", "bor_frame")
sb = st.sidebar
sb.header("Borders")
zones = list(borders.ZONE_CHOICES)
zone = sb.selectbox("Border zone (km from an international land border)", zones,
                    index=zones.index(int(def_zone)) if int(def_zone) in zones else 1, key="bor_zone")
min_km = sb.number_input("Bypass candidates: at least this far from an official crossing (km)",
                         min_value=0.0, max_value=float(zone), value=min(def_min, float(zone)), step=5.0, key="bor_min")
if "bor_period" not in st.session_state:
    st.session_state["bor_period"] = (max(lo, hi - timedelta(days=364)), hi)
period = sb.date_input("Period (from, to inclusive); compared with the previous period of equal length",
                       min_value=lo, max_value=hi, key="bor_period")
ports = sb.checkbox("Count places of type 'port of entry' (CBP field offices) as official crossings", value=True,
                    key="bor_ports")
all_kinds = sb.checkbox("Count every kind of event (not only seizures and recoveries; e.g. firearm discharges)",
                        value=False, key="bor_kinds")
kinds = () if all_kinds else tuple(borders.SEIZURE_KINDS)
show_all = sb.checkbox("Draw every border stretch (not only those with events)", value=True, key="bor_all")

p = period if isinstance(period, (tuple, list)) else (period,)
if len(p) < 2:
    st.info("Choose the end of the period in the sidebar.")
    stop_with_provenance()
d_from, d_to = p[0].isoformat(), (p[1] + timedelta(days=1)).isoformat()

try:
    rank_seg = ranking(stamp, float(zone), d_from, d_to, "segment", kinds)
    rank_pair = ranking(stamp, float(zone), d_from, d_to, "pair", kinds)
    segs = load(stamp, float(zone), d_from, d_to, rank_seg)
    cx = crossings(stamp, bool(ports))
    cand = bypass(stamp, float(zone), float(min_km), d_from, d_to, bool(ports), kinds, cx)
    ev = zone_events(stamp, d_from, d_to, kinds)
except Exception as e:  # noqa: BLE001
    st.error(f"The border analysis could not be computed: {e}")
    stop_with_provenance()

a = rank_seg.attrs
# the records behind every export of the page: the period and the previous one it is compared with
bor_filters = Filters(date_from=str(a["previous"][0]), date_to=str(a["period"][1]))
# the records the headline counts are the records the map draws: within the zone and precise enough for it
ev_zone, _ = borders.zone_records(ev, float(zone))
in_zone = borders.zone_totals(ev, float(zone))
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Events within {zone} km of a border", f"{in_zone.events:,}")
m2.metric("Firearms among them", f"{in_zone.firearms:,.0f}")
m3.metric("Stretches with events", f"{int((segs['events'] > 0).sum()):,}")
m4.metric("Bypass candidates", f"{len(cand):,}")
st.caption(f"Period [{a['period'][0]}, {a['period'][1]}) compared with [{a['previous'][0]}, {a['previous'][1]}). "
           f"Distances are geodesic km (WGS84) to the nearest international land border of Natural Earth 1:10m; "
           f"stretches are about 50 km long. Natural Earth runs the boundary through shared lakes, so a lake "
           f"boundary (e.g. Lake Ontario) counts as a border.")
if a.get("left_out") or in_zone.too_coarse:
    st.caption(f"{max(int(a.get('left_out') or 0), in_zone.too_coarse):,} records of the zone are left out of these "
               f"counts: their position is uncertain by {zone} km or more (e.g. CBP seizures placed at their "
               f"Area of Responsibility's headquarters town), too coarse to place on a stretch of a {zone} km zone.")
if ev_zone.empty:
    st.info(f"No accepted event with a position precise enough lies within {zone} km of an international land border "
            "in this period, so the map draws no event. This is not evidence of no trafficking: the bundled data hold "
            "no point-level records for West Africa or Latin America; the Latin American registers (Colombia, Ecuador) "
            "are at municipality or province level and cover only some periods.")
if len(ev_zone) and (ev_zone["location_precision"] == "town").any():
    st.warning("Some border-zone records are town-level positions (the bundled CBP seizures sit at the "
               "headquarters town of their Area of Responsibility). Their distance to the border and the bypass "
               "candidates they form are indicative only.")


# ---------------------------------------------------------------- map
def _rgb(c) -> str:
    return f"rgb({c[0]},{c[1]},{c[2]})"


try:
    stretches, load_legend = border_map.stretch_layer(segs, show_all)
    # drawing order: event dots under the stretches, crossings and candidate rings on top
    layer_list = [border_map.band_layer(ev_zone), stretches, border_map.crossing_layer(cx), *border_map.bypass_layers(cand)]
    # frame the initial view on the border-zone events of one country pair (the heaviest by default)
    pairs = [p for p in rank_pair.sort_values("rank")["pair"].astype(str) if (ev_zone["border_pair"] == p).any()] \
        if len(rank_pair) and len(ev_zone) else []
    ALL_PAIRS = "every border with events"
    frame = sb.selectbox("Map: frame the view on", [*pairs, ALL_PAIRS], key="bor_frame",
                         help="Country pairs ranked by events in the period; the map can be panned and zoomed.")
    focus = ev_zone if frame == ALL_PAIRS else ev_zone[ev_zone["border_pair"] == frame]
    view = border_map.focus_view(focus, segs, width_px=MAP_WIDTH_GUESS, height_px=MAP_HEIGHT, default=(35.0, -100.0, 3.0))
    map_col, key_col = st.columns([4, 1])
    with map_col:
        show_deck(offline_deck(layer_list, view, border_map.MAP_TOOLTIP), key="borders_map", height=MAP_HEIGHT)
    with key_col:
        st.markdown(legend_html(load_legend, "Border stretches (width and colour by events)"), unsafe_allow_html=True)
        st.markdown(legend_html(border_map.points_legend(float(zone)), "Points"), unsafe_allow_html=True)
        st.markdown(f"<div style='font-size:0.85em'><span style='display:inline-block;width:14px;height:14px;"
                    f"border-radius:50%;border:2px solid {_rgb(border_map.CANDIDATE_COLOUR)}'></span> bypass candidate "
                    f"(ring size by events, labelled with its rank)</div>", unsafe_allow_html=True)
except Exception as e:  # noqa: BLE001
    st.error(f"The map could not be drawn: {e}")

# ---------------------------------------------------------------- tables and exports
tab1, tab2, tab3, tab4, tab5 = st.tabs(["Stretches", "Country pairs", "Bypass candidates", "Official crossings",
                                        "CBP split"])
with tab1:
    if rank_seg.empty:
        st.info("No border stretch carries events in this period or the previous one.")
    else:
        # a change is missing (blank, not 0 or "None") where a source does not cover both periods: said why
        show_ranking(rank_seg)
        if borders.cover_note(rank_seg):
            st.caption(borders.cover_note(rank_seg))
    c1, c2 = st.columns(2)
    export_button(c1, "Stretches (CSV)", csv_bytes(rank_seg), "border_stretches.csv", "text/csv",
                       key="dl_seg_csv", filters=bor_filters)
    loaded = segs[segs["events"] > 0] if not show_all else segs
    export_button(c2, "Stretches with load (GeoJSON, lon-lat)", borders.to_geojson(loaded), "border_stretches.geojson",
                       "application/geo+json", key="dl_seg_geojson", filters=bor_filters)
with tab2:
    if rank_pair.empty:
        st.info("No country pair carries events in this period or the previous one.")
    else:
        show_ranking(rank_pair)
        if borders.cover_note(rank_pair):
            st.caption(borders.cover_note(rank_pair))
    export_button(st, "Country pairs (CSV)", csv_bytes(rank_pair), "border_pairs.csv", "text/csv",
                       key="dl_pair_csv", filters=bor_filters)
with tab3:
    st.caption(cand.attrs.get("note", ""))
    if cand.attrs.get("crossings_unused"):
        st.caption(f"{cand.attrs['crossings_unused']} official crossings lie more than {zone} km from any border "
                   "(wrong published position or inland office) and were not used as crossings.")
    if len(cand):
        st.dataframe(cand, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    # candidates are the zone's events measured against the crossings: both sets' markings
    cand_mark = export_marking(bor_filters, cx["batch_id"] if "batch_id" in cx else ())
    export_button(c1, "Candidates (CSV)", csv_bytes(cand), "bypass_candidates.csv", "text/csv",
                  key="dl_cand_csv", marking=cand_mark, rows=len(cand))
    export_button(c2, "Candidates (GeoJSON, lon-lat)", borders.to_geojson(cand), "bypass_candidates.geojson",
                  "application/geo+json", key="dl_cand_geojson", marking=cand_mark, rows=len(cand))
with tab4:
    if cx.empty:
        st.info("The store holds no official crossings. Run `intel build` (UN/LOCODE) or import a crossings file "
                "with `intel crossings FILE`.")
    else:
        flagged = int(cx["far_from_border"].sum())
        st.caption(f"{len(cx)} crossings; {flagged} lie more than {borders.FAR_KM:g} km from the nearest border of their "
                   "country and are flagged (positions kept as published; UN/LOCODE coordinates have degree-minute "
                   "precision and some are wrong).")
        pairs = sorted({p for p in ev_zone["border_pair"].dropna()}) if len(ev_zone) else []
        if pairs:
            codes = sorted({c for p in pairs for c in p.split("-")})
            audit = borders.crossing_audit(codes, cx)
            none = audit[audit["pair"].isin(pairs) & (audit["crossings"] == 0)]["pair"].tolist()
            if none:
                st.warning(f"No official crossing is known on {len(none)} of the {len(pairs)} borders with events in "
                           f"the zone ({', '.join(none)}): places there are told so, never a crossing on another "
                           "border. Import the posts you know with `intel crossings FILE`.")
        show = cx[["crossing_id", "name", "country_iso3", "other_iso3", "crossing_type", "source", "latitude",
                   "longitude", "snap_km", "snap_segment", "far_from_border"]]
        st.dataframe(show, hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        # crossings: their import batches' markings; ports of entry taken from events add the events'
        cx_mark = export_marking(None, cx["batch_id"], events=bool(ports))
        export_button(c1, "Crossings (CSV)", csv_bytes(cx), "crossings.csv", "text/csv", key="dl_cx_csv",
                      marking=cx_mark, rows=len(cx))
        export_button(c2, "Crossings (GeoJSON, lon-lat)", borders.to_geojson(cx), "crossings.geojson",
                      "application/geo+json", key="dl_cx_geojson", marking=cx_mark, rows=len(cx))
with tab5:
    try:
        split = cbp(stamp, d_from, d_to)
    except Exception as e:  # noqa: BLE001
        split = pd.DataFrame()
        st.error(f"The CBP split could not be computed: {e}")
    if split.empty:
        st.info("No CBP seizure records in this period.")
    else:
        st.caption("U.S. CBP weapons and ammunition seizures: field offices stand for the ports of entry, Border "
                   "Patrol sectors for the border between the ports. Events are distinct seizure events per group.")
        st.dataframe(borders.cbp_split_summary(split), hide_index=True, width="stretch")
        st.dataframe(split, hide_index=True, width="stretch")
        export_button(st, "CBP split (CSV)", csv_bytes(split), "cbp_split.csv", "text/csv", key="dl_cbp_csv", filters=bor_filters)

provenance()
