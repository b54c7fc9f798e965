"""A client's own provider keys (BYOK), self-service with the client's token: add (verified at once with a cheap
real provider call), verify again, revoke; rotate by adding with `replaces`. Also the per-provider guides to
making a least-access key, and the per-client BYOK choices. The views are thin: `byok.service` does the work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...byok import service
from ...byok.guides import GUIDES
from ...extensions import db
from ...models import Client, ProviderKey
from ...services import services
from ...upstream_urls import upstream_url_problem
from ..auth import actor, requires
from ..blueprint import admin_blueprint
from ..pagination import paginate
from ..problems import abort
from ..schemas.provider_keys import (
    ByokSettingsSchema,
    ByokSettingsUpdateSchema,
    ProviderGuideListSchema,
    ProviderKeyListArgs,
    ProviderKeyPageSchema,
    ProviderKeySchema,
)
from ..scope import client_or_404, live_client_or_404

bp = admin_blueprint(
    "provider_keys", __name__, "Bring your own key: a client's own provider keys, verified before they serve."
)


def _by() -> service.By:
    settings = services().settings
    return service.By(
        actor().label, actor().ip, settings.allow_private_upstreams, settings.upstream_connect_timeout_s * 2
    )


def _key_or_404(client: Client, key_id: str) -> ProviderKey:
    key = db.session.get(ProviderKey, key_id)
    if key is None or key.client_id != client.id or key.workspace_id != client.workspace_id:
        abort(404, f"No provider key with id '{key_id}' for this client.")
    return key


def _run(call: Any, *args: Any) -> Any:
    """Map a `ByokError` to an RFC 9457 problem."""
    try:
        return call(*args)
    except service.ByokError as exc:
        db.session.rollback()
        abort(exc.status, str(exc), {exc.field: [str(exc)]} if exc.field else None)


@bp.route("/provider-key-guides", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ProviderGuideListSchema)
def list_guides() -> dict[str, Any]:
    """How to create a key at each provider with the least access it needs, and how Tollgate checks it."""
    return {
        "data": [
            {
                "provider": g.provider,
                "name": g.name,
                "purposes": list(g.purposes),
                "default_base_url": g.default_base_url,
                "verify_call": f"GET {g.default_base_url}{g.verify_path} ({g.auth_header})",
                "models": list(g.models),
                "create_url": g.create_url,
                "steps": list(g.steps),
                "least_access": g.least_access,
            }
            for g in GUIDES.values()
        ]
    }


@bp.route("/clients/<client_id>/provider-keys", methods=["GET"])
@requires("read", client=True)
@bp.arguments(ProviderKeyListArgs, location="query")
@bp.response(200, ProviderKeyPageSchema)
def list_keys(args: dict[str, Any], client_id: str) -> dict[str, Any]:
    """List the client's own provider keys (never the keys themselves: last 4 and fingerprint)."""
    client = client_or_404(client_id)
    query = select(ProviderKey).where(
        ProviderKey.workspace_id == client.workspace_id, ProviderKey.client_id == client.id
    )
    if args.get("status"):
        query = query.where(ProviderKey.status == args["status"])
    return paginate(query, ProviderKey, args)


@bp.route("/clients/<client_id>/provider-keys", methods=["POST"])
@requires("write", client=True)
@bp.arguments(ProviderKeySchema)
@bp.response(201, ProviderKeySchema)
def add_key(data: dict[str, Any], client_id: str) -> ProviderKey:
    """Add a provider key for chat, images or voice. It is encrypted, then verified with a cheap real call to the
    provider (it lists models); the answer shows `verified` (it serves the client's traffic from now on, ahead
    of the agency's lanes) or `failed` with a readable `status_reason`. With `replaces`, the old key stops in
    the same commit the new one is verified (rotation without downtime)."""
    client = live_client_or_404(client_id)
    if len(set(data["purposes"])) != len(data["purposes"]):
        abort(422, "A purpose may appear only once.", {"purposes": ["Duplicate purpose."]})
    if data.get("base_url"):
        problem = upstream_url_problem(data["base_url"], services().settings.allow_private_upstreams)
        if problem:
            abort(422, "The key has invalid fields: base_url.", {"base_url": [problem]})
    replaces = _key_or_404(client, data["replaces"]) if data.get("replaces") else None
    new = service.NewKey(
        provider=data["provider"],
        purposes=data["purposes"],
        api_key=data["api_key"],
        label=data.get("label"),
        base_url=data.get("base_url"),
        models=data.get("models"),
        replaces=replaces,
    )
    key: ProviderKey = _run(service.add_key, db.session, services().vault, client, new, _by())
    return key


@bp.route("/clients/<client_id>/provider-keys/<provider_key_id>", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ProviderKeySchema)
def get_key(client_id: str, provider_key_id: str) -> ProviderKey:
    """Get one key: its status and, when it failed, why."""
    return _key_or_404(client_or_404(client_id), provider_key_id)


@bp.route("/clients/<client_id>/provider-keys/<provider_key_id>/verify", methods=["POST"])
@requires("write", client=True)
@bp.response(200, ProviderKeySchema)
def verify_key(client_id: str, provider_key_id: str) -> ProviderKey:
    """Verify the key again (409 once it is revoked or replaced): a key that failed because the provider could
    not be reached serves again once this succeeds."""
    key = _key_or_404(live_client_or_404(client_id), provider_key_id)
    verified: ProviderKey = _run(service.reverify, db.session, services().vault, key, _by())
    return verified


@bp.route("/clients/<client_id>/provider-keys/<provider_key_id>", methods=["DELETE"])
@requires("write", client=True)
@bp.response(204)
def revoke_key(client_id: str, provider_key_id: str) -> None:
    """Revoke the key: it stops serving at once and the stored credential is erased. The client's traffic falls
    back as the agency set (its lanes, or refused) and a `byok.failed` event fires. Delete the key at the
    provider too."""
    key = _key_or_404(client_or_404(client_id), provider_key_id)
    service.revoke(db.session, services().vault, key, _by())


@bp.route("/clients/<client_id>/byok-settings", methods=["GET"])
@requires("read", client=True)
@bp.response(200, ByokSettingsSchema)
def get_settings(client_id: str) -> dict[str, Any]:
    """The client's choice (`use`) and the agency's rule (`fallback`)."""
    return service.settings_of(client_or_404(client_id))


@bp.route("/clients/<client_id>/byok-settings", methods=["PATCH"])
@requires("write", client=True)
@bp.arguments(ByokSettingsUpdateSchema)
@bp.response(200, ByokSettingsSchema)
def update_settings(data: dict[str, Any], client_id: str) -> dict[str, Any]:
    """Change `use` (the client or the agency) or `fallback` (the agency only: a client token gets 403). Takes
    effect on the client's next request; audited."""
    client = client_or_404(client_id)
    agency = actor().client_id is None
    _run(service.update_settings, db.session, client, data, _by(), agency)
    return service.settings_of(client)
