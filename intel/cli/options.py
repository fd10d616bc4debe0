"""Options shared by the ``intel`` verbs, declared once: ``--db``, ``--period`` (with ``--from`` and
``--to``), ``--res`` and the study area (``--area``, ``--country``, ``--admin1``, ``--bbox``,
``--source``: :func:`area_options`, applied to every analysis verb).

Where this sits: the CLI is a thin layer over the analyses; this module is its half of
"decided once". The store default comes from :data:`intel.config.DEFAULT_DB`, the period
grammar from :mod:`intel.periods` and the resolution range of each use from
:data:`intel.config.RESOLUTIONS`, so a value accepted or refused here is accepted or refused in
the same way by the pages. A bad value is a click usage error: exit status 2, and the message
names the accepted forms or the range.

One module per group of options: this module holds the store (``--db``, ``--as-of``, opening it),
the period (``--period``, ``--from``, ``--to``) and the resolution (``--res``);
:mod:`intel.cli.area_options` holds the study area (``area_options``, ``resolve_area``,
``check_area``, ``hotspot_area_kwargs``) and :mod:`intel.cli.exports` the end of an exporting verb
(``cli_marking``, ``finish_export``); both are named here too.
"""
from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import click

from intel import config, periods
# the study area and the end of an export, named here too: ``from intel.cli.options import area_options`` keeps working
from intel.cli.area_options import (AREA_MODES, AreaModeType, BBoxType, area_options, check_area,  # noqa: F401
                                    hotspot_area_kwargs, resolve_area)
from intel.cli.exports import cli_marking, finish_export  # noqa: F401

__all__ = ["DB_HELP", "StoreType", "db_option", "as_of_option", "open_store", "store_exists", "check_not_held", "PeriodType", "DayType", "period_option",
           "period_options", "res_option", "ResolutionType", "merge_period", "apply_options", "AREA_MODES", "area_options",
           "resolve_area", "hotspot_area_kwargs", "check_area"]

DB_HELP = ("Store: a DuckDB file, or a DuckLake store ducklake:sqlite:CATALOG[;data=DIR] "
           "(default: $INTEL_STORE, else $INTEL_DB, else data/intel.duckdb).")


def _default_db() -> str:
    from intel import store

    return store.default_store()


def store_exists(db) -> bool:
    """True when the store ``db`` (a DuckDB file or a ``ducklake:`` store) can be opened to read:
    the file exists, or it names a DuckLake store (whose catalog :func:`open_store` checks)."""
    from intel import store

    return store.parse_store(str(db)) is not None or Path(db).exists()


class StoreType(click.ParamType):
    """A store named on the command line: a :class:`pathlib.Path` for a DuckDB file, the text
    itself for a DuckLake store (``ducklake:...``), whose data location may be a URL such as
    ``s3://bucket/prefix/`` that a path would fold into ``s3:/bucket``.

    Raises
    ------
    click.BadParameter
        A ``ducklake:`` name :func:`intel.store.parse_store` cannot read (exit 2, its sentence).
    """

    name = "store"

    def convert(self, value, param, ctx):
        from intel import store

        if isinstance(value, Path):
            return value
        text = str(value)
        try:
            if store.parse_store(text) is not None:
                return text
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return Path(text)


db_option = click.option("--db", type=StoreType(), default=_default_db, help=DB_HELP)
"""``--db PATH``: the store a verb works on (a :class:`pathlib.Path`, or the ``ducklake:`` text)."""


as_of_option = click.option(
    "--as-of", "as_of", type=click.IntRange(0), default=None, metavar="SNAPSHOT",
    help="Read a DuckLake store as it was at this snapshot (the id printed by the verb, in the PDF's "
         "provenance and in the audit log), to reproduce an earlier output. Not for a DuckDB file.")
"""``--as-of SNAPSHOT``: the DuckLake snapshot to read (:func:`open_store`'s ``as_of``)."""


def open_store(db, read_only: bool = True, as_of: int | None = None):
    """Open the store named by ``--db``.

    Parameters
    ----------
    db : path
        Store file.
    read_only : bool
        Readers open the file read-only, so they work while the dashboard serves it. When this
        process already holds the file read-write (tests, the app), that connection's mode is used.
    as_of : int, optional
        ``--as-of``: a DuckLake store read as of this snapshot (read-only); refused in one
        sentence for a DuckDB file or a snapshot the store does not have.

    Raises
    ------
    intel.cli.errors.Fail
        A read-only open of a store that does not exist (the sentence says to run ``intel build``);
        a store held by another process, such as the running dashboard (the sentence names the
        process and what to do, :func:`intel.store.lock_message`).
    duckdb.IOException
        A corrupt store (reported by the verb's error path).
    """
    import duckdb

    from intel import store
    from intel.cli.errors import fail

    path = db if store.parse_store(str(db)) is not None else Path(db)
    if read_only and not store_exists(db):
        fail(f"the store {path} does not exist; run `intel build` first.")
    if as_of is not None:
        try:
            return store.connect(path, read_only=True, snapshot=as_of)
        except (ValueError, FileNotFoundError) as exc:
            fail(f"{exc}.")
    try:
        try:
            return store.connect(path, read_only=read_only)
        except duckdb.ConnectionException:
            if not read_only:
                raise
            return store.connect(path)
    except duckdb.IOException as exc:
        if store.is_lock_error(exc):
            fail(store.lock_message(path, exc))
        raise


