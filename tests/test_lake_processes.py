"""Many processes on one DuckLake store (issue 18): two readers (dashboard replicas: a long-lived
connection, a cursor per read, the page queries) and four ``intel import`` processes at the same
time, on a SQLite catalog and, when ``INTEL_TEST_POSTGRES`` names a PostgreSQL server, on a
PostgreSQL catalog in a database of the test's own.

Hand-computed: every file holds 15 records, all accepted, so after any whole number of imports the
store holds 15 x (batches) events; a reader that ever saw another ratio would have seen half an
import. Two different files imported at once both land; one file imported twice at once lands once
(its second import finds it by SHA-256 after the first committed). Before the SQLite catalog was in
WAL mode a reader's open read made the writers fail with "database is locked"; before ``intel
import`` tried a refused commit again, one of two simultaneous imports failed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest

from intel import ingest, store
from tests.test_lake_app import ROOT, write_csv

PG_ENV = "INTEL_TEST_POSTGRES"


def pg_database(dsn: str) -> str:
    """A new empty database on the PostgreSQL server of ``dsn`` (a libpq connection string), with
    a unique name; returns the same connection string naming it. CI gives one DSN (.ci/postgres);
    each test that needs an empty catalog makes its own through it (``psql``, as CREATE DATABASE
    cannot run inside the transaction DuckDB's postgres extension opens)."""
    psql = shutil.which("psql") or "psql"
    name = f"intel_t_{uuid.uuid4().hex[:12]}"
    subprocess.run([psql, dsn, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True, text=True, timeout=60)
    parts = [p for p in dsn.split() if not p.startswith("dbname=")]
    return " ".join([f"dbname={name}", *parts])


def catalogs():
    """SQLite always; PostgreSQL when $INTEL_TEST_POSTGRES names a server (skipped without it)."""
    dsn = os.environ.get(PG_ENV)
    return [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=pytest.mark.skipif(
                not dsn, reason=f"set {PG_ENV} to a libpq connection string of a PostgreSQL server"))]


def lake_store(tmp_path, catalog: str) -> str:
    if catalog == "sqlite":
        return f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'};data={tmp_path / 'data'}"
    return f"ducklake:postgres:{pg_database(os.environ[PG_ENV])};data={tmp_path / 'data'}"


READER = textwrap.dedent("""
    import json, os, sys, time
    from intel import hexbin, queries, store
    spec, stop_file = sys.argv[1], sys.argv[2]
    con = store.connect(spec, read_only=True)        # one connection for the process, as a replica holds
    seen, errors, reads = set(), [], 0
    while True:
        stop = os.path.exists(stop_file)             # one more read after the stop file: the final state
        try:
            cur = store.cursor(con)                  # a cursor per read, as a page's session
            ev, bat = cur.execute("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM batches)").fetchall()[0]
            hexbin.aggregate(cur, 8)                 # the Explore map's query
            queries.batches(cur)                     # the provenance table
            store.snapshot_id(cur)                   # the app's cache stamp
            seen.add((int(ev), int(bat)))
            reads += 1
        except Exception as e:
            errors.append(type(e).__name__ + ": " + " ".join(str(e).split())[:300])
        if reads == 1 and not errors:
            print("ready", flush=True)
        elif reads == 0 and errors:                  # the first read failed: say why and stop, so the
            print("failed " + errors[0], flush=True)   # test fails with the reason instead of waiting
            break
        if stop:
            break
        time.sleep(0.05)
    print(json.dumps({"seen": sorted(seen), "errors": errors[:5], "reads": reads}), flush=True)
""")


@pytest.mark.slow   # 95 s in the fast tier on the shared 2 cores (load ~35): see the tier timing of issue 13
@pytest.mark.parametrize("catalog", catalogs())
def test_two_readers_and_four_imports_at_once(tmp_path, catalog):
    spec = lake_store(tmp_path, catalog)
    con = store.connect(spec)
    assert ingest.import_file(con, write_csv(tmp_path / "first.csv", "A", 1)).accepted == 15
    con.close()
    files = {name: write_csv(tmp_path / f"{name}.csv", name.upper(), month)
             for name, month in (("c", 2), ("d", 3), ("e", 4))}
    stop = tmp_path / "stop"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    readers = [subprocess.Popen([sys.executable, "-c", READER, spec, str(stop)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) for _ in range(2)]
    try:
        for r in readers:
            assert r.stdout.readline().strip() == "ready", r.stderr.read()
        # c and d: two different files; e twice: the same file at the same time
        writers = [subprocess.Popen([sys.executable, "-m", "intel.cli", "import", str(files[n]), "--db", spec],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
                   for n in ("c", "d", "e", "e")]
        outs = [w.communicate(timeout=600) for w in writers]
    finally:
        stop.write_text("stop")
        results = []
        for r in readers:
            out, err = r.communicate(timeout=120)
            results.append((out, err))
    for w, (out, err) in zip(writers, outs):
        assert w.returncode == 0 and "Traceback" not in err, out + err
    e_runs = [out for w, (out, _) in zip(writers[2:], outs[2:])]
    assert sum("already imported" in o for o in e_runs) == 1, e_runs   # the second e found the first

    for out, err in results:
        rep = json.loads(out.strip().splitlines()[-1])
        assert rep["errors"] == [], rep["errors"]            # no lock error, no conflict, in any read
        assert rep["reads"] >= 2
        for ev, bat in rep["seen"]:
            assert ev == 15 * bat, rep["seen"]                # never half an import
        assert [15, 1] in rep["seen"] and [60, 4] in rep["seen"], rep["seen"]   # before, and after all

    con = store.connect(spec, read_only=True)
    assert sorted(r[0] for r in con.execute("SELECT file_name FROM batches").fetchall()) == \
        ["c.csv", "d.csv", "e.csv", "first.csv"]
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchall()[0] == (60, 60)
    assert con.execute("SELECT count(DISTINCT batch_id) FROM batches").fetchall()[0][0] == 4
    con.close()
