"""Provider adapters by wire format. Adding an OpenAI-compatible vendor needs only a lane with its base URL
(its price list follows from the host or the lane's `price_provider` setting: price_source.py); Anthropic and
Gemini have their own adapters (their native APIs behind the gateway's Chat Completions surface); Azure and
OpenRouter are OpenAI's transforms with their own URLs, headers and usage; Stability and Replicate serve
images only."""

from __future__ import annotations

from .anthropic import AnthropicProvider
from .azure import AzureProvider
from .base import Provider
from .gemini import GeminiProvider
from .openai import OpenAIProvider
from .openrouter import OpenRouterProvider
from .replicate import ReplicateProvider
from .stability import StabilityProvider

PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "anthropic": AnthropicProvider(),
    "gemini": GeminiProvider(),
    "azure": AzureProvider(),
    "openrouter": OpenRouterProvider(),
    "stability": StabilityProvider(),
    "replicate": ReplicateProvider(),
}


def get_provider(name: str) -> Provider | None:
    return PROVIDERS.get(name)
