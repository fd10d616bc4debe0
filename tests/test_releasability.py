"""Releasability: a user never sees a record outside their releasability.

A hand-built store holds records marked ``REL TO BFA``, ``REL TO CIV``, ``REL TO BFA, CIV``,
``REL TO KAFO`` (a group: BFA, CIV, MLI), unrestricted ones, records that inherit their batch's
marking, records whose own marking would widen their batch's (``UNRESTRICTED`` or
``REL TO BFA, CIV`` in a ``REL TO CIV`` batch: the batch's holds), a record whose own marking
has no country in common with its batch's (``REL TO BFA`` in ``REL TO CIV``: releasable to
no country, like ``NOFORN``, so only the batch's importer sees it), a ``NOFORN`` batch, and
unreadable markings (a caveat word, prose, only spaces: administrators only). Each record's
``location_name`` names who may see it, so any leak is visible in any output. Users from BFA,
CIV (two: the importer of the CIV batch and another) and MLI, a manager without a country, and
an administrator read the store through :func:`intel.auth.apply_visibility` on their own
cursor (:func:`intel.store.cursor`), on both back ends (an embedded DuckDB file and a DuckLake store); the analyses (hexbin, hot spots, trends), the exports and the markings must show
exactly their rows, while another cursor at the same time still sees everything.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from intel import auth, hexbin, hotspots, store

BFA = auth.User("ama", "analyst", "BFA", "Douanes", "Ama")
CIV = auth.User("kofi", "analyst", "CIV", "Police", "Kofi")
CIV2 = auth.User("awa", "analyst", "CIV", "Police", "Awa")
MLI = auth.User("moussa", "planner", "MLI", "Gendarmerie", "Moussa")
NOCOUNTRY = auth.User("nobody", "manager", None, "HQ", "No country")
ADMIN = auth.User("root", "admin", "BFA", "HQ", "Admin")

# (batch marking, record marking, count, tag): tag says who may see the record
GROUPS = [
    (None, "REL TO BFA", 30, "only-BFA"),
    (None, "REL TO CIV", 30, "only-CIV"),
    (None, "REL TO BFA, CIV", 10, "BFA+CIV"),
    (None, None, 30, "everyone"),
    (None, "unrestricted", 4, "everyone-explicit"),
    (None, "REL TO KAFO", 3, "KAFO"),
    ("REL TO CIV", None, 10, "CIV-by-batch"),
    ("REL TO CIV", "UNRESTRICTED", 5, "CIV-batch-own-unrestricted"),
    ("REL TO CIV", "REL TO BFA, CIV", 3, "CIV-batch-own-BFA+CIV"),
    ("REL TO CIV", "REL TO BFA", 2, "CIV-batch-own-BFA-importer-only"),
    ("REL TO KAFO", "REL TO MLI", 2, "KAFO-batch-own-MLI"),
    ("NOFORN", None, 3, "noforn-batch-of-ama"),
    ("SECRET", None, 3, "admin-only-unreadable-batch"),
    (None, "REL TO CIV; NOFORN", 2, "admin-only-unreadable-record"),
    (None, "   ", 2, "admin-only-spaces"),
    (None, "REL TO USA AND GBR", 2, "admin-only-prose"),
]
BATCH_OWNER = {"REL TO CIV": "kofi", "NOFORN": "ama"}
"""Account that imported each batch (``batches.imported_by``)."""
_EVERYONE = {"everyone", "everyone-explicit"}
VISIBLE_TAGS = {
    "BFA": _EVERYONE | {"only-BFA", "BFA+CIV", "KAFO", "noforn-batch-of-ama"},
    "CIV": _EVERYONE | {"only-CIV", "BFA+CIV", "KAFO", "CIV-by-batch", "CIV-batch-own-unrestricted",
                        "CIV-batch-own-BFA+CIV", "CIV-batch-own-BFA-importer-only"},
    "CIV2": _EVERYONE | {"only-CIV", "BFA+CIV", "KAFO", "CIV-by-batch", "CIV-batch-own-unrestricted",
                         "CIV-batch-own-BFA+CIV"},
    "MLI": _EVERYONE | {"KAFO", "KAFO-batch-own-MLI"},
    None: set(_EVERYONE),
    "admin": {g[3] for g in GROUPS},
}
USERS = [(BFA, "BFA"), (CIV, "CIV"), (CIV2, "CIV2"), (MLI, "MLI"), (NOCOUNTRY, None), (ADMIN, "admin")]


def expected(key) -> int:
    return sum(g[2] for g in GROUPS if g[3] in VISIBLE_TAGS[key])


def build_store(path) -> None:
    """Three batches of located records in Toronto, one tag per group (see module doc)."""
    con = store.connect(path)
    batch_of = {}
    for b in dict.fromkeys(g[0] for g in GROUPS):
        bid = len(batch_of) + 1
        batch_of[b] = bid
        con.execute("INSERT INTO batches (batch_id, source, file_name, sha256, imported_at, imported_by, rows_read, "
                    "rows_accepted, rows_quarantined, rows_rejected, releasability) "
                    "VALUES (?, 'test', ?, ?, now(), ?, 0, 0, 0, 0, ?)",
                    [bid, f"batch{bid}.csv", f"sha{bid}", BATCH_OWNER.get(b), b])
    rows = []
    rng = np.random.default_rng(7)
    eid = 0
    for gi, (b, rel, n, tag) in enumerate(GROUPS):
        for i in range(n):
            eid += 1
            lat = 43.60 + 0.02 * (i % 6) + 0.003 * gi
            lon = -79.55 + 0.03 * (i // 6) + 0.004 * gi
            rows.append(dict(event_id=eid, batch_id=batch_of[b], source="test", incident_key=f"i{eid}",
                             status="accepted", kind="seizure", event_date=pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 300))),
                             latitude=lat, longitude=lon, location_precision="exact", location_name=tag,
                             country_iso3="CAN", category="firearm", firearm_type="pistol", firearms=1.0,
                             quantity=1.0, releasability=rel))
    ev = pd.DataFrame(rows)
    ev["h3_cell"] = hexbin.bin_points(ev["latitude"].to_numpy(), ev["longitude"].to_numpy())
    con.register("_ev", ev)
    cols = ", ".join(ev.columns)
    con.execute(f"INSERT INTO events ({cols}) SELECT {cols} FROM _ev")
    con.unregister("_ev")
    # quarantine: one row per group linked to a stored record, one rejected row per batch without one
    qid = 0
    for tag in {g[3] for g in GROUPS}:
        e = con.execute("SELECT event_id, batch_id FROM events WHERE location_name = ? LIMIT 1", [tag]).fetchone()
        qid += 1
        con.execute("INSERT INTO quarantine (quarantine_id, batch_id, event_id, outcome, reasons, raw) "
                    "VALUES (?, ?, ?, 'quarantined', ['PLACE_UNKNOWN'], ?)", [qid, e[1], e[0], json.dumps({"tag": tag})])
    for b, bid in batch_of.items():
        qid += 1
        con.execute("INSERT INTO quarantine (quarantine_id, batch_id, event_id, outcome, reasons, raw) "
                    "VALUES (?, ?, NULL, 'rejected', ['DATE_INVALID'], ?)", [qid, bid, json.dumps({"batch": b})])
    con.close()


def _store_name(folder, backend: str) -> str:
    """The embedded DuckDB file, or a DuckLake store on a SQLite catalog, in ``folder``."""
    if backend == "ducklake":
        return f"ducklake:sqlite:{folder / 'catalog.sqlite'};data={folder / 'data'}"
    return str(folder / "intel.duckdb")


@pytest.fixture(scope="module", params=["duckdb", "ducklake"])
def con(tmp_path_factory, request):
    db = _store_name(tmp_path_factory.mktemp("rel"), request.param)
    build_store(db)
    c = store.connect(db)
    yield c
    c.close()


def tags_seen(cur) -> set[str]:
    return {r[0] for r in cur.execute("SELECT DISTINCT location_name FROM events").fetchall()}


@pytest.mark.parametrize("user,key", USERS, ids=lambda x: getattr(x, "name", str(x)))
def test_events_view_exact_rows(con, user, key):
    cur = auth.apply_visibility(store.cursor(con), user)
    assert tags_seen(cur) == VISIBLE_TAGS[key]
    assert cur.execute("SELECT count(*) FROM events").fetchone()[0] == expected(key)
    # another cursor at the same time still sees everything
    other = store.cursor(con)
    assert other.execute("SELECT count(*) FROM events").fetchone()[0] == sum(g[2] for g in GROUPS)
    assert cur.execute("SELECT count(*) FROM events").fetchone()[0] == expected(key)


@pytest.mark.parametrize("user,key", USERS, ids=lambda x: getattr(x, "name", str(x)))
def test_analyses_see_only_visible_rows(con, user, key):
    cur = auth.apply_visibility(store.cursor(con), user)
    n = expected(key)
    agg = hexbin.aggregate(cur, 8)
    assert int(agg["records"].sum()) == n
    full = hexbin.aggregate(store.cursor(con), 8)
    assert int(full["records"].sum()) == sum(g[2] for g in GROUPS)
    df, guard = hotspots.hotspots_from_store(cur, 8, k=1)
    assert guard.events == n
    assert float(df["value"].sum()) == n
    trends = pytest.importorskip("intel.trends")
    s = trends.series(cur, "month", fill=False)
    assert int(s["events"].sum()) == n
    k = trends.kpis(cur, by_source=False)
    assert len(k)


@pytest.mark.parametrize("user,key", USERS, ids=lambda x: getattr(x, "name", str(x)))
def test_exports_and_markings(con, user, key):
    cur = auth.apply_visibility(store.cursor(con), user)
    df, _ = hotspots.hotspots_from_store(cur, 8, k=1)
    csv = hotspots.export_cells(df, "csv")
    assert pd.read_csv(io.BytesIO(csv))["value"].sum() == expected(key)
    marking = auth.export_marking(cur)
    if key in ("BFA", "CIV"):   # each sees a record releasable to no other country
        assert marking == "NOFORN"
    elif key == "CIV2":
        assert marking == "REL TO CIV"
    elif key == "MLI":
        assert marking == "REL TO MLI"
    elif key is None:
        assert marking == auth.UNRESTRICTED_MARKING
    else:  # the administrator exports everything: the set has unreadable markings
        assert marking.startswith("NOT RELEASABLE")
    # effective releasability replaces the record's own in the view
    rels = {r[0] for r in cur.execute("SELECT DISTINCT releasability FROM events").fetchall()}
    if key == "CIV":
        assert "REL TO CIV" in rels and None in rels
    # the record-level export of the visible rows never holds another country's records
    rec = cur.execute("SELECT location_name, releasability FROM events").df()
    assert set(rec["location_name"]) <= VISIBLE_TAGS[key]


@pytest.mark.parametrize("user,key", USERS, ids=lambda x: getattr(x, "name", str(x)))
def test_quarantine_and_batches(con, user, key):
    cur = auth.apply_visibility(store.cursor(con), user)
    q = cur.execute("SELECT raw FROM quarantine WHERE event_id IS NOT NULL").fetchall()
    assert {json.loads(r[0])["tag"] for r in q} == VISIBLE_TAGS[key]
    batches = {r[0] for r in cur.execute("SELECT releasability FROM batches").fetchall()}
    rejected = {json.loads(r[0])["batch"] for r in cur.execute(
        "SELECT raw FROM quarantine WHERE event_id IS NULL").fetchall()}
    assert rejected == batches
    want = {"admin": {None, "REL TO CIV", "REL TO KAFO", "NOFORN", "SECRET"}, "CIV": {None, "REL TO CIV", "REL TO KAFO"},
            "CIV2": {None, "REL TO CIV", "REL TO KAFO"}, "BFA": {None, "REL TO KAFO", "NOFORN"},
            "MLI": {None, "REL TO KAFO"}}.get(key, {None})
    assert batches == want


def test_viewer_cursor_cannot_write(con):
    cur = auth.apply_visibility(store.cursor(con), CIV)
    before = store.cursor(con).execute("SELECT count(*) FROM events").fetchone()[0]
    with pytest.raises(Exception):
        cur.execute("INSERT INTO events (event_id, batch_id, source, incident_key, status, kind) "
                    "VALUES (99999, 1, 'x', 'x', 'accepted', 'seizure')")
    with pytest.raises(Exception):
        cur.execute("DELETE FROM events")
    with pytest.raises(Exception):
        cur.execute("UPDATE events SET releasability = NULL")
    assert store.cursor(con).execute("SELECT count(*) FROM events").fetchone()[0] == before


@pytest.mark.parametrize("backend", ["duckdb", "ducklake"])
def test_read_only_connection_gets_views(tmp_path, backend):
    db = _store_name(tmp_path, backend)
    build_store(db)
    ro = store.connect(db, read_only=True)
    try:
        cur = auth.apply_visibility(store.cursor(ro), MLI)
        assert cur.execute("SELECT count(*) FROM events").fetchone()[0] == expected("MLI")
    finally:
        ro.close()


def test_visibility_key_groups_same_views():
    # the account name is part of the key: NOFORN batches are visible to their importer only
    # (was: every user of one country shared a key)
    assert auth.visibility_key(BFA) == auth.visibility_key(auth.User("ama", "planner", "BFA"))
    assert auth.visibility_key(BFA) != auth.visibility_key(auth.User("x", "planner", "BFA"))
    assert auth.visibility_key(CIV) != auth.visibility_key(CIV2)
    assert auth.visibility_key(BFA) != auth.visibility_key(CIV)
    assert auth.visibility_key(ADMIN) == auth.visibility_key(auth.LOCAL_USER)
    for u in (BFA, CIV, CIV2, MLI, NOCOUNTRY, ADMIN, None):
        k = auth.visibility_key(u)
        assert auth.visibility_key(auth.user_for_key(k)) == k or (u is None and auth.user_for_key(k).country_iso3 is None)


def test_country_literal_guard():
    with pytest.raises(ValueError):
        auth.User("x", "analyst", "BFA' OR 1=1 --")
    u = auth.User("x", "analyst", "BFA")
    object.__setattr__(u, "country_iso3", "B'A")  # bypass the dataclass check: the SQL guard still holds
    with pytest.raises(ValueError):
        auth.visible_sql(u, "r")


MARKINGS = [None, "", " ", "\t", "public", "Unrestricted", " UNRESTRICTED ", "REL TO BFA, CIV, MLI", "rel to civ",
            "REL TO BFA", "CIV", "BFA;CIV", "REL TO: CIV/BFA", "REL TO CIVX", "SECRET", "REL TO BFA, CIV,",
            "REL TO FVEY, CIV", "REL TO FVEY", "REL TO KAFO", "rel to kafo; gha", "NOFORN", " noforn", "NOFORN CIV",
            "RELCIV", "REL TO CIV MLI", "RELEASABLE TO CIV", "REL TO USA AND GBR", "USA ARE GBR", "REL TO AND",
            "REL TO ZZZ, CIV", "rel to c\u0131v", "REL TO  CIV ; MLI / BFA\n", "REL TO CIV; NOFORN",
            "UNRESTRICTED (public sources)", "'; DROP TABLE events; --"]
BATCH_MARKINGS = [None, "", "REL TO CIV", "REL TO KAFO", "NOFORN", "UNRESTRICTED", "SECRET", "  "]


def test_sql_predicate_matches_parser():
    """The SQL rule (:func:`visible_sql`) and the Python rule (:func:`visible_to`, over
    :func:`parse_releasability` and :func:`effective_releasability`) agree on every pair of a
    record's and a batch's marking, for every user and importer; the effective marking the
    events view shows parses to the same countries."""
    import duckdb

    rows = [(m, b, o) for m in MARKINGS for b in BATCH_MARKINGS for o in (None, "ama", "kofi")]
    df = pd.DataFrame(rows, columns=["r", "b", "o"], dtype=object)
    c = duckdb.connect()
    c.register("t", df)
    for user, _ in USERS:
        got = c.execute(f"SELECT {auth.visible_sql(user, 'r', 'b', 'o')} FROM t").fetchall()
        want = [auth.visible_to(user, m, b, o) for m, b, o in rows]
        bad = [(row, g[0], w) for row, g, w in zip(rows, got, want) if g[0] != w]
        assert not bad, (user.name, bad[:5])
        # the record's own marking alone (no batch) and no importer: the rule of one marking
        one = c.execute(f"SELECT {auth.visible_sql(user, 'r')} FROM (SELECT ?::VARCHAR AS r)", ["NOFORN"]).fetchone()[0]
        assert one is (user.role == "admin")
    own, bat = auth.marking_list_sql("r"), auth.marking_list_sql("b")
    eff = auth.effective_list_sql(own, bat)
    texts = c.execute(f"SELECT {auth.marking_text_sql(eff, 'r', 'b', own)} FROM t").fetchall()
    for (m, b, _), (text,) in zip(rows, texts):
        try:
            want = auth.effective_releasability(m, b)
        except ValueError:
            with pytest.raises(ValueError):
                auth.parse_releasability(text)
            continue
        assert auth.parse_releasability(text) == want, (m, b, text)


@pytest.mark.parametrize("own,batch,rels", [
    (None, "REL TO CIV", ("CIV",)),
    ("UNRESTRICTED", "REL TO CIV", ("CIV",)),          # a record never widens its batch's marking
    ("REL TO BFA, CIV", "REL TO CIV", ("CIV",)),
    ("REL TO BFA", "REL TO CIV", ()),                   # nothing in common: no other country
    ("REL TO MLI", "REL TO KAFO", ("MLI",)),
    ("REL TO FVEY", "REL TO GBR, USA, BFA", ("GBR", "USA")),
    ("NOFORN", "REL TO CIV", ()),
    ("", None, None), (None, "PUBLIC", None), ("REL TO BFA", "", ("BFA",)),
])
def test_effective_is_most_restrictive(own, batch, rels):
    assert auth.effective_releasability(own, batch) == rels


@pytest.mark.parametrize("own,batch", [("  ", "REL TO CIV"), ("REL TO CIV", "SECRET"), ("REL TO USA AND GBR", None)])
def test_effective_of_unreadable_is_unreadable(own, batch):
    with pytest.raises(ValueError):
        auth.effective_releasability(own, batch)
    assert auth.visible_to(CIV, own, batch, "kofi") is False
    assert auth.visible_to(ADMIN, own, batch) is True


def test_viewer_cursor_is_read_only_on_every_table(con):
    """A viewer's cursor cannot write any table, not only the restricted ones."""
    import duckdb

    cur = auth.apply_visibility(store.cursor(con), BFA)
    for sql in ("INSERT INTO audit VALUES (999, now(), 'x', 'x', '{}')",
                "INSERT INTO settings VALUES ('marking', '\"X\"')",
                "DELETE FROM countries", "INSERT INTO profiles VALUES ('p', '{}', now())"):
        with pytest.raises(duckdb.Error):
            cur.execute(sql)
    assert cur.execute("SELECT count(*) FROM countries").fetchone()[0] == con.execute("SELECT count(*) FROM countries").fetchone()[0]


