"""The BYOK changes, each with its audit event: add a key (verified at once), verify it again, revoke it,
rotate (a new verified key retires the one it replaces in the same commit), the per-client choices, and what
happens when a provider starts refusing a key mid-traffic (`byok.failed`).

Plain functions on a SQLAlchemy session, knowing no Flask: the admin API calls them, and so can a portal.
A key is never returned, logged or put in a reason: the lane stores it encrypted, the row shows last 4 and
fingerprint. Verification commits `pending` first and calls the provider outside any transaction, so a slow
provider never holds a database lock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from .. import provisioning
from ..alerts.evaluate import enqueue
from ..extensions import DbSession
from ..ids import new_id
from ..models import AlertEvent, AuditEvent, Client, Lane, ProviderKey
from ..models.base import utcnow
from ..vault import CredentialVault
from ..vault.crypto import VaultError, lane_owner
from ..vault.scrub import redact
from .guides import GUIDES
from .lanes import FALLBACKS, USES
from .verify import Verdict, verify_key

log = logging.getLogger(__name__)

FAILED_EVENT = "byok.failed"
SERVING = "verified"
ENDED = frozenset({"revoked", "replaced"})


@dataclass(frozen=True)
class By:
    """Who makes a change (for the audit log) and how the provider call may go out."""

    actor: str
    ip: str | None = None
    allow_private: bool = False
    timeout_s: float = 10.0


class ByokError(ValueError):
    """A change that cannot be made as asked: `status` is the HTTP status the admin API answers with."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class NewKey:
    provider: str
    purposes: list[str]
    api_key: str
    label: str | None = None
    base_url: str | None = None
    models: list[str] | None = None
    replaces: ProviderKey | None = None


def add_key(session: DbSession, vault: CredentialVault, client: Client, new: NewKey, by: By) -> ProviderKey:
    """Store the key (encrypted, in a BYOK lane kept disabled until verified), then verify it."""
    guide = GUIDES[new.provider]
    unsupported = sorted(set(new.purposes) - set(guide.purposes))
    if unsupported:
        raise ByokError(422, f"{guide.name} keys cannot serve {', '.join(unsupported)} here.", "purposes")
    if new.replaces is not None and new.replaces.status in ENDED:
        raise ByokError(409, f"The key '{new.replaces.id}' is already {new.replaces.status}.", "replaces")
    label = redact(new.label, new.api_key) if new.label else None  # a key pasted into the wrong field is not kept
    lane = provisioning.create_lane(
        session,
        vault,
        client.workspace_id,
        f"{guide.name}: {client.name}'s own key" + (f" ({label})" if label else ""),
        new.base_url or guide.default_base_url,
        new.api_key,
        provider=new.provider,
        payment="byok",
        owner_client_id=client.id,
        models=new.models if new.models is not None else list(guide.models),
        actor=by.actor,
    )
    lane.disabled_at = utcnow()
    for pending in session.new:  # the lane's own audit event: from the same caller
        if isinstance(pending, AuditEvent) and pending.ip is None:
            pending.ip = by.ip
    key = ProviderKey(
        id=new_id("pk"),
        workspace_id=client.workspace_id,
        client_id=client.id,
        lane_id=lane.id,
        provider=new.provider,
        purposes=sorted(set(new.purposes)),
        label=label,
        status="pending",
        credential_last4=lane.credential_last4,
        credential_fingerprint=lane.credential_fingerprint,
        created_by=by.actor,
    )
    session.add(key)
    session.flush()
    _audit(session, by, "provider_key.create", key, after=public(key))
    session.commit()
    return _verify(session, vault, key, lane, new.api_key, by, new.replaces)


def reverify(session: DbSession, vault: CredentialVault, key: ProviderKey, by: By) -> ProviderKey:
    """Check a key again (after a failure the provider has since fixed, or to confirm it still works)."""
    lane = session.get(Lane, key.lane_id) if key.lane_id else None
    if key.status in ENDED or lane is None or lane.credential_ciphertext is None:
        raise ByokError(409, f"The key '{key.id}' is {key.status}: add a new key instead.")
    try:
        secret = vault.decrypt(lane.credential_ciphertext, lane_owner(lane.workspace_id, lane.id, lane.owner_client_id))
    except VaultError as exc:
        raise ByokError(409, "The stored key no longer decrypts (the master key changed): add it again.") from exc
    return _verify(session, vault, key, lane, secret, by, None)


def _verify(
    session: DbSession,
    vault: CredentialVault,
    key: ProviderKey,
    lane: Lane,
    secret: str,
    by: By,
    replaces: ProviderKey | None,
) -> ProviderKey:
    verdict = verify_key(key.provider, lane.base_url, secret, by.allow_private, by.timeout_s)
    return apply_verdict(session, vault, key, lane, verdict, by, replaces)


def apply_verdict(
    session: DbSession,
    vault: CredentialVault,
    key: ProviderKey,
    lane: Lane,
    verdict: Verdict,
    by: By,
    replaces: ProviderKey | None,
) -> ProviderKey:
    """Record the outcome. On success the key serves from this commit on and, in the same commit, the key it
    replaces stops (the atomic switch of a rotation: no moment with neither, requests in flight finish on the
    old key, which still works at the provider until the client deletes it there)."""
    session.refresh(key)
    if key.status in ENDED:  # revoked while the provider was being asked
        return key
    before = public(key)
    now = utcnow()
    key.status_reason = verdict.reason
    if verdict.ok:
        key.status, key.verified_at, key.ended_at = SERVING, now, None
        lane.disabled_at = None
        if replaces is not None:
            session.refresh(replaces)
            if replaces.status not in ENDED:
                _end(session, vault, replaces, "replaced", f"Replaced by the key '{key.id}'.", by)
    else:
        key.status, key.ended_at = "failed", now
        lane.disabled_at = lane.disabled_at or now
    _audit(session, by, "provider_key.verify", key, before, public(key))
    session.commit()
    return key


