"""`Idempotency-Key` on POST: a retry with the same key and body gets the first response again.

Before the view runs, the key is claimed with a placeholder row (status 0) in its own transaction, so two
concurrent requests with one key cannot both act: the second is told 409. After the view, the response is
stored (or, for a 5xx, the claim is dropped so the client can retry). Same key with a different body, or
from another token: 422.

The stored body is sealed with the vault (AES-GCM, associated data: workspace, token and key): the answer to a
create holds the secret it issued (`tga_`, `tg_`, `whsec_`), which must not sit in the database in plain text.

Keys are kept for `RETENTION` (24 h): after that the key is free again. Expired rows are deleted by the
periodic housekeeping job (`AlertService.purge_once`, beside the reservation sweep), and by a new claim in the
workspace. A claim still unanswered after `ABANDONED_AFTER` belonged to a request that died (worker killed,
host lost): the next request takes it over instead of being told 409 until the key expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Final

from flask import Response, g, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import IdempotencyKey
from ..models.base import utcnow
from ..models.idempotency import RETENTION, delete_expired
from ..services import services
from ..vault import VaultError
from ..vault.crypto import idempotency_owner
from .auth import actor
from .problems import Problem

HEADER: Final = "Idempotency-Key"
MAX_KEY_LENGTH: Final = 255
ABANDONED_AFTER: Final = dt.timedelta(minutes=10)
"""Far longer than any admin request may run (gunicorn's worker timeout is shorter)."""


def claim() -> Response | None:
    """`before_request`: replay a stored response, refuse a reuse, or claim the key for this request."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Problem(400, f"{HEADER} must be 1–{MAX_KEY_LENGTH} characters.", {HEADER: ["Invalid length."]})
    workspace_id = actor().workspace_id
    digest = _request_hash()
    now = utcnow()
    with db.engine.begin() as conn:
        stored = conn.execute(
            select(
                IdempotencyKey.request_hash,
                IdempotencyKey.status_code,
                IdempotencyKey.body,
                IdempotencyKey.content_type,
                IdempotencyKey.location,
                IdempotencyKey.created_at,
            ).where(IdempotencyKey.workspace_id == workspace_id, IdempotencyKey.key == key)
        ).first()
        if stored is not None and (
            stored.created_at <= now - RETENTION
            or (stored.status_code == 0 and stored.created_at <= now - ABANDONED_AFTER)
        ):
            gone = conn.execute(
                delete(IdempotencyKey).where(
                    IdempotencyKey.workspace_id == workspace_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.created_at == stored.created_at,
                )
            )
            stored = None if gone.rowcount else stored
        if stored is None:
            delete_expired(conn, now, workspace_id)
            try:
                conn.execute(
                    insert(IdempotencyKey).values(
                        workspace_id=workspace_id, key=key, request_hash=digest, status_code=0, created_at=now
                    )
                )
            except IntegrityError:
                raise Problem(409, "A request with this Idempotency-Key is in progress.") from None
            g.tollgate_idempotency = (workspace_id, key)
            return None
    if stored.request_hash != digest:
        raise Problem(422, f"This {HEADER} was already used with a different request.", {HEADER: ["Reused."]})
    if stored.status_code == 0:
        raise Problem(409, "A request with this Idempotency-Key is in progress.")
    try:
        body = services().vault.open(stored.body, _owner(workspace_id, key)) if stored.body else b""
    except VaultError:  # sealed under a master key no longer configured
        raise Problem(409, f"The answer stored for this {HEADER} can no longer be read; use a new key.") from None
    return _replay(stored.status_code, body, stored.content_type, stored.location)


def store(response: Response) -> Response:
    """`after_request`: keep the response for replays (or release the claim after a server error)."""
    claimed = g.pop("tollgate_idempotency", None)
    if claimed is None:
        return response
    workspace_id, key = claimed
    db.session.rollback()  # whatever the view left uncommitted is not part of its answer
    where = (IdempotencyKey.workspace_id == workspace_id, IdempotencyKey.key == key)
    with db.engine.begin() as conn:
        if response.status_code >= 500:
            conn.execute(delete(IdempotencyKey).where(*where))
        else:
            conn.execute(
                update(IdempotencyKey)
                .where(*where)
                .values(
                    status_code=response.status_code,
                    content_type=response.content_type,
                    location=response.headers.get("Location"),
                    body=services().vault.seal(response.get_data(), _owner(workspace_id, key)),
                )
            )
    return response


def _owner(workspace_id: str, key: str) -> str:
    return idempotency_owner(workspace_id, actor().token_id, key)


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(f"{actor().token_id}\n".encode())  # one token's key never replays its answer to another
    digest.update(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _replay(status: int, body: bytes, content_type: str | None, location: str | None) -> Response:
    response = Response(body, status=status, content_type=content_type)
    if location:
        response.headers["Location"] = location
    response.headers["Idempotent-Replayed"] = "true"
    return response
