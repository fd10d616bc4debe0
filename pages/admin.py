"""Admin: users and roles, and the audit log.

A thin page over :mod:`intel.auth`: the accounts of the users file (add, change role,
reset password, disable) for users with the ``manage_users`` permission, and the audit
log with filters (user, action, period) and a CSV export for users with the ``audit``
permission. Everyone else reads a plain sentence. Every change made here is written to the
audit log. Values are shown only in tables and plain text, never as HTML.
"""
from __future__ import annotations

import datetime as dt

import streamlit as st

import pages.common as common
from intel import auth, store
from intel.safety import csv_safe


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

tab_users, tab_audit = st.tabs(["Users and roles", "Audit log"])

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
            with st.form("adm_change_user"):
                st.markdown("**Change an account**")
                c1, c2 = st.columns(2)
                who = c1.selectbox("Account", sorted(users), key="adm_who")
                new_role = c2.selectbox("Role", auth.ROLES, key="adm_role")
                new_pw = st.text_input("New password (leave empty to keep)", type="password", key="adm_pw")
                disabled = st.checkbox("Disabled", key="adm_disabled")
                if st.form_submit_button("Save changes"):
                    try:
                        if who == user.name and (new_role != "admin" or disabled):
                            raise ValueError("You cannot remove your own administrator role or disable yourself; "
                                             "ask another administrator.")
                        changes = {}
                        if users[who].user.role != new_role:
                            users = auth.set_role(users, who, new_role)
                            changes["role"] = new_role
                        if new_pw:
                            users = auth.set_password(users, who, new_pw)
                            changes["password"] = "changed"
                        if users[who].disabled != disabled:
                            users = auth.set_disabled(users, who, disabled)
                            changes["disabled"] = disabled
                        if changes:
                            auth.save_users(users, path)
                    except ValueError as e:
                        st.error(str(e))
                    else:
                        if changes:
                            _log("users.change", {"name": who, **changes})
                            st.success(f"Account {who} changed: {', '.join(changes)}.")
                            st.rerun()
                        else:
                            st.info("Nothing to change.")

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
        st.download_button(
            "Audit log (CSV)", csv_safe(df).to_csv(index=False).encode("utf-8"),
            file_name=f"audit_{d_from or 'start'}_{d_to or 'end'}.csv", mime="text/csv", key="adm_aud_csv",
            on_click=_log, args=("export", {"what": "audit log", "rows": int(len(df)), "user_filter": f_user,
                                            "action_filter": f_action, "from": d_from, "to": d_to}))
        st.caption("The same export from the command line: `intel audit --db DB --out FILE.csv "
                   "[--user U] [--action A] [--from D] [--to D]` (--to excluded).")
