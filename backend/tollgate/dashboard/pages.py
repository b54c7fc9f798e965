"""The dashboard blueprint and what every page shares: the sign-in guard, CSRF, the in-process admin API
client for the signed-in actor, flash messages for a refused change, and the template helpers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..admin.auth import Actor
from .admin_calls import AdminCalls, AdminError, Answer
from .session import LoginLimiter, check_csrf, csrf_token, current_actor, sign_in, sign_out

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates", static_folder="static")
_OPEN_ENDPOINTS = frozenset({"dashboard.login", "dashboard.static"})
AGENCY_ROLES = frozenset({"owner", "admin", "viewer"})


def actor() -> Actor:
    found = current_actor()
    assert found is not None  # the guard redirected anyone signed out
    return found


def api() -> AdminCalls:
    return AdminCalls(actor())


def guard_agency() -> Response | None:
    """Signed-out visitors go to the sign-in page; a client's session belongs in the portal."""
    check_csrf(request)
    if request.endpoint in _OPEN_ENDPOINTS:
        return None
    who = current_actor()
    if who is None:
        return redirect(url_for("dashboard.login", next=request.full_path if request.method == "GET" else None))
    if who.role not in AGENCY_ROLES:
        return redirect(url_for("portal.home"))
    return None


bp.before_request(guard_agency)


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "who": current_actor, "usd": usd, "can_write": can_write, "pct": pct}


@bp.after_app_request
def _security_headers(response: Response) -> Response:
    """Pages only: no framing, no sniffing, and a policy that allows this origin's own scripts and styles only
    (every asset is served locally)."""
    if request.blueprint in ("dashboard", "portal"):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_errorhandler(AdminError)
def _admin_refused(exc: AdminError) -> tuple[str, int]:
    """A page reading something the API refuses (another client's id: 404) answers with the API's status."""
    return render_template("dashboard/error.html", status=exc.answer.status, detail=exc.answer.problem), (
        exc.answer.status
    )


def can_write() -> bool:
    who = current_actor()
    return who is not None and who.role in ("owner", "admin", "client")


def usd(value: Any, places: int = 2) -> str:
    """An exact `*_usd` string or integer micro-dollars as `$1,234.56` (display rounding only); an amount under
    a cent shows its micro-dollars, so one cheap call does not read as $0.00."""
    if value is None:
        return "—"
    amount = Decimal(value) / 1_000_000 if isinstance(value, int) else Decimal(str(value))
    if amount and abs(amount) < Decimal("0.01"):
        places = 6
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


def pct(part: int, whole: int) -> int:
    """Percent for a bar's width, 0–100."""
    if whole <= 0:
        return 0
    return max(0, min(100, part * 100 // whole))


def change(answer: Answer, done: str) -> bool:
    """Flash the outcome of a change the admin API was asked to make."""
    if answer.ok:
        flash(done, "ok")
    else:
        flash(answer.problem, "error")
    return answer.ok


def back(default: str) -> Response:
    """After a form: back where it came from when that is a dashboard page, else `default`."""
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/dashboard") or target.startswith("/portal") else default)


def _login_limiter() -> LoginLimiter:
    """One limiter per app (not per module: a second app in the same process starts with a clean slate)."""
    found: LoginLimiter = current_app.extensions.setdefault("dashboard_login_limiter", LoginLimiter())
    return found


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with an admin token: an agency role lands on the overview, a client token in the portal."""
    if request.method == "GET":
        return render_template("dashboard/login.html", next=request.args.get("next", ""))
    if not _login_limiter().allow(request.remote_addr or "?"):
        return render_template("dashboard/login.html", error="Too many attempts; wait a minute.", next=""), 429
    from ..admin.problems import Problem

    try:
        who = sign_in(request.form.get("token", ""))
    except Problem as exc:
        return render_template("dashboard/login.html", error=exc.detail, next=""), exc.code or 401
    g.pop("dashboard_actor", None)
    if who.role not in AGENCY_ROLES:
        return redirect(url_for("portal.home"))
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/dashboard/") else url_for("dashboard.overview"))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    sign_out()
    return redirect(url_for("dashboard.login"))
