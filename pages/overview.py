"""Overview: what the store holds, what changed against the previous period, and provenance."""
import streamlit as st

from intel.store import events_sql
from pages.common import PLAIN_GAP, provenance, query_df

LAST_12M = "e.event_date > hi - INTERVAL 12 MONTH"
PREV_12M = "e.event_date <= hi - INTERVAL 12 MONTH AND e.event_date > hi - INTERVAL 24 MONTH"

st.title("Firearms-trafficking route intelligence")
st.caption("Overview for managers: what changed, where, compared with the previous period.")
st.info(PLAIN_GAP)

tot = query_df(f"""SELECT source, kind, {events_sql()} AS events, coalesce(sum(firearms), 0) AS firearms,
                         coalesce(sum(ammunition), 0) AS ammunition, min(event_date) AS first, max(event_date) AS last
                  FROM events WHERE status IN ('accepted', 'unlocated') GROUP BY source, kind ORDER BY source""")
q = query_df("SELECT outcome, count(*) AS n FROM quarantine GROUP BY outcome")
c = st.columns(4)
c[0].metric("Events", f"{int(tot['events'].sum()):,}" if len(tot) else "0")
c[1].metric("Firearms seized", f"{int(tot['firearms'].sum()):,}" if len(tot) else "0")
c[2].metric("Quarantined rows", f"{int(q.loc[q.outcome == 'quarantined', 'n'].sum()):,}")
c[3].metric("Rejected rows", f"{int(q.loc[q.outcome == 'rejected', 'n'].sum()):,}")

st.subheader("By source")
st.dataframe(tot, hide_index=True, width="stretch")

st.subheader("Last 12 months of each source against the 12 months before")
chg = query_df(f"""
    WITH last AS (SELECT source, max(event_date) AS hi FROM events WHERE status IN ('accepted', 'unlocated') GROUP BY source)
    SELECT e.source,
           {events_sql("e.", LAST_12M)} AS last_12m,
           {events_sql("e.", PREV_12M)} AS previous_12m,
           any_value(hi) AS data_until
    FROM events e JOIN last USING (source) WHERE e.status IN ('accepted', 'unlocated') GROUP BY e.source ORDER BY e.source""")
if len(chg):
    chg["change_%"] = ((chg["last_12m"] - chg["previous_12m"]) / chg["previous_12m"].where(chg["previous_12m"] > 0) * 100).round(1)
    st.dataframe(chg, hide_index=True, width="stretch")

st.subheader("Where: places with the largest change (last 12 months against the 12 before)")
top = query_df(f"""
    WITH last AS (SELECT source, max(event_date) AS hi FROM events WHERE status IN ('accepted', 'unlocated') GROUP BY source),
    per AS (
        SELECT e.source, coalesce(e.location_name, e.unit, e.country_iso3) AS place,
               {events_sql("e.", LAST_12M)} AS last_12m,
               {events_sql("e.", PREV_12M)} AS previous_12m,
               coalesce(sum(firearms) FILTER (WHERE {LAST_12M}), 0) AS firearms_last_12m
        FROM events e JOIN last USING (source)
        WHERE e.status IN ('accepted', 'unlocated') AND e.event_date > hi - INTERVAL 24 MONTH
        GROUP BY 1, 2)
    SELECT *, last_12m - previous_12m AS change FROM per
    ORDER BY abs(last_12m - previous_12m) DESC, last_12m DESC LIMIT 20""")
st.dataframe(top, hide_index=True, width="stretch")
st.caption("Toronto places are neighbourhoods; CBP places are Areas of Responsibility (field offices and "
           "Border Patrol sectors). Each source is compared over its own latest 24 months.")
provenance()
