"""CLI verbs ``intel settings``: list, read, change and reset the named settings.

Where this sits: a thin layer over :mod:`intel.settings`, the same table the Admin page edits.
``intel settings`` (or ``settings list``) prints each setting's name, value, where the value comes
from (``env``: an ``INTEL_<NAME>`` variable, ``store``: saved, ``default``), its valid range or
choices and its help. ``set NAME VALUE`` checks the value against the range and saves it through
:func:`intel.settings.put`, which writes the audit log; ``reset NAME`` removes the saved value.
An environment variable still overrides a saved value; ``set`` and ``reset`` say so.
"""
from __future__ import annotations

import os

import click

from intel.cli.errors import IntelGroup
from intel.cli.options import db_option, open_store, store_exists

__all__ = ["settings_cmd"]


def _user() -> str:
    return os.environ.get("INTEL_USER", "cli")


def _value_text(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _env_note(name: str) -> None:
    from intel import settings

    if os.environ.get(settings.env_name(name)) is not None:
        click.echo(f"note: {settings.env_name(name)} is set and overrides the saved value in this environment.")


@click.group("settings", cls=IntelGroup, invoke_without_command=True,
             help="List, read, change or reset the named settings (the table the Admin page edits).")
@click.pass_context
def settings_cmd(ctx):
    if ctx.invoked_subcommand is None:
        ctx.invoke(settings_list)


@settings_cmd.command("list", help="Every setting: name, value, source (env, store, default), range and help.")
@db_option
def settings_list(db):
    from intel import settings

    con = open_store(db) if store_exists(db) else None
    try:
        rows = []
        for s in settings.SETTINGS.values():
            src = settings.source(s.name, con)
            try:
                value = _value_text(settings.get(s.name, con))
            except ValueError:
                value = "INVALID"
            rows.append({"name": s.name, "value": value, "source": src, "unit": s.unit,
                         "range": s.range_text(), "help": s.help})
    finally:
        if con is not None:
            con.close()
    cols = ["name", "value", "source", "unit", "range"]
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    click.echo("  ".join(c.ljust(width[c]) for c in cols) + "  help")
    for r in rows:
        click.echo("  ".join(r[c].ljust(width[c]) for c in cols) + "  " + r["help"])
    if con is None:
        click.echo(f"(the store {db} does not exist yet: values are the defaults and environment variables)")


@settings_cmd.command("get", help="Print the value of one setting (environment, then store, then default).")
@click.argument("name")
@db_option
def settings_get(name, db):
    from intel import settings

    con = open_store(db) if store_exists(db) else None
    try:
        click.echo(_value_text(settings.get(name, con)))
    finally:
        if con is not None:
            con.close()


@settings_cmd.command("set", help="Check VALUE against the setting's range and save it in the store (audited).")
@click.argument("name")
@click.argument("value")
@db_option
def settings_set(name, value, db):
    from intel import settings

    con = open_store(db, read_only=False)
    try:
        v = settings.put(con, name, value, user=_user())
    finally:
        con.close()
    click.echo(f"{name} = {_value_text(v)} (saved in {db})")
    _env_note(name)


@settings_cmd.command("reset", help="Remove the saved value of a setting: back to its default (audited).")
@click.argument("name")
@db_option
def settings_reset(name, db):
    from intel import settings

    con = open_store(db, read_only=False)
    try:
        removed = settings.reset(con, name, user=_user())
    finally:
        con.close()
    default = _value_text(settings.SETTINGS[name].default)
    click.echo(f"{name}: saved value removed, back to the default {default}" if removed
               else f"{name} had no saved value; it is the default {default}")
    _env_note(name)
