"""AppTest of the Import page's worker (intel.jobs.IMPORTS): a second import waits in the queue
(or is refused plainly when the queue is full), and an import that fails on the worker leaves
the store unchanged, with no batch and no audit line."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from intel import ingest, jobs, store
from tests.test_page_import import empty_store  # noqa: F401  (the same empty store fixture)

CASES = Path(__file__).resolve().parent / "cases"
NAME = "C01_latlon_swapped.csv"


@pytest.fixture()
def queue(monkeypatch):
    """A fresh import queue for the page (the process-wide one is left alone)."""
    q = jobs.JobQueue(max_waiting=1)
    monkeypatch.setattr(jobs, "IMPORTS", q)
    return q


def _blocker(q: jobs.JobQueue, release_after: float | None = None):
    """Occupy the worker with a job that runs until the gate opens (after ``release_after`` s)."""
    started, gate = threading.Event(), threading.Event()

    def fn(progress):
        started.set()
        assert gate.wait(60)
        return None
    job = q.submit(fn, "import of another file", owner="someone else")
    assert started.wait(5)
    if release_after is not None:
        threading.Timer(release_after, gate.set).start()
    return job, gate


def _page() -> AppTest:
    at = AppTest.from_file("../pages/import_file.py", default_timeout=60)
    at.session_state["_test_upload"] = (NAME, (CASES / NAME).read_bytes())
    return at.run()


def _counts(db):
    con = store.connect(db)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("events", "batches")) + (
            con.execute("SELECT count(*) FROM audit WHERE action LIKE 'import%'").fetchone()[0],)
    finally:
        con.close()


def test_second_import_waits_in_the_queue_then_runs(empty_store, queue):
    at = _page()
    assert not at.exception and not at.error
    other, _ = _blocker(queue, release_after=2.0)
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    mine = queue.get(max(j for j in queue._jobs))
    assert mine is not other and mine.state == jobs.DONE
    assert other.finished <= mine.started              # never two imports at once
    assert any("yours waited" in c.value and "in the queue" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    assert any(s.value.startswith(f"{NAME}: ") for s in at.success)
    assert _counts(empty_store)[1] == 1
    assert "imp_job" not in at.session_state


def test_import_refused_plainly_when_the_queue_is_full(empty_store, queue):
    at = _page()
    other, gate = _blocker(queue)
    queue.submit(lambda p: None, "a waiting import")   # fills max_waiting=1
    try:
        at.button(key="imp_go").click().run()
        assert not at.exception, at.exception
        assert [w.value for w in at.warning] == [
            "Another import is running and 1 more is waiting; yours was not started. Try again in a few minutes."]
        assert "imp_job" not in at.session_state and "imp_result" not in at.session_state
        assert _counts(empty_store) == (0, 0, 0)
    finally:
        gate.set()


def test_failed_worker_import_leaves_the_store_unchanged(empty_store, queue, monkeypatch):
    at = _page()
    calls = []

    def fail_at(phase):
        calls.append(phase)
        if phase == "before_commit":   # events and batch written, not yet committed
            raise OSError("disk went away")
    monkeypatch.setattr(ingest, "_pause_point", fail_at)
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["The import failed and the store is unchanged: disk went away"]
    assert calls == ["before_events", "after_events", "before_commit"]
    assert _counts(empty_store) == (0, 0, 0)
    assert "imp_result" not in at.session_state
    # and the worker carries on: the same file imports once the fault is gone
    monkeypatch.setattr(ingest, "_pause_point", lambda phase: None)
    at.button(key="imp_go").click().run()
    assert not at.error, [e.value for e in at.error]
    ev, batches, audit = _counts(empty_store)
    assert ev > 0 and batches == 1 and audit >= 1
