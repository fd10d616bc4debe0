"""Official crossings: UN/LOCODE border crossings and analysts' files, snapped on the fly.

Official crossings are the UN/LOCODE 2012-1 entries with the border-crossing function
(:func:`read_unlocode`), plus crossings imported by the analyst (CSV or GeoJSON,
:func:`read_crossings_file`); :func:`load_crossings` stores them. Positions are stored as
published; snapping to the nearest border of the crossing's own country is computed on the fly
(:func:`snap_crossings`), with the snapping distance, and a crossing farther than ``far_km``
from that border is *flagged*, never silently moved. In the bundled CBP seizures, Office of
Field Operations field offices stand for ports of entry (:func:`official_crossings` can add
their positions as crossings) and Border Patrol sectors for the stretches between the ports.

Which crossing a place is told about is decided by one rule, :func:`crossing_on_border`: only a
crossing on the place's own border (the country pair of its nearest stretch) and within
``min(250 km, that border's length + the place's distance to it)``; otherwise no name and no
distance, but a note such as "no official crossing known on this border (BFA-MLI)". The rule reads
whatever crossings it is given, so crossings an analyst imports (:func:`load_crossings`) count as
soon as they are stored. :func:`crossing_audit` lists the borders of some countries with the
number of crossings known on each (the audit line of ``intel crossings``).
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pycountry

from intel.borders.common import CROSSING_MAX_KM, FAR_KM, UNLOCODE_CSV, UNLOCODE_SOURCE
from intel.borders.distance import border_distance, nearest_on_index
from intel.borders.segments import BorderIndex, world_index
from intel.geodesy import geod
from intel.store import transaction

def _iso3(code) -> str | None:
    """ISO3 of an alpha-2, alpha-3 or English country name; None when unknown."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    s = str(code).strip()
    if not s:
        return None
    if s.upper() in ("XK", "XKX", "KOSOVO"):
        return "XKX"
    if len(s) == 2:
        c = pycountry.countries.get(alpha_2=s.upper())
    elif len(s) == 3:
        c = pycountry.countries.get(alpha_3=s.upper())
    else:
        try:
            c = pycountry.countries.lookup(s)
        except LookupError:
            c = None
    return c.alpha_3 if c is not None else None


@dataclass
class CrossingImport:
    """Summary of :func:`load_crossings`.

    Attributes
    ----------
    source : str
    read : int
        Rows read from the file.
    inserted : int
        Crossings written (new or replaced; ``crossing_id`` is the key).
    skipped : int
        Rows without usable coordinates or country.
    far_from_border : int
        Inserted crossings more than :data:`FAR_KM` from their border (flagged, not moved).
    messages : list of str
        One plain sentence per skipped or flagged row.
    countries : list of str
        ISO3 codes of the stored rows (both sides of each crossing), sorted; the countries
        whose borders ``intel crossings`` audits (:func:`crossing_audit`).
    """

    source: str
    read: int = 0
    inserted: int = 0
    skipped: int = 0
    far_from_border: int = 0
    messages: list = field(default_factory=list)
    countries: list = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.source}: {self.read} rows read, {self.inserted} crossings stored, "
                f"{self.skipped} skipped, {self.far_from_border} more than {FAR_KM:g} km from their border "
                f"(flagged, positions kept as published).")


