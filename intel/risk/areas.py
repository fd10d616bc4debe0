"""Areas of operation: the land of the places with records, the data's extent, countries,
admin-1 units or a box, and the presets.

An :class:`Area` is a small frozen (hashable) value: ``kind`` (``data``, ``extent``,
``countries``, ``admin1`` or ``bbox``; the study-area modes of :mod:`intel.studyarea`),
``codes`` (ISO3 codes or ``admin1.admin1_id`` values), ``bbox`` (W, S, E, N in WGS84 degrees),
``sources`` (only the records of these sources) and a display ``label``. :func:`area_countries`,
:func:`area_admin1` and :func:`area_bbox` build and check them (:func:`parse_bbox` reads the
text form); :data:`PRESETS` holds KAFO, Trigger (:data:`TRIGGER_DEFAULT`) and the U.S.
Southwest border (:data:`US_SW_BBOX`), :func:`preset_area` returns one. Against the store,
:func:`area_shape` gives the area's geometry, :func:`area_country_codes` the countries it
covers and :func:`country_statistics` the UNODC country statistics held for them.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import shapely

from intel.risk.errors import RiskError
from intel.studyarea import AREA_MODES
from intel.studyarea import area_geometry

AREA_KINDS = AREA_MODES


@dataclass(frozen=True)
class Area:
    """An area of operation (hashable, so the app can cache on it).

    Attributes
    ----------
    kind : {'data', 'extent', 'countries', 'admin1', 'bbox'}
        ``data`` (the default) is the land of the places with records (per country, the hull
        of its occupied cells cut to its land: :func:`intel.studyarea.data_pieces`); ``extent``
        is one convex hull of the occupied cells (may cross sea).
    codes : tuple of str
        ISO 3166-1 alpha-3 codes (``countries``) or ``admin1.admin1_id`` values (``admin1``).
    bbox : (W, S, E, N) or None
        WGS84 degrees (``bbox``); W < E, no antimeridian crossing.
    label : str
        Display name (e.g. ``KAFO``).
    sources : tuple of str
        Only the records of these sources (``events.source``); empty: every source.
    """

    kind: str = "data"
    codes: tuple = ()
    bbox: tuple | None = None
    label: str = ""
    sources: tuple = ()

    def describe(self) -> str:
        """Short description for titles, the CLI and the PDF."""
        if self.kind == "countries":
            body = ", ".join(self.codes)
        elif self.kind == "admin1":
            body = f"{len(self.codes)} admin-1 unit{'s' if len(self.codes) != 1 else ''}"
        elif self.kind == "bbox":
            body = "box W,S,E,N = " + ",".join(f"{v:g}" for v in self.bbox)
        elif self.kind == "extent":
            body = "data extent"
        else:
            body = "land of the places with records"
        if self.sources:
            body += f", source{'s' if len(self.sources) != 1 else ''} {', '.join(self.sources)}"
        return f"{self.label} ({body})" if self.label else body


def area_countries(codes, label: str = "") -> Area:
    """Area of a list of ISO3 codes (upper-cased, blanks dropped)."""
    codes = tuple(dict.fromkeys(str(c).strip().upper() for c in codes if str(c).strip()))
    if not codes:
        raise ValueError("choose at least one country (ISO 3166-1 alpha-3 code)")
    bad = [c for c in codes if len(c) != 3 or not c.isalpha()]
    if bad:
        raise ValueError(f"not ISO 3166-1 alpha-3 codes: {', '.join(bad)}")
    return Area("countries", codes, None, label)


def area_admin1(ids, label: str = "") -> Area:
    """Area of a list of admin-1 ids (``admin1.admin1_id``, e.g. ``USA-03521``)."""
    ids = tuple(dict.fromkeys(str(c).strip() for c in ids if str(c).strip()))
    if not ids:
        raise ValueError("choose at least one admin-1 unit")
    return Area("admin1", ids, None, label)


def parse_bbox(text) -> tuple[float, float, float, float]:
    """``"W,S,E,N"`` (degrees WGS84) to a checked tuple.

    Raises
    ------
    ValueError
        Not four numbers, out of range, W >= E or S >= N.
    """
    if isinstance(text, (tuple, list)):
        parts = list(text)
    else:
        parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    if len(parts) != 4:
        raise ValueError("a box needs four numbers W,S,E,N in degrees, e.g. -117.5,25.5,-96.5,33.2")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ValueError("the box W,S,E,N must be four numbers in degrees") from None
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise ValueError("box longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
    if not (w < e and s < n):
        raise ValueError("the box must have W < E and S < N (boxes across the antimeridian are not supported)")
    return (w, s, e, n)


def area_bbox(bbox, label: str = "") -> Area:
    """Area of a box W,S,E,N (degrees WGS84; text or four numbers)."""
    return Area("bbox", (), parse_bbox(bbox), label)


TRIGGER_DEFAULT = ("ARG", "BOL", "BRA", "CHL", "COL", "CRI", "ECU", "SLV", "GTM", "HND", "MEX", "PAN",
                   "PRY", "PER", "URY")
"""Default Trigger country list (editable on the page): INTERPOL Operation Trigger IX (2023)
gathered 15 Latin American countries around the Foz do Iguacu tri-border hub."""

US_SW_BBOX = (-117.5, 25.5, -96.5, 33.2)
"""Box W,S,E,N (degrees) of the U.S. Southwest border: San Diego to Brownsville, up to the
Tucson, Yuma and El Centro sectors; Los Angeles, Phoenix and Houston lie outside."""

PRESETS = {
    "KAFO": {"label": "KAFO", "area": area_countries(("BFA", "CIV", "MLI"), "KAFO"),
             "note": "INTERPOL Operation KAFO: land border points, bypass points and trafficking hot spots "
                     "of Burkina Faso, Cote d'Ivoire and Mali."},
    "TRIGGER": {"label": "Trigger", "area": area_countries(TRIGGER_DEFAULT, "Trigger"),
                "note": "INTERPOL Operation Trigger IX (2023): 15 Latin American countries around the "
                        "Foz do Iguacu tri-border hub (Argentina, Brazil, Paraguay). The list is editable."},
    "US_SW": {"label": "U.S. Southwest border", "area": area_bbox(US_SW_BBOX, "U.S. Southwest border"),
              "note": "U.S.-Mexico border from San Diego to Brownsville (CBP Southwest Border field offices "
                      "and Border Patrol sectors)."},
}
"""Preset areas of operation: ``{key: {'label', 'area', 'note'}}``."""


def preset_area(key: str, codes=None) -> Area:
    """Area of preset ``key`` (``KAFO``, ``TRIGGER``, ``US_SW``); ``codes`` replaces the Trigger list."""
    k = str(key).upper().replace("-", "_").replace(" ", "_")
    if k not in PRESETS:
        raise ValueError(f"unknown preset {key!r}; use one of {', '.join(PRESETS)}")
    if k == "TRIGGER" and codes:
        return area_countries(codes, "Trigger")
    return PRESETS[k]["area"]


def area_shape(con, area: Area | None):
    """Shapely geometry (lon-lat degrees) of an area, or ``None`` for the data extent.

    Raises
    ------
    RiskError
        No boundary was found for the given codes.
    """
    if area is None or area.kind in ("data", "extent"):
        return None
    if area.kind == "bbox":
        return shapely.box(*area.bbox)
    if area.kind in ("countries", "admin1"):
        geom, _ = area_geometry(con, area.kind, area.codes)
        if geom is None:
            what = "countries" if area.kind == "countries" else "admin-1 units"
            raise RiskError(f"No boundary was found in the store for the {what} {', '.join(area.codes)}.")
        return geom
    raise ValueError(f"area kind must be one of {AREA_KINDS}")


def area_country_codes(con, area: Area | None) -> list[str]:
    """ISO3 codes of the countries an area covers (for boxes: countries whose polygon meets the box)."""
    if area is None or area.kind in ("data", "extent"):
        return []
    if area.kind == "countries":
        return list(area.codes)
    if area.kind == "admin1":
        ph = ", ".join("?" for _ in area.codes)
        rows = con.execute(f"SELECT DISTINCT country_iso3 FROM admin1 WHERE admin1_id IN ({ph}) ORDER BY 1",
                           list(area.codes)).fetchall()
        return [r[0] for r in rows if r[0]]
    w, s, e, n = area.bbox
    rows = con.execute("SELECT iso3, geom_wkb FROM countries WHERE max_lon >= ? AND min_lon <= ? "
                       "AND max_lat >= ? AND min_lat <= ? ORDER BY iso3", [w, e, s, n]).fetchall()
    box = shapely.box(w, s, e, n)
    return [iso for iso, g in rows if g is not None and shapely.from_wkb(bytes(g)).intersects(box)]


def country_statistics(con, iso3s) -> pd.DataFrame:
    """What the store holds per country besides points: UNODC country statistics.

    Returns
    -------
    pandas.DataFrame
        One row per requested ISO3 code: ``iso3``, ``name``, ``stat_rows``, ``indicators``,
        ``first_year``, ``last_year`` (0 / NaN when the country has none).
    """
    iso3s = [str(c) for c in iso3s]
    if not iso3s:
        return pd.DataFrame(columns=["iso3", "name", "stat_rows", "indicators", "first_year", "last_year"])
    ph = ", ".join("?" for _ in iso3s)
    stats = con.execute(f"""SELECT iso3, count(*) AS stat_rows, count(DISTINCT indicator) AS indicators,
                                   min(year) AS first_year, max(year) AS last_year
                            FROM country_stats WHERE iso3 IN ({ph}) GROUP BY iso3""", iso3s).df()
    names = con.execute(f"SELECT iso3, name FROM countries WHERE iso3 IN ({ph})", iso3s).df()
    out = pd.DataFrame({"iso3": iso3s}).merge(names, on="iso3", how="left").merge(stats, on="iso3", how="left")
    out["name"] = out["name"].fillna(out["iso3"])
    out["stat_rows"] = out["stat_rows"].fillna(0).astype(int)
    out["indicators"] = out["indicators"].fillna(0).astype(int)
    return out
