"""Opening the store: an embedded DuckDB file or a DuckLake store, migrated and with spatial loaded.

Part of :mod:`intel.store`; :func:`connect` is what every command and page calls. An embedded
store is created and migrated when opened writable, then the audit spool is folded in; a DuckLake
store is ATTACHed as ``lake`` in an in-memory DuckDB instance (its SQLite catalog in WAL mode,
its id counters created once) and made the default catalog.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from intel.store.auditlog import fold_spool
from intel.store.extensions import extension_path, load_spatial
from intel.store.lake import (ID_SEQUENCES, LAKE, LAKE_SCHEMA, LakeStore, default_store, literal, parse_store,
                              transaction)
from intel.store.schema import migrate


def connect(db: str | os.PathLike | None = None, *, read_only: bool = False,
            snapshot: int | None = None, spatial: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store, creating and migrating it when writable.

    Parameters
    ----------
    db : path or str, optional
        Store file, or a DuckLake store written ``ducklake:sqlite:<catalog file>[;data=<dir>]`` or
        ``ducklake:postgres:<connection string>;data=<dir>`` (:func:`parse_store`); ``None`` gives
        :func:`default_store` (``$INTEL_STORE``, else :data:`DEFAULT_DB`). ``":memory:"`` gives a
        throw-away store.
    read_only : bool
        Open without write access (viewers). The file (or SQLite catalog) must exist.
    snapshot : int, optional
        DuckLake only: read the store as it was at this snapshot (``ATTACH ... (SNAPSHOT_VERSION
        n)``, read-only whatever ``read_only`` says), to reproduce a briefing, target package or
        export made from it (:func:`snapshot_id` names the snapshot a connection reads).
    spatial : bool
        Also load DuckDB's spatial extension (offline, from its wheel: ``ST_*`` functions for an
        analyst's own SQL). The product's queries use none: geometry is computed with shapely and
        geopandas, H3 parents with bit arithmetic; loading it costs about 0.15 s per connection.

    Returns
    -------
    duckdb.DuckDBPyConnection
        With the spatial extension loaded when ``spatial``. For a DuckLake store, an in-memory DuckDB instance in
        which the store is attached as ``lake`` and is the default catalog (``USE lake``); a cursor
        of it must be made with :func:`cursor`, which does the same ``USE``.

    Raises
    ------
    FileNotFoundError
        ``read_only`` and the file does not exist; a DuckLake store whose extension wheels are
        missing.
    ValueError
        A DuckLake store written wrongly (see :func:`parse_store`); ``snapshot`` on an embedded
        store (it keeps no snapshots), or a snapshot the store does not have.
    """
    path = str(db if db is not None else default_store())
    lake = parse_store(path)
    if lake is not None:
        return _connect_lake(lake, read_only or snapshot is not None, snapshot, spatial)
    if snapshot is not None:
        raise ValueError(f"the store {path} is an embedded DuckDB file, which keeps no snapshots; "
                         "as-of reads need a DuckLake store (INTEL_STORE)")
    if read_only:
        if path != ":memory:" and not Path(path).exists():
            raise FileNotFoundError(f"store {path} does not exist; run `intel build` first")
        con = duckdb.connect(path, read_only=True)
    else:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(path)
        migrate(con)
        if path != ":memory:":
            fold_spool(con)   # audit lines of read-only channels written while the store was held
    if spatial:
        load_spatial(con)
    return con


def _create_id_counters(con: duckdb.DuckDBPyConnection) -> None:
    # one row per sequence from the start, so that every draw is an UPDATE of an existing row:
    # DuckLake refuses the second of two transactions that both changed that row (measured on a
    # PostgreSQL catalog), while two INSERTs of a first row would both commit with the same id
    with transaction(con):
        con.execute(LAKE_SCHEMA)
        for (table, column), seq in ID_SEQUENCES.items():
            con.execute(f"INSERT INTO id_counters SELECT ?, coalesce(max({column}), 0) FROM {table}", [seq])


_WAL_CHECKED: set[str] = set()
_WAL_LOCK = __import__("threading").Lock()


def _sqlite_wal(catalog: Path) -> None:
    """Put a SQLite catalog in write-ahead-log mode (kept in the file), once per process.

    In SQLite's default mode a reader's open transaction blocks every writer's commit: a
    dashboard whose cursor had read the catalog (DuckLake keeps its SQLite transaction open as
    long as the DuckDB one, e.g. while a result is not yet fully fetched) made another
    process's import fail with "database is locked" (measured). In WAL mode readers never block
    the writer; writers still take turns. WAL needs the catalog on a local file system, which is
    what a SQLite catalog is for (one machine; PostgreSQL for several).

    Done with Python's own SQLite before this process's first DuckDB connection to the catalog,
    and never again in this process: closing any file handle of the catalog drops every POSIX
    lock the process holds on it, also those of DuckDB's SQLite, which then fails with "disk I/O
    error" (measured). A catalog that another process holds in a long write stays as it is.
    """
    import sqlite3

    key = str(catalog)
    with _WAL_LOCK:
        if key in _WAL_CHECKED:
            return
        _WAL_CHECKED.add(key)
        try:
            c = sqlite3.connect(catalog, timeout=10)
            try:
                if c.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    c.execute("PRAGMA journal_mode=WAL")
            finally:
                c.close()
        except sqlite3.Error:
            pass


def _connect_lake(lake: LakeStore, read_only: bool, snapshot: int | None = None,
                  spatial: bool = False) -> duckdb.DuckDBPyConnection:
    if lake.kind == "sqlite":
        cat = Path(lake.catalog)
        if read_only and not cat.exists():
            raise FileNotFoundError(f"store {lake.attach_target} does not exist; import into it first")
        cat.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_wal(cat)
    if "://" not in lake.data_path and not read_only:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()   # in memory: holds only this process's temp objects
    try:
        con.execute(f"LOAD '{extension_path('sqlite_scanner' if lake.kind == 'sqlite' else 'postgres_scanner')}'")
        con.execute(f"LOAD '{extension_path('ducklake')}'")
        opts = f"DATA_PATH {literal(lake.data_path)}" + (", READ_ONLY" if read_only else "")
        if snapshot is not None:
            opts += f", SNAPSHOT_VERSION {int(snapshot)}"
        try:
            con.execute(f"ATTACH {literal(lake.attach_target)} AS {LAKE} ({opts})")
        except duckdb.Error as exc:
            if snapshot is not None and "snapshot" in str(exc).lower():
                raise ValueError(f"the store {lake.attach_target} has no snapshot {int(snapshot)}") from exc
            raise
        con.execute(f"USE {LAKE}")
        if not read_only:
            migrate(con)
            if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = "
                               "'id_counters'", [LAKE]).fetchone()[0]:
                _create_id_counters(con)
        if spatial:
            load_spatial(con)
    except BaseException:
        con.close()
        raise
    return con
