"""Corridor density and rankings: the cells of each flow, flow weights summed per cell, ranked pairs.

:func:`flow_cells` gives the (flow, cell) pairs along each flow's great circle and
:func:`corridor_density` the summed weight and the number of flows of each H3 cell, ranked.
Flows sharing their end points are laid out once (:func:`_layout`, through
:mod:`intel.corridors.workers`) and the sums run per cell in pair order (:func:`_cell_sums`).
:func:`rank_pairs` ranks origin-destination pairs in one period with their change from another.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from intel.config import check_resolution
from intel.corridors.cells import join_cells
from intel.corridors.workers import cells_of_paths
from intel.h3cells import check_h3_resolution, to_hex, unused_bits
from intel.hexbin import bin_points


def _layout(arrs, res: int, method: str, workers: int | None = None):
    """Lay each distinct path out once.

    Returns ``codes`` (n,) path index of each flow, ``u`` (p, 4) distinct end points,
    ``counts`` (p,) the number of cells of each path, and ``chunks``, a list of uint64 arrays
    whose concatenation holds the cells of path 0, then path 1, ... (each (path, cell) once).
    """
    key = np.round(np.column_stack(arrs), 7)
    u, codes = np.unique(key, axis=0, return_inverse=True)
    codes = codes.ravel()
    counts, chunks = cells_of_paths(u, int(res), method, workers)
    return codes, u, counts, chunks


def _cell_sums(chunks: list, res: int, *weights):
    """Distinct cells of ``chunks`` (uint64 arrays, read as one) and, per weight array, the sum
    over the pairs of each cell (``None`` for a weight: the number of pairs).

    Sums run in input order within a cell, exactly as ``pd.factorize`` + ``np.bincount`` (so the
    floating-point result is the same); the cells come back in id order. When the cells span a
    small id range (one region at a coarse resolution: 8.7 million res-6 slots for the contiguous
    U.S.) the ids map straight to bins, with no hash table and no joined copy of the cells.
    """
    chunks = [c for c in chunks if c.size]
    total = sum(c.size for c in chunks)
    shift = np.uint64(unused_bits(res))  # digits below res are all 7 (0b111): dropped, restored
    if total:
        lo = int(min(int(c.min()) for c in chunks) >> int(shift))
        hi = int(max(int(c.max()) for c in chunks) >> int(shift))
        span = hi - lo + 1
        if span <= max(1 << 24, 2 * total) and span <= 1 << 26:
            k = np.empty(total, dtype="uint64")
            at = 0
            for c in chunks:
                np.right_shift(c, shift, out=k[at:at + c.size])
                at += c.size
            k -= np.uint64(lo)
            k = k.view("int64")
            cnt = np.bincount(k, minlength=span)
            nz = np.flatnonzero(cnt)
            uniq = ((nz.astype("uint64") + np.uint64(lo)) << shift) | ((np.uint64(1) << shift) - np.uint64(1))
            return uniq, [cnt[nz].astype(float) if w is None else np.bincount(k, weights=w, minlength=span)[nz]
                          for w in weights]
    codes, uniq = pd.factorize(join_cells(chunks))
    uniq = np.asarray(uniq, dtype="uint64")
    sums = [np.bincount(codes, weights=w, minlength=len(uniq)) if w is not None
            else np.bincount(codes, minlength=len(uniq)).astype(float) for w in weights]
    order = np.argsort(uniq)
    return uniq[order], [x[order] for x in sums]


def flow_cells(lat0, lon0, lat1, lon1, res: int, method: str = "path",
               workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """H3 cells crossed by the great circle of each flow, each (flow, cell) pair once.

    Parameters
    ----------
    lat0, lon0, lat1, lon1 : array of float, shape (n,)
        Origins and destinations, WGS84 degrees.
    res : int
        H3 resolution 0-15.
    method : {"path", "sample"}
        See the module notes: ``path`` is a one-cell-wide H3 line along the great circle;
        ``sample`` bins points every 0.45 mean edge lengths (< half an edge).
    workers : int, optional
        Processes laying the paths out. Default: 2 when there are more than
        :data:`POOL_MIN_PATHS` distinct paths (and 2 CPUs), else 1. The result is the same
        arrays in the same order whatever the number.

    Returns
    -------
    flow : numpy.ndarray of int64, shape (m,)
        Flow index 0..n-1.
    cell : numpy.ndarray of uint64, shape (m,)
        H3 cell ids at ``res``; no (flow, cell) pair repeats.

    Raises
    ------
    ValueError
        Unknown method, resolution outside 0-15, non-finite or out-of-range coordinates.
    """
    if method not in ("path", "sample"):
        raise ValueError(f"unknown method {method!r}; use 'path' or 'sample'")
    res = check_h3_resolution(res)   # a geometric layout: any H3 resolution, not only the corridor range
    arrs = [np.asarray(x, dtype="float64").ravel() for x in (lat0, lon0, lat1, lon1)]
    if len({a.size for a in arrs}) != 1:
        raise ValueError("origin and destination arrays must have the same length")
    if arrs[0].size == 0:
        return np.zeros(0, "int64"), np.zeros(0, "uint64")
    for a, lim in zip(arrs, (90, 180, 90, 180)):
        if not np.isfinite(a).all() or (np.abs(a) > lim).any():
            raise ValueError("flow end points must be finite WGS84 degrees within range")
    codes, uniq, lens, chunks = _layout(arrs, int(res), method, workers)
    pc = join_cells(chunks)
    if len(uniq) == arrs[0].size and np.array_equal(codes, np.arange(len(codes))):
        return np.repeat(np.arange(len(uniq), dtype="int64"), lens), pc
    # expand to flows: for each flow, the cells of its path (cells come grouped by path, in order)
    starts = np.cumsum(lens) - lens
    flen = lens[codes]
    flow = np.repeat(np.arange(len(codes), dtype="int64"), flen)
    off = np.arange(flow.size) - np.repeat(np.cumsum(flen) - flen, flen)
    cell = pc[starts[codes][flow] + off]
    return flow, cell


def corridor_density(flows: pd.DataFrame, res: int, method: str = "path", include_ends: bool = True,
                     workers: int | None = None) -> pd.DataFrame:
    """Corridor density: for each H3 cell, the summed weight of the flows whose great circle crosses it.

    Parameters
    ----------
    flows : pandas.DataFrame
        At least ``origin_lat``, ``origin_lon``, ``destination_lat``, ``destination_lon``
        (WGS84 degrees) and ``weight``; rows with missing positions are left out.
    res : int
        H3 resolution in the "corridor" range of :data:`intel.config.RESOLUTIONS` (2-6).
    method : {"path", "sample"}
        See :func:`flow_cells`.
    include_ends : bool
        Count the cells holding a flow's origin and destination. ``False`` keeps only the
        cells a flow passes *through*, so state or country reference points (where every
        flow of a place starts or ends) do not top the ranking.
    workers : int, optional
        Processes laying the paths out; see :func:`flow_cells` (same result whatever the number).

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64), ``h3`` (hex str), ``weight`` (sum of flow weights),
        ``flows`` (number of flows), ``rank`` (1 = heaviest; ties broken by cell id),
        ``share`` (weight / total flow weight); sorted by rank. ``attrs['left_out']`` holds
        the number of flows without positions.

    Raises
    ------
    ValueError
        ``res`` outside the corridor range, an unknown method, or end points out of range.
    """
    res = check_resolution(res, "corridor")
    cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
    ok = flows[cols].notna().all(axis=1) & flows["weight"].notna()
    f = flows[ok]
    if f.empty:
        out = pd.DataFrame({"cell": pd.Series(dtype="uint64"), "h3": pd.Series(dtype=str),
                            "weight": pd.Series(dtype=float), "flows": pd.Series(dtype="int64"),
                            "rank": pd.Series(dtype="int64"), "share": pd.Series(dtype=float)})
        out.attrs["left_out"] = int((~ok).sum())
        return out
    if method not in ("path", "sample"):
        raise ValueError(f"unknown method {method!r}; use 'path' or 'sample'")
    arrs = [f[c].to_numpy(float) for c in cols]
    for a, lim in zip(arrs, (90, 180, 90, 180)):
        if not np.isfinite(a).all() or (np.abs(a) > lim).any():
            raise ValueError("flow end points must be finite WGS84 degrees within range")
    w = f["weight"].to_numpy(float)
    # aggregate at the level of distinct paths: flows sharing end points are laid out once
    pcode, u, lens, chunks = _layout(arrs, int(res), method, workers)
    pw = np.bincount(pcode, weights=w, minlength=len(u))
    pn = np.bincount(pcode, minlength=len(u))
    if not include_ends:
        oc = bin_points(u[:, 0], u[:, 1], int(res))
        dc = bin_points(u[:, 2], u[:, 3], int(res))
        cells = join_cells(chunks)
        through = (cells != np.repeat(oc, lens)) & (cells != np.repeat(dc, lens))
        pf = np.repeat(np.arange(len(u), dtype="int64"), lens)[through]
        chunks, lens = [cells[through]], np.bincount(pf, minlength=len(u))
    # pairs come grouped by path, in order: a path's weight repeated over its cells
    uniq, (weight, count) = _cell_sums(chunks, int(res), np.repeat(pw, lens),
                                       None if pn.max(initial=0) <= 1 else np.repeat(pn, lens).astype(float))
    count = np.rint(count).astype("int64")
    order = np.lexsort((uniq, -weight))
    total = float(w.sum())
    out = pd.DataFrame({
        "cell": uniq[order], "h3": to_hex(uniq[order]), "weight": weight[order],
        "flows": count[order].astype("int64"), "rank": np.arange(1, len(order) + 1, dtype="int64"),
        "share": weight[order] / total if total else 0.0,
    })
    out.attrs["left_out"] = int((~ok).sum())
    return out


def rank_pairs(flows: pd.DataFrame, period_a: tuple, period_b: tuple) -> pd.DataFrame:
    """Rank origin-destination pairs by weight in period B, with their change from period A.

    Parameters
    ----------
    flows : pandas.DataFrame
        :data:`FLOW_COLUMNS` (a flow belongs to a period when its ``period_start`` lies in it).
    period_a, period_b : (start, end)
        Half-open periods ``[start, end)`` (ISO dates).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``origin_name``, ``destination``, ``destination_name``,
        ``weight_a``, ``weight_b``, ``change`` (b - a), ``change_pct`` (percent of a; NaN when
        a is 0), ``rank_a``, ``rank_b`` (1 = heaviest), ``rank_change`` (rank_a - rank_b:
        positive means climbed); sorted by ``rank_b``.
    """
    keys = ["origin", "origin_name", "destination", "destination_name"]

    def agg(p):
        s, e = pd.Timestamp(p[0]), pd.Timestamp(p[1])
        m = (pd.to_datetime(flows["period_start"]) >= s) & (pd.to_datetime(flows["period_start"]) < e)
        return flows[m].groupby(keys, dropna=False)["weight"].sum()

    a, b = agg(period_a).rename("weight_a"), agg(period_b).rename("weight_b")
    df = pd.concat([a, b], axis=1).fillna(0.0).reset_index()
    if df.empty:
        return pd.DataFrame(columns=keys + ["weight_a", "weight_b", "change", "change_pct", "rank_a",
                                            "rank_b", "rank_change"])
    df["change"] = df["weight_b"] - df["weight_a"]
    df["change_pct"] = np.where(df["weight_a"] > 0, 100.0 * df["change"] / df["weight_a"].where(df["weight_a"] > 0), np.nan)
    df["rank_a"] = df["weight_a"].rank(ascending=False, method="min").astype("int64")
    df["rank_b"] = df["weight_b"].rank(ascending=False, method="min").astype("int64")
    df["rank_change"] = df["rank_a"] - df["rank_b"]
    return df.sort_values(["rank_b", "origin", "destination"]).reset_index(drop=True)
