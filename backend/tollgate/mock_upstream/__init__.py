"""A local upstream that speaks OpenAI's wire format, for the offline demo, the tests and the benchmark."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .app import MockState as MockState
from .app import MockUpstream as MockUpstream

MOUNT_PATH = "/mock"
DEMO_API_KEY = "mock-upstream-key"
"""Not a secret: the built-in mock accepts only this key, so lanes exercise real credential handling."""


DEMO_MODELS = [
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o3-mini",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "dall-e-2",
    "dall-e-3",
    "gpt-image-1",
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
]
"""What the demo's mock lists in /models and serves (chat, embeddings, images, transcriptions); any other model
gets 404 `model_not_found`, as at OpenAI."""


def mount(app: Flask) -> None:
    """Serve the mock under /mock (so /mock/v1 is an OpenAI base URL) beside the gateway."""
    state = MockState(api_key=DEMO_API_KEY, models=list(DEMO_MODELS), strict_models=True)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {MOUNT_PATH: MockUpstream(state)})  # type: ignore[method-assign]
