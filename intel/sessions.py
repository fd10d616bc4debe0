"""Sessions of the shared dashboard: whether a signed-in session still holds its rights, how
often a user name may try a password, and which host names the dashboard answers to.

Nothing here imports Streamlit: the app layer (``pages/common.py``, ``app.py``) calls these
rules on every run and draws the sentences they return.

Rights follow the account, not the sign-in
    A session keeps the :class:`intel.auth.User` it signed in as. On every run the app layer
    reads the users file again through :class:`AccountCache` (re-read only when the file's
    modification time, size or inode changes, so a run costs one ``stat``) and
    :func:`refresh` gives the account's current user: a changed role, country or agency
    applies at once; a disabled or removed account, or one whose password (or OIDC identity)
    was changed since the session signed in (:func:`credential_stamp`), signs the session out
    with a plain sentence.

Idle timeout
    :func:`idle_expired`: a session with no run for longer than the setting
    ``session_idle_minutes`` is signed out on its next run (the server cannot reach an idle
    browser; what the browser still shows stays until then, and the next run clears it). Times
    are read from :data:`clock` (``time.monotonic``, seconds), which tests replace.

Throttled sign-in
    :class:`SignInThrottle` counts failed sign-ins per key (the user name, and the browser
    session), in the server process, under a lock. After ``threshold`` failures (5) a key is
    locked for ``base_seconds`` (30 s); every further failure after a lock ends locks it again
    for twice as long, up to ``cap_seconds`` (15 min). While a key is locked every attempt is
    refused *before* the password is checked, so the right password does not get in either and
    a refused attempt tells nothing about the password. A success clears the key. The caller
    writes one audit line per lock (:meth:`SignInThrottle.failure` returns the new locks), not
    one per failure. Unknown names are counted like known ones, so a lock does not reveal
    whether an account exists. The table holds at most ``max_entries`` keys (oldest dropped).

Host and Origin allow-list
    :func:`check_headers` refuses a request whose ``Host`` (or, when present, ``Origin``) names
    a host outside :func:`allowed_hosts`: ``127.0.0.1``, ``localhost`` and ``::1`` on any port,
    plus the comma-separated host names of ``INTEL_ALLOWED_HOSTS``. This stops a web page from
    reading the dashboard through DNS rebinding (its own name resolved to 127.0.0.1: the browser
    then sends that name as ``Host``). Streamlit's websocket check (``server.allowedHosts``, set
    by ``intel serve`` from the same list) refuses such connections even earlier; this check
    holds in every mode, also under a bare ``streamlit run``. A request with no headers at all
    is not an HTTP request (Streamlit's ``AppTest`` harness runs the script in-process with an
    empty header map) and is allowed: every real browser request carries ``Host``.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

from intel import auth, settings

__all__ = ["clock", "AccountCache", "refresh", "credential_stamp", "idle_minutes", "idle_expired",
           "SignInThrottle", "Lock", "DEFAULT_HOSTS", "allowed_hosts", "check_headers", "THROTTLE", "ACCOUNTS", "retry_text"]

clock: Callable[[], float] = time.monotonic
"""Seconds on a monotonic clock; replaced in tests."""


# --------------------------------------------------------------------------------------------
# rights follow the account
# --------------------------------------------------------------------------------------------

class AccountCache:
    """The users file, read again only when it changes on disk (thread-safe).

    The key is the file's path, modification time (ns), size and inode, so an atomic
    replacement (:func:`intel.auth.save_users` writes a temporary file and renames it) is seen
    even within the same clock tick.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._accounts: dict[str, auth.Account] = {}

    def accounts(self, path: str | os.PathLike | None) -> dict[str, auth.Account]:
        """The accounts of the users file ``path`` (``{}`` for none or a missing file).

        Raises
        ------
        ValueError
            A malformed users file (plain sentence from :func:`intel.auth.load_users`).
        """
        if path is None:
            return {}
        p = Path(path)
        try:
            st = p.stat()
            key = (str(p), st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            key = (str(p), None, None, None)
        with self._lock:
            if key == self._key:
                return self._accounts
        accounts = auth.load_users(p) if key[1] is not None else {}
        with self._lock:
            self._key, self._accounts = key, accounts
        return accounts


ACCOUNTS = AccountCache()
"""The server process's cache of the users file."""


def credential_stamp(account: auth.Account | None) -> str:
    """A short fingerprint of how an account signs in (its password hash or OIDC identity).

    A session remembers it at sign-in; a different stamp later means the password was reset or
    the identity re-linked, and :func:`refresh` signs the session out. The hash itself never
    leaves the users file.
    """
    if account is None:
        return ""
    text = f"{account.password_hash or ''}|{account.oidc or ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def refresh(user: auth.User, accounts: Mapping[str, auth.Account],
            stamp: str | None = None) -> tuple[auth.User | None, str | None]:
    """The current rights of a signed-in session.

    Parameters
    ----------
    user : User
        The user the session signed in as.
    accounts : mapping of name to Account
        The users file as it is now.
    stamp : str, optional
        :func:`credential_stamp` of the account at sign-in; when given and different now, the
        session is signed out.

    Returns
    -------
    (User or None, str or None)
        The account's user as it is now (role, country, agency and display name from the file)
        and ``None``; or ``None`` and a plain sentence saying why the session is signed out.
    """
    acct = accounts.get(user.name)
    if acct is None:
        return None, "Your account no longer exists on this deployment; you have been signed out."
    if acct.disabled:
        return None, "Your account has been disabled; you have been signed out. Ask an administrator."
    if stamp is not None and stamp != credential_stamp(acct):
        return None, "The password of your account was changed; you have been signed out. Sign in again."
    return acct.user, None


