"""Admin: users and roles, the named settings, and the audit log.

A thin page over :mod:`intel.auth` and :mod:`intel.settings`: the accounts of the users file
for users with the ``manage_users`` permission (add an account; change one in a form loaded with
the chosen account's current role, country, agency, display name and disabled flag, writing only
the fields the administrator changed, :func:`intel.auth.change_account`, so a password reset
never demotes or re-enables anyone); the settings table (value, where it comes from, valid range,
help) for everyone, and an editor whose widgets are bounded by each setting's range or choices
for users with the ``settings`` permission, saving through :func:`intel.settings.put` (checked
again there, audited); a form that changes an import batch's releasability marking
(:func:`intel.ingest.set_batch_marking`: the batch's importer or an administrator, audited); and the audit log with filters (user, action, period) and a CSV export
(produced on demand for the session and audited, :func:`pages.common.audited_download`) for
users with the ``audit`` permission. Everyone else reads a plain sentence. Every change made here is written to the
audit log. Values are shown only in tables and plain text, never as HTML; a refused value is a
plain ``st.error`` sentence, never a traceback. The same table from the command line:
``intel settings``.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

import pages.common as common
from intel import auth, settings, store
from intel.safety import csv_bytes


def _current_user() -> auth.User:
    return getattr(common, "current_user", lambda: auth.LOCAL_USER)()


def _write_con():
    # the lead's app layer may offer an unrestricted writing cursor; the audit table is never
    # shadowed by the visibility views, so a page cursor can append to it as well
    return getattr(common, "write_con", common.get_con)()


def _log(action: str, detail: dict) -> None:
    try:
        store.audit(_write_con(), action, detail, user=user.name)
    except Exception as e:  # noqa: BLE001 - never a traceback in the UI
        st.warning(f"The change was made but could not be written to the audit log: {e}")


user = _current_user()
st.title("Admin")
st.caption(f"Signed in as {user.label}, role {user.role}.")

tab_users, tab_settings, tab_batches, tab_audit = st.tabs(["Users and roles", "Settings", "Batch markings",
                                                         "Audit log"])

# ------------------------------------------------------------------------------- users
with tab_users:
    if not auth.can(user, "manage_users"):
        st.info("Only an administrator can manage users and roles. Ask your administrator to change a role "
                "or reset a password.")
    elif not auth.multi_user():
        st.info("This dashboard runs in single-user local mode: there is no users file, and the local user is "
                "an administrator who sees every record. To share it, create a users file with "
                "`intel users add NAME --role admin --users users.json`, then start the dashboard with "
                "`INTEL_USERS=users.json`.")
    else:
        path = auth.users_path()
        try:
            users = auth.load_users(path)
        except ValueError as e:
            st.error(str(e))
            st.stop()
        st.write(f"Accounts in `{path}` (password hashes are never shown).")
        st.dataframe(auth.users_frame(users), hide_index=True, width="stretch")

        with st.form("adm_add_user", clear_on_submit=True):
            st.markdown("**Add an account**")
            c1, c2, c3 = st.columns(3)
            name = c1.text_input("User name", key="adm_new_name")
            role = c2.selectbox("Role", auth.ROLES, key="adm_new_role")
            country = c3.text_input("Country (ISO3, e.g. BFA)", key="adm_new_country", max_chars=3)
            c4, c5 = st.columns(2)
            agency = c4.text_input("Agency", key="adm_new_agency")
            display = c5.text_input("Display name", key="adm_new_display")
            pw = st.text_input(f"Password (at least {auth.MIN_PASSWORD_LEN} characters)", type="password",
                               key="adm_new_pw")
            if st.form_submit_button("Add account"):
                try:
                    users = auth.add_user(users, name.strip(), pw, role, country.strip() or None, agency.strip(),
                                          display.strip())
                    auth.save_users(users, path)
                except ValueError as e:
                    st.error(str(e))
                else:
                    _log("users.add", {"name": name.strip(), "role": role, "country": country.strip() or None,
                                       "agency": agency.strip()})
                    st.success(f"Account {name.strip()} added.")
                    st.rerun()

        if users:
            st.markdown("**Change an account**")
            who = st.selectbox("Account", sorted(users), key="adm_who")
            acct = users[who]
            loaded = {"role": acct.user.role, "country_iso3": acct.user.country_iso3 or "",
                      "agency": acct.user.agency, "display_name": acct.user.display_name,
                      "disabled": acct.disabled}
            # the form shows the chosen account as it is in the file now; it is loaded again when
            # another account is chosen or the file changed since (then a pending edit is dropped)
            reloaded = st.session_state.get("adm_loaded") != (who, loaded)
            if reloaded:
                st.session_state.update({f"adm_{k}": v for k, v in loaded.items()}, adm_pw="",
                                        adm_loaded=(who, loaded))
            with st.form("adm_change_user"):
                c1, c2, c3 = st.columns(3)
                held = {"role": c1.selectbox("Role", auth.ROLES, key="adm_role"),
                        "country_iso3": c2.text_input("Country (ISO3, empty for none)", key="adm_country_iso3",
                                                      max_chars=3),
                        "agency": c3.text_input("Agency", key="adm_agency")}
                c4, c5 = st.columns(2)
                held["display_name"] = c4.text_input("Display name", key="adm_display_name")
                held["disabled"] = c5.checkbox("Disabled", key="adm_disabled")
                new_pw = st.text_input("New password (leave empty to keep)", type="password", key="adm_pw")
                submitted = st.form_submit_button("Save changes")
            if submitted and reloaded:
                st.warning(f"The account {who} changed since the form was loaded; the form now shows it as it "
                           "is. Make your change again.")
            elif submitted:
                # only what the administrator changed in the form (a password alone changes nothing else)
                changes = {k: (v.strip().upper() if k == "country_iso3" else v.strip() if isinstance(v, str) else v)
                           for k, v in held.items()}
                changes = {k: v for k, v in changes.items() if v != loaded[k]}
                if new_pw:
                    changes["password"] = new_pw
                try:
                    if who == user.name and (changes.get("role", "admin") != "admin" or changes.get("disabled")):
                        raise ValueError("You cannot remove your own administrator role or disable yourself; "
                                         "ask another administrator.")
                    if changes:
                        users = auth.change_account(users, who, **changes)
                        auth.save_users(users, path)
                except ValueError as e:
                    st.error(str(e))
                else:
                    if changes:
                        logged = {k: ("changed" if k == "password" else v) for k, v in changes.items()}
                        _log("users.change", {"name": who, **logged})
                        st.session_state["adm_user_msg"] = f"Account {who} changed: {', '.join(changes)}."
                        st.session_state.pop("adm_loaded", None)
                        st.rerun()
                    else:
                        st.info("Nothing to change.")
            if msg := st.session_state.pop("adm_user_msg", None):
                st.success(msg)

# ------------------------------------------------------------------------------- settings
def _current(con, name: str):
    """(value, error sentence or None): an invalid environment or saved value shows its default."""
    try:
        return settings.get(name, con), None
    except ValueError as e:
        return settings.SETTINGS[name].default, str(e)


def _widget(s: settings.Setting, value, disabled: bool):
    """One input bounded by the setting's range or choices; returns the value it holds."""
    label = f"{s.name}" + (f" ({s.unit})" if s.unit else "")
    key = f"adm_set_{s.name}"
    if s.choices is not None:
        opts = list(s.choices)
        return st.selectbox(label, opts, index=opts.index(value) if value in opts else 0, key=key,
                            help=s.help, disabled=disabled)
    if s.kind is bool:
        return st.checkbox(label, value=bool(value), key=key, help=s.help, disabled=disabled)
    if s.kind is int:
        return st.number_input(label, min_value=int(s.lo), max_value=int(s.hi), value=int(value), step=1, key=key,
                               help=f"{s.help} Range {s.range_text()}.", disabled=disabled)
    if s.kind is float:
        return st.number_input(label, min_value=float(s.lo), max_value=float(s.hi), value=float(value), key=key,
                               help=f"{s.help} Range {s.range_text()}.", disabled=disabled)
    return st.text_input(label, value=str(value), key=key, help=s.help, disabled=disabled, max_chars=200)


