"""Plain-sentence failures of the planner: why an area cannot be ranked.

Planners must be told, in one sentence, why no ranking is shown. :class:`RiskError` is the
base (a :class:`ValueError`); :class:`NoPointData` says the area holds no point-level record
at all and carries the UNODC country statistics that *are* available
(:func:`no_point_sentence` writes the sentence); :class:`TooCoarse` says the records exist but
are located too coarsely for the chosen H3 resolution and names the finest resolution that can
use them (:func:`finest_resolution`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from intel.hexbin import PRECISION_KM, UNKNOWN_PRECISION_KM, finest_usable_resolution

if TYPE_CHECKING:
    from intel.risk.areas import Area

class RiskError(ValueError):
    """The ranking cannot be computed; the message is one plain sentence for the planner."""


class NoPointData(RiskError):
    """The area holds no point-level records: nothing can be ranked.

    Attributes
    ----------
    area : Area
    available : pandas.DataFrame
        :func:`country_statistics` of the countries the area covers (what *is* available).
    """

    def __init__(self, message: str, area: Area | None = None, available: pd.DataFrame | None = None):
        super().__init__(message)
        self.area = area
        self.available = available if available is not None else pd.DataFrame()


class TooCoarse(RiskError):
    """Records exist in the area but every one is too coarse for the resolution.

    Attributes
    ----------
    finest_res : int or None
        The finest H3 resolution at which the records can be used.
    """

    def __init__(self, message: str, finest_res: int | None = None):
        super().__init__(message)
        self.finest_res = finest_res


def join_words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def no_point_sentence(area: Area | None, available: pd.DataFrame) -> str:
    """The plain sentence of :class:`NoPointData`, naming the country statistics that exist."""
    name = area.describe() if area is not None else "The chosen area"
    have = available[available["stat_rows"] > 0]
    lack = available[available["stat_rows"] == 0]
    parts = [f"{name} holds no point-level records in the store, so there is nothing to rank here: no public "
             "seizure register of this area is bundled (none was found); import an agency export on the Import "
             "page to rank it."]
    if len(available):
        what = []
        if len(have):
            what.append("UNODC country statistics (Illicit Arms Flows Questionnaire) for " + join_words(
                [f"{r.name} ({r.iso3}, {int(r.first_year)}-{int(r.last_year)})" for r in have.itertuples()]))
        if len(lack):
            what.append("nothing for " + join_words([f"{r.name} ({r.iso3})" for r in lack.itertuples()]))
        parts.append("What is available: " + "; ".join(what) + ".")
        if len(have):
            parts.append("See the Trends and briefing page for the country statistics.")
    return " ".join(parts)


def finest_resolution(precision: str) -> int | None:
    """Finest H3 resolution (0-:data:`intel.config.FINE_RES`) at which records of ``precision``
    without a radius of their own are usable (class radius, :data:`intel.hexbin.PRECISION_KM`)."""
    return finest_usable_resolution(PRECISION_KM.get(precision, UNKNOWN_PRECISION_KM))
