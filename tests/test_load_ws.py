"""A small run of the websocket load test (bench/load_ws.py): 3 sessions speak Streamlit's own
protocol to a real ``streamlit run app.py`` on 127.0.0.1, each opening Overview and Explore map
once; every page must finish successfully, with no exception, error box, timeout or closed
socket. No browser and no import: it belongs to the normal suite (about 10 s; bounded at 90 s).
The full run (20 sessions, 3 rounds, 5 pages, an import through the upload endpoint) is
``.venv/bin/python bench/load_ws.py``.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_ws():
    spec = importlib.util.spec_from_file_location("bench_load_ws", ROOT / "bench" / "load_ws.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def test_small_websocket_load_has_no_errors(real_store, tmp_path):
    lws = _load_ws()
    # the server process needs its own store file: this test process may hold the shared one
    db = tmp_path / "intel.duckdb"
    shutil.copy(real_store, db)
    r = lws.run_load(db, sessions=3, rounds=1, pages=["", "explore_map"], imports=0,
                     page_timeout=60.0, max_seconds=90.0)
    table = lws.report(r)
    assert not r["errors"], table
    assert len(r["views"]) == r["planned"] == 6, table
    done = sorted((v[4], v[0]) for v in r["views"])
    assert done == sorted((n, p) for n in range(3) for p in ("overview", "explore_map")), table
    assert all(v[3] > 0 and v[5] > 0 for v in r["views"]), table  # each page sent something back
