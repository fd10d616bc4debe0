"""Every CLI export and briefing writes an audit line, never lost (issue 19).

The verbs read the store read-only; :mod:`intel.auditspool` writes their line through a brief
read-write open, or, while another process holds the store (``intel serve``), into the audit
spool beside it, which the next writer folds into the hash chain.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from intel import auditspool, store
from intel.cli import main
from intel.verify import verify

from conftest import ROOT
from test_export_marking import build_two_years


@pytest.fixture
def db(tmp_path):
    p = tmp_path / "two.duckdb"
    build_two_years(p)
    return p


def _lines(db, action=None):
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT user_name, action, CAST(detail AS VARCHAR) FROM audit ORDER BY audit_id").fetchall()
    finally:
        con.close()
    return [(u, a, json.loads(d)) for u, a, d in rows if action is None or a == action]


@pytest.mark.parametrize("verb, args, rows, marking", [
    ("borders", ["--period", "2023-03-01:2024-03-13"], 1, "REL TO BFA"),
    ("bypass", ["--period", "2024-01-01:2024-04-01"], 2, "UNRESTRICTED (public sources)"),
    ("flows", ["--period", "2023-01-01:2024-01-01"], 0, "REL TO BFA"),
    ("hotspots", ["--period", "2024-01-01:2024-04-01", "--res", "7"], None, "UNRESTRICTED (public sources)"),
])
def test_cli_exports_are_audited_and_marked(db, tmp_path, monkeypatch, verb, args, rows, marking):
    monkeypatch.setenv("INTEL_USER", "ama")
    out = tmp_path / f"{verb}.csv"
    r = CliRunner().invoke(main, [verb, "--db", str(db), "--out", str(out), *args])
    assert r.exit_code == 0, r.output
    assert f"marking: {marking}" in r.output
    got = _lines(db, "export")
    assert len(got) == 1      # before: no line at all
    user, _, d = got[0]
    assert user == "ama" and d["verb"] == verb and d["file"] == str(out.resolve()) and d["marking"] == marking
    assert d["snapshot"] == store.EMBEDDED_SNAPSHOT and d["filters"]["date_to"]
    df = pd.read_csv(out)
    assert d["rows"] == len(df) and (rows is None or len(df) == rows)
    assert df.columns[0] == "marking" and set(df["marking"]) <= {marking}
    assert verify(store.connect(db, read_only=True)).ok


def test_audit_export_and_briefing_are_audited(db, tmp_path):
    r = CliRunner().invoke(main, ["audit", "--db", str(db), "--out", str(tmp_path / "a.csv")])
    assert r.exit_code == 0, r.output
    assert [a for _, a, _ in _lines(db)] == ["audit.export"]
    pdf = tmp_path / "b.pdf"
    r = CliRunner().invoke(main, ["briefing", "--db", str(db), "--out", str(pdf), "--period", "2024", "--no-hotspots"])
    assert r.exit_code == 0, r.output
    (_, action, d), = _lines(db, "briefing")
    assert d["file"] == str(pdf.resolve()) and d["marking"] == "UNRESTRICTED (public sources)"
    assert d["filters"] == {"date_from": "2024-01-01", "date_to": "2025-01-01"}
    assert d["also"] and all(p.endswith(".png") for p in d["also"])
    from PIL import Image
    im = Image.open(d["also"][0])
    im.load()
    assert im.text.get("Marking") == "UNRESTRICTED (public sources)"


HOLD = """
import sys, time
sys.path.insert(0, {root!r})
from intel import store
con = store.connect({db!r})
print("held", flush=True)
time.sleep(120)
"""


def test_line_written_while_the_store_is_held_waits_in_the_spool_and_is_folded_once(db):
    spool = auditspool.spool_path(db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(root=str(ROOT), db=str(db))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"      # another process holds the file (intel serve)
        before = time.time()
        assert auditspool.record(db, "export", {"verb": "hotspots", "rows": 3}, user="ama") == "spool"
        assert auditspool.record(db, "briefing", {"verb": "briefing"}, user="kofi") == "spool"
        assert auditspool.pending(spool) == 2
        with open(spool, "a", encoding="utf-8") as f:
            f.write('{"torn": \n')                               # a torn line is kept, not dropped
    finally:
        holder.kill()
        holder.wait()
    ro = store.connect(db, read_only=True)
    try:
        rep = verify(ro)
        assert rep.ok and "3 audit line(s) wait in" in next(f.message for f in rep.findings if f.check == "spool")
    finally:
        ro.close()
    # keep a copy: a fold that stopped after its commit leaves the lines in the spool
    text = spool.read_text()
    con = store.connect(db)   # the next writable open folds the spool
    con.close()
    spool.write_text(text)
    con = store.connect(db)
    try:
        assert auditspool.pending(spool) == 0
        rows = con.execute("SELECT user_name, action, CAST(detail AS VARCHAR), logged_at FROM audit "
                           "ORDER BY audit_id").fetchall()
        assert [(u, a) for u, a, _, _ in rows] == [("ama", "export"), ("kofi", "briefing"),
                                                   ("local", "audit.spool_unreadable")]   # each once
        assert json.loads(rows[0][2])["rows"] == 3 and json.loads(rows[0][2])["spool_id"]
        assert json.loads(rows[2][2])["text"] == '{"torn": '
        assert abs(rows[0][3].timestamp() - before) < 60       # the time it happened, not the fold's
        rep = verify(con)
        assert rep.ok, rep.lines()
        # an audit line written by a running server folds a new spool first (then its own line)
        auditspool.append(spool, "export", {"verb": "flows"}, "moussa")
        store.audit(con, "sign_in", {}, "boss")
        assert [a for (a,) in con.execute("SELECT action FROM audit ORDER BY audit_id DESC LIMIT 2").fetchall()] \
            == ["sign_in", "export"]
        assert verify(con).ok
    finally:
        con.close()


def test_no_spool_and_no_store_fails_and_deletes_the_file(tmp_path, monkeypatch):
    from intel.cli import options

    out = tmp_path / "x.csv"
    out.write_text("a\n1\n")

    def refuse(*a, **k):
        raise OSError("the audit line could not be written")
    monkeypatch.setattr(auditspool, "record", refuse)
    with pytest.raises(Exception) as e:
        options.finish_export(tmp_path / "none.duckdb", out, "flows", rows=1, marking="NOFORN")
    assert "deleted" in str(e.value) and not out.exists()
