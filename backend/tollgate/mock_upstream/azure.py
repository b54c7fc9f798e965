"""A local Azure OpenAI resource, for tests: `POST /openai/deployments/{deployment}/{chat/completions|embeddings}
?api-version=…` with the key in `api-key`, served by the OpenAI mock (app.py) for the deployment's model.

As Azure answers: a wrong or missing `api-key` gets 401, a missing `api-version` 404 "Resource not found", an
unknown deployment 404 `DeploymentNotFound`. The body reports the deployment's underlying model, as Azure's
does. Every request is recorded with its deployment, api-version and headers."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

from .app import MockState, MockUpstream
from .wsgi import json_response

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


@dataclass
class AzureMockState:
    api_key: str
    deployments: dict[str, str]
    """Deployment name → the model it runs (reported as the served model)."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class AzureMock:
    def __init__(self, state: AzureMockState, openai: MockState | None = None) -> None:
        self.state = state
        self._openai = MockUpstream(openai or MockState())

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        with self.state.lock:
            self.state.requests.append(
                {
                    "path": path,
                    "query": query,
                    "api_key": environ.get("HTTP_API_KEY"),
                    "auth": environ.get("HTTP_AUTHORIZATION"),
                }
            )
        if environ.get("HTTP_API_KEY") != self.state.api_key:
            message = "Access denied due to invalid subscription key or wrong API endpoint."
            return json_response(start_response, 401, {"error": {"code": "401", "message": message}})
        parts = path.split("/")
        if "api-version" not in query or len(parts) < 5 or parts[1:3] != ["openai", "deployments"]:
            return json_response(start_response, 404, {"error": {"code": "404", "message": "Resource not found"}})
        deployment, operation = unquote(parts[3]), "/" + "/".join(parts[4:])
        model = self.state.deployments.get(deployment)
        if model is None:
            message = "The API deployment for this resource does not exist."
            return json_response(start_response, 404, {"error": {"code": "DeploymentNotFound", "message": message}})
        body = orjson.loads(raw) if raw else {}
        body["model"] = model
        data = orjson.dumps(body)
        inner = dict(environ)
        inner.update(
            {
                "PATH_INFO": "/v1" + operation,
                "QUERY_STRING": "",
                "CONTENT_LENGTH": str(len(data)),
                "wsgi.input": io.BytesIO(data),
            }
        )
        inner.pop("HTTP_AUTHORIZATION", None)
        return self._openai(inner, start_response)
