"""Routing falls through to the next lane on 429, 5xx, timeouts and dead upstreams; the response names the
lane that served it and never the vendor key."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from tollgate import provisioning
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.models import Lane, RouteEntry
from tollgate.services import Services

from .conftest import MOCK_PROVIDER_KEY, Mock, Seeded, ServedApp
from .log_rows import wait_rows

SECOND_KEY = "sk-second-lane-key-abcdefghijklmnop"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, upstream_read_timeout_s=0.4, upstream_connect_timeout_s=0.4)


@pytest.fixture
def second(app: Flask, svc: Services, seeded: Seeded) -> Iterator[tuple[Mock, str]]:
    """A second mock upstream, as the second lane of the acme client's own routing policy."""
    state = MockState(api_key=SECOND_KEY)
    mock = Mock(state, ServedApp(MockUpstream(state)))
    with app.app_context():
        first = db.session.get(Lane, seeded.lane_id)
        assert first is not None
        provisioning.append_route(db.session, seeded.workspace_id, first, client_id=seeded.client_id)
        lane = provisioning.create_lane(
            db.session, svc.vault, seeded.workspace_id, "Backup lane", mock.base_url, SECOND_KEY
        )
        provisioning.append_route(db.session, seeded.workspace_id, lane, client_id=seeded.client_id)
        db.session.commit()
        lane_id = lane.id
    svc.keys.invalidate()
    yield mock, lane_id
    mock.served.stop()


def _chat(gateway: str, key: str, stream: bool = False) -> requests.Response:
    return requests.post(
        gateway + "/chat/completions",
        json=CHAT | {"stream": stream},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def _assert_served_by_second(resp: requests.Response, lane_id: str) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-tollgate-lane"] == lane_id
    everything = resp.text + "".join(f"{k}{v}" for k, v in resp.headers.items())
    assert MOCK_PROVIDER_KEY not in everything and SECOND_KEY not in everything


def test_first_lane_serves_when_healthy(gateway: str, seeded: Seeded, second: tuple[Mock, str]) -> None:
    resp = _chat(gateway, seeded.key)
    assert resp.headers["x-tollgate-lane"] == seeded.lane_id
    assert second[0].state.requests == []


@pytest.mark.parametrize(("status", "stream"), [(500, False), (500, True), (503, False), (429, False), (429, True)])
def test_falls_through_on_failure_status(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    second: tuple[Mock, str],
    status: int,
    stream: bool,
) -> None:
    mock_upstream.state.fail_status = status
    backup, lane_id = second
    resp = _chat(gateway, seeded.key, stream)
    _assert_served_by_second(resp, lane_id)
    assert len(mock_upstream.state.requests) == 1 and len(backup.state.requests) == 1
    assert backup.state.requests[0]["authorization"] == f"Bearer {SECOND_KEY}"
    [row] = wait_rows(app, svc, 1)
    assert row.lane_id == lane_id and row.status_code == 200
    reason = "upstream_429" if status == 429 else "upstream_5xx"
    assert row.attempts == [{"lane_id": seeded.lane_id, "reason": reason, "status": status}]


def test_falls_through_on_timeout(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    mock_upstream.state.delay_s = 1.0
    _assert_served_by_second(_chat(gateway, seeded.key), second[1])
    [row] = wait_rows(app, svc, 1)
    assert row.attempts == [{"lane_id": seeded.lane_id, "reason": "timeout"}]


def test_falls_through_on_unreachable_base_url(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, second: tuple[Mock, str]
) -> None:
    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.base_url = "http://127.0.0.1:9/v1"  # discard port: connection refused
        db.session.commit()
    svc.keys.invalidate()
    _assert_served_by_second(_chat(gateway, seeded.key), second[1])
    [row] = wait_rows(app, svc, 1)
    assert row.attempts == [{"lane_id": seeded.lane_id, "reason": "unreachable"}]


def test_all_lanes_failing_reports_the_last_failure(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    mock_upstream.state.fail_status = 500
    second[0].state.fail_status = 429
    second[0].state.retry_after = "7"
    resp = _chat(gateway, seeded.key)
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "upstream_rate_limited"
    assert resp.headers["Retry-After"] == "7"
    [row] = wait_rows(app, svc)
    assert (row.status_code, row.error_code, row.lane_id) == (429, "upstream_rate_limited", second[1])
    assert row.attempts == [
        {"lane_id": seeded.lane_id, "reason": "upstream_5xx", "status": 500},
        {"lane_id": second[1], "reason": "upstream_429", "status": 429},
    ]


def test_client_error_is_not_retried_on_another_lane(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    mock_upstream.state.fail_status = 400
    resp = _chat(gateway, seeded.key)
    assert resp.status_code == 400
    assert resp.headers["x-tollgate-lane"] == seeded.lane_id
    assert second[0].state.requests == []
    [row] = wait_rows(app, svc, 1)
    assert row.attempts is None  # the first lane answered: nothing was passed over


def test_route_order_is_respected(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, second: tuple[Mock, str]
) -> None:
    with app.app_context():
        entries = db.session.scalars(
            select(RouteEntry).where(RouteEntry.client_id == seeded.client_id).order_by(RouteEntry.position)
        ).all()
        assert [e.lane_id for e in entries] == [seeded.lane_id, second[1]]
        entries[0].position, entries[1].position = 10, 5
        db.session.commit()
    svc.keys.invalidate()
    assert _chat(gateway, seeded.key).headers["x-tollgate-lane"] == second[1]


def test_lane_that_asked_for_a_pause_is_tried_last(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    backup, lane_id = second
    mock_upstream.state.update({"fail_status": 429, "fail_count": 1, "retry_after": "30"})
    _assert_served_by_second(_chat(gateway, seeded.key), lane_id)
    assert len(mock_upstream.state.requests) == 1
    _assert_served_by_second(_chat(gateway, seeded.key), lane_id)
    assert len(mock_upstream.state.requests) == 1  # cooling: not asked again
    rows = wait_rows(app, svc, 2)
    assert [row.attempts for row in sorted(rows, key=lambda r: r.id)] == [
        [{"lane_id": seeded.lane_id, "reason": "upstream_429", "status": 429}],
        [{"lane_id": seeded.lane_id, "reason": "cooldown"}],
    ]
    backup.state.fail_status = 500  # …but when every other lane fails it is still tried
    resp = _chat(gateway, seeded.key)
    assert resp.status_code == 200 and resp.headers["x-tollgate-lane"] == seeded.lane_id
    assert len(mock_upstream.state.requests) == 2


def test_429_without_retry_after_does_not_cool(
    gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    mock_upstream.state.update({"fail_status": 429, "fail_count": 1})
    _assert_served_by_second(_chat(gateway, seeded.key), second[1])
    assert _chat(gateway, seeded.key).headers["x-tollgate-lane"] == seeded.lane_id
