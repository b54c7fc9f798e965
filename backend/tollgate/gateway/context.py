"""What an authenticated sub-key resolves to. Plain data, cached per process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ..budgets.lane_windows import Capacity
from ..budgets.specs import NO_LIMITS, Limits
from .model_routing import family_patterns


def model_matches(model: str, patterns: tuple[str, ...] | None) -> bool:
    """None allows everything; otherwise an exact id or a glob such as `gpt-4o*`."""
    if patterns is None:
        return True
    return any(model == p or fnmatchcase(model, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class LaneTarget:
    """A lane ready to call: the decrypted credential lives only in process memory."""

    id: str
    name: str
    provider: str
    base_url: str
    api_key: str | None
    payment: str
    models: tuple[str, ...] | None
    _: KW_ONLY  # the optional rest by name: positional calls broke silently when fields were added in between
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Provider options (gateway/providers/settings.py): Azure deployments, OpenRouter headers, …"""
    price_provider: str = "openai"
    """The genai-prices provider that prices this lane's traffic (gateway/providers/price_source.py)."""
    capacity: Capacity | None = None
    """A flat lane's plan window; None (every other lane) costs the hot path one attribute test."""
    purposes: tuple[str, ...] | None = None
    """A client's own key (BYOK): the purposes it was added for (chat, images, voice); None: an agency lane."""

    def __repr__(self) -> str:  # never print the credential
        return f"LaneTarget(id={self.id!r}, provider={self.provider!r}, base_url={self.base_url!r})"

    def serves(self, model: str) -> bool:
        """Its list, else its provider family's models (model_routing.py)."""
        return model_matches(model, self.models if self.models is not None else family_patterns(self.provider))


@dataclass(frozen=True, slots=True)
class KeyContext:
    key_id: str
    workspace_id: str
    client_id: str
    client_slug: str
    project_id: str | None
    allowed_models: tuple[str, ...] | None
    lanes: tuple[LaneTarget, ...]
    projects: dict[str, str]
    """Projects of the client that a request may name in X-Project-ID: id and slug → id."""
    expires_at_ts: float | None = None
    limits: Limits = NO_LIMITS
    """Budgets, rate limits and price overrides, cached with the key (see budgets/loader.py)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """The workspace's model aliases (`fast` → a real model), resolved before the allowed-models check."""
    own_only: frozenset[str] = frozenset()
    """Purposes the agency lets only the client's own keys serve (BYOK fallback `refuse`, see byok/lanes.py)."""

    def lanes_for(self, purpose: str) -> tuple[LaneTarget, ...]:
        """The lanes that may serve a purpose: the client's keys added for it, and the agency's unless refused."""
        refused = purpose in self.own_only
        return tuple(
            lane
            for lane in self.lanes
            if (lane.purposes is None and not refused) or (lane.purposes is not None and purpose in lane.purposes)
        )

    def may_use(self, model: str) -> bool:
        return model_matches(model, self.allowed_models)
