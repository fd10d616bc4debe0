"""Probable duplicates between agencies and re-seizure leads, on hand-built files."""
import pandas as pd
import pytest

from intel import dedup, ingest, store

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
