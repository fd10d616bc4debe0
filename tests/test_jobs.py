"""The bounded job queue (intel.jobs): one job at a time, in order, a bounded queue, plain refusals."""
from __future__ import annotations

import threading

import pytest

from intel import jobs


def _gate():
    """A job that runs until the test opens its gate; records that it started."""
    started, gate = threading.Event(), threading.Event()

    def fn(progress):
        started.set()
        progress(0.5, "half way")
        assert gate.wait(10), "test gate never opened"
        return "blocked-done"
    return fn, started, gate


def test_one_at_a_time_in_order_and_queue_bounded():
    q = jobs.JobQueue(max_waiting=1)
    fn, started, gate = _gate()
    first = q.submit(fn, "first")
    assert started.wait(5)
    assert first.state == jobs.RUNNING and first.fraction == 0.5 and first.message == "half way"
    order = []
    second = q.submit(lambda p: order.append("second") or 2, "second")
    assert second.state == jobs.QUEUED and q.ahead_of(second) == 1   # the running job is ahead
    with pytest.raises(jobs.QueueFull, match="Another import is running and 1 more is waiting"):
        q.submit(lambda p: order.append("third"), "third")
    assert not second.wait(0.3) and order == []   # the second does not start while the first runs
    gate.set()
    assert first.wait(5) and second.wait(5)
    assert (first.result, second.result, order) == ("blocked-done", 2, ["second"])
    assert first.finished <= second.started   # never both at once
    assert q.get(first.id) is first and not q.busy()


def test_failure_is_kept_and_the_worker_goes_on():
    q = jobs.JobQueue(max_waiting=2)

    def boom(progress):
        raise ValueError("bad file")
    a = q.submit(boom, "a")
    b = q.submit(lambda p: 7, "b")
    assert a.wait(5) and b.wait(5)
    assert a.state == jobs.FAILED and isinstance(a.error, ValueError) and a.result is None
    assert b.state == jobs.DONE and b.result == 7


def test_nice_lowers_only_the_worker_thread():
    import os

    if not hasattr(os, "setpriority"):
        pytest.skip("no setpriority")
    me = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    q = jobs.JobQueue(nice=5)
    job = q.submit(lambda p: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), "nice")
    assert job.wait(5)
    assert job.result == min(me + 5, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == me   # the caller is unchanged
