"""The rest of the OpenAI surface n8n's OpenAI node reaches: background responses (create, poll to completion,
cancel, delete, input items), moderations and the Conversations API, through the official SDK against the
gateway and the mock upstream, with metering, budgets and ownership checked on the real database."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import openai
import orjson
import pytest
import requests
from flask import Flask
from sqlalchemy import delete, select

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.metering import prices
from tollgate.metering.prices import OverridePrice
from tollgate.metering.pricing_rows import to_row
from tollgate.metering.record import RequestRecord
from tollgate.metering.sql_sink import SqlLogSink
from tollgate.metering.usage import TokenUsage
from tollgate.mock_upstream import MockState, MockUpstream
from tollgate.models import BudgetHold, PriceOverride, RequestLog, UpstreamObject
from tollgate.models.base import utcnow
from tollgate.services import Services

from . import schema_check
from .conftest import MOCK_PROVIDER_KEY, Mock, Seeded, ServedApp
from .log_rows import wait_rows
from .test_budget_gateway import add_budget, spend


def sdk(gateway: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=key, max_retries=0, timeout=10)


def upstream_calls(mock: Mock, prefix: str) -> list[dict[str, Any]]:
    return [r for r in mock.state.requests if r["path"].startswith(prefix)]


def rows_by_endpoint(app: Flask, svc: Services, count: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for row in wait_rows(app, svc, count):
        out.setdefault(row.endpoint, []).append(row)
    return out


# -- background responses ----------------------------------------------------------------------------------


def test_background_create_then_polls_settle_once_with_the_final_usage(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 5_000_000)
    mock_upstream.state.background_polls = 2
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Write slowly", background=True)
    assert created.status == "queued" and created.background is True and created.usage is None
    spent, reserved = spend(app, budget)
    assert spent == 0 and reserved > 0, "the hold is kept while the response runs"
    with app.app_context():
        [hold] = db.session.scalars(select(BudgetHold)).all()
        # It outlives an ordinary call's hold: the sweep must not release a response that is still running.
        assert hold.expires_at > utcnow().timestamp() + svc.settings.background_ttl_s - 60
    [pending] = wait_rows(app, svc, 1)
    assert (pending.endpoint, pending.status_code, pending.input_tokens, pending.value_micros) == (
        "responses",
        200,
        0,
        0,
    )

    polled = client.responses.retrieve(created.id)
    assert polled.status == "in_progress"
    assert spend(app, budget) == (0, reserved)
    done = client.responses.retrieve(created.id)
    assert done.status == "completed" and done.usage is not None
    again = client.responses.retrieve(created.id)  # a later poll settles nothing more
    assert again.status == "completed"

    rows = rows_by_endpoint(app, svc, 4)
    [row] = rows["responses"]
    assert row.request_id == pending.request_id
    assert (row.input_tokens, row.output_tokens) == (done.usage.input_tokens, done.usage.output_tokens)
    assert row.value_micros > 0 and row.cost_micros == row.value_micros and row.priced
    assert row.error_code is None and row.model_served == "gpt-4o-mini"
    assert len(rows["responses.retrieve"]) == 3
    assert all(r.value_micros == 0 and r.input_tokens == 0 for r in rows["responses.retrieve"])
    assert spend(app, budget) == (row.value_micros, 0), "settled exactly: the logged value, nothing left held"
    with app.app_context():
        tracked = db.session.get(UpstreamObject, created.id)
        assert tracked is not None and tracked.pending is None and tracked.lane_id == seeded.lane_id


def test_a_background_response_is_priced_exactly_with_its_admissions_overrides_and_served_tier(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    """Completion prices the create's usage as every other request is: the override set admission used (not
    the one in force when it completes), the tier the provider reports, exact to the pico-dollar in the row
    and in the budget."""
    override = OverridePrice(input_mtok_micros=1_234_567, output_mtok_micros=2_345_679)  # sub-micro values
    with app.app_context():
        db.session.add(
            PriceOverride(
                id=new_id("po"),
                workspace_id=seeded.workspace_id,
                model="gpt-4o-mini",
                input_mtok_micros=override.input_mtok_micros,
                output_mtok_micros=override.output_mtok_micros,
            )
        )
        db.session.commit()
    budget = add_budget(app, seeded, 5_000_000)
    mock_upstream.state.background_polls = 1
    mock_upstream.state.service_tier = "flex"
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Write slowly", background=True)
    with app.app_context():  # the override is gone before the response completes: admission's set still prices it
        db.session.execute(delete(PriceOverride).where(PriceOverride.workspace_id == seeded.workspace_id))
        db.session.commit()
    done = client.responses.retrieve(created.id)
    assert done.status == "completed" and done.usage is not None and done.service_tier == "flex"

    [row] = rows_by_endpoint(app, svc, 2)["responses"]
    usage = TokenUsage(input_tokens=row.input_tokens, output_tokens=row.output_tokens, service_tier="flex")
    exact = prices.value_picos(usage, "gpt-4o-mini", "openai", override)
    assert exact is not None and exact % prices.PICOS_PER_MICRO != 0
    assert (row.value_micros, row.value_remainder_picos) == prices.split_picos(exact)
    assert (row.cost_micros, row.cost_remainder_picos) == prices.split_picos(exact)
    assert not row.usage_estimated
    assert spend(app, budget) == (row.value_micros, 0), "the budget settled at the logged value"


def test_a_background_response_is_priced_at_the_tier_it_was_served_at(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    mock_upstream.state.background_polls = 1
    mock_upstream.state.service_tier = "priority"
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o", input="Write slowly", background=True)
    assert client.responses.retrieve(created.id).status == "completed"
    [row] = rows_by_endpoint(app, svc, 2)["responses"]
    served = TokenUsage(input_tokens=row.input_tokens, output_tokens=row.output_tokens, service_tier="priority")
    default = TokenUsage(input_tokens=row.input_tokens, output_tokens=row.output_tokens)
    priority = prices.value_picos(served, "gpt-4o")
    assert priority is not None and priority != prices.value_picos(default, "gpt-4o")
    assert (row.value_micros, row.value_remainder_picos) == prices.split_picos(priority)


def test_concurrent_polls_settle_a_background_response_exactly_once(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 5_000_000)
    mock_upstream.state.background_polls = 1
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Race me", background=True)
    statuses: list[str] = []
    barrier = threading.Barrier(8)

    def poll() -> None:
        barrier.wait()
        statuses.append(sdk(gateway, seeded.key).responses.retrieve(created.id).status)

    threads = [threading.Thread(target=poll) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == ["completed"] * 8
    [row] = rows_by_endpoint(app, svc, 9)["responses"]
    assert row.value_micros > 0
    assert spend(app, budget) == (row.value_micros, 0)


def test_a_poll_that_read_the_pending_state_before_another_claimed_it_settles_nothing(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving concurrent polls can produce: both read `pending`, one claims; the other must not."""
    budget = add_budget(app, seeded, 5_000_000)
    created = sdk(gateway, seeded.key).responses.create(model="gpt-4o-mini", input="Interleave", background=True)
    stale = svc.objects._pending(created.id)
    assert stale is not None
    final = mock_upstream.state.responses[created.id]
    final.status = "completed"
    body = final.render(created.id)
    assert svc.objects.complete(created.id, body) is True
    monkeypatch.setattr(svc.objects, "_pending", lambda object_id: stale)
    assert svc.objects.complete(created.id, body) is False
    [row] = wait_rows(app, svc, 1)
    assert spend(app, budget) == (row.value_micros, 0) and row.value_micros > 0


