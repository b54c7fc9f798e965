"""Bring your own key: a client adds its own provider key with its client-scoped token, Tollgate verifies it
against a mock speaking the provider's real wire format, the client's traffic then uses it at $0 cost to the
agency; rotation under load fails no request; revocation or a provider 401 falls back (or refuses) and fires
`byok.failed`; and one client's key never serves another client, however the request or policy is dressed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from tests.admin_support import AdminClient, make_foreign, make_token, owner
from tests.conftest import Mock, Seeded, ServedApp
from tests.log_rows import wait_rows
from tollgate import provisioning
from tollgate.byok.lanes import combine
from tollgate.byok.verify import verify_key
from tollgate.extensions import db
from tollgate.gateway.context import LaneTarget
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.mock_upstream.anthropic import AnthropicMock, AnthropicMockState
from tollgate.mock_upstream.gemini import GeminiMock, GeminiMockState
from tollgate.models import AlertEvent, AuditEvent, Lane, ProviderKey, WebhookDelivery
from tollgate.services import Services, services

__all__ = ["owner"]

OWN_KEY = "sk-client-own-key-aaaaaaaaaaaaaaaa1111"
NEW_KEY = "sk-client-own-key-bbbbbbbbbbbbbbbb2222"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@dataclass
class Byok:
    mock: Mock
    client: AdminClient
    """The seeded client's (acme) own client-scoped admin token."""


@pytest.fixture
def own_mock() -> Iterator[Mock]:
    """The client's own OpenAI account: a second mock that accepts only the client's key."""
    state = MockState(api_key=OWN_KEY)
    served = ServedApp(MockUpstream(state))
    yield Mock(state, served)
    served.stop()


@pytest.fixture
def byok(app: Flask, svc: Services, seeded: Seeded, own_mock: Mock) -> Byok:
    token = make_token(app, svc, seeded.workspace_id, "client", seeded.client_id)
    return Byok(own_mock, AdminClient(app.test_client(), token))


def add(b: Byok, seeded: Seeded, key: str = OWN_KEY, **extra: object) -> dict[str, object]:
    body = {"provider": "openai", "purposes": ["chat"], "api_key": key, "base_url": b.mock.base_url} | extra
    response = b.client.post(f"clients/{seeded.client_id}/provider-keys", json=body)
    assert response.status_code == 201, response.get_json()
    data: dict[str, object] = response.get_json()
    return data


def chat(app: Flask, key: str, headers: dict[str, str] | None = None) -> requests.Response | object:
    return app.test_client().post(
        "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {key}"} | (headers or {})
    )


def test_guides_say_how_to_make_a_least_access_key(byok: Byok) -> None:
    data = byok.client.get("provider-key-guides").get_json()["data"]
    by_provider = {g["provider"]: g for g in data}
    assert set(by_provider) >= {"openai", "anthropic", "gemini"}
    assert "Restricted" in " ".join(by_provider["openai"]["steps"])
    assert by_provider["anthropic"]["verify_call"].startswith("GET https://api.anthropic.com/v1/models")
    assert "x-goog-api-key" in by_provider["gemini"]["verify_call"]
    assert all(g["least_access"] for g in data)


def test_add_verify_serve_at_zero_cost(
    app: Flask, svc: Services, seeded: Seeded, byok: Byok, mock_upstream: Mock
) -> None:
    key = add(byok, seeded, label="prod")
    assert key["status"] == "verified" and key["credential_last4"] == OWN_KEY[-4:]
    assert "api_key" not in key and OWN_KEY not in str(key)
    assert byok.mock.state.requests[-1]["path"] == "/models"  # the cheap verification call
    assert byok.mock.state.requests[-1]["authorization"] == f"Bearer {OWN_KEY}"
    agency_before = len(mock_upstream.state.requests)

    response = chat(app, seeded.key)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["x-tollgate-lane"] == key["lane_id"]  # type: ignore[attr-defined]
    assert byok.mock.state.requests[-1]["path"] == "/chat/completions"
    assert len(mock_upstream.state.requests) == agency_before  # the agency's key was not used

    (row,) = wait_rows(app, svc, 1)
    assert row.lane_id == key["lane_id"] and row.value_micros > 0 and row.cost_micros == 0  # the client pays
    with app.app_context():
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "provider_key")).all()
        lane = db.session.get(Lane, key["lane_id"])
        assert lane is not None and lane.credential_ciphertext is not None
        assert OWN_KEY.encode() not in lane.credential_ciphertext
    assert [a.action for a in audit] == ["provider_key.create", "provider_key.verify"]
    assert all(a.actor.startswith("token:") and OWN_KEY not in str(a.after) for a in audit)
    listed = byok.client.get(f"clients/{seeded.client_id}/provider-keys").get_json()["data"]
    assert [k["id"] for k in listed] == [key["id"]] and OWN_KEY not in str(listed)


