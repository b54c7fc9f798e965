"""Report jobs through rq when Redis is configured: the API enqueues, a worker makes the report."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask

from tests.admin_support import AdminClient, owner
from tests.conftest import Seeded
from tollgate.jobs import schedule, tasks
from tollgate.services import Services

from .test_jobs_rq import conn, redis_url  # noqa: F401 - fixtures

__all__ = ["owner"]


def test_report_job_goes_through_rq(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    owner: AdminClient,
    conn: object,  # noqa: F811
    redis_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rq import SimpleWorker

    monkeypatch.setattr(svc, "settings", dataclasses.replace(svc.settings, redis_url=redis_url, jobs="auto"))
    response = owner.post("reports", json={"month": "2026-02", "client_id": seeded.client_id})
    assert response.status_code == 202
    (report,) = response.get_json()["data"]
    assert schedule.queue(conn).count == 1
    assert owner.get(f"reports/{report['id']}").get_json()["status"] == "queued"
    tasks.use_app(app)
    assert SimpleWorker([schedule.queue(conn)], connection=conn).work(burst=True)
    made = owner.get(f"reports/{report['id']}").get_json()
    assert made["status"] == "ready", made
    assert made["header"][0] == "Acme Co: AI usage report, February 2026"
