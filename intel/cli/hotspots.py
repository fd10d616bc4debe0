"""CLI verbs ``intel hotspots`` and ``intel emerging``.

Where this sits: a thin layer over the same functions as the Hotspots page
(:func:`intel.hotspots.hotspots_from_store`, :func:`intel.emerging.emerging_from_store`). Each
verb writes the page's export columns (:data:`intel.hotspots.HOTSPOT_COLUMNS`,
:data:`intel.emerging.EMERGING_COLUMNS`) as CSV, GeoJSON or GeoParquet by the extension of
``--out``, then prints the guardrail sentences (study area, records left out, reliability).
``--res`` accepts the hotspot range of :data:`intel.config.RESOLUTIONS` (5-9) and defaults to the
setting ``hotspot_resolution``; ``--k``, ``--alpha``, ``--fdr`` and ``--step`` default to their
settings too, as do ``intel hotspots``' ``--method`` and ``--permutations`` (settings
``hotspot_method``, ``hotspot_permutations``; ``--seed`` defaults to
:data:`intel.inference.DEFAULT_SEED`). The study area comes from the shared area options
(:func:`intel.cli.options.area_options`: ``--area``, ``--country``, ``--admin1``, ``--bbox``,
``--source``); the default is the land of the places with records. Both verbs print the area and
its cells, the method line (:func:`intel.inference.describe`) and the guardrails. When the
statistics cannot be computed the verb prints one sentence and exits with status 2.
"""
from __future__ import annotations

import click

from intel.cli.errors import IntelCommand, fail
from intel.cli.options import (apply_options, area_options, check_area, cli_marking, db_option, finish_export,
                               hotspot_area_kwargs, open_store, period_options, res_option)

__all__ = ["hotspots_cmd", "emerging_cmd"]


def _echo_guardrails(g) -> None:
    click.echo(f"Study area: {g.area}")
    if g.method_text:
        click.echo(f"Method: {g.method_text}")
    if g.unreliable:
        click.echo("WARNING: the statistics cannot support firm conclusions for this selection.")
    for m in g.messages:
        click.echo(f"- {m}")


_common = [
    db_option,
    res_option("hotspot", setting="hotspot_resolution"),
    click.option("--k", "k", type=click.IntRange(1, 10), default=None,
                 help="k-ring neighbourhood in cells, 1-10 (default: setting hotspot_k)."),
    click.option("--fdr/--no-fdr", default=None,
                 help="Benjamini-Hochberg false discovery rate correction (default: setting fdr)."),
    click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
                 help="Significance level (default: setting significance)."),
    period_options(),
    click.option("--value", type=click.Choice(["events", "firearms"]), default="events", show_default=True,
                 help="Count events (distinct incidents) or firearms."),
    area_options(),
    click.option("--out", type=click.Path(dir_okay=False), required=True,
                 help="Output file: .csv, .geojson or .parquet."),
]


def _run(kind: str, db, res, k, fdr, alpha, period, value, area, out, **extra):
    from intel import settings
    from intel.hotspots import HOTSPOT_COLUMNS, export_cells, format_from_path

    fmt = format_from_path(out)
    con = open_store(db)
    try:
        res = res if res is not None else settings.get("hotspot_resolution", con)
        k = k if k is not None else settings.get("hotspot_k", con)
        fdr = fdr if fdr is not None else settings.get("fdr", con)
        alpha = alpha if alpha is not None else settings.get("significance", con)
        date_from, date_to = period
        check_area(con, area)
        where = hotspot_area_kwargs(area)
        try:
            if kind == "hotspots":
                from intel.hotspots import hotspots_from_store
                from intel.inference import DEFAULT_SEED

                method = extra["method"] or settings.get("hotspot_method", con)
                perms = extra["permutations"] or settings.get("hotspot_permutations", con)
                seed = extra["seed"] if extra["seed"] is not None else DEFAULT_SEED
                df, g = hotspots_from_store(con, res, k, value=value, fdr=fdr, alpha=alpha, date_from=date_from,
                                            date_to=date_to, method=method, permutations=perms, seed=seed,
                                            **where)
                cols = HOTSPOT_COLUMNS
            else:
                from intel.emerging import EMERGING_COLUMNS, emerging_from_store

                step = extra["step"] or settings.get("emerging_step", con)
                extra["step"] = step
                df, g = emerging_from_store(con, res, step, k, extra["time_lag"], value=value, fdr=fdr,
                                            alpha=alpha, date_from=date_from, date_to=date_to, **where)
                cols = EMERGING_COLUMNS
        except ValueError as exc:  # HotspotError: a sentence for the analyst
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - one plain sentence, never a traceback
            fail(f"the {kind} analysis failed: {exc}")
        from intel.store import snapshot_label

        marking, snapshot = cli_marking(con, date_from, date_to), snapshot_label(con)
    finally:
        con.close()
    export_cells(df, fmt, out, columns=cols)
    finish_export(db, out, kind, rows=len(df), marking=marking, snapshot=snapshot,
                  filters={"date_from": date_from, "date_to": date_to, "res": res, "k": k, "value": value,
                           "area": str(area) if area is not None else None})
    _echo_guardrails(g)
    return df, fdr


@click.command("hotspots", cls=IntelCommand)
@apply_options(_common)
@click.option("--method", type=click.Choice(["permutation", "normal"]), default=None,
              help="Gi* p-values: conditional permutations or the normal approximation (default: setting "
                   "hotspot_method).")
@click.option("--permutations", type=click.IntRange(99, 99999), default=None,
              help="Number of permutations, 99-99999 (default: setting hotspot_permutations).")
@click.option("--seed", type=int, default=None, help="Seed of the permutations (default 12345).")
def hotspots_cmd(db, res, k, fdr, alpha, period, value, area, out, method, permutations, seed):
    """Getis-Ord Gi* hot and cold spots on H3 cells, written to OUT (CSV, GeoJSON or GeoParquet)."""
    df, fdr = _run("hotspots", db, res, k, fdr, alpha, period, value, area, out, method=method,
                   permutations=permutations, seed=seed)
    hot = int((df["bin"] > 0).sum())
    cold = int((df["bin"] < 0).sum())
    click.echo(f"Wrote {len(df):,} cells to {out}: {hot:,} hot spots and {cold:,} cold spots at 90% "
               f"confidence or more ({'FDR-corrected' if fdr else 'no FDR correction'}).")


@click.command("emerging", cls=IntelCommand)
@apply_options(_common)
@click.option("--step", type=click.Choice(["week", "month", "quarter"]), default=None,
              help="Time step of the space-time cube (default: setting emerging_step).")
@click.option("--time-lag", type=click.IntRange(0, 12), default=1, show_default=True,
              help="Previous time steps in the space-time neighbourhood.")
def emerging_cmd(db, res, k, fdr, alpha, period, value, area, out, step, time_lag):
    """Emerging hot spot categories of H3 cells, written to OUT (CSV, GeoJSON or GeoParquet)."""
    from intel.emerging import category_counts

    extra = {"step": step, "time_lag": time_lag}
    df, _ = _run("emerging", db, res, k, fdr, alpha, period, value, area, out, **extra)
    click.echo(f"Wrote {len(df):,} cells to {out} ({df.attrs.get('steps', '?')} {extra['step']}s from "
               f"{df.attrs.get('first_period')} to {df.attrs.get('last_period')}).")
    for _, r in category_counts(df).iterrows():
        click.echo(f"  {r['category']}: {r['cells']:,}")
