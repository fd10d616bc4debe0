"""Options shared by the ``intel`` verbs, declared once: ``--db``, ``--period`` (with ``--from`` and
``--to``), ``--res`` and the study area (``--area``, ``--country``, ``--admin1``, ``--bbox``,
``--source``: :func:`area_options`, applied to every analysis verb).

Where this sits: the CLI is a thin layer over the analyses; this module is its half of
"decided once". The store default comes from :data:`intel.config.DEFAULT_DB`, the period
grammar from :mod:`intel.periods` and the resolution range of each use from
:data:`intel.config.RESOLUTIONS`, so a value accepted or refused here is accepted or refused in
the same way by the pages. A bad value is a click usage error: exit status 2, and the message
names the accepted forms or the range.
"""
from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import click

from intel import config, periods
from intel.export import records_marking
from intel.hexbin import Filters

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


# ---------------------------------------------------------------------------------- study area

AREA_MODES = ("data", "extent", "countries", "admin1", "bbox")
"""The study-area modes (:data:`intel.studyarea.AREA_MODES`, repeated here so ``--help`` needs no
analysis import; a test checks that the two agree)."""


class AreaModeType(click.Choice):
    """``--area``: one of :data:`AREA_MODES`; a list of country codes gets a pointer to ``--country``."""

    def __init__(self):
        super().__init__(AREA_MODES, case_sensitive=False)

    def convert(self, value, param, ctx):  # noqa: D102 - click's hook
        text = str(value).strip()
        if text.lower() not in AREA_MODES and all(len(t.strip()) == 3 and t.strip().isalpha()
                                                   for t in text.split(",") if t.strip()):
            self.fail(f"{text!r} is not a study-area mode ({'|'.join(AREA_MODES)}); give countries with "
                      f"--country, e.g. --country {text.split(',')[0].strip().upper()}", param, ctx)
        return super().convert(text.lower(), param, ctx)


class BBoxType(click.ParamType):
    """``--bbox W,S,E,N`` in degrees WGS84 (:func:`intel.risk.parse_bbox`); converts to a tuple."""

    name = "W,S,E,N"

    def convert(self, value, param, ctx):  # noqa: D102 - click's hook
        from intel.risk.areas import parse_bbox

        try:
            return parse_bbox(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def _split(values) -> tuple:
    out = []
    for v in values or ():
        out += [p.strip() for p in str(v).split(",") if p.strip()]
    return tuple(dict.fromkeys(out))


def resolve_area(mode, countries=(), admin1=(), bbox=None, sources=()):
    """One :class:`intel.risk.Area` from the area options.

    Without ``--area`` the mode follows the option given (``--country`` -> countries,
    ``--admin1`` -> admin1, ``--bbox`` -> bbox), else ``data``: the land of the places with
    records.

    Raises
    ------
    click.UsageError
        Codes for another mode, a polygon mode without its codes, several of ``--country``,
        ``--admin1`` and ``--bbox``, or malformed ISO3 codes (exit status 2).
    """
    from intel.risk.areas import Area, area_admin1, area_countries

    countries, admin1, sources = _split(countries), _split(admin1), _split(sources)
    given = [n for n, v in (("--country", countries), ("--admin1", admin1), ("--bbox", bbox)) if v]
    if mode is None:
        if len(given) > 1:
            raise click.UsageError(f"give only one of {', '.join(given)} (or choose with --area).")
        mode = {"--country": "countries", "--admin1": "admin1", "--bbox": "bbox"}[given[0]] if given else "data"
    needs = {"countries": "--country", "admin1": "--admin1", "bbox": "--bbox"}
    if mode in needs and needs[mode] not in given:
        raise click.UsageError(f"--area {mode} needs {needs[mode]} (e.g. "
                               + {"countries": "--country BFA --country CIV", "admin1": "--admin1 USA-03521",
                                  "bbox": "--bbox -117.5,25.5,-96.5,33.2"}[mode] + ").")
    extra = [g for g in given if g != needs.get(mode)]
    if extra:
        raise click.UsageError(f"{', '.join(extra)} does not apply to --area {mode}.")
    try:
        if mode == "countries":
            a = area_countries(countries)
        elif mode == "admin1":
            a = area_admin1(admin1)
        elif mode == "bbox":
            a = Area("bbox", (), tuple(bbox), "")
        else:
            a = Area(mode)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    from dataclasses import replace

    return replace(a, sources=sources) if sources else a


def area_options(f=None):
    """Decorator adding the study-area options, passed to the verb as one ``area`` (an
    :class:`intel.risk.Area`, see :func:`resolve_area`).

    ``--area data|extent|countries|admin1|bbox`` (default ``data``: per country, the hull of the
    records cut to its land, never across an ocean), ``--country ISO3`` (repeatable or
    comma-separated), ``--admin1 ID`` (``admin1.admin1_id``, repeatable), ``--bbox W,S,E,N``
    (degrees) and ``--source NAME`` (only the records of these sources, repeatable).
    """
    opts = [
        click.option("--area", "area_mode", type=AreaModeType(), default=None,
                     help="Study area: data = land of the places with records, per country, never across an ocean "
                          "(default); extent = one hull of all records, its land only; countries, admin1 or bbox (with their option)."),
        click.option("--country", "area_countries", multiple=True,
                     help="ISO 3166-1 alpha-3 code of the study area (repeatable or comma-separated, e.g. BFA,CIV)."),
        click.option("--admin1", "area_admin1", multiple=True,
                     help="Admin-1 id of the study area (admin1.admin1_id, e.g. USA-03521; repeatable)."),
        click.option("--bbox", "area_bbox", type=BBoxType(), default=None,
                     help="Box W,S,E,N in degrees WGS84, cut to land, e.g. -117.5,25.5,-96.5,33.2."),
        click.option("--source", "area_sources", multiple=True,
                     help="Only the records of this source (events.source, e.g. toronto_tps_shootings; repeatable)."),
    ]

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, area_mode, area_countries, area_admin1, area_bbox, area_sources, **kw):
            return fn(*args, area=resolve_area(area_mode, area_countries, area_admin1, area_bbox, area_sources), **kw)
        for o in reversed(opts):
            wrapper = o(wrapper)
        return wrapper
    return deco(f) if f is not None else deco