def read_unlocode(path: str | Path = UNLOCODE_CSV) -> pd.DataFrame:
    """UN/LOCODE 2012-1 border crossings with coordinates, in the crossings-table columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``crossing_id`` ('UNLOCODE:' + code), ``name``, ``country_iso3`` (from the
        alpha-2 ``country`` with pycountry; Kosovo XKX), ``other_iso3`` (None, filled by
        snapping), ``latitude``, ``longitude`` (WGS84 degrees, degree-minute precision),
        ``crossing_type`` ('road', 'rail' or 'other'), ``source`` ('UN/LOCODE 2012-1').
        Only entries with the border-crossing function (B) and coordinates; a code listed
        twice (alternative names) is kept once. Same rows as :mod:`intel.reference` loads.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw[(raw["function-border"] == "B") & (raw["lat"] != "") & (raw["lon"] != "")]
    # a code listed twice (alternative names in brackets) is one place: keep the first entry
    raw = raw.drop_duplicates(subset="code", keep="first").reset_index(drop=True)
    df = pd.DataFrame({
        "crossing_id": "UNLOCODE:" + raw["code"],
        "name": raw["name"],
        "country_iso3": [_iso3(c) for c in raw["country"]],
        "other_iso3": None,
        "latitude": pd.to_numeric(raw["lat"], errors="coerce"),
        "longitude": pd.to_numeric(raw["lon"], errors="coerce"),
        "crossing_type": np.where(raw["function-road"] == "3", "road",
                                  np.where(raw["function-rail"] == "2", "rail", "other")),
        "source": UNLOCODE_SOURCE,
    })
    return df[df["latitude"].notna() & df["longitude"].notna()].reset_index(drop=True)


def fill_crossing_pairs(con, far_km: float = FAR_KM) -> int:
    """Fill ``crossings.other_iso3`` where it is NULL, from the nearest border of the crossing's country.

    Positions are not changed. Returns the number of rows updated.
    """
    df = con.execute("SELECT crossing_id, country_iso3, other_iso3, latitude, longitude FROM crossings "
                     "WHERE other_iso3 IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL").df()
    if df.empty:
        return 0
    s = snap_crossings(df, far_km=far_km)
    s = s[s["other_iso3"].notna()][["crossing_id", "other_iso3"]]
    if s.empty:
        return 0
    con.register("_cx_pairs", s)
    try:
        con.execute("UPDATE crossings SET other_iso3 = p.other_iso3 FROM _cx_pairs p "
                    "WHERE crossings.crossing_id = p.crossing_id")
    finally:
        con.unregister("_cx_pairs")
    return len(s)


_ALIASES = {
    "name": ("name", "crossing", "crossing_name", "post", "label"),
    "pair": ("country_pair", "pair", "countries", "border_pair", "border"),
    "country": ("country_iso3", "country", "iso3", "country_a"),
    "other": ("other_iso3", "other_country", "other", "country_b"),
    "latitude": ("latitude", "lat", "y"),
    "longitude": ("longitude", "lon", "lng", "long", "x"),
    "type": ("crossing_type", "type", "kind"),
}


def _pick(df: pd.DataFrame, key: str):
    cols = {c.lower().strip(): c for c in df.columns}
    for a in _ALIASES[key]:
        if a in cols:
            return df[cols[a]]
    return None


def read_crossings_file(path: str | Path, source: str = "analyst") -> pd.DataFrame:
    """Read an analyst's crossings file (CSV or GeoJSON).

    Expected fields (case-insensitive, common aliases accepted): ``name``, ``country_pair``
    (e.g. 'MEX-USA' or 'MX-US'; or ``country_iso3`` and ``other_iso3``), ``latitude``,
    ``longitude`` (WGS84 degrees; for GeoJSON the Point geometry, [lon, lat], is used when
    these are absent) and ``type``.

    Returns
    -------
    pandas.DataFrame
        Crossings-table columns plus ``problem`` (a sentence, or None when the row is usable).
        ``crossing_id`` is ``source:`` + 12 hex digits of the SHA-1 of name and rounded
        position, so re-importing the same file replaces rather than duplicates.

    Raises
    ------
    ValueError
        For a file type other than .csv, .geojson or .json, or a file without coordinates.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif suffix in (".geojson", ".json"):
        g = gpd.read_file(path)
        raw = pd.DataFrame(g.drop(columns="geometry"))
        if _pick(raw, "latitude") is None and g.geometry is not None:
            pts = g.geometry
            raw["latitude"] = [p.y if p is not None and p.geom_type == "Point" else None for p in pts]
            raw["longitude"] = [p.x if p is not None and p.geom_type == "Point" else None for p in pts]
    else:
        raise ValueError(f"crossings file must be .csv or .geojson, got {path.name}")
    lat = _pick(raw, "latitude")
    lon = _pick(raw, "longitude")
    if lat is None or lon is None:
        raise ValueError(f"{path.name} has no latitude/longitude columns")
    names = _pick(raw, "name")
    pairs = _pick(raw, "pair")
    ca, cb = _pick(raw, "country"), _pick(raw, "other")
    types = _pick(raw, "type")
    rows = []
    for i in range(len(raw)):
        la = pd.to_numeric(pd.Series([lat.iloc[i]]), errors="coerce").iloc[0]
        lo = pd.to_numeric(pd.Series([lon.iloc[i]]), errors="coerce").iloc[0]
        name = str(names.iloc[i]).strip() if names is not None else f"crossing {i + 1}"
        a = b = None
        if pairs is not None and str(pairs.iloc[i]).strip():
            parts = [p for p in re.split(r"[-/|,; ]+", str(pairs.iloc[i]).strip()) if p]
            if len(parts) == 2:
                a, b = _iso3(parts[0]), _iso3(parts[1])
        if a is None and ca is not None:
            a = _iso3(ca.iloc[i])
        if b is None and cb is not None:
            b = _iso3(cb.iloc[i])
        problem = None
        if not (np.isfinite(la) and np.isfinite(lo)):
            problem = f"row {i + 1} ({name}): no readable latitude/longitude"
        elif abs(la) > 90 or abs(lo) > 180:
            problem = f"row {i + 1} ({name}): coordinates out of range ({la}, {lo})"
        key = f"{name}|{round(float(la), 5) if np.isfinite(la) else ''}|{round(float(lo), 5) if np.isfinite(lo) else ''}"
        rows.append({
            "crossing_id": f"{source}:{hashlib.sha1(key.encode()).hexdigest()[:12]}",
            "name": name, "country_iso3": a, "other_iso3": b,
            "latitude": float(la) if np.isfinite(la) else None,
            "longitude": float(lo) if np.isfinite(lo) else None,
            "crossing_type": (str(types.iloc[i]).strip() or None) if types is not None else None,
            "source": source, "problem": problem,
        })
    return pd.DataFrame(rows)


