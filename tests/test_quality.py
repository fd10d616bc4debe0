"""intel.quality: quarantine listing and the analyst's decisions (correct, accept, reject)."""
from __future__ import annotations

import json
from pathlib import Path

import h3
import pytest

from intel import config, h3cells, hexbin, ingest, quality, store

CASES = Path(__file__).resolve().parent / "cases"  # copies of ../shared/cases (see tests/cases/README.md)
pytestmark = pytest.mark.skipif(not CASES.exists(), reason="shared cases not available")


@pytest.fixture(params=["duckdb", "ducklake"])
def con(tmp_path, request):
    # the decisions on both back ends: an embedded file, and a DuckLake store on a SQLite catalog
    spec = (tmp_path / "q.duckdb" if request.param == "duckdb"
            else f"ducklake:sqlite:{tmp_path / 'q.sqlite'};data={tmp_path / 'q_data'}")
    c = store.connect(spec)
    yield c
    c.close()


def _imp(con, name, columns=None):
    prof = None if columns is None else {"name": None, "source": Path(name).stem, "kind": "seizure", "columns": columns}
    return ingest.import_file(con, CASES / name, prof, user="test", border_distance=False)


def _qid(con, rid):
    return con.execute("SELECT quarantine_id FROM quarantine WHERE source_record_id = ?", [rid]).fetchone()[0]


def _ev(con, rid):
    df = con.execute("SELECT * FROM events WHERE source_record_id = ?", [rid]).df()
    return df.astype(object).where(df.notna(), None).iloc[0].to_dict()


def _n_audit(con):
    return con.execute("SELECT count(*) FROM audit WHERE action = 'quarantine.decision'").fetchone()[0]


def test_list_quarantine_filters(con):
    b1 = _imp(con, "C01_latlon_swapped.csv").batch_id
    b2 = _imp(con, "C07_null_island.csv").batch_id
    allq = quality.list_quarantine(con)
    assert len(allq) == 8
    assert set(quality.list_quarantine(con, batch_id=b1)["source_record_id"]) == {"C01-2", "C01-3", "C01-4", "C01-6"}
    assert set(quality.list_quarantine(con, reasons=["NULL_ISLAND"])["source_record_id"]) == {"C07-1", "C07-2", "C07-3"}
    assert list(quality.list_quarantine(con, outcome="rejected")["source_record_id"]) == ["C01-4"]
    row = quality.list_quarantine(con, batch_id=b2, reasons=["MISSING_LOCATION"]).iloc[0]
    assert json.loads(row["raw"])["quantity"] == "3" and row["quantity"] == 3 and row["country_iso3"] == "CIV"
    quality.decide(con, _qid(con, "C07-4"), "reject", "ana", note="no place known")
    assert len(quality.list_quarantine(con, undecided_only=True)) == 7
    assert set(quality.batches(con)["batch_id"]) == {b1, b2}


def test_one_click_swap_fixes_c01(con):
    b = _imp(con, "C01_latlon_swapped.csv").batch_id
    msg = quality.apply_swap_suggestions(con, b, "ana")
    assert msg.startswith("4 row(s)")
    for rid, (la, lo), cell in (("C01-2", (4.7110, -74.0721), "8766e4288ffffff"),
                                ("C01-3", (44.8176, 20.4573), "871e1b289ffffff"),
                                ("C01-4", (19.4326, -99.1332), "874995b84ffffff"),
                                ("C01-6", (6.4550, 3.3941), "87589c99effffff")):
        e = _ev(con, rid)
        assert e["status"] == "accepted" and e["location_corrected"] == "swap", rid
        assert abs(e["latitude"] - la) < 1e-9 and abs(e["longitude"] - lo) < 1e-9
        assert h3cells.to_hex(h3cells.parent([e["h3_cell"]], 7))[0] == cell
        assert h3.get_resolution(h3cells.to_hex([e["h3_cell"]])[0]) == config.FINE_RES
    # raw values kept as given
    assert json.loads(_ev(con, "C01-2")["raw"])["latitude"] == "-74.0721"
    e4 = _ev(con, "C01-4")  # the rejected row got a record built from its raw row
    assert json.loads(e4["raw"])["latitude"] == "-99.1332"
    assert e4["calibre"] == "5.56x45mm NATO" and e4["serial_number"] == "SYN-C01-0004" and e4["country_iso3"] == "MEX"
    assert str(e4["event_date"])[:10] == "2024-02-06"
    assert sorted(hexbin.aggregate(con, 7)["h3"]) == sorted(
        ["8766e4288ffffff", "871e1b289ffffff", "874995b84ffffff", "87589c99effffff"])
    q = quality.list_quarantine(con, batch_id=b)
    assert set(q["decision"]) == {"corrected"} and set(q["decided_by"]) == {"ana"}
    assert _n_audit(con) == 4
    # nothing left to swap
    assert "no undecided row" in quality.apply_swap_suggestions(con, b, "ana")


