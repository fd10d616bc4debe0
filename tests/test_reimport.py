"""Re-import keyed on (source, source record id), the audited batch marking change, and an import
that compares its rows only with the records its importer may see (issue 19, import integrity).

Every store here is built from small hand-written CSV files through the one import path; the
answers (counts, markings, flags) are computed by hand from those files.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from intel import auth, ingest, quality, store
from intel.cli import main

ROOT = auth.User("root", "admin", "BFA", "HQ", "Admin")
AMA = auth.User("ama", "analyst", "BFA", "Douanes", "Ama")      # BFA analyst
KOFI = auth.User("kofi", "analyst", "CIV", "Police", "Kofi")     # CIV analyst
HEADER = "record_id,seizure_date,country,latitude,longitude,firearm_type,quantity,serial_number,seizing_agency"


def _rows(n: int, agency: str = "Douanes", qty=lambda i: 1) -> list[str]:
    # n records a few hundred metres apart in Ouagadougou, each with its own serial and date
    return [f"R{i},2024-01-{1 + i % 28:02d},BFA,{12.30 + i * 0.01:.4f},-1.5200,pistol,{qty(i)},SN{i:05d},{agency}"
            for i in range(n)]


def _write(path, rows, extra: str = ""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n" + extra)
    return path


def _prof(source: str = "douanes", marking: str | None = None) -> dict:
    p = {"name": None, "source": source, "kind": "seizure", "columns": None}
    if marking is not None:
        p["constants"] = {"releasability": marking}
    return p


def _audit(con, action):
    return [json.loads(d) for (d,) in con.execute("SELECT detail FROM audit WHERE action = ? ORDER BY audit_id",
                                                  [action]).fetchall()]


@pytest.fixture()
def con(tmp_path):
    c = store.connect(tmp_path / "s.duckdb")
    yield c
    c.close()


# ------------------------------------------------------------------------------- re-import

def test_reimport_with_another_marking_updates_the_200_records(tmp_path, con):
    p = _write(tmp_path / "a.csv", _rows(200))
    r1 = ingest.import_file(con, p, _prof(), user="ama")
    assert (r1.new, r1.updated, r1.unchanged) == (200, 0, 0)
    ids_before = sorted(i for (i,) in con.execute("SELECT event_id FROM events").fetchall())
    r2 = ingest.import_file(con, p, _prof(marking="REL TO BFA"), user="ama")
    assert not r2.already_imported   # another marking: another import of the same file
    assert (r2.new, r2.updated, r2.unchanged) == (0, 200, 0)
    assert "0 new, 200 updated, 0 unchanged" in r2.summary()
    # still 200 records (before: 400), with their ids, the new marking, in the new batch
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (200, 200)
    assert sorted(i for (i,) in con.execute("SELECT event_id FROM events").fetchall()) == ids_before
    assert con.execute("SELECT DISTINCT releasability, batch_id FROM events").fetchall() == [("REL TO BFA", r2.batch_id)]
    up = _audit(con, "import.update")
    assert up == [{"batch_id": r2.batch_id, "file": "a.csv", "updated": 200, "releasability": "REL TO BFA",
                   "from_batches": [{"batch_id": r1.batch_id, "releasability": None, "records": 200}]}]
    assert _audit(con, "import")[-1]["updated"] == 200
    # a CIV analyst no longer sees them, a BFA analyst does
    assert _visible_count(con, KOFI) == 0 and _visible_count(con, AMA) == 200


def _visible_count(con, user):
    cur = store.cursor(con)
    auth.apply_visibility(cur, user)
    n = cur.execute("SELECT count(*) FROM events").fetchone()[0]
    cur.close()
    return n


def test_copy_with_one_extra_newline_stores_nothing_twice(tmp_path, con):
    rows = _rows(200)
    r1 = ingest.import_file(con, _write(tmp_path / "a.csv", rows), _prof(), user="ama")
    r2 = ingest.import_file(con, _write(tmp_path / "copy" / "a.csv", rows, extra="\n"), _prof(), user="ama")
    assert r1.sha256 != r2.sha256 and not r2.already_imported
    assert (r2.new, r2.updated, r2.unchanged) == (0, 0, 200)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 200
    # nothing was written to the stored records: still in the first batch, no re-seizure lead on themselves
    assert con.execute("SELECT DISTINCT batch_id FROM events").fetchall() == [(r1.batch_id,)]
    assert con.execute("SELECT count(*) FROM events WHERE list_contains(flags, 'RESEIZURE_LEAD')").fetchone()[0] == 0
    assert _audit(con, "import.update") == []


def test_changed_and_new_records_are_counted(tmp_path, con):
    ingest.import_file(con, _write(tmp_path / "a.csv", _rows(10)), _prof(), user="ama")
    rows = _rows(11, qty=lambda i: 5 if i == 3 else 1)   # R3 changed, R10 new
    r = ingest.import_file(con, _write(tmp_path / "b.csv", rows), _prof(), user="ama")
    assert (r.new, r.updated, r.unchanged) == (1, 1, 9)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 11
    assert con.execute("SELECT quantity, batch_id FROM events WHERE source_record_id = 'R3'").fetchone() == (5.0, r.batch_id)


def test_rows_without_record_id_keep_file_idempotency(tmp_path, con):
    text = "seizure_date,country,latitude,longitude,firearm_type,quantity\n2024-01-05,BFA,12.3,-1.52,pistol,2\n"
    p = tmp_path / "noid.csv"
    p.write_text(text)
    r1 = ingest.import_file(con, p, _prof())
    r2 = ingest.import_file(con, p, _prof())
    assert r2.already_imported and r2.batch_id == r1.batch_id
    assert "already imported as batch" in r2.summary()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 1


def test_hidden_records_are_never_matched(tmp_path, con):
    rows = _rows(5)
    r0 = ingest.import_file(con, _write(tmp_path / "a.csv", rows), _prof(marking="NOFORN"), user="root")
    r = ingest.import_file(con, _write(tmp_path / "b" / "a.csv", rows), _prof(), user="ama", viewer=AMA)
    assert (r.new, r.updated, r.unchanged) == (5, 0, 0)   # root's NOFORN records: not hers to update
    assert con.execute("SELECT count(*) FROM events WHERE batch_id = ? AND releasability = 'NOFORN'",
                       [r0.batch_id]).fetchone()[0] == 5


def test_another_accounts_visible_records_are_not_updated(tmp_path, con):
    # Kofi's records are releasable to BFA, so Ama sees them; re-importing their ids with another
    # marking must not narrow or overwrite what Kofi imported: her rows are records of their own
    rows = _rows(4)
    r0 = ingest.import_file(con, _write(tmp_path / "a.csv", rows), _prof(marking="REL TO BFA, CIV"), user="kofi",
                            viewer=KOFI)
    r = ingest.import_file(con, _write(tmp_path / "b" / "a.csv", rows), _prof(marking="REL TO BFA"), user="ama",
                           viewer=AMA)
    assert (r.new, r.updated, r.unchanged) == (4, 0, 0)
    assert con.execute("SELECT count(*) FROM events WHERE batch_id = ?", [r0.batch_id]).fetchone()[0] == 4
    # ... while Kofi's own re-import updates his records in place
    r2 = ingest.import_file(con, _write(tmp_path / "c" / "a.csv", rows), _prof(marking="REL TO CIV"), user="kofi",
                            viewer=KOFI)
    assert (r2.new, r2.updated) == (0, 4)


def test_analyst_decision_survives_an_unchanged_reimport(tmp_path, con):
    rows = _rows(3) + ["R9,2024-01-09,BFA,0,0,pistol,1,SN00009,Douanes"]   # (0, 0): held back
    ingest.import_file(con, _write(tmp_path / "a.csv", rows), _prof(), user="ama")
    qid, eid = con.execute("SELECT quarantine_id, event_id FROM quarantine").fetchone()
    quality.decide(con, qid, "reject", "ama", note="placeholder location")
    r = ingest.import_file(con, _write(tmp_path / "b" / "a.csv", rows, extra="\n"), _prof(), user="ama")
    assert (r.new, r.updated, r.unchanged) == (0, 0, 4)
    assert con.execute("SELECT count(*), max(decision) FROM quarantine").fetchone() == (1, "rejected")


def test_updated_quarantined_record_supersedes_its_pending_row(tmp_path, con):
    ingest.import_file(con, _write(tmp_path / "a.csv", ["R9,2024-01-09,BFA,0,0,pistol,1,SN00009,Douanes"]),
                       _prof(), user="ama")
    r = ingest.import_file(con, _write(tmp_path / "b.csv", ["R9,2024-01-09,BFA,12.35,-1.52,pistol,1,SN00009,Douanes"]),
                           _prof(), user="ama")
    assert (r.new, r.updated) == (0, 1)
    assert con.execute("SELECT status, latitude FROM events").fetchall() == [("accepted", 12.35)]
    assert con.execute("SELECT decision, decided_by FROM quarantine").fetchall() == [("superseded", "ama")]


# ------------------------------------------------------------------------------- batch marking

def test_set_batch_marking_by_importer_and_admin_only(tmp_path, con):
    own = ["R1,2024-01-01,BFA,12.3,-1.52,pistol,1,SN1,Douanes,NOFORN"]
    p = tmp_path / "a.csv"
    p.write_text(HEADER + ",releasability\n" + "\n".join(r + "," for r in _rows(3)) + "\n" + own[0].replace("R1,", "R7,") + "\n")
    r = ingest.import_file(con, p, _prof(marking="REL TO CIV"), user="ama")
    assert _visible_count(con, AMA) == 1      # REL TO CIV: not for a BFA analyst; her NOFORN record is hers
    with pytest.raises(PermissionError) as other:
        ingest.set_batch_marking(con, r.batch_id, "REL TO BFA", KOFI)
    with pytest.raises(PermissionError) as missing:
        ingest.set_batch_marking(con, 999, "REL TO BFA", KOFI)
    assert str(other.value).replace(str(r.batch_id), "N") == str(missing.value).replace("999", "N")
    with pytest.raises(ingest.ImportError_, match="not readable"):
        ingest.set_batch_marking(con, r.batch_id, "REL TO BFA AND CIV", AMA)
    assert con.execute("SELECT releasability FROM batches").fetchone()[0] == "REL TO CIV"
    out = ingest.set_batch_marking(con, r.batch_id, "rel to bfa, civ", AMA)
    assert (out["old"], out["new"], out["events"], out["changed"]) == ("REL TO CIV", "REL TO BFA, CIV", 3, True)
    # the three records that took the batch's marking follow it; the NOFORN record keeps its own
    assert con.execute("SELECT releasability, count(*) FROM events GROUP BY ALL ORDER BY 1").fetchall() == [
        ("NOFORN", 1), ("REL TO BFA, CIV", 3)]
    assert _visible_count(con, AMA) == 4 and _visible_count(con, KOFI) == 3   # NOFORN: its importer only
    assert _audit(con, "batch.marking") == [{"batch_id": r.batch_id, "file_name": "a.csv", "old": "REL TO CIV",
                                             "new": "REL TO BFA, CIV", "events": 3}]
    out = ingest.set_batch_marking(con, r.batch_id, "", ROOT)   # an administrator may; empty: unrestricted
    assert out["new"] is None and _visible_count(con, KOFI) == 3 and len(_audit(con, "batch.marking")) == 2
    assert not ingest.set_batch_marking(con, r.batch_id, "UNRESTRICTED", ROOT)["changed"]
    assert len(_audit(con, "batch.marking")) == 2
    with pytest.raises(ingest.ImportError_, match="no import batch 999"):
        ingest.set_batch_marking(con, 999, "NOFORN", ROOT)


def test_cli_batches_marking(tmp_path):
    db = tmp_path / "s.duckdb"
    c = store.connect(db)
    r = ingest.import_file(c, _write(tmp_path / "a.csv", _rows(2)), _prof(), user="ama")
    c.close()
    run = CliRunner().invoke(main, ["batches", "marking", str(r.batch_id), "REL TO BFA", "--db", str(db)])
    assert run.exit_code == 0, run.output
    assert "marking UNRESTRICTED -> REL TO BFA; 2 records changed" in run.output
    bad = CliRunner().invoke(main, ["batches", "marking", str(r.batch_id), "USA ARE GBR", "--db", str(db)])
    assert bad.exit_code == 2 and "error: the marking was not changed" in bad.output and "Traceback" not in bad.output
    c = store.connect(db)
    assert c.execute("SELECT DISTINCT releasability FROM events").fetchall() == [("REL TO BFA",)]
    assert [d["new"] for d in _audit(c, "batch.marking")] == ["REL TO BFA"]
    c.close()


# ------------------------------------------------------------------------------- what an import compares with

PROBE = "P1,2024-03-10,BFA,12.3500,-1.5200,pistol,1,{serial},Douanes"
STORED = "S1,2024-03-10,BFA,12.3503,-1.5201,pistol,1,{serial},Police"   # 40 m away, same day, another agency


@pytest.mark.parametrize("marking, expect", [("REL TO CIV", False), ("REL TO BFA", True), (None, True)])
def test_place_date_probe_finds_only_visible_records(tmp_path, con, marking, expect):
    ingest.import_file(con, _write(tmp_path / "s.csv", [STORED.format(serial="")]), _prof("police", marking),
                       user="kofi")
    r = ingest.import_file(con, _write(tmp_path / "p.csv", [PROBE.format(serial="")]), _prof(), user="ama",
                           viewer=AMA)
    status, key, flags = con.execute("SELECT status, incident_key, flags FROM events WHERE batch_id = ?",
                                     [r.batch_id]).fetchone()
    assert ("PROBABLE_DUPLICATE" in flags) is expect
    assert (status, key) == (("duplicate", "S1") if expect else ("accepted", "P1"))   # no hidden key copied


@pytest.mark.parametrize("marking, expect", [("REL TO CIV", False), ("NOFORN", False), ("REL TO BFA", True)])
def test_serial_probe_leads_only_to_visible_records(tmp_path, con, marking, expect):
    far = "S1,2023-06-01,BFA,11.1800,-4.3000,rifle,1,{serial},Police"   # another place and year: no duplicate
    ingest.import_file(con, _write(tmp_path / "s.csv", [far.format(serial="AB123456")]), _prof("police", marking),
                       user="kofi")
    r = ingest.import_file(con, _write(tmp_path / "p.csv", [PROBE.format(serial="AB123456")]), _prof(),
                           user="ama", viewer=AMA)
    flags = con.execute("SELECT flags FROM events WHERE batch_id = ?", [r.batch_id]).fetchone()[0]
    assert ("RESEIZURE_LEAD" in flags) is expect
    # without a viewer (the CLI, which holds the store file) every record is compared
    r2 = ingest.import_file(con, _write(tmp_path / "q.csv", [PROBE.replace("P1", "P2").format(serial="AB123456")]),
                            _prof("other"), user="cli")
    assert "RESEIZURE_LEAD" in con.execute("SELECT flags FROM events WHERE batch_id = ?", [r2.batch_id]).fetchone()[0]


def test_already_imported_names_only_a_visible_batch(tmp_path, con):
    p = _write(tmp_path / "a.csv", _rows(2))
    r1 = ingest.import_file(con, p, _prof(marking="REL TO CIV"), user="kofi", viewer=KOFI)
    hidden = ingest.import_file(con, p, _prof(marking="REL TO CIV"), user="ama", viewer=AMA)
    assert hidden.already_imported and hidden.batch_id is None
    assert hidden.summary() == "a.csv: this file was already imported; nothing changed."
    assert str(r1.batch_id) not in hidden.summary().replace("a.csv", "")
    seen = ingest.import_file(con, p, _prof(marking="REL TO CIV"), user="kofi", viewer=KOFI)
    assert seen.already_imported and seen.batch_id == r1.batch_id and f"batch {r1.batch_id}" in seen.summary()
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 2


def test_visible_events_sql_matches_the_events_view(tmp_path, con):
    markings = [None, "REL TO BFA", "REL TO CIV", "NOFORN", "REL TO BFA, CIV"]
    for k, m in enumerate(markings):
        rows = [r.replace("R", f"B{k}R", 1) for r in _rows(2)]
        rows.append(f"B{k}X,2024-02-01,BFA,12.4,-1.5,pistol,1,,Douanes,REL TO CIV")
        p = tmp_path / f"m{k}.csv"
        p.write_text(HEADER + ",releasability\n" + "\n".join(r + "," for r in rows[:2]) + "\n" + rows[2] + "\n")
        ingest.import_file(con, p, _prof(f"src{k}", m), user="ama" if k % 2 else "kofi")
    for user in (ROOT, AMA, KOFI, auth.User("nobody", "manager", None)):
        cur = store.cursor(con)
        auth.apply_visibility(cur, user)
        want = sorted(i for (i,) in cur.execute("SELECT event_id FROM events").fetchall())
        cur.close()
        got = sorted(i for (i,) in con.execute(f"SELECT event_id FROM {auth.visible_events_sql(user)} v").fetchall())
        assert got == want, user.name
    assert 0 < len(got) < 15


def test_reimport_and_marking_change_on_ducklake(tmp_path):
    lake = f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'};data={tmp_path / 'lake' / 'data'}"
    c = store.connect(lake)
    try:
        p = _write(tmp_path / "a.csv", _rows(20))
        r1 = ingest.import_file(c, p, _prof(), user="ama")
        r2 = ingest.import_file(c, p, _prof(marking="REL TO BFA"), user="ama")
        assert (r2.new, r2.updated, r2.unchanged) == (0, 20, 0)
        assert c.execute("SELECT count(*), min(releasability), max(batch_id) FROM events").fetchone() == \
            (20, "REL TO BFA", r2.batch_id)
        out = ingest.set_batch_marking(c, r2.batch_id, "NOFORN", AMA)
        assert out["events"] == 20 and _visible_count(c, KOFI) == 0 and _visible_count(c, AMA) == 20
        assert r1.batch_id != r2.batch_id
    finally:
        c.close()
