"""Size of the deck JSON each map page sends per rerun, per layer (run by hand).

Runs the Explore map, Hotspots and Planner pages headless (Streamlit AppTest) on a store and
prints, for every map, the length in bytes of the JSON Streamlit sends to the browser and the
share of each layer (its ``data`` inline or a URL), and the time to parse it with Python's json
(the browser parses it with JSON5, a pure-JavaScript parser, several times slower).

Usage: PYTHONPATH=. .venv/bin/python bench/deck_json_size.py --db STORE [--out FILE.json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layer_sizes(spec: dict) -> list[tuple[str, str, int, int]]:
    """(id, type, bytes of the layer JSON, rows of inline data or -1 for a URL) per layer."""
    out = []
    for lay in spec.get("layers", []):
        data = lay.get("data")
        rows = len(data) if isinstance(data, list) else (-1 if isinstance(data, str) else 0)
        if isinstance(data, dict):
            rows = len(data.get("features", []))
        out.append((str(lay.get("id")), lay.get("@@type"), len(json.dumps(lay, separators=(",", ":"))), rows))
    return out


def measure(page: str, steps=()) -> list[dict]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=600)
    t = time.perf_counter()
    at.run()
    runs = [("first run", time.perf_counter() - t, at)]
    for name, fn in steps:
        fn(at)
        t = time.perf_counter()
        at.run()
        runs.append((name, time.perf_counter() - t, at))
    rows = []
    for name, secs, a in runs:
        if a.exception:
            rows.append({"page": page, "run": name, "error": str(a.exception[0].message)[:300]})
            continue
        for i, el in enumerate(a.get("deck_gl_json_chart")):
            js = el.proto.json
            t = time.perf_counter()
            spec = json.loads(js)
            parse = time.perf_counter() - t
            rows.append({"page": page, "run": name, "map": i, "script_s": round(secs, 2), "json_bytes": len(js),
                         "py_parse_ms": round(1000 * parse, 1),
                         "layers": [{"id": a_, "type": b, "bytes": c, "rows": d} for a_, b, c, d in layer_sizes(spec)]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["INTEL_DB"] = str(Path(args.db).resolve())
    os.environ["HOME"] = tempfile.mkdtemp(prefix="deck_json_home_")
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    rows = []
    rows += measure("explore_map.py", [("resolution 6", lambda at: at.slider(key="map_res").set_value(6)),
                                       ("resolution 5", lambda at: at.slider(key="map_res").set_value(5))])
    rows += measure("hotspots.py")
    rows += measure("planner.py")
    for r in rows:
        if "error" in r:
            print(f"{r['page']:<16} {r['run']:<14} ERROR {r['error']}")
            continue
        print(f"{r['page']:<16} {r['run']:<14} map {r['map']}  {r['json_bytes'] / 1e3:9.1f} kB  "
              f"(script {r['script_s']:.2f} s, python parse {r['py_parse_ms']:.0f} ms)")
        for lay in r["layers"]:
            print(f"{'':<34}{lay['id']:<16} {lay['type']:<16} {lay['bytes'] / 1e3:9.1f} kB  rows {lay['rows']}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
