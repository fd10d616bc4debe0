"""The default store, built from the bundled real data through the product's import path."""
import pytest
from click.testing import CliRunner

from intel import hexbin
from intel.cli import main
from intel.reference import table_counts
from intel.store import connect


def test_real_store_counts(real_store):
    con = connect(real_store)
    by = con.execute("""SELECT source, status, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2""").fetchall()
    got = {(s, st): n for s, st, n in by}
    # Toronto: 6,295 incidents, of which 62 are placeholders near (0, 0)
    assert got[("toronto_tps_shootings", "accepted")] == 6295 - 62
    # the 62 placeholders are real incidents without a usable location: unlocated, in the quarantine
    assert got[("toronto_tps_shootings", "unlocated")] == 62
    reasons = con.execute("""SELECT list_sort(list_distinct(flatten(list(reasons)))) FROM quarantine q
                             JOIN batches b USING (batch_id) WHERE b.source = 'toronto_tps_shootings'""").fetchone()[0]
    assert reasons == ["NULL_ISLAND"]
    # CBP: 22,559 line items; the single Preclearance line has no place
    assert got[("cbp_weapons_seizures", "accepted")] == 22559 - 1
    assert got[("cbp_weapons_seizures", "unlocated")] == 1
    assert con.execute("SELECT count(DISTINCT incident_key) FROM events WHERE source='cbp_weapons_seizures'").fetchone()[0] == 14924
    # the placeholder cell of (0, 0) never reaches the events' cells
    assert con.execute("SELECT count(*) FROM events WHERE abs(latitude) < 1 AND abs(longitude) < 1").fetchone()[0] == 0
    # every input row is in the store or the quarantine
    b = con.execute("SELECT sum(rows_read), sum(rows_accepted + rows_quarantined + rows_rejected) FROM batches").fetchone()
    # plus the Colombian, Ecuadorian and Rio registers (tests/test_latam.py checks them)
    assert b[0] == b[1] == 6295 + 22559 + 5673 + 9237 + 29736
    assert con.execute("SELECT count(*) FROM countries WHERE iso3 = 'XKX'").fetchone()[0] == 1


def test_cbp_fiscal_dates_and_town_precision(real_store):
    con = connect(real_store)
    # FY2024 DEC is December 2023; FY2022 starts in October 2021
    lo, hi = con.execute("SELECT min(event_date), max(event_date) FROM events WHERE source='cbp_weapons_seizures'").fetchone()
    assert str(lo) == "2021-10-01"
    assert str(hi) == "2025-05-01"
    prec = con.execute("SELECT DISTINCT location_precision FROM events WHERE source='cbp_weapons_seizures' AND status='accepted'").fetchall()
    assert prec == [("town",)]
    # the headquarters town stands for its whole area of responsibility: each record carries the
    # extent of that area (equal-area radius of the headquarters' state, 53.5-467.3 km), not the
    # 5 km of a town, so CBP points never appear at resolution 8 nor at 5 (issue 15)
    f = hexbin.Filters(sources=("cbp_weapons_seizures",))
    assert hexbin.aggregate(con, 8, f).empty
    assert hexbin.left_out(con, 8, f)["records"].sum() == 22558
    assert hexbin.aggregate(con, 5, f).empty
    assert hexbin.left_out(con, 5, f)["records"].sum() == 22558
    km = con.execute("SELECT min(uncertainty_km), max(uncertainty_km) FROM events "
                     "WHERE source='cbp_weapons_seizures' AND status='accepted'").fetchone()
    assert km == (53.5, 467.3)
    # at resolution 3 (the coarsest map resolution, edge 68.9 km) only areas of at most that
    # radius fit; the rest is counted as left out, never drawn
    fits = con.execute("SELECT count(*) FROM events WHERE source='cbp_weapons_seizures' AND status='accepted' "
                       "AND uncertainty_km <= 68.9").fetchone()[0]
    assert 0 < fits < 22558
    assert hexbin.aggregate(con, 3, f)["records"].sum() == fits
    assert hexbin.left_out(con, 3, f)["records"].sum() == 22558 - fits


@pytest.mark.slow   # 150 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_cli_build_twice_same_counts_and_import_idempotent(tmp_path):
    db = tmp_path / "cli.duckdb"
    r = CliRunner().invoke(main, ["build", "--db", str(db)])
    assert r.exit_code == 0, r.output
    first = table_counts(connect(db, read_only=True))
    r = CliRunner().invoke(main, ["build", "--db", str(db)])
    assert r.exit_code == 0, r.output
    con = connect(db, read_only=True)
    assert table_counts(con) == first
    con.close()
    # re-importing a bundled file through the CLI changes nothing
    src = "data/sources/incidents/toronto_shootings_firearm_discharges_2004_2024.csv"
    rep = tmp_path / "rep.json"
    r = CliRunner().invoke(main, ["import", src, "--db", str(db), "--profile", "toronto_tps", "--report", str(rep)])
    assert r.exit_code == 0, r.output
    assert "already imported" in r.output
    con = connect(db, read_only=True)
    assert table_counts(con) == first


def test_cli_help_lists_verbs():
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0
    for verb in ("build", "import", "serve"):
        assert verb in r.output
    for verb in ("build", "import", "serve"):
        h = CliRunner().invoke(main, [verb, "--help"])
        assert h.exit_code == 0 and "--db" in h.output


