"""The in-process alert job: every `interval_s`, evaluate rules and deliver due webhooks. It runs beside the
request handlers, never in them. Under gunicorn each worker process runs one; events are deduplicated and
deliveries claimed, so several processes never fire or send twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..budgets.ledger import Ledger
from ..models.base import utcnow
from ..vault import CredentialVault
from .evaluate import evaluate
from .webhooks import Poster, deliver_due, http_post

log = logging.getLogger(__name__)


class AlertService:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        vault: CredentialVault,
        interval_s: float = 30.0,
        allow_private: bool = False,
        post: Poster = http_post,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._vault = vault
        self.interval_s = interval_s
        self.allow_private = allow_private
        self.post = post
        self.clock = clock
        self._pid: int | None = None
        self._stop = threading.Event()

    def run_once(self) -> tuple[int, int]:
        """One pass: (events fired, deliveries attempted)."""
        now = self.clock()
        with Session(self._engine) as session:
            events = evaluate(session, self._ledger, now)
            attempted = deliver_due(session, self._vault, now, self.post, self.allow_private)
        return len(events), attempted

    def start(self) -> None:
        """Start the loop in this process (idempotent; a forked child starts its own)."""
        if self.interval_s <= 0 or self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._stop = threading.Event()
        try:
            from gevent import monkey

            if monkey.is_module_patched("threading"):
                import gevent

                gevent.spawn(self._loop)  # cooperative: webhook HTTP yields to requests
                return
        except ImportError:
            pass
        threading.Thread(target=self._loop, name="tollgate-alerts", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                log.exception("alert pass failed; retrying in %.0fs", self.interval_s)
