"""Audit lines of the channels that only read the store, never lost (CLI exports and briefings).

The command-line verbs that write a file from the store (``intel hotspots``, ``emerging``,
``borders``, ``bypass``, ``corridors``, ``flows``, ``targets``, ``backtest``, ``briefing``,
``audit --out``) read it through a read-only connection, so that they run beside a reader; yet
each file they write is an export and gets an audit line like a download from the dashboard
(who, what, filters, rows, marking, snapshot). :func:`record` writes that line:

1. through the verb's own connection when it is writable (a test, or this process holds the store);
2. else by opening the store read-write for the moment of one append (:func:`intel.store.audit`,
   chained like every line);
3. else, when the store cannot be opened for writing (another process holds the embedded file,
   such as ``intel serve``; a read-only file system or file), by appending the line to the
   **audit spool**, a file beside the store (:func:`spool_path`: ``<store>.audit-spool.jsonl``,
   mode 0600), one JSON object per line, written with one ``write`` under an exclusive lock and
   ``fsync``-ed.

The next writer folds the spool into the hash chain (:func:`fold`): every writable open of an
embedded store (:func:`intel.store.connect`) and every audit line written outside a transaction
(:func:`intel.store.audit`, so a running ``intel serve`` folds on its next sign-in, export or
import). Folding holds the spool's lock, appends its lines in order in one transaction with
their original time (``logged_at``) and their ``spool_id`` in ``detail``, then empties the file; a
line whose ``spool_id`` is already in the log (a fold that stopped between its commit and the
emptying) is not appended twice. A line that is not JSON (a torn write) is folded as
``audit.spool_unreadable`` with its text (its ``spool_id`` a hash of its place and text), never
dropped. ``intel verify`` names the lines
still waiting (:func:`pending`).

A DuckLake store takes several writers, so step 2 succeeds unless its catalog is unreachable;
the spool then lies beside a SQLite catalog file; a PostgreSQL catalog has no spool and the verb
stops with one sentence.
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from intel import store

__all__ = ["SPOOL_SUFFIX", "spool_path", "spool_path_of", "record", "append", "pending", "fold"]

SPOOL_SUFFIX = ".audit-spool.jsonl"
"""Suffix added to the store file's name (or the SQLite catalog's) to name its audit spool."""


def spool_path(db) -> Path | None:
    """The audit spool of the store ``db``: ``<file>.audit-spool.jsonl`` beside an embedded file or
    a DuckLake store's SQLite catalog; ``None`` for ``:memory:`` and a PostgreSQL catalog."""
    spec = str(db)
    if spec == ":memory:":
        return None
    lake = store.parse_store(spec)
    if lake is not None:
        return Path(lake.catalog + SPOOL_SUFFIX) if lake.kind == "sqlite" else None
    return Path(spec + SPOOL_SUFFIX)


def spool_path_of(con) -> Path | None:
    """The audit spool of the embedded store file ``con`` is open on (``None`` in memory or for a
    DuckLake connection)."""
    try:
        row = con.execute("SELECT path, type FROM duckdb_databases() WHERE database_name = current_database()"
                          ).fetchone()
    except duckdb.Error:
        return None
    if not row or not row[0] or row[1] != "duckdb":
        return None
    return Path(str(row[0]) + SPOOL_SUFFIX)


def _lock(f) -> None:
    try:
        import fcntl
    except ImportError:   # not POSIX: O_APPEND single writes only
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_EX)


