"""CLI verbs of the Borders page: ``intel borders``, ``intel bypass`` and ``intel crossings``.

Where this sits: a thin layer over :mod:`intel.borders`, the functions ``pages/borders.py`` calls;
the verbs write the same columns as the page's CSV exports. ``intel crossings`` ends with an audit
line: how many land borders of the imported records' countries have no known official crossing
(:func:`intel.borders.crossing_audit`); places on those borders get a note, never a far crossing. ``--zone-km`` and ``--min-km`` default
to the settings ``border_zone_km`` and ``bypass_min_km``; ``--res`` of ``bypass`` accepts the
border range of :data:`intel.config.RESOLUTIONS`. Failures print one plain sentence (exit status
2), never a traceback.
"""
from __future__ import annotations

import click

from intel.cli.errors import IntelCommand, fail
from intel.cli.options import cli_marking, db_option, finish_export, open_store, period_options, res_option

__all__ = ["borders_cmd", "bypass_cmd", "crossings_cmd"]


def _setting(name: str, con) -> float:
    from intel import settings

    return float(settings.get(name, con))


@click.command("borders", cls=IntelCommand, help="Rank border stretches (or country pairs) by events and firearms within a border zone, "
                               "this period against the previous one of equal length.")
@db_option
@click.option("--zone-km", type=float, default=None, help="Border zone width in km (default: setting border_zone_km, 50).")
@period_options(help="Half-open period of UTC days; default the last 365 days of data.")
@click.option("--by", type=click.Choice(["segment", "pair"]), default="segment", show_default=True,
              help="Rank stretches of about 50 km or whole country pairs.")
@click.option("--all-kinds", is_flag=True, help="Count every kind of event, not only seizures and recoveries.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the ranking to this CSV file.")
@click.option("--top", type=int, default=10, show_default=True, help="Rows printed.")
def borders_cmd(db, zone_km, period, by, all_kinds, out, top):
    from intel import borders

    date_from, date_to = period
    con = open_store(db)
    zone_km = _setting("border_zone_km", con) if zone_km is None else zone_km
    if zone_km <= 0:
        fail("--zone-km must be a positive number of km")
    try:
        r = borders.border_ranking(con, zone_km, date_from, date_to, by=by,
                                   kinds=() if all_kinds else borders.SEIZURE_KINDS)
    except ValueError as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001
        fail(f"the border ranking could not be computed: {e}")
    a = r.attrs
    p, q = a["period"], a["previous"]
    click.echo(f"Border zone {zone_km:g} km, period [{p[0]}, {p[1]}) against [{q[0]}, {q[1]}): "
               f"{len(r)} {'stretches' if by == 'segment' else 'country pairs'} with events in either period; "
               f"{a['left_out']} records too coarse for the zone were left out.")
    if r.empty:
        click.echo("No accepted events with coordinates lie within the border zone in these periods.")
    else:
        cols = (["segment_id"] if by == "segment" else []) + ["pair", "events", "firearms", "change"]
        click.echo(r[cols].head(top).to_string(index=False))
        if borders.cover_note(r):
            click.echo(borders.cover_note(r))
    if out:
        _write_csv(r, out)
        _finish(db, con, out, "borders", r, a["previous"][0], a["period"][1],
                {"zone_km": zone_km, "by": by, "all_kinds": all_kinds})


def _finish(db, con, out, verb, r, date_from, date_to, filters) -> None:
    """Marking inside the written file and the export's audit line (:func:`intel.cli.options.finish_export`)."""
    from intel.store import snapshot_label

    marking, snapshot = cli_marking(con, date_from, date_to), snapshot_label(con)
    con.close()
    finish_export(db, out, verb, rows=len(r), marking=marking, snapshot=snapshot,
                  filters={"date_from": str(date_from) if date_from else None,
                           "date_to": str(date_to) if date_to else None, **filters})


def _write_csv(r, out: str) -> None:
    try:
        from intel.safety import write_csv

        write_csv(r, out)
    except OSError as e:
        fail(f"cannot write {out}: {e}")
    click.echo(f"wrote {len(r)} rows to {out}")


@click.command("bypass", cls=IntelCommand, help="Bypass-point candidates: clusters of border-zone events farther than --min-km from "
                              "every official crossing, ranked by events, firearms and recency.")
@db_option
@click.option("--zone-km", type=float, default=None, help="Border zone width in km (default: setting border_zone_km, 50).")
@click.option("--min-km", type=float, default=None, help="Minimum km from an official crossing (default: setting bypass_min_km, 10).")
@res_option("border", what="H3 resolution of the clusters")
@period_options()
@click.option("--no-ports", is_flag=True, help="Do not count event places of type 'port of entry' as official crossings.")
@click.option("--all-kinds", is_flag=True, help="Cluster every kind of event, not only seizures and recoveries.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write the candidates to this CSV file.")
@click.option("--top", type=int, default=10, show_default=True, help="Rows printed.")
def bypass_cmd(db, zone_km, min_km, res, period, no_ports, all_kinds, out, top):
    from intel import borders

    date_from, date_to = period
    con = open_store(db)
    zone_km = _setting("border_zone_km", con) if zone_km is None else zone_km
    min_km = _setting("bypass_min_km", con) if min_km is None else min_km
    if zone_km <= 0 or min_km < 0:
        fail("--zone-km must be positive and --min-km zero or more")
    try:
        r = borders.bypass_candidates(con, zone_km, min_km, res, date_from, date_to,
                                      ports_as_crossings=not no_ports,
                                      kinds=() if all_kinds else borders.SEIZURE_KINDS)
    except ValueError as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001
        fail(f"the bypass candidates could not be computed: {e}")
    click.echo(r.attrs.get("note", ""))
    if not r.empty:
        show = r[["rank", "h3", "border_pair", "events", "firearms", "last_date"]].head(top).copy()
        # the crossing of the candidate's own border, or the note that none is known there
        show["official crossing"] = [borders.crossing_text(a, b, c) for a, b, c in
                                     zip(r["nearest_crossing"], r["nearest_crossing_km"], r["crossing_note"])][:top]
        click.echo(show.to_string(index=False))
    if out:
        _write_csv(r, out)
        _finish(db, con, out, "bypass", r, date_from, date_to,
                {"zone_km": zone_km, "min_km": min_km, "res": res, "no_ports": no_ports, "all_kinds": all_kinds})


@click.command("crossings", cls=IntelCommand, help="Import official crossings (CSV or GeoJSON: name, country pair, latitude, longitude, "
                                 "type), or the bundled UN/LOCODE list without PATH; reports snapping distances and how many "
                                 "borders of the records' countries have no known official crossing.")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@db_option
@click.option("--source", default=None, help="Source label (default 'analyst', or 'unlocode' without PATH).")
def crossings_cmd(path, db, source):
    from intel import borders

    con = open_store(db, read_only=False)
    try:
        s = borders.load_crossings(con, path, source=source or "analyst")
    except (FileNotFoundError, ValueError) as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001
        fail(f"the crossings could not be imported, the store is unchanged: {e}")
    click.echo(str(s))
    for m in s.messages:
        click.echo(f"  {m}")
    if s.countries:
        # audit: borders of the records' countries on which no official crossing is known (store and ports)
        try:
            audit = borders.crossing_audit(s.countries, borders.official_crossings(con))
        except Exception as e:  # noqa: BLE001 - the import succeeded; the audit is a sentence either way
            click.echo(f"The borders of the records' countries could not be audited: {e}")
        else:
            click.echo(borders.audit_sentence(audit, s.countries))
