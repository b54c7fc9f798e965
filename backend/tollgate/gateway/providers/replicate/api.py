"""Replicate's HTTP API: URLs and headers. `Prefer: wait=N` holds the create call up to N seconds so a fast model
answers at once; a slower one is polled (images.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from ...context import LaneTarget

DEFAULT_BASE_URL = "https://api.replicate.com/v1"
WAIT_S = 10
"""Well under the gateway's upstream read timeout: a prediction still running after this is polled instead."""


def url(lane: LaneTarget, path: str) -> str:
    return (lane.base_url or DEFAULT_BASE_URL).rstrip("/") + path


def headers(lane: LaneTarget) -> dict[str, str]:
    out = {"Content-Type": "application/json", "Accept": "application/json", "Prefer": f"wait={WAIT_S}"}
    if lane.api_key:
        out["Authorization"] = f"Bearer {lane.api_key}"
    return out


def same_origin(lane: LaneTarget, target: str) -> bool:
    """Whether `target` is on the lane's own API host (the only place its token may be sent)."""
    base, other = urlsplit(url(lane, "/")), urlsplit(target)
    return (base.scheme, base.netloc) == (other.scheme, other.netloc)
