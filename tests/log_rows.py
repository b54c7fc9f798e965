"""Reading request-log rows in tests. The gateway logs after the response is written (a stream's row is
submitted when the server finishes the generator, which may be just after the client saw `[DONE]`), so a
test waits for the rows it expects instead of racing the server thread."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import select

from tollgate.extensions import db
from tollgate.models import RequestLog
from tollgate.services import Services


def wait_rows(app: Flask, svc: Services, count: int = 1, timeout_s: float = 5.0) -> list[RequestLog]:
    """All request-log rows (oldest first) once at least `count` are written, or whatever is there at timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert svc.log_writer.flush()
        with app.app_context():
            rows = list(db.session.scalars(select(RequestLog).order_by(RequestLog.id)))
        if len(rows) >= count or time.monotonic() >= deadline:
            return rows
        time.sleep(0.02)
