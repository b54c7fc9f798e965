"""A provider that echoes the key it was given (whole, masked like OpenAI's 401, or cut short) never makes Tollgate
show or store that key: not in a BYOK key's `status_reason`, not in a /v1 error relayed to a client (the agency's
own lane key, whatever its shape), not in a reconciliation run's error. Keys here have no `sk-` prefix on purpose:
`scrub` knows only a few shapes, so the echo must be cut by the key itself."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask

from tests.admin_support import AdminClient, make_token, owner
from tests.conftest import Seeded, ServedApp
from tests.test_gateway_secrets import assert_no_secrets_in_db
from tests.test_reconciliation_admin import make_lane
from tollgate import provisioning
from tollgate.extensions import db
from tollgate.models import Lane, ReconciliationRun
from tollgate.services import Services
from tollgate.vault.scrub import redact

__all__ = ["owner"]

KEY = "gsk_Q7wXr2Lp9ZkT4vYb8NcE1mHd6sJf3GaU0oRi5yWe"
ECHOES = {
    "whole": lambda key: f"Invalid API Key: {key}",
    "masked": lambda key: f"Incorrect API key provided: {key[:8]}{'*' * 24}{key[-4:]}.",
    "cut": lambda key: f"Invalid API Key '{key[:-6]}...'",
    "tail": lambda key: f"The key ending in {key[-20:]} is not valid.",
}


def windows(secret: str, size: int = 12) -> list[str]:
    """Every run of `size` characters of the key's random part: an echo of any of them is a leak."""
    body = secret.split("_", 1)[-1]
    return [body[i : i + size] for i in range(len(body) - size + 1)]


def leaked(texts: Iterable[str], secret: str = KEY) -> list[str]:
    joined = "\n".join(texts)
    return [w for w in windows(secret) if w in joined]


class EchoUpstream:
    """An OpenAI-format upstream that refuses every call with a message echoing the key it was sent."""

    def __init__(self) -> None:
        self.mode = "whole"
        self.status = 401

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        auth = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        key = auth or environ.get("HTTP_X_API_KEY", "")
        body = orjson.dumps({"error": {"message": ECHOES[self.mode](key), "type": "invalid_request_error"}})
        start_response(f"{self.status} Refused", [("Content-Type", "application/json")])
        return [body]


@pytest.fixture
def echo() -> Iterator[tuple[EchoUpstream, str]]:
    upstream = EchoUpstream()
    served = ServedApp(upstream)
    yield upstream, served.url
    served.stop()


def _database(svc: Services) -> Path:
    return Path(svc.settings.sqlalchemy_url.removeprefix("sqlite:///"))


def test_a_byok_verification_never_keeps_an_echoed_key(
    app: Flask,
    svc: Services,
    seeded: Seeded,
    echo: tuple[EchoUpstream, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    upstream, url = echo
    client = AdminClient(app.test_client(), make_token(app, svc, seeded.workspace_id, "client", seeded.client_id))
    texts = []
    for mode in ECHOES:
        upstream.mode = mode
        for status in (401, 429, 500):
            upstream.status = status
            body = {"provider": "openai", "purposes": ["chat"], "api_key": KEY, "base_url": url + "/v1"}
            added = client.post(f"clients/{seeded.client_id}/provider-keys", json=body)
            assert added.status_code == 201 and added.get_json()["status"] == "failed"
            assert "[REDACTED]" in added.get_json()["status_reason"], added.get_json()
            again = client.post(f"clients/{seeded.client_id}/provider-keys/{added.get_json()['id']}/verify")
            texts += [added.get_data(as_text=True), again.get_data(as_text=True)]
    texts.append(client.get(f"clients/{seeded.client_id}/provider-keys").get_data(as_text=True))
    assert leaked(texts) == []
    assert leaked(r.getMessage() for r in caplog.records) == []
    assert_no_secrets_in_db(_database(svc), windows(KEY))


@pytest.mark.parametrize("mode", sorted(ECHOES))
def test_a_relayed_upstream_error_never_shows_the_lanes_key(
    app: Flask, svc: Services, seeded: Seeded, echo: tuple[EchoUpstream, str], mode: str
) -> None:
    """The agency's lane key, echoed in an upstream error the gateway relays, reaches neither the client nor
    the log row."""
    upstream, url = echo
    upstream.mode, upstream.status = mode, 400
    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.base_url = url + "/v1"
        provisioning.set_lane_credential(lane, svc.vault, KEY)
        db.session.commit()
    svc.keys.invalidate()
    texts = []
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for path, body in (
        ("/v1/chat/completions", chat),
        ("/v1/chat/completions", chat | {"stream": True}),
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "x"}),
    ):
        response = app.test_client().post(path, json=body, headers={"Authorization": f"Bearer {seeded.key}"})
        assert response.status_code == 400, response.get_data(as_text=True)
        texts.append(response.get_data(as_text=True))
    assert "[REDACTED]" in texts[0]
    assert leaked(texts) == []
    assert svc.log_writer.flush()
    assert_no_secrets_in_db(_database(svc), windows(KEY))


