"""Lane settings: the provider options a lane carries beside its base URL and credential. Pure.

One table says which keys each wire format accepts, so the admin API refuses a typo with a 422 that names it
instead of storing an option nothing reads. `price_provider` (every format) names the genai-prices provider
that prices the lane's traffic when its base URL's host does not say (see price_source.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from genai_prices import data_snapshot

Check = Callable[[Any], str | None]


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) and 0 < len(value) <= 500 else "must be a non-empty string (≤ 500)."


def _deployments(value: Any) -> str | None:
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 200 and 0 < len(v) <= 200 for k, v in value.items()
    )
    return None if ok else "must map model names to deployment names (strings ≤ 200)."


def _price_provider(value: Any) -> str | None:
    if isinstance(value, str) and value in price_provider_ids():
        return None
    return "must be a genai-prices provider id, e.g. groq, together, mistral, deepseek, openrouter, google."


_COMMON: dict[str, Check] = {"price_provider": _price_provider}
ALLOWED: dict[str, dict[str, Check]] = {
    "openai": _COMMON,
    "anthropic": _COMMON,
    "gemini": _COMMON,
    "azure": {**_COMMON, "api_version": _text, "deployments": _deployments},
    "openrouter": {**_COMMON, "http_referer": _text, "x_title": _text},
}
"""Wire format → setting name → its check. A format missing here accepts `price_provider` only."""


def price_provider_ids() -> frozenset[str]:
    return frozenset(p.id for p in data_snapshot.get_snapshot().providers)


def problems(provider: str, settings: Any) -> dict[str, list[str]]:
    """Field errors of `settings` for a lane of `provider` (empty: valid), keyed `settings.<name>`."""
    if settings is None:
        return {}
    if not isinstance(settings, Mapping):
        return {"settings": ["Must be an object."]}
    checks = ALLOWED.get(provider, _COMMON)
    out: dict[str, list[str]] = {}
    for name, value in settings.items():
        check = checks.get(name)
        if check is None:
            allowed = ", ".join(sorted(checks))
            out[f"settings.{name}"] = [f"Unknown setting for provider {provider!r}; allowed: {allowed}."]
        elif (message := check(value)) is not None:
            out[f"settings.{name}"] = [f"{name} {message}"]
    return out
