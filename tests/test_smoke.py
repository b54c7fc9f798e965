"""The first path a newcomer takes: the official SDK against the gateway, and the log row it leaves."""

from __future__ import annotations

import openai
from flask import Flask
from sqlalchemy import select

from tollgate.extensions import db
from tollgate.models import RequestLog
from tollgate.services import Services

from .conftest import Seeded


def test_chat_completion_through_sdk_is_logged(app: Flask, svc: Services, seeded: Seeded, gateway: str) -> None:
    client = openai.OpenAI(base_url=gateway, api_key=seeded.key, max_retries=0)
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    assert completion.choices[0].message.content
    assert svc.log_writer.flush()
    with app.app_context():
        row = db.session.scalars(select(RequestLog)).one()
    assert row.client_id == seeded.client_id
    assert row.input_tokens == completion.usage.prompt_tokens  # type: ignore[union-attr]
    assert row.status_code == 200


def test_unknown_key_is_401_in_openai_shape(gateway: str) -> None:
    client = openai.OpenAI(base_url=gateway, api_key="tg_" + "A" * 38, max_retries=0)
    try:
        client.models.list()
    except openai.AuthenticationError as exc:
        assert exc.status_code == 401
        assert exc.code == "invalid_api_key"
    else:
        raise AssertionError("expected 401")
