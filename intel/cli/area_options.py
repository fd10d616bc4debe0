"""The study-area options of the ``intel`` verbs: ``--area``, ``--country``, ``--admin1``, ``--bbox``
and ``--source``, read into one :class:`intel.risk.Area`.

Part of the shared options (:mod:`intel.cli.options` names every public name here too, so
``from intel.cli.options import area_options`` keeps working). :func:`area_options` adds the five
options to a verb and passes it one ``area`` (:func:`resolve_area`: the mode follows the option
given, ``data`` by default, the land of the places with records); :func:`check_area` stops the verb
when the area names countries, admin-1 units or sources the store does not hold, and
:func:`hotspot_area_kwargs` turns the area into the hot spot analysis's arguments, as the pages
do. The modes (:data:`AREA_MODES`) repeat :data:`intel.studyarea.AREA_MODES` so ``--help`` needs no
analysis import (a test checks that the two agree). A bad value is a click usage error: exit
status 2, and the message names the accepted forms.
"""
from __future__ import annotations

import functools

import click

__all__ = ["AREA_MODES", "AreaModeType", "BBoxType", "resolve_area", "area_options", "check_area",
           "hotspot_area_kwargs"]

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
