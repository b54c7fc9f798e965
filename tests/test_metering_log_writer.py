"""The background log writer: batches rows, spools what the database refuses, replays it later without
duplicates, and loses nothing on a clean stop."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from tollgate import db_migrate
from tollgate.metering.log_writer import LogWriter
from tollgate.metering.prices import OverridePrice
from tollgate.metering.record import RequestRecord
from tollgate.metering.spool import Spool
from tollgate.metering.sql_sink import SqlLogSink
from tollgate.metering.usage import TokenUsage
from tollgate.models import RequestLog
from tollgate.services import Services

from .conftest import Seeded


class FlakySink:
    """In-memory sink that refuses writes while `down` is set."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.rows: list[dict[str, Any]] = []
        self.attempts = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.attempts += 1
        if self.down:
            raise ConnectionError("database is down")
        self.rows.extend(rows)

    def overrides(self, workspace_id: str) -> Mapping[str, OverridePrice]:
        if self.down:
            raise ConnectionError("database is down")
        return {}


def record(n: int) -> RequestRecord:
    return RequestRecord(
        request_id=f"req_{n:024d}",
        created_at=dt.datetime(2026, 6, 1, 12, 0, n % 60, tzinfo=dt.UTC),
        workspace_id="ws_1",
        client_id="cli_1",
        key_id="key_1",
        endpoint="chat",
        model_requested="gpt-4o-mini",
        usage=TokenUsage(input_tokens=1000, cached_input_tokens=200, output_tokens=100, reasoning_tokens=10),
        metadata={"flow": "triage"},
        status_code=200,
        latency_ms=12,
    )


def _eventually(check: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


def test_rows_are_priced_and_batched(spool: Spool) -> None:
    sink = FlakySink()
    writer = LogWriter(sink, spool, batch_size=50, flush_interval_s=0.05)
    for n in range(120):
        writer.submit(record(n))
    assert writer.flush()
    writer.close()
    assert len(sink.rows) == 120 and len({r["request_id"] for r in sink.rows}) == 120
    assert sink.attempts >= 3  # batches of at most 50
    row = sink.rows[0]
    assert row["value_micros"] == 195  # 800 x $0.15 + 200 x $0.075 + 100 x $0.6 per MTok, in micro-dollars
    assert row["priced"] is True and row["metadata_"] == {"flow": "triage"}


def test_a_new_cache_generation_drops_cached_price_overrides(spool: Spool) -> None:
    """The override cache lives 30 s, unless the shared generation says an admin change was committed."""
    sink = FlakySink()
    prices: dict[str, OverridePrice] = {}
    sink.overrides = lambda workspace_id: dict(prices)  # type: ignore[method-assign]
    generation = [0]
    writer = LogWriter(sink, spool, flush_interval_s=0.02, generation=lambda: generation[0])
    writer.submit(record(1))
    assert writer.flush()
    prices["gpt-4o-mini"] = OverridePrice(input_mtok_micros=1_000_000, output_mtok_micros=0)
    writer.submit(record(2))
    assert writer.flush()
    generation[0] += 1
    writer.submit(record(3))
    assert writer.flush()
    writer.close()
    assert [r["value_micros"] for r in sink.rows] == [195, 195, 1000]  # cached list price, then the override


def test_failed_write_is_spooled_then_replayed(spool: Spool) -> None:
    sink = FlakySink(down=True)
    writer = LogWriter(sink, spool, flush_interval_s=0.02, spool_retry_s=3600)
    for n in range(5):
        writer.submit(record(n))
    assert writer.flush()
    assert sink.rows == [] and spool.count() >= 1
    assert writer.replay_spool() == 0 and spool.count() >= 1  # still down: kept, not dropped
    sink.down = False
    assert writer.replay_spool() == 5
    assert spool.count() == 0
    assert sorted(r["request_id"] for r in sink.rows) == [record(n).request_id for n in range(5)]
    assert sink.rows[0]["created_at"] == record(0).created_at  # round-trips through JSON as an aware datetime
    writer.close()


def test_writer_retries_the_spool_on_its_own(spool: Spool) -> None:
    sink = FlakySink(down=True)
    writer = LogWriter(sink, spool, flush_interval_s=0.02, spool_retry_s=0.1)
    writer.submit(record(1))
    assert writer.flush()
    _eventually(lambda: spool.count() == 1)
    sink.down = False
    _eventually(lambda: len(sink.rows) == 1 and spool.count() == 0)
    writer.close()


def test_close_drains_the_queue(spool: Spool) -> None:
    sink = FlakySink()
    writer = LogWriter(sink, spool, flush_interval_s=30.0)  # only the close can write these
    for n in range(7):
        writer.submit(record(n))
    writer.close()
    assert len(sink.rows) == 7


def test_close_spools_when_the_database_is_down(spool: Spool) -> None:
    sink = FlakySink(down=True)
    writer = LogWriter(sink, spool, flush_interval_s=30.0)
    for n in range(3):
        writer.submit(record(n))
    writer.close()
    assert sum(len(rows) for _, rows in spool.pending()) == 3


# -- against a real SQLite database that goes away and comes back ----------------------------------------


@pytest.fixture
def late_db(tmp_path: Path) -> Iterator[tuple[str, Engine, Path]]:
    """An engine whose database directory does not exist yet: every write fails until it is created."""
    directory = tmp_path / "db-not-yet"
    url = f"sqlite:///{directory / 'tollgate.db'}"
    engine = create_engine(url)
    yield url, engine, directory
    engine.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(RequestLog)) or 0)


