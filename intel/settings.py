"""Named settings: one table with a default, a valid range (or choices) and help text for each.

Pages and CLI verbs read the same settings. A value saved in the store's ``settings`` table
(by the Admin page or ``intel settings set``) overrides the default; environment variables
``INTEL_<NAME>`` (upper case) override both, for deployments. Every value is checked against
its setting's range or choices where it enters (:func:`put`, an environment variable, a value
read back from the store), so a bad value is refused with a plain sentence and never used
silently. The H3 resolution settings take their ranges from :data:`intel.config.RESOLUTIONS`.
Every entry is documented here and tested in ``tests/test_settings.py``.

The data folder is not a setting: it holds the store the settings live in, so it is decided by
:data:`intel.config.DATA_DIR` (``INTEL_DATA``).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

from intel.config import DEFAULT_RESOLUTION, RESOLUTIONS
from intel.store import audit, replace_row

__all__ = ["Setting", "SETTINGS", "bounds", "get", "put", "reset", "source", "env_name"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One named setting.

    Attributes
    ----------
    name : str
        Key, lower case; the environment override is ``INTEL_<NAME>``.
    default : int, float, bool or str
        Value when neither the environment nor the store says otherwise; its type is the type
        of every value of the setting.
    help : str
        One sentence for pages and ``intel settings``.
    unit : str
        Unit of the value (km, days, cells ...), empty when it has none.
    lo, hi : int or float, optional
        Inclusive bounds of a number.
    choices : tuple, optional
        The values allowed, for settings that take one of a few.
    """

    name: str
    default: Any
    help: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None

    @property
    def kind(self) -> type:
        """Type of the values: ``bool``, ``int``, ``float`` or ``str``."""
        return type(self.default)

    def range_text(self) -> str:
        """The valid values in words, e.g. ``"3-9"``, ``"week, month, quarter"`` or ``"one line of text"``."""
        if self.choices is not None:
            return ", ".join(_num(c) for c in self.choices)
        if self.lo is not None and self.hi is not None:
            return f"{_num(self.lo)}-{_num(self.hi)}"
        if self.kind is bool:
            return "true, false"
        return "one line of text"

    def check(self, value: Any) -> Any:
        """The value converted to the setting's type and checked against its range or choices.

        Parameters
        ----------
        value : any
            A value of the setting's type, or its text (``"7"``, ``"0.05"``, ``"true"``), as typed
            on a command line or in an environment variable.

        Returns
        -------
        int, float, bool or str
            The value in the setting's type.

        Raises
        ------
        ValueError
            With a plain sentence naming the setting and the valid values.
        """
        v = self._convert(value)
        if self.choices is not None and v not in self.choices:
            raise ValueError(f"{self.name} must be one of {self.range_text()}, not {_show(v)}.")
        if self.lo is not None and v < self.lo or self.hi is not None and v > self.hi:
            unit = f" {self.unit}" if self.unit else ""
            raise ValueError(f"{self.name} must be from {_num(self.lo)} to {_num(self.hi)}{unit}, not {_num(v)}.")
        return v

    def _convert(self, value: Any) -> Any:
        kind, text = self.kind, isinstance(value, str)
        bad = ValueError(f"{self.name} must be {_KIND_WORDS[kind]}, not {_show(value)}.")
        if kind is str:
            # free text (no choices) may be empty: "none", e.g. no classification line
            if not text or "\n" in value or "\r" in value or (not value.strip() and self.choices is not None):
                raise bad
            return value.strip()
        if kind is bool:
            if isinstance(value, bool):
                return value
            if text and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            raise bad
        if isinstance(value, bool):
            raise bad
        try:
            num = float(value.strip()) if text else float(value)
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(num):
            raise bad
        if kind is int:
            if num != int(num):
                raise bad
            return int(num)
        return num


_KIND_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "one line of text"}


