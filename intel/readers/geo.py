"""Readers of geographic files (GeoJSON, GeoPackage, GeoParquet) and plain Parquet.

Part of :mod:`intel.readers`. A geographic layer is read with its attributes as raw values and its
geometry as extra columns ``__longitude``/``__latitude`` (WGS84 degrees; the representative point
of an area, the middle of a line, the centroid of a MultiPoint), ``__precision`` (from the
geometry's extent, half its bounding-box diagonal, geodesic), ``__geometry_note`` and
``__geometry`` (WKT of a non-point geometry). A GeoPackage with several layers reads the only
layer of points, else raises :class:`~intel.readers.xlsx.SheetChoiceNeeded`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from intel.readers.raw import RawTable, ReadError, clean_names
from intel.readers.xlsx import SheetChoiceNeeded


# --------------------------------------------------------------------------------------------
# geographic formats and parquet
# --------------------------------------------------------------------------------------------

def _objectify(df: pd.DataFrame) -> pd.DataFrame:
    """Attribute columns as object dtype with Python values and ``None`` for missing."""
    out = {}
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            arr = np.array([None if pd.isna(v) else v.to_pydatetime() for v in col], dtype=object)
        else:
            arr = col.astype(object).to_numpy(copy=True)
            miss = pd.isna(col).to_numpy()
            arr[miss] = None
            arr = np.array([v.item() if isinstance(v, np.generic) else v for v in arr], dtype=object)
        out[c] = arr
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(df)), dtype=object)   # the rows even with no column
    frame.columns = clean_names(list(df.columns))
    return frame


def _geo_to_raw(gdf, fmt: str, warnings: list[str], sheet: str | None) -> RawTable:
    import shapely

    geom_name = gdf.geometry.name
    attrs = _objectify(pd.DataFrame(gdf.drop(columns=[geom_name])))
    geoms = gdf.geometry.values
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        try:
            geoms = gdf.geometry.to_crs("EPSG:4326").values
            warnings.append(f"Geometries were transformed from {gdf.crs.to_string()} to WGS84 (EPSG:4326).")
        except Exception as exc:
            raise ReadError(f"The layer's coordinate reference system cannot be converted to WGS84: {exc}") from None
    garr = np.asarray(geoms, dtype=object)
    n = len(garr)
    lon = np.full(n, None, dtype=object)
    lat = np.full(n, None, dtype=object)
    prec = np.full(n, None, dtype=object)
    note = np.full(n, None, dtype=object)
    wkt = np.full(n, None, dtype=object)
    if n:
        types = shapely.get_type_id(garr)
        missing = shapely.is_missing(garr) | shapely.is_empty(garr)
        pts = garr.copy()
        nonpoint = (types != 0) & ~missing
        ok = ~missing
        if nonpoint.any():
            multi = nonpoint & (types == 4)
            lines = nonpoint & np.isin(types, (1, 2))
            pts[nonpoint & ~multi & ~lines] = shapely.point_on_surface(garr[nonpoint & ~multi & ~lines])
            pts[lines] = shapely.line_interpolate_point(garr[lines], 0.5, normalized=True)   # midway along
            pts[multi] = shapely.centroid(garr[multi])
            radius = _extent_radius_km(garr[nonpoint])
            levels = np.array([_precision_of(r) for r in radius], dtype=object)
            prec[nonpoint] = levels
            spread = (types[nonpoint] == 4) & (radius > 5.0)   # points of several places
            note[nonpoint] = np.where(spread, "MULTIPLE_LOCATIONS",
                                      np.where(levels == "exact", None, "LOCATION_FROM_GEOMETRY"))
            wkt[nonpoint] = [t[:2000] for t in shapely.to_wkt(garr[nonpoint], rounding_precision=6)]
            kinds = pd.Series(shapely.get_type_id(garr[nonpoint])).map(
                {1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                 6: "MultiPolygon", 7: "GeometryCollection"}).value_counts()
            coarse = pd.Series(levels[levels != "exact"]).value_counts()
            warnings.append(
                f"{int(nonpoint.sum())} feature(s) are not points ({', '.join(f'{k} {v}' for k, v in kinds.items())}): "
                "each is located at its representative point with a location precision from its extent"
                + (f" ({', '.join(f'{k} {v}' for k, v in coarse.items())}), never as an exact point" if len(coarse) else "")
                + (f"; {int(spread.sum())} MultiPoint(s) of points kilometres apart are not one location and are "
                   "held back" if spread.any() else "") + ".")
        prec[ok & ~nonpoint] = "exact"
        xs = shapely.get_x(pts[ok])
        ys = shapely.get_y(pts[ok])
        lon[ok] = [repr(float(x)) for x in xs]
        lat[ok] = [repr(float(y)) for y in ys]
    for name, arr in (("__longitude", lon), ("__latitude", lat), ("__precision", prec), ("__geometry_note", note),
                      ("__geometry", wkt)):
        attrs[name] = pd.Series(arr, dtype=object, index=attrs.index)
    return RawTable(frame=attrs, row_numbers=np.arange(1, len(attrs) + 1, dtype=np.int64), format=fmt,
                    warnings=warnings, has_geometry=True, sheet=sheet)


_PRECISION_KM = (("exact", 0.01), ("intersection", 0.15), ("town", 5.0), ("admin-1", 100.0))
"""Largest radius of uncertainty (km) of each location precision (as :data:`intel.hexbin.PRECISION_KM`)."""


def _precision_of(radius_km: float) -> str:
    """Location precision whose radius of uncertainty covers ``radius_km`` (``country`` beyond)."""
    for level, km in _PRECISION_KM:
        if radius_km <= km:
            return level
    return "country"


def _extent_radius_km(geoms: np.ndarray) -> np.ndarray:
    """Half the geodesic diagonal of each geometry's bounding box, km (WGS84 degrees in)."""
    import shapely
    from pyproj import Geod

    b = shapely.bounds(geoms)
    _, _, dist = Geod(ellps="WGS84").inv(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    return np.asarray(dist, dtype=float) / 2000.0


def _choose_layer(path: Path, sheet: str | None, warnings: list[str]) -> str | None:
    """The layer to read: the one asked for, the only layer, or the only point layer."""
    import pyogrio

    try:
        layers = [(str(nm), str(g)) for nm, g in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001 - reported by the read itself
        return sheet
    names = [nm for nm, _ in layers]
    if sheet is not None:
        s = str(sheet).strip()
        if s in names:
            return s
        if s.isdigit() and 1 <= int(s) <= len(names):
            return names[int(s) - 1]
        raise ReadError(f"{path.name} has no layer {sheet!r}; layers: "
                        + ", ".join(f"{nm} ({g})" for nm, g in layers))
    if len(layers) <= 1:
        return None
    points = [nm for nm, g in layers if "point" in g.lower()]
    described = "; ".join(f"{nm!r} ({g}{'' if nm in points else ': skipped, not points'})" for nm, g in layers)
    way_out = ("Choose the layer: `intel import FILE --layer NAME`, or the layer choice on the Import page.")
    if len(points) == 1:
        warnings.append(f"Layer {points[0]!r} was read: it is the only layer of points. Layers: {described}.")
        return points[0]
    if not points:
        raise SheetChoiceNeeded(f"{path.name} has {len(layers)} layers and none holds points ({described}); "
                                f"importing areas or lines as seizures would be wrong, so nothing was imported. "
                                f"{way_out}", names, "layer")
    raise SheetChoiceNeeded(f"{path.name} has several layers of points ({described}); which one to import cannot be "
                            f"decided safely and nothing was imported. {way_out}", names, "layer")


GEO_NAMES = {"geojson": "GeoJSON", "gpkg": "GeoPackage"}
"""Names of the spatial formats in messages."""


def _json_shape(path: Path) -> str:
    """What a ``.json``/``.geojson`` file holds, from its text: ``'not json'``, ``'records'`` (a list
    of objects, as spreadsheets and APIs export tables), ``'other json'`` or ``'geojson'``."""
    import json

    if path.stat().st_size > 256 * 2**20:   # too large to parse only for a message
        return "geojson"
    try:
        with open(path, encoding="utf-8-sig") as f:
            doc = json.load(f)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "not json"
    if isinstance(doc, list) and doc and all(isinstance(d, dict) for d in doc[:50]):
        return "records"
    if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
        return "geojson"
    return "other json"


def unreadable_geo_message(path: Path, fmt: str, exc: BaseException) -> str:
    """One plain message for a spatial file GDAL cannot open, saying what the file is instead and
    what to do; GDAL's own words only where the file does look like the format (its first sentence,
    without the advice on driver prefixes, which a user of this product cannot apply).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    fmt : str
        ``geojson`` or ``gpkg`` (:data:`intel.readers.raw.FORMATS`).
    exc : BaseException
        What the GDAL reader raised.

    Returns
    -------
    str
    """
    name, what = path.name, GEO_NAMES.get(fmt, fmt)
    todo = "Save the table as CSV or Excel (one row per record), or export it from the GIS as GeoJSON or GeoPackage."
    if fmt == "geojson":
        shape = _json_shape(path)
        if shape == "not json":
            return f"{name} is not JSON (a .json or .geojson file must be JSON text), so it cannot be read. {todo}"
        if shape == "records":
            return (f"{name} holds a JSON list of records, not GeoJSON: this product reads JSON only as a GeoJSON "
                    f"FeatureCollection whose features carry point geometries. {todo}")
        if shape == "other json":
            return (f"{name} holds JSON but not GeoJSON (a GeoJSON file is an object with \"type\": "
                    f"\"FeatureCollection\" and a list of features). {todo}")
    detail = str(exc).split("; It might help")[0].replace(str(path), name).strip().rstrip(".")
    return f"{name} is not a readable {what} file ({detail}). {todo}"


def read_geo(path: Path, fmt: str, sheet: str | None) -> RawTable:
    import pyogrio

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    warnings: list[str] = []
    layer = _choose_layer(path, sheet, warnings)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise ReadError(unreadable_geo_message(path, fmt, exc)) from None
    if layer is None and fmt == "gpkg":
        try:
            layer = str(pyogrio.list_layers(path)[0][0])
        except Exception:  # noqa: BLE001
            layer = None
    raw = _geo_to_raw(gdf, fmt, warnings, layer)
    try:
        raw.sheets = [str(nm) for nm, _ in pyogrio.list_layers(path)]
    except Exception:  # noqa: BLE001
        raw.sheets = []
    return raw


def read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty.")
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as exc:
        raise ReadError(f"{path.name} is not a readable Parquet file: {exc}") from None
    if b"geo" in meta:
        import geopandas as gpd

        gdf = gpd.read_parquet(path)
        return _geo_to_raw(gdf, "geoparquet", [], None)
    table = pq.read_table(path)
    df = table.to_pandas(types_mapper=None)
    frame = _objectify(df)
    return RawTable(frame=frame, row_numbers=np.arange(2, len(frame) + 2, dtype=np.int64), format="parquet")
