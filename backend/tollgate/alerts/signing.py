"""Webhook signatures, Stripe style: `Tollgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
The timestamp inside the signed text lets a receiver reject replays (see docs/webhooks.md). Pure."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Tollgate-Signature"
TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver does; used by the tests and shown in the docs."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def backoff_s(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, … capped at 6 h."""
    return int(min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))
