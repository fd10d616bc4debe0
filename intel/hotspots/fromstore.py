"""Hot spots of the store: the located records, the study area, Gi* and the guardrails.

Part of :mod:`intel.hotspots`. :func:`hotspots_from_store` reads the accepted, located records of
the filters and period (:func:`located_events_sql`, :func:`cell_values`), counts what was left
out (:func:`record_accounting`), builds the study area (:mod:`intel.studyarea`), aligns the
values on it (:func:`align`, zeros included), runs :func:`intel.hotspots.gistar.gi_star` and
returns the table with its :class:`Guardrails` (too sparse for any claim, the p-value method and
its floor). The Hot spots page and ``intel hotspots`` both call it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from intel.config import RESOLUTIONS, check_resolution
from intel.errors import HotspotError
from intel.h3cells import edge_km, parent_sql
from intel.hexbin import Filters, coarse_sql, usable_sql
from intel.inference import fdr_floor_message
from intel.settings import bounds
from intel.store import events_sql
from intel.studyarea import DEFAULT_AREA, MAX_STUDY_CELLS, StudyArea, build_area
from intel.hotspots.gistar import (MIN_EVENTS, MIN_NONZERO_CELLS, VALUES, as_cells, cold_edge_note,
                                   edge_cells, gi_star)


# --------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------

@dataclass
class Guardrails:
    """What the analyst must know before trusting the map.

    Attributes
    ----------
    messages : list of str
        Plain-English sentences, most serious first; shown next to the map and printed by
        the CLI.
    unreliable : bool
        True when the statistics cannot support the result (too few events or cells).
    events, nonzero_cells, study_cells : int
        Events (or firearms) analysed, cells with a value, cells in the study area.
    left_out_precision_records, left_out_precision_events : int
        Accepted records (and distinct events) too coarse for the resolution.
    unlocated_records : int
        Accepted records without a cell.
    outside_area_records : int
        Located records whose cell is outside the chosen study area.
    isolated_cells : int
        Cells with a value whose k-ring neighbours are all empty.
    cold_cells, cold_edge_cells : int
        Cold spot cells (bin < 0), and those of them on the study-area edge (:func:`edge_cells`).
    fdr : bool
        Whether the FDR correction was applied.
    area : str
        Description of the study area.
    too_sparse : bool
        Fewer than :data:`MIN_EVENTS` events or fewer than :data:`MIN_NONZERO_CELLS` cells with
        events: too sparse for any claim (implies ``unreliable``).
    method : str
        How the p-values were computed (``permutation``, ``normal``; ``poisson`` for emerging).
    permutations : int or None
        Number of permutations (``permutation`` only).
    seed : int or None
        Seed of the permutations.
    method_text : str
        One sentence naming the method and its sources (:func:`intel.inference.describe`).
    empty_map : str
        Why the map shows no hot or cold spot (e.g. "No cell is a significant hot or cold spot
        ..."), also in ``messages``; empty when the map shows some. Pages say it at the map,
        before the method text, so the analyst reads why the map is empty where it is empty.
    """

    messages: list[str] = field(default_factory=list)
    unreliable: bool = False
    events: int = 0
    nonzero_cells: int = 0
    study_cells: int = 0
    left_out_precision_records: int = 0
    left_out_precision_events: int = 0
    unlocated_records: int = 0
    outside_area_records: int = 0
    isolated_cells: int = 0
    cold_cells: int = 0
    cold_edge_cells: int = 0
    fdr: bool = True
    area: str = ""
    too_sparse: bool = False
    method: str = ""
    permutations: int | None = None
    seed: int | None = None
    method_text: str = ""
    empty_map: str = ""


def _where(res: int, filters: Filters | None, date_from, date_to) -> tuple[Filters, str, list]:
    filters = filters or Filters()
    if date_from is not None or date_to is not None:
        filters = replace(filters,
                          date_from=str(date_from) if date_from is not None else filters.date_from,
                          date_to=str(date_to) if date_to is not None else filters.date_to)
    where, params = filters.where("e")
    return filters, where, params


def located_events_sql(res: int, filters: Filters | None = None, date_from=None, date_to=None,
                       extra: str = "") -> tuple[str, list]:
    """SQL selecting usable located records at ``res`` with their parent cell.

    Returns a query (and its parameters) with columns ``cell`` (UBIGINT, parent at ``res``),
    ``incident_key``, ``firearms``, ``event_date`` and any ``extra`` select expressions:
    accepted records, ``h3_cell`` not null, location precision usable at ``res``.
    """
    _, where, params = _where(res, filters, date_from, date_to)
    where += f" AND e.h3_cell IS NOT NULL AND {usable_sql(res, 'e')}"
    sql = (f"SELECT {parent_sql('e.h3_cell', res)} AS cell, e.source, e.incident_key, e.incident_id, "
           f"e.incident_multi, e.firearms, e.event_date"
           f"{', ' + extra if extra else ''} FROM events e WHERE {where}")
    return sql, params


def record_accounting(con, res: int, filters: Filters | None = None, date_from=None,
                      date_to=None) -> dict:
    """Counts of accepted records usable, too coarse, and unlocated at ``res``.

    Returns
    -------
    dict
        ``usable_records``, ``coarse_records``, ``coarse_events``, ``unlocated_records``.
    """
    _, where, params = _where(res, filters, date_from, date_to)
    # per-record radius of uncertainty against the cell edge (intel.hexbin.usable_sql)
    usable = f"(e.h3_cell IS NOT NULL AND {usable_sql(res, 'e')})"
    coarse = coarse_sql(res, "e")
    row = con.execute(
        f"""SELECT
              count(*) FILTER (WHERE {usable}),
              count(*) FILTER (WHERE {coarse}),
              {events_sql("e.", coarse)},
              count(*) FILTER (WHERE NOT {usable} AND NOT {coarse})
            FROM events e WHERE {where}""",
        params,
    ).fetchone()
    return dict(usable_records=int(row[0]), coarse_records=int(row[1]), coarse_events=int(row[2]),
                unlocated_records=int(row[3]))


def cell_values(con, res: int, value: str = "events", filters: Filters | None = None,
                date_from=None, date_to=None) -> pd.DataFrame:
    """Value per occupied cell at ``res`` from the store.

    Parameters
    ----------
    value : {'events', 'firearms'}
        Distinct incidents (:func:`intel.store.events_sql`) or ``sum(firearms)`` per cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64), ``value`` (float), ``records`` (int); non-empty cells.
    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {VALUES}")
    res = check_resolution(res, "hotspot")
    sql, params = located_events_sql(res, filters, date_from, date_to)
    agg = events_sql() if value == "events" else "coalesce(sum(firearms), 0)"
    df = con.execute(f"SELECT cell, {agg}::DOUBLE AS value, count(*) AS records FROM ({sql}) GROUP BY cell "
                     "ORDER BY cell", params).df()
    df["cell"] = df["cell"].astype("uint64")
    return df


