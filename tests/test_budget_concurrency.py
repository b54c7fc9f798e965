"""No overshoot under real concurrency: 64 parallel requests through `tollgate serve` with 2 gunicorn gevent
worker processes, against a budget that fits only some of them, on the SQL store (SQLite shared by the
workers) and the Redis store (a real redis-server).

The mock upstream reports exactly the usage the gateway reserves for (prompt tokens = body bytes, completion
tokens = max_tokens), so every admitted request costs its full reservation and the number admitted is fixed
by arithmetic, whatever the interleaving: floor(cap / cost).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import requests
from sqlalchemy import func, select

from tollgate import provisioning
from tollgate.app import create_app
from tollgate.budgets import manage
from tollgate.budgets.redis_store import RedisLedgerStore
from tollgate.config import load_settings
from tollgate.demo import DemoCredentials
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.models import BudgetSpend, Client, RequestLog
from tollgate.services import services

from .conftest import MOCK_PROVIDER_KEY, ServedApp
from .servers import free_port, redis_server, wait_port
from .test_budget_gateway import worst_case

TOLLGATE = str(Path(sys.executable).with_name("tollgate"))
PARALLEL = 64
MAX_TOKENS = 100  # × $0.60/Mtok = 60 micro-dollars of output
FITS = 23
RPM = 10


def body() -> bytes:
    """A gpt-4o-mini request whose size is a multiple of 20 bytes, so its input cost is whole micro-dollars. It
    names the default service tier, so its worst case is exactly what the mock bills: settling frees no room."""
    content = "spend"
    while True:
        raw = orjson.dumps(
            {
                "model": "gpt-4o-mini",
                "max_tokens": MAX_TOKENS,
                "service_tier": "default",
                "messages": [{"role": "user", "content": content}],
            }
        )
        if len(raw) % 20 == 0:
            return raw
        content += "x"


@dataclass
class Served:
    base_url: str
    data_dir: Path
    key: str
    budget_id: str
    cap_micros: int
    redis_url: str | None
    env: dict[str, str]
    limited_key: str


def _seed(data_dir: Path, env: dict[str, str], mock_url: str, cap: int) -> tuple[str, str, str]:
    subprocess.run([TOLLGATE, "demo"], env=env, check=True, capture_output=True)
    creds = DemoCredentials.load(data_dir / "demo-credentials.json")
    assert creds is not None
    app = create_app(load_settings(env))
    svc = services(app)
    with app.app_context():
        acme = db.session.scalars(select(Client).where(Client.slug == "acme")).one()
        lane = provisioning.create_lane(
            db.session, svc.vault, acme.workspace_id, "Test mock", mock_url, MOCK_PROVIDER_KEY
        )
        provisioning.append_route(db.session, acme.workspace_id, lane, client_id=acme.id)
        budget = manage.create_budget(db.session, acme.workspace_id, "client", acme.id, cap, "daily", name="Daily cap")
        globex = db.session.scalars(select(Client).where(Client.slug == "globex")).one()
        provisioning.append_route(db.session, acme.workspace_id, lane, client_id=globex.id)
        manage.set_rate_limit(db.session, acme.workspace_id, "client", globex.id, RPM, None)
        db.session.commit()
        budget_id = budget.id
    svc.log_writer.close()
    return creds.sub_keys["acme"], creds.sub_keys["globex"], budget_id


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    raw = body()
    state = MockState(api_key=MOCK_PROVIDER_KEY, record_requests=False)
    state.usage = {"prompt_tokens": len(raw), "completion_tokens": MAX_TOKENS}
    served = ServedApp(MockUpstream(state))
    yield served.url + "/v1"
    served.stop()


@pytest.fixture(scope="module", params=["sql", "redis"])
def served(request: pytest.FixtureRequest, mock: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with redis_server() if request.param == "redis" else _no_redis() as redis_url:
        if request.param == "redis" and redis_url is None:
            pytest.skip("redis-server not installed; CI installs it")
        data_dir = tmp_path_factory.mktemp(f"concurrency-{request.param}")
        port = free_port()
        env = os.environ | {
            "TOLLGATE_DATA_DIR": str(data_dir),
            "TOLLGATE_SECRET_KEY": base64.b64encode(b"c" * 32).decode(),
            "TOLLGATE_PORT": str(port),
            "TOLLGATE_WORKERS": "2",
            "TOLLGATE_MOCK_UPSTREAM": "1",
            "TOLLGATE_ALLOW_PRIVATE_UPSTREAMS": "1",
            "TOLLGATE_LOG_FLUSH_INTERVAL_S": "0.05",
        }
        if redis_url:
            env["REDIS_URL"] = redis_url
        cap = FITS * worst_case(body()) + worst_case(body()) // 2
        key, limited_key, budget_id = _seed(data_dir, env, mock, cap)
        proc = subprocess.Popen(
            [TOLLGATE, "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_port(port, 30)
            yield Served(f"http://127.0.0.1:{port}", data_dir, key, budget_id, cap, redis_url, env, limited_key)
        finally:
            proc.terminate()
            proc.wait(30)


class _no_redis:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _fire(served: Served, key: str | None = None) -> list[requests.Response]:
    raw = body()
    barrier = threading.Barrier(PARALLEL)
    headers = {"Authorization": f"Bearer {key or served.key}", "Content-Type": "application/json"}

    def one(_: int) -> requests.Response:
        barrier.wait()
        return requests.post(f"{served.base_url}/v1/chat/completions", data=raw, headers=headers, timeout=60)

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def test_parallel_requests_never_overshoot_the_cap(served: Served) -> None:
    cost = worst_case(body())
    responses = _fire(served)
    statuses = sorted(r.status_code for r in responses)
    refused = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
    assert statuses.count(200) == served.cap_micros // cost == FITS
    assert refused == ["budget_exceeded"] * (PARALLEL - FITS)
    spent, reserved = _ledger(served)
    assert reserved == 0
    assert spent == FITS * cost <= served.cap_micros
    assert _logged_value(served) == spent


def _ledger(served: Served) -> tuple[int, int]:
    if served.redis_url:
        store = RedisLedgerStore.from_url(served.redis_url)
        import redis

        keys = redis.Redis.from_url(served.redis_url).keys(f"tg:spend:{served.budget_id}:*")
        periods = [(served.budget_id, int(k.decode().rsplit(":", 1)[1])) for k in keys]
        usage = store.read(periods).values()
    else:
        app = create_app(load_settings(served.env))
        with app.app_context():
            rows = db.session.scalars(select(BudgetSpend).where(BudgetSpend.budget_id == served.budget_id)).all()
        services(app).log_writer.close()
        return sum(r.spent_micros for r in rows), sum(r.reserved_micros for r in rows)
    return sum(u.spent_micros for u in usage), sum(u.reserved_micros for u in usage)


def _logged_value(served: Served) -> int:
    import time

    app = create_app(load_settings(served.env))
    deadline = time.monotonic() + 10
    with app.app_context():
        while True:
            count, value = db.session.execute(
                select(func.count(), func.coalesce(func.sum(RequestLog.value_micros), 0)).where(
                    RequestLog.status_code == 200
                )
            ).one()
            if count >= FITS or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.1)
    services(app).log_writer.close()
    return int(value)


def test_rate_limit_holds_across_worker_processes(served: Served) -> None:
    """10 requests per minute for the client, 64 at once through 2 processes: 10 pass, not 10 × 2."""
    responses = _fire(served, served.limited_key)
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(ok) == RPM and len(limited) == PARALLEL - RPM
    assert {r.json()["error"]["code"] for r in limited} == {"rate_limit_exceeded"}
    assert all(int(r.headers["Retry-After"]) >= 1 for r in limited)
    assert sorted(int(r.headers["x-ratelimit-remaining-requests"]) for r in ok) == list(range(RPM))