@pytest.mark.parametrize("mode", sorted(ECHOES))
def test_a_report_api_echoing_the_admin_key_is_not_kept(
    app: Flask, svc: Services, seeded: Seeded, owner: AdminClient, echo: tuple[EchoUpstream, str], mode: str
) -> None:
    upstream, url = echo
    upstream.mode = mode
    lane = make_lane(app, svc, seeded)
    put = owner.put(f"/api/v1/lanes/{lane}/report-credential", json={"api_key": KEY, "base_url": url + "/v1"})
    assert put.status_code == 200, put.get_json()
    run = owner.post(f"/api/v1/lanes/{lane}/reconciliations", json={"month": "2026-11"})
    texts = [run.get_data(as_text=True), owner.get(f"/api/v1/lanes/{lane}/reconciliations").get_data(as_text=True)]
    assert "HTTP 401" in texts[0]
    with app.app_context():
        texts += [str(r.error) for r in db.session.query(ReconciliationRun).all()]
    assert leaked(texts) == []
    assert_no_secrets_in_db(_database(svc), windows(KEY))


def test_a_key_pasted_into_the_label_is_not_kept(
    app: Flask, svc: Services, seeded: Seeded, echo: tuple[EchoUpstream, str]
) -> None:
    """`scrub` knows `sk-` keys; a Groq or Azure key pasted into `label` as well is cut by the key itself."""
    _, url = echo
    client = AdminClient(app.test_client(), make_token(app, svc, seeded.workspace_id, "client", seeded.client_id))
    body = {"provider": "openai", "purposes": ["chat"], "api_key": KEY, "base_url": url + "/v1", "label": f"prod {KEY}"}
    added = client.post(f"clients/{seeded.client_id}/provider-keys", json=body)
    assert added.status_code == 201 and added.get_json()["label"] == "prod [REDACTED]"
    assert_no_secrets_in_db(_database(svc), windows(KEY))


def test_redact_cuts_only_key_characters_and_keeps_json_valid() -> None:
    body = orjson.dumps({"error": {"message": f'Invalid "{KEY[:-6]}" and {KEY[:8]}****{KEY[-4:]}, ends {KEY[-20:]}'}})
    cut = redact(body.decode(), KEY)
    assert orjson.loads(cut)["error"]["message"] == 'Invalid "[REDACTED]" and [REDACTED][REDACTED], ends [REDACTED]'
    assert redact("no key here, *** stars", None) == "no key here, *** stars"
    big = "x" * 2_000_000 + KEY[5:30]
    started = time.perf_counter()
    assert redact(big, KEY) == "x" * 2_000_000 + "[REDACTED]"
    assert time.perf_counter() - started < 1.0  # an upstream error body can be large
