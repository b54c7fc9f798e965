"""/v1/images/generations and /v1/audio/transcriptions through the real server with the official `openai` SDK:
OpenAI passed through, Stability, Replicate and Imagen translated, each against its mock upstream; the money in
the log row and the budget ledger to the micro-dollar; unknown prices refused under a hard budget."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass

import openai
import pytest
from flask import Flask
from sqlalchemy import select, update

from tollgate import provisioning
from tollgate.budgets import manage
from tollgate.extensions import db
from tollgate.ids import new_id
from tollgate.mock_upstream.image_providers import PNG_B64, ImageMockState, ImagenMock, ReplicateMock, StabilityMock
from tollgate.mock_upstream.openai_media import IMAGE_TOKENS
from tollgate.models import BudgetSpend, Lane, ModelAlias, RequestLog
from tollgate.services import Services

from .conftest import Mock, Seeded, ServedApp
from .log_rows import wait_rows
from .media_support import wav_bytes

STABILITY_KEY = "sk-stability-mock-0123456789"
REPLICATE_KEY = "r8_mock_0123456789abcdef"
GOOGLE_KEY = "AIza-mock-0123456789abcdef"


@dataclass
class Upstreams:
    stability: ImageMockState
    replicate: ImageMockState
    imagen: ImageMockState


@pytest.fixture
def upstreams(app: Flask, svc: Services, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[Upstreams]:
    """Stability, Replicate and Imagen lanes beside the seeded OpenAI lane (narrowed to OpenAI's models)."""
    states = Upstreams(ImageMockState(STABILITY_KEY), ImageMockState(REPLICATE_KEY), ImageMockState(GOOGLE_KEY))
    served = [
        ServedApp(StabilityMock(states.stability)),
        ServedApp(ReplicateMock(states.replicate)),
        ServedApp(ImagenMock(states.imagen)),
    ]
    lanes = [
        ("Stability", served[0].url, STABILITY_KEY, "stability", ["sd3*", "stable-image-*"]),
        ("Replicate", served[1].url + "/v1", REPLICATE_KEY, "replicate", ["black-forest-labs/*", "stability-ai/*"]),
        ("Imagen", served[2].url + "/v1beta", GOOGLE_KEY, "gemini", ["imagen-*"]),
    ]
    with app.app_context():
        session = db.session
        session.execute(
            update(Lane).where(Lane.id == seeded.lane_id).values(models=["gpt-*", "dall-e-*", "whisper-*", "acme-*"])
        )
        for name, url, key, provider, models in lanes:
            lane = provisioning.create_lane(
                session, svc.vault, seeded.workspace_id, name, url, key, provider, models=models
            )
            provisioning.append_route(session, seeded.workspace_id, lane)
        session.commit()
    yield states
    for server in served:
        server.stop()


@pytest.fixture
def client(gateway: str, seeded: Seeded, upstreams: Upstreams) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0, timeout=20)


def add_budget(app: Flask, seeded: Seeded, amount: int, hard: bool = True) -> str:
    with app.app_context():
        budget = manage.create_budget(db.session, seeded.workspace_id, "client", seeded.client_id, amount, hard=hard)
        db.session.commit()
        return budget.id


def spend(app: Flask, budget_id: str) -> tuple[int, int]:
    with app.app_context():
        rows = db.session.scalars(select(BudgetSpend).where(BudgetSpend.budget_id == budget_id)).all()
        return sum(r.spent_micros for r in rows), sum(r.reserved_micros for r in rows)


def only_row(app: Flask, svc: Services) -> RequestLog:
    [row] = wait_rows(app, svc)
    return row


def assert_money(row: RequestLog, micros: int, remainder: int = 0) -> None:
    assert (row.value_micros, row.value_remainder_picos, row.priced) == (micros, remainder, True)
    assert (row.cost_micros, row.cost_remainder_picos) == (micros, remainder)  # a metered lane


# --- OpenAI, passed through -------------------------------------------------------------------------------


