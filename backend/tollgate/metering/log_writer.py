"""The background writer for request logs: the request thread enqueues and never waits.

Records are priced and inserted in batches by one thread per process. When the database refuses a batch
the rows go to the disk spool and are retried; `close()` drains the queue on shutdown, so a clean stop
loses nothing. Inserts ignore a `request_id` already present, which makes a spool replay after a partial
failure safe.

Under gunicorn's gevent worker the writer runs in a real OS thread (gevent's thread pool): SQLite and
psycopg calls block, and in a greenlet they would stall every request of the worker while they run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from _queue import SimpleQueue  # the C queue: safe between a real thread and gevent greenlets
from collections.abc import Callable, Mapping
from queue import Empty
from typing import Any, Protocol

from .prices import OverridePrice
from .pricing_rows import OverrideLookup, to_row
from .spool import Spool

log = logging.getLogger(__name__)

_STOP = object()
_WAKE = object()


class _Marker:
    """Put through the queue by `flush()`; the writer flags it once everything ahead of it is written."""

    reached = False


class LoggedRecord(Protocol):
    """What the writer needs of a record: a request log's `RequestRecord`, or an ingested usage event."""

    @property
    def request_id(self) -> str: ...

    @property
    def workspace_id(self) -> str: ...


class LogSink(Protocol):
    def write(self, rows: list[dict[str, Any]]) -> None: ...

    def overrides(self, workspace_id: str) -> Mapping[str, OverridePrice]: ...


def _start_real_thread(target: Callable[[], None], name: str) -> None:
    try:
        from gevent import monkey

        if monkey.is_module_patched("threading"):
            import gevent

            gevent.get_hub().threadpool.spawn(target)
            return
    except ImportError:
        pass
    threading.Thread(target=target, name=name, daemon=True).start()


class LogWriter:
    """Request threads only `put` on a queue nobody is blocked on, so a submit costs no system call and
    wakes no thread. The writer sleeps `flush_interval_s` at a time (on a control queue, so `close()` wakes
    it at once), then drains everything that arrived in batches of `batch_size`."""

    def __init__(
        self,
        sink: LogSink,
        spool: Spool,
        batch_size: int = 200,
        flush_interval_s: float = 0.5,
        spool_retry_s: float = 5.0,
        row_builder: Callable[[Any, OverrideLookup], dict[str, Any]] = to_row,
        generation: Callable[[], int] | None = None,
    ) -> None:
        """`row_builder` prices one record into a row, given a lookup of a workspace's price overrides that it
        calls only if the record does not carry its own; the default makes `request_logs` rows (their records
        carry the overrides admission used); another writer instance, with its own sink and spool, writes
        ingested usage events, priced with the looked-up overrides. `generation` reads the shared cache
        generation (`gateway/invalidation.py`): when it changes, cached price overrides are dropped, so an
        ingested event written after an override changed is priced with it."""
        self._sink = sink
        self._row_builder = row_builder
        self._spool = spool
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._spool_retry_s = spool_retry_s
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._control: SimpleQueue[Any] = SimpleQueue()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._override_cache: dict[str, tuple[float, Mapping[str, OverridePrice]]] = {}
        self._generation = generation
        self._seen_generation = generation() if generation is not None else 0

    # -- request-thread side -------------------------------------------------------------------------------
    def submit(self, record: LoggedRecord) -> None:
        """Enqueue; never blocks, never raises into the request."""
        if self._pid != os.getpid():
            self._start()
        self._queue.put(record)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything submitted so far is written or spooled. For tests and shutdown."""
        if self._pid != os.getpid():
            return True
        marker = _Marker()
        self._queue.put(marker)  # FIFO: once the writer reaches it, everything before it is handled
        self._control.put(_WAKE)
        deadline = time.monotonic() + timeout_s
        while not marker.reached and time.monotonic() < deadline:
            time.sleep(0.005)
        return marker.reached

    def close(self, timeout_s: float = 10.0) -> None:
        """Write everything still queued, then stop the writer thread."""
        if self._pid == os.getpid() and not self._stopped.is_set():
            self._control.put(_STOP)
            deadline = time.monotonic() + timeout_s
            while not self._stopped.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)

    # -- writer-thread side --------------------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            # After a fork the parent's queues and counters are meaningless here; start clean.
            self._queue = SimpleQueue()
            self._control = SimpleQueue()
            self._stopped = threading.Event()
            _start_real_thread(self._run, "tollgate-log-writer")

    def _run(self) -> None:
        last_spool_try = 0.0
        stopping = False
        while not stopping:
            try:
                stopping = self._control.get(timeout=self._interval) is _STOP
            except Empty:
                pass
            self._drain()
            now = time.monotonic()
            if now - last_spool_try >= self._spool_retry_s or stopping:
                last_spool_try = now
                self.replay_spool()
        self._stopped.set()

    def _drain(self) -> None:
        batch: list[LoggedRecord] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except Empty:
                break
            if isinstance(item, _Marker):
                self._write(batch)
                batch = []
                item.reached = True
                continue
            batch.append(item)
            if len(batch) >= self._batch_size:
                self._write(batch)
                batch = []
        self._write(batch)

    def _write(self, batch: list[LoggedRecord]) -> None:
        if not batch:
            return
        if self._generation is not None and (generation := self._generation()) != self._seen_generation:
            self._seen_generation = generation
            self._override_cache.clear()
        rows: list[dict[str, Any]] = []
        for record in batch:
            try:
                rows.append(self._row_builder(record, self._overrides))
            except Exception:
                log.exception("pricing failed for request %s; logged unpriced", record.request_id)
                rows.append(self._row_builder(record, _no_overrides) | {"priced": False})
        try:
            self._sink.write(rows)
        except Exception as exc:
            log.warning("request log write failed (%s); %d rows spooled to disk", type(exc).__name__, len(rows))
            try:
                self._spool.put([_jsonable(r) for r in rows])
            except OSError:
                log.exception("could not spool %d request log rows", len(rows))

    def replay_spool(self) -> int:
        """Write spooled batches back; returns how many rows made it."""
        written = 0
        for path, rows in self._spool.pending():
            try:
                self._sink.write([_from_jsonable(r) for r in rows])
            except Exception:
                return written
            path.unlink(missing_ok=True)
            written += len(rows)
        return written

    def _overrides(self, workspace_id: str) -> Mapping[str, OverridePrice]:
        cached = self._override_cache.get(workspace_id)
        if cached and time.monotonic() - cached[0] < 30:
            return cached[1]
        try:
            value = self._sink.overrides(workspace_id)
        except Exception:
            value = cached[1] if cached else {}
        self._override_cache[workspace_id] = (time.monotonic(), value)
        return value


def _no_overrides(workspace_id: str) -> Mapping[str, OverridePrice]:
    return {}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"created_at": row["created_at"].isoformat()}


def _from_jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"created_at": dt.datetime.fromisoformat(row["created_at"])}