def check_area(con, area) -> None:
    """Stop the verb (exit 2, :func:`intel.cli.errors.fail`) when the area names countries,
    admin-1 units or sources the store does not hold; the sentence lists what it holds."""
    from intel.cli.errors import fail

    def unknown(sql, values):
        if not values:
            return [], []
        held = [r[0] for r in con.execute(sql).fetchall()]
        return [v for v in values if v not in held], held

    bad, held = unknown("SELECT DISTINCT source FROM events ORDER BY 1", list(area.sources))
    if bad:
        fail(f"the store holds no records of source {', '.join(bad)}; its sources are {', '.join(held) or 'none'}.")
    if area.kind == "countries":
        bad, _ = unknown("SELECT iso3 FROM countries", list(area.codes))
        if bad:
            fail(f"no country boundary {', '.join(bad)} in the store (ISO 3166-1 alpha-3 codes, e.g. BFA, CIV, MLI).")
    if area.kind == "admin1":
        bad, _ = unknown("SELECT admin1_id FROM admin1", list(area.codes))
        if bad:
            fail(f"no admin-1 unit {', '.join(bad)} in the store (ids like USA-03521: see the Planner page "
                 "or the admin1 table).")


def hotspot_area_kwargs(area, filters=None) -> dict:
    """Keyword arguments of :func:`intel.hotspots.hotspots_from_store` (and the emerging
    analysis) for an area: ``area``, ``area_codes``, ``bbox`` and ``filters`` with the sources
    (:func:`intel.studyarea.area_kwargs`, which the pages call too)."""
    from intel.studyarea import area_kwargs

    return area_kwargs(area, filters)


# --------------------------------------------------------------------------------------------
# exports: the marking inside the file, and the audit line (issue 19)
# --------------------------------------------------------------------------------------------

def cli_marking(con, date_from=None, date_to=None, sources=(), batch_ids=()) -> str:
    """The marking of an export of the verb's records: :func:`intel.export.records_marking` of the
    accepted events of the period (and sources) and of the batches of stored rows the export also
    holds (``batch_ids``: stored flows, crossings).

    The CLI reads the store unrestricted, so the marking covers every record the verb read under
    those filters (an area or kind filter applied after it can only make the rows fewer: the
    marking may be more restrictive than the rows', never less)."""
    return records_marking(con, Filters(date_from=date_from, date_to=date_to, sources=tuple(sources or ())),
                           batch_ids)


def finish_export(db, out, verb: str, *, rows: int | None, marking: str, filters: dict | None = None,
                  snapshot: str | None = None, action: str = "export", con=None, also=()) -> None:
    """After a verb wrote ``out``: write ``marking`` inside the file (:func:`intel.export.mark_export`)
    and the audit line of the export (:func:`intel.auditspool.record`: the store's log, or the
    audit spool beside it when the store cannot be written now), and say both.

    The audit line holds the verb, the file (absolute path), the rows, the marking, the filters
    as given and the snapshot read (:func:`intel.store.snapshot_label`); ``also`` names more files
    written with it (a briefing's PNG figures), marked and listed the same way; the user is
    ``$INTEL_USER``, else ``local``, with the operating-system account beside it.

    Raises
    ------
    intel.cli.errors.Fail
        The file cannot be marked, or neither the store nor its spool can take the audit line
        (the file is then deleted: an export without its audit line is not left behind).
    """
    import getpass

    from intel import auditspool
    from intel.cli.errors import fail
    from intel.export import mark_export

    path = Path(out)
    for f in (path, *(Path(x) for x in also)):
        try:
            data = f.read_bytes()
            marked = mark_export(data, f.name, marking)
            if marked != data:
                f.write_bytes(marked)
        except (OSError, ValueError) as exc:
            fail(f"{f} was written but its marking could not be added: {exc}")
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = None
    detail = {"verb": verb, "file": str(path.resolve()), "rows": rows, "marking": marking,
              "filters": {k: v for k, v in (filters or {}).items() if v not in (None, (), [], "")},
              "snapshot": snapshot, "os_user": os_user, **({"also": [str(x) for x in also]} if also else {})}
    try:
        where = auditspool.record(db, action, detail, con=con)
    except OSError as exc:
        path.unlink(missing_ok=True)
        fail(f"{exc}; {out} was deleted, since every export must have its audit line.")
    click.echo(f"marking: {marking}")
    if where == "spool":
        click.echo(f"audit: the store could not be opened for writing; the audit line waits in "
                   f"{auditspool.spool_path(db)} until the next writer folds it into the log.")