def test_a_streamed_retrieve_that_sees_the_end_settles_the_background_response(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 5_000_000)
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Stream me later", background=True)
    events = list(client.responses.retrieve(created.id, stream=True))
    assert events[-1].type == "response.completed"
    usage = events[-1].response.usage
    assert usage is not None
    rows = rows_by_endpoint(app, svc, 2)
    [row] = rows["responses"]
    assert (row.input_tokens, row.output_tokens) == (usage.input_tokens, usage.output_tokens)
    assert row.value_micros > 0 and rows["responses.retrieve"][0].value_micros == 0
    assert spend(app, budget) == (row.value_micros, 0)


def test_cancel_settles_with_what_the_cancelled_response_reports(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 5_000_000)
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Never mind", background=True)
    cancelled = client.responses.cancel(created.id)
    assert cancelled.status == "cancelled" and cancelled.usage is not None
    assert cancelled.usage.output_tokens == 0
    rows = rows_by_endpoint(app, svc, 2)
    [row] = rows["responses"]
    assert row.input_tokens == cancelled.usage.input_tokens and row.output_tokens == 0
    assert row.error_code == "response_cancelled"
    assert spend(app, budget) == (row.value_micros, 0)
    assert [c["method"] for c in upstream_calls(mock_upstream, f"/responses/{created.id}")] == ["POST"]


