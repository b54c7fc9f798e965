"""The Gemini adapter's pure transforms, without a server: Chat Completions → generateContent, the response and
every stream event back, usage as Google bills it; and the provider-neutral pieces this issue added (lane
settings checks, the price provider of a lane, routing by model family)."""

from __future__ import annotations

import orjson
import pytest

from tollgate.gateway.context import LaneTarget
from tollgate.gateway.model_routing import lanes_for
from tollgate.gateway.providers import get_provider
from tollgate.gateway.providers.gemini import request, response, stream
from tollgate.gateway.providers.price_source import price_provider
from tollgate.gateway.providers.settings import unread
from tollgate.metering import prices
from tollgate.metering.usage import TokenUsage

PNG = "iVBORw0KGgo="
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


def test_request_maps_system_turns_images_tools_and_config() -> None:
    body = {
        "model": "gemini-2.5-flash",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
            {"role": "user", "content": "Thanks"},
        ],
        "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "temperature": 0.2,
        "max_tokens": 100,
        "stop": "END",
        "reasoning_effort": "low",
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "strict": True, "schema": {
            "type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}}},
    }  # fmt: skip
    out = request.to_gemini(body)
    assert out["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert out["contents"][0] == {
        "role": "user",
        "parts": [{"text": "What is this?"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}],
    }
    assert out["contents"][1] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}],
    }
    # the tool result and the next user turn merge into one user turn (Gemini wants roles alternating)
    assert out["contents"][2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 21}}}, {"text": "Thanks"}],
    }
    assert out["tools"] == [{"functionDeclarations": [{
        "name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }]}]  # fmt: skip
    assert out["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
    assert out["generationConfig"] == {
        "temperature": 0.2,
        "maxOutputTokens": 100,
        "stopSequences": ["END"],
        "thinkingConfig": {"thinkingBudget": 1024},
        "responseMimeType": "application/json",
        "responseSchema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }


def test_response_maps_text_tool_calls_finish_and_usage() -> None:
    upstream = {
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking…", "thought": True},
            {"text": "Calling."},
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
        ]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10000, "cachedContentTokenCount": 4000, "candidatesTokenCount": 1000,
                          "thoughtsTokenCount": 500, "totalTokenCount": 11500},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "abc",
    }  # fmt: skip
    out = orjson.loads(response.translate(200, orjson.dumps(upstream), 1700000000, "gemini-2.5-flash"))
    choice = out["choices"][0]
    assert out["id"] == "chatcmpl-abc" and out["model"] == "gemini-2.5-flash"
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] == "Calling."
    [call] = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'} and call["id"].startswith(
        "call_"
    )
    assert out["usage"]["prompt_tokens"] == 10000 and out["usage"]["completion_tokens"] == 1500
    assert out["usage"]["prompt_tokens_details"] == {"cached_tokens": 4000}
    assert out["usage"]["completion_tokens_details"] == {"reasoning_tokens": 500}
    usage = response.token_usage(upstream["usageMetadata"])
    assert usage == TokenUsage(input_tokens=10000, cached_input_tokens=4000, output_tokens=1500, reasoning_tokens=500)
    # gemini-2.5-flash: $0.30 input, $0.03 cache read, $2.50 output (thinking included) per million tokens
    assert prices.value_picos(usage, "gemini-2.5-flash", "google") == (
        6000 * 300_000 + 4000 * 30_000 + 1500 * 2_500_000
    )


@pytest.mark.parametrize(
    ("reason", "called", "expected"),
    [("STOP", False, "stop"), ("STOP", True, "tool_calls"), ("MAX_TOKENS", False, "length"),
     ("SAFETY", False, "content_filter"), ("RECITATION", False, "content_filter"), ("OTHER", False, "stop"),
     (None, False, None)],
)  # fmt: skip
def test_finish_reasons(reason: str | None, called: bool, expected: str | None) -> None:
    assert response.finish_reason(reason, called) == expected


def test_error_body_becomes_openai_error() -> None:
    body = {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}
    out = orjson.loads(response.translate(400, orjson.dumps(body), 0, "gemini-2.5-flash"))
    assert out == {"error": {"message": "API key not valid.", "type": "invalid_request_error", "param": None,
                             "code": "invalid_argument"}}  # fmt: skip


def _event(data: dict[str, object]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\r\n\r\n"


def _chunks(out: bytes) -> list[object]:
    return [orjson.loads(line[6:]) if line != b"data: [DONE]" else "[DONE]" for line in out.split(b"\n\n") if line]


def test_stream_events_become_chunks_with_usage_and_done() -> None:
    state = stream.new_state(1700000000, include_usage=True, model="gemini-2.5-flash")
    first = {"candidates": [{"content": {"parts": [{"text": "Hello"}], "role": "model"}, "index": 0}],
             "usageMetadata": {"promptTokenCount": 12}, "modelVersion": "gemini-2.5-flash",
             "responseId": "r1"}  # fmt: skip
    last = {"candidates": [{"content": {"parts": [{"text": " world"}], "role": "model"}, "finishReason": "STOP",
                            "index": 0}],
            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 2, "thoughtsTokenCount": 3},
            "modelVersion": "gemini-2.5-flash", "responseId": "r1"}  # fmt: skip
    out = (stream.on_event(_event(first), state) or b"") + (stream.on_event(_event(last), state) or b"")
    chunks = _chunks(out)
    assert chunks[-1] == "[DONE]"
    deltas = [c["choices"][0]["delta"] for c in chunks[:-2]]  # type: ignore[index]
    assert deltas == [{"role": "assistant", "content": ""}, {"content": "Hello"}, {"content": " world"}, {}]
    assert chunks[-3]["choices"][0]["finish_reason"] == "stop"  # type: ignore[index]
    assert chunks[-2]["usage"]["completion_tokens"] == 5 and chunks[-2]["choices"] == []  # type: ignore[index]
    assert state.usage == TokenUsage(input_tokens=12, output_tokens=5, reasoning_tokens=3)
    assert {c["id"] for c in chunks[:-1]} == {"chatcmpl-r1"}  # type: ignore[index]


def test_stream_function_call_is_one_tool_call_chunk() -> None:
    state = stream.new_state(0, include_usage=False, model="gemini-2.5-flash")
    event = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {"x": 1}}}]},
                             "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 3}}  # fmt: skip
    chunks = _chunks(stream.on_event(_event(event), state) or b"")
    call = chunks[1]["choices"][0]["delta"]["tool_calls"][0]  # type: ignore[index]
    assert (call["index"], call["function"]) == (0, {"name": "f", "arguments": '{"x":1}'})
    assert chunks[2]["choices"][0]["finish_reason"] == "tool_calls" and chunks[3] == "[DONE]"  # type: ignore[index]


