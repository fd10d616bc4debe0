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
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

from intel import config
from intel.store import period_sql

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
MIN_PASSWORD_LEN = 10
UNRESTRICTED_WORDS = ("UNRESTRICTED", "PUBLIC")
UNRESTRICTED_MARKING = "UNRESTRICTED (public sources)"


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


@dataclass
class Account:
    """A users-file entry: the user, the password hash and account state.

    ``oidc`` is the e-mail address or subject of the identity that :func:`user_from_claims`
    maps onto this account when sign-in goes through an OIDC provider.
    """

    user: User
    password_hash: str | None = None
    disabled: bool = False
    oidc: str | None = None


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


# --------------------------------------------------------------------------------------------
# users file and passwords
# --------------------------------------------------------------------------------------------

def users_path() -> Path | None:
    """The users file named by ``INTEL_USERS``, or ``None`` (single-user local mode)."""
    p = os.environ.get("INTEL_USERS", "").strip()
    return Path(p) if p else None


def multi_user() -> bool:
    """Whether a users file is configured (sign-in required)."""
    return users_path() is not None


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id with the library's RFC 9106 low-memory defaults


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string) of ``password``.

    Raises
    ------
    ValueError
        Password shorter than :data:`MIN_PASSWORD_LEN` characters.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LEN:
        raise ValueError(f"The password must have at least {MIN_PASSWORD_LEN} characters.")
    return _hasher().hash(password)


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher().hash("not a password of any account")
    return _DUMMY_HASH


