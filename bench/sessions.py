"""Load: N concurrent sessions (default 20) on a local server, each a light client speaking
Streamlit's own websocket protocol (no browser competes with the server for the CPU).

Each session opens the app as a browser does (an HTTP GET of the page, then the websocket
`/_stcore/stream`), asks for a script run with a `BackMsg.rerun_script`, and reads
`ForwardMsg`s until `script_finished`; it then steps through every page of the navigation
with a district in the address (`?district=...`, one per session, round robin over the
dataset's districts). Each page's time is request → `script_finished`.

Checked per page: the run finished successfully, drew no exception and no "Something went
wrong", and the sidebar's District filter holds the session's district. Reported: p50, p95
and max of all page times and of each page, one session alone for comparison, the load
average before and after, the servers' CPU seconds and resident memory, and how the
sessions were shared between servers.

Run: `python -m bench.sessions [--sessions 20] [--servers 1] [--json out.json]`; with
`--servers 2` it starts two Streamlit processes behind Caddy (cookie-sticky sessions, as
deploy/Caddyfile does); `--url` measures a server already running on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

from bench.browser import _free_port, _serve

PAGE_SECONDS = 120  # one page run may take this long before the session gives up
SESSION_SECONDS = 600  # bound on the whole run
RAMP_SECONDS = 0.05  # between session starts: twenty people at (almost) the same instant
FAILED_TEXT = "Something went wrong"
PROTOCOL = Subprotocol("streamlit")  # what Streamlit's own front end asks for
STICKY = "pmhc_server"  # Caddy's cookie naming a session's process, as in deploy/Caddyfile


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float
    status: str
    messages: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    districts: list[str] = field(default_factory=list)  # the District filter's options
    district_value: list[str] = field(default_factory=list)  # and its value
    pages: list[tuple[str, str]] = field(default_factory=list)  # (url path, script hash)


def _read_delta(msg: ForwardMsg, run: Run) -> None:
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        run.problems.append(f"exception {element.exception.type}: {element.exception.message}")
    elif kind == "alert" and FAILED_TEXT in element.alert.body:
        run.problems.append("the page says: " + element.alert.body[:80])
    elif kind == "multiselect" and element.multiselect.label == "District":
        ms = element.multiselect
        run.districts = list(ms.options)
        run.district_value = list(ms.raw_values) or [ms.options[i] for i in ms.default]


async def script_run(ws, query: str, page_hash: str = "", page_name: str = "") -> Run:
    """Ask for one run and read until it finishes; the time is request → script_finished."""
    back = BackMsg()
    state = back.rerun_script
    state.query_string = query
    state.page_script_hash = page_hash
    state.page_name = page_name
    state.context_info.timezone = "UTC"
    state.context_info.locale = "en-GB"
    started = time.perf_counter()
    await ws.send(back.SerializeToString())
    run = Run(0.0, "timeout")
    async with asyncio.timeout(PAGE_SECONDS):
        async for payload in ws:
            msg = ForwardMsg.FromString(payload)
            run.messages += 1
            run.bytes += len(payload)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                _read_delta(msg, run)
            elif kind == "navigation":
                run.pages = [(p.url_pathname, p.page_script_hash) for p in msg.navigation.app_pages]
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # a rerun the script asked for: the page is not drawn yet
                run.status = status
                break
    run.seconds = time.perf_counter() - started
    if run.status != "FINISHED_SUCCESSFULLY":
        run.problems.append(f"script run ended {run.status}")
    return run


def _cookie(url: str) -> str | None:
    """Open the page as a browser does; keep the load balancer's sticky cookie, if any."""
    with urllib.request.urlopen(url, timeout=PAGE_SECONDS) as response:  # noqa: S310 (http)
        response.read()
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies) or None


async def session(url: str, n: int, districts: list[str]) -> dict:
    """Open the app on the Overview with this session's district, then every page."""
    await asyncio.sleep(n * RAMP_SECONDS)
    district = districts[n % len(districts)] if districts else ""
    query = urllib.parse.urlencode({"district": district}) if district else ""
    times: dict[str, float] = {}
    problems: list[str] = []
    cookie = None
    try:
        cookie = await asyncio.to_thread(_cookie, url + "/?" + query)
        stream = url.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": cookie} if cookie else {}
        async with websockets.connect(
            stream, subprotocols=[PROTOCOL], additional_headers=headers, max_size=None
        ) as ws:
            first = await script_run(ws, query)
            times[""] = first.seconds
            runs = [("", first)]
            for path, page_hash in first.pages:
                if path:  # the default page ("") is the one just opened
                    run = await script_run(ws, query, page_hash, path)
                    times[path] = run.seconds
                    runs.append((path, run))
        for path, run in runs:
            problems += [f"session {n} page '{path}': {p}" for p in run.problems]
            if district and run.district_value != [district]:
                problems.append(f"session {n} page '{path}': district {run.district_value}")
    except Exception as error:  # a timeout or a refused connection: counted, not raised
        problems.append(f"session {n}: {type(error).__name__}: {error}")
    sticky = [c.split("=", 1)[1] for c in (cookie or "").split("; ") if c.startswith(STICKY)]
    server = sticky[0] if sticky else "one"
    return {"session": n, "server": server, "times": times, "problems": problems}


