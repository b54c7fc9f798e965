"""Every short-circuit of /v1 answers in OpenAI's error shape with the right status, as the SDK sees it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import openai
import pytest
import requests
from flask import Flask
from sqlalchemy import select

from tollgate import provisioning
from tollgate.config import Settings
from tollgate.extensions import db
from tollgate.models import Client, RequestLog, SubKey
from tollgate.services import Services

from . import schema_check
from .conftest import Mock, Seeded, ServedApp

READ_TIMEOUT_S = 0.4
MAX_BODY_BYTES = 4096
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short upstream read timeout and a small body limit, so both limits can be hit quickly."""
    return dataclasses.replace(settings, upstream_read_timeout_s=READ_TIMEOUT_S, max_body_bytes=MAX_BODY_BYTES)


def sdk(gateway: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway, api_key=key, max_retries=0, timeout=10)


def assert_openai_error(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    schema_check.assert_valid(body, "ErrorResponse")
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["code"] == code
    assert "Traceback" not in resp.text
    error: dict[str, Any] = body["error"]
    return error


def _expect(
    call: Callable[[], object], exc_type: type[openai.APIStatusError], status: int, code: str
) -> openai.APIStatusError:
    with pytest.raises(exc_type) as caught:
        call()
    assert caught.value.status_code == status
    assert caught.value.code == code
    return caught.value


def test_missing_key_401(gateway: str) -> None:
    # The SDK insists on a key; `omit` drops the Authorization header it would send.
    client = openai.OpenAI(base_url=gateway, api_key="unused", max_retries=0)
    no_auth = {"Authorization": openai.omit}
    _expect(lambda: client.models.list(extra_headers=no_auth), openai.AuthenticationError, 401, "missing_api_key")
    _expect(
        lambda: client.chat.completions.create(**CHAT, extra_headers=no_auth),
        openai.AuthenticationError,
        401,
        "missing_api_key",
    )
    resp = requests.post(gateway + "/chat/completions", json=CHAT, timeout=5)
    assert_openai_error(resp, 401, "missing_api_key")


@pytest.mark.parametrize("key", ["tg_short", "sk-not-a-tollgate-key", "tg_" + "!" * 38, "Basic abc"])
def test_malformed_key_401(gateway: str, key: str) -> None:
    _expect(
        lambda: sdk(gateway, key).chat.completions.create(**CHAT), openai.AuthenticationError, 401, "invalid_api_key"
    )


def test_unknown_key_401(gateway: str, seeded: Seeded) -> None:
    from tollgate.vault.tokens import SUB_KEY_PREFIX, generate

    unknown = generate(SUB_KEY_PREFIX)
    _expect(
        lambda: sdk(gateway, unknown).chat.completions.create(**CHAT),
        openai.AuthenticationError,
        401,
        "invalid_api_key",
    )


def test_revoked_key_401(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    client = sdk(gateway, seeded.key)
    assert client.models.list().data  # cached as valid
    with app.app_context():
        key = db.session.get(SubKey, seeded.key_id)
        assert key is not None
        provisioning.revoke_sub_key(db.session, key)
        db.session.commit()
    svc.keys.invalidate()
    _expect(lambda: client.chat.completions.create(**CHAT), openai.AuthenticationError, 401, "revoked_api_key")
    _expect(lambda: client.models.list(), openai.AuthenticationError, 401, "revoked_api_key")
    # The other client's key is untouched.
    assert sdk(gateway, seeded.other_key).models.list().data


def test_model_not_allowed_403(app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    with app.app_context():
        acme = db.session.get(Client, seeded.client_id)
        assert acme is not None
        limited = provisioning.issue_sub_key(db.session, svc.hasher, acme, "mini only", allowed_models=["gpt-4o-mini"])
        db.session.commit()
    client = sdk(gateway, limited.secret)
    assert client.chat.completions.create(**CHAT).choices
    calls_before = len(mock_upstream.state.requests)
    err = _expect(
        lambda: client.chat.completions.create(**(CHAT | {"model": "gpt-4o"})),
        openai.PermissionDeniedError,
        403,
        "model_not_allowed",
    )
    assert err.param == "model"
    assert len(mock_upstream.state.requests) == calls_before  # refused before any upstream call
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]
    assert svc.log_writer.flush()
    with app.app_context():
        rows = db.session.scalars(select(RequestLog).order_by(RequestLog.id)).all()
    assert [(r.status_code, r.error_code) for r in rows] == [(200, None), (403, "model_not_allowed")]


def test_malformed_json_400(gateway: str, seeded: Seeded) -> None:
    client = sdk(gateway, seeded.key)
    _expect(
        lambda: client.post("/chat/completions", cast_to=object, content=b'{"model": "gpt-4o-mini",'),
        openai.BadRequestError,
        400,
        "invalid_json",
    )
    auth = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    assert_openai_error(
        requests.post(gateway + "/chat/completions", data=b"[1,2]", headers=auth, timeout=5), 400, "invalid_json"
    )
    assert_openai_error(
        requests.post(gateway + "/chat/completions", data=b"", headers=auth, timeout=5), 400, "empty_body"
    )
    missing = requests.post(gateway + "/chat/completions", json={"messages": []}, headers=auth, timeout=5)
    assert assert_openai_error(missing, 400, "missing_model")["param"] == "model"


def test_lone_surrogate_in_the_body_is_400(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    """orjson refuses a JSON string escaping a lone UTF-16 surrogate: the caller's malformed JSON, not a 500."""
    auth = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    for body in (
        b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\\ud800"}]}',
        b'{"model": "gpt-4o-mini", "user": "\\udfff", "messages": []}',
        b'{"model": "gpt-4o-mini", "metadata": {"\\ud800x": "1"}, "messages": []}',
    ):
        resp = requests.post(gateway + "/chat/completions", data=body, headers=auth, timeout=5)
        assert "surrogate" in assert_openai_error(resp, 400, "invalid_json")["message"]
    assert mock_upstream.state.requests == []


def redirector(target: str) -> Callable[[dict[str, Any], Callable[..., Any]], list[bytes]]:
    """An upstream that answers everything with `302 Found` to the same path under `target`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("302 Found", [("Location", target + environ["PATH_INFO"]), ("Content-Length", "0")])
        return []

    return app


def test_upstream_redirect_is_502_and_never_followed(
    app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock
) -> None:
    from tollgate.models import Lane

    served = ServedApp(redirector(mock_upstream.served.url))
    try:
        with app.app_context():
            lane = db.session.get(Lane, seeded.lane_id)
            assert lane is not None
            lane.base_url = served.url + "/v1"
            db.session.commit()
        svc.keys.invalidate()
        for stream in (False, True):
            resp = requests.post(
                gateway + "/chat/completions",
                json=CHAT | {"stream": stream},
                headers={"Authorization": f"Bearer {seeded.key}"},
                timeout=5,
            )
            error = assert_openai_error(resp, 502, "upstream_error")
            assert "redirect (HTTP 302)" in error["message"]
    finally:
        served.stop()
    assert mock_upstream.state.requests == []  # the redirect was not followed


def test_upstream_500_is_502(gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    mock_upstream.state.fail_status = 500
    _expect(
        lambda: sdk(gateway, seeded.key).chat.completions.create(**CHAT),
        openai.InternalServerError,
        502,
        "upstream_error",
    )
    resp = requests.post(
        gateway + "/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=5
    )
    error = assert_openai_error(resp, 502, "upstream_error")
    assert "500" in error["message"] and "Mock upstream failure" not in error["message"]


def test_upstream_timeout_is_504(app: Flask, svc: Services, gateway: str, seeded: Seeded, mock_upstream: Mock) -> None:
    mock_upstream.state.delay_s = READ_TIMEOUT_S + 0.6
    for stream in (False, True):
        _expect(
            lambda: sdk(gateway, seeded.key).chat.completions.create(**CHAT, stream=stream),  # noqa: B023
            openai.APIStatusError,
            504,
            "upstream_timeout",
        )
    assert svc.log_writer.flush()
    with app.app_context():
        rows = db.session.scalars(select(RequestLog)).all()
    assert [(r.status_code, r.error_code) for r in rows] == [(504, "upstream_timeout")] * 2


def test_body_too_large_413(gateway: str, seeded: Seeded) -> None:
    big = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * (MAX_BODY_BYTES * 2)}]}
    _expect(
        lambda: sdk(gateway, seeded.key).chat.completions.create(**big), openai.APIStatusError, 413, "request_too_large"
    )
    resp = requests.post(
        gateway + "/chat/completions", json=big, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=5
    )
    assert_openai_error(resp, 413, "request_too_large")


def test_unknown_path_404_and_wrong_method_405(gateway: str, seeded: Seeded) -> None:
    _expect(
        lambda: sdk(gateway, seeded.key).get("/no/such/thing", cast_to=object), openai.NotFoundError, 404, "unknown_url"
    )
    assert_openai_error(requests.get(gateway + "/no/such/thing", timeout=5), 404, "unknown_url")
    assert_openai_error(requests.get(gateway + "/chat/completions", timeout=5), 405, "method_not_allowed")


def test_unroutable_model_404(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    from tollgate.models import Lane

    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.models = ["gpt-4o-mini"]
        db.session.commit()
    svc.keys.invalidate()
    _expect(
        lambda: sdk(gateway, seeded.key).chat.completions.create(**(CHAT | {"model": "claude-x"})),
        openai.NotFoundError,
        404,
        "model_not_found",
    )


def test_unreachable_upstream_is_502_not_a_timeout(app: Flask, svc: Services, gateway: str, seeded: Seeded) -> None:
    """Connection refused is a dead upstream (502), not a 504 claiming the read timeout ran out (urllib3's
    NewConnectionError subclasses its ConnectTimeoutError)."""
    from tollgate.models import Lane

    with app.app_context():
        lane = db.session.get(Lane, seeded.lane_id)
        assert lane is not None
        lane.base_url = "http://127.0.0.1:9/v1"  # discard port: connection refused
        db.session.commit()
    svc.keys.invalidate()
    resp = requests.post(
        gateway + "/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {seeded.key}"}, timeout=5
    )
    error = assert_openai_error(resp, 502, "upstream_error")
    assert "could not be reached" in error["message"]