# --------------------------------------------------------------------------------------------
# idle timeout
# --------------------------------------------------------------------------------------------

def idle_minutes(con=None) -> int:
    """The idle limit in minutes: setting ``session_idle_minutes`` (:func:`intel.settings.get`:
    environment, store, default). An invalid saved or environment value gives the default (the
    Admin page shows the error), so a bad value never disables the timeout."""
    try:
        return int(settings.get("session_idle_minutes", con))
    except ValueError:
        return int(settings.SETTINGS["session_idle_minutes"].default)


def idle_expired(last_run: float | None, now: float, minutes: float) -> bool:
    """Whether a session whose previous run was at ``last_run`` has been idle too long.

    Parameters
    ----------
    last_run, now : float
        Seconds on :data:`clock`; ``last_run`` ``None`` for a session's first run.
    minutes : float
        The idle limit (setting ``session_idle_minutes``), minutes; more than that is expired.
    """
    return last_run is not None and (now - last_run) > float(minutes) * 60.0


# --------------------------------------------------------------------------------------------
# throttled sign-in
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Lock:
    """A key that has just been locked.

    Attributes
    ----------
    key : tuple
        ``("name", user name)`` or ``("session", session token)``.
    locks : int
        How many times this key has been locked (1 for the first lock).
    seconds : float
        Length of this lock, seconds.
    failures : int
        Failed attempts counted on the key so far.
    """

    key: tuple
    locks: int
    seconds: float
    failures: int


@dataclass
class _Entry:
    failures: int = 0
    locks: int = 0
    until: float = 0.0
    touched: float = 0.0


class SignInThrottle:
    """Failed sign-ins per key, with locks of increasing length (thread-safe, no Streamlit).

    Parameters
    ----------
    threshold : int
        Failures before the first lock (5).
    base_seconds : float
        Length of the first lock (30 s); each later lock is twice the previous one.
    cap_seconds : float
        Longest lock (900 s, 15 min).
    forget_seconds : float
        A key with no attempt for this long after its lock ended is forgotten (1 h).
    max_entries : int
        Keys kept at most; the least recently used are dropped first.
    now : callable, optional
        Clock in seconds; defaults to :data:`clock` (read at each call, so tests may replace it).
    """

    def __init__(self, threshold: int = 5, base_seconds: float = 30.0, cap_seconds: float = 900.0,
                 forget_seconds: float = 3600.0, max_entries: int = 10_000, now: Callable[[], float] | None = None):
        self.threshold, self.base, self.cap = int(threshold), float(base_seconds), float(cap_seconds)
        self.forget, self.max_entries = float(forget_seconds), int(max_entries)
        self._now = now
        self._lock = threading.Lock()
        self._entries: dict[tuple, _Entry] = {}

    def _time(self) -> float:
        return (self._now or clock)()

    def _get(self, key: tuple, t: float) -> _Entry | None:
        e = self._entries.get(key)
        if e is not None and e.until <= t and t - max(e.until, e.touched) > self.forget:
            del self._entries[key]
            return None
        return e

    def wait(self, *keys: tuple) -> tuple[float, tuple | None]:
        """Seconds until the most locked of ``keys`` may try again (0 when none is locked), and that key."""
        t = self._time()
        best, which = 0.0, None
        with self._lock:
            for k in keys:
                e = self._get(k, t)
                if e is not None and e.until - t > best:
                    best, which = e.until - t, k
        return best, which

    def failure(self, *keys: tuple) -> list[Lock]:
        """Count a failed attempt on every key; the keys this failure locks (for one audit line each)."""
        t = self._time()
        out = []
        with self._lock:
            for k in keys:
                e = self._get(k, t)
                if e is None:
                    e = self._entries[k] = _Entry()
                e.failures += 1
                e.touched = t
                if e.failures >= self.threshold and e.until <= t:
                    e.locks += 1
                    seconds = min(self.cap, self.base * 2 ** (e.locks - 1))
                    e.until = t + seconds
                    out.append(Lock(k, e.locks, seconds, e.failures))
            if len(self._entries) > self.max_entries:
                excess = len(self._entries) - self.max_entries
                for k in sorted(self._entries, key=lambda k: self._entries[k].touched)[:excess]:
                    del self._entries[k]
        return out

    def success(self, *keys: tuple) -> int:
        """Clear the keys after a successful sign-in; the failures counted on the first key before it."""
        with self._lock:
            gone = [self._entries.pop(k, None) for k in keys]
        return gone[0].failures if gone and gone[0] is not None else 0

    def reset(self) -> None:
        """Forget every key (tests; a restart does the same)."""
        with self._lock:
            self._entries.clear()


