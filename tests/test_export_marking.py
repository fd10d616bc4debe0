"""Exports carry the marking of the rows they hold, inside the file and in its name (issue 19).

A store of two batches: 12 records marked ``REL TO BFA`` dated in 2023 and 12 unrestricted ones
dated in 2024. Everything the local administrator sees is therefore ``REL TO BFA``; an export of
2024 alone holds only unrestricted rows and must say so (before the fix every export was named
after the whole store), and an export of 2023 must say ``REL TO BFA`` inside the file as well.
"""
from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from intel import auth, hexbin, quality, store
from intel.export import file_marking

from conftest import ROOT


def build_two_years(path) -> None:
    con = store.connect(path)
    rows = []
    for bid, rel, year in ((1, "REL TO BFA", 2023), (2, None, 2024)):
        con.execute("INSERT INTO batches (batch_id, source, file_name, sha256, imported_at, imported_by, rows_read, "
                    "rows_accepted, rows_quarantined, rows_rejected, releasability) "
                    "VALUES (?, 'test', ?, ?, now(), 'ama', 12, 12, 0, 0, ?)", [bid, f"b{bid}.csv", f"s{bid}", rel])
        for i in range(12):
            rows.append(dict(event_id=len(rows) + 1, batch_id=bid, source="test", incident_key=f"i{len(rows)}",
                             status="accepted", kind="seizure", event_date=pd.Timestamp(f"{year}-03-01")
                             + pd.Timedelta(days=i), latitude=43.60 + 0.01 * i, longitude=-79.50, country_iso3="CAN",
                             location_precision="exact", category="firearm", firearms=1.0, quantity=1.0))
    ev = pd.DataFrame(rows)
    ev["h3_cell"] = hexbin.bin_points(ev["latitude"].to_numpy(), ev["longitude"].to_numpy())
    con.register("_ev", ev)
    con.execute(f"INSERT INTO events ({', '.join(ev.columns)}) SELECT {', '.join(ev.columns)} FROM _ev")
    # quarantine: a row of each batch with its record, and a rejected REL TO BFA row of batch 2
    con.execute("UPDATE batches SET options = '{\"columns\": {\"releasability\": \"rel\"}}' WHERE batch_id = 2")
    con.execute("INSERT INTO quarantine (quarantine_id, batch_id, event_id, outcome, reasons, raw) VALUES "
                "(1, 1, 1, 'quarantined', ['PLACE_UNKNOWN'], '{}'), (2, 2, 13, 'quarantined', ['PLACE_UNKNOWN'], '{}'), "
                "(3, 2, NULL, 'rejected', ['DATE_INVALID'], '{\"rel\": \"REL TO BFA\"}')")
    con.close()


@pytest.fixture
def two_years(tmp_path, app_env, monkeypatch):
    db = tmp_path / "two.duckdb"
    build_two_years(db)
    monkeypatch.delenv("INTEL_USERS", raising=False)
    app_env(db)
    return db


def _download(monkeypatch, period, db):
    """Draw the Explore map page with the sidebar period ``period`` and produce its CSV export as
    the session would: (file name, bytes)."""
    def run():
        at = AppTest.from_file(str(ROOT / "pages" / "explore_map.py"), default_timeout=240)
        at.session_state["flt_period"] = period
        return at.run()
    from streamlit.runtime.media_file_manager import MediaFileManager

    got = {}
    real = MediaFileManager.add_deferred

    def keep(self, data_or_callable, *a, file_name=None, **k):
        got["callable"], got["name"] = data_or_callable, file_name
        return real(self, data_or_callable, *a, file_name=file_name, **k)
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    at = run()
    assert not at.exception, at.exception
    data = got["callable"]()
    return got["name"], data


def test_page_export_is_marked_by_its_rows_in_name_and_content(two_years, monkeypatch):
    import datetime as dt

    name, data = _download(monkeypatch, (dt.date(2024, 1, 1), dt.date(2024, 3, 12)), two_years)
    assert name.startswith("UNRESTRICTED__cells_res"), name   # before: REL_TO_BFA__ (the whole store)
    assert file_marking(data, "x.csv") == "UNRESTRICTED (public sources)"
    df = pd.read_csv(io.BytesIO(data))
    assert df.columns[0] == "marking" and df["events"].sum() == 12
    name, data = _download(monkeypatch, (dt.date(2023, 3, 1), dt.date(2024, 3, 12)), two_years)
    assert name.startswith("REL_TO_BFA__cells_res"), name
    assert set(pd.read_csv(io.BytesIO(data))["marking"]) == {"REL TO BFA"}
    # the audit line of the production names the marking, the filters and the rows
    con = store.connect(two_years)
    try:
        d = json.loads(con.execute("SELECT CAST(detail AS VARCHAR) FROM audit WHERE action = 'export' "
                                   "ORDER BY audit_id DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()
    assert d["marking"] == "REL TO BFA" and d["filters"]["date_from"] == "2023-03-01" and d["rows"] >= 1


def test_quarantine_marking_is_that_of_the_rows(two_years):
    con = store.connect(two_years)
    try:
        assert quality.quarantine_marking(con, [2]) == auth.UNRESTRICTED_MARKING
        assert quality.quarantine_marking(con, [1, 2]) == "REL TO BFA"
        assert quality.quarantine_marking(con, [3]) == "REL TO BFA"     # the rejected row's own marking
        assert quality.quarantine_marking(con, []) == auth.UNRESTRICTED_MARKING
        cur = auth.apply_visibility(con.cursor(), auth.User("kofi", "analyst", "CIV"))
        assert quality.quarantine_marking(cur, [2, 3]) == auth.UNRESTRICTED_MARKING  # row 3 is hidden from CIV
    finally:
        con.close()
