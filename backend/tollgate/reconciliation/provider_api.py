"""Fetching a provider's own cost report (and its usage report's token counts), day by day, following its
pagination (`has_more` / `next_page`).

OpenAI: `GET {base}/organization/costs` (admin key as a bearer token; `start_time`/`end_time` in Unix seconds,
`bucket_width=1d`, `group_by=line_item`, optionally `project_ids`); each result's `amount.value` is a JSON
number in USD and `line_item` reads "<model>, input" / "<model>, output". Anthropic: `GET
{base}/v1/organizations/cost_report` (Admin API key in `x-api-key`; RFC 3339 `starting_at`/`ending_at`,
`group_by[]=description` and `workspace_id`); each `amount` is a decimal string in cents.

Amounts are parsed as Decimal from the raw JSON text (`json.loads(parse_float=Decimal)`): a float would turn
0.1 into 0.1000000000000000055…, and a month of them would not add up. HTTP goes through a `Getter` so the
transport (requests behind the SSRF guard in production) is one small function.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from .compare import ProviderLine

Getter = Callable[[str, dict[str, str]], tuple[int, bytes]]
"""(url with query, headers) → (HTTP status, body). Raises OSError-like exceptions on network failure."""
MAX_PAGES = 200
"""A report that keeps saying `has_more` past this many pages is treated as broken, not followed forever."""
PAGE_LIMIT = 31
ANTHROPIC_VERSION = "2023-06-01"
UNATTRIBUTED = "(unattributed)"
"""The model of a cost the report does not tie to one (a tool fee, a line item without a model)."""
SUPPORTED = ("openai", "anthropic")


class ReportError(Exception):
    """The provider's report could not be read: said as a sentence fit for the API's problem detail."""


@dataclass(frozen=True, slots=True)
class ReportQuery:
    base_url: str
    admin_key: str
    start: dt.date
    end: dt.date
    """Last day included."""
    scope: str | None = None
    """OpenAI project id / Anthropic workspace id the lane's key belongs to; None: the whole organization."""


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Tokens a provider's usage report counts for one UTC day and model (input includes cached input)."""

    day: dt.date
    model: str
    input_tokens: int
    output_tokens: int


def fetch_usage(provider: str, query: ReportQuery, get: Getter) -> list[UsageLine]:
    """The provider's token counts per UTC day and model, to tell a price difference (same tokens, other
    money) from a metering one (other tokens): OpenAI's `GET {base}/organization/usage/completions`
    (`group_by=model`), Anthropic's `GET {base}/v1/organizations/usage_report/messages` (`group_by[]=model`)."""
    start = dt.datetime.combine(query.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    if provider == "openai":
        params = [
            ("start_time", str(int(start.timestamp()))),
            ("end_time", str(int(end.timestamp()))),
            ("bucket_width", "1d"),
            ("group_by", "model"),
            ("limit", str(PAGE_LIMIT)),
        ] + ([("project_ids", query.scope)] if query.scope else [])
        url = query.base_url.rstrip("/") + "/organization/usage/completions"
        headers = {"Authorization": f"Bearer {query.admin_key}", "Accept": "application/json"}
        return [
            UsageLine(
                _day(dt.datetime.fromtimestamp(_number(bucket, "start_time"), dt.UTC)),
                _model(result.get("model")),
                _count(result, "input_tokens"),
                _count(result, "output_tokens"),
            )
            for bucket in _pages(url, params, headers, get, "OpenAI")
            for result in bucket.get("results") or []
        ]
    if provider == "anthropic":
        params = [
            ("starting_at", start.isoformat().replace("+00:00", "Z")),
            ("ending_at", end.isoformat().replace("+00:00", "Z")),
            ("bucket_width", "1d"),
            ("group_by[]", "model"),
            ("group_by[]", "workspace_id"),
            ("limit", str(PAGE_LIMIT)),
        ]
        url = query.base_url.rstrip("/") + "/v1/organizations/usage_report/messages"
        headers = {"x-api-key": query.admin_key, "anthropic-version": ANTHROPIC_VERSION, "Accept": "application/json"}
        return [
            UsageLine(
                _day(_timestamp(bucket.get("starting_at"))),
                _model(result.get("model")),
                _anthropic_input(result),
                _count(result, "output_tokens"),
            )
            for bucket in _pages(url, params, headers, get, "Anthropic")
            for result in bucket.get("results") or []
            if not query.scope or result.get("workspace_id") == query.scope
        ]
    raise ReportError(f"Reconciliation over the API supports {', '.join(SUPPORTED)} lanes, not '{provider}'.")


def _anthropic_input(result: dict[str, Any]) -> int:
    """Anthropic splits input into uncached, cache reads and cache writes (5-minute and 1-hour)."""
    found = result.get("cache_creation")
    creation: dict[str, Any] = found if isinstance(found, dict) else {}
    return (
        _count(result, "uncached_input_tokens")
        + _count(result, "cache_read_input_tokens")
        + _count(creation, "ephemeral_5m_input_tokens")
        + _count(creation, "ephemeral_1h_input_tokens")
    )


def _count(result: dict[str, Any], name: str) -> int:
    value = result.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"The usage report has a `{name}` that is not a token count: {value!r}.")
    return value


def _model(value: Any) -> str:
    return value if isinstance(value, str) and value else UNATTRIBUTED


def fetch_costs(provider: str, query: ReportQuery, get: Getter) -> list[ProviderLine]:
    if provider == "openai":
        return list(_openai_costs(query, get))
    if provider == "anthropic":
        return list(_anthropic_costs(query, get))
    raise ReportError(f"Reconciliation over the API supports {', '.join(SUPPORTED)} lanes, not '{provider}'.")


