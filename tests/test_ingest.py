"""The import path: atomicity, idempotence, repeated headers, ambiguous dates, mapping, border distance."""
import math
import sys

import pytest
from click.testing import CliRunner

from intel import ingest, mapping, store
from intel.cli import main

GOOD = ("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
        "A1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\n"
        "A2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n")


def _counts(con):
    return (con.execute("SELECT count(*) FROM events").fetchone()[0],
            con.execute("SELECT count(*) FROM quarantine").fetchone()[0],
            con.execute("SELECT count(*) FROM batches").fetchone()[0])


def test_reimport_changes_nothing(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text(GOOD)
    con = store.connect(tmp_path / "s.duckdb")
    r1 = ingest.import_file(con, p)
    assert (r1.accepted, r1.quarantined, r1.rejected) == (2, 0, 0)
    before = _counts(con)
    r2 = ingest.import_file(con, p)
    assert r2.already_imported and _counts(con) == before


def test_failed_import_leaves_store_as_it_was(tmp_path, monkeypatch):
    p = tmp_path / "a.csv"
    p.write_text(GOOD + "A3,2024-01-07,GHA,0,0,pistol,1\n")  # one row goes to the quarantine
    con = store.connect(tmp_path / "s.duckdb")
    before = _counts(con)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest, "audit", boom)  # fails after events and quarantine rows were written
    with pytest.raises(RuntimeError):
        ingest.import_file(con, p)
    assert _counts(con) == before


def test_repeated_header_and_every_row_accounted(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text(GOOD + "record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
                 "A4,2024-01-08,GHA,5.60,-0.18,pistol,1\n")
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, p)
    assert (r.rows_read, r.accepted, r.rejected) == (4, 3, 1)
    raw, reasons = con.execute("SELECT raw, reasons FROM quarantine").fetchone()
    assert reasons == ["REPEATED_HEADER"] and '"record_id": "record_id"' in raw


def test_all_ambiguous_dates_wait_for_the_analyst(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("record_id,fecha,latitude,longitude\nB1,03/04/2024,5.6,-0.18\nB2,05/06/2024,5.6,-0.18\n")
    db = tmp_path / "s.duckdb"
    r = CliRunner().invoke(main, ["import", str(p), "--db", str(db)])
    assert r.exit_code == 2 and "--date-order" in r.output and "Traceback" not in r.output
    con = store.connect(db)
    assert _counts(con) == (0, 0, 0)
    con.close()
    r = CliRunner().invoke(main, ["import", str(p), "--db", str(db), "--date-order", "dayfirst"])
    assert r.exit_code == 0, r.output
    con = store.connect(db)
    assert [str(d) for (d,) in con.execute("SELECT event_date FROM events ORDER BY source_record_id").fetchall()] == \
        ["2024-04-03", "2024-06-05"]


def test_suggest_mapping_languages_and_noise():
    m = mapping.suggest_mapping(["record_id", "fecha", "pais", "latitud", "longitud", "calibre_raw", "cantidad_armas"])
    assert m == {"source_record_id": "record_id", "event_date": "fecha", "country": "pais", "latitude": "latitud",
                 "longitude": "longitud", "calibre": "calibre_raw", "quantity": "cantidad_armas"}
    assert mapping.suggest_mapping(["lat_raw", "lon_raw"]) == {"latitude": "lat_raw", "longitude": "lon_raw"}


def test_unreadable_releasability_is_held_back(tmp_path):
    """Per-record markings are read at import by the strict grammar: ``REL TO`` lists, groups,
    ``NOFORN``, ``UNRESTRICTED`` and empty cells pass; a caveat word, an unknown code, prose,
    codes without ``REL TO`` and a cell of only spaces are quarantined with their reason.
    (Was: ``mli civ`` was accepted as MLI and CIV; a grammar without ``REL TO`` is now unreadable.)"""
    p = tmp_path / "rel.csv"
    p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,releasability\n"
                 "R1,2024-01-05,GHA,5.6037,-0.1870,pistol,\"REL TO BFA, CIV\"\n"
                 "R2,2024-01-05,GHA,5.6037,-0.1870,pistol,UNRESTRICTED\n"
                 "R3,2024-01-05,GHA,5.6037,-0.1870,pistol,\n"
                 "R4,2024-01-05,GHA,5.6037,-0.1870,pistol,SECRET NOFORN\n"
                 "R5,2024-01-05,GHA,5.6037,-0.1870,pistol,REL TO XXQ\n"
                 "R6,2024-01-05,GHA,5.6037,-0.1870,pistol,mli civ\n"
                 "R7,2024-01-05,GHA,5.6037,-0.1870,pistol,REL TO USA AND GBR\n"
                 "R8,2024-01-05,GHA,5.6037,-0.1870,pistol,\"   \"\n"
                 "R9,2024-01-05,GHA,5.6037,-0.1870,pistol,REL TO KAFO\n"
                 "R10,2024-01-05,GHA,5.6037,-0.1870,pistol,NOFORN\n")
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, p)
    rep = r.report.set_index("source_record_id")
    held = ["R4", "R5", "R6", "R7", "R8"]
    for rid in held:
        assert rep.loc[rid, "reasons"] == ["RELEASABILITY_UNREADABLE"], rid
    for rid in ("R1", "R2", "R3", "R9", "R10"):
        assert rep.loc[rid, "outcome"] == "accepted", rid
    assert (r.accepted, r.quarantined, r.rejected) == (5, 5, 0)
    got = con.execute("SELECT source_record_id, status, releasability FROM events WHERE status <> 'accepted' "
                      "ORDER BY row_number").fetchall()
    assert [g[0] for g in got] == held and {g[1] for g in got} == {"quarantined"}
    assert got[-1][2] is not None and got[-1][2].strip() == ""   # kept as written, never read as unrestricted
    q = con.execute("SELECT source_record_id, reasons FROM quarantine ORDER BY row_number").fetchall()
    assert q == [(rid, ["RELEASABILITY_UNREADABLE"]) for rid in held]