async def probe(url: str) -> Run:
    """One visit of every page, unfiltered, before the clock starts: the server reads the
    sample and imports each page's libraries once, as a server up for a while has; the
    District filter says which districts there are."""
    async with websockets.connect(
        url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=[PROTOCOL], max_size=None
    ) as ws:
        first = await script_run(ws, "")
        for path, page_hash in first.pages:
            if path:
                await script_run(ws, "", page_hash, path)
        return first


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


CADDYFILE = """{{
	admin off
	auto_https off
}}
http://127.0.0.1:{port} {{
	reverse_proxy {upstreams} {{
		lb_policy cookie {sticky}{fallback}
	}}
}}
"""


def _wait_http(url: str, process: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (http only)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def start(servers: int, workdir: Path) -> tuple[str, list[subprocess.Popen]]:
    """`servers` Streamlit processes sharing one workspace; behind Caddy when more than one.
    The Streamlit processes come first in the list, the proxy last. Whatever started is
    stopped again when a later one does not start."""
    workspace = str(workdir / "workspace")
    procs: list[subprocess.Popen] = []
    try:
        # Behind the proxy no connection is local, so the local administrator's way in is
        # closed (pmhc.ui.auth): the servers are started open, as the bench's only users.
        extra = {"PMHC_ALLOW_OPEN": "1"} if servers > 1 else {}
        for _ in range(servers):
            port = _free_port()
            procs.append(_serve(workspace, port, **extra))
            procs[-1].url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
        if servers == 1:
            return procs[0].url, procs  # type: ignore[attr-defined]
        port = _free_port()
        procs.append(_proxy(port, [p.url for p in procs], workdir))  # type: ignore[attr-defined]
        url = f"http://127.0.0.1:{port}"
        _wait_http(url + "/_stcore/health", procs[-1])
        return url, procs
    except BaseException:
        stop(procs)
        raise


def _proxy(port: int, upstreams: list[str], workdir: Path) -> subprocess.Popen:
    """Caddy on `port` in front of `upstreams`, sticky by cookie as deploy/Caddyfile is."""
    caddy = shutil.which("caddy") or "/usr/bin/caddy"
    version = subprocess.run([caddy, "version"], capture_output=True, text=True).stdout
    # A first visit goes to the least busy process (Caddy 2.7+; 2.6 picks at random).
    newer = tuple(int(x) for x in version.lstrip("v").split()[0].split(".")[:2]) >= (2, 7)
    fallback = " {\n\t\t\tfallback least_conn\n\t\t}" if newer else ""
    config = workdir / "Caddyfile"
    hosts = " ".join(u.removeprefix("http://") for u in upstreams)
    config.write_text(
        CADDYFILE.format(port=port, upstreams=hosts, sticky=STICKY, fallback=fallback)
    )
    env = {**os.environ, "XDG_DATA_HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)}
    return subprocess.Popen(
        [caddy, "run", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def measure(url: str, sessions: int, servers: dict[int, str]) -> dict:
    """A warm-up visit of each server (pid: its own address), one session alone, then
    `sessions` at once."""
    pids = list(servers)
    for server in list(servers.values()) or [url]:
        first = await probe(server)
    districts = first.districts
    alone = await session(url, 0, districts)
    load_before = load_average()
    cpu_before = sum(cpu_seconds(p) for p in pids)
    started = time.perf_counter()
    async with asyncio.timeout(SESSION_SECONDS):
        results = await asyncio.gather(*(session(url, n, districts) for n in range(sessions)))
    wall = time.perf_counter() - started
    times = [t for r in results for t in r["times"].values()]
    pages = sorted({p for r in results for p in r["times"]})
    return {
        "sessions": sessions,
        "districts": len(districts),
        "one_session_alone": percentiles(list(alone["times"].values())),
        "all_pages": percentiles(times),
        "per_page": {
            p or "overview": percentiles([r["times"][p] for r in results if p in r["times"]])
            for p in pages
        },
        "sessions_per_server": sorted(Counter(r["server"] for r in results).values()),
        "wall_seconds": round(wall, 1),
        "page_runs_per_second": round(len(times) / wall, 2),
        "server_cpu_seconds": round(sum(cpu_seconds(p) for p in pids) - cpu_before, 1),
        "server_rss_mb": [round(rss_mb(p)) for p in pids],
        "load_before": load_before,
        "load_after": load_average(),
        "problems": [p for r in [alone, *results] for p in r["problems"]],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="Streamlit processes (Caddy in front when more than one)",
    )
    parser.add_argument(
        "--url", help="a server already running on 127.0.0.1 (no start, no CPU figures)"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.url and urllib.parse.urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("only a server on this computer (127.0.0.1)")
    with tempfile.TemporaryDirectory(prefix="pmhc-sessions-") as tmp:
        url, procs = (args.url, []) if args.url else start(args.servers, Path(tmp))
        try:
            servers = {p.pid: p.url for p in procs if hasattr(p, "url")}
            result = asyncio.run(measure(url.rstrip("/"), args.sessions, servers))
        finally:
            stop(procs)
    result["servers"] = args.servers
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0 if not result["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
