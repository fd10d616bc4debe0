"""Stage 5 of the import pipeline: where each record happened, and how precisely.

Part of :mod:`intel.pipeline`. :func:`locate` takes coordinates from a gazetteer place, a point
column (WKT, pairs, MGRS, UTM), easting/northing in a CRS, latitude/longitude or a file's
geometry (:mod:`intel.coords`), checks for swapped latitude and longitude against the record's
country, and sets the location precision and uncertainty radius. What it finds is a
:class:`Location` of whole columns plus reason codes on the shared rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from intel import coords, parse
from intel.columns import add_reason_lists, const_text, map_value, text_column, text_objects, text_where
from intel.reasons import LOCATION_REASONS
from intel.pipeline.rows import Rows


# --------------------------------------------------------------------------------------------
# 5. location
# --------------------------------------------------------------------------------------------

@dataclass
class Location:
    """Where each row is: ``lat``/``lon`` (degrees, NaN where unknown), the swap suggested for
    the quarantine (``sug_lat``/``sug_lon``), ``precision`` (exact, town, municipality,
    admin-1, country...), ``uncertainty`` (km, the record's own radius where a gazetteer states
    one, else NaN), the place fields, whether the file had coordinates at all (``has_coords``)
    and whether they came from areas or lines of the file's geometry (``from_geometry``)."""

    lat: np.ndarray
    lon: np.ndarray
    sug_lat: np.ndarray
    sug_lon: np.ndarray
    precision: pd.Series
    place_type: pd.Series
    location_name: pd.Series
    admin1: pd.Series
    region: pd.Series
    uncertainty: np.ndarray
    has_coords: bool = False
    from_geometry: bool = False


def locate(rows: Rows, iso3: pd.Series, crs: str | None, gazetteer: pd.DataFrame | None) -> Location:
    """Each row's location: from the gazetteer place (:func:`_locate_by_gazetteer`) when a
    gazetteer is given, else from the coordinate columns (:func:`_locate_by_coordinates`); then
    the rows whose location is the problem lose their coordinates, a located field without a
    value is ``MISSING_LOCATION``, and an unlocated row with a country is located to the country.
    """
    n, consts = rows.n, rows.consts
    loc = Location(lat=np.full(n, np.nan), lon=np.full(n, np.nan), sug_lat=np.full(n, np.nan),
                   sug_lon=np.full(n, np.nan), precision=const_text(consts.get("location_precision"), n),
                   place_type=rows.const_or(rows.col("place_type"), consts.get("place_type")),
                   location_name=rows.const_or(rows.col("location_name"), consts.get("location_name")),
                   admin1=rows.const_or(rows.col("admin1"), consts.get("admin1")),
                   region=rows.const_or(rows.col("region"), consts.get("region")),
                   uncertainty=np.full(n, np.nan))
    if gazetteer is not None:
        _locate_by_gazetteer(rows, loc, gazetteer)
    else:
        _locate_by_coordinates(rows, loc, iso3, crs)
    _finish_location(rows, loc, iso3)
    return loc


