"""The study-area options of the CLI (issue 15, item 3): declared once, on every analysis verb,
exit status 2 with a plain sentence on bad values, and the area used printed with its cells."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from intel import studyarea
from intel.cli import main
from intel.cli import options

VERBS = ("hotspots", "emerging", "targets", "backtest")
AREA_PARAMS = {"area_mode", "area_countries", "area_admin1", "area_bbox", "area_sources"}


def run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_modes_agree_with_the_analyses():
    assert options.AREA_MODES == studyarea.AREA_MODES


@pytest.mark.parametrize("verb", VERBS)
def test_every_analysis_verb_has_the_same_area_options(verb):
    params = {p.name: p for p in main.commands[verb].params}
    assert AREA_PARAMS <= set(params), verb
    assert params["area_mode"].opts == ["--area"] and params["area_countries"].opts == ["--country"]
    assert params["area_countries"].multiple and params["area_sources"].multiple
    assert list(params["area_mode"].type.choices) == list(studyarea.AREA_MODES)


@pytest.mark.parametrize("args,expected", [
    ([], ("data", (), None, ())),
    (["--country", "bfa", "--country", "CIV,MLI"], ("countries", ("BFA", "CIV", "MLI"), None, ())),
    (["--area", "extent", "--source", "a", "--source", "b"], ("extent", (), None, ("a", "b"))),
    (["--bbox", "-5,4,-3,6"], ("bbox", (), (-5.0, 4.0, -3.0, 6.0), ())),
    (["--area", "admin1", "--admin1", "USA-03521"], ("admin1", ("USA-03521",), None, ())),
])
def test_resolve_area(args, expected):
    import click

    seen = {}

    @click.command()
    @options.area_options
    def cmd(area):
        seen["a"] = area

    r = CliRunner().invoke(cmd, args)
    assert r.exit_code == 0, r.output
    a = seen["a"]
    assert (a.kind, a.codes, a.bbox, a.sources) == expected


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("args,says", [
    (["--area", "BFA,CIV"], "give countries with --country"),
    (["--area", "ocean"], "Invalid value for '--area'"),
    (["--area", "countries"], "--area countries needs --country"),
    (["--area", "bbox"], "--area bbox needs --bbox"),
    (["--country", "BFA", "--bbox", "1,2,3,4"], "give only one of --country, --bbox"),
    (["--area", "data", "--country", "BFA"], "--country does not apply to --area data"),
    (["--bbox", "1,2,3"], "four numbers"),
    (["--bbox", "3,2,1,4"], "W < E"),
    (["--country", "BF1"], "not ISO 3166-1 alpha-3"),
])
def test_bad_values_exit_2_with_a_sentence(verb, args, says, tmp_path):
    extra = ["--train", "2020", "--test", "2021", "--out", tmp_path / "b.csv"] if verb == "backtest" \
        else ["--out", tmp_path / "x.csv"]
    r = run([verb, *args, "--db", tmp_path / "none.duckdb", *extra])
    assert r.exit_code == 2, r.output
    assert says in r.output and "Traceback" not in r.output
    assert "does not exist" not in r.output          # refused while parsing, before the store is opened


# ------------------------------------------------------------------ against a small store

@pytest.fixture
def db(tmp_path):
    """Toronto (source tps, CAN): 60 events in 4 cells; Abidjan (source civ, CIV): 4 events."""
    from intel import reference
    from intel.hexbin import bin_points
    from intel.store import connect

    pts = [((43.655, -79.385), 25, "CAN", "tps"), ((43.700, -79.450), 15, "CAN", "tps"),
           ((43.750, -79.300), 12, "CAN", "tps"), ((43.670, -79.420), 8, "CAN", "tps"),
           ((5.330, -4.020), 3, "CIV", "civ"), ((5.400, -4.050), 1, "CIV", "civ")]
    rows, i = [], 0
    for (lat, lon), n, iso, src in pts:
        c = int(bin_points(np.array([lat]), np.array([lon]))[0])
        for j in range(n):
            i += 1
            rows.append((i, 1, src, f"k{i}", "accepted", "seizure", pd.Timestamp("2024-01-01").date()
                         + pd.Timedelta(days=j * 7), lat, lon, "exact", 1.0, c, iso))
    path = tmp_path / "s.duckdb"
    con = connect(path)
    reference.load_countries(con)
    con.execute("INSERT INTO batches VALUES (1,'t','t.csv','x',NULL,now(),NULL,0,0,0,0,NULL,NULL,NULL)")
    con.executemany("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind, event_date, latitude, "
                    "longitude, location_precision, firearms, h3_cell, country_iso3) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows)
    con.close()
    return path


def _area_line(output):
    return next(line for line in output.splitlines() if line.startswith("Study area: "))


def test_hotspots_default_area_is_the_land_of_the_records(db, tmp_path):
    out = tmp_path / "h.csv"
    r = run(["hotspots", "--db", db, "--res", 7, "--out", out])
    assert r.exit_code == 0, r.output
    line = _area_line(r.output)
    n = len(pd.read_csv(out))
    assert "2 countries (CAN, CIV)" in line and f"{n:,} cells at resolution 7" in line
    r5 = run(["hotspots", "--db", db, "--res", 5, "--out", tmp_path / "d5.csv"])
    ext = run(["hotspots", "--db", db, "--res", 5, "--area", "extent", "--out", tmp_path / "e.csv"])
    # the single hull from Toronto to Abidjan keeps the land it spans (eastern North America, West
    # Africa), never the Atlantic, and is still far larger than the land of the places with records
    assert ext.exit_code == 0 and r5.exit_code == 0, ext.output + r5.output
    assert "Data extent" in _area_line(ext.output)
    assert len(pd.read_csv(tmp_path / "e.csv")) > 10 * len(pd.read_csv(tmp_path / "d5.csv"))


def test_source_and_country_restrict_the_records(db, tmp_path):
    r = run(["hotspots", "--db", db, "--res", 7, "--source", "tps", "--out", tmp_path / "s.csv"])
    assert r.exit_code == 0, r.output
    assert "1 country (CAN)" in _area_line(r.output)
    assert pd.read_csv(tmp_path / "s.csv")["value"].sum() == 60
    r = run(["hotspots", "--db", db, "--res", 5, "--country", "CIV", "--out", tmp_path / "c.csv"])
    assert r.exit_code == 0, r.output
    assert _area_line(r.output).startswith("Study area: Selected countries: ")
    assert pd.read_csv(tmp_path / "c.csv")["value"].sum() == 4
    assert "60 located records fall outside the study area" in r.output


def test_unknown_source_or_country_in_the_store_exit_2(db, tmp_path):
    r = run(["hotspots", "--db", db, "--source", "nope", "--out", tmp_path / "x.csv"])
    assert r.exit_code == 2 and "no records of source nope" in r.output and "civ, tps" in r.output
    r = run(["targets", "--db", db, "--country", "ZZZ", "--out", tmp_path / "t.csv"])
    assert r.exit_code == 2 and "no country boundary ZZZ" in r.output


def test_too_large_area_names_a_resolution(db, tmp_path):
    # Cote d'Ivoire, about 322,000 km2: H3 cells there are about 0.076 km2 at res 9 (4.2 million
    # cells, over the 2,000,000 cap) and 0.53 km2 at res 8 (about 610,000 cells): res 8 fits
    r = run(["hotspots", "--db", db, "--res", 9, "--country", "CIV", "--out", tmp_path / "x.csv"])
    assert r.exit_code == 2, r.output
    assert "resolution 8 is the finest at which it fits" in r.output and "Traceback" not in r.output


def test_targets_print_the_area(db, tmp_path):
    r = run(["targets", "--db", db, "--res", 8, "--source", "tps", "--out", tmp_path / "t.csv"])
    assert r.exit_code == 0, r.output
    assert "source tps" in r.output and "1 country (CAN)" in _area_line(r.output)


def test_targets_say_which_ranking(db, tmp_path):
    r = run(["targets", "--db", db, "--res", 8, "--source", "tps", "--out", tmp_path / "t.csv"])
    assert r.exit_code == 0, r.output
    assert "- Ranked by the fitted ranking (" in r.output
    r = run(["targets", "--db", db, "--res", 8, "--source", "tps", "--ranking", "score", "--out", tmp_path / "s.csv"])
    assert r.exit_code == 0, r.output
    assert "- Ranked by the weighted risk score" in r.output
    t = pd.read_csv(tmp_path / "s.csv")
    assert (t["score"] - t["risk_score"]).abs().max() < 1e-9
