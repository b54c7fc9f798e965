"""Webhook subscriptions: the n8n trigger and Make's instant trigger create one when a workflow is switched on
and delete it when switched off. The signing secret is returned once and stored encrypted."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from ..extensions import DbSession
from ..ids import new_id
from ..models import WebhookSubscription
from ..models.alert import EVENT_TYPES
from ..provisioning import audit
from ..upstream_urls import upstream_url_problem
from ..vault import CredentialVault
from .webhooks import subscription_owner

SECRET_PREFIX = "whsec_"


class SubscriptionError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def create_subscription(
    session: DbSession,
    vault: CredentialVault,
    workspace_id: str,
    url: str,
    event_types: Sequence[str],
    client_ids: Sequence[str] | None = None,
    description: str | None = None,
    allow_private: bool = False,
    actor: str = "cli",
) -> tuple[WebhookSubscription, str]:
    """Returns the subscription and its signing secret (shown once)."""
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if not event_types or unknown:
        raise SubscriptionError("event_types", f"choose from {', '.join(EVENT_TYPES)}; unknown: {unknown}")
    problem = upstream_url_problem(url, allow_private)
    if problem:
        raise SubscriptionError("url", problem)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sub = WebhookSubscription(
        id=new_id("whk"),
        workspace_id=workspace_id,
        url=url,
        event_types=sorted(set(event_types)),
        client_ids=list(client_ids) if client_ids else None,
        description=description,
    )
    sub.secret_ciphertext = vault.encrypt(secret, subscription_owner(workspace_id, sub.id))
    session.add(sub)
    session.flush()
    after = {"url": url, "event_types": sub.event_types, "client_ids": sub.client_ids}
    audit(session, workspace_id, actor, "webhook.create", "webhook_subscription", sub.id, after=after)
    return sub, secret


def delete_subscription(session: DbSession, sub: WebhookSubscription, actor: str = "cli") -> None:
    before = {"url": sub.url, "event_types": sub.event_types, "client_ids": sub.client_ids}
    audit(session, sub.workspace_id, actor, "webhook.delete", "webhook_subscription", sub.id, before=before)
    session.delete(sub)
