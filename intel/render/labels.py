"""Map labels that never overlap: greedy placement of rank labels around their points.

Part of the renderer layer (:mod:`intel.render`). Close targets (neighbouring cells at a coarse
resolution, or a zoomed-out view) put their labels on top of each other when every label sits
at the same offset from its point. :func:`place_labels` works in screen units (pixels or points,
y up or down alike): in the given order (rank 1 first, so the best targets keep the closest
spots) each label tries positions around its point on rings of growing radius (NE, E, N, NW,
SE, W, S, SW) and takes the first whose box overlaps no label placed before and no point; a
label pushed beyond the first ring gets a leader line back to its point (``leader`` True).
The same placer serves the PDF map (:mod:`intel.target_package`, matplotlib display units) and
the Planner deck (:func:`intel.render.hexagons.target_layers`, Web Mercator pixels at the
deck's initial zoom, :func:`mercator_px`), in the manner of cartographic point-feature
labelling (Imhof's positions, Christensen, Marks & Shieber 1995, greedy variant).
"""
from __future__ import annotations

import numpy as np

# unit directions, preferred first: NE, E, N, NW, SE, W, S, SW
_DIRS = [(1, 1), (1, 0), (0, 1), (-1, 1), (1, -1), (-1, 0), (0, -1), (-1, -1)]


def place_labels(x, y, w, h, gap: float = 4.0, point_r: float = 3.0, rings: int = 12, on_point: bool = False):
    """Offsets that keep every label box clear of the others and of every point.

    Parameters
    ----------
    x, y : array-like
        Point positions in screen units (any linear unit; y may point up or down).
    w, h : array-like or float
        Width and height of each label box, same units.
    gap : float
        Distance between a point and the nearest edge of its label on the first ring; the
        ring radius grows by ``max(h) + gap`` per ring.
    point_r : float
        Half-size of the square kept clear around each point.
    rings : int
        Rings tried before a label is left at its last try (overlap then possible only with
        more than 8 x ``rings`` crowded labels).
    on_point : bool
        Try the point itself first (the label drawn on its own marker, as on a map where the
        marker carries its rank) and keep only labels, not points, clear; a label moves off its
        marker only when it would cover another label.

    Returns
    -------
    (dx, dy, leader) : numpy.ndarray, numpy.ndarray, numpy.ndarray of bool
        Offset of each label box's **centre** from its point, and whether it needs a leader
        line (placed beyond the first ring).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    w = np.broadcast_to(np.asarray(w, float), (n,))
    h = np.broadcast_to(np.asarray(h, float), (n,))
    step = (float(h.max()) if n else 0.0) + gap
    boxes: list[tuple[float, float, float, float]] = [] if on_point else [
        (x[j] - point_r, y[j] - point_r, x[j] + point_r, y[j] + point_r) for j in range(n)]
    dx, dy, lead = np.zeros(n), np.zeros(n), np.zeros(n, bool)
    for i in range(n):
        best = None
        if on_point:
            b = (x[i] - w[i] / 2, y[i] - h[i] / 2, x[i] + w[i] / 2, y[i] + h[i] / 2)
            if not any(_overlap(b, o) for o in boxes):
                boxes.append(b)
                continue
        for ring in range(rings):
            for ux, uy in _DIRS:
                ox = ux * (w[i] / 2 + gap + ring * step)
                oy = uy * (h[i] / 2 + gap + ring * step)
                b = (x[i] + ox - w[i] / 2, y[i] + oy - h[i] / 2, x[i] + ox + w[i] / 2, y[i] + oy + h[i] / 2)
                if best is None:
                    best = (ox, oy, ring, b)
                if not any(_overlap(b, o) for o in boxes):
                    best = (ox, oy, ring, b)
                    break
            else:
                continue
            break
        ox, oy, ring, b = best
        dx[i], dy[i], lead[i] = ox, oy, ring > 0
        boxes.append(b)
    return dx, dy, lead


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def mercator_px(lat, lon, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel position (x right, y down) at a deck.gl zoom (world 512 px at zoom 0)."""
    lat = np.clip(np.asarray(lat, float), -85.05, 85.05)
    lon = np.asarray(lon, float)
    size = 512.0 * 2.0 ** float(zoom)
    px = size * (lon + 180.0) / 360.0
    py = size * (1 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / np.pi) / 2
    return px, py


def overlaps(x, y, w, h, dx, dy) -> int:
    """Number of pairs of label boxes (centre at point + offset) that overlap; 0 when placed well."""
    x, y = np.asarray(x, float) + np.asarray(dx, float), np.asarray(y, float) + np.asarray(dy, float)
    n = len(x)
    w = np.broadcast_to(np.asarray(w, float), (n,))
    h = np.broadcast_to(np.asarray(h, float), (n,))
    b = [(x[i] - w[i] / 2, y[i] - h[i] / 2, x[i] + w[i] / 2, y[i] + h[i] / 2) for i in range(n)]
    return sum(_overlap(b[i], b[j]) for i in range(n) for j in range(i + 1, n))
