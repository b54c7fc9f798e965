"""One suite, every ledger store: SQL on SQLite, SQL on a real PostgreSQL, and Redis (real redis-server).

The stores must agree exactly: all-or-nothing reservations across budgets and rate buckets, soft budgets that
never refuse, settlement that moves reserved to spent, and periods that never touch each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tollgate.budgets.ratelimit import MINUTE_US, RateLine
from tollgate.budgets.redis_store import RedisLedgerStore
from tollgate.budgets.sql_store import SqlLedgerStore
from tollgate.budgets.store import BudgetLine, HoldRef, LedgerStore, Refused, Reserved, Usage, WindowState
from tollgate.models import BudgetHold, BudgetSpend, LaneWindow, RateBucket

from .servers import postgres_server, redis_server

NOW = 1_800_000_000 * 1_000_000


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str | None]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str | None]:
    with redis_server() as url:
        yield url


def _sql_store(url: str) -> tuple[SqlLedgerStore, sa.Engine]:
    engine = sa.create_engine(url, pool_size=40, max_overflow=0) if "postgresql" in url else sa.create_engine(url)
    tables = [BudgetSpend.__table__, RateBucket.__table__, BudgetHold.__table__, LaneWindow.__table__]
    BudgetSpend.metadata.drop_all(engine, tables=tables)  # type: ignore[arg-type]
    BudgetSpend.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    return SqlLedgerStore(engine), engine


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    kind = request.param
    if kind == "sqlite":
        sql, engine = _sql_store(f"sqlite:///{tmp_path / 'ledger.db'}")
        yield sql
        engine.dispose()
    elif kind == "postgresql":
        url = request.getfixturevalue("pg_url")
        if url is None:
            pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed; CI installs them")
        sql, engine = _sql_store(url)
        yield sql
        engine.dispose()
    else:
        url = request.getfixturevalue("redis_url")
        if url is None:
            pytest.skip("redis-server not installed; CI installs it")
        import redis

        client = redis.Redis.from_url(url)
        client.flushdb()
        yield RedisLedgerStore(client)
        client.close()


def line(budget: str, amount: int, cap: int | None, period: int = 100) -> BudgetLine:
    return BudgetLine(budget, period, amount, cap)


def test_reserve_within_cap_then_refuse_the_rest(store: LedgerStore) -> None:
    assert isinstance(store.reserve([line("b1", 400, 1000)], [], NOW), Reserved)
    assert isinstance(store.reserve([line("b1", 600, 1000)], [], NOW), Reserved)
    refused = store.reserve([line("b1", 1, 1000)], [], NOW)
    assert refused == Refused("budget", 0, used_micros=1000)
    assert store.read([("b1", 100)]) == {("b1", 100): Usage(0, 1000)}


def test_all_or_nothing_across_budgets(store: LedgerStore) -> None:
    store.reserve([line("tight", 900, 1000)], [], NOW)
    refused = store.reserve([line("roomy", 200, 10_000), line("tight", 200, 1000)], [], NOW)
    assert isinstance(refused, Refused) and refused.kind == "budget" and refused.index == 1
    assert store.read([("roomy", 100)])[("roomy", 100)] == Usage(0, 0)


def test_soft_budget_never_refuses(store: LedgerStore) -> None:
    for _ in range(3):
        assert isinstance(store.reserve([line("soft", 700, None)], [], NOW), Reserved)
    assert store.read([("soft", 100)])[("soft", 100)] == Usage(0, 2100)


def test_settle_moves_reserved_to_spent_and_frees_room(store: LedgerStore) -> None:
    held = [line("b", 800, 1000)]
    store.reserve(held, [], NOW)
    store.settle(held, 300, [])
    assert store.read([("b", 100)])[("b", 100)] == Usage(300, 0)
    assert isinstance(store.reserve([line("b", 700, 1000)], [], NOW), Reserved)
    assert isinstance(store.reserve([line("b", 1, 1000)], [], NOW), Refused)


def test_spend_below_a_micro_dollar_adds_up_exactly(store: LedgerStore) -> None:
    """1,000 settles of 0.14 micro-dollars each (140,000 pico-dollars): 140 micro-dollars, not 1,000 × 0."""
    held = [line("tiny", 1, 10_000)]
    for _ in range(1000):
        assert isinstance(store.reserve(held, [], NOW), Reserved)
        store.settle(held, 0, [], None, 140_000)
    assert store.read([("tiny", 100)])[("tiny", 100)] == Usage(140, 0)
    store.reserve(held, [], NOW)
    store.settle(held, 3, [], None, -499_999)  # 2.500001 micro-dollars
    assert store.read([("tiny", 100)])[("tiny", 100)] == Usage(143, 0)


def test_periods_are_separate_rows(store: LedgerStore) -> None:
    store.reserve([line("b", 1000, 1000, period=100)], [], NOW)
    assert isinstance(store.reserve([line("b", 1000, 1000, period=200)], [], NOW), Reserved)
    usage = store.read([("b", 100), ("b", 200), ("b", 300)])
    assert usage == {("b", 100): Usage(0, 1000), ("b", 200): Usage(0, 1000), ("b", 300): Usage(0, 0)}


def test_requests_per_minute_bucket(store: LedgerStore) -> None:
    rpm = RateLine("k:r", "requests", 3, 1)
    tats = [store.reserve([], [rpm], NOW) for _ in range(3)]
    assert all(isinstance(t, Reserved) for t in tats)
    refused = store.reserve([], [rpm], NOW)
    assert isinstance(refused, Refused) and refused.kind == "rate"
    assert refused.tat_us == NOW + MINUTE_US
    assert isinstance(store.reserve([], [rpm], NOW + MINUTE_US // 3), Reserved)  # one slot refilled


def test_rate_refusal_leaves_budgets_untouched(store: LedgerStore) -> None:
    rpm = RateLine("k2:r", "requests", 1, 1)
    store.reserve([], [rpm], NOW)
    refused = store.reserve([line("b", 10, 1000)], [rpm], NOW)
    assert isinstance(refused, Refused) and refused.kind == "rate"
    assert store.read([("b", 100)])[("b", 100)] == Usage(0, 0)


def test_budget_refusal_leaves_rate_buckets_untouched(store: LedgerStore) -> None:
    rpm = RateLine("k3:r", "requests", 2, 1)
    assert isinstance(store.reserve([line("b", 2000, 1000)], [rpm], NOW), Refused)
    assert isinstance(store.reserve([], [rpm], NOW), Reserved)
    assert isinstance(store.reserve([], [rpm], NOW), Reserved)


def test_token_bucket_too_small_for_request_and_settle_shift(store: LedgerStore) -> None:
    tpm = RateLine("k4:t", "tokens", 1000, 1001)
    assert isinstance(store.reserve([], [tpm], NOW), Refused)
    tpm = RateLine("k4:t", "tokens", 1000, 1000)
    reserved = store.reserve([], [tpm], NOW)
    assert isinstance(reserved, Reserved) and reserved.tats_us == (NOW + 1000 * tpm.interval_us,)
    store.settle([], 0, [("k4:t", -600 * tpm.interval_us)])  # only 400 tokens were used
    assert isinstance(store.reserve([], [RateLine("k4:t", "tokens", 1000, 600)], NOW), Reserved)


def test_concurrent_reservations_never_overshoot(store: LedgerStore) -> None:
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        outcome = store.reserve([line("hot", 300, 10_000), line("cold", 300, None)], [], NOW)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admitted = sum(isinstance(r, Reserved) for r in results)
    assert admitted == 10_000 // 300
    usage = store.read([("hot", 100), ("cold", 100)])
    assert usage[("hot", 100)] == Usage(0, admitted * 300)
    assert usage[("cold", 100)] == Usage(0, admitted * 300)


def test_expired_hold_is_released_once(store: LedgerStore) -> None:
    """A worker died between admit and settle: after the hold's expiry the sweep gives the room back."""
    held = [line("b", 600, 1000), line("c", 600, None)]
    assert isinstance(store.reserve(held, [], NOW, HoldRef("req_dead", 1000)), Reserved)
    assert isinstance(store.reserve([line("b", 300, 1000)], [], NOW, HoldRef("req_live", 2000)), Reserved)
    assert store.release_expired(999) == 0  # not expired yet
    assert store.read([("b", 100)])[("b", 100)] == Usage(0, 900)
    assert store.release_expired(1000) == 1
    assert store.read([("b", 100), ("c", 100)]) == {("b", 100): Usage(0, 300), ("c", 100): Usage(0, 0)}
    assert store.release_expired(5000) == 1  # req_live expired too
    assert store.release_expired(5000) == 0  # nothing is released twice
    assert store.read([("b", 100)])[("b", 100)] == Usage(0, 0)