def append(path: Path, action: str, detail: dict | None, user: str | None) -> str:
    """Append one audit line to the spool ``path``; returns its ``spool_id``.

    The line is ``{"spool_id", "logged_at", "user_name", "action", "detail"}`` (``logged_at``
    as the store writes it: the local time without zone, microseconds), written with one
    ``write`` under an exclusive lock and flushed to disk before returning.
    """
    sid = uuid.uuid4().hex
    line = json.dumps({"spool_id": sid, "logged_at": datetime.now().isoformat(sep=" ", timespec="microseconds"),
                       "user_name": user or os.environ.get("INTEL_USER", "local"), "action": action,
                       "detail": detail or {}}, default=str, ensure_ascii=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        _lock(f)
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return sid


def pending(path: Path | None) -> int:
    """Lines waiting in the spool ``path`` (0 when there is none)."""
    if path is None or not path.exists():
        return 0
    with open(path, encoding="utf-8", errors="replace") as f:
        return sum(1 for line in f if line.strip())


def _writable(con) -> bool:
    try:
        return not con.execute("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
                               ).fetchone()[0]
    except (duckdb.Error, TypeError):
        return False


def record(db, action: str, detail: dict | None = None, user: str | None = None, con=None) -> str:
    """Write the audit line of a read-only channel, never losing it.

    Parameters
    ----------
    db : path or str
        The store (as ``--db`` names it).
    action : str
        E.g. ``export``, ``briefing``.
    detail : dict, optional
        What was written: the file, the filters, rows, marking, snapshot.
    user : str, optional
        Default ``$INTEL_USER``, else ``local``.
    con : DuckDB connection, optional
        The verb's connection, used when it is writable (closed or read-only: not used).

    Returns
    -------
    str
        ``"store"`` when the line is in the audit log, ``"spool"`` when it waits in the spool.

    Raises
    ------
    OSError
        Neither the store nor the spool can be written (the caller says so in one sentence).
    """
    if con is not None:
        try:
            if _writable(con):
                store.audit(con, action, detail, user)
                return "store"
        except duckdb.Error:
            pass
    try:
        w = store.connect(db)
    except (duckdb.Error, OSError):
        w = None
    if w is not None:
        try:
            store.audit(w, action, detail, user)
            return "store"
        except (duckdb.Error, OSError):
            pass
        finally:
            w.close()
    path = spool_path(db)
    if path is None:
        raise OSError(f"the audit line could not be written: the store {db} cannot be opened for writing "
                      "and has no spool file")
    append(path, action, detail, user)
    return "spool"


def fold(con, path: Path | None = None) -> int:
    """Append the spool's lines to the audit log of ``con`` (a writable connection) and empty it.

    Parameters
    ----------
    con : writable DuckDB connection of the store, outside a transaction
    path : Path, optional
        The spool; default :func:`spool_path_of` ``con``.

    Returns
    -------
    int
        Lines appended (lines already folded are skipped and not counted).
    """
    path = path if path is not None else spool_path_of(con)
    if path is None or not path.exists() or path.stat().st_size == 0:
        return 0
    with open(path, "r+", encoding="utf-8", errors="replace") as f:
        _lock(f)
        lines = [ln for ln in f.read().splitlines() if ln.strip()]
        if not lines:
            return 0
        done = {r[0] for r in con.execute("SELECT json_extract_string(detail, '$.spool_id') FROM audit "
                                          "WHERE json_extract_string(detail, '$.spool_id') IS NOT NULL").fetchall()}
        n = 0
        con.execute("BEGIN TRANSACTION")
        try:
            for i, ln in enumerate(lines):
                try:
                    d = json.loads(ln)
                    sid = str(d["spool_id"])
                    at = datetime.fromisoformat(d["logged_at"])
                    action, user = str(d["action"]), d.get("user_name")
                    detail = {**(d.get("detail") or {}), "spool_id": sid}
                except (ValueError, KeyError, TypeError):   # its id: a hash of its place and text
                    sid = "unreadable-" + hashlib.sha256(f"{i}:{ln}".encode("utf-8", "replace")).hexdigest()[:32]
                    at, action, user = None, "audit.spool_unreadable", None
                    detail = {"text": ln[:2000], "spool_id": sid}
                if sid in done:
                    continue
                store.append_audit(con, action, json.dumps(detail, default=str), user or "local", at=at)
                n += 1
            con.execute("COMMIT")
        except BaseException:
            store.rollback_quietly(con)
            raise
        f.seek(0)
        f.truncate()
        f.flush()
        os.fsync(f.fileno())
    return n
