"""Command line: the same verbs as the pages, on the same functions.

``intel build`` rebuilds the default store from ``data/``; ``intel import PATH`` imports a file
through the single import path; ``intel serve`` builds the store if it is missing and starts
the dashboard on 127.0.0.1. Analysis verbs (``hotspots``, ``borders``, ``corridors`` ...)
come from their modules' ``cli_*`` files and write the same columns as the pages' exports.
Errors are printed as plain sentences with exit code 2, never as tracebacks.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from intel import store

DB_OPTION = click.option("--db", type=click.Path(dir_okay=False), default=None,
                         help="Store file (default data/intel.duckdb).")


def fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


@click.group(help="Firearms-trafficking route intelligence: store, imports, analyses, dashboard.")
def main() -> None:
    pass


@main.command(help="Rebuild the store from the bundled real sources in data/.")
@DB_OPTION
def build(db):
    from intel.reference import build as do_build

    try:
        s = do_build(db or store.DEFAULT_DB, progress=lambda m: click.echo(m))
    except Exception as e:  # noqa: BLE001 - the CLI reports, it does not crash
        fail(f"build failed, the previous store is unchanged: {e}")
    for line in s.lines():
        click.echo(line)


@main.command("import", help="Import a CSV, XLSX, GeoJSON, GeoPackage, Parquet or GeoParquet file.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@DB_OPTION
@click.option("--profile", default=None, help="Import profile (name in data/profiles or saved in the store, or a .json path).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Write a per-row report (JSON) to this file.")
@click.option("--date-order", type=click.Choice(["dayfirst", "monthfirst", "iso"]), default=None,
              help="Date order when the file's dates are ambiguous.")
@click.option("--crs", default=None, help="CRS of projected coordinates, e.g. EPSG:32630 (converted to WGS84).")
@click.option("--sheet", default=None,
              help="Worksheet of an XLSX file: its name, or its position (1 = first sheet). Default: the only "
                   "visible sheet with a header of known columns.")
@click.option("--layer", default=None,
              help="Layer of a GeoPackage: its name (or position, 1 = first). Default: the only layer of points.")
@click.option("--dedup/--no-dedup", default=True, show_default=True,
              help="Merge probable duplicates reported by another agency into one incident.")
@click.option("--releasability", default=None,
              help="Marking of the batch, e.g. 'REL TO BFA, CIV, MLI' (records without their own take it).")
def import_cmd(path, db, profile, report_path, date_order, crs, sheet, layer, dedup, releasability):
    from intel import ingest, readers

    if sheet is not None and layer is not None:
        fail("give --sheet (a workbook) or --layer (a GeoPackage), not both.")
    sheet = sheet if sheet is not None else layer

    try:
        con = store.connect(db or store.DEFAULT_DB)
    except Exception as e:  # noqa: BLE001
        fail(f"cannot open the store: {e}")
    if releasability:
        from intel import auth

        try:
            rels = auth.parse_releasability(releasability)
        except ValueError as e:
            fail(f"the releasability is not readable: {e}")
        prof = ingest.load_profile(profile, con) if isinstance(profile, str) else None
        if rels:
            base = prof or {"name": None, "source": Path(path).stem, "kind": "seizure", "columns": None}
            profile = {**base, "constants": {**(base.get("constants") or {}), "releasability": auth.marking_for(rels)}}
    try:
        r = ingest.import_file(con, path, profile, date_order=date_order, crs=crs, sheet=sheet,
                               user=os.environ.get("INTEL_USER", "cli"), dedup=dedup)
    except ingest.NeedsChoice as e:
        fail(f"{e} Re-run with --{e.choice.replace('_', '-')} {'|'.join(e.options)}.")
    except (readers.ReadError, ingest.ImportError_, ValueError, OSError) as e:
        fail(f"import failed, the store is unchanged: {e}")
    finally:
        pass
    click.echo(r.summary())
    for w in r.warnings:
        click.echo(f"warning: {w}")
    if report_path:
        rep = ingest.report_frame(r)
        rows = json.loads(rep.to_json(orient="records", force_ascii=False)) if len(rep) else []
        Path(report_path).write_text(json.dumps({
            "file": r.file_name, "sha256": r.sha256, "batch_id": r.batch_id, "already_imported": r.already_imported,
            "rows_read": r.rows_read, "accepted": r.accepted, "quarantined": r.quarantined, "rejected": r.rejected,
            "warnings": r.warnings, "rows": rows}, ensure_ascii=False, indent=1), encoding="utf-8")
        click.echo(f"report: {report_path}")
    con.close()


@main.group("batches", help="Import batches: list them, or delete one (undo an import).")
def batches_grp() -> None:
    pass


@batches_grp.command("list", help="List the import batches, newest first.")
@DB_OPTION
def batches_list(db):
    from intel import ingest

    try:
        con = store.connect(db or store.DEFAULT_DB, read_only=True)
    except Exception as e:  # noqa: BLE001
        fail(f"cannot open the store: {e}")
    df = ingest.list_batches(con)
    con.close()
    if not len(df):
        click.echo("no import batches")
        return
    click.echo(df.to_string(index=False))


@batches_grp.command("delete", help="Delete one import batch with its records and quarantine rows "
                                    "(one transaction, audited).")
@click.argument("batch_id", type=int)
@DB_OPTION
@click.option("--yes", is_flag=True, default=False, help="Delete without asking for confirmation.")
def batches_delete(batch_id, db, yes):
    from intel import ingest

    try:
        con = store.connect(db or store.DEFAULT_DB)
    except Exception as e:  # noqa: BLE001
        fail(f"cannot open the store: {e}")
    b = ingest.list_batches(con)
    b = b[b["batch_id"] == batch_id]
    if not len(b):
        con.close()
        fail(f"there is no import batch {batch_id}; `intel batches list` shows the batches.")
    r = b.iloc[0]
    if not yes and not click.confirm(f"Delete batch {batch_id} ({r['file_name']}: {int(r['records'])} records and "
                                     f"their quarantine rows)?", default=False):
        con.close()
        click.echo("nothing deleted")
        return
    try:
        out = ingest.delete_batch(con, batch_id, user=os.environ.get("INTEL_USER", "cli"))
    except (ingest.ImportError_, Exception) as e:  # noqa: BLE001 - the CLI reports, it does not crash
        con.close()
        fail(f"the batch could not be deleted, the store is unchanged: {e}")
    con.close()
    click.echo(f"batch {out['batch_id']} ({out['file_name']}) deleted: {out['events']} records and "
               f"{out['quarantine']} quarantine rows removed"
               + (f"; {out['restored']} duplicate(s) of other batches count again" if out["restored"] else "") + ".")


@main.command(help="Build the store if missing and start the dashboard on 127.0.0.1.")
@DB_OPTION
@click.option("--port", default=8501, show_default=True)
def serve(db, port):
    from intel.reference import ensure_store

    dbp = Path(db or store.DEFAULT_DB)
    try:
        ensure_store(dbp, progress=lambda m: click.echo(m))
    except Exception as e:  # noqa: BLE001
        fail(f"cannot build the store: {e}")
    app = Path(__file__).resolve().parent.parent / "app.py"
    env = dict(os.environ, INTEL_DB=str(dbp.resolve()))
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    click.echo(f"dashboard: http://127.0.0.1:{port}")
    sys.exit(subprocess.call(cmd, env=env, cwd=str(app.parent)))


def _add_optional_commands() -> None:
    """Attach the analysis verbs of the modules that are present."""
    import importlib

    for mod, names in (("intel.cli_hotspots", ("hotspots_cmd", "emerging_cmd")),
                       ("intel.cli_borders", ("borders_cmd", "bypass_cmd", "crossings_cmd")),
                       ("intel.cli_corridors", ("corridors_cmd", "flows_cmd")),
                       ("intel.cli_planner", ("targets_cmd", "backtest_cmd")),
                       ("intel.cli_briefing", ("briefing_cmd",)),
                       ("intel.cli_admin", ("audit_cmd", "users_cmd"))):
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        for n in names:
            cmd = getattr(m, n, None)
            if cmd is not None:
                main.add_command(cmd)


_add_optional_commands()

if __name__ == "__main__":
    main()
