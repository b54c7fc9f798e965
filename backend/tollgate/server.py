"""Production serving: gunicorn with gevent workers, the app built in each worker after the fork."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings
from .vault import scrub

ACCESS_LOG_FORMAT = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
"""With TOLLGATE_ACCESS_LOG=1: client address, time, method, path (no query string), status, bytes, ms, agent."""


class GatewayServer(BaseApplication):
    def __init__(self, settings: Settings, extra: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.extra = extra or {}
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "worker_class": "tollgate.worker.GatewayWorker",  # gevent, with a stop that skips idle keep-alives
            "worker_connections": 2000,
            "keepalive": 75,
            "timeout": 0,  # streams may run long; gevent workers heartbeat on their own
            "graceful_timeout": 30,
            # Off by default: the request logs are the access log, and a line per request costs CPU. When on, the
            # path without its query string (%(U)s, not %(r)s) and no referer: nothing that could carry a secret.
            "accesslog": "-" if self.settings.access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "errorlog": "-",
            # gunicorn's most (default 4094): a query string the API must refuse with a problem document (an
            # over-long cursor, `q`, ...) reaches the app instead of gunicorn's HTML 414.
            "limit_request_line": 8190,
            "loglevel": "info",
            "worker_exit": _worker_exit,
            "post_worker_init": _post_worker_init,
            # gunicorn's control socket defaults to one path per user: two servers (tests, bench) would collide.
            "control_socket_disable": True,
            **self.extra,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app(self.settings)


def _post_worker_init(worker: Any) -> None:
    """gunicorn's own loggers get the secret scrubber too (the app installs it on the root logger only)."""
    for name in ("gunicorn.access", "gunicorn.error"):
        scrub.install(logging.getLogger(name))


def _worker_exit(server: Any, worker: Any) -> None:
    """Drain the request-log queue before the worker goes: a clean stop loses no log row."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None)
    if extensions and "tollgate" in extensions:
        extensions["tollgate"].log_writer.close()
        extensions["tollgate"].usage_writer.close()


def serve(settings: Settings, **extra: Any) -> None:
    GatewayServer(settings, extra).run()
