"""What the mock keeps between requests, as OpenAI does: stored responses (background ones advance
queued → in_progress → completed as they are polled, or once `background_s` has passed) and conversations
with their items. Bodies follow OpenAI's documented shapes; ids are random like OpenAI's."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from . import payloads

TERMINAL = frozenset({"completed", "failed", "incomplete", "cancelled"})


@dataclass
class StoredResponse:
    body: dict[str, Any]
    """The create request (model, input, options): what retrieve renders the response from."""
    model: str
    text: str
    usage: dict[str, Any]
    input_items: list[dict[str, Any]]
    status: str
    background: bool
    service_tier: str = "default"
    created: float = field(default_factory=time.monotonic)
    polls: int = 0

    def render(self, response_id: str) -> dict[str, Any]:
        done = self.status == "completed"
        usage = self.usage if self.status in TERMINAL else None
        if self.status == "cancelled":  # cancelled before any output: the input was read, nothing written
            usage = {**self.usage, "output_tokens": 0, "total_tokens": self.usage["input_tokens"]}
            usage["output_tokens_details"] = {"reasoning_tokens": 0}
        out = payloads.response_object(
            response_id, self.model, self.body, self.text if done else "", usage, self.status, self.service_tier
        )
        out["background"] = self.background
        return out


@dataclass
class Conversation:
    metadata: dict[str, str]
    items: list[dict[str, Any]]
    created_at: int = field(default_factory=lambda: int(time.time()))

    def render(self, conversation_id: str) -> dict[str, Any]:
        return {
            "id": conversation_id,
            "object": "conversation",
            "metadata": self.metadata,
            "created_at": self.created_at,
        }


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def input_items(value: Any) -> list[dict[str, Any]]:
    """Request input (a string or a list of items) as stored items, each with an id."""
    items = [{"role": "user", "content": value}] if isinstance(value, str) else value if isinstance(value, list) else []
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        content = item.get("content")
        parts = (
            [{"type": "input_text", "text": content}]
            if isinstance(content, str)
            else [p for p in content if isinstance(p, dict)]
            if isinstance(content, list)
            else []
        )
        out.append(
            {
                "type": "message",
                "id": item.get("id") or new_id("msg"),
                "status": "completed",
                "role": item.get("role", "user"),
                "content": parts,
            }
        )
    return out


def advance(stored: StoredResponse, background_polls: int, background_s: float) -> None:
    """One poll of a background response: it completes after `background_polls` polls or `background_s`."""
    if stored.status in TERMINAL:
        return
    stored.polls += 1
    if stored.polls >= background_polls or time.monotonic() - stored.created >= background_s:
        stored.status = "completed"
    else:
        stored.status = "in_progress"


def page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor page (`limit`, `after`, `order`) in OpenAI's list shape."""
    ordered = list(reversed(items)) if query.get("order", "desc") == "desc" else list(items)
    after = query.get("after")
    if after:
        ids = [i["id"] for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    try:
        limit = max(1, min(100, int(query.get("limit", "20"))))
    except ValueError:
        limit = 20
    data = ordered[:limit]
    return {
        "object": "list",
        "data": data,
        "has_more": len(ordered) > limit,
        "first_id": data[0]["id"] if data else "",
        "last_id": data[-1]["id"] if data else "",
    }


def moderation(model: str, value: Any) -> dict[str, Any]:
    """`omni-moderation` results: nothing flagged unless the text says "violence" (a handle for tests)."""
    texts = [value] if isinstance(value, str) else [v if isinstance(v, str) else "" for v in value or []]
    categories = (
        "hate hate/threatening harassment harassment/threatening illicit illicit/violent self-harm self-harm/intent "
        "self-harm/instructions sexual sexual/minors violence violence/graphic"
    ).split()
    results = []
    for text in texts:
        flagged = "violence" in text.lower()
        results.append(
            {
                "flagged": flagged,
                "categories": {c: flagged and c == "violence" for c in categories},
                "category_scores": {c: 0.91 if flagged and c == "violence" else 0.0001 for c in categories},
                "category_applied_input_types": {c: ["text"] for c in categories},
            }
        )
    return {"id": new_id("modr"), "model": model, "results": results}
