"""The default store, built from the bundled real data through the product's import path."""
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
