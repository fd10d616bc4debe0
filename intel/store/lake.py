"""Back ends of the store: which store is meant, and what differs on a DuckLake store.

Part of :mod:`intel.store`. :func:`default_store` and :func:`parse_store` read the store named by
``INTEL_STORE`` (an embedded DuckDB file, or ``ducklake:sqlite:...``/``ducklake:postgres:...``);
:func:`is_lake` tells a connection's back end; :func:`cursor`, :func:`lake_sql`,
:func:`next_id`, :func:`replace_row` and :func:`snapshot_id` hide what DuckLake lacks
(sequences, primary keys, the ``USE`` of a new cursor) or adds (snapshots). The transaction
helpers (:func:`transaction`, :func:`in_transaction`, :func:`rollback_quietly`) work on both back
ends. Opening a store is :mod:`intel.store.connection`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from contextlib import contextmanager
from pathlib import Path

import duckdb

from intel.config import DEFAULT_DB


STORE_ENV = "INTEL_STORE"
"""Environment variable naming the store (a DuckDB file or a ``ducklake:`` store); overrides ``INTEL_DB``."""
STORE_DATA_ENV = "INTEL_STORE_DATA"
"""Environment variable naming the data directory of a DuckLake store (when its ``;data=`` part is absent)."""
LAKE = "lake"
"""Catalog name under which a DuckLake store is attached."""


def default_store() -> str:
    """The store used when none is named: ``$INTEL_STORE``, else :data:`DEFAULT_DB` (``$INTEL_DB``)."""
    return os.environ.get(STORE_ENV) or str(DEFAULT_DB)


@dataclass(frozen=True)
class LakeStore:
    """A DuckLake store: where its catalog and its data files are.

    Attributes
    ----------
    kind : str
        ``"sqlite"`` or ``"postgres"``: the catalog database.
    catalog : str
        The SQLite catalog file, or the PostgreSQL connection string (``dbname=intel host=...``).
    data_path : str
        Directory (or ``s3://`` prefix) holding the Parquet files, ending with ``/``.
    """

    kind: str
    catalog: str
    data_path: str

    @property
    def attach_target(self) -> str:
        """The ``ATTACH`` target, ``ducklake:<kind>:<catalog>``."""
        return f"ducklake:{self.kind}:{self.catalog}"


def parse_store(spec: str | os.PathLike) -> LakeStore | None:
    """Read a store name: ``None`` for a DuckDB file, a :class:`LakeStore` for ``ducklake:...``.

    Parameters
    ----------
    spec : str or path
        ``ducklake:sqlite:<catalog file>`` or ``ducklake:postgres:<connection string>``, optionally
        followed by ``;data=<dir>``. Without that part the data directory is ``$INTEL_STORE_DATA``,
        else (SQLite only) ``<catalog file>.files/`` beside the catalog.

    Raises
    ------
    ValueError
        An unknown catalog kind, an empty catalog, or a PostgreSQL catalog without a data directory.
    """
    text = str(spec)
    if not text.startswith("ducklake:"):
        return None
    rest, _, data = text.removeprefix("ducklake:").partition(";data=")
    kind, _, catalog = rest.partition(":")
    if kind not in ("sqlite", "postgres") or not catalog.strip():
        raise ValueError(f"{text!r} is not a DuckLake store: write ducklake:sqlite:<catalog file> or "
                         "ducklake:postgres:<connection string>, with ;data=<dir> or $INTEL_STORE_DATA")
    data = data or os.environ.get(STORE_DATA_ENV, "")
    if kind == "sqlite":
        catalog = str(Path(catalog).expanduser().resolve())
        data = data or catalog + ".files"
    elif not data:
        raise ValueError(f"the DuckLake store {text!r} needs a data directory: add ;data=<dir> or set $INTEL_STORE_DATA")
    if "://" not in data:
        data = str(Path(data).expanduser().resolve())
    return LakeStore(kind, catalog, data.rstrip("/") + "/")


def literal(text: str) -> str:
    # ATTACH takes no prepared parameters: its target and options are quoted as SQL literals
    return "'" + str(text).replace("'", "''") + "'"


LAKE_SCHEMA = "CREATE TABLE IF NOT EXISTS id_counters (name VARCHAR NOT NULL, last_id BIGINT NOT NULL)"
"""DuckLake only: the last id drawn per sequence name (the embedded store has real sequences)."""


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``con``'s default catalog is a DuckLake store."""
    rows = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return bool(rows) and rows[0][0] == "ducklake"


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` on the same store (a DuckDB cursor starts on the instance's first
    catalog, so on a DuckLake store the ``USE lake`` of :func:`connect` is repeated)."""
    cur = con.cursor()
    attached = cur.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ? AND type = 'ducklake'",
                           [LAKE]).fetchone()[0]
    if attached:
        cur.execute(f"USE {LAKE}")
    return cur


def lake_sql(sql: str) -> str:
    """A migration as DuckLake accepts it: ``CREATE SEQUENCE`` statements and ``PRIMARY KEY``
    constraints removed (DuckLake has neither; ids come from :func:`next_id`, keyed rows are
    replaced by :func:`replace_row`)."""
    sql = re.sub(r"CREATE SEQUENCE[^;]*;", "", sql, flags=re.IGNORECASE)
    return re.sub(r"\s+PRIMARY KEY\b", "", sql, flags=re.IGNORECASE)


ID_SEQUENCES = {("batches", "batch_id"): "batch_seq", ("audit", "audit_id"): "audit_seq",
                 ("events", "event_id"): "event_seq", ("quarantine", "quarantine_id"): "quarantine_seq"}


def next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    """The next id of ``table.column``.

    On the embedded store, ``nextval`` of the table's sequence (``batch_seq``, ``audit_seq``),
    as before. On a DuckLake store (no sequences), one more than the larger of the table's
    ``max(column)`` and the last id drawn (table ``id_counters``, :data:`LAKE_SCHEMA`, updated
    here inside the caller's transaction), so the id of a deleted batch is not drawn again, as
    with a sequence. Two writers that draw ids at the same time both update the counter row,
    and DuckLake refuses the second commit ("Transaction conflict", measured on a PostgreSQL
    catalog; a SQLite catalog refuses it as "database is locked"): ids stay unique, and the
    refused import is rolled back whole and can be run again.

    Parameters
    ----------
    table, column : str
        One of the pairs with a sequence: ``batches.batch_id``, ``audit.audit_id``,
        ``events.event_id``, ``quarantine.quarantine_id`` (trusted names, never user input).

    Raises
    ------
    KeyError
        Another pair.
    """
    seq = ID_SEQUENCES[(table, column)]
    if not is_lake(con):
        return int(con.execute(f"SELECT nextval('{seq}')").fetchone()[0])
    last = con.execute("SELECT max(last_id) FROM id_counters WHERE name = ?", [seq]).fetchone()[0]
    stored = con.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
    new = max(int(last or 0), int(stored)) + 1
    if last is None:
        con.execute("INSERT INTO id_counters VALUES (?, ?)", [seq, new])
    else:
        con.execute("UPDATE id_counters SET last_id = ? WHERE name = ?", [new, seq])
    return new


def replace_row(con: duckdb.DuckDBPyConnection, table: str, values: list, sql_values: str | None = None) -> None:
    """Store one row of a table keyed by its first column (``settings``, ``profiles``), replacing
    the row with the same key.

    ``INSERT OR REPLACE`` on the embedded store (its primary key); on a DuckLake store, which has
    no keys, ``DELETE`` of the key then ``INSERT``.

    Parameters
    ----------
    table : str
        ``"settings"`` or ``"profiles"`` (trusted name).
    values : list
        Parameters of the row, key first.
    sql_values : str, optional
        The ``VALUES`` list, e.g. ``"(?, ?, now())"``; default one ``?`` per value.
    """
    if table not in ("settings", "profiles"):
        raise KeyError(table)
    sql_values = sql_values or "(" + ", ".join("?" * len(values)) + ")"
    if is_lake(con):
        con.execute(f"DELETE FROM {table} WHERE name = ?", [values[0]])
        con.execute(f"INSERT INTO {table} VALUES {sql_values}", values)
    else:
        con.execute(f"INSERT OR REPLACE INTO {table} VALUES {sql_values}", values)


def snapshot_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The snapshot of a DuckLake store that ``con`` reads now; ``None`` on the embedded store,
    which keeps no snapshots.

    The latest committed snapshot (also one committed by another process after ``con`` was
    opened), or the pinned one of a store opened with ``connect(..., snapshot=n)``. One row from
    DuckLake's ``ducklake_current_snapshot`` (cheap: the pages call it on every rerun, as their
    cache stamp), fetched whole so that no read stays open on the catalog.
    """
    if not is_lake(con):
        return None
    rows = con.execute("SELECT * FROM ducklake_current_snapshot(current_database())").fetchall()
    return None if not rows or rows[0][0] is None else int(rows[0][0])


EMBEDDED_SNAPSHOT = "embedded store, no snapshots"
"""What provenance says of a store file: it keeps no snapshots to read back."""


def snapshot_label(con: duckdb.DuckDBPyConnection) -> str:
    """The snapshot a briefing, target package or export was made from, in words for its
    provenance and audit line: ``DuckLake snapshot 12`` (reproduce it with ``--as-of 12``), or
    :data:`EMBEDDED_SNAPSHOT`."""
    snap = snapshot_id(con)
    return EMBEDDED_SNAPSHOT if snap is None else f"DuckLake snapshot {snap}"


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """Run the body in one transaction: everything commits or nothing does."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``con`` is inside an explicit transaction (``BEGIN`` not yet committed).

    Two reads of ``txid_current()`` give the same id inside a transaction and two ids in
    autocommit mode. (A failed ``BEGIN`` would tell too, but it aborts the open transaction.) On a
    DuckLake store the id is read on the in-memory catalog, which takes part in the same
    transaction (DuckLake has no ``txid_current``).
    """
    lake = is_lake(con)
    if lake:
        con.execute("USE memory")
    try:
        first = con.execute("SELECT txid_current()").fetchone()[0]
        return con.execute("SELECT txid_current()").fetchone()[0] == first
    finally:
        if lake:
            con.execute(f"USE {LAKE}")


def rollback_quietly(con) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass   # a failed COMMIT has already ended the transaction