def _openai_costs(query: ReportQuery, get: Getter) -> Iterator[ProviderLine]:
    start = dt.datetime.combine(query.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    params: list[tuple[str, str]] = [
        ("start_time", str(int(start.timestamp()))),
        ("end_time", str(int(end.timestamp()))),
        ("bucket_width", "1d"),
        ("group_by", "line_item"),
        ("limit", str(PAGE_LIMIT)),
    ]
    if query.scope:
        params.append(("project_ids", query.scope))
    url = query.base_url.rstrip("/") + "/organization/costs"
    headers = {"Authorization": f"Bearer {query.admin_key}", "Accept": "application/json"}
    for bucket in _pages(url, params, headers, get, "OpenAI"):
        day = _day(dt.datetime.fromtimestamp(_number(bucket, "start_time"), dt.UTC))
        for result in bucket.get("results") or []:
            amount = result.get("amount") or {}
            currency = str(amount.get("currency") or "usd").lower()
            if currency != "usd":
                raise ReportError(f"OpenAI reported a cost in '{currency}'; only USD can be reconciled.")
            yield ProviderLine(
                day, openai_model(result.get("line_item")), _decimal(amount.get("value"), "amount.value")
            )


def openai_model(line_item: Any) -> str:
    """ "gpt-4o-mini-2024-07-18, input" → "gpt-4o-mini-2024-07-18"; no line item → UNATTRIBUTED."""
    if not isinstance(line_item, str) or not line_item.strip():
        return UNATTRIBUTED
    return line_item.rsplit(", ", 1)[0].strip() if ", " in line_item else line_item.strip()


def _anthropic_costs(query: ReportQuery, get: Getter) -> Iterator[ProviderLine]:
    start = dt.datetime.combine(query.start, dt.time(), dt.UTC)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    params = [
        ("starting_at", start.isoformat().replace("+00:00", "Z")),
        ("ending_at", end.isoformat().replace("+00:00", "Z")),
        ("bucket_width", "1d"),
        ("group_by[]", "description"),
        ("group_by[]", "workspace_id"),
        ("limit", str(PAGE_LIMIT)),
    ]
    url = query.base_url.rstrip("/") + "/v1/organizations/cost_report"
    headers = {"x-api-key": query.admin_key, "anthropic-version": ANTHROPIC_VERSION, "Accept": "application/json"}
    for bucket in _pages(url, params, headers, get, "Anthropic"):
        day = _day(_timestamp(bucket.get("starting_at")))
        for result in bucket.get("results") or []:
            if query.scope and result.get("workspace_id") != query.scope:
                continue
            currency = str(result.get("currency") or "USD").upper()
            if currency != "USD":
                raise ReportError(f"Anthropic reported a cost in '{currency}'; only USD can be reconciled.")
            cents = _decimal(result.get("amount"), "amount")
            yield ProviderLine(day, _model(result.get("model")), cents / 100)


def _pages(
    url: str, params: list[tuple[str, str]], headers: dict[str, str], get: Getter, who: str
) -> Iterator[dict[str, Any]]:
    """Every bucket of every page; `next_page` goes back as `page`."""
    page: str | None = None
    for _ in range(MAX_PAGES):
        query = params + ([("page", page)] if page else [])
        try:
            status, body = get(f"{url}?{urlencode(query)}", headers)
        except OSError as exc:
            raise ReportError(f"{who}'s report API could not be reached ({type(exc).__name__}).") from exc
        document = _document(status, body, who)
        for bucket in document.get("data") or []:
            if isinstance(bucket, dict):
                yield bucket
        if not document.get("has_more"):
            return
        page = document.get("next_page")
        if not isinstance(page, str) or not page:
            raise ReportError(f"{who}'s report said has_more without a next_page.")
    raise ReportError(f"{who}'s report kept paginating past {MAX_PAGES} pages.")


def _document(status: int, body: bytes, who: str) -> dict[str, Any]:
    try:
        document = json.loads(body, parse_float=Decimal)
    except ValueError:
        document = None
    if status != 200:
        message = _error_message(document)
        raise ReportError(f"{who}'s report API answered HTTP {status}" + (f": {message}" if message else "."))
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise ReportError(f"{who}'s report API answered with a body that is not a report page.")
    return document


def _error_message(document: Any) -> str | None:
    error = document.get("error") if isinstance(document, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message)[:300] if message else None


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise ReportError(f"The report has a `{name}` that is not a number: {value!r}.")
    try:
        amount = Decimal(value)
    except ArithmeticError as exc:
        raise ReportError(f"The report has a `{name}` that is not a number: {value!r}.") from exc
    if not amount.is_finite():
        raise ReportError(f"The report has a `{name}` that is not a finite number.")
    return amount


def _number(bucket: dict[str, Any], name: str) -> int:
    value = bucket.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportError(f"The report has a bucket without an integer `{name}`.")
    return value


def _timestamp(value: Any) -> dt.datetime:
    try:
        found = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ReportError(f"The report has a bucket start that is not an RFC 3339 time: {value!r}.") from exc
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


def _day(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.UTC).date()


def requests_getter(allow_private: bool, timeout_s: float = 30.0) -> Getter:
    """GET with requests: no redirects, no proxy from the environment and, unless private upstreams are allowed,
    the SSRF guard on every connection (as lanes and webhooks)."""

    def get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
        import requests

        from ..egress import GuardedAdapter

        with requests.Session() as session:
            session.trust_env = False
            if not allow_private:
                adapter = GuardedAdapter()
                session.mount("http://", adapter)
                session.mount("https://", adapter)
            try:
                response = session.get(url, headers=headers, timeout=timeout_s, allow_redirects=False)
            except requests.RequestException as exc:
                raise OSError(str(type(exc).__name__)) from exc
            return int(response.status_code), response.content

    return get
