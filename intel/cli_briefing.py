"""CLI verb ``intel briefing``: the briefing pack PDF (and a PNG of each figure) from the store.

It calls the same function as the Trends and briefing page's button
(:func:`intel.briefing.make_briefing`) and renders on the server, offline, without a browser::

    intel briefing --db data/intel.duckdb --period 2024-01-01:2025-06-01 --out briefing.pdf \\
        --marking "RESTRICTED" --source cbp_weapons_seizures

``--period`` is a half-open period ``FROM:TO`` of UTC days (either side may be empty), or
``YYYY`` or ``YYYY-MM``; without it the whole store is used. The PNGs are written next to the PDF
as ``<name>_<figure>.png``. A failure prints one plain sentence and exits with status 2.

The lead's ``intel/cli.py`` adds ``briefing_cmd`` automatically.
"""
from __future__ import annotations

from pathlib import Path

import click


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    raise click.exceptions.Exit(2)


@click.command("briefing", help="Render the briefing pack (PDF plus one PNG per figure) from the store.")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help="Store file (default data/intel.duckdb).")
@click.option("--period", default=None,
              help="Half-open period FROM:TO of UTC days (ISO dates; either side may be empty), YYYY or YYYY-MM. "
                   "Default: all data.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="PDF file to write.")
@click.option("--marking", default=None, help="Marking line at top and bottom of every page (default: setting 'marking').")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--res", "map_res", type=click.IntRange(3, 9), default=None, help="H3 resolution of the map.")
@click.option("--hotspot-res", type=click.IntRange(3, 9), default=None, help="H3 resolution of the hot spots.")
@click.option("--no-hotspots", is_flag=True, help="Skip the hot spot computation.")
@click.option("--trigger", default=None,
              help="Comma-separated ISO3 list for the Trigger countries (default: the editable 15-country list).")
def briefing_cmd(db, period, out, marking, sources, map_res, hotspot_res, no_hotspots, trigger):
    from intel import briefing, store, trends

    if not str(out).lower().endswith(".pdf"):
        _fail(f"--out must name a .pdf file, got {out}.")
    try:
        date_from, date_to = briefing.parse_period(period)
    except ValueError as e:
        _fail(f"{e}.")
    path = Path(db) if db else store.DEFAULT_DB
    if not path.exists():
        _fail(f"the store {path} does not exist; run `intel build` first.")
    try:
        try:
            con = store.connect(path, read_only=True)
        except Exception:  # noqa: BLE001 - this process already holds the file read-write (tests, app)
            con = store.connect(path)
    except Exception as e:  # noqa: BLE001
        _fail(f"cannot open the store {path}: {e}")
    trig = tuple(t.strip().upper() for t in trigger.split(",") if t.strip()) if trigger else trends.TRIGGER_DEFAULT
    try:
        if sources:
            known = {r[0] for r in con.execute("SELECT DISTINCT source FROM events").fetchall()}
            unknown = [s for s in sources if s not in known]
            if unknown:
                _fail(f"unknown source {', '.join(unknown)}; the store holds {', '.join(sorted(known)) or 'no events'}.")
        b = briefing.make_briefing(con, date_from, date_to, marking=marking, sources=sources, map_res=map_res,
                                   hotspot_res=hotspot_res, with_hotspots=not no_hotspots, trigger=trig)
        written = b.write(out)
    except click.exceptions.Exit:
        raise
    except Exception as e:  # noqa: BLE001 - the CLI reports, it does not crash
        _fail(f"the briefing could not be made: {e}")
    finally:
        con.close()
    click.echo(f"briefing: {written[0]} ({b.pages} pages, marking '{b.marking}')")
    for p in written[1:]:
        click.echo(f"figure: {p}")
    for line in trends.headline(b.kpis, "year over year", "events"):
        click.echo(line)
    for n in b.notes:
        click.echo(f"note: {n}")