def _num(v: Any) -> str:
    """A bound or choice as written by hand: 50, 0.05, 1000000, month."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _show(v: Any) -> str:
    """A refused value, quoted when it is text."""
    return repr(v) if isinstance(v, str) else _num(v)


def _res(name: str, use: str, help: str) -> Setting:
    lo, hi = RESOLUTIONS[use]
    return Setting(name, DEFAULT_RESOLUTION[use], help, "H3 resolution", lo, hi)


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    _res("map_resolution", "map", "Default H3 resolution of the Explore map and the briefing map."),
    _res("hotspot_resolution", "hotspot", "Default H3 resolution for Getis-Ord Gi* hot spots and emerging hot spots."),
    Setting("hotspot_k", 1, "Neighbourhood of Gi*: k-ring distance in cells (1 = the 6 touching cells).", "cells", 1, 3),
    Setting("hotspot_method", "permutation", "How Gi* p-values are computed: conditional permutations (holds on "
            "sparse counts) or the normal approximation (optimistic on sparse counts).", "",
            choices=("permutation", "normal")),
    Setting("hotspot_permutations", 9999, "Permutations for Gi* p-values; the smallest p-value is 2/(n+1), so "
            "false discovery rate control over many cells needs thousands.", "permutations", 99, 99999),
    Setting("significance", 0.05, "Significance level (alpha) for Gi* and the false discovery rate.", "",
            choices=(0.01, 0.05, 0.1)),
    Setting("fdr", True, "Correct Gi* p-values for multiple testing (Benjamini-Hochberg false discovery rate)."),
    Setting("emerging_step", "month", "Time step of the emerging hot spot space-time cube (week, month, quarter).", "",
            choices=("week", "month", "quarter")),
    Setting("border_zone_km", 50.0, "Width of the border zone used by border filters and bypass search.", "km", 1.0, 200.0),
    Setting("bypass_min_km", 10.0, "Minimum distance from an official crossing for a bypass-point candidate.", "km",
            0.0, 200.0),
    _res("corridor_resolution", "corridor", "H3 resolution of corridor density."),
    Setting("flow_min_weight", 50.0, "Flows lighter than this are not drawn (cut-off for small flows).", "firearms",
            0.0, 1_000_000.0),
    Setting("planner_targets", 10, "Number of targets the planner proposes.", "targets", 1, 100),
    Setting("planner_min_spacing_km", 5.0, "Minimum distance between two proposed targets.", "km", 0.0, 500.0),
    Setting("decay_half_life_days", 180.0, "Half-life of the time decay of recent intensity in the risk score.", "days",
            7.0, 3650.0),
    Setting("marking", "", "Classification line printed before the records' releasability (after //) at the top "
            "and bottom of every PDF page (briefing, target package) and at the head of the PDF's file name; empty: "
            "the releasability of the records alone, e.g. UNRESTRICTED for public data."),
    Setting("dedup_distance_km", 1.0, "Two agency records closer than this (and within the date window) may be one "
            "seizure.", "km", 0.0, 50.0),
    Setting("dedup_window_days", 2, "Date window for probable duplicates between agencies.", "days", 0, 30),
    Setting("session_idle_minutes", 30, "A signed-in session with no activity for longer than this is signed out "
            "(shared deployments only).", "minutes", 1, 1440),
]}


def _setting(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"there is no setting named {name!r}; the settings are {', '.join(SETTINGS)}") from None


def bounds(name: str) -> tuple:
    """The valid range ``(lo, hi)`` of a numeric setting, both included, in the setting's unit and kind.

    Pages bound their widgets with it, so a widget and ``intel settings set`` accept the same values.

    Raises
    ------
    KeyError
        No setting of that name.
    ValueError
        The setting has no range (text, true/false or a choice).
    """
    s = _setting(name)
    if s.lo is None or s.hi is None:
        raise ValueError(f"the setting {name} has no numeric range")
    return s.kind(s.lo), s.kind(s.hi)


def env_name(name: str) -> str:
    """Name of the environment variable that overrides setting ``name``."""
    return f"INTEL_{name.upper()}"


def _stored(name: str, con) -> tuple[bool, Any]:
    if con is None:
        return False, None
    try:
        row = con.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
    except Exception:  # noqa: BLE001 - a store without the table (older file, read-only) has no saved values
        row = None
    return (row is not None), (json.loads(row[0]) if row is not None else None)


def source(name: str, con=None) -> str:
    """Where the value of ``name`` comes from: ``"env"``, ``"store"`` or ``"default"``.

    Raises
    ------
    KeyError
        For a name that is not in :data:`SETTINGS`.
    """
    _setting(name)
    if os.environ.get(env_name(name)) is not None:
        return "env"
    return "store" if _stored(name, con)[0] else "default"


def get(name: str, con=None) -> Any:
    """Value of setting ``name``: environment, then store, then default.

    Parameters
    ----------
    name : str
        Key of :data:`SETTINGS`.
    con : duckdb connection, optional
        The store whose saved values are read; without it only the environment and defaults.

    Raises
    ------
    KeyError
        For a name that is not in :data:`SETTINGS`.
    ValueError
        When ``INTEL_<NAME>`` or the saved value is not a valid value of the setting (the
        sentence names the variable or ``intel settings reset``), rather than using it silently.
    """
    s = _setting(name)
    env = os.environ.get(env_name(name))
    if env is not None:
        try:
            return s.check(env)
        except ValueError as e:
            raise ValueError(f"the environment variable {env_name(name)}={env!r} is not valid: {e}") from None
    found, value = _stored(name, con)
    if found:
        try:
            return s.check(value)
        except ValueError as e:
            raise ValueError(f"the value saved in the store for {name} is not valid ({e}); "
                             f"set it again or run `intel settings reset {name}`") from None
    return s.default


def put(con, name: str, value: Any, user: str | None = None) -> Any:
    """Check a value, save it in the store and record the change in the audit log.

    Parameters
    ----------
    con : duckdb connection
        A writable store.
    name : str
        Key of :data:`SETTINGS`.
    value : any
        The value or its text (see :meth:`Setting.check`).
    user : str, optional
        Who made the change (the audit log's user).

    Returns
    -------
    int, float, bool or str
        The value saved, in the setting's type.

    Raises
    ------
    KeyError
        For a name that is not in :data:`SETTINGS`.
    ValueError
        For a value outside the setting's range or choices; nothing is saved.
    """
    v = _setting(name).check(value)
    old_found, old = _stored(name, con)
    replace_row(con, "settings", [name, json.dumps(v)])
    audit(con, "settings.change", {"name": name, "value": v, "previous": old if old_found else None}, user)
    return v


def reset(con, name: str, user: str | None = None) -> bool:
    """Remove the saved value of ``name`` (back to the default) and record it in the audit log.

    Returns
    -------
    bool
        Whether a saved value was removed.

    Raises
    ------
    KeyError
        For a name that is not in :data:`SETTINGS`.
    """
    _setting(name)
    found, old = _stored(name, con)
    if not found:
        return False
    con.execute("DELETE FROM settings WHERE name = ?", [name])
    audit(con, "settings.reset", {"name": name, "previous": old}, user)
    return True
