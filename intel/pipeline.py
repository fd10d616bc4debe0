"""The import pipeline: a raw table in, store-ready records, quarantine rows and a report out.

:func:`run` is the whole pipeline as a list of named stages, each a function of a few dozen lines
over whole columns; :func:`intel.ingest.prepare` calls it after loading the reference data the
profile names (its gazetteer), and :func:`intel.ingest.import_file` writes what it returns. Nothing
here touches the store.

The stages, in the order they run (the order matters: reason codes, raw values and warnings are
kept in the order they are found):

1. :func:`read_rows` -- the rows as read, with their line faults: cells that hold no value
   (spreadsheet errors, formulas never calculated), repeated headers, malformed lines, a total line;
2. :func:`read_ids` -- source record id and incident key;
3. :func:`read_dates` -- a fiscal year and month, dates recovered from weekdays, or parsed dates;
4. :func:`read_country` -- the country of each record (ISO 3166-1 alpha-3);
5. :func:`locate` -- coordinates from a gazetteer place, a point column (WKT, pairs, MGRS, UTM),
   easting/northing, latitude/longitude or a file's geometry; the swap check; location precision;
6. :func:`describe_items` -- category, firearm type, calibre, make, context, serial numbers;
7. :func:`read_counts` -- quantity, firearms, ammunition;
8. :func:`read_markings_and_route` -- releasability markings, direction, the other countries;
9. :func:`decide_outcomes` -- accepted, quarantined or rejected; H3 cells of the binable rows;
10. :func:`events_frame`, :func:`quarantine_frame`, :func:`report_builder` -- the outputs.

Every stage reads and writes the shared :class:`Rows` (the frame, the mapping, the reason masks,
the raw values kept per field, the warnings) and returns its own columns. Reason codes and their
effect are in :mod:`intel.reasons`; the column building blocks in :mod:`intel.columns`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow.compute as pac

from intel import coords, hexbin, nomenclature, parse, readers, serials
from intel.auth import parse_releasability
from intel.columns import (Coded, Reasons, add_reason_lists, arrow_text, by_value, as_text_column, const_text,
                           equal_mask, frame_values, hex_strings, iso_strings, jsonable, label_column, map_value,
                           mapped_column, nones, null_text, object_values, raw_field_json, record_ids,
                           row_reason_lists, text_column, text_objects, text_where)
from intel.config import FINE_RES, RESOLUTIONS
from intel.dates import parse_dates
from intel.daterecover import recover_dates_from_weekday
from intel.reasons import LOCATION_REASONS, QUARANTINE, REASON_TEXT, REJECT

DIRECTIONS = {"inbound": "inbound", "in": "inbound", "entrada": "inbound", "import": "inbound", "entrant": "inbound",
              "outbound": "outbound", "out": "outbound", "salida": "outbound", "export": "outbound", "sortant": "outbound"}
"""Direction words of several languages -> ``inbound`` / ``outbound``."""
MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}
"""Three-letter English month abbreviations -> month number (fiscal-year sources)."""


class ImportError_(ValueError):
    """An import that cannot proceed; the message is a plain sentence for the analyst."""


class NeedsChoice(ImportError_):
    """The file cannot be read without a choice from the analyst (e.g. date order)."""

    def __init__(self, message: str, choice: str, options: list[str]):
        super().__init__(message)
        self.choice = choice
        self.options = options


class Prepared:
    """What :func:`run` gives: ``events`` (one row per stored record: accepted and
    quarantined), ``quarantine`` (one row per quarantined or rejected input row), ``report``
    (one row per input row; built on first use) and ``warnings``."""

    def __init__(self, events: pd.DataFrame, quarantine: pd.DataFrame, report, warnings: list[str],
                 reasons: np.ndarray | None = None, status: np.ndarray | None = None):
        self.events = events
        self._status = status          # outcome of each input row
        self.quarantine = quarantine
        self._report = report          # DataFrame, or a callable building it
        self.warnings = warnings
        self._reasons = reasons        # the per-row reason lists the lazy report will show

    @property
    def report(self) -> pd.DataFrame:
        if callable(self._report):
            self._report = self._report()
        return self._report

    @report.setter
    def report(self, value) -> None:
        self._report = value

    @property
    def report_source(self):
        """The report as held: the frame, or the callable that builds it (not called here), so
        that a result can keep the report without keeping the whole preparation alive."""
        return self._report

    def outcome_counts(self) -> tuple[int, int, int]:
        """Numbers of accepted, quarantined and rejected input rows."""
        if self._status is not None:
            st = self._status
        else:
            st = self.report["outcome"].to_numpy(dtype=object)
        return int((st == "accepted").sum()), int((st == "quarantined").sum()), int((st == "rejected").sum())

    def add_reason(self, row: int, code: str) -> None:
        """Append ``code`` to the reasons of input row position ``row`` in the report."""
        if callable(self._report) and self._reasons is not None:
            self._reasons[row] = list(self._reasons[row]) + [code]
        else:
            rep = self.report
            rep.at[rep.index[row], "reasons"] = list(rep["reasons"].iat[row]) + [code]


# --------------------------------------------------------------------------------------------
# the shared state of one run
# --------------------------------------------------------------------------------------------

@dataclass
class Rows:
    """The rows of one run and what the stages have found so far.

    ``frame`` is the table to parse (cells without a value blanked), ``raw_frame`` the table as
    read (for the raw values of the quarantine); ``R`` the reason masks; ``raw_vals`` the raw
    column kept per field for each record's ``raw`` JSON (in the order the stages meet them);
    ``ok_row`` the rows without a line fault (repeated header, malformed line, total line), and
    ``all_ok`` whether every row is.
    """

    raw: readers.RawTable
    profile: dict
    raw_frame: pd.DataFrame
    frame: pd.DataFrame
    n: int
    mapping: dict
    consts: dict
    R: Reasons
    warnings: list[str]
    blanked: set
    ok_row: np.ndarray
    all_ok: bool
    row_numbers: np.ndarray
    raw_vals: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def decimal(self) -> str:
        """The file's decimal mark (``"."`` when the reader did not say)."""
        return getattr(self.raw, "decimal", ".") or "."

    def col(self, name: str) -> pd.Series | None:
        """The column mapped onto field ``name``, as read (None when unmapped)."""
        return mapped_column(self.frame, self.mapping, name)

    def clean_col(self, name: str) -> pd.Series | None:
        """The column mapped onto ``name`` with its placeholders (``N/A``, ``-``, ``S/N``...) made
        missing (:func:`intel.parse.without_placeholders`); the raw column stays in ``frame``."""
        s = self.col(name)
        return None if s is None else parse.without_placeholders(s)

    def const_or(self, series: pd.Series | None, const, clean: bool = True) -> pd.Series:
        """Stripped text of ``series`` (placeholders made missing unless ``clean`` is False),
        ``const`` where missing."""
        if series is None:
            return const_text(const, self.n)
        t = text_column(parse.without_placeholders(series) if clean else series, self.n)
        return t.where(t.notna(), const) if const is not None else t

    def valid(self, s: pd.Series) -> pd.Series:
        """``s`` with the rows that have a line fault made missing (``s`` itself when none has)."""
        return s if self.all_ok else s.where(pd.Series(self.ok_row, index=s.index))


