"""App layer shared by the pages: sign-in, the connection, cached named queries
(:mod:`intel.queries`, :mod:`intel.overview`) keyed by plain values and by what the user may see
(pages pass no SQL), the sidebar filters (kept across reruns and pages),
provenance, and plain-sentence error display. Only this layer caches; ``intel`` stays free of
Streamlit.

Who sees what: in the default single-user local mode (no users file) the user is
:data:`intel.auth.LOCAL_USER`. With a users file (``INTEL_USERS``) or an OIDC provider
configured for ``st.login``, a session must sign in; its cursor then carries temp views that
shadow ``events``, ``quarantine``, ``batches`` ... with the rows the user's releasability allows
(:func:`intel.auth.apply_visibility`), so every page, export and briefing reads only those rows.
Writes (imports, quarantine decisions) go through :func:`get_write_con`, which checks the role.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from intel import auth, config, export, hexbin, queries, sessions, settings, store
from intel import overview
from intel.render.palettes import SWATCH_LINE_COLOUR


def _leave_mpa_v1() -> None:
    """Route every session through ``app.py``.

    A ``pages/`` folder beside the main script makes Streamlit start a new server process in its
    legacy multipage mode: until some session has run ``app.py`` (which calls ``st.navigation``),
    a deep link such as ``/borders`` runs the page file alone, without the router and its
    sign-in gate. Every page imports this module first, so the first such run switches the
    process to the router and reruns, and the deep link then goes through ``app.py``.
    """
    import sys

    from streamlit.runtime.pages_manager import PagesManager

    if "streamlit.testing.v1.app_test" in sys.modules:
        return  # AppTest picks the entry script itself and resets the flag on every run
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()



PLAIN_GAP = ("The bundled data: Toronto firearm-discharge incidents, U.S. CBP weapons and ammunition seizures "
             "(at Area of Responsibility level), ATF trace flows, the Colombian National Police firearm seizures "
             "(2019 Q1, per municipality), Ecuador's illicit-weapon seizures (2023, per province), Rio de Janeiro's "
             "seized-weapon counts per precinct area and month, and worldwide UNODC country statistics. "
             "No public seizure register at municipality level or finer was found for West Africa (Mali, "
             "Burkina Faso, Cote d'Ivoire): import your own agency's records there.")


def db_path() -> str:
    """The store the app serves: ``$INTEL_STORE`` (a DuckDB file or a ``ducklake:`` store, as the
    CLI reads it), else ``$INTEL_DB``, else the default file; a file as its absolute path."""
    spec = os.environ.get(store.STORE_ENV) or os.environ.get("INTEL_DB", str(store.DEFAULT_DB))
    return spec if store.parse_store(spec) is not None else str(Path(spec).resolve())


def db_stamp() -> float:
    """The store's version: part of every cache key, so a rebuild or another process's import is
    seen. The modification time of a store file; the current snapshot id of a DuckLake store
    (one cheap catalog read per call: a commit by another process changes it)."""
    path = db_path()
    if store.parse_store(path) is not None:
        try:
            return float(store.snapshot_id(_instance().cursor()) or 0)
        except Exception:  # noqa: BLE001 - an unreadable catalog: the page says so where it reads
            return 0.0
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


class _LakeInstance:
    """A DuckLake store's connection whose ``cursor()`` reads the store (:func:`intel.store.cursor`:
    a plain DuckDB cursor would start on the empty in-memory catalog)."""

    def __init__(self, con):
        self._con = con

    def cursor(self):
        return store.cursor(self._con)

    def __getattr__(self, name):
        return getattr(self._con, name)


@st.cache_resource(show_spinner=False)
def _connection(path: str, stamp: float):
    # One DuckDB instance per server process (DuckDB allows one writing process): every session
    # reads through its own cursor and sees only committed transactions, so an import running in
    # this process is never seen half-done. Writes (imports, quarantine decisions, settings) go
    # through the same instance. A DuckLake store is opened once (stamp 0): its cursors see
    # every snapshot committed since, by this process or another.
    con = store.connect(path)
    return _LakeInstance(con) if store.is_lake(con) else con


def _instance():
    path = db_path()
    if store.parse_store(path) is not None:
        try:
            return _connection(path, 0.0)
        except Exception as exc:  # noqa: BLE001 - one sentence, never a traceback
            st.error(f"The DuckLake store {path} cannot be opened: {exc}")
            st.stop()
    if not Path(path).exists():
        st.error(f"The store {path} does not exist yet. Run `intel build` (the README's first command does it).")
        st.stop()
    try:
        return _connection(path, db_stamp())
    except (duckdb.Error, OSError) as exc:   # damaged, read-only, full disk, held: one sentence
        msg = store.fault_message(exc, path)
        st.error(msg[:1].upper() + msg[1:])
        st.stop()


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file
        return False


def current_user() -> auth.User | None:
    """The signed-in user; the local single user when no users file or OIDC provider is set."""
    if not auth.multi_user() and not _oidc_configured():
        return auth.LOCAL_USER
    return st.session_state.get("intel_user")


def visibility() -> tuple:
    """What the current user may see, as a plain key (part of every cache key)."""
    return auth.visibility_key(current_user())


def _restricted_cursor(key: tuple):
    cur = _instance().cursor()
    if key != ("all",):
        auth.apply_visibility(cur, auth.user_for_key(key))
    return cur


def get_con():
    """A cursor on the store that reads only what the current user may see (read access)."""
    return _restricted_cursor(visibility())


def get_write_con(action: str = "import"):
    """An unrestricted cursor for a write the current user's role allows (imports, decisions).

    Raises
    ------
    PermissionError
        With a plain sentence when the role does not allow ``action``.
    """
    auth.require(current_user(), action)
    return _instance().cursor()


def user_name() -> str:
    u = current_user()
    return u.name if u else "anonymous"


def cached(**kw):
    """``st.cache_data`` whose key also holds the store's path and version and what the user may
    see, so a cached result is never served to a user who may not see it, nor after a rebuild,
    nor from another store."""
    def deco(fn):
        def inner(_which: str, path: str, vis: tuple, stamp: float, *a, **k):
            return fn(*a, **k)
        inner.__module__, inner.__qualname__, inner.__name__ = fn.__module__, fn.__qualname__, fn.__name__
        cached_inner = st.cache_data(**kw)(inner)

        @functools.wraps(fn)
        def outer(*a, **k):
            return cached_inner(f"{fn.__module__}.{fn.__qualname__}", db_path(), visibility(), db_stamp(), *a, **k)
        outer.clear = cached_inner.clear
        return outer
    return deco


@st.cache_data(show_spinner=False, max_entries=64)
def _marking(path: str, stamp: float, vis: tuple, filters: hexbin.Filters | None = None, batch_ids: tuple = (),
             events: bool = True) -> str:
    return export.records_marking(_restricted_cursor(vis), filters, batch_ids, events=events)


def export_marking(filters: hexbin.Filters | None = None, batch_ids=(), events: bool = True) -> str:
    """The releasability marking of the records the current user sees under ``filters`` (the
    page's sidebar filters: the rows an export of the page holds); without ``filters``, of
    everything the user sees (more restrictive than any part of it, never less). ``batch_ids``
    adds the import batches of non-event rows the export holds (crossings, flows); ``events=False``
    leaves the events out for exports that hold none (:func:`intel.export.records_marking`)."""
    return _marking(db_path(), db_stamp(), visibility(), filters, tuple(export.batch_id_list(batch_ids)), bool(events))


def _session_token() -> str:
    """A random token of this browser session (sign-in throttling, download ids); never shown."""
    import secrets

    if "intel_session_token" not in st.session_state:
        st.session_state["intel_session_token"] = secrets.token_hex(16)
    return st.session_state["intel_session_token"]


def _still_allowed(user: auth.User | None, action: str, users_file, stamp: str | None = None) -> bool:
    """Whether ``user`` may still take ``action`` under the users file as it is now (a download
    is generated after the page was drawn: the account may have changed in between)."""
    if user is None:
        return False
    if users_file is None:
        return auth.can(user, action)
    try:
        now, _ = sessions.refresh(user, sessions.ACCOUNTS.accounts(users_file), stamp)
    except ValueError:
        return False
    return auth.can(now, action)


MEDIA_LIFETIME_S = 60.0
"""Seconds a produced download stays at ``/media/<id>`` at most (see :func:`audited_download`)."""


def _expire_media_later(seconds: float = MEDIA_LIFETIME_S) -> None:
    """Run Streamlit's media clean-up twice after ``seconds`` (the first pass marks a download no
    session references, the second deletes it), so a produced file does not wait for the next
    script run of some session to be dropped."""
    import threading

    from streamlit import runtime

    if not runtime.exists():
        return
    mgr = runtime.get_instance().media_file_mgr

    def sweep():
        mgr.remove_orphaned_files()
        mgr.remove_orphaned_files()
    t = threading.Timer(seconds, sweep)
    t.daemon = True
    t.start()


def audited_download(container, label, data, *, file_name=None, mime=None, action: str = "export",
                     need: str = "export", detail: dict | None = None, **kw):
    """A download button whose file exists only when this session asks for it, with an audit line.

    The data are not handed to Streamlit's media store when the page is drawn: the button holds
    a callable (``st.download_button(data=callable)``), which Streamlit registers under a random
    id sent only to this session's browser and runs when that browser asks for it over its own
    websocket. The callable checks the account again (disabled, removed, or a role without
    ``need`` since the page was drawn: nothing is produced), writes the audit line ``action``
    (with ``detail``, the file name and the user), and returns the bytes. Streamlit stores the
    file at ``/media/<id>`` and sends that URL back to this session only.

    What holds: nothing is stored before this session asks; every production is audited and
    checked against the account as it is then; the id is a 128-bit hash of the content, the MIME
    type and the file name, and the MIME type carries a parameter with this session's random
    token, so the id differs per session and cannot be computed from known content; the file is
    dropped at most :data:`MEDIA_LIFETIME_S` seconds later (:func:`_expire_media_later`), or
    earlier by Streamlit's own clean-up at the ends of script runs. ``data`` may be a callable
    returning the bytes: it then runs only when the file is asked for. What does not hold:
    Streamlit's media endpoint checks no session, so whoever holds the URL in that window can
    fetch the file (more than once) without an audit line of their own.
    """
    user = current_user()
    users_file = auth.users_path() if (auth.multi_user() or _oidc_configured()) else None
    inst = _instance()
    token = _session_token()
    stamp = st.session_state.get("intel_cred")
    if mime is None:
        import mimetypes

        mime = (mimetypes.guess_type(file_name or "")[0] or
                ("text/plain" if isinstance(data, str) else "application/octet-stream"))
    info = {**(detail or {}), "file": file_name}

    def produce():
        if not _still_allowed(user, need, users_file, stamp):
            raise PermissionError("the account may no longer download this file")
        payload = data() if callable(data) else data   # made now, for this session only
        store.audit(inst.cursor(), action, info, user.name if user else None)
        _expire_media_later()
        return payload

    kw.setdefault("on_click", "ignore")
    return container.download_button(label, produce, file_name=file_name, mime=f"{mime}; intel-session={token}",
                                     **kw)


def export_button(container, label, data, file_name=None, mime=None, *, filters: hexbin.Filters | None = None,
                  marking: str | None = None, rows: int | None = None, **kw):
    """A download button for an export: only for roles that may export; the file carries the
    releasability marking of the rows it holds, inside (:func:`intel.export.mark_export`: a CSV
    column, a GeoJSON member, GeoParquet/GeoPackage metadata ...) and in its name
    (:func:`intel.export.marked_file_name`); each download is written to the audit log, with the
    marking, the filters, the number of rows and the store snapshot the page read
    (:func:`intel.store.snapshot_label`), when the file is produced for this session
    (:func:`audited_download`).

    Parameters
    ----------
    container : ``st`` or a column
    label, data, file_name, mime
        As for ``st.download_button`` (``data`` bytes or text), or ``data`` a callable returning
        them, run only when this session asks for the file (exports that take time to write,
        GeoPackage, GeoParquet, PDF, are then not made on every script run).
    filters : intel.hexbin.Filters, optional
        The page's filters: the marking is that of the records they select
        (:func:`export_marking`). Give it, or ``marking``, for every export of records.
    marking : str, optional
        The marking of the rows exported, computed by the page from those rows (e.g.
        :func:`intel.quality.quarantine_marking`); wins over ``filters``. With neither, the
        marking of everything the user sees (never less restrictive than the rows').
    rows : int, optional
        Rows exported, for the audit line.
    """
    user = current_user()
    if not auth.can(user, "export"):
        container.caption(f"{label}: your role may not export.")
        return False
    if marking is None:
        marking = export_marking(filters)
    name = export.marked_file_name(file_name, marking)
    # the snapshot the page's figures were read from (the cache stamp), for the audit line
    snapshot = store.snapshot_label(_instance().cursor())
    detail = {"marking": marking, "label": label, "snapshot": snapshot,
              "filters": _filters_detail(filters), **({"rows": int(rows)} if rows is not None else {})}
    return audited_download(container, label,
                            lambda: export.mark_export(data() if callable(data) else data, file_name, marking),
                            file_name=name,
                            mime=mime, action="export", need="export", detail=detail, **kw)


def _filters_detail(filters: hexbin.Filters | None) -> dict | None:
    """The filters of an export as plain values for its audit line (only those set)."""
    if filters is None:
        return None
    from dataclasses import asdict

    return {k: v for k, v in asdict(filters).items() if v not in (None, ())}


def _request_headers() -> dict:
    """The headers of the request that opened this session (its websocket handshake)."""
    try:
        return dict(st.context.headers)
    except Exception:  # noqa: BLE001 - no request context: an in-process harness, see intel.sessions
        return {}


def host_gate() -> None:
    """Refuse, before anything is shown, a request for a host name the dashboard does not answer to
    (DNS rebinding): :func:`intel.sessions.check_headers` on the request's ``Host`` and ``Origin``."""
    msg = sessions.check_headers(_request_headers())
    if msg:
        st.error(msg)
        st.stop()


def _audit(action: str, detail: dict, user_name: str | None) -> None:
    store.audit(_instance().cursor(), action, detail, user_name)


def _sign_out(message: str | None = None) -> None:
    for k in ("intel_user", "intel_cred", "intel_last_run"):
        st.session_state.pop(k, None)
    if message:
        st.session_state["intel_signed_out"] = message
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()  # else the provider's identity would sign the session straight back in


def _keep_session_current() -> None:
    """Idle timeout and the account's current rights, once per run of a signed-in session."""
    user = st.session_state.get("intel_user")
    now = sessions.clock()
    if user is None:
        return
    # environment, store, default; an unreadable store or a bad value gives the default limit
    minutes = setting("session_idle_minutes", cast=int)
    if sessions.idle_expired(st.session_state.get("intel_last_run"), now, minutes):
        _audit("session_expired", {"idle_minutes": minutes}, user.name)
        _sign_out(f"You were signed out after more than {minutes} minutes without activity. Sign in again.")
        return
    try:
        accounts = sessions.ACCOUNTS.accounts(auth.users_path())
    except ValueError as e:
        st.error(f"{e} Nothing is shown until the users file is fixed.")
        st.stop()
    fresh, why = sessions.refresh(user, accounts, st.session_state.get("intel_cred"))
    if fresh is None:
        _audit("session_revoked", {"reason": why}, user.name)
        _sign_out(why)
        return
    if fresh != user:
        st.session_state["intel_user"] = fresh
    st.session_state["intel_last_run"] = now


def _signed_in(user: auth.User, accounts, method: str, failed_before: int = 0) -> None:
    st.session_state["intel_user"] = user
    st.session_state["intel_cred"] = sessions.credential_stamp(accounts.get(user.name))
    st.session_state["intel_last_run"] = sessions.clock()
    st.session_state.pop("intel_signed_out", None)
    _audit("sign_in", {"method": method, **({"failed_before": failed_before} if failed_before else {})}, user.name)


def _password_sign_in(accounts, name: str, password: str) -> None:
    """Check a password under the throttle (:class:`intel.sessions.SignInThrottle`); one audit
    line per lock, not per failure."""
    name = (name or "").strip()[:64]
    keys = (("name", name), ("session", _session_token()))
    wait, key = sessions.THROTTLE.wait(*keys)
    if wait > 0:
        who = "for this user name" if key[0] == "name" else "from this browser"
        st.error(f"Too many failed sign-ins {who}. Try again {sessions.retry_text(wait)}.")
        return
    u = auth.verify(accounts, name, password)
    if u is None:
        locks = sessions.THROTTLE.failure(*keys)
        if locks:
            worst = max(locks, key=lambda lk: lk.seconds)
            _audit("sign_in_locked", {"name": name, "locks": worst.locks, "seconds": worst.seconds,
                                      "failures": worst.failures, "keys": sorted(lk.key[0] for lk in locks)}, None)
            st.error(f"Unknown user name or wrong password. Too many failed sign-ins: try again "
                     f"{sessions.retry_text(worst.seconds)}.")
        else:
            st.error("Unknown user name or wrong password.")
        return
    failed = sessions.THROTTLE.success(*keys)
    _signed_in(u, accounts, "password", failed)
    st.rerun()


def sign_in_gate() -> None:
    """Ask for sign-in when the deployment is shared; show who is signed in otherwise.

    Local users are checked against the users file (hashed passwords, :mod:`intel.auth`); with
    an OIDC provider configured (``[auth]`` in ``.streamlit/secrets.toml``), ``st.login`` is used
    and the identity is mapped to an account of the users file. On every run of a signed-in
    session the account is read again (:func:`intel.sessions.refresh`: new rights at once; a
    disabled, removed or re-passworded account is signed out) and the idle timeout
    (``session_idle_minutes``) is applied. Password sign-in is throttled per user name and per
    browser session (:class:`intel.sessions.SignInThrottle`). Sign-ins, locks, sign-outs,
    expired and revoked sessions are written to the audit log.
    """
    shared = auth.multi_user() or _oidc_configured()
    if shared:
        _keep_session_current()
    user = current_user()
    if user is not None:
        if shared:
            st.sidebar.caption(f"Signed in: {user.display_name or user.name} ({user.role}"
                               + (f", {user.country_iso3}" if user.country_iso3 else "") + ")")
            if st.sidebar.button("Sign out", key="sign_out"):
                _audit("sign_out", {}, user.name)
                _sign_out()
                st.rerun()
        return
    st.title("Sign in")
    if msg := st.session_state.get("intel_signed_out"):
        st.warning(msg)
    try:
        users = sessions.ACCOUNTS.accounts(auth.users_path())
    except ValueError as e:
        st.error(f"{e} Ask the administrator to fix the users file.")
        st.stop()
    if _oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            u = auth.user_from_claims(users, st.user.to_dict())
            if u is None:
                st.error("Your identity is not linked to an account of this deployment. Ask an administrator.")
                st.stop()
            _signed_in(u, users, "oidc")
            st.rerun()
        st.button("Sign in with your organisation", on_click=st.login)
    with st.form("sign_in"):
        name = st.text_input("User name")
        password = st.text_input("Password", type="password")
        ok = st.form_submit_button("Sign in")
    if ok:
        _password_sign_in(users, name, password)
    st.stop()


def keep(*keys: str) -> None:
    """Keep widget values across reruns and page switches (Streamlit drops unrendered widget state)."""
    for k in keys:
        if k in st.session_state:
            st.session_state[k] = st.session_state[k]


# ---------------------------------------------------------------- named queries (cached here only)
@cached(show_spinner=False, max_entries=16)
def filter_options() -> queries.FilterOptions:
    """:func:`intel.queries.filter_options` for what the current user may see."""
    return queries.filter_options(get_con())


def options() -> dict:
    """The sidebar filters' choices as a plain dict (``lo``, ``hi``, ``kinds``, ``categories``,
    ``countries``, ``sources``)."""
    o = filter_options()
    return {"lo": o.range.lo, "hi": o.range.hi, "kinds": list(o.kinds), "categories": list(o.categories),
            "countries": list(o.countries), "sources": list(o.sources)}


@cached(show_spinner=False, max_entries=16)
def data_range() -> queries.DataRange:
    """First and last date of the accepted records the current user may see (:func:`intel.queries.data_range`)."""
    return queries.data_range(get_con())


@cached(show_spinner=False, max_entries=16)
def provenance_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Import batches and per-source date ranges (:func:`intel.queries.batches`, :func:`intel.queries.source_ranges`)."""
    con = get_con()
    return queries.batches(con), queries.source_ranges(con)


@cached(show_spinner="Reading the store ...", max_entries=16)
def overview_figures(places: int = 20) -> overview.Overview:
    """The Overview page's figures (:func:`intel.overview.overview`)."""
    return overview.overview(get_con(), places)


@cached(show_spinner=False, max_entries=4)
def country_list() -> pd.DataFrame:
    """Reference countries, columns ``iso3``, ``name`` (:func:`intel.queries.countries`)."""
    return queries.countries(get_con())


@cached(show_spinner=False, max_entries=64)
def admin1_list(country_iso3: str) -> pd.DataFrame:
    """Admin-1 units of one country, columns ``admin1_id``, ``name`` (:func:`intel.queries.admin1_units`)."""
    return queries.admin1_units(get_con(), country_iso3)


@cached(show_spinner=False, max_entries=16)
def reporting_countries() -> tuple[str, ...]:
    """ISO3 codes with country statistics (:func:`intel.queries.reporting_countries`)."""
    return queries.reporting_countries(get_con())


def setting(name: str, fallback=None, cast=None):
    """Value of a named setting (:func:`intel.settings.get`: environment, then store, then default).

    Parameters
    ----------
    name : str
        A key of :data:`intel.settings.SETTINGS`.
    fallback : optional
        Returned when the store cannot be read or the value is unusable (default: the
        setting's default).
    cast : callable, optional
        Applied to the value (e.g. ``int``); a value it cannot convert gives ``fallback``.

    Raises
    ------
    KeyError
        For a name that is not a setting (a programming error).
    """
    spec = settings.SETTINGS[name]
    fb = spec.default if fallback is None else fallback
    try:
        v = settings.get(name, get_con())
        return cast(v) if cast is not None else v
    except Exception:  # noqa: BLE001 - unreadable store or malformed INTEL_<NAME>: the page still draws
        return cast(fb) if cast is not None else fb


def widget_default(key: str, value) -> None:
    """Give widget ``key`` its first value (from a setting) unless the session already holds one,
    so the user's choice persists across reruns. Use with a widget created by ``key`` only."""
    if key not in st.session_state:
        st.session_state[key] = value


def resolution_slider(container, label: str, use: str, key: str, setting_name: str | None = None, **kw) -> int:
    """An H3 resolution slider bounded by :data:`intel.config.RESOLUTIONS` ``[use]``, starting at
    the setting ``setting_name`` (or :data:`intel.config.DEFAULT_RESOLUTION` ``[use]``), clamped to
    the bounds. The value persists across reruns under ``key``.

    Returns
    -------
    int
        The chosen H3 resolution.
    """
    lo, hi = config.RESOLUTIONS[use]
    default = config.DEFAULT_RESOLUTION[use]
    if setting_name is not None:
        default = setting(setting_name, default, int)
    if key in st.session_state:
        try:
            st.session_state[key] = min(hi, max(lo, int(st.session_state[key])))
        except (TypeError, ValueError):
            st.session_state[key] = min(hi, max(lo, default))
    else:
        st.session_state[key] = min(hi, max(lo, default))
    return int(container.slider(label, lo, hi, key=key, **kw))


def sidebar_filters(with_border: bool = True) -> hexbin.Filters:
    """Sidebar filters shared by the map pages; values persist across reruns and pages."""
    keys = ("flt_period", "flt_kinds", "flt_cats", "flt_countries", "flt_sources", "flt_border")
    keep(*keys)
    o = options()
    sb = st.sidebar
    sb.header("Filters")
    if o["lo"] is None or pd.isna(o["lo"]):
        sb.info("The store holds no dated records.")
        return hexbin.Filters()
    lo, hi = pd.Timestamp(o["lo"]).date(), pd.Timestamp(o["hi"]).date()
    if "flt_period" not in st.session_state:
        st.session_state["flt_period"] = (lo, hi)
    period = sb.date_input("Period (from, to inclusive)", min_value=lo, max_value=hi, key="flt_period")
    kinds = sb.multiselect("Kind", o["kinds"], key="flt_kinds")
    cats = sb.multiselect("Category / firearm type", o["categories"], key="flt_cats")
    countries = sb.multiselect("Country (ISO 3166-1 alpha-3)", o["countries"], key="flt_countries")
    sources = sb.multiselect("Source", o["sources"], key="flt_sources")
    border = None
    if with_border:
        choice = sb.selectbox("Border zone", ["all", "within 20 km", "within 50 km", "within 80 km"], key="flt_border")
        border = None if choice == "all" else float(choice.split()[1])
    p = period if isinstance(period, (tuple, list)) else (period,)
    d_from = p[0].isoformat() if len(p) > 0 else None
    d_to = (pd.Timestamp(p[1]) + pd.Timedelta(days=1)).date().isoformat() if len(p) > 1 else None
    f = hexbin.Filters(date_from=d_from, date_to=d_to, kinds=tuple(kinds), categories=tuple(cats),
                       countries=tuple(countries), sources=tuple(sources))
    if border is not None:
        f = hexbin.Filters(**{**f.__dict__, "max_border_km": border})
    return f


def filters_narrowed(f: hexbin.Filters) -> bool:
    """True when the sidebar filters leave records out, so a message may advise widening them.

    A kind, category, country, source or border-zone filter (:meth:`intel.hexbin.Filters.narrows`)
    or a period shorter than the store's dated records (``lo`` to ``hi`` of :func:`options`).
    """
    if f.narrows():
        return True
    o = options()
    if o["lo"] is None or pd.isna(o["lo"]):
        return False
    lo = pd.Timestamp(o["lo"]).date().isoformat()
    end = (pd.Timestamp(o["hi"]) + pd.Timedelta(days=1)).date().isoformat()
    return (f.date_from or lo) > lo or (f.date_to or end) < end


def as_days(df: pd.DataFrame) -> pd.DataFrame:
    """The table with every date-time column whose values all fall at midnight shown as days
    (``2021-10-01``, not ``2021-10-01 00:00:00``): the store keeps calendar days (UTC)."""
    out = df
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            v = col.dropna()
            if len(v) == 0 or bool((v == v.dt.normalize()).all()):
                if out is df:
                    out = df.copy()
                out[c] = col.dt.date
    return out


def provenance() -> None:
    """Sources, period covered, record and quarantine counts, and the plain statement of the gap."""
    b, per = provenance_tables()
    with st.expander("Provenance: sources, period, counts", expanded=False):
        st.caption(PLAIN_GAP)
        if len(b):
            st.dataframe(as_days(b), hide_index=True, width="stretch")
        if len(per):
            st.dataframe(as_days(per), hide_index=True, width="stretch")
        st.caption("Sources and licences: data/README.md. Country statistics: UNODC Illicit Arms Flows "
                   "Questionnaire (cite UNODC). Basemap: Natural Earth (public domain).")


def stop_with_provenance() -> None:
    """Stop the page after a message, with the provenance still shown."""
    try:
        provenance()
    except Exception:  # noqa: BLE001 - the message above already says what went wrong
        pass
    st.stop()


def legend_html(entries: list, title: str) -> str:
    """A small legend block (colours are numbers we produce; labels are escaped)."""
    import html

    rows = "".join(
        f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-block;width:14px;height:14px;"
        f"background:rgb({int(c[0])},{int(c[1])},{int(c[2])});border:1px solid {SWATCH_LINE_COLOUR}'></span>{html.escape(str(t))}</div>"
        for c, t in entries)
    return f"<div style='font-size:0.85em'><b>{html.escape(title)}</b>{rows}</div>"


def show_deck(deck, key: str, height: int = 560):
    """Draw an offline deck with a stable key (the view is kept across reruns), and under it the
    initial view's scale and centre (deck.gl's scale widget is not available in Streamlit)."""
    from intel.render.deck import scale_caption

    out = st.pydeck_chart(deck, height=height, key=key)
    if deck.initial_view_state is not None:
        st.caption(scale_caption(deck.initial_view_state))
    return out


__all__ = ["get_con", "filter_options", "data_range", "provenance_tables", "overview_figures", "country_list",
           "admin1_list", "reporting_countries", "setting", "widget_default", "resolution_slider", "sidebar_filters", "provenance", "legend_html", "show_deck", "PLAIN_GAP"]


def sidebar_area(prefix: str, header: bool = True):
    """Study-area widgets in the sidebar (the CLI's ``--area``/``--country``/``--admin1``/``--bbox``).

    Returns an :class:`intel.risk.Area` (kind ``data`` by default: the land of the places with
    records, per country and region cluster, never a hull across an ocean), or ``None`` after a
    warning when the chosen mode still lacks its codes or its box cannot be read.
    """
    from intel.risk.areas import Area, area_admin1, area_bbox, area_countries
    from intel.studyarea import AREA_LABELS, AREA_MODES

    sb = st.sidebar
    if header:
        sb.header("Study area")
    mode = sb.radio("Study area", list(AREA_MODES), key=f"{prefix}_area_mode", format_func=AREA_LABELS.get,
                    label_visibility="collapsed" if header else "visible",
                    help="The cells the statistic compares: by default the land of the places with records "
                         "(per country and region cluster, never across an ocean). Same as the CLI's --area.")
    try:
        if mode == "countries":
            c = country_list()
            names = dict(zip(c["iso3"], c["name"]))
            chosen = sb.multiselect("Countries", list(c["iso3"]), key=f"{prefix}_area_countries",
                                    format_func=lambda x: f"{x} - {names.get(x, x)}")
            if not chosen:
                sb.warning("Choose at least one country.")
                return None
            return area_countries(chosen)
        if mode == "admin1":
            c = country_list()
            names = dict(zip(c["iso3"], c["name"]))
            iso = sb.selectbox("Country of the admin-1 units", list(c["iso3"]), key=f"{prefix}_area_a1_country",
                               format_func=lambda x: f"{x} - {names.get(x, x)}")
            units = admin1_list(str(iso))
            unit_names = dict(zip(units["admin1_id"], units["name"]))
            chosen = sb.multiselect("Admin-1 units", list(units["admin1_id"]), key=f"{prefix}_area_admin1",
                                    format_func=lambda x: unit_names.get(x, x))
            if not chosen:
                sb.warning("Choose at least one admin-1 unit.")
                return None
            return area_admin1(chosen)
        if mode == "bbox":
            text = sb.text_input("Box W,S,E,N (degrees WGS84)", key=f"{prefix}_area_bbox",
                                 placeholder="-79.65,43.58,-79.10,43.86")
            if not text.strip():
                sb.warning("Give a box W,S,E,N in degrees.")
                return None
            return area_bbox(text)
    except ValueError as exc:
        sb.warning(str(exc))
        return None
    return Area(mode)


# last, once every name above exists: a session that imports this module while another one is
# rerouted by the call below must find a complete module
_leave_mpa_v1()
