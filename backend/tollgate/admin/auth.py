"""Who is calling, and may they call this endpoint.

Every admin view declares its access rule with `@requires(...)`; the blueprint's `before_request` hook
authenticates the bearer token and enforces that rule before the view runs. A view without a rule is refused
(fail closed), so forgetting the decorator can never open an endpoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from flask import current_app, g, request
from sqlalchemy import select, update

from ..extensions import db
from ..models import AdminToken, Client
from ..models.base import utcnow
from ..services import services
from ..vault.tokens import ADMIN_TOKEN_PREFIX, SUB_KEY_PREFIX, bearer_token, is_well_formed
from .problems import Problem

Level = Literal["read", "write", "owner"]
F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR: Final = "tollgate_access"
TRUSTED_ACTOR_ENVIRON: Final = "tollgate.trusted_actor"
"""WSGI environ key under which an in-process caller (the web dashboard) hands the admin API an `Actor` it has
already authenticated from its session. A WSGI server only ever puts strings from the HTTP request into the
environ, so a request from outside can never carry an `Actor` object here."""
_ROLES_FOR: Final[dict[str, frozenset[str]]] = {
    "read": frozenset({"viewer", "admin", "owner"}),
    "write": frozenset({"admin", "owner"}),
    "owner": frozenset({"owner"}),
}
_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class AccessRule:
    level: Level
    client: bool
    """True when a client-scoped token may call it (the view then limits itself to that client)."""

    def allows(self, role: str) -> bool:
        if role == "client":
            return self.client and self.level != "owner"
        return role in _ROLES_FOR[self.level]


@dataclass(frozen=True)
class Actor:
    token_id: str
    workspace_id: str
    role: str
    client_id: str | None
    ip: str | None

    @property
    def label(self) -> str:
        return f"token:{self.token_id}"


def requires(level: Level, *, client: bool = False) -> Callable[[F], F]:
    """Declare who may call a view: `read` (viewer+), `write` (admin+), `owner`; `client=True` admits client tokens."""

    def mark(view: F) -> F:
        setattr(view, ACCESS_ATTR, AccessRule(level, client))
        return view

    return mark


def actor() -> Actor:
    found: Actor = g.tollgate_actor
    return found


def authorize() -> None:
    """`before_request` of every admin blueprint: authenticate, then check the view's access rule."""
    if request.method == "OPTIONS":
        return None
    trusted = request.environ.get(TRUSTED_ACTOR_ENVIRON)
    found = trusted if isinstance(trusted, Actor) else authenticate(request.headers.get("Authorization"))
    g.tollgate_actor = found
    view = current_app.view_functions.get(request.endpoint or "")
    rule: AccessRule | None = getattr(view, ACCESS_ATTR, None)
    if rule is None or not rule.allows(found.role):
        raise Problem(403, f"A token with role '{found.role}' may not do this.")
    return None


def authenticate(header: str | None) -> Actor:
    token = bearer_token(header)
    if token is None:
        raise _unauthorized("Send an admin token as 'Authorization: Bearer tga_...'.")
    if not is_well_formed(token, ADMIN_TOKEN_PREFIX):
        raise _unauthorized(_wrong_kind(token) or "The admin token is malformed.")
    digest = services().hasher.hash(token)
    return _actor_of(db.session.scalars(select(AdminToken).where(AdminToken.token_hash == digest)).first())


def actor_for_token_id(token_id: str) -> Actor:
    """The actor of a token already proven once (a dashboard session holds its id, never its secret): checked
    again on every request, so revoking the token, its expiry or archiving its client ends the session too."""
    return _actor_of(db.session.get(AdminToken, token_id))


def _actor_of(row: AdminToken | None) -> Actor:
    now = utcnow()
    if row is None or _ended(row.revoked_at, now) or _ended(row.expires_at, now):
        raise _unauthorized("The admin token is unknown, revoked or expired.")
    if row.client_id is not None and _client_archived(row.client_id):
        raise Problem(
            403,
            f"This token's client '{row.client_id}' is archived: its tokens are refused until an agency role "
            "unarchives it (POST /api/v1/clients/{id}/unarchive).",
        )
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        db.session.execute(update(AdminToken).where(AdminToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return Actor(row.id, row.workspace_id, row.role, row.client_id, request.remote_addr)


def _client_archived(client_id: str) -> bool:
    """A client token acts for its client; once the agency archives the client, the token has nothing to act for."""
    return db.session.scalar(select(Client.archived_at).where(Client.id == client_id)) is not None


def _wrong_kind(token: str) -> str | None:
    """What to say when the bearer is another kind of key (by its prefix only; the key itself is never echoed)."""
    if token.startswith(SUB_KEY_PREFIX):
        return "This is a gateway sub-key (tg_…); the admin API takes an admin token (tga_…)."
    if token.startswith("sk-"):
        return (
            "This is a provider API key (sk-…); the admin API takes an admin token (tga_…). "
            "Provider keys belong in a lane's api_key."
        )
    return None


def _ended(moment: dt.datetime | None, now: dt.datetime) -> bool:
    return moment is not None and moment <= now


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="tollgate-admin"'})
