"""Import: bring a file in, map its columns, preview the outcomes, import, see the summary.

The page is a thin form over :mod:`intel.ingest` (the same ``import_file`` as ``intel import``).
Upload handling is :func:`check_upload_bytes` (type and size) and
:func:`intel.safety.private_upload`: the bytes are written to a file of a private 0700 folder only
while a reader or the import needs them, and deleted right after, whatever happens. The page takes
the uploaded file, or, in tests, ``st.session_state['_test_upload'] = (name, bytes)`` (AppTest
cannot drive ``st.file_uploader``). Record values are shown only in tables and plain
text, never as HTML.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from intel import import_result, ingest, jobs, readers, template
from intel.mapping import FIELDS, suggest_mapping
from intel.safety import csv_bytes, private_upload
from pages.common import current_user, export_button, get_con, get_write_con, provenance, user_name

# largest accepted upload, MB (Streamlit's own server.maxUploadSize defaults to 200 MB too); comments,
# not docstrings: Streamlit draws every bare string of a page script on the page
MAX_UPLOAD_MB = int(os.environ.get("INTEL_MAX_UPLOAD_MB", "200"))
# extensions the page accepts: those intel.readers.read_table reads (.txt is Excel's "Unicode text",
# UTF-16 and tab-separated)
UPLOAD_TYPES = ["csv", "txt", "tsv", "xlsx", "geojson", "json", "gpkg", "parquet"]
AUTO_SHEET = "(chosen automatically)"
PREVIEW_ROWS = 50
FULL_PREVIEW_MAX = 20000  # files up to this many rows are previewed with the exact import outcomes
SUGGESTED = "(suggested from the column names)"


def check_upload_bytes(name: str, data: bytes) -> str:
    """Check an upload's type and size before it is read; the SHA-256 of its bytes.

    Parameters
    ----------
    name : str
        Uploaded file name (its extension tells the type).
    data : bytes

    Returns
    -------
    str
        Hex SHA-256 of ``data`` (names the upload across reruns; the file itself lives only
        inside :func:`intel.safety.private_upload`).

    Raises
    ------
    ValueError
        Empty file, too large, or an extension the importer does not read (plain sentence).
    """
    ext = Path(name).suffix.lower()
    if ext.lstrip(".") not in UPLOAD_TYPES:
        raise ValueError(f"Files of type '{ext or '(none)'}' are not supported; use CSV (or tab-separated "
                         ".txt/.tsv), XLSX, GeoJSON, GeoPackage or Parquet.")
    if not data:
        raise ValueError(f"{name} is empty.")
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise ValueError(f"{name} is larger than {MAX_UPLOAD_MB} MB; import it with `intel import` instead.")
    return hashlib.sha256(data).hexdigest()


def _user() -> str:
    return user_name()


def _report_rows(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "reasons" in out:
        out["reasons"] = out["reasons"].map(lambda r: ", ".join(r) if isinstance(r, (list, tuple)) else (r or ""))
    return out


def _head(raw: readers.RawTable, n: int) -> readers.RawTable:
    from dataclasses import replace

    return replace(raw, frame=raw.frame.head(n).reset_index(drop=True), row_numbers=raw.row_numbers[:n])


def _submit_import(name: str, data: bytes, profile: dict, date_order, sheet) -> jobs.Job:
    """Queue the import of ``data`` on the process's import worker (:data:`intel.jobs.IMPORTS`).

    The job opens its own write cursor (checked against the user's role now), holds the bytes
    in a private file only while it runs, and imports in one transaction, audited, exactly as
    ``intel import`` does. Raises :class:`intel.jobs.QueueFull` when too many imports wait.
    """
    con = get_write_con("import")   # the role is checked here, in the user's session
    user, viewer = _user(), current_user()

    def run(progress):
        try:
            with private_upload(name, data) as path:
                return ingest.import_file(con, path, profile, date_order=date_order, progress=progress,
                                          original_name=name, user=user, sheet=sheet, viewer=viewer)
        finally:
            con.close()

    return jobs.IMPORTS.submit(run, label=f"import of {name}", owner=user)


def _wait_for(job: jobs.Job) -> None:
    """Show the job's place in the queue, then its progress, until it is over (the session may
    leave: the import carries on, and this page finds it again on the next visit)."""
    box = st.empty()
    bar = st.progress(0.0, text=f"{job.label} (waiting)")
    while not job.over:
        ahead = jobs.IMPORTS.ahead_of(job)
        if ahead:
            box.info(f"Another import is running: yours is queued ({ahead} ahead of it) and starts when "
                     f"{'it has' if ahead == 1 else 'they have'} finished. You may leave this page; "
                     "come back to see the result.")
        else:
            box.empty()
        bar.progress(job.fraction, text=f"{job.label} ({job.message})")
        job.wait(0.5)
    bar.empty()
    box.empty()
    if job.waited_s() >= 1.0:
        st.caption(f"Another import was running when you pressed Import: yours waited "
                   f"{job.waited_s():.0f} s in the queue, then ran.")


def _follow(job: jobs.Job) -> None:
    """Wait for this session's import job and show its outcome (it is then forgotten by the session)."""
    _wait_for(job)
    st.session_state.pop("imp_job", None)
    _show_outcome(job)


