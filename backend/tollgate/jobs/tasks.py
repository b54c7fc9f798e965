"""The rq job functions. rq imports them by name (`tollgate.jobs.tasks.<name>`) in the worker, so enqueueing
needs neither Flask nor a database. Each runs one pass of work that is safe to run concurrently in several
workers: alert events are deduplicated, deliveries claimed, budget holds deleted before they are released.
"""

from __future__ import annotations

import os

from flask import Flask

from ..extensions import db
from ..services import Services, services

_app: Flask | None = None
_pid: int | None = None


def use_app(app: Flask) -> None:
    """Run jobs in this process against `app` (`tollgate worker` builds it once, before rq forks work horses)."""
    global _app, _pid
    _app, _pid = app, os.getpid()


def _services() -> Services:
    global _app, _pid
    if _app is None:
        from ..app import create_app

        use_app(create_app())  # settings from the environment, as every tollgate process
    assert _app is not None
    if _pid != os.getpid():
        # A work horse forked by rq: its pooled database connections belong to the parent; forget them here
        # without closing them (closing would break the parent's). Redis clients reconnect after a fork on their own.
        with _app.app_context():
            db.engine.dispose(close=False)
        _pid = os.getpid()
    return services(_app)


def evaluate_alerts() -> int:
    """Evaluate every alert rule; returns how many events fired (each queued for webhook delivery)."""
    return _services().alerts.evaluate_once()


def deliver_webhooks() -> int:
    """Attempt every due webhook delivery once; returns how many were attempted."""
    return _services().alerts.deliver_once()


def sweep_reservations() -> int:
    """Release budget reservations left by gateway processes that died between admit and settle (returns how
    many), and delete expired idempotency keys with the answers they kept."""
    alerts = _services().alerts
    released = alerts.sweep_once()
    alerts.purge_once()
    return released


def monthly_close() -> int:
    """The 1st-of-month run: previous-month reports and invoice drafts of every active client, once."""
    return _services().alerts.close_month_once()


def reconcile_lanes() -> int:
    """Compare every lane that has a report credential with its provider's report, for each settled UTC day
    and month not done yet (reconciliation/scheduled.py); returns how many runs were stored."""
    from ..models.base import utcnow
    from ..reconciliation.provider_api import requests_getter
    from ..reconciliation.scheduled import run_due

    app = _app_for_job()
    svc = services(app)
    with app.app_context():
        return run_due(db.session, svc.vault, requests_getter(svc.settings.allow_private_upstreams), utcnow())


def generate_report(report_id: str) -> bool:
    """Make one queued monthly usage report (claimed: a second worker given the same id does nothing)."""
    from ..reporting import generate

    app = _app_for_job()
    with app.app_context():
        return generate(db.session, report_id)


def _app_for_job() -> Flask:
    _services()
    assert _app is not None
    return _app
