"""Which genai-prices provider prices a lane's traffic. Pure.

The wire format says how to talk to a lane, not whose price list applies: an OpenAI-compatible base URL may be
Groq, Together or a local vLLM. An explicit `price_provider` setting wins; else the wire format when it is a
vendor of its own (Anthropic, Gemini → google, Azure, OpenRouter); else the base URL's host; else `openai`.
A model the chosen list lacks is unpriced (logged as such, refused by a hard budget), never $0."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

BY_FORMAT = {
    "anthropic": "anthropic",
    "gemini": "google",
    "azure": "azure",
    "openrouter": "openrouter",
    "stability": "stability",
    "replicate": "replicate",
}

BY_HOST = {
    "api.openai.com": "openai",
    "api.groq.com": "groq",
    "api.together.xyz": "together",
    "api.together.ai": "together",
    "api.mistral.ai": "mistral",
    "api.deepseek.com": "deepseek",
    "api.fireworks.ai": "fireworks",
    "api.x.ai": "x-ai",
    "api.cerebras.ai": "cerebras",
    "api.perplexity.ai": "perplexity",
    "openrouter.ai": "openrouter",
    "generativelanguage.googleapis.com": "google",
    "api.anthropic.com": "anthropic",
    "api.moonshot.ai": "moonshotai",
}
"""Known OpenAI-compatible hosts → their genai-prices provider id (README: "Pricing OpenAI-compatible lanes")."""


def price_provider(wire_format: str, base_url: str, settings: Mapping[str, Any] | None = None) -> str:
    explicit = (settings or {}).get("price_provider")
    if isinstance(explicit, str) and explicit:
        return explicit
    if wire_format in BY_FORMAT:
        return BY_FORMAT[wire_format]
    host = (urlsplit(base_url).hostname or "").lower()
    return BY_HOST.get(host, "openai")
