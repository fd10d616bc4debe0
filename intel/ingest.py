"""The one road in: read -> map columns -> parse -> validate -> nomenclature -> locate -> bin -> store.

Every file, the bundled real sources included, enters the store through :func:`import_file`
(the ``intel import`` verb and the Import page call it; ``intel build`` calls it for the
bundled sources). A *profile* tells how a source's columns map onto the standard fields
(:data:`intel.mapping.FIELDS`); without one, :func:`intel.mapping.suggest_mapping` proposes a mapping from column names in
several languages, which the analyst confirms (and may save as a profile).

Outcomes
--------
Each input row ends in exactly one of:

``accepted``
    stored in ``events`` with ``status='accepted'``; binned and used by every analysis.
``quarantined``
    stored in ``events`` with ``status='quarantined'`` (coordinates cleared when the location is
    the problem, so nothing reaches a map) *and* listed in ``quarantine`` with its raw row and
    reasons, until an analyst decides.
``rejected``
    a value cannot be used at all (a latitude of -99, minutes of 61, a repeated header line):
    listed in ``quarantine`` with its raw row and reasons, not in ``events``.

Flags that do not block a record (``CALIBRE_ASSUMED``, ``DATE_SERIAL_AS_TEXT``, ...) stay on
the record in ``events.flags``. An import is one transaction and is idempotent: a file already
imported with the same profile and options (same SHA-256) changes nothing.

Re-import
---------
A record that carries a source record id is keyed on (source, source record id): when a later
file of the same source brings that id again and the stored record is one the importer may see,
the stored record is *updated* (its values and marking replaced, keeping its ``event_id``, moved
to the new batch, whose marking then applies; the replaced versions and their batches are in an
``import.update`` audit line) or found *unchanged* (same values and batch marking, or an
analyst's decision on it and the same input: the decision is kept) rather than stored again. The
import result counts ``new``, ``updated`` and ``unchanged`` records. A record of another batch
that the importer may not see is never matched: the row is stored as a new record. Rows without
a record id keep the file-level idempotency below and the deduplication of :mod:`intel.dedup`.
:func:`intel.batches.set_batch_marking` changes the marking of a batch in place (audited).

What an import compares with: re-import matching, deduplication (``PROBABLE_DUPLICATE`` and the
incident key it copies) and re-seizure leads (``RESEIZURE_LEAD``) look only at stored records
the importing account may see (:func:`intel.auth.visible_events_sql`; the CLI and ``intel build``
see everything), and a file already imported into a batch the importer may not see is reported
as "already imported" without naming that batch.

Atomicity under faults: everything an import writes (the batch row, its events, its quarantine rows
and its audit line) is written inside one transaction, so a process killed at any moment (even
``kill -9`` while DuckDB commits) leaves the store with either none of the file or all of it with
its batch row and audit line, and importing the file again lands it exactly once. The test
(``tests/test_import_kill.py``) kills an importing process at named phases; for that, and only
when the environment variable :data:`PAUSE_ENV` names a phase (``before_events``,
``after_events``, ``before_commit``), the importer prints ``intel-test-pause <phase>`` to stderr
and sleeps there (:func:`_pause_point`).

Where the parts are: this module holds profiles, :func:`prepare` (reference loading, then the
pipeline) and the write path. What the write path compares with the stored records (re-import
matching by source record id, deduplication and re-seizure leads) is :mod:`intel.import_matching`;
what is done with a batch afterwards (list, delete, change its marking) is :mod:`intel.batches`,
whose functions are named here too. The column mapping (:data:`~intel.mapping.FIELDS`,
:func:`~intel.mapping.suggest_mapping`) is :mod:`intel.mapping`; what an import returns
(:class:`~intel.import_result.ImportResult`, :func:`~intel.import_result.report_frame`) and the
file identity (:func:`~intel.import_result.file_sha256`) are :mod:`intel.import_result`. The pipeline itself, as named stages over whole
columns (rows and line faults, ids, dates, country, location, items, counts, markings, outcomes,
events, quarantine, report), is :mod:`intel.pipeline`; the reason codes and what they do are in
:mod:`intel.reasons`; the column building blocks (Arrow-backed text, per-distinct-value lookups,
reason masks, raw-value JSON) in :mod:`intel.columns`; the typed Arrow tables handed to DuckDB in
:mod:`intel.tables`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from intel import pipeline, readers, store
from intel.areas import import_area_counts
from intel.auth import updatable_events_sql, visible_events_sql, visible_to
# undoing an import and changing a batch's marking, named here too: callers import them from intel.ingest
from intel.batches import delete_batch, list_batches, set_batch_marking  # noqa: F401
from intel.borders.distance import border_distance
from intel.config import DATA_DIR, PROFILES_DIR
from intel.import_matching import apply_dedup, replace_matched, stored_matches
from intel.import_result import ImportResult, file_sha256
from intel.mapping import suggest_mapping
# the pipeline's errors, result and vocabulary, named here too: callers import them from intel.ingest
from intel.pipeline import DIRECTIONS, MONTHS, ImportError_, NeedsChoice, Prepared, place_code  # noqa: F401
from intel.reasons import LOCATION_REASONS, QUARANTINE, REASON_TEXT, REJECT  # noqa: F401
from intel.store import audit, refresh_incidents, transaction
from intel.tables import ROW_GROUP_ROWS, arrow_table_fast, dictionary_text


PAUSE_ENV = "INTEL_TEST_PAUSE_AT"
"""Environment variable naming an import phase at which the importer pauses (fault-injection tests
only; unset in normal use). ``INTEL_TEST_PAUSE_SECONDS`` sets how long (default 3600 s)."""
PAUSE_PHASES = ("before_events", "after_events", "before_commit")
"""Phases of the write at which :func:`_pause_point` can pause, in the order they are reached."""


def _pause_point(phase: str) -> None:
    """Pause at ``phase`` when :data:`PAUSE_ENV` names it (a test kills the process there).

    Prints ``intel-test-pause <phase>`` to stderr, then sleeps ``INTEL_TEST_PAUSE_SECONDS``
    (default 3600) seconds and carries on. Does nothing when the variable is unset.
    """
    import os
    import sys
    import time

    if os.environ.get(PAUSE_ENV) != phase:
        return
    print(f"intel-test-pause {phase}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("INTEL_TEST_PAUSE_SECONDS", "3600")))


# --------------------------------------------------------------------------------------------
# profiles
# --------------------------------------------------------------------------------------------

def list_profiles(con=None) -> list[str]:
    """Names of the bundled profiles and those saved in the store."""
    names = sorted(p.stem for p in PROFILES_DIR.glob("*.json"))
    if con is not None:
        builtin = _builtin_profile_names()
        names += [r[0] for r in con.execute("SELECT name FROM profiles ORDER BY name").fetchall()
                  if r[0] not in names and r[0].strip().lower() not in builtin]
    return names


def _builtin_profile_names() -> set[str]:
    """Names of the bundled profiles (``data/profiles/*.json``), lower case."""
    return {p.stem.lower() for p in PROFILES_DIR.glob("*.json")}


def load_profile(name: str, con=None) -> dict:
    """A profile by name (a bundled one first, then one saved in the store, then
    ``data/profiles``) or by path to a JSON file.

    A bundled profile's name always means the bundled profile: a store row of that name
    (saved before :func:`save_profile` refused such names) never shadows it.

    Raises
    ------
    ImportError_
        When no profile of that name exists.
    """
    if con is not None and name.lower() not in _builtin_profile_names():
        row = con.execute("SELECT body FROM profiles WHERE name = ?", [name]).fetchone()
        if row:
            return json.loads(row[0])
    p = Path(name)
    if p.suffix == ".json" and p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    p = PROFILES_DIR / f"{name}.json"
    if p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    raise ImportError_(f"no import profile named {name!r}; known: {', '.join(list_profiles(con))}")


def save_profile(con, profile: dict, user: str | None = None) -> None:
    """Save a per-source profile (column mapping and options) in the store (audited).

    Raises
    ------
    ImportError_
        When the name is that of a bundled profile (any case, spaces around ignored): a saved
        profile would otherwise replace it for every user (issue 19).
    """
    if str(profile["name"]).strip().lower() in _builtin_profile_names():
        raise ImportError_(f"{str(profile['name']).strip()!r} is the name of a built-in profile; "
                           "save the mapping under another name.")
    store.replace_row(con, "profiles", [profile["name"], json.dumps(profile)], "(?, ?, now())")
    audit(con, "profile.save", {"name": profile["name"]}, user)


# --------------------------------------------------------------------------------------------
# preparation (pure: no store writes; the stages are in intel.pipeline)
# --------------------------------------------------------------------------------------------

def _gazetteer(profile: dict) -> pd.DataFrame:
    """The profile's gazetteer (a CSV under :data:`~intel.config.DATA_DIR`) indexed by place."""
    g = pd.read_csv(DATA_DIR / profile["gazetteer"], dtype=str, keep_default_na=False)
    return g.set_index("place")


def prepare(raw: readers.RawTable, profile: dict, *, date_order: str | None = None, crs: str | None = None,
            file_name: str = "") -> Prepared:
    """Turn a raw table into store-ready records, quarantine rows and a per-row report.

    Loads the reference data the profile names (its gazetteer, when it maps a ``place``
    column) and runs the import pipeline (:func:`intel.pipeline.run`, whose stages are listed
    in :mod:`intel.pipeline`).

    Parameters
    ----------
    raw : readers.RawTable
    profile : dict
        Mapping ``columns`` (field -> column), ``constants`` (field -> value), ``kind``, ``source``,
        optional ``gazetteer``, ``fiscal_date``, ``item_map``, ``attrs``, ``date_order``, ``crs``.
    date_order : {'dayfirst', 'monthfirst', 'iso'}, optional
        The analyst's choice when the file's dates are ambiguous.
    crs : str, optional
        CRS of projected coordinates (e.g. 'EPSG:32630'); without it they are quarantined.

    Raises
    ------
    NeedsChoice
        When the dates' order cannot be decided from the file and none was given.
    """
    uses_gazetteer = profile.get("gazetteer") and (profile.get("columns") or {}).get("place")
    return pipeline.run(raw, profile, date_order=date_order, crs=crs,
                        gazetteer=_gazetteer(profile) if uses_gazetteer else None)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

def import_file(con, path: str | Path, profile: dict | str | None = None, *, date_order: str | None = None,
                crs: str | None = None, sheet: str | None = None, user: str | None = None,
                original_name: str | None = None, progress: Callable[[float, str], None] | None = None,
                in_transaction: bool = True, border_distance: bool = True, dedup: bool = True,
                viewer=None) -> ImportResult:
    """Import one file into the store through the single import path.

    Parameters
    ----------
    con : DuckDB connection (writable).
    path : path of a CSV, XLSX, GeoJSON, GeoPackage, Parquet or GeoParquet file.
    profile : dict or str, optional
        Profile (or its name). ``None`` uses :func:`suggest_mapping` on the file's columns.
    date_order, crs : see :func:`prepare`.
    user : str, optional
        Account name written as the batch's importer and in the audit log.
    progress : callable(fraction, message), optional
        Called as the stages complete (for the Import page's progress bar).
    in_transaction : bool
        Wrap the writes in a transaction (``False`` when the caller holds one, as ``intel build``).
    dedup : bool
        Merge probable duplicates of other agencies' records (:mod:`intel.dedup`) and flag
        re-seizure leads; ``False`` stores every record as its own incident.
    viewer : intel.auth.User, optional
        The importing account. Its records are compared only with the stored records it may see
        (:func:`intel.auth.visible_events_sql`): re-import matching by source record id,
        deduplication, re-seizure leads; a file already imported into a batch it may not see is
        reported without that batch's id. ``None`` (the CLI and ``intel build``, which hold the
        store file) compares with every record.

    Returns
    -------
    ImportResult

    Raises
    ------
    readers.ReadError, ImportError_, NeedsChoice
        With a plain-English message; the store is unchanged.
    """
    prog = progress or (lambda f, m: None)
    path = Path(path)
    name = original_name or path.name
    if isinstance(profile, str):
        profile = load_profile(profile, con)
    if profile is not None and profile.get("kind") == "area counts":   # counts per area and month, not records
        res = import_area_counts(con, path, profile, user=user, original_name=original_name,
                                 in_transaction=in_transaction)
        prog(1.0, "done")
        return res
    prog(0.05, "hashing")
    sha = file_sha256(path)
    prog(0.1, "reading")
    raw = readers.read_table(path, sheet=sheet)
    if profile is None:
        profile = {"name": None, "source": Path(name).stem, "kind": "seizure",
                   "columns": suggest_mapping(list(raw.frame.columns), raw.frame)}
    elif profile.get("columns") is None:  # constants only (e.g. a releasability): suggest the mapping
        profile = {**profile, "columns": suggest_mapping(list(raw.frame.columns), raw.frame)}
    options = {"profile": profile.get("name"), "columns": profile.get("columns"), "date_order": date_order, "crs": crs,
               "constants": profile.get("constants"), "dedup": dedup}
    if len(raw.sheets) > 1:   # another sheet or layer of the same file is another import
        options["sheet"] = raw.sheet
    # the whole profile is kept with the batch, so a quarantined row re-imported later (intel.quality)
    # is parsed with the same kind and per-profile fields; a batch stored before this (options
    # without the profile) still counts as the same import
    legacy_json = json.dumps(options, sort_keys=True, default=str)
    opt_json = json.dumps({**options, "profile_body": profile}, sort_keys=True, default=str)
    def landed():
        prev = con.execute("SELECT batch_id, rows_read, rows_accepted, rows_quarantined, rows_rejected, "
                           "releasability, imported_by FROM batches WHERE sha256 = ? "
                           "AND (options = ?::JSON OR options = ?::JSON) ORDER BY batch_id",
                           [sha, opt_json, legacy_json]).fetchall()
        if not prev:
            return None
        seen = [p for p in prev if viewer is None or visible_to(viewer, None, p[5], p[6])]
        p = seen[0] if seen else prev[0]
        # a batch the importer may not see is never named: "already imported", without its id
        return ImportResult(p[0] if seen else None, name, sha, p[1], p[2], p[3], p[4], already_imported=True)

    prev = landed()
    if prev:
        return prev
    prog(0.3, "parsing and validating")
    prep = prepare(raw, profile, date_order=date_order, crs=crs, file_name=name)
    prog(0.6, "locating")
    if border_distance and len(prep.events):
        _add_border_distance(prep.events)
    scope = owned = "events"
    if viewer is not None:
        scope, owned = visible_events_sql(viewer), updatable_events_sql(viewer)
    # event id each row updates, -1 for a new record: only records of the importer's own batches
    # (or any, for an administrator) are updated; another account's record is compared as any row
    matched = stored_matches(con, prep.events, owned)
    n_matched = int((matched >= 0).sum())
    if n_matched:   # the stored versions of these records are not compared with their new versions
        import pyarrow as pa

        con.register("_reimported", pa.table({"event_id": pa.array(matched[matched >= 0], pa.int64())}))
        compare = f"(SELECT * FROM {scope} c WHERE c.event_id NOT IN (SELECT event_id FROM _reimported))"
    else:
        compare = scope
    try:
        if dedup and len(prep.events):
            apply_dedup(con, prep, compare)
    finally:
        if n_matched:
            con.unregister("_reimported")
    prog(0.75, "writing")
    n_acc, n_qua, n_rej = prep.outcome_counts()
    res = ImportResult(None, name, sha, n_acc + n_qua + n_rej, n_acc, n_qua, n_rej, warnings=prep.warnings,
                       report=prep.report_source)   # the builder (or frame): not the whole prep kept alive
    marking = (profile.get("constants") or {}).get("releasability")

    def write():
        # again inside the transaction: another process (a DuckLake store) may have committed the
        # same file while this one was parsed; then nothing is written (the same file lands once)
        again = landed()
        if again:
            return again
        batch_id = store.next_id(con, "batches", "batch_id")
        con.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, ?)",
            [batch_id, profile.get("source") or "upload", name, sha, profile.get("name"),
             datetime.now(timezone.utc).replace(tzinfo=None), user, res.rows_read, res.accepted, res.quarantined,
             res.rejected, opt_json, json.dumps(prep.warnings), marking])
        import pyarrow as pa

        _pause_point("before_events")
        ev = prep.events
        # one writer at a time (DuckDB): ids continue from the largest stored id; a record already
        # stored under its source record id keeps its id
        first = con.execute("SELECT coalesce(max(event_id), 0) + 1 FROM events").fetchone()[0]
        is_new = matched < 0
        ev_ids = matched.copy()
        ev_ids[is_new] = np.arange(first, first + int(is_new.sum()), dtype="int64")
        ev = ev.assign(event_id=ev_ids, batch_id=batch_id)
        tbl = dictionary_text(arrow_table_fast(con, "events", ev))
        # record batches of one row group each: DuckDB scans and compresses them in parallel
        # (one 1M-row batch is written by a single thread, at half the speed on 2 cores)
        tbl = pa.Table.from_batches(tbl.to_batches(max_chunksize=ROW_GROUP_ROWS), schema=tbl.schema)
        con.register("_ev", tbl)
        keep = np.empty(0, dtype=np.int64)
        if n_matched:
            keep, moved = replace_matched(con, first, marking, batch_id, user)
        res.new, res.updated, res.unchanged = int(is_new.sum()), n_matched - len(keep), len(keep)
        # incident_id and incident_multi set as refresh_incidents would set them on these rows
        # (hash of source and key, false), so its UPDATE touches only incidents of several rows
        # instead of rewriting every new row (an UPDATE of a million rows costs seconds at commit)
        skip = " WHERE event_id NOT IN (SELECT event_id FROM _keep)" if len(keep) else ""
        con.execute("INSERT INTO events SELECT * REPLACE (NULLIF(h3_cell, 0) AS h3_cell, "
                    "hash(source, incident_key) AS incident_id, false AS incident_multi) FROM _ev" + skip)
        if len(keep):
            con.unregister("_keep")
        refresh_incidents(con)
        if res.updated:   # incidents an updated record left may be single rows again
            con.execute("""UPDATE events SET incident_multi = false
                           WHERE incident_multi AND incident_id IN (
                               SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) = 1)""")
        con.unregister("_ev")
        _pause_point("after_events")
        q = prep.quarantine
        if len(q):
            pos_to_event = dict(zip(ev["_pos"].to_numpy(), ev_ids))
            if len(keep):   # an unchanged record keeps its quarantine row (and any decision on it)
                kept = set(keep.tolist())
                q = q[[pos_to_event.get(p) not in kept for p in q["_pos"]]]
        if len(q):
            first_q = con.execute("SELECT coalesce(max(quarantine_id), 0) + 1 FROM quarantine").fetchone()[0]
            qids = np.arange(first_q, first_q + len(q), dtype="int64")
            qq = pd.DataFrame({
                "quarantine_id": qids, "batch_id": batch_id, "row_number": q["row_number"].to_numpy(),
                "source_record_id": q["source_record_id"].to_numpy(),
                "event_id": [pos_to_event.get(p) for p in q["_pos"]],
                "outcome": q["outcome"].to_numpy(), "reasons": list(q["reasons"]), "detail": q["detail"].to_numpy(),
                "raw": q["raw"].to_numpy(), "suggested_latitude": q["suggested_latitude"].to_numpy(),
                "suggested_longitude": q["suggested_longitude"].to_numpy(),
            })
            con.register("_q", qq)
            con.execute("INSERT INTO quarantine SELECT quarantine_id, batch_id, row_number, source_record_id, event_id, "
                        "outcome, reasons, detail, raw::JSON, suggested_latitude, suggested_longitude, NULL, NULL, NULL, NULL FROM _q")
            con.unregister("_q")
        detail = {"batch_id": int(batch_id), "file": name, "sha256": sha, "accepted": res.accepted,
                  "quarantined": res.quarantined, "rejected": res.rejected}
        if n_matched:
            detail.update(new=res.new, updated=res.updated, unchanged=res.unchanged)
        audit(con, "import", detail, user)
        if res.updated:   # what the re-import replaced: from which batches, under which markings
            audit(con, "import.update", {"batch_id": int(batch_id), "file": name, "updated": res.updated,
                                         "releasability": marking, "from_batches": moved}, user)
        _pause_point("before_commit")   # the last statement before COMMIT
        return int(batch_id)

    if in_transaction:
        with transaction(con):
            written = write()
    else:
        written = write()
    if isinstance(written, ImportResult):
        return written
    res.batch_id = written
    prog(1.0, "done")
    return res


def _add_border_distance(ev: pd.DataFrame) -> None:
    """Fill border_km / border_pair / border_segment (geodesic km to the nearest land border)."""
    lat = ev["latitude"].to_numpy(dtype=float)
    lon = ev["longitude"].to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    km = np.full(len(ev), np.nan)
    pair = np.full(len(ev), None, dtype=object)
    seg = np.full(len(ev), None, dtype=object)
    if ok.any():
        d = border_distance(lat[ok], lon[ok])
        km[ok] = d["border_km"].to_numpy()
        pair[ok] = d["border_pair"].to_numpy(dtype=object)
        seg[ok] = d["border_segment"].to_numpy(dtype=object)
    ev["border_km"] = km
    ev["border_pair"] = pair
    ev["border_segment"] = seg
