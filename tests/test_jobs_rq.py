"""Jobs through rq with a real redis-server: the scheduler enqueues each periodic job once per slot (however
many schedulers run), a worker runs them, and each has its effect: alert events fire and are delivered to a
local receiver, leaked budget reservations are released. Also `tollgate worker --burst` as the CLI runs it
(a forked work horse per job, the app built from the environment)."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from tollgate.budgets.redis_store import RedisLedgerStore
from tollgate.budgets.store import BudgetLine, HoldRef, Usage
from tollgate.cli import main
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.jobs import schedule, tasks
from tollgate.services import Services

from .conftest import Seeded
from .servers import redis_server
from .test_alerts_webhooks import NOW, Receiver, clocked, receiver, spend, subscribe  # noqa: F401 - fixtures
from .test_budget_gateway import add_budget


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server not installed; CI installs it")
        yield url


@pytest.fixture
def conn(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    monkeypatch.setattr(tasks, "_app", None)  # jobs find the app each test gives them, never a previous one
    yield client
    client.close()


def test_each_slot_is_enqueued_once_across_schedulers(conn: object) -> None:
    jobs = schedule.periodic_jobs(Settings(alert_interval_s=30))
    assert [j.interval_s for j in jobs] == [30, 30, 60, 300, 3600]
    start = 1_800_000_000.0  # a multiple of 3600
    assert len(schedule.enqueue_due(conn, jobs, start)) == 5
    assert schedule.enqueue_due(conn, jobs, start + 29) == []  # a second scheduler, same slots
    assert [i.rsplit("-", 1)[0] for i in schedule.enqueue_due(conn, jobs, start + 30)] == [
        "tollgate-evaluate-alerts",
        "tollgate-deliver-webhooks",
    ]
    assert schedule.queue(conn).count == 7
    assert schedule.next_wake(jobs, start + 31) == pytest.approx(29)
    assert schedule.periodic_jobs(Settings(alert_interval_s=0)) == ()


def test_scheduler_loop_enqueues_then_stops(conn: object) -> None:
    import threading

    stop = threading.Event()
    jobs = schedule.periodic_jobs(Settings(alert_interval_s=30))
    loop = threading.Thread(target=schedule.run, args=(conn, jobs, stop))
    loop.start()
    deadline = time.monotonic() + 5
    while schedule.queue(conn).count < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    loop.join(5)
    assert not loop.is_alive() and schedule.queue(conn).count == 5


def test_worker_runs_alerts_delivery_and_sweep(
    app: Flask,
    clocked: Services,  # noqa: F811
    seeded: Seeded,
    receiver: tuple[Receiver, str],  # noqa: F811
    conn: object,
) -> None:
    from rq import SimpleWorker

    target, url = receiver
    subscribe(app, clocked, seeded, url, ["cap.threshold_reached"])
    budget = add_budget(app, seeded, 10_000_000, period="daily", name="Daily cap")
    with app.app_context():
        spend(clocked.ledger, budget, 8_500_000)
    [status] = clocked.ledger.statuses([_spec(app, budget)], "UTC")
    leaked = BudgetLine(budget, status.period.key, 700_000, None)
    expired = int(NOW.timestamp()) - 1  # a gateway process died holding this
    clocked.ledger.store.reserve([leaked], [], 0, HoldRef("req_dead", expired))
    tasks.use_app(app)
    enqueued = schedule.enqueue_due(conn, schedule.periodic_jobs(clocked.settings), time.time())
    assert len(enqueued) == 5
    worker = SimpleWorker([schedule.queue(conn)], connection=conn)
    assert worker.work(burst=True)
    assert [schedule.queue(conn).fetch_job(i).return_value() for i in enqueued] == [2, 2, 1, 0, 0]  # type: ignore[union-attr]
    assert len(target.calls) == 2  # 50 % and 80 %, signed and delivered by the worker
    assert clocked.ledger.store.read([(budget, status.period.key)])[(budget, status.period.key)] == Usage(8_500_000, 0)


def _spec(app: Flask, budget_id: str) -> object:
    from tollgate.budgets.loader import budget_spec
    from tollgate.models import Budget

    with app.app_context():
        row = db.session.get(Budget, budget_id)
        assert row is not None
        return budget_spec(row)


def test_tollgate_worker_cli_runs_a_job_in_a_forked_work_horse(tmp_path: Path, redis_url: str, conn: object) -> None:
    """`tollgate scheduler --once` enqueues, `tollgate worker --burst` runs: here the sweep releases a hold that
    a dead gateway process left in Redis (the Redis ledger store, since REDIS_URL is set)."""
    store = RedisLedgerStore(conn)
    line = BudgetLine("bud_x", 0, 5_000, 10_000)
    store.reserve([line], [], 0, HoldRef("req_dead", int(time.time()) - 10))
    assert store.read([("bud_x", 0)])[("bud_x", 0)] == Usage(0, 5_000)
    env = {
        "REDIS_URL": redis_url,
        "TOLLGATE_DATA_DIR": str(tmp_path),
        "TOLLGATE_SECRET_KEY": base64.b64encode(b"k" * 32).decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tollgate.db'}",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["init"], env=env).exit_code == 0
    scheduled = runner.invoke(main, ["scheduler", "--once"], env=env)
    assert scheduled.exit_code == 0 and scheduled.output.count("enqueued tollgate-") == 5, scheduled.output
    worked = runner.invoke(main, ["worker", "--burst"], env=env)
    assert worked.exit_code == 0, worked.output
    assert store.read([("bud_x", 0)])[("bud_x", 0)] == Usage(0, 0)
    assert schedule.queue(conn).count == 0
    finished = schedule.queue(conn).finished_job_registry.get_job_ids()
    assert len(finished) == 5


def test_worker_and_scheduler_need_redis(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "worker"], env={"REDIS_URL": ""})
    assert result.exit_code == 2 and "REDIS_URL is not set" in result.output


def test_gateway_processes_leave_jobs_to_rq_when_redis_is_set() -> None:
    assert Settings(redis_url="redis://x").jobs_through_rq
    assert not Settings(redis_url="redis://x", jobs="inprocess").jobs_through_rq
    assert not Settings().jobs_through_rq
    assert dt.timedelta(seconds=Settings(upstream_read_timeout_s=3000).hold_ttl_s) > dt.timedelta(seconds=3000)
