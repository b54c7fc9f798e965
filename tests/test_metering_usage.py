"""metering/usage.py: every OpenAI usage shape normalised; garbage never raises, never counts."""

from __future__ import annotations

from typing import Any

import pytest

from tollgate.metering.usage import TokenUsage, from_openai


def test_chat_completions_usage() -> None:
    usage = {
        "prompt_tokens": 120,
        "completion_tokens": 40,
        "total_tokens": 160,
        "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 32, "audio_tokens": 0},
    }
    assert from_openai(usage) == TokenUsage(120, 100, 40, 32)
    assert from_openai(usage).total_tokens == 160


def test_responses_usage() -> None:
    usage = {
        "input_tokens": 50,
        "input_tokens_details": {"cached_tokens": 10, "cache_write_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 5},
        "total_tokens": 70,
    }
    assert from_openai(usage) == TokenUsage(50, 10, 20, 5)


def test_embeddings_usage() -> None:
    assert from_openai({"prompt_tokens": 8, "total_tokens": 8}) == TokenUsage(input_tokens=8)


@pytest.mark.parametrize("value", [None, "12", 12, [], {}, {"total_tokens": 5}])
def test_not_a_usage_object(value: Any) -> None:
    assert from_openai(value) is None


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": None, "completion_tokens": None}, TokenUsage()),
        ({"prompt_tokens": -3, "completion_tokens": True}, TokenUsage()),
        ({"prompt_tokens": 5.0, "completion_tokens": "7"}, TokenUsage()),
        ({"prompt_tokens": 5, "prompt_tokens_details": None, "completion_tokens_details": None}, TokenUsage(5)),
        ({"prompt_tokens": 5, "prompt_tokens_details": [], "completion_tokens_details": "x"}, TokenUsage(5)),
        ({"input_tokens": 5, "input_tokens_details": 3, "output_tokens": 1}, TokenUsage(5, 0, 1)),
        ({"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": None}}, TokenUsage(5)),
    ],
)
def test_garbage_fields_count_as_zero(usage: dict[str, Any], expected: TokenUsage) -> None:
    assert from_openai(usage) == expected
