"""Shared fixtures: a store built from the bundled real data through the product's import path,
and a small hand-built store for page tests."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASES = ROOT / "tests" / "cases"  # copies of the shared hard import cases


@pytest.fixture(scope="session")
def real_store(tmp_path_factory) -> Path:
    """The default store built by `intel build` logic into a temporary file (real data)."""
    from intel.reference import build

    db = tmp_path_factory.mktemp("real") / "intel.duckdb"
    build(db, progress=lambda m: None)
    return db


@pytest.fixture()
def app_env(monkeypatch, tmp_path):
    """Point the pages at a store and give Streamlit a temporary HOME."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)

    def use(db: Path):
        monkeypatch.setenv("INTEL_DB", str(db))
        import intel.store

        monkeypatch.setattr(intel.store, "DEFAULT_DB", Path(db))
    return use


def cases_dir() -> Path:
    """The shared hard import cases (read-only)."""
    return CASES


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs the real store (a whole build, 1-3 min) as ``slow``.

    The fast tier is ``pytest -m "not browser and not slow" -n 2``; CI runs everything.
    """
    for item in items:
        if "real_store" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
