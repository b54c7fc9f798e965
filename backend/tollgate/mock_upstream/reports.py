"""A local provider *report* API for reconciliation tests: OpenAI's `GET /v1/organization/costs` and
`/v1/organization/usage/completions`, Anthropic's `GET /v1/organizations/cost_report` and
`/v1/organizations/usage_report/messages`, in their documented shapes, with pagination (`limit` buckets a page,
`has_more`, an opaque `next_page` passed back as `page`).

The state holds what the provider "billed" (day, model, USD); the mock spreads each amount over the line items
the provider would show (OpenAI: "<model>, input" and "<model>, output"; Anthropic: input and output token
costs, in cents as decimal strings). OpenAI's `amount.value` is written as a raw JSON number with all its
digits, so the reader is tested on exact decimals, not floats. Auth as each provider checks it: a bearer
admin key (OpenAI, 401 `invalid_api_key`), `x-api-key` plus `anthropic-version` (Anthropic).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
_RAW = re.compile(r'"__decimal__([-0-9.E+]+)"')


@dataclass(frozen=True)
class BilledLine:
    day: dt.date
    model: str
    amount_usd: Decimal
    scope: str | None = None
    """OpenAI project id / Anthropic workspace id of the cost."""
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0


@dataclass
class ReportMockState:
    admin_key: str = "sk-admin-mock-report-key-0123456789"
    lines: list[BilledLine] = field(default_factory=list)
    max_page_size: int = 7
    """Buckets per page at most (OpenAI's default `limit` is 7), so a month takes several pages."""
    requests: list[dict[str, Any]] = field(default_factory=list)


class ReportMock:
    def __init__(self, state: ReportMockState | None = None) -> None:
        self.state = state or ReportMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        self.state.requests.append({"method": method, "path": path, "query": query})
        openai = {"/v1/organization/costs": self._openai, "/v1/organization/usage/completions": self._openai_usage}
        anthropic = {
            "/v1/organizations/cost_report": self._anthropic,
            "/v1/organizations/usage_report/messages": self._anthropic_usage,
        }
        if method == "GET" and path in openai:
            if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.state.admin_key}":
                return _openai_error(start_response, 401, "Incorrect API key provided.", "invalid_api_key")
            return openai[path](start_response, query)
        if method == "GET" and path in anthropic:
            if environ.get("HTTP_X_API_KEY") != self.state.admin_key:
                return _anthropic_error(start_response, 401, "authentication_error", "invalid x-api-key")
            if not environ.get("HTTP_ANTHROPIC_VERSION"):
                return _anthropic_error(start_response, 400, "invalid_request_error", "anthropic-version required")
            return anthropic[path](start_response, query)
        return _openai_error(start_response, 404, f"Unknown request URL: {method} {path}", "unknown_url")

    def _days(self, start: dt.date, end: dt.date, query: dict[str, list[str]]) -> tuple[list[dt.date], str | None]:
        """This page's days and the next page's token."""
        limit = min(int((query.get("limit") or ["7"])[0]), self.state.max_page_size)
        offset = int(base64.urlsafe_b64decode((query.get("page") or ["MA=="])[0]).decode())
        days = [start + dt.timedelta(days=n) for n in range((end - start).days)]
        page = days[offset : offset + limit]
        more = offset + limit < len(days)
        token = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if more else None
        return page, token

    def _billed(self, day: dt.date, scopes: list[str] | None) -> list[BilledLine]:
        return [line for line in self.state.lines if line.day == day and (not scopes or line.scope in scopes)]

    def _openai(self, start_response: StartResponse, query: dict[str, list[str]]) -> Iterable[bytes]:
        start = dt.datetime.fromtimestamp(int(query["start_time"][0]), dt.UTC).date()
        end = dt.datetime.fromtimestamp(int((query.get("end_time") or [query["start_time"][0]])[0]), dt.UTC).date()
        days, token = self._days(start, end, query)
        by_line_item = "line_item" in (query.get("group_by") or [])
        data = []
        for day in days:
            results = []
            for line in self._billed(day, query.get("project_ids")):
                for part, amount in _split(line.amount_usd):
                    results.append(
                        {
                            "object": "organization.costs.result",
                            "amount": {"value": f"__decimal__{amount}", "currency": "usd"},
                            "line_item": f"{line.model}, {part}" if by_line_item else None,
                            "project_id": None,
                        }
                    )
            begin = dt.datetime.combine(day, dt.time(), dt.UTC)
            data.append(
                {
                    "object": "bucket",
                    "start_time": int(begin.timestamp()),
                    "end_time": int((begin + dt.timedelta(days=1)).timestamp()),
                    "results": results,
                }
            )
        return _json(
            start_response, 200, {"object": "page", "data": data, "has_more": token is not None, "next_page": token}
        )

    def _anthropic(self, start_response: StartResponse, query: dict[str, list[str]]) -> Iterable[bytes]:
        start = dt.datetime.fromisoformat(query["starting_at"][0].replace("Z", "+00:00")).date()
        end = dt.datetime.fromisoformat(query["ending_at"][0].replace("Z", "+00:00")).date()
        days, token = self._days(start, end, query)
        grouped = set(query.get("group_by[]") or [])
        data = []
        for day in days:
            results = []
            for line in self._billed(day, None):
                for part, amount in _split(line.amount_usd):
                    described = "description" in grouped
                    results.append(
                        {
                            "amount": f"{amount * 100:f}",
                            "currency": "USD",
                            "cost_type": "tokens" if described else None,
                            "description": f"{line.model} {part} tokens" if described else None,
                            "model": line.model if described else None,
                            "token_type": ("uncached_input_tokens" if part == "input" else "output_tokens")
                            if described
                            else None,
                            "context_window": "0-200k" if described else None,
                            "service_tier": "standard" if described else None,
                            "workspace_id": line.scope if "workspace_id" in grouped else None,
                        }
                    )
            begin = dt.datetime.combine(day, dt.time(), dt.UTC)
            data.append(
                {
                    "starting_at": begin.isoformat().replace("+00:00", "Z"),
                    "ending_at": (begin + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z"),
                    "results": results,
                }
            )
        return _json(start_response, 200, {"data": data, "has_more": token is not None, "next_page": token})

    def _openai_usage(self, start_response: StartResponse, query: dict[str, list[str]]) -> Iterable[bytes]:
        start = dt.datetime.fromtimestamp(int(query["start_time"][0]), dt.UTC).date()
        end = dt.datetime.fromtimestamp(int((query.get("end_time") or [query["start_time"][0]])[0]), dt.UTC).date()
        days, token = self._days(start, end, query)
        by_model = "model" in (query.get("group_by") or [])
        data = []
        for day in days:
            results = [
                {
                    "object": "organization.usage.completions.result",
                    "input_tokens": line.input_tokens,
                    "output_tokens": line.output_tokens,
                    "input_cached_tokens": 0,
                    "input_audio_tokens": 0,
                    "output_audio_tokens": 0,
                    "num_model_requests": line.requests,
                    "project_id": None,
                    "user_id": None,
                    "api_key_id": None,
                    "model": line.model if by_model else None,
                    "batch": None,
                }
                for line in self._billed(day, query.get("project_ids"))
            ]
            begin = dt.datetime.combine(day, dt.time(), dt.UTC)
            data.append(
                {
                    "object": "bucket",
                    "start_time": int(begin.timestamp()),
                    "end_time": int((begin + dt.timedelta(days=1)).timestamp()),
                    "results": results,
                }
            )
        page = {"object": "page", "data": data, "has_more": token is not None, "next_page": token}
        return _json(start_response, 200, page)

    def _anthropic_usage(self, start_response: StartResponse, query: dict[str, list[str]]) -> Iterable[bytes]:
        start = dt.datetime.fromisoformat(query["starting_at"][0].replace("Z", "+00:00")).date()
        end = dt.datetime.fromisoformat(query["ending_at"][0].replace("Z", "+00:00")).date()
        days, token = self._days(start, end, query)
        grouped = set(query.get("group_by[]") or [])
        data = []
        for day in days:
            results = []
            for line in self._billed(day, None):
                cached = line.input_tokens // 4  # a quarter read from the cache, as Anthropic splits input
                results.append(
                    {
                        "uncached_input_tokens": line.input_tokens - cached,
                        "cache_read_input_tokens": cached,
                        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
                        "output_tokens": line.output_tokens,
                        "server_tool_use": {"web_search_requests": 0},
                        "model": line.model if "model" in grouped else None,
                        "workspace_id": line.scope if "workspace_id" in grouped else None,
                        "api_key_id": None,
                        "service_tier": None,
                        "context_window": None,
                    }
                )
            begin = dt.datetime.combine(day, dt.time(), dt.UTC)
            data.append(
                {
                    "starting_at": begin.isoformat().replace("+00:00", "Z"),
                    "ending_at": (begin + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z"),
                    "results": results,
                }
            )
        return _json(start_response, 200, {"data": data, "has_more": token is not None, "next_page": token})


def _split(amount: Decimal) -> list[tuple[str, Decimal]]:
    """An amount as the input and output line items a provider shows (a third input, the rest output)."""
    part = (amount / 3).quantize(Decimal("0.0000000001"))
    return [("input", part), ("output", amount - part)]


def _json(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    text = _RAW.sub(lambda m: m.group(1), json.dumps(payload))
    data = text.encode()
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}.get(status, "Status")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _openai_error(start_response: StartResponse, status: int, message: str, code: str) -> list[bytes]:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return _json(start_response, status, {"error": error})


def _anthropic_error(start_response: StartResponse, status: int, kind: str, message: str) -> list[bytes]:
    return _json(start_response, status, {"type": "error", "error": {"type": kind, "message": message}})
