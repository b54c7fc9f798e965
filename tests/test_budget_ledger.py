"""The ledger on its own (no HTTP): worst-case arithmetic, settlement rules, and periods rolling over on an
injected clock, including across DST, with spend kept per period and never reset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pytest
import sqlalchemy as sa

from tollgate.budgets import estimate
from tollgate.budgets.ledger import Ask, Hold, Ledger, rates_for, settled_picos
from tollgate.budgets.periods import Period
from tollgate.budgets.specs import BudgetSpec, Limits
from tollgate.budgets.sql_store import SqlLedgerStore
from tollgate.budgets.store import BudgetLine, Usage
from tollgate.gateway.context import KeyContext
from tollgate.gateway.errors import GatewayError
from tollgate.metering import prices
from tollgate.metering.record import RequestRecord
from tollgate.metering.usage import TokenUsage
from tollgate.models import BudgetHold, BudgetSpend, RateBucket

BERLIN = "Europe/Berlin"
RAW = orjson.dumps({"model": "gpt-4o-mini", "max_tokens": 1000, "messages": [{"role": "user", "content": "hi"}]})
BODY = orjson.loads(RAW)


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.now = moment

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlLedgerStore]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'l.db'}")
    tables = [BudgetSpend.__table__, RateBucket.__table__, BudgetHold.__table__]
    BudgetSpend.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    yield SqlLedgerStore(engine)
    engine.dispose()


def context(*budgets: BudgetSpec, tz: str = BERLIN) -> KeyContext:
    return KeyContext("key_1", "ws_1", "cli_1", "acme", None, None, (), {}, limits=Limits(tz, budgets))


def cost() -> int:
    rates = rates_for("gpt-4o-mini", ("openai",), Limits())
    assert rates is not None
    return estimate.cost_micros(estimate.prompt_tokens_upper(RAW), 1000, rates)


def admit(ledger: Ledger, ctx: KeyContext, request_id: str) -> Hold | GatewayError:
    return ledger.admit(ctx, Ask("chat", "gpt-4o-mini", BODY, RAW), request_id)


def settle_full(ledger: Ledger, request_id: str) -> None:
    """Settle as if the upstream answered but usage was lost: the whole reservation becomes spend."""
    record = RequestRecord(request_id, dt.datetime.now(dt.UTC), "ws_1", "cli_1", "key_1", "chat")
    record.lane_id, record.status_code = "lane_1", 200
    ledger.settle(record)


def one_request_budget(period: Period) -> BudgetSpec:
    return BudgetSpec("bud_1", "client", "cli_1", "Daily", cost() + cost() // 2, period, True)


@pytest.mark.parametrize(
    ("period", "last_moment", "next_moment"),
    [
        (Period.DAILY, (2026, 11, 23, 23, 59, 59), (2026, 11, 24, 0, 0, 0)),
        (Period.DAILY, (2026, 3, 29, 23, 59, 59), (2026, 3, 30, 0, 0, 0)),  # a 23-hour day
        (Period.DAILY, (2026, 10, 25, 23, 59, 59), (2026, 10, 26, 0, 0, 0)),  # a 25-hour day
        (Period.WEEKLY, (2026, 11, 29, 23, 59, 59), (2026, 11, 30, 0, 0, 0)),
        (Period.MONTHLY, (2026, 10, 31, 23, 59, 59), (2026, 11, 1, 0, 0, 0)),  # month holding a DST change
        (Period.MONTHLY, (2026, 12, 31, 23, 59, 59), (2027, 1, 1, 0, 0, 0)),
    ],
)
def test_spend_rolls_over_at_the_local_boundary(
    store: SqlLedgerStore, period: Period, last_moment: tuple[int, ...], next_moment: tuple[int, ...]
) -> None:
    tz = ZoneInfo(BERLIN)
    clock = Clock(dt.datetime(*last_moment, tzinfo=tz).astimezone(dt.UTC))  # type: ignore[misc]
    ledger = Ledger(store, clock)
    ctx = context(one_request_budget(period))
    assert isinstance(admit(ledger, ctx, "r1"), Hold)
    settle_full(ledger, "r1")
    refused = admit(ledger, ctx, "r2")
    assert isinstance(refused, GatewayError) and refused.code == "budget_exceeded"
    refused_at = int(clock.now.timestamp())  # recorded in the period it happened in, for the cap.exceeded alert
    clock.now = dt.datetime(*next_moment, tzinfo=tz).astimezone(dt.UTC)  # type: ignore[misc]
    assert isinstance(admit(ledger, ctx, "r3"), Hold)
    settle_full(ledger, "r3")
    rows = store.read([("bud_1", k) for k in _period_keys(store)])
    assert sorted(rows.values(), key=lambda u: u.spent_micros) == [Usage(cost(), 0, refused_at), Usage(cost(), 0)]


def _period_keys(store: SqlLedgerStore) -> list[int]:
    with store._engine.connect() as conn:  # the test peeks at the rows
        return [int(k) for k in conn.execute(sa.text("SELECT period_start FROM budget_spend")).scalars()]


def test_lifetime_budget_never_rolls_over(store: SqlLedgerStore) -> None:
    clock = Clock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    ledger = Ledger(store, clock)
    ctx = context(one_request_budget(Period.LIFETIME))
    assert isinstance(admit(ledger, ctx, "r1"), Hold)
    settle_full(ledger, "r1")
    clock.now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    refused = admit(ledger, ctx, "r2")
    assert isinstance(refused, GatewayError) and "does not reset" in refused.message


def test_refusal_names_the_budget_and_the_local_reset(store: SqlLedgerStore) -> None:
    ledger = Ledger(store, Clock(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)))
    budget = BudgetSpec("bud_9", "key", "key_1", "Tiny", 1, Period.DAILY, True)
    refused = admit(ledger, context(budget), "r1")
    assert isinstance(refused, GatewayError)
    assert refused.status == 429 and "key budget 'Tiny' (daily, $0.000001)" in refused.message
    assert "2026-11-24T00:00:00+01:00" in refused.message
    assert ("x-tollgate-budget-id", "bud_9") in refused.headers


def test_a_crashed_workers_reservation_is_released_after_its_expiry(store: SqlLedgerStore) -> None:
    """admit in a process that then dies (its in-memory hold is gone): the sweep returns the room once the hold
    expires; a settle arriving afterwards (the process was only slow) records spend but releases nothing twice."""
    clock = Clock(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC))
    crashed, survivor = Ledger(store, clock, hold_ttl_s=600), Ledger(store, clock, hold_ttl_s=600)
    ctx = context(one_request_budget(Period.DAILY))
    assert isinstance(admit(crashed, ctx, "r_dead"), Hold)
    refused = admit(survivor, ctx, "r2")
    assert isinstance(refused, GatewayError) and refused.code == "budget_exceeded"
    clock.now += dt.timedelta(seconds=600)
    assert survivor.sweep() == 0  # not expired yet
    clock.now += dt.timedelta(seconds=1)
    assert survivor.sweep() == 1
    assert isinstance(admit(survivor, ctx, "r3"), Hold)  # the room is back
    settle_full(crashed, "r_dead")  # late settle: the full reservation counts as spent, no second release
    [(_, usage)] = store.read([("bud_1", k) for k in _period_keys(store)]).items()
    assert usage == Usage(cost(), cost(), int(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC).timestamp()))
    assert survivor.sweep() == 0


def test_no_limits_means_no_store_call() -> None:
    class Exploding:
        def __getattr__(self, name: str) -> object:
            raise AssertionError("store touched")

    ledger = Ledger(Exploding())  # type: ignore[arg-type]
    hold = admit(ledger, context(), "r1")
    assert isinstance(hold, Hold) and hold.empty and ledger.open_holds == 0


def test_store_failure_fails_closed() -> None:
    class Broken:
        def reserve(self, *args: object) -> object:
            raise ConnectionError("database is down")

    ledger = Ledger(Broken())  # type: ignore[arg-type]
    refused = admit(ledger, context(one_request_budget(Period.DAILY)), "r1")
    assert isinstance(refused, GatewayError) and (refused.status, refused.code) == (503, "budget_check_unavailable")


def test_settle_amounts() -> None:
    hold = Hold(lines=(BudgetLine("b", 0, 500, 1000),), reserved_micros=500)
    record = RequestRecord("r", dt.datetime.now(dt.UTC), "ws", "cli", "key", "chat", model_requested="gpt-4o-mini")
    assert settled_picos(hold, record) == 0  # never reached an upstream
    record.lane_id, record.status_code = "lane", 502
    assert settled_picos(hold, record) == 0  # the upstream refused: nothing billed
    record.status_code = 200
    assert settled_picos(hold, record) == 500 * 10**6  # answered, usage lost (stream cut): the worst case
    record.usage = TokenUsage(input_tokens=1000, output_tokens=100)
    assert settled_picos(hold, record) == prices.value_picos(record.usage, "gpt-4o-mini")


def test_worst_case_estimates() -> None:
    assert estimate.output_tokens_upper({"max_completion_tokens": 7, "max_tokens": 9}, "gpt-4o", "chat") == 7
    assert estimate.output_tokens_upper({}, "gpt-4o-2024-08-06", "chat") == 16_384
    assert estimate.output_tokens_upper({}, "unknown-model", "chat") == estimate.DEFAULT_OUTPUT_LIMIT
    assert estimate.output_tokens_upper({"max_output_tokens": 5}, "gpt-5", "responses") == 5
    assert estimate.output_tokens_upper({}, "text-embedding-3-small", "embeddings") == 0
    image = b'{"messages":[{"content":[{"type":"image_url","image_url":{"url":"https://x"}}]}]}'
    assert estimate.prompt_tokens_upper(image) == len(image) + 2 * estimate.IMAGE_TOKEN_ALLOWANCE
    assert estimate.cost_micros(1, 0, prices.TokenRates(1, 1)) == 1  # rounds up, never down


def test_highest_tier_is_reserved() -> None:
    rates = prices.worst_case_rates("gemini-2.5-pro", "google")
    assert rates is not None
    assert (rates.input_mtok_micros, rates.output_mtok_micros) == (2_500_000, 15_000_000)  # the >200k tier
    assert prices.worst_case_rates("no-such-model") is None