def test_quarantine_rows_keep_their_own_marking(tmp_path):
    """Quarantined and rejected rows are seen, counted, logged and decided under the most
    restrictive of their own marking and their batch's; a rejected row (no stored record)
    keeps the marking written in its raw row. (Before: a rejected ``REL TO CIV`` row took its
    batch's marking and was visible to every user; Data quality read through the write cursor.)"""
    from intel import ingest, quality

    p = tmp_path / "r.csv"
    p.write_text("record_id,seizure_date,country,latitude,longitude,firearm_type,releasability\n"
                 "R1,2024-01-05,GHA,5.6037,-0.1870,pistol,REL TO BFA\n"
                 "R2,not a date,GHA,5.6037,-0.1870,pistol,REL TO BFA\n"      # quarantined, stored record
                 "R3,not a date,GHA,5.6037,-0.1870,pistol,REL TO CIV\n"
                 "R4,2024-01-05,GHA,95.6037,-0.1870,pistol,REL TO CIV\n"     # rejected: no stored record
                 "R5,2024-01-05,GHA,95.6037,-0.1870,pistol,NOFORN\n"         # rejected, NOFORN: the importer only
                 "R6,2024-01-05,GHA,95.6037,-0.1870,pistol,\n")              # rejected, no own marking
    con = store.connect(tmp_path / "s.duckdb")
    r = ingest.import_file(con, p, user="kofi", border_distance=False, dedup=False)
    assert (r.accepted, r.quarantined, r.rejected) == (1, 2, 3)
    qid = dict(con.execute("SELECT source_record_id, quarantine_id FROM quarantine").fetchall())
    ama = auth.apply_visibility(con.cursor(), BFA)
    kofi = auth.apply_visibility(con.cursor(), CIV)
    awa = auth.apply_visibility(con.cursor(), CIV2)
    seen = {name: set(quality.list_quarantine(cur)["source_record_id"]) for name, cur in
            (("ama", ama), ("kofi", kofi), ("awa", awa), ("all", con.cursor()))}
    assert seen == {"ama": {"R2", "R6"}, "kofi": {"R3", "R4", "R5", "R6"}, "awa": {"R3", "R4", "R6"},
                    "all": {"R2", "R3", "R4", "R5", "R6"}}
    assert int(quality.batches(ama)["rows"].sum()) == 2
    # Overview's quarantine figures count only what the user may see (was: every rejected row)
    from intel.queries import quarantine_outcomes

    counts = {name: dict(quarantine_outcomes(cur).itertuples(index=False)) for name, cur in
              (("ama", ama), ("kofi", kofi), ("all", con.cursor()))}
    assert counts == {"ama": {"quarantined": 1, "rejected": 1}, "kofi": {"quarantined": 1, "rejected": 3},
                      "all": {"quarantined": 2, "rejected": 3}}
    # a decision on a row the user may not see is refused like a missing row; nothing changes
    with pytest.raises(quality.DecisionError, match="no quarantined row"):
        quality.decide(con, qid["R4"], "reject", "ama", reader=ama)
    assert con.execute("SELECT decision FROM quarantine WHERE quarantine_id = ?", [qid["R4"]]).fetchone()[0] is None
    quality.decide(con, qid["R4"], "reject", "kofi", note="bad latitude", reader=kofi)
    assert set(quality.decisions_log(kofi)["quarantine_id"]) == {qid["R4"]}
    assert len(quality.decisions_log(ama)) == 0        # the log line names a row ama may not see
    assert len(quality.decisions_log(con.cursor())) == 1


