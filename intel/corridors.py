"""Route corridors: origin-destination flows, great-circle corridor density on H3, exports.

Tracing tells where a firearm left the legal market and where it was recovered; a flow is
one such origin-destination pair with a weight (firearms) and a half-open period
``[period_start, period_end)``. This module

1. loads the ATF source-to-recovery tables into the store's ``flows`` table
   (:func:`load_atf_flows`), and assembles every flow an analysis can use
   (:func:`query_flows`): stored flows (ATF ``source-recovery``, imported ``trace`` results,
   any ``od`` table loaded with :func:`insert_flows`), flows derived on the fly from
   events with both ``origin_iso3`` and ``destination_iso3`` (:func:`event_flows`), and
   re-seizure flows, one per link between two seizures of the same serial key
   (:func:`reseizure_flows`, links from :mod:`intel.links`);
2. lays each flow along its great circle onto H3 cells (:func:`flow_cells`) and sums the
   weights of the flows passing through each cell (:func:`corridor_density`), ranks cells,
   and ranks origin-destination pairs with their change between two periods
   (:func:`rank_pairs`);
3. builds the pydeck layers for directional rendering (arcs coloured source -> target,
   chevrons pointing in the direction of travel, corridor cells) and the exports
   (GeoJSON lines split at the antimeridian, CSV).

Coordinates are WGS84 degrees (EPSG:4326) on a sphere of radius :data:`EARTH_RADIUS_KM`;
distances are great-circle km. GeoJSON output is [longitude, latitude].

Great circles and the 180th meridian
-----------------------------------
Points along a great circle are computed in 3-D unit vectors, ``P(f) = cos(f d) A +
sin(f d) U`` with ``U`` the unit tangent at ``A`` towards ``B`` and ``d`` the central angle
(the intermediate-point formula of Ed Williams' *Aviation Formulary*, written in
vectors). Longitudes come back from ``atan2`` in (-180, 180], so a path from 179.5 E to
179.5 W simply steps across the meridian: each point is binned to its own H3 cell and no
planar segment ever spans the globe. Exports split such a path into a MultiLineString at
+-180 (:func:`split_antimeridian`).

Cells of a flow (two methods)
-----------------------------
``"path"`` (default, fast)
    Vertices every ``min(16 edge, 250 km)`` (60 km at res 6) along the great circle become an H3 line
    (h3o ``LineString`` -> cells through h3ronpy ``wkb_to_cells``: the cell of each
    vertex joined by H3 grid paths). The result is a connected chain of cells, one cell
    wide, the H3 notion of a "line". Where H3 cannot draw a grid path (pentagon
    distortion) the flow falls back to ``"sample"``. A chain cell can sit next to the great
    circle rather than on it (grid paths round in H3 IJ coordinates), never further than one
    cell away.
``"sample"``
    Points every ``0.45 * edge`` (less than half the mean edge length at ``res``) along the
    great circle, each binned with ``coordinates_to_cells``. This finds nearly every cell the
    path touches, including corners that a one-cell-wide chain skips (about 20-25 % more
    cells than ``"path"``), and is several times slower.
Either way a flow counts **once** per cell (pairs (flow, cell) are de-duplicated), and
flows sharing the same end points are laid out once and weighted together.

Two processes for large inputs
------------------------------
Laying paths out is single-threaded h3o work (about 0.25 s per million cells). Above
:data:`POOL_MIN_PATHS` distinct paths and :data:`POOL_MIN_PAIRS` estimated (path, cell) pairs
(100,000 random U.S. flows: 34 million pairs), :func:`flow_cells` and :func:`corridor_density`
split the paths into two consecutive parts: this process lays out the first while a fresh
Python process (``sys.executable``) lays out the second; the cells come back through a file
and the parts are joined in order, so the result is the same arrays, bit for bit, as in one
process (``workers=1``; ``workers=2`` forces the split). The per-cell sums bin cell ids
directly (no hash table) and run in pair order, so the floating-point sums equal those of a
``pandas.factorize`` + ``numpy.bincount`` pass.

ATF data
--------
Source: ATF Firearms Trace Data, "Firearms recovered and traced in the United States and
territories", source state by recovery state, calendar years 2010-2020 (U.S. federal
government work, public domain). ATF notes that traces are not a random sample of crime
guns: a flow is the traced share of recoveries only. Rows ``Total`` (either side) are
sums and are skipped; rows with 0 firearms carry no flow and are skipped; the counts of
skipped rows and the reasons are returned by :func:`read_atf_flows` and written to the audit
log by :func:`load_atf_flows`. Canada appears as a *recovery* place in 2012 only; it is
kept, coded ``CAN`` (ISO 3166-1 alpha-3) at the representative point of Canada.

State positions
---------------
Each U.S. state, the District of Columbia and each territory is placed at the
``representative_point`` (shapely: a point guaranteed inside the polygon) of its Natural
Earth 1:10m admin-1 polygon (layer ``states_provinces`` of
``data/sources/boundaries/ne_10m_generalised_world_map.gpkg``; territories are the union of
their island polygons, e.g. Saint Croix, Saint John and Saint Thomas for the Virgin
Islands). A representative point, not a population-weighted centre: the bundled data has no
population grid, and the point is only the end of a state-level flow. USPS codes are
hard-coded in :data:`USPS` (USPS Publication 28, Appendix B).
"""
from __future__ import annotations

import html

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""

REPO = Path(__file__).resolve().parent.parent
GPKG = REPO / "data" / "sources" / "boundaries" / "ne_10m_generalised_world_map.gpkg"
ATF_CSV = REPO / "data" / "sources" / "flows" / "atf_source_recovery_by_state_2010_2020.csv"
ATF_SOURCE = "atf_trace_source_recovery"

USPS: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR",
    "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD",
    "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    # territories
    "Puerto Rico": "PR", "Guam": "GU", "Virgin Islands": "VI", "American Samoa": "AS",
    "Northern Mariana Islands": "MP",
}
"""USPS two-letter codes of the 50 states, DC and the five inhabited territories, by name."""

TERRITORY_ADM0 = {"PR": "PRI", "GU": "GUM", "VI": "VIR", "AS": "ASM", "MP": "MNP"}
"""Natural Earth ``adm0_a3`` of each territory (its admin-1 polygons are unioned)."""

COUNTRY_PLACES = {"Canada": "CAN"}
"""ATF place names that are countries, coded ISO 3166-1 alpha-3."""

FLOW_COLUMNS = [
    "flow_id", "source", "flow_type", "origin", "origin_name", "origin_lat", "origin_lon",
    "destination", "destination_name", "destination_lat", "destination_lon", "weight",
    "period_start", "period_end",
]
"""Columns of every flow table this module returns (dates as ``datetime64``)."""

SOURCE_COLOR = [0, 140, 255, 210]
TARGET_COLOR = [225, 30, 45, 230]


