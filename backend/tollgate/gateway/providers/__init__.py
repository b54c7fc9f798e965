"""Provider adapters by wire format. Adding an OpenAI-compatible vendor needs only a lane with its base URL."""

from __future__ import annotations

from .base import Provider
from .openai import OpenAIProvider

PROVIDERS: dict[str, Provider] = {"openai": OpenAIProvider()}


def get_provider(name: str) -> Provider | None:
    return PROVIDERS.get(name)
