"""Pure transforms of the images and audio adapters (Stability, Replicate, Imagen, OpenAI's transcription
usage) and the multipart reader. No server: Replicate's polling runs against a fake `fetch`."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from urllib3 import encode_multipart_formdata

from tollgate.gateway.context import LaneTarget
from tollgate.gateway.forms import MIN_AUDIO_BYTES_PER_S, FormBody, FormRefused, parse_form
from tollgate.gateway.providers.gemini import images as imagen
from tollgate.gateway.providers.openai.transcriptions import Transcriptions, billed_audio_ms, token_usage
from tollgate.gateway.providers.replicate import images as replicate
from tollgate.gateway.providers.stability import images as stability

from . import schema_check
from .media_support import wav_bytes


def lane(base_url: str = "https://api.replicate.com/v1") -> LaneTarget:
    return LaneTarget("ln_1", "lane", "replicate", base_url, "r8_secret", "metered", None)


def test_stability_form_per_model() -> None:
    data, content_type, path = stability.form({"model": "sd3.5-large", "prompt": "a fox", "size": "1792x1024"})
    assert path == "/v2beta/stable-image/generate/sd3" and content_type.startswith("multipart/form-data; boundary=")
    form = parse_form(data, content_type)
    assert isinstance(form, FormBody)
    assert dict(form) == {"prompt": "a fox", "aspect_ratio": "16:9", "output_format": "png", "model": "sd3.5-large"}
    assert stability.endpoint("stable-image-ultra") == ("/v2beta/stable-image/generate/ultra", None)


def test_stability_answer_and_error_in_openai_shape() -> None:
    ok = orjson.dumps({"results": [{"image": "QUJD", "finish_reason": "SUCCESS", "seed": 1}]})
    out = orjson.loads(stability.translate(200, ok, "b64_json", "image/png"))
    assert out["data"] == [{"b64_json": "QUJD"}] and isinstance(out["created"], int)
    schema_check.assert_valid(out, "ImagesResponse")
    as_url = orjson.loads(stability.translate(200, ok, "url", "image/png"))
    assert as_url["data"] == [{"url": "data:image/png;base64,QUJD"}]
    bad = orjson.dumps({"id": "x", "name": "bad_request", "errors": ["prompt: cannot be empty"]})
    error_body = orjson.loads(stability.translate(400, bad, "b64_json", "image/png"))
    schema_check.assert_valid(error_body, "ErrorResponse")
    error = error_body["error"]
    assert error == {
        "message": "prompt: cannot be empty",
        "type": "invalid_request_error",
        "param": None,
        "code": "bad_request",
    }


def test_replicate_create_for_official_and_versioned_models() -> None:
    path, body = replicate.create({"model": "black-forest-labs/flux-schnell", "prompt": "a fox", "n": 2})
    assert path == "/models/black-forest-labs/flux-schnell/predictions"
    assert orjson.loads(body) == {
        "input": {"prompt": "a fox", "aspect_ratio": "1:1", "output_format": "png", "num_outputs": 2}
    }
    path, body = replicate.create({"model": "stability-ai/sdxl:7762fd07", "prompt": "a fox", "size": "1024x1536"})
    assert path == "/predictions" and orjson.loads(body)["version"] == "7762fd07"
    assert orjson.loads(body)["input"]["aspect_ratio"] == "2:3"


class FakeReplicate:
    """Answers `fetch` like Replicate: `polls` GETs of processing, then succeeded; files at another host."""

    def __init__(self, polls: int, status: str = "succeeded") -> None:
        self.polls, self.status, self.calls = polls, status, []  # type: list[tuple[str, str, dict[str, str]]]
        self.now = 0.0

    def fetch(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        self.calls.append((method, url, headers))
        if url.startswith("https://replicate.delivery/"):
            return 200, b"PNGDATA"
        if url.endswith("/cancel"):
            return 200, orjson.dumps(self.prediction("canceled"))
        self.polls -= 1
        return 200, orjson.dumps(self.prediction(self.status if self.polls <= 0 else "processing"))

    def prediction(self, status: str) -> dict[str, Any]:
        done = status == "succeeded"
        return {
            "id": "p1",
            "status": status,
            "output": ["https://replicate.delivery/p1/out-0.png"] if done else None,
            "metrics": {"predict_time": 1.25} if status in replicate.TERMINAL else {},  # what Replicate bills
            "error": "NSFW" if status == "failed" else None,
        }


def operation(fake: FakeReplicate) -> replicate.Images:
    op = replicate.Images()
    op.clock = lambda: fake.now  # type: ignore[method-assign]

    def sleep(seconds: float) -> None:
        fake.now += seconds

    op.sleep = sleep  # type: ignore[method-assign]
    return op


def test_replicate_polls_to_completion_and_downloads_without_the_token() -> None:
    fake = FakeReplicate(polls=3)
    op = operation(fake)
    _, state = op.prepare({"model": "black-forest-labs/flux-schnell", "prompt": "a fox"}, b"", False)
    status, data = op.follow(fake.fetch, lane(), 201, orjson.dumps(fake.prediction("starting")), state)
    assert status == 200
    polls = [c for c in fake.calls if c[0] == "GET" and "/predictions/" in c[1]]
    assert len(polls) == 3 and all(c[1] == "https://api.replicate.com/v1/predictions/p1" for c in polls)
    assert all(c[2]["Authorization"] == "Bearer r8_secret" for c in polls)
    [download] = [c for c in fake.calls if "replicate.delivery" in c[1]]
    assert "Authorization" not in download[2]  # the token never goes to the file host
    prediction = orjson.loads(data)
    assert state.translate is not None
    answer = orjson.loads(state.translate(200, data))
    schema_check.assert_valid(answer, "ImagesResponse")
    assert answer["data"] == [{"b64_json": base64.b64encode(b"PNGDATA").decode()}]
    media = op.media(prediction, state)
    assert media is not None and (media.images, media.compute_ms) == (1, 1250)


def test_replicate_url_format_passes_the_output_urls() -> None:
    fake = FakeReplicate(polls=0)
    op = operation(fake)
    _, state = op.prepare({"model": "a/b", "prompt": "x", "response_format": "url"}, b"", False)
    status, data = op.follow(fake.fetch, lane(), 201, orjson.dumps(fake.prediction("succeeded")), state)
    assert status == 200 and not [c for c in fake.calls if "delivery" in c[1]]
    assert state.translate is not None
    assert orjson.loads(state.translate(status, data))["data"] == [{"url": "https://replicate.delivery/p1/out-0.png"}]


def test_replicate_deadline_cancels_the_prediction() -> None:
    fake = FakeReplicate(polls=10_000)
    op = operation(fake)
    _, state = op.prepare({"model": "a/b", "prompt": "x"}, b"", False)
    status, data = op.follow(fake.fetch, lane(), 201, orjson.dumps(fake.prediction("starting")), state)
    assert status == 504 and fake.calls[-1][1].endswith("/predictions/p1/cancel")
    assert fake.now >= replicate.POLL_DEADLINE_S
    assert state.translate is not None
    error = orjson.loads(state.translate(status, data))["error"]
    assert error["type"] == "timeout_error" and "cancelled" in error["message"]
    billed = op.failure_media(orjson.loads(data), state)  # the cancel's answer: the compute used until then
    assert billed is not None and (billed.images, billed.compute_ms) == (0, 1250)


def test_replicate_failed_prediction_is_an_openai_error() -> None:
    fake = FakeReplicate(polls=1, status="failed")
    op = operation(fake)
    _, state = op.prepare({"model": "a/b", "prompt": "x"}, b"", False)
    status, data = op.follow(fake.fetch, lane(), 201, orjson.dumps(fake.prediction("starting")), state)
    assert status == 502
    assert state.translate is not None
    assert "NSFW" in orjson.loads(state.translate(status, data))["error"]["message"]
    billed = op.failure_media(orjson.loads(data), state)  # Replicate bills the time it ran all the same
    assert billed is not None and (billed.images, billed.compute_ms) == (0, 1250)
    assert op.failure_media(fake.prediction("processing"), state) is None  # never ran: nothing billed
    assert op.failure_media(None, state) is None


def test_imagen_predict_request_and_answer() -> None:
    body = {"model": "imagen-4.0-generate-001", "prompt": "a fox", "n": 6, "size": "1536x1024"}
    assert imagen.predict_path(body["model"]) == "/models/imagen-4.0-generate-001:predict"  # type: ignore[arg-type]
    assert imagen.to_imagen(body) == {
        "instances": [{"prompt": "a fox"}],
        "parameters": {"sampleCount": 4, "aspectRatio": "3:2"},
    }
    answer = orjson.dumps({"predictions": [{"bytesBase64Encoded": "QUJD", "mimeType": "image/png"}, {}]})
    translated = orjson.loads(imagen.translate(200, answer, "b64_json"))
    schema_check.assert_valid(translated, "ImagesResponse")
    assert translated["data"] == [{"b64_json": "QUJD"}]
    error = orjson.dumps({"error": {"code": 400, "message": "bad prompt", "status": "INVALID_ARGUMENT"}})
    assert orjson.loads(imagen.translate(400, error, "b64_json"))["error"]["code"] == "invalid_argument"
    op = imagen.Images()
    _, state = op.prepare(body, b"", False)
    media = op.media(orjson.loads(answer), state)
    assert media is not None and (media.images, media.size) == (1, "1536x1024")


def test_transcription_usage_kinds() -> None:
    tokens = {"type": "tokens", "input_tokens": 40, "input_token_details": {"audio_tokens": 38}, "output_tokens": 9}
    usage = token_usage(tokens)
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (40, 9)
    assert token_usage({"type": "duration", "seconds": 3}) is None
    assert billed_audio_ms({"usage": {"type": "duration", "seconds": 3}}, 2_400) == 3_000
    assert billed_audio_ms({"duration": 2.47, "text": "hi"}, 9_999) == 2_470
    assert billed_audio_ms(None, 2_400) == 2_400  # a text answer: the file's own duration


def test_multipart_reader_measures_the_audio_and_keeps_only_fields() -> None:
    data, content_type = encode_multipart_formdata(
        [("model", "whisper-1"), ("response_format", "text"), ("file", ("a.wav", wav_bytes(2.5), "audio/wav"))]
    )
    form = parse_form(data, content_type)
    assert isinstance(form, FormBody) and dict(form) == {"model": "whisper-1", "response_format": "text"}
    assert form.upload is not None and form.upload.duration_ms == 2_500 and form.content_type == content_type
    op = Transcriptions()
    sent, state = op.prepare(form, data, False)
    assert sent is data and state.upstream_headers == {"Content-Type": content_type}  # forwarded as it came


def test_unreadable_audio_is_bounded_by_its_size() -> None:
    data, content_type = encode_multipart_formdata([("model", "whisper-1"), ("file", ("a.webm", b"x" * 7500, "x"))])
    form = parse_form(data, content_type)
    assert isinstance(form, FormBody) and form.upload is not None
    assert form.upload.duration_ms is None
    assert form.upload.duration_bound_ms == 7500 * 1000 // MIN_AUDIO_BYTES_PER_S


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data", None])
def test_not_multipart_is_refused(content_type: str | None) -> None:
    assert isinstance(parse_form(b"{}", content_type), FormRefused)


def test_openai_media_mock_speaks_the_spec() -> None:
    """The mock's images and transcription answers validate against OpenAI's own schemas."""
    from tollgate.mock_upstream import openai_media

    for body in (
        {"model": "dall-e-3", "prompt": "a fox", "size": "1024x1024"},
        {"model": "gpt-image-1", "prompt": "a fox", "quality": "low", "n": 2},
        {"model": "dall-e-2", "prompt": "a fox", "response_format": "b64_json"},
    ):
        status, out = openai_media.image_generation(body, "http://mock/v1")
        assert status == 200
        schema_check.assert_valid(out, "ImagesResponse")
    for model, fmt, schema in (
        ("whisper-1", "json", "CreateTranscriptionResponseJson"),
        ("whisper-1", "verbose_json", "CreateTranscriptionResponseVerboseJson"),
        ("gpt-4o-transcribe", "json", "CreateTranscriptionResponseJson"),
    ):
        data, content_type = encode_multipart_formdata(
            [("model", model), ("response_format", fmt), ("file", ("a.wav", wav_bytes(1.5), "audio/wav"))]
        )
        status, _, answer = openai_media.transcription(data, content_type)
        assert status == 200 and isinstance(answer, dict)
        schema_check.assert_valid(answer, schema)
