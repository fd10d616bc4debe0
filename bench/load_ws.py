"""Bounded websocket load test: N sessions speak Streamlit's own protocol (no browser) while an
import runs in the server process through the Import page's real upload path.

Why not a browser: ``bench/load_test.py`` drives 20 Playwright contexts in one chromium; on a
2-CPU machine the renderers starve the CPU and the figures measure the browser. This script
sends what the browser sends and times what the server does.

What it does
------------
1. Copies the store (default ``/tmp/lws/intel.duckdb``; build it with
   ``.venv/bin/python -m intel.cli build --db /tmp/lws/intel.duckdb``) into a temporary folder
   and starts ``streamlit run app.py`` on 127.0.0.1 (free port, ``HOME`` in the temporary
   folder, ``--server.fileWatcherType none --server.runOnSave false`` as ``intel serve`` does).
2. GET ``/_stcore/health`` gives the ``_streamlit_xsrf`` cookie, as in the browser. Each
   session opens ``ws://127.0.0.1:PORT/_stcore/stream`` with the subprotocols
   ``["streamlit", <xsrf token>]``, the cookie and a same-origin ``Origin`` header.
3. Each of ``--sessions`` sessions, ``--rounds`` times, asks for each page of ``--pages`` with a
   ``BackMsg.rerun_script = ClientState(page_name=<url path>)`` (``''`` is the default page,
   Overview; st.navigation matches ``page_name`` against each page's ``url_pathname``). The
   *page time* runs from sending that message to the ``ForwardMsg.script_finished``.
4. Meanwhile one importer session does what the browser does on the Import page: opens the
   page, reads the ``file_uploader`` widget id from its delta, asks the server for upload URLs
   (``BackMsg.file_urls_request`` -> ``ForwardMsg.file_urls_response``), PUTs the CSV as
   multipart form data to ``/_stcore/upload_file/<session_id>/<file_id>`` with the
   ``X-Xsrftoken`` header, reruns with the uploader's ``FileUploaderState``, reads the Import
   button's id, and reruns with that button's ``trigger_value``. The import therefore runs in
   the server process, in the one DuckDB instance that holds the store.
5. Errors, by kind: ``status`` (script_finished other than FINISHED_SUCCESSFULLY; an early
   finish for a rerun the page itself asked for is followed to its end), ``exception`` (a delta
   with an exception element), ``error_box`` (an ``st.error`` alert), ``page_not_found``,
   ``wrong_page`` (the navigation message names another page), ``no_title`` (no heading sent), ``socket_closed``, ``timeout``
   (``--page-timeout``, 120 s), ``import`` (the import did not report success), ``upload``
   (the PUT failed), ``server_log`` (a traceback in the server's log), ``bound`` (the run hit
   ``--max-seconds``).

Prints one table: p50 / p95 / max page time per page and overall, the page views that
overlapped the import, the import time and outcome, errors by kind, load average before,
peak and after. Exits 1 on any error. Bounded: sessions x rounds x pages page views, at most
``--max-seconds`` of wall time, only 127.0.0.1 (proxies are ignored).

Run: ``.venv/bin/python bench/load_ws.py [--sessions 20] [--rounds 3] [--db /tmp/lws/intel.duckdb]``
"""
from __future__ import annotations

import argparse
import asyncio
import http.cookies
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_PAGES = ["", "explore_map", "hotspots", "borders", "trends"]
XSRF_COOKIE = "_streamlit_xsrf"
# urllib without any proxy from the environment: only 127.0.0.1 is contacted
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def label(page: str) -> str:
    return page or "overview"


# ----------------------------------------------------------------------------------- server

