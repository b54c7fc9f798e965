"""/sub-keys: issue (secret shown once), list, change, revoke, rotate with an overlap window.

A client token manages its own client's keys within the limits the agency set (`key_policy`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, or_

from ... import provisioning
from ...budgets import manage
from ...extensions import db
from ...models import Project, SubKey
from ...models.base import utcnow
from ...services import services
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..changes import changed_fields, commit, record, snapshot
from ..key_policy import check_expiry, check_models
from ..pagination import contains, paginate
from ..problems import abort
from ..schemas.sub_keys import (
    RotateSchema,
    SubKeyCreatedSchema,
    SubKeyListArgs,
    SubKeyPageSchema,
    SubKeySchema,
    SubKeyUpdateSchema,
)
from ..scope import forced_client_id, get_or_404, live_client_or_404, scoped

bp = admin_blueprint("sub_keys", __name__, "Sub-keys: the tg_... keys clients use on the OpenAI-compatible /v1.")
_public = SubKeySchema()


def key_status(key: SubKey, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if key.revoked_at is not None:
        return "revoked" if key.revoked_at <= now else "revoking"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _view(key: SubKey, secret: str | None = None) -> dict[str, Any]:
    return {c: getattr(key, c) for c in _COLUMNS} | {"status": key_status(key)} | ({"secret": secret} if secret else {})


_COLUMNS = (
    "id",
    "created_at",
    "client_id",
    "project_id",
    "name",
    "allowed_models",
    "expires_at",
    "last4",
    "revoked_at",
    "agency_allowed_models",
    "agency_expires_at",
)


@bp.route("/sub-keys", methods=["GET"])
@requires("read", client=True)
@bp.arguments(SubKeyListArgs, location="query")
@bp.response(200, SubKeyPageSchema)
def list_sub_keys(args: dict[str, Any]) -> dict[str, Any]:
    """List sub-keys (never their secrets), filtered by client, project, status or name."""
    query = scoped(SubKey)
    client_id = forced_client_id(args.get("client_id"))
    if client_id:
        query = query.where(SubKey.client_id == client_id)
    if args.get("project_id"):
        query = query.where(SubKey.project_id == args["project_id"])
    if args.get("q"):
        query = query.where(contains(SubKey.name, args["q"]))
    page = paginate(_with_status(query, args["status"]), SubKey, args)
    return page | {"data": [_view(k) for k in page["data"]]}


def _with_status(query: Select[Any], status: str) -> Select[Any]:
    now = utcnow()
    live = or_(SubKey.revoked_at.is_(None), SubKey.revoked_at > now)
    unexpired = or_(SubKey.expires_at.is_(None), SubKey.expires_at > now)
    if status == "active":
        return query.where(live, unexpired)
    if status == "revoked":
        return query.where(SubKey.revoked_at <= now)
    if status == "expired":
        return query.where(live, SubKey.expires_at <= now)
    return query


@bp.route("/sub-keys", methods=["POST"])
@requires("write", client=True)
@bp.arguments(SubKeySchema)
@bp.response(201, SubKeyCreatedSchema)
def create_sub_key(data: dict[str, Any]) -> dict[str, Any]:
    """Issue a sub-key for a client (and optionally one of its projects). The secret is in this response only.

    A client token's key gets the client's key policy: `allowed_models` must stay within the client's
    `key_allowed_models` (403 otherwise) and defaults to it; that list becomes the key's `agency_allowed_models`."""
    client = live_client_or_404(data["client_id"])
    project = _project_of(client.id, data.get("project_id"))
    models = data.get("allowed_models")
    by_client = actor().client_id is not None
    if by_client:  # within the client's key policy; none asked for: the policy's list
        models = client.key_allowed_models if models is None else models
        check_models(models, client.key_allowed_models)
    issued = provisioning.issue_sub_key(
        db.session,
        services().hasher,
        client,
        data["name"],
        project=project,
        allowed_models=models,
        expires_at=data.get("expires_at"),
        actor=actor().label,
    )
    with db.session.no_autoflush:  # an autoflush would write the audit event before commit() stamps its IP
        key = get_or_404(SubKey, issued.id)
    if by_client:  # what the client chose is not the agency's limit; the policy is
        key.agency_allowed_models, key.agency_expires_at = client.key_allowed_models, None
    commit()
    return _view(key, issued.secret)


