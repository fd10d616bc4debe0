"""Gazetteers of the bundled registers: where a coded or named place is, and how far its
record may be from that point.

A register located to a municipality, a province or an area of responsibility gives a place,
not a point. Its gazetteer row gives a reference point (the publisher's, or a point inside
the polygon) and ``uncertainty_km``, the radius of the place's own area: the radius of the
circle of equal area, ``sqrt(area / pi)``. That radius travels with every record
(``events.uncertainty_km``) and decides the H3 resolutions at which the record may be binned
(:func:`intel.hexbin.usable_sql`).

Areas are geodesic, on the WGS84 ellipsoid (:func:`geodesic_area_km2`), of the Natural Earth
1:10m admin-1 polygons bundled in ``data/sources/boundaries`` (generalised: about a third of
the vertices, so areas are within a few per cent).

The functions below rebuild the gazetteer CSVs in ``data/gazetteers`` from the bundled
sources; :func:`write_gazetteers` writes them all. The committed CSVs are their output (the
tests check that they agree), so the numbers can be traced and reproduced.
"""
from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from intel.config import GAZETTEERS_DIR, NATURAL_EARTH_GPKG

from intel.config import SOURCES_DIR

DIVIPOLA_SOURCE = SOURCES_DIR / "latam" / "colombia" / "colombia_divipola_municipalities_2025-02-17.csv"
"""DANE's DIVIPOLA export as published (the gazetteer is built from it)."""
ECUADOR_SOURCE = SOURCES_DIR / "latam" / "ecuador" / "mdi_armasilicitas_pm_2023_enero_noviembre.csv"


def geodesic_area_km2(geoms) -> np.ndarray:
    """Geodesic area in km2 of (multi)polygons in WGS84 degrees (pyproj ``Geod``, WGS84
    ellipsoid).

    Parameters
    ----------
    geoms : iterable of shapely geometries, EPSG:4326 (longitude, latitude degrees)

    Returns
    -------
    numpy.ndarray of float
        km2; NaN for a missing or empty geometry.
    """
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    out = []
    for g in geoms:
        if g is None or g.is_empty:
            out.append(np.nan)
            continue
        a, _ = geod.geometry_area_perimeter(g)
        out.append(abs(a) / 1e6)
    return np.asarray(out, dtype=float)


def equal_area_radius_km(area_km2) -> np.ndarray:
    """Radius in km of the circle whose area is ``area_km2`` (km2): ``sqrt(area / pi)``."""
    return np.sqrt(np.asarray(area_km2, dtype=float) / math.pi)


def norm_name(s) -> str:
    """Upper-case ASCII letters and digits of a place name, single spaces (accents dropped):
    ``"Bogotá, D.C."`` -> ``"BOGOTA D C"``."""
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", " ", s.upper()).strip()


def _admin1(iso3: str, gpkg: Path = NATURAL_EARTH_GPKG):
    import geopandas as gpd

    g = gpd.read_file(gpkg, layer="states_provinces")
    g = g[(g["adm0_a3"] == iso3) & g["name"].notna()].copy()
    g["key"] = g["name"].map(norm_name)
    g["area_km2"] = geodesic_area_km2(g.geometry)
    return g.reset_index(drop=True)


# ------------------------------------------------------------------------------------- Ecuador

ECUADOR_ALIASES = {
    # police districts inside a province: located at the province that contains them
    "DMG": ("GUAYAS", "Distrito Metropolitano de Guayaquil (police district), located at its province Guayas"),
    "DMQ": ("PICHINCHA", "Distrito Metropolitano de Quito (police district), located at its province Pichincha"),
}
ECUADOR_NOT_LOCATABLE = {"MAR TERRITORIAL": "territorial sea: no single place on land"}


