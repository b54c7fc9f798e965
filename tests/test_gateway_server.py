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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tollgate.mock_upstream import DEMO_API_KEY
from tollgate.vault.tokens import SUB_KEY_PREFIX, generate

from .conftest import MOCK_PROVIDER_KEY, Mock
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
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """`tollgate demo` then `tollgate serve` with two workers; `indirect` parametrization adds environment."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = (
        os.environ
        | {
            "TOLLGATE_DATA_DIR": str(data_dir),
            "TOLLGATE_PORT": str(port),
            "TOLLGATE_WORKERS": "2",
            "TOLLGATE_MOCK_UPSTREAM": "1",
            "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
            "TOLLGATE_LOG_FLUSH_INTERVAL_S": "30",
        }
        | getattr(request, "param", {})
    )
    env.pop("OPENAI_API_KEY", None)
    env.pop("TOLLGATE_SECRET_KEY", None)
    demo = subprocess.run([TOLLGATE, "demo"], env=env, capture_output=True, timeout=60)
    assert demo.returncode == 0, demo.stderr.decode()
    creds = json.loads((data_dir / "demo-credentials.json").read_text())
    stderr_path = tmp_path / "server.stderr"
    with stderr_path.open("wb") as err:
        proc = subprocess.Popen([TOLLGATE, "serve"], env=env, stdout=err, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:  # refused, or a read timeout while a loaded machine starts it
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


def _admin(server: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_token}"}


def _acme_id(server: Server) -> str:
    clients = requests.get(server.base_url + "/api/v1/clients", headers=_admin(server), timeout=5).json()["data"]
    return next(c["id"] for c in clients if c["slug"] == "acme")


def _fresh(server: Server, call: Callable[[], requests.Response], n: int = 48) -> list[requests.Response]:
    """New connections, in parallel: gunicorn spreads them over both workers."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def test_a_new_project_is_accepted_by_every_worker_at_once(server: Server) -> None:
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}", "X-Project-ID": "night-batch"}

    def status() -> requests.Response:
        return requests.get(server.base_url + "/v1/tollgate/cap-status", headers=key, timeout=5)

    assert {r.status_code for r in _fresh(server, status)} == {403}  # both workers cache the key without it
    created = requests.post(
        server.base_url + "/api/v1/projects",
        json={"client_id": _acme_id(server), "name": "Night batch", "slug": "night-batch"},
        headers=_admin(server),
        timeout=5,
    )
    assert created.status_code == 201, created.text
    assert {r.status_code for r in _fresh(server, status)} == {200}


def test_a_timezone_change_moves_the_day_boundary_in_every_worker_at_once(server: Server) -> None:
    budget = requests.post(
        server.base_url + "/api/v1/budgets",
        json={"scope": "client", "scope_id": _acme_id(server), "amount_micros": 5_000_000, "period": "daily"},
        headers=_admin(server),
        timeout=5,
    )
    assert budget.status_code == 201, budget.text
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}"}

    def day_starts() -> set[str]:
        found = _fresh(
            server, lambda: requests.get(server.base_url + "/v1/tollgate/cap-status", headers=key, timeout=5)
        )
        return {r.json()["budgets"][0]["period_start"] for r in found}

    before = day_starts()
    assert len(before) == 1
    changed = requests.patch(
        server.base_url + "/api/v1/workspace",
        json={"timezone": "Pacific/Kiritimati"},
        headers=_admin(server),
        timeout=5,
    )
    assert changed.status_code == 200, changed.text
    after = day_starts()
    assert len(after) == 1 and after != before  # UTC+14: another midnight, in every worker


