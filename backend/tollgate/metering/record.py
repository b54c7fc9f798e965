"""What the gateway hands to the log writer: facts about one request, not yet priced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .media import MediaUsage
from .prices import OverridePrice
from .usage import TokenUsage


@dataclass(slots=True)
class RequestRecord:
    request_id: str
    created_at: dt.datetime
    workspace_id: str
    client_id: str
    key_id: str
    endpoint: str
    project_id: str | None = None
    end_user: str | None = None
    metadata: dict[str, str] | None = None
    lane_id: str | None = None
    provider: str | None = None
    price_provider: str | None = None
    """The genai-prices provider whose list prices the request (the lane's; None: `provider`'s, else openai)."""
    lane_payment: str = "metered"
    model_requested: str | None = None
    model_served: str | None = None
    stream: bool = False
    usage: TokenUsage | None = None
    media: MediaUsage | None = None
    """Images or audio billed beside (or instead of) tokens: images by size and quality, audio duration."""
    usage_estimated: bool = False
    """`usage` is the gateway's estimate (the upstream answered, its usage never arrived), not the provider's."""
    status_code: int = 0
    error_code: str | None = None
    latency_ms: int = 0
    ttfb_ms: int | None = None
    created: str | None = None
    """The id of a stored response or conversation this request created: remembered with its lane and owner."""
    pending: bool = False
    """`created` is a background response still running: its usage (and the budget settle) comes later."""
    completes: bool = False
    """This record is a background response's create record completed with its usage: it replaces the row
    logged at creation instead of being skipped as a duplicate."""
    attempts: list[dict[str, Any]] | None = None
    """Lanes passed over before the one that served (or all, when none did), each with its reason."""
    extra: dict[str, Any] = field(default_factory=dict)
    overrides: Mapping[str, OverridePrice] = field(default_factory=dict)
    """The workspace's price overrides as admission saw them (the key's cached `Limits`): the log row and the
    ledger's settle price the request with exactly these, never with a set read later."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["overrides"] = {model: asdict(price) for model, price in self.overrides.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestRecord:
        data = dict(data)
        data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
        if data.get("usage") is not None:
            data["usage"] = TokenUsage(**data["usage"])
        if data.get("media") is not None:
            data["media"] = MediaUsage(**data["media"])
        data["overrides"] = {model: OverridePrice(**price) for model, price in (data.get("overrides") or {}).items()}
        return cls(**data)
