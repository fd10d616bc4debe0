"""An import killed with SIGKILL at any phase leaves none or all of the file, never a torn import.

A subprocess (``intel import``) imports a generated CSV of 100,000 accepted rows and 10 rejected
rows into a store that already holds another file's 2 rows. The importer pauses at a named phase
(``INTEL_TEST_PAUSE_AT``, :func:`intel.ingest._pause_point`) and the test kills it there with
SIGKILL; the "during COMMIT" trials let it go on from the last pause and kill it 0 to 20 ms later,
while DuckDB commits. After each kill the store must open (and migrate), hold the other file
unchanged, hold either no row of the big file or all of them with their batch row, their
quarantine rows and their audit line, and hold no event without a batch; importing the file again
must land it exactly once. ``test_harness_sees_a_torn_import`` runs the same check on an import
written without a transaction, killed after its events: it must see the tear (so the check can fail).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from intel import ingest, store

ROOT = Path(__file__).resolve().parent.parent
N_OK, N_REJ = 100_000, 10
SMALL = ("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
         "A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\n"
         "A2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(big CSV, template store holding the small file's 2 rows)."""
    d = tmp_path_factory.mktemp("kill")
    big = d / "big.csv"
    lines = ["record_id,seizure_date,country,latitude,longitude,firearm_type,quantity"]
    for i in range(N_OK):   # deterministic, all accepted (Ghana)
        lines.append(f"R{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},GHA,{5 + (i % 997) / 1000:.4f},"
                     f"{-1 + (i % 991) / 1000:.4f},pistol,{1 + i % 3}")
    for i in range(N_REJ):  # latitude out of range: rejected, kept in the quarantine only
        lines.append(f"X{i},2024-02-01,GHA,-99,-0.5,pistol,1")
    big.write_text("\n".join(lines) + "\n")
    small = d / "small.csv"
    small.write_text(SMALL)
    tpl = d / "template.duckdb"
    con = store.connect(tpl)
    r = ingest.import_file(con, small, dedup=False)
    assert r.accepted == 2
    con.close()
    return big, tpl


def _state(db: Path) -> dict:
    con = store.connect(db)   # opens and migrates: a damaged store would raise here
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "small": one("SELECT count(*) FROM events WHERE source = 'small'"),
            "events": one("SELECT count(*) FROM events WHERE source = 'big'"),
            "batches": one("SELECT count(*) FROM batches WHERE file_name = 'big.csv'"),
            "quarantine": one("SELECT count(*) FROM quarantine q JOIN batches b USING (batch_id) "
                              "WHERE b.file_name = 'big.csv'"),
            "audit": one("SELECT count(*) FROM audit WHERE action = 'import' AND (detail->>'file') = 'big.csv'"),
            "orphans": one("SELECT count(*) FROM events WHERE batch_id NOT IN (SELECT batch_id FROM batches)"),
            "orphan_q": one("SELECT count(*) FROM quarantine WHERE batch_id NOT IN (SELECT batch_id FROM batches)"),
        }
    finally:
        con.close()


NONE = {"small": 2, "events": 0, "batches": 0, "quarantine": 0, "audit": 0, "orphans": 0, "orphan_q": 0}
ALL = {"small": 2, "events": N_OK, "batches": 1, "quarantine": N_REJ, "audit": 1, "orphans": 0, "orphan_q": 0}


def _kill_at(db: Path, big: Path, phase: str, after: float | None, argv: list[str] | None = None) -> str:
    """Start an import paused at ``phase``; kill it there (``after`` None) or ``after`` s after it
    resumes from a 0.3 s pause. Returns the child's stderr up to the pause."""
    env = {**os.environ, ingest.PAUSE_ENV: phase,
           "INTEL_TEST_PAUSE_SECONDS": "3600" if after is None else "0.3"}
    argv = argv or [sys.executable, "-m", "intel.cli", "import", str(big), "--db", str(db), "--no-dedup"]
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    try:
        for line in child.stderr:
            seen += line
            if line.startswith(f"intel-test-pause {phase}"):
                break
        assert f"intel-test-pause {phase}" in seen, seen[-2000:]
        if after is not None:
            time.sleep(0.3 + after)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return seen


@pytest.mark.parametrize("phase,after", [
    ("before_events", None), ("after_events", None), ("before_commit", None),
    ("before_commit", 0.0), ("before_commit", 0.005), ("before_commit", 0.02),
])
def test_kill_leaves_none_or_all_and_reimport_lands_once(files, tmp_path, phase, after):
    big, tpl = files
    db = tmp_path / "s.duckdb"
    shutil.copy(tpl, db)
    _kill_at(db, big, phase, after)
    st = _state(db)
    assert st in (NONE, ALL), st
    if after is None:   # killed while paused inside the transaction: nothing of the file
        assert st == NONE, st
    con = store.connect(db)
    try:
        r = ingest.import_file(con, big, dedup=False, border_distance=False)   # the same options as the CLI's
        assert r.already_imported == (st == ALL)
    finally:
        con.close()
    assert _state(db) == ALL


def test_harness_sees_a_torn_import(files, tmp_path):
    """Control: the same kill on an import written outside a transaction is caught as torn."""
    big, tpl = files
    db = tmp_path / "s.duckdb"
    shutil.copy(tpl, db)
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from intel import ingest, store
        con = store.connect({str(db)!r})
        ingest.import_file(con, {str(big)!r}, dedup=False, border_distance=False, in_transaction=False)
    """)
    _kill_at(db, big, "after_events", None, argv=[sys.executable, "-c", code])
    st = _state(db)
    assert st not in (NONE, ALL)
    assert st["events"] == N_OK and st["audit"] == 0, st