def test_a_wrong_openai_key_fails_with_a_reason_and_never_serves(app: Flask, seeded: Seeded, byok: Byok) -> None:
    wrong = "sk-wrong-key-cccccccccccccccccccc3333"
    key = add(byok, seeded, key=wrong)
    assert key["status"] == "failed"
    reason = str(key["status_reason"])
    assert "OpenAI rejected the key (HTTP 401" in reason and wrong not in reason and "3333" not in reason
    assert chat(app, seeded.key).headers["x-tollgate-lane"] != key["lane_id"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", ["anthropic", "gemini"])
def test_anthropic_and_gemini_keys_are_checked_their_way(app: Flask, seeded: Seeded, byok: Byok, provider: str) -> None:
    good = "sk-ant-api03-good-key-dddddddddddd" if provider == "anthropic" else "AIzaSyGoodKeyEEEEEEEEEEEEEEEEEEEEEEEE"
    if provider == "anthropic":
        state: AnthropicMockState | GeminiMockState = AnthropicMockState(api_key=good)
        served = ServedApp(AnthropicMock(state))  # type: ignore[arg-type]
    else:
        state = GeminiMockState(api_key=good)
        served = ServedApp(GeminiMock(state))  # type: ignore[arg-type]
    try:
        root = served.url + ("/v1beta" if provider == "gemini" else "")  # a Gemini lane's base is the version root
        base = {"provider": provider, "purposes": ["chat"], "base_url": root}
        url = f"clients/{seeded.client_id}/provider-keys"
        bad = byok.client.post(url, json=base | {"api_key": good[:-4] + "XXXX"}).get_json()
        assert bad["status"] == "failed" and "rejected the key" in bad["status_reason"]
        if provider == "gemini":
            assert "HTTP 400" in bad["status_reason"] and "API_KEY_INVALID" in bad["status_reason"]
        ok = byok.client.post(url, json=base | {"api_key": good}).get_json()
        assert ok["status"] == "verified", ok
        assert state.requests[-1]["path"] in ("/v1/models", "/v1beta/models")
        if isinstance(state, AnthropicMockState):
            assert state.requests[-1]["anthropic_version"] == "2023-06-01"
        voice = byok.client.post(url, json=base | {"api_key": good, "purposes": ["voice"]})
        assert voice.status_code == 422 and good not in voice.get_data(as_text=True)
    finally:
        served.stop()


def test_an_internal_address_is_refused_without_private_upstreams(app: Flask, seeded: Seeded, byok: Byok) -> None:
    settings = services(app).settings
    object.__setattr__(settings, "allow_private_upstreams", False)
    try:
        response = byok.client.post(
            f"clients/{seeded.client_id}/provider-keys",
            json={"provider": "openai", "purposes": ["chat"], "api_key": OWN_KEY, "base_url": byok.mock.base_url},
        )
        assert response.status_code == 422 and "base_url" in response.get_json()["errors"]
    finally:
        object.__setattr__(settings, "allow_private_upstreams", True)


def test_revocation_falls_back_or_refuses_and_fires_byok_failed(
    app: Flask, svc: Services, seeded: Seeded, byok: Byok, mock_upstream: Mock, owner: AdminClient
) -> None:
    sub = owner.post("webhook-subscriptions", json={"url": "http://127.0.0.1:9/hook", "event_types": ["byok.failed"]})
    assert sub.status_code == 201, sub.get_json()
    key = add(byok, seeded)
    settings_url = f"clients/{seeded.client_id}/byok-settings"
    assert byok.client.get(settings_url).get_json() == {
        "client_id": seeded.client_id,
        "use": "own_account",
        "fallback": "agency_default",
    }
    refused = byok.client.patch(settings_url, json={"fallback": "refuse"})
    assert refused.status_code == 403  # the agency's rule, not the client's
    assert owner.patch(settings_url, json={"fallback": "refuse"}).get_json()["fallback"] == "refuse"

    assert byok.client.delete(f"clients/{seeded.client_id}/provider-keys/{key['id']}").status_code == 204
    gone = byok.client.get(f"clients/{seeded.client_id}/provider-keys/{key['id']}").get_json()
    assert gone["status"] == "revoked" and gone["credential_last4"] == OWN_KEY[-4:]
    with app.app_context():
        lane = db.session.get(Lane, key["lane_id"])
        assert lane is not None and lane.credential_ciphertext is None and lane.disabled_at is not None
        (event,) = db.session.scalars(select(AlertEvent).where(AlertEvent.type == "byok.failed")).all()
        assert event.client_id == seeded.client_id and event.payload["traffic"] == "refused"
        assert db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)).all()

    response = chat(app, seeded.key)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert response.get_json()["error"]["code"] == "own_key_unavailable"  # type: ignore[attr-defined]

    assert owner.patch(settings_url, json={"fallback": "agency_default"}).status_code == 200
    before = len(mock_upstream.state.requests)
    assert chat(app, seeded.key).status_code == 200  # type: ignore[attr-defined]
    assert len(mock_upstream.state.requests) == before + 1  # the agency's default lane serves again

    with app.app_context():
        actions = [
            (a.action, a.actor)
            for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if a.action in ("client.byok_settings", "provider_key.revoke")
        ]
    assert [a for a, _ in actions] == ["client.byok_settings", "provider_key.revoke", "client.byok_settings"]


