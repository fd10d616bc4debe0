"""Probable duplicates between agencies, and re-seizure leads.

Two agencies often report the same seizure (police and customs at a border post). A new record
is a *probable duplicate* of a stored one (or of another new one) when all of these hold:

* they come from different agencies (``seizing_agency``, else ``source``);
* they lie within ``distance_km`` of each other (geodesic, on the WGS84 mean sphere, R = 6371.0088 km);
* their dates differ by at most ``window_days`` (UTC calendar days);
* their firearm attributes agree: equal serial keys when both have one; otherwise the same
  firearm type, calibre and quantity where both give them.

Being in the same H3 cell is deliberately *not* a criterion: two points 30 m apart can sit in
different cells and two points 300 m apart in the same one. A probable duplicate is merged into
the first record's incident (same ``incident_key``), keeps its own row with status
``duplicate`` (so both sources are listed and nothing is lost) and is left out of sums, so the
seizure counts once. Deduplication can be switched off per import.

A serial key already stored for another incident is a *re-seizure lead*
(``RESEIZURE_LEAD``): the firearm was seized again elsewhere or later. Such records are linked,
never merged (see :mod:`intel.links`).

How the pairs are found (the output is what comparing every pair gives; ``tests/test_dedup.py``
checks it against such a brute force):

1. The *pool* is the located stored records (in their order) followed by the located accepted
   new records (in file order). Records without a date give no pair and are dropped; a pool of
   one agency stops the search at once.
2. Each record gets a latitude band at least as tall as the largest latitude difference of two
   points within ``distance_km`` (their central angle), and the records are sorted by (band,
   day). Each is entered a second time, as a *shadow* one band lower, and the two sorted runs
   are merged: the possible partners of a record are then the entries at most ``window_days``
   away in that order, records of its band or shadows of records of the next band. Runs are
   read off by offsets 1, 2, ... (binary searches for the long runs of dense places). Unlike a
   2-D spatial index this uses the dates too, so a place with years of records does not give
   years of candidates, and no cell (H3 or other) decides anything: the bands only bound.
3. The candidates are filtered with numbers only: at least one new record, different agencies,
   latitude and longitude bounds, then the chord between unit vectors (squared chord summed
   over x, y, z <= ``(2 sin(distance_km / 2R))**2``, the test a k-d tree ball query makes), in
   chunks of pairs so that memory stays bounded. Only the rows of the pairs left are read as
   Python objects to compare serial keys and attributes; whole text columns never are.
4. The nearest match of each new record is kept (among equally near ones the first in pool
   order); the matches are listed by the new record's agency (sorted as text), then by record.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from intel.geodesy import chord_for_km, km_for_chord
from intel.geodesy import unit_vectors

from intel.serials import placeholder_keys

PAIR_COLUMNS = ["new_pos", "match_incident_key", "match_event_id", "distance_km", "days"]
_CHUNK = 1 << 22   # candidate pairs examined at once: bounds the memory on dense data


def _key(v) -> str | None:
    """A usable serial key, or None (missing, NaN, empty or not text)."""
    return v if isinstance(v, str) and v else None


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=PAIR_COLUMNS)


def _values(frame: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
    """Values of column ``name`` at row positions ``rows``, as Python objects, shape (len(rows),).

    Only these rows are converted (an Arrow text column is never turned into objects whole);
    a column the frame lacks reads as missing (NaN).
    """
    if name not in frame.columns:
        return np.full(len(rows), np.nan, dtype=object)
    return frame[name].iloc[rows].to_numpy(dtype=object)


def _take(a: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``a[rows]`` for increasing row positions; ``a`` itself (no copy) when they are all rows."""
    return a if len(rows) == len(a) else a[rows]


def _pool(old_part: np.ndarray, new_part: np.ndarray) -> np.ndarray:
    """Stored values followed by new ones (no copy when nothing is stored)."""
    return np.concatenate([old_part, new_part]) if len(old_part) else new_part


