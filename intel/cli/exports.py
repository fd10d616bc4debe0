"""The end of an exporting verb: the marking inside the written file, and the audit line (issue 19).

Part of the shared options of the ``intel`` verbs (:mod:`intel.cli.options` names both functions
here too, so ``from intel.cli.options import finish_export`` keeps working). :func:`cli_marking`
is the marking of an export of the records a verb read (:func:`intel.export.records_marking`);
:func:`finish_export` writes it inside the file (and the files written with it) and records the
export's audit line, in the store's log or, when the store cannot be written now, in the audit
spool beside it (:mod:`intel.auditspool`). An export that cannot be marked or audited stops the
verb with one sentence; a file without its audit line is deleted, never left behind.
"""
from __future__ import annotations

from pathlib import Path

import click

from intel.export import records_marking
from intel.hexbin import Filters

__all__ = ["cli_marking", "finish_export"]


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
