"""Probable duplicates between agencies and re-seizure leads, on hand-built files."""
import numpy as np
import pandas as pd
import pytest

from intel import dedup, geodesy, ingest, store

HEAD = "record_id,agency,seizure_date,country,latitude,longitude,firearm_type,calibre,serial_number,quantity\n"
POLICE = HEAD + ("P-1,Police,2024-03-01,GHA,5.6037,-0.1870,pistol,9x19,AB-123,1\n"
                 "P-2,Police,2024-03-05,GHA,6.6885,-1.6244,rifle,7.62x39,ZZ999,1\n")
CUSTOMS = HEAD + (
    # 0.52 km and 1 day from P-1, same serial written differently: duplicate
    "C-1,Customs,2024-03-02,GHA,5.6080,-0.1850,pistol,9mm Luger,ab 123,1\n"
    # same serial as P-2, 3 months later and 300 km away: a re-seizure lead, not a duplicate
    "C-2,Customs,2024-06-01,GHA,9.4008,-0.8393,rifle,7.62x39,ZZ-999,1\n"
    # 64 m from P-2 the same day, no serial, same type/calibre/quantity: duplicate
    "C-3,Customs,2024-03-05,GHA,6.6890,-1.6240,rifle,7.62x39,,1\n"
    # 64 m from P-2 the same day but a different calibre: not a duplicate
    "C-4,Customs,2024-03-05,GHA,6.6890,-1.6240,rifle,5.56x45,,1\n")


def _import(con, tmp_path, name, text, **kw):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return ingest.import_file(con, p, None, **kw)


def test_duplicates_merge_and_leads_link(tmp_path):
    con = store.connect(tmp_path / "d.duckdb")
    _import(con, tmp_path, "police.csv", POLICE)
    r = _import(con, tmp_path, "customs.csv", CUSTOMS)
    reasons = dict(zip(r.report["source_record_id"], r.report["reasons"]))
    assert reasons == {"C-1": ["PROBABLE_DUPLICATE"], "C-2": ["RESEIZURE_LEAD"], "C-3": ["PROBABLE_DUPLICATE"], "C-4": []}
    ev = con.execute("SELECT source_record_id, status, incident_key FROM events ORDER BY event_id").df()
    got = {r.source_record_id: (r.status, r.incident_key) for r in ev.itertuples()}
    assert got["C-1"] == ("duplicate", "P-1") and got["C-3"] == ("duplicate", "P-2")
    assert got["C-2"] == ("accepted", "C-2") and got["C-4"] == ("accepted", "C-4")
    # the merged seizure counts once, and its incident lists both agencies
    assert con.execute("SELECT count(DISTINCT incident_key) FROM events WHERE status='accepted'").fetchone()[0] == 4
    agencies = con.execute("SELECT list_sort(list(DISTINCT seizing_agency)) FROM events WHERE incident_key='P-1'").fetchone()[0]
    assert agencies == ["Customs", "Police"]


def test_dedup_can_be_switched_off(tmp_path):
    con = store.connect(tmp_path / "d.duckdb")
    _import(con, tmp_path, "police.csv", POLICE)
    r = _import(con, tmp_path, "customs.csv", CUSTOMS, dedup=False)
    assert not any("PROBABLE_DUPLICATE" in x for x in r.report["reasons"])
    assert con.execute("SELECT count(*) FROM events WHERE status='duplicate'").fetchone()[0] == 0


def test_same_h3_cell_is_not_the_criterion():
    # two records 1.5 km apart (farther than the 1 km threshold) are not duplicates, whatever their cells
    base = dict(event_date=pd.Timestamp("2024-01-01"), serial_key=None, firearm_type="pistol", calibre=None,
                quantity=1.0, status="accepted")
    new = pd.DataFrame([dict(base, latitude=0.0, longitude=0.0135, seizing_agency="B", source="b", incident_key="b1")])
    old = pd.DataFrame([dict(base, latitude=0.0, longitude=0.0, seizing_agency="A", source="a", incident_key="a1", event_id=1)])
    assert dedup.probable_duplicates(new, old, 1.0, 2).empty
    assert len(dedup.probable_duplicates(new, old, 2.0, 2)) == 1


# --- the fast search against a plain comparison of every pair ------------------------------