# --------------------------------------------------------------------------- positions
@functools.lru_cache(maxsize=4)
def state_points(gpkg: str | None = None) -> pd.DataFrame:
    """Representative points of U.S. states, DC and territories (see module notes).

    Parameters
    ----------
    gpkg : str, optional
        Natural Earth GeoPackage; default :data:`GPKG`.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (USPS), ``name``, ``latitude``, ``longitude`` (WGS84 degrees); one
        row per code found in the layer (American Samoa and the Northern Mariana Islands are
        included when present).

    Raises
    ------
    FileNotFoundError
        When the GeoPackage is missing.
    """
    import geopandas as gpd
    import shapely

    path = Path(gpkg or GPKG)
    if not path.exists():
        raise FileNotFoundError(f"boundary file {path} not found")
    adm0 = ["USA", *TERRITORY_ADM0.values()]
    g = gpd.read_file(path, layer="states_provinces", columns=["adm0_a3", "name"],
                      where="adm0_a3 IN (%s)" % ", ".join(f"'{a}'" for a in adm0))
    rows = []
    names = {v: k for k, v in USPS.items()}
    for code, name in names.items():
        if code in TERRITORY_ADM0:
            part = g[g["adm0_a3"] == TERRITORY_ADM0[code]]
        else:
            part = g[(g["adm0_a3"] == "USA") & (g["name"] == name)]
        if part.empty:
            continue
        pt = shapely.union_all(part.geometry.values).representative_point()
        rows.append((code, name, float(pt.y), float(pt.x)))
    return pd.DataFrame(rows, columns=["code", "name", "latitude", "longitude"])


@functools.lru_cache(maxsize=4)
def _gpkg_country_points(gpkg: str | None = None) -> pd.DataFrame:
    import geopandas as gpd

    path = Path(gpkg or GPKG)
    g = gpd.read_file(path, layer="countries", columns=["ISO_A3", "NAME"])
    g = g[g["ISO_A3"].str.len() == 3]
    g = g[g["ISO_A3"] != "-99"]
    pts = g.geometry.representative_point()
    return pd.DataFrame({"iso3": g["ISO_A3"].values, "name": g["NAME"].values,
                         "latitude": pts.y.values, "longitude": pts.x.values}).drop_duplicates("iso3")


def country_points(con=None, gpkg: str | None = None) -> pd.DataFrame:
    """Representative points of countries, by ISO3.

    Uses the store's ``countries`` table (geometry WKB, EPSG:4326) when it has rows, else the
    ``countries`` layer of the Natural Earth GeoPackage (features without an ISO3 code,
    ``-99``, are left out there).

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``name``, ``latitude``, ``longitude`` (WGS84 degrees).
    """
    if con is not None:
        try:
            df = con.execute(
                "SELECT iso3, name, geom_wkb FROM countries WHERE geom_wkb IS NOT NULL").df()
        except Exception:
            df = pd.DataFrame()
        if len(df):
            import shapely

            geoms = shapely.from_wkb(df["geom_wkb"].map(bytes).tolist())
            pts = shapely.point_on_surface(geoms)
            return pd.DataFrame({"iso3": df["iso3"], "name": df["name"],
                                 "latitude": shapely.get_y(pts), "longitude": shapely.get_x(pts)})
    return _gpkg_country_points(str(gpkg) if gpkg else None).copy()


# --------------------------------------------------------------------------- ATF loading
@dataclass
class AtfRead:
    """Result of :func:`read_atf_flows`: the flows and what was skipped and why."""

    flows: pd.DataFrame
    rows_read: int
    skipped: dict[str, int] = field(default_factory=dict)


