"""A transcription upload is a request body like any other: over the body limit it is refused whole (413 in
OpenAI's shape, nothing forwarded, one log row), never cut short."""

from __future__ import annotations

import dataclasses
import io

import openai
import pytest
from flask import Flask

from tollgate.config import Settings
from tollgate.services import Services

from .conftest import Mock, Seeded
from .log_rows import wait_rows
from .media_support import wav_bytes

MAX_BODY_BYTES = 16_384


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, max_body_bytes=MAX_BODY_BYTES)


def test_an_upload_over_the_body_limit_is_refused(
    gateway: str, seeded: Seeded, app: Flask, svc: Services, mock_upstream: Mock
) -> None:
    client = openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=10)
    big = ("speech.wav", io.BytesIO(wav_bytes(2.0)), "audio/wav")  # 32 KB of audio
    with pytest.raises(openai.APIStatusError) as refused:
        client.audio.transcriptions.create(model="whisper-1", file=big)
    assert refused.value.status_code == 413 and refused.value.code == "request_too_large"
    assert mock_upstream.state.requests == []
    small = ("speech.wav", io.BytesIO(wav_bytes(0.5)), "audio/wav")  # 8 KB: fits
    assert client.audio.transcriptions.create(model="whisper-1", file=small).text
    rows = wait_rows(app, svc, 2)
    assert [(r.status_code, r.audio_ms) for r in rows] == [(413, 0), (200, 1_000)]  # usage.seconds rounds up
