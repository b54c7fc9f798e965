"""The Redis ledger store: one Lua script per reservation and one per settlement, so several processes or
hosts share budgets and rate limits. Redis runs a script atomically: the checks and the writes of a request
cannot interleave with another request's.

Keys: `tg:spend:{budget}:{period}` is a hash (s = spent, r = reserved, micro-dollars; p = the spend's remainder in
pico-dollars, kept in [-500,000, 500,000) by carrying into s; x = Unix seconds of the period's first refusal, if
any); `tg:rate:{bucket}`
holds a bucket's TAT in Unix microseconds and expires when the bucket is full again. `tg:holds` is a sorted
set of unsettled reservations (request ids scored by expiry, Unix seconds) and `tg:hold-lines` a hash of what
each reserved (`key micros` pairs): settle removes the hold and releases only if it was still there, the sweep
script releases expired ones, so a reservation is released exactly once. Cluster mode is not supported (a
request's keys would need one hash slot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .ratelimit import RateLine
from .store import BudgetLine, HoldRef, Refused, Reserved, Usage, WindowState, WindowTake

_RESERVE = """
local now = tonumber(ARGV[1])
local nrates = tonumber(ARGV[2])
local tats = {}
for i = 1, nrates do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  local inc = tonumber(ARGV[1 + 2 * i])
  local capacity = tonumber(ARGV[2 + 2 * i])
  local base = math.max(tat, now)
  if base + inc - now > capacity then return {1, i, string.format('%d', tat)} end
  tats[i] = base + inc
end
local off = 2 + 2 * nrates
local nbudgets = #KEYS - nrates
for j = 1, nbudgets do
  local amount = tonumber(ARGV[off + 3 * j - 2])
  local cap = tonumber(ARGV[off + 3 * j - 1])
  local v = redis.call('HMGET', KEYS[nrates + j], 's', 'r')
  local used = tonumber(v[1] or '0') + tonumber(v[2] or '0')
  if cap >= 0 and used + amount > cap then return {2, j, string.format('%d', used)} end
end
local out = {0}
for i = 1, nrates do
  local ttl_ms = math.floor((tats[i] - now) / 1000) + 1000
  redis.call('SET', KEYS[i], string.format('%d', tats[i]), 'PX', ttl_ms)
  out[i + 1] = string.format('%d', tats[i])
end
for j = 1, nbudgets do
  local key = KEYS[nrates + j]
  redis.call('HINCRBY', key, 'r', ARGV[off + 3 * j - 2])
  redis.call('HINCRBY', key, 's', 0)
  local expires = tonumber(ARGV[off + 3 * j])
  if expires > 0 then redis.call('EXPIREAT', key, expires) end
