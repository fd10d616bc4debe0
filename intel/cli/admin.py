"""Command line for administrators: the audit log and the users file.

Where this sits: a thin layer over :mod:`intel.auth` (the same functions as the Admin page).

``intel audit --db DB --out FILE.csv`` writes the append-only audit log (optionally filtered
by user, action and a half-open period of UTC days, ``--period`` or ``--from``/``--to``) to CSV, with spreadsheet formulas
defused (:func:`intel.safety.csv_safe`). The store is opened read-only, so the command works
while the dashboard is serving.

``intel users add|list|set-role|passwd|disable|enable`` edits the users file named by
``--users`` or ``$INTEL_USERS`` (:mod:`intel.auth`). Passwords are read with a hidden prompt
(typed twice) or, for scripts, from standard input with ``--password-stdin``; they never
appear on the command line. With ``--db`` each change is also written to that store's audit
log (``--db`` here is optional: without it nothing is logged). Errors are plain sentences with
exit status 2.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from intel import auth, store
from intel.cli.errors import IntelCommand, IntelGroup, fail
from intel.cli.options import db_option, open_store, period_options


@click.command("audit", cls=IntelCommand,
               help="Write the audit log to CSV (filters: user, action, half-open period [from, to)).")
@db_option
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="CSV file to write.")
@click.option("--user", "user_name", default=None, help="Only this user's lines.")
@click.option("--action", default=None, help="Only this action (a trailing * matches a prefix, e.g. 'import*').")
@period_options()
def audit_cmd(db, out, user_name, action, period):
    from intel.safety import write_csv

    date_from, date_to = period
    con = open_store(db)
    try:
        df = auth.audit_frame(con, user=user_name, action=action, date_from=date_from, date_to=date_to)
    finally:
        con.close()
    try:
        write_csv(df, out)
    except OSError as e:
        fail(f"cannot write {out}: {e}")
    from intel.cli.options import finish_export

    # the audit log holds no records: its export is unrestricted, and is itself audited
    finish_export(db, out, "audit", rows=len(df), marking=auth.UNRESTRICTED_MARKING, action="audit.export",
                  filters={"user": user_name, "action": action, "date_from": date_from, "date_to": date_to})
    click.echo(f"{len(df):,} audit lines written to {out}")


def _users_file(path: str | None) -> Path:
    p = Path(path) if path else auth.users_path()
    if p is None:
        fail("no users file: give --users PATH or set INTEL_USERS.")
    return p


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
    else:
        pw = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return pw


def _log(db: str | None, action: str, detail: dict) -> None:
    if not db:
        return
    try:
        con = store.connect(db)
    except Exception as e:  # noqa: BLE001
        why = store.lock_message(db, e) if store.is_lock_error(e) else e
        click.echo(f"warning: the change was made but could not be written to the audit log of {db}: {why}", err=True)
        return
    try:
        store.audit(con, action, detail, user=os.environ.get("INTEL_USER", "cli"))
    finally:
        con.close()


USERS_OPTION = click.option("--users", "users_file", type=click.Path(dir_okay=False), default=None,
                            help="Users file (default $INTEL_USERS).")
AUDIT_DB_OPTION = click.option("--db", type=click.Path(dir_okay=False), default=None,
                               help="Also log the change in this store's audit log (default: not logged).")
"""``--db`` of the ``users`` verbs: optional, unlike :data:`intel.cli.options.db_option`, because the
users file is not in the store; given, each change is also written to that store's audit log."""


@click.group("users", cls=IntelGroup, help="Manage the users file of a shared deployment (roles: analyst, planner, manager, admin).")
def users_cmd():
    pass


@users_cmd.command("list", help="List the accounts (never the password hashes).")
@USERS_OPTION
def users_list(users_file):
    p = _users_file(users_file)
    try:
        users = auth.load_users(p)
    except ValueError as e:
        fail(str(e))
    if not users:
        click.echo(f"no users in {p}")
        return
    df = auth.users_frame(users)
    click.echo(df.to_string(index=False))


@users_cmd.command("add", help="Add an account.")
@click.argument("name")
@click.option("--role", type=click.Choice(auth.ROLES), required=True)
@click.option("--country", default=None, help="ISO3 code of the user's country, e.g. BFA.")
@click.option("--agency", default="", help="The user's agency.")
@click.option("--display-name", default="", help="Name shown on pages.")
@click.option("--oidc", default=None, help="E-mail or subject of the OIDC identity that signs in as this account.")
@click.option("--no-password", is_flag=True, help="No local password (the account signs in through OIDC only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@USERS_OPTION
@AUDIT_DB_OPTION
def users_add(name, role, country, agency, display_name, oidc, no_password, password_stdin, users_file, db):
    p = _users_file(users_file)
    try:
        users = auth.load_users(p)
        if name in users:
            fail(f"a user named {name!r} already exists.")
        pw = None if no_password else _read_password(password_stdin)
        users = auth.add_user(users, name, pw, role, country, agency, display_name, oidc=oidc)
        auth.save_users(users, p)
    except ValueError as e:
        fail(str(e))
    _log(db, "users.add", {"name": name, "role": role, "country": country, "agency": agency})
    click.echo(f"added {name} ({role}) to {p}")


@users_cmd.command("set-role", help="Change an account's role.")
@click.argument("name")
@click.argument("role", type=click.Choice(auth.ROLES))
@USERS_OPTION
@AUDIT_DB_OPTION
def users_set_role(name, role, users_file, db):
    p = _users_file(users_file)
    try:
        users = auth.load_users(p)
        old = users[name].user.role if name in users else None
        users = auth.set_role(users, name, role)
        auth.save_users(users, p)
    except ValueError as e:
        fail(str(e))
    _log(db, "users.set_role", {"name": name, "from": old, "to": role})
    click.echo(f"{name}: role {old} -> {role}")


@users_cmd.command("passwd", help="Set an account's password.")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@USERS_OPTION
@AUDIT_DB_OPTION
def users_passwd(name, password_stdin, users_file, db):
    p = _users_file(users_file)
    try:
        users = auth.load_users(p)
        if name not in users:
            fail(f"no user named {name!r}.")
        users = auth.set_password(users, name, _read_password(password_stdin))
        auth.save_users(users, p)
    except ValueError as e:
        fail(str(e))
    _log(db, "users.passwd", {"name": name})
    click.echo(f"password of {name} changed")


@users_cmd.command("disable", help="Disable an account (kept for the audit trail).")
@click.argument("name")
@USERS_OPTION
@AUDIT_DB_OPTION
def users_disable(name, users_file, db):
    _toggle(name, users_file, db, True)


@users_cmd.command("enable", help="Enable a disabled account.")
@click.argument("name")
@USERS_OPTION
@AUDIT_DB_OPTION
def users_enable(name, users_file, db):
    _toggle(name, users_file, db, False)


def _toggle(name, users_file, db, disabled: bool) -> None:
    p = _users_file(users_file)
    try:
        users = auth.set_disabled(auth.load_users(p), name, disabled)
        auth.save_users(users, p)
    except ValueError as e:
        fail(str(e))
    _log(db, "users.disable" if disabled else "users.enable", {"name": name})
    click.echo(f"{name} {'disabled' if disabled else 'enabled'}")

