"""CLI verb ``intel verify [--db STORE]``: check a store and say what is wrong with it.

A thin layer over :func:`intel.verify.verify`: the store is opened read-only (so it works while
the dashboard serves it, and an old store is not upgraded by looking at it), one line is printed
per check, ``ok [check]: ...`` or ``PROBLEM [check]: ...``, and the exit status is 0 when every
check passed, 1 when one did not. A store that cannot be opened at all (missing, damaged, held by
another process) is an error: ``error: <sentence>``, exit status 2 (:mod:`intel.cli.errors`).
"""
from __future__ import annotations

import click

from intel.cli.errors import IntelCommand
from intel.cli.options import db_option, open_store

__all__ = ["verify_cmd", "FOUND_EXIT"]

FOUND_EXIT = 1
"""Exit status when the store opened but a check found a problem."""


@click.command("verify", cls=IntelCommand,
               help="Check a store: schema version, the audit log's hash chain, batches and their records, "
                    "H3 cells, quarantine reasons. Exit status 0 when all is well, 1 when a check found a problem.")
@db_option
def verify_cmd(db):
    from intel.verify import verify

    con = open_store(db)
    try:
        report = verify(con)
    finally:
        con.close()
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        click.echo(f"{db}: problems found.")
        raise click.exceptions.Exit(FOUND_EXIT)
    click.echo(f"{db}: every check passed.")
