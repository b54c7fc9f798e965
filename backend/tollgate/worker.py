"""gunicorn's gevent worker, with a graceful stop that does not wait on idle keep-alive connections.

gunicorn's gevent worker stops by waiting until no connection is open, up to `graceful_timeout`. A keep-alive
connection idling between requests counts as open for up to `keepalive` seconds (75 here, longer than the
30 s graceful timeout, as load balancers need). Any keep-alive client therefore made every stop run into
the master's SIGKILL, and `worker_exit` (which drains the request-log queue) never ran: rows were lost.
This worker closes connections that are waiting for their next request as soon as the stop begins, and
refuses to start waiting on one afterwards; requests in flight still finish normally.

Imported only by `tollgate serve`, after gevent has patched the standard library.
"""

from __future__ import annotations

from typing import Any

import gevent
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


class GatewayWorker(GeventWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle: dict[Any, gevent.Timeout] = {}

    def timeout_ctx(self) -> _IdleWait:
        return _IdleWait(self)

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        for greenlet, timeout in list(self.idle.items()):
            greenlet.kill(timeout, block=False)  # ends the idle wait as if keepalive had expired
