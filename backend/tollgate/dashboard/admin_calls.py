"""The dashboard's only way to read or change anything: the admin API itself, called in-process.

Every page and form goes through the same views as `/api/v1` (validation, role and client scoping, audit
events, webhooks, cache invalidation), so the dashboard holds no second copy of any rule. The caller is the
session's `Actor`, handed over in the WSGI environ (`TRUSTED_ACTOR_ENVIRON`), which no HTTP request can set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from werkzeug.test import Client

from ..admin.auth import TRUSTED_ACTOR_ENVIRON, Actor
from ..admin.blueprint import API_PREFIX


@dataclass(frozen=True)
class Answer:
    """What the admin API answered: status, parsed JSON (or None), raw bytes and headers for downloads."""

    status: int
    body: Any
    data: bytes
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def problem(self) -> str:
        """The RFC 9457 problem's words, with the field errors, for a flash message."""
        if not isinstance(self.body, dict):
            return f"The request failed ({self.status})."
        detail = str(self.body.get("detail") or self.body.get("title") or f"Failed ({self.status}).")
        errors = self.body.get("errors")
        if isinstance(errors, dict):
            detail += " " + "; ".join(f"{name}: {words}" for name, words in _field_errors(errors))
        return detail


def _field_errors(errors: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A problem's `errors`, nested ones (a lane's `capacity.window_s`) flattened to dotted field names."""
    found: list[tuple[str, str]] = []
    for name, value in errors.items():
        if isinstance(value, dict):
            found.extend(_field_errors(value, f"{prefix}{name}."))
        else:
            found.append((f"{prefix}{name}", " ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return found


class AdminCalls:
    """Calls `/api/v1/...` as `who`; paths are given without the `/api/v1` prefix."""

    def __init__(self, who: Actor) -> None:
        self._who = who

    def call(self, method: str, path: str, *, query: Any = None, json: Any = None) -> Answer:
        client = Client(current_app._get_current_object())  # type: ignore[attr-defined]
        response = client.open(
            API_PREFIX + path,
            base_url=request.host_url,  # links the API makes (share links) name the host the person uses
            method=method,
            query_string=query,
            json=json,
            environ_overrides={TRUSTED_ACTOR_ENVIRON: self._who, "REMOTE_ADDR": request.remote_addr or ""},
        )
        try:
            data = response.get_data()
            body = response.get_json(silent=True) if response.is_json else None
            return Answer(response.status_code, body, data, dict(response.headers))
        finally:
            response.close()

    def get(self, path: str, **query: Any) -> Any:
        """A read the page cannot do without: its JSON body, or the problem raised as `AdminError`."""
        answer = self.call("GET", path, query={k: v for k, v in query.items() if v not in (None, "")})
        if not answer.ok:
            raise AdminError(answer)
        return answer.body

    def all(self, path: str, limit: int = 200, **query: Any) -> list[dict[str, Any]]:
        """Every row of a cursor-paginated listing (capped at `limit` rows: a dashboard page, not an export)."""
        rows: list[dict[str, Any]] = []
        cursor = None
        while len(rows) < limit:
            page = self.get(path, limit=min(100, limit - len(rows)), cursor=cursor, **query)
            rows.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return rows


class AdminError(Exception):
    """A read the admin API refused (404 for another client's id, 403 for a role): the page answers the same."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.problem)
        self.answer = answer
