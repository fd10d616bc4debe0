"""Import batches after the import: list them, delete one (undo an import), change one's marking.

Each file :func:`intel.ingest.import_file` stores becomes one row of ``batches``, and its records
and quarantine rows carry its ``batch_id``. :func:`list_batches` lists them with their counts;
:func:`delete_batch` removes a batch with its records, quarantine and reference rows, counting
again the other agencies' records that had been merged into its incidents as duplicates;
:func:`set_batch_marking` replaces a batch's releasability marking (and that of its records that
took it at import). Each change is one transaction with an audit line (``batch.delete``,
``batch.marking``). The ``intel batches`` verbs and the Import page call these (also re-exported
by :mod:`intel.ingest`).
"""
from __future__ import annotations

import pandas as pd

from intel import auth
from intel.pipeline import ImportError_
from intel.store import audit, transaction

__all__ = ["list_batches", "delete_batch", "set_batch_marking"]


def list_batches(con) -> pd.DataFrame:
    """The import batches, newest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``batch_id``, ``source``, ``file_name``, ``imported_at``, ``imported_by``,
        ``rows_read``, ``rows_accepted``, ``rows_quarantined``, ``rows_rejected`` and
        ``records`` (rows of the batch now in ``events``).
    """
    return con.execute(
        "SELECT b.batch_id, b.source, b.file_name, b.imported_at, b.imported_by, b.rows_read, b.rows_accepted, "
        "b.rows_quarantined, b.rows_rejected, (SELECT count(*) FROM events e WHERE e.batch_id = b.batch_id) AS records "
        "FROM batches b ORDER BY b.batch_id DESC").df()


def delete_batch(con, batch_id: int, user: str | None = None) -> dict:
    """Delete one import batch (undo an import): its records, its quarantine rows and the batch.

    One transaction, audited (``batch.delete``). Records of other batches that were merged into
    an incident of this batch as probable duplicates (status ``duplicate``) and have no other
    record left in that incident count again (status ``accepted``), so deleting a batch never
    makes a seizure disappear from another agency's file. Reference rows of the batch
    (crossings, flows, country statistics) go too.

    Parameters
    ----------
    con : DuckDB connection (writable).
    batch_id : int
    user : str, optional
        Who deleted it (audit log).

    Returns
    -------
    dict
        ``batch_id``, ``file_name``, ``events`` and ``quarantine`` (rows deleted),
        ``restored`` (duplicates of other batches counted again).

    Raises
    ------
    ImportError_
        When there is no such batch (nothing changed).
    """
    row = con.execute("SELECT file_name, source FROM batches WHERE batch_id = ?", [int(batch_id)]).fetchone()
    if row is None:
        raise ImportError_(f"there is no import batch {batch_id}; `intel batches list` shows the batches.")
    bid = int(batch_id)
    with transaction(con):
        n_ev = con.execute("SELECT count(*) FROM events WHERE batch_id = ?", [bid]).fetchone()[0]
        n_q = con.execute("SELECT count(*) FROM quarantine WHERE batch_id = ?", [bid]).fetchone()[0]
        restored = con.execute(
            """UPDATE events SET status = 'accepted'
               WHERE batch_id <> ? AND status = 'duplicate'
                 AND incident_key IN (SELECT incident_key FROM events WHERE batch_id = ? AND status <> 'duplicate')
                 AND incident_key NOT IN (SELECT incident_key FROM events
                                          WHERE batch_id <> ? AND status <> 'duplicate')""",
            [bid, bid, bid]).fetchone()[0]
        con.execute("DELETE FROM quarantine WHERE batch_id = ?", [bid])
        con.execute("DELETE FROM events WHERE batch_id = ?", [bid])
        for table in ("crossings", "flows", "country_stats"):   # fixed names, not input
            con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [bid])
        con.execute("DELETE FROM batches WHERE batch_id = ?", [bid])
        # incidents left with one row count as single rows again
        con.execute("""UPDATE events SET incident_multi = false
                       WHERE incident_multi AND incident_id IN (
                           SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) = 1)""")
        out = {"batch_id": bid, "file_name": row[0], "events": int(n_ev), "quarantine": int(n_q),
               "restored": int(restored or 0)}
        audit(con, "batch.delete", out, user)
    return out


def set_batch_marking(con, batch_id: int, marking: str | None, user) -> dict:
    """Change the releasability marking of one import batch (one transaction, audited).

    The batch's marking is replaced, and so is the own marking of each of its records that
    carries the batch's old marking (the records that took the batch's marking at import, as
    :func:`intel.ingest.import_file` writes it; a record whose own marking was written the same way in its
    file cannot be told apart and changes with it). Records with another own marking keep it,
    and a record's effective marking stays the most restrictive of its own and the batch's
    (:func:`intel.auth.effective_releasability`). Quarantine rows follow their record or batch.
    Writes an audit line ``batch.marking`` with the old and new marking.

    Parameters
    ----------
    con : DuckDB connection (writable, unrestricted).
    batch_id : int
    marking : str or None
        The new marking, read by :func:`intel.auth.parse_releasability` (``REL TO BFA, CIV``,
        ``REL TO FVEY``, ``NOFORN``, ``UNRESTRICTED`` or empty for none); stored canonical
        (:func:`intel.auth.canonical_marking`).
    user : intel.auth.User
        Who changes it: an administrator, or the account that imported the batch.

    Returns
    -------
    dict
        ``batch_id``, ``file_name``, ``old`` and ``new`` (markings, None for none), ``events``
        (records whose own marking changed) and ``changed`` (False when the marking was already
        that one: then nothing is written).

    Raises
    ------
    ImportError_
        An unreadable marking, or (administrator) no such batch; nothing changed.
    PermissionError
        Another account's batch (a non-administrator is told the same for a batch that does not
        exist, so the message never says whether a batch it may not see exists).
    """
    bid = int(batch_id)
    try:
        new = auth.canonical_marking(marking)
    except ValueError as e:
        raise ImportError_(str(e)) from None
    row = con.execute("SELECT file_name, releasability, imported_by FROM batches WHERE batch_id = ?", [bid]).fetchone()
    if user is None or (user.role != "admin" and (row is None or row[2] != user.name)):
        raise PermissionError(f"Only the account that imported a batch, or an administrator, may change its marking; "
                              f"batch {bid} is not one you imported.")
    if row is None:
        raise ImportError_(f"there is no import batch {bid}; `intel batches list` shows the batches.")
    old = row[1]
    out = {"batch_id": bid, "file_name": row[0], "old": old, "new": new, "events": 0, "changed": old != new}
    if old == new:
        return out
    with transaction(con):
        n = con.execute("UPDATE events SET releasability = ? WHERE batch_id = ? AND releasability IS NOT DISTINCT FROM ?",
                        [new, bid, old]).fetchone()[0]
        con.execute("UPDATE batches SET releasability = ? WHERE batch_id = ?", [new, bid])
        out["events"] = int(n or 0)
        audit(con, "batch.marking", {k: out[k] for k in ("batch_id", "file_name", "old", "new", "events")}, user.name)
    return out
