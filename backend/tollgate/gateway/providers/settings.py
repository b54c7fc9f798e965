"""Lane settings: the provider options a lane carries beside its base URL and credential. Pure.

One table says which keys each wire format reads, so the admin API refuses another provider's option (409: it
conflicts with the lane's provider) instead of storing an option nothing reads. `price_provider` (every format)
names the genai-prices provider that prices the lane's traffic when its base URL's host does not say (see
price_source.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_prices import data_snapshot

READ_BY: dict[str, frozenset[str]] = {
    "azure": frozenset({"price_provider", "api_version", "deployments"}),
    "openrouter": frozenset({"price_provider", "http_referer", "x_title"}),
}
"""Wire format → the settings its adapter reads; every other format reads `price_provider` only. The values'
own rules (lengths, the genai-prices ids) are the admin schema's (`LaneSettingsSchema`), stated in openapi.yaml."""
_DEFAULT = frozenset({"price_provider"})


def price_provider_ids() -> frozenset[str]:
    return frozenset(p.id for p in data_snapshot.get_snapshot().providers)


def unread(provider: str, settings: Mapping[str, Any] | None) -> list[str]:
    """Settings a lane of `provider` would store but never read (a typo, or another provider's option)."""
    readable = READ_BY.get(provider, _DEFAULT)
    return sorted(name for name in settings or {} if name not in readable)
