"""`make bench`: the gateway's added latency, throughput and CPU per request against a local mock upstream.

Starts the mock upstream and the gateway exactly as `make run` serves it (gunicorn, gevent workers, request
logging and metering on), drives both with `hey` (Debian's package; installed on demand) and prints a table.
CPU ms per request is the gateway processes' user+system CPU time divided by the requests served: on a
shared machine it is the steadiest figure. Streaming time to first byte is measured with a raw HTTP client.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROVIDER_KEY = "bench-upstream-key"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello to the benchmark"}]}
STREAM_BODY = {**BODY, "stream": True}
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    label: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_req: float | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port}")


def ensure_hey() -> str:
    found = shutil.which("hey")
    if found:
        return found
    print("installing hey (Debian package) ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "hey"], check=False, stdout=subprocess.DEVNULL)
    found = shutil.which("hey")
    if not found:
        sys.exit("make bench needs `hey` (apt-get install hey)")
    return found


def seed(data_dir: Path, mock_url: str) -> tuple[str, str]:
    """A workspace with a lane to the mock and two clients: one without limits, one whose key runs under a
    hard monthly budget and a requests-per-minute limit (both far from full). Returns both sub-keys."""
    from tollgate import db_migrate, provisioning
    from tollgate.app import create_app
    from tollgate.budgets import manage
    from tollgate.config import load_settings
    from tollgate.extensions import db
    from tollgate.services import services

    settings = load_settings(data_dir=data_dir)
    db_migrate.upgrade(settings.sqlalchemy_url)
    app = create_app(settings)
    with app.app_context():
        svc = services(app)
        ws = provisioning.create_workspace(db.session, "Bench", "bench")
        client = provisioning.create_client(db.session, ws.id, "Bench client", "bench-client")
        key = provisioning.issue_sub_key(db.session, svc.hasher, client, "bench key")
        capped = provisioning.create_client(db.session, ws.id, "Capped client", "capped-client")
        capped_key = provisioning.issue_sub_key(db.session, svc.hasher, capped, "capped key")
        manage.create_budget(db.session, ws.id, "client", capped.id, 1_000_000_000)  # $1,000 a month
        manage.set_rate_limit(db.session, ws.id, "key", capped_key.id, requests_per_min=10_000_000, tokens_per_min=None)
        lane = provisioning.create_lane(db.session, svc.vault, ws.id, "bench lane", mock_url, PROVIDER_KEY)
        provisioning.append_route(db.session, ws.id, lane)
        db.session.commit()
        db.engine.dispose()
    return key.secret, capped_key.secret


def process_cpu_s(root_pid: int) -> float:
    """User+system CPU seconds of a process and its children (gunicorn master and workers)."""
    pids = [root_pid]
    children = subprocess.run(["pgrep", "-P", str(root_pid)], capture_output=True, text=True).stdout.split()
    pids += [int(p) for p in children]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def run_hey(hey: str, url: str, key: str | None, concurrency: int, requests: int) -> tuple[float, float, float, int]:
    args = [
        hey,
        "-n",
        str(requests),
        "-c",
        str(concurrency),
        "-m",
        "POST",
        "-T",
        "application/json",
        "-d",
        json.dumps(BODY),
    ]
    if key:
        args += ["-H", f"Authorization: Bearer {key}"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", out))
    errors = sum(int(n) for code, n in codes.items() if code != "200")
    return rps, p50, p99, errors


def stream_ttfb_ms(port: int, path: str, key: str | None, count: int) -> tuple[float, float]:
    """Time from sending a streaming request to its first body byte, sequentially, keep-alive."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps(STREAM_BODY)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read1(1) if hasattr(resp, "read1") else resp.read(1)
        samples.append((time.perf_counter() - started) * 1000)
        resp.read()
    conn.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    hey = ensure_hey()
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    n1, n32, nstream = int(1500 * scale), int(8000 * scale), int(300 * scale)
    workers = os.environ.get("TOLLGATE_WORKERS", "2")
    with tempfile.TemporaryDirectory(prefix="tollgate-bench-") as tmp:
        data_dir = Path(tmp)
        mock_port, gw_port = free_port(), free_port()
        env = {
            **os.environ,
            "TOLLGATE_DATA_DIR": str(data_dir),
            "TOLLGATE_PORT": str(gw_port),
            "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
            "TOLLGATE_WORKERS": workers,
            "TOLLGATE_SECRET_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
        os.environ["TOLLGATE_SECRET_KEY"] = env["TOLLGATE_SECRET_KEY"]
        mock = subprocess.Popen([sys.executable, str(ROOT / "bench" / "mock_server.py"), str(mock_port), PROVIDER_KEY])
        key, capped_key = seed(data_dir, f"http://127.0.0.1:{mock_port}/v1")
        gateway = subprocess.Popen(
            [str(BIN / "tollgate"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_for(mock_port)
            wait_for(gw_port)
            direct_url = f"http://127.0.0.1:{mock_port}/v1/chat/completions"
            gw_url = f"http://127.0.0.1:{gw_port}/v1/chat/completions"
            run_hey(hey, gw_url, key, 8, 512)  # warm up pools, caches, imports (hey sends n // c * c)
            run_hey(hey, direct_url, PROVIDER_KEY, 8, 500)
            results = []
            for conc, n in ((1, n1), (32, n32)):
                rps, p50, p99, err = run_hey(hey, direct_url, PROVIDER_KEY, conc, n)
                results.append(LoadResult("direct to mock", conc, n, rps, p50, p99, err))
                cpu_before = process_cpu_s(gateway.pid)
                rps, p50, p99, err = run_hey(hey, gw_url, key, conc, n)
                cpu = (process_cpu_s(gateway.pid) - cpu_before) * 1000 / n
                results.append(LoadResult("through gateway", conc, n, rps, p50, p99, err, cpu))
            cpu_before = process_cpu_s(gateway.pid)
            rps, p50, p99, err = run_hey(hey, gw_url, capped_key, 32, n32)
            cpu = (process_cpu_s(gateway.pid) - cpu_before) * 1000 / n32
            results.append(LoadResult("gateway+budget", 32, n32, rps, p50, p99, err, cpu))
            ttfb_direct = stream_ttfb_ms(mock_port, "/v1/chat/completions", PROVIDER_KEY, nstream)
            ttfb_gw = stream_ttfb_ms(gw_port, "/v1/chat/completions", key, nstream)
        finally:
            gateway.terminate()  # a clean stop flushes every worker's log queue
            mock.terminate()
            gateway.wait(30)
            mock.wait(10)
        expected = 512 + n1 + 2 * (n32 // 32 * 32) + nstream
        logged = sqlite3.connect(data_dir / "tollgate.db").execute("select count(*) from request_logs").fetchone()[0]
    print_table(results, ttfb_direct, ttfb_gw, logged, workers)
    if logged != expected:
        sys.exit(f"request log rows: {logged}, expected {expected} — rows were lost")


def print_table(
    results: list[LoadResult], ttfb_direct: tuple[float, float], ttfb_gw: tuple[float, float], logged: int, workers: str
) -> None:
    print()
    print(f"Tollgate benchmark — gunicorn, {workers} gevent workers, logging + metering on, {os.cpu_count()} cores")
    print(
        f"{'path':<17}{'conc':>5}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'CPU ms/req':>12}"
    )
    for r in results:
        cpu = f"{r.cpu_ms_per_req:.2f}" if r.cpu_ms_per_req is not None else "-"
        print(
            f"{r.label:<17}{r.concurrency:>5}{r.requests:>10}{r.rps:>9.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.errors:>8}{cpu:>12}"
        )
    by = {(r.label, r.concurrency): r for r in results}
    for conc in (1, 32):
        added = by[("through gateway", conc)].p50_ms - by[("direct to mock", conc)].p50_ms
        print(f"added p50 latency at concurrency {conc:>2}: {added:.2f} ms")
    print(
        f"streaming time to first byte p50/p99: direct {ttfb_direct[0]:.2f}/{ttfb_direct[1]:.2f} ms, "
        f"gateway {ttfb_gw[0]:.2f}/{ttfb_gw[1]:.2f} ms, added p50 {ttfb_gw[0] - ttfb_direct[0]:.2f} ms"
    )
    print(f"request log rows written: {logged} (one per gateway request)")


if __name__ == "__main__":
    main()
