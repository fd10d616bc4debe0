"""Reference tables and the default store build.

``intel build`` rebuilds the default store from the bundled real sources in ``data/sources``
(provenance in ``data/README.md``):

* countries and admin-1 units from Natural Earth 1:10m (generalised GeoPackage), geometry as
  WKB (EPSG:4326); Kosovo, ``-99`` in Natural Earth, is stored as ``XKX``;
* UN/LOCODE 2012-1 border-crossing points (alpha-2 country codes converted to alpha-3);
* the UNODC Illicit Arms Flows Questionnaire country-year indicators;
* the ATF source-to-recovery state flows (through :mod:`intel.corridors`);
* the Toronto incidents, the CBP seizures, the Colombian and Ecuadorian seizure registers and
  the Rio de Janeiro counts per precinct area and month (:data:`REGISTERS`), imported through
  :func:`intel.ingest.import_file` with their profiles -- the same road every user file takes.

The store is written to a temporary file and moved into place only when everything
succeeded, so a failed build leaves the previous store untouched, and two builds give the
same counts.

A build never destroys user data, and never the audit log: the old store's audit lines are copied
into the new store first (:func:`intel.store.carry_audit`, chain and ids as they were) and the
build's own lines continue that hash chain. Before building, :func:`user_data` counts what the existing
store holds beyond what a build writes itself: import batches not made by the build, audit lines
written after it, saved profiles and settings. When there is any, :func:`build` refuses
(:class:`StoreHoldsUserData`, one sentence naming the counts) unless ``rebuild=True`` (``intel build
--rebuild``); then the old file is kept beside the new one as ``<name>.backup-<UTC time>.duckdb``
(:func:`backup_path`, with its ``.wal`` when it has one) and the summary names it. A store that
cannot be read is treated as holding user data.

:func:`refresh` (``intel build --refresh``) is the way to bring new reference tables into a store
that holds user data: in one transaction it replaces the reference tables (countries, admin-1,
crossings, country statistics, the ATF flows) and imports any bundled register not yet in the
store, leaving every import, quarantine decision and audit line as it was.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry

from intel import store
from intel.config import NATURAL_EARTH_GPKG, SOURCES_DIR
from intel.corridors import ATF_CSV, ATF_SOURCE, load_atf_flows
from intel.ingest import import_file

TORONTO = SOURCES_DIR / "incidents" / "toronto_shootings_firearm_discharges_2004_2024.csv"
CBP = SOURCES_DIR / "seizures" / "cbp_weapons_seizures_fy22_25.csv"
UNODC = SOURCES_DIR / "country_stats" / "unodc_iafq_firearms_trafficking.xlsx"
UNLOCODE = SOURCES_DIR / "crossings" / "unlocode_border_crossings_2012-1.csv"
COLOMBIA = SOURCES_DIR / "latam" / "colombia" / "incautacion_armas_de_fuego_2019_q1.csv"
ECUADOR = SOURCES_DIR / "latam" / "ecuador" / "mdi_armasilicitas_pm_2023_enero_noviembre.csv"
RIO = SOURCES_DIR / "latam" / "brazil_rj" / "ArmasApreendidasEvolucaoCisp.csv"

REGISTERS = [
    (TORONTO, "toronto_tps"),
    (CBP, "cbp_weapons_seizures"),
    (COLOMBIA, "colombia_policia_incautaciones"),
    (ECUADOR, "ecuador_mdi_armas_ilicitas"),
    (RIO, "isp_rj_armas_apreendidas_cisp"),
]
"""The bundled registers and their profiles, imported in this order by :func:`build`."""


def _iso3_fix(iso3: str, iso2: str | None) -> str | None:
    if iso3 and iso3 != "-99":
        return iso3
    if iso2 == "XK":
        return "XKX"
    return None


def load_countries(con, path: Path = NATURAL_EARTH_GPKG) -> int:
    """Fill ``countries`` from the Natural Earth countries layer. Returns rows inserted."""
    g = gpd.read_file(path, layer="countries")
    g["iso3"] = [_iso3_fix(a, b) for a, b in zip(g["ISO_A3"], g["iso_a2"])]
    g = g[g["iso3"].notna()].dissolve(by="iso3", as_index=False, aggfunc="first")
    b = g.geometry.bounds
    df = pd.DataFrame({
        "iso3": g["iso3"], "name": g["NAME"], "continent": None, "region": None,
        "min_lon": b["minx"], "min_lat": b["miny"], "max_lon": b["maxx"], "max_lat": b["maxy"],
        "geom_wkb": g.geometry.to_wkb(),
    })
    con.register("_c", df)
    con.execute("INSERT INTO countries SELECT * FROM _c")
    con.unregister("_c")
    return len(df)


def load_admin1(con, path: Path = NATURAL_EARTH_GPKG) -> int:
    """Fill ``admin1`` from the Natural Earth states_provinces layer. Returns rows inserted."""
    g = gpd.read_file(path, layer="states_provinces")
    cols = {c.lower(): c for c in g.columns}
    a3 = g[cols.get("adm0_a3", "adm0_a3")].replace({"KOS": "XKX"})
    name = g[cols.get("name", "name")]
    b = g.geometry.bounds
    ids = [f"{c}-{i:05d}" for i, c in enumerate(a3)]
    df = pd.DataFrame({"admin1_id": ids, "country_iso3": a3, "name": name,
                       "min_lon": b["minx"], "min_lat": b["miny"], "max_lon": b["maxx"], "max_lat": b["maxy"],
                       "geom_wkb": g.geometry.to_wkb()})
    con.register("_a", df)
    con.execute("INSERT INTO admin1 SELECT * FROM _a")
    con.unregister("_a")
    return len(df)


def load_unlocode_crossings(con, path: Path = UNLOCODE, batch_id: int | None = None) -> int:
    """Fill ``crossings`` with UN/LOCODE entries that have the border-crossing function (B) and
    coordinates. The other country of the pair is filled later by :mod:`intel.borders`
    (nearest border). Returns rows inserted."""
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d = d[(d["function-border"] == "B") & (d["lat"] != "") & (d["lon"] != "")]
    # a code listed twice (alternative names in brackets) is one place: keep the first entry
    d = d.drop_duplicates(subset="code", keep="first")

    def a3(a2):
        if a2 == "XK":
            return "XKX"
        c = pycountry.countries.get(alpha_2=a2)
        return c.alpha_3 if c else None

    df = pd.DataFrame({
        "crossing_id": "UNLOCODE:" + d["code"], "name": d["name"], "country_iso3": d["country"].map(a3),
        "other_iso3": None, "latitude": d["lat"].astype(float), "longitude": d["lon"].astype(float),
        "crossing_type": np.where(d["function-road"] == "3", "road", np.where(d["function-rail"] == "2", "rail", "other")),
        "source": "UN/LOCODE 2012-1", "batch_id": batch_id,
    })
    con.register("_x", df)
    con.execute("INSERT INTO crossings SELECT * FROM _x")
    con.unregister("_x")
    return len(df)


def load_unodc(con, path: Path = UNODC, batch_id: int | None = None) -> int:
    """Fill ``country_stats`` with the UNODC IAFQ export (two header rows skipped)."""
    d = pd.read_excel(path, skiprows=2, dtype={"Iso3_code": str})
    df = pd.DataFrame({
        "iso3": d["Iso3_code"], "country": d["Country"], "region": d["Region"], "subregion": d["Subregion"],
        "indicator": d["Indicator"], "dimension": d["Dimension"], "category": d["Category"], "sex": d["Sex"],
        "age": d["Age"], "year": pd.to_numeric(d["Year"], errors="coerce").astype("Int64"),
        "unit": d["Unit of measurement"], "value": pd.to_numeric(d["VALUE"], errors="coerce"),
        "source": "UNODC IAFQ (export 26/08/2024)", "batch_id": batch_id,
    })
    con.register("_s", df)
    con.execute("INSERT INTO country_stats SELECT * FROM _s")
    con.unregister("_s")
    return len(df)


@dataclass
class BuildSummary:
    db: str
    counts: dict
    imports: list
    backup: str | None = None   # where the replaced store was kept (``--rebuild`` of a store with user data)

    def lines(self) -> list[str]:
        out = [f"store: {self.db}"]
        if self.backup:
            out.append(f"previous store kept as: {self.backup}")
        out += [f"  {k}: {v}" for k, v in self.counts.items()]
        out += [f"  import {r.summary()}" for r in self.imports]
        return out


def table_counts(con) -> dict:
    """Row counts of the main tables (what two builds must agree on)."""
    q = {
        "events accepted": "SELECT count(*) FROM events WHERE status='accepted'",
        "events unlocated": "SELECT count(*) FROM events WHERE status='unlocated'",
        "events quarantined": "SELECT count(*) FROM events WHERE status='quarantined'",
        "quarantine rows": "SELECT count(*) FROM quarantine",
        "batches": "SELECT count(*) FROM batches",
        "countries": "SELECT count(*) FROM countries",
        "admin1": "SELECT count(*) FROM admin1",
        "crossings": "SELECT count(*) FROM crossings",
        "flows": "SELECT count(*) FROM flows",
        "country_stats": "SELECT count(*) FROM country_stats",
        "areas": "SELECT count(*) FROM areas",
        "area_counts": "SELECT count(*) FROM area_counts",
    }
    return {k: con.execute(v).fetchone()[0] for k, v in q.items()}


BUILD_USER = "build"
"""User name under which a build writes its batches and audit lines."""


class StoreHoldsUserData(ValueError):
    """The store to be rebuilt holds imports or audit lines of its users (``intel build`` refuses)."""


def user_data(db: str | os.PathLike) -> dict[str, int]:
    """Count what the store file ``db`` holds beyond what :func:`build` writes itself.

    Parameters
    ----------
    db : path of an existing DuckDB store file.

    Returns
    -------
    dict
        ``imports`` (batches not imported by the build), ``audit`` (audit lines after the build's
        closing ``build`` line, or all of them when there is none), ``profiles`` (saved import profiles), ``settings`` (changed settings). All 0
        for a store fresh from a build. ``{"unreadable": 1}`` when the file cannot be opened or
        read (damaged, or not a store): treated as user data.
    """
    import duckdb

    queries = {
        "imports": "SELECT count(*) FROM batches WHERE imported_by IS DISTINCT FROM ?",
        # the build's own lines end with its 'build' line (loaders log under the running user)
        "audit": "SELECT count(*) FROM audit WHERE audit_id > coalesce((SELECT max(audit_id) FROM audit "
                 "WHERE action = 'build' AND user_name = ?), 0)",
        "profiles": "SELECT count(*) FROM profiles WHERE ? IS NOT NULL",
        "settings": "SELECT count(*) FROM settings WHERE ? IS NOT NULL",
    }
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return {"unreadable": 1}
    try:
        out = {}
        for name, sql in queries.items():
            try:
                out[name] = int(con.execute(sql, [BUILD_USER]).fetchone()[0])
            except duckdb.CatalogException:   # a table an old store does not have: nothing in it
                out[name] = 0
        return out
    except duckdb.Error:
        return {"unreadable": 1}
    finally:
        con.close()


def backup_path(db: str | os.PathLike, when: datetime | None = None) -> Path:
    """Where :func:`build` keeps the old store: beside it, ``<stem>.backup-<YYYYmmddTHHMMSSZ><suffix>``.

    ``when`` defaults to now (UTC). A name already taken gets ``-2``, ``-3``, ... appended to the stamp.
    """
    db = Path(db)
    stamp = (when or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    cand = db.with_name(f"{db.stem}.backup-{stamp}{db.suffix}")
    n = 2
    while cand.exists():
        cand = db.with_name(f"{db.stem}.backup-{stamp}-{n}{db.suffix}")
        n += 1
    return cand


def _load_reference(con, progress) -> None:
    """Load every reference table and the ATF flows (build and refresh share this)."""
    progress("reference: countries, admin-1 (Natural Earth)")
    load_countries(con)
    load_admin1(con)
    progress("reference: UN/LOCODE border crossings")
    load_unlocode_crossings(con)
    progress("reference: UNODC country statistics")
    load_unodc(con)
    progress("flows: ATF source-to-recovery")
    load_atf_flows(con, ATF_CSV)


def build(db: str | os.PathLike | None = None, progress=print, *, rebuild: bool = False) -> BuildSummary:
    """Rebuild the store at ``db`` from the bundled real sources.

    Written to ``<db>.tmp`` then moved into place: the old store stays until the new one is
    complete.

    Parameters
    ----------
    db : path, optional
        Store file (default :data:`intel.store.DEFAULT_DB`).
    progress : callable(str)
        Called with one line per step.
    rebuild : bool
        Replace a store that holds user data (:func:`user_data`), keeping the old file beside it
        (:func:`backup_path`). Without it such a store is left untouched and the build refuses.

    Returns
    -------
    BuildSummary
        ``backup`` names the kept old file, when one was kept.

    Raises
    ------
    StoreHoldsUserData
        The store holds user data and ``rebuild`` is false (checked before anything is built).
    """
    db = Path(db or store.DEFAULT_DB)
    held = {k: v for k, v in user_data(db).items() if v} if db.exists() else {}
    if held and not rebuild:
        what = ", ".join(f"{v} {k}" for k, v in held.items()).replace("1 unreadable", "a store that cannot be read")
        raise StoreHoldsUserData(
            f"{db} holds user data ({what}); `intel build` would replace it. Nothing was changed. To reload only the "
            f"reference tables and keep it, run `intel build --refresh`; to replace it anyway, keeping the old file "
            f"as a backup beside it, run `intel build --rebuild`.")
    tmp = db.with_suffix(db.suffix + ".tmp")
    for p in (tmp, Path(str(tmp) + ".wal")):
        if p.exists():
            p.unlink()
    con = store.connect(tmp)
    imports = []
    try:
        if db.exists() and "unreadable" not in held:   # the audit log outlives every build
            try:
                n = store.carry_audit(con, db)
            except Exception as e:  # noqa: BLE001 - then the old file is kept whole as the backup
                raise StoreHoldsUserData(f"the audit log of {db} could not be read ({e}); nothing was changed.") from e
            if n:
                progress(f"audit log: {n} lines kept from the previous store")
        _load_reference(con, progress)
        for path, prof in REGISTERS:
            progress(f"import: {path.name} (profile {prof})")
            r = import_file(con, path, prof, user=BUILD_USER)
            progress("  " + r.summary())
            imports.append(r)
        store.audit(con, "build", {"imports": [r.file_name for r in imports]}, BUILD_USER)
        counts = table_counts(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    wal = Path(str(db) + ".wal")
    backup = None
    if held and db.exists():   # rebuild: the old file (and its WAL) kept beside the new one
        backup = backup_path(db)
        shutil.move(str(db), str(backup))
        if wal.exists():
            shutil.move(str(wal), str(backup) + ".wal")
        progress(f"the previous store is kept as {backup}")
    if db.exists():
        db.unlink()
    if wal.exists():
        wal.unlink()
    shutil.move(str(tmp), str(db))
    return BuildSummary(str(db), counts, imports, backup=str(backup) if backup else None)


REFERENCE_TABLES = ("countries", "admin1", "crossings", "country_stats")
"""Tables that only the build writes (replaced whole by :func:`refresh`); plus the ATF rows of ``flows``."""


def refresh(db: str | os.PathLike | None = None, progress=print) -> BuildSummary:
    """Reload the reference tables of an existing store in place, keeping its imports and audit log.

    In one transaction: the rows of :data:`REFERENCE_TABLES` and the ATF flows
    (``flows.source = ATF_SOURCE``) are deleted and loaded again from ``data/``, every bundled
    register not yet imported is imported (one already there is left as it is: imports are
    idempotent), and an audit line ``build.refresh`` is written. A failure changes nothing.

    Parameters
    ----------
    db : path, optional
        Existing store file (default :data:`intel.store.DEFAULT_DB`).
    progress : callable(str)

    Returns
    -------
    BuildSummary
        Table counts after the refresh and the register imports (``already_imported`` when kept).

    Raises
    ------
    FileNotFoundError
        The store does not exist (run :func:`build`).
    """
    db = Path(db or store.DEFAULT_DB)
    if not db.exists():
        raise FileNotFoundError(f"store {db} does not exist; run `intel build` first")
    con = store.connect(db)
    imports = []
    try:
        with store.transaction(con):
            for t in REFERENCE_TABLES:
                con.execute(f"DELETE FROM {t}")   # trusted names, not input
            con.execute("DELETE FROM flows WHERE source = ?", [ATF_SOURCE])
            _load_reference(con, progress)
            for path, prof in REGISTERS:
                r = import_file(con, path, prof, user=BUILD_USER, in_transaction=False)
                progress(f"import: {path.name}: " + ("already in the store" if r.already_imported else r.summary()))
                imports.append(r)
            store.audit(con, "build.refresh", {"reference_tables": list(REFERENCE_TABLES) + ["flows (ATF)"]},
                        BUILD_USER)
        counts = table_counts(con)
    finally:
        con.close()
    return BuildSummary(str(db), counts, imports)


def ensure_store(db: str | os.PathLike | None = None, progress=print) -> Path:
    """Build the default store when it is missing (the run command calls this)."""
    db = Path(db or store.DEFAULT_DB)
    if not db.exists():
        build(db, progress)
    return db
