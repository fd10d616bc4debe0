"""CLI verbs ``intel hotspots`` and ``intel emerging``.

Both call the same functions as the Hotspots page (:func:`intel.hotspots.hotspots_from_store`,
:func:`intel.emerging.emerging_from_store`) and write the same columns as the page's export
(:data:`intel.hotspots.HOTSPOT_COLUMNS`, :data:`intel.emerging.EMERGING_COLUMNS`), as CSV,
GeoJSON or GeoParquet by the extension of ``--out``. Guardrail messages are printed as plain
sentences; when the statistics cannot be computed the verb prints one sentence and exits with
status 1 (no traceback).

The lead's ``intel/cli.py`` registers them::

    from intel.cli_hotspots import emerging_cmd, hotspots_cmd
    main.add_command(hotspots_cmd)
    main.add_command(emerging_cmd)
"""
from __future__ import annotations

import click

from intel.store import DEFAULT_DB


def _open(db):
    from intel.store import connect

    return connect(db, read_only=True)


def _fail(msg: str) -> None:
    click.echo(msg, err=True)
    raise click.exceptions.Exit(1)


def _echo_guardrails(g) -> None:
    click.echo(f"Study area: {g.area}")
    if g.unreliable:
        click.echo("WARNING: the statistics cannot support firm conclusions for this selection.")
    for m in g.messages:
        click.echo(f"- {m}")


_common = [
    click.option("--db", type=click.Path(dir_okay=False), default=str(DEFAULT_DB), show_default=True,
                 help="DuckDB store."),
    click.option("--res", type=click.IntRange(0, 10), required=True, help="H3 resolution."),
    click.option("--k", "k", type=click.IntRange(1, 10), default=1, show_default=True,
                 help="k-ring neighbourhood in cells."),
    click.option("--fdr/--no-fdr", default=True, show_default=True,
                 help="Benjamini-Hochberg false discovery rate correction."),
    click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
                 show_default=True, help="Significance level."),
    click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
                 help="First day (inclusive), YYYY-MM-DD."),
    click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
                 help="End day (exclusive), YYYY-MM-DD."),
    click.option("--value", type=click.Choice(["events", "firearms"]), default="events", show_default=True,
                 help="Count events (distinct incidents) or firearms."),
    click.option("--area", type=click.Choice(["extent", "countries", "admin1"]), default="extent",
                 show_default=True, help="Study area: data extent, or selected countries / admin-1 units."),
    click.option("--area-code", "area_codes", multiple=True,
                 help="ISO3 code or admin-1 id of the study area (repeatable)."),
    click.option("--out", type=click.Path(dir_okay=False), required=True,
                 help="Output file: .csv, .geojson or .parquet."),
]


def _with_common(f):
    for opt in reversed(_common):
        f = opt(f)
    return f


def _d(x):
    return x.date().isoformat() if x is not None else None


def _run(kind: str, db, res, k, fdr, alpha, date_from, date_to, value, area, area_codes, out, **extra):
    from intel.hotspots import HOTSPOT_COLUMNS, HotspotError, export_cells, format_from_path

    try:
        fmt = format_from_path(out)
    except ValueError as exc:
        _fail(str(exc).capitalize() + ".")
    try:
        con = _open(db)
    except Exception as exc:  # missing file, locked store
        _fail(f"Cannot open the store {db}: {exc}")
    try:
        if kind == "hotspots":
            from intel.hotspots import hotspots_from_store

            df, g = hotspots_from_store(con, res, k, value=value, fdr=fdr, alpha=alpha,
                                        date_from=_d(date_from), date_to=_d(date_to),
                                        area=area, area_codes=area_codes)
            cols = HOTSPOT_COLUMNS
        else:
            from intel.emerging import EMERGING_COLUMNS, emerging_from_store

            df, g = emerging_from_store(con, res, extra["step"], k, extra["time_lag"], value=value, fdr=fdr,
                                        alpha=alpha, date_from=_d(date_from), date_to=_d(date_to),
                                        area=area, area_codes=area_codes)
            cols = EMERGING_COLUMNS
    except HotspotError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - one plain sentence, never a traceback
        _fail(f"The {kind} analysis failed: {exc}")
    finally:
        con.close()
    export_cells(df, fmt, out, columns=cols)
    _echo_guardrails(g)
    return df


@click.command("hotspots")
@_with_common
def hotspots_cmd(db, res, k, fdr, alpha, date_from, date_to, value, area, area_codes, out):
    """Getis-Ord Gi* hot and cold spots on H3 cells, written to OUT (CSV, GeoJSON or GeoParquet)."""
    df = _run("hotspots", db, res, k, fdr, alpha, date_from, date_to, value, area, area_codes, out)
    hot = int((df["bin"] > 0).sum())
    cold = int((df["bin"] < 0).sum())
    click.echo(f"Wrote {len(df):,} cells to {out}: {hot:,} hot spots and {cold:,} cold spots at 90% "
               f"confidence or more ({'FDR-corrected' if fdr else 'no FDR correction'}).")


@click.command("emerging")
@_with_common
@click.option("--step", type=click.Choice(["week", "month", "quarter"]), default="month", show_default=True,
              help="Time step of the space-time cube.")
@click.option("--time-lag", type=click.IntRange(0, 12), default=1, show_default=True,
              help="Previous time steps in the space-time neighbourhood.")
def emerging_cmd(db, res, k, fdr, alpha, date_from, date_to, value, area, area_codes, out, step, time_lag):
    """Emerging hot spot categories of H3 cells, written to OUT (CSV, GeoJSON or GeoParquet)."""
    from intel.emerging import category_counts

    df = _run("emerging", db, res, k, fdr, alpha, date_from, date_to, value, area, area_codes, out,
              step=step, time_lag=time_lag)
    click.echo(f"Wrote {len(df):,} cells to {out} ({df.attrs.get('steps', '?')} {step}s from "
               f"{df.attrs.get('first_period')} to {df.attrs.get('last_period')}).")
    for _, r in category_counts(df).iterrows():
        click.echo(f"  {r['category']}: {r['cells']:,}")
