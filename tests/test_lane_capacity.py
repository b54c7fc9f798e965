"""Flat lanes' capacity windows through the gateway and the admin API (one process; the two-process test is
tests/test_lane_capacity_concurrency.py): a full window passes the request to the next lane before any byte
reaches the caller, the log row says why, the window resets, and the API shows where it stands."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import requests
from flask import Flask

from tollgate import provisioning
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.models import Lane
from tollgate.services import Services

from .admin_support import AdminClient, as_role, owner  # noqa: F401 - fixture
from .conftest import Mock, Seeded, ServedApp
from .log_rows import wait_rows

SECOND_KEY = "sk-second-account-key-abcdefghijklm"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, upstream_read_timeout_s=0.5)


@pytest.fixture
def second(app: Flask, svc: Services, seeded: Seeded) -> Iterator[tuple[Mock, str]]:
    """acme's own policy: the seeded lane (made flat by each test), then a second lane on another mock."""
    state = MockState(api_key=SECOND_KEY)
    mock = Mock(state, ServedApp(MockUpstream(state)))
    with app.app_context():
        first = db.session.get(Lane, seeded.lane_id)
        assert first is not None
        provisioning.append_route(db.session, seeded.workspace_id, first, client_id=seeded.client_id)
        ws = seeded.workspace_id
        lane = provisioning.create_lane(db.session, svc.vault, ws, "Metered", mock.base_url, SECOND_KEY)
        provisioning.append_route(db.session, seeded.workspace_id, lane, client_id=seeded.client_id)
        db.session.commit()
        lane_id = lane.id
    svc.keys.invalidate()
    yield mock, lane_id
    mock.served.stop()


def _make_flat(admin: AdminClient, lane_id: str, capacity: dict[str, Any]) -> dict[str, Any]:
    resp = admin.patch(f"lanes/{lane_id}", json={"payment": "flat", "capacity": capacity})
    assert resp.status_code == 200, resp.get_json()
    return dict(resp.get_json())