def _days(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """``event_date`` of the rows as UTC calendar days since 1970, int64 shape (len(rows),);
    NaT (missing date) as the smallest int64."""
    if "event_date" not in frame.columns:
        return np.full(len(rows), np.iinfo(np.int64).min, dtype=np.int64)
    d = pd.to_datetime(frame["event_date"]).to_numpy("datetime64[D]")
    return _take(d, rows).view(np.int64)


def _agencies(frame: pd.DataFrame, rows: np.ndarray, labels: dict) -> np.ndarray:
    """Agency of the rows (``seizing_agency``, else ``source``) as codes, int64 shape (len(rows),).

    ``labels`` maps each agency text to its code and is extended with new ones; a record with
    neither column filled gets -1 (all such records count as one agency). The text is compared
    as ``str(value)``. Only the distinct values are converted to Python objects.
    """
    sa = frame["seizing_agency"] if "seizing_agency" in frame.columns else None
    src = frame["source"] if "source" in frame.columns else None
    lab = sa if src is None else src if sa is None else sa.fillna(src)
    if lab is None or not len(rows):
        return np.full(len(rows), -1, dtype=np.int64)
    codes, uniq = pd.factorize(lab)
    to_global = np.array([labels.setdefault(str(v), len(labels)) for v in uniq] + [-1], dtype=np.int64)
    return to_global[_take(codes, rows)]   # factorize's -1 (missing) picks the last entry, -1


def _sort_order(band: np.ndarray, day: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Permutation sorting the records by ``key`` = (band, day), shape (n,).

    Two stable 16-bit radix sorts (day, then band) when both fit, about twice as fast as a
    comparison sort of the 64-bit key; else that sort.
    """
    if band.max() < 1 << 16 and day.max() < 1 << 16:
        order = np.argsort(day.astype(np.uint16), kind="stable")
        return order[np.argsort(band[order].astype(np.uint16), kind="stable")]
    return np.argsort(key, kind="stable")


def _close_runs(keys: np.ndarray, window: int, steps: int = 32):
    """Pairs of places (a, b), a < b, of a sorted integer array whose keys differ by at most
    ``window``, yielded in batches (at most ``len(keys)`` pairs each, or about ``_CHUNK``).

    Offsets b - a = 1, 2, ... are tried in turn on the places still within the window (each
    step costs the places left: few in sparse data); places still within after ``steps`` offsets
    (long runs: dense places) get the rest of their run by binary search.
    """
    act = np.flatnonzero(np.diff(keys) <= window)
    k = 1
    while len(act) and k <= steps:
        yield act, act + k
        k += 1
        act = act[act + k < len(keys)]
        act = act[keys[act + k] - keys[act] <= window]
    if len(act):
        first = act + k
        count = np.searchsorted(keys, keys[act] + window, "right") - first
        cum = np.cumsum(count)
        bounds = np.unique(np.r_[0, np.searchsorted(cum, np.arange(_CHUNK, cum[-1], _CHUNK), "right"), len(act)])
        for c0, c1 in zip(bounds[:-1], bounds[1:]):
            n = count[c0:c1]
            yield (np.repeat(act[c0:c1], n),
                   np.repeat(first[c0:c1] - (np.cumsum(n) - n), n) + np.arange(int(n.sum())))


def _near_pairs(lat: np.ndarray, lon: np.ndarray, day: np.ndarray, code: np.ndarray, n_old: int,
                chord2: float, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Pool positions (i, j), i > j, of the pairs near in space and time, of different agencies,
    with at least one new record (position >= ``n_old``).

    Parameters
    ----------
    lat, lon : ndarray of float, shape (n,)
        Degrees WGS84; rows with NaN or NaT are never paired.
    day : ndarray of int64, shape (n,)
        Days since 1970 (the smallest int64 for a missing date).
    code : ndarray of int64, shape (n,)
        Agency codes.
    n_old : int
        Number of stored records (the first rows of the pool).
    chord2 : float
        Largest squared chord between unit vectors (dimensionless; ``(2 sin(d / 2R))**2``).
    window : int
        Largest difference of days, >= 0.

    Returns
    -------
    i, j : ndarray of int64, shape (k,)
        The pairs, each once, in no particular order: ``|day[i] - day[j]| <= window`` and the
        squared chord, summed over x, y, z in that order (as a k-d tree's ball query sums it),
        ``<= chord2``.

    Notes
    -----
    Records are sorted by ``key = band * span + day`` (latitude band, then day; ``span`` exceeds
    every day difference plus the window). Each record is entered twice: at its key and, as a
    *shadow*, at its key minus ``span`` (among the records of the band below). Two entries at
    most ``window`` apart are then two records of one band, or a record and the shadow of a
    record of the next band, both within the window of days; two shadows repeat a pair of
    records and are skipped. As both runs are sorted, merging them is linear (timsort).
    Before the chord, two bounds that need no unit vector drop most candidates: the latitude
    difference (at most the band height) and ``dlon * cos(largest |latitude|) <= pi * chord / 2``.
    """
    none = (np.empty(0, np.int64), np.empty(0, np.int64))
    sel = np.flatnonzero((day != np.iinfo(np.int64).min) & np.isfinite(lat) & np.isfinite(lon))
    if len(sel) < 2 or not (sel >= n_old).any() or (code[sel] == code[sel[0]]).all():
        return none   # nothing new, or one agency only: no pair
    day_s = _take(day, sel)
    day_s = day_s - day_s.min()
    window = int(min(window, day_s.max()))
    span = int(day_s.max()) + window + 1          # days of one band in the key, with room for the window
    # a band at least as tall as the latitude difference of two records within the chord (the
    # central angle bounds it), with a margin for rounding; capped so that the key fits in int64
    angle = 2 * np.arcsin(min(1.0, np.sqrt(chord2) / 2))
    height = max(np.degrees(angle) * (1 + 1e-6) + 1e-9, 180.0 * span / 2.0 ** 60)
    band = _take(lat, sel) + 90.0
    band /= height
    band = np.floor(band, out=band).astype(np.int64)
    band -= band.min()
    key = band * span
    key += day_s
    order = _sort_order(band, day_s, key)
    ks = key[order]
    m = len(ks)
    entries = np.concatenate([ks, ks - span])
    if ks[-1] + span < 1 << 31:
        entries = entries.astype(np.int32)        # half the memory traffic of the merge
    merge = np.argsort(entries, kind="stable")    # two sorted runs: entry e < m is record order[e]
    entries = entries[merge]
    pool_of = sel[order] if len(sel) < len(lat) else order   # pool position of each sorted place
    del order, ks, key, band, day_s
    # longitudes: sin(dlon/2) <= sin(angle/2) / cos(largest |latitude|) (haversine), and
    # dlon/2 <= pi/2 sin(dlon/2), so dlon * cos(largest |latitude|) <= pi * chord / 2 (radians)
    lon_bound = np.pi * np.sqrt(chord2) / 2 * (1 + 1e-6) + 1e-12
    xyz = None
    out_i, out_j = [], []
    for a, b in _close_runs(entries, window):
        a, b = merge[a], merge[b]
        keep = (a < m) | (b < m)                   # two shadows: a pair of records found as such
        a, b = a[keep], b[keep]
        a = pool_of[np.where(a < m, a, a - m)]
        b = pool_of[np.where(b < m, b, b - m)]
        la, lb = lat[a], lat[b]
        keep = np.abs(la - lb) <= height
        a, b, la, lb = a[keep], b[keep], la[keep], lb[keep]
        dlon = np.abs((lon[a] - lon[b] + 180.0) % 360.0 - 180.0)
        keep = np.radians(dlon) * np.cos(np.radians(np.maximum(np.abs(la), np.abs(lb)))) <= lon_bound
        a, b = a[keep], b[keep]
        keep = ((a >= n_old) | (b >= n_old)) & (code[a] != code[b])
        a, b = a[keep], b[keep]
        if not len(a):
            continue
        if xyz is None and len(a) > len(lat):   # dense: every unit vector once
            xyz = unit_vectors(lat, lon)
        d = xyz[a] - xyz[b] if xyz is not None else unit_vectors(lat[a], lon[a]) - unit_vectors(lat[b], lon[b])
        keep = (d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2] <= chord2
        a, b = a[keep], b[keep]
        out_i.append(np.maximum(a, b))
        out_j.append(np.minimum(a, b))
    if not out_i:
        return none
    return np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64)


def probable_duplicates(new: pd.DataFrame, old: pd.DataFrame, distance_km: float = 1.0,
                        window_days: int = 2) -> pd.DataFrame:
    """Pairs (new record, earlier record) that are probably the same seizure.

    Parameters
    ----------
    new : DataFrame, shape (n, ...)
        Records being imported, with columns ``latitude``, ``longitude`` (degrees WGS84),
        ``event_date``, ``seizing_agency``, ``source``, ``serial_key``, ``firearm_type``,
        ``calibre``, ``quantity``, ``incident_key``, ``status``. Text columns may be object or
        pandas ``str`` (Arrow-backed); missing values may be None or NaN. Only the located
        (``latitude`` given) ``accepted`` records are matched.
    old : DataFrame, shape (m, ...)
        Stored records (same columns plus ``event_id``), e.g. from :func:`stored_candidates`.
    distance_km : float
        Largest geodesic distance in km, on the sphere of radius :data:`intel.geodesy.EARTH_RADIUS_KM`
        (compared as the chord between unit vectors, ``2 sin(d / 2R)``).
    window_days : int
        Largest difference of dates in days (a negative window matches nothing).

    Returns
    -------
    DataFrame, shape (k, 5), k <= n
        ``new_pos`` (row position in ``new``), ``match_incident_key``, ``match_event_id``
        (None for a match inside ``new``), ``distance_km`` (great-circle, km), ``days``
        (absolute difference). At most one match per new record: the nearest, and among equally
        near ones the first stored record, else the first new one in file order. Rows are listed
        by the new record's agency (sorted as text), then by ``new_pos``. An empty frame (no
        rows, object columns) when there is no pair.

    Raises
    ------
    KeyError
        When ``new`` lacks ``latitude`` or ``status``.

    Notes
    -----
    Candidates come from one sort by (latitude band, day) merged with shadows one band lower
    (see the module overview and :func:`_near_pairs`); the output equals the brute-force
    comparison of every pair (checked in ``tests/test_dedup.py``). A record with a latitude but
    no longitude is never paired; records with neither agency nor source count as one agency
    and are listed last. Cost O((n + m) log(n + m) + c) for c candidate pairs, memory bounded
    by chunks of pairs. No SciPy import.
    """
    ok = new["latitude"].notna().to_numpy() & (new["status"] == "accepted").to_numpy()
    if not ok.any():
        return _empty()
    new_rows = np.flatnonzero(ok)
    old_rows = (np.flatnonzero(old["latitude"].notna().to_numpy()) if "latitude" in old.columns
                else np.empty(0, np.int64))
    n_old = len(old_rows)
    if n_old + len(new_rows) < 2 or not window_days >= 0:
        return _empty()
    labels: dict = {}
    code = _pool(_agencies(old, old_rows, labels), _agencies(new, new_rows, labels))
    if (code == code[0]).all():   # one agency only: nothing to merge
        return _empty()

    def numbers(name):
        return _pool(old[name].to_numpy(float)[old_rows] if n_old else np.empty(0),
                     _take(new[name].to_numpy(float), new_rows))

    lat, lon = numbers("latitude"), numbers("longitude")
    day = _pool(_days(old, old_rows) if n_old else np.empty(0, np.int64), _days(new, new_rows))
    chord = chord_for_km(distance_km)
    chord2 = chord * chord
    if not np.isfinite(chord2):
        return _empty()
    window = int(np.floor(window_days)) if np.isfinite(window_days) else int(np.iinfo(np.int32).max)
    I, J = _near_pairs(lat, lon, day, code, n_old, chord2, window)
    if not len(I):
        return _empty()

    # attributes, read for the rows of these pairs only (pool positions: stored, then new)
    rows = np.unique(np.concatenate([I, J]))
    iu, ju = np.searchsorted(rows, I), np.searchsorted(rows, J)
    is_old = rows < n_old

    def values(name):
        return np.concatenate([_values(old, name, old_rows[rows[is_old]]),
                               _values(new, name, new_rows[rows[~is_old] - n_old])])

    keys = np.array([_key(v) for v in values("serial_key")] + [None], dtype=object)[:-1]
    has_key = keys != None  # noqa: E711
    same_attrs = np.ones(len(I), dtype=bool)
    for name in ("firearm_type", "calibre", "quantity"):
        v = values(name)
        na = pd.isna(v)
        same_attrs &= na[iu] | na[ju] | (v[iu] == v[ju])
    keep = np.where(has_key[iu] & has_key[ju], keys[iu] == keys[ju], same_attrs)
    I, J = I[keep], J[keep]
    if not len(I):
        return _empty()

    # distance of each pair (norms as dot products, like numpy.linalg.norm), nearest per record
    diff = unit_vectors(lat[I], lon[I]) - unit_vectors(lat[J], lon[J])
    norm = np.sqrt((diff[:, None, :] @ diff[:, :, None])[:, 0, 0])
    dist = km_for_chord(norm)
    order = np.lexsort((J, dist, I))
    I, J, dist = I[order], J[order], dist[order]
    first = np.r_[True, I[1:] != I[:-1]]
    I, J, dist = I[first], J[first], dist[first]
    # listed by agency (as text; no agency last), then by record
    rank = np.empty(len(labels) + 1, dtype=np.int64)
    rank[[labels[t] for t in sorted(labels)]] = np.arange(len(labels))
    rank[-1] = len(labels)
    order = np.lexsort((I, rank[code[I]]))
    I, J, dist = I[order], J[order], dist[order]
    stored = J < n_old
    inc = np.empty(len(J), dtype=object)
    eid = np.full(len(J), None, dtype=object)
    inc[stored] = _values(old, "incident_key", old_rows[J[stored]])
    inc[~stored] = _values(new, "incident_key", new_rows[J[~stored] - n_old])
    eid[stored] = [int(e) for e in _values(old, "event_id", old_rows[J[stored]])]
    out = zip(new_rows[I - n_old].tolist(), inc.tolist(), eid.tolist(), dist.tolist(),
              np.abs(day[I] - day[J]).tolist())
    return pd.DataFrame(list(out), columns=PAIR_COLUMNS)


def stored_candidates(con, new: pd.DataFrame, distance_km: float, window_days: int,
                      scope: str = "events") -> pd.DataFrame:
    """Stored accepted records near the new ones in space and time (one parameterised query).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store.
    new : DataFrame, shape (n, ...)
        Records being imported (``latitude``, ``longitude`` in degrees WGS84, ``event_date``).
    distance_km, window_days : float, int
        As for :func:`probable_duplicates`.
    scope : str
        Trusted SQL relation of the stored records to compare with (default the whole ``events``
        table); :mod:`intel.ingest` passes the records the importer may see
        (:func:`intel.auth.visible_events_sql`), so no hidden record is ever a candidate.

    Returns
    -------
    DataFrame, shape (m, 12)
        ``event_id, latitude, longitude, event_date, seizing_agency, source, serial_key,
        firearm_type, calibre, quantity, incident_key, status`` of the stored accepted records in
        the bounding box of the located new records (padded by 1.5 times the distance in degrees
        of latitude plus 0.01 degree, three times that in longitude) and within their dates
        +- the window. With no located new record: no row, the columns of ``new`` plus
        ``event_id``.
    """
    lat = new["latitude"].to_numpy(float)
    ok = ~np.isnan(lat)
    if not ok.any():
        return pd.DataFrame(columns=["event_id", *new.columns])
    lat = lat[ok]
    lon = new["longitude"].to_numpy(float)[ok]
    lon = lon[~np.isnan(lon)]   # skipped, as pandas' min and max skip them
    lon_lo, lon_hi = (lon.min(), lon.max()) if len(lon) else (np.nan, np.nan)
    pad = distance_km / 111.0 * 1.5 + 0.01
    d = pd.to_datetime(new["event_date"]).array[ok]
    dated = (~d.isna()).any()
    lo = (d.min() - pd.Timedelta(days=window_days)) if dated else pd.Timestamp("1900-01-01")
    hi = (d.max() + pd.Timedelta(days=window_days + 1)) if dated else pd.Timestamp("2100-01-01")
    return con.execute(
        f"""SELECT event_id, latitude, longitude, event_date, seizing_agency, source, serial_key, firearm_type,
                  calibre, quantity, incident_key, status
           FROM {scope} s WHERE status = 'accepted' AND latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?
             AND event_date >= ?::DATE AND event_date < ?::DATE""",
        [float(lat.min() - pad), float(lat.max() + pad), float(lon_lo - pad * 3), float(lon_hi + pad * 3),
         lo.date().isoformat(), hi.date().isoformat()]).df()


def _usable_keys(keys: pd.Series) -> np.ndarray:
    """Boolean mask, shape (n,), of the usable serial keys (see :func:`_key`), vectorised for text columns."""
    if isinstance(keys.dtype, pd.StringDtype):
        return (keys.notna() & (keys != "")).to_numpy(dtype=bool)
    return np.fromiter((_key(v) is not None for v in keys.to_numpy(dtype=object)), dtype=bool, count=len(keys))


def reseizure_leads(con, new: pd.DataFrame, scope: str = "events") -> np.ndarray:
    """Boolean mask of new records whose serial key is already stored for another incident.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The store; records with status ``quarantined`` are ignored.
    new : DataFrame, shape (n, ...)
        Records being imported, with ``serial_key`` and ``incident_key`` (object or pandas
        ``str`` columns).
    scope : str
        Trusted SQL relation of the stored records to compare with (default the whole ``events``
        table); :mod:`intel.ingest` passes the records the importer may see, so a hidden
        record's serial never makes a lead.

    Returns
    -------
    ndarray of bool, shape (n,)
        True where the record has a usable serial key (non-empty text) that is stored for at
        least one incident other than the record's own ``incident_key``.

    Notes
    -----
    One join in DuckDB of the rows with a usable key (row, key, incident, handed over as Arrow
    columns) with the stored records; no row is read as a Python object for text columns.
    """
    lead = np.zeros(len(new), bool)
    if con.execute(f"SELECT 1 FROM {scope} s WHERE serial_key IS NOT NULL AND status <> 'quarantined' "
                   "LIMIT 1").fetchone() is None:
        return lead   # no stored serial key: no lead (skips the key list and join)
    usable = _usable_keys(new["serial_key"])
    if not usable.any():
        return lead

    def text(column):   # the usable rows of a text column, as an Arrow string array (missing: null)
        if column not in new.columns:
            return pa.nulls(len(rows), pa.string())
        return pa.array(new[column].array[rows], type=pa.string(), from_pandas=True)

    rows = np.flatnonzero(usable)
    con.register("_keys", pa.table({"r": pa.array(rows), "k": text("serial_key"), "inc": text("incident_key")}))
    try:
        # placeholder keys ('SN', 'OBLITERATED') stored by older imports never make a lead
        hit = con.execute(f"""SELECT DISTINCT r FROM _keys JOIN {scope} s ON serial_key = k
                             WHERE status <> 'quarantined' AND incident_key IS DISTINCT FROM inc
                               AND NOT list_contains(?, k)""", [placeholder_keys()]).fetchnumpy()["r"]
    finally:
        con.unregister("_keys")
    lead[np.asarray(hit, dtype=np.int64)] = True
    return lead
