"""CLI verb ``intel briefing``: the briefing pack PDF (and a PNG of each figure) from the store.

Where this sits: a thin layer over the function the Trends and briefing page's button calls
(:func:`intel.briefing.make_briefing`); it renders on the server, offline, without a browser::

    intel briefing --db data/intel.duckdb --period 2024-01-01:2025-06-01 --out briefing.pdf \\
        --marking "RESTRICTED" --source cbp_weapons_seizures

``--period`` is read by :func:`intel.periods.parse_period` (``2024``, ``2024-03``, ``2015:2019``,
``FROM:TO`` with the TO day excluded ...); without it the whole store is used. ``--res`` and
``--hotspot-res`` accept the briefing and hotspot ranges of :data:`intel.config.RESOLUTIONS` and
default to the settings ``map_resolution`` and ``hotspot_resolution``. Every figure is read in one
transaction (one snapshot); the snapshot is printed (``read from: DuckLake snapshot 12``) and on the
PDF's provenance page, and ``--as-of 12`` makes the same briefing again from a DuckLake store. The PNGs are written next
to the PDF as ``<name>_<figure>.png``. A failure prints one plain sentence with exit status 2.
"""
from __future__ import annotations

import click

from intel.cli.errors import IntelCommand, fail
from intel.cli.options import as_of_option, cli_marking, db_option, finish_export, open_store, period_option, res_option

__all__ = ["briefing_cmd"]


@click.command("briefing", cls=IntelCommand, help="Render the briefing pack (PDF plus one PNG per figure) from the store.")
@db_option
@period_option(help="Half-open period of UTC days; default all data.")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="PDF file to write.")
@click.option("--marking", default=None, help="Marking line at top and bottom of every page (default: setting 'marking').")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@res_option("briefing", "--res", "map_res", setting="map_resolution", what="H3 resolution of the map")
@res_option("hotspot", "--hotspot-res", "hotspot_res", setting="hotspot_resolution",
            what="H3 resolution of the hot spots")
@click.option("--no-hotspots", is_flag=True, help="Skip the hot spot computation.")
@click.option("--trigger", default=None,
              help="Comma-separated ISO3 list for the Trigger countries (default: the editable 15-country list).")
@as_of_option
def briefing_cmd(db, period, out, marking, sources, map_res, hotspot_res, no_hotspots, trigger, as_of):
    from intel import briefing, trends

    if not str(out).lower().endswith(".pdf"):
        fail(f"--out must name a .pdf file, got {out}.")
    date_from, date_to = period
    con = open_store(db, as_of=as_of)
    con.execute("BEGIN TRANSACTION")   # every figure from one snapshot, even while another process imports
    trig = tuple(t.strip().upper() for t in trigger.split(",") if t.strip()) if trigger else trends.TRIGGER_DEFAULT
    try:
        if sources:
            known = {r[0] for r in con.execute("SELECT DISTINCT source FROM events").fetchall()}
            unknown = [s for s in sources if s not in known]
            if unknown:
                fail(f"unknown source {', '.join(unknown)}; the store holds {', '.join(sorted(known)) or 'no events'}.")
        b = briefing.make_briefing(con, date_from, date_to, marking=marking, sources=sources, map_res=map_res,
                                   hotspot_res=hotspot_res, with_hotspots=not no_hotspots, trigger=trig)
        written = b.write(out)
        data_marking = cli_marking(con, date_from, date_to, sources)
    except click.ClickException:
        raise
    except Exception as e:  # noqa: BLE001 - the CLI reports, it does not crash
        fail(f"the briefing could not be made: {e}")
    finally:
        con.execute("ROLLBACK")
        con.close()
    finish_export(db, written[0], "briefing", rows=None, marking=data_marking, snapshot=b.snapshot,
                  action="briefing", also=written[1:],
                  filters={"date_from": date_from, "date_to": date_to, "sources": list(sources), "as_of": as_of})
    click.echo(f"briefing: {written[0]} ({b.pages} pages, marking '{b.marking}')")
    click.echo(f"read from: {b.snapshot}")
    for p in written[1:]:
        click.echo(f"figure: {p}")
    for line in trends.headline(b.kpis, "year over year", "events"):
        click.echo(line)
    for n in b.notes:
        click.echo(f"note: {n}")
