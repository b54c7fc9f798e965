"""Webhook delivery: signed JSON POSTs with retries and exponential backoff, a delivery log, manual resend.

Several processes may run the deliverer at once: a delivery is claimed with a conditional UPDATE (a lease on
`next_attempt_at`) before it is sent, so each attempt is made by one process only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..egress import AddressRefused, GuardedAdapter
from ..extensions import DbSession
from ..models import AlertEvent, WebhookDelivery, WebhookSubscription
from ..upstream_urls import upstream_url_problem
from ..vault import CredentialVault
from .signing import HEADER, backoff_s, field_text, sign, sign_fields

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_S = 60
Poster = Callable[[str, bytes, dict[str, str]], int]
"""(url, body, headers) → HTTP status; raises on a network failure."""


def subscription_owner(workspace_id: str, subscription_id: str) -> str:
    """Associated data of a signing secret: a ciphertext moved to another row does not decrypt."""
    return f"webhook:{workspace_id}:{subscription_id}"


def http_poster(allow_private: bool) -> Poster:
    """POST with requests: no redirects (a 3xx is a failed attempt), no proxy from the environment (through a
    proxy, the address check below would see the proxy, not the target) and, unless private targets are
    allowed, a transport that refuses connections to internal addresses (`egress.GuardedAdapter`), so a
    subscription's host cannot be re-pointed at one after it was checked."""

    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        import requests

        with requests.Session() as session:
            session.trust_env = False
            if not allow_private:
                adapter = GuardedAdapter()
                session.mount("http://", adapter)
                session.mount("https://", adapter)
            try:
                response = session.post(url, data=body, headers=headers, timeout=10, allow_redirects=False)
            except requests.ConnectionError as exc:
                reason = getattr(exc.args[0], "reason", None) if exc.args else None
                if isinstance(reason, AddressRefused):
                    raise reason from exc
                raise
            return int(response.status_code)

    return post


def envelope(event: AlertEvent, secret: str, timestamp: int) -> dict[str, Any]:
    """The delivery body. `signature` lets receivers that only see parsed JSON (Make) check the event's
    identity; the `Tollgate-Signature` header, over the raw bytes, covers everything including `data`."""
    created_at = event.created_at.isoformat()
    text = field_text(timestamp, event.id, event.type, event.client_id, created_at)
    return {
        "id": event.id,
        "type": event.type,
        "created_at": created_at,
        "workspace_id": event.workspace_id,
        "client_id": event.client_id,
        "data": event.payload,
        "signature": {"t": timestamp, "v1": sign_fields(secret, text)},
    }


def deliver_due(
    session: Session,
    vault: CredentialVault,
    now: dt.datetime,
    post: Poster | None = None,
    allow_private: bool = False,
) -> int:
    """Attempt every due delivery once; returns how many were attempted."""
    post = post or http_poster(allow_private)
    due = session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(100)
    ).all()
    attempted = 0
    for delivery_id in due:
        if not _claim(session, delivery_id, now):
            continue
        attempted += 1
        _attempt(session, vault, delivery_id, now, post, allow_private)
    return attempted


def _claim(session: Session, delivery_id: int, now: dt.datetime) -> bool:
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + dt.timedelta(seconds=LEASE_S))
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def _attempt(
    session: Session, vault: CredentialVault, delivery_id: int, now: dt.datetime, post: Poster, allow_private: bool
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    sub = session.get(WebhookSubscription, delivery.subscription_id)
    event = session.get(AlertEvent, delivery.event_id)
    status: int | None = None
    error: str | None = None
    if sub is None or event is None or sub.disabled_at is not None:
        error = "subscription disabled or removed"
    elif problem := upstream_url_problem(sub.url, allow_private):
        error = f"refused target: {problem}"
    else:
        secret = vault.decrypt(sub.secret_ciphertext, subscription_owner(sub.workspace_id, sub.id))
        timestamp = int(now.timestamp())
        body = orjson.dumps(envelope(event, secret, timestamp))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Tollgate-Webhooks/1",
            HEADER: sign(secret, timestamp, body),
            "Tollgate-Event": event.type,
            "Tollgate-Delivery": str(delivery.id),
        }
        try:
            status = post(sub.url, body, headers)
        except AddressRefused as exc:  # the name resolved to an internal address when it was called
            error = f"refused target: {exc}"
        except Exception as exc:  # network failures are retried like 5xx
            error = f"{type(exc).__name__}: {exc}"[:500]
    _record(delivery, now, status, error)
    session.commit()


def _record(delivery: WebhookDelivery, now: dt.datetime, status: int | None, error: str | None) -> None:
    delivery.attempts += 1
    delivery.last_status_code = status
    ok = status is not None and 200 <= status < 300
    delivery.last_error = None if ok else (error or f"HTTP {status}")
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
    elif delivery.attempts >= MAX_ATTEMPTS or (error or "").startswith(("subscription", "refused")):
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + dt.timedelta(seconds=backoff_s(delivery.attempts))


def resend(session: DbSession, delivery: WebhookDelivery, now: dt.datetime) -> WebhookDelivery:
    """Queue a delivery again, now (whatever its state): a new row, so the log keeps every attempt."""
    again = WebhookDelivery(
        workspace_id=delivery.workspace_id,
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(again)
    session.flush()
    return again
