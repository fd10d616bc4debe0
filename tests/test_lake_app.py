"""The dashboard on a DuckLake store (issue 18): every page renders on a DuckLake store (SQLite
catalog) filled by a small import, the app's cache stamp is the store's snapshot (so a commit by
another process is seen), a user's releasability views work on the DuckLake catalog, and
``intel serve`` starts the dashboard on it.

The store holds two imports of 15 located records in Toronto (6 in one cell, 3 in another, 6
spread; January and February 2024), six of each ``REL TO CAN`` and nine ``REL TO USA``, and no reference tables (``intel build`` does not
fill a DuckLake store): the pages must still draw or say plainly what is missing.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from intel import auth, ingest, store
from intel.cli import main

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + [f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")) if p.name != "common.py"]

A = (43.6500, -79.3800)
B = (43.7000, -79.4000)
SPREAD = [(43.60, -79.50), (43.62, -79.30), (43.68, -79.45), (43.72, -79.33), (43.66, -79.52), (43.58, -79.41)]


def write_csv(path: Path, prefix: str = "R", month: int = 1) -> Path:
    """15 located records (6 at A ``REL TO CAN``, 3 at B and 6 spread ``REL TO USA``)."""
    rows = ["record_id,seizure_date,country,latitude,longitude,firearm_type,quantity,releasability"]
    for i, (lat, lon) in enumerate([A] * 6 + [B] * 3 + SPREAD):
        rel = "REL TO CAN" if i < 6 else "REL TO USA"
        rows.append(f"{prefix}{i},2024-{month:02d}-{i + 1:02d},CAN,{lat},{lon},pistol,1,{rel}")
    path.write_text("\n".join(rows) + "\n")
    return path


def lake_spec(base: Path) -> str:
    return f"ducklake:sqlite:{base / 'catalog.sqlite'};data={base / 'data'}"


@pytest.fixture(scope="module")
def lake_store(tmp_path_factory) -> str:
    base = tmp_path_factory.mktemp("lakeapp")
    spec = lake_spec(base)
    con = store.connect(spec)
    for prefix, month in (("R", 1), ("S", 2)):   # 30 events: enough for the hot spot statistics
        r = ingest.import_file(con, write_csv(base / f"toronto_{month}.csv", prefix, month))
        assert (r.accepted, r.quarantined) == (15, 0)
    con.close()
    return spec


@pytest.fixture()
def lake_env(lake_store, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv(store.STORE_ENV, lake_store)
    monkeypatch.delenv("INTEL_USERS", raising=False)
    return lake_store


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_ducklake_store(lake_env, page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=180).run()
    assert not at.exception, at.exception
    # the error sentences allowed: the hot spot and emerging statistics' own "too few events" or "too
    # few time steps" (30 events in 8 cells is below the Gi* floor of 30 cells), which say what the
    # data cannot support
    allowed = ("The statistics cannot support", "The emerging hot spot statistics cannot support")
    errors = [e.value for e in at.error if not e.value.startswith(allowed)]
    assert not errors, errors


def test_overview_counts_the_lake_records(lake_env):
    at = AppTest.from_file(str(ROOT / "pages/overview.py"), default_timeout=120).run()
    assert not at.exception
    shown = " ".join(f"{m.label}={m.value}" for m in at.metric)
    assert "30" in shown, shown   # the 30 records of the two imports, read through the DuckLake catalog


def test_cache_stamp_is_the_snapshot_and_follows_another_writer(lake_env, tmp_path):
    """``db_stamp`` of a DuckLake store is its current snapshot id, read on every call: a commit by
    another connection (here in this process; another process in test_lake_processes) changes it,
    so no cached page result outlives a change of the store."""
    from pages import common

    path = common.db_path()
    assert path == lake_env and store.parse_store(path) is not None
    s1 = common.db_stamp()
    other = store.connect(lake_env)
    assert s1 == store.snapshot_id(other) and s1 > 0
    with store.transaction(other):   # one commit elsewhere
        store.audit(other, "test.commit", {})
    s2 = store.snapshot_id(other)
    other.close()
    assert s2 == s1 + 1
    assert common.db_stamp() == s2   # seen by the app's long-lived connection without reopening it
    # and the app's cursors read the DuckLake catalog, not the empty in-memory one
    cur = common._instance().cursor()
    assert cur.execute("SELECT current_database()").fetchall() == [(store.LAKE,)]
    assert cur.execute("SELECT count(*) FROM audit WHERE action = 'test.commit'").fetchall()[0][0] >= 1


@pytest.mark.parametrize("country,events", [("CAN", 12), ("USA", 18), ("MEX", 0)])
def test_visibility_views_on_a_ducklake_catalog(lake_store, country, events):
    """The temp views of :func:`intel.auth.apply_visibility` shadow the DuckLake tables on a cursor
    (hand count: 2 x 6 records REL TO CAN, 2 x 9 REL TO USA), and leave other cursors untouched."""
    con = store.connect(lake_store, read_only=True)
    cur = auth.apply_visibility(store.cursor(con), auth.User("u", "analyst", country))
    assert cur.execute("SELECT count(*) FROM events").fetchall()[0][0] == events
    assert store.cursor(con).execute("SELECT count(*) FROM events").fetchall()[0][0] == 30
    con.close()


def test_serve_opens_a_ducklake_store(lake_store, monkeypatch):
    """``intel serve --db ducklake:...`` starts Streamlit with INTEL_STORE naming the store (it used
    to refuse DuckLake stores); ``intel build`` still refuses them (it rebuilds a file)."""
    import subprocess

    seen = {}

    def fake_call(cmd, env=None, cwd=None):
        seen.update(cmd=cmd, env=env)
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    r = CliRunner().invoke(main, ["serve", "--db", lake_store, "--port", "8599"])
    assert r.exit_code == 0, r.output
    assert seen["env"][store.STORE_ENV] == lake_store and "8599" in seen["cmd"]
    r = CliRunner().invoke(main, ["build", "--db", lake_store])
    assert r.exit_code == 2 and "is a DuckLake store" in r.output and "Traceback" not in r.output


def test_serve_names_the_file_it_serves_even_with_intel_store_set(tmp_path, monkeypatch, lake_store):
    """``--db FILE`` wins over ``$INTEL_STORE`` in the served app too (the app reads INTEL_STORE first)."""
    import subprocess

    import intel.reference

    seen = {}
    monkeypatch.setattr(subprocess, "call", lambda cmd, env=None, cwd=None: seen.update(env=env) or 0)
    monkeypatch.setattr(intel.reference, "ensure_store", lambda db, progress=None: None)
    monkeypatch.setenv(store.STORE_ENV, lake_store)
    db = tmp_path / "x.duckdb"
    r = CliRunner().invoke(main, ["serve", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert seen["env"][store.STORE_ENV] == str(db.resolve())