THROTTLE = SignInThrottle()
"""The server process's sign-in throttle."""


def retry_text(seconds: float, wall_now: float | None = None) -> str:
    """``"in 30 seconds (at 14:05:30 UTC)"``: when a locked sign-in may be tried again."""
    import datetime as dt

    s = max(1, int(-(-seconds // 1)))
    at = dt.datetime.fromtimestamp((time.time() if wall_now is None else wall_now) + s, dt.timezone.utc)
    span = f"{s} seconds" if s < 120 else f"{-(-s // 60)} minutes"
    return f"in {span} (at {at:%H:%M:%S} UTC)"


# --------------------------------------------------------------------------------------------
# host and origin allow-list
# --------------------------------------------------------------------------------------------

DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
"""Host names always allowed (the loopback addresses), on any port."""


def _bare(host: str) -> str:
    h = host.strip().lower().rstrip(".")
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


def allowed_hosts(env: str | None = None) -> tuple[str, ...]:
    """The host names the dashboard answers to.

    Parameters
    ----------
    env : str, optional
        Comma-separated host names (no scheme, no port); defaults to ``INTEL_ALLOWED_HOSTS``.
        IPv6 addresses may be written with or without brackets.

    Returns
    -------
    tuple of str
        :data:`DEFAULT_HOSTS` then the operator's names, lower case, without duplicates.
    """
    text = os.environ.get("INTEL_ALLOWED_HOSTS", "") if env is None else env
    out = list(DEFAULT_HOSTS)
    for part in text.split(","):
        h = _bare(part)
        if h and h not in out:
            out.append(h)
    return tuple(out)


def _hostname(netloc: str) -> str | None:
    """The host name of a ``Host`` header value, or ``None`` when it is not a plain host[:port]."""
    try:
        parts = urlsplit("//" + netloc)
        _ = parts.port  # validates the port
    except ValueError:
        return None
    if (not parts.hostname or parts.username is not None or parts.password is not None or parts.path
            or parts.query or parts.fragment):
        return None
    return _bare(parts.hostname)


def check_headers(headers: Mapping[str, str], allowed: tuple[str, ...] | None = None) -> str | None:
    """Refuse a request from a host name the dashboard does not answer to.

    Parameters
    ----------
    headers : mapping
        The request's headers (``st.context.headers``); names compared without case.
    allowed : tuple of str, optional
        Host names allowed; defaults to :func:`allowed_hosts`.

    Returns
    -------
    str or None
        ``None`` when the request may go on; else a plain sentence for the page. An empty mapping
        (no request: an in-process test harness) is allowed, see the module overview.
    """
    h = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    if not h:
        return None
    allowed = allowed_hosts() if allowed is None else tuple(_bare(a) for a in allowed)
    hint = ("If you run this dashboard for others under another name, add that name to INTEL_ALLOWED_HOSTS "
            "(comma-separated) and restart it.")
    host = h.get("host")
    name = _hostname(host) if host else None
    if name is None or name not in allowed:
        return f"This dashboard does not answer to the address {str(host or '(none)')[:80]!r}. {hint}"
    origin = h.get("origin")
    if origin is not None:
        try:
            o = urlsplit(origin.strip())
            _ = o.port
            oname = _bare(o.hostname) if o.scheme in ("http", "https") and o.hostname else None
        except ValueError:
            oname = None
        if oname is None or oname not in allowed:
            return f"This dashboard does not accept requests from pages of {origin[:80]!r}. {hint}"
    return None
