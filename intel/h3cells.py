"""The H3 rules of the product: resolutions, the parent rule, and cell ids inside and at the edges.

This module sits just above :mod:`intel.config` (from which it takes :data:`FINE_RES` and the
resolution range of each use) and below everything that touches a cell: the store's SQL
(:mod:`intel.store`), the ingest, hexagon aggregation (:mod:`intel.hexbin`), hot spots, risk,
borders and corridors. It imports nothing from the store and nothing from Streamlit or pydeck.

Representation
--------------
Inside the product a cell is one unsigned 64-bit integer (UBIGINT in DuckDB, ``uint64`` in
NumPy). Hex strings (``"8928308280fffff"``) appear only at the edges (deck.gl, CSV, GeoJSON),
through :func:`to_hex` / :func:`hex_array` and back through :func:`from_hex`. ``0`` is "no cell"
(an unbinned record) and has no hex string (``None``).

H3 convention (coarser resolutions)
-----------------------------------
Cells are stored once, at :data:`FINE_RES` (9). A coarser resolution ``r`` is the H3 *parent*
of the stored cell (``cell_to_parent``), computed by bit arithmetic on the integer, in SQL
(:func:`parent_sql`) or in NumPy (:func:`parent`), with the same masks (:func:`parent_masks`).
Aggregates therefore nest exactly: the counts of the seven children add up to the parent's
count at every resolution. The parent is not always the cell that direct binning of the point
at ``r`` would give (about 6-7 % of points near cell edges differ, because H3 children do not
tile their parent exactly); every page, CLI verb and export uses the parent rule, so figures
agree across the product. Nothing finer than :data:`FINE_RES` exists in the store, so a
resolution above it is refused (:func:`intel.config.check_resolution` for each use).

Bit layout
----------
An H3 cell index (h3geo.org, "H3 Index Representations") holds its resolution in bits 52-55
and one 3-bit digit per resolution 1-15 below that (resolution ``r``'s digit at bits
``3 * (15 - r)`` to ``3 * (15 - r) + 2``); digits of resolutions finer than the cell's own are
7 (``0b111``, unused).
"""
from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pyarrow as pa

from intel.config import FINE_RES, RESOLUTIONS, check_resolution, whole_resolution

__all__ = [
    "FINE_RES", "H3_MAX_RES", "RES_SHIFT", "RESOLUTIONS", "check_resolution", "check_h3_resolution",
    "resolution_of", "unused_bits", "parent_masks", "parent_sql", "parent", "to_hex", "hex_array",
    "from_hex", "edge_km", "cell_ring", "cell_centres",
]

H3_MAX_RES = 15
"""Finest resolution H3 defines."""

RES_SHIFT = 52
"""Position of the 4-bit resolution field in an H3 cell index."""

_RES_FIELD = 0xF << RES_SHIFT
_U64 = (1 << 64) - 1


def check_h3_resolution(res) -> int:
    """Validate a resolution against H3 itself (0-15) and return it as int.

    For functions on cells that do not come from the store (corridor paths, study areas);
    an analysis of stored records checks its use's range with :func:`intel.config.check_resolution`.

    Raises
    ------
    ValueError
        When ``res`` is not a whole number from 0 to 15.
    """
    r = whole_resolution(res, 0, H3_MAX_RES)
    if not 0 <= r <= H3_MAX_RES:
        raise ValueError(f"H3 resolution must be 0-{H3_MAX_RES}, got {r}")
    return r


def resolution_of(cells) -> np.ndarray:
    """Resolution of each uint64 cell (bits 52-55), as an int64 array of the same shape."""
    c = np.asarray(cells, dtype="uint64")
    return ((c >> np.uint64(RES_SHIFT)) & np.uint64(0xF)).astype("int64")


def unused_bits(res: int) -> int:
    """Number of low bits that hold the (all-7) digits finer than ``res``: ``3 * (15 - res)``.

    Shifting a cell at ``res`` right by this drops only constant bits, so the shifted ids of
    one resolution are distinct and ordered like the cells (used to bin cells by id).
    """
    return 3 * (H3_MAX_RES - check_h3_resolution(res))


def parent_masks(res: int) -> tuple[int, int]:
    """Bit masks that turn an H3 cell of a finer resolution into its parent at ``res``.

    ``parent = (cell & keep) | set``: the 4-bit resolution field (bits 52-55) is replaced by
    ``res`` and the digits of resolutions ``res+1 .. 15`` are set to 7 (unused).

    Parameters
    ----------
    res : int
        Target resolution, 0-15.

    Returns
    -------
    (keep, set) : tuple of int
        Unsigned 64-bit masks.

    Raises
    ------
    ValueError
        When ``res`` is not 0-15.
    """
    res = check_h3_resolution(res)
    keep = _U64 ^ _RES_FIELD
    setm = (res << RES_SHIFT) | ((1 << unused_bits(res)) - 1)
    return keep, setm


