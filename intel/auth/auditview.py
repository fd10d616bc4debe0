"""Reading the audit log for the Audit page and ``intel audit``: lines, actions, users.

Part of :mod:`intel.auth`. :func:`audit_frame` reads the append-only ``audit`` table (written by
:func:`intel.store.audit`) with filters on user, action and a half-open period of UTC days
(:func:`intel.store.period_sql`); :func:`audit_actions` and :func:`audit_users` list the values
the filters offer.
"""
from __future__ import annotations

from intel.store import period_sql


# --------------------------------------------------------------------------------------------
# audit log
# --------------------------------------------------------------------------------------------

AUDIT_COLUMNS = ["audit_id", "logged_at", "user_name", "action", "detail"]


def audit_frame(con, user: str | None = None, action: str | None = None, date_from=None, date_to=None,
                limit: int | None = None):
    """Audit log lines, newest first.

    Parameters
    ----------
    con : DuckDB cursor of the store.
    user, action : str, optional
        Exact user name; action exact or a prefix ending in ``*`` (``import*``).
    date_from, date_to : str or date, optional
        Half-open period [date_from, date_to) of UTC days on ``logged_at``.
    limit : int, optional

    Returns
    -------
    pandas.DataFrame
        :data:`AUDIT_COLUMNS`; ``detail`` is the JSON text as logged.
    """
    parts, params = ["TRUE"], []
    if user:
        parts.append("user_name = ?")
        params.append(str(user))
    if action:
        a = str(action)
        if a.endswith("*"):
            parts.append("starts_with(action, ?)")
            params.append(a[:-1])
        else:
            parts.append("action = ?")
            params.append(a)
    period, period_params = period_sql("logged_at", date_from, date_to)
    parts += period
    params += period_params
    sql = (f"SELECT audit_id, logged_at, user_name, action, CAST(detail AS VARCHAR) AS detail FROM audit "
           f"WHERE {' AND '.join(parts)} ORDER BY audit_id DESC")
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return con.execute(sql, params).df()


def audit_actions(con) -> list[str]:
    """Distinct actions present in the audit log (for a filter's options)."""
    return [r[0] for r in con.execute("SELECT DISTINCT action FROM audit ORDER BY 1").fetchall()]


def audit_users(con) -> list[str]:
    """Distinct user names present in the audit log."""
    return [r[0] for r in con.execute("SELECT DISTINCT user_name FROM audit WHERE user_name IS NOT NULL ORDER BY 1").fetchall()]
