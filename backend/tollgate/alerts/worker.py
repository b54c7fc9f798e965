"""The background jobs: evaluate alert rules, deliver due webhooks, release expired budget reservations, delete
expired idempotency keys (their stored answers), and the 1st-of-month run of reports and invoice drafts.

Embedded mode (no REDIS_URL): every `interval_s` each server process runs all of them beside the request handlers,
never in them; events are deduplicated, deliveries claimed and holds deleted before release, so several
processes never fire, send or release twice. With REDIS_URL the same methods run as rq jobs (`tollgate.jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..budgets.ledger import Ledger
from ..models.base import utcnow
from ..models.idempotency import delete_expired
from ..vault import CredentialVault
from .evaluate import evaluate
from .webhooks import Poster, deliver_due, http_poster

log = logging.getLogger(__name__)


class AlertService:
    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        vault: CredentialVault,
        interval_s: float = 30.0,
        allow_private: bool = False,
        post: Poster | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        sweeps: Sequence[Callable[[], int]] = (),
    ) -> None:
        self._engine = engine
        self._sweeps = sweeps
        """More clean-ups run with the reservation sweep (background responses nobody polls)."""
        self._ledger = ledger
        self._vault = vault
        self.interval_s = interval_s
        self.allow_private = allow_private
        self.post = post or http_poster(allow_private)
        self.clock = clock
        self._pid: int | None = None
        self._stop = threading.Event()

    def run_once(self) -> tuple[int, int]:
        """One pass: (events fired, deliveries attempted); expired reservations are released and expired
        idempotency keys deleted too."""
        fired = self.evaluate_once()
        attempted = self.deliver_once()
        self.sweep_once()
        self.purge_once()
        return fired, attempted

    def evaluate_once(self) -> int:
        """Evaluate every rule; returns how many events fired (each queued for delivery)."""
        with Session(self._engine) as session:
            return len(evaluate(session, self._ledger, self.clock()))

    def deliver_once(self) -> int:
        """Attempt every due webhook delivery once; returns how many were attempted."""
        with Session(self._engine) as session:
            return deliver_due(session, self._vault, self.clock(), self.post, self.allow_private)

    def sweep_once(self) -> int:
        """Release budget reservations left by processes that died between admit and settle; settle background
        responses that finished unpolled."""
        released = self._ledger.sweep()
        for sweep in self._sweeps:
            try:
                sweep()
            except Exception:
                log.exception("sweep %s failed; retrying next pass", getattr(sweep, "__qualname__", sweep))
        return released

    def purge_once(self) -> int:
        """Delete idempotency keys past their retention (with the answers they kept), in every workspace: a key
        nobody retries must not keep its stored answer until the next claim in its workspace."""
        with self._engine.begin() as conn:
            return delete_expired(conn, self.clock())

    def close_month_once(self) -> int:
        """The 1st-of-month run: previous-month reports and invoice drafts not made yet (claimed: made once)."""
        from ..monthly_close import close_previous_month

        with Session(self._engine) as session:
            return close_previous_month(session, self.clock())

    def reconcile_once(self) -> int:
        """Scheduled reconciliation of lanes with a report credential (reconciliation/scheduled.py)."""
        from ..reconciliation.provider_api import requests_getter
        from ..reconciliation.scheduled import run_due

        with Session(self._engine) as session:
            return run_due(session, self._vault, requests_getter(self.allow_private), self.clock())

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
                self.close_month_once()
                self.reconcile_once()
            except Exception:
                log.exception("alert pass failed; retrying in %.0fs", self.interval_s)
