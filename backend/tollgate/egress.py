"""The SSRF guard where it cannot be bypassed: on every new outbound connection, for lanes and webhooks alike.

Checking a URL when it is saved is not enough: a name that did not resolve then may resolve to 127.0.0.1 later,
DNS can change (or be rebound) between the check and the call, and a lane saved while private upstreams were
allowed stays in the database when a server starts without them. So the connection classes below look at the
address they actually connected to and refuse an internal one (`upstream_urls.is_internal`) before a byte of
HTTP is sent, unless `TOLLGATE_ALLOW_PRIVATE_UPSTREAMS` is on. (The TCP handshake has happened by then; nothing
else has.) The check costs one `getpeername` per new connection; pooled keep-alive requests pay nothing.

A refusal is an `AddressRefused`, a `NewConnectionError`: urllib3 and requests treat it as a connection that
could not be established, so a lane falls through like an unreachable upstream.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from .upstream_urls import is_internal

log = logging.getLogger(__name__)


class AddressRefused(NewConnectionError):
    """The peer is a loopback, private, link-local or otherwise internal address, and this server allows none."""

    def __init__(self, conn: Any, host: str, address: str) -> None:
        super().__init__(conn, f"{host} is at an internal address ({address}); this server does not allow those")
        self.host = host
        self.address = address

    def __str__(self) -> str:
        return self._message


class AddressGuard:
    """Mixin for urllib3 connection classes: refuse a new connection whose peer is an internal address."""

    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        try:
            address = str(sock.getpeername()[0])
            internal = is_internal(address)
        except (OSError, ValueError) as exc:  # no peer (the connection died already) or not an IP address
            sock.close()
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]
        if internal:
            sock.close()
            log.warning(
                "refused outbound connection to %s: internal address %s (TOLLGATE_ALLOW_PRIVATE_UPSTREAMS is off)",
                self.host,
                address,
            )
            raise AddressRefused(self, self.host, address)
        return sock


class GuardedHTTPConnection(AddressGuard, HTTPConnection):
    pass


class GuardedHTTPSConnection(AddressGuard, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests transport whose connections refuse internal addresses (for webhooks and other outbound calls)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}
