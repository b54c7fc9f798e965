"""Azure OpenAI: the OpenAI wire format addressed by deployment. The key goes in `api-key`.

A lane's base URL is the resource endpoint (`https://{resource}.openai.azure.com`). Chat and embeddings go to
`/openai/deployments/{deployment}/{operation}?api-version=…`; the Responses API, which Azure serves without a
deployment in the path, to `/openai/responses?api-version=…` with the deployment as the body's model. Lane
settings: `deployments` maps a model name to its deployment (a model not in it is taken as its own deployment
name) and `api_version` overrides the default below."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ...context import LaneTarget

API_VERSION = "2024-10-21"
"""The latest GA data-plane version for chat and embeddings."""
RESPONSES_API_VERSION = "2025-04-01-preview"
"""The Responses API exists in preview versions only."""


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if lane.api_key:
        out["api-key"] = lane.api_key
    return out


def deployment(lane: LaneTarget, model: str) -> str:
    mapping: Any = lane.settings.get("deployments")
    found = mapping.get(model) if isinstance(mapping, dict) else None
    return found if isinstance(found, str) and found else model


def api_version(lane: LaneTarget, default: str = API_VERSION) -> str:
    version = lane.settings.get("api_version")
    return version if isinstance(version, str) and version else default


def deployment_path(lane: LaneTarget, model: str, operation: str) -> str:
    name = quote(deployment(lane, model), safe="")
    return f"/openai/deployments/{name}{operation}?api-version={quote(api_version(lane), safe='-')}"