def test_dall_e_3_answers_urls_and_is_billed_per_image(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    result = client.images.generate(model="dall-e-3", prompt="a red fox", size="1792x1024", quality="hd")
    assert result.data is not None and result.data[0].url and result.data[0].revised_prompt
    [sent] = mock_upstream.state.requests
    assert sent["path"] == "/images/generations" and sent["body"]["quality"] == "hd"
    row = only_row(app, svc)
    assert (row.endpoint, row.model_requested, row.images, row.status_code) == (
        "images.generations",
        "dall-e-3",
        1,
        200,
    )
    assert_money(row, 120_000)  # $0.12: hd 1792x1024
    assert spend(app, budget) == (120_000, 0) and svc.ledger.open_holds == 0


def test_gpt_image_1_is_billed_by_the_tokens_it_reports(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="a red fox in snow", quality="high", size="1024x1024")
    assert result.data is not None and base64.b64decode(result.data[0].b64_json or "")
    assert result.usage is not None and result.usage.output_tokens == IMAGE_TOKENS["high"]
    row = only_row(app, svc)
    assert (row.input_tokens, row.output_tokens, row.images) == (5, 4160, 1)
    # 5 text tokens at $5/M + 4160 output tokens at $40/M = 25,000,000 + 166,400,000,000 picos
    assert_money(row, 166_425)


def test_a_hard_budget_refuses_n_times_the_dearest_image(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock
) -> None:
    add_budget(app, seeded, 100_000)  # $0.10
    with pytest.raises(openai.RateLimitError) as refused:
        client.images.generate(model="dall-e-3", prompt="a fox")  # size/quality open: up to $0.12
    assert refused.value.code == "budget_exceeded" and mock_upstream.state.requests == []
    client.images.generate(model="dall-e-3", prompt="a fox", size="1024x1024", quality="standard")  # $0.04


def test_an_unknown_image_price_is_refused_under_a_hard_budget(
    client: openai.OpenAI, app: Flask, seeded: Seeded, mock_upstream: Mock
) -> None:
    add_budget(app, seeded, 1_000_000)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.images.generate(model="acme-image-model", prompt="a fox")
    assert refused.value.code == "model_unpriced" and mock_upstream.state.requests == []


def test_an_unknown_image_price_is_logged_unpriced_under_a_soft_budget(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded
) -> None:
    add_budget(app, seeded, 1_000_000, hard=False)
    client.images.generate(model="acme-image-model", prompt="a fox")
    row = only_row(app, svc)
    assert (row.status_code, row.priced, row.value_micros, row.images) == (200, False, 0, 1)


# --- Stability, Replicate, Imagen ---------------------------------------------------------------------------


def test_stability_makes_n_images_one_call_each(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, upstreams: Upstreams
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    result = client.images.generate(model="sd3.5-large", prompt="a red fox", n=2, size="1536x1024")
    assert result.data is not None and [d.b64_json for d in result.data] == [PNG_B64, PNG_B64]
    assert len(upstreams.stability.requests) == 2
    sent = upstreams.stability.requests[0]
    assert (sent["path"], sent["content_type"], sent["accept"]) == (
        "/v2beta/stable-image/generate/sd3",
        "multipart/form-data",
        "application/json",
    )
    assert sent["authorization"] == f"Bearer {STABILITY_KEY}"
    assert sent["fields"] == {
        "prompt": "a red fox",
        "aspect_ratio": "3:2",
        "output_format": "png",
        "model": "sd3.5-large",
    }
    row = only_row(app, svc)
    assert (row.provider, row.images) == ("stability", 2)
    assert_money(row, 130_000)  # 2 × 6.5 credits at $0.01
    assert spend(app, budget) == (130_000, 0)


def test_stability_errors_come_back_in_openai_shape(client: openai.OpenAI, upstreams: Upstreams) -> None:
    with pytest.raises(openai.BadRequestError) as failed:
        client.images.generate(model="sd3.5-large", prompt="")
    assert failed.value.code == "bad_request" and "prompt" in str(failed.value.message)


def test_replicate_prediction_is_polled_and_downloaded(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, upstreams: Upstreams
) -> None:
    upstreams.replicate.polls_to_finish = 2
    result = client.images.generate(model="black-forest-labs/flux-schnell", prompt="a red fox", n=2)
    assert result.data is not None and [d.b64_json for d in result.data] == [PNG_B64, PNG_B64]
    calls = [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in upstreams.replicate.requests]
    assert calls[0] == ("POST", "predictions") and calls.count(("GET", calls[1][1])) == 2
    create = upstreams.replicate.requests[0]
    assert create["prefer"] == "wait=10" and create["authorization"] == f"Bearer {REPLICATE_KEY}"
    assert create["body"]["input"] == {
        "prompt": "a red fox",
        "aspect_ratio": "1:1",
        "output_format": "png",
        "num_outputs": 2,
    }
    downloads = [r for r in upstreams.replicate.requests if r["path"].startswith("/files/")]
    assert len(downloads) == 2
    row = only_row(app, svc)
    assert (row.provider, row.images, row.model_served) == ("replicate", 2, "black-forest-labs/flux-schnell")
    assert_money(row, 6_000)  # 2 × $0.003


def test_replicate_per_second_model_and_url_format(
    client: openai.OpenAI, app: Flask, svc: Services, upstreams: Upstreams
) -> None:
    result = client.images.generate(model="stability-ai/sdxl:7762fd07", prompt="a fox", response_format="url")
    assert result.data is not None and (result.data[0].url or "").endswith("/out-0.png")
    row = only_row(app, svc)
    assert_money(row, 2_438, -500_000)  # 2.5 s × $0.000975 = $0.0024375, rounded half up plus its remainder


def test_replicate_failure_is_an_openai_error(client: openai.OpenAI, upstreams: Upstreams) -> None:
    upstreams.replicate.prediction_status = "failed"
    with pytest.raises(openai.APIStatusError) as failed:
        client.images.generate(model="black-forest-labs/flux-schnell", prompt="a fox")
    assert failed.value.status_code == 502 and "NSFW" in str(failed.value.message)


def test_replicate_bills_a_failed_per_second_prediction(
    client: openai.OpenAI, app: Flask, svc: Services, upstreams: Upstreams
) -> None:
    """Replicate bills a per-second model for the time a failed prediction ran: the caller gets the error, its
    log row the compute (2.5 s × $0.000975) and no images."""
    upstreams.replicate.prediction_status = "failed"
    with pytest.raises(openai.APIStatusError) as failed:
        client.images.generate(model="stability-ai/sdxl:7762fd07", prompt="a fox")
    assert failed.value.status_code == 502 and "NSFW" in str(failed.value.message)
    row = only_row(app, svc)
    assert (row.status_code, row.images, row.priced) == (502, 0, True)
    assert_money(row, 2_438, -500_000)


def test_imagen_predict(client: openai.OpenAI, app: Flask, svc: Services, upstreams: Upstreams) -> None:
    result = client.images.generate(model="imagen-4.0-generate-001", prompt="a fox", n=3)
    assert result.data is not None and len(result.data) == 3
    [sent] = upstreams.imagen.requests
    assert sent["path"] == "/v1beta/models/imagen-4.0-generate-001:predict" and sent["api_key"] == GOOGLE_KEY
    assert sent["body"]["parameters"] == {"sampleCount": 3, "aspectRatio": "1:1"}
    assert_money(only_row(app, svc), 120_000)


# --- Audio transcriptions ---------------------------------------------------------------------------------


def audio(seconds: float = 2.5) -> tuple[str, io.BytesIO, str]:
    return ("speech.wav", io.BytesIO(wav_bytes(seconds)), "audio/wav")


def test_whisper_is_billed_by_the_seconds_it_reports(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock
) -> None:
    budget = add_budget(app, seeded, 1_000_000)
    result = client.audio.transcriptions.create(model="whisper-1", file=audio())
    assert result.text.startswith("Hello")
    [sent] = mock_upstream.state.requests
    assert sent["body"]["content_type"].startswith("multipart/form-data; boundary=")
    assert wav_bytes(2.5) in sent["raw"]  # forwarded byte for byte
    row = only_row(app, svc)
    assert (row.endpoint, row.audio_ms, row.images) == ("audio.transcriptions", 3_000, 0)  # usage.seconds = 3
    assert_money(row, 300)  # 3 s at $0.006/min
    assert spend(app, budget) == (300, 0)


def test_whisper_text_answer_is_billed_by_the_file_duration(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    text = client.audio.transcriptions.create(model="whisper-1", file=audio(), response_format="text")
    assert isinstance(text, str) and "Tollgate" in text
    row = only_row(app, svc)
    assert row.audio_ms == 2_500
    assert_money(row, 250)


def test_gpt_4o_transcribe_is_billed_by_tokens(client: openai.OpenAI, app: Flask, svc: Services) -> None:
    result = client.audio.transcriptions.create(model="gpt-4o-transcribe", file=audio())
    assert result.text
    row = only_row(app, svc)
    assert (row.input_tokens, row.output_tokens, row.audio_ms) == (25, 12, 2_500)
    assert_money(row, 270)  # 25 audio tokens at $6/M + 12 output tokens at $10/M


def test_a_transcription_needs_a_file_and_no_stream(gateway: str, seeded: Seeded) -> None:
    import requests

    headers = {"Authorization": f"Bearer {seeded.key}"}
    url = gateway + "/audio/transcriptions"
    missing = requests.post(url, headers=headers, files={"model": (None, "whisper-1")}, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "file"
    stream = requests.post(
        url,
        headers=headers,
        files={"model": (None, "whisper-1"), "stream": (None, "true"), "file": audio()},
        timeout=10,
    )
    assert stream.status_code == 400 and stream.json()["error"]["param"] == "stream"
    not_form = requests.post(url, headers=headers, json={"model": "whisper-1"}, timeout=10)
    assert not_form.status_code == 400 and not_form.json()["error"]["code"] == "invalid_multipart"


def test_a_per_image_price_override_prices_an_unlisted_model(
    client: openai.OpenAI, gateway: str, app: Flask, svc: Services, seeded: Seeded
) -> None:
    import requests

    admin = gateway.removesuffix("/v1") + "/api/v1/price-overrides"
    headers = {"Authorization": f"Bearer {seeded.admin_token}"}
    body = {"model": "acme-image-model", "input_mtok_micros": 0, "output_mtok_micros": 0, "image_micros": 25_000}
    assert requests.post(admin, json=body | {"image_micros": -1}, headers=headers, timeout=10).status_code == 422
    created = requests.post(admin, json=body, headers=headers, timeout=10)
    assert created.status_code == 201 and created.json()["image_usd"] == "0.025000"
    budget = add_budget(app, seeded, 1_000_000)  # hard: the override makes the model admissible
    client.images.generate(model="acme-image-model", prompt="a fox", n=2)
    row = only_row(app, svc)
    assert_money(row, 50_000)
    assert spend(app, budget) == (50_000, 0)


def test_usage_report_agrees_with_the_log(
    client: openai.OpenAI, gateway: str, app: Flask, svc: Services, seeded: Seeded
) -> None:
    import requests

    client.images.generate(model="dall-e-3", prompt="a fox", size="1024x1024", quality="hd")
    client.audio.transcriptions.create(model="whisper-1", file=audio())
    rows = wait_rows(app, svc, 2)
    report = requests.get(
        gateway.removesuffix("/v1") + "/api/v1/usage",
        params={"group_by": "model"},
        headers={"Authorization": f"Bearer {seeded.admin_token}"},
        timeout=10,
    ).json()
    by_model = {r["model"]: r["value_micros"] for r in report["data"]}
    assert by_model == {"dall-e-3": 80_000, "whisper-1": 300} == {r.model_requested: r.value_micros for r in rows}
    assert report["totals"]["cost_micros"] == 80_300


def test_an_alias_on_an_upload_changes_only_its_model_field(
    client: openai.OpenAI, app: Flask, svc: Services, seeded: Seeded, mock_upstream: Mock
) -> None:
    with app.app_context():
        db.session.add(
            ModelAlias(id=new_id("mal"), workspace_id=seeded.workspace_id, alias="listen", model="whisper-1")
        )
        db.session.commit()
        svc.keys.invalidate()
    result = client.audio.transcriptions.create(model="listen", file=audio())
    assert result.text.startswith("Hello")
    [sent] = mock_upstream.state.requests
    assert b'name="model"\r\n\r\nwhisper-1\r\n' in sent["raw"] and b"listen" not in sent["raw"]
    assert wav_bytes(2.5) in sent["raw"]  # the file's bytes as they came
    row = only_row(app, svc)
    assert (row.model_requested, row.audio_ms) == ("listen", 3_000)
    assert_money(row, 300)
