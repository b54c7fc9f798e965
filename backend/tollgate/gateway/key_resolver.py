"""Sub-key → `KeyContext`, with a per-process TTL cache and explicit invalidation.

The checksum is verified before anything else, so garbage never costs a lookup. A cache hit costs one HMAC
and a dict read; a miss loads the key, its client's projects and routing policy, and decrypts the lanes'
credentials once. A committed change to anything cached here (a revoke, a project, a lane, a budget, the
workspace timezone; `config_changes.py` notices it, through the admin API or the CLI) clears this process's
cache at once, every process of the data directory's on its next request (a shared generation counter), other
hosts' at once through Redis pub/sub when configured, else within `key_cache_ttl_s`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from sqlalchemy import or_, select

from ..budgets.loader import load_limits
from ..byok.lanes import combine
from ..extensions import DbSession
from ..models import Client, Lane, Project, ProviderKey, RouteEntry, SubKey
from ..models.base import utcnow
from ..vault import CredentialVault, TokenHasher
from ..vault.crypto import VaultError, lane_owner
from ..vault.tokens import SUB_KEY_PREFIX, bearer_token, is_well_formed
from . import errors
from .context import KeyContext, LaneTarget
from .invalidation import CacheGeneration, InvalidationBus, LocalBus

_MAX_ENTRIES = 50_000
"""Bound on cached keys per process: negative entries (unknown keys) must not grow memory without end."""


class KeyResolver:
    def __init__(
        self,
        hasher: TokenHasher,
        vault: CredentialVault,
        ttl_s: float,
        bus: InvalidationBus | None = None,
        generation: CacheGeneration | None = None,
    ) -> None:
        self._hasher = hasher
        self._bus = bus or LocalBus()
        self._generation = generation
        self._seen = generation.read() if generation is not None else 0
        self._vault = vault
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, KeyContext | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, authorization: str | None, session: Callable[[], DbSession]) -> KeyContext | errors.GatewayError:
        """`session` is a factory: a cache hit never opens one."""
        token = bearer_token(authorization)
        if token is None:
            return errors.missing_key()
        if not is_well_formed(token, SUB_KEY_PREFIX):
            return errors.invalid_key()
        digest = self._hasher.hash(token)
        if self._generation is not None and (generation := self._generation.read()) != self._seen:
            self._seen = generation  # another process (or host) changed keys, projects, lanes or limits
            self._clear()
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            context = hit[1]
        else:
            context = self._load(digest, session())
            with self._lock:
                if len(self._cache) >= _MAX_ENTRIES:  # e.g. a flood of well-formed but unknown keys
                    self._cache = {d: e for d, e in self._cache.items() if e[0] > now and e[1] is not None}
                    if len(self._cache) >= _MAX_ENTRIES:
                        self._cache.clear()
                self._cache[digest] = (now + self._ttl, context)
        if context is None:
            return errors.invalid_key()
        if context.expires_at_ts is not None and context.expires_at_ts <= time.time():
            return errors.revoked_key()
        return context

    def invalidate(self) -> None:
        """Drop every cached key, here and (through the generation and the bus) in every other process: called
        after a commit that changed what a `KeyContext` holds (`config_changes.py`)."""
        self._clear()
        if self._generation is not None:
            self._generation.bump()
        self._bus.publish()

    def listen(self) -> None:
        """Start receiving other processes' invalidations (once per process)."""
        self._bus.listen(self._on_remote_change)

    @property
    def generation(self) -> CacheGeneration | None:
        return self._generation

    def _on_remote_change(self) -> None:
        self._clear()
        if self._generation is not None:
            self._generation.note_remote_change()  # and the log writer's price overrides in this process

    def _clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def _load(self, digest: str, session: DbSession) -> KeyContext | None:
        key = session.scalars(select(SubKey).where(SubKey.key_hash == digest)).first()
        if key is None:
            return None
        if key.revoked_at is not None and key.revoked_at <= utcnow():
            return KeyContext(key.id, key.workspace_id, key.client_id, "", None, (), (), {}, expires_at_ts=0)
        client = session.get(Client, key.client_id)
        if client is None or client.archived_at is not None:
            return None
        projects = session.scalars(
            select(Project).where(Project.client_id == client.id, Project.archived_at.is_(None))
        ).all()
        project_ids = {p.id: p.id for p in projects} | {p.slug: p.id for p in projects}
        own, covered = self._own_lanes(session, client)
        lanes, own_only = combine(
            own, self._lanes(session, key.workspace_id, client.id), client.byok_use, client.byok_fallback, covered
        )
        expiry = key.expires_at
        if key.revoked_at is not None:
            expiry = min(expiry, key.revoked_at) if expiry else key.revoked_at
        return KeyContext(
            key_id=key.id,
            workspace_id=key.workspace_id,
            client_id=client.id,
            client_slug=client.slug,
            project_id=key.project_id,
            allowed_models=tuple(key.allowed_models) if key.allowed_models is not None else None,
            lanes=lanes,
            own_only=own_only,
            projects=project_ids,
            expires_at_ts=expiry.timestamp() if expiry else None,
            limits=load_limits(session, key.workspace_id, key.lineage_id, client.id, [p.id for p in projects]),
        )

    def _lanes(self, session: DbSession, workspace_id: str, client_id: str) -> tuple[LaneTarget, ...]:
        """The client's own routing policy, or the workspace default when the client has none."""
        rows = session.execute(
            select(RouteEntry.client_id, Lane)
            .join(Lane, Lane.id == RouteEntry.lane_id)
            .where(
                RouteEntry.workspace_id == workspace_id,
                or_(RouteEntry.client_id == client_id, RouteEntry.client_id.is_(None)),
                Lane.disabled_at.is_(None),
            )
            .order_by(RouteEntry.position)
        ).all()
        own = [lane for owner, lane in rows if owner == client_id]
        chosen = own or [lane for owner, lane in rows if owner is None]
        targets = []
        for lane in chosen:
            if lane.owner_client_id not in (None, client_id):
                continue  # another client's BYOK lane can never serve this client
            targets.append(lane_target(self._vault, lane))
        return tuple(t for t in targets if t is not None)

    def _own_lanes(self, session: DbSession, client: Client) -> tuple[list[LaneTarget], set[str]]:
        """The client's verified own keys (newest first) as lanes limited to their purposes, and every purpose
        it ever added a key for (what `refuse` keeps the agency's lanes away from)."""
        keys = session.scalars(
            select(ProviderKey)
            .where(ProviderKey.workspace_id == client.workspace_id, ProviderKey.client_id == client.id)
            .order_by(ProviderKey.id.desc())
        ).all()
        covered = {purpose for key in keys for purpose in key.purposes}
        own = []
        for key in keys:
            lane = session.get(Lane, key.lane_id) if key.status == "verified" and key.lane_id else None
            if lane is None or lane.disabled_at is not None or lane.owner_client_id != client.id:
                continue
            target = lane_target(self._vault, lane)
            if target is not None:
                own.append(dataclasses.replace(target, purposes=tuple(key.purposes)))
        return own, covered


def lane_target(vault: CredentialVault, lane: Lane) -> LaneTarget | None:
    """A lane ready to call, its credential decrypted; None when the credential does not decrypt."""
    api_key = None
    if lane.credential_ciphertext is not None:
        try:
            api_key = vault.decrypt(
                lane.credential_ciphertext, lane_owner(lane.workspace_id, lane.id, lane.owner_client_id)
            )
        except VaultError:
            return None
    return LaneTarget(
        id=lane.id,
        name=lane.name,
        provider=lane.provider,
        base_url=lane.base_url.rstrip("/"),
        api_key=api_key,
        payment=lane.payment,
        models=tuple(lane.models) if lane.models is not None else None,
    )