def free_port() -> int:
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(db: Path, home: Path, port: int, log: Path, startup_s: float = 120.0) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:port with the flags of ``intel serve``."""
    env = dict(os.environ, HOME=str(home), INTEL_DB=str(db))
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", HOST,
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
        cwd=str(ROOT), env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        try:
            _HTTP.open(f"http://{HOST}:{port}/_stcore/health", timeout=1)
            return proc
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("streamlit did not start:\n" + log.read_text(errors="replace")[-3000:])


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def xsrf_cookie(port: int) -> str:
    """The XSRF cookie the server sets on ``/_stcore/health`` (the browser's first request)."""
    with _HTTP.open(f"http://{HOST}:{port}/_stcore/health", timeout=10) as r:
        for header in r.headers.get_all("Set-Cookie") or []:
            c = http.cookies.SimpleCookie()
            c.load(header)
            if XSRF_COOKIE in c:
                return c[XSRF_COOKIE].value
    return ""


def make_csv(path: Path, rows: int, seed: int, prefix: str = "LWS") -> None:
    """Template-column seizure records around Toronto (synthetic, labelled as such); record ids
    ``{prefix}{seed}-{i}``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    pd.DataFrame({
        "record_id": [f"{prefix}{seed}-{i}" for i in range(rows)],
        "seizure_date": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")).strftime("%Y-%m-%d"),
        "latitude": np.round(43.65 + rng.normal(0, 0.08, rows), 5),
        "longitude": np.round(-79.40 + rng.normal(0, 0.12, rows), 5),
        "country": "CAN",
        "firearm_type": rng.choice(["pistol", "revolver", "rifle", "shotgun"], rows),
        "quantity": rng.integers(1, 4, rows),
        "seizing_agency": "LOADTEST (synthetic)",
    }).to_csv(path, index=False)


# ----------------------------------------------------------------------------------- client

@dataclass
class Run:
    """What one script run (one page view) sent back."""
    page: str
    seconds: float = 0.0
    status: str = ""
    elements: list = field(default_factory=list)  # Element protos, in arrival order
    exceptions: list[str] = field(default_factory=list)
    error_boxes: list[str] = field(default_factory=list)
    page_not_found: bool = False
    shown_page: str | None = None  # url_pathname of the page the navigation message names
    reruns: int = 0
    bytes: int = 0


class PageError(Exception):
    def __init__(self, kind: str, msg: str):
        super().__init__(msg)
        self.kind = kind


class Session:
    """One Streamlit websocket session, as the frontend opens it."""

    def __init__(self, port: int, cookie: str, who: str):
        self.port, self.cookie, self.who = port, cookie, who
        self.ws = None
        self.session_id = ""
        self.page_paths: dict[str, str] = {}  # page_script_hash -> url_pathname

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            f"ws://{HOST}:{self.port}/_stcore/stream",
            subprotocols=["streamlit", self.cookie] if self.cookie else ["streamlit"],
            origin=f"http://{HOST}:{self.port}",
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self.cookie}"} if self.cookie else None,
            max_size=None, proxy=None, open_timeout=60,
            ping_interval=None,  # a browser sends no pings; the server's pings are answered
        )

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001
                pass
            self.ws = None

    async def send(self, msg) -> None:
        await self.ws.send(msg.SerializeToString())

    async def recv(self, timeout: float):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        return fm, len(raw)

    def _note(self, fm) -> None:
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            self.session_id = fm.new_session.initialize.session_id or self.session_id
        elif kind == "navigation":
            for p in fm.navigation.app_pages:
                self.page_paths[p.page_script_hash] = p.url_pathname

    async def page(self, page: str, timeout: float, widget_states: list | None = None) -> Run:
        """Rerun the script on ``page`` and read until it has finished; a PageError on failure."""
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = page
        msg.rerun_script.widget_states.SetInParent()
        for ws in widget_states or []:
            msg.rerun_script.widget_states.widgets.append(ws)
        run = Run(page)
        t0 = time.perf_counter()
        deadline = t0 + timeout
        await self.send(msg)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise PageError("timeout", f"{label(page)}: not finished within {timeout:.0f} s")
            try:
                fm, n = await self.recv(left)
            except asyncio.TimeoutError:
                raise PageError("timeout", f"{label(page)}: not finished within {timeout:.0f} s") from None
            run.bytes += n
            self._note(fm)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                run.elements.append(el)
                which = el.WhichOneof("type")
                if which == "exception":
                    run.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
                elif which == "alert" and el.alert.format == Alert.ERROR:
                    run.error_boxes.append(el.alert.body[:300])
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "navigation":
                run.shown_page = self.page_paths.get(fm.navigation.page_script_hash)
            elif kind == "session_event" and fm.session_event.WhichOneof("type") == "script_compilation_exception":
                e = fm.session_event.script_compilation_exception
                run.exceptions.append(f"compile: {e.type}: {e.message}"[:300])
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.reruns += 1  # the page asked for a rerun (st.rerun): follow it to its end
                    if run.reruns > 5:
                        raise PageError("status", f"{label(page)}: more than 5 reruns in a row")
                    continue
                run.status = status
                run.seconds = time.perf_counter() - t0
                break
        return run


def check(run: Run) -> list[tuple[str, str]]:
    """Errors of a finished page view, as (kind, message)."""
    out = []
    p = label(run.page)
    if run.status != "FINISHED_SUCCESSFULLY":
        out.append(("status", f"{p}: script finished with {run.status}"))
    out += [("exception", f"{p}: {e}") for e in run.exceptions]
    out += [("error_box", f"{p}: {e}") for e in run.error_boxes]
    if run.page_not_found:
        out.append(("page_not_found", f"{p}: page not found"))
    if run.status == "FINISHED_SUCCESSFULLY" and not any(el.WhichOneof("type") == "heading" for el in run.elements):
        out.append(("no_title", f"{p}: the page sent no heading (nothing rendered?)"))
    if run.shown_page is not None and run.shown_page != run.page:
        out.append(("wrong_page", f"{p}: the server ran page {run.shown_page!r}"))
    return out


# ----------------------------------------------------------------------------------- load

@dataclass
class Stats:
    t0: float = 0.0
    views: list = field(default_factory=list)  # (page, start_s, end_s, seconds, session, bytes)
    errors: list = field(default_factory=list)  # (kind, message)
    imports: list = field(default_factory=list)  # dicts
    planned: int = 0

    def err(self, kind: str, msg: str) -> None:
        self.errors.append((kind, msg))


async def browse(port: int, cookie: str, n: int, pages: list[str], rounds: int, timeout: float, stats: Stats) -> None:
    who = f"session {n}"
    s = Session(port, cookie, who)
    order = pages[n % len(pages):] + pages[:n % len(pages)]  # stagger the sessions over the pages
    try:
        await s.open()
    except Exception as e:  # noqa: BLE001
        stats.err("socket_closed", f"{who}: could not open the websocket: {type(e).__name__}: {e}")
        return
    try:
        for _ in range(rounds):
            for page in order:
                start = time.perf_counter() - stats.t0
                try:
                    run = await s.page(page, timeout)
                except PageError as e:
                    stats.err(e.kind, f"{who}: {e}")
                    await s.close()  # the run may still be going: start a fresh session
                    await s.open()
                    continue
                except Exception as e:  # noqa: BLE001 - websockets.ConnectionClosed and the like
                    stats.err("socket_closed", f"{who}: {label(page)}: {type(e).__name__}: {str(e)[:200]}")
                    await s.close()
                    await s.open()
                    continue
                stats.views.append((label(page), start, start + run.seconds, run.seconds, n, run.bytes))
                for kind, msg in check(run):
                    stats.err(kind, f"{who}: {msg}")
    except Exception as e:  # noqa: BLE001 - reopening failed
        stats.err("socket_closed", f"{who}: {type(e).__name__}: {str(e)[:200]}")
    finally:
        await s.close()


def _put_upload(port: int, cookie: str, url: str, name: str, data: bytes) -> int:
    """PUT one file as the frontend does: multipart form data, field ``file``, X-Xsrftoken."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if cookie:
        headers |= {"X-Xsrftoken": cookie, "Cookie": f"{XSRF_COOKIE}={cookie}"}
    req = urllib.request.Request(f"http://{HOST}:{port}{url}", data=body, method="PUT", headers=headers)
    with _HTTP.open(req, timeout=120) as r:
        return r.status


async def import_once(s: Session, port: int, cookie: str, path: Path, timeout: float, stats: Stats) -> dict:
    """Upload ``path`` through the Import page and press Import; a dict describing the outcome."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.Common_pb2 import FileURLs, UploadedFileInfo
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    out = {"file": path.name, "ok": False, "seconds": None, "summary": "", "phase": "open page"}
    run = await s.page("import_file", timeout)
    for kind, msg in check(run):
        stats.err(kind, f"importer: {msg}")
    uploader = next((el.file_uploader for el in run.elements if el.WhichOneof("type") == "file_uploader"), None)
    if uploader is None:
        raise PageError("import", "the Import page shows no file uploader")

    out["phase"] = "upload URL"
    rid = uuid.uuid4().hex
    req = BackMsg()
    req.file_urls_request.request_id = rid
    req.file_urls_request.file_names.append(path.name)
    req.file_urls_request.session_id = s.session_id
    await s.send(req)
    deadline = time.perf_counter() + timeout
    urls = None
    while urls is None:
        fm, _ = await s.recv(max(deadline - time.perf_counter(), 0.01))
        s._note(fm)
        if fm.WhichOneof("type") == "file_urls_response" and fm.file_urls_response.response_id == rid:
            if fm.file_urls_response.error_msg:
                raise PageError("upload", f"file_urls_response: {fm.file_urls_response.error_msg}")
            urls = fm.file_urls_response.file_urls[0]

    out["phase"] = "upload"
    data = path.read_bytes()
    t_up = time.perf_counter()
    try:
        status = await asyncio.to_thread(_put_upload, port, cookie, urls.upload_url, path.name, data)
    except Exception as e:  # noqa: BLE001 - HTTPError and the like
        raise PageError("upload", f"PUT {urls.upload_url}: {type(e).__name__}: {e}") from None
    if status not in (200, 204):
        raise PageError("upload", f"PUT {urls.upload_url}: HTTP {status}")
    out["upload_s"] = time.perf_counter() - t_up
    state = WidgetState(id=uploader.id)
    state.file_uploader_state_value.uploaded_file_info.append(UploadedFileInfo(
        name=path.name, size=len(data), file_id=urls.file_id,
        file_urls=FileURLs(file_id=urls.file_id, upload_url=urls.upload_url, delete_url=urls.delete_url)))

    out["phase"] = "preview"
    run = await s.page("import_file", timeout, [state])
    out["preview_s"] = run.seconds
    for kind, msg in check(run):
        stats.err(kind, f"importer (preview): {msg}")
    button = next((el.button for el in run.elements
                   if el.WhichOneof("type") == "button" and el.button.id.endswith("imp_go")), None)
    if button is None:
        raise PageError("import", "the Import page shows no Import button after the upload")
    if button.disabled:
        raise PageError("import", "the Import button is disabled (the preview failed)")
    out["preview"] = next((el.markdown.body for el in run.elements if el.WhichOneof("type") == "markdown"
                           and el.markdown.body.startswith("Outcome of")), "")

    out["phase"] = "import"
    press = WidgetState(id=button.id, trigger_value=True)
    out["start"] = time.perf_counter() - stats.t0
    run = await s.page("import_file", timeout, [state, press])
    out["end"] = time.perf_counter() - stats.t0
    out["seconds"] = run.seconds
    problems = check(run)
    for kind, msg in problems:
        stats.err(kind, f"importer (import): {msg}")
    from streamlit.proto.Alert_pb2 import Alert

    done = [el.alert.body for el in run.elements if el.WhichOneof("type") == "alert"
            and el.alert.format in (Alert.SUCCESS, Alert.INFO) and el.alert.body.startswith(f"{path.name}")]
    metrics = {el.metric.label: el.metric.body for el in run.elements if el.WhichOneof("type") == "metric"}
    out["summary"] = done[0] if done else ""
    out["metrics"] = metrics
    out["ok"] = bool(done) and not problems
    out["phase"] = "done"
    return out


async def importer(port: int, cookie: str, files: list[Path], delay: float, timeout: float, stats: Stats) -> None:
    await asyncio.sleep(delay)  # let the browsing sessions start first
    s = Session(port, cookie, "importer")
    try:
        await s.open()
        for f in files:
            try:
                res = await import_once(s, port, cookie, f, timeout, stats)
            except PageError as e:
                stats.err(e.kind, f"importer: {f.name}: {e}")
                stats.imports.append({"file": f.name, "ok": False, "summary": str(e), "seconds": None})
                continue
            stats.imports.append(res)
            if not res["ok"]:
                stats.err("import", f"importer: {f.name}: no success message ({res['summary'] or 'none'})")
    except Exception as e:  # noqa: BLE001 - socket closed and the like
        stats.err("socket_closed", f"importer: {type(e).__name__}: {str(e)[:200]}")
    finally:
        await s.close()


async def _load_sampler(stop: asyncio.Event, peak: list) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], os.getloadavg()[0])
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except asyncio.TimeoutError:
            pass


async def drive(port: int, cookie: str, sessions: int, pages: list[str], rounds: int, files: list[Path],
                import_delay: float, page_timeout: float, max_seconds: float, stats: Stats, peak: list) -> None:
    stats.t0 = time.perf_counter()
    stop = asyncio.Event()
    sampler = asyncio.create_task(_load_sampler(stop, peak))
    tasks = [asyncio.create_task(browse(port, cookie, i, pages, rounds, page_timeout, stats)) for i in range(sessions)]
    if files:
        # the import gets a longer time: it is the write, not a page view
        tasks.append(asyncio.create_task(importer(port, cookie, files, import_delay, page_timeout * 3, stats)))
    done, pending = await asyncio.wait(tasks, timeout=max_seconds)
    if pending:
        stats.err("bound", f"run stopped at the {max_seconds:.0f} s bound ({len(pending)} task(s) still running)")
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    stop.set()
    await sampler


def run_load(db: Path, sessions: int = 20, rounds: int = 3, pages: list[str] | None = None, imports: int = 1,
             import_rows: int = 20000, import_delay: float = 10.0, page_timeout: float = 120.0,
             max_seconds: float = 600.0) -> dict:
    """Start a server on a copy of ``db``, run the load, stop the server; the figures as a dict."""
    pages = DEFAULT_PAGES if pages is None else pages
    if not 1 <= sessions <= 50 or not 1 <= rounds <= 10 or not 0 <= imports <= 5:
        raise ValueError("keep the load bounded: 1-50 sessions, 1-10 rounds, 0-5 imports")
    if not Path(db).exists():
        raise FileNotFoundError(f"{db} does not exist; build it with `.venv/bin/python -m intel.cli build --db {db}`")
    stats = Stats(planned=sessions * rounds * len(pages))
    with tempfile.TemporaryDirectory(prefix="intel_lws_") as tmp:
        tmp = Path(tmp)
        served = tmp / "intel.duckdb"
        shutil.copy(db, served)
        (tmp / "home").mkdir()
        files = []
        for k in range(imports):
            f = tmp / f"loadtest_ws_{k + 1}.csv"
            make_csv(f, import_rows, seed=100 + k)
            files.append(f)
        port = free_port()
        log = tmp / "server.log"
        load_before = os.getloadavg()
        peak = [load_before[0]]
        t_start = time.perf_counter()
        client_cpu0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        server_cpu = None
        proc = start_server(served, tmp / "home", port, log)
        startup = time.perf_counter() - t_start
        try:
            cookie = xsrf_cookie(port)
            asyncio.run(drive(port, cookie, sessions, pages, rounds, files, import_delay, page_timeout,
                              max_seconds, stats, peak))
            wall = time.perf_counter() - stats.t0
            server_cpu = _cpu_seconds(proc.pid)
        finally:
            stop_server(proc)
        client_cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - client_cpu0
        load_after = os.getloadavg()
        server_log = log.read_text(errors="replace")
    for line in server_log.splitlines():
        if "Traceback" in line or ("Error" in line and "Warning" not in line):
            stats.err("server_log", line.strip()[:200])
    return {"sessions": sessions, "rounds": rounds, "pages": [label(p) for p in pages], "port": port,
            "planned": stats.planned, "views": stats.views, "errors": stats.errors, "imports": stats.imports,
            "wall_s": wall, "startup_s": startup, "load_before": load_before, "load_peak": peak[0],
            "load_after": load_after, "cpus": os.cpu_count(), "import_rows": import_rows,
            "xsrf": bool(cookie), "server_cpu_s": server_cpu, "client_cpu_s": client_cpu}


# ----------------------------------------------------------------------------------- report

def _row(name: str, v: list[float], errs: int | str = "") -> str:
    if not v:
        return f"| {name:<26} | {0:>5} | {'-':>7} | {'-':>7} | {'-':>7} | {errs!s:>6} |"
    a = np.array(v)
    return (f"| {name:<26} | {a.size:>5} | {np.percentile(a, 50):7.2f} | {np.percentile(a, 95):7.2f} | "
            f"{a.max():7.2f} | {errs!s:>6} |")


def report(r: dict) -> str:
    views, errors = r["views"], r["errors"]
    sep = "+" + "-" * 28 + "+" + "-" * 7 + "+" + ("-" * 9 + "+") * 3 + "-" * 8 + "+"
    lines = [f"websocket load test: {r['sessions']} sessions x {r['rounds']} rounds x {len(r['pages'])} pages "
             f"({', '.join(r['pages'])}) on ws://127.0.0.1:{r['port']}/_stcore/stream, {r['cpus']} CPUs, "
             f"XSRF cookie {'used' if r['xsrf'] else 'absent'}",
             sep, f"| {'page time (s)':<26} | {'views':>5} | {'p50':>7} | {'p95':>7} | {'max':>7} | {'errors':>6} |", sep]
    by_err: dict[str, int] = {}
    for kind, msg in errors:
        for p in r["pages"]:
            if f": {p}:" in msg or msg.startswith(f"{p}:"):
                by_err[p] = by_err.get(p, 0) + 1
    for p in r["pages"]:
        lines.append(_row(p, [v[3] for v in views if v[0] == p], by_err.get(p, 0)))
    lines.append(_row("all pages", [v[3] for v in views], len(errors)))
    imp_windows = [(i["start"], i["end"]) for i in r["imports"] if i.get("start") is not None and i.get("end") is not None]
    during = [v[3] for v in views if any(v[1] < e and v[2] > s for s, e in imp_windows)]
    lines.append(_row("overlapping the import", during))
    lines.append(sep)
    mb = sum(v[5] for v in views) / 1e6
    lines.append(f"| page views finished        | {len(views)} of {r['planned']} planned, {mb:.1f} MB of ForwardMsgs received")
    for i in r["imports"]:
        secs = f"{i['seconds']:.1f} s" if i.get("seconds") is not None else "-"
        extra = ""
        if i.get("preview_s") is not None:
            extra = f" (upload {i.get('upload_s', 0):.2f} s, preview run {i['preview_s']:.1f} s; window {i['start']:.0f}-{i['end']:.0f} s)"
        lines.append(f"| {'import ' + format(r['import_rows'], ',') + ' rows':<26} | {'OK' if i['ok'] else 'FAILED'} in {secs}{extra}")
        lines.append(f"|   outcome                  | {i.get('summary') or '-'}")
    if not r["imports"]:
        lines.append("| import                     | none in this run")
    kinds: dict[str, int] = {}
    for kind, _ in errors:
        kinds[kind] = kinds.get(kind, 0) + 1
    lines.append("| errors by kind             | " + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    lb, la = r["load_before"], r["load_after"]
    lines.append(f"| load average 1/5/15 min    | before {lb[0]:.2f}/{lb[1]:.2f}/{lb[2]:.2f}, peak(1 min) "
                 f"{r['load_peak']:.2f}, after {la[0]:.2f}/{la[1]:.2f}/{la[2]:.2f}")
    cpu = f"{r['server_cpu_s']:.0f} s" if r.get("server_cpu_s") is not None else "n/a"
    lines.append(f"| CPU time                   | server process {cpu}, this load client {r['client_cpu_s']:.0f} s")
    lines.append(f"| wall time                  | {r['wall_s']:.1f} s (server start {r['startup_s']:.1f} s)")
    lines.append(sep)
    for kind, msg in errors[:40]:
        lines.append(f"  [{kind}] {msg}")
    if len(errors) > 40:
        lines.append(f"  ... {len(errors) - 40} more")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default="/tmp/lws/intel.duckdb", help="Store to copy and serve.")
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="Rounds through the pages per session.")
    ap.add_argument("--pages", default=",".join(DEFAULT_PAGES),
                    help="Comma-separated url paths ('' = Overview), default: ,explore_map,hotspots,borders,trends")
    ap.add_argument("--imports", type=int, default=1, help="Files imported through the Import page during the run.")
    ap.add_argument("--import-rows", type=int, default=20000)
    ap.add_argument("--import-delay", type=float, default=10.0, help="Seconds before the import starts.")
    ap.add_argument("--page-timeout", type=float, default=120.0)
    ap.add_argument("--max-seconds", type=float, default=600.0, help="Wall-time bound of the load phase.")
    args = ap.parse_args()
    pages = [p.strip() for p in args.pages.split(",")]
    try:
        r = run_load(Path(args.db), args.sessions, args.rounds, pages, args.imports, args.import_rows,
                     args.import_delay, args.page_timeout, args.max_seconds)
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        raise SystemExit(str(e))
    print(report(r))
    ok = not r["errors"] and len(r["views"]) == r["planned"] and all(i["ok"] for i in r["imports"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
