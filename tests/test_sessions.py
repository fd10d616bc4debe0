"""Sessions of the shared dashboard (issue 19): rights re-read on every run, idle timeout,
throttled sign-in, the Host/Origin allow-list, downloads produced for the session and audited,
and the Admin form loaded with the account's current values."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from intel import auth, sessions, store
from tests.test_releasability import build_store

from conftest import ROOT

PW = "correct horse battery"


class Clock:
    """A hand-driven clock (seconds) for sessions.clock."""

    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def fresh_throttle():
    sessions.THROTTLE.reset()
    yield
    sessions.THROTTLE.reset()


# ------------------------------------------------------------------------ throttle (unit)
def test_throttle_locks_after_five_failures_and_doubles_to_the_cap():
    clk = Clock()
    t = sessions.SignInThrottle(now=clk)
    k = ("name", "ama")
    locks = [t.failure(k) for _ in range(4)]
    assert locks == [[]] * 4 and t.wait(k) == (0.0, None)
    first = t.failure(k)
    assert first == [sessions.Lock(k, 1, 30.0, 5)]
    assert t.wait(k) == (30.0, k)
    clk.t += 29
    assert t.wait(k)[0] == pytest.approx(1.0)
    clk.t += 1  # the lock has ended; the next failure locks for twice as long
    assert t.wait(k) == (0.0, None)
    assert [lk.seconds for lk in t.failure(k)] == [60.0]
    seen = [30.0, 60.0]
    for _ in range(6):
        clk.t += seen[-1]
        seen += [lk.seconds for lk in t.failure(k)]
    assert seen == [30.0, 60.0, 120.0, 240.0, 480.0, 900.0, 900.0, 900.0]  # 15 min cap
    assert t.wait(("name", "kofi")) == (0.0, None)  # other names are not touched


def test_throttle_failures_while_locked_do_not_lock_again_and_success_clears():
    clk = Clock()
    t = sessions.SignInThrottle(now=clk)
    k = ("name", "ama")
    new_locks = sum(len(t.failure(k)) for _ in range(25))
    assert new_locks == 1  # one lock (one audit line) for 25 failures within the lock
    clk.t += 30
    assert t.success(k, ("session", "s")) == 25
    assert t.wait(k) == (0.0, None)
    assert [t.failure(k) for _ in range(4)] == [[]] * 4  # counting starts again


def test_throttle_forgets_old_keys_and_is_bounded():
    clk = Clock()
    t = sessions.SignInThrottle(now=clk, forget_seconds=3600, max_entries=3)
    for i in range(5):
        clk.t += 1
        t.failure(("name", f"u{i}"))
    assert len(t._entries) == 3 and ("name", "u4") in t._entries and ("name", "u0") not in t._entries
    clk.t += 3602
    assert t.wait(("name", "u4")) == (0.0, None) and ("name", "u4") not in t._entries


def test_retry_text():
    assert sessions.retry_text(29.2, wall_now=0) == "in 30 seconds (at 00:00:30 UTC)"
    assert sessions.retry_text(900, wall_now=0) == "in 15 minutes (at 00:15:00 UTC)"


# ------------------------------------------------------------------------ rights and idle (unit)
def test_refresh_follows_the_account():
    users = auth.add_user({}, "ama", PW, "analyst", "BFA", "Douanes")
    ama = users["ama"].user
    stamp = sessions.credential_stamp(users["ama"])
    assert sessions.refresh(ama, users, stamp) == (ama, None)
    planner = auth.change_account(users, "ama", role="planner", country_iso3="civ")
    u, why = sessions.refresh(ama, planner, stamp)
    assert (u.role, u.country_iso3, why) == ("planner", "CIV", None)
    u, why = sessions.refresh(ama, auth.set_disabled(users, "ama"), stamp)
    assert u is None and "disabled" in why
    u, why = sessions.refresh(ama, {}, stamp)
    assert u is None and "no longer exists" in why
    u, why = sessions.refresh(ama, auth.set_password(users, "ama", "another long password"), stamp)
    assert u is None and "password" in why


def test_idle_expired():
    assert not sessions.idle_expired(None, 10_000, 30)
    assert not sessions.idle_expired(1000, 1000 + 30 * 60, 30)  # exactly the limit: still in
    assert sessions.idle_expired(1000, 1000 + 30 * 60 + 1, 30)


def test_idle_minutes_setting(monkeypatch):
    monkeypatch.delenv("INTEL_SESSION_IDLE_MINUTES", raising=False)
    assert sessions.idle_minutes() == 30
    monkeypatch.setenv("INTEL_SESSION_IDLE_MINUTES", "90")
    assert sessions.idle_minutes() == 90
    monkeypatch.setenv("INTEL_SESSION_IDLE_MINUTES", "0")  # outside 1-1440: the default, never "no limit"
    assert sessions.idle_minutes() == 30


def test_account_cache_reads_again_only_when_the_file_changes(tmp_path):
    uf = tmp_path / "users.json"
    auth.save_users(auth.add_user({}, "ama", PW, "analyst", "BFA"), uf)
    cache = sessions.AccountCache()
    a = cache.accounts(uf)
    assert cache.accounts(uf) is a  # unchanged file: the same object, no re-read
    auth.save_users(auth.set_role(a, "ama", "manager"), uf)
    assert cache.accounts(uf)["ama"].user.role == "manager"
    uf.unlink()
    assert cache.accounts(uf) == {} and cache.accounts(None) == {}


def test_change_account_changes_only_what_is_given():
    users = auth.add_user({}, "boss", PW, "admin", "BFA", "HQ", "Boss")
    users = auth.set_disabled(users, "boss")
    out = auth.change_account(users, "boss", password="a brand new password")
    b = out["boss"]
    assert (b.user, b.disabled) == (users["boss"].user, True)
    assert auth.verify(auth.change_account(out, "boss", disabled=False), "boss", "a brand new password").role == "admin"
    assert auth.change_account(users, "boss", country_iso3="")["boss"].user.country_iso3 is None
    with pytest.raises(ValueError, match="Role"):
        auth.change_account(users, "boss", role="root")
    with pytest.raises(ValueError, match="Cannot change"):
        auth.change_account(users, "boss", password_hash="x")
    with pytest.raises(ValueError, match="No user"):
        auth.change_account(users, "nobody", role="admin")


# ------------------------------------------------------------------------ host allow-list (unit)
@pytest.mark.parametrize("headers,ok", [
    ({}, True),  # no request at all: the in-process test harness
    ({"Host": "127.0.0.1:8501"}, True),
    ({"host": "localhost:8501", "origin": "http://localhost:8501"}, True),
    ({"Host": "LOCALHOST."}, True),
    ({"Host": "[::1]:8501", "Origin": "http://[::1]:8501"}, True),
    ({"Host": "evil.example:8501", "Origin": "http://evil.example:8501"}, False),  # DNS rebinding
    ({"Host": "127.0.0.1:8501", "Origin": "http://evil.example"}, False),
    ({"Host": "127.0.0.1:8501", "Origin": "null"}, False),
    ({"Host": "127.0.0.1:8501", "Origin": "file://"}, False),
    ({"Host": "127.0.0.1.evil.example"}, False),
    ({"Host": "user@127.0.0.1"}, False),
    ({"Host": "127.0.0.1:99999"}, False),
    ({"Host": "[::1"}, False),
    ({"Accept": "*/*"}, False),  # a request without Host
])
def test_check_headers(headers, ok, monkeypatch):
    monkeypatch.delenv("INTEL_ALLOWED_HOSTS", raising=False)
    assert (sessions.check_headers(headers) is None) == ok


def test_operator_hosts(monkeypatch):
    monkeypatch.setenv("INTEL_ALLOWED_HOSTS", " Intel.Example.org , [fd00::5],,")
    assert sessions.allowed_hosts() == ("127.0.0.1", "localhost", "::1", "intel.example.org", "fd00::5")
    assert sessions.check_headers({"Host": "intel.example.org", "Origin": "https://intel.example.org"}) is None
    assert sessions.check_headers({"Host": "[fd00::5]:8501"}) is None
    assert "INTEL_ALLOWED_HOSTS" in sessions.check_headers({"Host": "other.example.org"})


# ------------------------------------------------------------------------ pages (AppTest)
@pytest.fixture()
def shared(tmp_path, monkeypatch, app_env):
    db = tmp_path / "shared.duckdb"
    build_store(db)
    users = auth.add_user({}, "ama", PW, "analyst", "BFA", "Douanes")
    users = auth.add_user(users, "boss", PW, "admin", None, "HQ")
    path = tmp_path / "users.json"
    auth.save_users(users, path)
    monkeypatch.setenv("INTEL_USERS", str(path))
    monkeypatch.delenv("INTEL_SESSION_IDLE_MINUTES", raising=False)
    monkeypatch.delenv("INTEL_ALLOWED_HOSTS", raising=False)
    app_env(db)
    return db, path


def _audit(db, action):
    con = store.connect(db)  # the pages' cached instance holds the file in this process
    try:
        return con.execute("SELECT user_name, CAST(detail AS VARCHAR) FROM audit WHERE action = ? ORDER BY audit_id",
                           [action]).fetchall()
    finally:
        con.close()


def _app():
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


SESSION_KEYS = ("intel_user", "intel_cred", "intel_last_run", "intel_session_token", "intel_signed_out")


def _next_run(at):
    """The same browser session's next run through the router.

    AppTest reruns the page a run finished on without its entry script once ``st.navigation``
    has run (a real server always runs ``app.py`` first), so the session's state is carried into
    a new AppTest of ``app.py``.
    """
    nxt = _app()
    for k in SESSION_KEYS:
        if k in at.session_state:
            nxt.session_state[k] = at.session_state[k]
    return nxt.run()


def _sign_in(at, name, password):
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    return at.button[0].click().run()


def test_rights_follow_the_users_file_on_every_run(shared):
    db, uf = shared
    at = _sign_in(_app().run(), "ama", PW)
    assert not at.exception and at.session_state["intel_user"].role == "analyst"
    auth.save_users(auth.change_account(auth.load_users(uf), "ama", role="planner", country_iso3="CIV"), uf)
    at = _next_run(at)
    assert not at.exception
    u = at.session_state["intel_user"]
    assert (u.role, u.country_iso3) == ("planner", "CIV")  # new rights at once, no new sign-in
    auth.save_users(auth.set_disabled(auth.load_users(uf), "ama"), uf)
    at = _next_run(at)
    assert not at.exception
    assert "intel_user" not in at.session_state
    assert at.title[0].value == "Sign in"
    assert any("disabled" in w.value for w in at.warning)
    assert [r[0] for r in _audit(db, "session_revoked")] == ["ama"]


def test_removed_account_is_signed_out(shared):
    db, uf = shared
    at = _sign_in(_app().run(), "ama", PW)
    users = auth.load_users(uf)
    users.pop("ama")
    auth.save_users(users, uf)
    at = _next_run(at)
    assert "intel_user" not in at.session_state and any("no longer exists" in w.value for w in at.warning)


def test_idle_session_is_signed_out(shared, monkeypatch):
    db, _ = shared
    clk = Clock()
    monkeypatch.setattr(sessions, "clock", clk)
    at = _sign_in(_app().run(), "ama", PW)
    assert at.session_state["intel_user"].name == "ama"
    clk.t += 29 * 60
    at = _next_run(at)
    assert at.session_state["intel_user"].name == "ama"  # a run within 30 min keeps the session
    clk.t += 30 * 60  # 30 min since that run: still within
    at = _next_run(at)
    assert at.session_state["intel_user"].name == "ama"
    clk.t += 30 * 60 + 1
    at = _next_run(at)
    assert not at.exception
    assert "intel_user" not in at.session_state
    assert any("without activity" in w.value for w in at.warning)
    assert [r[0] for r in _audit(db, "session_expired")] == ["ama"]


def test_idle_limit_is_a_setting(shared, monkeypatch):
    clk = Clock()
    monkeypatch.setattr(sessions, "clock", clk)
    monkeypatch.setenv("INTEL_SESSION_IDLE_MINUTES", "5")
    at = _sign_in(_app().run(), "ama", PW)
    clk.t += 5 * 60 + 1
    at = _next_run(at)
    assert "intel_user" not in at.session_state and any("5 minutes" in w.value for w in at.warning)


def test_sign_in_is_throttled(shared, monkeypatch):
    db, _ = shared
    clk = Clock()
    monkeypatch.setattr(sessions, "clock", clk)
    at = _app().run()
    for _ in range(25):
        at = _sign_in(at, "ama", "wrong password!")
    assert not at.exception
    at = _sign_in(at, "ama", PW)  # the right password, while the name is locked
    assert "intel_user" not in at.session_state
    assert any("Too many failed sign-ins" in e.value and "Try again in" in e.value for e in at.error)
    locked = _audit(db, "sign_in_locked")
    assert len(locked) == 1 and '"locks": 1' in locked[0][1]  # one line, not 25
    assert _audit(db, "sign_in_failed") == [] and _audit(db, "sign_in") == []
    # another browser session is locked too for this name
    other = _sign_in(_app().run(), "ama", PW)
    assert "intel_user" not in other.session_state
    clk.t += 30
    at = _sign_in(at, "ama", PW)
    assert at.session_state["intel_user"].name == "ama"
    assert '"failed_before": 5' in _audit(db, "sign_in")[0][1]


def test_router_refuses_foreign_hosts(shared, monkeypatch):
    import pages.common as common

    monkeypatch.setattr(common, "_request_headers", lambda: {"Host": "evil.example:8501",
                                                             "Origin": "http://evil.example:8501"})
    at = _app().run()
    assert not at.exception
    assert any("does not answer" in e.value for e in at.error)
    assert not at.title and not at.text_input  # nothing else drawn, not even the sign-in form
    monkeypatch.setattr(common, "_request_headers", lambda: {"Host": "127.0.0.1:8501"})
    at = _app().run()
    assert at.title[0].value == "Sign in"


def _deferred(at, label):
    b = next(b for b in at.get("download_button") if b.proto.label == label)
    return b.proto


def test_downloads_are_produced_for_the_session_and_audited(shared, monkeypatch):
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.media_file_storage import MediaFileStorageError

    managers = {}  # AppTest gives each run a media manager of its own and drops it after the run
    add_deferred = MediaFileManager.add_deferred

    def keep(self, *a, **k):
        fid = add_deferred(self, *a, **k)
        managers[fid] = self
        return fid
    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    db, uf = shared
    ama = auth.load_users(uf)["ama"].user
    urls = []
    for i in range(2):  # two sessions of the same user, the same export
        at = AppTest.from_file(str(ROOT / "pages" / "explore_map.py"), default_timeout=60)
        at.session_state["intel_user"] = ama
        at.run()
        assert not at.exception
        proto = _deferred(at, "Cells as CSV")
        assert proto.url == "" and proto.deferred_file_id  # nothing in the media store when drawn
        assert len(_audit(db, "export")) == i  # drawing the button logs nothing
        mgr = managers[proto.deferred_file_id]
        urls.append(mgr.execute_deferred(proto.deferred_file_id))
    lines = _audit(db, "export")
    assert [r[0] for r in lines] == ["ama", "ama"] and '"label": "Cells as CSV"' in lines[0][1]
    assert urls[0] != urls[1]  # a per-session id even for the same bytes
    auth.save_users(auth.set_disabled(auth.load_users(uf), "ama"), uf)
    with pytest.raises(MediaFileStorageError):
        mgr.execute_deferred(proto.deferred_file_id)  # disabled since the page was drawn: nothing produced
    assert len(_audit(db, "export")) == 2


def _admin(monkeypatch, uf, name="boss"):
    import pages.common as common

    monkeypatch.setattr(common, "current_user", lambda: auth.load_users(uf)[name].user, raising=False)
    return AppTest.from_file(str(ROOT / "pages" / "admin.py"), default_timeout=60).run()


def test_admin_form_is_loaded_with_the_account_and_changes_only_what_changed(shared, monkeypatch):
    db, uf = shared
    users = auth.add_user(auth.load_users(uf), "chief", PW, "admin", "CIV", "Police")
    users = auth.set_disabled(auth.change_account(users, "ama", display_name="Ama K."), "ama")
    auth.save_users(users, uf)
    at = _admin(monkeypatch, uf)
    assert not at.exception
    at.selectbox(key="adm_who").set_value("ama").run()
    assert at.selectbox(key="adm_role").value == "analyst"
    assert at.text_input(key="adm_country_iso3").value == "BFA"
    assert at.text_input(key="adm_agency").value == "Douanes"
    assert at.checkbox(key="adm_disabled").value is True
    at.text_input(key="adm_pw").set_value("a brand new password")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ama = auth.load_users(uf)["ama"]
    assert ama.disabled and ama.user == users["ama"].user  # a password change did not re-enable her
    assert auth.verify({"ama": auth.change_account({"ama": ama}, "ama", disabled=False)["ama"]}, "ama",
                       "a brand new password")
    # another administrator: a password change must not demote them
    at.selectbox(key="adm_who").set_value("chief").run()
    assert at.selectbox(key="adm_role").value == "admin" and at.text_input(key="adm_country_iso3").value == "CIV"
    at.text_input(key="adm_pw").set_value("another long password")
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.error
    assert auth.load_users(uf)["chief"].user.role == "admin"
    # change the country only
    at.selectbox(key="adm_who").set_value("chief").run()
    at.text_input(key="adm_country_iso3").set_value("mli")
    next(b for b in at.button if b.label == "Save changes").click().run()
    chief = auth.load_users(uf)["chief"]
    assert (chief.user.role, chief.user.country_iso3, chief.user.agency, chief.disabled) == ("admin", "MLI", "Police", False)
    changes = [d for _, d in _audit(db, "users.change")]
    assert len(changes) == 3 and '"password": "changed"' in changes[0] and "role" not in changes[0]
    assert '"country_iso3": "MLI"' in changes[2] and "password" not in changes[2]


def test_serve_passes_the_allow_list_to_streamlit(monkeypatch):
    from pathlib import Path

    from intel.cli.serve import streamlit_command

    monkeypatch.setenv("INTEL_ALLOWED_HOSTS", "intel.example.org")
    cmd = streamlit_command(Path("app.py"), 8501)
    hosts = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--server.allowedHosts"]
    assert hosts == ["127.0.0.1", "localhost", "::1", "intel.example.org"]
    flags = dict(zip(cmd[::1], cmd[1::1]))
    assert flags["--server.enableCORS"] == "true" and flags["--server.enableXsrfProtection"] == "true"
    assert flags["--server.address"] == "127.0.0.1"
    assert cmd[1:4] == ["launch.py", "run", "app.py"]  # Streamlit, imports warmed (beside app.py)


def test_streamlit_config_keeps_the_protections():
    import tomllib

    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]
    assert cfg["enableCORS"] is True and cfg["enableXsrfProtection"] is True
    assert set(cfg["allowedHosts"]) == set(sessions.DEFAULT_HOSTS)


def test_a_produced_download_is_dropped_within_its_lifetime(monkeypatch):
    """Without the sweep a produced file stays at /media/<id> until some session's run ends."""
    import time as _time

    from streamlit import runtime
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.media_file_storage import MediaFileStorageError
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    import pages.common as common

    storage = MemoryMediaFileStorage("/media")
    mgr = MediaFileManager(storage)
    fid = mgr.add_deferred(lambda: b"a,b\n1,2\n", "text/csv; intel-session=abc", "coord", file_name="x.csv")
    url = mgr.execute_deferred(fid)
    file_id = url.rsplit("/", 1)[1].split(".")[0]
    assert storage.get_file(file_id).content == b"a,b\n1,2\n"
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: type("R", (), {"media_file_mgr": mgr})())
    common._expire_media_later(0.05)
    assert storage.get_file(file_id)  # still there right after
    deadline = _time.time() + 5
    while _time.time() < deadline:
        try:
            storage.get_file(file_id)
        except MediaFileStorageError:
            break
        _time.sleep(0.05)
    with pytest.raises(MediaFileStorageError):
        storage.get_file(file_id)


def test_idle_limit_is_read_by_the_one_setting_helper(monkeypatch):
    """``_keep_session_current`` reads the idle limit through ``pages.common.setting`` (environment,
    store, default, and its fallback), not a copy of that fallback (issue 19 review)."""
    import inspect

    import pages.common as common

    src = inspect.getsource(common._keep_session_current)
    assert 'setting("session_idle_minutes", cast=int)' in src and "idle_minutes(" not in src
