"""Laying paths out in two processes: the split, the worker process, the join.

:func:`cells_of_paths` gives the cells of distinct paths in this process or, above
:data:`POOL_MIN_PATHS` paths and :data:`POOL_MIN_PAIRS` estimated (path, cell) pairs, cut into
consecutive parts of about equal work (:func:`_part_bounds`): this process lays out the first part
while a fresh Python (``sys.executable``) running :func:`worker_main` lays out each other one, the
paths and cells passed as files. The parts are joined in order, so the result is the same arrays,
in the same order, as in one process. See "Two processes for large inputs" in
:mod:`intel.corridors`.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from intel.config import ROOT
from intel.corridors.cells import path_cells, sample_cells
from intel.h3cells import edge_km
from intel.geodesy import great_circle_km


POOL_MIN_PATHS = 20_000
"""Distinct paths above which :func:`flow_cells` and :func:`corridor_density` may lay paths out in
two processes (below it tests and page calls stay in one process)."""

POOL_MIN_PAIRS = 10_000_000
"""...and estimated (path, cell) pairs above which they do (about 3 s of layout in one process:
below it starting a worker, about 0.5 s, and moving its cells back cost more than they save)."""

_PART_ALIGN = 1000
"""Parts handed to processes start at multiples of this many paths: the ``chunk_flows`` of
:func:`path_cells`, so every h3o batch (and its pentagon fallback) is the one a single process runs."""


def _path_km(u: np.ndarray) -> np.ndarray:
    return great_circle_km(u[:, 0], u[:, 1], u[:, 2], u[:, 3])


def _workers(u: np.ndarray, res: int, workers: int | None) -> int:
    """Processes to use: ``workers`` if given, else 2 (when 2 CPUs are available) for more than
    :data:`POOL_MIN_PATHS` paths and :data:`POOL_MIN_PAIRS` estimated pairs, else 1."""
    n = len(u)
    if workers is not None:
        return max(1, min(int(workers), n))
    if n <= POOL_MIN_PATHS:
        return 1
    if _estimated_pairs(u, res) < POOL_MIN_PAIRS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


_FIRST_SHARE = 0.53
"""Share of the work (path km) of the first part, laid out by the calling process when there are
two: a worker also starts Python (0.4 s) and writes its cells to a file (0.2 s)."""


def _part_bounds(u: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Split paths ``u`` (p, 4) into ``parts`` consecutive ranges of about equal work (path km);
    the first (this process's) part gets :data:`_FIRST_SHARE` of it when there are two."""
    n = len(u)
    work = np.cumsum(_path_km(u) + 10.0)  # + a constant per path: a zero-length path still costs a cell
    first = _FIRST_SHARE if parts == 2 else 1.0 / parts
    cuts = [0]
    for q in range(1, parts):
        share = first + (q - 1) * (1.0 - first) / (parts - 1)
        i = int(np.searchsorted(work, work[-1] * share))
        i = int(round(i / _PART_ALIGN)) * _PART_ALIGN
        cuts.append(min(max(i, cuts[-1]), n))
    cuts.append(n)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _cells_part(method: str, part: np.ndarray, res: int):
    """``(counts, cell chunks)`` of paths ``part`` (p, 4)."""
    fn = path_cells if method == "path" else sample_cells
    return fn(part[:, 0], part[:, 1], part[:, 2], part[:, 3], int(res))


def worker_main(folder: str, method: str, res: str) -> None:
    """Worker process (started by :func:`cells_of_paths`): lay out the paths in ``folder/in.npy``,
    write their cells (raw uint64, ``cells.u64``) and then ``counts.npy`` there."""
    part = np.load(os.path.join(folder, "in.npy"))
    counts, chunks = _cells_part(method, part, int(res))
    with open(os.path.join(folder, "cells.u64"), "wb") as fh:  # raw uint64, chunk after chunk (no joined copy)
        for c in chunks:
            fh.write(np.ascontiguousarray(c, dtype="uint64").data)
    np.save(os.path.join(folder, "counts.npy"), counts)  # written last: its presence means done


