"""`tollgate.track`: report LLM usage that did not pass through the gateway, without slowing the caller.

    from tollgate.track import Tracker

    tracker = Tracker("https://gateway.example.com", "tga_...")
    response = openai_client.chat.completions.create(...)
    tracker.track(client="acme", project="support-triage", model=response.model, usage=response.usage)

`track()` only puts the event on an in-memory queue and returns its event id; a daemon thread sends batches
to POST /api/v1/usage-events (one request per `batch_size` events or `flush_interval_s`), retries network
errors, 429 and 5xx with backoff (event ids make resends harmless), resends the rest of a batch when the
server refuses some of its events (those are logged and dropped), and `close()` — registered with atexit —
sends what is left. When the queue is full the event is dropped with a warning rather than blocking.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import queue
import threading
import time
import uuid
from typing import Any

import requests

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_PER_EVENT = frozenset({404, 409, 422})
"""Refusals of a whole batch for some of its events (unknown or archived client, invalid event), named by index."""


class Tracker:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        batch_size: int = 100,
        flush_interval_s: float = 1.0,
        timeout_s: float = 10.0,
        max_queue: int = 10_000,
        max_attempts: int = 4,
        session: requests.Session | None = None,
    ) -> None:
        self._url = base_url.rstrip("/") + "/api/v1/usage-events"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._batch_size = max(1, min(batch_size, 1000))
        self._interval = flush_interval_s
        self._timeout = timeout_s
        self._attempts = max_attempts
        self._session = session or requests.Session()
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=max_queue)
        self._unsent = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        atexit.register(self.close)

    def track(
        self,
        *,
        client: str,
        model: str,
        usage: Any = None,
        project: str | None = None,
        provider: str = "openai",
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_input_tokens: int = 0,
        reasoning_tokens: int = 0,
        event_id: str | None = None,
        timestamp: dt.datetime | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Queue one usage event; returns its event id. Never blocks, never raises for delivery problems."""
        event = {
            "event_id": event_id or uuid.uuid4().hex,
            "timestamp": (timestamp or dt.datetime.now(dt.UTC)).isoformat(),
            "client": client,
            "project": project,
            "provider": provider,
            "model": model,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cached_input_tokens": cached_input_tokens,
            "reasoning_tokens": reasoning_tokens,
            "usage": _plain(usage),
            "metadata": metadata,
        }
        if self._closed:
            log.warning("tollgate tracker is closed; usage event %s dropped", event["event_id"])
            return str(event["event_id"])
        self._ensure_thread()
        try:
            with self._lock:
                self._queue.put_nowait(event)
                self._unsent += 1
        except queue.Full:
            log.warning("tollgate tracker queue is full; usage event %s dropped", event["event_id"])
        return str(event["event_id"])

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued event is sent (or given up on). True when nothing is left."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._unsent and time.monotonic() < deadline:
                self._lock.wait(min(0.05, max(deadline - time.monotonic(), 0.001)))
            return self._unsent == 0

    def close(self, timeout_s: float = 10.0) -> None:
        """Send what is queued, then stop accepting events."""
        if not self._closed:
            self.flush(timeout_s)
            self._closed = True

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="tollgate-tracker", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._collect()
            if batch:
                self._send(batch)
                with self._lock:
                    self._unsent -= len(batch)
                    self._lock.notify_all()

    def _collect(self) -> list[dict[str, Any]]:
        try:
            batch = [self._queue.get(timeout=self._interval)]
        except queue.Empty:
            return []
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _send(self, batch: list[dict[str, Any]]) -> None:
        attempt = 0
        while batch and attempt < self._attempts:
            body = {"events": [{k: v for k, v in e.items() if v is not None} for e in batch]}
            try:
                response = self._session.post(self._url, json=body, headers=self._headers, timeout=self._timeout)
            except requests.RequestException as exc:
                log.warning("tollgate usage events not sent (%s); retrying", type(exc).__name__)
            else:
                if response.status_code < 300:
                    return
                refused = _refused_events(response, len(batch)) if response.status_code in _PER_EVENT else None
                if refused:
                    # the server refuses the whole batch for one bad event: drop those, resend the others now
                    for index in sorted(refused):
                        log.error("tollgate rejected usage event %s: %s", batch[index]["event_id"], refused[index])
                    batch = [e for i, e in enumerate(batch) if i not in refused]
                    continue
                if response.status_code not in _RETRY_STATUSES:
                    log.error("tollgate rejected %d usage events: %s", len(batch), response.text[:500])
                    return
            time.sleep(min(2**attempt * 0.5, 8.0))
            attempt += 1
        if batch:
            log.error("tollgate usage events dropped after %d attempts (%d events)", self._attempts, len(batch))


def _refused_events(response: requests.Response, size: int) -> dict[int, Any]:
    """The events a problem names by index (`errors.events.<i>`), with their messages; {} when it names none."""
    try:
        errors = response.json().get("errors", {}).get("events")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(errors, dict) or not all(str(k).isdigit() for k in errors):
        return {}
    return {int(k): v for k, v in errors.items() if int(k) < size}


def _plain(usage: Any) -> dict[str, Any] | None:
    """An OpenAI SDK usage object (pydantic) or a dict, as a plain dict."""
    if usage is None or isinstance(usage, dict):
        return usage
    dump = getattr(usage, "model_dump", None)
    if callable(dump):
        result: dict[str, Any] = dump(exclude_none=True)
        return result
    return dict(vars(usage))
