"""GET /v1/models in Anthropic's shape, for a caller speaking Anthropic's API (its SDK's `client.models.list()`
and `retrieve()`): `{data: [{type, id, display_name, created_at}], has_more, first_id, last_id}`, paged by
`limit` (1–1000, default 20), `after_id` and `before_id` as Anthropic pages it. Pure: the catalog's entries
(OpenAI's shape) in, Anthropic's out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import errors
from .errors import GatewayError

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


def model_object(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One catalog entry as Anthropic's ModelInfo; `created_at` from OpenAI's `created` (0: unknown → the epoch)."""
    created = entry.get("created")
    created = created if isinstance(created, int) else 0
    at = dt.datetime.fromtimestamp(created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": "model", "id": entry["id"], "display_name": entry["id"], "created_at": at}


def model_page(entries: list[dict[str, Any]], args: Mapping[str, str]) -> dict[str, Any] | GatewayError:
    """One page: after `after_id` (or before `before_id`), at most `limit` models, in the catalog's order."""
    raw_limit = args.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return errors.bad_request(f"limit: must be an integer from 1 to {MAX_LIMIT}.", "limit")
    limit = int(raw_limit)
    ids = [entry["id"] for entry in entries]
    after, before = args.get("after_id"), args.get("before_id")
    if after is not None and before is not None:
        return errors.bad_request("Send after_id or before_id, not both.", "after_id")
    for name, ref in (("after_id", after), ("before_id", before)):
        if ref is not None and ref not in ids:
            return errors.bad_request(f"{name}: no model '{ref}' in this list.", name)
    if before is not None:
        end = ids.index(before)
        start = max(0, end - limit)
        page, has_more = entries[start:end], start > 0
    else:
        start = ids.index(after) + 1 if after is not None else 0
        page, has_more = entries[start : start + limit], start + limit < len(entries)
    data = [model_object(entry) for entry in page]
    return {
        "data": data,
        "has_more": has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }
