"""CLI verbs ``intel targets`` and ``intel backtest``.

Where this sits: a thin layer over the functions the Planner page calls (:func:`intel.risk.plan`,
:func:`intel.backtest.backtest`); the verbs write the same columns as the page's downloads. The
output format follows the extension of ``--out`` (``targets``: .csv, .geojson or .pdf;
``backtest``: .csv). ``--res`` accepts the planner range of :data:`intel.config.RESOLUTIONS`;
``--train`` and ``--test`` are periods in the product's grammar (:mod:`intel.periods`) with both
ends given: half-open in days, a year or month on the right included whole (``2015:2019`` is
2015-01-01 up to, not including, 2020-01-01). Without ``--res`` the backtest runs at the default
resolution, or coarser when the records' location precision needs it
(:func:`intel.backtest.default_resolution`); without ``--train``/``--test`` at the periods the
area's sources cover (:func:`intel.backtest.period_choice`); the output says which and why.
When the area cannot be ranked (no point-level records, records too coarse, bad input) the verb
prints one plain sentence and exits with status 2, never a traceback.
"""
from __future__ import annotations

import click
from click.core import ParameterSource

from intel import config
from intel.cli.errors import IntelCommand, fail
from intel.cli.options import (ResolutionType, apply_options, area_options, as_of_option, check_area, cli_marking,
                               db_option, finish_export, open_store, period_option, period_options, res_option)
from intel.safety import write_csv

__all__ = ["targets_cmd", "backtest_cmd"]


def _area(area, preset, trigger_countries):
    """The area of operation: a preset, or the shared area options (:func:`intel.cli.options.area_options`)."""
    from dataclasses import replace

    from intel import risk

    if preset:
        if area.kind != "data":
            raise click.UsageError("give either --preset or --area/--country/--admin1/--bbox, not both.")
        codes = [c for c in (trigger_countries or "").split(",") if c.strip()]
        try:
            a = risk.preset_area(preset, codes or None)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
        return replace(a, sources=area.sources) if area.sources else a
    if trigger_countries:
        raise click.UsageError("--trigger-countries applies only with --preset TRIGGER.")
    return area


_area_opts = [
    db_option,
    area_options(),
    click.option("--preset", type=click.Choice(["KAFO", "TRIGGER", "US_SW"], case_sensitive=False), default=None,
                 help="Preset area of operation."),
    click.option("--trigger-countries", default=None, help="Replace the Trigger country list (ISO3, commas)."),
    _res_opt := res_option("planner"),
    click.option("--weights", default=None, help="Component weights, e.g. intensity=0.5,hotspot=0.2 (others default)."),
    click.option("--half-life-days", type=float, default=None, help="Decay half-life of recent intensity, days."),
]


@click.command("targets", cls=IntelCommand, help="Rank cells of an area of operation and write a spaced target list "
                               "(.csv, .geojson or .pdf by the extension of --out).")
@apply_options(_area_opts)
@click.option("--n", "n", type=click.IntRange(1, 500), default=None, help="Number of targets (default setting planner_targets).")
@click.option("--min-spacing-km", type=click.FloatRange(0), default=None,
              help="Minimum geodesic spacing between targets, km (default setting planner_min_spacing_km).")
@click.option("--neighbours", is_flag=True, default=False,
              help="Also list cells without events in the period, flagged 'neighbour of rank N' (default: left out).")
@click.option("--ranking", type=click.Choice(["fitted", "score"]), default="fitted", show_default=True,
              help="fitted: the ranking chosen on the last year of the period (it beat both baselines in the "
                   "backtests); score: the weighted risk score (--weights).")
@period_options()
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output file: .csv, .geojson or .pdf.")
@as_of_option
def targets_cmd(db, area, preset, trigger_countries, res, weights, half_life_days, n, min_spacing_km, neighbours,
                ranking, period, out, as_of):
    from intel import risk, target_package

    target_package.format_from_path(out)
    a = _area(area, preset, trigger_countries)
    w = risk.parse_weights(weights)
    con = open_store(db, as_of=as_of)
    check_area(con, a)
    from intel.store import snapshot_label

    con.execute("BEGIN TRANSACTION")   # the whole package from one snapshot, even while another process imports
    try:
        read_from = snapshot_label(con)
        if preset and click.get_current_context().get_parameter_source("res") == ParameterSource.DEFAULT:
            # a preset without --res starts where the planner page starts: the finest resolution
            # its records support, country by country (risk.suggested_resolution)
            sug = risk.suggested_resolution(con, a, *period)
            click.echo(sug["sentence"])
            if sug["resolution"] is not None:
                res = int(sug["resolution"])
        p = risk.plan(con, res, a, period, n, min_spacing_km, w, neighbours=neighbours, half_life_days=half_life_days,
                      ranking="risk score" if ranking == "score" else "fitted")
        target_package.write(p, out, con)
        marking = cli_marking(con, *(p.period or (None, None)))
    except risk.RiskError as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001 - a plain sentence, never a traceback
        fail(f"the target list could not be computed: {e}")
    finally:
        con.execute("ROLLBACK")
        con.close()
    finish_export(db, out, "targets", rows=len(p.targets), marking=marking, snapshot=read_from,
                  filters={"area": str(a), "res": res, "date_from": p.period[0], "date_to": p.period[1], "n": n,
                           "ranking": ranking, "as_of": as_of})
    click.echo(f"read from: {read_from}")
    click.echo(f"{p.title()}: {len(p.targets)} targets at H3 resolution {res}, period {p.period[0]} to {p.period[1]}.")
    click.echo(f"Study area: {p.scores.attrs.get('area', '')}")
    for note in p.notes:
        click.echo(f"- {note}")
    from intel.borders import crossing_text

    for r in p.targets.itertuples():
        # the crossing of the cell's own border with its km, or the note that none is known there
        click.echo(f"{r.rank:>3}  {r.h3}  {r.latitude:.5f}, {r.longitude:.5f}  {r.mgrs}  score {r.score:.3f}  "
                   f"{r.evidence}  {r.nearest_town or '-'} ({r.town_km:.1f} km)  "
                   f"crossing: {crossing_text(r.nearest_crossing, r.crossing_km, r.crossing_note)}")
    click.echo(f"written: {out}")


