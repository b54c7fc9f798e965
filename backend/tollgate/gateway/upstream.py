"""Pooled keep-alive HTTP to upstreams, with urllib3 directly (measurably cheaper per request than requests).

One connection pool per lane and base URL, created on first use and shared by every request of the process.
Retries and redirects are off: falling through to the next lane is the gateway's decision, not urllib3's.
Unless private upstreams are allowed, every new connection refuses an internal peer address (`egress`), so a
lane reaches only what the SSRF policy allows whatever its base URL resolves to at the time of the call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, connection_from_url
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ProtocolError, TimeoutError

from ..egress import AddressGuard
from .context import LaneTarget
from .cooldown import LaneCooldowns


class _CoalescingMixin:
    """Send the request line, the headers and a bytes body in one write.

    urllib3 writes headers and body separately: two syscalls per request, and a system call costs tens of
    microseconds on virtualised hosts like ours. Handing the body over with the header block makes it one.
    """

    _tollgate_body: bytes | None = None

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any) -> None:
        if isinstance(body, bytes) and body:
            self._tollgate_body = body
            headers = {**(headers or {}), "Content-Length": str(len(body))}
            try:
                super().request(method, url, None, headers, **kw)  # type: ignore[misc]
            finally:
                self._tollgate_body = None
            return
        super().request(method, url, body, headers, **kw)  # type: ignore[misc]

    def send(self, data: Any) -> None:
        body = self._tollgate_body
        if body is not None:
            self._tollgate_body = None
            data = data + body
        super().send(data)  # type: ignore[misc]


class CoalescingHTTPConnection(_CoalescingMixin, HTTPConnection):
    pass


class CoalescingHTTPSConnection(_CoalescingMixin, HTTPSConnection):
    pass


class GuardedCoalescingHTTPConnection(AddressGuard, _CoalescingMixin, HTTPConnection):
    pass


class GuardedCoalescingHTTPSConnection(AddressGuard, _CoalescingMixin, HTTPSConnection):
    pass


_CONNECTIONS: dict[tuple[bool, bool], type[HTTPConnection]] = {
    (False, True): CoalescingHTTPConnection,
    (True, True): CoalescingHTTPSConnection,
    (False, False): GuardedCoalescingHTTPConnection,
    (True, False): GuardedCoalescingHTTPSConnection,
}
"""(https, private upstreams allowed) → the connection class of a lane's pool."""


class UpstreamTimeout(Exception):
    def __init__(self, timeout_s: float | None = None) -> None:
        super().__init__(timeout_s)
        self.timeout_s = timeout_s
        """The timeout that ran out (connect or read); None: the read timeout."""


class UpstreamUnreachable(Exception):
    pass


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: urllib3.HTTPHeaderDict
    raw: urllib3.BaseHTTPResponse

    def read_all(self) -> bytes:
        try:
            return self.raw.data
        except TimeoutError as exc:
            raise UpstreamTimeout() from exc
        except (ProtocolError, HTTPError, OSError) as exc:
            raise UpstreamUnreachable(type(exc).__name__) from exc
        finally:
            self.raw.release_conn()

    def iter_chunks(self) -> Iterator[bytes]:
        """Chunks as they arrive: each HTTP chunk of a chunked body, else whatever the socket has."""
        raw = self.raw
        if raw.chunked and isinstance(raw, urllib3.HTTPResponse) and raw.supports_chunked_reads():
            yield from raw.read_chunked(decode_content=True)
            return
        while True:
            data = raw.read1(65536)
            if not data:
                return
            yield data

    def close(self) -> None:
        """Drop the connection: mid-stream it cannot be reused, and closing stops upstream generation."""
        self.raw.close()
        self.raw.release_conn()


class UpstreamPools:
    def __init__(
        self, connect_timeout_s: float, read_timeout_s: float, maxsize: int, allow_private: bool = False
    ) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self._maxsize = maxsize
        self.allow_private = allow_private
        """Connect to loopback/private/link-local peers too (local mocks); off: such connections are refused."""
        self._pools: dict[tuple[str, str], HTTPConnectionPool] = {}
        self._lock = threading.Lock()
        self.cooldowns = LaneCooldowns()
        """Lanes whose upstream asked for a pause (Retry-After); the router tries them last."""

    def _pool(self, lane: LaneTarget, url: str) -> HTTPConnectionPool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        key = (lane.id, origin)
        pool = self._pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._pools.get(key)
                if pool is None:
                    pool = connection_from_url(
                        origin,
                        maxsize=self._maxsize,
                        block=False,
                        timeout=urllib3.Timeout(connect=self.connect_timeout_s, read=self.read_timeout_s),
                        retries=False,
                    )
                    pool.ConnectionCls = _CONNECTIONS[(parts.scheme == "https", self.allow_private)]
                    self._pools[key] = pool
        return pool

    def send(
        self,
        lane: LaneTarget,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        stream: bool,
    ) -> UpstreamResponse:
        pool = self._pool(lane, url)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            raw = pool.urlopen(
                method,
                path,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                preload_content=False,
                decode_content=True,
                assert_same_host=False,
            )
        except NewConnectionError as exc:  # refused, unresolvable: checked first, it subclasses ConnectTimeoutError
            raise UpstreamUnreachable(type(exc).__name__) from exc
        except ConnectTimeoutError as exc:
            raise UpstreamTimeout(self.connect_timeout_s) from exc
        except TimeoutError as exc:
            raise UpstreamTimeout(self.read_timeout_s) from exc
        except (ProtocolError, HTTPError, OSError) as exc:
            raise UpstreamUnreachable(type(exc).__name__) from exc
        return UpstreamResponse(raw.status, raw.headers, raw)

    def clear(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
