"""Who may do what, and who may see which records: users, roles and releasability.

Seizure intelligence is shared between agencies and countries under conditions. This module
holds the three rules of a shared deployment, none of which needs Streamlit:

Users and sign-in
    A deployment is *single-user local* unless the environment variable ``INTEL_USERS``
    names a users file; then :data:`LOCAL_USER` (an administrator who sees everything) is the
    only user. The users file (JSON, or TOML read with :mod:`tomllib`) lists local accounts
    with an Argon2id password hash (``argon2-cffi``, the reference implementation's binding),
    a role, an agency and a country (ISO 3166-1 alpha-3). :func:`verify` checks a password in
    constant time with respect to whether the account exists. When an OIDC provider is set up
    for Streamlit's ``st.login``, :func:`user_from_claims` maps the identity it returns onto an
    account of the same file (role and country never come from the identity provider).

Roles
    :data:`PERMISSIONS` is the matrix of roles (``analyst``, ``planner``, ``manager``,
    ``admin``) and actions (``view``, ``import``, ``export``, ``decide``, ``manage_users``,
    ``settings``, ``briefing``, ``audit``); :func:`can` asks it and :func:`require` raises
    :class:`PermissionError` with a plain sentence.

Releasability
    Every record (``events.releasability``) and every import batch
    (``batches.releasability``) may carry a marking, read by one strict grammar
    (:func:`parse_releasability`): ``REL TO`` followed by ISO 3166-1 alpha-3 codes or named
    groups of :func:`marking_groups` (``data/marking_groups.toml``: ``FVEY``, ``KAFO``)
    separated by commas, semicolons or slashes; ``NOFORN``; ``UNRESTRICTED``/``PUBLIC``; or
    nothing. Anything else (prose, codes without ``REL TO``, only spaces) is unreadable. A
    record's *effective* marking is the most restrictive of its own and its batch's
    (:func:`effective_releasability`: the countries both release to), so a record never widens
    its batch's marking. A record is visible to an administrator; to everyone when its
    effective marking is unrestricted; to users of the listed countries; when it is releasable
    to no country (``NOFORN``, or two markings with nothing in common) to the account that
    imported its batch; and when a marking is unreadable to administrators only (fail closed)
    (:func:`visible_to`). :func:`visible_sql` is the same rule in SQL, built from the same
    regular expressions, and tested against the Python rule on every pair of markings.
    :func:`visibility_statements` turns it into ``TEMP VIEW`` statements named like the
    store's tables (``events``, ``quarantine``, ``batches``, ``flows``, ``crossings``,
    ``country_stats``): on a DuckDB cursor they shadow the tables for that cursor only, so every
    analysis that reads ``events`` sees only what the user may see, and writes through the
    cursor fail. Quarantined and rejected rows keep their own marking. Exports carry
    :func:`export_marking`, the most restrictive marking of the rows exported.

Audit
    :func:`audit_frame` reads the append-only ``audit`` table (written by
    :func:`intel.store.audit`) with filters on user, action and a half-open period of UTC days.

Layout
    :mod:`intel.auth.roles` (users, roles, permissions), :mod:`intel.auth.accounts` (users file,
    passwords, sign-in), :mod:`intel.auth.markings` (the marking grammar and marking text),
    :mod:`intel.auth.visibility` (the rule in SQL, the views, export markings) and
    :mod:`intel.auth.auditview` (reading the audit log). The public names are re-exported here.
"""
from __future__ import annotations

from intel.auth.roles import (  # noqa: F401
    ACTIONS,
    ACTION_TEXT,
    ISO3_RE,
    LOCAL_USER,
    NAME_RE,
    PERMISSIONS,
    ROLES,
    User,
    can,
    require,
)
from intel.auth.accounts import (  # noqa: F401
    ACCOUNT_FIELDS,
    Account,
    MIN_PASSWORD_LEN,
    add_user,
    change_account,
    hash_password,
    load_users,
    multi_user,
    save_users,
    set_disabled,
    set_password,
    set_role,
    user_from_claims,
    users_frame,
    users_path,
    verify,
)
from intel.auth.markings import (  # noqa: F401
    GROUP_NAME_RE,
    NOFORN_MARKING,
    UNRESTRICTED_MARKING,
    UNRESTRICTED_WORDS,
    canonical_marking,
    combined_marking,
    effective_releasability,
    marking_for,
    marking_groups,
    parse_releasability,
    visible_to,
)
from intel.auth.visibility import (  # noqa: F401
    BATCH_COUNTS_VIEW,
    READ_ONLY_TABLES,
    VIEWED_TABLES,
    apply_visibility,
    effective_list_sql,
    export_marking,
    marking_list_sql,
    marking_text_sql,
    updatable_events_sql,
    user_for_key,
    visibility_key,
    visibility_statements,
    visible_events_sql,
    visible_sql,
)
from intel.auth.auditview import (  # noqa: F401
    AUDIT_COLUMNS,
    audit_actions,
    audit_frame,
    audit_users,
)

__all__ = [
    "ROLES", "ACTIONS", "PERMISSIONS", "User", "Account", "LOCAL_USER", "can", "require", "users_path",
    "multi_user", "hash_password", "verify", "user_from_claims", "load_users", "save_users", "add_user",
    "set_role", "set_password", "set_disabled", "change_account", "ACCOUNT_FIELDS", "users_frame",
    "parse_releasability", "marking_groups", "effective_releasability", "visible_to", "canonical_marking",
    "marking_for", "combined_marking", "marking_list_sql", "effective_list_sql", "marking_text_sql",
    "visible_sql", "NOFORN_MARKING", "visibility_statements", "apply_visibility", "visibility_key",
    "user_for_key", "export_marking", "audit_frame", "audit_actions", "audit_users", "UNRESTRICTED_MARKING",
]
