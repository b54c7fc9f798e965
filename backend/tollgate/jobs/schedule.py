"""`tollgate scheduler`: enqueue the periodic jobs on the rq queue, once per interval across every scheduler.

Each job has slots of `interval_s` (slot = Unix time // interval). A slot is claimed with `SET NX` on a Redis
key before its job is enqueued, so two schedulers (say, one per host, for availability) never enqueue the same
slot twice. A job that no worker picks up within its interval expires from the queue (rq's `ttl`), so stopped
workers do not come back to a pile of stale passes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import Settings

log = logging.getLogger(__name__)

QUEUE = "tollgate"
_SLOT_KEY = "tollgate:schedule:{name}:{slot}"


@dataclass(frozen=True, slots=True)
class Periodic:
    name: str
    func: str
    """Import path of the job function, resolved by the worker."""
    interval_s: float


def periodic_jobs(settings: Settings) -> tuple[Periodic, ...]:
    """What runs, and how often (`TOLLGATE_ALERT_INTERVAL_S`; 0 turns the jobs off)."""
    interval = settings.alert_interval_s
    if interval <= 0:
        return ()
    return (
        Periodic("evaluate-alerts", "tollgate.jobs.tasks.evaluate_alerts", interval),
        Periodic("deliver-webhooks", "tollgate.jobs.tasks.deliver_webhooks", interval),
        Periodic("sweep-reservations", "tollgate.jobs.tasks.sweep_reservations", max(interval, 60.0)),
        Periodic("monthly-close", "tollgate.jobs.tasks.monthly_close", max(interval, 300.0)),
        Periodic("reconcile-lanes", "tollgate.jobs.tasks.reconcile_lanes", max(interval, 3600.0)),
    )


def queue(connection: Any) -> Any:
    from rq import Queue

    return Queue(QUEUE, connection=connection)


def enqueue_due(connection: Any, jobs: Sequence[Periodic], now_s: float) -> list[str]:
    """Enqueue each job whose current slot no scheduler has claimed yet; returns the ids enqueued."""
    target = queue(connection)
    enqueued = []
    for job in jobs:
        slot = int(now_s // job.interval_s)
        span = max(1, math.ceil(job.interval_s))
        if not connection.set(_SLOT_KEY.format(name=job.name, slot=slot), b"1", nx=True, ex=2 * span):
            continue
        queued = target.enqueue(
            job.func,
            job_id=f"tollgate-{job.name}-{slot}",
            ttl=span,
            job_timeout=max(60, 10 * span),
            result_ttl=span,
            failure_ttl=86_400,
        )
        enqueued.append(str(queued.id))
    return enqueued


def next_wake(jobs: Sequence[Periodic], now_s: float) -> float:
    """Seconds until the earliest next slot starts."""
    return min((math.floor(now_s / j.interval_s) + 1) * j.interval_s - now_s for j in jobs)


def run(
    connection: Any, jobs: Sequence[Periodic], stop: threading.Event, clock: Callable[[], float] = time.time
) -> None:
    """Enqueue due jobs at every slot boundary until `stop` is set; a Redis outage is logged and retried."""
    while not stop.is_set():
        try:
            for job_id in enqueue_due(connection, jobs, clock()):
                log.info("enqueued %s", job_id)
        except Exception:
            log.exception("scheduler could not reach Redis; retrying")
            stop.wait(5)
            continue
        stop.wait(next_wake(jobs, clock()) + 0.01)
