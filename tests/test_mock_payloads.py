"""The mock upstream must speak OpenAI's real wire format: every payload it builds validates against the
official OpenAPI schemas, and its HTTP surface answers like the real API (auth, failures, SSE framing)."""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
import pytest
import requests
from flask import Flask
from urllib3 import encode_multipart_formdata
from werkzeug.test import Client

from tests.media_support import wav_bytes
from tollgate.mock_upstream import DEMO_API_KEY, MockState, MockUpstream, mount, payloads

from . import schema_check
from .conftest import MOCK_PROVIDER_KEY, Mock

TOOL_CALLS = [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]
USAGE = payloads.chat_usage(11, 7, 3, 2)


@pytest.mark.parametrize("tool_calls", [None, TOOL_CALLS])
def test_chat_completion_matches_spec(tool_calls: list[dict[str, Any]] | None) -> None:
    message = payloads.assistant_message(None if tool_calls else "hi", tool_calls)
    body = payloads.chat_completion("chatcmpl-x", "gpt-4o-mini", message, "tool_calls" if tool_calls else "stop", USAGE)
    schema_check.assert_valid(body, "CreateChatCompletionResponse")


@pytest.mark.parametrize("include_usage", [True, False])
@pytest.mark.parametrize("tool_calls", [None, TOOL_CALLS])
def test_chat_chunks_match_spec(include_usage: bool, tool_calls: list[dict[str, Any]] | None) -> None:
    chunks = list(payloads.chat_chunks("chatcmpl-x", "gpt-4o-mini", "a b c", tool_calls, USAGE, include_usage))
    for chunk in chunks:
        schema_check.assert_valid(chunk, "CreateChatCompletionStreamResponse")
    usage_chunks = [c for c in chunks if c.get("usage")]
    assert len(usage_chunks) == (1 if include_usage else 0)
    if include_usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == USAGE


def test_response_object_and_events_match_spec() -> None:
    usage = payloads.responses_usage(11, 7, 3, 2)
    body = {"input": "hello", "user": "end-user-1"}
    completed = payloads.response_object("resp_x", "gpt-4o-mini", body, "hi", usage, "completed")
    schema_check.assert_valid(completed, "Response")
    events = list(payloads.response_events("resp_x", "gpt-4o-mini", {"input": "hello"}, "hi there", usage))
    for event in events:
        schema_check.assert_valid_response_event(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[-1]["type"] == "response.completed" and events[-1]["response"]["usage"] == usage


def test_schema_check_rejects_wrong_payloads() -> None:
    """The validator is not a rubber stamp: a missing required field and a wrong type are reported."""
    message = payloads.assistant_message("hi", None)
    good = payloads.chat_completion("chatcmpl-x", "gpt-4o-mini", message, "stop", USAGE)
    assert schema_check.errors_for({k: v for k, v in good.items() if k != "choices"}, "CreateChatCompletionResponse")
    assert schema_check.errors_for(good | {"created": "yesterday"}, "CreateChatCompletionResponse")
    assert schema_check.errors_for({"error": {"message": "x"}}, "ErrorResponse")
    with pytest.raises(AssertionError):
        schema_check.assert_valid_response_event({"type": "response.completed", "sequence_number": 1})


def test_mock_http_surface(mock_upstream: Mock) -> None:
    url = mock_upstream.base_url
    auth = {"Authorization": f"Bearer {MOCK_PROVIDER_KEY}"}
    denied = requests.get(url + "/models", headers={"Authorization": "Bearer sk-wrong"}, timeout=5)
    assert denied.status_code == 401
    schema_check.assert_valid(denied.json(), "ErrorResponse")
    listed = requests.get(url + "/models", headers=auth, timeout=5)
    schema_check.assert_valid(listed.json(), "ListModelsResponse")
    schema_check.assert_valid(requests.get(url + "/models/gpt-4o", headers=auth, timeout=5).json(), "Model")

    emb = requests.post(
        url + "/embeddings",
        headers=auth,
        json={"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64"},
        timeout=5,
    ).json()
    # The spec only describes float vectors; a base64 vector decodes to the same floats as the float format.
    floats = requests.post(
        url + "/embeddings", headers=auth, json={"model": "text-embedding-3-small", "input": ["a", "b"]}, timeout=5
    ).json()
    schema_check.assert_valid(floats, "CreateEmbeddingResponse")
    raw = base64.b64decode(emb["data"][0]["embedding"])
    decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert decoded == pytest.approx(floats["data"][0]["embedding"])

    mock_upstream.state.update({"fail_status": 503, "fail_count": 1, "retry_after": "2"})
    failed = requests.post(url + "/chat/completions", headers=auth, json={"model": "m", "messages": []}, timeout=5)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "2"
    schema_check.assert_valid(failed.json(), "ErrorResponse")
    ok = requests.post(
        url + "/chat/completions",
        headers=auth,
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        timeout=5,
    )
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/event-stream")
    data = schema_check.sse_data(ok.content)
    assert data[-1] == b"[DONE]"
    for payload in data[:-1]:
        schema_check.assert_valid(orjson.loads(payload), "CreateChatCompletionStreamResponse")


def test_only_a_steerable_mock_takes_state_over_http() -> None:
    """The demo's mock, mounted at /mock on the server, has no steering endpoint: nobody who can reach the
    server can make its lane fail. A mock built for a test with steerable=True has one."""
    app = Flask(__name__)
    mount(app)  # as the demo server does (TOLLGATE_MOCK_UPSTREAM=1)
    client = app.test_client()
    steer = client.post("/mock/v1/__mock/state", json={"fail_status": 500, "models": []})
    assert steer.status_code != 200
    demo = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    models = client.get("/mock/v1/models", headers=demo)
    assert models.status_code == 200 and models.get_json()["data"]
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/mock/v1/chat/completions", json=chat, headers=demo).status_code == 200

    listed = {m["id"] for m in models.get_json()["data"]}
    assert {"dall-e-3", "gpt-image-1", "whisper-1", "gpt-4o-transcribe"} <= listed  # the demo can show media
    image = client.post("/mock/v1/images/generations", json={"model": "dall-e-3", "prompt": "a fox"}, headers=demo)
    assert image.status_code == 200 and image.get_json()["data"][0]["url"]
    for model, status in (("whisper-1", 200), ("gpt-4o-transcribe", 200), ("whisper-2", 404)):
        form, content_type = encode_multipart_formdata([("model", model), ("file", ("a.wav", wav_bytes(1.0)))])
        heard = client.post("/mock/v1/audio/transcriptions", data=form, headers=demo | {"Content-Type": content_type})
        assert heard.status_code == status, heard.get_json()
        assert heard.get_json().get("text") if status == 200 else heard.get_json()["error"]["code"] == "model_not_found"

    steerable = MockUpstream(MockState(), steerable=True)
    with Client(steerable).post("/v1/__mock/state", json={"fail_status": 503}) as resp:
        assert resp.status_code == 200 and steerable.state.fail_status == 503
