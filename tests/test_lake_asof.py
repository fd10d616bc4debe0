"""As-of reads (issue 18): a briefing and a target package name the store snapshot they were
read from, and ``--as-of SNAPSHOT`` makes them again from that snapshot of a DuckLake store after
later imports; an embedded store says it keeps no snapshots.

Hand-computed: import A holds 15 located records in January 2024, import B 15 more in February,
so the briefing's event total is 15 at the first snapshot and 30 after B.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from intel import ingest, store
from intel.cli import main
from tests.test_lake_app import lake_spec, write_csv


def _briefing(spec, out, *extra):
    r = CliRunner().invoke(main, ["briefing", "--db", spec, "--out", str(out), "--no-hotspots", *extra])
    assert r.exit_code == 0, r.output
    snap = re.search(r"^read from: (.*)$", r.output, re.M).group(1)
    # the figure lines (KPIs), without the file names
    figures = [ln for ln in r.output.splitlines() if not ln.startswith(("briefing:", "figure:", "read from:"))]
    return snap, figures


@pytest.mark.slow   # 66 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
def test_briefing_and_targets_as_of_an_earlier_snapshot(tmp_path):
    spec = lake_spec(tmp_path / "lake")
    con = store.connect(spec)
    ingest.import_file(con, write_csv(tmp_path / "a.csv", "R", 1))
    s1 = store.snapshot_id(con)
    con.close()

    label1, fig1 = _briefing(spec, tmp_path / "b1.pdf")
    assert label1 == f"DuckLake snapshot {s1}"
    t1 = CliRunner().invoke(main, ["targets", "--db", spec, "--res", "8", "--out", str(tmp_path / "t1.csv")])
    # the briefing's audit line is a commit of its own, so the targets read the snapshot after s1 (same records)
    assert t1.exit_code == 0 and f"read from: DuckLake snapshot {s1 + 1}" in t1.output, t1.output

    con = store.connect(spec)
    ingest.import_file(con, write_csv(tmp_path / "b.csv", "S", 2))
    s2 = store.snapshot_id(con)
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == 30
    con.close()
    assert s2 > s1

    label2, fig2 = _briefing(spec, tmp_path / "b2.pdf")
    assert label2 == f"DuckLake snapshot {s2}" and fig2 != fig1   # the later import changes the figures
    label3, fig3 = _briefing(spec, tmp_path / "b3.pdf", "--as-of", str(s1))
    assert label3 == label1 and fig3 == fig1                        # ... and --as-of brings the first back

    t3 = CliRunner().invoke(main, ["targets", "--db", spec, "--res", "8", "--out", str(tmp_path / "t3.csv"),
                                   "--as-of", str(s1)])
    assert t3.exit_code == 0 and f"read from: DuckLake snapshot {s1}" in t3.output, t3.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t1.csv"), pd.read_csv(tmp_path / "t3.csv"))
    t2 = CliRunner().invoke(main, ["targets", "--db", spec, "--res", "8", "--out", str(tmp_path / "t2.csv")])
    assert t2.exit_code == 0
    assert not pd.read_csv(tmp_path / "t1.csv").equals(pd.read_csv(tmp_path / "t2.csv"))

    # a snapshot the store does not have: one sentence
    r = CliRunner().invoke(main, ["briefing", "--db", spec, "--out", str(tmp_path / "x.pdf"), "--as-of", "99999"])
    assert r.exit_code == 2 and "has no snapshot 99999" in r.output and "Traceback" not in r.output, r.output


def test_as_of_store_is_read_only_and_pinned(tmp_path):
    spec = lake_spec(tmp_path / "lake")
    con = store.connect(spec)
    ingest.import_file(con, write_csv(tmp_path / "a.csv", "R", 1))
    s1 = store.snapshot_id(con)
    ingest.import_file(con, write_csv(tmp_path / "b.csv", "S", 2))
    con.close()
    old = store.connect(spec, snapshot=s1)
    assert store.snapshot_id(old) == s1 and store.snapshot_label(old) == f"DuckLake snapshot {s1}"
    assert old.execute("SELECT count(*) FROM events").fetchall()[0][0] == 15
    old.close()


def test_embedded_store_says_it_keeps_no_snapshots(tmp_path):
    db = tmp_path / "e.duckdb"
    con = store.connect(db)
    ingest.import_file(con, write_csv(tmp_path / "a.csv"))
    assert store.snapshot_label(con) == "embedded store, no snapshots"
    con.close()
    label, _ = _briefing(str(db), tmp_path / "b.pdf")
    assert label == "embedded store, no snapshots"
    r = CliRunner().invoke(main, ["briefing", "--db", str(db), "--out", str(tmp_path / "x.pdf"), "--as-of", "3"])
    assert r.exit_code == 2 and "keeps no snapshots" in r.output and "Traceback" not in r.output, r.output


def test_export_audit_line_carries_the_snapshot(tmp_path, monkeypatch):
    """The pages' export button writes the snapshot the page read into the export's audit line
    (when the file is produced for the session: :func:`pages.common.audited_download`)."""
    import json

    from tests.test_lake_app import ROOT

    spec = lake_spec(tmp_path / "lake")
    con = store.connect(spec)
    ingest.import_file(con, write_csv(tmp_path / "a.csv"))
    snap = store.snapshot_id(con)
    con.close()
    monkeypatch.setenv(store.STORE_ENV, spec)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("INTEL_USERS", raising=False)
    monkeypatch.chdir(ROOT)
    from pages import common

    class Container:   # stands in for st: keeps the producer (AppTest cannot ask for a download)
        def download_button(self, label, data, file_name=None, mime=None, on_click=None, **kw):
            self.produce = data
            return False

    box = Container()
    common.export_button(box, "CSV", b"a,b\n", file_name="x.csv")
    assert box.produce() == b"marking,a,b\n"   # the marking of the rows, inside the file (issue 19)
    ro = store.connect(spec, read_only=True)
    detail = ro.execute("SELECT detail FROM audit WHERE action = 'export'").fetchall()
    ro.close()
    assert len(detail) == 1 and json.loads(detail[0][0])["snapshot"] == f"DuckLake snapshot {snap}"
