"""Benchmark of the foundation at 1,000,000 records (run by hand; prints figures).

SYNTHETIC DATA: the real accepted locations of the bundled store (Toronto intersections and CBP
headquarters towns) are resampled with replacement and jittered (Gaussian, sigma 150 m) to
1,000,000 clearly synthetic records (source 'SYNTHETIC-bench'); dates are drawn uniformly in the
real period. They are written to a CSV and imported through the product's import path.

Figures, each beside a reference measured in the same run:
* import throughput (records/s) -- reference: pandas.read_csv + h3-py strings per row;
* store size (MB);
* hexagon aggregation latency at resolutions 5 and 8 with a period filter, median of 20 runs --
  reference: pandas groupby on precomputed h3 strings with the same filter;
* bytes of map data sent to the browser per rerun (the pydeck JSON of the Explore map);
* peak memory (max RSS).
Targets at 1M records on 2 cores: import >= 200,000 records/s, aggregation <= 50 ms,
<= 2 MB per rerun, <= 2 GB peak memory.

Usage: .venv/bin/python bench/bench_store.py [--n 1000000]
"""
from __future__ import annotations

import argparse
import os
import json
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intel import hexbin, ingest, mapping, store  # noqa: E402
from intel.render import hexagons  # noqa: E402
from intel.render.deck import offline_deck, view_for  # noqa: E402
from memory import peak_mb  # noqa: E402
from intel.reference import build  # noqa: E402


def import_only(csv: str, db: str) -> None:
    """Child process: import the synthetic CSV and print seconds, load and peak memory as JSON."""
    con = store.connect(db)
    profile = {"name": "bench", "source": "SYNTHETIC-bench", "kind": "seizure", "date_order": "iso",
               "constants": {"location_precision": "exact"},
               "columns": mapping.suggest_mapping(list(pd.read_csv(csv, nrows=1).columns))}
    t = time.perf_counter()
    r = ingest.import_file(con, csv, profile, user="bench", border_distance=False)
    secs = time.perf_counter() - t
    load = os.getloadavg()
    con.execute("CHECKPOINT")
    con.close()
    print(json.dumps({"seconds": secs, "load": load, "peak_mb": peak_mb(), "summary": r.summary()}))