def parent_sql(column: str, res: int) -> str:
    """SQL expression of the parent at ``res`` of the stored UBIGINT H3 column ``column``.

    The stored cells are at :data:`FINE_RES`; see "H3 convention" above. The masks are integer
    literals computed here from ``res`` (an int, never user text), so the expression is safe to
    embed; ``column`` must be a trusted identifier.

    Raises
    ------
    ValueError
        When ``res`` is not 0-:data:`FINE_RES` (a finer "parent" of a stored cell does not exist).
    """
    r = check_h3_resolution(res)
    if r > FINE_RES:
        raise ValueError(f"H3 resolution {r} is finer than the stored cells (resolution {FINE_RES}); "
                         f"use 0-{FINE_RES}")
    keep, setm = parent_masks(r)
    return f"(({column} & {keep}::UBIGINT) | {setm}::UBIGINT)"


def parent(cells, res: int) -> np.ndarray:
    """Parents at ``res`` of uint64 cells, by the same bit arithmetic as :func:`parent_sql`.

    Parameters
    ----------
    cells : array-like of uint64
        H3 cells (any resolution not coarser than ``res``); 0 (no cell) is not checked.
    res : int
        Target resolution.

    Returns
    -------
    numpy.ndarray of uint64

    Raises
    ------
    ValueError
        When ``res`` is not 0-15 or is finer than one of the (non-zero) cells.
    """
    c = np.asarray(cells, dtype="uint64")
    keep, setm = parent_masks(res)
    nz = c[c != 0]
    if nz.size and int(resolution_of(nz).min()) < int(res):
        raise ValueError(f"cannot take the parent at resolution {int(res)} of cells at resolution "
                         f"{int(resolution_of(nz).min())}: a parent is coarser than its cell")
    return (c & np.uint64(keep)) | np.uint64(setm)


def _hex_arrow(cells) -> pa.Array:
    """Lower-case hex text of uint64 values without leading zeros, null for 0, as an Arrow string
    array built straight from the bytes (vectorised, no Python loop per cell)."""
    c = np.ascontiguousarray(np.asarray(cells, dtype="uint64").ravel())
    n = c.size
    raw = np.frombuffer(c.astype(">u8").tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(n, 16)
    offsets = np.zeros(n + 1, dtype="int64")
    if ((c >> np.uint64(56)) - np.uint64(1) < np.uint64(15)).all():   # 2**56 <= c < 2**60: 15 digits,
        data = np.ascontiguousarray(raw[:, 1:]).tobytes()             # as every H3 cell index has
        offsets[1:] = np.arange(15, 15 * n + 1, 15)
    else:
        nonzero = raw != ord("0")
        lead = np.where(nonzero.any(axis=1), nonzero.argmax(axis=1), 16)   # leading zero digits
        data = raw[np.arange(16) >= lead[:, None]].tobytes()                # row-major: rows keep order
        np.cumsum(16 - lead, out=offsets[1:])
    valid = np.packbits(c != 0, bitorder="little")
    return pa.Array.from_buffers(pa.large_string(), n, [pa.py_buffer(valid.tobytes()),
                                                        pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)])


def to_hex(cells) -> list:
    """Hex strings of uint64 cells (the form deck.gl, CSV and GeoJSON use); ``None`` for 0.

    Vectorised; the same text as ``h3.int_to_str``.
    """
    return _hex_arrow(cells).to_pylist()


def hex_array(cells) -> pd.api.extensions.ExtensionArray:
    """Hex strings of uint64 cells as a pandas string array (missing for 0), vectorised."""
    return _hex_arrow(cells).cast(pa.string()).to_pandas().array


def from_hex(cells) -> np.ndarray:
    """uint64 cells from hex strings (the inverse of :func:`to_hex`).

    Raises
    ------
    ValueError
        When a string is not hexadecimal.
    """
    return np.array([int(c, 16) for c in cells], dtype="uint64")


def edge_km(res: int) -> float:
    """Mean H3 hexagon edge length at ``res``, km (h3 ``average_hexagon_edge_length``)."""
    return float(h3.average_hexagon_edge_length(check_h3_resolution(res), unit="km"))


def cell_ring(h: str) -> list[list[float]]:
    """Closed ``[[lon, lat], ...]`` ring (degrees WGS84) of an H3 cell given as a hex string.

    RFC 7946 order; ``h3.cell_to_boundary`` returns (lat, lng), swapped here, the one place
    that does it.
    """
    ring = [[float(lng), float(lat)] for lat, lng in h3.cell_to_boundary(h)]
    ring.append(ring[0])
    return ring


def cell_centres(cells) -> tuple[np.ndarray, np.ndarray]:
    """Centre latitude and longitude (degrees WGS84) of uint64 H3 cells (h3 gives (lat, lng))."""
    pts = [h3.cell_to_latlng(h) for h in to_hex(cells)]
    if not pts:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(pts, dtype="float64")
    return a[:, 0], a[:, 1]
