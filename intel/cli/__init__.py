"""Command line ``intel``: the same verbs as the pages, on the same functions.

Where this sits: the CLI is a thin layer at the edge of the product, beside the pages. A verb
parses its options (the shared ones from :mod:`intel.cli.options`), calls one :mod:`intel`
analysis or the import path, and prints or writes the result with the same columns as the
page's export. It holds no SQL and no analysis of its own.

Modules (one per verb group)
----------------------------
================  ===================================================================
module            verbs
================  ===================================================================
``ingest``        ``build`` (rebuild the store from ``data/``), ``import PATH``
``serve``         ``serve`` (build the store if missing, start the dashboard)
``hotspots``      ``hotspots``, ``emerging``
``borders``       ``borders``, ``bypass``, ``crossings``
``corridors``     ``corridors``, ``flows``
``planner``       ``targets``, ``backtest``
``briefing``      ``briefing``
``admin``         ``audit``, ``users add|list|set-role|passwd|disable|enable``
``settings``      ``settings [list]|get|set|reset``
``verify``        ``verify`` (check a store: schema, audit chain, batches, cells, quarantine)
``options``       shared options: ``--db``, ``--period``/``--from``/``--to``, ``--res``
``errors``        the one error path: :func:`~intel.cli.errors.fail`, exit status 2
================  ===================================================================

Errors are printed as ``error: <plain sentence>`` with exit status 2, never as tracebacks
(:mod:`intel.cli.errors`). ``python -m intel.cli`` runs the same group as the ``intel`` script.
"""
from __future__ import annotations

import click

from intel.cli.errors import IntelGroup, fail

__all__ = ["main", "fail"]


@click.group(cls=IntelGroup, help="Firearms-trafficking route intelligence: store, imports, analyses, dashboard.")
def main() -> None:
    """The ``intel`` group; verbs are added below from their modules."""


def _register() -> None:
    from intel.cli import admin, borders, briefing, corridors, hotspots, ingest, planner, serve, settings, verify

    for cmd in (ingest.build_cmd, ingest.import_cmd, ingest.batches_cmd, serve.serve_cmd,
                hotspots.hotspots_cmd, hotspots.emerging_cmd,
                borders.borders_cmd, borders.bypass_cmd, borders.crossings_cmd,
                corridors.corridors_cmd, corridors.flows_cmd,
                planner.targets_cmd, planner.backtest_cmd,
                briefing.briefing_cmd,
                admin.audit_cmd, admin.users_cmd,
                settings.settings_cmd, verify.verify_cmd):
        main.add_command(cmd)


_register()