def occupied_countries(con, res: int, filters: Filters | None = None, date_from=None,
                       date_to=None) -> pd.DataFrame:
    """The records' countries per occupied cell at ``res`` (for the ``data`` study area).

    Returns
    -------
    pandas.DataFrame
        Columns ``cell`` (uint64) and ``iso3`` (str or None); one row per cell and country
        (a border cell holding records of two countries gives two rows).
    """
    sql, params = located_events_sql(res, filters, date_from, date_to, extra="e.country_iso3 AS iso3")
    df = con.execute(f"SELECT DISTINCT cell, iso3 FROM ({sql}) ORDER BY cell, iso3", params).df()
    df["cell"] = df["cell"].astype("uint64")
    df["iso3"] = df["iso3"].astype(object).where(df["iso3"].notna(), None)
    return df


def align(area_cells: np.ndarray, occ_cells: np.ndarray, occ_values: np.ndarray,
          occ_records: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Values on the study-area cells (zeros elsewhere) and the records that fall outside.

    Parameters
    ----------
    area_cells : array of uint64, shape (n,), sorted
    occ_cells, occ_values : arrays of shape (m,)
    occ_records : array of int, shape (m,), optional
        Records per occupied cell, used to count those outside the area.

    Returns
    -------
    (values, outside)
        Array of float shape (n,), and the number of records (or value) outside the area.
    """
    area_cells = as_cells(area_cells)
    occ_cells = as_cells(occ_cells)
    y = np.zeros(area_cells.size)
    if area_cells.size == 0:
        pos_c = np.zeros(occ_cells.size, dtype=np.int64)
        inside = np.zeros(occ_cells.size, dtype=bool)
    else:
        pos_c = np.minimum(np.searchsorted(area_cells, occ_cells), area_cells.size - 1)
        inside = area_cells[pos_c] == occ_cells
    np.add.at(y, pos_c[inside], np.asarray(occ_values, dtype="float64")[inside])
    weights = occ_records if occ_records is not None else occ_values
    outside = int(np.asarray(weights)[~inside].sum()) if occ_cells.size else 0
    return y, outside


def base_guardrails(acct: dict, res: int, y: np.ndarray, area: StudyArea, value: str,
                    fdr: bool, outside: int) -> Guardrails:
    """Guardrails common to hot spots and emerging hot spots (counts and coverage)."""
    g = Guardrails(fdr=bool(fdr), area=area.description)
    g.events = int(round(float(np.sum(y))))
    g.nonzero_cells = int(np.count_nonzero(y))
    g.study_cells = int(area.cells.size)
    g.left_out_precision_records = acct["coarse_records"]
    g.left_out_precision_events = acct["coarse_events"]
    g.unlocated_records = acct["unlocated_records"]
    g.outside_area_records = int(outside)
    unit = "events" if value == "events" else "firearms"
    if g.events < MIN_EVENTS or g.nonzero_cells < MIN_NONZERO_CELLS:
        g.unreliable = g.too_sparse = True
        g.messages.append(
            f"Only {g.events:,} {unit} in {g.nonzero_cells:,} cells (fewer than {MIN_EVENTS} {unit} or fewer than "
            f"{MIN_NONZERO_CELLS} cells with {unit}): too sparse for any claim; the statistics cannot support hot "
            "spot conclusions here, so read the map as a description only.")
    elif g.nonzero_cells < MIN_EVENTS:
        g.unreliable = True
        g.messages.append(
            f"Only {g.events:,} {unit} in {g.nonzero_cells:,} cells (fewer than {MIN_EVENTS} of either): "
            "the statistics cannot support hot spot conclusions here; read the map as a description only.")
    if g.left_out_precision_records:
        g.messages.append(
            f"{g.left_out_precision_records:,} records ({g.left_out_precision_events:,} events) were left out "
            f"because their location is too coarse for resolution {res}: their radius of location "
            f"uncertainty is larger than the {edge_km(res):,.1f} km cell edge.")
    if g.unlocated_records:
        g.messages.append(f"{g.unlocated_records:,} records have no map location and were left out.")
    if outside:
        g.messages.append(f"{outside:,} located records fall outside the study area and were left out.")
    if not fdr:
        g.messages.append("False discovery rate correction is off: with many cells tested, some cells "
                          "will look significant by chance alone.")
    return g


def method_guardrails(g: Guardrails, df: pd.DataFrame, n_tests: int) -> Guardrails:
    """Record the p-value method of a :func:`gi_star` table on ``g`` and warn about its floor.

    Sets ``method``, ``permutations``, ``seed`` and ``method_text`` from ``df.attrs`` and, with
    FDR on, appends :func:`intel.inference.fdr_floor_message` when ``n_tests`` cells times the
    smallest attainable p-value exceeds ``alpha``. Returns ``g``.
    """
    a = df.attrs
    g.method, g.permutations, g.seed = a.get("method", ""), a.get("permutations"), a.get("seed")
    g.method_text = a.get("method_text", "")
    if a.get("fdr") and g.method == "permutation":
        msg = fdr_floor_message(n_tests, g.method, g.permutations, float(a.get("alpha", 0.05)),
                                max_permutations=bounds("hotspot_permutations")[1])
        if msg:
            g.messages.append(msg)
    return g


def hotspots_from_store(con, res: int, k: int = 1, value: str = "events", fdr: bool = True,
                        alpha: float = 0.05, date_from=None, date_to=None,
                        filters: Filters | None = None, area: str = DEFAULT_AREA, area_codes=(),
                        max_cells: int = MAX_STUDY_CELLS, method: str = "permutation",
                        permutations: int = 9_999, seed: int | None = 12345,
                        bbox=None) -> tuple[pd.DataFrame, Guardrails]:
    """Gi* hot spots of the store's events over a study area.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution in the "hotspot" range of :data:`intel.config.RESOLUTIONS` (5-9); cells are
        parents of the stored cells (:func:`intel.h3cells.parent_sql`).
    k : int
        k-ring neighbourhood in cells.
    value : {'events', 'firearms'}
    fdr : bool
        Benjamini-Hochberg correction.
    alpha : float
        Significance level of the ``significant`` column.
    date_from, date_to : str or date, optional
        Half-open period [date_from, date_to) of UTC days; overrides ``filters``' dates.
    filters : intel.hexbin.Filters, optional
        Record filters; ``filters.sources`` limits the records (and so the ``data`` area) to
        some sources.
    area : {'data', 'extent', 'countries', 'admin1', 'bbox'}
        Study-area mode (:mod:`intel.studyarea`); ``data``, the default, is the land of the
        places with records, never a hull across an ocean.
    area_codes : sequence of str
        ISO3 codes or admin-1 ids for the polygon modes.
    max_cells : int
        Cap on the study-area size.
    method, permutations, seed
        p-values of :func:`gi_star`: ``permutation`` (default, 9,999 seeded conditional
        permutations) or ``normal``.
    bbox : (W, S, E, N), optional
        Degrees, for ``area='bbox'``.

    Returns
    -------
    (pandas.DataFrame, Guardrails)
        The :func:`gi_star` table (all study-area cells, sorted by ``z`` descending) and its
        guardrails, which name the method (``method_text``) and warn when the permutation
        floor keeps FDR from calling a small hot spot (:func:`intel.inference.fdr_floor_message`).
        ``attrs`` name the area used: ``area`` (sentence), ``area_mode``,
        ``area_cells``, ``area_res``; ``Guardrails.area`` and ``study_cells`` repeat them.

    Raises
    ------
    HotspotError
        No usable data, an impossible study area, or no variation to test.
    ValueError
        ``res`` outside the hotspot range (:func:`intel.config.check_resolution`).
    """
    res = check_resolution(res, "hotspot")
    occ = cell_values(con, res, value, filters, date_from, date_to)
    acct = record_accounting(con, res, filters, date_from, date_to)
    if occ.empty:
        msg = "There are no located events at this resolution for the chosen filters, so there are no hot spots to compute."
        if acct["coarse_records"]:
            msg += (f" {acct['coarse_records']:,} records were left out because their location is too coarse "
                    f"for resolution {res}" + ("; try a coarser resolution." if res > RESOLUTIONS["hotspot"][0]
                                               else ", the coarsest resolution offered here."))
        raise HotspotError(msg)
    occupied = occupied_countries(con, res, filters, date_from, date_to) if area == "data" else occ["cell"].to_numpy()
    sa = build_area(con, res, occupied, area, area_codes, max_cells, bbox=bbox, min_res=RESOLUTIONS["hotspot"][0])
    y, outside = align(sa.cells, occ["cell"].to_numpy(), occ["value"].to_numpy(), occ["records"].to_numpy())
    if not np.any(y > 0):
        raise HotspotError("None of the located events fall inside the chosen study area.")
    g = base_guardrails(acct, res, y, sa, value, fdr, outside)
    df = gi_star(sa.cells, y, k, fdr=fdr, alpha=alpha, method=method, permutations=permutations, seed=seed)
    method_guardrails(g, df, int(sa.cells.size))
    g.isolated_cells = int(df["isolated"].sum())
    if g.isolated_cells:
        g.messages.append(
            f"{g.isolated_cells:,} cells with {value} have only empty cells around them (k = {k}); "
            "their z-scores rest on their own count alone.")
    if df["z"].isna().any():
        g.messages.append(f"{int(df['z'].isna().sum()):,} cells have the whole study area as neighbourhood "
                          "and get no z-score; use " + ("a smaller k or " if k > bounds("hotspot_k")[0] else "")
                          + "a larger area.")
    n_sig = int((df["bin"] != 0).sum())
    if n_sig == 0:
        g.empty_map = "No cell is a significant hot or cold spot at 90% confidence or more."
        g.messages.append(g.empty_map)
    df["edge"] = edge_cells(sa.cells)
    g.cold_cells = int((df["bin"] < 0).sum())
    g.cold_edge_cells = int(((df["bin"] < 0) & df["edge"]).sum())
    note = cold_edge_note(df["bin"].to_numpy(), df["edge"].to_numpy())
    if note:
        g.messages.append(note)
    df.attrs.update(res=int(res), value=value, **sa.attrs())
    df = df.sort_values(["z", "value"], ascending=[False, False], na_position="last", kind="stable")
    return df.reset_index(drop=True), g
