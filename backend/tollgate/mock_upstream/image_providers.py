"""Local upstreams for the image providers that do not speak OpenAI's format, each in its documented wire format:

- `StabilityMock`: `POST /v2beta/stable-image/generate/{ultra,core,sd3}`, multipart/form-data, `authorization:
  Bearer`, and with `accept: application/json` the image as `{"image": <base64>, "finish_reason", "seed"}`;
  errors as `{"id", "name", "errors": [...]}` (a missing prompt is 400 `bad_request`, a wrong key 401
  `unauthorized`, an unknown sd3 `model` 400).
- `ReplicateMock`: `POST /v1/models/{owner}/{name}/predictions` and `POST /v1/predictions` (`version`) create a
  prediction; with `Prefer: wait` it answers once done or after the wait. `GET /v1/predictions/{id}` polls,
  `POST /v1/predictions/{id}/cancel` cancels, and the outputs are served at `/files/{id}/out-{i}.png`. A
  prediction finishes after `polls_to_finish` polls (0: at once). Errors as `{"title", "detail", "status"}`.
- `ImagenMock`: `POST /v1beta/models/{model}:predict` with `x-goog-api-key`, answering
  `{"predictions": [{"bytesBase64Encoded", "mimeType"}]}` (errors: `{"error": {"code", "message", "status"}}`).

Every request is recorded (path, headers of interest, parsed body) so tests see exactly what the gateway sent.
"""

from __future__ import annotations

import base64
import io
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from .openai_media import PNG_1PX
from .wsgi import json_response

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
PNG_B64 = base64.b64encode(PNG_1PX).decode()
STABILITY_SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3-large", "sd3-medium")


