"""Users and roles: who a signed-in person is, and which actions their role allows.

Part of :mod:`intel.auth`. :class:`User` is the person a page or command acts for (name, role,
country, agency); :data:`LOCAL_USER` is the administrator of a single-user local deployment.
:data:`PERMISSIONS` is the matrix of roles (``analyst``, ``planner``, ``manager``, ``admin``) and
actions (``view``, ``import``, ``export``, ``decide``, ``manage_users``, ``settings``,
``briefing``, ``audit``); :func:`can` asks it and :func:`require` raises :class:`PermissionError`
with a plain sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

ROLES: tuple[str, ...] = ("analyst", "planner", "manager", "admin")
"""Roles, from the analyst who brings data in to the administrator who manages users."""

ACTIONS: tuple[str, ...] = ("view", "import", "export", "decide", "manage_users", "settings", "briefing", "audit")
"""Actions a role may be allowed: ``decide`` is a decision on quarantined rows; ``audit`` is
reading the audit log."""

PERMISSIONS: dict[str, frozenset[str]] = {
    "analyst": frozenset({"view", "import", "export", "decide"}),
    "planner": frozenset({"view", "export", "briefing"}),
    "manager": frozenset({"view", "export", "briefing"}),
    "admin": frozenset(ACTIONS),
}
"""Role -> actions it may take."""

ACTION_TEXT = {
    "view": "view records",
    "import": "import files",
    "export": "export data",
    "decide": "decide on quarantined rows",
    "manage_users": "manage users and roles",
    "settings": "change settings",
    "briefing": "produce briefings",
    "audit": "read the audit log",
}

ISO3_RE = re.compile(r"^[A-Z]{3}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


@dataclass(frozen=True)
class User:
    """A signed-in user.

    Parameters
    ----------
    name : str
        Account name (letters, digits, ``_ . @ -``; at most 64 characters).
    role : {'analyst', 'planner', 'manager', 'admin'}
    country_iso3 : str or None
        ISO 3166-1 alpha-3 code of the user's country; ``None`` for no country (then a
        non-administrator sees unrestricted records only).
    agency : str
        The user's agency (shown in the audit log and on exports).
    display_name : str
        Name shown on pages.
    """

    name: str
    role: str
    country_iso3: str | None = None
    agency: str = ""
    display_name: str = ""

    def __post_init__(self):
        if not NAME_RE.match(self.name or ""):
            raise ValueError(f"User name {self.name!r} is not allowed: use letters, digits, '_', '.', '@' or '-' "
                             "(at most 64 characters).")
        if self.role not in ROLES:
            raise ValueError(f"Role {self.role!r} is unknown; roles are {', '.join(ROLES)}.")
        if self.country_iso3 is not None and not ISO3_RE.match(self.country_iso3):
            raise ValueError(f"Country {self.country_iso3!r} must be an ISO 3166-1 alpha-3 code such as BFA.")

    @property
    def label(self) -> str:
        """``display name (agency, country)`` for pages and exports."""
        who = self.display_name or self.name
        where = ", ".join(x for x in (self.agency, self.country_iso3) if x)
        return f"{who} ({where})" if where else who


LOCAL_USER = User(name="local", role="admin", country_iso3=None, agency="local", display_name="Local user")
"""The single user of a local deployment (no users file): an administrator who sees everything."""


# --------------------------------------------------------------------------------------------
# roles
# --------------------------------------------------------------------------------------------

def can(user: User | None, action: str) -> bool:
    """Whether ``user`` may take ``action``.

    Parameters
    ----------
    user : User or None
        ``None`` (nobody signed in) may do nothing.
    action : str
        One of :data:`ACTIONS`.

    Raises
    ------
    ValueError
        For an unknown action (a programming error, never silently allowed).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    if user is None:
        return False
    return action in PERMISSIONS.get(user.role, frozenset())


def require(user: User | None, action: str) -> None:
    """Raise :class:`PermissionError` with a plain sentence unless ``user`` may take ``action``."""
    if not can(user, action):
        if user is None:
            raise PermissionError(f"Sign in to {ACTION_TEXT[action]}.")
        allowed = [r for r in ROLES if action in PERMISSIONS[r]]
        raise PermissionError(f"{user.display_name or user.name} has the role {user.role}, which may not "
                              f"{ACTION_TEXT[action]}; that needs the role {' or '.join(allowed)}.")
