"""Telling every process that cached key contexts (and the log writer's price overrides) are stale.

Every process of one data directory (the workers of `tollgate serve`, and the CLI) maps one generation counter
from a file, `<data_dir>/cache-generation` (MAP_SHARED): a committed change (a revoke, a new project, a
timezone, a price override; see `config_changes.py`) bumps it, and every worker drops its cache on its next
request (one memory read per request, no system call). A file, not anonymous memory inherited through the fork,
so that a separate process (`tollgate revoke-key`) reaches running workers too. With `REDIS_URL`, a change is
also published on one channel and every gateway process, on every host, drops its cache as soon as the message
arrives. Another host without Redis sees a change within `key_cache_ttl_s`.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)
CHANNEL = "tollgate:key-cache:invalidate"
GENERATION_FILE = "cache-generation"


class CacheGeneration:
    """A counter in a file that every process of the data directory maps shared, plus this process's count of
    changes announced by other hosts (Redis). `read()` changes whenever either does: both only ever grow."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 8:  # new: zeros; never truncates a counter another process wrote
                os.ftruncate(fd, 8)
            self._map = mmap.mmap(fd, 8, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)  # the mapping keeps the file
        self._remote = 0

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> CacheGeneration:
        return cls(data_dir / GENERATION_FILE)

    def read(self) -> int:
        return (int(struct.unpack_from("Q", self._map, 0)[0]) + self._remote) % (1 << 64)

    def bump(self) -> None:
        """Tell every process of this data directory. Two bumps racing to the same value still make one change,
        and each bump comes after its commit, so a reader that sees the new value loads both commits."""
        struct.pack_into("Q", self._map, 0, (int(struct.unpack_from("Q", self._map, 0)[0]) + 1) % (1 << 64))

    def note_remote_change(self) -> None:
        """A change announced by another host: this process only (each process gets the message itself)."""
        self._remote += 1


class InvalidationBus(Protocol):
    def publish(self) -> None: ...

    def listen(self, on_message: Callable[[], None]) -> None: ...


class LocalBus:
    """One process at a time: nothing to tell anyone."""

    def publish(self) -> None:
        return None

    def listen(self, on_message: Callable[[], None]) -> None:
        return None


class RedisBus:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._pid: int | None = None

    @classmethod
    def from_url(cls, url: str) -> RedisBus:
        import redis

        return cls(redis.Redis.from_url(url))

    def publish(self) -> None:
        try:
            self._client.publish(CHANNEL, str(os.getpid()))
        except Exception as exc:  # the local cache is already cleared; others catch up within the TTL
            log.warning("could not publish key-cache invalidation: %s", type(exc).__name__)

    def listen(self, on_message: Callable[[], None]) -> None:
        """Subscribe in this process (idempotent; a forked worker subscribes on its own)."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        # A greenlet under gevent (threading is patched), a daemon thread otherwise.
        threading.Thread(target=self._loop, args=(on_message,), name="tollgate-key-invalidation", daemon=True).start()

    def _loop(self, on_message: Callable[[], None]) -> None:
        while True:
            try:
                pubsub = self._client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                on_message()  # anything published while we were not subscribed is covered
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        on_message()
            except Exception as exc:
                log.warning("key-cache invalidation subscription lost (%s); retrying", type(exc).__name__)
                time.sleep(1.0)