def snap_crossings(df: pd.DataFrame, index: BorderIndex | None = None, far_km: float = FAR_KM) -> pd.DataFrame:
    """Snap crossings to the nearest border of their own country (or pair), without moving them.

    Parameters
    ----------
    df : pandas.DataFrame, shape (n, ...)
        At least ``latitude``, ``longitude`` (WGS84 degrees); optional ``country_iso3`` and
        ``other_iso3``. When both codes form a known pair the crossing snaps to that pair's
        border; with one code, to the nearest border of that country; otherwise to the
        nearest border of any pair.
    index : BorderIndex, optional
        Default the bundled Natural Earth borders.
    far_km : float
        Snapping distance, km, beyond which ``far_from_border`` is True.

    Returns
    -------
    pandas.DataFrame, shape (n, ...)
        A copy of ``df`` with ``snap_km`` (geodesic km, WGS84, NaN without coordinates),
        ``snapped_latitude``, ``snapped_longitude`` (the nearest border point, degrees),
        ``snap_pair``, ``snap_segment``, ``other_iso3`` (filled from the pair when missing)
        and ``far_from_border`` (bool). ``latitude``/``longitude`` are unchanged.
    """
    index = index if index is not None else world_index()
    out = df.copy().reset_index(drop=True)
    n = len(out)
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(dtype="float64")
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(dtype="float64")
    ca = out["country_iso3"] if "country_iso3" in out else pd.Series([None] * n)
    cb = out["other_iso3"] if "other_iso3" in out else pd.Series([None] * n)
    segs = index.segments
    pairs_known = set(segs["pair"])
    keys = []
    for a, b in zip(ca, cb):
        a = a if isinstance(a, str) and a else None
        b = b if isinstance(b, str) and b else None
        if a and b and "-".join(sorted((a, b))) in pairs_known:
            keys.append(("pair", "-".join(sorted((a, b)))))
        elif a and ((segs["iso3_a"] == a) | (segs["iso3_b"] == a)).any():
            keys.append(("country", a))
        else:
            keys.append(("any", ""))
    km = np.full(n, np.nan)
    slat = np.full(n, np.nan)
    slon = np.full(n, np.nan)
    spair = np.full(n, None, dtype=object)
    sseg = np.full(n, None, dtype=object)
    keys_arr = np.array([f"{k}:{v}" for k, v in keys], dtype=object)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    for key in sorted(set(keys_arr[ok])):
        kind, val = key.split(":", 1)
        if kind == "pair":
            mask = (segs["pair"] == val).to_numpy()
        elif kind == "country":
            mask = ((segs["iso3_a"] == val) | (segs["iso3_b"] == val)).to_numpy()
        else:
            mask = np.ones(len(segs), dtype=bool)
        sub = index.subset(mask) if kind != "any" else index
        rows = np.flatnonzero(ok & (keys_arr == key))
        qlat, qlon, seg = nearest_on_index(sub, lat[rows], lon[rows])
        _, _, d = geod().inv(lon[rows], lat[rows], qlon, qlat)
        km[rows] = np.asarray(d) / 1000.0
        slat[rows], slon[rows] = qlat, qlon
        spair[rows] = segs["pair"].to_numpy(dtype=object)[seg]
        sseg[rows] = segs["segment_id"].to_numpy(dtype=object)[seg]
    out["snap_km"] = km
    out["snapped_latitude"] = slat
    out["snapped_longitude"] = slon
    out["snap_pair"] = spair
    out["snap_segment"] = sseg
    other = []
    for a, b, p in zip(ca, cb, spair):
        if isinstance(b, str) and b:
            other.append(b)
        elif isinstance(p, str) and isinstance(a, str) and a in p.split("-"):
            other.append([c for c in p.split("-") if c != a][0] if p.split("-").count(a) == 1 else None)
        else:
            other.append(None)
    out["other_iso3"] = other
    out["far_from_border"] = ~(km <= float(far_km))
    return out


