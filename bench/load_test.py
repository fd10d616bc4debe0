"""Bounded load test: 8 browser sessions browse while a 9th imports two files through the Import page.

What it does
------------
1. Copies a store (default ``/tmp/lt/intel.duckdb``; build one with
   ``.venv/bin/python -m intel.cli build --db /tmp/lt/intel.duckdb``) into a temporary folder and
   starts ``streamlit run app.py`` on 127.0.0.1 (a free port; nothing else is contacted).
2. Opens one headless Debian chromium (Playwright) with ``--sessions`` browser contexts (8).
   Each session loads ``/`` and then, ``--iterations`` times, moves through Overview, Explore
   map and Hotspots with the sidebar navigation (the same websocket session, as an analyst
   would). A page counts as shown when its title is visible, its map canvas (map pages) is
   visible and the app has finished running (the status widget is gone): that time is the
   *page time*.
3. At the same time one more session opens the Import page, uploads a generated CSV
   (``--import-rows`` rows in the standard template columns) and presses Import, ``--imports``
   times with different files (2), waiting each time until the page has read the file; the import
   runs on the server process's import worker (:mod:`intel.jobs`: one at a time, in its own DuckDB
   cursor and transaction) and the page shows its summary when the worker has finished.
4. Errors: exceptions shown on a page, error boxes, pages not shown within ``--page-timeout``
   seconds, websocket closes the test did not cause, and failed imports.

Prints the number of page views, p50 / p95 / max page time, the import times and every error;
exits 1 when there was an error. Bounded: at most ``--sessions`` x ``--iterations`` x 3 page
views and ``--max-seconds`` in all; only 127.0.0.1.

These defaults pass on a 2-core machine (measured 2025-12-06, load average 5 before the run:
32 page views, p50 7.9 s, p95 34.5 s, max 54.6 s; imports of 5,000 rows 13.5 s and 15.6 s in the
page; 0 errors, exit 0, wall 100 s). With 20 sessions one headless chromium's renderers (software
WebGL for the maps) take the two cores: the figures then measure the browser, not the server
(``bench/load_ws.py`` measures the server without a browser).

Run: ``.venv/bin/python bench/load_test.py [--sessions 8] [--iterations 1] [--db /tmp/lt/intel.duckdb]``
"""
from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from load_ws import free_port, make_csv, start_server, stop_server  # noqa: E402  (one server start for both load tests)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = [("Overview", "Firearms-trafficking route intelligence", False),
         ("Explore map", "Explore map", True),
         ("Hotspots", "Hotspots", True)]


class Stats:
    def __init__(self):
        self.times: list[float] = []
        self.per_page: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.imports: list[tuple[str, float]] = []
        self.closing = False


async def wait_shown(page, title: str, has_map: bool, timeout_s: float) -> None:
    ms = int(timeout_s * 1000)
    await page.get_by_role("heading", name=title, exact=True).first.wait_for(state="visible", timeout=ms)
    if has_map:
        await page.locator("[data-testid='stMain'] canvas").first.wait_for(state="visible", timeout=ms)
    # the app has finished its run: no "Running..." status widget
    await page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=ms)


async def page_errors(page) -> list[str]:
    out = []
    for sel, what in (("[data-testid='stException']", "exception"), ("[data-testid='stAlertContentError']", "error box")):
        loc = page.locator(sel)
        n = await loc.count()
        for i in range(n):
            out.append(f"{what}: {(await loc.nth(i).inner_text())[:300]!r}")
    return out


def watch_ws(page, stats: Stats, who: str) -> None:
    def on_ws(ws):
        ws.on("close", lambda _ws: None if stats.closing else stats.errors.append(f"{who}: websocket closed ({ws.url})"))
        ws.on("socketerror", lambda err: stats.errors.append(f"{who}: websocket error {err}"))
    page.on("websocket", on_ws)


async def browse(browser, url: str, n: int, iterations: int, stats: Stats, page_timeout: float) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    who = f"session {n}"
    watch_ws(page, stats, who)
    try:
        t0 = time.perf_counter()
        await page.goto(url + "/", wait_until="domcontentloaded")
        await wait_shown(page, PAGES[0][1], False, page_timeout)
        stats.times.append(time.perf_counter() - t0)
        stats.per_page.setdefault("Overview (first load)", []).append(stats.times[-1])
        order = PAGES[n % 3:] + PAGES[:n % 3]  # stagger the sessions over the pages
        for _ in range(iterations):
            for label, title, has_map in order:
                link = page.locator("[data-testid='stSidebarNav'] a", has_text=label).first
                t0 = time.perf_counter()
                try:
                    await link.click(timeout=page_timeout * 1000)
                    await wait_shown(page, title, has_map, page_timeout)
                except Exception as e:  # noqa: BLE001 - a timeout is an error of the run, not of the script
                    stats.errors.append(f"{who}: {label} not shown within {page_timeout:.0f} s ({type(e).__name__})")
                    continue
                dt = time.perf_counter() - t0
                stats.times.append(dt)
                stats.per_page.setdefault(label, []).append(dt)
                for err in await page_errors(page):
                    stats.errors.append(f"{who}: {label}: {err}")
    except Exception as e:  # noqa: BLE001
        stats.errors.append(f"{who}: {type(e).__name__}: {str(e)[:300]}")
    finally:
        await ctx.close()


