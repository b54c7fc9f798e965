"""/admin-tokens: bearer tokens for this API (owner only). The secret is returned once; delete revokes."""

from __future__ import annotations

from typing import Any

from ... import provisioning
from ...extensions import db
from ...models import AdminToken
from ...services import services
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..pagination import paginate
from ..problems import abort
from ..schemas.workspace import (
    AdminTokenCreatedSchema,
    AdminTokenListArgs,
    AdminTokenPageSchema,
    AdminTokenSchema,
    AdminTokenUpdateSchema,
)
from ..scope import get_or_404, live_client_or_404, scoped

bp = admin_blueprint("admin_tokens", __name__, "Admin tokens: who may use this API, with which role.")
_public = AdminTokenSchema()


@bp.route("/admin-tokens", methods=["GET"])
@requires("owner")
@bp.arguments(AdminTokenListArgs, location="query")
@bp.response(200, AdminTokenPageSchema)
def list_tokens(args: dict[str, Any]) -> dict[str, Any]:
    """List admin tokens (prefix and last 4 only)."""
    query = scoped(AdminToken)
    if args.get("role"):
        query = query.where(AdminToken.role == args["role"])
    if not args["include_revoked"]:
        query = query.where(AdminToken.revoked_at.is_(None))
    return paginate(query, AdminToken, args)


@bp.route("/admin-tokens", methods=["POST"])
@requires("owner")
@bp.arguments(AdminTokenSchema)
@bp.response(201, AdminTokenCreatedSchema)
def create_token(data: dict[str, Any]) -> dict[str, Any]:
    """Issue a token. A `client` token needs `client_id` (not archived) and sees only that client. An
    `expires_at` at or before now is accepted and makes a token that is expired at once, as for sub-keys: the
    document cannot say "in the future"."""
    if data.get("client_id"):
        live_client_or_404(data["client_id"])
    issued = provisioning.issue_admin_token(
        db.session,
        services().hasher,
        actor().workspace_id,
        data["name"],
        data["role"],
        client_id=data.get("client_id"),
        actor=actor().label,
    )
    with db.session.no_autoflush:  # an autoflush would write the audit event before commit() stamps its IP
        token = get_or_404(AdminToken, issued.id)
    token.expires_at = data.get("expires_at")
    commit()
    fields = {name: getattr(token, name) for name in _public.dump_fields if hasattr(token, name)}
    return fields | {"secret": issued.secret}


@bp.route("/admin-tokens/<token_id>", methods=["GET"])
@requires("owner")
@bp.response(200, AdminTokenSchema)
def get_token(token_id: str) -> AdminToken:
    """Get one admin token."""
    return get_or_404(AdminToken, token_id)


@bp.route("/admin-tokens/<token_id>", methods=["PATCH"])
@requires("owner")
@bp.arguments(AdminTokenUpdateSchema)
@bp.response(200, AdminTokenSchema)
def update_token(data: dict[str, Any], token_id: str) -> AdminToken:
    """Rename a token."""
    token = get_or_404(AdminToken, token_id)
    if data.get("role", token.role) != token.role:  # no demotion of the last owner (if `role` becomes patchable)
        try:
            provisioning.keep_an_owner(db.session, token)
        except provisioning.LastOwnerError as exc:
            abort(409, str(exc))
    before = snapshot(_public, token)
    for name, value in data.items():
        setattr(token, name, value)
    record("admin_token.update", "admin_token", token.id, *changed_fields(before, snapshot(_public, token)))
    commit()
    return token


@bp.route("/admin-tokens/<token_id>", methods=["DELETE"])
@requires("owner")
@bp.response(204)
def revoke_token(token_id: str) -> None:
    """Revoke a token now (it stays listed with `include_revoked=true`).

    The workspace's last active owner token cannot be revoked (409): issue another owner token first. Locked out
    anyway? `tollgate create-token --role owner` on the server issues one."""
    token = get_or_404(AdminToken, token_id)
    if token.revoked_at is None:
        try:
            provisioning.revoke_admin_token(db.session, token, actor=actor().label)
        except provisioning.LastOwnerError as exc:
            abort(409, str(exc))
        commit()