def test_manual_correction_and_validation(con):
    _imp(con, "C01_latlon_swapped.csv")
    qid = _qid(con, "C01-3")
    for lat, lon, words in ((-99.1, 20.0, "outside -90..90"), (10, 200, "outside -180..180"),
                            (0.0, 0.0004, "Null Island"), (44.8, None, "both latitude and longitude"),
                            ("abc", 20, "not a number")):
        with pytest.raises(quality.DecisionError, match=words):
            quality.decide(con, qid, "correct", "ana", latitude=lat, longitude=lon)
    with pytest.raises(quality.DecisionError, match="latitude and longitude"):
        quality.decide(con, qid, "correct", "ana", date="2024-02-06")  # location is the problem
    assert _n_audit(con) == 0 and _ev(con, "C01-3")["status"] != "accepted"
    msg = quality.decide(con, qid, "correct", "ana", note="geocoded from the report", latitude="44.80",
                         longitude="20.46", date="2024-02-06")
    assert "corrected" in msg
    e = _ev(con, "C01-3")
    assert e["status"] == "accepted" and e["location_corrected"] == "manual" and e["latitude"] == 44.80
    assert json.loads(_ev(con, "C01-3")["raw"])["latitude"] == "20.4573"
    log = quality.decisions_log(con)
    assert list(log["decision"]) == ["correct"] and log["note"].iloc[0] == "geocoded from the report"
    with pytest.raises(quality.DecisionError, match="already decided"):
        quality.decide(con, qid, "reject", "ana")


def test_accept_rules(con):
    _imp(con, "C07_null_island.csv")
    _imp(con, "C01_latlon_swapped.csv")
    _imp(con, "C20_country_names.csv", {"source_record_id": "record_id", "country": "origin_country_raw"})
    # no usable coordinates: accept refused
    with pytest.raises(quality.DecisionError, match="no usable coordinates"):
        quality.decide(con, _qid(con, "C07-1"), "accept", "ana")
    with pytest.raises(quality.DecisionError, match="no usable coordinates"):
        quality.decide(con, _qid(con, "C07-4"), "accept", "ana")
    # a rejected row has no record to accept
    with pytest.raises(quality.DecisionError, match="cannot be accepted"):
        quality.decide(con, _qid(con, "C01-4"), "accept", "ana")
    # coordinates present (as given): accept keeps them as given
    quality.decide(con, _qid(con, "C01-3"), "accept", "ana", note="seized at the Saudi border post")
    e = _ev(con, "C01-3")
    assert e["status"] == "accepted" and e["location_corrected"] is None
    assert abs(e["latitude"] - 20.4573) < 1e-9 and abs(e["longitude"] - 44.8176) < 1e-9 and e["h3_cell"]
    # reasons not about the location: accept allowed
    quality.decide(con, _qid(con, "C20-38"), "accept", "ana", note="Atlantis is a code name")
    assert _ev(con, "C20-38")["status"] == "accepted"
    # country correction through the nomenclature
    with pytest.raises(quality.DecisionError, match="more than one country"):
        quality.decide(con, _qid(con, "C20-32"), "correct", "ana", country_iso3="Congo")
    quality.decide(con, _qid(con, "C20-32"), "correct", "ana", country_iso3="CD")
    assert _ev(con, "C20-32")["country_iso3"] == "COD" and _ev(con, "C20-32")["status"] == "accepted"
    assert _n_audit(con) == 3