def _estimated_pairs(u: np.ndarray, res: int) -> float:
    """About how many (path, cell) pairs paths ``u`` give: one cell per 1.6 mean edge lengths of
    path (measured: 0.17 cells per km at res 6), plus one per path."""
    return len(u) + float(_path_km(u).sum()) / (1.6 * edge_km(res))


def _scratch_dir(u: np.ndarray, res: int) -> str | None:
    """``/dev/shm`` (memory, no disk write-back) when it has room for twice the cells' bytes, else the
    system temporary folder (``None``)."""
    try:
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            if shutil.disk_usage("/dev/shm").free > 2 * 8 * _estimated_pairs(u, res) + (64 << 20):
                return "/dev/shm"
    except OSError:
        pass
    return None


def cells_of_paths(u: np.ndarray, res: int, method: str, workers: int | None = None):
    """Cells of paths ``u`` (p, 4): ``counts`` (p,) and a list of cell chunks (see :func:`path_cells`).

    Computed in one process, or split over worker processes (:func:`_workers`): the paths are cut
    into consecutive parts (:func:`_part_bounds`); this process lays out the first part while a
    fresh Python (``sys.executable``, running :func:`worker_main`) lays out each other part, the
    paths and cells passed as files in a temporary folder (:func:`_scratch_dir`); the parts are joined in
    order, so the cells and their order are the same as in one process.

    Why not ``multiprocessing``: ``fork`` would copy a threaded caller (the Streamlit server; and
    h3ronpy's rayon thread pool does not survive a fork), and ``spawn`` re-runs the caller's
    ``__main__`` script in the worker. A worker that cannot start or fails (its stderr is
    logged) has its part laid out here instead.
    """
    n = len(u)
    nw = _workers(u, res, workers)
    bounds = _part_bounds(u, nw) if nw > 1 and n > 1 else [(0, n)]
    if len(bounds) < 2:
        return _cells_part(method, u, res)
    results: list = [None] * len(bounds)
    with tempfile.TemporaryDirectory(prefix="intel-corridors-", dir=_scratch_dir(u, res)) as tmp:
        procs = {}
        code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from intel.corridors.workers import worker_main; "
                "worker_main(*sys.argv[1:])")
        try:
            for k, (a, b) in enumerate(bounds):
                if not k:
                    continue
                folder = os.path.join(tmp, str(k))
                os.mkdir(folder)
                np.save(os.path.join(folder, "in.npy"), np.ascontiguousarray(u[a:b]))
                err = open(os.path.join(folder, "stderr.txt"), "wb")
                try:
                    procs[k] = subprocess.Popen([sys.executable, "-c", code, folder, method, str(int(res))],
                                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
                except OSError as e:
                    logging.getLogger(__name__).warning("corridor worker did not start (%s); one process", e)
                finally:
                    err.close()
            a, b = bounds[0]
            results[0] = _cells_part(method, u[a:b], res)
            for k, proc in procs.items():
                folder = os.path.join(tmp, str(k))
                if proc.wait() == 0 and os.path.exists(os.path.join(folder, "counts.npy")):
                    results[k] = (np.load(os.path.join(folder, "counts.npy")),
                                  [np.fromfile(os.path.join(folder, "cells.u64"), dtype="uint64")])
                else:
                    with open(os.path.join(folder, "stderr.txt"), "rb") as fh:
                        tail = fh.read()[-2000:].decode("utf-8", "replace")
                    logging.getLogger(__name__).warning(
                        "corridor worker failed (exit %s); part laid out in this process: %s", proc.returncode, tail)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    counts, chunks = [], []
    for k, (a, b) in enumerate(bounds):
        cn, ch = results[k] if results[k] is not None else _cells_part(method, u[a:b], res)
        counts.append(cn)
        chunks.extend(ch)
    return np.concatenate(counts).astype("int64"), chunks
