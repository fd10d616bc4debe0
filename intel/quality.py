"""Data quality: the quarantine listing and the analyst's decisions on quarantined rows.

Every input row that is not plainly accepted has one row in ``quarantine`` (raw row verbatim,
reason codes, outcome, suggested fix). An analyst takes one decision per row:

``correct``
    New values (latitude/longitude, date, country) are validated like an import would
    (ranges, Null Island, country nomenclature), the point is binned at
    :data:`intel.config.FINE_RES` with :func:`intel.hexbin.bin_points`, and the record becomes
    ``accepted``. ``events.location_corrected`` says how: ``'swap'`` when the new point equals
    the suggested swap, ``'manual'`` otherwise. The raw values (``events.raw``,
    ``quarantine.raw``) are never changed. A rejected row (no stored record) gets a new record
    built from its raw row.
``accept``
    The record is taken as given. Allowed only when its reasons do not concern the location,
    or when the coordinates as given can be read and are in range (e.g. an analyst who knows a
    suspected swap is in fact right).
``reject``
    The quarantine row is marked ``rejected``; its record, if any, gets ``status='rejected'`` and
    stays out of every analysis (spatial and non-spatial).

One decision is one transaction plus one audit line (action ``quarantine.decision``). A row is
decided once; a second decision on the same row is refused.

Who sees which rows: the listing functions read whatever ``con`` shows. Given a cursor
restricted to the user (:func:`intel.auth.apply_visibility`), ``quarantine`` holds only the
rows whose effective marking the user may see, so the listing, the per-batch counts and the
decisions log show nothing else. The decisions write through a separate, unrestricted
cursor; :func:`decide` and :func:`apply_swap_suggestions` take the user's restricted cursor as
``reader`` and refuse a row it does not show, exactly as a row that does not exist.

One module per part:

- this module: the decisions (:func:`decide`, :func:`apply_swap_suggestions`) and what they
  write (a record built for a rejected row, the corrected location);
- :mod:`intel.quarantine_listing`: the listing (``list_quarantine``, ``quarantine_marking``,
  ``batches``, ``decisions_log``);
- :mod:`intel.decision_values`: the corrected values checked before writing
  (``validate_point``, ``read_date``, ``read_country``, ``raw_point``) and ``DecisionError``.

Every public name of the two is named here too.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from intel import coords, hexbin, ingest, nomenclature, readers, tables
from intel.borders import border_distance
from intel.config import FINE_RES
# the listing and the values of a decision, named here too: ``quality.list_quarantine`` keeps working
from intel.decision_values import (NULL_ISLAND_DEG, DecisionError, raw_point, read_country,  # noqa: F401
                                   read_date, validate_point)
from intel.quarantine_listing import batches, decisions_log, list_quarantine, quarantine_marking  # noqa: F401
from intel.reasons import LOCATION_REASONS as IMPORT_LOCATION_REASONS
from intel.store import audit, refresh_incidents, transaction

__all__ = ["list_quarantine", "quarantine_marking", "decide", "apply_swap_suggestions", "decisions_log", "batches",
           "DECISIONS", "NULL_ISLAND_DEG", "SWAP_TOL_DEG"]

DECISIONS = {"accept": "accepted", "correct": "corrected", "reject": "rejected"}
"""Decision verb -> value stored in ``quarantine.decision``."""

SWAP_TOL_DEG = 1e-6
"""Degrees within which a corrected point counts as equal to the suggested swap."""

# reasons that concern the location: the importer's (intel.reasons) and those of older stores
LOCATION_REASONS = set(IMPORT_LOCATION_REASONS) | {"LATLON_SWAP_SUSPECTED", "PROJECTED_COORDINATES", "NULL_ISLAND", "MISSING_LOCATION",
                                "HEMISPHERE_MISSING", "LAT_OUT_OF_RANGE", "LON_OUT_OF_RANGE", "INVALID_DMS",
                                "COORDINATE_INVALID", "COORDINATE_UNREADABLE", "HEMISPHERE_AXIS_MISMATCH",
                                "INVALID_H3", "H3_PRECISION_LOSS", "PLACE_UNKNOWN", "PLACE_NOT_LOCATABLE"}


# --------------------------------------------------------------------------------------------
# what a decision reads: the border, the batch's options and profile
# --------------------------------------------------------------------------------------------

def _border(lat: float, lon: float) -> tuple:
    try:
        d = border_distance(np.array([lat]), np.array([lon]))
        return (float(d["border_km"].iloc[0]) if pd.notna(d["border_km"].iloc[0]) else None,
                d["border_pair"].iloc[0], d["border_segment"].iloc[0])
    except Exception:  # noqa: BLE001 - border reference not available in this store
        return None, None, None


def _batch_options(con, batch_id: int) -> dict:
    row = con.execute("SELECT options, source FROM batches WHERE batch_id = ?", [batch_id]).fetchone()
    if not row:
        return {"source": "upload"}
    opts = json.loads(row[0]) if row[0] else {}
    opts["source"] = row[1]
    return opts


def _batch_profile(con, opts: dict) -> dict:
    """The import profile of a batch: the whole profile stored with its options at import
    (``profile_body``); for a batch stored before that, the named profile if it still exists;
    else an empty dict (the importer's defaults: kind 'seizure')."""
    body = opts.get("profile_body")
    if isinstance(body, dict):
        return dict(body)
    if opts.get("profile"):
        try:
            return dict(ingest.load_profile(opts["profile"], con))
        except Exception:  # noqa: BLE001 - profile renamed or deleted since the import
            return {}
    return {}


# --------------------------------------------------------------------------------------------
# decisions
# --------------------------------------------------------------------------------------------

def _row(con, quarantine_id: int) -> dict:
    cur = con.execute(
        """SELECT quarantine_id, batch_id, row_number, source_record_id, event_id, outcome, reasons,
                  CAST(raw AS VARCHAR), suggested_latitude, suggested_longitude, decision
           FROM quarantine WHERE quarantine_id = ?""", [int(quarantine_id)])
    r = cur.fetchone()
    if r is None:
        raise DecisionError(f"There is no quarantined row {quarantine_id}.")
    keys = ["quarantine_id", "batch_id", "row_number", "source_record_id", "event_id", "outcome", "reasons", "raw",
            "suggested_latitude", "suggested_longitude", "decision"]
    d = dict(zip(keys, r))
    d["raw"] = json.loads(d["raw"]) if d["raw"] else {}
    d["reasons"] = list(d["reasons"] or [])
    for k in ("suggested_latitude", "suggested_longitude"):
        if d[k] is not None and isinstance(d[k], float) and math.isnan(d[k]):
            d[k] = None
    return d


def _new_event(con, q: dict) -> int:
    """A record for a rejected row (no stored record), built from its raw row through the
    importer's own parse with the batch's column mapping (location left out)."""
    opts = _batch_options(con, q["batch_id"])
    columns = dict(opts.get("columns") or {})
    for k in ("latitude", "longitude", "point"):
        columns.pop(k, None)
    raw = {k: v for k, v in q["raw"].items() if not str(k).startswith("__")}
    frame = pd.DataFrame([raw], dtype=object)
    rt = readers.RawTable(frame=frame, row_numbers=np.array([q["row_number"] or 0], dtype=np.int64), format="csv")
    body = _batch_profile(con, opts)
    kind = body.get("kind") or "seizure"
    profile = {**body, "name": opts.get("profile") or body.get("name"), "source": opts.get("source"), "kind": kind,
               "columns": columns, "constants": opts.get("constants") or body.get("constants") or {}}
    ev = None
    for cols in (columns, {k: v for k, v in columns.items() if k != "event_date"}):
        try:
            prep = ingest.prepare(rt, {**profile, "columns": cols}, date_order=opts.get("date_order"))
        except Exception:  # noqa: BLE001 - e.g. a single date whose order cannot be decided
            continue
        if len(prep.events):
            ev = prep.events.iloc[[0]].drop(columns=["_pos"], errors="ignore").copy()
            break
    if ev is None:
        ev = pd.DataFrame([{"row_number": q["row_number"], "source": opts.get("source") or "upload",
                            "source_record_id": q["source_record_id"] or str(q["row_number"]),
                            "incident_key": q["source_record_id"] or str(q["row_number"]), "kind": kind,
                            "quantity": 1.0, "flags": [], "raw": json.dumps(raw, ensure_ascii=False)}])
    event_id = con.execute("SELECT coalesce(max(event_id), 0) + 1 FROM events").fetchone()[0]
    ev["event_id"] = event_id
    ev["batch_id"] = q["batch_id"]
    ev["status"] = "quarantined"
    ev["h3_cell"] = np.array([0], dtype="uint64")
    # raw values of the parsed fields as given (never the correction), coordinates included
    try:
        fields = json.loads(ev["raw"].iloc[0]) if isinstance(ev["raw"].iloc[0], str) else {}
    except (TypeError, ValueError):
        fields = {}
    for k in ("latitude", "longitude", "point"):
        src = (opts.get("columns") or {}).get(k)
        if src in raw:
            fields[k] = raw[src]
    ev["raw"] = json.dumps(fields or raw, ensure_ascii=False)
    tbl = tables.arrow_table(con, "events", ev)
    con.register("_qev", tbl)
    try:
        con.execute("INSERT INTO events SELECT * REPLACE (NULLIF(h3_cell, 0) AS h3_cell) FROM _qev")
        refresh_incidents(con)
    finally:
        con.unregister("_qev")
    con.execute("UPDATE quarantine SET event_id = ? WHERE quarantine_id = ?", [event_id, q["quarantine_id"]])
    return int(event_id)


def _set_location(con, event_id: int, lat: float, lon: float, how: str | None) -> None:
    cell = int(hexbin.bin_points(np.array([lat]), np.array([lon]), FINE_RES)[0])
    km, pair, seg = _border(lat, lon)
    con.execute(
        """UPDATE events SET latitude = ?, longitude = ?, h3_cell = ?::UBIGINT, location_precision = 'exact',
                  location_corrected = ?, border_km = ?, border_pair = ?, border_segment = ?
           WHERE event_id = ?""", [lat, lon, cell, how, km, pair, seg, event_id])


def _check_visible(reader, quarantine_id: int) -> None:
    """Refuse a row the reader's cursor does not show, in the words used for a missing row."""
    if reader is not None and reader.execute("SELECT 1 FROM quarantine WHERE quarantine_id = ?",
                                             [int(quarantine_id)]).fetchone() is None:
        raise DecisionError(f"There is no quarantined row {quarantine_id}.")


def decide(con, quarantine_id: int, decision: str, user: str | None, note: str | None = None,
           latitude=None, longitude=None, date=None, country_iso3=None, reader=None) -> str:
    """Record the analyst's decision on one quarantined row (one transaction, one audit line).

    Parameters
    ----------
    con : writable DuckDB connection.
    quarantine_id : int
    decision : {'accept', 'correct', 'reject'}
    user : str
        Who decides (written to the row and the audit log).
    note : str, optional
        Why; stored with the decision.
    latitude, longitude : float or str, optional
        WGS84 degrees of the corrected point (``correct``).
    date : str 'YYYY-MM-DD' or date, optional
        Corrected date (``correct``).
    country_iso3 : str, optional
        Corrected country: ISO code or a name the nomenclature knows (``correct``).
    reader : DuckDB cursor, optional
        The deciding user's restricted cursor (:func:`intel.auth.apply_visibility`): a row it
        does not show is refused as if it did not exist. ``None`` (CLI, administrators, tests)
        checks nothing.

    Returns
    -------
    str
        A plain sentence saying what was done.

    Raises
    ------
    DecisionError
        When the decision is not allowed or a value is invalid; nothing is changed.
    """
    if decision not in DECISIONS:
        raise DecisionError(f"Unknown decision {decision!r}; choose accept, correct or reject.")
    _check_visible(reader, quarantine_id)
    q = _row(con, quarantine_id)
    if q["decision"]:
        raise DecisionError(f"Row {quarantine_id} was already decided ({q['decision']}).")
    loc_reasons = sorted(set(q["reasons"]) & LOCATION_REASONS)
    opts = _batch_options(con, q["batch_id"])
    cols = opts.get("columns") or {}
    detail: dict = {"quarantine_id": int(quarantine_id), "batch_id": int(q["batch_id"]), "decision": decision,
                    "reasons": q["reasons"], "note": note, "source_record_id": q["source_record_id"]}

    # validate everything before writing anything
    point = None
    how = None
    new_date = new_country = None
    if decision == "correct":
        if latitude is not None or longitude is not None:
            point = validate_point(latitude, longitude)
            sl, so = q["suggested_latitude"], q["suggested_longitude"]
            how = ("swap" if sl is not None and so is not None and abs(point[0] - sl) <= SWAP_TOL_DEG
                   and abs(point[1] - so) <= SWAP_TOL_DEG else "manual")
        new_date = read_date(date)
        new_country = read_country(country_iso3)
        if point is None and new_date is None and new_country is None:
            raise DecisionError("Give at least one corrected value (location, date or country).")
        if point is None and loc_reasons:
            raise DecisionError(f"This row's location is the problem ({', '.join(loc_reasons)}): "
                                "give the corrected latitude and longitude.")
        detail.update({"latitude": point[0] if point else None, "longitude": point[1] if point else None,
                       "location_corrected": how, "date": new_date.isoformat() if new_date else None,
                       "country_iso3": new_country})
    elif decision == "accept":
        if q["event_id"] is None:
            raise DecisionError("This row was rejected and has no stored record: it cannot be accepted as given; "
                                "correct it or reject it.")
        point = raw_point(q["raw"], cols.get("latitude"), cols.get("longitude"))
        if loc_reasons and point is None:
            raise DecisionError(f"This row has no usable coordinates ({', '.join(loc_reasons)}): "
                                "it cannot be accepted as given; correct the location or reject it.")
        detail.update({"latitude": point[0] if point else None, "longitude": point[1] if point else None})

    with transaction(con):
        if decision == "reject":
            if q["event_id"] is not None:
                con.execute("UPDATE events SET status = 'rejected', h3_cell = NULL WHERE event_id = ?", [q["event_id"]])
            msg = f"Row {q['source_record_id'] or quarantine_id} rejected: it stays out of every analysis."
        else:
            event_id = q["event_id"] if q["event_id"] is not None else _new_event(con, q)
            if point is not None:
                _set_location(con, event_id, point[0], point[1], how)
            if new_date is not None:
                con.execute("UPDATE events SET event_date = ?, date_precision = 'day' WHERE event_id = ?",
                            [new_date, event_id])
            if new_country is not None:
                con.execute("UPDATE events SET country_iso3 = ? WHERE event_id = ?", [new_country, event_id])
                if point is None:
                    con.execute("UPDATE events SET location_precision = coalesce(location_precision, 'country') "
                                "WHERE event_id = ?", [event_id])
            con.execute("UPDATE events SET status = 'accepted' WHERE event_id = ?", [event_id])
            detail["event_id"] = int(event_id)
            if decision == "correct":
                what = [w for w, v in (("location" + (f" ({how})" if how else ""), point), ("date", new_date),
                                       ("country", new_country)) if v is not None]
                msg = f"Row {q['source_record_id'] or quarantine_id} corrected ({', '.join(what)}) and accepted."
            else:
                msg = f"Row {q['source_record_id'] or quarantine_id} accepted as given."
        con.execute("UPDATE quarantine SET decision = ?, decided_by = ?, decided_at = now(), decision_note = ? "
                    "WHERE quarantine_id = ?", [DECISIONS[decision], user, note, int(quarantine_id)])
        audit(con, "quarantine.decision", detail, user)
    return msg


def apply_swap_suggestions(con, batch_id: int, user: str | None, note: str | None = None, reader=None) -> str:
    """Correct every undecided ``LATLON_SWAP_SUSPECTED`` row of a batch with its suggested swap.

    A suggestion is applied only when the swapped point lies inside the row's declared country
    (its polygon, or within :data:`intel.coords.SWAP_TOLERANCE_KM`): the country of the stored
    record, else the country column of the raw row read through the nomenclature. Rows without
    a declared country, or whose swap falls outside it, are left for review and counted. Each
    correction is its own decision (one transaction and one audit line each, the check made
    written in its note); the raw values are kept.

    ``reader`` (the user's restricted cursor, optional) limits the corrections to the rows it
    shows, as in :func:`decide`.

    Returns
    -------
    str
        How many rows were corrected, what was checked, and how many were left.
    """
    rows = con.execute(
        """SELECT q.quarantine_id, q.suggested_latitude, q.suggested_longitude, e.country_iso3, CAST(q.raw AS VARCHAR)
           FROM quarantine q LEFT JOIN events e ON e.event_id = q.event_id
           WHERE q.batch_id = ? AND q.decision IS NULL AND list_contains(q.reasons, 'LATLON_SWAP_SUSPECTED')
             AND q.suggested_latitude IS NOT NULL AND q.suggested_longitude IS NOT NULL
             AND NOT isnan(q.suggested_latitude) AND NOT isnan(q.suggested_longitude)
           ORDER BY q.quarantine_id""", [int(batch_id)]).fetchall()
    if reader is not None:
        seen = {r[0] for r in reader.execute("SELECT quarantine_id FROM quarantine WHERE batch_id = ?",
                                             [int(batch_id)]).fetchall()}
        rows = [r for r in rows if r[0] in seen]
    if not rows:
        return f"Batch {batch_id} has no undecided row with a suggested swap."
    country_col = (_batch_options(con, batch_id).get("columns") or {}).get("country")
    iso = []
    for _qid, _la, _lo, c, raw in rows:
        if not c and country_col:
            c = nomenclature.match_country((json.loads(raw) if raw else {}).get(country_col))[0]
        iso.append(c)
    inside = coords.inside_country([r[1] for r in rows], [r[2] for r in rows], iso, coords.load_country_geoms())
    done, left, outside = 0, 0, 0
    for (qid, la, lo, _c, _raw), code, ok in zip(rows, iso, inside):
        if not ok:
            outside += 1
            continue
        try:
            decide(con, qid, "correct", user, reader=reader,
                   note=(note or "one-click swap") + f" (checked: the swapped point lies in {code})",
                   latitude=la, longitude=lo)
            done += 1
        except DecisionError:
            left += 1
    msg = (f"{done} row(s) of batch {batch_id} corrected by swapping latitude and longitude, each after checking "
           "that the swapped point lies inside its declared country")
    if outside:
        msg += (f"; {outside} row(s) not swapped: the swapped point is not inside the declared country "
                "(or no country is given), left for review")
    if left:
        msg += f"; {left} left for review (the swapped point did not validate)"
    return msg + "."
