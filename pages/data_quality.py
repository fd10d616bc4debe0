"""Data quality: quarantined and rejected rows, and the analyst's decisions on them.

A thin form over :mod:`intel.quality`: filters -> ``list_quarantine`` -> table; one row ->
``decide`` (correct / accept / reject, with a note); one batch -> ``apply_swap_suggestions``;
the decisions log from the audit table. Record values are shown in tables and plain text only.
"""
from __future__ import annotations


import pandas as pd
import streamlit as st

from intel import quality
from intel.safety import csv_bytes
from pages.common import export_button, get_con, get_write_con, provenance, user_name

ANY = "(all)"


def _user() -> str:
    return user_name()


def _fmt_list(v) -> str:
    try:
        return ", ".join(str(x) for x in v)
    except TypeError:
        return ""


st.title("Data quality")
st.caption("Rows an import could not use as they were: their raw values, the reasons, and a suggested fix "
           "where one is known. Quarantined rows stay out of every map and spatial analysis until decided; "
           "each decision is recorded with who took it and why.")

try:
    wcon = get_write_con("decide")   # decisions only, after the role check
except PermissionError as e:
    st.info(str(e))
    provenance()
    st.stop()
con = get_con()   # every read: only the rows the user may see (their effective marking)
msg = st.session_state.pop("dq_message", None)
if msg:
    (st.success if msg[0] == "ok" else st.error)(msg[1])

try:
    b = quality.batches(con)
    everything = quality.list_quarantine(con)
except Exception as e:  # noqa: BLE001 - never a traceback in the UI
    st.error(f"The quarantine could not be read: {e}")
    st.stop()

if not len(everything):
    st.info("No row is quarantined or rejected: every imported row was accepted.")
    st.stop()

undecided_total = int(everything["decision"].isna().sum())
no_loc = int(everything["reasons"].map(lambda r: bool(set(r) & {"NULL_ISLAND", "MISSING_LOCATION"})).sum())
m1, m2, m3, m4 = st.columns(4)
m1.metric("Rows in quarantine", f"{len(everything):,}")
m2.metric("Undecided", f"{undecided_total:,}")
m3.metric("Rejected on import", f"{int((everything['outcome'] == 'rejected').sum()):,}")
m4.metric("Without a usable location", f"{no_loc:,}")

# ---- filters
batch_labels = {ANY: None} | {f"{int(r.batch_id)}: {r.file_name}": int(r.batch_id) for r in b.itertuples()}
all_reasons = sorted({c for r in everything["reasons"] for c in r})
f1, f2, f3, f4 = st.columns([3, 3, 2, 2])
batch_pick = f1.selectbox("Import (batch)", list(batch_labels), key="dq_batch")
reason_pick = f2.multiselect("Reason", all_reasons, key="dq_reasons")
outcome_pick = f3.selectbox("Outcome", [ANY, "quarantined", "rejected"], key="dq_outcome")
undecided = f4.checkbox("Undecided only", value=True, key="dq_undecided")
batch_id = batch_labels[batch_pick]

rows = quality.list_quarantine(con, batch_id=batch_id, reasons=reason_pick or None,
                               outcome=None if outcome_pick == ANY else outcome_pick, undecided_only=undecided)
st.caption(f"{len(rows):,} row(s) match.")
show = rows.assign(reasons=rows["reasons"].map(_fmt_list))[
    ["quarantine_id", "file_name", "row_number", "source_record_id", "outcome", "reasons", "detail", "raw",
     "suggested_latitude", "suggested_longitude", "country_iso3", "quantity", "decision", "decided_by",
     "decision_note"]]
st.dataframe(show, hide_index=True, width="stretch")
if len(rows):
    export_button(st, "These rows (CSV)", csv_bytes(show), file_name="quarantine.csv",
                  mime="text/csv", key="dq_csv", rows=len(show),
                  marking=quality.quarantine_marking(con, rows["quarantine_id"]))

