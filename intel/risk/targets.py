"""Targets and the plan: a spaced, explained target list and the text that defends it.

:func:`select_targets` picks cells greedily by descending score, keeping only cells at least
``min_spacing_km`` (geodesic, WGS84) from every target already chosen. **No target without
evidence unless flagged** (as ArcGIS lists only features with data): by default a cell with no
event in the period is not a target, however high its border or corridor parts; asked for with
``neighbours=True`` it is kept and its ``evidence`` reads "neighbour of rank N" (the nearest
target with events). **Spacing meaningful at the resolution**: :func:`plan` raises a spacing
smaller than the width of a cell (:func:`cell_width_km`, the centre-to-centre distance of
neighbouring cells) to that width and says so in the notes, so two targets are never adjacent
cells. Every target carries its position as decimal degrees, DMS and MGRS (:mod:`intel.gridref`).

:func:`describe_targets` adds the nearest town and the official crossing of the cell's own border
with their distances (:func:`intel.borders.crossing_on_border`: none named beyond min(250 km, the
border's length + distance), a ``crossing_note`` instead; none either where the area has no land
border within reach and the border part is 0, :func:`no_border_note`). :func:`plan` runs the whole chain (scores, selection, description) and returns a
:class:`Plan` with the target table (:data:`TARGET_COLUMNS`), the scores, plain notes and
provenance (:func:`provenance_lines`); :func:`method_text` states the method in plain
sentences for the Planner page and the PDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from intel import settings, store
from intel.borders import crossing_on_border, official_crossings
from intel.geodesy import GEONAMES_NOTE, geod, nearest_towns
from intel.gridref import references
from intel.risk.areas import Area
from intel.risk.components import COMPONENTS, DEFAULT_WEIGHTS
from intel.risk.ranking import DEFAULT_RANKING, RANKING_PTS, target_scores
from intel.risk.records import iso_date
from intel.risk.scores import risk_scores

TARGET_COLUMNS = (["rank", "h3", "latitude", "longitude", "dms", "mgrs", "score"] + RANKING_PTS
                  + [f"{c}_pts" for c in COMPONENTS] + ["risk_score", "events", "evidence", "firearms", "recent", "gi_bin", "emerging_category", "border_km",
                     "nearest_town", "town_country", "town_population", "town_km",
                     "nearest_crossing", "crossing_source", "crossing_km", "crossing_note"] + list(COMPONENTS))
"""Columns of the target table (CSV export, ``intel targets``, the Planner page)."""


def select_targets(scores: pd.DataFrame, n: int, min_spacing_km: float, neighbours: bool = False) -> pd.DataFrame:
    """Greedy spaced target list; cells without events left out or flagged.

    Cells are taken in order of descending ``score`` (ties: ascending ``cell``, else ``h3``);
    a cell is kept when its score is positive and its centre (``latitude``, ``longitude``,
    degrees) lies at least ``min_spacing_km`` km (geodesic, WGS84) from every cell kept before,
    until ``n`` are kept.

    When ``scores`` has an ``events`` column (events in the period), a cell with 0 events is
    evidence of nothing by itself: by default it is not a candidate (their number is in
    ``attrs["no_evidence_left_out"]``); with ``neighbours=True`` it competes like any cell and
    its ``evidence`` column reads ``"neighbour of rank N (d km)"``, N the nearest kept target
    with events (geodesic km), or ``"no events in the period"`` when no target has any. Cells
    with events read ``"N events"``.

    Parameters
    ----------
    scores : pandas.DataFrame
        Needs ``score``, ``latitude``, ``longitude`` and ``cell`` or ``h3``.
    n : int
        Number of targets (>= 1).
    min_spacing_km : float
        Minimum geodesic distance between two targets, km (>= 0).
    neighbours : bool
        Keep cells with 0 events, flagged (default False: leave them out).

    Returns
    -------
    pandas.DataFrame
        The kept rows, best first, with ``rank`` 1..m first (m <= n when too few cells qualify),
        and ``evidence`` when ``scores`` has ``events``.

    Raises
    ------
    ValueError
        ``n`` < 1 or a negative or missing spacing.
    """
    n = int(n)
    if n < 1:
        raise ValueError("the number of targets must be at least 1")
    sp_km = float(min_spacing_km)
    if not sp_km >= 0:
        raise ValueError("the minimum spacing must be zero or a positive number of km")
    key = "cell" if "cell" in scores else "h3"
    has_ev = "events" in scores
    pos = scores[scores["score"] > 0]
    left_out = 0
    if has_ev and not neighbours:
        ev = pos["events"].fillna(0).to_numpy(float) > 0
        left_out = int((~ev).sum())
        pos = pos[ev]
    cand = pos.sort_values(["score", key], ascending=[False, True], kind="stable")
    lat, lon = cand["latitude"].to_numpy(float), cand["longitude"].to_numpy(float)
    g = geod()
    kept: list[int] = []
    for i in range(len(cand)):
        if kept and sp_km > 0:
            _, _, d = g.inv(np.full(len(kept), lon[i]), np.full(len(kept), lat[i]), lon[kept], lat[kept])
            if np.min(np.asarray(d)) / 1000.0 < sp_km:
                continue
        kept.append(i)
        if len(kept) >= n:
            break
    out = cand.iloc[kept].copy().reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    if has_ev:
        out["evidence"] = _evidence(out)
    out.attrs["no_evidence_left_out"] = left_out
    return out


def _evidence(t: pd.DataFrame) -> list[str]:
    """``"N events"``, or for a 0-event target the nearest target with events (geodesic km)."""
    ev = t["events"].fillna(0).to_numpy(float)
    lat, lon = t["latitude"].to_numpy(float), t["longitude"].to_numpy(float)
    has = np.flatnonzero(ev > 0)
    g = geod()
    out = []
    for i in range(len(t)):
        if ev[i] > 0:
            out.append(f"{int(ev[i])} event{'s' if ev[i] != 1 else ''}")
        elif not len(has):
            out.append("no events in the period")
        else:
            _, _, d = g.inv(np.full(len(has), lon[i]), np.full(len(has), lat[i]), lon[has], lat[has])
            j = int(np.argmin(d))
            out.append(f"neighbour of rank {int(t['rank'].iloc[has[j]])} ({float(np.asarray(d)[j]) / 1000:.1f} km)")
    return out


def cell_width_km(h3_cells, limit: int = 2000) -> float:
    """Edge-to-edge width of the widest of these H3 cells, geodesic km (WGS84).

    The width of a hexagon between opposite edges equals the distance between the centres of
    two neighbouring cells, so the width is measured as the largest geodesic distance from a
    cell's centre to the centres of its ring-1 neighbours, over the first ``limit`` cells
    given (pass them best first). A spacing at least this wide never lets two neighbouring
    cells both be targets. About 17.1 km at resolution 5, 2.4 km at 7, 0.9 km at 8 (H3's mean
    edge x sqrt(3)), a few per cent more or less with latitude.

    Parameters
    ----------
    h3_cells : sequence of str
        H3 cells as hex strings, one resolution.
    limit : int
        Cells measured at most.

    Returns
    -------
    float
        km; 0.0 when no cell is given.
    """
    import h3

    cells = list(h3_cells)[: int(limit)]
    a_lat, a_lon, b_lat, b_lon = [], [], [], []
    for c in cells:
        la, lo = h3.cell_to_latlng(c)
        for nb in h3.grid_ring(c, 1):
            nla, nlo = h3.cell_to_latlng(nb)
            a_lat.append(la), a_lon.append(lo), b_lat.append(nla), b_lon.append(nlo)
    if not a_lat:
        return 0.0
    _, _, d = geod().inv(np.asarray(a_lon), np.asarray(a_lat), np.asarray(b_lon), np.asarray(b_lat))
    return float(np.max(d)) / 1000.0


def spacing_for(res: int, min_spacing_km: float, h3_cells) -> tuple[float, str | None]:
    """The spacing to use at ``res`` and the note saying it was raised (or None).

    A spacing below :func:`cell_width_km` of ``h3_cells`` separates nothing at this resolution
    (two neighbouring cells would pass it): it is raised to that width, rounded up to 0.1 km.

    Returns
    -------
    (float, str or None)
        Spacing in km, and e.g. "Minimum spacing raised from 5 km to 17.3 km, the width of a
        resolution-5 cell here: ...".
    """
    width = cell_width_km(h3_cells)
    asked = float(min_spacing_km)
    if width <= 0 or asked >= width:
        return asked, None
    used = float(np.ceil(width * 10.0 - 1e-9) / 10.0)
    return used, (f"Minimum spacing raised from {asked:g} km to {used:g} km, the width of a resolution-{int(res)} "
                  f"cell here (the distance between the centres of neighbouring cells): a smaller spacing would "
                  "let two neighbouring cells both be targets.")


def describe_targets(con, targets: pd.DataFrame, crossings: pd.DataFrame | None = None,
                     border_zone_km: float | None = None) -> pd.DataFrame:
    """Add the nearest town and the official crossing of the target's own border (geodesic km).

    Parameters
    ----------
    con : DuckDB connection (for :func:`intel.borders.official_crossings`).
    targets : pandas.DataFrame
        :func:`select_targets` output (``latitude``, ``longitude`` of cell centres, degrees).
    crossings : pandas.DataFrame, optional
        Crossings to use (default: the store's official crossings, analysts' imports included,
        and CBP ports of entry).
    border_zone_km : float, optional
        Given when the area has **no land border within reach** (the border part of the score
        is 0 there, :mod:`intel.risk.reach`): the border zone in km. Then no crossing is named
        as the target's own (name, source and km empty) and ``crossing_note`` says that no land
        border lies within the zone, with the nearest official crossing and its distance for
        orientation, so the list does not pair a "crossing on own border" with a border part of 0.

    Returns
    -------
    pandas.DataFrame
        ``targets`` with ``dms`` and ``mgrs`` (:mod:`intel.gridref`), ``nearest_town``, ``town_country``, ``town_population``, ``town_km``,
        ``nearest_crossing``, ``crossing_source``, ``crossing_km`` and ``crossing_note``. The
        crossing follows :func:`intel.borders.crossing_on_border`: only a crossing on the
        cell's own border (the pair of its nearest border stretch) within min(250 km, that
        border's length + the cell's distance to it) is named; otherwise name, source and km are
        empty and ``crossing_note`` says "no official crossing known on this border (AAA-BBB)".
    """
    out = targets.copy().reset_index(drop=True)
    lat, lon = out["latitude"].to_numpy(float), out["longitude"].to_numpy(float)
    refs = references(lat, lon)
    out["dms"], out["mgrs"] = refs["dms"].to_numpy(object), refs["mgrs"].to_numpy(object)
    t = nearest_towns(lat, lon)
    for c in t.columns:
        out[c] = t[c].to_numpy()
    if crossings is None:
        crossings = official_crossings(con)
    cb = crossing_on_border(lat, lon, crossings)
    out["nearest_crossing"] = cb["crossing_name"].to_numpy(object)
    out["crossing_source"] = cb["crossing_source"].to_numpy(object)
    out["crossing_km"] = cb["crossing_km"].to_numpy(float)
    out["crossing_note"] = cb["crossing_note"].to_numpy(object)
    if border_zone_km is not None and len(out):
        out["crossing_note"] = [no_border_note(border_zone_km, n, k) for n, k in
                                zip(out["nearest_crossing"], out["crossing_km"])]
        out["nearest_crossing"], out["crossing_source"], out["crossing_km"] = None, None, np.nan
    return out


def no_border_note(zone_km: float, name=None, km=None) -> str:
    """Crossing note of a target in an area with no land border within reach (border part 0).

    ``"no land border within the 50 km border zone (border part 0); nearest official crossing:
    Buffalo Field Office, 109 km"``; the second half only when a crossing (``name``, ``km`` in
    km) is known.
    """
    txt = f"no land border within the {float(zone_km):g} km border zone (border part 0)"
    if name is not None and str(name) != "" and km is not None and np.isfinite(float(km)):
        txt += f"; nearest official crossing: {name}, {float(km):,.0f} km"
    return txt


@dataclass
class Plan:
    """A target list with everything needed to defend it.

    Attributes
    ----------
    targets : pandas.DataFrame
        :data:`TARGET_COLUMNS` (plus ``cell``), rank 1 first.
    scores : pandas.DataFrame
        :func:`risk_scores` of every study-area cell.
    area : Area or None
    res : int
    n : int
        Targets asked for.
    min_spacing_km : float
    notes : list of str
        Plain sentences (left-out records, spacing shortfall, indicative positions).
    provenance : list of str
        Sources, licences and period, for the page and the PDF.
    """

    targets: pd.DataFrame
    scores: pd.DataFrame
    area: Area | None
    res: int
    n: int
    min_spacing_km: float
    notes: list = field(default_factory=list)
    provenance: list = field(default_factory=list)

    @property
    def weights(self) -> dict:
        return self.scores.attrs.get("weights", dict(DEFAULT_WEIGHTS))

    @property
    def period(self) -> tuple[str, str]:
        return self.scores.attrs.get("date_from"), self.scores.attrs.get("date_to")

    def title(self) -> str:
        return f"Target list: {self.area.describe() if self.area else 'land of the places with records'}"


def provenance_lines(con, res: int | None = None) -> list[str]:
    """The store snapshot read (:func:`intel.store.snapshot_label`), sources of the store (batches),
    reference data and licences, one sentence each."""
    lines = []
    try:
        snap = store.snapshot_id(con)
        lines.append(f"Read from: {store.EMBEDDED_SNAPSHOT}." if snap is None else
                     f"Read from: DuckLake snapshot {snap} (reproduce with intel targets --as-of {snap}).")
    except Exception:  # noqa: BLE001 - a store that cannot say: the other lines still stand
        pass
    try:
        b = con.execute("""SELECT b.source, b.file_name, strftime(b.imported_at, '%Y-%m-%d') AS d, b.rows_accepted,
                                  min(e.event_date) AS lo, max(e.event_date) AS hi
                           FROM batches b LEFT JOIN events e ON e.batch_id = b.batch_id AND e.status = 'accepted'
                           GROUP BY ALL ORDER BY b.source""").fetchall()
        for src, fn, d, acc, lo, hi in b:
            # a batch of counts per area (e.g. Rio de Janeiro's precincts) holds no dated record
            dates = (f"dates {iso_date(lo)} to {iso_date(hi)}" if lo is not None else
                     "no dated record (counts per area or no accepted record: not on the maps or in the ranking)")
            lines.append(f"{src}: {fn}, imported {d}, {int(acc or 0):,} rows accepted, {dates}.")
    except Exception:  # noqa: BLE001
        pass
    lines += [
        "Borders and basemap: Natural Earth 1:10m (public domain).",
        "Official crossings: UN/LOCODE 2012-1 border-crossing entries (UNECE) and CBP Office of Field Operations "
        "field offices standing for their ports of entry (town-level positions).",
        GEONAMES_NOTE,
        "Country statistics: UNODC Illicit Arms Flows Questionnaire (cite UNODC as the source).",
        "Toronto incidents: Open Government Licence - Toronto; CBP seizures and ATF traces: U.S. federal works, "
        "public domain (ATF traces are not a random sample of crime guns).",
    ]
    return lines


def plan(con, res: int, area: Area | None = None, period=(None, None), n: int | None = None,
         min_spacing_km: float | None = None, weights: dict | None = None, neighbours: bool = False,
         ranking: str = DEFAULT_RANKING, **kwargs) -> Plan:
    """Score the area and pick a spaced, explained target list (page and CLI entry point).

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution.
    area : Area, optional
    period : (date_from, date_to)
        Half-open period of UTC days.
    n : int, optional
        Number of targets (default setting ``planner_targets``).
    min_spacing_km : float, optional
        Minimum spacing in km (default setting ``planner_min_spacing_km``); raised to the
        width of a cell at ``res`` when smaller (:func:`spacing_for`, said in the notes).
    weights : dict, optional
    neighbours : bool
        Keep targets with 0 events, flagged "neighbour of rank N" (default: left out, counted
        in the notes); see :func:`select_targets`.
    ranking : {'fitted', 'risk score'}
        How the cells are ranked (:func:`intel.risk.ranking.target_scores`): ``fitted``
        (default) chooses among counts, decayed counts, kernel density, the risk score and tie
        blends on the last year of ``period`` (no record after its end is read); ``risk score``
        uses the weighted score. The first note says which was used and why.
    **kwargs
        Passed to :func:`risk_scores`.

    Returns
    -------
    Plan

    Raises
    ------
    NoPointData, TooCoarse, RiskError
        As :func:`risk_scores`.
    """
    n = int(n if n is not None else settings.get("planner_targets", con))
    min_spacing_km = float(min_spacing_km if min_spacing_km is not None else settings.get("planner_min_spacing_km", con))
    cx = kwargs.pop("crossings", None)
    if cx is None:
        cx = official_crossings(con)
    scores = risk_scores(con, res, area, period, weights, crossings=cx, **kwargs)
    scores = target_scores(con, res, area, scores, ranking, weights, crossings=cx,
                           **{k: v for k, v in kwargs.items() if k != "study_cells"})
    pos = scores[scores["score"] > 0].sort_values("score", ascending=False, kind="stable")
    min_spacing_km, raised = spacing_for(res, min_spacing_km, pos["h3"])
    picked = select_targets(scores, n, min_spacing_km, neighbours=neighbours)
    # no land border within reach: the crossing column must not suggest one (border part 0)
    no_border = "border" in scores.attrs.get("not_applicable", {})
    targets = describe_targets(con, picked, cx, scores.attrs.get("zone_km") if no_border else None)
    targets = targets[["cell"] + TARGET_COLUMNS]
    notes = [scores.attrs["ranking_sentence"]] + list(scores.attrs.get("notes", []))
    if raised:
        notes.append(raised)
    dropped = picked.attrs.get("no_evidence_left_out", 0)
    if dropped:
        notes.append(f"{dropped:,} cells with a positive score but no event in the period (scored only on parts "
                     "that reach beyond a cell's own events: kernel density, Gi* neighbours, border, corridor or links) were not made targets: no target without evidence. Ask for neighbours to list them, flagged 'neighbour of rank N'.")
    flagged = int(targets["evidence"].astype(str).str.startswith("neighbour").sum())
    if flagged:
        notes.append(f"{flagged} targets have no event in the period; their evidence column names the nearest target "
                     "with events ('neighbour of rank N').")
    if len(targets) < n:
        notes.append(f"Only {len(targets)} of the {n} targets asked for could be placed: fewer cells have a positive "
                     f"score at least {min_spacing_km:g} km apart.")
    a = scores.attrs
    lines = [f"Period {a['date_from']} to {a['date_to']} (half-open), H3 resolution {res}, "
             f"{a['used_events']:,} events from {a['used_records']:,} usable records; study area: {a['area']}."]
    lines += provenance_lines(con, res)
    return Plan(targets.reset_index(drop=True), scores, area, int(res), n, min_spacing_km, notes, lines)


def method_text(p: Plan) -> list[str]:
    """The method in plain sentences, for the PDF and the page."""
    a = p.scores.attrs
    w = p.weights
    tot = sum(w.values())
    if a.get("ranking") == "fitted":
        head = [
            a.get("ranking_sentence", ""),
            "Fitted ranking: the candidates (previous-period counts; counts with their ties broken by kernel density "
            "at half or at the default bandwidth, or by decayed counts; counts shrunk half-way toward decayed counts; decayed counts, half-lives 365, 730 and "
            "1460 days; Gaussian kernel density at 0.5, 1 and 2 times the default bandwidth) are built, for each of "
            "the period's last three years, from the days before that year and scored on it (mean hit rate at 1, 5 "
            "and 10 % of the area); previous-period counts stay unless a candidate gains more than one standard "
            "error (pooled over the years, clustered by cell) and falls behind them in none of the years; of the "
            "candidates within one standard error of the best, the simplest is taken and refitted on the whole "
            "period. No record after the period's end is read.",
            "The target score is the chosen ranking divided by its largest value (best cell 1); counts_pts, "
            "decayed_pts, density_pts and the seven component parts (the risk score's share in the ranking, 0 when "
            "it takes no part) add up to it. risk_score is the weighted risk score, whose components follow.",
        ]
    else:
        head = [a.get("ranking_sentence", "Ranked by the weighted risk score.")]
    lines = head + [
        f"Risk score: each H3 cell (resolution {p.res}) of the area gets seven components in [0, 1]; the risk score is "
        "their weighted mean, and its parts add up to it.",
        f"intensity (weight {w['intensity'] / tot:.2f}): distinct incidents in the period, each counted "
        f"0.5 ** (age / {a.get('half_life_days', 180):g} days) from the period's end, then log1p(x) / log1p(max).",
        f"hotspot ({w['hotspot'] / tot:.2f}): Getis-Ord Gi* (Getis & Ord 1992), k = {a.get('k', 1)}, "
        f"{'Benjamini-Hochberg FDR' if a.get('fdr', True) else 'no FDR'}: 99 % hot spot = 1, 95 % = 2/3, 90 % = 1/3.",
        f"emerging ({w['emerging'] / tot:.2f}): ESRI emerging hot spot category on monthly steps "
        "(New, Intensifying 1; Consecutive 0.9; Persistent 0.75; Sporadic, Oscillating 0.5; Diminishing 0.4; "
        "Historical 0.25).",
        f"border ({w['border'] / tot:.2f}): 1 - distance to the nearest land border / {a.get('zone_km', 50):g} km, "
        "floored at 0 (geodesic km, Natural Earth borders).",
        f"corridor ({w['corridor'] / tot:.2f}): weight of flows whose great circle crosses the cell's parent at "
        f"resolution {a.get('corridor_res', 5)}, log-scaled.",
        f"bypass ({w['bypass'] / tot:.2f}): border-zone events more than {a.get('bypass_min_km', 10):g} km from any "
        "official crossing, log-scaled.",
        f"links ({w['links'] / tot:.2f}): ends of re-seizure links (one serial seized twice), log-scaled.",
        f"Targets: the highest-scoring cells, each at least {p.min_spacing_km:g} km (geodesic) from every target "
        "before it (never less than the width of a cell at the resolution), each with at least one event in the period "
        "unless flagged 'neighbour of rank N'; positions as decimal degrees, DMS and MGRS; nearest town from GeoNames (population >= 15,000); the nearest official crossing on the cell's own "
        "border (the country pair of its nearest border stretch), named only within min(250 km, that border's length "
        "+ the cell's distance to it), otherwise the note 'no official crossing known on this border'; where no "
        "land border is within reach (border part 0) none is named and the note says so, with the nearest "
        "official crossing's distance.",
        "Only records located finely enough for the resolution are used; the others are counted and reported.",
    ]
    return lines
