"""The one cheap, real provider call that proves a client's key works: list the provider's models.

Egress goes through the SSRF guard (`egress.GuardedAdapter`, unless private upstreams are allowed), with no
proxy from the environment and no redirects, like webhooks. The outcome is a `Verdict` whose reason a client
can read; it never holds the key (the provider's own message is scrubbed, and the key cut out, before use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from ..egress import AddressRefused, GuardedAdapter
from ..vault.scrub import redact
from .guides import GUIDES

ANTHROPIC_VERSION = "2023-06-01"
_REJECTED = frozenset({401, 403})


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    rejected: bool = False
    """The provider refused the credential itself (as opposed to being unreachable or failing)."""


def request_headers(provider: str, api_key: str) -> dict[str, str]:
    """How each provider takes a key on its models call."""
    if provider == "anthropic":
        return {"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}
    if provider == "gemini":
        return {"x-goog-api-key": api_key}
    return {"Authorization": f"Bearer {api_key}"}


def verify_key(provider: str, base_url: str, api_key: str, allow_private: bool, timeout_s: float = 10.0) -> Verdict:
    guide = GUIDES[provider]
    url = base_url.rstrip("/") + guide.verify_path
    with requests.Session() as session:
        session.trust_env = False
        if not allow_private:
            adapter = GuardedAdapter()
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        try:
            response = session.get(
                url, headers=request_headers(provider, api_key), timeout=timeout_s, allow_redirects=False
            )
        except requests.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, AddressRefused):
                return Verdict(False, f"{guide.name}'s address is internal ({reason.address}); this server refuses it.")
            return Verdict(False, f"{guide.name} could not be reached; try verifying again later.")
        except requests.Timeout:
            return Verdict(False, f"{guide.name} did not answer within {timeout_s:g} s; try verifying again later.")
        except requests.RequestException:
            return Verdict(False, f"The call to {guide.name} failed; check the base URL.")
        return _judge(guide.name, response.status_code, _message(response, api_key))


def _judge(name: str, status: int, message: str) -> Verdict:
    said = f": {message}" if message else ""
    if status == 200:
        return Verdict(True, f"{name} accepted the key.")
    if status in _REJECTED or (status == 400 and "API_KEY_INVALID" in message):
        return Verdict(False, f"{name} rejected the key (HTTP {status}{said}).", rejected=True)
    if status == 429:
        return Verdict(False, f"{name} is rate limiting this key (HTTP 429{said}); verify again later.")
    if 300 <= status < 400:
        return Verdict(False, f"{name} answered with a redirect (HTTP {status}); the base URL must be its API.")
    return Verdict(False, f"{name} answered HTTP {status}{said}.")


def _message(response: requests.Response, api_key: str) -> str:
    """The provider's error message (OpenAI, Anthropic and Google all nest it under `error`), key removed."""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ""
    text = str(error.get("message") or "")
    if any(isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in error.get("details") or ()):
        text += " (API_KEY_INVALID)"
    return redact(text, api_key)[:300]
