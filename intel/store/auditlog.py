"""The audit log: append-only, hash-chained lines of who did what.

Part of :mod:`intel.store`. :func:`audit` appends one line chained to the line before it
(``prev_id`` and ``chain_hash``, :func:`audit_hash` of :func:`audit_canonical`), in the caller's
transaction when there is one; migration 4 chains a log made before the chain existed
(:func:`audit_chain_v4`); :func:`carry_audit` copies a log into a rebuilt store line for line;
:func:`fold_spool` folds the lines that read-only channels spooled (:mod:`intel.auditspool`).
:mod:`intel.verify` recomputes the chain.
"""
from __future__ import annotations

import json
import os

import duckdb
import pandas as pd

from intel.store.lake import in_transaction, literal, next_id, rollback_quietly


def audit_chain_v4(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 4: add ``prev_id`` and ``chain_hash`` to ``audit`` and chain the rows already there.

    Existing rows are chained in ``audit_id`` order, each to the one before it (:func:`audit_hash`),
    so a store audited before the chain existed verifies from then on: a row changed afterwards
    breaks the chain. (Rows changed *before* the migration cannot be told apart; the chain starts
    trusting the log at the moment of migration.)
    """
    con.execute("ALTER TABLE audit ADD COLUMN IF NOT EXISTS prev_id BIGINT")
    con.execute("ALTER TABLE audit ADD COLUMN IF NOT EXISTS chain_hash VARCHAR")
    rows = con.execute("SELECT audit_id, logged_at, user_name, action, CAST(detail AS VARCHAR) FROM audit "
                       "ORDER BY audit_id").fetchall()
    if not rows:
        return
    prev_id, prev_hash, out = None, None, []
    for aid, at, user, action, detail in rows:
        h = audit_hash(prev_hash, aid, at, user, action, detail)
        out.append((aid, prev_id, h))
        prev_id, prev_hash = aid, h
    con.register("_audit_chain", pd.DataFrame(out, columns=["audit_id", "prev_id", "chain_hash"]).astype(
        {"audit_id": "int64", "prev_id": "Int64"}))
    try:
        con.execute("UPDATE audit SET prev_id = c.prev_id, chain_hash = c.chain_hash FROM _audit_chain c "
                    "WHERE audit.audit_id = c.audit_id")
    finally:
        con.unregister("_audit_chain")


AUDIT_COLUMNS = ("audit_id", "logged_at", "user_name", "action", "detail", "prev_id", "chain_hash")
"""Columns of ``audit`` in order (``prev_id`` and ``chain_hash`` since migration 4)."""
AUDIT_RETRIES = 5
"""Attempts of an audit line written in its own transaction when a concurrent commit conflicts (DuckLake)."""


def audit_canonical(audit_id: int, logged_at, user_name: str | None, action: str, detail: str | None) -> str:
    """The canonical JSON text of one audit row, the text its chain hash covers.

    Keys sorted, no spaces, non-ASCII kept; ``logged_at`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` (the
    stored TIMESTAMP, microseconds); ``detail`` parsed and written again (so the same JSON value
    gives the same text however it was spaced), ``None`` when NULL.

    Parameters
    ----------
    audit_id : int
    logged_at : datetime or str
        As stored (a naive datetime read from DuckDB); a string is used as given.
    user_name, action : str
    detail : str or None
        The JSON text of the ``detail`` column.
    """
    at = logged_at if isinstance(logged_at, str) or logged_at is None else \
        logged_at.isoformat(sep=" ", timespec="microseconds")
    body = {"audit_id": int(audit_id), "logged_at": at, "user_name": user_name, "action": action,
            "detail": None if detail is None else json.loads(detail)}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_hash(prev_hash: str | None, audit_id: int, logged_at, user_name, action, detail) -> str:
    """Chain hash of an audit row: hex SHA-256 of ``prev_hash`` (empty for the first row) followed
    by :func:`audit_canonical` of the row, both UTF-8.

    Changing any column of a row changes its hash, and so every later row's; deleting a row
    leaves its successor pointing (``prev_id``) at a row that is gone. :func:`intel.verify.verify`
    recomputes the chain.
    """
    import hashlib

    text = (prev_hash or "") + audit_canonical(audit_id, logged_at, user_name, action, detail)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append_audit(con: duckdb.DuckDBPyConnection, action: str, detail: str, user: str, at=None) -> None:
    prev = con.execute("SELECT audit_id, chain_hash FROM audit ORDER BY audit_id DESC LIMIT 1").fetchone()
    aid = next_id(con, "audit", "audit_id")
    if at is None:   # a spooled line (intel.auditspool.fold) keeps the time it happened
        at = con.execute("SELECT CAST(now() AS TIMESTAMP)").fetchone()[0]
    h = audit_hash(prev[1] if prev else None, aid, at, user, action, detail)
    con.execute(f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [aid, at, user, action, detail, prev[0] if prev else None, h])


def audit(con: duckdb.DuckDBPyConnection, action: str, detail: dict | None = None, user: str | None = None) -> None:
    """Append one line to the audit log (never updated or deleted), chained to the line before it.

    The line carries ``prev_id`` (the last line this transaction sees) and ``chain_hash``
    (:func:`audit_hash` of that line's hash and this line). It is written in the caller's
    transaction when there is one (an import's line commits with its rows, or not at all);
    otherwise in a transaction of its own, tried again up to :data:`AUDIT_RETRIES` times when a
    concurrent commit conflicts (two writers of a DuckLake store both draw the audit id).

    Two transactions of one process that overlap both see the same last line, so both of their
    lines point at it: the log then branches, and each branch verifies (:mod:`intel.verify`).

    Parameters
    ----------
    con : connection or cursor of the store (the write cursor)
    action : str
        What happened, e.g. ``import``, ``settings.change``.
    detail : dict, optional
        Written as JSON (values that JSON cannot hold as their ``str``).
    user : str, optional
        Default ``$INTEL_USER``, else ``local``.

    Raises
    ------
    duckdb.TransactionException
        A conflict inside the caller's transaction (the caller's whole change is refused), or
        still after the retries.
    """
    import time

    user = user or os.environ.get("INTEL_USER", "local")
    text = json.dumps(detail or {}, default=str)
    if in_transaction(con):   # inside the caller's transaction: one try, theirs to commit
        append_audit(con, action, text, user)
        return
    fold_spool(con)
    con.execute("BEGIN TRANSACTION")
    for attempt in range(AUDIT_RETRIES):
        try:
            append_audit(con, action, text, user)
            con.execute("COMMIT")
            return
        except duckdb.TransactionException:
            rollback_quietly(con)
            if attempt == AUDIT_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
            con.execute("BEGIN TRANSACTION")
        except BaseException:
            rollback_quietly(con)
            raise


def fold_spool(con) -> None:
    """Fold the audit spool of the store file ``con`` writes into its log before a new line
    (:func:`intel.auditspool.fold`); a spool that cannot be read now waits for the next writer."""
    from intel import auditspool

    try:
        auditspool.fold(con)
    except (OSError, duckdb.Error):
        pass


def carry_audit(con: duckdb.DuckDBPyConnection, old_db: str | os.PathLike) -> int:
    """Copy the whole audit log of the store file ``old_db`` into the new embedded store ``con``.

    ``intel build`` writes a new store beside the old one: the old log is copied first, line for
    line with its ids, ``prev_id`` and ``chain_hash`` as they were (a log made before migration 4
    is chained as that migration chains it), and ``audit_seq`` restarts after its last id, so the
    build's own lines continue the same chain and ``intel verify`` checks the log across builds.
    A damaged or changed old log is copied as it is (verify then names the broken line), never
    re-chained.

    Parameters
    ----------
    con : connection of a new, empty embedded store (fully migrated)
    old_db : path of the store file being replaced; opened read-only

    Returns
    -------
    int
        Lines copied (0 when ``old_db`` has no audit table).

    Raises
    ------
    duckdb.Error
        ``old_db`` cannot be read (the caller decides: a store that cannot be read is kept as a backup).
    """
    if con.execute("SELECT count(*) FROM audit").fetchone()[0]:
        raise ValueError("carry_audit copies into an empty audit log only")
    con.execute(f"ATTACH {literal(str(old_db))} AS _old_store (READ_ONLY)")
    try:
        cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = "
                                          "'_old_store' AND table_name = 'audit'").fetchall()}
        if not cols:
            return 0
        chained = {"prev_id", "chain_hash"} <= cols
        take = AUDIT_COLUMNS if chained else AUDIT_COLUMNS[:5]
        con.execute(f"INSERT INTO audit ({', '.join(take)}) SELECT {', '.join(take)} FROM _old_store.audit")
    finally:
        con.execute("DETACH _old_store")
    if not chained:
        audit_chain_v4(con)
    n, last = con.execute("SELECT count(*), coalesce(max(audit_id), 0) FROM audit").fetchone()
    con.execute("DROP SEQUENCE IF EXISTS audit_seq")
    con.execute(f"CREATE SEQUENCE audit_seq START {int(last) + 1}")   # an integer, not input
    return int(n)