def _chat(gateway: str, key: str, stream: bool = False, **extra: Any) -> requests.Response:
    return requests.post(
        gateway + "/chat/completions",
        json=CHAT | {"stream": stream} | extra,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def test_full_window_falls_through_then_resets(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    second: tuple[Mock, str],
    owner: AdminClient,  # noqa: F811
) -> None:
    flat, (backup, metered) = seeded.lane_id, second
    lane = _make_flat(owner, flat, {"limit": 2, "unit": "requests", "window_s": 2})
    assert lane["capacity"] == {"limit": 2, "unit": "requests", "window_s": 2}
    idle = owner.get(f"lanes/{flat}/capacity").get_json()
    assert (idle["used"], idle["remaining"], idle["resets_at"]) == (0, 2, None)

    served = [_chat(gateway, seeded.key, stream=i == 3) for i in range(4)]  # the last one streams
    assert [r.status_code for r in served] == [200] * 4
    assert [r.headers["x-tollgate-lane"] for r in served] == [flat, flat, metered, metered]
    assert b"[DONE]" in served[3].content
    assert len(mock_upstream.state.requests) == 2 and len(backup.state.requests) == 2  # full: never called

    status = owner.get(f"lanes/{flat}/capacity").get_json()
    assert (status["used"], status["in_flight"], status["remaining"], status["unit"]) == (2, 0, 0, "requests")
    assert status["resets_at"] is not None and status["window_s"] == 2

    rows = wait_rows(app, svc, 4)
    full = [{"lane_id": flat, "reason": "capacity_full"}]
    assert [(r.lane_id, r.attempts) for r in rows] == [(flat, None), (flat, None), (metered, full), (metered, full)]
    assert rows[3].stream

    time.sleep(2.1)  # the window ends: the next request opens a new one on the flat lane
    again = _chat(gateway, seeded.key)
    assert again.headers["x-tollgate-lane"] == flat
    status = owner.get(f"lanes/{flat}/capacity").get_json()
    assert (status["used"], status["remaining"]) == (1, 1)


def test_failed_call_gives_its_window_room_back(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    second: tuple[Mock, str],
    owner: AdminClient,  # noqa: F811
) -> None:
    """A flat lane that answers 5xx served nothing: its hold is released, the next lane serves, and the
    window still has the room."""
    _make_flat(owner, seeded.lane_id, {"limit": 1, "unit": "requests", "window_s": 600})
    mock_upstream.state.update({"fail_status": 500, "fail_count": 1})
    assert _chat(gateway, seeded.key).headers["x-tollgate-lane"] == second[1]
    assert owner.get(f"lanes/{seeded.lane_id}/capacity").get_json()["remaining"] == 1
    assert _chat(gateway, seeded.key).headers["x-tollgate-lane"] == seeded.lane_id
    rows = wait_rows(app, svc, 2)
    assert rows[0].attempts == [{"lane_id": seeded.lane_id, "reason": "upstream_5xx", "status": 500}]


def test_token_window_counts_real_tokens_and_overshoots_by_at_most_one_request(
    gateway: str,
    seeded: Seeded,
    mock_upstream: Mock,
    second: tuple[Mock, str],
    owner: AdminClient,  # noqa: F811
) -> None:
    """Admitted while used + in flight is below the limit; the settle counts the provider's tokens (70 each).
    Two requests fit under 100 (0, then 70): the window ends at 140, over the limit by less than one request."""
    mock_upstream.state.usage = {"prompt_tokens": 30, "completion_tokens": 40}
    _make_flat(owner, seeded.lane_id, {"limit": 100, "unit": "tokens", "window_s": 600})
    lanes = [_chat(gateway, seeded.key, max_tokens=40).headers["x-tollgate-lane"] for _ in range(3)]
    assert lanes == [seeded.lane_id, seeded.lane_id, second[1]]
    status = owner.get(f"lanes/{seeded.lane_id}/capacity").get_json()
    assert (status["used"], status["in_flight"], status["remaining"]) == (140, 0, 0)
    assert status["used"] - status["limit"] < 70


def test_every_lane_full_is_a_429_with_retry_after(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    owner: AdminClient,  # noqa: F811
) -> None:
    _make_flat(owner, seeded.lane_id, {"limit": 1, "unit": "requests", "window_s": 300})
    assert _chat(gateway, seeded.key).status_code == 200
    refused = _chat(gateway, seeded.key)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "lane_capacity_exhausted"
    assert 0 < int(refused.headers["Retry-After"]) <= 301
    rows = wait_rows(app, svc, 2)
    assert rows[1].attempts == [{"lane_id": seeded.lane_id, "reason": "capacity_full"}]
    assert rows[1].error_code == "lane_capacity_exhausted"
    # A call the provider does not charge (here a moderation) is not what the plan counts: it still goes through.
    moderation = requests.post(
        gateway + "/moderations", json={"input": "hi"}, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=10
    )
    assert moderation.status_code == 200 and moderation.headers["x-tollgate-lane"] == seeded.lane_id


def test_a_stream_never_falls_back_after_its_first_byte(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock, second: tuple[Mock, str]
) -> None:
    """The first lane's stream stalls after its first event (longer than the read timeout): the caller has bytes
    already, so it gets the in-band error and the next lane is never asked."""
    mock_upstream.state.stream_delay_s = 1.5
    resp = _chat(gateway, seeded.key, stream=True)
    assert resp.status_code == 200 and resp.headers["x-tollgate-lane"] == seeded.lane_id
    assert b"upstream_error" in resp.content
    assert second[0].state.requests == []
    [row] = wait_rows(app, svc, 1)
    assert (row.error_code, row.attempts) == ("upstream_stream_error", None)


def test_capacity_rules_in_the_admin_api(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    owner: AdminClient,  # noqa: F811
) -> None:
    lane = {"name": "Plan", "base_url": "https://api.openai.com/v1", "api_key": "sk-test-plan-abcdefghijklmnopq"}
    capacity = {"limit": 500, "unit": "requests", "window_s": 18_000}
    metered = owner.post("lanes", json=lane | {"capacity": capacity})
    assert metered.status_code == 422 and "capacity" in metered.get_json()["errors"]
    bad = owner.post("lanes", json=lane | {"payment": "flat", "capacity": capacity | {"unit": "dollars"}})
    assert bad.status_code == 422
    created = owner.post("lanes", json=lane | {"payment": "flat", "capacity": capacity})
    assert created.status_code == 201 and created.get_json()["capacity"] == capacity
    lane_id = created.get_json()["id"]
    assert owner.get(f"lanes/{lane_id}").get_json()["capacity"] == capacity
    for role in ("viewer", "client"):
        reader = as_role(app, svc, seeded, role)
        assert reader.get(f"lanes/{lane_id}/capacity").status_code == reader.get(f"lanes/{lane_id}").status_code

    refused = owner.patch(f"lanes/{lane_id}", json={"payment": "metered", "capacity": capacity})
    assert refused.status_code == 422
    assert owner.patch(f"lanes/{lane_id}", json={"payment": "metered"}).get_json()["capacity"] is None
    assert owner.patch(f"lanes/{lane_id}", json={"capacity": capacity}).status_code == 409  # still metered

    none = owner.get(f"lanes/{lane_id}/capacity")
    assert none.status_code == 404 and none.headers["Content-Type"].startswith("application/problem+json")
    assert owner.get("lanes/lan_doesnotexist/capacity").status_code == 404


def test_attempts_in_the_request_log_api_and_csv(
    app: Flask,
    svc: Services,
    gateway: str,
    seeded: Seeded,
    second: tuple[Mock, str],
    owner: AdminClient,  # noqa: F811
) -> None:
    _make_flat(owner, seeded.lane_id, {"limit": 1, "unit": "requests", "window_s": 600})
    for _ in range(2):
        assert _chat(gateway, seeded.key).status_code == 200
    wait_rows(app, svc, 2)
    logs = owner.get("request-logs").get_json()["data"]
    full = [{"lane_id": seeded.lane_id, "reason": "capacity_full"}]
    assert sorted((row["attempts"] or []) for row in logs) == [[], full]
    csv = owner.get("exports/request-logs.csv").get_data(as_text=True).splitlines()
    assert csv[0].endswith(",attempts")
    assert sum(line.endswith(orjson.dumps(full).decode().replace('"', '""') + '"') for line in csv) == 1
