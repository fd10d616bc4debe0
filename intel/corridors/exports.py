"""Exports: flows as GeoJSON great-circle lines split at the 180th meridian, and CSV tables.

:func:`flows_geojson` writes each flow as a [longitude, latitude] line with a vertex at least every
``spacing_km``, a MultiLineString where the path crosses the antimeridian
(:func:`split_antimeridian`); :func:`to_geojson_text` is its compact JSON text.
:func:`flows_csv_frame` and :func:`density_csv_frame` are the tables the CLI and the Corridors
page write.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from intel.greatcircle import great_circle_points
from intel.h3cells import cell_centres, from_hex


def split_antimeridian(lon: np.ndarray, lat: np.ndarray) -> list[list[list[float]]]:
    """Split a lon-lat path where it crosses the 180th meridian.

    Consecutive longitudes more than 180 degrees apart are taken to cross the meridian; the
    crossing latitude is interpolated linearly in unwrapped longitude and each part ends
    (begins) exactly at +-180.

    Returns
    -------
    list of parts, each a list of [lon, lat] (degrees)
    """
    parts: list[list[list[float]]] = [[[float(lon[0]), float(lat[0])]]]
    for i in range(1, len(lon)):
        x0, y0, x1, y1 = float(lon[i - 1]), float(lat[i - 1]), float(lon[i]), float(lat[i])
        if abs(x1 - x0) > 180.0:
            edge = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360.0 if x0 > 0 else x1 - 360.0
            t = (edge - x0) / (x1u - x0) if x1u != x0 else 0.5
            yc = y0 + t * (y1 - y0)
            parts[-1].append([edge, yc])
            parts.append([[-edge, yc]])
        parts[-1].append([x1, y1])
    return parts


def flows_geojson(flows: pd.DataFrame, spacing_km: float = 50.0) -> dict:
    """GeoJSON FeatureCollection of flows as great-circle lines ([lon, lat], EPSG:4326).

    A line crossing the 180th meridian is a MultiLineString split at +-180; others are
    LineStrings with a vertex at least every ``spacing_km`` km.

    Returns
    -------
    dict
        Features with properties ``origin``, ``origin_name``, ``destination``,
        ``destination_name``, ``weight``, ``flow_type``, ``source``, ``period_start``,
        ``period_end`` (ISO dates).
    """
    feats = []
    if len(flows):
        cols = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
        f = flows.dropna(subset=cols).reset_index(drop=True)
        lat, lon, fl, _ = great_circle_points(*(f[c].to_numpy(float) for c in cols), spacing_km)
        bounds = np.searchsorted(fl, np.arange(len(f) + 1))
        for i, r in enumerate(f.itertuples(index=False)):
            s, e = bounds[i], bounds[i + 1]
            parts = split_antimeridian(lon[s:e], lat[s:e])
            geom = ({"type": "LineString", "coordinates": parts[0]} if len(parts) == 1
                    else {"type": "MultiLineString", "coordinates": parts})
            props = {k: getattr(r, k) for k in ("origin", "origin_name", "destination", "destination_name",
                                                "flow_type", "source") if hasattr(r, k)}
            props["weight"] = float(r.weight)
            for k in ("period_start", "period_end"):
                if hasattr(r, k):
                    v = getattr(r, k)
                    props[k] = None if pd.isna(v) else pd.Timestamp(v).date().isoformat()
            feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def flows_csv_frame(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows as the CLI and page export them: ``origin``, ``destination``, ``weight``, ``period``, ...

    ``period`` is the year (``2017``) for a calendar-year flow, else ``start/end`` (ISO,
    half-open).
    """
    cols = ["origin", "destination", "weight", "period", "origin_name", "destination_name", "flow_type", "source",
            "period_start", "period_end"]
    if flows.empty:
        return pd.DataFrame(columns=cols)
    s, e = pd.to_datetime(flows["period_start"]), pd.to_datetime(flows["period_end"])
    yearly = (s.dt.month == 1) & (s.dt.day == 1) & (e.dt.month == 1) & (e.dt.day == 1) & (e.dt.year == s.dt.year + 1)
    period = np.where(yearly, s.dt.year.astype(str), s.dt.date.astype(str) + "/" + e.dt.date.astype(str))
    out = flows.assign(period=period, period_start=s.dt.date.astype(str), period_end=e.dt.date.astype(str))
    return out[cols].reset_index(drop=True)


def density_csv_frame(density: pd.DataFrame) -> pd.DataFrame:
    """Corridor density as the CLI writes it: ``cell`` (hex), ``latitude`` and ``longitude`` of the
    cell centre (degrees WGS84), ``weight``, ``rank``, ``flows``, ``share``."""
    lat, lon = cell_centres(from_hex(density["h3"].astype(str).tolist())) if len(density) else ([], [])
    return pd.DataFrame({"cell": density["h3"], "latitude": np.round(lat, 6), "longitude": np.round(lon, 6),
                         "weight": density["weight"], "rank": density["rank"],
                         "flows": density["flows"], "share": density["share"]})


def to_geojson_text(obj: dict) -> str:
    """Compact JSON text of a GeoJSON object."""
    return json.dumps(obj, separators=(",", ":"), default=str)