ATTRS = ("firearm_type", "calibre", "quantity")
TEXT = ("seizing_agency", "source", "serial_key", "firearm_type", "calibre", "incident_key", "status")


def _brute_force(new, old, km, window):
    """The rules of the module docstring, pair by pair, in plain Python (no index, no sorting trick)."""
    R = geodesy.EARTH_RADIUS_KM
    chord = 2 * np.sin(km / R / 2)

    def missing(v):
        return v is None or isinstance(v, float) and np.isnan(v) or v is pd.NaT

    def agency(r):
        return None if missing(r["seizing_agency"]) and missing(r["source"]) else \
            str(r["source"] if missing(r["seizing_agency"]) else r["seizing_agency"])

    def unit(r):
        la, lo = np.radians(np.array([r["latitude"]])), np.radians(np.array([r["longitude"]]))
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])[:, 0]

    def serial(r):
        v = r["serial_key"]
        return v if isinstance(v, str) and v else None

    stored = [("old", k, r, unit(r)) for k, r in enumerate(old.to_dict("records")) if not missing(r["latitude"])]
    incoming = [("new", k, r, unit(r)) for k, r in enumerate(new.to_dict("records"))
                if not missing(r["latitude"]) and r["status"] == "accepted"]
    pool = stored + incoming
    best = {}
    for kind_i, pos_i, r, u in incoming:
        for kind_j, pos_j, s, w in pool:           # stored first, then new, in order
            if kind_j == "new" and pos_j >= pos_i:   # new records pair with earlier ones only
                continue
            if agency(r) == agency(s) or missing(r["event_date"]) or missing(s["event_date"]):
                continue
            days = abs((r["event_date"].date() - s["event_date"].date()).days)
            if days > window:
                continue
            v = u - w
            if np.sqrt(sum(x * x for x in v)) > chord:
                continue
            kr, ks = serial(r), serial(s)
            if kr is not None and ks is not None:
                agree = kr == ks
            else:
                agree = all(missing(r[c]) or missing(s[c]) or r[c] == s[c] for c in ATTRS)
            if not agree:
                continue
            d = float(2 * R * np.arcsin(min(1.0, np.linalg.norm(v) / 2)))
            if pos_i not in best or d < best[pos_i][3]:
                best[pos_i] = (pos_i, s["incident_key"], None if kind_j == "new" else int(s["event_id"]), d, days)
    rows = sorted(best.values(), key=lambda t: (agency(new.iloc[t[0]]) is None, agency(new.iloc[t[0]]) or "", t[0]))
    return pd.DataFrame(rows, columns=dedup.PAIR_COLUMNS)


def _records(rng, n, prefix, places):
    """Hand-sized records around a few places (one on the antimeridian, one by the pole), with
    copies of earlier points (exactly, or a few cm off), dates a few days apart, and serial
    keys / attributes present, empty or missing."""
    at = rng.integers(0, len(places), n)
    lat = places[at, 0] + rng.normal(0, 0.004, n)
    lon = places[at, 1] + rng.normal(0, 0.004, n)
    copy = np.flatnonzero(rng.random(n) < 0.25)
    src = rng.integers(0, n, len(copy))
    lat[copy] = lat[src] + rng.choice([0.0, 0.0, 3e-7], len(copy))
    lon[copy] = lon[src]
    lat = np.clip(lat, -90, 90)
    lon = (lon + 180) % 360 - 180
    lat[rng.random(n) < 0.04] = np.nan
    date = pd.Series(pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 7, n), unit="D"))
    date[rng.random(n) < 0.04] = pd.NaT
    pick = lambda *values: rng.choice(np.array(values, dtype=object), n)   # noqa: E731
    return pd.DataFrame(dict(
        latitude=lat, longitude=lon, event_date=date,
        seizing_agency=pick("Police", "Customs", "Army", "Gendarmerie", None),
        source=pick("police.csv", "customs.csv"),
        serial_key=pick("AB123", "ZZ999", "K7", "", None, None, np.nan),
        firearm_type=pick("pistol", "rifle", None),
        calibre=pick("9x19", "7.62x39", None, np.nan),
        quantity=rng.choice([1.0, 2.0, np.nan], n),
        incident_key=[f"{prefix}{i}" for i in range(n)],
        status=pick(*["accepted"] * 6, "quarantined", "unlocated")))


