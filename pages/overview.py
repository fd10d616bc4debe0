"""Overview: what the store holds, what changed against the previous period, and provenance.

Thin page: :func:`pages.common.overview_figures` (the cached :func:`intel.overview.overview`)
-> metrics and tables.
"""
import streamlit as st

from intel.overview import change_display, places_display, totals_display
from pages.common import PLAIN_GAP, as_days, overview_figures, provenance, stop_with_provenance

CHANGE_NAMES = {"last_12m": "last 12 months", "previous_12m": "12 months before", "data_from": "data from",
                "data_until": "data until", "change_%": "change %", "firearms_last_12m": "firearms, last 12 months",
                "change": "change (events)"}

st.title("Firearms-trafficking route intelligence")
st.caption("Overview for managers: what changed, where, compared with the previous period.")
st.info(PLAIN_GAP)

try:
    ov = overview_figures(20)
except Exception as e:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The store could not be read: {e}")
    stop_with_provenance()

c = st.columns(4)
c[0].metric("Events", f"{ov.events:,}")
c[1].metric("Firearms seized", f"{ov.firearms:,}")
# the same two figures, under the same names, as the Data quality page: every row the quarantine holds,
# and of them those rejected on import
c[2].metric("Rows in quarantine", f"{ov.quarantined + ov.rejected:,}",
            help="Rows held back at import for review, including those rejected; decided on the Data quality page.")
c[3].metric("Rejected on import", f"{ov.rejected:,}")

st.subheader("By source")
# a count the source does not record (Toronto's incidents: firearms; most sources: rounds) reads "not recorded", not 0
st.dataframe(as_days(totals_display(ov.totals)), hide_index=True, width="stretch")

st.subheader("Last 12 months of each source against the 12 months before")
if len(ov.by_source):
    # a source whose data do not cover its previous 12 months has no comparison of equal lengths: said, not 0
    st.dataframe(as_days(change_display(ov.by_source)).rename(columns=CHANGE_NAMES), hide_index=True,
                 width="stretch")
    short = ov.by_source[ov.by_source["previous_12m"].isna()]
    if len(short):
        st.caption("No figure for the 12 months before: the data of " + ", ".join(
            f"{r.source} (from {r.data_from:%Y-%m-%d})" for r in short.itertuples())
            + " do not cover them, so the two periods would not be of equal length.")

st.subheader("Where: places with the largest change (last 12 months against the 12 before)")
st.dataframe(as_days(places_display(ov.by_place)).rename(columns=CHANGE_NAMES), hide_index=True, width="stretch")
st.caption("Toronto places are neighbourhoods; CBP places are Areas of Responsibility (field offices and "
           "Border Patrol sectors). Each source is compared over its own latest 24 months.")
provenance()
