"""The DuckDB store: one file, a versioned schema, and the connection rules.

Everything the dashboard shows is read from one DuckDB file (default ``data/intel.duckdb``).
The schema is created and upgraded by an ordered list of migrations (``MIGRATIONS``); the
table ``schema_version`` records which have been applied, so an old store is upgraded in place
and a new one is built by the same steps. Every schema change is a new numbered migration (an
applied one is never edited); migration 3 repairs stores built while migration 1 was still being
edited (``tests/test_store_upgrade.py`` opens stores of those commits).

Tables
------
``events``
    One row per recorded item (a CBP line item, a Toronto incident, an agency seizure record).
    ``incident_key`` groups the items of one seizure event, so *event* counts are
    distinct (source, incident key) pairs and *firearm* counts are ``sum(firearms)``.
    ``status`` is ``accepted`` (usable by every analysis), ``unlocated`` (a valid record whose
    location is missing or doubtful: counted in non-spatial totals such as counts by country,
    never binned, listed on the Data quality page), ``quarantined`` (on hold for every analysis
    until an analyst decides) or ``duplicate`` (a probable duplicate of another agency's record,
    merged into that record's incident and left out of sums). :data:`NON_SPATIAL` lists the
    statuses that count in non-spatial totals.
    Coordinates are WGS84 degrees; ``h3_cell`` is the H3 cell at :data:`FINE_RES` as UBIGINT.
    ``uncertainty_km`` is the radius in km of the record's own location uncertainty (the
    equal-area radius of its municipality, province or area of responsibility, from the
    gazetteer); NULL means the class radius of ``location_precision`` applies
    (:data:`intel.hexbin.PRECISION_KM`).
``batches``
    One row per import: file name, SHA-256, profile, time, row counts.
``quarantine``
    One row per input row that is not plainly accepted: the raw row verbatim (JSON), the
    reason codes, the outcome (``quarantined`` or ``rejected``), a suggested fix where one is
    known, and the analyst's decision once taken.
``areas``, ``area_counts``
    Counts per area and month (e.g. ISP-RJ weapons seized per police-precinct area): the
    areas with their polygon, area and equal-area radius, and one row per area, month and
    measure. These are not records and never points: they are drawn over their polygons
    (:mod:`intel.areas`). A month the publisher left as a placeholder is ``status
    'placeholder'`` with a NULL value, never "nothing seized".
``countries``, ``admin1``, ``crossings``, ``flows``, ``country_stats``
    Reference tables (geometry as WKB blobs in EPSG:4326).
``audit``
    Append-only log of imports, decisions and settings changes, hash-chained (migration 4): each
    line carries ``prev_id``, the line before it, and ``chain_hash``, the SHA-256 of that line's
    hash and the canonical JSON of this line (:func:`audit_hash`), so a line changed or deleted
    by hand breaks the chain at that line (``intel verify``, :mod:`intel.verify`).
``settings``
    Values of named settings (see :mod:`intel.settings` for names, defaults and help).

H3 convention
-------------
``h3_cell`` is stored once, at ``FINE_RES`` (9, the finest resolution the pages offer); a coarser
resolution is the H3 parent of the stored cell, computed in SQL by bit arithmetic. The rule, its
SQL (:func:`intel.h3cells.parent_sql`) and the int/hex conversions at the edges live in
:mod:`intel.h3cells`, the one H3 module.

Back ends
---------
The store is an embedded DuckDB file by default. ``INTEL_STORE=ducklake:sqlite:<catalog file>`` (or
``ducklake:postgres:<libpq connection string>``), with the data directory in ``INTEL_STORE_DATA`` or a
``;data=<dir>`` part, selects a DuckLake store instead (:func:`parse_store`, :func:`connect`): the
catalog in SQLite or PostgreSQL, the rows as Parquet files under the data directory, several
processes reading and writing at once with snapshot isolation. :func:`connect` ATTACHes it as
``lake`` in an in-memory DuckDB instance and makes it the default catalog, so every query of the
analyses runs unchanged. DuckLake has no sequences, primary keys or indexes: the migrations are
applied without them (:func:`lake_sql`), batch and audit ids come from :func:`next_id` (a counter
row updated inside the writing transaction) and keyed rows are replaced by :func:`replace_row` (delete, then insert).
:func:`snapshot_id` names the snapshot a connection reads.

Concurrency
-----------
DuckDB allows one process to open a store file for writing, and while it does no other process
can open the file at all, not even read-only (the dashboard, ``intel serve``, holds its store
read-write for imports and decisions). Inside that process every session reads through its own
cursor and imports write in one transaction, so readers never see half an import. Another
process that tries gets DuckDB's "Conflicting lock is held in <program> (PID n)";
:func:`lock_holder` reads which process that is and :func:`lock_message` turns it into one
sentence saying what holds the store and what to do (the CLI's error path uses it).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from contextlib import contextmanager
from pathlib import Path

import duckdb
import duckdb_extension_spatial
import pandas as pd

from intel.config import DEFAULT_DB  # decided in the configuration layer

NON_SPATIAL = ("accepted", "unlocated")
"""Event statuses counted by non-spatial totals (trends, counts by country)."""


def spatial_extension_path() -> str:
    """Path of the DuckDB spatial extension shipped by the ``duckdb-extension-spatial`` wheel.

    Returns
    -------
    str
        Absolute path of ``spatial.duckdb_extension`` for the installed DuckDB version.

    Raises
    ------
    FileNotFoundError
        When the wheel is missing or was built for another DuckDB version.
    """
    base = Path(duckdb_extension_spatial.__file__).resolve().parent / "extensions"
    path = base / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(
            f"DuckDB spatial extension for DuckDB {duckdb.__version__} not found under {base}; "
            "install duckdb-extension-spatial with the same version as duckdb"
        )
    return str(path)


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """Load the offline spatial extension into ``con`` (no network, no ``INSTALL``)."""
    con.execute(f"LOAD '{spatial_extension_path()}'")


_EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "duckdb-extension-ducklake"),
    "sqlite_scanner": ("duckdb_extension_sqlite_scanner", "duckdb-extension-sqlite-scanner"),
    "postgres_scanner": ("duckdb_extension_postgres_scanner", "duckdb-extension-postgres-scanner"),
}


def extension_path(name: str) -> str:
    """Path of the DuckDB extension ``name`` shipped by its ``duckdb-extension-*`` wheel.

    Found as :func:`spatial_extension_path` finds the spatial one: ``extensions/v<duckdb
    version>/<name>.duckdb_extension`` inside the wheel's package (``INSTALL`` needs the network).

    Parameters
    ----------
    name : str
        ``"ducklake"``, ``"sqlite_scanner"`` or ``"postgres_scanner"``.

    Raises
    ------
    FileNotFoundError
        The wheel is not installed, or was built for another DuckDB version; the message names
        the package to install.
    """
    import importlib

    module, package = _EXTENSION_WHEELS[name]
    hint = f"install {package}=={duckdb.__version__} (the same version as duckdb)"
    try:
        mod = importlib.import_module(module)
    except ImportError:
        raise FileNotFoundError(f"the DuckDB extension {name} is not installed; {hint}") from None
    base = Path(mod.__file__).resolve().parent / "extensions"
    path = base / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(f"DuckDB extension {name} for DuckDB {duckdb.__version__} not found under {base}; {hint}")
    return str(path)


MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE SEQUENCE IF NOT EXISTS batch_seq START 1;
        CREATE SEQUENCE IF NOT EXISTS event_seq START 1;
        CREATE SEQUENCE IF NOT EXISTS quarantine_seq START 1;
        CREATE SEQUENCE IF NOT EXISTS audit_seq START 1;

        CREATE TABLE batches (
            batch_id        INTEGER PRIMARY KEY,
            source          VARCHAR NOT NULL,      -- dataset name, e.g. 'toronto_tps'
            file_name       VARCHAR NOT NULL,
            sha256          VARCHAR NOT NULL,
            profile         VARCHAR,
            imported_at     TIMESTAMP NOT NULL,
            imported_by     VARCHAR,
            rows_read       INTEGER NOT NULL,
            rows_accepted   INTEGER NOT NULL,
            rows_quarantined INTEGER NOT NULL,
            rows_rejected   INTEGER NOT NULL,
            options         JSON,
            warnings        JSON,
            releasability   VARCHAR
        );

        CREATE TABLE events (
            event_id          BIGINT NOT NULL,    -- unique by construction (no index: bulk imports)
            batch_id          INTEGER NOT NULL,
            source            VARCHAR NOT NULL,
            source_record_id  VARCHAR,
            incident_key      VARCHAR NOT NULL,   -- groups the items of one seizure/incident
            incident_id       UBIGINT,            -- hash(source, incident_key), set by refresh_incidents
            incident_multi    BOOLEAN,            -- the incident has more than one row
            row_number        INTEGER,
            status            VARCHAR NOT NULL,   -- accepted | unlocated | quarantined | duplicate
            kind              VARCHAR NOT NULL,   -- seizure | recovery | discharge incident | ...
            event_date        DATE,
            date_precision    VARCHAR,            -- day | month | year
            latitude          DOUBLE,             -- WGS84 degrees
            longitude         DOUBLE,
            location_precision VARCHAR,           -- exact | intersection | town | municipality | admin-1 | country
            location_name     VARCHAR,
            location_corrected VARCHAR,           -- e.g. 'swap' when an analyst accepted a fix
            country_iso3      VARCHAR,
            admin1            VARCHAR,
            region            VARCHAR,            -- reporting region, e.g. CBP 'Southwest Border'
            place_type        VARCHAR,            -- port of entry | border area | airport | ...
            direction         VARCHAR,            -- inbound | outbound
            transport_mode    VARCHAR,
            seizing_agency    VARCHAR,
            unit              VARCHAR,            -- agency unit / area of responsibility
            category          VARCHAR,            -- firearm | ammunition | parts | accessory | other
            firearm_type      VARCHAR,            -- handgun, pistol, revolver, rifle, ...
            item_description  VARCHAR,
            make              VARCHAR,
            model             VARCHAR,
            calibre           VARCHAR,
            serial_number     VARCHAR,            -- exact text as recorded
            serial_key        VARCHAR,            -- normalised match key
            other_markings    VARCHAR,
            quantity          DOUBLE,             -- items of this record
            firearms          DOUBLE,             -- firearms among them (0 when none)
            ammunition        DOUBLE,             -- rounds
            criminal_context  VARCHAR,
            origin_iso3       VARCHAR,
            destination_iso3  VARCHAR,
            manufacture_iso3  VARCHAR,
            last_import_iso3  VARCHAR,
            h3_cell           UBIGINT,            -- H3 cell at FINE_RES, NULL when not binned
            border_km         DOUBLE,             -- geodesic km to the nearest land border
            border_pair       VARCHAR,            -- ISO3 pair of that border, e.g. 'MEX-USA'
            border_segment    VARCHAR,            -- stable id of the ~50 km border stretch
            flags             VARCHAR[],          -- reason codes that did not block the record
            raw               VARCHAR,            -- raw values of the parsed fields (JSON text)
            attrs             VARCHAR,            -- other source columns kept as they were (JSON text)
            releasability     VARCHAR
        );

        CREATE TABLE quarantine (
            quarantine_id     BIGINT PRIMARY KEY,
            batch_id          INTEGER NOT NULL,
            row_number        INTEGER,
            source_record_id  VARCHAR,
            event_id          BIGINT,             -- the stored record, when there is one
            outcome           VARCHAR NOT NULL,   -- quarantined | rejected
            reasons           VARCHAR[] NOT NULL,
            detail            VARCHAR,
            raw               JSON NOT NULL,      -- the input row verbatim
            suggested_latitude  DOUBLE,
            suggested_longitude DOUBLE,
            decision          VARCHAR,            -- accepted | corrected | rejected
            decided_by        VARCHAR,
            decided_at        TIMESTAMP,
            decision_note     VARCHAR
        );

        CREATE TABLE countries (
            iso3      VARCHAR PRIMARY KEY,
            name      VARCHAR,
            continent VARCHAR,
            region    VARCHAR,
            min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,
            geom_wkb  BLOB
        );
        CREATE TABLE admin1 (
            admin1_id VARCHAR PRIMARY KEY,
            country_iso3 VARCHAR,
            name      VARCHAR,
            min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,
            geom_wkb  BLOB
        );
        CREATE TABLE crossings (
            crossing_id VARCHAR PRIMARY KEY,
            name       VARCHAR,
            country_iso3 VARCHAR,
            other_iso3 VARCHAR,
            latitude   DOUBLE,
            longitude  DOUBLE,
            crossing_type VARCHAR,
            source     VARCHAR,
            batch_id   INTEGER
        );
        CREATE TABLE flows (
            flow_id    BIGINT PRIMARY KEY,
            source     VARCHAR,             -- dataset
            flow_type  VARCHAR,             -- source-recovery | trace | re-seizure | od
            origin     VARCHAR,             -- code (US state USPS code, ISO3, or cell hex)
            origin_name VARCHAR,
            origin_lat DOUBLE, origin_lon DOUBLE,
            destination VARCHAR,
            destination_name VARCHAR,
            destination_lat DOUBLE, destination_lon DOUBLE,
            weight     DOUBLE,
            period_start DATE,
            period_end   DATE,              -- half-open [start, end)
            batch_id   INTEGER
        );
        CREATE TABLE country_stats (
            iso3       VARCHAR,
            country    VARCHAR,
            region     VARCHAR,
            subregion  VARCHAR,
            indicator  VARCHAR,
            dimension  VARCHAR,
            category   VARCHAR,
            sex        VARCHAR,
            age        VARCHAR,
            year       INTEGER,
            unit       VARCHAR,
            value      DOUBLE,
            source     VARCHAR,
            batch_id   INTEGER
        );
        CREATE TABLE audit (
            audit_id  BIGINT PRIMARY KEY,
            logged_at TIMESTAMP NOT NULL,
            user_name VARCHAR,
            action    VARCHAR NOT NULL,
            detail    JSON
        );
        CREATE TABLE settings (
            name  VARCHAR PRIMARY KEY,
            value JSON
        );
        CREATE TABLE profiles (
            name  VARCHAR PRIMARY KEY,
            body  JSON NOT NULL,
            saved_at TIMESTAMP
        );
        """,
    ),
    (
        2,
        # per-record location uncertainty, and counts per area and month (issue 15). Written so
        # that it can be re-run on a store that already has any of these objects.
        """
        ALTER TABLE events ADD COLUMN IF NOT EXISTS uncertainty_km DOUBLE;  -- radius of this record's own location uncertainty, km

        CREATE TABLE IF NOT EXISTS areas (
            source      VARCHAR NOT NULL,     -- dataset, e.g. 'isp_rj_cisp'
            area_id     VARCHAR NOT NULL,     -- the publisher's code of the area (precinct number)
            name        VARCHAR,
            area_kind   VARCHAR,              -- precinct | municipality | province | ...
            country_iso3 VARCHAR,
            admin1      VARCHAR,
            latitude    DOUBLE,               -- a point inside the polygon (WGS84 degrees)
            longitude   DOUBLE,
            area_km2    DOUBLE,               -- stated by the publisher, else from the polygon (equal-area)
            radius_km   DOUBLE,               -- sqrt(area_km2 / pi): radius of the equal-area circle
            geom_wkb    BLOB,                 -- polygon, EPSG:4326; NULL when the publisher has none
            note        VARCHAR,
            batch_id    INTEGER
        );

        CREATE TABLE IF NOT EXISTS area_counts (
            source      VARCHAR NOT NULL,
            area_id     VARCHAR NOT NULL,
            area_name   VARCHAR,
            month       DATE NOT NULL,        -- first day of the month counted
            measure     VARCHAR NOT NULL,     -- the publisher's column, e.g. 'arma_fogo_total'
            value       DOUBLE,               -- NULL when missing (not published, or a placeholder)
            status      VARCHAR NOT NULL,     -- recorded | not recorded | placeholder
            batch_id    INTEGER,
            row_number  INTEGER               -- line of the input file
        );
        """,
    ),
    (
        3,
        # ``events`` of a store built before migration 1 took its final shape (issue 19): see
        # _events_to_v3. A function: it changes nothing on a store whose events are already right.
        lambda con: _events_to_v3(con),
    ),
    (
        4,
        # the hash chain of the audit log (issue 19): columns prev_id and chain_hash, existing rows
        # chained in audit_id order (see _audit_chain_v4).
        lambda con: _audit_chain_v4(con),
    ),
]
"""Ordered migrations ``(version, SQL script or function of the connection)``. Each is applied once,
in its own transaction, and recorded in ``schema_version``. Never edit an applied migration (stores
built with it would not see the change): every schema change is a new numbered entry."""

