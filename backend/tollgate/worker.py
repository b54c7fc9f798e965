"""gunicorn's gevent worker, with a graceful stop that does not wait on idle keep-alive connections, and
JSON instead of gunicorn's HTML error pages.

gunicorn's gevent worker stops by waiting until no connection is open, up to `graceful_timeout`. A keep-alive
connection idling between requests counts as open for up to `keepalive` seconds (75 here, longer than the
30 s graceful timeout, as load balancers need). Any keep-alive client therefore made every stop run into
the master's SIGKILL, and `worker_exit` (which drains the request-log queue) never ran: rows were lost.
This worker closes connections that are waiting for their next request as soon as the stop begins, and
refuses to start waiting on one afterwards; requests in flight still finish normally.

gunicorn answers requests it cannot hand to the application itself (a request line over `limit_request_line`:
414, headers over `limit_request_field_size`: 431, malformed HTTP: 400) with a small HTML page. Clients of
this server expect JSON: OpenAI's error shape under /v1, problem details under /api. The path is often unknown
at that point (the request line was never read whole), so one document serves both: an RFC 9457 problem with
an `error` member in OpenAI's shape (problem details allow extension members; OpenAI's SDKs read `error`).
gunicorn still decides the status, logs and writes the access line; only the page it writes is replaced.

Imported only by `tollgate serve`, after gevent has patched the standard library.
"""

from __future__ import annotations

import json
from typing import Any

import gevent
from gunicorn import util
from gunicorn.workers.ggevent import GeventWorker


class _IdleWait:
    """gunicorn enters `timeout_ctx()` only around the wait for the next request on a connection."""

    def __init__(self, worker: GatewayWorker) -> None:
        self._worker = worker
        self._timeout = gevent.Timeout(worker.cfg.keepalive, False)
        self._greenlet: Any = None

    def __enter__(self) -> _IdleWait:
        if not self._worker.alive:
            raise StopIteration  # gunicorn's keep-alive loop treats it as "close this connection"
        self._greenlet = gevent.getcurrent()
        self._worker.idle[self._greenlet] = self._timeout
        self._timeout.start()
        return self

    def __exit__(self, *exc_info: object) -> bool:
        self._worker.idle.pop(self._greenlet, None)
        self._timeout.close()
        # A Timeout made with exception=False ends the wait silently (gunicorn then sees no request).
        return exc_info[1] is self._timeout


class _PageCapture:
    """Stands in for the client socket while gunicorn writes its error page, keeping the page instead of
    sending it; everything else goes to the real socket."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.page = b""

    def gettimeout(self) -> float:
        return 0.0  # gunicorn's write_nonblock then writes at once, through sendall below

    def sendall(self, data: bytes) -> None:
        self.page += data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


_DETAILS = {
    400: "The request is not valid HTTP/1.1.",
    414: "The request line (method, path and query string) is longer than this server accepts ({line} bytes).",
    431: "The request headers are larger than this server accepts ({field} bytes a header, {fields} headers).",
    500: "The server hit an internal error; it has been logged.",
}


def error_page(status: int, reason: str, limits: dict[str, int]) -> bytes:
    """A complete HTTP response (it closes the connection, as gunicorn's page did) whose body is both a problem
    document and an OpenAI error."""
    detail = _DETAILS.get(status, f"{reason}.").format(**limits)
    code = reason.lower().replace(" ", "_").replace("-", "_")
    body = json.dumps(
        {
            "type": "about:blank",
            "title": reason,
            "status": status,
            "detail": detail,
            "error": {
                "message": detail,
                "type": "server_error" if status >= 500 else "invalid_request_error",
                "param": None,
                "code": code,
            },
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class GatewayWorker(GeventWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle: dict[Any, gevent.Timeout] = {}

    def timeout_ctx(self) -> _IdleWait:
        return _IdleWait(self)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        capture = _PageCapture(client)
        super().handle_error(req, capture, addr, exc)
        status_line = capture.page.split(b"\r\n", 1)[0].split(b" ", 2)  # HTTP/1.1 414 URI Too Long
        if len(status_line) < 3 or not status_line[1].isdigit():
            return
        status, reason = int(status_line[1]), status_line[2].decode("latin-1")
        limits = {
            "line": self.cfg.limit_request_line,
            "field": self.cfg.limit_request_field_size,
            "fields": self.cfg.limit_request_fields,
        }
        try:
            util.write_nonblock(client, error_page(status, reason, limits))
        except Exception:
            self.log.debug("Failed to send error message.")

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        for greenlet, timeout in list(self.idle.items()):
            greenlet.kill(timeout, block=False)  # ends the idle wait as if keepalive had expired