def _project_of(client_id: str, project_id: str | None) -> Project | None:
    if project_id is None:
        return None
    project = get_or_404(Project, project_id)
    if project.client_id != client_id:  # for this client no such project exists: 404, as for an unknown id
        abort(
            404,
            f"No project with id '{project_id}' for this client.",
            {"project_id": ["Not a project of this client."]},
        )
    if project.archived_at is not None:
        abort(409, f"The project '{project_id}' is archived.")
    return project


@bp.route("/sub-keys/<key_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, SubKeySchema)
def get_sub_key(key_id: str) -> dict[str, Any]:
    """Get one sub-key (prefix and last 4 characters only)."""
    return _view(get_or_404(SubKey, key_id))


@bp.route("/sub-keys/<key_id>", methods=["PATCH"])
@requires("write", client=True)
@bp.arguments(SubKeyUpdateSchema)
@bp.response(200, SubKeySchema)
def update_sub_key(data: dict[str, Any], key_id: str) -> dict[str, Any]:
    """Rename a sub-key, change its allowed models or its expiry.

    An agency role's `allowed_models` and `expires_at` become the key's `agency_*` limits. A client token may
    only narrow `allowed_models` within `agency_allowed_models` and within its client's `key_allowed_models`
    policy (whenever the key was minted), and only bring `expires_at` forward to at most `agency_expires_at`
    (403 otherwise)."""
    key = get_or_404(SubKey, key_id)
    if actor().client_id is not None:
        if "allowed_models" in data:
            check_models(data["allowed_models"], key.agency_allowed_models)
            check_models(data["allowed_models"], live_client_or_404(key.client_id).key_allowed_models)
        if "expires_at" in data:
            check_expiry(data["expires_at"], key.agency_expires_at)
    else:
        for name in ("allowed_models", "expires_at"):
            if name in data:
                setattr(key, f"agency_{name}", data[name])
    before = snapshot(_public, _view(key))
    for name, value in data.items():
        setattr(key, name, value)
    record("sub_key.update", "sub_key", key.id, *changed_fields(before, snapshot(_public, _view(key))))
    commit()
    return _view(key)


@bp.route("/sub-keys/<key_id>", methods=["DELETE"])
@requires("write", client=True)
@bp.response(204)
def revoke_sub_key(key_id: str) -> None:
    """Revoke a sub-key now. Revoking a revoked key changes nothing."""
    key = get_or_404(SubKey, key_id)
    if key.revoked_at is None or key.revoked_at > utcnow():
        provisioning.revoke_sub_key(db.session, key, actor=actor().label)
        commit()


@bp.route("/sub-keys/<key_id>/rotate", methods=["POST"])
@requires("write", client=True)
@bp.arguments(RotateSchema, required=False)  # every field has a default: a bare POST rotates
@bp.response(201, SubKeyCreatedSchema)
def rotate_sub_key(data: dict[str, Any], key_id: str) -> dict[str, Any]:
    """Issue a replacement key with the same settings; the old one keeps working for `overlap_seconds`.

    Everything scoped to the key carries over in the same transaction: project binding, allowed models,
    expiry, the agency's limits, and its budgets (same budget rows, so the spend so far still counts) and rate
    limits, which keep applying to the old key too while it overlaps."""
    old = get_or_404(SubKey, key_id)
    if key_status(old) in ("revoked", "expired"):
        abort(409, "Only a live key can be rotated.")
    if old.revoked_at is not None:  # in its overlap: its settings and limits live on its replacement now
        abort(409, "This key was rotated already and stops working at its overlap's end; rotate its replacement.")
    client = live_client_or_404(old.client_id)
    issued = provisioning.issue_sub_key(
        db.session,
        services().hasher,
        client,
        old.name,
        project=db.session.get(Project, old.project_id) if old.project_id else None,
        allowed_models=old.allowed_models,
        expires_at=old.expires_at,
        actor=actor().label,
        lineage_id=old.lineage_id,
    )
    with db.session.no_autoflush:  # an autoflush would write the audit event before commit() stamps its IP
        new = get_or_404(SubKey, issued.id)
        new.agency_allowed_models, new.agency_expires_at = old.agency_allowed_models, old.agency_expires_at
        moved = manage.carry_key_limits(db.session, old.workspace_id, old.id, new.id)
    ends = utcnow() + dt.timedelta(seconds=data["overlap_seconds"])
    if old.revoked_at is None or old.revoked_at > ends:
        provisioning.revoke_sub_key(db.session, old, actor=actor().label, at=ends)
    after = {"replaced_by": issued.id, "revoked_at": ends.isoformat(), "limits_moved": moved}
    record("sub_key.rotate", "sub_key", old.id, after=after)
    commit()
    return _view(new, issued.secret)
