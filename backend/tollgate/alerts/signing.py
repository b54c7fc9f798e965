"""Webhook signatures, Stripe style: `Tollgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
The timestamp inside the signed text lets a receiver reject replays (see docs/webhooks.md). Pure.

Some receivers never see the raw bytes: a Make app's webhook is handed the parsed JSON. For them the body also
carries `signature: {t, v1}`, an HMAC over the event's identifying fields joined with dots, which such a
platform can recompute from the parsed body with its own functions (Make: `sha256(text, 'hex', key)`)."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Tollgate-Signature"
TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def field_text(timestamp: int, event_id: str, event_type: str, client_id: str | None, created_at: str) -> str:
    """The text the body signature covers: `<t>.<id>.<type>.<client_id or "">.<created_at>`."""
    return f"{timestamp}.{event_id}.{event_type}.{client_id or ''}.{created_at}"


def sign_fields(secret: str, text: str) -> str:
    """Hex HMAC-SHA256 of `field_text(...)`: the `v1` of the body's `signature`."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


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