_CROSSING_COLS = ["crossing_id", "name", "country_iso3", "other_iso3", "latitude", "longitude",
                  "crossing_type", "source", "batch_id"]


def load_crossings(con, path: str | Path | None = None, source: str | None = "unlocode", batch_id: int | None = None,
                   far_km: float = FAR_KM) -> CrossingImport:
    """Store official crossings: the bundled UN/LOCODE list or an analyst's file.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Writable store connection.
    path : path, optional
        ``None`` loads the bundled UN/LOCODE 2012-1 border crossings (stored with source
        'UN/LOCODE 2012-1', ids 'UNLOCODE:<code>', as :mod:`intel.reference` does);
        otherwise a CSV or GeoJSON read by :func:`read_crossings_file`.
    source : str
        Source label of an analyst's file (ignored for the bundled list).
    batch_id : int, optional
        Import batch to record.
    far_km : float
        Snapping distance, km, beyond which a crossing is reported as far from its border.

    Returns
    -------
    CrossingImport
        Counts and sentences. Positions are stored as published; the other country of the
        pair is taken from the nearest border of the crossing's country. Rows without usable
        coordinates are skipped and reported.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        For an unreadable file type or a file without coordinates.
    """
    if path is None:
        df = read_unlocode()
        df["problem"] = None
        source = UNLOCODE_SOURCE
    else:
        if not Path(path).exists():
            raise FileNotFoundError(f"crossings file {path} does not exist")
        df = read_crossings_file(path, source=source)
    summary = CrossingImport(source=source, read=len(df))
    bad = df["problem"].notna()
    summary.skipped = int(bad.sum())
    summary.messages += [p for p in df.loc[bad, "problem"]]
    good = df[~bad].drop(columns="problem").reset_index(drop=True)
    if good.empty:
        return summary
    snapped = snap_crossings(good, far_km=far_km)
    for r in snapped[snapped["far_from_border"]].itertuples():
        summary.messages.append(f"{r.name} ({r.country_iso3}): {r.snap_km:.1f} km from the nearest border of "
                                f"its country; flagged, position kept as published")
    summary.far_from_border = int(snapped["far_from_border"].sum())
    snapped["batch_id"] = batch_id
    rows = snapped[_CROSSING_COLS]
    con.register("_crossings_in", rows)
    try:
        with transaction(con):
            con.execute("DELETE FROM crossings WHERE crossing_id IN (SELECT crossing_id FROM _crossings_in)")
            con.execute(f"INSERT INTO crossings ({', '.join(_CROSSING_COLS)}) "
                        f"SELECT {', '.join(_CROSSING_COLS)} FROM _crossings_in")
    finally:
        con.unregister("_crossings_in")
    summary.inserted = len(rows)
    summary.countries = sorted({c for c in pd.concat([rows["country_iso3"], rows["other_iso3"]])
                                if isinstance(c, str) and c})
    return summary