# --------------------------------------------------------------------------------------------
# the pipeline
# --------------------------------------------------------------------------------------------

def run(raw: readers.RawTable, profile: dict, *, date_order: str | None = None, crs: str | None = None,
        gazetteer: pd.DataFrame | None = None) -> Prepared:
    """Turn a raw table into store-ready records, quarantine rows and a per-row report.

    Parameters
    ----------
    raw : readers.RawTable
    profile : dict
        Mapping ``columns`` (field -> column), ``constants`` (field -> value), ``kind``, ``source``,
        optional ``gazetteer``, ``place_code``, ``fiscal_date``, ``date_recovery``, ``item_map``,
        ``attrs``, ``date_order``.
    date_order : {'dayfirst', 'monthfirst', 'iso'}, optional
        The analyst's choice when the file's dates are ambiguous.
    crs : str, optional
        CRS of projected coordinates (e.g. 'EPSG:32630'); without it they are quarantined.
    gazetteer : pandas.DataFrame, optional
        The profile's gazetteer indexed by ``place`` (columns ``latitude``, ``longitude`` in
        degrees, ``location_precision``, ``place_type``, optional ``region``, ``admin1``,
        ``location_name``, ``uncertainty_km``); used when the profile maps a ``place`` column.

    Returns
    -------
    Prepared

    Raises
    ------
    NeedsChoice
        When the dates' order cannot be decided from the file and none was given.
    ValueError
        When the profile locates by a gazetteer place and no ``gazetteer`` is given.
    """
    if profile.get("gazetteer") and (profile.get("columns") or {}).get("place") and gazetteer is None:
        raise ValueError(f"profile {profile.get('name')!r} locates records by its gazetteer: pass the gazetteer")
    rows = read_rows(raw, profile)
    src_id, incident_key = read_ids(rows)
    dates, date_prec = read_dates(rows, date_order)
    iso3 = read_country(rows)
    loc = locate(rows, iso3, crs, gazetteer if profile.get("gazetteer") and rows.mapping.get("place") else None)
    items = describe_items(rows)
    quantity, firearms, ammo = read_counts(rows, items)
    route = read_markings_and_route(rows)
    out = decide_outcomes(rows, loc)
    reason_lists = row_reason_lists(rows.R)
    ev = events_frame(rows, out, loc, items, route, reason_lists, src_id, incident_key, dates, date_prec, iso3,
                      quantity, firearms, ammo)
    q = quarantine_frame(rows, out, loc, reason_lists, src_id)
    report = report_builder(rows, out, loc, items, route, reason_lists, src_id, dates, iso3, quantity, firearms, ammo)
    warn_shared_problems(rows)
    keep = out.st_code != 2
    ev = (ev if keep.all() else ev[keep]).reset_index(drop=False).rename(columns={"index": "_pos"})
    return Prepared(ev, q, report, rows.warnings, reasons=reason_lists, status=out.status)


# --------------------------------------------------------------------------------------------
# 1-2. rows, line faults, ids
# --------------------------------------------------------------------------------------------