with tab_settings:
    if msg := st.session_state.pop("adm_set_msg", None):
        st.success(msg)
    con = common.get_con()
    current = {n: _current(con, n) for n in settings.SETTINGS}
    for n, (_, err) in current.items():
        if err:
            st.error(f"{err} The default is shown until it is fixed.")
    st.dataframe([{"name": s.name, "value": str(current[s.name][0]), "source": settings.source(s.name, con),
                   "unit": s.unit, "range": s.range_text(), "help": s.help} for s in settings.SETTINGS.values()],
                 hide_index=True, width="stretch")
    if not auth.can(user, "settings"):
        st.info("Only an administrator can change settings.")
    else:
        with st.form("adm_settings"):
            st.markdown("**Change settings** (saved in the store for every user; a setting given by an "
                        "`INTEL_<NAME>` environment variable is fixed by the deployment and cannot be changed here)")
            cols = st.columns(2)
            held = {}
            for i, s in enumerate(settings.SETTINGS.values()):
                with cols[i % 2]:
                    held[s.name] = _widget(s, current[s.name][0], settings.source(s.name, con) == "env")
            if st.form_submit_button("Save settings"):
                changed, errors = [], []
                for name, value in held.items():
                    if settings.source(name, con) == "env" or value == current[name][0]:
                        continue
                    try:
                        settings.put(common.get_write_con("settings"), name, value, user=user.name)
                        changed.append(name)
                    except (ValueError, KeyError, PermissionError) as e:
                        errors.append(f"{name}: {e.args[0] if e.args else e}")
                for e in errors:
                    st.error(e)
                if changed and not errors:
                    st.session_state["adm_set_msg"] = f"Saved: {', '.join(changed)}."
                    st.rerun()
                elif changed:
                    st.success(f"Saved: {', '.join(changed)}.")
                elif not errors:
                    st.info("Nothing to change.")
        with st.form("adm_settings_reset"):
            stored = [n for n in settings.SETTINGS if settings.source(n, con) == "store"]
            st.markdown("**Back to the default**")
            which = st.selectbox("Setting with a saved value", stored or ["(none)"], key="adm_set_reset_name",
                                 disabled=not stored)
            if st.form_submit_button("Reset to default", disabled=not stored):
                try:
                    settings.reset(common.get_write_con("settings"), which, user=user.name)
                except (KeyError, PermissionError) as e:
                    st.error(str(e.args[0] if e.args else e))
                else:
                    st.session_state.pop(f"adm_set_{which}", None)  # the editor shows the default again
                    st.session_state["adm_set_msg"] = (f"{which} is back to its default, "
                                                       f"{settings.SETTINGS[which].default}.")
                    st.rerun()
        st.caption("The same from the command line: `intel settings`, `intel settings set NAME VALUE`, "
                   "`intel settings reset NAME` (with `--db DB`).")

