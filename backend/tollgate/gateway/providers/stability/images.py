"""OpenAI's POST /images/generations as Stability's stable-image generate endpoints (multipart/form-data, one
image per call). Pure apart from `follow`, which asks for the 2nd…nth image through the gateway's `fetch`.

Models: `stable-image-ultra` → /generate/ultra, `stable-image-core` → /generate/core, `sd3*`/`sd3.5-*` →
/generate/sd3 with `model`. Stability answers `{"image": <base64>, "finish_reason", "seed"}`, or an error
`{"id", "name", "errors": [...]}`; both come back in OpenAI's shapes.
"""

from __future__ import annotations

from typing import Any

import orjson
from urllib3 import encode_multipart_formdata

from ....metering.media import MediaUsage
from ....metering.usage import TokenUsage
from ...context import LaneTarget
from ..base import Fetch, StreamState
from ..images_shape import (
    ImagesOperation,
    aspect_ratio,
    error_body,
    images_media,
    images_response,
    item,
    request_facts,
)
from . import api

OUTPUT_FORMATS = ("png", "jpeg", "webp")


def endpoint(model: str) -> tuple[str, str | None]:
    """(path, the `model` form field) of a Stability model name."""
    if model in ("stable-image-ultra", "ultra"):
        return "/v2beta/stable-image/generate/ultra", None
    if model in ("stable-image-core", "core"):
        return "/v2beta/stable-image/generate/core", None
    return "/v2beta/stable-image/generate/sd3", model


def form(body: dict[str, Any]) -> tuple[bytes, str, str]:
    """(multipart body, its content type, path) for one image."""
    path, model = endpoint(str(body.get("model") or ""))
    fmt = body.get("output_format")
    fields: list[tuple[str, str]] = [
        ("prompt", str(body.get("prompt") or "")),
        ("aspect_ratio", aspect_ratio(body.get("size"))),
        ("output_format", fmt if fmt in OUTPUT_FORMATS else "png"),
    ]
    if model is not None:
        fields.append(("model", model))
    data, content_type = encode_multipart_formdata(fields)
    return data, content_type, path


def translate(status: int, data: bytes, response_format: str, mime: str) -> bytes:
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        parsed = None
    if status >= 300 or not isinstance(parsed, dict):
        errors = parsed.get("errors") if isinstance(parsed, dict) else None
        message = "; ".join(map(str, errors)) if isinstance(errors, list) and errors else "Stability AI failed."
        name = parsed.get("name") if isinstance(parsed, dict) else None
        return error_body(status if status >= 300 else 502, message, name if isinstance(name, str) else None)
    results = parsed.get("results", [parsed])
    items = [item(r["image"], mime, response_format) for r in results if isinstance(r.get("image"), str)]
    return images_response(items)


class Images(ImagesOperation):
    def prepare(self, body: dict[str, Any], raw: bytes, stream: bool) -> tuple[bytes, StreamState]:
        data, content_type, path = form(body)
        facts = request_facts(body)
        fmt = body.get("output_format")
        mime = f"image/{fmt if fmt in OUTPUT_FORMATS else 'png'}"
        extra = facts | {"form": data, "path": path}
        state = StreamState(upstream_headers={"Content-Type": content_type}, extra=extra)
        state.translate = lambda status, out: translate(status, out, facts["response_format"], mime)
        return data, state

    def upstream_path(self, lane: LaneTarget, body: dict[str, Any], stream: bool) -> str:
        return endpoint(str(body.get("model") or ""))[0]

    def usage(self, response: dict[str, Any]) -> tuple[str | None, TokenUsage | None]:
        return None, None

    def media(self, response: dict[str, Any] | None, state: StreamState) -> MediaUsage | None:
        results = (response or {}).get("results", [response or {}])
        return images_media(sum(1 for r in results if isinstance(r, dict) and r.get("image")), state)

    def follow(self, fetch: Fetch, lane: LaneTarget, status: int, data: bytes, state: StreamState) -> tuple[int, bytes]:
        """Stability makes one image per call: for `n` > 1 the same form is sent again. A later failure keeps
        the images already made (each is billed): the caller gets fewer."""
        try:
            results = [orjson.loads(data)]
        except orjson.JSONDecodeError:
            return status, data
        headers = api.headers(lane) | state.upstream_headers
        url = api.url(lane, state.extra["path"])
        for _ in range(state.extra["n"] - 1):
            more_status, more = fetch("POST", url, state.extra["form"], headers)
            if more_status >= 300:
                break
            results.append(orjson.loads(more))
        return status, orjson.dumps({"results": results})
