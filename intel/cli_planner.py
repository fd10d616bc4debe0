"""CLI verbs ``intel targets`` and ``intel backtest``.

Both call the same functions as the Planner page (:func:`intel.risk.plan`,
:func:`intel.backtest.backtest`) and write the same columns as the page's downloads. The
output format follows the extension of ``--out`` (``targets``: .csv, .geojson or .pdf;
``backtest``: .csv). When the area cannot be ranked (no point-level records, records too coarse,
bad input) the verb prints one plain sentence and exits with status 2, never a traceback.

``intel/cli.py`` registers them automatically (``targets_cmd``, ``backtest_cmd``).
"""
from __future__ import annotations

import sys

import click

from intel.store import DEFAULT_DB


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


def _area(area, admin1, bbox, preset, trigger_countries):
    from intel import risk

    given = [x for x in (area, admin1, bbox, preset) if x]
    if len(given) > 1:
        raise ValueError("give only one of --area, --admin1, --bbox or --preset")
    if preset:
        codes = [c for c in (trigger_countries or "").split(",") if c.strip()]
        return risk.preset_area(preset, codes or None)
    if area:
        return risk.area_countries(area.split(","))
    if admin1:
        return risk.area_admin1(admin1.split(","))
    if bbox:
        return risk.area_bbox(bbox)
    return None


_area_opts = [
    click.option("--db", type=click.Path(dir_okay=False), default=str(DEFAULT_DB), show_default=True, help="DuckDB store."),
    click.option("--area", default=None, help="Countries, ISO3 codes separated by commas, e.g. BFA,CIV,MLI."),
    click.option("--admin1", default=None, help="Admin-1 ids (admin1.admin1_id) separated by commas."),
    click.option("--bbox", default=None, help="Box W,S,E,N in degrees WGS84, e.g. -117.5,25.5,-96.5,33.2."),
    click.option("--preset", type=click.Choice(["KAFO", "TRIGGER", "US_SW"], case_sensitive=False), default=None,
                 help="Preset area of operation."),
    click.option("--trigger-countries", default=None, help="Replace the Trigger country list (ISO3, commas)."),
    click.option("--res", type=click.IntRange(0, 9), default=8, show_default=True, help="H3 resolution."),
    click.option("--weights", default=None, help="Component weights, e.g. intensity=0.5,hotspot=0.2 (others default)."),
    click.option("--half-life-days", type=float, default=None, help="Decay half-life of recent intensity, days."),
]


def _with(opts):
    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f
    return deco


@click.command("targets", help="Rank cells of an area of operation and write a spaced target list "
                               "(.csv, .geojson or .pdf by the extension of --out).")
@_with(_area_opts)
@click.option("--n", "n", type=click.IntRange(1, 500), default=None, help="Number of targets (default setting planner_targets).")
@click.option("--min-spacing-km", type=click.FloatRange(0), default=None,
              help="Minimum geodesic spacing between targets, km (default setting planner_min_spacing_km).")
@click.option("--from", "date_from", default=None, help="First day (inclusive), YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="End day (exclusive), YYYY-MM-DD.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output file: .csv, .geojson or .pdf.")
def targets_cmd(db, area, admin1, bbox, preset, trigger_countries, res, weights, half_life_days, n, min_spacing_km,
                date_from, date_to, out):
    from intel import risk, store, target_package

    try:
        target_package.format_from_path(out)
        a = _area(area, admin1, bbox, preset, trigger_countries)
        w = risk.parse_weights(weights)
        con = store.connect(db, read_only=True)
    except (ValueError, FileNotFoundError) as e:
        _fail(str(e))
    try:
        p = risk.plan(con, res, a, (date_from, date_to), n, min_spacing_km, w, half_life_days=half_life_days)
        target_package.write(p, out, con)
    except risk.RiskError as e:
        _fail(str(e))
    except Exception as e:  # noqa: BLE001 - a plain sentence, never a traceback
        _fail(f"the target list could not be computed: {e}")
    click.echo(f"{p.title()}: {len(p.targets)} targets at H3 resolution {res}, period {p.period[0]} to {p.period[1]}.")
    for note in p.notes:
        click.echo(f"- {note}")
    for r in p.targets.itertuples():
        click.echo(f"{r.rank:>3}  {r.h3}  score {r.score:.3f}  {r.nearest_town or '-'} ({r.town_km:.1f} km)  "
                   f"crossing {r.nearest_crossing or '-'} ({r.crossing_km:.1f} km)")
    click.echo(f"written: {out}")


@click.command("backtest", help="Fit the risk score and two baselines on one period, test on the next: "
                                "hit rate and PAI at 1, 5 and 10 % of the area (CSV).")
@_with(_area_opts)
@click.option("--train", required=True, help="Training period: years Y1:Y2 (inclusive) or YYYY-MM-DD:YYYY-MM-DD (half-open).")
@click.option("--test", "test_", required=True, help="Test period: a year Y3, years Y3:Y4, or dates.")
@click.option("--bandwidth-km", type=click.FloatRange(0, min_open=True), default=None,
              help="Kernel density bandwidth, km (default twice the H3 edge length, at least 0.5 km).")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output CSV.")
def backtest_cmd(db, area, admin1, bbox, preset, trigger_countries, res, weights, half_life_days, train, test_,
                 bandwidth_km, out):
    from intel import backtest as bt
    from intel import risk, store

    try:
        if not str(out).lower().endswith(".csv"):
            raise ValueError("the backtest is written as CSV; give --out a .csv file name")
        a = _area(area, admin1, bbox, preset, trigger_countries)
        w = risk.parse_weights(weights)
        tr, te = bt.parse_period(train), bt.parse_period(test_)
        con = store.connect(db, read_only=True)
    except (ValueError, FileNotFoundError) as e:
        _fail(str(e))
    try:
        df = bt.backtest(con, res, tr, te, a, w, bandwidth_km=bandwidth_km, half_life_days=half_life_days)
        df.to_csv(out, index=False)
    except (risk.RiskError, bt.BacktestError) as e:
        _fail(str(e))
    except Exception as e:  # noqa: BLE001
        _fail(f"the backtest could not be computed: {e}")
    click.echo(bt.summary_sentence(df))
    for note in df.attrs.get("notes", []):
        click.echo(f"- {note}")
    for r in df.itertuples():
        click.echo(f"{r.method:<24} {r.area_pct:>5g} %  {r.cells:>6} cells  hit rate {r.hit_rate:.3f}  PAI {r.pai:.2f}")
    click.echo(f"written: {out}")
