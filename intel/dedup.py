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
"""
from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _key(v) -> str | None:
    """A usable serial key, or None (missing, NaN or empty)."""
    return v if isinstance(v, str) and v else None


def _same(a, b) -> bool:
    """Attributes agree when equal or when either side does not give them."""
    if a is None or b is None:
        return True
    if isinstance(a, float) and np.isnan(a) or isinstance(b, float) and np.isnan(b):
        return True
    return a == b


def probable_duplicates(new: pd.DataFrame, old: pd.DataFrame, distance_km: float = 1.0,
                        window_days: int = 2) -> pd.DataFrame:
    """Pairs (new record, earlier record) that are probably the same seizure.

    Parameters
    ----------
    new : DataFrame, shape (n, ...)
        Records being imported, with columns ``latitude``, ``longitude`` (degrees WGS84),
        ``event_date``, ``seizing_agency``, ``source``, ``serial_key``, ``firearm_type``,
        ``calibre``, ``quantity``, ``incident_key``, ``status``.
    old : DataFrame
        Stored records (same columns plus ``event_id``).
    distance_km : float
        Largest geodesic distance in km.
    window_days : int
        Largest difference of dates in days.

    Returns
    -------
    DataFrame
        ``new_pos`` (row position in ``new``), ``match_incident_key``, ``match_event_id``
        (None for a match inside ``new``), ``distance_km``, ``days``. At most one match per
        new record: the nearest.
    """
    cols = ["new_pos", "match_incident_key", "match_event_id", "distance_km", "days"]
    ok = new["latitude"].notna().to_numpy() & (new["status"] == "accepted").to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=cols)
    # only the columns used below (the new records may carry every store column)
    use = [c for c in ("latitude", "longitude", "event_date", "seizing_agency", "source", "serial_key",
                       "firearm_type", "calibre", "quantity", "incident_key") if c in new.columns]
    pool = pd.concat([
        old.assign(_pos=-1, _is_new=False),
        new[use][ok].assign(_pos=np.flatnonzero(ok), _is_new=True, event_id=None),
    ], ignore_index=True)
    located = pool["latitude"].notna().to_numpy()
    pool = (pool if located.all() else pool[located]).reset_index(drop=True)
    if len(pool) < 2:
        return pd.DataFrame(columns=cols)
    agency = pool["seizing_agency"].fillna(pool["source"]).astype(str).to_numpy(object)
    if len(set(agency)) < 2:  # one agency only: nothing to merge
        return pd.DataFrame(columns=cols)
    xyz = _unit(pool["latitude"].to_numpy(float), pool["longitude"].to_numpy(float))
    chord = 2 * np.sin(distance_km / EARTH_RADIUS_KM / 2)
    dates = pd.to_datetime(pool["event_date"]).to_numpy("datetime64[D]")
    is_new = pool["_is_new"].to_numpy(bool)
    pos = pool["_pos"].to_numpy(int)
    from scipy.spatial import cKDTree   # imported here: most imports never need it

    keys = pool["serial_key"].to_numpy(dtype=object, na_value=None) if len(pool) else np.empty(0, dtype=object)
    na = pd.isna(keys)
    if pd.api.types.infer_dtype(keys[~na], skipna=True) in ("string", "empty"):
        keys = np.where(na | (keys == ""), None, keys)   # = _key of each value, for text keys
    else:
        keys = np.array([_key(v) for v in pool["serial_key"]] + [None], dtype=object)[:-1]
    has_key = keys != None  # noqa: E711
    attrs = pool[["firearm_type", "calibre", "quantity"]].to_numpy(object)
    attr_na = pd.isna(attrs)
    # every pair of records within the distance, from one tree (at most: the same test as a
    # ball query), kept when the first is new and the second of another agency; in the order
    # the rules visit them: by new record, then by position in the pool
    code, _ = pd.factorize(agency)
    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray").astype(np.int64)
    I = np.concatenate([pairs[:, 0], pairs[:, 1]])
    J = np.concatenate([pairs[:, 1], pairs[:, 0]])
    keep = is_new[I] & (code[I] != code[J])
    I, J = I[keep], J[keep]
    order = np.lexsort((J, I))
    I, J = I[order], J[order]
    # a new record matches stored ones, or new ones that come before it in the file
    keep = ~(is_new[J] & (pos[J] >= pos[I]))
    keep &= ~(np.isnat(dates[I]) | np.isnat(dates[J]))
    I, J = I[keep], J[keep]
    days = np.abs((dates[I] - dates[J]).astype(int))
    keep = days <= window_days
    I, J, days = I[keep], J[keep], days[keep]
    both = has_key[I] & has_key[J]
    same_key = keys[I] == keys[J]
    same_attrs = np.ones(len(I), dtype=bool)
    for k in range(attrs.shape[1]):
        same_attrs &= attr_na[I, k] | attr_na[J, k] | (attrs[I, k] == attrs[J, k])
    keep = np.where(both, same_key, same_attrs)
    best_by_i: dict[int, tuple] = {}
    for i, j, dd in zip(I[keep], J[keep], days[keep]):
        d = float(2 * EARTH_RADIUS_KM * np.arcsin(min(1.0, np.linalg.norm(xyz[i] - xyz[j]) / 2)))
        best = best_by_i.get(i)
        if best is None or d < best[3]:
            best_by_i[i] = (int(pos[i]), pool["incident_key"].iat[j],
                            None if is_new[j] else int(pool["event_id"].iat[j]), d, abs(int(dd)))
    # one match per new record, listed by agency (sorted) then by record
    rank = {a: r for r, a in enumerate(sorted(set(agency[is_new])))}
    out = [best_by_i[i] for i in sorted(best_by_i, key=lambda i: (rank[agency[i]], i))]
    return pd.DataFrame(out, columns=cols)


def stored_candidates(con, new: pd.DataFrame, distance_km: float, window_days: int) -> pd.DataFrame:
    """Stored accepted records near the new ones in space and time (one parameterised query)."""
    ok = new["latitude"].notna().to_numpy()
    if not ok.any():
        return pd.DataFrame(columns=["event_id", *new.columns])
    located = new[["latitude", "longitude"]][ok]   # only the columns the bounds need
    pad = distance_km / 111.0 * 1.5 + 0.01
    d = pd.to_datetime(new["event_date"][ok])
    lo = (d.min() - pd.Timedelta(days=window_days)) if d.notna().any() else pd.Timestamp("1900-01-01")
    hi = (d.max() + pd.Timedelta(days=window_days + 1)) if d.notna().any() else pd.Timestamp("2100-01-01")
    return con.execute(
        """SELECT event_id, latitude, longitude, event_date, seizing_agency, source, serial_key, firearm_type,
                  calibre, quantity, incident_key, status
           FROM events WHERE status = 'accepted' AND latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?
             AND event_date >= ?::DATE AND event_date < ?::DATE""",
        [float(located["latitude"].min() - pad), float(located["latitude"].max() + pad),
         float(located["longitude"].min() - pad * 3), float(located["longitude"].max() + pad * 3),
         lo.date().isoformat(), hi.date().isoformat()]).df()


def reseizure_leads(con, new: pd.DataFrame) -> np.ndarray:
    """Boolean mask of new records whose serial key is already stored for another incident."""
    if con.execute("SELECT 1 FROM events WHERE serial_key IS NOT NULL AND status <> 'quarantined' LIMIT 1").fetchone() is None:
        return np.zeros(len(new), bool)   # no stored serial key: no lead (skips the key list and join)
    keys = [k for k in new["serial_key"].dropna().unique() if _key(k)]
    if not keys:
        return np.zeros(len(new), bool)
    con.register("_keys", pd.DataFrame({"k": keys}))
    seen = con.execute("""SELECT DISTINCT serial_key, incident_key FROM events JOIN _keys ON serial_key = k
                          WHERE status <> 'quarantined'""").df()
    con.unregister("_keys")
    if seen.empty:
        return np.zeros(len(new), bool)
    by_key = seen.groupby("serial_key")["incident_key"].apply(set).to_dict()
    return np.array([_key(k) is not None and len(by_key.get(k, set()) - {inc}) > 0
                     for k, inc in zip(new["serial_key"], new["incident_key"])], dtype=bool)
