"""gateway/sse.py: whole events out whatever the chunking, CRLF or LF, `[DONE]` untouched; and the chat and
responses stream transforms that record usage and strip the usage chunk."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import orjson
import pytest

from tollgate.gateway.providers.base import StreamState
from tollgate.gateway.providers.openai.chat import Chat
from tollgate.gateway.providers.openai.responses import Responses
from tollgate.gateway.sse import data_payload, relay, split_events
from tollgate.metering.usage import TokenUsage

USAGE = {
    "prompt_tokens": 9,
    "completion_tokens": 3,
    "total_tokens": 12,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 1},
}


def chat_stream(eol: bytes = b"\n") -> bytes:
    chunks = [
        {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [],
            "usage": USAGE,
        },
    ]
    events = [b"data: " + orjson.dumps(c) + eol + eol for c in chunks]
    return b": keep-alive" + eol + eol + b"".join(events) + b"data: [DONE]" + eol + eol


def _split(data: bytes, sizes: Iterable[int]) -> list[bytes]:
    out, pos = [], 0
    for size in itertools.cycle(sizes):
        if pos >= len(data):
            return out
        out.append(data[pos : pos + size])
        pos += size
    return out


def _never(_: bytes) -> bool:
    return False


def _identity(event: bytes) -> bytes:
    return event


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("sizes", [[1], [2, 3], [7], [50], [10_000], [1, 64, 3]])
def test_relay_emits_whole_events_whatever_the_chunking(eol: bytes, sizes: list[int]) -> None:
    data = chat_stream(eol)
    out = list(relay(_split(data, sizes), _never, _identity))
    assert b"".join(out) == data
    for piece in out:
        assert piece.endswith(eol + eol), piece  # never half an event
    assert split_events(b"".join(out)) == split_events(data)


def test_relay_passes_untouched_chunks_as_they_came() -> None:
    data = chat_stream()
    events = split_events(data)
    assert list(relay([events[0] + events[1], events[2]], _never, _identity)) == [events[0] + events[1], events[2]]


def test_split_events_lf_crlf_and_unterminated() -> None:
    assert split_events(b"data: a\n\ndata: b\r\n\r\ndata: c") == [b"data: a\n\n", b"data: b\r\n\r\n", b"data: c"]
    assert split_events(b"") == []


def test_data_payload() -> None:
    assert data_payload(b"data: [DONE]\n\n") == b"[DONE]"
    assert data_payload(b"data: [DONE]\r\n\r\n") == b"[DONE]"
    assert data_payload(b"event: response.completed\ndata: {}\n\n") == b"{}"
    assert data_payload(b'data: {"a":\ndata: 1}\n\n') == b'{"a":\n1}'
    assert data_payload(b"data:{}\n\n") == b"{}"
    assert data_payload(b": comment\n\n") is None


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("sizes", [[1], [5, 9], [10_000]])
@pytest.mark.parametrize("strip", [True, False])
def test_chat_transform_records_usage_and_strips_only_when_asked(eol: bytes, sizes: list[int], strip: bool) -> None:
    chat = Chat()
    state = StreamState(strip_usage_chunk=strip)
    data = chat_stream(eol)
    out = b"".join(relay(_split(data, sizes), chat.needs_look, lambda e: chat.on_event(e, state)))
    assert state.usage == TokenUsage(input_tokens=9, cached_input_tokens=4, output_tokens=3, reasoning_tokens=1)
    assert state.model == "gpt-4o-mini-2024-07-18"
    payloads = [data_payload(e) for e in split_events(out)]
    assert payloads[-1] == b"[DONE]"
    usage_chunks = [p for p in payloads if p and b'"usage"' in p]
    assert len(usage_chunks) == (0 if strip else 1)
    expected = [e for e in split_events(data) if not (strip and b'"usage"' in e)]
    assert split_events(out) == expected


def test_chat_prepare_asks_upstream_for_usage() -> None:
    chat = Chat()
    body = {"model": "m", "stream": True, "x_custom": {"a": [1, 2]}}
    raw = orjson.dumps(body)
    sent, state = chat.prepare(body, raw, stream=True)
    assert orjson.loads(sent) == body | {"stream_options": {"include_usage": True}} and state.strip_usage_chunk
    asked = body | {"stream_options": {"include_usage": True}}
    sent, state = chat.prepare(asked, orjson.dumps(asked), stream=True)
    assert sent == orjson.dumps(asked) and not state.strip_usage_chunk  # the caller's bytes, untouched
    plain = {"model": "m"}
    assert chat.prepare(plain, b'{"model":  "m"}', stream=False)[0] == b'{"model":  "m"}'


def test_responses_transform_records_usage_from_completed_event() -> None:
    op = Responses()
    state = StreamState()
    completed = {
        "type": "response.completed",
        "response": {
            "model": "o3-mini",
            "usage": {"input_tokens": 5, "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 1}},
        },
    }
    data = (
        b"event: response.created\ndata: "
        + orjson.dumps({"type": "response.created", "response": {"model": "o3-mini"}})
        + b"\n\n"
        b"event: response.completed\ndata: " + orjson.dumps(completed) + b"\n\n"
    )
    out = b"".join(relay(_split(data, [3]), op.needs_look, lambda e: op.on_event(e, state)))
    assert out == data
    assert state.model == "o3-mini"
    assert state.usage == TokenUsage(input_tokens=5, output_tokens=2, reasoning_tokens=1)


def test_unterminated_final_usage_event_is_still_seen() -> None:
    """An upstream that closes without the final blank line must not skip metering."""
    chat = Chat()
    state = StreamState(strip_usage_chunk=False)
    data = b'data: {"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1}}'
    out = b"".join(relay([data], chat.needs_look, lambda e: chat.on_event(e, state)))
    assert out == data
    assert state.usage == TokenUsage(input_tokens=2, output_tokens=1)
