"""GET /v1/models: the models this key may use, as OpenAI lists them.

A lane that declares its models answers from that list; a lane that doesn't is asked for its own
`/models` (cached per process, so the model pickers of n8n and friends don't hit the vendor every time).
The workspace's aliases are listed too, each where the model it stands for may be used through the key.
Only exact ids can be listed: a glob in a key's or lane's list filters but names nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import orjson

from .context import KeyContext, LaneTarget, model_matches
from .model_routing import lanes_for
from .providers import get_provider
from .upstream import UpstreamPools, UpstreamTimeout, UpstreamUnreachable

log = logging.getLogger(__name__)
_CACHE_TTL_S = 300.0


class ModelCatalog:
    def __init__(self, pools: UpstreamPools) -> None:
        self._pools = pools
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def models_for(self, ctx: KeyContext) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for lane in ctx.lanes:
            for entry in self._lane_models(lane):
                model_id = entry["id"]
                if model_id not in seen and lane.serves(model_id) and model_matches(model_id, ctx.allowed_models):
                    seen[model_id] = entry
        if ctx.allowed_models is not None:  # models the key names explicitly, served by a lane without a list
            for model_id in ctx.allowed_models:
                if (
                    model_id not in seen
                    and not _is_glob(model_id)
                    and any(lane.models is None and self._listed_nowhere(lane) for lane in ctx.lanes)
                ):
                    seen[model_id] = _entry(model_id, "tollgate")
        for alias, target in ctx.aliases.items():  # a workspace alias, where its model is usable through this key
            if alias not in seen and model_matches(target, ctx.allowed_models) and lanes_for(target, ctx.lanes):
                seen[alias] = _entry(alias, seen[target]["owned_by"] if target in seen else "tollgate")
        return sorted(seen.values(), key=lambda m: m["id"])

    def _listed_nowhere(self, lane: LaneTarget) -> bool:
        return not self._lane_models(lane)

    def _lane_models(self, lane: LaneTarget) -> list[dict[str, Any]]:
        if lane.models is not None:
            return [_entry(m, lane.provider) for m in lane.models if not _is_glob(m)]
        cached = self._cache.get(lane.id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        listed = self._fetch(lane)
        with self._lock:
            self._cache[lane.id] = (time.monotonic() + (_CACHE_TTL_S if listed else 10.0), listed)
        return listed

    def _fetch(self, lane: LaneTarget) -> list[dict[str, Any]]:
        provider = get_provider(lane.provider)
        if provider is None:
            return []
        headers = provider.headers(lane)
        try:
            upstream = self._pools.send(lane, "GET", provider.url(lane, "/models"), None, headers, False)
            data = upstream.read_all()
        except (UpstreamTimeout, UpstreamUnreachable) as exc:
            log.warning("listing models of lane %s failed: %s", lane.id, type(exc).__name__)
            return []
        if upstream.status != 200:
            log.warning("listing models of lane %s: upstream answered HTTP %d", lane.id, upstream.status)
            return []
        try:
            listed = orjson.loads(data)
            items = listed.get("data") or [_gemini_item(m) for m in listed.get("models") or []]
        except (orjson.JSONDecodeError, AttributeError):
            return []
        return [
            _entry(item["id"], item.get("owned_by") or lane.provider, item.get("created"))
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]


def _gemini_item(model: Any) -> dict[str, Any] | None:
    """Gemini lists `{"models": [{"name": "models/gemini-2.5-flash", …}]}`: the id is the name's last part."""
    name = model.get("name") if isinstance(model, dict) else None
    return {"id": name.removeprefix("models/")} if isinstance(name, str) else None


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _entry(model_id: str, owned_by: str, created: Any = None) -> dict[str, Any]:
    return {
        "id": model_id,
        "object": "model",
        "created": created if isinstance(created, int) else 0,
        "owned_by": owned_by,
    }