def test_settle_after_sweep_records_spend_without_releasing_again(store: LedgerStore) -> None:
    held = [line("b", 500, 1000)]
    store.reserve(held, [], NOW, HoldRef("req_slow", 1000))
    store.reserve([line("b", 400, 1000)], [], NOW, HoldRef("req_other", 9000))
    assert store.release_expired(1000) == 1
    store.settle(held, 200, [], "req_slow")  # the request did finish, late: its cost counts, its hold is gone
    assert store.read([("b", 100)])[("b", 100)] == Usage(200, 400)
    store.settle(held, 0, [], "req_slow")  # a repeated settle releases nothing either
    assert store.read([("b", 100)])[("b", 100)] == Usage(200, 400)


def test_settle_removes_the_hold_so_the_sweep_skips_it(store: LedgerStore) -> None:
    held = [line("b", 500, 1000)]
    store.reserve(held, [], NOW, HoldRef("req_ok", 1000))
    store.settle(held, 100, [], "req_ok")
    assert store.release_expired(10_000) == 0
    assert store.read([("b", 100)])[("b", 100)] == Usage(100, 0)


def test_refused_reservation_leaves_no_hold(store: LedgerStore) -> None:
    assert isinstance(store.reserve([line("b", 2000, 1000)], [], NOW, HoldRef("req_no", 1000)), Refused)
    store.reserve([line("b", 100, 1000)], [], NOW)
    assert store.release_expired(10_000) == 0
    assert store.read([("b", 100)])[("b", 100)] == Usage(0, 100)


