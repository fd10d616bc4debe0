"""CLI verbs for corridors and flows: ``intel corridors`` and ``intel flows``.

Where this sits: a thin layer over the functions the Corridors page calls
(:func:`intel.corridors.query_flows`, :func:`intel.corridors.corridor_density`). Both verbs open
the store read-only and write CSV. The period is ``--period`` in the product's grammar or, for
yearly flow tables, ``--from-year``/``--to-year`` (both inclusive). ``--res`` of ``corridors``
accepts the corridor range of :data:`intel.config.RESOLUTIONS` (2-6) and defaults to the setting
``corridor_resolution``. Failures print one plain sentence with exit status 2.

Examples
--------
``intel corridors --db data/intel.duckdb --res 5 --from-year 2018 --to-year 2020 --out corridors.csv``
writes ``cell`` (H3 hex), ``weight``, ``rank``, ``flows``, ``share``.

``intel flows --db data/intel.duckdb --out flows.csv`` writes ``origin``, ``destination``,
``weight``, ``period`` (year, or ``start/end``) and the names, type and source of each flow.
"""
from __future__ import annotations

import click

from intel import periods
from intel.cli.errors import IntelCommand, fail
from intel.cli.options import apply_options, db_option, finish_export, open_store, period_option, res_option
from intel.safety import write_csv

__all__ = ["corridors_cmd", "flows_cmd"]


def _marking(con, flows, start, end) -> tuple[str, str]:
    """The marking of an export of ``flows`` (:func:`intel.corridors.flows_marking`) and the
    snapshot read."""
    from intel import corridors
    from intel.store import snapshot_label

    return corridors.flows_marking(con, flows, start, end), snapshot_label(con)


def _period(period, from_year, to_year) -> tuple[str | None, str | None]:
    """(from, to) of ``--period`` or of ``--from-year``/``--to-year`` (years inclusive)."""
    if from_year is None and to_year is None:
        return tuple(period)
    if tuple(period) != (None, None):
        raise click.UsageError("give either --period or --from-year/--to-year, not both.")
    if from_year is not None and to_year is not None and to_year < from_year:
        raise click.UsageError(f"--to-year {to_year} is before --from-year {from_year}.")
    left = "" if from_year is None else f"{int(from_year):04d}"
    right = "" if to_year is None else f"{int(to_year):04d}"
    try:
        return periods.parse_period(f"{left}:{right}")   # the one grammar: Y1:Y2 is inclusive
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


_common = [
    db_option,
    period_option(help="Half-open period of UTC days; default all dates."),
    click.option("--from-year", type=int, default=None, help="First year (inclusive); an alternative to --period."),
    click.option("--to-year", type=int, default=None, help="Last year (inclusive); an alternative to --period."),
    click.option("--flow-type", "flow_types", multiple=True,
                 type=click.Choice(["source-recovery", "trace", "od", "re-seizure"]),
                 help="Flow types to use (repeatable); default all."),
    click.option("--origin", "origins", multiple=True, help="Origin code or name (repeatable)."),
    click.option("--destination", "destinations", multiple=True, help="Destination code or name (repeatable)."),
    click.option("--interstate-only", is_flag=True, help="Leave out flows from a place to itself."),
    click.option("--out", type=click.Path(dir_okay=False), required=True, help="CSV file to write."),
]


@click.command("corridors", cls=IntelCommand)
@apply_options(_common)
@res_option("corridor", setting="corridor_resolution")
@click.option("--method", type=click.Choice(["path", "sample"]), default="path", show_default=True,
              help="Cells of a flow: one-cell-wide H3 line, or points every 0.45 edge lengths.")
@click.option("--through-only", is_flag=True, help="Leave out each flow's origin and destination cells.")
def corridors_cmd(db, period, from_year, to_year, flow_types, origins, destinations, interstate_only, out, res,
                  method, through_only):
    """Corridor density: weight of the flows crossing each H3 cell, ranked (CSV: cell, weight, rank, ...)."""
    from intel import corridors, settings

    start, end = _period(period, from_year, to_year)
    con = open_store(db)
    try:
        r = int(res) if res is not None else int(settings.get("corridor_resolution", con))
        flows = corridors.query_flows(con, start, end, flow_types or None, origins or None, destinations or None,
                                      interstate_only=interstate_only)
        if flows.empty:
            fail("no flows match these filters, so there is no corridor to compute.")
        try:
            dens = corridors.corridor_density(flows, r, method=method, include_ends=not through_only)
        except ValueError:
            raise
        except Exception as exc:  # noqa: BLE001 - one plain sentence, never a traceback
            fail(f"could not compute the corridors: {exc}.")
        write_csv(corridors.density_csv_frame(dens), out)
        marking, snapshot = _marking(con, flows, start, end)
    finally:
        con.close()
    finish_export(db, out, "corridors", rows=len(dens), marking=marking, snapshot=snapshot,
                  filters={"date_from": start, "date_to": end, "flow_types": flow_types, "origins": origins,
                           "destinations": destinations, "interstate_only": interstate_only, "res": r})
    left = dens.attrs.get("left_out", 0)
    click.echo(f"Wrote {len(dens):,} corridor cells at resolution {r} from {len(flows):,} flows to {out}."
               + (f" {left:,} flows without positions were left out." if left else ""))


@click.command("flows", cls=IntelCommand)
@apply_options(_common)
def flows_cmd(db, period, from_year, to_year, flow_types, origins, destinations, interstate_only, out):
    """Origin-destination flows (CSV: origin, destination, weight, period, ...)."""
    from intel import corridors

    start, end = _period(period, from_year, to_year)
    con = open_store(db)
    try:
        flows = corridors.query_flows(con, start, end, flow_types or None, origins or None, destinations or None,
                                      interstate_only=interstate_only)
        write_csv(corridors.flows_csv_frame(flows), out)
        marking, snapshot = _marking(con, flows, start, end)
    finally:
        con.close()
    finish_export(db, out, "flows", rows=len(flows), marking=marking, snapshot=snapshot,
                  filters={"date_from": start, "date_to": end, "flow_types": flow_types, "origins": origins,
                           "destinations": destinations, "interstate_only": interstate_only})
    if flows.empty:
        click.echo(f"No flows match these filters; wrote an empty table to {out}.")
    else:
        click.echo(f"Wrote {len(flows):,} flows to {out}.")
