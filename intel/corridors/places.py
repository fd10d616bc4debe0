"""Positions of flow end points: U.S. states, DC, territories and countries.

States, DC and territories sit at the representative point of their Natural Earth 1:10m admin-1
polygons (:func:`state_points`, codes in :data:`USPS`), countries at that of the store's
``countries`` table or of the GeoPackage's ``countries`` layer (:func:`country_points`); see
"State positions" in :mod:`intel.corridors`. The GeoPackage readings are cached
(``functools.lru_cache``) here and only here. The GeoPackage is
:data:`intel.config.NATURAL_EARTH_GPKG`.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from intel.config import NATURAL_EARTH_GPKG

USPS: dict[str, str] = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Florida": "FL", "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL",
    "Indiana": "IN", "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA",
    "Maine": "ME", "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR",
    "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD",
    "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA",
    "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    # territories
    "Puerto Rico": "PR", "Guam": "GU", "Virgin Islands": "VI", "American Samoa": "AS",
    "Northern Mariana Islands": "MP",
}
"""USPS two-letter codes of the 50 states, DC and the five inhabited territories, by name."""

TERRITORY_ADM0 = {"PR": "PRI", "GU": "GUM", "VI": "VIR", "AS": "ASM", "MP": "MNP"}
"""Natural Earth ``adm0_a3`` of each territory (its admin-1 polygons are unioned)."""

COUNTRY_PLACES = {"Canada": "CAN"}
"""ATF place names that are countries, coded ISO 3166-1 alpha-3."""


@functools.lru_cache(maxsize=4)
def state_points(gpkg: str | None = None) -> pd.DataFrame:
    """Representative points of U.S. states, DC and territories (see module notes).

    Parameters
    ----------
    gpkg : str, optional
        Natural Earth GeoPackage; default :data:`intel.config.NATURAL_EARTH_GPKG`.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (USPS), ``name``, ``latitude``, ``longitude`` (WGS84 degrees); one
        row per code found in the layer (American Samoa and the Northern Mariana Islands are
        included when present).

    Raises
    ------
    FileNotFoundError
        When the GeoPackage is missing.
    """
    import geopandas as gpd
    import shapely

    path = Path(gpkg or NATURAL_EARTH_GPKG)
    if not path.exists():
        raise FileNotFoundError(f"boundary file {path} not found")
    adm0 = ["USA", *TERRITORY_ADM0.values()]
    g = gpd.read_file(path, layer="states_provinces", columns=["adm0_a3", "name"],
                      where="adm0_a3 IN (%s)" % ", ".join(f"'{a}'" for a in adm0))
    rows = []
    names = {v: k for k, v in USPS.items()}
    for code, name in names.items():
        if code in TERRITORY_ADM0:
            part = g[g["adm0_a3"] == TERRITORY_ADM0[code]]
        else:
            part = g[(g["adm0_a3"] == "USA") & (g["name"] == name)]
        if part.empty:
            continue
        pt = shapely.union_all(part.geometry.values).representative_point()
        rows.append((code, name, float(pt.y), float(pt.x)))
    return pd.DataFrame(rows, columns=["code", "name", "latitude", "longitude"])


@functools.lru_cache(maxsize=4)
def gpkg_country_points(gpkg: str | None = None) -> pd.DataFrame:
    import geopandas as gpd

    path = Path(gpkg or NATURAL_EARTH_GPKG)
    g = gpd.read_file(path, layer="countries", columns=["ISO_A3", "NAME"])
    g = g[g["ISO_A3"].str.len() == 3]
    g = g[g["ISO_A3"] != "-99"]
    pts = g.geometry.representative_point()
    return pd.DataFrame({"iso3": g["ISO_A3"].values, "name": g["NAME"].values,
                         "latitude": pts.y.values, "longitude": pts.x.values}).drop_duplicates("iso3")


def country_points(con=None, gpkg: str | None = None) -> pd.DataFrame:
    """Representative points of countries, by ISO3.

    Uses the store's ``countries`` table (geometry WKB, EPSG:4326) when it has rows, else the
    ``countries`` layer of the Natural Earth GeoPackage (features without an ISO3 code,
    ``-99``, are left out there).

    Returns
    -------
    pandas.DataFrame
        Columns ``iso3``, ``name``, ``latitude``, ``longitude`` (WGS84 degrees).
    """
    if con is not None:
        try:
            df = con.execute(
                "SELECT iso3, name, geom_wkb FROM countries WHERE geom_wkb IS NOT NULL").df()
        except Exception:
            df = pd.DataFrame()
        if len(df):
            import shapely

            geoms = shapely.from_wkb(df["geom_wkb"].map(bytes).tolist())
            pts = shapely.point_on_surface(geoms)
            return pd.DataFrame({"iso3": df["iso3"], "name": df["name"],
                                 "latitude": shapely.get_y(pts), "longitude": shapely.get_x(pts)})
    return gpkg_country_points(str(gpkg) if gpkg else None).copy()
