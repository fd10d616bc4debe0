"""CLI verbs for corridors and flows: ``intel corridors`` and ``intel flows``.

Both are plain :class:`click.Command` objects (``corridors_cmd``, ``flows_cmd``) that
``intel.cli`` adds to its group. They open the store read-only, call the same functions
as the Corridors page (:func:`intel.corridors.query_flows`,
:func:`intel.corridors.corridor_density`) and write CSV. On a failure they print one plain
sentence and exit with status 2, never a traceback.

Examples
--------
``intel corridors --db data/intel.duckdb --res 5 --from-year 2018 --to-year 2020 --out corridors.csv``
writes ``cell`` (H3 hex), ``weight``, ``rank``, ``flows``, ``share``.

``intel flows --db data/intel.duckdb --out flows.csv`` writes ``origin``, ``destination``,
``weight``, ``period`` (year, or ``start/end``) and the names, type and source of each flow.
"""
from __future__ import annotations

from pathlib import Path

import click

from intel import store


class PlainError(click.ClickException):
    """A failure told in one plain sentence; exit status 2 like the other ``intel`` verbs."""

    exit_code = 2


def _period(from_year, to_year):
    if from_year is not None and to_year is not None and to_year < from_year:
        raise click.UsageError(f"--to-year {to_year} is before --from-year {from_year}.")
    start = f"{int(from_year):04d}-01-01" if from_year is not None else None
    end = f"{int(to_year) + 1:04d}-01-01" if to_year is not None else None
    return start, end


def _open(db):
    path = Path(db)
    if not path.exists():
        raise PlainError(f"The store {path} does not exist; run `intel build` first.")
    try:
        return store.connect(path, read_only=True)
    except Exception as exc:  # noqa: BLE001 - one plain sentence for the analyst
        raise PlainError(f"The store {path} could not be opened ({exc}).") from None


def _fail(exc: Exception, what: str):
    if isinstance(exc, click.ClickException):
        raise exc
    raise PlainError(f"Could not {what}: {exc}.") from None


_common = [
    click.option("--db", type=click.Path(dir_okay=False), default=lambda: str(store.DEFAULT_DB),
                 show_default="intel.store.DEFAULT_DB", help="Store file."),
    click.option("--from-year", type=int, default=None, help="First year (inclusive)."),
    click.option("--to-year", type=int, default=None, help="Last year (inclusive)."),
    click.option("--flow-type", "flow_types", multiple=True,
                 type=click.Choice(["source-recovery", "trace", "od", "re-seizure"]),
                 help="Flow types to use (repeatable); default all."),
    click.option("--origin", "origins", multiple=True, help="Origin code or name (repeatable)."),
    click.option("--destination", "destinations", multiple=True, help="Destination code or name (repeatable)."),
    click.option("--interstate-only", is_flag=True, help="Leave out flows from a place to itself."),
    click.option("--out", type=click.Path(dir_okay=False), required=True, help="CSV file to write."),
]


def _apply(options):
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


@click.command("corridors")
@_apply(_common)
@click.option("--res", type=click.IntRange(0, 15), default=None,
              help="H3 resolution (default: setting corridor_resolution).")
@click.option("--method", type=click.Choice(["path", "sample"]), default="path", show_default=True,
              help="Cells of a flow: one-cell-wide H3 line, or points every 0.45 edge lengths.")
@click.option("--through-only", is_flag=True, help="Leave out each flow's origin and destination cells.")
def corridors_cmd(db, from_year, to_year, flow_types, origins, destinations, interstate_only, out, res, method,
                  through_only):
    """Corridor density: weight of the flows crossing each H3 cell, ranked (CSV: cell, weight, rank, ...)."""
    from intel import corridors, settings

    start, end = _period(from_year, to_year)
    con = _open(db)
    try:
        r = int(res) if res is not None else int(settings.get("corridor_resolution", con))
        flows = corridors.query_flows(con, start, end, flow_types or None, origins or None, destinations or None,
                                      interstate_only=interstate_only)
        if flows.empty:
            raise PlainError("No flows match these filters, so there is no corridor to compute.")
        dens = corridors.corridor_density(flows, r, method=method, include_ends=not through_only)
        corridors.density_csv_frame(dens).to_csv(out, index=False)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, "compute the corridors")
    finally:
        con.close()
    left = dens.attrs.get("left_out", 0)
    click.echo(f"Wrote {len(dens):,} corridor cells at resolution {r} from {len(flows):,} flows to {out}."
               + (f" {left:,} flows without positions were left out." if left else ""))


@click.command("flows")
@_apply(_common)
def flows_cmd(db, from_year, to_year, flow_types, origins, destinations, interstate_only, out):
    """Origin-destination flows (CSV: origin, destination, weight, period, ...)."""
    from intel import corridors

    start, end = _period(from_year, to_year)
    con = _open(db)
    try:
        flows = corridors.query_flows(con, start, end, flow_types or None, origins or None, destinations or None,
                                      interstate_only=interstate_only)
        corridors.flows_csv_frame(flows).to_csv(out, index=False)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, "list the flows")
    finally:
        con.close()
    if flows.empty:
        click.echo(f"No flows match these filters; wrote an empty table to {out}.")
    else:
        click.echo(f"Wrote {len(flows):,} flows to {out}.")