def verify(users: Mapping[str, Account], name: str, password: str) -> User | None:
    """Check a name and password against the users file.

    An unknown or disabled account costs the same Argon2 verification as a known one, so the
    time taken does not tell whether an account exists; the hash comparison itself is done by
    the Argon2 library in constant time.

    Returns
    -------
    User or None
        The user when the password matches an enabled account, else ``None``.
    """
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    acct = users.get(name) if isinstance(name, str) else None
    h = acct.password_hash if acct is not None and acct.password_hash else _dummy_hash()
    try:
        ok = _hasher().verify(h, password if isinstance(password, str) else "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or acct is None or acct.disabled or not acct.password_hash:
        return None
    return acct.user


def user_from_claims(users: Mapping[str, Account], claims: Mapping) -> User | None:
    """The account an OIDC identity (``st.user`` claims) maps onto, or ``None``.

    The identity is matched on ``email`` (when ``email_verified`` is not false) or ``sub``
    against the accounts' ``oidc`` field; roles and countries come only from the users file.
    """
    keys = []
    if claims.get("email") and claims.get("email_verified", True) is not False:
        keys.append(str(claims["email"]).lower())
    if claims.get("sub"):
        keys.append(str(claims["sub"]))
    for acct in users.values():
        if acct.oidc and not acct.disabled and (acct.oidc.lower() in keys or acct.oidc in keys):
            return acct.user
    return None


def _account_from(name: str, d: Mapping) -> Account:
    country = d.get("country_iso3") or d.get("country") or None
    user = User(name=name, role=str(d.get("role", "")), country_iso3=str(country).upper() if country else None,
                agency=str(d.get("agency", "")), display_name=str(d.get("display_name", "")))
    return Account(user, d.get("password_hash") or None, bool(d.get("disabled", False)), d.get("oidc") or None)


def load_users(path: str | os.PathLike | None = None) -> dict[str, Account]:
    """Read the users file.

    Format (JSON; TOML with the same structure when the file ends in ``.toml``)::

        {"users": {"ama": {"role": "analyst", "country_iso3": "BFA", "agency": "Douanes",
                           "display_name": "Ama K.", "password_hash": "$argon2id$...",
                           "disabled": false, "oidc": "ama@example.org"}}}

    Parameters
    ----------
    path : path, optional
        Defaults to :func:`users_path`. A missing file gives no users.

    Raises
    ------
    ValueError
        A malformed file or entry (plain sentence naming the entry).
    """
    p = Path(path) if path is not None else users_path()
    if p is None or not p.exists():
        return {}
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            import tomllib

            doc = tomllib.loads(text)
        else:
            doc = json.loads(text) if text.strip() else {}
    except ValueError as e:
        raise ValueError(f"The users file {p} cannot be read: {e}") from None
    out: dict[str, Account] = {}
    for name, d in (doc.get("users") or {}).items():
        try:
            out[name] = _account_from(name, d)
        except (ValueError, AttributeError) as e:
            raise ValueError(f"Users file {p}, entry {name!r}: {e}") from None
    return out


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings


def save_users(users: Mapping[str, Account], path: str | os.PathLike | None = None) -> Path:
    """Write the users file atomically (temporary file then rename), readable by its owner only.

    Returns
    -------
    Path
        The file written.
    """
    p = Path(path) if path is not None else users_path()
    if p is None:
        raise ValueError("No users file: set INTEL_USERS or give a path.")
    entries = {}
    for name, a in sorted(users.items()):
        d = {k: v for k, v in asdict(a.user).items() if k != "name"}
        d.update(password_hash=a.password_hash, disabled=a.disabled, oidc=a.oidc)
        entries[name] = {k: v for k, v in d.items() if v is not None}
    if p.suffix.lower() == ".toml":
        lines = []
        for name, d in entries.items():
            lines.append(f"[users.{_toml_str(name)}]")
            for k, v in d.items():
                lines.append(f"{k} = {'true' if v is True else 'false' if v is False else _toml_str(str(v))}")
            lines.append("")
        text = "\n".join(lines)
    else:
        text = json.dumps({"users": entries}, ensure_ascii=False, indent=2) + "\n"
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".users-", dir=str(p.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def add_user(users: Mapping[str, Account], name: str, password: str | None, role: str,
             country_iso3: str | None = None, agency: str = "", display_name: str = "",
             oidc: str | None = None) -> dict[str, Account]:
    """A copy of ``users`` with a new account.

    Parameters
    ----------
    password : str or None
        ``None`` only for an account that signs in through OIDC (``oidc`` given).

    Raises
    ------
    ValueError
        Existing name, bad role, name or country, or a short password.
    """
    if name in users:
        raise ValueError(f"A user named {name!r} already exists.")
    if password is None and not oidc:
        raise ValueError("Give a password, or an OIDC identity for an account that signs in through the provider.")
    user = User(name, role, country_iso3.upper() if country_iso3 else None, agency, display_name)
    out = dict(users)
    out[name] = Account(user, hash_password(password) if password is not None else None, False, oidc)
    return out


def set_role(users: Mapping[str, Account], name: str, role: str) -> dict[str, Account]:
    """A copy of ``users`` with ``name``'s role changed."""
    if name not in users:
        raise ValueError(f"No user named {name!r}.")
    out = dict(users)
    out[name] = replace(users[name], user=replace(users[name].user, role=role))
    return out


def set_password(users: Mapping[str, Account], name: str, password: str) -> dict[str, Account]:
    """A copy of ``users`` with ``name``'s password replaced."""
    if name not in users:
        raise ValueError(f"No user named {name!r}.")
    out = dict(users)
    out[name] = replace(users[name], password_hash=hash_password(password))
    return out


def set_disabled(users: Mapping[str, Account], name: str, disabled: bool = True) -> dict[str, Account]:
    """A copy of ``users`` with ``name`` disabled (kept for the audit trail) or enabled again."""
    if name not in users:
        raise ValueError(f"No user named {name!r}.")
    out = dict(users)
    out[name] = replace(users[name], disabled=bool(disabled))
    return out


ACCOUNT_FIELDS = ("role", "country_iso3", "agency", "display_name", "disabled", "password")
"""Fields :func:`change_account` may change."""


def change_account(users: Mapping[str, Account], name: str, **changes) -> dict[str, Account]:
    """A copy of ``users`` with only the given fields of ``name``'s account changed.

    Parameters
    ----------
    name : str
        An existing account.
    **changes
        Any of :data:`ACCOUNT_FIELDS`: ``role``; ``country_iso3`` (ISO3, or ``None``/``""`` for no
        country); ``agency``; ``display_name``; ``disabled`` (bool); ``password`` (the new
        password, hashed here). A field not given keeps its value, so a password change never
        touches the role or the disabled flag.

    Raises
    ------
    ValueError
        Unknown account or field, bad role or country, short password (nothing changed).
    """
    if name not in users:
        raise ValueError(f"No user named {name!r}.")
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))}; the fields are {', '.join(ACCOUNT_FIELDS)}.")
    acct = users[name]
    fields = {k: changes[k] for k in ("role", "agency", "display_name") if k in changes}
    if "country_iso3" in changes:
        c = (changes["country_iso3"] or "").strip().upper()
        fields["country_iso3"] = c or None
    new = replace(acct, user=replace(acct.user, **fields))  # User validates role and country
    if "disabled" in changes:
        new = replace(new, disabled=bool(changes["disabled"]))
    if "password" in changes:
        new = replace(new, password_hash=hash_password(changes["password"]))
    out = dict(users)
    out[name] = new
    return out


def users_frame(users: Mapping[str, Account]):
    """The accounts as a table (no hashes): name, display_name, role, agency, country_iso3, sign_in, disabled."""
    import pandas as pd

    rows = [{"name": n, "display_name": a.user.display_name, "role": a.user.role, "agency": a.user.agency,
             "country_iso3": a.user.country_iso3, "sign_in": "password" if a.password_hash else "OIDC",
             "disabled": a.disabled} for n, a in sorted(users.items())]
    return pd.DataFrame(rows, columns=["name", "display_name", "role", "agency", "country_iso3", "sign_in", "disabled"])


# --------------------------------------------------------------------------------------------
# releasability
# --------------------------------------------------------------------------------------------

# The marking grammar, written once as a regular expression that Python (``re``) and DuckDB
# (RE2) read the same way: explicit character classes (no locale, no Unicode case folding),
# the same whitespace class, no flags.
_WS = r"[ \t\n\r\f]"
_SEP_RE = _WS + r"*[,;/]" + _WS + r"*"
_TOKEN = r"[A-Za-z0-9_]+"
GROUP_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
NOFORN_MARKING = "NOFORN"
"""Marking of records releasable to no other country: administrators and the account that
imported the batch (its owner) see them."""


