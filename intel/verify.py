"""Store checks: is this store whole, and has its audit log been changed? (``intel verify``)

:func:`verify` reads a store (never writes it) and returns one :class:`Finding` per check, each
a plain sentence. The checks:

``schema``
    Every version recorded in ``schema_version`` is one of :data:`intel.store.MIGRATIONS` (a
    newer program made the store otherwise) and every migration is applied (otherwise the next
    writable open upgrades it).
``audit``
    The hash chain of the audit log (:func:`intel.store.audit_hash`, migration 4): each line's
    ``chain_hash`` is recomputed from the line it points at (``prev_id``) and its own columns.
    A line changed by hand no longer matches its hash; a line deleted leaves the next one
    pointing at a line that is gone. The sentence names the first broken line. The chain is
    keyless: someone who rewrites every later line as well goes unseen, which is why the
    sentence of a whole chain ends with the hash of its last line (record it elsewhere and
    compare later).
``batches``
    Every event and every quarantine row belongs to a batch row that exists (orphans named by
    batch and event ids), and each event batch holds the records its counts say:
    ``rows_read = rows_accepted + rows_quarantined + rows_rejected`` and stored records =
    accepted + quarantined + rejected rows later accepted by a decision (which adds a record).
    Batches of counts per area (:mod:`intel.areas`) hold no records and are left out of the
    second test.
``cells``
    No accepted event has coordinates without its H3 cell.
``quarantine``
    Every quarantine row has at least one reason.
``spool``
    Audit lines of read-only channels still waiting in the audit spool beside the store
    (:mod:`intel.auditspool`: written while the store could not be opened for writing) are
    counted and named; they are not a fault (the next writable open folds them into the chain),
    so the finding passes, but until then they are outside the chain.

It works on the embedded store and on a DuckLake store alike (plain SQL on the default
catalog).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from intel import auditspool, store
from intel.config import RESOLUTIONS
from intel.areas import KIND as AREA_KIND
from intel.hexbin import usable_sql

__all__ = ["Finding", "VerifyReport", "verify", "check_schema", "check_audit_chain", "check_batches",
           "check_cells", "check_quarantine", "check_spool"]

SHOW_IDS = 10
"""Largest number of ids named in one sentence (the count is always given)."""


@dataclass(frozen=True)
class Finding:
    """One check's result.

    Attributes
    ----------
    check : str
        ``schema``, ``audit``, ``batches``, ``cells`` or ``quarantine``.
    ok : bool
    message : str
        One plain sentence.
    """

    check: str
    ok: bool
    message: str


@dataclass
class VerifyReport:
    """The findings of :func:`verify`, in the order the checks ran."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(f.ok for f in self.findings)

    def lines(self) -> list[str]:
        """``ok: <sentence>`` or ``PROBLEM: <sentence>``, one per finding."""
        return [f"{'ok' if f.ok else 'PROBLEM'} [{f.check}]: {f.message}" for f in self.findings]


def _ids(values) -> str:
    values = [int(v) for v in values]
    shown = ", ".join(str(v) for v in values[:SHOW_IDS])
    return shown + (f" and {len(values) - SHOW_IDS} more" if len(values) > SHOW_IDS else "")