def _locate_by_gazetteer(rows: Rows, loc: Location, g: pd.DataFrame) -> None:
    """Coordinates, precision, radius and place fields of the gazetteer place each row names
    (codes written as the source writes them are turned into gazetteer keys first,
    :func:`place_code`); ``PLACE_UNKNOWN``, ``PLACE_NOT_LOCATABLE``, ``MISSING_LOCATION``."""
    n, R, mapping, ok_row = rows.n, rows.R, rows.mapping, rows.ok_row
    place = text_objects(rows.frame[mapping["place"]], n)
    if rows.profile.get("place_code"):   # codes written as the source writes them -> gazetteer key
        spec = rows.profile["place_code"]
        place = map_value(place, lambda v: place_code(v, spec)).astype(object)
        place = place.where(place.notna(), None)
    rows.raw_vals["place"] = rows.frame[mapping["place"]]
    known = place.isin(g.index).to_numpy()
    R.add("PLACE_UNKNOWN", ~known & place.notna().to_numpy() & ok_row)
    R.add("MISSING_LOCATION", place.isna().to_numpy() & ok_row)
    gi = g.reindex(place.fillna(""))

    def gcol(name: str) -> pd.Series:
        return pd.Series(gi[name].replace("", None).to_numpy(), dtype=object)

    glat = pd.to_numeric(gi["latitude"].replace("", np.nan), errors="coerce").to_numpy()
    glon = pd.to_numeric(gi["longitude"].replace("", np.nan), errors="coerce").to_numpy()
    R.add("PLACE_NOT_LOCATABLE", known & np.isnan(glat) & ok_row)
    loc.lat, loc.lon = glat, glon
    loc.precision = gcol("location_precision").where(known, None)
    loc.place_type = loc.place_type.where(loc.place_type.notna(), gcol("place_type"))
    loc.location_name = loc.location_name.where(loc.location_name.notna(), place)
    if "region" in gi:
        loc.region = loc.region.where(loc.region.notna(), gcol("region"))
    if "admin1" in gi:
        loc.admin1 = loc.admin1.where(loc.admin1.notna(), gcol("admin1"))
    if "location_name" in gi and not mapping.get("location_name") and not rows.consts.get("location_name"):
        # the gazetteer's name of a coded place (a DIVIPOLA code's municipality), not the code
        gname = gcol("location_name")
        loc.location_name = gname.where(gname.notna(), loc.location_name)
    if "uncertainty_km" in gi:   # the radius of the place's own area (e.g. equal-area circle)
        loc.uncertainty = pd.to_numeric(gi["uncertainty_km"].replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    loc.has_coords = True


@dataclass
class _Given:
    """The coordinate columns a file gives, once point and grid columns are read as lat/lon."""

    lat_s: pd.Series | None
    lon_s: pd.Series | None
    zone_s: pd.Series | None
    derived: bool = False              # lat_s/lon_s converted from other columns: the raw text is theirs
    grid_precision: pd.Series | None = None
    coarse: np.ndarray | None = None


def _locate_by_coordinates(rows: Rows, loc: Location, iso3: pd.Series, crs: str | None) -> None:
    """Coordinates from a point column, easting/northing, latitude/longitude or the file's
    geometry, checked (:func:`intel.coords.parse_coordinates`, projected values converted when a
    zone or CRS is known), with the lat/lon swap check against the declared country."""
    mapping, raw = rows.mapping, rows.raw
    if mapping.get("place"):
        loc.location_name = loc.location_name.where(loc.location_name.notna(), text_column(rows.clean_col("place"), rows.n))
    lat_s, lon_s = rows.col("latitude"), rows.col("longitude")
    pt = rows.col("point")
    if lat_s is not None and mapping.get("latitude") == mapping.get("longitude"):
        # latitude and longitude mapped onto one column: it holds the whole point ("lat, lon")
        pt, lat_s, lon_s = lat_s, None, None
        rows.mapping = mapping = {**mapping, "point": mapping["latitude"]}
    if lat_s is None and lon_s is None and getattr(raw, "has_geometry", False):
        lat_s, lon_s = rows.frame["__latitude"], rows.frame["__longitude"]
        loc.from_geometry = "__precision" in rows.frame.columns
    given = _Given(lat_s, lon_s, rows.clean_col("utm_zone"))
    if given.lat_s is None and given.lon_s is None and pt is not None:
        _read_point_column(rows, given, pt)
    e_s, n_s = rows.col("easting"), rows.col("northing")
    if given.lat_s is None and given.lon_s is None and e_s is not None and n_s is not None:
        _read_easting_northing(rows, given, e_s, n_s, crs)
    if given.lat_s is not None and given.lon_s is not None:
        loc.has_coords = True
        _read_lat_lon(rows, loc, given, iso3, crs)
    elif given.lat_s is not None or given.lon_s is not None:
        rows.warnings.append("only one of latitude/longitude is mapped: records are stored without location")


def _read_point_column(rows: Rows, given: _Given, pt: pd.Series) -> None:
    """One column holds the point: WKT, "lat, lon" pairs, MGRS or UTM grid references."""
    rows.raw_vals["point"] = pt
    p, pw = coords.split_point_column(parse.without_placeholders(pt), rows.decimal)
    rows.warnings.extend(f"column {rows.mapping['point']!r}: {w}" for w in pw)
    unreadable = pt.notna().to_numpy() & p["form"].isna().to_numpy() & ~parse.placeholder_mask(pt)
    given.lat_s, given.lon_s = p["lat"], p["lon"]
    given.derived = True
    rows.R.add("COORDINATE_INVALID", unreadable & rows.ok_row)
    forms = set(p["form"].dropna())
    if forms - {"wkt", "pair"}:
        rows.warnings.append(f"column {rows.mapping['point']!r}: "
                             f"{', '.join(sorted(f.upper() for f in forms - {'wkt', 'pair'}))} "
                             "grid references converted to latitude/longitude (the raw text is kept)")
    size = p["size_km"].to_numpy()
    given.coarse = size > 0.1   # MGRS squares of 1 km or more are not exact points
    if given.coarse.any():
        given.grid_precision = pd.Series(np.where(size >= 100, "admin-1", np.where(size >= 10, "municipality", "town")),
                                         dtype=object)


def _read_easting_northing(rows: Rows, given: _Given, e_s: pd.Series, n_s: pd.Series, crs: str | None) -> None:
    """UTM easting/northing: the zone per row (a zone column) or per file (``crs``)."""
    rows.raw_vals["easting"], rows.raw_vals["northing"] = e_s, n_s
    if given.zone_s is not None:
        rows.raw_vals["utm_zone"] = rows.col("utm_zone")
    la_, lo_, okc = convert_grid(parse.without_placeholders(e_s), parse.without_placeholders(n_s), given.zone_s, crs)
    present = (e_s.notna() & n_s.notna()).to_numpy() & ~parse.placeholder_mask(e_s) & ~parse.placeholder_mask(n_s)
    if okc is None:   # no zone anywhere: the analyst must give it
        rows.R.add("PROJECTED_COORDINATES", present & rows.ok_row)
        rows.warnings.append("easting/northing without a UTM zone: map a zone column or give --crs (e.g. EPSG:32630)")
    else:
        rows.R.add("COORDINATE_INVALID", present & ~okc & rows.ok_row)
    given.lat_s = pd.Series(np.where(np.isfinite(la_), la_, None), dtype=object)
    given.lon_s = pd.Series(np.where(np.isfinite(lo_), lo_, None), dtype=object)
    given.derived = True


_GRID = {"PROJECTED_COORDINATES", "LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE"}


def _read_lat_lon(rows: Rows, loc: Location, given: _Given, iso3: pd.Series, crs: str | None) -> None:
    """Read latitude/longitude text, convert projected values, check swaps; set ``loc``."""
    n, R, consts = rows.n, rows.R, rows.consts
    if not given.derived:
        rows.raw_vals["latitude"], rows.raw_vals["longitude"] = given.lat_s, given.lon_s
    lat_in, lon_in = rows.valid(given.lat_s), rows.valid(given.lon_s)
    pc = coords.parse_coordinates(lat_in, lon_in, decimal=rows.decimal)
    reasons = pc["reasons"]
    if (crs or given.zone_s is not None) and _GRID & set(c for r in reasons for c in (r or [])):
        reasons = _convert_projected_rows(rows, pc, reasons, lat_in, lon_in, given.zone_s, crs)
    reasons = _offered_swaps_only(pc, reasons, iso3)
    add_reason_lists(R, reasons, None if rows.all_ok else rows.ok_row)
    lat = np.array(pc["latitude"].to_numpy(dtype=float), copy=True)
    lon = np.array(pc["longitude"].to_numpy(dtype=float), copy=True)
    loc.lat, loc.lon = lat, lon
    loc.sug_lat = np.array(pc["suggested_latitude"].to_numpy(dtype=float), copy=True)
    loc.sug_lon = np.array(pc["suggested_longitude"].to_numpy(dtype=float), copy=True)
    if not consts.get("location_precision"):
        loc.precision = text_where(np.isfinite(lat), "exact", None)
        if given.grid_precision is not None:   # coarse MGRS squares: the square, not a point
            loc.precision = loc.precision.where(~(given.coarse & np.isfinite(lat)), given.grid_precision)
    if loc.from_geometry:   # areas, lines and MultiPoints: precision from their extent, never exact
        frame = rows.frame
        gp = frame["__precision"].astype(object)
        loc.precision = pd.Series(np.where(np.isfinite(lat), gp.to_numpy(), None), dtype=object)
        gnote = frame["__geometry_note"].astype(object).to_numpy()
        R.add("MULTIPLE_LOCATIONS", (gnote == "MULTIPLE_LOCATIONS") & rows.ok_row)
        R.add("LOCATION_FROM_GEOMETRY", (gnote == "LOCATION_FROM_GEOMETRY") & rows.ok_row)
        if frame["__geometry"].notna().any():
            rows.raw_vals["geometry"] = frame["__geometry"]
    # swap check against the declared country's polygon
    good = np.isfinite(lat) & np.isfinite(lon) & iso3.notna().to_numpy()
    if good.any():
        sw = coords.check_swaps(pd.Series(lat[good]), pd.Series(lon[good]), iso3[good].reset_index(drop=True),
                                coords.load_country_geoms())
        idx = np.flatnonzero(good)
        m = sw["swap_suspected"].to_numpy(dtype=bool)
        swapped = np.zeros(n, dtype=bool)
        swapped[idx[m]] = True
        R.add("LATLON_SWAP_SUSPECTED", swapped)
        loc.sug_lat[idx[m]] = sw["suggested_latitude"].to_numpy()[m]
        loc.sug_lon[idx[m]] = sw["suggested_longitude"].to_numpy()[m]


def _convert_projected_rows(rows: Rows, pc: pd.DataFrame, reasons: pd.Series, lat_in: pd.Series, lon_in: pd.Series,
                            zone_s: pd.Series | None, crs: str | None) -> pd.Series:
    """Convert the rows of ``pc`` that hold projected metres (with their zone or the file's
    ``crs``) in place; their reasons become ``PROJECTED_CONVERTED``. Returns the reasons."""
    proj = np.array(reasons.map(lambda r: bool(r) and "PROJECTED_COORDINATES" in r).to_numpy(dtype=bool))
    # metres near the equator or the central meridian: one value in degree range, the
    # other not -- projected too when the row has a zone, or (--crs) an easting beyond 180
    out = np.flatnonzero(reasons.map(lambda r: bool(r) and bool({"LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE"} & set(r)))
                         .to_numpy() & ~proj)
    if len(out):
        xo = parse.parse_numbers(lon_in.iloc[out], getattr(rows.raw, "decimal", ".")).to_numpy()
        has_zone = (np.isfinite(coords.parse_zone(zone_s.iloc[out])[0]) if zone_s is not None
                    else np.zeros(len(out), dtype=bool))
        proj[out[has_zone | (bool(crs) & (np.abs(xo) > 180))]] = True
    if zone_s is not None:
        rows.raw_vals["utm_zone"] = rows.col("utm_zone")
    plat, plon, okc = convert_grid(lon_in[proj], lat_in[proj], zone_s[proj] if zone_s is not None else None,
                                   crs, getattr(rows.raw, "decimal", "."))
    pc.loc[proj, "latitude"] = np.asarray(plat)
    pc.loc[proj, "longitude"] = np.asarray(plon)
    conv = np.zeros(rows.n, dtype=bool)
    conv[np.flatnonzero(proj)[okc]] = True
    reasons = reasons.where(~conv, reasons.map(lambda r: [c for c in (r or []) if c not in _GRID | {"LATLON_SWAP_SUSPECTED"}]
                                                + ["PROJECTED_CONVERTED"]))
    pc.loc[conv, ["suggested_latitude", "suggested_longitude"]] = np.nan
    return reasons


def _offered_swaps_only(pc: pd.DataFrame, reasons: pd.Series, iso3: pd.Series) -> pd.Series:
    """A swap is suggested only when the swapped point lies in the declared country (a Cote
    d'Ivoire point at lat 95, lon -4 is not offered (-4, 95), off Sumatra): the others lose
    their suggestion and their ``LATLON_SWAP_SUSPECTED``. Returns the reasons."""
    sug = np.isfinite(pc["suggested_latitude"].to_numpy(dtype=float))
    if sug.any():
        idx = np.flatnonzero(sug)
        ins = coords.inside_country(pc["suggested_latitude"].to_numpy()[idx], pc["suggested_longitude"].to_numpy()[idx],
                                    iso3.iloc[idx].to_numpy(dtype=object), coords.load_country_geoms())
        drop = idx[~ins]
        if len(drop):
            pc.loc[pc.index[drop], ["suggested_latitude", "suggested_longitude"]] = np.nan
            reasons = reasons.copy()
            for i in drop:
                reasons.iat[i] = [c for c in reasons.iat[i] if c != "LATLON_SWAP_SUSPECTED"]
    return reasons


def _finish_location(rows: Rows, loc: Location, iso3: pd.Series) -> None:
    """Country precision for unlocated rows, the warning when nothing locates the records, and
    the rows whose location is the problem (or missing) cleared."""
    R, raw, mapping = rows.R, rows.raw, rows.mapping
    if not loc.has_coords and not rows.consts.get("location_precision"):
        loc.precision = text_where(iso3.notna().to_numpy(), "country", None)
    if not loc.has_coords and not getattr(raw, "has_geometry", False) and rows.n:
        # never located-nowhere in silence: say so, and name columns that look like locations
        looks = location_like_columns(rows.frame, mapping)
        rows.warnings.append("no location column is mapped: records are located by their country only"
                             + (f"; column(s) {', '.join(repr(c) for c in looks)} look like locations (map them as "
                                "'point' for pairs, WKT, MGRS or UTM)" if looks else ""))
    # rows whose location is the problem lose their coordinates
    loc_bad = R.any(LOCATION_REASONS)
    lat = np.where(loc_bad, np.nan, loc.lat)
    loc.lon = np.where(loc_bad, np.nan, loc.lon)
    if loc.has_coords and (mapping.get("latitude") or mapping.get("point") or getattr(raw, "has_geometry", False)):
        missing = ~np.isfinite(lat) & ~loc_bad & rows.ok_row
        R.add("MISSING_LOCATION", missing)
        lat = np.where(missing, np.nan, lat)
    loc.lat = lat
    loc.precision = loc.precision.where(np.isfinite(lat) | iso3.isna().to_numpy(), "country")
    loc.precision = loc.precision.where(np.isfinite(lat) | iso3.notna().to_numpy(), None)


def convert_grid(x: pd.Series, y: pd.Series, zone: pd.Series | None, crs: str | None, decimal: str = "."):
    """WGS84 (lat, lon, converted) of projected easting ``x`` / northing ``y`` (metres): with a UTM
    zone per row where ``zone`` gives one (:func:`intel.coords.utm_to_latlon`), else with the
    file's ``crs``. ``converted`` is None when neither a zone nor a CRS is known."""
    xs = parse.parse_numbers(x, decimal).to_numpy(dtype=float)
    ys = parse.parse_numbers(y, decimal).to_numpy(dtype=float)
    n = len(xs)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    if zone is None and not crs:
        return lat, lon, None
    todo = np.ones(n, dtype=bool)
    if zone is not None:
        z, letter = coords.parse_zone(zone)
        has = np.isfinite(z)
        la_, lo_, ok = coords.utm_to_latlon(z, letter, xs, ys)
        lat[ok], lon[ok] = la_[ok], lo_[ok]
        todo = ~has
    if crs and todo.any():
        pla, plo = coords.convert_projected(pd.Series(xs[todo]), pd.Series(ys[todo]), crs)
        lat[todo], lon[todo] = pla.to_numpy(), plo.to_numpy()
    return lat, lon, np.isfinite(lat) & np.isfinite(lon)


def location_like_columns(frame: pd.DataFrame, mapping: dict, sample: int = 20) -> list[str]:
    """Unmapped columns whose first non-missing values read as points (pairs, WKT, MGRS, UTM)."""
    mapped = set(mapping.values())
    out = []
    for c in frame.columns:
        if c in mapped or str(c).startswith("__"):
            continue
        v = frame[c].dropna().head(sample)
        if len(v) == 0:
            continue
        p, _ = coords.split_point_column(v.astype(object))
        if p["form"].notna().mean() >= 0.8:
            out.append(c)
    return out


def place_code(value: str | None, spec: dict) -> str | None:
    """The gazetteer key of a place code as a source writes it.

    Parameters
    ----------
    value : str or None
        The code as read, e.g. Colombia's ``CODIGO DANE`` written ``"5,002,000"``.
    spec : dict
        ``digits`` (keep only the digits; default true), ``drop_trailing`` (number of trailing
        digits to drop, e.g. 3 for the ``000`` after a DIVIPOLA municipality code), ``zfill``
        (left-pad with zeros to this width: DIVIPOLA codes are 5 digits, ``05002``).

    Returns
    -------
    str or None
        ``"05002"`` for ``"5,002,000"`` with ``{"drop_trailing": 3, "zfill": 5}``; None when no
        digit is left.
    """
    if value is None:
        return None
    v = str(value).strip()
    if spec.get("digits", True):
        v = re.sub(r"\D", "", v)
    k = int(spec.get("drop_trailing", 0) or 0)
    if k:
        v = v[:-k] if len(v) > k else ""
    if not v:
        return None
    return v.zfill(int(spec["zfill"])) if spec.get("zfill") else v
