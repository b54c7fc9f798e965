"""OpenAI's images and transcription endpoints for the mock upstream, in their documented shapes:
`POST /images/generations` (JSON; `data[{url|b64_json, revised_prompt}]`, gpt-image-1 with token `usage`) and
`POST /audio/transcriptions` (multipart/form-data; `json`, `verbose_json` with `duration`, `text`, `srt`,
`vtt`; whisper-1 reports `usage` of type `duration`, gpt-4o(-mini)-transcribe of type `tokens`)."""

from __future__ import annotations

import base64
import io
import math
import time
from typing import Any

from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header

from ..gateway.forms import audio_duration_ms

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
"""A valid 1×1 PNG: what every mock image is."""
TRANSCRIPT = "Hello from the Tollgate mock transcription."
IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}
"""gpt-image-1's output tokens for a square image by quality (OpenAI's image generation guide)."""


def image_generation(body: dict[str, Any], base_url: str) -> tuple[int, dict[str, Any]]:
    model = body.get("model") or "dall-e-2"
    n = body.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 10 or (model == "dall-e-3" and n != 1):
        return 400, _error("Invalid value for 'n'.", "n", "invalid_value")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return 400, _error("You must provide a prompt.", "prompt", "missing_prompt")
    gpt_image = str(model).startswith("gpt-image")
    b64 = gpt_image or body.get("response_format") == "b64_json"
    one: dict[str, Any] = (
        {"b64_json": base64.b64encode(PNG_1PX).decode()} if b64 else {"url": f"{base_url}/__mock/files/image.png"}
    )
    if model == "dall-e-3":
        one["revised_prompt"] = f"A detailed rendering of: {prompt}"
    out: dict[str, Any] = {"created": int(time.time()), "data": [dict(one) for _ in range(n)]}
    if gpt_image:
        asked = body.get("quality")
        quality = asked if isinstance(asked, str) and asked in IMAGE_TOKENS else "high"
        size = body.get("size") if body.get("size") not in (None, "auto") else "1024x1024"
        text_tokens = math.ceil(len(prompt) / 4)
        out |= {
            "size": size,
            "quality": quality,
            "output_format": "png",
            "usage": {
                "total_tokens": text_tokens + n * IMAGE_TOKENS[quality],
                "input_tokens": text_tokens,
                "output_tokens": n * IMAGE_TOKENS[quality],
                "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
            },
        }
    return 200, out


def transcription(
    raw: bytes, content_type: str, models: list[str] | None = None
) -> tuple[int, str, bytes | dict[str, Any]]:
    """(status, content type, body) of a transcription request; `models`: the only ones served (else any)."""
    mimetype, options = parse_options_header(content_type)
    if mimetype != "multipart/form-data" or "boundary" not in options:
        return 400, "application/json", _error("Expected multipart/form-data.", None, None)
    fields, files = MultiPartParser().parse(io.BytesIO(raw), options["boundary"].encode(), len(raw))
    upload = files.get("file")
    model = fields.get("model")
    if upload is None:
        return 400, "application/json", _error("You must provide a file.", "file", None)
    if not model:
        return 400, "application/json", _error("You must provide a model parameter.", "model", None)
    if models is not None and model not in models:
        upload.close()
        message = f"The model `{model}` does not exist or you do not have access to it."
        return 404, "application/json", _error(message, None, "model_not_found")
    duration_ms = audio_duration_ms(upload.stream) or 0
    upload.close()
    seconds = duration_ms / 1000
    fmt = fields.get("response_format", "json")
    tokens = model != "whisper-1"
    if tokens and fmt not in ("json", "text"):
        return 400, "application/json", _error(f"response_format '{fmt}' is not compatible with {model}.", None, None)
    audio_tokens = math.ceil(seconds * 10)
    usage: dict[str, Any] = (
        {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            "output_tokens": 12,
            "total_tokens": audio_tokens + 12,
        }
        if tokens
        else {"type": "duration", "seconds": math.ceil(seconds)}
    )
    if fmt == "text":
        return 200, "text/plain; charset=utf-8", (TRANSCRIPT + "\n").encode()
    if fmt in ("srt", "vtt"):
        cue = f"00:00:00{',' if fmt == 'srt' else '.'}000 --> 00:00:0{min(int(seconds), 9)}"
        head = "1\n" if fmt == "srt" else "WEBVTT\n\n"
        return 200, "text/plain; charset=utf-8", f"{head}{cue}\n{TRANSCRIPT}\n".encode()
    if fmt == "verbose_json":
        segment = {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": seconds,
            "text": TRANSCRIPT,
            "tokens": [50364, 2425, 490],
            "temperature": 0.0,
            "avg_logprob": -0.21,
            "compression_ratio": 0.9,
            "no_speech_prob": 0.01,
        }
        verbose = {"task": "transcribe", "language": "english", "duration": seconds, "text": TRANSCRIPT}
        return 200, "application/json", verbose | {"segments": [segment], "usage": usage}
    return 200, "application/json", {"text": TRANSCRIPT, "usage": usage}


def _error(message: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
