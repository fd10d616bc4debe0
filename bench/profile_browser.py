"""Where the browser's time goes on a map page: a CPU profile of the page's main thread (run by hand).

Starts the dashboard on a store, opens a page in Debian's chromium (as bench_browser.py does),
and records Chrome DevTools Protocol CPU profiles of the first drawn map and of one resolution
change on the Explore map; prints the functions with the most self time (with their script) and
the bytes the page received over HTTP and the websocket.

Usage: PYTHONPATH=. .venv/bin/python bench/profile_browser.py --db STORE [--page explore_map] [--out DIR]
"""
from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_browser import ARGS, CHROMIUM, _shot, changed, drawn, run_over, start_server, wait_health, wait_map  # noqa: E402


def top_self(profile: dict, n: int = 25) -> list[tuple[float, str]]:
    nodes = {x["id"]: x for x in profile["nodes"]}
    dt = collections.Counter()
    samples, deltas = profile.get("samples", []), profile.get("timeDeltas", [])
    for sid, d in zip(samples, deltas):
        dt[sid] += d
    agg = collections.Counter()
    for sid, us in dt.items():
        cf = nodes[sid]["callFrame"]
        url = cf.get("url", "").rsplit("/", 1)[-1]
        agg[f"{cf.get('functionName') or '(anon)'} [{url}:{cf.get('lineNumber', 0)}:{cf.get('columnNumber', 0)}]"] += us
    total = sum(agg.values()) or 1
    return [(v / 1e6, f"{100 * v / total:4.1f}%  {k}") for k, v in agg.most_common(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--page", default="explore_map")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="profile_home_"))
    proc = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            proc, url, _ = start_server(args.db, home)
            wait_health(url, proc)
            # a first session warms the server's caches, so the profile is the browser's
            warm = browser.new_page(viewport={"width": 1400, "height": 1000})
            warm.goto(f"{url}/{args.page}", wait_until="commit")
            print(f"warm-up map drawn in {wait_map(warm, time.perf_counter()):.2f} s")
            warm.close()
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            cdp = page.context.new_cdp_session(page)
            received = collections.Counter()
            cdp.send("Network.enable")
            cdp.on("Network.dataReceived", lambda e: received.__setitem__("http", received["http"] + e["dataLength"]))
            cdp.on("Network.webSocketFrameReceived",
                   lambda e: received.__setitem__("ws", received["ws"] + len(e["response"]["payloadData"])))
            cdp.send("Profiler.enable")
            cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
            cdp.send("Profiler.start")
            t0 = time.perf_counter()
            page.goto(f"{url}/{args.page}", wait_until="commit")
            first = wait_map(page, t0)
            prof = cdp.send("Profiler.stop")["profile"]
            print(f"first map drawn in {first:.2f} s; received http {received['http'] / 1e6:.2f} MB, "
                  f"websocket {received['ws'] / 1e6:.2f} MB (base64 frames)")
            rows = {"first": {"seconds": first, "http_bytes": received["http"], "ws_bytes": received["ws"],
                              "top": top_self(prof)}}
            for s, k in rows["first"]["top"]:
                print(f"  {s:7.2f} s {k}")
            if args.page == "explore_map":
                run_over(page)
                received.clear()
                thumb = page.locator("[data-testid='stSlider'] input[type='range']").first
                before = _shot(page)
                thumb.focus()
                cdp.send("Profiler.start")
                t0 = time.perf_counter()
                page.keyboard.press("ArrowLeft")
                redraw = wait_map(page, t0, before)
                prof2 = cdp.send("Profiler.stop")["profile"]
                print(f"resolution change redrawn in {redraw:.2f} s; received http {received['http'] / 1e6:.2f} MB, "
                      f"websocket {received['ws'] / 1e6:.2f} MB")
                rows["redraw"] = {"seconds": redraw, "http_bytes": received["http"], "ws_bytes": received["ws"],
                                  "top": top_self(prof2)}
                for s, k in rows["redraw"]["top"]:
                    print(f"  {s:7.2f} s {k}")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"profile_{args.page}.json").write_text(json.dumps(rows, indent=1))
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
