"""Who a request is for: client and project from the key, refined by headers, `user` and `metadata`.

A key can only attribute inside its own client: naming another client, or a project the client does not
have, or another project than the key is bound to, is refused rather than silently ignored, so a misrouted
workflow shows up at once instead of in next month's report. Pure: no Flask, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..vault.scrub import scrub
from . import errors
from .context import KeyContext

METADATA_CLIENT = "tollgate_client"
METADATA_PROJECT = "tollgate_project"
_MAX_METADATA_KEYS = 16
_MAX_KEY_LEN = 64
_MAX_VALUE_LEN = 512


class HeaderLookup(Protocol):
    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Attribution:
    client_id: str
    project_id: str | None
    end_user: str | None
    metadata: dict[str, str] | None


def attribute(
    ctx: KeyContext, headers: HeaderLookup, body: Mapping[str, Any], anthropic: bool = False
) -> Attribution | errors.GatewayError:
    """`anthropic`: the body is Anthropic's Messages API, whose end user is `metadata.user_id` (OpenAI's is
    `user`, or `safety_identifier`)."""
    metadata = _metadata(body.get("metadata"))
    client_ref = headers.get("X-Client-ID") or (metadata or {}).get(METADATA_CLIENT)
    if client_ref and client_ref not in (ctx.client_id, ctx.client_slug):
        return errors.attribution_denied(
            "This key belongs to another client; X-Client-ID must name the key's own client.", "X-Client-ID"
        )
    project_ref = headers.get("X-Project-ID") or (metadata or {}).get(METADATA_PROJECT)
    project_id = ctx.project_id
    if project_ref:
        named = ctx.projects.get(project_ref)
        if named is None:
            return errors.attribution_denied(
                f"Project '{project_ref}' does not exist for this key's client.", "X-Project-ID"
            )
        if ctx.project_id is not None and named != ctx.project_id:
            return errors.attribution_denied("This key is bound to another project.", "X-Project-ID")
        project_id = named
    user = (metadata or {}).get("user_id") if anthropic else body.get("user") or body.get("safety_identifier")
    return Attribution(
        client_id=ctx.client_id,
        project_id=project_id,
        end_user=scrub(user)[:256] if isinstance(user, str) and user else None,  # stored and shown like metadata
        metadata=metadata,
    )


def _metadata(value: Any) -> dict[str, str] | None:
    """OpenAI's own limits (16 pairs, 64-char keys, 512-char values); anything else is not kept in logs. Values
    shaped like a secret are redacted (before the cut, which could leave a secret's head unrecognisable): metadata
    is stored in the request log and shown in the admin API."""
    if not isinstance(value, dict) or not value:
        return None
    kept: dict[str, str] = {}
    for key, item in value.items():
        if len(kept) >= _MAX_METADATA_KEYS:
            break
        if isinstance(key, str) and isinstance(item, str):
            kept[scrub(key)[:_MAX_KEY_LEN]] = scrub(item)[:_MAX_VALUE_LEN]  # scrub first: a cut may split a secret
    return kept or None