def _random_case(seed, arrow, n_new=240, n_old=160):
    rng = np.random.default_rng(seed)
    places = np.array([[5.6037, -0.1870], [5.6080, -0.1850], [10.0, 179.998], [89.995, 40.0], [-33.9, 18.4]])
    new = _records(rng, n_new, "n", places)
    old = _records(rng, n_old, "o", places)
    old = old[old["status"] == "accepted"].reset_index(drop=True)
    old.insert(0, "event_id", np.arange(101, 101 + len(old)))
    if arrow:   # as the import builds them: Arrow-backed text, NaN for missing
        for c in TEXT:
            new[c] = new[c].astype(pd.StringDtype("pyarrow", na_value=np.nan))
    return new, old


@pytest.mark.parametrize("arrow", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_brute_force(seed, arrow):
    new, old = _random_case(seed, arrow)
    found = 0
    for km, window in [(1.0, 2), (0.3, 0), (5.0, 4), (0.0, 6)]:
        for stored in (old, old.iloc[:0]):
            want = _brute_force(new, stored, km, window)
            got = dedup.probable_duplicates(new, stored, km, window)
            if want.empty:
                assert got.empty
                continue
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            found += len(want)
    assert found > 100   # the case does exercise the rules (pairs inside new and with stored ones)


def test_dense_place_and_small_chunks_match_brute_force(monkeypatch):
    # every record within a few metres and days: long runs (binary-search path), the unit
    # vectors computed once, and pairs examined in many small chunks
    rng = np.random.default_rng(9)
    new = _records(rng, 150, "n", np.array([[5.6037, -0.1870]]))
    old = _records(rng, 100, "o", np.array([[5.6037, -0.1870]]))
    old.insert(0, "event_id", np.arange(1, 101))
    for frame in (new, old):
        frame["latitude"] = 5.6037 + (frame["latitude"] - 5.6037) * 0.01
        frame["longitude"] = -0.1870 + (frame["longitude"] + 0.1870) * 0.01
    monkeypatch.setattr(dedup, "_CHUNK", 50)
    want = _brute_force(new, old, 1.0, 3)
    assert len(want) > 50
    pd.testing.assert_frame_equal(dedup.probable_duplicates(new, old, 1.0, 3), want, check_exact=True)


def test_date_window_edges_and_single_agency():
    base = dict(latitude=0.0, longitude=0.0, serial_key=None, firearm_type="pistol", calibre=None,
                quantity=1.0, status="accepted", source="s")
    old = pd.DataFrame([dict(base, event_date=pd.Timestamp("2024-01-01 23:00"), seizing_agency="A",
                             incident_key="a1", event_id=1)])
    new = pd.DataFrame([dict(base, event_date=pd.Timestamp("2024-01-03 00:30"), seizing_agency="B",
                             incident_key="b1")])
    # calendar days count: 2 days apart whatever the hours
    assert dedup.probable_duplicates(new, old, 1.0, 2)["days"].tolist() == [2]
    assert dedup.probable_duplicates(new, old, 1.0, 1).empty
    assert dedup.probable_duplicates(new, old, 1.0, -1).empty
    assert dedup.probable_duplicates(new, old.assign(seizing_agency="B"), 1.0, 2).empty


@pytest.mark.parametrize("arrow", [False, True])
def test_reseizure_leads_by_incident(tmp_path, arrow):
    con = store.connect(tmp_path / "d.duckdb")
    _import(con, tmp_path, "police.csv", POLICE)
    (k1, i1), (k2, i2) = con.execute("SELECT serial_key, incident_key FROM events ORDER BY event_id").fetchall()
    new = pd.DataFrame({"serial_key": [k1, k1, k2, "", None, "NOT-STORED", k2],
                        "incident_key": [i1, "other", i2, "x", "y", "z", "w"]})
    if arrow:
        new = new.astype(pd.StringDtype("pyarrow", na_value=np.nan))
    # same incident: not a lead; another incident: a lead; empty, missing or unknown keys: never
    assert dedup.reseizure_leads(con, new).tolist() == [False, True, False, False, False, False, True]
