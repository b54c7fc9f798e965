"""The real server (`tollgate serve`: gunicorn, gevent workers) in a subprocess: a clean stop right after a
burst of requests loses no log row, and no secret reaches its log output or its database."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tollgate.mock_upstream import DEMO_API_KEY
from tollgate.vault.tokens import SUB_KEY_PREFIX, generate

from .test_gateway_secrets import assert_no_secrets_in_db, secrets_in

TOLLGATE = str(Path(sys.executable).parent / "tollgate")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base_url: str
    data_dir: Path
    sub_keys: dict[str, str]
    admin_token: str
    stderr_path: Path

    def stop(self) -> int:
        """SIGTERM to the gunicorn master, as systemd or docker would send; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    port = _free_port()
    data_dir = tmp_path / "data"
    env = os.environ | {
        "TOLLGATE_DATA_DIR": str(data_dir),
        "TOLLGATE_PORT": str(port),
        "TOLLGATE_WORKERS": "2",
        "TOLLGATE_MOCK_UPSTREAM": "1",
        "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
        "TOLLGATE_LOG_FLUSH_INTERVAL_S": "30",
    }
    env.pop("OPENAI_API_KEY", None)
    env.pop("TOLLGATE_SECRET_KEY", None)
    demo = subprocess.run([TOLLGATE, "demo"], env=env, capture_output=True, timeout=60)
    assert demo.returncode == 0, demo.stderr.decode()
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    stderr_path = tmp_path / "server.stderr"
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen([TOLLGATE, "serve"], env=env, stdout=err, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                break
        except (requests.ConnectionError, requests.Timeout):  # not up yet, or still booting its workers
            pass
        assert proc.poll() is None, stderr_path.read_text()
        assert time.monotonic() < deadline, "server did not come up"
        time.sleep(0.1)
    server = Server(proc, base_url, data_dir, creds["sub_keys"], creds["admin_token"], stderr_path)
    yield server
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _count_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "tollgate.db") as conn:
        return int(conn.execute("SELECT count(*) FROM request_logs").fetchone()[0])


def test_sigterm_right_after_requests_loses_no_log_row(server: Server) -> None:
    key = server.sub_keys["acme"]
    n = 40

    def call(i: int) -> int:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"request {i}"}], "stream": i % 2 == 0}
        resp = requests.post(
            server.base_url + "/v1/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        return resp.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(n)))
    assert statuses == [200] * n
    assert _count_rows(server.data_dir) == 0  # the 30 s flush interval has not passed: all rows still queued
    assert server.stop() == 0
    assert _count_rows(server.data_dir) == n
    assert not list((server.data_dir / "spool").glob("*.jsonl"))


def test_no_secret_in_server_output_or_database(server: Server) -> None:
    key = server.sub_keys["acme"]
    typo = key[:-1] + ("A" if key[-1] != "A" else "B")
    url = server.base_url + "/v1/chat/completions"
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    bodies: list[str] = []
    for auth in (key, typo, generate(SUB_KEY_PREFIX), server.admin_token, DEMO_API_KEY):
        resp = requests.post(url, json=chat, headers={"Authorization": f"Bearer {auth}"}, timeout=10)
        bodies.append(resp.text)
    bodies.append(requests.post(url, data=b"{oops", headers={"Authorization": f"Bearer {key}"}, timeout=10).text)
    bodies.append(
        requests.get(server.base_url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=10).text
    )

    assert server.stop() == 0
    output = server.stderr()
    assert "Booting worker" in output  # we are reading the real log
    secrets = [*server.sub_keys.values(), typo, server.admin_token]
    assert secrets_in(output, secrets) == []
    assert secrets_in("\n".join(bodies), [*secrets, DEMO_API_KEY]) == []
    assert_no_secrets_in_db(server.data_dir / "tollgate.db", [*secrets, DEMO_API_KEY])


def test_revoke_through_the_api_reaches_every_worker_at_once(server: Server) -> None:
    """Without Redis the workers of one server share a generation counter: a key revoked through the admin API
    (served by one worker) stops working in the other worker too, not only once its cache entry expires."""
    admin = {"Authorization": f"Bearer {server.admin_token}"}
    clients = requests.get(server.base_url + "/api/v1/clients", headers=admin, timeout=5).json()["data"]
    created = requests.post(
        server.base_url + "/api/v1/sub-keys",
        json={"client_id": clients[0]["id"], "name": "leaked"},
        headers=admin,
        timeout=5,
    ).json()
    key = {"Authorization": f"Bearer {created['secret']}"}

    def call(_: int) -> int:
        return requests.get(server.base_url + "/v1/models", headers=key, timeout=5).status_code

    def fresh_calls() -> list[int]:  # new connections, in parallel: gunicorn spreads them over both workers
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(call, range(48)))

    assert set(fresh_calls()) == {200}  # both workers have the key cached now
    revoked = requests.delete(server.base_url + f"/api/v1/sub-keys/{created['id']}", headers=admin, timeout=5)
    assert revoked.status_code == 204
    assert set(fresh_calls()) == {401}


def _chunked(body: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """A generator body: requests sends it with `Transfer-Encoding: chunked` and no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_chunked_body_over_the_limit_is_413_not_cut_and_forwarded(server: Server) -> None:
    """A valid JSON object padded with whitespace past the 25 MiB limit: cut at the limit it would still parse and
    be forwarded (200); whole, it is too large, chunked or not."""
    padding = 30 * 1024 * 1024
    chat = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
    gateway = {"Authorization": f"Bearer {server.sub_keys['acme']}", "Content-Type": "application/json"}
    admin = {"Authorization": f"Bearer {server.admin_token}", "Content-Type": "application/json"}
    client = json.dumps({"name": "Big", "slug": "big"}).encode()
    for path, body, headers in (("/v1/chat/completions", chat, gateway), ("/api/v1/clients", client, admin)):
        padded = body + b" " * padding
        for data in (padded, _chunked(padded)):
            resp = requests.post(server.base_url + path, data=data, headers=headers, timeout=60)
            assert resp.status_code == 413, (path, resp.status_code, resp.text[:200])
            assert resp.headers["Content-Type"].startswith(("application/json", "application/problem+json"))
        small = requests.post(server.base_url + path, data=_chunked(body + b" " * 1024), headers=headers, timeout=10)
        assert small.status_code in (200, 201), small.text


def test_gunicorns_own_errors_are_json(server: Server) -> None:
    """Errors gunicorn answers before the app sees the request (request line or headers too long) are JSON: a
    problem document that also carries OpenAI's `error` object, since the path may not even have been read."""
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}"}
    long_line = requests.get(server.base_url + "/v1/models?q=" + "a" * 5000, headers=key, timeout=10)
    huge_header = requests.get(server.base_url + "/api/v1/clients", headers={"X-Big": "b" * 9000}, timeout=10)
    for resp, status in ((long_line, 414), (huge_header, 431)):
        assert resp.status_code == status
        assert resp.headers["Content-Type"] == "application/problem+json"
        body = resp.json()
        assert body["status"] == status and body["title"] and body["detail"]
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["type"] == "invalid_request_error" and body["error"]["message"] == body["detail"]
        assert "<html" not in resp.text
    assert long_line.json()["error"]["code"] == "uri_too_long"
    assert huge_header.json()["error"]["code"] == "request_header_fields_too_large"
    assert requests.get(server.base_url + "/v1/models", headers=key, timeout=10).status_code == 200
