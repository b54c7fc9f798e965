"""The SQL ledger store: SQLite (shared by the gateway's worker processes through WAL) or PostgreSQL.

A reservation is one conditional upsert per budget row and per rate bucket, all in one transaction: the
upsert adds to the row only if the result stays within the cap (`ON CONFLICT … DO UPDATE … WHERE`), and a
row it did not touch rolls the whole transaction back. PostgreSQL re-checks the WHERE against the latest
row version under concurrency, SQLite serialises writers, so concurrent requests can never both take the
last slice of a budget. Rows are visited in a fixed order so two transactions never wait on each other.

A reservation with a request id also inserts a `budget_holds` row (expiry, amount, the budget rows it holds) in
the same transaction. Settle deletes that row and releases the reservation only if the delete found it; the
sweep (`release_expired`) deletes expired rows the same way, so whichever comes first releases, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, text

from .ratelimit import RateLine
from .store import BudgetLine, HoldRef, Refused, Reserved, Usage, WindowState, WindowTake

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
_CARRY = (
    "CASE WHEN budget_spend.spent_remainder_picos + :rem >= 500000 THEN 1"
    " WHEN budget_spend.spent_remainder_picos + :rem < -500000 THEN -1 ELSE 0 END"
)
"""Whole micro-dollars to carry when `:rem` pico-dollars join the row's remainder (qualified, so that it reads the
existing row in an upsert's DO UPDATE as well as in a plain UPDATE)."""
_SETTLE_BUDGET = f"""
UPDATE budget_spend SET reserved_micros = reserved_micros - :amount,
spent_micros = spent_micros + :actual + {_CARRY},
spent_remainder_picos = spent_remainder_picos + :rem - 1000000 * {_CARRY}
WHERE budget_id = :budget_id AND period_start = :period
"""
"""The remainder stays in [-500,000, 500,000) pico-dollars: SET expressions all read the row's old values."""
_SHIFT_RATE = "UPDATE rate_buckets SET tat_us = tat_us + :delta WHERE bucket = :bucket"
_INSERT_HOLD = """
INSERT INTO budget_holds (request_id, expires_at, lines) VALUES (:request_id, :expires, :lines)
"""
_DELETE_HOLD = "DELETE FROM budget_holds WHERE request_id = :request_id RETURNING lines"
_EXPIRED_HOLDS = """
SELECT request_id FROM budget_holds WHERE expires_at <= :now ORDER BY expires_at LIMIT :limit
"""
_ADD_SPEND = f"""
INSERT INTO budget_spend (budget_id, period_start, spent_micros, reserved_micros, spent_remainder_picos)
VALUES (:budget_id, :period, :amount, 0, :rem)
ON CONFLICT (budget_id, period_start) DO UPDATE SET
spent_micros = budget_spend.spent_micros + excluded.spent_micros + {_CARRY},
spent_remainder_picos = budget_spend.spent_remainder_picos + :rem - 1000000 * {_CARRY}
"""
"""A new row's remainder is already in [-500,000, 500,000) (`prices.split_picos`); an existing one carries."""
_MARK_REFUSED = """
INSERT INTO budget_spend (budget_id, period_start, spent_micros, reserved_micros, refused_at)
VALUES (:budget_id, :period, 0, 0, :at)
ON CONFLICT (budget_id, period_start) DO UPDATE SET refused_at = excluded.refused_at
WHERE budget_spend.refused_at IS NULL
"""
_ENDED = "lane_windows.started_us + :window <= :now"
_TAKE_WINDOW = f"""
INSERT INTO lane_windows (lane_id, started_us, used, held) VALUES (:lane_id, :now, 0, :amount)
ON CONFLICT (lane_id) DO UPDATE SET
started_us = CASE WHEN {_ENDED} THEN :now ELSE lane_windows.started_us END,
used = CASE WHEN {_ENDED} THEN 0 ELSE lane_windows.used END,
held = CASE WHEN {_ENDED} THEN :amount ELSE lane_windows.held + :amount END
WHERE {_ENDED} OR lane_windows.used + lane_windows.held < :limit
RETURNING started_us, used, held
"""
"""One conditional upsert, like a budget reservation: SET expressions read the row's old values, and a row the
WHERE rejects returns nothing (the window is full). A new row is admitted: `limit` is at least 1."""
_SETTLE_WINDOW = """
UPDATE lane_windows SET held = held - :held, used = used + :used WHERE lane_id = :lane_id AND started_us = :started
"""
_READ_WINDOW = "SELECT started_us, used, held FROM lane_windows WHERE lane_id = :lane_id"
_RELEASE_BUDGET = """
UPDATE budget_spend SET reserved_micros = reserved_micros - :amount
WHERE budget_id = :budget_id AND period_start = :period
"""