def test_concurrent_settle_and_sweep_release_once(store: LedgerStore) -> None:
    holds = [(f"req_{i}", [line("hot", 100, None)]) for i in range(40)]
    for request_id, held in holds:
        store.reserve(held, [], NOW, HoldRef(request_id, 1000))
    threads = [threading.Thread(target=store.settle, args=(held, 0, [], rid)) for rid, held in holds]
    threads += [threading.Thread(target=store.release_expired, args=(1000, 5)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.release_expired(1000)
    assert store.read([("hot", 100)])[("hot", 100)] == Usage(0, 0)


def test_migrations_create_the_ledger_tables_on_postgresql(pg_url: str | None) -> None:
    """Migration 0003 is hand-written: check it applies on PostgreSQL and matches what the SQL store uses."""
    if pg_url is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed; CI installs them")
    from tollgate import db_migrate

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db_migrate.upgrade(pg_url)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"budgets", "budget_spend", "rate_limits", "rate_buckets", "alert_rules", "alert_events"} <= tables
    assert {"webhook_subscriptions", "webhook_deliveries", "budget_holds"} <= tables
    store = SqlLedgerStore(engine)
    assert isinstance(store.reserve([line("b", 5, 10)], [RateLine("x:r", "requests", 1, 1)], NOW), Reserved)
    engine.dispose()


def test_first_refusal_of_a_period_is_kept(store: LedgerStore) -> None:
    """The alert evaluation reads the refusal with the spend; a later mark does not move it, and a period with
    no spend yet (the request alone did not fit) gets a row for it."""
    store.reserve([line("b", 300, None)], [], NOW)
    store.mark_refused(line("b", 900, 1000), 1_800_000_010)
    store.mark_refused(line("b", 900, 1000), 1_800_000_020)
    store.mark_refused(line("empty", 900, 100, period=200), 1_800_000_030)
    usage = store.read([("b", 100), ("b", 200), ("empty", 200)])
    assert usage[("b", 100)] == Usage(0, 300, 1_800_000_010)
    assert usage[("b", 200)] == Usage(0, 0) and usage[("empty", 200)] == Usage(0, 0, 1_800_000_030)
    assert isinstance(store.reserve([line("b", 700, 1000)], [], NOW), Reserved)  # a mark takes no room


def test_spend_added_after_the_fact_skips_the_cap(store: LedgerStore) -> None:
    """Ingested usage happened already: it is recorded as spent whatever the cap, and then takes room."""
    store.reserve([line("b", 300, None)], [], NOW)
    store.add_spend([line("b", 900, 1000), line("b", 50, 1000, period=200), line("new", 70, None)])
    store.add_spend([line("b", 100, 1000)])
    usage = store.read([("b", 100), ("b", 200), ("new", 100)])
    assert usage == {("b", 100): Usage(1000, 300), ("b", 200): Usage(50, 0), ("new", 100): Usage(70, 0)}
    assert isinstance(store.reserve([line("b", 1, 1000)], [], NOW), Refused)


def test_spend_added_after_the_fact_carries_sub_micro_remainders(store: LedgerStore) -> None:
    """1,000 ingested events worth 0.14 micro-dollars each add up to 140 micro-dollars of spend, as the same
    values settled through the gateway do: each batch's remainder is carried, not dropped."""
    for _ in range(1000):
        store.add_spend([line("tiny", 0, None)], [140_000])
    assert store.read([("tiny", 100)])[("tiny", 100)] == Usage(140, 0)
    store.add_spend([line("tiny", 1, None), line("other", 2, None)], [-400_000, 499_999])
    usage = store.read([("tiny", 100), ("other", 100)])
    assert usage == {("tiny", 100): Usage(141, 0), ("other", 100): Usage(2, 0)}


WINDOW_US = 5 * 3600 * 1_000_000


def test_lane_window_admits_below_the_limit_then_is_full(store: LedgerStore) -> None:
    assert store.read_window("lane_a") is None
    for used in range(3):
        take = store.take_window("lane_a", 1, 3, WINDOW_US, NOW + used)
        assert take.admitted and take.state == WindowState(NOW, 0, used + 1)  # opened by the first take
    full = store.take_window("lane_a", 1, 3, WINDOW_US, NOW + 10)
    assert not full.admitted and full.state == WindowState(NOW, 0, 3)
    assert store.read_window("lane_a") == WindowState(NOW, 0, 3)
    assert store.read_window("lane_b") is None  # lanes never share a window


def test_lane_window_settle_counts_real_use_and_frees_held(store: LedgerStore) -> None:
    """Tokens: 900 estimated and held, 400 really used; the window admits while used + held is below the limit,
    so a request may push it past the limit (by at most its own tokens), and the next is refused."""
    take = store.take_window("lane_t", 900, 1000, WINDOW_US, NOW)
    assert take.admitted
    assert store.take_window("lane_t", 200, 1000, WINDOW_US, NOW + 1).state == WindowState(NOW, 0, 1100)
    assert not store.take_window("lane_t", 1, 1000, WINDOW_US, NOW + 2).admitted
    store.settle_window("lane_t", take.state.started_us, 900, 400)
    assert store.read_window("lane_t") == WindowState(NOW, 400, 200)
    assert store.take_window("lane_t", 300, 1000, WINDOW_US, NOW + 3).admitted
    store.settle_window("lane_t", NOW, 200, 0)  # a request that failed gives its hold back and counts nothing
    store.settle_window("lane_t", NOW, 300, 700)
    assert store.read_window("lane_t") == WindowState(NOW, 1100, 0)
    assert not store.take_window("lane_t", 1, 1000, WINDOW_US, NOW + 4).admitted


def test_lane_window_resets_when_it_ends(store: LedgerStore) -> None:
    old = store.take_window("lane_r", 1, 1, WINDOW_US, NOW)
    assert not store.take_window("lane_r", 1, 1, WINDOW_US, NOW + WINDOW_US - 1).admitted
    fresh = store.take_window("lane_r", 1, 1, WINDOW_US, NOW + WINDOW_US)
    assert fresh.admitted and fresh.state == WindowState(NOW + WINDOW_US, 0, 1)
    store.settle_window("lane_r", old.state.started_us, 1, 1)  # settles into a window that ended: ignored
    assert store.read_window("lane_r") == WindowState(NOW + WINDOW_US, 0, 1)


def test_concurrent_lane_window_takes_never_exceed_the_limit(store: LedgerStore) -> None:
    admitted: list[bool] = []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        for _ in range(5):
            admitted.append(store.take_window("lane_c", 1, 37, WINDOW_US, NOW).admitted)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted.count(True) == 37
    assert store.read_window("lane_c") == WindowState(NOW, 0, 37)