def test_a_record_near_a_border_gets_a_finite_border_distance(tmp_path, monkeypatch):
    """The border distance was computed only when ``from intel.borders import border_distance``
    succeeded inside the import; any failure there stored NaN for every record, silently. The
    borders module is now imported with the ingest, so a broken package fails loudly at import
    time, never mid-import (simulated here: the package is unimportable after the ingest loaded)."""
    monkeypatch.setitem(sys.modules, "intel.borders", None)   # `import intel.borders` now raises ImportError
    p = tmp_path / "elpaso.csv"
    p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
                 "E1,2024-01-05,USA,31.7619,-106.4850,pistol,1\n")       # El Paso, about 1 km from Mexico
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, p)
    assert r.accepted == 1
    km, pair = con.execute("SELECT border_km, border_pair FROM events").fetchone()
    assert km is not None and math.isfinite(km) and km < 2 and pair == "MEX-USA"


def test_saved_profile_cannot_replace_a_built_in_one(tmp_path):
    """Issue 19: a profile saved under a bundled profile's name replaced it for everyone (the CBP
    import then crashed). Saving under that name (any case) is refused, nothing is written, and a
    row of that name left in a store by an earlier version never shadows the bundled profile."""
    con = store.connect(tmp_path / "s.duckdb")
    builtin = ingest.load_profile("cbp_weapons_seizures", con)
    assert builtin["columns"]                       # the bundled profile maps columns
    for name in ("cbp_weapons_seizures", " CBP_Weapons_Seizures "):
        with pytest.raises(ingest.ImportError_, match="built-in"):
            ingest.save_profile(con, {"name": name, "columns": {}}, user="ama")
    assert con.execute("SELECT count(*) FROM profiles").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'profile.save'").fetchone()[0] == 0
    # a row written before the rule: the bundled profile still wins
    con.execute("INSERT INTO profiles VALUES ('cbp_weapons_seizures', '{\"name\": \"cbp_weapons_seizures\", "
                "\"columns\": {}}', now())")
    assert ingest.load_profile("cbp_weapons_seizures", con) == builtin
    assert ingest.list_profiles(con).count("cbp_weapons_seizures") == 1
    # another name is saved as before
    ingest.save_profile(con, {"name": "cbp_local", "columns": {"latitude": "lat"}}, user="ama")
    assert ingest.load_profile("cbp_local", con)["columns"] == {"latitude": "lat"}