_bt_res = click.option("--res", "res", type=ResolutionType("backtest"), default=None,
                       help="H3 resolution, {}-{} for backtest (default: {}, or the finest coarser one at which most of "
                            "the records can be used when their location precision does not support {}; the output "
                            "says which and why).".format(*config.RESOLUTIONS["backtest"],
                                                           config.DEFAULT_RESOLUTION["backtest"],
                                                           config.DEFAULT_RESOLUTION["backtest"]))


@click.command("backtest", cls=IntelCommand, help="Fit the risk score, a fitted ranking and two baselines on one period, "
                                "test on the next: hit rate and PAI at 1, 5 and 10 % of the area (CSV), with warnings.")
@apply_options([_bt_res if o is _res_opt else o for o in _area_opts])
@period_option("--train", "train", require_both=True,
               help="Training period (e.g. 2015:2019: the years 2015 to 2019 whole, 2015-01-01 up to, not "
                    "including, 2020-01-01). Give it with --test, or neither: then both come from the months the "
                    "area's sources cover (whole years where they cover two or more, else whole months), and the "
                    "output says which.")
@period_option("--test", "test_", require_both=True,
               help="Test period, starting on or after the end of --train (e.g. 2020:2023: 2020-01-01 up to, "
                    "not including, 2024-01-01).")
@click.option("--bandwidth-km", type=click.FloatRange(0, min_open=True), default=None,
              help="Kernel density bandwidth, km (default twice the H3 edge length, at least 0.5 km).")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output CSV.")
def backtest_cmd(db, area, preset, trigger_countries, res, weights, half_life_days, train, test_,
                 bandwidth_km, out):
    from intel import backtest as bt
    from intel import risk

    if not str(out).lower().endswith(".csv"):
        fail("the backtest is written as CSV; give --out a .csv file name")
    a = _area(area, preset, trigger_countries)
    w = risk.parse_weights(weights)
    train = None if train in (None, (None, None)) else train
    test_ = None if test_ in (None, (None, None)) else test_
    if (train is None) != (test_ is None):
        fail("give both --train and --test, or neither (then both are taken from the data)")
    con = open_store(db)
    check_area(con, a)
    try:
        if res is None:
            # no --res: the default, or coarser where the records' location precision needs it
            choice = bt.default_resolution(con, a, train[0] if train else None, test_[1] if test_ else None)
            res = choice["resolution"]
            click.echo(f"--res not given: {choice['sentence']}")
        # no --train/--test: the backtest takes them from the months the area's sources cover
        df = bt.backtest(con, res, train, test_, a, w, bandwidth_km=bandwidth_km, half_life_days=half_life_days)
        train, test_ = df.attrs["train"], df.attrs["test"]
        if df.attrs.get("periods_sentence"):
            click.echo(f"--train and --test not given: {df.attrs['periods_sentence']}")
        write_csv(df, out)
        from intel.store import snapshot_label

        marking = cli_marking(con, train[0], test_[1])
        snapshot = snapshot_label(con)
    except (risk.RiskError, bt.BacktestError) as e:
        fail(str(e))
    except Exception as e:  # noqa: BLE001
        fail(f"the backtest could not be computed: {e}")
    con.close()
    finish_export(db, out, "backtest", rows=len(df), marking=marking, snapshot=snapshot,
                  filters={"area": str(a), "res": res, "train": train, "test": test_})
    click.echo(bt.summary_sentence(df))
    click.echo(f"Study area: {df.attrs.get('area', '')}")
    for warning in df.attrs.get("warnings", []):
        click.echo(f"WARNING: {warning}")
    for note in df.attrs.get("notes", []):
        if note != df.attrs.get("periods_sentence"):   # said above
            click.echo(f"- {note}")
    for r in df.itertuples():
        tie = (f" (ties: {r.hits_above:g} above + {r.tied_taken}/{r.tied_cells} of the {r.tied_events:g} in tied cells, "
               f"+/- {r.tie_sd:.1f} by their order)"
               if r.tied_cells > 1 and r.tied_events > 0 else "")  # ties among empty cells change no hit
        click.echo(f"{r.method:<24} {r.area_pct:>5g} %  {r.cells:>6} cells  hit rate {r.hit_rate:.3f}  PAI {r.pai:.2f}  "
                   f"hits {r.hits:.1f} of {r.test_events}{tie}")
    click.echo(bt.trust_sentence(df))
    click.echo(f"written: {out}")
