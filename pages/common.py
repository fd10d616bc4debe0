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

import pandas as pd
import streamlit as st

from intel import auth, config, hexbin, queries, settings, store
from intel import overview as _overview

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
    return _connection(path, db_stamp())


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
def _marking(path: str, stamp: float, vis: tuple) -> str:
    return auth.export_marking(_restricted_cursor(vis))


def export_marking() -> str:
    """The releasability marking of what the current user sees (carried by every export)."""
    return _marking(db_path(), db_stamp(), visibility())


def export_button(container, label, data, file_name=None, mime=None, **kw):
    """A download button for an export: only for roles that may export; the file name carries
    the releasability marking; each download is written to the audit log with the store snapshot
    the page read (:func:`intel.store.snapshot_label`).

    ``container`` is ``st`` or a column; the other arguments are those of ``st.download_button``.
    """
    user = current_user()
    if not auth.can(user, "export"):
        container.caption(f"{label}: your role may not export.")
        return False
    marking = export_marking()
    slug = "".join(ch if ch.isalnum() else "_" for ch in marking.split("(")[0].strip()).strip("_")
    name = f"{slug}__{file_name}" if slug and file_name else file_name
    # the snapshot the page's figures were read from (the cache stamp), for the audit line
    snapshot = store.snapshot_label(_instance().cursor())

    def _log():
        store.audit(_instance().cursor(), "export", {"file": file_name, "marking": marking, "label": label,
                                                     "snapshot": snapshot}, user.name if user else None)
    return container.download_button(label, data, file_name=name, mime=mime, on_click=_log, **kw)


def sign_in_gate() -> None:
    """Ask for sign-in when the deployment is shared; show who is signed in otherwise.

    Local users are checked against the users file (hashed passwords, :mod:`intel.auth`); with
    an OIDC provider configured (``[auth]`` in ``.streamlit/secrets.toml``), ``st.login`` is used
    and the identity is mapped to an account of the users file. Every sign-in, failed sign-in
    and sign-out is written to the audit log.
    """
    user = current_user()
    if user is not None:
        if auth.multi_user() or _oidc_configured():
            st.sidebar.caption(f"Signed in: {user.display_name or user.name} ({user.role}"
                               + (f", {user.country_iso3}" if user.country_iso3 else "") + ")")
            if st.sidebar.button("Sign out", key="sign_out"):
                store.audit(_instance().cursor(), "sign_out", {}, user.name)
                st.session_state.pop("intel_user", None)
                if _oidc_configured() and getattr(st.user, "is_logged_in", False):
                    st.logout()
                st.rerun()
        return
    st.title("Sign in")
    users = auth.load_users()
    if _oidc_configured():
        if getattr(st.user, "is_logged_in", False):
            u = auth.user_from_claims(users, st.user.to_dict())
            if u is None:
                st.error("Your identity is not linked to an account of this deployment. Ask an administrator.")
                st.stop()
            st.session_state["intel_user"] = u
            store.audit(_instance().cursor(), "sign_in", {"method": "oidc"}, u.name)
            st.rerun()
        st.button("Sign in with your organisation", on_click=st.login)
    with st.form("sign_in"):
        name = st.text_input("User name")
        password = st.text_input("Password", type="password")
        ok = st.form_submit_button("Sign in")
    if ok:
        u = auth.verify(users, name, password)
        if u is None:
            store.audit(_instance().cursor(), "sign_in_failed", {"name": name[:64]}, None)
            st.error("Unknown user name or wrong password.")
        else:
            st.session_state["intel_user"] = u
            store.audit(_instance().cursor(), "sign_in", {"method": "password"}, u.name)
            st.rerun()
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
def overview_figures(places: int = 20) -> _overview.Overview:
    """The Overview page's figures (:func:`intel.overview.overview`)."""
    return _overview.overview(get_con(), places)


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
        f"background:rgb({int(c[0])},{int(c[1])},{int(c[2])});border:1px solid #888'></span>{html.escape(str(t))}</div>"
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