def official_crossings(con, ports_as_crossings: bool = True, far_km: float = FAR_KM) -> pd.DataFrame:
    """Official crossings of the store, snapped on the fly, optionally with CBP field offices.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    ports_as_crossings : bool
        Add one crossing per place of accepted events whose ``place_type`` is
        ``'port of entry'`` (in the bundled CBP data: the headquarters town of an Office of
        Field Operations field office, which stands for its ports of entry), source
        ``'port of entry (events)'``.
    far_km : float
        Threshold of ``far_from_border``, km.

    Returns
    -------
    pandas.DataFrame
        Crossings-table columns plus the columns of :func:`snap_crossings`.
    """
    df = con.execute(f"SELECT {', '.join(_CROSSING_COLS)} FROM crossings "
                     "WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY crossing_id").df()
    if ports_as_crossings:
        ports = con.execute(
            """SELECT coalesce(location_name, unit, 'port of entry') AS name, any_value(country_iso3) AS country_iso3,
                      round(avg(latitude), 6) AS latitude, round(avg(longitude), 6) AS longitude
               FROM events WHERE status = 'accepted' AND place_type = ? AND latitude IS NOT NULL
               GROUP BY 1 ORDER BY 1""", ["port of entry"]).df()
        if not ports.empty:
            ports["crossing_id"] = "port:" + ports["name"]
            ports["other_iso3"] = None
            ports["crossing_type"] = "port of entry (events)"
            ports["source"] = "port of entry (events)"
            ports["batch_id"] = None
            df = pd.concat([df.astype(object), ports[_CROSSING_COLS].astype(object)], ignore_index=True)
    if df.empty:
        return pd.DataFrame(columns=_CROSSING_COLS + ["snap_km", "snapped_latitude", "snapped_longitude",
                                                      "snap_pair", "snap_segment", "far_from_border"])
    df["latitude"] = df["latitude"].astype(float)
    df["longitude"] = df["longitude"].astype(float)
    return snap_crossings(df, far_km=far_km)


# --------------------------------------------------------------------------- crossings on a place's own border
def no_crossing_note(pair: str, limit_km: float | None = None) -> str:
    """The sentence given instead of a crossing name.

    ``"no official crossing known on this border (BFA-MLI)"`` when the border has none at all;
    ``"no official crossing known within 250 km on this border (MEX-USA)"`` when its known
    crossings all lie beyond the limit of :func:`crossing_on_border`. ``pair`` is the sorted
    ISO 3166-1 alpha-3 pair, as in ``events.border_pair``.
    """
    if limit_km is None:
        return f"no official crossing known on this border ({pair})"
    return f"no official crossing known within {limit_km:,.0f} km on this border ({pair})"


NO_LAND_BORDER_NOTE = "no international land border known for this place"
"""Note of a place whose border index holds no land border at all."""


def crossing_text(name, km, note) -> str:
    """One line for a table cell, tooltip or CLI: ``"Rosso (45.8 km)"``, else the note, else ``"-"``.

    ``name`` and ``km`` as returned by :func:`crossing_on_border` (``crossing_name``,
    ``crossing_km`` in km); ``note`` its ``crossing_note``. Missing values (None, NaN) count as
    absent.
    """
    def given(v):
        return v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""

    if given(name):
        return f"{name} ({float(km):,.1f} km)" if given(km) else str(name)
    return str(note) if given(note) else "-"


def _crossing_pairs(crossings: pd.DataFrame, index: BorderIndex | None) -> np.ndarray:
    """Border pair of each crossing: ``snap_pair`` when present, else snapped with ``index``."""
    if "snap_pair" in crossings:
        return crossings["snap_pair"].to_numpy(dtype=object)
    return snap_crossings(crossings, index=index)["snap_pair"].to_numpy(dtype=object)


def border_lengths(index: BorderIndex | None = None) -> pd.Series:
    """Geodesic length of each country pair's land border, km (sum of its stretches), indexed by pair."""
    index = index if index is not None else world_index()
    return index.segments.groupby("pair")["length_km"].sum()