def _show_outcome(job: jobs.Job) -> None:
    """Turn a finished import job into the page's summary (``imp_result``) or a plain sentence."""
    e = job.error
    if isinstance(e, ingest.NeedsChoice):
        st.session_state.pop("imp_result", None)
        st.warning(f"{e} Choose it above, then import again.")
    elif isinstance(e, (readers.ReadError, ingest.ImportError_, ValueError, OSError)):
        st.error(f"The import failed and the store is unchanged: {e}")
    elif e is not None:
        st.error(f"The import failed and the store is unchanged ({type(e).__name__}): {e}")
    else:
        res = job.result
        st.cache_data.clear()
        st.session_state["imp_result"] = {
            "file": res.file_name, "sha256": res.sha256, "batch_id": res.batch_id,
            "already_imported": res.already_imported, "rows_read": res.rows_read, "accepted": res.accepted,
            "quarantined": res.quarantined, "rejected": res.rejected, "warnings": list(res.warnings),
            "new": res.new, "updated": res.updated, "unchanged": res.unchanged,
            "summary": res.summary(), "report": import_result.report_frame(res)}


st.title("Import")
st.caption("Bring an agency file in, confirm how its columns map onto the standard fields, preview the "
           "outcome of each row, then import. Rows that cannot be used go to the Data quality page with "
           "their raw values and reasons; nothing is lost. The same import runs from the command line: "
           "`intel import PATH --profile NAME --report OUT.json`.")