def _ci(word: str) -> str:
    """``word`` as a case-insensitive pattern of ASCII classes (``REL`` -> ``[Rr][Ee][Ll]``)."""
    return "".join(f"[{ch.upper()}{ch.lower()}]" if ch.isalpha() else re.escape(ch) for ch in word)


_PREFIX = _ci("REL") + "(?:" + _ci("EASABLE") + ")?" + _WS + "+" + _ci("TO") + "(?:" + _WS + "*:" + _WS + "*|" + _WS + "+)"
_OPEN_PATTERN = _WS + "*(?:" + _ci("UNRESTRICTED") + "|" + _ci("PUBLIC") + ")" + _WS + "*"
_NOFORN_PATTERN = _WS + "*" + _ci("NOFORN") + _WS + "*"
_SHAPE_RE = re.compile(_WS + "*" + _PREFIX + "(" + _TOKEN + "(?:" + _SEP_RE + _TOKEN + ")*)" + _WS + "*")


def _known_iso3() -> set[str]:
    import pycountry

    return {c.alpha_3 for c in pycountry.countries} | {"XKX"}


_GROUPS_CACHE: dict[tuple, dict[str, tuple[str, ...]]] = {}


def marking_groups(path: str | os.PathLike | None = None) -> dict[str, tuple[str, ...]]:
    """Named groups of countries a marking may name after ``REL TO`` (``FVEY``, ``KAFO``).

    Parameters
    ----------
    path : path, optional
        A TOML file with a ``[groups]`` table of ``NAME = ["ISO3", ...]``; default
        :data:`intel.config.MARKING_GROUPS_FILE` (``data/marking_groups.toml``). A missing
        file gives no groups (then ``REL TO FVEY`` is unreadable, never guessed).

    Returns
    -------
    dict of str to tuple of str
        Group name -> sorted distinct ISO 3166-1 alpha-3 codes.

    Raises
    ------
    ValueError
        A group name that is not 2-16 capital letters, digits or ``_``, that is itself a
        country code, or a group with no member or a member that is not a known country code.
    """
    p = Path(path) if path is not None else config.MARKING_GROUPS_FILE
    try:
        stamp = (str(p), p.stat().st_mtime_ns)
    except OSError:
        return {}
    if stamp in _GROUPS_CACHE:
        return _GROUPS_CACHE[stamp]
    import tomllib

    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"The marking groups file {p} cannot be read: {e}") from None
    known = _known_iso3()
    out: dict[str, tuple[str, ...]] = {}
    for name, members in (doc.get("groups") or {}).items():
        if not GROUP_NAME_RE.match(str(name)) or name in known:
            raise ValueError(f"Marking groups file {p}: {name!r} cannot be a group name (2 to 16 capital letters, "
                             "digits or '_', and not a country code).")
        if isinstance(members, str):
            members = [m for m in re.split(_SEP_RE, members.strip()) if m]
        codes = [str(m).strip().upper() for m in members or []]
        bad = [c for c in codes if c not in known]
        if not codes or bad:
            raise ValueError(f"Marking groups file {p}: group {name} must list ISO 3166-1 alpha-3 country codes"
                             + (f" ({', '.join(bad)} is not one)." if bad else "."))
        out[name] = tuple(sorted(set(codes)))
    _GROUPS_CACHE[stamp] = out
    return out


def _full_pattern(groups: Mapping[str, tuple[str, ...]]) -> str:
    """The whole grammar of a ``REL TO`` marking with its tokens restricted to known codes and
    group names (the same text for :mod:`re` and for DuckDB's RE2)."""
    names = sorted(_known_iso3() | set(groups), key=lambda s: (-len(s), s))   # longest first
    alt = "(?:" + "|".join(_ci(n) for n in names) + ")"
    return _WS + "*" + _PREFIX + alt + "(?:" + _SEP_RE + alt + ")*" + _WS + "*"


