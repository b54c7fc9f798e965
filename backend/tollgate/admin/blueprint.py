"""The admin blueprint factory: every resource module makes its blueprint here, so all of them share the
URL prefix, authentication and access rules, idempotency, and the conflict handler."""

from __future__ import annotations

from typing import Final

from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from . import idempotency
from .auth import authorize
from .problems import handle_integrity_error

API_PREFIX: Final = "/api/v1"


def admin_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint mounted under /api/v1; routes are declared with their full path below it."""
    bp = Blueprint(name, import_name, url_prefix=API_PREFIX, description=description)
    bp.before_request(authorize)
    bp.before_request(idempotency.claim)
    bp.after_request(idempotency.store)
    bp.register_error_handler(IntegrityError, handle_integrity_error)
    return bp