def _lane(provider: str, models: tuple[str, ...] | None = None, base_url: str = "http://x/v1") -> LaneTarget:
    return LaneTarget(provider + "_lane", provider, provider, base_url, None, "metered", models)


def test_gemini_path_names_the_model_and_the_key_goes_in_x_goog_api_key() -> None:
    provider = get_provider("gemini")
    assert provider is not None
    op = provider.operation("chat")
    lane = LaneTarget("l", "g", "gemini", "http://m/v1beta", "AIza-test", "metered", None)
    path = op.upstream_path(lane, {"model": "gemini-2.5-flash"}, True)  # type: ignore[union-attr]
    assert provider.url(lane, path) == "http://m/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    assert provider.headers(lane)["x-goog-api-key"] == "AIza-test" and "Authorization" not in provider.headers(lane)


def test_price_provider_by_setting_format_and_host() -> None:
    assert price_provider("openai", "https://api.groq.com/openai/v1") == "groq"
    assert price_provider("openai", "https://api.together.xyz/v1") == "together"
    assert price_provider("openai", "http://127.0.0.1:8000/v1") == "openai"
    assert price_provider("openai", "http://127.0.0.1:8000/v1", {"price_provider": "deepseek"}) == "deepseek"
    assert price_provider("gemini", "https://generativelanguage.googleapis.com/v1beta") == "google"
    assert price_provider("azure", "https://r.openai.azure.com") == "azure"
    assert price_provider("openrouter", "https://openrouter.ai/api/v1") == "openrouter"


def test_lane_settings_are_checked_per_provider() -> None:
    assert unread("azure", {"api_version": "2024-10-21", "deployments": {"gpt-4o": "prod"}}) == []
    assert unread("openrouter", {"http_referer": "https://agency.example", "x_title": "Agency"}) == []
    assert unread("openai", {"api_version": "x", "price_provider": "groq"}) == ["api_version"]
    assert unread("gemini", None) == []


def test_routing_by_model_family() -> None:
    openai_lane, claude_lane, gemini_lane = _lane("openai"), _lane("anthropic"), _lane("gemini")
    lanes = [openai_lane, claude_lane, gemini_lane]
    assert lanes_for("claude-sonnet-4-5", lanes) == [claude_lane]
    assert lanes_for("gemini-2.5-flash", lanes) == [gemini_lane]
    assert lanes_for("gpt-4o", lanes) == [openai_lane]
    # without a native lane, an OpenAI-compatible lane still serves anything (e.g. a proxy fronting Claude)
    assert lanes_for("claude-sonnet-4-5", [openai_lane]) == [openai_lane]
    # an explicit list wins over the family
    listed = _lane("openai", ("claude-*",))
    assert lanes_for("claude-sonnet-4-5", [listed, claude_lane, openai_lane]) == [listed, claude_lane]


def test_azure_paths_name_the_deployment_and_api_version() -> None:
    provider = get_provider("azure")
    assert provider is not None
    lane = LaneTarget("l", "a", "azure", "https://r.openai.azure.com", "k", "metered", None,
                      settings={"deployments": {"gpt-4o": "prod 4o"}})  # fmt: skip
    chat, embeddings = provider.operation("chat"), provider.operation("embeddings")
    path = chat.upstream_path(lane, {"model": "gpt-4o"}, False)  # type: ignore[union-attr]
    assert provider.url(lane, path) == (
        "https://r.openai.azure.com/openai/deployments/prod%204o/chat/completions?api-version=2024-10-21"
    )
    other = embeddings.upstream_path(lane, {"model": "text-embedding-3-small"}, False)  # type: ignore[union-attr]
    assert other == "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"
    assert provider.headers(lane)["api-key"] == "k" and "Authorization" not in provider.headers(lane)


def test_openrouter_cost_is_exact_and_bad_costs_are_ignored() -> None:
    from tollgate.gateway.providers.openrouter import with_cost

    usage = {"prompt_tokens": 10, "completion_tokens": 5, "cost": 0.000123}
    assert with_cost(usage).reported_cost_picos == 123_000_000  # type: ignore[union-attr]
    for bad in (True, -1, "nan", None, {"x": 1}):
        assert with_cost({**usage, "cost": bad}).reported_cost_picos is None  # type: ignore[union-attr]
