"""Provider adapters by wire format. Adding an OpenAI-compatible vendor needs only a lane with its base URL;
Anthropic has its own adapter (its Messages API behind the gateway's Chat Completions surface); Stability and
Replicate serve images only."""

from __future__ import annotations

from .anthropic import AnthropicProvider
from .base import Provider
from .openai import OpenAIProvider
from .replicate import ReplicateProvider
from .stability import StabilityProvider

PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "anthropic": AnthropicProvider(),
    "stability": StabilityProvider(),
    "replicate": ReplicateProvider(),
}


def get_provider(name: str) -> Provider | None:
    return PROVIDERS.get(name)