def read_rows(raw: readers.RawTable, profile: dict) -> Rows:
    """The rows of ``raw`` with their line faults flagged.

    Cells that hold no value (``raw.cell_issues``) are blanked and their rows flagged
    (:func:`without_cell_issues`); a line that repeats the header in at least half its cells (2
    at least) gets ``REPEATED_HEADER``, a line the reader found malformed ``MALFORMED_LINE``, and a
    line holding only the total of the quantity column ``TOTAL_ROW`` (:func:`total_rows`).
    """
    n = len(raw.frame)
    mapping = dict(profile.get("columns") or {})
    R = Reasons(n)
    warnings: list[str] = list(raw.warnings)
    frame, blanked = without_cell_issues(raw, mapping, R)
    header_hits = np.zeros(n, dtype=int)
    for c in frame.columns:
        col = frame[c]
        if arrow_text(col) is not None:
            header_hits += (col == c).fillna(False).to_numpy(dtype=bool)
        else:
            header_hits += (col.astype(object) == c).to_numpy()
    R.add("REPEATED_HEADER", header_hits >= max(2, len(frame.columns) // 2))
    if "__malformed" in frame.columns:
        R.add("MALFORMED_LINE", frame["__malformed"].notna().to_numpy())
    ok_row = ~R.any({"REPEATED_HEADER", "MALFORMED_LINE"})
    all_ok = bool(ok_row.all())
    # a last line that holds only the total of the quantity column is not a record
    if mapping.get("quantity") in frame.columns:
        tot = total_rows(frame, mapping["quantity"]) & ok_row
        if tot.any():
            R.add("TOTAL_ROW", tot)
            ok_row = ok_row & ~tot
            all_ok = False
    return Rows(raw=raw, profile=profile, raw_frame=raw.frame, frame=frame, n=n, mapping=mapping,
                consts=dict(profile.get("constants") or {}), R=R, warnings=warnings, blanked=blanked,
                ok_row=ok_row, all_ok=all_ok, row_numbers=np.asarray(raw.row_numbers))


def read_ids(rows: Rows) -> tuple[pd.Series, pd.Series]:
    """(source record id, incident key) of each row as text: the row number where the file
    gives no id, the record id where it gives no incident key (the same Series object then)."""
    n = rows.n
    src_id = record_ids(rows.col("source_record_id"), n)
    inc = rows.col("incident_key")
    incident_key = record_ids(inc, n) if inc is not None else src_id
    if src_id.isna().any():
        src_id = src_id.where(src_id.notna(), pd.Series(rows.row_numbers.astype(str), dtype=object))
    if incident_key.isna().any():
        incident_key = incident_key.where(incident_key.notna(), src_id)
    return src_id, incident_key


def without_cell_issues(raw: readers.RawTable, mapping: dict, R: Reasons) -> tuple[pd.DataFrame, set]:
    """The frame with the mapped cells that hold no value blanked, their rows flagged.

    Cells listed in ``raw.cell_issues`` (spreadsheet errors, formulas never calculated) are
    not parsed: in a mapped column they become missing and their row gets the reason code
    (``CELL_ERROR`` or ``FORMULA_NOT_CALCULATED``), which holds it back. The raw frame keeps
    their text for the quarantine.

    Returns
    -------
    (pandas.DataFrame, set of str)
        The frame to parse and the names of the columns blanked.
    """
    issues = getattr(raw, "cell_issues", None) or {}
    used = {c for c in mapping.values() if c in issues}
    if not used:
        return raw.frame, set()
    frame = raw.frame.copy()
    pos_of = {int(r): i for i, r in enumerate(np.asarray(raw.row_numbers))}
    n = len(frame)
    for col in used:
        vals = frame[col].astype(object).to_numpy(copy=True)
        for code in sorted(set(issues[col].values())):
            m = np.zeros(n, dtype=bool)
            for rn, c in issues[col].items():
                if c == code and rn in pos_of:
                    m[pos_of[rn]] = True
            vals[m] = None
            R.add(code, m)
        frame[col] = pd.Series(vals, dtype=object, index=frame.index)
    return frame, used


def total_rows(frame: pd.DataFrame, qty_col: str) -> np.ndarray:
    """Rows whose only value is in ``qty_col`` and equals the sum of that column over the other
    rows (a spreadsheet's total line, e.g. Colombia's last line ``,,,,,,,,,"6,209"``)."""
    others = [c for c in frame.columns if c != qty_col and not str(c).startswith("__")]
    if not others or len(frame) < 2:
        return np.zeros(len(frame), dtype=bool)
    # rows still blank after each column: after the first column or two almost none are left, so
    # the text test runs on a handful of rows instead of every row of every column
    cand = np.arange(len(frame))
    for c in others:
        if not len(cand):
            break
        col = frame[c].iloc[cand]
        empty = col.isna().to_numpy() | (col.astype(object).astype(str).str.strip() == "").to_numpy()
        cand = cand[empty]
    blank = np.zeros(len(frame), dtype=bool)
    blank[cand] = True
    if not len(cand):
        return blank

    def digits(v):
        t = re.sub(r"\D", "", "" if v is None or v is pd.NA else str(v))
        return int(t) if t else 0

    q = np.array([digits(v) for v in frame[qty_col].astype(object)], dtype=np.int64)
    total = int(q.sum())
    out = np.zeros(len(frame), dtype=bool)
    for i in cand:
        out[i] = q[i] > 0 and q[i] == total - q[i]
    return out


# --------------------------------------------------------------------------------------------
# 3-4. dates, country
# --------------------------------------------------------------------------------------------

def read_dates(rows: Rows, date_order: str | None) -> tuple[pd.Series, pd.Series]:
    """(dates as datetime64, date precision) of each row, from the profile's ``fiscal_date``
    (fiscal year and month columns), its ``date_recovery`` (dates the publisher lost, recovered
    from weekday and row order: :mod:`intel.daterecover`) or the mapped date column
    (:func:`intel.dates.parse_dates`); NaT and a warning when no date column is mapped.

    Raises
    ------
    NeedsChoice
        When the dates can be read day-first or month-first and nothing says which.
    """
    profile = rows.profile
    if profile.get("fiscal_date"):
        dates, date_prec = fiscal_dates(rows.frame, profile["fiscal_date"])
    elif profile.get("date_recovery"):
        dates, date_prec = _recovered_dates(rows, profile["date_recovery"])
    else:
        dates, date_prec = _parsed_dates(rows, date_order)
    return pd.to_datetime(dates), date_prec


def fiscal_dates(frame: pd.DataFrame, spec: dict) -> tuple[pd.Series, pd.Series]:
    """First day of the month of a fiscal year (``spec``: ``fiscal_year`` and ``month`` columns,
    ``start_month`` of the fiscal year, default 10: US federal) and precision ``month``."""
    fy = frame[spec["fiscal_year"]].astype(str).str.extract(r"(\d{4})")[0]
    mon = frame[spec["month"]].astype(str).str.strip().str[:3].str.upper().map(MONTHS)
    start = int(spec.get("start_month", 10))
    fy_n = pd.to_numeric(fy, errors="coerce")
    year = np.where(mon >= start, fy_n - 1, fy_n)
    ok = ~(pd.isna(fy_n) | pd.isna(mon))
    dates = pd.to_datetime(
        pd.DataFrame({"year": np.where(ok, year, 2000), "month": np.where(ok, mon, 1), "day": 1}), errors="coerce"
    ).where(ok)
    return dates, pd.Series(np.where(ok, "month", None), dtype=object)


def _recovered_dates(rows: Rows, spec: dict) -> tuple[pd.Series, pd.Series]:
    """Dates the publisher lost, from the row's weekday and the rows' date order."""
    frame = rows.frame
    ds = rows.col("event_date")
    rows.raw_vals["date"] = ds
    rows.raw_vals["weekday"] = frame[spec["weekday"]]
    rec = recover_dates_from_weekday(ds, frame[spec["weekday"]], fmt=spec["format"],
                                     language=spec.get("language", "es"),
                                     period=tuple(spec["period"]) if spec.get("period") else None, valid=rows.ok_row)
    add_reason_lists(rows.R, rec.reasons)
    rows.warnings.append(rec.summary())
    return rec.dates, rec.precision


def _parsed_dates(rows: Rows, date_order: str | None) -> tuple[pd.Series, pd.Series]:
    """Dates of the mapped date column in the order chosen, stated or found in the file."""
    n, R = rows.n, rows.R
    ds = rows.col("event_date")
    if ds is None:
        rows.warnings.append("no date column mapped: records carry no date")
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]"), nones(n)
    rows.raw_vals["date"] = ds
    hints = getattr(rows.raw, "date_order_hints", None) or {}
    order = date_order or rows.profile.get("date_order") or hints.get(rows.mapping["event_date"]) or "auto"
    dr = parse_dates(rows.valid(ds), order=order, datemode=getattr(rows.raw, "datemode", 0))
    if dr.needs_choice:
        raise NeedsChoice(
            f"The dates in column {rows.mapping['event_date']!r} can be read day-first or month-first "
            "and the file does not say which. Choose the date order.", "date_order", ["dayfirst", "monthfirst"])
    add_reason_lists(R, dr.reasons)
    bad = ds.notna().to_numpy() & pd.isna(dr.dates).to_numpy() & rows.ok_row
    if bad.any():   # a placeholder ('N/D', '-') is no date, as a blank cell is
        cand = np.flatnonzero(bad)
        bad[cand[parse.placeholder_mask(ds.iloc[cand])]] = False
    R.add("DATE_INVALID", bad & ~R.any({"DATE_AMBIGUOUS"}))
    if dr.order_used not in ("iso",):
        rows.warnings.append(f"dates read {dr.order_used}")
    return dr.dates, dr.precision


def read_country(rows: Rows) -> pd.Series:
    """ISO 3166-1 alpha-3 code of each row's country (the mapped column, else the profile's
    constant); ``COUNTRY_UNKNOWN`` / ``COUNTRY_AMBIGUOUS`` flags for names that do not match."""
    n = rows.n
    cser = rows.col("country")
    if cser is not None:
        rows.raw_vals["country"] = cser
        cm = by_value(cser, n, nomenclature.match_countries, ["iso3", "country_flag"])
        iso3 = cm.col("iso3")
        cm.add_flags(rows.R, "country_flag")
    else:
        iso3 = null_text(n)
    if rows.consts.get("country"):
        ciso, _ = nomenclature.match_country(rows.consts["country"])
        iso3 = iso3.where(iso3.notna(), ciso)
    return iso3


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


# --------------------------------------------------------------------------------------------
# 6-8. items, counts, markings and route
# --------------------------------------------------------------------------------------------

@dataclass
class Items:
    """What was seized, per row: ``item`` (description as written), ``category``, ``ftype``
    (firearm type), ``calibre``, ``make``, ``ctx`` (criminal context), ``serial`` and
    ``serial_key`` (:mod:`intel.serials`), and whether a firearm type column is mapped."""

    item: pd.Series
    category: pd.Series
    ftype: pd.Series
    calibre: pd.Series
    make: pd.Series
    ctx: pd.Series
    serial: pd.Series
    serial_key: object
    type_mapped: bool


def describe_items(rows: Rows) -> Items:
    """Category and firearm type (the profile's ``item_map`` of descriptions, the mapped type
    column through the nomenclature), calibre, make, criminal context and serial numbers, with
    their flags (``FIREARM_TYPE_UNKNOWN``, ``CALIBRE_ASSUMED``, ``SERIAL_...``)."""
    n, R, profile = rows.n, rows.R, rows.profile
    item = text_column(rows.clean_col("item_description"), n)
    category = rows.const_or(rows.col("category"), rows.consts.get("category"))
    ftype = null_text(n)
    if profile.get("item_map"):
        imap = profile["item_map"]
        category = item.map(lambda v: (imap.get(v) or [None, None])[0]).where(item.notna(), category)
        ftype = item.map(lambda v: (imap.get(v) or [None, None])[1])
    ft_s = rows.col("firearm_type")
    if ft_s is not None:
        rows.raw_vals["firearm_type"] = ft_s
        fm = by_value(ft_s, n, nomenclature.match_firearm_types, ["firearm_type", "category", "type_flag"])
        f_type, f_cat = fm.col("firearm_type"), fm.col("category")
        ftype = f_type.where(f_type.notna(), ftype)
        category = f_cat.where(f_cat.notna(), category)
        fm.add_flags(R, "type_flag")
    if profile.get("item_map") and profile.get("item_map_last"):
        # the item map decides the category over the type (Ecuador: a blank-firing "PISTOLA" is
        # not a firearm); its firearm type, where it gives one, too
        imap = profile["item_map"]
        cat2 = item.map(lambda v: (imap.get(v) or [None, None])[0])
        typ2 = item.map(lambda v: (imap.get(v) or [None, None])[1])
        category = cat2.where(cat2.notna(), category)
        ftype = typ2.where(typ2.notna(), ftype)
    cal_s = rows.col("calibre")
    calibre = null_text(n)
    if cal_s is not None:
        rows.raw_vals["calibre"] = cal_s
        cm = by_value(cal_s, n, nomenclature.match_calibres, ["calibre", "calibre_flag"])
        calibre = cm.col("calibre")
        cm.add_flags(R, "calibre_flag")
    make_s = rows.clean_col("make")
    make = text_column(make_s, n)
    if make_s is not None:
        make = map_value(make, lambda v: None if v is None else (nomenclature.match_make(v)[0] or v))
    ctx_s = rows.col("criminal_context")   # "n/a" is its context "unknown"
    ctx = text_column(ctx_s, n)
    if ctx_s is not None:
        ctx = map_value(ctx, lambda v: None if v is None else (nomenclature.match_criminal_context(v)[0] or v))
    ser_raw = rows.col("serial_number")
    # 'S/N', 'OBLITERATED', 'N/A': no usable serial -- never a match key, never a re-seizure lead
    ser_s = parse.without_placeholders(ser_raw) if ser_raw is not None else None
    serial = serials.serial_text(ser_s) if ser_s is not None else null_text(n)
    serial_key = serials.serial_key(ser_s) if ser_s is not None else serial  # = key of serial_text
    if ser_s is not None:
        rows.raw_vals["serial_number"] = ser_raw
        add_reason_lists(R, serials.serial_flags(ser_s))
    return Items(item, category, ftype, calibre, make, ctx, serial, serial_key, ft_s is not None)


def read_counts(rows: Rows, items: Items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quantity, firearms, ammunition) per row as floats: quantity 1 where no column is mapped
    (NaN where a mapped cell is blank), firearms the quantity of firearm rows (NaN for discharge
    incidents, which count events, not guns), ammunition the quantity of ammunition rows when
    no ammunition column says otherwise. Counts not written as plain digits keep their raw text."""
    n = rows.n
    dec = rows.decimal
    thou = getattr(rows.raw, "thousands", None)
    qty_s = rows.col("quantity")
    quantity = (parse.parse_numbers(qty_s, dec, thou, integer=True).to_numpy(dtype=float) if qty_s is not None
                else np.ones(n))
    quantity = np.where(np.isnan(quantity), 1.0 if qty_s is None else np.nan, quantity)
    ammo_s = rows.col("ammunition")
    ammo = (parse.parse_numbers(ammo_s, dec, thou, integer=True).to_numpy(dtype=float) if ammo_s is not None
            else np.full(n, np.nan))
    # counts written other than as plain digits ('1.500', '١٢', 'N/A') keep their raw text
    for name, col in (("quantity", qty_s), ("ammunition", ammo_s)):
        if col is not None and not plain_digits(col):
            rows.raw_vals[name] = col
    category, ftype = items.category, items.ftype
    is_firearm = equal_mask(category, "firearm") | (category.isna().to_numpy() & ftype.notna().to_numpy()
                                                    & items.type_mapped)
    firearms = np.where(is_firearm, np.nan_to_num(quantity, nan=1.0), 0.0)
    if rows.profile.get("kind") == "discharge incident":
        firearms = np.full(n, np.nan)
    ammo = np.where(np.isnan(ammo) & equal_mask(category, "ammunition"), quantity, ammo)
    return quantity, firearms, ammo


def plain_digits(s: pd.Series) -> bool:
    """Whether every non-missing value of ``s`` is ASCII digits only, or a whole number (a
    spreadsheet cell): nothing to convert, so no raw text to keep (Arrow text: one pass)."""
    a = parse.arrow_str(s)
    if a is None:
        def plain(v):
            if v is None or parse.is_missing(v):
                return True
            if isinstance(v, str):
                return v.isascii() and v.isdigit()
            return parse.is_number(v) and float(v).is_integer()
        return all(plain(v) for v in pd.unique(parse.as_object(s)))
    return bool(pac.all(pac.or_kleene(pac.ascii_is_decimal(a), pac.is_null(a))).as_py() is not False)


@dataclass
class Route:
    """Direction (inbound/outbound) and the countries of origin, destination, manufacture and
    last legal import (ISO 3166-1 alpha-3) of each row."""

    direction: pd.Series
    origin_iso3: pd.Series
    destination_iso3: pd.Series
    manufacture_iso3: pd.Series
    last_import_iso3: pd.Series


def read_markings_and_route(rows: Rows) -> Route:
    """Flag releasability markings nobody can read (``RELEASABILITY_UNREADABLE``: held back, not
    guessed; read on the values as written, not stripped: a cell of only spaces is unreadable,
    never "no marking"), then read direction and the other countries of each row."""
    n = rows.n
    rel_s = rows.col("releasability")
    if rel_s is not None:
        rel_codes, rel_uniq = pd.factorize(rel_s.astype(object).where(rel_s.notna(), None).to_numpy(dtype=object),
                                           use_na_sentinel=True)
        rel_codes = rel_codes.astype(np.int64)
        rel_codes[rel_codes < 0] = len(rel_uniq)
        rel_tab = releasability_flags(pd.Series(list(rel_uniq) + [None], dtype=object))
        Coded(rel_codes, rel_tab[["rel_flag"]]).add_flags(rows.R, "rel_flag")

    direction = map_value(text_column(rows.clean_col("direction"), n),
                          lambda v: None if v is None else DIRECTIONS.get(v.strip().lower()))

    def country_field(name):
        s = rows.col(name)
        if s is None:
            return null_text(n)
        rows.raw_vals[name] = s
        m = by_value(s, n, nomenclature.match_countries, ["iso3", "country_flag"])
        m.add_flags(rows.R, "country_flag")
        return m.col("iso3")

    return Route(direction, country_field("origin_country"), country_field("destination_country"),
                 country_field("country_of_manufacture"), country_field("last_legal_import_country"))


def own_marking(series: pd.Series | None, const, n: int) -> pd.Series:
    """Each record's own marking as written (surrounding spaces kept, so that a cell of only
    spaces stays unreadable); ``const`` (the batch's marking) where the cell is missing or empty."""
    if series is None:
        return const_text(const, n)
    t = series.astype(object).where(series.notna(), None)
    t = t.map(lambda v: None if v is None or str(v) == "" else str(v))
    return t.where(t.notna(), const) if const is not None else t


def releasability_flags(values: pd.Series) -> pd.DataFrame:
    """``rel_flag``: ``RELEASABILITY_UNREADABLE`` for each marking :func:`intel.auth.parse_releasability`
    cannot read, else None."""
    def flag(v):
        try:
            parse_releasability(v)
        except ValueError:
            return "RELEASABILITY_UNREADABLE"
        return None

    return pd.DataFrame({"rel_flag": [flag(v) for v in values]})


# --------------------------------------------------------------------------------------------
# 9. outcomes
# --------------------------------------------------------------------------------------------

@dataclass
class Outcomes:
    """Each row's outcome: masks ``accepted``, ``quarantined``; ``st_code`` (0 accepted, 1
    quarantined, 2 rejected) and ``status`` (its label); ``ev_status`` (the stored status:
    ``unlocated`` for rows held back for their location only); ``lat``/``lon`` as decided and
    ``lat_store``/``lon_store`` as stored (accepted rows only); ``binable`` and ``cells`` (H3 at
    the fine resolution, 0 where not binned)."""

    accepted: np.ndarray
    quarantined: np.ndarray
    st_code: np.ndarray
    status: np.ndarray
    ev_status: object
    lat: np.ndarray
    lon: np.ndarray
    lat_store: np.ndarray
    lon_store: np.ndarray
    binable: np.ndarray
    cells: np.ndarray


def decide_outcomes(rows: Rows, loc: Location) -> Outcomes:
    """Rejected (a :data:`~intel.reasons.REJECT` code), quarantined (a
    :data:`~intel.reasons.QUARANTINE` code) or accepted; a line fault rejects a row for that
    alone (its cells are not values). Accepted rows with coordinates are binned at
    :data:`~intel.config.FINE_RES`, except areas and lines wider than any map cell."""
    R, n = rows.R, rows.n
    line_fault = R.any({"REPEATED_HEADER", "MALFORMED_LINE"})
    if line_fault.any():
        for code in list(R.masks):
            if code not in ("REPEATED_HEADER", "MALFORMED_LINE"):
                R.masks[code] = R.masks[code] & ~line_fault
    rejected = R.any(REJECT)
    quarantined = R.any(QUARANTINE) & ~rejected
    accepted = ~rejected & ~quarantined
    lat, lon = np.where(accepted, loc.lat, np.where(quarantined, loc.lat, np.nan)), loc.lon
    cells = np.zeros(n, dtype="uint64")
    binable = accepted & np.isfinite(lat) & np.isfinite(lon)
    if loc.from_geometry:   # an area or line wider than any map cell is drawn over its area, never binned as a point
        binable &= hexbin.usable_mask(RESOLUTIONS["map"][0], loc.precision.to_numpy(dtype=object), loc.uncertainty)
    if binable.any():
        cells[binable] = hexbin.bin_points(lat[binable], lon[binable], FINE_RES)
    st_code = np.where(accepted, 0, np.where(quarantined, 1, 2)).astype(np.int8)
    status = np.array(["accepted", "quarantined", "rejected"], dtype=object)[st_code]
    # a record whose only problems are about its location stays usable for non-spatial totals
    # (counts by country, trends): stored as 'unlocated', never binned, listed in the quarantine
    only_loc = quarantined & ~R.any(QUARANTINE - LOCATION_REASONS)
    ev_status = label_column(np.where(accepted, 0, np.where(quarantined, np.where(only_loc, 3, 1), 2)),
                             ["accepted", "quarantined", "rejected", "unlocated"])
    # quarantined rows never reach a map
    return Outcomes(accepted, quarantined, st_code, status, ev_status, lat, lon,
                    np.where(accepted, lat, np.nan), np.where(accepted, lon, np.nan), binable, cells)


# --------------------------------------------------------------------------------------------
# 10. outputs: events, quarantine, report
# --------------------------------------------------------------------------------------------

def _raw_json(rows: Rows) -> object:
    """Each record's kept raw values as JSON text (cells not parsed keep their raw text)."""
    raw_vals = rows.raw_vals
    for k, s in list(raw_vals.items()):   # cells not parsed (spreadsheet errors, formulas) keep their raw text
        if getattr(s, "name", None) in rows.blanked:
            raw_vals[k] = rows.raw_frame[s.name]
    return raw_field_json(raw_vals, rows.n)


def _attrs_json(rows: Rows):
    """Each record's other columns as JSON text: the profile's ``attrs``, else (user files)
    every column not mapped onto a field (fields without a store column of their own, notes and
    parts, too)."""
    frame, n = rows.frame, rows.n
    if rows.profile.get("attrs") is not None:
        attrs_cols = [c for c in rows.profile["attrs"] if c in frame.columns]
    else:
        mapped = {c for f, c in rows.mapping.items() if f not in ("notes", "parts_components")}
        attrs_cols = [c for c in frame.columns if c not in mapped and not str(c).startswith("__")]
    if attrs_cols and all(arrow_text(frame[c]) is not None for c in attrs_cols):
        # Arrow text columns: the same JSON text, built by DuckDB instead of a Python loop per row
        return pd.Series(raw_field_json({c: frame[c] for c in attrs_cols}, n))
    return (frame[attrs_cols].astype(object).where(frame[attrs_cols].notna(), None)
            .apply(lambda r: json.dumps(r.to_dict(), default=str, ensure_ascii=False), axis=1)
            if attrs_cols else nones(n))


def events_frame(rows: Rows, out: Outcomes, loc: Location, items: Items, route: Route, reason_lists: np.ndarray,
                 src_id: pd.Series, incident_key: pd.Series, dates: pd.Series, date_prec, iso3: pd.Series,
                 quantity: np.ndarray, firearms: np.ndarray, ammo: np.ndarray) -> pd.DataFrame:
    """One row per input row in the columns of the ``events`` table (rejected rows included;
    :func:`run` drops them), text columns Arrow-backed where they were read so."""
    n, consts, profile, accepted = rows.n, rows.consts, rows.profile, out.accepted
    raw_json = _raw_json(rows)
    attrs_json = _attrs_json(rows)
    ev = {
        "row_number": rows.row_numbers.astype("int64"),
        "source": profile.get("source") or profile.get("name") or "upload",
        "source_record_id": frame_values(src_id),
        "incident_key": frame_values(incident_key),
        "status": out.ev_status,
        "kind": frame_values(rows.const_or(rows.col("kind"), profile.get("kind") or "seizure", clean=False)),
        "event_date": pd.to_datetime(dates).to_numpy(),
        "date_precision": np.asarray(date_prec, dtype=object),
        "latitude": out.lat_store,
        "longitude": out.lon_store,
        "location_precision": frame_values(loc.precision.where(accepted, text_where(iso3.notna().to_numpy(),
                                                                                    "country", None))),
        # only a located accepted record keeps its own radius (else its class radius applies)
        "uncertainty_km": np.where(accepted & np.isfinite(out.lat_store), loc.uncertainty, np.nan),
        "location_name": frame_values(loc.location_name),
        "country_iso3": frame_values(iso3),
        "admin1": frame_values(loc.admin1),
        "region": frame_values(loc.region),
        "place_type": frame_values(loc.place_type),
        "direction": frame_values(route.direction),
        "transport_mode": frame_values(text_column(rows.clean_col("transport_mode"), n)),
        "seizing_agency": frame_values(rows.const_or(rows.col("seizing_agency"), consts.get("seizing_agency"))),
        "unit": frame_values(text_column(rows.clean_col("unit"), n)),
        "category": frame_values(items.category),
        "firearm_type": frame_values(items.ftype),
        "item_description": frame_values(items.item),
        "make": frame_values(items.make),
        "model": frame_values(text_column(rows.clean_col("model"), n)),
        "calibre": frame_values(items.calibre),
        "serial_number": frame_values(items.serial),
        "serial_key": np.asarray(items.serial_key, dtype=object),
        "other_markings": frame_values(text_column(rows.clean_col("other_markings"), n)),
        "quantity": quantity,
        "firearms": firearms,
        "ammunition": ammo,
        "criminal_context": frame_values(items.ctx),
        "origin_iso3": frame_values(route.origin_iso3),
        "destination_iso3": frame_values(route.destination_iso3),
        "manufacture_iso3": frame_values(route.manufacture_iso3),
        "last_import_iso3": frame_values(route.last_import_iso3),
        "h3_cell": out.cells,
        "border_km": np.nan,
        "border_pair": None,
        "border_segment": None,
        "flags": reason_lists,
        "raw": raw_json,
        "attrs": attrs_json.array if arrow_text(attrs_json) is not None else attrs_json.to_numpy(),
        # a marking is never a placeholder: 'N/A' stays as written and is held back as unreadable,
        # and so does a cell of only spaces (stored as written: stripped, it would take the
        # batch's marking and be shown to the batch's readers)
        "releasability": frame_values(own_marking(rows.col("releasability"), consts.get("releasability"), n)),
    }
    # text columns as the DataFrame constructor would infer them (str, or object when all missing
    # or not all text), without its slow per-value inference
    same_key = incident_key is src_id
    ev = {k: v if k == "flags" or (k == "incident_key" and same_key) else as_text_column(v, n) for k, v in ev.items()}
    if same_key:   # one column of text converted once
        ev["incident_key"] = ev["source_record_id"]
    return pd.DataFrame(ev)


def quarantine_frame(rows: Rows, out: Outcomes, loc: Location, reason_lists: np.ndarray,
                     src_id: pd.Series) -> pd.DataFrame:
    """One row per input row that is not plainly accepted, with its full raw row verbatim
    (JSON; a malformed line's text under ``__line``), outcome, reasons and their sentences."""
    frame, raw_frame = rows.frame, rows.raw_frame
    nq = np.flatnonzero(~out.accepted)
    raw_cols = [c for c in frame.columns if not str(c).startswith("__")]
    q_cols = [raw_frame[c].iloc[nq].astype(object).to_numpy() for c in raw_cols] if len(nq) else []
    q_mal = frame["__malformed"].iloc[nq].to_numpy(dtype=object) if "__malformed" in frame.columns and len(nq) else None

    def raw_row(k: int) -> str:
        line = ({"__line": q_mal[k]} if q_mal is not None and q_mal[k] is not None and q_mal[k] is not pd.NA else {})
        return json.dumps({c: jsonable(None if col[k] is pd.NA else col[k]) for c, col in zip(raw_cols, q_cols)}
                          | line, ensure_ascii=False)

    return pd.DataFrame({
        "row_number": rows.row_numbers[nq].astype("int64"),
        "source_record_id": object_values(src_id.iloc[nq]),
        "outcome": out.status[nq],
        "reasons": [reason_lists[i] for i in nq],
        "detail": ["; ".join(REASON_TEXT.get(c, c) for c in reason_lists[i]) for i in nq],
        "raw": [raw_row(k) for k in range(len(nq))],
        "suggested_latitude": loc.sug_lat[nq],
        "suggested_longitude": loc.sug_lon[nq],
        "_pos": nq,
    })


def report_builder(rows: Rows, out: Outcomes, loc: Location, items: Items, route: Route, reason_lists: np.ndarray,
                   src_id: pd.Series, dates: pd.Series, iso3: pd.Series, quantity: np.ndarray, firearms: np.ndarray,
                   ammo: np.ndarray) -> Callable[[], pd.DataFrame]:
    """A callable building the per-row report (one row per input row) on first use; the point
    is binned directly at resolution 7 for ``h3_res7`` (not the parent of the stored cell)."""
    n, lat, lon, binable = rows.n, out.lat, out.lon, out.binable

    def build() -> pd.DataFrame:
        h7 = np.zeros(n, dtype="uint64")
        if binable.any():
            h7[binable] = hexbin.bin_points(lat[binable], lon[binable], 7)
        return pd.DataFrame({
            "row_number": rows.row_numbers.astype("int64"),
            "source_record_id": object_values(src_id),
            "outcome": out.status,
            "reasons": reason_lists,
            "latitude": np.where(np.isfinite(lat), lat, np.nan),
            "longitude": np.where(np.isfinite(lon), lon, np.nan),
            "date": iso_strings(dates),
            "country_iso3": object_values(iso3),
            "origin_iso3": object_values(route.origin_iso3),
            "destination_iso3": object_values(route.destination_iso3),
            "calibre": object_values(items.calibre),
            "serial_number": object_values(items.serial),
            "firearm_type": object_values(items.ftype),
            "quantity": quantity,
            "firearms": firearms,
            "ammunition": ammo,
            "h3_res7": hex_strings(h7),
            "suggested_latitude": loc.sug_lat,
            "suggested_longitude": loc.sug_lon,
        })

    return build


def warn_shared_problems(rows: Rows) -> None:
    """Warn when many rows (at least 5 and 20 % of 10 or more) share one reason code."""
    n = rows.n
    for code, m in rows.R.masks.items():
        k = int(m.sum())
        if n >= 10 and k >= max(5, 0.2 * n):
            rows.warnings.append(f"{k} of {n} rows ({k / n:.0%}) share {code}: {REASON_TEXT.get(code, code)}")
