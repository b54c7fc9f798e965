"""Every field that multiplies or extends billable usage is in the worst case: an upstream billing the most a
request allows never takes a hard budget past its cap."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Mock, Seeded
from tests.test_budget_gateway import add_budget, logs, spend
from tollgate.budgets import estimate
from tollgate.budgets.ledger import Ask, worst_case_tokens
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage
from tollgate.services import Services


@dataclass(frozen=True)
class Case:
    path: str
    body: dict[str, Any]
    input_tokens: int | None
    """What the upstream bills for input at most; None: the body's size (the bound for text the body holds)."""
    output_tokens: int

    @property
    def raw(self) -> bytes:
        return orjson.dumps(self.body)

    @property
    def billed(self) -> TokenUsage:
        return TokenUsage(self.input_tokens or len(self.raw), 0, self.output_tokens)


def _chat(model: str, content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], "max_tokens": 50, **extra}


CASES = {
    # n=8 bills eight completions of up to max_tokens each.
    "n": Case("chat/completions", _chat("gpt-4o-mini", "hello", n=8), None, 8 * 50),
    # An image by URL: 8 tiles at detail=high on gpt-4o-mini cost 48,169 tokens, whatever the URL's length.
    "image_url": Case(
        "chat/completions",
        _chat("gpt-4o-mini", [{"type": "image_url", "image_url": {"url": "https://e.x/a.png", "detail": "high"}}]),
        48_169 + 10,
        50,
    ),
    # A file by id: its pages can fill the context window.
    "file_id": Case(
        "chat/completions",
        _chat("gpt-4o", [{"type": "file", "file": {"file_id": "file-abc123"}}]),
        128_000 - 50,
        50,
    ),
    # previous_response_id: the stored history is billed as input, up to the context window.
    "previous_response_id": Case(
        "responses",
        {"model": "gpt-4o", "input": "and then?", "previous_response_id": "resp_abc", "max_output_tokens": 50},
        128_000 - 50,
        50,
    ),
    # Inline audio: its base64 bytes outnumber its tokens (≈10 a second against ≥1,300 bytes a second).
    "input_audio": Case(
        "chat/completions",
        _chat(
            "gpt-4o-audio-preview",
            [{"type": "input_audio", "input_audio": {"data": base64.b64encode(bytes(3000)).decode(), "format": "wav"}}],
        ),
        None,
        50,
    ),
    # Embeddings of token-id arrays, many inputs: every id takes at least one byte of the body.
    "embedding_arrays": Case(
        "embeddings", {"model": "text-embedding-3-small", "input": [[7] * 500 for _ in range(40)]}, 40 * 500, 0
    ),
}


def _post(client: FlaskClient, key: str, case: Case) -> int:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.post(f"/v1/{case.path}", data=case.raw, headers=headers).status_code


def _steer(mock: Mock, case: Case) -> None:
    usage = case.billed
    mock.state.usage = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens}


@pytest.mark.parametrize("name", list(CASES))
def test_a_cap_below_the_most_the_upstream_can_bill_refuses_the_request(
    app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock, name: str
) -> None:
    case = CASES[name]
    billed = prices.value_micros(case.billed, case.body["model"])
    assert billed is not None and billed > 1
    _steer(mock_upstream, case)
    budget = add_budget(app, seeded, billed - 1)
    status = _post(app.test_client(), seeded.key, case)
    spent, reserved = spend(app, budget)
    assert spent <= billed - 1 and reserved == 0  # never past the cap
    assert status == 429  # admitted, the upstream could have billed more than the cap
    assert mock_upstream.state.requests == []


@pytest.mark.parametrize("name", list(CASES))
def test_an_admitted_request_billed_the_maximum_stays_within_its_reservation(
    app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock, name: str
) -> None:
    case = CASES[name]
    endpoint = {"chat/completions": "chat"}.get(case.path, case.path)
    ask = Ask(endpoint, case.body["model"], case.body, case.raw)
    prompt, output = worst_case_tokens(ask)
    assert prompt >= case.billed.input_tokens and output >= case.billed.output_tokens
    _steer(mock_upstream, case)
    budget = add_budget(app, seeded, 100_000_000)
    assert _post(app.test_client(), seeded.key, case) == 200
    [row] = logs(app, svc)
    assert (row.input_tokens, row.output_tokens) == (case.billed.input_tokens, case.billed.output_tokens)
    assert spend(app, budget) == (row.value_micros, 0)


def test_worst_case_fields() -> None:
    chat = {"max_tokens": 10}
    assert estimate.output_tokens_upper(chat | {"n": 4}, "gpt-4o", "chat") == 40
    assert estimate.output_tokens_upper(chat | {"n": True}, "gpt-4o", "chat") == 10
    assert estimate.output_tokens_upper({"max_output_tokens": 10, "n": 4}, "gpt-4o", "responses") == 10
    text = b'{"messages":[{"role":"user","content":"hi"}]}'
    assert estimate.prompt_tokens_upper(text, {}, "gpt-4o", "chat", 128_000) == len(text)
    assert estimate.prompt_tokens_upper(text, {"previous_response_id": "r"}, "gpt-4o", "responses", 9) == 9
    assert estimate.prompt_tokens_upper(text, {"previous_response_id": None}, "gpt-4o", "responses", 9) == 9  # min
    audio_turn = {"messages": [{"role": "assistant", "audio": {"id": "audio_1"}}]}
    assert estimate.prompt_tokens_upper(text, audio_turn, "gpt-4o", "chat", 1_000) == 1_000
    pdf = b'{"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"u"}}]}]}'
    assert estimate.prompt_tokens_upper(pdf, {}, "claude-sonnet-4-5", "messages", 200_000) == 200_000
    many = b"[" + b",".join([b"1"] * 5000) + b"]"
    assert estimate.prompt_tokens_upper(many, {}, "text-embedding-3-small", "embeddings", 8_192) == len(many)