@dataclass
class ImageMockState:
    api_key: str | None = None
    fail_status: int | None = None
    """Answer every create/generate call with this status and the provider's error body."""
    polls_to_finish: int = 0
    """Replicate: polls a prediction needs before it succeeds (0: done when created)."""
    predict_time: float = 2.5
    """Replicate: `metrics.predict_time` (seconds) of a finished prediction."""
    prediction_status: str = "succeeded"
    """Replicate: how a prediction ends (`failed` to test failures)."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    predictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)


def _read(environ: Environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length > 0 else b""


class StabilityMock:
    def __init__(self, state: ImageMockState | None = None) -> None:
        self.state = state or ImageMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        state, path = self.state, environ.get("PATH_INFO", "")
        raw = _read(environ)
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        fields: dict[str, str] = {}
        if mimetype == "multipart/form-data" and options.get("boundary"):
            parsed, _ = MultiPartParser().parse(io.BytesIO(raw), options["boundary"].encode(), len(raw))
            fields = dict(parsed.items(multi=False))
        state.record(
            {
                "path": path,
                "content_type": mimetype,
                "accept": environ.get("HTTP_ACCEPT"),
                "authorization": environ.get("HTTP_AUTHORIZATION"),
                "fields": fields,
            }
        )
        if state.api_key and environ.get("HTTP_AUTHORIZATION") != f"Bearer {state.api_key}":
            return self._error(start_response, 401, "unauthorized", "Incorrect API key provided.")
        kind = path.removeprefix("/v2beta/stable-image/generate/")
        if environ["REQUEST_METHOD"] != "POST" or kind not in ("ultra", "core", "sd3"):
            return self._error(start_response, 404, "not_found", f"{path} not found")
        if mimetype != "multipart/form-data":
            return self._error(start_response, 400, "bad_request", "content-type must be multipart/form-data")
        if state.fail_status is not None:
            return self._error(start_response, state.fail_status, "server_error", "mock failure")
        if not fields.get("prompt"):
            return self._error(start_response, 400, "bad_request", "prompt: cannot be empty")
        if kind == "sd3" and fields.get("model", "sd3.5-large") not in STABILITY_SD3_MODELS:
            return self._error(start_response, 400, "bad_request", f"model: unknown model {fields.get('model')}")
        if "application/json" not in (environ.get("HTTP_ACCEPT") or ""):
            start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(PNG_1PX)))])
            return [PNG_1PX]
        return json_response(start_response, 200, {"image": PNG_B64, "finish_reason": "SUCCESS", "seed": 1050625087})

    def _error(self, start_response: StartResponse, status: int, name: str, message: str) -> list[bytes]:
        return json_response(start_response, status, {"id": uuid.uuid4().hex, "name": name, "errors": [message]})


class ReplicateMock:
    def __init__(self, state: ImageMockState | None = None) -> None:
        self.state = state or ImageMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        state, method, path = self.state, environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        raw = _read(environ)
        base = f"http://{environ.get('HTTP_HOST', 'localhost')}"
        state.record(
            {
                "method": method,
                "path": path,
                "prefer": environ.get("HTTP_PREFER"),
                "authorization": environ.get("HTTP_AUTHORIZATION"),
                "body": orjson.loads(raw) if raw else None,
            }
        )
        if method == "GET" and path.startswith("/files/"):
            start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(PNG_1PX)))])
            return [PNG_1PX]
        if state.api_key and environ.get("HTTP_AUTHORIZATION") != f"Bearer {state.api_key}":
            return self._error(start_response, 401, "Unauthenticated", "You did not pass a valid authentication token")
        parts = path.strip("/").split("/")
        if method == "POST" and (path == "/v1/predictions" or (len(parts) == 5 and parts[4] == "predictions")):
            return self._create(start_response, orjson.loads(raw or b"{}"), parts, base)
        if len(parts) >= 3 and parts[:2] == ["v1", "predictions"] and parts[2] in state.predictions:
            prediction = state.predictions[parts[2]]
            if method == "POST" and parts[3:] == ["cancel"]:
                prediction["status"] = "canceled"
                return json_response(start_response, 200, prediction)
            if method == "GET" and len(parts) == 3:
                return json_response(start_response, 200, self._advance(prediction, base))
        return self._error(start_response, 404, "Not found", f"{method} {path}")

    def _create(self, start_response: StartResponse, body: dict[str, Any], parts: list[str], base: str) -> list[bytes]:
        state = self.state
        if state.fail_status is not None:
            return self._error(start_response, state.fail_status, "Mock failure", "mock failure")
        prompt_input = body.get("input")
        if not isinstance(prompt_input, dict) or not prompt_input.get("prompt"):
            return self._error(start_response, 422, "Input validation failed", "input.prompt: is required")
        pid = uuid.uuid4().hex[:26]
        model = "/".join(parts[2:4]) if len(parts) == 5 else "community/model"
        prediction: dict[str, Any] = {
            "id": pid,
            "model": model,
            "version": body.get("version") or "hidden",
            "input": prompt_input,
            "logs": "",
            "output": None,
            "error": None,
            "status": "starting",
            "created_at": "2026-12-02T15:00:00.000Z",
            "urls": {
                "get": f"{base}/v1/predictions/{pid}",
                "cancel": f"{base}/v1/predictions/{pid}/cancel",
            },
            "_polls": 0,
        }
        with state.lock:
            state.predictions[pid] = prediction
        return json_response(start_response, 201, self._advance(prediction, base, created=True))

    def _advance(self, prediction: dict[str, Any], base: str, created: bool = False) -> dict[str, Any]:
        state = self.state
        if prediction["status"] in ("starting", "processing"):
            if not created:
                prediction["_polls"] += 1
            if prediction["_polls"] >= state.polls_to_finish:
                self._finish(prediction, base)
            else:
                prediction["status"] = "processing"
        return {k: v for k, v in prediction.items() if not k.startswith("_")}

    def _finish(self, prediction: dict[str, Any], base: str) -> None:
        state = self.state
        prediction["status"] = state.prediction_status
        prediction["completed_at"] = "2026-12-02T15:00:03.000Z"
        prediction["metrics"] = {"predict_time": state.predict_time, "total_time": state.predict_time + 0.4}
        if state.prediction_status == "succeeded":
            n = prediction["input"].get("num_outputs", 1)
            prediction["output"] = [f"{base}/files/{prediction['id']}/out-{i}.png" for i in range(n)]
        else:
            prediction["error"] = "NSFW content detected"

    def _error(self, start_response: StartResponse, status: int, title: str, detail: str) -> list[bytes]:
        return json_response(start_response, status, {"title": title, "detail": detail, "status": status})


class ImagenMock:
    def __init__(self, state: ImageMockState | None = None) -> None:
        self.state = state or ImageMockState()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        state, path = self.state, environ.get("PATH_INFO", "")
        raw = _read(environ)
        body = orjson.loads(raw) if raw else {}
        state.record({"path": path, "api_key": environ.get("HTTP_X_GOOG_API_KEY"), "body": body})
        if state.api_key and environ.get("HTTP_X_GOOG_API_KEY") != state.api_key:
            return self._error(
                start_response, 400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"
            )
        if environ["REQUEST_METHOD"] != "POST" or not path.endswith(":predict"):
            return self._error(start_response, 404, f"{path} not found", "NOT_FOUND")
        if state.fail_status is not None:
            return self._error(start_response, state.fail_status, "mock failure", "INTERNAL")
        instances = body.get("instances")
        if not isinstance(instances, list) or not instances or not instances[0].get("prompt"):
            return self._error(start_response, 400, "instances[0].prompt is required", "INVALID_ARGUMENT")
        count = (body.get("parameters") or {}).get("sampleCount", 4)
        predictions = [{"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"} for _ in range(count)]
        return json_response(start_response, 200, {"predictions": predictions})

    def _error(self, start_response: StartResponse, status: int, message: str, kind: str) -> list[bytes]:
        return json_response(start_response, status, {"error": {"code": status, "message": message, "status": kind}})
