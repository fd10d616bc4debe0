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


def _children() -> dict[int, list[int]]:
    import os

    kids = collections.defaultdict(list)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids[ppid].append(int(d))
    return kids


def cpu_seconds(root: int, with_root: bool = True) -> float:
    """CPU seconds (user + system) used so far by ``root`` (unless ``with_root`` is False) and its
    live descendants: a figure that does not depend on how loaded the machine is."""
    import os

    kids = _children()
    total, stack = 0.0, ([root] if with_root else list(kids.get(root, [])))
    tick = os.sysconf("SC_CLK_TCK")
    while stack:
        pid = stack.pop()
        stack += kids.get(pid, [])
        try:
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


WRAPPERS = {"RunTask", "ThreadControllerImpl::RunTask", "ThreadPool_RunTask", "SequenceManager::DoIdleWork"}


def trace_summary(events: list[dict], n: int = 20) -> list[tuple[float, str]]:
    """Seconds per (process, thread, event name) of complete trace events, top level only per thread
    (events nested in a longer one of the same thread are not counted twice; the task wrappers
    :data:`WRAPPERS` are looked through)."""
    names = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    per = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e and e["name"] not in WRAPPERS:
            per[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
    agg = collections.Counter()
    for key, evs in per.items():
        evs.sort()
        end = -1
        for a, b, name in evs:
            if a >= end:  # top level on this thread
                agg[f"{names.get(key, key)}: {name}"] += b - a
                end = b
    return [(v / 1e6, k) for k, v in agg.most_common(n)]


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
            # every websocket message's arrival (browser clock, ms), to split server and browser time
            page.add_init_script("""(() => { window.__wsTimes = []; const WS = window.WebSocket;
                window.WebSocket = function(...a) { const ws = new WS(...a);
                  ws.addEventListener('message', () => window.__wsTimes.push(performance.now())); return ws; };
                window.WebSocket.prototype = WS.prototype; Object.assign(window.WebSocket, WS); })();""")
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
                trace = []
                cdp.on("Tracing.dataCollected", lambda e: trace.extend(e["value"]))
                done = []
                cdp.on("Tracing.tracingComplete", lambda e: done.append(1))
                cdp.send("Tracing.start", {"categories": "devtools.timeline,gpu,disabled-by-default-devtools.timeline",
                                           "transferMode": "ReportEvents"})
                cdp.send("Profiler.start")
                page.evaluate("window.__wsTimes = []")
                import os
                c_server, c_all = cpu_seconds(proc.pid), cpu_seconds(os.getpid(), with_root=False)
                p0 = page.evaluate("performance.now()") / 1000
                t0 = time.perf_counter()
                page.keyboard.press("ArrowLeft")
                redraw = wait_map(page, t0, before)
                prof2 = cdp.send("Profiler.stop")["profile"]
                cdp.send("Tracing.end")
                end = time.perf_counter() + 60
                while not done and time.perf_counter() < end:
                    page.wait_for_timeout(200)
                print("trace, seconds per thread and top-level event:")
                for sec, k in trace_summary(trace):
                    print(f"  {sec:7.2f} s {k}")
                c_server, c_all = cpu_seconds(proc.pid) - c_server, cpu_seconds(os.getpid(), with_root=False) - c_all
                print(f"CPU seconds from the key to the redrawn map (profiling and polling included): server "
                      f"{c_server:.2f}, browser and the rest {c_all - c_server:.2f}")
                ws = [x / 1000 - p0 for x in page.evaluate("window.__wsTimes")]
                if ws:
                    print(f"websocket messages: {len(ws)}, first {ws[0]:.2f} s, last {ws[-1]:.2f} s after the key "
                          f"(server time); map drawn {redraw - ws[-1]:.2f} s after the last one (browser time)")
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