def crossing_on_border(lat, lon, crossings: pd.DataFrame, index: BorderIndex | None = None,
                       max_km: float = CROSSING_MAX_KM, border: pd.DataFrame | None = None) -> pd.DataFrame:
    """The official crossing to name for each place: one on the place's own border, or a note.

    The rule: a place's border is the country pair of its nearest border stretch
    (:func:`intel.borders.border_distance`). A crossing is named for the place only when it lies on
    that border (its snapped pair, :func:`snap_crossings`, is the same pair) and its geodesic
    distance from the place is at most ``min(max_km, L + d)``, where ``L`` is the length of the
    place's border (all stretches of the pair, km) and ``d`` the place's distance to it (km).
    Of the crossings that qualify, the nearest is named. Otherwise the name, id, source and
    distance are empty and ``crossing_note`` says why (:func:`no_crossing_note`), so that no
    distance longer than the border itself is ever reported as "nearest". Crossings on another
    border (another pair) are never named, however close.

    Parameters
    ----------
    lat, lon : array-like of float, shape (n,)
        Places, WGS84 degrees (EPSG:4326); NaN gives empty outputs and no note.
    crossings : pandas.DataFrame, shape (m, ...)
        ``name``, ``latitude``, ``longitude`` (degrees) and either ``snap_pair`` (as from
        :func:`official_crossings`) or the ``country_iso3`` / ``other_iso3`` columns that
        :func:`snap_crossings` snaps with ``index``; optional ``crossing_id`` and ``source``.
        Crossings imported by an analyst are used as soon as they are in this table.
    index : BorderIndex, optional
        Borders; default the bundled Natural Earth borders (:func:`world_index`).
    max_km : float
        Upper limit of the naming distance, km (default :data:`CROSSING_MAX_KM`, 250 km).
    border : pandas.DataFrame, optional
        ``border_km`` and ``border_pair`` of the places if already computed with the same
        ``index`` (shape (n, ...)); computed otherwise.

    Returns
    -------
    pandas.DataFrame, shape (n, 9)
        Same order as the input (RangeIndex). ``border_pair`` (sorted ISO3 pair or None),
        ``border_km``, ``border_length_km``, ``limit_km`` (the naming limit, km),
        ``crossing_id``, ``crossing_name``, ``crossing_source`` (None when none is named),
        ``crossing_km`` (geodesic km, WGS84; NaN when none is named) and ``crossing_note``
        (None when a crossing is named, else a sentence).

    Raises
    ------
    ValueError
        When ``lat`` and ``lon`` differ in length or a coordinate is out of range (as
        :func:`intel.borders.border_distance`).
    """
    lat = np.asarray(lat, dtype="float64").ravel()
    lon = np.asarray(lon, dtype="float64").ravel()
    if lat.shape != lon.shape:
        raise ValueError(f"lat and lon differ in length ({lat.shape[0]} vs {lon.shape[0]})")
    index = index if index is not None else world_index()
    n = len(lat)
    if border is None:
        border = border_distance(lat, lon, index=index)
    bkm = pd.to_numeric(pd.Series(np.asarray(border["border_km"])), errors="coerce").to_numpy(float)
    bpair = np.asarray(border["border_pair"], dtype=object)
    lengths = border_lengths(index)
    out = {"border_pair": bpair.copy(), "border_km": bkm, "border_length_km": np.full(n, np.nan),
           "limit_km": np.full(n, np.nan), "crossing_id": np.full(n, None, dtype=object),
           "crossing_name": np.full(n, None, dtype=object), "crossing_source": np.full(n, None, dtype=object),
           "crossing_km": np.full(n, np.nan), "crossing_note": np.full(n, None, dtype=object)}
    ok = np.isfinite(lat) & np.isfinite(lon)
    has_pair = np.array([isinstance(p, str) and bool(p) for p in bpair], dtype=bool)
    out["crossing_note"][ok & ~has_pair] = NO_LAND_BORDER_NOTE
    cx = crossings if crossings is not None else pd.DataFrame(columns=["name", "latitude", "longitude"])
    if len(cx):
        cx = cx[pd.to_numeric(cx["latitude"], errors="coerce").notna()
                & pd.to_numeric(cx["longitude"], errors="coerce").notna()].reset_index(drop=True)
    cpair = _crossing_pairs(cx, index) if len(cx) else np.array([], dtype=object)
    clat = pd.to_numeric(cx["latitude"]).to_numpy(float) if len(cx) else np.zeros(0)
    clon = pd.to_numeric(cx["longitude"]).to_numpy(float) if len(cx) else np.zeros(0)
    cname = cx["name"].to_numpy(dtype=object) if len(cx) else np.zeros(0, dtype=object)
    cid = cx["crossing_id"].to_numpy(dtype=object) if "crossing_id" in cx else np.full(len(cx), None, dtype=object)
    csrc = cx["source"].to_numpy(dtype=object) if "source" in cx else np.full(len(cx), None, dtype=object)
    g = geod()
    for pair in sorted({p for p in bpair[ok & has_pair]}):
        rows = np.flatnonzero(ok & has_pair & (bpair == pair))
        length = float(lengths.get(pair, 0.0))
        limit = np.minimum(float(max_km), length + bkm[rows])
        out["border_length_km"][rows] = length
        out["limit_km"][rows] = limit
        cand = np.flatnonzero(cpair == pair)
        if cand.size == 0:
            out["crossing_note"][rows] = no_crossing_note(pair)
            continue
        # every place of this pair against every crossing on it (targets and candidates: small tables)
        plon, plat = np.repeat(lon[rows], cand.size), np.repeat(lat[rows], cand.size)
        _, _, d = g.inv(plon, plat, np.tile(clon[cand], rows.size), np.tile(clat[cand], rows.size))
        d = np.asarray(d, float).reshape(rows.size, cand.size) / 1000.0
        best = np.argmin(d, axis=1)
        dbest = d[np.arange(rows.size), best]
        named = dbest <= limit
        j = cand[best]
        r_named, r_not = rows[named], rows[~named]
        out["crossing_id"][r_named] = cid[j[named]]
        out["crossing_name"][r_named] = cname[j[named]]
        out["crossing_source"][r_named] = csrc[j[named]]
        out["crossing_km"][r_named] = dbest[named]
        for r, lim in zip(r_not, limit[~named]):
            out["crossing_note"][r] = no_crossing_note(pair, float(lim))
    # object columns stay object (None, not NaN) so that "no crossing" reads as empty everywhere
    return pd.DataFrame({k: pd.Series(v, dtype=object if v.dtype == object else "float64") for k, v in out.items()})


