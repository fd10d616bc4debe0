"""Work on several cores from one Python process.

Some libraries do their heavy work without holding Python's GIL: H3 binning (h3ronpy, Rust),
Arrow compute kernels, pyproj's geodesics, NumPy array arithmetic, SciPy's KD-tree. For those,
a million rows split into one slice per core and run on threads finish in about half the time
on 2 cores, with no copy of the data to another process. :func:`slices` cuts the rows;
:func:`map_threads` runs a function over the pieces and keeps their order.

Not for shared objects that are not safe to query from two threads at once (GEOS prepared
geometries: see :data:`intel.coords.countries._GEOS_LOCK`).
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ROWS = 200_000
"""Rows below which :func:`slices` gives a single slice (threads cost more than they save)."""


def cores() -> int:
    """Threads to use: the CPUs of this machine, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


def slices(n: int, min_rows: int = MIN_ROWS) -> list[slice]:
    """One slice per core of ``range(n)``, in order (a single slice below ``min_rows`` rows or
    on one core).

    Parameters
    ----------
    n : int
        Number of rows.
    min_rows : int
        Smallest number of rows worth splitting.

    Returns
    -------
    list of slice
        Contiguous, covering ``0..n`` exactly once.
    """
    k = cores()
    if n < min_rows or k < 2:
        return [slice(0, n)]
    bounds = [n * i // k for i in range(k + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def map_threads(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]``, on one thread per item (at most :func:`cores`) when there
    are several; results in the order of ``items``. ``fn`` must release the GIL for this to
    help, and must not share unsafe state between items.

    Raises
    ------
    Exception
        The first exception raised by ``fn``.
    """
    items = list(items)
    if len(items) < 2:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(cores(), len(items))) as ex:
        return list(ex.map(fn, items))
