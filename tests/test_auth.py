"""Users, roles, passwords, markings, the audit log and the admin CLI and page."""
from __future__ import annotations

import csv
import json
import os
import stat
import time

import pytest
from click.testing import CliRunner

from intel import auth, store

from conftest import ROOT

PW = "correct horse battery"


# ------------------------------------------------------------------------ roles
@pytest.mark.parametrize("role,allowed", [
    ("analyst", {"view", "import", "export", "decide"}),
    ("planner", {"view", "export", "briefing"}),
    ("manager", {"view", "export", "briefing"}),
    ("admin", set(auth.ACTIONS)),
])
def test_permission_matrix(role, allowed):
    u = auth.User("u", role, "BFA")
    assert {a for a in auth.ACTIONS if auth.can(u, a)} == allowed
    for a in set(auth.ACTIONS) - allowed:
        with pytest.raises(PermissionError) as e:
            auth.require(u, a)
        assert role in str(e.value) and "admin" in str(e.value)
    for a in allowed:
        auth.require(u, a)


def test_nobody_and_unknown_action():
    assert not auth.can(None, "view")
    with pytest.raises(PermissionError, match="Sign in"):
        auth.require(None, "view")
    with pytest.raises(ValueError):
        auth.can(auth.LOCAL_USER, "delete_everything")


def test_local_user_is_admin_and_sees_everything(monkeypatch):
    monkeypatch.delenv("INTEL_USERS", raising=False)
    assert not auth.multi_user()
    assert auth.LOCAL_USER.role == "admin" and auth.LOCAL_USER.country_iso3 is None
    assert auth.visible_sql(auth.LOCAL_USER, "x") == "TRUE"


@pytest.mark.parametrize("kw", [dict(name="a b"), dict(name="x'; --"), dict(role="root"), dict(country_iso3="bfa"),
                                dict(country_iso3="BFA'--"), dict(name="")])
def test_user_validation(kw):
    base = dict(name="ok", role="analyst", country_iso3="BFA")
    with pytest.raises(ValueError):
        auth.User(**{**base, **kw})