def test_events_view_matches_python_rule_on_every_pair(tmp_path):
    """The ``events`` view (the rule evaluated per distinct batch and record marking) shows a
    user exactly the records :func:`intel.auth.visible_to` allows, for every record marking of
    MARKINGS in every batch of BATCH_MARKINGS and importer, and its ``releasability`` parses to
    :func:`intel.auth.effective_releasability`."""
    con = store.connect(tmp_path / "pairs.duckdb")
    batches, rows = [], []
    for bm in BATCH_MARKINGS:
        for owner in (None, "ama", "kofi"):
            bid = len(batches) + 1
            batches.append((bid, owner, bm))
            for m in MARKINGS:
                rows.append(dict(event_id=len(rows) + 1, batch_id=bid, source="t", incident_key=f"k{len(rows)}",
                                 status="accepted", kind="seizure", releasability=m))
    for bid, owner, bm in batches:
        con.execute("INSERT INTO batches (batch_id, source, file_name, sha256, imported_at, imported_by, rows_read, "
                    "rows_accepted, rows_quarantined, rows_rejected, releasability) "
                    "VALUES (?, 't', 'f', 's', now(), ?, 0, 0, 0, 0, ?)", [bid, owner, bm])
    ev = pd.DataFrame(rows).astype({"releasability": object})
    con.register("_ev", ev)
    con.execute(f"INSERT INTO events ({', '.join(ev.columns)}) SELECT * FROM _ev")
    meta = {bid: (owner, bm) for bid, owner, bm in batches}
    for user, _ in USERS:
        cur = auth.apply_visibility(con.cursor(), user)
        got = dict(cur.execute("SELECT event_id, releasability FROM events").fetchall())
        want = {r["event_id"] for r in rows
                if auth.visible_to(user, r["releasability"], meta[r["batch_id"]][1], meta[r["batch_id"]][0])}
        assert set(got) == want, user.name
        assert 0 < len(want) < len(rows) or user.role == "admin"
        for r in rows:
            if r["event_id"] in got:
                try:
                    eff = auth.effective_releasability(r["releasability"], meta[r["batch_id"]][1])
                except ValueError:
                    assert user.role == "admin"
                    with pytest.raises(ValueError):
                        auth.parse_releasability(got[r["event_id"]])
                    continue
                assert auth.parse_releasability(got[r["event_id"]]) == eff, (r, got[r["event_id"]])


def test_events_view_is_visible_events_sql_one_definition():
    """The ``events`` view of a user's cursor is :func:`intel.auth.visible_events_sql` (with the
    effective marking as text): the pairs SQL has one definition (issue 19 review)."""
    for user, _ in USERS:
        stmts = auth.visibility_statements(user, "cat")
        ev = auth.visible_events_sql(user, '"cat".main.events', '"cat".main.batches', effective_text=True)
        assert stmts[0] == f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM {ev}"
        if user.role != "admin":
            assert auth.visible_events_sql(user).count("SELECT DISTINCT batch_id, releasability") == 1
