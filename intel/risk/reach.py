"""Which structural components of the risk score apply to an area at all.

Two components of the score (:mod:`intel.risk.components`) describe the geography around a
cell rather than its own events, and each can be present only by accident of the reference
data:

* **border** (and **bypass**, which is defined inside the border zone). Natural Earth runs the
  country polygons through shared lakes, so the "nearest international border" of Toronto is a
  line in the middle of Lake Ontario, about 45 km off the shore (:mod:`intel.borders.segments`).
  The store holds no water layer that would tell a lake line from a land border, so this module
  uses the evidence it does hold: a land border is **within reach** of an area when at least one
  official crossing (:func:`intel.borders.official_crossings`: UN/LOCODE border-crossing points
  and CBP ports of entry) lies within the border zone (setting ``border_zone_km``) of one of the
  area's cell centres (:func:`border_in_reach`). Where none does, the border and bypass parts
  are 0 and the result says so. A border with no known official crossing at all (the KAFO
  borders of Burkina Faso, Cote d'Ivoire and Mali) cannot be judged this way, so it stays within
  reach and the part is decided by distance alone (:func:`intel.risk.scores.risk_scores`).
* **corridor**. Trafficking flows are great circles between their two ends; a flow between two
  U.S. states can pass over Ontario without having anything to do with it. A flow **reaches** an
  area only when one of its ends lies in a country that holds the area's records
  (:func:`flows_reaching`); the others are left out, and when none is left the corridor part is
  0 and the result says so. A flow that is kept weighs only the cells its great circle passes
  over, so when no kept flow passes over the area the part is 0 too, and the result says that.

Distances are geodesic km on WGS84 (:func:`intel.geodesy.nearest`); coordinates are WGS84
degrees. This module reads no table itself: the caller passes crossings, flows and country
polygons.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from intel.geodesy import nearest


def border_in_reach(crossings: pd.DataFrame | None, cell_lat, cell_lon, zone_km: float) -> tuple[bool, float]:
    """Whether an official crossing lies within ``zone_km`` of one of the cell centres.

    Parameters
    ----------
    crossings : pandas.DataFrame or None
        Columns ``latitude``, ``longitude`` (degrees WGS84), one row per official crossing.
    cell_lat, cell_lon : arrays of float, shape (n,)
        Cell centres of the study area, degrees WGS84.
    zone_km : float
        Border zone, km (setting ``border_zone_km``).

    Returns
    -------
    (bool, float)
        ``True`` when the nearest crossing is at most ``zone_km`` from some cell centre, and that
        geodesic distance in km (NaN when there is no crossing or no cell).
    """
    if crossings is None or len(crossings) == 0 or len(np.asarray(cell_lat)) == 0:
        return False, float("nan")
    plat = pd.to_numeric(crossings["latitude"], errors="coerce").to_numpy(float)
    plon = pd.to_numeric(crossings["longitude"], errors="coerce").to_numpy(float)
    ok = np.isfinite(plat) & np.isfinite(plon)
    if not ok.any():
        return False, float("nan")
    _, km = nearest(plat[ok], plon[ok], np.asarray(cell_lat, float), np.asarray(cell_lon, float), k=1)
    best = float(np.nanmin(km)) if np.isfinite(km).any() else float("nan")
    return bool(best <= float(zone_km)), best


def flows_reaching(flows: pd.DataFrame, countries_geom) -> pd.DataFrame:
    """Flows with at least one end inside ``countries_geom`` (the countries of the area's records).

    Parameters
    ----------
    flows : pandas.DataFrame
        :data:`intel.corridors.flows.FLOW_COLUMNS` (``origin_lat``, ``origin_lon``,
        ``destination_lat``, ``destination_lon`` in degrees WGS84).
    countries_geom : shapely geometry or None
        Union of the country polygons (lon-lat degrees); ``None`` keeps every flow (the
        records name no country, so nothing can be decided).

    Returns
    -------
    pandas.DataFrame
        The rows of ``flows`` that reach the countries, same columns.
    """
    if countries_geom is None or flows is None or len(flows) == 0:
        return flows
    def inside(lat_col, lon_col):
        lat = pd.to_numeric(flows[lat_col], errors="coerce").to_numpy(float)
        lon = pd.to_numeric(flows[lon_col], errors="coerce").to_numpy(float)
        ok = np.isfinite(lat) & np.isfinite(lon)
        out = np.zeros(len(flows), dtype=bool)
        out[ok] = shapely.contains_xy(countries_geom, lon[ok], lat[ok])
        return out
    keep = inside("origin_lat", "origin_lon") | inside("destination_lat", "destination_lon")
    return flows[keep]


def border_sentence(zone_km: float, best_km: float) -> str:
    """Plain sentence for an area with no land border within reach."""
    far = (f" (the nearest is {best_km:,.0f} km from the area)" if np.isfinite(best_km) else "")
    return (f"No official border crossing lies within the {zone_km:g} km border zone of this area{far}, so no land "
            "border is within reach (a line through a shared lake or the sea is no land border: Natural Earth runs "
            "country polygons through shared lakes, e.g. the CAN-USA line in Lake Ontario). The border and bypass "
            "parts are 0 here.")


def corridor_sentence(countries, flows_kept: int = 0) -> str:
    """Plain sentence for an area that no trafficking flow reaches.

    ``flows_kept`` is the number of flows that do start or end in ``countries`` but whose great
    circles cross none of the area's cells (then the sentence says that instead).
    """
    names = ", ".join(sorted(countries)) or "the area's countries"
    if flows_kept:
        one = flows_kept == 1
        where = (f"{'starts or ends' if one else 'start or end'} in {names}" if countries
                 else ("is" if one else "are") + " known")
        return (f"{flows_kept:,} trafficking flow{'s' if flows_kept != 1 else ''} of the period {where}, but none "
                "passes over this area's cells on its great circle, so the corridor part is 0 here.")
    return (f"No trafficking flow in the period starts or ends in {names} (flows that only pass over the area on "
            "their great circles do not count), so the corridor part is 0 here.")
