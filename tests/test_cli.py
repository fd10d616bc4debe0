"""The command line as a whole: shared options declared once, one error path (exit status 2, no
traceback), resolution ranges from the configuration, the period grammar, ``intel settings``."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from intel import config, periods, settings, store
from intel.cli import main
from intel.cli.errors import EXIT_CODE, fail, IntelCommand, IntelGroup
from intel.cli.options import DB_HELP, PeriodType, ResolutionType

from conftest import ROOT


def _commands(group=main, prefix=""):
    for name, cmd in group.commands.items():
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")


def run(args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


# ---------------------------------------------------------------------- resolution
def test_hotspots_res_10_is_a_usage_error_naming_the_range(tmp_path):
    # before: --res took 0-10, passed click and failed inside the analysis with exit status 1
    r = run(["hotspots", "--res", "10", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "h.csv"])
    assert r.exit_code == 2, r.output
    assert "5-9" in r.output and "--res" in r.output and "Traceback" not in r.output
    assert "does not exist" not in r.output  # refused while parsing, before the store is opened
    r = run(["emerging", "--res", "4", "--out", tmp_path / "e.csv"])
    assert r.exit_code == 2 and "5-9" in r.output


def test_every_res_option_takes_its_use_range_from_the_configuration():
    seen = set()
    for name, cmd in _commands():
        for p in cmd.params:
            if p.name in ("res", "map_res", "hotspot_res"):
                assert isinstance(p.type, ResolutionType), name
                assert (p.type.min, p.type.max) == config.RESOLUTIONS[p.type.use], name
                lo, hi = config.RESOLUTIONS[p.type.use]
                assert f"{lo}-{hi}" in p.help, name
                seen.add(p.type.use)
    assert seen == {"hotspot", "border", "corridor", "planner", "backtest", "briefing"}


@pytest.mark.parametrize("verb,res", [("corridors", "7"), ("bypass", "2"), ("targets", "2"), ("briefing", "10")])
def test_out_of_range_res_is_refused_at_parsing(verb, res, tmp_path):
    r = run([verb, "--res", res, "--out", tmp_path / "x.pdf"])
    assert r.exit_code == 2 and "Invalid value for '--res'" in r.output and "outside" in r.output


# ---------------------------------------------------------------------- --db, declared once
def test_db_option_declared_once():
    dbs = {name: p for name, cmd in _commands() for p in cmd.params if p.name == "db"}
    assert len(dbs) >= 15
    for name, p in dbs.items():
        if name.startswith("users "):  # optional: the store whose audit log also records the change
            assert p.default is None, name
            continue
        assert p.help == DB_HELP, name
        assert str(p.get_default(click.Context(click.Command("x")), call=True)) == str(config.DEFAULT_DB), name


def test_every_verb_uses_the_one_error_path():
    for name, cmd in _commands():
        assert isinstance(cmd, (IntelCommand, IntelGroup)), name


# ---------------------------------------------------------------------- periods
def test_period_type_is_the_product_grammar():
    t = PeriodType()
    assert t.convert("2019-03", None, None) == periods.parse_period("2019-03") == ("2019-03-01", "2019-04-01")
    assert t.convert("", None, None) == (None, None)
    with pytest.raises(click.BadParameter, match="YYYY-MM:YYYY-MM"):
        t.convert("last week", None, None)
    with pytest.raises(click.BadParameter, match="start and an end"):
        PeriodType(require_both=True).convert("2019:", None, None)


def test_bad_period_is_a_usage_error_naming_the_grammar(tmp_path):
    for args in (["briefing", "--period", "spring", "--out", tmp_path / "b.pdf"],
                 ["hotspots", "--period", "2019-13", "--out", tmp_path / "h.csv"],
                 ["audit", "--period", "2020:2019", "--out", tmp_path / "a.csv"],
                 ["flows", "--period", "x", "--out", tmp_path / "f.csv"]):
        r = run(args)
        assert r.exit_code == 2, (args, r.output)
        assert "Invalid value for '--period'" in r.output and "Traceback" not in r.output
    r = run(["briefing", "--period", "spring", "--out", tmp_path / "b.pdf"])
    assert periods.PERIOD_HELP.split(",")[0] in r.output


def test_backtest_periods_must_be_closed(tmp_path):
    r = run(["backtest", "--train", "2015:", "--test", "2020", "--out", tmp_path / "b.csv"])
    assert r.exit_code == 2 and "needs a start and an end" in r.output


def test_period_and_from_to_are_exclusive(tmp_path):
    r = run(["hotspots", "--period", "2020", "--from", "2020-01-01", "--out", tmp_path / "h.csv"])
    assert r.exit_code == 2 and "not both" in r.output
    r = run(["audit", "--from", "2020-02-01", "--to", "2020-02-01", "--out", tmp_path / "a.csv"])
    assert r.exit_code == 2 and "empty period" in r.output
    r = run(["audit", "--from", "2020-02-30", "--out", tmp_path / "a.csv"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output


def test_audit_period_equals_from_to(tmp_path):
    db = tmp_path / "a.duckdb"
    con = store.connect(db)
    store.audit(con, "x", {}, "u")
    con.close()
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    year = time.gmtime().tm_year
    assert run(["audit", "--db", db, "--out", a, "--period", str(year), "--action", "x"]).exit_code == 0
    r = run(["audit", "--db", db, "--out", b, "--from", f"{year}-01-01", "--to", f"{year + 1}-01-01", "--action", "x"])
    assert r.exit_code == 0 and "1 audit lines" in r.output   # (each export adds an audit.export line)
    assert a.read_text() == b.read_text()


# ---------------------------------------------------------------------- the one error path
def test_fail_is_a_plain_sentence_with_exit_2():
    @click.command(cls=IntelCommand)
    def verb():
        fail("the thing is missing.")

    r = CliRunner().invoke(verb, [])
    assert r.exit_code == EXIT_CODE == 2
    assert r.output.strip() == "error: the thing is missing."


@pytest.mark.parametrize("exc,text", [
    (ValueError("bad value"), "error: bad value"),
    (KeyError("no_such"), "error: unknown name 'no_such'"),
    (FileNotFoundError("store x does not exist"), "error: store x does not exist"),
    (FileNotFoundError(2, "No such file or directory", "in.csv"), "error: No such file or directory: in.csv"),
    (PermissionError(13, "Permission denied", "/root/x.csv"), "error: Permission denied: /root/x.csv"),
])
def test_expected_errors_are_reported_not_raised(exc, text):
    @click.command(cls=IntelCommand)
    def verb():
        raise exc

    r = CliRunner().invoke(verb, [])
    assert r.exit_code == 2 and r.output.strip() == text and r.exception.__class__ is SystemExit


def test_unexpected_errors_are_not_hidden():
    @click.command(cls=IntelCommand)
    def verb():
        raise ZeroDivisionError("a bug")

    r = CliRunner().invoke(verb, [])
    assert isinstance(r.exception, ZeroDivisionError)


def test_corrupt_store_is_a_plain_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    r = run(["flows", "--db", bad, "--out", tmp_path / "f.csv"])
    assert r.exit_code == 2 and "is damaged or is not a store" in r.output and "Traceback" not in r.output


def test_locked_store_is_a_plain_error(tmp_path):
    db = tmp_path / "locked.duckdb"
    store.connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(db)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        r = run(["settings", "set", "hotspot_k", "2", "--db", db])
        assert r.exit_code == 2 and "in use by another process" in r.output and "Traceback" not in r.output
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def _hold(db, *argv):
    """A second process holding ``db`` read-write, its command line ending with ``argv``."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(db)!r})
        print("ready", flush=True)
        sys.stdin.read()
    """), *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    return holder


def test_store_held_by_the_dashboard_names_it_for_every_verb(tmp_path):
    # before: "Cannot open the store ...: Could not set lock ... Conflicting lock is held" and nothing
    # on what holds it or what to do
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    csv = tmp_path / "in.csv"
    csv.write_text("date,latitude,longitude,firearms\n2020-01-01,43.7,-79.4,1\n")
    holder = _hold(db, "streamlit", "run", "app.py", "--server.port", "8501")
    try:
        for args in (["hotspots", "--db", db, "--out", tmp_path / "h.csv"],          # reads
                     ["batches", "list", "--db", db],
                     ["settings", "get", "hotspot_k", "--db", db],
                     ["import", csv, "--db", db],                                   # writes
                     ["settings", "set", "hotspot_k", "2", "--db", db],
                     ["build", "--db", db]):                                        # replaces the file
            r = run(args)
            out = " ".join(r.output.split())
            assert r.exit_code == 2, (args, r.output)
            assert "Traceback" not in r.output and "Conflicting lock" not in out, (args, r.output)
            assert f"the dashboard (PID {holder.pid}: " in out, (args, out)
            assert "streamlit run app.py --server.port 8501" in out, (args, out)
            assert f"stop the dashboard (kill {holder.pid}" in out and "Import" in out, (args, out)
            assert "DuckLake" in out and "one process" in out, (args, out)
        assert not (tmp_path / "held.duckdb.tmp").exists()  # build stopped before building anything
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert run(["settings", "get", "hotspot_k", "--db", db]).exit_code == 0  # free again once it stopped


def test_store_held_by_another_program_is_named_as_such(tmp_path):
    db = tmp_path / "held.duckdb"
    store.connect(db).close()
    holder = _hold(db, "nightly-job")
    try:
        r = run(["flows", "--db", db, "--out", tmp_path / "f.csv"])
        out = " ".join(r.output.split())
        assert r.exit_code == 2 and "Traceback" not in r.output
        assert f"another process (PID {holder.pid}: " in out and "nightly-job" in out
        assert f"stop it (PID {holder.pid})" in out and "the dashboard (" not in out
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_lock_holder_reads_pid_and_command_line():
    import duckdb

    exc = duckdb.IOException('IO Error: Could not set lock on file "/x/s.duckdb": Conflicting lock is held in '
                             f"/usr/bin/python3 (PID {os.getpid()}). See also https://duckdb.org/docs")
    h = store.lock_holder(exc)
    assert h.pid == os.getpid() and h.program == "/usr/bin/python3"
    assert h.command and h.command.split()[0] == open(f"/proc/{os.getpid()}/cmdline", "rb").read().split(b"\0")[0].decode()
    gone = duckdb.IOException('Could not set lock on file "/x": Conflicting lock is held in prog (PID 999999999)')
    assert store.lock_holder(gone) == store.LockHolder(999999999, "prog", None)
    assert store.lock_holder(duckdb.IOException("Cannot open file: not a database")) is None
    assert store.lock_holder(ValueError("lock")) is None


def test_python_m_intel_cli(tmp_path):
    p = subprocess.run([sys.executable, "-m", "intel.cli", "hotspots", "--res", "10", "--out", str(tmp_path / "x.csv")],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "5-9" in p.stderr


# ---------------------------------------------------------------------- intel settings
def test_settings_cli(tmp_path, monkeypatch):
    monkeypatch.delenv("INTEL_HOTSPOT_K", raising=False)
    monkeypatch.setenv("INTEL_USER", "ama")
    db = tmp_path / "s.duckdb"
    store.connect(db).close()
    r = run(["settings", "list", "--db", db])
    assert r.exit_code == 0, r.output
    line = next(l for l in r.output.splitlines() if l.startswith("hotspot_resolution "))
    assert line.split()[:3] == ["hotspot_resolution", "8", "default"] and "5-9" in line
    assert len([l for l in r.output.splitlines()[1:] if l.strip()]) == len(settings.SETTINGS)
    assert run(["settings"]).exit_code == 0  # bare group lists too

    r = run(["settings", "set", "hotspot_k", "2", "--db", db])
    assert r.exit_code == 0 and "hotspot_k = 2" in r.output
    assert run(["settings", "get", "hotspot_k", "--db", db]).output.strip() == "2"
    line = next(l for l in run(["settings", "list", "--db", db]).output.splitlines() if l.startswith("hotspot_k "))
    assert line.split()[:3] == ["hotspot_k", "2", "store"]

    r = run(["settings", "set", "hotspot_k", "9", "--db", db])
    assert r.exit_code == 2 and "from 1 to 3" in r.output
    r = run(["settings", "set", "corridor_resolution", "8", "--db", db])
    assert r.exit_code == 2 and "from 2 to 6" in r.output
    r = run(["settings", "set", "no_such", "1", "--db", db])
    assert r.exit_code == 2 and "no setting named 'no_such'" in r.output

    monkeypatch.setenv("INTEL_HOTSPOT_K", "3")
    r = run(["settings", "get", "hotspot_k", "--db", db])
    assert r.output.strip() == "3"
    r = run(["settings", "reset", "hotspot_k", "--db", db])
    assert r.exit_code == 0 and "back to the default 1" in r.output and "INTEL_HOTSPOT_K is set" in r.output
    monkeypatch.delenv("INTEL_HOTSPOT_K")
    assert run(["settings", "get", "hotspot_k", "--db", db]).output.strip() == "1"

    con = store.connect(db, read_only=True)
    try:
        log = con.execute("SELECT user_name, action, detail->>'name' FROM audit ORDER BY audit_id").fetchall()
    finally:
        con.close()
    assert log == [("ama", "settings.change", "hotspot_k"), ("ama", "settings.reset", "hotspot_k")]


def test_bad_environment_setting_is_a_plain_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INTEL_HOTSPOT_RESOLUTION", "12")
    db = tmp_path / "s.duckdb"
    store.connect(db).close()
    r = run(["hotspots", "--db", db, "--out", tmp_path / "h.csv"])
    assert r.exit_code == 2 and "INTEL_HOTSPOT_RESOLUTION" in r.output and "from 5 to 9" in r.output


def test_targets_trigger_preset_starts_at_the_suggested_resolution(real_store, tmp_path):
    """Without --res, a preset ranks at the finest resolution at which most of its records can be used (the
    page does the same): 3 for Trigger, with Colombian and Ecuadorian targets and their crossing notes."""
    r = run(["targets", "--db", real_store, "--preset", "TRIGGER", "--out", tmp_path / "t.csv"])
    assert r.exit_code == 0, r.output
    assert "Resolution 3 is the finest at which most of this area's records can be used" in r.output
    assert "at H3 resolution 3" in r.output
    # targets in both countries, each with the crossing note of its own border
    t = pd.read_csv(tmp_path / "t.csv")
    assert {"CO", "EC"} <= set(t["town_country"])   # ISO 3166-1 alpha-2 of the nearest town, t["town_country"].tolist()
    assert t["crossing_note"].notna().all() and t["crossing_note"].str.contains(r"\((?:COL|ECU)-[A-Z]{3}\)").all()
    assert "(COL-ECU)" in r.output and "(ECU-PER)" in r.output and "(COL-VEN)" in r.output
    # an explicit --res wins
    r = run(["targets", "--db", real_store, "--preset", "TRIGGER", "--res", "4", "--out", tmp_path / "t4.csv"])
    assert r.exit_code == 0, r.output
    assert "finest at which" not in r.output and "at H3 resolution 4" in r.output and "Maicao" in r.output


def test_year_options_read_as_the_one_period_grammar():
    """``--from-year``/``--to-year`` mean what ``--period Y1:Y2`` means (years inclusive, half-open result)."""
    from intel.cli.corridors import _period

    assert _period((None, None), 2019, 2020) == periods.parse_period("2019:2020") == ("2019-01-01", "2021-01-01")
    assert _period((None, None), None, 2020) == (None, "2021-01-01")
    assert _period((None, None), 2019, None) == ("2019-01-01", None)
    with pytest.raises(click.UsageError):
        _period((None, None), 2020, 2019)
