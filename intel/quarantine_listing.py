"""The quarantine listing: quarantined and rejected rows, their marking, the imports that
have them, and the decisions taken on them.

Part of data quality (:mod:`intel.quality` takes the analyst's decisions and names every public
function here too, so ``quality.list_quarantine`` keeps working; the Data quality page and the
CLI read these). Every function reads whatever ``con`` shows: given a cursor restricted to the
user (:func:`intel.auth.apply_visibility`), ``quarantine`` holds only the rows whose effective
marking the user may see, so :func:`list_quarantine`, the per-batch counts (:func:`batches`) and
the decisions log (:func:`decisions_log`) show nothing else. :func:`quarantine_marking` gives the
marking of an export of quarantine rows.
"""
from __future__ import annotations

import json

import pandas as pd

from intel import auth

__all__ = ["list_quarantine", "quarantine_marking", "batches", "decisions_log"]


def list_quarantine(con, batch_id: int | None = None, reasons: list[str] | None = None,
                    outcome: str | None = None, undecided_only: bool = False) -> pd.DataFrame:
    """Quarantined and rejected rows with their raw values, reasons and suggestions.

    Parameters
    ----------
    con : DuckDB connection to the store.
    batch_id : int, optional
        Only rows of this import.
    reasons : list of str, optional
        Only rows carrying at least one of these reason codes.
    outcome : {'quarantined', 'rejected'}, optional
    undecided_only : bool
        Only rows without a decision.

    Returns
    -------
    pandas.DataFrame
        Columns ``quarantine_id``, ``batch_id``, ``file_name``, ``row_number``,
        ``source_record_id``, ``event_id``, ``outcome``, ``reasons`` (list of str), ``detail``,
        ``raw`` (the input row, JSON text), ``suggested_latitude``, ``suggested_longitude``
        (degrees), ``decision``, ``decided_by``, ``decided_at``, ``decision_note``,
        ``country_iso3``, ``quantity`` (of the stored record, when there is one);
        ordered by batch and row.
    """
    where, params = ["1=1"], []
    if batch_id is not None:
        where.append("q.batch_id = ?")
        params.append(int(batch_id))
    if reasons:
        where.append("list_has_any(q.reasons, ?::VARCHAR[])")
        params.append(list(reasons))
    if outcome:
        where.append("q.outcome = ?")
        params.append(outcome)
    if undecided_only:
        where.append("q.decision IS NULL")
    return con.execute(
        f"""SELECT q.quarantine_id, q.batch_id, b.file_name, q.row_number, q.source_record_id, q.event_id,
                   q.outcome, q.reasons, q.detail, CAST(q.raw AS VARCHAR) AS raw,
                   q.suggested_latitude, q.suggested_longitude, q.decision, q.decided_by, q.decided_at,
                   q.decision_note, e.country_iso3, e.quantity
            FROM quarantine q LEFT JOIN batches b USING (batch_id) LEFT JOIN events e ON e.event_id = q.event_id
            WHERE {' AND '.join(where)}
            ORDER BY q.batch_id, q.row_number, q.quarantine_id""", params).df()


def quarantine_marking(con, quarantine_ids) -> str:
    """The marking of an export of quarantine rows: the most restrictive effective marking of the
    rows (:func:`intel.auth.combined_marking`).

    A row's effective marking is the most restrictive of its batch's and its own: its stored
    record's (on a restricted cursor already the effective one) or, for a rejected row without a
    record, the value of the batch's marking column in the raw row (the rule of the
    ``quarantine`` view of :func:`intel.auth.visibility_statements`).

    Parameters
    ----------
    con : DuckDB cursor (restricted to the user or not)
    quarantine_ids : iterable of int
        The rows exported.

    Returns
    -------
    str
        ``'UNRESTRICTED (public sources)'`` for no rows.
    """
    ids = [int(i) for i in quarantine_ids]
    if not ids:
        return auth.combined_marking([])
    rows = con.execute(
        "SELECT e.event_id IS NOT NULL, e.releasability, b.releasability, "
        "json_extract_string(b.options, '$.columns.releasability'), CAST(q.raw AS VARCHAR) "
        "FROM quarantine q LEFT JOIN events e ON e.event_id = q.event_id "
        "LEFT JOIN batches b ON b.batch_id = q.batch_id WHERE list_contains(?, q.quarantine_id)", [ids]).fetchall()
    marks = []
    for has_event, own, batch, relcol, raw in rows:
        if not has_event:
            try:
                own = (json.loads(raw) or {}).get(relcol) if raw and relcol else None
            except ValueError:
                own = None
        try:
            eff = auth.effective_releasability(own, batch)
            marks.append(None if eff is None else "REL TO " + ", ".join(eff) if eff else "NOFORN")
        except ValueError:
            marks.append("unreadable marking")   # combined_marking: NOT RELEASABLE
    return auth.combined_marking(marks)


def batches(con) -> pd.DataFrame:
    """Imports that have quarantine rows: ``batch_id``, ``file_name``, ``imported_at``, ``rows``,
    ``undecided``."""
    return con.execute(
        """SELECT b.batch_id, b.file_name, b.imported_at, count(*) AS rows,
                  count(*) FILTER (WHERE q.decision IS NULL) AS undecided
           FROM quarantine q JOIN batches b USING (batch_id)
           GROUP BY ALL ORDER BY b.batch_id DESC""").df()


def decisions_log(con, limit: int = 500) -> pd.DataFrame:
    """The decisions recorded in the audit log on rows ``con`` shows in ``quarantine``, newest
    first: ``logged_at``, ``user_name``, ``quarantine_id``, ``decision``, ``note``, ``detail``
    (JSON text). On a restricted cursor, decisions on rows the user may not see are left out
    (their detail names the record); the Admin page's audit log has every line."""
    return con.execute(
        """SELECT logged_at, user_name, CAST(detail->>'quarantine_id' AS BIGINT) AS quarantine_id,
                  detail->>'decision' AS decision, detail->>'note' AS note, CAST(detail AS VARCHAR) AS detail
           FROM audit WHERE action = 'quarantine.decision'
             AND TRY_CAST(detail->>'quarantine_id' AS BIGINT) IN (SELECT quarantine_id FROM quarantine)
           ORDER BY audit_id DESC LIMIT ?""", [int(limit)]).df()
