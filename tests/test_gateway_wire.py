"""What the gateway puts on the wire validates against OpenAI's official OpenAPI schemas: every body, every
stream chunk and every Responses stream event, as raw bytes (not as an SDK parsed them)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests

from . import schema_check
from .conftest import Mock, Seeded


def _post(gateway: str, key: str, path: str, body: dict[str, Any]) -> requests.Response:
    resp = requests.post(gateway + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp


def _stream_payloads(resp: requests.Response) -> list[Any]:
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    data = schema_check.sse_data(resp.content)
    return [orjson.loads(d) for d in data if d != b"[DONE]"]


CHAT_BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Validate me"}]}
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]


@pytest.mark.parametrize("extra", [{}, {"tools": TOOLS}], ids=["text", "tools"])
def test_chat_completion_body(gateway: str, seeded: Seeded, extra: dict[str, Any]) -> None:
    body = _post(gateway, seeded.key, "/chat/completions", CHAT_BODY | extra).json()
    schema_check.assert_valid(body, "CreateChatCompletionResponse")


@pytest.mark.parametrize(
    "extra",
    [{}, {"stream_options": {"include_usage": True}}, {"tools": TOOLS}],
    ids=["plain", "include_usage", "tools"],
)
def test_chat_stream_chunks(gateway: str, seeded: Seeded, extra: dict[str, Any]) -> None:
    resp = _post(gateway, seeded.key, "/chat/completions", CHAT_BODY | {"stream": True} | extra)
    assert schema_check.sse_data(resp.content)[-1] == b"[DONE]"
    chunks = _stream_payloads(resp)
    assert len(chunks) >= 3
    for chunk in chunks:
        schema_check.assert_valid(chunk, "CreateChatCompletionStreamResponse")


def test_responses_body(gateway: str, seeded: Seeded) -> None:
    body = _post(gateway, seeded.key, "/responses", {"model": "gpt-4o-mini", "input": "Validate me"}).json()
    schema_check.assert_valid(body, "Response")


def test_responses_stream_events(gateway: str, seeded: Seeded) -> None:
    resp = _post(gateway, seeded.key, "/responses", {"model": "gpt-4o-mini", "input": "Validate me", "stream": True})
    events = _stream_payloads(resp)
    assert [e["type"] for e in events][:2] == ["response.created", "response.in_progress"]
    assert events[-1]["type"] == "response.completed"
    for event in events:
        schema_check.assert_valid_response_event(event)
    # Named events keep their `event:` line, matching the JSON `type`.
    names = [line[7:] for line in resp.content.split(b"\n") if line.startswith(b"event: ")]
    assert [n.decode() for n in names] == [e["type"] for e in events]


def test_embeddings_body(gateway: str, seeded: Seeded) -> None:
    body = _post(
        gateway,
        seeded.key,
        "/embeddings",
        {"model": "text-embedding-3-small", "input": "x", "encoding_format": "float"},
    ).json()
    schema_check.assert_valid(body, "CreateEmbeddingResponse")


def test_models_bodies(gateway: str, seeded: Seeded) -> None:
    auth = {"Authorization": f"Bearer {seeded.key}"}
    listed = requests.get(gateway + "/models", headers=auth, timeout=5)
    schema_check.assert_valid(listed.json(), "ListModelsResponse")
    one = requests.get(gateway + "/models/gpt-4o-mini", headers=auth, timeout=5)
    schema_check.assert_valid(one.json(), "Model")


def test_error_bodies(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    auth = {"Authorization": f"Bearer {seeded.key}"}
    bad = [
        requests.get(gateway + "/models", timeout=5),
        requests.post(gateway + "/chat/completions", data=b"{", headers=auth, timeout=5),
        requests.get(gateway + "/models/nope", headers=auth, timeout=5),
        requests.get(gateway + "/nope", headers=auth, timeout=5),
    ]
    mock_upstream.state.fail_status = 429
    bad.append(requests.post(gateway + "/chat/completions", json=CHAT_BODY, headers=auth, timeout=5))
    assert [r.status_code for r in bad] == [401, 400, 404, 404, 429]
    for resp in bad:
        schema_check.assert_valid(resp.json(), "ErrorResponse")
