"""ATF source-to-recovery flows: reading the bundled CSV and loading it into the store.

:func:`read_atf_flows` turns the ATF table (source state by recovery state, one row per year) into
flows and counts the rows it leaves out, and why; :func:`insert_flows` appends any flow table
(ATF, imported traces, origin-destination tables) to the store's ``flows`` table;
:func:`load_atf_flows` does both and writes the audit record. See "ATF data" in
:mod:`intel.corridors`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from intel.corridors.flows import FLOW_COLUMNS
from intel.config import SOURCES_DIR
from intel.corridors.places import COUNTRY_PLACES, gpkg_country_points, state_points
from intel.store import audit


ATF_CSV = SOURCES_DIR / "flows" / "atf_source_recovery_by_state_2010_2020.csv"
ATF_SOURCE = "atf_trace_source_recovery"


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
        cp = gpkg_country_points(gpkg).set_index("iso3")
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
    read = read_atf_flows(path)
    n = insert_flows(con, read.flows, batch_id)
    load_atf_flows.last_read = read  # type: ignore[attr-defined]
    audit(con, "flows.atf", {"file": Path(path).name, "rows_read": read.rows_read,
                             "rows_inserted": n, "skipped": read.skipped, "batch_id": batch_id})
    return n
