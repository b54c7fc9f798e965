"""The SSRF guard at connect time: whatever a lane's or a webhook's host resolves to when it is called, and
whenever it was saved, a server without private upstreams never talks HTTP to an internal address."""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from tollgate.alerts.subscriptions import create_subscription
from tollgate.alerts.webhooks import http_poster
from tollgate.app import create_app
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.gateway.upstream import UpstreamPools
from tollgate.models import Lane, WebhookDelivery
from tollgate.services import Services, services

from .conftest import MOCK_PROVIDER_KEY, Mock, Seeded, ServedApp
from .test_alerts_webhooks import NOW, Receiver, spend
from .test_budget_gateway import add_budget

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def strict(settings: Settings, seeded: Seeded) -> Iterator[tuple[Flask, str]]:
    """A second server on the same database, started with private upstreams disallowed (the default)."""
    strict_app = create_app(dataclasses.replace(settings, allow_private_upstreams=False))
    strict_app.config["TESTING"] = True
    served = ServedApp(strict_app)
    yield strict_app, served.url + "/v1"
    served.stop()
    services(strict_app).log_writer.close()
    services(strict_app).usage_writer.close()
    with strict_app.app_context():
        db.engine.dispose()


def _chat(base_url: str, key: str) -> requests.Response:
    return requests.post(
        base_url + "/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {key}"}, timeout=5
    )


def test_lane_saved_while_private_was_allowed_is_refused_by_a_server_without(
    gateway: str, strict: tuple[Flask, str], seeded: Seeded, mock_upstream: Mock, caplog: pytest.LogCaptureFixture
) -> None:
    assert _chat(gateway, seeded.key).status_code == 200  # allowed here: the lane to 127.0.0.1 works
    calls = len(mock_upstream.state.requests)
    with caplog.at_level(logging.WARNING, logger="tollgate.egress"):
        resp = _chat(strict[1], seeded.key)
    assert resp.status_code == 502, resp.text
    error = resp.json()["error"]
    assert error["code"] == "upstream_error" and "could not be reached" in error["message"]
    assert len(mock_upstream.state.requests) == calls  # not a byte of HTTP reached the mock
    assert any("internal address 127.0.0.1" in r.getMessage() for r in caplog.records)


def test_a_name_resolving_to_loopback_is_refused(
    strict: tuple[Flask, str], seeded: Seeded, mock_upstream: Mock
) -> None:
    strict_app, base_url = strict
    with strict_app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.base_url = mock_upstream.base_url.replace("127.0.0.1", "localhost")
        db.session.commit()
    services(strict_app).keys.invalidate()
    resp = _chat(base_url, seeded.key)
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "upstream_error"
    assert mock_upstream.state.requests == []


def test_refused_lane_falls_through_and_pools_check_only_new_connections(mock_upstream: Mock) -> None:
    """At pool level: the refusal is an unreachable upstream (the proxy falls through on it); with private
    upstreams allowed the same pool connects once and then reuses the connection."""
    from tollgate.gateway.context import LaneTarget
    from tollgate.gateway.upstream import UpstreamUnreachable

    lane = LaneTarget("lane_x", "x", "openai", mock_upstream.base_url, MOCK_PROVIDER_KEY, "metered", None)
    url = mock_upstream.base_url + "/models"
    headers = {"Authorization": f"Bearer {MOCK_PROVIDER_KEY}"}
    with pytest.raises(UpstreamUnreachable):
        UpstreamPools(1.0, 1.0, 2, allow_private=False).send(lane, "GET", url, None, headers, False)
    allowed = UpstreamPools(1.0, 1.0, 2, allow_private=True)
    for _ in range(3):
        assert allowed.send(lane, "GET", url, None, headers, False).read_all()
    allowed.clear()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> str:
    """`rebind.test` resolves to a public address when a URL is checked (no port asked) and to 127.0.0.1 when
    a connection is made: a DNS rebinding between the check and the call."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            return real("93.184.215.14" if port is None else "127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return "rebind.test"


def test_webhook_to_a_rebound_name_is_a_failed_delivery_naming_the_reason(
    app: Flask, svc: Services, seeded: Seeded, rebinding: str
) -> None:
    target = Receiver()
    served = ServedApp(target)
    try:
        url = served.url.replace("127.0.0.1", rebinding) + "/hooks"
        svc.alerts.clock = svc.ledger.clock = lambda: NOW
        svc.alerts.allow_private = False
        svc.alerts.post = http_poster(allow_private=False)
        with app.app_context():
            create_subscription(db.session, svc.vault, seeded.workspace_id, url, ["cap.exceeded"])  # checks: public
            db.session.commit()
        budget = add_budget(app, seeded, 1_000, period="daily")
        with app.app_context():
            spend(svc.ledger, budget, 1_000)
        svc.alerts.run_once()
    finally:
        served.stop()
    assert target.calls == []
    with app.app_context():
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert delivery.last_error is not None
    assert delivery.last_error.startswith("refused target: rebind.test is at an internal address (127.0.0.1)")


def test_webhooks_to_loopback_still_work_when_private_targets_are_allowed(app: Flask) -> None:
    target = Receiver()
    served = ServedApp(target)
    try:
        assert http_poster(allow_private=True)(served.url + "/h", b"{}", {"Content-Type": "application/json"}) == 200
        with pytest.raises(Exception, match="internal address"):
            http_poster(allow_private=False)(served.url + "/h", b"{}", {})
    finally:
        served.stop()
    assert len(target.calls) == 1
