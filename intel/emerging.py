"""Emerging hot spot analysis: which hot spots are new, intensifying, persistent or fading.

Overview
--------
The method follows ESRI's *Emerging Hot Spot Analysis* ("How Emerging Hot Spot Analysis
works", ArcGIS Pro documentation), on H3 cells instead of a fishnet:

1. **Space-time cube** (:func:`cube_from_store`): the value (events or firearms) of every
   study-area cell in every time step (week, month or quarter), with zero-filled bins - the
   cells are those of :func:`intel.hotspots.study_area`, the steps run over the whole period.
2. **Space-time Gi*** (:func:`space_time_gi_star`): the Getis-Ord Gi* z-score of each bin
   (Getis & Ord 1992; Ord & Getis 1995) whose neighbours are the bins of the cell's k-ring
   (restricted to the study area, self included) in the same step **and in the previous
   ``time_lag`` steps** (ArcGIS's *neighbourhood time step*; bins before the first step do
   not exist, so the first steps have smaller neighbourhoods). The mean and standard
   deviation are those of the entire cube (ArcGIS's "entire cube" global window). The z gives
   the direction of each bin and the series the trend is computed on.
   **p-values** (``method='poisson'``, the default) are exact: the events ``K`` in the bin's
   window (k-ring x time lag) against ``mu = cube mean x bins in the window``, two-sided
   Poisson tail (:func:`intel.inference.poisson_two_sided_p`), because on sparse counts the
   normal reading of z is far too optimistic (3 events in a 7-cell x 2-step window of a cube
   with mean 0.036 give z = 4.1 and a normal p of 4e-5, but an exact tail of 6e-3).
   ``method='normal'`` keeps ``2 (1 - Phi(|z|))``. With ``fdr`` on the p-values are
   Benjamini-Hochberg corrected over all bins of the cube. A hot bin needs at least
   :data:`intel.inference.MIN_WINDOW_EVENTS` (3) events in its window and a cold bin an
   expected count of at least 3, else it is never significant; and, as ArcGIS analyses only
   locations with data, a cell with no event in the whole cube is "No Pattern Detected"
   (``has_events`` False).
3. **Mann-Kendall** (:func:`mann_kendall`): the trend of each cell's series of z-scores
   (Mann 1945; Kendall 1975), vectorised over cells, with the tie-corrected variance; the
   same S, z and p as ``pymannkendall.original_test``.
4. **Categories** (:func:`classify`): ESRI's eight hot and eight cold patterns plus
   "No Pattern Detected". A bin is a hot (cold) spot when its z is positive (negative) and its
   (FDR-adjusted) p-value is at most ``alpha``; a trend is significant when the Mann-Kendall
   p-value is at most ``alpha``. With ``f`` the share of steps that are hot spots:

   ========================  ================================================================
   New                       hot in the final step and never before
   Consecutive               one uninterrupted run of >= 2 hot steps ending with the final
                             step, never hot before the run, f < 90 %
   Intensifying              f >= 90 %, hot in the final step, significant upward trend
   Persistent                f >= 90 %, hot in the final step, no significant trend
   Diminishing               f >= 90 %, hot in the final step, significant downward trend
   Oscillating               hot in the final step, cold in some earlier step, f < 90 %
   Sporadic                  hot in the final step, on and off before, never cold, f < 90 %
   Historical                f >= 90 % but not hot in the final step
   ========================  ================================================================

   Cold spots mirror these (an *intensifying* cold spot has a significant downward trend in
   z). Rules are applied in the order above; a cell not hot and not cold in the final step
   and below 90 % is "No Pattern Detected" (as in ArcGIS).

Units: ``k`` in cells (grid distance), ``time_lag`` in time steps, dates in UTC days, periods
half-open [from, to).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from intel.config import RESOLUTIONS, check_resolution
from intel.errors import HotspotError
from intel.h3cells import hex_array
from intel.hexbin import Filters
from intel.hotspots import (MAX_STUDY_CELLS, MIN_EVENTS, VALUES, Guardrails, base_guardrails, build_area,
                            cell_values, confidence_bins, located_events_sql, neighbour_matrix,
                            occupied_countries, p_two_sided, record_accounting)
from intel.inference import MIN_WINDOW_EVENTS, benjamini_hochberg, describe, poisson_two_sided_p
from intel.store import events_sql
from intel.studyarea import DEFAULT_AREA

STEPS = ("week", "month", "quarter")
_FREQ = {"week": "W-MON", "month": "MS", "quarter": "QS"}

MAX_CUBE_BINS = 50_000_000
"""Largest space-time cube (cells x steps) :func:`cube_from_store` will build."""

MIN_STEPS = 10
"""ESRI recommends at least 10 time steps for the Mann-Kendall trend."""

PATTERNS = ["New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Oscillating",
            "Sporadic", "Historical"]
NO_PATTERN = "No Pattern Detected"
CATEGORIES = ([f"{p} Hot Spot" for p in PATTERNS] + [f"{p} Cold Spot" for p in PATTERNS] + [NO_PATTERN])
"""The 17 categories, ArcGIS spelling."""

EMERGING_COLUMNS = ["h3", "total", "has_events", "steps", "hot_steps", "cold_steps", "last_value",
                    "last_window_events", "last_expected", "last_z", "last_p", "last_p_fdr", "last_bin",
                    "trend_s", "trend_tau", "trend_z", "trend_p", "trend", "category"]
"""Columns of the emerging export and of ``intel emerging`` output."""


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------

def _checked_cube(cube, W: sp.spmatrix, time_lag) -> tuple[np.ndarray, int]:
    """The cube as float64 (N, T) matching ``W``, and ``time_lag`` as an int >= 0 (ValueError otherwise)."""
    x = np.asarray(cube, dtype="float64")
    if x.ndim != 2 or x.shape[0] != W.shape[0]:
        raise ValueError("cube must have shape (cells, steps) matching W")
    time_lag = int(time_lag)
    if time_lag < 0:
        raise ValueError("time_lag must be >= 0")
    return x, time_lag


def window_sums(cube: np.ndarray, W: sp.spmatrix, time_lag: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Sum and number of bins of every bin's space-time window (k-ring x ``time_lag`` previous steps).

    Parameters
    ----------
    cube : array of float, shape (N, T)
        Value of each cell (rows, same order as ``W``) in each step (columns, oldest first).
    W : scipy.sparse matrix, shape (N, N)
        Binary spatial weights, ones on the diagonal.
    time_lag : int
        Previous steps in the window (>= 0); steps before the first do not exist.

    Returns
    -------
    (sums, bins) : two numpy.ndarray of float64, shape (N, T)
        ``sums[i, t] = sum x[j, s]`` over ``W[i, j] = 1`` and ``t - time_lag <= s <= t``;
        ``bins[i, t]`` the number of such bins.
    """
    x, time_lag = _checked_cube(cube, W, time_lag)
    T = x.shape[1]
    spatial = np.asarray(W @ x)  # (N, T): k-ring sums per step
    csum = np.cumsum(spatial, axis=1)
    lagsum = csum.copy()
    if time_lag + 1 < T:
        lagsum[:, time_lag + 1:] -= csum[:, : T - time_lag - 1]
    card = np.asarray(W.sum(axis=1)).ravel()
    steps_in = np.minimum(np.arange(T), time_lag) + 1
    return lagsum, card[:, None] * steps_in[None, :]