@pytest.mark.parametrize("server", [{"TOLLGATE_LOG_FLUSH_INTERVAL_S": "0.05"}], indirect=True)
def test_a_price_override_is_used_by_every_worker_at_once(server: Server, mock_upstream: Mock) -> None:
    """A hard budget refuses a model no price list knows (403 model_unpriced); once the workspace prices it,
    every worker admits it on the next request, and every worker's log writer prices its rows with it."""
    lane = requests.post(  # a mock that serves any model (the demo's answers 404 for models it does not list)
        server.base_url + "/api/v1/lanes",
        json={"name": "Fine-tunes", "base_url": mock_upstream.base_url, "api_key": MOCK_PROVIDER_KEY},
        headers=_admin(server),
        timeout=5,
    ).json()
    routed = requests.put(
        server.base_url + f"/api/v1/routing-policies/{_acme_id(server)}",
        json={"lane_ids": [lane["id"]]},
        headers=_admin(server),
        timeout=5,
    )
    assert routed.status_code == 200, routed.text
    budget = requests.post(
        server.base_url + "/api/v1/budgets",
        json={"scope": "client", "scope_id": _acme_id(server), "amount_micros": 5_000_000, "hard": True},
        headers=_admin(server),
        timeout=5,
    )
    assert budget.status_code == 201, budget.text
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}"}
    body = {"model": "acme-finetune-7", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16}

    def chat() -> requests.Response:
        return requests.post(server.base_url + "/v1/chat/completions", json=body, headers=key, timeout=10)

    refused = _fresh(server, chat)
    assert {r.status_code for r in refused} == {403}
    listed = {**body, "model": "gpt-4o-mini"}  # both log writers write a batch, reading the overrides (none)
    assert {
        r.status_code
        for r in _fresh(
            server,
            lambda: requests.post(server.base_url + "/v1/chat/completions", json=listed, headers=key, timeout=10),
        )
    } == {200}
    time.sleep(0.3)
    assert refused[0].json()["error"]["code"] == "model_unpriced"
    override = requests.post(
        server.base_url + "/api/v1/price-overrides",
        json={"model": "acme-finetune-7", "input_mtok_micros": 1_000_000, "output_mtok_micros": 2_000_000},
        headers=_admin(server),
        timeout=5,
    )
    assert override.status_code == 201, override.text
    assert {r.status_code for r in _fresh(server, chat)} == {200}
    assert server.stop() == 0
    with sqlite3.connect(server.data_dir / "tollgate.db") as conn:
        rows = conn.execute(
            "SELECT priced, value_micros FROM request_logs WHERE model_requested = ? AND status_code = 200",
            ("acme-finetune-7",),
        ).fetchall()
    assert len(rows) == 48 and all(priced and value > 0 for priced, value in rows)


def test_a_revoke_from_the_cli_reaches_every_running_worker_within_a_second(server: Server) -> None:
    """`tollgate revoke-key` is another process: it bumps the generation file every worker maps."""
    created = requests.post(
        server.base_url + "/api/v1/sub-keys",
        json={"client_id": _acme_id(server), "name": "leaked"},
        headers=_admin(server),
        timeout=5,
    ).json()
    key = {"Authorization": f"Bearer {created['secret']}"}

    def models() -> requests.Response:
        return requests.get(server.base_url + "/v1/models", headers=key, timeout=5)

    assert {r.status_code for r in _fresh(server, models)} == {200}
    env = os.environ | {"TOLLGATE_DATA_DIR": str(server.data_dir)}
    env.pop("TOLLGATE_SECRET_KEY", None)
    revoked = subprocess.run([TOLLGATE, "revoke-key", created["id"]], env=env, capture_output=True, timeout=60)
    assert revoked.returncode == 0, revoked.stderr.decode()
    done = time.monotonic()
    while {r.status_code for r in _fresh(server, models, 16)} != {401}:
        assert time.monotonic() - done < 1.0, "a worker still accepts the revoked key"
    assert {r.status_code for r in _fresh(server, models)} == {401}
    assert (server.data_dir / "cache-generation").stat().st_mode & 0o777 == 0o600


def test_the_demo_answers_an_unknown_model_as_openai_does(server: Server) -> None:
    """The demo's mock lists and serves a fixed set of models; any other gets OpenAI's 404 model_not_found
    through the gateway, so a typo fails in the demo as it would in production."""
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}"}
    listed = requests.get(server.base_url + "/v1/models", headers=key, timeout=5).json()["data"]
    assert {"gpt-4o-mini", "gpt-4.1-mini", "text-embedding-3-small"} <= {m["id"] for m in listed}
    body = {"model": "gpt-4o-mnii", "messages": [{"role": "user", "content": "hi"}]}
    typo = requests.post(server.base_url + "/v1/chat/completions", json=body, headers=key, timeout=5)
    assert typo.status_code == 404
    assert typo.json()["error"]["code"] == "model_not_found" and "gpt-4o-mnii" in typo.json()["error"]["message"]
    body["model"] = "gpt-4o-mini"
    assert requests.post(server.base_url + "/v1/chat/completions", json=body, headers=key, timeout=5).ok


@pytest.mark.parametrize("server", [{"TOLLGATE_ACCESS_LOG": "1"}], indirect=True)
def test_the_optional_access_log_leaves_query_strings_out(server: Server) -> None:
    key = {"Authorization": f"Bearer {server.sub_keys['acme']}"}
    requests.get(server.base_url + "/v1/models?api_key=tg_secret_in_a_query", headers=key, timeout=5)
    assert server.stop() == 0
    lines = [line for line in server.stderr().splitlines() if '"GET /v1/models HTTP/1.1" 200' in line]
    assert any(
        line.startswith("127.0.0.1 - [") and line.endswith('"python-requests/' + requests.__version__ + '"')
        for line in lines
    )
    assert "tg_secret_in_a_query" not in server.stderr() and server.sub_keys["acme"] not in server.stderr()


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
    long_line = requests.get(server.base_url + "/v1/models?q=" + "a" * 9000, headers=key, timeout=10)  # > 8190
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