def crossing_audit(countries, crossings: pd.DataFrame, index: BorderIndex | None = None) -> pd.DataFrame:
    """The land borders of some countries and how many official crossings are known on each.

    Parameters
    ----------
    countries : iterable of str
        ISO 3166-1 alpha-3 codes (e.g. the countries of an imported crossings file).
    crossings : pandas.DataFrame
        Known crossings with ``snap_pair`` (as from :func:`official_crossings`) or the columns
        :func:`snap_crossings` needs.
    index : BorderIndex, optional
        Borders; default the bundled Natural Earth borders.

    Returns
    -------
    pandas.DataFrame
        One row per country pair with at least one of ``countries`` in it, sorted by pair:
        ``pair`` (sorted ISO3 pair), ``length_km`` (geodesic km of the whole border) and
        ``crossings`` (number of known crossings snapped to that pair; 0 means the product
        names no crossing for places on that border, :func:`crossing_on_border`).
    """
    index = index if index is not None else world_index()
    codes = {str(c) for c in countries if isinstance(c, str) and c}
    segs = index.segments
    mine = segs[segs["iso3_a"].isin(codes) | segs["iso3_b"].isin(codes)]
    lengths = mine.groupby("pair")["length_km"].sum()
    cx = crossings[pd.to_numeric(crossings["latitude"], errors="coerce").notna()] if len(crossings) else crossings
    counts = pd.Series(_crossing_pairs(cx.reset_index(drop=True), index) if len(cx) else [], dtype=object).value_counts()
    out = pd.DataFrame({"pair": lengths.index.astype(str), "length_km": lengths.to_numpy(float)})
    out["crossings"] = [int(counts.get(p, 0)) for p in out["pair"]]
    return out.sort_values("pair").reset_index(drop=True)


def audit_sentence(audit: pd.DataFrame, countries) -> str:
    """One plain sentence from :func:`crossing_audit`, e.g. for ``intel crossings``."""
    codes = sorted({str(c) for c in countries if isinstance(c, str) and c})
    who = ", ".join(codes) if len(codes) <= 8 else f"{len(codes)} countries"
    if audit.empty:
        return f"The records' countries ({who}) have no international land border in the border data."
    none = audit[audit["crossings"] == 0]["pair"].tolist()
    s = (f"Borders of the records' countries ({who}): {len(none)} of {len(audit)} have no known official "
         f"crossing")
    if none:
        s += ": " + ", ".join(none[:12]) + (f" and {len(none) - 12} more" if len(none) > 12 else "")
        s += " (places on them get the note 'no official crossing known on this border')"
    return s + "."
