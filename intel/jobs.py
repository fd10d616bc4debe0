"""Bounded background jobs: imports run one at a time, beside the pages, never inside them.

Why: the dashboard serves every session from one server process and one DuckDB instance (DuckDB
allows one writing process). An import run inside a page's script thread competes with every
other session's page runs for Python's GIL and the two cores, and two imports at once double
that. A :class:`JobQueue` runs its jobs on **one** worker thread, in the order they were
submitted, so at most one import runs per server process; a bounded number more may wait
(``max_waiting``), and one more is refused with a plain sentence (:class:`QueueFull`).

The worker thread may run at a lower operating-system priority (``nice``; Linux gives each
thread its own nice value, :func:`os.setpriority` with the thread's native id), so the page
runs of other sessions are scheduled first when the cores are busy. Whether that helps is
measured by ``bench/load_test.py`` (see the README's load figures): keep what helps.

A job is a plain callable ``fn(progress)`` that returns a result; ``progress(fraction, message)``
records how far it got, for the page to show. The job owns whatever it writes with: an import
job opens its own DuckDB cursor and uses one transaction, exactly as ``intel import`` does
(:func:`intel.ingest.import_file`), so an import run here is as atomic and as audited as one
run anywhere else. The caller (the Import page) waits on :meth:`Job.wait` and reads
:attr:`Job.result` or :attr:`Job.error`; a session that stops waiting (its user moved to
another page) leaves the job running, and finds it again by its id (:meth:`JobQueue.get`).

This module does not import Streamlit.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from typing import Any, Callable

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
"""States of a :class:`Job`, in the order they are reached (``done`` or ``failed`` last)."""


class QueueFull(RuntimeError):
    """A job was refused because ``max_waiting`` jobs already wait; the message is a plain sentence."""


class Job:
    """One submitted job: its state, progress, result or error.

    Attributes
    ----------
    id : int
        Unique within the process.
    label : str
        What the job does, in words ("import of seizures.csv").
    owner : str
        Who submitted it (account name), for messages only.
    state : str
        :data:`QUEUED`, :data:`RUNNING`, :data:`DONE` or :data:`FAILED`.
    fraction : float
        Progress in 0..1, as last reported by the job.
    message : str
        The job's last progress message.
    result : Any
        What the job's callable returned (``DONE`` only).
    error : BaseException or None
        What it raised (``FAILED`` only).
    submitted, started, finished : float or None
        ``time.monotonic()`` stamps.
    """

    def __init__(self, jid: int, fn: Callable[[Callable[[float, str], None]], Any], label: str, owner: str):
        self.id, self.label, self.owner = jid, label, owner
        self._fn = fn
        self.state = QUEUED
        self.fraction, self.message = 0.0, "queued"
        self.result: Any = None
        self.error: BaseException | None = None
        self.submitted = time.monotonic()
        self.started: float | None = None
        self.finished: float | None = None
        self._done = threading.Event()

    @property
    def finished_ok(self) -> bool:
        return self.state == DONE

    @property
    def over(self) -> bool:
        """True once the job has finished, successfully or not."""
        return self._done.is_set()

    def progress(self, fraction: float, message: str) -> None:
        """Record progress (called by the job's callable, on the worker thread)."""
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        self.message = str(message)

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds (``None``: until the end); True when the job is over."""
        return self._done.wait(timeout)

    def waited_s(self) -> float:
        """Seconds spent in the queue before the job started (so far, when it has not)."""
        return (self.started if self.started is not None else time.monotonic()) - self.submitted

    def run_s(self) -> float | None:
        """Seconds the job ran (``None`` before it finished)."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


class JobQueue:
    """Run submitted jobs one at a time on one worker thread, in submission order.

    Parameters
    ----------
    max_waiting : int
        Jobs that may wait while one runs; one more is refused (:class:`QueueFull`).
    nice : int
        Niceness added to the worker thread (0 = same priority as the page runs; 10 = the
        pages are scheduled first when the cores are busy). Linux only; ignored elsewhere or
        when the system refuses.
    keep : int
        Finished jobs remembered for :meth:`get` (the oldest are forgotten first).
    what : str
        What a job is, in the refusal sentence ("import").
    """

    def __init__(self, max_waiting: int = 3, nice: int = 0, keep: int = 64, what: str = "import"):
        if max_waiting < 0:
            raise ValueError("max_waiting must be 0 or more")
        self.max_waiting, self.nice, self.keep, self.what = int(max_waiting), int(nice), int(keep), what
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._waiting: deque[Job] = deque()
        self._running: Job | None = None
        self._jobs: dict[int, Job] = {}
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ submitting and reading
    def submit(self, fn: Callable[[Callable[[float, str], None]], Any], label: str, owner: str = "") -> Job:
        """Queue ``fn(progress)`` to run on the worker thread; the :class:`Job` that follows it.

        Raises
        ------
        QueueFull
            ``max_waiting`` jobs already wait (plain sentence; nothing was queued).
        """
        with self._lock:
            busy = self._running is not None
            if len(self._waiting) >= self.max_waiting and (busy or self._waiting):
                n = len(self._waiting)
                more = f" and {n} more {'is' if n == 1 else 'are'} waiting" if n else ""
                raise QueueFull(f"Another {self.what} is running{more}; yours was not started. "
                                f"Try again in a few minutes.")
            job = Job(next(self._ids), fn, label, owner)
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._forget_old()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=f"{self.what}-worker", daemon=True)
                self._thread.start()
            self._wake.notify()
            return job

    def get(self, jid: int | None) -> Job | None:
        """The job with id ``jid`` (``None`` when unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(jid) if jid is not None else None

    def ahead_of(self, job: Job) -> int:
        """Jobs that will run before ``job`` (the running one included); 0 once it runs."""
        with self._lock:
            if job.state != QUEUED:
                return 0
            pos = next((i for i, j in enumerate(self._waiting) if j is job), len(self._waiting))
            return pos + (1 if self._running is not None else 0)

    def busy(self) -> bool:
        """True while a job runs or waits."""
        with self._lock:
            return self._running is not None or bool(self._waiting)

    # ------------------------------------------------------------------ the worker
    def _forget_old(self) -> None:
        over = [j for j in self._jobs.values() if j.over]
        for j in over[:max(0, len(over) - self.keep)]:
            del self._jobs[j.id]

    def _lower_priority(self) -> None:
        if self.nice <= 0 or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
            return
        try:  # on Linux PRIO_PROCESS with a thread id sets that thread's niceness only
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + self.nice)
        except OSError:
            pass

    def _loop(self) -> None:
        self._lower_priority()
        while True:
            with self._lock:
                while not self._waiting:
                    self._wake.wait()
                job = self._waiting.popleft()
                self._running = job
                job.state, job.started, job.message = RUNNING, time.monotonic(), "starting"
            try:
                job.result = job._fn(job.progress)
            except BaseException as e:  # noqa: BLE001 - the waiting page turns it into a sentence
                job.error, job.state = e, FAILED
            else:
                job.state = DONE
                job.fraction = 1.0
            finally:
                job._fn = None  # let the job's captured data (file bytes) go
                job.finished = time.monotonic()
                with self._lock:
                    self._running = None
                job._done.set()


IMPORTS = JobQueue(max_waiting=int(os.environ.get("INTEL_IMPORT_QUEUE", "3")),
                   nice=int(os.environ.get("INTEL_IMPORT_NICE", "0")), what="import")
"""The server process's import queue: at most one import runs at a time; ``INTEL_IMPORT_QUEUE``
(default 3) more may wait. ``INTEL_IMPORT_NICE`` lowers the worker thread's priority."""
