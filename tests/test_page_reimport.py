"""AppTest of re-import on the Import page (new / updated / unchanged records) and of the Admin
page's batch marking form (the batch's importer or an administrator; audited; a plain sentence
for an unreadable marking)."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from intel import auth, ingest, store

from conftest import ROOT

ROWS = "".join(f"R{i},2024-01-{i + 1:02d},BFA,{12.30 + i * 0.01:.2f},-1.52,pistol,1\n" for i in range(6))
CSV = "record_id,seizure_date,country,latitude,longitude,firearm_type,quantity\n" + ROWS


@pytest.fixture()
def db(tmp_path, app_env, monkeypatch):
    p = tmp_path / "page.duckdb"
    store.connect(p).close()
    app_env(p)
    monkeypatch.delenv("INTEL_USERS", raising=False)
    return p


def _metric(at, label):
    return int(next(m for m in at.metric if m.label == label).value.replace(",", ""))


def test_import_page_counts_unchanged_records_of_a_copy(db, tmp_path):
    src = tmp_path / "seizures.csv"
    src.write_text(CSV)
    con = store.connect(db)
    ingest.import_file(con, src, user="local")
    con.close()
    at = AppTest.from_file(str(ROOT / "pages" / "import_file.py"), default_timeout=60)
    at.session_state["_test_upload"] = ("seizures.csv", (CSV + "\n").encode())   # one extra newline
    at.run()
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert (_metric(at, "New records"), _metric(at, "Updated records"), _metric(at, "Unchanged records")) == (0, 0, 6)
    con = store.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 6
    finally:
        con.close()


def _admin(monkeypatch, user):
    import pages.common as common

    monkeypatch.setattr(common, "current_user", lambda: user, raising=False)
    return AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60).run()


def _batch(db, tmp_path, user):
    src = tmp_path / "a.csv"
    src.write_text(CSV)
    con = store.connect(db)
    try:
        return ingest.import_file(con, src, {"name": None, "source": "a", "kind": "seizure", "columns": None,
                                             "constants": {"releasability": "REL TO CIV"}}, user=user).batch_id
    finally:
        con.close()


def test_admin_page_changes_a_batch_marking(db, tmp_path, monkeypatch):
    bid = _batch(db, tmp_path, "ama")
    at = _admin(monkeypatch, auth.LOCAL_USER)
    assert not at.exception, at.exception
    at.text_input(key="adm_mark_text").input("REL TO BFA AND GBR")   # prose: not a marking (AND is Andorra)
    next(b for b in at.button if b.label == "Change marking").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error if "The marking was not changed" in e.value and "not readable" in e.value]
    at.text_input(key="adm_mark_text").input("REL TO KAFO; GBR")
    next(b for b in at.button if b.label == "Change marking").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("marking REL TO CIV -> REL TO BFA, CIV, GBR, MLI" in s.value for s in at.success)
    con = store.connect(db)
    try:
        assert con.execute("SELECT releasability FROM batches WHERE batch_id = ?", [bid]).fetchone()[0] == \
            "REL TO BFA, CIV, GBR, MLI"
        (line,) = con.execute("SELECT user_name, detail FROM audit WHERE action = 'batch.marking'").fetchall()
        assert line[0] == "local" and json.loads(line[1])["old"] == "REL TO CIV"
    finally:
        con.close()


def test_admin_page_marking_form_is_for_the_importer(db, tmp_path, monkeypatch):
    _batch(db, tmp_path, "ama")
    at = _admin(monkeypatch, auth.User("kofi", "analyst", "CIV"))   # sees the batch, did not import it
    assert not at.exception, at.exception
    assert any("No import batch whose marking you may change" in c.value for c in at.caption)
    # ama imported it: listed for her although REL TO CIV is not releasable to BFA
    at = _admin(monkeypatch, auth.User("ama", "analyst", "BFA"))
    assert not at.exception, at.exception
    assert at.selectbox(key="adm_mark_batch").options == ["batch 1: a.csv (imported by ama)"]
    at.text_input(key="adm_mark_text").input("REL TO BFA, CIV")
    next(b for b in at.button if b.label == "Change marking").click().run()
    assert not at.exception, at.exception
    assert any("REL TO CIV -> REL TO BFA, CIV" in s.value for s in at.success)
    at = _admin(monkeypatch, auth.User("mo", "planner", "CIV"))
    assert any("Only the account that imported a batch" in i.value for i in at.info)
