"""OpenAI's POST /images/generations as a Replicate prediction: created (`Prefer: wait` lets a fast model answer
at once), polled until it succeeds, fails or runs past `POLL_DEADLINE_S` (then cancelled), and its output files
downloaded when the caller wants `b64_json` (the default here, as for gpt-image-1) or passed on as URLs.

The mapping is pure; `follow` does its I/O only through the gateway's `fetch` (the lane's pools, with its egress
guard). The token goes only to the lane's own API host, never to the file host that serves outputs.
Model names: `owner/name` (an official model: /models/{owner}/{name}/predictions) or `owner/name:version`
(any model version: /predictions with `version`).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson

from ....metering.media import MediaUsage
from ....metering.usage import TokenUsage
from ...context import LaneTarget
from ..base import Fetch, StreamState
from ..images_shape import ImagesOperation, aspect_ratio, error_body, images_media, images_response, request_facts
from . import api

POLL_DEADLINE_S = 100.0
"""A prediction not finished this long after creation is cancelled and answered 504 (inside the budget hold's
lifetime, which is the upstream timeouts plus a minute)."""
POLL_INTERVAL_S = 0.5
TERMINAL = frozenset({"succeeded", "failed", "canceled"})
_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
OUTPUTS_KEY = "tollgate_b64"
"""Where `follow` puts the downloaded outputs (base64, with their mime type) for `translate`."""


def create(body: dict[str, Any]) -> tuple[str, bytes]:
    """(path, JSON body) of the prediction for an OpenAI images request."""
    model = str(body.get("model") or "")
    prompt_input: dict[str, Any] = {
        "prompt": body.get("prompt") or "",
        "aspect_ratio": aspect_ratio(body.get("size")),
        "output_format": "png",
    }
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n > 1:
        prompt_input["num_outputs"] = n
    if ":" in model:
        version = model.split(":", 1)[1]
        return "/predictions", orjson.dumps({"version": version, "input": prompt_input})
    owner, _, name = model.partition("/")
    return f"/models/{quote(owner, safe='')}/{quote(name, safe='')}/predictions", orjson.dumps({"input": prompt_input})


def outputs(prediction: dict[str, Any]) -> list[str]:
    """The output file URLs (a model returns one URL or a list)."""
    out = prediction.get("output")
    if isinstance(out, str):
        return [out]
    return [u for u in out if isinstance(u, str)] if isinstance(out, list) else []


def mime_of(url: str) -> str:
    return _MIME.get(url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower(), "image/png")


def translate(status: int, data: bytes, response_format: str) -> bytes:
    try:
        prediction = orjson.loads(data)
    except orjson.JSONDecodeError:
        prediction = None
    if not isinstance(prediction, dict):
        return error_body(status if status >= 300 else 502, "Replicate answered something unreadable.", None)
    if status >= 300 or prediction.get("status") != "succeeded":
        detail = prediction.get("error") or prediction.get("detail") or prediction.get("title") or "failed"
        return error_body(status if status >= 300 else 502, f"Replicate prediction: {detail}", "upstream_error")
    downloaded = prediction.get(OUTPUTS_KEY)
    if response_format == "b64_json" and isinstance(downloaded, list):
        items = [{"b64_json": d["b64"]} for d in downloaded]
    else:
        items = [{"url": u} for u in outputs(prediction)]
    return images_response(items)


class Images(ImagesOperation):
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        _, data = create(body)
        facts = request_facts(body)
        state = StreamState(extra=facts)
        state.translate = lambda status, out: translate(status, out, facts["response_format"])
        return data, state

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        return create(body)[0]

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        model = response.get("model")
        return (model if isinstance(model, str) and model else None), None

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        prediction = response or {}
        counts = images_media(len(outputs(prediction)), state)
        return MediaUsage(
            images=counts.images, size=counts.size, quality=counts.quality, compute_ms=_compute_ms(prediction)
        )

    def failure_media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        """What a failed or canceled prediction is still billed: Replicate charges a per-second model for the
        time it ran (`metrics.predict_time`), whatever the outcome; a per-output model made no output, so its
        count is 0. None: it never ran (refused at creation, or cancelled before it started)."""
        compute_ms = _compute_ms(response or {})
        if not compute_ms:
            return None
        counts = images_media(0, state)
        return MediaUsage(images=0, size=counts.size, quality=counts.quality, compute_ms=compute_ms)

    def follow(self, fetch: Fetch, lane: LaneTarget, status: int, data: bytes, state: StreamState) -> tuple[int, bytes]:
        try:
            prediction = orjson.loads(data)
        except orjson.JSONDecodeError:
            return 502, data
        if not isinstance(prediction, dict) or not isinstance(prediction.get("id"), str):
            return 502, data
        poll = api.url(lane, f"/predictions/{quote(prediction['id'], safe='')}")
        headers = api.headers(lane)
        deadline = self.clock() + POLL_DEADLINE_S
        while prediction.get("status") not in TERMINAL:
            if self.clock() >= deadline:
                cancel_status, cancelled = fetch("POST", poll + "/cancel", None, headers)
                if cancel_status < 300:  # its metrics: the compute billed up to the cancel
                    prediction = _object(cancelled) or prediction
                prediction["error"] = f"not finished after {POLL_DEADLINE_S:.0f}s; cancelled"
                return 504, orjson.dumps(prediction)
            self.sleep(POLL_INTERVAL_S)
            got_status, got = fetch("GET", poll, None, headers)
            if got_status >= 300:
                return got_status, got
            prediction = orjson.loads(got)
        if prediction["status"] != "succeeded":
            return 502, orjson.dumps(prediction)
        if state.extra["response_format"] == "b64_json":
            downloaded = [_download(fetch, lane, url) for url in outputs(prediction)]
            if None in downloaded:
                prediction |= {"status": "failed", "error": "an output file could not be downloaded"}
                return 502, orjson.dumps(prediction)
            prediction[OUTPUTS_KEY] = downloaded
        return 200, orjson.dumps(prediction)


def _compute_ms(prediction: dict[str, Any]) -> int:
    """The prediction's billed compute (`metrics.predict_time`, seconds) in milliseconds; 0 when it has none."""
    metrics = prediction.get("metrics")
    seconds = metrics.get("predict_time") if isinstance(metrics, dict) else None
    return round(seconds * 1000) if isinstance(seconds, int | float) and seconds > 0 else 0


def _object(data: bytes) -> dict[str, Any] | None:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _download(fetch: Fetch, lane: LaneTarget, url: str) -> dict[str, str] | None:
    headers = api.headers(lane) if api.same_origin(lane, url) else {"Accept": "*/*"}
    status, data = fetch("GET", url, None, headers)
    if status >= 300:
        return None
    return {"b64": base64.b64encode(data).decode(), "mime": mime_of(url)}