# ------------------------------------------------------------------------------- batch markings
with tab_batches:
    if msg := st.session_state.pop("adm_mark_msg", None):
        st.success(msg)
    if not auth.can(user, "import"):
        st.info("Only the account that imported a batch, or an administrator, can change its marking.")
    else:
        try:
            from intel import ingest

            # an administrator's batches are all of them; anyone else's are those the account imported
            # (listed even when their marking is not releasable to the importer's own country)
            mine = ingest.list_batches(common.get_write_con("import"))
            if user.role != "admin":
                mine = mine[mine["imported_by"] == user.name]
        except Exception as e:  # noqa: BLE001 - never a traceback in the UI
            mine = None
            st.error(f"The batches could not be listed: {e}")
        if mine is not None and not len(mine):
            st.caption("No import batch whose marking you may change.")
        elif mine is not None:
            labels = {int(b.batch_id): f"batch {int(b.batch_id)}: {b.file_name} (imported by {b.imported_by or '?'})"
                      for b in mine.itertuples()}
            with st.form("adm_marking"):
                st.markdown("**Change a batch's releasability marking** (its records that took the batch's marking "
                            "change with it; written to the audit log with the old and new marking)")
                bid = st.selectbox("Batch", list(labels), format_func=lambda b: labels[b], key="adm_mark_batch")
                text = st.text_input("New marking (e.g. REL TO BFA, CIV, MLI; REL TO FVEY; NOFORN; empty = "
                                     "unrestricted)", key="adm_mark_text")
                if st.form_submit_button("Change marking"):
                    try:
                        out = ingest.set_batch_marking(common.get_write_con("import"), int(bid), text, user)
                    except (ValueError, PermissionError) as e:
                        st.error(f"The marking was not changed: {e}")
                    except Exception as e:  # noqa: BLE001 - never a traceback in the UI
                        st.error(f"The marking was not changed ({type(e).__name__}): {e}")
                    else:
                        if not out["changed"]:
                            st.info(f"Batch {out['batch_id']} already has that marking; nothing changed.")
                        else:
                            st.cache_data.clear()
                            st.session_state["adm_mark_msg"] = (
                                f"Batch {out['batch_id']}: marking {out['old'] or 'UNRESTRICTED'} -> "
                                f"{out['new'] or 'UNRESTRICTED'}; {out['events']:,} records changed with it.")
                            st.rerun()
        st.caption("The same from the command line: `intel batches marking BATCH_ID MARKING`.")