def space_time_gi_star(cube: np.ndarray, W: sp.spmatrix, time_lag: int = 1) -> np.ndarray:
    """Gi* z-score of every bin of a space-time cube (binary space-time weights).

    Bin (i, t) has as neighbours the bins (j, s) with ``W[i, j] = 1`` and
    ``t - time_lag <= s <= t`` (``s >= 0``). With the cube's ``n = N T`` values, mean ``xbar``
    and population standard deviation ``S``, and ``W_it`` the number of neighbours::

        z_it = (sum x_js - xbar W_it) / (S sqrt((n W_it - W_it**2) / (n - 1)))

    (Ord & Getis 1995, binary weights; ESRI's space-time Gi* with an "entire cube" window.)

    Parameters
    ----------
    cube : array of float, shape (N, T)
        Value of each cell (rows, same order as ``W``) in each time step (columns, oldest first).
    W : scipy.sparse matrix, shape (N, N)
        Binary spatial weights, ones on the diagonal (:func:`intel.hotspots.neighbour_matrix`).
    time_lag : int
        Number of previous steps in the neighbourhood (>= 0).

    Returns
    -------
    numpy.ndarray of float64, shape (N, T)

    Raises
    ------
    HotspotError
        Fewer than 3 bins, or every bin has the same value.
    """
    x, time_lag = _checked_cube(cube, W, time_lag)
    N, T = x.shape
    n = N * T
    if n < 3:
        raise HotspotError("The space-time cube has fewer than 3 bins, so hot spots cannot be computed.")
    mean = x.mean()
    s2 = (x * x).mean() - mean * mean
    if not s2 > 1e-12 * max(1.0, mean * mean):
        raise HotspotError("Every bin of the space-time cube has the same value, so no cell can stand out.")
    s = np.sqrt(s2)
    lagsum, card_st = window_sums(x, W, time_lag)
    var = (n * card_st - card_st * card_st) / (n - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (lagsum - mean * card_st) / (s * np.sqrt(var))
    z[~(var > 0)] = np.nan
    return z


def mann_kendall(x: np.ndarray) -> dict[str, np.ndarray]:
    """Mann-Kendall trend test of each row, vectorised (Mann 1945; Kendall 1975).

    ``S = sum_{i<j} sign(x_j - x_i)``; ``Var(S) = [T(T-1)(2T+5) - sum_g t_g(t_g-1)(2t_g+5)] / 18``
    over groups of ``t_g`` tied values; ``z = (S - sign(S)) / sqrt(Var(S))`` (continuity
    correction); two-sided ``p = 2 (1 - Phi(|z|))``; Kendall's ``tau = S / (T(T-1)/2)``. Same
    figures as ``pymannkendall.original_test`` for series without missing values.

    Parameters
    ----------
    x : array of float, shape (N, T)
        One series per row, oldest first; NaN is read as 0.

    Returns
    -------
    dict of numpy.ndarray, each shape (N,)
        ``s``, ``var_s``, ``z``, ``p``, ``tau``.
    """
    x = np.nan_to_num(np.asarray(x, dtype="float64"))
    if x.ndim == 1:
        x = x[None, :]
    N, T = x.shape
    s = np.zeros(N)
    for d in range(1, T):
        s += np.sign(x[:, d:] - x[:, :-d]).sum(axis=1)
    xs = np.sort(x, axis=1)
    new = np.ones((N, T), dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]
    gid = np.cumsum(new.ravel()) - 1
    sizes = np.bincount(gid).astype("float64")
    group_row = np.repeat(np.arange(N), new.sum(axis=1))
    ties = np.bincount(group_row, weights=sizes * (sizes - 1) * (2 * sizes + 5), minlength=N)
    var_s = (T * (T - 1) * (2 * T + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(np.where(var_s > 0, var_s, 1.0)), 0.0)
    p = 2.0 * ndtr(-np.abs(z))
    tau = s / (0.5 * T * (T - 1)) if T > 1 else np.zeros(N)
    return {"s": s, "var_s": var_s, "z": z, "p": p, "tau": tau}


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True values ending at the last column, per row."""
    return np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)


def _side(hot, other, trend_z, trend_sig, up: bool) -> np.ndarray:
    """Pattern index (0-7 as in PATTERNS, -1 none) of one side (hot, or cold with up=False)."""
    N, T = hot.shape
    nh = hot.sum(axis=1)
    frac = nh / T
    last = hot[:, -1]
    run = _trailing_run(hot)
    ever_other_before = other[:, :-1].any(axis=1) if T > 1 else np.zeros(N, bool)
    rising = trend_sig & (trend_z > 0 if up else trend_z < 0)
    falling = trend_sig & (trend_z < 0 if up else trend_z > 0)
    big = frac >= 0.9
    out = np.full(N, -1, dtype=np.int8)
    conds = [
        last & (nh == 1),                                   # New
        last & (run >= 2) & (nh == run) & ~big,             # Consecutive
        last & big & rising,                                # Intensifying
        last & big & ~trend_sig,                            # Persistent
        last & big & falling,                               # Diminishing
        last & ~big & ever_other_before,                    # Oscillating
        last & ~big & ~ever_other_before,                   # Sporadic
        ~last & big,                                        # Historical
    ]
    for i in range(len(conds) - 1, -1, -1):  # first rule wins
        out[conds[i]] = i
    return out


def classify(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
             alpha: float = 0.05) -> np.ndarray:
    """ESRI emerging hot spot category of each cell.

    Parameters
    ----------
    hot, cold : array of bool, shape (N, T)
        Significant hot / cold spot in each step (oldest first).
    trend_z, trend_p : array of float, shape (N,)
        Mann-Kendall z and p of each cell's Gi* z-series.
    alpha : float
        Significance of the trend.

    Returns
    -------
    numpy.ndarray of object (str), shape (N,)
        One of :data:`CATEGORIES`.
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    if hot.ndim == 1:
        hot, cold = hot[None, :], cold[None, :]
    trend_z = np.atleast_1d(np.asarray(trend_z, dtype="float64"))
    sig = np.atleast_1d(np.asarray(trend_p, dtype="float64")) <= alpha
    h = _side(hot, cold, trend_z, sig, up=True)
    c = _side(cold, hot, trend_z, sig, up=False)
    names = np.array(CATEGORIES, dtype=object)
    out = np.full(hot.shape[0], NO_PATTERN, dtype=object)
    out[c >= 0] = names[len(PATTERNS) + c[c >= 0]]
    out[h >= 0] = names[h[h >= 0]]
    return out


EMERGING_METHODS = ("poisson", "normal")
"""Bin tests of :func:`emerging_hotspots`: exact Poisson tail (default) or normal reading of z."""


def emerging_hotspots(cells, cube, k: int = 1, time_lag: int = 1, *, fdr: bool = True,
                      alpha: float = 0.05, W: sp.spmatrix | None = None,
                      method: str = "poisson") -> pd.DataFrame:
    """Emerging hot spot categories of the cells of a space-time cube.

    Parameters
    ----------
    cells : array of uint64, shape (N,)
        Study-area cells (distinct, one resolution), empty cells included.
    cube : array of float, shape (N, T)
        Value per cell and time step, oldest step first, zeros where nothing happened.
    k : int
        Spatial k-ring (cells).
    time_lag : int
        Previous time steps in the neighbourhood (ArcGIS neighbourhood time step).
    fdr : bool
        Benjamini-Hochberg over all bins of the cube.
    alpha : float
        Significance of hot/cold bins and of the trend.
    W : sparse matrix, optional
        Precomputed :func:`intel.hotspots.neighbour_matrix` of ``cells``.
    method : {'poisson', 'normal'}
        p-value of each bin: ``poisson`` (default) the two-sided exact Poisson tail of the
        window's events against ``cube mean x bins in the window``; ``normal`` the normal
        reading of the space-time Gi* z. With either, a hot bin needs at least
        :data:`intel.inference.MIN_WINDOW_EVENTS` events in its window and a cold bin an expected
        count of at least that many, and a cell without any event in the cube has no hot or
        cold bin ("No Pattern Detected").

    Returns
    -------
    pandas.DataFrame
        One row per cell: ``cell`` (uint64), ``h3``, ``total`` (sum over steps),
        ``has_events`` (``total > 0``), ``steps``, ``hot_steps``, ``cold_steps``,
        ``last_value``, ``last_window_events`` and ``last_expected`` (events in the final
        step's window and their expected count), ``last_z``, ``last_p``, ``last_p_fdr``,
        ``last_bin`` (confidence bin of the final step, 0 where the bin cannot be significant),
        ``trend_s``, ``trend_tau``, ``trend_z``, ``trend_p`` (Mann-Kendall of the z-series),
        ``trend`` (``increasing``/``decreasing``/``no trend`` at ``alpha``), ``category``.
        ``attrs`` holds ``k``, ``time_lag``, ``fdr``, ``alpha``, ``steps``, ``n_bins``,
        ``method``, ``method_text``, ``held_back_bins`` (bins of cells with events whose p-value
        passed but whose window had too few events, or too small an expected count, to be
        called) and ``max_window_events``.

    Raises
    ------
    HotspotError
        When Gi* cannot be computed (no variation).
    ValueError
        Wrong cube shape, ``alpha`` outside (0, 1) or an unknown ``method``.
    """
    cells = np.ascontiguousarray(np.asarray(cells, dtype="uint64"))
    x = np.asarray(cube, dtype="float64")
    if x.ndim != 2 or x.shape[0] != cells.size:
        raise ValueError("cube must have shape (len(cells), steps)")
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    if method not in EMERGING_METHODS:
        raise ValueError(f"method must be one of {EMERGING_METHODS}")
    if W is None:
        W = neighbour_matrix(cells, k)
    z = space_time_gi_star(x, W, time_lag)
    events, bins = window_sums(x, W, time_lag)
    expected = x.mean() * bins
    if method == "poisson":
        p = poisson_two_sided_p(events, expected)
        p[np.isnan(z)] = 1.0  # the window is the whole cube: nothing to compare with
    else:
        p = p_two_sided(z.ravel()).reshape(z.shape)
    p_use = benjamini_hochberg(p.ravel()).reshape(z.shape) if fdr else p
    zf = np.nan_to_num(z)
    has_events = x.sum(axis=1) > 0
    sig = p_use <= alpha
    enough_hot = events >= MIN_WINDOW_EVENTS
    enough_cold = expected >= MIN_WINDOW_EVENTS
    can_hot = enough_hot & has_events[:, None]
    can_cold = enough_cold & has_events[:, None]
    hot = sig & (zf > 0) & can_hot
    cold = sig & (zf < 0) & can_cold
    held_back = int((sig & has_events[:, None] & (((zf > 0) & ~enough_hot) | ((zf < 0) & ~enough_cold))).sum())
    mk = mann_kendall(zf)
    trend_sig = mk["p"] <= alpha
    trend = np.where(trend_sig & (mk["z"] > 0), "increasing",
                     np.where(trend_sig & (mk["z"] < 0), "decreasing", "no trend")).astype(object)
    cat = classify(hot, cold, mk["z"], mk["p"], alpha)
    cat[~has_events] = NO_PATTERN
    last_ok = np.where(zf[:, -1] > 0, can_hot[:, -1], can_cold[:, -1])
    df = pd.DataFrame({
        "cell": cells,
        "h3": hex_array(cells),
        "total": x.sum(axis=1),
        "has_events": has_events,
        "steps": np.full(cells.size, x.shape[1], dtype=np.int64),
        "hot_steps": hot.sum(axis=1).astype(np.int64),
        "cold_steps": cold.sum(axis=1).astype(np.int64),
        "last_value": x[:, -1],
        "last_window_events": events[:, -1],
        "last_expected": expected[:, -1],
        "last_z": z[:, -1],
        "last_p": p[:, -1],
        "last_p_fdr": p_use[:, -1],
        "last_bin": np.where(last_ok, confidence_bins(z[:, -1], p_use[:, -1]), 0).astype("int8"),
        "trend_s": mk["s"],
        "trend_tau": mk["tau"],
        "trend_z": mk["z"],
        "trend_p": mk["p"],
        "trend": trend,
        "category": cat,
    })
    df.attrs.update(k=int(k), time_lag=int(time_lag), fdr=bool(fdr), alpha=float(alpha),
                    steps=int(x.shape[1]), n_bins=int(x.size), method=method,
                    method_text=describe(method) if method == "poisson" else
                    "Emerging hot spots: space-time Gi* (Ord & Getis 1995) with normal-approximation p-values "
                    "(optimistic on sparse counts); Mann-Kendall trend; false discovery rate: Benjamini & "
                    "Hochberg (1995).",
                    held_back_bins=held_back, max_window_events=float(events.max(initial=0.0)))
    return df


# --------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------

@dataclass
class Cube:
    """A space-time cube of cell values.

    Attributes
    ----------
    cells : numpy.ndarray of uint64, shape (N,)
        Study-area cells, sorted.
    periods : pandas.DatetimeIndex, shape (T,)
        Start day of each time step (weeks start on Monday).
    values : numpy.ndarray of float, shape (N, T)
    step : str
    area : intel.hotspots.StudyArea
    notes : list of str
        Sentences about the period (it ran past the data).
    period_cut : bool
        True when the requested period leaves out dated records of the selection (some lie
        before or after it), so a longer period would add time steps; False when the cube
        already spans every dated record.
    """

    cells: np.ndarray
    periods: pd.DatetimeIndex
    values: np.ndarray
    step: str
    area: object
    notes: list = None
    period_cut: bool = False


def _or_list(options: list[str]) -> str:
    """``['a', 'b', 'c']`` -> ``'a, b or c'`` (the advice of a message)."""
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]


def advice(res: int, step: str, period_cut: bool, filters: Filters | None, want: tuple[str, ...]) -> list[str]:
    """The changes among ``want`` that the current choices still allow, as phrases for a message.

    A message must not tell the analyst to choose a shorter step when the shortest is already
    chosen, or a coarser resolution at the coarsest one.

    Parameters
    ----------
    res : int
        H3 resolution chosen; ``coarser`` is possible above the hotspot minimum
        (:data:`intel.config.RESOLUTIONS`), ``finer`` below its maximum.
    step : str
        Time step chosen (one of :data:`STEPS`, shortest first).
    period_cut : bool
        Whether the period leaves out dated records (:attr:`Cube.period_cut`).
    filters : intel.hexbin.Filters or None
        Record filters; ``wider`` is possible only when they limit something
        (:meth:`intel.hexbin.Filters.narrows`).
    want : tuple of str
        Among ``shorter_step``, ``longer_step``, ``coarser``, ``finer``, ``longer_period``,
        ``shorter_period``, ``wider``, in the order the phrases are to be given.

    Returns
    -------
    list of str
        Phrases such as ``'a shorter step'``; empty when none of ``want`` is possible.
    """
    lo, hi = RESOLUTIONS["hotspot"]
    i = STEPS.index(step) if step in STEPS else -1
    possible = {
        "shorter_step": (i > 0, "a shorter step"),
        "longer_step": (0 <= i < len(STEPS) - 1, "a longer step"),
        "coarser": (int(res) > lo, "a coarser resolution"),
        "finer": (int(res) < hi, "a finer resolution"),
        "longer_period": (bool(period_cut), "a longer period"),
        "shorter_period": (True, "a shorter period"),
        "wider": (bool(filters and filters.narrows()), "wider filters (more sources, countries or kinds)"),
    }
    return [possible[w][1] for w in want if possible[w][0]]


def _period_bounds(con, sql: str, params: list, step: str, date_from, date_to, whole_sql: str, whole_params: list):
    """Time steps of the cube, a note when the requested period runs past the data, and whether
    the period leaves out dated records (:attr:`Cube.period_cut`).

    The steps cover the requested period clipped to the first and last dated event of the
    selection, so empty steps past the end of the data are not read as "the hot spot faded".
    ``whole_sql`` is the selection without its period: dated records of it before the first or
    after the last of ``sql`` mean the period cuts the data.
    """
    row = con.execute(f"SELECT min(event_date), max(event_date) FROM ({sql}) WHERE event_date IS NOT NULL",
                      params).fetchone()
    if row[0] is None:
        raise HotspotError("No located event has a date, so no space-time cube can be built.")
    first, last = pd.Timestamp(row[0]), pd.Timestamp(row[1])
    every = con.execute(f"SELECT min(event_date), max(event_date) FROM ({whole_sql}) WHERE event_date IS NOT NULL",
                        whole_params).fetchone()
    lo = pd.Timestamp(str(date_from)) if date_from is not None else first
    hi = (pd.Timestamp(str(date_to)) - pd.Timedelta(days=1)) if date_to is not None else last
    if hi < lo:
        raise HotspotError("The period is empty: the end date is not after the start date.")
    notes = []
    cut = bool(pd.Timestamp(every[0]) < first or pd.Timestamp(every[1]) > last)
    if lo < first or hi > last:
        notes.append(f"The selected events run from {first.date()} to {last.date()}; the space-time cube "
                     "covers only that span, so steps without data are not read as cooling.")
        lo, hi = max(lo, first), min(hi, last)
    start = pd.Timestamp(con.execute("SELECT date_trunc(?, ?::DATE)", [step, lo.date()]).fetchone()[0])
    end = pd.Timestamp(con.execute("SELECT date_trunc(?, ?::DATE)", [step, hi.date()]).fetchone()[0])
    return pd.date_range(start, end, freq=_FREQ[step]), notes, cut


def cube_from_store(con, res: int, step: str = "month", value: str = "events",
                    filters: Filters | None = None, date_from=None, date_to=None,
                    area: str = DEFAULT_AREA, area_codes=(), max_cells: int = MAX_STUDY_CELLS,
                    max_bins: int = MAX_CUBE_BINS, bbox=None) -> tuple[Cube, dict, int, int]:
    """Zero-filled space-time cube of the store's events over a study area.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution in the "hotspot" range of :data:`intel.config.RESOLUTIONS` (parents of
        the stored cells).
    step : {'week', 'month', 'quarter'}
        Time step; weeks start on Monday (``date_trunc``).
    value : {'events', 'firearms'}
        Distinct incidents (:func:`intel.store.events_sql`) or ``sum(firearms)`` per cell and step.
    filters, date_from, date_to
        As in :func:`intel.hotspots.hotspots_from_store`; the steps run from the step of
        ``date_from`` (or the first event) to the step of the last day (or the last event).
    area, area_codes, max_cells, bbox
        Study area (see :func:`intel.studyarea.build_area`); ``data`` by default.
    max_bins : int
        Cap on cells x steps.

    Returns
    -------
    (Cube, accounting, outside, undated)
        The cube, :func:`intel.hotspots.record_accounting`, records outside the area, and
        located records without a date.

    Raises
    ------
    HotspotError
        No located events, empty period, or a cube larger than ``max_bins``.
    ValueError
        Unknown ``step`` or ``value``, or ``res`` outside the hotspot range.
    """
    res = check_resolution(res, "hotspot")
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}")
    if value not in VALUES:
        raise ValueError(f"value must be one of {VALUES}")
    occ = cell_values(con, res, value, filters, date_from, date_to)
    acct = record_accounting(con, res, filters, date_from, date_to)
    if occ.empty:
        raise HotspotError("There are no located events at this resolution for the chosen filters, "
                           "so there is no space-time cube to analyse.")
    occupied = occupied_countries(con, res, filters, date_from, date_to) if area == "data" else occ["cell"].to_numpy()
    sa = build_area(con, res, occupied, area, area_codes, max_cells, bbox=bbox, min_res=RESOLUTIONS["hotspot"][0])
    sql, params = located_events_sql(res, filters, date_from, date_to)
    whole_sql, whole_params = located_events_sql(res, replace(filters or Filters(), date_from=None, date_to=None),
                                                 None, None)
    periods, notes, cut = _period_bounds(con, sql, params, step, date_from, date_to, whole_sql, whole_params)
    N, T = sa.cells.size, len(periods)
    if N * T > max_bins:
        ways = advice(res, step, cut, filters, ("coarser", "longer_step", "shorter_period"))
        raise HotspotError(f"The space-time cube would have {N:,} cells x {T:,} steps = {N * T:,} bins, more "
                           f"than the limit of {max_bins:,}; choose {_or_list(ways)}.")
    agg = events_sql() if value == "events" else "coalesce(sum(firearms), 0)"
    df = con.execute(
        f"SELECT cell, date_trunc(?, event_date)::DATE AS period, {agg}::DOUBLE AS value, count(*) AS records "
        f"FROM ({sql}) WHERE event_date IS NOT NULL GROUP BY ALL",
        [step] + params).df()
    undated = int(con.execute(f"SELECT count(*) FROM ({sql}) WHERE event_date IS NULL", params).fetchone()[0])
    cube = np.zeros((N, T))
    outside = 0
    if not df.empty:
        c = df["cell"].to_numpy().astype("uint64")
        ci = np.minimum(np.searchsorted(sa.cells, c), N - 1)
        ti = periods.get_indexer(pd.to_datetime(df["period"]))
        ok = (sa.cells[ci] == c) & (ti >= 0)
        np.add.at(cube, (ci[ok], ti[ok]), df["value"].to_numpy()[ok])
        outside = int(df["records"].to_numpy()[~ok].sum())
    return Cube(sa.cells, periods, cube, step, sa, notes, cut), acct, outside, undated


