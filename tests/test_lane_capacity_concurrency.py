"""Flat lanes' capacity windows under real concurrency: 48 parallel requests through `tollgate serve` with 2
gunicorn worker processes, on the SQL store (SQLite shared by the workers) and the Redis store (a real
redis-server). acme's policy: a flat plan lane (12 requests per window), a second connected account (flat, 12),
then the agency's metered key. Every caller gets an answer, from the right lane, and each log row says why the
lanes before it were passed over: exactly 12 + 12 + 24, whatever the interleaving, because the window is one row
(or one Redis hash) that every process updates atomically.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete, select

from tollgate import provisioning
from tollgate.app import create_app
from tollgate.config import load_settings
from tollgate.demo import DemoCredentials
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.models import Client, RequestLog, RouteEntry
from tollgate.services import services

from .conftest import MOCK_PROVIDER_KEY, ServedApp
from .servers import free_port, redis_server, wait_port

TOLLGATE = str(Path(sys.executable).with_name("tollgate"))
PARALLEL = 48
PLAN = 12
BODY = {"model": "gpt-4o-mini", "max_tokens": 16, "messages": [{"role": "user", "content": "hello"}]}


@dataclass
class Served:
    base_url: str
    env: dict[str, str]
    key: str
    lanes: tuple[str, str, str]
    """The flat plan lane, the second account's flat lane, the metered lane: policy order."""


@pytest.fixture(scope="module")
def mocks() -> Iterator[list[str]]:
    served = [ServedApp(MockUpstream(MockState(api_key=MOCK_PROVIDER_KEY, record_requests=False))) for _ in range(3)]
    yield [s.url + "/v1" for s in served]
    for s in served:
        s.stop()


def _seed(env: dict[str, str], urls: list[str]) -> tuple[str, tuple[str, str, str]]:
    subprocess.run([TOLLGATE, "demo"], env=env, check=True, capture_output=True)
    creds = DemoCredentials.load(Path(env["TOLLGATE_DATA_DIR"]) / "demo-credentials.json")
    assert creds is not None
    app = create_app(load_settings(env))
    svc = services(app)
    with app.app_context():
        acme = db.session.scalars(select(Client).where(Client.slug == "acme")).one()
        db.session.execute(delete(RouteEntry).where(RouteEntry.client_id == acme.id))
        ids = []
        kinds = (("Plan", "flat"), ("Second account", "flat"), ("Metered", "metered"))
        for (name, payment), url in zip(kinds, urls, strict=True):
            lane = provisioning.create_lane(
                db.session, svc.vault, acme.workspace_id, name, url, MOCK_PROVIDER_KEY, payment=payment
            )
            if payment == "flat":
                lane.capacity = {"limit": PLAN, "unit": "requests", "window_s": 3600}
            provisioning.append_route(db.session, acme.workspace_id, lane, client_id=acme.id)
            db.session.flush()
            ids.append(lane.id)
        db.session.commit()
    svc.log_writer.close()
    return creds.sub_keys["acme"], (ids[0], ids[1], ids[2])


@pytest.fixture(scope="module", params=["sql", "redis"])
def served(
    request: pytest.FixtureRequest, mocks: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    with redis_server() if request.param == "redis" else nullcontext(None) as redis_url:
        if request.param == "redis" and redis_url is None:
            pytest.skip("redis-server not installed; CI installs it")
        data_dir = tmp_path_factory.mktemp(f"capacity-{request.param}")
        port = free_port()
        env = os.environ | {
            "TOLLGATE_DATA_DIR": str(data_dir),
            "TOLLGATE_SECRET_KEY": base64.b64encode(b"f" * 32).decode(),
            "TOLLGATE_PORT": str(port),
            "TOLLGATE_WORKERS": "2",
            "TOLLGATE_MOCK_UPSTREAM": "1",
            "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
            "TOLLGATE_LOG_FLUSH_INTERVAL_S": "0.05",
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
        key, lanes = _seed(env, mocks)
        proc = subprocess.Popen([TOLLGATE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(port, 30)
            yield Served(f"http://127.0.0.1:{port}", env, key, lanes)
        finally:
            proc.terminate()
            proc.wait(30)


def _fire(served: Served) -> list[requests.Response]:
    barrier = threading.Barrier(PARALLEL)
    headers = {"Authorization": f"Bearer {served.key}"}

    def one(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(f"{served.base_url}/v1/chat/completions", json=BODY, headers=headers, timeout=60)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def _rows(served: Served) -> list[RequestLog]:
    app = create_app(load_settings(served.env))
    deadline = time.monotonic() + 15
    with app.app_context():
        while True:
            rows = list(db.session.scalars(select(RequestLog)))
            if len(rows) >= PARALLEL or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.1)
        db.session.expunge_all()
    services(app).log_writer.close()
    return rows


def test_windows_fill_across_processes_and_every_caller_is_served(served: Served) -> None:
    plan, second, metered = served.lanes
    responses = _fire(served)
    assert [r.status_code for r in responses] == [200] * PARALLEL
    by_lane = Counter(r.headers["x-tollgate-lane"] for r in responses)
    assert by_lane == {plan: PLAN, second: PLAN, metered: PARALLEL - 2 * PLAN}

    rows = _rows(served)
    assert len(rows) == PARALLEL
    full = {"reason": "capacity_full"}
    expected = {
        plan: None,
        second: [{"lane_id": plan} | full],
        metered: [{"lane_id": plan} | full, {"lane_id": second} | full],
    }
    assert all(row.attempts == expected[row.lane_id] for row in rows), [(r.lane_id, r.attempts) for r in rows]

    app = create_app(load_settings(served.env))
    store = services(app).ledger.store  # the one the lane windows live in
    with app.app_context():
        for lane_id in (plan, second):
            state = store.read_window(lane_id)
            assert state is not None and (state.used, state.held) == (PLAN, 0)  # every hold settled, once
    services(app).log_writer.close()