def test_reject_keeps_record_out_of_every_analysis(con):
    _imp(con, "C07_null_island.csv")
    statuses = list(getattr(store, "NON_SPATIAL", ("accepted", "quarantined")))

    def total():
        return con.execute("SELECT sum(quantity) FROM events WHERE list_contains(?, status)", [statuses]).fetchone()[0]

    before = total()
    quality.decide(con, _qid(con, "C07-2"), "reject", "ana", note="test record")
    assert _ev(con, "C07-2")["status"] == "rejected"
    assert total() == before - 2
    row = quality.list_quarantine(con, reasons=["NULL_ISLAND"]).set_index("source_record_id").loc["C07-2"]
    assert row["decision"] == "rejected" and row["decided_by"] == "ana" and row["decision_note"] == "test record"
    d = json.loads(quality.decisions_log(con)["detail"].iloc[0])
    assert d["decision"] == "reject" and d["source_record_id"] == "C07-2"
    assert "87754e64dffffff" not in set(hexbin.aggregate(con, 7)["h3"])


def test_decision_is_atomic(con, monkeypatch):
    _imp(con, "C01_latlon_swapped.csv")
    qid = _qid(con, "C01-2")

    def boom(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(quality, "audit", boom)
    with pytest.raises(RuntimeError):
        quality.decide(con, qid, "correct", "ana", latitude=4.7110, longitude=-74.0721)
    assert _ev(con, "C01-2")["status"] != "accepted"
    assert con.execute("SELECT decision FROM quarantine WHERE quarantine_id = ?", [qid]).fetchone()[0] is None


def _tps_file(tmp_path):
    p = tmp_path / "tps_small.csv"
    p.write_text("id,date,lat,lon\n"
                 "T-1,2024-03-01,43.6532,-79.3832\n"
                 "T-2,2024-03-02,143.6532,-79.3832\n", encoding="utf-8")   # latitude out of range: rejected
    return p


TPS_PROFILE = {"name": None, "source": "tps_small", "kind": "discharge incident",
               "columns": {"source_record_id": "id", "event_date": "date", "latitude": "lat", "longitude": "lon"},
               "constants": {"country": "CAN"}}


def test_reimported_row_keeps_the_profile_kind(con, tmp_path):
    """A rejected row of a discharge-incident file, corrected and re-imported, is a discharge incident
    (the batch keeps the whole profile), not a 'seizure'."""
    path = _tps_file(tmp_path)
    r = ingest.import_file(con, path, dict(TPS_PROFILE), user="test", border_distance=False, dedup=False)
    assert (r.accepted, r.rejected) == (1, 1)
    assert _ev(con, "T-1")["kind"] == "discharge incident"
    qid = _qid(con, "T-2")
    assert con.execute("SELECT event_id FROM quarantine WHERE quarantine_id = ?", [qid]).fetchone()[0] is None
    quality.decide(con, qid, "correct", "ana", latitude="43.6540", longitude="-79.3800")
    e = _ev(con, "T-2")
    assert e["status"] == "accepted" and e["kind"] == "discharge incident"
    assert e["firearms"] is None          # a discharge incident counts no seized firearm (per-profile rule)
    assert e["country_iso3"] == "CAN" and str(e["event_date"])[:10] == "2024-03-02"
    # the same file with the same profile is still one import; another kind is another import
    assert ingest.import_file(con, path, dict(TPS_PROFILE), user="test", border_distance=False,
                              dedup=False).already_imported
    other = ingest.import_file(con, path, {**TPS_PROFILE, "kind": "seizure"}, user="test", border_distance=False,
                               dedup=False)
    assert not other.already_imported


def test_batch_stored_before_profiles_were_kept_still_counts_as_imported(con, tmp_path):
    """A batch whose options hold no profile (stored by an older version) is still recognised."""
    path = _tps_file(tmp_path)
    r = ingest.import_file(con, path, dict(TPS_PROFILE), user="test", border_distance=False, dedup=False)
    legacy = {"profile": None, "columns": TPS_PROFILE["columns"], "date_order": None, "crs": None,
              "constants": TPS_PROFILE["constants"], "dedup": False}   # as the importer wrote options before
    con.execute("UPDATE batches SET options = ?::JSON WHERE batch_id = ?",
                [json.dumps(legacy, sort_keys=True, default=str), r.batch_id])
    again = ingest.import_file(con, path, dict(TPS_PROFILE), user="test", border_distance=False, dedup=False)
    assert again.already_imported and again.batch_id == r.batch_id
    # without the stored profile the re-import falls back to the importer's default kind
    quality.decide(con, _qid(con, "T-2"), "correct", "ana", latitude="43.6540", longitude="-79.3800")
    assert _ev(con, "T-2")["kind"] == "seizure"