def emerging_from_store(con, res: int, step: str = "month", k: int = 1, time_lag: int = 1,
                        value: str = "events", fdr: bool = True, alpha: float = 0.05,
                        date_from=None, date_to=None, filters: Filters | None = None,
                        area: str = DEFAULT_AREA, area_codes=(), max_cells: int = MAX_STUDY_CELLS,
                        max_bins: int = MAX_CUBE_BINS, method: str = "poisson", bbox=None) -> tuple[pd.DataFrame, Guardrails]:
    """Emerging hot spot analysis of the store's events (page and CLI entry point).

    Parameters are those of :func:`cube_from_store` and :func:`emerging_hotspots`.

    Returns
    -------
    (pandas.DataFrame, intel.hotspots.Guardrails)
        The :func:`emerging_hotspots` table (every study-area cell; hot categories first) and
        its guardrails, which name the bin test (``method``, ``method_text``), say how many
        bins were held back for too few events, and call the cube too sparse for any claim
        when no window holds :data:`intel.inference.MIN_WINDOW_EVENTS` events or the cube
        has fewer than :data:`intel.hotspots.MIN_EVENTS` events. ``attrs`` adds
        ``first_period``, ``last_period``, ``step``, ``area``.

    Raises
    ------
    HotspotError
        When the cube cannot be built or has no variation.
    """
    cube, acct, outside, undated = cube_from_store(con, res, step, value, filters, date_from, date_to,
                                                   area, area_codes, max_cells, max_bins, bbox)
    y = cube.values.sum(axis=1)
    if not np.any(y > 0):
        raise HotspotError("None of the located events fall inside the chosen study area and period.")
    g = base_guardrails(acct, res, y, cube.area, value, fdr, outside)
    T = len(cube.periods)
    if T < MIN_STEPS:
        g.unreliable = True
        ways = advice(res, step, cube.period_cut, filters, ("shorter_step", "longer_period", "wider"))
        sfx = "s" if T != 1 else ""
        # no way left: the shortest step, every dated record and no filter (so say why, advise nothing)
        span = (f"the selected records cover only {T} {step}{sfx} ({cube.periods[0].date()} to "
                f"{cube.periods[-1].date()}) and no step shorter than a {step} is offered")
        g.messages.insert(0, f"Only {T} time step{sfx} ({step}{sfx}): the Mann-Kendall trend needs at least "
                             f"{MIN_STEPS}, so the emerging categories are not reliable; "
                             + (f"choose {_or_list(ways)}." if ways else f"{span}."))
    g.messages.extend(cube.notes or [])
    if undated:
        g.messages.append(f"{undated:,} located records have no date and were left out of the space-time cube.")
    df = emerging_hotspots(cube.cells, cube.values, k, time_lag, fdr=fdr, alpha=alpha, method=method)
    g.method, g.method_text = method, df.attrs["method_text"]
    unit = "events" if value == "events" else "firearms"
    if df.attrs["max_window_events"] < MIN_WINDOW_EVENTS or g.events < MIN_EVENTS:
        g.unreliable = g.too_sparse = True
        ways = advice(res, step, cube.period_cut, filters, ("longer_step", "coarser", "longer_period", "wider"))
        sparse = (f"Too sparse for any claim: no {step}'s k-ring x time-lag window holds {MIN_WINDOW_EVENTS} {unit} "
                  f"(the most is {df.attrs['max_window_events']:,.0f}), so no bin can be a hot spot"
                  + (f"; choose {_or_list(ways)}." if ways else
                     "; the longest step and the coarsest resolution are already chosen and the period "
                     "already spans every record.")
                  if df.attrs["max_window_events"] < MIN_WINDOW_EVENTS else
                  f"Only {g.events:,} {unit} in the space-time cube (fewer than {MIN_EVENTS}): too sparse for any "
                  "claim about emerging hot spots; read the categories as a description only.")
        if sparse not in g.messages:
            g.messages.insert(0, sparse)
    if df.attrs["held_back_bins"]:
        g.messages.append(f"{df.attrs['held_back_bins']:,} cell-{step}s passed the significance test but had fewer than "
                          f"{MIN_WINDOW_EVENTS} {unit} in their window (or, for cold spots, fewer than "
                          f"{MIN_WINDOW_EVENTS} expected), so they are not called hot or cold.")
    empty = int((~df["has_events"]).sum())
    if empty:
        g.messages.append(f"{empty:,} study-area cells have no {unit} in the whole cube and are not classified "
                          "(No Pattern Detected), as ArcGIS analyses only locations with data.")
    order = {c: i for i, c in enumerate(CATEGORIES)}
    df["_o"] = df["category"].map(order)
    df = df.sort_values(["_o", "total"], ascending=[True, False], kind="stable").drop(columns="_o")
    df = df.reset_index(drop=True)
    if (df["category"] == NO_PATTERN).all():
        g.empty_map = "No cell shows an emerging hot or cold spot pattern."
        g.messages.append(g.empty_map)
    df.attrs.update(first_period=str(cube.periods[0].date()), last_period=str(cube.periods[-1].date()),
                    step=step, res=int(res), value=value, **cube.area.attrs())
    return df, g


def category_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Cells per category (categories with at least one cell, in :data:`CATEGORIES` order)."""
    counts = df["category"].value_counts()
    rows = [(c, int(counts[c])) for c in CATEGORIES if c in counts.index]
    return pd.DataFrame(rows, columns=["category", "cells"])
