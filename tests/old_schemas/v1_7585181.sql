-- Migration 1 of intel/store.py as it was at commit 7585181 (schema_version 1), kept to test that
-- stores built by that commit open and upgrade (tests/test_store_upgrade.py).
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
    row_number        INTEGER,
    status            VARCHAR NOT NULL,   -- accepted | unlocated | quarantined | duplicate
    kind              VARCHAR NOT NULL,   -- seizure | recovery | discharge incident | ...
    event_date        DATE,
    date_precision    VARCHAR,            -- day | month | year
    latitude          DOUBLE,             -- WGS84 degrees
    longitude         DOUBLE,
    location_precision VARCHAR,           -- exact | intersection | town | admin-1 | country
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

