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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pydeck as pdk  # noqa: E402
import streamlit as st  # noqa: E402

from intel import borders, settings  # noqa: E402

try:  # the app layer shared by the pages
    from pages.common import db_stamp, get_con, keep, provenance  # noqa: E402
except Exception:  # noqa: BLE001 - fallback local to this page only
    import os

    from intel import store

    def _db() -> str:
        return str(Path(os.environ.get("INTEL_DB", store.DEFAULT_DB)).resolve())

    def db_stamp() -> float:
        try:
            return os.path.getmtime(_db())
        except OSError:
            return 0.0

    @st.cache_resource(show_spinner=False)
    def _conn(path: str, stamp: float):
        return store.connect(path, read_only=True)

    def get_con():
        if not Path(_db()).exists():
            st.error(f"The store {_db()} does not exist yet. Run `intel build` first.")
            st.stop()
        return _conn(_db(), db_stamp()).cursor()

    def keep(*keys):
        for k in keys:
            if k in st.session_state:
                st.session_state[k] = st.session_state[k]

    def provenance():
        st.caption("Sources and licences: data/README.md.")

try:
    from intel import layers as _layers
except Exception:  # noqa: BLE001
    _layers = None

BAND_COLOURS = {"0-20 km": (189, 0, 38), "20-50 km": (253, 141, 60), "50-80 km": (254, 217, 118)}
LOAD_COLOURS = [(254, 217, 118), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
TOOLTIP = {"html": "{tip}", "style": {"fontSize": "12px"}}

st.title("Borders")
st.caption("Which stretches of which borders carry seizures; where seizures cluster away from the official "
           "crossings.")


# ---------------------------------------------------------------- cached calls (app layer only)
@st.cache_data(show_spinner=False, max_entries=16)
def ranking(stamp: float, zone: float, d_from: str, d_to: str, by: str, kinds: tuple) -> pd.DataFrame:
    return borders.border_ranking(get_con(), zone, d_from, d_to, by=by, kinds=kinds)


@st.cache_data(show_spinner=False, max_entries=16)
def load(stamp: float, zone: float, d_from: str, d_to: str, _rank: pd.DataFrame):
    return borders.segment_load(get_con(), zone, d_from, d_to, ranking=_rank)


@st.cache_data(show_spinner=False, max_entries=4)
def crossings(stamp: float, ports: bool) -> pd.DataFrame:
    return borders.official_crossings(get_con(), ports_as_crossings=ports)


@st.cache_data(show_spinner=False, max_entries=16)
def bypass(stamp: float, zone: float, min_km: float, d_from: str, d_to: str, ports: bool, kinds: tuple,
           _cx: pd.DataFrame) -> pd.DataFrame:
    return borders.bypass_candidates(get_con(), zone, min_km, 5, d_from, d_to, crossings=_cx, kinds=kinds)


@st.cache_data(show_spinner=False, max_entries=16)
def zone_events(stamp: float, d_from: str, d_to: str, kinds: tuple) -> pd.DataFrame:
    return borders.border_events(get_con(), 80.0, d_from, d_to, kinds=kinds)


@st.cache_data(show_spinner=False, max_entries=8)
def cbp(stamp: float, d_from: str, d_to: str) -> pd.DataFrame:
    return borders.cbp_split(get_con(), date_from=d_from, date_to=d_to)


@st.cache_data(show_spinner=False, max_entries=4)
def data_range(stamp: float):
    return get_con().execute("SELECT min(event_date), max(event_date) FROM events WHERE status = 'accepted'").fetchone()


def _defaults(con):
    try:
        return float(settings.get("border_zone_km", con)), float(settings.get("bypass_min_km", con))
    except Exception:  # noqa: BLE001
        return 50.0, 10.0


try:
    con = get_con()
    stamp = db_stamp()
    lo, hi = data_range(stamp)
    def_zone, def_min = _defaults(con)
except Exception as e:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The store could not be read: {e}")
    st.stop()

if lo is None:
    st.info("The store holds no dated, accepted records, so there is nothing to place near a border. "
            "Import seizures on the Import page or run `intel build`.")
    provenance()
    st.stop()

# ---------------------------------------------------------------- widgets
keep("bor_zone", "bor_min", "bor_period", "bor_ports", "bor_all", "bor_kinds")
lo, hi = pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
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
    st.stop()
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
    st.stop()

a = rank_seg.attrs
ev_zone = ev[ev["border_km"] <= float(zone)]
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Events within {zone} km of a border", f"{ev_zone['incident_key'].nunique():,}")
m2.metric("Firearms among them", f"{ev_zone['firearms'].sum():,.0f}")
m3.metric("Stretches with events", f"{int((segs['events'] > 0).sum()):,}")
m4.metric("Bypass candidates", f"{len(cand):,}")
st.caption(f"Period [{a['period'][0]}, {a['period'][1]}) compared with [{a['previous'][0]}, {a['previous'][1]}). "
           f"Distances are geodesic km (WGS84) to the nearest international land border of Natural Earth 1:10m; "
           f"stretches are about 50 km long. Natural Earth runs the boundary through shared lakes, so a lake "
           f"boundary (e.g. Lake Ontario) counts as a border.")
if a.get("left_out"):
    st.caption(f"{a['left_out']:,} records located only to an admin-1 area or a country were left out: their "
               f"position is too coarse for a {zone} km zone.")
if ev_zone.empty:
    st.info(f"No accepted event with coordinates lies within {zone} km of an international land border in this "
            "period. This is not evidence of no trafficking: the bundled data has no point-level records for West "
            "Africa or Latin America.")
if len(ev_zone) and (ev_zone["location_precision"] == "town").any():
    st.warning("Some border-zone records are town-level positions (the bundled CBP seizures sit at the "
               "headquarters town of their Area of Responsibility). Their distance to the border and the bypass "
               "candidates they form are indicative only.")


# ---------------------------------------------------------------- map
def _colour(v: float, breaks: list[float]) -> list[int]:
    if v <= 0:
        return [120, 120, 120, 110]
    k = int(np.searchsorted(breaks, v, side="left"))
    return [*LOAD_COLOURS[min(k, len(LOAD_COLOURS) - 1)], 230]


def _paths(g) -> pd.DataFrame:
    import shapely

    d = g if show_all else g[g["events"] > 0]
    vals = d["events"].to_numpy(dtype=float)
    pos = vals[vals > 0]
    breaks = list(np.unique(np.quantile(pos, [0.25, 0.5, 0.75]))) if len(pos) else []
    return pd.DataFrame({
        "path": [np.round(shapely.get_coordinates(x), 4).tolist() for x in d.geometry],
        "colour": [_colour(v, breaks) for v in vals],
        "width": np.where(vals > 0, 4, 1),
        "tip": [f"<b>{s}</b><br/>{pr}: {int(e)} events, {f:,.0f} firearms, change {int(c):+d}"
                for s, pr, e, f, c in zip(d["segment_id"], d["pair"], d["events"], d["firearms"], d["change"])],
    })


def _points(df: pd.DataFrame, colour, tip) -> pd.DataFrame:
    out = df[["latitude", "longitude"]].copy()
    out["colour"] = [list(colour(r)) for r in df.itertuples()] if len(df) else []
    out["tip"] = [tip(r) for r in df.itertuples()] if len(df) else []
    return out


try:
    path_df = _paths(segs)
    band_df = _points(ev.drop_duplicates(["latitude", "longitude", "band"]),
                      lambda r: (*BAND_COLOURS.get(r.band, (150, 150, 150)), 200),
                      lambda r: f"{r.location_name or 'event'}<br/>{r.border_km:.1f} km from {r.border_pair}")
    cx_df = _points(cx, lambda r: (230, 120, 0, 230) if r.far_from_border else (30, 90, 200, 230),
                    lambda r: (f"<b>{r.name}</b> ({r.source})<br/>{r.snap_km:.1f} km from its border"
                               + (" - flagged: far from any border, position kept as published" if r.far_from_border else "")))
    cand_df = _points(cand, lambda r: (200, 0, 120, 230),
                      lambda r: (f"<b>Candidate #{r.rank}</b><br/>{r.events} events, {r.firearms:,.0f} firearms, last "
                                 f"{r.last_date}<br/>{r.nearest_crossing_km:.1f} km from {r.nearest_crossing}"))
    if len(cand_df):
        cand_df["radius"] = 6 + 3 * np.sqrt(cand["events"].to_numpy(dtype=float))
    layer_list = [
        pdk.Layer("PathLayer", path_df, id="border-stretches", get_path="path", get_color="colour",
                  get_width="width", width_units="pixels", width_min_pixels=1, pickable=True),
        pdk.Layer("ScatterplotLayer", band_df, id="events-by-band", get_position=["longitude", "latitude"],
                  get_fill_color="colour", get_radius=1, radius_min_pixels=3, radius_max_pixels=6, pickable=True),
        pdk.Layer("ScatterplotLayer", cx_df, id="official-crossings", get_position=["longitude", "latitude"],
                  get_fill_color="colour", get_line_color=[255, 255, 255], stroked=True, get_radius=1,
                  radius_min_pixels=5, radius_max_pixels=8, line_width_min_pixels=1, pickable=True),
        pdk.Layer("ScatterplotLayer", cand_df, id="bypass-candidates", get_position=["longitude", "latitude"],
                  get_fill_color="colour", get_line_color=[0, 0, 0], stroked=True, filled=True,
                  get_radius="radius", radius_units="pixels", line_width_min_pixels=2, pickable=True),
    ]
    focus = ev_zone if len(ev_zone) else None
    if _layers is not None:
        view = (_layers.view_for(focus["latitude"].to_numpy(), focus["longitude"].to_numpy(), default=(35.0, -100.0, 3.0))
                if focus is not None else pdk.ViewState(latitude=35.0, longitude=-100.0, zoom=3.0))
        chart = _layers.deck(layer_list, view, TOOLTIP)
    else:
        view = pdk.ViewState(latitude=35.0, longitude=-100.0, zoom=3.0)
        chart = pdk.Deck(layers=layer_list, initial_view_state=view, map_provider=None,
                         tooltip=TOOLTIP)
    st.pydeck_chart(chart, height=560, key="borders_map")
    legend = (" ".join(f"<span style='color:rgb{c}'>&#9679;</span> {b}" for b, c in BAND_COLOURS.items())
              + " &nbsp; <span style='color:rgb(30,90,200)'>&#9679;</span> official crossing"
              + " <span style='color:rgb(230,120,0)'>&#9679;</span> crossing far from its border (flagged)"
              + " <span style='color:rgb(200,0,120)'>&#9679;</span> bypass candidate"
              + " &nbsp; stretches: grey none, yellow to dark red = more events")
    st.markdown(f"<div style='font-size:0.85em'>{legend}</div>", unsafe_allow_html=True)
except Exception as e:  # noqa: BLE001
    st.error(f"The map could not be drawn: {e}")

# ---------------------------------------------------------------- tables and exports
tab1, tab2, tab3, tab4, tab5 = st.tabs(["Stretches", "Country pairs", "Bypass candidates", "Official crossings",
                                        "CBP split"])
with tab1:
    if rank_seg.empty:
        st.info("No border stretch carries events in this period or the previous one.")
    else:
        st.dataframe(rank_seg, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.download_button("Stretches (CSV)", rank_seg.to_csv(index=False), "border_stretches.csv", "text/csv",
                       key="dl_seg_csv")
    loaded = segs[segs["events"] > 0] if not show_all else segs
    c2.download_button("Stretches with load (GeoJSON, lon-lat)", borders.to_geojson(loaded), "border_stretches.geojson",
                       "application/geo+json", key="dl_seg_geojson")
with tab2:
    if rank_pair.empty:
        st.info("No country pair carries events in this period or the previous one.")
    else:
        st.dataframe(rank_pair, hide_index=True, width="stretch")
    st.download_button("Country pairs (CSV)", rank_pair.to_csv(index=False), "border_pairs.csv", "text/csv",
                       key="dl_pair_csv")
with tab3:
    st.caption(cand.attrs.get("note", ""))
    if cand.attrs.get("crossings_unused"):
        st.caption(f"{cand.attrs['crossings_unused']} official crossings lie more than {zone} km from any border "
                   "(wrong published position or inland office) and were not used as crossings.")
    if len(cand):
        st.dataframe(cand, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    c1.download_button("Candidates (CSV)", cand.to_csv(index=False), "bypass_candidates.csv", "text/csv",
                       key="dl_cand_csv")
    c2.download_button("Candidates (GeoJSON, lon-lat)", borders.to_geojson(cand), "bypass_candidates.geojson",
                       "application/geo+json", key="dl_cand_geojson")
with tab4:
    if cx.empty:
        st.info("The store holds no official crossings. Run `intel build` (UN/LOCODE) or import a crossings file "
                "with `intel crossings FILE`.")
    else:
        flagged = int(cx["far_from_border"].sum())
        st.caption(f"{len(cx)} crossings; {flagged} lie more than {borders.FAR_KM:g} km from the nearest border of their "
                   "country and are flagged (positions kept as published; UN/LOCODE coordinates have degree-minute "
                   "precision and some are wrong).")
        show = cx[["crossing_id", "name", "country_iso3", "other_iso3", "crossing_type", "source", "latitude",
                   "longitude", "snap_km", "snap_segment", "far_from_border"]]
        st.dataframe(show, hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        c1.download_button("Crossings (CSV)", cx.to_csv(index=False), "crossings.csv", "text/csv", key="dl_cx_csv")
        c2.download_button("Crossings (GeoJSON, lon-lat)", borders.to_geojson(cx), "crossings.geojson",
                           "application/geo+json", key="dl_cx_geojson")
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
        st.download_button("CBP split (CSV)", split.to_csv(index=False), "cbp_split.csv", "text/csv", key="dl_cbp_csv")

provenance()
