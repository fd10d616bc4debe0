"""What went wrong with the store, in one sentence: locks held by another process, full disks.

Part of :mod:`intel.store`, used by the CLI's error path and the pages. DuckDB's "Conflicting lock
is held in <program> (PID n)" is read by :func:`lock_holder`; :func:`lock_message` and
:func:`fault_message` turn a lock, a full disk, a corrupt or unreadable file into a sentence
saying what holds or broke the store and what to do.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class LockHolder:
    """The process that holds a store file, as named by DuckDB's lock error.

    Attributes
    ----------
    pid : int or None
        Process id DuckDB names (``None`` when the message has none).
    program : str or None
        The program DuckDB names (e.g. ``/usr/bin/python3.11``).
    command : str or None
        The holder's command line from ``/proc/<pid>/cmdline`` (Linux), arguments joined by
        spaces, an argument of several lines or over 80 characters shown as ``...``; ``None`` when it cannot be read (another OS, another user's process, ended).
    """

    pid: int | None
    program: str | None
    command: str | None

    @property
    def is_dashboard(self) -> bool:
        """True when the command line is the dashboard's (``intel serve`` or ``streamlit run``)."""
        text = self.command or ""
        return "streamlit" in text or bool(re.search(r"\bintel(\.cli)?\b.*\bserve\b", text))

    def describe(self) -> str:
        """The holder in a few words: ``the dashboard (PID 123: streamlit run app.py ...)``."""
        what = "the dashboard" if self.is_dashboard else "another process"
        how = self.command or self.program
        if self.pid is None:
            return what if how is None else f"{what} ({how})"
        return f"{what} (PID {self.pid}" + (f": {_shorten(how)})" if how else ")")


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    """True when ``exc`` is DuckDB's error for a store file held by another process."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> LockHolder | None:
    """Which process holds the store, from DuckDB's lock error.

    DuckDB (1.5) words it ``Could not set lock on file "<path>": Conflicting lock is held in
    <program> (PID <n>)``; the full command line is then read from ``/proc/<n>/cmdline`` where
    that file exists and is readable.

    Parameters
    ----------
    exc : Exception
        The error raised by ``duckdb.connect``.

    Returns
    -------
    LockHolder or None
        ``None`` when ``exc`` is not a lock error; a holder with ``pid`` None when the message
        names no PID.
    """
    if not is_lock_error(exc):
        return None
    m = _LOCK_RE.search(str(exc))
    if not m:
        return LockHolder(None, None, None)
    pid = int(m.group("pid"))
    command = None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        # a script passed inline (python -c "...") would drown the rest: shown as "..."
        command = " ".join("..." if "\n" in a or len(a) > 80 else a for a in args) or None
    except OSError:
        pass
    return LockHolder(pid, m.group("program").strip() or None, command)


def lock_message(path: str | os.PathLike, exc: BaseException) -> str:
    """One plain sentence for a store that another process holds: what holds it and what to do.

    Parameters
    ----------
    path : path
        The store file that could not be opened.
    exc : Exception
        DuckDB's lock error (see :func:`lock_holder`).

    Returns
    -------
    str
        Names the holding process (PID and command line when they can be read), says that DuckDB
        lets only one process open a store file while it writes, and what to do: stop that process
        (the dashboard) and run the command again, use the dashboard's own pages (Import, Data
        quality, Admin) while it runs, or use a DuckLake store (``INTEL_STORE``) for concurrent use.
    """
    holder = lock_holder(exc) or LockHolder(None, None, None)
    who = holder.describe()
    stop = (f"stop the dashboard (kill {holder.pid}, or Ctrl+C where `intel serve` runs)" if holder.is_dashboard
            and holder.pid else f"stop it{f' (PID {holder.pid})' if holder.pid else ''}")
    return (f"the store {path} is in use by another process: {who} holds it. DuckDB lets one process "
            "open a store file while it writes, and no other process can open it meanwhile, not even to "
            f"read. To go on: {stop} and run the command again; or, while the dashboard runs, import and "
            "decide on its Import and Data quality pages; or, for several processes at once, use a DuckLake "
            "store (INTEL_STORE, see the README, 'Running the dashboard and the CLI at the same time').")


def fault_message(exc: BaseException, path: str | os.PathLike | None = None) -> str:
    """One plain sentence for a store that cannot be opened or written: held by another process,
    damaged, read-only, or on a full disk.

    Parameters
    ----------
    exc : Exception
        What DuckDB (``duckdb.IOException`` and other ``duckdb.Error``) or the OS (``OSError``)
        raised while opening or writing the store.
    path : path, optional
        The store, named in the sentence.

    Returns
    -------
    str
        A lock: :func:`lock_message`. No space left on the device: the disk is full, nothing of
        the change was written. Permission denied, a read-only file system: the store cannot be
        written. Not a DuckDB file, a corrupt block, a file cut short: the store is damaged, and
        how to recover it. Otherwise: the store cannot be used, with DuckDB's text. DuckDB's own
        text is kept in brackets at the end.
    """
    import errno

    text = " ".join(str(exc).split()).removeprefix("IO Error: ")
    low = text.lower()
    code = getattr(exc, "errno", None)
    where = f"the store {path}" if path else "the store"
    if is_lock_error(exc):
        m = re.search(r'file "([^"]*)"', text)
        return lock_message(path or (m.group(1) if m else ""), exc)
    if code == errno.ENOSPC or "no space left" in low or "disk is full" in low or "disk full" in low:
        return (f"the disk holding {where} is full: nothing of this change was written (it was rolled back). "
                f"Free some space and run it again. ({text})")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS) or any(
            w in low for w in ("permission denied", "read-only file system", "read-only", "operation not permitted")):
        return (f"{where} cannot be written: the file or its folder is read-only for this user. Give this user "
                f"write access, or use a copy, and run it again. ({text})")
    if any(w in low for w in ("not a valid duckdb database", "corrupt", "checksum", "could not read enough bytes",
                              "invalid wal", "serialization")):
        return (f"{where} is damaged or is not a store of this program, so it cannot be opened. Restore it from a "
                "backup (`intel build --rebuild` keeps the old file beside the new one as <name>.backup-<time>"
                f".duckdb), or build a new one with `intel build`. ({text})")
    return f"{where} cannot be used: {text}"
