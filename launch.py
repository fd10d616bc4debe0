"""The process ``intel serve`` runs: Streamlit's own command line, after starting to import, in the
background, the modules every page's first run needs. It sits beside ``app.py`` (the app layer),
since the ``intel`` package never imports Streamlit.

Why: the first script run of a new server process imported pandas, pyarrow, DuckDB, pydeck, h3
and the intel modules (1.2-1.9 s on 2 cores, measured December 2026) while the first user waited,
and the first map read the basemap's sources (Natural Earth countries and their land borders,
lakes, admin-1 lines, places: about 1.5 s more). Started with the server, the imports and that
reading (:func:`intel.render.basemap.prepare_sources`) run while Streamlit starts and while the
browser loads the dashboard's JavaScript. The store is not touched: the store, the user and the
caches are the script's business as before. An import or a reading that fails here fails again,
with its message, where the page needs it.
"""
from __future__ import annotations

import importlib
import sys
import threading

WARM = ("pandas", "pyarrow", "duckdb", "pydeck", "h3", "numpy", "intel.store", "intel.hexbin",
        "intel.render.counts", "intel.render.deck", "intel.render.hexagons")
"""Modules imported in the background at start (module names, in order)."""


def warm_imports(names=WARM) -> None:
    """Import ``names`` one after the other, then read the basemap's sources; an error is left to
    the page that needs the module or the map."""
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported where the page imports it
            pass
    try:
        from intel.render.basemap import prepare_sources

        prepare_sources()
    except Exception:  # noqa: BLE001 - reported where a map needs them
        pass


def main() -> None:
    """``python launch.py run app.py ...``: Streamlit's command line (the same
    arguments as ``streamlit``), the warm imports started first in a daemon thread."""
    threading.Thread(target=warm_imports, name="intel-warm-imports", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