def test_the_client_may_choose_the_agency_default(app: Flask, seeded: Seeded, byok: Byok, mock_upstream: Mock) -> None:
    add(byok, seeded)
    url = f"clients/{seeded.client_id}/byok-settings"
    assert byok.client.patch(url, json={"use": "agency_default"}).get_json()["use"] == "agency_default"
    before = len(mock_upstream.state.requests)
    assert chat(app, seeded.key).status_code == 200  # type: ignore[attr-defined]
    assert len(mock_upstream.state.requests) == before + 1


def test_a_provider_401_mid_traffic_fails_the_key_and_falls_back(
    app: Flask, seeded: Seeded, byok: Byok, mock_upstream: Mock
) -> None:
    key = add(byok, seeded)
    byok.mock.state.api_key = "sk-the-client-deleted-the-old-key-at-openai"
    response = chat(app, seeded.key)
    assert response.status_code == 200  # type: ignore[attr-defined]  # fell through to the agency's lane
    assert response.headers["x-tollgate-lane"] == seeded.lane_id  # type: ignore[attr-defined]
    now = byok.client.get(f"clients/{seeded.client_id}/provider-keys/{key['id']}").get_json()
    assert now["status"] == "failed" and "HTTP 401" in now["status_reason"]
    own_calls = len(byok.mock.state.requests)
    assert chat(app, seeded.key).status_code == 200  # type: ignore[attr-defined]
    assert len(byok.mock.state.requests) == own_calls  # the failed key is out of routing
    with app.app_context():
        (event,) = db.session.scalars(select(AlertEvent).where(AlertEvent.type == "byok.failed")).all()
        assert event.payload["cause"] == "rejected" and event.payload["traffic"] == "agency_default"


def test_a_gemini_key_refused_mid_traffic_fails_like_a_401(
    app: Flask, svc: Services, seeded: Seeded, byok: Byok
) -> None:
    """Google refuses a deleted key with HTTP 400 `API_KEY_INVALID`, not 401: the client's key is failed all the
    same, `byok.failed` fires, and the request falls through to the agency's Gemini lane."""
    own_key, agency_key = "AIzaSyClientOwnKeyFFFFFFFFFFFFFFFFFFFF", "AIzaSyAgencyKeyGGGGGGGGGGGGGGGGGGGGGGG"
    own, agency = GeminiMockState(api_key=own_key), GeminiMockState(api_key=agency_key)
    own_served, agency_served = ServedApp(GeminiMock(own)), ServedApp(GeminiMock(agency))  # type: ignore[arg-type]
    try:
        with app.app_context():
            lane = provisioning.create_lane(
                db.session,
                svc.vault,
                seeded.workspace_id,
                "gemini",
                agency_served.url + "/v1beta",
                agency_key,
                "gemini",
            )
            provisioning.append_route(db.session, seeded.workspace_id, lane, None)
            db.session.commit()
            agency_lane = lane.id
        key = add(byok, seeded, own_key, provider="gemini", base_url=own_served.url + "/v1beta")
        assert key["status"] == "verified", key
        ask = CHAT | {"model": "gemini-2.5-flash"}
        headers = {"Authorization": f"Bearer {seeded.key}"}
        served = app.test_client().post("/v1/chat/completions", json=ask, headers=headers)
        assert served.status_code == 200 and served.headers["x-tollgate-lane"] == key["lane_id"]
        own.api_key = "AIzaSyTheClientDeletedTheOldKeyHHHHHHHH"
        response = app.test_client().post("/v1/chat/completions", json=ask, headers=headers)
        assert response.status_code == 200 and response.headers["x-tollgate-lane"] == agency_lane
        now = byok.client.get(f"clients/{seeded.client_id}/provider-keys/{key['id']}").get_json()
        assert now["status"] == "failed" and "HTTP 400" in now["status_reason"]
        rows = wait_rows(app, svc, 2)
        assert rows[-1].attempts == [{"lane_id": key["lane_id"], "reason": "auth_failed", "status": 400}]
        with app.app_context():
            (event,) = db.session.scalars(select(AlertEvent).where(AlertEvent.type == "byok.failed")).all()
            assert event.payload["cause"] == "rejected" and event.payload["traffic"] == "agency_default"
    finally:
        own_served.stop()
        agency_served.stop()


