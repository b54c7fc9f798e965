"""Creating and changing the things a workspace owns, with their audit events. Used by the CLI, the demo
seed and the admin API alike, so a key issued from any of them is issued the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select

from .extensions import DbSession
from .ids import new_id
from .models import (
    AdminToken,
    AuditEvent,
    Client,
    IdempotencyKey,
    Lane,
    Project,
    RequestLog,
    RouteEntry,
    SubKey,
    UsageEvent,
    WebhookDelivery,
    Workspace,
)
from .models.base import utcnow
from .vault import CredentialVault, TokenHasher
from .vault.crypto import fingerprint, lane_owner
from .vault.tokens import ADMIN_TOKEN_PREFIX, SUB_KEY_PREFIX, generate, last4

ROLES = ("owner", "admin", "viewer", "client")
PAYMENTS = ("metered", "flat", "byok")


@dataclass(frozen=True)
class Issued:
    """A freshly created secret: `secret` is shown once and never stored."""

    id: str
    secret: str


def audit(
    session: DbSession,
    workspace_id: str,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=before,
            after=after,
            ip=ip,
        )
    )


def create_workspace(session: DbSession, name: str, slug: str, actor: str = "cli", **brand: Any) -> Workspace:
    workspace = Workspace(id=new_id("ws"), name=name, slug=slug, **brand)
    session.add(workspace)
    session.flush()
    audit(session, workspace.id, actor, "workspace.create", "workspace", workspace.id, after={"name": name})
    return workspace


def create_client(session: DbSession, workspace_id: str, name: str, slug: str, actor: str = "cli") -> Client:
    client = Client(id=new_id("cli"), workspace_id=workspace_id, name=name, slug=slug)
    session.add(client)
    session.flush()
    audit(session, workspace_id, actor, "client.create", "client", client.id, after={"name": name, "slug": slug})
    return client


def create_project(session: DbSession, client: Client, name: str, slug: str, actor: str = "cli") -> Project:
    project = Project(id=new_id("prj"), workspace_id=client.workspace_id, client_id=client.id, name=name, slug=slug)
    session.add(project)
    session.flush()
    audit(session, client.workspace_id, actor, "project.create", "project", project.id, after={"name": name})
    return project


def issue_sub_key(
    session: DbSession,
    hasher: TokenHasher,
    client: Client,
    name: str,
    project: Project | None = None,
    allowed_models: list[str] | None = None,
    expires_at: dt.datetime | None = None,
    actor: str = "cli",
    lineage_id: str | None = None,
) -> Issued:
    """Issue a key. Its allowed models and expiry count as set by the agency (the CLI and agency roles); the
    admin API replaces `agency_*` for a key a client token mints. `lineage_id`: the rotated key's lineage."""
    secret = generate(SUB_KEY_PREFIX)
    key_id = new_id("key")
    key = SubKey(
        id=key_id,
        workspace_id=client.workspace_id,
        client_id=client.id,
        project_id=project.id if project else None,
        name=name,
        key_hash=hasher.hash(secret),
        last4=last4(secret),
        allowed_models=allowed_models,
        expires_at=expires_at,
        lineage_id=lineage_id or key_id,
        agency_allowed_models=allowed_models,
        agency_expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audit(
        session,
        client.workspace_id,
        actor,
        "sub_key.create",
        "sub_key",
        key.id,
        after={"name": name, "client_id": client.id, "project_id": key.project_id, "last4": key.last4},
    )
    return Issued(key.id, secret)


def revoke_sub_key(session: DbSession, key: SubKey, actor: str = "cli", at: dt.datetime | None = None) -> None:
    key.revoked_at = at or utcnow()
    audit(
        session,
        key.workspace_id,
        actor,
        "sub_key.revoke",
        "sub_key",
        key.id,
        after={"revoked_at": key.revoked_at.isoformat()},
    )


def issue_admin_token(
    session: DbSession,
    hasher: TokenHasher,
    workspace_id: str,
    name: str,
    role: str,
    client_id: str | None = None,
    actor: str = "cli",
) -> Issued:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if (role == "client") != (client_id is not None):
        raise ValueError("a client token needs a client, and only a client token may have one")
    secret = generate(ADMIN_TOKEN_PREFIX)
    token = AdminToken(
        id=new_id("tok"),
        workspace_id=workspace_id,
        name=name,
        role=role,
        client_id=client_id,
        token_hash=hasher.hash(secret),
        last4=last4(secret),
    )
    session.add(token)
    session.flush()
    audit(
        session,
        workspace_id,
        actor,
        "admin_token.create",
        "admin_token",
        token.id,
        after={"name": name, "role": role, "client_id": client_id, "last4": token.last4},
    )
    return Issued(token.id, secret)


class LastOwnerError(ValueError):
    """Revoking this token would leave the workspace without an active owner token."""


def keep_an_owner(session: DbSession, token: AdminToken) -> None:
    """`LastOwnerError` unless another active (not revoked, not expired) owner token of the workspace remains
    besides `token`. All the workspace's active owner rows are locked, in id order (PostgreSQL; SQLite serialises
    writers anyway), so two owners revoking each other at once cannot both succeed: the second waits, then no
    longer sees the first. The admin API and the CLI share this rule."""
    if token.role == "owner":
        now = utcnow()
        owners = session.scalars(
            select(AdminToken.id)
            .where(
                AdminToken.workspace_id == token.workspace_id,
                AdminToken.role == "owner",
                AdminToken.revoked_at.is_(None),
                or_(AdminToken.expires_at.is_(None), AdminToken.expires_at > now),
            )
            .order_by(AdminToken.id)
            .with_for_update()
        ).all()
        if not set(owners) - {token.id}:
            raise LastOwnerError(
                "This is the workspace's last active owner token: "
                "at least one owner token must remain; issue another owner token first."
            )


def revoke_admin_token(session: DbSession, token: AdminToken, actor: str = "cli") -> None:
    """Revoke now (a no-op when already revoked); `LastOwnerError` for the workspace's last active owner token."""
    if token.revoked_at is not None:
        return
    keep_an_owner(session, token)
    token.revoked_at = utcnow()
    audit(
        session,
        token.workspace_id,
        actor,
        "admin_token.revoke",
        "admin_token",
        token.id,
        after={"revoked_at": token.revoked_at.isoformat()},
    )


def delete_workspace(session: DbSession, workspace: Workspace) -> None:
    """Delete a workspace with everything it owns. Tables keyed by workspace_id without a foreign key
    (high-volume logs) are emptied first; the rest cascade from the row."""
    for model in (RequestLog, UsageEvent, AuditEvent, IdempotencyKey, WebhookDelivery):
        session.execute(delete(model).where(model.workspace_id == workspace.id))
    session.delete(workspace)
    session.flush()


def create_lane(
    session: DbSession,
    vault: CredentialVault,
    workspace_id: str,
    name: str,
    base_url: str,
    api_key: str | None,
    provider: str = "openai",
    payment: str = "metered",
    owner_client_id: str | None = None,
    models: list[str] | None = None,
    actor: str = "cli",
) -> Lane:
    if payment not in PAYMENTS:
        raise ValueError(f"payment must be one of {', '.join(PAYMENTS)}")
    lane = Lane(
        id=new_id("lane"),
        workspace_id=workspace_id,
        owner_client_id=owner_client_id,
        name=name,
        provider=provider,
        base_url=base_url.rstrip("/"),
        payment=payment,
        models=models,
    )
    set_lane_credential(lane, vault, api_key)
    session.add(lane)
    session.flush()
    audit(
        session,
        workspace_id,
        actor,
        "lane.create",
        "lane",
        lane.id,
        after={
            "name": name,
            "base_url": lane.base_url,
            "payment": payment,
            "credential_fingerprint": lane.credential_fingerprint,
        },
    )
    return lane


def set_lane_credential(lane: Lane, vault: CredentialVault, api_key: str | None) -> None:
    """Encrypt on save; afterwards only the fingerprint and the last 4 characters are ever shown."""
    if not api_key:
        lane.credential_ciphertext = lane.credential_fingerprint = lane.credential_last4 = None
        return
    lane.credential_ciphertext = vault.encrypt(api_key, lane_owner(lane.workspace_id, lane.id, lane.owner_client_id))
    lane.credential_fingerprint = fingerprint(api_key)
    lane.credential_last4 = last4(api_key)


def append_route(session: DbSession, workspace_id: str, lane: Lane, client_id: str | None = None) -> RouteEntry:
    """Add `lane` at the end of a client's routing policy (or the workspace default when client_id is None)."""
    last = session.scalar(
        select(func.max(RouteEntry.position)).where(
            RouteEntry.workspace_id == workspace_id,
            RouteEntry.client_id.is_(None) if client_id is None else RouteEntry.client_id == client_id,
        )
    )
    entry = RouteEntry(
        id=new_id("rte"),
        workspace_id=workspace_id,
        client_id=client_id,
        position=(last or 0) + 1,
        lane_id=lane.id,
    )
    session.add(entry)
    return entry
