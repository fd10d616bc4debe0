"""The inputs of the candidate rankings: incidents per cell, decayed counts and kernel density.

Part of the analyses (``risk/`` in the README's layout table), used by the fitted ranking
(:mod:`intel.risk.fit`), whose candidates (previous-period counts, decayed counts, kernel density
and the tie-breaks among them) are built from these per-cell values: the distinct (cell,
incident) pairs of the records with each incident's first date (:func:`incidents_of_records`),
counted per cell (:func:`per_cell`); decayed counts, each incident weighed by ``0.5 ** (age /
half-life)`` (:func:`decayed_counts`); kernel density, a Gaussian kernel of the chord distance
between cell centres and the centres of occupied training cells (:func:`kde_scores`). This
module imports only :mod:`intel.risk.components` of its package.

Units: distances and bandwidths in km, ages and half-lives in days.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from intel.geodesy import EARTH_RADIUS_KM, unit_vectors
from intel.h3cells import edge_km
from intel.risk.components import decay_weights

def default_bandwidth_km(res: int) -> float:
    """Default KDE bandwidth in km: ``max(0.5, 2 * mean H3 edge length at res)``."""
    return max(0.5, 2.0 * edge_km(int(res)))


def _xyz_km(lat, lon) -> np.ndarray:
    """Points on the sphere of radius :data:`intel.geodesy.EARTH_RADIUS_KM`, km, shape (n, 3)."""
    return EARTH_RADIUS_KM * unit_vectors(lat, lon)


def kde_scores(lat, lon, src_lat, src_lon, src_counts, bandwidth_km: float, cutoff: float = 3.0) -> np.ndarray:
    """Gaussian kernel density at points from weighted source points.

    Parameters
    ----------
    lat, lon : arrays of float, shape (n,)
        Evaluation points (cell centres), degrees WGS84.
    src_lat, src_lon : arrays of float, shape (m,)
        Source points (centres of occupied training cells), degrees.
    src_counts : array of float, shape (m,)
        Weight of each source (training events).
    bandwidth_km : float
        Standard deviation ``h`` of the Gaussian kernel, km.
    cutoff : float
        Sources farther than ``cutoff * h`` are ignored (their weight is below 1.1 % at 3 h).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``sum_j n_j exp(-d_ij**2 / (2 h**2))`` (unnormalised; only the order matters).

    Raises
    ------
    ValueError
        When the bandwidth is not a positive number of km.
    """
    h = float(bandwidth_km)
    if not h > 0:
        raise ValueError("the bandwidth must be a positive number of km")
    out = np.zeros(len(np.asarray(lat)))
    w = np.asarray(src_counts, float)
    if out.size == 0 or w.size == 0:
        return out
    P, S = _xyz_km(lat, lon), _xyz_km(src_lat, src_lon)
    # every (point, source) pair within the cut-off at once (pairs at distance 0 included)
    m = cKDTree(P).sparse_distance_matrix(cKDTree(S), cutoff * h, output_type="ndarray")
    if m.size == 0:
        return out
    rows, cols = m["i"].astype(np.int64), m["j"].astype(np.int64)
    d2 = ((P[rows] - S[cols]) ** 2).sum(axis=1)
    return np.bincount(rows, weights=w[cols] * np.exp(-d2 / (2 * h * h)), minlength=out.size).astype(float)


def incidents_of_records(recs: pd.DataFrame) -> pd.DataFrame:
    """Distinct (cell, incident) pairs with the incident's first date and its source."""
    if recs.empty:
        return pd.DataFrame({"cell": np.zeros(0, dtype="uint64"), "incident_key": [], "d": pd.to_datetime([]),
                             "source": []})
    inc = recs.groupby(["cell", "incident_key"], as_index=False).agg(d=("event_date", "min"))
    inc["d"] = pd.to_datetime(inc["d"])
    inc["source"] = inc["incident_key"].astype(str).str.split(chr(31), n=1).str[0]
    return inc


def per_cell(inc: pd.DataFrame, cells: np.ndarray, weights=None) -> np.ndarray:
    """Sum of ``weights`` (default 1 per incident) per cell of ``cells``."""
    if inc.empty:
        return np.zeros(cells.size)
    w = np.ones(len(inc)) if weights is None else np.asarray(weights, float)
    s = pd.Series(w, index=pd.Index(inc["cell"].to_numpy(dtype="uint64"))).groupby(level=0).sum()
    return s.reindex(pd.Index(cells)).fillna(0.0).to_numpy(float)


def decayed_counts(inc: pd.DataFrame, cells: np.ndarray, end, half_life_days: float) -> np.ndarray:
    """Exponentially decayed event counts per cell: ``sum 0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    inc : pandas.DataFrame
        Distinct incidents with ``cell`` (uint64) and ``d`` (first date).
    cells : array of uint64, shape (n,)
        Study-area cells.
    end : date or str
        End of the period (exclusive); the age of an event is ``end - d`` in days.
    half_life_days : float
        Days after which an event counts half.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
    """
    if inc.empty:
        return np.zeros(cells.size)
    age = (pd.Timestamp(end) - inc["d"]).dt.days.to_numpy(float)
    return per_cell(inc, cells, decay_weights(np.nan_to_num(age, nan=0.0), half_life_days))
