"""Score components and weights: the seven parts of the risk score and how they are combined.

The planner's score of a cell (:func:`intel.risk.scores.risk_scores`) is the weighted mean of
seven components, each a number in [0, 1]: ``intensity``, ``hotspot``, ``emerging``,
``border``, ``corridor``, ``bypass`` and ``links`` (:data:`COMPONENTS`). This module holds
what does not need the store: the default weights and their reasons (:data:`DEFAULT_WEIGHTS`,
:data:`WEIGHT_HELP`), the transforms that bring raw measures to [0, 1] (:func:`log_norm`,
:func:`decay_weights`, :func:`hotspot_component`, :func:`emerging_component`,
:func:`border_component`), the checking and parsing of weights (:func:`normalise_weights`,
:func:`parse_weights`) and :func:`combine`, which turns component columns into the parts
``<name>_pts = w_i c_i / sum_i w_i`` and the total ``score``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENTS = ("intensity", "hotspot", "emerging", "border", "corridor", "bypass", "links")
"""Names of the score components, in display order."""

DEFAULT_WEIGHTS = {
    "intensity": 0.35,
    "hotspot": 0.20,
    "emerging": 0.15,
    "border": 0.10,
    "corridor": 0.05,
    "bypass": 0.10,
    "links": 0.05,
}
"""Default weight of each component (they sum to 1; any non-negative weights may be given).

* ``intensity`` 0.35: recent events are the strongest single predictor of the next events
  (near-repeat and hot-spot persistence), so recent, time-decayed counts carry the most weight.
* ``hotspot`` 0.20: a significant Gi* hot spot is a cluster, not a chance peak; it also lifts
  cells next to busy cells that had no event themselves.
* ``emerging`` 0.15: new and intensifying hot spots point to where activity is moving.
* ``border`` 0.10: trafficking concentrates near land borders (KAFO and Trigger both target
  border areas), a structural factor independent of past counts.
* ``corridor`` 0.05: cells on heavy source-to-recovery corridors; low because the bundled flows
  join state or country reference points and are coarse.
* ``bypass`` 0.10: seizures in the border zone away from official crossings mark unofficial
  crossing points, the places border operations most want to cover.
* ``links`` 0.05: a firearm seized twice ties places into one network; rare in the data, so
  a small weight.
"""

WEIGHT_HELP = {
    "intensity": "Recent events, time-decayed (half-life setting decay_half_life_days).",
    "hotspot": "Getis-Ord Gi* hot-spot confidence (99 % = 1, 95 % = 2/3, 90 % = 1/3).",
    "emerging": "Emerging hot spot category (New, Intensifying, Consecutive, ...).",
    "border": "Closeness to an international land border (1 on it, 0 beyond the border zone).",
    "corridor": "Flow weight of trafficking corridors crossing the cell.",
    "bypass": "Border-zone events far from any official crossing (bypass candidates).",
    "links": "Re-seizure links (the same firearm seized twice) ending in the cell.",
}
"""One sentence per component for the page's sliders and the PDF method section."""

EMERGING_SCORES = {
    "New Hot Spot": 1.0,
    "Intensifying Hot Spot": 1.0,
    "Consecutive Hot Spot": 0.9,
    "Persistent Hot Spot": 0.75,
    "Sporadic Hot Spot": 0.5,
    "Oscillating Hot Spot": 0.5,
    "Diminishing Hot Spot": 0.4,
    "Historical Hot Spot": 0.25,
}
"""Value of the ``emerging`` component per ESRI category; every other category (cold spots,
No Pattern Detected) is 0. New and intensifying activity ranks first, fading activity last."""


def log_norm(x) -> np.ndarray:
    """``log1p(x) / log1p(max x)``: non-negative values to [0, 1]; all zeros give zeros.

    The log damps a single extreme cell (e.g. a port with thousands of seizures), so cells with a
    few events still differ from empty cells. Monotone: it never changes the order of cells.
    """
    x = np.clip(np.nan_to_num(np.asarray(x, dtype="float64")), 0, None)
    m = x.max() if x.size else 0.0
    if not m > 0:
        return np.zeros_like(x)
    return np.log1p(x) / np.log1p(m)


def decay_weights(ages_days, half_life_days: float) -> np.ndarray:
    """Exponential time decay ``0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    ages_days : array of float
        Age of each event in days (>= 0) at the end of the period.
    half_life_days : float
        Days after which an event counts half (setting ``decay_half_life_days``, 180 days).
    """
    h = float(half_life_days)
    if not h > 0:
        raise ValueError("the half-life must be a positive number of days")
    a = np.clip(np.asarray(ages_days, dtype="float64"), 0, None)
    return np.power(0.5, a / h)


def hotspot_component(bins) -> np.ndarray:
    """``max(bin, 0) / 3`` of Gi* confidence bins (-3..3): hot 99 % -> 1, cold -> 0."""
    return np.clip(np.asarray(bins, dtype="float64"), 0, 3) / 3.0


def emerging_component(categories) -> np.ndarray:
    """:data:`EMERGING_SCORES` of ESRI emerging categories (0 for others or missing)."""
    return np.array([EMERGING_SCORES.get(str(c), 0.0) for c in categories], dtype="float64")


def border_component(border_km, zone_km: float) -> np.ndarray:
    """``max(0, 1 - border_km / zone_km)``: 1 on the border, 0 at ``zone_km`` km or farther; NaN -> 0."""
    z = float(zone_km)
    if not z > 0:
        raise ValueError("the border zone must be a positive number of km")
    km = np.asarray(border_km, dtype="float64")
    return np.nan_to_num(np.clip(1.0 - km / z, 0.0, 1.0), nan=0.0)


def normalise_weights(weights: dict | None) -> dict:
    """Full weight dict (missing names take :data:`DEFAULT_WEIGHTS`); refuses negative or all-zero weights."""
    w = dict(DEFAULT_WEIGHTS)
    for k, v in (weights or {}).items():
        if k not in DEFAULT_WEIGHTS:
            raise ValueError(f"unknown score component {k!r}; use one of {', '.join(COMPONENTS)}")
        v = float(v)
        if not v >= 0:
            raise ValueError(f"the weight of {k} must be zero or positive")
        w[k] = v
    if sum(w.values()) <= 0:
        raise ValueError("at least one weight must be positive")
    return w


def parse_weights(text: str | None) -> dict:
    """Weights from ``"intensity=0.5,hotspot=0.2"`` (the CLI form); empty text gives the defaults."""
    out = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise ValueError(f"cannot read the weight {part.strip()!r}; write name=value, e.g. intensity=0.5")
        k, v = part.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise ValueError(f"the weight of {k.strip()} is not a number: {v.strip()!r}") from None
    return normalise_weights(out)


def combine(components: pd.DataFrame, weights: dict | None = None) -> pd.DataFrame:
    """Weighted parts and total score from component columns (each in [0, 1]).

    Returns
    -------
    pandas.DataFrame
        ``<name>_pts = w * c / sum(w)`` for every component and ``score`` = their sum.
    """
    w = normalise_weights(weights)
    total = sum(w.values())
    out = pd.DataFrame(index=components.index)
    for c in COMPONENTS:
        vals = components[c].to_numpy(dtype="float64") if c in components else np.zeros(len(components))
        out[f"{c}_pts"] = w[c] * vals / total
    out["score"] = out[[f"{c}_pts" for c in COMPONENTS]].sum(axis=1)
    return out
