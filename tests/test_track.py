"""`tollgate.track` against a real server: events arrive in batches, the caller is never blocked."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from tests.admin_support import AdminClient, owner
from tests.conftest import Seeded, ServedApp
from tollgate.services import Services
from tollgate.track import Tracker

__all__ = ["owner"]


def test_tracker_sends_batches_in_the_background(app: Flask, svc: Services, seeded: Seeded, owner: AdminClient) -> None:
    served = ServedApp(app)
    try:
        tracker = Tracker(served.url, seeded.admin_token, batch_size=10, flush_interval_s=0.05)
        started = time.perf_counter()
        ids = [
            tracker.track(
                client="acme",
                model="gpt-4o-mini",
                usage={"prompt_tokens": 10, "completion_tokens": 5},
                metadata={"workflow": "n8n"},
            )
            for _ in range(25)
        ]
        assert time.perf_counter() - started < 0.5
        assert tracker.flush(10)
        tracker.close()
    finally:
        served.stop()
    assert svc.usage_writer.flush()
    logs = owner.get("request-logs", query_string={"source": "ingested", "limit": 100}).get_json()["data"]
    assert sorted(r["id"] for r in logs) == sorted(ids)
    assert all(r["input_tokens"] == 10 and r["output_tokens"] == 5 for r in logs)


def test_tracker_gives_up_without_raising_when_the_server_is_down() -> None:
    tracker = Tracker("http://127.0.0.1:9", "tga_x", flush_interval_s=0.01, max_attempts=1, timeout_s=0.5)
    tracker.track(client="acme", model="m", input_tokens=1)
    assert tracker.flush(5)


def test_one_bad_event_does_not_take_its_batch_down(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The API refuses a whole batch when one event names an unknown client; the tracker batches unrelated
    calls together, so it resends the others and drops (and logs) only the bad one."""
    served = ServedApp(app)
    try:
        tracker = Tracker(served.url, seeded.admin_token, batch_size=10, flush_interval_s=0.2)
        good = [tracker.track(client="acme", model="gpt-4o-mini", input_tokens=3) for _ in range(2)]
        bad = tracker.track(client="no-such-client", model="gpt-4o-mini", input_tokens=3)
        good.append(tracker.track(client="globex", model="gpt-4o-mini", input_tokens=3))
        with caplog.at_level("ERROR", logger="tollgate.track"):
            assert tracker.flush(10)
        tracker.close()
    finally:
        served.stop()
    assert svc.usage_writer.flush()
    logs = owner.get("request-logs", query_string={"source": "ingested"}).get_json()["data"]
    assert sorted(r["id"] for r in logs) == sorted(good)
    assert bad in caplog.text and "no-such-client" in caplog.text
