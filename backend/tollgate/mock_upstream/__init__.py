"""A local upstream that speaks OpenAI's wire format, for the offline demo, the tests and the benchmark."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .app import MockState as MockState
from .app import MockUpstream as MockUpstream

MOUNT_PATH = "/mock"
DEMO_API_KEY = "mock-upstream-key"
"""Not a secret: the built-in mock accepts only this key, so lanes exercise real credential handling."""


def mount(app: Flask) -> None:
    """Serve the mock under /mock (so /mock/v1 is an OpenAI base URL) beside the gateway."""
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {MOUNT_PATH: MockUpstream(MockState(api_key=DEMO_API_KEY))}
    )
