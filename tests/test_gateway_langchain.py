"""LangChain's ChatOpenAI pointed at the gateway: invoke, stream, and a tool call."""

from __future__ import annotations

import pytest
from flask import Flask

from tollgate.services import Services

from .conftest import Mock, Seeded
from .log_rows import wait_rows

langchain_openai = pytest.importorskip("langchain_openai")


def _chat(gateway: str, key: str) -> object:
    return langchain_openai.ChatOpenAI(
        model="gpt-4o-mini", base_url=gateway, api_key=key, max_retries=0, timeout=10, stream_usage=True
    )


def test_invoke_and_stream(app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    llm = _chat(gateway, seeded.key)
    reply = llm.invoke("Hello LangChain")
    assert "Hello LangChain" in reply.content
    assert reply.usage_metadata["input_tokens"] > 0
    chunks = list(llm.stream("Stream LangChain"))
    text = "".join(c.content for c in chunks)
    assert "Stream LangChain" in text
    assert sum((c.usage_metadata or {}).get("output_tokens", 0) for c in chunks) == len(text.split())
    rows = wait_rows(app, svc, 2)
    assert [(r.stream, r.status_code) for r in rows] == [(False, 200), (True, 200)]
    assert rows[1].output_tokens == len(text.split())


def test_tool_call(gateway: str, seeded: Seeded) -> None:
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"Sunny in {city}"

    llm = _chat(gateway, seeded.key).bind_tools([get_weather])
    reply = llm.invoke("Weather in Paris?")
    assert reply.tool_calls and reply.tool_calls[0]["name"] == "get_weather"


def test_bad_key_raises(gateway: str) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError):
        _chat(gateway, "tg_" + "A" * 38).invoke("hi")
