"""Benchmark of the importer's value layer on a synthetic CSV.

Writes a SYNTHETIC file of N rows x 15 columns (default 1,000,000) mixing decimal-degree,
DMS and decimal-comma coordinates, ISO and day-first dates and calibre variants, then times
:func:`intel.readers.read_table`, :func:`intel.coords.parse_coordinates`,
:func:`intel.dates.parse_dates` and :func:`intel.nomenclature.match_calibres`, and prints
rows per second for each step and for the whole.

Then imports the same file through the FULL product path (:func:`intel.ingest.import_file`
into a fresh store: read, parse, validate, nomenclature, swap check, H3, report, DuckDB write;
border distance off as in bench_store) in a child process of its own, and prints rows per
second and that process's peak memory (VmHWM).
Target on 2 cores: >= 100,000 rows/s end to end.

Usage: ``python bench/bench_parse.py [n_rows]``
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intel.nomenclature import match_calibres  # noqa: E402
from intel.coords import parse_coordinates  # noqa: E402
from intel.dates import parse_dates  # noqa: E402
from intel.readers import read_table  # noqa: E402
from memory import peak_mb  # noqa: E402


def make_file(path: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-50, 60, n)
    lon = rng.uniform(-120, 60, n)
    kind = rng.integers(0, 10, n)  # 0-6 decimal, 7-8 decimal comma, 9 DMS
    lat_s = np.char.mod("%.5f", lat).astype(object)
    lon_s = np.char.mod("%.5f", lon).astype(object)
    comma = (kind == 7) | (kind == 8)
    lat_s[comma] = [v.replace(".", ",") for v in lat_s[comma]]
    lon_s[comma] = [v.replace(".", ",") for v in lon_s[comma]]
    dms = np.flatnonzero(kind == 9)
    # a limited set of distinct DMS strings (as real files repeat places)
    pool = 5000
    def dms_text(v, pos, neg):
        a = abs(v); d = int(a); m = int((a - d) * 60); s = round(((a - d) * 60 - m) * 60)
        s = min(s, 59)
        return f"{d}°{m:02d}'{s:02d}\"{pos if v >= 0 else neg}"
    lat_pool = [dms_text(v, "N", "S") for v in lat[:pool]]
    lon_pool = [dms_text(v, "E", "W") for v in lon[:pool]]
    pick = rng.integers(0, pool, len(dms))
    lat_s[dms] = [lat_pool[i] for i in pick]
    lon_s[dms] = [lon_pool[i] for i in pick]
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), unit="D")
    iso = days.strftime("%Y-%m-%d").to_numpy(dtype=object)
    dayfirst = rng.random(n) < 0.0  # one order per file: ISO column here, see second column below
    cal_pool = np.array(["9x19", "9mm Luger", ".38 Spl", "7,62x39", "12 ga", ".22LR", "9mm", ".380 ACP",
                         ".45 ACP", "5.56x45", "unknown cal", ""], dtype=object)
    df = pd.DataFrame({
        "record_id": [f"SYN-{i:07d}" for i in range(n)],
        "seizure_date": iso,
        "report_date": days.strftime("%d/%m/%Y"),
        "country": rng.choice(["Colombia", "Brasil", "Serbia", "Nigeria", "Ghana"], n),
        "latitude": lat_s,
        "longitude": lon_s,
        "firearm_type": rng.choice(["pistola", "revolver", "rifle", "escopeta"], n),
        "make": rng.choice(["Taurus", "Glock", "Zastava", "Beretta"], n),
        "model": rng.choice(["PT92", "19", "M70", "92"], n),
        "calibre": rng.choice(cal_pool, n),
        "serial_number": [f"{i:08d}" for i in rng.integers(0, 10**8, n)],
        "quantity": rng.integers(1, 5, n).astype(str),
        "agency": rng.choice(["PN-CO", "MUP-RS", "NPF-NG"], n),
        "place": rng.choice(["Bogotá", "São Paulo", "Niš", "Lagos"], n),
        "notes": rng.choice(["", "synthetic row", "valeur 1 200 €"], n),
    })
    del dayfirst
    df.to_csv(path, index=False)


def main(n: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "synthetic.csv"
        t0 = time.perf_counter()
        make_file(p, n)
        print(f"SYNTHETIC data: {n:,} rows x 15 columns, {p.stat().st_size / 1e6:.0f} MB "
              f"(written in {time.perf_counter() - t0:.1f} s; 70% decimal, 20% decimal-comma, 10% DMS coordinates)")
        steps = []
        t = time.perf_counter()
        raw = read_table(p)
        steps.append(("read_table", time.perf_counter() - t))
        f = raw.frame
        t = time.perf_counter()
        coords = parse_coordinates(f["latitude"], f["longitude"], raw.decimal)
        steps.append(("parse_coordinates", time.perf_counter() - t))
        t = time.perf_counter()
        d1 = parse_dates(f["seizure_date"])
        steps.append(("parse_dates (ISO)", time.perf_counter() - t))
        t = time.perf_counter()
        d2 = parse_dates(f["report_date"])
        steps.append(("parse_dates (dd/mm/yyyy)", time.perf_counter() - t))
        t = time.perf_counter()
        cal = match_calibres(f["calibre"])
        steps.append(("match_calibres", time.perf_counter() - t))
        total = sum(s for _, s in steps)
        for name, secs in steps:
            print(f"{name:28s} {secs:7.2f} s  {n / secs:14,.0f} rows/s")
        print(f"{'total':28s} {total:7.2f} s  {n / total:14,.0f} rows/s")
        assert (coords["outcome"] == "ok").all(), coords["reasons"][coords["outcome"] != "ok"].head()
        assert d1.dates.notna().all() and d2.dates.notna().all() and d2.order_used == "dayfirst"
        print(f"checks: all coordinates ok, dates order {d2.order_used}, "
              f"{int(cal['calibre'].notna().sum()):,} calibres matched")
        del raw, f, coords, d1, d2, cal

        # --- the full import path, in a child process of its own (its peak memory alone)
        import json
        import subprocess

        child = subprocess.run([sys.executable, __file__, "--import-only", str(p), str(Path(d) / "bench.duckdb")],
                               capture_output=True, text=True, check=True)
        got = json.loads(child.stdout.strip().splitlines()[-1])
        secs = got["seconds"]
        print(f"import_file (full path): {got['summary']}")
        print(f"{'import_file total':28s} {secs:7.2f} s  {n / secs:14,.0f} rows/s  (target >= 100,000)  "
              f"load average {', '.join(f'{x:.2f}' for x in got['load'])} on {os.cpu_count()} CPUs")
        print(f"peak memory of the importing process (VmHWM of the child): {got['peak_mb']:,.0f} MB")


def import_only(csv: str, db: str) -> None:
    """Child process: import ``csv`` through the full product path into a fresh store ``db`` and
    print seconds, load average, peak memory and the summary as one JSON line."""
    import json

    from intel import ingest, mapping, store

    con = store.connect(db)
    profile = {"name": "bench-parse", "source": "SYNTHETIC-bench-parse", "kind": "seizure",
               "columns": mapping.suggest_mapping(list(pd.read_csv(csv, nrows=1).columns))}
    t = time.perf_counter()
    r = ingest.import_file(con, csv, profile, user="bench", border_distance=False)
    secs = time.perf_counter() - t
    load = os.getloadavg()
    con.close()
    print(json.dumps({"seconds": secs, "load": load, "peak_mb": peak_mb(), "summary": r.summary()}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--import-only":
        import_only(sys.argv[2], sys.argv[3])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