# ---- one-click swap per batch
if batch_id is not None:
    n_swap = int(everything[(everything["batch_id"] == batch_id) & everything["decision"].isna()]["reasons"]
                 .map(lambda r: "LATLON_SWAP_SUSPECTED" in r).sum())
    if n_swap:
        st.subheader("Suggested swaps")
        st.write(f"{n_swap} undecided row(s) of this import look like latitude and longitude were swapped. "
                 "Applying the suggestion corrects each one (flag location_corrected = swap); the raw values are kept.")
        if st.button(f"Swap latitude and longitude of these {n_swap} row(s)", key="dq_swap_all"):
            try:
                st.session_state["dq_message"] = ("ok", quality.apply_swap_suggestions(wcon, batch_id, _user(), reader=con))
            except Exception as e:  # noqa: BLE001
                st.session_state["dq_message"] = ("err", f"The swaps could not be applied: {e}")
            st.cache_data.clear()
            st.rerun()

# ---- one decision
st.subheader("Decide one row")
pending = rows[rows["decision"].isna()]
if not len(pending):
    st.info("No undecided row matches the filters.")
else:
    labels = {int(r.quarantine_id): f"{int(r.quarantine_id)}: {r.source_record_id or ''} (row {r.row_number}) - "
              f"{_fmt_list(r.reasons)}" for r in pending.itertuples()}
    qid = st.selectbox("Row", list(labels), format_func=lambda k: labels[k], key="dq_row")
    row = pending[pending["quarantine_id"] == qid].iloc[0]
    st.text(f"Raw row as imported: {row['raw']}")
    st.text(f"Reasons: {row['detail'] or _fmt_list(row['reasons'])}")
    sug = (row["suggested_latitude"], row["suggested_longitude"])
    has_sug = all(pd.notna(v) for v in sug)
    if has_sug:
        st.text(f"Suggested location: {sug[0]:.6f}, {sug[1]:.6f} (latitude, longitude)")
    with st.form(f"dq_form_{qid}"):
        action = st.radio("Decision", ["correct", "accept", "reject"], horizontal=True, key=f"dq_action_{qid}",
                          format_func={"correct": "correct (give the right values)", "accept": "accept as given",
                                       "reject": "reject (keep out of every analysis)"}.get)
        c1, c2, c3, c4 = st.columns(4)
        lat = c1.text_input("Latitude (degrees)", value=f"{sug[0]:.6f}" if has_sug else "", key=f"dq_lat_{qid}")
        lon = c2.text_input("Longitude (degrees)", value=f"{sug[1]:.6f}" if has_sug else "", key=f"dq_lon_{qid}")
        dt = c3.text_input("Date (YYYY-MM-DD)", key=f"dq_date_{qid}")
        ctry = c4.text_input("Country (ISO code or name)", key=f"dq_country_{qid}")
        note = st.text_input("Note (why)", key=f"dq_note_{qid}")
        if st.form_submit_button("Record decision"):
            kw = {}
            if action == "correct":
                kw = {"latitude": lat.strip() or None, "longitude": lon.strip() or None, "date": dt.strip() or None,
                      "country_iso3": ctry.strip() or None}
            try:
                st.session_state["dq_message"] = ("ok", quality.decide(wcon, int(qid), action, _user(),
                                                                       note=note.strip() or None, reader=con,
                                                                       **kw))
            except quality.DecisionError as e:
                st.session_state["dq_message"] = ("err", str(e))
            except Exception as e:  # noqa: BLE001 - never a traceback in the UI
                st.session_state["dq_message"] = ("err", f"The decision could not be recorded: {e}")
            st.cache_data.clear()
            st.rerun()

# ---- decisions log
st.subheader("Decisions log")
log = quality.decisions_log(con)
if len(log):
    st.dataframe(log, hide_index=True, width="stretch")
else:
    st.caption("No decision recorded yet.")
provenance()
