"""The store's schema: the ordered, numbered migrations and the function that applies them.

Part of :mod:`intel.store` (the tables are described there). :data:`MIGRATIONS` is applied in
order by :func:`migrate`, which records each in ``schema_version``, so an old store is upgraded
in place and a new one is built by the same steps; an applied migration is never edited (a new
one is added). On a DuckLake store each migration is applied as :func:`intel.store.lake.lake_sql`
rewrites it.
"""
from __future__ import annotations

import re

import duckdb

from intel.store.auditlog import audit_chain_v4
from intel.store.lake import is_lake, lake_sql
from intel.store.sqlparts import refresh_incidents


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
        # chained in audit_id order (see audit_chain_v4).
        lambda con: audit_chain_v4(con),
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
