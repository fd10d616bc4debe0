"""Cells of paths: the H3 cells along each flow's great circle, by ``"path"`` or ``"sample"``.

:func:`path_cells` draws each great circle as a one-cell-wide H3 line (h3o through h3ronpy),
falling back to :func:`sample_cells` (points every 0.45 mean edge lengths, each binned) where H3
cannot draw a grid path. Both return the number of cells of each path and the cells as chunks,
grouped by path in order, each (path, cell) pair once. See "Cells of a flow (two methods)" in
:mod:`intel.corridors`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.geodesy import great_circle_km
from intel.greatcircle import great_circle_points
from intel.h3cells import edge_km


def _unique_pairs(flow: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flow, cell) pairs without repeats (consecutive repeats dropped first, then a hash pass)."""
    if flow.size == 0:
        return flow, cells
    keep = np.ones(flow.size, bool)
    keep[1:] = (flow[1:] != flow[:-1]) | (cells[1:] != cells[:-1])
    flow, cells = flow[keep], cells[keep]
    dup = pd.DataFrame({"f": flow, "c": cells}).duplicated().to_numpy()
    return flow[~dup], cells[~dup]


def sample_cells(lat0, lon0, lat1, lon1, res: int, chunk_points: int = 4_000_000):
    """``"sample"`` cells of paths: ``(counts, cells)``, see :func:`path_cells`."""
    from h3ronpy.vector import coordinates_to_cells

    spacing = 0.45 * edge_km(res)
    n = len(lat0)
    d_km = great_circle_km(lat0, lon0, lat1, lon1)
    pts = np.maximum(1, np.ceil(d_km / spacing)) + 1
    out_n, out_c = [], []
    i = 0
    csum = np.cumsum(pts)
    while i < n:
        base = csum[i - 1] if i else 0
        j = int(np.searchsorted(csum, base + chunk_points, side="right"))
        j = max(j, i + 1)
        sl = slice(i, j)
        lat, lon, fl, _ = great_circle_points(lat0[sl], lon0[sl], lat1[sl], lon1[sl], spacing)
        c = np.asarray(coordinates_to_cells(lat, lon, int(res)).to_numpy(), dtype="uint64")
        f, c = _unique_pairs(fl, c)  # flows ascending, each flow's cells in path order
        out_n.append(np.bincount(f, minlength=j - i))
        out_c.append(c)
        i = j
    return np.concatenate(out_n), out_c


def _path_cells_batch(lat, lon, fl, nflows, res):
    """h3o line cells for consecutive flows: ``(counts, cells)``; raises on pentagon distortion."""
    import pyarrow as pa
    import shapely
    from h3ronpy.vector import wkb_to_cells

    lines = shapely.linestrings(lon, lat, indices=fl)
    arr = pa.array(wkb_to_cells(shapely.to_wkb(lines), int(res)))
    offs = arr.offsets.to_numpy()
    vals = np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype="uint64")
    return np.diff(offs), vals


def path_cells(lat0, lon0, lat1, lon1, res: int, chunk_flows: int = 1000):
    """``"path"`` cells of paths.

    Returns ``counts`` (n,), the number of cells of each path, and ``cells``, a list of uint64
    arrays whose concatenation holds the cells of path 0, then of path 1, ... (grouped by path in
    order; not concatenated here, a corridor density bins them chunk by chunk).
    """
    step = min(16.0 * edge_km(res), 250.0)
    n = len(lat0)
    out_n, out_c = [], []

    def run(s: int, e: int):
        sl = slice(s, e)
        lat, lon, fl, _ = great_circle_points(lat0[sl], lon0[sl], lat1[sl], lon1[sl], step)
        try:
            k, c = _path_cells_batch(lat, lon, fl, e - s, res)
            out_n.append(k)
            out_c.append(c)
        except Exception:
            if e - s <= 8:
                k, c = sample_cells(lat0[sl], lon0[sl], lat1[sl], lon1[sl], res)
                out_n.append(k)
                out_c.extend(c)
            else:
                half = s + (e - s) // 2
                run(s, half)
                run(half, e)

    for s in range(0, n, chunk_flows):
        run(s, min(n, s + chunk_flows))
    # h3o returns each cell of a LineString once (checked in tests/test_corridors.py); the
    # pairs from the sampling fallback are de-duplicated there, so no second pass is needed
    counts = np.concatenate(out_n).astype("int64") if out_n else np.zeros(0, "int64")
    return counts, out_c


def join_cells(chunks: list) -> np.ndarray:
    """One uint64 array from a list of cell chunks."""
    if not chunks:
        return np.zeros(0, "uint64")
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