def parse_releasability(text, groups: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    """Countries a marking releases to, by one strict grammar.

    The grammar (case does not matter; spaces, tabs and line breaks around the parts)::

        marking  = "" | "UNRESTRICTED" | "PUBLIC" | "NOFORN" | rel
        rel      = ("REL" | "RELEASABLE") "TO" [":"] item (sep item)*
        sep      = "," | ";" | "/"
        item     = ISO 3166-1 alpha-3 code (or XKX) | group name of marking_groups()

    Anything else is unreadable: prose (``REL TO USA AND GBR`` is not Andorra, ``USA ARE GBR``
    not the United Arab Emirates), codes without ``REL TO``, codes separated by spaces only,
    an empty item (``REL TO BFA,``), a classification or caveat word (``SECRET``,
    ``REL TO CIV; NOFORN``) and a marking of only spaces (unreadable, never unrestricted).

    Parameters
    ----------
    text : str or None
        The marking as written.
    groups : mapping, optional
        Group name -> countries; default :func:`marking_groups`.

    Returns
    -------
    tuple of str or None
        Sorted distinct ISO3 codes with groups expanded, e.g. ``('BFA', 'CIV', 'MLI')`` for
        ``REL TO KAFO``; ``()`` for ``NOFORN`` (releasable to no other country); ``None`` for
        no marking (``None``, NaN, ``''``), ``UNRESTRICTED`` or ``PUBLIC`` (everyone).

    Raises
    ------
    ValueError
        An unreadable marking, with a plain sentence saying how to write one.
    """
    if text is None:
        return None
    if isinstance(text, float) and text != text:  # NaN from pandas
        return None
    s = str(text)
    if s == "" or re.fullmatch(_OPEN_PATTERN, s):
        return None
    if re.fullmatch(_NOFORN_PATTERN, s):
        return ()
    if re.fullmatch(_WS + "+", s) or not s.strip():
        raise ValueError(f"Releasability {text!r} is only spaces: it cannot be read (leave the cell empty for no "
                         "marking, or write e.g. 'REL TO BFA, CIV, MLI').")
    groups = marking_groups() if groups is None else groups
    m = _SHAPE_RE.fullmatch(s)
    if not m:
        raise ValueError(f"Releasability {text!r} is not readable: write 'REL TO' followed by ISO3 country codes or "
                         "group names separated by commas, semicolons or slashes (e.g. 'REL TO BFA, CIV, MLI' or "
                         "'REL TO FVEY'), 'NOFORN' or 'UNRESTRICTED'.")
    tokens = [t.upper() for t in re.split(_SEP_RE, m.group(1))]
    known = _known_iso3()
    bad = [t for t in tokens if t not in known and t not in groups]
    if bad:
        raise ValueError(f"Releasability {text!r} is not readable: {', '.join(dict.fromkeys(bad))} is neither an "
                         "ISO 3166-1 alpha-3 country code nor a group of the marking groups file"
                         + (f" ({', '.join(sorted(groups))})." if groups else "."))
    out: set[str] = set()
    for t in tokens:
        out.update(groups.get(t, (t,)))
    return tuple(sorted(out))


def effective_releasability(own, batch, groups: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...] | None:
    """The most restrictive of a record's own marking and its batch's.

    A record can never widen its batch's marking: the countries that may see it are those
    both markings release to (an unrestricted or absent marking releases to everyone).

    Parameters
    ----------
    own, batch : str or None
        Marking texts (:func:`parse_releasability`).

    Returns
    -------
    tuple of str or None
        ``None`` when both are unrestricted or absent; else the sorted intersection, ``()``
        (releasable to no other country, as ``NOFORN``) when it is empty.

    Raises
    ------
    ValueError
        When either marking is unreadable (the record is then for administrators only).
    """
    o = parse_releasability(own, groups)
    b = parse_releasability(batch, groups)
    if o is None:
        return b
    if b is None:
        return o
    return tuple(sorted(set(o) & set(b)))


def visible_to(user: User, own, batch=None, owner: str | None = None,
               groups: Mapping[str, tuple[str, ...]] | None = None) -> bool:
    """Whether ``user`` may see a record marked ``own`` in a batch marked ``batch`` imported by ``owner``.

    Administrators see everything; an unreadable marking is for administrators only; an
    unrestricted effective marking is for everyone; ``REL TO`` countries for users of those
    countries; an effective marking releasable to no country (``NOFORN``, or two markings with
    no country in common) for the account that imported the batch. :func:`visible_sql` is the
    same rule in SQL.
    """
    if user.role == "admin":
        return True
    try:
        rels = effective_releasability(own, batch, groups)
    except ValueError:
        return False
    if rels is None:
        return True
    if not rels:
        return owner is not None and owner == user.name
    return user.country_iso3 is not None and user.country_iso3 in rels


def canonical_marking(text, groups: Mapping[str, tuple[str, ...]] | None = None) -> str | None:
    """The marking to store for a batch: ``None`` for no marking or unrestricted, else
    :func:`marking_for` of the parsed countries (groups expanded, ``NOFORN`` kept).

    Raises
    ------
    ValueError
        An unreadable marking.
    """
    rels = parse_releasability(text, groups)
    return None if rels is None else marking_for(rels)


def marking_for(rels) -> str:
    """The marking line for one releasability.

    Parameters
    ----------
    rels : tuple of str, str or None
        Parsed countries (``()`` for ``NOFORN``), raw marking text, or ``None``.

    Returns
    -------
    str
        ``'REL TO BFA, CIV, MLI'``, ``'NOFORN'`` or ``'UNRESTRICTED (public sources)'``.
    """
    if isinstance(rels, str) or rels is None:
        rels = parse_releasability(rels)
    if rels is None:
        return UNRESTRICTED_MARKING
    if not rels:
        return NOFORN_MARKING
    return "REL TO " + ", ".join(sorted(set(rels)))


def _combine(rels_list: Iterable, unreadable: bool) -> str:
    common: set[str] | None = None
    noforn = False
    for rels in rels_list:
        if rels is None:
            continue
        noforn = noforn or not rels
        common = set(rels) if common is None else common & set(rels)
    if unreadable:
        return "NOT RELEASABLE: contains records with an unreadable releasability marking"
    if common is None:
        return UNRESTRICTED_MARKING
    if not common:
        if noforn:
            return NOFORN_MARKING
        return "NOT RELEASABLE: records with different releasability (no country may see all of them)"
    return marking_for(tuple(common))


def combined_marking(markings: Iterable) -> str:
    """The most restrictive marking of a set of records (for an export that mixes them).

    The countries that may see *every* record are the intersection of the restricted
    markings. Unreadable markings make the set ``NOT RELEASABLE`` beyond administrators.

    Parameters
    ----------
    markings : iterable of str or None
        Effective releasability of each record (raw text).

    Returns
    -------
    str
        ``'UNRESTRICTED (public sources)'`` when every record is unrestricted,
        ``'REL TO ...'`` for the common countries, ``'NOFORN'`` when a ``NOFORN`` record
        leaves no country, or ``'NOT RELEASABLE: ...'`` when no country may see all of them.
    """
    parsed, unreadable = [], False
    for m in markings:
        try:
            parsed.append(parse_releasability(m))
        except ValueError:
            unreadable = True
    return _combine(parsed, unreadable)


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def marking_list_sql(expr: str, groups: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """SQL: the parsed form of the marking text ``expr``, as :func:`parse_releasability` reads it.

    Returns
    -------
    str
        A ``VARCHAR[]`` expression: ``NULL`` for no marking (NULL or ``''``), ``['*']`` for
        unrestricted, ``[]`` for ``NOFORN``, the sorted distinct ISO3 codes (groups expanded)
        for a ``REL TO`` marking, ``['!']`` for an unreadable one. ``expr`` is a trusted SQL
        expression of this module; the patterns and group names embedded are product
        constants (group names are checked against ``^[A-Z][A-Z0-9_]{1,15}$``, codes are ISO3).
    """
    groups = marking_groups() if groups is None else groups
    body = (f"upper(regexp_extract({expr}, {_sql_str('^' + _WS + '*' + _PREFIX + '([A-Za-z0-9_ ,;/' + _WS[1:-1] + ']*?)' + _WS + '*$')}, 1))")
    tokens = f"string_split_regex({body}, {_sql_str(_SEP_RE)})"
    if groups:
        cases = " ".join(f"WHEN {_sql_str(g)} THEN [{', '.join(_sql_str(c) for c in members)}]"
                         for g, members in sorted(groups.items()) if GROUP_NAME_RE.match(g))
        tokens = f"flatten(list_transform({tokens}, lambda t: CASE t {cases} ELSE [t] END))"
    return (f"(CASE WHEN {expr} IS NULL OR {expr} = '' THEN NULL "
            f"WHEN regexp_full_match({expr}, {_sql_str(_OPEN_PATTERN)}) THEN ['*'] "
            f"WHEN regexp_full_match({expr}, {_sql_str(_NOFORN_PATTERN)}) THEN []::VARCHAR[] "
            f"WHEN regexp_full_match({expr}, {_sql_str(_full_pattern(groups))}) THEN list_sort(list_distinct({tokens})) "
            f"ELSE ['!'] END)")


def effective_list_sql(own_list: str, batch_list: str) -> str:
    """SQL: :func:`effective_releasability` of two :func:`marking_list_sql` lists (``['!']`` when
    either is unreadable, NULL when both are absent)."""
    o, b = own_list, batch_list
    return (f"(CASE WHEN {o} IS NULL THEN {b} WHEN {b} IS NULL THEN {o} "
            f"WHEN list_contains({o}, '!') OR list_contains({b}, '!') THEN ['!'] "
            f"WHEN {o} = ['*'] THEN {b} WHEN {b} = ['*'] THEN {o} "
            f"ELSE list_sort(list_intersect({o}, {b})) END)")


def _visible_list_sql(user: User, lst: str, owner_expr: str | None) -> str:
    """SQL predicate on a parsed (effective) marking list; see :func:`visible_to`."""
    if user.role == "admin":
        return "TRUE"
    parts = [f"{lst} IS NULL", f"{lst} = ['*']"]
    c = user.country_iso3
    if c is not None:
        if not ISO3_RE.match(c or ""):  # never reached: User validates; kept as the embedding guard
            raise ValueError("country must be an ISO3 code")
        parts.append(f"list_contains({lst}, '{c}')")
    if owner_expr is not None:
        if not NAME_RE.match(user.name or ""):  # never reached: User validates
            raise ValueError("user name not allowed")
        parts.append(f"(len({lst}) = 0 AND {owner_expr} = {_sql_str(user.name)})")
    return "coalesce(" + " OR ".join(parts) + ", FALSE)"


def marking_text_sql(lst: str, own_expr: str, batch_expr: str, own_list: str) -> str:
    """SQL: the effective marking as text (``REL TO ...``, ``NOFORN``, ``UNRESTRICTED``, NULL for
    none, and for an unreadable one the unreadable text itself), parsed by
    :func:`parse_releasability` to the same countries as :func:`effective_releasability`."""
    return (f"(CASE WHEN {lst} IS NULL THEN NULL WHEN {lst} = ['*'] THEN 'UNRESTRICTED' "
            f"WHEN list_contains({lst}, '!') THEN CASE WHEN list_contains({own_list}, '!') THEN {own_expr} "
            f"ELSE {batch_expr} END "
            f"WHEN len({lst}) = 0 THEN 'NOFORN' ELSE 'REL TO ' || array_to_string({lst}, ', ') END)")


def visible_sql(user: User, rel_expr: str, batch_expr: str | None = None, owner_expr: str | None = None) -> str:
    """SQL predicate: a record marked ``rel_expr`` in a batch marked ``batch_expr`` imported by
    ``owner_expr`` is visible to ``user``.

    The same rule as :func:`visible_to` (tested on the same cases): the effective marking is
    the most restrictive of the two (:func:`effective_list_sql`), read by the grammar of
    :func:`parse_releasability` (:func:`marking_list_sql`). Without ``batch_expr`` the record's
    own marking alone decides; without ``owner_expr`` nobody but an administrator sees a
    ``NOFORN`` record. The only user values embedded are the country, checked against
    ``^[A-Z]{3}$``, and the account name, checked against the account-name rule.
    """
    if user.role == "admin":
        return "TRUE"
    lst = marking_list_sql(rel_expr)
    if batch_expr is not None:
        lst = effective_list_sql(lst, marking_list_sql(batch_expr))
    return _visible_list_sql(user, lst, owner_expr)


def _pairs_sql(user: User, events: str, batches: str) -> str:
    """SQL relation: one row per distinct (batch, record marking) pair of ``events``, with
    ``batch_id``, ``_r`` (the record's marking as stored), ``_text`` (the effective marking as text,
    :func:`marking_text_sql`) and ``_vis`` (whether ``user`` may see the pair's records).

    The one definition of the rule in SQL over stored records: the ``events`` view of
    :func:`visibility_statements`, its batch counts and :func:`visible_events_sql` all join it. It
    is evaluated per pair, not per record: a store holds a handful of pairs, and each record only
    joins its own."""
    bl = (f"(SELECT batch_id, releasability AS _braw, imported_by AS _owner, "
          f"{marking_list_sql('releasability')} AS _bat FROM {batches})")
    eff = effective_list_sql("_own", "_bat")
    return (f"(SELECT batch_id, _r, {marking_text_sql('_eff', '_r', '_braw', '_own')} AS _text, "
            f"{_visible_list_sql(user, '_eff', '_owner')} AS _vis FROM "
            f"(SELECT x.*, {eff} AS _eff FROM (SELECT d.batch_id, d._r, {marking_list_sql('d._r')} AS _own, "
            f"b._bat, b._braw, b._owner FROM (SELECT DISTINCT batch_id, releasability AS _r FROM {events}) d "
            f"LEFT JOIN {bl} b ON b.batch_id = d.batch_id) x) y)")


def visible_events_sql(user: User, events: str = "events", batches: str = "batches",
                       effective_text: bool = False) -> str:
    """SQL relation: the rows of ``events`` that ``user`` may see, columns as stored.

    The rule of :func:`visible_to` (the effective marking of record and batch, the batch's importer
    for ``NOFORN``), evaluated once per distinct (batch, record marking) pair (:func:`_pairs_sql`),
    on the tables of any cursor, the writing one included: an import compares its rows with stored
    records through it (:mod:`intel.ingest`: re-import matching, deduplication, re-seizure leads),
    inside its own transaction. The ``events`` view of :func:`visibility_statements` is this
    relation with ``effective_text``.

    Parameters
    ----------
    user : User
    events, batches : str
        Trusted SQL names of the two tables (never user input).
    effective_text : bool
        Replace ``releasability`` with the effective marking as text (:func:`marking_text_sql`),
        for an administrator too.

    Returns
    -------
    str
        ``events`` itself for an administrator (without ``effective_text``); else a parenthesised
        ``SELECT`` to use as ``FROM <relation> alias``. The only user values embedded are those of
        :func:`visible_sql`.
    """
    if user.role == "admin" and not effective_text:
        return events
    cols = "e.* REPLACE (p._text AS releasability)" if effective_text else "e.*"
    return (f"(SELECT {cols} FROM {events} e JOIN {_pairs_sql(user, events, batches)} p "
            f"ON p.batch_id = e.batch_id AND p._r IS NOT DISTINCT FROM e.releasability WHERE p._vis)")


def updatable_events_sql(user: User, events: str = "events", batches: str = "batches") -> str:
    """SQL relation: the stored records ``user`` may replace by re-importing them.

    A re-import updates a record in place (:mod:`intel.ingest`), which may narrow or widen what
    others see of it, so only the account that imported the record's batch, or an administrator,
    may do so. A record another account imported is never updated by a re-import: the new row is
    stored as a record of its own and compared with the visible ones (duplicates, re-seizure
    leads) like any new row.

    Parameters
    ----------
    user : User
    events, batches : str
        Trusted SQL names of the two tables (never user input).

    Returns
    -------
    str
        ``events`` for an administrator; else a parenthesised ``SELECT`` of the records of
        batches whose ``imported_by`` is ``user.name`` and which the user may see.
    """
    if user.role == "admin":
        return events
    vis = visible_events_sql(user, events, batches)
    return (f"(SELECT v.* FROM {vis} v JOIN {batches} ob ON ob.batch_id = v.batch_id "
            f"WHERE ob.imported_by = {_sql_str(user.name)})")


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


VIEWED_TABLES = ("events", "quarantine", "batches", "flows", "crossings", "country_stats")
READ_ONLY_TABLES = ("audit", "settings", "profiles", "countries", "admin1", "schema_version")
"""Tables every user may read, shadowed by pass-through views so that a viewer's cursor is
read-only on the whole store (writes go through a separate cursor after a role check)."""
"""Tables shadowed by a temp view of the same name on a user's cursor."""
BATCH_COUNTS_VIEW = "batch_counts"
"""Temp view of a user's cursor: per batch (``batch_id``), ``rows_read``, ``rows_accepted``,
``rows_quarantined`` and ``rows_rejected`` over the input rows the user may see (the stored
counts less the hidden rows; :func:`intel.queries.batches` reads it when it exists)."""


def visibility_statements(user: User, catalog: str) -> list[str]:
    """``CREATE OR REPLACE TEMP VIEW`` statements that restrict a cursor to what ``user`` may see.

    Parameters
    ----------
    user : User
    catalog : str
        The store's catalog name (``SELECT current_database()`` on the cursor); quoted here.

    Returns
    -------
    list of str
        Views ``events`` (with ``releasability`` replaced by the effective marking, the most
        restrictive of the record's own and its batch's, as text), ``batches`` (by their
        marking; a ``NOFORN`` batch for its importer), ``quarantine`` (by the most restrictive of
        the batch's marking and the row's own: that of its stored record or, for a rejected row
        without one, the value of the batch's marking column in the raw row), and ``flows``, ``crossings``, ``country_stats`` (by their batch's
        marking), and :data:`BATCH_COUNTS_VIEW` (each batch's counts over the rows the user
        may see). Administrators get the same views with every row, so their cursor is
        read-only on those tables too.
    """
    cat = _ident(catalog)
    t = {name: f"{cat}.main.{name}" for name in VIEWED_TABLES}
    bl = (f"(SELECT batch_id, releasability AS _braw, imported_by AS _owner, "
          f"{marking_list_sql('releasability')} AS _bat, "
          f"json_extract_string(options, '$.columns.releasability') AS _relcol FROM {t['batches']})")
    # a quarantine row's own marking: its stored record's, else (a rejected row) the value of
    # the batch's marking column in the raw row as imported
    q_own = ("CASE WHEN e.event_id IS NOT NULL THEN e.releasability "
             "ELSE json_transform(q.raw, '\"MAP(VARCHAR, VARCHAR)\"')[b._relcol] END")
    eff = effective_list_sql("_own", "_bat")
    # the rule per distinct (batch, record marking) pair: one definition (_pairs_sql), shared with
    # visible_events_sql and the batch counts below
    pairs = _pairs_sql(user, t["events"], t["batches"])
    stmts = [
        f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM "
        f"{visible_events_sql(user, t['events'], t['batches'], effective_text=True)}",
        f"CREATE OR REPLACE TEMP VIEW batches AS SELECT b.* FROM {t['batches']} b WHERE "
        f"{_visible_list_sql(user, marking_list_sql('b.releasability'), 'b.imported_by')}",
        f"CREATE OR REPLACE TEMP VIEW quarantine AS SELECT * EXCLUDE (_own, _bat, _owner) FROM "
        f"(SELECT q.*, {marking_list_sql(f'({q_own})')} AS _own, "
        f"b._bat, b._owner FROM {t['quarantine']} q LEFT JOIN {t['events']} e ON e.event_id = q.event_id "
        f"LEFT JOIN {bl} b ON b.batch_id = q.batch_id) y "
        f"WHERE {_visible_list_sql(user, eff, '_owner')}",
    ]
    # the batches' counts over the rows the user may see (provenance): the stored counts less
    # the hidden input rows (an input row may give several records: its row number counts once)
    hidden_ev = (f"(SELECT e.batch_id, count(DISTINCT e.row_number) + count(*) FILTER (WHERE e.row_number IS NULL) "
                 f"AS n FROM {t['events']} e JOIN {pairs} p ON p.batch_id = e.batch_id "
                 f"AND p._r IS NOT DISTINCT FROM e.releasability WHERE NOT p._vis AND NOT EXISTS "
                 f"(SELECT 1 FROM {t['quarantine']} q WHERE q.event_id = e.event_id) GROUP BY e.batch_id)")
    hidden_q = (f"(SELECT batch_id, count(*) FILTER (WHERE outcome = 'quarantined') AS q, "
                f"count(*) FILTER (WHERE outcome = 'rejected') AS r FROM "
                f"(SELECT q.batch_id, q.outcome, {marking_list_sql(f'({q_own})')} AS _own, b._bat, b._owner "
                f"FROM {t['quarantine']} q LEFT JOIN {t['events']} e ON e.event_id = q.event_id "
                f"LEFT JOIN {bl} b ON b.batch_id = q.batch_id) y "
                f"WHERE NOT {_visible_list_sql(user, eff, '_owner')} GROUP BY batch_id)")
    stmts.append(
        f"CREATE OR REPLACE TEMP VIEW {BATCH_COUNTS_VIEW} AS SELECT b.batch_id, "
        f"b.rows_read - coalesce(he.n, 0) - coalesce(hq.q, 0) - coalesce(hq.r, 0) AS rows_read, "
        f"b.rows_accepted - coalesce(he.n, 0) AS rows_accepted, b.rows_quarantined - coalesce(hq.q, 0) "
        f"AS rows_quarantined, b.rows_rejected - coalesce(hq.r, 0) AS rows_rejected FROM {t['batches']} b "
        f"LEFT JOIN {hidden_ev} he ON he.batch_id = b.batch_id LEFT JOIN {hidden_q} hq ON hq.batch_id = b.batch_id")
    for name in ("flows", "crossings", "country_stats"):
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT x.* FROM {t[name]} x "
                     f"LEFT JOIN {bl} b ON b.batch_id = x.batch_id WHERE {_visible_list_sql(user, '_bat', '_owner')}")
    # every other table through a pass-through view too: a viewer's cursor cannot write anything
    for name in READ_ONLY_TABLES:
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {cat}.main.{name}")
    return stmts


def apply_visibility(cursor, user: User):
    """Shadow the store's tables on ``cursor`` with views restricted to ``user``.

    Parameters
    ----------
    cursor : duckdb.DuckDBPyConnection
        A cursor of its own (``con.cursor()``): temp views belong to that cursor only; other
        cursors of the same instance still see the tables.
    user : User

    Returns
    -------
    The same cursor, for chaining.
    """
    catalog = cursor.execute("SELECT current_database()").fetchone()[0]
    for sql in visibility_statements(user, catalog):
        cursor.execute(sql)
    return cursor


def visibility_key(user: User | None) -> tuple:
    """A hashable key of what ``user`` may see, for cache keys (equal keys see equal rows).

    A non-administrator's key holds the country and the account name: ``NOFORN`` batches are
    visible to the account that imported them, so two users of one country may see different rows.
    """
    if user is None:
        return ("nobody",)
    if user.role == "admin":
        return ("all",)
    return ("country", user.country_iso3, user.name)


def user_for_key(key: tuple) -> User:
    """A stand-in user with the visibility of :func:`visibility_key` ``key`` (for cached queries
    that receive only the key): ``("all",)`` is an administrator, ``("country", ISO3 or None,
    name)`` an analyst of that country with that account name, ``("nobody",)`` a user without
    a country."""
    if key == ("all",):
        return User("cache", "admin")
    if len(key) == 3 and key[0] == "country":
        return User(key[2], "analyst", key[1])
    if len(key) == 2 and key[0] == "country":
        return User("cache", "analyst", key[1])
    return User("cache", "analyst", None)


def export_marking(con, filters=None) -> str:
    """The marking to print on an export of the ``events`` rows ``con`` sees under ``filters``.

    Parameters
    ----------
    con : DuckDB cursor (restricted with :func:`apply_visibility` or not).
    filters : intel.hexbin.Filters, optional

    Returns
    -------
    str
        The most restrictive marking (:func:`combined_marking`) of the rows' effective
        markings (:func:`effective_releasability` of each record's own and its batch's; on a
        restricted cursor ``events.releasability`` already is the effective one).
    """
    where, params = ("TRUE", [])
    if filters is not None:
        where, params = filters.where("e")
    rows = con.execute(
        f"SELECT DISTINCT e.releasability, b.releasability "
        f"FROM events e LEFT JOIN batches b ON b.batch_id = e.batch_id WHERE {where}", params).fetchall()
    parsed, unreadable = [], False
    for own, batch in rows:
        try:
            parsed.append(effective_releasability(own, batch))
        except ValueError:
            unreadable = True
    return _combine(parsed, unreadable)


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


__all__ = [
    "ROLES", "ACTIONS", "PERMISSIONS", "User", "Account", "LOCAL_USER", "can", "require", "users_path", "multi_user",
    "hash_password", "verify", "user_from_claims", "load_users", "save_users", "add_user", "set_role", "set_password",
    "set_disabled", "change_account", "ACCOUNT_FIELDS", "users_frame", "parse_releasability", "marking_groups", "effective_releasability", "visible_to",
    "canonical_marking", "marking_for", "combined_marking", "marking_list_sql", "effective_list_sql",
    "marking_text_sql", "visible_sql", "NOFORN_MARKING",
    "visibility_statements", "apply_visibility", "visibility_key", "user_for_key", "export_marking", "audit_frame", "audit_actions",
    "audit_users", "UNRESTRICTED_MARKING",
]
