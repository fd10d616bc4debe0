"""How an import meets the stored records: re-import matching and deduplication.

Part of the write path of :func:`intel.ingest.import_file`, which calls these in order.
:func:`stored_matches` finds, for each new record that carries a source record id, the stored
record of the same source and id it re-imports; :func:`replace_matched` then tells the
*unchanged* re-imported records (same values and batch marking, or an analyst's decision on the
same input, which is kept) from the *updated* ones, whose stored rows it deletes so that the new
versions are inserted under the same ``event_id``. :func:`apply_dedup` merges probable duplicates
of other agencies' records into their incidents and flags re-seizure leads (:mod:`intel.dedup`
holds the matching rules). Each compares only with the trusted SQL relation ``scope`` it is
given: the stored records the importing account may see (:func:`intel.auth.visible_events_sql`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel import dedup, settings
from intel.columns import as_text_column, object_values
from intel.pipeline import Prepared

__all__ = ["stored_matches", "replace_matched", "apply_dedup"]


def stored_matches(con, ev: pd.DataFrame, scope: str) -> np.ndarray:
    """The stored record each new record re-imports: same source and source record id.

    Parameters
    ----------
    con : DuckDB connection.
    ev : DataFrame, shape (n, ...)
        The records being imported (``source``, one value for the whole file, and
        ``source_record_id``).
    scope : str
        Trusted SQL relation of the stored records the importer may see.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``event_id`` of the matched stored record, -1 for a new record. When a file holds
        several rows with one record id (the items of one record), the k-th such row in file
        order matches the k-th stored record of that id in ``event_id`` order; rows beyond the
        stored ones are new. One join in DuckDB; no row is read as a Python object.
    """
    import pyarrow as pa

    out = np.full(len(ev), -1, dtype=np.int64)
    if not len(ev) or "source_record_id" not in ev.columns:
        return out
    rid = ev["source_record_id"]
    has = (rid.notna() & (rid.astype(str) != "")).to_numpy(dtype=bool)
    if not has.any():
        return out
    source = str(ev["source"].iloc[0])   # one source per import (the profile's)
    if con.execute(f"SELECT 1 FROM {scope} s WHERE source = ? AND source_record_id IS NOT NULL LIMIT 1",
                   [source]).fetchone() is None:
        return out   # nothing of this source stored (a first import): no join
    rows = np.flatnonzero(has)
    con.register("_rid", pa.table({"r": pa.array(rows, pa.int64()),
                                   "k": pa.array(rid.array[rows], type=pa.string(), from_pandas=True)}))
    try:
        hit = con.execute(f"""
            WITH n AS (SELECT r, k, row_number() OVER (PARTITION BY k ORDER BY r) AS o FROM _rid),
                 s AS (SELECT event_id, source_record_id AS k,
                              row_number() OVER (PARTITION BY source_record_id ORDER BY event_id) AS o
                       FROM {scope} s WHERE source = ? AND source_record_id IN (SELECT k FROM _rid))
            SELECT n.r, s.event_id FROM n JOIN s ON s.k = n.k AND s.o = n.o""", [source]).fetchnumpy()
    finally:
        con.unregister("_rid")
    out[np.asarray(hit["r"], dtype=np.int64)] = np.asarray(hit["event_id"], dtype=np.int64)
    return out


_NOT_COMPARED = {"event_id", "batch_id", "row_number", "incident_id", "incident_multi"}
"""Columns of ``events`` that say where a record is stored, not what it says (left out when a
re-imported record is compared with its stored version)."""


def replace_matched(con, first: int, marking: str | None, batch_id: int, user: str | None):
    """Replace the stored versions of re-imported records (``_ev`` rows with ids below ``first``).

    Runs inside the import's transaction, with the new records registered as the DuckDB view
    ``_ev`` (:func:`intel.ingest.import_file` does both).

    A record is *unchanged* when every value column (all but :data:`_NOT_COMPARED`) and its
    batch's marking equal the new ones, or when an analyst decided on it (a decided quarantine
    row, a corrected location) and its input (``raw``, ``attrs``, own marking) and batch marking
    are the same: that decision is kept. Every other matched record is *updated*: its stored row
    is deleted (the caller inserts the new one with the same ``event_id``, in the new batch),
    and its undecided quarantine rows are marked ``superseded`` (the new batch lists it again if
    it is still held back). Leaves the unchanged ids registered as ``_keep`` when there are any.

    Returns
    -------
    keep : ndarray of int64
        Ids of the unchanged records.
    moved : list of dict
        Per batch the updated records came from: ``batch_id``, ``releasability`` (its marking)
        and ``records``.
    """
    import pyarrow as pa

    cols = [r[0] for r in con.execute("DESCRIBE events").fetchall() if r[0] not in _NOT_COMPARED]
    same = " AND ".join(f"e.{c} IS NOT DISTINCT FROM " + ("NULLIF(u.h3_cell, 0)" if c == "h3_cell" else f"u.{c}")
                        for c in cols)
    same_input = " AND ".join(f"e.{c} IS NOT DISTINCT FROM u.{c}" for c in ("raw", "attrs", "releasability", "kind"))
    decided = ("(e.location_corrected IS NOT NULL OR EXISTS (SELECT 1 FROM quarantine q "
               "WHERE q.event_id = e.event_id AND q.decision IS NOT NULL))")
    keep = con.execute(
        f"""SELECT u.event_id FROM _ev u JOIN events e ON e.event_id = u.event_id
            JOIN batches b ON b.batch_id = e.batch_id
            WHERE u.event_id < ? AND b.releasability IS NOT DISTINCT FROM ?
              AND (({same}) OR ({decided} AND {same_input}))""", [int(first), marking]).fetchnumpy()["event_id"]
    keep = np.asarray(keep, dtype=np.int64)
    if len(keep):
        con.register("_keep", pa.table({"event_id": pa.array(keep, pa.int64())}))
        unkept = "AND e.event_id NOT IN (SELECT event_id FROM _keep)"
    else:
        unkept = ""
    upd = f"SELECT u.event_id FROM _ev u WHERE u.event_id < {int(first)}"
    moved = [{"batch_id": int(b), "releasability": m, "records": int(n)} for b, m, n in con.execute(
        f"""SELECT e.batch_id, any_value(b.releasability), count(*) FROM events e
            LEFT JOIN batches b ON b.batch_id = e.batch_id
            WHERE e.event_id IN ({upd}) {unkept} GROUP BY e.batch_id ORDER BY e.batch_id""").fetchall()]
    if moved:
        con.execute(f"""UPDATE quarantine SET decision = 'superseded', decided_by = ?, decided_at = now(),
                           decision_note = ?
                        WHERE decision IS NULL AND event_id IN ({upd})
                          {unkept.replace('e.event_id', 'event_id')}""",
                    [user, f"replaced by a re-import of the record in batch {int(batch_id)}"])
        con.execute(f"DELETE FROM events WHERE event_id IN ({upd}) {unkept.replace('e.event_id', 'event_id')}")
    return keep, moved


def apply_dedup(con, prep: Prepared, scope: str = "events") -> None:
    """Merge probable duplicates into their incident and flag re-seizure leads (in place).

    Parameters
    ----------
    con : DuckDB connection.
    prep : intel.pipeline.Prepared
        The prepared import; its ``events`` get ``status='duplicate'``, the matched
        ``incident_key`` and the flags ``PROBABLE_DUPLICATE`` / ``RESEIZURE_LEAD`` (also added to
        the rows' reasons), and a warning when records were merged.
    scope : str
        The trusted SQL relation of the stored records compared with (the records the importer
        may see, without the stored versions of the records being re-imported).
    """
    ev = prep.events
    km = float(settings.get("dedup_distance_km", con))
    days = int(settings.get("dedup_window_days", con))
    if _one_agency_only(con, ev, scope):   # nothing to merge: skip the candidate query and the frames
        pairs = pd.DataFrame(columns=["new_pos", "match_incident_key", "match_event_id", "distance_km", "days"])
    else:
        old = dedup.stored_candidates(con, ev, km, days, scope)
        pairs = dedup.probable_duplicates(ev, old, km, days)

    def flag(positions, code):   # a new list per flagged row (lists may be shared by rows)
        if not len(positions):
            return
        flags = ev["flags"].to_numpy(dtype=object).copy()
        pos_of_row = ev["_pos"].to_numpy()
        for p in positions:
            flags[p] = list(flags[p]) + [code]
            prep.add_reason(int(pos_of_row[p]), code)
        ev["flags"] = flags

    if len(pairs):   # whole columns replaced once (Arrow text cannot be set row by row cheaply)
        new_pos = pairs["new_pos"].to_numpy(dtype=np.int64)
        status = ev["status"].to_numpy(dtype=object).copy()
        status[new_pos] = "duplicate"
        keys = object_values(ev["incident_key"]).copy()
        keys[new_pos] = pairs["match_incident_key"].to_numpy(dtype=object)
        ev["status"] = as_text_column(status, len(ev))
        ev["incident_key"] = as_text_column(keys, len(ev))
        flag(new_pos, "PROBABLE_DUPLICATE")
    # after merging: a serial key stored for another incident is a re-seizure lead
    flag(np.flatnonzero(dedup.reseizure_leads(con, ev, scope)), "RESEIZURE_LEAD")
    if len(pairs):
        prep.warnings.append(f"{len(pairs)} records are probable duplicates of another agency's records "
                             "and were merged into their incidents (deduplication can be switched off)")


def _one_agency_only(con, ev: pd.DataFrame, scope: str = "events") -> bool:
    """True when :func:`intel.dedup.probable_duplicates` cannot find a pair: the located
    accepted new records and every located accepted stored record share one agency (or there
    are no located accepted new records)."""
    ok = ev["latitude"].notna().to_numpy() & (ev["status"] == "accepted").to_numpy()
    if not ok.any():
        return True
    sa = ev["seizing_agency"]
    agency = ev["source"] if sa.isna().all() else sa.where(sa.notna(), ev["source"])   # else the source
    uniq = agency[ok].astype(str).unique()   # on the Arrow text itself: no Python object per row
    if len(uniq) != 1:
        return False
    other = con.execute(f"SELECT 1 FROM {scope} s WHERE status = 'accepted' AND latitude IS NOT NULL "
                        "AND coalesce(seizing_agency, source) <> ? LIMIT 1", [str(uniq[0])]).fetchone()
    return other is None