end
local hold = ARGV[off + 3 * nbudgets + 1]
if hold ~= '' and nbudgets > 0 then
  local lines = {}
  for j = 1, nbudgets do
    lines[#lines + 1] = KEYS[nrates + j] .. ' ' .. ARGV[off + 3 * j - 2]
  end
  redis.call('ZADD', 'tg:holds', ARGV[off + 3 * nbudgets + 2], hold)
  redis.call('HSET', 'tg:hold-lines', hold, table.concat(lines, ' '))
end
return out
"""

_ADD_REMAINDER = """
local function add_remainder(key, rem)
  if rem == 0 then return end
  local p = redis.call('HINCRBY', key, 'p', rem)
  if p >= 500000 then
    redis.call('HINCRBY', key, 'p', -1000000)
    redis.call('HINCRBY', key, 's', 1)
  elseif p < -500000 then
    redis.call('HINCRBY', key, 'p', 1000000)
    redis.call('HINCRBY', key, 's', -1)
  end
end
"""
"""Adds pico-dollars to a spend hash's remainder `p`, carrying whole micro-dollars into `s` so `p` stays in
[-500,000, 500,000): shared by settle and by spend added after the fact."""

_SETTLE = (
    _ADD_REMAINDER
    + """
local nbudgets = tonumber(ARGV[1])
local hold = ARGV[#ARGV]
local release = true
if hold ~= '' and nbudgets > 0 then
  release = redis.call('ZREM', 'tg:holds', hold) == 1
  redis.call('HDEL', 'tg:hold-lines', hold)
end
local rem = tonumber(ARGV[#ARGV - 1])
for j = 1, nbudgets do
  if release then redis.call('HINCRBY', KEYS[j], 'r', string.format('%d', -tonumber(ARGV[2 * j]))) end
  redis.call('HINCRBY', KEYS[j], 's', ARGV[2 * j + 1])
  add_remainder(KEYS[j], rem)
end
for i = nbudgets + 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('INCRBY', KEYS[i], ARGV[1 + 2 * nbudgets + (i - nbudgets)])
  end
end
return 0
"""
)


_RELEASE_EXPIRED = """
local ids = redis.call('ZRANGEBYSCORE', 'tg:holds', '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', 'tg:holds', id)
  local lines = redis.call('HGET', 'tg:hold-lines', id)
  redis.call('HDEL', 'tg:hold-lines', id)
  if lines then
    local key = nil
    for word in string.gmatch(lines, '%S+') do
      if key == nil then
        key = word
      else
        if redis.call('EXISTS', key) == 1 then
          redis.call('HINCRBY', key, 'r', string.format('%d', -tonumber(word)))
        end
        key = nil
      end
    end
  end
end
return #ids
"""


_TAKE_WINDOW = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, amount = tonumber(ARGV[3]), tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 's', 'u', 'h')
local s, u, h = tonumber(v[1] or '0'), tonumber(v[2] or '0'), tonumber(v[3] or '0')
if not v[1] or s + window <= now then
  s, u, h = now, 0, 0
elseif u + h >= limit then
  return {0, string.format('%d', s), string.format('%d', u), string.format('%d', h)}
end
h = h + amount
redis.call('HSET', KEYS[1], 's', string.format('%d', s), 'u', string.format('%d', u), 'h', string.format('%d', h))
redis.call('PEXPIREAT', KEYS[1], string.format('%d', math.floor((s + window) / 1000) + 60000))
return {1, string.format('%d', s), string.format('%d', u), string.format('%d', h)}
"""
"""A lane's window is the hash `tg:lane:{id}` (s = opened at, Unix µs; u = used; h = held); it expires a minute
after the window ends, when a new one would replace it anyway."""

_SETTLE_WINDOW = """
if redis.call('HGET', KEYS[1], 's') == ARGV[1] then
  redis.call('HINCRBY', KEYS[1], 'h', string.format('%d', -tonumber(ARGV[2])))
  redis.call('HINCRBY', KEYS[1], 'u', ARGV[3])
end
return 0
"""


def lane_key(lane_id: str) -> str:
    return f"tg:lane:{lane_id}"


def spend_key(budget_id: str, period_key: int) -> str:
    return f"tg:spend:{budget_id}:{period_key}"


def rate_key(bucket: str) -> str:
    return f"tg:rate:{bucket}"


_ADD_SPEND = (
    _ADD_REMAINDER
    + """
-- KEYS: spend hashes; ARGV: (micros, remainder picos, expires_at) per key. Spend that already happened: no cap.
for j = 1, #KEYS do
  redis.call('HINCRBY', KEYS[j], 's', ARGV[3 * j - 2])
  redis.call('HINCRBY', KEYS[j], 'r', 0)
  local rem = tonumber(ARGV[3 * j - 1])
  add_remainder(KEYS[j], rem)
  if tonumber(ARGV[3 * j]) > 0 then redis.call('EXPIREAT', KEYS[j], ARGV[3 * j]) end
end
return 0
"""
)


class RedisLedgerStore:
    def __init__(self, client: Any) -> None:
        """`client`: a `redis.Redis` (decode_responses off or on; both work)."""
        self._redis = client
        self._reserve = client.register_script(_RESERVE)
        self._settle = client.register_script(_SETTLE)
        self._add_spend = client.register_script(_ADD_SPEND)
        self._release_expired = client.register_script(_RELEASE_EXPIRED)
        self._take_window = client.register_script(_TAKE_WINDOW)
        self._settle_window = client.register_script(_SETTLE_WINDOW)

    @classmethod
    def from_url(cls, url: str) -> RedisLedgerStore:
        import redis

        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30))

    def reserve(
        self, budgets: Sequence[BudgetLine], rates: Sequence[RateLine], now_us: int, hold: HoldRef | None = None
    ) -> Reserved | Refused:
        keys = [rate_key(r.bucket) for r in rates] + [spend_key(b.budget_id, b.period_key) for b in budgets]
        args: list[int] = [now_us, len(rates)]
        for rate in rates:
            args += [rate.increment_us, rate.capacity_us if rate.cost <= rate.limit else -1]
        for budget in budgets:
            cap = -1 if budget.cap_micros is None else budget.cap_micros
            args += [budget.amount_micros, cap, budget.expires_at or 0]
        hold_args: list[int | str] = ["", 0] if hold is None else [hold.request_id, hold.expires_at]
        result = self._reserve(keys=keys, args=[*args, *hold_args])
        status = int(result[0])
        if status == 0:
            return Reserved(tuple(int(v) for v in result[1:]))
        if status == 1:
            return Refused("rate", int(result[1]) - 1, tat_us=int(result[2]))
        return Refused("budget", int(result[1]) - 1, used_micros=int(result[2]))

    def settle(
        self,
        budgets: Sequence[BudgetLine],
        actual_micros: int,
        token_adjust_us: Sequence[tuple[str, int]],
        hold_id: str | None = None,
        actual_remainder_picos: int = 0,
    ) -> None:
        shifts = [(bucket, delta) for bucket, delta in token_adjust_us if delta]
        if not budgets and not shifts:
            return
        keys = [spend_key(b.budget_id, b.period_key) for b in budgets] + [rate_key(b) for b, _ in shifts]
        args: list[int] = [len(budgets)]
        for budget in budgets:
            args += [budget.amount_micros, actual_micros]
        args += [delta for _, delta in shifts]
        self._settle(keys=keys, args=[*args, actual_remainder_picos, hold_id or ""])

    def add_spend(self, budgets: Sequence[BudgetLine], remainders_picos: Sequence[int] = ()) -> None:
        if not budgets:
            return
        rems = list(remainders_picos) or [0] * len(budgets)
        keys = [spend_key(b.budget_id, b.period_key) for b in budgets]
        args: list[int] = []
        for budget, rem in zip(budgets, rems, strict=True):
            args += [budget.amount_micros, rem, budget.expires_at or 0]
        self._add_spend(keys=keys, args=args)

    def mark_refused(self, budget: BudgetLine, at_s: int) -> None:
        key = spend_key(budget.budget_id, budget.period_key)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hsetnx(key, "x", at_s)
        if budget.expires_at:
            pipe.expireat(key, budget.expires_at)
        pipe.execute()

    def release_expired(self, now_s: int, limit: int = 500) -> int:
        return int(self._release_expired(keys=[], args=[now_s, limit]))

    def read(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Usage]:
        pipe = self._redis.pipeline(transaction=False)
        for budget_id, period in keys:
            pipe.hmget(spend_key(budget_id, period), "s", "r", "x")
        out: dict[tuple[str, int], Usage] = {}
        for key, (spent, reserved, refused) in zip(keys, pipe.execute(), strict=True):
            out[key] = Usage(int(spent or 0), int(reserved or 0), None if refused is None else int(refused))
        return out

    def take_window(self, lane_id: str, amount: int, limit: int, window_us: int, now_us: int) -> WindowTake:
        result = self._take_window(keys=[lane_key(lane_id)], args=[now_us, window_us, limit, amount])
        return WindowTake(int(result[0]) == 1, WindowState(int(result[1]), int(result[2]), int(result[3])))

    def settle_window(self, lane_id: str, started_us: int, held: int, used: int) -> None:
        self._settle_window(keys=[lane_key(lane_id)], args=[started_us, held, used])

    def read_window(self, lane_id: str) -> WindowState | None:
        started, used, held = self._redis.hmget(lane_key(lane_id), "s", "u", "h")
        return None if started is None else WindowState(int(started), int(used or 0), int(held or 0))
