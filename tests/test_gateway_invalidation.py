"""A revoke reaches every gateway process of another host: with Redis, through pub/sub at once; without, within
the TTL. (The processes of one data directory share a generation file: tests/test_gateway_server.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask

from tollgate import provisioning
from tollgate.extensions import db
from tollgate.gateway.context import KeyContext
from tollgate.gateway.invalidation import CacheGeneration, RedisBus
from tollgate.gateway.key_resolver import KeyResolver
from tollgate.models import SubKey
from tollgate.services import Services

from .conftest import Seeded
from .servers import redis_server


def _resolver(svc: Services, bus: RedisBus | None, ttl_s: float = 3600.0) -> KeyResolver:
    return KeyResolver(svc.hasher, svc.vault, ttl_s, bus)


def _wait_until(predicate: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_revoke_in_one_process_reaches_another_through_redis(app: Flask, svc: Services, seeded: Seeded) -> None:
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server is not installed (CI installs it)")
        here, there = _resolver(svc, RedisBus.from_url(url)), _resolver(svc, RedisBus.from_url(url))
        there.listen()
        header = f"Bearer {seeded.key}"
        with app.app_context():
            assert isinstance(there.resolve(header, lambda: db.session), KeyContext)  # cached for an hour
            provisioning.revoke_sub_key(db.session, db.session.get(SubKey, seeded.key_id))  # type: ignore[arg-type]
            db.session.commit()
            here.invalidate()

            def revoked_there() -> bool:
                return not isinstance(there.resolve(header, lambda: db.session), KeyContext)

            assert _wait_until(revoked_there)
            assert there.resolve(header, lambda: db.session).code == "revoked_api_key"  # type: ignore[union-attr]


def test_without_redis_another_process_sees_a_revoke_within_the_ttl(app: Flask, svc: Services, seeded: Seeded) -> None:
    here, there = _resolver(svc, None), _resolver(svc, None, ttl_s=0.2)
    header = f"Bearer {seeded.key}"
    with app.app_context():
        assert isinstance(there.resolve(header, lambda: db.session), KeyContext)
        provisioning.revoke_sub_key(db.session, db.session.get(SubKey, seeded.key_id))  # type: ignore[arg-type]
        db.session.commit()
        here.invalidate()
        assert isinstance(there.resolve(header, lambda: db.session), KeyContext)  # still cached: no bus
        time.sleep(0.25)
        assert not isinstance(there.resolve(header, lambda: db.session), KeyContext)


def test_a_change_announced_through_redis_moves_this_process_generation(
    app: Flask, svc: Services, tmp_path: Path
) -> None:
    """Another host's change reaches this process's log writer too: the generation it reads moves."""
    with redis_server() as url:
        if url is None:
            pytest.skip("redis-server is not installed (CI installs it)")
        generation = CacheGeneration(tmp_path / "host-b-generation")
        there = KeyResolver(svc.hasher, svc.vault, 3600.0, RedisBus.from_url(url), generation)
        there.listen()
        seen = generation.read()
        here = _resolver(svc, RedisBus.from_url(url))
        assert _wait_until(lambda: (here.invalidate(), generation.read() != seen)[1])
        assert (tmp_path / "host-b-generation").read_bytes() == bytes(8)  # this host's file: untouched
