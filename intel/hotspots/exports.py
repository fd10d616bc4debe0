"""Exports of a hot spot table: CSV, GeoJSON, GeoParquet or GeoPackage of the cells.

Part of :mod:`intel.hotspots`. :func:`export_cells` writes the result with the cell id as a hex
string and the cell polygon in [longitude, latitude] order (RFC 7946); :func:`format_from_path`
reads the format from a file name.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from intel.export import json_value
from intel.h3cells import cell_centres, cell_ring, from_hex
from intel.safety import csv_bytes


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "geojson", "parquet", "gpkg")


def _export_frame(df: pd.DataFrame, columns: list[str] | None) -> pd.DataFrame:
    """The exported columns, with the cell centre's ``latitude`` and ``longitude`` (degrees
    WGS84, 6 decimals) right after ``h3`` so a CSV can be placed without an H3 library."""
    cols = columns or [c for c in df.columns if c != "cell"]
    out = df[[c for c in cols if c in df.columns]].copy()
    if "h3" in out.columns and "latitude" not in out.columns:
        lat, lon = cell_centres(from_hex(out["h3"].astype(str).tolist())) if len(out) else (np.zeros(0), np.zeros(0))
        at = list(out.columns).index("h3") + 1
        out.insert(at, "latitude", np.round(lat, 6))
        out.insert(at + 1, "longitude", np.round(lon, 6))
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    return out


def to_geojson(df: pd.DataFrame, columns: list[str] | None = None) -> dict:
    """GeoJSON FeatureCollection of cells: polygon in [lon, lat], properties incl. ``h3`` (hex)."""
    out = _export_frame(df, columns)
    feats = []
    for rec in out.to_dict(orient="records"):
        feats.append({"type": "Feature",
                      "geometry": {"type": "Polygon", "coordinates": [cell_ring(rec["h3"])]},
                      "properties": {k: json_value(v) for k, v in rec.items()}})
    return {"type": "FeatureCollection", "features": feats}


def to_geodataframe(df: pd.DataFrame, columns: list[str] | None = None):
    """GeoDataFrame (EPSG:4326) of cells with their polygons."""
    import geopandas as gpd
    import shapely

    out = _export_frame(df, columns)
    geoms = [shapely.Polygon(cell_ring(h)) for h in out["h3"]]
    return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")


def export_cells(df: pd.DataFrame, fmt: str, path: str | Path | None = None,
                 columns: list[str] | None = None) -> bytes:
    """Cells and their statistics as CSV, GeoJSON, GeoParquet or GeoPackage.

    Parameters
    ----------
    df : pandas.DataFrame
        A :func:`gi_star` or :func:`intel.emerging.emerging_hotspots` table (needs ``h3``).
    fmt : {'csv', 'geojson', 'parquet', 'gpkg'}
    path : path, optional
        Also write the bytes there.
    columns : list of str, optional
        Columns in order (default: all but the integer ``cell``).

    Returns
    -------
    bytes
        File content (CSV and GeoJSON UTF-8; GeoParquet with geometry in WKB, EPSG:4326;
        GeoPackage (OGC 12-128r18) with one layer ``cells``, EPSG:4326). Every format carries the
        cell centre's ``latitude`` and ``longitude``.

    Raises
    ------
    ValueError
        An unknown format.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt == "json":
        fmt = "geojson"
    if fmt in ("geoparquet", "pq"):
        fmt = "parquet"
    if fmt == "geopackage":
        fmt = "gpkg"
    if fmt == "csv":
        data = csv_bytes(_export_frame(df, columns))
    elif fmt == "geojson":
        data = json.dumps(to_geojson(df, columns)).encode("utf-8")
    elif fmt == "parquet":
        buf = io.BytesIO()
        to_geodataframe(df, columns).to_parquet(buf, index=False)
        data = buf.getvalue()
    elif fmt == "gpkg":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # GDAL writes a GeoPackage to a file
            f = Path(tmp) / "cells.gpkg"
            to_geodataframe(df, columns).to_file(f, layer="cells", driver="GPKG")
            data = f.read_bytes()
    else:
        raise ValueError(f"export format must be one of {EXPORT_FORMATS}")
    if path is not None:
        Path(path).write_bytes(data)
    return data


def format_from_path(path: str | Path) -> str:
    """Export format implied by a file name (``.csv``, ``.geojson``/``.json``, ``.parquet``, ``.gpkg``)."""
    suf = Path(path).suffix.lower().lstrip(".")
    if suf in ("csv",):
        return "csv"
    if suf in ("geojson", "json"):
        return "geojson"
    if suf in ("parquet", "geoparquet", "pq"):
        return "parquet"
    if suf == "gpkg":
        return "gpkg"
    raise ValueError(f"cannot tell the export format from {path}; use .csv, .geojson, .parquet or .gpkg")