def read_atf_flows(path: str | Path = ATF_CSV, gpkg: str | None = None) -> AtfRead:
    """Read the ATF source-to-recovery table as flows (source state -> recovery state).

    Parameters
    ----------
    path : path
        CSV with columns ``Recovery_State``, ``Source_State``, ``Guns_Recovered``, ``Year``.
    gpkg : str, optional
        Natural Earth GeoPackage for the state positions.

    Returns
    -------
    AtfRead
        ``flows`` has :data:`FLOW_COLUMNS` except ``flow_id``; ``flow_type`` is
        ``source-recovery``, ``origin`` the USPS code of the source (first retail sale)
        state, ``destination`` that of the recovery state, ``weight`` firearms recovered,
        ``period_start`` 1 January of ``Year`` and ``period_end`` 1 January of the next year.
        ``skipped`` counts rows left out: ``total row`` (a ``Total`` on either side),
        ``zero firearms``, ``unknown place`` (a name with no code or no position),
        ``unreadable number``.

    Raises
    ------
    FileNotFoundError, KeyError
        Missing file, or a missing column.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = ["Recovery_State", "Source_State", "Guns_Recovered", "Year"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise KeyError(f"ATF file {path} lacks column(s) {', '.join(missing)}")
    n = len(raw)
    rec = raw["Recovery_State"].str.strip()
    src = raw["Source_State"].str.strip()
    weight = pd.to_numeric(raw["Guns_Recovered"].str.replace(",", "", regex=False), errors="coerce")
    year = pd.to_numeric(raw["Year"], errors="coerce")
    skipped: dict[str, int] = {}
    total = (rec.str.lower() == "total") | (src.str.lower() == "total")
    bad = ~total & (weight.isna() | year.isna())
    zero = ~total & ~bad & (weight <= 0)
    pts = state_points(gpkg)
    pos = {r.name: (r.code, r.latitude, r.longitude) for r in pts.itertuples()}
    if any(p in set(rec) | set(src) for p in COUNTRY_PLACES):
        cp = _gpkg_country_points(gpkg).set_index("iso3")
        for name, iso in COUNTRY_PLACES.items():
            if iso in cp.index:
                pos[name] = (iso, float(cp.at[iso, "latitude"]), float(cp.at[iso, "longitude"]))
    known = rec.isin(list(pos)) & src.isin(list(pos))
    unknown = ~total & ~bad & ~zero & ~known
    for reason, mask in (("total row", total), ("unreadable number", bad), ("zero firearms", zero),
                         ("unknown place", unknown)):
        if int(mask.sum()):
            skipped[reason] = int(mask.sum())
    keep = ~(total | bad | zero | unknown)
    o = src[keep].map(pos)
    d = rec[keep].map(pos)
    y = year[keep].astype(int)
    flows = pd.DataFrame({
        "source": ATF_SOURCE,
        "flow_type": "source-recovery",
        "origin": [p[0] for p in o], "origin_name": src[keep].values,
        "origin_lat": [p[1] for p in o], "origin_lon": [p[2] for p in o],
        "destination": [p[0] for p in d], "destination_name": rec[keep].values,
        "destination_lat": [p[1] for p in d], "destination_lon": [p[2] for p in d],
        "weight": weight[keep].astype(float).values,
        "period_start": pd.to_datetime(y.astype(str) + "-01-01").values,
        "period_end": pd.to_datetime((y + 1).astype(str) + "-01-01").values,
    })
    return AtfRead(flows.reset_index(drop=True), n, skipped)


def insert_flows(con, flows: pd.DataFrame, batch_id: int | None = None) -> int:
    """Append flows to the store's ``flows`` table (no transaction of its own).

    Use it for imported trace results (``flow_type='trace'``: point of diversion -> place of
    recovery) or any origin-destination table (``'od'``).

    Parameters
    ----------
    con : duckdb connection (writable).
    flows : pandas.DataFrame
        :data:`FLOW_COLUMNS` without ``flow_id`` (ids are assigned after the largest stored).
    batch_id : int, optional

    Returns
    -------
    int
        Rows inserted.
    """
    if flows is None or len(flows) == 0:
        return 0
    df = flows[[c for c in FLOW_COLUMNS if c != "flow_id"]].copy()
    df["batch_id"] = batch_id
    df["batch_id"] = df["batch_id"].astype("Int32")
    name = "_intel_corridors_insert"
    con.register(name, df)
    try:
        start = con.execute("SELECT coalesce(max(flow_id), 0) FROM flows").fetchone()[0]
        con.execute(
            f"""INSERT INTO flows (flow_id, source, flow_type, origin, origin_name, origin_lat, origin_lon,
                    destination, destination_name, destination_lat, destination_lon, weight,
                    period_start, period_end, batch_id)
                SELECT ? + row_number() OVER (), source, flow_type, origin, origin_name, origin_lat, origin_lon,
                    destination, destination_name, destination_lat, destination_lon, weight,
                    CAST(period_start AS DATE), CAST(period_end AS DATE), batch_id
                FROM {name}""",
            [int(start)],
        )
    finally:
        con.unregister(name)
    return len(df)


def load_atf_flows(con, path: str | Path = ATF_CSV, batch_id: int | None = None) -> int:
    """Load the ATF source-to-recovery table into ``flows`` (see :func:`read_atf_flows`).

    Runs inside the caller's transaction (opens none). Rows already stored for this source
    are not removed: the caller rebuilding a store starts from an empty one. The skipped
    counts go to the audit log (action ``flows.atf``).

    Parameters
    ----------
    con : duckdb connection (writable) to the store.
    path : path
        The ATF CSV (default the bundled file).
    batch_id : int, optional
        Batch recorded on every row.

    Returns
    -------
    int
        Rows inserted.
    """
    from intel.store import audit

    read = read_atf_flows(path)
    n = insert_flows(con, read.flows, batch_id)
    load_atf_flows.last_read = read  # type: ignore[attr-defined]
    audit(con, "flows.atf", {"file": Path(path).name, "rows_read": read.rows_read,
                             "rows_inserted": n, "skipped": read.skipped, "batch_id": batch_id})
    return n


# --------------------------------------------------------------------------- flows from the store
def _period_clause(date_from, date_to, start="period_start", end="period_end") -> tuple[str, list]:
    parts, params = [], []
    if date_from is not None:
        parts.append(f"{end} > CAST(? AS DATE)")
        params.append(str(date_from))
    if date_to is not None:
        parts.append(f"{start} < CAST(? AS DATE)")
        params.append(str(date_to))
    return (" AND ".join(parts) or "TRUE"), params


def stored_flows(con, date_from=None, date_to=None, flow_types=None) -> pd.DataFrame:
    """Flows of the ``flows`` table overlapping the half-open period ``[date_from, date_to)``.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`.
    """
    where, params = _period_clause(date_from, date_to)
    if flow_types:
        where += f" AND flow_type IN ({', '.join('?' for _ in flow_types)})"
        params += list(flow_types)
    return con.execute(
        f"SELECT {', '.join(FLOW_COLUMNS)} FROM flows WHERE {where} ORDER BY flow_id", params).df()


def event_flows(con, date_from=None, date_to=None) -> pd.DataFrame:
    """Country-to-country flows from accepted events with both ``origin_iso3`` and ``destination_iso3``.

    One flow per (origin, destination, calendar year); ``weight`` is the number of
    firearms (``sum(firearms)``), or the number of distinct incidents when no firearm count
    is recorded. Positions are country representative points (:func:`country_points`);
    pairs whose country has no position are left out. ``flow_type`` is ``od``, ``source``
    ``events:<dataset>``; ``flow_id`` is negative (not stored).

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`.
    """
    parts = ["status = 'accepted'", "origin_iso3 IS NOT NULL", "destination_iso3 IS NOT NULL",
             "event_date IS NOT NULL"]
    params: list = []
    if date_from is not None:
        parts.append("event_date >= CAST(? AS DATE)")
        params.append(str(date_from))
    if date_to is not None:
        parts.append("event_date < CAST(? AS DATE)")
        params.append(str(date_to))
    df = con.execute(
        f"""SELECT 'events:' || source AS source, origin_iso3 AS origin, destination_iso3 AS destination,
                   year(event_date) AS yr,
                   coalesce(nullif(sum(coalesce(firearms, 0)), 0), count(DISTINCT incident_key)) AS weight
            FROM events WHERE {' AND '.join(parts)}
            GROUP BY ALL ORDER BY ALL""", params).df()
    if df.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    cp = country_points(con).set_index("iso3")
    df = df[df["origin"].isin(cp.index) & df["destination"].isin(cp.index)].reset_index(drop=True)
    if df.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    out = pd.DataFrame({
        "flow_id": -(np.arange(len(df)) + 1),
        "source": df["source"], "flow_type": "od",
        "origin": df["origin"], "origin_name": cp.loc[df["origin"], "name"].values,
        "origin_lat": cp.loc[df["origin"], "latitude"].values, "origin_lon": cp.loc[df["origin"], "longitude"].values,
        "destination": df["destination"], "destination_name": cp.loc[df["destination"], "name"].values,
        "destination_lat": cp.loc[df["destination"], "latitude"].values,
        "destination_lon": cp.loc[df["destination"], "longitude"].values,
        "weight": df["weight"].astype(float),
        "period_start": pd.to_datetime(df["yr"].astype(int).astype(str) + "-01-01"),
        "period_end": pd.to_datetime((df["yr"].astype(int) + 1).astype(str) + "-01-01"),
    })
    return out[FLOW_COLUMNS]


def reseizure_flows(con, date_from=None, date_to=None) -> pd.DataFrame:
    """One flow per re-seizure link: earlier seizure place -> later seizure place, weight 1.

    Links come from :func:`intel.links.seizure_links` (same serial key in two incidents
    at two places; the records are linked, never merged). Links without coordinates on
    both ends are left out. The period is the day of the later seizure.

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`; ``flow_type`` ``re-seizure``; ``origin``/``destination`` are
        incident keys; ``flow_id`` negative (not stored).
    """
    from intel.links import seizure_links

    links = seizure_links(con, date_from=date_from, date_to=date_to)
    links = links.dropna(subset=["lat_a", "lon_a", "lat_b", "lon_b"])
    if links.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    day = pd.to_datetime(links["date_b"])
    out = pd.DataFrame({
        "flow_id": -(np.arange(len(links)) + 1_000_000_001),
        "source": "re-seizure:" + links["source_b"].astype(str),
        "flow_type": "re-seizure",
        "origin": links["incident_a"].values, "origin_name": links["place_a"].fillna("(unnamed)").values,
        "origin_lat": links["lat_a"].values, "origin_lon": links["lon_a"].values,
        "destination": links["incident_b"].values, "destination_name": links["place_b"].fillna("(unnamed)").values,
        "destination_lat": links["lat_b"].values, "destination_lon": links["lon_b"].values,
        "weight": 1.0,
        "period_start": day.values,
        "period_end": (day + pd.Timedelta(days=1)).values,
    })
    return out[FLOW_COLUMNS].reset_index(drop=True)


FLOW_TYPES = ("source-recovery", "trace", "od", "re-seizure")


def query_flows(con, date_from=None, date_to=None, flow_types=None, origins=None, destinations=None,
                include_events: bool = True, interstate_only: bool = False) -> pd.DataFrame:
    """Every flow overlapping ``[date_from, date_to)``: stored, from events, and re-seizures.

    Parameters
    ----------
    con : duckdb connection to the store.
    date_from, date_to : str or date, optional
        Half-open period (ISO dates, UTC calendar days).
    flow_types : sequence of str, optional
        Subset of :data:`FLOW_TYPES`; default all.
    origins, destinations : sequence of str, optional
        Codes (USPS, ISO3, incident key) or display names to keep.
    include_events : bool
        Add flows derived from events (``od``, ``re-seizure``).
    interstate_only : bool
        Drop flows whose origin equals their destination (e.g. Alabama -> Alabama).

    Returns
    -------
    pandas.DataFrame
        :data:`FLOW_COLUMNS`, one row per flow.
    """
    types = tuple(flow_types) if flow_types else FLOW_TYPES
    parts = [stored_flows(con, date_from, date_to, [t for t in types if t in ("source-recovery", "trace", "od")])]
    if include_events and "od" in types:
        parts.append(event_flows(con, date_from, date_to))
    if include_events and "re-seizure" in types:
        parts.append(reseizure_flows(con, date_from, date_to))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    df = pd.concat(parts, ignore_index=True)[FLOW_COLUMNS]
    return filter_flows(df, origins=origins, destinations=destinations, interstate_only=interstate_only)


def filter_flows(flows: pd.DataFrame, date_from=None, date_to=None, flow_types=None, origins=None,
                 destinations=None, interstate_only: bool = False) -> pd.DataFrame:
    """Filter a flow table in memory, with the same rules as :func:`query_flows`.

    A flow is kept when its period overlaps ``[date_from, date_to)``; ``origins`` and
    ``destinations`` match codes or display names.
    """
    df = flows
    if date_from is not None:
        df = df[pd.to_datetime(df["period_end"]) > pd.Timestamp(date_from)]
    if date_to is not None:
        df = df[pd.to_datetime(df["period_start"]) < pd.Timestamp(date_to)]
    if flow_types:
        df = df[df["flow_type"].isin(list(flow_types))]
    if origins:
        o = list(origins)
        df = df[df["origin"].isin(o) | df["origin_name"].isin(o)]
    if destinations:
        d = list(destinations)
        df = df[df["destination"].isin(d) | df["destination_name"].isin(d)]
    if interstate_only:
        df = df[df["origin"] != df["destination"]]
    return df.reset_index(drop=True)


def aggregate_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Sum weights per (origin, destination) over the periods given.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``origin_name``, ``origin_lat``, ``origin_lon``, ``destination``,
        ``destination_name``, ``destination_lat``, ``destination_lon``, ``weight``,
        ``periods`` (number of flow rows), ``period_start`` (min), ``period_end`` (max);
        sorted by ``weight`` descending.
    """
    keys = ["origin", "origin_name", "origin_lat", "origin_lon", "destination", "destination_name",
            "destination_lat", "destination_lon"]
    if flows.empty:
        return pd.DataFrame(columns=keys + ["weight", "periods", "period_start", "period_end"])
    g = flows.groupby(keys, as_index=False, dropna=False).agg(
        weight=("weight", "sum"), periods=("weight", "size"),
        period_start=("period_start", "min"), period_end=("period_end", "max"))
    return g.sort_values(["weight", "origin", "destination"], ascending=[False, True, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- great circles
def _xyz(lat, lon) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def central_angle(lat0, lon0, lat1, lon1) -> np.ndarray:
    """Central angle (radians) between points, ``atan2(|A x B|, A . B)`` (stable for tiny and large angles).

    Multiply by :data:`EARTH_RADIUS_KM` for the great-circle distance in km.
    """
    a, b = _xyz(np.asarray(lat0, float), np.asarray(lon0, float)), _xyz(np.asarray(lat1, float), np.asarray(lon1, float))
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def _tangent(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unit tangent at ``a`` towards ``b`` (rows); eastward for identical or antipodal pairs."""
    dot = np.sum(a * b, axis=-1, keepdims=True)
    u = b - dot * a
    nrm = np.linalg.norm(u, axis=-1, keepdims=True)
    bad = nrm[:, 0] < 1e-12
    if bad.any():
        east = np.cross(np.array([0.0, 0.0, 1.0]), a[bad])
        en = np.linalg.norm(east, axis=-1, keepdims=True)
        east = np.where(en > 1e-12, east / np.where(en > 0, en, 1), np.array([0.0, 1.0, 0.0]))
        u[bad] = east
        nrm[bad] = 1.0
    return u / nrm


def great_circle_points(lat0, lon0, lat1, lon1, spacing_km: float):
    """Points along the great circles of many flows at once, end points included.

    Parameters
    ----------
    lat0, lon0, lat1, lon1 : array of float, shape (n,)
        Origins and destinations, WGS84 degrees.
    spacing_km : float
        Largest distance between consecutive points, great-circle km (> 0).

    Returns
    -------
    lat, lon : numpy.ndarray of float, shape (m,)
        Degrees; longitudes in (-180, 180] (a path across the 180th meridian jumps from
        about +180 to about -180 between two consecutive points).
    flow : numpy.ndarray of int64, shape (m,)
        Index (0..n-1) of the flow of each point; points of a flow are consecutive, from
        origin to destination; a flow from a point to itself has two identical points.
    frac : numpy.ndarray of float, shape (m,)
        Fraction of the path, 0 at the origin and 1 at the destination.

    Notes
    -----
    Intermediate point ``P = cos(f d) A + sin(f d) U`` with ``U`` the unit tangent at ``A``
    towards ``B``; equivalent to the Aviation Formulary (Ed Williams) intermediate-point
    formula. Antipodal pairs have no unique great circle; the eastward one is taken.

    Raises
    ------
    ValueError
        When ``spacing_km`` is not positive or a coordinate is not finite.
    """
    if not spacing_km > 0:
        raise ValueError("spacing_km must be positive")
    lat0, lon0, lat1, lon1 = (np.asarray(x, dtype="float64").ravel() for x in (lat0, lon0, lat1, lon1))
    if not (np.isfinite(lat0).all() and np.isfinite(lon0).all() and np.isfinite(lat1).all() and np.isfinite(lon1).all()):
        raise ValueError("flow end points must be finite WGS84 degrees")
    a, b = _xyz(lat0, lon0), _xyz(lat1, lon1)
    d = np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))
    u = _tangent(a, b)
    k = np.maximum(1, np.ceil(d * EARTH_RADIUS_KM / spacing_km).astype("int64"))
    counts = k + 1
    flow = np.repeat(np.arange(len(k), dtype="int64"), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step = np.arange(flow.size, dtype="int64") - starts[flow]
    frac = step / k[flow]
    ang = (frac * d[flow])[:, None]
    p = np.cos(ang) * a[flow] + np.sin(ang) * u[flow]
    lat = np.degrees(np.arcsin(np.clip(p[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
    # exact end points (no rounding drift)
    lat[starts], lon[starts] = lat0, lon0
    ends = starts + k
    lat[ends], lon[ends] = lat1, lon1
    return lat, lon, flow, frac


def destination_point(lat, lon, bearing_deg, dist_km):
    """Point at ``dist_km`` from (lat, lon) on initial bearing ``bearing_deg`` (Aviation Formulary).

    Degrees WGS84 in and out, km on the sphere of radius :data:`EARTH_RADIUS_KM`.
    """
    la, lo, br = np.radians(lat), np.radians(lon), np.radians(bearing_deg)
    dr = np.asarray(dist_km, float) / EARTH_RADIUS_KM
    la2 = np.arcsin(np.sin(la) * np.cos(dr) + np.cos(la) * np.sin(dr) * np.cos(br))
    lo2 = lo + np.arctan2(np.sin(br) * np.sin(dr) * np.cos(la), np.cos(dr) - np.sin(la) * np.sin(la2))
    return np.degrees(la2), np.degrees(lo2)


def initial_bearing(lat0, lon0, lat1, lon1):
    """Initial great-circle bearing from point 0 to point 1, degrees clockwise from north."""
    la0, la1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(np.asarray(lon1, float) - np.asarray(lon0, float))
    y = np.sin(dl) * np.cos(la1)
    x = np.cos(la0) * np.sin(la1) - np.sin(la0) * np.cos(la1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


# --------------------------------------------------------------------------- cells
def _edge_km(res: int) -> float:
    import h3

    return float(h3.average_hexagon_edge_length(int(res), unit="km"))


def _unique_pairs(flow: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flow, cell) pairs without repeats (consecutive repeats dropped first, then a hash pass)."""
    if flow.size == 0:
        return flow, cells
    keep = np.ones(flow.size, bool)
    keep[1:] = (flow[1:] != flow[:-1]) | (cells[1:] != cells[:-1])
    flow, cells = flow[keep], cells[keep]
    dup = pd.DataFrame({"f": flow, "c": cells}).duplicated().to_numpy()
    return flow[~dup], cells[~dup]


def _sample_cells(lat0, lon0, lat1, lon1, res: int, chunk_points: int = 4_000_000):
    """``"sample"`` cells of paths: ``(counts, cells)``, see :func:`_path_cells`."""
    from h3ronpy.vector import coordinates_to_cells

    spacing = 0.45 * _edge_km(res)
    n = len(lat0)
    d_km = central_angle(lat0, lon0, lat1, lon1) * EARTH_RADIUS_KM
    pts = np.maximum(1, np.ceil(d_km / spacing)) + 1
    out_n, out_c = [], []
    i = 0
    csum = np.cumsum(pts)
    while i < n:
        base = csum[i - 1] if i else 0
        j = int(np.searchsorted(csum, base + chunk_points, side="right"))
        j = max(j, i + 1)
        sl = slice(i, j)
        lat, lon, fl, _ = great_circle_points(lat0[sl], lon0[sl], lat1[sl], lon1[sl], spacing)
        c = np.asarray(coordinates_to_cells(lat, lon, int(res)).to_numpy(), dtype="uint64")
        f, c = _unique_pairs(fl, c)  # flows ascending, each flow's cells in path order
        out_n.append(np.bincount(f, minlength=j - i))
        out_c.append(c)
        i = j
    return np.concatenate(out_n), out_c


def _path_cells_batch(lat, lon, fl, nflows, res):
    """h3o line cells for consecutive flows: ``(counts, cells)``; raises on pentagon distortion."""
    import pyarrow as pa
    import shapely
    from h3ronpy.vector import wkb_to_cells

    lines = shapely.linestrings(lon, lat, indices=fl)
    arr = pa.array(wkb_to_cells(shapely.to_wkb(lines), int(res)))
    offs = arr.offsets.to_numpy()
    vals = np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype="uint64")
    return np.diff(offs), vals


def _path_cells(lat0, lon0, lat1, lon1, res: int, chunk_flows: int = 1000):
    """``"path"`` cells of paths.

    Returns ``counts`` (n,), the number of cells of each path, and ``cells``, a list of uint64
    arrays whose concatenation holds the cells of path 0, then of path 1, ... (grouped by path in
    order; not concatenated here, a corridor density bins them chunk by chunk).
    """
    step = min(16.0 * _edge_km(res), 250.0)
    n = len(lat0)
    out_n, out_c = [], []

    def run(s: int, e: int):
        sl = slice(s, e)
        lat, lon, fl, _ = great_circle_points(lat0[sl], lon0[sl], lat1[sl], lon1[sl], step)
        try:
            k, c = _path_cells_batch(lat, lon, fl, e - s, res)
            out_n.append(k)
            out_c.append(c)
        except Exception:
            if e - s <= 8:
                k, c = _sample_cells(lat0[sl], lon0[sl], lat1[sl], lon1[sl], res)
                out_n.append(k)
                out_c.extend(c)
            else:
                half = s + (e - s) // 2
                run(s, half)
                run(half, e)

    for s in range(0, n, chunk_flows):
        run(s, min(n, s + chunk_flows))
    # h3o returns each cell of a LineString once (checked in tests/test_corridors.py); the
    # pairs from the sampling fallback are de-duplicated there, so no second pass is needed
    counts = np.concatenate(out_n).astype("int64") if out_n else np.zeros(0, "int64")
    return counts, out_c


def _join(chunks: list) -> np.ndarray:
    """One uint64 array from a list of cell chunks."""
    if not chunks:
        return np.zeros(0, "uint64")
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)


POOL_MIN_PATHS = 20_000
"""Distinct paths above which :func:`flow_cells` and :func:`corridor_density` may lay paths out in
two processes (below it tests and page calls stay in one process)."""

POOL_MIN_PAIRS = 10_000_000
"""...and estimated (path, cell) pairs above which they do (about 3 s of layout in one process:
below it starting a worker, about 0.5 s, and moving its cells back cost more than they save)."""

_PART_ALIGN = 1000
"""Parts handed to processes start at multiples of this many paths: the ``chunk_flows`` of
:func:`_path_cells`, so every h3o batch (and its pentagon fallback) is the one a single process runs."""


def _path_km(u: np.ndarray) -> np.ndarray:
    return central_angle(u[:, 0], u[:, 1], u[:, 2], u[:, 3]) * EARTH_RADIUS_KM


def _workers(u: np.ndarray, res: int, workers: int | None) -> int:
    """Processes to use: ``workers`` if given, else 2 (when 2 CPUs are available) for more than
    :data:`POOL_MIN_PATHS` paths and :data:`POOL_MIN_PAIRS` estimated pairs, else 1."""
    n = len(u)
    if workers is not None:
        return max(1, min(int(workers), n))
    if n <= POOL_MIN_PATHS:
        return 1
    if _estimated_pairs(u, res) < POOL_MIN_PAIRS:
        return 1
    import os

    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


_FIRST_SHARE = 0.53
"""Share of the work (path km) of the first part, laid out by the calling process when there are
two: a worker also starts Python (0.4 s) and writes its cells to a file (0.2 s)."""


def _part_bounds(u: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Split paths ``u`` (p, 4) into ``parts`` consecutive ranges of about equal work (path km);
    the first (this process's) part gets :data:`_FIRST_SHARE` of it when there are two."""
    n = len(u)
    work = np.cumsum(_path_km(u) + 10.0)  # + a constant per path: a zero-length path still costs a cell
    first = _FIRST_SHARE if parts == 2 else 1.0 / parts
    cuts = [0]
    for q in range(1, parts):
        share = first + (q - 1) * (1.0 - first) / (parts - 1)
        i = int(np.searchsorted(work, work[-1] * share))
        i = int(round(i / _PART_ALIGN)) * _PART_ALIGN
        cuts.append(min(max(i, cuts[-1]), n))
    cuts.append(n)
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _cells_part(method: str, part: np.ndarray, res: int):
    """``(counts, cell chunks)`` of paths ``part`` (p, 4)."""
    fn = _path_cells if method == "path" else _sample_cells
    return fn(part[:, 0], part[:, 1], part[:, 2], part[:, 3], int(res))


def _worker_main(folder: str, method: str, res: str) -> None:
    """Worker process (started by :func:`_cells_of_paths`): lay out the paths in ``folder/in.npy``,
    write their cells (raw uint64, ``cells.u64``) and then ``counts.npy`` there."""
    import os

    part = np.load(os.path.join(folder, "in.npy"))
    counts, chunks = _cells_part(method, part, int(res))
    with open(os.path.join(folder, "cells.u64"), "wb") as fh:  # raw uint64, chunk after chunk (no joined copy)
        for c in chunks:
            fh.write(np.ascontiguousarray(c, dtype="uint64").data)
    np.save(os.path.join(folder, "counts.npy"), counts)  # written last: its presence means done


def _estimated_pairs(u: np.ndarray, res: int) -> float:
    """About how many (path, cell) pairs paths ``u`` give: one cell per 1.6 mean edge lengths of
    path (measured: 0.17 cells per km at res 6), plus one per path."""
    return len(u) + float(_path_km(u).sum()) / (1.6 * _edge_km(res))


def _scratch_dir(u: np.ndarray, res: int) -> str | None:
    """``/dev/shm`` (memory, no disk write-back) when it has room for twice the cells' bytes, else the
    system temporary folder (``None``)."""
    import os
    import shutil

    try:
        if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
            if shutil.disk_usage("/dev/shm").free > 2 * 8 * _estimated_pairs(u, res) + (64 << 20):
                return "/dev/shm"
    except OSError:
        pass
    return None


def _cells_of_paths(u: np.ndarray, res: int, method: str, workers: int | None = None):
    """Cells of paths ``u`` (p, 4): ``counts`` (p,) and a list of cell chunks (see :func:`_path_cells`).

    Computed in one process, or split over worker processes (:func:`_workers`): the paths are cut
    into consecutive parts (:func:`_part_bounds`); this process lays out the first part while a
    fresh Python (``sys.executable``, running :func:`_worker_main`) lays out each other part, the
    paths and cells passed as files in a temporary folder (:func:`_scratch_dir`); the parts are joined in
    order, so the cells and their order are the same as in one process.

    Why not ``multiprocessing``: ``fork`` would copy a threaded caller (the Streamlit server; and
    h3ronpy's rayon thread pool does not survive a fork), and ``spawn`` re-runs the caller's
    ``__main__`` script in the worker. A worker that cannot start or fails (its stderr is
    logged) has its part laid out here instead.
    """
    n = len(u)
    nw = _workers(u, res, workers)
    bounds = _part_bounds(u, nw) if nw > 1 and n > 1 else [(0, n)]
    if len(bounds) < 2:
        return _cells_part(method, u, res)
    import logging
    import os
    import subprocess
    import sys
    import tempfile

    results: list = [None] * len(bounds)
    with tempfile.TemporaryDirectory(prefix="intel-corridors-", dir=_scratch_dir(u, res)) as tmp:
        procs = {}
        code = (f"import sys; sys.path.insert(0, {str(REPO)!r}); from intel.corridors import _worker_main; "
                "_worker_main(*sys.argv[1:])")
        try:
            for k, (a, b) in enumerate(bounds):
                if not k:
                    continue
                folder = os.path.join(tmp, str(k))
                os.mkdir(folder)
                np.save(os.path.join(folder, "in.npy"), np.ascontiguousarray(u[a:b]))
                err = open(os.path.join(folder, "stderr.txt"), "wb")
                try:
                    procs[k] = subprocess.Popen([sys.executable, "-c", code, folder, method, str(int(res))],
                                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
                except OSError as e:
                    logging.getLogger(__name__).warning("corridor worker did not start (%s); one process", e)
                finally:
                    err.close()
            a, b = bounds[0]
            results[0] = _cells_part(method, u[a:b], res)
            for k, proc in procs.items():
                folder = os.path.join(tmp, str(k))
                if proc.wait() == 0 and os.path.exists(os.path.join(folder, "counts.npy")):
                    results[k] = (np.load(os.path.join(folder, "counts.npy")),
                                  [np.fromfile(os.path.join(folder, "cells.u64"), dtype="uint64")])
                else:
                    with open(os.path.join(folder, "stderr.txt"), "rb") as fh:
                        tail = fh.read()[-2000:].decode("utf-8", "replace")
                    logging.getLogger(__name__).warning(
                        "corridor worker failed (exit %s); part laid out in this process: %s", proc.returncode, tail)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    counts, chunks = [], []
    for k, (a, b) in enumerate(bounds):
        cn, ch = results[k] if results[k] is not None else _cells_part(method, u[a:b], res)
        counts.append(cn)
        chunks.extend(ch)
    return np.concatenate(counts).astype("int64"), chunks


def _layout(arrs, res: int, method: str, workers: int | None = None):
    """Lay each distinct path out once.

    Returns ``codes`` (n,) path index of each flow, ``u`` (p, 4) distinct end points,
    ``counts`` (p,) the number of cells of each path, and ``chunks``, a list of uint64 arrays
    whose concatenation holds the cells of path 0, then path 1, ... (each (path, cell) once).
    """
    key = np.round(np.column_stack(arrs), 7)
    u, codes = np.unique(key, axis=0, return_inverse=True)
    codes = codes.ravel()
    counts, chunks = _cells_of_paths(u, int(res), method, workers)
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
    shift = np.uint64(3 * (15 - int(res)))  # digits below res are all 7 (0b111): dropped, restored
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
    codes, uniq = pd.factorize(_join(chunks))
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
    if not 0 <= int(res) <= 15:
        raise ValueError(f"H3 resolution must be 0-15, got {res}")
    arrs = [np.asarray(x, dtype="float64").ravel() for x in (lat0, lon0, lat1, lon1)]
    if len({a.size for a in arrs}) != 1:
        raise ValueError("origin and destination arrays must have the same length")
    if arrs[0].size == 0:
        return np.zeros(0, "int64"), np.zeros(0, "uint64")
    for a, lim in zip(arrs, (90, 180, 90, 180)):
        if not np.isfinite(a).all() or (np.abs(a) > lim).any():
            raise ValueError("flow end points must be finite WGS84 degrees within range")
    codes, uniq, lens, chunks = _layout(arrs, int(res), method, workers)
    pc = _join(chunks)
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
        H3 resolution.
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
    """
    from intel.hexbin import to_hex

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
        from intel.hexbin import bin_points

        oc = bin_points(u[:, 0], u[:, 1], int(res))
        dc = bin_points(u[:, 2], u[:, 3], int(res))
        cells = _join(chunks)
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


# --------------------------------------------------------------------------- exports
def split_antimeridian(lon: np.ndarray, lat: np.ndarray) -> list[list[list[float]]]:
    """Split a lon-lat path where it crosses the 180th meridian.

    Consecutive longitudes more than 180 degrees apart are taken to cross the meridian; the
    crossing latitude is interpolated linearly in unwrapped longitude and each part ends
    (begins) exactly at +-180.

    Returns
    -------
    list of parts, each a list of [lon, lat] (degrees)
    """
    parts: list[list[list[float]]] = [[[float(lon[0]), float(lat[0])]]]
    for i in range(1, len(lon)):
        x0, y0, x1, y1 = float(lon[i - 1]), float(lat[i - 1]), float(lon[i]), float(lat[i])
        if abs(x1 - x0) > 180.0:
            edge = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360.0 if x0 > 0 else x1 - 360.0
            t = (edge - x0) / (x1u - x0) if x1u != x0 else 0.5
            yc = y0 + t * (y1 - y0)
            parts[-1].append([edge, yc])
            parts.append([[-edge, yc]])
        parts[-1].append([x1, y1])
    return parts


def flows_geojson(flows: pd.DataFrame, spacing_km: float = 50.0) -> dict:
    """GeoJSON FeatureCollection of flows as great-circle lines ([lon, lat], EPSG:4326).

    A line crossing the 180th meridian is a MultiLineString split at +-180; others are
    LineStrings with a vertex at least every ``spacing_km`` km.

    Returns
    -------
    dict
        Features with properties ``origin``, ``origin_name``, ``destination``,
        ``destination_name``, ``weight``, ``flow_type``, ``source``, ``period_start``,
        ``period_end`` (ISO dates).
    """
    feats = []
    if len(flows):
        cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
        f = flows.dropna(subset=cols).reset_index(drop=True)
        lat, lon, fl, _ = great_circle_points(*(f[c].to_numpy(float) for c in cols), spacing_km)
        bounds = np.searchsorted(fl, np.arange(len(f) + 1))
        for i, r in enumerate(f.itertuples(index=False)):
            s, e = bounds[i], bounds[i + 1]
            parts = split_antimeridian(lon[s:e], lat[s:e])
            geom = ({"type": "LineString", "coordinates": parts[0]} if len(parts) == 1
                    else {"type": "MultiLineString", "coordinates": parts})
            props = {k: getattr(r, k) for k in ("origin", "origin_name", "destination", "destination_name",
                                                "flow_type", "source") if hasattr(r, k)}
            props["weight"] = float(r.weight)
            for k in ("period_start", "period_end"):
                if hasattr(r, k):
                    v = getattr(r, k)
                    props[k] = None if pd.isna(v) else pd.Timestamp(v).date().isoformat()
            feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def flows_csv_frame(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows as the CLI and page export them: ``origin``, ``destination``, ``weight``, ``period``, ...

    ``period`` is the year (``2017``) for a calendar-year flow, else ``start/end`` (ISO,
    half-open).
    """
    cols = ["origin", "destination", "weight", "period", "origin_name", "destination_name", "flow_type", "source",
            "period_start", "period_end"]
    if flows.empty:
        return pd.DataFrame(columns=cols)
    s, e = pd.to_datetime(flows["period_start"]), pd.to_datetime(flows["period_end"])
    yearly = (s.dt.month == 1) & (s.dt.day == 1) & (e.dt.month == 1) & (e.dt.day == 1) & (e.dt.year == s.dt.year + 1)
    period = np.where(yearly, s.dt.year.astype(str), s.dt.date.astype(str) + "/" + e.dt.date.astype(str))
    out = flows.assign(period=period, period_start=s.dt.date.astype(str), period_end=e.dt.date.astype(str))
    return out[cols].reset_index(drop=True)


def density_csv_frame(density: pd.DataFrame) -> pd.DataFrame:
    """Corridor density as the CLI writes it: ``cell`` (hex), ``weight``, ``rank``, ``flows``, ``share``."""
    return pd.DataFrame({"cell": density["h3"], "weight": density["weight"], "rank": density["rank"],
                         "flows": density["flows"], "share": density["share"]})


# --------------------------------------------------------------------------- pydeck layers
def _lerp_color(c0, c1, t):
    t = np.clip(np.asarray(t, float), 0, 1)[:, None]
    return np.rint(np.asarray(c0) * (1 - t) + np.asarray(c1) * t).astype(int)


ARC_PX = (1.0, 10.0)
"""Arc width range, CSS pixels (square root of the weight)."""
ARC_HEIGHT = 0.1
"""ArcLayer height multiplier: low arcs, so a long flow (e.g. from Alaska) does not loop far off
its great circle under the perspective camera, and the chevrons (on the ground) stay on it."""


def _pixels():
    from intel.layers import PIXELS  # pydeck would send a plain "pixels" as an undefined expression

    return PIXELS


def flow_widths(weight, max_px: float = ARC_PX[1], min_px: float = ARC_PX[0]) -> np.ndarray:
    """Arc widths in pixels, proportional to the square root of the weight (largest = ``max_px``)."""
    w = np.sqrt(np.maximum(np.asarray(weight, float), 0))
    top = w.max() if w.size and w.max() > 0 else 1.0
    return np.maximum(min_px, max_px * w / top)


def arc_records(flows: pd.DataFrame, min_weight: float = 0.0) -> pd.DataFrame:
    """Aggregated flows at or above ``min_weight`` with ``width`` and tooltip fields ``label``, ``detail``."""
    agg = aggregate_flows(flows)
    agg = agg[agg["weight"] >= float(min_weight)].reset_index(drop=True)
    if agg.empty:
        return agg.assign(width=[], label=[], detail=[])
    agg["width"] = flow_widths(agg["weight"])
    # place names come from files: escaped, deck.gl renders tooltips as HTML
    agg["label"] = [html.escape(f"{o} → {d}") for o, d in zip(agg["origin_name"], agg["destination_name"])]
    agg["detail"] = [f"weight {w:,.0f} firearms over {p} period(s)" for w, p in zip(agg["weight"], agg["periods"])]
    return agg


def arc_layer(records: pd.DataFrame, layer_id: str = "flow-arcs"):
    """pydeck ``ArcLayer``: great-circle arcs coloured from source (blue) to target (red), width by weight."""
    import pydeck as pdk

    data = records[["origin_lon", "origin_lat", "destination_lon", "destination_lat", "width", "weight",
                    "label", "detail"]].to_dict("records") if len(records) else []
    return pdk.Layer(
        "ArcLayer", data=data, id=layer_id,
        get_source_position=["origin_lon", "origin_lat"],
        get_target_position=["destination_lon", "destination_lat"],
        get_source_color=SOURCE_COLOR, get_target_color=TARGET_COLOR,
        get_width="width", width_units=_pixels(), width_min_pixels=ARC_PX[0], width_max_pixels=ARC_PX[1],
        get_height=ARC_HEIGHT, great_circle=True, pickable=True, auto_highlight=True,
    )


def chevron_paths(records: pd.DataFrame, marks: int | None = None, size_km: float | None = None) -> pd.DataFrame:
    """Chevrons (small ">" marks) along each flow's great circle, pointing in the direction of travel.

    Parameters
    ----------
    records : pandas.DataFrame
        From :func:`arc_records` (positions, ``width``, ``label``, ``detail``).
    marks : int, optional
        Chevrons per flow; default one per ~400 km, 1-6.
    size_km : float, optional
        Arm length in km; default 4 % of the flow length, 15-90 km.

    Returns
    -------
    pandas.DataFrame
        Columns ``path`` (list of three [lon, lat]: arm, tip, arm; longitudes unwrapped
        around the tip so a chevron never spans the globe), ``color`` (RGBA, interpolated
        source -> target at the mark), ``width``, ``label``, ``detail``.
    """
    if records.empty:
        return pd.DataFrame(columns=["path", "color", "width", "label", "detail"])
    cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
    lat0, lon0, lat1, lon1 = (records[c].to_numpy(float) for c in cols)
    d_km = central_angle(lat0, lon0, lat1, lon1) * EARTH_RADIUS_KM
    keep = d_km > 1.0
    rows = []
    a, b = _xyz(lat0, lon0), _xyz(lat1, lon1)
    u = _tangent(a, b)
    d = d_km / EARTH_RADIUS_KM
    for i in np.flatnonzero(keep):
        m = marks or int(np.clip(round(d_km[i] / 400.0), 1, 6))
        size = size_km or float(np.clip(0.04 * d_km[i], 15.0, 90.0))
        fr = (np.arange(1, m + 1) / (m + 1))
        ang = fr[:, None] * d[i]
        p = np.cos(ang) * a[i] + np.sin(ang) * u[i]
        q = np.cos(ang + 1e-4) * a[i] + np.sin(ang + 1e-4) * u[i]
        plat = np.degrees(np.arcsin(np.clip(p[:, 2], -1, 1)))
        plon = np.degrees(np.arctan2(p[:, 1], p[:, 0]))
        qlat = np.degrees(np.arcsin(np.clip(q[:, 2], -1, 1)))
        qlon = np.degrees(np.arctan2(q[:, 1], q[:, 0]))
        brg = initial_bearing(plat, plon, qlat, qlon)
        l_lat, l_lon = destination_point(plat, plon, brg + 150.0, size)
        r_lat, r_lon = destination_point(plat, plon, brg - 150.0, size)
        colors = _lerp_color(SOURCE_COLOR, TARGET_COLOR, fr)
        colors[:, :3] = np.rint(colors[:, :3] * 0.55)  # darker than the arc under it, so it shows on it
        colors[:, 3] = 240
        for j in range(m):
            def un(x):  # unwrap around the tip
                return float(plon[j] + ((x - plon[j] + 180.0) % 360.0 - 180.0))
            rows.append({
                "path": [[un(l_lon[j]), float(l_lat[j])], [float(plon[j]), float(plat[j])], [un(r_lon[j]), float(r_lat[j])]],
                "color": [int(c) for c in colors[j]],
                "width": float(max(1.5, 0.5 * records["width"].iat[i])),
                "label": records["label"].iat[i], "detail": records["detail"].iat[i],
            })
    return pd.DataFrame(rows, columns=["path", "color", "width", "label", "detail"])


def chevron_layer(chevrons: pd.DataFrame, layer_id: str = "flow-chevrons"):
    """pydeck ``PathLayer`` of chevrons from :func:`chevron_paths` (no icons, nothing fetched)."""
    import pydeck as pdk

    return pdk.Layer(
        "PathLayer", data=chevrons.to_dict("records") if len(chevrons) else [], id=layer_id,
        get_path="path", get_color="color", get_width="width", width_units=_pixels(),
        width_min_pixels=1.5, width_max_pixels=4, cap_rounded=True, joint_rounded=True, pickable=True,
    )


def corridor_colours(weight, k: int = 6) -> tuple[list[list[int]], list[float]]:
    """RGBA colours (ColorBrewer YlOrRd, ``k`` quantile classes of the weight) and the class upper bounds."""
    from intel.layers import class_breaks, colour_for

    w = np.asarray(weight, float)
    breaks = class_breaks(w, k)
    cols = [c[:3] + [200] for c in colour_for(w, breaks)]
    return cols, breaks


def corridor_legend(density: pd.DataFrame, top: int | None = 5000) -> list:
    """Legend entries ``(rgb, text)`` matching :func:`corridor_layer` (firearms per cell)."""
    from intel.layers import legend

    d = density if top is None else density.head(int(top))
    if d.empty:
        return []
    return legend(corridor_colours(d["weight"])[1], "firearms")


def corridor_layer(density: pd.DataFrame, top: int | None = 5000, layer_id: str = "corridor-cells"):
    """pydeck ``H3HexagonLayer`` of corridor cells (hex strings), YlOrRd by quantile class of the weight.

    Parameters
    ----------
    density : pandas.DataFrame
        From :func:`corridor_density`.
    top : int, optional
        Draw only the ``top`` ranked cells (keeps the page light); ``None`` draws all.

    Draw it before (under) the arcs; :func:`corridor_legend` gives its legend.
    """
    import pydeck as pdk

    d = density if top is None else density.head(int(top))
    if len(d):
        cols, _ = corridor_colours(d["weight"])
        data = [{"h3": h, "color": c, "label": f"corridor cell rank {r}",
                 "detail": f"weight {w:,.0f} from {n} flow(s)"}
                for h, c, r, w, n in zip(d["h3"], cols, d["rank"], d["weight"], d["flows"])]
    else:
        data = []
    return pdk.Layer(
        "H3HexagonLayer", data=data, id=layer_id, get_hexagon="h3", get_fill_color="color",
        filled=True, stroked=True, get_line_color=[120, 60, 0, 90], line_width_units=_pixels(),
        get_line_width=0.5, line_width_min_pixels=0.5, extruded=False, pickable=True, high_precision=False,
    )


TOOLTIP = {"html": "<b>{label}</b><br/>{detail}", "style": {"fontSize": "12px"}}
"""One tooltip template for every layer built here: records carry ``label`` and ``detail``."""


def deck(layers: list, latitude: float = 38.5, longitude: float = -92.0, zoom: float = 3.4):
    """Offline ``pydeck.Deck`` (no map provider, no style fetched) with the shared tooltip."""
    import pydeck as pdk

    return pdk.Deck(layers=layers, map_provider=None, tooltip=TOOLTIP,
                    initial_view_state=pdk.ViewState(latitude=latitude, longitude=longitude, zoom=zoom))


def to_geojson_text(obj: dict) -> str:
    """Compact JSON text of a GeoJSON object."""
    return json.dumps(obj, separators=(",", ":"), default=str)


__all__ = [
    "USPS", "FLOW_COLUMNS", "FLOW_TYPES", "state_points", "country_points", "read_atf_flows", "load_atf_flows",
    "insert_flows", "stored_flows", "event_flows", "reseizure_flows", "query_flows", "filter_flows", "aggregate_flows",
    "great_circle_points", "central_angle", "flow_cells", "corridor_density", "rank_pairs", "split_antimeridian",
    "flows_geojson", "flows_csv_frame", "density_csv_frame", "arc_records", "arc_layer", "chevron_paths",
    "chevron_layer", "corridor_layer", "corridor_colours", "corridor_legend", "deck", "ARC_PX", "ARC_HEIGHT",
]
