"""Shared deployment through the pages: the sign-in gate, what each user sees on the map, and
no cached result served to a user who may not see it."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from intel import auth, store
from tests.test_releasability import BFA, CIV, build_store, expected


@pytest.fixture()
def shared(tmp_path, monkeypatch, app_env):
    db = tmp_path / "shared.duckdb"
    build_store(db)
    users = auth.add_user({}, "ama", "correct horse battery", "analyst", "BFA", "Douanes")
    users = auth.add_user(users, "kofi", "correct horse staple", "analyst", "CIV", "Police")
    path = tmp_path / "users.json"
    auth.save_users(users, path)
    monkeypatch.setenv("INTEL_USERS", str(path))
    app_env(db)
    from intel import sessions

    sessions.THROTTLE.reset()  # failed sign-ins of other tests in this process do not count here
    return db


def _events_on_map(at) -> int:
    m = next(m for m in at.metric if m.label == "Events on the map")
    return int(m.value.replace(",", ""))


def test_router_asks_for_sign_in_and_audits_it(shared):
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Sign in"
    at.text_input[0].set_value("ama")
    at.text_input[1].set_value("wrong password!")
    at.button[0].click().run()
    assert any("wrong password" in e.value for e in at.error)
    at.text_input[0].set_value("ama")
    at.text_input[1].set_value("correct horse battery")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["intel_user"].name == "ama"
    con = store.connect(shared)
    acts = con.execute("SELECT action, detail->>'failed_before' FROM audit WHERE action LIKE 'sign_in%' "
                       "ORDER BY audit_id").fetchall()
    # one line per sign-in (with the failures before it), not one per failure (issue 19)
    assert acts == [("sign_in", "1")]


def test_each_user_sees_only_their_rows_on_the_map(shared):
    seen = {}
    for user, key in ((BFA, "BFA"), (CIV, "CIV"), (BFA, "BFA")):  # BFA again: served from the cache
        at = AppTest.from_file("../pages/explore_map.py", default_timeout=60)
        at.session_state["intel_user"] = user
        at.run()
        assert not at.exception
        assert at.slider(key="map_res").value == 7
        seen.setdefault(key, []).append(_events_on_map(at))
        spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
        names = json.dumps(spec)
        forbidden = {"BFA": "only-CIV", "CIV": "only-BFA"}[key]
        assert forbidden not in names
    assert seen["BFA"] == [expected("BFA")] * 2
    assert seen["CIV"] == [expected("CIV")]


def test_a_planner_cannot_import(shared, tmp_path):
    users = auth.add_user(auth.load_users(), "pat", "correct horse planner", "planner", "BFA", "Plans")
    auth.save_users(users)
    at = AppTest.from_file("../pages/import_file.py", default_timeout=60)
    at.session_state["intel_user"] = auth.User("pat", "planner", "BFA", "Plans")
    at.run()
    assert not at.exception
    assert any("may not" in i.value for i in at.info)
    assert not at.get("file_uploader")


def test_data_quality_page_shows_each_analyst_only_their_rows(shared):
    """The Data quality page reads the quarantine through the user's restricted cursor (was: the
    unrestricted write cursor, so every analyst listed, exported and decided every row)."""
    con = store.connect(shared)
    tag_of = dict(con.execute("SELECT quarantine_id, json_extract_string(raw, '$.tag') FROM quarantine "
                              "WHERE event_id IS NOT NULL").fetchall())
    con.close()
    from tests.test_releasability import VISIBLE_TAGS

    for user, key in ((BFA, "BFA"), (CIV, "CIV")):
        at = AppTest.from_file("../pages/data_quality.py", default_timeout=60)
        at.session_state["intel_user"] = user
        at.run()
        assert not at.exception
        at.checkbox(key="dq_undecided").set_value(False).run()
        ids = set(at.dataframe[0].value["quarantine_id"])
        tags = {tag_of[i] for i in ids if i in tag_of}
        assert tags == VISIBLE_TAGS[key]
        assert {m.label: m.value for m in at.metric}["Rows in quarantine"] == f"{len(ids):,}"
