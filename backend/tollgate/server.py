"""Production serving: gunicorn with gevent workers, the app built in each worker after the fork."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings
from .gateway.invalidation import share_with_forked_workers


class GatewayServer(BaseApplication):
    def __init__(self, settings: Settings, extra: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.extra = extra or {}
        super().__init__()

    def load_config(self) -> None:
        share_with_forked_workers()  # in the master, before the fork: workers tell each other of key changes
        options = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "worker_class": "tollgate.worker.GatewayWorker",  # gevent, with a stop that skips idle keep-alives
            "worker_connections": 2000,
            "keepalive": 75,
            "timeout": 0,  # streams may run long; gevent workers heartbeat on their own
            "graceful_timeout": 30,
            "accesslog": None,  # request logs are the access log; a line per request would cost CPU
            "errorlog": "-",
            # gunicorn's most (default 4094): a query string the API must refuse with a problem document (an
            # over-long cursor, `q`, ...) reaches the app instead of gunicorn's HTML 414.
            "limit_request_line": 8190,
            "loglevel": "info",
            "worker_exit": _worker_exit,
            # gunicorn's control socket defaults to one path per user: two servers (tests, bench) would collide.
            "control_socket_disable": True,
            **self.extra,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from .app import create_app

        return create_app(self.settings)


def _worker_exit(server: Any, worker: Any) -> None:
    """Drain the request-log queue before the worker goes: a clean stop loses no log row."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None)
    if extensions and "tollgate" in extensions:
        extensions["tollgate"].log_writer.close()
        extensions["tollgate"].usage_writer.close()


def serve(settings: Settings, **extra: Any) -> None:
    GatewayServer(settings, extra).run()
