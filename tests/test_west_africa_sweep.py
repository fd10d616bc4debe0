"""Issue 15's scenario: a small West African file imported into the real store leaves every page and
every analysis verb working at its default settings (no traceback, no error, a result or a plain
sentence). The file is the hand-made test file of tests/test_studyarea.py, never bundled data."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from intel.cli import main
from tests.test_studyarea import WEST_AFRICA

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["app.py"] + [f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")) if p.name != "common.py"]


@pytest.fixture(scope="module")
def wa_store(real_store, tmp_path_factory):
    d = tmp_path_factory.mktemp("wa")
    db = d / "wa.duckdb"
    shutil.copy(real_store, db)
    csv = d / "west_africa.csv"
    csv.write_text(WEST_AFRICA, encoding="utf-8")
    r = CliRunner().invoke(main, ["import", str(csv), "--db", str(db)])
    assert r.exit_code == 0 and "6 accepted" in r.output, r.output
    return db


@pytest.mark.parametrize("verb", [
    ["hotspots", "--out", "h.csv"], ["emerging", "--out", "e.csv"], ["targets", "--out", "t.csv"],
    ["targets", "--preset", "KAFO", "--out", "k.csv"], ["backtest", "--out", "b.csv"],
    ["borders", "--out", "s.csv"], ["bypass", "--out", "y.csv"], ["corridors", "--out", "c.csv"],
    ["briefing", "--out", "brief.pdf"],
])
def test_every_verb_works_at_defaults(wa_store, tmp_path, verb):
    args = [a if not a.endswith((".csv", ".pdf")) else str(tmp_path / a) for a in verb]
    r = CliRunner().invoke(main, [*args, "--db", str(wa_store)])
    assert "Traceback" not in r.output and r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert r.exit_code == 0, r.output
    out = Path(args[-1])
    assert out.exists() and out.stat().st_size > 0


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_at_defaults(wa_store, monkeypatch, tmp_path, page):
    import intel.store

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("INTEL_DB", str(wa_store))
    monkeypatch.setattr(intel.store, "DEFAULT_DB", Path(wa_store))
    at = AppTest.from_file(str(ROOT / page), default_timeout=180).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
