"""Benchmark of the two store back ends side by side (run by hand; prints figures).

SYNTHETIC DATA: N clearly synthetic records (source 'SYNTHETIC-bench', record ids ``SYN-n``) drawn
uniformly in a box around Toronto (43.55-43.85 N, 79.65-79.15 W) on days of 2019-2023, written to
one CSV. The same file is imported through the product's import path into an embedded DuckDB file
and into a DuckLake store on a SQLite catalog with a local data directory, each in a child process
of its own, in the same run; then the hexagon aggregation (:func:`intel.hexbin.aggregate`) is
timed on each at resolutions 5 and 8 with a period filter (median of 20 runs after one warm-up).

With ``--postgres DSN`` (a libpq connection string of an empty database) a third store, DuckLake
on a PostgreSQL catalog, is measured in the same run.

Usage: .venv/bin/python bench/bench_lake.py [--n 1000000] [--postgres "dbname=lake host=127.0.0.1"]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intel import hexbin, ingest, mapping, store  # noqa: E402


def import_only(csv: str, spec: str) -> None:
    """Child process: import the CSV into ``spec`` and print seconds and the summary as JSON."""
    con = store.connect(spec)
    profile = {"name": "bench", "source": "SYNTHETIC-bench", "kind": "seizure", "date_order": "iso",
               "constants": {"location_precision": "exact"},
               "columns": mapping.suggest_mapping(list(pd.read_csv(csv, nrows=1).columns))}
    t = time.perf_counter()
    r = ingest.import_file(con, csv, profile, user="bench", border_distance=False)
    secs = time.perf_counter() - t
    con.close()
    print(json.dumps({"seconds": secs, "summary": r.summary()}))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--import-only":
        return import_only(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--postgres", default=None, help="libpq connection string of an empty database")
    args = ap.parse_args()
    n = args.n
    tmp = Path(tempfile.mkdtemp(prefix="bench_lake_"))
    rng = np.random.default_rng(42)
    types = np.array(["pistol", "revolver", "rifle", "shotgun", "ammunition", "magazine"])
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    csv = tmp / "synthetic.csv"
    pd.DataFrame({
        "record_id": np.char.add("SYN-", np.arange(n).astype(str)),
        "seizure_date": dates.strftime("%Y-%m-%d"),
        "latitude": np.round(rng.uniform(43.55, 43.85, n), 6),
        "longitude": np.round(rng.uniform(-79.65, -79.15, n), 6),
        "country": "CAN",
        "firearm_type": types[rng.integers(0, len(types), n)],
        "quantity": rng.integers(1, 4, n),
    }).to_csv(csv, index=False)
    print(f"SYNTHETIC data: {n:,} records in a box around Toronto ({csv.stat().st_size / 1e6:.1f} MB CSV)")
    stores = {"embedded DuckDB": str(tmp / "bench.duckdb"),
              "DuckLake (SQLite catalog)": f"ducklake:sqlite:{tmp / 'lake.sqlite'};data={tmp / 'lake_data'}"}
    if args.postgres:
        stores["DuckLake (PostgreSQL catalog)"] = f"ducklake:postgres:{args.postgres};data={tmp / 'pg_data'}"
    f = hexbin.Filters(date_from="2020-01-01", date_to="2023-01-01")
    for name, spec in stores.items():
        child = subprocess.run([sys.executable, __file__, "--import-only", str(csv), spec],
                               capture_output=True, text=True, check=True)
        got = json.loads(child.stdout.strip().splitlines()[-1])
        line = f"{name}: import {n / got['seconds']:,.0f} records/s ({got['seconds']:.2f} s)"
        con = store.connect(spec, read_only=True)
        for res in (5, 8):
            hexbin.aggregate(con, res, f)
            times = []
            for _ in range(20):
                t = time.perf_counter()
                cells = hexbin.aggregate(con, res, f)
                times.append(time.perf_counter() - t)
            line += f"; aggregation res {res}: {len(cells):,} cells, median {statistics.median(times) * 1000:.1f} ms"
        con.close()
        print(line)


if __name__ == "__main__":
    main()