with st.expander("Standard recording template", expanded=False):
    st.write("Agencies that record in this template need no column mapping. The XLSX version has "
             "drop-down lists built from the nomenclature (calibres, firearm types, countries, ...).")
    t1, t2 = st.columns(2)
    try:
        t1.download_button("Template (CSV)", template.template_csv(), file_name="seizure_template.csv",
                           mime="text/csv", key="tpl_csv")
        t2.download_button("Template (XLSX, with drop-down lists)", template.template_xlsx(),
                           file_name="seizure_template.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="tpl_xlsx")
    except Exception as e:  # noqa: BLE001 - never a traceback in the UI
        st.error(f"The template could not be built: {e}")

try:
    con = get_write_con("import")
except PermissionError as e:
    st.info(str(e))
    provenance()
    st.stop()

with st.expander("Undo an import (delete a batch)", expanded=False):
    st.write("Deleting a batch removes its records and its quarantine rows in one transaction; the deletion is "
             "written to the audit log and the analyses no longer see those records.")
    try:
        batches = ingest.list_batches(get_con())   # only the batches this user may see
    except Exception as e:  # noqa: BLE001 - never a traceback in the UI
        batches = None
        st.error(f"The batches could not be listed: {e}")
    if batches is not None and len(batches):
        labels = {int(b.batch_id): f"batch {int(b.batch_id)}: {b.file_name} ({int(b.records):,} records, "
                                   f"imported {str(b.imported_at)[:16]} by {b.imported_by or '?'})"
                  for b in batches.itertuples()}
        del_id = st.selectbox("Batch", list(labels), format_func=lambda b: labels[b], key="imp_del_batch")
        sure = st.checkbox("Yes, delete this batch and its records", key="imp_del_confirm")
        if st.button("Delete batch", key="imp_del_go", disabled=not sure):
            try:
                out = ingest.delete_batch(con, int(del_id), user=_user())
            except Exception as e:  # noqa: BLE001 - never a traceback in the UI
                st.error(f"The batch could not be deleted and the store is unchanged: {e}")
            else:
                st.cache_data.clear()
                st.session_state.pop("imp_result", None)
                st.session_state["imp_deleted"] = (
                    f"Batch {out['batch_id']} ({out['file_name']}) deleted: {out['events']:,} records and "
                    f"{out['quarantine']:,} quarantine rows removed"
                    + (f"; {out['restored']} duplicate(s) of other batches count again" if out["restored"] else "")
                    + ".")
                st.rerun()
    elif batches is not None:
        st.caption("No import batch yet.")
    if st.session_state.get("imp_deleted"):
        st.success(st.session_state["imp_deleted"])

uploaded = st.file_uploader("File to import (CSV or tab-separated text, XLSX, GeoJSON, GeoPackage, Parquet)",
                            type=UPLOAD_TYPES,
                            key="imp_upload", help=f"Up to {MAX_UPLOAD_MB} MB.")
upload = None
if uploaded is not None:
    upload = (uploaded.name, uploaded.getvalue())
elif st.session_state.get("_test_upload"):
    upload = tuple(st.session_state["_test_upload"])

if upload is None:
    pending = jobs.IMPORTS.get(st.session_state.get("imp_job"))
    if pending is not None:   # an import this session started before leaving the page
        _follow(pending)
        if st.session_state.get("imp_result") and pending.error is None:
            (st.info if pending.result.already_imported else st.success)(st.session_state["imp_result"]["summary"])
    st.info("Choose a file to start. Its rows are not stored until you press Import.")
    st.stop()

name, data = upload
try:
    from intel.safety import check_upload

    name = check_upload(name, bytes(data))  # type, size and content checked; a safe file name
    sha = check_upload_bytes(name, bytes(data))
except ValueError as e:
    st.error(str(e))
    st.stop()
file_key = sha[:16]
suffix = Path(name).suffix.lower()

try:
    with private_upload(name, bytes(data)) as path:   # deleted when the block ends, whatever happens
        sheets = readers.list_sheets(path)
except OSError as e:
    st.error(f"The upload could not be held for reading: {e}")
    st.stop()
sheet = None
if len(sheets) > 1:
    kind = "layer" if suffix in (".gpkg", ".geojson", ".json") else "sheet"
    notes = dict(sheets)
    pick_sheet = st.selectbox(
        f"{kind.capitalize()} to import", [AUTO_SHEET] + [s for s, _ in sheets], key=f"imp_sheet_{file_key}",
        format_func=lambda s: s if s == AUTO_SHEET else f"{s} ({notes[s]})",
        help=f"The file has {len(sheets)} {kind}s. Automatically: the only visible sheet with a header of known "
             "columns, or the only layer of points.")
    sheet = None if pick_sheet == AUTO_SHEET else pick_sheet

try:
    with private_upload(name, bytes(data)) as path:
        raw = readers.read_table(path, sheet=sheet)
except readers.SheetChoiceNeeded as e:
    st.warning(f"{e}".replace("`intel import FILE --sheet NAME` (or its position, 1 = first), or the sheet "
                              "choice on the Import page", "the sheet choice above")
               .replace("`intel import FILE --layer NAME`, or the layer choice on the Import page",
                        "the layer choice above"))
    st.stop()
except readers.ReadError as e:
    st.error(f"The file could not be read: {e}")
    st.stop()
except Exception as e:  # noqa: BLE001
    st.error(f"The file could not be read ({type(e).__name__}): {e}")
    st.stop()

st.subheader("1. What was detected")
det = {"file": name, "format": raw.format, "rows": len(raw.frame), "columns": len(raw.frame.columns)}
if raw.format == "csv":
    det.update({"encoding": raw.encoding, "delimiter": {"\t": "TAB"}.get(raw.delimiter, raw.delimiter),
                "decimal mark": raw.decimal, "thousands separator": raw.thousands or "none"})
if raw.format == "xlsx":
    det.update({"sheet": raw.sheet, "date system": "1904" if raw.datemode else "1900"})
elif raw.sheet is not None:
    det.update({"layer": raw.sheet})
st.dataframe(pd.DataFrame([{k: str(v) for k, v in det.items()}]), hide_index=True, width="stretch")
for w in raw.warnings:
    st.warning(w)

st.subheader("2. Column mapping")
columns = [str(c) for c in raw.frame.columns if not str(c).startswith("__")]
profiles = [SUGGESTED] + ingest.list_profiles(con)
choice = st.selectbox("Import profile", profiles, key="imp_profile",
                      help="A saved profile maps a source's columns; otherwise a mapping is suggested from the "
                           "column names (several languages). Check it before importing.")
base_profile: dict
try:
    if choice == SUGGESTED:
        base_profile = {"name": None, "source": Path(name).stem, "kind": "seizure",
                        "columns": suggest_mapping(list(raw.frame.columns), raw.frame)}
    else:
        base_profile = ingest.load_profile(choice, con)
except ingest.ImportError_ as e:
    st.error(str(e))
    st.stop()

mapped = dict(base_profile.get("columns") or {})
fields = list(FIELDS) + [f for f in mapped if f not in FIELDS]
map_df = pd.DataFrame({"field": fields, "column": [mapped.get(f) if mapped.get(f) in columns else None for f in fields]})
edited = st.data_editor(
    map_df, hide_index=True, width="stretch", disabled=["field"], key=f"imp_map_{file_key}_{profiles.index(choice)}",
    column_config={"field": st.column_config.TextColumn("Standard field"),
                   "column": st.column_config.SelectboxColumn("Column of the file", options=columns)})
mapping = {str(r.field): str(r.column) for r in edited.itertuples() if isinstance(r.column, str) and r.column in columns}
profile = {**base_profile, "columns": mapping}
unmapped = [c for c in columns if c not in mapping.values()]
if unmapped:
    st.caption("Columns not mapped onto a standard field: " + ", ".join(unmapped))
if not ({"latitude", "longitude"} <= set(mapping) or "point" in mapping or raw.has_geometry or "place" in mapping):
    st.info("No location column is mapped: the records will be stored for non-spatial totals only, not on the map.")

with st.form("imp_save_profile"):
    pname = st.text_input("Save this mapping as a profile named", key="imp_profile_name",
                          help="Per-source profile, reused for the next file of the same source.")
    if st.form_submit_button("Save as profile"):
        if not pname.strip():
            st.error("Give the profile a name.")
        else:
            try:
                ingest.save_profile(con, {**profile, "name": pname.strip(),
                                          "source": profile.get("source") or pname.strip()}, user=_user())
                st.success(f"Profile {pname.strip()!r} saved.")
            except Exception as e:  # noqa: BLE001
                st.error(f"The profile could not be saved: {e}")

st.subheader("3. Preview")
date_order = st.session_state.get(f"imp_date_order_choice_{file_key}")
needs = None
prep = None
sample = raw if len(raw.frame) <= FULL_PREVIEW_MAX else _head(raw, PREVIEW_ROWS)
try:
    prep = ingest.prepare(sample, profile, date_order=date_order, file_name=name)
except ingest.NeedsChoice as e:
    needs = e
except (ingest.ImportError_, readers.ReadError, ValueError, KeyError) as e:
    st.error(f"The rows could not be prepared with this mapping: {e}")
except Exception as e:  # noqa: BLE001
    st.error(f"The rows could not be prepared with this mapping ({type(e).__name__}): {e}")

if needs is not None or date_order:
    opts = list(needs.options) if needs is not None else ["dayfirst", "monthfirst"]
    if needs is not None:
        st.warning(str(needs))
    labels = {"dayfirst": "day first (31/12/2024)", "monthfirst": "month first (12/31/2024)", "iso": "year first"}
    pick = st.radio("Date order of the whole file", opts, format_func=lambda o: labels.get(o, o),
                    index=opts.index(date_order) if date_order in opts else None, key=f"imp_date_order_{file_key}",
                    horizontal=True)
    if pick and pick != date_order:
        st.session_state[f"imp_date_order_choice_{file_key}"] = pick
        st.rerun()

if prep is not None:
    rep = prep.report
    counts = rep["outcome"].value_counts()
    scope = "all rows" if sample is raw else f"the first {PREVIEW_ROWS} rows"
    st.caption(f"Outcome of {scope} if imported now: {int(counts.get('accepted', 0))} accepted, "
               f"{int(counts.get('quarantined', 0))} quarantined, {int(counts.get('rejected', 0))} rejected.")
    for w in prep.warnings:
        if w not in raw.warnings:
            st.caption(f"Note: {w}")
    st.dataframe(_report_rows(rep.head(PREVIEW_ROWS)), hide_index=True, width="stretch")

st.subheader("4. Import")
rel_text = st.text_input("Releasability of this batch (e.g. REL TO BFA, CIV, MLI; REL TO FVEY; NOFORN; "
                         "empty = unrestricted)",
                         key="imp_rel", help="Every record takes the most restrictive of its own marking and this one. "
                                             "Users see only what is releasable to their country; NOFORN only you "
                                             "and administrators.")
try:
    from intel import auth

    marking = auth.canonical_marking(rel_text)
    if marking is not None:
        profile = {**profile, "constants": {**(profile.get("constants") or {}), "releasability": marking}}
except ValueError as e:
    st.error(f"The releasability is not readable: {e}")
    prep = None
job = jobs.IMPORTS.get(st.session_state.get("imp_job"))
if job is not None:   # an import this session started is queued or running: see it to its end first
    _follow(job)
if prep is not None:
    st.caption(f"Ready to import {name} ({len(raw.frame):,} rows).")
if st.button("Import", type="primary", key="imp_go", disabled=prep is None):
    try:
        job = _submit_import(name, bytes(data), profile, date_order, sheet)
    except jobs.QueueFull as e:
        st.warning(str(e))
    else:
        st.session_state["imp_job"] = job.id
        _follow(job)

r = st.session_state.get("imp_result")
if r and r.get("sha256") == sha:
    st.subheader("Summary")
    (st.info if r["already_imported"] else st.success)(r["summary"])
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Rows read", f"{r['rows_read']:,}")
    m2.metric("Accepted", f"{r['accepted']:,}")
    m3.metric("Quarantined", f"{r['quarantined']:,}")
    m4.metric("Rejected", f"{r['rejected']:,}")
    if r.get("updated") or r.get("unchanged"):   # records already stored under their source record id
        n1, n2, n3 = st.columns(3)
        n1.metric("New records", f"{r['new']:,}")
        n2.metric("Updated records", f"{r['updated']:,}")
        n3.metric("Unchanged records", f"{r['unchanged']:,}")
        st.caption("Records already stored under the same source record id (in batches you may see) were "
                   "updated with this file's values and marking, or left as they were when nothing changed; "
                   "they were not stored twice.")
    for w in r["warnings"]:
        st.caption(f"Warning: {w}")
    if r["quarantined"] or r["rejected"]:
        st.info("Quarantined and rejected rows are listed on the Data quality page, where they can be "
                "corrected, accepted or rejected.")
    rep = r["report"]
    if rep is not None and len(rep):
        st.dataframe(_report_rows(rep), hide_index=True, width="stretch")
        rows = json.loads(rep.to_json(orient="records", force_ascii=False))
        body = {k: v for k, v in r.items() if k not in ("report", "summary")} | {"rows": rows}
        d1, d2 = st.columns(2)
        stem = Path(r["file"]).stem
        export_button(d1, "Report (JSON)", json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"),
                           file_name=f"{stem}_import_report.json", mime="application/json", key="imp_rep_json")
        export_button(d2, "Report (CSV)", csv_bytes(_report_rows(rep)),
                           file_name=f"{stem}_import_report.csv", mime="text/csv", key="imp_rep_csv")
provenance()
