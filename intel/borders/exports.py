"""GeoJSON export of the Borders results.

:func:`to_geojson` writes stretches, events, crossings or candidates as GeoJSON
(coordinates [longitude, latitude], WGS84 degrees), for the Borders page's downloads and the
``intel borders`` / ``intel bypass`` verbs. The map layers of the Borders page are drawn by the
renderer :mod:`intel.render.borders`.
"""
from __future__ import annotations

import json

import numpy as np
import shapely

from intel.export import json_value


def to_geojson(df, lat: str = "latitude", lon: str = "longitude") -> str:
    """GeoJSON FeatureCollection text; coordinates [longitude, latitude] (WGS84 degrees).

    Parameters
    ----------
    df : pandas.DataFrame or geopandas.GeoDataFrame
        A GeoDataFrame is written with its geometry (reprojected to EPSG:4326 if needed);
        a plain DataFrame as Points from columns ``lat`` and ``lon`` (rows without both are
        written with a null geometry).
    """
    feats = []
    if hasattr(df, "geometry") and "geometry" in getattr(df, "columns", []):
        g = df.to_crs("EPSG:4326") if df.crs is not None and str(df.crs) != "EPSG:4326" else df
        props = g.drop(columns="geometry")
        for geom, rec in zip(g.geometry, props.to_dict("records")):
            feats.append({"type": "Feature",
                          "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None else None,
                          "properties": {k: json_value(v) for k, v in rec.items()}})
    else:
        for rec in df.to_dict("records"):
            y, x = rec.get(lat), rec.get(lon)
            ok = y is not None and x is not None and np.isfinite(float(y)) and np.isfinite(float(x))
            feats.append({"type": "Feature",
                          "geometry": {"type": "Point", "coordinates": [float(x), float(y)]} if ok else None,
                          "properties": {k: json_value(v) for k, v in rec.items()}})
    return json.dumps({"type": "FeatureCollection", "features": feats})
