"""Who is signed in to the dashboard, and the guards around every page: a signed session cookie (Flask's,
itsdangerous) that holds an admin token's id — never its secret —, a CSRF token on every form, and a login
rate limit.

Signing in takes an admin token (`tga_…`): the same credentials, roles and client scoping as the admin API. A
client-scoped token is a client's invitation to the portal. Every request checks the token again, so revoking
it (or archiving its client) ends the session at once.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from typing import Final

from flask import Flask, Request, abort, g, session
from flask.sessions import SecureCookieSessionInterface

from ..admin.auth import Actor, actor_for_token_id, authenticate
from ..admin.problems import Problem
from ..budgets.ratelimit import RateLine, fits, next_tat

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
LOGIN_ATTEMPTS_PER_MINUTE: Final = 10
SESSION_HOURS: Final = 12


class DashboardSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session with the flags set for a page holding admin powers: HttpOnly, SameSite=Lax,
    and Secure everywhere except plain HTTP on a loopback host (`make run` on 127.0.0.1), where a browser would
    otherwise drop the cookie and nobody could sign in to the demo."""

    def get_cookie_secure(self, app: Flask) -> bool:
        from flask import request

        return request.is_secure or not _loopback(request.host.rsplit(":", 1)[0].strip("[]"))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configure(app: Flask, key: bytes) -> None:
    """Session settings of the whole app (the admin API and /v1 never read the session)."""
    import datetime as dt

    app.secret_key = key
    app.session_interface = DashboardSessions()
    app.config.update(
        SESSION_COOKIE_NAME="tollgate_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SESSION_HOURS),
    )


def sign_in(token: str) -> Actor:
    """Prove an admin token once and start a session for it; raises `Problem` (401/403) as the API would."""
    found = authenticate(f"Bearer {token.strip()}")
    session.clear()
    session.permanent = True
    session["token_id"] = found.token_id
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return found


def sign_out() -> None:
    session.clear()


def current_actor() -> Actor | None:
    """The signed-in actor for this request (checked against the database), or None."""
    if "dashboard_actor" in g:
        found: Actor | None = g.dashboard_actor
        return found
    token_id = session.get("token_id")
    found = None
    if isinstance(token_id, str):
        try:
            found = actor_for_token_id(token_id)
        except Problem:
            session.clear()
    g.dashboard_actor = found
    return found


def csrf_token() -> str:
    """The session's CSRF token (made on first use, e.g. for the login form before anyone signed in)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request) -> None:
    """400 for a state-changing request whose form field or header does not carry the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "The form expired or did not come from this dashboard; reload the page and try again.")


class LoginLimiter:
    """At most `LOGIN_ATTEMPTS_PER_MINUTE` sign-in attempts per client address, as a GCRA bucket (the gateway's
    rate-limit arithmetic). Kept in the process: each worker counts alone, which still bounds guessing to a few
    per second where a token has 256 bits."""

    def __init__(self, per_minute: int = LOGIN_ATTEMPTS_PER_MINUTE) -> None:
        self._per_minute = per_minute
        self._tats: dict[str, int] = {}
        self._lock = threading.Lock()

    def allow(self, address: str) -> bool:
        line = RateLine(f"login:{address}", "requests", self._per_minute, 1)
        now_us = time.time_ns() // 1000
        with self._lock:
            if len(self._tats) > 10_000:  # forget full buckets so the table cannot grow without end
                self._tats = {k: v for k, v in self._tats.items() if v > now_us}
            tat = self._tats.get(address, 0)
            if not fits(line, tat, now_us):
                return False
            self._tats[address] = next_tat(line, tat, now_us)
            return True
