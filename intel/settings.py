"""Named settings: one table with a default and help text for each.

Pages and CLI verbs read the same settings. A value saved in the store's ``settings`` table
(by the Admin page or ``intel`` commands) overrides the default; environment variables
``INTEL_<NAME>`` (upper case) override both, for deployments. Every entry is documented here
and tested in ``tests/test_settings.py``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    unit: str = ""


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("map_resolution", 7, "Default H3 resolution of the Explore map (3-9).", "H3 resolution"),
    Setting("hotspot_resolution", 8, "Default H3 resolution for Getis-Ord Gi* hot spots.", "H3 resolution"),
    Setting("hotspot_k", 1, "Neighbourhood of Gi*: k-ring distance in cells (1 = the 6 touching cells).", "cells"),
    Setting("significance", 0.05, "Significance level (alpha) for Gi* and the false discovery rate.", ""),
    Setting("fdr", True, "Correct Gi* p-values for multiple testing (Benjamini-Hochberg false discovery rate).", ""),
    Setting("emerging_step", "month", "Time step of the emerging hot spot space-time cube (week, month, quarter).", ""),
    Setting("border_zone_km", 50.0, "Width of the border zone used by border filters and bypass search.", "km"),
    Setting("bypass_min_km", 10.0, "Minimum distance from an official crossing for a bypass-point candidate.", "km"),
    Setting("corridor_resolution", 5, "H3 resolution of corridor density.", "H3 resolution"),
    Setting("flow_min_weight", 50.0, "Flows lighter than this are not drawn (cut-off for small flows).", "firearms"),
    Setting("planner_targets", 10, "Number of targets the planner proposes.", "targets"),
    Setting("planner_min_spacing_km", 5.0, "Minimum distance between two proposed targets.", "km"),
    Setting("decay_half_life_days", 180.0, "Half-life of the time decay of recent intensity in the risk score.", "days"),
    Setting("marking", "RESTRICTED", "Marking line printed at top and bottom of every briefing page and export.", ""),
    Setting("dedup_distance_km", 1.0, "Two agency records closer than this (and within the date window) may be one seizure.", "km"),
    Setting("dedup_window_days", 2, "Date window for probable duplicates between agencies.", "days"),
    Setting("data_path", "data", "Folder holding the bundled sources and the default store.", ""),
]}


def get(name: str, con=None) -> Any:
    """Value of setting ``name``: environment, then store, then default.

    Raises
    ------
    KeyError
        For a name that is not in :data:`SETTINGS`.
    """
    s = SETTINGS[name]
    env = os.environ.get(f"INTEL_{name.upper()}")
    if env is not None:
        return type(s.default)(json.loads(env)) if not isinstance(s.default, str) else env
    if con is not None:
        try:
            row = con.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
        except Exception:
            row = None
        if row is not None:
            return json.loads(row[0])
    return s.default


def put(con, name: str, value: Any, user: str | None = None) -> None:
    """Save a setting in the store and record the change in the audit log."""
    from intel.store import audit

    if name not in SETTINGS:
        raise KeyError(name)
    con.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [name, json.dumps(value)])
    audit(con, "settings.change", {"name": name, "value": value}, user)
