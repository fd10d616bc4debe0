"""CLI verb ``intel serve``: build the store if it is missing and start the dashboard on 127.0.0.1.

Where this sits: a thin layer that calls :func:`intel.reference.ensure_store` and then runs
Streamlit (through ``launch.py`` beside it) on ``app.py`` (:data:`intel.config.APP_PATH`) with ``INTEL_STORE`` (and ``INTEL_DB``) naming
the store, headless and without usage statistics. The exit status is Streamlit's.

A DuckLake store (``--db ducklake:...`` or ``$INTEL_STORE``) is not built from ``data/``: it is
opened once here (created and migrated when new, so a wrong catalog or a missing extension is
one sentence before Streamlit starts) and filled by ``intel import`` or the Import page. Several
``intel serve`` processes (replicas) and CLI verbs may use it at once.

Host names: Streamlit's websocket accepts only the names of :func:`intel.sessions.allowed_hosts`
(``server.allowedHosts``: the loopback names plus ``INTEL_ALLOWED_HOSTS``), with CORS and XSRF
protection on, so a page of another site cannot open the dashboard by DNS rebinding; the router
(``app.py``) checks ``Host`` and ``Origin`` again on every run, also when Streamlit is started
another way.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from intel.cli.errors import IntelCommand, fail
from intel.cli.options import db_option

__all__ = ["serve_cmd", "streamlit_command"]


def streamlit_command(app: Path, port: int) -> list[str]:
    """The ``streamlit run`` command line of ``intel serve`` (see the module overview), run through
    ``launch.py`` beside ``app`` (Streamlit's command line, the first page's imports started in
    the background; outside the ``intel`` package, which never imports Streamlit)."""
    from intel.sessions import allowed_hosts

    cmd = [sys.executable, str(Path(app).parent / "launch.py"), "run", str(app), "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--server.enableCORS", "true", "--server.enableXsrfProtection", "true"]
    for host in allowed_hosts():
        cmd += ["--server.allowedHosts", host]
    return cmd


@click.command("serve", cls=IntelCommand, help="Build the store if missing and start the dashboard on 127.0.0.1.")
@db_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True, help="TCP port.")
def serve_cmd(db, port):
    from intel import config
    from intel.reference import ensure_store

    from intel import store

    if store.parse_store(str(db)) is not None:
        spec = str(db)
        try:
            con = store.connect(spec)
            n = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
            con.close()
        except Exception as e:  # noqa: BLE001 - one sentence, never a traceback
            fail(f"cannot open the DuckLake store {spec}: {e}")
        if not n:
            click.echo("the DuckLake store holds no records yet: import files with `intel import` or the Import page.")
        env = dict(os.environ, INTEL_STORE=spec)
    else:
        dbp = Path(db)
        try:
            ensure_store(dbp, progress=lambda m: click.echo(m))
        except Exception as e:  # noqa: BLE001 - one sentence, never a traceback
            fail(f"cannot build the store: {e}")
        env = dict(os.environ, INTEL_DB=str(dbp.resolve()), INTEL_STORE=str(dbp.resolve()))
    from intel.render.worldfiles import ADMIN1_FILE, prepare_files

    if not ADMIN1_FILE.exists():
        click.echo("writing the offline basemap's reference files under static/ (once) ...")
    try:
        prepare_files()  # once per installation: the map's reference files (admin-1 lines, lakes, places)
    except Exception as e:  # noqa: BLE001 - one sentence, never a traceback
        fail(f"cannot write the basemap's files under static/: {e}")
    app = config.APP_PATH
    cmd = streamlit_command(app, port)
    click.echo(f"dashboard: http://127.0.0.1:{port}")
    sys.exit(subprocess.call(cmd, env=env, cwd=str(app.parent)))