def test_rotation_under_load_fails_no_request(app: Flask, seeded: Seeded, byok: Byok, mock_upstream: Mock) -> None:
    old = add(byok, seeded)
    new_state = MockState(api_key=NEW_KEY)
    new_served = ServedApp(MockUpstream(new_state))
    gateway = ServedApp(app)
    failures: list[str] = []
    served_by: list[str] = []
    stop = threading.Event()

    def load() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                r = http.post(
                    gateway.url + "/v1/chat/completions",
                    json=CHAT,
                    headers={"Authorization": f"Bearer {seeded.key}"},
                    timeout=10,
                )
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                served_by.append(r.headers.get("x-tollgate-lane", ""))

    threads = [threading.Thread(target=load) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        while len(served_by) < 20:
            stop.wait(0.01)
        new = add(byok, seeded, key=NEW_KEY, base_url=new_served.url + "/v1", replaces=old["id"])
        assert new["status"] == "verified"
        switched = len(served_by)
        while len(served_by) < switched + 40:
            stop.wait(0.01)
        byok.mock.state.api_key = "sk-old-key-now-deleted-at-the-provider"  # the client deletes the old key
        settled = len(served_by)
        while len(served_by) < settled + 20:
            stop.wait(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        gateway.stop()
        new_served.stop()
    assert failures == []
    assert served_by[:20] == [old["lane_id"]] * 20
    assert set(served_by[settled:]) == {new["lane_id"]}  # neither the old key nor the agency's after the switch
    assert old["lane_id"] in served_by and new["lane_id"] in served_by
    assert byok.client.get(f"clients/{seeded.client_id}/provider-keys/{old['id']}").get_json()["status"] == "replaced"


# Isolation: one client's key never serves another client's request.


def test_a_forged_client_header_never_reaches_another_clients_key(
    app: Flask, seeded: Seeded, byok: Byok, mock_upstream: Mock
) -> None:
    add(byok, seeded)
    own_calls = len(byok.mock.state.requests)
    forged = chat(app, seeded.other_key, {"X-Client-ID": seeded.client_id})
    assert forged.status_code in (400, 403)  # type: ignore[attr-defined]
    plain = chat(app, seeded.other_key, {"X-Client-ID": seeded.client_slug})
    assert plain.status_code in (400, 403)  # type: ignore[attr-defined]
    served = chat(app, seeded.other_key)
    assert served.status_code == 200 and served.headers["x-tollgate-lane"] == seeded.lane_id  # type: ignore[attr-defined]
    assert len(byok.mock.state.requests) == own_calls


def test_a_policy_naming_another_clients_key_is_refused(
    app: Flask, seeded: Seeded, byok: Byok, owner: AdminClient
) -> None:
    key = add(byok, seeded)
    for scope in (seeded.other_client_id, "default"):
        response = owner.put(f"routing-policies/{scope}", json={"lane_ids": [seeded.lane_id, key["lane_id"]]})
        assert response.status_code == 422, response.get_json()
        assert "Another client's own lane" in response.get_json()["detail"]


def test_ids_from_another_client_or_workspace_find_nothing(
    app: Flask, svc: Services, seeded: Seeded, byok: Byok
) -> None:
    key = add(byok, seeded)
    foreign = make_foreign(app, svc)
    theirs = AdminClient(app.test_client(), foreign.token)
    assert theirs.get(f"clients/{seeded.client_id}/provider-keys").status_code == 404
    assert theirs.get(f"clients/{seeded.client_id}/provider-keys/{key['id']}").status_code == 404
    assert theirs.delete(f"clients/{seeded.client_id}/provider-keys/{key['id']}").status_code == 404
    assert theirs.put("routing-policies/default", json={"lane_ids": [key["lane_id"]]}).status_code == 404
    their_key = theirs.post(
        f"clients/{foreign.client_id}/provider-keys",
        json={"provider": "openai", "purposes": ["chat"], "api_key": NEW_KEY, "base_url": byok.mock.base_url},
    ).get_json()
    assert byok.client.get(f"clients/{foreign.client_id}/provider-keys").status_code == 404
    assert byok.client.get(f"clients/{seeded.client_id}/provider-keys/{their_key['id']}").status_code == 404
    body = {"provider": "openai", "purposes": ["chat"], "api_key": NEW_KEY, "base_url": byok.mock.base_url}
    assert byok.client.post(f"clients/{seeded.other_client_id}/provider-keys", json=body).status_code == 404
    other = AdminClient(app.test_client(), make_token(app, svc, seeded.workspace_id, "client", seeded.other_client_id))
    assert other.get(f"clients/{seeded.client_id}/provider-keys/{key['id']}").status_code == 404
    assert other.delete(f"clients/{seeded.client_id}/provider-keys/{key['id']}").status_code == 404
    assert other.get(f"clients/{seeded.other_client_id}/provider-keys/{key['id']}").status_code == 404
    with app.app_context():
        assert db.session.get(ProviderKey, key["id"]).status == "verified"  # type: ignore[union-attr]


def test_verification_egress_goes_through_the_ssrf_guard(own_mock: Mock) -> None:
    """Checked on the connection itself (not only when saved): the mock is on 127.0.0.1."""
    refused = verify_key("openai", own_mock.base_url, OWN_KEY, allow_private=False, timeout_s=2)
    assert not refused.ok and "internal" in refused.reason and own_mock.state.requests == []
    allowed = verify_key("openai", own_mock.base_url, OWN_KEY, allow_private=True, timeout_s=2)
    assert allowed.ok


def test_the_key_is_in_no_log_line(app: Flask, seeded: Seeded, byok: Byok, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    add(byok, seeded, key="sk-wrong-key-ffffffffffffffffffff9999")
    add(byok, seeded)
    assert caplog.records and "ffffffffffffffffffff9999" not in caplog.text and OWN_KEY not in caplog.text


def test_own_keys_come_first_and_refuse_keeps_the_agency_out() -> None:
    own = LaneTarget("lane_own", "own", "openai", "http://x", "k", "byok", None, purposes=("chat",))
    agency = LaneTarget("lane_agency", "agency", "openai", "http://y", "k", "metered", None)
    lanes, own_only = combine([own], [agency, own], "own_account", "agency_default", {"chat"})
    assert [lane.id for lane in lanes] == ["lane_own", "lane_agency"] and own_only == frozenset()
    lanes, own_only = combine([own], [agency], "own_account", "refuse", {"chat", "images"})
    assert own_only == {"chat", "images"}
    assert combine([own], [agency], "agency_default", "refuse", {"chat"}) == ((agency,), frozenset())


def test_a_key_serves_only_its_purposes(app: Flask, seeded: Seeded, byok: Byok, owner: AdminClient) -> None:
    """An images-only key leaves chat to the agency, even under `refuse` (the client brought no chat key)."""
    key = add(byok, seeded, purposes=["images"])
    assert key["status"] == "verified"
    assert owner.patch(f"clients/{seeded.client_id}/byok-settings", json={"fallback": "refuse"}).status_code == 200
    response = chat(app, seeded.key)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["x-tollgate-lane"] == seeded.lane_id  # type: ignore[attr-defined]


def test_a_rotation_to_a_failing_key_keeps_the_old_one(app: Flask, seeded: Seeded, byok: Byok) -> None:
    old = add(byok, seeded)
    new = add(byok, seeded, key="sk-typo-in-the-new-key-gggggggggggg7777", replaces=old["id"])
    assert new["status"] == "failed"
    kept = byok.client.get(f"clients/{seeded.client_id}/provider-keys/{old['id']}").get_json()
    assert kept["status"] == "verified"
    assert chat(app, seeded.key).headers["x-tollgate-lane"] == old["lane_id"]  # type: ignore[attr-defined]
    again = byok.client.post(f"clients/{seeded.client_id}/provider-keys/{new['id']}/verify").get_json()
    assert again["status"] == "failed" and "rejected the key" in again["status_reason"]
    byok.client.delete(f"clients/{seeded.client_id}/provider-keys/{old['id']}")
    ended = byok.client.post(f"clients/{seeded.client_id}/provider-keys/{old['id']}/verify")
    assert ended.status_code == 409 and ended.mimetype == "application/problem+json"