def test_delete_and_input_items(app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock) -> None:
    client = sdk(gateway, seeded.key)
    created = client.responses.create(model="gpt-4o-mini", input="Keep me")
    items = client.responses.input_items.list(created.id, limit=5)
    assert [i.type for i in items.data] == ["message"]
    assert client.responses.delete(created.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)  # the provider forgot it; the gateway passes its 404 on
    calls = upstream_calls(mock_upstream, f"/responses/{created.id}")
    assert [(c["method"], c["query"]) for c in calls] == [
        ("GET", "limit=5"),
        ("DELETE", ""),
        ("GET", ""),
    ]
    rows = rows_by_endpoint(app, svc, 4)
    assert rows["responses.delete"][0].status_code == 200
    assert rows["responses.retrieve"][0].status_code == 404


@pytest.mark.parametrize("call", ["retrieve", "cancel", "delete", "input_items"])
def test_another_clients_key_gets_404(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock, call: str
) -> None:
    created = sdk(gateway, seeded.key).responses.create(model="gpt-4o-mini", input="Mine", background=True)
    other = sdk(gateway, seeded.other_key)
    act = {
        "retrieve": lambda: other.responses.retrieve(created.id),
        "cancel": lambda: other.responses.cancel(created.id),
        "delete": lambda: other.responses.delete(created.id),
        "input_items": lambda: other.responses.input_items.list(created.id),
    }[call]
    with pytest.raises(openai.NotFoundError) as caught:
        act()
    schema_check.assert_valid(caught.value.response.json(), "ErrorResponse")
    assert caught.value.code == "response_not_found"
    assert upstream_calls(mock_upstream, f"/responses/{created.id}") == [], "never reaches the lane"
    # The same answer as for an id that does not exist at all: nothing to probe.
    unknown = requests.get(
        f"{gateway}/responses/resp_unknown", headers={"Authorization": f"Bearer {seeded.other_key}"}, timeout=5
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "response_not_found"


def test_sweep_settles_background_responses_nobody_polls(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 5_000_000)
    mock_upstream.state.background_polls = 1
    client = sdk(gateway, seeded.key)
    finished = client.responses.create(model="gpt-4o-mini", input="Finish unwatched", background=True)
    vanished = client.responses.create(model="gpt-4o-mini", input="Vanish", background=True)
    del mock_upstream.state.responses[vanished.id]  # the provider no longer knows it
    _, reserved_both = spend(app, budget)
    assert svc.objects.sweep() == 0, "too young to ask about"
    svc.objects.clock = lambda: utcnow() + dt.timedelta(minutes=2)
    assert svc.objects.sweep() == 2
    assert svc.objects.sweep() == 0
    rows = {r.request_id: r for r in rows_by_endpoint(app, svc, 2)["responses"]}
    with app.app_context():
        request_ids = {
            o.id: o.request_id
            for o in db.session.scalars(select(UpstreamObject).where(UpstreamObject.kind == "response"))
        }
    done, lost = rows[request_ids[finished.id]], rows[request_ids[vanished.id]]
    assert done.value_micros > 0 and done.error_code is None
    assert lost.error_code == "usage_lost" and lost.value_micros == 0
    # The lost one is charged what it reserved (the provider may have billed it); the other its real value.
    spent, reserved = spend(app, budget)
    assert reserved == 0 and spent > done.value_micros and spent < reserved_both + done.value_micros


@pytest.mark.parametrize("completion_first", [False, True], ids=["in-order", "completion-first"])
def test_the_completed_row_wins_whichever_row_reaches_the_database_first(
    app: Flask, svc: Services, completion_first: bool
) -> None:
    """The create's row and its completion may be written by two processes' log writers in either order."""
    created = RequestRecord("req_bg", utcnow(), "ws", "cli", "key", "responses", lane_id="lane", status_code=200)
    created.model_requested = "gpt-4o-mini"
    done = RequestRecord.from_json(created.to_json())
    done.usage, done.completes = TokenUsage(input_tokens=1000, output_tokens=500), True
    with app.app_context():
        sink = SqlLogSink(db.engine)
        rows = [to_row(created, {}), to_row(done, {})]
        for row in reversed(rows) if completion_first else rows:
            sink.write([row])
        [logged] = db.session.scalars(select(RequestLog)).all()
    assert (logged.input_tokens, logged.output_tokens) == (1000, 500)
    assert logged.value_micros > 0 and logged.cost_micros == logged.value_micros


def test_a_continued_response_stays_on_the_lane_that_holds_its_predecessor(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    client = sdk(gateway, seeded.key)
    first = client.responses.create(model="gpt-4o-mini", input="Remember this")
    backup_state = MockState(api_key=MOCK_PROVIDER_KEY)
    backup = ServedApp(MockUpstream(backup_state))
    try:
        with app.app_context():
            lane = provisioning.create_lane(
                db.session, svc.vault, seeded.workspace_id, "Backup", backup.url + "/v1", MOCK_PROVIDER_KEY
            )
            provisioning.append_route(db.session, seeded.workspace_id, lane)
            db.session.commit()
        svc.keys.invalidate()
        mock_upstream.state.fail_status, mock_upstream.state.fail_count = 500, 1
        with pytest.raises(openai.InternalServerError):  # the backup lane cannot know `first`: no fallback there
            client.responses.create(model="gpt-4o-mini", input="And now?", previous_response_id=first.id)
        assert backup_state.requests == []
        fresh = client.responses.create(model="gpt-4o-mini", input="Unrelated")  # ordinary calls still fall through
        assert fresh.status == "completed" and mock_upstream.state.fail_count is None
        mock_upstream.state.fail_status, mock_upstream.state.fail_count = 500, 1
        client.responses.create(model="gpt-4o-mini", input="Unrelated")
        assert [r["path"] for r in backup_state.requests] == ["/responses"]
    finally:
        backup.stop()


# -- moderations ---------------------------------------------------------------------------------------------


def test_moderations_are_served_logged_and_free(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 1_000)  # hard, and the moderation model has no list price: still served
    result = sdk(gateway, seeded.key).moderations.create(input=["hello", "graphic violence"])
    assert [r.flagged for r in result.results] == [False, True]
    assert result.model == "omni-moderation-latest"
    [row] = wait_rows(app, svc, 1)
    assert (row.endpoint, row.status_code, row.model_requested, row.model_served) == (
        "moderations",
        200,
        "omni-moderation-latest",
        "omni-moderation-latest",
    )
    assert row.value_micros == 0 and row.cost_micros == 0 and row.priced
    assert spend(app, budget) == (0, 0)
    assert "model" not in mock_upstream.state.requests[-1]["body"], "the caller's body is forwarded unchanged"


# -- conversations -------------------------------------------------------------------------------------------


def test_conversations_lifecycle_through_the_sdk(
    app: Flask, svc: Services, seeded: Seeded, gateway: str, mock_upstream: Mock
) -> None:
    client = sdk(gateway, seeded.key)
    conv = client.conversations.create(metadata={"topic": "demo"}, items=[{"role": "user", "content": "Hi"}])
    assert conv.object == "conversation" and conv.metadata == {"topic": "demo"}
    assert client.conversations.retrieve(conv.id).id == conv.id
    assert client.conversations.update(conv.id, metadata={"topic": "renamed"}).metadata == {"topic": "renamed"}
    added = client.conversations.items.create(conv.id, items=[{"role": "user", "content": "More"}])
    item_id = added.data[0].id
    listed = client.conversations.items.list(conv.id)
    assert [i.id for i in listed.data][-1] == item_id
    assert client.conversations.items.retrieve(item_id, conversation_id=conv.id).id == item_id
    client.conversations.items.delete(item_id, conversation_id=conv.id)
    reply = client.responses.create(model="gpt-4o-mini", input="Continue", conversation=conv.id)
    assert reply.status == "completed"
    assert client.conversations.delete(conv.id).deleted is True

    other = sdk(gateway, seeded.other_key)
    with pytest.raises(openai.NotFoundError):
        other.conversations.retrieve(conv.id)
    with pytest.raises(openai.NotFoundError) as caught:
        other.responses.create(model="gpt-4o-mini", input="Steal", conversation=conv.id)
    assert caught.value.code == "conversation_not_found"
    with pytest.raises(openai.NotFoundError):
        other.responses.create(model="gpt-4o-mini", input="Steal", previous_response_id=reply.id)

    rows = rows_by_endpoint(app, svc, 12)
    assert len(rows["conversations.create"]) == 1 and rows["conversations.create"][0].lane_id == seeded.lane_id
    assert all(r.value_micros == 0 for name, rs in rows.items() if name.startswith("conversations") for r in rs)
    assert rows["conversations.retrieve"][-1].status_code == 404  # the other client's attempt, logged


# -- wire formats --------------------------------------------------------------------------------------------


def test_wire_formats_validate_against_openais_spec(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    mock_upstream.state.background_polls = 1
    auth = {"Authorization": f"Bearer {seeded.key}"}

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        resp = requests.request(method, gateway + path, json=body, headers=auth, timeout=5)
        assert resp.status_code == 200, resp.text
        return resp.json()

    queued = call("POST", "/responses", {"model": "gpt-4o-mini", "input": "Bg", "background": True})
    schema_check.assert_valid(queued, "Response")
    schema_check.assert_valid(call("GET", f"/responses/{queued['id']}"), "Response")
    schema_check.assert_valid(call("GET", f"/responses/{queued['id']}/input_items"), "ResponseItemList")
    replay = call("POST", "/responses", {"model": "gpt-4o-mini", "input": "Bg", "background": True})
    streamed = requests.get(f"{gateway}/responses/{replay['id']}?stream=true", headers=auth, timeout=5)
    assert streamed.status_code == 200 and streamed.headers["Content-Type"].startswith("text/event-stream")
    for event in schema_check.sse_data(streamed.content):
        schema_check.assert_valid_response_event(orjson.loads(event))
    other = call("POST", "/responses", {"model": "gpt-4o-mini", "input": "Bg", "background": True})
    schema_check.assert_valid(call("POST", f"/responses/{other['id']}/cancel"), "Response")
    schema_check.assert_valid(call("POST", "/moderations", {"input": "x"}), "CreateModerationResponse")
    conv = call("POST", "/conversations", {"items": [{"role": "user", "content": "Hi"}]})
    schema_check.assert_valid(conv, "ConversationResource")
    items = call("GET", f"/conversations/{conv['id']}/items")
    schema_check.assert_valid(items, "ConversationItemList")
    schema_check.assert_valid(
        call("GET", f"/conversations/{conv['id']}/items/{items['data'][0]['id']}"), "ConversationItem"
    )
    schema_check.assert_valid(call("DELETE", f"/conversations/{conv['id']}"), "DeletedConversationResource")

    errors = [
        requests.get(gateway + "/responses/resp_nope", headers=auth, timeout=5),
        requests.get(gateway + f"/responses/{queued['id']}", timeout=5),
        requests.post(gateway + "/conversations", data=b"{", headers=auth, timeout=5),
        requests.get(
            gateway + f"/responses/{queued['id']}", headers={"Authorization": f"Bearer {seeded.other_key}"}, timeout=5
        ),
        requests.put(gateway + f"/responses/{queued['id']}", headers=auth, timeout=5),
    ]
    assert [r.status_code for r in errors] == [404, 401, 400, 404, 405]
    for resp in errors:
        schema_check.assert_valid(resp.json(), "ErrorResponse")
