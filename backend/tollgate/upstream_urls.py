"""SSRF guard for lane base URLs: http(s) only, and no loopback, private, link-local or otherwise internal
address unless the operator allows private upstreams (`TOLLGATE_ALLOW_PRIVATE_UPSTREAMS`, for local mocks).

This is the check made when a lane or a webhook URL is saved, for early feedback: a host name is checked by
what it resolves to now, and a name that does not resolve is accepted. It is not what keeps internal addresses
out: DNS can change after the check, and the setting can change after the save. Every outbound connection
checks the address it actually reached (`egress`), so those cases are refused when the call is made.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str], Iterable[str]]


def _resolve(host: str) -> list[str]:
    try:
        infos: list[Any] = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def upstream_url_problem(url: str, allow_private: bool, resolve: Resolver = _resolve) -> str | None:
    """Why `url` may not be a lane's base URL, or None when it may."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "Not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Only http and https URLs are allowed."
    if not host:
        return "The URL needs a host."
    if parts.username or parts.password:
        return "Put credentials in the lane's api_key, not in the URL."
    if allow_private:
        return None
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            return "Loopback upstreams are not allowed on this server."
        addresses = list(resolve(host))
    if any(is_internal(a) for a in addresses):
        return "The host is a private, loopback or link-local address; this server does not allow those."
    return None
