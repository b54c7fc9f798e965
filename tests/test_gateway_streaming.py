"""Streaming semantics: usage is always metered but only shown when asked for; bodies pass through untouched;
a client that hangs up mid-stream still leaves its log row."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from flask import Flask
from sqlalchemy import select

from tollgate.extensions import db
from tollgate.models import RequestLog
from tollgate.services import Services

from . import schema_check
from .conftest import Mock, Seeded
from .log_rows import wait_rows

FIXED_USAGE = {"prompt_tokens": 42, "completion_tokens": 17, "cached_tokens": 10, "reasoning_tokens": 0}


def _chat(gateway: str, key: str, body: dict[str, Any]) -> requests.Response:
    resp = requests.post(
        gateway + "/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert resp.status_code == 200, resp.text
    return resp


def _chunks(resp: requests.Response) -> list[dict[str, Any]]:
    return [orjson.loads(d) for d in schema_check.sse_data(resp.content) if d != b"[DONE]"]


def _only_row(app: Flask, svc: Services) -> RequestLog:
    [row] = wait_rows(app, svc, 1)
    return row


def test_stream_without_include_usage_meters_but_hides_usage(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    mock_upstream.state.usage = FIXED_USAGE
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    chunks = _chunks(_chat(gateway, seeded.key, body))
    sent = mock_upstream.state.requests[-1]["body"]
    assert sent["stream_options"] == {"include_usage": True}
    assert all(c["choices"] for c in chunks), "the usage-only chunk must not reach a client that did not ask"
    assert all("usage" not in c or c["usage"] is None for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    row = _only_row(app, svc)
    assert (row.input_tokens, row.output_tokens, row.cached_input_tokens) == (42, 17, 10)
    assert row.value_micros > 0


def test_stream_with_include_usage_passes_usage_chunk(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    mock_upstream.state.usage = FIXED_USAGE
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = _chunks(_chat(gateway, seeded.key, body))
    assert mock_upstream.state.requests[-1]["body"] == body
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 42 and chunks[-1]["usage"]["completion_tokens"] == 17
    assert _only_row(app, svc).output_tokens == 17


def test_stream_options_other_fields_survive_the_rewrite(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_obfuscation": False},
        "x_custom": {"a": [1, 2]},
    }
    chunks = _chunks(_chat(gateway, seeded.key, body))
    sent = mock_upstream.state.requests[-1]["body"]
    assert sent == body | {"stream_options": {"include_obfuscation": False, "include_usage": True}}
    assert all(c["choices"] for c in chunks)


def test_unknown_fields_pass_upstream_untouched(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Be terse"}, {"role": "user", "content": "hé ✓"}],
        "temperature": 0.25,
        "max_tokens": 5,
        "seed": 7,
        "user": "end-user-9",
        "metadata": {"workflow": "triage"},
        "x_custom": {"a": [1, 2]},
        "reasoning_effort": None,
    }
    _chat(gateway, seeded.key, body)
    [sent] = mock_upstream.state.requests
    assert sent["body"] == body
    assert sent["authorization"] == "Bearer sk-mock-provider-key-0123456789abcdef"
    embed = {"model": "text-embedding-3-small", "input": "x", "dimensions": 4, "x_custom": {"a": [1, 2]}}
    requests.post(gateway + "/embeddings", json=embed, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=5)
    assert mock_upstream.state.requests[-1]["body"] == embed
    resp_body = {"model": "gpt-4o-mini", "input": "x", "stream": True, "x_custom": {"a": [1, 2]}}
    requests.post(gateway + "/responses", json=resp_body, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=5)
    assert mock_upstream.state.requests[-1]["body"] == resp_body


def _read_until(sock: socket.socket, marker: bytes, limit_s: float = 5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + limit_s
    while marker not in data and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_client_disconnect_mid_stream_is_logged(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    mock_upstream.state.stream_delay_s = 0.15
    payload = orjson.dumps(
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a long answer please " * 5}], "stream": True}
    )
    parts = urlsplit(gateway)
    request = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {seeded.key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        head = _read_until(sock, b"data: ")
        assert head.startswith(b"HTTP/1.1 200")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
    deadline = time.monotonic() + 10
    rows: list[RequestLog] = []
    while not rows and time.monotonic() < deadline:
        assert svc.log_writer.flush()
        with app.app_context():
            rows = list(db.session.scalars(select(RequestLog)))
        time.sleep(0.05)
    [row] = rows
    assert row.error_code == "client_disconnected"
    assert row.status_code == 200
    assert row.lane_id == seeded.lane_id and row.provider == "openai"
    assert row.stream is True and row.client_id == seeded.client_id