def revoke(session: DbSession, vault: CredentialVault, key: ProviderKey, by: By) -> ProviderKey:
    """Stop using the key and erase the stored credential; the client's traffic falls back as the agency set
    (`byok.failed` fires when it was serving)."""
    if key.status in ENDED:
        return key
    was_serving = key.status == SERVING
    _end(session, vault, key, "revoked", f"Revoked by {by.actor}.", by)
    if was_serving:
        fire_failed(session, key, "revoked")
    session.commit()
    return key


def _end(session: DbSession, vault: CredentialVault, key: ProviderKey, status: str, reason: str, by: By) -> None:
    before = public(key)
    key.status, key.status_reason, key.ended_at = status, reason, utcnow()
    lane = session.get(Lane, key.lane_id) if key.lane_id else None
    if lane is not None:
        lane.disabled_at = lane.disabled_at or key.ended_at
        provisioning.set_lane_credential(lane, vault, None)  # erase: an ended key is never decrypted again
    _audit(session, by, f"provider_key.{'revoke' if status == 'revoked' else 'replace'}", key, before, public(key))


def on_provider_rejected(session: DbSession, lane_id: str, status: int) -> None:
    """The gateway saw the provider refuse a client's key (HTTP 401): the key is failed at once (one caller
    wins the update, so the event fires once), its lane leaves routing, and `byok.failed` fires. A database
    error here never fails the request (it falls through to the next lane regardless): the next 401 retries."""
    try:
        _fail_rejected(session, lane_id, status)
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not mark the client's key on lane %s failed after HTTP %s", lane_id, status, exc_info=True)


def _fail_rejected(session: DbSession, lane_id: str, status: int) -> None:
    key = session.scalars(select(ProviderKey).where(ProviderKey.lane_id == lane_id)).first()
    if key is None or key.status != SERVING:
        return
    now = utcnow()
    reason = f"{GUIDES[key.provider].name} refused the key on a request (HTTP {status}); add a new key."
    won = session.execute(
        update(ProviderKey)
        .where(ProviderKey.id == key.id, ProviderKey.status == SERVING)
        .values(status="failed", status_reason=reason, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        session.rollback()
        return
    session.execute(update(Lane).where(Lane.id == lane_id).values(disabled_at=now))
    session.refresh(key)
    _audit(session, By("gateway"), "provider_key.fail", key, {"status": SERVING}, public(key))
    fire_failed(session, key, "rejected")
    session.commit()


def fire_failed(session: DbSession, key: ProviderKey, cause: str) -> AlertEvent:
    """A `byok.failed` event (and its webhook deliveries) in the current transaction."""
    client = session.get(Client, key.client_id)
    refused = client is not None and client.byok_fallback == "refuse" and client.byok_use == "own_account"
    event = AlertEvent(
        id=new_id("evt"),
        workspace_id=key.workspace_id,
        type=FAILED_EVENT,
        client_id=key.client_id,
        dedupe_key=f"{FAILED_EVENT}:{key.id}:{cause}",
        payload={
            "provider_key_id": key.id,
            "provider": key.provider,
            "purposes": list(key.purposes),
            "cause": cause,
            "reason": key.status_reason,
            "traffic": "refused" if refused else "agency_default",
        },
        created_at=utcnow(),
    )
    session.add(event)
    session.flush()
    enqueue(session, event)
    return event


def settings_of(client: Client) -> dict[str, Any]:
    return {"client_id": client.id, "use": client.byok_use, "fallback": client.byok_fallback}


def update_settings(session: DbSession, client: Client, changes: dict[str, str], by: By, agency: bool) -> Client:
    """`use` is the client's (and the agency's) to change; `fallback` only the agency's."""
    if "fallback" in changes and not agency:
        raise ByokError(403, "Only the agency decides what happens when your own key cannot serve.", "fallback")
    if changes.get("use", USES[0]) not in USES or changes.get("fallback", FALLBACKS[0]) not in FALLBACKS:
        raise ByokError(422, "Unknown BYOK setting value.")
    before = settings_of(client)
    client.byok_use = changes.get("use", client.byok_use)
    client.byok_fallback = changes.get("fallback", client.byok_fallback)
    after = settings_of(client)
    keys = [k for k in after if before[k] != after[k]]
    if keys:
        provisioning.audit(
            session,
            client.workspace_id,
            by.actor,
            "client.byok_settings",
            "client",
            client.id,
            {k: before[k] for k in keys},
            {k: after[k] for k in keys},
            ip=by.ip,
        )
    session.commit()
    return client


def public(key: ProviderKey) -> dict[str, Any]:
    """The key as the audit log shows it: no credential, only its last 4 and fingerprint."""
    return {
        "provider": key.provider,
        "purposes": list(key.purposes),
        "label": key.label,
        "status": key.status,
        "status_reason": key.status_reason,
        "credential_last4": key.credential_last4,
        "credential_fingerprint": key.credential_fingerprint,
    }


def _audit(
    session: DbSession,
    by: By,
    action: str,
    key: ProviderKey,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    provisioning.audit(
        session, key.workspace_id, by.actor, action, "provider_key", key.id, before=before, after=after, ip=by.ip
    )