def synthetic_csv(real_db, n: int, csv: Path, seed: int = 42) -> dict:
    """Write ``n`` SYNTHETIC records to ``csv``: the real store's accepted locations resampled with
    replacement and jittered (sigma about 150 m), dates uniform over the real period, firearm type
    and quantity at random. Also used by ``bench_browser.py``.

    Returns
    -------
    dict
        ``lat``, ``lon`` (arrays, degrees), ``lo``, ``hi`` (the real period), ``days`` (its length).
    """
    con = store.connect(real_db, read_only=True)
    pts = con.execute("SELECT latitude, longitude FROM events WHERE status='accepted' AND latitude IS NOT NULL").df()
    lo, hi = con.execute("SELECT min(event_date), max(event_date) FROM events WHERE status='accepted'").fetchone()
    con.close()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(pts), n)
    lat = pts["latitude"].to_numpy()[idx] + rng.normal(0, 0.00135, n)
    lon = pts["longitude"].to_numpy()[idx] + rng.normal(0, 0.00185, n)
    days = (pd.Timestamp(hi) - pd.Timestamp(lo)).days
    dates = pd.Timestamp(lo) + pd.to_timedelta(rng.integers(0, days + 1, n), unit="D")
    types = np.array(["pistol", "revolver", "rifle", "shotgun", "ammunition", "magazine"])
    pd.DataFrame({
        "record_id": np.char.add("SYN-", np.arange(n).astype(str)),
        "seizure_date": dates.strftime("%Y-%m-%d"),
        "latitude": np.round(lat, 6), "longitude": np.round(lon, 6),
        "country": np.where(lon > -85, "CAN", "USA"),
        "firearm_type": types[rng.integers(0, len(types), n)],
        "quantity": rng.integers(1, 4, n),
    }).to_csv(csv, index=False)
    print(f"SYNTHETIC data: {n:,} records resampled from {len(pts):,} real locations, written to {csv.name} "
          f"({csv.stat().st_size / 1e6:.1f} MB)")
    return {"lat": lat, "lon": lon, "lo": lo, "hi": hi, "days": days}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--import-only":
        return import_only(sys.argv[2], sys.argv[3])
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    n = args.n
    tmp = Path(tempfile.mkdtemp(prefix="bench_store_"))
    real = tmp / "real.duckdb"
    build(real, progress=lambda m: None)
    csv = tmp / "synthetic_1m.csv"
    syn = synthetic_csv(real, n, csv)
    lat, lon, lo, hi, days = syn["lat"], syn["lon"], syn["lo"], syn["hi"], syn["days"]

    # --- import through the product path, in a child process of its own (its peak memory alone)
    db = tmp / "bench.duckdb"
    child = subprocess.run([sys.executable, __file__, "--import-only", str(csv), str(db)], capture_output=True,
                           text=True, check=True)
    got = json.loads(child.stdout.strip().splitlines()[-1])
    t_imp, load_imp, imp_peak = got["seconds"], tuple(got["load"]), got["peak_mb"]

    print(f"import: {got['summary']}")
    # reference: pandas + h3 strings
    import h3

    t = time.perf_counter()
    df = pd.read_csv(csv, dtype={"record_id": str})
    df["h3"] = [h3.latlng_to_cell(a, b, 9) for a, b in zip(df["latitude"].to_numpy(), df["longitude"].to_numpy())]
    t_ref = time.perf_counter() - t
    print(f"load average (1, 5, 15 min) after the import: {', '.join(f'{x:.2f}' for x in load_imp)} on {os.cpu_count()} CPUs")
    print(f"import throughput: {n / t_imp:,.0f} records/s ({t_imp:.2f} s) | reference pandas+h3 strings "
          f"(read + bin only, no validation, no store): {n / t_ref:,.0f} records/s ({t_ref:.2f} s) | ratio {t_ref / t_imp:.2f}x")
    # border distance for the same records (the import's 'locate' step when intel.borders is present)
    try:
        from intel.borders import border_distance

        t = time.perf_counter()
        border_distance(lat, lon)
        print(f"border distance for {n:,} points: {time.perf_counter() - t:.2f} s (part of a full import)")
    except ImportError:
        pass
    print(f"store size: {db.stat().st_size / 1e6:.1f} MB")

    # --- aggregation latency
    con = store.connect(db, read_only=True)
    f = hexbin.Filters(date_from=str(pd.Timestamp(lo) + pd.Timedelta(days=days // 3))[:10],
                       date_to=str(pd.Timestamp(hi))[:10])
    d_from, d_to = f.date_from, f.date_to
    df["d"] = pd.to_datetime(df["seizure_date"])
    for res in (5, 8):
        hexbin.aggregate(con, res, f)  # warm
        times = []
        for _ in range(20):
            t = time.perf_counter()
            cells = hexbin.aggregate(con, res, f)
            times.append(time.perf_counter() - t)
        df[f"h{res}"] = [h3.cell_to_parent(c, res) for c in df["h3"].to_numpy()] if res != 9 else df["h3"]
        rtimes = []
        for _ in range(20):
            t = time.perf_counter()
            sub = df[(df["d"] >= d_from) & (df["d"] < d_to)]
            sub.groupby(f"h{res}").agg(events=("record_id", "nunique"), firearms=("quantity", "sum"))
            rtimes.append(time.perf_counter() - t)
        med, rmed = statistics.median(times), statistics.median(rtimes)
        deck = offline_deck([hexagons.hexagon_layer(cells, "events")[0]], view_for([43.7], [-79.4]))
        size = len(deck.to_json().encode())
        print(f"aggregation res {res}: {len(cells):,} cells, median {med * 1000:.1f} ms | reference pandas groupby on "
              f"h3 strings: {rmed * 1000:.1f} ms | ratio {rmed / med:.1f}x | map data per rerun: {size / 1e6:.2f} MB")
    print(f"peak memory: import process {imp_peak:,.0f} MB (max RSS of the child that imported 1M records); "
          f"this process (store build, synthetic CSV, references, aggregation) {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