class SqlLedgerStore:
    """Runs on the engine's pooled DB-API connections directly (sqlite3 or psycopg): on the hot path the SQL
    layer's per-statement overhead would cost more than the statements themselves."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        greatest = "max" if sqlite else "greatest"

        def prepare(sql: str) -> str:
            return sql if sqlite else re.sub(r":(\w+)", r"%(\1)s", sql)

        self._reserve_budget = prepare(_RESERVE_BUDGET)
        self._reserve_rate = prepare(_RESERVE_RATE.format(greatest=greatest))
        self._used = prepare(_USED)
        self._tat = prepare(_TAT)
        self._settle_budget = prepare(_SETTLE_BUDGET)
        self._shift_rate = prepare(_SHIFT_RATE)
        self._insert_hold = prepare(_INSERT_HOLD)
        self._delete_hold = prepare(_DELETE_HOLD)
        self._expired_holds = prepare(_EXPIRED_HOLDS)
        self._release_budget = prepare(_RELEASE_BUDGET)
        self._mark_refused = prepare(_MARK_REFUSED)
        self._add_spend = prepare(_ADD_SPEND)
        self._take_window = prepare(_TAKE_WINDOW)
        self._settle_window = prepare(_SETTLE_WINDOW)
        self._read_window = prepare(_READ_WINDOW)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor in a transaction: committed when the block ends, rolled back when it raises."""
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            yield cursor
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()  # back to the pool

    def reserve(
        self, budgets: Sequence[BudgetLine], rates: Sequence[RateLine], now_us: int, hold: HoldRef | None = None
    ) -> Reserved | Refused:
        with self._cursor() as cur:
            outcome = self._reserve(cur, budgets, rates, now_us)
            if isinstance(outcome, Refused):
                cur.connection.rollback()
            elif hold is not None and budgets:
                params = {"request_id": hold.request_id, "expires": hold.expires_at, "lines": _encode(budgets)}
                cur.execute(self._insert_hold, params)
            return outcome

    def _reserve(
        self, cur: Any, budgets: Sequence[BudgetLine], rates: Sequence[RateLine], now_us: int
    ) -> Reserved | Refused:
        tats: dict[str, int] = {}
        for index, line in sorted(enumerate(rates), key=lambda item: item[1].bucket):
            params = {"bucket": line.bucket, "now": now_us, "inc": line.increment_us, "capacity": line.capacity_us}
            row = _one(cur, self._reserve_rate, params) if line.cost <= line.limit else None
            if row is None:
                current = _one(cur, self._tat, {"bucket": line.bucket})
                return Refused("rate", index, tat_us=int(current[0]) if current else 0)
            tats[line.bucket] = int(row[0])
        for index, budget in sorted(enumerate(budgets), key=lambda item: item[1].budget_id):
            cap = UNCAPPED if budget.cap_micros is None else budget.cap_micros
            params = {"budget_id": budget.budget_id, "period": budget.period_key, "amount": budget.amount_micros}
            params["cap"] = cap
            row = _one(cur, self._reserve_budget, params) if budget.amount_micros <= cap else None
            if row is None:
                used = _one(cur, self._used, params)
                return Refused("budget", index, used_micros=int(used[0]) if used else 0)
        return Reserved(tuple(tats[line.bucket] for line in rates))

    def settle(
        self,
        budgets: Sequence[BudgetLine],
        actual_micros: int,
        token_adjust_us: Sequence[tuple[str, int]],
        hold_id: str | None = None,
        actual_remainder_picos: int = 0,
    ) -> None:
        rate_rows = [{"bucket": bucket, "delta": delta} for bucket, delta in sorted(token_adjust_us) if delta]
        if not budgets and not rate_rows:
            return
        with self._cursor() as cur:
            for rate_row in rate_rows:
                cur.execute(self._shift_rate, rate_row)
            # The sweep may have released this hold already (its request outlived the hold's expiry): then only
            # the spend is recorded. Deleting the row first makes settle and sweep exclusive on PostgreSQL too.
            release = (
                hold_id is None or not budgets or _one(cur, self._delete_hold, {"request_id": hold_id}) is not None
            )
            for b in sorted(budgets, key=lambda b: b.budget_id):
                amount = b.amount_micros if release else 0
                row = {"budget_id": b.budget_id, "period": b.period_key, "amount": amount, "actual": actual_micros}
                row["rem"] = actual_remainder_picos
                cur.execute(self._settle_budget, row)

    def release_expired(self, now_s: int, limit: int = 500) -> int:
        """Each expired hold in its own short transaction: delete it, and release it only if the delete found it
        (a settle or another process's sweep may have got there first)."""
        with self._cursor() as cur:
            cur.execute(self._expired_holds, {"now": now_s, "limit": limit})
            expired = [str(row[0]) for row in cur.fetchall()]
        released = 0
        for request_id in expired:
            with self._cursor() as cur:
                row = _one(cur, self._delete_hold, {"request_id": request_id})
                if row is None:
                    continue
                for budget_id, period, amount in sorted(_decode(str(row[0]))):
                    params = {"budget_id": budget_id, "period": period, "amount": amount}
                    cur.execute(self._release_budget, params)
                released += 1
        return released

    def add_spend(self, budgets: Sequence[BudgetLine], remainders_picos: Sequence[int] = ()) -> None:
        if not budgets:
            return
        rems = list(remainders_picos) or [0] * len(budgets)
        with self._cursor() as cur:
            for b, rem in sorted(
                zip(budgets, rems, strict=True), key=lambda pair: (pair[0].budget_id, pair[0].period_key)
            ):
                params = {"budget_id": b.budget_id, "period": b.period_key, "amount": b.amount_micros, "rem": rem}
                cur.execute(self._add_spend, params)

    def mark_refused(self, budget: BudgetLine, at_s: int) -> None:
        with self._cursor() as cur:
            cur.execute(self._mark_refused, {"budget_id": budget.budget_id, "period": budget.period_key, "at": at_s})

    def take_window(self, lane_id: str, amount: int, limit: int, window_us: int, now_us: int) -> WindowTake:
        params = {"lane_id": lane_id, "amount": amount, "limit": limit, "window": window_us, "now": now_us}
        with self._cursor() as cur:
            row = _one(cur, self._take_window, params)
            if row is not None:
                return WindowTake(True, WindowState(int(row[0]), int(row[1]), int(row[2])))
            row = _one(cur, self._read_window, params)
        return WindowTake(False, WindowState(int(row[0]), int(row[1]), int(row[2])))

    def settle_window(self, lane_id: str, started_us: int, held: int, used: int) -> None:
        with self._cursor() as cur:
            params = {"lane_id": lane_id, "started": started_us, "held": held, "used": used}
            cur.execute(self._settle_window, params)

    def read_window(self, lane_id: str) -> WindowState | None:
        with self._cursor() as cur:
            row = _one(cur, self._read_window, {"lane_id": lane_id})
        return None if row is None else WindowState(int(row[0]), int(row[1]), int(row[2]))

    def read(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Usage]:
        out = {key: Usage(0, 0) for key in keys}
        if not keys:
            return out
        ids = sorted({budget_id for budget_id, _ in keys})
        query = text(
            "SELECT budget_id, period_start, spent_micros, reserved_micros, refused_at FROM budget_spend "
            "WHERE budget_id IN (" + ", ".join(f":b{i}" for i in range(len(ids))) + ")"
        )
        with self._engine.connect() as conn:
            params = {f"b{i}": v for i, v in enumerate(ids)}
            for budget_id, period, spent, reserved, refused in conn.execute(query, params):
                if (budget_id, int(period)) in out:
                    refused_at = None if refused is None else int(refused)
                    out[(budget_id, int(period))] = Usage(int(spent), int(reserved), refused_at)
        return out


def _encode(budgets: Sequence[BudgetLine]) -> str:
    """What a hold reserved: `budget_id:period_start:micros` per budget row, separated by spaces."""
    return " ".join(f"{b.budget_id}:{b.period_key}:{b.amount_micros}" for b in budgets)


def _decode(lines: str) -> list[tuple[str, int, int]]:
    out = []
    for item in lines.split():
        budget_id, period, amount = item.rsplit(":", 2)
        out.append((budget_id, int(period), int(amount)))
    return out


def _one(cur: Any, sql: str, params: dict[str, Any]) -> Any:
    cur.execute(sql, params)
    rows = cur.fetchall()  # read everything: SQLite finishes a RETURNING statement only then
    return rows[0] if rows else None
