"""The SQL ledger store: SQLite (shared by the gateway's worker processes through WAL) or PostgreSQL.

A reservation is one conditional upsert per budget row and per rate bucket, all in one transaction: the
upsert adds to the row only if the result stays within the cap (`ON CONFLICT … DO UPDATE … WHERE`), and a
row it did not touch rolls the whole transaction back. PostgreSQL re-checks the WHERE against the latest
row version under concurrency, SQLite serialises writers, so concurrent requests can never both take the
last slice of a budget. Rows are visited in a fixed order so two transactions never wait on each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, text

from .ratelimit import RateLine
from .store import BudgetLine, Refused, Reserved, Usage

UNCAPPED = 2**62

_RESERVE_BUDGET = """
INSERT INTO budget_spend (budget_id, period_start, spent_micros, reserved_micros)
VALUES (:budget_id, :period, 0, :amount)
ON CONFLICT (budget_id, period_start) DO UPDATE
SET reserved_micros = budget_spend.reserved_micros + excluded.reserved_micros
WHERE budget_spend.spent_micros + budget_spend.reserved_micros + excluded.reserved_micros <= :cap
RETURNING spent_micros
"""
_RESERVE_RATE = """
INSERT INTO rate_buckets (bucket, tat_us) VALUES (:bucket, :now + :inc)
ON CONFLICT (bucket) DO UPDATE
SET tat_us = {greatest}(rate_buckets.tat_us, :now) + :inc
WHERE {greatest}(rate_buckets.tat_us, :now) + :inc - :now <= :capacity
RETURNING tat_us
"""
_USED = """
SELECT spent_micros + reserved_micros FROM budget_spend WHERE budget_id = :budget_id AND period_start = :period
"""
_TAT = "SELECT tat_us FROM rate_buckets WHERE bucket = :bucket"
_SETTLE_BUDGET = """
UPDATE budget_spend SET reserved_micros = reserved_micros - :amount, spent_micros = spent_micros + :actual
WHERE budget_id = :budget_id AND period_start = :period
"""
_SHIFT_RATE = "UPDATE rate_buckets SET tat_us = tat_us + :delta WHERE bucket = :bucket"


class SqlLedgerStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        greatest = "max" if engine.dialect.name == "sqlite" else "greatest"
        self._reserve_budget = text(_RESERVE_BUDGET)
        self._reserve_rate = text(_RESERVE_RATE.format(greatest=greatest))
        self._used = text(_USED)
        self._tat = text(_TAT)
        self._settle_budget = text(_SETTLE_BUDGET)
        self._shift_rate = text(_SHIFT_RATE)

    def reserve(self, budgets: Sequence[BudgetLine], rates: Sequence[RateLine], now_us: int) -> Reserved | Refused:
        with self._engine.connect() as conn:
            tats: dict[str, int] = {}
            for index, line in sorted(enumerate(rates), key=lambda item: item[1].bucket):
                params = {"bucket": line.bucket, "now": now_us, "inc": line.increment_us, "capacity": line.capacity_us}
                row = conn.execute(self._reserve_rate, params).first() if line.cost <= line.limit else None
                if row is None:
                    current = conn.execute(self._tat, {"bucket": line.bucket}).scalar()
                    conn.rollback()
                    return Refused("rate", index, tat_us=int(current or 0))
                tats[line.bucket] = int(row[0])
            for index, budget in sorted(enumerate(budgets), key=lambda item: item[1].budget_id):
                cap = UNCAPPED if budget.cap_micros is None else budget.cap_micros
                params = {
                    "budget_id": budget.budget_id,
                    "period": budget.period_key,
                    "amount": budget.amount_micros,
                    "cap": cap,
                }
                row = conn.execute(self._reserve_budget, params).first() if budget.amount_micros <= cap else None
                if row is None:
                    used = conn.execute(self._used, params).scalar()
                    conn.rollback()
                    return Refused("budget", index, used_micros=int(used or 0))
            conn.commit()
        return Reserved(tuple(tats[line.bucket] for line in rates))

    def settle(
        self, budgets: Sequence[BudgetLine], actual_micros: int, token_adjust_us: Sequence[tuple[str, int]]
    ) -> None:
        budget_rows = [
            {"budget_id": b.budget_id, "period": b.period_key, "amount": b.amount_micros, "actual": actual_micros}
            for b in sorted(budgets, key=lambda b: b.budget_id)
        ]
        rate_rows = [{"bucket": bucket, "delta": delta} for bucket, delta in sorted(token_adjust_us) if delta]
        if not budget_rows and not rate_rows:
            return
        with self._engine.begin() as conn:
            if rate_rows:
                conn.execute(self._shift_rate, rate_rows)
            if budget_rows:
                conn.execute(self._settle_budget, budget_rows)

    def read(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Usage]:
        out = {key: Usage(0, 0) for key in keys}
        if not keys:
            return out
        ids = sorted({budget_id for budget_id, _ in keys})
        query = text(
            "SELECT budget_id, period_start, spent_micros, reserved_micros FROM budget_spend "
            "WHERE budget_id IN (" + ", ".join(f":b{i}" for i in range(len(ids))) + ")"
        )
        with self._engine.connect() as conn:
            for budget_id, period, spent, reserved in conn.execute(query, {f"b{i}": v for i, v in enumerate(ids)}):
                if (budget_id, int(period)) in out:
                    out[(budget_id, int(period))] = Usage(int(spent), int(reserved))
        return out