# ------------------------------------------------------------------------------- audit
with tab_audit:
    if not auth.can(user, "audit"):
        st.info("Only an administrator can read the audit log.")
    else:
        con = common.get_con()
        c1, c2, c3 = st.columns([1, 1, 2])
        f_user = c1.selectbox("User", ["(all)"] + auth.audit_users(con), key="adm_aud_user")
        f_action = c2.selectbox("Action", ["(all)"] + auth.audit_actions(con), key="adm_aud_action")
        today = dt.datetime.now(dt.timezone.utc).date()
        period = c3.date_input("Period (UTC days, both included)", value=(today - dt.timedelta(days=30), today),
                               key="adm_aud_period")
        p = period if isinstance(period, (tuple, list)) else (period,)
        d_from = p[0].isoformat() if len(p) > 0 and p[0] else None
        d_to = (p[1] + dt.timedelta(days=1)).isoformat() if len(p) > 1 and p[1] else None
        df = auth.audit_frame(con, user=None if f_user == "(all)" else f_user,
                              action=None if f_action == "(all)" else f_action, date_from=d_from, date_to=d_to)
        st.write(f"{len(df):,} lines. The log is append-only: lines are never changed or deleted.")
        st.dataframe(df, hide_index=True, width="stretch")
        # produced for this session only when asked, and audited then (pages.common.audited_download)
        common.audited_download(
            st, "Audit log (CSV)", csv_bytes(df),
            file_name=f"audit_{d_from or 'start'}_{d_to or 'end'}.csv", mime="text/csv", key="adm_aud_csv",
            action="export", need="audit", detail={"what": "audit log", "rows": int(len(df)), "user_filter": f_user,
                                                   "action_filter": f_action, "from": d_from, "to": d_to})
        st.caption("The same export from the command line: `intel audit --db DB --out FILE.csv "
                   "[--user U] [--action A] [--from D] [--to D]` (--to excluded).")
