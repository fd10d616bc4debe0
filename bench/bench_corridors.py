"""Benchmark: corridor density for 100,000 flows at H3 resolution 6 (target: at most 10 s).

The flows are SYNTHETIC (seeded random numbers, not data):

``distinct``
    100,000 flows with distinct random end points, uniform in the box 25-49 N, 124-67 W
    (the contiguous United States); great-circle lengths 0 to about 5,500 km, mean about
    2,050 km (34.4 million (flow, cell) pairs at res 6). Every path is laid out separately:
    the hard case, and the one laid out in two processes.
``places``
    100,000 flows between 56 fixed places (the ATF state points), as in a table of state
    pairs over many periods: paths are shared and laid out once.
``short``
    100,000 flows of 0-500 km (regional trafficking legs) with distinct end points.

Run: ``.venv/bin/python bench/bench_corridors.py [--method path|sample] [--n 100000] [--res 6]
[--workers N]``. Prints one line per case: wall seconds, CPU seconds (this process plus the
worker processes it waited for), cells, (flow, cell) pairs, and the load average before the run.
On a shared machine compare CPU seconds: wall time under a load above the CPU count says
little. ``--workers 1`` forces one process (by default the layout is split over 2 processes
above ``corridors.POOL_MIN_PATHS`` distinct paths and ``corridors.POOL_MIN_PAIRS`` estimated
(path, cell) pairs: ``distinct`` only). The CPU seconds of the two-process run include the
worker's start (about 0.4 s) and its file hand-over.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intel import corridors as C  # noqa: E402
from intel import geodesy  # noqa: E402


def frame(lat0, lon0, lat1, lon1, rng):
    n = len(lat0)
    return pd.DataFrame({"origin_lat": lat0, "origin_lon": lon0, "destination_lat": lat1, "destination_lon": lon1,
                         "weight": rng.integers(1, 500, n).astype(float)})


def cases(n: int, seed: int = 6):
    rng = np.random.default_rng(seed)
    yield "distinct", frame(rng.uniform(25, 49, n), rng.uniform(-124, -67, n), rng.uniform(25, 49, n),
                            rng.uniform(-124, -67, n), rng)
    pts = C.state_points()
    i, j = rng.integers(0, len(pts), n), rng.integers(0, len(pts), n)
    yield "places", frame(pts["latitude"].to_numpy()[i], pts["longitude"].to_numpy()[i],
                          pts["latitude"].to_numpy()[j], pts["longitude"].to_numpy()[j], rng)
    lat0, lon0 = rng.uniform(25, 49, n), rng.uniform(-124, -67, n)
    lat1, lon1 = geodesy.destination_point(lat0, lon0, rng.uniform(0, 360, n), rng.uniform(0, 500, n))
    yield "short", frame(lat0, lon0, lat1, (lon1 + 180) % 360 - 180, rng)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children."""
    t = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        t += r.ru_utime + r.ru_stime
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--res", type=int, default=6)
    ap.add_argument("--method", choices=["path", "sample"], default="path")
    ap.add_argument("--only", default=None, help="run one case: distinct, places or short")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: automatic)")
    a = ap.parse_args()
    print(f"corridor density, {a.n:,} synthetic flows, H3 res {a.res}, method {a.method}, "
          f"workers {a.workers or 'auto'}, {os.cpu_count()} CPUs")
    for name, df in cases(a.n):
        if a.only and name != a.only:
            continue
        km = geodesy.central_angle(df.origin_lat, df.origin_lon, df.destination_lat, df.destination_lon) * geodesy.EARTH_RADIUS_KM
        load = os.getloadavg()[0]
        c, t = cpu_seconds(), time.perf_counter()
        d = C.corridor_density(df, a.res, method=a.method, workers=a.workers)
        s, cpu = time.perf_counter() - t, cpu_seconds() - c
        print(f"{name:9s} mean length {km.mean():7.0f} km  {s:6.2f} s (cpu {cpu:6.2f} s, load {load:5.2f})  "
              f"{len(d):>10,} cells  {int(d['flows'].sum()):>12,} (flow, cell) pairs  "
              f"{'OK' if s <= 10 else 'OVER 10 s'}")


if __name__ == "__main__":
    main()
