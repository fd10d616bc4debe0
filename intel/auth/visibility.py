"""Who may see which records, in SQL: the visibility rule and the views that apply it.

Part of :mod:`intel.auth`. :func:`visible_sql` is the rule of :func:`intel.auth.markings.visible_to`
in SQL, built from the same regular expressions (and tested against the Python rule on every pair
of markings). :func:`visibility_statements` turns it into ``TEMP VIEW`` statements named like the
store's tables; on a DuckDB cursor (:func:`apply_visibility`) they shadow the tables for that
cursor only, so every analysis that reads ``events`` sees only what the user may see, and writes
through the cursor fail. :func:`export_marking` is the most restrictive marking of the rows an
export holds.
"""
from __future__ import annotations

from typing import Mapping

from intel.auth.markings import (GROUP_NAME_RE, MARKING_SEP_RE, MARKING_WS, NOFORN_MARKING_PATTERN,
                                 OPEN_MARKING_PATTERN, REL_TO_PREFIX, combine_markings, effective_releasability,
                                 marking_groups, marking_pattern)
from intel.auth.roles import ISO3_RE, NAME_RE, User


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def marking_list_sql(expr: str, groups: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """SQL: the parsed form of the marking text ``expr``, as :func:`parse_releasability` reads it.

    Returns
    -------
    str
        A ``VARCHAR[]`` expression: ``NULL`` for no marking (NULL or ``''``), ``['*']`` for
        unrestricted, ``[]`` for ``NOFORN``, the sorted distinct ISO3 codes (groups expanded)
        for a ``REL TO`` marking, ``['!']`` for an unreadable one. ``expr`` is a trusted SQL
        expression of this module; the patterns and group names embedded are product
        constants (group names are checked against ``^[A-Z][A-Z0-9_]{1,15}$``, codes are ISO3).
    """
    groups = marking_groups() if groups is None else groups
    shape = '^' + MARKING_WS + '*' + REL_TO_PREFIX + '([A-Za-z0-9_ ,;/' + MARKING_WS[1:-1] + ']*?)' + MARKING_WS + '*$'
    body = f"upper(regexp_extract({expr}, {_sql_str(shape)}, 1))"
    tokens = f"string_split_regex({body}, {_sql_str(MARKING_SEP_RE)})"
    if groups:
        cases = " ".join(f"WHEN {_sql_str(g)} THEN [{', '.join(_sql_str(c) for c in members)}]"
                         for g, members in sorted(groups.items()) if GROUP_NAME_RE.match(g))
        tokens = f"flatten(list_transform({tokens}, lambda t: CASE t {cases} ELSE [t] END))"
    return (f"(CASE WHEN {expr} IS NULL OR {expr} = '' THEN NULL "
            f"WHEN regexp_full_match({expr}, {_sql_str(OPEN_MARKING_PATTERN)}) THEN ['*'] "
            f"WHEN regexp_full_match({expr}, {_sql_str(NOFORN_MARKING_PATTERN)}) THEN []::VARCHAR[] "
            f"WHEN regexp_full_match({expr}, {_sql_str(marking_pattern(groups))}) THEN list_sort(list_distinct({tokens})) "
            f"ELSE ['!'] END)")


def effective_list_sql(own_list: str, batch_list: str) -> str:
    """SQL: :func:`effective_releasability` of two :func:`marking_list_sql` lists (``['!']`` when
    either is unreadable, NULL when both are absent)."""
    o, b = own_list, batch_list
    return (f"(CASE WHEN {o} IS NULL THEN {b} WHEN {b} IS NULL THEN {o} "
            f"WHEN list_contains({o}, '!') OR list_contains({b}, '!') THEN ['!'] "
            f"WHEN {o} = ['*'] THEN {b} WHEN {b} = ['*'] THEN {o} "
            f"ELSE list_sort(list_intersect({o}, {b})) END)")


def _visible_list_sql(user: User, lst: str, owner_expr: str | None) -> str:
    """SQL predicate on a parsed (effective) marking list; see :func:`visible_to`."""
    if user.role == "admin":
        return "TRUE"
    parts = [f"{lst} IS NULL", f"{lst} = ['*']"]
    c = user.country_iso3
    if c is not None:
        if not ISO3_RE.match(c or ""):  # never reached: User validates; kept as the embedding guard
            raise ValueError("country must be an ISO3 code")
        parts.append(f"list_contains({lst}, '{c}')")
    if owner_expr is not None:
        if not NAME_RE.match(user.name or ""):  # never reached: User validates
            raise ValueError("user name not allowed")
        parts.append(f"(len({lst}) = 0 AND {owner_expr} = {_sql_str(user.name)})")
    return "coalesce(" + " OR ".join(parts) + ", FALSE)"


def marking_text_sql(lst: str, own_expr: str, batch_expr: str, own_list: str) -> str:
    """SQL: the effective marking as text (``REL TO ...``, ``NOFORN``, ``UNRESTRICTED``, NULL for
    none, and for an unreadable one the unreadable text itself), parsed by
    :func:`parse_releasability` to the same countries as :func:`effective_releasability`."""
    return (f"(CASE WHEN {lst} IS NULL THEN NULL WHEN {lst} = ['*'] THEN 'UNRESTRICTED' "
            f"WHEN list_contains({lst}, '!') THEN CASE WHEN list_contains({own_list}, '!') THEN {own_expr} "
            f"ELSE {batch_expr} END "
            f"WHEN len({lst}) = 0 THEN 'NOFORN' ELSE 'REL TO ' || array_to_string({lst}, ', ') END)")


def visible_sql(user: User, rel_expr: str, batch_expr: str | None = None, owner_expr: str | None = None) -> str:
    """SQL predicate: a record marked ``rel_expr`` in a batch marked ``batch_expr`` imported by
    ``owner_expr`` is visible to ``user``.

    The same rule as :func:`visible_to` (tested on the same cases): the effective marking is
    the most restrictive of the two (:func:`effective_list_sql`), read by the grammar of
    :func:`parse_releasability` (:func:`marking_list_sql`). Without ``batch_expr`` the record's
    own marking alone decides; without ``owner_expr`` nobody but an administrator sees a
    ``NOFORN`` record. The only user values embedded are the country, checked against
    ``^[A-Z]{3}$``, and the account name, checked against the account-name rule.
    """
    if user.role == "admin":
        return "TRUE"
    lst = marking_list_sql(rel_expr)
    if batch_expr is not None:
        lst = effective_list_sql(lst, marking_list_sql(batch_expr))
    return _visible_list_sql(user, lst, owner_expr)


def _pairs_sql(user: User, events: str, batches: str) -> str:
    """SQL relation: one row per distinct (batch, record marking) pair of ``events``, with
    ``batch_id``, ``_r`` (the record's marking as stored), ``_text`` (the effective marking as text,
    :func:`marking_text_sql`) and ``_vis`` (whether ``user`` may see the pair's records).

    The one definition of the rule in SQL over stored records: the ``events`` view of
    :func:`visibility_statements`, its batch counts and :func:`visible_events_sql` all join it. It
    is evaluated per pair, not per record: a store holds a handful of pairs, and each record only
    joins its own."""
    bl = (f"(SELECT batch_id, releasability AS _braw, imported_by AS _owner, "
          f"{marking_list_sql('releasability')} AS _bat FROM {batches})")
    eff = effective_list_sql("_own", "_bat")
    return (f"(SELECT batch_id, _r, {marking_text_sql('_eff', '_r', '_braw', '_own')} AS _text, "
            f"{_visible_list_sql(user, '_eff', '_owner')} AS _vis FROM "
            f"(SELECT x.*, {eff} AS _eff FROM (SELECT d.batch_id, d._r, {marking_list_sql('d._r')} AS _own, "
            f"b._bat, b._braw, b._owner FROM (SELECT DISTINCT batch_id, releasability AS _r FROM {events}) d "
            f"LEFT JOIN {bl} b ON b.batch_id = d.batch_id) x) y)")


def visible_events_sql(user: User, events: str = "events", batches: str = "batches",
                       effective_text: bool = False) -> str:
    """SQL relation: the rows of ``events`` that ``user`` may see, columns as stored.

    The rule of :func:`visible_to` (the effective marking of record and batch, the batch's importer
    for ``NOFORN``), evaluated once per distinct (batch, record marking) pair (:func:`_pairs_sql`),
    on the tables of any cursor, the writing one included: an import compares its rows with stored
    records through it (:mod:`intel.ingest`: re-import matching, deduplication, re-seizure leads),
    inside its own transaction. The ``events`` view of :func:`visibility_statements` is this
    relation with ``effective_text``.

    Parameters
    ----------
    user : User
    events, batches : str
        Trusted SQL names of the two tables (never user input).
    effective_text : bool
        Replace ``releasability`` with the effective marking as text (:func:`marking_text_sql`),
        for an administrator too.

    Returns
    -------
    str
        ``events`` itself for an administrator (without ``effective_text``); else a parenthesised
        ``SELECT`` to use as ``FROM <relation> alias``. The only user values embedded are those of
        :func:`visible_sql`.
    """
    if user.role == "admin" and not effective_text:
        return events
    cols = "e.* REPLACE (p._text AS releasability)" if effective_text else "e.*"
    return (f"(SELECT {cols} FROM {events} e JOIN {_pairs_sql(user, events, batches)} p "
            f"ON p.batch_id = e.batch_id AND p._r IS NOT DISTINCT FROM e.releasability WHERE p._vis)")


def updatable_events_sql(user: User, events: str = "events", batches: str = "batches") -> str:
    """SQL relation: the stored records ``user`` may replace by re-importing them.

    A re-import updates a record in place (:mod:`intel.ingest`), which may narrow or widen what
    others see of it, so only the account that imported the record's batch, or an administrator,
    may do so. A record another account imported is never updated by a re-import: the new row is
    stored as a record of its own and compared with the visible ones (duplicates, re-seizure
    leads) like any new row.

    Parameters
    ----------
    user : User
    events, batches : str
        Trusted SQL names of the two tables (never user input).

    Returns
    -------
    str
        ``events`` for an administrator; else a parenthesised ``SELECT`` of the records of
        batches whose ``imported_by`` is ``user.name`` and which the user may see.
    """
    if user.role == "admin":
        return events
    vis = visible_events_sql(user, events, batches)
    return (f"(SELECT v.* FROM {vis} v JOIN {batches} ob ON ob.batch_id = v.batch_id "
            f"WHERE ob.imported_by = {_sql_str(user.name)})")


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


VIEWED_TABLES = ("events", "quarantine", "batches", "flows", "crossings", "country_stats")
READ_ONLY_TABLES = ("audit", "settings", "profiles", "countries", "admin1", "schema_version")
"""Tables every user may read, shadowed by pass-through views so that a viewer's cursor is
read-only on the whole store (writes go through a separate cursor after a role check)."""
"""Tables shadowed by a temp view of the same name on a user's cursor."""
BATCH_COUNTS_VIEW = "batch_counts"
"""Temp view of a user's cursor: per batch (``batch_id``), ``rows_read``, ``rows_accepted``,
``rows_quarantined`` and ``rows_rejected`` over the input rows the user may see (the stored
counts less the hidden rows; :func:`intel.queries.batches` reads it when it exists)."""


def visibility_statements(user: User, catalog: str) -> list[str]:
    """``CREATE OR REPLACE TEMP VIEW`` statements that restrict a cursor to what ``user`` may see.

    Parameters
    ----------
    user : User
    catalog : str
        The store's catalog name (``SELECT current_database()`` on the cursor); quoted here.

    Returns
    -------
    list of str
        Views ``events`` (with ``releasability`` replaced by the effective marking, the most
        restrictive of the record's own and its batch's, as text), ``batches`` (by their
        marking; a ``NOFORN`` batch for its importer), ``quarantine`` (by the most restrictive of
        the batch's marking and the row's own: that of its stored record or, for a rejected row
        without one, the value of the batch's marking column in the raw row), and ``flows``, ``crossings``, ``country_stats`` (by their batch's
        marking), and :data:`BATCH_COUNTS_VIEW` (each batch's counts over the rows the user
        may see). Administrators get the same views with every row, so their cursor is
        read-only on those tables too.
    """
    cat = _ident(catalog)
    t = {name: f"{cat}.main.{name}" for name in VIEWED_TABLES}
    bl = (f"(SELECT batch_id, releasability AS _braw, imported_by AS _owner, "
          f"{marking_list_sql('releasability')} AS _bat, "
          f"json_extract_string(options, '$.columns.releasability') AS _relcol FROM {t['batches']})")
    # a quarantine row's own marking: its stored record's, else (a rejected row) the value of
    # the batch's marking column in the raw row as imported
    q_own = ("CASE WHEN e.event_id IS NOT NULL THEN e.releasability "
             "ELSE json_transform(q.raw, '\"MAP(VARCHAR, VARCHAR)\"')[b._relcol] END")
    eff = effective_list_sql("_own", "_bat")
    # the rule per distinct (batch, record marking) pair: one definition (_pairs_sql), shared with
    # visible_events_sql and the batch counts below
    pairs = _pairs_sql(user, t["events"], t["batches"])
    stmts = [
        f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM "
        f"{visible_events_sql(user, t['events'], t['batches'], effective_text=True)}",
        f"CREATE OR REPLACE TEMP VIEW batches AS SELECT b.* FROM {t['batches']} b WHERE "
        f"{_visible_list_sql(user, marking_list_sql('b.releasability'), 'b.imported_by')}",
        f"CREATE OR REPLACE TEMP VIEW quarantine AS SELECT * EXCLUDE (_own, _bat, _owner) FROM "
        f"(SELECT q.*, {marking_list_sql(f'({q_own})')} AS _own, "
        f"b._bat, b._owner FROM {t['quarantine']} q LEFT JOIN {t['events']} e ON e.event_id = q.event_id "
        f"LEFT JOIN {bl} b ON b.batch_id = q.batch_id) y "
        f"WHERE {_visible_list_sql(user, eff, '_owner')}",
    ]
    # the batches' counts over the rows the user may see (provenance): the stored counts less
    # the hidden input rows (an input row may give several records: its row number counts once)
    hidden_ev = (f"(SELECT e.batch_id, count(DISTINCT e.row_number) + count(*) FILTER (WHERE e.row_number IS NULL) "
                 f"AS n FROM {t['events']} e JOIN {pairs} p ON p.batch_id = e.batch_id "
                 f"AND p._r IS NOT DISTINCT FROM e.releasability WHERE NOT p._vis AND NOT EXISTS "
                 f"(SELECT 1 FROM {t['quarantine']} q WHERE q.event_id = e.event_id) GROUP BY e.batch_id)")
    hidden_q = (f"(SELECT batch_id, count(*) FILTER (WHERE outcome = 'quarantined') AS q, "
                f"count(*) FILTER (WHERE outcome = 'rejected') AS r FROM "
                f"(SELECT q.batch_id, q.outcome, {marking_list_sql(f'({q_own})')} AS _own, b._bat, b._owner "
                f"FROM {t['quarantine']} q LEFT JOIN {t['events']} e ON e.event_id = q.event_id "
                f"LEFT JOIN {bl} b ON b.batch_id = q.batch_id) y "
                f"WHERE NOT {_visible_list_sql(user, eff, '_owner')} GROUP BY batch_id)")
    stmts.append(
        f"CREATE OR REPLACE TEMP VIEW {BATCH_COUNTS_VIEW} AS SELECT b.batch_id, "
        f"b.rows_read - coalesce(he.n, 0) - coalesce(hq.q, 0) - coalesce(hq.r, 0) AS rows_read, "
        f"b.rows_accepted - coalesce(he.n, 0) AS rows_accepted, b.rows_quarantined - coalesce(hq.q, 0) "
        f"AS rows_quarantined, b.rows_rejected - coalesce(hq.r, 0) AS rows_rejected FROM {t['batches']} b "
        f"LEFT JOIN {hidden_ev} he ON he.batch_id = b.batch_id LEFT JOIN {hidden_q} hq ON hq.batch_id = b.batch_id")
    for name in ("flows", "crossings", "country_stats"):
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT x.* FROM {t[name]} x "
                     f"LEFT JOIN {bl} b ON b.batch_id = x.batch_id WHERE {_visible_list_sql(user, '_bat', '_owner')}")
    # every other table through a pass-through view too: a viewer's cursor cannot write anything
    for name in READ_ONLY_TABLES:
        stmts.append(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {cat}.main.{name}")
    return stmts


def apply_visibility(cursor, user: User):
    """Shadow the store's tables on ``cursor`` with views restricted to ``user``.

    Parameters
    ----------
    cursor : duckdb.DuckDBPyConnection
        A cursor of its own (``con.cursor()``): temp views belong to that cursor only; other
        cursors of the same instance still see the tables.
    user : User

    Returns
    -------
    The same cursor, for chaining.
    """
    catalog = cursor.execute("SELECT current_database()").fetchone()[0]
    for sql in visibility_statements(user, catalog):
        cursor.execute(sql)
    return cursor


def visibility_key(user: User | None) -> tuple:
    """A hashable key of what ``user`` may see, for cache keys (equal keys see equal rows).

    A non-administrator's key holds the country and the account name: ``NOFORN`` batches are
    visible to the account that imported them, so two users of one country may see different rows.
    """
    if user is None:
        return ("nobody",)
    if user.role == "admin":
        return ("all",)
    return ("country", user.country_iso3, user.name)


def user_for_key(key: tuple) -> User:
    """A stand-in user with the visibility of :func:`visibility_key` ``key`` (for cached queries
    that receive only the key): ``("all",)`` is an administrator, ``("country", ISO3 or None,
    name)`` an analyst of that country with that account name, ``("nobody",)`` a user without
    a country."""
    if key == ("all",):
        return User("cache", "admin")
    if len(key) == 3 and key[0] == "country":
        return User(key[2], "analyst", key[1])
    if len(key) == 2 and key[0] == "country":
        return User("cache", "analyst", key[1])
    return User("cache", "analyst", None)


def export_marking(con, filters=None) -> str:
    """The marking to print on an export of the ``events`` rows ``con`` sees under ``filters``.

    Parameters
    ----------
    con : DuckDB cursor (restricted with :func:`apply_visibility` or not).
    filters : intel.hexbin.Filters, optional

    Returns
    -------
    str
        The most restrictive marking (:func:`combined_marking`) of the rows' effective
        markings (:func:`effective_releasability` of each record's own and its batch's; on a
        restricted cursor ``events.releasability`` already is the effective one).
    """
    where, params = ("TRUE", [])
    if filters is not None:
        where, params = filters.where("e")
    rows = con.execute(
        f"SELECT DISTINCT e.releasability, b.releasability "
        f"FROM events e LEFT JOIN batches b ON b.batch_id = e.batch_id WHERE {where}", params).fetchall()
    parsed, unreadable = [], False
    for own, batch in rows:
        try:
            parsed.append(effective_releasability(own, batch))
        except ValueError:
            unreadable = True
    return combine_markings(parsed, unreadable)