def test_cli_import_bad_file_is_a_plain_error(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    r = CliRunner().invoke(main, ["import", str(bad), "--db", str(tmp_path / "x.duckdb")])
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "error:" in r.output


# --- `intel build` never destroys user data (issue 19) ---------------------------------------

def _fast_build(monkeypatch, tmp_path):
    """Make build() quick: no reference loaders, one small bundled register (2 rows)."""
    from intel import reference

    reg = tmp_path / "bundled.csv"
    reg.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
                   "B1,2024-01-05,GHA,5.6037,-0.1870,pistol,2\nB2,2024-01-06,GHA,6.6885,-1.6244,rifle,1\n")
    for name in ("load_countries", "load_admin1", "load_unlocode_crossings", "load_unodc", "load_atf_flows"):
        monkeypatch.setattr(reference, name, lambda con, *a, **k: 0)
    monkeypatch.setattr(reference, "REGISTERS", [(reg, None)])


def _sources(db):
    con = connect(db)
    try:
        return sorted(r[0] for r in con.execute("SELECT DISTINCT source FROM events").fetchall())
    finally:
        con.close()


@pytest.mark.slow   # 23 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_build_refuses_a_store_with_imports_and_rebuild_keeps_a_backup(monkeypatch, tmp_path):
    from intel import ingest

    _fast_build(monkeypatch, tmp_path)
    db = tmp_path / "s.duckdb"
    run = lambda *a: CliRunner().invoke(main, ["build", "--db", str(db), *a])  # noqa: E731
    r = run()
    assert r.exit_code == 0, r.output
    r = run()   # a store holding only what a build wrote is rebuilt without asking, no backup
    assert r.exit_code == 0, r.output
    assert list(tmp_path.glob("s.backup-*")) == []
    mine = tmp_path / "mine.csv"
    mine.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
                    "M1,2024-03-05,GHA,5.6,-0.18,pistol,1\n")
    con = connect(db)
    ingest.import_file(con, mine, user="alice")
    con.close()
    assert _sources(db) == ["bundled", "mine"]
    r = run()
    assert r.exit_code != 0
    assert "1 imports" in r.output and "--rebuild" in r.output and "Nothing was changed" in r.output, r.output
    assert _sources(db) == ["bundled", "mine"]          # untouched
    assert not (tmp_path / "s.duckdb.tmp").exists()     # refused before building anything
    r = run("--rebuild")
    assert r.exit_code == 0, r.output
    backups = list(tmp_path.glob("s.backup-*.duckdb"))
    assert len(backups) == 1 and f"previous store kept as: {backups[0]}" in r.output, r.output
    assert _sources(db) == ["bundled"]
    assert _sources(backups[0]) == ["bundled", "mine"]  # the user's import kept in the backup


def test_build_refuses_a_store_with_audit_lines_only(monkeypatch, tmp_path):
    from intel import reference, store

    _fast_build(monkeypatch, tmp_path)
    db = tmp_path / "s.duckdb"
    reference.build(db, progress=lambda m: None)
    assert reference.user_data(db) == {"imports": 0, "audit": 0, "profiles": 0, "settings": 0}
    con = connect(db)
    store.audit(con, "quality.decide", {"quarantine_id": 1}, "bob")
    con.close()
    assert reference.user_data(db)["audit"] == 1
    import pytest

    with pytest.raises(reference.StoreHoldsUserData, match="1 audit"):
        reference.build(db, progress=lambda m: None)
    s = reference.build(db, progress=lambda m: None, rebuild=True)
    assert s.backup and reference.user_data(s.backup)["audit"] == 1
    assert reference.user_data(db)["audit"] == 0


def test_build_refuses_an_unreadable_store(monkeypatch, tmp_path):
    from intel import reference

    _fast_build(monkeypatch, tmp_path)
    db = tmp_path / "s.duckdb"
    db.write_bytes(b"not a duckdb file" * 100)
    r = CliRunner().invoke(main, ["build", "--db", str(db)])
    assert r.exit_code != 0 and "not a valid DuckDB database" in r.output, r.output   # check_not_held's sentence
    import pytest

    with pytest.raises(reference.StoreHoldsUserData, match="a store that cannot be read"):
        reference.build(db, progress=lambda m: None)
    assert db.read_bytes() == b"not a duckdb file" * 100


def test_build_refresh_reloads_reference_tables_and_keeps_imports(monkeypatch, tmp_path):
    from intel import ingest, reference

    _fast_build(monkeypatch, tmp_path)
    loads = []

    def one_country(con, *a, **k):   # each load writes the one row of a small reference table
        loads.append(1)
        con.execute("INSERT INTO countries (iso3, name) VALUES ('GHA', ?)", [f"Ghana {len(loads)}"])
        return 1
    monkeypatch.setattr(reference, "load_countries", one_country)
    db = tmp_path / "s.duckdb"
    reference.build(db, progress=lambda m: None)
    mine = tmp_path / "mine.csv"
    mine.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n"
                    "M1,2024-03-05,GHA,5.6,-0.18,pistol,1\n")
    con = connect(db)
    ingest.import_file(con, mine, user="alice")
    audit_before = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    con.close()
    r = CliRunner().invoke(main, ["build", "--db", str(db)])
    assert r.exit_code != 0 and "--refresh" in r.output, r.output
    r = CliRunner().invoke(main, ["build", "--db", str(db), "--refresh"])
    assert r.exit_code == 0, r.output
    assert "bundled.csv: already in the store" in r.output, r.output
    con = connect(db)
    assert con.execute("SELECT iso3, name FROM countries").fetchall() == [("GHA", "Ghana 2")]   # replaced, once
    assert sorted(con.execute("SELECT source, count(*) FROM events GROUP BY 1").fetchall()) == [
        ("bundled", 2), ("mine", 1)]                                      # imports kept, registers not doubled
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == audit_before + 1   # + build.refresh
    assert con.execute("SELECT action FROM audit ORDER BY audit_id DESC LIMIT 1").fetchone()[0] == "build.refresh"
    con.close()
    assert list(tmp_path.glob("s.backup-*")) == []