async def importer(browser, url: str, files: list[Path], stats: Stats, page_timeout: float, delay: float) -> None:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    watch_ws(page, stats, "importer")
    await asyncio.sleep(delay)  # let the browsing sessions start first
    try:
        await page.goto(url + "/import_file", wait_until="domcontentloaded")
        await page.get_by_role("heading", name="Import", exact=True).first.wait_for(timeout=page_timeout * 1000)
        for f in files:
            t0 = time.perf_counter()
            upload = page.locator("input[type='file']").first
            await upload.wait_for(state="attached", timeout=page_timeout * 1000)
            await upload.set_input_files(str(f), timeout=page_timeout * 1000)
            # the page has read this file (not still the previous one) and finished its run
            await page.get_by_text(f"Ready to import {f.name} (").first.wait_for(
                state="visible", timeout=page_timeout * 1000)
            await page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=page_timeout * 1000)
            go = page.get_by_role("button", name="Import", exact=True)
            await go.click(timeout=page_timeout * 1000)
            done = page.get_by_text(re.compile("^" + re.escape(f.name) + ": ")).first  # the summary line
            await done.wait_for(state="visible", timeout=page_timeout * 4000)
            await page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=page_timeout * 1000)
            summary = await done.inner_text()
            stats.imports.append((summary.strip()[:160], time.perf_counter() - t0))
            for err in await page_errors(page):
                stats.errors.append(f"importer: {err}")
    except Exception as e:  # noqa: BLE001
        stats.errors.append(f"importer: {type(e).__name__}: {str(e)[:300]}")
    finally:
        await ctx.close()


async def run(url: str, args, files: list[Path]) -> Stats:
    from playwright.async_api import async_playwright

    stats = Stats()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tasks = [browse(browser, url, i, args.iterations, stats, args.page_timeout) for i in range(args.sessions)]
        tasks.append(importer(browser, url, files, stats, args.page_timeout, args.import_delay))
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.max_seconds)
        except asyncio.TimeoutError:
            stats.errors.append(f"run stopped at the {args.max_seconds:.0f} s bound")
        stats.closing = True
        await browser.close()
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/lt/intel.duckdb", help="Store to copy and serve.")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=1, help="Rounds through the three pages per session.")
    ap.add_argument("--imports", type=int, default=2, help="Files imported during the run.")
    ap.add_argument("--import-rows", type=int, default=5000)
    ap.add_argument("--import-delay", type=float, default=15.0, help="Seconds before the first import starts.")
    ap.add_argument("--page-timeout", type=float, default=180.0)
    ap.add_argument("--max-seconds", type=float, default=1200.0)
    args = ap.parse_args()
    if not 1 <= args.sessions <= 50 or not 1 <= args.iterations <= 10:
        raise SystemExit("keep the load bounded: 1-50 sessions, 1-10 iterations")
    src = Path(args.db)
    if not src.exists():
        raise SystemExit(f"{src} does not exist; build it with `.venv/bin/python -m intel.cli build --db {src}`")
    if not Path(CHROMIUM).exists():
        raise SystemExit("chromium not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="intel_load_") as tmp:
        tmp = Path(tmp)
        db = tmp / "intel.duckdb"
        shutil.copy(src, db)
        (tmp / "home").mkdir()
        files = []
        for k in range(args.imports):
            f = tmp / f"loadtest_import_{k + 1}.csv"
            make_csv(f, args.import_rows, seed=k + 1, prefix="LT")
            files.append(f)
        port = free_port()
        log = tmp / "server.log"
        proc = start_server(db, tmp / "home", port, log)
        url = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        try:
            stats = asyncio.run(run(url, args, files))
        finally:
            stop_server(proc)
        wall = time.perf_counter() - t0
        server_log = log.read_text(errors="replace")
    for line in server_log.splitlines():
        if "Traceback" in line or "Error" in line:
            stats.errors.append(f"server log: {line[:200]}")
    t = np.array(stats.times)
    print(f"load test: {args.sessions} sessions x {args.iterations} rounds of {len(PAGES)} pages, "
          f"{len(files)} import(s) of {args.import_rows:,} rows, server on {url}, wall {wall:.0f} s")
    if t.size:
        print(f"page views shown: {t.size}; page time p50 {np.percentile(t, 50):.2f} s, "
              f"p95 {np.percentile(t, 95):.2f} s, max {t.max():.2f} s")
        for label, v in stats.per_page.items():
            v = np.array(v)
            print(f"  {label:<22} n={v.size:<4} p50 {np.percentile(v, 50):6.2f} s  p95 {np.percentile(v, 95):6.2f} s")
    for summary, secs in stats.imports:
        print(f"import ({secs:.1f} s in the page): {summary}")
    if len(stats.imports) < len(files):
        print(f"imports finished: {len(stats.imports)} of {len(files)}")
    print(f"errors: {len(stats.errors)}")
    for e in stats.errors[:50]:
        print(f"  {e}")
    return 1 if stats.errors or len(stats.imports) < len(files) else 0


if __name__ == "__main__":
    sys.exit(main())
