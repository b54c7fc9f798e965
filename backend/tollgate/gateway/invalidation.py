"""Telling every process that cached key contexts are stale.

The workers of one `tollgate serve` share a generation counter in anonymous shared memory, mapped by the
gunicorn master before it forks them: a change made through one worker (a revoke, a new budget) bumps it, and
every sibling drops its cache on its next request (one memory read per request, no system call). With
`REDIS_URL`, a change is also published on one channel and every gateway process, on every host, drops its
cache as soon as the message arrives. Anything else (the CLI, another host without Redis) is seen within
`key_cache_ttl_s`.
"""

from __future__ import annotations

import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)
CHANNEL = "tollgate:key-cache:invalidate"


class SiblingGeneration:
    """A counter in anonymous shared memory (MAP_SHARED): created before a fork, shared with every child."""

    def __init__(self) -> None:
        self._map = mmap.mmap(-1, 8)

    def read(self) -> int:
        return int(struct.unpack_from("Q", self._map, 0)[0])

    def bump(self) -> None:
        """Any change of value tells the siblings; two bumps racing to the same value still make one change."""
        struct.pack_into("Q", self._map, 0, (self.read() + 1) % (1 << 64))


_siblings: SiblingGeneration | None = None


def share_with_forked_workers() -> None:
    """Called in the gunicorn master, before it forks: its workers inherit the mapping."""
    global _siblings
    if _siblings is None:
        _siblings = SiblingGeneration()


def sibling_generation() -> SiblingGeneration | None:
    return _siblings


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
