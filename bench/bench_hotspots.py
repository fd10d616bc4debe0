"""Benchmark of Gi* hot spots and emerging hot spots (``python bench/bench_hotspots.py``).

Targets (issue "Hotspots"):

* Gi* with FDR on 100,000 H3 cells in at most 1 s, and at least 10 times faster than esda's
  ``G_Local(star=True, permutations=0)`` with the same weights;
* emerging hot spots on 10,000 cells x 60 months in at most 10 s.

Timings are the median of ``--repeat`` runs (wall clock, after one warm-up run). Our Gi* time is
end to end: from the array of cells to the finished table (k-ring weights built from the cells,
z, p, Benjamini-Hochberg, confidence bins, hex ids). esda is given the *same* weights already
built (a ``libpysal.weights.W`` from our sparse matrix, construction not timed) and its p-values
are FDR-corrected with ``scipy.stats.false_discovery_control`` (timed). The run checks that both
give the same z-scores. As an extra line it also times esda with a ``libpysal.graph.Graph`` and
our statistic alone on prebuilt weights, so the reader sees where the time goes.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import h3
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intel.emerging import emerging_hotspots  # noqa: E402
from intel.hotspots import gi_star, neighbour_matrix  # noqa: E402


def disk_cells(n: int, res: int, lat: float = 43.7, lng: float = -79.4) -> np.ndarray:
    """About ``n`` cells: the smallest grid disk at ``res`` around (lat, lng) holding n cells, cut to n."""
    k = 0
    while 3 * k * (k + 1) + 1 < n:
        k += 1
    centre = h3.latlng_to_cell(lat, lng, res)
    cells = np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(centre, k)), dtype="uint64")
    return cells[:n]


def timed(fn, repeat: int):
    fn()  # warm-up
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--res", type=int, default=9)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--st-cells", type=int, default=10_000)
    ap.add_argument("--months", type=int, default=60)
    args = ap.parse_args(argv)

    from esda.getisord import G_Local
    from libpysal.graph import Graph
    from libpysal.weights import WSP
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(42)
    cells = disk_cells(args.cells, args.res)
    y = rng.poisson(0.4, cells.size).astype(float)
    print(f"Gi*: {cells.size:,} cells at resolution {args.res}, k = {args.k}, Poisson(0.4) counts")

    t_ours, df = timed(lambda: gi_star(cells, y, args.k, fdr=True), args.repeat)

    W = neighbour_matrix(cells, args.k)
    t0 = time.perf_counter()
    w = WSP(W).to_W(silence_warnings=True)
    t_w = time.perf_counter() - t0
    graph = Graph.from_sparse(W)

    def run_esda(weights):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = G_Local(y, weights, transform="B", star=True, permutations=0)
        p = 2 * g.p_norm
        return g.Zs, false_discovery_control(p, method="bh")

    t_esda, (z_esda, _) = timed(lambda: run_esda(w), args.repeat)
    t_graph, (z_graph, _) = timed(lambda: run_esda(graph), args.repeat)
    t_stat, _ = timed(lambda: gi_star(cells, y, args.k, fdr=True, W=W), args.repeat)
    dz = float(np.nanmax(np.abs(z_esda - df["z"].to_numpy())))
    dzg = float(np.nanmax(np.abs(z_graph - df["z"].to_numpy())))

    print(f"  ours, end to end (k-ring weights from cells + Gi* + FDR + bins + hex ids): {t_ours:.3f} s   "
          f"target <= 1 s: {'PASS' if t_ours <= 1 else 'FAIL'}")
    print(f"  ours, same prebuilt weights (Gi* + FDR + bins + hex ids):                {t_stat:.3f} s")
    print(f"  esda G_Local(star=True, transform='B', permutations=0) + scipy BH, libpysal W: {t_esda:.3f} s "
          f"(W construction {t_w:.3f} s, not timed); max |z_esda - z_ours| = {dz:.1e}")
    print(f"  ratio esda / ours, same weights:            {t_esda / t_stat:6.1f}x   target >= 10x: "
          f"{'PASS' if t_esda / t_stat >= 10 else 'FAIL'}")
    print(f"  ratio esda / ours, ours incl. weights build: {t_esda / t_ours:6.1f}x   target >= 10x: "
          f"{'PASS' if t_esda / t_ours >= 10 else 'FAIL'}")
    print(f"  (extra) esda with libpysal.graph.Graph weights: {t_graph:.3f} s (|dz| = {dzg:.1e}); "
          f"ratio to ours on the same weights {t_graph / t_stat:.1f}x")

    st_cells = disk_cells(args.st_cells, args.res)
    T = args.months
    base = rng.gamma(0.5, 0.4, st_cells.size)[:, None]
    trend = np.linspace(0.5, 1.5, T)[None, :]
    cube = rng.poisson(base * trend).astype(float)
    t_em, em = timed(lambda: emerging_hotspots(st_cells, cube, k=1, time_lag=1, fdr=True), args.repeat)
    print(f"Emerging hot spots: {st_cells.size:,} cells x {T} months, k = 1, time lag 1: {t_em:.3f} s   "
          f"target <= 10 s: {'PASS' if t_em <= 10 else 'FAIL'}")
    print("  categories:", em["category"].value_counts().to_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