def check_schema(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """The recorded schema versions are known to this program and current."""
    try:
        done = sorted(int(r[0]) for r in con.execute("SELECT version FROM schema_version").fetchall())
    except duckdb.CatalogException:
        return [Finding("schema", False, "the store has no schema_version table: it is not a store of this "
                                         "program, or was never built (run `intel build`).")]
    known = [v for v, _ in store.MIGRATIONS]
    unknown = [v for v in done if v not in known]
    missing = [v for v in known if v not in done]
    if unknown:
        return [Finding("schema", False, f"the store records schema version(s) {_ids(unknown)}, which this program "
                                         f"does not know (it knows {_ids(known)}): a newer program made it; use that.")]
    if missing:
        return [Finding("schema", False, f"migration(s) {_ids(missing)} are not applied (schema version "
                                         f"{max(done, default=0)} of {store.SCHEMA_VERSION}): opening the store "
                                         "for writing (e.g. `intel import`, the dashboard) upgrades it.")]
    return [Finding("schema", True, f"schema version {store.SCHEMA_VERSION}, current.")]


def check_audit_chain(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Recompute the audit log's hash chain and name the first broken line."""
    cols = {r[0] for r in con.execute("DESCRIBE audit").fetchall()}
    if not {"prev_id", "chain_hash"} <= cols:
        return [Finding("audit", False, "the audit log has no hash chain yet (migration 4 not applied); open the "
                                        "store for writing once to add it.")]
    rows = con.execute("SELECT audit_id, logged_at, user_name, action, CAST(detail AS VARCHAR), prev_id, chain_hash "
                       "FROM audit ORDER BY audit_id").fetchall()
    hashes: dict[int, str | None] = {}
    broken: list[tuple[int, str]] = []
    first_id = rows[0][0] if rows else None
    for aid, at, user, action, detail, prev_id, stored in rows:
        hashes[aid] = stored
        if stored is None:
            broken.append((aid, "has no chain hash"))
            continue
        if prev_id is None:
            if aid != first_id:
                broken.append((aid, "points at no earlier line although it is not the first"))
                continue
            prev_hash = None
        elif prev_id >= aid or prev_id not in hashes:
            broken.append((aid, f"points at line {prev_id}, which is missing (deleted?)"))
            continue
        else:
            prev_hash = hashes[prev_id]
        try:
            expected = store.audit_hash(prev_hash, aid, at, user, action, detail)
        except (TypeError, ValueError):   # detail that is no longer JSON
            expected = None
        if expected != stored:
            broken.append((aid, "does not match its hash (changed after it was written)"))
    if broken:
        aid, why = broken[0]
        more = f"; {len(broken)} lines in all: {_ids([b[0] for b in broken])}" if len(broken) > 1 else ""
        return [Finding("audit", False, f"the audit chain is broken at line {aid}: it {why}{more}.")]
    if not rows:
        return [Finding("audit", True, "the audit log is empty.")]
    return [Finding("audit", True, f"the audit chain of {len(rows):,} lines is unbroken; last line {rows[-1][0]}, "
                                   f"hash {rows[-1][6]}.")]


def check_batches(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Orphan events and quarantine rows; batch counts against stored records."""
    out: list[Finding] = []
    for table, what in (("events", "event"), ("quarantine", "quarantine row")):
        idcol = "event_id" if table == "events" else "quarantine_id"
        rows = con.execute(f"SELECT t.batch_id, list({idcol} ORDER BY {idcol}) FROM {table} t "   # trusted names
                           "WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = t.batch_id) "
                           "GROUP BY t.batch_id ORDER BY t.batch_id").fetchall()
        for bid, ids in rows:
            out.append(Finding("batches", False, f"{len(ids):,} {what}s belong to batch {bid}, which has no batch row "
                                                 f"(orphans; {idcol} {_ids(ids)})."))

    rows = con.execute("""
        SELECT b.batch_id, b.file_name, b.rows_read, b.rows_accepted, b.rows_quarantined, b.rows_rejected,
               CAST(b.options AS VARCHAR),
               (SELECT count(*) FROM events e WHERE e.batch_id = b.batch_id) AS stored,
               (SELECT count(*) FROM quarantine q WHERE q.batch_id = b.batch_id AND q.outcome = 'rejected'
                  AND q.event_id IS NOT NULL) AS revived
        FROM batches b ORDER BY b.batch_id""").fetchall()
    # a re-import (intel.ingest) moves the records it updates to its own batch and leaves the ones it
    # finds unchanged where they are: both are in its audit lines, and the counts allow for them
    moved_out: dict[int, int] = {}
    kept_back: dict[int, int] = {}
    for action, detail in con.execute("SELECT action, CAST(detail AS VARCHAR) FROM audit "
                                      "WHERE action IN ('import', 'import.update') ORDER BY audit_id").fetchall():
        try:
            d = json.loads(detail) if detail else {}
        except ValueError:
            continue
        if action == "import" and d.get("unchanged"):
            kept_back[int(d["batch_id"])] = kept_back.get(int(d["batch_id"]), 0) + int(d["unchanged"])
        elif action == "import.update":
            for m in d.get("from_batches") or []:
                moved_out[int(m["batch_id"])] = moved_out.get(int(m["batch_id"]), 0) + int(m["records"])
    for bid, name, read, acc, qua, rej, options, stored, revived in rows:
        if read != acc + qua + rej:
            out.append(Finding("batches", False, f"batch {bid} ({name}) says {read:,} rows read but {acc:,} accepted + "
                                                 f"{qua:,} quarantined + {rej:,} rejected = {acc + qua + rej:,}."))
        try:
            kind = (json.loads(options) or {}).get("kind") if options else None
        except ValueError:
            kind = None
        if kind == AREA_KIND:
            continue
        out_, back = moved_out.get(bid, 0), kept_back.get(bid, 0)
        expect = acc + qua + revived - out_ - back
        if stored != expect:
            out.append(Finding("batches", False, f"batch {bid} ({name}) holds {stored:,} records but its counts say "
                                                 f"{expect:,} ({acc:,} accepted + {qua:,} quarantined"
                                                 + (f" + {revived:,} rejected rows accepted later" if revived else "")
                                                 + (f" - {out_:,} updated by later re-imports" if out_ else "")
                                                 + (f" - {back:,} found unchanged in earlier batches" if back else "")
                                                 + ")."))
    if not out:
        out.append(Finding("batches", True, f"{len(rows):,} batches; every event and quarantine row belongs to one, "
                                            "and each batch holds the records its counts say."))
    return out


def check_cells(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """No accepted event with coordinates lacks its H3 cell, unless its location is coarser than
    the coarsest map resolution (an area drawn over its extent, never binned as a point: the rule
    of :func:`intel.hexbin.usable_sql` that the import applies)."""
    ids = [r[0] for r in con.execute(
        "SELECT event_id FROM events e WHERE status = 'accepted' AND latitude IS NOT NULL AND longitude IS NOT NULL "
        f"AND h3_cell IS NULL AND {usable_sql(RESOLUTIONS['map'][0])} ORDER BY event_id").fetchall()]
    if ids:
        return [Finding("cells", False, f"{len(ids):,} accepted events have coordinates but no H3 cell "
                                        f"(event_id {_ids(ids)}): they are missing from every map and hot spot.")]
    return [Finding("cells", True, "every accepted event with coordinates has its H3 cell.")]


def check_quarantine(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Every quarantine row has a reason."""
    ids = [r[0] for r in con.execute(
        "SELECT quarantine_id FROM quarantine WHERE reasons IS NULL OR len(reasons) = 0 ORDER BY 1").fetchall()]
    if ids:
        return [Finding("quarantine", False, f"{len(ids):,} quarantine rows have no reason (quarantine_id {_ids(ids)}).")]
    return [Finding("quarantine", True, "every quarantine row has a reason.")]


def check_spool(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Audit lines waiting in the audit spool of the store file (:mod:`intel.auditspool`)."""
    path = auditspool.spool_path_of(con)
    n = auditspool.pending(path)
    if n:
        return [Finding("spool", True, f"{n:,} audit line(s) wait in {path}, outside the hash chain until the next "
                                       "writable open of the store folds them in (an import, a settings "
                                       "change, the dashboard's start or its next audit line).")]
    return [Finding("spool", True, "no audit line waits in the audit spool.")]


CHECKS = (check_schema, check_audit_chain, check_batches, check_cells, check_quarantine, check_spool)
"""The checks :func:`verify` runs, in order."""


def verify(con: duckdb.DuckDBPyConnection) -> VerifyReport:
    """Run every check of :data:`CHECKS` on the store ``con`` (read only; nothing is written).

    Parameters
    ----------
    con : connection of the store (embedded or DuckLake), read-only is enough

    Returns
    -------
    VerifyReport
        ``ok`` when every check passed; ``lines()`` for printing. When the schema check fails
        because the store is not one of this program, the other checks are not run.
    """
    report = VerifyReport()
    for check in CHECKS:
        try:
            found = check(con)
        except duckdb.CatalogException as exc:   # a table missing: the store is not whole
            found = [Finding(check.__name__.removeprefix("check_"), False,
                             f"the check could not run: {' '.join(str(exc).split())}")]
        report.findings.extend(found)
        if check is check_schema and not found[0].ok and "no schema_version" in found[0].message:
            break
    return report