# ------------------------------------------------------------------------ users file and passwords
@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_users_file_roundtrip_and_verify(tmp_path, suffix):
    p = tmp_path / f"users{suffix}"
    users = auth.add_user({}, "ama", PW, "analyst", "bfa", "Douanes \"BF\"", "Ama K.")
    users = auth.add_user(users, "sso", None, "planner", "CIV", oidc="Sso@Example.org")
    auth.save_users(users, p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o600
    assert PW not in p.read_text()
    back = auth.load_users(p)
    assert back["ama"].user == auth.User("ama", "analyst", "BFA", "Douanes \"BF\"", "Ama K.")
    assert back["ama"].password_hash.startswith("$argon2id$")
    assert auth.verify(back, "ama", PW) == back["ama"].user
    assert auth.verify(back, "ama", PW + "x") is None
    assert auth.verify(back, "nobody", PW) is None
    assert auth.verify(back, "sso", "") is None  # OIDC-only account has no password
    assert auth.verify(back, "ama", None) is None
    assert auth.user_from_claims(back, {"email": "sso@example.org"}) == back["sso"].user
    assert auth.user_from_claims(back, {"email": "sso@example.org", "email_verified": False}) is None
    assert auth.user_from_claims(back, {"email": "other@example.org"}) is None
    back = auth.set_disabled(back, "ama")
    assert auth.verify(back, "ama", PW) is None
    back = auth.set_role(auth.set_disabled(back, "ama", False), "ama", "manager")
    back = auth.set_password(back, "ama", "another long password")
    assert auth.verify(back, "ama", "another long password").role == "manager"


def test_password_rules_and_duplicates():
    with pytest.raises(ValueError, match="at least"):
        auth.add_user({}, "a", "short", "analyst")
    users = auth.add_user({}, "a", PW, "analyst")
    with pytest.raises(ValueError, match="already exists"):
        auth.add_user(users, "a", PW, "analyst")
    with pytest.raises(ValueError):
        auth.set_role(users, "zz", "admin")


def test_verify_time_does_not_reveal_account():
    users = auth.add_user({}, "a", PW, "analyst")
    auth.verify(users, "nobody", "x")  # warm the dummy hash

    def t(name):
        t0 = time.perf_counter()
        for _ in range(3):
            auth.verify(users, name, "wrong password here")
        return time.perf_counter() - t0
    known, unknown = t("a"), t("nobody")
    assert 0.4 < known / unknown < 2.5


def test_bad_users_file(tmp_path):
    p = tmp_path / "u.json"
    p.write_text(json.dumps({"users": {"x": {"role": "superuser"}}}))
    with pytest.raises(ValueError, match="entry 'x'"):
        auth.load_users(p)
    p.write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        auth.load_users(p)
    assert auth.load_users(tmp_path / "missing.json") == {}


# ------------------------------------------------------------------------ markings
@pytest.mark.parametrize("text,rels", [
    ("REL TO BFA, CIV, MLI", ("BFA", "CIV", "MLI")),
    ("rel to mli,bfa", ("BFA", "MLI")),
    ("REL TO CIV; BFA; CIV", ("BFA", "CIV")),
    ("REL TO BFA/CIV", ("BFA", "CIV")),
    ("REL TO BFA , CIV ;MLI", ("BFA", "CIV", "MLI")),
    ("REL TO XKX", ("XKX",)),
    ("REL TO AND", ("AND",)),                      # Andorra, when written as a code
    ("REL TO FVEY", ("AUS", "CAN", "GBR", "NZL", "USA")),
    ("rel to kafo, gha", ("BFA", "CIV", "GHA", "MLI")),
    ("REL TO FVEY; KAFO", ("AUS", "BFA", "CAN", "CIV", "GBR", "MLI", "NZL", "USA")),
    ("NOFORN", ()), (" noforn ", ()),
    (None, None), ("", None), ("UNRESTRICTED", None), ("public", None), (float("nan"), None),
])
def test_parse_releasability(text, rels):
    assert auth.parse_releasability(text) == rels


# was: "BFA/CIV" (no REL TO), "  " (only spaces: unrestricted) and "NOFORN" (rejected) had other
# answers; the grammar is now strict (issue 19)
@pytest.mark.parametrize("text", ["SECRET", "REL TO", "REL TO ZZZ", "REL TO BF", "<script>",
                                  "REL TO BFA'); DROP TABLE events; --", "REL TO USA AND GBR", "USA ARE GBR",
                                  "REL TO USA ARE GBR", "BFA/CIV", "mli civ", "REL TO CIV MLI", "REL TO BFA, CIV,",
                                  "REL TO ,BFA", "REL TO BFA;;CIV", "  ", "\t", "SECRET NOFORN", "REL TO CIV; NOFORN",
                                  "NOFORN CIV", "REL TO FIVEEYES", "REL TOBFA", "rel to c\u0131v", "REL TO BFA\u00a0"])
def test_parse_releasability_rejects(text):
    with pytest.raises(ValueError):
        auth.parse_releasability(text)


def test_marking_groups_file(tmp_path, monkeypatch):
    """Groups come from the configuration file; a missing group is unreadable, never guessed;
    a bad file says what is wrong."""
    p = tmp_path / "g.toml"
    p.write_text('[groups]\nSAHEL_3 = ["MLI", "NER", "BFA"]\n')
    groups = auth.marking_groups(p)
    assert groups == {"SAHEL_3": ("BFA", "MLI", "NER")}
    assert auth.parse_releasability("REL TO SAHEL_3, CIV", groups) == ("BFA", "CIV", "MLI", "NER")
    with pytest.raises(ValueError, match="SAHEL_3"):
        auth.parse_releasability("REL TO FVEY", groups)
    for bad in ('[groups]\nAND = ["FRA"]\n', '[groups]\nXX = ["ZZZ"]\n', '[groups]\nXX = []\n', "[groups\n"):
        p.write_text(bad)
        with pytest.raises(ValueError, match="group|cannot be read"):
            auth.marking_groups(p)
    assert auth.marking_groups(tmp_path / "missing.toml") == {}


def test_markings():
    assert auth.marking_for(("MLI", "BFA", "CIV")) == "REL TO BFA, CIV, MLI"
    assert auth.marking_for("rel to civ") == "REL TO CIV"
    assert auth.marking_for(None) == "UNRESTRICTED (public sources)"
    assert auth.combined_marking([None, "REL TO BFA, CIV", "REL TO BFA, MLI"]) == "REL TO BFA"
    assert auth.combined_marking([None, "PUBLIC"]) == "UNRESTRICTED (public sources)"
    assert auth.combined_marking(["REL TO BFA", "REL TO CIV"]).startswith("NOT RELEASABLE")
    assert auth.combined_marking(["SECRET"]).startswith("NOT RELEASABLE")
    assert auth.combined_marking(["  "]).startswith("NOT RELEASABLE")
    assert auth.marking_for(()) == "NOFORN"
    assert auth.combined_marking(["REL TO BFA", "NOFORN"]) == "NOFORN"
    assert auth.combined_marking(["REL TO KAFO", "REL TO FVEY, CIV"]) == "REL TO CIV"
    assert auth.canonical_marking("rel to kafo") == "REL TO BFA, CIV, MLI"
    assert auth.canonical_marking(" NOFORN") == "NOFORN"
    assert auth.canonical_marking("public") is None and auth.canonical_marking("") is None


# ------------------------------------------------------------------------ audit log and CLI
@pytest.fixture()
def audit_db(tmp_path):
    db = tmp_path / "a.duckdb"
    con = store.connect(db)
    store.audit(con, "signin", {"ok": True}, user="ama")
    store.audit(con, "import", {"file": "=cmd|' /C calc'!A0"}, user="ama")
    store.audit(con, "export", {"what": "hotspots"}, user="kofi")
    store.audit(con, "quarantine.decide", {"id": 3, "decision": "rejected"}, user="kofi")
    con.execute("UPDATE audit SET logged_at = TIMESTAMP '2024-05-01 10:00:00' WHERE user_name = 'kofi'")
    con.close()
    return db


def test_audit_frame_filters(audit_db):
    con = store.connect(audit_db, read_only=True)
    try:
        assert len(auth.audit_frame(con)) == 4
        assert set(auth.audit_frame(con, user="kofi")["action"]) == {"export", "quarantine.decide"}
        assert list(auth.audit_frame(con, action="quarantine*")["user_name"]) == ["kofi"]
        assert len(auth.audit_frame(con, date_from="2024-05-01", date_to="2024-05-02")) == 2
        assert len(auth.audit_frame(con, date_from="2024-05-02", date_to="2024-05-02")) == 0
        assert len(auth.audit_frame(con, user="x' OR '1'='1")) == 0
        assert auth.audit_actions(con) == ["export", "import", "quarantine.decide", "signin"]
        assert auth.audit_users(con) == ["ama", "kofi"]
    finally:
        con.close()


def test_audit_cli(audit_db, tmp_path):
    from intel.cli import main

    out = tmp_path / "audit.csv"
    r = CliRunner().invoke(main, ["audit", "--db", str(audit_db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 4 and "4 audit lines" in r.output
    assert all(not row["detail"].startswith("=") for row in rows)
    r = CliRunner().invoke(main, ["audit", "--db", str(audit_db), "--out", str(out), "--user", "kofi",
                                  "--from", "2024-05-01", "--to", "2024-05-02", "--action", "export"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [x["action"] for x in rows] == ["export"]
    r = CliRunner().invoke(main, ["audit", "--db", str(audit_db), "--out", str(out), "--from", "yesterday"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    r = CliRunner().invoke(main, ["audit", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_users_cli(tmp_path, audit_db):
    from intel.cli import main

    uf = tmp_path / "users.json"
    run = CliRunner().invoke
    r = run(main, ["users", "add", "ama", "--role", "analyst", "--country", "BFA", "--agency", "Douanes",
                   "--password-stdin", "--users", str(uf), "--db", str(audit_db)], input=PW + "\n")
    assert r.exit_code == 0, r.output
    assert PW not in r.output and PW not in uf.read_text()
    r = run(main, ["users", "add", "root", "--role", "admin", "--users", str(uf)], input=f"{PW}\n{PW}\n")
    assert r.exit_code == 0, r.output  # hidden prompt, typed twice
    r = run(main, ["users", "add", "ama", "--role", "admin", "--password-stdin", "--users", str(uf)], input=PW + "\n")
    assert r.exit_code == 2 and "already exists" in r.output
    r = run(main, ["users", "add", "bad", "--role", "analyst", "--password-stdin", "--users", str(uf)], input="short\n")
    assert r.exit_code == 2 and "at least" in r.output
    r = run(main, ["users", "set-role", "ama", "manager", "--users", str(uf), "--db", str(audit_db)])
    assert r.exit_code == 0 and "analyst -> manager" in r.output
    r = run(main, ["users", "passwd", "ama", "--password-stdin", "--users", str(uf)], input="a brand new password\n")
    assert r.exit_code == 0, r.output
    r = run(main, ["users", "disable", "root", "--users", str(uf)])
    assert r.exit_code == 0
    r = run(main, ["users", "list", "--users", str(uf)])
    assert r.exit_code == 0 and "ama" in r.output and "argon2" not in r.output
    users = auth.load_users(uf)
    assert auth.verify(users, "ama", "a brand new password").role == "manager"
    assert users["root"].disabled
    con = store.connect(audit_db, read_only=True)
    try:
        acts = auth.audit_frame(con)["action"].tolist()
    finally:
        con.close()
    assert "users.add" in acts and "users.set_role" in acts
    r = run(main, ["users", "list"], env={"INTEL_USERS": ""})
    assert r.exit_code == 2 and "INTEL_USERS" in r.output


# ------------------------------------------------------------------------ admin page
def _run_admin(monkeypatch, app_env, db, user):
    from streamlit.testing.v1 import AppTest

    app_env(db)
    import pages.common as common

    monkeypatch.setattr(common, "current_user", lambda: user, raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60)
    at.run()
    return at


def test_admin_page_local_mode(monkeypatch, app_env, audit_db):
    monkeypatch.delenv("INTEL_USERS", raising=False)
    at = _run_admin(monkeypatch, app_env, audit_db, auth.LOCAL_USER)
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "single-user local mode" in text
    assert len(at.dataframe) >= 1


def test_admin_page_non_admin(monkeypatch, app_env, audit_db):
    at = _run_admin(monkeypatch, app_env, audit_db, auth.User("ama", "analyst", "BFA"))
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "Only an administrator can manage users" in text and "Only an administrator can read the audit" in text
    assert len(at.dataframe) == 1  # only the settings table, read-only (no users, no audit log)


def test_admin_page_users(monkeypatch, app_env, audit_db, tmp_path):
    uf = tmp_path / "users.json"
    auth.save_users(auth.add_user({}, "root", PW, "admin", "BFA"), uf)
    monkeypatch.setenv("INTEL_USERS", str(uf))
    at = _run_admin(monkeypatch, app_env, audit_db, auth.load_users(uf)["root"].user)
    assert not at.exception
    at.text_input(key="adm_new_name").set_value("kofi")
    at.selectbox(key="adm_new_role").set_value("planner")
    at.text_input(key="adm_new_country").set_value("CIV")
    at.text_input(key="adm_new_pw").set_value(PW)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    users = auth.load_users(uf)
    assert users["kofi"].user.role == "planner" and users["kofi"].user.country_iso3 == "CIV"
    con = store.connect(audit_db)  # the page's cached instance holds the file in this process
    try:
        assert "users.add" in auth.audit_frame(con)["action"].tolist()
    finally:
        con.close()
