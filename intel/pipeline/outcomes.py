"""Stages 9-10 of the import pipeline: each row's outcome, and the frames the importer writes.

Part of :mod:`intel.pipeline`. :func:`decide_outcomes` makes each row accepted, quarantined or
rejected from its reason codes (:mod:`intel.reasons`) and gives the binable rows their H3 cells;
:func:`events_frame`, :func:`quarantine_frame` and :func:`report_builder` build the store-ready
records, the quarantine rows and the per-row import report.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from intel import hexbin
from intel.columns import (arrow_text, as_text_column, frame_values, hex_strings, iso_strings, jsonable,
                           label_column, nones, object_values, raw_field_json, text_column, text_where)
from intel.config import FINE_RES, RESOLUTIONS
from intel.reasons import LOCATION_REASONS, QUARANTINE, REASON_TEXT, REJECT
from intel.pipeline.items import Items, Route, own_marking
from intel.pipeline.location import Location
from intel.pipeline.rows import Rows


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