def check_not_held(db) -> None:
    """Stop with :func:`open_store`'s sentence when another process holds the store file ``db``.

    For verbs that replace the file rather than open it (``intel build``): replacing a file that
    the dashboard holds would leave the dashboard on the old, deleted copy.

    Raises
    ------
    intel.cli.errors.Fail
        When another process holds ``db``.
    """
    if Path(db).exists():   # a DuckLake store is never replaced by a build
        open_store(db, read_only=True).close()


class PeriodType(click.ParamType):
    """A half-open period of UTC days in the product's grammar (:func:`intel.periods.parse_period`).

    Converts to ``(from, to)``, ISO dates or ``None`` for an open side.

    Parameters
    ----------
    require_both : bool
        Refuse an open side (the backtest's training and test periods).
    """

    name = "period"

    def __init__(self, require_both: bool = False):
        self.require_both = require_both

    def convert(self, value, param, ctx):  # noqa: D102 - click's hook
        if isinstance(value, tuple):
            return value
        try:
            return periods.parse_period(value, require_both=self.require_both)
        except ValueError as e:
            self.fail(str(e), param, ctx)

    def get_metavar(self, param, ctx=None):  # noqa: D102 - click's hook
        return "PERIOD"


class DayType(click.ParamType):
    """One UTC day written ``YYYY-MM-DD``; converts to the same ISO text."""

    name = "day"

    def convert(self, value, param, ctx):  # noqa: D102 - click's hook
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            self.fail(f"{value!r} is not a date of the form YYYY-MM-DD", param, ctx)

    def get_metavar(self, param, ctx=None):  # noqa: D102 - click's hook
        return "YYYY-MM-DD"


def period_option(flag: str = "--period", dest: str = "period", *, require_both: bool = False,
                  required: bool = False, help: str | None = None):
    """Decorator adding one period option (see :class:`PeriodType`); the help ends with the grammar.

    Without ``required`` or ``require_both`` the default is all dates, ``(None, None)``; with
    ``require_both`` (both sides must be given when the option is) it is ``None``, the option not given.
    """
    forms = periods.PERIOD_FORMS + ("; no open side (2015: or :2019)" if require_both else "; either side may be empty")
    text = (help or "Half-open period of UTC days.") + f" Forms: {forms}."
    return click.option(flag, dest, type=PeriodType(require_both), required=required,
                        default=None if required or require_both else "", help=text)


def merge_period(period, date_from, date_to) -> tuple[str | None, str | None]:
    """One ``(from, to)`` from ``--period`` or ``--from``/``--to`` (ISO days, the ``--to`` day excluded).

    Raises
    ------
    click.UsageError
        When both forms are given, or ``--to`` does not come after ``--from`` (an empty period).
    """
    period = period or (None, None)
    if date_from is None and date_to is None:
        return tuple(period)
    if period != (None, None):
        raise click.UsageError("give either --period or --from/--to, not both.")
    if date_from is not None and date_to is not None and date_to <= date_from:
        raise click.UsageError(f"[{date_from}, {date_to}) is an empty period: --to is the first day excluded "
                               "and must come after --from.")
    return date_from, date_to


def period_options(help: str = "Half-open period of UTC days; default all dates."):
    """Decorator adding ``--period``, ``--from`` and ``--to``, passed to the verb as one ``period=(from, to)``."""
    opts = [
        period_option(help=help),
        click.option("--from", "date_from", type=DayType(), default=None,
                     help="First UTC day (included); an alternative to --period."),
        click.option("--to", "date_to", type=DayType(), default=None,
                     help="First UTC day not included (periods are half-open); an alternative to --period."),
    ]

    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, period, date_from, date_to, **kw):
            return f(*args, period=merge_period(period, date_from, date_to), **kw)
        for o in reversed(opts):
            wrapper = o(wrapper)
        return wrapper
    return deco


class ResolutionType(click.IntRange):
    """An H3 resolution within the range of one use (:data:`intel.config.RESOLUTIONS`).

    Checked by :func:`intel.config.check_resolution`, so the message is the one the analyses and
    pages give: it names the range and, above :data:`intel.config.FINE_RES`, why finer is impossible.
    """

    def __init__(self, use: str):
        lo, hi = config.RESOLUTIONS[use]
        super().__init__(lo, hi)
        self.use = use

    def convert(self, value, param, ctx):  # noqa: D102 - click's hook
        try:
            return config.check_resolution(value, self.use)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def res_option(use: str, flag: str = "--res", dest: str = "res", *, setting: str | None = None,
               what: str = "H3 resolution"):
    """Decorator adding an H3 resolution option bounded by ``config.RESOLUTIONS[use]``.

    Parameters
    ----------
    use : str
        Key of :data:`intel.config.RESOLUTIONS` (``"hotspot"``, ``"corridor"`` ...).
    flag, dest : str
        Option name and parameter name.
    setting : str, optional
        Named setting (:mod:`intel.settings`) that gives the default; the option's default is then
        ``None`` and the verb reads the setting. Without it the default is
        :data:`intel.config.DEFAULT_RESOLUTION` of ``use``.
    what : str
        Start of the help text.
    """
    lo, hi = config.RESOLUTIONS[use]
    if setting:
        return click.option(flag, dest, type=ResolutionType(use), default=None,
                            help=f"{what}, {lo}-{hi} for {use} (default: setting {setting}).")
    return click.option(flag, dest, type=ResolutionType(use), default=config.DEFAULT_RESOLUTION[use],
                        show_default=True, help=f"{what}, {lo}-{hi} for {use}.")


def apply_options(options):
    """Decorator applying a list of option decorators, first listed first in ``--help``."""
    def deco(f):
        for o in reversed(options):
            f = o(f)
        return f
    return deco