SCHEMA_VERSION = MIGRATIONS[-1][0]


def _events_ddl(name: str) -> str:
    """``CREATE TABLE <name>`` with the columns of ``events`` as migration 1 now creates it."""
    m = re.search(r"CREATE TABLE events \((.*?)\n        \);", MIGRATIONS[0][1], re.S)
    return f"CREATE TABLE {name} ({m.group(1)}\n)"


def _events_to_v3(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 3: bring ``events`` made by an earlier text of migration 1 to the current shape.

    Migration 1 was edited after stores had been built with it (all recorded as schema version 1):
    commit 31ba6c1 made ``event_id`` a PRIMARY KEY and ``raw``/``attrs`` JSON, and until b4a6353
    there were no ``incident_id``/``incident_multi``. Such a table is rebuilt with the current
    columns in the current order (old rows kept, ``raw``/``attrs`` as their JSON text, the
    incident columns filled by :func:`refresh_incidents`). A table already in the current shape,
    and every DuckLake store (created after these changes), is left as it is.
    """
    if is_lake(con):
        return
    cols = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    pk = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                     "AND constraint_type = 'PRIMARY KEY'").fetchone()[0]
    if ("incident_id" in cols and "incident_multi" in cols and cols.get("raw") == "VARCHAR"
            and cols.get("attrs") == "VARCHAR" and not pk):
        return
    con.execute(_events_ddl("events_v3"))
    con.execute("ALTER TABLE events_v3 ADD COLUMN uncertainty_km DOUBLE")   # as migration 2 adds it
    target = [(r[0], r[1]) for r in con.execute("DESCRIBE events_v3").fetchall()]
    select = ", ".join((f"CAST({c} AS {t})" if c in cols else f"CAST(NULL AS {t})") for c, t in target)
    con.execute(f"INSERT INTO events_v3 SELECT {select} FROM events")
    con.execute("DROP TABLE events")
    con.execute("ALTER TABLE events_v3 RENAME TO events")
    refresh_incidents(con)


def _audit_chain_v4(con: duckdb.DuckDBPyConnection) -> None:
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


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration not yet recorded in ``schema_version``.

    On a DuckLake store each migration is applied as :func:`lake_sql` rewrites it (no sequences,
    no primary keys).

    Returns
    -------
    int
        The schema version after migration.
    """
    lake = is_lake(con)
    fix = lake_sql if lake else (lambda sql: sql)
    # only when missing: on DuckLake even a CREATE ... IF NOT EXISTS that changes nothing commits a
    # new snapshot, which would make every connection a "change" of the store
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND schema_name = 'main' AND table_name = 'schema_version'").fetchall()[0][0]:
        con.execute(fix("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"))
    done = {r[0] for r in con.execute("SELECT version FROM schema_version").fetchall()}
    if all(version in done for version, _ in MIGRATIONS):
        return SCHEMA_VERSION
    for version, sql in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if callable(sql):
                sql(con)
            else:
                con.execute(fix(sql))
            con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def connect(db: str | os.PathLike | None = None, *, read_only: bool = False,
            snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
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

    Returns
    -------
    duckdb.DuckDBPyConnection
        With the spatial extension loaded. For a DuckLake store, an in-memory DuckDB instance in
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
        return _connect_lake(lake, read_only or snapshot is not None, snapshot)
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
            _fold_spool(con)   # audit lines of read-only channels written while the store was held
    load_spatial(con)
    return con


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


def _literal(text: str) -> str:
    # ATTACH takes no prepared parameters: its target and options are quoted as SQL literals
    return "'" + str(text).replace("'", "''") + "'"


LAKE_SCHEMA = "CREATE TABLE IF NOT EXISTS id_counters (name VARCHAR NOT NULL, last_id BIGINT NOT NULL)"
"""DuckLake only: the last id drawn per sequence name (the embedded store has real sequences)."""


def _create_id_counters(con: duckdb.DuckDBPyConnection) -> None:
    # one row per sequence from the start, so that every draw is an UPDATE of an existing row:
    # DuckLake refuses the second of two transactions that both changed that row (measured on a
    # PostgreSQL catalog), while two INSERTs of a first row would both commit with the same id
    with transaction(con):
        con.execute(LAKE_SCHEMA)
        for (table, column), seq in _ID_SEQUENCES.items():
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


def _connect_lake(lake: LakeStore, read_only: bool, snapshot: int | None = None) -> duckdb.DuckDBPyConnection:
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
        opts = f"DATA_PATH {_literal(lake.data_path)}" + (", READ_ONLY" if read_only else "")
        if snapshot is not None:
            opts += f", SNAPSHOT_VERSION {int(snapshot)}"
        try:
            con.execute(f"ATTACH {_literal(lake.attach_target)} AS {LAKE} ({opts})")
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
        load_spatial(con)
    except BaseException:
        con.close()
        raise
    return con


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


_ID_SEQUENCES = {("batches", "batch_id"): "batch_seq", ("audit", "audit_id"): "audit_seq",
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
    seq = _ID_SEQUENCES[(table, column)]
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


@dataclass(frozen=True)
class LockHolder:
    """The process that holds a store file, as named by DuckDB's lock error.

    Attributes
    ----------
    pid : int or None
        Process id DuckDB names (``None`` when the message has none).
    program : str or None
        The program DuckDB names (e.g. ``/usr/bin/python3.11``).
    command : str or None
        The holder's command line from ``/proc/<pid>/cmdline`` (Linux), arguments joined by
        spaces, an argument of several lines or over 80 characters shown as ``...``; ``None`` when it cannot be read (another OS, another user's process, ended).
    """

    pid: int | None
    program: str | None
    command: str | None

    @property
    def is_dashboard(self) -> bool:
        """True when the command line is the dashboard's (``intel serve`` or ``streamlit run``)."""
        text = self.command or ""
        return "streamlit" in text or bool(re.search(r"\bintel(\.cli)?\b.*\bserve\b", text))

    def describe(self) -> str:
        """The holder in a few words: ``the dashboard (PID 123: streamlit run app.py ...)``."""
        what = "the dashboard" if self.is_dashboard else "another process"
        how = self.command or self.program
        if self.pid is None:
            return what if how is None else f"{what} ({how})"
        return f"{what} (PID {self.pid}" + (f": {_shorten(how)})" if how else ")")


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    """True when ``exc`` is DuckDB's error for a store file held by another process."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> LockHolder | None:
    """Which process holds the store, from DuckDB's lock error.

    DuckDB (1.5) words it ``Could not set lock on file "<path>": Conflicting lock is held in
    <program> (PID <n>)``; the full command line is then read from ``/proc/<n>/cmdline`` where
    that file exists and is readable.

    Parameters
    ----------
    exc : Exception
        The error raised by ``duckdb.connect``.

    Returns
    -------
    LockHolder or None
        ``None`` when ``exc`` is not a lock error; a holder with ``pid`` None when the message
        names no PID.
    """
    if not is_lock_error(exc):
        return None
    m = _LOCK_RE.search(str(exc))
    if not m:
        return LockHolder(None, None, None)
    pid = int(m.group("pid"))
    command = None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        # a script passed inline (python -c "...") would drown the rest: shown as "..."
        command = " ".join("..." if "\n" in a or len(a) > 80 else a for a in args) or None
    except OSError:
        pass
    return LockHolder(pid, m.group("program").strip() or None, command)


def lock_message(path: str | os.PathLike, exc: BaseException) -> str:
    """One plain sentence for a store that another process holds: what holds it and what to do.

    Parameters
    ----------
    path : path
        The store file that could not be opened.
    exc : Exception
        DuckDB's lock error (see :func:`lock_holder`).

    Returns
    -------
    str
        Names the holding process (PID and command line when they can be read), says that DuckDB
        lets only one process open a store file while it writes, and what to do: stop that process
        (the dashboard) and run the command again, use the dashboard's own pages (Import, Data
        quality, Admin) while it runs, or use a DuckLake store (``INTEL_STORE``) for concurrent use.
    """
    holder = lock_holder(exc) or LockHolder(None, None, None)
    who = holder.describe()
    stop = (f"stop the dashboard (kill {holder.pid}, or Ctrl+C where `intel serve` runs)" if holder.is_dashboard
            and holder.pid else f"stop it{f' (PID {holder.pid})' if holder.pid else ''}")
    return (f"the store {path} is in use by another process: {who} holds it. DuckDB lets one process "
            "open a store file while it writes, and no other process can open it meanwhile, not even to "
            f"read. To go on: {stop} and run the command again; or, while the dashboard runs, import and "
            "decide on its Import and Data quality pages; or, for several processes at once, use a DuckLake "
            "store (INTEL_STORE, see the README, 'Running the dashboard and the CLI at the same time').")


def fault_message(exc: BaseException, path: str | os.PathLike | None = None) -> str:
    """One plain sentence for a store that cannot be opened or written: held by another process,
    damaged, read-only, or on a full disk.

    Parameters
    ----------
    exc : Exception
        What DuckDB (``duckdb.IOException`` and other ``duckdb.Error``) or the OS (``OSError``)
        raised while opening or writing the store.
    path : path, optional
        The store, named in the sentence.

    Returns
    -------
    str
        A lock: :func:`lock_message`. No space left on the device: the disk is full, nothing of
        the change was written. Permission denied, a read-only file system: the store cannot be
        written. Not a DuckDB file, a corrupt block, a file cut short: the store is damaged, and
        how to recover it. Otherwise: the store cannot be used, with DuckDB's text. DuckDB's own
        text is kept in brackets at the end.
    """
    import errno

    text = " ".join(str(exc).split()).removeprefix("IO Error: ")
    low = text.lower()
    code = getattr(exc, "errno", None)
    where = f"the store {path}" if path else "the store"
    if is_lock_error(exc):
        m = re.search(r'file "([^"]*)"', text)
        return lock_message(path or (m.group(1) if m else ""), exc)
    if code == errno.ENOSPC or "no space left" in low or "disk is full" in low or "disk full" in low:
        return (f"the disk holding {where} is full: nothing of this change was written (it was rolled back). "
                f"Free some space and run it again. ({text})")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or any(
            w in low for w in ("permission denied", "read-only file system", "read-only", "operation not permitted")):
        return (f"{where} cannot be written: the file or its folder is read-only for this user. Give this user "
                f"write access, or use a copy, and run it again. ({text})")
    if any(w in low for w in ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                              "invalid wal", "serialization")):
        return (f"{where} is damaged or is not a store of this program, so it cannot be opened. Restore it from a "
                "backup (`intel build --rebuild` keeps the old file beside the new one as <name>.backup-<time>"
                f".duckdb), or build a new one with `intel build`. ({text})")
    return f"{where} cannot be used: {text}"


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


def refresh_incidents(con: duckdb.DuckDBPyConnection) -> None:
    """Set ``incident_id`` (hash of source and incident key) and ``incident_multi`` after rows
    were added. Event counts are then ``count(*)`` over single-row incidents plus
    ``count(DISTINCT incident_id)`` over the others (:data:`EVENTS_SQL`), which is exact and
    avoids a distinct count over every row."""
    con.execute("UPDATE events SET incident_id = hash(source, incident_key), incident_multi = false "
                "WHERE incident_id IS NULL")
    con.execute("""UPDATE events SET incident_multi = true
                   WHERE NOT incident_multi AND incident_id IN (
                       SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) > 1)""")


MULTI_EVENTS_SQL = "count(DISTINCT coalesce({a}incident_id, hash({a}source, {a}incident_key)))"
"""Distinct incidents among rows of incidents of several rows (or not yet refreshed)."""
EVENTS_SQL = ("(count(*) FILTER (WHERE {a}incident_multi = false) + "
              + MULTI_EVENTS_SQL + " FILTER (WHERE {a}incident_multi IS NOT false))")
"""Number of distinct incidents among the grouped rows (``{a}`` is an alias prefix like ``e.``).
Rows not yet refreshed (``incident_multi`` NULL) take the exact distinct path."""


def events_sql(alias: str = "", where: str | None = None) -> str:
    """:data:`EVENTS_SQL` for rows with the column prefix ``alias`` (e.g. ``'e.'``), counting only
    the rows that also satisfy the SQL condition ``where`` when given.

    An incident is its (source, incident key): two agencies' files that both number their
    records 1, 2, 3 are different incidents (a plain ``count(DISTINCT incident_key)`` would
    merge them)."""
    if not where:
        return EVENTS_SQL.format(a=alias)
    a = alias
    return (f"(count(*) FILTER (WHERE {a}incident_multi = false AND ({where})) + "
            f"{MULTI_EVENTS_SQL.format(a=a)} FILTER (WHERE {a}incident_multi IS NOT false AND ({where})))")


def period_sql(column: str, date_from=None, date_to=None) -> tuple[list[str], list]:
    """SQL conditions of the half-open period ``[date_from, date_to)`` of UTC calendar days.

    Parameters
    ----------
    column : str
        Trusted SQL expression of a DATE or TIMESTAMP column, e.g. ``'e.event_date'`` (never
        user input).
    date_from, date_to : str, date or Timestamp, optional
        ISO ``'YYYY-MM-DD'`` strings are passed as given; dates and Timestamps as their UTC
        day. Missing (None, empty, NaN/NaT) means no bound.

    Returns
    -------
    (list of str, list)
        Conditions to AND with others, and their parameters in order.
    """
    parts: list[str] = []
    params: list = []
    for value, op in ((date_from, ">="), (date_to, "<")):
        if value is None or (isinstance(value, str) and not value):
            continue
        if not isinstance(value, str):
            if pd.isna(value):
                continue
            value = pd.Timestamp(value).date().isoformat()
        parts.append(f"{column} {op} CAST(? AS DATE)")
        params.append(value)
    return parts, params


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
    _fold_spool(con)
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


def _fold_spool(con) -> None:
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
    con.execute(f"ATTACH {_literal(str(old_db))} AS _old_store (READ_ONLY)")
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
        _audit_chain_v4(con)
    n, last = con.execute("SELECT count(*), coalesce(max(audit_id), 0) FROM audit").fetchone()
    con.execute("DROP SEQUENCE IF EXISTS audit_seq")
    con.execute(f"CREATE SEQUENCE audit_seq START {int(last) + 1}")   # an integer, not input
    return int(n)


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
