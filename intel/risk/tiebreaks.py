"""Tie-breaks of previous-period counts that combine several tie-breakers (used by :mod:`intel.risk.fit`).

A tie-break keeps the order of the counts and only orders cells of equal count (a **tie group**).
One tie-breaker (kernel density at one bandwidth, decayed counts) is a noisy guess at which of
the tied cells will see events; at the cut-off of a share of the area, a wrong guess can find
fewer events than sharing the tie by expectation, which is what previous-period counts get. This
module averages the guesses instead of choosing one: each tie-breaker's values are turned into
ranks within each tie group, normalised to ``(0, 1]`` (:func:`group_ranks`), and the cells of a
group are ordered by the mean of these ranks over the tie-breakers (:func:`mean_rank_parts`).
Averaging several noisy orderings lowers the variance of the order, as averaging the predictors
of bootstrap samples does in bagging (Breiman 1996, "Bagging predictors", *Machine Learning* 24,
123-140); ranks rather than values, so that no tie-breaker weighs more for its scale.

The parts are returned under the tie-breakers' own part names (``density``, ``decayed``), each
the tie-breaker's share of the mean, so a planner's ranking still adds up from the parts of
:data:`intel.risk.fit.RANKING_PARTS`. This module imports nothing of its package.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def group_ranks(counts, x) -> np.ndarray:
    """Rank of ``x`` within each group of equal ``counts``, divided by the group's size.

    Parameters
    ----------
    counts : array of float, shape (n,)
        Values that define the groups (previous-period counts).
    x : array of float, shape (n,)
        The tie-breaker's value per cell (higher = predicted first); NaN counts as 0.

    Returns
    -------
    numpy.ndarray of float, shape (n,)
        ``rank / size`` in ``(0, 1]``: 1 for the highest ``x`` of its group, equal ``x`` share
        their average rank (so they stay tied), a group of one cell gets 1.

    Examples
    --------
    >>> group_ranks([2, 2, 2, 1], [0.1, 0.3, 0.2, 5.0]).tolist()
    [0.3333333333333333, 1.0, 0.6666666666666666, 1.0]
    """
    s = pd.DataFrame({"c": np.asarray(counts, float), "x": np.nan_to_num(np.asarray(x, float))})
    if s.empty:
        return np.zeros(0)
    g = s.groupby("c")["x"]
    return (g.rank(method="average") / g.transform("size")).to_numpy(float)


def mean_rank_parts(counts, tie_parts: dict[str, tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Parts of the counts with their ties ordered by the mean within-group rank of several tie-breakers.

    Parameters
    ----------
    counts : array of float, shape (n,)
        Previous-period counts (whole numbers: the tie part stays below 1, so their order holds).
    tie_parts : dict
        ``{tie-breaker name: (part name, value per cell)}``, e.g. ``{"kernel density": ("density",
        kde)}``; an empty dict leaves the ties.

    Returns
    -------
    dict
        ``{"counts": counts, part name: ...}``: each tie-breaker adds ``0.5 * group_ranks(counts,
        x) / J`` (``J`` tie-breakers) to its part, so the parts add up to ``counts + 0.5 * mean
        rank`` and cells of equal count are ordered by their mean rank (equal means stay tied).

    Examples
    --------
    Three cells of count 1: the first is first by one tie-breaker and second by the other (mean
    normalised rank 5/6), the second last and first (2/3), the third second and last (1/2).

    >>> p = mean_rank_parts([1, 1, 1], {"a": ("density", [3, 1, 2]), "b": ("decayed", [2, 3, 1])})
    >>> (p["counts"] + p["density"] + p["decayed"]).round(4).tolist()
    [1.4167, 1.3333, 1.25]
    """
    c = np.asarray(counts, float)
    out: dict[str, np.ndarray] = {"counts": c}
    J = len(tie_parts)
    for part, x in tie_parts.values():
        out[part] = out.get(part, np.zeros_like(c)) + 0.5 * group_ranks(c, x) / J
    return out
