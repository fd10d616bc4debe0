"""Accounts of a shared deployment: the users file, passwords, sign-in and account changes.

Part of :mod:`intel.auth`. A deployment is multi-user when ``INTEL_USERS`` names a users file
(JSON, or TOML read with :mod:`tomllib`) of local accounts with an Argon2id password hash, a
role, an agency and a country. :func:`verify` checks a password in constant time with respect to
whether the account exists; :func:`user_from_claims` maps an OIDC identity onto an account of
the same file (role and country never come from the identity provider). :func:`add_user`,
:func:`change_account` and the ``set_*`` functions return a changed copy that
:func:`save_users` writes atomically.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Mapping

from intel.auth.roles import User
from intel.safety import write_text_atomic


MIN_PASSWORD_LEN = 10


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
    return write_text_atomic(p, text, mode=0o600)


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
