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

Layout
------
:mod:`intel.store.connection` (:func:`connect`), :mod:`intel.store.schema` (migrations),
:mod:`intel.store.lake` (back ends, ids, snapshots, transactions), :mod:`intel.store.extensions`
(offline DuckDB extensions), :mod:`intel.store.auditlog` (the hash-chained audit log),
:mod:`intel.store.faults` (lock and fault messages) and :mod:`intel.store.sqlparts` (event counts
and period conditions shared by the analyses). Every public name is re-exported here, so callers
write ``from intel import store`` and ``store.connect(...)``.
"""
from __future__ import annotations

from intel.config import DEFAULT_DB  # noqa: F401  (the default store file, decided in the configuration layer)
from intel.store.extensions import (  # noqa: F401
    extension_path,
    load_spatial,
    spatial_extension_path,
)
from intel.store.sqlparts import (  # noqa: F401
    EVENTS_SQL,
    MULTI_EVENTS_SQL,
    NON_SPATIAL,
    events_sql,
    period_sql,
    refresh_incidents,
)
from intel.store.lake import (  # noqa: F401
    EMBEDDED_SNAPSHOT,
    LAKE,
    LAKE_SCHEMA,
    LakeStore,
    STORE_DATA_ENV,
    STORE_ENV,
    cursor,
    default_store,
    in_transaction,
    is_lake,
    lake_sql,
    next_id,
    parse_store,
    replace_row,
    rollback_quietly,
    snapshot_id,
    snapshot_label,
    transaction,
)
from intel.store.auditlog import (  # noqa: F401
    AUDIT_COLUMNS,
    AUDIT_RETRIES,
    append_audit,
    audit,
    audit_canonical,
    audit_hash,
    carry_audit,
)
from intel.store.schema import (  # noqa: F401
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate,
)
from intel.store.connection import (  # noqa: F401
    connect,
)
from intel.store.faults import (  # noqa: F401
    LockHolder,
    fault_message,
    is_lock_error,
    lock_holder,
    lock_message,
)
