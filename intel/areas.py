"""Counts per area and month: import, and totals for maps.

Some registers publish counts, not records: ISP-RJ publishes, for each police-precinct area
(CISP) of Rio de Janeiro and each month, the number of weapons seized by type. Such a count
cannot be a point: it belongs to its area, and the map draws it over the area's polygon.

An import profile of kind ``"area counts"`` (``data/profiles/isp_rj_armas_apreendidas_cisp.json``)
describes such a file: which column holds the area code, the year and the month, which
columns are measures, where the polygons are, the publisher's stated areas and names.
:func:`intel.ingest.import_file` hands such profiles to :func:`import_area_counts`, so
``intel import`` and ``intel build`` take the same road as for records: one batch per file
(SHA-256 and options, so a second import changes nothing), every input row either stored or
in the quarantine with its raw values and reason.

Stored (schema in :mod:`intel.store`, migration 2):

``areas``
    one row per area: code, name, a point inside the polygon, ``area_km2`` (the
    publisher's where stated, else geodesic from the polygon), ``radius_km`` (radius of the
    circle of equal area, ``sqrt(area_km2 / pi)``) and the polygon as WKB (EPSG:4326; NULL
    when the publisher has no boundary, e.g. precinct 45, merged).
``area_counts``
    one row per area, month and measure. ``status`` is ``recorded`` (a published value, zero
    included), ``not recorded`` (an empty cell: e.g. ammunition before 2014) or
    ``placeholder`` (the trailing months in which every area and every measure is zero: the
    publisher's rows for months not yet counted -- 2024-09 to 2024-12 -- kept with a NULL
    value, never read as "nothing seized").

:func:`area_totals` and :func:`area_polygons` give per-area totals for a period, the
renderers draw them over the polygons.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from intel import parse, readers, store
from intel.config import DATA_DIR
from intel.gazetteers import equal_area_radius_km, geodesic_area_km2
from intel.import_result import ImportResult, file_sha256
from intel.store import audit, period_sql, transaction

KIND = "area counts"
"""Profile ``kind`` of a file of counts per area and month."""


# ------------------------------------------------------------------------------------- areas

def kmz_to_geojson(kmz: str | Path, out: str | Path, id_field: str = "Name", tolerance_deg: float = 0.0005) -> int:
    """Convert a KMZ of area polygons to a small GeoJSON (how the bundled precinct file was made).

    Polygons are made 2-D and simplified with ``tolerance_deg`` degrees (0.0005 degrees, about
    55 m: the smallest Rio precinct is 1.4 km2), coordinates written to 5 decimals (about 1 m).

    Returns
    -------
    int
        Number of polygons written (one per area code in ``id_field``, stored as ``area_id``).
    """
    import tempfile
    import zipfile

    import geopandas as gpd
    import shapely

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(kmz) as z:
            kml = [n for n in z.namelist() if n.lower().endswith(".kml")][0]
            z.extract(kml, tmp)
        g = gpd.read_file(Path(tmp) / kml)
    g = gpd.GeoDataFrame({"area_id": g[id_field].astype(str).str.strip()},
                         geometry=shapely.force_2d(g.geometry.values), crs="EPSG:4326")
    g["geometry"] = g.geometry.simplify(tolerance_deg, preserve_topology=True).make_valid()
    g = g.dissolve(by="area_id", as_index=False).sort_values("area_id", key=lambda s: s.str.zfill(6))
    g.to_file(out, driver="GeoJSON", COORDINATE_PRECISION=5)
    return len(g)


def _read_side_table(spec: dict) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / spec["file"], sep=spec.get("sep", ","), dtype=str, keep_default_na=False,
                       encoding=spec.get("encoding", "utf-8"))


def load_areas(profile: dict) -> pd.DataFrame:
    """The areas of an ``area counts`` profile: polygons, stated areas and names.

    Returns
    -------
    pandas.DataFrame
        Columns of the store table ``areas`` except ``source`` and ``batch_id``; one row per
        area code found in the polygons, the stated areas or the names.
    """
    import geopandas as gpd

    spec = profile["areas"]
    g = gpd.read_file(DATA_DIR / spec["polygons"])
    g["area_id"] = g[spec.get("polygon_id", "area_id")].astype(str).str.strip()
    df = pd.DataFrame({"area_id": g["area_id"], "geometry": g.geometry.values})
    if spec.get("area_km2"):
        a = _read_side_table(spec["area_km2"])
        a = pd.DataFrame({"area_id": a[spec["area_km2"]["id"]].str.strip(),
                          "stated_km2": pd.to_numeric(a[spec["area_km2"]["column"]].str.replace(",", ".", regex=False),
                                                      errors="coerce")})
        df = df.merge(a, on="area_id", how="outer")
    else:
        df["stated_km2"] = np.nan
    if spec.get("names"):
        nm = _read_side_table(spec["names"])
        nm["area_id"] = nm[spec["names"]["id"]].str.strip()

        def label(g):   # each column's distinct values in file order, e.g. "Centro (parte), Lapa; Rio de Janeiro"
            parts = [", ".join(dict.fromkeys(v.strip() for v in g[c] if v and v.strip())) for c in spec["names"]["columns"]]
            return "; ".join(p for p in parts if p)

        nm = pd.DataFrame([(k, label(g)) for k, g in nm.groupby("area_id", sort=False)], columns=["area_id", "label"])
        df = df.merge(nm, on="area_id", how="left")
    else:
        df["label"] = None
    geoms = df["geometry"].where(df["geometry"].notna(), None).to_numpy(dtype=object)
    poly_km2 = geodesic_area_km2(geoms)
    area_km2 = np.where(np.isfinite(df["stated_km2"].to_numpy(dtype=float)), df["stated_km2"], poly_km2)
    pts = [g.representative_point() if g is not None else None for g in geoms]
    prefix = spec.get("name_prefix", "")
    out = pd.DataFrame({
        "area_id": df["area_id"],
        "name": [f"{prefix}{i}" + (f" ({lab})" if isinstance(lab, str) and lab else "") for i, lab in zip(df["area_id"], df["label"])],
        "area_kind": spec.get("kind", "area"),
        "country_iso3": profile.get("constants", {}).get("country"),
        "admin1": profile.get("constants", {}).get("admin1"),
        "latitude": [p.y if p is not None else np.nan for p in pts],
        "longitude": [p.x if p is not None else np.nan for p in pts],
        "area_km2": area_km2,
        "radius_km": equal_area_radius_km(area_km2),
        "geom_wkb": [g.wkb if g is not None else None for g in geoms],
        "note": [None if g is not None else spec.get("no_polygon_note", "no boundary published for this area")
                 for g in geoms],
    })
    return out.sort_values("area_id", key=lambda s: s.str.zfill(8)).reset_index(drop=True)


# ------------------------------------------------------------------------------------ import

def _placeholder_months(long: pd.DataFrame) -> set:
    """Trailing months of the series in which every area and every measure is 0 (or empty)."""
    per = long.groupby("month")["value"].agg(lambda v: bool((v.fillna(0) == 0).all()))
    out = set()
    for m in sorted(per.index, reverse=True):
        if not per[m]:
            break
        out.add(m)
    return out


@dataclass
class AreaPrepared:
    areas: pd.DataFrame
    counts: pd.DataFrame
    quarantine: pd.DataFrame
    rows_read: int
    warnings: list


def prepare_area_counts(raw, profile: dict) -> AreaPrepared:
    """Turn a raw table of counts per area and month into store rows (pure: no writes).

    Parameters
    ----------
    raw : intel.readers.RawTable
    profile : dict
        ``area_counts``: ``id`` (area code column), ``year``, ``month`` columns, ``measures``
        (list of columns; default every other column except ``exclude``), ``placeholder``
        (``"trailing_zero_months"`` marks trailing all-zero months as placeholders).

    Returns
    -------
    AreaPrepared
        ``counts`` has the columns of ``area_counts`` (without ``batch_id``); ``quarantine``
        one row per input row that could not be read (raw values, reasons).
    """
    spec = profile["area_counts"]
    f = raw.frame
    n = len(f)
    rows = np.asarray(raw.row_numbers)
    skip = {spec["id"], spec["year"], spec["month"], *spec.get("exclude", [])}
    measures = spec.get("measures") or [c for c in f.columns if c not in skip and not str(c).startswith("__")]
    aid = f[spec["id"]].astype(object).map(lambda v: None if v is None or v is pd.NA else str(v).strip() or None)
    yr = pd.to_numeric(f[spec["year"]].astype(object), errors="coerce")
    mo = pd.to_numeric(f[spec["month"]].astype(object), errors="coerce")
    reasons = [[] for _ in range(n)]
    for i in np.flatnonzero(aid.isna().to_numpy()):
        reasons[i].append("AREA_MISSING")
    bad_t = ~(yr.between(1900, 2100) & mo.between(1, 12) & (yr % 1 == 0) & (mo % 1 == 0)).to_numpy()
    for i in np.flatnonzero(bad_t):
        reasons[i].append("MONTH_INVALID")
    vals = {}
    for c in measures:
        blank = (f[c].isna() | (f[c].astype(str).str.strip() == "")).to_numpy(dtype=bool)
        num = parse.parse_numbers(f[c], getattr(raw, "decimal", ".") or ".", getattr(raw, "thousands", None))
        num = pd.to_numeric(num, errors="coerce").to_numpy(dtype=float)
        unread = ~blank & ~np.isfinite(num)
        for i in np.flatnonzero(unread):
            reasons[i].append("VALUE_UNREADABLE")
        vals[c] = (num, blank)
    ok = np.array([not r for r in reasons])
    month = pd.to_datetime(pd.DataFrame({"year": yr.where(ok, 2000), "month": mo.where(ok, 1), "day": 1}),
                           errors="coerce").to_numpy()
    long = pd.concat([pd.DataFrame({
        "area_id": aid.to_numpy(dtype=object)[ok], "month": month[ok], "measure": c,
        "value": v[ok], "blank": b[ok], "row_number": rows[ok]}) for c, (v, b) in vals.items()], ignore_index=True)
    long["status"] = np.where(long["blank"], "not recorded", "recorded")
    warnings = []
    if spec.get("placeholder") == "trailing_zero_months" and len(long):
        ph = _placeholder_months(long)
        if ph:
            m = long["month"].isin(list(ph)).to_numpy()
            long.loc[m, "status"] = "placeholder"
            months = sorted(pd.Timestamp(x).strftime("%Y-%m") for x in ph)
            warnings.append(f"{len(months)} trailing months in which every area and measure is 0 "
                            f"({months[0]} to {months[-1]}) are placeholders, stored as missing, not as zero")
    long.loc[long["status"] != "recorded", "value"] = np.nan
    areas = load_areas(profile)
    names = dict(zip(areas["area_id"], areas["name"]))
    missing_areas = sorted(set(long["area_id"]) - set(areas["area_id"]), key=lambda s: s.zfill(8))
    if missing_areas:   # counted areas the polygons do not know: kept, without a polygon
        extra = pd.DataFrame({"area_id": missing_areas})
        areas = pd.concat([areas, extra.assign(name=[f"{profile['areas'].get('name_prefix', '')}{a}" for a in missing_areas],
                                               area_kind=profile["areas"].get("kind", "area"),
                                               note=profile["areas"].get("no_polygon_note",
                                                                         "no boundary published for this area"))],
                          ignore_index=True)
        names.update(dict(zip(areas["area_id"], areas["name"])))
        warnings.append(f"{len(missing_areas)} counted areas have no polygon ({', '.join(missing_areas)}): "
                        "their counts are stored and listed, never drawn")
    long["area_name"] = long["area_id"].map(names)
    long["source"] = profile.get("source") or profile.get("name")
    counts = long[["source", "area_id", "area_name", "month", "measure", "value", "status", "row_number"]]
    bad = np.flatnonzero(~ok)
    raw_cols = [c for c in f.columns if not str(c).startswith("__")]
    q = pd.DataFrame({
        "row_number": rows[bad], "outcome": "quarantined", "reasons": [reasons[i] for i in bad],
        "detail": ["; ".join(REASON_TEXT.get(c, c) for c in reasons[i]) for i in bad],
        "raw": [json.dumps({c: (None if pd.isna(f[c].iat[i]) else str(f[c].iat[i])) for c in raw_cols},
                           ensure_ascii=False) for i in bad],
    })
    return AreaPrepared(areas, counts, q, n, warnings)


REASON_TEXT = {
    "AREA_MISSING": "no area code",
    "MONTH_INVALID": "year or month that cannot be read",
    "VALUE_UNREADABLE": "a count that cannot be read as a number",
}


def import_area_counts(con, path: str | Path, profile: dict, *, user: str | None = None,
                       original_name: str | None = None, in_transaction: bool = True):
    """Import a file of counts per area and month (profile kind :data:`KIND`).

    Called by :func:`intel.ingest.import_file`; the same batch bookkeeping: a file already
    imported with the same profile (same SHA-256 and options) changes nothing. Input rows
    count as *accepted* (stored in ``area_counts``) or *quarantined* (listed in
    ``quarantine`` with their raw values and reasons). The profile's areas replace any stored
    areas of the same source.

    Returns
    -------
    intel.import_result.ImportResult
    """
    path = Path(path)
    name = original_name or path.name
    sha = file_sha256(path)
    options = {"profile": profile.get("name"), "kind": KIND, "area_counts": profile.get("area_counts"),
               "areas": profile.get("areas")}
    opt_json = json.dumps(options, sort_keys=True, default=str)
    prev = con.execute("SELECT batch_id, rows_read, rows_accepted, rows_quarantined, rows_rejected FROM batches "
                       "WHERE sha256 = ? AND options = ?::JSON", [sha, opt_json]).fetchone()
    if prev:
        return ImportResult(prev[0], name, sha, prev[1], prev[2], prev[3], prev[4], already_imported=True)
    raw = readers.read_table(path)
    prep = prepare_area_counts(raw, profile)
    n_q = len(prep.quarantine)
    res = ImportResult(None, name, sha, prep.rows_read, prep.rows_read - n_q, n_q, 0,
                       warnings=list(raw.warnings) + prep.warnings)
    source = profile.get("source") or profile.get("name")

    def write() -> int:
        batch_id = store.next_id(con, "batches", "batch_id")
        con.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, ?)",
                    [batch_id, source, name, sha, profile.get("name"), datetime.now(timezone.utc).replace(tzinfo=None),
                     user, res.rows_read, res.accepted, res.quarantined, 0, opt_json, json.dumps(res.warnings), None])
        con.execute("DELETE FROM areas WHERE source = ?", [source])
        a = prep.areas.assign(source=source, batch_id=batch_id)
        con.register("_areas", a)
        con.execute("""INSERT INTO areas SELECT source, area_id, name, area_kind, country_iso3, admin1, latitude,
                       longitude, area_km2, radius_km, geom_wkb, note, batch_id FROM _areas""")
        con.unregister("_areas")
        import pyarrow as pa

        c = prep.counts.assign(batch_id=batch_id)
        c = pa.Table.from_pandas(c.astype({"source": str, "area_id": str, "area_name": str, "measure": str,
                                           "status": str}), preserve_index=False)
        con.register("_ac", c)
        con.execute("""INSERT INTO area_counts SELECT source, area_id, area_name, CAST(month AS DATE), measure,
                       value, status, batch_id, row_number FROM _ac""")
        con.unregister("_ac")
        if n_q:
            first = con.execute("SELECT coalesce(max(quarantine_id), 0) + 1 FROM quarantine").fetchone()[0]
            q = prep.quarantine.assign(quarantine_id=np.arange(first, first + n_q), batch_id=batch_id)
            con.register("_aq", q)
            con.execute("""INSERT INTO quarantine SELECT quarantine_id, batch_id, row_number, NULL, NULL, outcome,
                           reasons, detail, raw::JSON, NULL, NULL, NULL, NULL, NULL, NULL FROM _aq""")
            con.unregister("_aq")
        audit(con, "import", {"batch_id": int(batch_id), "file": name, "sha256": sha, "kind": KIND,
                              "accepted": res.accepted, "quarantined": res.quarantined}, user)
        return int(batch_id)

    if in_transaction:
        with transaction(con):
            res.batch_id = write()
    else:
        res.batch_id = write()
    return res


# ---------------------------------------------------------------------------------- analyses

def measures(con, source: str | None = None) -> list[str]:
    """Measures stored for ``source`` (all sources when None), sorted."""
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    return [r[0] for r in con.execute(f"SELECT DISTINCT measure FROM area_counts {where} ORDER BY 1", params).fetchall()]


def area_totals(con, source: str | None = None, measure: str = "arma_fogo_total", date_from=None,
                date_to=None) -> pd.DataFrame:
    """Total of ``measure`` per area over the half-open period ``[date_from, date_to)`` of months.

    A month is in the period when its first day is. Months whose value is missing
    (``placeholder`` or ``not recorded``) are counted apart, never as zero.

    Parameters
    ----------
    source : str, optional
        ``area_counts.source`` (all sources when None).
    measure : str
        The publisher's column, e.g. ``'arma_fogo_total'`` (firearms), ``'arma_fogo_fuzil'``
        (rifles).
    date_from, date_to : str or date, optional
        ISO dates; half-open.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``source``, ``area_id``, ``name``, ``value`` (sum over recorded
        months; NaN when none is recorded), ``months_recorded``, ``months_missing``,
        ``first_month``, ``last_month`` (recorded), ``area_km2``, ``radius_km`` (km),
        ``latitude``, ``longitude`` (a point inside the area, degrees), ``has_polygon``,
        ``value_per_100km2``; sorted by value, largest first.
    """
    parts = ["c.measure = ?"]
    params: list = [measure]
    if source:
        parts.append("c.source = ?")
        params.append(source)
    per, pp = period_sql("c.month", date_from, date_to)
    parts += per
    params += pp
    df = con.execute(f"""
        SELECT c.source, c.area_id, coalesce(a.name, any_value(c.area_name)) AS name,
               sum(c.value) FILTER (WHERE c.status = 'recorded') AS value,
               count(*) FILTER (WHERE c.status = 'recorded') AS months_recorded,
               count(*) FILTER (WHERE c.status <> 'recorded') AS months_missing,
               min(c.month) FILTER (WHERE c.status = 'recorded') AS first_month,
               max(c.month) FILTER (WHERE c.status = 'recorded') AS last_month,
               a.area_km2, a.radius_km, a.latitude, a.longitude, a.geom_wkb IS NOT NULL AS has_polygon
        FROM area_counts c LEFT JOIN areas a ON a.source = c.source AND a.area_id = c.area_id
        WHERE {' AND '.join(parts)}
        GROUP BY c.source, c.area_id, a.name, a.area_km2, a.radius_km, a.latitude, a.longitude, has_polygon
        ORDER BY value DESC NULLS LAST, c.area_id""", params).df()
    df["has_polygon"] = df["has_polygon"].fillna(False).astype(bool)
    df["value_per_100km2"] = df["value"] / df["area_km2"] * 100.0
    return df


def area_polygons(con, source: str | None = None, measure: str = "arma_fogo_total", date_from=None, date_to=None):
    """:func:`area_totals` with each area's polygon, for maps drawn over the areas.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`area_totals` and ``geometry`` (EPSG:4326). Areas without a
        polygon are left out; ``attrs['no_polygon']`` lists them (``area_id``, ``name``,
        ``value``) so a page can say which counts it cannot draw.
    """
    import geopandas as gpd
    import shapely

    t = area_totals(con, source, measure, date_from, date_to)
    params: list = []
    where = ""
    if source:
        where, params = "WHERE source = ?", [source]
    g = con.execute(f"SELECT source, area_id, geom_wkb FROM areas {where}", params).df()
    t = t.merge(g, on=["source", "area_id"], how="left")
    has = t["geom_wkb"].notna()
    out = gpd.GeoDataFrame(t[has].drop(columns="geom_wkb").reset_index(drop=True),
                           geometry=shapely.from_wkb(t.loc[has, "geom_wkb"].map(bytes).to_numpy()), crs="EPSG:4326")
    out.attrs["no_polygon"] = t.loc[~has, ["area_id", "name", "value"]].reset_index(drop=True)
    return out


def area_radius_km(area_km2: float) -> float:
    """Radius in km of the circle of ``area_km2`` km2 (the equal-area radius)."""
    return math.sqrt(float(area_km2) / math.pi)
