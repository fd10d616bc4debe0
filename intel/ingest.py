"""The one road in: read -> map columns -> parse -> validate -> nomenclature -> locate -> bin -> store.

Every file, the bundled real sources included, enters the store through :func:`import_file`
(the ``intel import`` verb and the Import page call it; ``intel build`` calls it for the
bundled sources). A *profile* tells how a source's columns map onto the standard fields
(:data:`FIELDS`); without one, :func:`suggest_mapping` proposes a mapping from column names in
several languages, which the analyst confirms (and may save as a profile).

Outcomes
--------
Each input row ends in exactly one of:

``accepted``
    stored in ``events`` with ``status='accepted'``; binned and used by every analysis.
``quarantined``
    stored in ``events`` with ``status='quarantined'`` (coordinates cleared when the location is
    the problem, so nothing reaches a map) *and* listed in ``quarantine`` with its raw row and
    reasons, until an analyst decides.
``rejected``
    a value cannot be used at all (a latitude of -99, minutes of 61, a repeated header line):
    listed in ``quarantine`` with its raw row and reasons, not in ``events``.

Flags that do not block a record (``CALIBRE_ASSUMED``, ``DATE_SERIAL_AS_TEXT``, ...) stay on
the record in ``events.flags``. An import is one transaction and is idempotent: a file already
imported with the same profile and options (same SHA-256) changes nothing.

Re-import
---------
A record that carries a source record id is keyed on (source, source record id): when a later
file of the same source brings that id again and the stored record is one the importer may see,
the stored record is *updated* (its values and marking replaced, keeping its ``event_id``, moved
to the new batch, whose marking then applies; the replaced versions and their batches are in an
``import.update`` audit line) or found *unchanged* (same values and batch marking, or an
analyst's decision on it and the same input: the decision is kept) rather than stored again. The
import result counts ``new``, ``updated`` and ``unchanged`` records. A record of another batch
that the importer may not see is never matched: the row is stored as a new record. Rows without
a record id keep the file-level idempotency below and the deduplication of :mod:`intel.dedup`.
:func:`set_batch_marking` changes the marking of a batch in place (audited).

What an import compares with: re-import matching, deduplication (``PROBABLE_DUPLICATE`` and the
incident key it copies) and re-seizure leads (``RESEIZURE_LEAD``) look only at stored records
the importing account may see (:func:`intel.auth.visible_events_sql`; the CLI and ``intel build``
see everything), and a file already imported into a batch the importer may not see is reported
as "already imported" without naming that batch.

Atomicity under faults: everything an import writes (the batch row, its events, its quarantine rows
and its audit line) is written inside one transaction, so a process killed at any moment (even
``kill -9`` while DuckDB commits) leaves the store with either none of the file or all of it with
its batch row and audit line, and importing the file again lands it exactly once. The test
(``tests/test_import_kill.py``) kills an importing process at named phases; for that, and only
when the environment variable :data:`PAUSE_ENV` names a phase (``before_events``,
``after_events``, ``before_commit``), the importer prints ``intel-test-pause <phase>`` to stderr
and sleeps there (:func:`_pause_point`).

The rules here are written over whole columns; the column building blocks (Arrow-backed text,
per-distinct-value lookups, reason masks, raw-value JSON) are in :mod:`intel.columns`, the
typed Arrow tables handed to DuckDB in :mod:`intel.tables`.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from intel import coords, hexbin, nomenclature, parse, readers, serials
from intel.dates import parse_dates
from intel.columns import (add_reason_lists, by_value, mapped_column, const_text, equal_mask, record_ids, text_column, hex_strings, iso_strings,
                           jsonable, label_column, map_value, nones, null_text, object_values, arrow_text, raw_field_json,
                           row_reason_lists, Reasons, as_text_column, text_objects, text_where, frame_values)
from intel.tables import ROW_GROUP_ROWS, arrow_table_fast, dictionary_text
from intel.borders.distance import border_distance
from intel.config import DATA_DIR, PROFILES_DIR, RESOLUTIONS
from intel.config import FINE_RES
from intel import store
from intel.store import audit, refresh_incidents, transaction


PAUSE_ENV = "INTEL_TEST_PAUSE_AT"
"""Environment variable naming an import phase at which the importer pauses (fault-injection tests
only; unset in normal use). ``INTEL_TEST_PAUSE_SECONDS`` sets how long (default 3600 s)."""
PAUSE_PHASES = ("before_events", "after_events", "before_commit")
"""Phases of the write at which :func:`_pause_point` can pause, in the order they are reached."""


def _pause_point(phase: str) -> None:
    """Pause at ``phase`` when :data:`PAUSE_ENV` names it (a test kills the process there).

    Prints ``intel-test-pause <phase>`` to stderr, then sleeps ``INTEL_TEST_PAUSE_SECONDS``
    (default 3600) seconds and carries on. Does nothing when the variable is unset.
    """
    import os
    import sys
    import time

    if os.environ.get(PAUSE_ENV) != phase:
        return
    print(f"intel-test-pause {phase}", file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("INTEL_TEST_PAUSE_SECONDS", "3600")))


# Reason codes and what they do to a row.
REJECT = {"LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE", "INVALID_DMS", "REPEATED_HEADER", "MALFORMED_LINE", "INVALID_H3",
          "COORDINATE_UNREADABLE", "TOTAL_ROW"}
QUARANTINE = {
    "CELL_ERROR", "FORMULA_NOT_CALCULATED", "MULTIPLE_LOCATIONS", "ENCODING_INVALID",
    "LATLON_SWAP_SUSPECTED", "PROJECTED_COORDINATES", "NULL_ISLAND", "MISSING_LOCATION", "HEMISPHERE_MISSING",
    "DATE_AMBIGUOUS", "DATE_INVALID", "COUNTRY_UNKNOWN", "COUNTRY_AMBIGUOUS", "PLACE_UNKNOWN",
    "PLACE_NOT_LOCATABLE", "COORDINATE_INVALID", "HEMISPHERE_AXIS_MISMATCH",
    "DATE_ORDER_CONFLICT", "DATE_OUT_OF_RANGE", "DATE_UNREADABLE", "RELEASABILITY_UNREADABLE",
    "DATE_NOT_RECOVERED", "DATE_WEEKDAY_CONFLICT",
}
LOCATION_REASONS = {
    "MULTIPLE_LOCATIONS",
    "LATLON_SWAP_SUSPECTED", "PROJECTED_COORDINATES", "NULL_ISLAND", "MISSING_LOCATION", "HEMISPHERE_MISSING",
    "LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE", "INVALID_DMS", "PLACE_UNKNOWN", "PLACE_NOT_LOCATABLE",
    "COORDINATE_INVALID", "COORDINATE_UNREADABLE", "HEMISPHERE_AXIS_MISMATCH",
}
REASON_TEXT = {
    "LATLON_SWAP_SUSPECTED": "latitude and longitude look swapped: checked against the declared country's borders "
                             "(25 km tolerance), the point as given is outside it (or out of range) and the swapped "
                             "point is inside it",
    "LAT_OUT_OF_RANGE": "latitude outside -90..90",
    "LON_OUT_OF_RANGE": "longitude outside -180..180",
    "PROJECTED_COORDINATES": "coordinates look projected (metres), not degrees; give the CRS to convert them",
    "NULL_ISLAND": "placeholder location at (0, 0) (Null Island)",
    "MISSING_LOCATION": "no location given",
    "INVALID_DMS": "degrees-minutes-seconds value with minutes or seconds of 60 or more",
    "HEMISPHERE_MISSING": "degrees-minutes-seconds without sign or hemisphere letter",
    "COORDINATE_INVALID": "coordinate text that cannot be read",
    "DATE_AMBIGUOUS": "date order (day-first or month-first) cannot be decided from the file",
    "DATE_INVALID": "date that cannot be read",
    "DATE_SERIAL_AS_TEXT": "Excel date serial stored as text",
    "COUNTRY_UNKNOWN": "country not recognised",
    "COUNTRY_AMBIGUOUS": "country name matches more than one country",
    "PLACE_UNKNOWN": "place name not in the source's gazetteer",
    "PLACE_NOT_LOCATABLE": "the place has no single location (e.g. CBP preclearance stations abroad)",
    "REPEATED_HEADER": "the line repeats the header",
    "MALFORMED_LINE": "the line has the wrong number of fields",
    "CALIBRE_ASSUMED": "calibre completed by assumption (e.g. '9mm' taken as 9x19mm)",
    "CALIBRE_AMBIGUOUS": "calibre matches several cartridges; kept raw",
    "CALIBRE_UNKNOWN": "calibre not in the nomenclature; kept raw",
    "PROBABLE_DUPLICATE": "probably the same seizure as a record of another agency: merged into its incident, left out of sums",
    "RESEIZURE_LEAD": "serial number already seized in another incident: linked as a re-seizure lead, not merged",
    "COORDINATE_UNREADABLE": "coordinate text that cannot be read as degrees",
    "HEMISPHERE_AXIS_MISMATCH": "hemisphere letter of the other axis (e.g. E in a latitude)",
    "DATE_ORDER_CONFLICT": "the file's dates disagree on day-first or month-first",
    "DATE_OUT_OF_RANGE": "date outside the plausible range (1990-2035 for Excel serials)",
    "DATE_UNREADABLE": "date text that cannot be read",
    "DATE_TWO_DIGIT_YEAR": "two-digit year completed",
    "SERIAL_NUMERIC_IN_SOURCE": "serial number stored as a number in the source (leading zeros may be lost)",
    "SERIAL_SCIENTIFIC_NOTATION": "serial number mangled into scientific notation by a spreadsheet",
    "FIREARM_TYPE_UNKNOWN": "firearm type not in the nomenclature; kept raw",
    "LOCATION_FROM_GAZETTEER": "located at the gazetteer place",
    "CELL_ERROR": "a cell of the row holds a spreadsheet error (#N/A, #REF!, #DIV/0!...) instead of a value; "
                  "the error text is kept in the raw values",
    "FORMULA_NOT_CALCULATED": "a formula cell was never calculated (no cached value, or the dummy 0 written by the "
                              "tool that made the workbook): its value is unknown; open and save the file in Excel",
    "ENCODING_INVALID": "a cell of the row held bytes that are not UTF-8 in a UTF-8 file; they were replaced by "
                        "\ufffd in the raw values: check the value at the source",
    "MULTIPLE_LOCATIONS": "the geometry holds points of several places (a MultiPoint kilometres wide): not one location",
    "LOCATION_FROM_GEOMETRY": "located at the representative point of an area or line; the location precision is "
                              "its extent, not an exact point",
    "DATE_DERIVED": "date lost by the publisher, recovered from the row's weekday and the rows' date order "
                    "(date precision 'day-derived')",
    "DATE_NOT_RECOVERED": "date lost by the publisher and not recoverable from weekday and row order",
    "DATE_WEEKDAY_CONFLICT": "the recorded date falls on another weekday than the row states",
    "TOTAL_ROW": "a line holding only the column total (not a record)",
    "RELEASABILITY_UNREADABLE": "releasability marking that cannot be read (write e.g. 'REL TO BFA, CIV, MLI' "
                                "or 'UNRESTRICTED'); held back until an analyst decides",
}

# Standard fields a column can be mapped onto, with the column names that suggest them.
FIELDS: dict[str, list[str]] = {
    "source_record_id": ["record_id", "id", "record", "folio", "event_id", "case_id", "case", "caso", "expediente", "numero", "id_registro", "reference", "ref", "n_pv", "no_pv", "numero_pv", "proces_verbal"],
    "incident_key": ["incident_key", "incident", "event", "seizure_id"],
    "event_date": ["seizure_date", "date", "fecha", "data", "datum", "date_saisie", "date_start", "start_date", "fecha_incautacion", "fecha_decomiso", "occ_date", "datum_oduzimanja", "recovery_date"],
    "latitude": ["latitude", "lat", "latitud", "y", "breite", "geo_lat", "sirina", "širina"],
    "longitude": ["longitude", "lon", "lng", "long", "longitud", "x", "laenge", "geo_lon", "duzina", "dužina"],
    "point": ["geometry", "point", "wkt", "geom", "coordenadas", "coordinates", "coords", "coordonnees", "coordenadas_gps",
              "latlon", "lat_lon", "lat_long", "latlng", "lat_lng", "gps", "gps_coordinates", "position", "mgrs",
              "mgrs_ref", "grid", "grid_ref", "grid_reference", "usng", "utm", "carroyage"],
    "easting": ["easting", "utm_easting", "utm_x", "x_utm", "utm_e", "este_utm", "e_utm"],
    "northing": ["northing", "utm_northing", "utm_y", "y_utm", "utm_n", "norte_utm", "n_utm"],
    "utm_zone": ["utm_zone", "zone_utm", "zone", "zona", "zona_utm", "huso", "fuseau"],
    "place": ["place_name", "place", "location", "lugar", "localidad", "ciudad", "city", "town", "ville", "mjesto", "municipio", "locality", "lieu", "localite"],
    "country": ["country", "pais", "país", "pays", "land", "drzava", "država", "country_code", "iso3", "iso2",
                "seizure_country", "recovery_country", "country_of_seizure"],
    "admin1": ["admin1", "adm_1", "adm1", "state", "province", "provincia", "estado", "departamento", "region_admin", "entity"],
    "region": ["region", "región"],
    "place_type": ["place_type", "tipo_lugar", "location_type", "type_lieu"],
    "seizing_agency": ["seizing_agency", "agency", "agencia", "institucion", "institución", "organisme", "agencija"],
    "unit": ["unit", "unidad", "division", "area_of_responsibility"],
    "criminal_context": ["criminal_context", "context", "contexto", "delito", "offence", "offense", "infraction"],
    "firearm_type": ["firearm_type", "type", "tipo", "tipo_arma", "weapon_type", "type_arme", "vrsta", "vrsta_oruzja", "category", "categoria", "type_d_arme", "type_arme_saisie"],
    "make": ["make", "marca", "marque", "manufacturer", "fabricante", "proizvodjac"],
    "model": ["model", "modelo", "modele", "modèle"],
    "calibre": ["calibre", "caliber", "calibro", "kalibar", "kaliber", "cal"],
    "serial_number": ["serial_number", "serial", "serie", "numero_serie", "n_serie", "no_serie", "serijski_broj", "serial_no", "sn", "n_de_serie", "no_de_serie", "numero_de_serie"],
    "other_markings": ["other_markings", "markings", "marcajes", "marquages"],
    "country_of_manufacture": ["country_of_manufacture", "pais_fabricacion", "manufacture_country"],
    "last_legal_import_country": ["last_legal_import_country", "last_import_country", "pais_importacion"],
    "origin_country": ["origin_country", "origin", "origen", "pais_origen", "departure_country", "provenance"],
    "destination_country": ["destination_country", "destination", "destino", "pais_destino"],
    "quantity": ["quantity", "cantidad", "quantite", "quantité", "kolicina", "količina", "qty", "number_of_firearms", "armas", "quantity_seized",
                 "cantidad_armas", "firearms", "n_firearms", "nombre_armes", "quantidade"],
    "ammunition": ["ammunition_rounds", "ammunition", "rounds", "municiones", "cantidad_municiones", "munitions", "municao", "municija"],
    "parts_components": ["parts_components", "parts", "piezas", "pieces"],
    "direction": ["direction", "inbound_outbound", "sentido", "direccion"],
    "transport_mode": ["transport_mode", "mode_of_transportation", "mode", "transporte"],
    "item_description": ["item_description", "description", "descripcion"],
    "kind": ["kind", "event_kind"],
    "notes": ["notes", "notas", "observaciones", "remarks", "comments"],
    "location_name": ["location_name", "neighbourhood", "barrio"],
    "releasability": ["releasability", "rel_to"],
}

DIRECTIONS = {"inbound": "inbound", "in": "inbound", "entrada": "inbound", "import": "inbound", "entrant": "inbound",
              "outbound": "outbound", "out": "outbound", "salida": "outbound", "export": "outbound", "sortant": "outbound"}
MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


class ImportError_(ValueError):
    """An import that cannot proceed; the message is a plain sentence for the analyst."""


class NeedsChoice(ImportError_):
    """The file cannot be read without a choice from the analyst (e.g. date order)."""

    def __init__(self, message: str, choice: str, options: list[str]):
        super().__init__(message)
        self.choice = choice
        self.options = options


@dataclass
class ImportResult:
    """What an import did. ``report`` has one row per input row (see :func:`report_frame`).

    ``new``, ``updated`` and ``unchanged`` count the stored records (accepted and quarantined
    rows) by what the import did to the store: stored as new records, replaced the values and
    marking of a record already stored under the same (source, source record id), or found it
    as it was (see "Re-import" in the module overview). ``already_imported`` with ``batch_id``
    None: the same file was imported before, into a batch the importer may not see.
    """

    batch_id: int | None
    file_name: str
    sha256: str
    rows_read: int
    accepted: int
    quarantined: int
    rejected: int
    already_imported: bool = False
    warnings: list[str] = field(default_factory=list)
    report: pd.DataFrame | None = None   # may be given as a callable: built on first read
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        if self.already_imported:
            if self.batch_id is None:   # a batch the importer may not see is never named
                return f"{self.file_name}: this file was already imported; nothing changed."
            return f"{self.file_name}: already imported as batch {self.batch_id}; nothing changed."
        text = (f"{self.file_name}: {self.rows_read} rows read, {self.accepted} accepted, "
                f"{self.quarantined} quarantined, {self.rejected} rejected (batch {self.batch_id}).")
        if self.updated or self.unchanged:
            text += (f" Records: {self.new} new, {self.updated} updated, {self.unchanged} unchanged "
                     "(matched by source record id).")
        return text


def _get_report(self):
    r = self.__dict__.get("_report")
    if callable(r):
        r = self.__dict__["_report"] = r()
    return r


def _set_report(self, value) -> None:
    self.__dict__["_report"] = value


# ``report`` is a property over the dataclass field: the per-row report of a large import is
# built only when someone reads it (the dataclass __init__ assigns through the setter)
ImportResult.report = property(_get_report, _set_report)


# --------------------------------------------------------------------------------------------
# profiles and column mapping
# --------------------------------------------------------------------------------------------

def _norm_name(s: str) -> str:
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


_NOISE_SUFFIX = re.compile(r"_(raw|txt|text|orig|original|value|val|str|string|given|as_given|src)$")
_NOISE_PREFIX = re.compile(r"^(recovery|seizure|seized|event|incident|occ|rec|record|reported|fecha_de)_")


def _name_variants(name: str) -> list[str]:
    v = [_norm_name(name)]
    for _ in range(2):
        more = []
        for x in v:
            more += [_NOISE_SUFFIX.sub("", x), _NOISE_PREFIX.sub("", x)]
        v += [m for m in more if m and m not in v]
    return v


def suggest_mapping(columns: list[str], frame: pd.DataFrame | None = None) -> dict[str, str]:
    """Suggest which column holds each standard field, from column names in several languages.

    A column name is compared with each field's synonyms (:data:`FIELDS`) as is, then without
    noise such as a ``_raw`` suffix or a ``recovery_`` prefix (``lat_raw`` -> latitude,
    ``recovery_country`` -> country). Exact matches win over stripped ones.

    With ``frame``, values decide where names cannot: when no coordinate field is suggested and
    the column suggested as a place name (``location``, ``lugar``, ``position``...) holds points
    in at least 80 % of its first 20 values ("lat, lon" pairs, WKT, MGRS, UTM), it is suggested
    as ``point`` instead (a place name column of "12.6392; -8.0029" is a point, not a name).

    Parameters
    ----------
    columns : list of str
        Column names as read.
    frame : pandas.DataFrame, optional
        The rows as read (only the first 20 values of the place column are looked at).

    Returns
    -------
    dict
        ``{field: column}`` for the fields found; a column is used for one field at most.
    """
    syn = {fld: {_norm_name(n) for n in [fld, *names]} for fld, names in FIELDS.items()}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for level in range(3):  # 0: exact name, 1-2: names with noise removed
        for c in columns:
            if c in used or str(c).startswith("__"):
                continue
            variants = _name_variants(c)
            cand = variants[:1] if level == 0 else variants[1:]
            for fld, names in syn.items():
                if fld not in mapping and any(v in names for v in cand):
                    mapping[fld] = c
                    used.add(c)
                    break
    if "latitude" in mapping and "longitude" in mapping:
        mapping.pop("point", None)
    coord_fields = {"latitude", "longitude", "point", "easting", "northing"}
    if frame is not None and "place" in mapping and not coord_fields & set(mapping) \
            and mapping["place"] in frame.columns and _holds_points(frame[mapping["place"]]):
        mapping["point"] = mapping.pop("place")
    return mapping


def _holds_points(col: pd.Series, sample: int = 20) -> bool:
    """Whether at least 80 % of the first ``sample`` non-missing values of ``col`` read as points."""
    v = parse.without_placeholders(col).dropna().head(sample)
    if len(v) == 0:
        return False
    p, _ = coords.split_point_column(v.astype(object))
    return bool(p["form"].notna().mean() >= 0.8)


def list_profiles(con=None) -> list[str]:
    """Names of the bundled profiles and those saved in the store."""
    names = sorted(p.stem for p in PROFILES_DIR.glob("*.json"))
    if con is not None:
        names += [r[0] for r in con.execute("SELECT name FROM profiles ORDER BY name").fetchall() if r[0] not in names]
    return names


def load_profile(name: str, con=None) -> dict:
    """A profile by name (store first, then ``data/profiles``) or by path to a JSON file.

    Raises
    ------
    ImportError_
        When no profile of that name exists.
    """
    if con is not None:
        row = con.execute("SELECT body FROM profiles WHERE name = ?", [name]).fetchone()
        if row:
            return json.loads(row[0])
    p = Path(name)
    if p.suffix == ".json" and p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    p = PROFILES_DIR / f"{name}.json"
    if p.exists():
        return json.loads(p.read_text(encoding="utf-8"))
    raise ImportError_(f"no import profile named {name!r}; known: {', '.join(list_profiles(con))}")


def save_profile(con, profile: dict, user: str | None = None) -> None:
    """Save a per-source profile (column mapping and options) in the store."""
    store.replace_row(con, "profiles", [profile["name"], json.dumps(profile)], "(?, ?, now())")
    audit(con, "profile.save", {"name": profile["name"]}, user)


# --------------------------------------------------------------------------------------------
# preparation (pure: no store writes)
# --------------------------------------------------------------------------------------------

class Prepared:
    """What :func:`prepare` gives: ``events`` (one row per stored record: accepted and
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


def _without_cell_issues(raw: readers.RawTable, mapping: dict, R: Reasons) -> tuple[pd.DataFrame, set]:
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


def _total_rows(frame: pd.DataFrame, qty_col: str) -> np.ndarray:
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


def _fiscal_dates(frame, spec) -> tuple[pd.Series, pd.Series]:
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


def _ccol(frame: pd.DataFrame, mapping: dict, name: str) -> pd.Series | None:
    """The column mapped onto ``name`` with its placeholders (``N/A``, ``-``, ``S/N``...) made
    missing (:func:`intel.parse.without_placeholders`); the raw column stays in ``frame``."""
    s = mapped_column(frame, mapping, name)
    return None if s is None else parse.without_placeholders(s)


def _convert_grid(x: pd.Series, y: pd.Series, zone: pd.Series | None, crs: str | None, decimal: str = "."):
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


def _plain_digits(s: pd.Series) -> bool:
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
    import pyarrow.compute as pac

    return bool(pac.all(pac.or_kleene(pac.ascii_is_decimal(a), pac.is_null(a))).as_py() is not False)


def _location_like_columns(frame: pd.DataFrame, mapping: dict, sample: int = 20) -> list[str]:
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


def _gazetteer(profile: dict) -> pd.DataFrame:
    g = pd.read_csv(DATA_DIR / profile["gazetteer"], dtype=str, keep_default_na=False)
    return g.set_index("place")


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


def prepare(raw: readers.RawTable, profile: dict, *, date_order: str | None = None, crs: str | None = None,
            file_name: str = "") -> Prepared:
    """Turn a raw table into store-ready records, quarantine rows and a per-row report.

    Parameters
    ----------
    raw : readers.RawTable
    profile : dict
        Mapping ``columns`` (field -> column), ``constants`` (field -> value), ``kind``, ``source``,
        optional ``gazetteer``, ``fiscal_date``, ``item_map``, ``attrs``, ``date_order``, ``crs``.
    date_order : {'dayfirst', 'monthfirst', 'iso'}, optional
        The analyst's choice when the file's dates are ambiguous.
    crs : str, optional
        CRS of projected coordinates (e.g. 'EPSG:32630'); without it they are quarantined.

    Raises
    ------
    NeedsChoice
        When the dates' order cannot be decided from the file and none was given.
    """
    frame = raw_frame = raw.frame
    n = len(frame)
    mapping = dict(profile.get("columns") or {})
    consts = dict(profile.get("constants") or {})
    R = Reasons(n)
    warnings: list[str] = list(raw.warnings)
    frame, blanked = _without_cell_issues(raw, mapping, R)

    # malformed lines and repeated headers
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
    src_id = record_ids(mapped_column(frame, mapping, "source_record_id"), n)
    inc = mapped_column(frame, mapping, "incident_key")
    incident_key = record_ids(inc, n) if inc is not None else src_id
    row_numbers = np.asarray(raw.row_numbers)
    if src_id.isna().any():
        src_id = src_id.where(src_id.notna(), pd.Series(row_numbers.astype(str), dtype=object))
    if incident_key.isna().any():
        incident_key = incident_key.where(incident_key.notna(), src_id)
    raw_vals: dict[str, pd.Series] = {}

    # a last line that holds only the total of the quantity column is not a record
    if mapping.get("quantity") in frame.columns:
        tot = _total_rows(frame, mapping["quantity"]) & ok_row
        if tot.any():
            R.add("TOTAL_ROW", tot)
            ok_row = ok_row & ~tot
            all_ok = False

    # ---- dates
    if profile.get("fiscal_date"):
        dates, date_prec = _fiscal_dates(frame, profile["fiscal_date"])
    elif profile.get("date_recovery"):   # dates the publisher lost: weekday + row order (intel.daterecover)
        from intel.daterecover import recover_dates_from_weekday

        spec = profile["date_recovery"]
        ds = mapped_column(frame, mapping, "event_date")
        raw_vals["date"] = ds
        raw_vals["weekday"] = frame[spec["weekday"]]
        rec = recover_dates_from_weekday(ds, frame[spec["weekday"]], fmt=spec["format"],
                                         language=spec.get("language", "es"),
                                         period=tuple(spec["period"]) if spec.get("period") else None, valid=ok_row)
        dates, date_prec = rec.dates, rec.precision
        add_reason_lists(R, rec.reasons)
        warnings.append(rec.summary())
    else:
        ds = mapped_column(frame, mapping, "event_date")
        if ds is None:
            dates = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
            date_prec = nones(n)
            warnings.append("no date column mapped: records carry no date")
        else:
            raw_vals["date"] = ds
            hints = getattr(raw, "date_order_hints", None) or {}
            order = date_order or profile.get("date_order") or hints.get(mapping["event_date"]) or "auto"
            dr = parse_dates(ds if all_ok else ds.where(pd.Series(ok_row, index=ds.index)), order=order,
                                   datemode=getattr(raw, "datemode", 0))
            if dr.needs_choice:
                raise NeedsChoice(
                    f"The dates in column {mapping['event_date']!r} can be read day-first or month-first "
                    "and the file does not say which. Choose the date order.", "date_order", ["dayfirst", "monthfirst"])
            dates, date_prec = dr.dates, dr.precision
            add_reason_lists(R, dr.reasons)
            bad = ds.notna().to_numpy() & pd.isna(dates).to_numpy() & ok_row
            if bad.any():   # a placeholder ('N/D', '-') is no date, as a blank cell is
                cand = np.flatnonzero(bad)
                bad[cand[parse.placeholder_mask(ds.iloc[cand])]] = False
            R.add("DATE_INVALID", bad & ~R.any({"DATE_AMBIGUOUS"}))
            if dr.order_used not in ("iso",):
                warnings.append(f"dates read {dr.order_used}")
    dates = pd.to_datetime(dates)

    # ---- country
    cser = mapped_column(frame, mapping, "country")
    if cser is not None:
        raw_vals["country"] = cser
        cm = by_value(cser, n, nomenclature.match_countries, ["iso3", "country_flag"])
        iso3 = cm.col("iso3")
        cm.add_flags(R, "country_flag")
    else:
        iso3 = null_text(n)
    if consts.get("country"):
        ciso, _ = nomenclature.match_country(consts["country"])
        iso3 = iso3.where(iso3.notna(), ciso)

    # ---- location
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    sug_lat = np.full(n, np.nan)
    sug_lon = np.full(n, np.nan)
    precision = const_text(consts.get("location_precision"), n)

    def const_or(series, const, clean: bool = True):
        """Stripped text of ``series`` (placeholders made missing unless ``clean`` is False),
        ``const`` where missing."""
        if series is None:
            return const_text(const, n)
        t = text_column(parse.without_placeholders(series) if clean else series, n)
        return t.where(t.notna(), const) if const is not None else t

    place_type = const_or(mapped_column(frame, mapping, "place_type"), consts.get("place_type"))
    location_name = const_or(mapped_column(frame, mapping, "location_name"), consts.get("location_name"))
    admin1 = const_or(mapped_column(frame, mapping, "admin1"), consts.get("admin1"))
    region = const_or(mapped_column(frame, mapping, "region"), consts.get("region"))
    has_coords = False
    from_geometry = False
    uncertainty = np.full(n, np.nan)   # km; the record's own radius where the gazetteer states one
    if profile.get("gazetteer") and mapping.get("place"):
        g = _gazetteer(profile)
        place = text_objects(frame[mapping["place"]], n)
        if profile.get("place_code"):   # codes written as the source writes them -> gazetteer key
            spec = profile["place_code"]
            place = map_value(place, lambda v: place_code(v, spec)).astype(object)
            place = place.where(place.notna(), None)
        raw_vals["place"] = frame[mapping["place"]]
        known = place.isin(g.index).to_numpy()
        R.add("PLACE_UNKNOWN", ~known & place.notna().to_numpy() & ok_row)
        R.add("MISSING_LOCATION", place.isna().to_numpy() & ok_row)
        gi = g.reindex(place.fillna(""))
        glat = pd.to_numeric(gi["latitude"].replace("", np.nan), errors="coerce").to_numpy()
        glon = pd.to_numeric(gi["longitude"].replace("", np.nan), errors="coerce").to_numpy()
        R.add("PLACE_NOT_LOCATABLE", known & np.isnan(glat) & ok_row)
        lat, lon = glat, glon
        precision = pd.Series(gi["location_precision"].replace("", None).to_numpy(), dtype=object).where(known, None)
        place_type = place_type.where(place_type.notna(), pd.Series(gi["place_type"].replace("", None).to_numpy(), dtype=object))
        location_name = location_name.where(location_name.notna(), place)
        if "region" in gi:
            region = region.where(region.notna(), pd.Series(gi["region"].replace("", None).to_numpy(), dtype=object))
        if "admin1" in gi:
            admin1 = admin1.where(admin1.notna(), pd.Series(gi["admin1"].replace("", None).to_numpy(), dtype=object))
        if "location_name" in gi and not mapping.get("location_name") and not consts.get("location_name"):
            # the gazetteer's name of a coded place (a DIVIPOLA code's municipality), not the code
            gname = pd.Series(gi["location_name"].replace("", None).to_numpy(), dtype=object)
            location_name = gname.where(gname.notna(), location_name)
        if "uncertainty_km" in gi:   # the radius of the place's own area (e.g. equal-area circle)
            uncertainty = pd.to_numeric(gi["uncertainty_km"].replace("", np.nan), errors="coerce").to_numpy(dtype=float)
        has_coords = True
    else:
        if mapping.get("place"):
            location_name = location_name.where(location_name.notna(), text_column(_ccol(frame, mapping, "place"), n))
        lat_s, lon_s = mapped_column(frame, mapping, "latitude"), mapped_column(frame, mapping, "longitude")
        pt = mapped_column(frame, mapping, "point")
        if lat_s is not None and mapping.get("latitude") == mapping.get("longitude"):
            # latitude and longitude mapped onto one column: it holds the whole point ("lat, lon")
            pt, lat_s, lon_s = lat_s, None, None
            mapping = {**mapping, "point": mapping["latitude"]}
        if lat_s is None and lon_s is None and getattr(raw, "has_geometry", False):
            lat_s, lon_s = frame["__latitude"], frame["__longitude"]
            from_geometry = "__precision" in frame.columns
        grid_precision, coarse = None, None
        derived = False   # lat_s/lon_s converted from other columns: the raw text is theirs
        zone_s = _ccol(frame, mapping, "utm_zone")
        if lat_s is None and lon_s is None and pt is not None:
            # one column holds the point: WKT, "lat, lon" pairs, MGRS or UTM grid references
            raw_vals["point"] = pt
            p, pw = coords.split_point_column(parse.without_placeholders(pt), getattr(raw, "decimal", ".") or ".")
            warnings.extend(f"column {mapping['point']!r}: {w}" for w in pw)
            unreadable = pt.notna().to_numpy() & p["form"].isna().to_numpy() & ~parse.placeholder_mask(pt)
            lat_s, lon_s = p["lat"], p["lon"]
            derived = True
            R.add("COORDINATE_INVALID", unreadable & ok_row)
            forms = set(p["form"].dropna())
            if forms - {"wkt", "pair"}:
                warnings.append(f"column {mapping['point']!r}: {', '.join(sorted(f.upper() for f in forms - {'wkt', 'pair'}))} "
                                "grid references converted to latitude/longitude (the raw text is kept)")
            coarse = p["size_km"].to_numpy() > 0.1   # MGRS squares of 1 km or more are not exact points
            if coarse.any():
                grid_precision = pd.Series(np.where(p["size_km"].to_numpy() >= 100, "admin-1",
                                           np.where(p["size_km"].to_numpy() >= 10, "municipality", "town")), dtype=object)
        e_s, n_s = mapped_column(frame, mapping, "easting"), mapped_column(frame, mapping, "northing")
        if lat_s is None and lon_s is None and e_s is not None and n_s is not None:
            # UTM easting/northing: the zone per row (a zone column) or per file (--crs)
            raw_vals["easting"], raw_vals["northing"] = e_s, n_s
            if zone_s is not None:
                raw_vals["utm_zone"] = mapped_column(frame, mapping, "utm_zone")
            la_, lo_, okc = _convert_grid(parse.without_placeholders(e_s), parse.without_placeholders(n_s), zone_s, crs)
            given = (e_s.notna() & n_s.notna()).to_numpy() & ~parse.placeholder_mask(e_s) & ~parse.placeholder_mask(n_s)
            if okc is None:   # no zone anywhere: the analyst must give it
                R.add("PROJECTED_COORDINATES", given & ok_row)
                warnings.append("easting/northing without a UTM zone: map a zone column or give --crs (e.g. EPSG:32630)")
            else:
                R.add("COORDINATE_INVALID", given & ~okc & ok_row)
            lat_s = pd.Series(np.where(np.isfinite(la_), la_, None), dtype=object)
            lon_s = pd.Series(np.where(np.isfinite(lo_), lo_, None), dtype=object)
            derived = True
        if lat_s is not None and lon_s is not None:
            has_coords = True
            if not derived:
                raw_vals["latitude"], raw_vals["longitude"] = lat_s, lon_s
            lat_in = lat_s if all_ok else lat_s.where(pd.Series(ok_row, index=lat_s.index))
            lon_in = lon_s if all_ok else lon_s.where(pd.Series(ok_row, index=lon_s.index))
            pc = coords.parse_coordinates(lat_in, lon_in, decimal=getattr(raw, "decimal", ".") or ".")
            reasons = pc["reasons"]
            _grid = {"PROJECTED_COORDINATES", "LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE"}
            if (crs or zone_s is not None) and _grid & set(c for r in reasons for c in (r or [])):
                proj = np.array(reasons.map(lambda r: bool(r) and "PROJECTED_COORDINATES" in r).to_numpy(dtype=bool))
                # metres near the equator or the central meridian: one value in degree range, the
                # other not -- projected too when the row has a zone, or (--crs) an easting beyond 180
                out = np.flatnonzero(reasons.map(lambda r: bool(r) and bool({"LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE"} & set(r)))
                                     .to_numpy() & ~proj)
                if len(out):
                    xo = parse.parse_numbers(lon_in.iloc[out], getattr(raw, "decimal", ".")).to_numpy()
                    has_zone = (np.isfinite(coords.parse_zone(zone_s.iloc[out])[0]) if zone_s is not None
                                else np.zeros(len(out), dtype=bool))
                    proj[out[has_zone | (bool(crs) & (np.abs(xo) > 180))]] = True
                if zone_s is not None:
                    raw_vals["utm_zone"] = mapped_column(frame, mapping, "utm_zone")
                plat, plon, okc = _convert_grid(lon_in[proj], lat_in[proj], zone_s[proj] if zone_s is not None else None,
                                                crs, getattr(raw, "decimal", "."))
                pc.loc[proj, "latitude"] = np.asarray(plat)
                pc.loc[proj, "longitude"] = np.asarray(plon)
                conv = np.zeros(n, dtype=bool)
                conv[np.flatnonzero(proj)[okc]] = True
                reasons = reasons.where(~conv, reasons.map(lambda r: [c for c in (r or []) if c not in _grid | {"LATLON_SWAP_SUSPECTED"}]
                                                            + ["PROJECTED_CONVERTED"]))
                pc.loc[conv, ["suggested_latitude", "suggested_longitude"]] = np.nan
            # a swap is suggested only when the swapped point lies in the declared country
            # (a Cote d'Ivoire point at lat 95, lon -4 is not offered (-4, 95), off Sumatra)
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
            add_reason_lists(R, reasons, None if all_ok else ok_row)
            lat = np.array(pc["latitude"].to_numpy(dtype=float), copy=True)
            lon = np.array(pc["longitude"].to_numpy(dtype=float), copy=True)
            sug_lat = np.array(pc["suggested_latitude"].to_numpy(dtype=float), copy=True)
            sug_lon = np.array(pc["suggested_longitude"].to_numpy(dtype=float), copy=True)
            if not consts.get("location_precision"):
                precision = text_where(np.isfinite(lat), "exact", None)
                if grid_precision is not None:   # coarse MGRS squares: the square, not a point
                    precision = precision.where(~(coarse & np.isfinite(lat)), grid_precision)
            if from_geometry:   # areas, lines and MultiPoints: precision from their extent, never exact
                gp = frame["__precision"].astype(object)
                precision = pd.Series(np.where(np.isfinite(lat), gp.to_numpy(), None), dtype=object)
                gnote = frame["__geometry_note"].astype(object).to_numpy()
                R.add("MULTIPLE_LOCATIONS", (gnote == "MULTIPLE_LOCATIONS") & ok_row)
                R.add("LOCATION_FROM_GEOMETRY", (gnote == "LOCATION_FROM_GEOMETRY") & ok_row)
                if frame["__geometry"].notna().any():
                    raw_vals["geometry"] = frame["__geometry"]
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
                sug_lat[idx[m]] = sw["suggested_latitude"].to_numpy()[m]
                sug_lon[idx[m]] = sw["suggested_longitude"].to_numpy()[m]
        elif lat_s is not None or lon_s is not None:
            warnings.append("only one of latitude/longitude is mapped: records are stored without location")
    if not has_coords and not consts.get("location_precision"):
        precision = text_where(iso3.notna().to_numpy(), "country", None)
    if not has_coords and not getattr(raw, "has_geometry", False) and n:
        # never located-nowhere in silence: say so, and name columns that look like locations
        looks = _location_like_columns(frame, mapping)
        warnings.append("no location column is mapped: records are located by their country only"
                        + (f"; column(s) {', '.join(repr(c) for c in looks)} look like locations (map them as "
                           "'point' for pairs, WKT, MGRS or UTM)" if looks else ""))

    # rows whose location is the problem lose their coordinates
    loc_bad = R.any(LOCATION_REASONS)
    lat = np.where(loc_bad, np.nan, lat)
    lon = np.where(loc_bad, np.nan, lon)
    if has_coords and (mapping.get("latitude") or mapping.get("point") or getattr(raw, "has_geometry", False)):
        missing = ~np.isfinite(lat) & ~loc_bad & ok_row
        R.add("MISSING_LOCATION", missing)
        lat = np.where(missing, np.nan, lat)
    precision = precision.where(np.isfinite(lat) | iso3.isna().to_numpy(), "country")
    precision = precision.where(np.isfinite(lat) | iso3.notna().to_numpy(), None)

    # ---- firearm description
    item = text_column(_ccol(frame, mapping, "item_description"), n)
    category = const_or(mapped_column(frame, mapping, "category"), consts.get("category"))
    ftype = null_text(n)
    if profile.get("item_map"):
        imap = profile["item_map"]
        category = item.map(lambda v: (imap.get(v) or [None, None])[0]).where(item.notna(), category)
        ftype = item.map(lambda v: (imap.get(v) or [None, None])[1])
    ft_s = mapped_column(frame, mapping, "firearm_type")
    if ft_s is not None:
        raw_vals["firearm_type"] = ft_s
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
    cal_s = mapped_column(frame, mapping, "calibre")
    calibre = null_text(n)
    if cal_s is not None:
        raw_vals["calibre"] = cal_s
        cm = by_value(cal_s, n, nomenclature.match_calibres, ["calibre", "calibre_flag"])
        calibre = cm.col("calibre")
        cm.add_flags(R, "calibre_flag")
    make_s = _ccol(frame, mapping, "make")
    make = text_column(make_s, n)
    if make_s is not None:
        make = map_value(make, lambda v: None if v is None else (nomenclature.match_make(v)[0] or v))
    ctx_s = mapped_column(frame, mapping, "criminal_context")   # "n/a" is its context "unknown"
    ctx = text_column(ctx_s, n)
    if ctx_s is not None:
        ctx = map_value(ctx, lambda v: None if v is None else (nomenclature.match_criminal_context(v)[0] or v))
    ser_raw = mapped_column(frame, mapping, "serial_number")
    # 'S/N', 'OBLITERATED', 'N/A': no usable serial -- never a match key, never a re-seizure lead
    ser_s = parse.without_placeholders(ser_raw) if ser_raw is not None else None
    serial = serials.serial_text(ser_s) if ser_s is not None else null_text(n)
    serial_key = serials.serial_key(ser_s) if ser_s is not None else serial  # = key of serial_text
    if ser_s is not None:
        raw_vals["serial_number"] = ser_raw
        add_reason_lists(R, serials.serial_flags(ser_s))

    dec = getattr(raw, "decimal", ".") or "."
    thou = getattr(raw, "thousands", None)
    qty_s = mapped_column(frame, mapping, "quantity")
    quantity = (parse.parse_numbers(qty_s, dec, thou, integer=True).to_numpy(dtype=float) if qty_s is not None
                else np.ones(n))
    quantity = np.where(np.isnan(quantity), 1.0 if qty_s is None else np.nan, quantity)
    ammo_s = mapped_column(frame, mapping, "ammunition")
    ammo = (parse.parse_numbers(ammo_s, dec, thou, integer=True).to_numpy(dtype=float) if ammo_s is not None
            else np.full(n, np.nan))
    # counts written other than as plain digits ('1.500', '١٢', 'N/A') keep their raw text
    for name, col in (("quantity", qty_s), ("ammunition", ammo_s)):
        if col is not None and not _plain_digits(col):
            raw_vals[name] = col
    is_firearm = equal_mask(category, "firearm") | (category.isna().to_numpy() & ftype.notna().to_numpy() & (ft_s is not None))
    firearms = np.where(is_firearm, np.nan_to_num(quantity, nan=1.0), 0.0)
    if profile.get("kind") == "discharge incident":
        firearms = np.full(n, np.nan)
    ammo = np.where(np.isnan(ammo) & equal_mask(category, "ammunition"), quantity, ammo)

    def country_field(name):
        s = mapped_column(frame, mapping, name)
        if s is None:
            return null_text(n)
        raw_vals[name] = s
        m = by_value(s, n, nomenclature.match_countries, ["iso3", "country_flag"])
        m.add_flags(R, "country_flag")
        return m.col("iso3")

    # per-record releasability: a marking nobody can read is held back, not guessed. Read on the
    # values as written (not stripped: a cell of only spaces is unreadable, never "no marking")
    rel_s = mapped_column(frame, mapping, "releasability")
    if rel_s is not None:
        from intel.columns import Coded

        rel_codes, rel_uniq = pd.factorize(rel_s.astype(object).where(rel_s.notna(), None).to_numpy(dtype=object),
                                           use_na_sentinel=True)
        rel_codes = rel_codes.astype(np.int64)
        rel_codes[rel_codes < 0] = len(rel_uniq)
        rel_tab = _releasability_flags(pd.Series(list(rel_uniq) + [None], dtype=object))
        Coded(rel_codes, rel_tab[["rel_flag"]]).add_flags(R, "rel_flag")

    direction = map_value(text_column(_ccol(frame, mapping, "direction"), n),
                           lambda v: None if v is None else DIRECTIONS.get(v.strip().lower()))

    origin_iso3 = country_field("origin_country")
    destination_iso3 = country_field("destination_country")
    manufacture_iso3 = country_field("country_of_manufacture")
    last_import_iso3 = country_field("last_legal_import_country")

    # ---- outcomes
    # a repeated header or malformed line is rejected for that alone: its cells are not values
    line_fault = R.any({"REPEATED_HEADER", "MALFORMED_LINE"})
    if line_fault.any():
        for code in list(R.masks):
            if code not in ("REPEATED_HEADER", "MALFORMED_LINE"):
                R.masks[code] = R.masks[code] & ~line_fault
    rejected = R.any(REJECT)
    quarantined = R.any(QUARANTINE) & ~rejected
    accepted = ~rejected & ~quarantined
    lat = np.where(accepted, lat, np.where(quarantined, lat, np.nan))
    cells = np.zeros(n, dtype="uint64")
    binable = accepted & np.isfinite(lat) & np.isfinite(lon)
    if from_geometry:   # an area or line wider than any map cell is drawn over its area, never binned as a point
        binable &= hexbin.usable_mask(RESOLUTIONS["map"][0], precision.to_numpy(dtype=object), uncertainty)
    if binable.any():
        cells[binable] = hexbin.bin_points(lat[binable], lon[binable], FINE_RES)
    # quarantined rows never reach a map
    lat_store = np.where(accepted, lat, np.nan)
    lon_store = np.where(accepted, lon, np.nan)

    reason_lists = row_reason_lists(R)
    for k, s in list(raw_vals.items()):   # cells not parsed (spreadsheet errors, formulas) keep their raw text
        if getattr(s, "name", None) in blanked:
            raw_vals[k] = raw_frame[s.name]
    raw_json = raw_field_json(raw_vals, n)
    if profile.get("attrs") is not None:
        attrs_cols = [c for c in profile["attrs"] if c in frame.columns]
    else:  # user files: every column not mapped onto a field is kept as it was
        # fields with no column of their own in the store (notes, parts) are kept here too
        mapped = {c for f, c in mapping.items() if f not in ("notes", "parts_components")}
        attrs_cols = [c for c in frame.columns if c not in mapped and not str(c).startswith("__")]
    if attrs_cols and all(arrow_text(frame[c]) is not None for c in attrs_cols):
        # Arrow text columns: the same JSON text, built by DuckDB instead of a Python loop per row
        attrs_json = pd.Series(raw_field_json({c: frame[c] for c in attrs_cols}, n))
    else:
        attrs_json = (frame[attrs_cols].astype(object).where(frame[attrs_cols].notna(), None)
                      .apply(lambda r: json.dumps(r.to_dict(), default=str, ensure_ascii=False), axis=1)
                      if attrs_cols else nones(n))

    st_code = np.where(accepted, 0, np.where(quarantined, 1, 2)).astype(np.int8)
    status = np.array(["accepted", "quarantined", "rejected"], dtype=object)[st_code]
    # a record whose only problems are about its location stays usable for non-spatial totals
    # (counts by country, trends): stored as 'unlocated', never binned, listed in the quarantine
    only_loc = quarantined & ~R.any(QUARANTINE - LOCATION_REASONS)
    ev_status = label_column(np.where(accepted, 0, np.where(quarantined, np.where(only_loc, 3, 1), 2)),
                        ["accepted", "quarantined", "rejected", "unlocated"])   # status, 'unlocated' where only_loc
    ev = {
        "row_number": row_numbers.astype("int64"),
        "source": profile.get("source") or profile.get("name") or "upload",
        "source_record_id": frame_values(src_id),
        "incident_key": frame_values(incident_key),
        "status": ev_status,
        "kind": frame_values(const_or(mapped_column(frame, mapping, "kind"), profile.get("kind") or "seizure", clean=False)),
        "event_date": pd.to_datetime(dates).to_numpy(),
        "date_precision": np.asarray(date_prec, dtype=object),
        "latitude": lat_store,
        "longitude": lon_store,
        "location_precision": frame_values(precision.where(accepted, text_where(iso3.notna().to_numpy(), "country", None))),
        # only a located accepted record keeps its own radius (else its class radius applies)
        "uncertainty_km": np.where(accepted & np.isfinite(lat_store), uncertainty, np.nan),
        "location_name": frame_values(location_name),
        "country_iso3": frame_values(iso3),
        "admin1": frame_values(admin1),
        "region": frame_values(region),
        "place_type": frame_values(place_type),
        "direction": frame_values(direction),
        "transport_mode": frame_values(text_column(_ccol(frame, mapping, "transport_mode"), n)),
        "seizing_agency": frame_values(const_or(mapped_column(frame, mapping, "seizing_agency"), consts.get("seizing_agency"))),
        "unit": frame_values(text_column(_ccol(frame, mapping, "unit"), n)),
        "category": frame_values(category),
        "firearm_type": frame_values(ftype),
        "item_description": frame_values(item),
        "make": frame_values(make),
        "model": frame_values(text_column(_ccol(frame, mapping, "model"), n)),
        "calibre": frame_values(calibre),
        "serial_number": frame_values(serial),
        "serial_key": np.asarray(serial_key, dtype=object),
        "other_markings": frame_values(text_column(_ccol(frame, mapping, "other_markings"), n)),
        "quantity": quantity,
        "firearms": firearms,
        "ammunition": ammo,
        "criminal_context": frame_values(ctx),
        "origin_iso3": frame_values(origin_iso3),
        "destination_iso3": frame_values(destination_iso3),
        "manufacture_iso3": frame_values(manufacture_iso3),
        "last_import_iso3": frame_values(last_import_iso3),
        "h3_cell": cells,
        "border_km": np.nan,
        "border_pair": None,
        "border_segment": None,
        "flags": reason_lists,
        "raw": raw_json,
        "attrs": attrs_json.array if arrow_text(attrs_json) is not None else attrs_json.to_numpy(),
        # a marking is never a placeholder: 'N/A' stays as written and is held back as unreadable,
        # and so does a cell of only spaces (stored as written: stripped, it would take the
        # batch's marking and be shown to the batch's readers)
        "releasability": frame_values(_own_marking(mapped_column(frame, mapping, "releasability"), consts.get("releasability"), n)),
    }
    # text columns as the DataFrame constructor would infer them (str, or object when all missing
    # or not all text), without its slow per-value inference
    same_key = incident_key is src_id
    ev = {k: v if k == "flags" or (k == "incident_key" and same_key) else as_text_column(v, n) for k, v in ev.items()}
    if same_key:   # one column of text converted once
        ev["incident_key"] = ev["source_record_id"]
    ev = pd.DataFrame(ev)

    # the full raw row, verbatim, for every row that is not plainly accepted
    nq = np.flatnonzero(~accepted)
    raw_cols = [c for c in frame.columns if not str(c).startswith("__")]
    q_cols = [raw_frame[c].iloc[nq].astype(object).to_numpy() for c in raw_cols] if len(nq) else []
    q_mal = frame["__malformed"].iloc[nq].to_numpy(dtype=object) if "__malformed" in frame.columns and len(nq) else None
    q = pd.DataFrame({
        "row_number": row_numbers[nq].astype("int64"),
        "source_record_id": object_values(src_id.iloc[nq]),
        "outcome": status[nq],
        "reasons": [reason_lists[i] for i in nq],
        "detail": ["; ".join(REASON_TEXT.get(c, c) for c in reason_lists[i]) for i in nq],
        "raw": [json.dumps({c: jsonable(None if col[k] is pd.NA else col[k]) for c, col in zip(raw_cols, q_cols)}
                           | ({"__line": q_mal[k]} if q_mal is not None and q_mal[k] is not None and q_mal[k] is not pd.NA else {}),
                           ensure_ascii=False) for k in range(len(nq))],
        "suggested_latitude": sug_lat[nq],
        "suggested_longitude": sug_lon[nq],
        "_pos": nq,
    })

    def build_report() -> pd.DataFrame:
        h7 = np.zeros(n, dtype="uint64")
        if binable.any():   # binned directly at resolution 7 (not the parent of the stored cell)
            h7[binable] = hexbin.bin_points(lat[binable], lon[binable], 7)
        return _report_frame(n, row_numbers, src_id, status, reason_lists, lat, lon, dates, iso3, origin_iso3,
                             destination_iso3, calibre, serial, ftype, quantity, firearms, ammo, h7, sug_lat, sug_lon)

    report = build_report
    # warn when many rows share one problem
    for code, m in R.masks.items():
        k = int(m.sum())
        if n >= 10 and k >= max(5, 0.2 * n):
            warnings.append(f"{k} of {n} rows ({k / n:.0%}) share {code}: {REASON_TEXT.get(code, code)}")
    keep = st_code != 2
    ev = (ev if keep.all() else ev[keep]).reset_index(drop=False).rename(columns={"index": "_pos"})
    return Prepared(ev, q, report, warnings, reasons=reason_lists, status=status)


def _own_marking(series: pd.Series | None, const, n: int) -> pd.Series:
    """Each record's own marking as written (surrounding spaces kept, so that a cell of only
    spaces stays unreadable); ``const`` (the batch's marking) where the cell is missing or empty."""
    if series is None:
        return const_text(const, n)
    t = series.astype(object).where(series.notna(), None)
    t = t.map(lambda v: None if v is None or str(v) == "" else str(v))
    return t.where(t.notna(), const) if const is not None else t


def _releasability_flags(values: pd.Series) -> pd.DataFrame:
    """``rel_flag``: ``RELEASABILITY_UNREADABLE`` for each marking :func:`intel.auth.parse_releasability`
    cannot read, else None."""
    from intel.auth import parse_releasability

    def flag(v):
        try:
            parse_releasability(v)
        except ValueError:
            return "RELEASABILITY_UNREADABLE"
        return None

    return pd.DataFrame({"rel_flag": [flag(v) for v in values]})


def _report_frame(n, row_numbers, src_id, status, reason_lists, lat, lon, dates, iso3, origin_iso3, destination_iso3,
                  calibre, serial, ftype, quantity, firearms, ammo, h7, sug_lat, sug_lon) -> pd.DataFrame:
    """The per-row report (one row per input row) from :func:`prepare`'s columns."""
    return pd.DataFrame({
        "row_number": row_numbers.astype("int64"),
        "source_record_id": object_values(src_id),
        "outcome": status,
        "reasons": reason_lists,
        "latitude": np.where(np.isfinite(lat), lat, np.nan),
        "longitude": np.where(np.isfinite(lon), lon, np.nan),
        "date": iso_strings(dates),
        "country_iso3": object_values(iso3),
        "origin_iso3": object_values(origin_iso3),
        "destination_iso3": object_values(destination_iso3),
        "calibre": object_values(calibre),
        "serial_number": object_values(serial),
        "firearm_type": object_values(ftype),
        "quantity": quantity,
        "firearms": firearms,
        "ammunition": ammo,
        "h3_res7": hex_strings(h7),
        "suggested_latitude": sug_lat,
        "suggested_longitude": sug_lon,
    })


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_file(con, path: str | Path, profile: dict | str | None = None, *, date_order: str | None = None,
                crs: str | None = None, sheet: str | None = None, user: str | None = None,
                original_name: str | None = None, progress: Callable[[float, str], None] | None = None,
                in_transaction: bool = True, border_distance: bool = True, dedup: bool = True,
                viewer=None) -> ImportResult:
    """Import one file into the store through the single import path.

    Parameters
    ----------
    con : DuckDB connection (writable).
    path : path of a CSV, XLSX, GeoJSON, GeoPackage, Parquet or GeoParquet file.
    profile : dict or str, optional
        Profile (or its name). ``None`` uses :func:`suggest_mapping` on the file's columns.
    date_order, crs : see :func:`prepare`.
    user : str, optional
        Account name written as the batch's importer and in the audit log.
    progress : callable(fraction, message), optional
        Called as the stages complete (for the Import page's progress bar).
    in_transaction : bool
        Wrap the writes in a transaction (``False`` when the caller holds one, as ``intel build``).
    dedup : bool
        Merge probable duplicates of other agencies' records (:mod:`intel.dedup`) and flag
        re-seizure leads; ``False`` stores every record as its own incident.
    viewer : intel.auth.User, optional
        The importing account. Its records are compared only with the stored records it may see
        (:func:`intel.auth.visible_events_sql`): re-import matching by source record id,
        deduplication, re-seizure leads; a file already imported into a batch it may not see is
        reported without that batch's id. ``None`` (the CLI and ``intel build``, which hold the
        store file) compares with every record.

    Returns
    -------
    ImportResult

    Raises
    ------
    readers.ReadError, ImportError_, NeedsChoice
        With a plain-English message; the store is unchanged.
    """
    prog = progress or (lambda f, m: None)
    path = Path(path)
    name = original_name or path.name
    if isinstance(profile, str):
        profile = load_profile(profile, con)
    if profile is not None and profile.get("kind") == "area counts":   # counts per area and month, not records
        from intel.areas import import_area_counts

        res = import_area_counts(con, path, profile, user=user, original_name=original_name,
                                 in_transaction=in_transaction)
        prog(1.0, "done")
        return res
    prog(0.05, "hashing")
    sha = file_sha256(path)
    prog(0.1, "reading")
    raw = readers.read_table(path, sheet=sheet)
    if profile is None:
        profile = {"name": None, "source": Path(name).stem, "kind": "seizure",
                   "columns": suggest_mapping(list(raw.frame.columns), raw.frame)}
    elif profile.get("columns") is None:  # constants only (e.g. a releasability): suggest the mapping
        profile = {**profile, "columns": suggest_mapping(list(raw.frame.columns), raw.frame)}
    options = {"profile": profile.get("name"), "columns": profile.get("columns"), "date_order": date_order, "crs": crs,
               "constants": profile.get("constants"), "dedup": dedup}
    if len(raw.sheets) > 1:   # another sheet or layer of the same file is another import
        options["sheet"] = raw.sheet
    # the whole profile is kept with the batch, so a quarantined row re-imported later (intel.quality)
    # is parsed with the same kind and per-profile fields; a batch stored before this (options
    # without the profile) still counts as the same import
    legacy_json = json.dumps(options, sort_keys=True, default=str)
    opt_json = json.dumps({**options, "profile_body": profile}, sort_keys=True, default=str)
    prev = con.execute("SELECT batch_id, rows_read, rows_accepted, rows_quarantined, rows_rejected, releasability, "
                       "imported_by FROM batches WHERE sha256 = ? AND (options = ?::JSON OR options = ?::JSON) "
                       "ORDER BY batch_id", [sha, opt_json, legacy_json]).fetchall()
    if prev:
        from intel.auth import visible_to

        seen = [p for p in prev if viewer is None or visible_to(viewer, None, p[5], p[6])]
        p = seen[0] if seen else prev[0]
        # a batch the importer may not see is never named: "already imported", without its id
        return ImportResult(p[0] if seen else None, name, sha, p[1], p[2], p[3], p[4], already_imported=True)
    prog(0.3, "parsing and validating")
    prep = prepare(raw, profile, date_order=date_order, crs=crs, file_name=name)
    prog(0.6, "locating")
    if border_distance and len(prep.events):
        _add_border_distance(prep.events)
    scope = owned = "events"
    if viewer is not None:
        from intel.auth import updatable_events_sql, visible_events_sql

        scope, owned = visible_events_sql(viewer), updatable_events_sql(viewer)
    # event id each row updates, -1 for a new record: only records of the importer's own batches
    # (or any, for an administrator) are updated; another account's record is compared as any row
    matched = _stored_matches(con, prep.events, owned)
    n_matched = int((matched >= 0).sum())
    if n_matched:   # the stored versions of these records are not compared with their new versions
        import pyarrow as pa

        con.register("_reimported", pa.table({"event_id": pa.array(matched[matched >= 0], pa.int64())}))
        compare = f"(SELECT * FROM {scope} c WHERE c.event_id NOT IN (SELECT event_id FROM _reimported))"
    else:
        compare = scope
    try:
        if dedup and len(prep.events):
            _apply_dedup(con, prep, compare)
    finally:
        if n_matched:
            con.unregister("_reimported")
    prog(0.75, "writing")
    n_acc, n_qua, n_rej = prep.outcome_counts()
    res = ImportResult(None, name, sha, n_acc + n_qua + n_rej, n_acc, n_qua, n_rej, warnings=prep.warnings,
                       report=prep._report)   # the builder (or frame): not the whole prep kept alive
    marking = (profile.get("constants") or {}).get("releasability")

    def write():
        batch_id = store.next_id(con, "batches", "batch_id")
        con.execute(
            "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, ?)",
            [batch_id, profile.get("source") or "upload", name, sha, profile.get("name"),
             datetime.now(timezone.utc).replace(tzinfo=None), user, res.rows_read, res.accepted, res.quarantined,
             res.rejected, opt_json, json.dumps(prep.warnings), marking])
        import pyarrow as pa

        _pause_point("before_events")
        ev = prep.events
        # one writer at a time (DuckDB): ids continue from the largest stored id; a record already
        # stored under its source record id keeps its id
        first = con.execute("SELECT coalesce(max(event_id), 0) + 1 FROM events").fetchone()[0]
        is_new = matched < 0
        ev_ids = matched.copy()
        ev_ids[is_new] = np.arange(first, first + int(is_new.sum()), dtype="int64")
        ev = ev.assign(event_id=ev_ids, batch_id=batch_id)
        tbl = dictionary_text(arrow_table_fast(con, "events", ev))
        # record batches of one row group each: DuckDB scans and compresses them in parallel
        # (one 1M-row batch is written by a single thread, at half the speed on 2 cores)
        tbl = pa.Table.from_batches(tbl.to_batches(max_chunksize=ROW_GROUP_ROWS), schema=tbl.schema)
        con.register("_ev", tbl)
        keep = np.empty(0, dtype=np.int64)
        if n_matched:
            keep, moved = _replace_matched(con, first, marking, batch_id, user)
        res.new, res.updated, res.unchanged = int(is_new.sum()), n_matched - len(keep), len(keep)
        # incident_id and incident_multi set as refresh_incidents would set them on these rows
        # (hash of source and key, false), so its UPDATE touches only incidents of several rows
        # instead of rewriting every new row (an UPDATE of a million rows costs seconds at commit)
        skip = " WHERE event_id NOT IN (SELECT event_id FROM _keep)" if len(keep) else ""
        con.execute("INSERT INTO events SELECT * REPLACE (NULLIF(h3_cell, 0) AS h3_cell, "
                    "hash(source, incident_key) AS incident_id, false AS incident_multi) FROM _ev" + skip)
        if len(keep):
            con.unregister("_keep")
        refresh_incidents(con)
        if res.updated:   # incidents an updated record left may be single rows again
            con.execute("""UPDATE events SET incident_multi = false
                           WHERE incident_multi AND incident_id IN (
                               SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) = 1)""")
        con.unregister("_ev")
        _pause_point("after_events")
        q = prep.quarantine
        if len(q):
            pos_to_event = dict(zip(ev["_pos"].to_numpy(), ev_ids))
            if len(keep):   # an unchanged record keeps its quarantine row (and any decision on it)
                kept = set(keep.tolist())
                q = q[[pos_to_event.get(p) not in kept for p in q["_pos"]]]
        if len(q):
            first_q = con.execute("SELECT coalesce(max(quarantine_id), 0) + 1 FROM quarantine").fetchone()[0]
            qids = np.arange(first_q, first_q + len(q), dtype="int64")
            qq = pd.DataFrame({
                "quarantine_id": qids, "batch_id": batch_id, "row_number": q["row_number"].to_numpy(),
                "source_record_id": q["source_record_id"].to_numpy(),
                "event_id": [pos_to_event.get(p) for p in q["_pos"]],
                "outcome": q["outcome"].to_numpy(), "reasons": list(q["reasons"]), "detail": q["detail"].to_numpy(),
                "raw": q["raw"].to_numpy(), "suggested_latitude": q["suggested_latitude"].to_numpy(),
                "suggested_longitude": q["suggested_longitude"].to_numpy(),
            })
            con.register("_q", qq)
            con.execute("INSERT INTO quarantine SELECT quarantine_id, batch_id, row_number, source_record_id, event_id, "
                        "outcome, reasons, detail, raw::JSON, suggested_latitude, suggested_longitude, NULL, NULL, NULL, NULL FROM _q")
            con.unregister("_q")
        detail = {"batch_id": int(batch_id), "file": name, "sha256": sha, "accepted": res.accepted,
                  "quarantined": res.quarantined, "rejected": res.rejected}
        if n_matched:
            detail.update(new=res.new, updated=res.updated, unchanged=res.unchanged)
        audit(con, "import", detail, user)
        if res.updated:   # what the re-import replaced: from which batches, under which markings
            audit(con, "import.update", {"batch_id": int(batch_id), "file": name, "updated": res.updated,
                                         "releasability": marking, "from_batches": moved}, user)
        _pause_point("before_commit")   # the last statement before COMMIT
        return int(batch_id)

    if in_transaction:
        with transaction(con):
            res.batch_id = write()
    else:
        res.batch_id = write()
    prog(1.0, "done")
    return res


def _stored_matches(con, ev: pd.DataFrame, scope: str) -> np.ndarray:
    """The stored record each new record re-imports: same source and source record id.

    Parameters
    ----------
    con : DuckDB connection.
    ev : DataFrame, shape (n, ...)
        The records being imported (``source``, one value for the whole file, and
        ``source_record_id``).
    scope : str
        Trusted SQL relation of the stored records the importer may see.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``event_id`` of the matched stored record, -1 for a new record. When a file holds
        several rows with one record id (the items of one record), the k-th such row in file
        order matches the k-th stored record of that id in ``event_id`` order; rows beyond the
        stored ones are new. One join in DuckDB; no row is read as a Python object.
    """
    import pyarrow as pa

    out = np.full(len(ev), -1, dtype=np.int64)
    if not len(ev) or "source_record_id" not in ev.columns:
        return out
    rid = ev["source_record_id"]
    has = (rid.notna() & (rid.astype(str) != "")).to_numpy(dtype=bool)
    if not has.any():
        return out
    source = str(ev["source"].iloc[0])   # one source per import (the profile's)
    if con.execute(f"SELECT 1 FROM {scope} s WHERE source = ? AND source_record_id IS NOT NULL LIMIT 1",
                   [source]).fetchone() is None:
        return out   # nothing of this source stored (a first import): no join
    rows = np.flatnonzero(has)
    con.register("_rid", pa.table({"r": pa.array(rows, pa.int64()),
                                   "k": pa.array(rid.array[rows], type=pa.string(), from_pandas=True)}))
    try:
        hit = con.execute(f"""
            WITH n AS (SELECT r, k, row_number() OVER (PARTITION BY k ORDER BY r) AS o FROM _rid),
                 s AS (SELECT event_id, source_record_id AS k,
                              row_number() OVER (PARTITION BY source_record_id ORDER BY event_id) AS o
                       FROM {scope} s WHERE source = ? AND source_record_id IN (SELECT k FROM _rid))
            SELECT n.r, s.event_id FROM n JOIN s ON s.k = n.k AND s.o = n.o""", [source]).fetchnumpy()
    finally:
        con.unregister("_rid")
    out[np.asarray(hit["r"], dtype=np.int64)] = np.asarray(hit["event_id"], dtype=np.int64)
    return out


_NOT_COMPARED = {"event_id", "batch_id", "row_number", "incident_id", "incident_multi"}
"""Columns of ``events`` that say where a record is stored, not what it says (left out when a
re-imported record is compared with its stored version)."""


def _replace_matched(con, first: int, marking: str | None, batch_id: int, user: str | None):
    """Replace the stored versions of re-imported records (``_ev`` rows with ids below ``first``).

    A record is *unchanged* when every value column (all but :data:`_NOT_COMPARED`) and its
    batch's marking equal the new ones, or when an analyst decided on it (a decided quarantine
    row, a corrected location) and its input (``raw``, ``attrs``, own marking) and batch marking
    are the same: that decision is kept. Every other matched record is *updated*: its stored row
    is deleted (the caller inserts the new one with the same ``event_id``, in the new batch),
    and its undecided quarantine rows are marked ``superseded`` (the new batch lists it again if
    it is still held back). Leaves the unchanged ids registered as ``_keep`` when there are any.

    Returns
    -------
    keep : ndarray of int64
        Ids of the unchanged records.
    moved : list of dict
        Per batch the updated records came from: ``batch_id``, ``releasability`` (its marking)
        and ``records``.
    """
    import pyarrow as pa

    cols = [r[0] for r in con.execute("DESCRIBE events").fetchall() if r[0] not in _NOT_COMPARED]
    same = " AND ".join(f"e.{c} IS NOT DISTINCT FROM " + ("NULLIF(u.h3_cell, 0)" if c == "h3_cell" else f"u.{c}")
                        for c in cols)
    same_input = " AND ".join(f"e.{c} IS NOT DISTINCT FROM u.{c}" for c in ("raw", "attrs", "releasability", "kind"))
    decided = ("(e.location_corrected IS NOT NULL OR EXISTS (SELECT 1 FROM quarantine q "
               "WHERE q.event_id = e.event_id AND q.decision IS NOT NULL))")
    keep = con.execute(
        f"""SELECT u.event_id FROM _ev u JOIN events e ON e.event_id = u.event_id
            JOIN batches b ON b.batch_id = e.batch_id
            WHERE u.event_id < ? AND b.releasability IS NOT DISTINCT FROM ?
              AND (({same}) OR ({decided} AND {same_input}))""", [int(first), marking]).fetchnumpy()["event_id"]
    keep = np.asarray(keep, dtype=np.int64)
    if len(keep):
        con.register("_keep", pa.table({"event_id": pa.array(keep, pa.int64())}))
        unkept = "AND e.event_id NOT IN (SELECT event_id FROM _keep)"
    else:
        unkept = ""
    upd = f"SELECT u.event_id FROM _ev u WHERE u.event_id < {int(first)}"
    moved = [{"batch_id": int(b), "releasability": m, "records": int(n)} for b, m, n in con.execute(
        f"""SELECT e.batch_id, any_value(b.releasability), count(*) FROM events e
            LEFT JOIN batches b ON b.batch_id = e.batch_id
            WHERE e.event_id IN ({upd}) {unkept} GROUP BY e.batch_id ORDER BY e.batch_id""").fetchall()]
    if moved:
        con.execute(f"""UPDATE quarantine SET decision = 'superseded', decided_by = ?, decided_at = now(),
                           decision_note = ?
                        WHERE decision IS NULL AND event_id IN ({upd})
                          {unkept.replace('e.event_id', 'event_id')}""",
                    [user, f"replaced by a re-import of the record in batch {int(batch_id)}"])
        con.execute(f"DELETE FROM events WHERE event_id IN ({upd}) {unkept.replace('e.event_id', 'event_id')}")
    return keep, moved


def _apply_dedup(con, prep: Prepared, scope: str = "events") -> None:
    """Merge probable duplicates into their incident and flag re-seizure leads (in place).

    ``scope`` is the trusted SQL relation of the stored records compared with (the records the
    importer may see, without the stored versions of the records being re-imported)."""
    from intel import dedup, settings

    ev = prep.events
    km = float(settings.get("dedup_distance_km", con))
    days = int(settings.get("dedup_window_days", con))
    if _one_agency_only(con, ev, scope):   # nothing to merge: skip the candidate query and the frames
        pairs = pd.DataFrame(columns=["new_pos", "match_incident_key", "match_event_id", "distance_km", "days"])
    else:
        old = dedup.stored_candidates(con, ev, km, days, scope)
        pairs = dedup.probable_duplicates(ev, old, km, days)

    def flag(positions, code):   # a new list per flagged row (lists may be shared by rows)
        if not len(positions):
            return
        flags = ev["flags"].to_numpy(dtype=object).copy()
        pos_of_row = ev["_pos"].to_numpy()
        for p in positions:
            flags[p] = list(flags[p]) + [code]
            prep.add_reason(int(pos_of_row[p]), code)
        ev["flags"] = flags

    if len(pairs):   # whole columns replaced once (Arrow text cannot be set row by row cheaply)
        new_pos = pairs["new_pos"].to_numpy(dtype=np.int64)
        status = ev["status"].to_numpy(dtype=object).copy()
        status[new_pos] = "duplicate"
        keys = object_values(ev["incident_key"]).copy()
        keys[new_pos] = pairs["match_incident_key"].to_numpy(dtype=object)
        ev["status"] = as_text_column(status, len(ev))
        ev["incident_key"] = as_text_column(keys, len(ev))
        flag(new_pos, "PROBABLE_DUPLICATE")
    # after merging: a serial key stored for another incident is a re-seizure lead
    flag(np.flatnonzero(dedup.reseizure_leads(con, ev, scope)), "RESEIZURE_LEAD")
    if len(pairs):
        prep.warnings.append(f"{len(pairs)} records are probable duplicates of another agency's records "
                             "and were merged into their incidents (deduplication can be switched off)")


def _one_agency_only(con, ev: pd.DataFrame, scope: str = "events") -> bool:
    """True when :func:`intel.dedup.probable_duplicates` cannot find a pair: the located
    accepted new records and every located accepted stored record share one agency (or there
    are no located accepted new records)."""
    ok = ev["latitude"].notna().to_numpy() & (ev["status"] == "accepted").to_numpy()
    if not ok.any():
        return True
    sa = ev["seizing_agency"]
    agency = ev["source"] if sa.isna().all() else sa.where(sa.notna(), ev["source"])   # else the source
    uniq = agency[ok].astype(str).unique()   # on the Arrow text itself: no Python object per row
    if len(uniq) != 1:
        return False
    other = con.execute(f"SELECT 1 FROM {scope} s WHERE status = 'accepted' AND latitude IS NOT NULL "
                        "AND coalesce(seizing_agency, source) <> ? LIMIT 1", [str(uniq[0])]).fetchone()
    return other is None


def _add_border_distance(ev: pd.DataFrame) -> None:
    """Fill border_km / border_pair / border_segment (geodesic km to the nearest land border)."""
    lat = ev["latitude"].to_numpy(dtype=float)
    lon = ev["longitude"].to_numpy(dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    km = np.full(len(ev), np.nan)
    pair = np.full(len(ev), None, dtype=object)
    seg = np.full(len(ev), None, dtype=object)
    if ok.any():
        d = border_distance(lat[ok], lon[ok])
        km[ok] = d["border_km"].to_numpy()
        pair[ok] = d["border_pair"].to_numpy(dtype=object)
        seg[ok] = d["border_segment"].to_numpy(dtype=object)
    ev["border_km"] = km
    ev["border_pair"] = pair
    ev["border_segment"] = seg


def list_batches(con) -> pd.DataFrame:
    """The import batches, newest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``batch_id``, ``source``, ``file_name``, ``imported_at``, ``imported_by``,
        ``rows_read``, ``rows_accepted``, ``rows_quarantined``, ``rows_rejected`` and
        ``records`` (rows of the batch now in ``events``).
    """
    return con.execute(
        "SELECT b.batch_id, b.source, b.file_name, b.imported_at, b.imported_by, b.rows_read, b.rows_accepted, "
        "b.rows_quarantined, b.rows_rejected, (SELECT count(*) FROM events e WHERE e.batch_id = b.batch_id) AS records "
        "FROM batches b ORDER BY b.batch_id DESC").df()


def delete_batch(con, batch_id: int, user: str | None = None) -> dict:
    """Delete one import batch (undo an import): its records, its quarantine rows and the batch.

    One transaction, audited (``batch.delete``). Records of other batches that were merged into
    an incident of this batch as probable duplicates (status ``duplicate``) and have no other
    record left in that incident count again (status ``accepted``), so deleting a batch never
    makes a seizure disappear from another agency's file. Reference rows of the batch
    (crossings, flows, country statistics) go too.

    Parameters
    ----------
    con : DuckDB connection (writable).
    batch_id : int
    user : str, optional
        Who deleted it (audit log).

    Returns
    -------
    dict
        ``batch_id``, ``file_name``, ``events`` and ``quarantine`` (rows deleted),
        ``restored`` (duplicates of other batches counted again).

    Raises
    ------
    ImportError_
        When there is no such batch (nothing changed).
    """
    row = con.execute("SELECT file_name, source FROM batches WHERE batch_id = ?", [int(batch_id)]).fetchone()
    if row is None:
        raise ImportError_(f"there is no import batch {batch_id}; `intel batches list` shows the batches.")
    bid = int(batch_id)
    with transaction(con):
        n_ev = con.execute("SELECT count(*) FROM events WHERE batch_id = ?", [bid]).fetchone()[0]
        n_q = con.execute("SELECT count(*) FROM quarantine WHERE batch_id = ?", [bid]).fetchone()[0]
        restored = con.execute(
            """UPDATE events SET status = 'accepted'
               WHERE batch_id <> ? AND status = 'duplicate'
                 AND incident_key IN (SELECT incident_key FROM events WHERE batch_id = ? AND status <> 'duplicate')
                 AND incident_key NOT IN (SELECT incident_key FROM events
                                          WHERE batch_id <> ? AND status <> 'duplicate')""",
            [bid, bid, bid]).fetchone()[0]
        con.execute("DELETE FROM quarantine WHERE batch_id = ?", [bid])
        con.execute("DELETE FROM events WHERE batch_id = ?", [bid])
        for table in ("crossings", "flows", "country_stats"):   # fixed names, not input
            con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [bid])
        con.execute("DELETE FROM batches WHERE batch_id = ?", [bid])
        # incidents left with one row count as single rows again
        con.execute("""UPDATE events SET incident_multi = false
                       WHERE incident_multi AND incident_id IN (
                           SELECT incident_id FROM events GROUP BY incident_id HAVING count(*) = 1)""")
        out = {"batch_id": bid, "file_name": row[0], "events": int(n_ev), "quarantine": int(n_q),
               "restored": int(restored or 0)}
        audit(con, "batch.delete", out, user)
    return out


def set_batch_marking(con, batch_id: int, marking: str | None, user) -> dict:
    """Change the releasability marking of one import batch (one transaction, audited).

    The batch's marking is replaced, and so is the own marking of each of its records that
    carries the batch's old marking (the records that took the batch's marking at import, as
    :func:`import_file` writes it; a record whose own marking was written the same way in its
    file cannot be told apart and changes with it). Records with another own marking keep it,
    and a record's effective marking stays the most restrictive of its own and the batch's
    (:func:`intel.auth.effective_releasability`). Quarantine rows follow their record or batch.
    Writes an audit line ``batch.marking`` with the old and new marking.

    Parameters
    ----------
    con : DuckDB connection (writable, unrestricted).
    batch_id : int
    marking : str or None
        The new marking, read by :func:`intel.auth.parse_releasability` (``REL TO BFA, CIV``,
        ``REL TO FVEY``, ``NOFORN``, ``UNRESTRICTED`` or empty for none); stored canonical
        (:func:`intel.auth.canonical_marking`).
    user : intel.auth.User
        Who changes it: an administrator, or the account that imported the batch.

    Returns
    -------
    dict
        ``batch_id``, ``file_name``, ``old`` and ``new`` (markings, None for none), ``events``
        (records whose own marking changed) and ``changed`` (False when the marking was already
        that one: then nothing is written).

    Raises
    ------
    ImportError_
        An unreadable marking, or (administrator) no such batch; nothing changed.
    PermissionError
        Another account's batch (a non-administrator is told the same for a batch that does not
        exist, so the message never says whether a batch it may not see exists).
    """
    from intel import auth

    bid = int(batch_id)
    try:
        new = auth.canonical_marking(marking)
    except ValueError as e:
        raise ImportError_(str(e)) from None
    row = con.execute("SELECT file_name, releasability, imported_by FROM batches WHERE batch_id = ?", [bid]).fetchone()
    if user is None or (user.role != "admin" and (row is None or row[2] != user.name)):
        raise PermissionError(f"Only the account that imported a batch, or an administrator, may change its marking; "
                              f"batch {bid} is not one you imported.")
    if row is None:
        raise ImportError_(f"there is no import batch {bid}; `intel batches list` shows the batches.")
    old = row[1]
    out = {"batch_id": bid, "file_name": row[0], "old": old, "new": new, "events": 0, "changed": old != new}
    if old == new:
        return out
    with transaction(con):
        n = con.execute("UPDATE events SET releasability = ? WHERE batch_id = ? AND releasability IS NOT DISTINCT FROM ?",
                        [new, bid, old]).fetchone()[0]
        con.execute("UPDATE batches SET releasability = ? WHERE batch_id = ?", [new, bid])
        out["events"] = int(n or 0)
        audit(con, "batch.marking", {k: out[k] for k in ("batch_id", "file_name", "old", "new", "events")}, user.name)
    return out


def report_frame(result: ImportResult) -> pd.DataFrame:
    """The per-row report of an import (the ``--report`` file's rows)."""
    return result.report if result.report is not None else pd.DataFrame()