def ecuador_province_gazetteer(names, gpkg: Path = NATURAL_EARTH_GPKG) -> pd.DataFrame:
    """Gazetteer of the province names used by the Ecuador register.

    Each province is located at a point inside its Natural Earth admin-1 polygon
    (``representative_point``) with ``uncertainty_km`` the equal-area radius of the polygon.
    ``DMG`` and ``DMQ`` (the Guayaquil and Quito metropolitan police districts) are located at
    the province that contains them, with that province's radius; ``MAR TERRITORIAL`` has no
    coordinates (the import quarantines its rows as ``PLACE_NOT_LOCATABLE``, stored as
    unlocated).

    Parameters
    ----------
    names : iterable of str
        Province names as the register writes them (``nombre_provincia``).

    Returns
    -------
    pandas.DataFrame
        Columns ``place``, ``location_name``, ``admin1``, ``country_iso3``, ``latitude``,
        ``longitude`` (degrees, 5 decimals), ``location_precision`` (``admin-1``),
        ``place_type``, ``area_km2``, ``uncertainty_km`` (km, 1 decimal), ``basis``; one row per
        name, sorted.

    Raises
    ------
    KeyError
        When a name matches no province.
    """
    g = _admin1("ECU", gpkg).set_index("key")
    rows = []
    for name in sorted(set(names)):
        if name in ECUADOR_NOT_LOCATABLE:
            rows.append(dict(place=name, location_name=name.title(), admin1=None, country_iso3="ECU", latitude=None,
                             longitude=None, location_precision=None, place_type="territorial sea", area_km2=None,
                             uncertainty_km=None, basis=ECUADOR_NOT_LOCATABLE[name]))
            continue
        key, basis = ECUADOR_ALIASES.get(name, (norm_name(name), None))
        r = g.loc[key]
        pt = r.geometry.representative_point()
        rows.append(dict(place=name, location_name=name if name in ECUADOR_ALIASES else r["name"], admin1=r["name"],
                         country_iso3="ECU", latitude=round(pt.y, 5), longitude=round(pt.x, 5),
                         location_precision="admin-1", place_type="province",
                         area_km2=round(float(r["area_km2"]), 1),
                         uncertainty_km=round(float(equal_area_radius_km(r["area_km2"])), 1),
                         basis=basis or "Natural Earth admin-1 polygon: point inside it, equal-area radius"))
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ Colombia

COLOMBIA_DEPT_ALIASES = {"BOGOTA D C": "BOGOTA",
                         "ARCHIPIELAGO DE SAN ANDRES PROVIDENCIA Y SANTA CATALINA": "SAN ANDRES Y PROVIDENCIA"}


def colombia_municipality_gazetteer(divipola: pd.DataFrame, gpkg: Path = NATURAL_EARTH_GPKG) -> pd.DataFrame:
    """Gazetteer of DIVIPOLA municipalities: DANE's reference point and a radius per unit.

    No municipal polygons are bundled, so a municipality's radius is that of the mean unit of
    its department: ``sqrt(area(department) / units(department) / pi)``, the department's
    geodesic area from its Natural Earth admin-1 polygon divided by its number of DIVIPOLA units
    (municipalities, non-municipalised areas, islands). It is an estimate for the unit, stated
    as such in ``basis``: a large rural municipality can be wider, a city narrower.

    Parameters
    ----------
    divipola : pandas.DataFrame
        DANE's export, columns ``COD_DPTO, NOM_DPTO, COD_MPIO, NOM_MPIO, TIPO, LATITUD,
        LONGITUD`` as text (codes without the leading zero).

    Returns
    -------
    pandas.DataFrame
        Columns ``place`` (5-digit DIVIPOLA code, ``05002``), ``location_name``, ``admin1``,
        ``country_iso3``, ``latitude``, ``longitude`` (degrees, as published),
        ``location_precision`` (``municipality``), ``place_type``, ``uncertainty_km`` (km, 1
        decimal), ``basis``.
    """
    g = _admin1("COL", gpkg).set_index("key")
    d = divipola.copy()
    d["dept_key"] = d["NOM_DPTO"].map(norm_name).replace(COLOMBIA_DEPT_ALIASES)
    units = d.groupby("dept_key")["COD_MPIO"].transform("size")
    area = d["dept_key"].map(g["area_km2"])
    if area.isna().any():
        raise KeyError(f"departments not in Natural Earth: {sorted(set(d.loc[area.isna(), 'NOM_DPTO']))}")
    radius = equal_area_radius_km(area / units)
    tipo = {"Municipio": "municipality", "Área no municipalizada": "non-municipalised area", "Isla": "island"}
    return pd.DataFrame({
        "place": d["COD_MPIO"].str.strip().str.zfill(5),
        "location_name": d["NOM_MPIO"].str.strip(),
        "admin1": d["NOM_DPTO"].str.strip(),
        "country_iso3": "COL",
        "latitude": d["LATITUD"].str.strip(),
        "longitude": d["LONGITUD"].str.strip(),
        "location_precision": "municipality",
        "place_type": d["TIPO"].map(tipo).fillna(d["TIPO"]),
        "uncertainty_km": np.round(radius, 1),
        "basis": [f"mean unit of {n}: {a:,.0f} km2 / {u} units (Natural Earth admin-1, DIVIPOLA)"
                  for n, a, u in zip(d["NOM_DPTO"].str.strip(), area, units)],
    }).sort_values("place").reset_index(drop=True)


