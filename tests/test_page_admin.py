"""AppTest of the Admin page's settings editor: bounded widgets, save through settings.put (audited),
refused values as st.error, environment overrides fixed, reset to default, read-only for non-admins."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from intel import auth, settings, store

from conftest import ROOT


@pytest.fixture()
def db(tmp_path, app_env, monkeypatch):
    p = tmp_path / "adm.duckdb"
    store.connect(p).close()
    app_env(p)
    monkeypatch.delenv("INTEL_USERS", raising=False)
    for name in settings.SETTINGS:
        monkeypatch.delenv(settings.env_name(name), raising=False)
    return p


def _page(monkeypatch, user=auth.LOCAL_USER):
    import pages.common as common

    monkeypatch.setattr(common, "current_user", lambda: user, raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    return at.run()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _saved(db):
    con = store.connect(db)  # the page's cached instance holds the file in this process
    try:
        rows = dict(con.execute("SELECT name, value FROM settings").fetchall())
        log = con.execute("SELECT user_name, action, detail->>'name' FROM audit WHERE action LIKE 'settings.%' "
                          "ORDER BY audit_id").fetchall()
        return rows, log
    finally:
        con.close()


def test_widgets_are_bounded_by_the_ranges(db, monkeypatch):
    at = _page(monkeypatch)
    assert not at.exception, at.exception
    res = at.number_input(key="adm_set_hotspot_resolution")
    assert (res.min, res.max, res.value) == (5, 9, 8)
    cor = at.number_input(key="adm_set_corridor_resolution")
    assert (cor.min, cor.max) == (2, 6)
    assert at.selectbox(key="adm_set_emerging_step").options == ["week", "month", "quarter"]
    table = at.dataframe[0].value
    assert len(table) == len(settings.SETTINGS) and set(table["source"]) == {"default"}


def test_save_goes_through_put_and_the_audit_log(db, monkeypatch):
    at = _page(monkeypatch)
    at.number_input(key="adm_set_hotspot_resolution").set_value(6)
    at.selectbox(key="adm_set_emerging_step").set_value("quarter")
    _button(at, "Save settings").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Saved: hotspot_resolution, emerging_step" in s.value for s in at.success)
    rows, log = _saved(db)
    assert rows == {"hotspot_resolution": "6", "emerging_step": '"quarter"'}
    assert log == [("local", "settings.change", "hotspot_resolution"), ("local", "settings.change", "emerging_step")]
    # back to the default
    at.selectbox(key="adm_set_reset_name").set_value("hotspot_resolution")
    _button(at, "Reset to default").click().run()
    assert not at.exception, at.exception
    assert at.number_input(key="adm_set_hotspot_resolution").value == 8
    rows, log = _saved(db)
    assert rows == {"emerging_step": '"quarter"'} and log[-1][1] == "settings.reset"


def test_refused_value_is_a_plain_error(db, monkeypatch):
    at = _page(monkeypatch)
    at.text_input(key="adm_set_marking").set_value("SECRET\nREL TO BFA")   # blank is allowed: no classification line
    _button(at, "Save settings").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["marking: marking must be one line of text, not 'SECRET\\nREL TO BFA'."]
    rows, _ = _saved(db)
    assert rows == {}


def test_environment_override_is_fixed_and_a_bad_one_is_said(db, monkeypatch):
    monkeypatch.setenv("INTEL_BORDER_ZONE_KM", "80")
    monkeypatch.setenv("INTEL_HOTSPOT_K", "12")
    at = _page(monkeypatch)
    assert not at.exception, at.exception
    assert at.number_input(key="adm_set_border_zone_km").disabled
    assert at.number_input(key="adm_set_border_zone_km").value == 80.0
    assert any("INTEL_HOTSPOT_K='12' is not valid" in e.value for e in at.error)


def test_non_admin_reads_but_cannot_change(db, monkeypatch):
    at = _page(monkeypatch, auth.User("ama", "analyst", "BFA"))
    assert not at.exception, at.exception
    assert "Only an administrator can change settings." in [i.value for i in at.info]
    assert not [b for b in at.button if b.label == "Save settings"]
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == len(settings.SETTINGS)
