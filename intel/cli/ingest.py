"""CLI verbs of the one road in: ``intel build`` and ``intel import PATH``.

Where this sits: a thin layer over :mod:`intel.reference` (the bundled real sources) and
:mod:`intel.ingest` (the single import path the Import page also calls). ``build`` rebuilds the
store from ``data/`` (the previous store stays unchanged when it fails, and a store holding user
data is replaced only with ``--rebuild``, its old file kept as a backup beside it); ``import`` reads one CSV,
XLSX, GeoJSON, GeoPackage, Parquet or GeoParquet file into the store, prints the batch summary
(with the records new, updated and unchanged when a file re-imports records by their source record
id) and its warnings, and with ``--report`` writes the per-row report as JSON. ``batches`` lists
the import batches, deletes one (undo an import) or changes one's releasability marking
(``intel batches marking BATCH_ID MARKING``, audited).

Options of ``import`` are listed in :data:`IMPORT_OPTIONS` and passed to
:func:`intel.ingest.import_file` by name, so a new reader option is one entry there and one
keyword in the call.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from intel.cli.errors import IntelCommand, IntelGroup, fail
from intel.cli.options import apply_options, check_not_held, db_option, open_store

__all__ = ["build_cmd", "import_cmd", "batches_cmd", "IMPORT_OPTIONS"]


@click.command("build", cls=IntelCommand,
               help="Rebuild the store from the bundled real sources in data/. Refuses a store that holds "
                    "imports, audit lines, saved profiles or settings of its users unless --rebuild is given.")
@db_option
@click.option("--rebuild", is_flag=True, default=False,
              help="Replace a store that holds user data; the old file is kept beside it as "
                   "<name>.backup-<UTC time>.duckdb.")
@click.option("--refresh", is_flag=True, default=False,
              help="Keep the store and its imports: reload only the reference tables (countries, admin-1, "
                   "crossings, country statistics, ATF flows) and import bundled registers not yet in it.")
def build_cmd(db, rebuild, refresh):
    from intel.reference import StoreHoldsUserData, build as do_build, refresh as do_refresh

    from intel.store import parse_store

    if parse_store(str(db)) is not None:
        fail(f"{db} is a DuckLake store: `intel build` rebuilds an embedded DuckDB file only (not yet a DuckLake "
             "store, issue 18); build one with --db FILE.duckdb, or bring files into the DuckLake store with "
             "`intel import FILE --db STORE`.")
    check_not_held(db)  # never replace the file under a running dashboard
    if refresh and rebuild:
        fail("give --refresh (keep the store, reload reference tables) or --rebuild (replace it), not both.")
    if refresh:
        try:
            s = do_refresh(db, progress=lambda m: click.echo(m))
        except Exception as e:  # noqa: BLE001 - one transaction: nothing changed; one sentence
            fail(f"refresh failed, the store is unchanged: {e}")
        for line in s.lines():
            click.echo(line)
        return
    try:
        s = do_build(db, progress=lambda m: click.echo(m), rebuild=rebuild)
    except StoreHoldsUserData as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001 - any failure leaves the previous store; one sentence
        fail(f"build failed, the previous store is unchanged: {e}")
    for line in s.lines():
        click.echo(line)


IMPORT_OPTIONS = [
    click.option("--profile", default=None,
                 help="Import profile (name in data/profiles or saved in the store, or a .json path)."),
    click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
                 help="Write a per-row report (JSON) to this file."),
    click.option("--date-order", type=click.Choice(["dayfirst", "monthfirst", "iso"]), default=None,
                 help="Date order when the file's dates are ambiguous."),
    click.option("--crs", default=None, help="CRS of projected coordinates, e.g. EPSG:32630 (converted to WGS84)."),
    click.option("--sheet", default=None,
                 help="Worksheet of an XLSX file: its name, or its position (1 = first sheet). Default: the only "
                      "visible sheet with a header of known columns."),
    click.option("--layer", default=None,
                 help="Layer of a GeoPackage: its name (or position, 1 = first). Default: the only layer of points."),
    click.option("--dedup/--no-dedup", default=True, show_default=True,
                 help="Merge probable duplicates reported by another agency into one incident."),
    click.option("--releasability", default=None,
                 help="Marking of the batch, e.g. 'REL TO BFA, CIV, MLI', 'REL TO FVEY' or 'NOFORN' (a record's own "
                      "marking can only narrow it)."),
]
"""Options of ``intel import`` (besides ``PATH`` and ``--db``), in the order of ``--help``."""


def _with_releasability(con, path: str, profile, releasability: str):
    """The profile with the batch marking as a constant column (records without their own take it)."""
    from intel import auth, ingest

    try:
        marking = auth.canonical_marking(releasability)   # groups expanded; NOFORN kept
    except ValueError as e:
        fail(f"the releasability is not readable: {e}")
    if marking is None:
        return profile
    prof = ingest.load_profile(profile, con) if isinstance(profile, str) else None
    base = prof or {"name": None, "source": Path(path).stem, "kind": "seizure", "columns": None}
    return {**base, "constants": {**(base.get("constants") or {}), "releasability": marking}}


def _write_report(r, report_path: str) -> None:
    from intel import import_result

    rep = import_result.report_frame(r)
    rows = json.loads(rep.to_json(orient="records", force_ascii=False)) if len(rep) else []
    Path(report_path).write_text(json.dumps({
        "file": r.file_name, "sha256": r.sha256, "batch_id": r.batch_id, "already_imported": r.already_imported,
        "rows_read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined, "rejected": r.rejected,
        "new": r.new, "updated": r.updated, "unchanged": r.unchanged, "warnings": r.warnings, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"report: {report_path}")


IMPORT_ATTEMPTS = 6
"""How many times ``intel import`` tries a DuckLake commit that another writer refused."""


def _import_retrying(con, run):
    """Run the import ``run()``; on a DuckLake store, run it again when its commit was refused
    because another process committed first (two imports at once: "Transaction conflict" on a
    PostgreSQL catalog, "database is locked" on SQLite), up to :data:`IMPORT_ATTEMPTS` times with
    a short random pause. Safe because an import is one transaction that either lands whole or
    leaves nothing, and a file already in the store is recognised (by its SHA-256) and not
    imported twice. The embedded store (one writing process) never retries.
    """
    import random
    import time

    import duckdb

    from intel.store import is_lake

    lake = is_lake(con)
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            return run()
        except duckdb.TransactionException:
            if not lake or attempt == IMPORT_ATTEMPTS:
                raise
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass   # the refused commit already ended the transaction
            click.echo(f"another process committed to the store first; importing again ({attempt + 1} of "
                       f"{IMPORT_ATTEMPTS})", err=True)
            time.sleep(random.uniform(0.1, 0.5) * attempt)


@click.command("import", cls=IntelCommand,
               help="Import a CSV, XLSX, GeoJSON, GeoPackage, Parquet or GeoParquet file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@apply_options(IMPORT_OPTIONS)
def import_cmd(path, db, profile, report_path, date_order, crs, sheet, layer, dedup, releasability):
    from intel import ingest

    if sheet is not None and layer is not None:
        fail("give --sheet (a workbook) or --layer (a GeoPackage), not both.")
    sheet = sheet if sheet is not None else layer
    con = open_store(db, read_only=False)
    try:
        if releasability:
            profile = _with_releasability(con, path, profile, releasability)
        try:
            r = _import_retrying(con, lambda: ingest.import_file(
                con, path, profile, date_order=date_order, crs=crs, sheet=sheet,
                user=os.environ.get("INTEL_USER", "cli"), dedup=dedup))
        except ingest.NeedsChoice as e:
            fail(f"{e} Re-run with --{e.choice.replace('_', '-')} {'|'.join(e.options)}.")
        except (ValueError, OSError) as e:  # ReadError and ImportError_ are ValueErrors
            fail(f"import failed, the store is unchanged: {e}")
        click.echo(r.summary())
        from intel.store import snapshot_id

        snap = snapshot_id(con)
        if snap is not None:   # a DuckLake store: the snapshot to read the store as of this import
            click.echo(f"store snapshot: {snap}")
        for w in r.warnings:
            click.echo(f"warning: {w}")
        if report_path:
            _write_report(r, report_path)
    finally:
        con.close()


@click.group("batches", cls=IntelGroup, help="Import batches: list them, or delete one (undo an import).")
def batches_cmd() -> None:
    pass


@batches_cmd.command("list", help="List the import batches, newest first.")
@db_option
def batches_list(db):
    from intel import ingest

    con = open_store(db, read_only=True)
    try:
        df = ingest.list_batches(con)
    finally:
        con.close()
    click.echo(df.to_string(index=False) if len(df) else "no import batches")


@batches_cmd.command("delete", help="Delete one import batch with its records and quarantine rows "
                                    "(one transaction, audited).")
@click.argument("batch_id", type=int)
@db_option
@click.option("--yes", is_flag=True, default=False, help="Delete without asking for confirmation.")
def batches_delete(batch_id, db, yes):
    from intel import ingest

    con = open_store(db, read_only=False)
    try:
        b = ingest.list_batches(con)
        b = b[b["batch_id"] == batch_id]
        if not len(b):
            fail(f"there is no import batch {batch_id}; `intel batches list` shows the batches.")
        r = b.iloc[0]
        if not yes and not click.confirm(f"Delete batch {batch_id} ({r['file_name']}: {int(r['records'])} records "
                                         "and their quarantine rows)?", default=False):
            click.echo("nothing deleted")
            return
        try:
            out = ingest.delete_batch(con, batch_id, user=os.environ.get("INTEL_USER", "cli"))
        except ValueError as e:
            fail(f"the batch could not be deleted, the store is unchanged: {e}")
    finally:
        con.close()
    click.echo(f"batch {out['batch_id']} ({out['file_name']}) deleted: {out['events']} records and "
               f"{out['quarantine']} quarantine rows removed"
               + (f"; {out['restored']} duplicate(s) of other batches count again" if out["restored"] else "") + ".")


def _cli_user():
    """The account the CLI acts as: ``$INTEL_USER`` (default ``cli``), an administrator (whoever
    runs the CLI holds the store file itself)."""
    from intel import auth

    name = os.environ.get("INTEL_USER", "cli")
    try:
        return auth.User(name, "admin")
    except ValueError:
        return auth.User("cli", "admin")


@batches_cmd.command("marking", help="Change the releasability marking of one import batch, e.g. "
                                     "`intel batches marking 3 'REL TO BFA, CIV'` ('' or UNRESTRICTED for none; "
                                     "one transaction, audited with the old and new marking).")
@click.argument("batch_id", type=int)
@click.argument("marking")
@db_option
def batches_marking(batch_id, marking, db):
    from intel import ingest

    con = open_store(db, read_only=False)
    try:
        try:
            out = ingest.set_batch_marking(con, batch_id, marking, _cli_user())
        except (ValueError, PermissionError) as e:
            fail(f"the marking was not changed: {e}")
    finally:
        con.close()
    if not out["changed"]:
        click.echo(f"batch {out['batch_id']} ({out['file_name']}) is already marked "
                   f"{out['new'] or 'UNRESTRICTED'}; nothing changed.")
        return
    click.echo(f"batch {out['batch_id']} ({out['file_name']}): marking {out['old'] or 'UNRESTRICTED'} -> "
               f"{out['new'] or 'UNRESTRICTED'}; {out['events']} records changed with it.")