# ----------------------------------------------------------------------------------------- CBP

def cbp_extents(gaz: pd.DataFrame, gpkg: Path = NATURAL_EARTH_GPKG) -> pd.Series:
    """Radius in km standing for the extent of each CBP Area of Responsibility.

    CBP publishes no boundaries with the seizure data; the extent of an Area of
    Responsibility (a field office covering the ports of one or several states, a Border Patrol
    sector covering hundreds of km of border) is represented by the equal-area radius of the
    state of its headquarters (Natural Earth admin-1). A
    field office covering several states is wider, a sector narrower. The radii run from 54 km
    (Puerto Rico) to 467 km (Texas): above the 69 km edge of H3 resolution 3 except Puerto
    Rico's, so CBP records are binned on the maps only at resolutions 3 or coarser in Puerto
    Rico and never elsewhere.

    Parameters
    ----------
    gaz : pandas.DataFrame
        ``cbp_areas_of_responsibility.csv`` (columns ``hq_admin1`` USPS code, ``country_iso3``).

    Returns
    -------
    pandas.Series of float
        km (1 decimal), NaN where there is no headquarters (Preclearance).
    """
    import pycountry

    states = _admin1("USA", gpkg).set_index("key")["area_km2"]
    pri = _admin1("PRI", gpkg)["area_km2"].to_numpy()   # Puerto Rico: its own admin-0 in Natural Earth
    out = []
    for code in gaz["hq_admin1"].fillna(""):
        if not code:
            out.append(np.nan)
        elif code == "PR":
            out.append(float(equal_area_radius_km(pri.sum())))
        else:
            name = pycountry.subdivisions.get(code=f"US-{code}").name
            out.append(float(equal_area_radius_km(states[norm_name(name)])))
    return pd.Series(np.round(out, 1), index=gaz.index)


def write_gazetteers(out_dir: Path = GAZETTEERS_DIR, divipola_csv: Path = DIVIPOLA_SOURCE,
                     ecuador_csv: Path | None = None) -> dict[str, Path]:
    """Rebuild the gazetteer CSVs of the bundled registers in ``out_dir``.

    Returns
    -------
    dict
        Gazetteer name -> path written.
    """
    out = {}
    cbp_path = out_dir / "cbp_areas_of_responsibility.csv"
    cbp = pd.read_csv(cbp_path, dtype=str, keep_default_na=False)
    cbp["uncertainty_km"] = [("" if np.isnan(v) else f"{v:.1f}") for v in cbp_extents(cbp)]
    cbp.to_csv(cbp_path, index=False)
    out["cbp"] = cbp_path
    if divipola_csv is not None and Path(divipola_csv).exists():
        d = pd.read_csv(divipola_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        p = out_dir / "colombia_divipola_municipalities.csv"
        colombia_municipality_gazetteer(d).to_csv(p, index=False)
        out["colombia"] = p
    ecuador_csv = ecuador_csv or ECUADOR_SOURCE
    e = pd.read_csv(ecuador_csv, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    p = out_dir / "ecuador_provinces.csv"
    ecuador_province_gazetteer(e["nombre_provincia"].str.strip()).to_csv(p, index=False)
    out["ecuador"] = p
    return out