def test_spool_replay_into_sqlite_without_duplicates(late_db: tuple[str, Engine, Path], spool: Spool) -> None:
    url, engine, directory = late_db
    writer = LogWriter(SqlLogSink(engine), spool, flush_interval_s=0.02, spool_retry_s=3600)
    for n in range(4):
        writer.submit(record(n))
    assert writer.flush()
    files = sorted(spool.directory.glob("*.jsonl"))
    assert files, "rows the database refused must be on disk"
    backup = spool.directory.parent / "backup"
    shutil.copytree(spool.directory, backup)

    directory.mkdir()
    db_migrate.upgrade(url)
    assert writer.replay_spool() == 4
    assert _count(engine) == 4 and spool.count() == 0
    # A crash between commit and unlink means the same file is replayed again: no duplicates.
    for path in backup.glob("*.jsonl"):
        shutil.copy(path, spool.directory / path.name)
    assert writer.replay_spool() == 4
    assert writer.replay_spool() == 0
    assert _count(engine) == 4
    with Session(engine) as session:
        row = session.scalars(select(RequestLog).where(RequestLog.request_id == record(2).request_id)).one()
    assert row.metadata_ == {"flow": "triage"} and row.input_tokens == 1000 and row.priced is True
    writer.close()


def test_gateway_request_is_spooled_while_db_down(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = svc.log_writer._sink
    real_write = sink.write

    def down(rows: list[dict[str, Any]]) -> None:
        raise ConnectionError("database is down")

    monkeypatch.setattr(sink, "write", down)
    resp = requests.post(
        gateway + "/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {seeded.key}"},
        timeout=10,
    )
    assert resp.status_code == 200  # the request never waits on, or fails with, the log write
    assert svc.log_writer.flush()
    spooled = list(svc.settings.spool_dir.glob("*.jsonl"))
    assert len(spooled) == 1 and resp.headers["x-request-id"].encode() in spooled[0].read_bytes()
    monkeypatch.setattr(sink, "write", real_write)
    assert svc.log_writer.replay_spool() == 1
    assert svc.log_writer.replay_spool() == 0
    with app.app_context():
        from tollgate.extensions import db

        rows = db.session.scalars(select(RequestLog)).all()
    assert [r.request_id for r in rows] == [resp.headers["x-request-id"]]


def test_a_spool_file_that_does_not_parse_is_set_aside_not_retried_forever(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    good = spool.put([{"request_id": "req_1"}])
    bad = tmp_path / "0-broken.jsonl"
    bad.write_bytes(b'{"request_id": "req_2"\n')
    found = list(spool.pending())
    assert [path for path, _ in found] == [good]
    assert not bad.exists()
    assert (tmp_path / "0-broken.corrupt").exists()
