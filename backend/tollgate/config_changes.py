"""Noticing, at commit, a change to anything a cached `KeyContext` holds, and telling every process.

One mechanism for every writer (admin API endpoints, the CLI, the demo seed): the session records which tables
a flush or an UPDATE/DELETE statement touched, and after the commit, if one of them feeds the key cache, the
app's key resolver invalidates (its process at once, the other processes of the data directory through the
shared generation counter, other hosts through Redis). An endpoint cannot forget to call it, and a rolled-back
change invalidates nothing.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

KEY_CONTEXT_TABLES = frozenset(
    {
        "workspaces",  # timezone (budget periods)
        "clients",  # archived, slug
        "projects",  # X-Project-ID ids and slugs
        "sub_keys",  # revoked, expiry, allowed models, project
        "lanes",  # base URL, credential, models, disabled
        "route_entries",  # routing order
        "provider_keys",  # a client's own keys: which serve, for what
        "budgets",
        "rate_limits",
        "price_overrides",
    }
)
"""Every table `KeyResolver._load` and `budgets.loader.load_limits` read. A write to another table (request
logs, the ledger's spend, audit events, admin tokens) leaves the cache valid."""

_STALE = "tollgate.key_cache_stale"


def install() -> None:
    """Listen on every ORM session (idempotent: `create_app` runs once per app, tests build many)."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _do_orm_execute),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    # After a flush, `new`/`dirty`/`deleted` still list what it wrote.
    for instance in chain(session.new, session.dirty, session.deleted):
        if _table_name(instance) in KEY_CONTEXT_TABLES:
            session.info[_STALE] = True
            return


def _do_orm_execute(state: ORMExecuteState) -> None:
    """`session.execute(update(SubKey)…)` and the like bypass the flush: look at the statement's table."""
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in KEY_CONTEXT_TABLES:
            state.session.info[_STALE] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_STALE, False) and has_app_context():
        tollgate = current_app.extensions.get("tollgate")
        if tollgate is not None:
            tollgate.keys.invalidate()


def _after_rollback(session: Session) -> None:
    session.info.pop(_STALE, None)


def _table_name(instance: Any) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return getattr(table, "name", None)
