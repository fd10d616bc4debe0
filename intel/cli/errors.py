"""The one error path of the command line: a plain sentence on standard error, exit status 2.

Where this sits: the CLI is a thin layer (parse options, call an :mod:`intel` analysis, print or
write its table). Its failures are of two kinds, both reported the same way:

* usage errors found while parsing (a resolution outside its range, an unreadable period):
  click reports them itself, with exit status 2;
* errors found while running: a verb calls :func:`fail` with a sentence, or an analysis raises
  one of the expected errors in :data:`EXPECTED` (bad value, unknown name, missing, locked or
  corrupt store, unreadable or unwritable file). :class:`IntelCommand` and :class:`IntelGroup`
  turn those into :class:`Fail`, printed as ``error: <sentence>`` with exit status 2 and no
  traceback.

Every verb of ``intel`` is built with :class:`IntelCommand` (``cls=IntelCommand`` or a command of
the :class:`IntelGroup` ``main``), so a verb invoked on its own (as tests do with
``CliRunner().invoke(hotspots_cmd, ...)``) reports errors exactly as through ``intel``.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import NoReturn

import click
import duckdb

__all__ = ["EXIT_CODE", "Fail", "fail", "describe", "reported", "IntelCommand", "IntelGroup"]

EXIT_CODE = 2
"""Exit status of every failure of ``intel`` (click's own usage errors use the same)."""

EXPECTED: tuple[type[BaseException], ...] = (ValueError, KeyError, OSError, duckdb.IOException,
                                              duckdb.TransactionException)
"""Errors a verb may meet in normal use and reports as a sentence. ``ValueError`` covers the
analyses' own errors (``HotspotError``, ``RiskError``, ``BacktestError``, ``ReadError``,
``ImportError_``), which subclass it; ``OSError`` covers ``FileNotFoundError`` and files that
cannot be written; ``duckdb.IOException`` a store that is locked by another process, damaged (not a
DuckDB file, a corrupt block), read-only or on a full disk (:func:`intel.store.fault_message`);
``duckdb.TransactionException`` a commit refused because another process changed the
store at the same moment (two writers of one DuckLake store; its SQLite catalog reports
"database is locked")."""


class Fail(click.ClickException):
    """A failure told in one plain sentence: ``error: <message>`` on standard error, exit status 2."""

    exit_code = EXIT_CODE

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def fail(message: str) -> NoReturn:
    """Stop the verb with ``message`` (a plain sentence) and exit status 2.

    Raises
    ------
    Fail
        Always.
    """
    raise Fail(str(message))


def describe(exc: BaseException) -> str:
    """One plain sentence for an expected error (see :data:`EXPECTED`)."""
    if isinstance(exc, duckdb.IOException):   # locked, damaged, read-only, full disk
        from intel.store import fault_message

        return fault_message(exc)
    if isinstance(exc, duckdb.TransactionException):
        text = " ".join(str(exc).split())
        return ("another process changed the store at the same moment, so this command's changes could not be "
                f"committed and nothing was written; run it again ({text})")
    if isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else ""
        return str(key) if isinstance(key, str) and " " in key else f"unknown name {key!r}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


@contextmanager
def reported():
    """Turn an expected error raised inside the block into :class:`Fail`; others pass unchanged."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except EXPECTED as exc:
        raise Fail(describe(exc)) from None


class IntelCommand(click.Command):
    """A verb whose expected errors become plain sentences with exit status 2."""

    def invoke(self, ctx):  # noqa: D102 - click's hook
        with reported():
            return super().invoke(ctx)


class IntelGroup(click.Group):
    """A group of verbs (``intel`` itself, ``intel users``, ``intel settings``) with the same error path."""

    command_class = IntelCommand

    def invoke(self, ctx):  # noqa: D102 - click's hook
        with reported():
            return super().invoke(ctx)


IntelGroup.group_class = IntelGroup
